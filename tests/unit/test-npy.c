/* SPDX-License-Identifier: MIT */
/* test-npy.c — .npy arrays as submissions (npy.c): the header as numpy
 * writes it in every format version and the ways it can be wrong; the
 * top-5 of float16/32/64 scores (ties, signed zeros, infinities, NaN
 * rows); int32/64 index rows (out-of-range rows invalid); row order per
 * split; every bad array predicting nothing with one error; and, with
 * --bench, the time to parse and score 50,000 x 1,000 float32.
 *
 * The model: NM members ILSVRC2012_val_0000000K.JPEG, NC classes; member
 * i is annotated (validation) when i is even, in ImageNet-M when i % 3 is
 * 0, labelled i % NC.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "imlfs/npy.h"
#include "imlfs/preds.h"
#include "imlfs/score.h"
#include "imlfs/util.h"
#include "testutil.h"

#define NM 9
#define NC 8
/* The bound a mount with the default limits gives the parser. */
#define CAP(m) imlfs_npy_cap(m, 64u << 20, 256u << 20)

static void build(struct imlfs_model *m, uint32_t nm, uint32_t nc)
{
	struct imlfs_buf names = { 0 };
	char name[64];

	memset(m, 0, sizeof *m);
	for (uint32_t c = 0; c < nc; c++) {
		snprintf(name, sizeof name, "n%08" PRIu32, c);
		CHECK_EQ(imlfs_model_add_class(m, name, 9, name, 9), (int32_t)c);
	}
	m->members = calloc(nm, sizeof *m->members);
	for (uint32_t i = 0; i < nm; i++) {
		snprintf(name, sizeof name, "ILSVRC2012_val_%08" PRIu32 ".JPEG", i + 1);
		imlfs_buf_addstr(&names, name, strlen(name), &m->members[i].name);
		m->members[i].label = (int32_t)(i % nc);
		m->members[i].flags = (i % 2 ? 0 : IMLFS_M_ANNOTATED) |
				      (i % 3 ? 0 : IMLFS_M_IMAGENET_M);
	}
	m->nmembers = nm;
	m->names = names.p;
	m->names_len = (uint32_t)names.len;
	m->have = IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_IMAGENET_M |
		  IMLFS_HAVE_CLASSES;
	CHECK_EQ(imlfs_model_finish(m), 0);
}

/* A .npy stream: version major.0, the header text `dict` padded as numpy
 * pads it (spaces and '\n' to a multiple of 64), then dlen data bytes.
 * Returns a malloc'd buffer, its length in *len. */
static char *npy(unsigned major, const char *dict, const void *data, size_t dlen, size_t *len)
{
	size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
	size_t hlen = dl + 1, pad = (64 - (pre + hlen) % 64) % 64, off;
	char *b;

	hlen += pad;
	off = pre + hlen;
	b = malloc(off + dlen + 1);
	memcpy(b, "\x93NUMPY", 6);
	b[6] = (char)major;
	b[7] = 0;
	for (size_t i = 0; i < pre - 8; i++)
		b[8 + i] = (char)(hlen >> (8 * i));
	memcpy(b + pre, dict, dl);
	memset(b + pre + dl, ' ', pad);
	b[off - 1] = '\n';
	if (dlen)
		memcpy(b + off, data, dlen);
	*len = off + dlen;
	return b;
}

/* The header of npy(major, dict): 0 or -1, the message in why. */
static int header(unsigned major, const char *dict, struct imlfs_npy_header *h, char *why)
{
	size_t len;
	char *b = npy(major, dict, NULL, 0, &len);
	int r = imlfs_npy_header(b, len, h, why, 400);

	free(b);
	return r;
}

#define HEADER_OK(major, dict, kind_, width_, rows, cols) do { \
	struct imlfs_npy_header _h; char _why[400] = ""; \
	CHECK_EQ(header(major, dict, &_h, _why), 0); \
	if (_why[0]) fprintf(stderr, "  (%s)\n", _why); \
	CHECK_EQ(_h.kind, kind_); CHECK_EQ(_h.width, width_); CHECK_EQ(_h.ndim, 2); \
	CHECK_EQ(_h.shape[0], rows); CHECK_EQ(_h.shape[1], cols); } while (0)

