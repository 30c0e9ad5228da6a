/* SPDX-License-Identifier: MIT */
/* mkjson.c — the annotation file of imlfs-mksample, human_accuracy_v3.0.0.json
 * in the TFDS schema: initial_annots, problematic_images, imagenet_m, and
 * with --pad-annotations bulk under other keys before and after them.
 *
 * Streamed with stdio rather than built with jansson, so a padded file of
 * gigabytes costs no memory, and so it can mimic what a reader must cope
 * with in the real file: Python's key order, two spellings of one key,
 * ImageNetV2 keys among the ILSVRC ones, escapes and UTF-8 in strings.
 * Every value comes from the plan or a random stream of its own. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mksample.h"

static const char *const kind_name[NKINDS] = { "correct", "wrong", "unclear" };

static void jstr(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				putc(c, f);
		}
	}
	putc('"', f);
}

static void jimage(FILE *f, uint32_t i)
{
	fprintf(f, "\"ILSVRC2012_val_%08" PRIu32 ".JPEG\"", i + 1);
}

/* ISO 8601 in UTC with microseconds, like Python's isoformat(). */
static void jtime(FILE *f, int64_t usec)
{
	time_t tt = (time_t)(usec / 1000000);
	struct tm tm;
	char buf[64];

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "\"%s.%06" PRId64 "+00:00\"", buf, usec % 1000000);
}

/* A moment of the review, between 2018-12-01 and 2019-05-10. */
static int64_t review_time(struct mk_rng *r)
{
	return (1543622400 + (int64_t)mk_below(r, 160 * 86400)) * 1000000 + mk_below(r, 1000000);
}

static void write_annot(FILE *f, const struct plan *p, struct annot *a)
{
	int first = 1;

	fputc('{', f);
	for (int o = 0; o < NKINDS; o++) {
		int k = a->order[o];

		if (!a->n[k])
			continue;
		qsort_r(a->cls[k], (size_t)a->n[k], sizeof a->cls[k][0], cmp_wnid_idx, p->cls);
		fprintf(f, "%s\"%s\": [", first ? "" : ", ", kind_name[k]);
		for (int j = 0; j < a->n[k]; j++) {
			fputs(j ? ", " : "", f);
			jstr(f, p->cls[a->cls[k][j]].wnid);
		}
		fputc(']', f);
		first = 0;
	}
	fputc('}', f);
}

/* An ImageNetV2 image's entry: readers must skip keys not ILSVRC2012_val_*. */
static void write_other(FILE *f, const struct plan *p, uint32_t k)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_OTHER, k);
	uint64_t h1 = mk_next(&r), h2 = mk_next(&r);
	uint32_t label = mk_below(&r, p->nclasses);
	struct annot a;

	fprintf(f, "\"imagenetv2/%016" PRIx64 "%016" PRIx64 ".jpeg\": ", h1, h2);
	make_annot(p, p->n + k, label, &a);
	write_annot(f, p, &a);
}

static void write_initial_annots(FILE *f, const struct plan *p)
{
	uint32_t seen = 0, other = 0;
	int first = 1;
	struct annot a;

	fputs("\"initial_annots\": {", f);
	for (uint32_t i = 0; i < p->n; i++) {
		if (!(p->flags[i] & F_ANNOT))
			continue;
		/* Spread the ImageNetV2 keys among the others. */
		while (other < p->nother && (uint64_t)(other + 1) * p->nannot / (p->nother + 1) <= seen) {
			fputs(first ? "" : ", ", f);
			write_other(f, p, other++);
			first = 0;
		}
		fputs(first ? "" : ", ", f);
		jimage(f, i);
		fputs(": ", f);
		make_annot(p, i, p->label[i], &a);
		write_annot(f, p, &a);
		first = 0;
		seen++;
	}
	for (; other < p->nother; other++) {
		fputs(first ? "" : ", ", f);
		write_other(f, p, other);
		first = 0;
	}
	fputc('}', f);
}

static const char *const reviewers[] = { "alice", "bob", "carol", "dave", "erin" };

static void write_problem(FILE *f, const struct plan *p, uint32_t i)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_PROB, i);
	int64_t marked = review_time(&r);
	/* Reviewed at once (same session) or weeks later. */
	int64_t reviewed = marked + (mk_chance(&r, 500) ? (int64_t)mk_below(&r, 5000000)
			   : (int64_t)mk_below(&r, 40 * 86400) * 1000000 + mk_below(&r, 1000000));
	const char *rev = reviewers[mk_below(&r, 5)], *user = reviewers[mk_below(&r, 5)];
	int bad = p->flags[i] & F_BAD;

	jimage(f, i);
	fputs(": {\"reason\": ", f);
	jstr(f, bad ? "wnid is marked wrong" : "marked as problematic in the review server");
	fputs(", \"reviewer\": ", f);
	jstr(f, rev);
	/* The real file spells this key two ways; readers should not care. */
	fputs(bad && mk_chance(&r, 300) ? ", \"server_user_name\": " : ", \"server_username\": ", f);
	jstr(f, user);
	fputs(", \"time_marked\": ", f);
	jtime(f, marked);
	fputs(", \"time_reviewed\": ", f);
	jtime(f, reviewed);
	fputc('}', f);
}

