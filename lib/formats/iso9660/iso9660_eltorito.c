/* SPDX-License-Identifier: MIT */
/* El Torito boot catalog (El Torito 1.0, 2.x): validation entry, default
 * entry, section headers, section entries and extension entries. */
#include "formats/iso9660/iso9660_fs_internal.h"
#include "util/bytes.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

const char *iso_boot_platform_name(int p)
{
	switch (p) {
	case 0x00: return "bios";
	case 0x01: return "powerpc";
	case 0x02: return "mac";
	case 0xEF: return "efi";
	default: return "other";
	}
}

const char *iso_boot_emulation_name(int e)
{
	switch (e) {
	case 0: return "none";
	case 1: return "floppy-1.2";
	case 2: return "floppy-1.44";
	case 3: return "floppy-2.88";
	case 4: return "hard-disk";
	default: return "unknown";
	}
}

static void add_entry(struct iso_boot_catalog *cat, const uint8_t *e, int platform,
		      const char *section_id)
{
	struct dimg_boot_entry *b;
	int i = cat->nentries;
	if (i >= DIMG_MAX_BOOT_ENTRIES)
		return;
	b = &cat->entries[i];
	memset(b, 0, sizeof(*b));
	b->index = i;
	b->platform = platform;
	b->bootable = e[0] == ELT_BOOTABLE;
	b->emulation = e[1] & 0x0F;
	b->load_segment = ld_le16(e + 2);
	cat->system_type[i] = e[4];
	b->load_size = ld_le16(e + 6);
	b->lba = ld_le32(e + 8);
	cat->selection_type[i] = e[12];
	cat->section_platform[i] = platform;
	snprintf(cat->section_id[i], sizeof(cat->section_id[i]), "%s", section_id);
	cat->nentries++;
}

int iso_boot_catalog_read(struct dimg_image *img, uint32_t lba, struct iso_boot_catalog *cat,
			  struct dimg_error *err)
{
	uint8_t *buf;
	size_t max = DIMG_MAX_BOOT_CATALOG_SECTORS * ISO_SECTOR, len;
	uint64_t off = (uint64_t)lba * ISO_SECTOR;
	uint16_t sum = 0;
	int rc, platform;
	size_t pos;
	bool more_sections = false;

	memset(cat, 0, sizeof(*cat));
	cat->lba = lba;
	if (off + ELT_ENTRY * 2 > img->size)
		return dimg_err(err, DIMG_ERANGE, (int64_t)off,
				"boot catalog (block %u) lies past the end of the image", lba);
	len = img->size - off < max ? (size_t)(img->size - off) : max;
	buf = malloc(len);
	if (!buf)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	rc = medium_read(img, buf, len, off, err);
	if (rc) {
		free(buf);
		return rc;
	}
	if (buf[0] != ELT_HDR_VALIDATION || buf[30] != 0x55 || buf[31] != 0xAA) {
		free(buf);
		return dimg_err(err, DIMG_EFORMAT, (int64_t)off,
				"boot catalog has no validation entry");
	}
	for (int i = 0; i < ELT_ENTRY; i += 2)
		sum = (uint16_t)(sum + ld_le16(buf + i));
	cat->checksum_ok = sum == 0;
	cat->validation_platform = buf[1];
	platform = buf[1];
	{
		char id[25];
		memcpy(id, buf + 4, 24);
		id[24] = 0;
		iso_strfield((const uint8_t *)id, 24, cat->id_string, sizeof(cat->id_string));
	}
	cat->valid = true;
	/* Initial/default entry */
	add_entry(cat, buf + ELT_ENTRY, platform, "");
	pos = 2 * ELT_ENTRY;
	more_sections = pos + ELT_ENTRY <= len &&
			(buf[pos] == ELT_HDR_SECTION || buf[pos] == ELT_HDR_FINAL);
	while (more_sections && pos + ELT_ENTRY <= len) {
		const uint8_t *h = buf + pos;
		int count = ld_le16(h + 2);
		char sid[29];
		bool final = h[0] == ELT_HDR_FINAL;
		if (h[0] != ELT_HDR_SECTION && h[0] != ELT_HDR_FINAL)
			break;
		platform = h[1];
		iso_strfield(h + 4, 28, sid, sizeof(sid));
		pos += ELT_ENTRY;
		for (int i = 0; i < count && pos + ELT_ENTRY <= len; i++) {
			const uint8_t *e = buf + pos;
			if (e[0] != ELT_BOOTABLE && e[0] != ELT_NOT_BOOTABLE)
				break;
			add_entry(cat, e, platform, sid);
			pos += ELT_ENTRY;
			/* extension entries follow an entry whose media byte has bit 5 */
			if (e[1] & 0x20)
				while (pos + ELT_ENTRY <= len && buf[pos] == ELT_EXTENSION) {
					bool last = !(buf[pos + 1] & 0x20);
					pos += ELT_ENTRY;
					if (last)
						break;
				}
		}
		if (final || cat->nentries >= DIMG_MAX_BOOT_ENTRIES)
			break;
	}
	free(buf);
	return 0;
}

