/* SPDX-License-Identifier: MIT */
/*
 * ISO 9660 builder, emitting half: every area is written at the block the
 * plan gave it, in ascending order, to a sequential sink.  File data goes
 * with copy_file_range (holes in sparse sources stay holes), the output
 * appears atomically under its final name only when complete.
 */
#include "formats/iso9660/iso9660_build.h"
#include "util/bytes.h"
#include "util/timeconv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SINK_BUF (1u << 20)

struct sink {
	int fd;
	const char *name;
	uint8_t *buf;
	size_t used;
	uint64_t pos; /* logical position (bytes) */
	uint64_t total;
	dimg_progress_fn fn;
	void *ctx;
	uint64_t last_report;
	struct dimg_error *err;
};

static int sink_flush(struct sink *s)
{
	size_t off = 0;
	while (off < s->used) {
		ssize_t k = write(s->fd, s->buf + off, s->used - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return dimg_err_sys(s->err, errno, (int64_t)(s->pos - s->used + off),
					    "%s: write failed", s->name);
		off += (size_t)k;
	}
	s->used = 0;
	return 0;
}

static void report(struct sink *s)
{
	if (s->fn && s->pos - s->last_report >= (8u << 20)) {
		s->last_report = s->pos;
		s->fn(s->ctx, s->pos, s->total);
	}
}

static int sink_write(struct sink *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		size_t room = SINK_BUF - s->used, n = len < room ? len : room;
		memcpy(s->buf + s->used, p, n);
		s->used += n;
		s->pos += n;
		p += n;
		len -= n;
		if (s->used == SINK_BUF) {
			int rc = sink_flush(s);
			if (rc)
				return rc;
		}
	}
	report(s);
	return 0;
}

/* Zeros: small runs go through the buffer, long ones become holes. */
static int sink_zero(struct sink *s, uint64_t len)
{
	static const uint8_t zero[65536];
	if (len >= (1u << 20)) {
		int rc = sink_flush(s);
		if (rc)
			return rc;
		s->pos += len;
		if (lseek(s->fd, (off_t)s->pos, SEEK_SET) < 0)
			return dimg_err_sys(s->err, errno, (int64_t)s->pos, "%s: seek failed",
					    s->name);
		report(s);
		return 0;
	}
	while (len > 0) {
		size_t n = len < sizeof(zero) ? (size_t)len : sizeof(zero);
		int rc = sink_write(s, zero, n);
		if (rc)
			return rc;
		len -= n;
	}
	return 0;
}

static int sink_at(struct sink *s, uint64_t lba, const char *what)
{
	if (s->pos != lba * ISO_SECTOR)
		return dimg_err(s->err, DIMG_EINVAL, (int64_t)s->pos,
				"internal layout error: %s planned at block %llu, output at %llu", what,
				(unsigned long long)lba, (unsigned long long)(s->pos / ISO_SECTOR));
	return 0;
}

/* Copies len bytes of src (from offset 0) and pads to a block. */
static int sink_copy(struct sink *s, int src, const char *src_name, uint64_t len)
{
	uint64_t done = 0;
	int rc = sink_flush(s);
	if (rc)
		return rc;
	while (done < len) {
		/* skip holes of sparse sources: they stay holes in the image */
		off_t data = lseek(src, (off_t)done, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			data = (off_t)len;
		if (data > (off_t)done) {
			uint64_t hole = (uint64_t)data > len ? len - done : (uint64_t)data - done;
			done += hole;
			s->pos += hole;
			if (lseek(s->fd, (off_t)s->pos, SEEK_SET) < 0)
				return dimg_err_sys(s->err, errno, (int64_t)s->pos,
						    "%s: seek failed", s->name);
			continue;
		}
		off_t hole_at = lseek(src, (off_t)done, SEEK_HOLE);
		uint64_t run = hole_at > (off_t)done ? (uint64_t)hole_at - done : len - done;
		if (run > len - done)
			run = len - done;
		while (run > 0) {
			loff_t in = (loff_t)done;
			size_t want = run > (1u << 30) ? (1u << 30) : (size_t)run;
			ssize_t k = copy_file_range(src, &in, s->fd, NULL, want, 0);
			if (k < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
				      errno == EOPNOTSUPP)) {
				/* no kernel copy here: through the buffer */
				k = pread(src, s->buf, want < SINK_BUF ? want : SINK_BUF, (off_t)done);
				if (k > 0) {
					ssize_t w = write(s->fd, s->buf, (size_t)k);
					if (w != k)
						return dimg_err_sys(s->err, w < 0 ? errno : ENOSPC,
								    (int64_t)s->pos, "%s: write failed",
								    s->name);
				}
			}
			if (k < 0)
				return dimg_err_sys(s->err, errno, (int64_t)s->pos, "%s: copying %s",
						    s->name, src_name);
			if (k == 0)
				return dimg_err(s->err, DIMG_EIO, DIMG_OFFSET_NONE,
						"%s: file shrank while the image was written",
						src_name);
			done += (uint64_t)k;
			run -= (uint64_t)k;
			s->pos += (uint64_t)k;
			report(s);
		}
	}
	if (len % ISO_SECTOR)
		return sink_zero(s, ISO_SECTOR - len % ISO_SECTOR);
	return 0;
}

