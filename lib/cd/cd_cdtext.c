/* SPDX-License-Identifier: MIT */
/*
 * CD-TEXT packs (the lead-in R-W data, MMC READ TOC format 5, a .cdt file).
 *
 * A pack is 18 bytes: type (0x80 TITLE ... 0x8F size information), track
 * number, sequence number (counted per block), a byte holding the
 * double-byte flag (bit 7), the block number (bits 6-4) and the character
 * position (bits 3-0: characters of the current string already sent in
 * earlier packs, 15 meaning "15 or more"; a double-byte character counts
 * once), 12 payload bytes and the CRC of the first 16 bytes (cd_crc16,
 * big-endian).  Up to 8 blocks, one per language, of at most 256 packs.
 * Per block and type the payloads form a stream of strings: the disc's
 * (track 0) first, then one per track; a pack's track byte names the string
 * its first payload byte belongs to.  Single-byte strings end with a NUL,
 * double-byte ones with two; a string that is a lone TAB (two TABs in
 * double-byte text) means "same as the previous track".  GENRE carries a
 * 2-byte genre code before its text, DISC_ID, GENRE and CLOSED (0x8D) only
 * exist for the disc, 0x8E holds the disc's UPC/EAN then the tracks'
 * ISRCs.  Three 0x8F packs close each block: character set, first/last
 * track, copyright flags, pack counts per type, the last sequence number
 * and the language of every block.
 *
 * Character sets: ISO-8859-1 (0x00) and ASCII (0x01) are converted to
 * UTF-8 by hand (control characters become '?'); MS-JIS (0x80) is
 * Shift-JIS as Microsoft's code page 932, converted with iconv "CP932" (a
 * superset of JIS X 0208 Shift-JIS: it also reads the NEC and IBM
 * extensions Japanese discs use, and maps 0x5C/0x7E to ASCII; where plain
 * SHIFT_JIS gives U+301C WAVE DASH and a few other JIS symbols, CP932 gives
 * their fullwidth forms).  The Korean (0x81) and Mandarin (0x82) codes name
 * no byte encoding anyone documents, so their text is kept as bytes (the
 * block is "raw") and shown in hex.  The character set covers TITLE to
 * MESSAGE; DISC_ID, GENRE, CLOSED and UPC/ISRC are single-byte in every
 * block.  Double-byte strings end at the first two consecutive NULs (Shift-
 * JIS and EUC never contain a NUL byte, so this also reads writers that
 * pad odd-length strings differently); a lone NUL also ends one.
 *
 * A pack with a bad CRC is dropped and the string it cut is dropped with
 * it (its other packs do not resynchronise); input where no pack at all is
 * valid is an error.  What the model cannot keep is noted in cdtext_loss;
 * the packs themselves are kept (d->packs) when all of them are valid.
 */
#include "cd/cd_disc.h"
#include "cd/cd_subq.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACK 18
#define PAYLOAD 12
#define MAX_PACKS 256		/* sequence numbers of one block are a byte */
#define MAX_STR CD_TEXT_MAX_STR /* longest string kept; the rest is cut */
#define TRACK_NONE 0xFFFF
#define GENRE_UNDEFINED 0x0001

/* Pack types in stream order for the encoder and the field each holds. */
static const struct {
	uint8_t type;
	enum cd_text_field field;
	bool disc_only;
} types[] = {
    {0x80, CDT_TITLE, false},	 {0x81, CDT_PERFORMER, false}, {0x82, CDT_SONGWRITER, false},
    {0x83, CDT_COMPOSER, false}, {0x84, CDT_ARRANGER, false},  {0x85, CDT_MESSAGE, false},
    {0x86, CDT_DISC_ID, true},	 {0x87, CDT_GENRE, true},      {0x8D, CDT_CLOSED, true},
    {0x8E, CDT_UPC_ISRC, false},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static int type_slot(uint8_t type)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].type == type)
			return (int)i;
	return -1;
}

static bool pack_ok(const uint8_t *p)
{
	return cd_crc16(p, 16) == (uint16_t)((p[16] << 8) | p[17]);
}

/* ---- names --------------------------------------------------------------- */

