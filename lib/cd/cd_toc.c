/* SPDX-License-Identifier: MIT */
/*
 * cdrdao TOC files (cdrdao(1), "TOC FILES"): a tokenizer, a statement parser
 * that fills the disc model, the layout that runs once the file sizes are
 * known, and a writer.
 *
 * Semantics kept from cdrdao:
 *  - FILE/AUDIOFILE "name" [SWAP] [#offset] [start] [length]: audio from a
 *    file; plain integers count samples (4 bytes, 588 a sector) in audio
 *    tracks and bytes in data tracks, MM:SS:FF counts sectors of the track.
 *    DATAFILE "name" [#offset] [length]: plain integers count bytes.  A
 *    length that is omitted or 0 means "to the end of the file".
 *  - Raw audio files are big-endian (Motorola) unless SWAP is given; names
 *    ending in ".wav" are WAVE files.  Files of data tracks are raw.
 *  - TRACK <mode> RW_RAW / RW: 96 bytes of R-W sub-channel (raw, packed)
 *    follow every sector of the track's files, and byte lengths count them;
 *    AUDIO RW_RAW is the model's CDG mode.
 *  - PREGAP is SILENCE/ZERO plus START; START sets INDEX 01 from the track
 *    begin (the current length without an argument); INDEX positions are
 *    relative to START.
 * Leniencies (libcdio's test sheets rely on them): FILE and SILENCE are also
 * accepted in data tracks, the start of FILE may be omitted, keywords are
 * case-insensitive.
 */
#include "cd/cd_disc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOC_MAX_INPUT (16u << 20)	 /* keeps line and column counts in an int */
#define TOC_MAX_STRING 4096		 /* longest string (file name, CD-TEXT) */
#define TOC_MAX_BINARY (256 * 12)	 /* CD-TEXT binary item, as cdrdao */
#define TOC_MAX_CDT (TOC_MAX_BINARY - 3) /* CD-TEXT string (fits one block's packs) */
#define TOC_MAX_NUMBER 1000000000000000ULL
#define TOC_MAX_MINUTES 100000u
#define TOC_MAX_OFFSET (1ULL << 40) /* byte offsets into a file */
#define TOC_REST UINT32_MAX	    /* segment runs to the end of its file */
#define SAMPLES_PER_SECTOR 588u
#define SUBCHANNEL_BYTES 96u

/*
 * Between parse and layout a position inside a track (INDEX 01, further
 * indexes) is either a plain sector count from the track begin (>= 0) or,
 * when it follows a segment whose length is only known once the file size
 * is (START without argument after "FILE x 0"), "delta sectors after the
 * end of the track's segment number anchor", encoded below -1 (-1 means
 * absent).
 */
#define POS_BASE ((int64_t)CD_MAX_LBA + 1)
_Static_assert((int64_t)CD_MAX_SEGS *POS_BASE + 2 < INT32_MAX, "position encoding overflows");

static int32_t pos_encode(int anchor, uint32_t delta)
{
	if (anchor < 0)
		return (int32_t)delta;
	return (int32_t)(-2 - ((int64_t)anchor * POS_BASE + delta));
}

static void pos_decode(int32_t v, int *anchor, uint32_t *delta)
{
	int64_t x;
	if (v >= 0) {
		*anchor = -1;
		*delta = (uint32_t)v;
		return;
	}
	x = -2 - (int64_t)v;
	*anchor = (int)(x / POS_BASE);
	*delta = (uint32_t)(x % POS_BASE);
}

/* ---- tokenizer ---------------------------------------------------------- */

enum toc_tt {
	TT_EOF,
	TT_WORD,
	TT_STRING,
	TT_INT,
	TT_MSF,
	TT_OFFSET,
	TT_LBRACE,
	TT_RBRACE,
	TT_COLON,
	TT_COMMA,
};

struct toc_tok {
	enum toc_tt type;
	int line, col;
	const char *text; /* TT_WORD: the word (not terminated) */
	size_t len;	  /* TT_WORD: its length; TT_STRING: bytes in lx->str */
	uint64_t val;	  /* TT_INT, TT_OFFSET: value; TT_MSF: sectors */
	bool utf8;	  /* TT_STRING: had bytes >= 0x80 as such (not \ooo) */
};

struct toc_lex {
	const char *p, *end, *bol;
	int line;
	const char *name;
	struct dimg_error *err;
	struct toc_tok tok;	      /* the lookahead */
	char str[TOC_MAX_STRING + 1]; /* decoded text of a TT_STRING lookahead */
};

__attribute__((format(printf, 5, 6))) static int at_err(struct toc_lex *lx, int line, int col,
							int code, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dimg_err(lx->err, code, DIMG_OFFSET_NONE, "%s:%d:%d: %s", lx->name, line, col, msg);
}

#define tok_err(lx, code, ...) at_err((lx), (lx)->tok.line, (lx)->tok.col, (code), __VA_ARGS__)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_word_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || is_digit(c);
}

/* Reads decimal digits; *big when the value passes TOC_MAX_NUMBER (the
 * digits are still consumed so the error points at the whole number). */
