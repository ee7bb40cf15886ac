/* SPDX-License-Identifier: MIT */
/*
 * Raw CD containers: a sheet (cue, cdrdao toc, CloneCD ccd) naming files of
 * sectors, a Nero NRG image (sectors first, its track table in chunks at the
 * end) and a bare BIN of raw sectors without a sheet.  They all build
 * one disc model; the medium the filesystem drivers see is the cooked user
 * data of every sector by LBA (2048 bytes each; audio and gaps read as
 * zeros), so ISO 9660 extents address it as on the pressed disc.
 */
#include "cd/cd_disc.h"
#include "cd/cd_sector.h"
#include "formats/cdsheet/cdsheet.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SHEET_MAX_BYTES (1u << 20)
/* Chunk chain of an NRG: a few KiB in practice (99 tracks, CD-TEXT). */
#define NRG_MAX_CHAIN (1u << 20)
#define COOKED 2048u

enum sheet_kind { SHEET_CUE, SHEET_TOC, SHEET_CCD, SHEET_BIN, SHEET_NRG };

struct sheet_state {
	enum sheet_kind kind;
};

static bool ext_is(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);
	return n > e && name[n - e - 1] == '.' && !strcasecmp(name + n - e, ext);
}

static bool looks_text(const uint8_t *head, size_t len)
{
	size_t n = len < 4096 ? len : 4096;
	return n > 0 && !memchr(head, 0, n);
}

static bool has_word(const uint8_t *head, size_t len, const char *w)
{
	size_t n = len < 65536 ? len : 65536, wl = strlen(w);
	for (size_t i = 0; i + wl <= n; i++)
		if (!strncasecmp((const char *)head + i, w, wl))
			return true;
	return false;
}

static int cue_probe(struct dimg_io *io, const uint8_t *head, size_t len)
{
	/* the extension decides even for a damaged sheet: its parser then says
	 * what is wrong with it */
	if (ext_is(io->name, "cue") && io->size <= SHEET_MAX_BYTES)
		return 90;
	if (!looks_text(head, len) || io->size > SHEET_MAX_BYTES)
		return 0;
	return has_word(head, len, "FILE") && has_word(head, len, "TRACK") &&
		       has_word(head, len, "INDEX")
		   ? 70
		   : 0;
}

static int toc_probe(struct dimg_io *io, const uint8_t *head, size_t len)
{
	if (ext_is(io->name, "toc") && io->size <= SHEET_MAX_BYTES)
		return 90;
	if (!looks_text(head, len) || io->size > SHEET_MAX_BYTES)
		return 0;
	return has_word(head, len, "TRACK") &&
		       (has_word(head, len, "CD_DA") || has_word(head, len, "CD_ROM") ||
			has_word(head, len, "DATAFILE"))
		   ? 65
		   : 0;
}

static int ccd_probe(struct dimg_io *io, const uint8_t *head, size_t len)
{
	if (!looks_text(head, len) || io->size > SHEET_MAX_BYTES)
		return 0;
	if (len >= 9 && !strncasecmp((const char *)head, "[CloneCD]", 9))
		return 95;
	return ext_is(io->name, "ccd") ? 80 : 0;
}

/* A bare BIN: raw sectors with a data sync pattern at 0, no sheet. */
static int bin_probe(struct dimg_io *io, const uint8_t *head, size_t len)
{
	if (len < CD_RAW || io->size % CD_RAW || memcmp(head, cd_sync, CD_SYNC_LEN))
		return 0;
	return head[15] == 1 || head[15] == 2 ? 50 : 0;
}

/* NRG: the footer at the end decides, whatever the name. */
static int nrg_probe(struct dimg_io *io, const uint8_t *head, size_t len)
{
	uint8_t last[12];
	uint64_t chain, end;
	size_t n = io->size < sizeof(last) ? (size_t)io->size : sizeof(last);
	(void)head;
	(void)len;
	if (n && io_read(io, last, n, io->size - n, NULL) == 0 &&
	    cd_nrg_footer(last, n, io->size, &chain, &end) == 1)
		return 95;
	/* a damaged one: its parser says what is wrong (a real ISO named .nrg
	 * still goes to the ISO driver, 60) */
	return ext_is(io->name, "nrg") ? 40 : 0;
}

static int load_text(struct dimg_image *img, char **out, size_t *len, struct dimg_error *err)
{
	size_t n = (size_t)img->io->size;
	char *t;
	int rc;
	if (img->io->size > SHEET_MAX_BYTES)
		return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "sheet larger than %u bytes",
				SHEET_MAX_BYTES);
	if (!(t = malloc(n + 1)))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	if ((rc = io_read(img->io, t, n, 0, err))) {
		free(t);
		return rc;
	}
	t[n] = 0;
	*out = t;
	*len = n;
	return 0;
}

