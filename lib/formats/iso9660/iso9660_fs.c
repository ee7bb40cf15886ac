/* SPDX-License-Identifier: MIT */
/*
 * The ISO 9660 filesystem driver: plain, Rock Ridge, Joliet and ISO 9660:1999
 * views over one session.
 *
 * An inode number is the byte offset of the entry's directory record in the
 * medium (the root's is its "." record): stable, unique, and enough to find
 * the entry again without an in-memory table.
 */
#include "formats/iso9660/iso9660_fs_internal.h"
#include "util/bytes.h"
#include "util/checked.h"
#include "util/utf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* ---- names ------------------------------------------------------------- */

static bool name_is_dot(const struct iso_rec *r)
{
	return r->name_len == 1 && (r->name[0] == 0 || r->name[0] == 1);
}

/* Removes ";version" and a trailing '.' (ECMA-119 7.5). */
static size_t strip_version(char *s, size_t n, bool strip_dot)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == ';') {
			n = i;
			break;
		}
	if (strip_dot && n > 1 && s[n - 1] == '.')
		n--;
	s[n] = 0;
	return n;
}

/* Flags a name that cannot be used as a path component and makes it
 * printable (NUL bytes become "\0"). */
static void check_name(struct iso_node *n, const char *raw, size_t len)
{
	size_t o = 0;
	bool bad = len == 0 || (len == 1 && raw[0] == '.') ||
		   (len == 2 && raw[0] == '.' && raw[1] == '.');
	for (size_t i = 0; i < len && o + 3 < sizeof(n->name); i++) {
		if (raw[i] == 0) {
			bad = true;
			n->name[o++] = '\\';
			n->name[o++] = '0';
			continue;
		}
		if (raw[i] == '/')
			bad = true;
		n->name[o++] = raw[i];
	}
	n->name[o] = 0;
	if (bad)
		n->badname = true;
}

static void decode_name(struct iso_fs *fs, const struct iso_rec *r, struct iso_node *n,
			const struct iso_rr *rr)
{
	char tmp[DIMG_MAX_NAME_BYTES + 1];
	size_t len;
	if (fs->use_rr && rr->has_nm) {
		if (rr->nm_bad || !rr->name) {
			n->badname = true;
			check_name(n, rr->name ? rr->name : "", rr->name ? rr->name_len : 0);
			return;
		}
		check_name(n, rr->name, rr->name_len);
		return;
	}
	if (fs->view == DIMG_VIEW_JOLIET) {
		len = utf16be_to_utf8(r->name, r->name_len, tmp, sizeof(tmp));
		len = strip_version(tmp, len, false);
	} else {
		len = r->name_len < DIMG_MAX_NAME_BYTES ? r->name_len : DIMG_MAX_NAME_BYTES;
		memcpy(tmp, r->name, len);
		tmp[len] = 0;
		/* ISO 9660:1999 names carry no version: ';' is an ordinary byte */
		if (fs->view != DIMG_VIEW_ISO1999)
			len = strip_version(tmp, len, true);
	}
	check_name(n, tmp, len);
}

/* ---- nodes ------------------------------------------------------------- */

/* Releases what a node owns and clears it for reuse (the name buffer is
 * only terminated: clearing 4 KiB per directory entry showed in profiles). */
static void node_reset(struct iso_node *n)
{
	if (n->ext != &n->ext1)
		free(n->ext);
	free(n->link);
	memset(n, 0, offsetof(struct iso_node, name));
	n->name[0] = 0;
}

static struct iso_node *node_new(void)
{
	struct iso_node *n = malloc(sizeof(*n));
	if (n) {
		memset(n, 0, offsetof(struct iso_node, name));
		n->name[0] = 0;
	}
	return n;
}

void iso_node_free(struct iso_node *n)
{
	if (!n)
		return;
	node_reset(n);
	free(n);
}

static int add_extent(struct iso_fs *fs, struct iso_node *n, const struct iso_rec *r,
		      uint64_t rec_off, struct dimg_error *err)
{
	struct iso_extent e;
	uint64_t off;
	if (n->next_count >= DIMG_MAX_EXTENTS)
		return dimg_err(err, DIMG_ELIMIT, (int64_t)rec_off, "more than %u extents",
				DIMG_MAX_EXTENTS);
	if (ck_add_u64(r->lba, r->xattr_len, &off) || ck_mul_u64(off, fs->bs, &off))
		return dimg_err(err, DIMG_EFORMAT, (int64_t)rec_off, "extent out of range");
	e.lba = r->lba;
	e.offset = off;
	e.size = r->size;
	e.unit = r->unit_size;
	e.gap = r->gap_size;
	if (n->next_count == 0) {
		n->ext = &n->ext1;
	} else if (n->ext == &n->ext1 || (n->next_count & (n->next_count - 1)) == 0) {
		/* grow to the next power of two */
		size_t cap = n->next_count * 2u;
		struct iso_extent *p = malloc(cap * sizeof(*p));
		if (!p)
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		memcpy(p, n->ext, n->next_count * sizeof(*p));
		if (n->ext != &n->ext1)
			free(n->ext);
		n->ext = p;
	}
	n->ext[n->next_count++] = e;
	if (ck_add_u64(n->st.size, r->size, &n->st.size))
		return dimg_err(err, DIMG_EFORMAT, (int64_t)rec_off, "file size overflows");
	if (r->unit_size || r->gap_size)
		n->st.flags |= DIMG_STAT_INTERLEAVED;
	return 0;
}

