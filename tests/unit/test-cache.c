/* SPDX-License-Identifier: MIT */
/* test-cache.c — the persistent index: round trip, staleness (every input's
 * identity), corruption of every kind, crafted files with a valid checksum,
 * paths and directory creation, and load speed; the checksum's values and
 * the file's layout, which a round trip cannot pin. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/core/cache-internal.h"
#include "imlfs/cache.h"
#include "imlfs/util.h"
#include "testutil.h"

#define HDR 32            /* magic, version, byte order, length, checksum */
#define OFF_VERSION 8
#define OFF_SUM 24
#define MAGIC_OFFSET 0x1122334455667788ULL  /* member 1's offset, to find it */

static void *dup_mem(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (!q)
		exit(99);
	memcpy(q, p, n);
	return q;
}

/* 5 members, 3 classes, multi-label runs, stats: every field non-trivial. */
static void build_model(struct imlfs_model *m)
{
	static const char names[] = "a.JPEG\0b.JPEG\0c.JPEG\0d.JPEG\0e.JPEG";
	static const char ctext[] = "n01\0tench, Tinca tinca\0n02\0goldfish\0n03\0shark";
	static const uint16_t ml[] = { 0, 2, 1, 1, 2, 0, 1, 2 };
	struct imlfs_member mem[5] = {
		{ 512, 1000, 1200000000, 0, 0, 0, 2, 1, 0, 500, 375, 3, IMLFS_M_ANNOTATED },
		{ MAGIC_OFFSET, 2000, 1200000001, 7, 2, 3, 1, 0, 1, 640, 480, 1,
		  IMLFS_M_ANNOTATED | IMLFS_M_PROBLEMATIC },
		{ 4096, 0, -5, 14, IMLFS_NO_LABEL, 5, 0, 0, 0, 0, 0, 0, 0 },
		{ 8192, 77, 0, 21, 1, 5, 1, 1, 1, 65535, 1, 4, IMLFS_M_IMAGENET_M },
		{ 9000, 3, 3, 28, 0, 8, 0, 0, 0, 1, 65535, 3, 0 },
	};

	memset(m, 0, sizeof *m);
	m->nmembers = 5;
	m->members = dup_mem(mem, sizeof mem);
	m->names_len = sizeof names;
	m->names = dup_mem(names, sizeof names);
	m->nclasses = 3;
	m->classes = malloc(3 * sizeof *m->classes);
	m->classes[0] = (struct imlfs_class){ 0, 4 };
	m->classes[1] = (struct imlfs_class){ 23, 27 };
	m->classes[2] = (struct imlfs_class){ 36, 40 };
	m->ctext_len = sizeof ctext;
	m->ctext = dup_mem(ctext, sizeof ctext);
	m->nml = 8;
	m->ml = dup_mem(ml, sizeof ml);
	m->have = IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_IMAGENET_M;
	m->stats = (struct imlfs_stats){ 50000, 10000, 3, 700, 2, 100, 1, 4 };
	/* The small inputs' digests (verify.h) travel with the model. */
	m->md5.have = (1u << IMLFS_ROLE_ANNOTATIONS) | (1u << IMLFS_ROLE_CLASSES);
	memset(m->md5.md5[IMLFS_ROLE_ANNOTATIONS], 0xa5, 16);
	memset(m->md5.md5[IMLFS_ROLE_CLASSES], 0x3c, 16);
}

static void check_same(const struct imlfs_model *a, const struct imlfs_model *b)
{
	CHECK_EQ(b->nmembers, a->nmembers);
	CHECK_EQ(b->names_len, a->names_len);
	CHECK_EQ(b->nclasses, a->nclasses);
	CHECK_EQ(b->ctext_len, a->ctext_len);
	CHECK_EQ(b->nml, a->nml);
	CHECK_EQ(b->have, a->have);
	CHECK(!memcmp(&b->stats, &a->stats, sizeof a->stats));
	CHECK(!memcmp(&b->md5, &a->md5, sizeof a->md5));
	CHECK_EQ(b->stats.annots_total, 50000);
	CHECK_EQ(b->stats.tar_skipped, 4);
	if (b->nmembers != a->nmembers || b->nclasses != a->nclasses || b->nml != a->nml ||
	    b->names_len != a->names_len || b->ctext_len != a->ctext_len)
		return;
	for (uint32_t i = 0; i < a->nmembers; i++) {
		const struct imlfs_member *x = &a->members[i], *y = &b->members[i];

		CHECK_EQ(y->offset, x->offset);
		CHECK_EQ(y->size, x->size);
		CHECK_EQ(y->mtime, x->mtime);
		CHECK_EQ(y->name, x->name);
		CHECK_EQ(y->label, x->label);
		CHECK_EQ(y->ml, x->ml);
		CHECK_EQ(y->n_correct, x->n_correct);
		CHECK_EQ(y->n_unclear, x->n_unclear);
		CHECK_EQ(y->n_wrong, x->n_wrong);
		CHECK_EQ(y->width, x->width);
		CHECK_EQ(y->height, x->height);
		CHECK_EQ(y->components, x->components);
		CHECK_EQ(y->flags, x->flags);
		CHECK_STR(imlfs_member_name(b, i), imlfs_member_name(a, i));
	}
	CHECK(!memcmp(b->names, a->names, a->names_len));
	CHECK(!memcmp(b->ctext, a->ctext, a->ctext_len));
	CHECK(!memcmp(b->ml, a->ml, a->nml * sizeof *a->ml));
	for (uint32_t c = 0; c < a->nclasses; c++) {
		CHECK_STR(imlfs_class_wnid(b, c), imlfs_class_wnid(a, c));
		CHECK_STR(imlfs_class_name(b, c), imlfs_class_name(a, c));
	}
	CHECK(!b->name_tab && !b->stem_tab && !b->wnid_tab);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	char *d;

	if (imlfs_read_file(path, &d, len))
		exit(99);
	return (unsigned char *)d;
}

