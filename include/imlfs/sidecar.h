/* SPDX-License-Identifier: MIT */
/* sidecar.h — the JSON text served beside each image as X.json.
 *
 * Keys (TFDS imagenet2012_multilabel feature names, plus a few facts):
 * file_name, original_label, original_wnid, original_name,
 * correct_multi_labels, unclear_multi_labels, wrong_multi_labels (class
 * indices, ascending), real_labels (ascending; [] for an image whose ReaL
 * list is empty, null without a ReaL file), then NAME_labels for each
 * other label set NAME of the mount (ascending; [] when the set lists the
 * image with no label, null when it leaves the image out), is_problematic,
 * in_imagenet_m, annotated, width, height, components.  Deterministic: the same model gives the same bytes,
 * so st_size can be computed once and cached.
 */
#ifndef IMLFS_SIDECAR_H
#define IMLFS_SIDECAR_H

#include "imlfs/model.h"
#include "imlfs/util.h"

/* Append member i's sidecar text to b (cleared first).  0, or -1 when out
 * of memory. */
int imlfs_sidecar_render(const struct imlfs_model *m, uint32_t i, struct imlfs_buf *b);

/* Append s as a JSON string literal (quotes and escapes). */
int imlfs_buf_json_string(struct imlfs_buf *b, const char *s);

#endif
