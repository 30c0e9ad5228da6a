/* test-pins.c — behaviour that contrib/mutants.sh found no test pinned:
 * each check here fails on one of its survivors and passes on the real
 * code (docs/testing.md lists them).
 *
 * Linked with -Wl,--wrap=pread64 and --wrap=realloc (meson.build), so that
 * a read or an allocation of the core can fail on cue. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "../../src/core/cache-internal.h"
#include "imlfs/cache.h"
#include "imlfs/jsonscan.h"
#include "imlfs/model.h"
#include "imlfs/score.h"
#include "imlfs/sidecar.h"
#include "imlfs/tarindex.h"
#include "imlfs/util.h"
#include "imlfs/verify.h"
#include "testutil.h"

/* The cache checksum is part of the file format: a cache written by one
 * build must load in the next one, so its values may never change (a save
 * and load round trip cannot tell, as both ends would change alike).  Every
 * length from the empty input through the 32-byte block loop, the 8-byte
 * word loop and the byte tail.  Little-endian values (the header records
 * the byte order, and a cache from the other order is rebuilt). */
static void test_cache_checksum_values(void)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	static const struct { size_t len; uint64_t sum; } want[] = {
		{ 0, 0x9090306c6e91ed59ULL },
		{ 1, 0xd3e8c374cad8447cULL },
		{ 7, 0xc0aeb6076b042f24ULL },
		{ 8, 0x5757c086d0fe6d51ULL },
		{ 9, 0x406ac006f94812ddULL },
		{ 15, 0xb95c278e4366a95eULL },
		{ 16, 0x3ff0dba59821df92ULL },
		{ 24, 0x0f5dae5c4100c57aULL },
		{ 31, 0x83440bf12a4cd628ULL },
		{ 32, 0xa926fd50fcb207c6ULL },
		{ 33, 0x48187cd79efc74abULL },
		{ 40, 0xccb418b169d4926cULL },
		{ 63, 0x5cc0043c7da0b3d0ULL },
		{ 64, 0x45104aec612e6f4dULL },
		{ 72, 0x2ff3629788a3f613ULL },
		{ 80, 0x069755286b5bc2a4ULL },
	};
	unsigned char d[80];

	for (int i = 0; i < 80; i++)
		d[i] = (unsigned char)(i * 37 + 11);
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		uint64_t got = imlfs_cache_checksum(d, want[i].len);

		if (got != want[i].sum) {
			fprintf(stderr, "checksum of %zu bytes: %016llx, expected %016llx\n",
				want[i].len, (unsigned long long)got,
				(unsigned long long)want[i].sum);
			tu_failures++;
		}
	}
#endif
}

/* Rejected at byte want_off with a message containing `want`. */
#define json_invalid(t, off, want) tu_json_invalid(t, off, want, __LINE__)

/* A JSON digit is '0' to '9' and nothing beside them: '/' and ':' are
 * the ASCII neighbours that an off-by-one in a digit test lets in. */
static void test_json_digit_bounds(void)
{
	json_invalid("{\"a\":-:}", 6, "expected a digit");
	json_invalid("{\"a\":-/}", 6, "expected a digit");
	json_invalid("{\"a\":1:}", 6, "expected ',' or '}'");
	json_invalid("{\"a\":0:}", 6, "expected ',' or '}'");
	json_invalid("{\"a\":0/}", 6, "expected ',' or '}'");
	json_invalid("{\"a\":1.:}", 7, "after '.'");
	json_invalid("{\"a\":1e:}", 7, "exponent");
	json_invalid("{\"a\":1e/}", 7, "exponent");
	json_invalid("{\"a\"::}", 5, "expected a value");
}

/* The cache file's layout, as cache.c's opening comment gives it: the
 * header, then the sections in order, each with its tag and record size.
 * Saving and loading agree with each other whatever the tags are, so only
 * the bytes on disk can tell a changed format (which needs a new version). */
