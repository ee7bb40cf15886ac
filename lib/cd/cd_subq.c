/* SPDX-License-Identifier: MIT */
/*
 * Subchannel blocks: the two 96-byte layouts and P/Q generation from the
 * disc model.
 *
 * A drive returns "raw interleaved" P-W: 96 bytes, byte i carrying bit i of
 * every channel (bit 7 = P ... bit 0 = W).  CloneCD's .sub stores them
 * deinterleaved: 12 bytes of P, then 12 of Q, ... then 12 of W, each channel
 * MSB first.
 *
 * Generated P and Q follow ECMA-130 section 22 (the Red Book wording):
 *  - P is the "music start flag": all ones in a track's pause, i.e. from the
 *    track's first sector to the one before INDEX 01, zero inside the
 *    track.  The Red Book lets the flag start early and lasts at least 2 s;
 *    we raise it exactly over the pregap the model describes.  In the
 *    lead-out the Red Book alternates it at 2 Hz after 2-3 s; we keep it at
 *    one over the whole lead-out, as CloneCD writes it, since no reader
 *    uses the alternation.
 *  - Q is mode 1 (ADR 1, position): CTL from the track flags (data tracks
 *    0x4, plus copy permitted), TNO and INDEX in BCD (INDEX 00 in the
 *    pregap), the relative time, a zero byte, the absolute time (LBA + 150)
 *    and the CRC.  In the pregap the relative time counts down to INDEX 01:
 *    the sector k before INDEX 01 reads k frames, so the time is continuous
 *    across the boundary (..., 00:00:01, then 00:00:00 at INDEX 01).  This
 *    is the "Philips" flavour; some masters end the pause at 00:00:00
 *    instead, which we do not produce.
 *  - Sectors after the last track of a session are lead-out (TNO 0xAA,
 *    INDEX 01, relative time from the lead-out start), the gap between two
 *    sessions included.  Lead-in (the TOC in Q) is never generated: no image
 *    stores it.  A disc without tracks gets all-zero blocks.
 */
#include "cd/cd_disc.h"
#include "cd/cd_sector.h"
#include "cd/cd_subq.h"

#include <string.h>

/* CRC-16/CCITT (0x1021) of every byte value, MSB first. */
static const uint16_t crc_tab[256] = {
    0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50a5, 0x60c6, 0x70e7, 0x8108, 0x9129, 0xa14a, 0xb16b,
    0xc18c, 0xd1ad, 0xe1ce, 0xf1ef, 0x1231, 0x0210, 0x3273, 0x2252, 0x52b5, 0x4294, 0x72f7, 0x62d6,
    0x9339, 0x8318, 0xb37b, 0xa35a, 0xd3bd, 0xc39c, 0xf3ff, 0xe3de, 0x2462, 0x3443, 0x0420, 0x1401,
    0x64e6, 0x74c7, 0x44a4, 0x5485, 0xa56a, 0xb54b, 0x8528, 0x9509, 0xe5ee, 0xf5cf, 0xc5ac, 0xd58d,
    0x3653, 0x2672, 0x1611, 0x0630, 0x76d7, 0x66f6, 0x5695, 0x46b4, 0xb75b, 0xa77a, 0x9719, 0x8738,
    0xf7df, 0xe7fe, 0xd79d, 0xc7bc, 0x48c4, 0x58e5, 0x6886, 0x78a7, 0x0840, 0x1861, 0x2802, 0x3823,
    0xc9cc, 0xd9ed, 0xe98e, 0xf9af, 0x8948, 0x9969, 0xa90a, 0xb92b, 0x5af5, 0x4ad4, 0x7ab7, 0x6a96,
    0x1a71, 0x0a50, 0x3a33, 0x2a12, 0xdbfd, 0xcbdc, 0xfbbf, 0xeb9e, 0x9b79, 0x8b58, 0xbb3b, 0xab1a,
    0x6ca6, 0x7c87, 0x4ce4, 0x5cc5, 0x2c22, 0x3c03, 0x0c60, 0x1c41, 0xedae, 0xfd8f, 0xcdec, 0xddcd,
    0xad2a, 0xbd0b, 0x8d68, 0x9d49, 0x7e97, 0x6eb6, 0x5ed5, 0x4ef4, 0x3e13, 0x2e32, 0x1e51, 0x0e70,
    0xff9f, 0xefbe, 0xdfdd, 0xcffc, 0xbf1b, 0xaf3a, 0x9f59, 0x8f78, 0x9188, 0x81a9, 0xb1ca, 0xa1eb,
    0xd10c, 0xc12d, 0xf14e, 0xe16f, 0x1080, 0x00a1, 0x30c2, 0x20e3, 0x5004, 0x4025, 0x7046, 0x6067,
    0x83b9, 0x9398, 0xa3fb, 0xb3da, 0xc33d, 0xd31c, 0xe37f, 0xf35e, 0x02b1, 0x1290, 0x22f3, 0x32d2,
    0x4235, 0x5214, 0x6277, 0x7256, 0xb5ea, 0xa5cb, 0x95a8, 0x8589, 0xf56e, 0xe54f, 0xd52c, 0xc50d,
    0x34e2, 0x24c3, 0x14a0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405, 0xa7db, 0xb7fa, 0x8799, 0x97b8,
    0xe75f, 0xf77e, 0xc71d, 0xd73c, 0x26d3, 0x36f2, 0x0691, 0x16b0, 0x6657, 0x7676, 0x4615, 0x5634,
    0xd94c, 0xc96d, 0xf90e, 0xe92f, 0x99c8, 0x89e9, 0xb98a, 0xa9ab, 0x5844, 0x4865, 0x7806, 0x6827,
    0x18c0, 0x08e1, 0x3882, 0x28a3, 0xcb7d, 0xdb5c, 0xeb3f, 0xfb1e, 0x8bf9, 0x9bd8, 0xabbb, 0xbb9a,
    0x4a75, 0x5a54, 0x6a37, 0x7a16, 0x0af1, 0x1ad0, 0x2ab3, 0x3a92, 0xfd2e, 0xed0f, 0xdd6c, 0xcd4d,
    0xbdaa, 0xad8b, 0x9de8, 0x8dc9, 0x7c26, 0x6c07, 0x5c64, 0x4c45, 0x3ca2, 0x2c83, 0x1ce0, 0x0cc1,
    0xef1f, 0xff3e, 0xcf5d, 0xdf7c, 0xaf9b, 0xbfba, 0x8fd9, 0x9ff8, 0x6e17, 0x7e36, 0x4e55, 0x5e74,
    0x2e93, 0x3eb2, 0x0ed1, 0x1ef0,
};

