/* SPDX-License-Identifier: MIT */
/* test-tarindex.c — the tar index and the JPEG probe, on tarballs written
 * here with libarchive (ustar, GNU and pax headers) holding real JPEGs made
 * with TurboJPEG; every data offset is checked against the bytes on disk.
 * Reads and allocations fail on cue through the linker's --wrap (see the
 * end), for the messages of a failed read and of running out of memory. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "imlfs/jpeg.h"
#include "imlfs/tarindex.h"
#include "testutil.h"

enum kind { FILE_, DIR_, SYMLINK_, HARDLINK_, SPARSE_ };

struct ent {
	const char *path;
	enum kind kind;
	const unsigned char *data;
	size_t len;
	int64_t mtime;
};

struct blob {
	unsigned char *p;
	size_t len;
};

/* ---- test data ---- */

/* A w x h JPEG of a fixed pattern in pixel format pf (RGB, GRAY or CMYK). */
static struct blob make_jpeg(int w, int h, int pf, int subsamp)
{
	int ps = tjPixelSize[pf];
	unsigned char *px = malloc((size_t)w * h * ps), *jpg = NULL;
	unsigned long len = 0;
	tjhandle tj = tjInitCompress();
	struct blob b = {0};

	if (!px || !tj)
		exit(99);
	for (int i = 0; i < w * h * ps; i++)
		px[i] = (unsigned char)(i * 37 % 251);
	if (tjCompress2(tj, px, w, 0, h, pf, &jpg, &len, subsamp, 85, 0) != 0) {
		fprintf(stderr, "tjCompress2: %s\n", tjGetErrorStr2(tj));
		exit(99);
	}
	b.p = malloc(len);
	if (!b.p)
		exit(99);
	memcpy(b.p, jpg, len);
	b.len = len;
	tjFree(jpg);
	tjDestroy(tj);
	free(px);
	return b;
}

/* The JPEG with a comment segment of `pad` bytes right after SOI, so that
 * its frame header lies beyond the first 4 KiB (as with big EXIF blocks);
 * `tail` zero bytes are appended to make a big member. */
static struct blob pad_jpeg(struct blob j, size_t pad, size_t tail)
{
	struct blob b = {malloc(j.len + pad + 4 + tail), j.len + pad + 4 + tail};
	unsigned char *q = b.p;

	if (!q || pad + 2 > 65535)
		exit(99);
	memcpy(q, j.p, 2);
	q += 2;
	*q++ = 0xFF;
	*q++ = 0xFE;
	*q++ = (unsigned char)((pad + 2) >> 8);
	*q++ = (unsigned char)((pad + 2) & 0xFF);
	memset(q, 'c', pad);
	q += pad;
	memcpy(q, j.p + 2, j.len - 2);
	memset(q + j.len - 2, 0, tail);
	return b;
}

/* ---- writing tarballs ---- */

static void write_entry(struct archive *a, const struct ent *x)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, x->path);
	archive_entry_set_mtime(e, x->mtime, 0);
	archive_entry_set_perm(e, x->kind == DIR_ ? 0755 : 0644);
	switch (x->kind) {
	case DIR_:
		archive_entry_set_filetype(e, AE_IFDIR);
		break;
	case SYMLINK_:
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, "target.JPEG");
		break;
	case HARDLINK_:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, "target.JPEG");
		break;
	case SPARSE_:
		/* A hole, then the data: the file is larger than its data. */
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, 1 << 20);
		archive_entry_sparse_add_entry(e, (1 << 20) - 4096, 4096);
		break;
	default:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, (la_int64_t)x->len);
	}
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		fprintf(stderr, "write header %s: %s\n", x->path, archive_error_string(a));
		exit(99);
	}
	if (x->kind == SPARSE_) {
		static unsigned char block[4096];

		archive_write_data(a, block, sizeof block);
	} else if (x->kind == FILE_ && x->len &&
		   archive_write_data(a, x->data, x->len) != (la_ssize_t)x->len) {
		fprintf(stderr, "write data %s: %s\n", x->path, archive_error_string(a));
		exit(99);
	}
	archive_entry_free(e);
}

static const char *write_tar(const char *name, int format, int gzip,
			     const struct ent *ents, size_t n)
{
	const char *path = tu_path(name);
	struct archive *a = archive_write_new();

	archive_write_set_format(a, format);
	if (gzip)
		archive_write_add_filter_gzip(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
		fprintf(stderr, "%s: %s\n", path, archive_error_string(a));
		exit(99);
	}
	for (size_t i = 0; i < n; i++)
		write_entry(a, &ents[i]);
	archive_write_close(a);
	archive_write_free(a);
	return path;
}