static void test_cache_layout(void)
{
	static const struct { uint32_t tag, recsize; } want[] = {
		{ 0x4b455931, 40 },   /* "KEY1": one record per input */
		{ 0x434e5453, 64 },   /* "CNTS" */
		{ 0x4d454d42, 48 },   /* "MEMB" */
		{ 0x4e414d45, 1 },    /* "NAME" */
		{ 0x434c5353, 8 },    /* "CLSS" */
		{ 0x43545854, 1 },    /* "CTXT" */
		{ 0x4d4c4142, 2 },    /* "MLAB" */
		{ 0x52454f46, 4 },    /* "REOF": ReaL offsets */
		{ 0x5245414c, 2 },    /* "REAL" */
		{ 0x4d443531, 88 },   /* "MD51": the inputs' digests */
	};
	struct imlfs_inputs in = {0};
	struct imlfs_error err = {0};
	struct imlfs_model m;
	const char *file = tu_path("layout.idx");
	struct imlfs_cache_dir cd;
	unsigned char *d = NULL;
	size_t len = 0, at = 32;
	uint32_t u32;
	uint64_t u64;

	in.tarball = (char *)tu_write("val.tar", "tar");
	in.labels = (char *)tu_write("labels.txt", "n01\n");
	memset(&m, 0, sizeof m);
	CHECK_EQ(imlfs_cache_dir_open(&cd, tu_tmpdir(), false, NULL, 0), 0);
	CHECK_EQ(imlfs_cache_save(&m, &cd, "layout.idx", &in, &err), 0);
	imlfs_cache_dir_close(&cd);
	CHECK_EQ(imlfs_read_file(file, (char **)&d, &len), 0);
	if (!d || len < 32) {
		CHECK(!"the cache file is missing or shorter than its header");
		free(d);
		return;
	}
	CHECK(memcmp(d, "IMLFSIDX", 8) == 0);
	memcpy(&u32, d + 8, 4);
	CHECK_EQ(u32, IMLFS_CACHE_VERSION);
	memcpy(&u32, d + 12, 4);
	CHECK_EQ(u32, 0x01020304);
	memcpy(&u64, d + 16, 8);
	CHECK_EQ(u64, len);
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		if (at + 16 > len) {
			fprintf(stderr, "cache layout: section %zu is missing\n", i);
			tu_failures++;
			break;
		}
		memcpy(&u32, d + at, 4);
		CHECK_EQ(u32, want[i].tag);
		memcpy(&u32, d + at + 4, 4);
		CHECK_EQ(u32, want[i].recsize);
		memcpy(&u64, d + at + 8, 8);
		at += 16 + ((u64 + 7) & ~(uint64_t)7);
	}
	CHECK_EQ(at, len);
	free(d);
}

/* A damaged header is reported with libarchive's own reason, not a
 * generic one: the reason tells a bad checksum from other damage. */
static void test_tar_damage_reason(void)
{
	unsigned char t[512 * 6] = {0};
	const char *path = tu_path("damaged.tar");
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

/* imlfs_json_real fits exactly: with room for the text and its NUL it
 * writes it, with one byte less it says -1 (never a cut number).  (A
 * number with an exponent needs the room of printf's form, 2e-05, before
 * it is shortened to 2e-5: only the -1 is checked for those.) */
static void test_json_real_exact_size(void)
{
	static const double v[] = { 1.5, 0.025, 2e-5, 1.0, 100.0, -0.1, 1e300 };
	char full[64], out[64];

	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		int n = imlfs_json_real(full, sizeof full, v[i]);

		CHECK(n > 0);
		if (n <= 0)
			continue;
		memset(out, 'x', sizeof out);
		if (!strchr(full, 'e')) {
			CHECK_EQ(imlfs_json_real(out, (size_t)n + 1, v[i]), n);
			CHECK_STR(out, full);
		}
		if (imlfs_json_real(out, (size_t)n, v[i]) != -1) {
			fprintf(stderr, "json_real(%s) in %d bytes: not -1\n", full, n);
			tu_failures++;
		}
	}
}

/* Class names go into JSON strings: every control character, 0x01 to
 * 0x1f, is escaped as \u00XX, and nothing from 0x20 up but '"' and '\\'. */
