/* SPDX-License-Identifier: MIT */
/* Volume descriptor sets and sessions (ECMA-119 8, El Torito 2.0). */
#include "formats/iso9660/iso9660_internal.h"
#include "util/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void iso_warn(struct iso_volume *vol, const char *fmt, ...)
{
	va_list ap;
	if (vol->nwarnings >= ISO_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(vol->warnings[vol->nwarnings], sizeof(vol->warnings[0]), fmt, ap);
	va_end(ap);
	for (int i = 0; i < vol->nwarnings; i++)
		if (!strcmp(vol->warnings[i], vol->warnings[vol->nwarnings]))
			return;
	vol->nwarnings++;
}

static bool is_vd(const uint8_t *s)
{
	return memcmp(s + ISO_VD_ID, "CD001", 5) == 0;
}

static int joliet_level(const uint8_t *svd)
{
	const uint8_t *e = svd + ISO_PVD_ESCAPES;
	if (e[0] != '%' || e[1] != '/')
		return 0;
	switch (e[2]) {
	case '@': return 1;
	case 'C': return 2;
	case 'E': return 3;
	default: return 0;
	}
}

/* Reads the descriptor set of the session starting at `start`.  Returns 0 and
 * fills s when a primary descriptor was found. */
static int load_set(struct dimg_image *img, struct iso_volume *vol, uint64_t start,
		    struct iso_session *s, struct dimg_error *err)
{
	uint8_t sec[ISO_SECTOR];
	memset(s, 0, sizeof(*s));
	s->start = start;
	s->vd_lba = start + ISO_VD_START_LBA;
	for (int i = 0; i < DIMG_MAX_VDS; i++) {
		uint64_t lba = s->vd_lba + (uint64_t)i;
		uint64_t off = lba * ISO_SECTOR;
		if (off + ISO_SECTOR > img->size)
			break;
		int rc = medium_read(img, sec, ISO_SECTOR, off, err);
		if (rc)
			return rc;
		if (!is_vd(sec))
			break;
		s->vd_count++;
		switch (sec[ISO_VD_TYPE]) {
		case ISO_VDT_PRIMARY:
			if (!s->has_pvd) {
				memcpy(s->pvd, sec, ISO_SECTOR);
				s->has_pvd = true;
				s->space_size = ld_le32(sec + ISO_PVD_SPACE_SIZE);
				if (vol && s->space_size != ld_be32(sec + ISO_PVD_SPACE_SIZE + 4))
					iso_warn(vol, "volume space size: little- and big-endian "
						      "values differ at byte offset %llu",
						 (unsigned long long)(off + ISO_PVD_SPACE_SIZE));
			}
			break;
		case ISO_VDT_SUPPLEMENTARY:
			if (sec[ISO_VD_VERSION] == 2 && !s->has_iso1999) {
				memcpy(s->iso1999, sec, ISO_SECTOR);
				s->has_iso1999 = true;
			} else if (joliet_level(sec) && !s->has_joliet) {
				memcpy(s->joliet, sec, ISO_SECTOR);
				s->has_joliet = true;
				s->joliet_level = joliet_level(sec);
			}
			break;
		case ISO_VDT_BOOT:
			if (!memcmp(sec + ISO_BR_SYSTEM_ID, "EL TORITO SPECIFICATION", 23) &&
			    !s->has_boot) {
				s->has_boot = true;
				s->boot_catalog = ld_le32(sec + ISO_BR_CATALOG_LBA);
			}
			break;
		case ISO_VDT_TERMINATOR:
			s->terminated = true;
			return s->has_pvd ? 0 : DIMG_ENOTFOUND;
		default:
			break;
		}
	}
	return s->has_pvd ? 0 : DIMG_ENOTFOUND;
}

void iso_volume_free(struct iso_volume *vol)
{
	free(vol->sessions);
	vol->sessions = NULL;
	vol->nsessions = vol->cap = 0;
}

/* Returns a new slot at the end (not yet counted) or NULL. */
static struct iso_session *slot(struct iso_volume *vol)
{
	if (vol->nsessions >= DIMG_MAX_SESSIONS)
		return NULL;
	if (vol->nsessions == vol->cap) {
		int cap = vol->cap ? vol->cap * 2 : 2;
		struct iso_session *n = realloc(vol->sessions, (size_t)cap * sizeof(*n));
		if (!n)
			return NULL;
		vol->sessions = n;
		vol->cap = cap;
	}
	return &vol->sessions[vol->nsessions];
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

static uint32_t root_lba(const struct iso_session *s)
{
	return ld_le32(s->pvd + ISO_PVD_ROOT_RECORD + ISO_DR_EXTENT);
}

/* Finds the session after s: writers either store an absolute volume space
 * size (mkisofs -C) or the session's own size (xorriso on overwritable
 * media, 32-block aligned), and real discs add lead-in/lead-out gaps. */
static int next_session(struct dimg_image *img, const struct iso_session *s,
			struct iso_session *next, struct dimg_error *err)
{
	uint64_t ends[2];
	int nends = 0;
	uint64_t blocks = img->size / ISO_SECTOR;
	if (s->space_size > s->start)
		ends[nends++] = s->space_size;
	ends[nends++] = s->start + s->space_size;
	for (int i = 0; i < nends; i++) {
		uint64_t e = ends[i];
		const uint64_t cand[] = { e, align_up(e, 16), align_up(e, 32), e + 150, e + 6900,
					  e + 11400 };
		for (size_t k = 0; k < sizeof(cand) / sizeof(cand[0]); k++) {
			uint64_t c = cand[k];
			if (c <= s->start || c + ISO_VD_START_LBA + 1 > blocks)
				continue;
			struct dimg_error tmp;
			dimg_error_clear(&tmp);
			if (load_set(img, NULL, c, next, &tmp) == 0 && root_lba(next) >= c)
				return 0;
			if (tmp.code == DIMG_EIO) {
				*err = tmp;
				return tmp.code;
			}
		}
	}
	return DIMG_ENOTFOUND;
}

int iso_volume_load(struct dimg_image *img, struct iso_volume *vol, struct dimg_error *err)
{
	struct iso_session first, *cur, *n;
	uint64_t cur_start;
	int rc;

	vol->nsessions = 0;
	if (!slot(vol))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	rc = load_set(img, vol, img->fs_base, &first, err);
	if (rc == DIMG_ENOTFOUND)
		return dimg_err(err, DIMG_EFORMAT, ISO_VD_START_LBA * ISO_SECTOR,
				"no ISO 9660 primary volume descriptor");
	if (rc)
		return rc;
	/* xorriso on a regular file keeps a copy of the newest session's
	 * descriptors at LBA 16 and writes session 1 at LBA 32. */
	if (root_lba(&first) >= img->fs_base + 32) {
		struct dimg_error tmp;
		dimg_error_clear(&tmp);
		if (load_set(img, NULL, img->fs_base + 32, &vol->sessions[0], &tmp) == 0 &&
		    root_lba(&vol->sessions[0]) >= img->fs_base + 32) {
			vol->superblock_alias = true;
			vol->nsessions = 1;
		}
	}
	if (!vol->superblock_alias) {
		vol->sessions[0] = first;
		vol->nsessions = 1;
	}
	while ((n = slot(vol)) != NULL) {
		cur = &vol->sessions[vol->nsessions - 1];
		cur_start = cur->start;
		rc = next_session(img, cur, n, err);
		if (rc == DIMG_ENOTFOUND)
			break;
		if (rc)
			return rc;
		if (n->start <= cur_start)
			break;
		vol->nsessions++;
	}
	if (vol->superblock_alias &&
	    root_lba(&vol->sessions[vol->nsessions - 1]) != root_lba(&first)) {
		/* The superblock does not describe the last session found: trust
		 * the superblock as the newest state. */
		iso_warn(vol, "superblock at LBA 16 does not match the last session; using it");
		if ((n = slot(vol)) != NULL) {
			*n = first;
			vol->nsessions++;
		}
	}
	return 0;
}
