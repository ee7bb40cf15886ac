/* SPDX-License-Identifier: MIT */
/*
 * CD-TEXT decoder and encoder: every block, double-byte (MS-JIS) text,
 * undecodable character sets, what is kept of the packs.
 *
 * Oracles: packs written out by hand here from the pack format (MMC-3
 * annex J; libburn's doc/cdtext.txt): header bytes, payload bytes and the
 * CRC computed by a separate bitwise CRC-16 (CCITT, inverted); Japanese text
 * as Shift-JIS byte strings taken from the JIS X 0208 tables (日 = 93 FA,
 * 本 = 96 7B, あ = 82 A0, ア = 83 41, half-width ｱ = B1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd/cd_disc.h"
#include "cd/cd_subq.h"

/* ---- helpers ------------------------------------------------------------- */

static uint16_t crc_bitwise(const uint8_t *p, size_t n)
{
	uint16_t c = 0;
	for (size_t i = 0; i < n; i++) {
		c ^= (uint16_t)(p[i] << 8);
		for (int k = 0; k < 8; k++)
			c = (uint16_t)(c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1);
	}
	return (uint16_t)~c;
}

/* Appends a pack: type, track, seq, flags byte, 12 payload bytes. */
static void pack(uint8_t *buf, size_t *n, uint8_t type, uint8_t track, uint8_t seq, uint8_t flags,
		 const void *payload, size_t plen)
{
	uint8_t *p = buf + *n;
	uint16_t c;
	memset(p, 0, 18);
	p[0] = type;
	p[1] = track;
	p[2] = seq;
	p[3] = flags;
	memcpy(p + 4, payload, plen > 12 ? 12 : plen);
	c = crc_bitwise(p, 16);
	p[16] = (uint8_t)(c >> 8);
	p[17] = (uint8_t)c;
	*n += 18;
}

/* The three size information packs of a block. */
static void size_info(uint8_t *buf, size_t *n, uint8_t block, uint8_t seq, uint8_t charset,
		      uint8_t first, uint8_t last, uint8_t copyright, const uint8_t counts[16],
		      const uint8_t lastseq[8], const uint8_t langs[8])
{
	uint8_t info[36];
	info[0] = charset;
	info[1] = first;
	info[2] = last;
	info[3] = copyright;
	memcpy(info + 4, counts, 16);
	memcpy(info + 20, lastseq, 8);
	memcpy(info + 28, langs, 8);
	for (int i = 0; i < 3; i++)
		pack(buf, n, 0x8F, (uint8_t)i, (uint8_t)(seq + i), (uint8_t)(block << 4),
		     info + 12 * i, 12);
}

static struct cd_disc *decode_ok(const uint8_t *buf, size_t n)
{
	struct cd_disc *d = cd_disc_new();
	struct dimg_error err;
	assert_non_null(d);
	dimg_error_clear(&err);
	if (cd_cdtext_decode(d, buf, n, &err))
		fail_msg("%s", err.message);
	return d;
}

static void set(struct cd_disc *d, int b, int t, enum cd_text_field f, const char *v)
{
	struct dimg_error err;
	assert_int_equal(cd_disc_set_btext(d, b, t, f, v, &err), 0);
}

static struct cd_disc *tracks(int n)
{
	struct cd_disc *d = cd_disc_new();
	assert_non_null(d);
	d->ntracks = n;
	for (int i = 0; i < n; i++)
		d->tracks[i].number = (uint8_t)(i + 1);
	return d;
}

static void same_text(const struct cd_disc *a, const struct cd_disc *b)
{
	for (int k = 0; k < CD_TEXT_BLOCKS; k++)
		for (int t = 0; t <= CD_MAX_TRACKS; t++)
			for (int f = 0; f < CDT_COUNT; f++) {
				const char *x = a->cdtext[k].text[t][f],
					   *y = b->cdtext[k].text[t][f];
				if ((!x) != (!y) || (x && strcmp(x, y)))
					fail_msg("block %d track %d %s: '%s' vs '%s'", k, t,
						 cd_text_names[f], x ? x : "(none)",
						 y ? y : "(none)");
			}
}

/* ---- decoding ------------------------------------------------------------ */

