/* SPDX-License-Identifier: MIT */
/*
 * Opening the files a disc model names, and reading sectors: stored as the
 * track keeps them, raw 2352-byte, subchannel.  Raw <-> stored conversion
 * happens here once for every container.
 */
#include "cd/cd_disc.h"
#include "cd/cd_flac.h"
#include "cd/cd_sector.h"
#include "util/bytes.h"
#include "util/checked.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Subheaders written when a cooked Mode 2 sector is expanded: Form 1 data,
 * Form 2 data (submode 0x08 / 0x20, ECMA-130 / CD-ROM XA). */
static const uint8_t sub_form1[4] = {0, 0, 0x08, 0};
static const uint8_t sub_form2[4] = {0, 0, 0x20, 0};

/* ---- opening ----------------------------------------------------------- */

/* A sheet may only name files in its own folder or below. */
static int check_name(const char *name, struct dimg_error *err)
{
	const char *p = name;
	if (!*name)
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "empty FILE name");
	if (name[0] == '/' || name[0] == '\\' || (name[0] && name[1] == ':'))
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
				"FILE \"%s\" is an absolute path; only files next to the sheet are "
				"read",
				name);
	while (*p) {
		size_t n = strcspn(p, "/\\");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
					"FILE \"%s\" leaves the sheet's folder (..)", name);
		p += n;
		while (*p == '/' || *p == '\\')
			p++;
	}
	return 0;
}

/* Opens dir/rel; when missing, looks for a case-insensitive match of the
 * last component (sheets written on Windows name "TRACK.BIN" for
 * "track.bin"). */
static int open_rel(struct dimg_io **io, const char *dir, const char *name, const char *where,
		    struct dimg_error *err)
{
	char path[4096], rel[4096];
	struct dimg_error tmp;
	struct stat st;
	size_t i;
	int rc;
	snprintf(rel, sizeof(rel), "%s", name);
	for (i = 0; rel[i]; i++)
		if (rel[i] == '\\')
			rel[i] = '/';
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path))
		return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "FILE name too long");
	dimg_error_clear(&tmp);
	/* a FIFO or device named by a sheet would block or never end */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
				"%sFILE \"%s\" is not a regular file", where, name);
	rc = io_open_file(io, path, &tmp);
	if (rc == 0)
		return 0;
	if (tmp.sys_errno != ENOENT)
		return dimg_err_sys(err, tmp.sys_errno, DIMG_OFFSET_NONE, "FILE \"%s\": %s", name,
				    tmp.message);
	char *slash = strrchr(path, '/');
	*slash = 0;
	DIR *dh = opendir(path);
	if (dh) {
		struct dirent *e;
		char found[256] = "";
		while ((e = readdir(dh)) != NULL)
			if (!strcasecmp(e->d_name, slash + 1)) {
				snprintf(found, sizeof(found), "%s", e->d_name);
				break;
			}
		closedir(dh);
		if (found[0] && strlen(path) + strlen(found) + 2 < sizeof(path)) {
			strcat(path, "/");
			strcat(path, found);
			if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
				return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
						"%sFILE \"%s\" is not a regular file", where, name);
			return io_open_file(io, path, err);
		}
	}
	return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
			"%sFILE \"%s\" named by the sheet does not exist in %s", where, name, dir);
}

/* Walking the chunks of a RIFF (little-endian lengths) or IFF (big-endian)
 * file after its 12-byte form header; at most 64 chunks are looked at. */
struct iff_chunk {
	uint64_t off, next; /* this chunk's header; the one after it */
	uint32_t len;
	uint8_t id[4];
	int count;
	bool be;
};

/* Reads the next chunk header into c; *got false at the end. */
static int iff_next(struct cd_file *f, struct iff_chunk *c, bool *got, struct dimg_error *err)
{
	uint8_t h[8];
	int rc;
	*got = false;
	if (c->count++ >= 64 || c->next + 8 > f->io->size)
		return 0;
	c->off = c->next;
	if ((rc = io_read(f->io, h, 8, c->off, err)))
		return rc;
	memcpy(c->id, h, 4);
	c->len = c->be ? ld_be32(h + 4) : ld_le32(h + 4);
	c->next = c->off + 8 + (uint64_t)c->len + (c->len & 1);
	*got = true;
	return 0;
}