/* EBU Tech 3264 annex 3, as MMC and the Sony CD-TEXT specification use it. */
static const char *const languages[128] = {
    "Unknown",	    "Albanian",	     "Breton",	      "Catalan",    "Croatian",	 "Welsh",
    "Czech",	    "Danish",	     "German",	      "English",    "Spanish",	 "Esperanto",
    "Estonian",	    "Basque",	     "Faroese",	      "French",	    "Frisian",	 "Irish",
    "Gaelic",	    "Galician",	     "Icelandic",     "Italian",    "Lappish",	 "Latin",
    "Latvian",	    "Luxembourgian", "Lithuanian",    "Hungarian",  "Maltese",	 "Dutch",
    "Norwegian",    "Occitan",	     "Polish",	      "Portuguese", "Romanian",	 "Romansh",
    "Serbian",	    "Slovak",	     "Slovenian",     "Finnish",    "Swedish",	 "Turkish",
    "Flemish",	    "Wallon",	     [0x45] = "Zulu", "Vietnamese", "Uzbek",	 "Urdu",
    "Ukrainian",    "Thai",	     "Telugu",	      "Tatar",	    "Tamil",	 "Tadzhik",
    "Swahili",	    "Sranan Tongo",  "Somali",	      "Sinhalese",  "Shona",	 "Serbo-croat",
    "Ruthenian",    "Russian",	     "Quechua",	      "Pushtu",	    "Punjabi",	 "Persian",
    "Papamiento",   "Oriya",	     "Nepali",	      "Ndebele",    "Marathi",	 "Moldavian",
    "Malaysian",    "Malagasay",     "Macedonian",    "Laotian",    "Korean",	 "Khmer",
    "Kazakh",	    "Kannada",	     "Japanese",      "Indonesian", "Hindi",	 "Hebrew",
    "Hausa",	    "Gurani",	     "Gujurati",      "Greek",	    "Georgian",	 "Fulani",
    "Dari",	    "Churash",	     "Chinese",	      "Burmese",    "Bulgarian", "Bengali",
    "Bielorussian", "Bambora",	     "Azerbaijani",   "Assamese",   "Armenian",	 "Arabic",
    "Amharic",
};

static const char *const genres[] = {
    "Not Used",
    "Not Defined",
    "Adult Contemporary",
    "Alternative Rock",
    "Childrens Music",
    "Classical",
    "Contemporary Christian",
    "Country",
    "Dance",
    "Easy Listening",
    "Erotic",
    "Folk",
    "Gospel",
    "Hip Hop",
    "Jazz",
    "Latin",
    "Musical",
    "New Age",
    "Opera",
    "Operetta",
    "Pop Music",
    "Rap",
    "Reggae",
    "Rock Music",
    "Rhythm & Blues",
    "Sound Effects",
    "Spoken Word",
    "World Music",
};

const char *cd_text_language_name(uint8_t code)
{
	return code < 128 ? languages[code] : NULL;
}

const char *cd_text_genre_name(uint16_t code)
{
	return code < sizeof(genres) / sizeof(genres[0]) ? genres[code] : NULL;
}

const char *cd_text_charset_name(uint8_t code)
{
	switch (code) {
	case CD_CS_LATIN1:
		return "ISO-8859-1";
	case CD_CS_ASCII:
		return "ASCII";
	case CD_CS_MSJIS:
		return "MS-JIS";
	case CD_CS_KOREAN:
		return "Korean";
	case CD_CS_MANDARIN:
		return "Mandarin";
	default:
		return NULL;
	}
}

/* ---- character sets ------------------------------------------------------ */

static bool is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7F && c < 0xA0);
}

/* Latin-1 to UTF-8; controls would only confuse sheets and terminals: "?"
 * unless lossy is NULL. */
static char *latin1_to_utf8(const uint8_t *s, size_t n, bool *lossy)
{
	char *out = malloc(2 * n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (is_control(c) && lossy) {
			*o++ = '?';
			*lossy = true;
		} else if (c < 0x80) {
			*o++ = (char)c;
		} else {
			*o++ = (char)(0xC0 | (c >> 6));
			*o++ = (char)(0x80 | (c & 0x3F));
		}
	}
	*o = 0;
	return out;
}

/* iconv of n bytes into a new NUL-terminated buffer of at most 3n + 1
 * bytes (enough for CP932 to UTF-8 and for UTF-8 to CP932).  Returns 0,
 * 1 when the input is not valid or iconv lacks the conversion, or
 * DIMG_ENOMEM. */
