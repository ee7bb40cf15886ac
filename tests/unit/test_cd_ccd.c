/* SPDX-License-Identifier: MIT */
/*
 * Subchannel layouts and P/Q generation, CD-TEXT packs and CloneCD sheets.
 *
 * Oracles: the Q bytes below were worked out by hand from ECMA-130 (BCD
 * fields, absolute time = LBA + 150, pregap counting down) with the CRC
 * computed by a separate bitwise implementation; the CD-TEXT decoder is
 * checked against libcdio's three .cdt files and the text libcdio's own
 * reader printed for them (the .right files), found under shared/corpus
 * ($DIMG_CORPUS, ../shared/corpus or ../../shared/corpus; skipped when
 * absent).
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

/* ---- helpers ------------------------------------------------------------- */

static uint32_t rng = 12345;
static uint8_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return (uint8_t)(rng >> 16);
}

static struct cd_disc *parse(const char *text, struct dimg_error *err)
{
	struct cd_disc *d = cd_disc_new();
	assert_non_null(d);
	dimg_error_clear(err);
	if (cd_ccd_parse(d, text, strlen(text), "disc.ccd", err)) {
		cd_disc_free(d);
		return NULL;
	}
	return d;
}

/* Parses text, expecting failure with a message containing want. */
static void parse_fails(const char *text, const char *want)
{
	struct dimg_error err;
	struct cd_disc *d = parse(text, &err);
	if (d) {
		cd_disc_free(d);
		fail_msg("parsed, wanted an error containing '%s'", want);
	}
	if (!strstr(err.message, want) || strncmp(err.message, "disc.ccd:", 9))
		fail_msg("error '%s' lacks '%s'", err.message, want);
}

/* Makes the model's files look opened with the given .img size. */
static int layout_with(struct cd_disc *d, uint64_t img_size, struct dimg_error *err)
{
	for (int i = 0; i < d->nfiles; i++)
		d->files[i].size = i == 0 ? img_size : img_size / CD_RAW * 96;
	return cd_ccd_layout(d, err);
}

static const char *corpus_dir(void)
{
	static const char *const dirs[] = {NULL, "../shared/corpus", "../../shared/corpus"};
	static char buf[4096];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		const char *dir = i ? dirs[i] : getenv("DIMG_CORPUS");
		if (!dir)
			continue;
		snprintf(buf, sizeof(buf), "%s/libcdio/cdtext.cdt.xz", dir);
		if (access(buf, R_OK) == 0)
			return dir;
	}
	return NULL;
}

static uint8_t *read_cmd(const char *cmd, size_t *len)
{
	FILE *f = popen(cmd, "r");
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	assert_non_null(f);
	assert_non_null(buf);
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (!got)
			break;
		if (n == cap) {
			cap *= 2;
			assert_true(cap <= (1 << 24));
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	assert_int_equal(pclose(f), 0);
	*len = n;
	return buf;
}

/* ---- subchannel layouts -------------------------------------------------- */

static void test_sub_round_trip(void **state)
{
	uint8_t a[96], b[96], c[96];
	(void)state;
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 96; i++)
			a[i] = rnd();
		cd_sub_deinterleave(a, b);
		cd_sub_interleave(b, c);
		assert_memory_equal(a, c, 96);
		cd_sub_interleave(a, b);
		cd_sub_deinterleave(b, c);
		assert_memory_equal(a, c, 96);
	}
}

static void test_sub_known_pattern(void **state)
{
	uint8_t in[96] = {0}, out[96], want[96] = {0};
	(void)state;
	/* P set in every symbol: 12 bytes of ones in the P channel */
	memset(in, 0x80, 96);
	cd_sub_deinterleave(in, out);
	memset(want, 0xFF, 12);
	assert_memory_equal(out, want, 96);

	/* Q bit of symbol 0 is the MSB of Q byte 0; W bit of symbol 95 the
	 * LSB of W byte 11; R bit of symbol 9 is bit 6 of R byte 1. */
	memset(in, 0, 96);
	memset(want, 0, 96);
	in[0] = 0x40;
	in[95] = 0x01;
	in[9] = 0x20;
	want[12] = 0x80;
	want[95] = 0x01;
	want[24 + 1] = 0x40;
	cd_sub_deinterleave(in, out);
	assert_memory_equal(out, want, 96);
	cd_sub_interleave(want, out);
	assert_memory_equal(out, in, 96);
}

/* ---- Q generation -------------------------------------------------------- */

static void test_crc(void **state)
{
	/* first pack of libcdio's cdtext.cdt: an independent writer's CRC */
	const uint8_t pack[18] = {0x80, 0x00, 0x00, 0x00, 'J', 'o', 'y', 'f',  'u',
				  'l',	' ',  'N',  'i',  'g', 'h', 't', 0xf0, 0xf7};
	uint8_t q[12] = {0x41, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x28, 0x32};
	(void)state;
	assert_int_equal(cd_crc16(pack, 16), 0xf0f7);
	assert_int_equal(cd_subq_crc(q), 0x2832);
	assert_true(cd_subq_check(q));
	q[5] ^= 1;
	assert_false(cd_subq_check(q));
}

/* Track 1: Mode 1 [0, 1000); track 2: audio, copy permitted + pre-emphasis,
 * pregap [1000, 1150), INDEX 02 at 1300, lead-out at 2000. */
