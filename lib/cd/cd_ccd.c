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

#define MAX_ENTRIES 1024     /* TOC descriptors: 99 tracks + 3 per session + extras */
#define MAX_CDT_ENTRIES 2048 /* 8 blocks of at most 256 packs */
#define MAX_SESSIONS 99
#define LBA_MIN (-450000) /* lead-in addresses as some writers print them */
#define LBA_ABSENT INT32_MIN
#define PREGAP_SESSION 150 /* pregap of a later session's first track */

enum sect { S_NONE, S_CLONECD, S_DISC, S_CDTEXT, S_SESSION, S_ENTRY, S_TRACK, S_OTHER };

/* Keys of [Entry N], also the bits of struct entry.have. */
enum ekey {
	E_SESSION,
	E_POINT,
	E_ADR,
	E_CONTROL,
	E_TRACKNO,
	E_AMIN,
	E_ASEC,
	E_AFRAME,
	E_ALBA,
	E_ZERO,
	E_PMIN,
	E_PSEC,
	E_PFRAME,
	E_PLBA,
	E_COUNT
};
static const char *const ekey_names[E_COUNT] = {
    "Session", "Point", "ADR",	"Control", "TrackNo", "AMin",	"ASec",
    "AFrame",  "ALBA",	"Zero", "PMin",	   "PSec",    "PFrame", "PLBA",
};

struct entry {
	int line;
	unsigned have;
	int32_t v[E_COUNT];
	int32_t lba; /* PLBA (or from the P MSF) */
};

struct ccd_track {
	int line;			 /* of [TRACK N]; 0 when absent */
	int mode;			 /* -1 when absent */
	int32_t index[CD_MAX_INDEX + 1]; /* LBA_ABSENT when absent */
	char isrc[13];
};

