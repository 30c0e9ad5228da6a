/* SPDX-License-Identifier: MIT */
/* test-pixspec.c — spec names (pixspec.c): the examples, every canonical
 * name round-tripping through format, each way a name can be wrong
 * refused with a message naming what, and names that are not
 * NUL-terminated. */
#include <string.h>

#include "imlfs/pixspec.h"
#include "testutil.h"

static void ok(const char *name, unsigned s, unsigned c, enum imlfs_filter f)
{
	struct imlfs_pixspec spec = { 0 };
	char why[256] = "", buf[IMLFS_PIXSPEC_NAME_SIZE];

	CHECK_EQ(imlfs_pixspec_parse(name, strlen(name), &spec, why, sizeof why), 0);
	CHECK_STR(why, "");
	CHECK_EQ(spec.resize, s);
	CHECK_EQ(spec.crop, c);
	CHECK_EQ(spec.filter, f);
	CHECK_EQ(imlfs_pixspec_format(&spec, buf, sizeof buf), (int)strlen(name));
	CHECK_STR(buf, name);
}

/* name is refused, with `want` in the reason, and spec left alone */
static void bad(const char *name, const char *want, int line)
{
	struct imlfs_pixspec spec = { 7, 5, IMLFS_FILTER_BICUBIC };
	char why[256] = "";

	if (imlfs_pixspec_parse(name, strlen(name), &spec, why, sizeof why) != -1) {
		fprintf(stderr, "line %d: \"%s\" was accepted\n", line, name);
		tu_failures++;
		return;
	}
	if (!strstr(why, want)) {
		fprintf(stderr, "line %d: \"%s\" refused with \"%s\", expected \"%s\" in it\n",
			line, name, why, want);
		tu_failures++;
	}
	CHECK(spec.resize == 7 && spec.crop == 5 && spec.filter == IMLFS_FILTER_BICUBIC);
}
#define BAD(name, want) bad(name, want, __LINE__)

static void test_examples(void)
{
	ok("resize256-crop224-bilinear", 256, 224, IMLFS_FILTER_BILINEAR);
	ok("resize232-crop224-bilinear", 232, 224, IMLFS_FILTER_BILINEAR);
	ok("resize248-crop224-bicubic", 248, 224, IMLFS_FILTER_BICUBIC);
	ok("resize1-crop1-bicubic", 1, 1, IMLFS_FILTER_BICUBIC);
	ok("resize1024-crop1024-bilinear", 1024, 1024, IMLFS_FILTER_BILINEAR);
	ok("resize1024-crop1-bicubic", 1024, 1, IMLFS_FILTER_BICUBIC);
	ok("resize10-crop10-bilinear", 10, 10, IMLFS_FILTER_BILINEAR);
	/* the longest name fits the documented size */
	CHECK(strlen("resize1024-crop1024-bilinear") < IMLFS_PIXSPEC_NAME_SIZE);
}

static void test_round_trips(void)
{
	static const enum imlfs_filter fs[] = { IMLFS_FILTER_BILINEAR, IMLFS_FILTER_BICUBIC };
	char buf[IMLFS_PIXSPEC_NAME_SIZE], why[256];
	unsigned n = 0;

	for (unsigned s = 1; s <= IMLFS_PIXSPEC_MAX; s++)
		for (unsigned c = 1; c <= s; c += (c < 20 || s - c < 20) ? 1 : 97)
			for (int f = 0; f < 2; f++) {
				struct imlfs_pixspec a = { s, c, fs[f] }, b = { 0 };
				int len = imlfs_pixspec_format(&a, buf, sizeof buf);

				if (len <= 0 ||
				    imlfs_pixspec_parse(buf, (size_t)len, &b, why, sizeof why) ||
				    b.resize != s || b.crop != c || b.filter != fs[f]) {
					fprintf(stderr, "round trip of %u %u %d failed: \"%s\"\n",
						s, c, f, buf);
					tu_failures++;
					return;
				}
				n++;
			}
	CHECK(n > 40000);
}

