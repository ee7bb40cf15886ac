/* SPDX-License-Identifier: MIT */
/* Mounting: session setup, daemonizing once the mount is ready, the
 * multi-threaded loop, and cleanup on unmount or signal. */
#include "mount_main.h"
#include "mount_ops.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <unistd.h>

static bool g_foreground;

static void log_msg(const char *msg)
{
	if (g_foreground)
		fprintf(stderr, "dimg: %s\n", msg);
	else
		syslog(LOG_ERR, "%s", msg);
}

/* A mount point in use: already a mount (its device differs from its
 * parent's) or listed in the mount table. */
static bool in_use(const char *mp)
{
	char real[4096], line[8192];
	FILE *f;
	bool used = false;
	if (!realpath(mp, real))
		return false;
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return false;
	while (!used && fgets(line, sizeof(line), f)) {
		char path[4096];
		/* field 5 is the mount point (octal escapes for spaces) */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", path) == 1) {
			char un[4096];
			size_t o = 0;
			for (size_t i = 0; path[i] && o + 1 < sizeof(un); i++) {
				if (path[i] == '\\' && path[i + 1] && path[i + 2] && path[i + 3]) {
					un[o++] = (char)(((path[i + 1] - '0') << 6) |
							 ((path[i + 2] - '0') << 3) |
							 (path[i + 3] - '0'));
					i += 3;
				} else {
					un[o++] = path[i];
				}
			}
			un[o] = 0;
			used = strcmp(un, real) == 0;
		}
	}
	fclose(f);
	return used;
}

/* FUSE mounts get the default 128 KiB readahead; sequential reads want
 * 1 MiB requests with several in flight (root only; skipped otherwise). */
static void set_readahead(const char *mp)
{
	struct stat st;
	char path[128];
	FILE *f;
	if (stat(mp, &st) != 0)
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb", major(st.st_dev),
		 minor(st.st_dev));
	f = fopen(path, "w");
	if (f) {
		fputs("8192\n", f);
		fclose(f);
	}
}

static void *readahead_thread(void *mp)
{
	set_readahead(mp);
	return NULL;
}

static void report_err(const char *image, const struct dimg_error *err)
{
	fprintf(stderr, "dimg: %s: %s", image, err->message);
	if (err->offset >= 0)
		fprintf(stderr, " (at byte offset %lld)", (long long)err->offset);
	fputc('\n', stderr);
}

int mnt_run(const struct mnt_options *o)
{
	struct dimg_image *img = NULL;
	struct dimg_fs *fs = NULL;
	struct dimg_error err;
	struct dimg_fs_options fo = {.view = o->view, .session = o->session, .track = o->track};
	struct mnt m;
	struct fuse_session *se = NULL;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char optbuf[8192];
	int rc = 1;

	dimg_error_clear(&err);
	if (dimg_image_open(&img, o->image, NULL, &err) != 0) {
		report_err(o->image, &err);
		goto out;
	}
	if (dimg_fs_open(&fs, img, &fo, &err) != 0) {
		/* an audio CD has no file system: with --audio its tracks are
		 * the whole mount */
		struct dimg_track_info t[99];
		struct dimg_error e2;
		int n, naudio = 0;
		dimg_error_clear(&e2);
		n = o->audio && !o->track && err.code == DIMG_EUNKNOWN
			? dimg_tracks(img, t, 99, &e2)
			: 0;
		for (int i = 0; i < n && i < 99; i++)
			naudio += t[i].audio;
		if (!naudio) {
			report_err(o->image, &err);
			goto out;
		}
		fs = NULL;
	}
	if (fs) {
		/* a root that cannot be read would make a mount nobody can use */
		struct dimg_stat st;
		if (dimg_fs_getattr(fs, dimg_fs_root(fs), &st, &err) != 0) {
			report_err(o->image, &err);
			goto out;
		}
	}
	if (in_use(o->mountpoint)) {
		fprintf(stderr,
			"dimg: %s: mount point is in use (unmount it first: dimg umount %s)\n",
			o->mountpoint, o->mountpoint);
		goto out;
	}
	if (access(o->mountpoint, F_OK) != 0) {
		fprintf(stderr, "dimg: %s: %s\n", o->mountpoint, strerror(errno));
		goto out;
	}
	if (mnt_init(&m, img, fs, o->image, o->boot, o->audio) != 0) {
		fprintf(stderr, "dimg: out of memory\n");
		goto out;
	}
	g_foreground = o->foreground;
	m.log = log_msg;
	/* max_read: large reads; ro: the kernel refuses writes with EROFS */
	snprintf(optbuf, sizeof(optbuf), "ro,fsname=dimg:%s,subtype=dimg,max_read=%u%s%s", o->image,
		 m.max_read, o->fuse_opts ? "," : "", o->fuse_opts ? o->fuse_opts : "");
	if (fuse_opt_add_arg(&args, "dimg") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, optbuf) || (o->debug && fuse_opt_add_arg(&args, "-d"))) {
		fprintf(stderr, "dimg: out of memory\n");
		goto out_m;
	}
	se = fuse_session_new(&args, &mnt_fuse_ops, sizeof(mnt_fuse_ops), &m);
	if (!se) {
		fprintf(stderr, "dimg: %s: bad mount options '%s'\n", o->mountpoint, optbuf);
		goto out_m;
	}
	if (fuse_set_signal_handlers(se) != 0)
		goto out_se;
	if (fuse_session_mount(se, o->mountpoint) != 0) {
		fprintf(stderr,
			"dimg: %s: cannot mount (is fuse3 installed and /dev/fuse there?)\n",
			o->mountpoint);
		goto out_sig;
	}
	/* the mount is ready: a script can use it as soon as we return */
	if (!o->foreground) {
		openlog("dimg", LOG_PID, LOG_DAEMON);
		if (fuse_daemonize(0) != 0)
			goto out_unmount;
	}
	{
		/* stat(2) of the mount point needs the loop running: do it from
		 * a helper thread */
		pthread_t t;
		if (pthread_create(&t, NULL, readahead_thread, (void *)o->mountpoint) == 0)
			pthread_detach(t);
	}
	{
		struct fuse_loop_config *cfg = fuse_loop_cfg_create();
		if (cfg) {
			fuse_loop_cfg_set_max_threads(cfg, 16);
			fuse_loop_cfg_set_clone_fd(cfg, 0);
			rc = fuse_session_loop_mt(se, cfg) != 0;
			fuse_loop_cfg_destroy(cfg);
		} else {
			rc = fuse_session_loop(se) != 0;
		}
	}
out_unmount:
	fuse_session_unmount(se);
out_sig:
	fuse_remove_signal_handlers(se);
out_se:
	fuse_session_destroy(se);
out_m:
	mnt_destroy(&m);
out:
	fuse_opt_free_args(&args);
	dimg_fs_close(fs);
	dimg_image_close(img);
	return rc;
}