/* The first n bytes of chunk c's body, which must have them. */
static int iff_body(struct cd_file *f, const struct iff_chunk *c, void *buf, uint32_t n,
		    struct dimg_error *err)
{
	int idlen = 4;
	while (idlen && c->id[idlen - 1] == ' ') /* "fmt " */
		idlen--;
	if (c->len < n)
		return dimg_err(err, DIMG_EFORMAT, (int64_t)c->off, "%s: short %.*s chunk", f->name,
				idlen, (const char *)c->id);
	return io_read(f->io, buf, n, c->off + 8, err);
}

/* PCM from data_off on, at most len bytes. */
static void set_pcm(struct cd_file *f, uint64_t data_off, uint64_t len)
{
	f->data_off = data_off;
	f->size = f->io->size - data_off;
	if (len < f->size)
		f->size = len;
}

/* RIFF WAVE: only 16-bit stereo 44.1 kHz PCM is CD audio. */
static int parse_wave(struct cd_file *f, struct dimg_error *err)
{
	struct iff_chunk c = {.next = 12, .be = false};
	uint8_t h[12], fmt[16];
	bool have_fmt = false, got;
	int rc = io_read(f->io, h, 12, 0, err);
	if (rc)
		return rc;
	if (memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4))
		return dimg_err(err, DIMG_EFORMAT, 0, "%s: not a RIFF WAVE file", f->name);
	while ((rc = iff_next(f, &c, &got, err)) == 0 && got) {
		if (!memcmp(c.id, "fmt ", 4)) {
			if ((rc = iff_body(f, &c, fmt, 16, err)))
				return rc;
			if (ld_le16(fmt) != 1 || ld_le16(fmt + 2) != 2 ||
			    ld_le32(fmt + 4) != 44100 || ld_le16(fmt + 14) != 16)
				return dimg_err(err, DIMG_EFORMAT, (int64_t)c.off,
						"%s: not 16-bit stereo 44.1 kHz PCM", f->name);
			have_fmt = true;
		} else if (!memcmp(c.id, "data", 4)) {
			if (!have_fmt)
				return dimg_err(err, DIMG_EFORMAT, (int64_t)c.off,
						"%s: data chunk before fmt chunk", f->name);
			set_pcm(f, c.off + 8, c.len);
			return 0;
		}
	}
	return rc ? rc : dimg_err(err, DIMG_EFORMAT, 0, "%s: no data chunk", f->name);
}

/* AIFF (or AIFC without compression): COMM must say 2 channels, 16 bits,
 * 44100 Hz (an 80-bit extended float: exponent 0x400E, mantissa 0xAC44 <<
 * 48); the samples are the SSND chunk's after its offset field. */
static int parse_aiff(struct cd_file *f, struct dimg_error *err)
{
	static const uint8_t rate44100[10] = {0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0};
	struct iff_chunk c = {.next = 12, .be = true};
	uint8_t h[12], comm[22], ssnd[8];
	bool have_comm = false, aifc, got;
	int rc = io_read(f->io, h, 12, 0, err);
	if (rc)
		return rc;
	aifc = !memcmp(h + 8, "AIFC", 4);
	if (memcmp(h, "FORM", 4) || (memcmp(h + 8, "AIFF", 4) && !aifc))
		return dimg_err(err, DIMG_EFORMAT, 0, "%s: not an AIFF file", f->name);
	while ((rc = iff_next(f, &c, &got, err)) == 0 && got) {
		if (!memcmp(c.id, "COMM", 4)) {
			if ((rc = iff_body(f, &c, comm, aifc ? 22 : 18, err)))
				return rc;
			if (ld_be16(comm) != 2 || ld_be16(comm + 6) != 16 ||
			    memcmp(comm + 8, rate44100, 10))
				return dimg_err(err, DIMG_EFORMAT, (int64_t)c.off,
						"%s: not 16-bit stereo 44.1 kHz PCM", f->name);
			if (aifc && memcmp(comm + 18, "NONE", 4) && memcmp(comm + 18, "twos", 4))
				return dimg_err(err, DIMG_EFORMAT, (int64_t)c.off + 26,
						"%s: compressed AIFC ('%.4s')", f->name,
						(const char *)comm + 18);
			have_comm = true;
		} else if (!memcmp(c.id, "SSND", 4)) {
			uint32_t skip;
			if (!have_comm)
				return dimg_err(err, DIMG_EFORMAT, (int64_t)c.off,
						"%s: SSND chunk before COMM chunk", f->name);
			if ((rc = iff_body(f, &c, ssnd, 8, err)))
				return rc;
			skip = ld_be32(ssnd);
			if (skip > c.len - 8 || c.off + 16 + skip > f->io->size)
				return dimg_err(err, DIMG_EFORMAT, (int64_t)c.off + 8,
						"%s: SSND offset %u beyond its chunk", f->name,
						skip);
			set_pcm(f, c.off + 16 + skip, c.len - 8 - skip);
			return 0;
		}
	}
	return rc ? rc : dimg_err(err, DIMG_EFORMAT, 0, "%s: no SSND chunk", f->name);
}

