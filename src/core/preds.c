/* SPDX-License-Identifier: MIT */
/* preds.c — the parsed submission (preds.h): its allocation, its errors,
 * the text parser, filling it from a .npy array's rows (npy.c reads the
 * format), and the choice between the two by the first bytes. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/npy.h"
#include "imlfs/preds.h"

#define TOPK IMLFS_TOPK
#define ERRMSG_MAX IMLFS_ERRMSG_MAX
#define QUOTE_MAX 48     /* bytes of a user's field quoted in a message */

_Static_assert(IMLFS_TOPK <= IMLFS_NPY_MAX_K, "an array row yields the top-5");

/* NUL counts as a separator so that zero-filled gaps in a submission
 * written at sparse offsets are harmless, and fields never contain one. */
static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ||
	       c == ',' || c == '\0';
}

/* Quote a user's field for a message: printable ASCII only, shortened. */
static void quote(char *out, size_t outsz, const char *s, size_t len)
{
	size_t n = len > QUOTE_MAX ? QUOTE_MAX : len, o = 0;

	for (size_t i = 0; i < n && o + 1 < outsz; i++) {
		unsigned char c = (unsigned char)s[i];

		out[o++] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
	}
	if (len > n && o + 4 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Length of the valid UTF-8 sequence at s[0..n) (lead byte >= 0x80), or 0:
 * no overlong forms, no surrogates, nothing past U+10FFFF, as JSON
 * writers and readers require. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;          /* UTF-16 surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return len;
}

/* Every byte of s that is not part of valid UTF-8 becomes '?': a message
 * quotes member names, which are the tarball's bytes, and is cut at
 * ERRMSG_MAX, maybe inside a character; the scores JSON must stay valid. */
static void make_utf8(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t k = p[i] < 0x80 ? 1 : utf8_len(p + i, n - i);

		if (!k) {
			p[i] = '?';
			k = 1;
		}
		i += k;
	}
}

void imlfs_preds_error(struct imlfs_preds *p, uint32_t line, const char *fmt, ...)
{
	va_list ap;

	if (p->nerrors >= IMLFS_SCORE_MAX_ERRORS)
		return;
	p->errors[p->nerrors].line = line;
	va_start(ap, fmt);
	vsnprintf(p->errors[p->nerrors].msg, ERRMSG_MAX, fmt, ap);
	va_end(ap);
	make_utf8(p->errors[p->nerrors].msg);
	p->nerrors++;
}

/* A label field as a class index, or -1 with a message in why. */
static int32_t parse_label(const struct imlfs_model *m, const char *s, size_t len,
			   char *why, size_t whysz)
{
	char q[QUOTE_MAX + 8];
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == len) {
		uint64_t v = 0;

		/* more than 9 digits cannot be in range (classes fit uint16) */
		for (i = 0; i < len && i < 10; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		if (len <= 9 && v < m->nclasses)
			return (int32_t)v;
		quote(q, sizeof q, s, len);
		if (m->nclasses)
			snprintf(why, whysz, "class index %s is out of range 0..%u; "
				 "use an index from classes.tsv or a wnid", q, m->nclasses - 1);
		else
			snprintf(why, whysz, "class index %s: this mount has no classes "
				 "(no labels or classes file)", q);
		return -1;
	}
	int32_t c = imlfs_find_wnid(m, s, len);

	if (c >= 0)
		return c;
	quote(q, sizeof q, s, len);
	snprintf(why, whysz, "label \"%s\" is neither a class index (0..%u) nor a known "
		 "wnid; use an index from classes.tsv or a wnid",
		 q, m->nclasses ? m->nclasses - 1 : 0);
	return -1;
}

/* The member a field names: the whole field, else its part after the last
 * '/', each as a member name or a stem. */
static int64_t find_image(const struct imlfs_model *m, const char *s, size_t len)
{
	const char *slash = memrchr(s, '/', len);
	int64_t i = imlfs_find_member(m, s, len);

	if (i < 0)
		i = imlfs_find_stem(m, s, len);
	if (i < 0 && slash) {
		size_t off = (size_t)(slash + 1 - s);

		i = imlfs_find_member(m, s + off, len - off);
		if (i < 0)
			i = imlfs_find_stem(m, s + off, len - off);
	}
	return i;
}

/* Next field at or after *pos within [.., end): returns its start, or NULL. */
static const char *next_field(const char **pos, const char *end, size_t *flen)
{
	const char *p = *pos, *q;

	while (p < end && is_sep(*p))
		p++;
	if (p == end)
		return NULL;
	for (q = p; q < end && !is_sep(*q); q++)
		;
	*flen = (size_t)(q - p);
	*pos = q;
	return p;
}

static void parse_line(struct imlfs_preds *p, const struct imlfs_model *m,
		       const char *b, const char *e, uint32_t lineno)
{
	const char *pos = b, *img, *f;
	size_t ilen, flen;
	uint16_t lab[TOPK];
	unsigned nlab = 0;
	char why[ERRMSG_MAX], q[QUOTE_MAX + 8];

	img = next_field(&pos, e, &ilen);
	if (!img || *img == '#')
		return;
	while ((f = next_field(&pos, e, &flen))) {
		int32_t c = parse_label(m, f, flen, why, sizeof why);

		if (c < 0) {
			p->invalid++;
			imlfs_preds_error(p, lineno, "%s", why);
			return;
		}
		if (nlab < TOPK)
			lab[nlab] = (uint16_t)c;
		nlab++;
	}
	if (!nlab) {
		quote(q, sizeof q, img, ilen);
		p->invalid++;
		imlfs_preds_error(p, lineno, "\"%s\" has no label; write IMAGE LABEL [LABEL ...]", q);
		return;
	}
	int64_t i = find_image(m, img, ilen);

	if (i < 0) {
		char ex[QUOTE_MAX + 8];
		const char *first = m->nmembers ? imlfs_member_name(m, 0) : "ILSVRC2012_val_00000001.JPEG";

		quote(q, sizeof q, img, ilen);
		quote(ex, sizeof ex, first, strlen(first));
		p->not_in_tar++;
		imlfs_preds_error(p, lineno, "image \"%s\" is not in the tarball; name a member "
			  "(e.g. %s) or its stem", q, ex);
		return;
	}
	struct imlfs_slot *s = &p->slot[i];

	s->count++;
	s->nlab = (uint8_t)(nlab < TOPK ? nlab : TOPK);
	memcpy(s->lab, lab, s->nlab * sizeof *lab);
}

struct imlfs_preds *imlfs_preds_alloc(const struct imlfs_model *m)
{
	struct imlfs_preds *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->nmembers = m->nmembers;
	p->slot = calloc(m->nmembers ? m->nmembers : 1, sizeof *p->slot);
	if (!p->slot) {
		free(p);
		return NULL;
	}
	return p;
}

struct imlfs_preds *imlfs_preds_parse(const struct imlfs_model *m, const char *text, size_t len)
{
	struct imlfs_preds *p = imlfs_preds_alloc(m);
	const char *b = text, *end = text + len;
	uint32_t lineno = 1;

	if (!p)
		return NULL;
	while (text && b < end) {
		const char *e = memchr(b, '\n', (size_t)(end - b));

		if (!e)
			e = end;
		parse_line(p, m, b, e, lineno++);
		b = e + 1;
	}
	return p;
}

void imlfs_preds_free(struct imlfs_preds *p)
{
	if (!p)
		return;
	free(p->slot);
	free(p);
}

int32_t imlfs_preds_top1(const struct imlfs_preds *p, uint32_t i)
{
	return i < p->nmembers && p->slot[i].count ? p->slot[i].lab[0] : -1;
}

struct imlfs_preds *imlfs_preds_parse_npy(const struct imlfs_model *m, const char *buf,
					  size_t len, enum imlfs_split s, size_t cap)
{
	struct imlfs_preds *p = imlfs_preds_alloc(m);
	struct imlfs_npy_array a;
	char why[ERRMSG_MAX];
	uint32_t r = 0;

	if (!p)
		return NULL;
	if (imlfs_npy_open(m, buf, len, s, cap, &a, why, sizeof why)) {
		p->invalid = 1;
		imlfs_preds_error(p, 0, "%s", why);
		return p;
	}
	for (uint32_t i = 0; i < m->nmembers; i++) {
		uint16_t lab[TOPK];
		int n;

		if (!imlfs_in_split(m, i, s))
			continue;
		n = imlfs_npy_row(m, &a, r++, i, lab, TOPK, why, sizeof why);
		if (n < 0) {
			p->invalid++;
			imlfs_preds_error(p, r, "%s", why);   /* rows counted from 1 */
			continue;
		}
		p->slot[i].count = 1;
		p->slot[i].nlab = (uint8_t)n;
		memcpy(p->slot[i].lab, lab, (size_t)n * sizeof *lab);
	}
	return p;
}

struct imlfs_preds *imlfs_preds_parse_for(const struct imlfs_model *m, const char *text,
					  size_t len, enum imlfs_pred_file f, size_t npy_cap)
{
	/* The first bytes decide: a .npy array, else text lines.  The root
	 * file's rows are those of "all" (every member). */
	if (text && imlfs_npy_is(text, len))
		return imlfs_preds_parse_npy(m, text, len, f == IMLFS_PRED_ROOT ?
					     IMLFS_SPLIT_ALL : imlfs_pred_split(f), npy_cap);
	return imlfs_preds_parse(m, text, len);
}