/* Fills n from the first (or only) record of an entry. */
static int node_from_record(struct iso_fs *fs, const struct iso_rec *r, uint64_t rec_off,
			    bool is_root_dot, struct iso_node *n, struct dimg_error *err)
{
	struct iso_rr rr;
	int rc;
	memset(&rr, 0, sizeof(rr));
	n->st.ino = rec_off;
	n->rec_flags = r->flags;
	if (fs->use_rr) {
		rc = iso_susp_collect(fs->img, fs->bs, r, is_root_dot ? 0 : fs->susp_skip, rec_off,
				      &rr, err);
		if (rc) {
			iso_rr_free(&rr);
			return rc;
		}
	}
	if (!is_root_dot)
		decode_name(fs, r, n, &rr);
	n->st.mtime = n->st.atime = n->st.ctime = iso_time7(r->date);
	if (r->flags & ISO_DRF_HIDDEN)
		n->st.flags |= DIMG_STAT_HIDDEN;
	if (r->flags & ISO_DRF_ASSOCIATED)
		n->st.flags |= DIMG_STAT_ASSOCIATED;
	if (r->flags & ISO_DRF_DIRECTORY) {
		n->st.type = DIMG_FT_DIR;
		n->st.mode = 0555;
		/* without Rock Ridge the count is unknown: 1 tells find(1) not
		 * to infer subdirectories from it (as the Linux kernel does) */
		n->st.nlink = 1;
	} else {
		n->st.type = DIMG_FT_FILE;
		n->st.mode = 0444;
		n->st.nlink = 1;
	}
	if (fs->use_rr) {
		if (rr.has_px) {
			uint32_t fmt = rr.mode & S_IFMT;
			n->st.mode = rr.mode & 07777;
			n->st.nlink = rr.nlink;
			n->st.uid = rr.uid;
			n->st.gid = rr.gid;
			if (!(r->flags & ISO_DRF_DIRECTORY)) {
				if (fmt == S_IFLNK)
					n->st.type = DIMG_FT_SYMLINK;
				else if (fmt == S_IFCHR)
					n->st.type = DIMG_FT_CHARDEV;
				else if (fmt == S_IFBLK)
					n->st.type = DIMG_FT_BLOCKDEV;
				else if (fmt == S_IFIFO)
					n->st.type = DIMG_FT_FIFO;
				else if (fmt == S_IFSOCK)
					n->st.type = DIMG_FT_SOCKET;
			}
		}
		if (rr.has_sl && !(r->flags & ISO_DRF_DIRECTORY) && !rr.has_cl) {
			n->st.type = DIMG_FT_SYMLINK;
			n->link = rr.link;
			rr.link = NULL;
		}
		if (n->st.type == DIMG_FT_SYMLINK && !n->link)
			n->link = strdup("");
		if (rr.has_tf) {
			if (rr.tf_mask & 0x02)
				n->st.mtime = rr.tf_modify;
			n->st.atime = (rr.tf_mask & 0x04) ? rr.tf_access : n->st.mtime;
			n->st.ctime = (rr.tf_mask & 0x08) ? rr.tf_attr : n->st.mtime;
			if (rr.tf_mask & 0x01) {
				n->st.btime = rr.tf_create;
				n->st.flags |= DIMG_STAT_HAS_BTIME;
			}
		}
		if (rr.has_pn) {
			/* mkisofs and genisoimage store major and minor in the
			 * high and low words; xorriso stores the C library's
			 * dev_t, whose high word is zero for every number below
			 * 4096:1048576.  The kernel decodes it the same way. */
			if (rr.pn_high) {
				n->st.rdev_major = rr.pn_high;
				n->st.rdev_minor = rr.pn_low;
			} else {
				n->st.rdev_major = major(rr.pn_low);
				n->st.rdev_minor = minor(rr.pn_low);
			}
		}
		if (rr.has_ino && rr.ino)
			n->st.link_id = rr.ino;
		n->relocated_away = rr.has_re;
		if (rr.has_cl) {
			n->cl = true;
			n->cl_lba = rr.cl_lba;
			n->st.type = DIMG_FT_DIR;
		}
		if (rr.has_zf && n->st.type == DIMG_FT_FILE &&
		    !(rr.zf_alg[0] == 'p' && rr.zf_alg[1] == 'z')) {
			/* zisofs2 ("PZ") and unknown algorithms: refuse to read
			 * rather than hand out compressed bytes */
			n->zf_unsupported[0] = (char)rr.zf_alg[0];
			n->zf_unsupported[1] = (char)rr.zf_alg[1];
		}
		if (rr.has_zf && rr.zf_alg[0] == 'p' && rr.zf_alg[1] == 'z' &&
		    n->st.type == DIMG_FT_FILE) {
			n->zf = true;
			n->zf_size = rr.zf_size;
			n->zf_log2 = rr.zf_log2;
			n->zf_hdr = (uint32_t)rr.zf_hdr_div4 * 4u;
		}
		if (rr.has_sf)
			n->sparse_rrip = true;
	}
	iso_rr_free(&rr);
	if (n->st.type == DIMG_FT_SYMLINK && !n->link)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	if (n->st.type == DIMG_FT_FILE || n->st.type == DIMG_FT_DIR)
		return add_extent(fs, n, r, rec_off, err);
	return 0;
}

