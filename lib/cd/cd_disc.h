/* SPDX-License-Identifier: MIT */
/*
 * The CD disc model shared by every raw CD container (cue, toc, ccd, plain
 * ISO as a one-track disc): sessions -> tracks -> indexes, flags, ISRC,
 * catalog, CD-TEXT, and where each sector's bytes are stored.
 *
 * Addresses are LBAs of the image: LBA 0 is the first sector of the first
 * FILE (MSF 00:00:00 in a cue sheet), which on a pressed disc is MSF
 * 00:02:00.  A track covers [begin, end): its pregap (INDEX 00 or PREGAP)
 * from begin to INDEX 01, then its data, then its POSTGAP.  The sectors of a
 * track come from an ordered list of segments: a run of sectors stored in a
 * file, or a run generated on the fly (silence for audio, empty sectors with
 * valid headers, EDC and ECC for data).
 */
#ifndef DIMG_CD_DISC_H
#define DIMG_CD_DISC_H

#include "core/core.h"

#include <stdbool.h>
#include <stdint.h>

#define CD_MAX_TRACKS 99
#define CD_MAX_INDEX 99
#define CD_MAX_FILES 256
#define CD_MAX_SEGS 4096
#define CD_MAX_REMS 64
/* Largest LBA accepted anywhere (99:59:74, beyond any real disc). */
#define CD_MAX_LBA (100 * 60 * 75)
/* Sectors between two sessions that no image stores: the lead-out of the
 * first session (6750) and the lead-in of the next (4500). */
#define CD_SESSION_GAP 11250

/* Track modes, named as in a cue sheet; the stored sector size follows. */
enum cd_tmode {
	CD_TM_AUDIO,
	CD_TM_CDG, /* audio + 96 bytes of R-W subchannel per sector */
	CD_TM_MODE1_2048,
	CD_TM_MODE1_2352,
	CD_TM_MODE2_2048, /* Mode 2 XA Form 1 user data only */
	CD_TM_MODE2_2324, /* Mode 2 XA Form 2 user data only */
	CD_TM_MODE2_2336, /* subheader + user data + EDC/ECC */
	CD_TM_MODE2_2352,
	CD_TM_CDI_2336,
	CD_TM_CDI_2352,
	CD_TM_COUNT
};

/* R-W subchannel stored after each sector of a track (cdrdao's TRACK <mode>
 * RW_RAW / RW): RAW is as on the disc, one 6-bit R-W symbol in bits 5..0 of
 * each of 96 bytes (bits 7 and 6, when not all zero, carry P and Q); PACKED
 * is de-interleaved and error-corrected, kept only as bytes.  A cue CDG
 * track is AUDIO with RAW R-W but has a mode of its own. */
enum cd_subrw { CD_SUBRW_NONE, CD_SUBRW_RAW, CD_SUBRW_PACKED };

struct cd_tmode_info {
	const char *cue;      /* "MODE1/2352" */
	uint16_t sector_size; /* bytes per sector in the file */
	uint8_t data_mode;    /* 0 audio, 1, 2 */
	bool raw;	      /* stores sync and header */
};
extern const struct cd_tmode_info cd_tmodes[CD_TM_COUNT];
/* Parses a cue-sheet mode name (case-insensitive); -1 if unknown. */
int cd_tmode_parse(const char *s);

/* Control flags (Q-channel ADR/CTL bits as cue FLAGS name them). */
#define CD_FLAG_DCP 0x2u   /* digital copy permitted */
#define CD_FLAG_4CH 0x8u   /* four-channel audio */
#define CD_FLAG_PRE 0x1u   /* pre-emphasis */
#define CD_FLAG_SCMS 0x80u /* serial copy management (not a CTL bit) */

/* BINARY and MOTOROLA: raw sectors, audio little- / big-endian; WAVE: RIFF
 * PCM (little-endian); AIFF: big-endian PCM in an AIFF or uncompressed AIFC;
 * FLAC: a cue WAVE FILE that is FLAC, decoded to little-endian PCM. */
enum cd_ftype { CD_FILE_BINARY, CD_FILE_MOTOROLA, CD_FILE_WAVE, CD_FILE_AIFF, CD_FILE_FLAC };

struct cd_file {
	char *name; /* as written in the sheet */
	enum cd_ftype type;
	struct dimg_io *io;   /* NULL until opened */
	uint64_t data_off;    /* WAVE, AIFF: first PCM byte; else 0 */
	uint64_t size;	      /* usable bytes from data_off */
	bool borrowed;	      /* io belongs to the image (plain ISO), not closed here */
	struct cd_flac *flac; /* FLAC: its decoder (size counts PCM bytes) */
	const uint8_t *map;   /* whole file mapped read-only (cd_disc_map_files) */
	size_t map_size;
	int line; /* line of the sheet naming it (for errors), 0 unknown */
};

