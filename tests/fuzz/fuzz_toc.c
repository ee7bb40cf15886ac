/* SPDX-License-Identifier: MIT */
/*
 * cdrdao TOC parser: parse, give every file 16 MiB, lay out, validate,
 * write, and check that the written sheet reads back to the same disc.
 * Anything a successful layout produces must pass cd_disc_validate and be
 * writable, and the writer's output must read back: failures are bugs, so
 * they abort.
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
	return fuzz_sheet_load(cd_toc_parse, cd_toc_layout, "fuzz.toc", text, len, FUZZ_FILE_SIZE,
			       false, err);
}

static bool same_disc(const struct cd_disc *a, const struct cd_disc *b)
{
	if (a->ntracks != b->ntracks || a->nsegs != b->nsegs || a->leadout != b->leadout ||
	    strcmp(a->catalog, b->catalog))
		return false;
	for (int i = 0; i < a->ntracks; i++) {
		const struct cd_track *s = &a->tracks[i], *t = &b->tracks[i];
		if (s->mode != t->mode || s->sub_rw != t->sub_rw || s->flags != t->flags ||
		    s->begin != t->begin || s->start != t->start || s->end != t->end ||
		    s->pregap_gen != t->pregap_gen ||
		    memcmp(s->index, t->index, sizeof(s->index)) || strcmp(s->isrc, t->isrc) ||
		    s->nsegs != t->nsegs)
			return false;
	}
	for (int i = 0; i < a->nsegs; i++) {
		const struct cd_seg *s = &a->segs[i], *t = &b->segs[i];
		if (s->offset != t->offset || s->sectors != t->sectors ||
		    (s->file < 0) != (t->file < 0) ||
		    (s->file >= 0 && strcmp(a->files[s->file].name, b->files[t->file].name)))
			return false;
	}
	for (int n = 0; n < CD_TEXT_BLOCKS; n++) {
		const struct cd_text_block *p = &a->cdtext[n], *q = &b->cdtext[n];
		if (!cd_text_block_used(a, n) && !cd_text_block_used(b, n))
			continue;
		/* ASCII is written as ISO-8859-1, the same characters */
		if (p->language != q->language || p->raw != q->raw ||
		    (p->charset == CD_CS_ASCII ? CD_CS_LATIN1 : p->charset) != q->charset ||
		    p->has_genre_code != q->has_genre_code ||
		    (p->has_genre_code && p->genre_code != q->genre_code))
			return false;
		for (int k = 0; k <= CD_MAX_TRACKS; k++)
			for (int f = 0; f < CDT_COUNT; f++) {
				const char *x = p->text[k][f], *y = q->text[k][f];
				if (k > a->ntracks ||
				    (k && (f == CDT_DISC_ID || f == CDT_GENRE || f == CDT_CLOSED)))
					continue;
				if ((x && *x) != (y && *y) || (x && *x && strcmp(x, y)))
					return false;
			}
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dimg_error err;
	struct cd_text_out o = {0};
	struct cd_disc *d, *again;
	if (size > FUZZ_MAX_INPUT)
		return 0;
	dimg_error_clear(&err);
	if (!(d = load((const char *)data, size, &err)))
		return 0;
	dimg_error_clear(&err);
	if (cd_disc_validate(d, &err) != 0)
		abort(); /* layout accepted a disc the model rejects */
	dimg_error_clear(&err);
	if (cd_toc_write(d, &o, &err) != 0)
		abort(); /* a parsed disc can always be written */
	dimg_error_clear(&err);
	again = load(o.buf, o.len, &err);
	if (!again || !same_disc(d, again))
		abort(); /* the written sheet does not read back */
	cd_disc_free(again);
	free(o.buf);
	cd_disc_free(d);
	return 0;
}
