/* The daemon's malloc settings, and why.
 *
 * Soaks (contrib/soak.sh) of days-long use in minutes found two ways that
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
 *   The cost is an arena lock on each small malloc and free. */
#include "heap.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TCACHE_KEY "glibc.malloc.tcache_count"

void imlfs_heap_reexec(char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char *keep = old ? strdup(old) : NULL, *val;

	if ((old && (!keep || strstr(old, TCACHE_KEY))) ||
	    asprintf(&val, "%s%s" TCACHE_KEY "=0", old ? old : "", old ? ":" : "") < 0) {
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
}
