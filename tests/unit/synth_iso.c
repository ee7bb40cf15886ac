/* SPDX-License-Identifier: MIT */
#include "synth_iso.h"

#include <stdlib.h>
#include <string.h>

void synth_init(struct synth *s, unsigned nblocks)
{
	s->size = (size_t)nblocks * SYN_SEC;
	s->buf = calloc(1, s->size);
}

void synth_free(struct synth *s)
{
	free(s->buf);
	s->buf = NULL;
}

uint8_t *synth_block(struct synth *s, unsigned lba) { return s->buf + (size_t)lba * SYN_SEC; }

void synth_both32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
	p[4] = (uint8_t)(v >> 24); p[5] = (uint8_t)(v >> 16); p[6] = (uint8_t)(v >> 8); p[7] = (uint8_t)v;
}

static void both16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

size_t synth_record(uint8_t *p, uint32_t lba, uint32_t size, uint8_t flags, const char *name,
		    size_t name_len, const uint8_t *sua, size_t sua_len)
{
	size_t len = 33 + name_len + ((name_len & 1) ? 0 : 1) + sua_len;
	if (len & 1)
		len++;
	memset(p, 0, len);
	p[0] = (uint8_t)len;
	synth_both32(p + 2, lba);
	synth_both32(p + 10, size);
	p[18] = 120; /* 2020-01-02 03:04:05 UTC */
	p[19] = 1;
	p[20] = 2;
	p[21] = 3;
	p[22] = 4;
	p[23] = 5;
	p[25] = flags;
	both16(p + 28, 1);
	p[32] = (uint8_t)name_len;
	memcpy(p + 33, name, name_len);
	if (sua_len)
		memcpy(p + 33 + name_len + ((name_len & 1) ? 0 : 1), sua, sua_len);
	return len;
}

size_t synth_dots(uint8_t *p, uint32_t self, uint32_t self_size, uint32_t parent,
		  uint32_t parent_size, const uint8_t *dot_sua, size_t dot_sua_len)
{
	size_t n = synth_record(p, self, self_size, 2, "\0", 1, dot_sua, dot_sua_len);
	n += synth_record(p + n, parent, parent_size, 2, "\1", 1, NULL, 0);
	return n;
}

void synth_pvd(struct synth *s, uint32_t root_lba, uint32_t root_size)
{
	uint8_t *pvd = synth_block(s, 16), *t = synth_block(s, 17);
	pvd[0] = 1;
	memcpy(pvd + 1, "CD001", 5);
	pvd[6] = 1;
	memset(pvd + 8, ' ', 64);
	memcpy(pvd + 40, "SYNTH", 5);
	synth_both32(pvd + 80, (uint32_t)(s->size / SYN_SEC));
	both16(pvd + 120, 1);
	both16(pvd + 124, 1);
	both16(pvd + 128, 2048);
	synth_record(pvd + 156, root_lba, root_size, 2, "\0", 1, NULL, 0);
	pvd[881] = 1;
	t[0] = 255;
	memcpy(t + 1, "CD001", 5);
	t[6] = 1;
}

size_t susp_add(uint8_t *sua, size_t len, const char *sig, const uint8_t *data, size_t dlen)
{
	sua[len] = (uint8_t)sig[0];
	sua[len + 1] = (uint8_t)sig[1];
	sua[len + 2] = (uint8_t)(4 + dlen);
	sua[len + 3] = 1;
	if (dlen)
		memcpy(sua + len + 4, data, dlen);
	return len + 4 + dlen;
}

size_t susp_px(uint8_t *sua, size_t len, uint32_t mode, uint32_t nlink, uint32_t uid,
	       uint32_t gid, uint32_t ino)
{
	uint8_t d[40];
	synth_both32(d, mode);
	synth_both32(d + 8, nlink);
	synth_both32(d + 16, uid);
	synth_both32(d + 24, gid);
	synth_both32(d + 32, ino);
	return susp_add(sua, len, "PX", d, 40);
}

size_t susp_sp(uint8_t *sua, size_t len)
{
	const uint8_t d[3] = { 0xBE, 0xEF, 0 };
	return susp_add(sua, len, "SP", d, 3);
}

size_t susp_nm(uint8_t *sua, size_t len, uint8_t flags, const char *name)
{
	uint8_t d[256];
	size_t n = strlen(name);
	d[0] = flags;
	memcpy(d + 1, name, n);
	return susp_add(sua, len, "NM", d, n + 1);
}

size_t susp_ce(uint8_t *sua, size_t len, uint32_t lba, uint32_t off, uint32_t clen)
{
	uint8_t d[24];
	synth_both32(d, lba);
	synth_both32(d + 8, off);
	synth_both32(d + 16, clen);
	return susp_add(sua, len, "CE", d, 24);
}
