/* SPDX-License-Identifier: MIT */
/* test-verify.c — the table of published digests and how an input is
 * matched to it (role and base name; IMLFS_TEST_DIGESTS), MD5 through
 * libnettle (md5.c's tests live here too: imlfs_md5_fd with stdin closed
 * or a stale errno), the status words, the remembered tarball digest (keyed
 * by path and identity), the tarball's background states, and the README's
 * part that says all of it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include <nettle/md5.h>

#include "imlfs/cache.h"
#include "imlfs/readme.h"
#include "imlfs/tarhash.h"
#include "imlfs/verify.h"
#include "testutil.h"

static const char *hex(const uint8_t md5[16])
{
	static char h[33];

	imlfs_md5_hex(md5, h);
	return h;
}

static const char *words(int role, const char *path, const uint8_t md5[16])
{
	static struct imlfs_buf b;

	imlfs_buf_reset(&b);
	imlfs_verify_words(&b, role, path, imlfs_verify_compare(role, path, md5), md5);
	imlfs_buf_add(&b, "", 1);
	return b.p;
}

static void test_md5(void)
{
	uint8_t d[16];

	imlfs_md5_buf("", 0, d);
	CHECK_STR(hex(d), "d41d8cd98f00b204e9800998ecf8427e");
	imlfs_md5_buf("abc", 3, d);
	CHECK_STR(hex(d), "900150983cd24fb0d6963f7d28e17f72");
	CHECK(imlfs_md5_parse("900150983CD24FB0D6963F7D28E17F72", 32, d) == 0);
	CHECK_STR(hex(d), "900150983cd24fb0d6963f7d28e17f72");
	CHECK(imlfs_md5_parse("900150983cd24fb0d6963f7d28e17f7", 31, d) < 0);
	CHECK(imlfs_md5_parse("900150983cd24fb0d6963f7d28e17f7g", 32, d) < 0);
}

/* imlfs_md5_mem in its 1 MiB chunks: the same digest as one nettle call
 * over the whole buffer, progress after each chunk, and a stop between
 * chunks (the annotation loader's failed parse) ends it with -ECANCELED. */
static void stop_after_first(void *ctx, uint64_t done)
{
	struct imlfs_md5_progress *p = ctx;

	(void)done;
	atomic_store(&p->stop, true);
}

static void count_ticks(void *ctx, uint64_t done)
{
	(void)done;
	++*(int *)ctx;
}

static void test_md5_mem(void)
{
	size_t n = (3u << 20) + 12345;
	unsigned char *data = malloc(n);
	uint8_t want[16], got[16];
	struct md5_ctx c;
	struct imlfs_md5_progress p = { 0 };
	int ticks = 0;

	CHECK(data != NULL);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + i / 4099);
	md5_init(&c);
	md5_update(&c, n, data);
	md5_digest(&c, 16, want);
	p.tick = count_ticks;
	p.ctx = &ticks;
	CHECK_EQ(imlfs_md5_mem(data, n, got, &p), 0);
	CHECK(memcmp(got, want, 16) == 0);
	CHECK_EQ(ticks, 4);
	CHECK(atomic_load(&p.done) == n);
	imlfs_md5_buf(data, n, got);
	CHECK(memcmp(got, want, 16) == 0);
	atomic_store(&p.done, 0);
	p.tick = stop_after_first;
	p.ctx = &p;
	CHECK_EQ(imlfs_md5_mem(data, n, got, &p), -ECANCELED);
	CHECK(atomic_load(&p.done) == 1u << 20);
	free(data);
}

/* A file larger than one read chunk, hashed through imlfs_md5_fd: in dir
 * (NULL: the test directory).  tmpfs (/dev/shm) refuses O_DIRECT, so the
 * buffered reads are tried there. */