static int convert(const char *to, const char *from, const uint8_t *s, size_t n, char **out,
		   size_t *outlen)
{
	iconv_t cd = iconv_open(to, from);
	size_t left = 3 * n, inleft = n, r;
	char *buf, *o, *in = (char *)s;
	*out = NULL;
	if (cd == (iconv_t)-1)
		return 1;
	if (!(buf = malloc(left + 1))) {
		iconv_close(cd);
		return DIMG_ENOMEM;
	}
	o = buf;
	r = iconv(cd, &in, &inleft, &o, &left);
	if (r != (size_t)-1)
		r = iconv(cd, NULL, NULL, &o, &left);
	iconv_close(cd);
	if (r == (size_t)-1 || inleft) {
		free(buf);
		return 1;
	}
	*o = 0;
	*out = buf;
	if (outlen)
		*outlen = (size_t)(o - buf);
	return 0;
}

int cd_text_decode_str(uint8_t cs, bool in_charset, const uint8_t *s, size_t n, char **out,
		       bool *lossy)
{
	int rc;
	*out = NULL;
	if (!in_charset || cs < 0x80)
		return (*out = latin1_to_utf8(s, n, lossy)) ? 0 : DIMG_ENOMEM;
	if (cs != CD_CS_MSJIS || memchr(s, 0, n))
		return 1;
	if ((rc = convert("UTF-8", "CP932", s, n, out, NULL)))
		return rc;
	for (char *c = *out; *c && lossy; c++)
		if ((uint8_t)*c < 0x20 || *c == 0x7F) {
			*c = '?';
			*lossy = true;
		}
	return 0;
}

char *cd_text_display(const struct cd_text_block *b, enum cd_text_field f, const char *v)
{
	static const char mark[] = "(undecodable)";
	size_t n = strlen(v);
	char *out, *o;
	if (!b->raw || !cd_text_field_in_charset(f))
		return strdup(v);
	if (!(out = malloc(sizeof(mark) + 3 * n)))
		return NULL;
	o = out + sprintf(out, "%s", mark);
	for (size_t i = 0; i < n; i++)
		o += sprintf(o, " %02x", (uint8_t)v[i]);
	return out;
}

/* ---- decoding ------------------------------------------------------------ */

/* One block's strings as bytes, before they are converted. */
struct bstrings {
	uint8_t *s[CD_MAX_TRACKS + 1][CDT_COUNT];
	uint16_t n[CD_MAX_TRACKS + 1][CDT_COUNT];
};

struct stream {
	uint8_t buf[MAX_STR];
	size_t n;	    /* bytes gathered for the current string */
	unsigned track;	    /* track the current string belongs to */
	unsigned skip_code; /* GENRE code bytes still to skip */
	int last_seq;	    /* sequence number of the previous pack, -1 none */
	bool skipping;	    /* inside a string whose start was lost */
	bool dbcs;	    /* double-byte packs */
	bool zero;	    /* double-byte: one NUL seen */
	bool cut;	    /* the string was longer than MAX_STR */
};

struct dec {
	struct bstrings *bs;
	unsigned loss;
	bool has_code;
	uint16_t code;
};

static bool is_tab(const struct stream *st)
{
	return st->dbcs ? st->n == 2 && st->buf[0] == '\t' && st->buf[1] == '\t'
			: st->n == 1 && st->buf[0] == '\t';
}

static int commit(struct dec *dc, enum cd_text_field f, struct stream *st)
{
	struct bstrings *bs = dc->bs;
	unsigned t = st->track;
	const uint8_t *src = st->buf;
	size_t n = st->n;
	uint8_t *v;
	if (t > CD_MAX_TRACKS || !n)
		return 0;
	if (st->cut)
		dc->loss |= CD_CDT_CHARS;
	if (is_tab(st)) {
		/* "same as the previous track" */
		if (!t || !bs->s[t - 1][f])
			return 0;
		src = bs->s[t - 1][f];
		n = bs->n[t - 1][f];
	}
	if (!(v = malloc(n + 1)))
		return DIMG_ENOMEM;
	memcpy(v, src, n);
	v[n] = 0;
	free(bs->s[t][f]);
	bs->s[t][f] = v;
	bs->n[t][f] = (uint16_t)n;
	return 0;
}

static int end_string(struct dec *dc, enum cd_text_field f, struct stream *st)
{
	int r = 0;
	if (st->skipping)
		st->skipping = false;
	else
		r = commit(dc, f, st);
	st->n = 0;
	st->cut = false;
	if (st->track < TRACK_NONE)
		st->track++;
	return r;
}

static void append(struct stream *st, uint8_t c)
{
	if (st->skipping)
		return;
	if (st->n < MAX_STR)
		st->buf[st->n++] = c;
	else
		st->cut = true;
}

