/* SPDX-License-Identifier: MIT */
/* test-catalog.c — the tree over a small hand-made model: which folders
 * exist, who is in them, lookups, listings, inode numbers and attributes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/catalog.h"
#include "imlfs/report.h"
#include "imlfs/score.h"
#include "imlfs/sidecar.h"
#include "testutil.h"

static uint64_t walk(const struct imlfs_catalog *c, const char *path)
{
	char buf[256], *save = NULL;
	uint64_t ino = IMLFS_INO_ROOT;
	struct imlfs_node n;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *part = strtok_r(buf, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (imlfs_catalog_lookup(c, ino, part, &n))
			return 0;
		ino = n.ino;
	}
	return ino;
}

/* The names in a directory, space-separated, without . and .. */
static const char *listing(const struct imlfs_catalog *c, const char *path)
{
	static char out[4096];
	char name[256];
	struct imlfs_node n;
	uint64_t ino = walk(c, path);

	out[0] = '\0';
	for (uint64_t idx = 2; ino && imlfs_catalog_dirent(c, ino, idx, name, sizeof name, &n) == 0; idx++) {
		struct imlfs_node back;

		/* every listed name must look up to the same node */
		CHECK_EQ(imlfs_catalog_lookup(c, ino, name, &back), 0);
		CHECK_EQ(back.ino, n.ino);
		strcat(out, out[0] ? " " : "");
		strcat(out, name);
	}
	return out;
}

#define V(n) "ILSVRC2012_val_0000000" #n ".JPEG ILSVRC2012_val_0000000" #n ".json"
#define P(n) "ILSVRC2012_val_0000000" #n ".npy"
#define DEFAULT_SPECS "resize232-crop224-bilinear resize232-crop224-bilinear.npy " \
	"resize248-crop224-bicubic resize248-crop224-bicubic.npy " \
	"resize256-crop224-bilinear resize256-crop224-bilinear.npy"

/* pixels/ of the tree of tu_tree_model: listings, lookups of any valid
 * spec, inode numbers, sizes. */
