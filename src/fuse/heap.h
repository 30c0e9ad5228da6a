/* SPDX-License-Identifier: MIT */
/* How the daemon's malloc is set up, so that it runs for days at a flat
 * resident size (docs/reliability.md, "Soak"). */
#ifndef IMLFS_FUSE_HEAP_H
#define IMLFS_FUSE_HEAP_H

/* Call first in main(): turns glibc's per-thread caches off by running the
 * program again with GLIBC_TUNABLES=glibc.malloc.tcache_count=0, unless
 * GLIBC_TUNABLES already names tcache_count (the user's choice, or this
 * exec done).  Returns only when there is nothing to do or the exec failed;
 * the daemon then runs with glibc's defaults. */
void imlfs_heap_reexec(char **argv);

/* Call next, before any thread starts: a fixed mmap threshold, and one
 * arena for all threads. */
void imlfs_heap_setup(void);

#endif