static void test_md5_fd(const char *dir)
{
	size_t n = (9u << 20) + 123;
	char *data = malloc(n), path[600];
	uint8_t want[16], got[16];
	struct imlfs_md5_progress p;
	uint64_t len = 0;
	FILE *f;
	int fd;

	if (dir)
		snprintf(path, sizeof path, "%s/imlfs-test-verify-%d", dir, (int)getpid());
	else
		snprintf(path, sizeof path, "%s", tu_path("big"));
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 + i / 4096);
	f = fopen(path, "w");
	if (!f && dir) {
		free(data);
		return;   /* no such place here */
	}
	CHECK(f && fwrite(data, 1, n, f) == n && fclose(f) == 0);
	imlfs_md5_buf(data, n, want);
	fd = open(path, O_RDONLY);
	atomic_init(&p.done, 0);
	atomic_init(&p.stop, false);
	CHECK_EQ(imlfs_md5_fd(fd, got, &len, &p), 0);
	CHECK_EQ(len, n);
	CHECK_EQ(atomic_load(&p.done), n);
	CHECK(memcmp(want, got, 16) == 0);
	atomic_store(&p.stop, true);
	CHECK_EQ(imlfs_md5_fd(fd, got, &len, &p), -ECANCELED);
	close(fd);
	if (dir)
		unlink(path);
	free(data);
}

/* Resident pages of a file (mincore on a mapping). */
static size_t resident(const char *path, size_t n)
{
	size_t pages = (n + 4095) / 4096, count = 0;
	unsigned char *vec = malloc(pages);
	int fd = open(path, O_RDONLY);
	void *map = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);

	CHECK(map != MAP_FAILED && mincore(map, n, vec) == 0);
	for (size_t i = 0; i < pages; i++)
		count += vec[i] & 1;
	munmap(map, n);
	close(fd);
	free(vec);
	return count;
}

/* Buffered reads (where O_DIRECT is refused) drop the chunks they brought
 * into the page cache, and leave chunks that readers had cached alone. */
static void test_md5_fd_page_cache(void)
{
	size_t n = 20u << 20;
	char *data = calloc(1, n);
	const char *path = tu_path("cached");
	struct imlfs_md5_progress p = { .buffered = true };
	uint8_t want[16], got[16];
	uint64_t len;
	FILE *f = fopen(path, "w");
	int fd, rd;

	memset(data, 'x', n);
	CHECK(f && fwrite(data, 1, n, f) == n && fflush(f) == 0 && fsync(fileno(f)) == 0 &&
	      fclose(f) == 0);
	imlfs_md5_buf(data, n, want);
	fd = open(path, O_RDONLY);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (resident(path, n) != 0) {
		fprintf(stderr, "page cache test skipped: the file stays resident here\n");
		close(fd);
		free(data);
		return;
	}
	atomic_init(&p.done, 0);
	atomic_init(&p.stop, false);
	CHECK_EQ(imlfs_md5_fd(fd, got, &len, &p), 0);
	CHECK(memcmp(want, got, 16) == 0);
	CHECK_EQ(resident(path, n), 0);
	/* Now a reader caches 1 MiB (no readahead): its 8 MiB chunk stays. */
	rd = open(path, O_RDONLY);
	posix_fadvise(rd, 0, 0, POSIX_FADV_RANDOM);
	CHECK_EQ(pread(rd, data, 1u << 20, 0), 1u << 20);
	close(rd);
	CHECK_EQ(resident(path, n), 256);
	CHECK_EQ(imlfs_md5_fd(fd, got, &len, &p), 0);
	CHECK(memcmp(want, got, 16) == 0);
	/* The chunk is kept: 2048 pages, less any the kernel itself evicts
	 * meanwhile (a loaded machine once took one); dropped would be 256. */
	CHECK(resident(path, n) > 2000);
	close(fd);
	free(data);
}