static bool is_flac(struct cd_file *f)
{
	uint8_t m[4];
	struct dimg_error e;
	dimg_error_clear(&e);
	return f->io->size >= 4 && io_read(f->io, m, 4, 0, &e) == 0 && !memcmp(m, "fLaC", 4);
}

int cd_file_read(const struct cd_file *f, void *buf, size_t len, uint64_t off,
		 struct dimg_error *err)
{
	int rc = f->flac ? cd_flac_read(f->flac, buf, len, off, err)
			 : io_read(f->io, buf, len, off, err);
	if (rc)
		dimg_err_what(err, f->name);
	return rc;
}

int cd_disc_open_files(struct cd_disc *d, const char *dir, struct dimg_error *err)
{
	for (int i = 0; i < d->nfiles; i++) {
		struct cd_file *f = &d->files[i];
		int rc;
		if (f->io)
			continue;
		if ((rc = check_name(f->name, err)))
			return rc;
		if (!dir)
			return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
					"FILE \"%s\": the sheet has no folder to look in", f->name);
		char where[160] = "";
		if (f->line > 0)
			snprintf(where, sizeof(where), "%s:%d: ", d->sheet, f->line);
		if ((rc = open_rel(&f->io, dir, f->name, where, err))) {
			if (rc == DIMG_ENOTFOUND && i == d->sub_file) {
				/* a CloneCD image without its .sub is still an image */
				dimg_error_clear(err);
				d->sub_file = -1;
				continue;
			}
			return rc;
		}
		f->data_off = 0;
		f->size = f->io->size;
		if (f->type == CD_FILE_WAVE && is_flac(f)) {
			/* EAC and friends write FLAC images as WAVE FILEs */
			f->type = CD_FILE_FLAC;
			if ((rc = cd_flac_open(&f->flac, f->io, f->name, &f->size, err)))
				return rc;
			continue;
		}
		if (f->type == CD_FILE_WAVE && (rc = parse_wave(f, err)))
			return rc;
		if (f->type == CD_FILE_AIFF && (rc = parse_aiff(f, err)))
			return rc;
	}
	return 0;
}

/* Adds the text decoded from the CDTEXTFILE (t) to the sheet's (d): block 0
 * fields the sheet left empty, every other block whole, the attributes of
 * all blocks.  The packs stay the model's only while the sheet's lines
 * agree with them. */
