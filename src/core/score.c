/* score.c — predictions text in, the dataset's scores out.
 *
 * Parsing keeps one small slot per member (the last valid line's first five
 * labels and how many lines named it), never anything per line, so a
 * 50,000-line submission costs one allocation and one pass.  Everything the
 * per-split counters need is then derived from the slots: a line for an
 * image outside the split is "unknown" there, a second line for an image
 * inside it a "duplicate".  Invalid lines and images absent from the tarball
 * do not depend on the split, so their first 20 messages are kept at parse
 * time and repeated in every split's "errors".
 *
 * The multi-label metric of the validation split is the one the TFDS
 * imagenet2012_multilabel README gives: problematic images skipped, a
 * prediction correct when its top-1 label is among the correct (lenient:
 * or unclear) multi-labels, accuracy per original class, then the mean
 * over the classes present.  Images with no original label (no labels
 * file) are pooled as one extra class, which makes the metric a plain mean
 * when no labels were given at all.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/score.h"
#include "imlfs/npy.h"
#include "imlfs/util.h"
#include "preds-internal.h"

#define TOPK IMLFS_TOPK
#define ERRMSG_MAX IMLFS_ERRMSG_MAX
#define QUOTE_MAX 48     /* bytes of a user's field quoted in a message */

static const char usage_hint[] =
	"write one line per image: IMAGE LABEL [LABEL ...] (class index or wnid), "
	"e.g. cat preds.txt > predictions, or a NumPy array with one row per image "
	"in sorted name order, np.save(open(\"predictions\", \"wb\"), logits); "
	"then read this file";

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

