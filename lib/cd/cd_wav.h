/* SPDX-License-Identifier: MIT */
/* The canonical 44-byte WAV header of CD audio (16-bit stereo 44.1 kHz). */
#ifndef DIMG_CD_WAV_H
#define DIMG_CD_WAV_H

#include <stdint.h>

#define CD_WAV_HEADER 44u

void cd_wav_header(uint8_t h[CD_WAV_HEADER], uint32_t pcm_bytes);

#endif
