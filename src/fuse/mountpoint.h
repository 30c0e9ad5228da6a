/* SPDX-License-Identifier: MIT */
/* mountpoint.h — the mount point before mounting: resolved, checked, and
 * cleared of a dead imlfs mount.
 *
 * imlfs_mountpoint_prepare(): *out gets the absolute path of arg (a dead
 * mount point is resolved through its parent).  A dead mount of type
 * fuse.imlfs there (ENOTCONN) is detached with one line on stderr; a live
 * mount of any type, a dead mount of another type, a missing path or one
 * that is not a folder fail with IMLFS_E_MOUNT and a line naming the path
 * and the command to run.  Returns 0, or -1 with err filled. */
#ifndef IMLFS_FUSE_MOUNTPOINT_H
#define IMLFS_FUSE_MOUNTPOINT_H

#include "imlfs/error.h"

int imlfs_mountpoint_prepare(const char *arg, char **out, struct imlfs_error *err);

/* Undo /proc/self/mountinfo's (and /proc/mounts') octal escapes (\040
 * space, \011 tab, \012 newline, \134 backslash) in place. */
void imlfs_mountinfo_unescape(char *s);

#endif
