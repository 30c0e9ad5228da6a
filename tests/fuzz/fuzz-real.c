/* SPDX-License-Identifier: MIT */
/* fuzz-real.c — the ReaL labels (the label sets' lists format under
 * IMLFS_LS_REAL, added to the model as the loader does: real.c's target,
 * kept when real.c went) over arbitrary bytes given as real.json, once
 * against the fixed classes and once without any (then
 * every index is out of range).  On success the stored lists must be what
 * the daemon relies on: offsets from 0 to nlab that never go backwards,
 * each run strictly ascending and below nclasses.  On failure, one line
 * with status 13 (or out of memory).  The result is also compared with
 * jansson's reading of the same bytes: a text the parser accepts is JSON
 * of the same lists, and a JSON list of FZ_NMEMBERS lists of in-range
 * integers is accepted (jansson also reads "-0" as 0, which real.json
 * never holds and the parser refuses, and lets a NUL byte pass between
 * tokens, which is not JSON: texts with a '-' or a NUL are left out of
 * that direction, as are texts starting with a UTF-8 byte-order mark,
 * which the parser skips and jansson refuses). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imlfs/labelset.h"

/* jansson's verdict: 1 with the lists (as a bitmask of classes per
 * member) when the text is a list of FZ_NMEMBERS lists of integers in
 * 0..nclasses-1, else 0. */
static int jansson_lists(const uint8_t *data, size_t size, uint32_t nclasses,
			 uint32_t mask[FZ_NMEMBERS])
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL), *v, *c;
	size_t i, k;
	int ok = json_is_array(j) && json_array_size(j) == FZ_NMEMBERS;

	memset(mask, 0, FZ_NMEMBERS * sizeof *mask);
	json_array_foreach(ok ? j : NULL, i, v) {
		if (!json_is_array(v)) {
			ok = 0;
			break;
		}
		json_array_foreach(v, k, c) {
			if (!json_is_integer(c) || json_integer_value(c) < 0 ||
			    json_integer_value(c) >= (json_int_t)nclasses) {
				ok = 0;
				break;
			}
			mask[i] |= 1u << json_integer_value(c);
		}
	}
	json_decref(j);
	return ok;
}

static void load(const uint8_t *data, size_t size, int with_classes)
{
	struct imlfs_model m;
	struct imlfs_error err = { 0 };
	uint32_t mask[FZ_NMEMBERS];
	int bom = size >= 3 && !memcmp(data, "\xef\xbb\xbf", 3);
	int ours, theirs;

	fz_model(&m, with_classes);
	ours = imlfs_model_add_set(&m, "real", IMLFS_LS_REAL, IMLFS_ROLE_REAL, "real.json",
				   (const char *)data, size, &err) == 0;
	theirs = jansson_lists(data, size, m.nclasses, mask);
	if (ours) {
		const struct imlfs_labelset *ls = imlfs_real_set(&m);

		if (!ls || ls->off[0] || ls->off[m.nmembers] != ls->nlab ||
		    ls->nlisted != m.nmembers || !(m.have & IMLFS_HAVE_REAL))
			abort();
		for (uint32_t i = 0; i < m.nmembers; i++) {
			const uint16_t *v;
			uint32_t n = imlfs_real_labels(&m, i, &v), got = 0;

			if (ls->off[i + 1] < ls->off[i])
				abort();
			for (uint32_t k = 0; k < n; k++) {
				if (v[k] >= m.nclasses || (k && v[k - 1] >= v[k]))
					abort();
				got |= 1u << v[k];
			}
			if (!bom && (!theirs || got != mask[i]))
				abort();   /* accepted what is not JSON of these lists */
		}
	} else {
		if ((err.code != IMLFS_E_REAL && err.code != IMLFS_E_NOMEM) || !err.msg[0] ||
		    strchr(err.msg, '\n') || m.nsets || (m.have & IMLFS_HAVE_REAL))
			abort();
		if (theirs && !bom && !memchr(data, '-', size) && !memchr(data, '\0', size))
			abort();   /* refused a valid real.json */
	}
	imlfs_model_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load(data, size, 1);
	load(data, size, 0);
	return 0;
}