static struct cd_disc *two_track_model(void)
{
	struct cd_disc *d = cd_disc_new();
	struct dimg_error err;
	assert_non_null(d);
	d->ntracks = 2;
	d->nsessions = 1;
	d->leadout = 2000;
	for (int i = 0; i < 2; i++) {
		struct cd_track *t = &d->tracks[i];
		t->number = (uint8_t)(i + 1);
		t->session = 1;
		t->file = -1;
		for (int k = 0; k <= CD_MAX_INDEX; k++)
			t->index[k] = -1;
	}
	d->tracks[0].mode = CD_TM_MODE1_2352;
	d->tracks[0].begin = d->tracks[0].start = d->tracks[0].index[1] = 0;
	d->tracks[0].end = 1000;
	d->tracks[1].mode = CD_TM_AUDIO;
	d->tracks[1].flags = CD_FLAG_DCP | CD_FLAG_PRE;
	d->tracks[1].begin = d->tracks[1].index[0] = 1000;
	d->tracks[1].start = d->tracks[1].index[1] = 1150;
	d->tracks[1].index[2] = 1300;
	d->tracks[1].end = 2000;
	int f = cd_disc_add_file(d, "disc.img", CD_FILE_BINARY, &err);
	assert_int_equal(f, 0);
	assert_int_equal(cd_disc_add_seg(d, &d->tracks[0], 0, 0, 1000, &err), 0);
	assert_int_equal(cd_disc_add_seg(d, &d->tracks[1], 0, 1000 * CD_RAW, 1000, &err), 0);
	assert_int_equal(cd_disc_validate(d, &err), 0);
	return d;
}

static void check_q(const struct cd_disc *d, int32_t lba, bool p, const uint8_t want[12])
{
	uint8_t sub[96], ones[12];
	cd_sub_generate(d, lba, sub);
	memset(ones, p ? 0xFF : 0, 12);
	assert_memory_equal(sub, ones, 12);
	if (memcmp(sub + 12, want, 12)) {
		char got[64] = "";
		for (int i = 0; i < 12; i++)
			snprintf(got + i * 3, 4, "%02x ", sub[12 + i]);
		fail_msg("LBA %d: Q is %s", lba, got);
	}
	for (int i = 24; i < 96; i++)
		assert_int_equal(sub[i], 0);
}

static void test_q_generate(void **state)
{
	struct cd_disc *d = two_track_model();
	(void)state;
	/* data track, INDEX 01, relative 0, absolute 00:02:00 */
	check_q(d, 0, false,
		(const uint8_t[12]){0x41, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
				    0x28, 0x32});
	/* track 1's two seconds before LBA 0: pregap, 1 frame to go */
	check_q(d, -1, true,
		(const uint8_t[12]){0x41, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x74,
				    0xae, 0xf0});
	/* first pregap sector of track 2: CTL 3, INDEX 00, 150 frames = 00:02:00
	 * to go, absolute 1150 frames = 00:15:25 */
	check_q(d, 1000, true,
		(const uint8_t[12]){0x31, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x15, 0x25,
				    0xf8, 0x47});
	check_q(d, 1149, true,
		(const uint8_t[12]){0x31, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x17, 0x24,
				    0xaf, 0x15});
	check_q(d, 1150, false,
		(const uint8_t[12]){0x31, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x17, 0x25,
				    0x52, 0xb6});
	check_q(d, 1300, false,
		(const uint8_t[12]){0x31, 0x02, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x19, 0x25,
				    0x32, 0x8c});
	/* lead-out: TNO AA, INDEX 01 */
	check_q(d, 2000, true,
		(const uint8_t[12]){0x31, 0xaa, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x50,
				    0x58, 0x9e});
	check_q(d, 5000, true,
		(const uint8_t[12]){0x31, 0xaa, 0x01, 0x00, 0x40, 0x00, 0x00, 0x01, 0x08, 0x50,
				    0x03, 0x58});
	/* every generated block checks */
	for (int32_t lba = -150; lba < 2100; lba += 7) {
		uint8_t sub[96];
		cd_sub_generate(d, lba, sub);
		assert_true(cd_subq_check(sub + 12));
	}
	cd_disc_free(d);
}

/* ---- CD-TEXT ------------------------------------------------------------- */

static int field_of(const char *key, int track)
{
	if (!strcmp(key, "UPC_EAN") && track == 0)
		return CDT_UPC_ISRC;
	if (!strcmp(key, "ISRC") && track > 0)
		return CDT_UPC_ISRC;
	for (int f = 0; f < CDT_COUNT; f++)
		if (!strcmp(key, cd_text_names[f]))
			return f;
	return -1;
}

/* Compares every block of a .right file (libcdio's listing: "Language n
 * 'Name':" then the disc's and each track's fields) with d's text, the
 * block's language name and its genre code.  libcdio does not show CLOSED
 * (pack 0x8D). */
