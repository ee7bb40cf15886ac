/* SPDX-License-Identifier: MIT */
/* State of an open ISO 9660 filesystem view. */
#ifndef DIMG_ISO9660_FS_INTERNAL_H
#define DIMG_ISO9660_FS_INTERNAL_H

#include "formats/iso9660/iso9660_internal.h"

struct iso_extent {
	uint64_t lba;    /* as recorded */
	uint64_t offset; /* byte offset of the data (extended attributes skipped) */
	uint64_t size;
	uint8_t unit, gap; /* interleaving, in logical blocks */
};

struct iso_node {
	struct dimg_stat st;
	bool badname;
	uint8_t rec_flags;
	struct iso_extent *ext; /* &ext1 or malloc'd */
	struct iso_extent ext1;
	uint32_t next_count;
	char *link;
	bool relocated_away; /* RE: shown at its CL placeholder instead */
	bool cl;
	uint32_t cl_lba;
	bool zf;
	uint32_t zf_size, zf_hdr;
	uint8_t zf_log2;
	uint64_t stored_size;
	bool sparse_rrip;
	char zf_unsupported[2]; /* algorithm of a ZF entry we cannot decode */
	int refs;
	/* last: resetting a node for reuse clears only what precedes it */
	char name[DIMG_MAX_NAME_BYTES + 8];
};

#define ISO_NODE_CACHE 64

/* Decompressed zisofs blocks: a bounded LRU shared by all readers (FUSE
 * threads), so each block is inflated once while it stays in use. */
#define ISO_ZCACHE_BLOCKS 32

struct iso_zcache {
	dimg_ino ino;
	uint64_t block;
	uint32_t len;
	bool valid;
	uint64_t used; /* LRU clock */
	uint8_t data[1u << DIMG_ZISOFS_MAX_LOG2];
};

struct iso_fs {
	struct dimg_image *img;
	struct iso_volume vol;
	int session;
	uint64_t vd_lba;
	uint32_t bs;
	enum dimg_view view;
	bool has_rr, use_rr, rr_er_1991a;
	uint32_t susp_skip;
	dimg_ino root_ino;
	bool rr_moved_known;
	dimg_ino rr_moved_ino;
	pthread_mutex_t lock;
	bool lock_init;
	struct iso_node *cache[ISO_NODE_CACHE];
	struct iso_zcache *zcache; /* ISO_ZCACHE_BLOCKS entries, allocated on first use */
	uint64_t zclock;
	uint64_t endian_mismatches; /* directory records read whose halves differ */
};

int iso_fs_init(struct iso_fs *fs, struct dimg_image *img, const struct dimg_fs_options *opt,
		struct dimg_error *err);
void iso_fs_fini(struct iso_fs *fs);
int iso_node_get(struct iso_fs *fs, dimg_ino ino, struct iso_node **out, struct dimg_error *err);
void iso_node_put(struct iso_fs *fs, struct iso_node *n);
void iso_node_free(struct iso_node *n);
bool iso_is_rr_moved(struct iso_fs *fs, const struct iso_node *n);
int iso_read_stored(struct iso_fs *fs, const struct iso_node *n, uint64_t off, uint8_t *buf,
		    size_t len, struct dimg_error *err);
int iso_zisofs_read(struct iso_fs *fs, const struct iso_node *n, uint64_t off, uint8_t *buf,
		    size_t len, struct dimg_error *err);
/* Size of the regular file whose data starts at block lba, found by walking
 * the tree (boot images listed in the catalog); 0 when none. */
int iso_find_file_at(struct iso_fs *fs, uint64_t lba, uint64_t *size, struct dimg_error *err);

int iso9660_report(struct dimg_image *img, struct dimg_node *root, struct dimg_error *err);
int iso9660_boot_entries(struct dimg_image *img, struct dimg_boot_entry *ents, size_t max,
			 struct dimg_error *err);

#endif
