/* SPDX-License-Identifier: MIT */
/* pixels.c — the files of SPLIT/pixels/ (imlfs(1) PIXELS): each image's
 * evaluation crop as a .npy (SPEC/NAME.npy), the split's crops as one
 * array (SPEC.npy) and its labels (labels.npy).
 *
 * All three are immutable (the default open of kinds.h: keep_cache, long
 * timeouts), so once read their pages stay in the kernel's page cache and
 * a second pass costs the daemon nothing.  A crop is computed from the
 * image's bytes in the tarball (pixels.h) when a READ needs it.  One READ
 * of SPEC.npy (up to 1 MiB) covers a few crops and shares the first and
 * last with its neighbours, and a crop file's first READ may cover only
 * its start: a small cache of recent crops, shared by every thread, makes
 * sure each is decoded once while it is being read.  A crop being decoded
 * is in the cache too, so a second thread that needs it waits for the
 * first instead of decoding it again (the kernel's readahead sends
 * neighbouring READs of one file at once).
 *
 * Memory: the cache holds at most CACHE_BYTES of crops (CACHE_ENTRIES
 * entries) not in use; each thread keeps a decoder (its buffers are given
 * back after a large image) and, while it reads, one image's bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handles.h"
#include "imlfs/jobs.h"
#include "imlfs/pixels.h"
#include "kinds.h"

#define CACHE_BYTES (16u << 20)   /* about 100 crops of 224: 14 READs of 1 MiB */
#define CACHE_ENTRIES 512         /* small crops: bounds the list's length */
/* Images above this many pixels leave large decoder buffers: give them
 * back (an ImageNet image is below 0.5 Mpx; a few are 10 to 20 Mpx). */
#define TRIM_PIXELS (4u << 20)

enum crop_state { CROP_PENDING, CROP_READY, CROP_FAILED };

struct crop {
	struct crop *prev, *next;   /* most recently used first */
	uint64_t key;               /* spec and member: crop_key */
	uint8_t *px;                /* crop * crop * 3 bytes */
	size_t len;
	enum crop_state state;
	int err;                    /* FAILED: -errno */
	unsigned refs;              /* readers copying from px, or waiting */
};

struct imlfs_pixcache {
	pthread_mutex_t lock;
	pthread_cond_t done;        /* a PENDING crop became READY or FAILED */
	struct crop *head, *tail;
	size_t bytes, n;
};

struct imlfs_pixcache *imlfs_pixcache_new(void)
{
	struct imlfs_pixcache *pc = calloc(1, sizeof *pc);

	if (!pc)
		return NULL;
	if (pthread_mutex_init(&pc->lock, NULL)) {
		free(pc);
		return NULL;
	}
	if (pthread_cond_init(&pc->done, NULL)) {
		pthread_mutex_destroy(&pc->lock);
		free(pc);
		return NULL;
	}
	return pc;
}

static void crop_free(struct crop *e)
{
	free(e->px);
	free(e);
}

void imlfs_pixcache_free(struct imlfs_pixcache *pc)
{
	if (!pc)
		return;
	for (struct crop *e = pc->head, *next; e; e = next) {
		next = e->next;
		crop_free(e);
	}
	pthread_cond_destroy(&pc->done);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}

/* lock held */
static void unlink_crop(struct imlfs_pixcache *pc, struct crop *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		pc->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		pc->tail = e->prev;
	e->prev = e->next = NULL;
	pc->bytes -= e->len;
	pc->n--;
}

/* lock held */
static void push_front(struct imlfs_pixcache *pc, struct crop *e)
{
	e->prev = NULL;
	e->next = pc->head;
	if (pc->head)
		pc->head->prev = e;
	else
		pc->tail = e;
	pc->head = e;
	pc->bytes += e->len;
	pc->n++;
}

/* lock held: drop the least recently used crops nobody is using until
 * the cache is within its bounds (crops in use may keep it above them
 * for as long as they are: at most one per thread). */
static void evict(struct imlfs_pixcache *pc)
{
	struct crop *e = pc->tail;

	while (e && (pc->bytes > CACHE_BYTES || pc->n > CACHE_ENTRIES)) {
		struct crop *prev = e->prev;

		if (e->refs == 0) {
			unlink_crop(pc, e);
			crop_free(e);
		}
		e = prev;
	}
}

