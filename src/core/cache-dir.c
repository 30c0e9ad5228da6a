/* SPDX-License-Identifier: MIT */
/* cache-dir.c — the cache's folder and its files: where they live, the
 * folder opened and trusted or refused (cache.h, "Trust"), a file read
 * whole, written atomically (a locked temporary file renamed over it), and
 * the temporary files of dead writers swept.  cache.c has the index file's
 * format. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imlfs/cache.h"
#include "imlfs/util.h"

/* ---- paths ------------------------------------------------------------- */

char *imlfs_cache_default_dir(void)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	/* Relative paths would depend on the daemon's working directory. */
	if (x && x[0] == '/')
		return imlfs_strf("%s/imlfs", x);
	if (home && home[0] == '/')
		return imlfs_strf("%s/.cache/imlfs", home);
	return NULL;
}

char *imlfs_cache_name(const struct imlfs_inputs *in)
{
	if (!in || !in->tarball)
		return NULL;
	return imlfs_strf("%016llx.idx",
			  (unsigned long long)imlfs_hash(in->tarball, strlen(in->tarball),
							 IMLFS_HASH_SEED));
}

/* Length of dir without its trailing slashes ("/" stays "/"). */
static size_t dir_len(const char *dir)
{
	size_t dl = strlen(dir);

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	return dl;
}

char *imlfs_cache_file(const char *dir, const struct imlfs_inputs *in)
{
	char *name, *file;

	if (!dir || !(name = imlfs_cache_name(in)))
		return NULL;
	file = imlfs_strf("%.*s/%s", (int)dir_len(dir), dir, name);
	free(name);
	return file;
}

/* ---- the folder and its files (cache.h, "Trust") ------------------------ */

static int dir_fail(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int dir_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int imlfs_cache_dir_open(struct imlfs_cache_dir *d, const char *path, bool create,
			 char *why, size_t whylen)
{
	struct stat st;
	char *p;
	int fd, e;

	d->fd = -1;
	if (why && whylen)
		why[0] = '\0';
	/* Without its trailing slashes: "DIR/" would make open() follow a
	 * symbolic link at DIR in spite of O_NOFOLLOW. */
	d->path = p = imlfs_strf("%.*s", (int)dir_len(path), path);
	if (!p)
		return dir_fail(why, whylen, "cache folder %s: out of memory; going on without "
				"the cache", path);
	if (create) {
		char *cut = strdup(p);   /* imlfs_mkdirs leaves it cut where it failed */

		e = cut ? imlfs_mkdirs(cut, 0700) : -ENOMEM;
		if (e < 0)
			dir_fail(why, whylen, "cache folder %s: cannot create %s: %s; going on "
				 "without the cache (choose a folder you can write with "
				 "--cache-dir)", p, cut ? cut : p, strerror(-e));
		free(cut);
		if (e < 0)
			return -1;
	}
	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT && !create)
			return 1;
		if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
			return dir_fail(why, whylen, "cache folder %s is a symbolic link, which "
					"whoever owns it can point anywhere; going on without the "
					"cache (give the real folder with --cache-dir)", p);
		return dir_fail(why, whylen, "cache folder %s: cannot open it: %s; going on "
				"without the cache (choose another folder with --cache-dir)", p,
				strerror(e));
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return dir_fail(why, whylen, "cache folder %s: %s; going on without the cache",
				p, strerror(e));
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return dir_fail(why, whylen, "cache folder %s belongs to uid %u, not to you "
				"(uid %u), so its files may be anyone's; going on without the cache "
				"(choose a folder of your own with --cache-dir)", p,
				(unsigned)st.st_uid, (unsigned)geteuid());
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		return dir_fail(why, whylen, "cache folder %s is writable by group or others "
				"(mode %04o), so its files may be anyone's; going on without the "
				"cache (chmod go-w %s, or choose a folder of your own with "
				"--cache-dir)", p, (unsigned)(st.st_mode & 07777), p);
	}
	d->fd = fd;
	return 0;
}

