/* SPDX-License-Identifier: MIT */
/* fuzzutil.c — see fuzz.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzz.h"
#include "imlfs/preds.h"
#include "imlfs/report.h"
#include "imlfs/score.h"
#include "imlfs/scorecard.h"
#include "imlfs/util.h"

static const char *const wnids[FZ_NCLASSES] = { "n01005397", "n01020144", "n01020719" };

void fz_model(struct imlfs_model *m, int with_classes)
{
	char name[64];
	size_t off = 0;

	memset(m, 0, sizeof *m);
	m->members = calloc(FZ_NMEMBERS, sizeof *m->members);
	m->names = malloc(FZ_NMEMBERS * 32);
	if (!m->members || !m->names)
		abort();
	for (uint32_t i = 0; i < FZ_NMEMBERS; i++) {
		int n = snprintf(name, sizeof name, "ILSVRC2012_val_%08u.JPEG", i + 1);

		memcpy(m->names + off, name, (size_t)n + 1);
		m->members[i].name = (uint32_t)off;
		m->members[i].label = IMLFS_NO_LABEL;
		m->members[i].size = 1000;
		off += (size_t)n + 1;
	}
	m->names_len = (uint32_t)off;
	m->nmembers = FZ_NMEMBERS;
	for (uint32_t c = 0; with_classes && c < FZ_NCLASSES; c++) {
		char cname[32];
		int n = snprintf(cname, sizeof cname, "class %u", c);

		if (imlfs_model_add_class(m, wnids[c], 9, cname, (size_t)n) < 0)
			abort();
	}
	if (with_classes)
		m->have |= IMLFS_HAVE_CLASSES;
	if (imlfs_model_finish(m))
		abort();
}

int fz_file(const uint8_t *data, size_t size, char path[32])
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			perror("write memfd");
			abort();
		}
		done += (size_t)n;
	}
	snprintf(path, 32, "/proc/self/fd/%d", fd);
	return fd;
}

void fz_scoring_model(struct imlfs_model *m)
{
	static const uint16_t ml[] = { 0, 1, 2, 1, 0, 2 };

	fz_model(m, 1);
	m->ml = malloc(sizeof ml);
	if (!m->ml)
		abort();
	memcpy(m->ml, ml, sizeof ml);
	m->nml = sizeof ml / sizeof ml[0];
	for (uint32_t i = 0; i < FZ_NMEMBERS; i++)
		m->members[i].label = (int32_t)(i % FZ_NCLASSES);
	m->members[3] = (struct imlfs_member){ .name = m->members[3].name, .label = 0,
		.ml = 0, .n_correct = 1, .flags = IMLFS_M_ANNOTATED };
	m->members[4] = (struct imlfs_member){ .name = m->members[4].name, .label = 1,
		.ml = 1, .n_correct = 1, .n_wrong = 2, .flags = IMLFS_M_ANNOTATED | IMLFS_M_IMAGENET_M };
	m->members[5] = (struct imlfs_member){ .name = m->members[5].name, .label = 2,
		.ml = 4, .n_correct = 1, .n_unclear = 1,
		.flags = IMLFS_M_ANNOTATED | IMLFS_M_IMAGENET_M | IMLFS_M_PROBLEMATIC };
	m->members[2].flags = IMLFS_M_PROBLEMATIC;
	m->have |= IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_IMAGENET_M;
}

/* Does JSON value v hold field f of scores sc, as the writer must write it
 * (reals exactly: the shortest text reads back as the same double)? */
static int same_value(json_t *v, const struct imlfs_score_field *f, const struct imlfs_scores *sc,
		      const struct imlfs_split_scores *ss)
{
	switch (f->type) {
	case IMLFS_FIELD_STRING:
		return json_is_string(v) && !strcmp(json_string_value(v), f->str);
	case IMLFS_FIELD_COUNT:
		return json_is_integer(v) && (uint64_t)json_integer_value(v) == f->count;
	case IMLFS_FIELD_REAL:
		return isnan(f->real) ? json_is_null(v) : json_is_real(v) && json_real_value(v) == f->real;
	case IMLFS_FIELD_NULL:
		return json_is_null(v);
	case IMLFS_FIELD_ERRORS:
		if (!json_is_array(v) || json_array_size(v) != sc->nerrors)
			return 0;
		for (uint32_t k = 0; k < sc->nerrors; k++) {
			json_t *e = json_array_get(v, k), *line = json_object_get(e, "line");
			json_t *msg = json_object_get(e, "error");

			if (json_object_size(e) != 2 || !json_is_integer(line) || !json_is_string(msg) ||
			    json_integer_value(line) != sc->errors[k].line ||
			    strcmp(json_string_value(msg), imlfs_scores_error(sc, k)))
				return 0;
		}
		return 1;
	case IMLFS_FIELD_HINTS:
		/* a list of sentences, one per hint */
		if (!json_is_array(v) || json_array_size(v) != ss->nhints || !ss->nhints)
			return 0;
		for (unsigned k = 0; k < ss->nhints; k++)
			if (!json_is_string(json_array_get(v, k)))
				return 0;
		return 1;
	}
	return 0;
}

