/* SPDX-License-Identifier: MIT */
/*
 * FUSE callbacks.  Lookups are answered from a per-directory index built
 * once (sorted names, binary search); attributes come with every entry
 * (readdirplus); reads go straight to dimg_fs_read.  A failing read returns
 * EIO and logs why; nothing here can take the daemon down.
 */
#include "mount_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <stdarg.h>
#include <fcntl.h>

#define ATTR_TIMEOUT 3600.0 /* read-only image: attributes never change */

struct mnt_ent {
	char *name;
	struct dimg_stat st;
};

struct mnt_dir {
	dimg_ino ino;
	struct mnt_ent *ents;
	size_t n;
	int err; /* negative DIMG_E* if the directory could not be read */
};

/* ---- inode numbers ------------------------------------------------------- */

static dimg_ino to_dimg(const struct mnt *m, fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? m->root : (dimg_ino)ino;
}

static fuse_ino_t to_fuse(const struct mnt *m, dimg_ino ino)
{
	return ino == m->root ? FUSE_ROOT_ID : (fuse_ino_t)ino;
}

static void mnt_logf(struct mnt *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mnt_logf(struct mnt *m, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (m->log)
		m->log(buf);
}

static int to_errno(int code)
{
	switch (code) {
	case DIMG_ENOTFOUND:
		return ENOENT;
	case DIMG_ENOMEM:
		return ENOMEM;
	case DIMG_ENOTDIR:
		return ENOTDIR;
	case DIMG_EISDIR:
		return EISDIR;
	case DIMG_EINVAL:
		return EINVAL;
	default:
		return EIO;
	}
}

static void fill_stat(const struct mnt *m, const struct dimg_stat *d, struct stat *st)
{
	static const mode_t fmt[] = {0,	      S_IFREG, S_IFDIR, S_IFLNK,
				     S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK};
	memset(st, 0, sizeof(*st));
	/* hard links share one inode number */
	st->st_ino = d->link_id ? (ino_t)(d->link_id & ~(1ull << 63)) : (ino_t)to_fuse(m, d->ino);
	if (d->ino == m->root)
		st->st_ino = FUSE_ROOT_ID;
	st->st_mode = ((unsigned)d->type < 8 ? fmt[d->type] : S_IFREG) | (d->mode & 07777);
	st->st_nlink = d->nlink ? d->nlink : 1;
	st->st_uid = m->rock_ridge ? d->uid : m->uid;
	st->st_gid = m->rock_ridge ? d->gid : m->gid;
	st->st_size = (off_t)d->size;
	st->st_blksize = 2048;
	st->st_blocks = (blkcnt_t)((d->size + 511) / 512);
	st->st_mtim.tv_sec = d->mtime;
	st->st_atim.tv_sec = d->atime;
	st->st_ctim.tv_sec = d->ctime;
	if (d->type == DIMG_FT_CHARDEV || d->type == DIMG_FT_BLOCKDEV)
		st->st_rdev = makedev((unsigned)d->rdev_major, (unsigned)d->rdev_minor);
}

/* ---- made-up entries: /.boot and /.audio ---------------------------------- */

static bool is_synth(fuse_ino_t ino)
{
	return ino != FUSE_ROOT_ID && ino < MNT_SYNTH_END;
}

static bool is_boot_file(const struct mnt *m, fuse_ino_t ino)
{
	return m->boot && ino >= MNT_BOOT_FIRST && ino < MNT_BOOT_FIRST + (fuse_ino_t)m->nboot;
}

static bool is_audio_file(const struct mnt *m, fuse_ino_t ino)
{
	return m->audio && ino >= MNT_AUDIO_FIRST && ino < MNT_AUDIO_FIRST + (fuse_ino_t)m->naudio;
}

static void synth_name(const struct mnt *m, fuse_ino_t ino, char *buf, size_t size)
{
	if (ino == MNT_BOOT_DIR) {
		snprintf(buf, size, ".boot");
	} else if (ino == MNT_AUDIO_DIR) {
		snprintf(buf, size, ".audio");
	} else if (is_boot_file(m, ino)) {
		const struct dimg_boot_entry *b = &m->boot_ents[ino - MNT_BOOT_FIRST];
		snprintf(buf, size, "boot-%d-%s.img", b->index,
			 b->platform == 0      ? "bios"
			 : b->platform == 0xEF ? "efi"
					       : "other");
	} else {
		snprintf(buf, size, "track%02d.wav", m->tracks[ino - MNT_AUDIO_FIRST].number);
	}
}

/* Attributes of a made-up inode (or of the root of a disc without a file
 * system); false when ino is none of them. */
static bool synth_stat(const struct mnt *m, fuse_ino_t ino, struct dimg_stat *st)
{
	struct dimg_stat root;
	struct dimg_error err;
	bool dir = ino == MNT_BOOT_DIR || ino == MNT_AUDIO_DIR || (ino == FUSE_ROOT_ID && !m->fs);
	if (!dir && !is_boot_file(m, ino) && !is_audio_file(m, ino))
		return false;
	if ((ino == MNT_BOOT_DIR && !m->boot) || (ino == MNT_AUDIO_DIR && !m->audio))
		return false;
	dimg_error_clear(&err);
	memset(st, 0, sizeof(*st));
	memset(&root, 0, sizeof(root));
	if (m->fs && dimg_fs_getattr(m->fs, m->root, &root, &err) != 0)
		memset(&root, 0, sizeof(root));
	if (!m->fs) {
		root.mtime = m->mtime;
		root.uid = (uint32_t)m->uid;
		root.gid = (uint32_t)m->gid;
	}
	st->mtime = st->atime = st->ctime = root.mtime;
	st->uid = root.uid;
	st->gid = root.gid;
	st->ino = ino == FUSE_ROOT_ID ? m->root : ino;
	if (dir) {
		st->type = DIMG_FT_DIR;
		st->mode = 0555;
		st->nlink = 2;
		return true;
	}
	st->type = DIMG_FT_FILE;
	st->mode = 0444;
	st->nlink = 1;
	if (is_boot_file(m, ino)) {
		st->size = m->boot_ents[ino - MNT_BOOT_FIRST].size;
	} else {
		const struct dimg_track_info *t = &m->tracks[ino - MNT_AUDIO_FIRST];
		st->size = 44 + (uint64_t)t->length * 2352u;
	}
	return true;
}

/* The made-up folders shown in the root. */
static int root_extras(const struct mnt *m, fuse_ino_t out[2])
{
	int n = 0;
	if (m->boot)
		out[n++] = MNT_BOOT_DIR;
	if (m->audio)
		out[n++] = MNT_AUDIO_DIR;
	return n;
}

/* Children of a made-up folder: count and the inode of child i. */
static int synth_children(const struct mnt *m, fuse_ino_t dir)
{
	return dir == MNT_BOOT_DIR ? m->nboot : dir == MNT_AUDIO_DIR ? m->naudio : 0;
}

static fuse_ino_t synth_child(fuse_ino_t dir, int i)
{
	return (dir == MNT_BOOT_DIR ? MNT_BOOT_FIRST : MNT_AUDIO_FIRST) + (fuse_ino_t)i;
}

/* ---- the directory index ------------------------------------------------- */

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mnt_ent *)a)->name, ((const struct mnt_ent *)b)->name);
}

