/* SPDX-License-Identifier: MIT */
/* load.c — inputs to a finished model: the cache when it is valid, else
 * the parsers in dependency order (classes, tar, labels, annotations, ReaL,
 * the other label sets), and
 * then a new cache.  A bad cache is never fatal: it is reported in one line
 * and rebuilt.  Each small input is mapped and hashed here, once, and its
 * parser gets the bytes. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imlfs/annotations.h"
#include "imlfs/cache.h"
#include "imlfs/classes.h"
#include "imlfs/labels.h"
#include "imlfs/labelset.h"
#include "imlfs/load.h"
#include "imlfs/tarindex.h"
#include "imlfs/util.h"

/* Progress on the log while a cold index takes more than a second. */
struct progress {
	FILE *log;
	double start, last;
	bool shown;
};

static void show_progress(void *ctx, uint32_t members, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	double t = imlfs_now(), secs = t - p->start;

	if (!p->log || secs < 1.0 || t - p->last < 0.5)
		return;
	p->last = t;
	p->shown = true;
	fprintf(p->log, "\rimlfs: indexing: %u members, %.0f of %.0f MB (%.0f MB/s)   ",
		members, done / 1e6, total / 1e6, done / 1e6 / secs);
	fflush(p->log);
}

/* The MD5 of an input, taken on another core while its parser reads the
 * same bytes: the 200 MB annotation file costs ~0.4 s of MD5, which then
 * hides behind the parse instead of adding to it. */
struct md5_job {
	const void *data;
	size_t len;
	struct imlfs_md5_progress prog;   /* .stop: the parse failed, the digest is not needed */
	uint8_t md5[IMLFS_MD5_LEN];
};

static void *md5_run(void *arg)
{
	struct md5_job *j = arg;

	imlfs_md5_mem(j->data, j->len, j->md5, &j->prog);
	return NULL;
}

typedef int parse_fn(struct imlfs_model *m, const char *name, const char *text, size_t len,
		     struct imlfs_error *err);

/* ReaL's real.json: the label set "real" in the JSON lists format. */
static int real_parse(struct imlfs_model *m, const char *path, const char *text, size_t len,
		      struct imlfs_error *err)
{
	return imlfs_model_add_set(m, "real", IMLFS_LS_REAL, IMLFS_ROLE_REAL, path, text, len, err);
}

/* Each role's parser, in the order a model is built: each needs what the
 * ones before it made (the labels and the rest need the members, and the
 * classes when there is a file of them; mturk's sets the labels).  The
 * tarball is indexed from its descriptor, not parsed from bytes; the
 * label sets' slots follow, in slot order. */
static const struct step {
	enum imlfs_role role;
	parse_fn *parse;
} steps[] = {
	{ IMLFS_ROLE_CLASSES, imlfs_classes_parse },
	{ IMLFS_ROLE_TARBALL, NULL },
	{ IMLFS_ROLE_LABELS, imlfs_labels_parse },
	{ IMLFS_ROLE_ANNOTATIONS, imlfs_annotations_parse },
	{ IMLFS_ROLE_REAL, real_parse },
};
#define NSTEPS (sizeof steps / sizeof steps[0])
_Static_assert(NSTEPS == IMLFS_ROLE_SET0, "a role without a step");

/* Read, parse and hash one input; setname: the set's name for a label
 * set's slot (NULL otherwise). */
static int load_input(struct imlfs_model *m, enum imlfs_role role, const char *setname,
		      const char *path, struct imlfs_error *err)
{
	const struct imlfs_role_info *r;
	parse_fn *parse = NULL;
	struct md5_job job = { 0 };
	pthread_t hasher;
	bool threaded;
	char flag[64];
	void *map;
	size_t len;
	int rc;

	for (size_t i = 0; i < NSTEPS; i++)
		if (steps[i].role == role)
			parse = steps[i].parse;
	if (!parse && !(IMLFS_ROLE_IS_SET(role) && setname))
		return imlfs_fail(err, IMLFS_E_INTERNAL, "%s: input role %s is not parsed from bytes",
				  path, imlfs_role_name(role));
	r = &imlfs_roles[role];
	snprintf(flag, sizeof flag, "--%s", r->option);
	if (imlfs_map_input(path, r->file, flag, r->beside[0] ? r->beside[0] : "a label set file",
			    &map, &len, err))
		return -1;
	if (map)
		madvise(map, len, MADV_SEQUENTIAL);
	job.data = map ? map : "";
	job.len = len;
	threaded = pthread_create(&hasher, NULL, md5_run, &job) == 0;
	rc = parse ? parse(m, path, job.data, len, err)
		   : imlfs_model_add_set(m, setname, 0, role, path, job.data, len, err);
	if (threaded) {
		atomic_store(&job.prog.stop, rc != 0);
		pthread_join(hasher, NULL);
	} else if (rc == 0) {
		md5_run(&job);
	}
	if (rc == 0) {
		memcpy(m->md5.md5[role], job.md5, IMLFS_MD5_LEN);
		m->md5.have |= 1u << role;
	}
	if (map)
		munmap(map, len);
	return rc;
}

