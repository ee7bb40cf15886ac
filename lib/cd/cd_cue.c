/* SPDX-License-Identifier: MIT */
/*
 * CUE sheets (CDRWIN): a line-oriented tokenizer that knows the line and
 * column of every token, the parser that fills a disc model with INDEX
 * times relative to each FILE, the layout that turns those into LBAs once
 * the file sizes are known, and the writer.
 */
#include "cd/cd_disc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CUE_MAX_TOKENS 16
#define CUE_MAX_TOKEN 1024
#define CUE_MAX_BYTES (1u << 20)

struct cue_tok {
	char s[CUE_MAX_TOKEN];
	int col;
	bool quoted;
};

struct cue_parser {
	struct cd_disc *d;
	const char *name;
	int line;
	struct cue_tok tok[CUE_MAX_TOKENS];
	int ntok;
	int cur_file;	    /* -1 before the first FILE */
	int session;	    /* from REM SESSION */
	struct cd_track *t; /* current track, NULL before the first TRACK */
	struct dimg_error *err;
};

static int perr(struct cue_parser *p, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct cue_parser *p, int col, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dimg_err(p->err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "%s:%d:%d: %s", p->name, p->line,
			col, msg);
}

/* Splits one line into tokens; quoted strings keep their spaces. */
static int tokenize(struct cue_parser *p, const char *s, size_t len)
{
	size_t i = 0;
	p->ntok = 0;
	while (i < len) {
		struct cue_tok *t;
		size_t n = 0;
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7F)
			return perr(p, (int)i + 1, "control character 0x%02x", c);
		if (p->ntok == CUE_MAX_TOKENS)
			return perr(p, (int)i + 1, "more than %d words on one line",
				    CUE_MAX_TOKENS);
		t = &p->tok[p->ntok++];
		t->col = (int)i + 1;
		t->quoted = c == '"';
		if (t->quoted) {
			i++;
			while (i < len && s[i] != '"') {
				if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
					return perr(p, (int)i + 1, "control character in a string");
				if (n + 1 >= CUE_MAX_TOKEN)
					return perr(p, t->col, "string longer than %d bytes",
						    CUE_MAX_TOKEN - 1);
				t->s[n++] = s[i++];
			}
			if (i >= len)
				return perr(p, t->col, "unterminated string");
			i++;
		} else {
			while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
				if ((unsigned char)s[i] < 0x20)
					return perr(p, (int)i + 1, "control character 0x%02x",
						    (unsigned char)s[i]);
				if (n + 1 >= CUE_MAX_TOKEN)
					return perr(p, t->col, "word longer than %d bytes",
						    CUE_MAX_TOKEN - 1);
				t->s[n++] = s[i++];
			}
		}
		t->s[n] = 0;
	}
	return 0;
}

static int need(struct cue_parser *p, int n, const char *what)
{
	if (p->ntok < n + 1)
		return perr(p, p->tok[0].col + (int)strlen(p->tok[0].s) + 1, "%s expected after %s",
			    what, p->tok[0].s);
	if (p->ntok > n + 1)
		return perr(p, p->tok[n + 1].col, "unexpected '%s'", p->tok[n + 1].s);
	return 0;
}

/* mm:ss:ff with ss < 60 and ff < 75. */
static int parse_msf(struct cue_parser *p, const struct cue_tok *t, int32_t *out)
{
	unsigned v[3] = {0, 0, 0};
	const char *s = t->s;
	for (int k = 0; k < 3; k++) {
		int digits = 0;
		while (isdigit((unsigned char)*s)) {
			if (++digits > 4)
				return perr(p, t->col, "MSF field too large in '%s'", t->s);
			v[k] = v[k] * 10 + (unsigned)(*s++ - '0');
		}
		if (!digits || (k < 2 ? *s != ':' : *s != 0))
			return perr(p, t->col, "'%s' is not a time mm:ss:ff", t->s);
		s++;
	}
	if (v[1] >= 60)
		return perr(p, t->col, "seconds %u out of range in '%s' (< 60)", v[1], t->s);
	if (v[2] >= 75)
		return perr(p, t->col, "frame %u out of range in '%s' (< 75)", v[2], t->s);
	uint32_t lba = (v[0] * 60 + v[1]) * 75 + v[2];
	if (lba >= CD_MAX_LBA)
		return perr(p, t->col, "time '%s' beyond 99:59:74", t->s);
	*out = (int32_t)lba;
	return 0;
}