/* ---- descriptors ------------------------------------------------------- */

static void both32(uint8_t *p, uint32_t v)
{
	st_le32(p, v);
	st_be32(p + 4, v);
}

static void both16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_str(uint8_t *p, size_t field, const char *s, bool dchars)
{
	size_t n = s ? strlen(s) : 0;
	memset(p, ' ', field);
	for (size_t i = 0; i < n && i < field; i++) {
		int c = (unsigned char)s[i];
		if (dchars) {
			if (c >= 'a' && c <= 'z')
				c -= 32;
			if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
				c = '_';
		} else if (c < 0x20 || c >= 0x7F) {
			c = '_';
		}
		p[i] = (uint8_t)c;
	}
}

static void put_ucs2(uint8_t *p, size_t field, const char *s)
{
	/* field bytes, UCS-2BE, padded with spaces (0x0020) */
	size_t o = 0;
	for (size_t i = 0; i + 1 < field; i += 2) {
		p[i] = 0;
		p[i + 1] = ' ';
	}
	for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c && o + 1 < field;) {
		uint32_t cp = *c++;
		if (cp >= 0x80) {
			int more = (cp & 0xE0) == 0xC0 ? 1 : (cp & 0xF0) == 0xE0 ? 2 : 3;
			cp &= (uint32_t)(0x3F >> more);
			while (more-- && (*c & 0xC0) == 0x80)
				cp = (cp << 6) | (*c++ & 0x3F);
		}
		if (cp > 0xFFFF)
			cp = '_';
		p[o++] = (uint8_t)(cp >> 8);
		p[o++] = (uint8_t)cp;
	}
}

static void put_date17(uint8_t *p, int64_t t)
{
	int64_t y;
	int m, d, hh, mm, ss;
	char buf[20];
	if (t < 0) {
		memset(p, '0', 16);
		p[16] = 0;
		return;
	}
	tc_to_civil(t, &y, &m, &d, &hh, &mm, &ss);
	snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02d00", (int)(y % 10000), m, d, hh, mm,
		 ss);
	memcpy(p, buf, 16);
	p[16] = 0;
}

static void make_vd(const struct dimg_builder *b, uint8_t *v, int tree)
{
	bool ucs = tree == T_JOL;
	const struct dimg_create_options *o = &b->o;
	memset(v, 0, ISO_SECTOR);
	v[0] = tree == T_PRI ? ISO_VDT_PRIMARY : ISO_VDT_SUPPLEMENTARY;
	memcpy(v + 1, "CD001", 5);
	v[6] = tree == T_X99 ? 2 : 1;
	if (ucs) {
		put_ucs2(v + ISO_PVD_SYSTEM_ID, 32, o->system_id ? o->system_id : "LINUX");
		put_ucs2(v + ISO_PVD_VOLUME_ID, 32, o->volume_id ? o->volume_id : "CDROM");
		v[88] = '%';
		v[89] = '/';
		v[90] = 'E';
	} else {
		put_str(v + ISO_PVD_SYSTEM_ID, 32, o->system_id ? o->system_id : "LINUX", false);
		put_str(v + ISO_PVD_VOLUME_ID, 32, o->volume_id ? o->volume_id : "CDROM",
			tree == T_PRI);
	}
	both32(v + ISO_PVD_SPACE_SIZE, (uint32_t)b->iso_end);
	both16(v + ISO_PVD_SET_SIZE, 1);
	both16(v + ISO_PVD_SEQ_NUMBER, 1);
	both16(v + ISO_PVD_BLOCK_SIZE, ISO_SECTOR);
	both32(v + ISO_PVD_PATH_TABLE_SIZE, b->pt_size[tree]);
	st_le32(v + 140, b->pt_l_lba[tree]);
	st_be32(v + 148, b->pt_m_lba[tree]);
	{
		struct bn *r = b->root;
		uint8_t rec[64];
		size_t l = iso_build_record(b, NULL, tree, r, 1, 0, 0, 0);
		(void)l;
		/* the descriptor's root record is always 34 bytes: no System Use */
		memset(rec, 0, sizeof(rec));
		rec[0] = 34;
		both32(rec + ISO_DR_EXTENT, r->dir_lba[tree]);
		both32(rec + ISO_DR_SIZE, r->dir_size[tree]);
		{
			int64_t y;
			int m, d, hh, mm, ss;
			tc_to_civil(r->mtime, &y, &m, &d, &hh, &mm, &ss);
			rec[18] = (uint8_t)(y < 1900 ? 0 : y - 1900);
			rec[19] = (uint8_t)m;
			rec[20] = (uint8_t)d;
			rec[21] = (uint8_t)hh;
			rec[22] = (uint8_t)mm;
			rec[23] = (uint8_t)ss;
		}
		rec[ISO_DR_FLAGS] = ISO_DRF_DIRECTORY;
		rec[ISO_DR_VOLSEQ] = 1;
		rec[ISO_DR_VOLSEQ + 3] = 1;
		rec[ISO_DR_NAME_LEN] = 1;
		memcpy(v + ISO_PVD_ROOT_RECORD, rec, 34);
	}
	if (ucs) {
		put_ucs2(v + ISO_PVD_VOLUME_SET_ID, 128, o->volume_set);
		put_ucs2(v + ISO_PVD_PUBLISHER_ID, 128, o->publisher);
		put_ucs2(v + ISO_PVD_PREPARER_ID, 128, o->preparer ? o->preparer : "DIMG");
		put_ucs2(v + ISO_PVD_APPLICATION_ID, 128, o->application ? o->application : "DIMG");
		put_ucs2(v + ISO_PVD_COPYRIGHT_FILE, 36, NULL);
		put_ucs2(v + ISO_PVD_ABSTRACT_FILE, 36, NULL);
		put_ucs2(v + ISO_PVD_BIBLIO_FILE, 36, NULL);
	} else {
		put_str(v + ISO_PVD_VOLUME_SET_ID, 128, o->volume_set, true);
		put_str(v + ISO_PVD_PUBLISHER_ID, 128, o->publisher, false);
		put_str(v + ISO_PVD_PREPARER_ID, 128, o->preparer ? o->preparer : "DIMG", false);
		put_str(v + ISO_PVD_APPLICATION_ID, 128, o->application ? o->application : "DIMG",
			false);
		put_str(v + ISO_PVD_COPYRIGHT_FILE, 37, NULL, false);
		put_str(v + ISO_PVD_ABSTRACT_FILE, 37, NULL, false);
		put_str(v + ISO_PVD_BIBLIO_FILE, 37, NULL, false);
	}
	put_date17(v + ISO_PVD_CREATION_DATE, b->now);
	put_date17(v + ISO_PVD_MODIFICATION_DATE, b->now);
	put_date17(v + ISO_PVD_EXPIRATION_DATE, -1);
	put_date17(v + ISO_PVD_EFFECTIVE_DATE, b->now);
	v[ISO_PVD_FS_VERSION] = tree == T_X99 ? 2 : 1;
}