int imlfs_load_input(struct imlfs_model *m, enum imlfs_role role, const char *path,
		     struct imlfs_error *err)
{
	return load_input(m, role, NULL, path, err);
}

int imlfs_load_labelset(struct imlfs_model *m, enum imlfs_role role, const char *name,
			const char *path, struct imlfs_error *err)
{
	return load_input(m, role, name, path, err);
}

/* Every step whose role has a file, each followed by the lookup tables
 * the next one uses (imlfs_model_finish). */
static int build(struct imlfs_model *m, const struct imlfs_inputs *in, int fd,
		 FILE *log, struct imlfs_error *err)
{
	struct progress p = { .log = log, .start = imlfs_now() };

	for (size_t i = 0; i < NSTEPS + IMLFS_LABELSETS_MAX; i++) {
		enum imlfs_role role = i < NSTEPS ? steps[i].role
						  : (enum imlfs_role)(IMLFS_ROLE_SET0 + (i - NSTEPS));
		int r;

		if (!in->path[role])
			continue;
		if (role == IMLFS_ROLE_TARBALL) {
			r = imlfs_tar_index(m, in->tarball, fd, show_progress, &p, err);
			if (p.shown)
				fputc('\n', log);
		} else {
			r = load_input(m, role, i < NSTEPS ? NULL : in->setname[i - NSTEPS],
				       in->path[role], err);
		}
		if (r)
			return -1;
		if (imlfs_model_finish(m))
			return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory");
	}
	return 0;
}

/* Warnings about inputs that do not quite fit together: mounted anyway, and
 * the mount's README repeats them. */
static void warn_stats(const struct imlfs_model *m, const struct imlfs_inputs *in, FILE *log)
{
	const struct imlfs_stats *s = &m->stats;

	if (!log)
		return;
	if (s->annots_not_in_tar || s->problematic_not_in_tar || s->imagenet_m_not_in_tar)
		fprintf(log, "imlfs: warning: %s names images that %s does not hold "
			"(%u annotated, %u problematic, %u ImageNet-M); they are left out\n",
			in->annotations, in->tarball, s->annots_not_in_tar,
			s->problematic_not_in_tar, s->imagenet_m_not_in_tar);
}

/* The outcomes of cleanlab's vote (labelset.h), said once at mount: what
 * the file decided is worth knowing before any score is read (the
 * README repeats them). */
static void say_sets(const struct imlfs_model *m, FILE *log)
{
	for (uint32_t k = 0; log && k < m->nsets; k++) {
		const struct imlfs_labelset *ls = &m->sets[k];
		const uint32_t *o = ls->outcome;

		if (ls->format == IMLFS_LS_MTURK)
			fprintf(log, "imlfs: label set %s: given %u, guessed %u, both %u, neither %u, "
				"no majority %u; %u images not listed keep their label\n", ls->name,
				o[IMLFS_LS_GIVEN], o[IMLFS_LS_GUESSED], o[IMLFS_LS_BOTH],
				o[IMLFS_LS_NEITHER], o[IMLFS_LS_NO_MAJORITY], o[IMLFS_LS_KEPT]);
	}
}

/* Open the cache folder and load from it.  An untrusted folder is said in
 * one line, and then not used at all (neither read, written nor swept):
 * info->cache_file stays empty.  A missing one leaves cd closed but the
 * name set: the folder is made when the cache is written. */