static int parse_num(struct cue_parser *p, const struct cue_tok *t, int lo, int hi, int *out)
{
	int v = 0, digits = 0;
	for (const char *s = t->s; *s; s++) {
		if (!isdigit((unsigned char)*s) || ++digits > 3)
			return perr(p, t->col, "'%s' is not a number %d..%d", t->s, lo, hi);
		v = v * 10 + (*s - '0');
	}
	if (!digits || v < lo || v > hi)
		return perr(p, t->col, "'%s' is not a number %d..%d", t->s, lo, hi);
	*out = v;
	return 0;
}

static int text_field(const char *kw)
{
	for (int f = 0; f < CDT_COUNT; f++)
		if (f != CDT_CLOSED && !strcasecmp(kw, cd_text_names[f]))
			return f;
	if (!strcasecmp(kw, "UPC_EAN"))
		return CDT_UPC_ISRC;
	return -1;
}

static int cmd_file(struct cue_parser *p)
{
	static const char *const types[] = {"BINARY", "MOTOROLA", "WAVE", "AIFF"};
	int rc = need(p, 2, "a file name and type"), type = -1;
	if (rc)
		return rc;
	for (int k = 0; k < 4; k++)
		if (!strcasecmp(p->tok[2].s, types[k]))
			type = k;
	if (type < 0) {
		if (!strcasecmp(p->tok[2].s, "MP3"))
			return perr(p, p->tok[2].col,
				    "FILE type %s is not supported (use BINARY, "
				    "MOTOROLA, WAVE or AIFF)",
				    p->tok[2].s);
		return perr(p, p->tok[2].col, "unknown FILE type '%s'", p->tok[2].s);
	}
	rc = cd_disc_add_file(p->d, p->tok[1].s, (enum cd_ftype)type, p->err);
	if (rc < 0)
		return rc;
	p->d->files[rc].line = p->line;
	p->cur_file = rc;
	return 0;
}

static int cmd_track(struct cue_parser *p)
{
	struct cd_disc *d = p->d;
	int num, mode, rc = need(p, 2, "a track number and mode");
	if (rc)
		return rc;
	if (p->cur_file < 0)
		return perr(p, p->tok[0].col, "TRACK before any FILE");
	if ((rc = parse_num(p, &p->tok[1], 1, 99, &num)))
		return rc;
	if ((mode = cd_tmode_parse(p->tok[2].s)) < 0)
		return perr(p, p->tok[2].col, "unknown track mode '%s'", p->tok[2].s);
	if (d->ntracks && num != d->tracks[d->ntracks - 1].number + 1)
		return perr(p, p->tok[1].col, "track %d follows track %d", num,
			    d->tracks[d->ntracks - 1].number);
	if (d->ntracks >= CD_MAX_TRACKS)
		return perr(p, p->tok[0].col, "more than %d tracks", CD_MAX_TRACKS);
	if (p->t && p->t->index[1] < 0)
		return perr(p, p->tok[0].col, "track %d has no INDEX 01", p->t->number);
	p->t = &d->tracks[d->ntracks++];
	memset(p->t, 0, sizeof(*p->t));
	for (int k = 0; k <= CD_MAX_INDEX; k++)
		p->t->index[k] = -1;
	p->t->number = (uint8_t)num;
	p->t->mode = (enum cd_tmode)mode;
	p->t->file = p->cur_file;
	p->t->session = (uint8_t)p->session;
	p->t->first_seg = -1;
	if (p->session > d->nsessions)
		d->nsessions = p->session;
	return 0;
}

