/* SPDX-License-Identifier: MIT */
/*
 * Nero NRG parser (cd_nrg.c): footers, disc-at-once and track-at-once
 * layouts, sessions, CD-TEXT, and hostile chunk chains.
 *
 * Oracles: the chunk chains below are written byte by byte from the format's
 * description (Wikipedia "NRG (file format)", libmirage's and BizHawk's
 * notes) and the expected track tables worked out by hand; the DAO case
 * mirrors libcdio's p1.nrg, whose table cd-info prints as tracks at LSN 150
 * and 300 and the lead-out at 302.  With ../shared/corpus present, p1.nrg and
 * videocd.nrg themselves are parsed and checked against cd-info's tables
 * (libcdio's .right file for videocd).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cd/cd_disc.h"
#include "cd/cd_sector.h"
#include "cd/cd_subq.h"

/* ---- building chunk chains ---------------------------------------------- */

/* The tail of an image: chunks and footer; the sectors before them are not
 * needed by the parser, only their size (data). */
struct nb {
	uint8_t t[16384];
	size_t len;
	uint64_t data; /* bytes of sectors before the chain */
};

static void put(struct nb *b, const void *p, size_t n)
{
	assert_true(b->len + n <= sizeof(b->t));
	memcpy(b->t + b->len, p, n);
	b->len += n;
}
static void u8(struct nb *b, uint8_t v)
{
	put(b, &v, 1);
}
static void be16(struct nb *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(b, x, 2);
}
static void be32(struct nb *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	put(b, x, 4);
}
static void be64(struct nb *b, uint64_t v)
{
	be32(b, (uint32_t)(v >> 32));
	be32(b, (uint32_t)v);
}
static void id(struct nb *b, const char *s)
{
	put(b, s, 4);
}
static void zeros(struct nb *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		u8(b, 0);
}
/* Starts a chunk; returns where its length goes (fixed by end_chunk). */
static size_t chunk(struct nb *b, const char *cid)
{
	id(b, cid);
	be32(b, 0);
	return b->len;
}
static void end_chunk(struct nb *b, size_t at)
{
	uint32_t n = (uint32_t)(b->len - at);
	b->t[at - 4] = (uint8_t)(n >> 24);
	b->t[at - 3] = (uint8_t)(n >> 16);
	b->t[at - 2] = (uint8_t)(n >> 8);
	b->t[at - 1] = (uint8_t)n;
}

/* A cue point: CUEX (LBA) or CUES (MSF of LBA + 150, binary). */
static void cue(struct nb *b, bool x, uint8_t adrctl, uint8_t track, uint8_t index, int32_t lba)
{
	u8(b, adrctl);
	u8(b, track);
	u8(b, index);
	u8(b, 0);
	if (x) {
		be32(b, (uint32_t)lba);
	} else {
		int32_t f = lba + 150;
		u8(b, 0);
		u8(b, (uint8_t)(f / 4500));
		u8(b, (uint8_t)(f / 75 % 60));
		u8(b, (uint8_t)(f % 75));
	}
}

struct dao_tr {
	const char *isrc;
	uint16_t ss;
	uint8_t mode;
	uint64_t off[3]; /* INDEX 00, INDEX 01, end */
};

static void dao(struct nb *b, bool x, const char *mcn, uint8_t disc_type, int first, int last,
		const struct dao_tr *tr)
{
	size_t at = chunk(b, x ? "DAOX" : "DAOI");
	char m[14] = {0};
	be32(b, 0);
	if (mcn)
		memcpy(m, mcn, 13);
	put(b, m, 14);
	u8(b, disc_type);
	u8(b, 0);
	u8(b, (uint8_t)first);
	u8(b, (uint8_t)last);
	for (int k = 0; k <= last - first; k++) {
		char isrc[12] = {0};
		if (tr[k].isrc)
			memcpy(isrc, tr[k].isrc, 12);
		put(b, isrc, 12);
		be16(b, tr[k].ss);
		u8(b, tr[k].mode);
		zeros(b, 2);
		u8(b, 1);
		for (int i = 0; i < 3; i++)
			x ? be64(b, tr[k].off[i]) : be32(b, (uint32_t)tr[k].off[i]);
	}
	end_chunk(b, at);
}

static void sinf_chunk(struct nb *b, uint32_t tracks)
{
	size_t at = chunk(b, "SINF");
	be32(b, tracks);
	end_chunk(b, at);
}

static void finish(struct nb *b, bool v2)
{
	chunk(b, "END!");
	if (v2) {
		id(b, "NER5");
		be64(b, b->data);
	} else {
		id(b, "NERO");
		be32(b, (uint32_t)b->data);
	}
}

/* libcdio's p1.nrg, rebuilt: two audio tracks; track 1's pregap stored from
 * LBA -150 (300 sectors), 75 sectors of data; track 2 a 75-sector pregap and
 * 2 sectors.  x: NER5 with CUEX/DAOX, else NERO with CUES/DAOI. */
