/* SPDX-License-Identifier: MIT */
/* util.c — buffers, whole-file reads, hashing, mkdir -p, the clock. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imlfs/error.h"
#include "imlfs/util.h"

static int buf_reserve(struct imlfs_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap = b->cap ? b->cap : 256;
	char *p;

	if (b->failed)
		return -1;
	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

int imlfs_buf_add(struct imlfs_buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len))
		return -1;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int imlfs_buf_addstr(struct imlfs_buf *b, const char *s, size_t len, uint32_t *off)
{
	*off = (uint32_t)b->len;   /* defined on failure too, for callers that check later */
	if (b->len + len + 1 > UINT32_MAX) {
		b->failed = true;
		return -1;
	}
	if (imlfs_buf_add(b, s, len))
		return -1;
	b->len++; /* keep the terminating NUL inside the pool */
	return buf_reserve(b, 0);
}

int imlfs_buf_printf(struct imlfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		b->failed = true;
	if (n < 0 || buf_reserve(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int imlfs_buf_check(const struct imlfs_buf *b)
{
	return b->failed ? -ENOMEM : 0;
}

void imlfs_buf_reset(struct imlfs_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
	b->failed = false;
}

void imlfs_buf_free(struct imlfs_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

void *imlfs_array_new(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

char *imlfs_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

int imlfs_grow(void *arrp, size_t size, size_t n, size_t *cap)
{
	void **arr = arrp;
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

int imlfs_read_file(const char *path, char **data, size_t *len)
{
	struct stat st = {0};
	size_t got = 0;
	char *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = errno;
		if (e == 0 || S_ISDIR(st.st_mode))
			e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		return -e;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			free(p);
			close(fd);
			return -e;
		}
		got += (size_t)r;
	}
	close(fd);
	p[got] = '\0';
	*data = p;
	*len = got;
	return 0;
}

int imlfs_map_input(const char *path, const char *what, const char *flag, const char *want,
		    void **map, size_t *len, struct imlfs_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	*map = NULL;
	*len = 0;
	if (fd < 0)
		return imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot open the %s: %s; check the %s path",
				  path, what, strerror(errno), flag);
	if (fstat(fd, &st) < 0)
		e = errno;
	else
		e = S_ISREG(st.st_mode) ? 0 : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	if (e) {
		close(fd);
		return imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot read the %s: %s; give the path of %s",
				  path, what, strerror(e), want);
	}
	if (st.st_size) {
		*map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (*map == MAP_FAILED) {
			e = errno;
			*map = NULL;
			close(fd);
			return imlfs_fail(err, e == ENOMEM ? IMLFS_E_NOMEM : IMLFS_E_MISSING,
					  "%s: cannot map the %s: %s", path, what, strerror(e));
		}
	}
	*len = (size_t)st.st_size;
	close(fd);
	return 0;
}

int imlfs_mkdirs(char *dir, mode_t mode)
{
	if (!*dir)
		return -ENOENT;
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dir, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			return 0;
	}
}

double imlfs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

uint64_t imlfs_hash(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *s = data;
	uint64_t h = seed;

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int imlfs_next_line(const char **pos, const char *end, const char **s, const char **e)
{
	const char *p = *pos, *nl, *eol;

	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	eol = nl ? nl : end;
	*pos = nl ? nl + 1 : end;
	while (p < eol && imlfs_is_blank(*p))
		p++;
	while (eol > p && imlfs_is_blank(eol[-1]))
		eol--;
	*s = p;
	*e = eol;
	return 1;
}

size_t imlfs_line_of(const char *text, size_t len, size_t off)
{
	size_t line = 1;

	if (off > len)
		off = len;
	for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + off - p))); p++)
		line++;
	return line;
}
