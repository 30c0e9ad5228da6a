/* SPDX-License-Identifier: MIT */
/* test-util.c — util.c's helpers where a test of their caller cannot pin
 * them (most are tested through the modules that use them; an allocation
 * that fails is test-readme.c's, which wraps realloc). */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imlfs/util.h"
#include "testutil.h"

/* Pins imlfs_mkdirs on a relative folder (--cache-dir a/b/c): it is made
 * level by level whatever errno held before, as mkdir's success, not errno,
 * says a level was made. */
static void test_mkdirs_relative(void)
{
	char dir[] = "mkdirs-rel/a/b", cwd[4096];
	struct stat st;

	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK_EQ(chdir(tu_tmpdir()), 0);
	errno = ENOENT;
	CHECK_EQ(imlfs_mkdirs(dir, 0755), 0);
	CHECK_STR(dir, "mkdirs-rel/a/b");
	CHECK(stat("mkdirs-rel/a/b", &st) == 0 && S_ISDIR(st.st_mode));
	errno = ENOENT;
	CHECK_EQ(imlfs_mkdirs(dir, 0755), 0);      /* all there already */
	CHECK_EQ(chdir(cwd), 0);
}

/* Pins imlfs_strf's NULL as "out of memory" only: an empty result (an empty
 * folder part, say) is a string, as vasprintf's 0 is a success. */
static void test_strf_empty(void)
{
	char *s = imlfs_strf("%s", "");

	CHECK_STR(s, "");
	free(s);
	s = imlfs_strf("%.*s", 0, "abc");
	CHECK_STR(s, "");
	free(s);
}

int main(void)
{
	test_mkdirs_relative();
	test_strf_empty();
	return tu_done();
}
