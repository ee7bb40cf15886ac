/* SPDX-License-Identifier: MIT */
/* The disc model: construction, validation, lookups. */
#include "cd/cd_disc.h"
#include "cd/cd_flac.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const struct cd_tmode_info cd_tmodes[CD_TM_COUNT] = {
    [CD_TM_AUDIO] = {"AUDIO", 2352, 0, true},
    [CD_TM_CDG] = {"CDG", 2448, 0, true},
    [CD_TM_MODE1_2048] = {"MODE1/2048", 2048, 1, false},
    [CD_TM_MODE1_2352] = {"MODE1/2352", 2352, 1, true},
    [CD_TM_MODE2_2048] = {"MODE2/2048", 2048, 2, false},
    [CD_TM_MODE2_2324] = {"MODE2/2324", 2324, 2, false},
    [CD_TM_MODE2_2336] = {"MODE2/2336", 2336, 2, false},
    [CD_TM_MODE2_2352] = {"MODE2/2352", 2352, 2, true},
    [CD_TM_CDI_2336] = {"CDI/2336", 2336, 2, false},
    [CD_TM_CDI_2352] = {"CDI/2352", 2352, 2, true},
};

const char *const cd_text_names[CDT_COUNT] = {
    "TITLE",   "PERFORMER", "SONGWRITER", "COMPOSER", "ARRANGER",
    "MESSAGE", "DISC_ID",   "GENRE",	  "UPC_ISRC", "CLOSED",
};

int cd_tmode_parse(const char *s)
{
	for (int i = 0; i < CD_TM_COUNT; i++)
		if (!strcasecmp(s, cd_tmodes[i].cue))
			return i;
	return -1;
}

struct cd_disc *cd_disc_new(void)
{
	struct cd_disc *d = calloc(1, sizeof(*d));
	if (d) {
		d->sub_file = d->sub_by_file = d->unkept.file = -1;
		d->cdtext[0].language = CD_LANG_ENGLISH;
	}
	return d;
}

void cd_disc_free(struct cd_disc *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->nfiles; i++) {
		if (d->files[i].map)
			munmap((void *)d->files[i].map, d->files[i].map_size);
		free(d->files[i].name);
		cd_flac_close(d->files[i].flac);
		if (d->files[i].io && !d->files[i].borrowed)
			io_close(d->files[i].io);
	}
	for (int b = 0; b < CD_TEXT_BLOCKS; b++)
		for (int t = 0; t <= CD_MAX_TRACKS; t++)
			for (int f = 0; f < CDT_COUNT; f++)
				free(d->cdtext[b].text[t][f]);
	for (int i = 0; i < d->nrems; i++)
		free(d->rems[i]);
	free(d->cdtextfile);
	free(d->cdt);
	free(d->packs);
	free(d);
}

int cd_disc_add_file(struct cd_disc *d, const char *name, enum cd_ftype type,
		     struct dimg_error *err)
{
	if (d->nfiles >= CD_MAX_FILES)
		return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "more than %d files",
				CD_MAX_FILES);
	struct cd_file *f = &d->files[d->nfiles];
	memset(f, 0, sizeof(*f));
	if (!(f->name = strdup(name)))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	f->type = type;
	return d->nfiles++;
}

int cd_disc_add_seg(struct cd_disc *d, struct cd_track *t, int file, uint64_t offset,
		    uint32_t sectors, struct dimg_error *err)
{
	if (t->nsegs && t->first_seg + t->nsegs != d->nsegs)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
				"segments added out of track order");
	if (sectors == 0)
		return 0;
	/* merge with the previous run when contiguous */
	if (t->nsegs) {
		struct cd_seg *p = &d->segs[d->nsegs - 1];
		uint64_t sz = cd_track_stride(t);
		if (p->file == file &&
		    (file < 0 || p->offset + (uint64_t)p->sectors * sz == offset) &&
		    p->sectors + (uint64_t)sectors <= CD_MAX_LBA) {
			p->sectors += sectors;
			return 0;
		}
	}
	if (d->nsegs >= CD_MAX_SEGS)
		return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "more than %d data segments",
				CD_MAX_SEGS);
	if (!t->nsegs)
		t->first_seg = d->nsegs;
	d->segs[d->nsegs++] = (struct cd_seg){.file = file, .offset = offset, .sectors = sectors};
	t->nsegs++;
	return 0;
}

int cd_disc_set_btext(struct cd_disc *d, int b, int track, enum cd_text_field f, const char *val,
		      struct dimg_error *err)
{
	if (b < 0 || b >= CD_TEXT_BLOCKS || track < 0 || track > CD_MAX_TRACKS ||
	    (unsigned)f >= CDT_COUNT)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "CD-TEXT field out of range");
	char *v = strdup(val);
	if (!v)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	free(d->cdtext[b].text[track][f]);
	d->cdtext[b].text[track][f] = v;
	return 0;
}

int cd_disc_set_text(struct cd_disc *d, int track, enum cd_text_field f, const char *val,
		     struct dimg_error *err)
{
	return cd_disc_set_btext(d, 0, track, f, val, err);
}

