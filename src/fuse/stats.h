/* SPDX-License-Identifier: MIT */
/* stats.h — the daemon's counters on SIGUSR1 (stats.c). */
#ifndef IMLFS_FUSE_STATS_H
#define IMLFS_FUSE_STATS_H

#include "fs.h"

/* 0, or -1 when the handler could not be set. */
int imlfs_stats_install(const struct imlfs_fs *fs);
/* Ignore SIGUSR1 from now on (before fs's subs is freed). */
void imlfs_stats_remove(void);

#endif
