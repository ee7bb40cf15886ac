/* SPDX-License-Identifier: MIT */
/*
 * Safe depth-first walks of a filesystem view.  Hostile images can make a
 * directory contain itself, or many directories share one extent; every
 * directory is entered once and the depth is bounded.
 */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

struct visited {
	uint64_t *slot; /* open addressing; 0 = empty (keys are made non-zero) */
	size_t cap, count;
};

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

/* Returns 1 if newly added, 0 if present, negative on allocation failure. */
static int visited_add(struct visited *v, uint64_t key)
{
	key |= 1ull << 63;
	if ((v->count + 1) * 2 > v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 256;
		uint64_t *n = calloc(ncap, sizeof(*n));
		if (!n)
			return DIMG_ENOMEM;
		for (size_t i = 0; i < v->cap; i++) {
			if (!v->slot[i])
				continue;
			size_t j = mix(v->slot[i]) & (ncap - 1);
			while (n[j])
				j = (j + 1) & (ncap - 1);
			n[j] = v->slot[i];
		}
		free(v->slot);
		v->slot = n;
		v->cap = ncap;
	}
	size_t j = mix(key) & (v->cap - 1);
	while (v->slot[j]) {
		if (v->slot[j] == key)
			return 0;
		j = (j + 1) & (v->cap - 1);
	}
	v->slot[j] = key;
	v->count++;
	return 1;
}

struct walk {
	struct dimg_fs *fs;
	unsigned flags;
	dimg_walk_fn fn;
	void *ctx;
	struct dimg_error *err;
	struct visited seen;
	char *path;
	size_t path_len, path_cap;
	int depth;
	int stop; /* negative: abort code */
};

static int walk_dir(struct walk *w, dimg_ino dir);

static int child_cb(void *ctx, const struct dimg_dirent *de)
{
	struct walk *w = ctx;
	struct dimg_walk_entry e;
	size_t nlen = strlen(de->name), saved = w->path_len;
	int rc;

	if (saved + nlen + 2 > w->path_cap) {
		size_t cap = (saved + nlen + 2) * 2;
		char *p = realloc(w->path, cap);
		if (!p) {
			w->stop = dimg_err(w->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			return 1;
		}
		w->path = p;
		w->path_cap = cap;
	}
	if (saved)
		w->path[w->path_len++] = '/';
	memcpy(w->path + w->path_len, de->name, nlen + 1);
	w->path_len += nlen;

	memset(&e, 0, sizeof(e));
	e.path = w->path;
	e.name = w->path + w->path_len - nlen;
	e.st = de->st;
	e.depth = w->depth + 1;
	if (de->st.type == DIMG_FT_DIR && !(de->st.flags & DIMG_STAT_BADNAME)) {
		if (w->depth + 1 >= DIMG_MAX_DIR_DEPTH) {
			e.problem = DIMG_WALK_TOO_DEEP;
		} else if (de->st.data_offset) {
			int r = visited_add(&w->seen, de->st.data_offset);
			if (r < 0) {
				w->stop = dimg_err(w->err, DIMG_ENOMEM, DIMG_OFFSET_NONE,
						   "out of memory");
				return 1;
			}
			if (r == 0)
				e.problem = DIMG_WALK_LOOP;
		}
	}
	rc = w->fn(w->ctx, &e);
	if (rc < 0) {
		w->stop = rc;
	} else if (rc != DIMG_WALK_SKIP && de->st.type == DIMG_FT_DIR && !e.problem &&
		   !(de->st.flags & DIMG_STAT_BADNAME)) {
		w->depth++;
		rc = walk_dir(w, de->st.ino);
		w->depth--;
		/* the path buffer may have moved while descending */
		w->path_len = saved + (saved ? 1 : 0) + nlen;
		w->path[w->path_len] = 0;
		e.path = w->path;
		e.name = w->path + w->path_len - nlen;
		if (rc < 0 && !w->stop) {
			/* unreadable directory: tell the caller, go on */
			e.problem = DIMG_WALK_READ_ERROR;
			e.error = w->err;
			rc = w->fn(w->ctx, &e);
			dimg_error_clear(w->err);
			if (rc < 0)
				w->stop = rc;
		} else if (!w->stop && (w->flags & DIMG_WALK_POST)) {
			e.post = 1;
			rc = w->fn(w->ctx, &e);
			if (rc < 0)
				w->stop = rc;
		}
	}
	w->path_len = saved;
	w->path[saved] = 0;
	return w->stop ? 1 : 0;
}

static int walk_dir(struct walk *w, dimg_ino dir)
{
	int rc = dimg_fs_readdir(w->fs, dir, child_cb, w, w->err);
	if (w->stop)
		return w->stop;
	return rc;
}

int dimg_fs_walk(struct dimg_fs *fs, dimg_ino start, const char *start_path, unsigned flags,
		 dimg_walk_fn fn, void *ctx, struct dimg_error *err)
{
	struct walk w;
	struct dimg_stat st;
	int rc;
	memset(&w, 0, sizeof(w));
	w.fs = fs;
	w.flags = flags;
	w.fn = fn;
	w.ctx = ctx;
	w.err = err;
	rc = dimg_fs_getattr(fs, start, &st, err);
	if (rc)
		return rc;
	if (st.type != DIMG_FT_DIR)
		return dimg_err(err, DIMG_ENOTDIR, DIMG_OFFSET_NONE, "not a directory");
	w.path_len = start_path ? strlen(start_path) : 0;
	w.path_cap = w.path_len + 256;
	w.path = malloc(w.path_cap);
	if (!w.path)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	memcpy(w.path, start_path ? start_path : "", w.path_len + 1);
	if (st.data_offset && visited_add(&w.seen, st.data_offset) < 0)
		rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	else
		rc = walk_dir(&w, start);
	free(w.path);
	free(w.seen.slot);
	return rc;
}
