/* mkclasses.c — the class list of an imlfs-mksample sample: made-up wnids
 * ("n" and 8 digits, ascending like ImageNet's) named "class N", or the
 * real ones read from ImageNetV2's class_info.json with --class-file.
 *
 * The reader checks "cid", "wnid" and "synset" as the core's classes.c
 * does (an empty "synset" names the class by its wnid), rather than calling
 * imlfs_classes_load(): it takes only the first --classes entries of a
 * longer file, and only the class_info.json form. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "imlfs/classes.h"
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

/* The "synset" names (an array of strings) joined with ", ".  No names (an
 * empty array, or only empty strings) name the class by its wnid, as the
 * core's classes.c does.  NULL when out of memory. */
static char *class_name(json_t *syn, const char *wnid)
{
	size_t len = 1, i;
	json_t *v;
	char *out;

	json_array_foreach(syn, i, v)
		len += json_string_length(v) + 2;
	out = malloc(len);
	if (!out)
		return NULL;
	out[0] = '\0';
	json_array_foreach(syn, i, v) {
		if (i)
			strcat(out, ", ");
		strcat(out, json_string_value(v));
	}
	if (!out[0]) {
		free(out);
		return strdup(wnid);
	}
	return out;
}

int cmp_wnid_idx(const void *a, const void *b, void *arg)
{
	const struct cls *cls = arg;

	return strcmp(cls[*(const uint32_t *)a].wnid, cls[*(const uint32_t *)b].wnid);
}

static int check_duplicates(struct plan *p, const char *path, struct imlfs_error *err)
{
	uint32_t *idx = malloc(sizeof *idx * p->nclasses);
	int rc = 0;

	if (!idx)
		return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory checking classes");
	for (uint32_t c = 0; c < p->nclasses; c++)
		idx[c] = c;
	qsort_r(idx, p->nclasses, sizeof *idx, cmp_wnid_idx, p->cls);
	for (uint32_t c = 1; c < p->nclasses && !rc; c++)
		if (!strcmp(p->cls[idx[c - 1]].wnid, p->cls[idx[c]].wnid))
			rc = imlfs_fail(err, IMLFS_E_CLASSES,
					"%s: entries %" PRIu32 " and %" PRIu32 " both have wnid %s; "
					"give a class file with distinct wnids", path,
					idx[c - 1] < idx[c] ? idx[c - 1] : idx[c],
					idx[c - 1] < idx[c] ? idx[c] : idx[c - 1], p->cls[idx[c]].wnid);
	free(idx);
	return rc;
}

static int take_class(struct plan *p, const char *path, json_t *e, uint32_t c,
		      struct imlfs_error *err)
{
	json_t *wnid = json_object_get(e, "wnid"), *cid = json_object_get(e, "cid");
	json_t *syn = json_object_get(e, "synset"), *v;
	size_t i;

	if (!json_is_object(e))
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: entry %" PRIu32 " is not an object; "
				  "expected {\"cid\", \"wnid\", \"synset\"}", path, c);
	if (!json_is_string(wnid) ||
	    !imlfs_is_wnid(json_string_value(wnid), json_string_length(wnid)))
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: entry %" PRIu32 ": \"wnid\" is missing "
				  "or not like n01440764", path, c);
	if (cid && (!json_is_integer(cid) || json_integer_value(cid) != (json_int_t)c))
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: entry %" PRIu32 ": \"cid\" is not %"
				  PRIu32 "; classes must be listed in cid order", path, c, c);
	if (!json_is_array(syn))
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: entry %" PRIu32 " (%s): \"synset\" %s; "
				  "expected an array of names", path, c, json_string_value(wnid),
				  syn ? "is not an array" : "is missing");
	json_array_foreach(syn, i, v)
		if (!json_is_string(v))
			return imlfs_fail(err, IMLFS_E_CLASSES, "%s: entry %" PRIu32 " (%s): \"synset\" "
					  "item %zu is not a string; expected an array of names", path,
					  c, json_string_value(wnid), i);
	p->cls[c].wnid = strdup(json_string_value(wnid));
	p->cls[c].name = class_name(syn, json_string_value(wnid));
	if (!p->cls[c].wnid || !p->cls[c].name)
		return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory reading %s", path);
	return 0;
}

int load_classes(struct plan *p, const char *path, struct imlfs_error *err)
{
	json_error_t je;
	json_t *root;
	size_t avail;
	int rc = 0;

	if (access(path, R_OK) < 0)
		return imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot read the class file: %s",
				  path, strerror(errno));
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s:%d:%d: %s; expected ImageNetV2's "
				  "class_info.json", path, je.line, je.column, je.text);
	avail = json_is_array(root) ? json_array_size(root) : 0;
	if (!avail)
		rc = imlfs_fail(err, IMLFS_E_CLASSES, "%s: expected a non-empty JSON array of "
				"{\"cid\", \"wnid\", \"synset\"} (ImageNetV2's class_info.json)", path);
	else if (p->o.classes_set && p->o.classes > avail)
		rc = imlfs_fail(err, IMLFS_E_USAGE, "%s has only %zu classes; give --classes %zu "
				"or fewer", path, avail, avail);
	else if (!p->o.classes_set && avail > MAX_CLASSES)
		rc = imlfs_fail(err, IMLFS_E_CLASSES, "%s has %zu classes, more than %u; "
				"use --classes to take the first ones", path, avail, MAX_CLASSES);
	if (!rc) {
		p->nclasses = p->o.classes_set ? p->o.classes : (uint32_t)avail;
		p->cls = calloc(p->nclasses, sizeof *p->cls);
		if (!p->cls)
			rc = imlfs_fail(err, IMLFS_E_NOMEM, "out of memory reading %s", path);
	}
	for (uint32_t c = 0; !rc && c < p->nclasses; c++)
		rc = take_class(p, path, json_array_get(root, c), c, err);
	json_decref(root);
	return rc ? rc : check_duplicates(p, path, err);
}
