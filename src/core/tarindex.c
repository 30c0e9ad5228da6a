/* SPDX-License-Identifier: MIT */
/* tarindex.c — owns imlfs_tar_index: the member table of an uncompressed
 * tarball, built from its headers.
 *
 * libarchive parses the headers (ustar, GNU and pax) through our own
 * callbacks: reads are pread(2)s of at most 4 KiB at a position we track
 * ourselves, and skips only move that position, so the 6.4 GB of image data
 * is never read; the descriptor's file offset is never touched either, since
 * the daemon later serves bytes from the same fd with pread.  The one part of
 * a member we look at is its first few KiB, which the header read has
 * usually brought along, to get the JPEG's size for the sidecars.
 *
 * With the tar format alone, the consumed position after a header is the
 * member's data offset; the unit test checks this against the real bytes for
 * every header flavour.  Compression filters are enabled only to recognise a
 * compressed tarball and say so.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imlfs/jpeg.h"
#include "imlfs/tarindex.h"
#include "imlfs/util.h"

#define READ_CHUNK 4096              /* the most one read callback returns */
#define PROBE_MAX (64 * 1024)        /* JPEG header bytes worth a pread */
#define PROGRESS_EVERY 1000

struct reader {
	int fd;
	uint64_t pos;                /* next byte the read callback returns */
	int read_errno;              /* a pread failure, for the message */
	int past_end;                /* libarchive wanted bytes past the end */
	uint64_t errpos;
	unsigned char buf[READ_CHUNK];
};

struct scan {
	const char *path;
	int fd;
	uint64_t filesize;
	struct archive *a;
	struct reader rd;
	struct imlfs_member *members;
	size_t n, cap;
	struct imlfs_buf names;
	uint64_t next_hdr;           /* where the next header (set) starts */
	uint32_t skipped;
	unsigned char *probe;        /* PROBE_MAX bytes, allocated on first need */
	char last[256];              /* the last entry seen, for messages */
};

static la_ssize_t read_cb(struct archive *a, void *data, const void **out)
{
	struct reader *r = data;
	ssize_t n;

	do
		n = pread(r->fd, r->buf, sizeof r->buf, (off_t)r->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->read_errno = errno;
		r->errpos = r->pos;
		archive_set_error(a, errno, "read error at byte %llu",
				  (unsigned long long)r->pos);
		return -1;
	}
	if (n == 0)
		r->past_end = 1;
	r->pos += (uint64_t)n;
	*out = r->buf;
	return n;
}

/* Skipping past the end is allowed: the next read then reports EOF, and
 * members whose data does not fit in the file are caught by the caller. */
static la_int64_t skip_cb(struct archive *a, void *data, la_int64_t request)
{
	struct reader *r = data;

	r->pos += (uint64_t)request;
	return request;
}

static const char *decompress_hint(int code)
{
	switch (code) {
	case ARCHIVE_FILTER_GZIP: return "gunzip -k";
	case ARCHIVE_FILTER_BZIP2: return "bunzip2 -k";
	case ARCHIVE_FILTER_XZ: return "unxz -k";
	case ARCHIVE_FILTER_LZMA: return "unlzma -k";
	case ARCHIVE_FILTER_ZSTD: return "unzstd";
	case ARCHIVE_FILTER_LZ4: return "lz4 -d";
	case ARCHIVE_FILTER_COMPRESS: return "uncompress";
	default: return NULL;
	}
}

static int fail_compressed(struct scan *s, struct imlfs_error *err)
{
	int code = archive_filter_code(s->a, 0);
	const char *name = archive_filter_name(s->a, 0);
	const char *hint = decompress_hint(code);

	if (hint)
		return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: compressed with %s; imlfs serves "
				  "uncompressed tarballs only: decompress it first (%s %s)",
				  s->path, name, hint, s->path);
	return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: compressed or encoded with %s; imlfs "
			  "serves uncompressed tarballs only: decompress it first",
			  s->path, name);
}

static int fail_read(struct scan *s, struct imlfs_error *err)
{
	return imlfs_fail(err, IMLFS_E_MISSING, "%s: read error at byte %llu: %s; check the "
			  "file and the disk", s->path, (unsigned long long)s->rd.errpos,
			  strerror(s->rd.read_errno));
}

