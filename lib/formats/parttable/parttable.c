/* SPDX-License-Identifier: MIT */
/*
 * Partition tables in a system area or at the start of a disk: MBR
 * (including isohybrid), GPT (UEFI 2.x, 512-byte sectors) and Apple
 * Partition Map (block size from the driver descriptor).  Read only, bounded.
 */
#include "formats/iso9660/iso9660_internal.h"
#include "util/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTOR 512u

static void guid_str(const uint8_t *g, char *out)
{
	/* first three fields little-endian (UEFI 2.x, appendix A) */
	snprintf(out, 37, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", ld_le32(g),
		 ld_le16(g + 4), ld_le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14],
		 g[15]);
}

static const char *gpt_type_name(const char *guid)
{
	static const struct {
		const char *guid, *name;
	} known[] = {
		{ "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "efi-system" },
		{ "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "basic-data" },
		{ "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "linux-data" },
		{ "21686148-6449-6E6F-744E-656564454649", "bios-boot" },
		{ "48465300-0000-11AA-AA11-00306543ECAC", "apple-hfs" },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].guid, guid))
			return known[i].name;
	return NULL;
}

static int report_gpt(struct dimg_image *img, struct dimg_node *parts, struct dimg_error *err)
{
	uint8_t hdr[SECTOR];
	uint8_t *tab;
	uint64_t lba, tab_off;
	uint32_t count, esize;
	size_t tab_len;
	struct dimg_error tmp;
	dimg_error_clear(&tmp);
	if (img->size < 2 * SECTOR || medium_read(img, hdr, SECTOR, SECTOR, &tmp))
		return 0;
	if (memcmp(hdr, "EFI PART", 8))
		return 0;
	lba = ld_le64(hdr + 72);
	count = ld_le32(hdr + 80);
	esize = ld_le32(hdr + 84);
	if (esize < 128 || esize > 4096 || count == 0)
		return 0;
	if (count > DIMG_MAX_GPT_ENTRIES)
		count = DIMG_MAX_GPT_ENTRIES;
	if (lba > img->size / SECTOR)
		return 0;
	tab_off = lba * SECTOR;
	tab_len = (size_t)count * esize;
	if (tab_off + tab_len > img->size)
		tab_len = (size_t)((img->size - tab_off) / esize * esize);
	tab = malloc(tab_len ? tab_len : 1);
	if (!tab)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	if (medium_read(img, tab, tab_len, tab_off, &tmp) == 0) {
		for (size_t i = 0; i + esize <= tab_len; i += esize) {
			const uint8_t *e = tab + i;
			char type[37], uid[37], name[128];
			static const uint8_t zero[16];
			if (!memcmp(e, zero, 16))
				continue;
			guid_str(e, type);
			guid_str(e + 16, uid);
			uint64_t first = ld_le64(e + 32), last = ld_le64(e + 40);
			struct dimg_node *o = node_object(parts, NULL);
			node_str(o, "scheme", "gpt");
			node_int(o, "number", (int64_t)(i / esize + 1));
			node_str(o, "type", type);
			const char *tn = gpt_type_name(type);
			if (tn)
				node_str(o, "type_name", tn);
			else
				node_null(o, "type_name");
			node_str(o, "guid", uid);
			node_int(o, "start", (int64_t)(first * SECTOR));
			node_int(o, "size",
				 last >= first ? (int64_t)((last - first + 1) * SECTOR) : 0);
			node_int(o, "first_lba", (int64_t)first);
			node_int(o, "last_lba", (int64_t)last);
			node_int(o, "attributes", (int64_t)ld_le64(e + 48));
			{
				/* names are UTF-16LE: swap into BE for the converter */
				uint8_t be[72];
				for (int k = 0; k < 72; k += 2) {
					be[k] = e[56 + k + 1];
					be[k + 1] = e[56 + k];
				}
				iso_strfield_ucs2(be, 72, name, sizeof(name));
			}
			node_str(o, "name", name);
		}
	}
	free(tab);
	return 0;
}

static void report_apm(struct dimg_image *img, struct dimg_node *parts)
{
	uint8_t b[SECTOR];
	struct dimg_error tmp;
	uint32_t bs, n;
	dimg_error_clear(&tmp);
	if (medium_read(img, b, SECTOR, 0, &tmp) || b[0] != 'E' || b[1] != 'R')
		return;
	bs = ld_be16(b + 2);
	if (bs != 512 && bs != 1024 && bs != 2048 && bs != 4096)
		return;
	n = 1;
	for (uint32_t i = 1; i <= n && i <= DIMG_MAX_APM_ENTRIES; i++) {
		char name[33], type[33];
		if ((uint64_t)i * bs + SECTOR > img->size ||
		    medium_read(img, b, SECTOR, (uint64_t)i * bs, &tmp))
			break;
		if (b[0] != 'P' || b[1] != 'M')
			break;
		n = ld_be32(b + 4);
		iso_strfield(b + 16, 32, name, sizeof(name));
		iso_strfield(b + 48, 32, type, sizeof(type));
		struct dimg_node *o = node_object(parts, NULL);
		node_str(o, "scheme", "apm");
		node_int(o, "number", i);
		node_str(o, "type", type);
		node_str(o, "name", name);
		node_int(o, "start", (int64_t)ld_be32(b + 8) * bs);
		node_int(o, "size", (int64_t)ld_be32(b + 12) * bs);
		node_int(o, "block_size", bs);
	}
}

int parttable_report(struct dimg_image *img, struct dimg_node *parts, struct dimg_error *err)
{
	uint8_t mbr[SECTOR];
	struct dimg_error tmp;
	bool protective = false;
	dimg_error_clear(&tmp);
	report_apm(img, parts);
	if (img->size >= SECTOR && medium_read(img, mbr, SECTOR, 0, &tmp) == 0 &&
	    mbr[510] == 0x55 && mbr[511] == 0xAA) {
		for (int i = 0; i < 4; i++) {
			const uint8_t *e = mbr + 446 + 16 * i;
			char type[8];
			/* an all-empty slot; isohybrid's partition 1 may have type
			 * 0 with a size, which is reported */
			if (e[4] == 0 && ld_le32(e + 12) == 0)
				continue;
			if (e[0] != 0 && e[0] != 0x80)
				continue; /* not a partition entry (boot code) */
			if (e[4] == 0xEE)
				protective = true;
			snprintf(type, sizeof(type), "0x%02x", e[4]);
			struct dimg_node *o = node_object(parts, NULL);
			node_str(o, "scheme", "mbr");
			node_int(o, "number", i + 1);
			node_str(o, "type", type);
			node_bool(o, "bootable", e[0] == 0x80);
			node_int(o, "start", (int64_t)ld_le32(e + 8) * SECTOR);
			node_int(o, "size", (int64_t)ld_le32(e + 12) * SECTOR);
			node_int(o, "first_lba", ld_le32(e + 8));
			node_int(o, "sectors", ld_le32(e + 12));
		}
	}
	/* GPT is looked for whether the MBR is protective, hybrid (isohybrid
	 * with a GPT) or absent. */
	(void)protective;
	return report_gpt(img, parts, err);
}
