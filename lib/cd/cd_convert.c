/* SPDX-License-Identifier: MIT */
/*
 * dimg_convert: any CD image (or plain ISO) to ISO, BIN/CUE (one BIN or one
 * per track), cdrdao TOC + BIN, CloneCD CCD/IMG/SUB, or one audio track as
 * WAV / raw PCM.  An output model is built first (same tracks, indexes,
 * flags, text; new files), everything the output cannot hold is listed and
 * refused unless lossy, then the sectors are copied track by track, each
 * converted from its stored form to the output's.  All files are written
 * under temporary names and renamed into place at the end.
 */
#include "cd/cd_disc.h"
#include "cd/cd_par.h"
#include "cd/cd_sector.h"
#include "cd/cd_wav.h"
#include "util/bytes.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum out_fmt { OF_ISO, OF_CUE, OF_TOC, OF_CCD, OF_WAV, OF_RAW };
static const char *const fmt_names[] = {"iso", "cue", "toc", "ccd", "wav", "raw"};

#define CONV_MAX_OUT (CD_MAX_TRACKS + 3)
#define BATCH 2048u

struct out_file {
	char *final; /* path */
	char *tmp;
	int fd;
	uint64_t pos; /* bytes written */
};

struct conv {
	const struct cd_disc *in;
	struct cd_disc *out;
	const struct dimg_convert_options *opt;
	enum out_fmt fmt;
	struct out_file files[CONV_MAX_OUT];
	int nfiles;
	uint8_t *inbuf, *outbuf;
	uint64_t total, done;
	uint64_t lost; /* sectors whose raw bytes did not survive */
	int32_t first_lost;
	struct dimg_node *summary, *losses;
	struct dimg_error *err;
	uint8_t *cdt; /* packs for a new CDTEXTFILE */
	size_t cdt_len;
};

/* ---- outputs ------------------------------------------------------------ */

static int out_add(struct conv *c, const char *path, struct dimg_error *err)
{
	struct out_file *f;
	struct stat st;
	const char *slash;
	if (c->nfiles >= CONV_MAX_OUT)
		return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "too many output files");
	if (!c->opt->force && lstat(path, &st) == 0)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
				"%s already exists (use --force to replace it)", path);
	f = &c->files[c->nfiles];
	f->fd = -1;
	if (!(f->final = strdup(path)) || !(f->tmp = malloc(strlen(path) + 16)))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	slash = strrchr(path, '/');
	if (slash)
		sprintf(f->tmp, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
	else
		sprintf(f->tmp, ".%s.XXXXXX", path);
	f->pos = 0;
	if ((f->fd = mkstemp(f->tmp)) < 0) {
		free(f->tmp);
		free(f->final);
		f->tmp = f->final = NULL;
		return dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "%s: cannot create output", path);
	}
	c->nfiles++;
	return 0;
}

/* Writes len bytes at off without moving the output's position: the
 * conversion threads each write their own slice of a batch this way.  Plain
 * positioned writes beat a shared writable mapping of a preallocated file:
 * no page fault per 4 KiB, no unwritten extents to convert (measured on
 * ext4: 0.16 s against 0.3-0.6 s for 700 MB, see bench/cd_image.sh). */