static int cmd_index(struct cue_parser *p)
{
	int num, rc = need(p, 2, "an index number and time");
	int32_t at;
	struct cd_track *t = p->t;
	if (rc)
		return rc;
	if (!t)
		return perr(p, p->tok[0].col, "INDEX before any TRACK");
	if ((rc = parse_num(p, &p->tok[1], 0, 99, &num)) || (rc = parse_msf(p, &p->tok[2], &at)))
		return rc;
	if (t->index[num] >= 0)
		return perr(p, p->tok[1].col, "INDEX %02d given twice", num);
	for (int k = num + 1; k <= CD_MAX_INDEX; k++)
		if (t->index[k] >= 0)
			return perr(p, p->tok[1].col, "INDEX %02d after INDEX %02d", num, k);
	if (t->file != p->cur_file) {
		/* a new FILE inside a track (EAC's "noncompliant" sheets): the
		 * pregap ends the previous FILE, INDEX 01 begins this one */
		if (num != 1 || t->index[0] < 0)
			return perr(p, p->tok[0].col, "INDEX %02d of track %d in another FILE", num,
				    t->number);
		if (p->cur_file != t->file + 1)
			return perr(p, p->tok[0].col,
				    "track %d: FILE \"%s\" between its INDEX 00 and INDEX 01 holds "
				    "no INDEX",
				    t->number, p->d->files[t->file + 1].name);
		if (at != 0)
			return perr(p, p->tok[2].col,
				    "INDEX 01 of track %d begins FILE \"%s\" and must be 00:00:00",
				    t->number, p->d->files[p->cur_file].name);
		t->pregap_in_prev_file = true;
		t->file = p->cur_file;
	} else {
		for (int k = num - 1; k >= 0; k--)
			if (t->index[k] >= 0) {
				if (at < t->index[k])
					return perr(p, p->tok[2].col,
						    "INDEX %02d before INDEX %02d", num, k);
				break;
			}
	}
	if (num > 1 && t->index[1] < 0)
		return perr(p, p->tok[1].col, "INDEX %02d before INDEX 01", num);
	if (t->postgap)
		return perr(p, p->tok[0].col, "INDEX after POSTGAP");
	if (t->first_line == 0) {
		t->first_line = p->line;
		t->first_col = p->tok[2].col;
	}
	t->index[num] = at;
	return 0;
}

static int cmd_flags(struct cue_parser *p)
{
	if (!p->t)
		return perr(p, p->tok[0].col, "FLAGS before any TRACK");
	for (int k = 1; k < p->ntok; k++) {
		const char *f = p->tok[k].s;
		if (!strcasecmp(f, "DCP"))
			p->t->flags |= CD_FLAG_DCP;
		else if (!strcasecmp(f, "4CH"))
			p->t->flags |= CD_FLAG_4CH;
		else if (!strcasecmp(f, "PRE"))
			p->t->flags |= CD_FLAG_PRE;
		else if (!strcasecmp(f, "SCMS"))
			p->t->flags |= CD_FLAG_SCMS;
		else if (!strcasecmp(f, "DATA"))
			; /* implied by the track mode */
		else
			return perr(p, p->tok[k].col, "unknown flag '%s'", f);
	}
	return 0;
}

static bool isrc_ok(const char *s)
{
	if (strlen(s) != 12)
		return false;
	for (int i = 0; i < 12; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i < 5 ? !isalnum(c) : !isdigit(c))
			return false;
	}
	return true;
}