static void compare_right(const struct cd_disc *d, const char *right_text)
{
	static char *want[CD_TEXT_BLOCKS][CD_MAX_TRACKS + 1][CDT_COUNT];
	char *right = strdup(right_text), *save = NULL;
	int track = -1, nwant = 0, block = -1, genre[CD_TEXT_BLOCKS];
	bool seen[CD_TEXT_BLOCKS] = {false};
	assert_non_null(right);
	memset(want, 0, sizeof(want));
	for (int b = 0; b < CD_TEXT_BLOCKS; b++)
		genre[b] = -1;
	for (char *line = strtok_r(right, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char lang[64];
		while (*line == ' ' || *line == '\t')
			line++;
		if (sscanf(line, "Language %d '%63[^']'", &block, lang) == 2) {
			assert_true(block >= 0 && block < CD_TEXT_BLOCKS);
			assert_string_equal(cd_text_language_name(d->cdtext[block].language), lang);
			seen[block] = true;
			track = -1;
			continue;
		}
		if (!strcmp(line, "CD-TEXT for Disc:")) {
			track = 0;
			continue;
		}
		if (sscanf(line, "CD-TEXT for Track %d:", &track) == 1)
			continue;
		char *colon = strstr(line, ": ");
		if (track < 0 || block < 0 || !colon)
			continue;
		*colon = 0;
		if (!strcmp(line, "GENRE_CODE")) {
			genre[block] = atoi(colon + 2);
			continue;
		}
		int f = field_of(line, track);
		assert_true(f >= 0);
		want[block][track][f] = colon + 2;
		nwant++;
	}
	assert_true(nwant > 10);
	for (int b = 0; b < CD_TEXT_BLOCKS; b++) {
		const struct cd_text_block *k = &d->cdtext[b];
		assert_int_equal(seen[b], cd_text_block_used(d, b));
		assert_int_equal(genre[b] >= 0, k->has_genre_code);
		if (genre[b] >= 0)
			assert_int_equal(genre[b], k->genre_code);
		for (int t = 0; t <= CD_MAX_TRACKS; t++)
			for (int f = 0; f < CDT_COUNT; f++) {
				const char *got = k->text[t][f];
				if (f == CDT_CLOSED || (!want[b][t][f] && !got))
					continue;
				if (!want[b][t][f] || !got || strcmp(want[b][t][f], got))
					fail_msg("block %d track %d %s: want '%s', got '%s'", b, t,
						 cd_text_names[f],
						 want[b][t][f] ? want[b][t][f] : "(none)",
						 got ? got : "(none)");
			}
	}
	free(right);
}

static void test_cdtext_corpus(void **state)
{
	static const char *const names[] = {"cdtext", "cdtext-krosis", "cdtext-libburnia"};
	const char *dir = corpus_dir();
	(void)state;
	if (!dir)
		skip();
	for (size_t i = 0; i < 3; i++) {
		char cmd[4200];
		size_t len, rlen;
		struct dimg_error err;
		snprintf(cmd, sizeof(cmd), "xz -dc '%s/libcdio/%s.cdt.xz'", dir, names[i]);
		uint8_t *cdt = read_cmd(cmd, &len);
		snprintf(cmd, sizeof(cmd), "cat '%s/libcdio/right/%s.right'", dir, names[i]);
		char *right = (char *)read_cmd(cmd, &rlen);
		right = realloc(right, rlen + 1);
		right[rlen] = 0;

		/* as stored (cdtext.cdt ends with a NUL) */
		struct cd_disc *d = cd_disc_new();
		dimg_error_clear(&err);
		assert_int_equal(cd_cdtext_decode(d, cdt, len, &err), 0);
		compare_right(d, right);
		cd_disc_free(d);

		/* with a READ TOC header in front: same text */
		uint8_t *h = malloc(len + 4);
		size_t body = len - len % 18;
		h[0] = (uint8_t)((body + 2) >> 8);
		h[1] = (uint8_t)(body + 2);
		h[2] = h[3] = 0;
		memcpy(h + 4, cdt, body);
		struct cd_disc *d2 = cd_disc_new();
		assert_int_equal(cd_cdtext_decode(d2, h, body + 4, &err), 0);
		compare_right(d2, right);
		cd_disc_free(d2);

		/* a damaged pack loses its string, not the others */
		cdt[18 * 2 + 6] ^= 0x55;
		d = cd_disc_new();
		assert_int_equal(cd_cdtext_decode(d, cdt, len, &err), 0);
		assert_non_null(d->cdtext[0].text[0][CDT_PERFORMER]);
		cd_disc_free(d);

		/* all packs damaged: an error */
		for (size_t k = 0; k + 18 <= len; k += 18)
			cdt[k + 16] ^= 0xFF;
		d = cd_disc_new();
		dimg_error_clear(&err);
		assert_int_equal(cd_cdtext_decode(d, cdt, len, &err), DIMG_EFORMAT);
		assert_non_null(strstr(err.message, "CRC"));
		cd_disc_free(d);
		free(h);
		free(cdt);
		free(right);
	}
}

static void set_text(struct cd_disc *d, int t, enum cd_text_field f, const char *v)
{
	struct dimg_error err;
	assert_int_equal(cd_disc_set_text(d, t, f, v, &err), 0);
}

static struct cd_disc *text_model(void)
{
	struct cd_disc *d = two_track_model();
	set_text(d, 0, CDT_TITLE, "A title much longer than one twelve-byte pack, really");
	set_text(d, 0, CDT_PERFORMER, "Motörhead, Çà et là ÿ «©»");
	set_text(d, 1, CDT_TITLE, "Exactly12byt");
	set_text(d, 2, CDT_TITLE, "Zwölf Äpfel");
	set_text(d, 1, CDT_PERFORMER, "Same Again");
	set_text(d, 2, CDT_PERFORMER, "Same Again");
	set_text(d, 2, CDT_MESSAGE, "only track 2");
	set_text(d, 0, CDT_GENRE, "Feline classic music");
	set_text(d, 0, CDT_DISC_ID, "1234567890");
	set_text(d, 0, CDT_UPC_ISRC, "1234567890123");
	set_text(d, 1, CDT_UPC_ISRC, "XYBLG1101234");
	set_text(d, 2, CDT_UPC_ISRC, "XYBLG1100005");
	return d;
}

static void test_cdtext_round_trip(void **state)
{
	struct cd_disc *d = text_model(), *e = cd_disc_new();
	struct dimg_error err;
	uint8_t *packs;
	size_t len;
	unsigned count[16] = {0};
	(void)state;
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_encode(d, &packs, &len, &err), 0);
	assert_true(len > 0 && len % 18 == 0);
	/* what an independent reader relies on: CRCs, sequence numbers, block
	 * 0, and size information that counts the packs actually there */
	for (size_t i = 0; i < len / 18; i++) {
		const uint8_t *p = packs + i * 18;
		assert_true(p[0] >= 0x80 && p[0] <= 0x8F);
		assert_int_equal(p[2], i);
		assert_int_equal(p[3] & 0xF0, 0);
		assert_int_equal(cd_crc16(p, 16), (p[16] << 8) | p[17]);
		count[p[0] & 15]++;
	}
	const uint8_t *si = packs + len - 3 * 18;
#define INFO(b) si[((b) / 12) * 18 + 4 + (b) % 12]
	for (int i = 0; i < 3; i++) {
		assert_int_equal(si[i * 18], 0x8F);
		assert_int_equal(si[i * 18 + 1], i);
	}
	assert_int_equal(INFO(0), 0x00); /* ISO-8859-1 */
	assert_int_equal(INFO(1), 1);	 /* first track */
	assert_int_equal(INFO(2), 2);	 /* last track */
	for (int k = 0; k < 16; k++)
		assert_int_equal(INFO(4 + k), count[k]);
	assert_int_equal(INFO(20), len / 18 - 1); /* last sequence number of block 0 */
	assert_int_equal(INFO(21), 0);
	assert_int_equal(INFO(28), 0x09); /* English */
#undef INFO
	/* the repeated performer went out as a TAB */
	bool tab = false;
	for (size_t i = 0; i < len / 18; i++)
		if (packs[i * 18] == 0x81 && memmem(packs + i * 18 + 4, 12, "\0\t\0", 3))
			tab = true;
	assert_true(tab);

	assert_int_equal(cd_cdtext_decode(e, packs, len, &err), 0);
	for (int t = 0; t <= CD_MAX_TRACKS; t++)
		for (int f = 0; f < CDT_COUNT; f++) {
			const char *a = d->cdtext[0].text[t][f], *b = e->cdtext[0].text[t][f];
			if (!a && !b)
				continue;
			if (!a || !b || strcmp(a, b))
				fail_msg("track %d %s: '%s' came back as '%s'", t, cd_text_names[f],
					 a ? a : "(none)", b ? b : "(none)");
		}
	free(packs);
	cd_disc_free(e);

	/* outside ISO-8859-1: refused by name */
	set_text(d, 2, CDT_TITLE, "日本");
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_encode(d, &packs, &len, &err), DIMG_EUNSUPPORTED);
	assert_non_null(strstr(err.message, "U+65E5"));
	assert_non_null(strstr(err.message, "track 2"));
	assert_null(packs);
	cd_disc_free(d);
}