/* After all extents are known: derived attributes. */
static void node_finish(struct iso_fs *fs, struct iso_node *n)
{
	(void)fs;
	n->st.extent_count = n->next_count;
	if (n->next_count > 1)
		n->st.flags |= DIMG_STAT_MULTIEXTENT;
	if (n->zf) {
		n->st.flags |= DIMG_STAT_ZISOFS;
		n->stored_size = n->st.size;
		n->st.size = n->zf_size;
	}
	if (n->st.type != DIMG_FT_FILE && n->st.type != DIMG_FT_DIR) {
		n->st.size = n->link ? strlen(n->link) : 0;
	}
	if (n->next_count)
		n->st.data_offset = n->ext[0].offset;
	/* Hard links without RRIP 1.12 serial numbers share one extent. */
	if (!n->st.link_id && n->st.type == DIMG_FT_FILE && n->st.nlink > 1 && n->next_count &&
	    n->ext[0].size > 0)
		n->st.link_id = (1ull << 63) | n->ext[0].offset;
}

/* Resolves a Rock Ridge relocated directory (CL): its real extent and the
 * attributes recorded in its "." entry. */
static int resolve_cl(struct iso_fs *fs, struct iso_node *n, struct dimg_error *err)
{
	uint8_t sec[ISO_SECTOR];
	struct iso_rec r;
	struct iso_node dot;
	uint64_t off;
	int rc;
	if (ck_mul_u64(n->cl_lba, fs->bs, &off) || off + ISO_SECTOR > fs->img->size)
		return dimg_err(err, DIMG_EFORMAT, (int64_t)n->st.ino,
				"Rock Ridge CL points outside the image (block %u)", n->cl_lba);
	rc = medium_read(fs->img, sec, ISO_SECTOR, off, err);
	if (rc)
		return rc;
	if (iso_rec_parse(sec, ISO_SECTOR, &r, NULL) || !name_is_dot(&r) ||
	    !(r.flags & ISO_DRF_DIRECTORY))
		return dimg_err(err, DIMG_EFORMAT, (int64_t)off,
				"Rock Ridge CL target is not a directory");
	memset(&dot, 0, sizeof(dot));
	rc = node_from_record(fs, &r, off, false, &dot, err);
	if (rc == 0) {
		n->st.mode = dot.st.mode;
		n->st.uid = dot.st.uid;
		n->st.gid = dot.st.gid;
		n->st.nlink = dot.st.nlink;
		n->st.mtime = dot.st.mtime;
		n->st.atime = dot.st.atime;
		n->st.ctime = dot.st.ctime;
		n->st.size = 0;
		n->next_count = 0;
		if (n->ext != &n->ext1)
			free(n->ext);
		n->ext = NULL;
		rc = add_extent(fs, n, &r, off, err);
		n->st.flags |= DIMG_STAT_RELOCATED;
	}
	if (dot.ext != &dot.ext1)
		free(dot.ext);
	free(dot.link);
	return rc;
}

/* Reads the record at ino (and the continuation records of a multi-extent
 * file) into a new node. */
static int node_load(struct iso_fs *fs, dimg_ino ino, struct iso_node **out,
		     struct dimg_error *err)
{
	uint8_t sec[ISO_SECTOR];
	uint64_t base = ino / ISO_SECTOR * ISO_SECTOR, pos = ino % ISO_SECTOR;
	struct iso_node *n;
	struct iso_rec r;
	bool is_root = ino == fs->root_ino;
	int rc;

	if (base + ISO_SECTOR > fs->img->size)
		return dimg_err(err, DIMG_ENOTFOUND, (int64_t)ino, "no such inode");
	rc = medium_read(fs->img, sec, ISO_SECTOR, base, err);
	if (rc)
		return rc;
	if (iso_rec_parse(sec + pos, ISO_SECTOR - pos, &r, NULL))
		return dimg_err(err, DIMG_EFORMAT, (int64_t)ino, "bad directory record");
	n = node_new();
	if (!n)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	rc = node_from_record(fs, &r, ino, is_root, n, err);
	/* Multi-extent: the following records of the same directory carry the
	 * remaining extents; the last one has the flag clear. */
	while (rc == 0 && (r.flags & ISO_DRF_MULTIEXTENT) && !(r.flags & ISO_DRF_DIRECTORY)) {
		pos += r.len;
		if (pos >= ISO_SECTOR || sec[pos] == 0) {
			base += ISO_SECTOR;
			pos = 0;
			if (base + ISO_SECTOR > fs->img->size) {
				rc = dimg_err(err, DIMG_EFORMAT, (int64_t)base,
					      "multi-extent file runs past the end of the image");
				break;
			}
			rc = medium_read(fs->img, sec, ISO_SECTOR, base, err);
			if (rc)
				break;
		}
		if (iso_rec_parse(sec + pos, ISO_SECTOR - pos, &r, NULL)) {
			rc = dimg_err(err, DIMG_EFORMAT, (int64_t)(base + pos),
				      "bad directory record in a multi-extent file");
			break;
		}
		rc = add_extent(fs, n, &r, base + pos, err);
	}
	if (rc == 0 && n->cl)
		rc = resolve_cl(fs, n, err);
	if (rc) {
		iso_node_free(n);
		return rc;
	}
	node_finish(fs, n);
	*out = n;
	return 0;
}

