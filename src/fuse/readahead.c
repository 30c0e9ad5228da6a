/* SPDX-License-Identifier: MIT */
/* readahead.c — one READ per image.
 *
 * The kernel reads a FUSE file ahead in windows of the mount's readahead
 * (its bdi's read_ahead_kb, 128 KiB by default).  The daemon may lower it
 * at INIT but never raise it, so every JPEG over 128 KiB (about one in
 * five) costs a second READ round trip.  Requests themselves may be as
 * large as max_pages (libfuse asks for 256 pages, 1 MiB), so when it may
 * (as root) the daemon sets its own mount's read_ahead_kb in sysfs to
 * that: one READ answers any image up to 1 MiB.  The setting belongs to
 * this mount's bdi alone and goes with it; the files served with direct_io
 * (predictions, README) are not read ahead at all.  It must be written
 * after the INIT reply, which would lower it again: on the first request
 * that follows (the kernel holds every request until INIT is done).
 * Not being allowed to write it (a user's mount) changes nothing else.
 * The same line of mountinfo says whether the mount is read-only (-o ro),
 * which ops.c serves in no-open mode.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "mountpoint.h"

void imlfs_readahead_find(struct imlfs_fs *fs, const char *mountpoint)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	fs->ra_sysfs[0] = 0;
	if (!f)
		return;
	/* The last fuse mount on our mount point is ours: just made. */
	while (getline(&line, &cap, f) > 0) {
		unsigned maj, min;
		char mnt[4096], type[64], opts[256];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", type) != 1 || strncmp(type, "fuse", 4))
			continue;
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s %255s", &maj, &min, mnt, opts) != 4)
			continue;
		imlfs_mountinfo_unescape(mnt);
		if (!strcmp(mnt, mountpoint)) {
			snprintf(fs->ra_sysfs, sizeof fs->ra_sysfs,
				 "/sys/class/bdi/%u:%u/read_ahead_kb", maj, min);
			/* The mount's own options come first: "ro" or "rw". */
			fs->readonly = !strncmp(opts, "ro", 2) && (!opts[2] || opts[2] == ',');
		}
	}
	free(line);
	fclose(f);
}

void imlfs_readahead_raise(struct imlfs_fs *fs)
{
	int fd;

	if (atomic_load_explicit(&fs->ra_done, memory_order_relaxed) ||
	    atomic_exchange(&fs->ra_done, true) || !fs->ra_sysfs[0])
		return;
	fd = open(fs->ra_sysfs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, IMLFS_READAHEAD_KB "\n", sizeof IMLFS_READAHEAD_KB) < 0) {
		/* not ours to change: the kernel's default stays */
	}
	close(fd);
}
