/* SPDX-License-Identifier: MIT */
/*
 * Cue sheets: tokenize and parse, give every FILE 16 MiB (WAVE files have
 * no header to read here), lay out, validate, write, and check that the
 * written sheet parses back to the same track table.  A sheet that lays out
 * must be writable and read back identically: a failure aborts.
 */
#include "fuzz_common.h"

#include "cd/cd_disc.h"
#include "fuzz_sheet.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT (64u << 10)
#define FUZZ_FILE_SIZE (16ull << 20)

static struct cd_disc *load(const char *text, size_t len, struct dimg_error *err)
{
	return fuzz_sheet_load(cd_cue_parse, cd_cue_layout, "fuzz.cue", text, len, FUZZ_FILE_SIZE, false, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dimg_error err;
	struct cd_disc *d, *e;
	struct cd_text_out o = {0};
	if (size > FUZZ_MAX_INPUT)
		return 0;
	dimg_error_clear(&err);
	d = load((const char *)data, size, &err);
	if (!d)
		return 0;
	if (cd_cue_write(d, &o, &err) != 0)
		abort(); /* everything the parser accepts can be written */
	dimg_error_clear(&err);
	e = load(o.buf ? o.buf : "", o.len, &err);
	if (!e || !fuzz_same_tracks(d, e, false))
		abort();
	cd_disc_free(e);
	cd_disc_free(d);
	free(o.buf);
	return 0;
}
