/* SPDX-License-Identifier: MIT */
/* scorejson.c — the scores (score.h) as JSON text: the one writer of every
 * predictions file.
 *
 * Printed straight into a buffer, each real in its shortest round-trip
 * form (imlfs_json_real) as it is written.  The layout is the one the
 * files have always had, jansson's JSON_INDENT(2): "{", then each member
 * on its own line two spaces deeper, "key": value, members separated by
 * ",", the closing bracket back at the parent's depth; "[]" for an empty
 * list.  Strings are escaped as jansson escapes them ('"', '\\', \b \f \n
 * \r \t, other control bytes \u00XX in capitals), everything else as it is
 * (the messages are valid UTF-8: preds.c).  The appends ignore their
 * results: the buffer's failure flag is sticky and checked once at the end.
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/hints.h"
#include "imlfs/npy.h"
#include "imlfs/score.h"
#include "imlfs/util.h"

static const char usage_hint[] =
	"write one line per image: IMAGE LABEL [LABEL ...] (class index or wnid), "
	"e.g. cat preds.txt > predictions, or a NumPy array with one row per image "
	"in sorted name order, np.save(open(\"predictions\", \"wb\"), logits); "
	"then read this file";

int imlfs_json_real(char *out, size_t size, double v)
{
	char *e, *d;
	int n = 0;

	if (!isfinite(v))
		return snprintf(out, size, "null");
	/* (imlfs never calls setlocale: the decimal point is '.') */
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(out, size, "%.*g", prec, v);
		if (n < 0 || (size_t)n >= size)
			return -1;
		if (strtod(out, NULL) == v)
			break;
	}
	/* As jansson writes reals: a '.' or an 'e' so that the number reads
	 * back as a real, and no '+' nor leading zeros in the exponent. */
	if (!strpbrk(out, ".e")) {
		if ((size_t)n + 2 >= size)
			return -1;
		memcpy(out + n, ".0", 3);
		n += 2;
	}
	e = strchr(out, 'e');
	if (e) {
		d = e + 1 + (e[1] == '-');
		e = e + 1 + (e[1] == '+' || e[1] == '-');
		while (*e == '0' && e[1])
			e++;
		memmove(d, e, strlen(e) + 1);
		n = (int)strlen(out);
	}
	return n;
}

static void add(struct imlfs_buf *b, const char *s)
{
	imlfs_buf_add(b, s, strlen(s));
}

static void string(struct imlfs_buf *b, const char *s)
{
	const char *run = s;

	add(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		imlfs_buf_add(b, run, (size_t)(s - run));
		switch (c) {
		case '"': add(b, "\\\""); break;
		case '\\': add(b, "\\\\"); break;
		case '\b': add(b, "\\b"); break;
		case '\f': add(b, "\\f"); break;
		case '\n': add(b, "\\n"); break;
		case '\r': add(b, "\\r"); break;
		case '\t': add(b, "\\t"); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", c);
			add(b, esc);
		}
		run = s + 1;
	}
	imlfs_buf_add(b, run, (size_t)(s - run));
	add(b, "\"");
}

static void real(struct imlfs_buf *b, double v)
{
	char num[40];
	int n = imlfs_json_real(num, sizeof num, v);

	imlfs_buf_add(b, n > 0 ? num : "null", n > 0 ? (size_t)n : 4);
}

static void count(struct imlfs_buf *b, uint64_t v)
{
	imlfs_buf_printf(b, "%" PRIu64, v);
}

/* An object or array being written at some depth. */
struct level {
	struct imlfs_buf *b;
	unsigned depth;
	bool any;                 /* a member written */
	char close;
};

static void newline(struct imlfs_buf *b, unsigned depth)
{
	add(b, "\n");
	for (unsigned k = 0; k < depth; k++)
		add(b, "  ");
}

static struct level open_level(struct imlfs_buf *b, unsigned depth, char open)
{
	imlfs_buf_add(b, &open, 1);
	return (struct level){ b, depth, false, open == '{' ? '}' : ']' };
}

/* Start the next member: an array's element, or an object's "key": . */
static void next(struct level *l, const char *key)
{
	if (l->any)
		add(l->b, ",");
	l->any = true;
	newline(l->b, l->depth + 1);
	if (key) {
		string(l->b, key);
		add(l->b, ": ");
	}
}

static void close_level(struct level *l)
{
	if (l->any)
		newline(l->b, l->depth);
	imlfs_buf_add(l->b, &l->close, 1);
}