/* The cache's calls on a path, as the tests name files: FOLDER/NAME, the
 * folder opened (and checked) for each call as load.c does. */
static char *split(const char *file, const char **name)
{
	const char *slash = strrchr(file, '/');
	char *dir = strndup(file, (size_t)(slash - file));

	if (!dir)
		exit(99);
	*name = slash + 1;
	return dir;
}

static int load_at(struct imlfs_model *m, const char *file, const struct imlfs_inputs *in,
		   char *why, size_t whylen)
{
	struct imlfs_cache_dir d;
	const char *name;
	char *dir = split(file, &name);
	int rc = imlfs_cache_dir_open(&d, dir, false, why, whylen);

	memset(m, 0, sizeof *m);
	if (rc == 0)
		rc = imlfs_cache_load(m, &d, name, in, why, whylen);
	else if (rc == 1)
		rc = 0;
	imlfs_cache_dir_close(&d);
	free(dir);
	return rc;
}

static int save_at(const struct imlfs_model *m, const char *file, const struct imlfs_inputs *in,
		   struct imlfs_error *err)
{
	struct imlfs_cache_dir d;
	const char *name;
	char *dir = split(file, &name), why[512];
	int rc = imlfs_cache_dir_open(&d, dir, true, why, sizeof why);

	if (rc == 0)
		rc = imlfs_cache_save(m, &d, name, in, err);
	else
		rc = imlfs_fail(err, IMLFS_E_INTERNAL, "%s", why);
	imlfs_cache_dir_close(&d);
	free(dir);
	return rc;
}

static int sweep_at(const char *file)
{
	struct imlfs_cache_dir d;
	const char *name;
	char *dir = split(file, &name);
	int n = imlfs_cache_dir_open(&d, dir, false, NULL, 0) == 0 ? imlfs_cache_sweep(&d) : -1;

	imlfs_cache_dir_close(&d);
	free(dir);
	return n;
}

static void spew(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd))
		exit(99);
}

static void reseal(unsigned char *d, size_t len)
{
	uint64_t sum = imlfs_cache_checksum(d + HDR, len - HDR);

	memcpy(d + OFF_SUM, &sum, 8);
}

/* Load and expect rejection with `want` in the reason and an empty model. */
static void expect_reject(const char *file, const struct imlfs_inputs *in,
			  const char *want, int line)
{
	struct imlfs_model m;
	char why[256] = "";
	int rc = load_at(&m, file, in, why, sizeof why);

	if (rc != -1 || !strstr(why, want)) {
		fprintf(stderr, "%s:%d: load gave %d \"%s\", expected -1 with \"%s\"\n",
			__FILE__, line, rc, why, want);
		tu_failures++;
	}
	CHECK(!m.members && !m.names && !m.classes && !m.ctext && !m.ml && !m.nmembers);
	imlfs_model_free(&m);
}
#define REJECT(file, in, want) expect_reject(file, in, want, __LINE__)

static int load_ok(const char *file, const struct imlfs_inputs *in, struct imlfs_model *m)
{
	char why[256] = "";
	int rc = load_at(m, file, in, why, sizeof why);

	if (rc != 1)
		fprintf(stderr, "load: %d: %s\n", rc, why);
	return rc == 1;
}

static void test_paths(void)
{
	struct imlfs_inputs a = { .tarball = "/data/val.tar" }, b = { .tarball = "/data/other.tar" };
	char *fa = imlfs_cache_file("/c", &a), *fa2 = imlfs_cache_file("/c/", &a);
	char *fb = imlfs_cache_file("/c", &b), *d;
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *sx = xdg ? strdup(xdg) : NULL, *sh = home ? strdup(home) : NULL;

	CHECK(fa && fb && fa2);
	CHECK(!strncmp(fa, "/c/", 3));
	CHECK_EQ(strlen(fa), 3 + 16 + 4);
	CHECK(!strcmp(fa + strlen(fa) - 4, ".idx"));
	CHECK_STR(fa2, fa);
	CHECK(strcmp(fa, fb) != 0);
	free(fa);
	free(fa2);
	free(fb);

	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	setenv("HOME", "/home/u", 1);
	d = imlfs_cache_default_dir();
	CHECK_STR(d, "/x/cache/imlfs");
	free(d);
	setenv("XDG_CACHE_HOME", "relative", 1);
	d = imlfs_cache_default_dir();
	CHECK_STR(d, "/home/u/.cache/imlfs");
	free(d);
	unsetenv("XDG_CACHE_HOME");
	d = imlfs_cache_default_dir();
	CHECK_STR(d, "/home/u/.cache/imlfs");
	free(d);
	unsetenv("HOME");
	CHECK(imlfs_cache_default_dir() == NULL);
	if (sx)
		setenv("XDG_CACHE_HOME", sx, 1);
	if (sh)
		setenv("HOME", sh, 1);
	free(sx);
	free(sh);
}