struct cd_seg {
	int file;	 /* index in disc->files; -1 generated */
	uint64_t offset; /* byte offset from the file's data_off */
	uint32_t sectors;
};

/* CD-TEXT fields kept per block, for the disc and per track.  TITLE to
 * MESSAGE are in the block's character set; DISC_ID, GENRE, CLOSED (pack
 * 0x8D, "not shown by players") and UPC/ISRC are always single-byte. */
enum cd_text_field {
	CDT_TITLE,
	CDT_PERFORMER,
	CDT_SONGWRITER,
	CDT_COMPOSER,
	CDT_ARRANGER,
	CDT_MESSAGE,
	CDT_DISC_ID,
	CDT_GENRE,
	CDT_UPC_ISRC,
	CDT_CLOSED,
	CDT_COUNT
};
extern const char *const cd_text_names[CDT_COUNT]; /* "TITLE", ... */

/* CD-TEXT blocks (languages) and character codes (size information byte 0). */
#define CD_TEXT_BLOCKS 8
#define CD_CS_LATIN1 0x00 /* ISO-8859-1 */
#define CD_CS_ASCII 0x01
#define CD_CS_MSJIS 0x80    /* Shift-JIS, decoded as CP932 */
#define CD_CS_KOREAN 0x81   /* not decoded: kept as bytes */
#define CD_CS_MANDARIN 0x82 /* not decoded: kept as bytes */
#define CD_LANG_ENGLISH 0x09

static inline bool cd_text_field_in_charset(int f)
{
	return f <= CDT_MESSAGE;
}

/* One CD-TEXT block.  Text is UTF-8, except that when raw is set the fields
 * in the character set (TITLE..MESSAGE) hold the block's own bytes (a
 * character set dimg does not decode), NUL-terminated. */
struct cd_text_block {
	char *text[CD_MAX_TRACKS + 1][CDT_COUNT]; /* [0] disc, [n] track number n */
	uint8_t charset;			  /* CD_CS_* */
	uint8_t language;			  /* EBU Tech 3264 code (0x09 English) */
	uint8_t copyright;			  /* size information byte 3 */
	bool raw;
	bool has_genre_code;
	uint16_t genre_code;
};

/* What text decoded from packs does not say (cd_disc.cdtext_loss). */
#define CD_CDT_DAMAGED 0x1u /* packs with a bad CRC: their strings are gone */
#define CD_CDT_CHARS 0x2u   /* control characters shown as '?', overlong strings cut */
#define CD_CDT_TYPES 0x4u   /* packs of types the model does not keep (0x88-0x8C) */

struct cd_track {
	uint8_t number;	 /* 1..99 as recorded */
	uint8_t session; /* 1-based */
	enum cd_tmode mode;
	uint8_t sub_rw;			 /* enum cd_subrw: 96 more bytes a sector */
	bool scrambled;			 /* raw data stored scrambled (ECMA-130 annex B):
					  * CloneCD's DataTracksScrambled=1 */
	uint8_t flags;			 /* CD_FLAG_* */
	int32_t begin;			 /* first sector (pregap included) */
	int32_t start;			 /* INDEX 01 */
	int32_t end;			 /* one past the last sector (postgap included) */
	uint32_t pregap_gen;		 /* leading generated sectors (cue PREGAP) */
	uint32_t postgap;		 /* trailing generated sectors (cue POSTGAP) */
	int32_t index[CD_MAX_INDEX + 1]; /* absolute LBA, -1 absent */
	char isrc[13];
	int first_seg, nsegs;
	/* Parse time only (cue/toc): the FILE the track's INDEX times refer
	 * to, -1 none; index[] holds file-relative frames until layout. */
	int file;
	/* Parse time only (cue): INDEX 00 is in the FILE before `file` (EAC's
	 * "noncompliant" sheets: the pregap ends the previous FILE, INDEX 01
	 * begins a new one at 00:00:00), and where the track's first INDEX
	 * is in the sheet, for layout errors (line 0: unknown). */
	bool pregap_in_prev_file;
	int first_line, first_col;
};

