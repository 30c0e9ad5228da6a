/* SPDX-License-Identifier: MIT */
/* mountpoint.c — make the mount point usable, or say why it is not.
 *
 * A daemon killed with SIGKILL (or by the OOM killer) leaves its mount in
 * place, and every access to it fails with ENOTCONN.  If that dead mount is
 * ours (type fuse.imlfs in mountinfo), it is detached the way
 * `fusermount3 -u -z` does and the new mount goes on; anything else mounted
 * there, live or dead, belongs to someone else and is left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "imlfs/util.h"
#include "mountpoint.h"

#define FUSERMOUNT "fusermount3"
#define DETACH_WAIT_MS 10000
#define PROBE_WAIT_MS 5000
#define MAX_DETACH 8   /* dead imlfs mounts stacked on one another */

extern char **environ;

static char *mounted_type(const char *path);

/* arg's parent resolved, then its last name as given, without touching arg
 * itself; NULL for ".", ".." or when the parent cannot be resolved. */
static char *via_parent(const char *arg)
{
	char *copy = strdup(arg), *slash, *base, *dir, *out = NULL;
	size_t n;

	if (!copy)
		return NULL;
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (slash == copy)
		dir = realpath("/", NULL);
	else if (slash) {
		*slash = '\0';
		dir = realpath(copy, NULL);
	} else
		dir = realpath(".", NULL);
	if (dir && *base && strcmp(base, ".") && strcmp(base, ".."))
		out = imlfs_strf("%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base);
	free(dir);
	free(copy);
	return out;
}

/* The absolute path of arg.  A mount point is named through its parent and
 * never touched here: its daemon may be dead (realpath fails with ENOTCONN)
 * or stopped (a stat would block for ever).  mountinfo names mounts by their
 * resolved path, so a mount reached through a symlink is found by
 * realpath() on the second try. */
static char *resolve(const char *arg, int *e)
{
	char *p = via_parent(arg), *abs, *type = p ? mounted_type(p) : NULL;

	if (type) {
		free(type);
		return p;
	}
	abs = realpath(arg, NULL);
	*e = errno;
	if (!abs && *e == ENOTCONN && p)
		return p;
	free(p);
	return abs;
}

void imlfs_mountinfo_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The type of the topmost mount at `path` (malloc'd), or NULL when nothing
 * is mounted there (or mountinfo cannot be read). */
static char *mounted_type(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *type = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER */
		char *save, *field, *mp = NULL, *t = NULL;
		int i = 0, dash = 0;

		for (field = strtok_r(line, " \n", &save); field; field = strtok_r(NULL, " \n", &save), i++) {
			if (i == 4)
				mp = field;
			else if (i > 5 && !dash && !strcmp(field, "-"))
				dash = 1;
			else if (dash) {
				t = field;
				break;
			}
		}
		if (!mp || !t)
			continue;
		imlfs_mountinfo_unescape(mp);
		if (strcmp(mp, path))
			continue;
		imlfs_mountinfo_unescape(t);
		free(type);   /* later entries are mounted on top of earlier ones */
		type = strdup(t);
	}
	free(line);
	fclose(f);
	return type;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Wait for child pid at most ms milliseconds: 1 when it ended (*st set),
 * 0 when it was killed for taking too long, -1 on error. */
static int wait_bounded(pid_t pid, int *st, long ms)
{
	struct timespec t0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((rc = waitpid(pid, st, WNOHANG)) == 0 || (rc < 0 && errno == EINTR)) {
		if (ms_since(&t0) > ms) {
			/* A FUSE request the daemon has already read waits
			 * even through SIGKILL: after a second the child is
			 * left to finish (or be reaped by init) on its own. */
			kill(pid, SIGKILL);
			for (int i = 0; i < 100 && waitpid(pid, st, WNOHANG) == 0; i++)
				nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
			return 0;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return rc < 0 ? -1 : 1;
}

enum state { LIVE, DEAD, HUNG };

/* Whether the daemon behind a mount answers.  The root's attributes may
 * still be cached after the daemon died, so stat() can succeed on a dead
 * mount; statfs() always asks the daemon.  A stopped or stuck daemon would
 * block us for ever, so the asking is done by a child, bounded. */
static enum state probe(const char *path)
{
	struct stat st;
	struct statfs sf;
	pid_t pid = fork();
	int ws;

	if (pid == 0) {
		/* A child left blocked must not hold our caller's pipes open. */
		int null = open("/dev/null", O_RDWR);

		for (int fd = 0; fd <= 2 && null >= 0; fd++)
			dup2(null, fd);
		if (stat(path, &st) < 0 || statfs(path, &sf) < 0)
			_exit(errno == ENOTCONN ? 1 : 0);
		_exit(0);
	}
	if (pid < 0)
		return LIVE;   /* cannot tell: treat as someone's, touch nothing */
	if (wait_bounded(pid, &ws, PROBE_WAIT_MS) == 0)
		return HUNG;
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 1 ? DEAD : LIVE;
}

/* fusermount3 -u -z PATH, no shell, bounded.  0 or -1 with why[] set. */
static int run_fusermount(const char *path, char *why, size_t whylen)
{
	char *argv[] = { FUSERMOUNT, "-u", "-z", (char *)path, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc = posix_spawnp(&pid, FUSERMOUNT, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		snprintf(why, whylen, "cannot run %s: %s", FUSERMOUNT, strerror(rc));
		return -1;
	}
	rc = wait_bounded(pid, &st, DETACH_WAIT_MS);
	if (rc == 0) {
		snprintf(why, whylen, "%s -u -z did not finish in %d s", FUSERMOUNT,
			 DETACH_WAIT_MS / 1000);
		return -1;
	}
	if (rc < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(why, whylen, "%s -u -z failed (see its message above)", FUSERMOUNT);
		return -1;
	}
	return 0;
}

/* What `fusermount3 -u -z` does: as root umount2(MNT_DETACH) directly,
 * otherwise through the setuid helper, which checks the mount is ours. */
static int detach(const char *path, char *why, size_t whylen)
{
	if (geteuid() == 0 && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		return 0;
	return run_fusermount(path, why, whylen);
}

/* The command that unmounts a mount of this type: normally, or lazily
 * (a dead FUSE mount can only be detached). */
static const char *unmount_cmd(const char *type, int lazy)
{
	if (type && !strncmp(type, "fuse", 4))
		return lazy ? FUSERMOUNT " -u -z" : FUSERMOUNT " -u";
	return lazy ? "umount -l" : "umount";
}

int imlfs_mountpoint_prepare(const char *arg, char **out, struct imlfs_error *err)
{
	char why[256] = "";
	int e;
	char *path = resolve(arg, &e);

	*out = NULL;
	if (!path) {
		if (e == ENOENT)
			return imlfs_fail(err, IMLFS_E_MOUNT, "%s: mount point does not exist; "
					  "create it with mkdir", arg);
		if (e == ENOTCONN)
			return imlfs_fail(err, IMLFS_E_MOUNT, "%s: mount point: a dead FUSE mount is "
					  "in its path (%s); unmount that first (%s -u -z DIR)",
					  arg, strerror(e), FUSERMOUNT);
		return imlfs_fail(err, IMLFS_E_MOUNT, "%s: mount point: %s", arg, strerror(e));
	}
	for (int round = 0; ; round++) {
		struct stat st;
		char *type = mounted_type(path);
		enum state state = type ? probe(path) : LIVE;
		int r = type ? 0 : stat(path, &st), dead = state == DEAD;

		e = errno;
		if (dead && type && !strcmp(type, "fuse.imlfs")) {
			if (round < MAX_DETACH && detach(path, why, sizeof why) == 0) {
				fprintf(stderr, "imlfs: %s: detached the dead imlfs mount left there "
					"by a daemon that died; mounting again\n", path);
				free(type);
				continue;
			}
			imlfs_fail(err, IMLFS_E_MOUNT, "%s: a dead imlfs mount is there and could not be "
				   "detached: %s; run %s -u -z %s", path,
				   round < MAX_DETACH ? why : "still dead after detaching",
				   FUSERMOUNT, path);
		} else if (dead) {
			imlfs_fail(err, IMLFS_E_MOUNT, "%s: a dead mount (%s, %s) is there that imlfs "
				   "did not make, so it is left alone; unmount it first (%s %s)",
				   path, type ? type : "type unknown", strerror(ENOTCONN),
				   unmount_cmd(type, 1), path);
		} else if (type) {
			imlfs_fail(err, IMLFS_E_MOUNT, "%s: mount point is in use (%s is mounted there%s); "
				   "imlfs leaves it alone: unmount it first (%s %s) or choose another folder",
				   path, type, state == HUNG ? ", its daemon not answering" : "",
				   unmount_cmd(type, 0), path);
		} else if (r < 0 && e == ENOENT) {
			imlfs_fail(err, IMLFS_E_MOUNT, "%s: mount point does not exist; "
				   "create it with mkdir", path);
		} else if (r < 0) {
			imlfs_fail(err, IMLFS_E_MOUNT, "%s: mount point: %s", path, strerror(e));
		} else if (!S_ISDIR(st.st_mode)) {
			imlfs_fail(err, IMLFS_E_MOUNT, "%s: mount point is not a folder; "
				   "give an empty folder (mkdir it)", path);
		} else {
			free(type);
			*out = path;
			return 0;
		}
		free(type);
		free(path);
		return -1;
	}
}
