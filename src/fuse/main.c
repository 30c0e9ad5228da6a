/* SPDX-License-Identifier: MIT */
/* main.c — `imlfs [OPTIONS] TARBALL MOUNTPOINT`: options, then the whole
 * index is built and validated, and only then is anything mounted, so a bad
 * input never leaves a half-made mount and the command returns only when the
 * mount is usable (the kernel queues requests until the loop starts). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "handles.h"
#include "stats.h"
#include "imlfs/jobs.h"
#include "imlfs/cache.h"
#include "imlfs/error.h"
#include "imlfs/inputs.h"
#include "imlfs/labelset.h"
#include "imlfs/load.h"
#include "imlfs/readme.h"
#include "imlfs/tardigest.h"
#include "imlfs/tarhash.h"
#include "imlfs/verify.h"
#include "heap.h"
#include "mountpoint.h"

struct options {
	char *given[IMLFS_NROLES];   /* the inputs by role; the tarball is the first argument */
	char *mountpoint, *cache_dir;
	int nocache;
	int verify, noverify;     /* --verify: check the inputs, mount nothing */
	int allow_other;          /* -o allow_other or allow_root: kept for libfuse too */
	char *pixels;             /* -o pixels=SPEC:SPEC (all given, joined by ':') */
	int nsets;                /* --labelset NAME=FILE given: given[IMLFS_ROLE_SET0 + k] */
	int bad;                  /* out of memory while parsing */
};

enum { KEY_ALLOW_OTHER = 1, KEY_PIXELS, KEY_LABELSET };

#define OPT(t, p) { t, offsetof(struct options, p), 1 }
/* The options that name input files come first, made from the table of
 * roles (input_options); these follow them. */
static const struct fuse_opt other_options[] = {
	OPT("--cache-dir %s", cache_dir), OPT("--cache-dir=%s", cache_dir),
	OPT("cache_dir=%s", cache_dir),
	OPT("--nocache", nocache), OPT("nocache", nocache),
	OPT("--verify", verify), OPT("--noverify", noverify), OPT("noverify", noverify),
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER), FUSE_OPT_KEY("allow_root", KEY_ALLOW_OTHER),
	/* keys, not %s fields: each one given adds to the list */
	FUSE_OPT_KEY("--pixels %s", KEY_PIXELS), FUSE_OPT_KEY("--pixels=%s", KEY_PIXELS),
	FUSE_OPT_KEY("pixels=%s", KEY_PIXELS),
	/* -o labelset=NAME=FILE; --labelset is taken out before (take_labelsets) */
	FUSE_OPT_KEY("labelset=%s", KEY_LABELSET),
	FUSE_OPT_END
};

/* --NAME FILE, --NAME=FILE and -o NAME=FILE for each input role, then
 * other_options; the templates live in templ. */
#define NINPUT_OPTS (3 * IMLFS_NROLES)
#define NOTHER_OPTS (sizeof other_options / sizeof other_options[0])
#define NSPEC (NINPUT_OPTS + NOTHER_OPTS)
static void input_options(struct fuse_opt spec[NSPEC], char templ[NINPUT_OPTS][48])
{
	static const char *const forms[3][2] = { { "--", " %s" }, { "--", "=%s" }, { "", "=%s" } };
	size_t n = 0;

	/* the label sets' slots are filled by --labelset (add_labelset) */
	for (int r = 0; r < IMLFS_ROLE_SET0; r++) {
		for (int f = 0; imlfs_roles[r].option && f < 3; f++, n++) {
			snprintf(templ[n], sizeof templ[n], "%s%s%s", forms[f][0], imlfs_roles[r].option,
				 forms[f][1]);
			spec[n] = (struct fuse_opt){ templ[n], offsetof(struct options, given) +
						     (unsigned long)r * sizeof(char *), 1 };
		}
	}
	memcpy(spec + n, other_options, sizeof other_options);
}

