/* SPDX-License-Identifier: MIT */
/*
 * cdrdao TOC files: tokenizer errors with line:col, track modes, flags,
 * generated runs and gaps, sample/byte lengths, "rest of the file" segments,
 * CD-TEXT, writer round trips, hostile input, and libcdio's test sheets
 * (run when ../shared/corpus/libcdio is present, skipped otherwise).
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

#define REST UINT32_MAX

static int parse(struct cd_disc **out, const char *text, size_t len, struct dimg_error *err)
{
	*out = cd_disc_new();
	assert_non_null(*out);
	dimg_error_clear(err);
	return cd_toc_parse(*out, text, len, "t.toc", err);
}

static struct cd_disc *parse_ok(const char *text)
{
	struct dimg_error err;
	struct cd_disc *d;
	if (parse(&d, text, strlen(text), &err)) {
		print_error("unexpected: %s\n", err.message);
		fail();
	}
	return d;
}

/* Parsing fails with code and a message starting with want. */
static void parse_fail_n(const char *text, size_t len, int code, const char *want)
{
	struct dimg_error err;
	struct cd_disc *d;
	int rc = parse(&d, text, len, &err);
	if (rc != code || strncmp(err.message, want, strlen(want))) {
		print_error("rc %d, want %d; message '%s', want '%s...'\n", rc, code, err.message,
			    want);
		fail();
	}
	assert_int_equal(err.code, code);
	cd_disc_free(d);
}

static void parse_fail(const char *text, int code, const char *want)
{
	parse_fail_n(text, strlen(text), code, want);
}

static void set_sizes(struct cd_disc *d, uint64_t size)
{
	for (int i = 0; i < d->nfiles; i++)
		d->files[i].size = size;
}

static void layout_ok(struct cd_disc *d)
{
	struct dimg_error err;
	dimg_error_clear(&err);
	if (cd_toc_layout(d, &err) || cd_disc_validate(d, &err)) {
		print_error("unexpected: %s\n", err.message);
		fail();
	}
}

static int file_index(const struct cd_disc *d, const char *name)
{
	for (int i = 0; i < d->nfiles; i++)
		if (!strcmp(d->files[i].name, name))
			return i;
	return -1;
}

static void round_trip(const struct cd_disc *d);

static const struct cd_seg *seg(const struct cd_disc *d, int track, int k)
{
	const struct cd_track *t = &d->tracks[track - 1];
	assert_true(k < t->nsegs);
	return &d->segs[t->first_seg + k];
}

/* ---- tokenizer ----------------------------------------------------------- */

static void test_tokenizer_errors(void **state)
{
	(void)state;
	parse_fail("TRACK AUDIO\nSILENCE 0:0:75\n", DIMG_EFORMAT,
		   "t.toc:2:9: bad time '0:0:75': frames must be 0..74");
	parse_fail("TRACK AUDIO\n  SILENCE 0:60:0", DIMG_EFORMAT,
		   "t.toc:2:11: bad time '0:60:0': seconds");
	parse_fail("\n  TRACK AUDIO\n FILE \"abc\nSILENCE 1:0:0\n", DIMG_EFORMAT,
		   "t.toc:3:7: unterminated string");
	parse_fail("TRACK AUDIO\nFILE \"abc", DIMG_EFORMAT, "t.toc:2:6: unterminated string");
	parse_fail("TRACK AUDIO $", DIMG_EFORMAT, "t.toc:1:13: unexpected character '$'");
	parse_fail("TRACK AUDIO\n\t\xff", DIMG_EFORMAT, "t.toc:2:2: unexpected byte 0xff");
	parse_fail("/ comment", DIMG_EFORMAT, "t.toc:1:1: unexpected character '/'");
	parse_fail("TRACK AUDIO\nFILE \"x\" # 5", DIMG_EFORMAT,
		   "t.toc:2:10: '#' must be followed by a byte offset");
	parse_fail("TRACK AUDIO\nSILENCE 12ab", DIMG_EFORMAT, "t.toc:2:9: bad number '12a");
	parse_fail("TRACK AUDIO\nSILENCE 0:0:1x", DIMG_EFORMAT, "t.toc:2:9: bad time");
	parse_fail("TRACK AUDIO\nSILENCE 123456789012345678901234567890", DIMG_EFORMAT,
		   "t.toc:2:9: number '123456789012345678901234567890' is too large");
	parse_fail("// one\nTRACK AUDIO // two\n  BOGUS 1", DIMG_EFORMAT,
		   "t.toc:3:3: expected a track statement, found 'BOGUS'");
	parse_fail("TRACK AUDIO\nSILENCE 1:0:0\nCATALOG \"1234567890123\"", DIMG_EFORMAT,
		   "t.toc:3:1: CATALOG belongs before the first TRACK");
	parse_fail("CD_DA {", DIMG_EFORMAT, "t.toc:1:7: expected a statement, found '{'");
	parse_fail("", DIMG_EFORMAT, "t.toc:1:1: no TRACK");
	parse_fail("CD_DA\n// nothing else\n", DIMG_EFORMAT, "t.toc:3:1: no TRACK");
	parse_fail("TRACK AUDIO\nSILENCE\n", DIMG_EFORMAT,
		   "t.toc:3:1: expected a length (MM:SS:FF or a number), found end of file");
	parse_fail("TRACK AUDIO\nSTART 150\n", DIMG_EFORMAT,
		   "t.toc:2:7: START wants MM:SS:FF, found the number 150");
	/* nul bytes: outside and inside strings, and a \000 escape */
	parse_fail_n("TRACK AUDIO\n\0SILENCE 1:0:0", 26, DIMG_EFORMAT, "t.toc:2:1: nul byte");
	parse_fail_n("TRACK AUDIO\nFILE \"a\0b\" 0", 24, DIMG_EFORMAT,
		     "t.toc:2:8: nul byte in a string");
	parse_fail("TRACK AUDIO\nFILE \"a\\000\" 0", DIMG_EFORMAT,
		   "t.toc:2:8: octal escape \\000 is not a byte 1..255");
	/* the name defaults when none is given */
	struct dimg_error err;
	struct cd_disc *d = cd_disc_new();
	dimg_error_clear(&err);
	assert_int_equal(cd_toc_parse(d, "x", 1, NULL, &err), DIMG_EFORMAT);
	assert_string_equal(err.message, "toc:1:1: expected CD_DA, CD_ROM, CD_ROM_XA, CD_I, "
					 "CATALOG, CD_TEXT or TRACK, found 'x'");
	cd_disc_free(d);
}

static void test_strings_and_comments(void **state)
{
	(void)state;
	/* \" is a quote, \ooo a byte, other backslashes stand for themselves
	 * (as in cdrdao: "\\" is two backslashes) */
	struct cd_disc *d = parse_ok("// header comment \"not a string\n"
				     "track audio//no space needed\n"
				     "FILE \"a\\134b\\\"c\\\\d\\9e\t\\101\" 0 0:0:1 // tail\n"
				     "FILE \"\\\"\" 0 0:0:1\n");
	assert_int_equal(d->nfiles, 2);
	assert_string_equal(d->files[0].name, "a\\b\"c\\\\d\\9e\tA");
	assert_string_equal(d->files[1].name, "\"");
	assert_int_equal(d->tracks[0].nsegs, 2);
	cd_disc_free(d);
	/* a language map entry "0:9" is a number, a colon and a number */
	d = parse_ok("CD_TEXT { LANGUAGE_MAP { 0:9 1 : EN } }\nTRACK AUDIO\nSILENCE 0:0:1\n");
	cd_disc_free(d);
}

/* ---- modes and flags ------------------------------------------------------ */