/* ---- El Torito ---------------------------------------------------------- */

static void boot_entry(const struct boot_entry *e, uint8_t *p)
{
	memset(p, 0, ELT_ENTRY);
	p[0] = e->spec.not_bootable ? ELT_NOT_BOOTABLE : ELT_BOOTABLE;
	p[1] = (uint8_t)e->spec.emulation;
	st_le16(p + 2, e->spec.load_segment);
	p[4] = e->system_type;
	st_le16(p + 6, (uint16_t)e->load_size);
	st_le32(p + 8, (uint32_t)e->file->lba);
}

static void make_catalog(const struct dimg_builder *b, uint8_t *c)
{
	uint16_t sum = 0;
	memset(c, 0, ISO_SECTOR);
	c[0] = ELT_HDR_VALIDATION;
	c[1] = (uint8_t)b->boot[0].spec.platform;
	c[30] = 0x55;
	c[31] = 0xAA;
	for (int i = 0; i < ELT_ENTRY; i += 2)
		sum = (uint16_t)(sum + ld_le16(c + i));
	st_le16(c + 28, (uint16_t)(0x10000 - sum));
	boot_entry(&b->boot[0], c + ELT_ENTRY);
	size_t pos = 2 * ELT_ENTRY;
	for (int i = 1; i < b->nboot && pos + 2 * ELT_ENTRY <= ISO_SECTOR; i++) {
		uint8_t *h = c + pos;
		h[0] = i == b->nboot - 1 ? ELT_HDR_FINAL : ELT_HDR_SECTION;
		h[1] = (uint8_t)b->boot[i].spec.platform;
		st_le16(h + 2, 1);
		pos += ELT_ENTRY;
		boot_entry(&b->boot[i], c + pos);
		pos += ELT_ENTRY;
	}
}

/* ---- hybrid MBR / GPT --------------------------------------------------- */

static uint64_t mix64(uint64_t h, const void *data, size_t n)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001B3ull;
	}
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	return h ^ (h >> 32);
}

/* GUIDs derived from the image's own descriptor: unique per image, and the
 * same for the same input (reproducible builds). */
static void make_guid(const uint8_t *pvd, int which, uint8_t *g)
{
	uint64_t a = mix64(0xCBF29CE484222325ull + (uint64_t)which, pvd, ISO_SECTOR);
	uint64_t b = mix64(a ^ 0x9E3779B97F4A7C15ull, pvd + 813, 64);
	for (int i = 0; i < 8; i++) {
		g[i] = (uint8_t)(a >> (8 * i));
		g[8 + i] = (uint8_t)(b >> (8 * i));
	}
	g[7] = (uint8_t)((g[7] & 0x0F) | 0x40); /* version 4 (random-like) */
	g[8] = (uint8_t)((g[8] & 0x3F) | 0x80); /* RFC 4122 variant */
}

static void chs(uint64_t lba, uint8_t *p)
{
	uint64_t c = lba / (64 * 32), h = (lba / 32) % 64, s = lba % 32 + 1;
	if (c > 1023) {
		c = 1023;
		h = 63;
		s = 32;
	}
	p[0] = (uint8_t)h;
	p[1] = (uint8_t)(s | ((c >> 2) & 0xC0));
	p[2] = (uint8_t)c;
}

