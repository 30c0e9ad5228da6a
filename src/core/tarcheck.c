/* SPDX-License-Identifier: MIT */
/* tarcheck.c — owns imlfs_tarcheck_*: telling a read of the indexed
 * tarball from a read of a file that changed under the mount (see
 * tarcheck.h for the rules).  The common case costs one fstat(2); the tar
 * header check below runs only once the file has shrunk. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "imlfs/tarcheck.h"

void imlfs_tarcheck_init(struct imlfs_tarcheck *t, const char *path, int fd, uint64_t size,
			 int64_t mtime_ns, FILE *log)
{
	t->path = path;
	t->fd = fd;
	t->size = size;
	t->mtime_ns = mtime_ns;
	t->log = log;
	t->use_syslog = false;
	atomic_init(&t->state, IMLFS_TAR_OK);
	atomic_init(&t->last_err, LLONG_MIN);
}

/* A numeric header field: octal digits between blanks/NULs, or GNU
 * base-256 (high bit of the first byte set). */
static uint64_t tar_number(const unsigned char *p, size_t n, bool *ok)
{
	uint64_t v = 0;
	size_t i = 0;

	if (p[0] & 0x80) {
		if (p[0] != 0x80)
			*ok = false;
		for (i = 1; i < n; i++)
			v = v << 8 | p[i];
		return v;
	}
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\0')
			*ok = false;
	return v;
}

/* Is the tar header right in front of m's data still the one that was
 * indexed (valid checksum, same size and mtime)?  Tells a file that was only cut
 * short from one being copied over in place, which is short too while
 * the copy runs, but holds other bytes. */
static bool header_intact(int fd, const struct imlfs_member *m)
{
	unsigned char h[512];
	uint64_t sum = 0, stored, size, mtime = 0;
	int64_t ssum = 0;
	bool ok = true, mtime_ok = true;

	if (m->offset < sizeof h || pread(fd, h, sizeof h, (off_t)(m->offset - sizeof h)) !=
	    (ssize_t)sizeof h)
		return false;
	for (size_t i = 0; i < sizeof h; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];

		sum += c;
		ssum += (signed char)c;   /* some old tars sum signed bytes */
	}
	stored = tar_number(h + 148, 8, &ok);
	size = tar_number(h + 124, 12, &ok);
	if (m->mtime >= 0)   /* a negative one is rare and base-256: not compared */
		mtime = tar_number(h + 136, 12, &mtime_ok);
	return ok && (stored == sum || (int64_t)stored == ssum) && size == m->size &&
	       (m->mtime < 0 || (mtime_ok && mtime == (uint64_t)m->mtime));
}

/* One line: "imlfs: TARBALL: ..." on the log, and in the system log. */
__attribute__((format(printf, 2, 3)))
static void say(struct imlfs_tarcheck *t, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (t->log) {
		fprintf(t->log, "imlfs: %s: %s\n", t->path, line);
		fflush(t->log);
	}
	if (t->use_syslog)
		syslog(LOG_WARNING, "%s: %s", t->path, line);
}

static long long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/* Log a read failure, at most once per IMLFS_TARCHECK_LOG_EVERY seconds. */
static void log_error(struct imlfs_tarcheck *t, uint64_t pos, int err, size_t want, int64_t got)
{
	long long now = now_s(), last = atomic_load(&t->last_err);

	if ((!t->log && !t->use_syslog) ||
	    (last != LLONG_MIN && now - last < IMLFS_TARCHECK_LOG_EVERY) ||
	    !atomic_compare_exchange_strong(&t->last_err, &last, now))
		return;
	if (err)
		say(t, "read error at byte %llu: %s; image reads there fail with EIO: check "
		    "the file and the disk", (unsigned long long)pos, strerror(err));
	else
		say(t, "read %lld of %zu bytes at byte %llu; the read fails with EIO: check "
		    "the file, and remount if it changed", (long long)got, want,
		    (unsigned long long)pos);
}

/* One line per change of state, whichever thread sees it first. */
static void note_state(struct imlfs_tarcheck *t, int state, const struct stat *st)
{
	int was = atomic_exchange(&t->state, state);

	if (was == state)
		return;
	if (state == IMLFS_TAR_TRUNCATED)
		say(t, "truncated to %llu bytes since it was indexed (%llu bytes); reads of "
		    "images past byte %llu fail with EIO, the rest is still served: put the "
		    "complete tarball back and remount", (unsigned long long)st->st_size,
		    (unsigned long long)t->size, (unsigned long long)st->st_size);
	else if (state == IMLFS_TAR_CHANGED)
		say(t, "rewritten since it was indexed (%llu bytes, mtime %lld.%09ld; indexed: "
		    "%llu bytes, mtime %lld.%09lld); image reads fail with EIO: remount to "
		    "serve the new file", (unsigned long long)st->st_size,
		    (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		    (unsigned long long)t->size, (long long)(t->mtime_ns / 1000000000),
		    (long long)(t->mtime_ns % 1000000000));
	else
		say(t, "back as it was indexed; images are served again");
}

int imlfs_tarcheck_read(struct imlfs_tarcheck *t, const struct imlfs_member *m,
			uint64_t off, size_t want, int64_t got)
{
	struct stat st;
	int state;

	if (fstat(t->fd, &st) < 0) {
		log_error(t, m->offset + off, errno, want, got);
		return -EIO;
	}
	if ((uint64_t)st.st_size == t->size &&
	    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec == t->mtime_ns)
		state = IMLFS_TAR_OK;
	else if ((uint64_t)st.st_size < t->size)
		state = IMLFS_TAR_TRUNCATED;
	else
		state = IMLFS_TAR_CHANGED;
	note_state(t, state, &st);
	if (state == IMLFS_TAR_CHANGED)
		return -EIO;
	if (state == IMLFS_TAR_TRUNCATED &&
	    (m->offset + m->size > (uint64_t)st.st_size || !header_intact(t->fd, m)))
		return -EIO;
	if (got < 0 || (uint64_t)got != want) {
		log_error(t, m->offset + off, got < 0 ? (int)-got : 0, want, got);
		return -EIO;
	}
	return 0;
}
