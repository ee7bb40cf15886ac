/* SPDX-License-Identifier: MIT */
/*
 * FLAC files named by a cue sheet (the "image + cue" rips of EAC and its
 * kin write `FILE "x.flac" WAVE`): decoded with libFLAC into the 16-bit
 * little-endian stereo PCM a BIN holds, so every reader sees the same bytes
 * whatever the file.  Reads land anywhere (mount, cat, verify): each file's
 * decoder keeps the frame it decoded last, decodes on frame by frame when a
 * read goes forward a little and seeks (libFLAC's seek_absolute, which hands
 * back the frame trimmed to start at the target sample) otherwise.  One lock
 * per file, as the mount daemon reads from several threads.
 */
#include "cd/cd_flac.h"

#include <FLAC/stream_decoder.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A read this far (in samples) past the decoded frame decodes forward
 * instead of seeking: about a second of audio. */
#define FLAC_FORWARD 44100u
/* FLAC frames hold at most 65535 samples per channel. */
#define FLAC_MAX_BLOCK 65535u

struct cd_flac {
	FLAC__StreamDecoder *dec;
	struct dimg_io *io;
	const char *name;
	uint64_t pos;	  /* the decoder's byte position in the file */
	uint64_t samples; /* STREAMINFO total */
	uint8_t md5[16];  /* STREAMINFO MD5 of the samples, all zero unknown */
	unsigned rate, channels, bits, max_block;
	bool have_info;
	uint8_t blk[FLAC_MAX_BLOCK * 4]; /* the frame decoded last, as PCM */
	uint64_t blk_start;		 /* its first sample */
	uint32_t blk_len;		 /* its samples, 0 none */
	const char *bad;		 /* why decoding failed, NULL fine */
	uint64_t bad_at;		 /* the decoder's read position then */
	pthread_mutex_t lock;
};

static FLAC__StreamDecoderReadStatus on_read(const FLAC__StreamDecoder *dec, FLAC__byte *buf,
					     size_t *bytes, void *ctx)
{
	struct cd_flac *x = ctx;
	struct dimg_error err;
	size_t n = *bytes;
	(void)dec;
	if (x->pos >= x->io->size) {
		*bytes = 0;
		return FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM;
	}
	if (n > x->io->size - x->pos)
		n = (size_t)(x->io->size - x->pos);
	dimg_error_clear(&err);
	if (io_read(x->io, buf, n, x->pos, &err)) {
		x->bad = "the file could not be read";
		x->bad_at = x->pos;
		return FLAC__STREAM_DECODER_READ_STATUS_ABORT;
	}
	x->pos += n;
	*bytes = n;
	return FLAC__STREAM_DECODER_READ_STATUS_CONTINUE;
}

static FLAC__StreamDecoderSeekStatus on_seek(const FLAC__StreamDecoder *dec, FLAC__uint64 to,
					     void *ctx)
{
	struct cd_flac *x = ctx;
	(void)dec;
	if (to > x->io->size)
		return FLAC__STREAM_DECODER_SEEK_STATUS_ERROR;
	x->pos = to;
	return FLAC__STREAM_DECODER_SEEK_STATUS_OK;
}

static FLAC__StreamDecoderTellStatus on_tell(const FLAC__StreamDecoder *dec, FLAC__uint64 *at,
					     void *ctx)
{
	(void)dec;
	*at = ((struct cd_flac *)ctx)->pos;
	return FLAC__STREAM_DECODER_TELL_STATUS_OK;
}

static FLAC__StreamDecoderLengthStatus on_length(const FLAC__StreamDecoder *dec, FLAC__uint64 *len,
						 void *ctx)
{
	(void)dec;
	*len = ((struct cd_flac *)ctx)->io->size;
	return FLAC__STREAM_DECODER_LENGTH_STATUS_OK;
}

static FLAC__bool on_eof(const FLAC__StreamDecoder *dec, void *ctx)
{
	const struct cd_flac *x = ctx;
	(void)dec;
	return x->pos >= x->io->size;
}