static void test_table(void)
{
	uint8_t d[16];

	unsetenv("IMLFS_TEST_DIGESTS");
	CHECK(imlfs_published_md5(IMLFS_ROLE_TARBALL, "/x/ILSVRC2012_img_val.tar", d) == 1);
	CHECK_STR(hex(d), "29b22e2961454d5413ddabcf34fc5622");
	CHECK(imlfs_published_md5(IMLFS_ROLE_ANNOTATIONS, "human_accuracy_v3.0.0.json", d) == 1);
	CHECK_STR(hex(d), "81d98aa82e570a3b2db98af5ccf87145");
	CHECK(imlfs_published_md5(IMLFS_ROLE_LABELS, "/d/validation_labels.txt", d) == 1);
	CHECK_STR(hex(d), "eaa6788f6a51fca5fb184f235d0c4e62");
	CHECK(imlfs_published_md5(IMLFS_ROLE_CLASSES, "/d/class_info.json", d) == 1);
	CHECK_STR(hex(d), "50608bba554770c263cc8e23a2903c1c");
	CHECK(imlfs_published_md5(IMLFS_ROLE_REAL, "/d/real.json", d) == 1);
	CHECK_STR(hex(d), "c03b536b209b127cb61430fd1ce950d5");
	/* Other names, or the right name in another role: nothing known. */
	CHECK(imlfs_published_md5(IMLFS_ROLE_ANNOTATIONS, "/d/human_accuracy_fixed.json", d) == 0);
	CHECK(imlfs_published_md5(IMLFS_ROLE_CLASSES, "/d/LOC_synset_mapping.txt", d) == 0);
	CHECK(imlfs_published_md5(IMLFS_ROLE_TARBALL, "/d/val.tar", d) == 0);
	CHECK(imlfs_published_md5(IMLFS_ROLE_CLASSES, "/d/validation_labels.txt", d) == 0);
	CHECK(imlfs_published_md5(IMLFS_ROLE_LABELS, "/d/validation_labels.txt.bak", d) == 0);
	CHECK(imlfs_published_md5(IMLFS_ROLE_LABELS, "/validation_labels.txt/x", d) == 0);

	/* The testing aid: added entries, ahead of the table; bad ones ignored. */
	setenv("IMLFS_TEST_DIGESTS", "labels:mine.txt:900150983cd24fb0d6963f7d28e17f72,"
	       "tarball:ILSVRC2012_img_val.tar:d41d8cd98f00b204e9800998ecf8427e,"
	       "classes:bad.txt:123,nonsense,:x:,classes:a:b:c", 1);
	CHECK(imlfs_published_md5(IMLFS_ROLE_LABELS, "/d/mine.txt", d) == 1);
	CHECK_STR(hex(d), "900150983cd24fb0d6963f7d28e17f72");
	CHECK(imlfs_published_md5(IMLFS_ROLE_CLASSES, "/d/mine.txt", d) == 0);
	CHECK(imlfs_published_md5(IMLFS_ROLE_TARBALL, "/d/ILSVRC2012_img_val.tar", d) == 1);
	CHECK_STR(hex(d), "d41d8cd98f00b204e9800998ecf8427e");
	CHECK(imlfs_published_md5(IMLFS_ROLE_CLASSES, "/d/bad.txt", d) == 0);
	CHECK(imlfs_published_md5(IMLFS_ROLE_CLASSES, "/d/a:b", d) == 0);
	CHECK(imlfs_published_md5(IMLFS_ROLE_ANNOTATIONS, "/d/human_accuracy_v3.0.0.json", d) == 1);
	unsetenv("IMLFS_TEST_DIGESTS");
}

static void test_words(void)
{
	uint8_t d[16];

	imlfs_md5_parse("50608bba554770c263cc8e23a2903c1c", 32, d);
	CHECK_STR(words(IMLFS_ROLE_CLASSES, "/d/class_info.json", d), "the published file");
	CHECK_STR(words(IMLFS_ROLE_CLASSES, "/d/LOC_synset_mapping.txt", d),
		  "no published digest known (md5 50608bba554770c263cc8e23a2903c1c)");
	CHECK_STR(words(IMLFS_ROLE_LABELS, "/d/validation_labels.txt", d),
		  "differs from the published file (md5 50608bba554770c263cc8e23a2903c1c, "
		  "published eaa6788f6a51fca5fb184f235d0c4e62)");
}

