/* SPDX-License-Identifier: MIT */
/* Shared by the CD container fuzz targets (cue, toc, ccd, nrg): parse a
 * sheet held in memory, give every file it names a fake size (nothing is
 * opened), lay the disc out and, where asked, validate it; and compare two
 * disc models' track tables after a write -> parse round trip. */
#ifndef DIMG_FUZZ_SHEET_H
#define DIMG_FUZZ_SHEET_H

#include "cd/cd_disc.h"

#include <string.h>

typedef int (*fuzz_parse_fn)(struct cd_disc *d, const char *text, size_t len, const char *name,
			     struct dimg_error *err);
typedef int (*fuzz_layout_fn)(struct cd_disc *d, struct dimg_error *err);

static inline struct cd_disc *fuzz_sheet_load(fuzz_parse_fn parse, fuzz_layout_fn layout,
					      const char *name, const char *text, size_t len,
					      uint64_t file_size, bool validate,
					      struct dimg_error *err)
{
	struct cd_disc *d = cd_disc_new();
	if (!d)
		return NULL;
	dimg_error_clear(err);
	if (parse(d, text, len, name, err) == 0) {
		for (int i = 0; i < d->nfiles; i++)
			d->files[i].size = file_size;
		if (layout(d, err) == 0 && (!validate || cd_disc_validate(d, err) == 0))
			return d;
	}
	cd_disc_free(d);
	return NULL;
}

/* Same tracks, indexes, flags, ISRCs and lead-out; with segs also the same
 * stored runs (formats that keep the file layout). */
static inline bool fuzz_same_tracks(const struct cd_disc *a, const struct cd_disc *b, bool segs)
{
	if (a->ntracks != b->ntracks || a->leadout != b->leadout || a->nsessions != b->nsessions ||
	    strcmp(a->catalog, b->catalog) || (segs && a->nsegs != b->nsegs))
		return false;
	for (int i = 0; i < a->ntracks; i++) {
		const struct cd_track *s = &a->tracks[i], *t = &b->tracks[i];
		if (s->number != t->number || s->mode != t->mode || s->sub_rw != t->sub_rw ||
		    s->scrambled != t->scrambled || s->flags != t->flags || s->begin != t->begin ||
		    s->start != t->start || s->end != t->end || s->session != t->session ||
		    memcmp(s->index, t->index, sizeof(s->index)) || strcmp(s->isrc, t->isrc))
			return false;
	}
	for (int i = 0; segs && i < a->nsegs; i++)
		if (a->segs[i].file != b->segs[i].file || a->segs[i].offset != b->segs[i].offset ||
		    a->segs[i].sectors != b->segs[i].sectors)
			return false;
	return true;
}

#endif
