/* SPDX-License-Identifier: MIT */
/* tarhash.c — the tarball's MD5 in the background (see tarhash.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "imlfs/tarhash.h"

/* linux/ioprio.h: not in every libc's headers. */
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ino == b->st_ino &&
	       a->st_dev == b->st_dev;
}

/* The md5 is written before the state that says it is there (release),
 * and read after the state (acquire). */
static void finish(struct imlfs_tarhash *t, const uint8_t md5[IMLFS_MD5_LEN])
{
	memcpy(t->md5, md5, IMLFS_MD5_LEN);
	t->have_md5 = true;
	atomic_store(&t->state, (int)imlfs_verify_compare(IMLFS_ROLE_TARBALL, t->path, md5));
}

int imlfs_tarhash_init(struct imlfs_tarhash *t, const char *path, int fd,
		       const char *cache_file, bool noverify)
{
	uint8_t md5[IMLFS_MD5_LEN];
	struct stat st;

	memset(t, 0, sizeof *t);
	t->path = path;
	t->fd = fd;
	t->gate = getenv("IMLFS_TEST_HASH_GATE");
	atomic_init(&t->state, IMLFS_V_PENDING);
	atomic_init(&t->prog.done, 0);
	atomic_init(&t->prog.stop, false);
	t->cache.fd = -1;
	if (cache_file && cache_file[0]) {
		const char *slash = strrchr(cache_file, '/');
		char *dir = slash ? imlfs_strf("%.*s", (int)(slash == cache_file ? 1 : slash - cache_file),
					       cache_file) : strdup(".");

		t->digest_file = imlfs_tardigest_file(slash ? slash + 1 : cache_file);
		if (!dir || !t->digest_file) {
			free(dir);
			free(t->digest_file);
			t->digest_file = NULL;
			return -ENOMEM;
		}
		if (imlfs_cache_dir_open(&t->cache, dir, false, NULL, 0) != 0)
			imlfs_cache_dir_close(&t->cache);
		free(dir);
	}
	if (fstat(fd, &st) == 0 &&
	    imlfs_tardigest_load(&t->cache, t->digest_file, path, &st, md5)) {
		finish(t, md5);
		return 0;
	}
	t->total = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	if (!imlfs_published_md5(IMLFS_ROLE_TARBALL, path, md5))
		atomic_store(&t->state, IMLFS_V_UNKNOWN);   /* nothing to compare with */
	else if (noverify)
		atomic_store(&t->state, IMLFS_V_SKIPPED);
	return 0;
}

static void fail(struct imlfs_tarhash *t, const char *why)
{
	snprintf(t->why, sizeof t->why, "%s", why);
	atomic_store(&t->state, IMLFS_V_FAILED);
}

static void *run(void *arg)
{
	struct imlfs_tarhash *t = arg;
	struct stat before, after;
	uint8_t md5[IMLFS_MD5_LEN];
	uint64_t len = 0;
	int r;

	/* This thread only: idle I/O class and the lowest CPU priority, so
	 * readers of the mount always go first.  Failing is harmless. */
	syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT);
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	while (t->gate && access(t->gate, F_OK) != 0) {
		if (atomic_load(&t->prog.stop))
			return NULL;
		usleep(20000);
	}
	if (fstat(t->fd, &before) < 0) {
		fail(t, strerror(errno));
		return NULL;
	}
	r = imlfs_md5_fd(t->fd, md5, &len, &t->prog);
	if (r == -ECANCELED)
		return NULL;   /* unmounting: the state no longer matters */
	if (r) {
		char why[160];

		snprintf(why, sizeof why, "read error: %s", strerror(-r));
		fail(t, why);
		return NULL;
	}
	if (fstat(t->fd, &after) < 0 || !same_file(&before, &after) ||
	    len != (uint64_t)before.st_size) {
		fail(t, "the tarball changed while it was hashed; remount to check it");
		return NULL;
	}
	finish(t, md5);
	/* Remembered, keyed by the file as hashed.  Not written: the next
	 * mount hashes again, which is all that is lost. */
	if (t->cache.fd >= 0)
		imlfs_tardigest_save(&t->cache, t->digest_file, t->path, &before, md5);
	return NULL;
}

int imlfs_tarhash_start(struct imlfs_tarhash *t)
{
	sigset_t all, old;
	int r;

	if (atomic_load(&t->state) != IMLFS_V_PENDING || t->started)
		return 0;
	/* Signals are for the FUSE loop's threads (its exit handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t->thread, NULL, run, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		fail(t, "cannot start the hashing thread");
		return -r;
	}
	t->started = true;
	return 0;
}

void imlfs_tarhash_words(struct imlfs_tarhash *t, struct imlfs_buf *b)
{
	int st = atomic_load(&t->state);
	uint64_t done;

	switch (st) {
	case IMLFS_V_PENDING:
		done = atomic_load(&t->prog.done);
		imlfs_buf_printf(b, "not checked yet (hashing: %d %%)",
				 t->total ? (int)(done * 100 / t->total) : 0);
		break;
	case IMLFS_V_SKIPPED:
		imlfs_buf_printf(b, "not checked (noverify)");
		break;
	case IMLFS_V_FAILED:
		imlfs_buf_printf(b, "not checked (%s)", t->why);
		break;
	case IMLFS_V_UNKNOWN:
		if (!t->have_md5) {
			imlfs_buf_printf(b, "no published digest known");
			break;
		}
		/* fall through */
	default:
		imlfs_verify_words(b, IMLFS_ROLE_TARBALL, t->path, (enum imlfs_vstatus)st, t->md5);
	}
}

void imlfs_tarhash_stop(struct imlfs_tarhash *t)
{
	if (t->started) {
		atomic_store(&t->prog.stop, true);
		pthread_join(t->thread, NULL);
		t->started = false;
	}
	imlfs_cache_dir_close(&t->cache);
	free(t->digest_file);
	t->digest_file = NULL;
}
