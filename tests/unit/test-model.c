/* SPDX-License-Identifier: MIT */
/* test-model.c — model.c's rules that the modules filling a model cannot
 * reach with real input (they are tested through those modules otherwise). */
#include <stdint.h>
#include <string.h>

#include "imlfs/model.h"
#include "testutil.h"

/* Pins imlfs_model_add_class's "its index or -1" (model.h), also for a
 * class text past the 32-bit offsets of the class names: checked before any
 * copy, so the name is never read. */
static void test_add_class_bound(void)
{
	struct imlfs_model m;

	memset(&m, 0, sizeof m);
	CHECK_EQ(imlfs_model_add_class(&m, "n01440764", 9, "tench", 5), 0);
	CHECK_EQ(imlfs_model_add_class(&m, "n01443537", 9, "goldfish", (size_t)UINT32_MAX), -1);
	CHECK_EQ(m.nclasses, 1);
	imlfs_model_free(&m);
}

int main(void)
{
	test_add_class_bound();
	return tu_done();
}