static void mbr_part(uint8_t *mbr, int slot, bool active, uint8_t type, uint64_t start,
		     uint64_t count)
{
	uint8_t *e = mbr + 446 + 16 * slot;
	if (start > 0xFFFFFFFFull)
		start = 0xFFFFFFFFull;
	if (count > 0xFFFFFFFFull - start)
		count = 0xFFFFFFFFull - start;
	e[0] = active ? 0x80 : 0;
	chs(start, e + 1);
	e[4] = type;
	chs(start + (count ? count - 1 : 0), e + 5);
	st_le32(e + 8, (uint32_t)start);
	st_le32(e + 12, (uint32_t)count);
}

static const struct boot_entry *efi_entry(const struct dimg_builder *b)
{
	for (int i = 0; i < b->nboot; i++)
		if (b->boot[i].spec.platform == 0xEF)
			return &b->boot[i];
	return NULL;
}

static void gpt_entry(uint8_t *e, const uint8_t *type, const uint8_t *guid, uint64_t first,
		      uint64_t last, uint64_t attrs, const char *name)
{
	memset(e, 0, 128);
	memcpy(e, type, 16);
	memcpy(e + 16, guid, 16);
	st_le32(e + 32, (uint32_t)first);
	st_le32(e + 36, (uint32_t)(first >> 32));
	st_le32(e + 40, (uint32_t)last);
	st_le32(e + 44, (uint32_t)(last >> 32));
	st_le32(e + 48, (uint32_t)attrs);
	st_le32(e + 52, (uint32_t)(attrs >> 32));
	for (int i = 0; name[i] && i < 36; i++)
		e[56 + 2 * i] = (uint8_t)name[i];
}

static const uint8_t GPT_BASIC[16] = { 0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44,
				       0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7 };
static const uint8_t GPT_ESP[16] = { 0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
				     0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B };

#define GPT_ENTRIES 128

static void gpt_table(const struct dimg_builder *b, const uint8_t *pvd, uint8_t *ents)
{
	uint8_t g[16];
	int n = 0;
	const struct boot_entry *efi = efi_entry(b);
	memset(ents, 0, GPT_ENTRIES * 128);
	make_guid(pvd, 1, g);
	gpt_entry(ents + 128 * n++, GPT_BASIC, g, 0, b->iso_end * 4 - 1, 0x1000000000000001ull,
		  "ISOHybrid");
	if (efi) {
		make_guid(pvd, 2, g);
		uint64_t first = efi->file->lba * 4;
		uint64_t cnt = (efi->file->t->size + 511) / 512;
		gpt_entry(ents + 128 * n++, b->o.gpt_esp ? GPT_ESP : GPT_BASIC, g, first,
			  first + (cnt ? cnt : 1) - 1, 0x1000000000000001ull, "ISOHybrid1");
	}
	for (int i = 0; i < b->nparts && n < GPT_ENTRIES; i++) {
		make_guid(pvd, 10 + i, g);
		uint64_t first = b->parts[i].lba * 4, cnt = (b->parts[i].size + 511) / 512;
		gpt_entry(ents + 128 * n++, b->parts[i].mbr_type == 0xEF ? GPT_ESP : GPT_BASIC, g,
			  first, first + (cnt ? cnt : 1) - 1, 0, "Appended");
	}
}

static void gpt_header(const struct dimg_builder *b, const uint8_t *pvd, const uint8_t *ents,
		       bool backup, uint8_t *h)
{
	uint64_t total = b->blocks * 4;
	uint64_t me = backup ? total - 1 : 1, other = backup ? 1 : total - 1;
	uint64_t ent_lba = backup ? total - 1 - 32 : 2;
	uint8_t g[16];
	memset(h, 0, 512);
	memcpy(h, "EFI PART", 8);
	st_le32(h + 8, 0x00010000);
	st_le32(h + 12, 92);
	st_le32(h + 24, (uint32_t)me);
	st_le32(h + 28, (uint32_t)(me >> 32));
	st_le32(h + 32, (uint32_t)other);
	st_le32(h + 36, (uint32_t)(other >> 32));
	st_le32(h + 40, 64);
	st_le32(h + 48, (uint32_t)(total - 34));
	st_le32(h + 52, (uint32_t)((total - 34) >> 32));
	make_guid(pvd, 0, g);
	memcpy(h + 56, g, 16);
	st_le32(h + 72, (uint32_t)ent_lba);
	st_le32(h + 76, (uint32_t)(ent_lba >> 32));
	st_le32(h + 80, GPT_ENTRIES);
	st_le32(h + 84, 128);
	st_le32(h + 88, (uint32_t)crc32(0, ents, GPT_ENTRIES * 128));
	st_le32(h + 16, (uint32_t)crc32(0, h, 92));
}