/* One key per (spec, member): the spec's 21 bits (catalog.h) above the
 * member's 32. */
static uint64_t crop_key(const struct imlfs_pixspec *p, uint32_t member)
{
	uint64_t code = (uint64_t)(p->resize - 1) << 11 | (uint64_t)(p->crop - 1) << 1 |
			(p->filter == IMLFS_FILTER_BICUBIC);

	return code << 32 | member;
}

/* Each thread's decoder (pixels.h: one per thread). */
static pthread_key_t px_key;
static pthread_once_t px_once = PTHREAD_ONCE_INIT;
static bool px_key_ok;

static void px_free(void *px)
{
	imlfs_pixels_free(px);
}

static void px_key_make(void)
{
	px_key_ok = pthread_key_create(&px_key, px_free) == 0;
}

static struct imlfs_pixels *thread_px(void)
{
	struct imlfs_pixels *px;

	if (pthread_once(&px_once, px_key_make) || !px_key_ok)
		return NULL;
	px = pthread_getspecific(px_key);
	if (px)
		return px;
	px = imlfs_pixels_new();
	if (px && pthread_setspecific(px_key, px)) {
		imlfs_pixels_free(px);
		return NULL;
	}
	return px;
}

/* Member i's crop into out: 0 or -errno (-EIO for an image that is not a
 * JPEG this decodes, or whose bytes in the tarball changed). */
static int decode(struct imlfs_fs *fs, uint32_t i, const struct imlfs_pixspec *spec,
		  uint8_t *out)
{
	const struct imlfs_member *mem = &fs->model->members[i];
	struct imlfs_pixels *px = thread_px();
	unsigned char *jpeg;
	char why[256];
	int err;

	if (!px)
		return -ENOMEM;
	jpeg = malloc(mem->size ? mem->size : 1);
	if (!jpeg)
		return -ENOMEM;
	/* As image.c's reads: bytes gone or changed are an error, never a
	 * crop of other bytes. */
	if (imlfs_image_pread(fs, mem, 0, jpeg, mem->size)) {
		free(jpeg);
		return -EIO;
	}
	atomic_fetch_add_explicit(&fs->pix_decodes, 1, memory_order_relaxed);
	err = imlfs_pixels_crop(px, jpeg, mem->size, spec, out, why, sizeof why);
	free(jpeg);
	if ((uint64_t)mem->width * mem->height > TRIM_PIXELS)
		imlfs_pixels_trim(px);
	if (err) {
		atomic_fetch_add_explicit(&fs->pix_failures, 1, memory_order_relaxed);
		fprintf(stderr, "imlfs: pixels of %s: %s\n", imlfs_member_name(fs->model, i), why);
		return err == -ENOMEM ? -ENOMEM : -EIO;
	}
	return 0;
}

/* Member i's crop for spec, from the cache or decoded into it: 0 with *out
 * a crop in use (give it back with put_crop), or -errno. */
static int get_crop(struct imlfs_fs *fs, uint32_t i, const struct imlfs_pixspec *spec,
		    struct crop **out)
{
	struct imlfs_pixcache *pc = fs->pixcache;
	uint64_t key = crop_key(spec, i);
	struct crop *e;
	int err;

	pthread_mutex_lock(&pc->lock);
	for (e = pc->head; e && e->key != key; e = e->next)
		;
	if (e) {
		e->refs++;
		while (e->state == CROP_PENDING)
			pthread_cond_wait(&pc->done, &pc->lock);
		if (e->state == CROP_READY) {
			atomic_fetch_add_explicit(&fs->pix_hits, 1, memory_order_relaxed);
			/* (a FAILED crop is off the list already) */
			unlink_crop(pc, e);
			push_front(pc, e);
			pthread_mutex_unlock(&pc->lock);
			*out = e;
			return 0;
		}
		err = e->err;
		if (--e->refs == 0)
			crop_free(e);
		pthread_mutex_unlock(&pc->lock);
		return err;
	}
	e = calloc(1, sizeof *e);
	if (e) {
		e->len = 3 * (size_t)spec->crop * spec->crop;
		e->px = malloc(e->len);
	}
	if (!e || !e->px) {
		pthread_mutex_unlock(&pc->lock);
		free(e);
		return -ENOMEM;
	}
	e->key = key;
	e->state = CROP_PENDING;
	e->refs = 1;
	push_front(pc, e);
	evict(pc);
	pthread_mutex_unlock(&pc->lock);

