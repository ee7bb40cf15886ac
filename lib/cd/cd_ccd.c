/* SPDX-License-Identifier: MIT */
/*
 * CloneCD control files (.ccd).  There is no published specification; what
 * we rely on was checked against GNU ccd2cue's format appendix, the libmirage
 * and Aaru readers/writers and CloneCD's own output:
 *
 *   [CloneCD] Version=3
 *   [Disc]    TocEntries= Sessions= DataTracksScrambled= CDTextLength=
 *             CATALOG= (13 digits)
 *   [CDText]  Entries=N, "Entry i=80 00 ..." the CD-TEXT packs as 16 hex
 *             bytes each: the 18-byte pack without its CRC
 *             (CDTextLength = 18 * Entries)
 *   [Session N] PreGapMode= PreGapSubC=        (not needed here)
 *   [Entry N] one raw TOC descriptor (READ TOC format 2) per section, the
 *             BCD bytes converted to binary and printed in decimal, hex
 *             with 0x: Session Point ADR Control TrackNo AMin ASec AFrame
 *             ALBA Zero PMin PSec PFrame PLBA.  Point 1..99 is a track
 *             starting at PLBA, 0xA0 PMin = first track and PSec = disc type,
 *             0xA1 PMin = last track, 0xA2 = lead-out of the session; ADR 5
 *             (B0/C0 multisession pointers) and others are ignored.
 *   [TRACK N] MODE=0|1|2 INDEX k=LBA ISRC=
 *
 * The sheet names no data file: the image is the .ccd's name with the
 * extension replaced by .img (every sector 2352 bytes raw) and the
 * subchannel .sub (96 bytes per sector, P..W deinterleaved); the name given
 * to the parser (its directory part dropped) decides both.
 *
 * Layout.  The .img starts at LBA 0 (the first track's two-second pregap at
 * LBA -150..-1 is never stored) and holds each session from its first
 * track's first sector to its lead-out, sessions back to back: the 11250
 * sectors of lead-out and lead-in between two sessions are not in the file
 * (libmirage and Aaru place the data so; the .sub follows the same layout).
 * The first track of a later session begins at its INDEX 0 when given, else
 * 150 sectors before INDEX 1 (the Red Book pregap of a session's first track).
 * Within a session a track ends where the next begins, the last one at the
 * session's lead-out (point A2).  When the last session has no A2 the
 * size of the .img decides at layout time.
 *
 * INDEX values: the TOC's PLBA is the authority for INDEX 1; other indexes
 * keep their distance to INDEX 1.  This reads absolute values unchanged and
 * also the session-relative values some writers put in later sessions.
 * Control gives the flags (0x1 pre-emphasis, 0x2 copy permitted, 0x8 four
 * channels; 0x4 data).  MODE picks the track mode; without it Control
 * decides between audio and Mode 1.  At layout, when the .img is open, a
 * data track's first sector header overrides MODE 1/2 (libmirage found
 * images whose MODE was wrong).
 *
 * The parser reads the text in place, never allocates per line and caps
 * every count, so hostile input costs at most a few hundred kilobytes.
 */
#include "cd/cd_disc.h"
#include "cd/cd_sector.h"
#include "cd/cd_subq.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 1024       /* TOC descriptors: 99 tracks + 3 per session + extras */
#define MAX_CDT_ENTRIES 2048   /* 8 blocks of at most 256 packs */
#define MAX_SESSIONS 99
#define LBA_MIN (-450000)      /* lead-in addresses as some writers print them */
#define LBA_ABSENT INT32_MIN
#define PREGAP_SESSION 150     /* pregap of a later session's first track */

enum sect { S_NONE, S_CLONECD, S_DISC, S_CDTEXT, S_SESSION, S_ENTRY, S_TRACK, S_OTHER };

/* Keys of [Entry N], also the bits of struct entry.have. */
enum ekey {
	E_SESSION, E_POINT, E_ADR, E_CONTROL, E_TRACKNO, E_AMIN, E_ASEC, E_AFRAME,
	E_ALBA, E_ZERO, E_PMIN, E_PSEC, E_PFRAME, E_PLBA, E_COUNT
};
static const char *const ekey_names[E_COUNT] = {
	"Session", "Point", "ADR", "Control", "TrackNo", "AMin", "ASec", "AFrame",
	"ALBA", "Zero", "PMin", "PSec", "PFrame", "PLBA",
};

