/* SPDX-License-Identifier: MIT */
/* mksample.c — imlfs-mksample: writes a deterministic, realistic stand-in
 * for the ImageNet validation inputs (the real tarball needs registration):
 *
 *   ILSVRC2012_img_val.tar       flat tar of real JPEGs, ILSVRC2012_val_%08d.JPEG
 *   human_accuracy_v3.0.0.json   expert multi-labels in the TFDS schema
 *   validation_labels.txt        TFDS form: line i = the label of image i+1
 *   LOC_synset_mapping.txt       "wnid name, name" in class-index order
 *   real.json                    ReaL labels: one list of class indices per image
 *
 * Every random choice comes from a generator keyed by (seed, purpose, item),
 * so the same arguments give byte-identical files, however many threads
 * encode.  Files are written under hidden ".NAME.part" names and renamed
 * only once all five are complete, so an interrupted run never leaves a set
 * that looks finished.
 *
 * This file has the options and the run; mksample.h lists the others. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imlfs/error.h"
#include "imlfs/util.h"
#include "mksample.h"

/* ---- command line ---------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " OUTDIR [options]\n"
		"Write a deterministic stand-in for the ImageNet validation inputs into OUTDIR:\n"
		"  " TAR_NAME ", " JSON_NAME ",\n"
		"  " LABELS_NAME ", " MAPPING_NAME ", " REAL_NAME ".\n\n"
		"  --classes N              number of classes (default 10, or all of --class-file)\n"
		"  --per-class N            images per class (default 10)\n"
		"  --annotated-per-class N  images per class with expert labels (default 4)\n"
		"  --class-file FILE        take wnids and names from ImageNetV2's class_info.json\n"
		"  --seed S                 random seed (default 2012)\n"
		"  --tiny                   small images (16..64 px, and the few odd sizes) for\n"
		"                           quick tests\n"
		"  --pad-annotations MB     pad the annotation file to about MB megabytes\n"
		"  -h, --help               show this help\n"
		"  -V, --version            show the version\n\n"
		"Full size: --classes 1000 --per-class 50 --annotated-per-class 20\n");
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
	return IMLFS_E_USAGE;
}

static int parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < lo || v > hi) {
		bad_usage("%s: '%s' is not a whole number from %" PRIu64 " to %" PRIu64,
			  opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(opt, s, lo, hi, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

enum { O_CLASSES = 256, O_PER_CLASS, O_ANNOTATED, O_CLASS_FILE, O_SEED, O_TINY, O_PAD };

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "classes", required_argument, NULL, O_CLASSES },
		{ "per-class", required_argument, NULL, O_PER_CLASS },
		{ "annotated-per-class", required_argument, NULL, O_ANNOTATED },
		{ "class-file", required_argument, NULL, O_CLASS_FILE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "tiny", no_argument, NULL, O_TINY },
		{ "pad-annotations", required_argument, NULL, O_PAD },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof *o);
	o->classes = 10;
	o->per_class = 10;
	o->annotated = 4;
	o->seed = 2012;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case O_CLASSES:
			rc = parse_u32("--classes", optarg, 1, MAX_CLASSES, &o->classes);
			o->classes_set = 1;
			break;
		case O_PER_CLASS:
			rc = parse_u32("--per-class", optarg, 1, MAX_IMAGES, &o->per_class);
			break;
		case O_ANNOTATED:
			rc = parse_u32("--annotated-per-class", optarg, 0, MAX_IMAGES, &o->annotated);
			o->annotated_set = 1;
			break;
		case O_CLASS_FILE: o->class_file = optarg; break;
		case O_SEED: rc = parse_u64("--seed", optarg, 0, UINT64_MAX, &o->seed); break;
		case O_TINY: o->tiny = 1; break;
		case O_PAD: rc = parse_u32("--pad-annotations", optarg, 0, 100000, &o->pad_mb); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " " IMLFS_VERSION "\n"); return 0;
		case ':':
			return bad_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
		if (rc < 0)
			return IMLFS_E_USAGE;
	}
	if (optind >= argc)
		return bad_usage("missing OUTDIR");
	if (optind + 1 < argc)
		return bad_usage("unexpected argument '%s' (give only one OUTDIR)", argv[optind + 1]);
	o->outdir = argv[optind];
	if (!o->annotated_set && o->annotated > o->per_class)
		o->annotated = o->per_class;
	if (o->annotated > o->per_class) {
		fprintf(stderr, PROG ": --annotated-per-class %" PRIu32 " is more than --per-class %"
			PRIu32 "; give at most %" PRIu32 "\n", o->annotated, o->per_class, o->per_class);
		return IMLFS_E_USAGE;
	}
	return -1;
}

/* ---- main ------------------------------------------------------------ */

