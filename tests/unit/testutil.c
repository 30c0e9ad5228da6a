/* testutil.c — see testutil.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
