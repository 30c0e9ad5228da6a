/* SPDX-License-Identifier: MIT */
/* published.c — an input's MD5 against the published digests of the table
 * of roles, and the words for the answer (see published.h). */
#include <stdlib.h>
#include <string.h>

#include "imlfs/published.h"

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* IMLFS_TEST_DIGESTS entries, looked up each time: only a few per mount. */
static int test_digest(int role, const char *name, uint8_t md5[IMLFS_MD5_LEN])
{
	const char *s = getenv("IMLFS_TEST_DIGESTS");
	const char *rn = imlfs_role_name(role);
	size_t rl = strlen(rn), nl = strlen(name);

	while (s && *s) {
		const char *end = strchr(s, ','), *c1, *c2;

		if (!end)
			end = s + strlen(s);
		c1 = memchr(s, ':', (size_t)(end - s));
		c2 = c1 ? memrchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		if (c2 && (size_t)(c1 - s) == rl && !memcmp(s, rn, rl) &&
		    (size_t)(c2 - c1 - 1) == nl && !memcmp(c1 + 1, name, nl) &&
		    imlfs_md5_parse(c2 + 1, (size_t)(end - c2 - 1), md5) == 0)
			return 1;
		s = *end ? end + 1 : end;
	}
	return 0;
}

int imlfs_published_md5(int role, const char *path, uint8_t md5[IMLFS_MD5_LEN])
{
	const char *name = base_name(path);

	if (role < 0 || role >= IMLFS_NROLES)
		return 0;
	if (test_digest(role, name, md5))
		return 1;
	for (int i = 0; i < IMLFS_ROLE_MAX_PUBLISHED; i++) {
		const char *pub = imlfs_roles[role].published[i].name;

		if (pub && !strcmp(pub, name))
			return imlfs_md5_parse(imlfs_roles[role].published[i].md5, 32, md5) == 0;
	}
	return 0;
}

enum imlfs_vstatus imlfs_verify_compare(int role, const char *path, const uint8_t md5[IMLFS_MD5_LEN])
{
	uint8_t pub[IMLFS_MD5_LEN];

	if (!imlfs_published_md5(role, path, pub))
		return IMLFS_V_UNKNOWN;
	return memcmp(pub, md5, IMLFS_MD5_LEN) ? IMLFS_V_DIFFERS : IMLFS_V_SAME;
}

void imlfs_verify_words(struct imlfs_buf *b, int role, const char *path,
			enum imlfs_vstatus st, const uint8_t md5[IMLFS_MD5_LEN])
{
	char hex[33], phex[33];
	uint8_t pub[IMLFS_MD5_LEN];

	imlfs_md5_hex(md5, hex);
	switch (st) {
	case IMLFS_V_SAME:
		imlfs_buf_printf(b, "the published file");
		break;
	case IMLFS_V_DIFFERS:
		if (!imlfs_published_md5(role, path, pub))
			memset(pub, 0, sizeof pub);
		imlfs_md5_hex(pub, phex);
		imlfs_buf_printf(b, "differs from the published file (md5 %s, published %s)", hex, phex);
		break;
	default:
		imlfs_buf_printf(b, "no published digest known (md5 %s)", hex);
	}
}
