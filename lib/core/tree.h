/* SPDX-License-Identifier: MIT */
/*
 * The source tree of an image being built: directories scanned with
 * openat/fstatat relative to directory descriptors, graft points merged,
 * exclusions applied.  Filesystem builders (ISO 9660 now, UDF later) plan
 * and emit from it.
 */
#ifndef DIMG_CORE_TREE_H
#define DIMG_CORE_TREE_H

#include "core/core.h"

#include <sys/types.h>

#define TREE_HIDE_PRIMARY 0x1u /* not in the ISO 9660 / Rock Ridge tree */
#define TREE_HIDE_JOLIET 0x2u

struct tree_node {
	char *name; /* UTF-8, a single component; "" for the root */
	struct tree_node *parent;
	struct tree_node **kids;
	size_t nkids, capkids;
	enum dimg_ftype type;
	uint32_t mode, uid, gid, nlink;
	int64_t mtime, atime, ctime;
	uint64_t size;
	uint64_t rdev_major, rdev_minor;
	dev_t dev;
	ino_t ino;
	char *src;  /* source path of a regular file (data is read at emit time) */
	char *link; /* symlink target */
	struct tree_node *hardlink; /* first node with the same (dev, ino) */
	uint32_t serial;            /* Rock Ridge file serial number */
	int weight;                 /* sort weight: higher is placed first */
	unsigned hide;              /* TREE_HIDE_* */
	int depth;                  /* root = 0 */
	void *priv;                 /* builder data */
};

struct tree_pattern {
	char *glob;
	unsigned what; /* exclusion, or TREE_HIDE_* */
};

struct tree {
	struct tree_node *root;
	size_t nodes, files, dirs;
	uint64_t bytes;
	bool follow_links;
	struct tree_pattern *pats;
	size_t npats;
	struct tree_node **by_inode; /* hard link table, open addressing */
	size_t inode_cap, inode_count;
	uint32_t next_serial;
};

int tree_init(struct tree *t, struct dimg_error *err);
void tree_free(struct tree *t);
/* what: 0 = exclude, else TREE_HIDE_* */
int tree_add_pattern(struct tree *t, const char *glob, unsigned what, struct dimg_error *err);
/* Adds `source` (a directory: its contents; otherwise the file itself) at
 * `target` ("/" or "/a/b"; for a file, the target names the file). */
int tree_add(struct tree *t, const char *target, const char *source, struct dimg_error *err);
/* Finds a node by '/'-separated path, or NULL. */
struct tree_node *tree_lookup(struct tree *t, const char *path);
/* The node's path from the root ("/a/b"), written into buf. */
void tree_path(const struct tree_node *n, char *buf, size_t size);
/* Sets the weight of a path (exact match); returns 0 or DIMG_ENOTFOUND. */
int tree_set_weight(struct tree *t, const char *path, int weight);
/* Same, by source path (mkisofs -sort names source files). */
int tree_set_weight_src(struct tree *t, const char *src, int weight);
/* The newest modification time in the tree (0 if empty). */
int64_t tree_newest_mtime(const struct tree *t);
/* Applies hide patterns after all sources were added. */
void tree_apply_hide(struct tree *t);

#endif