static void p1_like_mode(struct nb *b, bool x, uint16_t s, uint8_t mode)
{
	const struct dao_tr tr[2] = {
	    {NULL, s, mode, {0, 300u * s, 375u * s}},
	    {NULL, s, mode, {375u * s, 450u * s, 452u * s}},
	};
	size_t at;
	memset(b, 0, sizeof(*b));
	b->data = 452 * s;
	at = chunk(b, x ? "CUEX" : "CUES");
	cue(b, x, 0x01, 0x00, 0x00, -150);
	cue(b, x, 0x21, 0x01, 0x00, -150);
	cue(b, x, 0x21, 0x01, 0x01, 150);
	cue(b, x, 0x21, 0x02, 0x00, 225);
	cue(b, x, 0x21, 0x02, 0x01, 300);
	cue(b, x, 0x01, 0xAA, 0x01, 302);
	end_chunk(b, at);
	dao(b, x, NULL, 0, 1, 2, tr);
	sinf_chunk(b, 2);
	at = chunk(b, "MTYP");
	be32(b, 1);
	end_chunk(b, at);
	finish(b, x);
}

static void p1_like(struct nb *b, bool x)
{
	p1_like_mode(b, x, 2352, 0x07);
}

static int parse(struct nb *b, struct cd_disc **out, struct dimg_error *err)
{
	struct cd_disc *d = cd_disc_new();
	int rc;
	assert_non_null(d);
	dimg_error_clear(err);
	rc = cd_nrg_parse(d, b->t, b->len, b->data + b->len, "t.nrg", err);
	if (rc == 0)
		rc = cd_nrg_layout(d, err);
	if (rc == 0)
		rc = cd_disc_validate(d, err);
	if (rc) {
		cd_disc_free(d);
		d = NULL;
	}
	*out = d;
	return rc;
}

static struct cd_disc *parse_ok(struct nb *b)
{
	struct dimg_error err;
	struct cd_disc *d;
	if (parse(b, &d, &err))
		fail_msg("%s", err.message);
	return d;
}

static void parse_fails(struct nb *b, int code, const char *want, int64_t offset)
{
	struct dimg_error err;
	struct cd_disc *d;
	int rc = parse(b, &d, &err);
	if (rc == 0) {
		cd_disc_free(d);
		fail_msg("parsed, wanted an error containing '%s'", want);
	}
	if (!strstr(err.message, want) || strncmp(err.message, "t.nrg: ", 7))
		fail_msg("error '%s' lacks '%s'", err.message, want);
	if (code && rc != code)
		fail_msg("error '%s': code %d, wanted %d", err.message, rc, code);
	if (offset != -2 && err.offset != offset)
		fail_msg("error '%s': offset %lld, wanted %lld", err.message, (long long)err.offset,
			 (long long)offset);
}

/* A TAO track's generated pregap has no INDEX 00 (as a cue sheet's PREGAP). */
static bool tao;

static void check_track(const struct cd_track *t, int number, int session, enum cd_tmode m,
			int32_t begin, int32_t start, int32_t end)
{
	assert_int_equal(t->number, number);
	assert_int_equal(t->session, session);
	assert_int_equal(t->mode, m);
	assert_int_equal(t->begin, begin);
	assert_int_equal(t->start, start);
	assert_int_equal(t->end, end);
	assert_int_equal(t->index[1], start);
	assert_int_equal(t->index[0], begin < start && !tao ? begin : -1);
}

/* ---- footers ------------------------------------------------------------- */

static void test_footer(void **state)
{
	uint8_t f[12];
	uint64_t chain = 0, end = 0;
	(void)state;
	memcpy(f, "NER5", 4);
	memset(f + 4, 0, 8);
	f[11] = 100;
	assert_int_equal(cd_nrg_footer(f, 12, 1000, &chain, &end), 1);
	assert_int_equal(chain, 100);
	assert_int_equal(end, 988);
	memset(f, 0, 12);
	memcpy(f + 4, "NERO", 4);
	f[10] = 1; /* 256 + 44 */
	f[11] = 44;
	assert_int_equal(cd_nrg_footer(f, 12, 1000, &chain, &end), 1);
	assert_int_equal(chain, 300);
	assert_int_equal(end, 992);
	/* pointing at or past the footer */
	assert_int_equal(cd_nrg_footer(f, 12, 300, &chain, &end), -1);
	memcpy(f, "NER5", 4);
	memset(f + 4, 0xFF, 8);
	assert_int_equal(cd_nrg_footer(f, 12, 1000, &chain, &end), -1);
	/* none, or too short to hold one */
	memset(f, 0, 12);
	assert_int_equal(cd_nrg_footer(f, 12, 1000, &chain, &end), 0);
	memcpy(f + 4, "NERO", 4);
	assert_int_equal(cd_nrg_footer(f + 4, 4, 4, &chain, &end), 0);
}

/* ---- disc-at-once -------------------------------------------------------- */