static void test_cdtext_malformed(void **state)
{
	struct cd_disc *d = cd_disc_new();
	struct dimg_error err;
	uint8_t buf[40] = {0};
	(void)state;
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_decode(d, buf, 7, &err), DIMG_EFORMAT);
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_decode(d, buf, 0, &err), DIMG_EFORMAT);
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_decode(d, buf, 4, &err), DIMG_EFORMAT); /* header, no packs */
	/* a valid pack without terminator: nothing set, no crash */
	memcpy(buf,
	       "\x80\x00\x00\x00"
	       "ABCDEFGHIJKL",
	       16);
	uint16_t crc = cd_crc16(buf, 16);
	buf[16] = (uint8_t)(crc >> 8);
	buf[17] = (uint8_t)crc;
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_decode(d, buf, 18, &err), 0);
	assert_null(d->cdtext[0].text[0][CDT_TITLE]);
	/* a continuation whose start is missing is dropped up to its NUL */
	memcpy(buf,
	       "\x80\x01\x05\x07"
	       "tail\0Secondx",
	       16);
	crc = cd_crc16(buf, 16);
	buf[16] = (uint8_t)(crc >> 8);
	buf[17] = (uint8_t)crc;
	assert_int_equal(cd_cdtext_decode(d, buf, 18, &err), 0);
	assert_null(d->cdtext[0].text[1][CDT_TITLE]);
	assert_null(d->cdtext[0].text[2][CDT_TITLE]); /* "Second" was never terminated */
	/* double-byte packs are read too (test_cd_cdtext.c has the details) */
	buf[3] = 0x80;
	crc = cd_crc16(buf, 16);
	buf[16] = (uint8_t)(crc >> 8);
	buf[17] = (uint8_t)crc;
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_decode(d, buf, 18, &err), 0);
	assert_int_equal(d->cdtext[0].charset, CD_CS_MSJIS);
	cd_disc_free(d);
}

/* ---- CloneCD sheets ------------------------------------------------------ */

static const char two_track_ccd[] =
    "[CloneCD]\r\nVersion=3\r\n"
    "[Disc]\r\nTocEntries=5\r\nSessions=1\r\nDataTracksScrambled=0\r\nCDTextLength=0\r\n"
    "CATALOG=0123456789012\r\n"
    "[Session 1]\r\nPreGapMode=1\r\nPreGapSubC=0\r\n"
    "[Entry 0]\r\nSession=1\r\nPoint=0xa0\r\nADR=0x01\r\nControl=0x04\r\nTrackNo=0\r\n"
    "AMin=0\r\nASec=0\r\nAFrame=0\r\nALBA=-150\r\nZero=0\r\nPMin=1\r\nPSec=0\r\nPFrame=0\r\n"
    "PLBA=4350\r\n"
    "[Entry 1]\r\nSession=1\r\nPoint=0xa1\r\nADR=0x01\r\nControl=0x02\r\nTrackNo=0\r\n"
    "AMin=0\r\nASec=0\r\nAFrame=0\r\nALBA=-150\r\nZero=0\r\nPMin=2\r\nPSec=0\r\nPFrame=0\r\n"
    "PLBA=8850\r\n"
    "[Entry 2]\r\nSession=1\r\nPoint=0xa2\r\nADR=0x01\r\nControl=0x02\r\nTrackNo=0\r\n"
    "AMin=0\r\nASec=0\r\nAFrame=0\r\nALBA=-150\r\nZero=0\r\nPMin=0\r\nPSec=28\r\nPFrame=50\r\n"
    "PLBA=2000\r\n"
    "[Entry 3]\r\nSession=1\r\nPoint=0x01\r\nADR=0x01\r\nControl=0x04\r\nTrackNo=0\r\n"
    "AMin=0\r\nASec=0\r\nAFrame=0\r\nALBA=-150\r\nZero=0\r\nPMin=0\r\nPSec=2\r\nPFrame=0\r\n"
    "PLBA=0\r\n"
    "[Entry 4]\r\nSession=1\r\nPoint=0x02\r\nADR=0x01\r\nControl=0x02\r\nTrackNo=0\r\n"
    "AMin=0\r\nASec=0\r\nAFrame=0\r\nALBA=-150\r\nZero=0\r\nPMin=0\r\nPSec=17\r\nPFrame=25\r\n"
    "PLBA=1150\r\n"
    "[TRACK 1]\r\nMODE=1\r\nINDEX 1=0\r\n"
    "[TRACK 2]\r\nMODE=0\r\nINDEX 0=1000\r\nINDEX 1=1150\r\nINDEX 2=1300\r\n"
    "ISRC=XYBLG1100005\r\n";