static int cmd_rem(struct cue_parser *p, const char *line, size_t len)
{
	struct cd_disc *d = p->d;
	if (p->ntok >= 3 && !strcasecmp(p->tok[1].s, "SESSION")) {
		int s, rc;
		if ((rc = parse_num(p, &p->tok[2], 1, 99, &s)))
			return rc;
		if (s < p->session || (p->t && s > p->session + 1) || (!p->t && s != 1))
			return perr(p, p->tok[2].col, "session %d out of order", s);
		p->session = s;
		return 0;
	}
	if (p->t)
		return 0; /* track-level comments carry nothing dimg keeps */
	if (d->nrems >= CD_MAX_REMS)
		return perr(p, p->tok[0].col, "more than %d REM lines", CD_MAX_REMS);
	/* keep everything after "REM " verbatim so a rewrite reproduces it */
	size_t off = (size_t)p->tok[0].col - 1 + 3;
	while (off < len && (line[off] == ' ' || line[off] == '\t'))
		off++;
	size_t n = len - off;
	while (n && (line[off + n - 1] == '\r' || line[off + n - 1] == ' '))
		n--;
	if (!(d->rems[d->nrems] = strndup(line + off, n)))
		return dimg_err(p->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	d->nrems++;
	return 0;
}

static int do_line(struct cue_parser *p, const char *line, size_t len)
{
	struct cd_disc *d = p->d;
	const char *kw;
	int rc, f;
	int32_t v;
	if ((rc = tokenize(p, line, len)) || p->ntok == 0)
		return rc;
	kw = p->tok[0].s;
	if (!strcasecmp(kw, "REM"))
		return cmd_rem(p, line, len);
	if (!strcasecmp(kw, "FILE"))
		return cmd_file(p);
	if (!strcasecmp(kw, "TRACK"))
		return cmd_track(p);
	if (!strcasecmp(kw, "INDEX"))
		return cmd_index(p);
	if (!strcasecmp(kw, "FLAGS"))
		return cmd_flags(p);
	if (!strcasecmp(kw, "CATALOG")) {
		if ((rc = need(p, 1, "a 13-digit catalog number")))
			return rc;
		if (strlen(p->tok[1].s) != 13 || strspn(p->tok[1].s, "0123456789") != 13)
			return perr(p, p->tok[1].col, "catalog number '%s' is not 13 digits",
				    p->tok[1].s);
		if (d->catalog[0])
			return perr(p, p->tok[0].col, "CATALOG given twice");
		memcpy(d->catalog, p->tok[1].s, 14);
		return 0;
	}
	if (!strcasecmp(kw, "CDTEXTFILE")) {
		if ((rc = need(p, 1, "a file name")))
			return rc;
		free(d->cdtextfile);
		if (!(d->cdtextfile = strdup(p->tok[1].s)))
			return dimg_err(p->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		return 0;
	}
	if (!strcasecmp(kw, "ISRC")) {
		if ((rc = need(p, 1, "an ISRC")))
			return rc;
		if (!p->t)
			return perr(p, p->tok[0].col, "ISRC before any TRACK");
		if (!isrc_ok(p->tok[1].s))
			return perr(p, p->tok[1].col, "'%s' is not an ISRC (CCOOOYYSSSSS)",
				    p->tok[1].s);
		memcpy(p->t->isrc, p->tok[1].s, 13);
		return 0;
	}
	if (!strcasecmp(kw, "PREGAP") || !strcasecmp(kw, "POSTGAP")) {
		bool pre = toupper((unsigned char)kw[1]) == 'R';
		if ((rc = need(p, 1, "a time")) || (rc = parse_msf(p, &p->tok[1], &v)))
			return rc;
		if (!p->t)
			return perr(p, p->tok[0].col, "%s before any TRACK", kw);
		if (pre && (p->t->index[0] >= 0 || p->t->index[1] >= 0))
			return perr(p, p->tok[0].col, "PREGAP after INDEX");
		if (!pre && p->t->index[1] < 0)
			return perr(p, p->tok[0].col, "POSTGAP before INDEX 01");
		if (pre ? p->t->pregap_gen != 0 : p->t->postgap != 0)
			return perr(p, p->tok[0].col, "%s given twice", kw);
		if (pre)
			p->t->pregap_gen = (uint32_t)v;
		else
			p->t->postgap = (uint32_t)v;
		return 0;
	}
	if ((f = text_field(kw)) >= 0) {
		if ((rc = need(p, 1, "a text")))
			return rc;
		return cd_disc_set_text(d, p->t ? p->t->number : 0, (enum cd_text_field)f,
					p->tok[1].s, p->err);
	}
	return perr(p, p->tok[0].col, "unknown command '%s'", kw);
}

int cd_cue_parse(struct cd_disc *d, const char *text, size_t len, const char *name,
		 struct dimg_error *err)
{
	struct cue_parser *p;
	size_t i = 0;
	int rc = 0;
	if (len > CUE_MAX_BYTES)
		return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
				"%s: cue sheet larger than %u bytes", name, CUE_MAX_BYTES);
	if (!(p = calloc(1, sizeof(*p))))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	p->d = d;
	p->name = name;
	p->cur_file = -1;
	p->session = 1;
	p->err = err;
	d->nsessions = 1;
	snprintf(d->sheet, sizeof(d->sheet), "%s", name);
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len && rc == 0) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		p->line++;
		rc = do_line(p, text + i, n);
		i += n + 1;
	}
	if (rc == 0 && d->ntracks == 0)
		rc = dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "%s: no TRACK", name);
	if (rc == 0 && p->t->index[1] < 0)
		rc = dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
			      "%s:%d: track %d has no INDEX 01", name, p->line, p->t->number);
	free(p);
	return rc;
}

/* First INDEX time of a track (INDEX 00 if present) in frames of the FILE
 * that holds it. */