/* A small direct-mapped cache of loaded nodes; reads of one file call in
 * here once per chunk. */
static struct iso_node *cache_get(struct iso_fs *fs, dimg_ino ino)
{
	struct iso_node *n;
	pthread_mutex_lock(&fs->lock);
	n = fs->cache[ino % ISO_NODE_CACHE];
	if (n && n->st.ino == ino)
		n->refs++;
	else
		n = NULL;
	pthread_mutex_unlock(&fs->lock);
	return n;
}

void iso_node_put(struct iso_fs *fs, struct iso_node *n)
{
	bool dead;
	if (!n)
		return;
	pthread_mutex_lock(&fs->lock);
	dead = --n->refs == 0;
	pthread_mutex_unlock(&fs->lock);
	if (dead)
		iso_node_free(n);
}

/* Puts a node into the cache (which takes one reference). */
static void cache_put(struct iso_fs *fs, struct iso_node *n)
{
	struct iso_node *old;
	bool dead = false;
	pthread_mutex_lock(&fs->lock);
	old = fs->cache[n->st.ino % ISO_NODE_CACHE];
	fs->cache[n->st.ino % ISO_NODE_CACHE] = n;
	if (old)
		dead = --old->refs == 0;
	pthread_mutex_unlock(&fs->lock);
	if (dead)
		iso_node_free(old);
}

int iso_node_get(struct iso_fs *fs, dimg_ino ino, struct iso_node **out, struct dimg_error *err)
{
	struct iso_node *n = cache_get(fs, ino);
	int rc;
	if (n) {
		*out = n;
		return 0;
	}
	rc = node_load(fs, ino, &n, err);
	if (rc)
		return rc;
	n->refs = 2; /* the cache's and the caller's */
	cache_put(fs, n);
	*out = n;
	return 0;
}

/* ---- directories ------------------------------------------------------- */

/* Reads a whole directory extent.  Memory is proportional to the largest
 * directory, never to the image. */
static int dir_load(struct iso_fs *fs, const struct iso_node *dir, uint8_t **buf, size_t *len,
		    uint64_t *base, struct dimg_error *err)
{
	const struct iso_extent *e;
	size_t n;
	uint8_t *p;
	int rc;
	if (dir->st.type != DIMG_FT_DIR)
		return dimg_err(err, DIMG_ENOTDIR, (int64_t)dir->st.ino, "not a directory");
	if (!dir->next_count) {
		*buf = NULL;
		*len = 0;
		*base = 0;
		return 0;
	}
	e = &dir->ext[0];
	if (e->size > DIMG_MAX_DIR_BYTES)
		return dimg_err(err, DIMG_ELIMIT, (int64_t)dir->st.ino,
				"directory of %llu bytes exceeds the %u-byte limit",
				(unsigned long long)e->size, DIMG_MAX_DIR_BYTES);
	if (e->offset > fs->img->size || e->size > fs->img->size - e->offset)
		return dimg_err(err, DIMG_ERANGE, (int64_t)dir->st.ino,
				"directory extent (block %llu, %llu bytes) lies past the end of "
				"the image",
				(unsigned long long)e->lba, (unsigned long long)e->size);
	n = (size_t)e->size;
	p = malloc(n ? n : 1);
	if (!p)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	rc = medium_read(fs->img, p, n, e->offset, err);
	if (rc) {
		free(p);
		return rc;
	}
	*buf = p;
	*len = n;
	*base = e->offset;
	return 0;
}

struct iso_scan {
	int (*fn)(void *ctx, struct iso_node *n);
	void *ctx;
	bool all; /* include entries relocated away (RE) */
};

/* Calls fn for every entry (not "." and "..") of dir, multi-extent records
 * merged, associated files, relocated-away entries and a hidden rr_moved
 * skipped.  A non-zero return from fn (positive: a stop code) ends the scan
 * and is returned. */