static int feed(struct dec *dc, enum cd_text_field f, struct stream *st, uint8_t c)
{
	int r;
	if (!st->dbcs) {
		if (!c)
			return end_string(dc, f, st);
		append(st, c);
		return 0;
	}
	if (st->zero) {
		st->zero = false;
		if ((r = end_string(dc, f, st)) || !c)
			return r;
		/* a lone NUL ended the string; c begins the next */
	} else if (!c) {
		st->zero = true;
		return 0;
	}
	append(st, c);
	return 0;
}

static int decode_pack(struct dec *dc, struct stream *st, enum cd_text_field f, const uint8_t *p)
{
	unsigned track = p[1] & 0x7F, pos = p[3] & 0x0F;
	bool db = (p[3] & 0x80) != 0;
	/* Single-byte: the position is the bytes already sent.  Double-byte
	 * writers count characters (libburn: bytes / 2, the first NUL of a
	 * terminator included, so 0 after one byte of a string that began at
	 * an odd offset); Shift-JIS mixes 1- and 2-byte characters, so any
	 * position up to the bytes sent is taken. */
	size_t sent = st->n + st->zero;
	bool pos_ok = st->dbcs ? pos <= sent && (pos > 0 || sent <= 1)
			       : (pos == 15 ? sent >= 15 : sent == pos);
	bool continues = (pos > 0 || sent) && !st->skipping && st->last_seq >= 0 &&
			 p[2] == (uint8_t)(st->last_seq + 1) && track == st->track &&
			 db == st->dbcs && pos_ok;
	int r;

	st->last_seq = p[2];
	if (!continues) {
		/* Anything gathered so far lost its end with a dropped pack. */
		if (st->n || st->skipping || pos > 0)
			dc->loss |= CD_CDT_DAMAGED;
		st->n = 0;
		st->zero = st->cut = false;
		st->track = track;
		st->dbcs = db;
		st->skip_code = 0;
		st->skipping = pos > 0;
		if (!pos && f == CDT_GENRE && track == 0) {
			st->skip_code = 2;
			if (!dc->has_code) {
				dc->has_code = true;
				dc->code = (uint16_t)(p[4] << 8 | p[5]);
			}
		}
	}
	for (size_t i = 4; i < 4 + PAYLOAD; i++) {
		if (st->skip_code) {
			st->skip_code--;
			continue;
		}
		if ((r = feed(dc, f, st, p[i])))
			return r;
	}
	return 0;
}

static void free_strings(struct bstrings *bs)
{
	for (int t = 0; t <= CD_MAX_TRACKS; t++)
		for (int f = 0; f < CDT_COUNT; f++) {
			free(bs->s[t][f]);
			bs->s[t][f] = NULL;
			bs->n[t][f] = 0;
		}
}

/* Converts block b's strings into d->cdtext[b]: the fields in the
 * character set as UTF-8 when all of them can be decoded, else as bytes
 * (raw); the others as ISO-8859-1. */
static int convert_block(struct cd_disc *d, int b, struct bstrings *bs, unsigned *loss,
			 struct dimg_error *err)
{
	struct cd_text_block *k = &d->cdtext[b];
	bool lossy = false, raw = k->charset >= 0x80 && k->charset != CD_CS_MSJIS;
	for (int t = 0; t <= CD_MAX_TRACKS && !raw && k->charset == CD_CS_MSJIS; t++)
		for (int f = 0; f <= CDT_MESSAGE && !raw; f++) {
			char *v;
			int rc;
			if (!bs->s[t][f])
				continue;
			rc = cd_text_decode_str(k->charset, true, bs->s[t][f], bs->n[t][f], &v,
						&lossy);
			if (rc == DIMG_ENOMEM)
				return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE,
						"out of memory");
			raw = rc != 0;
			free(v);
		}
	lossy = false;
	for (int t = 0; t <= CD_MAX_TRACKS; t++)
		for (int f = 0; f < CDT_COUNT; f++) {
			char *v = NULL;
			int rc;
			if (!bs->s[t][f])
				continue;
			if (raw && cd_text_field_in_charset(f)) {
				if ((rc = cd_disc_set_btext(d, b, t, (enum cd_text_field)f,
							    (const char *)bs->s[t][f], err)))
					return rc;
				continue;
			}
			rc = cd_text_decode_str(k->charset, cd_text_field_in_charset(f),
						bs->s[t][f], bs->n[t][f], &v, &lossy);
			if (rc)
				return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE,
						"out of memory");
			free(k->text[t][f]);
			k->text[t][f] = v;
		}
	k->raw = raw;
	if (lossy)
		*loss |= CD_CDT_CHARS;
	return 0;
}

