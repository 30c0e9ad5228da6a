/* SPDX-License-Identifier: MIT */
/* roles.c — the one table of input files (see roles.h).  The published
 * digests are those of the files their sources distribute. */
#include <stddef.h>

#include "imlfs/roles.h"

const struct imlfs_role_info imlfs_roles[IMLFS_NROLES] = {
	[IMLFS_ROLE_TARBALL] = {
		.name = "tarball", .file = "tarball",
		/* image-net.org; torchvision's ImageNet checks the same */
		.published = { { "ILSVRC2012_img_val.tar", "29b22e2961454d5413ddabcf34fc5622" } },
	},
	[IMLFS_ROLE_ANNOTATIONS] = {
		.name = "annotations", .option = "annotations", .file = "annotation file",
		.absent = "none: only all/ is served; give --annotations FILE",
		.beside = { "human_accuracy_v3.0.0.json", "human_accuracy_fixed.json" },
		/* the file TFDS imagenet2012_multilabel downloads */
		.published = { { "human_accuracy_v3.0.0.json", "81d98aa82e570a3b2db98af5ccf87145" } },
	},
	[IMLFS_ROLE_LABELS] = {
		.name = "labels", .option = "labels", .file = "labels file",
		.absent = "none: no by-class/ folders; give --labels FILE",
		.beside = { "validation_labels.txt", "val.txt" },
		/* TFDS's ImageNet 2012 folder */
		.published = { { "validation_labels.txt", "eaa6788f6a51fca5fb184f235d0c4e62" } },
	},
	[IMLFS_ROLE_CLASSES] = {
		.name = "classes", .option = "classes", .file = "classes file",
		.absent = "none: classes are the sorted wnids, named by their wnid",
		.beside = { "LOC_synset_mapping.txt", "class_info.json", "synset_words.txt" },
		/* the ImageNetV2 repository */
		.published = { { "class_info.json", "50608bba554770c263cc8e23a2903c1c" } },
	},
	[IMLFS_ROLE_REAL] = {
		.name = "real", .option = "real", .file = "ReaL labels file",
		.absent = "none: no real/ folder; give --real FILE",
		.beside = { "real.json" },
		/* google-research/reassessed-imagenet */
		.published = { { "real.json", "c03b536b209b127cb61430fd1ce950d5" } },
	},
	/* The label sets' slots: named by their sets (inputs.h), no file of
	 * their own beside the tarball (inputs.c has the names a set is
	 * found under), cleanlab's file the one published digest known. */
#define SET_SLOT(k) [IMLFS_ROLE_SET0 + (k)] = { \
		.name = "labelset", .option = "labelset", .file = "label set file", \
		.published = { { "imagenet_mturk.json", "374609c27bb899ca41bce4cae805f131" } }, }
	SET_SLOT(0), SET_SLOT(1), SET_SLOT(2), SET_SLOT(3),
	SET_SLOT(4), SET_SLOT(5), SET_SLOT(6), SET_SLOT(7),
#undef SET_SLOT
};
_Static_assert(IMLFS_LABELSETS_MAX == 8, "one SET_SLOT per label set");

const char *imlfs_role_name(int role)
{
	return role >= 0 && role < IMLFS_NROLES ? imlfs_roles[role].name : "?";
}
