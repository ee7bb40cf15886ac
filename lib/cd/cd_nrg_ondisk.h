/* SPDX-License-Identifier: MIT */
/*
 * Nero Burning ROM images (.nrg): the byte layout, as named offsets.  Nero
 * never published the format; these facts were checked against libcdio's and
 * libmirage's readers, BizHawk's NRG loader, the Wikipedia description and
 * the two NRG files of libcdio's test data (a DAO audio disc with "NER5" and
 * a TAO VideoCD with "NERO").  Every integer is big-endian.
 *
 * The sector data comes first; a chain of chunks (4-byte id, BE32 length,
 * that many bytes) follows it and a footer ends the file:
 *   Nero 5.5 and later  "NER5" + BE64 offset of the first chunk (12 bytes)
 *   older               "NERO" + BE32 offset of the first chunk  (8 bytes)
 * The chain ends with "END!" (length 0) just before the footer.
 */
#ifndef DIMG_CD_NRG_ONDISK_H
#define DIMG_CD_NRG_ONDISK_H

#define NRG_FOOTER_V2 12 /* "NER5" + BE64 */
#define NRG_FOOTER_V1 8	 /* "NERO" + BE32 */
#define NRG_CHUNK_HDR 8	 /* id + BE32 length of the data that follows */

/* CUES (old) / CUEX (5.5+): cue points of one session, 8 bytes each. */
#define NRG_CUE_SIZE 8
#define NRG_CUE_ADRCTL 0 /* Q control in the high nibble, ADR in the low one */
#define NRG_CUE_TRACK 1	 /* BCD: 00 lead-in, AA lead-out */
#define NRG_CUE_INDEX 2	 /* BCD */
#define NRG_CUE_ADDR 4	 /* CUEX: BE32 signed LBA; CUES: 0, M, S, F (binary MSF) */
#define NRG_TRACK_LEADOUT 0xAA

/* DAOI (old) / DAOX (5.5+): one session recorded disc-at-once. */
#define NRG_DAO_HDR 22
#define NRG_DAO_MCN 4	     /* 13 ASCII digits, or NULs */
#define NRG_DAO_DISC_TYPE 18 /* 0x00 CD-DA / CD-ROM, 0x10 CD-i, 0x20 CD-ROM XA */
#define NRG_DAO_FIRST 20     /* first and last track number (binary) */
#define NRG_DAO_LAST 21
/* then one entry per track */
#define NRG_DAOI_ENTRY 30
#define NRG_DAOX_ENTRY 42
#define NRG_DAO_ISRC 0	   /* 12 ASCII characters, or NULs */
#define NRG_DAO_SECSIZE 12 /* BE16: bytes per stored sector */
#define NRG_DAO_MODE 14	   /* mode code, see below */
#define NRG_DAO_OFFS                                                                               \
	18 /* file offsets of INDEX 00, INDEX 01 and the end:                                      \
	    * 3 x BE32 (DAOI) or 3 x BE64 (DAOX) */

/* TINF (oldest) / ETNF (old) / ETN2 (5.5+): one session recorded track at
 * once, one entry per track. */
#define NRG_TINF_ENTRY 12 /* BE32 offset, BE32 length in bytes, BE32 mode */
#define NRG_ETNF_ENTRY 20 /* the same, BE32 LBA (position without gaps), BE32 0 */
#define NRG_ETN2_ENTRY 32 /* BE64 offset, BE64 length, BE32 mode, BE32 LBA, 8 bytes 0 */

/* SINF: BE32 number of tracks of a session (one chunk per session).
 * MTYP: BE32 media type bits.  CDTX: CD-TEXT packs of 18 bytes. */
#define NRG_MEDIA_CD 0x00001u
#define NRG_MEDIA_CDROM 0x00400u

/* Track mode codes (DAO entries and TAO entries). */
#define NRG_MODE1 0x00	       /* Mode 1 user data, 2048 bytes */
#define NRG_MODE2_FORM1 0x02   /* Mode 2 Form 1 user data, 2048 bytes */
#define NRG_MODE2 0x03	       /* Mode 2 subheader + data + EDC/ECC, 2336 bytes */
#define NRG_MODE1_RAW 0x05     /* 2352 bytes */
#define NRG_MODE2_RAW 0x06     /* 2352 bytes */
#define NRG_AUDIO 0x07	       /* 2352 bytes, little-endian samples */
#define NRG_MODE1_RAW_SUB 0x0F /* 2352 + 96 bytes of raw P-W subchannel */
#define NRG_AUDIO_SUB 0x10     /* 2352 + 96 */
#define NRG_MODE2_RAW_SUB 0x11 /* 2352 + 96 */

#define NRG_DISC_CDI 0x10

#endif