struct entry {
	int line;
	unsigned have;
	int32_t v[E_COUNT];
	int32_t lba;           /* PLBA (or from the P MSF) */
};

struct ccd_track {
	int line;              /* of [TRACK N]; 0 when absent */
	int mode;              /* -1 when absent */
	int32_t index[CD_MAX_INDEX + 1]; /* LBA_ABSENT when absent */
	char isrc[13];
};

struct ccd_state {
	const char *name;
	struct dimg_error *err;
	int line;
	enum sect cur;
	unsigned keys;         /* simple keys seen in the current section */
	int sect_line;
	int cur_num;           /* N of the current [TRACK N] */
	/* [CloneCD], [Disc] */
	int clonecd_line, disc_line, cdtext_line;
	int toc_entries, sessions, scrambled;
	char catalog[14];
	/* [CDText] */
	int cdt_entries, ncdt;
	uint8_t *cdt;          /* ncdt packs of 18 bytes, CRC filled in */
	/* [Session N] */
	bool session_seen[MAX_SESSIONS + 1];
	/* [Entry N] */
	int nent;
	struct entry ent[MAX_ENTRIES];
	/* [TRACK N] */
	struct ccd_track trk[CD_MAX_TRACKS + 1];
};

static int perr(struct ccd_state *st, int line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int perr(struct ccd_state *st, int line, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return dimg_err(st->err, code, DIMG_OFFSET_NONE, "%s:%d: %s", st->name, line, msg);
	return dimg_err(st->err, code, DIMG_OFFSET_NONE, "%s: %s", st->name, msg);
}

/* ---- lexical helpers ----------------------------------------------------- */

struct span {
	const char *s;
	size_t n;
};

static struct span trim(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return (struct span){ s, n };
}

static bool span_is(struct span a, const char *word)
{
	size_t n = strlen(word);
	return a.n == n && !strncasecmp(a.s, word, n);
}

/* Parses a decimal or 0x-hexadecimal integer in [lo, hi]. */
static bool parse_int(struct span v, int64_t lo, int64_t hi, int32_t *out)
{
	int64_t x = 0;
	bool neg = false;
	size_t i = 0;
	unsigned base = 10, digits = 0;
	if (i < v.n && (v.s[i] == '-' || v.s[i] == '+'))
		neg = v.s[i++] == '-';
	if (i + 1 < v.n && v.s[i] == '0' && (v.s[i + 1] == 'x' || v.s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	}
	for (; i < v.n; i++) {
		int dv;
		char c = v.s[i];
		if (c >= '0' && c <= '9')
			dv = c - '0';
		else if (base == 16 && isxdigit((unsigned char)c))
			dv = tolower((unsigned char)c) - 'a' + 10;
		else
			return false;
		/* 0x1000000000 or 20 digits would not fit the range anyway */
		if (++digits > 12)
			return false;
		x = x * base + dv;
	}
	if (!digits)
		return false;
	if (neg)
		x = -x;
	if (x < lo || x > hi)
		return false;
	*out = (int32_t)x;
	return true;
}

/* Splits "Name 12" into the name and the number; *num = -1 without one. */
static bool split_numbered(struct span in, struct span *name, int32_t *num)
{
	size_t i = 0;
	while (i < in.n && in.s[i] != ' ' && in.s[i] != '\t')
		i++;
	*name = (struct span){ in.s, i };
	*num = -1;
	if (i == in.n)
		return true;
	return parse_int(trim(in.s + i, in.n - i), 0, 100000, num);
}

static int bad_value(struct ccd_state *st, struct span key, struct span val)
{
	return perr(st, st->line, DIMG_EFORMAT, "bad value '%.*s' for %.*s",
		    (int)(val.n > 32 ? 32 : val.n), val.s, (int)(key.n > 32 ? 32 : key.n), key.s);
}

/* A simple key may appear once per section. */
static int once(struct ccd_state *st, unsigned bit, struct span key)
{
	if (st->keys & (1u << bit))
		return perr(st, st->line, DIMG_EFORMAT, "%.*s given twice in this section",
			    (int)(key.n > 32 ? 32 : key.n), key.s);
	st->keys |= 1u << bit;
	return 0;
}

/* ---- sections and keys --------------------------------------------------- */

static int section(struct ccd_state *st, struct span in)
{
	struct span name;
	int32_t num;
	st->keys = 0;
	st->sect_line = st->line;
	if (!split_numbered(in, &name, &num))
		return perr(st, st->line, DIMG_EFORMAT, "bad section number in [%.*s]",
			    (int)(in.n > 40 ? 40 : in.n), in.s);
	if (span_is(name, "CloneCD") || span_is(name, "Disc") || span_is(name, "CDText")) {
		int *seen = span_is(name, "CloneCD") ? &st->clonecd_line
			    : span_is(name, "Disc")  ? &st->disc_line
						     : &st->cdtext_line;
		if (num >= 0)
			return perr(st, st->line, DIMG_EFORMAT, "[%.*s] takes no number",
				    (int)name.n, name.s);
		if (*seen)
			return perr(st, st->line, DIMG_EFORMAT,
				    "duplicate [%.*s] section (first at line %d)", (int)name.n,
				    name.s, *seen);
		*seen = st->line;
		st->cur = span_is(name, "CloneCD") ? S_CLONECD
			  : span_is(name, "Disc")  ? S_DISC
						   : S_CDTEXT;
		return 0;
	}
	if (span_is(name, "Session")) {
		if (num < 1 || num > MAX_SESSIONS)
			return perr(st, st->line, DIMG_EFORMAT, "session number must be 1..%d",
				    MAX_SESSIONS);
		if (st->session_seen[num])
			return perr(st, st->line, DIMG_EFORMAT, "duplicate [Session %d]", num);
		st->session_seen[num] = true;
		st->cur = S_SESSION;
		return 0;
	}
	if (span_is(name, "Entry")) {
		if (num < 0)
			return perr(st, st->line, DIMG_EFORMAT, "[Entry] needs a number");
		if (num < st->nent)
			return perr(st, st->line, DIMG_EFORMAT, "duplicate or out-of-order [Entry %d]"
				    " (expected [Entry %d])", num, st->nent);
		if (num > st->nent)
			return perr(st, st->line, DIMG_EFORMAT, "[Entry %d] missing before [Entry %d]",
				    st->nent, num);
		if (st->nent >= MAX_ENTRIES)
			return perr(st, st->line, DIMG_ELIMIT, "more than %d TOC entries",
				    MAX_ENTRIES);
		st->ent[st->nent].line = st->line;
		st->nent++;
		st->cur = S_ENTRY;
		return 0;
	}
	if (span_is(name, "TRACK")) {
		if (num < 1 || num > CD_MAX_TRACKS)
			return perr(st, st->line, DIMG_EFORMAT, "track number must be 1..%d",
				    CD_MAX_TRACKS);
		if (st->trk[num].line)
			return perr(st, st->line, DIMG_EFORMAT,
				    "duplicate [TRACK %d] (first at line %d)", num, st->trk[num].line);
		st->trk[num].line = st->line;
		st->cur_num = num;
		st->cur = S_TRACK;
		return 0;
	}
	st->cur = S_OTHER; /* unknown sections are skipped whole */
	return 0;
}

static int cdtext_entry(struct ccd_state *st, int32_t num, struct span val)
{
	uint8_t *p;
	size_t k = 0, i = 0;
	if (num != st->ncdt)
		return perr(st, st->line, DIMG_EFORMAT, "CD-TEXT Entry %d where Entry %d was expected",
			    num, st->ncdt);
	if (st->ncdt >= MAX_CDT_ENTRIES)
		return perr(st, st->line, DIMG_ELIMIT, "more than %d CD-TEXT entries",
			    MAX_CDT_ENTRIES);
	if (st->cdt_entries >= 0 && num >= st->cdt_entries)
		return perr(st, st->line, DIMG_EFORMAT, "CD-TEXT Entry %d beyond Entries=%d", num,
			    st->cdt_entries);
	if (!st->cdt && !(st->cdt = malloc(MAX_CDT_ENTRIES * 18)))
		return perr(st, 0, DIMG_ENOMEM, "out of memory");
	p = st->cdt + (size_t)st->ncdt * 18;
	while (i < val.n) {
		if (val.s[i] == ' ' || val.s[i] == '\t') {
			i++;
			continue;
		}
		if (k == 16 || i + 1 >= val.n || !isxdigit((unsigned char)val.s[i]) ||
		    !isxdigit((unsigned char)val.s[i + 1]) ||
		    (i + 2 < val.n && val.s[i + 2] != ' ' && val.s[i + 2] != '\t'))
			return perr(st, st->line, DIMG_EFORMAT,
				    "CD-TEXT Entry %d: expected 16 hex bytes", num);
		char hx[3] = { val.s[i], val.s[i + 1], 0 };
		p[k++] = (uint8_t)strtoul(hx, NULL, 16);
		i += 2;
	}
	if (k != 16)
		return perr(st, st->line, DIMG_EFORMAT, "CD-TEXT Entry %d: expected 16 hex bytes",
			    num);
	/* CloneCD leaves the CRC out; the decoder wants whole packs. */
	uint16_t crc = cd_crc16(p, 16);
	p[16] = (uint8_t)(crc >> 8);
	p[17] = (uint8_t)crc;
	st->ncdt++;
	return 0;
}

static int key_value(struct ccd_state *st, struct span key, struct span val)
{
	struct span kname;
	int32_t knum, v;
	int rc;
	if (!split_numbered(key, &kname, &knum))
		return perr(st, st->line, DIMG_EFORMAT, "bad key '%.*s'",
			    (int)(key.n > 32 ? 32 : key.n), key.s);
	switch (st->cur) {
	case S_NONE:
		return perr(st, st->line, DIMG_EFORMAT, "'%.*s' before the first section",
			    (int)(key.n > 32 ? 32 : key.n), key.s);
	case S_CLONECD:
		if (span_is(key, "Version")) {
			if ((rc = once(st, 0, key)))
				return rc;
			if (!parse_int(val, 1, 100, &v))
				return bad_value(st, key, val);
		}
		return 0;
	case S_DISC:
		if (span_is(key, "TocEntries")) {
			if ((rc = once(st, 0, key)))
				return rc;
			if (!parse_int(val, 0, MAX_ENTRIES, &st->toc_entries))
				return bad_value(st, key, val);
		} else if (span_is(key, "Sessions")) {
			if ((rc = once(st, 1, key)))
				return rc;
			if (!parse_int(val, 1, MAX_SESSIONS, &st->sessions))
				return bad_value(st, key, val);
		} else if (span_is(key, "DataTracksScrambled")) {
			if ((rc = once(st, 2, key)))
				return rc;
			if (!parse_int(val, 0, 1, &st->scrambled))
				return bad_value(st, key, val);
		} else if (span_is(key, "CDTextLength")) {
			if ((rc = once(st, 3, key)))
				return rc;
			if (!parse_int(val, 0, MAX_CDT_ENTRIES * 18, &v))
				return bad_value(st, key, val);
		} else if (span_is(key, "CATALOG")) {
			if ((rc = once(st, 4, key)))
				return rc;
			if (val.n != 13)
				return bad_value(st, key, val);
			for (size_t i = 0; i < 13; i++)
				if (!isdigit((unsigned char)val.s[i]))
					return bad_value(st, key, val);
			memcpy(st->catalog, val.s, 13);
			st->catalog[13] = 0;
		}
		return 0;
	case S_CDTEXT:
		if (span_is(key, "Entries")) {
			if ((rc = once(st, 0, key)))
				return rc;
			if (!parse_int(val, 0, MAX_CDT_ENTRIES, &st->cdt_entries) ||
			    st->cdt_entries < st->ncdt)
				return bad_value(st, key, val);
			return 0;
		}
		if (span_is(kname, "Entry") && knum >= 0)
			return cdtext_entry(st, knum, val);
		return 0;
	case S_SESSION:
		if (span_is(key, "PreGapMode") || span_is(key, "PreGapSubC")) {
			if ((rc = once(st, span_is(key, "PreGapMode") ? 0 : 1, key)))
				return rc;
			if (!parse_int(val, 0, 255, &v))
				return bad_value(st, key, val);
		}
		return 0;
	case S_ENTRY: {
		struct entry *e = &st->ent[st->nent - 1];
		for (int k = 0; k < E_COUNT; k++) {
			int64_t lo = 0, hi = 255;
			if (!span_is(key, ekey_names[k]))
				continue;
			if ((rc = once(st, (unsigned)k, key)))
				return rc;
			if (k == E_ALBA || k == E_PLBA) {
				lo = LBA_MIN;
				hi = CD_MAX_LBA;
			}
			if (!parse_int(val, lo, hi, &e->v[k]))
				return bad_value(st, key, val);
			e->have |= 1u << k;
		}
		return 0;
	}
	default:
		return 0;
	}
}

/* Keys of [TRACK N]. */
static int track_key(struct ccd_state *st, int num, struct span key, struct span val)
{
	struct ccd_track *t = &st->trk[num];
	struct span kname;
	int32_t knum, v;
	int rc;
	if (!split_numbered(key, &kname, &knum))
		return perr(st, st->line, DIMG_EFORMAT, "bad key '%.*s'",
			    (int)(key.n > 32 ? 32 : key.n), key.s);
	if (span_is(key, "MODE")) {
		if ((rc = once(st, 0, key)))
			return rc;
		if (!parse_int(val, 0, 2, &v))
			return bad_value(st, key, val);
		t->mode = v;
	} else if (span_is(kname, "INDEX") && knum >= 0) {
		if (knum > CD_MAX_INDEX)
			return perr(st, st->line, DIMG_EFORMAT, "INDEX %d: indexes run 0..%d", knum,
				    CD_MAX_INDEX);
		if (t->index[knum] != LBA_ABSENT)
			return perr(st, st->line, DIMG_EFORMAT, "INDEX %d given twice", knum);
		if (!parse_int(val, LBA_MIN, CD_MAX_LBA, &v))
			return bad_value(st, key, val);
		t->index[knum] = v;
	} else if (span_is(key, "ISRC")) {
		if ((rc = once(st, 1, key)))
			return rc;
		if (val.n != 12)
			return bad_value(st, key, val);
		for (size_t i = 0; i < 12; i++)
			if (!isalnum((unsigned char)val.s[i]))
				return bad_value(st, key, val);
		memcpy(t->isrc, val.s, 12);
		t->isrc[12] = 0;
	}
	return 0;
}

static int read_lines(struct ccd_state *st, const char *text, size_t len)
{
	size_t pos = 0;
	int rc;
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct span line = trim(text + pos, end - pos);
		st->line++;
		pos = end + 1;
		if (memchr(line.s, 0, line.n))
			return perr(st, st->line, DIMG_EFORMAT, "NUL byte in the text");
		if (!line.n || line.s[0] == ';' || line.s[0] == '#')
			continue;
		if (line.s[0] == '[') {
			if (line.s[line.n - 1] != ']')
				return perr(st, st->line, DIMG_EFORMAT, "section header without ']'");
			rc = section(st, trim(line.s + 1, line.n - 2));
			if (rc)
				return rc;
			continue;
		}
		const char *eq = memchr(line.s, '=', line.n);
		if (!eq)
			return perr(st, st->line, DIMG_EFORMAT, "expected 'key=value' or '[section]'");
		struct span key = trim(line.s, (size_t)(eq - line.s));
		struct span val = trim(eq + 1, line.n - (size_t)(eq - line.s) - 1);
		if (!key.n)
			return perr(st, st->line, DIMG_EFORMAT, "empty key");
		if (st->cur == S_TRACK)
			rc = track_key(st, st->cur_num, key, val);
		else
			rc = key_value(st, key, val);
		if (rc)
			return rc;
	}
	return 0;
}