static const char *scan_uint(const char *p, const char *end, uint64_t *v, bool *big)
{
	*v = 0;
	*big = false;
	while (p < end && is_digit(*p)) {
		if (*v > TOC_MAX_NUMBER)
			*big = true;
		else
			*v = *v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	return p;
}

static int lex_number(struct toc_lex *lx, const char *p)
{
	struct toc_tok *t = &lx->tok;
	const char *start = p, *q;
	uint64_t m, s, f;
	bool big, big2, big3;
	q = scan_uint(p, lx->end, &m, &big);
	/* mm:ss:ff only when both colons are followed by digits, so that a
	 * language map entry "0:9" stays a number, a colon and a number */
	if (q + 1 < lx->end && q[0] == ':' && is_digit(q[1])) {
		const char *q2 = scan_uint(q + 1, lx->end, &s, &big2);
		if (q2 + 1 < lx->end && q2[0] == ':' && is_digit(q2[1])) {
			q = scan_uint(q2 + 1, lx->end, &f, &big3);
			if (q < lx->end && is_word_char(*q))
				return tok_err(lx, DIMG_EFORMAT, "bad time '%.*s...'",
					       (int)(q - start > 32 ? 32 : q - start), start);
			if (big || big2 || big3 || m > TOC_MAX_MINUTES)
				return tok_err(lx, DIMG_EFORMAT, "time '%.*s' is too large",
					       (int)(q - start > 32 ? 32 : q - start), start);
			if (s > 59)
				return tok_err(lx, DIMG_EFORMAT,
					       "bad time '%.*s': seconds must "
					       "be 0..59",
					       (int)(q - start), start);
			if (f > 74)
				return tok_err(lx, DIMG_EFORMAT,
					       "bad time '%.*s': frames must "
					       "be 0..74",
					       (int)(q - start), start);
			t->type = TT_MSF;
			t->val = (m * 60 + s) * 75 + f;
			lx->p = q;
			return 0;
		}
	}
	if (q < lx->end && is_word_char(*q))
		return tok_err(lx, DIMG_EFORMAT, "bad number '%.*s...'",
			       (int)(q - start > 32 ? 32 : q - start + 1), start);
	if (big)
		return tok_err(lx, DIMG_EFORMAT, "number '%.*s' is too large",
			       (int)(q - start > 32 ? 32 : q - start), start);
	t->type = TT_INT;
	t->val = m;
	lx->p = q;
	return 0;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* A string as cdrdao reads it: \" is a quote, \ooo an octal byte, any other
 * backslash stands for itself; a string ends on its line. */
static int lex_string(struct toc_lex *lx, const char *p)
{
	struct toc_tok *t = &lx->tok;
	size_t n = 0;
	p++;
	for (;;) {
		char c;
		if (p >= lx->end || *p == '\n')
			return tok_err(lx, DIMG_EFORMAT, "unterminated string");
		c = *p;
		if (c == '"') {
			p++;
			break;
		}
		if (c == '\0')
			return at_err(lx, lx->line, (int)(p - lx->bol) + 1, DIMG_EFORMAT,
				      "nul byte in a string");
		if (c == '\\' && p + 1 < lx->end && p[1] == '"') {
			p += 2;
			c = '"';
		} else if (c == '\\' && lx->end - p >= 4 && is_octal(p[1]) && is_octal(p[2]) &&
			   is_octal(p[3])) {
			unsigned v = (unsigned)(p[1] - '0') * 64 + (unsigned)(p[2] - '0') * 8 +
				     (unsigned)(p[3] - '0');
			if (v == 0 || v > 255)
				return at_err(lx, lx->line, (int)(p - lx->bol) + 1, DIMG_EFORMAT,
					      "octal escape \\%.3s is not a byte 1..255", p + 1);
			c = (char)v;
			p += 4;
		} else {
			if ((unsigned char)c >= 0x80)
				t->utf8 = true;
			p++;
		}
		if (n >= TOC_MAX_STRING)
			return tok_err(lx, DIMG_ELIMIT, "string longer than %d bytes",
				       TOC_MAX_STRING);
		lx->str[n++] = c;
	}
	lx->str[n] = '\0';
	t->type = TT_STRING;
	t->len = n;
	lx->p = p;
	return 0;
}

/* Scans the next token into lx->tok. */
static int lex_next(struct toc_lex *lx)
{
	struct toc_tok *t = &lx->tok;
	const char *p = lx->p;
	unsigned char c;
	for (;;) {
		if (p >= lx->end)
			break;
		c = (unsigned char)*p;
		if (c == '\n') {
			lx->line++;
			lx->bol = ++p;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			p++;
		} else if (c == '/' && p + 1 < lx->end && p[1] == '/') {
			const char *nl = memchr(p, '\n', (size_t)(lx->end - p));
			p = nl ? nl : lx->end;
		} else {
			break;
		}
	}
	lx->p = p;
	memset(t, 0, sizeof(*t));
	t->line = lx->line;
	t->col = (int)(p - lx->bol) + 1;
	if (p >= lx->end) {
		t->type = TT_EOF;
		return 0;
	}
	c = (unsigned char)*p;
	switch (c) {
	case '{':
		t->type = TT_LBRACE;
		break;
	case '}':
		t->type = TT_RBRACE;
		break;
	case ':':
		t->type = TT_COLON;
		break;
	case ',':
		t->type = TT_COMMA;
		break;
	case '"':
		return lex_string(lx, p);
	case '#': {
		bool big;
		const char *q;
		if (p + 1 >= lx->end || !is_digit(p[1]))
			return tok_err(lx, DIMG_EFORMAT, "'#' must be followed by a byte offset");
		q = scan_uint(p + 1, lx->end, &t->val, &big);
		if (q < lx->end && is_word_char(*q))
			return tok_err(lx, DIMG_EFORMAT, "bad byte offset");
		if (big || t->val > TOC_MAX_OFFSET)
			return tok_err(lx, DIMG_ELIMIT, "byte offset beyond %llu",
				       (unsigned long long)TOC_MAX_OFFSET);
		t->type = TT_OFFSET;
		lx->p = q;
		return 0;
	}
	default:
		if (is_digit((char)c))
			return lex_number(lx, p);
		if (is_word_char((char)c)) {
			const char *q = p;
			while (q < lx->end && is_word_char(*q))
				q++;
			t->type = TT_WORD;
			t->text = p;
			t->len = (size_t)(q - p);
			lx->p = q;
			return 0;
		}
		if (c == '\0')
			return tok_err(lx, DIMG_EFORMAT, "nul byte");
		if (c >= 0x21 && c < 0x7f)
			return tok_err(lx, DIMG_EFORMAT, "unexpected character '%c'", c);
		return tok_err(lx, DIMG_EFORMAT, "unexpected byte 0x%02x", c);
	}
	lx->p = p + 1;
	return 0;
}

static bool is_kw(const struct toc_tok *t, const char *kw)
{
	size_t n = strlen(kw);
	return t->type == TT_WORD && t->len == n && !strncasecmp(t->text, kw, n);
}

static const char *tok_desc(const struct toc_tok *t, char *buf, size_t size)
{
	switch (t->type) {
	case TT_EOF:
		return "end of file";
	case TT_WORD:
		snprintf(buf, size, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->text);
		return buf;
	case TT_STRING:
		return "a string";
	case TT_INT:
		snprintf(buf, size, "the number %llu", (unsigned long long)t->val);
		return buf;
	case TT_MSF:
		return "a time";
	case TT_OFFSET:
		return "a byte offset";
	case TT_LBRACE:
		return "'{'";
	case TT_RBRACE:
		return "'}'";
	case TT_COLON:
		return "':'";
	case TT_COMMA:
		return "','";
	}
	return "?";
}

static int unexpected(struct toc_lex *lx, const char *wanted)
{
	char buf[64];
	return tok_err(lx, DIMG_EFORMAT, "expected %s, found %s", wanted,
		       tok_desc(&lx->tok, buf, sizeof(buf)));
}

/* Checks the lookahead's type and moves past it. */
static int expect(struct toc_lex *lx, enum toc_tt type, const char *wanted)
{
	if (lx->tok.type != type)
		return unexpected(lx, wanted);
	return lex_next(lx);
}

/* ---- parser ------------------------------------------------------------- */

struct toc_mode {
	const char *name;
	int mode;	/* enum cd_tmode, -1 unsupported */
	uint16_t block; /* cdrdao's block length without sub-channel */
};

static const struct toc_mode toc_modes[] = {
    {"AUDIO", CD_TM_AUDIO, 2352},
    {"MODE0", -1, 2336},
    {"MODE1", CD_TM_MODE1_2048, 2048},
    {"MODE1_RAW", CD_TM_MODE1_2352, 2352},
    {"MODE2", CD_TM_MODE2_2336, 2336},
    {"MODE2_FORM1", CD_TM_MODE2_2048, 2048},
    {"MODE2_FORM2", CD_TM_MODE2_2324, 2324},
    {"MODE2_FORM_MIX", CD_TM_MODE2_2336, 2336},
    {"MODE2_RAW", CD_TM_MODE2_2352, 2352},
};

static const struct toc_mode *find_mode(const struct toc_tok *t)
{
	for (size_t i = 0; i < sizeof(toc_modes) / sizeof(toc_modes[0]); i++)
		if (is_kw(t, toc_modes[i].name))
			return &toc_modes[i];
	return NULL;
}

/* How a FILE statement wants its file read. */
enum toc_fkind { FK_DATA, FK_BE, FK_LE, FK_WAVE };

struct toc_parser {
	struct toc_lex lx;
	struct cd_disc *d;
	bool enc_set[CD_TEXT_BLOCKS]; /* ENCODING_* given for the block */
	uint8_t bin[TOC_MAX_BINARY];  /* a CD-TEXT item's { binary data } */
	size_t nbin;
	bool cdi;	    /* CD_I header: MODE2 and MODE2_RAW become CD-i modes */
	struct cd_track *t; /* the open track, NULL before the first TRACK */
	int tline, tcol;
	bool have_data, pregap, start_set;
	int start_line, start_col;
	int32_t start_pos; /* encoded, see pos_encode */
	int anchor;	   /* track-local index of the last rest-of-file segment */
	uint32_t delta;	   /* sectors known after the anchor (or the track begin) */
	int nincr;
	uint32_t incr[CD_MAX_INDEX];
	int incr_line[CD_MAX_INDEX], incr_col[CD_MAX_INDEX];
	bool le_audio[CD_MAX_FILES]; /* BINARY file already read as little-endian audio */
	char name[TOC_MAX_STRING + 1];
};

static bool track_is_audio(const struct cd_track *t)
{
	return cd_tmodes[t->mode].data_mode == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcasecmp(s + n - k, suffix);
}

/* Finds the entry for name read as kind, or adds one.  One name can need two
 * entries (the same file read as big- and little-endian audio); data tracks
 * read any raw entry, and a raw entry only data tracks used so far becomes
 * big-endian when an audio track reads it (the byte swap only touches audio
 * tracks). */
static int toc_file(struct toc_parser *p, const char *name, enum toc_fkind kind, int line, int col)
{
	struct cd_disc *d = p->d;
	int i;
	for (i = 0; i < d->nfiles; i++) {
		struct cd_file *f = &d->files[i];
		if (strcmp(f->name, name))
			continue;
		switch (kind) {
		case FK_DATA:
			if (f->type != CD_FILE_WAVE)
				return i;
			break;
		case FK_BE:
			if (f->type == CD_FILE_BINARY && !p->le_audio[i])
				f->type = CD_FILE_MOTOROLA;
			if (f->type == CD_FILE_MOTOROLA)
				return i;
			break;
		case FK_LE:
			if (f->type == CD_FILE_BINARY) {
				p->le_audio[i] = true;
				return i;
			}
			break;
		case FK_WAVE:
			if (f->type == CD_FILE_WAVE)
				return i;
			break;
		}
	}
	if (d->nfiles >= CD_MAX_FILES)
		return at_err(&p->lx, line, col, DIMG_ELIMIT, "more than %d files", CD_MAX_FILES);
	i = cd_disc_add_file(d, name,
			     kind == FK_WAVE ? CD_FILE_WAVE
			     : kind == FK_BE ? CD_FILE_MOTOROLA
					     : CD_FILE_BINARY,
			     p->lx.err);
	if (i >= 0) {
		p->le_audio[i] = kind == FK_LE;
		d->files[i].line = line;
	}
	return i;
}

/* Appends sectors (TOC_REST: to the end of the file) to the open track. */
static int add_run(struct toc_parser *p, int file, uint64_t off, uint32_t sectors, int line,
		   int col)
{
	struct cd_disc *d = p->d;
	struct cd_track *t = p->t;
	int rc;
	if (d->nsegs >= CD_MAX_SEGS)
		return at_err(&p->lx, line, col, DIMG_ELIMIT, "more than %d data segments",
			      CD_MAX_SEGS);
	if (sectors != TOC_REST && (uint64_t)p->delta + sectors > CD_MAX_LBA)
		return at_err(&p->lx, line, col, DIMG_ELIMIT, "track %d is longer than 99:59:74",
			      t->number);
	rc = cd_disc_add_seg(d, t, file, off, sectors, p->lx.err);
	if (rc)
		return rc;
	if (sectors == TOC_REST) {
		/* never merged: its length is unknown */
		p->anchor = t->nsegs - 1;
		p->delta = 0;
	} else {
		p->delta += sectors;
	}
	p->have_data = true;
	return 0;
}

enum len_unit { LU_SAMPLES, LU_BYTES };

/* Reads a length at the lookahead: MM:SS:FF sectors, or a plain count of
 * samples or bytes (block bytes a sector) that must make whole sectors.
 * *sectors is TOC_REST for 0 when zero_is_rest. */
static int get_length(struct toc_parser *p, enum len_unit unit, uint32_t block, bool zero_is_rest,
		      const char *what, uint32_t *sectors)
{
	struct toc_lex *lx = &p->lx;
	uint64_t n;
	if (lx->tok.type == TT_MSF) {
		n = lx->tok.val;
	} else if (lx->tok.type == TT_INT) {
		uint64_t per = unit == LU_SAMPLES ? SAMPLES_PER_SECTOR : block;
		if (lx->tok.val % per)
			return tok_err(lx, DIMG_EFORMAT,
				       "%s: %llu %s is not a whole number of "
				       "sectors (%llu %s each)",
				       what, (unsigned long long)lx->tok.val,
				       unit == LU_SAMPLES ? "samples" : "bytes",
				       (unsigned long long)per,
				       unit == LU_SAMPLES ? "samples" : "bytes");
		n = lx->tok.val / per;
	} else {
		return unexpected(lx, "a length (MM:SS:FF or a number)");
	}
	if (n == 0 && zero_is_rest) {
		*sectors = TOC_REST;
	} else if (n == 0) {
		return tok_err(lx, DIMG_EFORMAT, "%s: length 0", what);
	} else if (n > CD_MAX_LBA) {
		return tok_err(lx, DIMG_ELIMIT, "%s: length beyond 99:59:74", what);
	} else {
		*sectors = (uint32_t)n;
	}
	return lex_next(lx);
}

/* Reads MM:SS:FF (positions and gaps take no other form). */
static int get_msf(struct toc_parser *p, const char *what, uint32_t *sectors)
{
	struct toc_lex *lx = &p->lx;
	if (lx->tok.type != TT_MSF) {
		char buf[64];
		return tok_err(lx, DIMG_EFORMAT, "%s wants MM:SS:FF, found %s", what,
			       tok_desc(&lx->tok, buf, sizeof(buf)));
	}
	if (lx->tok.val > CD_MAX_LBA)
		return tok_err(lx, DIMG_ELIMIT, "%s: beyond 99:59:74", what);
	*sectors = (uint32_t)lx->tok.val;
	return lex_next(lx);
}

static bool isrc_ok(const char *s, size_t n)
{
	if (n != 12)
		return false;
	for (size_t i = 0; i < 12; i++) {
		char c = s[i];
		bool digit = is_digit(c), upper = c >= 'A' && c <= 'Z';
		if (i < 5 ? !(digit || upper) : !digit)
			return false;
	}
	return true;
}

static bool catalog_ok(const char *s, size_t n)
{
	if (n != 13)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* ---- CD-TEXT ------------------------------------------------------------- */

/*
 * CD_TEXT { LANGUAGE_MAP { n : code ... } LANGUAGE n { [ENCODING_*] ITEM value
 * ... } ... } fills block n of d->cdtext.  Strings follow cdrdao 1.2.5: one
 * that holds bytes >= 0x80 as such is UTF-8 text (not valid UTF-8: bytes,
 * as cdrdao takes it); one in plain ASCII may carry \ooo escapes, which are
 * bytes in the block's character set, as are the bytes of { binary data }
 * for a text item.  GENRE { hi, lo, text..., 0 } carries the genre code.
 */

struct toc_cdt_item {
	const char *name;
	int field;	/* enum cd_text_field; -1 parsed and dropped */
	bool disc_only; /* dropped in a track block */
};

static const struct toc_cdt_item toc_cdt_items[] = {
    {"TITLE", CDT_TITLE, false},
    {"PERFORMER", CDT_PERFORMER, false},
    {"SONGWRITER", CDT_SONGWRITER, false},
    {"COMPOSER", CDT_COMPOSER, false},
    {"ARRANGER", CDT_ARRANGER, false},
    {"MESSAGE", CDT_MESSAGE, false},
    {"DISC_ID", CDT_DISC_ID, true},
    {"GENRE", CDT_GENRE, true},
    {"UPC_EAN", CDT_UPC_ISRC, false},
    {"ISRC", CDT_UPC_ISRC, false},
    {"CLOSED", CDT_CLOSED, true},
    {"RESERVED4", CDT_CLOSED, true}, /* pack 0x8D in cdrdao before 1.2.5 */
    {"TOC_INFO1", -1, false},
    {"TOC_INFO2", -1, false},
    {"RESERVED1", -1, false},
    {"RESERVED2", -1, false},
    {"RESERVED3", -1, false},
    {"SIZE_INFO", -1, false},
};

static const struct {
	const char *name;
	uint8_t charset;
} toc_encodings[] = {
    {"ENCODING_ISO_8859_1", CD_CS_LATIN1}, {"ENCODING_ASCII", CD_CS_ASCII},
    {"ENCODING_MS_JIS", CD_CS_MSJIS},	   {"ENCODING_KOREAN", CD_CS_KOREAN},
    {"ENCODING_MANDARIN", CD_CS_MANDARIN},
};
#define TOC_NENCODINGS (sizeof(toc_encodings) / sizeof(toc_encodings[0]))

/* Reads { n, n, ... } (bytes) into p->bin. */
static int read_binary(struct toc_parser *p)
{
	struct toc_lex *lx = &p->lx;
	int rc;
	p->nbin = 0;
	if ((rc = expect(lx, TT_LBRACE, "'{'")))
		return rc;
	if (lx->tok.type == TT_RBRACE)
		return lex_next(lx);
	for (;;) {
		if (lx->tok.type != TT_INT)
			return unexpected(lx, "a byte value 0..255");
		if (lx->tok.val > 255)
			return tok_err(lx, DIMG_EFORMAT,
				       "binary CD-TEXT data: %llu is not "
				       "0..255",
				       (unsigned long long)lx->tok.val);
		if (p->nbin >= TOC_MAX_BINARY)
			return tok_err(lx, DIMG_ELIMIT,
				       "binary CD-TEXT data longer than %d "
				       "bytes",
				       TOC_MAX_BINARY);
		p->bin[p->nbin++] = (uint8_t)lx->tok.val;
		if ((rc = lex_next(lx)))
			return rc;
		if (lx->tok.type == TT_RBRACE)
			return lex_next(lx);
		if ((rc = expect(lx, TT_COMMA, "',' or '}'")))
			return rc;
	}
}

static int parse_language_map(struct toc_parser *p)
{
	struct toc_lex *lx = &p->lx;
	int rc;
	if ((rc = lex_next(lx)) || (rc = expect(lx, TT_LBRACE, "'{' after LANGUAGE_MAP")))
		return rc;
	while (lx->tok.type != TT_RBRACE) {
		uint64_t n;
		if (lx->tok.type != TT_INT)
			return unexpected(lx, "a language number 0..7 or '}'");
		if ((n = lx->tok.val) > 7)
			return tok_err(lx, DIMG_EFORMAT, "language number %llu is not 0..7",
				       (unsigned long long)lx->tok.val);
		if ((rc = lex_next(lx)) || (rc = expect(lx, TT_COLON, "':'")))
			return rc;
		if (lx->tok.type == TT_INT && lx->tok.val > 255)
			return tok_err(lx, DIMG_EFORMAT, "language code %llu is not 0..255",
				       (unsigned long long)lx->tok.val);
		if (lx->tok.type != TT_INT && lx->tok.type != TT_WORD)
			return unexpected(lx, "a language code (0..255 or a name such as EN)");
		/* cdrdao names only EN; other words read as "unknown" */
		p->d->cdtext[n].language = lx->tok.type == TT_INT  ? (uint8_t)lx->tok.val
					   : is_kw(&lx->tok, "EN") ? CD_LANG_ENGLISH
								   : 0;
		if ((rc = lex_next(lx)))
			return rc;
	}
	return lex_next(lx);
}

static bool valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0, k;
	while (i < n) {
		uint8_t c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			k = 1;
		else if ((c & 0xF0) == 0xE0)
			k = 2;
		else if (c >= 0xF0 && c <= 0xF4)
			k = 3;
		else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++)
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

/* Stores n bytes s of an item as field f of track of block b: text when the
 * file gave UTF-8 (or plain ASCII), else bytes in the block's character
 * set.  Errors name line:col. */
static int set_item(struct toc_parser *p, int b, int track, enum cd_text_field f, const uint8_t *s,
		    size_t n, bool utf8, int line, int col)
{
	struct toc_lex *lx = &p->lx;
	struct cd_text_block *k = &p->d->cdtext[b];
	bool in_cs = cd_text_field_in_charset(f), ascii = true;
	char *v = NULL;
	int rc;
	if (memchr(s, 0, n))
		n = strlen((const char *)s);
	if (!n)
		return 0; /* empty strings are absent */
	for (size_t i = 0; i < n; i++)
		ascii &= s[i] < 0x80;
	if (in_cs && k->raw) {
		if (utf8 && !ascii && valid_utf8(s, n))
			return at_err(lx, line, col, DIMG_EUNSUPPORTED,
				      "language %d is in character set 0x%02x, which dimg keeps "
				      "as bytes: give its text as \\ooo escapes or {binary data}",
				      b, k->charset);
		v = strndup((const char *)s, n);
	} else if ((utf8 || ascii) && valid_utf8(s, n)) {
		struct dimg_error e2;
		uint8_t *tmp = malloc(CD_TEXT_MAX_STR);
		size_t tn;
		if (!(v = strndup((const char *)s, n)) || !tmp) {
			free(tmp);
			free(v);
			return at_err(lx, line, col, DIMG_ENOMEM, "out of memory");
		}
		dimg_error_clear(&e2);
		rc = cd_text_field_bytes(k, b, track, f, v, tmp, &tn, true, &e2);
		free(tmp);
		if (rc) {
			free(v);
			return at_err(lx, line, col, rc, "%s", e2.message);
		}
		n = tn; /* the bytes it takes in packs */
	} else {
		rc = cd_text_decode_str(k->charset, in_cs, s, n, &v, NULL);
		if (rc && rc != DIMG_ENOMEM)
			return at_err(lx, line, col, DIMG_EFORMAT,
				      "%s text of language %d is not valid %s", cd_text_names[f], b,
				      cd_text_charset_name(k->charset));
	}
	if (!v)
		return at_err(lx, line, col, DIMG_ENOMEM, "out of memory");
	if (n > TOC_MAX_CDT) {
		free(v);
		return at_err(lx, line, col, DIMG_ELIMIT,
			      "CD-TEXT %s: %zu bytes is more than a CD-TEXT block holds",
			      cd_text_names[f], n);
	}
	rc = cd_disc_set_btext(p->d, b, track, f, v, lx->err);
	free(v);
	return rc;
}

/* An item's { binary data }: bytes up to the first NUL; GENRE starts with
 * the 2-byte genre code. */
static int binary_item(struct toc_parser *p, int b, int track, enum cd_text_field f, int line,
		       int col)
{
	const uint8_t *s = p->bin;
	size_t n = p->nbin;
	if (f == CDT_GENRE) {
		if (n < 2)
			return 0;
		p->d->cdtext[b].has_genre_code = true;
		p->d->cdtext[b].genre_code = (uint16_t)(s[0] << 8 | s[1]);
		s += 2;
		n -= 2;
	}
	return set_item(p, b, track, f, s, n, false, line, col);
}

static int parse_encoding(struct toc_parser *p, int b, int track)
{
	struct toc_lex *lx = &p->lx;
	struct cd_text_block *k = &p->d->cdtext[b];
	for (size_t i = 0; i < TOC_NENCODINGS; i++) {
		uint8_t cs = toc_encodings[i].charset;
		if (!is_kw(&lx->tok, toc_encodings[i].name))
			continue;
		if (p->enc_set[b] && k->charset != cs)
			return tok_err(lx, DIMG_EFORMAT,
				       "%s: language %d already has another encoding",
				       toc_encodings[i].name, b);
		if (!p->enc_set[b] && cd_text_block_used(p->d, b))
			return tok_err(lx, DIMG_EFORMAT,
				       "%s: give the encoding of language %d in the disc's "
				       "CD_TEXT block, before its text",
				       toc_encodings[i].name, b);
		p->enc_set[b] = true;
		k->charset = cs;
		k->raw = cs >= 0x80 && cs != CD_CS_MSJIS;
		return lex_next(lx);
	}
	return 1;
}

/* CD_TEXT { [LANGUAGE_MAP {...}] LANGUAGE n { ITEM value ... } ... } of the
 * disc (track 0) or a track. */
static int parse_cdtext(struct toc_parser *p, int track)
{
	struct toc_lex *lx = &p->lx;
	int rc;
	if ((rc = lex_next(lx)) || (rc = expect(lx, TT_LBRACE, "'{' after CD_TEXT")))
		return rc;
	for (;;) {
		uint64_t lang;
		if (lx->tok.type == TT_RBRACE)
			return lex_next(lx);
		if (is_kw(&lx->tok, "LANGUAGE_MAP")) {
			if (track)
				return tok_err(lx, DIMG_EFORMAT,
					       "LANGUAGE_MAP belongs in the "
					       "disc's CD_TEXT block");
			if ((rc = parse_language_map(p)))
				return rc;
			continue;
		}
		if (!is_kw(&lx->tok, "LANGUAGE"))
			return unexpected(lx, "LANGUAGE or '}' in CD_TEXT");
		if ((rc = lex_next(lx)))
			return rc;
		if (lx->tok.type != TT_INT)
			return unexpected(lx, "a language number 0..7");
		if ((lang = lx->tok.val) > 7)
			return tok_err(lx, DIMG_EFORMAT, "language number %llu is not 0..7",
				       (unsigned long long)lang);
		if ((rc = lex_next(lx)) || (rc = expect(lx, TT_LBRACE, "'{' after LANGUAGE n")))
			return rc;
		if ((rc = parse_encoding(p, (int)lang, track)) < 0)
			return rc;
		while (lx->tok.type != TT_RBRACE) {
			const struct toc_cdt_item *it = NULL;
			size_t nitems = sizeof(toc_cdt_items) / sizeof(toc_cdt_items[0]);
			bool keep;
			for (size_t i = 0; i < nitems; i++)
				if (is_kw(&lx->tok, toc_cdt_items[i].name))
					it = &toc_cdt_items[i];
			if (!it) {
				char buf[64];
				return tok_err(lx, DIMG_EFORMAT,
					       "expected a CD-TEXT item (TITLE, "
					       "PERFORMER, ...) or '}', found %s",
					       tok_desc(&lx->tok, buf, sizeof(buf)));
			}
			keep = it->field >= 0 && !(track && it->disc_only);
			if ((rc = lex_next(lx)))
				return rc;
			if (lx->tok.type == TT_LBRACE) {
				/* binary form (GENRE codes, TOC_INFO, SIZE_INFO, bytes) */
				int line = lx->tok.line, col = lx->tok.col;
				if ((rc = read_binary(p)))
					return rc;
				if (keep &&
				    (rc = binary_item(p, (int)lang, track,
						      (enum cd_text_field)it->field, line, col)))
					return rc;
				continue;
			}
			if (lx->tok.type != TT_STRING)
				return unexpected(lx, "a string or {binary data}");
			if (keep &&
			    (rc = set_item(p, (int)lang, track, (enum cd_text_field)it->field,
					   (const uint8_t *)lx->str, lx->tok.len, lx->tok.utf8,
					   lx->tok.line, lx->tok.col)))
				return rc;
			if ((rc = lex_next(lx)))
				return rc;
		}
		if ((rc = lex_next(lx)))
			return rc;
	}
}

/* ---- tracks ------------------------------------------------------------- */

static int begin_track(struct toc_parser *p)
{
	struct toc_lex *lx = &p->lx;
	struct cd_disc *d = p->d;
	const struct toc_mode *m;
	struct cd_track *t;
	char buf[64];
	int rc, mode;
	uint8_t sub_rw = CD_SUBRW_NONE;
	if (d->ntracks >= CD_MAX_TRACKS)
		return tok_err(lx, DIMG_ELIMIT, "more than %d tracks", CD_MAX_TRACKS);
	p->tline = lx->tok.line;
	p->tcol = lx->tok.col;
	if ((rc = lex_next(lx)))
		return rc;
	if (!(m = find_mode(&lx->tok)))
		return tok_err(lx, DIMG_EFORMAT,
			       "expected a track mode (AUDIO, MODE1, "
			       "MODE1_RAW, MODE2, MODE2_FORM1, MODE2_FORM2, MODE2_FORM_MIX, "
			       "MODE2_RAW), found %s",
			       tok_desc(&lx->tok, buf, sizeof(buf)));
	if (m->mode < 0)
		return tok_err(lx, DIMG_EUNSUPPORTED, "track mode %s is not supported", m->name);
	mode = m->mode;
	if (p->cdi && mode == CD_TM_MODE2_2336)
		mode = CD_TM_CDI_2336;
	else if (p->cdi && mode == CD_TM_MODE2_2352)
		mode = CD_TM_CDI_2352;
	if ((rc = lex_next(lx)))
		return rc;
	if (is_kw(&lx->tok, "RW_RAW") || is_kw(&lx->tok, "RW")) {
		/* 96 bytes of R-W after every sector (cdrdao read-cd
		 * --read-subchan); audio with raw R-W is what a cue calls CDG */
		if (mode == CD_TM_AUDIO && is_kw(&lx->tok, "RW_RAW"))
			mode = CD_TM_CDG;
		else
			sub_rw = is_kw(&lx->tok, "RW") ? CD_SUBRW_PACKED : CD_SUBRW_RAW;
		if ((rc = lex_next(lx)))
			return rc;
	}
	t = &d->tracks[d->ntracks++];
	memset(t, 0, sizeof(*t));
	t->number = (uint8_t)d->ntracks;
	t->session = 1;
	t->mode = (enum cd_tmode)mode;
	t->sub_rw = sub_rw;
	t->first_seg = d->nsegs;
	t->file = -1;
	for (int k = 0; k <= CD_MAX_INDEX; k++)
		t->index[k] = -1;
	p->t = t;
	p->have_data = p->pregap = p->start_set = false;
	p->start_pos = 0;
	p->anchor = -1;
	p->delta = 0;
	p->nincr = 0;
	return 0;
}

/* Closes the open track: INDEX 01 and the further indexes, checked against
 * the track length when it is already known. */
static int end_track(struct toc_parser *p)
{
	struct toc_lex *lx = &p->lx;
	struct cd_track *t = p->t;
	int anchor;
	uint32_t base;
	if (!t)
		return 0;
	if (!p->have_data)
		return at_err(lx, p->tline, p->tcol, DIMG_EFORMAT,
			      "track %d has no data "
			      "(FILE, DATAFILE, SILENCE or ZERO)",
			      t->number);
	pos_decode(p->start_pos, &anchor, &base);
	t->index[1] = p->start_pos;
	if (p->start_pos != 0)
		t->index[0] = 0;
	if (p->anchor < 0 && p->pregap && base >= p->delta)
		return at_err(lx, p->tline, p->tcol, DIMG_EFORMAT,
			      "track %d has no data after "
			      "its PREGAP",
			      t->number);
	if (p->anchor < 0 && p->start_set && base >= p->delta)
		return at_err(lx, p->start_line, p->start_col, DIMG_EFORMAT,
			      "START at or "
			      "after the end of track %d (%u sectors)",
			      t->number, p->delta);
	for (int i = 0; i < p->nincr; i++) {
		uint64_t pos = (uint64_t)base + p->incr[i];
		if (pos > CD_MAX_LBA || (p->anchor < 0 && pos >= p->delta))
			return at_err(lx, p->incr_line[i], p->incr_col[i], DIMG_EFORMAT,
				      "INDEX beyond the end of track %d", t->number);
		t->index[i + 2] = pos_encode(anchor, (uint32_t)pos);
	}
	p->t = NULL;
	return 0;
}

/* FILE / AUDIOFILE / DATAFILE. */
static int st_file(struct toc_parser *p, bool datafile)
{
	struct toc_lex *lx = &p->lx;
	struct cd_track *t = p->t;
	int line = lx->tok.line, col = lx->tok.col, rc, fi;
	uint32_t ss = (uint32_t)cd_track_stride(t), sectors = TOC_REST;
	bool audio = track_is_audio(t), swap = false, hash = false;
	bool sub = t->sub_rw || t->mode == CD_TM_CDG;
	uint64_t off = 0, start = 0;
	enum toc_fkind kind;
	if (!datafile && sub)
		return tok_err(lx, DIMG_EFORMAT,
			       "FILE/AUDIOFILE cannot be used in a track with "
			       "sub-channel data; use DATAFILE");
	if ((rc = lex_next(lx)))
		return rc;
	if (lx->tok.type != TT_STRING)
		return unexpected(lx, "a file name (string)");
	if (lx->tok.len == 0)
		return tok_err(lx, DIMG_EFORMAT, "empty file name");
	if (!strcmp(lx->str, "-"))
		return tok_err(lx, DIMG_EUNSUPPORTED,
			       "reading from standard input is not "
			       "supported");
	memcpy(p->name, lx->str, lx->tok.len + 1);
	if ((rc = lex_next(lx)))
		return rc;
	if (!datafile && is_kw(&lx->tok, "SWAP")) {
		if (!audio)
			return tok_err(lx, DIMG_EFORMAT, "SWAP applies to audio tracks only");
		swap = true;
		if ((rc = lex_next(lx)))
			return rc;
	}
	if (lx->tok.type == TT_OFFSET) {
		off = lx->tok.val;
		hash = off != 0;
		if ((rc = lex_next(lx)))
			return rc;
	}
	if (!datafile && (lx->tok.type == TT_MSF || lx->tok.type == TT_INT)) {
		if (lx->tok.type == TT_MSF)
			start = lx->tok.val * ss;
		else
			start = audio ? lx->tok.val * 4 : lx->tok.val;
		if (start > TOC_MAX_OFFSET || off + start > TOC_MAX_OFFSET)
			return tok_err(lx, DIMG_ELIMIT, "start position beyond %llu bytes",
				       (unsigned long long)TOC_MAX_OFFSET);
		off += start;
		if ((rc = lex_next(lx)))
			return rc;
	}
	if (lx->tok.type == TT_MSF || lx->tok.type == TT_INT) {
		enum len_unit u = audio && !datafile ? LU_SAMPLES : LU_BYTES;
		if ((rc = get_length(p, u, ss, true, datafile ? "DATAFILE" : "FILE", &sectors)))
			return rc;
	}
	if (!audio || sub) {
		/* sub-channel bytes follow each sector: not an audio file */
		kind = FK_DATA;
	} else if (has_suffix(p->name, ".wav")) {
		if (swap || hash)
			return at_err(lx, line, col, DIMG_EUNSUPPORTED,
				      "SWAP and #offset are "
				      "not supported with WAVE files");
		kind = FK_WAVE;
	} else if (has_suffix(p->name, ".mp3") || has_suffix(p->name, ".ogg") ||
		   has_suffix(p->name, ".flac")) {
		return at_err(lx, line, col, DIMG_EUNSUPPORTED,
			      "compressed audio files are "
			      "not supported");
	} else {
		kind = swap ? FK_LE : FK_BE;
	}
	if ((fi = toc_file(p, p->name, kind, line, col)) < 0)
		return fi;
	return add_run(p, fi, off, sectors, line, col);
}

/* SILENCE <length> / ZERO [mode] [RW|RW_RAW] <length>. */
static int st_generated(struct toc_parser *p, bool zero)
{
	struct toc_lex *lx = &p->lx;
	int line = lx->tok.line, col = lx->tok.col, rc;
	uint32_t block = (uint32_t)cd_track_stride(p->t), sectors;
	bool own_sub = p->t->sub_rw || p->t->mode == CD_TM_CDG;
	if ((rc = lex_next(lx)))
		return rc;
	if (zero) {
		const struct toc_mode *m = find_mode(&lx->tok);
		if (m) {
			block = m->block;
			own_sub = false;
			if ((rc = lex_next(lx)))
				return rc;
		}
		if (is_kw(&lx->tok, "RW") || is_kw(&lx->tok, "RW_RAW")) {
			/* a track with sub-channel data has the R-W bytes in
			 * its block already */
			if (!own_sub)
				block += SUBCHANNEL_BYTES;
			if ((rc = lex_next(lx)))
				return rc;
		}
	}
	if ((rc = get_length(p, zero ? LU_BYTES : LU_SAMPLES, block, false,
			     zero ? "ZERO" : "SILENCE", &sectors)))
		return rc;
	return add_run(p, -1, 0, sectors, line, col);
}

static int st_pregap(struct toc_parser *p)
{
	struct toc_lex *lx = &p->lx;
	int line = lx->tok.line, col = lx->tok.col, rc;
	uint32_t n;
	if (p->have_data || p->start_set)
		return tok_err(lx, DIMG_EFORMAT,
			       "PREGAP must come before the track's data and "
			       "cannot be used with START");
	if ((rc = lex_next(lx)) || (rc = get_msf(p, "PREGAP", &n)))
		return rc;
	if (n == 0)
		return at_err(lx, line, col, DIMG_EFORMAT, "PREGAP of length 0");
	if ((rc = add_run(p, -1, 0, n, line, col)))
		return rc;
	p->pregap = true;
	p->t->pregap_gen = n;
	p->start_pos = (int32_t)n;
	return 0;
}

static int st_start(struct toc_parser *p)
{
	struct toc_lex *lx = &p->lx;
	int rc;
	if (p->pregap || p->start_set)
		return tok_err(lx, DIMG_EFORMAT, "%s",
			       p->pregap ? "START cannot be used with "
					   "PREGAP"
					 : "START given twice");
	p->start_line = lx->tok.line;
	p->start_col = lx->tok.col;
	if ((rc = lex_next(lx)))
		return rc;
	if (lx->tok.type == TT_MSF || lx->tok.type == TT_INT) {
		uint32_t n;
		if ((rc = get_msf(p, "START", &n)))
			return rc;
		p->start_pos = (int32_t)n;
	} else {
		p->start_pos = pos_encode(p->anchor, p->delta);
	}
	p->start_set = true;
	return 0;
}

static int st_index(struct toc_parser *p)
{
	struct toc_lex *lx = &p->lx;
	int line = lx->tok.line, col = lx->tok.col, rc;
	uint32_t n;
	if (p->nincr >= CD_MAX_INDEX - 1)
		return tok_err(lx, DIMG_ELIMIT, "more than %d INDEX statements", CD_MAX_INDEX - 1);
	if ((rc = lex_next(lx)) || (rc = get_msf(p, "INDEX", &n)))
		return rc;
	if (n == 0 || (p->nincr && n <= p->incr[p->nincr - 1]))
		return at_err(lx, line, col, DIMG_EFORMAT,
			      "INDEX positions must increase and "
			      "follow the track start");
	p->incr[p->nincr] = n;
	p->incr_line[p->nincr] = line;
	p->incr_col[p->nincr] = col;
	p->nincr++;
	return 0;
}

/* One statement inside a track. */
static int track_statement(struct toc_parser *p)
{
	struct toc_lex *lx = &p->lx;
	struct cd_track *t = p->t;
	char buf[64];
	int rc;
	bool no = false;
	if (is_kw(&lx->tok, "NO")) {
		no = true;
		if ((rc = lex_next(lx)))
			return rc;
		if (!is_kw(&lx->tok, "COPY") && !is_kw(&lx->tok, "PRE_EMPHASIS"))
			return unexpected(lx, "COPY or PRE_EMPHASIS after NO");
	}
	if (is_kw(&lx->tok, "COPY") || is_kw(&lx->tok, "PRE_EMPHASIS")) {
		uint8_t bit = is_kw(&lx->tok, "COPY") ? CD_FLAG_DCP : CD_FLAG_PRE;
		t->flags = (uint8_t)(no ? t->flags & ~bit : t->flags | bit);
		return lex_next(lx);
	}
	if (is_kw(&lx->tok, "TWO_CHANNEL_AUDIO") || is_kw(&lx->tok, "FOUR_CHANNEL_AUDIO")) {
		if (is_kw(&lx->tok, "FOUR_CHANNEL_AUDIO"))
			t->flags |= CD_FLAG_4CH;
		else
			t->flags &= (uint8_t)~CD_FLAG_4CH;
		return lex_next(lx);
	}
	if (is_kw(&lx->tok, "ISRC")) {
		if ((rc = lex_next(lx)))
			return rc;
		if (lx->tok.type != TT_STRING)
			return unexpected(lx, "the ISRC code (a string)");
		if (!isrc_ok(lx->str, lx->tok.len))
			return tok_err(lx, DIMG_EFORMAT,
				       "bad ISRC code: want \"CCOOOYYSSSSS\" "
				       "(5 upper-case letters or digits, then 7 digits)");
		memcpy(t->isrc, lx->str, 13);
		return lex_next(lx);
	}
	if (is_kw(&lx->tok, "CD_TEXT"))
		return parse_cdtext(p, t->number);
	if (is_kw(&lx->tok, "FILE") || is_kw(&lx->tok, "AUDIOFILE"))
		return st_file(p, false);
	if (is_kw(&lx->tok, "DATAFILE"))
		return st_file(p, true);
	if (is_kw(&lx->tok, "SILENCE"))
		return st_generated(p, false);
	if (is_kw(&lx->tok, "ZERO"))
		return st_generated(p, true);
	if (is_kw(&lx->tok, "PREGAP"))
		return st_pregap(p);
	if (is_kw(&lx->tok, "START"))
		return st_start(p);
	if (is_kw(&lx->tok, "INDEX"))
		return st_index(p);
	if (is_kw(&lx->tok, "END")) {
		/* start of the post-gap: only changes the Q channel, which the
		 * model derives from the indexes; checked, then dropped */
		uint32_t n;
		if ((rc = lex_next(lx)))
			return rc;
		if (lx->tok.type == TT_MSF || lx->tok.type == TT_INT)
			return get_msf(p, "END", &n);
		return 0;
	}
	if (is_kw(&lx->tok, "FIFO"))
		return tok_err(lx, DIMG_EUNSUPPORTED, "FIFO is not supported");
	if (is_kw(&lx->tok, "CATALOG") || is_kw(&lx->tok, "CD_DA") || is_kw(&lx->tok, "CD_ROM") ||
	    is_kw(&lx->tok, "CD_ROM_XA") || is_kw(&lx->tok, "CD_I"))
		return tok_err(lx, DIMG_EFORMAT, "%.*s belongs before the first TRACK",
			       (int)lx->tok.len, lx->tok.text);
	return tok_err(lx, DIMG_EFORMAT, "expected a track statement, found %s",
		       tok_desc(&lx->tok, buf, sizeof(buf)));
}

static int header_statement(struct toc_parser *p)
{
	struct toc_lex *lx = &p->lx;
	char buf[64];
	int rc;
	if (is_kw(&lx->tok, "CATALOG")) {
		if ((rc = lex_next(lx)))
			return rc;
		if (lx->tok.type != TT_STRING)
			return unexpected(lx, "the catalog number (a string of 13 digits)");
		if (!catalog_ok(lx->str, lx->tok.len))
			return tok_err(lx, DIMG_EFORMAT, "bad catalog number: want 13 digits");
		memcpy(p->d->catalog, lx->str, 14);
		return lex_next(lx);
	}
	if (is_kw(&lx->tok, "CD_DA") || is_kw(&lx->tok, "CD_ROM") || is_kw(&lx->tok, "CD_ROM_XA") ||
	    is_kw(&lx->tok, "CD_I")) {
		/* the last one counts, as in cdrdao */
		p->cdi = is_kw(&lx->tok, "CD_I");
		return lex_next(lx);
	}
	if (is_kw(&lx->tok, "CD_TEXT"))
		return parse_cdtext(p, 0);
	return tok_err(lx, DIMG_EFORMAT,
		       "expected CD_DA, CD_ROM, CD_ROM_XA, CD_I, CATALOG, "
		       "CD_TEXT or TRACK, found %s",
		       tok_desc(&lx->tok, buf, sizeof(buf)));
}

int cd_toc_parse(struct cd_disc *d, const char *text, size_t len, const char *name,
		 struct dimg_error *err)
{
	struct toc_parser *p;
	int rc;
	if (!name)
		name = "toc";
	if (len > TOC_MAX_INPUT)
		return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
				"%s: TOC file larger than "
				"%u bytes",
				name, TOC_MAX_INPUT);
	if (!(p = calloc(1, sizeof(*p))))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	p->d = d;
	p->lx.p = p->lx.bol = text;
	p->lx.end = text + len;
	p->lx.line = 1;
	p->lx.name = name;
	p->lx.err = err;
	d->nsessions = 1;
	snprintf(d->sheet, sizeof(d->sheet), "%s", name);
	rc = lex_next(&p->lx);
	while (!rc && p->lx.tok.type != TT_EOF) {
		if (p->lx.tok.type != TT_WORD) {
			rc = unexpected(&p->lx, p->t ? "a track statement" : "a statement");
		} else if (is_kw(&p->lx.tok, "TRACK")) {
			if (!(rc = end_track(p)))
				rc = begin_track(p);
		} else if (p->t) {
			rc = track_statement(p);
		} else {
			rc = header_statement(p);
		}
	}
	if (!rc)
		rc = end_track(p);
	if (!rc && d->ntracks == 0)
		rc = at_err(&p->lx, p->lx.tok.line, p->lx.tok.col, DIMG_EFORMAT, "no TRACK");
	free(p);
	return rc;
}

/* ---- layout ------------------------------------------------------------- */

/* Sectors of track t's segments [0, upto). */
static uint64_t segs_sum(const struct cd_disc *d, const struct cd_track *t, int upto)
{
	uint64_t n = 0;
	for (int s = 0; s < upto && s < t->nsegs; s++)
		n += d->segs[t->first_seg + s].sectors;
	return n;
}

/* Merges the runs that became contiguous once the rest-of-file lengths
 * were known, the way cd_disc_add_seg merges runs, so that a disc reads the
 * same whether its lengths were written out or taken from the files. */
static void compact_segs(struct cd_disc *d)
{
	int w = 0;
	for (int i = 0; i < d->ntracks; i++) {
		struct cd_track *t = &d->tracks[i];
		uint64_t ss = cd_track_stride(t);
		int first = w;
		for (int s = 0; s < t->nsegs; s++) {
			struct cd_seg g = d->segs[t->first_seg + s];
			struct cd_seg *p = w > first ? &d->segs[w - 1] : NULL;
			if (p && p->file == g.file &&
			    (g.file < 0 || p->offset + p->sectors * ss == g.offset) &&
			    (uint64_t)p->sectors + g.sectors <= CD_MAX_LBA)
				p->sectors += g.sectors;
			else
				d->segs[w++] = g;
		}
		t->first_seg = first;
		t->nsegs = w - first;
	}
	d->nsegs = w;
}

int cd_toc_layout(struct cd_disc *d, struct dimg_error *err)
{
	int64_t lba = 0;
	if (d->leadout)
		return 0; /* already laid out */
	for (int i = 0; i < d->ntracks; i++) {
		struct cd_track *t = &d->tracks[i];
		uint64_t ss = cd_track_stride(t), len;
		if (t->nsegs < 1 || t->first_seg < 0 || t->first_seg + t->nsegs > d->nsegs)
			return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "track %d: no sectors",
					t->number);
		for (int s = 0; s < t->nsegs; s++) {
			struct cd_seg *g = &d->segs[t->first_seg + s];
			const struct cd_file *f;
			if (g->file < 0)
				continue;
			if (g->file >= d->nfiles)
				return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
						"track %d: bad file reference", t->number);
			f = &d->files[g->file];
			if (g->sectors == TOC_REST) {
				uint64_t rest;
				if (g->offset >= f->size)
					return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
							"track %d: \"%s\" has %llu bytes, nothing "
							"from byte %llu on",
							t->number, f->name,
							(unsigned long long)f->size,
							(unsigned long long)g->offset);
				rest = f->size - g->offset;
				if (rest % ss)
					return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
							"track %d: the %llu bytes of \"%s\" from "
							"byte %llu on are not whole %llu-byte "
							"sectors",
							t->number, (unsigned long long)rest,
							f->name, (unsigned long long)g->offset,
							(unsigned long long)ss);
				if (rest / ss > CD_MAX_LBA)
					return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
							"track %d: \"%s\" holds more than 99:59:74 "
							"from byte %llu on",
							t->number, f->name,
							(unsigned long long)g->offset);
				g->sectors = (uint32_t)(rest / ss);
			}
			if (g->offset > f->size || g->sectors * ss > f->size - g->offset)
				return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
						"track %d: \"%s\" has %llu bytes, the track reads "
						"bytes %llu to %llu",
						t->number, f->name, (unsigned long long)f->size,
						(unsigned long long)g->offset,
						(unsigned long long)(g->offset + g->sectors * ss));
		}
		len = segs_sum(d, t, t->nsegs);
		if (len == 0 || lba + (int64_t)len > CD_MAX_LBA)
			return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "track %d: %s",
					t->number,
					len ? "the disc would be "
					      "longer than 99:59:74"
					    : "no sectors");
		for (int k = 0; k <= CD_MAX_INDEX; k++) {
			int anchor;
			uint32_t delta;
			uint64_t pos;
			if (t->index[k] == -1)
				continue;
			pos_decode(t->index[k], &anchor, &delta);
			if (anchor >= t->nsegs)
				return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
						"track %d: bad index position", t->number);
			pos = (anchor >= 0 ? segs_sum(d, t, anchor + 1) : 0) + delta;
			if (pos >= len)
				return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
						"track %d: %s%02d lies beyond the track end (%llu "
						"sectors)",
						t->number, k == 1 ? "START, INDEX " : "INDEX ", k,
						(unsigned long long)len);
			t->index[k] = (int32_t)(lba + (int64_t)pos);
		}
		if (t->index[1] < 0)
			t->index[1] = (int32_t)lba;
		t->begin = (int32_t)lba;
		t->start = t->index[1];
		lba += (int64_t)len;
		t->end = (int32_t)lba;
	}
	compact_segs(d);
	d->leadout = (int32_t)lba;
	return 0;
}

