/* SPDX-License-Identifier: MIT */
/*
 * System Use Sharing Protocol (IEEE P1281) walker and Rock Ridge (IEEE P1282,
 * RRIP 1.09/1.10/1.12) entry decoding.  Continuation areas (CE) are followed
 * with a hop limit; NM and SL are reassembled with length caps.
 */
#include "formats/iso9660/iso9660_internal.h"
#include "util/bytes.h"
#include "util/checked.h"

#include <stdlib.h>
#include <string.h>

void iso_rr_free(struct iso_rr *rr)
{
	free(rr->name);
	free(rr->link);
	rr->name = rr->link = NULL;
}

static bool append(char **buf, size_t *len, const void *data, size_t n, size_t cap)
{
	char *p;
	if (*len + n > cap)
		return false;
	p = realloc(*buf, *len + n + 1);
	if (!p)
		return false;
	memcpy(p + *len, data, n);
	*len += n;
	p[*len] = 0;
	*buf = p;
	return true;
}

/* TF stamps: 7-byte (ECMA-119 9.1.5) or 17-byte long form. */
static void decode_tf(const uint8_t *d, size_t n, struct iso_rr *rr)
{
	uint8_t flags;
	size_t w, pos = 1;
	int64_t *slots[7] = { &rr->tf_create, &rr->tf_modify, &rr->tf_access, &rr->tf_attr,
			      NULL, NULL, NULL };
	if (n < 1)
		return;
	flags = d[0];
	w = (flags & 0x80) ? 17 : 7;
	for (int bit = 0; bit < 7; bit++) {
		int64_t t = 0;
		if (!(flags & (1u << bit)))
			continue;
		if (pos + w > n)
			break;
		if (w == 17) {
			if (!iso_time17(d + pos, &t))
				t = 0;
		} else {
			t = iso_time7(d + pos);
		}
		if (slots[bit]) {
			*slots[bit] = t;
			rr->tf_mask |= (uint8_t)(1u << bit);
		}
		pos += w;
	}
	rr->has_tf = true;
}

static void decode_sl(const uint8_t *d, size_t n, struct iso_rr *rr)
{
	size_t pos = 1; /* d[0]: SL flags (CONTINUE: more SL entries follow) */
	if (rr->sl_done)
		return; /* a second, unrelated SL run: keep the first */
	if (!rr->has_sl) {
		rr->has_sl = true;
		rr->sl_sep[0] = 0;
	}
	while (pos + 2 <= n) {
		uint8_t cf = d[pos], clen = d[pos + 1];
		const uint8_t *c = d + pos + 2;
		if (pos + 2 + clen > n)
			break;
		pos += 2u + clen;
		if (cf & 0x08) { /* ROOT: "/" after any pending separator ("a//b") */
			if ((rr->sl_sep[0] &&
			     !append(&rr->link, &rr->link_len, rr->sl_sep, 1, DIMG_MAX_LINK_BYTES)) ||
			    !append(&rr->link, &rr->link_len, "/", 1, DIMG_MAX_LINK_BYTES))
				break;
			rr->sl_sep[0] = 0;
			continue;
		}
		if (rr->sl_sep[0] &&
		    !append(&rr->link, &rr->link_len, rr->sl_sep, 1, DIMG_MAX_LINK_BYTES))
			break;
		if (cf & 0x02)
			append(&rr->link, &rr->link_len, ".", 1, DIMG_MAX_LINK_BYTES);
		else if (cf & 0x04)
			append(&rr->link, &rr->link_len, "..", 2, DIMG_MAX_LINK_BYTES);
		else if (cf & 0x10) /* VOLROOT: the mount point; best rendered as "/" */
			append(&rr->link, &rr->link_len, "/", 1, DIMG_MAX_LINK_BYTES);
		else if (!(cf & 0x20)) /* HOST: no portable meaning, dropped */
			append(&rr->link, &rr->link_len, c, clen, DIMG_MAX_LINK_BYTES);
		rr->sl_sep[0] = (cf & 0x01) ? 0 : '/';
	}
	if (!(d[0] & 0x01))
		rr->sl_done = true;
	if (!rr->link)
		append(&rr->link, &rr->link_len, "", 0, DIMG_MAX_LINK_BYTES);
}

static void decode_nm(const uint8_t *d, size_t n, struct iso_rr *rr)
{
	uint8_t f;
	if (n < 1)
		return;
	f = d[0];
	rr->has_nm = true;
	if (f & 0x06) { /* CURRENT / PARENT: never a usable entry name */
		rr->nm_bad = true;
		free(rr->name);
		rr->name = strdup((f & 0x02) ? "." : "..");
		rr->name_len = rr->name ? strlen(rr->name) : 0;
		return;
	}
	if (rr->nm_bad)
		return;
	if (f & 0x20) /* HOST */
		return;
	if (!append(&rr->name, &rr->name_len, d + 1, n - 1, DIMG_MAX_NAME_BYTES))
		rr->nm_bad = true;
}

