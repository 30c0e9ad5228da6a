/* SPDX-License-Identifier: MIT */
/* stats.c — SIGUSR1 prints what the daemon has done to its stderr, one
 * line, for an operator and for tests that check "scored once" (stderr
 * is the terminal or log of a daemon run with -f; /dev/null once it has
 * daemonized).  Only the mounter can signal the daemon, so no user learns
 * anything of another's submissions from it.
 *
 * The handler formats by hand and write(2)s: printf is not
 * async-signal-safe, and the counters are atomics (submissions.h, fs.h).
 * The numbers come in a fixed order (tests read them by position):
 * scorings, waited, cached, pixel decodes, failed, crops from the cache. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

static struct imlfs_subs *stats_subs;
static const struct imlfs_fs *stats_fs;

/* Append n in decimal at p; returns the end. */
static char *put_u64(char *p, uint64_t n)
{
	char d[20];
	int k = 0;

	do
		d[k++] = (char)('0' + n % 10);
	while ((n /= 10) && k < 20);
	while (k)
		*p++ = d[--k];
	return p;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static void on_usr1(int sig)
{
	struct imlfs_subs_stats st;
	char line[320], *p = line;
	ssize_t w;

	(void)sig;
	imlfs_subs_stats(stats_subs, &st);
	p = put_str(p, "imlfs: stats: scorings ");
	p = put_u64(p, st.evaluations);
	p = put_str(p, ", requests that waited for one ");
	p = put_u64(p, st.waited);
	p = put_str(p, ", answered from a version's scores ");
	p = put_u64(p, st.cached);
	p = put_str(p, ", pixel decodes ");
	p = put_u64(p, atomic_load_explicit(&stats_fs->pix_decodes, memory_order_relaxed));
	p = put_str(p, " (failed ");
	p = put_u64(p, atomic_load_explicit(&stats_fs->pix_failures, memory_order_relaxed));
	p = put_str(p, "), crops from the cache ");
	p = put_u64(p, atomic_load_explicit(&stats_fs->pix_hits, memory_order_relaxed));
	*p++ = '\n';
	w = write(STDERR_FILENO, line, (size_t)(p - line));
	(void)w;
}

int imlfs_stats_install(const struct imlfs_fs *fs)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	stats_subs = fs->subs;
	stats_fs = fs;
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL);
}

void imlfs_stats_remove(void)
{
	signal(SIGUSR1, SIG_IGN);
}