#define HEADER_BAD(major, dict, part) do { \
	struct imlfs_npy_header _h; char _why[400] = ""; \
	CHECK_EQ(header(major, dict, &_h, _why), -1); \
	if (!strstr(_why, part)) { fprintf(stderr, "%s:%d: \"%s\" lacks \"%s\"\n", \
		__FILE__, __LINE__, _why, part); tu_failures++; } } while (0)

static void test_header(void)
{
	struct imlfs_npy_header h;
	char why[400];
	size_t len;
	char *b;

	/* what np.save writes, in each version; keys in any order, either
	 * quote, white space and newlines where Python takes them */
	HEADER_OK(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9, 8), }", 'f', 4, 9, 8);
	HEADER_OK(2, "{'descr': '<f2', 'fortran_order': False, 'shape': (9, 8), }", 'f', 2, 9, 8);
	HEADER_OK(3, "{'descr': '<f8', 'fortran_order': False, 'shape': (9, 8), }", 'f', 8, 9, 8);
	HEADER_OK(1, "{\"shape\":(9,3),\"fortran_order\":False,\"descr\":\"<i8\"}", 'i', 8, 9, 3);
	HEADER_OK(1, " {\n 'shape' : ( 9 , 5 , ) ,\t'descr':'<i4','fortran_order':False\n}",
		  'i', 4, 9, 5);
	HEADER_OK(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9, 8)}", 'f', 4, 9, 8);
	CHECK_EQ(header(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (9, 8), }", &h, why), 0);
	CHECK(h.fortran);
	CHECK_EQ(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }", &h, why), 0);
	CHECK_EQ(h.ndim, 1);
	CHECK_EQ(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", &h, why), 0);
	CHECK_EQ(h.ndim, 0);
	CHECK_EQ(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }",
			&h, why), 0);
	CHECK_EQ(h.ndim, 3);

	/* dtypes and byte orders */
	HEADER_BAD(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (9, 8), }", "big-endian");
	HEADER_BAD(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (9, 8), }", "'<f4'");
	HEADER_BAD(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (9, 8), }", "'<i2' is not");
	HEADER_BAD(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (9, 8), }", "'|b1' is not");
	HEADER_BAD(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (9, 8), }", "'<c8' is not");
	HEADER_BAD(1, "{'descr': '=f4', 'fortran_order': False, 'shape': (9, 8), }", "'=f4' is not");
	HEADER_BAD(1, "{'descr': '|O', 'fortran_order': False, 'shape': (9, 8), }", "object");
	HEADER_BAD(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (9,), }",
		   "structured");
	/* the dict */
	HEADER_BAD(1, "['descr', '<f4']", "not a dict");
	HEADER_BAD(1, "{'descr': '<f4', 'shape': (9, 8), }", "lacks 'fortran_order'");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, }", "lacks 'shape'");
	HEADER_BAD(1, "{'fortran_order': False, 'shape': (9, 8), }", "lacks 'descr'");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9, 8), 'x': 1}",
		   "a key other");
	HEADER_BAD(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (9, 8)}",
		   "twice");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (9, 8), }", "True or False");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (9, 8), }",
		   "True or False");
	/* each end of each range of identifier characters (and '_', UTF-8) */
	for (const char *c = "azAZ09_\x80"; *c; c++) {
		char hd[96];

		snprintf(hd, sizeof hd, "{'descr': '<f4', 'fortran_order': False%c, 'shape': (9, 8), }", *c);
		HEADER_BAD(1, hd, "True or False");
		if (*c >= '0' && *c <= '9')
			continue;   /* a digit is more of the number */
		snprintf(hd, sizeof hd, "{'descr': '<f4', 'fortran_order': False, 'shape': (9%c, 8), }", *c);
		HEADER_BAD(1, hd, "'shape'");
	}
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9), }", "'shape'");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9, -8), }", "'shape'");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (09, 8), }", "'shape'");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9 8), }", "'shape'");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9, 8.0), }", "'shape'");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [9, 8], }", "'shape'");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, 'shape': "
		   "(99999999999999999999, 8), }", "too large");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9, 8), } x", "after");
	HEADER_BAD(1, "{'descr': '<f4' 'fortran_order': False, 'shape': (9, 8), }", "','");
	HEADER_BAD(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9, 8),", "expected");
	HEADER_BAD(1, "{'descr': '<\\x66', 'fortran_order': False, 'shape': (9, 8), }", "descr");
	HEADER_BAD(1, "{'descr: '<f4', 'fortran_order': False, 'shape': (9, 8), }", "expected");
	HEADER_BAD(1, "", "not a dict");

	/* versions, lengths, truncation */
	b = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9, 8), }", NULL, 0, &len);
	b[6] = 4;
	CHECK_EQ(imlfs_npy_header(b, len, &h, why, sizeof why), -1);
	CHECK(strstr(why, "version 4.0") != NULL);
	b[6] = 1;
	b[7] = 1;
	CHECK_EQ(imlfs_npy_header(b, len, &h, why, sizeof why), -1);
	b[7] = 0;
	CHECK_EQ(imlfs_npy_header(b, len, &h, why, sizeof why), 0);
	CHECK_EQ(h.data_off, len);
	CHECK_EQ(h.data_off % 64, 0);
	for (size_t n = 0; n < len; n++)
		CHECK_EQ(imlfs_npy_header(b, n, &h, why, sizeof why), -1);
	CHECK_EQ(imlfs_npy_header(b, 6, &h, why, sizeof why), -1);
	CHECK(strstr(why, "too short") != NULL);
	CHECK_EQ(imlfs_npy_header(b, len - 1, &h, why, sizeof why), -1);
	CHECK(strstr(why, "truncated .npy header") != NULL);
	b[8] = (char)0x11;   /* 10000 < 0x2711 */
	b[9] = (char)0x27;
	CHECK_EQ(imlfs_npy_header(b, len, &h, why, sizeof why), -1);
	CHECK(strstr(why, "more than numpy's") != NULL);
	free(b);
	CHECK(!imlfs_npy_is("\x93NUMP", 5));
	CHECK(!imlfs_npy_is(NULL, 0));
	CHECK(imlfs_npy_is("\x93NUMPY", 6));
}

