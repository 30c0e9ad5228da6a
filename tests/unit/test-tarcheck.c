/* SPDX-License-Identifier: MIT */
/* test-tarcheck.c — the tarball changing under the daemon: unchanged,
 * short reads, truncation (members kept, lost, or behind a changed
 * header), a restore, a rewrite, and one log line per change. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imlfs/tarcheck.h"
#include "testutil.h"

#define NMEM 3
#define DATA 1000
#define STRIDE (512 + 1024)   /* header, then the data padded to 512 */

static unsigned char *image(size_t *len)
{
	unsigned char *t = calloc(1, NMEM * STRIDE + 1024);
	char name[32];

	for (int i = 0; i < NMEM; i++) {
		snprintf(name, sizeof name, "m%d.JPEG", i);
		tu_ustar(t + i * STRIDE, name, DATA, i == 2);
		memset(t + i * STRIDE + 512, 'a' + i, DATA);
	}
	*len = NMEM * STRIDE + 1024;
	return t;
}

static void spew(const char *path, const void *d, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, d, len) != (ssize_t)len || close(fd))
		exit(99);
}

/* Lines of the log holding `word`, and the log emptied. */
static int lines_with(FILE *log, const char *word)
{
	char line[2048];
	int n = 0;

	rewind(log);
	while (fgets(line, sizeof line, log))
		n += strstr(line, word) != NULL;
	rewind(log);
	if (ftruncate(fileno(log), 0))
		exit(99);
	return n;
}

int main(void)
{
	const char *path = tu_path("val.tar");
	struct imlfs_member m[NMEM];
	struct imlfs_tarcheck t;
	struct timespec keep[2];
	FILE *log = tmpfile();
	unsigned char *tar;
	struct stat st;
	size_t len;
	int fd;

	tar = image(&len);
	spew(path, tar, len);
	fd = open(path, O_RDWR);
	if (!log || fd < 0 || fstat(fd, &st))
		return 99;
	keep[0] = st.st_atim;
	keep[1] = st.st_mtim;
	memset(m, 0, sizeof m);
	for (int i = 0; i < NMEM; i++) {
		m[i].offset = (uint64_t)i * STRIDE + 512;
		m[i].size = DATA;
		m[i].mtime = 1200000000;
	}
	imlfs_tarcheck_init(&t, path, fd, (uint64_t)st.st_size,
			    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, log);

	/* As indexed: whole reads pass, short or failed ones do not. */
	for (int i = 0; i < NMEM; i++)
		CHECK_EQ(imlfs_tarcheck_read(&t, &m[i], 0, DATA, DATA), 0);
	CHECK_EQ(imlfs_tarcheck_read(&t, &m[0], 100, 50, 50), 0);
	CHECK_EQ(imlfs_tarcheck_read(&t, &m[0], 0, DATA, 10), -EIO);
	CHECK_EQ(imlfs_tarcheck_read(&t, &m[0], 0, DATA, -EIO), -EIO);
	CHECK_EQ(lines_with(log, "read 10 of 1000 bytes at byte 512"), 1);  /* 1 per 10 s */

	/* Truncated inside member 1: member 0 is kept, 1 and 2 are lost. */
	CHECK_EQ(ftruncate(fd, STRIDE + 512 + DATA / 2), 0);
	for (int k = 0; k < 5; k++) {
		CHECK_EQ(imlfs_tarcheck_read(&t, &m[0], 0, DATA, DATA), 0);
		CHECK_EQ(imlfs_tarcheck_read(&t, &m[1], 0, 100, 100), -EIO);
		CHECK_EQ(imlfs_tarcheck_read(&t, &m[2], 0, DATA, 0), -EIO);
	}
	CHECK_EQ(lines_with(log, "truncated to 2548 bytes"), 1);
	/* Member 0's header changed (another file being copied over): lost. */
	CHECK_EQ(pwrite(fd, "other.JPEG", 10, 0), 10);
	CHECK_EQ(imlfs_tarcheck_read(&t, &m[0], 0, DATA, DATA), -EIO);

	/* Put back as it was, mtime too: served again, and said once. */
	CHECK_EQ(pwrite(fd, tar, len, 0), (ssize_t)len);
	CHECK_EQ(futimens(fd, keep), 0);
	CHECK_EQ(imlfs_tarcheck_read(&t, &m[2], 0, DATA, DATA), 0);
	CHECK_EQ(imlfs_tarcheck_read(&t, &m[1], 0, DATA, DATA), 0);
	CHECK_EQ(lines_with(log, "back as it was indexed"), 1);

	/* Truncated again: member 2's base-256 size header reads as intact. */
	CHECK_EQ(ftruncate(fd, (off_t)len - 512), 0);
	CHECK_EQ(imlfs_tarcheck_read(&t, &m[2], 0, DATA, DATA), 0);
	CHECK_EQ(lines_with(log, "truncated"), 1);

	/* Same size, other mtime: rewritten, nothing is served. */
	CHECK_EQ(ftruncate(fd, (off_t)len), 0);
	keep[1].tv_sec += 5;
	CHECK_EQ(futimens(fd, keep), 0);
	for (int i = 0; i < NMEM; i++)
		CHECK_EQ(imlfs_tarcheck_read(&t, &m[i], 0, DATA, DATA), -EIO);
	CHECK_EQ(lines_with(log, "remount"), 1);
	/* Bigger: still rewritten, no new line. */
	CHECK_EQ(ftruncate(fd, (off_t)len + 4096), 0);
	CHECK_EQ(imlfs_tarcheck_read(&t, &m[0], 0, DATA, DATA), -EIO);
	CHECK_EQ(lines_with(log, "imlfs:"), 0);

	close(fd);
	fclose(log);
	free(tar);
	return tu_done();
}