static void check_p1(const struct cd_disc *d, uint64_t data)
{
	const struct cd_seg *g;
	assert_int_equal(d->ntracks, 2);
	assert_int_equal(d->nsessions, 1);
	assert_int_equal(d->leadout, 302);
	assert_int_equal(d->nfiles, 1);
	assert_int_equal(d->files[0].size, data);
	check_track(&d->tracks[0], 1, 1, CD_TM_AUDIO, 0, 150, 225);
	check_track(&d->tracks[1], 2, 1, CD_TM_AUDIO, 225, 300, 302);
	assert_int_equal(d->tracks[0].flags, CD_FLAG_DCP);
	assert_int_equal(d->tracks[0].pregap_gen, 0);
	/* LBA 0 is the 151st stored sector; track 2 follows in the file */
	assert_int_equal(d->tracks[0].nsegs, 1);
	g = &d->segs[d->tracks[0].first_seg];
	assert_int_equal(g->file, 0);
	assert_int_equal(g->offset, 150 * 2352);
	assert_int_equal(g->sectors, 225);
	g = &d->segs[d->tracks[1].first_seg];
	assert_int_equal(g->offset, 375 * 2352);
	assert_int_equal(g->sectors, 77);
}

static void test_dao_p1_like(void **state)
{
	struct nb *b = malloc(sizeof(*b));
	struct cd_disc *d, *e;
	(void)state;
	p1_like(b, true);
	d = parse_ok(b);
	check_p1(d, 452 * 2352);
	/* the old footer with CUES (MSF) and DAOI (32-bit) says the same */
	p1_like(b, false);
	e = parse_ok(b);
	check_p1(e, 452 * 2352);
	cd_disc_free(d);
	cd_disc_free(e);
	free(b);
}

/* Mode 1 data, then audio with a generated part of its pregap, ISRC, catalog,
 * an INDEX 02, flags. */
static void build_mixed(struct nb *b, const char *isrc, uint8_t mode1, uint16_t ss1)
{
	const uint64_t s = 2352;
	/* track 1: 150 + 100 sectors of ss1; track 2: 75 of its 150 pregap
	 * sectors stored, 40 of data; track 3 no pregap, 10 sectors */
	uint64_t t1 = 250 * (uint64_t)ss1;
	const struct dao_tr tr[3] = {
	    {NULL, ss1, mode1, {0, 150 * (uint64_t)ss1, t1}},
	    {isrc, 2352, 0x07, {t1, t1 + 75 * s, t1 + 115 * s}},
	    {NULL, 2352, 0x07, {t1 + 115 * s, t1 + 115 * s, t1 + 125 * s}},
	};
	size_t at;
	memset(b, 0, sizeof(*b));
	b->data = t1 + 125 * s;
	at = chunk(b, "CUEX");
	cue(b, true, 0x41, 0x00, 0x00, -150);
	cue(b, true, 0x61, 0x01, 0x00, -150);
	cue(b, true, 0x61, 0x01, 0x01, 0);
	cue(b, true, 0x91, 0x02, 0x00, 100); /* control 9: 4CH + PRE */
	cue(b, true, 0x91, 0x02, 0x01, 250);
	cue(b, true, 0x91, 0x02, 0x02, 260);
	cue(b, true, 0x21, 0x03, 0x01, 290); /* no INDEX 00 */
	cue(b, true, 0x01, 0xAA, 0x01, 300);
	end_chunk(b, at);
	dao(b, true, "0123456789012", 0, 1, 3, tr);
	finish(b, true);
}

static void test_dao_mixed(void **state)
{
	struct nb *b = malloc(sizeof(*b));
	struct cd_disc *d;
	const struct cd_track *t;
	const struct cd_seg *g;
	(void)state;
	build_mixed(b, "USABC9912345", 0x00, 2048);
	d = parse_ok(b);
	assert_string_equal(d->catalog, "0123456789012");
	assert_int_equal(d->ntracks, 3);
	assert_int_equal(d->leadout, 300);
	t = &d->tracks[0];
	check_track(t, 1, 1, CD_TM_MODE1_2048, 0, 0, 100);
	/* data tracks keep only the copy bit of control 6 */
	assert_int_equal(t->flags, CD_FLAG_DCP);
	g = &d->segs[t->first_seg];
	assert_int_equal(g->offset, 150 * 2048);
	assert_int_equal(g->sectors, 100);
	t = &d->tracks[1];
	check_track(t, 2, 1, CD_TM_AUDIO, 100, 250, 290);
	assert_int_equal(t->index[2], 260);
	assert_int_equal(t->flags, CD_FLAG_4CH | CD_FLAG_PRE);
	assert_string_equal(t->isrc, "USABC9912345");
	/* 150 pregap sectors, 75 of them stored: 75 generated first */
	assert_int_equal(t->pregap_gen, 75);
	assert_int_equal(t->nsegs, 2);
	g = &d->segs[t->first_seg];
	assert_int_equal(g->file, -1);
	assert_int_equal(g->sectors, 75);
	assert_int_equal(g[1].file, 0);
	assert_int_equal(g[1].offset, 250 * 2048);
	assert_int_equal(g[1].sectors, 115);
	check_track(&d->tracks[2], 3, 1, CD_TM_AUDIO, 290, 290, 300);
	assert_true(d->tracks[2].isrc[0] == 0);
	cd_disc_free(d);

	/* raw Mode 1 and Mode 2 modes map to the model's */
	build_mixed(b, NULL, 0x05, 2352);
	d = parse_ok(b);
	assert_int_equal(d->tracks[0].mode, CD_TM_MODE1_2352);
	cd_disc_free(d);
	build_mixed(b, NULL, 0x06, 2352);
	d = parse_ok(b);
	assert_int_equal(d->tracks[0].mode, CD_TM_MODE2_2352);
	cd_disc_free(d);
	build_mixed(b, NULL, 0x03, 2336);
	d = parse_ok(b);
	assert_int_equal(d->tracks[0].mode, CD_TM_MODE2_2336);
	cd_disc_free(d);
	build_mixed(b, NULL, 0x02, 2048);
	d = parse_ok(b);
	assert_int_equal(d->tracks[0].mode, CD_TM_MODE2_2048);
	cd_disc_free(d);
	free(b);
}

