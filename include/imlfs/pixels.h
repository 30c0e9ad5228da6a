/* SPDX-License-Identifier: MIT */
/* pixels.h — a JPEG's evaluation crop as torchvision makes it from PIL.
 *
 * For JPEG bytes and a spec (pixspec.h) the C x C x 3 uint8 array (rows,
 * columns, RGB) equal byte for byte to
 *   np.asarray(CenterCrop(C)(Resize(S, interpolation=FILTER)(
 *       Image.open(f).convert("RGB"))))
 * with Pillow 9.4 and torchvision 0.14 (Debian 12), for every JPEG Pillow
 * decodes the same way as libjpeg-turbo's defaults (islow IDCT, fancy
 * upsampling), which is how both decode:
 *   - grey JPEGs are replicated into R, G and B (convert("RGB"));
 *   - 4-channel (CMYK or YCCK) JPEGs are read as Pillow reads them, always
 *     as Adobe-inverted CMYK ("CMYK;I"), then turned into RGB with
 *     Pillow's cmyk2rgb: R = clip(k - ((t + (t >> 8)) >> 8)) with
 *     t = (255 - c) * k + 128, c and k as libjpeg returns them;
 *   - the resized size: the shorter side becomes S, the longer
 *     int(S * long / short) in double (torchvision's rule); the crop's
 *     offsets round((size - C) / 2) half to even (Python's round).
 * Failures as Pillow's: bytes that do not start with FF D8 FF are not a
 * JPEG (Image.open's test); data that ends early, even just before the
 * final EOI marker (libjpeg's "Premature end of JPEG file"), is an error
 * as Pillow's "image file is truncated"; libjpeg's other warnings (e.g.
 * extraneous bytes before a marker) are ignored by both.  Where they
 * differ: images of more pixels than the decoder's bound are refused here
 * (Pillow refuses above 178,956,970), and when libjpeg's first warning is
 * about corrupt data and a later one about the end of the data, only the
 * first is looked at (as by the TurboJPEG decoder this one replaced, which
 * kept one message), so the image is kept.
 * Only the part of the image that the crop's resampling reads is decoded
 * (with margins that keep its edges exact), except for progressive and
 * other multi-scan JPEGs; the rest is still entropy-decoded, so the bytes
 * and the failures are those of a whole decode.
 */
#ifndef IMLFS_PIXELS_H
#define IMLFS_PIXELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imlfs/pixspec.h"

/* The default bound on width x height of a decoded JPEG: 64 Mpx, about
 * 200 MB for the decoded RGB (ImageNet's largest images are far below). */
#define IMLFS_PIXELS_MAX_PIXELS (1u << 26)

/* A decoder's buffers, kept between calls (its libjpeg decompressor is
 * new for each image, as Pillow's, so that no table of an earlier image
 * is ever used).  Use one per thread. */
struct imlfs_pixels;

/* NULL when out of memory. */
struct imlfs_pixels *imlfs_pixels_new(void);
void imlfs_pixels_free(struct imlfs_pixels *px);
/* Refuse JPEGs of more than max_pixels pixels (default above). */
void imlfs_pixels_set_max_pixels(struct imlfs_pixels *px, uint64_t max_pixels);
/* Give back the buffers kept between calls (a large image leaves large
 * ones); the next call allocates again. */
void imlfs_pixels_trim(struct imlfs_pixels *px);

/* The crop of jpeg[len] for spec into out[crop * crop * 3].  Returns 0;
 * -EINVAL when the bytes are not a JPEG this decodes (bad header, not 8
 * bits, not 1, 3 or 4 channels, more pixels than the bound, bad spec);
 * -EIO when the image data is corrupt or ends early; -ENOMEM.  On failure
 * why[whysz] holds one line saying what went wrong (out unspecified). */
int imlfs_pixels_crop(struct imlfs_pixels *px, const unsigned char *jpeg, size_t len,
		      const struct imlfs_pixspec *spec, uint8_t *out, char *why, size_t whysz);

/* Decode only the part of each image that the crop reads (the default,
 * whole = false), or every image whole: the reference that tests and the
 * fuzzer hold the parts to, byte for byte and failure for failure. */
void imlfs_pixels_set_whole(struct imlfs_pixels *px, bool whole);

/* The part of the source image that the last successful
 * imlfs_pixels_crop decoded: columns [x0, x1), rows [y0, y1) (the whole
 * image when it decoded all of it; zeros after a failure). */
struct imlfs_pixels_part {
	uint32_t x0, y0, x1, y1;
};
struct imlfs_pixels_part imlfs_pixels_last_part(const struct imlfs_pixels *px);

/* torchvision's geometry for an image w x h: the resized size
 * *rw x *rh and the crop's top-left corner (*left, *top). */
void imlfs_pixels_geometry(uint32_t w, uint32_t h, const struct imlfs_pixspec *spec,
			   uint32_t *rw, uint32_t *rh, uint32_t *left, uint32_t *top);

/* The .npy (format 1.0) header of a uint8 array of shape (C, C, 3) when
 * n < 0, else (n, C, C, 3), as numpy 1.24's np.save writes it: the dict,
 * numpy's spare spaces after it, padded with spaces and a newline so that
 * the data starts at a multiple of 64 bytes.  Writes it to
 * buf[IMLFS_PIXELS_NPY_HEADER_MAX] and returns its length (128 for
 * every crop up to IMLFS_PIXSPEC_MAX), or 0 when crop is above that. */
#define IMLFS_PIXELS_NPY_HEADER_MAX 128
size_t imlfs_pixels_npy_header(char buf[IMLFS_PIXELS_NPY_HEADER_MAX], unsigned crop, int64_t n);

#endif