static int32_t first_rel(const struct cd_track *t)
{
	return t->index[0] >= 0 ? t->index[0] : t->index[1];
}

/* The FILE holding a track's first INDEX. */
static int first_file(const struct cd_track *t)
{
	return t->pregap_in_prev_file ? t->file - 1 : t->file;
}

/* "sheet:line:col: " where the track's first INDEX is, if known. */
static const char *where(const struct cd_disc *d, const struct cd_track *t, char *buf, size_t n)
{
	buf[0] = 0;
	if (t->first_line > 0)
		snprintf(buf, n, "%s:%d:%d: ", d->sheet, t->first_line, t->first_col);
	return buf;
}

int cd_cue_layout(struct cd_disc *d, struct dimg_error *err)
{
	int32_t lba = 0;
	uint64_t pos = 0; /* byte position in the current file */
	char at[192];
	for (int i = 0; i < d->ntracks; i++) {
		struct cd_track *t = &d->tracks[i];
		const struct cd_file *f = &d->files[t->file], *pf = &d->files[first_file(t)];
		uint64_t ss = cd_tmodes[t->mode].sector_size, sectors, fpos, gap_pos = 0;
		/* gap: sectors of an EAC-style pregap stored at the end of the
		 * previous FILE, before this track's own FILE begins */
		uint64_t gap = 0;
		int32_t rel0 = first_rel(t), idx[CD_MAX_INDEX + 1];
		int rc;
		if (i == 0 || first_file(t) != d->tracks[i - 1].file) {
			if (rel0 != 0)
				return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
						"%strack %d: the first INDEX in FILE \"%s\" is not "
						"00:00:00",
						where(d, t, at, sizeof(at)), t->number, pf->name);
			pos = 0;
		}
		if (t->pregap_in_prev_file) {
			/* the previous track's bounds check covered pos; the one
			 * here is for a pregap that is all of its FILE */
			if (pos > pf->size)
				return dimg_err(
				    err, DIMG_ERANGE, DIMG_OFFSET_NONE,
				    "%strack %d: INDEX 00 at byte %llu lies beyond the end "
				    "of FILE \"%s\", which has only %llu",
				    where(d, t, at, sizeof(at)), t->number, (unsigned long long)pos,
				    pf->name, (unsigned long long)pf->size);
			gap_pos = pos;
			gap = (pf->size - pos) / ss;
			if (gap >= CD_MAX_LBA)
				return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
						"track %d ends beyond 99:59:74", t->number);
			pos = 0;
			rel0 = t->index[1]; /* 00:00:00 (the parser checked) */
		}
		fpos = pos;
		if (i + 1 < d->ntracks && first_file(&d->tracks[i + 1]) == t->file) {
			const struct cd_track *nt = &d->tracks[i + 1];
			int32_t next = first_rel(nt);
			if (next < rel0)
				return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
						"%strack %d starts before track %d in FILE \"%s\"",
						where(d, nt, at, sizeof(at)), nt->number, t->number,
						f->name);
			sectors = (uint64_t)(next - rel0);
			pos += sectors * ss;
			if (fpos + sectors * ss > f->size)
				return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
						"%sINDEX %02d of track %d is at byte %llu but FILE "
						"\"%s\" has only %llu",
						where(d, nt, at, sizeof(at)),
						nt->index[0] >= 0 ? 0 : 1, nt->number,
						(unsigned long long)pos, f->name,
						(unsigned long long)f->size);
		} else {
			if (fpos > f->size)
				return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
						"track %d starts at byte %llu but FILE \"%s\" has "
						"only %llu",
						t->number, (unsigned long long)fpos, f->name,
						(unsigned long long)f->size);
			sectors = (f->size - fpos) / ss;
		}
		if (fpos + sectors * ss > f->size)
			return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
					"track %d needs %llu bytes of FILE \"%s\" from byte %llu, "
					"which has only %llu",
					t->number, (unsigned long long)(sectors * ss), f->name,
					(unsigned long long)fpos, (unsigned long long)f->size);
		if (i && t->session > d->tracks[i - 1].session)
			lba += CD_SESSION_GAP;
		t->begin = lba;
		/* INDEX 00 of an EAC-style pregap is the first stored sector;
		 * the rest count from INDEX 01 in the track's own FILE */
		for (int k = 0; k <= CD_MAX_INDEX; k++)
			idx[k] = t->index[k] < 0 ? -1
				 : k == 0 && t->pregap_in_prev_file
				     ? lba + (int32_t)t->pregap_gen
				     : lba + (int32_t)(t->pregap_gen + gap) + (t->index[k] - rel0);
		memcpy(t->index, idx, sizeof(idx));
		if (idx[1] < 0 || (uint64_t)(idx[1] - lba) - t->pregap_gen >= gap + sectors)
			return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
					"track %d has no sectors after INDEX 01 in FILE \"%s\"",
					t->number, f->name);
		t->start = idx[1];
		if ((uint64_t)lba + t->pregap_gen + gap + sectors + t->postgap >= CD_MAX_LBA)
			return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
					"track %d ends beyond 99:59:74", t->number);
		t->end = lba + (int32_t)(t->pregap_gen + gap + sectors + t->postgap);
		t->nsegs = 0;
		if ((rc = cd_disc_add_seg(d, t, -1, 0, t->pregap_gen, err)) ||
		    (rc = cd_disc_add_seg(d, t, first_file(t), gap_pos, (uint32_t)gap, err)) ||
		    (rc = cd_disc_add_seg(d, t, t->file, fpos, (uint32_t)sectors, err)) ||
		    (rc = cd_disc_add_seg(d, t, -1, 0, t->postgap, err)))
			return rc;
		lba = t->end;
	}
	d->leadout = lba;
	return cd_disc_validate(d, err);
}