/* Abort unless object o is split entry ss of sc, key by key in order. */
static void check_split(json_t *o, const struct imlfs_scores *sc,
			const struct imlfs_split_scores *ss)
{
	struct imlfs_score_field f[IMLFS_SCORE_MAX_FIELDS];
	unsigned n = imlfs_score_fields(ss, f), k = 0;
	void *it;

	if (!json_is_object(o) || json_object_size(o) != n)
		abort();
	for (it = json_object_iter(o); it; it = json_object_iter_next(o, it), k++)
		if (strcmp(json_object_iter_key(it), f[k].key) ||
		    !same_value(json_object_iter_value(it), &f[k], sc, ss))
			abort();   /* the JSON says something the scores do not */
}

/* The report of p on split file f's split, both pages rendered with sc. */
static void check_report(const struct imlfs_model *m, const struct imlfs_preds *p,
			 enum imlfs_pred_file f, const struct imlfs_scores *sc)
{
	enum imlfs_split s = imlfs_pred_split(f);
	struct imlfs_report *r = imlfs_report_new(m, p, s);

	if (!r)
		abort();
	for (int k = 0; k < IMLFS_NREPORTS; k++) {
		struct imlfs_buf b = { 0 };

		if (imlfs_report_render(m, s, r, sc, (enum imlfs_report_kind)k, &b) || !b.p ||
		    strlen(b.p) != b.len)
			abort();
		imlfs_buf_free(&b);
	}
	imlfs_report_free(r);
}

/* The root's scorecard of p: its page renders, and its verdicts sum to
 * the scores sc shows (imagenet_m and validation: the counts; all: the
 * count of labelled images it judges). */
static void check_scorecard(const struct imlfs_model *m, const struct imlfs_preds *p,
			    const struct imlfs_scores *sc)
{
	struct imlfs_scorecard *card = imlfs_scorecard_new(m, p);
	struct imlfs_buf b = { 0 };

	if (!card || card->nsplits != sc->nsplits || card->nshown > card->ndisagree)
		abort();
	for (unsigned k = 0; k < card->nsplits; k++) {
		const struct imlfs_split_scores *ss = imlfs_scores_of(sc, card->split[k].split);

		if (!ss)
			abort();
		if (ss->multilabel && (card->split[k].right != ss->multilabel_correct ||
				       card->split[k].right + card->split[k].wrong !=
				       ss->multilabel_images))
			abort();
	}
	if (imlfs_scorecard_render(m, card, sc, &b) || !b.p || strlen(b.p) != b.len)
		abort();
	imlfs_buf_free(&b);
	imlfs_scorecard_free(card);
}

void fz_check_scores(const struct imlfs_model *m, const char *text, size_t len)
{
	/* An array bound that varies with the input, so that the bound's
	 * refusal is reached too (a real one is at least the text bound). */
	size_t cap = 100 + len % 1000;

	for (enum imlfs_pred_file f = 0; f < IMLFS_NPRED; f++) {
		struct imlfs_preds *p = imlfs_preds_parse_for(m, text, len, f, cap);
		struct imlfs_scores *sc = p ? imlfs_score(m, p, f) : NULL, *dup;
		size_t olen = 0;
		char *s = sc ? imlfs_scores_json(m, f, sc, &olen) : NULL;
		json_error_t je;
		json_t *o;

		if (!s || olen != strlen(s) || !olen || s[olen - 1] != '\n')
			abort();
		o = json_loads(s, 0, &je);
		if (!o)
			abort();   /* the scores are not valid JSON */
		for (unsigned k = 0; k < sc->nsplits; k++)
			check_split(f == IMLFS_PRED_ROOT ?
				    json_object_get(o, sc->split[k].name) : o,
				    sc, &sc->split[k]);
		if (f == IMLFS_PRED_ROOT && json_object_size(o) != sc->nsplits)
			abort();
		dup = imlfs_scores_dup(sc);
		if (!dup || memcmp(dup, sc, sc->size))
			abort();
		if (f != IMLFS_PRED_ROOT)
			check_report(m, p, f, dup);
		else
			check_scorecard(m, p, dup);
		json_decref(o);
		free(s);
		imlfs_scores_free(dup);
		imlfs_scores_free(sc);
		imlfs_preds_free(p);
	}
}