/* One System Use area; returns a continuation through *ce. */
static void walk_area(const uint8_t *a, size_t n, struct iso_rr *rr, uint64_t *ce_lba,
		      uint32_t *ce_off, uint32_t *ce_len, bool *have_ce, bool *stop)
{
	size_t pos = 0;
	while (pos + SUSP_DATA <= n) {
		const uint8_t *e = a + pos;
		size_t len = e[SUSP_LEN];
		const uint8_t *d = e + SUSP_DATA;
		size_t dn;
		if (len < SUSP_DATA || pos + len > n)
			break; /* malformed: stop this area, keep what we have */
		dn = len - SUSP_DATA;
		pos += len;
#define SIG(a, b) (e[0] == (a) && e[1] == (b))
		if (SIG('S', 'T')) {
			*stop = true;
			return;
		} else if (SIG('C', 'E') && dn >= 24) {
			*ce_lba = ld_le32(d);
			*ce_off = ld_le32(d + 8);
			*ce_len = ld_le32(d + 16);
			*have_ce = true;
		} else if (SIG('S', 'P') && dn >= 3 && d[0] == 0xBE && d[1] == 0xEF) {
			rr->has_sp = true;
			rr->sp_skip = d[2];
		} else if (SIG('E', 'R') && dn >= 4) {
			size_t idl = d[0];
			if (4 + idl <= dn) {
				const char *id = (const char *)d + 4;
				if ((idl == 10 && !memcmp(id, "RRIP_1991A", 10)) ||
				    (idl == 10 && !memcmp(id, "IEEE_P1282", 10)) ||
				    (idl == 9 && !memcmp(id, "IEEE_1282", 9)))
					rr->has_er_rrip = true;
			}
		} else if (SIG('P', 'X') && dn >= 32) {
			rr->has_px = true;
			rr->mode = ld_le32(d);
			rr->nlink = ld_le32(d + 8);
			rr->uid = ld_le32(d + 16);
			rr->gid = ld_le32(d + 24);
			if (dn >= 40) {
				rr->ino = ld_le32(d + 32);
				rr->has_ino = true;
			}
		} else if (SIG('P', 'N') && dn >= 16) {
			rr->has_pn = true;
			rr->pn_high = ld_le32(d);
			rr->pn_low = ld_le32(d + 8);
		} else if (SIG('S', 'L') && dn >= 1) {
			decode_sl(d, dn, rr);
		} else if (SIG('N', 'M')) {
			decode_nm(d, dn, rr);
		} else if (SIG('C', 'L') && dn >= 8) {
			rr->has_cl = true;
			rr->cl_lba = ld_le32(d);
		} else if (SIG('P', 'L') && dn >= 8) {
			rr->has_pl = true;
			rr->pl_lba = ld_le32(d);
		} else if (SIG('R', 'E')) {
			rr->has_re = true;
		} else if (SIG('T', 'F')) {
			decode_tf(d, dn, rr);
		} else if (SIG('S', 'F') && dn >= 16) {
			rr->has_sf = true;
			rr->sf_size = ((uint64_t)ld_le32(d) << 32) | ld_le32(d + 8);
		} else if (SIG('Z', 'F') && dn >= 12) {
			rr->has_zf = true;
			rr->zf_alg[0] = d[0];
			rr->zf_alg[1] = d[1];
			rr->zf_hdr_div4 = d[2];
			rr->zf_log2 = d[3];
			rr->zf_size = ld_le32(d + 4);
		}
#undef SIG
	}
}

int iso_susp_collect(struct dimg_image *img, uint32_t block_size, const struct iso_rec *r,
		     uint32_t skip, uint64_t rec_off, struct iso_rr *rr, struct dimg_error *err)
{
	uint64_t ce_lba = 0;
	uint32_t ce_off = 0, ce_len = 0;
	bool have_ce = false, stop = false;
	uint8_t *buf = NULL;
	size_t total = 0;
	int rc = 0;

	if (r->sua && r->sua_len > skip)
		walk_area(r->sua + skip, r->sua_len - skip, rr, &ce_lba, &ce_off, &ce_len,
			  &have_ce, &stop);
	for (int hop = 0; have_ce && !stop; hop++) {
		uint64_t off;
		have_ce = false;
		if (hop >= DIMG_MAX_CE_HOPS) {
			rc = dimg_err(err, DIMG_ELIMIT, (int64_t)rec_off,
					"more than %d SUSP continuation areas (CE loop?)",
					DIMG_MAX_CE_HOPS);
			break;
		}
		if (ce_len == 0)
			break;
		/* A continuation area lies within one logical block. */
		if (ce_off >= block_size || ce_len > block_size - ce_off) {
			rc = dimg_err(err, DIMG_EFORMAT, (int64_t)rec_off,
					"SUSP continuation area (block %llu, offset %u, length %u) "
					"crosses its block",
					(unsigned long long)ce_lba, ce_off, ce_len);
			break;
		}
		total += ce_len;
		if (total > DIMG_MAX_SUSP_BYTES) {
			rc = dimg_err(err, DIMG_ELIMIT, (int64_t)rec_off,
				      "System Use data exceeds %u bytes", DIMG_MAX_SUSP_BYTES);
			break;
		}
		if (ck_mul_u64(ce_lba, block_size, &off) || ck_add_u64(off, ce_off, &off)) {
			rc = dimg_err(err, DIMG_EFORMAT, (int64_t)rec_off,
				      "SUSP continuation area out of range");
			break;
		}
		if (!buf && !(buf = malloc(block_size))) {
			rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			break;
		}
		rc = medium_read(img, buf, ce_len, off, err);
		if (rc)
			break;
		walk_area(buf, ce_len, rr, &ce_lba, &ce_off, &ce_len, &have_ce, &stop);
	}
	free(buf);
	return rc;
}