struct ccd_state {
	const char *name;
	struct dimg_error *err;
	int line;
	enum sect cur;
	unsigned keys; /* simple keys seen in the current section */
	int cur_num;   /* N of the current [TRACK N] */
	/* [CloneCD], [Disc] */
	int clonecd_line, disc_line, cdtext_line;
	int toc_entries, sessions, scrambled;
	char catalog[14];
	/* [CDText] */
	int cdt_entries, ncdt;
	uint8_t *cdt; /* ncdt packs of 18 bytes, CRC filled in */
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
	return (struct span){s, n};
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
	*name = (struct span){in.s, i};
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
			return perr(st, st->line, DIMG_EFORMAT,
				    "duplicate or out-of-order [Entry %d]"
				    " (expected [Entry %d])",
				    num, st->nent);
		if (num > st->nent)
			return perr(st, st->line, DIMG_EFORMAT,
				    "[Entry %d] missing before [Entry %d]", st->nent, num);
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
				    "duplicate [TRACK %d] (first at line %d)", num,
				    st->trk[num].line);
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
		return perr(st, st->line, DIMG_EFORMAT,
			    "CD-TEXT Entry %d where Entry %d was expected", num, st->ncdt);
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
		char hx[3] = {val.s[i], val.s[i + 1], 0};
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
	/* "Entry 3": anything else with a space is a key we do not know */
	bool numbered = split_numbered(key, &kname, &knum) && knum >= 0;
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
		if (span_is(kname, "Entry")) {
			if (!numbered)
				return perr(st, st->line, DIMG_EFORMAT, "bad CD-TEXT entry number");
			return cdtext_entry(st, knum, val);
		}
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
	bool numbered = split_numbered(key, &kname, &knum) && knum >= 0;
	if (span_is(key, "MODE")) {
		if ((rc = once(st, 0, key)))
			return rc;
		if (!parse_int(val, 0, 2, &v))
			return bad_value(st, key, val);
		t->mode = v;
	} else if (span_is(kname, "INDEX")) {
		if (!numbered || knum > CD_MAX_INDEX)
			return perr(st, st->line, DIMG_EFORMAT,
				    "bad INDEX number: indexes run 0..%d", CD_MAX_INDEX);
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
		size_t end = pos;
		/* LF, CRLF or a lone CR end a line */
		while (end < len && text[end] != '\n' && text[end] != '\r')
			end++;
		struct span line = trim(text + pos, end - pos);
		st->line++;
		pos = end + 1;
		if (end + 1 < len && text[end] == '\r' && text[end + 1] == '\n')
			pos++;
		if (memchr(line.s, 0, line.n))
			return perr(st, st->line, DIMG_EFORMAT, "NUL byte in the text");
		if (!line.n || line.s[0] == ';' || line.s[0] == '#')
			continue;
		if (line.s[0] == '[') {
			if (line.s[line.n - 1] != ']')
				return perr(st, st->line, DIMG_EFORMAT,
					    "section header without ']'");
			rc = section(st, trim(line.s + 1, line.n - 2));
			if (rc)
				return rc;
			continue;
		}
		const char *eq = memchr(line.s, '=', line.n);
		if (!eq)
			return perr(st, st->line, DIMG_EFORMAT,
				    "expected 'key=value' or '[section]'");
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

/* ---- from sections to the disc model ------------------------------------- */

static bool has(const struct entry *e, enum ekey k)
{
	return e->have & (1u << k);
}

/* Checks one [Entry] and works out its LBA when it places something. */
static int check_entry(struct ccd_state *st, struct entry *e, int idx)
{
	const unsigned msf = 1u << E_PMIN | 1u << E_PSEC | 1u << E_PFRAME;
	int32_t p;
	if (!has(e, E_SESSION) || !has(e, E_POINT))
		return perr(st, e->line, DIMG_EFORMAT, "[Entry %d] needs Session and Point", idx);
	if (e->v[E_SESSION] < 1 || e->v[E_SESSION] > MAX_SESSIONS)
		return perr(st, e->line, DIMG_EFORMAT, "[Entry %d]: Session must be 1..%d", idx,
			    MAX_SESSIONS);
	if (!has(e, E_ADR))
		e->v[E_ADR] = 1;
	if (e->v[E_ADR] > 15 || e->v[E_CONTROL] > 15)
		return perr(st, e->line, DIMG_EFORMAT,
			    "[Entry %d]: ADR and Control are 4-bit "
			    "fields",
			    idx);
	p = e->v[E_POINT];
	if (e->v[E_ADR] != 1)
		return 0;
	if (p == 0xA0 || p == 0xA1) {
		if (!has(e, E_PMIN))
			return perr(st, e->line, DIMG_EFORMAT,
				    "[Entry %d]: Point 0x%02x needs PMin", idx, p);
		return 0;
	}
	if (!((p >= 1 && p <= CD_MAX_TRACKS) || p == 0xA2))
		return perr(st, e->line, DIMG_EFORMAT,
			    "[Entry %d]: Point 0x%02x is neither a track "
			    "(0x01..0x63) nor 0xa0..0xa2",
			    idx, p);
	if ((e->have & msf) == msf) {
		if (e->v[E_PSEC] > 59 || e->v[E_PFRAME] > 74)
			return perr(st, e->line, DIMG_EFORMAT,
				    "[Entry %d]: bad PMin/PSec/PFrame "
				    "%d:%d:%d",
				    idx, e->v[E_PMIN], e->v[E_PSEC], e->v[E_PFRAME]);
		int32_t m =
		    (e->v[E_PMIN] * 60 + e->v[E_PSEC]) * 75 + e->v[E_PFRAME] - CD_MSF_OFFSET;
		if (has(e, E_PLBA) && e->v[E_PLBA] != m)
			return perr(st, e->line, DIMG_EFORMAT,
				    "[Entry %d]: PLBA=%d but PMin/PSec/"
				    "PFrame %02d:%02d:%02d is LBA %d",
				    idx, e->v[E_PLBA], e->v[E_PMIN], e->v[E_PSEC], e->v[E_PFRAME],
				    m);
		e->lba = m;
	} else if (has(e, E_PLBA)) {
		e->lba = e->v[E_PLBA];
	} else {
		return perr(st, e->line, DIMG_EFORMAT, "[Entry %d]: no PLBA", idx);
	}
	if (e->lba < 0 || e->lba > CD_MAX_LBA)
		return perr(st, e->line, DIMG_EFORMAT, "[Entry %d]: PLBA %d is outside the disc",
			    idx, e->lba);
	return 0;
}

/* "name.ccd" -> "name.img": the directory part is dropped (files are looked
 * up next to the sheet) and an upper-case extension stays upper case. */
static char *sibling(const char *name, const char *ext)
{
	const char *base = name, *dot;
	bool upper = false;
	size_t stem;
	char *out;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	dot = strrchr(base, '.');
	stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	if (dot && dot != base && dot[1]) {
		upper = true;
		for (const char *p = dot + 1; *p; p++)
			if (islower((unsigned char)*p))
				upper = false;
	}
	if (!(out = malloc(stem + strlen(ext) + 2)))
		return NULL;
	memcpy(out, base, stem);
	out[stem] = '.';
	for (size_t i = 0; ext[i]; i++)
		out[stem + 1 + i] = upper ? (char)toupper((unsigned char)ext[i]) : ext[i];
	out[stem + 1 + strlen(ext)] = 0;
	return out;
}

static int add_files(struct ccd_state *st, struct cd_disc *d)
{
	char *img = sibling(st->name, "img"), *sub = sibling(st->name, "sub");
	int fi = -1, fs = -1;
	if (!img || !sub) {
		free(img);
		free(sub);
		return perr(st, 0, DIMG_ENOMEM, "out of memory");
	}
	if (!img[0] || img[0] == '.') {
		free(img);
		free(sub);
		return perr(st, 0, DIMG_EINVAL, "no file name to derive the .img name from");
	}
	fi = cd_disc_add_file(d, img, CD_FILE_BINARY, st->err);
	if (fi >= 0)
		fs = cd_disc_add_file(d, sub, CD_FILE_BINARY, st->err);
	free(img);
	free(sub);
	if (fi < 0)
		return fi;
	if (fs < 0)
		return fs;
	d->sub_file = fs;
	d->sub_interleaved = false;
	d->sub_begin = 0;
	d->sub_by_file = fi; /* the .sub follows the .img sector for sector */
	return fi;
}

static int build(struct ccd_state *st, struct cd_disc *d)
{
	int tr_entry[CD_MAX_TRACKS + 1], a0[MAX_SESSIONS + 1], a1[MAX_SESSIONS + 1];
	int lo_entry[MAX_SESSIONS + 1], order[CD_MAX_TRACKS];
	int n = 0, rc, img;
	int32_t idx[CD_MAX_TRACKS][CD_MAX_INDEX + 1];
	int32_t prev_end = 0;
	uint64_t pos = 0;

	if (!st->clonecd_line)
		return perr(st, 0, DIMG_EFORMAT,
			    "not a CloneCD control file (no [CloneCD] section)");
	if (st->toc_entries >= 0 && st->toc_entries != st->nent)
		return perr(st, st->disc_line, DIMG_EFORMAT,
			    "TocEntries=%d but there are %d "
			    "[Entry] sections",
			    st->toc_entries, st->nent);
	if (st->cdt_entries >= 0 && st->cdt_entries != st->ncdt)
		return perr(st, st->cdtext_line, DIMG_EFORMAT,
			    "Entries=%d but there are %d "
			    "CD-TEXT entries",
			    st->cdt_entries, st->ncdt);

	for (int i = 0; i <= CD_MAX_TRACKS; i++)
		tr_entry[i] = -1;
	for (int i = 0; i <= MAX_SESSIONS; i++)
		a0[i] = a1[i] = lo_entry[i] = -1;
	for (int i = 0; i < st->nent; i++) {
		struct entry *e = &st->ent[i];
		int p, s, *slot = NULL;
		if ((rc = check_entry(st, e, i)))
			return rc;
		if (e->v[E_ADR] != 1)
			continue;
		p = e->v[E_POINT];
		s = e->v[E_SESSION];
		if (p >= 1 && p <= CD_MAX_TRACKS)
			slot = &tr_entry[p];
		else if (p == 0xA0)
			slot = &a0[s];
		else if (p == 0xA1)
			slot = &a1[s];
		else if (p == 0xA2)
			slot = &lo_entry[s];
		if (!slot)
			continue;
		if (*slot >= 0)
			return perr(st, e->line, DIMG_EFORMAT,
				    "Point 0x%02x of session %d is "
				    "already in [Entry %d]",
				    p, s, *slot);
		*slot = i;
	}

	/* Tracks in number order; numbers must not skip. */
	for (int p = 1; p <= CD_MAX_TRACKS; p++) {
		if (tr_entry[p] < 0) {
			if (st->trk[p].line)
				return perr(st, st->trk[p].line, DIMG_EFORMAT,
					    "[TRACK %d] has no TOC entry (Point 0x%02x)", p, p);
			continue;
		}
		if (n && p != order[n - 1] + 1)
			return perr(st, st->ent[tr_entry[p]].line, DIMG_EFORMAT,
				    "track %d follows track %d: a track entry is missing", p,
				    order[n - 1]);
		order[n++] = p;
	}
	if (!n)
		return perr(st, 0, DIMG_EFORMAT, "no track entries (Point 0x01..0x63) in the TOC");

	for (int k = 0; k < n; k++) {
		int p = order[k];
		const struct entry *e = &st->ent[tr_entry[p]];
		const struct ccd_track *ct = &st->trk[p];
		int s = e->v[E_SESSION];
		struct cd_track *t = &d->tracks[k];
		int32_t shift = 0;
		if (k) {
			const struct cd_track *pt = &d->tracks[k - 1];
			if (s < pt->session || s > pt->session + 1)
				return perr(st, e->line, DIMG_EFORMAT,
					    "track %d is in session %d after "
					    "track %d in session %d",
					    p, s, pt->number, pt->session);
			if (e->lba <= pt->start)
				return perr(st, e->line, DIMG_EFORMAT,
					    "track %d starts at LBA %d, not "
					    "after track %d (LBA %d)",
					    p, e->lba, pt->number, pt->start);
		} else if (s != 1) {
			return perr(st, e->line, DIMG_EFORMAT, "the first track is in session %d",
				    s);
		}
		memset(t, 0, sizeof(*t));
		t->number = (uint8_t)p;
		t->session = (uint8_t)s;
		t->flags = (uint8_t)(e->v[E_CONTROL] & (CD_FLAG_DCP | CD_FLAG_PRE | CD_FLAG_4CH));
		if (ct->line && ct->mode >= 0)
			t->mode = ct->mode == 0	  ? CD_TM_AUDIO
				  : ct->mode == 1 ? CD_TM_MODE1_2352
						  : CD_TM_MODE2_2352;
		else
			t->mode = (e->v[E_CONTROL] & 0x4) ? CD_TM_MODE1_2352 : CD_TM_AUDIO;
		if (cd_tmodes[t->mode].data_mode)
			t->flags &= CD_FLAG_DCP; /* the audio flags mean nothing on data */
		t->start = e->lba;
		t->file = -1;
		for (int i = 0; i <= CD_MAX_INDEX; i++)
			t->index[i] = -1;
		memcpy(t->isrc, ct->isrc, sizeof(t->isrc));
		/* PLBA anchors INDEX 1; the others keep their distance to it. */
		if (ct->line && ct->index[1] != LBA_ABSENT)
			shift = e->lba - ct->index[1];
		for (int i = 0; i <= CD_MAX_INDEX; i++) {
			int64_t v = ct->line ? ct->index[i] : LBA_ABSENT;
			if (v != LBA_ABSENT) {
				v += shift;
				if (v < LBA_MIN || v > CD_MAX_LBA)
					return perr(st, ct->line, DIMG_EFORMAT,
						    "track %d: INDEX %d lies "
						    "outside the disc",
						    p, i);
			}
			idx[k][i] = (int32_t)v;
		}
	}
	d->ntracks = n;
	d->nsessions = d->tracks[n - 1].session;
	if (st->sessions > 0 && st->sessions != d->nsessions)
		return perr(st, st->disc_line, DIMG_EFORMAT, "Sessions=%d but the tracks are in %d",
			    st->sessions, d->nsessions);
	for (int s = d->nsessions + 1; s <= MAX_SESSIONS; s++)
		if (a0[s] >= 0 || a1[s] >= 0 || lo_entry[s] >= 0) {
			int i = a0[s] >= 0 ? a0[s] : a1[s] >= 0 ? a1[s] : lo_entry[s];
			return perr(st, st->ent[i].line, DIMG_EFORMAT, "session %d has no tracks",
				    s);
		}

	/* Begin and end of every track; see the layout notes at the top. */
	for (int k = 0; k < n; k++) {
		struct cd_track *t = &d->tracks[k];
		int s = t->session, line = st->trk[t->number].line;
		bool first = !k || d->tracks[k - 1].session != s;
		bool last = k == n - 1 || d->tracks[k + 1].session != s;
		int32_t i0 = idx[k][0];
		if (!line)
			line = st->ent[tr_entry[t->number]].line;
		if (i0 != LBA_ABSENT && i0 > t->start)
			return perr(st, line, DIMG_EFORMAT,
				    "track %d: INDEX 0 (%d) after INDEX 1 (%d)", t->number, i0,
				    t->start);
		if (first && s == 1) {
			t->begin = 0;
		} else if (first) {
			if (i0 == LBA_ABSENT) {
				t->begin = t->start - PREGAP_SESSION;
				if (t->begin < prev_end)
					t->begin = prev_end;
			} else {
				t->begin = i0;
			}
			if (t->begin < prev_end)
				return perr(st, line, DIMG_EFORMAT,
					    "track %d: session %d begins at LBA "
					    "%d, inside session %d (lead-out at %d)",
					    t->number, s, t->begin, s - 1, prev_end);
		} else {
			const struct cd_track *pt = &d->tracks[k - 1];
			t->begin = i0 == LBA_ABSENT ? t->start : i0;
			if (t->begin <= pt->start)
				return perr(st, line, DIMG_EFORMAT,
					    "track %d: INDEX 0 (%d) is not after "
					    "track %d's INDEX 1 (%d)",
					    t->number, t->begin, pt->number, pt->start);
			d->tracks[k - 1].end = t->begin;
		}
		/* A pregap is INDEX 00 whether the sheet says so or not; only the
		 * first track can have INDEX 0 later than its first sector. */
		if (t->begin < t->start)
			t->index[0] =
			    i0 != LBA_ABSENT && i0 >= t->begin && i0 < t->start ? i0 : t->begin;
		t->index[1] = t->start;
		if (last) {
			int le = lo_entry[s];
			if (le >= 0) {
				t->end = st->ent[le].lba;
				if (t->end <= t->start)
					return perr(
					    st, st->ent[le].line, DIMG_EFORMAT,
					    "lead-out of "
					    "session %d (LBA %d) is not after track %d's INDEX 1 "
					    "(LBA %d)",
					    s, t->end, t->number, t->start);
			} else if (s == d->nsessions) {
				t->end = 0; /* the .img size decides at layout time */
			} else {
				return perr(st, 0, DIMG_EFORMAT,
					    "session %d has no lead-out entry "
					    "(Point 0xa2)",
					    s);
			}
			prev_end = t->end;
		}
	}
	for (int k = 0; k < n; k++) {
		struct cd_track *t = &d->tracks[k];
		int32_t lastv = t->start;
		for (int i = 2; i <= CD_MAX_INDEX; i++) {
			if (idx[k][i] == LBA_ABSENT)
				continue;
			if (idx[k][i] <= lastv || (t->end && idx[k][i] >= t->end))
				return perr(
				    st, st->trk[t->number].line, DIMG_EFORMAT,
				    "track %d: INDEX %d (LBA %d) is out of order or past the "
				    "track",
				    t->number, i, idx[k][i]);
			t->index[i] = lastv = idx[k][i];
		}
		/* A0/A1 must agree with the tracks found. */
		bool first = !k || d->tracks[k - 1].session != t->session;
		bool last = k == n - 1 || d->tracks[k + 1].session != t->session;
		int ae = first ? a0[t->session] : -1, be = last ? a1[t->session] : -1;
		if (ae >= 0 && st->ent[ae].v[E_PMIN] != t->number)
			return perr(st, st->ent[ae].line, DIMG_EFORMAT,
				    "Point 0xa0 names track %d "
				    "first in session %d, the TOC starts it with track %d",
				    st->ent[ae].v[E_PMIN], t->session, t->number);
		if (be >= 0 && st->ent[be].v[E_PMIN] != t->number)
			return perr(st, st->ent[be].line, DIMG_EFORMAT,
				    "Point 0xa1 names track %d "
				    "last in session %d, the TOC ends it with track %d",
				    st->ent[be].v[E_PMIN], t->session, t->number);
	}

	memcpy(d->catalog, st->catalog, sizeof(d->catalog));
	if ((img = add_files(st, d)) < 0)
		return img;
	for (int k = 0; k < n; k++) {
		struct cd_track *t = &d->tracks[k];
		/* the .img holds data sectors as a drive returns them unscrambled
		 * unless DataTracksScrambled=1 */
		t->scrambled = st->scrambled == 1 && cd_tmodes[t->mode].data_mode != 0;
		if (!t->end)
			break; /* the last track, sized at layout */
		if ((rc = cd_disc_add_seg(d, t, img, pos * CD_RAW, (uint32_t)(t->end - t->begin),
					  st->err)))
			return rc;
		pos += (uint64_t)(t->end - t->begin);
	}
	d->leadout = d->tracks[n - 1].end;

	if (st->ncdt) {
		/* CD-TEXT is an extra: packs this decoder cannot read leave the
		 * disc without text, not unreadable. */
		struct dimg_error e2;
		dimg_error_clear(&e2);
		rc = cd_cdtext_decode(d, st->cdt, (size_t)st->ncdt * 18, &e2);
		if (rc == DIMG_ENOMEM)
			return perr(st, 0, DIMG_ENOMEM, "out of memory");
	}
	return 0;
}

int cd_ccd_parse(struct cd_disc *d, const char *text, size_t len, const char *name,
		 struct dimg_error *err)
{
	struct ccd_state *st = calloc(1, sizeof(*st));
	int rc;
	if (!st)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	st->name = name ? name : "ccd";
	st->err = err;
	st->toc_entries = st->sessions = st->cdt_entries = -1;
	for (int t = 0; t <= CD_MAX_TRACKS; t++) {
		st->trk[t].mode = -1;
		for (int i = 0; i <= CD_MAX_INDEX; i++)
			st->trk[t].index[i] = LBA_ABSENT;
	}
	rc = read_lines(st, text, len);
	if (rc == 0)
		rc = build(st, d);
	free(st->cdt);
	free(st);
	return rc;
}

/* ---- layout -------------------------------------------------------------- */

int cd_ccd_layout(struct cd_disc *d, struct dimg_error *err)
{
	struct cd_track *last;
	struct cd_file *img;
	uint64_t stored = 0, have;
	int rc;
	if (d->ntracks < 1 || d->nfiles < 1)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "ccd layout: no tracks");
	img = &d->files[0];
	have = img->size / CD_RAW;
	last = &d->tracks[d->ntracks - 1];
	for (int i = 0; i < d->nsegs; i++)
		stored += d->segs[i].sectors;
	if (!last->nsegs) {
		/* No lead-out in the last session: the .img ends the disc. */
		uint64_t pre = (uint64_t)(last->start - last->begin);
		if (have <= stored + pre)
			return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
					"%s: %llu bytes end "
					"before track %d's INDEX 01 (the CCD has no lead-out)",
					img->name, (unsigned long long)img->size, last->number);
		if (last->begin + (have - stored) > CD_MAX_LBA)
			return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
					"%s: %llu bytes hold "
					"more sectors than a CD",
					img->name, (unsigned long long)img->size);
		last->end = last->begin + (int32_t)(have - stored);
		for (int i = 2; i <= CD_MAX_INDEX; i++)
			if (last->index[i] >= last->end)
				return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
						"track %d: INDEX "
						"%d lies past the end of %s",
						last->number, i, img->name);
		if ((rc = cd_disc_add_seg(d, last, 0, stored * CD_RAW,
					  (uint32_t)(last->end - last->begin), err)))
			return rc;
		stored = have;
		d->leadout = last->end;
	}
	if (stored > have)
		return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
				"%s: %llu bytes, but the CCD "
				"describes %llu sectors of 2352 bytes (%llu bytes)",
				img->name, (unsigned long long)img->size,
				(unsigned long long)stored, (unsigned long long)(stored * CD_RAW));
	if (!img->io)
		return 0;
	/* The sector header is the better witness of a data track's mode. */
	for (int i = 0; i < d->ntracks; i++) {
		struct cd_track *t = &d->tracks[i];
		const struct cd_seg *g = &d->segs[t->first_seg];
		uint8_t hdr[16];
		if (!cd_tmodes[t->mode].data_mode || !t->nsegs || g->file != 0)
			continue;
		uint64_t off = g->offset + (uint64_t)(t->start - t->begin) * CD_RAW;
		if ((rc = io_read(img->io, hdr, sizeof(hdr), img->data_off + off, err)))
			return rc;
		if (memcmp(hdr, cd_sync, CD_SYNC_LEN))
			continue;
		if (hdr[15] == 1)
			t->mode = CD_TM_MODE1_2352;
		else if (hdr[15] == 2)
			t->mode = CD_TM_MODE2_2352;
	}
	return 0;
}