/* Copy the first `len` bytes of src to a new file and return its path. */
static const char *copy_prefix(const char *src, const char *name, off_t len)
{
	const char *dst = tu_path(name);
	char *buf = malloc((size_t)len + 1);
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (!buf || in < 0 || out < 0 || pread(in, buf, (size_t)len, 0) != len ||
	    write(out, buf, (size_t)len) != len)
		exit(99);
	close(in);
	close(out);
	free(buf);
	return dst;
}

/* ---- indexing ---- */

static int index_file(struct imlfs_model *m, const char *path, struct imlfs_error *err)
{
	int fd = open(path, O_RDONLY), r;

	memset(m, 0, sizeof *m);
	memset(err, 0, sizeof *err);
	if (fd < 0) {
		perror(path);
		exit(99);
	}
	r = imlfs_tar_index(m, path, fd, NULL, NULL, err);
	close(fd);
	return r;
}

/* Index `path`, expecting failure `code` with a message naming the file and
 * containing `want` (and `want2` when given). */
static void expect_fail(const char *path, int code, const char *want, const char *want2)
{
	struct imlfs_model m;
	struct imlfs_error err;

	CHECK_EQ(index_file(&m, path, &err), -1);
	CHECK_EQ(err.code, code);
	CHECK(strstr(err.msg, path) != NULL);
	CHECK(strstr(err.msg, want) != NULL);
	CHECK(!want2 || strstr(err.msg, want2) != NULL);
	if (err.code != code || !strstr(err.msg, want) || (want2 && !strstr(err.msg, want2)))
		fprintf(stderr, "  message was: %s\n", err.msg);
	CHECK(m.members == NULL && m.names == NULL && m.nmembers == 0);
	imlfs_model_free(&m);
}

static int64_t find(const struct imlfs_model *m, const char *name)
{
	for (uint32_t i = 0; i < m->nmembers; i++)
		if (!strcmp(imlfs_member_name(m, i), name))
			return i;
	return -1;
}

/* The member named `name` has these bytes at its offset, this mtime and
 * these image facts. */
static void check_member(const struct imlfs_model *m, int fd, const char *name,
			 const struct ent *x, int w, int h, int comp)
{
	int64_t i = find(m, name);
	const struct imlfs_member *mb;
	unsigned char *buf;

	CHECK(i >= 0);
	if (i < 0) {
		fprintf(stderr, "  member %s missing\n", name);
		return;
	}
	mb = &m->members[i];
	CHECK_EQ(mb->size, x->len);
	CHECK_EQ(mb->mtime, x->mtime);
	CHECK_EQ(mb->width, w);
	CHECK_EQ(mb->height, h);
	CHECK_EQ(mb->components, comp);
	CHECK_EQ(mb->label, IMLFS_NO_LABEL);
	CHECK_EQ(mb->flags, 0);
	CHECK_EQ(mb->n_correct + mb->n_unclear + mb->n_wrong + mb->ml, 0);
	buf = malloc(x->len + 1);
	CHECK(buf && pread(fd, buf, x->len, (off_t)mb->offset) == (ssize_t)x->len);
	CHECK(buf && (!x->len || memcmp(buf, x->data, x->len) == 0));
	if (buf && x->len && memcmp(buf, x->data, x->len) != 0)
		fprintf(stderr, "  %s: bytes at offset %llu differ\n", name,
			(unsigned long long)mb->offset);
	free(buf);
}

static void check_sorted(const struct imlfs_model *m)
{
	for (uint32_t i = 1; i < m->nmembers; i++)
		CHECK(strcmp(imlfs_member_name(m, i - 1), imlfs_member_name(m, i)) < 0);
}

/* ---- the tests ---- */

static struct blob rgb, gray, cmyk, big, text;

