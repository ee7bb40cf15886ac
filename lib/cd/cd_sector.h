/* SPDX-License-Identifier: MIT */
/*
 * Raw CD sectors (ECMA-130): MSF/LBA, the 2352-byte layouts of Mode 0,
 * Mode 1 and Mode 2 (formless, XA Form 1 and Form 2), EDC (the CRC of
 * ECMA-130 annex A) and ECC (the P and Q Reed-Solomon parities, annex A).
 */
#ifndef DIMG_CD_SECTOR_H
#define DIMG_CD_SECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CD_RAW 2352u
#define CD_SYNC_LEN 12u
#define CD_HEADER 12u	 /* minute, second, frame, mode */
#define CD_DATA1 16u	 /* Mode 1 user data */
#define CD_SUBHEADER 16u /* Mode 2 XA: 8 bytes (4 twice) */
#define CD_DATA2 24u	 /* Mode 2 XA user data */
#define CD_M1_EDC 2064u
#define CD_M1_ZERO 2068u
#define CD_P_PARITY 2076u /* 172 bytes */
#define CD_Q_PARITY 2248u /* 104 bytes */
#define CD_F1_EDC 2072u
#define CD_F2_EDC 2348u
#define CD_MSF_OFFSET 150 /* LBA 0 is MSF 00:02:00 */

enum cd_mode {
	CD_MODE0,
	CD_MODE1,
	CD_MODE2_FORMLESS,
	CD_MODE2_FORM1,
	CD_MODE2_FORM2,
};

/* Problems cd_sector_check reports (bit set). */
#define CD_BAD_SYNC 0x01u
#define CD_BAD_MSF 0x02u
#define CD_BAD_MODE 0x04u
#define CD_BAD_EDC 0x08u
#define CD_BAD_ECC 0x10u
#define CD_BAD_SUBHEADER 0x20u
#define CD_BAD_ZERO 0x40u

extern const uint8_t cd_sync[CD_SYNC_LEN];

void cd_lba_to_msf(int32_t lba, uint8_t *m, uint8_t *s, uint8_t *f);
int32_t cd_msf_to_lba(uint8_t m, uint8_t s, uint8_t f);
static inline uint8_t cd_bcd(uint8_t v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}
static inline uint8_t cd_unbcd(uint8_t v)
{
	return (uint8_t)((v >> 4) * 10 + (v & 15));
}

/* EDC over len bytes (0 to start): carry-less multiplication where the CPU
 * has it, else tables. */
uint32_t cd_edc(const uint8_t *p, size_t len, uint32_t edc);
/* The table version alone (the reference the fast one is tested against). */
uint32_t cd_edc_portable(const uint8_t *p, size_t len, uint32_t edc);
/* Computes P then Q parity of a Mode 1 / Mode 2 Form 1 sector in place;
 * for Form 1 the header takes part as zeros (ECMA-130 14.5). */
void cd_ecc_generate(uint8_t *sector, bool form1);
bool cd_ecc_check(const uint8_t *sector, bool form1);

/* Builds a raw sector around user data (2048 bytes for Mode 1 / Form 1,
 * 2324 for Form 2, 2336 for Mode 2 formless, ignored for Mode 0):
 * sync, header for lba, subheader (Mode 2 XA), EDC and ECC. */
void cd_sector_encode(uint8_t *sector, int32_t lba, enum cd_mode mode, const uint8_t *data,
		      const uint8_t subheader[4]);
/* Checks sync, header MSF against lba (lba < 0: not checked), EDC and ECC;
 * returns CD_BAD_* bits and the mode found. */
unsigned cd_sector_check(const uint8_t *sector, int32_t lba, enum cd_mode *mode);

/* ECMA-130 annex B scrambling of bytes 12..2351 of a data sector (as read
 * raw from a drive: .scram dumps); XOR with the same sequence, so applying it
 * twice gives the sector back. */
void cd_scramble(uint8_t *sector);
/* The scrambler's byte i (0 <= i < 2340). */
uint8_t cd_scramble_byte(unsigned i);

#endif
