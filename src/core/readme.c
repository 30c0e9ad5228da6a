/* SPDX-License-Identifier: MIT */
/* readme.c — the README text.  Every count is read off the finished tree
 * through the public catalogue API, so the README cannot disagree with what
 * `ls` shows.  The appends ignore their results: the buffer's failure flag
 * is sticky and checked once at the end. */
#include <stdbool.h>
#include <stdio.h>

#include "imlfs/labelset.h"
#include "imlfs/published.h"
#include "imlfs/readme.h"
#include "imlfs/tarhash.h"

/* Directory `name` (e.g. "images", "correct") of split s's folder: its
 * inode, or 0 when absent. */
static uint64_t split_subdir(const struct imlfs_catalog *c, enum imlfs_split s, const char *name)
{
	struct imlfs_node n;

	if (imlfs_catalog_lookup(c, IMLFS_INO_ROOT, imlfs_split_name(imlfs_catalog_model(c), s), &n) ||
	    imlfs_catalog_lookup(c, n.ino, name, &n) || n.kind != IMLFS_NODE_DIR)
		return 0;
	return n.ino;
}

/* Images in a flat folder (listed as X.JPEG and X.json). */
static uint64_t images(const struct imlfs_catalog *c, uint64_t dir)
{
	return dir ? (imlfs_catalog_dirsize(c, dir) - 2) / 2 : 0;
}

/* Entries in all class folders of a view folder (by-class/, correct/ ...),
 * and how many class folders there are. */
static uint64_t view_entries(const struct imlfs_catalog *c, uint64_t dir, uint32_t *nfolders)
{
	struct imlfs_node n;
	char name[256];
	uint64_t total = 0, idx = 2;

	*nfolders = 0;
	for (; dir && imlfs_catalog_dirent(c, dir, idx, name, sizeof name, &n) == 0; idx++) {
		total += images(c, n.ino);
		++*nfolders;
	}
	return total;
}

static const char *origin(const char *path, bool found, const char *none)
{
	if (!path)
		return none;
	return found ? "found beside the tarball" : "given";
}

/* The word for role r in the README's rows: a label set's slot by its
 * set's name. */
static const char *role_word(const struct imlfs_inputs *in, int r)
{
	if (IMLFS_ROLE_IS_SET(r))
		return in && in->setname[r - IMLFS_ROLE_SET0] ? in->setname[r - IMLFS_ROLE_SET0] : "?";
	return imlfs_role_name(r);
}

static void readme_inputs(struct imlfs_buf *b, const struct imlfs_inputs *in,
			  const struct imlfs_load_info *li)
{
	imlfs_buf_printf(b, "Inputs\n");
	for (int r = 0; r < IMLFS_NROLES; r++) {
		const struct imlfs_role_info *role = &imlfs_roles[r];
		const char *path = in ? in->path[r] : NULL;

		if (IMLFS_ROLE_IS_SET(r)) {   /* a row per label set mounted */
			if (path)
				imlfs_buf_printf(b, "  %-12s %s (%s, label set)\n", role_word(in, r),
						 path, origin(path, in->beside[r], NULL));
			continue;
		}
		if (!role->absent)   /* the tarball: always there */
			imlfs_buf_printf(b, "  %-12s %s\n", role->name, path ? path : "?");
		else
			imlfs_buf_printf(b, "  %-12s %s (%s)\n", role->name, path ? path : "-",
					 origin(path, in && in->beside[r], role->absent));
	}
	if (li && li->from_cache)
		imlfs_buf_printf(b, "  index        loaded from the cache %s in %.3f s\n",
				 li->cache_file, li->seconds);
	else if (li)
		imlfs_buf_printf(b, "  index        built in %.3f s%s%s\n", li->seconds,
				 li->cache_file[0] ? ", cached in " : " (not cached)", li->cache_file);
}

enum view { BY_LABEL, CORRECT, UNCLEAR, WRONG, SET_LABELS };

/* A label set's line under its folder's: what it did with the images,
 * and for mturk the outcomes of the vote (labelset.h). */
