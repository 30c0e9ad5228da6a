/* SPDX-License-Identifier: MIT */
/* mkoutput.c — where imlfs-mksample writes: OUTDIR (made like mkdir -p),
 * each file under a hidden ".NAME.part" name renamed only once all five are
 * complete, the parts removed on SIGINT/SIGTERM/SIGHUP, and the two small
 * text files (LOC_synset_mapping.txt, validation_labels.txt).
 *
 * Kept together because the file's life cycle (create, fsync, remove on
 * failure or signal, rename last) is one rule that mkjson.c and mktar.c
 * must follow as well. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imlfs/util.h"
#include "mksample.h"

/* Temporary files to remove when interrupted (SIGINT, SIGTERM, SIGHUP). */
static const char *volatile cleanup[5];
static volatile sig_atomic_t ncleanup;

static void on_signal(int sig)
{
	for (sig_atomic_t k = 0; k < ncleanup; k++)
		unlink(cleanup[k]);
	signal(sig, SIG_DFL);
	raise(sig);
}

void catch_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

/* The parts are renamed or removed by the caller from here on. */
void stop_cleanup(void)
{
	ncleanup = 0;
}

/* Create OUTDIR/.NAME.part (removed if a signal comes) for OUTDIR/NAME. */
int open_part(const struct plan *p, const char *name, struct pending *pd,
	      struct imlfs_error *err)
{
	int fd;

	snprintf(pd->final, sizeof pd->final, "%s/%s", p->o.outdir, name);
	snprintf(pd->tmp, sizeof pd->tmp, "%s/.%s.part", p->o.outdir, name);
	if (ncleanup < 5) {
		cleanup[ncleanup] = pd->tmp;
		ncleanup = ncleanup + 1;
	}
	fd = open(pd->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return imlfs_fail(err, IMLFS_E_INTERNAL, "%s: cannot create: %s; check that %s "
				  "is a writable directory", pd->tmp, strerror(errno), p->o.outdir);
	return fd;
}

FILE *open_part_file(const struct plan *p, const char *name, struct pending *pd,
		     struct imlfs_error *err)
{
	int fd = open_part(p, name, pd, err);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		imlfs_fail(err, IMLFS_E_NOMEM, "%s: %s", pd->tmp, strerror(errno));
		close(fd);
		unlink(pd->tmp);
	}
	return f;
}

/* Flush, sync and close; on any failure remove the temporary file. */
int close_part_file(FILE *f, const struct pending *pd, struct imlfs_error *err)
{
	int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0;
	int e = errno;

	if (fclose(f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		unlink(pd->tmp);
		return imlfs_fail(err, IMLFS_E_INTERNAL, "%s: write failed: %s; check free space",
				  pd->tmp, strerror(e));
	}
	return 0;
}

int write_mapping(const struct plan *p, struct pending *pd, struct imlfs_error *err)
{
	FILE *f = open_part_file(p, MAPPING_NAME, pd, err);

	if (!f)
		return -1;
	for (uint32_t c = 0; c < p->nclasses; c++)
		fprintf(f, "%s %s\n", p->cls[c].wnid, p->cls[c].name);
	return close_part_file(f, pd, err);
}

int write_labels(const struct plan *p, struct pending *pd, struct imlfs_error *err)
{
	FILE *f = open_part_file(p, LABELS_NAME, pd, err);

	if (!f)
		return -1;
	for (uint32_t i = 0; i < p->n; i++)
		fprintf(f, "%s\n", p->cls[p->label[i]].wnid);
	return close_part_file(f, pd, err);
}

/* real.json as google-research/reassessed-imagenet writes it: one line,
 * "[[], [970, 795], ...]", list i for image i+1; counts what it wrote. */
int write_real(struct plan *p, struct pending *pd, struct imlfs_error *err)
{
	FILE *f = open_part_file(p, REAL_NAME, pd, err);
	uint32_t cls[MAX_REAL];

	if (!f)
		return -1;
	p->nreal_empty = p->nreal_multi = p->nreal_other = 0;
	fputc('[', f);
	for (uint32_t i = 0; i < p->n; i++) {
		int n = make_real(p, i, cls), orig = 0;

		fputs(i ? ", [" : "[", f);
		for (int k = 0; k < n; k++) {
			fprintf(f, k ? ", %u" : "%u", cls[k]);
			orig |= cls[k] == p->label[i];
		}
		fputc(']', f);
		p->nreal_empty += n == 0;
		p->nreal_multi += n > 1;
		p->nreal_other += n > 0 && !orig;
	}
	fputs("]\n", f);
	return close_part_file(f, pd, err);
}

/* OUTDIR and its parents, like mkdir -p; it must end up a directory. */
int make_dirs(const char *dir, struct imlfs_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	size_t len = strlen(dir);
	int e;

	if (len == 0 || len >= sizeof path)
		return imlfs_fail(err, IMLFS_E_USAGE, "OUTDIR '%s' is empty or too long", dir);
	memcpy(path, dir, len + 1);
	e = imlfs_mkdirs(path, 0755);
	if (e < 0)
		return imlfs_fail(err, IMLFS_E_INTERNAL, "%s: cannot create the directory: %s",
				  path, strerror(-e));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return imlfs_fail(err, IMLFS_E_USAGE, "%s: not a directory; give a directory "
				  "as OUTDIR", dir);
	return 0;
}

/* The final names, in the order written: the tar, written last, is renamed
 * last, so its presence means the set is complete. */
int rename_all(struct pending *pd, int n, struct imlfs_error *err)
{
	for (int k = 0; k < n; k++)
		if (rename(pd[k].tmp, pd[k].final) < 0)
			return imlfs_fail(err, IMLFS_E_INTERNAL, "%s: cannot rename to %s: %s",
					  pd[k].tmp, pd[k].final, strerror(errno));
	return 0;
}