void imlfs_cache_dir_close(struct imlfs_cache_dir *d)
{
	/* Only what imlfs_cache_dir_open() set (path and all): a zeroed
	 * struct has fd 0, which is not ours to close. */
	if (d->path && d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	free(d->path);
	d->path = NULL;
}

int imlfs_cache_read(const struct imlfs_cache_dir *d, const char *name, char **data,
		     size_t *len, char *why, size_t whylen)
{
	struct stat st;
	size_t got = 0;
	char *p;
	int fd, e;

	*data = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
	fd = openat(d->fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return -ENOENT;
		if (e == ELOOP)
			dir_fail(why, whylen, "a symbolic link, not a file");
		else
			dir_fail(why, whylen, "cannot read: %s", strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		dir_fail(why, whylen, "cannot read: %s", strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		if (!S_ISREG(st.st_mode))
			dir_fail(why, whylen, "not a regular file");
		else
			dir_fail(why, whylen, "belongs to uid %u, not to you (uid %u)",
				 (unsigned)st.st_uid, (unsigned)geteuid());
		return S_ISREG(st.st_mode) ? -EPERM : -EINVAL;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p) {
		close(fd);
		dir_fail(why, whylen, "out of memory");
		return -ENOMEM;
	}
	/* Up to the size fstat gave: a file that grows meanwhile is cut, and
	 * one that shrinks is short, which the checks after this catch. */
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			free(p);
			close(fd);
			dir_fail(why, whylen, "cannot read: %s", strerror(e));
			return -e;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	p[got] = '\0';
	*data = p;
	*len = got;
	return 0;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Six random letters in place of tmp's trailing XXXXXX, as mkstemp()
 * would choose (which cannot create relative to a folder's descriptor). */
static void fill_random(char *x)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[6];

	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		/* No entropy yet (early boot): any value will do, since
		 * O_EXCL and the retries settle a clash. */
		struct timespec ts;
		uint64_t v;

		clock_gettime(CLOCK_REALTIME, &ts);
		v = imlfs_hash(&ts, sizeof ts, (uint64_t)getpid());
		memcpy(r, &v, sizeof r);
	}
	for (int i = 0; i < 6; i++)
		x[i] = abc[r[i] % (sizeof abc - 1)];
}

/* A temporary file in the folder, locked (flock) for as long as its writer
 * lives: the lock is how imlfs_cache_sweep() tells a live writer's temp
 * from one left by a writer that was killed.  A sweeper may lock and
 * unlink a new temp between its creation and flock(); the link count
 * shows that, and we retry. */
static int make_temp(int dirfd, char *tmp)
{
	size_t n = strlen(tmp);

	for (int tries = 0; tries < 64; tries++) {
		struct stat st;
		int fd;

		fill_random(tmp + n - 6);
		fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

int imlfs_cache_write(const struct imlfs_cache_dir *d, const char *name, const void *data,
		      size_t len)
{
	char *tmp;
	int fd, e;

	if (!(tmp = imlfs_strf("%s.XXXXXX", name)))
		return -ENOMEM;
	fd = make_temp(d->fd, tmp);
	if (fd < 0) {
		e = errno;
		free(tmp);
		return -e;
	}
	/* Renamed while still locked: no sweeper can take it for a dead
	 * writer's temp in between. */
	if (write_all(fd, data, len) < 0 || renameat(d->fd, tmp, d->fd, name) < 0) {
		e = errno;
		close(fd);
		unlinkat(d->fd, tmp, 0);
		free(tmp);
		return -e;
	}
	free(tmp);
	if (close(fd) < 0) {
		e = errno;
		unlinkat(d->fd, name, 0);
		return -e;
	}
	return 0;
}

/* NAME.idx.XXXXXX and NAME.md5.XXXXXX, as imlfs_cache_write() makes them
 * for the index and the remembered digest. */
static bool is_temp_name(const char *name)
{
	size_t n = strlen(name);

	return n > 11 && (!memcmp(name + n - 11, ".idx.", 5) || !memcmp(name + n - 11, ".md5.", 5));
}

int imlfs_cache_sweep(const struct imlfs_cache_dir *d)
{
	DIR *dir;
	struct dirent *de;
	int removed = 0, fd = d->fd >= 0 ? fcntl(d->fd, F_DUPFD_CLOEXEC, 0) : -1;

	/* A duplicate, since closedir() closes what fdopendir() was given;
	 * it shares the offset with d->fd, hence the rewind. */
	if (fd < 0)
		return 0;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return 0;
	}
	rewinddir(dir);
	while ((de = readdir(dir))) {
		struct stat st, now;

		if (!is_temp_name(de->d_name))
			continue;
		fd = openat(d->fd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		/* Locked means a live writer.  Once we hold the lock, the name
		 * must still be this file (not renamed away and reused). */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() &&
		    fstatat(d->fd, de->d_name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_ino == st.st_ino && now.st_dev == st.st_dev &&
		    unlinkat(d->fd, de->d_name, 0) == 0)
			removed++;
		close(fd);
	}
	closedir(dir);
	return removed;
}
