/* SPDX-License-Identifier: MIT */
/*
 * Nero NRG images.  The input is the whole image.  It is parsed from its
 * footer, laid out and validated; the nrg driver must accept exactly the
 * inputs the parser accepts and build the same track table.  For an accepted
 * disc: every stored run lies in the sector data and no two overlap
 * (checked here independently of cd_nrg_layout), the sectors at every track
 * and segment boundary read raw and cooked, generated P/Q there carry a
 * valid CRC, the subchannel reads (inline or generated), and the data
 * track's file system is walked.  Else abort.
 */
#include "fuzz_common.h"

#include "cd/cd_disc.h"
#include "fuzz_sheet.h"
#include "cd/cd_subq.h"
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT (256u << 10)

static struct cd_disc *load(const uint8_t *data, size_t size)
{
	struct dimg_error err;
	struct cd_disc *d = cd_disc_new();
	if (!d)
		return NULL;
	dimg_error_clear(&err);
	if (cd_nrg_parse(d, data, size, size, "fuzz.nrg", &err) == 0 &&
	    cd_nrg_layout(d, &err) == 0 && cd_disc_validate(d, &err) == 0)
		return d;
	cd_disc_free(d);
	return NULL;
}

/* Stored runs inside [0, sector data) and pairwise disjoint (O(n^2): at
 * most 99 tracks of two segments). */
static void check_runs(const struct cd_disc *d)
{
	for (int i = 0; i < d->nsegs; i++) {
		const struct cd_seg *g = &d->segs[i];
		const struct cd_track *t = NULL;
		uint64_t ss, end;
		if (g->file < 0)
			continue;
		for (int k = 0; k < d->ntracks; k++)
			if (i >= d->tracks[k].first_seg &&
			    i < d->tracks[k].first_seg + d->tracks[k].nsegs)
				t = &d->tracks[k];
		if (!t || g->file != 0)
			abort();
		ss = cd_track_stride(t);
		end = g->offset + (uint64_t)g->sectors * ss;
		if (end < g->offset || end > d->files[0].size)
			abort();
		for (int j = 0; j < i; j++) {
			const struct cd_seg *h = &d->segs[j];
			const struct cd_track *u = NULL;
			uint64_t hend;
			if (h->file < 0)
				continue;
			for (int k = 0; k < d->ntracks; k++)
				if (j >= d->tracks[k].first_seg &&
				    j < d->tracks[k].first_seg + d->tracks[k].nsegs)
					u = &d->tracks[k];
			hend = h->offset + (uint64_t)h->sectors * cd_track_stride(u);
			if (g->offset < hend && h->offset < end)
				abort();
		}
	}
}

static void read_at(struct dimg_image *img, const struct cd_disc *d, int32_t lba)
{
	static uint8_t raw[2352], cooked[2048], sub[96];
	struct dimg_error err;
	const struct cd_track *t = cd_disc_track_at(d, lba);
	dimg_error_clear(&err);
	cd_sub_generate(d, lba, sub);
	if (!cd_subq_check(sub + 12))
		abort();
	if (!t)
		return;
	if (cd_read_raw(d, lba, 1, raw, &err) != 0)
		abort(); /* the sectors lie in the (in-memory) file: reads cannot fail */
	dimg_error_clear(&err);
	/* inline P-W (CDG, raw data with subchannel) or generated: a block */
	if (cd_read_sub(d, lba, 1, sub, &err) != (cd_disc_has_sub(d) ? 0 : DIMG_ENOTFOUND))
		abort();
	dimg_error_clear(&err);
	if (medium_read(img, cooked, sizeof(cooked), (uint64_t)lba * 2048u, &err) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dimg_open_options opt = {.format = "nrg"};
	struct dimg_image *img = NULL;
	struct dimg_error err;
	struct cd_disc *d;
	int rc;
	if (size > FUZZ_MAX_INPUT)
		return 0;
	d = load(data, size);
	dimg_error_clear(&err);
	rc = dimg_image_open_memory(&img, data, size, &opt, &err);
	if ((rc == 0) != (d != NULL))
		abort();
	if (d) {
		const struct cd_disc *e = img->disc;
		if (!e || !fuzz_same_tracks(d, e, true))
			abort();
		check_runs(e);
		for (int i = 0; i < e->ntracks; i++) {
			const struct cd_track *t = &e->tracks[i];
			int32_t lba = t->begin;
			read_at(img, e, t->begin - 1);
			read_at(img, e, t->start - 1);
			read_at(img, e, t->start);
			read_at(img, e, t->end - 1);
			read_at(img, e, t->end);
			for (int s = 0; s < t->nsegs; s++) {
				read_at(img, e, lba);
				lba += (int32_t)e->segs[t->first_seg + s].sectors;
				read_at(img, e, lba - 1);
			}
		}
		fuzz_walk_all_views(img);
	}
	dimg_image_close(img);
	cd_disc_free(d);
	return 0;
}