uint16_t cd_crc16(const uint8_t *p, size_t len)
{
	uint16_t crc = 0;
	while (len--)
		crc = (uint16_t)((crc << 8) ^ crc_tab[((crc >> 8) ^ *p++) & 0xFF]);
	return (uint16_t)~crc;
}

uint16_t cd_subq_crc(const uint8_t *q10)
{
	return cd_crc16(q10, 10);
}

bool cd_subq_check(const uint8_t q[12])
{
	return cd_subq_crc(q) == (uint16_t)((q[10] << 8) | q[11]);
}

void cd_sub_deinterleave(const uint8_t in[96], uint8_t out[96])
{
	memset(out, 0, 96);
	for (int i = 0; i < 96; i++)
		for (int c = 0; c < 8; c++)
			if (in[i] & (0x80 >> c))
				out[c * 12 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

void cd_sub_interleave(const uint8_t in[96], uint8_t out[96])
{
	memset(out, 0, 96);
	for (int i = 0; i < 96; i++)
		for (int c = 0; c < 8; c++)
			if (in[c * 12 + i / 8] & (0x80 >> (i % 8)))
				out[i] |= (uint8_t)(0x80 >> c);
}

/* Frames as three BCD bytes; a Q time field cannot exceed 99:59:74. */
static void put_msf(uint8_t *at, int32_t frames)
{
	if (frames < 0)
		frames = 0;
	if (frames > 100 * 4500 - 1)
		frames = 100 * 4500 - 1;
	at[0] = cd_bcd((uint8_t)(frames / 4500));
	at[1] = cd_bcd((uint8_t)(frames / 75 % 60));
	at[2] = cd_bcd((uint8_t)(frames % 75));
}

static uint8_t track_ctl(const struct cd_track *t)
{
	if (cd_tmodes[t->mode].data_mode)
		return (uint8_t)(0x4 | (t->flags & CD_FLAG_DCP));
	return (uint8_t)(t->flags & (CD_FLAG_DCP | CD_FLAG_PRE | CD_FLAG_4CH));
}

void cd_sub_generate(const struct cd_disc *d, int32_t lba, uint8_t out[96])
{
	uint8_t *p = out, *q = out + 12;
	const struct cd_track *t = cd_disc_track_at(d, lba), *prev = NULL;
	uint8_t tno, index = 1;
	int32_t rel, abs;
	bool pflag;

	memset(out, 0, 96);
	if (d->ntracks < 1)
		return;
	if (!t) {
		/* Before the first track: its pregap (track 1's two seconds at
		 * negative LBAs).  Otherwise after prev: lead-out if prev closes
		 * its session, else a hole counted as the next track's pause. */
		for (int i = 0; i < d->ntracks && d->tracks[i].end <= lba; i++)
			prev = &d->tracks[i];
		if (!prev) {
			t = &d->tracks[0];
		} else if (prev == &d->tracks[d->ntracks - 1] || prev[1].session != prev->session) {
			q[0] = (uint8_t)(track_ctl(prev) << 4 | 1);
			tno = 0xAA;
			rel = lba - prev->end;
			pflag = true;
			goto fill;
		} else {
			t = prev + 1;
		}
	}
	q[0] = (uint8_t)(track_ctl(t) << 4 | 1);
	tno = cd_bcd(t->number);
	if (lba < t->start) {
		index = 0;
		rel = t->start - lba;
		pflag = true;
	} else {
		for (int k = 2; k <= CD_MAX_INDEX; k++)
			if (t->index[k] >= 0 && t->index[k] <= lba)
				index = (uint8_t)k;
		index = cd_bcd(index);
		rel = lba - t->start;
		pflag = false;
	}
fill:
	q[1] = tno;
	q[2] = index;
	put_msf(q + 3, rel);
	q[6] = 0;
	/* Absolute time wraps below 00:00:00 the way the lead-in counts. */
	abs = (lba + CD_MSF_OFFSET) % 450000;
	if (abs < 0)
		abs += 450000;
	put_msf(q + 7, abs);
	uint16_t crc = cd_subq_crc(q);
	q[10] = (uint8_t)(crc >> 8);
	q[11] = (uint8_t)crc;
	if (pflag)
		memset(p, 0xFF, 12);
}
