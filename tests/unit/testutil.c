/* SPDX-License-Identifier: MIT */
/* testutil.c — see testutil.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imlfs/jsonscan.h"
#include "imlfs/labelset.h"
#include "imlfs/model.h"
#include "testutil.h"

int tu_failures;
static char tmpdir[256];

const char *tu_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *t = getenv("TMPDIR");

		snprintf(tmpdir, sizeof tmpdir, "%s/imlfs-unit-XXXXXX", t ? t : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(99);
		}
	}
	return tmpdir;
}

const char *tu_path(const char *name)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof bufs[0], "%s/%s", tu_tmpdir(), name);
	return b;
}

const char *tu_write(const char *name, const char *text)
{
	const char *p = tu_path(name);
	FILE *f = fopen(p, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(p);
		exit(99);
	}
	return p;
}

int tu_done(void)
{
	if (tmpdir[0] && !tu_failures) {
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	if (tu_failures) {
		fprintf(stderr, "%d check(s) failed\n", tu_failures);
		return 1;
	}
	return 0;
}

void tu_model(struct imlfs_model *m, const char *const *names, unsigned n)
{
	size_t off = 0;

	memset(m, 0, sizeof *m);
	m->members = calloc(n ? n : 1, sizeof *m->members);
	for (unsigned i = 0; i < n; i++)
		off += strlen(names[i]) + 1;
	m->names = malloc(off ? off : 1);
	off = 0;
	for (unsigned i = 0; i < n; i++) {
		strcpy(m->names + off, names[i]);
		m->members[i].name = (uint32_t)off;
		m->members[i].label = IMLFS_NO_LABEL;
		off += strlen(names[i]) + 1;
	}
	m->names_len = (uint32_t)off;
	m->nmembers = n;
	CHECK_EQ(imlfs_model_finish(m), 0);
}

/* Six images, three classes; 1..4 annotated, 2 problematic, 3 in ImageNet-M. */
void tu_tree_model(struct imlfs_model *m)
{
	static const char *names[] = { "ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000002.JPEG",
		"ILSVRC2012_val_00000003.JPEG", "ILSVRC2012_val_00000004.JPEG",
		"ILSVRC2012_val_00000005.JPEG", "ILSVRC2012_val_00000006.JPEG" };
	static const int labels[] = { 0, 1, 0, 2, 0, 1 };
	/* correct / unclear / wrong runs of members 0..3 */
	static const uint16_t ml[] = { 0, 1, /**/ 2, /**/ 1, /**/ 0, /**/ 2, 1 };
	tu_model(m, names, 6);
	for (uint32_t i = 0; i < 6; i++) {
		m->members[i].offset = 512 + 1024 * i;
		m->members[i].size = 100 + i;
		m->members[i].mtime = 1000000 + i;
		m->members[i].label = labels[i];
		m->members[i].width = 500;
		m->members[i].height = 375;
		m->members[i].components = 3;
	}
	imlfs_model_add_class(m, "n00000001", 9, "tench, Tinca tinca", 18);
	imlfs_model_add_class(m, "n00000002", 9, "goldfish", 8);
	imlfs_model_add_class(m, "n00000003", 9, "say \"cheese\"", 12);
	m->ml = malloc(sizeof ml);
	memcpy(m->ml, ml, sizeof ml);
	m->nml = 7;
	/* member 0: correct {0,1}, unclear {2}; member 1: correct {1};
	 * member 2: correct {0}; member 3: correct {2}, wrong {1} */
	m->members[0].ml = 0, m->members[0].n_correct = 2, m->members[0].n_unclear = 1;
	m->members[1].ml = 3, m->members[1].n_correct = 1;
	m->members[2].ml = 4, m->members[2].n_correct = 1;
	m->members[3].ml = 5, m->members[3].n_correct = 1, m->members[3].n_wrong = 1;
	for (int i = 0; i < 4; i++)
		m->members[i].flags |= IMLFS_M_ANNOTATED;
	m->members[1].flags |= IMLFS_M_PROBLEMATIC;
	m->members[5].flags |= IMLFS_M_PROBLEMATIC;   /* problematic, not annotated */
	m->members[2].flags |= IMLFS_M_IMAGENET_M;
	m->have = IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_IMAGENET_M |
		  IMLFS_HAVE_CLASSES;
	CHECK_EQ(imlfs_model_finish(m), 0);
}

void tu_ustar(unsigned char *h, const char *name, unsigned size, int base256)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	if (base256) {
		h[124] = 0x80;
		h[134] = (unsigned char)(size >> 8);
		h[135] = (unsigned char)size;
	} else {
		snprintf((char *)h + 124, 12, "%011o", size);
	}
	snprintf((char *)h + 136, 12, "%011o", 1200000000u);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

void tu_json_invalid(const char *t, size_t want_off, const char *want, int line)
{
	size_t off = (size_t)-1;
	const char *what = NULL;

	if (imlfs_json_scan(t, strlen(t), NULL, NULL, &off, &what) != -1) {
		fprintf(stderr, "line %d: accepted invalid %s\n", line, t);
		tu_failures++;
	} else if (off != want_off || !what || !strstr(what, want)) {
		fprintf(stderr, "line %d: %s: got '%s' at %zu, want '%s' at %zu\n", line, t,
			what ? what : "(null)", off, want, want_off);
		tu_failures++;
	}
}

void tu_add_set(struct imlfs_model *m, const char *name, unsigned flags, const char *text)
{
	struct imlfs_error err = { 0 };
	enum imlfs_role role = flags & IMLFS_LS_REAL ? IMLFS_ROLE_REAL
			       : (enum imlfs_role)(IMLFS_ROLE_SET0 + m->nsets);

	if (imlfs_model_add_set(m, name, flags, role, "set", text, strlen(text), &err)) {
		fprintf(stderr, "tu_add_set %s: %s\n", name, err.msg);
		tu_failures++;
	}
}

void tu_drop_sets(struct imlfs_model *m)
{
	for (uint32_t k = 0; k < m->nsets; k++)
		imlfs_labelset_free(&m->sets[k]);
	m->nsets = 0;
	m->have &= ~(uint32_t)IMLFS_HAVE_REAL;
}
