/* SPDX-License-Identifier: MIT */
/*
 * dimg_verify: every raw data sector's sync, header MSF, mode, EDC and ECC;
 * the subchannel's Q CRCs; the file system's structures.  Sectors are
 * checked in large batches split over the CPUs, so a 700 MB image is
 * bounded by reading it.
 */
#include "cd/cd_disc.h"
#include "cd/cd_flac.h"
#include "cd/cd_par.h"
#include "cd/cd_sector.h"
#include "cd/cd_subq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERIFY_BATCH 4096u
#define VERIFY_LIST_MAX 1000

struct vbatch {
	const uint8_t *buf;
	enum cd_tmode mode;
	size_t stride; /* stored bytes a sector (inline R-W included) */
	int32_t lba;
	uint8_t *bad;	/* CD_BAD_* per sector */
	uint8_t *found; /* enum cd_mode found */
};

static void check_range(void *ctx, size_t lo, size_t hi)
{
	struct vbatch *b = ctx;
	uint8_t raw[CD_RAW];
	for (size_t k = lo; k < hi; k++) {
		const uint8_t *s = b->buf + k * b->stride;
		int32_t lba = b->lba + (int32_t)k;
		enum cd_mode m = CD_MODE0;
		if (cd_tmodes[b->mode].sector_size !=
		    CD_RAW) { /* 2336: sync and header are not stored */
			cd_stored_to_raw(b->mode, lba, s, raw);
			s = raw;
		}
		b->bad[k] = (uint8_t)cd_sector_check(s, lba, &m);
		b->found[k] = (uint8_t)m;
	}
}

static const char *const bad_names[] = {"sync", "msf", "mode", "edc", "ecc", "subheader", "zero"};

static void list_bad(struct dimg_node *arr, int32_t lba, int track, unsigned bits,
		     const char *extra)
{
	struct dimg_node *o = node_object(arr, NULL), *p;
	char msf[16];
	uint8_t m, s, f;
	cd_lba_to_msf(lba, &m, &s, &f);
	snprintf(msf, sizeof(msf), "%02u:%02u:%02u", m, s, f);
	node_int(o, "lba", lba);
	node_str(o, "msf", msf);
	node_int(o, "track", track);
	p = node_array(o, "problems");
	for (unsigned i = 0; i < 7; i++)
		if (bits & (1u << i))
			node_str(p, NULL, bad_names[i]);
	if (extra)
		node_str(p, NULL, extra);
}

static bool mode_matches(enum cd_tmode tm, enum cd_mode found)
{
	if (cd_tmodes[tm].data_mode == 1)
		return found == CD_MODE1;
	return found != CD_MODE1 && found != CD_MODE0;
}

static void unreadable(const struct cd_disc *d, const struct cd_track *t, int32_t lba, uint32_t n,
		       uint8_t *buf, struct dimg_node *bad, uint64_t *nbad, struct dimg_error *err)
{
	for (uint32_t k = 0; k < n; k++) {
		dimg_error_clear(err);
		if (cd_read_stored(d, t, lba + (int32_t)k, 1, buf, err) == 0)
			continue;
		if (*nbad < VERIFY_LIST_MAX)
			list_bad(bad, lba + (int32_t)k, t->number, 0, err->message);
		(*nbad)++;
	}
	dimg_error_clear(err);
}

/* A FLAC file's own signature: the MD5 of all its samples (what `flac -t`
 * checks), including any the sheet's tracks do not use. */
static int verify_flac(const struct cd_file *f, struct dimg_node *bad, uint64_t *nbad,
		       struct dimg_error *err)
{
	char msg[512];
	bool match = true;
	int rc;
	if (!f->flac)
		return 0;
	rc = cd_flac_check_md5(f->flac, &match, err);
	if (rc == DIMG_ENOTFOUND || (rc == 0 && match)) {
		dimg_error_clear(err);
		return 0;
	}
	if (rc != 0 && rc != DIMG_EFORMAT)
		return rc;
	if (rc)
		snprintf(msg, sizeof(msg), "%s", err->message);
	else
		snprintf(msg, sizeof(msg),
			 "%s: the decoded samples do not match the file's MD5 signature", f->name);
	dimg_error_clear(err);
	node_str(bad, NULL, msg);
	(*nbad)++;
	return 0;
}

