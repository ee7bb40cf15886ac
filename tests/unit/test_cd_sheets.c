/* SPDX-License-Identifier: MIT */
/*
 * Cue sheets and the disc model without files: tokenizer errors with line
 * and column, INDEX/PREGAP/POSTGAP layout over file sizes, sessions, the
 * writer's round trip, and the raw <-> stored sector forms (a cooked copy
 * must notice any byte it cannot regenerate).
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
#include "cd/cd_sector.h"

static struct cd_disc *parse(const char *text, uint64_t file_size, struct dimg_error *err)
{
	struct cd_disc *d = cd_disc_new();
	assert_non_null(d);
	dimg_error_clear(err);
	if (cd_cue_parse(d, text, strlen(text), "t.cue", err) == 0) {
		for (int i = 0; i < d->nfiles; i++)
			d->files[i].size = file_size;
		if (cd_cue_layout(d, err) == 0)
			return d;
	}
	cd_disc_free(d);
	return NULL;
}

/* Like parse(), with one size per FILE (in sheet order). */
static struct cd_disc *parse_sizes(const char *text, const uint64_t *sizes, int n,
				   struct dimg_error *err)
{
	struct cd_disc *d = cd_disc_new();
	assert_non_null(d);
	dimg_error_clear(err);
	if (cd_cue_parse(d, text, strlen(text), "t.cue", err) == 0) {
		assert_int_equal(d->nfiles, n);
		for (int i = 0; i < d->nfiles; i++)
			d->files[i].size = sizes[i];
		if (cd_cue_layout(d, err) == 0)
			return d;
	}
	cd_disc_free(d);
	return NULL;
}

static void expect_seg(const struct cd_disc *d, int track, int k, int file, uint64_t offset,
		       uint32_t sectors)
{
	const struct cd_track *t = &d->tracks[track - 1];
	const struct cd_seg *g;
	assert_true(k < t->nsegs);
	g = &d->segs[t->first_seg + k];
	if (g->file != file || g->offset != offset || g->sectors != sectors)
		fail_msg("track %d segment %d: file %d offset %llu sectors %u, want %d %llu %u",
			 track, k, g->file, (unsigned long long)g->offset, g->sectors, file,
			 (unsigned long long)offset, sectors);
}

static void expect_error(const char *text, const char *where, const char *what)
{
	struct dimg_error err;
	struct cd_disc *d = parse(text, 2352u * 1000, &err);
	assert_null(d);
	if (!strstr(err.message, where) || !strstr(err.message, what))
		fail_msg("'%s' lacks '%s' or '%s'", err.message, where, what);
}

static void test_errors_name_line_and_column(void **state)
{
	(void)state;
	expect_error("FILE \"a.bin\" BINARY\n  TRACK 01 MODE3\n", "t.cue:2:12:", "MODE3");
	expect_error("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:60:00\n", "t.cue:3:10:",
		     "seconds");
	expect_error("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:75\n", "t.cue:3:10:",
		     "frame");
	expect_error("TRACK 01 AUDIO\n", "t.cue:1:1:", "before any FILE");
	expect_error("FILE \"a.bin BINARY\n", "t.cue:1:6:", "unterminated");
	expect_error("CATALOG 12\n", "t.cue:1:9:", "13 digits");
	expect_error("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 03 AUDIO\n",
		     "t.cue:4:7:", "follows track 1");
	expect_error("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nBOGUS x\n",
		     "t.cue:4:1:", "unknown command");
	expect_error("FILE \"a.mp3\" MP3\n", "t.cue:1:14:", "not supported");
	expect_error("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\n", "t.cue:2:", "no INDEX 01");
}