/* Two DAO sessions: audio, then a Mode 1 track 11250 sectors after the
 * lead-out with a 150-sector pregap. */
static void build_two_sessions(struct nb *b, uint32_t sinf2)
{
	const uint64_t s = 2352;
	const struct dao_tr a[1] = {{NULL, 2352, 0x07, {0, 150 * s, 250 * s}}};
	const struct dao_tr m[1] = {
	    {NULL, 2048, 0x00, {250 * s, 250 * s + 150 * 2048, 250 * s + 170 * 2048}}};
	size_t at;
	memset(b, 0, sizeof(*b));
	b->data = 250 * s + 170 * 2048;
	at = chunk(b, "CUEX");
	cue(b, true, 0x01, 0x00, 0x00, -150);
	cue(b, true, 0x01, 0x01, 0x00, -150);
	cue(b, true, 0x01, 0x01, 0x01, 0);
	cue(b, true, 0x01, 0xAA, 0x01, 100);
	end_chunk(b, at);
	dao(b, true, NULL, 0, 1, 1, a);
	sinf_chunk(b, 1);
	at = chunk(b, "CUEX");
	cue(b, true, 0x41, 0x00, 0x00, 11200);
	cue(b, true, 0x41, 0x02, 0x00, 11350);
	cue(b, true, 0x41, 0x02, 0x01, 11500);
	cue(b, true, 0x41, 0xAA, 0x01, 11520);
	end_chunk(b, at);
	dao(b, true, NULL, 0, 2, 2, m);
	sinf_chunk(b, sinf2);
	finish(b, true);
}

static void test_dao_two_sessions(void **state)
{
	struct nb *b = malloc(sizeof(*b));
	struct cd_disc *d;
	(void)state;
	build_two_sessions(b, 1);
	d = parse_ok(b);
	assert_int_equal(d->nsessions, 2);
	check_track(&d->tracks[0], 1, 1, CD_TM_AUDIO, 0, 0, 100);
	check_track(&d->tracks[1], 2, 2, CD_TM_MODE1_2048, 11350, 11500, 11520);
	assert_int_equal(d->leadout, 11520);
	assert_int_equal(d->segs[d->tracks[1].first_seg].offset, 250 * 2352);
	cd_disc_free(d);
	/* SINF must count the session's tracks */
	build_two_sessions(b, 3);
	parse_fails(b, DIMG_EFORMAT, "session 2 has 3 tracks, the track table lists 1", -2);
	free(b);
}

/* ---- track-at-once ------------------------------------------------------- */

static void etn2(struct nb *b, uint64_t off, uint64_t len, uint32_t mode, uint32_t lba)
{
	be64(b, off);
	be64(b, len);
	be32(b, mode);
	be32(b, lba);
	be64(b, 0);
}
static void etnf(struct nb *b, uint32_t off, uint32_t len, uint32_t mode, uint32_t lba)
{
	be32(b, off);
	be32(b, len);
	be32(b, mode);
	be32(b, lba);
	be32(b, 0);
}