static void test_json_string_controls(void)
{
	struct imlfs_buf b = {0};
	char in[2] = {0}, want[16];

	for (int c = 1; c < 0x80; c++) {
		in[0] = (char)c;
		b.len = 0;
		CHECK_EQ(imlfs_buf_json_string(&b, in), 0);
		if (c < 0x20)
			snprintf(want, sizeof want, "\"\\u%04x\"", c);
		else if (c == '"' || c == '\\')
			snprintf(want, sizeof want, "\"\\%c\"", c);
		else
			snprintf(want, sizeof want, "\"%c\"", c);
		if (!b.p || b.len != strlen(want) || memcmp(b.p, want, b.len)) {
			fprintf(stderr, "json string of byte 0x%02x: %.*s, expected %s\n", c,
				(int)b.len, b.p ? b.p : "", want);
			tu_failures++;
		}
	}
	imlfs_buf_free(&b);
}

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

/* A JPEG whose frame header lies beyond the first 8 KiB (a big comment
 * segment first, as big EXIF blocks do), so that the index reads its
 * header with a pread of its own. */
static unsigned char *big_jpeg(size_t *len)
{
	unsigned char px[33 * 17 * 3], *jpg = NULL, *out;
	unsigned long jlen = 0;
	tjhandle tj = tjInitCompress();
	size_t pad = 9000;

	for (size_t i = 0; i < sizeof px; i++)
		px[i] = (unsigned char)(i * 37 % 251);
	if (!tj || tjCompress2(tj, px, 33, 0, 17, TJPF_RGB, &jpg, &jlen, TJSAMP_444, 85, 0))
		exit(99);
	*len = jlen + 4 + pad;
	out = malloc(*len);
	if (!out)
		exit(99);
	memcpy(out, jpg, 2);
	out[2] = 0xFF;
	out[3] = 0xFE;
	out[4] = (unsigned char)((pad + 2) >> 8);
	out[5] = (unsigned char)((pad + 2) & 0xFF);
	memset(out + 6, 'c', pad);
	memcpy(out + 6 + pad, jpg + 2, jlen - 2);
	tjFree(jpg);
	tjDestroy(tj);
	return out;
}

/* A read error while reading a big JPEG's header fails the index with
 * the byte where it happened, like any other read error: never an index
 * that silently lacks the image's size. */
static void test_tar_probe_read_error(void)
{
	const char *path = tu_path("big.tar");
	struct imlfs_model m;
	struct imlfs_error err = {0};
	size_t jlen, tlen;
	unsigned char *jpg = big_jpeg(&jlen), *t;
	int fd, r;

	tlen = 512 + (jlen + 511) / 512 * 512 + 1024;
	t = calloc(1, tlen);
	if (!t)
		exit(99);
	tu_ustar(t, "val/big.JPEG", (unsigned)jlen, 0);
	memcpy(t + 512, jpg, jlen);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, t, tlen) == (ssize_t)tlen);
	close(fd);
	free(t);
	free(jpg);

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

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
static int fail_realloc_in;   /* 0: never; n: the n-th realloc from now fails */

void *__wrap_realloc(void *p, size_t n)
{
	if (fail_realloc_in && --fail_realloc_in == 0)
		return NULL;
	return __real_realloc(p, n);
}

/* Out of memory while indexing: the message numbers the member it was
 * indexing from 1 and names it, whichever allocation fails. */
static void test_tar_nomem_names_member(void)
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

/* The cache is saved and loaded whichever descriptors are free: with
 * stdin closed, the temporary file may well be descriptor 0 (a library
 * cannot count on its caller keeping 0-2 open). */
static void test_cache_save_on_fd0(void)
{
	struct imlfs_inputs in = {0};
	struct imlfs_error err = {0};
	struct imlfs_model m, l;
	struct imlfs_cache_dir cd;
	int saved = dup(0), r;

	in.tarball = (char *)tu_write("val0.tar", "tar");
	memset(&m, 0, sizeof m);
	close(0);
	/* The folder's descriptor or the temporary file's may be 0. */
	r = imlfs_cache_dir_open(&cd, tu_tmpdir(), false, NULL, 0);
	if (!r)
		r = imlfs_cache_save(&m, &cd, "fd0.idx", &in, &err);
	CHECK_EQ(r, 0);
	if (r)
		fprintf(stderr, "  message was: %s\n", err.msg);
	CHECK_EQ(imlfs_cache_load(&l, &cd, "fd0.idx", &in, NULL, 0), 1);
	imlfs_cache_dir_close(&cd);
	dup2(saved, 0);
	close(saved);
	imlfs_model_free(&l);
}