int cd_cdtext_decode(struct cd_disc *d, const uint8_t *packs, size_t len, struct dimg_error *err)
{
	size_t n, good = 0;
	struct stream *st = NULL;
	struct dec dc = {0};
	uint8_t info[CD_TEXT_BLOCKS][3 * PAYLOAD];
	unsigned have_info[CD_TEXT_BLOCKS] = {0};
	bool present[CD_TEXT_BLOCKS] = {false}, dbcs[CD_TEXT_BLOCKS] = {false};
	int r = 0;

	/* A .cdt may start with the READ TOC header (2-byte length, 2
	 * reserved) and end with a NUL; the remainder modulo 18 tells which. */
	switch (len % PACK) {
	case 0:
		break;
	case 1:
		if (packs[len - 1])
			goto bad_len;
		len--;
		break;
	case 5:
		if (packs[len - 1])
			goto bad_len;
		len--;
		/* fallthrough */
	case 4:
		packs += 4;
		len -= 4;
		break;
	default:
		goto bad_len;
	}
	n = len / PACK;
	if (!n)
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "CD-TEXT: no packs");

	memset(info, 0, sizeof(info));
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = packs + i * PACK;
		int b = (p[3] >> 4) & 7;
		if (!pack_ok(p))
			continue;
		good++;
		present[b] = true;
		if (p[0] == 0x8F && p[1] < 3) {
			memcpy(info[b] + p[1] * PAYLOAD, p + 4, PAYLOAD);
			have_info[b] |= 1u << p[1];
		} else if (type_slot(p[0]) >= 0) {
			if ((p[3] & 0x80) && cd_text_field_in_charset(types[type_slot(p[0])].field))
				dbcs[b] = true;
		} else {
			dc.loss |= CD_CDT_TYPES; /* TOC_INFO (0x88, 0x89), reserved */
		}
	}
	if (!good)
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
				"CD-TEXT: none of the %zu packs has a valid CRC", n);
	if (good < n)
		dc.loss |= CD_CDT_DAMAGED;

	if (!(st = calloc(NTYPES, sizeof(*st))) || !(dc.bs = calloc(1, sizeof(*dc.bs)))) {
		r = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		goto out;
	}
	for (int b = 0; b < CD_TEXT_BLOCKS && !r; b++) {
		struct cd_text_block *k = &d->cdtext[b];
		if (!present[b])
			continue;
		memset(st, 0, NTYPES * sizeof(*st));
		for (size_t j = 0; j < NTYPES; j++)
			st[j].last_seq = -1;
		dc.has_code = false;
		dc.code = 0;
		for (size_t i = 0; i < n && !r; i++) {
			const uint8_t *p = packs + i * PACK;
			int j = type_slot(p[0]);
			if (j < 0 || ((p[3] >> 4) & 7) != b || !pack_ok(p))
				continue;
			r = decode_pack(&dc, &st[j], types[j].field, p);
		}
		for (size_t j = 0; j < NTYPES && !r; j++)
			if (st[j].dbcs && st[j].zero && st[j].n)
				r = end_string(&dc, types[j].field, &st[j]); /* lone final NUL */
		if (r) {
			r = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			break;
		}
		/* the block's own size information; the language also from
		 * another block's, as each lists them all */
		if (have_info[b] & 1) {
			k->charset = info[b][0];
			k->copyright = info[b][3];
		} else {
			k->charset = dbcs[b] ? CD_CS_MSJIS : CD_CS_LATIN1;
			k->copyright = 0;
		}
		k->language = b ? 0 : CD_LANG_ENGLISH;
		for (int o = -1; o < CD_TEXT_BLOCKS; o++) {
			int src = o < 0 ? b : o;
			if (have_info[src] & 4) {
				k->language = info[src][28 + b];
				break;
			}
		}
		k->has_genre_code = dc.has_code;
		k->genre_code = dc.code;
		r = convert_block(d, b, dc.bs, &dc.loss, err);
		free_strings(dc.bs);
	}
	if (r == 0) {
		d->cdtext_loss = dc.loss;
		free(d->packs);
		d->packs = NULL;
		d->packs_len = 0;
		if (good == n && (d->packs = malloc(n * PACK))) {
			memcpy(d->packs, packs, n * PACK);
			d->packs_len = n * PACK;
		} else if (good == n) {
			r = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		}
	}
out:
	if (dc.bs)
		free_strings(dc.bs);
	free(dc.bs);
	free(st);
	return r;

bad_len:
	return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
			"CD-TEXT: %zu bytes is not a whole number of 18-byte packs", len);
}