static void usage(const char *prog)
{
	printf("usage: %s [OPTIONS] TARBALL MOUNTPOINT\n\n"
	       "Mount ILSVRC2012_img_val.tar in place, with the expert multi-labels of\n"
	       "TFDS imagenet2012_multilabel, as a tree by split, class and label status.\n\n"
	       "imlfs options (each also as -o NAME=VALUE, e.g. for fstab):\n"
	       "    --annotations FILE     human_accuracy_v3.0.0.json (or human_accuracy_fixed.json)\n"
	       "    --labels FILE          validation_labels.txt (TFDS) or val.txt (FILE LABEL lines)\n"
	       "    --classes FILE         class_info.json, LOC_synset_mapping.txt or one wnid per line\n"
	       "    --real FILE            real.json, the ReaL labels (google-research/reassessed-imagenet):\n"
	       "                           adds real/, real_labels in the sidecars and ReaL accuracy\n"
	       "    --labelset NAME=FILE   a label set (imlfs(1), LABEL SETS), up to %d with ReaL's:\n"
	       "                           adds NAME/, NAME_labels in the sidecars and\n"
	       "                           NAME_accuracy, NAME_top5_accuracy; FILE is cleanlab's\n"
	       "                           imagenet_mturk.json, the Flaws of ImageNet CSV, JSON lists\n"
	       "                           (as real.json) or IMAGE<TAB>LABEL[,LABEL...] lines (told\n"
	       "                           apart by content); NAME is [a-z][a-z0-9_]*.  Found beside\n"
	       "                           the tarball: imagenet_mturk.json (as mturk) and\n"
	       "                           clean_validation.csv (as flaws)\n"
	       "    --cache-dir DIR        where the index cache lives (default $XDG_CACHE_HOME/imlfs\n"
	       "                           or ~/.cache/imlfs)\n"
	       "    --nocache, -o nocache  neither read nor write the index cache\n"
	       "    --noverify, -o noverify\n"
	       "                           do not hash the tarball in the background to\n"
	       "                           check it against the published file\n"
	       "    -o ro                  read-only, for loaders: nothing can be submitted,\n"
	       "                           and files are served without opens (fewer requests)\n"
	       "    --pixels SPEC:SPEC..., -o pixels=SPEC:SPEC...\n"
	       "                           list these in every SPLIT/pixels/ too; SPEC is\n"
	       "                           resize{S}-crop{C}-{bilinear|bicubic}, 1 <= C <= S <= 1024,\n"
	       "                           torchvision's Resize(S) then CenterCrop(C), bit-exact.\n"
	       "                           Always listed: %s.\n"
	       "                           Any valid SPEC can be opened, listed or not.\n"
	       "An input not given is looked for beside the tarball under its usual name.\n"
	       "The README says whether each input is the published file (MD5).\n\n"
	       "   or: %s --verify [--annotations F] [--labels F] [--classes F] [--real F]\n"
	       "       [--labelset NAME=F ...] TARBALL\n"
	       "Check every input against the published files (MD5) and mount nothing:\n"
	       "one line per file, \"FILE: the published file\", \"FILE: differs from the\n"
	       "published file (md5 X, published Y)\" or \"FILE: no published digest known\n"
	       "(md5 X)\"; exit status %d when a file differs.\n\n"
	       "Exit status (see imlfs(1)):\n",
	       prog, IMLFS_LABELSETS_MAX, IMLFS_PIXELS_DEFAULTS, prog, IMLFS_VERIFY_DIFFERS);
	imlfs_exit_help(stdout, IMLFS_BY_IMLFS);
	printf("\n");
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

/* -o pixels=LIST, --pixels=LIST or --pixels LIST (libfuse hands the
 * last as "--pixelsLIST"): append LIST to o->pixels.  Consumed. */
static int add_pixels(struct options *o, const char *arg)
{
	const char *list = arg;
	char *all;
	size_t n;

	if (strncmp(list, "--pixels=", 9) == 0)
		list += 9;
	else if (strncmp(list, "--pixels", 8) == 0)
		list += 8;
	else if (strncmp(list, "pixels=", 7) == 0)
		list += 7;
	n = (o->pixels ? strlen(o->pixels) + 1 : 0) + strlen(list) + 1;
	all = malloc(n);
	if (!all) {
		o->bad = 1;
		return 0;
	}
	snprintf(all, n, "%s%s%s", o->pixels ? o->pixels : "", o->pixels ? ":" : "", list);
	free(o->pixels);
	o->pixels = all;
	return 0;
}

/* The specs of o->pixels into *specs (malloc'd), *n of them: 0, or the
 * exit status of a usage error, told on stderr. */
static int parse_pixels(const char *list, struct imlfs_pixspec **specs, size_t *n)
{
	size_t cap = 1;
	const char *p;

	*specs = NULL;
	*n = 0;
	if (!list)
		return 0;
	for (p = list; *p; p++)
		cap += *p == ':';
	*specs = calloc(cap, sizeof **specs);
	if (!*specs) {
		fprintf(stderr, "imlfs: out of memory\n");
		return IMLFS_E_NOMEM;
	}
	for (p = list;; ) {
		size_t len = strcspn(p, ":");
		char why[200];

		if (len == 0)
			snprintf(why, sizeof why, "an empty name");
		if (len == 0 || imlfs_pixspec_parse(p, len, &(*specs)[*n], why, sizeof why)) {
			fprintf(stderr, "imlfs: -o pixels=%s: '%.*s' is not a pixels spec: %s.  Give "
				"one or more SPEC separated by ':', each "
				"resize{S}-crop{C}-{bilinear|bicubic} with 1 <= C <= S <= %u, e.g. "
				"resize256-crop224-bilinear (see imlfs(1), PIXELS)\n", list, (int)len, p,
				why, IMLFS_PIXSPEC_MAX);
			free(*specs);
			*specs = NULL;
			return IMLFS_E_USAGE;
		}
		++*n;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* NAME=FILE of a --labelset (or "labelset=NAME=FILE" of -o): the next
 * slot.  Past the slots, counted only: the error is said with the others
 * (check_labelsets). */
static int add_labelset(struct options *o, const char *arg)
{
	if (!strncmp(arg, "labelset=", 9))
		arg += 9;
	if (o->nsets < IMLFS_LABELSETS_MAX &&
	    !(o->given[IMLFS_ROLE_SET0 + o->nsets] = strdup(arg)))
		o->bad = 1;
	o->nsets++;
	return 0;
}

/* --labelset NAME=FILE and --labelset=NAME=FILE, taken out of argv before
 * libfuse parses it: libfuse matches a template "--NAME %s" against any
 * argument that starts with --NAME (handing the rest as the value), and
 * applies every template that matches, so "--labels %s" would take
 * "--labelset" as --labels "et".  -o labelset=... is left to libfuse:
 * "labels=%s" does not match it.  Returns the new argc. */
static int take_labelsets(struct options *o, int argc, char **argv)
{
	int n = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {   /* the rest are not options */
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--labelset"))
			add_labelset(o, i + 1 < argc ? argv[++i] : "");
		else if (!strncmp(argv[i], "--labelset=", 11))
			add_labelset(o, argv[i] + 11);
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

/* The --labelset arguments' shapes and names, before anything is read:
 * 0, or the exit status of the one line said. */
static int check_labelsets(const struct options *o)
{
	struct imlfs_error err = { 0 };
	char name[IMLFS_LABELSET_NAME_MAX + 1], other[IMLFS_LABELSET_NAME_MAX + 1];
	const char *file;

	if (o->nsets > IMLFS_LABELSETS_MAX)
		imlfs_fail(&err, IMLFS_E_USAGE, "--labelset given %d times: more than %d label sets; "
			   "mount at most %d at a time (ReaL's real.json counts as one)", o->nsets,
			   IMLFS_LABELSETS_MAX, IMLFS_LABELSETS_MAX);
	for (int k = 0; !err.code && k < o->nsets; k++) {
		if (imlfs_labelset_spec(o->given[IMLFS_ROLE_SET0 + k], name, &file, &err))
			break;
		for (int j = 0; j < k; j++)
			if (!imlfs_labelset_spec(o->given[IMLFS_ROLE_SET0 + j], other, &file, &err) &&
			    !strcmp(name, other)) {
				imlfs_fail(&err, IMLFS_E_USAGE, "--labelset %s: the name %s is given "
					   "twice; give each label set its own name",
					   o->given[IMLFS_ROLE_SET0 + k], name);
				break;
			}
	}
	return err.code ? imlfs_exit_report(stderr, "imlfs", err.code, err.msg) : 0;
}

static int keep_positional(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct options *o = data;

	if (key == KEY_ALLOW_OTHER)
		o->allow_other = 1;
	if (key == KEY_PIXELS)
		return add_pixels(o, arg);
	if (key == KEY_LABELSET)
		return add_labelset(o, arg);
	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;   /* libfuse's own options go on to libfuse */
	/* Both positionals are ours: libfuse would reject a missing mount
	 * point with a generic usage error before we could say more. */
	if (!o->given[IMLFS_ROLE_TARBALL])
		o->given[IMLFS_ROLE_TARBALL] = strdup(arg);
	else if (!o->mountpoint)
		o->mountpoint = strdup(arg);
	else {
		fprintf(stderr, "imlfs: unexpected argument '%s': give TARBALL MOUNTPOINT\n", arg);
		return -1;
	}
	return 0;
}

/* Like squashfuse: make sure 0-2 are open, so the tarball's descriptor is
 * never mistaken for stdout by a later write. */
static void ensure_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 && fd <= 2)
		fcntl(fd, F_SETFD, 0);
	if (fd > 2)
		close(fd);
}

/* mount.fuse3 -o drop_privileges mounts by itself and passes the open
 * /dev/fuse descriptor as the mount point "/dev/fd/N", which libfuse serves
 * as it is (umount then unmounts it).  Returns 1 for such a name, 0 for any
 * other, -1 if N is not an open descriptor. */
static int fuse_fd_mountpoint(const char *mp, struct imlfs_error *err)
{
	unsigned int fd;
	int len = -1;

	if (sscanf(mp, "/dev/fd/%u%n", &fd, &len) != 1 || len != (int)strlen(mp))
		return 0;
	if (fd > INT_MAX || fcntl((int)fd, F_GETFD) < 0)
		return imlfs_fail(err, IMLFS_E_MOUNT, "%s: mount point: not an open descriptor; "
				  "/dev/fd/N is for mount.fuse3 -o drop_privileges", mp);
	return 1;
}

/* Name the mount after the tarball, as type fuse.imlfs in /proc/mounts.
 * default_permissions: the kernel checks the modes (0444 files, 0555
 * folders, 0666 predictions files), so on a shared (allow_other) mount a
 * user's write to anything but a predictions file fails with EACCES before
 * it reaches the daemon; root passes the mode checks and gets EROFS here. */
static int add_mount_opts(struct fuse_args *args, const char *tarball)
{
	char *opts = NULL;
	int r = fuse_opt_add_opt(&opts, "subtype=imlfs") ||
		fuse_opt_add_opt(&opts, "default_permissions") ||
		fuse_opt_add_opt(&opts, "fsname=") ||
		fuse_opt_add_arg(args, "-o");

	if (!r) {
		/* fsname=VALUE with commas and backslashes escaped */
		char *esc = NULL;

		r = fuse_opt_add_opt_escaped(&esc, tarball);
		if (!r) {
			size_t n = strlen(opts) + strlen(esc) + 1;
			char *all = malloc(n);

			r = !all;
			if (all) {
				snprintf(all, n, "%s%s", opts, esc);
				r = fuse_opt_add_arg(args, all);
				free(all);
			}
		}
		free(esc);
	}
	free(opts);
	return r;
}

/* 0, or the exit status; a mount that failed is also told in err. */
static int serve(struct fuse_session *se, struct fuse_cmdline_opts *copts,
		 struct imlfs_tarhash *th, struct imlfs_fs *fs, struct imlfs_error *err)
{
	struct fuse_loop_config lc = { .clone_fd = copts->clone_fd,
				       .max_idle_threads = copts->max_idle_threads };
	int r = IMLFS_E_MOUNT;

	if (fuse_set_signal_handlers(se) == 0) {
		imlfs_stats_install(fs);
		if (fuse_session_mount(se, copts->mountpoint) == 0) {
			imlfs_readahead_find(fs, copts->mountpoint);
			fuse_daemonize(copts->foreground);
			/* After the fork: threads do not survive it. */
			imlfs_tarhash_start(th);
			/* SIGTERM, SIGINT and SIGHUP end the loop through libfuse's
			 * handlers, which return the signal's number: a clean
			 * stop.  Only a negative errno is a failure. */
			r = copts->singlethread ? fuse_session_loop(se) : fuse_session_loop_mt(se, &lc);
			r = r < 0 ? IMLFS_E_INTERNAL : 0;
			fuse_session_unmount(se);
			/* Requests still waiting for a scoring are answered while
			 * the session they belong to exists. */
			imlfs_subs_drain(fs->subs);
			imlfs_jobs_free(fs->pix_jobs);   /* likewise the crops' reads */
			fs->pix_jobs = NULL;
		} else {
			imlfs_fail(err, IMLFS_E_MOUNT, "%s: cannot mount (see the message above); is "
				   "it already mounted, and is /dev/fuse usable?", copts->mountpoint);
		}
		imlfs_stats_remove();
		fuse_remove_signal_handlers(se);
	}
	return r;
}

/* imlfs --verify TARBALL: the status of every input, nothing mounted. */
static int verify_inputs(const struct options *o, struct imlfs_error *err)
{
	struct imlfs_inputs in;
	struct imlfs_cache_dir cd = { .fd = -1 };
	char *dir = NULL, *cache = NULL, *digest = NULL, why[1024];
	int r;

	if (!o->given[IMLFS_ROLE_TARBALL] || o->mountpoint) {
		fprintf(stderr, "usage: imlfs --verify [--annotations F] [--labels F] [--classes F] "
			"[--real F] [--labelset NAME=F ...] TARBALL (no mount point; see --help)\n");
		return IMLFS_E_USAGE;
	}
	if (imlfs_inputs_resolve(&in, (const char *const *)o->given, err))
		return err->code;
	if (!o->nocache) {
		dir = o->cache_dir ? strdup(o->cache_dir) : imlfs_cache_default_dir();
		cache = dir ? imlfs_cache_name(&in) : NULL;
		digest = imlfs_tardigest_file(cache);
		/* Remembering the digest needs the cache folder, and one the
		 * cache trusts (cache.h): otherwise say why, and hash. */
		if (digest && imlfs_cache_dir_open(&cd, dir, true, why, sizeof why) < 0)
			fprintf(stderr, "imlfs: %s\n", why);
	}
	r = imlfs_verify_command(&in, cd.fd >= 0 ? &cd : NULL, digest, stdout, stderr);
	imlfs_cache_dir_close(&cd);
	free(dir);
	free(cache);
	free(digest);
	imlfs_inputs_free(&in);
	return r;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_cmdline_opts copts = { 0 };
	struct options o = { 0 };
	struct imlfs_error err = { 0 };
	struct imlfs_inputs in = { 0 };
	struct imlfs_model model = { 0 };
	struct imlfs_load_info info;
	struct imlfs_load_opts lopts = { .log = stderr };
	struct imlfs_catalog *cat = NULL;
	struct fuse_session *se = NULL;
	struct imlfs_fs fs = { .tar_fd = -1, .timeout = 86400.0,
			      .readme_lock = PTHREAD_MUTEX_INITIALIZER,
			      .handles_lock = PTHREAD_MUTEX_INITIALIZER };
	struct imlfs_tarhash th = { 0 };
	struct fuse_opt spec[NSPEC];
	char templ[NINPUT_OPTS][48];
	struct stat st;
	struct imlfs_pixspec *pixels = NULL;
	size_t npixels = 0;
	int r = IMLFS_E_USAGE, fd_mount;

	ensure_std_fds();
	imlfs_heap_reexec(argv);
	imlfs_heap_setup();
	argc = take_labelsets(&o, argc, argv);
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	input_options(spec, templ);
	if (fuse_opt_parse(&args, &o, spec, keep_positional) ||
	    fuse_parse_cmdline(&args, &copts))
		goto out_usage;
	if (copts.show_help) {
		usage(argv[0]);
		r = 0;
		goto out_usage;
	}
	if (copts.show_version) {
		printf("imlfs %s\n", IMLFS_VERSION);
		fuse_lowlevel_version();
		r = 0;
		goto out_usage;
	}
	if (o.bad) {
		fprintf(stderr, "imlfs: out of memory\n");
		r = IMLFS_E_NOMEM;
		goto out_usage;
	}
	if ((r = check_labelsets(&o)))
		goto out_usage;
	r = IMLFS_E_USAGE;
	if (o.verify) {
		r = verify_inputs(&o, &err);
		if (r && err.code)
			imlfs_exit_report(stderr, "imlfs", err.code, err.msg);
		goto out_usage;
	}
	if (!o.given[IMLFS_ROLE_TARBALL] || !o.mountpoint) {
		fprintf(stderr, "usage: %s [OPTIONS] TARBALL MOUNTPOINT (see --help)\n", argv[0]);
		goto out_usage;
	}
	if ((r = parse_pixels(o.pixels, &pixels, &npixels)))
		goto out_usage;
	r = IMLFS_E_USAGE;
	/* Absolute, since the daemon moves to / and unmounts by this name;
	 * a dead imlfs mount left there by a killed daemon is detached.  A
	 * /dev/fd/N mount point (mount.fuse3 -o drop_privileges) is already
	 * mounted and goes to libfuse as it is. */
	fd_mount = fuse_fd_mountpoint(o.mountpoint, &err);
	if (fd_mount < 0 ||
	    (fd_mount ? !(copts.mountpoint = strdup(o.mountpoint)) :
	     imlfs_mountpoint_prepare(o.mountpoint, &copts.mountpoint, &err))) {
		if (fd_mount > 0)
			imlfs_fail(&err, IMLFS_E_NOMEM, "out of memory");
		goto out_err;
	}
	if (copts.max_idle_threads == 0 || copts.max_idle_threads == UINT_MAX)
		copts.max_idle_threads = 10;
	/* With drop_privileges the checks would look at /dev/fd/N and a
	 * /dev/fuse that mount.fuse3 has already opened. */
	if ((!fd_mount && imlfs_check_user_mount(copts.mountpoint, o.allow_other, &err)) ||
	    imlfs_inputs_resolve(&in, (const char *const *)o.given, &err))
		goto out_err;
	if (add_mount_opts(&args, in.tarball)) {
		imlfs_fail(&err, IMLFS_E_NOMEM, "out of memory");
		goto out_err;
	}
	/* The session parses libfuse's options: made before the (possibly
	 * long) index so a mistyped -o fails at once.  fs is filled below. */
	se = fuse_session_new(&args, &imlfs_ops, sizeof imlfs_ops, &fs);
	if (!se) {
		r = IMLFS_E_USAGE;   /* libfuse has said which option it did not know */
		goto out;
	}
	lopts.cache_dir = o.cache_dir;
	lopts.nocache = o.nocache;
	if (imlfs_load(&model, &in, &lopts, &fs.tar_fd, &info, &err))
		goto out_err;
	fstat(fs.tar_fd, &st);
	imlfs_tarcheck_init(&fs.tar, in.tarball, fs.tar_fd, info.tar_size, info.tar_mtime_ns,
			    stderr);
	fs.tar.use_syslog = !copts.foreground;   /* stderr is /dev/null once daemonized */
	cat = imlfs_catalog_new(&(struct imlfs_catalog_src){
		.model = &model, .readme = imlfs_readme_render,
		.readme_ctx = &(struct imlfs_readme_src){ .inputs = &in, .load = &info },
		.mtime = st.st_mtime, .uid = getuid(), .gid = getgid(),
		.pixels = pixels, .npixels = npixels, .debug = copts.debug ? stderr : NULL });
	fs.subs = imlfs_subs_new(&model, NULL);
	fs.pixcache = imlfs_pixcache_new();
	fs.pix_jobs = imlfs_jobs_new(0, IMLFS_JOBS_SHARE);
	if (!cat || !fs.subs || !fs.pixcache || !fs.pix_jobs) {
		imlfs_fail(&err, IMLFS_E_NOMEM, "out of memory while building the tree");
		goto out_err;
	}
	fs.cat = cat;
	fs.model = &model;
	fs.inputs = &in;
	if (imlfs_tarhash_init(&th, in.tarball, fs.tar_fd, info.cache_file, o.noverify)) {
		imlfs_fail(&err, IMLFS_E_NOMEM, "out of memory");
		goto out_err;
	}
	fs.tarhash = &th;
	r = serve(se, &copts, &th, &fs, &err);
	if (r && err.code)
		goto out_err;
	goto out;
out_err:
	r = imlfs_exit_report(stderr, "imlfs", err.code ? err.code : IMLFS_E_INTERNAL, err.msg);
out:
	imlfs_tarhash_stop(&th);   /* it reads tar_fd */
	if (se)
		fuse_session_destroy(se);
	imlfs_handles_free_all(&fs);   /* before the submissions they belong to */
	imlfs_subs_free(fs.subs);
	imlfs_jobs_free(fs.pix_jobs);   /* NULL once serve() drained it */
	imlfs_pixcache_free(fs.pixcache);
	imlfs_catalog_free(cat);
	imlfs_model_free(&model);
	if (fs.tar_fd >= 0)
		close(fs.tar_fd);
	imlfs_inputs_free(&in);
out_usage:
	free(copts.mountpoint);
	for (int i = 0; i < IMLFS_NROLES; i++)
		free(o.given[i]);
	free(o.mountpoint);
	free(o.cache_dir);
	free(o.pixels);
	free(pixels);
	fuse_opt_free_args(&args);
	return r;
}
