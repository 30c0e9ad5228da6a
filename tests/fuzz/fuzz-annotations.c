/* fuzz-annotations.c — the annotation loader (annotations.c) and the JSON
 * scanner under it (jsonscan.c) over arbitrary bytes given as the
 * annotation file: syntax checking without allocation, the hand-off of
 * member extents to jansson, the schema checks and the conversion into
 * multi-labels, once with the fixed classes and once without any (the
 * classes then come from the file's wnids).  The scanner's own result on
 * the bytes is also compared with jansson's opinion where they must agree. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "imlfs/annotations.h"
#include "imlfs/jsonscan.h"

static int count(void *ctx, const struct imlfs_json_member *mem)
{
	size_t *len = ctx;

	/* every member lies within the text */
	if (mem->value_off > len[0] || mem->value_len > len[0] - mem->value_off ||
	    mem->key_len > len[0])
		abort();
	len[1]++;
	return 0;
}

static void load(const char *path, int with_classes)
{
	struct imlfs_model m;
	struct imlfs_error err = { 0 };

	fz_model(&m, with_classes);
	if (imlfs_annotations_load(&m, path, &err) == 0) {
		/* every stored multi-label names a class */
		for (uint32_t j = 0; j < m.nml; j++)
			if (m.ml[j] >= m.nclasses)
				abort();
	} else if (!err.code || !err.msg[0]) {
		abort();
	}
	imlfs_model_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ctx[2] = { size, 0 }, off = 0;
	const char *what = NULL;
	char path[32];
	int fd;

	if (imlfs_json_scan((const char *)data, size, count, ctx, &off, &what) == -1 &&
	    (!what || off > size))
		abort();
	fd = fz_file(data, size, path);
	load(path, 1);
	load(path, 0);
	close(fd);
	return 0;
}