/* The digest of --verify with stdin closed: its own descriptor for the
 * tarball may be 0, and it is opened once and closed at the end, not
 * opened again for every chunk (which would leak one per chunk). */
static void test_md5_on_fd0(void)
{
	static const uint8_t want[16] = { 0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
					  0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72 };
	struct imlfs_md5_progress p = { .buffered = true };
	int fd = open(tu_write("abc.bin", "abc"), O_RDONLY), saved = dup(0), r, fd0_open;
	uint8_t md5[16];
	uint64_t len = 0;

	close(0);
	r = imlfs_md5_fd(fd, md5, &len, &p);
	fd0_open = fcntl(0, F_GETFD) != -1;
	dup2(saved, 0);
	close(saved);
	close(fd);
	CHECK_EQ(r, 0);
	CHECK_EQ(len, 3);
	CHECK(memcmp(md5, want, 16) == 0);
	CHECK(!fd0_open);
}

/* A relative cache folder (--cache-dir a/b/c) is made level by level
 * whatever errno held before: mkdir's success, not errno, says a level
 * was made. */
static void test_mkdirs_relative(void)
{
	char dir[] = "mkdirs-rel/a/b", cwd[4096];
	struct stat st;

	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK_EQ(chdir(tu_tmpdir()), 0);
	errno = ENOENT;
	CHECK_EQ(imlfs_mkdirs(dir, 0755), 0);
	CHECK_STR(dir, "mkdirs-rel/a/b");
	CHECK(stat("mkdirs-rel/a/b", &st) == 0 && S_ISDIR(st.st_mode));
	errno = ENOENT;
	CHECK_EQ(imlfs_mkdirs(dir, 0755), 0);      /* all there already */
	CHECK_EQ(chdir(cwd), 0);
}

static void *stop_after(void *arg)
{
	struct imlfs_md5_progress *p = arg;

	for (int i = 0; i < 300 && !atomic_load(&p->stop); i++)
		usleep(10000);
	atomic_store(&p->stop, true);
	return NULL;
}

/* The end of the file ends the digest whatever errno held before: only a
 * failed read (n < 0) with EINTR is tried again.  A watchdog stops a
 * digest that loops (after 3 s), so the check fails instead of hanging. */
static void test_md5_eof_with_stale_eintr(void)
{
	struct imlfs_md5_progress p = { .buffered = true };
	int fd = open(tu_write("eintr.bin", "abc"), O_RDONLY), r;
	uint8_t md5[16];
	uint64_t len = 0;
	pthread_t dog;

	CHECK_EQ(pthread_create(&dog, NULL, stop_after, &p), 0);
	errno = EINTR;
	r = imlfs_md5_fd(fd, md5, &len, &p);
	errno = 0;
	atomic_store(&p.stop, true);
	pthread_join(dog, NULL);
	close(fd);
	CHECK_EQ(r, 0);
	CHECK_EQ(len, 3);
}

/* imlfs_model_add_class: "its index or -1", also for a class text past
 * the 32-bit offsets of the class names (checked before any copy, so the
 * name is never read). */
static void test_add_class_bound(void)
{
	struct imlfs_model m;

	memset(&m, 0, sizeof m);
	CHECK_EQ(imlfs_model_add_class(&m, "n01440764", 9, "tench", 5), 0);
	CHECK_EQ(imlfs_model_add_class(&m, "n01443537", 9, "goldfish", (size_t)UINT32_MAX), -1);
	CHECK_EQ(m.nclasses, 1);
	imlfs_model_free(&m);
}

int main(void)
{
	test_add_class_bound();
	test_md5_eof_with_stale_eintr();
	test_md5_on_fd0();
	test_mkdirs_relative();
	test_cache_checksum_values();
	test_json_digit_bounds();
	test_cache_layout();
	test_tar_damage_reason();
	test_json_real_exact_size();
	test_json_string_controls();
	test_tar_probe_read_error();
	test_tar_nomem_names_member();
	test_cache_save_on_fd0();
	return tu_done();
}
