/* SPDX-License-Identifier: MIT */
/*
 * CD-TEXT packs (the lead-in R-W data, MMC READ TOC format 5, a .cdt file).
 *
 * A pack is 18 bytes: type (0x80 TITLE ... 0x8F size information), track
 * number, sequence number, a byte holding the double-byte flag (bit 7), the
 * block number (bits 6-4) and the character position (bits 3-0: characters
 * of the current string already sent in earlier packs, 15 meaning "15 or
 * more"), 12 payload bytes and the CRC of the first 16 bytes (cd_crc16,
 * big-endian).  Per type the payloads form a stream of NUL-terminated
 * strings: the disc's (track 0) first, then one per track; a pack's track
 * byte names the string its first payload byte belongs to.  A string that is
 * a lone TAB means "same as the previous track".  GENRE carries a 2-byte
 * genre code before its text, DISC_ID/GENRE only exist for the disc, and
 * 0x8E holds the disc's UPC/EAN then the tracks' ISRCs.  Three 0x8F packs
 * close each block: character set, first/last track, pack counts per type,
 * last sequence number and language of every block.
 *
 * We decode block 0 only, and only single-byte character sets (ISO-8859-1,
 * ASCII), converting to UTF-8.  A pack with a bad CRC is dropped and the
 * string it cut is dropped with it (its other packs do not resynchronise);
 * input where no pack at all is valid is an error.  The genre code is not
 * kept (the model has text only); encoding writes 0x0001, "not defined".
 */
#include "cd/cd_disc.h"
#include "cd/cd_subq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACK 18
#define PAYLOAD 12
#define MAX_PACKS 256 /* sequence numbers of one block are a byte */
#define MAX_STR 4096  /* longest string kept; the rest is cut */
#define TRACK_NONE 0xFFFF

enum { CS_LATIN1 = 0x00, CS_ASCII = 0x01, CS_MSJIS = 0x80 };
#define LANG_ENGLISH 0x09
#define GENRE_UNDEFINED 0x0001

/* Pack types in stream order for the encoder and the field each holds. */
static const struct {
	uint8_t type;
	enum cd_text_field field;
	bool disc_only;
} types[] = {
    {0x80, CDT_TITLE, false},	 {0x81, CDT_PERFORMER, false}, {0x82, CDT_SONGWRITER, false},
    {0x83, CDT_COMPOSER, false}, {0x84, CDT_ARRANGER, false},  {0x85, CDT_MESSAGE, false},
    {0x86, CDT_DISC_ID, true},	 {0x87, CDT_GENRE, true},      {0x8E, CDT_UPC_ISRC, false},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static int type_slot(uint8_t type)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].type == type)
			return (int)i;
	return -1;
}

static bool pack_ok(const uint8_t *p)
{
	return cd_crc16(p, 16) == (uint16_t)((p[16] << 8) | p[17]);
}

/* ---- decoding ------------------------------------------------------------ */

struct stream {
	char buf[MAX_STR];
	size_t n;	    /* text bytes gathered for the current string */
	unsigned track;	    /* track the current string belongs to */
	unsigned skip_code; /* GENRE code bytes still to skip */
	int last_seq;	    /* sequence number of the previous pack, -1 none */
	bool skipping;	    /* inside a string whose start was lost */
};

/* Latin-1 to UTF-8; controls would only confuse sheets and terminals. */
static char *latin1_to_utf8(const char *s, size_t n)
{
	char *out = malloc(2 * n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c < 0x20 || c == 0x7F) {
			*o++ = '?';
		} else if (c < 0x80) {
			*o++ = (char)c;
		} else {
			*o++ = (char)(0xC0 | (c >> 6));
			*o++ = (char)(0x80 | (c & 0x3F));
		}
	}
	*o = 0;
	return out;
}