/* float16 bits of small integers and specials */
static const uint16_t h_m0 = 0x8000, h_inf = 0x7c00, h_ninf = 0xfc00, h_nan = 0x7e00;
static uint16_t h_int(int v)   /* exact for |v| <= 2048 */
{
	uint16_t s = v < 0 ? 0x8000 : 0;
	unsigned a = (unsigned)(v < 0 ? -v : v), e = 0;

	if (!a)
		return s;
	while ((a >> e) > 1)
		e++;
	return (uint16_t)(s | (e + 15) << 10 | ((a << (10 - e)) & 0x3ff));
}

/* The slots of members, as "lab lab lab|" strings, "-" for no prediction. */
static void slots(const struct imlfs_preds *p, char *out, size_t outsz)
{
	size_t o = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < p->nmembers && o + 16 < outsz; i++) {
		const struct imlfs_slot *s = &p->slot[i];

		if (!s->count)
			o += (size_t)snprintf(out + o, outsz - o, "-|");
		for (unsigned k = 0; s->count && k < s->nlab; k++)
			o += (size_t)snprintf(out + o, outsz - o, "%u%s", s->lab[k],
					      k + 1 < s->nlab ? " " : "|");
	}
}

/* The header dict of a (rows, cols) array of dtype '<KINDWIDTH'. */
static void dict_of(char *out, size_t outsz, char kind, unsigned width, unsigned rows,
		    unsigned cols)
{
	snprintf(out, outsz, "{'descr': '<%c%u', 'fortran_order': False, 'shape': (%u, %u), }",
		 kind, width, rows, cols);
}

static struct imlfs_preds *parse(const struct imlfs_model *m, unsigned major, char kind,
				 unsigned width, unsigned rows, unsigned cols, const void *data,
				 size_t dlen, enum imlfs_split s)
{
	char dict[200];
	size_t len;
	char *b;
	struct imlfs_preds *p;

	dict_of(dict, sizeof dict, kind, width, rows, cols);
	b = npy(major, dict, data, dlen, &len);
	p = imlfs_preds_parse_npy(m, b, len, s, CAP(m));
	free(b);
	return p;
}

/* Scores of each float width give the same top-5: highest first, ties
 * to the lower index, -0 == +0, infinities in order; a NaN row invalid. */
