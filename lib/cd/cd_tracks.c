/* SPDX-License-Identifier: MIT */
/* Tracks through the public API, and audio tracks as WAV files (what the
 * mount shows under /.audio and `convert --to wav` writes). */
#include "cd/cd_disc.h"
#include "cd/cd_sector.h"
#include "cd/cd_wav.h"
#include "util/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cd_wav_header(uint8_t h[CD_WAV_HEADER], uint32_t pcm_bytes)
{
	memcpy(h, "RIFF", 4);
	st_le32(h + 4, 36 + pcm_bytes);
	memcpy(h + 8, "WAVEfmt ", 8);
	st_le32(h + 16, 16);
	st_le16(h + 20, 1); /* PCM */
	st_le16(h + 22, 2); /* stereo */
	st_le32(h + 24, 44100);
	st_le32(h + 28, 44100 * 4);
	st_le16(h + 32, 4);
	st_le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	st_le32(h + 40, pcm_bytes);
}

int dimg_tracks(struct dimg_image *img, struct dimg_track_info *out, size_t max,
		struct dimg_error *err)
{
	const struct cd_disc *d = image_disc(img, err);
	if (!d)
		return err->code;
	for (int i = 0; i < d->ntracks && (size_t)i < max; i++) {
		const struct cd_track *t = &d->tracks[i];
		struct dimg_track_info *o = &out[i];
		memset(o, 0, sizeof(*o));
		o->number = t->number;
		o->session = t->session;
		snprintf(o->mode, sizeof(o->mode), "%s", cd_tmodes[t->mode].cue);
		o->audio = cd_tmodes[t->mode].data_mode == 0;
		o->start = t->start;
		o->length = t->end - t->start;
		o->pregap = t->start - t->begin;
	}
	return d->ntracks;
}

static const struct cd_track *audio_track(struct dimg_image *img, int number,
					  struct dimg_error *err)
{
	const struct cd_disc *d = image_disc(img, err);
	if (!d)
		return NULL;
	for (int i = 0; i < d->ntracks; i++)
		if (d->tracks[i].number == number) {
			if (cd_tmodes[d->tracks[i].mode].data_mode != 0)
				break;
			return &d->tracks[i];
		}
	dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE, "no audio track %d", number);
	return NULL;
}

int64_t dimg_track_wav_size(struct dimg_image *img, int number, struct dimg_error *err)
{
	const struct cd_track *t = audio_track(img, number, err);
	if (!t)
		return err->code;
	return CD_WAV_HEADER + (int64_t)(t->end - t->start) * CD_RAW;
}

int64_t dimg_track_read_wav(struct dimg_image *img, int number, uint64_t off, void *buf, size_t len,
			    struct dimg_error *err)
{
	const struct cd_track *t = audio_track(img, number, err);
	uint8_t *out = buf, sec[2448];
	uint64_t pcm, size;
	size_t done = 0;
	if (!t)
		return err->code;
	pcm = (uint64_t)(t->end - t->start) * CD_RAW;
	size = CD_WAV_HEADER + pcm;
	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	if (off < CD_WAV_HEADER) {
		uint8_t h[CD_WAV_HEADER];
		size_t n = CD_WAV_HEADER - (size_t)off;
		cd_wav_header(h, (uint32_t)pcm);
		if (n > len)
			n = len;
		memcpy(out, h + off, n);
		done = n;
		off += n;
	}
	while (done < len) {
		uint64_t p = off - CD_WAV_HEADER;
		int32_t lba = t->start + (int32_t)(p / CD_RAW);
		size_t in = (size_t)(p % CD_RAW), n = CD_RAW - in;
		int rc;
		if (n > len - done)
			n = len - done;
		if (in == 0 && len - done >= CD_RAW && cd_track_stride(t) == CD_RAW) {
			/* whole sectors straight into the caller's buffer */
			uint32_t count = (uint32_t)((len - done) / CD_RAW);
			if (count > (uint32_t)(t->end - lba))
				count = (uint32_t)(t->end - lba);
			rc = cd_read_stored(img->disc, t, lba, count, out + done, err);
			if (rc)
				return rc;
			done += (size_t)count * CD_RAW;
			off += (uint64_t)count * CD_RAW;
			continue;
		}
		rc = cd_read_stored(img->disc, t, lba, 1, sec, err);
		if (rc)
			return rc;
		memcpy(out + done, sec + in, n); /* CDG, RW: the audio part of the sector */
		done += n;
		off += n;
	}
	return (int64_t)done;
}