static void test_probe(void)
{
	uint16_t w = 7, h = 7;
	uint8_t c = 7;

	CHECK_EQ(imlfs_jpeg_probe(rgb.p, rgb.len, &w, &h, &c), 0);
	CHECK_EQ(w, 33);
	CHECK_EQ(h, 17);
	CHECK_EQ(c, 3);
	CHECK_EQ(imlfs_jpeg_probe(gray.p, gray.len, &w, &h, &c), 0);
	CHECK_EQ(w, 20);
	CHECK_EQ(h, 10);
	CHECK_EQ(c, 1);
	CHECK_EQ(imlfs_jpeg_probe(cmyk.p, cmyk.len, &w, &h, &c), 0);
	CHECK_EQ(w, 16);
	CHECK_EQ(h, 24);
	CHECK_EQ(c, 4);
	/* Too few bytes, then not a JPEG: outputs untouched. */
	w = h = 7;
	c = 7;
	CHECK_EQ(imlfs_jpeg_probe(big.p, 4096, &w, &h, &c), -1);
	CHECK_EQ(imlfs_jpeg_probe(text.p, text.len, &w, &h, &c), -1);
	CHECK_EQ(imlfs_jpeg_probe(rgb.p, 2, &w, &h, &c), -1);
	CHECK_EQ(imlfs_jpeg_probe(NULL, 0, &w, &h, &c), -1);
	CHECK(w == 7 && h == 7 && c == 7);
	/* The handle still works after failures. */
	CHECK_EQ(imlfs_jpeg_probe(big.p, big.len, &w, &h, &c), 0);
	CHECK_EQ(w, 33);
}

/* Offset of the first marker `m` (0xFF m) in a JPEG, or exit. */
static size_t marker_at(struct blob j, unsigned char m)
{
	for (size_t i = 2; i + 1 < j.len; i++)
		if (j.p[i] == 0xFF && j.p[i + 1] == m)
			return i;
	fprintf(stderr, "no marker 0x%02x\n", m);
	exit(99);
}

/* Headers libjpeg reads but TurboJPEG 2.1's tjDecompressHeader3 reports as
 * failures after filling in the size: the facts are still known, and PIL
 * opens such images.  Only the header matters to the probe, so the frame
 * header of a 4:4:4 JPEG is edited in place (its scan no longer matches). */
static void test_probe_after_turbojpeg_complains(void)
{
	struct blob j = make_jpeg(24, 16, TJPF_RGB, TJSAMP_444);
	struct blob junk = {malloc(j.len + 3), j.len + 3};
	size_t sof = marker_at(j, 0xC0), dqt = marker_at(j, 0xDB);
	uint16_t w = 7, h = 7;
	uint8_t c = 7;

	if (!junk.p)
		exit(99);
	/* Y 2x2, Cb 1x1, Cr 2x1 (the H/V bytes of the frame header's first
	 * and third components): Cb and Cr of different sizes, which TurboJPEG
	 * cannot name ("could not determine subsampling type"). */
	CHECK_EQ(j.p[sof + 11], 0x11);
	j.p[sof + 11] = 0x22;
	j.p[sof + 17] = 0x21;
	CHECK_EQ(imlfs_jpeg_probe(j.p, j.len, &w, &h, &c), 0);
	CHECK(w == 24 && h == 16 && c == 3);
	/* Junk before a marker: libjpeg warns ("extraneous bytes"), decodes. */
	j.p[sof + 11] = j.p[sof + 17] = 0x11;
	memcpy(junk.p, j.p, dqt);
	memcpy(junk.p + dqt, "\x01\x02\x03", 3);
	memcpy(junk.p + dqt + 3, j.p + dqt, j.len - dqt);
	w = h = c = 7;
	CHECK_EQ(imlfs_jpeg_probe(junk.p, junk.len, &w, &h, &c), 0);
	CHECK(w == 24 && h == 16 && c == 3);
	/* A sampling factor libjpeg refuses (5) still fails, outputs untouched. */
	j.p[sof + 11] = 0x51;
	w = h = c = 7;
	CHECK_EQ(imlfs_jpeg_probe(j.p, j.len, &w, &h, &c), -1);
	CHECK(w == 7 && h == 7 && c == 7);
	free(j.p);
	free(junk.p);
}

/* A tarball of one header flavour; `longdir` makes names that need
 * the flavour's long-name mechanism. */