static void test_ccd_parse_two_tracks(void **state)
{
	struct dimg_error err;
	struct cd_disc *d = parse(two_track_ccd, &err);
	(void)state;
	if (!d)
		fail_msg("%s", err.message);
	assert_int_equal(d->ntracks, 2);
	assert_int_equal(d->nsessions, 1);
	assert_int_equal(d->leadout, 2000);
	assert_string_equal(d->catalog, "0123456789012");
	assert_int_equal(d->nfiles, 2);
	assert_string_equal(d->files[0].name, "disc.img");
	assert_string_equal(d->files[1].name, "disc.sub");
	assert_int_equal(d->sub_file, 1);
	assert_false(d->sub_interleaved);
	assert_int_equal(d->sub_begin, 0);

	const struct cd_track *a = &d->tracks[0], *b = &d->tracks[1];
	assert_int_equal(a->number, 1);
	assert_int_equal(a->mode, CD_TM_MODE1_2352);
	assert_int_equal(a->flags, 0);
	assert_int_equal(a->begin, 0);
	assert_int_equal(a->start, 0);
	assert_int_equal(a->end, 1000);
	assert_int_equal(a->index[0], -1);
	assert_int_equal(b->number, 2);
	assert_int_equal(b->mode, CD_TM_AUDIO);
	assert_int_equal(b->flags, CD_FLAG_DCP);
	assert_int_equal(b->begin, 1000);
	assert_int_equal(b->index[0], 1000);
	assert_int_equal(b->start, 1150);
	assert_int_equal(b->index[1], 1150);
	assert_int_equal(b->index[2], 1300);
	assert_int_equal(b->end, 2000);
	assert_string_equal(b->isrc, "XYBLG1100005");
	assert_int_equal(d->segs[b->first_seg].offset, 1000 * CD_RAW);

	dimg_error_clear(&err);
	assert_int_equal(layout_with(d, 1999 * CD_RAW, &err), DIMG_ERANGE);
	assert_non_null(strstr(err.message, "disc.img"));
	assert_non_null(strstr(err.message, "4704000"));
	dimg_error_clear(&err);
	assert_int_equal(layout_with(d, 2000 * CD_RAW, &err), 0);
	assert_int_equal(cd_disc_validate(d, &err), 0);
	cd_disc_free(d);
}

static void test_ccd_no_leadout(void **state)
{
	struct dimg_error err;
	char *text = strdup(two_track_ccd);
	char *a2 = strstr(text, "Point=0xa2");
	(void)state;
	memcpy(a2, "Point=0xb0", 10); /* hide the lead-out */
	memcpy(strstr(a2, "ADR=0x01"), "ADR=0x05", 8);
	struct cd_disc *d = parse(text, &err);
	if (!d)
		fail_msg("%s", err.message);
	assert_int_equal(d->tracks[1].nsegs, 0);
	dimg_error_clear(&err);
	assert_int_equal(layout_with(d, 1100 * CD_RAW, &err), DIMG_ERANGE);
	assert_non_null(strstr(err.message, "INDEX 01"));
	dimg_error_clear(&err);
	assert_int_equal(layout_with(d, 2500 * CD_RAW + 100, &err), 0);
	assert_int_equal(d->leadout, 2500);
	assert_int_equal(d->tracks[1].end, 2500);
	assert_int_equal(cd_disc_validate(d, &err), 0);
	cd_disc_free(d);
	free(text);
}

static void set_track(struct cd_disc *d, int i, int session, enum cd_tmode m, int32_t begin,
		      int32_t start, int32_t end)
{
	struct cd_track *t = &d->tracks[i];
	t->number = (uint8_t)(i + 1);
	t->session = (uint8_t)session;
	t->mode = m;
	t->begin = begin;
	t->start = t->index[1] = start;
	t->end = end;
	t->file = -1;
}