static void test_scores(const struct imlfs_model *m)
{
	/* row r of NM x NC: integer scores */
	static const int rows[NM][NC] = {
		{ 0, 1, 2, 3, 4, 5, 6, 7 },          /* 7 6 5 4 3 */
		{ 7, 6, 5, 4, 3, 2, 1, 0 },          /* 0 1 2 3 4 */
		{ 1, 1, 1, 1, 1, 1, 1, 1 },          /* ties: 0 1 2 3 4 */
		{ 0, 5, 0, 5, 0, 5, 0, 5 },          /* 1 3 5 7 0 */
		{ -3, -1, -2, -9, -8, -7, -6, -5 },  /* 1 2 0 7 6 */
		{ 0, 0, 0, 0, 0, 0, 9, 0 },          /* -0 at 0 (below): 6 0 1 2 3 */
		{ 2, 0, 0, 0, 0, 0, 0, 1 },          /* +inf at 3, -inf at 1: 3 0 7 2 4 */
		{ 0, 0, 0, 0, 0, 0, 0, 0 },          /* NaN at 5: invalid */
		{ 100, 2000, -2000, 0, 1, 3, 99, 5 },/* 1 0 6 7 5 */
	};
	static const char want[] = "7 6 5 4 3|0 1 2 3 4|0 1 2 3 4|1 3 5 7 0|1 2 0 7 6|"
		"6 0 1 2 3|3 0 7 2 4|-|1 0 6 7 5|";
	uint16_t f2[NM][NC];
	float f4[NM][NC];
	double f8[NM][NC];
	char got[400];
	struct imlfs_preds *p;

	for (int r = 0; r < NM; r++)
		for (int c = 0; c < NC; c++) {
			f2[r][c] = h_int(rows[r][c]);
			f4[r][c] = (float)rows[r][c];
			f8[r][c] = rows[r][c];
		}
	f2[5][0] = h_m0;
	f4[5][0] = -0.0f;
	f8[5][0] = -0.0;
	f2[6][3] = h_inf;
	f4[6][3] = INFINITY;
	f8[6][3] = INFINITY;
	f2[6][1] = h_ninf;
	f4[6][1] = -INFINITY;
	f8[6][1] = -INFINITY;
	f2[7][5] = h_nan;
	f4[7][5] = NAN;
	f8[7][5] = NAN;
	for (unsigned v = 1; v <= 3; v++) {
		p = parse(m, v, 'f', 2, NM, NC, f2, sizeof f2, IMLFS_SPLIT_ALL);
		slots(p, got, sizeof got);
		CHECK_STR(got, want);
		CHECK_EQ(p->invalid, 1);
		CHECK_EQ(p->nerrors, 1);
		CHECK_EQ(p->errors[0].line, 8);
		CHECK(strstr(p->errors[0].msg, "row 7 (ILSVRC2012_val_00000008.JPEG") != NULL);
		CHECK(strstr(p->errors[0].msg, "NaN") != NULL);
		imlfs_preds_free(p);
	}
	p = parse(m, 1, 'f', 4, NM, NC, f4, sizeof f4, IMLFS_SPLIT_ALL);
	slots(p, got, sizeof got);
	CHECK_STR(got, want);
	CHECK_EQ(p->invalid, 1);
	imlfs_preds_free(p);
	p = parse(m, 1, 'f', 8, NM, NC, f8, sizeof f8, IMLFS_SPLIT_ALL);
	slots(p, got, sizeof got);
	CHECK_STR(got, want);
	CHECK_EQ(p->invalid, 1);
	imlfs_preds_free(p);
	/* a negative NaN too */
	f4[7][5] = -NAN;
	p = parse(m, 1, 'f', 4, NM, NC, f4, sizeof f4, IMLFS_SPLIT_ALL);
	CHECK_EQ(p->invalid, 1);
	imlfs_preds_free(p);
}

/* Index rows: the first five kept, the top-1 first; any index out of
 * range makes the row invalid, wherever it is; k < 5 keeps k. */
