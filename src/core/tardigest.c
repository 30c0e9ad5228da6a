/* SPDX-License-Identifier: MIT */
/* tardigest.c — the remembered tarball digest (see tardigest.h): one
 * text file in the cache folder, written and read by the cache's rules. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/tardigest.h"
#include "imlfs/util.h"

#define TARDIGEST_MAGIC "imlfs tarball md5 1"

char *imlfs_tardigest_file(const char *cache_file)
{
	size_t n;

	if (!cache_file || !cache_file[0])
		return NULL;
	n = strlen(cache_file);
	if (n > 4 && !strcmp(cache_file + n - 4, ".idx"))
		n -= 4;
	return imlfs_strf("%.*s.md5", (int)n, cache_file);
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* The file's whole text for one digest: a format line, the identity, and
 * the path last (it may hold any byte but NUL). */
static char *tardigest_text(const char *path, const struct stat *st, const char *hex)
{
	return imlfs_strf(TARDIGEST_MAGIC "\n%s %" PRIu64 " %" PRId64 " %" PRIu64 " %" PRIu64 "\n%s\n",
			  hex, (uint64_t)st->st_size, mtime_ns(st), (uint64_t)st->st_ino,
			  (uint64_t)st->st_dev, path);
}

int imlfs_tardigest_load(const struct imlfs_cache_dir *d, const char *name, const char *path,
			 const struct stat *st, uint8_t md5[IMLFS_MD5_LEN])
{
	char *text = NULL, *want;
	size_t len = 0, hl = strlen(TARDIGEST_MAGIC) + 1;
	int ok = 0;

	if (!d || d->fd < 0 || !name || imlfs_cache_read(d, name, &text, &len, NULL, 0) < 0)
		return 0;
	/* Same identity and path: the text must be exactly what save would
	 * write for them, with this digest in it. */
	if (len > hl + 33 && imlfs_md5_parse(text + hl, 32, md5) == 0) {
		char hex[33];

		memcpy(hex, text + hl, 32);
		hex[32] = '\0';
		want = tardigest_text(path, st, hex);
		ok = want && strlen(want) == len && !memcmp(want, text, len);
		free(want);
	}
	free(text);
	return ok;
}

int imlfs_tardigest_save(const struct imlfs_cache_dir *d, const char *name, const char *path,
			 const struct stat *st, const uint8_t md5[IMLFS_MD5_LEN])
{
	char hex[33], *text;
	int rc;

	if (!d || d->fd < 0 || !name)
		return -EBADF;
	imlfs_md5_hex(md5, hex);
	text = tardigest_text(path, st, hex);
	if (!text)
		return -ENOMEM;
	rc = imlfs_cache_write(d, name, text, strlen(text));
	free(text);
	return rc;
}