/* Two sessions, CD-TEXT, catalog, flags, indexes, ISRC. */
static struct cd_disc *multi_model(void)
{
	struct cd_disc *d = cd_disc_new();
	struct dimg_error err;
	uint64_t pos = 0;
	for (int i = 0; i < 4; i++)
		for (int k = 0; k <= CD_MAX_INDEX; k++)
			d->tracks[i].index[k] = -1;
	d->ntracks = 4;
	d->nsessions = 2;
	set_track(d, 0, 1, CD_TM_AUDIO, 0, 150, 5000);
	d->tracks[0].index[0] = 0;
	d->tracks[0].flags = CD_FLAG_PRE | CD_FLAG_4CH;
	set_track(d, 1, 1, CD_TM_AUDIO, 5000, 5150, 8000);
	d->tracks[1].index[0] = 5000;
	d->tracks[1].index[2] = 6000;
	d->tracks[1].index[3] = 7000;
	strcpy(d->tracks[1].isrc, "QM7281905204");
	set_track(d, 2, 2, CD_TM_MODE2_2352, 8000 + CD_SESSION_GAP, 8000 + CD_SESSION_GAP + 150,
		  30000);
	d->tracks[2].flags = CD_FLAG_DCP;
	d->tracks[2].index[0] = d->tracks[2].begin;
	set_track(d, 3, 2, CD_TM_MODE1_2352, 30000, 30000, 40000);
	d->leadout = 40000;
	strcpy(d->catalog, "9876543210987");
	assert_int_equal(cd_disc_add_file(d, "out.img", CD_FILE_BINARY, &err), 0);
	for (int i = 0; i < 4; i++) {
		struct cd_track *t = &d->tracks[i];
		assert_int_equal(
		    cd_disc_add_seg(d, t, 0, pos * CD_RAW, (uint32_t)(t->end - t->begin), &err), 0);
		pos += (uint64_t)(t->end - t->begin);
	}
	set_text(d, 0, CDT_TITLE, "Multi-session disc with a long title");
	set_text(d, 1, CDT_TITLE, "Première");
	set_text(d, 2, CDT_TITLE, "Deuxième");
	dimg_error_clear(&err);
	assert_int_equal(cd_disc_validate(d, &err), 0);
	return d;
}

static void assert_same_tracks(const struct cd_disc *a, const struct cd_disc *b)
{
	assert_int_equal(a->ntracks, b->ntracks);
	assert_int_equal(a->nsessions, b->nsessions);
	assert_int_equal(a->leadout, b->leadout);
	assert_string_equal(a->catalog, b->catalog);
	for (int i = 0; i < a->ntracks; i++) {
		const struct cd_track *x = &a->tracks[i], *y = &b->tracks[i];
		assert_int_equal(x->number, y->number);
		assert_int_equal(x->session, y->session);
		assert_int_equal(cd_tmodes[x->mode].data_mode, cd_tmodes[y->mode].data_mode);
		assert_int_equal(x->flags, y->flags);
		assert_int_equal(x->begin, y->begin);
		assert_int_equal(x->start, y->start);
		assert_int_equal(x->end, y->end);
		for (int k = 0; k <= CD_MAX_INDEX; k++)
			if (x->index[k] != y->index[k])
				fail_msg("track %d INDEX %d: %d vs %d", x->number, k, x->index[k],
					 y->index[k]);
		assert_string_equal(x->isrc, y->isrc);
	}
	for (int t = 0; t <= CD_MAX_TRACKS; t++)
		for (int f = 0; f < CDT_COUNT; f++) {
			const char *p = a->cdtext[0].text[t][f], *q = b->cdtext[0].text[t][f];
			assert_true((!p && !q) || (p && q && !strcmp(p, q)));
		}
}

static char *write_ccd(const struct cd_disc *d)
{
	struct cd_text_out o = {0};
	struct dimg_error err;
	dimg_error_clear(&err);
	if (cd_ccd_write(d, &o, &err))
		fail_msg("%s", err.message);
	cd_out_printf(&o, "%s", ""); /* make sure buf exists and is terminated */
	assert_false(o.failed);
	return o.buf;
}

static void test_ccd_write_round_trip(void **state)
{
	struct cd_disc *models[2] = {multi_model(), two_track_model()};
	(void)state;
	for (int m = 0; m < 2; m++) {
		struct cd_disc *d = models[m];
		struct dimg_error err;
		char *text = write_ccd(d);
		struct cd_disc *e = parse(text, &err);
		if (!e)
			fail_msg("%s\n%s", err.message, text);
		uint64_t stored = 0;
		for (int i = 0; i < d->ntracks; i++)
			stored += (uint64_t)(d->tracks[i].end - d->tracks[i].begin);
		assert_int_equal(layout_with(e, stored * CD_RAW, &err), 0);
		assert_int_equal(cd_disc_validate(e, &err), 0);
		assert_same_tracks(d, e);
		/* the segments describe the same .img */
		for (int i = 0; i < d->ntracks; i++) {
			const struct cd_seg *x = &d->segs[d->tracks[i].first_seg];
			const struct cd_seg *y = &e->segs[e->tracks[i].first_seg];
			assert_int_equal(e->tracks[i].nsegs, 1);
			assert_int_equal(x->offset, y->offset);
			assert_int_equal(x->sectors, y->sectors);
		}
		/* writing the parsed model again gives the same sheet */
		char *again = write_ccd(e);
		assert_string_equal(text, again);
		free(again);
		free(text);
		cd_disc_free(e);
		cd_disc_free(d);
	}
}