static void test_modes(void **state)
{
	static const struct {
		const char *head, *mode;
		enum cd_tmode want;
	} cases[] = {
	    {"CD_DA", "AUDIO", CD_TM_AUDIO},
	    {"CD_ROM", "MODE1", CD_TM_MODE1_2048},
	    {"CD_ROM", "MODE1_RAW", CD_TM_MODE1_2352},
	    {"CD_ROM_XA", "MODE2", CD_TM_MODE2_2336},
	    {"CD_ROM_XA", "MODE2_FORM1", CD_TM_MODE2_2048},
	    {"CD_ROM_XA", "MODE2_FORM2", CD_TM_MODE2_2324},
	    {"CD_ROM_XA", "MODE2_FORM_MIX", CD_TM_MODE2_2336},
	    {"CD_ROM_XA", "MODE2_RAW", CD_TM_MODE2_2352},
	    {"CD_DA", "AUDIO RW_RAW", CD_TM_CDG},
	    /* under CD_I the formless Mode 2 tracks are CD-i tracks */
	    {"CD_I", "MODE2", CD_TM_CDI_2336},
	    {"CD_I", "MODE2_RAW", CD_TM_CDI_2352},
	    {"CD_I", "MODE2_FORM1", CD_TM_MODE2_2048},
	    {"CD_I CD_ROM_XA", "MODE2_RAW", CD_TM_MODE2_2352},
	};
	char buf[256];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s\nTRACK %s\nZERO 0:0:10\n", cases[i].head,
			 cases[i].mode);
		struct cd_disc *d = parse_ok(buf);
		assert_int_equal(d->ntracks, 1);
		assert_int_equal(d->tracks[0].mode, cases[i].want);
		assert_int_equal(d->nsessions, 1);
		assert_int_equal(d->tracks[0].session, 1);
		assert_int_equal(d->tracks[0].number, 1);
		assert_int_equal(d->tracks[0].file, -1);
		cd_disc_free(d);
	}
	parse_fail("TRACK MODE0\nZERO 0:0:10\n", DIMG_EUNSUPPORTED,
		   "t.toc:1:7: track mode MODE0 is not supported");
	parse_fail("TRACK MODE1_FORM45\n", DIMG_EFORMAT, "t.toc:1:7: expected a track mode");
	/* sub-channel modes: 96 bytes after every sector of any mode */
	static const struct {
		const char *mode;
		enum cd_tmode want;
		uint8_t sub;
		size_t stride;
	} subs[] = {
	    {"AUDIO RW", CD_TM_AUDIO, CD_SUBRW_PACKED, 2448},
	    {"MODE1 RW_RAW", CD_TM_MODE1_2048, CD_SUBRW_RAW, 2144},
	    {"MODE1_RAW RW_RAW", CD_TM_MODE1_2352, CD_SUBRW_RAW, 2448},
	    {"MODE2_FORM2 RW", CD_TM_MODE2_2324, CD_SUBRW_PACKED, 2420},
	    {"MODE2_RAW rw_raw", CD_TM_MODE2_2352, CD_SUBRW_RAW, 2448},
	};
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(buf, sizeof(buf), "TRACK %s\nZERO 0:0:10\n", subs[i].mode);
		struct cd_disc *d = parse_ok(buf);
		assert_int_equal(d->tracks[0].mode, subs[i].want);
		assert_int_equal(d->tracks[0].sub_rw, subs[i].sub);
		assert_int_equal(cd_track_stride(&d->tracks[0]), subs[i].stride);
		assert_true(cd_disc_has_sub(d));
		cd_disc_free(d);
	}
	/* byte lengths count the whole block, sub-channel included; ZERO
	 * with its own mode counts that mode's block */
	struct cd_disc *d = parse_ok("TRACK MODE1 RW_RAW\nDATAFILE \"d.bin\" 4288\n"
				     "ZERO 2144\nZERO MODE1 4096\nZERO MODE1 RW 2144\n");
	assert_int_equal(seg(d, 1, 0)->sectors, 2);
	assert_int_equal(seg(d, 1, 1)->file, -1);
	assert_int_equal(seg(d, 1, 1)->sectors, 1 + 2 + 1);
	cd_disc_free(d);
	parse_fail("TRACK AUDIO RW\nFILE \"x\" 0\n", DIMG_EFORMAT,
		   "t.toc:2:1: FILE/AUDIOFILE cannot be used in a track with sub-channel");
	parse_fail("TRACK AUDIO RW_RAW\nFILE \"x\" 0\n", DIMG_EFORMAT,
		   "t.toc:2:1: FILE/AUDIOFILE cannot be used in a track with sub-channel");
}

static void test_flags_isrc_catalog(void **state)
{
	(void)state;
	struct cd_disc *d = parse_ok("CATALOG \"0724385356926\"\n"
				     "TRACK AUDIO\nCOPY\nPRE_EMPHASIS\nFOUR_CHANNEL_AUDIO\n"
				     "ISRC \"USEM39600078\"\nSILENCE 0:0:10\n"
				     "TRACK AUDIO\nCOPY\nNO COPY\nPRE_EMPHASIS\nNO PRE_EMPHASIS\n"
				     "FOUR_CHANNEL_AUDIO\nTWO_CHANNEL_AUDIO\nSILENCE 0:0:10\n"
				     "TRACK MODE1\nCOPY\nZERO 0:0:10\n");
	assert_string_equal(d->catalog, "0724385356926");
	assert_int_equal(d->tracks[0].flags, CD_FLAG_DCP | CD_FLAG_PRE | CD_FLAG_4CH);
	assert_string_equal(d->tracks[0].isrc, "USEM39600078");
	assert_int_equal(d->tracks[1].flags, 0);
	assert_string_equal(d->tracks[1].isrc, "");
	assert_int_equal(d->tracks[2].flags, CD_FLAG_DCP);
	cd_disc_free(d);
	parse_fail("TRACK AUDIO\nISRC \"usem39600078\"\n", DIMG_EFORMAT, "t.toc:2:6: bad ISRC");
	parse_fail("TRACK AUDIO\nISRC \"USEM3960007\"\n", DIMG_EFORMAT, "t.toc:2:6: bad ISRC");
	parse_fail("TRACK AUDIO\nISRC \"USEM3960007X\"\n", DIMG_EFORMAT, "t.toc:2:6: bad ISRC");
	parse_fail("TRACK AUDIO\nNO SILENCE 1:0:0\n", DIMG_EFORMAT,
		   "t.toc:2:4: expected COPY or PRE_EMPHASIS after NO, found 'SILENCE'");
	parse_fail("CATALOG \"123\"\n", DIMG_EFORMAT, "t.toc:1:9: bad catalog number");
	parse_fail("CATALOG 1234567890123\n", DIMG_EFORMAT,
		   "t.toc:1:9: expected the catalog number (a string of 13 digits)");
}

/* ---- data statements -------------------------------------------------------- */

