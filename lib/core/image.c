/* SPDX-License-Identifier: MIT */
/* Images: probe the container drivers, open, read the cooked medium. */
#include "core/core.h"
#include "cd/cd_disc.h"
#include "util/checked.h"

#include <stdlib.h>
#include <string.h>

/* Probing looks at a bounded head window: ISO 9660 needs sector 16 (32 KiB)
 * and its neighbours. */
#define PROBE_HEAD (64u * 1024u)

const char *dimg_version(void) { return DIMG_VERSION_STRING; }

int dimg_driver_get(size_t idx, struct dimg_driver_info *info)
{
	size_t n = 0, i;
	for (i = 0; dimg_container_drivers[i]; i++, n++)
		if (n == idx) {
			*info = dimg_container_drivers[i]->info;
			return 0;
		}
	for (i = 0; dimg_fs_drivers[i]; i++, n++)
		if (n == idx) {
			*info = dimg_fs_drivers[i]->info;
			return 0;
		}
	return DIMG_ENOTFOUND;
}

static bool name_matches(const struct dimg_driver_info *info, const char *name)
{
	size_t n = strlen(name);
	const char *p = info->aliases;
	if (strcmp(info->name, name) == 0)
		return true;
	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static int image_open_io(struct dimg_image **out, struct dimg_io *io, const char *path,
			 const struct dimg_open_options *opt, struct dimg_error *err)
{
	const struct dimg_container_driver *best = NULL;
	struct dimg_image *img;
	uint8_t *head;
	size_t head_len = io->size < PROBE_HEAD ? (size_t)io->size : PROBE_HEAD;
	int best_score = 0, rc;

	head = malloc(head_len ? head_len : 1);
	if (!head) {
		io_close(io);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	rc = io_read(io, head, head_len, 0, err);
	if (rc) {
		free(head);
		io_close(io);
		return rc;
	}
	for (size_t i = 0; dimg_container_drivers[i]; i++) {
		const struct dimg_container_driver *d = dimg_container_drivers[i];
		int score;
		if (opt && opt->format) {
			if (name_matches(&d->info, opt->format)) {
				best = d;
				break;
			}
			continue;
		}
		score = d->probe ? d->probe(io, head, head_len) : 0;
		if (score > best_score) {
			best_score = score;
			best = d;
		}
	}
	free(head);
	if (!best) {
		io_close(io);
		if (opt && opt->format)
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "unknown format '%s'",
					opt->format);
		return dimg_err(err, DIMG_EUNKNOWN, DIMG_OFFSET_NONE,
				"not a recognised disc or disk image");
	}
	img = calloc(1, sizeof(*img));
	if (!img || !(img->path = strdup(path))) {
		free(img);
		io_close(io);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	img->io = io;
	img->drv = best;
	img->size = io->size;
	if (best->state_size && !(img->state = calloc(1, best->state_size))) {
		dimg_image_close(img);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	rc = best->open ? best->open(img, img->state, err) : 0;
	if (rc) {
		dimg_image_close(img);
		return rc;
	}
	*out = img;
	return 0;
}

int dimg_image_open(struct dimg_image **out, const char *path,
		    const struct dimg_open_options *opt, struct dimg_error *err)
{
	struct dimg_io *io;
	int rc;
	*out = NULL;
	dimg_err_what(err, path);
	rc = io_open_file(&io, path, err);
	if (rc)
		return rc;
	return image_open_io(out, io, path, opt, err);
}

int dimg_image_open_memory(struct dimg_image **out, const void *data, size_t size,
			   const struct dimg_open_options *opt, struct dimg_error *err)
{
	struct dimg_io *io;
	int rc;
	*out = NULL;
	rc = io_open_memory(&io, data, size, "<memory>", err);
	if (rc)
		return rc;
	return image_open_io(out, io, "<memory>", opt, err);
}

void dimg_image_close(struct dimg_image *img)
{
	if (!img)
		return;
	if (img->drv && img->drv->close)
		img->drv->close(img, img->state);
	free(img->state);
	cd_disc_free(img->disc);
	io_close(img->io);
	free(img->path);
	free(img);
}

const char *dimg_image_format(const struct dimg_image *img) { return img->drv->info.name; }
int64_t dimg_image_size(const struct dimg_image *img) { return (int64_t)img->io->size; }
const char *dimg_image_path(const struct dimg_image *img) { return img->path; }

int dimg_image_raw_fd(const struct dimg_image *img)
{
	/* only containers without a read op map the medium 1:1 onto the file */
	return img->drv->read ? -1 : img->io->fd;
}

int medium_read(struct dimg_image *img, void *buf, size_t len, uint64_t off,
		struct dimg_error *err)
{
	if (len == 0)
		return 0;
	if (off > img->size || len > img->size - off)
		return dimg_err(err, DIMG_ERANGE, (int64_t)off,
				"read of %zu bytes past the end of the medium (size %llu)", len,
				(unsigned long long)img->size);
	if (img->drv->read)
		return img->drv->read(img, img->state, buf, len, off, err);
	return io_read(img->io, buf, len, off, err);
}

int dimg_image_report(struct dimg_image *img, struct dimg_node **out, struct dimg_error *err)
{
	struct dimg_node *root = node_object(NULL, NULL);
	int rc = 0;
	*out = NULL;
	if (!root)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	node_str(root, "path", img->path);
	node_str(root, "container", img->drv->info.name);
	node_int(root, "size", (int64_t)img->io->size);
	if (img->drv->report)
		rc = img->drv->report(img, img->state, root, err);
	for (size_t i = 0; rc == 0 && dimg_fs_drivers[i]; i++) {
		const struct dimg_fs_driver *d = dimg_fs_drivers[i];
		/* on a CD the file system is one layer down: its facts (and its
		 * own "sessions") go in their own object */
		if (d->report && d->probe && d->probe(img) > 0)
			rc = d->report(img, img->disc ? node_object(root, "filesystem") : root, err);
	}
	if (rc == 0 && node_failed(root))
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	if (rc) {
		dimg_node_free(root);
		return rc;
	}
	*out = root;
	return 0;
}

int dimg_boot_entries(struct dimg_image *img, struct dimg_boot_entry *ents, size_t max,
		      struct dimg_error *err)
{
	for (size_t i = 0; dimg_fs_drivers[i]; i++) {
		const struct dimg_fs_driver *d = dimg_fs_drivers[i];
		if (d->boot_entries && d->probe && d->probe(img) > 0)
			return d->boot_entries(img, ents, max, err);
	}
	return 0;
}

int64_t dimg_boot_read(struct dimg_image *img, const struct dimg_boot_entry *ent, uint64_t off,
		       void *buf, size_t len, struct dimg_error *err)
{
	uint64_t start;
	int rc;
	if (off >= ent->size)
		return 0;
	if (len > ent->size - off)
		len = (size_t)(ent->size - off);
	if (ck_mul_u64(ent->lba, 2048, &start) || ck_add_u64(start, off, &start) ||
	    start >= img->size)
		return dimg_err(err, DIMG_ERANGE, DIMG_OFFSET_NONE,
				"boot image %d lies past the end of the medium", ent->index);
	if (len > img->size - start)
		len = (size_t)(img->size - start);
	rc = medium_read(img, buf, len, start, err);
	return rc ? rc : (int64_t)len;
}

struct cd_disc *image_disc(struct dimg_image *img, struct dimg_error *err)
{
	struct cd_disc *d;
	struct cd_track *t;
	int f;
	if (img->disc)
		return img->disc;
	if (img->drv->read || img->io->size % 2048 || img->io->size == 0 ||
	    img->io->size / 2048 >= CD_MAX_LBA) {
		dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE,
			 "not a CD image (a plain image must be whole 2048-byte sectors, at "
			 "most 99:59:74)");
		return NULL;
	}
	if (!(d = cd_disc_new())) {
		dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		return NULL;
	}
	if ((f = cd_disc_add_file(d, img->path, CD_FILE_BINARY, err)) < 0)
		goto fail;
	d->files[f].io = img->io;
	d->files[f].borrowed = true;
	d->files[f].size = img->io->size;
	d->ntracks = d->nsessions = 1;
	d->plain = true;
	t = &d->tracks[0];
	for (int k = 0; k <= CD_MAX_INDEX; k++)
		t->index[k] = -1;
	t->number = t->session = 1;
	t->mode = CD_TM_MODE1_2048;
	t->index[1] = 0;
	t->end = d->leadout = (int32_t)(img->io->size / 2048);
	t->file = f;
	if (cd_disc_add_seg(d, t, f, 0, (uint32_t)t->end, err) || cd_disc_validate(d, err))
		goto fail;
	img->disc = d;
	return d;
fail:
	cd_disc_free(d);
	return NULL;
}

int image_select_track(struct dimg_image *img, int number, struct dimg_error *err)
{
	const struct cd_disc *d = img->disc;
	if (!d)
		return number == 1 ? 0
				   : dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
					      "no track %d: the image has one track", number);
	for (int i = 0; i < d->ntracks; i++) {
		const struct cd_track *t = &d->tracks[i];
		if (t->number != number)
			continue;
		if (cd_tmodes[t->mode].data_mode == 0)
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"track %d is an audio track (no file system)", number);
		img->fs_base = (uint64_t)t->start;
		return 0;
	}
	return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE, "no track %d (tracks %d-%d)", number,
			d->tracks[0].number, d->tracks[d->ntracks - 1].number);
}
