/* SPDX-License-Identifier: MIT */
/* fuzz-cache.c — the index-cache loader (cache.c) over arbitrary bytes, and
 * everything a mount then does with what it loaded: the lookup tables, the
 * tree (catalog.c: every directory listed, every name looked up, every node
 * stat'ed, README and classes.tsv rendered), the sidecars and scoring.
 *
 * The checksum and the inputs' identity (inode, mtime) would stop nearly
 * every mutation at the door, so the target wraps the bytes: the input is
 * the part of a cache file after its key section, and the target puts in
 * front of it a header with the right length and checksum and a key
 * section that matches its own fixed inputs.  An input that is a whole
 * cache file (starting with the magic, like the seeds made by fuzz.sh) is
 * first loaded as it is, with only its length and checksum fixed up, which
 * exercises the header and key checks, and then its part after the key
 * section is loaded as above. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/core/cache-internal.h"
#include "fuzz.h"
#include "imlfs/cache.h"
#include "imlfs/catalog.h"
#include "imlfs/load.h"
#include "imlfs/readme.h"
#include "imlfs/score.h"
#include "imlfs/sidecar.h"

#define HDR_SIZE 32  /* struct cache_header in cache.c */
#define KEY_REC 40   /* struct key_rec in cache.c */
#define NINPUTS IMLFS_NROLES   /* the inputs in a key: one per role (roles.h) */

static struct imlfs_inputs inputs;
static int tar_fd = -1;

static void put(unsigned char **p, const void *v, size_t n)
{
	memcpy(*p, v, n);
	*p += n;
}

/* The fixed inputs: a tarball (any bytes: only its identity is checked). */
static void setup(void)
{
	static char path[32];
	static const uint8_t tar[512];

	tar_fd = fz_file(tar, sizeof tar, path);
	inputs.tarball = path;
}

/* Fix the header's length and checksum of a whole file, then load it. */
static void load_file(unsigned char *f, size_t len)
{
	struct imlfs_model m;
	uint64_t total = len, sum;
	char why[512];
	int r;

	if (len >= HDR_SIZE) {
		sum = imlfs_cache_checksum(f + HDR_SIZE, len - HDR_SIZE);
		memcpy(f + 16, &total, 8);
		memcpy(f + 24, &sum, 8);
	}
	r = imlfs_cache_parse(&m, f, len, &inputs, why, sizeof why);
	if (r < 0 && !why[0])
		abort();   /* a rejected cache must say why */
	if (r != 1)
		return;
	if (imlfs_model_finish(&m))
		abort();
	struct imlfs_load_info li = { .from_cache = true };
	struct imlfs_catalog *c = imlfs_catalog_new(&(struct imlfs_catalog_src){
		.model = &m, .readme = imlfs_readme_render,
		.readme_ctx = &(struct imlfs_readme_src){ .inputs = &inputs, .load = &li } });
	if (!c)
		abort();
	for (uint32_t d = 0; d < imlfs_catalog_ndirs(c); d++) {
		uint64_t ino = IMLFS_INO_ROOT + d, n = imlfs_catalog_dirsize(c, ino);
		char name[512];
		struct imlfs_node node, back;
		struct stat st;

		for (uint64_t idx = 0; idx < n; idx++) {
			if (imlfs_catalog_dirent(c, ino, idx, name, sizeof name, &node))
				abort();   /* dirsize promised this entry */
			imlfs_catalog_stat(c, &node, &st);
			if (imlfs_catalog_lookup(c, ino, name, &back) == 0)
				imlfs_catalog_stat(c, &back, &st);
		}
	}
	for (int t = 0; t < IMLFS_NTEXTS; t++) {
		size_t tl;

		(void)imlfs_catalog_text(c, t, &tl);
	}
	struct imlfs_buf b = { 0 }, preds = { 0 };
	for (uint32_t i = 0; i < m.nmembers; i++) {
		if (imlfs_sidecar_render(&m, i, &b))
			abort();
		imlfs_buf_printf(&preds, "%s %u\n", imlfs_member_name(&m, i), i);
	}
	for (enum imlfs_pred_file pf = 0; pf < IMLFS_NPRED; pf++)
		free(imlfs_score_text(&m, preds.p ? preds.p : "", preds.len, pf, NULL));
	imlfs_buf_free(&b);
	imlfs_buf_free(&preds);
	imlfs_catalog_free(c);
	imlfs_model_free(&m);
}

/* Header and key section for the fixed inputs, then body[0..len). */
static void load_body(const uint8_t *body, size_t len)
{
	size_t plen = strlen(inputs.tarball), ppad = (plen + 7) & ~(size_t)7;
	uint64_t klen = NINPUTS * KEY_REC + ppad, total = HDR_SIZE + 16 + klen + len, zero = 0;
	uint32_t version = IMLFS_CACHE_VERSION, bom = 0x01020304u, tag = 0x4b455931, rec = KEY_REC;
	unsigned char *f = calloc(1, total), *p = f;
	struct stat st;

	if (!f || stat(inputs.tarball, &st))
		abort();
	uint32_t present = 1, pl = (uint32_t)plen;
	uint64_t size = (uint64_t)st.st_size, ino = st.st_ino, dev = st.st_dev;
	int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;

	put(&p, "IMLFSIDX", 8);
	put(&p, &version, 4);
	put(&p, &bom, 4);
	put(&p, &total, 8);
	put(&p, &zero, 8);
	put(&p, &tag, 4);
	put(&p, &rec, 4);
	put(&p, &klen, 8);
	put(&p, &present, 4);
	put(&p, &pl, 4);
	put(&p, &size, 8);
	put(&p, &mtime, 8);
	put(&p, &ino, 8);
	put(&p, &dev, 8);
	put(&p, inputs.tarball, plen);
	p += ppad - plen + (NINPUTS - 1) * KEY_REC;   /* padding; the other inputs absent */
	if (len)
		memcpy(p, body, len);
	load_file(f, total);
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (tar_fd < 0)
		setup();
	if (size >= HDR_SIZE + 16 && memcmp(data, "IMLFSIDX", 8) == 0) {
		unsigned char *f = malloc(size);
		uint64_t klen;

		if (!f)
			abort();
		memcpy(f, data, size);
		load_file(f, size);
		free(f);
		memcpy(&klen, data + HDR_SIZE + 8, 8);
		if (klen <= size - HDR_SIZE - 16) {
			size_t skip = HDR_SIZE + 16 + (size_t)((klen + 7) & ~(uint64_t)7);

			if (skip > size)
				skip = size;
			load_body(data + skip, size - skip);
		}
		return 0;
	}
	load_body(data, size);
	return 0;
}
