/* SPDX-License-Identifier: MIT */
/* fuzz-tarindex.c — the tar index (tarindex.c) over arbitrary bytes given
 * as the tarball: libarchive's header parsing through our pread/skip
 * callbacks, the member checks (truncation, sparse, end marker, duplicate
 * names), the JPEG header probe, and then the lookup tables over whatever
 * member names came out. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "imlfs/tarindex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imlfs_model m = { 0 };
	struct imlfs_error err = { 0 };
	char path[32];
	int fd = fz_file(data, size, path);

	if (imlfs_tar_index(&m, path, fd, NULL, NULL, &err) == 0) {
		if (imlfs_model_finish(&m))
			abort();
		for (uint32_t i = 0; i < m.nmembers; i++) {
			const char *n = imlfs_member_name(&m, i);

			/* names are unique, so each finds itself */
			if (imlfs_find_member(&m, n, strlen(n)) != (int64_t)i)
				abort();
			imlfs_find_stem(&m, n, imlfs_stem_len(n));
		}
	} else if (!err.code || !err.msg[0]) {
		abort();   /* a failure must say why */
	}
	imlfs_model_free(&m);
	close(fd);
	return 0;
}