static void test_roundtrip(struct imlfs_inputs *in, const char *file)
{
	struct imlfs_model m, l;
	struct imlfs_error err = {0};
	struct stat st;
	char why[256] = "x";

	build_model(&m);
	CHECK_EQ(load_at(&l, file, in, why, sizeof why), 0);
	CHECK_STR(why, "");
	CHECK_EQ(save_at(&m, file, in, &err), 0);
	CHECK_EQ(err.code, 0);
	/* The nested directory was created, private. */
	CHECK_EQ(stat(tu_path("cache/a/b"), &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0700);
	CHECK(load_ok(file, in, &l));
	check_same(&m, &l);
	CHECK_EQ(imlfs_model_finish(&l), 0);
	CHECK_EQ(imlfs_find_member(&l, "d.JPEG", 6), 3);
	CHECK_EQ(imlfs_find_stem(&l, "e", 1), 4);
	CHECK_EQ(imlfs_find_wnid(&l, "n02", 3), 1);
	imlfs_model_free(&l);
	/* Saving again replaces the file in place (and leaves no temp file). */
	m.stats.annots_total = 7;
	CHECK_EQ(save_at(&m, file, in, &err), 0);
	CHECK(load_ok(file, in, &l));
	CHECK_EQ(l.stats.annots_total, 7);
	imlfs_model_free(&l);
	imlfs_model_free(&m);

	/* An empty model round-trips too (zero-length sections). */
	memset(&m, 0, sizeof m);
	CHECK_EQ(save_at(&m, tu_path("empty.idx"), in, &err), 0);
	CHECK(load_ok(tu_path("empty.idx"), in, &l));
	CHECK_EQ(l.nmembers, 0);
	CHECK(!l.members && !l.names);
	imlfs_model_free(&l);
}

static void test_corrupt(const struct imlfs_inputs *in, const char *file)
{
	char want[64];
	size_t len, cuts[] = { 0, 5, 8, 31, 32, 40, 0, 0 };
	unsigned char *orig = slurp(file, &len), *d = dup_mem(orig, len);
	const char *bad = tu_path("bad.idx");
	uint32_t v;

	cuts[6] = len / 2;
	cuts[7] = len - 1;
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		spew(bad, orig, cuts[i]);
		REJECT(bad, in, "truncated");
	}
	/* A byte too many. */
	{
		unsigned char *e = malloc(len + 1);

		memcpy(e, orig, len);
		e[len] = 0;
		spew(bad, e, len + 1);
		REJECT(bad, in, "corrupt");
		free(e);
	}
	/* A flipped byte in the middle. */
	d[len / 2] ^= 0x10;
	spew(bad, d, len);
	REJECT(bad, in, "checksum mismatch");
	/* Another version. */
	memcpy(d, orig, len);
	v = 0;
	memcpy(d + OFF_VERSION, &v, 4);
	spew(bad, d, len);
	snprintf(want, sizeof want, "version 0, expected %d", IMLFS_CACHE_VERSION);
	REJECT(bad, in, want);
	/* Other byte order, bad magic. */
	memcpy(d, orig, len);
	d[12] ^= 0xff;
	spew(bad, d, len);
	REJECT(bad, in, "byte order");
	memcpy(d, orig, len);
	d[0] = 'X';
	spew(bad, d, len);
	REJECT(bad, in, "not an imlfs cache");
	/* Not a file. */
	mkdir(tu_path("adir.idx"), 0700);
	REJECT(tu_path("adir.idx"), in, "not a regular file");
	free(orig);
	free(d);
}

/* Patch member 1 (found by its unique offset) and re-seal the checksum. */
static void craft_member(const char *file, const char *out, size_t field, uint32_t val)
{
	size_t len, at = 0;
	unsigned char *d = slurp(file, &len);
	uint64_t mark = MAGIC_OFFSET;

	for (size_t i = HDR; i + 8 <= len; i += 8)
		if (!memcmp(d + i, &mark, 8))
			at = i;
	CHECK(at != 0);
	memcpy(d + at + field, &val, 4);
	reseal(d, len);
	spew(out, d, len);
	free(d);
}

static void test_crafted(const struct imlfs_inputs *in, const char *file)
{
	const char *bad = tu_path("crafted.idx");
	struct imlfs_model m;

	/* Control: re-sealing an unchanged field loads. */
	craft_member(file, bad, 24, 7);
	CHECK(load_ok(bad, in, &m));
	imlfs_model_free(&m);
	craft_member(file, bad, 24, 35);           /* name == names_len */
	REJECT(bad, in, "name offset");
	craft_member(file, bad, 24, 0xffffffffu);
	REJECT(bad, in, "name offset");
	craft_member(file, bad, 28, 3);            /* label == nclasses */
	REJECT(bad, in, "label");
	craft_member(file, bad, 28, (uint32_t)-2);
	REJECT(bad, in, "label");
	craft_member(file, bad, 32, 8);            /* ml run past nml */
	REJECT(bad, in, "multi-labels");
	craft_member(file, bad, 32, 0xffffffffu);
	REJECT(bad, in, "multi-labels");
	craft_member(file, bad, 36, 0xffffu);      /* n_correct, n_unclear */
	REJECT(bad, in, "multi-labels");
}

/* A cache made before member names were limited (an older imlfs) must not
 * serve a name that can be listed but never opened: the rebuild refuses. */
static void save_with_name(const struct imlfs_inputs *in, const char *file, size_t stem,
			   const char *ext)
{
	struct imlfs_model m;
	struct imlfs_error err = {0};
	char *name = malloc(stem + strlen(ext) + 1);

	if (!name)
		exit(99);
	memset(name, 'x', stem);
	strcpy(name + stem, ext);
	build_model(&m);
	free(m.names);
	m.names = name;
	m.names_len = (uint32_t)(stem + strlen(ext) + 1);
	for (uint32_t i = 0; i < m.nmembers; i++)
		m.members[i].name = 0;
	CHECK_EQ(save_at(&m, file, in, &err), 0);
	imlfs_model_free(&m);
}

static void test_long_names(const struct imlfs_inputs *in)
{
	const char *file = tu_path("long.idx");
	struct imlfs_model m;

	save_with_name(in, file, 250, ".JPEG");    /* 255 bytes, X.json 255: fine */
	CHECK(load_ok(file, in, &m));
	imlfs_model_free(&m);
	save_with_name(in, file, 251, ".JPEG");    /* 256 bytes */
	REJECT(file, in, "longer than 255");
	save_with_name(in, file, 251, ".J");       /* 253 bytes, but X.json is 256 */
	REJECT(file, in, "longer than 255");
	save_with_name(in, file, 300, "");
	REJECT(file, in, "longer than 255");
}