/* A header that libarchive could not read, at byte `pos`. */
static int fail_header(struct scan *s, uint64_t pos, struct imlfs_error *err)
{
	const char *msg = archive_error_string(s->a);

	if (!msg)
		msg = "unreadable header";
	if (s->rd.read_errno)
		return fail_read(s, err);
	if (!s->last[0] && pos == 0)
		return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: not a tar archive (byte 0): %s%s; "
				  "imlfs needs an uncompressed tar file", s->path, msg,
				  s->filesize < 512 ? " (shorter than one tar header)" : "");
	if (s->rd.past_end || pos + 512 > s->filesize || strstr(msg, "runcated"))
		return imlfs_fail(err, IMLFS_E_TRUNCATED, "%s: byte %llu: incomplete tar header "
				  "after member \"%s\" (the file ends at byte %llu): the tarball "
				  "is truncated, the download is probably incomplete; download "
				  "it again", s->path, (unsigned long long)pos, s->last,
				  (unsigned long long)s->filesize);
	return imlfs_fail(err, IMLFS_E_TRUNCATED, "%s: byte %llu: damaged tar header after "
			  "member \"%s\": %s; the tarball is corrupt: download it again",
			  s->path, (unsigned long long)pos, s->last, msg);
}

/* Width, height and components from the member's first bytes: those
 * libarchive already holds, else (a big JPEG header) one pread. */
static int probe_member(struct scan *s, struct imlfs_member *mb)
{
	const void *buf;
	size_t len = 0;
	la_int64_t off;
	ssize_t n;
	int r = archive_read_data_block(s->a, &buf, &len, &off);

	if (r != ARCHIVE_OK || len == 0)
		return r == ARCHIVE_EOF || r == ARCHIVE_OK ? 0 : -1;
	if (imlfs_jpeg_probe(buf, len, &mb->width, &mb->height, &mb->components) == 0)
		return 0;
	/* Not a JPEG (no SOI marker), or nothing more to read: leave 0s. */
	if (len < 3 || memcmp(buf, "\xFF\xD8\xFF", 3) != 0 || mb->size <= len)
		return 0;
	if (!s->probe && !(s->probe = malloc(PROBE_MAX)))
		return -2;
	n = (ssize_t)(mb->size < PROBE_MAX ? mb->size : PROBE_MAX);
	do
		n = pread(s->fd, s->probe, (size_t)n, (off_t)mb->offset);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		s->rd.read_errno = errno;
		s->rd.errpos = mb->offset;
		return -1;
	}
	imlfs_jpeg_probe(s->probe, (size_t)n, &mb->width, &mb->height, &mb->components);
	return 0;
}

static int add_member(struct scan *s, struct archive_entry *e, const char *path,
		      uint64_t hdr, uint64_t data, struct imlfs_error *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	struct imlfs_member *mb;
	int r;

	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: byte %llu: member \"%s\" has no file "
				  "name; imlfs needs a tarball of plain files", s->path,
				  (unsigned long long)hdr, path);
	if (strlen(base) > IMLFS_NAME_MAX || imlfs_stem_len(base) + 5 > IMLFS_NAME_MAX)
		return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: byte %llu: member \"%.40s...\" has a "
				  "file name of %zu bytes; imlfs serves names of at most %d bytes "
				  "(%d before the extension, for the .json sidecar): repack the "
				  "tarball with shorter names", s->path, (unsigned long long)hdr,
				  base, strlen(base), IMLFS_NAME_MAX, IMLFS_NAME_MAX - 5);
	if (imlfs_is_sidecar_name(base, strlen(base)))
		return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: byte %llu: member \"%s\" ends in \".json\", "
				  "the name imlfs gives each image's JSON sidecar, so it would "
				  "hide its own sidecar: repack the tarball without it", s->path,
				  (unsigned long long)hdr, path);
	if (s->n >= UINT32_MAX || imlfs_grow(&s->members, sizeof *s->members, s->n, &s->cap))
		goto nomem;
	mb = &s->members[s->n];
	memset(mb, 0, sizeof *mb);
	mb->offset = data;
	mb->size = (uint64_t)archive_entry_size(e);
	mb->mtime = (int64_t)archive_entry_mtime(e);
	mb->label = IMLFS_NO_LABEL;
	if (imlfs_buf_addstr(&s->names, base, strlen(base), &mb->name))
		goto nomem;
	s->n++;
	if (mb->size == 0)
		return 0;
	r = probe_member(s, mb);
	if (r == -2)
		goto nomem;
	if (r < 0 && s->rd.read_errno)
		return fail_read(s, err);
	if (r < 0)
		return fail_header(s, data, err);
	return 0;
