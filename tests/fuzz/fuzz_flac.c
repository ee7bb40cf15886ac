/* SPDX-License-Identifier: MIT */
/*
 * FLAC files of cue sheets.  The input is the whole file.  When cd_flac_open
 * accepts it (44.1 kHz 16-bit stereo, a stated length): reads from the start
 * in order (what convert, verify and hash do), then reads at the middle, the
 * end, backwards and across frames, then the reads from the start again.
 * Every read succeeds or fails with a message, and the two passes from the
 * start give the same results and bytes (decoding in order does not depend
 * on what was read before; only libFLAC's seek, used for far jumps, may land
 * on either of two frames a hostile stream has for one sample).  Else abort.
 */
#include "fuzz_common.h"

#include "cd/cd_flac.h"
#include "core/core.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT (256u << 10)
#define PIECE 6000u

static int piece(struct cd_flac *x, uint64_t size, uint64_t off, uint8_t *buf, size_t *n)
{
	struct dimg_error err;
	dimg_error_clear(&err);
	if (off >= size)
		return -1;
	*n = size - off < PIECE ? (size_t)(size - off) : PIECE;
	if (cd_flac_read(x, buf, *n, off, &err) != 0) {
		if (!err.message[0])
			abort(); /* a failure must say why */
		return -1;
	}
	return 0;
}

#define PASS_PIECES 8

/* Reads from the start in order; ok[k] and bytes for each piece. */
static void pass(struct cd_flac *x, uint64_t pcm, uint8_t (*out)[PIECE], bool *ok, size_t *len)
{
	for (int k = 0; k < PASS_PIECES; k++)
		ok[k] = piece(x, pcm, (uint64_t)k * PIECE, out[k], &len[k]) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a[PASS_PIECES][PIECE], b[PASS_PIECES][PIECE], tmp[PIECE];
	bool oka[PASS_PIECES], okb[PASS_PIECES];
	size_t la[PASS_PIECES], lb[PASS_PIECES];
	struct dimg_error err;
	struct dimg_io *io = NULL;
	struct cd_flac *x = NULL;
	uint64_t pcm = 0;
	if (size > FUZZ_MAX_INPUT)
		return 0;
	dimg_error_clear(&err);
	if (io_open_memory(&io, data, size, "fuzz.flac", &err) != 0)
		return 0;
	if (cd_flac_open(&x, io, "fuzz.flac", &pcm, &err) == 0) {
		/* far jumps, backwards, the last byte: a huge stated length with
		 * little data must fail fast, not decode for long */
		const uint64_t at[] = {pcm / 2 & ~3ull, pcm > PIECE ? pcm - PIECE : 0, 4, pcm / 3,
				       pcm > 1 ? pcm - 1 : 0};
		size_t n;
		pass(x, pcm, a, oka, la);
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
			(void)piece(x, pcm, at[i], tmp, &n);
		pass(x, pcm, b, okb, lb);
		for (int k = 0; k < PASS_PIECES; k++)
			if (oka[k] != okb[k] ||
			    (oka[k] && (la[k] != lb[k] || memcmp(a[k], b[k], la[k]))))
				abort(); /* reading in order gave something else the second time */
		cd_flac_close(x);
	} else if (x || !err.message[0]) {
		abort();
	}
	io_close(io);
	return 0;
}