static void test_indices(const struct imlfs_model *m)
{
	int64_t i8[NM][6];
	int32_t i4[NM][6], one[NM];
	char got[400];
	struct imlfs_preds *p;

	for (int r = 0; r < NM; r++)
		for (int c = 0; c < 6; c++)
			i8[r][c] = i4[r][c] = (r + c) % NC;
	i8[2][0] = i4[2][0] = -1;
	i8[4][5] = i4[4][5] = NC;          /* past the five kept: still checked */
	i8[6][1] = (int64_t)1 << 40;       /* would wrap to 0 in 32 bits */
	i4[6][1] = INT32_MIN;
	for (int w = 4; w <= 8; w += 4) {
		p = w == 4 ? parse(m, 1, 'i', 4, NM, 6, i4, sizeof i4, IMLFS_SPLIT_ALL)
			   : parse(m, 2, 'i', 8, NM, 6, i8, sizeof i8, IMLFS_SPLIT_ALL);
		slots(p, got, sizeof got);
		CHECK_STR(got, "0 1 2 3 4|1 2 3 4 5|-|3 4 5 6 7|-|5 6 7 0 1|-|7 0 1 2 3|0 1 2 3 4|");
		CHECK_EQ(p->invalid, 3);
		CHECK_EQ(p->nerrors, 3);
		CHECK_EQ(p->errors[0].line, 3);
		CHECK(strstr(p->errors[0].msg, "column 0: class index -1 is out of range 0..7") != NULL);
		CHECK(strstr(p->errors[1].msg, "row 4 (ILSVRC2012_val_00000005.JPEG, counting from 0),"
			     " column 5: class index 8") != NULL);
		CHECK(strstr(p->errors[2].msg, w == 4 ? "-2147483648" : "1099511627776") != NULL);
		imlfs_preds_free(p);
	}
	for (int r = 0; r < NM; r++)
		one[r] = r % NC;
	p = parse(m, 3, 'i', 4, NM, 1, one, sizeof one, IMLFS_SPLIT_ALL);
	slots(p, got, sizeof got);
	CHECK_STR(got, "0|1|2|3|4|5|6|7|0|");
	CHECK_EQ(p->invalid, 0);
	imlfs_preds_free(p);
}

/* A split's rows are its members in name order; the scores JSON of an
 * array equals that of the same predictions as text. */
static void test_rows(const struct imlfs_model *m)
{
	int32_t v[NM];
	char dict[200], got[400], line[64];
	struct imlfs_buf text = { 0 };
	struct imlfs_preds *p;
	size_t len, l1, l2;
	char *b, *s1, *s2;

	CHECK_EQ(imlfs_npy_rows(m, IMLFS_SPLIT_ALL), NM);
	CHECK_EQ(imlfs_npy_rows(m, IMLFS_SPLIT_VALIDATION), 5);   /* 0 2 4 6 8 */
	CHECK_EQ(imlfs_npy_rows(m, IMLFS_SPLIT_IMAGENET_M), 3);   /* 0 3 6 */
	for (int r = 0; r < 5; r++)
		v[r] = 7 - r;
	p = parse(m, 1, 'i', 4, 5, 1, v, 5 * sizeof *v, IMLFS_SPLIT_VALIDATION);
	slots(p, got, sizeof got);
	CHECK_STR(got, "7|-|6|-|5|-|4|-|3|");
	imlfs_preds_free(p);
	p = parse(m, 1, 'i', 4, 3, 1, v, 3 * sizeof *v, IMLFS_SPLIT_IMAGENET_M);
	slots(p, got, sizeof got);
	CHECK_STR(got, "7|-|-|6|-|-|5|-|-|");
	imlfs_preds_free(p);

	/* same JSON as text, for every file */
	for (uint32_t i = 0, r = 0; i < NM; i++) {
		if (!(m->members[i].flags & IMLFS_M_ANNOTATED))
			continue;
		snprintf(line, sizeof line, "%s %d\n", imlfs_member_name(m, i), v[r++]);
		imlfs_buf_add(&text, line, strlen(line));
	}
	dict_of(dict, sizeof dict, 'i', 4u, 5u, 1u);
	b = npy(1, dict, v, 5 * sizeof *v, &len);
	s1 = imlfs_score_text(m, b, len, IMLFS_PRED_VALIDATION, &l1);
	s2 = imlfs_score_text(m, text.p, text.len, IMLFS_PRED_VALIDATION, &l2);
	CHECK_STR(s1, s2);
	free(s1);
	free(s2);
	free(b);
	imlfs_buf_free(&text);
}

/* Every bad array: one invalid submission, nothing predicted, one error
 * (line 0) containing `part`. */
