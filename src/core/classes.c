/* SPDX-License-Identifier: MIT */
/* classes.c — reads the class list (class_info.json, "wnid name" lines or
 * one wnid per line; see classes.h) into m->classes. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "imlfs/classes.h"
#include "imlfs/util.h"

int imlfs_is_wnid(const char *s, size_t len)
{
	if (len != 9 || s[0] != 'n')
		return 0;
	for (size_t i = 1; i < 9; i++)
		if ((unsigned)(s[i] - '0') >= 10)
			return 0;
	return 1;
}

/* Add one class, telling "too many" apart from out of memory. */
static int add_class(struct imlfs_model *m, const char *path, size_t line, const char *w,
		     size_t wlen, const char *name, size_t nlen, struct imlfs_error *err)
{
	if (m->nclasses >= IMLFS_MAX_CLASSES)
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %zu: more than %d classes; "
				  "class indices must fit in 16 bits", path, line, IMLFS_MAX_CLASSES);
	if (imlfs_model_add_class(m, w, wlen, name, nlen) < 0)
		return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory reading the classes", path);
	return 0;
}

/* Line of each element of the top-level array of an already valid JSON
 * text, in one pass; used to put line numbers on errors. */
static void element_lines(const char *t, size_t len, uint32_t *lines, size_t n)
{
	size_t depth = 0, idx = 0, line = 1;
	int in_str = 0, start = 1;

	for (size_t i = 0; i < len && idx < n; i++) {
		char c = t[i];

		if (c == '\n')
			line++;
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (depth == 1 && start) {
			lines[idx] = (uint32_t)line;
			start = 0;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '[' || c == '{')
			depth++;
		else if (c == ']' || c == '}')
			depth--;
		else if (c == ',' && depth == 1) {
			idx++;
			start = 1;
		}
	}
}

static int class_from_json(struct imlfs_model *m, const char *path, size_t line, size_t i,
			   json_t *e, struct imlfs_error *err)
{
	json_t *cid = json_object_get(e, "cid"), *wnid = json_object_get(e, "wnid");
	json_t *syn = json_object_get(e, "synset"), *s;
	struct imlfs_buf name = {0};
	size_t k;
	int rc;

	if (!json_is_object(e))
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %zu: entry %zu is not an object; "
				  "expected {\"wnid\": ..., \"synset\": [...]} as in class_info.json",
				  path, line, i);
	if (cid && (!json_is_integer(cid) || json_integer_value(cid) != (json_int_t)i))
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %zu: entry %zu has \"cid\" %s%lld; "
				  "the classes must be listed in cid order 0, 1, 2, ...", path, line, i,
				  json_is_integer(cid) ? "" : "that is not an integer, ",
				  json_is_integer(cid) ? (long long)json_integer_value(cid) : 0LL);
	if (!json_is_string(wnid) ||
	    !imlfs_is_wnid(json_string_value(wnid), json_string_length(wnid)))
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %zu: entry %zu: \"wnid\" %s; "
				  "expected a WordNet id like \"n01440764\"", path, line, i,
				  !wnid ? "is missing" : !json_is_string(wnid) ? "is not a string"
				  : "is not a WordNet id");
	if (!json_is_array(syn))
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %zu: entry %zu (%s): \"synset\" %s; "
				  "expected an array of names", path, line, i, json_string_value(wnid),
				  syn ? "is not an array" : "is missing");
	json_array_foreach(syn, k, s) {
		if (!json_is_string(s)) {
			imlfs_buf_free(&name);
			return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %zu: entry %zu (%s): \"synset\" "
					  "item %zu is not a string", path, line, i,
					  json_string_value(wnid), k);
		}
		if ((k && imlfs_buf_add(&name, ", ", 2)) ||
		    imlfs_buf_add(&name, json_string_value(s), json_string_length(s))) {
			imlfs_buf_free(&name);
			return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", path);
		}
	}
	if (name.len)
		rc = add_class(m, path, line, json_string_value(wnid), 9, name.p, name.len, err);
	else  /* no names: the wnid is the best name there is */
		rc = add_class(m, path, line, json_string_value(wnid), 9, json_string_value(wnid), 9, err);
	imlfs_buf_free(&name);
	return rc;
}