/* ---- writer -------------------------------------------------------------- */

static uint8_t control_of(const struct cd_track *t)
{
	uint8_t c = t->flags & (CD_FLAG_DCP | CD_FLAG_PRE | CD_FLAG_4CH);
	if (cd_tmodes[t->mode].data_mode)
		c = (uint8_t)((c & CD_FLAG_DCP) | 0x4);
	return c;
}

static void put_entry(struct cd_text_out *o, int *num, int session, int point, uint8_t control,
		      int pmin, int psec, int pframe)
{
	cd_out_printf(o,
		      "[Entry %d]\r\nSession=%d\r\nPoint=0x%02x\r\nADR=0x01\r\n"
		      "Control=0x%02x\r\nTrackNo=0\r\nAMin=0\r\nASec=0\r\nAFrame=0\r\n"
		      "ALBA=-150\r\nZero=0\r\nPMin=%d\r\nPSec=%d\r\nPFrame=%d\r\nPLBA=%d\r\n",
		      (*num)++, session, point, control, pmin, psec, pframe,
		      (pmin * 60 + psec) * 75 + pframe - CD_MSF_OFFSET);
}

static void put_lba_entry(struct cd_text_out *o, int *num, int session, int point, uint8_t control,
			  int32_t lba)
{
	int32_t a = lba + CD_MSF_OFFSET;
	put_entry(o, num, session, point, control, a / 4500, a / 75 % 60, a % 75);
}