/* Mutate every byte after the header, re-seal, and load: each file must be
 * either rejected with a reason or loaded into a model whose every offset
 * can be followed (ASan would catch a miss). */
static void test_fuzz(const struct imlfs_inputs *in, const char *file)
{
	size_t len;
	unsigned char *orig = slurp(file, &len), *d = malloc(len);
	const char *bad = tu_path("fuzz.idx");
	static const unsigned char xors[] = { 0x01, 0x80, 0xff };
	int ok = 0, rejected = 0;

	for (size_t i = HDR; i < len; i++) {
		for (size_t x = 0; x < sizeof xors; x++) {
			struct imlfs_model m;
			char why[256] = "";
			int rc;

			memcpy(d, orig, len);
			d[i] ^= xors[x];
			reseal(d, len);
			spew(bad, d, len);
			rc = load_at(&m, bad, in, why, sizeof why);
			if (rc == 1) {
				size_t sum = 0;

				ok++;
				for (uint32_t j = 0; j < m.nmembers; j++) {
					const struct imlfs_member *e = &m.members[j];
					sum += strlen(imlfs_member_name(&m, j));
					for (uint32_t k = 0; k < (uint32_t)e->n_correct + e->n_unclear + e->n_wrong; k++)
						sum += strlen(imlfs_class_wnid(&m, m.ml[e->ml + k]));
					if (e->label >= 0)
						sum += strlen(imlfs_class_name(&m, (uint32_t)e->label));
				}
				CHECK(sum > 0);
				CHECK_EQ(imlfs_model_finish(&m), 0);
			} else {
				rejected++;
				CHECK_EQ(rc, -1);
				CHECK(why[0] != '\0');
			}
			imlfs_model_free(&m);
		}
	}
	CHECK(ok > 0);
	CHECK(rejected > 0);
	free(orig);
	free(d);
}

/* The label sets, ReaL's among them: their arrays and counts round-trip,
 * each file is part of the key and each set's name is checked against the
 * inputs', and offsets, classes or bits that do not fit are refused. */
static void test_sets(const struct imlfs_inputs *base)
{
	struct imlfs_inputs in = *base, none = *base, renamed;
	const char *file = tu_path("sets.idx");
	struct imlfs_error err = { 0 };
	struct imlfs_model m, l;
	const uint16_t *v;

	in.real = (char *)tu_write("real.json", "[[0, 2], [], [1], [], [2]]");
	in.path[IMLFS_ROLE_SET0] = (char *)tu_write("set.tsv", "a.JPEG\t2,1\nc.JPEG\t\n");
	in.setname[0] = "mine";
	build_model(&m);
	CHECK_EQ(imlfs_model_finish(&m), 0);   /* the TSV finds its images by name */
	tu_add_set(&m, "mine", 0, "a.JPEG\t2,1\nc.JPEG\t\n");
	tu_add_set(&m, "real", IMLFS_LS_REAL, "[[0, 2], [], [1], [], [2]]");
	CHECK_EQ(m.nsets, 2);
	CHECK_STR(m.sets[0].name, "real");   /* ReaL's first, whatever the order */
	CHECK_EQ(save_at(&m, file, &in, &err), 0);
	CHECK(load_ok(file, &in, &l));
	check_same(&m, &l);
	CHECK_EQ(l.nsets, 2);
	CHECK(l.have & IMLFS_HAVE_REAL);
	CHECK(imlfs_real_set(&l) == &l.sets[0]);
	for (uint32_t k = 0; k < 2 && l.nsets == 2; k++) {
		CHECK_STR(l.sets[k].name, m.sets[k].name);
		CHECK_EQ(l.sets[k].format, m.sets[k].format);
		CHECK_EQ(l.sets[k].role, m.sets[k].role);
		CHECK_EQ(l.sets[k].nlab, m.sets[k].nlab);
		CHECK_EQ(l.sets[k].nlisted, m.sets[k].nlisted);
		CHECK_EQ(l.sets[k].nempty, m.sets[k].nempty);
		CHECK(!memcmp(l.sets[k].off, m.sets[k].off, 6 * sizeof *m.sets[k].off));
		CHECK(!memcmp(l.sets[k].listed, m.sets[k].listed, sizeof *m.sets[k].listed));
	}
	CHECK_EQ(imlfs_real_labels(&l, 0, &v), 2);
	CHECK_EQ(imlfs_real_labels(&l, 1, &v), 0);
	CHECK_EQ(imlfs_labelset_labels(&l.sets[1], 0, &v), 2);
	CHECK(v && v[0] == 1 && v[1] == 2);
	CHECK(imlfs_labelset_listed(&l.sets[1], 2) && !imlfs_labelset_listed(&l.sets[1], 1));
	imlfs_model_free(&l);
	/* Without the real.json now, or with another one; the set renamed. */
	none.setname[0] = "mine";
	none.path[IMLFS_ROLE_SET0] = in.path[IMLFS_ROLE_SET0];
	REJECT(file, &none, "input changed: real given before, not now");
	none.real = (char *)tu_write("real2.json", "[]");
	REJECT(file, &none, "input changed: real is");
	renamed = in;
	renamed.setname[0] = "yours";
	REJECT(file, &renamed, "input changed: label set mine is named yours now");
	renamed.path[IMLFS_ROLE_SET0] = NULL;
	REJECT(file, &renamed, "input changed: labelset given before, not now");
	/* Offsets that go backwards, overrun, a class no class has, labels on
	 * an image left out, bits past the members. */
	m.sets[0].off[2] = 1;
	CHECK_EQ(save_at(&m, file, &in, &err), 0);
	REJECT(file, &in, "label set real: member 1: offsets go backwards");
	m.sets[0].off[2] = 2;
	m.sets[0].off[5] = 3;
	CHECK_EQ(save_at(&m, file, &in, &err), 0);
	REJECT(file, &in, "label set real: offsets do not span");
	m.sets[0].off[5] = 4;
	m.sets[0].lab[3] = 3;
	CHECK_EQ(save_at(&m, file, &in, &err), 0);
	REJECT(file, &in, "label set real: member 4: labels not ascending classes of 3");
	m.sets[0].lab[3] = 2;
	m.sets[1].listed[0] &= ~1u;
	CHECK_EQ(save_at(&m, file, &in, &err), 0);
	REJECT(file, &in, "label set mine: member 0: labels but not listed");
	m.sets[1].listed[0] |= 1u | 1u << 7;
	CHECK_EQ(save_at(&m, file, &in, &err), 0);
	REJECT(file, &in, "label set mine: bits past the members");
	m.sets[1].listed[0] &= ~(1u << 7);
	m.sets[1].nempty = 0;
	CHECK_EQ(save_at(&m, file, &in, &err), 0);
	REJECT(file, &in, "label set mine: counts differ");
	m.sets[1].nempty = 1;
	snprintf(m.sets[1].name, sizeof m.sets[1].name, "all");
	CHECK_EQ(save_at(&m, file, &in, &err), 0);
	REJECT(file, &in, "label set 1: bad record");
	snprintf(m.sets[1].name, sizeof m.sets[1].name, "mine");
	m.sets[1].role = IMLFS_ROLE_REAL;
	CHECK_EQ(save_at(&m, file, &in, &err), 0);
	REJECT(file, &in, "label set 1: role 4");
	m.sets[1].role = IMLFS_ROLE_SET0;
	/* Every list empty: no label array at all. */
	tu_drop_sets(&m);
	tu_add_set(&m, "real", IMLFS_LS_REAL, "[[], [], [], [], []]");
	in.path[IMLFS_ROLE_SET0] = NULL;
	CHECK_EQ(save_at(&m, file, &in, &err), 0);
	CHECK(load_ok(file, &in, &l));
	CHECK(l.nsets == 1 && l.sets[0].off && !l.sets[0].lab && l.sets[0].nlab == 0);
	CHECK_EQ(imlfs_real_labels(&l, 4, &v), 0);
	CHECK(v == NULL);
	imlfs_model_free(&l);
	/* A set given now, not before */
	in.path[IMLFS_ROLE_SET0] = (char *)tu_path("set.tsv");
	REJECT(file, &in, "input changed: labelset given now, not before");
	imlfs_model_free(&m);
}