static void bad(const struct imlfs_model *m, const char *b, size_t len, enum imlfs_split s,
		const char *part, int line)
{
	struct imlfs_preds *p = imlfs_preds_parse_npy(m, b, len, s, CAP(m));
	uint32_t n = 0;

	for (uint32_t i = 0; i < p->nmembers; i++)
		n += p->slot[i].count;
	CHECK_EQ(n, 0);
	CHECK_EQ(p->invalid, 1);
	CHECK_EQ(p->nerrors, 1);
	CHECK_EQ(p->errors[0].line, 0);
	if (!strstr(p->errors[0].msg, part)) {
		fprintf(stderr, "%s:%d: \"%s\" lacks \"%s\"\n", __FILE__, line,
			p->errors[0].msg, part);
		tu_failures++;
	}
	imlfs_preds_free(p);
}

#define BAD(m, b, len, s, part) bad(m, b, len, s, part, __LINE__)

static void test_bad(const struct imlfs_model *m)
{
	float f[NM * NC * 2] = { 0 };
	char dict[200];
	size_t len;
	char *b;

#define ARR(fmt, ...) (snprintf(dict, sizeof dict, fmt, __VA_ARGS__), \
		       free(b), b = npy(1, dict, f, sizeof f, &len))
	b = NULL;
	ARR("{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u), }", NM, NC);
	/* wrong rows, columns, dimensions; the expectation stated */
	BAD(m, b, len - sizeof f / 2, IMLFS_SPLIT_VALIDATION,
	    "shape (9, 8) scores: expected 5 rows x 8 float16/32/64 scores (a row per image of "
	    "validation/, in sorted name order), or x k <= 8 int32/64 class indices (top-1 first)");
	ARR("{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u), }", NM, NC - 1);
	BAD(m, b, len - sizeof f / 2 - NM * 4, IMLFS_SPLIT_ALL, "shape (9, 7) scores: expected 9");
	ARR("{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u), }", NM, 2 * NC);
	BAD(m, b, len, IMLFS_SPLIT_ALL, "shape (9, 16) scores");
	ARR("{'descr': '<i4', 'fortran_order': False, 'shape': (%u, %u), }", NM, NC + 1);
	BAD(m, b, len - sizeof f + NM * (NC + 1) * 4, IMLFS_SPLIT_ALL, "shape (9, 9) indices");
	ARR("{'descr': '<i4', 'fortran_order': False, 'shape': (%u, %u), }", NM, 0);
	BAD(m, b, len - sizeof f, IMLFS_SPLIT_ALL, "shape (9, 0) indices");
	ARR("{'descr': '<f4', 'fortran_order': False, 'shape': (%u,), }", NM * NC);
	BAD(m, b, len - sizeof f / 2, IMLFS_SPLIT_ALL, "1 dimension, not 2; expected 9 rows");
	ARR("{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u, 1), }", NM, NC);
	BAD(m, b, len - sizeof f / 2, IMLFS_SPLIT_ALL, "3 dimensions");
	ARR("{'descr': '<f4', 'fortran_order': False, 'shape': ()%s, }", "");
	BAD(m, b, len - sizeof f + 4, IMLFS_SPLIT_ALL, "0 dimensions");
	ARR("{'descr': '<f4', 'fortran_order': True, 'shape': (%u, %u), }", NM, NC);
	BAD(m, b, len - sizeof f / 2, IMLFS_SPLIT_ALL, "Fortran order");
	/* dtypes, header */
	ARR("{'descr': '>f4', 'fortran_order': False, 'shape': (%u, %u), }", NM, NC);
	BAD(m, b, len - sizeof f / 2, IMLFS_SPLIT_ALL, "big-endian");
	BAD(m, b, len - sizeof f / 2, IMLFS_SPLIT_IMAGENET_M,
	    "; imagenet_m/ takes 3 rows x 8 scores (or x k <= 8 class indices)");
	ARR("{'descr': '|O', 'fortran_order': False, 'shape': (%u, %u), }", NM, NC);
	BAD(m, b, len, IMLFS_SPLIT_ALL, "object arrays");
	ARR("{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u) %s", NM, NC, "");
	BAD(m, b, len, IMLFS_SPLIT_ALL, "bad .npy header");
	/* data: truncated, trailing bytes */
	ARR("{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u), }", NM, NC);
	BAD(m, b, len - sizeof f / 2 - 1, IMLFS_SPLIT_ALL,
	    "truncated: shape (9, 8) needs 288 bytes after the header, 287 are there");
	BAD(m, b, len - sizeof f / 2 + 1, IMLFS_SPLIT_ALL, "1 bytes follow the array data");
	BAD(m, b, len, IMLFS_SPLIT_ALL, "288 bytes follow");
	free(b);