/* ---- writer ------------------------------------------------------------ */

static void put_msf(struct cd_text_out *o, int32_t frames)
{
	cd_out_printf(o, "%02d:%02d:%02d", frames / 4500, frames / 75 % 60, frames % 75);
}

static void put_quoted(struct cd_text_out *o, const char *s)
{
	/* cue strings have no escapes: a '"' cannot be written */
	cd_out_printf(o, "\"");
	for (; *s; s++)
		cd_out_printf(o, "%c", *s == '"' ? '\'' : *s);
	cd_out_printf(o, "\"");
}

/* True when a line gives v exactly: no quote, no control character. */
static bool sayable(const char *v)
{
	for (; *v; v++)
		if (*v == '"' || (unsigned char)*v < 0x20 || *v == 0x7F)
			return false;
	return true;
}

/* Block 0's single-byte text as TITLE/PERFORMER/... lines; with a
 * CDTEXTFILE the rest (other blocks, double-byte text, what a line cannot
 * say exactly) is in the file alone. */
static void put_text(struct cd_text_out *o, const struct cd_disc *d, int n, const char *indent)
{
	const struct cd_text_block *k = &d->cdtext[0];
	if (k->raw || k->charset >= 0x80)
		return;
	for (int f = 0; f < CDT_COUNT; f++) {
		const char *v = k->text[n][f];
		if (!v || (f == CDT_UPC_ISRC && n) || f == CDT_CLOSED || d->text_from_cdt[n][f])
			continue;
		if (d->cdtextfile && !sayable(v))
			continue;
		cd_out_printf(o, "%s%s ", indent, f == CDT_UPC_ISRC ? "UPC_EAN" : cd_text_names[f]);
		put_quoted(o, v);
		cd_out_printf(o, "\n");
	}
}

static void put_file(struct cd_text_out *o, const struct cd_file *f)
{
	static const char *const ftypes[] = {"BINARY", "MOTOROLA", "WAVE", "AIFF"};
	cd_out_printf(o, "FILE ");
	put_quoted(o, f->name);
	cd_out_printf(o, " %s\n", ftypes[f->type]);
}

/* True when segment g holds the last whole sectors of file f (a pregap a
 * cue sheet can place at the end of the FILE before INDEX 01's). */
static bool runs_to_end(const struct cd_file *f, const struct cd_seg *g, uint64_t ss)
{
	return f->size >= g->offset && (f->size - g->offset) / ss == g->sectors;
}