static void test_ccd_names(void **state)
{
	static const char *const cases[][3] = {
	    {"disc.ccd", "disc.img", "disc.sub"},
	    {"dir/My Disc.CCD", "My Disc.IMG", "My Disc.SUB"},
	    {"a.b.ccd", "a.b.img", "a.b.sub"},
	    {"noext", "noext.img", "noext.sub"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cd_disc *d = cd_disc_new();
		struct dimg_error err;
		dimg_error_clear(&err);
		assert_int_equal(
		    cd_ccd_parse(d, two_track_ccd, strlen(two_track_ccd), cases[i][0], &err), 0);
		assert_string_equal(d->files[0].name, cases[i][1]);
		assert_string_equal(d->files[1].name, cases[i][2]);
		cd_disc_free(d);
	}
}

/* LF, CRLF and CR sheets read the same; line numbers count lines, not
 * line-end bytes. */
static void test_ccd_line_endings(void **state)
{
	const char *ends[] = {"\n", "\r"};
	(void)state;
	for (int k = 0; k < 2; k++) {
		char *t = malloc(sizeof(two_track_ccd));
		size_t n = 0;
		for (const char *p = two_track_ccd; *p; p++) {
			if (p[0] == '\r' && p[1] == '\n') {
				t[n++] = ends[k][0];
				p++;
			} else {
				t[n++] = *p;
			}
		}
		t[n] = 0;
		struct dimg_error err;
		struct cd_disc *d = parse(t, &err);
		if (!d)
			fail_msg("%s", err.message);
		assert_int_equal(d->ntracks, 2);
		assert_int_equal(d->tracks[1].index[2], 1300);
		cd_disc_free(d);
		free(t);
	}
	parse_fails("[CloneCD]\r\nVersion=3\r\n\r\nbogus\r\n", "disc.ccd:4: expected");
	parse_fails("[CloneCD]\rVersion=3\r\rbogus\r", "disc.ccd:4: expected");
}

/* Replaces the first occurrence of from by to (same length or not). */
static char *edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to);
	char *out = malloc(n + 1);
	assert_non_null(at);
	memcpy(out, text, (size_t)(at - text));
	strcpy(out + (at - text), to);
	strcat(out, at + strlen(from));
	return out;
}

static void fails_edit(const char *from, const char *to, const char *want)
{
	char *t = edit(two_track_ccd, from, to);
	parse_fails(t, want);
	free(t);
}

static void test_ccd_hostile(void **state)
{
	char *big = malloc(1 << 20);
	size_t n = 0;
	(void)state;
	/* not a CloneCD sheet, junk lines */
	parse_fails("[Disc]\nTocEntries=0\n", "no [CloneCD] section");
	parse_fails("[CloneCD]\nVersion=3\nthis is not a key\n", "disc.ccd:3: expected");
	parse_fails("Version=3\n", "disc.ccd:1:");
	parse_fails("[CloneCD\n", "without ']'");
	parse_fails("[CloneCD]\nVersion=3\n", "no track entries");
	/* huge and malformed values */
	fails_edit("PLBA=1150", "PLBA=99999999999999", "bad value");
	fails_edit("PLBA=1150", "PLBA=450001", "bad value");
	fails_edit("INDEX 1=1150", "INDEX 1=2147483648", "bad value");
	fails_edit("TocEntries=5", "TocEntries=100000", "bad value");
	fails_edit("Point=0x02", "Point=0x1ff", "bad value");
	fails_edit("Control=0x02", "Control=0x1f", "4-bit");
	fails_edit("CATALOG=0123456789012", "CATALOG=01234567890x2", "bad value");
	fails_edit("ISRC=XYBLG1100005", "ISRC=XY-LG1100005", "bad value");
	fails_edit("[TRACK 2]", "[TRACK 100]", "track number must be 1..99");
	fails_edit("INDEX 2=1300", "INDEX 100=1300", "bad INDEX number");
	fails_edit("INDEX 2=1300", "INDEX 99999999=1300", "bad INDEX number");
	fails_edit("Point=0x02", "Point=0x64", "neither a track");
	fails_edit("PLBA=1150", "PLBA=1151", "PMin/PSec/PFrame");
	fails_edit("DataTracksScrambled=0", "DataTracksScrambled=2", "bad value");
	{
		/* scrambled storage applies to the data tracks only */
		struct dimg_error err;
		char *t = edit(two_track_ccd, "DataTracksScrambled=0", "DataTracksScrambled=1");
		struct cd_disc *d = parse(t, &err);
		assert_non_null(d);
		assert_true(d->tracks[0].scrambled);
		assert_false(d->tracks[1].scrambled);
		cd_disc_free(d);
		free(t);
	}
	/* duplicate sections and keys */
	fails_edit("[Session 1]", "[Disc]\r\n[Session 1]", "duplicate [Disc]");
	fails_edit("[TRACK 2]", "[TRACK 1]", "duplicate [TRACK 1]");
	fails_edit("[Entry 2]", "[Entry 1]", "duplicate or out-of-order [Entry 1]");
	fails_edit("PLBA=1150", "PLBA=1150\r\nPLBA=1150", "given twice");
	fails_edit("INDEX 2=1300", "INDEX 2=1300\r\nINDEX 2=1400", "INDEX 2 given twice");
	/* missing entries and keys */
	fails_edit("[Entry 2]", "[Entry 3]", "[Entry 2] missing");
	fails_edit("TocEntries=5", "TocEntries=6", "TocEntries=6 but there are 5");
	{
		char *t = edit(two_track_ccd, "Point=0x02", "Point=0x03");
		char *u = edit(t, "[TRACK 2]", "[TRACK 3]");
		parse_fails(u, "track 3 follows track 1: a track entry is missing");
		free(t);
		free(u);
	}
	fails_edit("Point=0x02\r\nADR=0x01\r\nControl=0x02\r\nTrackNo=0\r\nAMin=0\r\nASec=0\r\n"
		   "AFrame=0\r\nALBA=-150\r\nZero=0\r\nPMin=0\r\nPSec=17\r\nPFrame=25\r\nPLBA=1150",
		   "Point=0x02", "no PLBA");
	fails_edit("Session=1\r\nPoint=0x01", "Point=0x01", "needs Session and Point");
	fails_edit("[TRACK 2]", "[TRACK 3]", "[TRACK 3] has no TOC entry");
	/* entries that contradict each other or go backwards */
	fails_edit("PMin=0\r\nPSec=17\r\nPFrame=25\r\nPLBA=1150",
		   "PMin=0\r\nPSec=2\r\nPFrame=0\r\n"
		   "PLBA=0",
		   "not after track 1");
	fails_edit("INDEX 0=1000", "INDEX 0=1200", "INDEX 0 (1200) after INDEX 1");
	fails_edit("INDEX 0=1000", "INDEX 0=0", "not after track 1's INDEX 1");
	fails_edit("INDEX 2=1300", "INDEX 2=2300", "INDEX 2 (LBA 2300) is out of order");
	fails_edit("PSec=28\r\nPFrame=50\r\nPLBA=2000", "PSec=15\r\nPFrame=0\r\nPLBA=975",
		   "is not after track 2");
	fails_edit("PMin=2\r\n", "PMin=3\r\n", "Point 0xa1 names track 3");
	fails_edit("Sessions=1", "Sessions=2", "Sessions=2 but the tracks are in 1");
	fails_edit("Session=1\r\nPoint=0x02", "Session=3\r\nPoint=0x02", "in session 3");
	fails_edit("[TRACK 1]", "[CDText]\r\nEntries=1\r\nEntry 0=80 00 00\r\n[TRACK 1]",
		   "expected 16 hex bytes");
	fails_edit("[TRACK 1]",
		   "[CDText]\r\nEntries=2\r\nEntry 1=80 00 00 00 41 41 41 41 41 41 "
		   "41 41 41 41 41 41\r\n[TRACK 1]",
		   "Entry 1 where Entry 0 was expected");
	{
		char t[] = "[CloneCD]\nVersion=3\n[Disc]\nTocEntries=0\0\n";
		struct dimg_error err;
		struct cd_disc *d = cd_disc_new();
		dimg_error_clear(&err);
		assert_int_equal(cd_ccd_parse(d, t, sizeof(t) - 1, "disc.ccd", &err), DIMG_EFORMAT);
		assert_non_null(strstr(err.message, "NUL"));
		cd_disc_free(d);
	}
	/* two sessions without the first one's lead-out */
	{
		char *t = edit(two_track_ccd, "Session=1\r\nPoint=0x02", "Session=2\r\nPoint=0x02");
		char *u = edit(t, "Sessions=1", "Sessions=2");
		char *v = edit(u, "PMin=2\r\n", "PMin=1\r\n");
		parse_fails(v, "session 2 begins at LBA 1000, inside session 1");
		char *w = edit(v, "Session=1\r\nPoint=0xa2", "Session=2\r\nPoint=0xa2");
		parse_fails(w, "session 1 has no lead-out entry");
		free(t);
		free(u);
		free(v);
		free(w);
	}

	/* 99 tracks parse; entry sections beyond the cap are refused */
	n += (size_t)sprintf(big + n, "[CloneCD]\nVersion=3\n[Disc]\nTocEntries=100\n");
	for (int i = 1; i <= 99; i++)
		n += (size_t)sprintf(big + n,
				     "[Entry %d]\nSession=1\nPoint=0x%02x\nControl=0x00\n"
				     "PLBA=%d\n",
				     i - 1, i, i * 1000);
	n += (size_t)sprintf(big + n, "[Entry 99]\nSession=1\nPoint=0xa2\nPLBA=200000\n");
	struct dimg_error err;
	struct cd_disc *d = parse(big, &err);
	if (!d)
		fail_msg("%s", err.message);
	assert_int_equal(d->ntracks, 99);
	assert_int_equal(d->tracks[0].begin, 0);
	assert_int_equal(d->tracks[98].end, 200000);
	assert_int_equal(layout_with(d, 200000ull * CD_RAW, &err), 0);
	assert_int_equal(cd_disc_validate(d, &err), 0);
	cd_disc_free(d);
	/* a 100th track */
	big[n] = 0;
	char *t = edit(big, "TocEntries=100", "TocEntries=101");
	size_t tn = strlen(t);
	t = realloc(t, tn + 100);
	sprintf(t + tn, "[Entry 100]\nSession=1\nPoint=0x64\nPLBA=199000\n");
	parse_fails(t, "Point 0x64 is neither a track");
	free(t);
	n = (size_t)sprintf(big, "[CloneCD]\n");
	for (int i = 0; i <= 1024; i++)
		n += (size_t)sprintf(big + n, "[Entry %d]\nSession=1\nPoint=0x01\n", i);
	parse_fails(big, "more than 1024 TOC entries");
	free(big);
}