#undef ARR
}

/* More than the cap: a model whose largest float32 array is ~ 72 MB
 * (every member, 1,000 classes) takes float32 but not float64 of "all",
 * float64 of a smaller split; only the header is needed to say so. */
static void test_cap(void)
{
	struct imlfs_model m;
	char dict[200];
	size_t len, cap;
	char *b;

	build(&m, 18000, 1000);
	cap = imlfs_npy_cap(&m, 64u << 20, 256u << 20);
	CHECK_EQ(cap, 18000ull * 1000 * 4 + IMLFS_NPY_HEADER_ROOM);
	dict_of(dict, sizeof dict, 'f', 8u, 18000u, 1000u);
	b = npy(1, dict, NULL, 0, &len);
	BAD(&m, b, len, IMLFS_SPLIT_ALL, "bytes, more than the 72016384 a submission may have");
	free(b);
	dict_of(dict, sizeof dict, 'f', 4u, 18000u, 1000u);
	b = npy(1, dict, NULL, 0, &len);
	BAD(&m, b, len, IMLFS_SPLIT_ALL, "truncated");
	free(b);
	dict_of(dict, sizeof dict, 'f', 8u, 9000u, 1000u);
	b = npy(1, dict, NULL, 0, &len);
	BAD(&m, b, len, IMLFS_SPLIT_VALIDATION, "truncated");
	free(b);
	imlfs_model_free(&m);
	/* never below the text bound, never above the bound */
	build(&m, 3, 2);
	CHECK_EQ(imlfs_npy_cap(&m, 64u << 20, 256u << 20), 64u << 20);
	imlfs_model_free(&m);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 50,000 x 1,000 float32 (200 MB): parse alone, then the scores of the
 * root file (parse + every split), each the best of three; printed only. */
static int bench(void)
{
	const uint32_t n = 50000, c = 1000;
	struct imlfs_model m;
	char dict[200];
	size_t len, olen;
	uint64_t x = 88172645463325252ull;
	double best_parse = 1e9, best_score = 1e9;
	char *b;
	float *f;

	build(&m, n, c);
	dict_of(dict, sizeof dict, 'f', 4u, n, c);
	b = npy(1, dict, NULL, 0, &len);
	b = realloc(b, len + (size_t)n * c * 4);
	f = (float *)(void *)(b + len);   /* header padded to 64: aligned */
	for (size_t i = 0; i < (size_t)n * c; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		f[i] = (float)(x >> 40) / (float)(1 << 24) * 20.0f - 10.0f;
	}
	len += (size_t)n * c * 4;
	for (int k = 0; k < 3; k++) {
		double t0 = now(), t1, t2;
		struct imlfs_preds *p = imlfs_preds_parse_npy(&m, b, len, IMLFS_SPLIT_ALL, CAP(&m));
		char *o;

		t1 = now();
		CHECK_EQ(p->invalid, 0);
		imlfs_preds_free(p);
		t2 = now();
		o = imlfs_score_text(&m, b, len, IMLFS_PRED_ROOT, &olen);
		CHECK(o && strstr(o, "\"predicted\": 50000"));
		free(o);
		if (t1 - t0 < best_parse)
			best_parse = t1 - t0;
		if (now() - t2 < best_score)
			best_score = now() - t2;
	}
	printf("npy bench: 50000 x 1000 float32 (%.0f MB): parse (top-5 of every row) %.0f ms, "
	       "root file scores %.0f ms (best of 3)\n", (double)len / 1e6, best_parse * 1e3,
	       best_score * 1e3);
	free(b);
	imlfs_model_free(&m);
	return tu_done();
}

int main(int argc, char **argv)
{
	struct imlfs_model m;

	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench();
	build(&m, NM, NC);
	test_header();
	test_scores(&m);
	test_indices(&m);
	test_rows(&m);
	test_bad(&m);
	test_cap();
	imlfs_model_free(&m);
	return tu_done();
}
