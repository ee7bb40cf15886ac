/* SPDX-License-Identifier: MIT */
/* The disc model as a report tree: disc facts, sessions, tracks, CD-TEXT. */
#include "formats/cdsheet/cdsheet.h"
#include "cd/cd_sector.h"

#include <stdio.h>
#include <stdlib.h>

static void put_msf(struct dimg_node *o, const char *key, int32_t lba)
{
	char s[16];
	uint8_t m, sec, f;
	cd_lba_to_msf(lba, &m, &sec, &f);
	snprintf(s, sizeof(s), "%02u:%02u:%02u", m, sec, f);
	node_str(o, key, s);
}

/* The fields of track n (0: the disc) of block b into an object named key
 * under parent, made when there is a field. */
static int put_fields(const struct cd_disc *d, int b, int n, struct dimg_node *parent,
		      const char *key, struct dimg_error *err)
{
	const struct cd_text_block *k = &d->cdtext[b];
	struct dimg_node *o = NULL;
	for (int f = 0; f < CDT_COUNT; f++) {
		char *v;
		if (!k->text[n][f])
			continue;
		if (!(v = cd_text_display(k, (enum cd_text_field)f, k->text[n][f])))
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		if (!o)
			o = node_object(parent, key);
		node_str(o, cd_text_names[f], v);
		free(v);
	}
	return 0;
}

/* Every used block: language, character set, genre code, copyright byte,
 * the disc's fields and each track's (see docs/formats/cd.md). */
static int put_blocks(const struct cd_disc *d, struct dimg_node *disc, struct dimg_error *err)
{
	struct dimg_node *arr = NULL;
	for (int b = 0; b < CD_TEXT_BLOCKS; b++) {
		const struct cd_text_block *k = &d->cdtext[b];
		struct dimg_node *o, *tracks = NULL;
		const char *name;
		char hex[8];
		if (!cd_text_block_used(d, b))
			continue;
		if (!arr)
			arr = node_array(disc, "cdtext_blocks");
		o = node_object(arr, NULL);
		node_int(o, "block", b);
		name = cd_text_language_name(k->language);
		snprintf(hex, sizeof(hex), "0x%02x", k->language);
		node_str(o, "language", name ? name : hex);
		node_int(o, "language_code", k->language);
		name = cd_text_charset_name(k->charset);
		snprintf(hex, sizeof(hex), "0x%02x", k->charset);
		node_str(o, "charset", name ? name : hex);
		node_int(o, "charset_code", k->charset);
		node_bool(o, "decoded", !k->raw);
		node_int(o, "copyright", k->copyright);
		if (k->has_genre_code) {
			node_int(o, "genre_code", k->genre_code);
			name = cd_text_genre_name(k->genre_code);
			node_str(o, "genre", name ? name : "unknown");
		}
		if (put_fields(d, b, 0, o, "disc", err))
			return DIMG_ENOMEM;
		for (int n = 1; n <= CD_MAX_TRACKS; n++) {
			bool any = false;
			for (int f = 0; f < CDT_COUNT && !any; f++)
				any = k->text[n][f] != NULL;
			if (!any)
				continue;
			if (!tracks)
				tracks = node_array(o, "tracks");
			struct dimg_node *t = node_object(tracks, NULL);
			node_int(t, "number", n);
			if (put_fields(d, b, n, t, "cdtext", err))
				return DIMG_ENOMEM;
		}
	}
	return 0;
}

int cd_disc_report(const struct cd_disc *d, struct dimg_node *root, struct dimg_error *err)
{
	struct dimg_node *disc = node_object(root, "disc"), *sessions, *files;
	int audio = 0, data = 0;
	for (int i = 0; i < d->ntracks; i++)
		cd_tmodes[d->tracks[i].mode].data_mode ? data++ : audio++;
	node_str(disc, "type", !data ? "CD-DA" : audio ? "mixed" : "CD-ROM");
	node_int(disc, "tracks", d->ntracks);
	node_int(disc, "sessions", d->nsessions);
	node_int(disc, "leadout", d->leadout);
	put_msf(disc, "leadout_msf", d->leadout);
	if (d->catalog[0])
		node_str(disc, "catalog", d->catalog);
	node_bool(disc, "subchannel", cd_disc_has_sub(d));
	if (d->cdtextfile) {
		node_str(disc, "cdtextfile", d->cdtextfile);
		node_bool(disc, "cdtextfile_found", !d->cdt_missing);
	}
	files = node_array(disc, "files");
	for (int i = 0; i < d->nfiles; i++)
		if (i != d->sub_file)
			node_str(files, NULL, d->files[i].name);
	if (put_fields(d, 0, 0, disc, "cdtext", err) || put_blocks(d, disc, err))
		return DIMG_ENOMEM;
	sessions = node_array(root, "sessions");
	for (int s = 1; s <= d->nsessions; s++) {
		struct dimg_node *so = node_object(sessions, NULL), *tracks;
		node_int(so, "number", s);
		tracks = node_array(so, "tracks");
		for (int i = 0; i < d->ntracks; i++) {
			const struct cd_track *t = &d->tracks[i];
			struct dimg_node *to, *idx, *fl;
			if (t->session != s)
				continue;
			to = node_object(tracks, NULL);
			node_int(to, "number", t->number);
			node_str(to, "mode", cd_tmodes[t->mode].cue);
			node_int(to, "start", t->start);
			put_msf(to, "start_msf", t->start);
			node_int(to, "length", t->end - t->start);
			node_int(to, "pregap", t->start - t->begin);
			node_int(to, "postgap", t->postgap);
			idx = node_array(to, "indexes");
			for (int k = 0; k <= CD_MAX_INDEX; k++) {
				struct dimg_node *io;
				if (t->index[k] < 0)
					continue;
				io = node_object(idx, NULL);
				node_int(io, "number", k);
				node_int(io, "lba", t->index[k]);
			}
			fl = node_array(to, "flags");
			if (t->flags & CD_FLAG_DCP)
				node_str(fl, NULL, "DCP");
			if (t->flags & CD_FLAG_4CH)
				node_str(fl, NULL, "4CH");
			if (t->flags & CD_FLAG_PRE)
				node_str(fl, NULL, "PRE");
			if (t->flags & CD_FLAG_SCMS)
				node_str(fl, NULL, "SCMS");
			if (t->isrc[0])
				node_str(to, "isrc", t->isrc);
			/* R-W stored after each sector (cdrdao's sub-channel mode) */
			if (t->sub_rw)
				node_str(to, "subchannel",
					 t->sub_rw == CD_SUBRW_RAW ? "RW_RAW" : "RW");
			if (put_fields(d, 0, t->number, to, "cdtext", err))
				return DIMG_ENOMEM;
		}
	}
	return 0;
}