struct cd_disc {
	int ntracks;
	struct cd_track tracks[CD_MAX_TRACKS];
	int nsessions;
	int32_t leadout;  /* one past the last sector of the last track */
	char catalog[14]; /* 13 digits or "" */
	struct cd_text_block cdtext[CD_TEXT_BLOCKS];
	/* The source's CD-TEXT packs (ccd [CDText], a CDTEXTFILE, an NRG CDTX
	 * chunk), 18 bytes each, every CRC valid, exactly what cdtext[] was
	 * decoded from: formats that store packs write them unchanged.  NULL
	 * when the source had none or the text no longer matches them. */
	uint8_t *packs;
	size_t packs_len;
	unsigned cdtext_loss; /* CD_CDT_*: what cdtext[] lacks of the packs */
	char *cdtextfile;     /* CDTEXTFILE name from a cue sheet */
	uint8_t *cdt;	      /* its bytes once read (cd_disc_load_cdtextfile) */
	size_t cdt_len;
	bool cdt_missing; /* named but not there */
	/* block 0 fields decoded from the CDTEXTFILE (a cue writer names the
	 * file instead of repeating them) */
	bool text_from_cdt[CD_MAX_TRACKS + 1][CDT_COUNT];
	char *rems[CD_MAX_REMS]; /* disc-level REM lines kept verbatim (after "REM ") */
	int nrems;
	int nfiles;
	struct cd_file files[CD_MAX_FILES];
	int nsegs;
	struct cd_seg segs[CD_MAX_SEGS];
	/* Subchannel: 96 bytes per sector, for LBAs [sub_begin, ...) or, when
	 * sub_by_file >= 0, in the order that data file stores its sectors
	 * (CloneCD: the .sub mirrors the .img, which skips session gaps). */
	int sub_file;	      /* -1 none */
	bool sub_interleaved; /* raw P-W interleaved (as read from a drive) */
	int32_t sub_begin;
	int sub_by_file;
	bool plain;	 /* made from a plain ISO (image_disc) */
	char sheet[128]; /* the sheet's file name, for errors */
	/* Bytes a container stores that lie outside the model (NRG keeps the
	 * first track's pregap from LBA -150 on; the model starts at LBA 0):
	 * verify warns and convert reports a loss when they are not all zero. */
	struct {
		int file; /* -1 none */
		uint64_t offset;
		uint64_t len;
	} unkept;
};

struct cd_disc *cd_disc_new(void);
/* 1 when the unkept bytes hold anything but zeros, 0 when they are all zero
 * (or there are none), a DIMG_E* code when they cannot be read. */
int cd_unkept_nonzero(const struct cd_disc *d, struct dimg_error *err);
void cd_disc_free(struct cd_disc *d);
/* Adds a file name; returns its index or a DIMG_E* code. */
int cd_disc_add_file(struct cd_disc *d, const char *name, enum cd_ftype type,
		     struct dimg_error *err);
/* Appends a segment to track t (which must be the last track). */
int cd_disc_add_seg(struct cd_disc *d, struct cd_track *t, int file, uint64_t offset,
		    uint32_t sectors, struct dimg_error *err);
/* Sets a text field of block 0, or of block b (cd_disc_set_btext). */
int cd_disc_set_text(struct cd_disc *d, int track, enum cd_text_field f, const char *val,
		     struct dimg_error *err);
int cd_disc_set_btext(struct cd_disc *d, int b, int track, enum cd_text_field f, const char *val,
		      struct dimg_error *err);
/* True when block b holds any text or a genre code; cd_text_any: any block. */
bool cd_text_block_used(const struct cd_disc *d, int b);
bool cd_text_any(const struct cd_disc *d);
/* Copies every block (text and attributes), the packs and cdtext_loss. */
int cd_disc_copy_text(struct cd_disc *o, const struct cd_disc *in, struct dimg_error *err);
/* Checks the finished model: tracks in order, begin <= index <= end, one
 * mode per track, segments covering every track exactly, sessions. */
int cd_disc_validate(const struct cd_disc *d, struct dimg_error *err);

/* Opens the files named by the model: relative names resolved in dir (a
 * name that is absolute or leaves dir through ".." is refused), matched
 * case-insensitively when the exact name is missing; WAVE headers parsed.
 * Segments must then lie inside their files. */
int cd_disc_open_files(struct cd_disc *d, const char *dir, struct dimg_error *err);

/* Reads and decodes the cue sheet's CDTEXTFILE (same name rules as FILE):
 * its text fills the fields the sheet left empty.  A missing file only sets
 * cdt_missing; undecodable packs are an error. */
int cd_disc_load_cdtextfile(struct cd_disc *d, const char *dir, struct dimg_error *err);