static void pixels(const struct imlfs_catalog *c)
{
	struct imlfs_node n, d;
	struct stat st;
	uint64_t ino, code;
	char hdr[IMLFS_PIXELS_NPY_HEADER_MAX];

	CHECK_STR(listing(c, "all/pixels"), "labels.npy " DEFAULT_SPECS);
	CHECK_STR(listing(c, "validation/pixels"), "labels.npy " DEFAULT_SPECS);
	CHECK_STR(listing(c, "all/pixels/resize256-crop224-bilinear"),
		  P(1) " " P(2) " " P(3) " " P(4) " " P(5) " " P(6));
	CHECK_STR(listing(c, "validation/pixels/resize248-crop224-bicubic"),
		  P(1) " " P(2) " " P(3) " " P(4));
	/* a spec not listed is there all the same */
	CHECK_STR(listing(c, "imagenet_m/pixels/resize40-crop32-bicubic"), P(3));
	CHECK_EQ(imlfs_catalog_dirsize(c, walk(c, "imagenet_m/pixels/resize40-crop32-bicubic")), 3);
	CHECK_EQ(imlfs_catalog_dirsize(c, walk(c, "all/pixels")), 2 + 7);
	CHECK_EQ(walk(c, "all/pixels/resize40-crop32-bicubic/.."), walk(c, "all/pixels"));
	CHECK_EQ(walk(c, "all/pixels/resize40-crop32-bicubic/."),
		 walk(c, "all/pixels/resize40-crop32-bicubic"));
	CHECK_EQ(walk(c, "all/pixels/.."), walk(c, "all"));

	/* the inode numbers of catalog.h */
	code = (uint64_t)(40 - 1) << 11 | (32 - 1) << 1 | 1;
	ino = walk(c, "validation/pixels/resize40-crop32-bicubic/ILSVRC2012_val_00000002.npy");
	CHECK_EQ(ino, IMLFS_INO_PIXELS + (code << 34) + 1);
	/* one crop, one inode, in every split that holds it */
	CHECK_EQ(walk(c, "all/pixels/resize40-crop32-bicubic/ILSVRC2012_val_00000002.npy"), ino);
	CHECK_EQ(walk(c, "validation/pixels/resize40-crop32-bicubic"),
		 IMLFS_INO_PIXELS + (code << 34) + (1ULL << 32) + IMLFS_SPLIT_VALIDATION);
	CHECK_EQ(walk(c, "validation/pixels/resize40-crop32-bicubic.npy"),
		 IMLFS_INO_PIXELS + (code << 34) + (1ULL << 32) + 16 + IMLFS_SPLIT_VALIDATION);
	CHECK_EQ(walk(c, "imagenet_m/pixels/labels.npy"),
		 IMLFS_INO_PIXELS + (1ULL << 32) + 32 + IMLFS_SPLIT_IMAGENET_M);
	/* the largest spec, both filters: every number distinct */
	CHECK(walk(c, "all/pixels/resize1024-crop1024-bicubic/ILSVRC2012_val_00000006.npy") !=
	      walk(c, "all/pixels/resize1024-crop1024-bilinear/ILSVRC2012_val_00000006.npy"));
	CHECK(walk(c, "all/pixels/resize1024-crop1024-bicubic/ILSVRC2012_val_00000006.npy") != 0);
	CHECK(walk(c, "all/pixels/resize1024-crop1024-bicubic.npy") !=
	      walk(c, "validation/pixels/resize1024-crop1024-bicubic.npy"));

	/* nodes and attributes */
	CHECK_EQ(imlfs_catalog_node(c, ino, &n), 0);
	CHECK_EQ(n.kind, IMLFS_NODE_PIXELS);
	CHECK_EQ(n.index, 1);
	CHECK_EQ(n.spec.resize, 40);
	CHECK_EQ(n.spec.crop, 32);
	CHECK_EQ(n.spec.filter, IMLFS_FILTER_BICUBIC);
	imlfs_catalog_stat(c, &n, &st);
	CHECK_EQ(st.st_size, 128 + 32 * 32 * 3);
	CHECK_EQ(st.st_mode, S_IFREG | 0444);
	CHECK_EQ(st.st_nlink, 2);   /* all and validation */
	CHECK_EQ(st.st_mtime, 1000001);
	CHECK_EQ(imlfs_catalog_lookup(c, walk(c, "validation/pixels"), "resize256-crop224-bilinear.npy",
				      &n), 0);
	CHECK_EQ(n.kind, IMLFS_NODE_PIXARRAY);
	CHECK_EQ(n.split, IMLFS_SPLIT_VALIDATION);
	imlfs_catalog_stat(c, &n, &st);
	CHECK_EQ(st.st_size, 128 + 4 * 224 * 224 * 3);
	CHECK_EQ(imlfs_catalog_lookup(c, walk(c, "all/pixels"), "labels.npy", &n), 0);
	CHECK_EQ(n.kind, IMLFS_NODE_PIXLABELS);
	CHECK_EQ(n.split, IMLFS_SPLIT_ALL);
	imlfs_catalog_stat(c, &n, &st);
	CHECK_EQ(st.st_size, 128 + 6 * 2);
	CHECK_EQ(imlfs_catalog_lookup(c, walk(c, "all/pixels"), "resize1-crop1-bilinear", &d), 0);
	CHECK_EQ(d.kind, IMLFS_NODE_DIR);
	imlfs_catalog_stat(c, &d, &st);
	CHECK_EQ(st.st_mode, S_IFDIR | 0555);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(imlfs_catalog_node(c, d.ino, &n), 0);
	CHECK_EQ(n.kind, IMLFS_NODE_DIR);
	CHECK_EQ(n.split, IMLFS_SPLIT_ALL);
	CHECK_EQ(n.spec.crop, 1);
	CHECK_EQ(imlfs_catalog_lookup(c, d.ino, "ILSVRC2012_val_00000001.npy", &n), 0);
	CHECK_EQ(n.kind, IMLFS_NODE_PIXELS);

	/* names that are not there */
	CHECK_EQ(walk(c, "all/pixels/resize3-crop10-bilinear"), 0);        /* C > S */
	CHECK_EQ(walk(c, "all/pixels/resize1025-crop224-bilinear.npy"), 0);
	CHECK_EQ(walk(c, "all/pixels/resize256-crop224-nearest"), 0);
	CHECK_EQ(walk(c, "all/pixels/resize0256-crop224-bilinear"), 0);
	CHECK_EQ(walk(c, "all/pixels/resize256-crop224-bilinear.npy.npy"), 0);
	CHECK_EQ(walk(c, "all/pixels/labels"), 0);
	CHECK_EQ(walk(c, "all/pixels/.npy"), 0);
	CHECK_EQ(walk(c, "all/pixels/resize256-crop224-bilinear/ILSVRC2012_val_00000007.npy"), 0);
	CHECK_EQ(walk(c, "all/pixels/resize256-crop224-bilinear/ILSVRC2012_val_00000001.JPEG"), 0);
	CHECK_EQ(walk(c, "all/pixels/resize256-crop224-bilinear/ILSVRC2012_val_00000001"), 0);
	CHECK_EQ(walk(c, "all/pixels/resize256-crop224-bilinear/.npy"), 0);
	/* member 5 is not in validation */
	CHECK_EQ(walk(c, "validation/pixels/resize256-crop224-bilinear/ILSVRC2012_val_00000005.npy"),
		 0);
	CHECK_EQ(imlfs_catalog_lookup(c, walk(c, "all/pixels/labels.npy"), "x", &n), -ENOTDIR);
	/* numbers that are no node: member past the last, C > S, a split
	 * without pixels, a kind past labels, labels with a spec */
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PIXELS + (code << 34) + 6, &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PIXELS + (2ULL << 34), &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PIXELS + (1ULL << 32) + IMLFS_SPLIT_SET0, &n),
		 -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PIXELS + (1ULL << 32) + 7, &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PIXELS + (1ULL << 32) + 48, &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PIXELS + (code << 34) + (1ULL << 32) + 32, &n),
		 -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PIXELS + (1ULL << 55), &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, UINT64_MAX, &n), -ENOENT);

	/* labels.npy's header, as np.save writes it */
	CHECK_EQ(imlfs_catalog_labels_header(hdr, 6), 128);
	CHECK(memcmp(hdr, "\x93NUMPY\x01\x00\x76\x00{'descr': '<i2', 'fortran_order': False, "
		     "'shape': (6,), }", 10 + 57) == 0);
	CHECK_EQ(hdr[127], '\n');
	CHECK_EQ(hdr[126], ' ');
	CHECK_EQ(imlfs_catalog_labels_header(hdr, 4000000000u), 128);
}

