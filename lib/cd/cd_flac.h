/* SPDX-License-Identifier: MIT */
/* FLAC audio files of cue sheets, decoded to CD PCM (16-bit LE stereo). */
#ifndef DIMG_CD_FLAC_H
#define DIMG_CD_FLAC_H

#include "core/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cd_flac;

/* Reads the STREAMINFO of the FLAC file in io (name for errors): it must be
 * 44.1 kHz 16-bit stereo and state its length; *pcm_bytes is 4 a sample. */
int cd_flac_open(struct cd_flac **out, struct dimg_io *io, const char *name, uint64_t *pcm_bytes,
		 struct dimg_error *err);
/* len PCM bytes from byte off; a damaged frame is an error, not a gap. */
int cd_flac_read(struct cd_flac *x, void *buf, size_t len, uint64_t off, struct dimg_error *err);
/* Decodes the whole file and compares its samples with the MD5 signature
 * of its STREAMINFO (*match); DIMG_ENOTFOUND when the file has none. */
int cd_flac_check_md5(struct cd_flac *x, bool *match, struct dimg_error *err);
void cd_flac_close(struct cd_flac *x);

#endif