void imlfs_preds_error(struct imlfs_preds *p, uint32_t line, const char *fmt, ...)
{
	va_list ap;

	if (p->nerrors >= IMLFS_SCORE_MAX_ERRORS)
		return;
	p->errors[p->nerrors].line = line;
	va_start(ap, fmt);
	vsnprintf(p->errors[p->nerrors].msg, ERRMSG_MAX, fmt, ap);
	va_end(ap);
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

/* Is class c in ml[from .. from+n)? */
static bool in_run(const struct imlfs_model *m, uint32_t from, uint32_t n, uint16_t c)
{
	for (uint32_t k = 0; k < n; k++)
		if (m->ml[from + k] == c)
			return true;
	return false;
}

struct tally {
	uint64_t images, predicted, unknown, duplicates;
	uint64_t labelled, top1, top5;
	bool all5;                     /* every prediction has >= 5 labels */
	uint64_t ml_images, ml_correct, ml_strict;
	uint64_t real_images, real_top1, real_top5;   /* ReaL: non-empty lists */
	double ml_acc, ml_acc_strict;  /* < 0: no denominator */
};

/* Lenient and strict correctness of member i's prediction. */
static void ml_correct(const struct imlfs_model *m, const struct imlfs_preds *p,
		       uint32_t i, bool *lenient, bool *strict)
{
	const struct imlfs_member *mb = &m->members[i];
	const struct imlfs_slot *s = &p->slot[i];

	*lenient = *strict = false;
	if (!s->count)
		return;
	*strict = in_run(m, mb->ml, mb->n_correct, s->lab[0]);
	*lenient = *strict || in_run(m, mb->ml + mb->n_correct, mb->n_unclear, s->lab[0]);
}

static void tally_top(const struct imlfs_model *m, const struct imlfs_preds *p,
		      uint32_t i, struct tally *t)
{
	const struct imlfs_slot *s = &p->slot[i];
	int32_t label = m->members[i].label;

	t->images++;
	if (s->count) {
		t->predicted++;
		t->duplicates += s->count - 1;
		if (s->nlab < TOPK)
			t->all5 = false;
	}
	if (label < 0)
		return;
	t->labelled++;
	if (!s->count)
		return;
	t->top1 += s->lab[0] == label;
	for (unsigned k = 0; k < s->nlab; k++)
		if (s->lab[k] == label) {
			t->top5++;
			break;
		}
}

/* ReaL accuracy (Beyer et al. 2020; the reassessed-imagenet NumPy example,
 * timm's RealLabelsImagenet): over the images whose ReaL list is not
 * empty, the share whose top-1 (top-5: any of the first five) is in the
 * list.  A missing prediction is wrong. */
static void tally_real(const struct imlfs_model *m, const struct imlfs_preds *p,
		       uint32_t i, struct tally *t)
{
	const struct imlfs_slot *s = &p->slot[i];
	const uint16_t *real;
	uint32_t n = imlfs_real_labels(m, i, &real);
	bool top1 = false, top5 = false;

	if (!n)
		return;
	t->real_images++;
	for (unsigned k = 0; s->count && k < s->nlab; k++)
		for (uint32_t j = 0; j < n; j++)
			if (s->lab[k] == real[j]) {
				top1 |= k == 0;
				top5 = true;
			}
	t->real_top1 += top1;
	t->real_top5 += top5;
}

/* The TFDS validation metric: per-class accuracies, then their mean. */
static int tally_validation(const struct imlfs_model *m, const struct imlfs_preds *p,
			    struct tally *t)
{
	uint32_t nc = m->nclasses + 1;   /* + the pool of unlabelled images */
	uint32_t *cnt = calloc((size_t)nc * 3, sizeof *cnt);
	double sum = 0, sum_strict = 0;
	uint32_t present = 0;

	if (!cnt)
		return -1;
	for (uint32_t i = 0; i < m->nmembers; i++) {
		const struct imlfs_member *mb = &m->members[i];
		bool len, str;

		if (!imlfs_in_split(m, i, IMLFS_SPLIT_VALIDATION) ||
		    (mb->flags & IMLFS_M_PROBLEMATIC))
			continue;
		uint32_t c = mb->label >= 0 && (uint32_t)mb->label < m->nclasses ?
			(uint32_t)mb->label : m->nclasses;

		ml_correct(m, p, i, &len, &str);
		cnt[3 * c]++;
		cnt[3 * c + 1] += len;
		cnt[3 * c + 2] += str;
	}
	for (uint32_t c = 0; c < nc; c++) {
		if (!cnt[3 * c])
			continue;
		present++;
		sum += (double)cnt[3 * c + 1] / cnt[3 * c];
		sum_strict += (double)cnt[3 * c + 2] / cnt[3 * c];
		t->ml_images += cnt[3 * c];
		t->ml_correct += cnt[3 * c + 1];
	}
	free(cnt);
	t->ml_acc = present ? sum / present : -1;
	t->ml_acc_strict = present ? sum_strict / present : -1;
	return 0;
}

static void tally_imagenet_m(const struct imlfs_model *m, const struct imlfs_preds *p,
			     struct tally *t)
{
	for (uint32_t i = 0; i < m->nmembers; i++) {
		bool len, str;

		if (!imlfs_in_split(m, i, IMLFS_SPLIT_IMAGENET_M))
			continue;
		ml_correct(m, p, i, &len, &str);
		t->ml_images++;
		t->ml_correct += len;
		t->ml_strict += str;
	}
	t->ml_acc = t->ml_images ? (double)t->ml_correct / t->ml_images : -1;
	t->ml_acc_strict = t->ml_images ? (double)t->ml_strict / t->ml_images : -1;
}

static json_t *ratio(uint64_t num, uint64_t den)
{
	return den ? json_real((double)num / (double)den) : json_null();
}

static json_t *real_or_null(double v)
{
	return v >= 0 ? json_real(v) : json_null();
}

static json_t *errors_json(const struct imlfs_preds *p)
{
	json_t *a = json_array();

	for (uint32_t k = 0; a && k < p->nerrors; k++) {
		json_t *e = json_pack("{s:I, s:s}", "line", (json_int_t)p->errors[k].line,
				      "error", p->errors[k].msg);

		if (json_array_append_new(a, e)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Set o[key] = v; remembers a failure (v NULL or out of memory) in *ok. */
static void put(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (json_object_set_new(o, key, v))
		*ok = false;
}

json_t *imlfs_score_split(const struct imlfs_model *m, const struct imlfs_preds *p,
			  enum imlfs_split s)
{
	struct tally t = { .all5 = true, .ml_acc = -1, .ml_acc_strict = -1 };
	bool ok = true, multi = s == IMLFS_SPLIT_VALIDATION || s == IMLFS_SPLIT_IMAGENET_M;
	bool real = s == IMLFS_SPLIT_REAL || (s == IMLFS_SPLIT_ALL && (m->have & IMLFS_HAVE_REAL));
	json_t *o;

	for (uint32_t i = 0; i < m->nmembers && i < p->nmembers; i++) {
		if (imlfs_in_split(m, i, s)) {
			tally_top(m, p, i, &t);
			tally_real(m, p, i, &t);
		} else
			t.unknown += p->slot[i].count;
	}
	t.unknown += p->not_in_tar;
	if (s == IMLFS_SPLIT_VALIDATION && tally_validation(m, p, &t))
		return NULL;
	if (s == IMLFS_SPLIT_IMAGENET_M)
		tally_imagenet_m(m, p, &t);
	o = json_object();
	if (!o)
		return NULL;
	put(o, "split", json_string(imlfs_split_name(s)), &ok);
	put(o, "images", json_integer((json_int_t)t.images), &ok);
	put(o, "predicted", json_integer((json_int_t)t.predicted), &ok);
	put(o, "missing", json_integer((json_int_t)(t.images - t.predicted)), &ok);
	put(o, "unknown", json_integer((json_int_t)t.unknown), &ok);
	put(o, "duplicates", json_integer((json_int_t)t.duplicates), &ok);
	put(o, "invalid", json_integer((json_int_t)p->invalid), &ok);
	put(o, "errors", errors_json(p), &ok);
	put(o, "top1_accuracy", ratio(t.top1, t.labelled), &ok);
	put(o, "top5_accuracy", t.all5 ? ratio(t.top5, t.labelled) : json_null(), &ok);
	put(o, "multilabel_accuracy", multi ? real_or_null(t.ml_acc) : json_null(), &ok);
	put(o, "multilabel_accuracy_strict",
	    multi ? real_or_null(t.ml_acc_strict) : json_null(), &ok);
	put(o, "multilabel_correct",
	    multi ? json_integer((json_int_t)t.ml_correct) : json_null(), &ok);
	put(o, "multilabel_images",
	    multi ? json_integer((json_int_t)t.ml_images) : json_null(), &ok);
	/* last, so that the keys before keep their places */
	if (real) {
		put(o, "real_accuracy", ratio(t.real_top1, t.real_images), &ok);
		put(o, "real_top5_accuracy",
		    t.all5 ? ratio(t.real_top5, t.real_images) : json_null(), &ok);
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *imlfs_score(const struct imlfs_model *m, const struct imlfs_preds *p,
		    enum imlfs_pred_file f)
{
	json_t *o;

	if (!imlfs_pred_valid(f))
		return NULL;
	if (f != IMLFS_PRED_ROOT)
		return imlfs_score_split(m, p, imlfs_pred_split(f));
	o = json_object();
	for (enum imlfs_split s = 0; o && s < IMLFS_NSPLITS; s++) {
		if (!imlfs_split_present(m, s))
			continue;
		if (json_object_set_new(o, imlfs_split_name(s), imlfs_score_split(m, p, s))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* {"split": ..., "submitted": false, "usage": ...}; the root file lists
 * its splits instead. */
static json_t *not_submitted(const struct imlfs_model *m, enum imlfs_pred_file f)
{
	json_t *o = json_object(), *a;
	bool ok = o != NULL;

	if (!o)
		return NULL;
	if (f != IMLFS_PRED_ROOT) {
		put(o, "split", json_string(imlfs_split_name(imlfs_pred_split(f))), &ok);
	} else {
		a = json_array();
		for (enum imlfs_split s = 0; a && s < IMLFS_NSPLITS; s++)
			if (imlfs_split_present(m, s) &&
			    json_array_append_new(a, json_string(imlfs_split_name(s))))
				ok = false;
		put(o, "splits", a, &ok);
	}
	put(o, "submitted", json_false(), &ok);
	put(o, "usage", json_string(usage_hint), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

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

/* json_dumps writes every real with 17 significant digits (0.025 comes
 * out as 0.025000000000000001): rewrite each real of the dumped text (a
 * number, outside strings, with a '.' or an 'e') in its shortest form,
 * and end the text with a newline. */
static char *shortest_reals(const char *t, size_t *outlen)
{
	struct imlfs_buf b = { 0 };
	const char *p = t, *run = t;
	bool in_str = false, ok = true;
	char num[40];

	for (; *p; p++) {
		if (in_str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		if (*p == '"')
			in_str = true;
		if (*p != '-' && (*p < '0' || *p > '9'))
			continue;
		size_t n = strspn(p, "0123456789+-.eE");
		int k;

		if (strcspn(p, ".eE") < n) {
			k = imlfs_json_real(num, sizeof num, strtod(p, NULL));
			ok &= k > 0 && !imlfs_buf_add(&b, run, (size_t)(p - run)) &&
			      !imlfs_buf_add(&b, num, (size_t)k);
			run = p + n;
		}
		p += n - 1;
	}
	ok &= !imlfs_buf_add(&b, run, (size_t)(p - run)) && !imlfs_buf_add(&b, "\n", 1);
	if (!ok) {
		imlfs_buf_free(&b);
		return NULL;
	}
	*outlen = b.len;
	return b.p;
}

struct imlfs_preds *imlfs_preds_parse_for(const struct imlfs_model *m, const char *text,
					  size_t len, enum imlfs_pred_file f)
{
	/* The first bytes decide: a .npy array, else text lines.  The root
	 * file's rows are those of "all" (every member). */
	if (text && imlfs_npy_is(text, len))
		return imlfs_preds_parse_npy(m, text, len, f == IMLFS_PRED_ROOT ?
					     IMLFS_SPLIT_ALL : imlfs_pred_split(f));
	return imlfs_preds_parse(m, text, len);
}

char *imlfs_score_text_of(const struct imlfs_model *m, const struct imlfs_preds *p,
			  enum imlfs_pred_file f, size_t *outlen)
{
	json_t *o;
	char *s, *r;
	size_t n;

	if (!imlfs_pred_valid(f))
		return NULL;
	o = p ? imlfs_score(m, p, f) : not_submitted(m, f);
	if (!o)
		return NULL;
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return NULL;
	r = shortest_reals(s, &n);
	free(s);
	if (r && outlen)
		*outlen = n;
	return r;
}

char *imlfs_score_text(const struct imlfs_model *m, const char *text, size_t len,
		       enum imlfs_pred_file f, size_t *outlen)
{
	struct imlfs_preds *p;
	char *r;

	if (!imlfs_pred_valid(f))
		return NULL;
	if (!text)
		return imlfs_score_text_of(m, NULL, f, outlen);
	p = imlfs_preds_parse_for(m, text, len, f);
	if (!p)
		return NULL;
	r = imlfs_score_text_of(m, p, f, outlen);
	imlfs_preds_free(p);
	return r;
}