/* ---- writer ------------------------------------------------------------- */

static void put_msf(struct cd_text_out *o, uint64_t sectors)
{
	cd_out_printf(o, "%02llu:%02llu:%02llu", (unsigned long long)(sectors / 4500),
		      (unsigned long long)(sectors / 75 % 60), (unsigned long long)(sectors % 75));
}

/* A string as the parser reads it back: quotes as \", backslashes and
 * control bytes as \ooo, everything else verbatim. */
static void put_string(struct cd_text_out *o, const char *s)
{
	cd_out_printf(o, "\"");
	while (*s) {
		size_t n = 0;
		while (s[n] && s[n] != '"' && s[n] != '\\' && (unsigned char)s[n] >= 0x20 &&
		       s[n] != 0x7f)
			n++;
		if (n) {
			cd_out_printf(o, "%.*s", (int)n, s);
			s += n;
			continue;
		}
		if (*s == '"')
			cd_out_printf(o, "\\\"");
		else
			cd_out_printf(o, "\\%03o", (unsigned char)*s);
		s++;
	}
	cd_out_printf(o, "\"");
}

static const char *toc_mode_name(enum cd_tmode m)
{
	switch (m) {
	case CD_TM_AUDIO:
		return "AUDIO";
	case CD_TM_CDG:
		return "AUDIO RW_RAW";
	case CD_TM_MODE1_2048:
		return "MODE1";
	case CD_TM_MODE1_2352:
		return "MODE1_RAW";
	case CD_TM_MODE2_2048:
		return "MODE2_FORM1";
	case CD_TM_MODE2_2324:
		return "MODE2_FORM2";
	case CD_TM_MODE2_2336:
		return "MODE2";
	case CD_TM_MODE2_2352:
		return "MODE2_RAW";
	case CD_TM_CDI_2336:
		return "MODE2";
	case CD_TM_CDI_2352:
		return "MODE2_RAW";
	default:
		return NULL;
	}
}

