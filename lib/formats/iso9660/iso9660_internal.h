/* SPDX-License-Identifier: MIT */
/* Private interfaces of the ISO 9660 driver. */
#ifndef DIMG_ISO9660_INTERNAL_H
#define DIMG_ISO9660_INTERNAL_H

#include "core/core.h"
#include "formats/iso9660/iso9660_ondisk.h"

#include <pthread.h>

/* A directory record, decoded but not interpreted. */
struct iso_rec {
	uint32_t len;
	uint32_t xattr_len;
	uint32_t lba;
	uint32_t size;
	uint8_t date[7];
	uint8_t flags;
	uint8_t unit_size, gap_size;
	const uint8_t *name;
	uint32_t name_len;
	const uint8_t *sua;
	uint32_t sua_len;
};

/* One volume descriptor set (a session). */
struct iso_session {
	uint64_t start;          /* LBA where the session begins */
	uint64_t vd_lba;         /* LBA of its first volume descriptor */
	uint32_t space_size;     /* volume space size from the PVD */
	bool has_pvd;
	uint8_t pvd[ISO_SECTOR];
	bool has_joliet;
	int joliet_level;
	uint8_t joliet[ISO_SECTOR];
	bool has_iso1999;
	uint8_t iso1999[ISO_SECTOR];
	bool has_boot;
	uint32_t boot_catalog;
	int vd_count;
	bool terminated;
};

#define ISO_MAX_WARNINGS 16

struct iso_volume {
	struct iso_session *sessions; /* grown as sessions are found */
	int nsessions, cap;
	bool superblock_alias; /* LBA 16 mirrors the newest session (xorriso -dev) */
	char warnings[ISO_MAX_WARNINGS][160];
	int nwarnings;
};

/* Loads every session's volume descriptors. */
int iso_volume_load(struct dimg_image *img, struct iso_volume *vol, struct dimg_error *err);
void iso_volume_free(struct iso_volume *vol);
void iso_warn(struct iso_volume *vol, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Decodes the record at p (avail bytes remain in its sector). */
int iso_rec_parse(const uint8_t *p, size_t avail, struct iso_rec *r, bool *mismatch);
int64_t iso_time7(const uint8_t *d);
/* 17-byte "YYYYMMDDHHMMSScc"+offset; returns false when unset/invalid. */
bool iso_time17(const uint8_t *d, int64_t *out);
/* Copies a space-padded a/d-character field, trimmed. */
void iso_strfield(const uint8_t *p, size_t len, char *out, size_t out_size);
void iso_strfield_ucs2(const uint8_t *p, size_t len, char *out, size_t out_size);

/* Rock Ridge facts gathered from a record's System Use entries. */
struct iso_rr {
	bool has_px, has_ino, has_tf, has_nm, has_sl, has_pn, has_cl, has_pl, has_re, has_zf;
	bool has_sf, has_sp, has_er_rrip, nm_bad;
	uint32_t mode, nlink, uid, gid;
	uint64_t ino;
	int64_t tf_create, tf_modify, tf_access, tf_attr;
	uint8_t tf_mask;
	uint32_t pn_high, pn_low;
	uint32_t cl_lba, pl_lba;
	uint8_t sp_skip;
	/* zisofs */
	uint8_t zf_alg[2];
	uint8_t zf_hdr_div4, zf_log2;
	uint32_t zf_size;
	uint64_t sf_size;
	char *name;  /* NM, malloc'd when has_nm */
	size_t name_len;
	char *link;  /* SL target, malloc'd when has_sl */
	size_t link_len;
	char sl_sep[2];
	bool sl_done;
};

struct iso_fsctx;
/* Walks the System Use area of r (plus CE continuation areas) collecting
 * Rock Ridge facts into rr.  skip is the SP LEN_SKP. */
int iso_susp_collect(struct dimg_image *img, uint32_t block_size, const struct iso_rec *r,
		     uint32_t skip, uint64_t rec_off, struct iso_rr *rr, struct dimg_error *err);
void iso_rr_free(struct iso_rr *rr);

/* El Torito */
struct iso_boot_catalog {
	bool valid;
	uint32_t lba;
	int validation_platform;
	char id_string[25];
	bool checksum_ok;
	int nentries;
	struct dimg_boot_entry entries[DIMG_MAX_BOOT_ENTRIES];
	int section_platform[DIMG_MAX_BOOT_ENTRIES];
	char section_id[DIMG_MAX_BOOT_ENTRIES][29];
	int selection_type[DIMG_MAX_BOOT_ENTRIES];
	int system_type[DIMG_MAX_BOOT_ENTRIES];
};
int iso_boot_catalog_read(struct dimg_image *img, uint32_t lba, struct iso_boot_catalog *cat,
			  struct dimg_error *err);
const char *iso_boot_platform_name(int p);
const char *iso_boot_emulation_name(int e);

/* System area partition tables (formats/parttable) */
int parttable_report(struct dimg_image *img, struct dimg_node *parts, struct dimg_error *err);

/* The fs driver (iso9660_fs.c) */
extern const struct dimg_fs_driver iso9660_fs_driver;
int iso9660_probe_medium(struct dimg_image *img);

#endif