static void test_layout_single_file(void **state)
{
	struct dimg_error err;
	/* 100 sectors of data, audio with a 10-sector INDEX 00 and INDEX 02, a
	 * generated PREGAP and POSTGAP */
	struct cd_disc *d = parse("CATALOG 1234567890123\n"
				  "FILE \"a.bin\" BINARY\n"
				  "  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n    POSTGAP 00:00:05\n"
				  "  TRACK 02 AUDIO\n    FLAGS DCP PRE\n    PREGAP 00:00:03\n"
				  "    INDEX 00 00:01:25\n    INDEX 01 00:01:35\n    INDEX 02 00:01:40\n",
				  2352u * 200, &err);
	(void)state;
	if (!d)
		fail_msg("%s", err.message);
	assert_int_equal(d->ntracks, 2);
	assert_string_equal(d->catalog, "1234567890123");
	assert_int_equal(d->tracks[0].begin, 0);
	assert_int_equal(d->tracks[0].start, 0);
	assert_int_equal(d->tracks[0].end, 105); /* 100 stored + 5 POSTGAP */
	assert_int_equal(d->tracks[1].begin, 105);
	assert_int_equal(d->tracks[1].index[0], 108); /* after the 3 generated */
	assert_int_equal(d->tracks[1].start, 118);
	assert_int_equal(d->tracks[1].index[2], 123);
	assert_int_equal(d->tracks[1].end, 105 + 3 + 100);
	assert_int_equal(d->tracks[1].flags, CD_FLAG_DCP | CD_FLAG_PRE);
	assert_int_equal(d->leadout, 208);
	assert_int_equal(cd_disc_validate(d, &err), 0);
	assert_ptr_equal(cd_disc_track_at(d, 104), &d->tracks[0]);
	assert_ptr_equal(cd_disc_track_at(d, 105), &d->tracks[1]);
	assert_null(cd_disc_track_at(d, 208));
	assert_ptr_equal(cd_disc_data_track(d), &d->tracks[0]);
	cd_disc_free(d);
}

static void test_sessions_and_split_files(void **state)
{
	struct dimg_error err;
	struct cd_disc *d = parse("FILE \"1.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n"
				  "REM SESSION 02\n"
				  "FILE \"2.bin\" BINARY\n  TRACK 02 MODE1/2048\n    INDEX 01 00:00:00\n",
				  2352u * 50, &err);
	(void)state;
	if (!d)
		fail_msg("%s", err.message);
	assert_int_equal(d->nsessions, 2);
	assert_int_equal(d->tracks[0].end, 50);
	/* 2352 * 50 bytes of 2048-byte sectors: 57 whole ones */
	assert_int_equal(d->tracks[1].begin, 50 + CD_SESSION_GAP);
	assert_int_equal(d->tracks[1].end - d->tracks[1].start, 2352 * 50 / 2048);
	assert_int_equal(d->tracks[1].session, 2);
	assert_ptr_equal(cd_disc_data_track(d), &d->tracks[1]);
	assert_null(cd_disc_track_at(d, 60)); /* inside the gap */
	cd_disc_free(d);
}

static void test_short_file_and_overlap(void **state)
{
	struct dimg_error err;
	struct cd_disc *d;
	(void)state;
	d = parse("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\n"
		  "INDEX 01 00:10:00\n",
		  2352u * 100, &err);
	assert_null(d);
	assert_non_null(strstr(err.message, "has only"));
	d = parse("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\n"
		  "INDEX 01 00:00:50\nTRACK 03 AUDIO\nINDEX 01 00:00:40\n",
		  2352u * 100, &err);
	assert_null(d);
	assert_non_null(strstr(err.message, "starts before"));
}