static void test_format(int format, const char *fname, const char *longdir)
{
	char p1[400], p2[400], p3[400];
	struct ent ents[] = {
		{"val/", DIR_, NULL, 0, 1000},
		{"./b.JPEG", FILE_, rgb.p, rgb.len, 1200000000},
		{p1, FILE_, gray.p, gray.len, 1300000000},
		{p2, FILE_, text.p, text.len, 1400000000},
		{"big.JPEG", FILE_, big.p, big.len, 1500000000},
		{p3, FILE_, cmyk.p, cmyk.len, 1600000000},
		{"link", SYMLINK_, NULL, 0, 1},
		{"hard", HARDLINK_, NULL, 0, 1},
		{"empty.JPEG", FILE_, NULL, 0, 1700000000},
	};
	struct imlfs_model m;
	struct imlfs_error err;
	const char *path;
	int fd;

	snprintf(p1, sizeof p1, "val/%sa.JPEG", longdir);
	snprintf(p2, sizeof p2, "val/%sc.txt", longdir);
	snprintf(p3, sizeof p3, "%scmyk_with_a_rather_long_file_name_%s.JPEG", longdir, longdir);
	for (char *q = p3 + strlen(longdir); *q; q++)
		if (*q == '/')
			*q = '_';
	path = write_tar(fname, format, 0, ents, sizeof ents / sizeof *ents);
	CHECK_EQ(index_file(&m, path, &err), 0);
	if (err.code)
		fprintf(stderr, "  %s: %s\n", fname, err.msg);
	CHECK_EQ(m.nmembers, 6);
	CHECK_EQ(m.stats.tar_skipped, 3);
	check_sorted(&m);
	fd = open(path, O_RDONLY);
	check_member(&m, fd, "a.JPEG", &ents[2], 20, 10, 1);
	check_member(&m, fd, "b.JPEG", &ents[1], 33, 17, 3);
	check_member(&m, fd, "big.JPEG", &ents[4], 33, 17, 3);
	check_member(&m, fd, "c.txt", &ents[3], 0, 0, 0);
	check_member(&m, fd, strrchr(p3, '/') ? strrchr(p3, '/') + 1 : p3, &ents[5], 16, 24, 4);
	check_member(&m, fd, "empty.JPEG", &ents[8], 0, 0, 0);
	CHECK_STR(imlfs_member_name(&m, 0), "a.JPEG");
	CHECK_STR(imlfs_member_name(&m, 5), "empty.JPEG");
	CHECK_EQ(m.names[m.names_len - 1], '\0');
	CHECK(m.name_tab == NULL);  /* imlfs_model_finish is the caller's */
	close(fd);
	imlfs_model_free(&m);
}

static void test_formats(void)
{
	const char *d60 = "directory_name_that_is_long_enough_to_need_an_extension_1/";
	char d150[200];

	snprintf(d150, sizeof d150, "%sanother_directory_with_a_long_name_too_2/%s", d60,
		 "third_directory_name_3/");
	test_format(ARCHIVE_FORMAT_TAR_USTAR, "ustar.tar", "");
	test_format(ARCHIVE_FORMAT_TAR_USTAR, "ustar-prefix.tar", d60);
	test_format(ARCHIVE_FORMAT_TAR_GNUTAR, "gnu.tar", d150);
	test_format(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, "pax.tar", d150);
	test_format(ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, "paxi.tar", d60);
}

static const struct ent basic[] = {
	{"val/", DIR_, NULL, 0, 1},
	{"val/x1.JPEG", FILE_, NULL, 0, 1},
	{"val/x2.JPEG", FILE_, NULL, 0, 1},
	{"val/x3.JPEG", FILE_, NULL, 0, 1},
};

static const char *basic_tar(const char *name, int format, int gzip)
{
	struct ent e[4];

	memcpy(e, basic, sizeof e);
	for (int i = 1; i < 4; i++) {
		e[i].data = big.p;
		e[i].len = big.len;
	}
	return write_tar(name, format, gzip, e, 4);
}

static void test_not_tar(void)
{
	const char *p;
	struct ent dirs[] = {{"a/", DIR_, NULL, 0, 1}, {"a/b", SYMLINK_, NULL, 0, 1}};
	char junk[3000];

	p = basic_tar("gz.tar.gz", ARCHIVE_FORMAT_TAR_USTAR, 1);
	expect_fail(p, IMLFS_E_NOTTAR, "decompress", "gzip");
	memset(junk, 'x', sizeof junk);
	junk[sizeof junk - 1] = '\0';
	p = tu_write("junk.tar", junk);
	expect_fail(p, IMLFS_E_NOTTAR, "not a tar archive (byte 0)", NULL);
	p = tu_write("short.tar", "hello\n");
	expect_fail(p, IMLFS_E_NOTTAR, "not a tar archive (byte 0)", NULL);
	p = write_tar("empty.tar", ARCHIVE_FORMAT_TAR_USTAR, 0, NULL, 0);
	expect_fail(p, IMLFS_E_NOTTAR, "no regular files", NULL);
	p = write_tar("dirs.tar", ARCHIVE_FORMAT_TAR_GNUTAR, 0, dirs, 2);
	expect_fail(p, IMLFS_E_NOTTAR, "no regular files", "2 other");
}