static void test_ccd_cdtext(void **state)
{
	struct cd_disc *d = text_model(), *e;
	struct dimg_error err;
	char *text = write_ccd(d), *entry;
	(void)state;
	assert_non_null(strstr(text, "[CDText]\r\nEntries="));
	/* 16 bytes per entry, no CRC */
	entry = strstr(text, "Entry 0=");
	assert_non_null(entry);
	assert_int_equal(strcspn(entry, "\r"), strlen("Entry 0=") + 16 * 3 - 1);
	e = parse(text, &err);
	if (!e)
		fail_msg("%s", err.message);
	assert_int_equal(layout_with(e, 2000 * CD_RAW, &err), 0);
	assert_same_tracks(d, e);
	free(text);
	cd_disc_free(d);
	cd_disc_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sub_round_trip),
	    cmocka_unit_test(test_sub_known_pattern),
	    cmocka_unit_test(test_crc),
	    cmocka_unit_test(test_q_generate),
	    cmocka_unit_test(test_cdtext_corpus),
	    cmocka_unit_test(test_cdtext_round_trip),
	    cmocka_unit_test(test_cdtext_malformed),
	    cmocka_unit_test(test_ccd_parse_two_tracks),
	    cmocka_unit_test(test_ccd_no_leadout),
	    cmocka_unit_test(test_ccd_write_round_trip),
	    cmocka_unit_test(test_ccd_names),
	    cmocka_unit_test(test_ccd_line_endings),
	    cmocka_unit_test(test_ccd_hostile),
	    cmocka_unit_test(test_ccd_cdtext),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