/* Block 0 MS-JIS, block 1 ISO-8859-1, written byte by byte. */
static void test_decode_msjis_and_latin1(void **state)
{
	uint8_t buf[40 * 18];
	size_t n = 0;
	uint8_t counts0[16] = {3, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 3};
	uint8_t counts1[16] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
	uint8_t lastseq[8] = {9, 3, 0, 0, 0, 0, 0, 0};
	uint8_t langs[8] = {0x69, 0x09, 0, 0, 0, 0, 0, 0};
	(void)state;
	/* TITLE stream, double-byte: disc "日本日本日本日本" (16 bytes, the
	 * string goes on into the second pack: 6 characters sent), track 1
	 * "あア" + half-width "ｱ" (5 bytes: odd), track 2 TAB TAB (same as
	 * track 1) */
	static const uint8_t t0[] = {0x93, 0xFA, 0x96, 0x7B, 0x93, 0xFA,
				     0x96, 0x7B, 0x93, 0xFA, 0x96, 0x7B};
	static const uint8_t t1[] = {0x93, 0xFA, 0x96, 0x7B, 0, 0, 0x82, 0xA0, 0x83, 0x41, 0xB1, 0};
	static const uint8_t t2[] = {0, '\t', '\t', 0, 0};
	pack(buf, &n, 0x80, 0, 0, 0x80, t0, 12);
	pack(buf, &n, 0x80, 0, 1, 0x86, t1, 12);
	/* the second NUL of track 1's terminator opens this pack (6 bytes
	 * sent: position 3 by libburn's rule) */
	pack(buf, &n, 0x80, 1, 2, 0x83, t2, 5);
	/* PERFORMER: "日本" for the disc, then a lone-NUL-terminated track 1
	 * (a writer ending double-byte text with one NUL), then track 2 whose
	 * terminator straddles two packs */
	static const uint8_t p0[] = {0x93, 0xFA, 0x96, 0x7B, 0, 0, 0x96, 0x7B, 0, 0x93, 0xFA, 0};
	pack(buf, &n, 0x81, 0, 3, 0x80, p0, 12);
	pack(buf, &n, 0x81, 2, 4, 0x81, "\0\0\0\0\0\0\0\0\0\0\0", 12);
	/* GENRE: code 0x000E (Jazz), single-byte text */
	pack(buf, &n, 0x87, 0, 5, 0x00, "\x00\x0EJazz\0", 7);
	/* UPC/ISRC single-byte in a double-byte block */
	pack(buf, &n, 0x8E, 0, 6, 0x00, "498\0JP1\0JP2\0", 12);
	size_info(buf, &n, 0, 7, 0x80, 1, 2, 0, counts0, lastseq, langs);
	/* block 1 */
	pack(buf, &n, 0x80, 0, 0, 0x10, "Caf\xe9\0Un\0Two\0", 12);
	size_info(buf, &n, 1, 1, 0x00, 1, 2, 3, counts1, lastseq, langs);

	struct cd_disc *d = decode_ok(buf, n);
	const struct cd_text_block *k = &d->cdtext[0];
	assert_int_equal(k->charset, CD_CS_MSJIS);
	assert_int_equal(k->language, 0x69);
	assert_false(k->raw);
	assert_string_equal(k->text[0][CDT_TITLE], "日本日本日本日本");
	assert_string_equal(k->text[1][CDT_TITLE], "あアｱ");
	assert_string_equal(k->text[2][CDT_TITLE], "あアｱ"); /* TAB TAB */
	assert_string_equal(k->text[0][CDT_PERFORMER], "日本");
	assert_string_equal(k->text[1][CDT_PERFORMER], "本");
	assert_string_equal(k->text[2][CDT_PERFORMER], "日");
	assert_true(k->has_genre_code);
	assert_int_equal(k->genre_code, 0x0E);
	assert_string_equal(k->text[0][CDT_GENRE], "Jazz");
	assert_string_equal(k->text[0][CDT_UPC_ISRC], "498");
	assert_string_equal(k->text[2][CDT_UPC_ISRC], "JP2");
	k = &d->cdtext[1];
	assert_int_equal(k->charset, CD_CS_LATIN1);
	assert_int_equal(k->language, 0x09);
	assert_int_equal(k->copyright, 3);
	assert_string_equal(k->text[0][CDT_TITLE], "Café");
	assert_string_equal(k->text[1][CDT_TITLE], "Un");
	assert_string_equal(k->text[2][CDT_TITLE], "Two");
	/* every CRC valid: the packs are kept as they are */
	assert_int_equal(d->packs_len, n);
	assert_memory_equal(d->packs, buf, n);
	assert_int_equal(d->cdtext_loss, 0);
	assert_string_equal(cd_text_language_name(d->cdtext[0].language), "Japanese");
	assert_string_equal(cd_text_genre_name(d->cdtext[0].genre_code), "Jazz");
	assert_string_equal(cd_text_charset_name(d->cdtext[0].charset), "MS-JIS");
	cd_disc_free(d);

	/* a damaged pack: its strings are gone, the others stay, the packs
	 * are not kept */
	buf[18 * 3 + 7] ^= 1;
	d = decode_ok(buf, n);
	assert_null(d->cdtext[0].text[0][CDT_PERFORMER]);
	assert_string_equal(d->cdtext[0].text[1][CDT_TITLE], "あアｱ");
	assert_null(d->packs);
	assert_true(d->cdtext_loss & CD_CDT_DAMAGED);
	cd_disc_free(d);
}