static void readme_set(struct imlfs_buf *b, const struct imlfs_model *m,
		       const struct imlfs_labelset *ls, uint32_t n)
{
	char folder[IMLFS_LABELSET_NAME_MAX + 2];
	const uint32_t *o = ls->outcome;

	snprintf(folder, sizeof folder, "%s/", ls->name);
	imlfs_buf_printf(b, "%-15s label set %s (%s format): the images it gives a label: %u "
			 "(%u listed with none, %u left out)\n", folder, ls->name,
			 imlfs_labelset_format_name(ls->format), n, ls->nempty,
			 m->nmembers - ls->nlisted);
	if (ls->format == IMLFS_LS_MTURK)
		imlfs_buf_printf(b, "  outcomes      given %u, guessed %u, both %u, neither %u, "
				 "no majority %u; not listed, original label kept %u\n",
				 o[IMLFS_LS_GIVEN], o[IMLFS_LS_GUESSED], o[IMLFS_LS_BOTH],
				 o[IMLFS_LS_NEITHER], o[IMLFS_LS_NO_MAJORITY], o[IMLFS_LS_KEPT]);
}

static void readme_split(const struct imlfs_catalog *c, struct imlfs_buf *b, enum imlfs_split s)
{
	const struct imlfs_model *m = imlfs_catalog_model(c);
	static const char *const vnames[] = { "by-class", "correct", "unclear", "wrong", "labels" };
	uint32_t n = (uint32_t)images(c, split_subdir(c, s, "images"));
	static const char *const vhelp[] = {
		"by original label",
		"under every class the experts marked correct",
		"under every class the experts marked unclear",
		"under every class the experts marked wrong",
		"under every class of its ReaL labels" };
	const struct imlfs_labelset *set = imlfs_split_set(m, s);
	bool real = set && set == imlfs_real_set(m);
	int first = (m->have & IMLFS_HAVE_LABELS) ? BY_LABEL : CORRECT;
	int last = s == IMLFS_SPLIT_ALL ? BY_LABEL : WRONG;

	if (s == IMLFS_SPLIT_ALL)
		imlfs_buf_printf(b, "all/            every image in the tarball: %u\n", n);
	else if (s == IMLFS_SPLIT_VALIDATION)
		imlfs_buf_printf(b, "validation/     the annotated images (TFDS split 'validation'): %u\n",
				 n);
	else if (s == IMLFS_SPLIT_IMAGENET_M)
		imlfs_buf_printf(b, "imagenet_m/     the ImageNet-M images: %u\n", n);
	else if (real)
		imlfs_buf_printf(b, "real/           the images with at least one ReaL label: %u "
				 "(%u have none)\n", n, m->nmembers - n);
	else if (set)
		readme_set(b, m, set, n);
	imlfs_buf_printf(b, "  images/       flat: each image X.JPEG and its sidecar X.json\n");
	imlfs_buf_printf(b, "  pixels/       torchvision's eval crops as .npy, bit-exact: SPEC/X.npy,\n"
			 "                SPEC.npy (all rows), labels.npy (man imlfs: PIXELS)\n");
	if (set) {
		first = (m->have & IMLFS_HAVE_LABELS) ? BY_LABEL : SET_LABELS;
		last = SET_LABELS;
	}
	for (int v = first; v <= last; v++) {
		uint32_t nfolders;

		if (set && v > BY_LABEL && v < SET_LABELS)
			continue;
		uint64_t entries = view_entries(c, split_subdir(c, s, vnames[v]), &nfolders);
		char folder[16];

		snprintf(folder, sizeof folder, "%s/", vnames[v]);
		imlfs_buf_printf(b, "  %-13s %s: %llu entries in %u class folders\n", folder,
				 v == SET_LABELS && !real ? "under every class of its labels in the set"
				 : vhelp[v], (unsigned long long)entries, nfolders);
	}
	if (s == IMLFS_SPLIT_VALIDATION || s == IMLFS_SPLIT_IMAGENET_M)
		imlfs_buf_printf(b, "  problematic/  marked problematic (left out of multi-label "
				 "accuracy): %llu\n",
				 (unsigned long long)images(c, split_subdir(c, s, "problematic")));
	imlfs_buf_printf(b, "  predictions   write one line per image, read back the scores\n");
	imlfs_buf_printf(b, "  report.html   your latest submission here: scores, classes worst first,\n"
			 "                up to 200 mistakes with their images (open it in a browser)\n");
	imlfs_buf_printf(b, "  per-class.tsv the same per-class table: index, wnid, name, images,\n"
			 "                correct, accuracy\n");
}