static void test_duplicates_sparse(void)
{
	struct ent dup[] = {
		{"./x.JPEG", FILE_, NULL, 0, 1},
		{"y.JPEG", FILE_, NULL, 0, 1},
		{"val/x.JPEG", FILE_, NULL, 0, 1},
	};
	struct ent sparse[] = {
		{"y.JPEG", FILE_, NULL, 0, 1},
		{"holes.bin", SPARSE_, NULL, 0, 1},
	};
	const char *p;

	dup[0].data = dup[1].data = dup[2].data = rgb.p;
	dup[0].len = dup[1].len = dup[2].len = rgb.len;
	sparse[0].data = rgb.p;
	sparse[0].len = rgb.len;
	p = write_tar("dup.tar", ARCHIVE_FORMAT_TAR_USTAR, 0, dup, 3);
	/* Data of member k starts at 512 * (k + 1) + padded sizes before it. */
	{
		size_t pad = (rgb.len + 511) / 512 * 512;
		char a[40], b[40];

		snprintf(a, sizeof a, "byte %zu", (size_t)512);
		snprintf(b, sizeof b, "byte %zu", 3 * 512 + 2 * pad);
		expect_fail(p, IMLFS_E_NOTTAR, a, b);
		expect_fail(p, IMLFS_E_NOTTAR, "\"x.JPEG\"", NULL);
	}
	p = write_tar("sparse.tar", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, 0, sparse, 2);
	expect_fail(p, IMLFS_E_NOTTAR, "sparse", "holes.bin");
}

/* A member named like a sidecar ("X.json") would share its name with its
 * own sidecar: refused.  ".json" alone is a stem, whose sidecar is
 * ".json.json", so it stays a member. */
static void test_sidecar_named_member(void)
{
	struct ent ents[] = {
		{"val/y.JPEG", FILE_, NULL, 0, 1},
		{"val/n01.x.json", FILE_, NULL, 0, 1},
	};
	struct imlfs_model m;
	struct imlfs_error err;

	ents[0].data = ents[1].data = rgb.p;
	ents[0].len = ents[1].len = rgb.len;
	expect_fail(write_tar("json.tar", ARCHIVE_FORMAT_TAR_USTAR, 0, ents, 2), IMLFS_E_NOTTAR,
		    "\"val/n01.x.json\" ends in \".json\"", "sidecar");
	ents[1].path = "val/.json";
	CHECK_EQ(index_file(&m, write_tar("dotjson.tar", ARCHIVE_FORMAT_TAR_USTAR, 0, ents, 2), &err), 0);
	CHECK_EQ(m.nmembers, 2);
	imlfs_model_free(&m);
}

static void test_truncated(void)
{
	const char *full = basic_tar("full.tar", ARCHIVE_FORMAT_TAR_USTAR, 0);
	const char *pax;
	struct imlfs_model m;
	struct imlfs_error err;
	uint64_t x2;
	char where[64];
	struct ent longpax[] = {{NULL, FILE_, NULL, 0, 1}, {NULL, FILE_, NULL, 0, 1}};
	char n1[300], n2[310];

	CHECK_EQ(index_file(&m, full, &err), 0);
	CHECK_EQ(m.nmembers, 3);
	x2 = m.nmembers == 3 ? m.members[1].offset : 0;  /* val/x2.JPEG */
	imlfs_model_free(&m);
	expect_fail(tu_write("zero.tar", ""), IMLFS_E_TRUNCATED, "empty", "incomplete");
	/* Cut inside x2's data. */
	snprintf(where, sizeof where, "byte %llu", (unsigned long long)x2);
	expect_fail(copy_prefix(full, "cut-data.tar", (off_t)(x2 + 100)), IMLFS_E_TRUNCATED,
		    "val/x2.JPEG", where);
	expect_fail(copy_prefix(full, "cut-data.tar", (off_t)(x2 + 100)), IMLFS_E_TRUNCATED,
		    "incomplete", NULL);
	/* Cut inside x3's header (which follows x2's padded data). */
	x2 += (big.len + 511) / 512 * 512;
	snprintf(where, sizeof where, "byte %llu", (unsigned long long)x2);
	expect_fail(copy_prefix(full, "cut-header.tar", (off_t)(x2 + 200)), IMLFS_E_TRUNCATED,
		    where, "incomplete");
	expect_fail(copy_prefix(full, "cut-header.tar", (off_t)(x2 + 200)), IMLFS_E_TRUNCATED,
		    "after member \"val/x2.JPEG\"", NULL);
	/* Cut inside a pax extended header's body. */
	memset(n1, 'n', sizeof n1);
	n1[240] = '\0';   /* long enough for pax, short enough to serve */
	snprintf(n2, sizeof n2, "%s2", n1);
	longpax[0].path = n1;
	longpax[1].path = n2;
	longpax[0].data = longpax[1].data = rgb.p;
	longpax[0].len = longpax[1].len = rgb.len;
	pax = write_tar("pax-long.tar", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, 0, longpax, 2);
	CHECK_EQ(index_file(&m, pax, &err), 0);
	CHECK_EQ(m.nmembers, 2);
	x2 = m.nmembers == 2 ? m.members[0].offset + (rgb.len + 511) / 512 * 512 : 0;
	imlfs_model_free(&m);
	expect_fail(copy_prefix(pax, "cut-pax.tar", (off_t)(x2 + 600)), IMLFS_E_TRUNCATED,
		    "truncated", NULL);
	/* A name Linux cannot open (over 255 bytes) is refused, not listed. */
	memset(n1, 'n', sizeof n1);
	n1[sizeof n1 - 1] = '\0';
	expect_fail(write_tar("pax-toolong.tar", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, 0, longpax, 1),
		    IMLFS_E_NOTTAR, "file name of 299 bytes", "at most 255 bytes");
}