/* The real size of a boot image: emulated floppies have fixed sizes, hard
 * disk images end with their last partition, and no-emulation images are
 * often longer than the catalog's sector count says (it only tells the BIOS
 * how much to load): a file of the tree starting there gives the size. */
struct find_ctx {
	struct iso_boot_catalog *cat;
	uint64_t sizes[DIMG_MAX_BOOT_ENTRIES];
};

static int find_cb(void *ctx, const struct dimg_walk_entry *e)
{
	struct find_ctx *f = ctx;
	if (e->problem || e->st.type != DIMG_FT_FILE || !e->st.data_offset)
		return 0;
	for (int i = 0; i < f->cat->nentries; i++)
		if (e->st.data_offset == f->cat->entries[i].lba * ISO_SECTOR &&
		    e->st.size > f->sizes[i])
			f->sizes[i] = e->st.size;
	return 0;
}

static void resolve_sizes(struct dimg_image *img, struct iso_boot_catalog *cat)
{
	struct dimg_fs *fs = NULL;
	struct dimg_error tmp;
	struct find_ctx f;
	struct dimg_fs_options o = { .view = DIMG_VIEW_PLAIN };
	memset(&f, 0, sizeof(f));
	f.cat = cat;
	dimg_error_clear(&tmp);
	if (dimg_fs_open(&fs, img, &o, &tmp) == 0) {
		dimg_fs_walk(fs, dimg_fs_root(fs), "", 0, find_cb, &f, &tmp);
		dimg_fs_close(fs);
	}
	for (int i = 0; i < cat->nentries; i++) {
		struct dimg_boot_entry *b = &cat->entries[i];
		uint64_t catalog = (uint64_t)b->load_size * 512;
		static const uint64_t floppy[] = { 0, 1228800, 1474560, 2949120 };
		b->size = catalog;
		snprintf(b->size_source, sizeof(b->size_source), "catalog");
		if (b->emulation >= 1 && b->emulation <= 3) {
			b->size = floppy[b->emulation];
			snprintf(b->size_source, sizeof(b->size_source), "floppy");
		} else if (b->emulation == 4) {
			uint8_t mbr[512];
			uint64_t end = 0;
			dimg_error_clear(&tmp);
			if (b->lba * ISO_SECTOR + 512 <= img->size &&
			    medium_read(img, mbr, 512, b->lba * ISO_SECTOR, &tmp) == 0 &&
			    mbr[510] == 0x55 && mbr[511] == 0xAA) {
				for (int p = 0; p < 4; p++) {
					const uint8_t *pe = mbr + 446 + 16 * p;
					uint64_t e = (uint64_t)ld_le32(pe + 8) + ld_le32(pe + 12);
					if (pe[4] && e > end)
						end = e;
				}
			}
			if (end) {
				b->size = end * 512;
				snprintf(b->size_source, sizeof(b->size_source), "mbr");
			}
		} else if (f.sizes[i] > catalog) {
			b->size = f.sizes[i];
			snprintf(b->size_source, sizeof(b->size_source), "file");
		}
		if (b->size == 0) {
			b->size = 512;
		}
	}
}

int iso9660_boot_entries(struct dimg_image *img, struct dimg_boot_entry *ents, size_t max,
			 struct dimg_error *err)
{
	struct iso_volume vol;
	struct iso_boot_catalog *cat;
	int rc, n;
	memset(&vol, 0, sizeof(vol));
	rc = iso_volume_load(img, &vol, err);
	if (rc) {
		iso_volume_free(&vol);
		return rc;
	}
	const struct iso_session *s = &vol.sessions[vol.nsessions - 1];
	if (!s->has_boot) {
		iso_volume_free(&vol);
		return 0;
	}
	cat = malloc(sizeof(*cat));
	if (!cat) {
		iso_volume_free(&vol);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	rc = iso_boot_catalog_read(img, s->boot_catalog, cat, err);
	iso_volume_free(&vol);
	if (rc) {
		free(cat);
		return rc;
	}
	resolve_sizes(img, cat);
	n = cat->nentries;
	for (int i = 0; i < n && (size_t)i < max; i++)
		ents[i] = cat->entries[i];
	free(cat);
	return n;
}
