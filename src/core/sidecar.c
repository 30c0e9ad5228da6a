/* SPDX-License-Identifier: MIT */
/* sidecar.c — per-image JSON text.  Written by hand rather than with
 * jansson: `ls -l` of a 50,000-image folder renders every sidecar once to
 * learn its size, so this is on a hot path. */
#include <stdio.h>
#include <string.h>

#include "imlfs/sidecar.h"

int imlfs_buf_json_string(struct imlfs_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	imlfs_buf_add(b, "\"", 1);

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		imlfs_buf_add(b, run, (size_t)(s - run));
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			imlfs_buf_add(b, esc, 2);
		} else {
			imlfs_buf_add(b, esc, 6);
		}
		run = s + 1;
	}
	imlfs_buf_add(b, run, (size_t)(s - run));
	imlfs_buf_add(b, "\"", 1);
	return imlfs_buf_check(b) ? -1 : 0;
}

static void add_text(struct imlfs_buf *b, const char *s)
{
	imlfs_buf_add(b, s, strlen(s));
}

static void add_list(struct imlfs_buf *b, const char *key, const uint16_t *v, uint32_t n)
{
	imlfs_buf_printf(b, "  \"%s\": [", key);
	for (uint32_t k = 0; k < n; k++)
		imlfs_buf_printf(b, k ? ", %u" : "%u", v[k]);
	add_text(b, "],\n");
}

static void add_fact(struct imlfs_buf *b, const char *key, unsigned v, const char *end)
{
	if (v)
		imlfs_buf_printf(b, "  \"%s\": %u%s", key, v, end);
	else
		imlfs_buf_printf(b, "  \"%s\": null%s", key, end);
}

int imlfs_sidecar_render(const struct imlfs_model *m, uint32_t i, struct imlfs_buf *b)
{
	const struct imlfs_member *mem = &m->members[i];
	const uint16_t *ml = m->ml ? m->ml + mem->ml : NULL;

	imlfs_buf_reset(b);
	add_text(b, "{\n  \"file_name\": ");
	imlfs_buf_json_string(b, imlfs_member_name(m, i));
	if (mem->label >= 0) {
		imlfs_buf_printf(b, ",\n  \"original_label\": %d,\n  \"original_wnid\": ", mem->label);
		imlfs_buf_json_string(b, imlfs_class_wnid(m, (uint32_t)mem->label));
		add_text(b, ",\n  \"original_name\": ");
		imlfs_buf_json_string(b, imlfs_class_name(m, (uint32_t)mem->label));
		add_text(b, ",\n");
	} else {
		imlfs_buf_printf(b, ",\n  \"original_label\": null,\n  \"original_wnid\": null,\n"
				 "  \"original_name\": null,\n");
	}
	add_list(b, "correct_multi_labels", ml, mem->n_correct);
	add_list(b, "unclear_multi_labels", ml ? ml + mem->n_correct : NULL, mem->n_unclear);
	add_list(b, "wrong_multi_labels", ml ? ml + mem->n_correct + mem->n_unclear : NULL,
		 mem->n_wrong);
	/* ReaL's key is there with or without a ReaL file, as it always was;
	 * each other set's only on its mount */
	if (!imlfs_real_set(m))
		add_text(b, "  \"real_labels\": null,\n");
	for (uint32_t k = 0; k < m->nsets; k++) {
		const struct imlfs_labelset *ls = &m->sets[k];
		const uint16_t *v;
		uint32_t n = imlfs_labelset_labels(ls, i, &v);
		char key[IMLFS_LABELSET_NAME_MAX + sizeof "_labels"];

		snprintf(key, sizeof key, "%s_labels", ls->name);
		if (imlfs_labelset_listed(ls, i))
			add_list(b, key, v, n);
		else
			imlfs_buf_printf(b, "  \"%s\": null,\n", key);
	}
	imlfs_buf_printf(b, "  \"is_problematic\": %s,\n  \"in_imagenet_m\": %s,\n"
			 "  \"annotated\": %s,\n",
			 mem->flags & IMLFS_M_PROBLEMATIC ? "true" : "false",
			 mem->flags & IMLFS_M_IMAGENET_M ? "true" : "false",
			 mem->flags & IMLFS_M_ANNOTATED ? "true" : "false");
	add_fact(b, "width", mem->width, ",\n");
	add_fact(b, "height", mem->height, ",\n");
	add_fact(b, "components", mem->components, "\n}\n");
	return imlfs_buf_check(b) ? -1 : 0;
}