static const char *toc_encoding_name(uint8_t cs)
{
	/* ISO-8859-1 is the default; ASCII is written as ISO-8859-1 (the same
	 * characters; cdrdao before 1.2.5 knows no ENCODING_*) */
	for (size_t i = 2; i < TOC_NENCODINGS; i++)
		if (toc_encodings[i].charset == cs)
			return toc_encodings[i].name;
	return NULL;
}

/* Whether block b says anything for track (0: the disc). */
static bool block_has(const struct cd_text_block *k, int track)
{
	if (!track && k->has_genre_code)
		return true;
	for (int f = 0; f < CDT_COUNT; f++)
		if (k->text[track][f] && *k->text[track][f] &&
		    !(track && (f == CDT_DISC_ID || f == CDT_GENRE || f == CDT_CLOSED)))
			return true;
	return false;
}

static bool has_text(const struct cd_disc *d, int track)
{
	for (int b = 0; b < CD_TEXT_BLOCKS; b++)
		if (block_has(&d->cdtext[b], track))
			return true;
	return false;
}

static void put_bytes(struct cd_text_out *o, const uint8_t *s, size_t n, int nuls)
{
	cd_out_printf(o, "{");
	for (size_t i = 0; i < n; i++)
		cd_out_printf(o, i ? ", %u" : " %u", s[i]);
	for (int i = 0; i < nuls; i++)
		cd_out_printf(o, n || i ? ", 0" : " 0");
	cd_out_printf(o, " }");
}