nomem:
	return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory indexing member %zu (\"%s\")",
			  s->path, s->n + 1, path);
}

static int check_entry(struct scan *s, struct archive_entry *e, const char *path,
		       uint64_t hdr, uint64_t data, struct imlfs_error *err)
{
	la_int64_t size = archive_entry_size(e);

	if (size < 0 || data + (uint64_t)size > s->filesize)
		return imlfs_fail(err, IMLFS_E_TRUNCATED, "%s: member \"%s\" (header at byte "
				  "%llu) has %lld bytes of data from byte %llu, but the file ends "
				  "at byte %llu: the tarball is truncated, the download is "
				  "probably incomplete; download it again", s->path, path,
				  (unsigned long long)hdr, (long long)size,
				  (unsigned long long)data, (unsigned long long)s->filesize);
	return 0;
}

/* One header: record it if it is a regular file, count it otherwise. */
static int one_entry(struct scan *s, struct archive_entry *e, struct imlfs_error *err)
{
	uint64_t hdr = s->next_hdr;
	uint64_t data = (uint64_t)archive_filter_bytes(s->a, 0);
	const char *path = archive_entry_pathname(e);

	if (!path)
		path = archive_entry_pathname_utf8(e);
	if (!path)
		return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: byte %llu: a member name cannot be "
				  "decoded; imlfs needs a tarball of plain files", s->path,
				  (unsigned long long)hdr);
	snprintf(s->last, sizeof s->last, "%s", path);
	/* Checked first: a sparse member's size is larger than its data. */
	if (archive_entry_sparse_count(e) > 0)
		return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: byte %llu: member \"%s\" is a sparse "
				  "file, which imlfs cannot serve; repack the tarball without "
				  "--sparse", s->path, (unsigned long long)hdr, path);
	if (check_entry(s, e, path, hdr, data, err))
		return -1;
	s->next_hdr = data + ((uint64_t)archive_entry_size(e) + 511) / 512 * 512;
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) {
		s->skipped++;
		return 0;
	}
	return add_member(s, e, path, hdr, data, err);
}

/* A tarball cut exactly between two members reads like a shorter, valid
 * one: only the missing end-of-archive marker (two zero blocks) tells. */
static int check_end_marker(struct scan *s, struct imlfs_error *err)
{
	unsigned char zeros[1024];
	ssize_t r = -1;

	if (s->next_hdr + sizeof zeros <= s->filesize)
		r = pread(s->fd, zeros, sizeof zeros, (off_t)s->next_hdr);
	if (r == (ssize_t)sizeof zeros) {
		size_t i = 0;

		while (i < sizeof zeros && zeros[i] == 0)
			i++;
		if (i == sizeof zeros)
			return 0;
	}
	return imlfs_fail(err, IMLFS_E_TRUNCATED, "%s: byte %llu: the tarball ends without its "
			  "end-of-archive marker after member \"%s\": it is truncated, the download "
			  "is probably incomplete; download it again", s->path,
			  (unsigned long long)s->next_hdr, s->last);
}

static int scan_entries(struct scan *s, imlfs_progress_fn progress, void *ctx,
			struct imlfs_error *err)
{
	struct archive_entry *e;
	int r;

	for (;;) {
		r = archive_read_next_header(s->a, &e);
		if (r == ARCHIVE_EOF)
			return check_end_marker(s, err);
		/* ARCHIVE_RETRY is a bad checksum: the rest cannot be trusted. */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return fail_header(s, s->next_hdr, err);
		if (one_entry(s, e, err))
			return -1;
		if (progress && s->n && s->n % PROGRESS_EVERY == 0)
			progress(ctx, (uint32_t)s->n,
				 s->rd.pos < s->filesize ? s->rd.pos : s->filesize, s->filesize);
	}
}

