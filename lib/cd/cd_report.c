/* SPDX-License-Identifier: MIT */
/* The disc model as a report tree: disc facts, sessions, tracks, CD-TEXT. */
#include "formats/cdsheet/cdsheet.h"
#include "cd/cd_sector.h"

#include <stdio.h>

static void put_msf(struct dimg_node *o, const char *key, int32_t lba)
{
	char s[16];
	uint8_t m, sec, f;
	cd_lba_to_msf(lba, &m, &sec, &f);
	snprintf(s, sizeof(s), "%02u:%02u:%02u", m, sec, f);
	node_str(o, key, s);
}

static void put_text(const struct cd_disc *d, int n, struct dimg_node *parent)
{
	struct dimg_node *o = NULL;
	for (int f = 0; f < CDT_COUNT; f++) {
		if (!d->text[n][f])
			continue;
		if (!o)
			o = node_object(parent, "cdtext");
		node_str(o, cd_text_names[f], d->text[n][f]);
	}
}

int cd_disc_report(const struct cd_disc *d, struct dimg_node *root, struct dimg_error *err)
{
	struct dimg_node *disc = node_object(root, "disc"), *sessions, *files;
	int audio = 0, data = 0;
	(void)err;
	for (int i = 0; i < d->ntracks; i++)
		cd_tmodes[d->tracks[i].mode].data_mode ? data++ : audio++;
	node_str(disc, "type", !data ? "CD-DA" : audio ? "mixed" : "CD-ROM");
	node_int(disc, "tracks", d->ntracks);
	node_int(disc, "sessions", d->nsessions);
	node_int(disc, "leadout", d->leadout);
	put_msf(disc, "leadout_msf", d->leadout);
	if (d->catalog[0])
		node_str(disc, "catalog", d->catalog);
	node_bool(disc, "subchannel", d->sub_file >= 0);
	if (d->cdtextfile) {
		node_str(disc, "cdtextfile", d->cdtextfile);
		node_bool(disc, "cdtextfile_found", !d->cdt_missing);
	}
	files = node_array(disc, "files");
	for (int i = 0; i < d->nfiles; i++)
		if (i != d->sub_file)
			node_str(files, NULL, d->files[i].name);
	put_text(d, 0, disc);
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
			put_text(d, t->number, to);
		}
	}
	return 0;
}