/* A string of bytes: everything but printable ASCII as \ooo. */
static void put_string8(struct cd_text_out *o, const char *s)
{
	cd_out_printf(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
			cd_out_printf(o, "%c", c);
		else
			cd_out_printf(o, "\\%03o", c);
	}
	cd_out_printf(o, "\"");
}

static int put_item(const struct cd_disc *d, int b, int track, enum cd_text_field f,
		    struct cd_text_out *o, struct dimg_error *err)
{
	const struct cd_text_block *k = &d->cdtext[b];
	const char *v = k->text[track][f], *item = cd_text_names[f];
	uint8_t *buf;
	size_t n;
	int rc;
	bool genre_code = !track && f == CDT_GENRE && k->has_genre_code;
	if ((!v || !*v) && !genre_code)
		return 0;
	if (!v)
		v = "";
	if (track && (f == CDT_DISC_ID || f == CDT_GENRE || f == CDT_CLOSED))
		return 0;
	if (f == CDT_UPC_ISRC)
		item = track ? "ISRC" : "UPC_EAN";
	else if (f == CDT_CLOSED)
		item = "RESERVED4"; /* pack 0x8D; cdrdao 1.2.5 also reads CLOSED */
	cd_out_printf(o, "    %s ", item);
	if (genre_code) {
		/* the genre code, its text (ISO-8859-1) and a NUL */
		if (!(buf = malloc(CD_TEXT_MAX_STR + 2)))
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		buf[0] = (uint8_t)(k->genre_code >> 8);
		buf[1] = (uint8_t)k->genre_code;
		rc = cd_text_field_bytes(k, b, track, f, v, buf + 2, &n, true, err);
		if (rc == 0 && n > TOC_MAX_CDT)
			rc = dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
				      "CD-TEXT GENRE longer than %d bytes", TOC_MAX_CDT);
		if (rc == 0)
			put_bytes(o, buf, n + 2, 1);
		free(buf);
		if (rc)
			return rc;
	} else {
		/* The bytes the text takes in packs: the character set must
		 * hold it (cdrdao refuses it too) and one block its length.
		 * Single-byte text goes out as ISO-8859-1 bytes, \ooo escaped
		 * (cdrdao reads escapes as bytes in the block's encoding; 1.2.4
		 * would take UTF-8 bytes as they are), double-byte text as
		 * UTF-8 (cdrdao 1.2.5), undecodable text as its bytes. */
		if (!(buf = malloc(CD_TEXT_MAX_STR + 1)))
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		rc = cd_text_field_bytes(k, b, track, f, v, buf, &n, true, err);
		if (rc == 0 && n > TOC_MAX_CDT)
			rc = dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
				      "CD-TEXT %s: %zu bytes is more than a CD-TEXT block holds",
				      item, n);
		if (rc == 0) {
			buf[n] = 0;
			if (cd_text_field_in_charset(f) && k->charset >= 0x80 && !k->raw)
				put_string(o, v);
			else
				put_string8(o, (const char *)buf);
		}
		free(buf);
		if (rc)
			return rc;
	}
	cd_out_printf(o, "\n");
	return 0;
}