static void test_generated_and_gaps(void **state)
{
	(void)state;
	struct cd_disc *d = parse_ok("TRACK AUDIO\n"
				     "PREGAP 0:2:0\nSILENCE 0:1:0\nFILE \"a.bin\" 0 1:0:0\n"
				     "INDEX 0:30:0\nINDEX 0:40:0\n"
				     "TRACK MODE1\nZERO 0:2:0\nSTART\nDATAFILE \"d.bin\" 0:10:0\n"
				     "ZERO MODE1 0:2:0\n"
				     "TRACK AUDIO\nFILE \"a.bin\" 1:0:0 0:10:0\nSTART 0:2:0\n"
				     "TRACK AUDIO\nSTART 0:0:0\nSILENCE 0:0:10\n"
				     "TRACK MODE2_FORM1\nPREGAP 0:0:5\nZERO MODE1 RW_RAW 0:0:7\n"
				     "DATAFILE \"d.bin\" 0:0:1\nEND 0:0:2\n");
	const struct cd_track *t = d->tracks;
	assert_int_equal(d->ntracks, 5);
	/* parse time: positions relative to the track begin */
	assert_int_equal(t[0].pregap_gen, 150);
	assert_int_equal(t[0].index[0], 0);
	assert_int_equal(t[0].index[1], 150);
	assert_int_equal(t[0].index[2], 150 + 2250);
	assert_int_equal(t[0].index[3], 150 + 3000);
	assert_int_equal(t[0].index[4], -1);
	assert_int_equal(t[0].nsegs, 2);
	assert_int_equal(seg(d, 1, 0)->file, -1);
	assert_int_equal(seg(d, 1, 0)->sectors, 225); /* PREGAP and SILENCE merge */
	assert_int_equal(seg(d, 1, 1)->file, file_index(d, "a.bin"));
	assert_int_equal(seg(d, 1, 1)->sectors, 4500);
	assert_int_equal(t[1].pregap_gen, 0);
	assert_int_equal(t[1].index[0], 0);
	assert_int_equal(t[1].index[1], 150);
	assert_int_equal(t[1].nsegs, 3);
	assert_int_equal(seg(d, 2, 2)->sectors, 150);
	assert_int_equal(t[2].index[1], 150);
	assert_int_equal(seg(d, 3, 0)->offset, 4500u * 2352u);
	assert_int_equal(seg(d, 3, 0)->sectors, 750);
	assert_int_equal(t[3].index[0], -1);
	assert_int_equal(t[3].index[1], 0);
	assert_int_equal(t[4].pregap_gen, 5);
	assert_int_equal(seg(d, 5, 0)->sectors, 12);
	set_sizes(d, 100u << 20);
	layout_ok(d);
	assert_int_equal(t[0].begin, 0);
	assert_int_equal(t[0].start, 150);
	assert_int_equal(t[0].index[2], 2400);
	assert_int_equal(t[0].end, 4725);
	assert_int_equal(t[1].begin, 4725);
	assert_int_equal(t[1].index[0], 4725);
	assert_int_equal(t[1].start, 4875);
	assert_int_equal(t[1].end, 5775);
	assert_int_equal(t[2].start, 5925);
	assert_int_equal(t[2].end, 6525);
	assert_int_equal(t[3].begin, 6525);
	assert_int_equal(t[3].start, 6525);
	assert_int_equal(t[3].index[0], -1);
	assert_int_equal(t[4].start, t[4].begin + 5);
	assert_int_equal(t[4].end, t[4].begin + 13);
	assert_int_equal(d->leadout, t[4].end);
	cd_disc_free(d);

	parse_fail("TRACK AUDIO\nSILENCE 0:1:0\nPREGAP 0:2:0\n", DIMG_EFORMAT,
		   "t.toc:3:1: PREGAP must come before the track's data");
	parse_fail("TRACK AUDIO\nPREGAP 0:2:0\nSTART\n", DIMG_EFORMAT,
		   "t.toc:3:1: START cannot be used with PREGAP");
	parse_fail("TRACK AUDIO\nSILENCE 1:0:0\nSTART\nSTART 0:0:1\n", DIMG_EFORMAT,
		   "t.toc:4:1: START given twice");
	parse_fail("TRACK AUDIO\nPREGAP 0:0:0\n", DIMG_EFORMAT, "t.toc:2:1: PREGAP of length 0");
	parse_fail("TRACK AUDIO\nSILENCE 0:0:0\n", DIMG_EFORMAT, "t.toc:2:9: SILENCE: length 0");
	parse_fail("TRACK MODE1\nZERO 0\n", DIMG_EFORMAT, "t.toc:2:6: ZERO: length 0");
	parse_fail("TRACK AUDIO\nSILENCE 0:1:0\nSTART 0:1:0\n", DIMG_EFORMAT,
		   "t.toc:3:1: START at or after the end of track 1 (75 sectors)");
	parse_fail("TRACK AUDIO\nSILENCE 0:1:0\nINDEX 0:1:0\n", DIMG_EFORMAT,
		   "t.toc:3:1: INDEX beyond the end of track 1");
	parse_fail("TRACK AUDIO\nSILENCE 0:1:0\nSTART 0:0:50\nINDEX 0:0:25\n", DIMG_EFORMAT,
		   "t.toc:4:1: INDEX beyond the end of track 1");
	parse_fail("TRACK AUDIO\nSILENCE 1:0:0\nINDEX 0:0:20\nINDEX 0:0:20\n", DIMG_EFORMAT,
		   "t.toc:4:1: INDEX positions must increase");
	parse_fail("TRACK AUDIO\nSILENCE 1:0:0\nINDEX 0:0:0\n", DIMG_EFORMAT,
		   "t.toc:3:1: INDEX positions must increase");
	parse_fail("TRACK AUDIO\nPREGAP 0:2:0\nTRACK AUDIO\nSILENCE 1:0:0\n", DIMG_EFORMAT,
		   "t.toc:1:1: track 1 has no data after its PREGAP");
	parse_fail("TRACK AUDIO\nCOPY\nTRACK AUDIO\nSILENCE 1:0:0\n", DIMG_EFORMAT,
		   "t.toc:1:1: track 1 has no data");
	parse_fail("TRACK AUDIO\nFIFO \"x\" 0:1:0\n", DIMG_EUNSUPPORTED,
		   "t.toc:2:1: FIFO is not supported");
	parse_fail("TRACK AUDIO\nFILE \"-\" 0\n", DIMG_EUNSUPPORTED, "t.toc:2:6: reading from");
	parse_fail("TRACK AUDIO\nFILE \"\" 0\n", DIMG_EFORMAT, "t.toc:2:6: empty file name");
	parse_fail("TRACK AUDIO\nFILE \"a.mp3\" 0\n", DIMG_EUNSUPPORTED,
		   "t.toc:2:1: compressed audio");
	parse_fail("TRACK AUDIO\nFILE \"a.wav\" #44 0\n", DIMG_EUNSUPPORTED,
		   "t.toc:2:1: SWAP and #offset are not supported with WAVE");
	parse_fail("TRACK MODE1\nFILE \"a\" SWAP 0\n", DIMG_EFORMAT,
		   "t.toc:2:10: SWAP applies to audio tracks only");
}

static void test_samples_and_bytes(void **state)
{
	(void)state;
	struct cd_disc *d = parse_ok("TRACK AUDIO\n"
				     "FILE \"a.bin\" 588 1176\n" /* samples */
				     "FILE \"a.bin\" 1 588\n"	 /* any sample start */
				     "FILE \"a.bin\" #100 0:0:1 0:0:2\n"
				     "SILENCE 5880\n"
				     "DATAFILE \"a.bin\" #7 4704\n" /* bytes even in audio */
				     "TRACK MODE1\n"
				     "DATAFILE \"d.bin\" 4096\n"
				     "FILE \"d.bin\" 2048 4096\n" /* bytes in data tracks */
				     "ZERO MODE2_FORM2 4648\n"
				     "ZERO MODE2_FORM2 RW 4840\n");
	assert_int_equal(seg(d, 1, 0)->offset, 2352);
	assert_int_equal(seg(d, 1, 0)->sectors, 2);
	assert_int_equal(seg(d, 1, 1)->offset, 4);
	assert_int_equal(seg(d, 1, 1)->sectors, 1);
	assert_int_equal(seg(d, 1, 2)->offset, 100 + 2352);
	assert_int_equal(seg(d, 1, 2)->sectors, 2);
	assert_int_equal(seg(d, 1, 3)->file, -1);
	assert_int_equal(seg(d, 1, 3)->sectors, 10);
	assert_int_equal(seg(d, 1, 4)->offset, 7);
	assert_int_equal(seg(d, 1, 4)->sectors, 2);
	assert_int_equal(seg(d, 2, 0)->sectors, 2);
	assert_int_equal(seg(d, 2, 1)->offset, 2048);
	assert_int_equal(seg(d, 2, 1)->sectors, 2);
	assert_int_equal(seg(d, 2, 2)->sectors, 4); /* 2 + 2 generated, merged */
	cd_disc_free(d);
	parse_fail("TRACK AUDIO\nFILE \"a\" 0 589\n", DIMG_EFORMAT,
		   "t.toc:2:12: FILE: 589 samples is not a whole number of sectors (588 "
		   "samples each)");
	parse_fail("TRACK AUDIO\nSILENCE 100\n", DIMG_EFORMAT,
		   "t.toc:2:9: SILENCE: 100 samples is not a whole number");
	parse_fail("TRACK MODE1\nDATAFILE \"d\" 4000\n", DIMG_EFORMAT,
		   "t.toc:2:14: DATAFILE: 4000 bytes is not a whole number of sectors (2048 "
		   "bytes each)");
	parse_fail("TRACK MODE1\nZERO 100\n", DIMG_EFORMAT, "t.toc:2:6: ZERO: 100 bytes");
}