static int merge_cdt(struct cd_disc *d, struct cd_disc *t, struct dimg_error *err)
{
	struct cd_text_block *k = &d->cdtext[0], *s = &t->cdtext[0];
	bool agree = true;
	int rc = 0;
	for (int n = 0; n <= CD_MAX_TRACKS; n++)
		for (int f = 0; f < CDT_COUNT; f++)
			if (k->text[n][f] &&
			    (!s->text[n][f] || strcmp(k->text[n][f], s->text[n][f])))
				agree = false;
	if (!agree && s->raw)
		return dimg_err(
		    err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
		    "CDTEXTFILE \"%s\": its block 0 is in a character set dimg keeps as "
		    "bytes (0x%02x); the sheet's own CD-TEXT lines cannot be merged "
		    "with it",
		    d->cdtextfile, s->charset);
	for (int n = 0; n <= CD_MAX_TRACKS && rc == 0; n++)
		for (int f = 0; f < CDT_COUNT && rc == 0; f++)
			if (s->text[n][f] && !k->text[n][f]) {
				rc = cd_disc_set_text(d, n, (enum cd_text_field)f, s->text[n][f],
						      err);
				d->text_from_cdt[n][f] = rc == 0;
			}
	for (int b = 1; b < CD_TEXT_BLOCKS && rc == 0; b++)
		for (int n = 0; n <= CD_MAX_TRACKS && rc == 0; n++)
			for (int f = 0; f < CDT_COUNT && rc == 0; f++)
				if (t->cdtext[b].text[n][f])
					rc = cd_disc_set_btext(d, b, n, (enum cd_text_field)f,
							       t->cdtext[b].text[n][f], err);
	if (rc)
		return rc;
	for (int b = 0; b < CD_TEXT_BLOCKS; b++) {
		d->cdtext[b].charset = t->cdtext[b].charset;
		d->cdtext[b].language = t->cdtext[b].language;
		d->cdtext[b].copyright = t->cdtext[b].copyright;
		d->cdtext[b].raw = t->cdtext[b].raw;
		d->cdtext[b].has_genre_code = t->cdtext[b].has_genre_code;
		d->cdtext[b].genre_code = t->cdtext[b].genre_code;
	}
	d->cdtext_loss = t->cdtext_loss;
	if (agree) {
		free(d->packs);
		d->packs = t->packs;
		d->packs_len = t->packs_len;
		t->packs = NULL;
	}
	return 0;
}

/* CD-TEXT holds at most 8 blocks of 256 packs of 18 bytes. */
#define CDT_MAX_BYTES (8u * 256u * 18u + 5u)

int cd_disc_load_cdtextfile(struct cd_disc *d, const char *dir, struct dimg_error *err)
{
	struct dimg_io *io = NULL;
	struct cd_disc *t;
	int rc;
	if (!d->cdtextfile || d->cdt)
		return 0;
	if ((rc = check_name(d->cdtextfile, err)))
		return rc;
	if (!dir) {
		d->cdt_missing = true;
		return 0;
	}
	rc = open_rel(&io, dir, d->cdtextfile, "", err);
	if (rc == DIMG_ENOTFOUND) {
		dimg_error_clear(err);
		d->cdt_missing = true;
		return 0;
	}
	if (rc)
		return rc;
	if (io->size > CDT_MAX_BYTES || io->size == 0) {
		rc = dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
			      "CDTEXTFILE \"%s\": %llu bytes is not CD-TEXT", d->cdtextfile,
			      (unsigned long long)io->size);
		io_close(io);
		return rc;
	}
	d->cdt_len = (size_t)io->size;
	if (!(d->cdt = malloc(d->cdt_len))) {
		io_close(io);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	rc = io_read(io, d->cdt, d->cdt_len, 0, err);
	io_close(io);
	if (rc)
		return rc;
	if (!(t = cd_disc_new()))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	rc = cd_cdtext_decode(t, d->cdt, d->cdt_len, err);
	if (rc) {
		dimg_err_what(err, d->cdtextfile);
		cd_disc_free(t);
		return rc;
	}
	rc = merge_cdt(d, t, err);
	cd_disc_free(t);
	return rc;
}

/* ---- sector forms ------------------------------------------------------ */

static void put_header(uint8_t *raw, int32_t lba, uint8_t mode)
{
	uint8_t m, s, f;
	memcpy(raw, cd_sync, CD_SYNC_LEN);
	cd_lba_to_msf(lba, &m, &s, &f);
	raw[12] = cd_bcd(m);
	raw[13] = cd_bcd(s);
	raw[14] = cd_bcd(f);
	raw[15] = mode;
}

void cd_stored_to_raw(enum cd_tmode m, int32_t lba, const uint8_t *in, uint8_t *raw)
{
	switch (m) {
	case CD_TM_MODE1_2048:
		cd_sector_encode(raw, lba, CD_MODE1, in, NULL);
		break;
	case CD_TM_MODE2_2048:
		cd_sector_encode(raw, lba, CD_MODE2_FORM1, in, sub_form1);
		break;
	case CD_TM_MODE2_2324:
		cd_sector_encode(raw, lba, CD_MODE2_FORM2, in, sub_form2);
		break;
	case CD_TM_MODE2_2336:
	case CD_TM_CDI_2336:
		put_header(raw, lba, 2);
		memcpy(raw + 16, in, 2336);
		break;
	default: /* audio, CDG and the raw data modes keep 2352 bytes */
		memcpy(raw, in, CD_RAW);
		break;
	}
}