/* A header whose checksum no longer matches, in the middle of the file. */
static void test_damaged(void)
{
	const char *full = basic_tar("damaged.tar", ARCHIVE_FORMAT_TAR_USTAR, 0);
	struct imlfs_model m;
	struct imlfs_error err;
	uint64_t x2;
	int fd;

	CHECK_EQ(index_file(&m, full, &err), 0);
	x2 = m.nmembers == 3 ? m.members[1].offset : 1024;
	imlfs_model_free(&m);
	fd = open(full, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "Q", 1, (off_t)(x2 - 512 + 5)) == 1);
	close(fd);
	expect_fail(full, IMLFS_E_TRUNCATED, "damaged", "after member \"val/x1.JPEG\"");
}

static void test_read_error(void)
{
	struct imlfs_model m = {0};
	struct imlfs_error err = {0};
	int fd = open(tu_tmpdir(), O_RDONLY | O_DIRECTORY);

	CHECK_EQ(imlfs_tar_index(&m, "DIR.tar", fd, NULL, NULL, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_MISSING);
	CHECK(strstr(err.msg, "DIR.tar: read error at byte 0") != NULL);
	close(fd);
	imlfs_model_free(&m);
}

static uint64_t rchar(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	unsigned long long v = 0;

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "rchar: %llu", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* Big members: the index reads a small fraction of the file. */
static void test_reads_little(void)
{
	enum { N = 40 };
	struct ent ents[N];
	char names[N][32];
	struct blob huge = pad_jpeg(rgb, 100, 400 * 1024);
	struct imlfs_model m;
	struct imlfs_error err;
	const char *path;
	struct stat st;
	uint64_t before, used;

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "./val/img%03d.JPEG", N - i);
		ents[i] = (struct ent){names[i], FILE_, huge.p, huge.len, i};
	}
	ents[N / 2].data = big.p;   /* one needing the extra pread */
	ents[N / 2].len = big.len;
	path = write_tar("bigmembers.tar", ARCHIVE_FORMAT_TAR_GNUTAR, 0, ents, N);
	before = rchar();
	CHECK_EQ(index_file(&m, path, &err), 0);
	used = rchar() - before;
	CHECK(stat(path, &st) == 0);
	fprintf(stderr, "tarindex read %llu of %llu bytes\n", (unsigned long long)used,
		(unsigned long long)st.st_size);
	CHECK(before > 0);
	CHECK(used > 0 && used < (uint64_t)st.st_size / 50);
	CHECK_EQ(m.nmembers, N);
	CHECK_STR(imlfs_member_name(&m, 0), "img001.JPEG");
	for (uint32_t i = 0; i < m.nmembers; i++)
		CHECK(m.members[i].width == 33 && m.members[i].height == 17);
	imlfs_model_free(&m);
	free(huge.p);
}

struct progress_log {
	uint32_t calls, last, odd;
	uint64_t done, total;
};