static void test_writer_round_trip(void **state)
{
	static const char sheet[] =
		"REM GENRE Test\nCATALOG 0000000000001\nTITLE \"Disc\"\nPERFORMER \"Band\"\n"
		"FILE \"a.bin\" BINARY\n  TRACK 01 MODE2/2352\n    INDEX 01 00:00:00\n"
		"  TRACK 02 AUDIO\n    TITLE \"Song\"\n    FLAGS DCP\n    ISRC GBAYE0000001\n"
		"    PREGAP 00:00:10\n    INDEX 00 00:01:00\n    INDEX 01 00:01:20\n"
		"    INDEX 02 00:01:30\n    POSTGAP 00:00:07\n"
		"FILE \"b.wav\" WAVE\n  TRACK 03 AUDIO\n    INDEX 01 00:00:00\n";
	struct dimg_error err;
	struct cd_text_out o = { 0 };
	struct cd_disc *d = parse(sheet, 2352u * 300, &err), *e;
	(void)state;
	if (!d)
		fail_msg("%s", err.message);
	assert_int_equal(cd_cue_write(d, &o, &err), 0);
	assert_false(o.failed);
	/* the writer's layout is the canonical one the input uses */
	assert_int_equal(o.len, strlen(sheet));
	assert_memory_equal(o.buf, sheet, o.len);
	e = parse(o.buf, 2352u * 300, &err);
	assert_non_null(e);
	assert_int_equal(e->leadout, d->leadout);
	assert_string_equal(e->cdtext[0].text[2][CDT_TITLE], "Song");
	assert_string_equal(e->tracks[1].isrc, "GBAYE0000001");
	cd_disc_free(e);
	cd_disc_free(d);
	free(o.buf);
}

/* EAC's "noncompliant" layout: each pregap (INDEX 00) ends the previous
 * FILE, INDEX 01 begins the next; in canonical writer form, so the writer
 * must give it back unchanged. */
static const char eac_sheet[] =
    "FILE \"01.wav\" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n"
    "  TRACK 02 AUDIO\n    INDEX 00 00:03:35\n"
    "FILE \"02.wav\" WAVE\n    INDEX 01 00:00:00\n    INDEX 02 00:01:00\n"
    "  TRACK 03 AUDIO\n    PREGAP 00:00:02\n    INDEX 00 00:02:70\n"
    "FILE \"03.wav\" WAVE\n    INDEX 01 00:00:00\n    POSTGAP 00:00:04\n";
static const uint64_t eac_sizes[] = {2352u * 300, 2352u * 250, 2352u * 200};

static void test_eac_pregap_in_previous_file(void **state)
{
	struct dimg_error err;
	struct cd_disc *d = parse_sizes(eac_sheet, eac_sizes, 3, &err);
	const struct cd_track *t;
	(void)state;
	if (!d)
		fail_msg("%s", err.message);
	assert_int_equal(d->ntracks, 3);
	/* track 1 ends where track 2's INDEX 00 starts in 01.wav */
	t = &d->tracks[0];
	assert_int_equal(t->begin, 0);
	assert_int_equal(t->start, 0);
	assert_int_equal(t->end, 260);
	assert_int_equal(t->nsegs, 1);
	expect_seg(d, 1, 0, 0, 0, 260);
	/* track 2: the last 40 sectors of 01.wav, then all of 02.wav but the
	 * 30 that are track 3's pregap */
	t = &d->tracks[1];
	assert_int_equal(t->begin, 260);
	assert_int_equal(t->index[0], 260);
	assert_int_equal(t->start, 300);
	assert_int_equal(t->index[1], 300);
	assert_int_equal(t->index[2], 375);
	assert_int_equal(t->end, 520);
	assert_int_equal(t->nsegs, 2);
	expect_seg(d, 2, 0, 0, 2352u * 260, 40);
	expect_seg(d, 2, 1, 1, 0, 220);
	/* track 3: generated PREGAP, the end of 02.wav, 03.wav, POSTGAP */
	t = &d->tracks[2];
	assert_int_equal(t->begin, 520);
	assert_int_equal(t->index[0], 522);
	assert_int_equal(t->start, 552);
	assert_int_equal(t->end, 552 + 200 + 4);
	assert_int_equal(t->nsegs, 4);
	expect_seg(d, 3, 0, -1, 0, 2);
	expect_seg(d, 3, 1, 1, 2352u * 220, 30);
	expect_seg(d, 3, 2, 2, 0, 200);
	expect_seg(d, 3, 3, -1, 0, 4);
	assert_int_equal(d->leadout, 756);
	assert_int_equal(cd_disc_validate(d, &err), 0);
	assert_ptr_equal(cd_disc_track_at(d, 299), &d->tracks[1]);
	cd_disc_free(d);
}