/* ---- encoding ------------------------------------------------------------ */

struct emitter {
	uint8_t *out;
	unsigned npacks; /* of all blocks */
	unsigned seq;	 /* in the current block */
	uint8_t block;
	uint8_t pay[PAYLOAD];
	unsigned fill;
	uint8_t type, track, pos;
	bool db;
	unsigned counts[16];
	bool full;
};

static void flush(struct emitter *e)
{
	uint8_t *p;
	if (!e->fill)
		return;
	if (e->seq >= MAX_PACKS - 3) {
		e->full = true; /* room for the three size packs is kept */
		e->fill = 0;
		return;
	}
	p = e->out + e->npacks * PACK;
	memset(e->pay + e->fill, 0, PAYLOAD - e->fill);
	p[0] = e->type;
	p[1] = e->track;
	p[2] = (uint8_t)e->seq;
	p[3] = (uint8_t)((e->db ? 0x80 : 0) | e->block << 4 | e->pos);
	memcpy(p + 4, e->pay, PAYLOAD);
	e->npacks++;
	e->seq++;
	e->counts[e->type & 15]++;
	e->fill = 0;
}

/* pos: index of c in its string (negative: the genre code before it). */
static void put(struct emitter *e, uint8_t c, unsigned track, long pos)
{
	if (!e->fill) {
		long chars = pos < 0 ? 0 : e->db ? pos / 2 : pos;
		e->track = (uint8_t)track;
		e->pos = (uint8_t)(chars > 15 ? 15 : chars);
	}
	e->pay[e->fill++] = c;
	if (e->fill == PAYLOAD)
		flush(e);
}

static void put_string(struct emitter *e, unsigned track, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(e, s[i], track, (long)i);
	put(e, 0, track, (long)n);
	if (e->db)
		put(e, 0, track, (long)n + 1);
}

static const char *who(int track, char *buf, size_t size)
{
	if (!track)
		return "the disc";
	snprintf(buf, size, "track %d", track);
	return buf;
}

/* UTF-8 to ISO-8859-1; out has room for strlen(s) bytes. */
static int to_latin1(const char *s, uint8_t *out, size_t *n, int b, int track, enum cd_text_field f,
		     bool controls_ok, struct dimg_error *err)
{
	const uint8_t *u = (const uint8_t *)s;
	char w[16];
	size_t k = 0;
	while (*u) {
		uint32_t cp;
		if (u[0] < 0x80) {
			cp = *u++;
		} else if ((u[0] & 0xE0) == 0xC0 && (u[1] & 0xC0) == 0x80) {
			cp = (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
			u += 2;
			if (cp < 0x80)
				goto bad_utf8;
		} else if ((u[0] & 0xF0) == 0xE0 && (u[1] & 0xC0) == 0x80 &&
			   (u[2] & 0xC0) == 0x80) {
			cp = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 |
			     (u[2] & 0x3F);
			u += 3;
		} else if ((u[0] & 0xF8) == 0xF0 && (u[1] & 0xC0) == 0x80 &&
			   (u[2] & 0xC0) == 0x80 && (u[3] & 0xC0) == 0x80) {
			cp = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
			     (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
			u += 4;
		} else {
			goto bad_utf8;
		}
		if (cp > 0xFF)
			return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
					"CD-TEXT block %d %s of %s: U+%04X is not in ISO-8859-1", b,
					cd_text_names[f], who(track, w, sizeof(w)), (unsigned)cp);
		/* A TAB would read as "same as previous"; C0/C1 controls have
		 * no meaning on a player's display. */
		if (is_control(cp) && !controls_ok)
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"CD-TEXT block %d %s of %s: control character 0x%02X", b,
					cd_text_names[f], who(track, w, sizeof(w)), (unsigned)cp);
		out[k++] = (uint8_t)cp;
	}
	*n = k;
	return 0;
bad_utf8:
	return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
			"CD-TEXT block %d %s of %s: invalid UTF-8", b, cd_text_names[f],
			who(track, w, sizeof(w)));
}

