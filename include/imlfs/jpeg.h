/* SPDX-License-Identifier: MIT */
/* jpeg.h — image facts from a JPEG header, with libjpeg-turbo. */
#ifndef IMLFS_JPEG_H
#define IMLFS_JPEG_H

#include <stddef.h>
#include <stdint.h>

/* Read width, height and colour components from the start of a JPEG file
 * (buf holds its first len bytes).  Returns 0, or -1 when the header is not
 * complete in buf or it is not a JPEG (outputs then untouched). */
int imlfs_jpeg_probe(const unsigned char *buf, size_t len,
		     uint16_t *width, uint16_t *height, uint8_t *components);

#endif