static int dir_scan(struct iso_fs *fs, const struct iso_node *dir, const struct iso_scan *s,
		    struct dimg_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0, pos = 0;
	uint64_t base = 0;
	int rc = dir_load(fs, dir, &buf, &len, &base, err);
	struct iso_node *cur = NULL, *spare = NULL;
	bool root = dir->st.ino == fs->root_ino;
	if (rc)
		return rc;
	while (pos < len) {
		struct iso_rec r;
		uint64_t rec_off = base + pos;
		if (buf[pos] == 0) {
			/* records never cross a sector; zero fill to the next one */
			pos = (pos / ISO_SECTOR + 1) * ISO_SECTOR;
			continue;
		}
		size_t avail = ISO_SECTOR - (pos % ISO_SECTOR);
		if (avail > len - pos)
			avail = len - pos;
		bool mismatch = false;
		if (iso_rec_parse(buf + pos, avail, &r, &mismatch)) {
			rc = dimg_err(err, DIMG_EFORMAT, (int64_t)rec_off,
				      "bad directory record (length %u)", buf[pos]);
			break;
		}
		pos += r.len;
		if (mismatch) /* little-endian wins; counted for the caller */
			__atomic_add_fetch(&fs->endian_mismatches, 1, __ATOMIC_RELAXED);
		if (cur) { /* continuation of a multi-extent file */
			rc = add_extent(fs, cur, &r, rec_off, err);
			if (rc)
				break;
		} else {
			if (name_is_dot(&r))
				continue;
			cur = spare ? spare : node_new();
			spare = NULL;
			if (!cur) {
				rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
				break;
			}
			rc = node_from_record(fs, &r, rec_off, false, cur, err);
			if (rc)
				break;
		}
		if ((r.flags & ISO_DRF_MULTIEXTENT) && !(r.flags & ISO_DRF_DIRECTORY))
			continue;
		if (cur->cl) {
			rc = resolve_cl(fs, cur, err);
			if (rc)
				break;
		}
		node_finish(fs, cur);
		bool skip = (cur->st.flags & DIMG_STAT_ASSOCIATED) ||
			    (cur->relocated_away && !s->all) ||
			    (root && fs->use_rr && cur->st.type == DIMG_FT_DIR &&
			     iso_is_rr_moved(fs, cur));
		if (skip) {
			node_reset(cur);
			spare = cur;
			cur = NULL;
			continue;
		}
		if (cur->st.type == DIMG_FT_FILE && cur->st.size > 0) {
			/* Readers of a directory usually read its files next
			 * (extract, FUSE): cache the parsed node for them. */
			struct iso_node *n = cur;
			cur = NULL;
			n->refs = 2;
			cache_put(fs, n);
			rc = s->fn(s->ctx, n);
			iso_node_put(fs, n);
		} else {
			rc = s->fn(s->ctx, cur);
			node_reset(cur);
			spare = cur;
			cur = NULL;
		}
		if (rc)
			break; /* the callback's stop code is returned */
	}
	if (rc == 0 && cur)
		rc = dimg_err(err, DIMG_EFORMAT, (int64_t)(base + len),
			      "multi-extent file without its final extent");
	iso_node_free(cur);
	iso_node_free(spare);
	free(buf);
	return rc;
}

static int count_re(void *ctx, struct iso_node *n)
{
	int *c = ctx;
	c[n->relocated_away ? 0 : 1]++;
	return 0;
}

/* rr_moved holds directories relocated by deep-directory relocation; once
 * relocation is undone it is empty and is hidden (every entry carries RE). */
bool iso_is_rr_moved(struct iso_fs *fs, const struct iso_node *n)
{
	struct dimg_error tmp;
	int counts[2] = { 0, 0 }; /* relocated away, other */
	struct iso_scan s = { count_re, counts, true };
	if (strcmp(n->name, "rr_moved") && strcmp(n->name, ".rr_moved"))
		return false;
	if (fs->rr_moved_known)
		return fs->rr_moved_ino == n->st.ino;
	dimg_error_clear(&tmp);
	if (dir_scan(fs, n, &s, &tmp) != 0)
		return false;
	/* An empty rr_moved cannot come from relocation: keep user dirs. */
	bool hide = counts[0] > 0 && counts[1] == 0;
	fs->rr_moved_known = true;
	fs->rr_moved_ino = hide ? n->st.ino : 0;
	return hide;
}

struct readdir_ctx {
	dimg_readdir_fn fn;
	void *ctx;
};

static int readdir_cb(void *ctx, struct iso_node *n)
{
	struct readdir_ctx *c = ctx;
	struct dimg_dirent de;
	de.name = n->name;
	de.st = n->st;
	if (n->badname)
		de.st.flags |= DIMG_STAT_BADNAME;
	return c->fn(c->ctx, &de) ? 2 : 0;
}

static int iso_readdir(struct dimg_fs *dfs, void *state, dimg_ino dir, dimg_readdir_fn fn,
		       void *ctx, struct dimg_error *err)
{
	struct iso_fs *fs = state;
	struct iso_node *d;
	struct readdir_ctx c = { fn, ctx };
	struct iso_scan s = { readdir_cb, &c, false };
	int rc;
	(void)dfs;
	rc = iso_node_get(fs, dir, &d, err);
	if (rc)
		return rc;
	rc = dir_scan(fs, d, &s, err);
	iso_node_put(fs, d);
	return rc == 2 ? 0 : rc;
}

struct lookup_ctx {
	const char *name;
	struct dimg_stat st;
	bool found;
};

static int lookup_cb(void *ctx, struct iso_node *n)
{
	struct lookup_ctx *c = ctx;
	if (n->badname || strcmp(n->name, c->name))
		return 0;
	c->st = n->st;
	c->found = true;
	return 2; /* stop */
}