int main(void)
{
	struct imlfs_model m;
	struct imlfs_catalog *c;
	struct imlfs_node n;
	struct stat st;
	size_t len;
	const char *t;

	tu_tree_model(&m);
	c = imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = &m, .mtime = 42 });
	CHECK(c != NULL);

	CHECK_STR(listing(c, ""), "README all classes.tsv imagenet_m predictions report.html validation");
	CHECK_STR(listing(c, "all"), "by-class images per-class.tsv pixels predictions report.html");
	CHECK_STR(listing(c, "all/images"), V(1) " " V(2) " " V(3) " " V(4) " " V(5) " " V(6));
	CHECK_STR(listing(c, "all/by-class"), "n00000001 n00000002 n00000003");
	CHECK_STR(listing(c, "all/by-class/n00000001"), V(1) " " V(3) " " V(5));
	CHECK_STR(listing(c, "validation"),
		  "by-class correct images per-class.tsv pixels predictions problematic "
		  "report.html unclear wrong");
	CHECK_STR(listing(c, "validation/images"), V(1) " " V(2) " " V(3) " " V(4));
	CHECK_STR(listing(c, "validation/by-class"), "n00000001 n00000002 n00000003");
	CHECK_STR(listing(c, "validation/by-class/n00000001"), V(1) " " V(3));
	CHECK_STR(listing(c, "validation/correct"), "n00000001 n00000002 n00000003");
	CHECK_STR(listing(c, "validation/correct/n00000001"), V(1) " " V(3));
	CHECK_STR(listing(c, "validation/correct/n00000002"), V(1) " " V(2));
	CHECK_STR(listing(c, "validation/unclear"), "n00000003");
	CHECK_STR(listing(c, "validation/wrong"), "n00000002");
	CHECK_STR(listing(c, "validation/wrong/n00000002"), V(4));
	/* member 6 is problematic but not annotated: not in validation */
	CHECK_STR(listing(c, "validation/problematic"), V(2));
	CHECK_STR(listing(c, "imagenet_m/images"), V(3));
	CHECK_STR(listing(c, "imagenet_m/by-class"), "n00000001");
	CHECK_STR(listing(c, "imagenet_m/problematic"), "");
	CHECK_STR(listing(c, "imagenet_m/unclear"), "");

	/* lookups that must fail */
	CHECK_EQ(walk(c, "all/images/ILSVRC2012_val_00000007.JPEG"), 0);
	CHECK_EQ(walk(c, "validation/images/ILSVRC2012_val_00000005.JPEG"), 0);
	CHECK_EQ(walk(c, "all/by-class/n00000009"), 0);
	CHECK_EQ(walk(c, "all/images/ILSVRC2012_val_00000001.jpeg"), 0);
	CHECK_EQ(imlfs_catalog_lookup(c, walk(c, "README"), "x", &n), -ENOTDIR);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_IMAGE + 12, &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, 999999, &n), -ENOENT);

	/* one inode per image wherever it appears; nlink counts its folders */
	CHECK_EQ(walk(c, "all/images/ILSVRC2012_val_00000001.JPEG"), IMLFS_INO_IMAGE);
	CHECK_EQ(walk(c, "validation/correct/n00000002/ILSVRC2012_val_00000001.json"),
		 IMLFS_INO_IMAGE + 1);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_IMAGE, &n), 0);
	imlfs_catalog_stat(c, &n, &st);
	/* all/images, all/by-class, validation/images, validation/by-class,
	 * correct x2, unclear x1 */
	CHECK_EQ(st.st_nlink, 7);
	CHECK_EQ(st.st_size, 100);
	CHECK_EQ(st.st_mtime, 1000000);
	CHECK_EQ(st.st_mode, S_IFREG | 0444);
	CHECK_EQ(imlfs_catalog_node(c, walk(c, "all/images/ILSVRC2012_val_00000006.JPEG"), &n), 0);
	imlfs_catalog_stat(c, &n, &st);
	CHECK_EQ(st.st_nlink, 2);

	/* directories: nlink = 2 + subdirectories */
	CHECK_EQ(imlfs_catalog_node(c, walk(c, "validation"), &n), 0);
	imlfs_catalog_stat(c, &n, &st);
	CHECK_EQ(st.st_nlink, 2 + 7);
	CHECK_EQ(st.st_mode, S_IFDIR | 0555);
	CHECK_EQ(st.st_mtime, 42);
	CHECK_EQ(walk(c, "validation/.."), IMLFS_INO_ROOT);
	CHECK_EQ(walk(c, "validation/correct/.."), walk(c, "validation"));
	CHECK_EQ(imlfs_catalog_dirsize(c, walk(c, "all/images")), 2 + 12);

	/* sidecar size is the rendered length */
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_IMAGE + 1, &n), 0);
	imlfs_catalog_stat(c, &n, &st);
	{
		struct imlfs_buf b = { 0 };

		CHECK_EQ(imlfs_sidecar_render(&m, 0, &b), 0);
		CHECK_EQ(st.st_size, b.len);
		imlfs_buf_free(&b);
	}

	/* predictions files: the root one and one per split */
	CHECK_EQ(imlfs_catalog_lookup(c, IMLFS_INO_ROOT, "predictions", &n), 0);
	CHECK_EQ(n.kind, IMLFS_NODE_PREDICTIONS);
	CHECK_EQ(n.pred, IMLFS_PRED_ROOT);
	CHECK_EQ(n.ino, IMLFS_INO_PREDICTIONS);
	CHECK_EQ(imlfs_catalog_lookup(c, walk(c, "imagenet_m"), "predictions", &n), 0);
	CHECK_EQ(n.pred, IMLFS_PRED_IMAGENET_M);
	CHECK_EQ(n.ino, IMLFS_INO_PREDICTIONS + 3);   /* as in earlier versions */
	imlfs_catalog_stat(c, &n, &st);
	CHECK_EQ(st.st_mode, S_IFREG | 0666);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PREDICTIONS + 3, &n), 0);
	CHECK_EQ(n.kind, IMLFS_NODE_PREDICTIONS);
	CHECK_EQ(n.pred, IMLFS_PRED_IMAGENET_M);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PREDICTIONS + IMLFS_NPRED, &n), -ENOENT);

	/* report files beside each split's predictions; the root's below */
	CHECK_EQ(imlfs_catalog_lookup(c, walk(c, "validation"), "report.html", &n), 0);
	CHECK_EQ(n.kind, IMLFS_NODE_REPORT);
	CHECK_EQ(n.pred, IMLFS_PRED_VALIDATION);
	CHECK_EQ(n.index, IMLFS_REPORT_HTML);
	CHECK_EQ(n.ino, IMLFS_INO_REPORT + 2 * IMLFS_PRED_VALIDATION);
	imlfs_catalog_stat(c, &n, &st);
	CHECK_EQ(st.st_mode, S_IFREG | 0444);
	CHECK_EQ(imlfs_catalog_lookup(c, walk(c, "imagenet_m"), "per-class.tsv", &n), 0);
	CHECK_EQ(n.index, IMLFS_REPORT_TSV);
	CHECK_EQ(imlfs_catalog_node(c, n.ino, &n), 0);
	CHECK_EQ(n.kind, IMLFS_NODE_REPORT);
	CHECK_EQ(n.pred, IMLFS_PRED_IMAGENET_M);
	CHECK_EQ(n.index, IMLFS_REPORT_TSV);
	/* the root's report.html (its scorecard); it has no per-class.tsv */
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_REPORT, &n), 0);
	CHECK_EQ(n.kind, IMLFS_NODE_REPORT);
	CHECK_EQ(n.pred, IMLFS_PRED_ROOT);
	CHECK_EQ(n.index, IMLFS_REPORT_HTML);
	CHECK_EQ(imlfs_catalog_lookup(c, IMLFS_INO_ROOT, "report.html", &n), 0);
	CHECK_EQ(n.ino, IMLFS_INO_REPORT);
	CHECK_EQ(imlfs_catalog_lookup(c, IMLFS_INO_ROOT, "per-class.tsv", &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_REPORT + 1, &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_REPORT + 2 * IMLFS_NPRED, &n), -ENOENT);

	pixels(c);
	t = imlfs_catalog_text(c, IMLFS_TEXT_CLASSES, &len);
	CHECK_STR(t, "0\tn00000001\ttench, Tinca tinca\n1\tn00000002\tgoldfish\n"
		     "2\tn00000003\tsay \"cheese\"\n");
	CHECK_EQ(len, strlen(t));
	/* without a README renderer (readme.c; see test-readme) it is empty */
	t = imlfs_catalog_text(c, IMLFS_TEXT_README, &len);
	CHECK_STR(t, "");
	CHECK_EQ(len, 0);
	imlfs_catalog_free(c);

	/* With the ReaL labels: real/ holds the images with a non-empty list,
	 * labels/ files each under every ReaL label, and every node that
	 * existed before keeps its inode number. */
	{
		static const char *const paths[] = { "all", "all/by-class/n00000002",
			"validation/wrong/n00000002", "imagenet_m/problematic", "imagenet_m" };
		uint64_t before[5];
		uint32_t ndirs;
		struct imlfs_catalog *r;

		c = imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = &m });
		for (int k = 0; k < 5; k++)
			before[k] = walk(c, paths[k]);
		ndirs = imlfs_catalog_ndirs(c);
		tu_add_set(&m, "real", IMLFS_LS_REAL, "[[0, 1], [], [2], [], [1], []]");
		r = imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = &m });
		CHECK(r != NULL);
		for (int k = 0; k < 5; k++)
			CHECK_EQ(walk(r, paths[k]), before[k]);
		CHECK(walk(r, "real") > IMLFS_INO_ROOT + ndirs - 1);
		CHECK_STR(listing(r, ""), "README all classes.tsv imagenet_m predictions real report.html "
			  "validation");
		CHECK_STR(listing(r, "real"), "by-class images labels per-class.tsv pixels predictions "
			  "report.html");
		CHECK_STR(listing(r, "real/images"), V(1) " " V(3) " " V(5));
		CHECK_STR(listing(r, "real/by-class"), "n00000001");
		CHECK_STR(listing(r, "real/labels"), "n00000001 n00000002 n00000003");
		CHECK_STR(listing(r, "real/labels/n00000002"), V(1) " " V(5));
		CHECK_STR(listing(r, "real/labels/n00000003"), V(3));
		CHECK_EQ(imlfs_catalog_lookup(r, walk(r, "real/images"), "ILSVRC2012_val_00000002.JPEG",
					      &n), -ENOENT);
		CHECK_EQ(imlfs_catalog_lookup(r, walk(r, "real"), "predictions", &n), 0);
		CHECK_EQ(n.ino, IMLFS_INO_PREDICTIONS + IMLFS_PRED_SET0);
		CHECK_EQ(n.pred, IMLFS_PRED_SET0);
		/* member 1 (index 0) is in all/images, all/by-class, validation/
		 * images, by-class, correct x2, unclear, real/images, by-class,
		 * labels x2: its link count says so */
		CHECK_EQ(imlfs_catalog_lookup(r, walk(r, "real/images"), "ILSVRC2012_val_00000001.JPEG",
					      &n), 0);
		imlfs_catalog_stat(r, &n, &st);
		CHECK_EQ(st.st_nlink, 11);
		imlfs_catalog_free(r);
		imlfs_catalog_free(c);
		tu_drop_sets(&m);
	}

	/* Without annotations: only all/; without labels: no by-class/. */
	m.have = IMLFS_HAVE_CLASSES;
	c = imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = &m });
	CHECK_STR(listing(c, ""), "README all classes.tsv predictions report.html");
	CHECK_STR(listing(c, "all"), "images per-class.tsv pixels predictions report.html");
	CHECK_EQ(imlfs_catalog_lookup(c, IMLFS_INO_ROOT, "validation", &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PREDICTIONS + 2, &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_REPORT + 2 * IMLFS_PRED_VALIDATION, &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_REPORT + 2 * IMLFS_PRED_ALL + 1, &n), 0);
	imlfs_catalog_free(c);

	imlfs_model_free(&m);

	/* Specs given (-o pixels=) are listed too, sorted, each once. */
	{
		static const char *const names[] = { "a.JPEG", "bb.JPEG" };
		struct imlfs_pixspec extra[3];

		CHECK_EQ(imlfs_pixspec_parse("resize40-crop32-bicubic", 23, &extra[0], NULL, 0), 0);
		CHECK_EQ(imlfs_pixspec_parse("resize256-crop224-bilinear", 26, &extra[1], NULL, 0), 0);
		extra[2] = extra[0];
		tu_model(&m, names, 2);
		c = imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = &m, .pixels = extra,
								    .npixels = 3 });
		CHECK_STR(listing(c, "all/pixels"), "labels.npy " DEFAULT_SPECS
			  " resize40-crop32-bicubic resize40-crop32-bicubic.npy");
		CHECK_STR(listing(c, "all/pixels/resize40-crop32-bicubic"), "a.npy bb.npy");
		imlfs_catalog_free(c);
		imlfs_model_free(&m);
	}

	/* The shortest sidecar name: image "a.JPEG", sidecar "a.json" (6 bytes);
	 * every name listed looks up (listing() checks it). */
	{
		static const char *const names[] = { "a.JPEG", "bb.JPEG" };

		tu_model(&m, names, 2);
		c = imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = &m });
		CHECK_STR(listing(c, "all/images"), "a.JPEG a.json bb.JPEG bb.json");
		CHECK_EQ(imlfs_catalog_lookup(c, walk(c, "all/images"), "a.json", &n), 0);
		CHECK_EQ(imlfs_catalog_lookup(c, walk(c, "all/images"), ".json", &n), -ENOENT);
		imlfs_catalog_free(c);
		imlfs_model_free(&m);
	}
	return tu_done();
}