/* The disc's CD_TEXT (language map, every used block with its encoding) or
 * a track's (the blocks that have text for it). */
static int put_cdtext(const struct cd_disc *d, int track, struct cd_text_out *o,
		      struct dimg_error *err)
{
	int rc;
	cd_out_printf(o, "CD_TEXT {\n");
	if (!track) {
		/* one line: libcdio's reader wants the map so */
		cd_out_printf(o, "  LANGUAGE_MAP {");
		for (int b = 0; b < CD_TEXT_BLOCKS; b++) {
			uint8_t lang = d->cdtext[b].language;
			if (!cd_text_block_used(d, b))
				continue;
			if (lang == CD_LANG_ENGLISH)
				cd_out_printf(o, " %d : EN", b);
			else
				cd_out_printf(o, " %d : %u", b, lang);
		}
		cd_out_printf(o, " }\n");
	}
	for (int b = 0; b < CD_TEXT_BLOCKS; b++) {
		const struct cd_text_block *k = &d->cdtext[b];
		const char *enc = toc_encoding_name(k->charset);
		if (!cd_text_block_used(d, b) || (track && !block_has(k, track)))
			continue;
		cd_out_printf(o, "  LANGUAGE %d {\n", b);
		if (!track && enc)
			cd_out_printf(o, "    %s\n", enc);
		for (int f = 0; f < CDT_COUNT; f++)
			if ((rc = put_item(d, b, track, (enum cd_text_field)f, o, err)))
				return rc;
		cd_out_printf(o, "  }\n");
	}
	cd_out_printf(o, "}\n");
	return 0;
}