static int commit(struct cd_disc *d, enum cd_text_field f, struct stream *st,
		  struct dimg_error *err)
{
	unsigned t = st->track;
	int r = 0;
	if (t <= CD_MAX_TRACKS && st->n) {
		if (st->n == 1 && st->buf[0] == '\t') {
			/* "same as the previous track" */
			if (t > 0 && d->text[t - 1][f])
				r = cd_disc_set_text(d, (int)t, f, d->text[t - 1][f], err);
		} else {
			char *v = latin1_to_utf8(st->buf, st->n);
			if (!v)
				return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE,
						"out of memory");
			r = cd_disc_set_text(d, (int)t, f, v, err);
			free(v);
		}
	}
	st->n = 0;
	if (st->track < TRACK_NONE)
		st->track++;
	return r;
}

static int decode_pack(struct cd_disc *d, struct stream *st, enum cd_text_field f, const uint8_t *p,
		       struct dimg_error *err)
{
	unsigned track = p[1] & 0x7F, pos = p[3] & 0x0F;
	size_t i = 4;
	bool continues = pos > 0 && !st->skipping && st->last_seq >= 0 &&
			 p[2] == (uint8_t)(st->last_seq + 1) && track == st->track &&
			 (pos == 15 ? st->n >= 15 : st->n == pos);

	st->last_seq = p[2];
	if (!continues) {
		/* Anything gathered so far lost its end with a dropped pack. */
		st->n = 0;
		st->track = track;
		st->skip_code = 0;
		st->skipping = pos > 0;
		if (!pos && f == CDT_GENRE && track == 0)
			st->skip_code = 2;
	}
	for (; i < 4 + PAYLOAD; i++) {
		uint8_t c = p[i];
		if (st->skip_code) {
			st->skip_code--;
			continue;
		}
		if (st->skipping) {
			if (!c) {
				st->skipping = false;
				if (st->track < TRACK_NONE)
					st->track++;
			}
			continue;
		}
		if (!c) {
			int r = commit(d, f, st, err);
			if (r)
				return r;
			continue;
		}
		if (st->n < MAX_STR)
			st->buf[st->n++] = (char)c;
	}
	return 0;
}

int cd_cdtext_decode(struct cd_disc *d, const uint8_t *packs, size_t len, struct dimg_error *err)
{
	size_t n, good = 0;
	int charset = CS_LATIN1, r = 0;
	struct stream *st;

	/* A .cdt may start with the READ TOC header (2-byte length, 2
	 * reserved) and end with a NUL; the remainder modulo 18 tells which. */
	switch (len % PACK) {
	case 0:
		break;
	case 1:
		if (packs[len - 1])
			goto bad_len;
		len--;
		break;
	case 5:
		if (packs[len - 1])
			goto bad_len;
		len--;
		/* fallthrough */
	case 4:
		packs += 4;
		len -= 4;
		break;
	default:
		goto bad_len;
	}
	n = len / PACK;
	if (!n)
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "CD-TEXT: no packs");

	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = packs + i * PACK;
		if (!pack_ok(p))
			continue;
		good++;
		if (p[3] & 0x70)
			continue; /* not block 0 */
		if (p[0] == 0x8F && p[1] == 0)
			charset = p[4];
		else if (type_slot(p[0]) >= 0 && (p[3] & 0x80))
			charset = CS_MSJIS; /* double-byte characters */
	}
	if (!good)
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
				"CD-TEXT: none of the %zu packs has a valid CRC", n);
	if (charset >= 0x80)
		return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
				"CD-TEXT: block 0 uses a double-byte character set (0x%02x)",
				charset);

	if (!(st = calloc(NTYPES, sizeof(*st))))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	for (size_t k = 0; k < NTYPES; k++)
		st[k].last_seq = -1;
	for (size_t i = 0; i < n && !r; i++) {
		const uint8_t *p = packs + i * PACK;
		int k = type_slot(p[0]);
		if (k < 0 || (p[3] & 0x70) || !pack_ok(p))
			continue;
		r = decode_pack(d, &st[k], types[k].field, p, err);
	}
	free(st);
	return r;

