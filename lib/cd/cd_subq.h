/* SPDX-License-Identifier: MIT */
/*
 * The CRC shared by the Q subchannel and CD-TEXT packs: CRC-16 with the
 * CCITT polynomial x^16 + x^12 + x^5 + 1 (0x1021), initial value 0, MSB
 * first, the result inverted and stored big-endian (ECMA-130 22.3.5 for Q;
 * CD-TEXT packs reuse it over their first 16 bytes).
 */
#ifndef DIMG_CD_SUBQ_H
#define DIMG_CD_SUBQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The inverted CRC over len bytes, ready to be stored big-endian. */
uint16_t cd_crc16(const uint8_t *p, size_t len);
/* The inverted CRC of the first 10 bytes of a Q subchannel block. */
uint16_t cd_subq_crc(const uint8_t *q10);
/* True when bytes 10..11 of q hold the CRC of bytes 0..9. */
bool cd_subq_check(const uint8_t q[12]);

#endif