bool cd_raw_to_stored(enum cd_tmode m, int32_t lba, const uint8_t *raw, uint8_t *out)
{
	uint8_t chk[CD_RAW];
	switch (m) {
	case CD_TM_MODE1_2048:
		memcpy(out, raw + 16, 2048);
		break;
	case CD_TM_MODE2_2048:
		memcpy(out, raw + 24, 2048);
		break;
	case CD_TM_MODE2_2324:
		memcpy(out, raw + 24, 2324);
		break;
	case CD_TM_MODE2_2336:
	case CD_TM_CDI_2336:
		memcpy(out, raw + 16, 2336);
		break;
	default:
		memcpy(out, raw, CD_RAW);
		return true;
	}
	cd_stored_to_raw(m, lba, out, chk);
	return memcmp(chk, raw, CD_RAW) == 0;
}

/* The stored form of a sector no file holds: silence, or an empty data
 * sector of the track's mode with a valid header (inline R-W: zero). */
static void generated(const struct cd_track *t, int32_t lba, uint8_t *out)
{
	static const uint8_t zero[2352];
	memset(out, 0, cd_track_stride(t));
	if (t->mode == CD_TM_MODE1_2352)
		cd_sector_encode(out, lba, CD_MODE1, zero, NULL);
	else if (t->mode == CD_TM_MODE2_2352 || t->mode == CD_TM_CDI_2352)
		put_header(out, lba, 2);
}

/* ---- reading ----------------------------------------------------------- */

int cd_read_stored(const struct cd_disc *d, const struct cd_track *t, int32_t lba, uint32_t count,
		   uint8_t *buf, struct dimg_error *err)
{
	size_t ss = cd_track_stride(t);
	int32_t seg_lba = t->begin;
	if (lba < t->begin || lba > t->end || count > (uint32_t)(t->end - lba))
		return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
				"sectors %d+%u lie outside track %d", lba, count, t->number);
	for (int s = 0; s < t->nsegs && count; s++) {
		const struct cd_seg *g = &d->segs[t->first_seg + s];
		int32_t seg_end = seg_lba + (int32_t)g->sectors;
		if (lba < seg_end) {
			uint32_t n = (uint32_t)(seg_end - lba);
			if (n > count)
				n = count;
			if (g->file < 0) {
				for (uint32_t k = 0; k < n; k++)
					generated(t, lba + (int32_t)k, buf + k * ss);
			} else {
				const struct cd_file *f = &d->files[g->file];
				uint64_t off =
				    f->data_off + g->offset + (uint64_t)(lba - seg_lba) * ss;
				int rc;
				if (!f->io)
					return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
							"%s is not open", f->name);
				if ((rc = cd_file_read(f, buf, n * ss, off, err)))
					return rc;
				if (t->scrambled) /* the same XOR undoes it */
					for (uint32_t k = 0; k < n; k++)
						cd_scramble(buf + k * ss);
				/* big-endian audio; the 96 subchannel bytes of a
				 * CD+G or RW_RAW sector are not samples */
				if ((f->type == CD_FILE_MOTOROLA || f->type == CD_FILE_AIFF) &&
				    cd_tmodes[t->mode].data_mode == 0)
					for (uint32_t k = 0; k < n; k++)
						swap16_words(buf + k * ss, CD_RAW);
			}
			buf += n * ss;
			lba += (int32_t)n;
			count -= n;
		}
		seg_lba = seg_end;
	}
	if (count)
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE,
				"track %d: segments do not cover its sectors", t->number);
	return 0;
}

void cd_disc_map_files(struct cd_disc *d)
{
	for (int i = 0; i < d->nfiles; i++) {
		struct cd_file *f = &d->files[i];
		void *m;
		if (f->map || !f->io || f->io->fd < 0 || f->type == CD_FILE_MOTOROLA ||
		    f->type == CD_FILE_AIFF || f->flac || !f->io->size || f->io->size > SIZE_MAX)
			continue;
		m = mmap(NULL, (size_t)f->io->size, PROT_READ, MAP_SHARED, f->io->fd, 0);
		if (m == MAP_FAILED)
			continue;
		madvise(m, (size_t)f->io->size, MADV_SEQUENTIAL);
		f->map = m;
		f->map_size = (size_t)f->io->size;
	}
}