static int iso_lookup(struct dimg_fs *dfs, void *state, dimg_ino dir, const char *name,
		      struct dimg_stat *st, struct dimg_error *err)
{
	struct iso_fs *fs = state;
	struct iso_node *d;
	struct lookup_ctx c = { .name = name };
	struct iso_scan s = { lookup_cb, &c, false };
	int rc;
	(void)dfs;
	rc = iso_node_get(fs, dir, &d, err);
	if (rc)
		return rc;
	rc = dir_scan(fs, d, &s, err);
	iso_node_put(fs, d);
	if (rc == 2)
		rc = 0;
	if (rc == 0 && !c.found)
		rc = dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE, "%s: not found", name);
	if (rc == 0)
		*st = c.st;
	return rc;
}

static int noop_cb(void *ctx, struct iso_node *n)
{
	(void)ctx;
	(void)n;
	return 0;
}

static int iso_getattr(struct dimg_fs *dfs, void *state, dimg_ino ino, struct dimg_stat *st,
		       struct dimg_error *err)
{
	struct iso_fs *fs = state;
	struct iso_node *n;
	int rc = iso_node_get(fs, ino, &n, err);
	(void)dfs;
	if (rc)
		return rc;
	*st = n->st;
	if (ino == fs->root_ino && fs->use_rr && st->nlink > 2) {
		/* the recorded count includes rr_moved, which is hidden: scan
		 * the root once to know (the result is remembered) */
		if (!fs->rr_moved_known) {
			struct iso_scan s = { noop_cb, NULL, false };
			struct dimg_error tmp;
			dimg_error_clear(&tmp);
			dir_scan(fs, n, &s, &tmp);
			fs->rr_moved_known = true;
		}
		if (fs->rr_moved_ino)
			st->nlink--;
	}
	iso_node_put(fs, n);
	return 0;
}

static int iso_readlink(struct dimg_fs *dfs, void *state, dimg_ino ino, char *buf, size_t size,
			struct dimg_error *err)
{
	struct iso_fs *fs = state;
	struct iso_node *n;
	size_t len;
	int rc = iso_node_get(fs, ino, &n, err);
	(void)dfs;
	if (rc)
		return rc;
	if (n->st.type != DIMG_FT_SYMLINK) {
		iso_node_put(fs, n);
		return dimg_err(err, DIMG_EINVAL, (int64_t)ino, "not a symbolic link");
	}
	len = strlen(n->link);
	if (len >= size)
		len = size - 1;
	memcpy(buf, n->link, len);
	buf[len] = 0;
	iso_node_put(fs, n);
	return (int)len;
}

static int iso_extents(struct dimg_fs *dfs, void *state, dimg_ino ino, struct dimg_extent *ext,
		       size_t max, struct dimg_error *err)
{
	struct iso_fs *fs = state;
	struct iso_node *n;
	int rc = iso_node_get(fs, ino, &n, err);
	(void)dfs;
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n->next_count && i < max; i++) {
		ext[i].lba = n->ext[i].lba;
		ext[i].offset = n->ext[i].offset;
		ext[i].size = n->ext[i].size;
	}
	rc = (int)n->next_count;
	iso_node_put(fs, n);
	return rc;
}

/* ---- file data --------------------------------------------------------- */

/* Reads stored bytes [off, off+len) of the file's extents. */
int iso_read_stored(struct iso_fs *fs, const struct iso_node *n, uint64_t off, uint8_t *buf,
		    size_t len, struct dimg_error *err)
{
	uint64_t pos = 0;
	for (uint32_t i = 0; i < n->next_count && len > 0; i++) {
		const struct iso_extent *e = &n->ext[i];
		if (off >= pos + e->size) {
			pos += e->size;
			continue;
		}
		uint64_t in = off - pos;
		size_t chunk = (size_t)((e->size - in) < len ? (e->size - in) : len);
		int rc;
		if (e->unit) {
			/* Interleaved: units of `unit` blocks separated by `gap`
			 * blocks (ECMA-119 6.4.3). */
			uint64_t ub = (uint64_t)e->unit * fs->bs, stride =
				(uint64_t)(e->unit + e->gap) * fs->bs;
			size_t done = 0;
			while (done < chunk) {
				uint64_t l = in + done, within = l % ub;
				size_t piece = (size_t)(ub - within);
				if (piece > chunk - done)
					piece = chunk - done;
				rc = medium_read(fs->img, buf + done, piece,
						 e->offset + (l / ub) * stride + within, err);
				if (rc)
					return rc;
				done += piece;
			}
		} else {
			rc = medium_read(fs->img, buf, chunk, e->offset + in, err);
			if (rc)
				return rc;
		}
		buf += chunk;
		len -= chunk;
		off += chunk;
		pos += e->size;
	}
	if (len > 0)
		return dimg_err(err, DIMG_EFORMAT, DIMG_OFFSET_NONE, "file data shorter than its size");
	return 0;
}

