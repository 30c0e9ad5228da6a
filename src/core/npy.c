/* SPDX-License-Identifier: MIT */
/* npy.c — NumPy .npy arrays as submissions (see npy.h).
 *
 * The array is never copied nor converted: each row is read in place, and
 * a score row's top-5 is a single pass keeping the five best so far (a
 * partial selection, not a sort).  Floats are compared through an integer
 * key that orders them as their values (sign-magnitude turned into two's
 * complement order, -0 made +0), the same code for float16, 32 and 64 and
 * no float16 arithmetic needed.  Bytes are assembled little-endian by
 * shifts, so the parser is right on any host.
 *
 * The header is the dict literal numpy writes ({'descr': '<f4',
 * 'fortran_order': False, 'shape': (N, C), } padded with spaces, ending
 * in '\n'), read as numpy reads it (ast.literal_eval, then exactly the
 * three keys), restricted to the plain literals a valid header for the
 * dtypes accepted here can hold: quoted strings without escapes, True or
 * False, a tuple of decimal integers.  A key given twice, which Python
 * would let the later one win, is refused: no writer makes one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/npy.h"

#define ALLOWED "float16/32/64 scores ('<f2', '<f4', '<f8') or int32/64 class indices " \
	"('<i4', '<i8')"

size_t imlfs_npy_wrap_header(char *buf, const char *dict, size_t dl, unsigned lead_digits)
{
	size_t hlen, pad;

	if (lead_digits > 21 || dl > 65000)
		return 0;
	hlen = dl + (21 - lead_digits) + 1;
	pad = 64 - (10 + hlen) % 64;   /* numpy's: 1 to 64 spaces */
	memcpy(buf, "\x93NUMPY\x01\x00", 8);
	buf[8] = (char)((hlen + pad) & 0xff);
	buf[9] = (char)((hlen + pad) >> 8);
	memcpy(buf + 10, dict, dl);
	memset(buf + 10 + dl, ' ', (21 - lead_digits) + pad);
	buf[10 + hlen + pad - 1] = '\n';
	return 10 + hlen + pad;
}

bool imlfs_npy_is(const char *buf, size_t len)
{
	return buf && len >= IMLFS_NPY_MAGIC_LEN &&
	       !memcmp(buf, IMLFS_NPY_MAGIC, IMLFS_NPY_MAGIC_LEN);
}

static inline uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A cursor over the header text. */
struct scan {
	const char *p, *e;
};

/* Python's white space between tokens (inside the braces a newline too). */
static void skip_ws(struct scan *s)
{
	while (s->p < s->e && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' ||
			       *s->p == '\r' || *s->p == '\f'))
		s->p++;
}