struct collect {
	struct mnt_dir *d;
	size_t cap;
	bool nomem;
};

static int collect_cb(void *ctx, const struct dimg_dirent *de)
{
	struct collect *c = ctx;
	if (de->st.flags & DIMG_STAT_BADNAME)
		return 0; /* no name a kernel could be given */
	if (c->d->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct mnt_ent *e = realloc(c->d->ents, cap * sizeof(*e));
		if (!e) {
			c->nomem = true;
			return 1;
		}
		c->d->ents = e;
		c->cap = cap;
	}
	c->d->ents[c->d->n].name = strdup(de->name);
	if (!c->d->ents[c->d->n].name) {
		c->nomem = true;
		return 1;
	}
	c->d->ents[c->d->n].st = de->st;
	c->d->n++;
	return 0;
}

static size_t dir_slot(const struct mnt *m, dimg_ino ino)
{
	uint64_t h = ino * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 17) & (m->dir_cap - 1);
}

static void dir_free(struct mnt_dir *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->ents[i].name);
	free(d->ents);
	free(d);
}

/* Returns the index of directory ino, building it on first use.  Entries
 * with duplicate names keep the first, as lookups by name would. */
static struct mnt_dir *dir_get(struct mnt *m, dimg_ino ino, struct dimg_error *err)
{
	struct mnt_dir *d;
	size_t j;
	pthread_mutex_lock(&m->lock);
	for (j = dir_slot(m, ino); m->dirs[j]; j = (j + 1) & (m->dir_cap - 1))
		if (m->dirs[j]->ino == ino) {
			d = m->dirs[j];
			pthread_mutex_unlock(&m->lock);
			return d;
		}
	pthread_mutex_unlock(&m->lock);

