/* SPDX-License-Identifier: MIT */
/* cache-sets.c — the label sets' part of the index cache (cache.c has the
 * file's layout): one SETS section of struct cache_set records, then for
 * each set its offsets (SETOFF), labels (SETLAB) and listed bits (SETLIST),
 * the arrays of struct imlfs_labelset as they are.
 *
 * As for the rest of the file, nothing read is trusted: every offset the
 * daemon will follow is checked against the arrays it points into, every
 * count recomputed, and each set's name and role must be those the inputs
 * give now (the key section has the files' identities, not the names they
 * are mounted under: --labelset a=F and b=F share a file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache-internal.h"
#include "imlfs/labelset.h"

enum {
	TAG_SETS = 0x53455453,     /* "SETS" */
	TAG_SETOFF = 0x534f4646,   /* "SOFF" */
	TAG_SETLAB = 0x534c4142,   /* "SLAB" */
	TAG_SETLIST = 0x534c5354,  /* "SLST" */
};

struct cache_set {
	char name[40];             /* NUL-padded */
	uint32_t format, flags, role, nlab, nlisted, nempty;
	uint32_t outcome[IMLFS_LS_NOUTCOMES];
};
_Static_assert(sizeof(struct cache_set) == 88, "set layout changed: bump IMLFS_CACHE_VERSION");
_Static_assert(IMLFS_LABELSET_NAME_MAX < 40, "a set's name must fit its record");

static size_t listed_words(uint32_t nmembers)
{
	return ((size_t)nmembers + 31) / 32;
}

void cache_put_sets(struct cache_writer *w, const struct imlfs_model *m)
{
	size_t at = cache_begin_section(w, TAG_SETS, sizeof(struct cache_set));

	for (uint32_t k = 0; k < m->nsets; k++) {
		const struct imlfs_labelset *ls = &m->sets[k];
		struct cache_set c = { .format = ls->format, .flags = ls->flags, .role = ls->role,
				       .nlab = ls->nlab, .nlisted = ls->nlisted,
				       .nempty = ls->nempty };

		snprintf(c.name, sizeof c.name, "%s", ls->name);
		memcpy(c.outcome, ls->outcome, sizeof c.outcome);
		cache_put(w, &c, sizeof c);
	}
	cache_end_section(w, at);
	for (uint32_t k = 0; k < m->nsets; k++) {
		const struct imlfs_labelset *ls = &m->sets[k];

		cache_put_section(w, TAG_SETOFF, sizeof(uint32_t), ls->off,
				  ((size_t)m->nmembers + 1) * sizeof(uint32_t));
		cache_put_section(w, TAG_SETLAB, sizeof(uint16_t), ls->lab,
				  (size_t)ls->nlab * sizeof(uint16_t));
		cache_put_section(w, TAG_SETLIST, sizeof(uint32_t), ls->listed,
				  listed_words(m->nmembers) * sizeof(uint32_t));
	}
}

/* The record's name, role and flags against the inputs: where set k may
 * stand, and under which name. */
static int check_record(struct cache_reader *r, const struct cache_set *c, uint32_t k,
			const struct imlfs_inputs *in)
{
	struct imlfs_error err = { 0 };
	bool real = c->flags & IMLFS_LS_REAL;

	if (c->flags & ~(uint32_t)IMLFS_LS_REAL || c->format >= IMLFS_LS_NFORMATS ||
	    !memchr(c->name, '\0', sizeof c->name) ||
	    imlfs_labelset_check_name(c->name, strlen(c->name), c->flags, &err))
		return cache_bad(r, "corrupt: label set %u: bad record", k);
	if (real ? (k != 0 || c->role != IMLFS_ROLE_REAL) : !IMLFS_ROLE_IS_SET(c->role))
		return cache_bad(r, "corrupt: label set %u: role %u", k, c->role);
	if (!in->path[c->role])
		return cache_bad(r, "input changed: label set %s given before, not now", c->name);
	if (!real && (!in->setname[c->role - IMLFS_ROLE_SET0] ||
		      strcmp(in->setname[c->role - IMLFS_ROLE_SET0], c->name)))
		return cache_bad(r, "input changed: label set %s is named %s now", c->name,
				 in->setname[c->role - IMLFS_ROLE_SET0]
				 ? in->setname[c->role - IMLFS_ROLE_SET0] : "(none)");
	return 0;
}

/* The arrays against the record and the model: offsets from 0 to nlab
 * that never go back, each list strictly ascending and of known classes,
 * labels only on listed members, and the counts as recounted. */
