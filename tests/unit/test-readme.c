/* SPDX-License-Identifier: MIT */
/* test-readme.c — the README text, byte for byte as catalog.c rendered it
 * before it had its own module (same model as test-catalog), and a failed
 * allocation while rendering it: reported, never a silently cut text.
 *
 * Linked with -Wl,--wrap=realloc (meson.build), so fail_in can make the
 * n-th realloc from now fail, also the ones inside the core library. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/readme.h"
#include "testutil.h"

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
static int fail_in;   /* 0: never; n: the n-th realloc from now fails */

void *__wrap_realloc(void *p, size_t n)
{
	if (fail_in && --fail_in == 0)
		return NULL;
	return __real_realloc(p, n);
}

#define HEAD "imlfs " IMLFS_VERSION ": the ImageNet validation images with expert " \
	"multi-labels\n\nInputs\n"
#define NO_INPUTS \
	"  annotations  - (none: only all/ is served; give --annotations FILE)\n" \
	"  labels       - (none: no by-class/ folders; give --labels FILE)\n" \
	"  classes      - (none: classes are the sorted wnids, named by their wnid)\n" \
	NO_REAL
#define NO_REAL "  real         - (none: no real/ folder; give --real FILE)\n"
#define REAL_ABSENT "real/: absent (no ReaL labels file; give --real real.json)\n"
#define FOLDERS "\nFolders (a WNID folder exists only where it holds an image)\n"
#define IMAGES  "  images/       flat: each image X.JPEG and its sidecar X.json\n" \
	"  pixels/       torchvision's eval crops as .npy, bit-exact: SPEC/X.npy,\n" \
	"                SPEC.npy (all rows), labels.npy (man imlfs: PIXELS)\n"
#define PREDS   "  predictions   write one line per image, read back the scores\n" \
	"  report.html   your latest submission here: scores, classes worst first,\n" \
	"                up to 200 mistakes with their images (open it in a browser)\n" \
	"  per-class.tsv the same per-class table: index, wnid, name, images,\n" \
	"                correct, accuracy\n"
#define VIEWS(c1, c2, c3) \
	"  correct/      under every class the experts marked correct: " c1 " class folders\n" \
	"  unclear/      under every class the experts marked unclear: " c2 " class folders\n" \
	"  wrong/        under every class the experts marked wrong: " c3 " class folders\n"
#define ALL \
	"all/            every image in the tarball: 6\n" IMAGES \
	"  by-class/     by original label: 6 entries in 3 class folders\n" PREDS
#define VALIDATION \
	"validation/     the annotated images (TFDS split 'validation'): 4\n" IMAGES \
	"  by-class/     by original label: 4 entries in 3 class folders\n" \
	VIEWS("5 entries in 3", "1 entries in 1", "1 entries in 1") \
	"  problematic/  marked problematic (left out of multi-label accuracy): 1\n" PREDS
#define IMAGENET_M \
	"imagenet_m/     the ImageNet-M images: 1\n" IMAGES \
	"  by-class/     by original label: 1 entries in 1 class folders\n" \
	VIEWS("1 entries in 1", "0 entries in 0", "0 entries in 0") \
	"  problematic/  marked problematic (left out of multi-label accuracy): 0\n" PREDS
#define FILES \
	"\nFiles\n" \
	"  classes.tsv   index<TAB>wnid<TAB>name, one line per class: 3 classes\n" \
	"  X.json        beside every image: file_name, original_label, original_wnid,\n" \
	"                original_name, correct_multi_labels, unclear_multi_labels,\n" \
	"                wrong_multi_labels, real_labels (class indices; null\n" \
	"                without a ReaL file), NAME_labels per label set NAME\n" \
	"                (null: left out), is_problematic, in_imagenet_m,\n" \
	"                annotated, width, height, components\n" \
	"  predictions   here and in each split: write lines \"IMAGE LABEL [LABEL ...]\"\n" \
	"                (class index or wnid; the first is top-1, five give top-5),\n" \
	"                then read the file for the scores of your latest submission\n" \
	"  report.html   at the root: your latest root submission's scores on every\n" \
	"                split in one table, and the images the splits disagree about\n"
#define ANNOTATIONS(a, b, c, d, e, f, g) \
	"\nAnnotation file: " a " initial_annots entries (" b " ImageNetV2 ones ignored, " \
	c " not in the tarball), " d " problematic images (" e " not in the tarball), " \
	f " ImageNet-M images (" g " not in the tarball)\n"
