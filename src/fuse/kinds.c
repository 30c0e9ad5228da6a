/* SPDX-License-Identifier: MIT */
/* kinds.c — the table of file kinds (kinds.h), by the catalogue's node kind. */
#include "kinds.h"

static const struct imlfs_kind *const by_node[] = {
	[IMLFS_NODE_IMAGE] = &imlfs_kind_image,
	[IMLFS_NODE_SIDECAR] = &imlfs_kind_sidecar,
	[IMLFS_NODE_TEXT] = &imlfs_kind_text,
	[IMLFS_NODE_README] = &imlfs_kind_readme,
	[IMLFS_NODE_PREDICTIONS] = &imlfs_kind_predictions,
	[IMLFS_NODE_REPORT] = &imlfs_kind_report,
	[IMLFS_NODE_PIXELS] = &imlfs_kind_pixels,
	[IMLFS_NODE_PIXARRAY] = &imlfs_kind_pixarray,
	[IMLFS_NODE_PIXLABELS] = &imlfs_kind_pixlabels,
};

const struct imlfs_kind *imlfs_kind_of(const struct imlfs_node *node)
{
	if ((unsigned)node->kind >= sizeof by_node / sizeof by_node[0])
		return NULL;
	return by_node[node->kind];
}
