/* SPDX-License-Identifier: MIT */
/* jpeg.c — owns imlfs_jpeg_probe: image size and colour components from the
 * first bytes of a JPEG, with the TurboJPEG API.
 *
 * The tar index probes every member (50,000 times at start-up), so each
 * thread keeps one decompressor handle instead of creating one per call; a
 * pthread key destroys it when the thread exits.  After a failed probe the
 * handle is replaced: TurboJPEG 2.1 leaves the decoder mid-header after an
 * error, and failures are rare enough that a fresh handle costs nothing.
 */
#include <pthread.h>
#include <turbojpeg.h>

#include "imlfs/jpeg.h"

static pthread_key_t handle_key;
static pthread_once_t handle_once = PTHREAD_ONCE_INIT;
static int handle_key_ok;

static void handle_destroy(void *h)
{
	tjDestroy(h);
}

static void handle_key_init(void)
{
	handle_key_ok = pthread_key_create(&handle_key, handle_destroy) == 0;
}

static tjhandle handle_get(void)
{
	tjhandle h;

	if (pthread_once(&handle_once, handle_key_init) != 0 || !handle_key_ok)
		return NULL;
	h = pthread_getspecific(handle_key);
	if (!h) {
		h = tjInitDecompress();
		if (h && pthread_setspecific(handle_key, h) != 0) {
			tjDestroy(h);
			h = NULL;
		}
	}
	return h;
}

static void handle_drop(tjhandle h)
{
	pthread_setspecific(handle_key, NULL);
	tjDestroy(h);
}

static uint8_t colorspace_components(int cs)
{
	switch (cs) {
	case TJCS_GRAY: return 1;
	case TJCS_CMYK:
	case TJCS_YCCK: return 4;
	default: return 3;
	}
}

int imlfs_jpeg_probe(const unsigned char *buf, size_t len,
		     uint16_t *width, uint16_t *height, uint8_t *components)
{
	/* TurboJPEG 2.1 returns success without setting the outputs when the
	 * data ends before the frame header (a "tables-only" stream). */
	int w = 0, h = 0, subsamp, cs = -1;
	tjhandle tj;

	/* No signature check of our own: libjpeg rejects data without the SOI
	 * marker at its first two bytes ("Not a JPEG file"), at the cost of a
	 * fresh handle, and an image tarball holds few such members. */
	if (!buf)
		return -1;
	tj = handle_get();
	if (!tj)
		return -1;
	/* A failure with the size filled in came after libjpeg read the whole
	 * header: TurboJPEG has no name for the subsampling (Cb and Cr of
	 * different sizes, say), or libjpeg warned (junk bytes before a
	 * marker).  libjpeg and PIL decode such images, so their facts hold.
	 * A libjpeg error leaves the size at 0. */
	if (tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &subsamp, &cs) != 0) {
		handle_drop(tj);
		if (w < 1 || h < 1 || cs < 0)
			return -1;
	} else if (w < 1 || h < 1) {
		handle_drop(tj);
		return -1;
	}
	if (w > UINT16_MAX || h > UINT16_MAX)
		return -1;
	*width = (uint16_t)w;
	*height = (uint16_t)h;
	*components = colorspace_components(cs);
	return 0;
}
