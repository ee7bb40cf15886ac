/* SPDX-License-Identifier: MIT */
/*
 * The FUSE glue: libfuse3 low-level callbacks over the public dimg fs API.
 * Replies go through a table of functions so the callbacks can be driven
 * without a mount (unit tests pass fake requests and capture the replies).
 */
#ifndef DIMG_MOUNT_OPS_H
#define DIMG_MOUNT_OPS_H

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include "dimg/dimg.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

struct mnt_reply {
	int (*err)(fuse_req_t req, int err);
	int (*entry)(fuse_req_t req, const struct fuse_entry_param *e);
	int (*attr)(fuse_req_t req, const struct stat *st, double timeout);
	int (*buf)(fuse_req_t req, const char *buf, size_t size);
	/* size bytes of fd at off, spliced by the kernel where it can */
	int (*data)(fuse_req_t req, int fd, off_t off, size_t size);
	int (*readlink)(fuse_req_t req, const char *link);
	int (*open)(fuse_req_t req, const struct fuse_file_info *fi);
	int (*statfs)(fuse_req_t req, const struct statvfs *st);
	int (*xattr)(fuse_req_t req, size_t count);
	size_t (*add_direntry)(fuse_req_t req, char *buf, size_t bufsize, const char *name,
			       const struct stat *st, off_t off);
	size_t (*add_direntry_plus)(fuse_req_t req, char *buf, size_t bufsize, const char *name,
				    const struct fuse_entry_param *e, off_t off);
};

extern const struct mnt_reply mnt_fuse_reply; /* the real fuse_reply_* */

struct mnt_dir; /* an indexed directory */

struct mnt {
	struct dimg_image *img;
	struct dimg_fs *fs;
	const char *image;
	dimg_ino root;
	bool rock_ridge; /* owners and modes from the image */
	int raw_fd;	 /* image fd when extents can be spliced from it, or -1 */
	uid_t uid;
	gid_t gid;
	bool boot; /* expose El Torito images under /.boot */
	struct dimg_boot_entry *boot_ents;
	int nboot;
	bool audio;			/* expose a CD's audio tracks as WAV files under /.audio */
	struct dimg_track_info *tracks; /* the audio tracks */
	int naudio;
	int64_t mtime; /* of the image file: the time of the made-up entries */
	const struct mnt_reply *r;
	pthread_mutex_t lock;
	struct mnt_dir **dirs; /* hash table of indexed directories */
	size_t dir_cap, dir_count;
	void (*log)(const char *msg); /* where EIO reasons go */
	unsigned max_read;	      /* bytes per read request (mnt_max_read) */
};

/* Inode numbers the glue makes up (image inodes are byte offsets of
 * directory records, far above these). */
#define MNT_BOOT_DIR 2ull
#define MNT_AUDIO_DIR 3ull
#define MNT_BOOT_FIRST 16ull   /* 64 boot images */
#define MNT_AUDIO_FIRST 128ull /* 99 tracks */
#define MNT_SYNTH_END 256ull

/* Largest read request.  libfuse splices a reply from the image only when
 * its pipe can hold the data plus three pages (its sizing rule), and an
 * unprivileged process cannot grow a pipe past /proc/sys/fs/pipe-max-size
 * (1 MiB by default); a read one page too large falls back to a read plus
 * a write, two copies instead of one (measured: a 1 GiB file read through a
 * fresh mount 0.35 s -> 0.27 s).  mnt_max_read() gives MNT_MAX_READ less
 * what the pipe limit requires, never less than MNT_MIN_READ. */
#define MNT_MAX_READ 1048576u
#define MNT_MIN_READ 131072u
unsigned mnt_max_read(void);

/* fs may be NULL for a disc without a file system (audio only): the root
 * then holds only the made-up folders. */
int mnt_init(struct mnt *m, struct dimg_image *img, struct dimg_fs *fs, const char *image,
	     bool boot, bool audio);
void mnt_destroy(struct mnt *m);

/* The callbacks, in the libfuse low-level shape plus the mount. */
void mnt_lookup(struct mnt *m, fuse_req_t req, fuse_ino_t parent, const char *name);
void mnt_getattr(struct mnt *m, fuse_req_t req, fuse_ino_t ino);
void mnt_readlink(struct mnt *m, fuse_req_t req, fuse_ino_t ino);
void mnt_open(struct mnt *m, fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mnt_read(struct mnt *m, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off);
void mnt_opendir(struct mnt *m, fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mnt_readdir(struct mnt *m, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus);
void mnt_statfs(struct mnt *m, fuse_req_t req);
void mnt_getxattr(struct mnt *m, fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void mnt_listxattr(struct mnt *m, fuse_req_t req, fuse_ino_t ino, size_t size);

/* The libfuse operations table bound to the callbacks above. */
extern const struct fuse_lowlevel_ops mnt_fuse_ops;

#endif