static void system_area(const struct dimg_builder *b, const uint8_t *pvd, uint8_t *sa)
{
	memset(sa, 0, ISO_SYSTEM_AREA_BYTES);
	const struct boot_entry *efi = efi_entry(b);
	if (b->have_mbr) {
		const struct boot_entry *bios = NULL;
		for (int i = 0; i < b->nboot; i++)
			if (b->boot[i].spec.platform == 0 && !bios)
				bios = &b->boot[i];
		memcpy(sa, b->mbr_template, 432);
		if (bios)
			st_le32(sa + 432, (uint32_t)(bios->file->lba * 4));
		st_le32(sa + 440, (uint32_t)mix64(7, pvd, ISO_SECTOR)); /* disk signature */
		mbr_part(sa, 0, true, b->o.gpt ? 0x00 : 0x17, 0, b->iso_end * 4);
		if (efi && (b->o.gpt || efi->spec.efi_partition))
			mbr_part(sa, 1, false, 0xEF, efi->file->lba * 4,
				 (efi->file->t->size + 511) / 512);
	} else if (b->o.gpt) {
		uint64_t total = b->blocks * 4;
		mbr_part(sa, 0, false, 0xEE, 1, total - 1);
	}
	for (int i = 0; i < b->nparts; i++)
		mbr_part(sa, b->parts[i].number - 1, false, (uint8_t)b->parts[i].mbr_type,
			 b->parts[i].lba * 4, (b->parts[i].size + 511) / 512);
	if (b->have_mbr || b->o.gpt || b->nparts) {
		sa[510] = 0x55;
		sa[511] = 0xAA;
	}
	if (b->o.gpt) {
		uint8_t *ents = sa + 1024;
		gpt_table(b, pvd, ents);
		gpt_header(b, pvd, ents, false, sa + 512);
	}
}

/* ---- directories -------------------------------------------------------- */

static void patch_ce(const struct dimg_builder *b, struct su *s)
{
	if (!s->nchunks)
		return;
	uint8_t *ce = s->in + s->in_len - 28;
	uint64_t pos = s->chunk_pos[0];
	both32(ce + 4, (uint32_t)(b->ce_lba + pos / ISO_SECTOR));
	both32(ce + 12, (uint32_t)(pos % ISO_SECTOR));
	both32(ce + 20, s->chunk_len[0]);
	size_t off = 0;
	for (uint16_t c = 0; c + 1 < s->nchunks; c++) {
		off += s->chunk_len[c];
		uint8_t *e = s->ce + off - 28;
		uint64_t p = s->chunk_pos[c + 1];
		both32(e + 4, (uint32_t)(b->ce_lba + p / ISO_SECTOR));
		both32(e + 12, (uint32_t)(p % ISO_SECTOR));
		both32(e + 20, s->chunk_len[c + 1]);
	}
}

static void copy_chunks(uint8_t *ce, const struct su *su)
{
	size_t off = 0;
	for (uint16_t c = 0; c < su->nchunks; c++) {
		memcpy(ce + su->chunk_pos[c], su->ce + off, su->chunk_len[c]);
		off += su->chunk_len[c];
	}
}

static uint64_t entry_extent(const struct dimg_builder *b, const struct bn *c, int tree,
			     uint64_t *size)
{
	const struct tree_node *t = c->t;
	if (t->type == DIMG_FT_DIR) {
		*size = c->dir_size[tree];
		return c->dir_lba[tree];
	}
	if (t->type == DIMG_FT_FILE && !c->placeholder) {
		const struct bn *data = t->hardlink ? t->hardlink->priv : c;
		*size = t->size;
		return data->lba;
	}
	*size = 0;
	return b->empty_lba;
}

static int emit_dir(struct sink *s, const struct dimg_builder *b, const struct bn *d, int tree,
		    uint8_t *buf)
{
	size_t pos = 0;
	const struct bn *parent = d->t->parent ? d->t->parent->priv : d;
	if (tree == T_PRI && d->relocated)
		parent = b->rr_moved;
	memset(buf, 0, d->dir_size[tree]);
#define PUT(...)                                                                                   \
	do {                                                                                       \
		size_t l_ = iso_build_record(b, NULL, tree, __VA_ARGS__);                          \
		if (pos % ISO_SECTOR + l_ > ISO_SECTOR)                                            \
			pos = (pos / ISO_SECTOR + 1) * ISO_SECTOR;                                  \
		iso_build_record(b, buf + pos, tree, __VA_ARGS__);                                 \
		pos += l_;                                                                         \
	} while (0)
	PUT(d, 1, d->dir_lba[tree], d->dir_size[tree], ISO_DRF_DIRECTORY);
	PUT(d, 2, parent->dir_lba[tree], parent->dir_size[tree], ISO_DRF_DIRECTORY);
	for (uint32_t i = 0; i < d->nkids[tree]; i++) {
		const struct bn *c = d->kids[tree][i];
		uint64_t size, ext = entry_extent(b, c, tree, &size);
		if (c->t->type == DIMG_FT_DIR) {
			PUT(c, 0, ext, size, ISO_DRF_DIRECTORY);
		} else if (size <= 0xFFFFF800ull || c->is_catalog) {
			PUT(c, 0, ext, size, 0);
		} else {
			/* multi-extent: consecutive pieces of one contiguous run */
			uint64_t left = size;
			while (left > 0) {
				uint64_t piece = left > 0xFFFFF800ull ? 0xFFFFF800ull : left;
				PUT(c, 0, ext, piece, left > piece ? ISO_DRF_MULTIEXTENT : 0);
				ext += piece / ISO_SECTOR;
				left -= piece;
			}
		}
	}
#undef PUT
	return sink_write(s, buf, d->dir_size[tree]);
}