static void test_rest_of_file(void **state)
{
	struct dimg_error err;
	(void)state;
	const char *sheet = "TRACK MODE1\nDATAFILE \"d.bin\" #4096\n"
			    "TRACK AUDIO\nFILE \"a.bin\" 0:1:0\nSTART 0:0:2\n"
			    "TRACK AUDIO\nFILE \"a.bin\" 0:0:0 0:0:0\n";
	struct cd_disc *d = parse_ok(sheet);
	int fd = file_index(d, "d.bin"), fa = file_index(d, "a.bin");
	assert_int_equal(d->nfiles, 2);
	assert_int_equal(seg(d, 1, 0)->sectors, REST);
	assert_int_equal(seg(d, 2, 0)->sectors, REST);
	assert_int_equal(seg(d, 2, 0)->offset, 75 * 2352);
	assert_int_equal(seg(d, 3, 0)->sectors, REST);
	d->files[fd].size = 4096 + 2048 * 10;
	d->files[fa].size = 2352 * 80;
	layout_ok(d);
	assert_int_equal(seg(d, 1, 0)->sectors, 10);
	assert_int_equal(seg(d, 2, 0)->sectors, 5);
	assert_int_equal(seg(d, 3, 0)->sectors, 80);
	assert_int_equal(d->tracks[1].begin, 10);
	assert_int_equal(d->tracks[1].start, 12);
	assert_int_equal(d->leadout, 95);
	/* a second layout changes nothing */
	assert_int_equal(cd_toc_layout(d, &err), 0);
	assert_int_equal(d->leadout, 95);
	cd_disc_free(d);

	/* not whole sectors */
	d = parse_ok(sheet);
	set_sizes(d, 4096 + 2048 * 10 + 100);
	dimg_error_clear(&err);
	assert_int_equal(cd_toc_layout(d, &err), DIMG_EFORMAT);
	assert_string_equal(err.message, "track 1: the 20580 bytes of \"d.bin\" from byte 4096 "
					 "on are not whole 2048-byte sectors");
	cd_disc_free(d);
	/* offset beyond the file */
	d = parse_ok(sheet);
	set_sizes(d, 4096);
	dimg_error_clear(&err);
	assert_int_equal(cd_toc_layout(d, &err), DIMG_EFORMAT);
	assert_string_equal(err.message, "track 1: \"d.bin\" has 4096 bytes, nothing from byte "
					 "4096 on");
	cd_disc_free(d);
	/* START beyond a track whose length came from the file */
	d = parse_ok(sheet);
	d->files[0].size = 4096 + 2048;
	d->files[1].size = 2352 * 76;
	dimg_error_clear(&err);
	assert_int_equal(cd_toc_layout(d, &err), DIMG_EFORMAT);
	assert_string_equal(err.message, "track 2: START, INDEX 01 lies beyond the track end "
					 "(1 sectors)");
	cd_disc_free(d);
	/* an explicit length longer than the file */
	d = parse_ok("TRACK MODE1\nDATAFILE \"d.bin\" #10 0:0:10\n");
	set_sizes(d, 2048 * 5);
	dimg_error_clear(&err);
	assert_int_equal(cd_toc_layout(d, &err), DIMG_ERANGE);
	assert_string_equal(err.message, "track 1: \"d.bin\" has 10240 bytes, the track reads "
					 "bytes 10 to 20490");
	cd_disc_free(d);

	/* runs that meet once the file size is known merge as if written out */
	d = parse_ok("TRACK MODE1\nDATAFILE \"d.bin\" 0:0:3\nFILE \"d.bin\" 0:0:3\n"
		     "ZERO 0:0:1\nTRACK MODE1\nZERO 0:0:1\n");
	assert_int_equal(d->tracks[0].nsegs, 3);
	set_sizes(d, 2048 * 10);
	layout_ok(d);
	assert_int_equal(d->nsegs, 3);
	assert_int_equal(d->tracks[0].nsegs, 2);
	assert_int_equal(seg(d, 1, 0)->sectors, 10);
	assert_int_equal(d->tracks[1].first_seg, 2);
	assert_int_equal(seg(d, 2, 0)->file, -1);
	round_trip(d);
	cd_disc_free(d);

	/* the composed track of the cdrdao manual: the pregap comes from a
	 * file whose length only the layout knows */
	d = parse_ok("TRACK AUDIO\nFILE \"pre.wav\" 0\nSTART\nFILE \"t.bin\" 0 0:1:0\n"
		     "SILENCE 0:0:5\nFILE \"u.bin\" 0\nINDEX 0:0:30\nINDEX 0:1:4\n");
	assert_true(d->tracks[0].index[1] < -1);
	assert_int_equal(d->tracks[0].index[0], 0);
	d->files[file_index(d, "pre.wav")].size = 2352 * 100;
	d->files[file_index(d, "t.bin")].size = 2352 * 75;
	d->files[file_index(d, "u.bin")].size = 2352 * 3;
	assert_int_equal(d->files[file_index(d, "pre.wav")].type, CD_FILE_WAVE);
	layout_ok(d);
	assert_int_equal(d->tracks[0].index[0], 0);
	assert_int_equal(d->tracks[0].start, 100);
	assert_int_equal(d->tracks[0].index[2], 130);
	assert_int_equal(d->tracks[0].index[3], 179);
	assert_int_equal(d->tracks[0].end, 183);
	cd_disc_free(d);
}

static void test_file_types(void **state)
{
	(void)state;
	/* cdrdao's raw audio is big-endian unless SWAP; data tracks are raw;
	 * a raw file first read by a data track turns big-endian when audio
	 * reads it too (only audio sectors are swapped) */
	struct cd_disc *d = parse_ok("TRACK MODE1\nDATAFILE \"img.bin\" 0:0:10\n"
				     "TRACK AUDIO\nDATAFILE \"img.bin\" #20480 0:0:10\n"
				     "TRACK AUDIO\nFILE \"le.bin\" SWAP 0\n"
				     "TRACK MODE1\nDATAFILE \"le.bin\" 0:0:1\n"
				     "TRACK AUDIO\nFILE \"le.bin\" 0\n"
				     "TRACK AUDIO\nAUDIOFILE \"x.WAV\" 0:0:1 0:0:1\n"
				     "TRACK MODE1\nDATAFILE \"x.WAV\" 0:0:1\n"
				     "TRACK AUDIO RW_RAW\nDATAFILE \"cdg.bin\" 0:0:1\n");
	assert_int_equal(d->nfiles, 6);
	assert_string_equal(d->files[0].name, "img.bin");
	assert_int_equal(d->files[0].type, CD_FILE_MOTOROLA);
	assert_string_equal(d->files[1].name, "le.bin");
	assert_int_equal(d->files[1].type, CD_FILE_BINARY);
	assert_int_equal(seg(d, 4, 0)->file, 1);
	assert_string_equal(d->files[2].name, "le.bin");
	assert_int_equal(d->files[2].type, CD_FILE_MOTOROLA);
	assert_int_equal(d->files[3].type, CD_FILE_WAVE);
	assert_string_equal(d->files[4].name, "x.WAV");
	assert_int_equal(d->files[4].type, CD_FILE_BINARY);
	assert_int_equal(d->files[5].type, CD_FILE_BINARY);
	assert_int_equal(seg(d, 6, 0)->offset, 2352);
	/* missing files are reported with the line that names them */
	assert_string_equal(d->sheet, "t.toc");
	assert_int_equal(d->files[0].line, 2);
	assert_int_equal(d->files[2].line, 10);
	cd_disc_free(d);
}

/* ---- CD-TEXT ----------------------------------------------------------------- */