static void test_tao(void **state)
{
	struct nb *b = malloc(sizeof(*b));
	struct cd_disc *d;
	size_t at;
	(void)state;
	tao = true;
	/* videocd.nrg's shape: Mode 2 2336 tracks of 676 and 75 sectors,
	 * then a second session (ETN2, 2048) and its SINF */
	memset(b, 0, sizeof(*b));
	b->data = 751 * 2336 + 20 * 2048;
	at = chunk(b, "ETNF");
	etnf(b, 0, 676 * 2336, 3, 0);
	etnf(b, 676 * 2336, 75 * 2336, 3, 676);
	end_chunk(b, at);
	sinf_chunk(b, 2);
	at = chunk(b, "ETN2");
	etn2(b, 751 * 2336, 20 * 2048, 0, 751);
	end_chunk(b, at);
	sinf_chunk(b, 1);
	finish(b, false);
	d = parse_ok(b);
	assert_int_equal(d->nsessions, 2);
	check_track(&d->tracks[0], 1, 1, CD_TM_MODE2_2336, 0, 0, 676);
	check_track(&d->tracks[1], 2, 1, CD_TM_MODE2_2336, 676, 826, 901);
	assert_int_equal(d->tracks[1].pregap_gen, 150);
	assert_int_equal(d->segs[d->tracks[1].first_seg].file, -1);
	assert_int_equal(d->segs[d->tracks[1].first_seg + 1].offset, 676 * 2336);
	check_track(&d->tracks[2], 3, 2, CD_TM_MODE1_2048, 901 + 11250, 901 + 11400, 901 + 11420);
	assert_int_equal(d->leadout, 901 + 11420);
	cd_disc_free(d);

	/* TINF: offset, length, mode only */
	memset(b, 0, sizeof(*b));
	b->data = 30 * 2352 + 10 * 2048;
	at = chunk(b, "TINF");
	be32(b, 0);
	be32(b, 30 * 2352);
	be32(b, 7);
	be32(b, 30 * 2352);
	be32(b, 10 * 2048);
	be32(b, 0);
	end_chunk(b, at);
	finish(b, false);
	d = parse_ok(b);
	check_track(&d->tracks[0], 1, 1, CD_TM_AUDIO, 0, 0, 30);
	check_track(&d->tracks[1], 2, 1, CD_TM_MODE1_2048, 30, 180, 190);
	cd_disc_free(d);
	tao = false;
	free(b);
}

/* ---- CD-TEXT ------------------------------------------------------------- */

static void pack(struct nb *b, uint8_t type, uint8_t track, uint8_t seq, uint8_t pos,
		 const char *text, size_t n)
{
	uint8_t p[18] = {type, track, seq, pos};
	uint16_t crc;
	memcpy(p + 4, text, n);
	crc = cd_crc16(p, 16);
	p[16] = (uint8_t)(crc >> 8);
	p[17] = (uint8_t)crc;
	put(b, p, 18);
}

static void test_cdtext(void **state)
{
	struct nb *b = malloc(sizeof(*b));
	struct cd_disc *d;
	size_t at;
	(void)state;
	p1_like(b, true);
	/* insert a CDTX chunk before END! */
	b->len -= 8 + 12;
	at = chunk(b, "CDTX");
	pack(b, 0x80, 0, 0, 0, "Disc", 5);
	pack(b, 0x80, 1, 1, 0, "One\0Two", 8);
	end_chunk(b, at);
	finish(b, true);
	d = parse_ok(b);
	assert_string_equal(d->cdtext[0].text[0][CDT_TITLE], "Disc");
	assert_string_equal(d->cdtext[0].text[1][CDT_TITLE], "One");
	assert_string_equal(d->cdtext[0].text[2][CDT_TITLE], "Two");
	cd_disc_free(d);
	free(b);
}

/* ---- hostile ------------------------------------------------------------- */

static void put_be32_at(struct nb *b, size_t at, uint32_t v)
{
	b->t[at] = (uint8_t)(v >> 24);
	b->t[at + 1] = (uint8_t)(v >> 16);
	b->t[at + 2] = (uint8_t)(v >> 8);
	b->t[at + 3] = (uint8_t)v;
}

/* Offset in the tail of chunk cid's header (the first one). */
static size_t find(struct nb *b, const char *cid)
{
	for (size_t i = 0; i + 4 <= b->len; i++)
		if (!memcmp(b->t + i, cid, 4))
			return i;
	fail_msg("no %s", cid);
	return 0;
}

static void test_hostile_chain(void **state)
{
	struct nb *b = malloc(sizeof(*b));
	size_t at;
	(void)state;
	/* truncated: the last bytes of the footer cut */
	p1_like(b, true);
	b->len -= 3;
	parse_fails(b, DIMG_EFORMAT, "no NRG footer", (int64_t)(b->data + b->len - 12));
	/* the footer points past itself */
	p1_like(b, true);
	b->t[b->len - 4] = 0x7F;
	parse_fails(b, DIMG_ERANGE, "not before the footer", (int64_t)(b->data + b->len - 12));
	p1_like(b, false);
	put_be32_at(b, b->len - 4, 0xFFFFFFFFu);
	parse_fails(b, DIMG_ERANGE, "not before the footer", -2);
	/* a chunk longer than what is left */
	p1_like(b, true);
	at = find(b, "DAOX");
	put_be32_at(b, at + 4, 0x7FFFFFF0u);
	parse_fails(b, DIMG_ERANGE, "run past the footer", (int64_t)(b->data + at));
	/* a damaged chain */
	p1_like(b, true);
	at = find(b, "DAOX");
	b->t[at] = 0x01;
	parse_fails(b, DIMG_EFORMAT, "is not a chunk id", (int64_t)(b->data + at));
	/* a chain that stops in the middle of a header */
	p1_like(b, true);
	b->len -= 8 + 12;
	at = b->len;
	put(b, "END", 3);
	id(b, "NER5");
	be64(b, b->data);
	parse_fails(b, DIMG_EFORMAT, "truncated chunk header", (int64_t)(b->data + at));
	/* no track table at all (zero tracks) */
	memset(b, 0, sizeof(*b));
	b->data = 4096;
	sinf_chunk(b, 0);
	finish(b, true);
	parse_fails(b, DIMG_EFORMAT, "no track table", 4096);
	/* MTYP of a DVD */
	p1_like(b, true);
	at = find(b, "MTYP");
	put_be32_at(b, at + 8, 0x4);
	parse_fails(b, DIMG_EUNSUPPORTED, "not a CD", (int64_t)(b->data + at));
	/* two CD-TEXT chunks */
	p1_like(b, true);
	b->len -= 8 + 12;
	at = chunk(b, "CDTX");
	end_chunk(b, at);
	at = chunk(b, "CDTX");
	end_chunk(b, at);
	finish(b, true);
	parse_fails(b, DIMG_EFORMAT, "second CDTX chunk", -2);
	/* one SINF for two sessions' worth? here: two SINF for one */
	p1_like(b, true);
	b->len -= 8 + 12;
	sinf_chunk(b, 2);
	finish(b, true);
	parse_fails(b, DIMG_EFORMAT, "2 SINF chunks for 1 sessions", -2);
	free(b);
}

