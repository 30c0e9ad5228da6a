/* SPDX-License-Identifier: MIT */
/* pixels-dump — test-only: the crops of JPEG files for a spec, on stdout,
 * for tests/mount/test_pixels_exact.py to compare with PIL + torchvision.
 *   pixels-dump SPEC FILE        the C*C*3 bytes of the crop
 *   pixels-dump --npy SPEC FILE  the same as a .npy array (C, C, 3)
 *   pixels-dump --npy SPEC FILE FILE...   one array (N, C, C, 3)
 * Without --npy several files give their crops one after another.  Exits
 * 1 (with "FILE: why" on stderr) when a file cannot be cropped, 2 on
 * usage errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/pixels.h"
#include "imlfs/util.h"

static int usage(void)
{
	fprintf(stderr, "usage: pixels-dump [--npy] SPEC FILE...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct imlfs_pixspec spec;
	struct imlfs_pixels *px;
	char why[512], hdr[IMLFS_PIXELS_NPY_HEADER_MAX];
	int npy = 0, a = 1, rc = 0;
	uint8_t *out;
	size_t n;

	if (a < argc && !strcmp(argv[a], "--npy")) {
		npy = 1;
		a++;
	}
	if (argc - a < 2)
		return usage();
	if (imlfs_pixspec_parse(argv[a], strlen(argv[a]), &spec, why, sizeof why) < 0) {
		fprintf(stderr, "pixels-dump: %s: %s\n", argv[a], why);
		return 2;
	}
	a++;
	n = (size_t)spec.crop * spec.crop * 3;
	px = imlfs_pixels_new();
	out = malloc(n);
	if (!px || !out) {
		fprintf(stderr, "pixels-dump: out of memory\n");
		return 1;
	}
	if (npy) {
		size_t hl = imlfs_pixels_npy_header(hdr, spec.crop, argc - a == 1 ? -1 : argc - a);

		fwrite(hdr, 1, hl, stdout);
	}
	for (; a < argc && !rc; a++) {
		char *data = NULL;
		size_t len = 0;
		int e = imlfs_read_file(argv[a], &data, &len);

		if (e < 0) {
			fprintf(stderr, "%s: cannot read: %s\n", argv[a], strerror(-e));
			rc = 1;
		} else if ((e = imlfs_pixels_crop(px, (unsigned char *)data, len, &spec, out, why,
						  sizeof why)) < 0) {
			fprintf(stderr, "%s: %s (%s)\n", argv[a], why, strerror(-e));
			rc = 1;
		} else if (fwrite(out, 1, n, stdout) != n) {
			perror("pixels-dump: stdout");
			rc = 1;
		}
		free(data);
	}
	free(out);
	imlfs_pixels_free(px);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