int cd_text_field_bytes(const struct cd_text_block *k, int b, int track, enum cd_text_field f,
			const char *v, uint8_t *out, size_t *n, bool controls_ok,
			struct dimg_error *err)
{
	size_t len = strlen(v);
	char w[16], *conv = NULL;
	int rc;
	if (len >= MAX_STR)
		return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
				"CD-TEXT block %d %s of %s is longer than %d bytes", b,
				cd_text_names[f], who(track, w, sizeof(w)), MAX_STR - 1);
	if (!cd_text_field_in_charset(f) || k->charset < 0x80)
		return to_latin1(v, out, n, b, track, f, controls_ok, err);
	if (k->raw) {
		memcpy(out, v, len);
		*n = len;
		return 0;
	}
	if (k->charset != CD_CS_MSJIS)
		return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
				"CD-TEXT block %d: character set 0x%02x can only be copied as "
				"bytes, not made from text",
				b, k->charset);
	for (const char *c = v; *c && !controls_ok; c++)
		if ((uint8_t)*c < 0x20 || *c == 0x7F)
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"CD-TEXT block %d %s of %s: control character 0x%02X", b,
					cd_text_names[f], who(track, w, sizeof(w)),
					(unsigned)(uint8_t)*c);
	rc = convert("CP932", "UTF-8", (const uint8_t *)v, len, &conv, n);
	if (rc == DIMG_ENOMEM)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	if (rc || *n >= MAX_STR) {
		free(conv);
		return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
				"CD-TEXT block %d %s of %s: \"%.64s\" is not representable in "
				"MS-JIS (code page 932)",
				b, cd_text_names[f], who(track, w, sizeof(w)), v);
	}
	memcpy(out, conv, *n);
	free(conv);
	return 0;
}

/* True when block b has text the packs would carry (disc, or a track in
 * first..last) or a genre code. */
static bool block_in_range(const struct cd_text_block *k, unsigned first, unsigned last)
{
	if (k->has_genre_code)
		return true;
	for (unsigned t = 0; t <= last; t = t ? t + 1 : first) {
		for (size_t j = 0; j < NTYPES; j++)
			if (k->text[t][types[j].field] && !(t && types[j].disc_only))
				return true;
		if (t == last)
			break;
	}
	return false;
}

static int encode_block(const struct cd_disc *d, int b, struct emitter *e, unsigned first,
			unsigned last, uint8_t *cur, uint8_t *prev, struct dimg_error *err)
{
	const struct cd_text_block *k = &d->cdtext[b];
	size_t ncur = 0, nprev = 0;
	int r;
	e->block = (uint8_t)b;
	e->seq = 0;
	memset(e->counts, 0, sizeof(e->counts));
	for (size_t j = 0; j < NTYPES && !e->full; j++) {
		enum cd_text_field f = types[j].field;
		unsigned hi = types[j].disc_only ? 0 : last;
		bool present = k->text[0][f] != NULL || (f == CDT_GENRE && k->has_genre_code);
		for (unsigned t = first; t <= hi && !present; t++)
			present = k->text[t][f] != NULL;
		if (!present)
			continue;
		e->type = types[j].type;
		e->db = cd_text_field_in_charset(f) && k->charset >= 0x80;
		nprev = 0;
		for (unsigned t = 0; t <= hi; t = t ? t + 1 : first) {
			const char *v = k->text[t][f] ? k->text[t][f] : "";
			if ((r = cd_text_field_bytes(k, b, (int)t, f, v, cur, &ncur, false, err)))
				return r;
			if (f == CDT_GENRE) {
				uint16_t code = k->has_genre_code ? k->genre_code : GENRE_UNDEFINED;
				put(e, (uint8_t)(code >> 8), t, -2);
				put(e, (uint8_t)code, t, -1);
			}
			if (t > first && ncur && ncur == nprev && !memcmp(cur, prev, ncur))
				put_string(e, t, (const uint8_t *)"\t\t", e->db ? 2 : 1);
			else
				put_string(e, t, cur, ncur);
			memcpy(prev, cur, ncur);
			nprev = ncur;
			if (t == hi)
				break;
		}
		flush(e);
	}
	if (e->full)
		return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
				"CD-TEXT block %d needs more than %d packs", b, MAX_PACKS);

	/* Size information: 36 bytes over three packs; the sequence numbers
	 * and languages of all blocks are filled in at the end. */
	uint8_t info[3 * PAYLOAD] = {0};
	e->counts[15] = 3;
	info[0] = k->charset;
	info[1] = (uint8_t)first;
	info[2] = (uint8_t)(last ? last : first);
	info[3] = k->copyright;
	for (int i = 0; i < 16; i++)
		info[4 + i] = (uint8_t)e->counts[i];
	for (int i = 0; i < 3; i++) {
		uint8_t *p = e->out + e->npacks * PACK;
		p[0] = 0x8F;
		p[1] = (uint8_t)i;
		p[2] = (uint8_t)e->seq;
		p[3] = (uint8_t)(b << 4);
		memcpy(p + 4, info + i * PAYLOAD, PAYLOAD);
		e->npacks++;
		e->seq++;
	}
	return 0;
}