static void test_hostile_dao(void **state)
{
	struct nb *b = malloc(sizeof(*b));
	size_t at;
	(void)state;
	/* DAOX: no tracks, and a length that does not fit the tracks */
	p1_like(b, true);
	at = find(b, "DAOX");
	b->t[at + 8 + 21] = 0;
	parse_fails(b, DIMG_EFORMAT, "tracks 1..0", (int64_t)(b->data + at));
	p1_like(b, true);
	at = find(b, "DAOX");
	b->t[at + 8 + 21] = 99;
	parse_fails(b, DIMG_EFORMAT, "for 99 tracks", (int64_t)(b->data + at));
	/* CUEX length not a multiple of 8 */
	p1_like(b, true);
	at = find(b, "CUEX");
	memmove(b->t + at + 8 + 4, b->t + at + 8 + 48, b->len - (at + 8 + 48));
	b->len -= 44;
	put_be32_at(b, at + 4, 4);
	put_be32_at(b, b->len - 4, (uint32_t)b->data);
	parse_fails(b, DIMG_EFORMAT, "4 bytes is not a whole number of 8-byte cue points",
		    (int64_t)(b->data + at));
	/* cue points out of order: track 2's INDEX 00 before track 1's INDEX 01 */
	p1_like(b, true);
	at = find(b, "CUEX") + 8;
	put_be32_at(b, at + 3 * 8 + 4, 100);
	parse_fails(b, DIMG_EFORMAT, "is not after the previous cue point",
		    (int64_t)(b->data + at + 3 * 8));
	/* bad BCD */
	p1_like(b, true);
	at = find(b, "CUEX") + 8;
	b->t[at + 2 * 8 + 1] = 0x1A;
	parse_fails(b, DIMG_EFORMAT, "is not BCD", (int64_t)(b->data + at + 2 * 8));
	/* no lead-out: its entry turned into a track 2 INDEX 02 */
	p1_like(b, true);
	at = find(b, "CUEX") + 8;
	b->t[at + 5 * 8 + 1] = 0x02;
	b->t[at + 5 * 8 + 2] = 0x02;
	parse_fails(b, DIMG_EFORMAT, "no lead-out cue point", -2);
	/* a track without INDEX 01: track 1's turned into INDEX 02 */
	p1_like(b, true);
	at = find(b, "CUEX") + 8;
	b->t[at + 2 * 8 + 2] = 0x02;
	parse_fails(b, DIMG_EFORMAT, "track 1 has no INDEX 01", -2);
	/* cue point of a track the DAO chunk does not list */
	p1_like(b, true);
	at = find(b, "CUEX") + 8;
	b->t[at + 3 * 8 + 1] = 0x03;
	b->t[at + 4 * 8 + 1] = 0x03;
	parse_fails(b, DIMG_EFORMAT, "the DAO chunk lists tracks 1..2", -2);
	/* INDEX 01 before the disc starts */
	p1_like(b, true);
	at = find(b, "CUEX") + 8;
	put_be32_at(b, at + 2 * 8 + 4, (uint32_t)-10);
	parse_fails(b, DIMG_EFORMAT, "before the start of the disc", -2);
	/* an LBA beyond any CD */
	p1_like(b, true);
	at = find(b, "CUEX") + 8;
	put_be32_at(b, at + 5 * 8 + 4, 0x7FFFFFFF);
	parse_fails(b, DIMG_EFORMAT, "lies outside the disc", (int64_t)(b->data + at + 5 * 8));
	/* DAO offsets disagree with the cue points */
	p1_like(b, true);
	at = find(b, "DAOX") + 8 + 22 + 42;
	put_be32_at(b, at + 18 + 8 + 8 + 4, 451 * 2352); /* track 2 ends a sector early */
	parse_fails(b, DIMG_EFORMAT, "the cue points give 2", (int64_t)(b->data + at));
	p1_like(b, true);
	at = find(b, "DAOX") + 8 + 22 + 42;
	put_be32_at(b, at + 18 + 4, 300 * 2352); /* track 2's pregap from sector 300 */
	parse_fails(b, DIMG_EFORMAT, "stores a pregap of 150 sectors, the cue points leave 75",
		    (int64_t)(b->data + at));
	p1_like(b, true);
	at = find(b, "DAOX") + 8 + 22 + 42;
	put_be32_at(b, at + 18 + 4, 1000); /* not whole sectors */
	parse_fails(b, DIMG_EFORMAT, "not in order in whole 2352-byte sectors", -2);
	/* overlapping tracks: track 2's stored sectors start inside track 1's */
	p1_like(b, true);
	at = find(b, "DAOX") + 8 + 22 + 42;
	put_be32_at(b, at + 18 + 4, 300 * 2352);
	put_be32_at(b, at + 18 + 12, 375 * 2352);
	put_be32_at(b, at + 18 + 20, 377 * 2352);
	parse_fails(b, DIMG_EFORMAT, "tracks 1 and 2 overlap", 300 * 2352);
	/* sectors beyond the sector data (into the chunks, or far away) */
	p1_like(b, true);
	at = find(b, "DAOX") + 8 + 22 + 42;
	put_be32_at(b, at + 18 + 4, 376 * 2352);
	put_be32_at(b, at + 18 + 12, 451 * 2352);
	put_be32_at(b, at + 18 + 20, 453 * 2352);
	parse_fails(b, DIMG_ERANGE, "lie beyond the sector data", 376 * 2352);
	p1_like(b, true);
	at = find(b, "DAOX") + 8 + 22 + 42;
	for (int k = 0; k < 3; k++)
		memset(b->t + at + 18 + 8 * k, 0xF0, 4);
	parse_fails(b, DIMG_ERANGE, "lie beyond the sector data", -2);
	/* sector size and mode */
	p1_like(b, true);
	at = find(b, "DAOX") + 8 + 22;
	b->t[at + 13] = 0x00; /* 2304 */
	parse_fails(b, DIMG_EUNSUPPORTED, "2304-byte sectors for mode 0x07",
		    (int64_t)(b->data + at));
	/* raw data with 96 bytes of P-W a sector: inline R-W in the model */
	for (int x = 0; x < 2; x++) {
		struct cd_disc *d;
		p1_like_mode(b, x, 2448, x ? 0x0F : 0x11);
		d = parse_ok(b);
		assert_int_equal(d->tracks[0].mode, x ? CD_TM_MODE1_2352 : CD_TM_MODE2_2352);
		assert_int_equal(d->tracks[1].sub_rw, CD_SUBRW_RAW);
		assert_int_equal(cd_track_stride(&d->tracks[1]), 2448);
		assert_int_equal(d->segs[d->tracks[1].first_seg].offset, 375u * 2448);
		cd_disc_free(d);
	}
	p1_like_mode(b, true, 2352, 0x0F);
	parse_fails(b, DIMG_EUNSUPPORTED, "2352-byte sectors for mode 0x0f", -2);
	p1_like(b, true);
	at = find(b, "DAOX") + 8 + 22;
	b->t[at + 14] = 0x42;
	parse_fails(b, DIMG_EUNSUPPORTED, "unknown track mode 0x42", -2);
	/* ISRC and catalog */
	p1_like(b, true);
	at = find(b, "DAOX") + 8 + 22;
	memcpy(b->t + at, "US-AB9912345", 12);
	parse_fails(b, DIMG_EFORMAT, "ISRC field holds byte 0x2d at position 2", -2);
	p1_like(b, true);
	at = find(b, "DAOX") + 8 + 4;
	memcpy(b->t + at, "12345", 5);
	parse_fails(b, DIMG_EFORMAT, "catalog number (MCN) holds byte 0x00 at position 5", -2);
	/* DAO without its cue points */
	p1_like(b, true);
	at = find(b, "CUEX");
	memcpy(b->t + at, "XXXX", 4);
	parse_fails(b, DIMG_EFORMAT, "1 DAO chunks but 0 cue point chunks", -2);
	free(b);
}