static void test_decode_undecodable(void **state)
{
	uint8_t buf[8 * 18], zero[8] = {0}, counts[16] = {1, 0, 0, 0, 0, 0, 1};
	size_t n = 0;
	(void)state;
	counts[15] = 3;
	/* Korean: bytes kept; DISC_ID is single-byte ISO-8859-1 anyway */
	pack(buf, &n, 0x80, 0, 0, 0x80, "\xB0\xA1\xB0\xA2\0\0", 6);
	pack(buf, &n, 0x86, 0, 1, 0x00, "K1\0", 3);
	size_info(buf, &n, 0, 2, CD_CS_KOREAN, 1, 1, 0, counts, zero, zero);
	struct cd_disc *d = decode_ok(buf, n);
	const struct cd_text_block *k = &d->cdtext[0];
	assert_true(k->raw);
	assert_int_equal(k->charset, CD_CS_KOREAN);
	assert_string_equal(k->text[0][CDT_TITLE], "\xB0\xA1\xB0\xA2");
	assert_string_equal(k->text[0][CDT_DISC_ID], "K1");
	char *s = cd_text_display(k, CDT_TITLE, k->text[0][CDT_TITLE]);
	assert_string_equal(s, "(undecodable) b0 a1 b0 a2");
	free(s);
	s = cd_text_display(k, CDT_DISC_ID, k->text[0][CDT_DISC_ID]);
	assert_string_equal(s, "K1");
	free(s);
	/* re-encoded byte for byte */
	uint8_t *enc;
	size_t len;
	struct dimg_error err;
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_encode(d, &enc, &len, &err), 0);
	assert_int_equal(len, n);
	assert_memory_equal(enc, buf, 4 + 6);
	free(enc);
	cd_disc_free(d);

	/* MS-JIS bytes that are not Shift-JIS (a lead byte without its
	 * trail): the block is kept as bytes too */
	n = 0;
	pack(buf, &n, 0x80, 0, 0, 0x80, "\x93\0\0", 3);
	size_info(buf, &n, 0, 1, CD_CS_MSJIS, 1, 1, 0, counts, zero, zero);
	d = decode_ok(buf, n);
	assert_true(d->cdtext[0].raw);
	assert_string_equal(d->cdtext[0].text[0][CDT_TITLE], "\x93");
	cd_disc_free(d);
}

static void test_decode_types_and_chars(void **state)
{
	uint8_t buf[6 * 18];
	size_t n = 0;
	(void)state;
	pack(buf, &n, 0x80, 0, 0, 0x00,
	     "A\x01"
	     "B\0",
	     4);
	pack(buf, &n, 0x88, 0, 1, 0x00, "\x01\x02\x00\x10\x02\x00", 6);
	struct cd_disc *d = decode_ok(buf, n);
	assert_string_equal(d->cdtext[0].text[0][CDT_TITLE], "A?B");
	assert_true(d->cdtext_loss & CD_CDT_CHARS);
	assert_true(d->cdtext_loss & CD_CDT_TYPES);
	assert_non_null(d->packs); /* all valid: kept for formats that store packs */
	/* no size information: ISO-8859-1, English */
	assert_int_equal(d->cdtext[0].charset, CD_CS_LATIN1);
	assert_int_equal(d->cdtext[0].language, CD_LANG_ENGLISH);
	cd_disc_free(d);
}

/* ---- encoding ------------------------------------------------------------ */