static void test_cdtext(void **state)
{
	(void)state;
	struct cd_disc *d =
	    parse_ok("CD_DA\n"
		     "CD_TEXT {\n"
		     "  LANGUAGE_MAP { 0 : EN 1 : 7 }\n"
		     "  LANGUAGE 0 {\n"
		     "    TITLE \"CD Title\" PERFORMER \"Performer\" DISC_ID \"XY12345\"\n"
		     "    UPC_EAN \"\" ARRANGER \"\" GENRE { 0, 1, 72 } SONGWRITER \"S\"\n"
		     "    COMPOSER \"C\" MESSAGE \"M\\042\" TOC_INFO1 { } SIZE_INFO { 1, 2 }\n"
		     "  }\n"
		     "  LANGUAGE 1 { TITLE \"Titel\" GENRE \"Pop\" }\n"
		     "}\n"
		     "TRACK AUDIO\n"
		     "CD_TEXT { LANGUAGE 0 { TITLE \"Track Title\" ISRC \"US-XX1-98-01234\"\n"
		     "  GENRE \"dropped for tracks\" } LANGUAGE 1 { TITLE \"Spur\" } }\n"
		     "SILENCE 1:0:0\n"
		     "TRACK AUDIO\nSILENCE 1:0:0\n"
		     "CD_TEXT { LANGUAGE 0 { GENRE { 1 } UPC_EAN \"x\" } }\n");
	assert_string_equal(d->cdtext[0].text[0][CDT_TITLE], "CD Title");
	assert_string_equal(d->cdtext[0].text[0][CDT_PERFORMER], "Performer");
	assert_string_equal(d->cdtext[0].text[0][CDT_DISC_ID], "XY12345");
	assert_string_equal(d->cdtext[0].text[0][CDT_SONGWRITER], "S");
	assert_string_equal(d->cdtext[0].text[0][CDT_COMPOSER], "C");
	assert_string_equal(d->cdtext[0].text[0][CDT_MESSAGE], "M\"");
	assert_null(d->cdtext[0].text[0][CDT_UPC_ISRC]); /* empty strings are absent */
	assert_null(d->cdtext[0].text[0][CDT_ARRANGER]);
	/* binary genre: code 0x0001, then its text */
	assert_string_equal(d->cdtext[0].text[0][CDT_GENRE], "H");
	assert_true(d->cdtext[0].has_genre_code);
	assert_int_equal(d->cdtext[0].genre_code, 1);
	assert_string_equal(d->cdtext[0].text[1][CDT_TITLE], "Track Title");
	assert_string_equal(d->cdtext[0].text[1][CDT_UPC_ISRC], "US-XX1-98-01234");
	assert_null(d->cdtext[0].text[1][CDT_GENRE]);
	assert_string_equal(d->cdtext[0].text[2][CDT_UPC_ISRC], "x");
	/* language 1 (Danish, code 7) is kept too */
	assert_int_equal(d->cdtext[0].language, CD_LANG_ENGLISH);
	assert_int_equal(d->cdtext[1].language, 7);
	assert_string_equal(d->cdtext[1].text[0][CDT_TITLE], "Titel");
	assert_string_equal(d->cdtext[1].text[0][CDT_GENRE], "Pop");
	assert_false(d->cdtext[1].has_genre_code);
	assert_string_equal(d->cdtext[1].text[1][CDT_TITLE], "Spur");
	assert_null(d->cdtext[1].text[2][CDT_TITLE]);
	cd_disc_free(d);

	parse_fail("CD_TEXT { LANGUAGE 8 { } }", DIMG_EFORMAT,
		   "t.toc:1:20: language number 8 is not 0..7");
	parse_fail("CD_TEXT { LANGUAGE 0 { GENRE { 1, 256 } } }", DIMG_EFORMAT,
		   "t.toc:1:35: binary CD-TEXT data: 256 is not 0..255");
	parse_fail("CD_TEXT { LANGUAGE 0 { GENRE { 1 2 } } }", DIMG_EFORMAT,
		   "t.toc:1:34: expected ',' or '}', found the number 2");
	parse_fail("CD_TEXT { LANGUAGE 0 { NAME \"x\" } }", DIMG_EFORMAT,
		   "t.toc:1:24: expected a CD-TEXT item (TITLE, PERFORMER, ...) or '}', found "
		   "'NAME'");
	parse_fail("CD_TEXT { LANGUAGE 0 { TITLE 5 } }", DIMG_EFORMAT,
		   "t.toc:1:30: expected a string or {binary data}, found the number 5");
	parse_fail("CD_TEXT { LANGUAGE_MAP { 8 : EN } }", DIMG_EFORMAT,
		   "t.toc:1:26: language number 8 is not 0..7");
	parse_fail("CD_TEXT { LANGUAGE_MAP { 0 : 300 } }", DIMG_EFORMAT,
		   "t.toc:1:30: language code 300 is not 0..255");
	parse_fail("TRACK AUDIO\nCD_TEXT { LANGUAGE_MAP { 0 : EN } }", DIMG_EFORMAT,
		   "t.toc:2:11: LANGUAGE_MAP belongs in the disc's CD_TEXT block");
	parse_fail("CD_TEXT { LANGUAGE 0 { TITLE \"x\" }\nTRACK AUDIO", DIMG_EFORMAT,
		   "t.toc:2:1: expected LANGUAGE or '}' in CD_TEXT, found 'TRACK'");
	parse_fail("CD_TEXT { LANGUAGE 0 { TITLE \"x\"", DIMG_EFORMAT,
		   "t.toc:1:33: expected a CD-TEXT item (TITLE, PERFORMER, ...) or '}', found "
		   "end of file");
}

static void test_cdtext_encodings(void **state)
{
	(void)state;
	struct cd_disc *d = parse_ok(
	    "CD_TEXT { LANGUAGE_MAP { 0 : 105 3 : EN }\n"
	    "  LANGUAGE 0 { ENCODING_MS_JIS TITLE \"\223\372\226\173\" PERFORMER \"日本\"\n"
	    "    MESSAGE { 147, 250, 0, 0 } DISC_ID \"\351\" }\n"
	    "  LANGUAGE 3 { ENCODING_MANDARIN TITLE \"\260\241\" } }\n"
	    "TRACK AUDIO\nCD_TEXT { LANGUAGE 3 { ENCODING_MANDARIN PERFORMER \"ab\" } }\n"
	    "SILENCE 0:2:0\n");
	const struct cd_text_block *k = &d->cdtext[0];
	assert_int_equal(k->charset, CD_CS_MSJIS);
	assert_int_equal(k->language, 0x69);
	assert_false(k->raw);
	assert_string_equal(k->text[0][CDT_TITLE], "日本");	/* bytes in MS-JIS */
	assert_string_equal(k->text[0][CDT_PERFORMER], "日本"); /* UTF-8 */
	assert_string_equal(k->text[0][CDT_MESSAGE], "日");
	assert_string_equal(k->text[0][CDT_DISC_ID], "é"); /* single-byte in every block */
	k = &d->cdtext[3];
	assert_int_equal(k->charset, CD_CS_MANDARIN);
	assert_int_equal(k->language, CD_LANG_ENGLISH);
	assert_true(k->raw);
	assert_string_equal(k->text[0][CDT_TITLE], "\xb0\xa1");
	assert_string_equal(k->text[1][CDT_PERFORMER], "ab");
	assert_false(cd_text_block_used(d, 1));
	cd_disc_free(d);

	parse_fail("CD_TEXT { LANGUAGE 0 { TITLE \"日本\" } }", DIMG_EUNSUPPORTED,
		   "t.toc:1:30: CD-TEXT block 0 TITLE of the disc: U+65E5 is not in ISO-8859-1");
	parse_fail("CD_TEXT { LANGUAGE 1 { ENCODING_KOREAN TITLE \"가\" } }", DIMG_EUNSUPPORTED,
		   "t.toc:1:46: language 1 is in character set 0x81, which dimg keeps as bytes");
	parse_fail("CD_TEXT { LANGUAGE 0 { ENCODING_MS_JIS TITLE \"\223\" } }", DIMG_EFORMAT,
		   "t.toc:1:46: TITLE text of language 0 is not valid MS-JIS");
	parse_fail("CD_TEXT { LANGUAGE 0 { TITLE \"x\" } LANGUAGE 0 { ENCODING_MS_JIS } }",
		   DIMG_EFORMAT,
		   "t.toc:1:49: ENCODING_MS_JIS: give the encoding of language 0 in the disc's "
		   "CD_TEXT block, before its text");
	parse_fail("CD_TEXT { LANGUAGE 0 { ENCODING_MS_JIS } }\nTRACK AUDIO\n"
		   "CD_TEXT { LANGUAGE 0 { ENCODING_ISO_8859_1 } }",
		   DIMG_EFORMAT,
		   "t.toc:3:24: ENCODING_ISO_8859_1: language 0 already has another encoding");
}

/* ---- writer ----------------------------------------------------------------- */