	d = calloc(1, sizeof(*d));
	if (!d) {
		err->code = DIMG_ENOMEM;
		return NULL;
	}
	d->ino = ino;
	struct collect c = {d, 0, false};
	int rc = dimg_fs_readdir(m->fs, ino, collect_cb, &c, err);
	if (c.nomem) {
		dir_free(d);
		err->code = DIMG_ENOMEM;
		return NULL;
	}
	if (rc != 0) {
		/* keep what was read; remember the error for readdir */
		d->err = rc;
	}
	if (d->n > 1)
		qsort(d->ents, d->n, sizeof(*d->ents), ent_cmp);

	pthread_mutex_lock(&m->lock);
	for (j = dir_slot(m, ino); m->dirs[j]; j = (j + 1) & (m->dir_cap - 1))
		if (m->dirs[j]->ino == ino) { /* another thread was faster */
			struct mnt_dir *other = m->dirs[j];
			pthread_mutex_unlock(&m->lock);
			dir_free(d);
			return other;
		}
	if ((m->dir_count + 1) * 2 > m->dir_cap) {
		size_t cap = m->dir_cap * 2;
		struct mnt_dir **t = calloc(cap, sizeof(*t));
		if (t) {
			for (size_t i = 0; i < m->dir_cap; i++) {
				if (!m->dirs[i])
					continue;
				size_t k =
				    (size_t)((m->dirs[i]->ino * 0x9E3779B97F4A7C15ull) >> 17) &
				    (cap - 1);
				while (t[k])
					k = (k + 1) & (cap - 1);
				t[k] = m->dirs[i];
			}
			free(m->dirs);
			m->dirs = t;
			m->dir_cap = cap;
		}
	}
	if ((m->dir_count + 1) * 2 > m->dir_cap) {
		pthread_mutex_unlock(&m->lock);
		dir_free(d);
		err->code = DIMG_ENOMEM;
		return NULL;
	}
	for (j = dir_slot(m, ino); m->dirs[j]; j = (j + 1) & (m->dir_cap - 1))
		;
	m->dirs[j] = d;
	m->dir_count++;
	pthread_mutex_unlock(&m->lock);
	return d;
}