static void write_problematic(FILE *f, const struct plan *p)
{
	int first = 1;

	fputs("\"problematic_images\": {", f);
	for (uint32_t i = 0; i < p->n; i++) {
		if (!(p->flags[i] & F_PROB))
			continue;
		fputs(first ? "" : ", ", f);
		write_problem(f, p, i);
		first = 0;
	}
	fputc('}', f);
}

static void write_imagenet_m(FILE *f, const struct plan *p)
{
	int first = 1;

	fputs("\"imagenet_m\": [", f);
	for (uint32_t i = 0; i < p->n; i++) {
		if (!(p->flags[i] & F_IMNETM))
			continue;
		fputs(first ? "" : ", ", f);
		jimage(f, i);
		first = 0;
	}
	fputc(']', f);
}

/* Strings that exercise a JSON reader's escapes and UTF-8 handling. */
static const char *const comments[] = {
	"", "looks like a \"tench\" to me", "see C:\\imgs\\val", "two\nlines", "tab\there",
	"caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x90\x9f", "ctrl \x01\x1f end", "slash / and \\/",
	"initial_annots", "{\"imagenet_m\": []}",
};
static const char *const decisions[] = { "correct", "wrong", "unclear", "skip" };

static void pad_review_entry(FILE *f, const struct plan *p, struct mk_rng *r)
{
	uint32_t i = mk_below(r, p->n);

	fputs("{\"image\": ", f);
	jimage(f, i);
	fputs(", \"wnid\": ", f);
	jstr(f, p->cls[mk_below(r, p->nclasses)].wnid);
	fputs(", \"user\": ", f);
	jstr(f, reviewers[mk_below(r, 5)]);
	fputs(", \"decision\": ", f);
	jstr(f, decisions[mk_below(r, 4)]);
	fputs(", \"time\": ", f);
	jtime(f, review_time(r));
	if (mk_chance(r, 150)) {
		fputs(", \"comment\": ", f);
		jstr(f, comments[mk_below(r, sizeof comments / sizeof comments[0])]);
	}
	fprintf(f, ", \"seconds\": %" PRIu32 ".%03" PRIu32 ", \"flagged\": %s, \"extra\": null}",
		mk_below(r, 60), mk_below(r, 1000), mk_chance(r, 100) ? "true" : "false");
}

/* Padding before the used keys: a decoy object holding keys named like the
 * used ones (a reader must only take top-level keys), then a review log. */
static void pad_before(FILE *f, const struct plan *p, off_t target)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_PAD, 0);
	int first = 1;

	fputs("\"meta\": {\"version\": \"3.0.0\", \"initial_annots\": {\"decoy\": true}, "
	      "\"problematic_images\": [], \"imagenet_m\": [\"ILSVRC2012_val_00000001.JPEG\"], "
	      "\"counts\": [1, -2, 3.5e-3, 1E+2, 0.0]}, \"review_log\": [", f);
	do {
		fputs(first ? "" : ", ", f);
		pad_review_entry(f, p, &r);
		first = 0;
	} while (ftello(f) < target);
	fputs("], ", f);
}

static void pad_predictions(FILE *f, const struct plan *p, struct mk_rng *r, uint32_t i)
{
	jimage(f, i);
	fputs(": [", f);
	for (int k = 0; k < 5; k++)
		fprintf(f, "%s[\"%s\", %s%" PRIu32 "e-%d]", k ? ", " : "",
			p->cls[mk_below(r, p->nclasses)].wnid, mk_chance(r, 50) ? "-" : "",
			mk_range(r, 1, 99999), mk_range(r, 1, 9));
	fputc(']', f);
}

/* Padding after the used keys: per-model predictions, until the target. */
static void pad_after(FILE *f, const struct plan *p, off_t target)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_PAD, 1);
	uint32_t model = 0, i = 0;

	fputs(", \"model_predictions\": {", f);
	do {
		fprintf(f, "%s\"model-%02" PRIu32 "\": {", model ? ", " : "", model);
		for (i = 0; i < p->n; i++) {
			fputs(i ? ", " : "", f);
			pad_predictions(f, p, &r, i);
			if (ftello(f) >= target)
				break;
		}
		fputc('}', f);
		model++;
	} while (ftello(f) < target);
	fputs("}, \"notes\": ", f);
	jstr(f, comments[5]);
}

int write_json(const struct plan *p, struct pending *pd, off_t *size,
	       struct imlfs_error *err)
{
	FILE *f = open_part_file(p, JSON_NAME, pd, err);
	off_t target = (off_t)p->o.pad_mb * 1000000;

	if (!f)
		return -1;
	fputc('{', f);
	if (target)
		pad_before(f, p, target / 2);
	write_initial_annots(f, p);
	fputs(", ", f);
	write_problematic(f, p);
	fputs(", ", f);
	write_imagenet_m(f, p);
	if (target)
		pad_after(f, p, target - 1);
	fputc('}', f);
	*size = ftello(f);
	return close_part_file(f, pd, err);
}