static int emit_path_table(struct sink *s, const struct dimg_builder *b, int tree, bool msb)
{
	uint8_t *buf = calloc(1, b->pt_size[tree] + ISO_SECTOR);
	size_t pos = 0;
	int rc;
	if (!buf)
		return dimg_err(s->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	for (uint32_t i = 0; i < b->ndirs[tree]; i++) {
		const struct bn *d = b->dirs[tree][i];
		size_t nl = d == b->root ? 1 : d->name_len[tree];
		buf[pos] = (uint8_t)nl;
		if (msb) {
			st_be32(buf + pos + 2, d->dir_lba[tree]);
			buf[pos + 6] = (uint8_t)(d->ptparent[tree] >> 8);
			buf[pos + 7] = (uint8_t)d->ptparent[tree];
		} else {
			st_le32(buf + pos + 2, d->dir_lba[tree]);
			st_le16(buf + pos + 6, d->ptparent[tree]);
		}
		if (d != b->root)
			memcpy(buf + pos + 8, d->name[tree], nl);
		pos += 8 + nl + (nl & 1);
	}
	rc = sink_write(s, buf, (pos + ISO_SECTOR - 1) / ISO_SECTOR * ISO_SECTOR);
	free(buf);
	return rc;
}

/* A boot image with a boot info table is patched on its way out. */
static int emit_boot_file(struct sink *s, const struct dimg_builder *b, const struct bn *f,
			  int fd)
{
	uint64_t size = f->t->size;
	uint8_t *buf;
	uint32_t sum = 0;
	int rc;
	if (size > (64u << 20))
		return dimg_err(s->err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
				"%s: boot image with info table larger than 64 MiB", f->t->src);
	buf = calloc(1, (size_t)size + 4);
	if (!buf)
		return dimg_err(s->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	if (pread(fd, buf, (size_t)size, 0) != (ssize_t)size) {
		free(buf);
		return dimg_err_sys(s->err, errno ? errno : EIO, DIMG_OFFSET_NONE,
				    "%s: cannot read", f->t->src);
	}
	for (uint64_t i = 64; i < size; i += 4)
		sum += ld_le32(buf + i);
	st_le32(buf + 8, ISO_VD_START_LBA);
	st_le32(buf + 12, (uint32_t)f->lba);
	st_le32(buf + 16, (uint32_t)size);
	st_le32(buf + 20, sum);
	memset(buf + 24, 0, 40);
	rc = sink_write(s, buf, (size_t)size);
	free(buf);
	if (rc == 0 && size % ISO_SECTOR)
		rc = sink_zero(s, ISO_SECTOR - size % ISO_SECTOR);
	(void)b;
	return rc;
}

/* Source directory of the files being written: files come grouped by
 * directory, so each is opened relative to one descriptor instead of by a
 * full path walk. */
struct srcdir {
	int fd;
	char path[4096];
};

static int open_src(struct srcdir *sd, const char *src, bool follow)
{
	int nofollow = follow ? 0 : O_NOFOLLOW;
	const char *slash = strrchr(src, '/');
	size_t dl = slash ? (size_t)(slash - src) : 0;
	if (!slash || dl >= sizeof(sd->path))
		return open(src, O_RDONLY | O_CLOEXEC | nofollow);
	if (sd->fd < 0 || strncmp(sd->path, src, dl) || sd->path[dl]) {
		if (sd->fd >= 0)
			close(sd->fd);
		memcpy(sd->path, src, dl);
		sd->path[dl] = 0;
		sd->fd = open(dl ? sd->path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sd->fd < 0)
			return -1;
	}
	return openat(sd->fd, slash + 1, O_RDONLY | O_CLOEXEC | nofollow);
}

static int emit_file(struct sink *s, const struct dimg_builder *b, const struct bn *f,
		     struct srcdir *sd)
{
	struct stat st;
	int fd, rc;
	bool info = f->boot_index >= 0 && b->boot[f->boot_index].spec.info_table;
	fd = open_src(sd, f->t->src, b->o.follow_links);
	if (fd < 0)
		return dimg_err_sys(s->err, errno, DIMG_OFFSET_NONE,
				    errno == ENOENT ? "%s: vanished before it was written"
						    : "%s: cannot open",
				    f->t->src);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != f->t->size) {
		close(fd);
		return dimg_err(s->err, DIMG_EIO, DIMG_OFFSET_NONE,
				"%s: changed while the image was built (size %llu, now %llu)",
				f->t->src, (unsigned long long)f->t->size,
				(unsigned long long)st.st_size);
	}
	if (info) {
		rc = emit_boot_file(s, b, f, fd);
	} else if (f->t->size <= SINK_BUF / 4) {
		/* small files: straight into the output buffer, one read */
		size_t size = (size_t)f->t->size;
		if (SINK_BUF - s->used < size && (rc = sink_flush(s)) != 0) {
			close(fd);
			return rc;
		}
		ssize_t k = pread(fd, s->buf + s->used, size, 0);
		if (k != (ssize_t)size) {
			close(fd);
			if (k < 0)
				return dimg_err_sys(s->err, errno, DIMG_OFFSET_NONE, "%s: read failed",
						    f->t->src);
			return dimg_err(s->err, DIMG_EIO, DIMG_OFFSET_NONE,
					"%s: file shrank while the image was written", f->t->src);
		}
		s->used += size;
		s->pos += size;
		rc = size % ISO_SECTOR ? sink_zero(s, ISO_SECTOR - size % ISO_SECTOR) : 0;
		report(s);
	} else {
		rc = sink_copy(s, fd, f->t->src, f->t->size);
	}
	close(fd);
	return rc;
}

int iso_build_emit(struct dimg_builder *b, int fd, const char *out_name, dimg_progress_fn fn,
		   void *ctx, struct dimg_error *err)
{
	struct sink s = { .fd = fd, .name = out_name, .fn = fn, .ctx = ctx, .err = err };
	uint8_t *pvd = calloc(1, ISO_SECTOR), *blk = calloc(1, ISO_SYSTEM_AREA_BYTES);
	uint8_t *dirbuf = NULL;
	uint32_t maxdir = ISO_SECTOR;
	int rc = 0;
	s.buf = malloc(SINK_BUF);
	s.total = b->blocks * ISO_SECTOR;
	if (!pvd || !blk || !s.buf) {
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		goto out;
	}
	for (int k = 0; k < NTREES; k++)
		for (uint32_t i = 0; b->trees[k] && i < b->ndirs[k]; i++)
			if (b->dirs[k][i]->dir_size[k] > maxdir)
				maxdir = b->dirs[k][i]->dir_size[k];
	dirbuf = malloc(maxdir);
	if (!dirbuf) {
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		goto out;
	}
	/* continuation areas get their addresses now that blocks are known,
	 * and so do the CL/PL links of relocated directories */
	for (uint32_t i = 0; i < b->ndirs[T_PRI]; i++) {
		struct bn *d = b->dirs[T_PRI][i];
		if (d->relocated && b->o.rock_ridge)
			both32(d->su_dotdot.in + 4, d->reloc_parent->dir_lba[T_PRI]);
		for (uint32_t k = 0; k < d->nkids[T_PRI]; k++) {
			struct bn *c = d->kids[T_PRI][k];
			if (c->placeholder)
				both32(c->su_rec.in + 4, c->moved->dir_lba[T_PRI]);
		}
		patch_ce(b, &d->su_dot);
		patch_ce(b, &d->su_dotdot);
		for (uint32_t k = 0; k < d->nkids[T_PRI]; k++)
			patch_ce(b, &d->kids[T_PRI][k]->su_rec);
	}
	make_vd(b, pvd, T_PRI);
	system_area(b, pvd, blk);
	if ((rc = sink_write(&s, blk, ISO_SYSTEM_AREA_BYTES)) || (rc = sink_write(&s, pvd, ISO_SECTOR)))
		goto out;
	if (b->nboot) {
		memset(blk, 0, ISO_SECTOR);
		blk[0] = ISO_VDT_BOOT;
		memcpy(blk + 1, "CD001", 5);
		blk[6] = 1;
		memcpy(blk + ISO_BR_SYSTEM_ID, "EL TORITO SPECIFICATION", 23);
		st_le32(blk + ISO_BR_CATALOG_LBA, b->catalog_lba);
		if ((rc = sink_at(&s, b->br_lba, "boot record")) || (rc = sink_write(&s, blk, ISO_SECTOR)))
			goto out;
	}
	if (b->trees[T_JOL]) {
		make_vd(b, blk, T_JOL);
		if ((rc = sink_at(&s, b->svd_lba, "Joliet descriptor")) ||
		    (rc = sink_write(&s, blk, ISO_SECTOR)))
			goto out;
	}
	if (b->trees[T_X99]) {
		make_vd(b, blk, T_X99);
		if ((rc = sink_at(&s, b->evd_lba, "ISO 9660:1999 descriptor")) ||
		    (rc = sink_write(&s, blk, ISO_SECTOR)))
			goto out;
	}
	memset(blk, 0, ISO_SECTOR);
	blk[0] = ISO_VDT_TERMINATOR;
	memcpy(blk + 1, "CD001", 5);
	blk[6] = 1;
	if ((rc = sink_at(&s, b->term_lba, "terminator")) || (rc = sink_write(&s, blk, ISO_SECTOR)))
		goto out;
	if (b->nboot) {
		make_catalog(b, blk);
		if ((rc = sink_at(&s, b->catalog_lba, "boot catalog")) ||
		    (rc = sink_write(&s, blk, ISO_SECTOR)))
			goto out;
	}
	for (int k = 0; k < NTREES; k++) {
		if (!b->trees[k])
			continue;
		if ((rc = sink_at(&s, b->pt_l_lba[k], "path table")) ||
		    (rc = emit_path_table(&s, b, k, false)) ||
		    (rc = sink_at(&s, b->pt_m_lba[k], "path table")) ||
		    (rc = emit_path_table(&s, b, k, true)))
			goto out;
	}
	for (uint32_t i = 0; i < b->ndirs[T_PRI]; i++) {
		const struct bn *d = b->dirs[T_PRI][i];
		if ((rc = sink_at(&s, d->dir_lba[T_PRI], "directory")) ||
		    (rc = emit_dir(&s, b, d, T_PRI, dirbuf)))
			goto out;
	}
	if (b->ce_blocks) {
		uint8_t *ce = calloc(b->ce_blocks, ISO_SECTOR);
		if (!ce) {
			rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			goto out;
		}
		for (uint32_t i = 0; i < b->ndirs[T_PRI]; i++) {
			const struct bn *d = b->dirs[T_PRI][i];
			copy_chunks(ce, &d->su_dot);
			copy_chunks(ce, &d->su_dotdot);
			for (uint32_t k = 0; k < d->nkids[T_PRI]; k++)
				copy_chunks(ce, &d->kids[T_PRI][k]->su_rec);
		}
		rc = sink_at(&s, b->ce_lba, "continuation areas");
		if (rc == 0)
			rc = sink_write(&s, ce, b->ce_blocks * ISO_SECTOR);
		free(ce);
		if (rc)
			goto out;
	}
	for (int k = T_JOL; k < NTREES; k++)
		for (uint32_t i = 0; b->trees[k] && i < b->ndirs[k]; i++) {
			const struct bn *d = b->dirs[k][i];
			if ((rc = sink_at(&s, d->dir_lba[k], "directory")) ||
			    (rc = emit_dir(&s, b, d, k, dirbuf)))
				goto out;
		}
	{
		struct srcdir sd = { .fd = -1 };
		for (size_t i = 0; i < b->nfiles && rc == 0; i++) {
			const struct bn *f = b->files[i];
			if (f->is_catalog || f->t->size == 0)
				continue;
			if ((rc = sink_at(&s, f->lba, f->t->src)) == 0)
				rc = emit_file(&s, b, f, &sd);
		}
		if (sd.fd >= 0)
			close(sd.fd);
		if (rc)
			goto out;
	}
	if ((rc = sink_at(&s, b->empty_lba, "end of data")) ||
	    (rc = sink_zero(&s, (b->append_start - b->empty_lba) * ISO_SECTOR)))
		goto out;
	for (int i = 0; i < b->nparts; i++) {
		int pfd = open(b->parts[i].path, O_RDONLY | O_CLOEXEC);
		if (pfd < 0) {
			rc = dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "%s: cannot open",
					  b->parts[i].path);
			goto out;
		}
		rc = sink_at(&s, b->parts[i].lba, "appended partition");
		if (rc == 0)
			rc = sink_copy(&s, pfd, b->parts[i].path, b->parts[i].size);
		close(pfd);
		if (rc)
			goto out;
	}
	if (b->o.gpt) {
		uint8_t *area = calloc(16, ISO_SECTOR);
		if (!area) {
			rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			goto out;
		}
		/* entries in the 32 sectors before the last, header last */
		uint8_t *ents = area + 16 * ISO_SECTOR - 512 - GPT_ENTRIES * 128;
		gpt_table(b, pvd, ents);
		gpt_header(b, pvd, ents, true, area + 16 * ISO_SECTOR - 512);
		rc = sink_at(&s, b->gpt_backup_lba, "backup GPT");
		if (rc == 0)
			rc = sink_write(&s, area, 16 * ISO_SECTOR);
		free(area);
		if (rc)
			goto out;
	}
	rc = sink_flush(&s);
	if (rc == 0 && ftruncate(fd, (off_t)s.pos) != 0)
		rc = dimg_err_sys(err, errno, (int64_t)s.pos, "%s: cannot set the size", out_name);
	if (rc == 0 && s.pos != b->blocks * ISO_SECTOR)
		rc = dimg_err(err, DIMG_EINVAL, (int64_t)s.pos, "internal layout error: size");
	if (rc == 0 && fn)
		fn(ctx, s.pos, s.total);
out:
	free(dirbuf);
	free(s.buf);
	free(pvd);
	free(blk);
	return rc;
}

