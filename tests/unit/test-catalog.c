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

	CHECK_STR(listing(c, ""), "README all classes.tsv imagenet_m predictions validation");
	CHECK_STR(listing(c, "all"), "by-class images per-class.tsv predictions report.html");
	CHECK_STR(listing(c, "all/images"), V(1) " " V(2) " " V(3) " " V(4) " " V(5) " " V(6));
	CHECK_STR(listing(c, "all/by-class"), "n00000001 n00000002 n00000003");
	CHECK_STR(listing(c, "all/by-class/n00000001"), V(1) " " V(3) " " V(5));
	CHECK_STR(listing(c, "validation"),
		  "by-class correct images per-class.tsv predictions problematic report.html "
		  "unclear wrong");
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
	CHECK_EQ(st.st_nlink, 2 + 6);
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

	/* report files beside each split's predictions, none at the root */
	CHECK_EQ(imlfs_catalog_lookup(c, IMLFS_INO_ROOT, "report.html", &n), -ENOENT);
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
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_REPORT, &n), -ENOENT);   /* the root's */
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_REPORT + 2 * IMLFS_NPRED, &n), -ENOENT);

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
		static const uint32_t off[7] = { 0, 2, 2, 3, 3, 4, 4 };
		static const uint16_t real[4] = { 0, 1, 2, 1 };
		uint64_t before[5];
		uint32_t ndirs;
		struct imlfs_catalog *r;

		c = imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = &m });
		for (int k = 0; k < 5; k++)
			before[k] = walk(c, paths[k]);
		ndirs = imlfs_catalog_ndirs(c);
		m.real_off = malloc(sizeof off);
		m.real = malloc(sizeof real);
		memcpy(m.real_off, off, sizeof off);
		memcpy(m.real, real, sizeof real);
		m.nreal = 4;
		m.have |= IMLFS_HAVE_REAL;
		r = imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = &m });
		CHECK(r != NULL);
		for (int k = 0; k < 5; k++)
			CHECK_EQ(walk(r, paths[k]), before[k]);
		CHECK(walk(r, "real") > IMLFS_INO_ROOT + ndirs - 1);
		CHECK_STR(listing(r, ""), "README all classes.tsv imagenet_m predictions real "
			  "validation");
		CHECK_STR(listing(r, "real"), "by-class images labels per-class.tsv predictions report.html");
		CHECK_STR(listing(r, "real/images"), V(1) " " V(3) " " V(5));
		CHECK_STR(listing(r, "real/by-class"), "n00000001");
		CHECK_STR(listing(r, "real/labels"), "n00000001 n00000002 n00000003");
		CHECK_STR(listing(r, "real/labels/n00000002"), V(1) " " V(5));
		CHECK_STR(listing(r, "real/labels/n00000003"), V(3));
		CHECK_EQ(imlfs_catalog_lookup(r, walk(r, "real/images"), "ILSVRC2012_val_00000002.JPEG",
					      &n), -ENOENT);
		CHECK_EQ(imlfs_catalog_lookup(r, walk(r, "real"), "predictions", &n), 0);
		CHECK_EQ(n.ino, IMLFS_INO_PREDICTIONS + IMLFS_PRED_REAL);
		CHECK_EQ(n.pred, IMLFS_PRED_REAL);
		/* member 1 (index 0) is in all/images, all/by-class, validation/
		 * images, by-class, correct x2, unclear, real/images, by-class,
		 * labels x2: its link count says so */
		CHECK_EQ(imlfs_catalog_lookup(r, walk(r, "real/images"), "ILSVRC2012_val_00000001.JPEG",
					      &n), 0);
		imlfs_catalog_stat(r, &n, &st);
		CHECK_EQ(st.st_nlink, 11);
		imlfs_catalog_free(r);
		imlfs_catalog_free(c);
		free(m.real_off);
		free(m.real);
		m.real_off = NULL;
		m.real = NULL;
		m.nreal = 0;
		m.have &= ~IMLFS_HAVE_REAL;
	}

	/* Without annotations: only all/; without labels: no by-class/. */
	m.have = IMLFS_HAVE_CLASSES;
	c = imlfs_catalog_new(&(struct imlfs_catalog_src){ .model = &m });
	CHECK_STR(listing(c, ""), "README all classes.tsv predictions");
	CHECK_STR(listing(c, "all"), "images per-class.tsv predictions report.html");
	CHECK_EQ(imlfs_catalog_lookup(c, IMLFS_INO_ROOT, "validation", &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_PREDICTIONS + 2, &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_REPORT + 2 * IMLFS_PRED_VALIDATION, &n), -ENOENT);
	CHECK_EQ(imlfs_catalog_node(c, IMLFS_INO_REPORT + 2 * IMLFS_PRED_ALL + 1, &n), 0);
	imlfs_catalog_free(c);

	imlfs_model_free(&m);

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