static void on_progress(void *ctx, uint32_t members, uint64_t done, uint64_t total)
{
	struct progress_log *p = ctx;

	p->calls++;
	CHECK(members >= p->last && done <= total);
	if (members % 1000)
		p->odd = members;
	p->last = members;
	p->done = done;
	p->total = total;
}

/* 50,000 small members, shuffled, with progress (the cold index time is
 * measured by the bench, not here). */
static void test_many(void)
{
	enum { N = 50000 };
	const char *path = tu_path("many.tar");
	struct archive *a = archive_write_new();
	struct progress_log log = {0};
	struct imlfs_model m = {0};
	struct imlfs_error err = {0};
	int fd;

	archive_write_set_format_gnutar(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		exit(99);
	for (int i = 0; i < N; i++) {
		char name[64];
		struct ent x = {name, FILE_, gray.p, gray.len, i};

		/* Written in a shuffled order (fixed stride) to exercise the sort. */
		snprintf(name, sizeof name, "ILSVRC2012_val_%08d.JPEG", (i * 7919) % N + 1);
		write_entry(a, &x);
	}
	archive_write_close(a);
	archive_write_free(a);
	fd = open(path, O_RDONLY);
	CHECK_EQ(imlfs_tar_index(&m, path, fd, on_progress, &log, &err), 0);
	CHECK_EQ(m.nmembers, N);
	CHECK(log.calls >= N / 1000 && log.calls <= N / 1000 + 1);
	CHECK_EQ(log.odd, 0);     /* every 1,000 members: the counts a user sees are round */
	CHECK_EQ(log.last, N);
	CHECK(log.total > 0 && log.done == log.total);
	check_sorted(&m);
	CHECK_STR(imlfs_member_name(&m, 0), "ILSVRC2012_val_00000001.JPEG");
	CHECK_STR(imlfs_member_name(&m, N - 1), "ILSVRC2012_val_00050000.JPEG");
	CHECK(m.members[N - 1].width == 20 && m.members[N - 1].components == 1);
	close(fd);
	unlink(path);
	imlfs_model_free(&m);
}

/* ---- rules pinned with a failing read or allocation ---- */

/* Pins that a damaged header is reported with libarchive's own reason,
 * not a generic one: the reason tells a bad checksum from other damage. */
static void test_damaged_reason(void)
{
	unsigned char t[512 * 6] = {0};
	const char *path = tu_path("damaged-reason.tar");
	struct imlfs_model m;
	struct imlfs_error err = {0};
	int fd;

	tu_ustar(t, "val/x1.JPEG", 3, 0);
	memcpy(t + 512, "abc", 3);
	tu_ustar(t + 1024, "val/x2.JPEG", 3, 0);
	t[1024 + 5] ^= 1;                      /* the checksum no longer matches */
	memcpy(t + 1536, "def", 3);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, t, sizeof t) == (ssize_t)sizeof t);
	close(fd);
	fd = open(path, O_RDONLY);
	memset(&m, 0, sizeof m);
	CHECK_EQ(imlfs_tar_index(&m, path, fd, NULL, NULL, &err), -1);
	close(fd);
	CHECK(strstr(err.msg, "after member \"val/x1.JPEG\": Damaged tar archive;") != NULL);
	if (!strstr(err.msg, "Damaged tar archive"))
		fprintf(stderr, "  message was: %s\n", err.msg);
	imlfs_model_free(&m);
}

/* Linked with -Wl,--wrap=pread64 (meson.build), so that the index's own
 * reads can fail on cue. */
ssize_t __real_pread64(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off);
static int fail_big_reads;   /* fail every pread of more than 4 KiB with EIO */

ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off)
{
	if (fail_big_reads && n > 4096) {
		errno = EIO;
		return -1;
	}
	return __real_pread64(fd, buf, n, off);
}

/* Pins that a read error while reading a big JPEG's header fails the index
 * with the byte where it happened, like any other read error: never an
 * index that silently lacks the image's size.  The JPEG's frame header lies
 * beyond the first 8 KiB (a big comment segment first, as big EXIF blocks
 * do), so that the index reads its header with a pread of its own. */