static void assert_same_disc(const struct cd_disc *a, const struct cd_disc *b)
{
	assert_int_equal(a->ntracks, b->ntracks);
	assert_int_equal(a->nsessions, b->nsessions);
	assert_int_equal(a->leadout, b->leadout);
	assert_string_equal(a->catalog, b->catalog);
	for (int i = 0; i < a->ntracks; i++) {
		const struct cd_track *s = &a->tracks[i], *t = &b->tracks[i];
		assert_int_equal(s->number, t->number);
		assert_int_equal(s->session, t->session);
		assert_int_equal(s->mode, t->mode);
		assert_int_equal(s->flags, t->flags);
		assert_int_equal(s->begin, t->begin);
		assert_int_equal(s->start, t->start);
		assert_int_equal(s->end, t->end);
		assert_int_equal(s->pregap_gen, t->pregap_gen);
		assert_memory_equal(s->index, t->index, sizeof(s->index));
		assert_string_equal(s->isrc, t->isrc);
		assert_int_equal(s->nsegs, t->nsegs);
		for (int k = 0; k < s->nsegs; k++) {
			const struct cd_seg *x = &a->segs[s->first_seg + k];
			const struct cd_seg *y = &b->segs[t->first_seg + k];
			assert_int_equal(x->offset, y->offset);
			assert_int_equal(x->sectors, y->sectors);
			assert_int_equal(x->file < 0, y->file < 0);
			if (x->file >= 0) {
				assert_string_equal(a->files[x->file].name, b->files[y->file].name);
				assert_int_equal(a->files[x->file].type, b->files[y->file].type);
			}
		}
	}
	for (int n = 0; n < CD_TEXT_BLOCKS; n++) {
		const struct cd_text_block *p = &a->cdtext[n], *q = &b->cdtext[n];
		assert_int_equal(cd_text_block_used(a, n), cd_text_block_used(b, n));
		if (!cd_text_block_used(a, n))
			continue;
		assert_int_equal(p->language, q->language);
		assert_int_equal(p->charset == CD_CS_ASCII ? CD_CS_LATIN1 : p->charset, q->charset);
		assert_int_equal(p->raw, q->raw);
		assert_int_equal(p->has_genre_code, q->has_genre_code);
		assert_int_equal(p->genre_code, q->genre_code);
		for (int k = 0; k <= a->ntracks; k++)
			for (int f = 0; f < CDT_COUNT; f++) {
				if (!p->text[k][f] || !q->text[k][f])
					assert_ptr_equal(p->text[k][f], q->text[k][f]);
				else
					assert_string_equal(p->text[k][f], q->text[k][f]);
			}
	}
}

static char *write_ok(const struct cd_disc *d)
{
	struct dimg_error err;
	struct cd_text_out o = {0};
	dimg_error_clear(&err);
	if (cd_toc_write(d, &o, &err)) {
		print_error("unexpected: %s\n", err.message);
		fail();
	}
	assert_non_null(o.buf);
	return o.buf;
}

/* write -> parse -> layout gives the same disc, and writing that again
 * gives the same text */
static void round_trip(const struct cd_disc *d)
{
	char *text = write_ok(d), *again;
	struct cd_disc *e = parse_ok(text);
	for (int i = 0; i < e->nfiles; i++) {
		int k = file_index(d, e->files[i].name);
		assert_true(k >= 0);
		e->files[i].size = d->files[k].size;
	}
	layout_ok(e);
	assert_same_disc(d, e);
	again = write_ok(e);
	assert_string_equal(text, again);
	free(text);
	free(again);
	cd_disc_free(e);
}

static const char *const rt_sheets[] = {
    "CD_DA\nCATALOG \"0724385356926\"\n"
    "CD_TEXT { LANGUAGE_MAP { 0 : EN } LANGUAGE 0 { TITLE \"Album \\\"x\\\" \\134 \\001\"\n"
    "  PERFORMER \"P\" DISC_ID \"XY1\" GENRE \"Rock\" UPC_EAN \"123\"\n"
    "  MESSAGE \"\\303\\251\" } }\n"
    "TRACK AUDIO\nCOPY\nPRE_EMPHASIS\nISRC \"USEM39600078\"\n"
    "CD_TEXT { LANGUAGE 0 { TITLE \"One\" ISRC \"US-EM3-96-00078\" } }\n"
    "PREGAP 0:2:0\nSILENCE 0:0:3\nFILE \"a.bin\" 0 1:0:0\nFILE \"a.bin\" #3 0 0:0:5\n"
    "FILE \"a.bin\" 1176 0:0:5\nINDEX 0:10:0\nINDEX 0:20:0\n"
    "TRACK AUDIO\nFOUR_CHANNEL_AUDIO\nFILE \"a.bin\" SWAP 0:0:1 0:2:0\nSTART 0:0:30\n"
    "TRACK AUDIO\nFILE \"s.wav\" 0 0:1:0\nSILENCE 0:0:10\nINDEX 0:0:40\n",
    "CD_ROM\nTRACK MODE1\nDATAFILE \"d.bin\"\nZERO 0:2:0\n"
    "TRACK AUDIO\nSILENCE 0:2:0\nSTART\nFILE \"d.bin\" #123 0 0:3:0\n",
    "CD_ROM_XA\nTRACK MODE2_RAW\nDATAFILE \"x.bin\" 0:0:30\n"
    "TRACK MODE2_FORM1\nPREGAP 0:2:0\nDATAFILE \"x.bin\" #70560 0:0:5\n"
    "TRACK MODE2_FORM2\nDATAFILE \"y.bin\" 0:0:5\n"
    "TRACK MODE2_FORM_MIX\nZERO 0:0:5\nSTART\nDATAFILE \"y.bin\" #11620\n"
    "TRACK MODE1_RAW\nDATAFILE \"z.bin\" 0:0:5\n"
    "TRACK AUDIO RW_RAW\nDATAFILE \"g.bin\" 0:0:5\nZERO 0:0:5\n",
    "CD_I\nTRACK MODE2_RAW\nDATAFILE \"i.bin\" 0:0:30\nTRACK MODE2\nDATAFILE \"j.bin\" 0:0:2\n",
    /* every language: map, encodings (MS-JIS as UTF-8 and as bytes,
     * Korean as bytes), binary GENRE, CLOSED, a block with track text only */
    "CD_DA\nCD_TEXT { LANGUAGE_MAP { 0 : 105 1 : EN 2 : 101 5 : 8 }\n"
    "  LANGUAGE 0 { ENCODING_MS_JIS TITLE \"日本\" PERFORMER \"\223\372\"\n"
    "    GENRE { 0, 14, 74, 97, 122, 122, 0 } CLOSED \"memo\" }\n"
    "  LANGUAGE 1 { TITLE \"Caf\351\" GENRE \"Pop\" }\n"
    "  LANGUAGE 2 { ENCODING_KOREAN TITLE \"\260\241\" DISC_ID \"K\" } }\n"
    "TRACK AUDIO\nCD_TEXT { LANGUAGE 0 { TITLE \"ｶﾀｶﾅ\" } LANGUAGE 2 { TITLE { 176, 162, 0 } }\n"
    "  LANGUAGE 5 { TITLE \"Eins\" } }\nSILENCE 0:2:0\n",
};

static void test_round_trip_sheets(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rt_sheets) / sizeof(rt_sheets[0]); i++) {
		struct cd_disc *d = parse_ok(rt_sheets[i]);
		/* whole sectors of 2048, 2336 and 2352 bytes */
		set_sizes(d, 2048ull * 3 * 49 * 73);
		/* y.bin is read to its end from byte 11620 in MODE2 (2336) */
		int y = file_index(d, "y.bin");
		if (y >= 0)
			d->files[y].size = 11620 + 2336 * 7;
		layout_ok(d);
		round_trip(d);
		cd_disc_free(d);
	}
}

/* A model another format made: little-endian audio in the same file as a
 * data track, a cue-style PREGAP, a postgap, a pregap stored in the file. */
