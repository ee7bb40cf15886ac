/* SPDX-License-Identifier: MIT */
/*
 * FLAC files of cue sheets.  The input is the whole file.  When cd_flac_open
 * accepts it (44.1 kHz 16-bit stereo, a stated length), reads at the start,
 * the middle, the end, backwards and across frames must each either succeed
 * or fail with an error; a read that succeeds must give the same bytes when
 * repeated after reads elsewhere (the decoder's cached frame and seeks may
 * not change what a position holds).  Else abort.
 */
#include "fuzz_common.h"

#include "cd/cd_flac.h"
#include "core/core.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a[PIECE], b[PIECE];
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
		/* at most a few MB of PCM are looked at: a huge stated length
		 * with little data must fail fast, not decode for long */
		const uint64_t at[] = {0, pcm / 2 & ~3ull, pcm > PIECE ? pcm - PIECE : 0,
				       4, pcm / 3,	   pcm > 1 ? pcm - 1 : 0};
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			size_t n1 = 0, n2 = 0;
			if (piece(x, pcm, at[i], a, &n1) != 0)
				continue;
			(void)piece(x, pcm, at[(i + 1) % 6], b, &n2);
			if (piece(x, pcm, at[i], b, &n2) == 0 && (n1 != n2 || memcmp(a, b, n1)))
				abort(); /* the same position read twice differs */
		}
		cd_flac_close(x);
	} else if (x || !err.message[0]) {
		abort();
	}
	io_close(io);
	return 0;
}