static void test_tardigest(void)
{
	char *tar = strdup(tu_write("t.tar", "not really a tar"));
	char *file = imlfs_tardigest_file(tu_path("cache/0123.idx"));
	struct imlfs_cache_dir cd;
	struct stat st, other;
	uint8_t d[16], got[16];

	CHECK(imlfs_tardigest_file(NULL) == NULL);
	CHECK(imlfs_tardigest_file("") == NULL);
	CHECK_STR(file, tu_path("cache/0123.md5"));
	free(file);
	file = imlfs_tardigest_file("0123.idx");
	CHECK_STR(file, "0123.md5");
	CHECK_EQ(imlfs_cache_dir_open(&cd, tu_tmpdir(), false, NULL, 0), 0);
	stat(tar, &st);
	imlfs_md5_buf("abc", 3, d);
	CHECK(imlfs_tardigest_load(&cd, file, tar, &st, got) == 0);   /* none yet */
	CHECK_EQ(imlfs_tardigest_save(&cd, file, tar, &st, d), 0);
	CHECK(imlfs_tardigest_load(&cd, file, tar, &st, got) == 1);
	CHECK(memcmp(d, got, 16) == 0);
	/* Another path, size, mtime or inode: not this file's digest. */
	CHECK(imlfs_tardigest_load(&cd, file, tu_path("u.tar"), &st, got) == 0);
	other = st;
	other.st_size++;
	CHECK(imlfs_tardigest_load(&cd, file, tar, &other, got) == 0);
	other = st;
	other.st_mtim.tv_nsec ^= 1;
	CHECK(imlfs_tardigest_load(&cd, file, tar, &other, got) == 0);
	other = st;
	other.st_ino++;
	CHECK(imlfs_tardigest_load(&cd, file, tar, &other, got) == 0);
	/* Not a regular file (a FIFO would block a plain open): not read,
	 * at once; and saving replaces it. */
	unlink(tu_path("0123.md5"));
	CHECK_EQ(mkfifo(tu_path("0123.md5"), 0600), 0);
	CHECK(imlfs_tardigest_load(&cd, file, tar, &st, got) == 0);
	CHECK_EQ(imlfs_tardigest_save(&cd, file, tar, &st, d), 0);
	CHECK(imlfs_tardigest_load(&cd, file, tar, &st, got) == 1);
	/* Damaged: ignored. */
	tu_write("0123.md5", "imlfs tarball md5 1\nzz\n");
	CHECK(imlfs_tardigest_load(&cd, file, tar, &st, got) == 0);
	/* No folder: neither read nor written. */
	CHECK(imlfs_tardigest_load(NULL, file, tar, &st, got) == 0);
	CHECK(imlfs_tardigest_save(NULL, file, tar, &st, d) < 0);
	imlfs_cache_dir_close(&cd);
	free(file);
	free(tar);
}

static const char *render_verify(const struct imlfs_inputs *in, const struct imlfs_model *m,
				 struct imlfs_tarhash *th)
{
	static struct imlfs_buf b;

	imlfs_buf_reset(&b);
	CHECK_EQ(imlfs_readme_verify(&b, in, m, th), 0);
	imlfs_buf_add(&b, "", 1);
	return b.p;
}