static void test_round_trip_model(void **state)
{
	struct dimg_error err;
	struct cd_disc *d = cd_disc_new();
	struct cd_track *t;
	int f;
	(void)state;
	dimg_error_clear(&err);
	f = cd_disc_add_file(d, "img.bin", CD_FILE_BINARY, &err);
	assert_int_equal(f, 0);
	d->nsessions = 1;
	t = &d->tracks[d->ntracks++];
	memset(t, 0, sizeof(*t));
	for (int k = 0; k <= CD_MAX_INDEX; k++)
		t->index[k] = -1;
	t->number = 1;
	t->session = 1;
	t->mode = CD_TM_MODE1_2352;
	t->flags = CD_FLAG_DCP;
	assert_int_equal(cd_disc_add_seg(d, t, f, 0, 1000, &err), 0);
	assert_int_equal(cd_disc_add_seg(d, t, -1, 0, 150, &err), 0); /* postgap */
	t->postgap = 150;
	t->begin = 0;
	t->start = t->index[1] = 0;
	t->end = 1150;
	t = &d->tracks[d->ntracks++];
	memset(t, 0, sizeof(*t));
	for (int k = 0; k <= CD_MAX_INDEX; k++)
		t->index[k] = -1;
	t->number = 2;
	t->session = 1;
	t->mode = CD_TM_AUDIO;
	t->pregap_gen = 150;
	assert_int_equal(cd_disc_add_seg(d, t, -1, 0, 150, &err), 0);
	assert_int_equal(cd_disc_add_seg(d, t, f, 1000 * 2352, 3000, &err), 0);
	t->begin = 1150;
	t->index[0] = 1150;
	t->start = t->index[1] = 1300;
	t->index[2] = 1400;
	t->index[3] = 1500;
	t->end = 4300;
	t = &d->tracks[d->ntracks++];
	memset(t, 0, sizeof(*t));
	for (int k = 0; k <= CD_MAX_INDEX; k++)
		t->index[k] = -1;
	t->number = 3;
	t->session = 1;
	t->mode = CD_TM_AUDIO;
	assert_int_equal(cd_disc_add_seg(d, t, f, 4000 * 2352, 500, &err), 0);
	t->begin = 4300;
	t->index[0] = 4300;
	t->start = t->index[1] = 4400; /* pregap stored in the file */
	t->end = 4800;
	d->leadout = 4800;
	strcpy(d->catalog, "1234567890123");
	assert_int_equal(cd_disc_set_text(d, 0, CDT_TITLE, "T", &err), 0);
	assert_int_equal(cd_disc_set_text(d, 3, CDT_PERFORMER, "P", &err), 0);
	d->files[0].size = 4500 * 2352;
	assert_int_equal(cd_disc_validate(d, &err), 0);
	char *text = write_ok(d);
	assert_non_null(strstr(text, "\nDATAFILE \"img.bin\" 00:13:25 // length in bytes: "
				     "2352000\nZERO 00:02:00\n"));
	assert_non_null(strstr(text, "\nPREGAP 00:02:00\nFILE \"img.bin\" SWAP 00:13:25 "
				     "00:40:00\nINDEX 00:01:25\nINDEX 00:02:50\n"));
	assert_non_null(strstr(text, "\nFILE \"img.bin\" SWAP 00:53:25 00:06:50\nSTART "
				     "00:01:25\n"));
	assert_non_null(strstr(text, "PREGAP 00:02:00"));
	assert_non_null(strstr(text, "START 00:01:25"));
	free(text);
	round_trip(d);
	cd_disc_free(d);

	/* what a TOC cannot hold is refused */
	d = parse_ok("TRACK AUDIO\nSILENCE 0:0:10\n");
	layout_ok(d);
	d->nsessions = 2;
	struct cd_text_out o = {0};
	dimg_error_clear(&err);
	assert_int_equal(cd_toc_write(d, &o, &err), DIMG_EUNSUPPORTED);
	d->nsessions = 1;
	d->tracks[0].begin = 5;
	dimg_error_clear(&err);
	assert_int_equal(cd_toc_write(d, &o, &err), DIMG_EUNSUPPORTED);
	free(o.buf);
	cd_disc_free(d);
}

/* ---- hostile input ---------------------------------------------------------- */