int imlfs_readme_render(const struct imlfs_catalog *c, const void *ctx, struct imlfs_buf *b)
{
	const struct imlfs_readme_src *src = ctx;
	const struct imlfs_model *m = imlfs_catalog_model(c);
	const struct imlfs_stats *st = &m->stats;

	imlfs_buf_printf(b, "imlfs %s: the ImageNet validation images with expert multi-labels\n\n",
			 IMLFS_VERSION);
	readme_inputs(b, src ? src->inputs : NULL, src ? src->load : NULL);
	imlfs_buf_printf(b, "\nFolders (a WNID folder exists only where it holds an image)\n");
	for (enum imlfs_split s = 0; s < IMLFS_NSPLITS; s++)
		if (imlfs_split_present(m, s))
			readme_split(c, b, s);
	if (!(m->have & IMLFS_HAVE_ANNOTATIONS))
		imlfs_buf_printf(b, "validation/, imagenet_m/: absent (no annotation file)\n");
	else if (!(m->have & IMLFS_HAVE_IMAGENET_M))
		imlfs_buf_printf(b, "imagenet_m/: absent (the annotation file has no \"imagenet_m\" key;"
				 " use human_accuracy_v3.0.0.json)\n");
	if (!(m->have & IMLFS_HAVE_REAL))
		imlfs_buf_printf(b, "real/: absent (no ReaL labels file; give --real real.json)\n");
	imlfs_buf_printf(b, "\nFiles\n"
		"  classes.tsv   index<TAB>wnid<TAB>name, one line per class: %u classes\n"
		"  X.json        beside every image: file_name, original_label, original_wnid,\n"
		"                original_name, correct_multi_labels, unclear_multi_labels,\n"
		"                wrong_multi_labels, real_labels (class indices; null\n"
		"                without a ReaL file), NAME_labels per label set NAME\n"
		"                (null: left out), is_problematic, in_imagenet_m,\n"
		"                annotated, width, height, components\n"
		"  predictions   here and in each split: write lines \"IMAGE LABEL [LABEL ...]\"\n"
		"                (class index or wnid; the first is top-1, five give top-5),\n"
		"                then read the file for the scores of your latest submission\n"
		"  report.html   at the root: your latest root submission's scores on every\n"
		"                split in one table, and the images the splits disagree about\n",
		m->nclasses);
	if (m->have & IMLFS_HAVE_ANNOTATIONS)
		imlfs_buf_printf(b, "\nAnnotation file: %u initial_annots entries (%u ImageNetV2 ones "
			"ignored, %u not in the tarball), %u problematic images (%u not in the "
			"tarball), %u ImageNet-M images (%u not in the tarball)\n",
			st->annots_total, st->annots_other, st->annots_not_in_tar,
			st->problematic_total, st->problematic_not_in_tar, st->imagenet_m_total,
			st->imagenet_m_not_in_tar);
	if (st->tar_skipped)
		imlfs_buf_printf(b, "Tarball: %u entries that are not regular files were skipped\n",
				 st->tar_skipped);
	return imlfs_buf_check(b);
}

int imlfs_readme_verify(struct imlfs_buf *b, const struct imlfs_inputs *in,
			const struct imlfs_model *m, struct imlfs_tarhash *th)
{
	imlfs_buf_printf(b, "\nInputs checked against the published files (MD5; `imlfs --verify` "
			 "checks them from a shell)\n");
	for (int r = 0; r < IMLFS_NROLES; r++) {
		const char *path = in->path[r];

		if (!path)
			continue;
		imlfs_buf_printf(b, "  %-12s ", role_word(in, r));
		if (r == IMLFS_ROLE_TARBALL && th)
			imlfs_tarhash_words(th, b);
		else if (r == IMLFS_ROLE_TARBALL || !(m->md5.have & (1u << r)))
			imlfs_buf_printf(b, "not checked yet");
		else
			imlfs_verify_words(b, r, path, imlfs_verify_compare(r, path, m->md5.md5[r]),
					   m->md5.md5[r]);
		imlfs_buf_printf(b, "\n");
	}
	return imlfs_buf_check(b);
}