#define SKIPPED "Tarball: 2 entries that are not regular files were skipped\n"

/* The README of the catalogue of m, rendered by the catalogue itself. */
static char *readme_of(const struct imlfs_model *m, const struct imlfs_readme_src *rs)
{
	struct imlfs_catalog *c = imlfs_catalog_new(&(struct imlfs_catalog_src){
		.model = m, .readme = imlfs_readme_render, .readme_ctx = rs });
	const char *t;
	size_t len;
	char *copy;

	CHECK(c != NULL);
	if (!c)
		return strdup("");
	t = imlfs_catalog_text(c, IMLFS_TEXT_README, &len);
	CHECK_EQ(len, strlen(t));
	copy = strdup(t);
	imlfs_catalog_free(c);
	return copy;
}

static void check_readme(const struct imlfs_model *m, const struct imlfs_readme_src *rs,
			 const char *expect)
{
	char *t = readme_of(m, rs);

	CHECK_STR(t, expect);
	free(t);
}

/* A README renderer that runs out of memory on its third buffer growth. */
static int failing_readme(const struct imlfs_catalog *c, const void *ctx, struct imlfs_buf *b)
{
	int r;

	fail_in = 3;
	r = imlfs_readme_render(c, ctx, b);
	fail_in = 0;
	return r;
}

static void check_failures(const struct imlfs_model *m, const struct imlfs_readme_src *rs)
{
	char *full = readme_of(m, rs);
	struct imlfs_catalog *c = imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = m });
	struct imlfs_buf b = { 0 };

	/* Rendered directly: the error is returned, and the text is a strict
	 * prefix of the full one (no appends after the failure, no holes). */
	CHECK(c != NULL);
	CHECK(strlen(full) > 1024);
	CHECK_EQ(failing_readme(c, rs, &b), -ENOMEM);
	CHECK(b.failed);
	CHECK(b.len < strlen(full));
	CHECK(b.p && strncmp(b.p, full, b.len) == 0);
	imlfs_buf_free(&b);
	imlfs_catalog_free(c);

	/* Through the catalogue: no catalogue (the daemon exits 12). */
	c = imlfs_catalog_new(&(struct imlfs_catalog_src){
		.model = m, .readme = failing_readme, .readme_ctx = rs });
	CHECK(c == NULL);
	imlfs_catalog_free(c);
	free(full);
}

/* The buffer's sticky failure flag on its own. */
static void check_buf(void)
{
	struct imlfs_buf b = { 0 };
	uint32_t off;

	CHECK_EQ(imlfs_buf_printf(&b, "%s", "ok"), 0);
	CHECK_EQ(imlfs_buf_printf(&b, "%s", ""), 0);          /* nothing to add is no failure */
	CHECK_EQ(imlfs_buf_check(&b), 0);
	fail_in = 1;
	CHECK_EQ(imlfs_buf_printf(&b, "%300s", "x"), -1);   /* needs to grow */
	CHECK_EQ(fail_in, 0);
	CHECK_EQ(imlfs_buf_printf(&b, "%s", "y"), -1);       /* would fit: still refused */
	CHECK_EQ(imlfs_buf_add(&b, "z", 1), -1);
	CHECK_EQ(imlfs_buf_addstr(&b, "z", 1, &off), -1);
	CHECK_STR(b.p, "ok");
	CHECK_EQ(imlfs_buf_check(&b), -ENOMEM);
	imlfs_buf_reset(&b);
	CHECK_EQ(imlfs_buf_check(&b), 0);
	CHECK_EQ(imlfs_buf_printf(&b, "%s", "again"), 0);
	CHECK_STR(b.p, "again");
	imlfs_buf_free(&b);
}