int cd_cdtext_encode(const struct cd_disc *d, uint8_t **packs, size_t *len, struct dimg_error *err)
{
	struct emitter e = {0};
	unsigned first = 1, last = 0, lastseq[CD_TEXT_BLOCKS] = {0};
	uint8_t *cur = NULL, *prev = NULL, langs[CD_TEXT_BLOCKS] = {0};
	bool used[CD_TEXT_BLOCKS], any = false;
	int r = 0;

	*packs = NULL;
	*len = 0;
	if (d->ntracks > 0) {
		first = d->tracks[0].number;
		last = d->tracks[d->ntracks - 1].number;
	} else {
		for (int b = 0; b < CD_TEXT_BLOCKS; b++)
			for (unsigned t = 1; t <= CD_MAX_TRACKS; t++)
				for (int f = 0; f < CDT_COUNT; f++)
					if (d->cdtext[b].text[t][f] && t > last)
						last = t;
	}
	if (first < 1 || last > CD_MAX_TRACKS || (last && first > last))
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "CD-TEXT: bad track range");
	for (int b = 0; b < CD_TEXT_BLOCKS; b++) {
		used[b] = block_in_range(&d->cdtext[b], first, last);
		any |= used[b];
	}
	if (!any)
		return 0;

	e.out = malloc((size_t)CD_TEXT_BLOCKS * MAX_PACKS * PACK);
	cur = malloc(MAX_STR);
	prev = malloc(MAX_STR);
	if (!e.out || !cur || !prev) {
		r = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		goto out;
	}
	for (int b = 0; b < CD_TEXT_BLOCKS && !r; b++) {
		if (!used[b])
			continue;
		r = encode_block(d, b, &e, first, last, cur, prev, err);
		lastseq[b] = e.seq - 1;
		langs[b] = d->cdtext[b].language;
	}
	if (r)
		goto out;
	for (unsigned i = 0; i < e.npacks; i++) {
		uint8_t *p = e.out + i * PACK;
		uint16_t crc;
		if (p[0] == 0x8F && p[1] == 1)
			for (int b = 0; b < 4; b++)
				p[4 + 8 + b] = (uint8_t)lastseq[b];
		if (p[0] == 0x8F && p[1] == 2)
			for (int b = 0; b < CD_TEXT_BLOCKS; b++) {
				if (b >= 4)
					p[4 + b - 4] = (uint8_t)lastseq[b];
				p[4 + 4 + b] = langs[b];
			}
		crc = cd_crc16(p, 16);
		p[16] = (uint8_t)(crc >> 8);
		p[17] = (uint8_t)crc;
	}
	*packs = e.out;
	*len = (size_t)e.npacks * PACK;
	e.out = NULL;
out:
	free(e.out);
	free(cur);
	free(prev);
	return r;
}

int cd_cdtext_packs(const struct cd_disc *d, uint8_t **packs, size_t *len, struct dimg_error *err)
{
	if (!d->packs)
		return cd_cdtext_encode(d, packs, len, err);
	if (!(*packs = malloc(d->packs_len)))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	memcpy(*packs, d->packs, d->packs_len);
	*len = d->packs_len;
	return 0;
}

/* A value a cue sheet line says exactly: no quote (cue strings have no
 * escapes) and no control character. */
static bool cue_sayable(const char *v)
{
	for (; *v; v++)
		if (*v == '"' || (uint8_t)*v < 0x20 || *v == 0x7F)
			return false;
	return true;
}

bool cd_cdtext_cue_lines_suffice(const struct cd_disc *d)
{
	const struct cd_text_block *k = &d->cdtext[0];
	for (int b = 1; b < CD_TEXT_BLOCKS; b++)
		if (cd_text_block_used(d, b))
			return false;
	if (!cd_text_block_used(d, 0))
		return true;
	if (k->raw || k->charset != CD_CS_LATIN1 || k->language != CD_LANG_ENGLISH || k->copyright)
		return false;
	if (k->has_genre_code && !(k->genre_code == GENRE_UNDEFINED && k->text[0][CDT_GENRE]))
		return false;
	for (int t = 0; t <= CD_MAX_TRACKS; t++)
		for (int f = 0; f < CDT_COUNT; f++) {
			const char *v = k->text[t][f];
			if (!v)
				continue;
			if (f == CDT_CLOSED || (t && f == CDT_UPC_ISRC) || !cue_sayable(v))
				return false;
		}
	return true;
}
