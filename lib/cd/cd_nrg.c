/* SPDX-License-Identifier: MIT */
/*
 * Nero NRG images (read only).  The byte layout is in cd_nrg_ondisk.h; this
 * file turns the footer and the chunk chain into the disc model.  The image
 * file itself holds the sectors, so the model has one file (index 0) whose
 * usable size is the offset of the first chunk.
 *
 * Disc-at-once sessions (DAOI/DAOX + CUES/CUEX, the n-th of each for session
 * n): the cue points give every track's INDEX 00, INDEX 01 (and further
 * indexes) and the session's lead-out as LBAs (CUES as MSF, 00:02:00 being
 * LBA 0); the DAO entry gives the track's mode, sector size, ISRC and the
 * file offsets of INDEX 00, INDEX 01 and its end.  The two must agree: the
 * bytes from INDEX 01 to the end hold exactly the sectors from INDEX 01 to
 * the next track's INDEX 00 (or the lead-out), and the stored pregap is no
 * longer than the cue points' (a shorter one is completed with generated
 * sectors in front).  Nero stores the first track's pregap from LBA -150 on
 * (MSF 00:00:00); the model starts at LBA 0, as a cue sheet does, so those
 * 150 sectors are not part of the disc (libcdio does not read them either).
 *
 * Track-at-once sessions (TINF/ETNF/ETN2): each entry gives a track's file
 * offset, length and mode.  As libcdio and libmirage lay them out, the first
 * track starts at LBA 0 and every later track follows the previous one after
 * a generated 150-sector pregap (TAO writes a 2-second gap before each
 * track; like a cue sheet's PREGAP it has no INDEX 00); the first track of a
 * later session starts 11250 + 150 sectors after the previous session's
 * lead-out.  The LBA field of ETNF/ETN2 (the
 * track's position counted without gaps) is not used.
 *
 * SINF chunks, when present, must name each session's number of tracks;
 * MTYP must say CD; CDTX packs are decoded as CD-TEXT (undecodable text
 * leaves the disc without text, as for a CCD).  Other chunks (DINF, TOCT,
 * RELO, AFNM, VOLM, ...) are skipped.  Sectors with 96 bytes of raw P-W
 * subchannel are audio CD+G tracks or raw data tracks with inline R-W (the
 * model reads P and Q from those bytes when they carry them).  Audio is stored little-endian
 * (libcdio's cd-read returns the bytes unchanged and they are the same as the cue/bin of the same
 * disc).
 *
 * Everything is decoded from the chain in memory with explicit offsets;
 * every count is bounded by the chunk's length, every offset checked against
 * the file before use, and errors name the byte offset in the file.
 */
#include "cd/cd_disc.h"
#include "cd/cd_nrg_ondisk.h"
#include "cd/cd_sector.h"
#include "util/bytes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SESSIONS 99
#define MAX_CHUNKS 4096
#define MAX_CDTX (8u * 256u * 18u) /* 8 blocks of 256 packs */
#define TAO_PREGAP 150
#define DAO_LBA_MIN (-150) /* MSF 00:00:00 */
#define ABSENT INT32_MIN

struct nrg_chunk {
	const uint8_t *p; /* data (after the 8-byte header) */
	uint32_t len;
	uint64_t at; /* file offset of the chunk header */
	char id[5];
};

struct nrg {
	struct cd_disc *d;
	const char *name;
	struct dimg_error *err;
	uint64_t chain; /* file offset of the first chunk: the sectors end here */
	struct nrg_chunk cue[MAX_SESSIONS], dao[MAX_SESSIONS], etn[MAX_SESSIONS],
	    sinf[MAX_SESSIONS];
	int ncue, ndao, netn, nsinf;
	struct nrg_chunk cdtx, mtyp;
	int file;	      /* the image in d->files */
	int next_track;	      /* number the next session must start with, 0 any */
	int32_t prev_leadout; /* of the previous session, -1 none */
	/* cue points of the current DAO session, by track number */
	int32_t idx[CD_MAX_TRACKS + 1][CD_MAX_INDEX + 1];
	uint8_t ctl[CD_MAX_TRACKS + 1];
	int32_t leadout;
};

