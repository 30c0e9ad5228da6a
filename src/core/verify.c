/* verify.c — the published digests and how an input compares with them
 * (see verify.h).  The MD5 itself is md5.c's. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imlfs/cache.h"
#include "imlfs/error.h"
#include "imlfs/util.h"
#include "imlfs/verify.h"

/* The one table of published digests. */
static const struct published {
	int role;
	const char *name;
	const char *md5;
} published[] = {
	/* image-net.org; torchvision's ImageNet checks the same */
	{ IMLFS_ROLE_TARBALL, "ILSVRC2012_img_val.tar", "29b22e2961454d5413ddabcf34fc5622" },
	/* the file TFDS imagenet2012_multilabel downloads */
	{ IMLFS_ROLE_ANNOTATIONS, "human_accuracy_v3.0.0.json", "81d98aa82e570a3b2db98af5ccf87145" },
	/* TFDS's ImageNet 2012 folder */
	{ IMLFS_ROLE_LABELS, "validation_labels.txt", "eaa6788f6a51fca5fb184f235d0c4e62" },
	/* the ImageNetV2 repository */
	{ IMLFS_ROLE_CLASSES, "class_info.json", "50608bba554770c263cc8e23a2903c1c" },
	/* ReaL labels (google-research/reassessed-imagenet) */
	{ IMLFS_ROLE_REAL, "real.json", "c03b536b209b127cb61430fd1ce950d5" },
};

static const char *const role_names[] = { "tarball", "annotations", "labels", "classes", "real" };

const char *imlfs_role_path(const struct imlfs_inputs *in, int role)
{
	switch (role) {
	case IMLFS_ROLE_TARBALL: return in->tarball;
	case IMLFS_ROLE_ANNOTATIONS: return in->annotations;
	case IMLFS_ROLE_LABELS: return in->labels;
	case IMLFS_ROLE_CLASSES: return in->classes;
	case IMLFS_ROLE_REAL: return in->real;
	default: return NULL;
	}
}