static void summary(const struct plan *p, const struct tarstats *ts, off_t json_size,
		    double total)
{
	double mb = ts->size / 1e6;

	printf(PROG ": wrote %s in %.1f s (seed %" PRIu64 ")\n", p->o.outdir, total, p->o.seed);
	printf("  %-28s %" PRIu32 " images, %.1f MB, average JPEG %.1f KB, %.1f s, %.1f MB/s\n",
	       TAR_NAME, p->n, mb, p->n ? ts->jpeg_bytes / 1e3 / p->n : 0.0, ts->seconds,
	       ts->seconds > 0 ? mb / ts->seconds : 0.0);
	printf("  %-28s %" PRIu32 " gray, %" PRIu32 " progressive, %" PRIu32 " CMYK, %" PRIu32
	       " with restart markers, %" PRIu32 " in 4:2:2, 4:4:0, 4:1:1 or mixed chroma\n",
	       "", ts->gray, ts->progressive, ts->cmyk, ts->restart, ts->subsampled);
	printf("  %-28s %" PRIu32 " annotated (+%" PRIu32 " ImageNetV2 keys), %" PRIu32
	       " problematic (%" PRIu32 " not annotated), %" PRIu32 " imagenet_m, %.1f MB\n",
	       JSON_NAME, p->nannot, p->nother, p->nprob, p->nprob_outside, p->nimnetm,
	       json_size / 1e6);
	printf("  %-28s %" PRIu32 " labels\n", LABELS_NAME, p->n);
	printf("  %-28s %" PRIu32 " classes%s\n", MAPPING_NAME, p->nclasses,
	       p->o.class_file ? " (from the class file)" : "");
	printf("  %-28s %" PRIu32 " lists: %" PRIu32 " empty, %" PRIu32 " with several labels, %"
	       PRIu32 " without the original label\n", REAL_NAME, p->n, p->nreal_empty,
	       p->nreal_multi, p->nreal_other);
}

static int run(struct plan *p, struct imlfs_error *err)
{
	struct pending pd[5];
	struct tarstats ts = { 0 };
	off_t json_size = 0;
	double t0 = imlfs_now();
	int done = 0, rc;

	if (p->o.class_file ? load_classes(p, p->o.class_file, err) : make_classes(p, err))
		return -1;
	if ((uint64_t)p->nclasses * p->o.per_class > MAX_IMAGES)
		return imlfs_fail(err, IMLFS_E_USAGE, "%" PRIu32 " classes x %" PRIu32 " per class "
				  "is more than %u images; give fewer", p->nclasses,
				  p->o.per_class, MAX_IMAGES);
	if (make_plan(p, err) || make_dirs(p->o.outdir, err))
		return -1;
	catch_signals();
	rc = write_mapping(p, &pd[done], err);
	if (!rc && ++done)
		rc = write_labels(p, &pd[done], err);
	if (!rc && ++done)
		rc = write_json(p, &pd[done], &json_size, err);
	if (!rc && ++done)
		rc = write_real(p, &pd[done], err);
	if (!rc && ++done)
		rc = write_tar(p, &pd[done], &ts, err);
	/* The tar is renamed last: its presence means the set is complete. */
	if (!rc && ++done && !rename_all(pd, done, err)) {
		stop_cleanup();
		summary(p, &ts, json_size, imlfs_now() - t0);
		return 0;
	}
	stop_cleanup();
	for (int k = 0; k < done; k++)
		unlink(pd[k].tmp);
	return -1;
}

int main(int argc, char **argv)
{
	struct plan p = { 0 };
	struct imlfs_error err = { 0 };
	int rc = parse_args(argc, argv, &p.o);

	if (rc >= 0)
		return rc;
	if (p.o.classes_set || !p.o.class_file)
		p.nclasses = p.o.classes;
	rc = run(&p, &err);
	free_classes(&p);
	free(p.label);
	free(p.flags);
	if (rc) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return err.code ? err.code : IMLFS_E_INTERNAL;
	}
	return 0;
}