int main(void)
{
	struct imlfs_model m;
	struct imlfs_inputs in = { .path = {
		[IMLFS_ROLE_TARBALL] = "/data/ILSVRC2012_img_val.tar",
		[IMLFS_ROLE_ANNOTATIONS] = "/data/human_accuracy_v3.0.0.json",
		[IMLFS_ROLE_LABELS] = "/elsewhere/val.txt" },
		.beside = { [IMLFS_ROLE_ANNOTATIONS] = true } };
	struct imlfs_inputs bare = { .path = { [IMLFS_ROLE_TARBALL] = "/t.tar",
		[IMLFS_ROLE_CLASSES] = "/c.txt" }, .beside = { [IMLFS_ROLE_CLASSES] = true } };
	struct imlfs_load_info built = { .cache_file = "/root/.cache/imlfs/0123456789abcdef.idx",
		.seconds = 1.25 };
	struct imlfs_load_info nocache = { .seconds = 0.5 };
	struct imlfs_load_info cached = { .from_cache = true, .cache_file = "/c/x.idx",
		.seconds = 0.0625 };
	const char *given =
		"  tarball      /data/ILSVRC2012_img_val.tar\n"
		"  annotations  /data/human_accuracy_v3.0.0.json (found beside the tarball)\n"
		"  labels       /elsewhere/val.txt (given)\n"
		"  classes      - (none: classes are the sorted wnids, named by their wnid)\n"
		NO_REAL;
	char expect[8192];

	check_buf();
	tu_tree_model(&m);
	check_readme(&m, NULL, HEAD "  tarball      ?\n" NO_INPUTS FOLDERS ALL VALIDATION
		     IMAGENET_M REAL_ABSENT FILES ANNOTATIONS("0", "0", "0", "0", "0", "0", "0"));

	m.stats = (struct imlfs_stats){ .annots_total = 20, .annots_other = 3,
		.annots_not_in_tar = 2, .problematic_total = 5, .problematic_not_in_tar = 1,
		.imagenet_m_total = 7, .imagenet_m_not_in_tar = 4, .tar_skipped = 2 };
	snprintf(expect, sizeof expect, "%s%s%s", HEAD, given,
		 "  index        built in 1.250 s, cached in /root/.cache/imlfs/0123456789abcdef.idx\n"
		 FOLDERS ALL VALIDATION IMAGENET_M REAL_ABSENT FILES
		 ANNOTATIONS("20", "3", "2", "5", "1", "7", "4") SKIPPED);
	check_readme(&m, &(struct imlfs_readme_src){ .inputs = &in, .load = &built }, expect);
	check_failures(&m, &(struct imlfs_readme_src){ .inputs = &in, .load = &built });

	m.have &= ~IMLFS_HAVE_IMAGENET_M;
	snprintf(expect, sizeof expect, "%s%s%s", HEAD, given,
		 "  index        built in 0.500 s (not cached)\n" FOLDERS ALL VALIDATION
		 "imagenet_m/: absent (the annotation file has no \"imagenet_m\" key; use "
		 "human_accuracy_v3.0.0.json)\n" REAL_ABSENT FILES
		 ANNOTATIONS("20", "3", "2", "5", "1", "7", "4") SKIPPED);
	check_readme(&m, &(struct imlfs_readme_src){ .inputs = &in, .load = &nocache }, expect);

	m.have = IMLFS_HAVE_CLASSES;
	check_readme(&m, &(struct imlfs_readme_src){ .inputs = &bare, .load = &cached },
		     HEAD "  tarball      /t.tar\n"
		     "  annotations  - (none: only all/ is served; give --annotations FILE)\n"
		     "  labels       - (none: no by-class/ folders; give --labels FILE)\n"
		     "  classes      /c.txt (found beside the tarball)\n" NO_REAL
		     "  index        loaded from the cache /c/x.idx in 0.062 s\n"
		     FOLDERS "all/            every image in the tarball: 6\n" IMAGES PREDS
		     "validation/, imagenet_m/: absent (no annotation file)\n" REAL_ABSENT
		     FILES SKIPPED);

	/* With the ReaL labels: a real/ folder after the others, no "absent". */
	{
		struct imlfs_inputs with = in;
		char *text;

		tu_add_set(&m, "real", IMLFS_LS_REAL, "[[0, 1], [], [2], [], [1], []]");
		m.have = IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_IMAGENET_M |
			 IMLFS_HAVE_CLASSES | IMLFS_HAVE_REAL;
		with.real = "/data/real.json";
		with.beside[IMLFS_ROLE_REAL] = true;
		text = readme_of(&m, &(struct imlfs_readme_src){ .inputs = &with, .load = &built });
		CHECK(text && strstr(text, "  real         /data/real.json (found beside the "
				     "tarball)\n"));
		CHECK(text && strstr(text, IMAGENET_M
			"real/           the images with at least one ReaL label: 3 (3 have none)\n"
			IMAGES
			"  by-class/     by original label: 3 entries in 1 class folders\n"
			"  labels/       under every class of its ReaL labels: 4 entries in 3 class "
			"folders\n" PREDS FILES));
		CHECK(text && !strstr(text, "absent"));
		free(text);
	}
	imlfs_model_free(&m);
	return tu_done();
}