static int verify_track(const struct cd_disc *d, const struct cd_track *t, uint8_t *buf,
			struct vbatch *b, struct dimg_node *bad, struct dimg_node *warn,
			uint64_t *nbad, uint64_t *nwarn, uint64_t *checked,
			dimg_progress_fn progress, void *ctx, uint64_t *done, uint64_t total,
			struct dimg_error *err)
{
	size_t ss = cd_track_stride(t), ms = cd_tmodes[t->mode].sector_size;
	bool check = cd_tmodes[t->mode].data_mode != 0 && (ms == CD_RAW || ms == 2336);
	for (int32_t lba = t->begin; lba < t->end;) {
		uint32_t n = (uint32_t)(t->end - lba) < VERIFY_BATCH ? (uint32_t)(t->end - lba)
								     : VERIFY_BATCH;
		const uint8_t *src = check ? cd_stored_ptr(d, t, lba, &n) : NULL;
		int rc = src ? 0 : cd_read_stored(d, t, lba, n, buf, err);
		if (rc == DIMG_EFORMAT && !check) {
			/* damaged compressed audio (a FLAC frame): each sector that
			 * does not decode is a bad LBA, the rest is still checked */
			unreadable(d, t, lba, n, buf, bad, nbad, err);
			rc = 0;
		}
		if (rc)
			return rc;
		if (check) {
			b->buf = src ? src : buf;
			b->mode = t->mode;
			b->stride = ss;
			b->lba = lba;
			cd_parallel(n, check_range, b);
			for (uint32_t k = 0; k < n; k++) {
				unsigned bits = b->bad[k];
				bool in_gap = lba + (int32_t)k < t->start;
				bool mode_ok = mode_matches(t->mode, (enum cd_mode)b->found[k]);
				/* pregap sectors of a data track are often Mode 0 or of
				 * the other mode: worth a warning, not an error */
				if (b->found[k] == CD_MODE0 && !(bits & ~(unsigned)CD_BAD_MSF) &&
				    in_gap)
					mode_ok = true;
				if (bits) {
					if (*nbad < VERIFY_LIST_MAX)
						list_bad(bad, lba + (int32_t)k, t->number, bits,
							 NULL);
					(*nbad)++;
				} else if (!mode_ok) {
					if (*nwarn < VERIFY_LIST_MAX)
						list_bad(warn, lba + (int32_t)k, t->number, 0,
							 "mode differs from the track's");
					(*nwarn)++;
				}
			}
			*checked += n;
		}
		*done += (uint64_t)n * ss;
		if (progress)
			progress(ctx, *done, total);
		lba += (int32_t)n;
	}
	return 0;
}

static int verify_sub(const struct cd_disc *d, uint8_t *buf, struct dimg_node *warn,
		      uint64_t *nwarn, struct dimg_node *rep, struct dimg_error *err)
{
	uint64_t badq = 0;
	int32_t first = -1;
	for (int i = 0; i < d->ntracks; i++) {
		const struct cd_track *t = &d->tracks[i];
		for (int32_t lba = t->begin; lba < t->end;) {
			uint32_t n = (uint32_t)(t->end - lba) < VERIFY_BATCH
					 ? (uint32_t)(t->end - lba)
					 : VERIFY_BATCH;
			int rc = cd_read_sub(d, lba, n, buf, err);
			if (rc)
				return rc;
			for (uint32_t k = 0; k < n; k++)
				if (!cd_subq_check(buf + k * 96 + 12)) {
					if (first < 0)
						first = lba + (int32_t)k;
					badq++;
				}
			lba += (int32_t)n;
		}
	}
	node_int(rep, "subchannel_q_crc_errors", (int64_t)badq);
	if (badq) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "%llu subchannel Q block(s) fail their CRC (first at LBA %d)",
			 (unsigned long long)badq, first);
		node_str(warn, NULL, msg);
		(*nwarn)++;
	}
	return 0;
}

/* The file system: open it and walk every entry (the walk reports what it
 * had to step around). */
struct fs_count {
	uint64_t entries;
};

static int count_entry(void *ctx, const struct dimg_walk_entry *e)
{
	(void)e;
	((struct fs_count *)ctx)->entries++;
	return 0;
}