static void test_stale(struct imlfs_inputs *in, const char *file)
{
	struct imlfs_model m, l;
	struct imlfs_error err = {0};
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 5 } };
	struct imlfs_inputs other = *in;
	char *labels = in->labels;
	struct stat st;

	build_model(&m);
	/* mtime (nanoseconds count). */
	CHECK_EQ(utimensat(AT_FDCWD, in->labels, ts, 0), 0);
	REJECT(file, in, "input changed: ");
	CHECK_EQ(save_at(&m, file, in, &err), 0);
	ts[1].tv_nsec = 6;
	CHECK_EQ(utimensat(AT_FDCWD, in->labels, ts, 0), 0);
	REJECT(file, in, "input changed: ");
	CHECK_EQ(save_at(&m, file, in, &err), 0);
	CHECK(load_ok(file, in, &l));
	imlfs_model_free(&l);

	/* Size, with the mtime put back. */
	CHECK_EQ(stat(in->annotations, &st), 0);
	tu_write("ann.json", "{\"a\": 1}");
	ts[1] = st.st_mtim;
	CHECK_EQ(utimensat(AT_FDCWD, in->annotations, ts, 0), 0);
	REJECT(file, in, "input changed: ");
	CHECK_EQ(save_at(&m, file, in, &err), 0);
	CHECK(load_ok(file, in, &l));
	imlfs_model_free(&l);

	/* Same size and mtime, new inode: replaced by rename. */
	CHECK_EQ(stat(in->tarball, &st), 0);
	tu_write("val.tar.new", "TAR");
	ts[1] = st.st_mtim;
	CHECK_EQ(utimensat(AT_FDCWD, tu_path("val.tar.new"), ts, 0), 0);
	CHECK_EQ(rename(tu_path("val.tar.new"), in->tarball), 0);
	REJECT(file, in, "input changed: ");
	CHECK_EQ(save_at(&m, file, in, &err), 0);

	/* A different set of inputs. */
	other.labels = NULL;
	REJECT(file, &other, "input changed: labels");
	other.labels = labels;
	other.classes = (char *)tu_write("classes.txt", "n01 tench\n");
	REJECT(file, &other, "input changed: classes");
	other.classes = NULL;
	other.annotations = (char *)tu_write("ann2.json", "{\"a\": 1}");
	REJECT(file, &other, "input changed: annotations");
	CHECK(load_ok(file, in, &l));
	imlfs_model_free(&l);

	/* An input gone. */
	CHECK_EQ(rename(in->labels, tu_path("labels.gone")), 0);
	REJECT(file, in, "input changed: ");
	CHECK_EQ(save_at(&m, file, in, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_INTERNAL);
	CHECK_EQ(rename(tu_path("labels.gone"), in->labels), 0);
	CHECK(load_ok(file, in, &l));
	imlfs_model_free(&l);
	imlfs_model_free(&m);
}