/* One file-backed run: FILE for audio (samples or sectors from the start,
 * SWAP for little-endian raw files), DATAFILE for everything else. */
static void put_file_run(const struct cd_disc *d, const struct cd_track *t, const struct cd_seg *g,
			 struct cd_text_out *o)
{
	const struct cd_file *f = &d->files[g->file];
	uint64_t ss = cd_track_stride(t);
	if (track_is_audio(t) && t->mode != CD_TM_CDG && !t->sub_rw) {
		cd_out_printf(o, "FILE ");
		put_string(o, f->name);
		if (f->type == CD_FILE_BINARY)
			cd_out_printf(o, " SWAP");
		if (g->offset % 4) {
			cd_out_printf(o, " #%llu 0 ", (unsigned long long)g->offset);
		} else if (g->offset % ss == 0 && g->offset) {
			cd_out_printf(o, " ");
			put_msf(o, g->offset / ss);
			cd_out_printf(o, " ");
		} else {
			cd_out_printf(o, " %llu ", (unsigned long long)(g->offset / 4));
		}
		put_msf(o, g->sectors);
		cd_out_printf(o, "\n");
		return;
	}
	cd_out_printf(o, "DATAFILE ");
	put_string(o, f->name);
	if (g->offset)
		cd_out_printf(o, " #%llu", (unsigned long long)g->offset);
	cd_out_printf(o, " ");
	put_msf(o, g->sectors);
	cd_out_printf(o, " // length in bytes: %llu\n", (unsigned long long)(g->sectors * ss));
}

