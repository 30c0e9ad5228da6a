/* fuzzutil.c — see fuzz.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzz.h"
#include "imlfs/score.h"

static const char *const wnids[FZ_NCLASSES] = { "n01005397", "n01020144", "n01020719" };

void fz_model(struct imlfs_model *m, int with_classes)
{
	char name[64];
	size_t off = 0;

	memset(m, 0, sizeof *m);
	m->members = calloc(FZ_NMEMBERS, sizeof *m->members);
	m->names = malloc(FZ_NMEMBERS * 32);
	if (!m->members || !m->names)
		abort();
	for (uint32_t i = 0; i < FZ_NMEMBERS; i++) {
		int n = snprintf(name, sizeof name, "ILSVRC2012_val_%08u.JPEG", i + 1);

		memcpy(m->names + off, name, (size_t)n + 1);
		m->members[i].name = (uint32_t)off;
		m->members[i].label = IMLFS_NO_LABEL;
		m->members[i].size = 1000;
		off += (size_t)n + 1;
	}
	m->names_len = (uint32_t)off;
	m->nmembers = FZ_NMEMBERS;
	for (uint32_t c = 0; with_classes && c < FZ_NCLASSES; c++) {
		char cname[32];
		int n = snprintf(cname, sizeof cname, "class %u", c);

		if (imlfs_model_add_class(m, wnids[c], 9, cname, (size_t)n) < 0)
			abort();
	}
	if (with_classes)
		m->have |= IMLFS_HAVE_CLASSES;
	if (imlfs_model_finish(m))
		abort();
}

int fz_file(const uint8_t *data, size_t size, char path[32])
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			perror("write memfd");
			abort();
		}
		done += (size_t)n;
	}
	snprintf(path, 32, "/proc/self/fd/%d", fd);
	return fd;
}

void fz_scoring_model(struct imlfs_model *m)
{
	static const uint16_t ml[] = { 0, 1, 2, 1, 0, 2 };

	fz_model(m, 1);
	m->ml = malloc(sizeof ml);
	if (!m->ml)
		abort();
	memcpy(m->ml, ml, sizeof ml);
	m->nml = sizeof ml / sizeof ml[0];
	for (uint32_t i = 0; i < FZ_NMEMBERS; i++)
		m->members[i].label = (int32_t)(i % FZ_NCLASSES);
	m->members[3] = (struct imlfs_member){ .name = m->members[3].name, .label = 0,
		.ml = 0, .n_correct = 1, .flags = IMLFS_M_ANNOTATED };
	m->members[4] = (struct imlfs_member){ .name = m->members[4].name, .label = 1,
		.ml = 1, .n_correct = 1, .n_wrong = 2, .flags = IMLFS_M_ANNOTATED | IMLFS_M_IMAGENET_M };
	m->members[5] = (struct imlfs_member){ .name = m->members[5].name, .label = 2,
		.ml = 4, .n_correct = 1, .n_unclear = 1,
		.flags = IMLFS_M_ANNOTATED | IMLFS_M_IMAGENET_M | IMLFS_M_PROBLEMATIC };
	m->members[2].flags = IMLFS_M_PROBLEMATIC;
	m->have |= IMLFS_HAVE_LABELS | IMLFS_HAVE_ANNOTATIONS | IMLFS_HAVE_IMAGENET_M;
}

void fz_check_scores(const struct imlfs_model *m, const char *text, size_t len)
{
	for (enum imlfs_pred_file f = 0; f < IMLFS_NPRED; f++) {
		size_t olen = 0;
		char *s = imlfs_score_text(m, text, len, f, &olen);
		json_error_t je;
		json_t *o;

		if (!s || olen != strlen(s))
			abort();
		o = json_loads(s, 0, &je);
		if (!o)
			abort();   /* the scores are not valid JSON */
		json_decref(o);
		free(s);
	}
}