static void test_save_errors(const struct imlfs_inputs *in)
{
	struct imlfs_model m;
	struct imlfs_error err = {0};
	char *f1, *f2;

	build_model(&m);
	tu_write("plain", "x");
	f1 = strdup(tu_path("plain/sub/c.idx"));
	f2 = strdup(tu_path("plain/c.idx"));
	CHECK_EQ(save_at(&m, f1, in, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_INTERNAL);
	CHECK(strstr(err.msg, "cannot create") != NULL);
	CHECK(strstr(err.msg, tu_path("plain/sub")) != NULL);
	memset(&err, 0, sizeof err);
	CHECK_EQ(save_at(&m, f2, in, &err), -1);
	CHECK_EQ(err.code, IMLFS_E_INTERNAL);
	CHECK(strstr(err.msg, "cannot open it") != NULL);
	if (geteuid() != 0) {
		/* Root ignores permissions. */
		CHECK_EQ(mkdir(tu_path("ro"), 0500), 0);
		memset(&err, 0, sizeof err);
		CHECK_EQ(save_at(&m, tu_path("ro/c.idx"), in, &err), -1);
		CHECK_EQ(err.code, IMLFS_E_INTERNAL);
		chmod(tu_path("ro"), 0700);
	}
	free(f1);
	free(f2);
	imlfs_model_free(&m);
}

/* Temporary files of dead writers go; a live writer's (locked) file, the
 * cache itself and unrelated files stay; a save leaves no temporary file. */
static void test_sweep(const struct imlfs_inputs *in)
{
	struct imlfs_model m;
	struct imlfs_error err = {0};
	char *file = strdup(tu_path("sw/c.idx"));
	int live;

	CHECK_EQ(mkdir(tu_path("sw"), 0700), 0);
	build_model(&m);
	CHECK_EQ(save_at(&m, file, in, &err), 0);
	tu_write("sw/c.idx.a1B2c3", "partial");            /* a killed writer's */
	tu_write("sw/0123456789abcdef.idx.Zz9Yy8", "xx");  /* another tarball's, also dead */
	tu_write("sw/c.idx.live01", "being written");
	tu_write("sw/notes.txt", "keep");
	tu_write("sw/c.idx.short", "keep: not a mkstemp name");
	live = open(tu_path("sw/c.idx.live01"), O_RDONLY);
	CHECK(live >= 0 && flock(live, LOCK_EX | LOCK_NB) == 0);
	CHECK_EQ(sweep_at(file), 2);
	CHECK(access(tu_path("sw/c.idx.a1B2c3"), F_OK) < 0);
	CHECK(access(tu_path("sw/0123456789abcdef.idx.Zz9Yy8"), F_OK) < 0);
	CHECK(access(tu_path("sw/c.idx.live01"), F_OK) == 0);
	CHECK(access(tu_path("sw/notes.txt"), F_OK) == 0);
	CHECK(access(tu_path("sw/c.idx.short"), F_OK) == 0);
	CHECK(access(file, F_OK) == 0);
	close(live);   /* the writer died: its file goes next time */
	CHECK_EQ(sweep_at(file), 1);
	CHECK(access(tu_path("sw/c.idx.live01"), F_OK) < 0);
	/* A save while another writer's temp is locked leaves that one be. */
	tu_write("sw/c.idx.other1", "x");
	live = open(tu_path("sw/c.idx.other1"), O_RDONLY);
	CHECK(live >= 0 && flock(live, LOCK_EX | LOCK_NB) == 0);
	CHECK_EQ(save_at(&m, file, in, &err), 0);
	CHECK_EQ(sweep_at(file), 0);
	close(live);
	CHECK_EQ(sweep_at(file), 1);
	CHECK_EQ(sweep_at(file), 0);
	free(file);
	imlfs_model_free(&m);
}

/* Open folder dir and expect refusal with `want` in the one-line reason. */
static void expect_refused(const char *dir, bool create, const char *want, int line)
{
	struct imlfs_cache_dir d;
	char why[512] = "";
	int rc = imlfs_cache_dir_open(&d, dir, create, why, sizeof why);

	if (rc != -1 || d.fd != -1 || !strstr(why, want) || !strstr(why, "without the cache") ||
	    strchr(why, '\n')) {
		fprintf(stderr, "%s:%d: open %s gave %d \"%s\", expected -1 with \"%s\"\n",
			__FILE__, line, dir, rc, why, want);
		tu_failures++;
	}
	imlfs_cache_dir_close(&d);
}
#define REFUSED(dir, create, want) expect_refused(dir, create, want, __LINE__)

/* The folder rule: the daemon's own, not writable by group or others, not
 * a symbolic link (nor made through one). */
static void test_trust_folder(void)
{
	struct imlfs_cache_dir d;
	struct stat st;
	char *link;

	CHECK_EQ(mkdir(tu_path("t"), 0700), 0);
	CHECK_EQ(imlfs_cache_dir_open(&d, tu_path("t"), false, NULL, 0), 0);
	CHECK(d.fd >= 0);
	CHECK_STR(d.path, tu_path("t"));
	imlfs_cache_dir_close(&d);
	chmod(tu_path("t"), 0770);
	REFUSED(tu_path("t"), false, "writable by group or others (mode 0770)");
	REFUSED(tu_path("t"), true, "chmod go-w");
	chmod(tu_path("t"), 01703);
	REFUSED(tu_path("t"), false, "writable by group or others (mode 1703)");
	chmod(tu_path("t"), 0755);   /* readable by others is fine */
	CHECK_EQ(imlfs_cache_dir_open(&d, tu_path("t"), false, NULL, 0), 0);
	imlfs_cache_dir_close(&d);
	if (geteuid() == 0) {
		CHECK_EQ(chown(tu_path("t"), 65534, 65534), 0);
		REFUSED(tu_path("t"), false, "belongs to uid 65534, not to you (uid 0)");
		CHECK_EQ(chown(tu_path("t"), 0, 0), 0);
	}
	/* A symbolic link, with or without a trailing slash. */
	CHECK_EQ(symlink(tu_path("t"), tu_path("tl")), 0);
	REFUSED(tu_path("tl"), false, "is a symbolic link");
	link = imlfs_strf("%s//", tu_path("tl"));
	REFUSED(link, true, "is a symbolic link");
	free(link);
	/* Missing: nothing to say without create; made private with it. */
	CHECK_EQ(imlfs_cache_dir_open(&d, tu_path("new/er"), false, NULL, 0), 1);
	CHECK_EQ(d.fd, -1);
	imlfs_cache_dir_close(&d);
	CHECK_EQ(imlfs_cache_dir_open(&d, tu_path("new/er"), true, NULL, 0), 0);
	imlfs_cache_dir_close(&d);
	CHECK_EQ(stat(tu_path("new/er"), &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0700);
	/* A dangling link where the folder is to be made: not made through. */
	CHECK_EQ(symlink(tu_path("t/made"), tu_path("dl")), 0);
	REFUSED(tu_path("dl"), false, "is a symbolic link");
	REFUSED(tu_path("dl"), true, "is a symbolic link");
	CHECK(access(tu_path("t/made"), F_OK) < 0);
	/* Not a folder. */
	tu_write("tf", "x");
	REFUSED(tu_path("tf"), false, "cannot open it");
}

/* The file rule: only regular files of the daemon's own are read, a FIFO
 * without blocking; writes and the sweep go through the folder's
 * descriptor and never follow a symbolic link. */
static void test_trust_files(const struct imlfs_inputs *in)
{
	struct imlfs_cache_dir d;
	struct imlfs_model m;
	struct imlfs_error err = {0};
	char why[256], *data;
	size_t len;
	int live;

	CHECK_EQ(mkdir(tu_path("f"), 0700), 0);
	CHECK_EQ(mkdir(tu_path("outside"), 0700), 0);
	CHECK_EQ(imlfs_cache_dir_open(&d, tu_path("f"), false, NULL, 0), 0);
	CHECK_EQ(imlfs_cache_read(&d, "none", &data, &len, why, sizeof why), -ENOENT);
	CHECK_EQ(mkfifo(tu_path("f/c.idx"), 0600), 0);
	CHECK_EQ(imlfs_cache_read(&d, "c.idx", &data, &len, why, sizeof why), -EINVAL);
	CHECK_STR(why, "not a regular file");
	CHECK_EQ(imlfs_cache_load(&m, &d, "c.idx", in, why, sizeof why), -1);
	CHECK_STR(why, "not a regular file");
	imlfs_model_free(&m);
	/* Saving replaces it (a folder of its own: only we could have). */
	build_model(&m);
	CHECK_EQ(imlfs_cache_save(&m, &d, "c.idx", in, &err), 0);
	imlfs_model_free(&m);
	CHECK_EQ(imlfs_cache_load(&m, &d, "c.idx", in, why, sizeof why), 1);
	imlfs_model_free(&m);
	/* A symbolic link is not followed, to read or to write. */
	tu_write("outside/target", "not yours to change");
	CHECK_EQ(symlink(tu_path("outside/target"), tu_path("f/l.md5")), 0);
	CHECK_EQ(imlfs_cache_read(&d, "l.md5", &data, &len, why, sizeof why), -ELOOP);
	CHECK(strstr(why, "symbolic link") != NULL);
	CHECK_EQ(imlfs_cache_write(&d, "l.md5", "new", 3), 0);
	CHECK_EQ(imlfs_cache_read(&d, "l.md5", &data, &len, why, sizeof why), 0);
	CHECK(len == 3 && !memcmp(data, "new", 3));
	free(data);
	data = (char *)slurp(tu_path("outside/target"), &len);
	CHECK(len == 19 && !memcmp(data, "not yours to change", 19));
	free(data);
	/* The sweep takes .md5 temporaries too, but no link and no file of
	 * another uid. */
	tu_write("f/c.md5.Ab3De5", "a dead writer's digest");
	CHECK_EQ(symlink(tu_path("outside/target"), tu_path("f/c.idx.Zz9Yy8")), 0);
	tu_write("outside/x.idx.Qq1Ww2", "elsewhere");
	if (geteuid() == 0) {
		tu_write("f/o.idx.Oo0Pp9", "another uid's");
		CHECK_EQ(chown(tu_path("f/o.idx.Oo0Pp9"), 65534, 65534), 0);
	}
	live = open(tu_path("f/c.md5.Ab3De5"), O_RDONLY);
	CHECK(live >= 0 && flock(live, LOCK_EX | LOCK_NB) == 0);
	CHECK_EQ(imlfs_cache_sweep(&d), 0);          /* a live writer's */
	close(live);
	CHECK_EQ(imlfs_cache_sweep(&d), 1);
	CHECK(access(tu_path("f/c.md5.Ab3De5"), F_OK) < 0);
	CHECK_EQ(imlfs_cache_sweep(&d), 0);          /* again, from the start */
	CHECK(faccessat(AT_FDCWD, tu_path("f/c.idx.Zz9Yy8"), F_OK, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(access(tu_path("outside/x.idx.Qq1Ww2"), F_OK) == 0);
	CHECK(access(tu_path("outside/target"), F_OK) == 0);
	if (geteuid() == 0) {
		CHECK(access(tu_path("f/o.idx.Oo0Pp9"), F_OK) == 0);
		/* Nor is a file of another uid read. */
		tu_write("f/o.idx", "x");
		CHECK_EQ(chown(tu_path("f/o.idx"), 65534, 65534), 0);
		CHECK_EQ(imlfs_cache_read(&d, "o.idx", &data, &len, why, sizeof why), -EPERM);
		CHECK_STR(why, "belongs to uid 65534, not to you (uid 0)");
	}
	/* Written files are private. */
	{
		struct stat st;

		CHECK_EQ(stat(tu_path("f/c.idx"), &st), 0);
		CHECK_EQ(st.st_mode & 0777, 0600);
	}
	imlfs_cache_dir_close(&d);
}

/* ~50,000 members, the full set's size, round trip (the warm-mount time is
 * measured by the bench, not here). */
static void test_full_size(const struct imlfs_inputs *in)
{
	struct imlfs_model m = {0}, l;
	struct imlfs_buf names = {0}, ctext = {0};
	struct imlfs_error err = {0};
	const char *file = tu_path("big.idx");

	m.nmembers = 50000;
	m.nclasses = 1000;
	m.nml = 100000;
	m.members = calloc(m.nmembers, sizeof *m.members);
	m.classes = calloc(m.nclasses, sizeof *m.classes);
	m.ml = calloc(m.nml, sizeof *m.ml);
	for (uint32_t c = 0; c < m.nclasses; c++) {
		char w[16];
		snprintf(w, sizeof w, "n%08u", c);
		imlfs_buf_addstr(&ctext, w, strlen(w), &m.classes[c].wnid);
		imlfs_buf_addstr(&ctext, "some class name, longer", 23, &m.classes[c].name);
	}
	for (uint32_t i = 0; i < m.nmembers; i++) {
		char n[40];
		snprintf(n, sizeof n, "ILSVRC2012_val_%08u.JPEG", i + 1);
		imlfs_buf_addstr(&names, n, strlen(n), &m.members[i].name);
		m.members[i].label = (int32_t)(i % 1000);
		m.members[i].ml = 2 * i;
		m.members[i].n_correct = 2;
		m.members[i].offset = 512 + (uint64_t)i * 140000;
	}
	for (uint32_t j = 0; j < m.nml; j++)
		m.ml[j] = (uint16_t)(j % 1000);
	m.names = names.p;
	m.names_len = (uint32_t)names.len;
	m.ctext = ctext.p;
	m.ctext_len = (uint32_t)ctext.len;
	CHECK_EQ(save_at(&m, file, in, &err), 0);
	CHECK(load_ok(file, in, &l));
	CHECK_EQ(l.nmembers, 50000);
	CHECK_STR(imlfs_member_name(&l, 49999), "ILSVRC2012_val_00050000.JPEG");
	CHECK_EQ(l.members[49999].ml, 99998);
	imlfs_model_free(&l);
	imlfs_model_free(&m);
}

/* Pins cache.c's checksum values, which are part of the file format: a
 * cache written by one build must load in the next one, so its values may
 * never change (a save and load round trip cannot tell, as both ends would
 * change alike).  Every length from the empty input through the 32-byte
 * block loop, the 8-byte word loop and the byte tail.  Little-endian values
 * (the header records the byte order, and a cache from the other order is
 * rebuilt). */
static void test_checksum_values(void)
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

/* Pins the cache file's layout, as cache.c's opening comment gives it: the
 * header, then the sections in order, each with its tag and record size.
 * Saving and loading agree with each other whatever the tags are, so only
 * the bytes on disk can tell a changed format (which needs a new version).
 * Inputs of its own, so that main's stay as they are. */
static void test_layout(void)
{
	static const struct { uint32_t tag, recsize; } want[] = {
		{ 0x4b455931, 40 },   /* "KEY1": one record per input */
		{ 0x434e5453, 64 },   /* "CNTS" */
		{ 0x4d454d42, 48 },   /* "MEMB" */
		{ 0x4e414d45, 1 },    /* "NAME" */
		{ 0x434c5353, 8 },    /* "CLSS" */
		{ 0x43545854, 1 },    /* "CTXT" */
		{ 0x4d4c4142, 2 },    /* "MLAB" */
		{ 0x53455453, 88 },   /* "SETS": the label sets (none here; cache-sets.c) */
		{ 0x4d443531, 216 },  /* "MD51": the inputs' digests */
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

	in.tarball = (char *)tu_write("layout-val.tar", "tar");
	in.labels = (char *)tu_write("layout-labels.txt", "n01\n");
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

/* Pins that the cache is saved and loaded whichever descriptors are free:
 * with stdin closed, the temporary file may well be descriptor 0 (a library
 * cannot count on its caller keeping 0-2 open). */
static void test_save_on_fd0(void)
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

/* Pins imlfs_cache_dir_close on a zeroed struct (a load that never opened
 * its cache folder): its fd 0 is not the folder's, and stdin stays open. */
static void test_close_zeroed(void)
{
	struct imlfs_cache_dir d;

	if (fcntl(0, F_GETFD) < 0)   /* an fd 0 to lose, as the daemon has */
		CHECK_EQ(open("/dev/null", O_RDONLY), 0);
	memset(&d, 0, sizeof d);
	imlfs_cache_dir_close(&d);
	CHECK(fcntl(0, F_GETFD) >= 0);
	CHECK_EQ(d.fd, -1);
}

int main(void)
{
	struct imlfs_inputs in = {0};
	char *file;

	test_close_zeroed();
	in.tarball = strdup(tu_write("val.tar", "tar"));
	in.annotations = strdup(tu_write("ann.json", "{}"));
	in.labels = strdup(tu_write("labels.txt", "1\n2\n"));
	file = imlfs_cache_file(tu_path("cache/a/b"), &in);
	CHECK(file != NULL);

	test_paths();
	test_roundtrip(&in, file);
	test_corrupt(&in, file);
	test_crafted(&in, file);
	test_long_names(&in);
	test_fuzz(&in, file);
	test_stale(&in, file);
	test_sets(&in);
	test_save_errors(&in);
	test_sweep(&in);
	test_trust_folder();
	test_trust_files(&in);
	test_full_size(&in);
	test_checksum_values();
	test_layout();
	test_save_on_fd0();

	free(file);
	free(in.tarball);
	free(in.annotations);
	free(in.labels);
	return tu_done();
}