static int out_pwrite(const struct out_file *f, const uint8_t *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t k = pwrite(f->fd, p, len, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? errno : ENOSPC;
		p += k;
		len -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static int out_write(struct conv *c, int idx, const void *buf, size_t len)
{
	struct out_file *f = &c->files[idx];
	int e = out_pwrite(f, buf, len, f->pos);
	if (e)
		return dimg_err_sys(c->err, e, DIMG_OFFSET_NONE, "%s: write failed", f->final);
	f->pos += len;
	return 0;
}

/* Closes every output; on success renames them into place (the sheet,
 * added first, last of all so it never names missing files). */
static int out_finish(struct conv *c, int rc)
{
	for (int i = 0; i < c->nfiles; i++) {
		struct out_file *f = &c->files[i];
		if (rc == 0 && fchmod(f->fd, 0644) != 0)
			rc = dimg_err_sys(c->err, errno, DIMG_OFFSET_NONE, "%s: chmod", f->final);
		if (close(f->fd) != 0 && rc == 0)
			rc = dimg_err_sys(c->err, errno, DIMG_OFFSET_NONE, "%s: write failed",
					  f->final);
	}
	for (int i = c->nfiles - 1; rc == 0 && i >= 0; i--)
		if (rename(c->files[i].tmp, c->files[i].final) != 0)
			rc = dimg_err_sys(c->err, errno, DIMG_OFFSET_NONE,
					  "%s: cannot rename into place", c->files[i].final);
	for (int i = 0; i < c->nfiles; i++) {
		if (rc)
			unlink(c->files[i].tmp);
		free(c->files[i].tmp);
		free(c->files[i].final);
	}
	return rc;
}

/* ---- planning ------------------------------------------------------------ */

static void lose(struct conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lose(struct conv *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	node_str(c->losses, NULL, msg);
}

/* Bytes the input stores outside its disc (NRG: the pregap before LBA 0)
 * are lost to every output when they are not silence. */
static int lose_unkept(struct conv *c)
{
	int rc = cd_unkept_nonzero(c->in, c->err);
	if (rc == 1)
		lose(c, "%llu bytes stored before LBA 0 that are not silence",
		     (unsigned long long)c->in->unkept.len);
	return rc == 1 ? 0 : rc;
}

/* What a track's subchannel holds beyond what cd_sub_generate makes from the
 * track table (P and Q position data, R-W zero): a CCD made by dimg from a
 * cue goes back to the same cue because its .sub holds nothing else. */
struct sub_survey {
	bool pq; /* P or Q differ from the generated ones */
	bool rw; /* R-W not all zero */
};

static int survey_sub(const struct cd_disc *d, const struct cd_track *t, struct sub_survey *s,
		      struct dimg_error *err)
{
	uint8_t got[96 * 64], want[96];
	s->pq = s->rw = false;
	for (int32_t lba = t->begin; lba < t->end && !(s->pq && s->rw);) {
		uint32_t n = (uint32_t)(t->end - lba) < 64 ? (uint32_t)(t->end - lba) : 64;
		int rc = cd_read_sub(d, lba, n, got, err);
		if (rc)
			return rc;
		for (uint32_t k = 0; k < n; k++) {
			const uint8_t *g = got + k * 96;
			cd_sub_generate(d, lba + (int32_t)k, want);
			s->pq = s->pq || memcmp(g, want, 24) != 0;
			for (int i = 24; i < 96 && !s->rw; i++)
				s->rw = g[i] != 0;
		}
		lba += (int32_t)n;
	}
	return 0;
}

/* Whether the whole disc's subchannel is what the track table makes. */
static int sub_regenerable(const struct cd_disc *d, bool *yes, struct dimg_error *err)
{
	*yes = true;
	if (!cd_disc_has_sub(d))
		return 0;
	for (int i = 0; i < d->ntracks && *yes; i++) {
		struct sub_survey s;
		int rc = survey_sub(d, &d->tracks[i], &s, err);
		if (rc)
			return rc;
		*yes = !s.pq && !s.rw && d->tracks[i].sub_rw != CD_SUBRW_PACKED;
	}
	return 0;
}

/* What of the input's CD-TEXT the output cannot say.  A ccd or a cue
 * (CDTEXTFILE) copies the source's packs when they were kept, and a cue
 * copies its own CDTEXTFILE; otherwise the packs are made again from the
 * model, which lacks what the decoder could not read or keep.  A TOC file
 * (cdrdao's CD_TEXT) holds every block's text, language, MS-JIS/Korean/
 * Mandarin encoding and genre code, but no copyright flags. */
static void text_losses(struct conv *c)
{
	const struct cd_disc *in = c->in;
	bool exact =
	    (c->fmt == OF_CUE && in->cdt) || (in->packs && (c->fmt == OF_CCD || c->fmt == OF_CUE));
	if (!exact && (in->cdtext_loss & CD_CDT_DAMAGED))
		lose(c, "CD-TEXT strings in packs with a bad CRC or out of sequence");
	if (!exact && (in->cdtext_loss & CD_CDT_TYPES))
		lose(c, "CD-TEXT packs the model does not hold (TOC_INFO 0x88/0x89, reserved "
			"types)");
	if (!exact && (in->cdtext_loss & CD_CDT_CHARS))
		lose(c, "CD-TEXT control characters or overlong strings (shown as '?' or cut)");
	if (c->fmt != OF_TOC)
		return;
	for (int b = 0; b < CD_TEXT_BLOCKS; b++) {
		const struct cd_text_block *k = &in->cdtext[b];
		if (!cd_text_block_used(in, b))
			continue;
		if (k->copyright)
			lose(c, "CD-TEXT block %d: the copyright flags (0x%02x)", b, k->copyright);
		if (k->charset > CD_CS_MANDARIN)
			lose(c, "CD-TEXT block %d: character set 0x%02x", b, k->charset);
	}
}

/* The output mode of a track: what the format can store, as close to the
 * input as possible. */
static enum cd_tmode out_mode(const struct cd_disc *in, enum out_fmt fmt, enum cd_tmode m)
{
	/* a plain ISO becomes a real Mode 1 track: raw sectors with headers,
	 * EDC and ECC (what a disc holds; cooked 2048 is an ISO's own form) */
	if (in->plain && fmt != OF_ISO && m == CD_TM_MODE1_2048)
		return CD_TM_MODE1_2352;
	switch (fmt) {
	case OF_CCD: /* CloneCD stores every sector raw */
		if (m == CD_TM_AUDIO || m == CD_TM_CDG)
			return CD_TM_AUDIO;
		return cd_tmodes[m].data_mode == 1 ? CD_TM_MODE1_2352 : CD_TM_MODE2_2352;
	case OF_TOC:
		if (m == CD_TM_CDI_2352)
			return CD_TM_MODE2_2352;
		if (m == CD_TM_CDI_2336)
			return CD_TM_MODE2_2336;
		return m;
	case OF_ISO:
		return CD_TM_MODE1_2048;
	default:
		return m;
	}
}

/* Sector bytes without inline R-W. */
static size_t payload(enum cd_tmode m)
{
	return m == CD_TM_CDG ? CD_RAW : cd_tmodes[m].sector_size;
}

/* Where output track t keeps the subchannel of input track it: the .sub of
 * a ccd, inline raw R-W (a toc's RW_RAW, a cue's CDG for audio; P and Q
 * ride along in bits 7 and 6 where they differ from the generated ones), a
 * toc's RW for packed R-W, or nowhere: then what the track table cannot
 * give again is a loss. */
static int plan_track_sub(struct conv *c, const struct cd_track *it, struct cd_track *t)
{
	struct sub_survey s;
	int rc;
	t->sub_rw = CD_SUBRW_NONE;
	if (it->sub_rw == CD_SUBRW_PACKED) {
		if (c->fmt == OF_TOC)
			t->sub_rw = CD_SUBRW_PACKED;
		else
			lose(c, "track %d: its packed R-W subchannel (only a TOC file holds it)",
			     it->number);
		return 0;
	}
	if (c->fmt == OF_CCD || !cd_disc_has_sub(c->in) || t->mode == CD_TM_CDG)
		return 0;
	if (c->fmt == OF_TOC && it->sub_rw) {
		t->sub_rw = it->sub_rw;
		return 0;
	}
	if ((rc = survey_sub(c->in, it, &s, c->err)))
		return rc;
	if (s.rw && (c->fmt == OF_TOC || c->fmt == OF_CUE) && t->mode == CD_TM_AUDIO) {
		t->mode = CD_TM_CDG; /* CD+G */
	} else if (s.rw && c->fmt == OF_TOC) {
		t->sub_rw = CD_SUBRW_RAW;
	} else if (s.rw || s.pq) {
		lose(c, "track %d: its subchannel data (%s)", it->number,
		     !s.rw  ? "P/Q that the track table does not give"
		     : s.pq ? "R-W, and P/Q that the track table does not give"
			    : "R-W");
	}
	return 0;
}

static char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Copies the track table into c->out with new files and segments: every
 * sector stored except a cue/toc PREGAP and a cue POSTGAP, which stay
 * generated (they were generated in the input too). */
static int plan_sheet(struct conv *c, const char *base_name)
{
	const struct cd_disc *in = c->in;
	struct cd_disc *o = c->out;
	struct dimg_error *err = c->err;
	int file = -1, rc;
	uint64_t pos = 0;
	o->ntracks = in->ntracks;
	o->nsessions = in->nsessions;
	o->leadout = in->leadout;
	memcpy(o->catalog, in->catalog, sizeof(o->catalog));
	if ((rc = cd_disc_copy_text(o, in, err)))
		return rc;
	if (c->fmt == OF_CUE)
		for (int i = 0; i < in->nrems; i++)
			if (!(o->rems[o->nrems++] = strdup(in->rems[i])))
				return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE,
						"out of memory");
	if (c->fmt != OF_CUE && in->nrems)
		lose(c, "%d REM comment line(s) of the cue sheet", in->nrems);
	for (int i = 0; i < in->ntracks; i++) {
		const struct cd_track *it = &in->tracks[i];
		struct cd_track *t = &o->tracks[i];
		enum cd_tmode m = out_mode(in, c->fmt, it->mode);
		uint32_t pre = 0, post = 0, stored;
		*t = *it;
		t->mode = m;
		t->nsegs = 0;
		t->file = -1;
		if ((rc = plan_track_sub(c, it, t)))
			return rc;
		/* scrambled storage is CloneCD's; elsewhere the sectors are
		 * stored as they read (the same disc either way) */
		t->scrambled = it->scrambled && c->fmt == OF_CCD;
		if (m != it->mode && payload(m) < payload(it->mode) && it->mode != CD_TM_CDI_2352 &&
		    it->mode != CD_TM_CDI_2336)
			lose(c, "track %d: %s sectors stored as %s", it->number,
			     cd_tmodes[it->mode].cue, cd_tmodes[m].cue);
		if (it->mode == CD_TM_CDI_2352 || it->mode == CD_TM_CDI_2336) {
			if (m != it->mode)
				lose(c, "track %d: the CD-i mode name (stored as %s)", it->number,
				     cd_tmodes[m].cue);
		}
		if (c->fmt != OF_CCD) {
			const struct cd_seg *g = &in->segs[it->first_seg];
			if (g[0].file < 0 && it->begin + (int32_t)g[0].sectors <= it->start)
				pre = g[0].sectors;
			if (c->fmt == OF_CUE && it->nsegs > 1 && g[it->nsegs - 1].file < 0 &&
			    it->end - (int32_t)g[it->nsegs - 1].sectors >= it->start)
				post = g[it->nsegs - 1].sectors;
		}
		t->pregap_gen = pre;
		t->postgap = post;
		stored = (uint32_t)(it->end - it->begin) - pre - post;
		if (file < 0 || (c->fmt == OF_CUE && c->opt->split)) {
			char *name =
			    c->opt->split && c->fmt == OF_CUE
				? strdup_printf("%s (Track %02d).bin", base_name, it->number)
				: strdup_printf("%s.%s", base_name,
						c->fmt == OF_CCD ? "img" : "bin");
			if (!name)
				return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE,
						"out of memory");
			file = cd_disc_add_file(o, name, CD_FILE_BINARY, err);
			free(name);
			if (file < 0)
				return file;
			pos = 0;
		}
		if ((rc = cd_disc_add_seg(o, t, -1, 0, pre, err)) ||
		    (rc = cd_disc_add_seg(o, t, file, pos, stored, err)) ||
		    (rc = cd_disc_add_seg(o, t, -1, 0, post, err)))
			return rc;
		pos += (uint64_t)stored * cd_track_stride(t);
	}
	if (c->fmt == OF_CCD) {
		char *name = strdup_printf("%s.sub", base_name);
		if (!name)
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		o->sub_file = cd_disc_add_file(o, name, CD_FILE_BINARY, err);
		free(name);
		if (o->sub_file < 0)
			return o->sub_file;
	}
	/* CD-TEXT read from a CDTEXTFILE is in the model: toc and ccd carry it,
	 * a cue names a copy of the file written next to it.  A cue made from
	 * anything else gets a CDTEXTFILE with the source's packs (or the
	 * model's encoding) when its lines cannot say everything. */
	if (in->cdtextfile && c->fmt == OF_CUE) {
		o->cdtextfile =
		    in->cdt ? strdup_printf("%s.cdt", base_name) : strdup(in->cdtextfile);
		if (!o->cdtextfile)
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		memcpy(o->text_from_cdt, in->text_from_cdt, sizeof(o->text_from_cdt));
	} else if (c->fmt == OF_CUE && (in->packs || !cd_cdtext_cue_lines_suffice(in))) {
		if ((rc = cd_cdtext_packs(in, &c->cdt, &c->cdt_len, err)))
			return rc;
		if (c->cdt && !(o->cdtextfile = strdup_printf("%s.cdt", base_name)))
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	} else if (in->cdtextfile && in->cdt_missing) {
		lose(c, "the CDTEXTFILE reference (\"%s\" is missing)", in->cdtextfile);
	}
	text_losses(c);
	if (c->fmt == OF_CCD && !in->packs && cd_text_any(in)) {
		/* the ccd writer encodes the text; fail here, before any output */
		uint8_t *p = NULL;
		size_t n;
		rc = cd_cdtext_encode(in, &p, &n, err);
		free(p);
		if (rc)
			return rc;
	}
	return cd_disc_validate(o, err);
}

/* ---- copying ------------------------------------------------------------- */

static void progress(struct conv *c, uint64_t add)
{
	c->done += add;
	if (c->opt->progress)
		c->opt->progress(c->opt->progress_ctx, c->done, c->total);
}

/* Raw Mode 1 to its user data, the hot path of BIN -> ISO: sync, header
 * (MSF of this LBA, mode 1), the reserved zero bytes and the EDC are
 * compared; the P/Q parity, which only protects what the EDC already
 * vouches for, is left to `dimg verify` (comparing it would triple the
 * cost). */
static bool mode1_to_cooked(int32_t lba, const uint8_t *raw, uint8_t *out)
{
	uint8_t m, s, f;
	bool ok;
	cd_lba_to_msf(lba, &m, &s, &f);
	memcpy(out, raw + 16, 2048);
	ok = !memcmp(raw, cd_sync, CD_SYNC_LEN) && raw[12] == cd_bcd(m) && raw[13] == cd_bcd(s) &&
	     raw[14] == cd_bcd(f) && raw[15] == 1 && ld_le32(raw + 2068) == 0 &&
	     ld_le32(raw + 2072) == 0;
	return ok && ld_le32(raw + 2064) == cd_edc(raw, 2064, 0);
}

/* Sectors converted per thread before a write: large enough for cheap
 * page-cache writes, small enough to stay in the CPU's cache. */
#define CHUNK 256u
/* Sectors handed to the threads at once when the input is mapped (about
 * 75 MB raw): the progress bar moves between these. */
#define SPAN 32768u

struct xform {
	const uint8_t *in; /* n stored sectors of the input track */
	enum cd_tmode im, om;
	size_t is, os; /* bytes a sector in and out (inline R-W included) */
	/* output inline R-W, 96 bytes a sector; NULL: the input's own */
	const uint8_t *sub;
	bool scramble;		  /* store the output sectors scrambled */
	int32_t lba;		  /* of in[0] */
	const struct out_file *f; /* written at off + k * os */
	uint64_t off;
	/* results, shared by the threads */
	uint64_t lost;	    /* sectors whose raw bytes did not survive */
	int32_t first_lost; /* INT32_MAX none */
	int werr;	    /* first write errno, 0 none */
};

static void note_lost(struct xform *x, uint64_t lost, int32_t first)
{
	int32_t cur = __atomic_load_n(&x->first_lost, __ATOMIC_RELAXED);
	if (!lost)
		return;
	__atomic_fetch_add(&x->lost, lost, __ATOMIC_RELAXED);
	while (first < cur && !__atomic_compare_exchange_n(&x->first_lost, &cur, first, false,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* One thread's slice [lo, hi): converted a chunk at a time into its own
 * buffer and written in place; an unchanged mode is written straight from
 * the input. */
static void xform_range(void *ctx, size_t lo, size_t hi)
{
	struct xform *x = ctx;
	size_t ipay = payload(x->im), opay = payload(x->om);
	uint8_t tmp[CD_RAW], *buf = NULL;
	uint64_t lost = 0;
	int32_t first = INT32_MAX;
	int e = 0;
	if (x->im == x->om && x->is == x->os && !x->sub && !x->scramble) {
		e = out_pwrite(x->f, x->in + lo * x->is, (hi - lo) * x->is, x->off + lo * x->os);
		goto out;
	}
	if (!(buf = malloc(CHUNK * x->os))) {
		e = ENOMEM;
		goto out;
	}
	for (size_t c0 = lo; c0 < hi && !e; c0 += CHUNK) {
		size_t c1 = hi - c0 < CHUNK ? hi : c0 + CHUNK;
		for (size_t k = c0; k < c1; k++) {
			const uint8_t *raw = x->in + k * x->is;
			uint8_t *o = buf + (k - c0) * x->os;
			int32_t lba = x->lba + (int32_t)k;
			bool ok;
			if (x->im == CD_TM_MODE1_2352 && x->om == CD_TM_MODE1_2048) {
				ok = mode1_to_cooked(lba, raw, o);
			} else {
				if (!cd_tmodes[x->im].raw || x->im == CD_TM_CDG) {
					cd_stored_to_raw(x->im, lba, raw, tmp);
					raw = tmp;
				}
				ok = cd_raw_to_stored(x->om, lba, raw, o);
			}
			if (x->os > opay)
				memcpy(o + opay,
				       x->sub ? x->sub + k * 96 : x->in + k * x->is + ipay, 96);
			if (x->scramble)
				cd_scramble(o);
			if (!ok && lost++ == 0)
				first = lba;
		}
		e = out_pwrite(x->f, buf, (c1 - c0) * x->os, x->off + c0 * x->os);
	}
	free(buf);
out:
	note_lost(x, lost, first);
	if (e)
		__atomic_compare_exchange_n(&x->werr, &(int){0}, e, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
}

/* The raw R-W bytes of an output sector from the input's subchannel: P-W
 * interleaved as on the disc, with P and Q left out (bits 7 and 6 zero)
 * where they are what the track table generates. */
static int make_inline_sub(struct conv *c, int32_t lba, uint32_t n, uint8_t *out)
{
	uint8_t gen[96];
	int rc = cd_read_sub(c->in, lba, n, out, c->err);
	if (rc == DIMG_ENOTFOUND) {
		for (uint32_t k = 0; k < n; k++)
			cd_sub_generate(c->in, lba + (int32_t)k, out + k * 96);
		rc = 0;
	}
	for (uint32_t k = 0; rc == 0 && k < n; k++) {
		uint8_t *b = out + k * 96, raw[96];
		bool pq_gen;
		cd_sub_generate(c->in, lba + (int32_t)k, gen);
		pq_gen = memcmp(b, gen, 24) == 0;
		cd_sub_interleave(b, raw);
		for (int i = 0; i < 96; i++)
			b[i] = pq_gen ? (uint8_t)(raw[i] & 0x3F) : raw[i];
	}
	return rc;
}

/* Writes sectors [from, to) of input track it to output idx as mode om
 * with inline R-W osub: spans of the mapped input (or batches read into a
 * buffer when the file is not mapped) are converted and written by all
 * CPUs at once. */
static int copy_sectors(struct conv *c, const struct cd_track *it, enum cd_tmode om,
			enum cd_subrw osub, bool scramble, int32_t from, int32_t to, int idx)
{
	const struct cd_track ot = {.mode = om, .sub_rw = osub};
	size_t iss = cd_track_stride(it), oss = cd_track_stride(&ot);
	bool out_raw_rw = cd_track_raw_rw(&ot);
	bool keep = (out_raw_rw && cd_track_raw_rw(it)) ||
		    (osub == CD_SUBRW_PACKED && it->sub_rw == CD_SUBRW_PACKED);
	struct out_file *f = &c->files[idx];
	uint8_t *sub = NULL;
	int rc = 0;
	if (oss > payload(om) && !keep && !(sub = malloc((size_t)SPAN * 96u)))
		return dimg_err(c->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	while (from < to && rc == 0) {
		uint32_t n = (uint32_t)(to - from) < SPAN ? (uint32_t)(to - from) : SPAN;
		struct xform x = {.im = it->mode,
				  .om = om,
				  .is = iss,
				  .os = oss,
				  .sub = sub,
				  .scramble = scramble && om != CD_TM_AUDIO,
				  .lba = from,
				  .f = f,
				  .off = f->pos,
				  .first_lost = INT32_MAX};
		if (!(x.in = cd_stored_ptr(c->in, it, from, &n))) {
			if (n > BATCH)
				n = BATCH;
			if ((rc = cd_read_stored(c->in, it, from, n, c->inbuf, c->err)))
				break;
			x.in = c->inbuf;
		}
		if (sub && (rc = make_inline_sub(c, from, n, sub)))
			break;
		cd_parallel(n, xform_range, &x);
		if (x.werr) {
			rc = dimg_err_sys(c->err, x.werr, DIMG_OFFSET_NONE, "%s: write failed",
					  f->final);
			break;
		}
		if (x.lost) {
			if (!c->lost)
				c->first_lost = x.first_lost;
			c->lost += x.lost;
		}
		f->pos += (uint64_t)n * oss;
		progress(c, (uint64_t)n * iss);
		from += (int32_t)n;
	}
	free(sub);
	return rc;
}

/* The .sub follows the .img: every track's sectors in order, session gaps
 * skipped; blocks the input lacks are generated (P and Q). */
static int write_sub(struct conv *c, int idx)
{
	const struct cd_disc *in = c->in;
	int rc = 0;
	for (int i = 0; i < in->ntracks && rc == 0; i++) {
		const struct cd_track *t = &in->tracks[i];
		for (int32_t lba = t->begin; lba < t->end && rc == 0;) {
			uint32_t n =
			    (uint32_t)(t->end - lba) < BATCH ? (uint32_t)(t->end - lba) : BATCH;
			rc = cd_read_sub(in, lba, n, c->outbuf, c->err);
			if (rc == DIMG_ENOTFOUND) {
				rc = 0;
				for (uint32_t k = 0; k < n; k++)
					cd_sub_generate(in, lba + (int32_t)k, c->outbuf + k * 96);
			}
			if (rc == 0)
				rc = out_write(c, idx, c->outbuf, n * 96u);
			lba += (int32_t)n;
		}
	}
	return rc;
}

static int write_sheet_text(struct conv *c, int idx)
{
	struct cd_text_out o = {0};
	int rc;
	switch (c->fmt) {
	case OF_CUE:
		rc = cd_cue_write(c->out, &o, c->err);
		break;
	case OF_TOC:
		rc = cd_toc_write(c->out, &o, c->err);
		break;
	default:
		rc = cd_ccd_write(c->out, &o, c->err);
		break;
	}
	if (rc == 0 && o.failed)
		rc = dimg_err(c->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	if (rc == 0)
		rc = out_write(c, idx, o.buf, o.len);
	free(o.buf);
	return rc;
}

static int run_sheet(struct conv *c, const char *out)
{
	const struct cd_disc *in = c->in;
	char *base = strdup(out), *dot, *slash, *dir_prefix;
	int rc, data_first;
	if (!base)
		return dimg_err(c->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	slash = strrchr(base, '/');
	dot = strrchr(slash ? slash : base, '.');
	if (dot)
		*dot = 0;
	rc = plan_sheet(c, slash ? slash + 1 : base);
	if (rc == 0)
		rc = lose_unkept(c);
	if (rc)
		goto done;
	if (c->losses && dimg_node_first(c->losses) && !c->opt->lossy) {
		rc = DIMG_EUNSUPPORTED;
		goto done;
	}
	dir_prefix = slash ? strndup(base, (size_t)(slash - base) + 1) : strdup("");
	if (!dir_prefix) {
		rc = dimg_err(c->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		goto done;
	}
	rc = out_add(c, out, c->err); /* the sheet: index 0 */
	data_first = c->nfiles;
	for (int i = 0; rc == 0 && i < c->out->nfiles; i++) {
		char *p = strdup_printf("%s%s", dir_prefix, c->out->files[i].name);
		rc = p ? out_add(c, p, c->err)
		       : dimg_err(c->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		free(p);
	}
	if (rc == 0 && (in->cdt || c->cdt) && c->out->cdtextfile) {
		char *p = strdup_printf("%s%s", dir_prefix, c->out->cdtextfile);
		int k = c->nfiles;
		rc = p ? out_add(c, p, c->err)
		       : dimg_err(c->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		free(p);
		if (rc == 0)
			rc = c->cdt ? out_write(c, k, c->cdt, c->cdt_len)
				    : out_write(c, k, in->cdt, in->cdt_len);
	}
	free(dir_prefix);
	for (int i = 0; rc == 0 && i < in->ntracks; i++) {
		const struct cd_track *it = &in->tracks[i], *ot = &c->out->tracks[i];
		const struct cd_seg *g = &c->out->segs[ot->first_seg];
		if (g->file < 0)
			g++; /* the leading generated run (PREGAP) */
		rc = copy_sectors(c, it, ot->mode, (enum cd_subrw)ot->sub_rw, ot->scrambled,
				  it->begin + (int32_t)ot->pregap_gen,
				  it->end - (int32_t)ot->postgap, data_first + g->file);
	}
	if (rc == 0 && c->fmt == OF_CCD)
		rc = write_sub(c, data_first + c->out->sub_file);
	if (rc == 0 && c->lost && !c->opt->lossy)
		rc = dimg_err(c->err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
			      "%llu sector(s) (the first at LBA %d) are not what their mode "
			      "regenerates; the output would change them (use --lossy)",
			      (unsigned long long)c->lost, c->first_lost);
	if (rc == 0)
		rc = write_sheet_text(c, 0);
done:
	free(base);
	return rc;
}

/* ISO: the data track's user data; WAV/raw: one audio track's PCM. */
static int run_single(struct conv *c, const char *out)
{
	const struct cd_disc *in = c->in;
	const struct cd_track *t = NULL;
	int32_t from, to;
	int rc;
	if (c->fmt == OF_ISO) {
		t = cd_disc_data_track(in);
		if (!t)
			return dimg_err(c->err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
					"the disc has no data track to write as ISO");
		if (cd_tmodes[t->mode].data_mode == 2 && t->mode != CD_TM_MODE2_2048)
			lose(c, "track %d: Mode 2 sectors as 2048-byte Form 1 data", t->number);
	} else {
		for (int i = 0; i < in->ntracks; i++) {
			const struct cd_track *x = &in->tracks[i];
			if (c->opt->track ? x->number == c->opt->track
					  : cd_tmodes[x->mode].data_mode == 0) {
				if (t && !c->opt->track)
					return dimg_err(c->err, DIMG_EINVAL, DIMG_OFFSET_NONE,
							"the disc has several audio tracks: choose "
							"one with --track");
				t = x;
			}
		}
		if (!t)
			return dimg_err(c->err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
					c->opt->track ? "no track %d" : "no audio track%.0d",
					c->opt->track);
		if (cd_tmodes[t->mode].data_mode != 0)
			return dimg_err(c->err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"track %d is a data track (%s), not audio", t->number,
					cd_tmodes[t->mode].cue);
		if (t->mode == CD_TM_CDG)
			lose(c, "track %d: the CD+G subchannel graphics", t->number);
		else if (t->sub_rw)
			lose(c, "track %d: its R-W subchannel", t->number);
	}
	/* ISO stands for the whole disc, so what else the disc holds is lost;
	 * wav/raw pick one track by design and lose nothing of it */
	if (c->fmt == OF_ISO) {
		for (int i = 0; i < in->ntracks; i++)
			if (&in->tracks[i] != t)
				lose(c, "track %d (%s)", in->tracks[i].number,
				     cd_tmodes[in->tracks[i].mode].cue);
		if (in->catalog[0])
			lose(c, "the catalog number");
		if (cd_text_any(in))
			lose(c, "CD-TEXT");
		if (t->isrc[0] || t->flags)
			lose(c, "track %d's flags and ISRC", t->number);
		bool regen;
		if ((rc = sub_regenerable(in, &regen, c->err)))
			return rc;
		if (!regen)
			lose(c, "the subchannel data");
	}
	from = (c->fmt == OF_ISO || c->opt->with_pregap) ? t->begin : t->start;
	if (c->fmt == OF_ISO && t->begin != t->start)
		from = t->start;
	to = t->end;
	if ((c->fmt == OF_ISO || (t == &in->tracks[0] && c->opt->with_pregap)) &&
	    (rc = lose_unkept(c)))
		return rc;
	if (dimg_node_first(c->losses) && !c->opt->lossy)
		return DIMG_EUNSUPPORTED;
	c->total = (uint64_t)(to - from) * cd_track_stride(t);
	if ((rc = out_add(c, out, c->err)))
		return rc;
	if (c->fmt == OF_WAV) {
		uint8_t h[CD_WAV_HEADER];
		cd_wav_header(h, (uint32_t)(to - from) * CD_RAW);
		if ((rc = out_write(c, 0, h, sizeof(h))))
			return rc;
	}
	rc = copy_sectors(c, t,
			  c->fmt != OF_ISO		      ? CD_TM_AUDIO
			  : cd_tmodes[t->mode].data_mode == 2 ? CD_TM_MODE2_2048
							      : CD_TM_MODE1_2048,
			  CD_SUBRW_NONE, false, from, to, 0);
	if (rc == 0 && c->fmt == OF_ISO && cd_tmodes[t->mode].data_mode == 2 && c->lost)
		c->lost = 0; /* Mode 2 was already declared lossy above */
	if (rc == 0 && c->lost && !c->opt->lossy)
		rc = dimg_err(c->err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
			      "%llu raw sector(s) (the first at LBA %d) hold bytes a 2048-byte "
			      "sector cannot keep (bad EDC/ECC or header; use --lossy)",
			      (unsigned long long)c->lost, c->first_lost);
	return rc;
}

static int parse_fmt(const char *to, const char *out, enum out_fmt *fmt, struct dimg_error *err)
{
	const char *name = to;
	if (!name) {
		const char *slash = strrchr(out, '/');
		name = strrchr(slash ? slash : out, '.');
		if (!name)
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"%s: no extension to tell the output format; use --to",
					out);
		name++;
		if (!strcasecmp(name, "bin") || !strcasecmp(name, "pcm"))
			name = "raw";
	}
	for (int i = 0; i < (int)(sizeof(fmt_names) / sizeof(fmt_names[0])); i++)
		if (!strcasecmp(name, fmt_names[i])) {
			*fmt = (enum out_fmt)i;
			return 0;
		}
	return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
			"unknown output format '%s' (iso, cue, toc, ccd, wav, raw)", name);
}

int dimg_convert(struct dimg_image *img, const char *out, const struct dimg_convert_options *opt,
		 struct dimg_node **summary, struct dimg_error *err)
{
	struct conv c = {.opt = opt, .err = err};
	int rc;
	if (summary)
		*summary = NULL;
	if ((rc = parse_fmt(opt->to, out, &c.fmt, err)))
		return rc;
	if (!(c.in = image_disc(img, err)))
		return err->code ? err->code : DIMG_EUNSUPPORTED;
	c.summary = node_object(NULL, NULL);
	c.out = cd_disc_new();
	c.inbuf = malloc(BATCH * 2448u);
	c.outbuf = malloc(BATCH * 2448u);
	if (!c.summary || !c.out || !c.inbuf || !c.outbuf) {
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		goto done;
	}
	node_str(c.summary, "output", out);
	node_str(c.summary, "format", fmt_names[c.fmt]);
	c.losses = node_array(c.summary, "lost");
	for (int i = 0; i < c.in->ntracks; i++)
		c.total += (uint64_t)(c.in->tracks[i].end - c.in->tracks[i].begin) *
			   cd_track_stride(&c.in->tracks[i]);
	cd_disc_map_files(image_disc(img, err));
	if (c.fmt == OF_ISO || c.fmt == OF_WAV || c.fmt == OF_RAW)
		rc = run_single(&c, out);
	else
		rc = run_sheet(&c, out);
	if (rc == DIMG_EUNSUPPORTED && !err->code) {
		char list[768] = "";
		for (const struct dimg_node *n = dimg_node_first(c.losses); n;
		     n = dimg_node_next(n))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? "; " : "", dimg_node_str(n));
		dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
			 "%s cannot hold everything in this image: it would lose %s (use --lossy "
			 "to convert anyway)",
			 fmt_names[c.fmt], list);
	}
	rc = out_finish(&c, rc);
	if (rc == 0)
		node_int(c.summary, "sectors_changed", (int64_t)c.lost);
done:
	free(c.cdt);
	free(c.inbuf);
	free(c.outbuf);
	cd_disc_free(c.out);
	if (rc == 0 && summary)
		*summary = c.summary;
	else
		dimg_node_free(c.summary);
	return rc;
}