int dimg_builder_write(struct dimg_builder *b, const char *path, int force,
		       dimg_progress_fn progress, void *ctx, struct dimg_error *err)
{
	char tmp[4200];
	struct stat st;
	int fd, rc;
	const char *slash;
	if (!force && lstat(path, &st) == 0)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
				"%s: already exists (use --force to replace it)", path);
	rc = iso_build_plan(b, err);
	if (rc)
		return rc;
	if (b->o.mbr_template) {
		int mfd = open(b->o.mbr_template, O_RDONLY | O_CLOEXEC);
		ssize_t k = mfd >= 0 ? pread(mfd, b->mbr_template, 512, 0) : -1;
		if (mfd >= 0)
			close(mfd);
		if (k < 432)
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"%s: not an MBR template (needs at least 432 bytes)",
					b->o.mbr_template);
		b->have_mbr = true;
	}
	/* a temporary file next to the output, renamed when complete */
	slash = strrchr(path, '/');
	if (slash)
		snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
	else
		snprintf(tmp, sizeof(tmp), ".%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "%s: cannot create output", path);
	rc = iso_build_emit(b, fd, path, progress, ctx, err);
	if (rc == 0 && fchmod(fd, 0644) != 0)
		rc = dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "%s: chmod", path);
	if (close(fd) != 0 && rc == 0)
		rc = dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "%s: write failed", path);
	if (rc == 0 && !force && lstat(path, &st) == 0)
		rc = dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "%s: appeared while writing",
			      path);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "%s: cannot rename into place",
				  path);
	if (rc)
		unlink(tmp);
	return rc;
}