const char *imlfs_role_name(int role)
{
	return role >= 0 && role < IMLFS_NROLES ? role_names[role] : "?";
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* IMLFS_TEST_DIGESTS entries, looked up each time: only a few per mount. */
static int test_digest(int role, const char *name, uint8_t md5[IMLFS_MD5_LEN])
{
	const char *s = getenv("IMLFS_TEST_DIGESTS");
	const char *rn = imlfs_role_name(role);
	size_t rl = strlen(rn), nl = strlen(name);

	while (s && *s) {
		const char *end = strchr(s, ','), *c1, *c2;

		if (!end)
			end = s + strlen(s);
		c1 = memchr(s, ':', (size_t)(end - s));
		c2 = c1 ? memrchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		if (c2 && (size_t)(c1 - s) == rl && !memcmp(s, rn, rl) &&
		    (size_t)(c2 - c1 - 1) == nl && !memcmp(c1 + 1, name, nl) &&
		    imlfs_md5_parse(c2 + 1, (size_t)(end - c2 - 1), md5) == 0)
			return 1;
		s = *end ? end + 1 : end;
	}
	return 0;
}

int imlfs_published_md5(int role, const char *path, uint8_t md5[IMLFS_MD5_LEN])
{
	const char *name = base_name(path);

	if (test_digest(role, name, md5))
		return 1;
	for (size_t i = 0; i < sizeof published / sizeof published[0]; i++)
		if (published[i].role == role && !strcmp(published[i].name, name))
			return imlfs_md5_parse(published[i].md5, 32, md5) == 0;
	return 0;
}

void imlfs_verify_note(struct imlfs_model *m, int role, const void *data, size_t len)
{
	imlfs_md5_buf(data, len, m->md5.md5[role]);
	m->md5.have |= 1u << role;
}

/* ---- statuses ------------------------------------------------------------ */

enum imlfs_vstatus imlfs_verify_compare(int role, const char *path, const uint8_t md5[IMLFS_MD5_LEN])
{
	uint8_t pub[IMLFS_MD5_LEN];

	if (!imlfs_published_md5(role, path, pub))
		return IMLFS_V_UNKNOWN;
	return memcmp(pub, md5, IMLFS_MD5_LEN) ? IMLFS_V_DIFFERS : IMLFS_V_SAME;
}

void imlfs_verify_words(struct imlfs_buf *b, int role, const char *path,
			enum imlfs_vstatus st, const uint8_t md5[IMLFS_MD5_LEN])
{
	char hex[33], phex[33];
	uint8_t pub[IMLFS_MD5_LEN];

	imlfs_md5_hex(md5, hex);
	switch (st) {
	case IMLFS_V_SAME:
		imlfs_buf_printf(b, "the published file");
		break;
	case IMLFS_V_DIFFERS:
		if (!imlfs_published_md5(role, path, pub))
			memset(pub, 0, sizeof pub);
		imlfs_md5_hex(pub, phex);
		imlfs_buf_printf(b, "differs from the published file (md5 %s, published %s)", hex, phex);
		break;
	default:
		imlfs_buf_printf(b, "no published digest known (md5 %s)", hex);
	}
}

/* ---- the remembered tarball digest --------------------------------------- */

#define TARDIGEST_MAGIC "imlfs tarball md5 1"

char *imlfs_tardigest_file(const char *cache_file)
{
	size_t n;

	if (!cache_file || !cache_file[0])
		return NULL;
	n = strlen(cache_file);
	if (n > 4 && !strcmp(cache_file + n - 4, ".idx"))
		n -= 4;
	return imlfs_strf("%.*s.md5", (int)n, cache_file);
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* The file's whole text for one digest: a format line, the identity, and
 * the path last (it may hold any byte but NUL). */
static char *tardigest_text(const char *path, const struct stat *st, const char *hex)
{
	return imlfs_strf(TARDIGEST_MAGIC "\n%s %" PRIu64 " %" PRId64 " %" PRIu64 " %" PRIu64 "\n%s\n",
			  hex, (uint64_t)st->st_size, mtime_ns(st), (uint64_t)st->st_ino,
			  (uint64_t)st->st_dev, path);
}

int imlfs_tardigest_load(const struct imlfs_cache_dir *d, const char *name, const char *path,
			 const struct stat *st, uint8_t md5[IMLFS_MD5_LEN])
{
	char *text = NULL, *want;
	size_t len = 0, hl = strlen(TARDIGEST_MAGIC) + 1;
	int ok = 0;

	if (!d || d->fd < 0 || !name || imlfs_cache_read(d, name, &text, &len, NULL, 0) < 0)
		return 0;
	/* Same identity and path: the text must be exactly what save would
	 * write for them, with this digest in it. */
	if (len > hl + 33 && imlfs_md5_parse(text + hl, 32, md5) == 0) {
		char hex[33];

		memcpy(hex, text + hl, 32);
		hex[32] = '\0';
		want = tardigest_text(path, st, hex);
		ok = want && strlen(want) == len && !memcmp(want, text, len);
		free(want);
	}
	free(text);
	return ok;
}

int imlfs_tardigest_save(const struct imlfs_cache_dir *d, const char *name, const char *path,
			 const struct stat *st, const uint8_t md5[IMLFS_MD5_LEN])
{
	char hex[33], *text;
	int rc;

	if (!d || d->fd < 0 || !name)
		return -EBADF;
	imlfs_md5_hex(md5, hex);
	text = tardigest_text(path, st, hex);
	if (!text)
		return -ENOMEM;
	rc = imlfs_cache_write(d, name, text, strlen(text));
	free(text);
	return rc;
}

/* ---- imlfs --verify ------------------------------------------------------ */

/* Progress on err while a file takes more than a second to hash. */
struct ticker {
	FILE *err;
	const char *path;
	uint64_t total;
	double start, last;
	bool shown;
};

static void tick(void *ctx, uint64_t done)
{
	struct ticker *t = ctx;
	double now = imlfs_now(), secs = now - t->start;

	if (secs < 1.0 || now - t->last < 0.5)
		return;
	t->last = now;
	t->shown = true;
	fprintf(t->err, "\rimlfs: hashing %s: %.0f of %.0f MB (%.0f MB/s)   ", t->path, done / 1e6,
		t->total / 1e6, done / 1e6 / secs);
	fflush(t->err);
}

/* Hash one input and print its line; returns its status, or -1 when it
 * could not be read (a line on err). */
static int verify_one(int role, const char *path, const struct imlfs_cache_dir *d,
		      const char *tdfile, FILE *out, FILE *err)
{
	struct imlfs_buf b = { 0 };
	struct stat st;
	uint8_t md5[IMLFS_MD5_LEN];
	uint64_t len = 0;
	enum imlfs_vstatus vs;
	struct ticker t = { .err = err, .path = path, .start = imlfs_now() };
	struct imlfs_md5_progress p = { .tick = tick, .ctx = &t };
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(err, "imlfs: %s: cannot read the %s file: %s; check the path\n", path,
			imlfs_role_name(role), strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (role == IMLFS_ROLE_TARBALL && imlfs_tardigest_load(d, tdfile, path, &st, md5)) {
		r = 0;
	} else {
		t.total = (uint64_t)st.st_size;
		r = imlfs_md5_fd(fd, md5, &len, &p);
		if (t.shown)
			fputc('\n', err);
		if (!r && len != (uint64_t)st.st_size)
			r = -EAGAIN;   /* it changed while it was read */
		if (!r && role == IMLFS_ROLE_TARBALL && d)
			imlfs_tardigest_save(d, tdfile, path, &st, md5);
	}
	close(fd);
	if (r) {
		fprintf(err, "imlfs: %s: cannot hash the %s file: %s\n", path, imlfs_role_name(role),
			r == -EAGAIN ? "it changed while it was read; try again" : strerror(-r));
		return -1;
	}
	vs = imlfs_verify_compare(role, path, md5);
	imlfs_verify_words(&b, role, path, vs, md5);
	fprintf(out, "%s: %s\n", path, imlfs_buf_check(&b) ? "out of memory" : b.p);
	fflush(out);
	imlfs_buf_free(&b);
	return (int)vs;
}

int imlfs_verify_command(const struct imlfs_inputs *in, const struct imlfs_cache_dir *d,
			 const char *tdfile, FILE *out, FILE *err)
{
	int rc = 0;

	/* The small files first: their lines come at once. */
	for (int role = IMLFS_NROLES - 1; role >= 0; role--) {
		int vs;

		const char *path = imlfs_role_path(in, role);

		if (!path)
			continue;
		vs = verify_one(role, path, d, tdfile, out, err);
		if (vs < 0 && !rc)
			rc = IMLFS_E_MISSING;
		else if (vs == IMLFS_V_DIFFERS && rc != IMLFS_E_MISSING)
			rc = IMLFS_VERIFY_DIFFERS;
	}
	return rc;
}