static int build_bin(struct dimg_image *img, struct cd_disc *d, struct dimg_error *err)
{
	uint8_t h[16];
	struct cd_track *t = &d->tracks[0];
	uint32_t n = (uint32_t)(img->io->size / CD_RAW);
	int rc = io_read(img->io, h, 16, 0, err), f;
	if (rc)
		return rc;
	if (n == 0 || n >= CD_MAX_LBA)
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "%u sectors is not a CD", n);
	if ((f = cd_disc_add_file(d, img->path, CD_FILE_BINARY, err)) < 0)
		return f;
	d->files[f].io = img->io;
	d->files[f].borrowed = true;
	d->files[f].size = img->io->size;
	d->ntracks = 1;
	d->nsessions = 1;
	memset(t, 0, sizeof(*t));
	for (int k = 0; k <= CD_MAX_INDEX; k++)
		t->index[k] = -1;
	t->number = 1;
	t->session = 1;
	t->mode = h[15] == 2 ? CD_TM_MODE2_2352 : CD_TM_MODE1_2352;
	t->index[1] = 0;
	t->end = (int32_t)n;
	t->file = f;
	d->leadout = (int32_t)n;
	if ((rc = cd_disc_add_seg(d, t, f, 0, n, err)))
		return rc;
	return cd_disc_validate(d, err);
}

static int build_nrg(struct dimg_image *img, struct cd_disc *d, struct dimg_error *err)
{
	uint64_t size = img->io->size, chain = 0, end = 0;
	uint8_t last[12], *tail;
	size_t n = size < sizeof(last) ? (size_t)size : sizeof(last);
	const char *base = strrchr(img->path, '/');
	int rc;
	base = base ? base + 1 : img->path;
	if (n && (rc = io_read(img->io, last, n, size - n, err)))
		return rc;
	/* a missing or bad footer: the parser words the error */
	if (cd_nrg_footer(last, n, size, &chain, &end) != 1)
		return cd_nrg_parse(d, last, n, size, base, err);
	if (size - chain > NRG_MAX_CHAIN)
		return dimg_err(err, DIMG_ELIMIT, (int64_t)chain,
				"%s: the chunk chain at byte %llu is %llu bytes, more than %u",
				base, (unsigned long long)chain, (unsigned long long)(size - chain),
				NRG_MAX_CHAIN);
	if (!(tail = malloc((size_t)(size - chain))))
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	rc = io_read(img->io, tail, (size_t)(size - chain), chain, err);
	if (rc == 0)
		rc = cd_nrg_parse(d, tail, (size_t)(size - chain), size, base, err);
	free(tail);
	if (rc)
		return rc;
	d->files[0].io = img->io;
	d->files[0].borrowed = true;
	if ((rc = cd_nrg_layout(d, err)))
		return rc;
	return cd_disc_validate(d, err);
}

static int sheet_open(struct dimg_image *img, void *state, enum sheet_kind kind,
		      struct dimg_error *err)
{
	struct sheet_state *st = state;
	struct cd_disc *d = cd_disc_new();
	char *text = NULL, *dirbuf = NULL;
	size_t len = 0;
	int rc;
	st->kind = kind;
	if (!d)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	img->disc = d;
	if (kind == SHEET_BIN || kind == SHEET_NRG) {
		rc = kind == SHEET_BIN ? build_bin(img, d, err) : build_nrg(img, d, err);
		goto done;
	}
	if ((rc = load_text(img, &text, &len, err)))
		goto done;
	const char *base = strrchr(img->path, '/');
	base = base ? base + 1 : img->path;
	switch (kind) {
	case SHEET_CUE:
		rc = cd_cue_parse(d, text, len, base, err);
		break;
	case SHEET_TOC:
		rc = cd_toc_parse(d, text, len, base, err);
		break;
	default:
		rc = cd_ccd_parse(d, text, len, base, err);
		break;
	}
	if (rc)
		goto done;
	if (strcmp(img->path, "<memory>") != 0) {
		if (!(dirbuf = strdup(img->path))) {
			rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			goto done;
		}
		const char *dir = dirname(dirbuf);
		rc = cd_disc_open_files(d, dir, err);
		if (rc == 0 && kind == SHEET_CUE)
			rc = cd_disc_load_cdtextfile(d, dir, err);
	} else {
		rc = cd_disc_open_files(d, NULL, err);
	}
	if (rc)
		goto done;
	switch (kind) {
	case SHEET_CUE:
		rc = cd_cue_layout(d, err);
		break;
	case SHEET_TOC:
		rc = cd_toc_layout(d, err);
		break;
	default:
		rc = cd_ccd_layout(d, err);
		break;
	}
	if (rc == 0)
		rc = cd_disc_validate(d, err);
done:
	free(text);
	free(dirbuf);
	if (rc == 0) {
		const struct cd_track *dt = cd_disc_data_track(d);
		img->size = (uint64_t)d->leadout * COOKED;
		img->fs_base = dt ? (uint64_t)dt->start : 0;
	}
	return rc;
}