static void verify_fs(struct dimg_image *img, struct dimg_node *rep, struct dimg_node *bad,
		      uint64_t *nbad, struct dimg_node *warn, uint64_t *nwarn)
{
	struct dimg_fs *fs;
	struct dimg_error e;
	struct fs_count cnt = {0};
	struct dimg_fs_options o = {0};
	struct dimg_node *f = node_object(rep, "filesystem");
	dimg_error_clear(&e);
	if (dimg_fs_open(&fs, img, &o, &e) != 0) {
		node_str(f, "format", "none");
		if (e.code != DIMG_EUNKNOWN && e.code != DIMG_ENOTFOUND) {
			char msg[600];
			snprintf(msg, sizeof(msg), "file system: %s", e.message);
			node_str(bad, NULL, msg);
			(*nbad)++;
		}
		return;
	}
	node_str(f, "format", dimg_fs_format(fs));
	dimg_error_clear(&e);
	if (dimg_fs_walk(fs, dimg_fs_root(fs), "", 0, count_entry, &cnt, &e) != 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "file system: %s", e.message);
		node_str(bad, NULL, msg);
		(*nbad)++;
	}
	node_int(f, "entries", (int64_t)cnt.entries);
	if (dimg_fs_anomalies(fs)) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "file system: %llu directory record(s) disagree with "
			 "themselves",
			 (unsigned long long)dimg_fs_anomalies(fs));
		node_str(warn, NULL, msg);
		(*nwarn)++;
	}
	dimg_fs_close(fs);
}

int dimg_verify(struct dimg_image *img, dimg_progress_fn progress, void *ctx,
		struct dimg_node **report, struct dimg_error *err)
{
	struct cd_disc *d = image_disc(img, err);
	struct dimg_node *rep, *bad, *warn;
	struct vbatch b = {0};
	uint8_t *buf = NULL;
	uint64_t nbad = 0, nwarn = 0, checked = 0, done = 0, total = 0;
	int rc = 0;
	*report = NULL;
	if (!d)
		return err->code;
	rep = node_object(NULL, NULL);
	buf = malloc((size_t)VERIFY_BATCH * 2448u);
	b.bad = malloc(VERIFY_BATCH);
	b.found = malloc(VERIFY_BATCH);
	if (!rep || !buf || !b.bad || !b.found) {
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		goto out;
	}
	cd_disc_map_files(d);
	node_str(rep, "path", img->path);
	bad = node_array(rep, "errors");
	warn = node_array(rep, "warnings");
	for (int i = 0; i < d->ntracks; i++)
		total += (uint64_t)(d->tracks[i].end - d->tracks[i].begin) *
			 cd_track_stride(&d->tracks[i]);
	for (int i = 0; i < d->ntracks && rc == 0; i++)
		rc = verify_track(d, &d->tracks[i], buf, &b, bad, warn, &nbad, &nwarn, &checked,
				  progress, ctx, &done, total, err);
	if (rc == 0 && d->sub_file >= 0)
		rc = verify_sub(d, buf, warn, &nwarn, rep, err);
	if (rc == 0 && (rc = cd_unkept_nonzero(d, err)) == 1) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "bytes %llu-%llu of %s, stored before LBA 0, are not silence; the "
			 "disc starts at LBA 0 and does not keep them",
			 (unsigned long long)d->unkept.offset,
			 (unsigned long long)(d->unkept.offset + d->unkept.len - 1),
			 d->files[d->unkept.file].name);
		node_str(warn, NULL, msg);
		nwarn++;
		rc = 0;
	}
	for (int i = 0; i < d->nfiles && rc == 0; i++)
		rc = verify_flac(&d->files[i], bad, &nbad, err);
	if (rc)
		goto out;
	verify_fs(img, rep, bad, &nbad, warn, &nwarn);
	node_int(rep, "sectors", d->leadout);
	node_int(rep, "raw_sectors_checked", (int64_t)checked);
	node_int(rep, "error_count", (int64_t)nbad);
	node_int(rep, "warning_count", (int64_t)nwarn);
	node_str(rep, "status", nbad ? "corrupt" : nwarn ? "warnings" : "good");
	if (node_failed(rep))
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
out:
	free(buf);
	free(b.bad);
	free(b.found);
	if (rc)
		dimg_node_free(rep);
	else
		*report = rep;
	return rc;
}
