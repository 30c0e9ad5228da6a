/* SPDX-License-Identifier: MIT */
/* cache.c — the persistent index: the model of one input set, written to a
 * single binary file so that a warm mount skips parsing the tarball and the
 * annotations.
 *
 * File layout (native byte order, every section 8-byte aligned):
 *   header   struct cache_header: "IMLFSIDX", u32 version, u32 byte-order
 *            mark, u64 total length, u64 checksum of the bytes after it
 *   sections each: struct section_header (u32 tag, u32 record size, u64 byte
 *            length), data, padding
 *     KEY      per input (tarball, annotations, labels, classes, real, the label
 *              sets' slots: roles.h): u32 present,
 *              u32 path length, u64 size, i64 mtime ns, u64 inode, u64 device,
 *              path bytes (padded)
 *     COUNTS   struct cache_counts
 *     MEMBERS, NAMES, CLASSES, CTEXT, ML  the model's arrays, raw
 *     SETS, then SETOFF, SETLAB, SETLIST per set: the label sets, ReaL's
 *              among them (cache-sets.c; version 3)
 *     MD5      struct imlfs_input_md5: the small inputs' digests (version 2)
 * The loader trusts nothing: a file that passes the checksum may still come
 * from a buggy or hostile writer, so every offset and count the daemon will
 * later follow is checked against the arrays it points into.  Who may have
 * written it is settled before: only the daemon's own files in its own
 * folder are read (cache.h, "Trust"; cache-dir.c reads and writes them).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache-internal.h"
#include "imlfs/cache.h"
#include "imlfs/util.h"

#define BOM 0x01020304u
static const char magic[8] = { 'I', 'M', 'L', 'F', 'S', 'I', 'D', 'X' };

enum {
	TAG_KEY = 0x4b455931,     /* "KEY1" */
	TAG_COUNTS = 0x434e5453,
	TAG_MEMBERS = 0x4d454d42,
	TAG_NAMES = 0x4e414d45,
	TAG_CLASSES = 0x434c5353,
	TAG_CTEXT = 0x43545854,
	TAG_ML = 0x4d4c4142,
	TAG_MD5 = 0x4d443531,     /* "MD51" */
};

/* The raw arrays are the file format: a layout change needs a new version. */
_Static_assert(sizeof(struct imlfs_member) == 48, "member layout changed: bump IMLFS_CACHE_VERSION");
_Static_assert(sizeof(struct imlfs_class) == 8, "class layout changed: bump IMLFS_CACHE_VERSION");
_Static_assert(sizeof(struct imlfs_stats) == 32, "stats layout changed: bump IMLFS_CACHE_VERSION");
_Static_assert(sizeof(struct imlfs_input_md5) == 216, "digests changed: bump IMLFS_CACHE_VERSION");

struct cache_header {
	char magic[8];
	uint32_t version, bom;
	uint64_t total;       /* file length */
	uint64_t checksum;    /* of bytes [sizeof header, total) */
};
_Static_assert(sizeof(struct cache_header) == 32, "header layout changed: bump IMLFS_CACHE_VERSION");

struct section_header {
	uint32_t tag, recsize;
	uint64_t len;         /* bytes of data, without the padding */
};
_Static_assert(sizeof(struct section_header) == 16, "section layout changed: bump IMLFS_CACHE_VERSION");

struct cache_counts {
	uint32_t nmembers, names_len, nclasses, ctext_len, nml, have;
	struct imlfs_stats stats;
	uint32_t nsets, pad;      /* the label sets' sections follow ML (cache-sets.c) */
};

struct key_rec {
	uint32_t present, pathlen;
	uint64_t size;
	int64_t mtime_ns;
	uint64_t ino, dev;
};

/* One key record per role (roles.h), in role order. */
_Static_assert(IMLFS_NROLES == 13, "roles changed the key section: bump IMLFS_CACHE_VERSION");

/* ---- checksum ---------------------------------------------------------- */

/* A four-lane multiply-rotate hash (in the style of xxHash64): ~8x faster
 * than byte-wise FNV-1a, and every round is a bijection of the lane, so any
 * change confined to one 8-byte word is always detected. */