bool cd_text_block_used(const struct cd_disc *d, int b)
{
	const struct cd_text_block *k = &d->cdtext[b];
	if (k->has_genre_code)
		return true;
	for (int t = 0; t <= CD_MAX_TRACKS; t++)
		for (int f = 0; f < CDT_COUNT; f++)
			if (k->text[t][f])
				return true;
	return false;
}

bool cd_text_any(const struct cd_disc *d)
{
	for (int b = 0; b < CD_TEXT_BLOCKS; b++)
		if (cd_text_block_used(d, b))
			return true;
	return false;
}

int cd_disc_copy_text(struct cd_disc *o, const struct cd_disc *in, struct dimg_error *err)
{
	for (int b = 0; b < CD_TEXT_BLOCKS; b++) {
		const struct cd_text_block *s = &in->cdtext[b];
		struct cd_text_block *t = &o->cdtext[b];
		for (int n = 0; n <= CD_MAX_TRACKS; n++)
			for (int f = 0; f < CDT_COUNT; f++) {
				int rc;
				if (s->text[n][f] &&
				    (rc = cd_disc_set_btext(o, b, n, (enum cd_text_field)f,
							    s->text[n][f], err)))
					return rc;
			}
		t->charset = s->charset;
		t->language = s->language;
		t->copyright = s->copyright;
		t->raw = s->raw;
		t->has_genre_code = s->has_genre_code;
		t->genre_code = s->genre_code;
	}
	free(o->packs);
	o->packs = NULL;
	o->packs_len = 0;
	if (in->packs) {
		if (!(o->packs = malloc(in->packs_len)))
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		memcpy(o->packs, in->packs, in->packs_len);
		o->packs_len = in->packs_len;
	}
	o->cdtext_loss = in->cdtext_loss;
	return 0;
}

int cd_disc_validate(const struct cd_disc *d, struct dimg_error *err)
{
	int32_t prev_end = 0;
	if (d->ntracks < 1)
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "no tracks");
	for (int i = 0; i < d->ntracks; i++) {
		const struct cd_track *t = &d->tracks[i];
		uint64_t covered = 0;
		if (t->number < 1 || t->number > 99 ||
		    (i && t->number != d->tracks[i - 1].number + 1))
			return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
					"track %d: numbers must rise by one (1..99)", t->number);
		if (t->session < 1 || t->session > d->nsessions ||
		    (i && t->session < d->tracks[i - 1].session))
			return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
					"track %d: bad session %d", t->number, t->session);
		if ((unsigned)t->mode >= CD_TM_COUNT)
			return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "track %d: bad mode",
					t->number);
		if (t->begin < prev_end || t->begin > t->start || t->start >= t->end ||
		    t->end > CD_MAX_LBA)
			return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
					"track %d: overlaps the previous track or has no data "
					"(begin %d, INDEX 01 %d, end %d)",
					t->number, t->begin, t->start, t->end);
		if (t->index[1] != t->start)
			return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
					"track %d: INDEX 01 missing", t->number);
		for (int k = 0, last = t->begin; k <= CD_MAX_INDEX; k++) {
			if (t->index[k] < 0)
				continue;
			if (t->index[k] < last || t->index[k] >= t->end)
				return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
						"track %d: INDEX %02d out of order", t->number, k);
			last = t->index[k];
		}
		if (t->nsegs < 1 || t->first_seg < 0 || t->first_seg + t->nsegs > d->nsegs)
			return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "track %d: no sectors",
					t->number);
		for (int s = 0; s < t->nsegs; s++) {
			const struct cd_seg *g = &d->segs[t->first_seg + s];
			if (g->file >= d->nfiles)
				return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
						"track %d: bad file reference", t->number);
			covered += g->sectors;
		}
		if (covered != (uint64_t)(t->end - t->begin))
			return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
					"track %d: %llu sectors stored for %d", t->number,
					(unsigned long long)covered, t->end - t->begin);
		prev_end = t->end;
	}
	if (d->leadout != d->tracks[d->ntracks - 1].end)
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
				"lead-out does not follow "
				"the last track");
	return 0;
}

const struct cd_track *cd_disc_track_at(const struct cd_disc *d, int32_t lba)
{
	int lo = 0, hi = d->ntracks - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const struct cd_track *t = &d->tracks[mid];
		if (lba < t->begin)
			hi = mid - 1;
		else if (lba >= t->end)
			lo = mid + 1;
		else
			return t;
	}
	return NULL;
}

const struct cd_track *cd_disc_data_track(const struct cd_disc *d)
{
	const struct cd_track *best = NULL;
	for (int i = 0; i < d->ntracks; i++) {
		const struct cd_track *t = &d->tracks[i];
		if (cd_tmodes[t->mode].data_mode == 0)
			continue;
		if (!best || t->session > best->session)
			best = t;
	}
	return best;
}

void cd_out_printf(struct cd_text_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (o->failed)
		return;
	for (;;) {
		size_t room = o->cap - o->len;
		va_start(ap, fmt);
		n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if (o->buf && (size_t)n < room) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap ? o->cap * 2 : 4096;
		while (cap - o->len <= (size_t)n)
			cap *= 2;
		char *nb = realloc(o->buf, cap);
		if (!nb) {
			o->failed = true;
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
}
