/* SPDX-License-Identifier: MIT */
/* replay.c — a main for a fuzz target without libFuzzer: runs
 * LLVMFuzzerTestOneInput once over each file given, and over each file in
 * each directory given.  The normal build uses it to replay the committed
 * corpus and the regressions (inputs that once crashed) as meson tests, so
 * that they keep passing without clang; under the ASan build they are
 * checked for memory errors too.  A crash is the failure. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "imlfs/util.h"

static int run_file(const char *path)
{
	char *data = NULL;
	size_t len = 0;
	int e = imlfs_read_file(path, &data, &len);

	if (e < 0) {
		fprintf(stderr, "%s: cannot read: %s\n", path, strerror(-e));
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a directory in name order, so that a run is repeatable. */
static int run_dir(const char *dir, unsigned *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t cnt = 0, cap = 0;
	int rc = 0;

	if (!d) {
		perror(dir);
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (imlfs_grow(&names, sizeof *names, cnt, &cap) || !(names[cnt] = strdup(e->d_name)))
			abort();
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(names, cnt, sizeof *names, cmp);
	for (size_t i = 0; i < cnt; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (run_file(path) < 0)
			rc = -1;
		else
			(*n)++;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned n = 0;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			rc |= run_dir(argv[i], &n) < 0;
		} else {
			rc |= run_file(argv[i]) < 0;
			n += !rc;
		}
	}
	printf("%s: %u inputs replayed\n", argv[0], n);
	if (!n) {
		fprintf(stderr, "%s: no inputs (give files or directories)\n", argv[0]);
		rc = 1;
	}
	return rc;
}