static void test_encode_blocks(void **state)
{
	struct cd_disc *d = tracks(3), *e;
	struct dimg_error err;
	uint8_t *p;
	size_t len;
	(void)state;
	set(d, 0, 0, CDT_TITLE, "日本語のタイトルです、長い"); /* > 15 characters */
	set(d, 0, 1, CDT_TITLE, "一");
	set(d, 0, 2, CDT_TITLE, "一");
	set(d, 0, 3, CDT_TITLE, "ｶﾀｶﾅ");
	set(d, 0, 0, CDT_GENRE, "Jazz");
	set(d, 0, 0, CDT_CLOSED, "memo");
	set(d, 0, 2, CDT_UPC_ISRC, "JPAB09900002");
	d->cdtext[0].charset = CD_CS_MSJIS;
	d->cdtext[0].language = 0x69;
	d->cdtext[0].has_genre_code = true;
	d->cdtext[0].genre_code = 0x0E;
	set(d, 2, 0, CDT_TITLE, "Titre");
	set(d, 2, 3, CDT_PERFORMER, "Quelqu'un");
	d->cdtext[2].language = 0x0F;
	d->cdtext[2].copyright = 3;
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_encode(d, &p, &len, &err), 0);
	assert_true(len > 0 && len % 18 == 0);

	unsigned seq[8] = {0}, last[8] = {0}, found[8] = {0};
	bool tab2 = false;
	for (size_t i = 0; i < len / 18; i++) {
		const uint8_t *q = p + i * 18;
		int b = (q[3] >> 4) & 7;
		assert_int_equal(crc_bitwise(q, 16), (q[16] << 8) | q[17]);
		assert_int_equal(q[2], seq[b]++); /* sequence numbers per block */
		assert_true(b == 0 || b == 2);
		found[b] = 1;
		last[b] = q[2];
		/* double-byte flag on TITLE..MESSAGE of the MS-JIS block only */
		assert_int_equal(!!(q[3] & 0x80), b == 0 && q[0] <= 0x85);
		if (b == 0 && q[0] == 0x80 && memmem(q + 4, 12, "\t\t\0\0", 4))
			tab2 = true;
	}
	assert_true(tab2); /* track 2 repeats track 1 */
	/* every block's size information lists the last sequence numbers and
	 * languages of all blocks */
	for (size_t i = 0; i < len / 18; i++) {
		const uint8_t *q = p + i * 18;
		int b = (q[3] >> 4) & 7;
		if (q[0] != 0x8F)
			continue;
		if (q[1] == 0) {
			assert_int_equal(q[4], b == 0 ? CD_CS_MSJIS : CD_CS_LATIN1);
			assert_int_equal(q[5], 1);
			assert_int_equal(q[6], 3);
			assert_int_equal(q[7], b == 0 ? 0 : 3);
		} else if (q[1] == 1) {
			assert_int_equal(q[4 + 8], last[0]);
			assert_int_equal(q[4 + 9], 0);
			assert_int_equal(q[4 + 10], last[2]);
		} else {
			assert_int_equal(q[4 + 4], 0x69);
			assert_int_equal(q[4 + 5], 0);
			assert_int_equal(q[4 + 6], 0x0F);
		}
	}
	assert_true(found[0] && found[2]);

	e = cd_disc_new();
	assert_non_null(e);
	assert_int_equal(cd_cdtext_decode(e, p, len, &err), 0);
	same_text(d, e);
	assert_int_equal(e->cdtext[0].charset, CD_CS_MSJIS);
	assert_int_equal(e->cdtext[0].genre_code, 0x0E);
	assert_int_equal(e->cdtext[2].language, 0x0F);
	assert_int_equal(e->cdtext[2].copyright, 3);
	assert_false(cd_text_block_used(e, 1));
	assert_int_equal(e->cdtext_loss, 0);
	/* cd_cdtext_packs gives the kept packs back unchanged */
	uint8_t *again;
	size_t alen;
	assert_int_equal(cd_cdtext_packs(e, &again, &alen, &err), 0);
	assert_int_equal(alen, len);
	assert_memory_equal(again, p, len);
	free(again);
	free(p);
	cd_disc_free(e);

	/* text MS-JIS cannot say: refused by name */
	set(d, 0, 1, CDT_TITLE, "\xf0\x9f\x98\x80"); /* an emoji */
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_encode(d, &p, &len, &err), DIMG_EUNSUPPORTED);
	assert_non_null(strstr(err.message, "block 0 TITLE of track 1"));
	assert_non_null(strstr(err.message, "MS-JIS"));
	cd_disc_free(d);
}

/* A double-byte string that begins on the last byte of a pack: the next
 * pack continues it at character position 0 (1 byte sent, counted / 2). */
static void test_dbcs_odd_offset(void **state)
{
	struct cd_disc *d = tracks(1), *e = cd_disc_new();
	struct dimg_error err;
	uint8_t *p;
	size_t len;
	(void)state;
	set(d, 0, 0, CDT_TITLE, "ABCDEFGHI"); /* 9 bytes + 2 NULs: 11 */
	set(d, 0, 1, CDT_TITLE, "日本");
	d->cdtext[0].charset = CD_CS_MSJIS;
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_encode(d, &p, &len, &err), 0);
	assert_int_equal(p[18 + 1], 1);	   /* second pack: track 1 */
	assert_int_equal(p[18 + 3], 0x80); /* double-byte, block 0, position 0 */
	assert_int_equal(p[15], 0x93);	   /* 日's first byte ends the first pack */
	assert_int_equal(cd_cdtext_decode(e, p, len, &err), 0);
	same_text(d, e);
	assert_int_equal(e->cdtext_loss, 0);
	free(p);
	cd_disc_free(d);
	cd_disc_free(e);
}