/* The tarball's states, and the README part, with the gate held shut. */
static void test_tarhash(void)
{
	char *tar = strdup(tu_write("ILSVRC2012_img_val.tar", "abc"));
	char *gate = strdup(tu_path("gate"));
	struct imlfs_inputs in = { .tarball = tar, .classes = "/d/class_info.json",
				   .labels = "/d/validation_labels.txt" };
	struct imlfs_model m = { 0 };
	struct imlfs_tarhash th;
	const char *s;
	int fd = open(tar, O_RDONLY);

	imlfs_md5_parse("50608bba554770c263cc8e23a2903c1c", 32, m.md5.md5[IMLFS_ROLE_CLASSES]);
	m.md5.have = 1u << IMLFS_ROLE_CLASSES;
	setenv("IMLFS_TEST_HASH_GATE", gate, 1);
	setenv("IMLFS_TEST_DIGESTS", "tarball:ILSVRC2012_img_val.tar:900150983cd24fb0d6963f7d28e17f72", 1);
	CHECK_EQ(imlfs_tarhash_init(&th, tar, fd, tu_path("c/x.idx"), false), 0);
	CHECK_EQ(imlfs_tarhash_start(&th), 0);
	s = render_verify(&in, &m, &th);
	CHECK(strstr(s, "  tarball      not checked yet (hashing: 0 %)\n") != NULL);
	CHECK(strstr(s, "  classes      the published file\n") != NULL);
	CHECK(strstr(s, "  labels       not checked yet\n") != NULL);
	CHECK(strstr(s, "annotations") == NULL);
	/* Stopped while waiting: nothing remembered. */
	imlfs_tarhash_stop(&th);
	CHECK(access(tu_path("c/x.md5"), F_OK) != 0);

	/* Let it run: the published file, remembered. */
	tu_write("gate", "");
	mkdir(tu_path("c"), 0700);
	CHECK_EQ(imlfs_tarhash_init(&th, tar, fd, tu_path("c/x.idx"), false), 0);
	CHECK_EQ(imlfs_tarhash_start(&th), 0);
	for (int i = 0; i < 3000 && atomic_load(&th.state) == IMLFS_V_PENDING; i++)
		usleep(10000);
	imlfs_tarhash_stop(&th);
	CHECK_EQ(atomic_load(&th.state), IMLFS_V_SAME);
	CHECK(access(tu_path("c/x.md5"), F_OK) == 0);
	/* Remounted with noverify: known from the remembered digest. */
	CHECK_EQ(imlfs_tarhash_init(&th, tar, fd, tu_path("c/x.idx"), true), 0);
	CHECK_EQ(atomic_load(&th.state), IMLFS_V_SAME);
	CHECK(strstr(render_verify(&in, &m, &th), "  tarball      the published file\n") != NULL);
	imlfs_tarhash_stop(&th);
	/* Without a cache: noverify leaves it unchecked. */
	CHECK_EQ(imlfs_tarhash_init(&th, tar, fd, NULL, true), 0);
	CHECK(strstr(render_verify(&in, &m, &th), "  tarball      not checked (noverify)\n") != NULL);
	imlfs_tarhash_stop(&th);
	/* Published digest not known for the name: nothing to do at all. */
	unsetenv("IMLFS_TEST_DIGESTS");
	CHECK_EQ(imlfs_tarhash_init(&th, "/d/other.tar", fd, NULL, false), 0);
	CHECK_EQ(atomic_load(&th.state), IMLFS_V_UNKNOWN);
	CHECK_EQ(imlfs_tarhash_start(&th), 0);
	CHECK(!th.started);
	imlfs_tarhash_stop(&th);
	unsetenv("IMLFS_TEST_HASH_GATE");
	close(fd);
	free(tar);
	free(gate);
}

/* Pins imlfs_md5_fd with stdin closed (--verify's digest): its own
 * descriptor for the tarball may be 0, and it is opened once and closed at
 * the end, not opened again for every chunk (which would leak one per
 * chunk). */
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

static void *stop_after(void *arg)
{
	struct imlfs_md5_progress *p = arg;

	for (int i = 0; i < 300 && !atomic_load(&p->stop); i++)
		usleep(10000);
	atomic_store(&p->stop, true);
	return NULL;
}

/* Pins imlfs_md5_fd's end: the end of the file ends the digest whatever
 * errno held before; only a failed read (n < 0) with EINTR is tried again.
 * A watchdog stops a digest that loops (after 3 s), so the check fails
 * instead of hanging. */
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

int main(void)
{
	test_md5();
	test_md5_mem();
	test_md5_fd(NULL);
	test_md5_fd("/dev/shm");
	test_md5_fd_page_cache();
	test_md5_on_fd0();
	test_md5_eof_with_stale_eintr();
	test_table();
	test_words();
	test_tardigest();
	test_tarhash();
	return tu_done();
}
