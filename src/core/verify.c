/* SPDX-License-Identifier: MIT */
/* verify.c — `imlfs --verify`: every input hashed and compared with its
 * published file, one line each (see verify.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "imlfs/error.h"
#include "imlfs/published.h"
#include "imlfs/tardigest.h"
#include "imlfs/verify.h"

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
		fprintf(err, "imlfs: %s: cannot read the %s: %s; check the path\n", path,
			imlfs_roles[role].file, strerror(errno));
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
		fprintf(err, "imlfs: %s: cannot hash the %s: %s\n", path, imlfs_roles[role].file,
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
		const char *path = in->path[role];
		int vs;

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