static int nerr(struct nrg *st, int code, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int nerr(struct nrg *st, int code, uint64_t at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dimg_err(st->err, code, at > INT64_MAX ? DIMG_OFFSET_NONE : (int64_t)at, "%s: %s",
			st->name, msg);
}

/* ---- footer -------------------------------------------------------------- */

int cd_nrg_footer(const uint8_t *last, size_t n, uint64_t file_size, uint64_t *chain,
		  uint64_t *chain_end)
{
	/* NER5 first: in a NERO file the 4 bytes before the footer are the
	 * length of END!, zero */
	if (n >= NRG_FOOTER_V2 && file_size >= NRG_FOOTER_V2 &&
	    !memcmp(last + n - NRG_FOOTER_V2, "NER5", 4)) {
		*chain = ld_be64(last + n - 8);
		*chain_end = file_size - NRG_FOOTER_V2;
	} else if (n >= NRG_FOOTER_V1 && file_size >= NRG_FOOTER_V1 &&
		   !memcmp(last + n - NRG_FOOTER_V1, "NERO", 4)) {
		*chain = ld_be32(last + n - 4);
		*chain_end = file_size - NRG_FOOTER_V1;
	} else {
		return 0;
	}
	return *chain < *chain_end ? 1 : -1;
}

/* ---- small decoders ------------------------------------------------------ */

static bool bcd_ok(uint8_t v)
{
	return (v >> 4) <= 9 && (v & 15) <= 9;
}

/* "" for all NULs (or spaces); else the text when it is n characters of the
 * allowed kind. */
static int text_field(struct nrg *st, const uint8_t *p, size_t n, bool isrc, char *out, uint64_t at,
		      const char *what, int track)
{
	bool empty = true;
	for (size_t i = 0; i < n; i++)
		if (p[i] && p[i] != ' ')
			empty = false;
	out[0] = 0;
	if (empty)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		bool digit = c >= '0' && c <= '9', upper = c >= 'A' && c <= 'Z';
		if (isrc ? (i < 5 ? !(digit || upper) : !digit) : !digit) {
			if (track)
				return nerr(st, DIMG_EFORMAT, at,
					    "track %d: the %s field holds byte 0x%02x at position "
					    "%zu; an ISRC is CCOOOYYSSSSS",
					    track, what, c, i);
			return nerr(st, DIMG_EFORMAT, at,
				    "%s holds byte 0x%02x at position %zu; it is 13 digits", what,
				    c, i);
		}
	}
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

/* Maps a Nero mode code to the model's track mode and inline subchannel. */
static int track_mode(struct nrg *st, uint32_t code, bool cdi, int track, uint64_t at,
		      enum cd_tmode *m, uint8_t *sub)
{
	*sub = CD_SUBRW_NONE;
	switch (code) {
	case NRG_MODE1:
		*m = CD_TM_MODE1_2048;
		return 0;
	case NRG_MODE2_FORM1:
		*m = CD_TM_MODE2_2048;
		return 0;
	case NRG_MODE2:
		*m = cdi ? CD_TM_CDI_2336 : CD_TM_MODE2_2336;
		return 0;
	case NRG_MODE1_RAW:
		*m = CD_TM_MODE1_2352;
		return 0;
	case NRG_MODE2_RAW:
		*m = cdi ? CD_TM_CDI_2352 : CD_TM_MODE2_2352;
		return 0;
	case NRG_AUDIO:
		*m = CD_TM_AUDIO;
		return 0;
	case NRG_AUDIO_SUB:
		/* audio + 96 bytes of raw P-W: what a cue sheet calls CDG */
		*m = CD_TM_CDG;
		return 0;
	case NRG_MODE1_RAW_SUB:
		*m = CD_TM_MODE1_2352;
		*sub = CD_SUBRW_RAW;
		return 0;
	case NRG_MODE2_RAW_SUB:
		*m = cdi ? CD_TM_CDI_2352 : CD_TM_MODE2_2352;
		*sub = CD_SUBRW_RAW;
		return 0;
	default:
		return nerr(st, DIMG_EUNSUPPORTED, at, "track %d: unknown track mode 0x%x", track,
			    (unsigned)code);
	}
}

static struct cd_track *new_track(struct nrg *st, int number, int session, enum cd_tmode m)
{
	struct cd_track *t = &st->d->tracks[st->d->ntracks++];
	memset(t, 0, sizeof(*t));
	t->number = (uint8_t)number;
	t->session = (uint8_t)session;
	t->mode = m;
	t->file = st->file;
	t->first_seg = st->d->nsegs;
	for (int k = 0; k <= CD_MAX_INDEX; k++)
		t->index[k] = -1;
	return t;
}

/* ---- the chunk chain ----------------------------------------------------- */

static bool id_ok(const uint8_t *p)
{
	for (int i = 0; i < 4; i++)
		if (p[i] < 0x20 || p[i] > 0x7E)
			return false;
	return true;
}

static int add_chunk(struct nrg *st, struct nrg_chunk *arr, int *n, const struct nrg_chunk *c)
{
	if (*n >= MAX_SESSIONS)
		return nerr(st, DIMG_ELIMIT, c->at, "more than %d %s chunks (sessions)",
			    MAX_SESSIONS, c->id);
	arr[(*n)++] = *c;
	return 0;
}

static int walk_chain(struct nrg *st, const uint8_t *tail, uint64_t base, uint64_t end)
{
	uint64_t pos = st->chain;
	for (int n = 0; pos < end; n++) {
		struct nrg_chunk c;
		const uint8_t *h = tail + (pos - base);
		int rc = 0;
		if (n >= MAX_CHUNKS)
			return nerr(st, DIMG_ELIMIT, pos, "more than %d chunks", MAX_CHUNKS);
		if (end - pos < NRG_CHUNK_HDR)
			return nerr(st, DIMG_EFORMAT, pos,
				    "truncated chunk header at byte %llu (the footer starts at "
				    "byte %llu)",
				    (unsigned long long)pos, (unsigned long long)end);
		if (!id_ok(h))
			return nerr(st, DIMG_EFORMAT, pos,
				    "byte %llu: %02x %02x %02x %02x is not a chunk id (the chunk "
				    "chain is damaged)",
				    (unsigned long long)pos, h[0], h[1], h[2], h[3]);
		memcpy(c.id, h, 4);
		c.id[4] = 0;
		c.len = ld_be32(h + 4);
		c.at = pos;
		c.p = h + NRG_CHUNK_HDR;
		if (c.len > end - pos - NRG_CHUNK_HDR)
			return nerr(st, DIMG_ERANGE, pos,
				    "%s chunk at byte %llu: its %u bytes run past the footer at "
				    "byte %llu",
				    c.id, (unsigned long long)pos, c.len, (unsigned long long)end);
		if (!strcmp(c.id, "END!"))
			return 0;
		if (!strcmp(c.id, "CUES") || !strcmp(c.id, "CUEX")) {
			rc = add_chunk(st, st->cue, &st->ncue, &c);
		} else if (!strcmp(c.id, "DAOI") || !strcmp(c.id, "DAOX")) {
			rc = add_chunk(st, st->dao, &st->ndao, &c);
		} else if (!strcmp(c.id, "TINF") || !strcmp(c.id, "ETNF") ||
			   !strcmp(c.id, "ETN2")) {
			rc = add_chunk(st, st->etn, &st->netn, &c);
		} else if (!strcmp(c.id, "SINF")) {
			if (c.len != 4)
				return nerr(st, DIMG_EFORMAT, pos,
					    "SINF chunk at byte %llu: %u bytes, not 4",
					    (unsigned long long)pos, c.len);
			rc = add_chunk(st, st->sinf, &st->nsinf, &c);
		} else if (!strcmp(c.id, "MTYP") || !strcmp(c.id, "CDTX")) {
			struct nrg_chunk *one = c.id[0] == 'M' ? &st->mtyp : &st->cdtx;
			if (one->p)
				return nerr(st, DIMG_EFORMAT, pos,
					    "second %s chunk at byte %llu (the first is at byte "
					    "%llu)",
					    c.id, (unsigned long long)pos,
					    (unsigned long long)one->at);
			*one = c;
		}
		if (rc)
			return rc;
		pos += NRG_CHUNK_HDR + (uint64_t)c.len;
	}
	return 0;
}

/* ---- disc-at-once -------------------------------------------------------- */

/* Reads the cue points of one session into st->idx / ctl / leadout. */
static int cue_points(struct nrg *st, const struct nrg_chunk *c, int first, int last)
{
	bool v2 = c->id[3] == 'X';
	int cur = -1, cur_idx = -1;
	int32_t prev = INT32_MIN;
	bool leadout = false;
	if (c->len == 0 || c->len % NRG_CUE_SIZE)
		return nerr(st, DIMG_EFORMAT, c->at,
			    "%s chunk at byte %llu: %u bytes is not a whole number of 8-byte cue "
			    "points",
			    c->id, (unsigned long long)c->at, c->len);
	for (int t = first; t <= last; t++) {
		for (int k = 0; k <= CD_MAX_INDEX; k++)
			st->idx[t][k] = ABSENT;
		st->ctl[t] = 0;
	}
	for (uint32_t i = 0; i < c->len / NRG_CUE_SIZE; i++) {
		const uint8_t *e = c->p + (size_t)i * NRG_CUE_SIZE;
		uint64_t at = c->at + NRG_CHUNK_HDR + (uint64_t)i * NRG_CUE_SIZE;
		uint8_t tb = e[NRG_CUE_TRACK], ib = e[NRG_CUE_INDEX];
		int32_t lba;
		int t, x;
		if (leadout)
			return nerr(st, DIMG_EFORMAT, at, "%s: cue point after the lead-out",
				    c->id);
		if ((tb != NRG_TRACK_LEADOUT && !bcd_ok(tb)) || !bcd_ok(ib))
			return nerr(st, DIMG_EFORMAT, at, "%s: track %02x index %02x is not BCD",
				    c->id, tb, ib);
		if (v2) {
			lba = (int32_t)ld_be32(e + NRG_CUE_ADDR);
		} else {
			const uint8_t *a = e + NRG_CUE_ADDR;
			if (a[2] >= 60 || a[3] >= 75)
				return nerr(st, DIMG_EFORMAT, at,
					    "CUES: %02u:%02u:%02u is not an MSF address", a[1],
					    a[2], a[3]);
			lba = ((int32_t)a[1] * 60 + a[2]) * 75 + a[3] - CD_MSF_OFFSET;
		}
		if (tb == 0) {
			/* the lead-in; where it is does not matter here */
			if (cur >= 0)
				return nerr(st, DIMG_EFORMAT, at,
					    "%s: lead-in cue point after track cue points", c->id);
			continue;
		}
		if (lba < DAO_LBA_MIN || lba > CD_MAX_LBA)
			return nerr(st, DIMG_EFORMAT, at,
				    "%s: LBA %d of track %02x index %02x lies outside the disc",
				    c->id, lba, tb, ib);
		if (tb == NRG_TRACK_LEADOUT) {
			if (cur < 0)
				return nerr(st, DIMG_EFORMAT, at, "%s: lead-out before any track",
					    c->id);
			if (lba <= prev)
				return nerr(st, DIMG_EFORMAT, at,
					    "%s: the lead-out (LBA %d) is not after the last cue "
					    "point (LBA %d)",
					    c->id, lba, prev);
			st->leadout = lba;
			leadout = true;
			continue;
		}
		t = cd_unbcd(tb);
		x = cd_unbcd(ib);
		if (t < first || t > last)
			return nerr(st, DIMG_EFORMAT, at,
				    "%s: cue point of track %d; the DAO chunk lists tracks %d..%d",
				    c->id, t, first, last);
		if (t < cur || (t == cur && x <= cur_idx))
			return nerr(st, DIMG_EFORMAT, at,
				    "%s: track %d index %d comes after track %d index %d", c->id, t,
				    x, cur, cur_idx);
		if (t != cur && cur >= 0 && st->idx[cur][1] == ABSENT)
			return nerr(st, DIMG_EFORMAT, at, "%s: track %d has no INDEX 01 cue point",
				    c->id, cur);
		/* INDEX 00 at INDEX 01's address: no pregap */
		if (lba < prev || (lba == prev && !(t == cur && cur_idx == 0 && x == 1)))
			return nerr(st, DIMG_EFORMAT, at,
				    "%s: track %d index %d at LBA %d is not after the previous cue "
				    "point (LBA %d)",
				    c->id, t, x, lba, prev);
		if (lba == prev)
			st->idx[t][0] = ABSENT;
		if (x != 0 && lba < 0)
			return nerr(st, DIMG_EFORMAT, at,
				    "%s: track %d index %d at LBA %d lies before the start of the "
				    "disc",
				    c->id, t, x, lba);
		st->idx[t][x] = lba;
		if (x == 1)
			st->ctl[t] = e[NRG_CUE_ADRCTL] >> 4;
		cur = t;
		cur_idx = x;
		prev = lba;
	}
	if (!leadout)
		return nerr(st, DIMG_EFORMAT, c->at,
			    "%s chunk at byte %llu has no lead-out cue point", c->id,
			    (unsigned long long)c->at);
	for (int t = first; t <= last; t++)
		if (st->idx[t][1] == ABSENT)
			return nerr(st, DIMG_EFORMAT, c->at,
				    "%s chunk at byte %llu: track %d has no INDEX 01 cue point",
				    c->id, (unsigned long long)c->at, t);
	return 0;
}

/* One DAO track: entry e (at file offset at) against the cue points. */
static int dao_track(struct nrg *st, int session, int number, bool last_of_session,
		     const uint8_t *e, uint64_t at, bool v2, bool cdi)
{
	const int32_t *idx = st->idx[number];
	uint64_t off[3], stored_pre, stored, need_pre;
	int32_t begin = idx[0] != ABSENT ? idx[0] : idx[1], start = idx[1], end;
	enum cd_tmode m;
	uint8_t sub;
	struct cd_track *t;
	unsigned ss;
	uint32_t gen;
	int rc;
	char isrc[13];

	if ((rc = track_mode(st, e[NRG_DAO_MODE], cdi, number, at, &m, &sub)))
		return rc;
	ss = cd_tmodes[m].sector_size + (sub ? 96u : 0u);
	if (ld_be16(e + NRG_DAO_SECSIZE) != ss)
		return nerr(st, DIMG_EUNSUPPORTED, at,
			    "track %d: %u-byte sectors for mode 0x%02x (%s), which stores %u",
			    number, ld_be16(e + NRG_DAO_SECSIZE), e[NRG_DAO_MODE], cd_tmodes[m].cue,
			    ss);
	if ((rc = text_field(st, e + NRG_DAO_ISRC, 12, true, isrc, at, "ISRC", number)))
		return rc;
	for (int k = 0; k < 3; k++)
		off[k] = v2 ? ld_be64(e + NRG_DAO_OFFS + 8 * k) : ld_be32(e + NRG_DAO_OFFS + 4 * k);
	if (last_of_session) {
		end = st->leadout;
	} else {
		const int32_t *nx = st->idx[number + 1];
		end = nx[0] != ABSENT ? nx[0] : nx[1];
	}
	if (end <= start)
		return nerr(st, DIMG_EFORMAT, at,
			    "track %d: INDEX 01 at LBA %d is not before the %s at LBA %d", number,
			    start, last_of_session ? "lead-out" : "next track", end);
	for (int k = 2; k <= CD_MAX_INDEX; k++)
		if (idx[k] != ABSENT && idx[k] >= end)
			return nerr(st, DIMG_EFORMAT, at,
				    "track %d: INDEX %02d at LBA %d lies past the track's end (LBA "
				    "%d)",
				    number, k, idx[k], end);
	if (off[0] > off[1] || off[1] > off[2] || (off[1] - off[0]) % ss || (off[2] - off[1]) % ss)
		return nerr(st, DIMG_EFORMAT, at,
			    "track %d: file offsets %llu (INDEX 00), %llu (INDEX 01), %llu (end) "
			    "are not in order in whole %u-byte sectors",
			    number, (unsigned long long)off[0], (unsigned long long)off[1],
			    (unsigned long long)off[2], ss);
	stored_pre = (off[1] - off[0]) / ss;
	stored = (off[2] - off[1]) / ss;
	need_pre = (uint64_t)((int64_t)start - begin);
	if (stored != (uint64_t)((int64_t)end - start))
		return nerr(st, DIMG_EFORMAT, at,
			    "track %d: the DAO entry stores %llu sectors from INDEX 01 (bytes %llu "
			    "to %llu), the cue points give %d (LBA %d to %d)",
			    number, (unsigned long long)stored, (unsigned long long)off[1],
			    (unsigned long long)off[2], end - start, start, end);
	if (stored_pre > need_pre)
		return nerr(st, DIMG_EFORMAT, at,
			    "track %d: the DAO entry stores a pregap of %llu sectors, the cue "
			    "points leave %llu",
			    number, (unsigned long long)stored_pre, (unsigned long long)need_pre);
	gen = (uint32_t)(need_pre - stored_pre);
	/* the model starts at LBA 0: drop what lies before (the first
	 * track's pregap from MSF 00:00:00) */
	if (begin < 0) {
		uint32_t skip = (uint32_t)-begin, g = skip < gen ? skip : gen;
		gen -= g;
		if (skip > g) {
			st->d->unkept.file = st->file;
			st->d->unkept.offset = off[0];
			st->d->unkept.len = (uint64_t)(skip - g) * ss;
		}
		off[0] += (uint64_t)(skip - g) * ss;
		begin = 0;
	}
	t = new_track(st, number, session, m);
	t->sub_rw = sub;
	t->begin = begin;
	t->start = start;
	t->end = end;
	t->pregap_gen = gen;
	if (begin < start)
		t->index[0] = begin;
	t->index[1] = start;
	for (int k = 2; k <= CD_MAX_INDEX; k++)
		if (idx[k] != ABSENT)
			t->index[k] = idx[k];
	t->flags = st->ctl[number] & (CD_FLAG_DCP | CD_FLAG_PRE | CD_FLAG_4CH);
	if (cd_tmodes[m].data_mode)
		t->flags &= CD_FLAG_DCP;
	memcpy(t->isrc, isrc, sizeof(t->isrc));
	if ((rc = cd_disc_add_seg(st->d, t, -1, 0, gen, st->err)))
		return rc;
	return cd_disc_add_seg(st->d, t, st->file, off[0], (uint32_t)(end - begin) - gen, st->err);
}

static int dao_session(struct nrg *st, int s)
{
	const struct nrg_chunk *c = &st->dao[s];
	bool v2 = c->id[3] == 'X';
	size_t esz = v2 ? NRG_DAOX_ENTRY : NRG_DAOI_ENTRY;
	int first, last, n, rc;
	char mcn[14];
	if (c->len < NRG_DAO_HDR)
		return nerr(st, DIMG_EFORMAT, c->at,
			    "%s chunk at byte %llu: %u bytes, shorter than its %d-byte header",
			    c->id, (unsigned long long)c->at, c->len, NRG_DAO_HDR);
	first = c->p[NRG_DAO_FIRST];
	last = c->p[NRG_DAO_LAST];
	if (first < 1 || last > CD_MAX_TRACKS || last < first)
		return nerr(st, DIMG_EFORMAT, c->at,
			    "%s chunk at byte %llu: tracks %d..%d (no tracks, or not 1..99)", c->id,
			    (unsigned long long)c->at, first, last);
	if (st->next_track && first != st->next_track)
		return nerr(st, DIMG_EFORMAT, c->at,
			    "%s chunk at byte %llu: session %d starts with track %d, not %d", c->id,
			    (unsigned long long)c->at, s + 1, first, st->next_track);
	n = last - first + 1;
	if (c->len != NRG_DAO_HDR + (uint64_t)n * esz)
		return nerr(st, DIMG_EFORMAT, c->at,
			    "%s chunk at byte %llu: %u bytes for %d tracks (expected %llu)", c->id,
			    (unsigned long long)c->at, c->len, n,
			    (unsigned long long)(NRG_DAO_HDR + (uint64_t)n * esz));
	if ((rc = text_field(st, c->p + NRG_DAO_MCN, 13, false, mcn, c->at + NRG_CHUNK_HDR,
			     "the catalog number (MCN)", 0)))
		return rc;
	if (mcn[0] && !st->d->catalog[0])
		memcpy(st->d->catalog, mcn, sizeof(mcn));
	if ((rc = cue_points(st, &st->cue[s], first, last)))
		return rc;
	if (st->prev_leadout >= 0) {
		const int32_t *f = st->idx[first];
		int32_t b = f[0] != ABSENT ? f[0] : f[1];
		if (b < st->prev_leadout)
			return nerr(
			    st, DIMG_EFORMAT, st->cue[s].at,
			    "session %d begins at LBA %d, before the lead-out of session %d "
			    "(LBA %d)",
			    s + 1, b, s, st->prev_leadout);
	}
	for (int k = 0; k < n; k++) {
		const uint8_t *e = c->p + NRG_DAO_HDR + (size_t)k * esz;
		uint64_t at = c->at + NRG_CHUNK_HDR + NRG_DAO_HDR + (uint64_t)k * esz;
		if ((rc = dao_track(st, s + 1, first + k, k == n - 1, e, at, v2,
				    c->p[NRG_DAO_DISC_TYPE] == NRG_DISC_CDI)))
			return rc;
	}
	st->next_track = last + 1;
	st->prev_leadout = st->leadout;
	return 0;
}

/* ---- track-at-once ------------------------------------------------------- */

static int tao_session(struct nrg *st, int s)
{
	const struct nrg_chunk *c = &st->etn[s];
	struct cd_disc *d = st->d;
	size_t esz = !strcmp(c->id, "ETN2")   ? NRG_ETN2_ENTRY
		     : !strcmp(c->id, "ETNF") ? NRG_ETNF_ENTRY
					      : NRG_TINF_ENTRY;
	bool v2 = esz == NRG_ETN2_ENTRY;
	uint32_t n;
	if (c->len == 0 || c->len % esz)
		return nerr(st, DIMG_EFORMAT, c->at,
			    "%s chunk at byte %llu: %u bytes is not a whole number of %zu-byte "
			    "track entries%s",
			    c->id, (unsigned long long)c->at, c->len, esz,
			    c->len ? "" : " (no tracks)");
	n = c->len / (uint32_t)esz;
	if ((uint64_t)d->ntracks + n > CD_MAX_TRACKS)
		return nerr(st, DIMG_ELIMIT, c->at, "%s chunk at byte %llu: more than %d tracks",
			    c->id, (unsigned long long)c->at, CD_MAX_TRACKS);
	for (uint32_t k = 0; k < n; k++) {
		const uint8_t *e = c->p + (size_t)k * esz;
		uint64_t at = c->at + NRG_CHUNK_HDR + (uint64_t)k * esz;
		uint64_t off = v2 ? ld_be64(e) : ld_be32(e);
		uint64_t len = v2 ? ld_be64(e + 8) : ld_be32(e + 4);
		uint32_t code = ld_be32(e + (v2 ? 16 : 8));
		int number = d->ntracks + 1, rc;
		enum cd_tmode m;
		uint8_t sub;
		struct cd_track *t;
		int64_t begin, start;
		uint64_t sectors;
		unsigned ss;
		if ((rc = track_mode(st, code, false, number, at, &m, &sub)))
			return rc;
		ss = cd_tmodes[m].sector_size + (sub ? 96u : 0u);
		if (len == 0 || len % ss)
			return nerr(st, DIMG_EFORMAT, at,
				    "track %d: %llu bytes is not a whole number of %u-byte sectors "
				    "(%s)",
				    number, (unsigned long long)len, ss, cd_tmodes[m].cue);
		sectors = len / ss;
		if (d->ntracks == 0) {
			begin = start = 0;
		} else if (k == 0) {
			begin = (int64_t)st->prev_leadout + CD_SESSION_GAP;
			start = begin + TAO_PREGAP;
		} else {
			begin = d->tracks[d->ntracks - 1].end;
			start = begin + TAO_PREGAP;
		}
		if ((uint64_t)start + sectors > CD_MAX_LBA)
			return nerr(st, DIMG_ELIMIT, at,
				    "track %d: %llu sectors from LBA %lld go past the largest CD "
				    "(%d sectors)",
				    number, (unsigned long long)sectors, (long long)start,
				    CD_MAX_LBA);
		t = new_track(st, number, s + 1, m);
		t->sub_rw = sub;
		t->begin = (int32_t)begin;
		t->start = (int32_t)start;
		t->end = (int32_t)(start + (int64_t)sectors);
		/* a generated pregap the image states nothing about: no INDEX
		 * 00, as for a cue sheet's PREGAP */
		t->pregap_gen = (uint32_t)(start - begin);
		t->index[1] = t->start;
		if ((rc = cd_disc_add_seg(d, t, -1, 0, t->pregap_gen, st->err)) ||
		    (rc = cd_disc_add_seg(d, t, st->file, off, (uint32_t)sectors, st->err)))
			return rc;
	}
	st->prev_leadout = d->tracks[d->ntracks - 1].end;
	return 0;
}

/* ---- the disc ------------------------------------------------------------ */

static int sessions(struct nrg *st)
{
	struct cd_disc *d = st->d;
	int n, rc;
	if (st->ndao && st->netn)
		return nerr(st, DIMG_EFORMAT, st->etn[0].at,
			    "both disc-at-once (%s at byte %llu) and track-at-once (%s at byte "
			    "%llu) track tables",
			    st->dao[0].id, (unsigned long long)st->dao[0].at, st->etn[0].id,
			    (unsigned long long)st->etn[0].at);
	if (st->ndao) {
		if (st->ncue != st->ndao)
			return nerr(st, DIMG_EFORMAT, st->dao[0].at,
				    "%d DAO chunks but %d cue point chunks (CUES/CUEX); each "
				    "session needs one of each",
				    st->ndao, st->ncue);
		n = st->ndao;
	} else if (st->netn) {
		n = st->netn;
	} else {
		return nerr(st, DIMG_EFORMAT, st->chain,
			    "no track table: the chunk chain at byte %llu has no DAOI/DAOX or "
			    "TINF/ETNF/ETN2 chunk",
			    (unsigned long long)st->chain);
	}
	if (st->nsinf && st->nsinf != n)
		return nerr(st, DIMG_EFORMAT, st->sinf[0].at, "%d SINF chunks for %d sessions",
			    st->nsinf, n);
	for (int s = 0; s < n; s++) {
		int before = d->ntracks;
		rc = st->ndao ? dao_session(st, s) : tao_session(st, s);
		if (rc)
			return rc;
		d->nsessions = s + 1;
		if (st->nsinf && ld_be32(st->sinf[s].p) != (uint32_t)(d->ntracks - before))
			return nerr(st, DIMG_EFORMAT, st->sinf[s].at,
				    "SINF chunk at byte %llu: session %d has %u tracks, the track "
				    "table lists %d",
				    (unsigned long long)st->sinf[s].at, s + 1,
				    ld_be32(st->sinf[s].p), d->ntracks - before);
	}
	d->leadout = d->tracks[d->ntracks - 1].end;
	return 0;
}

static int extras(struct nrg *st)
{
	if (st->mtyp.p) {
		uint32_t v = st->mtyp.len == 4 ? ld_be32(st->mtyp.p) : 0;
		if (st->mtyp.len != 4)
			return nerr(st, DIMG_EFORMAT, st->mtyp.at, "MTYP chunk: %u bytes, not 4",
				    st->mtyp.len);
		if (v && !(v & (NRG_MEDIA_CD | NRG_MEDIA_CDROM)))
			return nerr(st, DIMG_EUNSUPPORTED, st->mtyp.at,
				    "media type 0x%x is not a CD (DVD and BD images are not "
				    "supported)",
				    v);
	}
	if (st->cdtx.p) {
		struct dimg_error e2;
		int rc;
		if (st->cdtx.len % 18 || st->cdtx.len > MAX_CDTX)
			return nerr(
			    st, DIMG_EFORMAT, st->cdtx.at,
			    "CDTX chunk: %u bytes is not up to %u CD-TEXT packs of 18 bytes",
			    st->cdtx.len, MAX_CDTX / 18);
		/* CD-TEXT is an extra: text this decoder cannot read leaves the
		 * disc without text, not unreadable */
		dimg_error_clear(&e2);
		rc = cd_cdtext_decode(st->d, st->cdtx.p, st->cdtx.len, &e2);
		if (rc == DIMG_ENOMEM)
			return dimg_err(st->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	return 0;
}

int cd_nrg_parse(struct cd_disc *d, const uint8_t *tail, size_t tail_len, uint64_t file_size,
		 const char *name, struct dimg_error *err)
{
	struct nrg *st;
	uint64_t chain, end, base;
	int rc, f;
	if (!name)
		name = "nrg";
	if (tail_len > file_size)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "%s: tail longer than the file",
				name);
	base = file_size - tail_len;
	rc = cd_nrg_footer(tail, tail_len, file_size, &chain, &end);
	if (rc == 0)
		return dimg_err(
		    err, DIMG_EFORMAT,
		    file_size >= NRG_FOOTER_V2 ? (int64_t)(file_size - NRG_FOOTER_V2) : 0,
		    "%s: no NRG footer (\"NER5\" or \"NERO\" in the last 12 bytes)", name);
	if (rc < 0 || chain < base)
		return dimg_err(
		    err, rc < 0 ? DIMG_ERANGE : DIMG_ELIMIT, (int64_t)(end > INT64_MAX ? 0 : end),
		    "%s: the footer puts the first chunk at byte %llu, %s (the footer "
		    "starts at byte %llu)",
		    name, (unsigned long long)chain,
		    rc < 0 ? "not before the footer" : "too far from the end of the file",
		    (unsigned long long)end);
	if (!(st = calloc(1, sizeof(*st))))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	st->d = d;
	st->name = name;
	st->err = err;
	st->chain = chain;
	st->prev_leadout = -1;
	snprintf(d->sheet, sizeof(d->sheet), "%s", name);
	if ((f = cd_disc_add_file(d, name, CD_FILE_BINARY, err)) < 0) {
		rc = f;
		goto out;
	}
	st->file = f;
	/* the sectors end where the chunks begin */
	d->files[f].size = chain;
	if ((rc = walk_chain(st, tail, base, end)) == 0 && (rc = sessions(st)) == 0)
		rc = extras(st);
out:
	free(st);
	return rc;
}

/* ---- layout -------------------------------------------------------------- */

struct run {
	uint64_t from, to;
	int track;
};

static int run_cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	return x->from < y->from ? -1 : x->from > y->from;
}

int cd_nrg_layout(struct cd_disc *d, struct dimg_error *err)
{
	struct run *runs;
	int n = 0, rc = 0;
	if (d->nfiles < 1 || d->ntracks < 1)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "nrg layout: no tracks");
	if (!(runs = calloc((size_t)d->nsegs + 1, sizeof(*runs))))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	for (int i = 0; i < d->ntracks && rc == 0; i++) {
		const struct cd_track *t = &d->tracks[i];
		uint64_t ss = cd_track_stride(t);
		for (int s = 0; s < t->nsegs && rc == 0; s++) {
			const struct cd_seg *g = &d->segs[t->first_seg + s];
			const struct cd_file *f;
			uint64_t bytes = (uint64_t)g->sectors * ss;
			if (g->file < 0)
				continue;
			f = &d->files[g->file];
			if (g->offset > f->size || bytes > f->size - g->offset)
				rc = dimg_err(
				    err, DIMG_ERANGE,
				    g->offset > INT64_MAX ? DIMG_OFFSET_NONE : (int64_t)g->offset,
				    "%s: track %d: its sectors (bytes %llu to %llu) lie "
				    "beyond the sector data, which ends at byte %llu where "
				    "the chunks begin",
				    d->sheet, t->number, (unsigned long long)g->offset,
				    (unsigned long long)(g->offset + bytes),
				    (unsigned long long)f->size);
			runs[n++] = (struct run){g->offset, g->offset + bytes, t->number};
		}
	}
	if (rc == 0 && n > 1) {
		qsort(runs, (size_t)n, sizeof(*runs), run_cmp);
		for (int i = 1; i < n && rc == 0; i++)
			if (runs[i].from < runs[i - 1].to)
				rc =
				    dimg_err(err, DIMG_EFORMAT, (int64_t)runs[i].from,
					     "%s: tracks %d and %d overlap in the file (bytes %llu "
					     "to %llu)",
					     d->sheet, runs[i - 1].track, runs[i].track,
					     (unsigned long long)runs[i].from,
					     (unsigned long long)(runs[i - 1].to < runs[i].to
								      ? runs[i - 1].to
								      : runs[i].to));
	}
	free(runs);
	return rc;
}