bad_len:
	return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
			"CD-TEXT: %zu bytes is not a whole number of 18-byte packs", len);
}

/* ---- encoding ------------------------------------------------------------ */

struct emitter {
	uint8_t *out;
	unsigned npacks;
	uint8_t pay[PAYLOAD];
	unsigned fill;
	uint8_t type, track, pos;
	unsigned counts[16];
	bool full;
};

static void flush(struct emitter *e)
{
	uint8_t *p;
	if (!e->fill)
		return;
	if (e->npacks >= MAX_PACKS - 3) {
		e->full = true; /* room for the three size packs is kept */
		e->fill = 0;
		return;
	}
	p = e->out + e->npacks * PACK;
	memset(e->pay + e->fill, 0, PAYLOAD - e->fill);
	p[0] = e->type;
	p[1] = e->track;
	p[2] = (uint8_t)e->npacks;
	p[3] = e->pos; /* block 0, single-byte */
	memcpy(p + 4, e->pay, PAYLOAD);
	e->npacks++;
	e->counts[e->type & 15]++;
	e->fill = 0;
}

static void put(struct emitter *e, uint8_t c, unsigned track, size_t pos)
{
	if (!e->fill) {
		e->track = (uint8_t)track;
		e->pos = (uint8_t)(pos > 15 ? 15 : pos);
	}
	e->pay[e->fill++] = c;
	if (e->fill == PAYLOAD)
		flush(e);
}

static const char *who(int track, char *buf, size_t size)
{
	if (!track)
		return "the disc";
	snprintf(buf, size, "track %d", track);
	return buf;
}

/* UTF-8 to ISO-8859-1; out has room for strlen(s) bytes. */
static int to_latin1(const char *s, uint8_t *out, size_t *n, int track, enum cd_text_field f,
		     struct dimg_error *err)
{
	const uint8_t *u = (const uint8_t *)s;
	char w[16];
	size_t k = 0;
	while (*u) {
		uint32_t cp;
		if (u[0] < 0x80) {
			cp = *u++;
		} else if ((u[0] & 0xE0) == 0xC0 && (u[1] & 0xC0) == 0x80) {
			cp = (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
			u += 2;
			if (cp < 0x80)
				goto bad_utf8;
		} else if ((u[0] & 0xF0) == 0xE0 && (u[1] & 0xC0) == 0x80 &&
			   (u[2] & 0xC0) == 0x80) {
			cp = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 |
			     (u[2] & 0x3F);
			u += 3;
		} else if ((u[0] & 0xF8) == 0xF0 && (u[1] & 0xC0) == 0x80 &&
			   (u[2] & 0xC0) == 0x80 && (u[3] & 0xC0) == 0x80) {
			cp = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
			     (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
			u += 4;
		} else {
			goto bad_utf8;
		}
		if (cp > 0xFF)
			return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
					"CD-TEXT %s of %s: U+%04X is not in ISO-8859-1",
					cd_text_names[f], who(track, w, sizeof(w)), (unsigned)cp);
		/* A TAB would read as "same as previous"; C0/C1 controls have
		 * no meaning on a player's display. */
		if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"CD-TEXT %s of %s: control character 0x%02X",
					cd_text_names[f], who(track, w, sizeof(w)), (unsigned)cp);
		out[k++] = (uint8_t)cp;
	}
	*n = k;
	return 0;
bad_utf8:
	return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "CD-TEXT %s of %s: invalid UTF-8",
			cd_text_names[f], who(track, w, sizeof(w)));
}

static void put_string(struct emitter *e, unsigned track, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(e, s[i], track, i);
	put(e, 0, track, n);
}

