/* SPDX-License-Identifier: MIT */
/* The daemon's malloc settings, and why.
 *
 * Soaks (contrib/soak.sh) of days-long use in minutes found three ways that
 * glibc's malloc keeps freed memory resident in a daemon whose worker
 * threads each have an arena:
 *
 * - The mmap threshold rises to the largest buffer freed, so multi-MiB
 *   submissions (and their copies for scoring) came from the arenas and
 *   stayed: 7 MB to 195 MB in 3 minutes.  A fixed threshold sends every
 *   buffer above 256 KiB back to the kernel when freed.
 * - Each thread's cache (tcache) parks up to 7 freed chunks of every small
 *   size.  Parked chunks count as in use, so they pin the pages around them,
 *   and the threads' arenas grew for as long as a soak ran (3 to 9 MB in 6
 *   minutes, +6.6 MB in 30) while the bytes really in use stayed flat.
 *   malloc_trim cannot release pinned pages, and mallopt has no knob for the
 *   tcache: only the GLIBC_TUNABLES variable, read when a program starts.
 *   With the tcache off the arenas stayed at 1.1-1.3 MB for the whole run.
 *   The cost is an arena lock on each small malloc and free.
 * - Each new worker thread gets an arena of its own, and with it 100-150 KB
 *   of pages that stay resident for the thread's life; libfuse adds workers
 *   only at busy moments, so the daemon stepped up by that much now and then
 *   for the first quarter hour of a soak (+8.5 % over 30 minutes on an
 *   8 MB daemon).  One arena for all threads: a new thread costs only the
 *   pages of its stack that it touches (about 50 KB). */
#include "heap.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imlfs/util.h"

#define TCACHE_KEY "glibc.malloc.tcache_count"

void imlfs_heap_reexec(char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char *keep = NULL, *val;

	if (old && strstr(old, TCACHE_KEY))
		return;   /* the user's choice, or this exec done */
	/* A copy: setenv may free the string getenv returned. */
	if ((old && !(keep = strdup(old))) ||
	    !(val = imlfs_strf("%s%s" TCACHE_KEY "=0", old ? old : "", old ? ":" : ""))) {
		free(keep);
		return;
	}
	if (setenv("GLIBC_TUNABLES", val, 1) == 0)
		execv("/proc/self/exe", argv);
	/* No /proc, or the program is gone: go on as started. */
	if (keep)
		setenv("GLIBC_TUNABLES", keep, 1);
	else
		unsetenv("GLIBC_TUNABLES");
	free(keep);
	free(val);
}

void imlfs_heap_setup(void)
{
	mallopt(M_MMAP_THRESHOLD, 256 << 10);
	mallopt(M_ARENA_MAX, 1);
}
