/* SPDX-License-Identifier: MIT */
#ifndef DIMG_MOUNT_MAIN_H
#define DIMG_MOUNT_MAIN_H

#include "dimg/dimg.h"

#include <stdbool.h>

struct mnt_options {
	const char *image, *mountpoint;
	const char *fuse_opts; /* -o, passed on (allow_other, ...) */
	enum dimg_view view;
	int session;
	int track;       /* CD: data track whose file system is mounted (0: default) */
	bool foreground, debug, boot, audio;
};

/* Mounts and serves until unmounted; returns an exit status. */
int mnt_run(const struct mnt_options *o);

#endif
