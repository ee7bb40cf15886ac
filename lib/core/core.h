/* SPDX-License-Identifier: MIT */
/* Internal interfaces shared by the core and the drivers. */
#ifndef DIMG_CORE_CORE_H
#define DIMG_CORE_CORE_H

#include "dimg/dimg.h"
#include "core/limits.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- errors (error.c) -------------------------------------------------- */

/* Records an error unless one is already recorded (first error wins) and
 * returns code, so drivers write `return dimg_err(err, DIMG_EFORMAT, off,
 * "...")`. */
int dimg_err(struct dimg_error *err, int code, int64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int dimg_err_sys(struct dimg_error *err, int sys_errno, int64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void dimg_err_what(struct dimg_error *err, const char *what);

/* ---- io (io.c) ----------------------------------------------------------- */

struct dimg_io;
struct dimg_io_ops {
	int (*pread)(struct dimg_io *io, void *buf, size_t len, uint64_t off,
		     struct dimg_error *err);
	void (*close)(struct dimg_io *io);
};
struct dimg_io {
	const struct dimg_io_ops *ops;
	uint64_t size;
	char *name;
	int fd;                  /* -1 unless a plain file */
	const uint8_t *mem;      /* memory io */
	struct dimg_io *parent;  /* sub-range io */
	uint64_t base;
};

int io_open_file(struct dimg_io **out, const char *path, struct dimg_error *err);
int io_open_memory(struct dimg_io **out, const void *data, size_t size, const char *name,
		   struct dimg_error *err);
void io_close(struct dimg_io *io);
/* Reads exactly len bytes at off; reading past the end is DIMG_ERANGE. */
int io_read(struct dimg_io *io, void *buf, size_t len, uint64_t off, struct dimg_error *err);

/* ---- report trees (node.c) ---------------------------------------------- */

struct dimg_node *node_object(struct dimg_node *parent, const char *key);
struct dimg_node *node_array(struct dimg_node *parent, const char *key);
void node_str(struct dimg_node *parent, const char *key, const char *val);
void node_strn(struct dimg_node *parent, const char *key, const char *val, size_t len);
void node_int(struct dimg_node *parent, const char *key, int64_t val);
void node_bool(struct dimg_node *parent, const char *key, bool val);
void node_time(struct dimg_node *parent, const char *key, int64_t t);
void node_null(struct dimg_node *parent, const char *key);
/* true when an allocation failed anywhere in the tree */
bool node_failed(const struct dimg_node *root);

/* ---- drivers ------------------------------------------------------------- */

struct dimg_fs_ops;

/* A container driver turns an io into a medium of logical blocks. */
struct dimg_container_driver {
	struct dimg_driver_info info;
	size_t state_size;
	/* 0..100; head holds the first head_len bytes of the io */
	int (*probe)(struct dimg_io *io, const uint8_t *head, size_t head_len);
	int (*open)(struct dimg_image *img, void *state, struct dimg_error *err);
	void (*close)(struct dimg_image *img, void *state);
	/* Reads cooked user data (2048-byte sectors for data tracks). */
	int (*read)(struct dimg_image *img, void *state, void *buf, size_t len, uint64_t off,
		    struct dimg_error *err);
	/* Adds container facts to the report. */
	int (*report)(struct dimg_image *img, void *state, struct dimg_node *root,
		      struct dimg_error *err);
};

struct dimg_fs_driver {
	struct dimg_driver_info info;
	size_t state_size;
	int (*probe)(struct dimg_image *img);
	int (*open)(struct dimg_fs *fs, void *state, const struct dimg_fs_options *opt,
		    struct dimg_error *err);
	void (*close)(struct dimg_fs *fs, void *state);
	int (*getattr)(struct dimg_fs *fs, void *state, dimg_ino ino, struct dimg_stat *st,
		       struct dimg_error *err);
	int (*lookup)(struct dimg_fs *fs, void *state, dimg_ino dir, const char *name,
		      struct dimg_stat *st, struct dimg_error *err);
	int (*readdir)(struct dimg_fs *fs, void *state, dimg_ino dir, dimg_readdir_fn fn,
		       void *ctx, struct dimg_error *err);
	int64_t (*read)(struct dimg_fs *fs, void *state, dimg_ino ino, uint64_t off, void *buf,
			size_t len, struct dimg_error *err);
	int (*readlink)(struct dimg_fs *fs, void *state, dimg_ino ino, char *buf, size_t size,
			struct dimg_error *err);
	int (*extents)(struct dimg_fs *fs, void *state, dimg_ino ino, struct dimg_extent *ext,
		       size_t max, struct dimg_error *err);
	uint64_t (*anomalies)(struct dimg_fs *fs, void *state);
	int (*report)(struct dimg_image *img, struct dimg_node *root, struct dimg_error *err);
	int (*boot_entries)(struct dimg_image *img, struct dimg_boot_entry *ents, size_t max,
			    struct dimg_error *err);
};

/* The registry (drivers.c). */
extern const struct dimg_container_driver *const dimg_container_drivers[];
extern const struct dimg_fs_driver *const dimg_fs_drivers[];

struct cd_disc;

struct dimg_image {
	struct dimg_io *io;
	struct cd_disc *disc; /* raw CD containers; plain ISO once asked for */
	const struct dimg_container_driver *drv;
	void *state;
	uint64_t size; /* cooked medium size in bytes */
	uint64_t fs_base; /* LBA where file systems start (a CD's data track) */
	char *path;
};

struct dimg_fs {
	struct dimg_image *img;
	const struct dimg_fs_driver *drv;
	void *state;
	enum dimg_view view;
	dimg_ino root;
};

/* The image as a CD: the container's disc model, or for a plain image of
 * 2048-byte sectors a one-track Mode 1 disc made on first use. */
struct cd_disc *image_disc(struct dimg_image *img, struct dimg_error *err);

/* Points file system probing at data track `number` of a CD image. */
int image_select_track(struct dimg_image *img, int number, struct dimg_error *err);

/* Reads cooked medium bytes (bounds-checked). */
int medium_read(struct dimg_image *img, void *buf, size_t len, uint64_t off,
		struct dimg_error *err);

#endif