const uint8_t *cd_stored_ptr(const struct cd_disc *d, const struct cd_track *t, int32_t lba,
			     uint32_t *n)
{
	size_t ss = cd_track_stride(t);
	int32_t at = t->begin;
	for (int s = 0; s < t->nsegs; s++) {
		const struct cd_seg *g = &d->segs[t->first_seg + s];
		if (lba < at + (int32_t)g->sectors) {
			const struct cd_file *f;
			uint64_t off;
			uint32_t run = (uint32_t)(at + (int32_t)g->sectors - lba);
			if (g->file < 0 || !d->files[g->file].map || t->scrambled)
				return NULL;
			f = &d->files[g->file];
			off = f->data_off + g->offset + (uint64_t)(lba - at) * ss;
			if (*n > run)
				*n = run;
			if (off + (uint64_t)*n * ss > f->map_size)
				return NULL;
			return f->map + off;
		}
		at += (int32_t)g->sectors;
	}
	return NULL;
}

#define RAW_BATCH 64u

int cd_read_raw(const struct cd_disc *d, int32_t lba, uint32_t count, uint8_t *buf,
		struct dimg_error *err)
{
	uint8_t *tmp = NULL;
	int rc = 0;
	while (count && rc == 0) {
		const struct cd_track *t = cd_disc_track_at(d, lba);
		if (!t) {
			rc = dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
				      "LBA %d is not inside any track", lba);
			break;
		}
		uint32_t n = (uint32_t)(t->end - lba);
		size_t ss = cd_track_stride(t);
		if (n > count)
			n = count;
		if (ss == CD_RAW) {
			rc = cd_read_stored(d, t, lba, n, buf, err);
		} else {
			if (n > RAW_BATCH)
				n = RAW_BATCH;
			if (!tmp && !(tmp = malloc(RAW_BATCH * 2448u))) {
				rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
				break;
			}
			rc = cd_read_stored(d, t, lba, n, tmp, err);
			for (uint32_t k = 0; rc == 0 && k < n; k++)
				cd_stored_to_raw(t->mode, lba + (int32_t)k, tmp + k * ss,
						 buf + (size_t)k * CD_RAW);
		}
		buf += (size_t)n * CD_RAW;
		lba += (int32_t)n;
		count -= n;
	}
	free(tmp);
	return rc;
}

/* Index of the subchannel block of lba (its sector number in the data file
 * the .sub mirrors, or its distance from sub_begin) and how many blocks
 * from there are consecutive. */
static int sub_index(const struct cd_disc *d, int32_t lba, uint64_t *idx, uint32_t *run,
		     struct dimg_error *err)
{
	const struct cd_track *t;
	int32_t at;
	if (d->sub_by_file < 0) {
		if (lba < d->sub_begin)
			return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
					"no subchannel for LBA %d", lba);
		*idx = (uint64_t)(lba - d->sub_begin);
		*run = UINT32_MAX;
		return 0;
	}
	if (!(t = cd_disc_track_at(d, lba)))
		return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE, "LBA %d is in no track", lba);
	at = t->begin;
	for (int s = 0; s < t->nsegs; s++) {
		const struct cd_seg *g = &d->segs[t->first_seg + s];
		if (lba < at + (int32_t)g->sectors) {
			if (g->file != d->sub_by_file)
				break;
			*idx = g->offset / cd_track_stride(t) + (uint64_t)(lba - at);
			*run = (uint32_t)(at + (int32_t)g->sectors - lba);
			return 0;
		}
		at += (int32_t)g->sectors;
	}
	return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
			"LBA %d is not stored in the file the subchannel follows", lba);
}

bool cd_disc_has_sub(const struct cd_disc *d)
{
	if (d->sub_file >= 0)
		return true;
	for (int i = 0; i < d->ntracks; i++)
		if (d->tracks[i].sub_rw || d->tracks[i].mode == CD_TM_CDG)
			return true;
	return false;
}