static int check_arrays(struct cache_reader *r, const struct imlfs_labelset *ls,
			const struct imlfs_model *m)
{
	uint32_t n = m->nmembers, listed = 0, empty = 0;

	if (ls->off[0] || ls->off[n] != ls->nlab)
		return cache_bad(r, "corrupt: label set %s: offsets do not span its %u labels",
				 ls->name, ls->nlab);
	for (uint32_t i = 0; i < n; i++) {
		bool on = imlfs_labelset_listed(ls, i);

		if (ls->off[i + 1] < ls->off[i])
			return cache_bad(r, "corrupt: label set %s: member %u: offsets go backwards",
					 ls->name, i);
		for (uint32_t j = ls->off[i]; j < ls->off[i + 1]; j++)
			if (ls->lab[j] >= m->nclasses || (j > ls->off[i] && ls->lab[j - 1] >= ls->lab[j]))
				return cache_bad(r, "corrupt: label set %s: member %u: labels not "
						 "ascending classes of %u", ls->name, i, m->nclasses);
		if (!on && ls->off[i + 1] > ls->off[i])
			return cache_bad(r, "corrupt: label set %s: member %u: labels but not listed",
					 ls->name, i);
		listed += on;
		empty += on && ls->off[i + 1] == ls->off[i];
	}
	for (uint32_t i = n; i < listed_words(n) * 32; i++)
		if (imlfs_labelset_listed(ls, i))
			return cache_bad(r, "corrupt: label set %s: bits past the members", ls->name);
	if (listed != ls->nlisted || empty != ls->nempty)
		return cache_bad(r, "corrupt: label set %s: counts differ", ls->name);
	return 0;
}

/* Which slots the inputs fill, against the sets read: none may be missing. */
static int check_all_given(struct cache_reader *r, const struct imlfs_model *m,
			   const struct imlfs_inputs *in)
{
	for (int role = IMLFS_ROLE_REAL; role < IMLFS_NROLES; role++) {
		bool found = false;

		for (uint32_t k = 0; k < m->nsets; k++)
			found |= m->sets[k].role == (uint32_t)role;
		if (in->path[role] && !found)
			return cache_bad(r, "input changed: %s given now, not before",
					 role == IMLFS_ROLE_REAL ? "real"
					 : in->setname[role - IMLFS_ROLE_SET0]);
	}
	return 0;
}

int cache_take_sets(struct cache_reader *r, struct imlfs_model *m, uint32_t nsets,
		    const struct imlfs_inputs *in)
{
	uint64_t len;
	const unsigned char *d = cache_section(r, TAG_SETS, sizeof(struct cache_set),
					       "label sets", &len);

	if (!d)
		return -1;
	if (nsets > IMLFS_LABELSETS_MAX || len != (uint64_t)nsets * sizeof(struct cache_set))
		return cache_bad(r, "corrupt: %u label sets in %llu bytes", nsets,
				 (unsigned long long)len);
	for (uint32_t k = 0; k < nsets; k++) {
		struct imlfs_labelset *ls = &m->sets[k];
		struct cache_set c;

		memcpy(&c, d + (size_t)k * sizeof c, sizeof c);
		if (check_record(r, &c, k, in))
			return -1;
		for (uint32_t j = 0; j < k; j++)
			if (m->sets[j].role == c.role)
				return cache_bad(r, "corrupt: label sets %u and %u share a role", j, k);
		*ls = (struct imlfs_labelset){ .format = c.format, .flags = c.flags,
					       .role = c.role, .nmembers = m->nmembers,
					       .nlab = c.nlab, .nlisted = c.nlisted,
					       .nempty = c.nempty };
		memcpy(ls->name, c.name, strlen(c.name) + 1);   /* checked: at most 32 bytes */
		memcpy(ls->outcome, c.outcome, sizeof ls->outcome);
		m->nsets = k + 1;   /* from now on the model frees its arrays */
		if (cache_take(r, TAG_SETOFF, sizeof(uint32_t), "label set offsets",
			       ((uint64_t)m->nmembers + 1) * sizeof(uint32_t), (void **)&ls->off) ||
		    cache_take(r, TAG_SETLAB, sizeof(uint16_t), "label set labels",
			       (uint64_t)c.nlab * sizeof(uint16_t), (void **)&ls->lab) ||
		    cache_take(r, TAG_SETLIST, sizeof(uint32_t), "label set members",
			       listed_words(m->nmembers) * sizeof(uint32_t), (void **)&ls->listed) ||
		    check_arrays(r, ls, m))
			return -1;
	}
	if (!(m->have & IMLFS_HAVE_REAL) != !imlfs_real_set(m))
		return cache_bad(r, "corrupt: the ReaL flag and the sets differ");
	return check_all_given(r, m, in);
}