static void errors_json(struct imlfs_buf *b, unsigned depth, const struct imlfs_scores *sc)
{
	struct level a = open_level(b, depth, '[');

	for (uint32_t k = 0; k < sc->nerrors; k++) {
		struct level e;

		next(&a, NULL);
		e = open_level(b, depth + 1, '{');
		next(&e, "line");
		count(b, sc->errors[k].line);
		next(&e, "error");
		string(b, imlfs_scores_error(sc, k));
		close_level(&e);
	}
	close_level(&a);
}

/* The hints (hints.h): a list of sentences. */
static void hints_json(struct imlfs_buf *b, unsigned depth, const struct imlfs_model *m,
		       const struct imlfs_split_scores *ss)
{
	struct level a = open_level(b, depth, '[');
	char t[256];

	for (unsigned k = 0; k < ss->nhints; k++) {
		next(&a, NULL);
		imlfs_hint_text(m, &ss->hints[k], t, sizeof t);
		string(b, t);
	}
	close_level(&a);
}

static void split_json(struct imlfs_buf *b, unsigned depth, const struct imlfs_model *m,
		       const struct imlfs_scores *sc, const struct imlfs_split_scores *ss)
{
	struct imlfs_score_field f[IMLFS_SCORE_MAX_FIELDS];
	unsigned n = imlfs_score_fields(ss, f);
	struct level o = open_level(b, depth, '{');

	for (unsigned k = 0; k < n; k++) {
		next(&o, f[k].key);
		switch (f[k].type) {
		case IMLFS_FIELD_STRING: string(b, f[k].str); break;
		case IMLFS_FIELD_COUNT: count(b, f[k].count); break;
		case IMLFS_FIELD_REAL: real(b, f[k].real); break;
		case IMLFS_FIELD_NULL: add(b, "null"); break;
		case IMLFS_FIELD_ERRORS: errors_json(b, depth + 1, sc); break;
		case IMLFS_FIELD_HINTS: hints_json(b, depth + 1, m, ss); break;
		}
	}
	close_level(&o);
}

/* {"split": ..., "submitted": false, "usage": ...}; the root file lists
 * its splits instead. */
static void not_submitted(struct imlfs_buf *b, const struct imlfs_model *m,
			  enum imlfs_pred_file f)
{
	struct level o = open_level(b, 0, '{');

	if (f != IMLFS_PRED_ROOT) {
		next(&o, "split");
		string(b, imlfs_split_name(m, imlfs_pred_split(f)));
	} else {
		struct level a;

		next(&o, "splits");
		a = open_level(b, 1, '[');
		for (enum imlfs_split s = 0; s < IMLFS_NSPLITS; s++) {
			if (!imlfs_split_present(m, s))
				continue;
			next(&a, NULL);
			string(b, imlfs_split_name(m, s));
		}
		close_level(&a);
	}
	next(&o, "submitted");
	add(b, "false");
	next(&o, "usage");
	string(b, usage_hint);
	close_level(&o);
}

char *imlfs_scores_json(const struct imlfs_model *m, enum imlfs_pred_file f,
			const struct imlfs_scores *sc, size_t *outlen)
{
	struct imlfs_buf b = { 0 };

	if (!imlfs_pred_valid(f) || (sc && sc->file != f))
		return NULL;
	if (!sc) {
		not_submitted(&b, m, f);
	} else if (f != IMLFS_PRED_ROOT) {
		split_json(&b, 0, m, sc, &sc->split[0]);
	} else {
		struct level o = open_level(&b, 0, '{');

		for (unsigned k = 0; k < sc->nsplits; k++) {
			next(&o, sc->split[k].name);
			split_json(&b, 1, m, sc, &sc->split[k]);
		}
		close_level(&o);
	}
	add(&b, "\n");
	if (imlfs_buf_check(&b)) {
		imlfs_buf_free(&b);
		return NULL;
	}
	if (outlen)
		*outlen = b.len;
	return b.p;
}

char *imlfs_score_text(const struct imlfs_model *m, const char *text, size_t len,
		       enum imlfs_pred_file f, size_t *outlen)
{
	struct imlfs_preds *p;
	struct imlfs_scores *sc;
	char *r;

	if (!imlfs_pred_valid(f))
		return NULL;
	if (!text)
		return imlfs_scores_json(m, f, NULL, outlen);
	p = imlfs_preds_parse_for(m, text, len, f, IMLFS_NPY_MAX_BYTES);
	sc = p ? imlfs_score(m, p, f) : NULL;
	if (sc && imlfs_hints_add(m, p, text, len, f, IMLFS_NPY_MAX_BYTES, sc)) {
		imlfs_scores_free(sc);
		sc = NULL;
	}
	r = sc ? imlfs_scores_json(m, f, sc, outlen) : NULL;
	imlfs_scores_free(sc);
	imlfs_preds_free(p);
	return r;
}