/* Blocks from a .sub file. */
static int sub_from_file(const struct cd_disc *d, int32_t lba, uint32_t *count, uint8_t *buf,
			 struct dimg_error *err)
{
	const struct cd_file *f = &d->files[d->sub_file];
	uint64_t idx = 0;
	uint32_t n = 0;
	int rc = sub_index(d, lba, &idx, &n, err);
	if (rc)
		return rc;
	if (n > *count)
		n = *count;
	rc = io_read(f->io, buf, (size_t)n * 96u, f->data_off + idx * 96u, err);
	if (rc) {
		dimg_err_what(err, f->name);
		return rc;
	}
	if (d->sub_interleaved)
		for (uint32_t k = 0; k < n; k++) {
			uint8_t t[96];
			cd_sub_deinterleave(buf + k * 96, t);
			memcpy(buf + k * 96, t, 96);
		}
	*count = n;
	return 0;
}

#define SUB_BATCH 16u

/* Blocks of a track whose sectors end in raw R-W (RW_RAW, CDG): P and Q as
 * generated unless the bytes carry them (bits 7 and 6 not all zero). */
static int sub_from_sectors(const struct cd_disc *d, const struct cd_track *t, int32_t lba,
			    uint32_t *count, uint8_t *buf, struct dimg_error *err)
{
	uint8_t tmp[SUB_BATCH * 2448], dein[96];
	size_t ss = cd_track_stride(t), at = ss - 96;
	uint32_t n = *count < SUB_BATCH ? *count : SUB_BATCH;
	int rc;
	if (n > (uint32_t)(t->end - lba))
		n = (uint32_t)(t->end - lba);
	if ((rc = cd_read_stored(d, t, lba, n, tmp, err)))
		return rc;
	for (uint32_t k = 0; k < n; k++) {
		const uint8_t *rw = tmp + k * ss + at;
		uint8_t pq = 0;
		for (int i = 0; i < 96; i++)
			pq |= rw[i];
		cd_sub_deinterleave(rw, dein);
		if (pq & 0xC0) {
			memcpy(buf + k * 96, dein, 96);
		} else {
			cd_sub_generate(d, lba + (int32_t)k, buf + k * 96);
			memcpy(buf + k * 96 + 24, dein + 24, 72);
		}
	}
	*count = n;
	return 0;
}

int cd_read_sub(const struct cd_disc *d, int32_t lba, uint32_t count, uint8_t *buf,
		struct dimg_error *err)
{
	bool file = d->sub_file >= 0 && d->files[d->sub_file].io;
	if (!file && !cd_disc_has_sub(d))
		return DIMG_ENOTFOUND;
	while (count) {
		const struct cd_track *t = file ? NULL : cd_disc_track_at(d, lba);
		uint32_t n = count;
		int rc = 0;
		if (file) {
			rc = sub_from_file(d, lba, &n, buf, err);
		} else if (t && cd_track_raw_rw(t)) {
			rc = sub_from_sectors(d, t, lba, &n, buf, err);
		} else {
			/* no stored subchannel here (another track, PACKED R-W
			 * that is not decoded): what the track table says */
			if (t && n > (uint32_t)(t->end - lba))
				n = (uint32_t)(t->end - lba);
			else if (!t)
				n = 1;
			for (uint32_t k = 0; k < n; k++)
				cd_sub_generate(d, lba + (int32_t)k, buf + k * 96);
		}
		if (rc)
			return rc;
		buf += (size_t)n * 96u;
		lba += (int32_t)n;
		count -= n;
	}
	return 0;
}

int cd_unkept_nonzero(const struct cd_disc *d, struct dimg_error *err)
{
	const struct cd_file *f;
	uint8_t buf[4096];
	uint64_t off, left;
	if (d->unkept.file < 0 || !d->unkept.len)
		return 0;
	f = &d->files[d->unkept.file];
	if (!f->io)
		return dimg_err(err, DIMG_EIO, DIMG_OFFSET_NONE, "%s: not open", f->name);
	off = f->data_off + d->unkept.offset;
	for (left = d->unkept.len; left;) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		int rc = io_read(f->io, buf, n, off, err);
		if (rc) {
			dimg_err_what(err, f->name);
			return rc;
		}
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return 1;
		off += n;
		left -= n;
	}
	return 0;
}