static void test_encode_limit(void **state)
{
	struct cd_disc *d = tracks(99);
	struct dimg_error err;
	uint8_t *p;
	size_t len;
	char v[64];
	(void)state;
	for (int t = 1; t <= 99; t++) {
		snprintf(v, sizeof(v), "A title of some forty characters, no %02d", t);
		set(d, 1, t, CDT_TITLE, v);
	}
	dimg_error_clear(&err);
	assert_int_equal(cd_cdtext_encode(d, &p, &len, &err), DIMG_ELIMIT);
	assert_non_null(strstr(err.message, "block 1 needs more than 256 packs"));
	assert_null(p);
	cd_disc_free(d);
}

static void test_cue_lines_suffice(void **state)
{
	struct cd_disc *d = tracks(2);
	(void)state;
	assert_true(cd_cdtext_cue_lines_suffice(d));
	set(d, 0, 0, CDT_TITLE, "Café");
	set(d, 0, 1, CDT_TITLE, "One");
	assert_true(cd_cdtext_cue_lines_suffice(d));
	set(d, 0, 0, CDT_GENRE, "Pop");
	d->cdtext[0].has_genre_code = true;
	d->cdtext[0].genre_code = 1; /* "not defined": what lines encode to */
	assert_true(cd_cdtext_cue_lines_suffice(d));
	d->cdtext[0].genre_code = 20;
	assert_false(cd_cdtext_cue_lines_suffice(d));
	d->cdtext[0].has_genre_code = false;
	set(d, 0, 2, CDT_TITLE, "Say \"hi\""); /* a line cannot hold a quote */
	assert_false(cd_cdtext_cue_lines_suffice(d));
	set(d, 0, 2, CDT_TITLE, "Two");
	d->cdtext[0].charset = CD_CS_ASCII;
	assert_false(cd_cdtext_cue_lines_suffice(d));
	d->cdtext[0].charset = CD_CS_LATIN1;
	set(d, 0, 1, CDT_UPC_ISRC, "XYBLG1101234"); /* CD-TEXT ISRC: no cue line */
	assert_false(cd_cdtext_cue_lines_suffice(d));
	free(d->cdtext[0].text[1][CDT_UPC_ISRC]);
	d->cdtext[0].text[1][CDT_UPC_ISRC] = NULL;
	assert_true(cd_cdtext_cue_lines_suffice(d));
	set(d, 3, 0, CDT_TITLE, "Another language");
	assert_false(cd_cdtext_cue_lines_suffice(d));
	cd_disc_free(d);
}

static void test_decode_str(void **state)
{
	char *v;
	bool lossy = false;
	(void)state;
	/* 日本 in Shift-JIS; CP932's extensions: ① (87 40), 髙 (FB FC) */
	assert_int_equal(cd_text_decode_str(CD_CS_MSJIS, true,
					    (const uint8_t *)"\x93\xfa\x96\x7b\x87\x40\xfb\xfc", 8,
					    &v, &lossy),
			 0);
	assert_string_equal(v, "日本①髙");
	free(v);
	/* MS-JIS applies to TITLE..MESSAGE only */
	assert_int_equal(
	    cd_text_decode_str(CD_CS_MSJIS, false, (const uint8_t *)"\xe9", 1, &v, &lossy), 0);
	assert_string_equal(v, "é");
	free(v);
	assert_int_equal(
	    cd_text_decode_str(CD_CS_MANDARIN, true, (const uint8_t *)"\xb0\xa1", 2, &v, &lossy),
	    1);
	assert_null(v);
	assert_false(lossy);
	assert_int_equal(
	    cd_text_decode_str(CD_CS_LATIN1, true, (const uint8_t *)"a\x85", 2, &v, &lossy), 0);
	assert_string_equal(v, "a?"); /* a C1 control */
	assert_true(lossy);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_msjis_and_latin1),
	    cmocka_unit_test(test_decode_undecodable),
	    cmocka_unit_test(test_decode_types_and_chars),
	    cmocka_unit_test(test_encode_blocks),
	    cmocka_unit_test(test_dbcs_odd_offset),
	    cmocka_unit_test(test_encode_limit),
	    cmocka_unit_test(test_cue_lines_suffice),
	    cmocka_unit_test(test_decode_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