static int load_json(struct imlfs_model *m, const char *path, const char *text, size_t len,
		     uint32_t **lines, struct imlfs_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je), *e;
	size_t i;

	if (!root)
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %d, column %d: %s; the classes file "
				  "is damaged JSON", path, je.line, je.column, je.text);
	if (json_array_size(root) == 0) {  /* root is an array: the text starts with '[' */
		json_decref(root);
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line 1: the array is empty; expected the "
				  "classes as in class_info.json", path);
	}
	*lines = malloc(json_array_size(root) * sizeof **lines);
	if (!*lines) {
		json_decref(root);
		return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", path);
	}
	element_lines(text, len, *lines, json_array_size(root));
	json_array_foreach(root, i, e) {
		if (class_from_json(m, path, (*lines)[i], i, e, err)) {
			json_decref(root);
			return -1;
		}
	}
	json_decref(root);
	return 0;
}

/* "wnid name, name" or "wnid" lines.  Blank lines are allowed only at the
 * end: the class index is the line's position, and a blank line in the
 * middle would silently shift every index after it. */
static int load_lines(struct imlfs_model *m, const char *path, const char *text, size_t len,
		      uint32_t **lines, struct imlfs_error *err)
{
	const char *p = text, *end = text + len, *w, *eol, *we, *n;
	size_t line = 0, blank_line = 0, cap = 0;

	while (imlfs_next_line(&p, end, &w, &eol)) {
		line++;
		if (w == eol) {
			if (!blank_line)
				blank_line = line;
			continue;
		}
		if (blank_line)
			return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %zu: blank line before more "
					  "classes; the class index is the line position, so remove "
					  "the blank line", path, blank_line);
		for (we = w; we < eol && *we != ' ' && *we != '\t'; we++)
			;
		if (!imlfs_is_wnid(w, (size_t)(we - w)))
			return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %zu: \"%.*s\" is not a WordNet "
					  "id; expected lines \"n01440764 tench, Tinca tinca\" or one "
					  "wnid per line", path, line, (int)((we - w) > 40 ? 40 : we - w), w);
		for (n = we; n < eol && imlfs_is_blank(*n); n++)
			;
		if (imlfs_grow(lines, sizeof **lines, m->nclasses, &cap))
			return imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", path);
		(*lines)[m->nclasses] = (uint32_t)line;
		if (n != eol ? add_class(m, path, line, w, 9, n, (size_t)(eol - n), err)
			    : add_class(m, path, line, w, 9, w, 9, err))
			return -1;
	}
	if (m->nclasses == 0)
		return imlfs_fail(err, IMLFS_E_CLASSES, "%s: line 1: the file has no classes; give a "
				  "class list (class_info.json, synset_words.txt or labels.txt)", path);
	return 0;
}

int imlfs_classes_parse(struct imlfs_model *m, const char *path, const char *text, size_t len,
			struct imlfs_error *err)
{
	uint32_t *lines = NULL;
	size_t i = 0;
	int rc;

	if (!text) {
		text = "";
		len = 0;
	}
	while (i < len && (imlfs_is_blank(text[i]) || text[i] == '\n'))
		i++;
	if (i == len)
		rc = imlfs_fail(err, IMLFS_E_CLASSES, "%s: line 1: the file is empty; give a class "
				"list (class_info.json, synset_words.txt or labels.txt)", path);
	else if (text[i] == '{')
		rc = imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %zu: a JSON object; expected an array "
				"of classes as in class_info.json, or wnid lines", path,
				imlfs_line_of(text, len, i));
	else if (text[i] == '[')
		rc = load_json(m, path, text, len, &lines, err);
	else
		rc = load_lines(m, path, text, len, &lines, err);
	if (rc == 0 && imlfs_model_finish(m))
		rc = imlfs_fail(err, IMLFS_E_NOMEM, "%s: out of memory", path);
	/* The lookup table keeps the first of equal wnids: any class that does
	 * not find itself is a duplicate. */
	for (uint32_t c = 0; rc == 0 && c < m->nclasses; c++) {
		const char *w = imlfs_class_wnid(m, c);
		int32_t first = imlfs_find_wnid(m, w, strlen(w));

		if (first != (int32_t)c)
			rc = imlfs_fail(err, IMLFS_E_CLASSES, "%s: line %u: wnid %s is listed twice (first "
					"on line %u); each class must appear once", path, lines[c], w,
					lines[first]);
	}
	if (rc == 0)
		m->have |= IMLFS_HAVE_CLASSES;
	free(lines);
	return rc;
}
