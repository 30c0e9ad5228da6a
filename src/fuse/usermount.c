/* SPDX-License-Identifier: MIT */
/* usermount.c — what mounting as a user needs, checked before anything is
 * built.  A user's mount goes through the setuid fusermount3, which refuses
 * a mount point the user may not write, a /dev/fuse the user cannot open and
 * allow_other (or allow_root) without `user_allow_other` in /etc/fuse.conf;
 * it would say so only after the index is built, in its own words, with
 * libfuse's and ours after it.  Here each is one line naming the fix. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "imlfs/error.h"

#define FUSE_DEVICE "/dev/fuse"
#define FUSE_CONF "/etc/fuse.conf"

/* 1 if fuse.conf has a `user_allow_other` line, 0 if not, -1 if it cannot
 * be read (then fusermount3 decides and explains). */
static int conf_allows_other(void)
{
	FILE *f = fopen(FUSE_CONF, "r");
	char line[512];
	int yes = 0;

	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (!yes && fgets(line, sizeof line, f)) {
		char *s = line, *e;

		line[strcspn(line, "#\n")] = '\0';
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		yes = strcmp(s, "user_allow_other") == 0;
	}
	fclose(f);
	return yes;
}

int imlfs_check_user_mount(const char *mountpoint, int allow_other, struct imlfs_error *err)
{
	if (access(FUSE_DEVICE, F_OK) < 0)
		return imlfs_fail(err, IMLFS_E_MOUNT, FUSE_DEVICE ": %s: FUSE is not available "
				  "here; load the module (modprobe fuse), or in a container "
				  "pass the device (docker run --device /dev/fuse)", strerror(errno));
	if (getuid() == 0)
		return 0;
	/* access() checks the real uid, as fusermount3 does. */
	if (access(mountpoint, W_OK) < 0)
		return imlfs_fail(err, IMLFS_E_MOUNT, "%s: mount point: %s; a user can only "
				  "mount on a folder it may write to, e.g. one it made with mkdir",
				  mountpoint, strerror(errno));
	if (access(FUSE_DEVICE, R_OK | W_OK) < 0)
		return imlfs_fail(err, IMLFS_E_MOUNT, FUSE_DEVICE ": %s; to mount as a user it must "
				  "be readable and writable by everyone (mode 0666, as standard "
				  "systems ship it): ask an administrator for chmod 0666 "
				  FUSE_DEVICE ", or mount as root", strerror(errno));
	if (allow_other && conf_allows_other() == 0)
		return imlfs_fail(err, IMLFS_E_MOUNT, FUSE_CONF ": -o allow_other or allow_root "
				  "as a user needs the line user_allow_other in this file: ask an "
				  "administrator to add it, or mount without the option");
	return 0;
}