/* The punctuation c after white space. */
static bool punct(struct scan *s, char c)
{
	skip_ws(s);
	if (s->p < s->e && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* A quoted string without escapes: its contents in *v, *n. */
static bool string(struct scan *s, const char **v, size_t *n)
{
	const char *q;
	char quote;

	skip_ws(s);
	if (s->p == s->e || (*s->p != '\'' && *s->p != '"'))
		return false;
	quote = *s->p;
	for (q = s->p + 1; q < s->e && *q != quote; q++)
		if (*q == '\\' || *q == '\n' || *q == '\r')
			return false;
	if (q == s->e)
		return false;
	*v = s->p + 1;
	*n = (size_t)(q - *v);
	s->p = q + 1;
	return true;
}

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || (unsigned char)c >= 0x80;
}

/* The name w, not followed by more of an identifier. */
static bool word(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	skip_ws(s);
	if ((size_t)(s->e - s->p) < n || memcmp(s->p, w, n) ||
	    (s->p + n < s->e && is_ident(s->p[n])))
		return false;
	s->p += n;
	return true;
}

/* A decimal integer as Python writes one (no leading zeros); *big when it
 * does not fit 63 bits. */
static bool integer(struct scan *s, uint64_t *v, bool *big)
{
	const char *q;

	skip_ws(s);
	*v = 0;
	for (q = s->p; q < s->e && *q >= '0' && *q <= '9'; q++) {
		if (*v > (INT64_MAX - 9) / 10)
			*big = true;
		else
			*v = *v * 10 + (uint64_t)(*q - '0');
	}
	if (q == s->p || (*s->p == '0' && q - s->p > 1) || (q < s->e && is_ident(*q)))
		return false;
	s->p = q;
	return true;
}

/* A tuple of integers: "()", "(N,)", "(N, C)", "(N, C,)", ... */
static bool shape(struct scan *s, struct imlfs_npy_header *h, bool *big)
{
	bool comma = false;
	uint64_t v;

	if (!punct(s, '('))
		return false;
	h->ndim = 0;
	if (punct(s, ')'))
		return true;
	for (;;) {
		if (!integer(s, &v, big))
			return false;
		if (h->ndim < 2)
			h->shape[h->ndim] = v;
		if (h->ndim < 64)
			h->ndim++;
		comma = punct(s, ',');
		if (punct(s, ')'))
			break;
		if (!comma)
			return false;
	}
	/* "(N)" is N in Python, not a tuple */
	return h->ndim > 1 || comma;
}

/* The dtype descr: sets kind and width, or says why not. */
static int descr(const char *v, size_t n, struct imlfs_npy_header *h, char *why, size_t whysz)
{
	static const struct { const char *d; char kind; unsigned width; } ok[] = {
		{ "<f2", 'f', 2 }, { "<f4", 'f', 4 }, { "<f8", 'f', 8 },
		{ "<i4", 'i', 4 }, { "<i8", 'i', 8 },
	};
	char q[24];

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (n == 3 && !memcmp(v, ok[i].d, 3)) {
			h->kind = ok[i].kind;
			h->width = ok[i].width;
			return 0;
		}
	for (size_t i = 0; i < n && i + 1 < sizeof q; i++)
		q[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	q[n < sizeof q - 1 ? n : sizeof q - 1] = '\0';
	if (n == 2 && !memcmp(v, "|O", 2))
		snprintf(why, whysz, "object arrays ('|O') are not accepted; save %s", ALLOWED);
	else if (n >= 1 && v[0] == '>')
		snprintf(why, whysz, "dtype '%s' is big-endian; save little-endian %s, "
			 "e.g. a.astype('<f4')", q, ALLOWED);
	else
		snprintf(why, whysz, "dtype '%s' is not accepted; save %s", q, ALLOWED);
	return -1;
}

#define FAIL(...) do { snprintf(why, whysz, __VA_ARGS__); return -1; } while (0)

int imlfs_npy_header(const char *buf, size_t len, struct imlfs_npy_header *h,
		     char *why, size_t whysz)
{
	const unsigned char *u = (const unsigned char *)buf;
	struct scan s;
	size_t pre, hlen;
	bool have[3] = { false, false, false }, big = false;
	const char *dv = NULL;
	size_t dn = 0;

	memset(h, 0, sizeof *h);
	if (!imlfs_npy_is(buf, len) || len < IMLFS_NPY_MAGIC_LEN + 2)
		FAIL("not a .npy array: too short for its magic and version");
	h->major = u[6];
	h->minor = u[7];
	if ((h->major < 1 || h->major > 3) || h->minor != 0)
		FAIL(".npy format version %u.%u is not supported (1.0, 2.0 and 3.0 are); "
		     "save with np.save", h->major, h->minor);
	pre = h->major == 1 ? 10 : 12;
	if (len < pre)
		FAIL("truncated .npy header: %zu bytes, the header length needs %zu", len, pre);
	hlen = h->major == 1 ? le16(u + 8) : le32(u + 8);
	if (hlen > IMLFS_NPY_MAX_HEADER)
		FAIL(".npy header of %zu bytes, more than numpy's %u", hlen,
		     IMLFS_NPY_MAX_HEADER);
	if (len - pre < hlen)
		FAIL("truncated .npy header: it says %zu bytes, %zu follow", hlen, len - pre);
	h->data_off = pre + hlen;
	s.p = buf + pre;
	s.e = buf + pre + hlen;
	if (!punct(&s, '{'))
		FAIL("bad .npy header: not a dict; save with np.save");
	while (!punct(&s, '}')) {
		const char *k;
		size_t kn;
		int which;

		if (!string(&s, &k, &kn) || !punct(&s, ':'))
			FAIL("bad .npy header: expected 'key': value in the dict; save with np.save");
		if (kn == 5 && !memcmp(k, "descr", 5))
			which = 0;
		else if (kn == 13 && !memcmp(k, "fortran_order", 13))
			which = 1;
		else if (kn == 5 && !memcmp(k, "shape", 5))
			which = 2;
		else
			FAIL("bad .npy header: a key other than 'descr', 'fortran_order' and 'shape'");
		if (have[which])
			FAIL("bad .npy header: key '%.*s' given twice", (int)kn, k);
		have[which] = true;
		if (which == 0 && !string(&s, &dv, &dn)) {
			skip_ws(&s);
			if (s.p < s.e && *s.p == '[')
				FAIL("structured arrays are not accepted; save %s", ALLOWED);
			FAIL("bad .npy header: 'descr' is not a plain string");
		}
		if (which == 1) {
			if (word(&s, "True"))
				h->fortran = true;
			else if (!word(&s, "False"))
				FAIL("bad .npy header: 'fortran_order' is not True or False");
		}
		if (which == 2 && !shape(&s, h, &big))
			FAIL("bad .npy header: 'shape' is not a tuple of non-negative integers");
		if (!punct(&s, ',')) {
			if (punct(&s, '}'))
				break;
			FAIL("bad .npy header: expected ',' or '}' in the dict");
		}
	}
	skip_ws(&s);
	if (s.p != s.e)
		FAIL("bad .npy header: something after the dict");
	if (!have[0] || !have[1] || !have[2])
		FAIL("bad .npy header: it lacks '%s'",
		     !have[0] ? "descr" : !have[1] ? "fortran_order" : "shape");
	if (big)
		FAIL("bad .npy header: a dimension of the shape is too large");
	return descr(dv, dn, h, why, whysz);
}

uint32_t imlfs_npy_rows(const struct imlfs_model *m, enum imlfs_split s)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < m->nmembers; i++)
		n += imlfs_in_split(m, i, s);
	return n;
}

