/* SPDX-License-Identifier: MIT */
/* model.c — lookups over the model and its lifetime.
 *
 * The lookup tables are open-addressing hash tables of (index + 1), 0 meaning
 * empty, sized to a power of two at least twice the entries.  They are
 * rebuilt at every start (a few milliseconds for 50,000 names) rather than
 * cached, so the cache holds only the model's own data.
 */
#include <stdlib.h>
#include <string.h>

#include "imlfs/labelset.h"
#include "imlfs/model.h"
#include "imlfs/util.h"

const char *imlfs_split_name(const struct imlfs_model *m, enum imlfs_split s)
{
	const struct imlfs_labelset *ls;

	switch (s) {
	case IMLFS_SPLIT_ALL: return "all";
	case IMLFS_SPLIT_VALIDATION: return "validation";
	case IMLFS_SPLIT_IMAGENET_M: return "imagenet_m";
	default:
		ls = imlfs_split_set(m, s);
		return ls ? ls->name : "";
	}
}

bool imlfs_split_present(const struct imlfs_model *m, enum imlfs_split s)
{
	switch (s) {
	case IMLFS_SPLIT_VALIDATION: return m->have & IMLFS_HAVE_ANNOTATIONS;
	case IMLFS_SPLIT_IMAGENET_M: return m->have & IMLFS_HAVE_IMAGENET_M;
	case IMLFS_SPLIT_ALL: return true;
	default: return imlfs_split_set(m, s) != NULL;
	}
}

size_t imlfs_stem_len(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && dot != name ? (size_t)(dot - name) : strlen(name);
}

bool imlfs_is_sidecar_name(const char *name, size_t len)
{
	return len > 5 && memcmp(name + len - 5, ".json", 5) == 0;
}

static uint32_t table_mask(uint32_t n)
{
	uint32_t size = 16;

	while (size < 2 * (uint64_t)n + 1)
		size *= 2;
	return size - 1;
}

/* Insert index i under key s[0..len); a duplicate key keeps the first. */
static void tab_put(uint32_t *tab, uint32_t mask, const char *s, size_t len, uint32_t i)
{
	uint32_t h = (uint32_t)imlfs_hash(s, len, IMLFS_HASH_SEED) & mask;

	while (tab[h])
		h = (h + 1) & mask;
	tab[h] = i + 1;
}

int imlfs_model_finish(struct imlfs_model *m)
{
	free(m->name_tab);
	free(m->stem_tab);
	free(m->wnid_tab);
	m->name_mask = table_mask(m->nmembers);
	m->wnid_mask = table_mask(m->nclasses);
	m->name_tab = calloc((size_t)m->name_mask + 1, sizeof *m->name_tab);
	m->stem_tab = calloc((size_t)m->name_mask + 1, sizeof *m->stem_tab);
	m->wnid_tab = calloc((size_t)m->wnid_mask + 1, sizeof *m->wnid_tab);
	if (!m->name_tab || !m->stem_tab || !m->wnid_tab)
		return -1;
	for (uint32_t i = 0; i < m->nmembers; i++) {
		const char *n = imlfs_member_name(m, i);
		size_t len = strlen(n);

		tab_put(m->name_tab, m->name_mask, n, len, i);
		tab_put(m->stem_tab, m->name_mask, n, imlfs_stem_len(n), i);
	}
	for (uint32_t c = 0; c < m->nclasses; c++) {
		const char *w = imlfs_class_wnid(m, c);

		tab_put(m->wnid_tab, m->wnid_mask, w, strlen(w), c);
	}
	return 0;
}

void imlfs_model_free(struct imlfs_model *m)
{
	free(m->members);
	free(m->names);
	free(m->classes);
	free(m->ctext);
	free(m->ml);
	for (uint32_t k = 0; k < m->nsets; k++)
		imlfs_labelset_free(&m->sets[k]);
	free(m->name_tab);
	free(m->stem_tab);
	free(m->wnid_tab);
	memset(m, 0, sizeof *m);
}

/* The key of entry i in each table, to compare with a probe. */
enum key_kind { KEY_NAME, KEY_STEM, KEY_WNID };

static bool key_is(const struct imlfs_model *m, enum key_kind k, uint32_t i,
		   const char *s, size_t len)
{
	const char *key = k == KEY_WNID ? imlfs_class_wnid(m, i) : imlfs_member_name(m, i);
	size_t klen = k == KEY_STEM ? imlfs_stem_len(key) : strnlen(key, len + 1);

	return klen == len && memcmp(key, s, len) == 0;
}

static int64_t tab_find(const struct imlfs_model *m, const uint32_t *tab, uint32_t mask,
			enum key_kind k, const char *s, size_t len)
{
	if (!tab)
		return -1;
	for (uint32_t h = (uint32_t)imlfs_hash(s, len, IMLFS_HASH_SEED) & mask; tab[h];
	     h = (h + 1) & mask)
		if (key_is(m, k, tab[h] - 1, s, len))
			return tab[h] - 1;
	return -1;
}

int64_t imlfs_find_member(const struct imlfs_model *m, const char *s, size_t len)
{
	return tab_find(m, m->name_tab, m->name_mask, KEY_NAME, s, len);
}

int64_t imlfs_find_stem(const struct imlfs_model *m, const char *s, size_t len)
{
	return tab_find(m, m->stem_tab, m->name_mask, KEY_STEM, s, len);
}

int32_t imlfs_find_wnid(const struct imlfs_model *m, const char *s, size_t len)
{
	return (int32_t)tab_find(m, m->wnid_tab, m->wnid_mask, KEY_WNID, s, len);
}

int32_t imlfs_model_add_class(struct imlfs_model *m, const char *wnid, size_t wlen,
			      const char *name, size_t nlen)
{
	size_t need = (size_t)m->ctext_len + wlen + nlen + 2;
	struct imlfs_class *cl;
	char *t;

	if (m->nclasses >= IMLFS_MAX_CLASSES || need > UINT32_MAX)
		return -1;
	cl = realloc(m->classes, ((size_t)m->nclasses + 1) * sizeof *cl);
	if (!cl)
		return -1;
	m->classes = cl;
	t = realloc(m->ctext, need);
	if (!t)
		return -1;
	m->ctext = t;
	cl[m->nclasses].wnid = m->ctext_len;
	memcpy(t + m->ctext_len, wnid, wlen);
	t[m->ctext_len + wlen] = '\0';
	cl[m->nclasses].name = m->ctext_len + (uint32_t)wlen + 1;
	memcpy(t + m->ctext_len + wlen + 1, name, nlen);
	t[need - 1] = '\0';
	m->ctext_len = (uint32_t)need;
	return (int32_t)m->nclasses++;
}