static void test_probe_read_error(void)
{
	const char *path = tu_path("big.tar");
	struct imlfs_model m;
	struct imlfs_error err = {0};
	struct blob small = make_jpeg(33, 17, TJPF_RGB, TJSAMP_444);
	struct blob jpg = pad_jpeg(small, 9000, 0);
	size_t tlen = 512 + (jpg.len + 511) / 512 * 512 + 1024;
	unsigned char *t = calloc(1, tlen);
	int fd, r;

	if (!t)
		exit(99);
	tu_ustar(t, "val/big.JPEG", (unsigned)jpg.len, 0);
	memcpy(t + 512, jpg.p, jpg.len);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, t, tlen) == (ssize_t)tlen);
	close(fd);
	free(t);
	free(jpg.p);
	free(small.p);

	fd = open(path, O_RDONLY);
	memset(&m, 0, sizeof m);
	CHECK_EQ(imlfs_tar_index(&m, path, fd, NULL, NULL, &err), 0);
	CHECK_EQ(m.nmembers, 1);
	CHECK(m.nmembers == 1 && m.members[0].width == 33 && m.members[0].height == 17);
	imlfs_model_free(&m);

	fail_big_reads = 1;
	memset(&m, 0, sizeof m);
	r = imlfs_tar_index(&m, path, fd, NULL, NULL, &err);
	fail_big_reads = 0;
	close(fd);
	CHECK_EQ(r, -1);
	CHECK_EQ(err.code, IMLFS_E_MISSING);
	CHECK(strstr(err.msg, "read error at byte 512") != NULL);
	if (!strstr(err.msg, "read error at byte 512"))
		fprintf(stderr, "  message was: %s\n", err.msg);
	imlfs_model_free(&m);
}

/* Linked with -Wl,--wrap=realloc (meson.build), so that an allocation of
 * the index can fail on cue. */
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
static int fail_realloc_in;   /* 0: never; n: the n-th realloc from now fails */

void *__wrap_realloc(void *p, size_t n)
{
	if (fail_realloc_in && --fail_realloc_in == 0)
		return NULL;
	return __real_realloc(p, n);
}

/* Pins the message of running out of memory while indexing: it numbers
 * the member it was indexing from 1 and names it, whichever allocation
 * fails. */
static void test_nomem_names_member(void)
{
	unsigned char t[512 * 8] = {0};
	const char *path = tu_path("three.tar");
	char want[64];
	int fd, seen = 0;

	for (int i = 0; i < 3; i++) {
		char name[32];

		snprintf(name, sizeof name, "val/x%d.JPEG", i + 1);
		tu_ustar(t + 1024 * i, name, 3, 0);
		memcpy(t + 1024 * i + 512, "abc", 3);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, t, sizeof t) == (ssize_t)sizeof t);
	close(fd);
	fd = open(path, O_RDONLY);
	for (int n = 1; n < 40; n++) {
		struct imlfs_model m;
		struct imlfs_error err = {0};
		const char *at;
		int r;

		memset(&m, 0, sizeof m);
		fail_realloc_in = n;
		r = imlfs_tar_index(&m, path, fd, NULL, NULL, &err);
		fail_realloc_in = 0;
		imlfs_model_free(&m);
		if (r == 0)
			break;
		CHECK_EQ(err.code, IMLFS_E_NOMEM);
		at = strstr(err.msg, "indexing member ");
		CHECK(at != NULL);
		if (!at)
			continue;
		seen++;
		snprintf(want, sizeof want, "indexing member %c (\"val/x%c.JPEG\")",
			 at[16], at[16]);
		if (strncmp(at, want, strlen(want))) {
			fprintf(stderr, "out of memory at realloc %d: %s\n", n, err.msg);
			tu_failures++;
		}
	}
	close(fd);
	CHECK(seen > 0);
}

int main(void)
{
	static const char msg[] = "this is not a JPEG, just some text in the tarball\n";

	rgb = make_jpeg(33, 17, TJPF_RGB, TJSAMP_420);
	gray = make_jpeg(20, 10, TJPF_GRAY, TJSAMP_GRAY);
	cmyk = make_jpeg(16, 24, TJPF_CMYK, TJSAMP_444);
	big = pad_jpeg(rgb, 9000, 0);
	text = (struct blob){(unsigned char *)msg, sizeof msg - 1};
	test_probe();
	test_probe_after_turbojpeg_complains();
	test_formats();
	test_not_tar();
	test_duplicates_sparse();
	test_sidecar_named_member();
	test_truncated();
	test_damaged();
	test_read_error();
	test_reads_little();
	test_many();
	test_damaged_reason();
	test_probe_read_error();
	test_nomem_names_member();
	free(rgb.p);
	free(gray.p);
	free(cmyk.p);
	free(big.p);
	return tu_done();
}
