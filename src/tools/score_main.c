/* SPDX-License-Identifier: MIT */
/* score_main.c — imlfs-score: score a predictions file offline.
 *
 * The same inputs as a mount (resolved and loaded the same way, cache
 * included) and the same code path as reading a predictions file in the
 * mount (parse with the mount's array bound, score, write the JSON), so
 * the numbers printed here are the numbers a mount shows.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imlfs/hints.h"
#include "imlfs/error.h"
#include "imlfs/inputs.h"
#include "imlfs/load.h"
#include "imlfs/model.h"
#include "imlfs/preds.h"
#include "imlfs/score.h"
#include "imlfs/submissions.h"
#include "imlfs/util.h"

static const char usage[] =
	"usage: imlfs-score [OPTIONS] TARBALL PREDICTIONS\n"
	"Score predictions (one line per image: IMAGE LABEL [LABEL ...], each LABEL\n"
	"a class index or a wnid) against ILSVRC2012_img_val.tar and its labels,\n"
	"expert multi-labels and ReaL labels; print the scores as JSON.  PREDICTIONS '-' reads stdin.\n"
	"PREDICTIONS may also be a NumPy .npy array (np.save), told apart by its magic:\n"
	"one row per image of the split in sorted file-name order (all images without\n"
	"--split), either float16/32/64 scores, one column per class (top-5 = the five\n"
	"highest), or int32/64 class indices, top-1 first (logits.topk(5).indices).\n"
	"\n"
	"  --annotations F   human_accuracy_v3.0.0.json (default: beside TARBALL)\n"
	"  --labels F        validation_labels.txt or val.txt (default: beside TARBALL)\n"
	"  --classes F       LOC_synset_mapping.txt, class_info.json or synset_words.txt\n"
	"  --real F          real.json, the ReaL labels (default: beside TARBALL); adds\n"
	"                    the split real and real_accuracy, real_top5_accuracy\n"
	"  --labelset NAME=F a label set (imlfs(1), LABEL SETS), as often as needed:\n"
	"                    adds the split NAME and NAME_accuracy, NAME_top5_accuracy\n"
	"  --split NAME      print one split: all, validation, imagenet_m or real\n"
	"                    (or a label set's NAME; default: every split present)\n"
	"  --cache-dir DIR   where the index cache lives\n"
	"  --nocache         neither read nor write the index cache\n"
	"  -h, --help        this help\n"
	"  -V, --version     the version\n";

struct args {
	const char *given[IMLFS_NROLES];   /* the inputs by role; the tarball is TARBALL */
	const char *cache_dir, *preds;
	const char *split;           /* --split NAME, resolved once the sets are known */
	bool nocache;
};

/* The one line of a failure, naming its exit status; returns the status. */
static int fail(int code, const char *msg)
{
	return imlfs_exit_report(stderr, "imlfs-score", code, msg);
}

/* The split called name in m (absent or not, for the built-in ones): true
 * and *out, or false. */
static bool parse_split(const struct imlfs_model *m, const char *name, enum imlfs_split *out)
{
	for (enum imlfs_split s = 0; s < IMLFS_NSPLITS; s++)
		if (*imlfs_split_name(m, s) && !strcmp(name, imlfs_split_name(m, s))) {
			*out = s;
			return true;
		}
	return false;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct args *a)
{
	/* --NAME F for each input role (from the table of roles), then ours. */
	enum { ROLE_OPT = 0x100 };
	static const struct option ours[] = {
		{ "split", required_argument, NULL, 's' },
		{ "labelset", required_argument, NULL, 'L' },
		{ "cache-dir", required_argument, NULL, 'C' },
		{ "nocache", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct option opts[IMLFS_NROLES + sizeof ours / sizeof ours[0]];
	size_t n = 0;
	int c, nsets = 0;

	/* the label sets' slots are filled by --labelset, one each */
	for (int r = 0; r < IMLFS_ROLE_SET0; r++)
		if (imlfs_roles[r].option)
			opts[n++] = (struct option){ imlfs_roles[r].option, required_argument, NULL,
						     ROLE_OPT + r };
	memcpy(opts + n, ours, sizeof ours);
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'C': a->cache_dir = optarg; break;
		case 'n': a->nocache = true; break;
		case 's': a->split = optarg; break;
		case 'L':
			if (nsets == IMLFS_LABELSETS_MAX) {
				char msg[512];

				snprintf(msg, sizeof msg, "--labelset %s: more than %d label sets; "
					 "score at most %d at a time", optarg, IMLFS_LABELSETS_MAX,
					 IMLFS_LABELSETS_MAX);
				return fail(IMLFS_E_USAGE, msg);
			}
			a->given[IMLFS_ROLE_SET0 + nsets++] = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			printf("\nExit status (see imlfs-score(1)):\n");
			imlfs_exit_help(stdout, IMLFS_BY_SCORE);
			return 0;
		case 'V': printf("imlfs-score %s\n", IMLFS_VERSION); return 0;
		default:
			if (c >= ROLE_OPT && c < ROLE_OPT + IMLFS_NROLES) {
				a->given[c - ROLE_OPT] = optarg;
				break;
			}
			fputs(usage, stderr);
			return IMLFS_E_USAGE;
		}
	}
	if (argc - optind != 2) {
		fputs(usage, stderr);
		return fail(IMLFS_E_USAGE, "expected TARBALL and PREDICTIONS; see --help");
	}
	a->given[IMLFS_ROLE_TARBALL] = argv[optind];
	a->preds = argv[optind + 1];
	return -1;
}