size_t imlfs_npy_cap(const struct imlfs_model *m, size_t text_cap, size_t bound)
{
	uint64_t need = IMLFS_NPY_HEADER_ROOM + (uint64_t)m->nmembers * m->nclasses * 4;
	uint64_t cap = need > text_cap ? need : text_cap;

	return (size_t)(cap < bound ? cap : bound);
}

/* Order-preserving integer key of a little-endian float of w bytes; a NaN
 * sets *nan. */
static inline __attribute__((always_inline)) uint64_t fkey(const unsigned char *p, unsigned w,
							   bool *nan)
{
	uint64_t b, sign, mag, inf;

	switch (w) {
	case 2: b = le16(p); sign = 1ull << 15; inf = 0x7c00; break;
	case 4: b = le32(p); sign = 1ull << 31; inf = 0x7f800000; break;
	default: b = le64(p); sign = 1ull << 63; inf = 0x7ff0000000000000ull; break;
	}
	mag = b & (sign - 1);
	*nan |= mag > inf;
	if (!mag)
		return sign;                     /* -0 == +0 */
	return b & sign ? (sign - 1) - mag : b | sign;
}

/* The k (<= IMLFS_NPY_MAX_K, <= n) highest of a row's n scores, highest first,
 * ties to the lower index, in lab; false when the row holds a NaN. */
static inline __attribute__((always_inline)) bool top_w(const unsigned char *row, uint32_t n,
							unsigned w, unsigned k, uint16_t *lab)
{
	uint64_t best[IMLFS_NPY_MAX_K];
	unsigned have = 0, j;
	bool nan = false;

	for (uint32_t c = 0; c < n; c++) {
		uint64_t key = fkey(row + (size_t)c * w, w, &nan);

		if (have < k) {
			j = have++;
		} else {
			if (key <= best[k - 1])
				continue;
			j = k - 1;
		}
		for (; j > 0 && key > best[j - 1]; j--) {
			best[j] = best[j - 1];
			lab[j] = lab[j - 1];
		}
		best[j] = key;
		lab[j] = (uint16_t)c;
	}
	return !nan;
}

/* One copy per width, so that the inner loop knows it. */
static bool top_scores(const unsigned char *row, uint32_t n, unsigned w, unsigned k,
		       uint16_t *lab)
{
	switch (w) {
	case 2: return top_w(row, n, 2, k, lab);
	case 4: return top_w(row, n, 4, k, lab);
	default: return top_w(row, n, 8, k, lab);
	}
}

/* A row of k class indices: the first nlab in lab, or -1 with the
 * offending column in *col and its value in *bad. */
static int row_indices(const struct imlfs_model *m, const unsigned char *row, uint64_t k,
		       unsigned w, uint16_t *lab, unsigned nlab, uint64_t *col, int64_t *bad)
{
	for (uint64_t c = 0; c < k; c++) {
		int64_t v = w == 4 ? (int64_t)(int32_t)le32(row + c * 4) : (int64_t)le64(row + c * 8);

		if (v < 0 || v >= (int64_t)m->nclasses) {
			*col = c;
			*bad = v;
			return -1;
		}
		if (c < nlab)
			lab[c] = (uint16_t)v;
	}
	return 0;
}

/* "(N, C) float scores or (N, k <= C) int indices for split s", the
 * expectation every shape error states. */