static const struct mnt_ent *dir_find(const struct mnt_dir *d, const char *name)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, d->ents[mid].name);
		if (c == 0) {
			/* the first of equal names */
			while (mid > 0 && strcmp(d->ents[mid - 1].name, name) == 0)
				mid--;
			return &d->ents[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- setup --------------------------------------------------------------- */

unsigned mnt_max_read(void)
{
	unsigned long pmax = 1048576;
	unsigned r;
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	if (f) {
		if (fscanf(f, "%lu", &pmax) != 1)
			pmax = 1048576;
		fclose(f);
	}
	/* data + header + three pages of slack within the pipe limit */
	r = pmax < MNT_MAX_READ + 16384u ? (unsigned)(pmax > 16384u ? pmax - 16384u : 0)
					 : MNT_MAX_READ;
	r &= ~4095u;
	return r < MNT_MIN_READ ? MNT_MIN_READ : r;
}

int mnt_init(struct mnt *m, struct dimg_image *img, struct dimg_fs *fs, const char *image,
	     bool boot, bool audio)
{
	struct stat ist;
	memset(m, 0, sizeof(*m));
	m->img = img;
	m->fs = fs;
	m->image = image;
	m->root = fs ? dimg_fs_root(fs) : 1;
	m->rock_ridge = fs && dimg_fs_view(fs) == DIMG_VIEW_ROCKRIDGE;
	m->mtime = stat(image, &ist) == 0 ? ist.st_mtime : 0;
	m->raw_fd = dimg_image_raw_fd(img);
	m->max_read = mnt_max_read();
	m->uid = getuid();
	m->gid = getgid();
	m->r = &mnt_fuse_reply;
	m->dir_cap = 64;
	m->dirs = calloc(m->dir_cap, sizeof(*m->dirs));
	if (!m->dirs)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	if (boot) {
		struct dimg_error err;
		dimg_error_clear(&err);
		m->boot_ents = calloc(64, sizeof(*m->boot_ents));
		int n = m->boot_ents ? dimg_boot_entries(img, m->boot_ents, 64, &err) : -1;
		m->boot = true;
		m->nboot = n > 64 ? 64 : n > 0 ? n : 0;
	}
	if (audio) {
		struct dimg_error err;
		struct dimg_track_info all[99];
		int n;
		dimg_error_clear(&err);
		n = dimg_tracks(img, all, 99, &err);
		m->audio = true;
		m->tracks = calloc(99, sizeof(*m->tracks));
		if (!m->tracks)
			return -ENOMEM;
		for (int i = 0; i < n && i < 99; i++)
			if (all[i].audio)
				m->tracks[m->naudio++] = all[i];
	}
	return 0;
}

void mnt_destroy(struct mnt *m)
{
	for (size_t i = 0; i < m->dir_cap; i++)
		dir_free(m->dirs[i]);
	free(m->dirs);
	free(m->boot_ents);
	free(m->tracks);
	pthread_mutex_destroy(&m->lock);
}

/* ---- callbacks ----------------------------------------------------------- */

static void reply_entry(struct mnt *m, fuse_req_t req, const struct dimg_stat *st)
{
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	e.ino = to_fuse(m, st->ino);
	e.attr_timeout = ATTR_TIMEOUT;
	e.entry_timeout = ATTR_TIMEOUT;
	fill_stat(m, st, &e.attr);
	m->r->entry(req, &e);
}

void mnt_lookup(struct mnt *m, fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct dimg_error err;
	struct dimg_stat st;
	char nm[64];
	fuse_ino_t extra[2];
	int n;
	dimg_error_clear(&err);
	if (parent == FUSE_ROOT_ID) {
		n = root_extras(m, extra);
		for (int i = 0; i < n; i++) {
			synth_name(m, extra[i], nm, sizeof(nm));
			if (!strcmp(nm, name) && synth_stat(m, extra[i], &st)) {
				reply_entry(m, req, &st);
				return;
			}
		}
	}
	if (parent == MNT_BOOT_DIR || parent == MNT_AUDIO_DIR) {
		n = synth_children(m, parent);
		for (int i = 0; i < n; i++) {
			synth_name(m, synth_child(parent, i), nm, sizeof(nm));
			if (!strcmp(nm, name) && synth_stat(m, synth_child(parent, i), &st)) {
				reply_entry(m, req, &st);
				return;
			}
		}
		m->r->err(req, ENOENT);
		return;
	}
	if (!m->fs || is_synth(parent)) {
		m->r->err(req, ENOENT);
		return;
	}
	struct mnt_dir *d = dir_get(m, to_dimg(m, parent), &err);
	if (!d) {
		m->r->err(req, to_errno(err.code));
		return;
	}
	const struct mnt_ent *e = dir_find(d, name);
	if (!e) {
		m->r->err(req, ENOENT);
		return;
	}
	reply_entry(m, req, &e->st);
}

void mnt_getattr(struct mnt *m, fuse_req_t req, fuse_ino_t ino)
{
	struct dimg_error err;
	struct dimg_stat d;
	struct stat st;
	dimg_error_clear(&err);
	if (synth_stat(m, ino, &d)) {
		fill_stat(m, &d, &st);
		m->r->attr(req, &st, ATTR_TIMEOUT);
		return;
	}
	if (!m->fs || is_synth(ino)) {
		m->r->err(req, ENOENT);
		return;
	}
	if (dimg_fs_getattr(m->fs, to_dimg(m, ino), &d, &err) != 0) {
		mnt_logf(m, "%s: getattr of inode %llu: %s", m->image, (unsigned long long)ino,
			 err.message);
		m->r->err(req, to_errno(err.code));
		return;
	}
	fill_stat(m, &d, &st);
	m->r->attr(req, &st, ATTR_TIMEOUT);
}

void mnt_readlink(struct mnt *m, fuse_req_t req, fuse_ino_t ino)
{
	struct dimg_error err;
	char buf[16384];
	dimg_error_clear(&err);
	if (!m->fs || is_synth(ino)) {
		m->r->err(req, EINVAL);
		return;
	}
	if (dimg_fs_readlink(m->fs, to_dimg(m, ino), buf, sizeof(buf), &err) < 0) {
		m->r->err(req, err.code == DIMG_EINVAL ? EINVAL : to_errno(err.code));
		return;
	}
	m->r->readlink(req, buf);
}

void mnt_open(struct mnt *m, fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		m->r->err(req, EROFS);
		return;
	}
	(void)ino;
	fi->keep_cache = 1; /* the image does not change under us */
	m->r->open(req, fi);
}

/* Plain data in one extent of a plain image: the kernel splices it from the
 * image file, no copy through this process. */
static bool try_splice(struct mnt *m, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off)
{
	struct dimg_error err;
	struct dimg_stat st;
	struct dimg_extent ext[2];
	if (is_synth(ino) || !m->fs)
		return false;
	dimg_error_clear(&err);
	if (dimg_fs_getattr(m->fs, to_dimg(m, ino), &st, &err) != 0 || st.type != DIMG_FT_FILE ||
	    (st.flags & (DIMG_STAT_ZISOFS | DIMG_STAT_INTERLEAVED)))
		return false;
	if (dimg_fs_extents(m->fs, st.ino, ext, 2, &err) != 1 || ext[0].size != st.size)
		return false;
	if ((uint64_t)off >= st.size) {
		m->r->buf(req, NULL, 0);
		return true;
	}
	if (size > st.size - (uint64_t)off)
		size = (size_t)(st.size - (uint64_t)off);
	if (ext[0].offset + st.size > (uint64_t)dimg_image_size(m->img))
		return false; /* past the end: the normal path reports EIO */
	m->r->data(req, m->raw_fd, (off_t)(ext[0].offset + (uint64_t)off), size);
	return true;
}

void mnt_read(struct mnt *m, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off)
{
	struct dimg_error err;
	char *buf;
	int64_t n;
	if (size > (64u << 20))
		size = 64u << 20;
	buf = malloc(size ? size : 1);
	if (!buf) {
		m->r->err(req, ENOMEM);
		return;
	}
	dimg_error_clear(&err);
	if (m->raw_fd >= 0 && try_splice(m, req, ino, size, off)) {
		free(buf);
		return;
	}
	if (is_boot_file(m, ino))
		n = dimg_boot_read(m->img, &m->boot_ents[ino - MNT_BOOT_FIRST], (uint64_t)off, buf,
				   size, &err);
	else if (is_audio_file(m, ino))
		n = dimg_track_read_wav(m->img, m->tracks[ino - MNT_AUDIO_FIRST].number,
					(uint64_t)off, buf, size, &err);
	else if (!m->fs || is_synth(ino))
		n = err.code = DIMG_EISDIR; /* the made-up folders */
	else
		n = dimg_fs_read(m->fs, to_dimg(m, ino), (uint64_t)off, buf, size, &err);
	if (n < 0) {
		mnt_logf(m, "%s: read of inode %llu at %lld: %s (at byte offset %lld)", m->image,
			 (unsigned long long)ino, (long long)off, err.message,
			 (long long)err.offset);
		m->r->err(req, err.code == DIMG_EISDIR ? EISDIR : EIO);
	} else {
		m->r->buf(req, buf, (size_t)n);
	}
	free(buf);
}

void mnt_opendir(struct mnt *m, fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	(void)ino;
	m->r->open(req, fi);
}

void mnt_readdir(struct mnt *m, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	struct dimg_error err;
	char *buf;
	size_t used = 0, dn = 0;
	struct mnt_dir *d = NULL;
	struct dimg_stat self;
	bool synth_dir = ino == MNT_BOOT_DIR || ino == MNT_AUDIO_DIR;
	fuse_ino_t extra[2];
	int nextra = 0;
	size_t n;
	dimg_error_clear(&err);
	if (size > (1u << 20))
		size = 1u << 20;
	buf = malloc(size ? size : 1);
	if (!buf) {
		m->r->err(req, ENOMEM);
		return;
	}
	if (synth_dir || (ino == FUSE_ROOT_ID && !m->fs)) {
		if (!synth_stat(m, ino, &self)) {
			free(buf);
			m->r->err(req, ENOENT);
			return;
		}
		n = synth_dir ? (size_t)synth_children(m, ino) : 0;
	} else {
		if (!m->fs || is_synth(ino) ||
		    dimg_fs_getattr(m->fs, to_dimg(m, ino), &self, &err) != 0 ||
		    !(d = dir_get(m, to_dimg(m, ino), &err))) {
			free(buf);
			m->r->err(req, !m->fs || is_synth(ino) ? ENOTDIR : to_errno(err.code));
			return;
		}
		if (d->err && d->n == 0) {
			mnt_logf(m, "%s: directory inode %llu unreadable", m->image,
				 (unsigned long long)ino);
			free(buf);
			m->r->err(req, EIO);
			return;
		}
		dn = d->n;
		n = dn;
	}
	if (ino == FUSE_ROOT_ID) {
		nextra = root_extras(m, extra);
		n += (size_t)nextra;
	}
	/* offsets: 1 ".", 2 "..", 3 + i the entries (the directory's, then the
	 * made-up folders of the root) */
	for (off_t o = off; (size_t)o < n + 2; o++) {
		struct fuse_entry_param e;
		const char *name;
		char nm[64];
		struct dimg_stat st;
		memset(&e, 0, sizeof(e));
		if (o == 0) {
			name = ".";
			st = self;
		} else if (o == 1) {
			name = "..";
			st = self; /* the kernel resolves ".." itself */
		} else if (synth_dir) {
			fuse_ino_t c = synth_child(ino, (int)(o - 2));
			synth_name(m, c, nm, sizeof(nm));
			name = nm;
			synth_stat(m, c, &st);
		} else if ((size_t)(o - 2) < dn) {
			name = d->ents[o - 2].name;
			st = d->ents[o - 2].st;
		} else {
			fuse_ino_t c = extra[(size_t)(o - 2) - dn];
			synth_name(m, c, nm, sizeof(nm));
			name = nm;
			synth_stat(m, c, &st);
		}
		e.ino = to_fuse(m, st.ino);
		fill_stat(m, &st, &e.attr);
		e.attr_timeout = e.entry_timeout = ATTR_TIMEOUT;
		size_t want;
		if (plus) {
			/* "." and ".." must not be looked up by the kernel */
			if (o < 2)
				memset(&e, 0, sizeof(e)), e.attr.st_ino = st.ino,
							  e.attr.st_mode = S_IFDIR;
			want =
			    m->r->add_direntry_plus(req, buf + used, size - used, name, &e, o + 1);
		} else {
			want =
			    m->r->add_direntry(req, buf + used, size - used, name, &e.attr, o + 1);
		}
		if (want > size - used)
			break;
		used += want;
	}
	m->r->buf(req, buf, used);
	free(buf);
}

void mnt_statfs(struct mnt *m, fuse_req_t req)
{
	struct statvfs st;
	memset(&st, 0, sizeof(st));
	st.f_bsize = 2048;
	st.f_frsize = 2048;
	st.f_blocks = (fsblkcnt_t)(dimg_image_size(m->img) / 2048);
	st.f_files = m->dir_count;
	st.f_namemax = 255;
	st.f_flag = ST_RDONLY;
	m->r->statfs(req, &st);
}

/* user.dimg.* extended attributes: the facts a user cannot get otherwise */
static int xattr_value(struct mnt *m, fuse_ino_t ino, const char *name, char *out, size_t size)
{
	struct dimg_error err;
	struct dimg_stat st;
	dimg_error_clear(&err);
	if (is_synth(ino) || !m->fs)
		return -ENODATA;
	if (dimg_fs_getattr(m->fs, to_dimg(m, ino), &st, &err) != 0)
		return -EIO;
	if (!strcmp(name, "user.dimg.extents")) {
		struct dimg_extent ext[64];
		int n = dimg_fs_extents(m->fs, st.ino, ext, 64, &err);
		size_t o = 0;
		if (n <= 0)
			return -ENODATA;
		for (int i = 0; i < n && i < 64 && o < size; i++)
			o += (size_t)snprintf(out + o, size - o, "%s%llu+%llu", i ? "," : "",
					      (unsigned long long)ext[i].lba,
					      (unsigned long long)ext[i].size);
		return (int)(o < size ? o : size);
	}
	if (!strcmp(name, "user.dimg.flags")) {
		int o =
		    snprintf(out, size, "%s%s%s%s%s", st.flags & DIMG_STAT_ZISOFS ? "zisofs " : "",
			     st.flags & DIMG_STAT_MULTIEXTENT ? "multi-extent " : "",
			     st.flags & DIMG_STAT_HIDDEN ? "hidden " : "",
			     st.flags & DIMG_STAT_INTERLEAVED ? "interleaved " : "",
			     st.flags & DIMG_STAT_RELOCATED ? "relocated " : "");
		if (o > 0 && out[o - 1] == ' ')
			out[--o] = 0;
		return o;
	}
	if (!strcmp(name, "user.dimg.view"))
		return snprintf(out, size, "%s", dimg_view_name(dimg_fs_view(m->fs)));
	if (!strcmp(name, "user.dimg.format"))
		return snprintf(out, size, "%s", dimg_fs_format(m->fs));
	if (!strcmp(name, "user.dimg.container"))
		return snprintf(out, size, "%s", dimg_image_format(m->img));
	return -ENODATA;
}

static const char *const xattr_names[] = {"user.dimg.extents", "user.dimg.flags", "user.dimg.view",
					  "user.dimg.format", "user.dimg.container"};

void mnt_getxattr(struct mnt *m, fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	char buf[4096];
	int n = xattr_value(m, ino, name, buf, sizeof(buf));
	if (n < 0) {
		m->r->err(req, -n);
		return;
	}
	if (size == 0)
		m->r->xattr(req, (size_t)n);
	else if ((size_t)n > size)
		m->r->err(req, ERANGE);
	else
		m->r->buf(req, buf, (size_t)n);
}

void mnt_listxattr(struct mnt *m, fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char buf[512];
	size_t o = 0;
	for (size_t i = 0; i < sizeof(xattr_names) / sizeof(xattr_names[0]); i++) {
		char tmp[4096];
		if (xattr_value(m, ino, xattr_names[i], tmp, sizeof(tmp)) <= 0)
			continue;
		size_t l = strlen(xattr_names[i]) + 1;
		memcpy(buf + o, xattr_names[i], l);
		o += l;
	}
	if (size == 0)
		m->r->xattr(req, o);
	else if (o > size)
		m->r->err(req, ERANGE);
	else
		m->r->buf(req, buf, o);
}

/* ---- libfuse binding ------------------------------------------------------ */

static int r_err(fuse_req_t req, int e)
{
	return fuse_reply_err(req, e);
}
static int r_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
	return fuse_reply_entry(req, e);
}
static int r_attr(fuse_req_t req, const struct stat *st, double t)
{
	return fuse_reply_attr(req, st, t);
}
static int r_buf(fuse_req_t req, const char *b, size_t n)
{
	return fuse_reply_buf(req, b, n);
}
static int r_readlink(fuse_req_t req, const char *l)
{
	return fuse_reply_readlink(req, l);
}
static int r_data(fuse_req_t req, int fd, off_t off, size_t size)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = fd;
	bv.buf[0].pos = off;
	return fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
}
static int r_open(fuse_req_t req, const struct fuse_file_info *fi)
{
	return fuse_reply_open(req, fi);
}
static int r_statfs(fuse_req_t req, const struct statvfs *st)
{
	return fuse_reply_statfs(req, st);
}
static int r_xattr(fuse_req_t req, size_t n)
{
	return fuse_reply_xattr(req, n);
}
static size_t r_add(fuse_req_t req, char *buf, size_t bs, const char *name, const struct stat *st,
		    off_t off)
{
	return fuse_add_direntry(req, buf, bs, name, st, off);
}
static size_t r_add_plus(fuse_req_t req, char *buf, size_t bs, const char *name,
			 const struct fuse_entry_param *e, off_t off)
{
	return fuse_add_direntry_plus(req, buf, bs, name, e, off);
}

