/* SPDX-License-Identifier: MIT */
/* Filesystem handles: the one place every fs driver call goes through. */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

static const char *const view_names[] = {
	[DIMG_VIEW_AUTO] = "auto",	   [DIMG_VIEW_ROCKRIDGE] = "rockridge",
	[DIMG_VIEW_JOLIET] = "joliet",	   [DIMG_VIEW_PLAIN] = "plain",
	[DIMG_VIEW_ISO1999] = "iso1999",
};

const char *dimg_view_name(enum dimg_view v)
{
	if ((unsigned)v < sizeof(view_names) / sizeof(view_names[0]))
		return view_names[v];
	return "?";
}

int dimg_view_parse(const char *s, enum dimg_view *out)
{
	if (!strcmp(s, "rr") || !strcmp(s, "rockridge"))
		*out = DIMG_VIEW_ROCKRIDGE;
	else if (!strcmp(s, "joliet"))
		*out = DIMG_VIEW_JOLIET;
	else if (!strcmp(s, "plain") || !strcmp(s, "iso9660"))
		*out = DIMG_VIEW_PLAIN;
	else if (!strcmp(s, "iso1999") || !strcmp(s, "1999"))
		*out = DIMG_VIEW_ISO1999;
	else if (!strcmp(s, "auto"))
		*out = DIMG_VIEW_AUTO;
	else
		return DIMG_EINVAL;
	return 0;
}

static const char *const ftype_names[] = {
	[DIMG_FT_FILE] = "file",	 [DIMG_FT_DIR] = "dir",		[DIMG_FT_SYMLINK] = "symlink",
	[DIMG_FT_CHARDEV] = "chardev", [DIMG_FT_BLOCKDEV] = "blockdev", [DIMG_FT_FIFO] = "fifo",
	[DIMG_FT_SOCKET] = "socket",
};

const char *dimg_ftype_name(enum dimg_ftype t)
{
	if ((unsigned)t < sizeof(ftype_names) / sizeof(ftype_names[0]) && ftype_names[t])
		return ftype_names[t];
	return "unknown";
}

int dimg_fs_open(struct dimg_fs **out, struct dimg_image *img, const struct dimg_fs_options *opt,
		 struct dimg_error *err)
{
	static const struct dimg_fs_options defaults = { 0 };
	const struct dimg_fs_driver *best = NULL;
	int best_score = 0, rc;
	struct dimg_fs *fs;

	*out = NULL;
	if (!opt)
		opt = &defaults;
	if (opt->track && (rc = image_select_track(img, opt->track, err)))
		return rc;
	for (size_t i = 0; dimg_fs_drivers[i]; i++) {
		int score = dimg_fs_drivers[i]->probe(img);
		if (score > best_score) {
			best_score = score;
			best = dimg_fs_drivers[i];
		}
	}
	if (!best)
		return dimg_err(err, DIMG_EUNKNOWN, DIMG_OFFSET_NONE,
				"no filesystem found on the %s medium", img->drv->info.name);
	fs = calloc(1, sizeof(*fs));
	if (!fs || (best->state_size && !(fs->state = calloc(1, best->state_size)))) {
		free(fs);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	fs->img = img;
	fs->drv = best;
	rc = best->open(fs, fs->state, opt, err);
	if (rc) {
		dimg_fs_close(fs);
		return rc;
	}
	*out = fs;
	return 0;
}

void dimg_fs_close(struct dimg_fs *fs)
{
	if (!fs)
		return;
	if (fs->drv->close)
		fs->drv->close(fs, fs->state);
	free(fs->state);
	free(fs);
}

enum dimg_view dimg_fs_view(const struct dimg_fs *fs) { return fs->view; }
const char *dimg_fs_format(const struct dimg_fs *fs) { return fs->drv->info.name; }
dimg_ino dimg_fs_root(const struct dimg_fs *fs) { return fs->root; }

int dimg_fs_getattr(struct dimg_fs *fs, dimg_ino ino, struct dimg_stat *st,
		    struct dimg_error *err)
{
	memset(st, 0, sizeof(*st));
	return fs->drv->getattr(fs, fs->state, ino, st, err);
}

static bool bad_name(const char *name)
{
	return !name[0] || strchr(name, '/') != NULL;
}

int dimg_fs_lookup(struct dimg_fs *fs, dimg_ino dir, const char *name, struct dimg_stat *st,
		   struct dimg_error *err)
{
	memset(st, 0, sizeof(*st));
	if (bad_name(name))
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "invalid name '%s'", name);
	return fs->drv->lookup(fs, fs->state, dir, name, st, err);
}

int dimg_fs_lookup_path(struct dimg_fs *fs, const char *path, struct dimg_stat *st,
			struct dimg_error *err)
{
	char comp[DIMG_MAX_NAME_BYTES + 1];
	int rc = dimg_fs_getattr(fs, fs->root, st, err);
	const char *p = path;
	while (rc == 0) {
		size_t len;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (len > DIMG_MAX_NAME_BYTES)
			return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE, "%s: name too long",
					path);
		memcpy(comp, p, len);
		comp[len] = 0;
		p += len;
		if (!strcmp(comp, "."))
			continue;
		if (st->type != DIMG_FT_DIR)
			return dimg_err(err, DIMG_ENOTDIR, DIMG_OFFSET_NONE, "%s: not a directory",
					path);
		rc = dimg_fs_lookup(fs, st->ino, comp, st, err);
		if (rc == DIMG_ENOTFOUND) {
			err->message[0] = 0;
			err->code = 0;
			return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
					"%s: no such file or directory", path);
		}
	}
	return rc;
}

int dimg_fs_readdir(struct dimg_fs *fs, dimg_ino dir, dimg_readdir_fn fn, void *ctx,
		    struct dimg_error *err)
{
	return fs->drv->readdir(fs, fs->state, dir, fn, ctx, err);
}

int64_t dimg_fs_read(struct dimg_fs *fs, dimg_ino ino, uint64_t off, void *buf, size_t len,
		     struct dimg_error *err)
{
	if (len == 0)
		return 0;
	return fs->drv->read(fs, fs->state, ino, off, buf, len, err);
}

int dimg_fs_readlink(struct dimg_fs *fs, dimg_ino ino, char *buf, size_t size,
		     struct dimg_error *err)
{
	if (size == 0)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "zero-sized buffer");
	if (!fs->drv->readlink)
		return dimg_err(err, DIMG_EUNSUPPORTED, DIMG_OFFSET_NONE, "no symbolic links");
	return fs->drv->readlink(fs, fs->state, ino, buf, size, err);
}

int dimg_fs_extents(struct dimg_fs *fs, dimg_ino ino, struct dimg_extent *ext, size_t max,
		    struct dimg_error *err)
{
	if (!fs->drv->extents)
		return 0;
	return fs->drv->extents(fs, fs->state, ino, ext, max, err);
}

uint64_t dimg_fs_anomalies(struct dimg_fs *fs)
{
	return fs->drv->anomalies ? fs->drv->anomalies(fs, fs->state) : 0;
}