static int64_t iso_read(struct dimg_fs *dfs, void *state, dimg_ino ino, uint64_t off, void *buf,
			size_t len, struct dimg_error *err)
{
	struct iso_fs *fs = state;
	struct iso_node *n;
	int rc = iso_node_get(fs, ino, &n, err);
	(void)dfs;
	if (rc)
		return rc;
	if (n->st.type == DIMG_FT_DIR) {
		iso_node_put(fs, n);
		return dimg_err(err, DIMG_EISDIR, (int64_t)ino, "is a directory");
	}
	if (n->st.type != DIMG_FT_FILE || off >= n->st.size) {
		iso_node_put(fs, n);
		return 0;
	}
	if (len > n->st.size - off)
		len = (size_t)(n->st.size - off);
	if (n->zf_unsupported[0])
		rc = dimg_err(err, DIMG_EUNSUPPORTED, (int64_t)ino,
			      "compressed with zisofs algorithm '%c%c' (zisofs2), not supported",
			      n->zf_unsupported[0] >= 0x20 ? n->zf_unsupported[0] : '?',
			      n->zf_unsupported[1] >= 0x20 ? n->zf_unsupported[1] : '?');
	else if (n->zf)
		rc = iso_zisofs_read(fs, n, off, buf, len, err);
	else if (n->sparse_rrip)
		rc = dimg_err(err, DIMG_EUNSUPPORTED, (int64_t)ino,
			      "Rock Ridge sparse file (SF) data is not supported");
	else
		rc = iso_read_stored(fs, n, off, buf, len, err);
	iso_node_put(fs, n);
	return rc ? rc : (int64_t)len;
}

/* ---- open / close ------------------------------------------------------ */

int iso9660_probe_medium(struct dimg_image *img)
{
	uint8_t sec[8];
	struct dimg_error tmp;
	dimg_error_clear(&tmp);
	uint64_t off = (img->fs_base + ISO_VD_START_LBA) * ISO_SECTOR;
	if (img->size < off + ISO_SECTOR)
		return 0;
	if (medium_read(img, sec, sizeof(sec), off, &tmp))
		return 0;
	return memcmp(sec + 1, "CD001", 5) == 0 ? 90 : 0;
}

static int iso_probe(struct dimg_image *img) { return iso9660_probe_medium(img); }

/* Root "." record of a descriptor, as the view's starting point. */
static int setup_view(struct iso_fs *fs, const uint8_t *vd, enum dimg_view view,
		      struct dimg_error *err)
{
	const uint8_t *rr = vd + ISO_PVD_ROOT_RECORD;
	struct iso_rec r;
	uint16_t bs = ld_le16(vd + ISO_PVD_BLOCK_SIZE);
	uint64_t off;
	bool mismatch = false;
	fs->view = view;
	if (bs != ld_be16(vd + ISO_PVD_BLOCK_SIZE + 2))
		iso_warn(&fs->vol, "logical block size: little- and big-endian values differ at "
				   "byte offset %llu",
			 (unsigned long long)(fs->vd_lba * ISO_SECTOR + ISO_PVD_BLOCK_SIZE));
	if (bs != 512 && bs != 1024 && bs != 2048) {
		iso_warn(&fs->vol, "logical block size %u is invalid; assuming 2048", bs);
		bs = 2048;
	}
	fs->bs = bs;
	/* Some writers record a root record longer than the 34 bytes the
	 * descriptor reserves; it still starts with the fields we need. */
	if (iso_rec_parse(rr, ISO_SECTOR - ISO_PVD_ROOT_RECORD, &r, &mismatch) ||
	    !(r.flags & ISO_DRF_DIRECTORY))
		return dimg_err(err, DIMG_EFORMAT,
				(int64_t)(fs->vd_lba * ISO_SECTOR + ISO_PVD_ROOT_RECORD),
				"bad root directory record");
	if (ck_mul_u64(r.lba, bs, &off) || off + ISO_SECTOR > fs->img->size)
		return dimg_err(err, DIMG_ERANGE,
				(int64_t)(fs->vd_lba * ISO_SECTOR + ISO_PVD_ROOT_RECORD + 2),
				"root directory (block %u) lies past the end of the image", r.lba);
	if (mismatch)
		iso_warn(&fs->vol, "root directory record: little- and big-endian values differ at "
				   "byte offset %llu; using little-endian",
			 (unsigned long long)(fs->vd_lba * ISO_SECTOR + ISO_PVD_ROOT_RECORD));
	fs->root_ino = off; /* its "." record comes first */
	return 0;
}

/* Rock Ridge is in use when the root "." record carries SUSP with RR
 * entries (SP tells how many bytes to skip in every other record). */
static int detect_rr(struct iso_fs *fs, struct dimg_error *err)
{
	uint8_t sec[ISO_SECTOR];
	struct iso_rec r;
	struct iso_rr rr;
	int rc = medium_read(fs->img, sec, ISO_SECTOR, fs->root_ino, err);
	if (rc)
		return rc;
	if (iso_rec_parse(sec, ISO_SECTOR, &r, NULL))
		return dimg_err(err, DIMG_EFORMAT, (int64_t)fs->root_ino,
				"bad root directory \".\" record");
	memset(&rr, 0, sizeof(rr));
	struct dimg_error tmp;
	dimg_error_clear(&tmp);
	iso_susp_collect(fs->img, fs->bs, &r, 0, fs->root_ino, &rr, &tmp);
	fs->has_rr = rr.has_er_rrip || rr.has_px || rr.has_nm || rr.has_tf;
	fs->susp_skip = rr.has_sp ? rr.sp_skip : 0;
	fs->rr_er_1991a = rr.has_er_rrip;
	iso_rr_free(&rr);
	return 0;
}

