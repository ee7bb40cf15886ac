/* SPDX-License-Identifier: MIT */
/* The ISO 9660 builder: plan (every block and size) then emit in order. */
#ifndef DIMG_ISO9660_BUILD_H
#define DIMG_ISO9660_BUILD_H

#include "core/tree.h"
#include "formats/iso9660/iso9660_ondisk.h"

enum { T_PRI = 0, T_JOL = 1, T_X99 = 2, NTREES = 3 };

/* System Use bytes of one directory record: what sits in the record and
 * what spills into continuation areas (chunks of at most one block). */
struct su {
	uint8_t *in;
	uint16_t in_len;
	uint8_t *ce;
	uint32_t ce_len;
	uint16_t nchunks;
	uint32_t *chunk_len;  /* bytes of each chunk (the last without CE) */
	uint64_t *chunk_pos;  /* byte offset of each chunk in the CE region */
};

/* Per tree node builder data (tree_node.priv). */
struct bn {
	struct tree_node *t;
	uint8_t *name[NTREES];
	uint8_t name_len[NTREES];
	struct bn **kids[NTREES]; /* sorted, visible children per tree */
	uint32_t nkids[NTREES];
	uint32_t dir_lba[NTREES], dir_size[NTREES];
	uint16_t ptnum[NTREES];
	uint16_t ptparent[NTREES];
	uint64_t lba;        /* data of a regular file (or the catalog) */
	bool is_catalog;
	int boot_index;      /* -1 or the El Torito entry that loads this file */
	struct su su_rec;    /* its record in the parent (Rock Ridge) */
	struct su su_dot;    /* directories: "." and ".." records */
	struct su su_dotdot;
	uint32_t mode, uid, gid;
	int64_t mtime, atime, ctime;
	/* Rock Ridge deep-directory relocation */
	struct bn *reloc_parent; /* original parent of a relocated directory */
	bool relocated;          /* lives in rr_moved (record has RE) */
	bool placeholder;        /* CL placeholder file standing for `moved` */
	struct bn *moved;
};

#define BOOT_MAX 32

struct boot_entry {
	struct dimg_boot_spec spec;
	char path[1024];
	struct bn *file;
	uint32_t load_size;
	uint8_t system_type;
};

struct part_append {
	int number, mbr_type;
	char *path;
	uint64_t size, lba;
};

struct dimg_builder {
	struct dimg_create_options o;
	char *strs[8];
	struct tree tree;
	struct bn *root;
	struct bn **dirs[NTREES]; /* directories in path-table order */
	uint32_t ndirs[NTREES];
	struct bn **files;        /* regular files in data order */
	size_t nfiles;
	bool trees[NTREES];
	int64_t now;
	/* layout */
	bool planned;
	uint64_t blocks;
	uint32_t vd_count, br_lba, svd_lba, evd_lba, term_lba;
	uint32_t catalog_lba, catalog_blocks;
	uint32_t pt_size[NTREES], pt_l_lba[NTREES], pt_m_lba[NTREES];
	uint64_t ce_lba, ce_blocks;
	uint64_t data_lba, data_end, empty_lba;
	uint64_t iso_end;       /* blocks of the ISO proper (volume space size) */
	uint64_t append_start;  /* appended partitions */
	uint64_t gpt_backup_lba;
	struct boot_entry boot[BOOT_MAX];
	int nboot;
	struct part_append parts[4];
	int nparts;
	struct bn *catalog;
	struct bn *rr_moved;
	struct bn **extra;       /* builder-made nodes (rr_moved, placeholders) */
	size_t nextra;
	uint64_t ce_total;
	uint8_t mbr_template[512];
	bool have_mbr;
};

int iso_build_plan(struct dimg_builder *b, struct dimg_error *err);
int iso_build_emit(struct dimg_builder *b, int fd, const char *out_name, dimg_progress_fn fn,
		   void *ctx, struct dimg_error *err);
/* Serialises one directory record (returns its length; p may be NULL). */
size_t iso_build_record(const struct dimg_builder *b, uint8_t *p, int tree, const struct bn *n,
			int kind, uint64_t extent, uint64_t size, uint8_t flags);

#endif