static int load_cache(struct imlfs_model *m, const struct imlfs_inputs *in,
		      const struct imlfs_load_opts *opts, struct imlfs_load_info *info,
		      struct imlfs_cache_dir *cd, char **name)
{
	char *dir, *file, why[1024] = "";
	int r;

	dir = opts->cache_dir ? strdup(opts->cache_dir) : imlfs_cache_default_dir();
	if (!dir)
		return 0;
	file = imlfs_cache_file(dir, in);
	*name = imlfs_cache_name(in);
	r = file && *name ? imlfs_cache_dir_open(cd, dir, false, why, sizeof why) : -1;
	free(dir);
	if (r < 0 && why[0] && opts->log)
		fprintf(opts->log, "imlfs: %s\n", why);
	if (r >= 0)
		snprintf(info->cache_file, sizeof info->cache_file, "%s", file);
	free(file);
	if (r != 0)
		return 0;
	/* A daemon killed while writing the cache leaves its temporary file:
	 * never read (only the final name is), and removed here. */
	imlfs_cache_sweep(cd);
	r = imlfs_cache_load(m, cd, *name, in, why, sizeof why);
	if (r < 0 && opts->log)
		fprintf(opts->log, "imlfs: cache %s: %s; rebuilding it\n", info->cache_file, why);
	if (r == 1 && imlfs_model_finish(m) == 0)
		return 1;
	imlfs_model_free(m);
	return 0;
}

/* Write the cache built now; on failure one warning, and the README names
 * no cache file. */
static void save_cache(const struct imlfs_model *m, const struct imlfs_inputs *in,
		       const struct imlfs_load_opts *opts, struct imlfs_load_info *info,
		       struct imlfs_cache_dir *cd, const char *name)
{
	struct imlfs_error cerr = { 0 };
	char why[1024] = "";
	int r = 0;

	if (cd->fd < 0) {
		char *dir = cd->path ? strdup(cd->path) : NULL;

		imlfs_cache_dir_close(cd);
		r = dir ? imlfs_cache_dir_open(cd, dir, true, why, sizeof why) : -1;
		free(dir);
		if (r && opts->log)
			fprintf(opts->log, "imlfs: %s\n", why[0] ? why : "cache folder: out of memory");
	}
	if (!r && imlfs_cache_save(m, cd, name, in, &cerr)) {
		r = -1;
		if (opts->log)
			fprintf(opts->log, "imlfs: warning: cannot write the cache: %s\n", cerr.msg);
	}
	/* The README must not name a file that is not there. */
	if (r)
		info->cache_file[0] = '\0';
}

int imlfs_load(struct imlfs_model *m, const struct imlfs_inputs *in,
	       const struct imlfs_load_opts *opts, int *tar_fd,
	       struct imlfs_load_info *info, struct imlfs_error *err)
{
	double start = imlfs_now();
	struct imlfs_cache_dir cd = { .fd = -1 };
	char *name = NULL;
	struct stat st;
	int fd;

	memset(m, 0, sizeof *m);
	memset(info, 0, sizeof *info);
	fd = open(in->tarball, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot open the tarball: %s",
				  in->tarball, strerror(errno));
	/* The file as it is indexed: the daemon later checks each read
	 * against this (tarcheck.h), so it is taken before any parsing. */
	if (fstat(fd, &st) < 0) {
		close(fd);
		return imlfs_fail(err, IMLFS_E_MISSING, "%s: cannot stat the tarball: %s",
				  in->tarball, strerror(errno));
	}
	info->tar_size = (uint64_t)st.st_size;
	info->tar_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (!opts->nocache && load_cache(m, in, opts, info, &cd, &name)) {
		info->from_cache = true;
	} else {
		if (build(m, in, fd, opts->log, err)) {
			imlfs_model_free(m);
			imlfs_cache_dir_close(&cd);
			free(name);
			close(fd);
			return -1;
		}
		if (info->cache_file[0])
			save_cache(m, in, opts, info, &cd, name);
	}
	imlfs_cache_dir_close(&cd);
	free(name);
	warn_stats(m, in, opts->log);
	say_sets(m, opts->log);
	/* The parsers' temporary memory (jansson's DOM of the annotations,
	 * a few hundred MB at its peak) is freed by now: give it back so the
	 * daemon's RSS stays small. */
	malloc_trim(0);
	info->seconds = imlfs_now() - start;
	*tar_fd = fd;
	return 0;
}