static void expected(const struct imlfs_model *m, enum imlfs_split s, uint32_t rows,
		     char *out, size_t outsz)
{
	snprintf(out, outsz, "expected %" PRIu32 " rows x %" PRIu32 " float16/32/64 scores "
		 "(a row per image of %s/, in sorted name order), or x k <= %" PRIu32
		 " int32/64 class indices (top-1 first)", rows, m->nclasses, imlfs_split_name(m, s),
		 m->nclasses);
}

/* Check what the header says against split s and the bound cap; 0 or -1
 * with why. */
static int check_array(const struct imlfs_model *m, enum imlfs_split s, size_t len,
		       const struct imlfs_npy_header *h, uint32_t rows, size_t cap,
		       char *why, size_t whysz)
{
	char exp[200];
	uint64_t cols = h->shape[1], bytes, total;

	expected(m, s, rows, exp, sizeof exp);
	if (h->fortran)
		FAIL("the array is in Fortran order; save a C-order one "
		     "(np.ascontiguousarray(a)); %s", exp);
	if (h->ndim != 2)
		FAIL("the array has %u dimension%s, not 2; %s", h->ndim, h->ndim == 1 ? "" : "s",
		     exp);
	if (h->shape[0] != rows || cols < 1 || cols > m->nclasses ||
	    (h->kind == 'f' && cols != m->nclasses))
		FAIL("shape (%" PRIu64 ", %" PRIu64 ") %s: %s", h->shape[0], cols,
		     h->kind == 'f' ? "scores" : "indices", exp);
	/* Within the shape checks, rows * cols * 8 cannot overflow. */
	bytes = h->shape[0] * cols * h->width;
	total = h->data_off + bytes;
	if (total > cap)
		FAIL("the array is %" PRIu64 " bytes, more than the %zu a submission may have; "
		     "save float32 scores (a.astype('<f4')) or top-5 indices", total, cap);
	if (len - h->data_off < bytes)
		FAIL("the array data is truncated: shape (%" PRIu64 ", %" PRIu64 ") needs %"
		     PRIu64 " bytes after the header, %zu are there", h->shape[0], cols, bytes,
		     len - h->data_off);
	if (len - h->data_off > bytes)
		FAIL("%zu bytes follow the array data; write one array alone (np.save)",
		     (size_t)(len - h->data_off - bytes));
	return 0;
}

#undef FAIL

int imlfs_npy_open(const struct imlfs_model *m, const char *buf, size_t len, enum imlfs_split s,
		   size_t cap, struct imlfs_npy_array *a, char *why, size_t whysz)
{
	char hwhy[IMLFS_NPY_WHY_MAX];

	a->rows = imlfs_npy_rows(m, s);
	if (imlfs_npy_header(buf, len, &a->h, hwhy, sizeof hwhy)) {
		/* the expectation too, as check_array's messages say it */
		snprintf(why, whysz, "%s; %s/ takes %" PRIu32 " rows x %" PRIu32 " scores "
			 "(or x k <= %" PRIu32 " class indices)", hwhy, imlfs_split_name(m, s),
			 a->rows, m->nclasses, m->nclasses);
		return -1;
	}
	if (check_array(m, s, len, &a->h, a->rows, cap, why, whysz))
		return -1;
	a->data = (const unsigned char *)buf + a->h.data_off;
	a->rowbytes = (size_t)a->h.shape[1] * a->h.width;
	return 0;
}

int imlfs_npy_row(const struct imlfs_model *m, const struct imlfs_npy_array *a, uint32_t r,
		  uint32_t i, uint16_t *lab, unsigned k, char *why, size_t whysz)
{
	const unsigned char *row = a->data + (size_t)r * a->rowbytes;
	unsigned nlab;
	uint64_t col;
	int64_t bad;

	if (k > IMLFS_NPY_MAX_K)
		k = IMLFS_NPY_MAX_K;   /* top_w's room */
	nlab = a->h.shape[1] < k ? (unsigned)a->h.shape[1] : k;

	if (a->h.kind == 'f' && !top_scores(row, (uint32_t)a->h.shape[1], a->h.width, nlab, lab)) {
		snprintf(why, whysz, "row %" PRIu32 " (%s, counting from 0) holds a NaN score", r,
			 imlfs_member_name(m, i));
		return -1;
	}
	if (a->h.kind == 'i' &&
	    row_indices(m, row, a->h.shape[1], a->h.width, lab, nlab, &col, &bad)) {
		snprintf(why, whysz, "row %" PRIu32 " (%s, counting from 0), column %" PRIu64
			 ": class index %" PRId64 " is out of range 0..%" PRIu32, r,
			 imlfs_member_name(m, i), col, bad, m->nclasses - 1);
		return -1;
	}
	return (int)nlab;
}