static int cue_open(struct dimg_image *img, void *state, struct dimg_error *err)
{
	return sheet_open(img, state, SHEET_CUE, err);
}
static int toc_open(struct dimg_image *img, void *state, struct dimg_error *err)
{
	return sheet_open(img, state, SHEET_TOC, err);
}
static int ccd_open(struct dimg_image *img, void *state, struct dimg_error *err)
{
	return sheet_open(img, state, SHEET_CCD, err);
}
static int bin_open(struct dimg_image *img, void *state, struct dimg_error *err)
{
	return sheet_open(img, state, SHEET_BIN, err);
}
static int nrg_open(struct dimg_image *img, void *state, struct dimg_error *err)
{
	return sheet_open(img, state, SHEET_NRG, err);
}

/* Offset of the 2048 bytes of user data in a stored sector. */
static size_t user_off(enum cd_tmode m)
{
	switch (m) {
	case CD_TM_MODE1_2352:
		return 16;
	case CD_TM_MODE2_2352:
	case CD_TM_CDI_2352:
		return 24;
	case CD_TM_MODE2_2336:
	case CD_TM_CDI_2336:
		return 8;
	default:
		return 0;
	}
}

#define READ_BATCH 32u

int cd_read_cooked(const struct cd_disc *d, void *out, size_t len, uint64_t off,
		   struct dimg_error *err)
{
	uint8_t *buf = out, *tmp = NULL;
	int rc = 0;
	while (len && rc == 0) {
		int32_t lba = (int32_t)(off / COOKED);
		size_t in = (size_t)(off % COOKED);
		const struct cd_track *t = cd_disc_track_at(d, lba);
		size_t ss, n;
		uint32_t count;
		if (!t || cd_tmodes[t->mode].data_mode == 0) {
			/* audio and the gap between sessions hold no user data */
			n = COOKED - in;
			if (n > len)
				n = len;
			memset(buf, 0, n);
			buf += n;
			off += n;
			len -= n;
			continue;
		}
		ss = cd_track_stride(t);
		count = (uint32_t)((in + len + COOKED - 1) / COOKED);
		if (count > (uint32_t)(t->end - lba))
			count = (uint32_t)(t->end - lba);
		if (ss == COOKED && in == 0 && len >= COOKED) {
			/* cooked storage: the bytes are the user data */
			if ((size_t)count * COOKED > len)
				count = (uint32_t)(len / COOKED);
			rc = cd_read_stored(d, t, lba, count, buf, err);
			n = (size_t)count * COOKED;
		} else {
			if (count > READ_BATCH)
				count = READ_BATCH;
			if (!tmp && !(tmp = malloc(READ_BATCH * 2448u))) {
				rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
				break;
			}
			rc = cd_read_stored(d, t, lba, count, tmp, err);
			n = 0;
			for (uint32_t k = 0; rc == 0 && k < count && n < len; k++) {
				size_t piece = COOKED - in;
				if (piece > len - n)
					piece = len - n;
				memcpy(buf + n, tmp + k * ss + user_off(t->mode) + in, piece);
				n += piece;
				in = 0;
			}
		}
		buf += n;
		off += n;
		len -= n;
	}
	free(tmp);
	return rc;
}

static int sheet_read(struct dimg_image *img, void *state, void *buf, size_t len, uint64_t off,
		      struct dimg_error *err)
{
	(void)state;
	return cd_read_cooked(img->disc, buf, len, off, err);
}

static int sheet_report(struct dimg_image *img, void *state, struct dimg_node *root,
			struct dimg_error *err)
{
	(void)state;
	return cd_disc_report(img->disc, root, err);
}

#define SHEET_DRIVER(var, nm, al, sum, ext, fl, prb, opn)                                          \
	const struct dimg_container_driver var = {                                                 \
	    .info = {.name = nm,                                                                   \
		     .aliases = al,                                                                \
		     .summary = sum,                                                               \
		     .extensions = ext,                                                            \
		     .kind = DIMG_DRIVER_CONTAINER,                                                \
		     .flags = fl},                                                                 \
	    .state_size = sizeof(struct sheet_state),                                              \
	    .probe = prb,                                                                          \
	    .open = opn,                                                                           \
	    .read = sheet_read,                                                                    \
	    .report = sheet_report,                                                                \
	}

SHEET_DRIVER(cue_container_driver, "cue", "bincue", "CDRWIN cue sheet with BIN/WAVE files", "cue",
	     DIMG_DRIVER_READ | DIMG_DRIVER_WRITE, cue_probe, cue_open);
SHEET_DRIVER(toc_container_driver, "toc", "cdrdao", "cdrdao TOC file with its data files", "toc",
	     DIMG_DRIVER_READ | DIMG_DRIVER_WRITE, toc_probe, toc_open);
SHEET_DRIVER(ccd_container_driver, "ccd", "clonecd", "CloneCD CCD/IMG/SUB", "ccd",
	     DIMG_DRIVER_READ | DIMG_DRIVER_WRITE, ccd_probe, ccd_open);
SHEET_DRIVER(bin_container_driver, "bin", NULL, "bare raw 2352-byte sectors without a sheet", "bin",
	     DIMG_DRIVER_READ, bin_probe, bin_open);
SHEET_DRIVER(nrg_container_driver, "nrg", "nero", "Nero Burning ROM image (DAO and TAO)", "nrg",
	     DIMG_DRIVER_READ, nrg_probe, nrg_open);