static void test_hostile_tao(void **state)
{
	struct nb *b = malloc(sizeof(*b));
	size_t at;
	(void)state;
	/* zero tracks */
	memset(b, 0, sizeof(*b));
	b->data = 2048;
	at = chunk(b, "ETN2");
	end_chunk(b, at);
	finish(b, true);
	parse_fails(b, DIMG_EFORMAT, "(no tracks)", 2048);
	/* a length that is not whole sectors, and one of no sectors */
	memset(b, 0, sizeof(*b));
	b->data = 4096;
	at = chunk(b, "ETN2");
	etn2(b, 0, 4000, 0, 0);
	end_chunk(b, at);
	finish(b, true);
	parse_fails(b, DIMG_EFORMAT, "4000 bytes is not a whole number of 2048-byte sectors",
		    4096 + 8);
	/* 2^40 bytes: more sectors than any CD */
	memset(b, 0, sizeof(*b));
	b->data = 4096;
	at = chunk(b, "ETN2");
	etn2(b, 0, 2048ull << 40, 0, 0);
	end_chunk(b, at);
	finish(b, true);
	parse_fails(b, DIMG_ELIMIT, "go past the largest CD", -2);
	/* an offset near 2^64 */
	memset(b, 0, sizeof(*b));
	b->data = 4096;
	at = chunk(b, "ETN2");
	etn2(b, UINT64_MAX - 100, 2048, 0, 0);
	end_chunk(b, at);
	finish(b, true);
	parse_fails(b, DIMG_ERANGE, "lie beyond the sector data", -2);
	/* more than 99 tracks (all the same bytes: overlaps, but the count
	 * is refused first) */
	memset(b, 0, sizeof(*b));
	b->data = 2048;
	at = chunk(b, "ETNF");
	for (int k = 0; k < 100; k++)
		etnf(b, 0, 2048, 0, 0);
	end_chunk(b, at);
	finish(b, false);
	parse_fails(b, DIMG_ELIMIT, "more than 99 tracks", 2048);
	/* overlapping tracks */
	memset(b, 0, sizeof(*b));
	b->data = 3 * 2048;
	at = chunk(b, "ETNF");
	etnf(b, 0, 2 * 2048, 0, 0);
	etnf(b, 2048, 2 * 2048, 0, 2);
	end_chunk(b, at);
	finish(b, false);
	parse_fails(b, DIMG_EFORMAT, "tracks 1 and 2 overlap in the file (bytes 2048 to 4096)",
		    2048);
	/* DAO and TAO tables together */
	p1_like(b, true);
	b->len -= 8 + 12;
	at = chunk(b, "ETN2");
	etn2(b, 0, 2352, 7, 0);
	end_chunk(b, at);
	finish(b, true);
	parse_fails(b, DIMG_EFORMAT, "both disc-at-once", -2);
	free(b);
}