int cd_cue_write(const struct cd_disc *d, struct cd_text_out *o, struct dimg_error *err)
{
	int cur_file = -1, cur_session = 1;
	int32_t cursor = 0; /* frames written into the current file */
	uint64_t bytepos = 0;
	for (int i = 0; i < d->nrems; i++)
		cd_out_printf(o, "REM %s\n", d->rems[i]);
	if (d->catalog[0])
		cd_out_printf(o, "CATALOG %s\n", d->catalog);
	if (d->cdtextfile) {
		cd_out_printf(o, "CDTEXTFILE ");
		put_quoted(o, d->cdtextfile);
		cd_out_printf(o, "\n");
	}
	put_text(o, d, 0, "");
	for (int i = 0; i < d->ntracks; i++) {
		const struct cd_track *t = &d->tracks[i];
		const struct cd_seg *g = &d->segs[t->first_seg], *data;
		int ns = t->nsegs;
		uint32_t pre = 0, post = 0;
		bool eac = false;
		/* the shapes a cue sheet can say: [PREGAP] data [POSTGAP], where
		 * data is one run of one file or (EAC's layout) INDEX 00 to the
		 * end of one file, then INDEX 01 on from the start of the next */
		if (ns && g[0].file < 0 && t->begin + (int32_t)g[0].sectors <= t->start) {
			pre = g[0].sectors;
			g++;
			ns--;
		}
		if (ns > 1 && g[ns - 1].file < 0) {
			post = g[ns - 1].sectors;
			ns--;
		}
		if (ns == 2 && g[0].file >= 0 && g[1].file >= 0 && g[0].file != g[1].file &&
		    g[1].offset == 0 && t->index[0] == t->begin + (int32_t)pre &&
		    t->start == t->index[0] + (int32_t)g[0].sectors &&
		    runs_to_end(&d->files[g[0].file], &g[0], cd_tmodes[t->mode].sector_size)) {
			eac = true;
			ns--;
		}
		data = &g[eac];
		if (ns != 1 || g[0].file < 0)
			return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
					"track %d cannot be described by a cue sheet (its sectors "
					"are not one run of one file)",
					t->number);
		if (g[0].file != cur_file) {
			put_file(o, &d->files[g[0].file]);
			cur_file = g[0].file;
			cursor = 0;
			bytepos = 0;
		}
		if (g[0].offset != bytepos)
			return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
					"track %d: its data does not follow the previous track's "
					"in \"%s\"",
					t->number, d->files[g[0].file].name);
		if (t->session != cur_session || (d->nsessions > 1 && i == 0)) {
			cd_out_printf(o, "  REM SESSION %02d\n", t->session);
			cur_session = t->session;
		}
		cd_out_printf(o, "  TRACK %02d %s\n", t->number, cd_tmodes[t->mode].cue);
		put_text(o, d, t->number, "    ");
		if (t->flags) {
			cd_out_printf(o, "    FLAGS");
			if (t->flags & CD_FLAG_DCP)
				cd_out_printf(o, " DCP");
			if (t->flags & CD_FLAG_4CH)
				cd_out_printf(o, " 4CH");
			if (t->flags & CD_FLAG_PRE)
				cd_out_printf(o, " PRE");
			if (t->flags & CD_FLAG_SCMS)
				cd_out_printf(o, " SCMS");
			cd_out_printf(o, "\n");
		}
		if (t->isrc[0])
			cd_out_printf(o, "    ISRC %s\n", t->isrc);
		if (pre) {
			cd_out_printf(o, "    PREGAP ");
			put_msf(o, (int32_t)pre);
			cd_out_printf(o, "\n");
		}
		for (int k = 0; k <= CD_MAX_INDEX; k++) {
			int32_t rel;
			if (t->index[k] < 0 || (k == 0 && pre && t->index[0] == t->begin))
				continue;
			if (eac && k == 1) {
				put_file(o, &d->files[data->file]);
				cur_file = data->file;
				cursor = 0;
				bytepos = 0;
			}
			rel = eac && k ? t->index[k] - t->start
				       : cursor + (t->index[k] - (t->begin + (int32_t)pre));
			if (rel < cursor) /* an INDEX 00 inside a generated pregap */
				return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
						"track %d: INDEX %02d inside a PREGAP", t->number,
						k);
			cd_out_printf(o, "    INDEX %02d ", k);
			put_msf(o, rel);
			cd_out_printf(o, "\n");
		}
		if (post) {
			cd_out_printf(o, "    POSTGAP ");
			put_msf(o, (int32_t)post);
			cd_out_printf(o, "\n");
		}
		cursor += (int32_t)data->sectors;
		bytepos += (uint64_t)data->sectors * cd_tmodes[t->mode].sector_size;
	}
	if (o->failed)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	return 0;
}