int iso_fs_init(struct iso_fs *fs, struct dimg_image *img, const struct dimg_fs_options *opt,
		struct dimg_error *err)
{
	const struct iso_session *s;
	enum dimg_view v = opt ? opt->view : DIMG_VIEW_AUTO;
	int rc;
	fs->img = img;
	pthread_mutex_init(&fs->lock, NULL);
	fs->lock_init = true;
	rc = iso_volume_load(img, &fs->vol, err);
	if (rc)
		return rc;
	if (opt && opt->session) {
		if (opt->session < 1 || opt->session > fs->vol.nsessions)
			return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
					"no session %d (the image has %d)", opt->session,
					fs->vol.nsessions);
		fs->session = opt->session - 1;
	} else {
		fs->session = fs->vol.nsessions - 1;
	}
	s = &fs->vol.sessions[fs->session];
	fs->vd_lba = s->vd_lba;
	/* Rock Ridge lives in the primary tree; find out whether it is there. */
	rc = setup_view(fs, s->pvd, DIMG_VIEW_PLAIN, err);
	if (rc == 0)
		rc = detect_rr(fs, err);
	if (rc && (v == DIMG_VIEW_PLAIN || v == DIMG_VIEW_ROCKRIDGE || !s->has_joliet))
		return rc;
	if (rc) {
		/* A broken primary tree: fall back to Joliet in auto mode. */
		dimg_error_clear(err);
		fs->has_rr = false;
	}
	/* Rock Ridge > Joliet > ISO 9660:1999 > plain: each later one keeps
	 * less of the original names and attributes. */
	if (v == DIMG_VIEW_AUTO)
		v = fs->has_rr		? DIMG_VIEW_ROCKRIDGE
		    : s->has_joliet	? DIMG_VIEW_JOLIET
		    : s->has_iso1999	? DIMG_VIEW_ISO1999
					: DIMG_VIEW_PLAIN;
	switch (v) {
	case DIMG_VIEW_ROCKRIDGE:
		if (!fs->has_rr)
			return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
					"the image has no Rock Ridge extensions");
		fs->use_rr = true;
		fs->view = DIMG_VIEW_ROCKRIDGE;
		return 0;
	case DIMG_VIEW_PLAIN:
		fs->view = DIMG_VIEW_PLAIN;
		return 0;
	case DIMG_VIEW_JOLIET:
		if (!s->has_joliet)
			return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
					"the image has no Joliet tree");
		return setup_view(fs, s->joliet, DIMG_VIEW_JOLIET, err);
	case DIMG_VIEW_ISO1999:
		if (!s->has_iso1999)
			return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
					"the image has no ISO 9660:1999 tree");
		return setup_view(fs, s->iso1999, DIMG_VIEW_ISO1999, err);
	default:
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "bad view");
	}
}

void iso_fs_fini(struct iso_fs *fs)
{
	for (int i = 0; i < ISO_NODE_CACHE; i++)
		iso_node_free(fs->cache[i]);
	free(fs->zcache);
	iso_volume_free(&fs->vol);
	if (fs->lock_init)
		pthread_mutex_destroy(&fs->lock);
}

static int iso_open(struct dimg_fs *dfs, void *state, const struct dimg_fs_options *opt,
		    struct dimg_error *err)
{
	struct iso_fs *fs = state;
	int rc = iso_fs_init(fs, dfs->img, opt, err);
	if (rc)
		return rc;
	dfs->view = fs->view;
	dfs->root = fs->root_ino;
	return 0;
}

static void iso_close(struct dimg_fs *dfs, void *state)
{
	(void)dfs;
	iso_fs_fini(state);
}

static uint64_t iso_anomalies(struct dimg_fs *dfs, void *state)
{
	struct iso_fs *fs = state;
	(void)dfs;
	return __atomic_load_n(&fs->endian_mismatches, __ATOMIC_RELAXED);
}

const struct dimg_fs_driver iso9660_fs_driver = {
	.info = {
		.name = "iso9660",
		.aliases = "iso,rockridge,joliet",
		.summary = "ISO 9660 with Rock Ridge, Joliet, ISO 9660:1999, zisofs, El Torito",
		.extensions = "iso",
		.kind = DIMG_DRIVER_FILESYSTEM,
		.flags = DIMG_DRIVER_READ,
	},
	.state_size = sizeof(struct iso_fs),
	.probe = iso_probe,
	.open = iso_open,
	.close = iso_close,
	.getattr = iso_getattr,
	.lookup = iso_lookup,
	.readdir = iso_readdir,
	.read = iso_read,
	.readlink = iso_readlink,
	.extents = iso_extents,
	.anomalies = iso_anomalies,
	.report = iso9660_report,
	.boot_entries = iso9660_boot_entries,
};