/* Maps every plain (not MOTOROLA) opened file read-only so whole-image
 * passes read the page cache without copying; unmapped by cd_disc_free.
 * Call before starting threads.  Failure to map just leaves reads as they
 * were. */
void cd_disc_map_files(struct cd_disc *d);
/* The stored bytes of sectors [lba, lba + *n) of track t inside a mapped
 * file when one segment holds them (*n cut to that segment), else NULL. */
const uint8_t *cd_stored_ptr(const struct cd_disc *d, const struct cd_track *t, int32_t lba,
			     uint32_t *n);

/* Track that holds lba, or NULL. */
const struct cd_track *cd_disc_track_at(const struct cd_disc *d, int32_t lba);
/* Bytes a track stores per sector: its mode's, plus inline R-W. */
static inline size_t cd_track_stride(const struct cd_track *t)
{
	return cd_tmodes[t->mode].sector_size + (t->sub_rw ? 96u : 0u);
}
/* True when the sectors of t carry raw R-W subchannel bytes (RW_RAW, CDG). */
static inline bool cd_track_raw_rw(const struct cd_track *t)
{
	return t->sub_rw == CD_SUBRW_RAW || t->mode == CD_TM_CDG;
}
/* True when the disc has subchannel data of its own (a .sub file or inline
 * R-W), not only what cd_sub_generate makes from the track table. */
bool cd_disc_has_sub(const struct cd_disc *d);
/* The data track whose file system the readers see: the first data track of
 * the last session that has one; NULL for a pure audio disc. */
const struct cd_track *cd_disc_data_track(const struct cd_disc *d);

/* Reads count sectors of track t from lba on, as the track stores them
 * (cd_track_stride(t) bytes each: inline R-W included), generating sectors
 * that no file holds.  MOTOROLA audio is returned little-endian. */
int cd_read_stored(const struct cd_disc *d, const struct cd_track *t, int32_t lba, uint32_t count,
		   uint8_t *buf, struct dimg_error *err);
/* Converts one stored sector of mode m at lba into 2352 raw bytes (sync,
 * header, subheader, EDC, ECC regenerated for cooked modes). */
void cd_stored_to_raw(enum cd_tmode m, int32_t lba, const uint8_t *in, uint8_t *raw);
/* The inverse: extracts the stored form of a raw sector; returns false when
 * the raw sector is not exactly what cd_stored_to_raw would make of it
 * (the conversion would lose bytes). */
bool cd_raw_to_stored(enum cd_tmode m, int32_t lba, const uint8_t *raw, uint8_t *out);
/* Reads count raw 2352-byte sectors from lba on (any tracks). */
int cd_read_raw(const struct cd_disc *d, int32_t lba, uint32_t count, uint8_t *buf,
		struct dimg_error *err);
/* len bytes of file f from off (counted from the file's start, data_off
 * included): the file's own bytes, or a FLAC file's decoded PCM. */
int cd_file_read(const struct cd_file *f, void *buf, size_t len, uint64_t off,
		 struct dimg_error *err);
/* Reads 96-byte subchannel blocks (deinterleaved P..W, 12 bytes each) from
 * the .sub file, or from the inline R-W of RW_RAW and CDG tracks with P and
 * Q generated (other sectors: generated); returns DIMG_ENOTFOUND when the
 * image has no subchannel data of its own (cd_disc_has_sub). */
int cd_read_sub(const struct cd_disc *d, int32_t lba, uint32_t count, uint8_t *buf,
		struct dimg_error *err);

/* Converts between the interleaved (drive) and deinterleaved (CloneCD)
 * layouts of 96-byte subchannel blocks. */
void cd_sub_deinterleave(const uint8_t in[96], uint8_t out[96]);
void cd_sub_interleave(const uint8_t in[96], uint8_t out[96]);
/* Generates P and Q (mode 1, position) for lba from the track table into a
 * deinterleaved 96-byte block (R-W zero). */
void cd_sub_generate(const struct cd_disc *d, int32_t lba, uint8_t out[96]);

/* Text formats.  Parsers fill an empty disc model from a sheet in memory
 * (name is used in errors: "name:line:col: message"); writers produce the
 * sheet for a model whose files are already named. */
int cd_cue_parse(struct cd_disc *d, const char *text, size_t len, const char *name,
		 struct dimg_error *err);
int cd_toc_parse(struct cd_disc *d, const char *text, size_t len, const char *name,
		 struct dimg_error *err);
int cd_ccd_parse(struct cd_disc *d, const char *text, size_t len, const char *name,
		 struct dimg_error *err);
/* Completes a parsed model once file sizes are known (cue: the last track of
 * each FILE extends to the end of the file). */