const struct mnt_reply mnt_fuse_reply = {
    .err = r_err,
    .entry = r_entry,
    .attr = r_attr,
    .buf = r_buf,
    .data = r_data,
    .readlink = r_readlink,
    .open = r_open,
    .statfs = r_statfs,
    .xattr = r_xattr,
    .add_direntry = r_add,
    .add_direntry_plus = r_add_plus,
};

#define M(req) ((struct mnt *)fuse_req_userdata(req))

static void op_lookup(fuse_req_t req, fuse_ino_t p, const char *n)
{
	mnt_lookup(M(req), req, p, n);
}
static void op_getattr(fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi)
{
	(void)fi;
	mnt_getattr(M(req), req, i);
}
static void op_readlink(fuse_req_t req, fuse_ino_t i)
{
	mnt_readlink(M(req), req, i);
}
static void op_open(fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi)
{
	mnt_open(M(req), req, i, fi);
}
static void op_read(fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi)
{
	(void)fi;
	mnt_read(M(req), req, i, s, o);
}
static void op_opendir(fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi)
{
	mnt_opendir(M(req), req, i, fi);
}
static void op_readdir(fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi)
{
	(void)fi;
	mnt_readdir(M(req), req, i, s, o, false);
}
static void op_readdirplus(fuse_req_t req, fuse_ino_t i, size_t s, off_t o,
			   struct fuse_file_info *fi)
{
	(void)fi;
	mnt_readdir(M(req), req, i, s, o, true);
}
static void op_statfs(fuse_req_t req, fuse_ino_t i)
{
	(void)i;
	mnt_statfs(M(req), req);
}
static void op_getxattr(fuse_req_t req, fuse_ino_t i, const char *n, size_t s)
{
	mnt_getxattr(M(req), req, i, n, s);
}
static void op_listxattr(fuse_req_t req, fuse_ino_t i, size_t s)
{
	mnt_listxattr(M(req), req, i, s);
}
static void op_init(void *ud, struct fuse_conn_info *conn)
{
	const struct mnt *m = ud;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	conn->max_readahead = m->max_read;
	conn->max_read = m->max_read; /* must match the max_read mount option */
	/* libfuse derives the kernel's max_pages from max_write */
	conn->max_write = m->max_read;
	conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
	/* more readahead requests in flight than the default 12: the threads
	 * splice one while the kernel copies the previous one out (measured:
	 * a 1 GiB sequential read 0.39 s -> 0.33 s on 2 CPUs) */
	conn->max_background = 64;
	conn->congestion_threshold = 48;
}

const struct fuse_lowlevel_ops mnt_fuse_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .getattr = op_getattr,
    .readlink = op_readlink,
    .open = op_open,
    .read = op_read,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .statfs = op_statfs,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
};