static void test_refused(void)
{
	BAD("", "does not start with \"resize\"");
	BAD("resize", "S (after \"resize\") is missing");
	BAD("Resize256-crop224-bilinear", "does not start with \"resize\"");
	BAD(" resize256-crop224-bilinear", "does not start with \"resize\"");
	BAD("resize-256-crop224-bilinear", "S (after \"resize\") is missing");
	BAD("resize+256-crop224-bilinear", "S (after \"resize\") is missing");
	BAD("resize0256-crop224-bilinear", "S (after \"resize\") has a leading zero");
	BAD("resize256-crop0224-bilinear", "C (after \"-crop\") has a leading zero");
	BAD("resize00-crop1-bilinear", "leading zero");
	BAD("resize0-crop0-bilinear", "S (after \"resize\") is out of range: it must be from 1 to 1024");
	BAD("resize256-crop0-bilinear", "C (after \"-crop\") is out of range");
	BAD("resize1025-crop224-bilinear", "S (after \"resize\") is out of range");
	BAD("resize99999-crop224-bilinear", "out of range");
	BAD("resize100000-crop224-bilinear", "too many digits");
	BAD("resize4294967552-crop224-bilinear", "too many digits");
	BAD("resize256crop224-bilinear", "\"-crop\" must follow S");
	BAD("resize256-Crop224-bilinear", "\"-crop\" must follow S");
	BAD("resize256-crop224", "\"-\" and the filter must follow C");
	BAD("resize256-crop224_bilinear", "\"-\" and the filter must follow C");
	BAD("resize256-crop224-", "unknown filter");
	BAD("resize256-crop224-Bilinear", "unknown filter");
	BAD("resize256-crop224-BICUBIC", "unknown filter");
	BAD("resize256-crop224-nearest", "unknown filter");
	BAD("resize256-crop224-bilinear ", "unknown filter");
	BAD("resize256-crop224-bilinear.npy", "unknown filter");
	BAD("resize256-crop224-bicubicc", "unknown filter");
	BAD("resize224-crop256-bilinear", "crop C (256) is larger than resize S (224)");
	BAD("resize1-crop2-bicubic", "C <= S");
}

static void test_lengths(void)
{
	struct imlfs_pixspec spec = { 0 };
	const char *name = "resize256-crop224-bilinear.npy";
	char why[256], small[8];

	/* a name inside a longer string: only len bytes count */
	CHECK_EQ(imlfs_pixspec_parse(name, strlen(name) - 4, &spec, why, sizeof why), 0);
	CHECK_EQ(spec.resize, 256);
	CHECK_EQ(imlfs_pixspec_parse(name, strlen(name) - 5, &spec, why, sizeof why), -1);
	CHECK_EQ(imlfs_pixspec_parse("resize2", 7, &spec, why, sizeof why), -1);
	CHECK(strstr(why, "\"-crop\" must follow S") != NULL);
	CHECK_EQ(imlfs_pixspec_parse(NULL, 0, &spec, why, sizeof why), -1);
	/* no room for a reason is allowed */
	CHECK_EQ(imlfs_pixspec_parse("x", 1, &spec, NULL, 0), -1);
	/* format refuses what parse would */
	spec = (struct imlfs_pixspec){ 224, 256, IMLFS_FILTER_BILINEAR };
	CHECK_EQ(imlfs_pixspec_format(&spec, why, sizeof why), -1);
	spec = (struct imlfs_pixspec){ 1025, 1, IMLFS_FILTER_BILINEAR };
	CHECK_EQ(imlfs_pixspec_format(&spec, why, sizeof why), -1);
	spec = (struct imlfs_pixspec){ 5, 0, IMLFS_FILTER_BILINEAR };
	CHECK_EQ(imlfs_pixspec_format(&spec, why, sizeof why), -1);
	spec = (struct imlfs_pixspec){ 5, 5, (enum imlfs_filter)0 };
	CHECK_EQ(imlfs_pixspec_format(&spec, why, sizeof why), -1);
	spec = (struct imlfs_pixspec){ 256, 224, IMLFS_FILTER_BICUBIC };
	CHECK_EQ(imlfs_pixspec_format(&spec, small, sizeof small), -1);
	CHECK_EQ(imlfs_pixspec_format(&spec, why, 25), -1);
	CHECK_EQ(imlfs_pixspec_format(&spec, why, 26), 25);
	CHECK_STR(why, "resize256-crop224-bicubic");
}

int main(void)
{
	test_examples();
	test_round_trips();
	test_refused();
	test_lengths();
	return tu_done();
}