static void test_eac_writer_round_trip(void **state)
{
	struct dimg_error err;
	struct cd_text_out o = {0};
	struct cd_disc *d = parse_sizes(eac_sheet, eac_sizes, 3, &err), *e;
	(void)state;
	if (!d)
		fail_msg("%s", err.message);
	assert_int_equal(cd_cue_write(d, &o, &err), 0);
	assert_false(o.failed);
	assert_int_equal(o.len, strlen(eac_sheet));
	assert_memory_equal(o.buf, eac_sheet, o.len);
	e = parse_sizes(o.buf, eac_sizes, 3, &err);
	assert_non_null(e);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(e->tracks[i].begin, d->tracks[i].begin);
		assert_int_equal(e->tracks[i].end, d->tracks[i].end);
		assert_memory_equal(e->tracks[i].index, d->tracks[i].index,
				    sizeof(d->tracks[i].index));
	}
	cd_disc_free(e);
	free(o.buf);
	/* a pregap that does not reach the end of its FILE is no cue shape */
	d->files[0].size += 2352;
	o = (struct cd_text_out){0};
	assert_int_equal(cd_cue_write(d, &o, &err), DIMG_EUNSUPPORTED);
	free(o.buf);
	cd_disc_free(d);
}

static void test_eac_edges(void **state)
{
	struct dimg_error err;
	struct cd_disc *d;
	const uint64_t sz[] = {2352u * 100, 2352u * 50};
	(void)state;
	/* INDEX 00 at the very end of the previous FILE: an empty pregap */
	d = parse_sizes("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n"
			"TRACK 02 AUDIO\nINDEX 00 00:01:25\nFILE \"b.bin\" BINARY\n"
			"INDEX 01 00:00:00\n",
			sz, 2, &err);
	if (!d)
		fail_msg("%s", err.message);
	assert_int_equal(d->tracks[0].end, 100);
	assert_int_equal(d->tracks[1].begin, 100);
	assert_int_equal(d->tracks[1].index[0], 100);
	assert_int_equal(d->tracks[1].start, 100);
	assert_int_equal(d->tracks[1].end, 150);
	assert_int_equal(d->tracks[1].nsegs, 1);
	expect_seg(d, 2, 0, 1, 0, 50);
	cd_disc_free(d);
	/* a pregap that is all of its FILE (the first INDEX in it) */
	d = parse_sizes("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 00 00:00:00\n"
			"FILE \"b.bin\" BINARY\nINDEX 01 00:00:00\n",
			sz, 2, &err);
	if (!d)
		fail_msg("%s", err.message);
	assert_int_equal(d->tracks[0].begin, 0);
	assert_int_equal(d->tracks[0].start, 100);
	assert_int_equal(d->tracks[0].end, 150);
	expect_seg(d, 1, 0, 0, 0, 100);
	expect_seg(d, 1, 1, 1, 0, 50);
	cd_disc_free(d);
}