static char *repeat(const char *head, const char *unit, int n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * (size_t)n + tl + 1), *p = s;
	assert_non_null(s);
	memcpy(p, head, hl);
	p += hl;
	for (int i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

static void test_hostile(void **state)
{
	struct dimg_error err;
	struct cd_disc *d;
	char *s;
	(void)state;
	parse_fail("TRACK AUDIO\nSILENCE 100001:00:00\n", DIMG_EFORMAT,
		   "t.toc:2:9: time '100001:00:00' is too large");
	parse_fail("TRACK AUDIO\nSILENCE 99999999999999999999:00:00\n", DIMG_EFORMAT,
		   "t.toc:2:9: time");
	parse_fail("TRACK AUDIO\nSILENCE 100000:00:00\n", DIMG_ELIMIT,
		   "t.toc:2:9: SILENCE: length beyond 99:59:74");
	parse_fail("TRACK AUDIO\nSILENCE 99:00:00\nSILENCE 99:00:00\n", DIMG_ELIMIT,
		   "t.toc:3:1: track 1 is longer than 99:59:74");
	parse_fail("TRACK AUDIO\nFILE \"x\" #1099511627776 1:0:0\n", DIMG_ELIMIT,
		   "t.toc:2:25: start position beyond");
	parse_fail("TRACK AUDIO\nFILE \"x\" #1099511627777 0\n", DIMG_ELIMIT,
		   "t.toc:2:10: byte offset beyond");

	/* 99 tracks are fine, the 100th is refused at its TRACK */
	s = repeat("", "TRACK AUDIO\nSILENCE 0:0:1\n", 99, "");
	d = parse_ok(s);
	assert_int_equal(d->ntracks, 99);
	set_sizes(d, 0);
	layout_ok(d);
	assert_int_equal(d->leadout, 99);
	cd_disc_free(d);
	free(s);
	s = repeat("", "TRACK AUDIO\nSILENCE 0:0:1\n", 100, "");
	parse_fail(s, DIMG_ELIMIT, "t.toc:199:1: more than 99 tracks");
	free(s);
	/* a disc longer than 100 minutes only shows in the layout */
	s = repeat("", "TRACK AUDIO\nSILENCE 90:0:0\n", 2, "");
	d = parse_ok(s);
	dimg_error_clear(&err);
	assert_int_equal(cd_toc_layout(d, &err), DIMG_ELIMIT);
	assert_string_equal(err.message, "track 2: the disc would be longer than 99:59:74");
	cd_disc_free(d);
	free(s);

	/* deep and unbalanced braces stop at the first misplaced one */
	s = repeat("CD_TEXT { LANGUAGE 0 ", "{ ", 100000, "");
	parse_fail(s, DIMG_EFORMAT, "t.toc:1:24: expected a CD-TEXT item");
	free(s);
	parse_fail("}}}}", DIMG_EFORMAT, "t.toc:1:1: expected a statement, found '}'");
	parse_fail("TRACK AUDIO\n{", DIMG_EFORMAT,
		   "t.toc:2:1: expected a track statement, found '{'");
	s = repeat("CD_TEXT { LANGUAGE 0 { GENRE { ", "1,", 4000, "1 } } }");
	parse_fail(s, DIMG_ELIMIT, "t.toc:1:");
	free(s);

	/* limits: string length, segments, indexes, files */
	s = repeat("TRACK AUDIO\nFILE \"", "x", 4097, "\" 0\n");
	parse_fail(s, DIMG_ELIMIT, "t.toc:2:6: string longer than 4096 bytes");
	free(s);
	s = repeat("TRACK AUDIO\n", "FILE \"a\" 0 0:0:1\n", 5000, "");
	parse_fail(s, DIMG_ELIMIT, "t.toc:4098:1: more than 4096 data segments");
	free(s);
	s = repeat("TRACK AUDIO\nSILENCE 10:0:0\n", "INDEX 0:0:1\n", 200, "");
	parse_fail(s, DIMG_EFORMAT, "t.toc:4:1: INDEX positions must increase");
	free(s);
	{
		char *big = malloc(200 * 32 + 64), *p = big;
		assert_non_null(big);
		p += sprintf(p, "TRACK AUDIO\nSILENCE 10:0:0\n");
		for (int i = 1; i <= 99; i++)
			p += sprintf(p, "INDEX 0:0:%d\n", i < 75 ? i : 74);
		parse_fail(big, DIMG_EFORMAT, "t.toc:77:1: INDEX positions must increase");
		p = big + sprintf(big, "TRACK AUDIO\nSILENCE 10:0:0\n");
		for (int i = 1; i <= 99; i++)
			p += sprintf(p, "INDEX 0:%d:%d\n", i / 75, i % 75);
		parse_fail(big, DIMG_ELIMIT, "t.toc:101:1: more than 98 INDEX statements");
		p = big + sprintf(big, "TRACK MODE1\n");
		for (int i = 0; i < 300; i++)
			p += sprintf(p, "DATAFILE \"f%d\"\n", i);
		parse_fail(big, DIMG_ELIMIT, "t.toc:258:1: more than 256 files");
		free(big);
	}
	/* oversized input is refused before it is read */
	{
		size_t n = (16u << 20) + 1;
		char *big = malloc(n);
		assert_non_null(big);
		memset(big, ' ', n);
		parse_fail_n(big, n, DIMG_ELIMIT, "t.toc: TOC file larger than");
		free(big);
	}
	/* every prefix of a rich sheet fails or parses cleanly */
	const char *rich = rt_sheets[0];
	size_t len = strlen(rich);
	for (size_t n = 0; n <= len; n++) {
		d = cd_disc_new();
		dimg_error_clear(&err);
		if (cd_toc_parse(d, rich, n, "t.toc", &err))
			assert_non_null(strstr(err.message, "t.toc:"));
		cd_disc_free(d);
	}
}

/* ---- libcdio's sheets ---------------------------------------------------------- */

static const char *corpus_dir(void)
{
	static const char *const dirs[] = {"../shared/corpus/libcdio",
					   "../../shared/corpus/libcdio"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/cdda.toc.xz", dirs[i]);
		if (access(p, R_OK) == 0)
			return dirs[i];
	}
	return NULL;
}

static char *read_xz(const char *dir, const char *name, size_t *len)
{
	char cmd[512];
	char *buf = malloc(1 << 20);
	FILE *f;
	snprintf(cmd, sizeof(cmd), "xz -dc '%s/%s.xz'", dir, name);
	assert_non_null(buf);
	f = popen(cmd, "r");
	assert_non_null(f);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	assert_int_equal(pclose(f), 0);
	buf[*len] = '\0';
	return buf;
}

/* Sizes every file so that each explicit run fits and each rest-of-file run
 * gets whole sectors and room (10000 sectors) for its INDEX positions. */
static void fake_sizes(struct cd_disc *d)
{
	for (int i = 0; i < d->nfiles; i++) {
		uint64_t need = 0, rest_off = 0, rest_ss = 0;
		bool rest = false;
		for (int k = 0; k < d->ntracks; k++) {
			const struct cd_track *t = &d->tracks[k];
			uint64_t ss = cd_tmodes[t->mode].sector_size;
			for (int s = 0; s < t->nsegs; s++) {
				const struct cd_seg *g = &d->segs[t->first_seg + s];
				if (g->file != i)
					continue;
				if (g->sectors == REST && !rest) {
					rest = true;
					rest_off = g->offset;
					rest_ss = ss;
				} else if (g->sectors != REST) {
					uint64_t end = g->offset + g->sectors * ss;
					need = end > need ? end : need;
				}
			}
		}
		if (rest) {
			uint64_t k = 0;
			if (need > rest_off)
				k = (need - rest_off + rest_ss - 1) / rest_ss;
			need = rest_off + (k + 10000) * rest_ss;
		}
		d->files[i].size = need;
	}
}

static void test_libcdio_corpus(void **state)
{
	static const char *const good[] = {
	    "cdda.toc",	 "isofs-m1.toc", "cdtext.toc", "data1.toc",    "data2.toc",    "data3.toc",
	    "data4.toc", "data5.toc",	 "data6.toc",  "data7.toc",    "t1.toc",       "t2.toc",
	    "t3.toc",	 "t4.toc",	 "t5.toc",     "t6.toc",       "t7.toc",       "t8.toc",
	    "t9.toc",	 "t10.toc",	 "vcd2.toc",   "vcd_demo.toc", "bad-file.toc",
	};
	static const struct {
		const char *name;
		int line;
	} bad[] = {
	    {"bad-cat1.toc", 6},  /* CATALOG without its string: TRACK found */
	    {"bad-cat2.toc", 4},  /* unquoted, 9 digits */
	    {"bad-cat3.toc", 4},  /* a letter */
	    {"bad-mode1.toc", 4}, /* MODE1_FORM45 */
	    {"bad-msf-1.toc", 6}, /* frame 75 */
	    {"bad-msf-2.toc", 6}, /* second 60 */
	    {"bad-msf-3.toc", 6}, /* xx:yy:zz */
	};
	const char *dir = corpus_dir();
	char path[512], want[64];
	int parsed = 0;
	(void)state;
	if (!dir)
		skip();
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct dimg_error err;
		struct cd_disc *d;
		size_t len;
		char *text;
		snprintf(path, sizeof(path), "%s/%s.xz", dir, good[i]);
		if (access(path, R_OK) != 0)
			continue; /* data3 and data4 are not in the corpus */
		text = read_xz(dir, good[i], &len);
		d = cd_disc_new();
		dimg_error_clear(&err);
		if (cd_toc_parse(d, text, len, good[i], &err)) {
			print_error("%s: %s\n", good[i], err.message);
			fail();
		}
		fake_sizes(d);
		dimg_error_clear(&err);
		if (!strcmp(good[i], "t3.toc")) {
			/* track 1 starts 180 minutes into cdda.bin and both tracks
			 * run to its end: whatever the size, the disc is longer than
			 * 100 minutes, which the model refuses (cdrdao would too
			 * when writing; libcdio only parses the sheet) */
			assert_int_equal(cd_toc_layout(d, &err), DIMG_ELIMIT);
			assert_string_equal(err.message, "track 2: \"cdda.bin\" holds more "
							 "than 99:59:74 from byte 10584000 on");
		} else {
			layout_ok(d);
			round_trip(d);
		}
		if (!strcmp(good[i], "cdda.toc")) {
			assert_int_equal(d->ntracks, 1);
			assert_int_equal(d->tracks[0].flags, CD_FLAG_DCP);
			assert_int_equal(seg(d, 1, 0)->offset, 200);
			assert_int_equal(seg(d, 1, 0)->sectors, 25);
			assert_int_equal(d->files[0].type, CD_FILE_MOTOROLA);
			assert_int_equal(d->leadout, 25);
		} else if (!strcmp(good[i], "isofs-m1.toc")) {
			assert_int_equal(d->tracks[0].mode, CD_TM_MODE1_2352);
			assert_int_equal(d->files[0].type, CD_FILE_BINARY);
		} else if (!strcmp(good[i], "cdtext.toc")) {
			assert_string_equal(d->cdtext[0].text[0][CDT_TITLE], "CD Title");
			assert_string_equal(d->cdtext[0].text[0][CDT_DISC_ID], "XY12345");
			assert_string_equal(d->cdtext[0].text[1][CDT_TITLE], "Track Title");
			assert_string_equal(d->cdtext[0].text[1][CDT_UPC_ISRC], "US-XX1-98-01234");
			assert_int_equal(d->leadout, 4500);
		} else if (!strcmp(good[i], "t9.toc")) {
			assert_string_equal(d->catalog, "0724385356926");
			assert_int_equal(d->ntracks, 5);
			assert_string_equal(d->tracks[1].isrc, "USEM39600079");
			assert_int_equal(d->tracks[2].start - d->tracks[2].begin, 105);
			assert_int_equal(d->tracks[3].start, d->tracks[3].begin);
			assert_int_equal(d->tracks[3].index[0], -1);
			assert_int_equal(d->tracks[4].start - d->tracks[4].begin, 151);
		} else if (!strcmp(good[i], "t8.toc")) {
			assert_int_equal(d->tracks[0].index[2], 4500);
			assert_int_equal(d->tracks[0].index[3], 9000);
		} else if (!strcmp(good[i], "vcd_demo.toc")) {
			assert_int_equal(d->ntracks, 3);
			assert_int_equal(d->tracks[1].begin, 1032);
			assert_int_equal(d->tracks[1].start, 1032 + 150);
			assert_int_equal(seg(d, 3, 0)->offset, 1571u * 2352u);
			assert_int_equal(d->leadout, 1032 + 539 + 389);
		} else if (!strcmp(good[i], "t10.toc")) {
			assert_int_equal(d->tracks[0].flags, CD_FLAG_DCP | CD_FLAG_4CH);
		}
		parsed++;
		cd_disc_free(d);
		free(text);
	}
	assert_true(parsed >= 20);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dimg_error err;
		struct cd_disc *d = cd_disc_new();
		size_t len;
		char *text = read_xz(dir, bad[i].name, &len);
		dimg_error_clear(&err);
		assert_int_not_equal(cd_toc_parse(d, text, len, bad[i].name, &err), 0);
		snprintf(want, sizeof(want), "%s:%d:", bad[i].name, bad[i].line);
		if (strncmp(err.message, want, strlen(want))) {
			print_error("%s: '%s'\n", bad[i].name, err.message);
			fail();
		}
		cd_disc_free(d);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokenizer_errors),
	    cmocka_unit_test(test_strings_and_comments),
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_flags_isrc_catalog),
	    cmocka_unit_test(test_generated_and_gaps),
	    cmocka_unit_test(test_samples_and_bytes),
	    cmocka_unit_test(test_rest_of_file),
	    cmocka_unit_test(test_file_types),
	    cmocka_unit_test(test_cdtext),
	    cmocka_unit_test(test_cdtext_encodings),
	    cmocka_unit_test(test_round_trip_sheets),
	    cmocka_unit_test(test_round_trip_model),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_libcdio_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