static int read_stdin(char **data, size_t *len)
{
	struct imlfs_buf b = { 0 };
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		if (imlfs_buf_add(&b, chunk, n)) {
			imlfs_buf_free(&b);
			return -ENOMEM;
		}
	if (ferror(stdin)) {
		imlfs_buf_free(&b);
		return -EIO;
	}
	if (!b.p && imlfs_buf_add(&b, "", 0))
		return -ENOMEM;
	*data = b.p;
	*len = b.len;
	return 0;
}

static int read_preds(const char *path, char **data, size_t *len, struct imlfs_error *err)
{
	int r = strcmp(path, "-") ? imlfs_read_file(path, data, len) : read_stdin(data, len);

	if (r == -ENOMEM)
		return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory reading the predictions",
				  path);
	if (r)
		return imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot read the predictions: %s; "
				  "check the path", strcmp(path, "-") ? path : "stdin", strerror(-r));
	return 0;
}

/* --split name of model m: IMLFS_OK and *file, or the exit status of the
 * one line said. */
static int resolve_split(const struct imlfs_model *m, const char *name, enum imlfs_pred_file *file)
{
	enum imlfs_split s;
	bool real = !strcmp(name, "real");
	char msg[512];

	if (!parse_split(m, name, &s)) {
		if (real)
			return fail(IMLFS_E_USAGE, "--split real: this tarball has no such split (no "
				    "ReaL labels file); give --real real.json, or leave out --split");
		snprintf(msg, sizeof msg, "--split %s: no such split; use all, validation, "
			 "imagenet_m, real or the NAME of a --labelset NAME=F", name);
		return fail(IMLFS_E_USAGE, msg);
	}
	if (!imlfs_split_present(m, s)) {
		snprintf(msg, sizeof msg, "--split %s: this tarball has no such split (%s); give "
			 "--annotations, or leave out --split", name,
			 s == IMLFS_SPLIT_VALIDATION ? "no annotation file"
			 : "the annotation file has no \"imagenet_m\"");
		return fail(IMLFS_E_USAGE, msg);
	}
	*file = imlfs_pred_of_split(s);
	return IMLFS_OK;
}

/* Load, score, print; returns the exit status. */
static int run(const struct args *a)
{
	struct imlfs_error err = { 0 };
	struct imlfs_inputs in = { 0 };
	struct imlfs_model m = { 0 };
	struct imlfs_load_opts lo = { .cache_dir = a->cache_dir, .nocache = a->nocache,
				      .log = stderr };
	struct imlfs_load_info info = { 0 };
	struct imlfs_preds *p = NULL;
	struct imlfs_scores *sc = NULL;
	enum imlfs_pred_file file = IMLFS_PRED_ROOT;
	char *preds = NULL, *out = NULL, msg[256];
	size_t plen = 0, olen = 0;
	int tar_fd = -1, rc = IMLFS_OK;

	if (imlfs_inputs_resolve(&in, a->given, &err) ||
	    imlfs_load(&m, &in, &lo, &tar_fd, &info, &err) ||
	    read_preds(a->preds, &preds, &plen, &err)) {
		rc = fail(err.code ? err.code : IMLFS_E_INTERNAL, err.msg);
		goto out;
	}
	if (a->split && (rc = resolve_split(&m, a->split, &file)) != IMLFS_OK)
		goto out;
	p = imlfs_preds_parse_for(&m, preds, plen, file, imlfs_subs_npy_cap(&m, NULL));
	sc = p ? imlfs_score(&m, p, file) : NULL;
	if (sc && imlfs_hints_add(&m, p, preds, plen, file, imlfs_subs_npy_cap(&m, NULL), sc)) {
		imlfs_scores_free(sc);
		sc = NULL;
	}
	out = sc ? imlfs_scores_json(&m, file, sc, &olen) : NULL;
	if (!out) {
		rc = fail(IMLFS_E_NOMEM, "out of memory while scoring");
		goto out;
	}
	if (fwrite(out, 1, olen, stdout) != olen || fflush(stdout)) {
		snprintf(msg, sizeof msg, "stdout: write failed: %s", strerror(errno));
		rc = fail(IMLFS_E_INTERNAL, msg);
	}
out:
	free(out);
	imlfs_scores_free(sc);
	imlfs_preds_free(p);
	free(preds);
	if (tar_fd >= 0)
		close(tar_fd);
	imlfs_model_free(&m);
	imlfs_inputs_free(&in);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	return run(&a);
}