int cd_cdtext_encode(const struct cd_disc *d, uint8_t **packs, size_t *len, struct dimg_error *err)
{
	struct emitter e = {0};
	unsigned first = 1, last = 0;
	uint8_t *cur = NULL, *prev = NULL;
	size_t ncur = 0, nprev = 0;
	bool any = false;
	int r = 0;

	*packs = NULL;
	*len = 0;
	if (d->ntracks > 0) {
		first = d->tracks[0].number;
		last = d->tracks[d->ntracks - 1].number;
	} else {
		for (unsigned t = 1; t <= CD_MAX_TRACKS; t++)
			for (int f = 0; f < CDT_COUNT; f++)
				if (d->text[t][f])
					last = t;
	}
	if (first < 1 || last > CD_MAX_TRACKS || (last && first > last))
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "CD-TEXT: bad track range");
	for (unsigned t = 0; t <= last && !any; t++)
		for (int f = 0; f < CDT_COUNT; f++)
			if (d->text[t][f] && (!t || t >= first))
				any = true;
	if (!any)
		return 0;

	e.out = malloc(MAX_PACKS * PACK);
	cur = malloc(MAX_STR);
	prev = malloc(MAX_STR);
	if (!e.out || !cur || !prev) {
		r = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < NTYPES && !e.full; k++) {
		enum cd_text_field f = types[k].field;
		unsigned hi = types[k].disc_only ? 0 : last;
		bool present = d->text[0][f] != NULL;
		for (unsigned t = first; t <= hi && !present; t++)
			present = d->text[t][f] != NULL;
		if (!present)
			continue;
		e.type = types[k].type;
		nprev = 0;
		for (unsigned t = 0; t <= hi; t = t ? t + 1 : first) {
			const char *v = d->text[t][f] ? d->text[t][f] : "";
			if (strlen(v) >= MAX_STR) {
				r = dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
					     "CD-TEXT %s of track %u is too long", cd_text_names[f],
					     t);
				goto out;
			}
			if ((r = to_latin1(v, cur, &ncur, (int)t, f, err)))
				goto out;
			if (f == CDT_GENRE) {
				put(&e, GENRE_UNDEFINED >> 8, t, 0);
				put(&e, GENRE_UNDEFINED & 0xFF, t, 0);
			}
			if (t > first && ncur && ncur == nprev && !memcmp(cur, prev, ncur))
				put_string(&e, t, (const uint8_t *)"\t", 1);
			else
				put_string(&e, t, cur, ncur);
			memcpy(prev, cur, ncur);
			nprev = ncur;
			if (t == hi)
				break;
		}
		flush(&e);
	}
	if (e.full) {
		r = dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "CD-TEXT needs more than %d packs",
			     MAX_PACKS);
		goto out;
	}

	/* Size information: 36 bytes over three packs. */
	uint8_t info[3 * PAYLOAD] = {0};
	e.counts[15] = 3;
	info[0] = CS_LATIN1;
	info[1] = (uint8_t)first;
	info[2] = (uint8_t)(last ? last : first);
	info[3] = 0; /* no copy protection flags */
	for (int i = 0; i < 16; i++)
		info[4 + i] = (uint8_t)e.counts[i];
	info[20] = (uint8_t)(e.npacks + 2); /* last sequence number of block 0 */
	info[28] = LANG_ENGLISH;
	for (int i = 0; i < 3; i++) {
		uint8_t *p = e.out + e.npacks * PACK;
		p[0] = 0x8F;
		p[1] = (uint8_t)i;
		p[2] = (uint8_t)e.npacks;
		p[3] = 0;
		memcpy(p + 4, info + i * PAYLOAD, PAYLOAD);
		e.npacks++;
	}
	for (unsigned i = 0; i < e.npacks; i++) {
		uint8_t *p = e.out + i * PACK;
		uint16_t crc = cd_crc16(p, 16);
		p[16] = (uint8_t)(crc >> 8);
		p[17] = (uint8_t)crc;
	}
	*packs = e.out;
	*len = (size_t)e.npacks * PACK;
	e.out = NULL;
out:
	free(e.out);
	free(cur);
	free(prev);
	return r;
}