#define P1 0x9e3779b185ebca87ULL
#define P2 0xc2b2ae3d27d4eb4fULL
#define P3 0x165667b19e3779f9ULL
#define P4 0x85ebca77c2b2ae63ULL
#define P5 0x27d4eb2f165667c5ULL

static uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t lane(uint64_t acc, uint64_t w)
{
	return rotl(acc + w * P2, 31) * P1;
}

static uint64_t word(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

uint64_t imlfs_cache_checksum(const void *data, size_t len)
{
	const unsigned char *p = data, *end = p + len;
	uint64_t a = P1 + P2, b = P2, c = 0, d = 0 - P1, h;

	while (end - p >= 32) {
		a = lane(a, word(p));
		b = lane(b, word(p + 8));
		c = lane(c, word(p + 16));
		d = lane(d, word(p + 24));
		p += 32;
	}
	h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + (uint64_t)len;
	for (; end - p >= 8; p += 8)
		h = rotl(h ^ lane(0, word(p)), 27) * P1 + P4;
	for (; p < end; p++)
		h = rotl(h ^ (*p * P5), 11) * P1;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	return h ^ (h >> 32);
}

/* ---- writing ----------------------------------------------------------- */

/* One writer describes the format: serialize() runs once without a buffer,
 * only counting the bytes, then again into a buffer of exactly that size,
 * so the size and the bytes cannot drift apart. */
void cache_put(struct cache_writer *w, const void *data, size_t len)
{
	if (w->p && len)
		memcpy(w->p + w->len, data, len);
	w->len += len;
}

void cache_put_pad(struct cache_writer *w)
{
	static const unsigned char zero[8];

	cache_put(w, zero, cache_pad8(w->len) - w->len);
}

/* Open a section; returns where its header is, for end_section. */
size_t cache_begin_section(struct cache_writer *w, uint32_t tag, uint32_t recsize)
{
	struct section_header h = { .tag = tag, .recsize = recsize };
	size_t at = w->len;

	cache_put(w, &h, sizeof h);
	return at;
}

/* Close it: the bytes put since begin_section become its length. */
void cache_end_section(struct cache_writer *w, size_t at)
{
	uint64_t len = w->len - at - sizeof(struct section_header);

	if (w->p)
		memcpy(w->p + at + offsetof(struct section_header, len), &len, sizeof len);
	cache_put_pad(w);
}

void cache_put_section(struct cache_writer *w, uint32_t tag, uint32_t recsize,
			const void *data, size_t len)
{
	size_t at = cache_begin_section(w, tag, recsize);

	cache_put(w, data, len);
	cache_end_section(w, at);
}

static int stat_key(const char *path, struct key_rec *k)
{
	struct stat st;

	memset(k, 0, sizeof *k);
	if (!path)
		return 0;
	k->present = 1;
	k->pathlen = (uint32_t)strlen(path);
	if (stat(path, &st) < 0)
		return -1;
	k->size = (uint64_t)st.st_size;
	k->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	k->ino = (uint64_t)st.st_ino;
	k->dev = (uint64_t)st.st_dev;
	return 0;
}

static void serialize(struct cache_writer *w, const struct imlfs_model *m,
		      const struct imlfs_inputs *in, const struct key_rec *k)
{
	struct cache_counts c = {
		.nmembers = m->nmembers, .names_len = m->names_len,
		.nclasses = m->nclasses, .ctext_len = m->ctext_len,
		.nml = m->nml, .have = m->have, .stats = m->stats, .nsets = m->nsets,
	};
	struct cache_header h = { .version = IMLFS_CACHE_VERSION, .bom = BOM };
	size_t key;

	memcpy(h.magic, magic, sizeof h.magic);
	cache_put(w, &h, sizeof h);   /* total and checksum are filled in last */
	key = cache_begin_section(w, TAG_KEY, sizeof(struct key_rec));
	for (int i = 0; i < IMLFS_NROLES; i++) {
		cache_put(w, &k[i], sizeof k[i]);
		cache_put(w, in->path[i], k[i].pathlen);
		cache_put_pad(w);
	}
	cache_end_section(w, key);
	cache_put_section(w, TAG_COUNTS, sizeof c, &c, sizeof c);
	cache_put_section(w, TAG_MEMBERS, sizeof(struct imlfs_member), m->members,
		    (size_t)m->nmembers * sizeof(struct imlfs_member));
	cache_put_section(w, TAG_NAMES, 1, m->names, m->names_len);
	cache_put_section(w, TAG_CLASSES, sizeof(struct imlfs_class), m->classes,
		    (size_t)m->nclasses * sizeof(struct imlfs_class));
	cache_put_section(w, TAG_CTEXT, 1, m->ctext, m->ctext_len);
	cache_put_section(w, TAG_ML, sizeof(uint16_t), m->ml, (size_t)m->nml * sizeof(uint16_t));
	cache_put_sets(w, m);
	cache_put_section(w, TAG_MD5, sizeof m->md5, &m->md5, sizeof m->md5);
	if (w->p) {
		h.total = w->len;
		h.checksum = imlfs_cache_checksum(w->p + sizeof h, w->len - sizeof h);
		memcpy(w->p, &h, sizeof h);
	}
}

int imlfs_cache_save(const struct imlfs_model *m, const struct imlfs_cache_dir *d,
		     const char *name, const struct imlfs_inputs *in, struct imlfs_error *err)
{
	struct key_rec k[IMLFS_NROLES];
	struct cache_writer w = {0};
	int e;

	for (int i = 0; i < IMLFS_NROLES; i++)
		if (stat_key(in->path[i], &k[i]) < 0)
			return imlfs_fail(err, IMLFS_E_INTERNAL,
					  "%s/%s: cannot stat input %s: %s; not writing the cache",
					  d->path, name, in->path[i], strerror(errno));
	serialize(&w, m, in, k);   /* counts the bytes */
	w.p = malloc(w.len);
	if (!w.p)
		return imlfs_fail(err, IMLFS_E_INTERNAL, "%s/%s: out of memory writing the cache",
				  d->path, name);
	w.len = 0;
	serialize(&w, m, in, k);
	e = imlfs_cache_write(d, name, w.p, w.len);
	free(w.p);
	if (e < 0)
		return imlfs_fail(err, IMLFS_E_INTERNAL,
				  "%s/%s: cannot write the cache file: %s; going on without a cache "
				  "(check free space and permissions in %s)", d->path, name,
				  strerror(-e), d->path);
	return 0;
}

/* ---- reading ----------------------------------------------------------- */

int cache_bad(struct cache_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->why && r->whylen) {
		va_start(ap, fmt);
		vsnprintf(r->why, r->whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The next section must be `tag` with records of `recsize`; returns its data. */
const unsigned char *cache_section(struct cache_reader *r, uint32_t tag, uint32_t recsize,
				    const char *what, uint64_t *len)
{
	struct section_header h;
	const unsigned char *d;

	if (r->len - r->pos < sizeof h) {
		cache_bad(r, "corrupt: %s section missing at byte %zu", what, r->pos);
		return NULL;
	}
	memcpy(&h, r->p + r->pos, sizeof h);
	if (h.tag != tag || h.recsize != recsize) {
		cache_bad(r, "corrupt: %s section expected at byte %zu", what, r->pos);
		return NULL;
	}
	if (h.len > r->len - r->pos - sizeof h || cache_pad8(h.len) > r->len - r->pos - sizeof h) {
		cache_bad(r, "corrupt: %s section at byte %zu overruns the file", what, r->pos);
		return NULL;
	}
	d = r->p + r->pos + sizeof h;
	r->pos += sizeof h + cache_pad8(h.len);
	*len = h.len;
	return d;
}

static int check_header(struct cache_reader *r, size_t flen)
{
	struct cache_header h;

	if (flen < sizeof h)
		return cache_bad(r, "truncated (%zu bytes, header needs %zu)", flen, sizeof h);
	memcpy(&h, r->p, sizeof h);
	if (memcmp(h.magic, magic, sizeof h.magic))
		return cache_bad(r, "not an imlfs cache file (bad magic)");
	if (h.bom != BOM)
		return cache_bad(r, "written on a machine of another byte order");
	if (h.version != IMLFS_CACHE_VERSION)
		return cache_bad(r, "version %u, expected %d", h.version, IMLFS_CACHE_VERSION);
	if (h.total > flen)
		return cache_bad(r, "truncated (%zu bytes, expected %llu)", flen, (unsigned long long)h.total);
	if (h.total < flen)
		return cache_bad(r, "corrupt: %zu bytes, expected %llu", flen, (unsigned long long)h.total);
	if (imlfs_cache_checksum(r->p + sizeof h, flen - sizeof h) != h.checksum)
		return cache_bad(r, "checksum mismatch");
	r->pos = sizeof h;
	return 0;
}

static int check_key(struct cache_reader *r, const struct imlfs_inputs *in)
{
	struct cache_reader kr = *r;
	uint64_t klen;
	const unsigned char *k = cache_section(r, TAG_KEY, sizeof(struct key_rec), "key", &klen);

	if (!k)
		return -1;
	kr.p = k;
	kr.len = klen;
	kr.pos = 0;
	for (int i = 0; i < IMLFS_NROLES; i++) {
		const char *now = in->path[i];
		struct key_rec was, cur;

		if (kr.len - kr.pos < sizeof was)
			return cache_bad(r, "corrupt: key section too short");
		memcpy(&was, kr.p + kr.pos, sizeof was);
		kr.pos += sizeof was;
		if (cache_pad8(was.pathlen) > kr.len - kr.pos)
			return cache_bad(r, "corrupt: key section too short");
		const char *path = (const char *)kr.p + kr.pos;
		kr.pos += cache_pad8(was.pathlen);
		if (!was.present != !now)
			return cache_bad(r, "input changed: %s %s", imlfs_role_name(i),
				   now ? "given now, not before" : "given before, not now");
		if (!now)
			continue;
		if (strlen(now) != was.pathlen || memcmp(now, path, was.pathlen))
			return cache_bad(r, "input changed: %s is %s now", imlfs_role_name(i), now);
		if (stat_key(now, &cur) < 0)
			return cache_bad(r, "input changed: %s: %s", now, strerror(errno));
		if (cur.size != was.size || cur.mtime_ns != was.mtime_ns ||
		    cur.ino != was.ino || cur.dev != was.dev)
			return cache_bad(r, "input changed: %s", now);
	}
	if (kr.pos != kr.len)
		return cache_bad(r, "corrupt: key section too long");
	return 0;
}

/* Copy a section into its own allocation (the model frees each with free()). */
int cache_take(struct cache_reader *r, uint32_t tag, uint32_t recsize, const char *what,
		uint64_t expect, void **out)
{
	uint64_t len;
	const unsigned char *d = cache_section(r, tag, recsize, what, &len);

	*out = NULL;
	if (!d)
		return -1;
	if (len != expect)
		return cache_bad(r, "corrupt: %s section has %llu bytes, the counts say %llu", what,
			   (unsigned long long)len, (unsigned long long)expect);
	if (!len)
		return 0;
	*out = malloc(len);
	if (!*out)
		return cache_bad(r, "out of memory");
	memcpy(*out, d, len);
	return 0;
}

static int check_members(struct cache_reader *r, const struct imlfs_model *m)
{
	for (uint32_t i = 0; i < m->nmembers; i++) {
		const struct imlfs_member *e = &m->members[i];
		uint64_t end = (uint64_t)e->ml + e->n_correct + e->n_unclear + e->n_wrong;

		if (e->name >= m->names_len)
			return cache_bad(r, "corrupt: member %u: name offset %u beyond %u", i,
				   e->name, m->names_len);
		/* Made before names were limited: rebuilding refuses the tarball. */
		if (strlen(m->names + e->name) > IMLFS_NAME_MAX ||
		    imlfs_stem_len(m->names + e->name) + 5 > IMLFS_NAME_MAX)
			return cache_bad(r, "member %u: a name longer than %d bytes", i, IMLFS_NAME_MAX);
		if (e->label != IMLFS_NO_LABEL && (e->label < 0 || (uint32_t)e->label >= m->nclasses))
			return cache_bad(r, "corrupt: member %u: label %d of %u classes", i,
				   e->label, m->nclasses);
		if (end > m->nml)
			return cache_bad(r, "corrupt: member %u: multi-labels end at %llu beyond %u", i,
				   (unsigned long long)end, m->nml);
	}
	return 0;
}

/* Offsets below the pool length are enough when the pool ends in a NUL. */
static int check_pools(struct cache_reader *r, const struct imlfs_model *m)
{
	if (m->names_len && m->names[m->names_len - 1])
		return cache_bad(r, "corrupt: name pool not NUL-terminated");
	if (m->ctext_len && m->ctext[m->ctext_len - 1])
		return cache_bad(r, "corrupt: class text not NUL-terminated");
	if (m->nclasses > IMLFS_MAX_CLASSES)
		return cache_bad(r, "corrupt: %u classes", m->nclasses);
	for (uint32_t c = 0; c < m->nclasses; c++)
		if (m->classes[c].wnid >= m->ctext_len || m->classes[c].name >= m->ctext_len)
			return cache_bad(r, "corrupt: class %u: text offset beyond %u", c, m->ctext_len);
	for (uint32_t j = 0; j < m->nml; j++)
		if (m->ml[j] >= m->nclasses)
			return cache_bad(r, "corrupt: multi-label %u: class %u of %u", j,
				   m->ml[j], m->nclasses);
	return 0;
}

static int parse_model(struct cache_reader *r, struct imlfs_model *m,
		       const struct imlfs_inputs *in)
{
	struct cache_counts c;
	uint64_t len;
	const unsigned char *d = cache_section(r, TAG_COUNTS, sizeof c, "counts", &len);

	if (!d)
		return -1;
	if (len != sizeof c)
		return cache_bad(r, "corrupt: counts section has %llu bytes", (unsigned long long)len);
	memcpy(&c, d, sizeof c);
	m->nmembers = c.nmembers;
	m->names_len = c.names_len;
	m->nclasses = c.nclasses;
	m->ctext_len = c.ctext_len;
	m->nml = c.nml;
	m->have = c.have;
	m->stats = c.stats;
	if (cache_take(r, TAG_MEMBERS, sizeof(struct imlfs_member), "members",
		 (uint64_t)c.nmembers * sizeof(struct imlfs_member), (void **)&m->members) ||
	    cache_take(r, TAG_NAMES, 1, "names", c.names_len, (void **)&m->names) ||
	    cache_take(r, TAG_CLASSES, sizeof(struct imlfs_class), "classes",
		 (uint64_t)c.nclasses * sizeof(struct imlfs_class), (void **)&m->classes) ||
	    cache_take(r, TAG_CTEXT, 1, "class text", c.ctext_len, (void **)&m->ctext) ||
	    cache_take(r, TAG_ML, sizeof(uint16_t), "multi-labels",
		 (uint64_t)c.nml * sizeof(uint16_t), (void **)&m->ml) ||
	    check_pools(r, m) || cache_take_sets(r, m, c.nsets, in))
		return -1;
	d = cache_section(r, TAG_MD5, sizeof m->md5, "digests", &len);
	if (!d)
		return -1;
	if (len != sizeof m->md5)
		return cache_bad(r, "corrupt: digests section has %llu bytes", (unsigned long long)len);
	memcpy(&m->md5, d, sizeof m->md5);
	if (r->pos != r->len)
		return cache_bad(r, "corrupt: %zu unexpected bytes at byte %zu", r->len - r->pos, r->pos);
	return check_members(r, m);
}

int imlfs_cache_parse(struct imlfs_model *m, const void *data, size_t len,
		      const struct imlfs_inputs *in, char *why, size_t whylen)
{
	struct cache_reader r = { .p = data, .len = len, .why = why, .whylen = whylen };
	int rc;

	memset(m, 0, sizeof *m);
	if (why && whylen)
		why[0] = '\0';
	rc = check_header(&r, len) || check_key(&r, in) || parse_model(&r, m, in) ? -1 : 1;
	if (rc < 0)
		imlfs_model_free(m);
	return rc;
}

int imlfs_cache_load(struct imlfs_model *m, const struct imlfs_cache_dir *d, const char *name,
		     const struct imlfs_inputs *in, char *why, size_t whylen)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	memset(m, 0, sizeof *m);
	if (why && whylen)
		why[0] = '\0';
	rc = imlfs_cache_read(d, name, &data, &len, why, whylen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return -1;
	rc = imlfs_cache_parse(m, data, len, in, why, whylen);
	free(data);
	return rc;
}