/* ---- libcdio's NRG files ------------------------------------------------- */

static const char *corpus_dir(void)
{
	static const char *const dirs[] = {NULL, "../shared/corpus", "../../shared/corpus",
					   "../../../shared/corpus"};
	static char buf[4096];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		const char *dir = i ? dirs[i] : getenv("DIMG_CORPUS");
		if (!dir)
			continue;
		snprintf(buf, sizeof(buf), "%s/libcdio/p1.nrg.xz", dir);
		if (access(buf, R_OK) == 0)
			return dir;
	}
	return NULL;
}

static uint8_t *load_xz(const char *name, size_t *len)
{
	char cmd[4200];
	size_t cap = 4u << 20, n = 0, got;
	uint8_t *p = malloc(cap);
	FILE *f;
	assert_non_null(p);
	snprintf(cmd, sizeof(cmd), "xz -dc '%s/libcdio/%s'", corpus_dir(), name);
	f = popen(cmd, "r");
	assert_non_null(f);
	while ((got = fread(p + n, 1, cap - n, f)) > 0)
		n += got;
	assert_int_equal(pclose(f), 0);
	*len = n;
	return p;
}

static void test_corpus(void **state)
{
	struct dimg_error err;
	struct cd_disc *d;
	uint8_t *p;
	size_t n;
	static const int32_t vcd[5][2] = {
	    {0, 676}, {826, 901}, {1051, 1126}, {1276, 1351}, {1501, 1726}};
	(void)state;
	if (!corpus_dir())
		skip();
	p = load_xz("p1.nrg.xz", &n);
	d = cd_disc_new();
	dimg_error_clear(&err);
	if (cd_nrg_parse(d, p, n, n, "p1.nrg", &err) || cd_nrg_layout(d, &err) ||
	    cd_disc_validate(d, &err))
		fail_msg("%s", err.message);
	check_p1(d, 452 * 2352);
	assert_string_equal(d->cdtext[0].text[0][CDT_TITLE], "Join us now we have the software");
	assert_string_equal(d->cdtext[0].text[0][CDT_PERFORMER], "Richard Stallman");
	cd_disc_free(d);
	free(p);

	/* cd-info: 5 XA tracks at 0, 826, 1051, 1276, 1501, lead-out 1726 */
	p = load_xz("videocd.nrg.xz", &n);
	d = cd_disc_new();
	if (cd_nrg_parse(d, p, n, n, "videocd.nrg", &err) || cd_nrg_layout(d, &err) ||
	    cd_disc_validate(d, &err))
		fail_msg("%s", err.message);
	assert_int_equal(d->ntracks, 5);
	tao = true;
	for (int k = 0; k < 5; k++)
		check_track(&d->tracks[k], k + 1, 1, CD_TM_MODE2_2336, k ? vcd[k - 1][1] : 0,
			    vcd[k][0], vcd[k][1]);
	assert_int_equal(d->leadout, 1726);
	tao = false;
	cd_disc_free(d);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_footer),	  cmocka_unit_test(test_dao_p1_like),
	    cmocka_unit_test(test_dao_mixed),	  cmocka_unit_test(test_dao_two_sessions),
	    cmocka_unit_test(test_tao),		  cmocka_unit_test(test_cdtext),
	    cmocka_unit_test(test_hostile_chain), cmocka_unit_test(test_hostile_dao),
	    cmocka_unit_test(test_hostile_tao),	  cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
