/* SPDX-License-Identifier: MIT */
/* mktar.c — the tarball of imlfs-mksample: JPEGs encoded by NWORKERS
 * threads and appended to a ustar archive strictly in image order.
 *
 * Encoding is most of the generator's time, so it runs in parallel; the
 * writer takes the images one by one through a window of WINDOW slots, so
 * memory stays bounded and the tar is the same however the threads race.
 * Its own file because it alone knows libarchive and pthreads. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "imlfs/util.h"
#include "mksample.h"

#define TAR_MTIME 1336608000        /* 2012-05-10, about when the set came out */
#define NWORKERS 2
#define WINDOW 64                   /* encoded images waiting for the writer */

struct slot {
	unsigned char *jpeg;
	unsigned long len;
	int ready;
};

struct pool {
	const struct plan *plan;
	pthread_mutex_t mu;
	pthread_cond_t ready, space;
	uint32_t next, consumed;
	int stop;
	char err[320];
	struct slot slot[WINDOW];
};

/* Claim the next image unless it would run more than WINDOW ahead. */
static int claim(struct pool *pl, uint32_t *i)
{
	int ok;

	pthread_mutex_lock(&pl->mu);
	while (!pl->stop && pl->next < pl->plan->n && pl->next - pl->consumed >= WINDOW)
		pthread_cond_wait(&pl->space, &pl->mu);
	ok = !pl->stop && pl->next < pl->plan->n;
	if (ok)
		*i = pl->next++;
	pthread_mutex_unlock(&pl->mu);
	return ok;
}

static void *worker(void *arg)
{
	struct pool *pl = arg;
	struct mkjpeg enc;
	struct mkjpeg_spec spec;
	uint32_t i;
	int fail = 0;

	mkjpeg_init(&enc);
	while (!fail && claim(pl, &i)) {
		unsigned char *jpeg;
		unsigned long len;

		image_spec(pl->plan, i, &spec);
		fail = mkjpeg_encode(&enc, &spec, &jpeg, &len) < 0;
		pthread_mutex_lock(&pl->mu);
		if (fail) {
			snprintf(pl->err, sizeof pl->err, "image %" PRIu32 ": %s", i + 1, enc.err);
			pl->stop = 1;
		} else {
			pl->slot[i % WINDOW] = (struct slot){ jpeg, len, 1 };
		}
		pthread_cond_broadcast(&pl->ready);
		pthread_mutex_unlock(&pl->mu);
	}
	mkjpeg_free(&enc);
	return NULL;
}

/* Wait for image i; returns 0 with the slot's contents, or -1 when stopped. */
static int take(struct pool *pl, uint32_t i, struct slot *out)
{
	struct slot *s = &pl->slot[i % WINDOW];
	int rc = 0;

	pthread_mutex_lock(&pl->mu);
	while (!s->ready && !pl->stop)
		pthread_cond_wait(&pl->ready, &pl->mu);
	if (s->ready) {
		*out = *s;
		s->ready = 0;
		pl->consumed++;
		pthread_cond_broadcast(&pl->space);
	} else {
		rc = -1;
	}
	pthread_mutex_unlock(&pl->mu);
	return rc;
}

static int tar_member(struct archive *a, struct archive_entry *e, uint32_t i,
		      const struct slot *s)
{
	char name[64];

	snprintf(name, sizeof name, "ILSVRC2012_val_%08" PRIu32 ".JPEG", i + 1);
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)s->len);
	archive_entry_set_mtime(e, TAR_MTIME + (time_t)(i / 7), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return -1;
	if (archive_write_data(a, s->jpeg, s->len) != (la_ssize_t)s->len)
		return -1;
	return 0;
}