	err = decode(fs, i, spec, e->px);

	pthread_mutex_lock(&pc->lock);
	if (err) {
		/* Not kept: the next read tries again (the tarball may be back). */
		e->state = CROP_FAILED;
		e->err = err;
		unlink_crop(pc, e);
		if (--e->refs == 0)
			crop_free(e);
	} else {
		e->state = CROP_READY;
		*out = e;
	}
	pthread_cond_broadcast(&pc->done);
	pthread_mutex_unlock(&pc->lock);
	return err;
}

static void put_crop(struct imlfs_fs *fs, struct crop *e)
{
	struct imlfs_pixcache *pc = fs->pixcache;

	pthread_mutex_lock(&pc->lock);
	e->refs--;
	evict(pc);
	pthread_mutex_unlock(&pc->lock);
}

/* Copy the part of member i's crop that falls in [from, from + n) of the
 * crop's bytes to dst.  0 or -errno. */
static int copy_crop(struct imlfs_fs *fs, uint32_t i, const struct imlfs_pixspec *spec,
		     uint64_t from, size_t n, char *dst)
{
	struct crop *e;
	int err = get_crop(fs, i, spec, &e);

	if (err)
		return err;
	memcpy(dst, e->px + from, n);
	put_crop(fs, e);
	return 0;
}

/* A read of a file of `total` bytes: clip [off, off + size) to it and
 * allocate the reply.  0 (with *len 0 and *buf NULL past the end), or
 * -ENOMEM. */
static int clip(uint64_t total, size_t *size, off_t off, char **buf)
{
	*buf = NULL;
	if ((uint64_t)off >= total) {
		*size = 0;
		return 0;
	}
	if (*size > total - (uint64_t)off)
		*size = (size_t)(total - (uint64_t)off);
	*buf = malloc(*size);
	return *buf ? 0 : -ENOMEM;
}

/* Copy the header's part of [off, off + size) to buf; returns the bytes. */
static size_t copy_header(const char *hdr, size_t hlen, char *buf, size_t size, off_t off)
{
	size_t n;

	if ((uint64_t)off >= hlen)
		return 0;
	n = hlen - (size_t)off < size ? hlen - (size_t)off : size;
	memcpy(buf, hdr + off, n);
	return n;
}

static void reply(fuse_req_t req, int err, char *buf, size_t size)
{
	if (err)
		fuse_reply_err(req, -err == EINVAL ? EIO : -err);
	else
		fuse_reply_buf(req, buf, size);
	free(buf);
}

/* SPEC/NAME.npy: the header, then one crop. */
static void read_crop(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		      size_t size, off_t off, struct fuse_file_info *fi)
{
	char hdr[IMLFS_PIXELS_NPY_HEADER_MAX], *buf;
	size_t hlen = imlfs_pixels_npy_header(hdr, node->spec.crop, -1), done;
	uint64_t row = 3 * (uint64_t)node->spec.crop * node->spec.crop;
	int err = clip(hlen + row, &size, off, &buf);

	if (err || !size) {
		reply(req, err, buf, size);
		return;
	}
	done = copy_header(hdr, hlen, buf, size, off);
	if (done < size)
		err = copy_crop(fs, (uint32_t)node->index, &node->spec,
				(uint64_t)off + done - hlen, size - done, buf + done);
	reply(req, err, buf, size);
}

