/* SPDX-License-Identifier: MIT */
/* Directory records, dates and identifier fields (ECMA-119 9.1, 8.4.26). */
#include "formats/iso9660/iso9660_internal.h"
#include "util/bytes.h"
#include "util/timeconv.h"
#include "util/utf.h"

#include <string.h>

int iso_rec_parse(const uint8_t *p, size_t avail, struct iso_rec *r, bool *mismatch)
{
	uint32_t pad;
	if (avail < ISO_DR_MIN_LEN || p[ISO_DR_LEN] < ISO_DR_MIN_LEN || p[ISO_DR_LEN] > avail)
		return DIMG_EFORMAT;
	r->len = p[ISO_DR_LEN];
	r->xattr_len = p[ISO_DR_XATTR_LEN];
	/* Both-endian fields: the little-endian half is authoritative when
	 * they disagree (every common reader does the same); tell the caller. */
	r->lba = ld_le32(p + ISO_DR_EXTENT);
	r->size = ld_le32(p + ISO_DR_SIZE);
	if (mismatch && (r->lba != ld_be32(p + ISO_DR_EXTENT + 4) ||
			 r->size != ld_be32(p + ISO_DR_SIZE + 4)))
		*mismatch = true;
	memcpy(r->date, p + ISO_DR_DATE, 7);
	r->flags = p[ISO_DR_FLAGS];
	r->unit_size = p[ISO_DR_UNIT_SIZE];
	r->gap_size = p[ISO_DR_GAP_SIZE];
	r->name_len = p[ISO_DR_NAME_LEN];
	if (ISO_DR_NAME + r->name_len > r->len)
		return DIMG_EFORMAT;
	r->name = p + ISO_DR_NAME;
	pad = (r->name_len & 1) ? 0 : 1;
	if (ISO_DR_NAME + r->name_len + pad <= r->len) {
		r->sua = p + ISO_DR_NAME + r->name_len + pad;
		r->sua_len = r->len - (ISO_DR_NAME + r->name_len + pad);
	} else {
		r->sua = NULL;
		r->sua_len = 0;
	}
	return 0;
}

int64_t iso_time7(const uint8_t *d)
{
	int8_t tz = (int8_t)d[6];
	if (!d[0] && !d[1] && !d[2] && !d[3] && !d[4] && !d[5])
		return 0;
	/* Out-of-range offsets (outside -48..52 quarter hours) are ignored, as
	 * several writers store garbage there. */
	int64_t t = tc_from_civil(1900 + d[0], d[1] ? d[1] : 1, d[2] ? d[2] : 1, d[3], d[4], d[5]);
	if (tz >= -48 && tz <= 52)
		t -= (int64_t)tz * 15 * 60;
	return t;
}

static int digits(const uint8_t *p, int n, bool *ok)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			*ok = false;
			return 0;
		}
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

bool iso_time17(const uint8_t *d, int64_t *out)
{
	bool ok = true;
	int y = digits(d, 4, &ok), mo = digits(d + 4, 2, &ok), da = digits(d + 6, 2, &ok);
	int h = digits(d + 8, 2, &ok), mi = digits(d + 10, 2, &ok), s = digits(d + 12, 2, &ok);
	int8_t tz = (int8_t)d[16];
	if (!ok || y == 0 || mo < 1 || mo > 12 || da < 1 || da > 31)
		return false;
	*out = tc_from_civil(y, mo, da, h, mi, s);
	if (tz >= -48 && tz <= 52)
		*out -= (int64_t)tz * 15 * 60;
	return true;
}

void iso_strfield(const uint8_t *p, size_t len, char *out, size_t out_size)
{
	size_t n = len;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == 0))
		n--;
	if (n >= out_size)
		n = out_size - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (p[i] >= 0x20 && p[i] < 0x7F) ? (char)p[i] : '?';
	out[n] = 0;
}

void iso_strfield_ucs2(const uint8_t *p, size_t len, char *out, size_t out_size)
{
	size_t n = len & ~(size_t)1;
	while (n >= 2 && ((p[n - 2] == 0 && (p[n - 1] == ' ' || p[n - 1] == 0))))
		n -= 2;
	utf16be_to_utf8(p, n, out, out_size);
}
