/* SPDX-License-Identifier: MIT */
#include "fuzz_common.h"

#include <string.h>

#define READ_CAP (256u * 1024u)

struct fw {
	struct dimg_fs *fs;
	uint8_t buf[65536];
	size_t budget;
};

static int walk_cb(void *ctx, const struct dimg_walk_entry *e)
{
	struct fw *w = ctx;
	struct dimg_error err;
	struct dimg_extent ext[8];
	char link[4096];
	dimg_error_clear(&err);
	if (e->problem)
		return 0;
	if (e->st.type == DIMG_FT_SYMLINK)
		dimg_fs_readlink(w->fs, e->st.ino, link, sizeof(link), &err);
	dimg_fs_extents(w->fs, e->st.ino, ext, 8, &err);
	if (e->st.type == DIMG_FT_FILE) {
		for (uint64_t off = 0; off < e->st.size && w->budget > 0;) {
			int64_t n = dimg_fs_read(w->fs, e->st.ino, off, w->buf, sizeof(w->buf), &err);
			if (n <= 0)
				break;
			off += (uint64_t)n;
			w->budget = w->budget > (size_t)n ? w->budget - (size_t)n : 0;
		}
	}
	return 0;
}

void fuzz_walk_all_views(struct dimg_image *img)
{
	static const enum dimg_view views[] = { DIMG_VIEW_AUTO, DIMG_VIEW_PLAIN,
						DIMG_VIEW_JOLIET, DIMG_VIEW_ISO1999 };
	for (size_t v = 0; v < sizeof(views) / sizeof(views[0]); v++) {
		struct dimg_fs_options o = { .view = views[v] };
		struct dimg_error err;
		static struct fw w;
		dimg_error_clear(&err);
		if (dimg_fs_open(&w.fs, img, &o, &err) != 0)
			continue;
		w.budget = READ_CAP;
		struct dimg_stat st;
		dimg_fs_lookup_path(w.fs, "/a/b", &st, &err);
		dimg_error_clear(&err);
		dimg_fs_walk(w.fs, dimg_fs_root(w.fs), "", DIMG_WALK_POST, walk_cb, &w, &err);
		dimg_fs_close(w.fs);
	}
}
