/* SPDX-License-Identifier: MIT */
/* pixspec.h — the name of a preprocessing, resize{S}-crop{C}-{FILTER}.
 *
 * A spec names torchvision's evaluation transform of a PIL image:
 *   CenterCrop(C)(Resize(S, interpolation=FILTER)(img.convert("RGB")))
 * (the shorter side resized to S, then the centre C x C).  Examples:
 * resize256-crop224-bilinear (the classic ResNet recipe),
 * resize232-crop224-bilinear, resize248-crop224-bicubic.
 *
 * Only the canonical spelling is a spec, so that each transform has one
 * name: S and C in decimal without a sign or leading zero, the filter
 * "bilinear" or "bicubic" in lower case, nothing before or after.
 * Bounds: 1 <= C <= S <= IMLFS_PIXSPEC_MAX (1024).  C <= S keeps the crop
 * inside the resized image (torchvision would pad it with black), and
 * 1024 bounds a crop's bytes (3 MiB) and the work per image.
 */
#ifndef IMLFS_PIXSPEC_H
#define IMLFS_PIXSPEC_H

#include <stddef.h>

#include "imlfs/resample.h"

#define IMLFS_PIXSPEC_MAX 1024
/* Longest name plus its NUL: "resize1024-crop1024-bilinear". */
#define IMLFS_PIXSPEC_NAME_SIZE 32

struct imlfs_pixspec {
	unsigned resize;            /* S: the shorter side after resizing */
	unsigned crop;              /* C: the side of the centre crop */
	enum imlfs_filter filter;
};

/* Parse name[0..len) (no NUL needed).  Returns 0 and fills *spec, or -1
 * with one line in why[whysz] saying why the name is not a spec (*spec
 * then untouched). */
int imlfs_pixspec_parse(const char *name, size_t len, struct imlfs_pixspec *spec,
			char *why, size_t whysz);

/* The canonical name of spec in buf[size]: its length, or -1 when spec is
 * out of bounds or buf too small (IMLFS_PIXSPEC_NAME_SIZE always does). */
int imlfs_pixspec_format(const struct imlfs_pixspec *spec, char *buf, size_t size);

#endif