int cd_cue_layout(struct cd_disc *d, struct dimg_error *err);
int cd_toc_layout(struct cd_disc *d, struct dimg_error *err);
int cd_ccd_layout(struct cd_disc *d, struct dimg_error *err);

/* Nero NRG images (read only; cd_nrg.c).  cd_nrg_footer looks at the last
 * n bytes of a file of file_size bytes: 1 when they end with an NRG footer
 * whose first chunk lies before it (*chain: its offset, *chain_end: where
 * the footer starts), -1 when the footer points elsewhere, 0 without one.
 * cd_nrg_parse builds the model from the last tail_len bytes of the file
 * (footer and chunk chain; name is used in errors); the model's file 0 is
 * the image, its size the offset of the chunks, io left to the caller.
 * cd_nrg_layout checks every stored run lies in the sector data and no two
 * overlap. */
int cd_nrg_footer(const uint8_t *last, size_t n, uint64_t file_size, uint64_t *chain,
		  uint64_t *chain_end);
int cd_nrg_parse(struct cd_disc *d, const uint8_t *tail, size_t tail_len, uint64_t file_size,
		 const char *name, struct dimg_error *err);
int cd_nrg_layout(struct cd_disc *d, struct dimg_error *err);

/* Growable text buffer for the writers. */
struct cd_text_out {
	char *buf;
	size_t len, cap;
	bool failed;
};
void cd_out_printf(struct cd_text_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int cd_cue_write(const struct cd_disc *d, struct cd_text_out *o, struct dimg_error *err);
int cd_toc_write(const struct cd_disc *d, struct cd_text_out *o, struct dimg_error *err);
int cd_ccd_write(const struct cd_disc *d, struct cd_text_out *o, struct dimg_error *err);

/* CD-TEXT binary packs (18 bytes each incl. CRC; a .cdt file, optionally
 * with the 4-byte READ TOC header and a trailing NUL; cd_cdtext.c).
 * Decoding fills every block of d->cdtext, sets cdtext_loss and, when every
 * CRC is valid, keeps the packs in d->packs.  Encoding makes the packs of
 * every used block from the model; cd_cdtext_packs gives d->packs when the
 * model has them, else the encoding (*packs NULL, *len 0: no text). */
int cd_cdtext_decode(struct cd_disc *d, const uint8_t *packs, size_t len, struct dimg_error *err);
int cd_cdtext_encode(const struct cd_disc *d, uint8_t **packs, size_t *len, struct dimg_error *err);
int cd_cdtext_packs(const struct cd_disc *d, uint8_t **packs, size_t *len, struct dimg_error *err);
/* True when TITLE/PERFORMER/... lines of a cue sheet say everything the
 * model's CD-TEXT holds (block 0 only, single-byte, English, no genre code,
 * no CLOSED text, nothing only the packs held); else a cue needs a
 * CDTEXTFILE. */
bool cd_cdtext_cue_lines_suffice(const struct cd_disc *d);
/* Decodes n bytes of a string in character set cs (in_charset: the field
 * is one of TITLE..MESSAGE, else ISO-8859-1 applies) to UTF-8 in *out.
 * Returns 0, 1 when the character set is one dimg keeps as bytes or the
 * bytes are not valid in it (*out NULL), or DIMG_ENOMEM.  Control
 * characters become '?' and set *lossy, or are kept when lossy is NULL. */
int cd_text_decode_str(uint8_t cs, bool in_charset, const uint8_t *s, size_t n, char **out,
		       bool *lossy);
/* The bytes field f (of track, for messages) of block k (number b) is
 * stored as in packs, without terminator: ISO-8859-1, CP932 or the raw
 * bytes; out has room for CD_TEXT_MAX_STR.  controls_ok accepts control
 * characters (a reader checking only that the character set holds v). */
#define CD_TEXT_MAX_STR 4096
int cd_text_field_bytes(const struct cd_text_block *k, int b, int track, enum cd_text_field f,
			const char *v, uint8_t *out, size_t *n, bool controls_ok,
			struct dimg_error *err);
/* A field's value for display: the text, or "(undecodable) " and the bytes
 * in hex for a raw block.  Caller frees. */
char *cd_text_display(const struct cd_text_block *b, enum cd_text_field f, const char *v);
/* Names for reports ("English", "Classical", "ISO-8859-1"); NULL unknown. */
const char *cd_text_language_name(uint8_t code);
const char *cd_text_genre_name(uint16_t code);
const char *cd_text_charset_name(uint8_t code);

#endif