/* The writer side: take images in order and append them to the tar. */
static int tar_members(struct pool *pl, struct archive *a, struct tarstats *ts,
		       const char *tmp, struct imlfs_error *err)
{
	struct archive_entry *e = archive_entry_new();
	struct mkjpeg_spec spec;
	struct slot s;
	int rc = 0;

	if (!e)
		return imlfs_fail(err, IMLFS_E_NOMEM, "out of memory for tar entries");
	for (uint32_t i = 0; i < pl->plan->n && !rc; i++) {
		if (take(pl, i, &s) < 0) {
			rc = imlfs_fail(err, IMLFS_E_INTERNAL, "%s: %s", tmp, pl->err);
			break;
		}
		if (tar_member(a, e, i, &s) < 0)
			rc = imlfs_fail(err, IMLFS_E_INTERNAL, "%s: member %" PRIu32 ": %s; "
					"check free space", tmp, i + 1, archive_error_string(a));
		image_spec(pl->plan, i, &spec);
		ts->jpeg_bytes += s.len;
		ts->gray += spec.colour == MK_GRAY;
		ts->progressive += spec.progressive;
		ts->cmyk += spec.colour == MK_YCCK || spec.colour == MK_CMYK ||
			    spec.colour == MK_CMYK_BARE;
		ts->restart += spec.restart_mcus > 0 || spec.restart_rows > 0;
		ts->subsampled += spec.colour != MK_GRAY && spec.samp != MK_420 &&
				  spec.samp != MK_444;   /* 4:2:2, 4:4:0, 4:1:1, mixed */
		mkjpeg_release(s.jpeg);
	}
	archive_entry_free(e);
	return rc;
}

static void pool_stop(struct pool *pl, pthread_t *th, int nth)
{
	pthread_mutex_lock(&pl->mu);
	pl->stop = 1;
	pthread_cond_broadcast(&pl->space);
	pthread_cond_broadcast(&pl->ready);
	pthread_mutex_unlock(&pl->mu);
	for (int t = 0; t < nth; t++)
		pthread_join(th[t], NULL);
	for (int k = 0; k < WINDOW; k++)
		if (pl->slot[k].ready)
			mkjpeg_release(pl->slot[k].jpeg);
}

static int encode_into(const struct plan *p, struct archive *a, struct tarstats *ts,
		       const char *tmp, struct imlfs_error *err)
{
	struct pool pl;
	pthread_t th[NWORKERS];
	int nth = 0, rc;

	memset(&pl, 0, sizeof pl);
	pl.plan = p;
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.ready, NULL);
	pthread_cond_init(&pl.space, NULL);
	for (; nth < NWORKERS; nth++)
		if (pthread_create(&th[nth], NULL, worker, &pl) != 0)
			break;
	if (!nth)
		rc = imlfs_fail(err, IMLFS_E_INTERNAL, "cannot start an encoder thread");
	else
		rc = tar_members(&pl, a, ts, tmp, err);
	pool_stop(&pl, th, nth);
	pthread_cond_destroy(&pl.space);
	pthread_cond_destroy(&pl.ready);
	pthread_mutex_destroy(&pl.mu);
	return rc;
}

int write_tar(const struct plan *p, struct pending *pd, struct tarstats *ts,
	      struct imlfs_error *err)
{
	int fd = open_part(p, TAR_NAME, pd, err), rc;
	struct archive *a;
	double t0 = imlfs_now();

	if (fd < 0)
		return -1;
	a = archive_write_new();
	if (!a || archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK)
		rc = imlfs_fail(err, IMLFS_E_INTERNAL, "%s: cannot start the tar: %s", pd->tmp,
				a ? archive_error_string(a) : "out of memory");
	else
		rc = encode_into(p, a, ts, pd->tmp, err);
	if (a && archive_write_close(a) != ARCHIVE_OK && !rc)
		rc = imlfs_fail(err, IMLFS_E_INTERNAL, "%s: finishing the tar: %s; check free "
				"space", pd->tmp, archive_error_string(a));
	if (a)
		archive_write_free(a);
	ts->size = lseek(fd, 0, SEEK_CUR);
	if (!rc && fsync(fd) < 0)
		rc = imlfs_fail(err, IMLFS_E_INTERNAL, "%s: %s", pd->tmp, strerror(errno));
	if (close(fd) < 0 && !rc)
		rc = imlfs_fail(err, IMLFS_E_INTERNAL, "%s: %s", pd->tmp, strerror(errno));
	if (rc)
		unlink(pd->tmp);
	ts->seconds = imlfs_now() - t0;
	return rc;
}