static int put_track(const struct cd_disc *d, const struct cd_track *t, struct cd_text_out *o,
		     struct dimg_error *err)
{
	const char *mode = toc_mode_name(t->mode);
	uint32_t skip = 0;
	int rc;
	if (!mode)
		return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
				"track %d: mode not expressible in a TOC file", t->number);
	cd_out_printf(o, "\n// Track %d\nTRACK %s%s\n", t->number, mode,
		      t->sub_rw == CD_SUBRW_RAW	     ? " RW_RAW"
		      : t->sub_rw == CD_SUBRW_PACKED ? " RW"
						     : "");
	cd_out_printf(o, "%s\n", t->flags & CD_FLAG_DCP ? "COPY" : "NO COPY");
	if (t->flags & CD_FLAG_PRE)
		cd_out_printf(o, "PRE_EMPHASIS\n");
	if (t->flags & CD_FLAG_4CH)
		cd_out_printf(o, "FOUR_CHANNEL_AUDIO\n");
	if (t->isrc[0]) {
		if (!isrc_ok(t->isrc, strnlen(t->isrc, sizeof(t->isrc))))
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"track %d: bad ISRC code", t->number);
		cd_out_printf(o, "ISRC \"%.12s\"\n", t->isrc);
	}
	if (has_text(d, t->number) && (rc = put_cdtext(d, t->number, o, err)))
		return rc;
	/* PREGAP only says "generated sectors up to INDEX 01"; any other
	 * pregap is the runs themselves followed by START */
	if (t->pregap_gen && t->begin + (int32_t)t->pregap_gen == t->start &&
	    d->segs[t->first_seg].file < 0 && d->segs[t->first_seg].sectors >= t->pregap_gen) {
		cd_out_printf(o, "PREGAP ");
		put_msf(o, t->pregap_gen);
		cd_out_printf(o, "\n");
		skip = t->pregap_gen;
	}
	for (int s = 0; s < t->nsegs; s++) {
		const struct cd_seg *g = &d->segs[t->first_seg + s];
		uint32_t n = g->sectors - (s == 0 ? skip : 0);
		if (!n)
			continue;
		if (g->file >= 0) {
			put_file_run(d, t, g, o);
		} else {
			cd_out_printf(o, "%s ",
				      t->mode == CD_TM_AUDIO && !t->sub_rw ? "SILENCE" : "ZERO");
			put_msf(o, n);
			cd_out_printf(o, "\n");
		}
	}
	if (t->start > t->begin && !skip) {
		cd_out_printf(o, "START ");
		put_msf(o, (uint64_t)(t->start - t->begin));
		cd_out_printf(o, "\n");
	}
	/* INDEX numbers are implied by the order; an index at or before the
	 * previous one cannot be written */
	for (int k = 2, last = t->start; k <= CD_MAX_INDEX; k++) {
		if (t->index[k] <= last)
			continue;
		last = t->index[k];
		cd_out_printf(o, "INDEX ");
		put_msf(o, (uint64_t)(t->index[k] - t->start));
		cd_out_printf(o, "\n");
	}
	return 0;
}

int cd_toc_write(const struct cd_disc *d, struct cd_text_out *o, struct dimg_error *err)
{
	bool data = false, xa = false, cdi = false, text = false;
	int rc;
	if (d->ntracks < 1)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "no tracks");
	if (d->nsessions > 1)
		return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
				"a TOC file describes a single session");
	for (int i = 0; i < d->ntracks; i++) {
		const struct cd_track *t = &d->tracks[i];
		if (t->begin != (i ? d->tracks[i - 1].end : 0) || t->nsegs < 1 ||
		    t->first_seg < 0 || t->first_seg + t->nsegs > d->nsegs || t->start < t->begin ||
		    t->start >= t->end)
			return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
					"track %d: not contiguous with the previous track or "
					"without data (a TOC file cannot express that)",
					t->number);
		for (int s = 0; s < t->nsegs; s++) {
			const struct cd_seg *g = &d->segs[t->first_seg + s];
			if (g->file >= d->nfiles || g->sectors == TOC_REST ||
			    (g->file >= 0 && (!d->files[g->file].name ||
					      strlen(d->files[g->file].name) > TOC_MAX_STRING ||
					      !d->files[g->file].name[0])))
				return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
						"track %d: bad segment", t->number);
		}
		data |= cd_tmodes[t->mode].data_mode != 0;
		xa |= cd_tmodes[t->mode].data_mode == 2;
		cdi |= t->mode == CD_TM_CDI_2336 || t->mode == CD_TM_CDI_2352;
		text |= has_text(d, t->number);
	}
	text |= has_text(d, 0);
	cd_out_printf(o, "// cdrdao TOC file written by dimg\n");
	cd_out_printf(o, "%s\n", cdi ? "CD_I" : xa ? "CD_ROM_XA" : data ? "CD_ROM" : "CD_DA");
	if (d->catalog[0]) {
		if (!catalog_ok(d->catalog, strnlen(d->catalog, sizeof(d->catalog))))
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"catalog number is not 13 digits");
		cd_out_printf(o, "CATALOG \"%.13s\"\n", d->catalog);
	}
	/* cdrdao wants the disc block (with its language map) whenever a
	 * track has CD-TEXT */
	if (text) {
		cd_out_printf(o, "\n");
		if ((rc = put_cdtext(d, 0, o, err)))
			return rc;
	}
	for (int i = 0; i < d->ntracks; i++)
		if ((rc = put_track(d, &d->tracks[i], o, err)))
			return rc;
	if (o->failed)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	return 0;
}
