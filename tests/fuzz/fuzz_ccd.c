/* SPDX-License-Identifier: MIT */
/*
 * CloneCD sheets and CD-TEXT packs.  The input is parsed as a .ccd (every
 * file given 1 GiB, nothing opened), laid out and validated; a sheet that
 * validates must be writable (unless its CD-TEXT is beyond what one block
 * holds) and must read back to the same track table, else abort.  P/Q are
 * generated around every track boundary.  The same bytes are also decoded as
 * CD-TEXT packs; text that decodes and re-encodes must decode to itself
 * (all blocks, their attributes too).
 */
#include "fuzz_common.h"

#include "cd/cd_disc.h"
#include "fuzz_sheet.h"
#include "cd/cd_subq.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT (64u << 10)
#define FUZZ_FILE_SIZE (1ull << 30)

static struct cd_disc *load(const char *text, size_t len, struct dimg_error *err)
{
	return fuzz_sheet_load(cd_ccd_parse, cd_ccd_layout, "fuzz.ccd", text, len, FUZZ_FILE_SIZE, true, err);
}

static void sheet(const uint8_t *data, size_t size)
{
	struct dimg_error err;
	struct cd_text_out o = {0};
	struct cd_disc *d = load((const char *)data, size, &err), *e;
	uint8_t sub[96];
	int rc;
	if (!d)
		return;
	for (int i = 0; i < d->ntracks; i++) {
		const struct cd_track *t = &d->tracks[i];
		const int32_t at[] = {t->begin - 1, t->begin,	t->start - 1,
				      t->start,	    t->end - 1, t->end};
		for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
			cd_sub_generate(d, at[k], sub);
			if (!cd_subq_check(sub + 12))
				abort();
		}
	}
	dimg_error_clear(&err);
	rc = cd_ccd_write(d, &o, &err);
	if (rc == 0 && o.failed)
		rc = DIMG_ENOMEM;
	if (rc != 0) {
		/* only CD-TEXT too large or not re-encodable may stop the writer */
		if (rc != DIMG_ELIMIT && rc != DIMG_EINVAL && rc != DIMG_EUNSUPPORTED)
			abort();
	} else {
		e = load(o.buf ? o.buf : "", o.len, &err);
		if (!e || !fuzz_same_tracks(d, e, true))
			abort();
		cd_disc_free(e);
	}
	free(o.buf);
	cd_disc_free(d);
}

static void packs(const uint8_t *data, size_t size)
{
	struct dimg_error err;
	struct cd_disc *d = cd_disc_new(), *e = NULL;
	uint8_t *enc = NULL;
	size_t len = 0;
	if (!d)
		return;
	dimg_error_clear(&err);
	if (cd_cdtext_decode(d, data, size, &err) != 0)
		goto out;
	if (cd_cdtext_encode(d, &enc, &len, &err) != 0 || !enc)
		goto out;
	if (!(e = cd_disc_new()))
		goto out;
	dimg_error_clear(&err);
	if (cd_cdtext_decode(e, enc, len, &err) != 0)
		abort();
	/* everything the encoder wrote, in every block: the disc, tracks
	 * 1..last for text fields, the disc alone for DISC_ID, GENRE and
	 * CLOSED; language, character set, genre code, copyright flags */
	for (int n = 0; n < CD_TEXT_BLOCKS; n++) {
		const struct cd_text_block *p = &d->cdtext[n], *q = &e->cdtext[n];
		if (cd_text_block_used(e, n) &&
		    (p->language != q->language || p->charset != q->charset ||
		     p->copyright != q->copyright || p->raw != q->raw ||
		     p->has_genre_code != q->has_genre_code ||
		     (p->has_genre_code && p->genre_code != q->genre_code)))
			abort();
		for (int t = 0; t <= CD_MAX_TRACKS; t++)
			for (int f = 0; f < CDT_COUNT; f++) {
				const char *a = p->text[t][f], *b = q->text[t][f];
				if (t && (f == CDT_DISC_ID || f == CDT_GENRE || f == CDT_CLOSED))
					continue;
				if ((!a) != (!b) || (a && strcmp(a, b)))
					abort();
			}
	}
	/* the packs of a decodable input are kept, and re-encoded packs are */
	if (!e->packs || e->packs_len != len || memcmp(e->packs, enc, len))
		abort();
out:
	free(enc);
	cd_disc_free(e);
	cd_disc_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	sheet(data, size);
	packs(data, size);
	return 0;
}