static int cmp_members(const void *pa, const void *pb, void *pool)
{
	const struct imlfs_member *a = pa, *b = pb;

	return strcmp((const char *)pool + a->name, (const char *)pool + b->name);
}

static int sort_members(struct scan *s, struct imlfs_error *err)
{
	const char *pool = s->names.p;

	qsort_r(s->members, s->n, sizeof *s->members, cmp_members, s->names.p);
	for (size_t i = 1; i < s->n; i++) {
		const struct imlfs_member *a = &s->members[i - 1], *b = &s->members[i];

		if (strcmp(pool + a->name, pool + b->name) == 0)
			return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: two members are named \"%s\" "
					  "(data at byte %llu and at byte %llu); imlfs needs "
					  "unique file names: repack the tarball without "
					  "duplicates", s->path, pool + a->name,
					  (unsigned long long)(a->offset < b->offset ? a->offset : b->offset),
					  (unsigned long long)(a->offset < b->offset ? b->offset : a->offset));
	}
	return 0;
}

static int open_archive(struct scan *s, struct imlfs_error *err)
{
	s->a = archive_read_new();
	if (!s->a)
		return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", s->path);
	archive_read_support_format_tar(s->a);
	archive_read_support_filter_all(s->a);
	archive_read_set_read_callback(s->a, read_cb);
	archive_read_set_skip_callback(s->a, skip_cb);
	archive_read_set_callback_data(s->a, &s->rd);
	if (archive_read_open1(s->a) != ARCHIVE_OK) {
		if (s->rd.read_errno)
			return fail_read(s, err);
		return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: not a tar archive (byte 0): %s; imlfs "
				  "needs an uncompressed tar file", s->path,
				  archive_error_string(s->a) ? archive_error_string(s->a) : "unreadable");
	}
	if (archive_filter_code(s->a, 0) != ARCHIVE_FILTER_NONE)
		return fail_compressed(s, err);
	return 0;
}

static int scan(struct scan *s, imlfs_progress_fn progress, void *ctx, struct imlfs_error *err)
{
	struct stat st;
	int r;

	if (fstat(s->fd, &st) != 0)
		return imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot stat: %s", s->path,
				  strerror(errno));
	s->filesize = (uint64_t)st.st_size;
	if (s->filesize == 0)
		return imlfs_fail(err, IMLFS_E_TRUNCATED, "%s: the file is empty (0 bytes): the "
				  "download is probably incomplete; download it again", s->path);
	/* Without this, each 4 KiB header read would make the kernel read ahead
	 * tens of KiB of image data on a cold cache; undone once indexed. */
	posix_fadvise(s->fd, 0, 0, POSIX_FADV_RANDOM);
	r = open_archive(s, err) || scan_entries(s, progress, ctx, err) ? -1 : 0;
	posix_fadvise(s->fd, 0, 0, POSIX_FADV_NORMAL);
	if (r)
		return -1;
	if (s->n == 0)
		return imlfs_fail(err, IMLFS_E_NOTTAR, "%s: the tar archive has no regular files "
				  "(%u other entries); imlfs needs a tarball of image files",
				  s->path, s->skipped);
	if (progress)
		progress(ctx, (uint32_t)s->n, s->filesize, s->filesize);
	return sort_members(s, err);
}

int imlfs_tar_index(struct imlfs_model *m, const char *path, int fd,
		    imlfs_progress_fn progress, void *ctx, struct imlfs_error *err)
{
	struct scan *s = calloc(1, sizeof *s);
	int r;

	if (!s)
		return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", path);
	s->path = path;
	s->fd = fd;
	s->rd.fd = fd;
	r = scan(s, progress, ctx, err);
	if (s->a)
		archive_read_free(s->a);
	free(s->probe);
	if (r == 0) {
		free(m->members);
		free(m->names);
		m->members = s->members;
		m->nmembers = (uint32_t)s->n;
		m->names = s->names.p;
		m->names_len = (uint32_t)s->names.len;
		m->stats.tar_skipped = s->skipped;
	} else {
		free(s->members);
		imlfs_buf_free(&s->names);
	}
	free(s);
	return r;
}