/* SPEC.npy: the header, then the split's crops in the order of images/. */
static void read_array(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		       size_t size, off_t off, struct fuse_file_info *fi)
{
	const uint32_t *members;
	uint32_t n = imlfs_catalog_split_members(fs->cat, node->split, &members);
	char hdr[IMLFS_PIXELS_NPY_HEADER_MAX], *buf;
	size_t hlen = imlfs_pixels_npy_header(hdr, node->spec.crop, n), done;
	uint64_t row = 3 * (uint64_t)node->spec.crop * node->spec.crop;
	int err = clip(hlen + row * n, &size, off, &buf);

	if (err || !size) {
		reply(req, err, buf, size);
		return;
	}
	done = copy_header(hdr, hlen, buf, size, off);
	while (done < size && !err) {
		uint64_t at = (uint64_t)off + done - hlen, r = at / row, in = at % row;
		size_t k = row - in < size - done ? (size_t)(row - in) : size - done;

		err = copy_crop(fs, members[r], &node->spec, in, k, buf + done);
		done += k;
	}
	reply(req, err, buf, size);
}

/* labels.npy: the header, then each image's original label as int16 (-1:
 * none), in the order of images/. */
static void read_labels(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			size_t size, off_t off, struct fuse_file_info *fi)
{
	const uint32_t *members;
	uint32_t n = imlfs_catalog_split_members(fs->cat, node->split, &members);
	size_t hlen, len;
	char *text;

	len = IMLFS_PIXELS_NPY_HEADER_MAX + 2 * (size_t)n;
	text = malloc(len);
	if (!text) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	hlen = imlfs_catalog_labels_header(text, n);
	for (uint32_t k = 0; k < n; k++) {
		int32_t label = fs->model->members[members[k]].label;
		/* int16 as the format says (ImageNet has 1000 classes);
		 * a class index past int16 (classes files may have up to 65535,
		 * model.h) cannot be written and reads as no label */
		uint16_t v = (uint16_t)(label < 0 || label > INT16_MAX ? -1 : label);

		text[hlen + 2 * k] = (char)(v & 0xff);   /* little-endian, '<i2' */
		text[hlen + 2 * k + 1] = (char)(v >> 8);
	}
	imlfs_reply_slice(req, text, hlen + 2 * (size_t)n, size, off);
	free(text);
}

/* Decoding is the slow part (milliseconds an image, more for large ones),
 * so reads of crops never run in a request thread: each is a job on the
 * file system's fair queue (jobs.h, IMLFS_JOBS_SHARE), answered from its
 * worker.  One uid alone gets every worker; with others reading too, the
 * uids take turns, so nobody's loop of uncached crops (any spec name is
 * served, so every lookup can be a new one) keeps the others' requests
 * waiting for a free FUSE thread. */
typedef void read_fn(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		     size_t size, off_t off, struct fuse_file_info *fi);

struct pixel_read {
	struct imlfs_job job;     /* first */
	fuse_req_t req;
	struct imlfs_fs *fs;
	struct imlfs_node node;
	size_t size;
	off_t off;
	read_fn *fn;
};

static void run_read(struct imlfs_job *job)
{
	struct pixel_read *r = (struct pixel_read *)job;

	r->fn(r->req, r->fs, &r->node, r->size, r->off, NULL);
	free(r);
}

static void defer(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		  size_t size, off_t off, read_fn *fn)
{
	struct pixel_read *r = malloc(sizeof *r);
	int err;

	if (!r) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*r = (struct pixel_read){ .job = { .uid = fuse_req_ctx(req)->uid, .run = run_read },
				  .req = req, .fs = fs, .node = *node, .size = size, .off = off,
				  .fn = fn };
	err = fs->pix_jobs ? imlfs_jobs_submit(fs->pix_jobs, &r->job) : -ESHUTDOWN;
	if (err) {
		free(r);
		fuse_reply_err(req, -err);
	}
}

static void queue_crop(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
		       size_t size, off_t off, struct fuse_file_info *fi)
{
	defer(req, fs, node, size, off, read_crop);
}

static void queue_array(fuse_req_t req, struct imlfs_fs *fs, const struct imlfs_node *node,
			size_t size, off_t off, struct fuse_file_info *fi)
{
	defer(req, fs, node, size, off, read_array);
}

const struct imlfs_kind imlfs_kind_pixels = { .read = queue_crop };
const struct imlfs_kind imlfs_kind_pixarray = { .read = queue_array };
const struct imlfs_kind imlfs_kind_pixlabels = { .read = read_labels };