static FLAC__StreamDecoderWriteStatus on_write(const FLAC__StreamDecoder *dec,
					       const FLAC__Frame *fr, const FLAC__int32 *const ch[],
					       void *ctx)
{
	struct cd_flac *x = ctx;
	uint32_t n = fr->header.blocksize;
	(void)dec;
	/* a stream may not change its format between frames; a hostile one
	 * would otherwise decode into the wrong shape */
	if (fr->header.channels != 2 || fr->header.bits_per_sample != 16 || n > FLAC_MAX_BLOCK ||
	    fr->header.number_type != FLAC__FRAME_NUMBER_TYPE_SAMPLE_NUMBER) {
		x->bad = "a frame that is not 16-bit stereo";
		x->bad_at = x->pos;
		x->blk_len = 0;
		return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint16_t l = (uint16_t)ch[0][i], r = (uint16_t)ch[1][i];
		uint8_t *p = x->blk + 4 * (size_t)i;
		p[0] = (uint8_t)l;
		p[1] = (uint8_t)(l >> 8);
		p[2] = (uint8_t)r;
		p[3] = (uint8_t)(r >> 8);
	}
	/* frames larger than STREAMINFO allows or past the stated length
	 * would overlap others: the same sample could read two ways */
	if ((x->max_block && n > x->max_block) ||
	    fr->header.number.sample_number + n > x->samples) {
		x->bad = "a frame larger than STREAMINFO allows or beyond the stated length";
		x->bad_at = x->pos;
		x->blk_len = 0;
		return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
	}
	x->blk_start = fr->header.number.sample_number;
	x->blk_len = n;
	return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

static void on_metadata(const FLAC__StreamDecoder *dec, const FLAC__StreamMetadata *m, void *ctx)
{
	struct cd_flac *x = ctx;
	(void)dec;
	if (m->type != FLAC__METADATA_TYPE_STREAMINFO)
		return;
	x->rate = m->data.stream_info.sample_rate;
	x->channels = m->data.stream_info.channels;
	x->bits = m->data.stream_info.bits_per_sample;
	x->samples = m->data.stream_info.total_samples;
	x->max_block = m->data.stream_info.max_blocksize;
	memcpy(x->md5, m->data.stream_info.md5sum, 16);
	x->have_info = true;
}

static void on_error(const FLAC__StreamDecoder *dec, FLAC__StreamDecoderErrorStatus st, void *ctx)
{
	struct cd_flac *x = ctx;
	(void)dec;
	/* libFLAC would skip the damaged frame and go on: the samples would
	 * silently shift, so every error ends the read */
	if (x->bad)
		return;
	x->bad_at = x->pos;
	switch (st) {
	case FLAC__STREAM_DECODER_ERROR_STATUS_LOST_SYNC:
		x->bad = "lost sync (damaged or missing data)";
		break;
	case FLAC__STREAM_DECODER_ERROR_STATUS_BAD_HEADER:
		x->bad = "bad frame header";
		break;
	case FLAC__STREAM_DECODER_ERROR_STATUS_FRAME_CRC_MISMATCH:
		x->bad = "frame CRC mismatch";
		break;
	default:
		x->bad = "undecodable data";
		break;
	}
}

void cd_flac_close(struct cd_flac *x)
{
	if (!x)
		return;
	if (x->dec)
		FLAC__stream_decoder_delete(x->dec);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

int cd_flac_open(struct cd_flac **out, struct dimg_io *io, const char *name, uint64_t *pcm_bytes,
		 struct dimg_error *err)
{
	struct cd_flac *x = calloc(1, sizeof(*x));
	int rc;
	*out = NULL;
	if (!x)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	pthread_mutex_init(&x->lock, NULL);
	x->io = io;
	x->name = name;
	if (!(x->dec = FLAC__stream_decoder_new())) {
		cd_flac_close(x);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	if (FLAC__stream_decoder_init_stream(x->dec, on_read, on_seek, on_tell, on_length, on_eof,
					     on_write, on_metadata, on_error,
					     x) != FLAC__STREAM_DECODER_INIT_STATUS_OK) {
		cd_flac_close(x);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE,
				"%s: cannot start a FLAC decoder", name);
	}
	if (!FLAC__stream_decoder_process_until_end_of_metadata(x->dec) || !x->have_info || x->bad)
		rc = dimg_err(err, DIMG_EFORMAT, 0, "%s: not a FLAC file (%s)", name,
			      x->bad ? x->bad : "no STREAMINFO");
	else if (x->rate != 44100 || x->channels != 2 || x->bits != 16)
		rc = dimg_err(err, DIMG_EFORMAT, 0,
			      "%s: FLAC of %u Hz, %u channel(s), %u bits; CD audio is 44100 Hz, "
			      "2 channels, 16 bits",
			      name, x->rate, x->channels, x->bits);
	else if (x->samples == 0)
		rc = dimg_err(err, DIMG_EFORMAT, 0,
			      "%s: the FLAC file does not say how many samples it holds", name);
	else
		rc = 0;
	if (rc) {
		cd_flac_close(x);
		return rc;
	}
	*pcm_bytes = x->samples * 4;
	*out = x;
	return 0;
}

/* Makes the decoded frame hold sample s. */
/* Decodes frames after the current one until one holds sample s; each must
 * start where the one before ended. */
static void forward(struct cd_flac *x, uint64_t s)
{
	while (!x->bad && !(s < x->blk_start + x->blk_len)) {
		uint64_t was = x->blk_start, next = x->blk_start + x->blk_len;
		bool first = !x->blk_len;
		if (!FLAC__stream_decoder_process_single(x->dec) || !x->blk_len ||
		    (!first && x->blk_start == was))
			break; /* no new frame: the end, or an error */
		if (first ? x->blk_start != 0 : x->blk_start != next) {
			x->bad = "frames out of sequence";
			x->bad_at = x->pos;
		}
	}
}

/* Makes the decoded frame hold sample s: decoding on from the current
 * frame when s is a little ahead, from the first frame when s is near the
 * start (so a pass from the start reads the stream in order, the same
 * every time), else through libFLAC's seek. */
static int frame_at(struct cd_flac *x, uint64_t s, struct dimg_error *err)
{
	if (x->blk_len && s >= x->blk_start && s < x->blk_start + x->blk_len)
		return 0;
	x->bad = NULL;
	if (x->blk_len && s >= x->blk_start + x->blk_len &&
	    s < x->blk_start + x->blk_len + FLAC_FORWARD) {
		forward(x, s);
	} else if (s < FLAC_FORWARD) {
		x->blk_len = 0;
		x->blk_start = 0;
		if (FLAC__stream_decoder_reset(x->dec) &&
		    FLAC__stream_decoder_process_until_end_of_metadata(x->dec))
			forward(x, s);
	} else {
		x->blk_len = 0;
		if (!FLAC__stream_decoder_seek_absolute(x->dec, s))
			FLAC__stream_decoder_flush(x->dec); /* usable for the next seek */
	}
	if (x->blk_len && s >= x->blk_start && s < x->blk_start + x->blk_len && !x->bad)
		return 0;
	x->blk_len = 0;
	if (x->bad)
		return dimg_err(err, DIMG_EFORMAT, (int64_t)x->bad_at, "%s: FLAC sample %llu: %s",
				x->name, (unsigned long long)s, x->bad);
	return dimg_err(
	    err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
	    "%s: FLAC sample %llu cannot be decoded (the file ends first or is damaged)", x->name,
	    (unsigned long long)s);
}

int cd_flac_read(struct cd_flac *x, void *buf, size_t len, uint64_t off, struct dimg_error *err)
{
	uint8_t *out = buf;
	int rc = 0;
	if (off > x->samples * 4 || len > x->samples * 4 - off)
		return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
				"%s: PCM bytes %llu+%zu lie beyond the file's %llu", x->name,
				(unsigned long long)off, len, (unsigned long long)(x->samples * 4));
	pthread_mutex_lock(&x->lock);
	while (len && rc == 0) {
		uint64_t s = off / 4;
		size_t at, n;
		if ((rc = frame_at(x, s, err)))
			break;
		at = (size_t)(s - x->blk_start) * 4 + (size_t)(off % 4);
		n = (size_t)x->blk_len * 4 - at;
		if (n > len)
			n = len;
		memcpy(out, x->blk + at, n);
		out += n;
		off += n;
		len -= n;
	}
	pthread_mutex_unlock(&x->lock);
	return rc;
}

int cd_flac_check_md5(struct cd_flac *x, bool *match, struct dimg_error *err)
{
	static const uint8_t none[16];
	uint8_t *buf, got[16];
	EVP_MD_CTX *md;
	uint64_t off = 0, total = x->samples * 4;
	int rc = 0;
	if (!memcmp(x->md5, none, 16))
		return DIMG_ENOTFOUND;
	buf = malloc(1u << 20);
	md = EVP_MD_CTX_new();
	if (!buf || !md || EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1) {
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		goto out;
	}
	/* for 16-bit stereo the signature is over exactly the PCM bytes:
	 * interleaved little-endian samples */
	while (off < total && rc == 0) {
		size_t n = total - off < (1u << 20) ? (size_t)(total - off) : (1u << 20);
		if ((rc = cd_flac_read(x, buf, n, off, err)) == 0 &&
		    EVP_DigestUpdate(md, buf, n) != 1)
			rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "MD5 failed");
		off += n;
	}
	if (rc == 0 && EVP_DigestFinal_ex(md, got, NULL) != 1)
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "MD5 failed");
	if (rc == 0)
		*match = !memcmp(got, x->md5, 16);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}
