/* SPDX-License-Identifier: MIT */
/* mkclasses.c — the class list of an imlfs-mksample sample: made-up wnids
 * ("n" and 8 digits, ascending like ImageNet's) named "class N", or the
 * real ones of --class-file (ImageNetV2's class_info.json), read by the
 * core's loader (imlfs_load_input) exactly as imlfs reads its --classes file, so
 * the sample names its classes as a mount of it will. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imlfs/classes.h"
#include "imlfs/load.h"
#include "mksample.h"

void free_classes(struct plan *p)
{
	for (uint32_t c = 0; p->cls && c < p->nclasses; c++) {
		free(p->cls[c].wnid);
		free(p->cls[c].name);
	}
	free(p->cls);
	p->cls = NULL;
}

/* "n01440764" -> "class 0" style names, wnids ascending like ImageNet's. */
int make_classes(struct plan *p, struct imlfs_error *err)
{
	struct mk_rng r = mk_rng_for(p->o.seed, S_WNID, 0);
	uint32_t stride = 98000000u / p->nclasses, v = 1000000u + mk_below(&r, 5000);
	char buf[32];

	if (stride > 20000)
		stride = 20000;
	p->cls = calloc(p->nclasses, sizeof *p->cls);
	if (!p->cls)
		return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory for %" PRIu32 " classes", p->nclasses);
	for (uint32_t c = 0; c < p->nclasses; c++) {
		v += 1 + mk_below(&r, stride - 1);
		snprintf(buf, sizeof buf, "n%08" PRIu32, v);
		p->cls[c].wnid = strdup(buf);
		snprintf(buf, sizeof buf, "class %" PRIu32, c);
		p->cls[c].name = strdup(buf);
		if (!p->cls[c].wnid || !p->cls[c].name)
			return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory for class names");
	}
	return 0;
}

int cmp_wnid_idx(const void *a, const void *b, void *arg)
{
	const struct cls *cls = arg;

	return strcmp(cls[*(const uint32_t *)a].wnid, cls[*(const uint32_t *)b].wnid);
}

/* The file is read whole, checked as imlfs checks it (every entry, and no
 * wnid twice), then the first --classes of its classes are kept. */
int load_classes(struct plan *p, const char *path, struct imlfs_error *err)
{
	struct imlfs_model m = { 0 };
	int rc = 0;

	/* Our own message first: the core's would point at --classes, which
	 * here is the number of classes, not the file. */
	if (access(path, R_OK) < 0)
		return imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot read the class file: %s",
				  path, strerror(errno));
	if (imlfs_load_input(&m, IMLFS_ROLE_CLASSES, path, err)) {
		imlfs_model_free(&m);
		return -1;
	}
	if (p->o.classes_set && p->o.classes > m.nclasses)
		rc = imlfs_fail(err, IMLFS_E_USAGE, "%s has only %" PRIu32 " classes; give --classes %"
				PRIu32 " or fewer", path, m.nclasses, m.nclasses);
	if (!rc) {
		p->nclasses = p->o.classes_set ? p->o.classes : m.nclasses;
		p->cls = calloc(p->nclasses, sizeof *p->cls);
		if (!p->cls)
			rc = imlfs_fail(err, IMLFS_E_NOMEM, "out of memory reading %s", path);
	}
	for (uint32_t c = 0; !rc && c < p->nclasses; c++) {
		p->cls[c].wnid = strdup(imlfs_class_wnid(&m, c));
		p->cls[c].name = strdup(imlfs_class_name(&m, c));
		if (!p->cls[c].wnid || !p->cls[c].name)
			rc = imlfs_fail(err, IMLFS_E_NOMEM, "out of memory reading %s", path);
	}
	imlfs_model_free(&m);
	return rc;
}