int cd_ccd_write(const struct cd_disc *d, struct cd_text_out *o, struct dimg_error *err)
{
	uint8_t *packs = NULL;
	size_t plen = 0;
	int num = 0, rc, disc_type = 0x00, scrambled = 0;

	if ((rc = cd_disc_validate(d, err)))
		return rc;
	if (d->nsessions > MAX_SESSIONS)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "ccd: more than %d sessions",
				MAX_SESSIONS);
	if (d->tracks[0].begin != 0)
		return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
				"ccd: a CloneCD image "
				"starts at LBA 0, track %d begins at %d",
				d->tracks[0].number, d->tracks[0].begin);
	for (int i = 0; i < d->ntracks; i++) {
		const struct cd_track *t = &d->tracks[i];
		if (t->session < 1 || t->session > d->nsessions ||
		    (i && t->session != d->tracks[i - 1].session &&
		     t->session != d->tracks[i - 1].session + 1) ||
		    (!i && t->session != 1))
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"ccd: track %d: sessions "
					"must run 1..%d without gaps",
					t->number, d->nsessions);
		if (i && t->session == d->tracks[i - 1].session && t->begin != d->tracks[i - 1].end)
			return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
					"ccd: sectors "
					"between tracks %d and %d belong to no track; a CCD cannot "
					"describe them",
					d->tracks[i - 1].number, t->number);
		if (t->mode == CD_TM_CDI_2336 || t->mode == CD_TM_CDI_2352)
			disc_type = 0x10;
		else if (cd_tmodes[t->mode].data_mode == 2 && disc_type == 0)
			disc_type = 0x20;
	}
	if (d->tracks[d->ntracks - 1].session != d->nsessions)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "ccd: session %d has no tracks",
				d->nsessions);
	/* the source's packs unchanged when there are some, else the model's
	 * text encoded (all blocks) */
	if ((d->packs || cd_text_any(d)) && (rc = cd_cdtext_packs(d, &packs, &plen, err)))
		return rc;

	for (int i = 0; i < d->ntracks; i++)
		scrambled = scrambled || d->tracks[i].scrambled;
	cd_out_printf(o,
		      "[CloneCD]\r\nVersion=3\r\n[Disc]\r\nTocEntries=%d\r\nSessions=%d\r\n"
		      "DataTracksScrambled=%d\r\nCDTextLength=%zu\r\n",
		      d->ntracks + 3 * d->nsessions, d->nsessions, scrambled, plen);
	if (strlen(d->catalog) == 13)
		cd_out_printf(o, "CATALOG=%s\r\n", d->catalog);
	if (plen) {
		cd_out_printf(o, "[CDText]\r\nEntries=%zu\r\n", plen / 18);
		for (size_t i = 0; i < plen / 18; i++) {
			const uint8_t *p = packs + i * 18;
			cd_out_printf(o, "Entry %zu=", i);
			for (int k = 0; k < 16; k++)
				cd_out_printf(o, k ? " %02x" : "%02x", p[k]);
			cd_out_printf(o, "\r\n");
		}
	}
	free(packs);
	for (int s = 1; s <= d->nsessions; s++) {
		const struct cd_track *ft = NULL;
		for (int i = 0; i < d->ntracks && !ft; i++)
			if (d->tracks[i].session == s)
				ft = &d->tracks[i];
		cd_out_printf(o, "[Session %d]\r\nPreGapMode=%d\r\nPreGapSubC=0\r\n", s,
			      cd_tmodes[ft->mode].data_mode);
	}
	/* Per session A0, A1, A2 then its tracks, as CloneCD orders them. */
	for (int s = 1; s <= d->nsessions; s++) {
		const struct cd_track *ft = NULL, *lt = NULL;
		for (int i = 0; i < d->ntracks; i++)
			if (d->tracks[i].session == s) {
				if (!ft)
					ft = &d->tracks[i];
				lt = &d->tracks[i];
			}
		put_entry(o, &num, s, 0xA0, control_of(ft), ft->number, disc_type, 0);
		put_entry(o, &num, s, 0xA1, control_of(lt), lt->number, 0, 0);
		put_lba_entry(o, &num, s, 0xA2, control_of(lt), lt->end);
		for (const struct cd_track *t = ft; t <= lt; t++)
			put_lba_entry(o, &num, s, t->number, control_of(t), t->start);
	}
	for (int i = 0; i < d->ntracks; i++) {
		const struct cd_track *t = &d->tracks[i];
		bool first = !i || d->tracks[i - 1].session != t->session;
		cd_out_printf(o, "[TRACK %d]\r\nMODE=%d\r\n", t->number,
			      cd_tmodes[t->mode].data_mode);
		if (!i) {
			/* The image starts at LBA 0 whatever INDEX 0 says. */
			if (t->start > 0)
				cd_out_printf(
				    o, "INDEX 0=%d\r\n",
				    t->index[0] >= 0 && t->index[0] < t->start ? t->index[0] : 0);
		} else if (first || t->begin < t->start) {
			/* A later session's first track always names its first
			 * sector: without it readers assume the Red Book pregap. */
			cd_out_printf(o, "INDEX 0=%d\r\n", t->begin);
		}
		cd_out_printf(o, "INDEX 1=%d\r\n", t->start);
		for (int k = 2; k <= CD_MAX_INDEX; k++)
			if (t->index[k] >= 0)
				cd_out_printf(o, "INDEX %d=%d\r\n", k, t->index[k]);
		if (t->isrc[0])
			cd_out_printf(o, "ISRC=%s\r\n", t->isrc);
	}
	if (o->failed)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	return 0;
}