static void test_eac_errors(void **state)
{
	struct dimg_error err;
	struct cd_disc *d;
	const uint64_t sz[] = {2352u * 100, 2352u * 50, 2352u * 50};
	(void)state;
	/* INDEX 00 beyond the end of the previous FILE: the line of INDEX 00 */
	d = parse_sizes("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n"
			"TRACK 02 AUDIO\nINDEX 00 00:01:26\nFILE \"b.bin\" BINARY\n"
			"INDEX 01 00:00:00\n",
			sz, 2, &err);
	assert_null(d);
	if (!strstr(err.message, "t.cue:5:10:") || !strstr(err.message, "INDEX 00 of track 2") ||
	    !strstr(err.message, "\"a.bin\" has only 235200"))
		fail_msg("%s", err.message);
	/* INDEX 01 must begin the new FILE */
	expect_error("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n"
		     "TRACK 02 AUDIO\nINDEX 00 00:01:00\nFILE \"b.bin\" BINARY\n"
		     "INDEX 01 00:00:05\n",
		     "t.cue:7:10:", "must be 00:00:00");
	/* a FILE between INDEX 00 and INDEX 01 would drop its bytes */
	expect_error("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n"
		     "TRACK 02 AUDIO\nINDEX 00 00:01:00\nFILE \"b.bin\" BINARY\n"
		     "FILE \"c.bin\" BINARY\nINDEX 01 00:00:00\n",
		     "t.cue:8:1:", "\"b.bin\" between its INDEX 00 and INDEX 01");
	/* only INDEX 01 may move to the new FILE, and only after an INDEX 00 */
	expect_error("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 00 00:00:00\n"
		     "INDEX 01 00:00:10\nFILE \"b.bin\" BINARY\nINDEX 02 00:00:00\n",
		     "t.cue:6:1:", "INDEX 02 of track 1 in another FILE");
	expect_error("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n"
		     "TRACK 02 AUDIO\nFILE \"b.bin\" BINARY\nINDEX 01 00:00:00\n",
		     "t.cue:6:1:", "INDEX 01 of track 2 in another FILE");
	expect_error("FILE \"a.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n"
		     "TRACK 02 AUDIO\nINDEX 00 00:01:00\nFILE \"b.bin\" BINARY\n"
		     "INDEX 00 00:00:00\n",
		     "t.cue:7:", "INDEX 00 given twice");
}

static void test_stored_raw_forms(void **state)
{
	uint8_t user[2336], raw[CD_RAW], back[CD_RAW];
	(void)state;
	for (unsigned i = 0; i < sizeof(user); i++)
		user[i] = (uint8_t)(i * 31 + 7);
	/* every cooked mode survives cooked -> raw -> cooked */
	static const enum cd_tmode modes[] = { CD_TM_MODE1_2048, CD_TM_MODE2_2048,
					       CD_TM_MODE2_2324, CD_TM_MODE2_2336 };
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		size_t ss = cd_tmodes[modes[m]].sector_size;
		cd_stored_to_raw(modes[m], 4321, user, raw);
		assert_true(cd_raw_to_stored(modes[m], 4321, raw, back));
		assert_memory_equal(back, user, ss);
		/* a sector from another LBA is not this one */
		assert_false(cd_raw_to_stored(modes[m], 4322, raw, back));
	}
	/* Mode 1: a flipped byte anywhere outside the user data is a loss */
	cd_stored_to_raw(CD_TM_MODE1_2048, 77, user, raw);
	for (unsigned at = 0; at < CD_RAW; at += 97) {
		if (at >= 16 && at < 2064)
			continue;
		raw[at] ^= 1;
		assert_false(cd_raw_to_stored(CD_TM_MODE1_2048, 77, raw, back));
		raw[at] ^= 1;
	}
	assert_true(cd_raw_to_stored(CD_TM_MODE1_2048, 77, raw, back));
	/* audio and raw modes keep all 2352 bytes */
	assert_true(cd_raw_to_stored(CD_TM_AUDIO, 0, raw, back));
	assert_memory_equal(back, raw, CD_RAW);
}

static void test_tmode_names(void **state)
{
	(void)state;
	for (int m = 0; m < CD_TM_COUNT; m++)
		assert_int_equal(cd_tmode_parse(cd_tmodes[m].cue), m);
	assert_int_equal(cd_tmode_parse("mode1/2352"), CD_TM_MODE1_2352);
	assert_int_equal(cd_tmode_parse("MODE1_RAW"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_name_line_and_column),
		cmocka_unit_test(test_layout_single_file),
		cmocka_unit_test(test_sessions_and_split_files),
		cmocka_unit_test(test_short_file_and_overlap),
		cmocka_unit_test(test_writer_round_trip),
		cmocka_unit_test(test_eac_pregap_in_previous_file),
		cmocka_unit_test(test_eac_writer_round_trip),
		cmocka_unit_test(test_eac_edges),
		cmocka_unit_test(test_eac_errors),
		cmocka_unit_test(test_stored_raw_forms),
		cmocka_unit_test(test_tmode_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
