/* SPDX-License-Identifier: MIT */
/* fuzz-labelset.c — the label-set parsers (labelset.c, ls-*.c) over
 * arbitrary bytes, which reach every format: the content picks the parser.
 * Each input is parsed against three models: the fixed classes, no
 * classes (every label is then refused), and the scoring model, which has
 * original labels (mturk's check of given labels, its unlisted images,
 * the CSV's original_label).
 *
 * On success the set must be what scoring will rely on: offsets from 0 to
 * nlab that never go backwards, each run strictly ascending and below
 * nclasses, no labels on an image left out, nlisted and nempty as
 * counted, and the mturk outcomes adding up to the images they list.  On
 * failure: one line, status 15 (or out of memory), the set untouched.
 * As ReaL (IMLFS_LS_REAL), the set the model gets (imlfs_model_add_set, as
 * the loader adds it) must be the parser's for the same bytes: the same
 * verdict, status and lists, set 0, and the model untouched on failure
 * (fuzz-real compares the lists with jansson's reading). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imlfs/labelset.h"

static void check_set(const struct imlfs_model *m, const struct imlfs_labelset *ls)
{
	uint32_t listed = 0, empty = 0, kept = 0;

	if (ls->nmembers != m->nmembers || !ls->off || !ls->listed || ls->off[0] ||
	    ls->off[m->nmembers] != ls->nlab || (ls->nlab && !ls->lab) ||
	    ls->format >= IMLFS_LS_NFORMATS)
		abort();
	for (uint32_t i = 0; i < m->nmembers; i++) {
		const uint16_t *v;
		uint32_t n;

		if (ls->off[i + 1] < ls->off[i])
			abort();
		n = imlfs_labelset_labels(ls, i, &v);
		if (!imlfs_labelset_listed(ls, i) && n)
			abort();   /* left out, yet with labels */
		listed += imlfs_labelset_listed(ls, i);
		empty += imlfs_labelset_listed(ls, i) && !n;
		for (uint32_t k = 0; k < n; k++)
			if (v[k] >= m->nclasses || (k && v[k - 1] >= v[k]))
				abort();
		if (imlfs_labelset_counts(ls, i) != (n > 0))
			abort();
		kept += n == 1 && v[0] == m->members[i].label;
	}
	if (listed != ls->nlisted || empty != ls->nempty)
		abort();
	if (ls->format == IMLFS_LS_MTURK) {
		/* given, guessed and both are listed entries, kept the rest */
		if (ls->outcome[IMLFS_LS_GIVEN] + ls->outcome[IMLFS_LS_GUESSED] +
		    ls->outcome[IMLFS_LS_BOTH] + ls->outcome[IMLFS_LS_KEPT] != listed || empty)
			abort();
		if (ls->outcome[IMLFS_LS_KEPT] > kept)
			abort();
	} else {
		for (int k = 0; k < IMLFS_LS_NOUTCOMES; k++)
			if (ls->outcome[k])
				abort();
		if (ls->format == IMLFS_LS_LISTS && listed != m->nmembers)
			abort();
	}
}

static void parse(const struct imlfs_model *m, const uint8_t *data, size_t size)
{
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error err = { 0 };

	if (!imlfs_labelset_parse(&ls, "fz", m, "fuzz.txt", (const char *)data, size, 0, &err)) {
		check_set(m, &ls);
		/* Parsing again over a set replaces it with the same lists. */
		struct imlfs_labelset again = { 0 };

		if (imlfs_labelset_parse(&again, "fz", m, "fuzz.txt", (const char *)data, size, 0,
					 &err) || again.nlab != ls.nlab ||
		    (ls.nlab && memcmp(again.lab, ls.lab, ls.nlab * sizeof *ls.lab)) ||
		    memcmp(again.off, ls.off, ((size_t)m->nmembers + 1) * sizeof *ls.off))
			abort();
		imlfs_labelset_free(&again);
	} else {
		if ((err.code != IMLFS_E_LABELSET && err.code != IMLFS_E_NOMEM) || !err.msg[0] ||
		    strchr(err.msg, '\n') || ls.off || ls.lab || ls.listed || ls.name[0])
			abort();
	}
	imlfs_labelset_free(&ls);
}

/* ReaL added to the model is ReaL parsed. */
static void as_real(struct imlfs_model *m, const uint8_t *data, size_t size)
{
	struct imlfs_labelset ls = { 0 };
	struct imlfs_error e1 = { 0 }, e2 = { 0 };
	int a = imlfs_model_add_set(m, "real", IMLFS_LS_REAL, IMLFS_ROLE_REAL, "real.json",
				    (const char *)data, size, &e1);
	int b = imlfs_labelset_parse(&ls, "real", m, "real.json", (const char *)data, size,
				     IMLFS_LS_REAL, &e2);

	if (a != b || e1.code != e2.code || strcmp(e1.msg, e2.msg))
		abort();
	if (a && (m->nsets || (m->have & IMLFS_HAVE_REAL)))
		abort();
	if (!b) {
		const struct imlfs_labelset *r = imlfs_real_set(m);

		check_set(m, &ls);
		if (!r || m->nsets != 1 || r->nlab != ls.nlab || ls.nlisted != m->nmembers ||
		    memcmp(r->off, ls.off, ((size_t)m->nmembers + 1) * sizeof *ls.off) ||
		    (ls.nlab && memcmp(r->lab, ls.lab, ls.nlab * sizeof *ls.lab)))
			abort();
	}
	imlfs_labelset_free(&ls);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imlfs_model m;

	fz_model(&m, 1);
	parse(&m, data, size);
	as_real(&m, data, size);
	imlfs_model_free(&m);
	fz_model(&m, 0);
	parse(&m, data, size);
	imlfs_model_free(&m);
	fz_scoring_model(&m);
	parse(&m, data, size);
	imlfs_model_free(&m);
	return 0;
}
