/* SPDX-License-Identifier: MIT */
/*
 * ISO 9660 builder, planning half: names per tree (ISO 9660 level 1-3,
 * Joliet, ISO 9660:1999) with deterministic collision handling, Rock Ridge
 * System Use entries and their continuation areas, directory and path table
 * sizes, and the block of everything.  Nothing is written here.
 */
#include "formats/iso9660/iso9660_build.h"
#include "util/bytes.h"
#include "util/timeconv.h"
#include "util/utf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define EXTENT_MAX 0xFFFFF800ull /* largest extent: 4 GiB minus one block */
#define CE_ENTRY 28

/* ---- public builder API ------------------------------------------------- */

static char *dupopt(struct dimg_builder *b, int slot, const char *s)
{
	if (!s)
		return NULL;
	b->strs[slot] = strdup(s);
	return b->strs[slot];
}

int dimg_builder_new(struct dimg_builder **out, const struct dimg_create_options *o,
		     struct dimg_error *err)
{
	static const struct dimg_create_options defaults = DIMG_CREATE_OPTIONS_INIT;
	struct dimg_builder *b = calloc(1, sizeof(*b));
	int rc;
	*out = NULL;
	if (!b)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	b->o = o ? *o : defaults;
	if (b->o.iso_level == 4) {
		b->o.iso_level = 3;
		b->o.iso1999 = 1;
	}
	if (b->o.iso_level < 1 || b->o.iso_level > 3) {
		free(b);
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "ISO level %d is not 1-4",
				o->iso_level);
	}
	b->o.volume_id = dupopt(b, 0, b->o.volume_id);
	b->o.system_id = dupopt(b, 1, b->o.system_id);
	b->o.publisher = dupopt(b, 2, b->o.publisher);
	b->o.preparer = dupopt(b, 3, b->o.preparer);
	b->o.application = dupopt(b, 4, b->o.application);
	b->o.volume_set = dupopt(b, 5, b->o.volume_set);
	b->o.boot_catalog = dupopt(b, 6, b->o.boot_catalog);
	b->o.mbr_template = dupopt(b, 7, b->o.mbr_template);
	rc = tree_init(&b->tree, err);
	if (rc) {
		dimg_builder_free(b);
		return rc;
	}
	b->tree.follow_links = b->o.follow_links;
	b->now = b->o.source_date_epoch >= 0 ? b->o.source_date_epoch : (int64_t)time(NULL);
	if (b->o.source_date_epoch < -2)
		b->o.source_date_epoch = -1;
	*out = b;
	return 0;
}

static void su_free(struct su *s)
{
	free(s->in);
	free(s->ce);
	free(s->chunk_len);
	free(s->chunk_pos);
	memset(s, 0, sizeof(*s));
}

static void free_bn(struct tree_node *t)
{
	struct bn *n = t->priv;
	for (size_t i = 0; i < t->nkids; i++)
		free_bn(t->kids[i]);
	if (!n)
		return;
	for (int k = 0; k < NTREES; k++) {
		free(n->name[k]);
		free(n->kids[k]);
	}
	su_free(&n->su_rec);
	su_free(&n->su_dot);
	su_free(&n->su_dotdot);
	free(n);
	t->priv = NULL;
}

void dimg_builder_free(struct dimg_builder *b)
{
	if (!b)
		return;
	if (b->tree.root)
		free_bn(b->tree.root);
	for (size_t i = 0; i < b->nextra; i++) {
		struct tree_node *t = b->extra[i]->t;
		t->priv = b->extra[i];
		t->nkids = 0;
		free_bn(t);
		free(t->name);
		free(t->kids);
		free(t);
	}
	free(b->extra);
	for (int k = 0; k < NTREES; k++)
		free(b->dirs[k]);
	free(b->files);
	for (int i = 0; i < b->nparts; i++)
		free(b->parts[i].path);
	tree_free(&b->tree);
	for (size_t i = 0; i < sizeof(b->strs) / sizeof(b->strs[0]); i++)
		free(b->strs[i]);
	free(b);
}

int dimg_builder_add(struct dimg_builder *b, const char *target, const char *source,
		     struct dimg_error *err)
{
	if (b->planned)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "already planned");
	return tree_add(&b->tree, target && *target ? target : "/", source, err);
}

int dimg_builder_pattern(struct dimg_builder *b, const char *glob, int what,
			 struct dimg_error *err)
{
	unsigned w = 0;
	if (what & DIMG_HIDE_ISO)
		w |= TREE_HIDE_PRIMARY;
	if (what & DIMG_HIDE_JOLIET)
		w |= TREE_HIDE_JOLIET;
	if (w == (TREE_HIDE_PRIMARY | TREE_HIDE_JOLIET)) {
		int rc = tree_add_pattern(&b->tree, glob, TREE_HIDE_PRIMARY, err);
		return rc ? rc : tree_add_pattern(&b->tree, glob, TREE_HIDE_JOLIET, err);
	}
	return tree_add_pattern(&b->tree, glob, w, err);
}

int dimg_builder_weight(struct dimg_builder *b, const char *path, int weight,
			struct dimg_error *err)
{
	if (tree_set_weight(&b->tree, path, weight) != 0 &&
	    tree_set_weight_src(&b->tree, path, weight) != 0)
		return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
				"sort weight for %s: no such file in the image", path);
	return 0;
}

int dimg_builder_boot(struct dimg_builder *b, const struct dimg_boot_spec *spec,
		      struct dimg_error *err)
{
	struct boot_entry *e;
	if (b->nboot >= BOOT_MAX)
		return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "more than %d boot entries",
				BOOT_MAX);
	if (!spec->image_path || !*spec->image_path)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "boot entry without an image");
	if (spec->emulation < -1 || spec->emulation > 4)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE, "bad emulation %d",
				spec->emulation);
	e = &b->boot[b->nboot++];
	memset(e, 0, sizeof(*e));
	e->spec = *spec;
	snprintf(e->path, sizeof(e->path), "%s", spec->image_path);
	e->spec.image_path = e->path;
	return 0;
}

int dimg_builder_append_partition(struct dimg_builder *b, int number, int mbr_type,
				  const char *path, struct dimg_error *err)
{
	struct stat st;
	if (b->nparts >= 4 || number < 1 || number > 4)
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
				"appended partition number must be 1-4");
	if (stat(path, &st) != 0)
		return dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "%s: cannot read", path);
	b->parts[b->nparts].number = number;
	b->parts[b->nparts].mbr_type = mbr_type;
	b->parts[b->nparts].path = strdup(path);
	b->parts[b->nparts].size = (uint64_t)st.st_size;
	if (!b->parts[b->nparts].path)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	b->nparts++;
	return 0;
}

/* ---- attributes --------------------------------------------------------- */

static int64_t clamp(const struct dimg_builder *b, int64_t t)
{
	return (b->o.source_date_epoch >= 0 && t > b->o.source_date_epoch) ? b->o.source_date_epoch
									     : t;
}

static void set_attrs(struct dimg_builder *b, struct bn *n)
{
	struct tree_node *t = n->t;
	n->mode = t->mode;
	n->uid = t->uid;
	n->gid = t->gid;
	n->mtime = clamp(b, t->mtime);
	/* Reproducible images record one stamp: access and change times vary
	 * between runs on the same tree. */
	if (b->o.source_date_epoch >= 0) {
		n->atime = n->ctime = n->mtime;
	} else {
		n->atime = t->atime;
		n->ctime = t->ctime;
	}
	if (b->o.rationalize) {
		/* mkisofs -r: owners 0, readable by all, executable by all where
		 * anyone may, no write bits, no set-id bits on files */
		n->uid = n->gid = 0;
		n->mode |= 0444;
		if (t->type == DIMG_FT_DIR || (n->mode & 0111))
			n->mode |= 0111;
		n->mode &= ~0222u;
		if (t->type != DIMG_FT_DIR)
			n->mode &= ~06000u;
	}
	if (b->o.uid >= 0)
		n->uid = (uint32_t)b->o.uid;
	if (b->o.gid >= 0)
		n->gid = (uint32_t)b->o.gid;
	if (t->type == DIMG_FT_DIR && b->o.dir_mode >= 0)
		n->mode = (uint32_t)b->o.dir_mode;
	if (t->type == DIMG_FT_FILE && b->o.file_mode >= 0)
		n->mode = (uint32_t)b->o.file_mode;
}

/* ---- names -------------------------------------------------------------- */

static bool dchar(int c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

/* ISO 9660 identifier for a name: d-characters (or relaxed), level limits,
 * ";1" for files unless omitted. */
static size_t iso_name(const struct dimg_builder *b, const char *src, bool dir, char *out)
{
	char base[256], ext[256];
	size_t bl = 0, el = 0, maxb, maxe, o = 0;
	const char *dot = dir ? NULL : strrchr(src, '.');
	if (dot == src)
		dot = NULL; /* ".profile" has no extension */
	for (const char *p = src; *p && (!dot || p < dot) && bl < 250; p++) {
		int c = (unsigned char)*p;
		if (b->o.relaxed_names)
			base[bl++] = (c == '/' || c == ';' || c < 0x20 || c >= 0x7F) ? '_' : (char)c;
		else
			base[bl++] = dchar(toupper(c)) ? (char)toupper(c) : '_';
	}
	if (dot)
		for (const char *p = dot + 1; *p && el < 250; p++) {
			int c = (unsigned char)*p;
			if (b->o.relaxed_names)
				ext[el++] = (c == '/' || c == ';' || c < 0x20 || c >= 0x7F)
						    ? '_'
						    : (char)c;
			else
				ext[el++] = dchar(toupper(c)) ? (char)toupper(c) : '_';
		}
	if (b->o.relaxed_names) {
		/* -U (with -l): up to 31 characters at any level */
		maxb = 31;
		maxe = dir ? 0 : 30;
	} else if (b->o.iso_level == 1) {
		maxb = 8;
		maxe = dir ? 0 : 3;
	} else {
		maxb = dir ? 31 : 30;
		maxe = dir ? 0 : 30;
	}
	if (!dir) {
		/* levels 2 and 3: name + '.' + extension <= 30 */
		size_t total = b->o.relaxed_names ? 31 : b->o.iso_level == 1 ? 12 : 30;
		if (el > maxe)
			el = maxe;
		if (bl + 1 + el > total) {
			if (el > total / 2 && bl + 1 + el > total)
				el = total / 2 < el ? total / 2 : el;
			if (bl + 1 + el > total)
				bl = total - 1 - el;
		}
	}
	if (bl > maxb)
		bl = maxb;
	if (bl == 0 && el == 0)
		base[bl++] = '_';
	memcpy(out, base, bl);
	o = bl;
	if (!dir) {
		/* -d (implied by -U): no period for names without extension */
		if (el || !b->o.relaxed_names)
			out[o++] = '.';
		memcpy(out + o, ext, el);
		o += el;
		if (!b->o.omit_version) {
			out[o++] = ';';
			out[o++] = '1';
		}
	}
	return o;
}

/* Joliet: UCS-2/UTF-16BE, 64 (or 103) units, no * / : ; ? \ */
static size_t joliet_name(const struct dimg_builder *b, const char *src, bool dir, uint8_t *out)
{
	size_t max = b->o.joliet_long ? 103 : 64, units = 0, o = 0;
	const unsigned char *p = (const unsigned char *)src;
	while (*p) {
		uint32_t cp;
		int n = 1;
		if (b->o.input_latin1)
			cp = *p; /* ISO 8859-1 maps 1:1 onto U+0000..U+00FF */
		else if (*p < 0x80)
			cp = *p;
		else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80)
			cp = ((uint32_t)(*p & 0x1F) << 6) | (p[1] & 0x3F), n = 2;
		else if ((*p & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80)
			cp = ((uint32_t)(*p & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) |
			     (p[2] & 0x3F),
			n = 3;
		else if ((*p & 0xF8) == 0xF0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
			 (p[3] & 0xC0) == 0x80)
			cp = ((uint32_t)(*p & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
			     ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F),
			n = 4;
		else
			cp = '_'; /* not UTF-8: one byte as '_' */
		p += n;
		if (cp == '*' || cp == '/' || cp == ':' || cp == ';' || cp == '?' || cp == '\\' ||
		    cp < 0x20)
			cp = '_';
		if (cp >= 0x10000 && b->o.joliet_ucs2)
			cp = '_';
		if (cp >= 0x10000) {
			if (units + 2 > max)
				break;
			uint32_t v = cp - 0x10000;
			uint16_t hi = (uint16_t)(0xD800 + (v >> 10)), lo = (uint16_t)(0xDC00 + (v & 0x3FF));
			out[o++] = (uint8_t)(hi >> 8);
			out[o++] = (uint8_t)hi;
			out[o++] = (uint8_t)(lo >> 8);
			out[o++] = (uint8_t)lo;
			units += 2;
		} else {
			if (units + 1 > max)
				break;
			out[o++] = (uint8_t)(cp >> 8);
			out[o++] = (uint8_t)cp;
			units++;
		}
	}
	/* no ";1": Joliet readers (Windows, 7-Zip) expect none, and neither
	 * xorriso nor genisoimage write one */
	(void)dir;
	return o;
}

/* ISO 9660:1999: the name itself, up to 207 bytes, no version. */
static size_t x99_name(const char *src, uint8_t *out)
{
	size_t n = strlen(src);
	if (n > 207)
		n = 207;
	memcpy(out, src, n);
	return n;
}

/* ECMA-119 9.3 ordering: name part, then extension, each padded with
 * spaces (or zeros for UCS-2), then version.  Works for all three trees. */
static int rec_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, int unit)
{
	size_t ai = 0, bi = 0;
	/* compare byte by byte, treating ';' ends and '.' separators specially
	 * through padding: sufficient because names only differ after mapping */
	for (;;) {
		int ca = ai < al ? a[ai] : -1, cb = bi < bl ? b[bi] : -1;
		bool ea = ca < 0 || (unit == 1 && (ca == '.' || ca == ';'));
		bool eb = cb < 0 || (unit == 1 && (cb == '.' || cb == ';'));
		if (ea && eb)
			break;
		if (ea)
			return ' ' < cb ? -1 : 1;
		if (eb)
			return ca < ' ' ? -1 : 1;
		if (ca != cb)
			return ca < cb ? -1 : 1;
		ai++;
		bi++;
	}
	if (al != bl || memcmp(a, b, al))
		return al < bl ? -1 : al > bl ? 1 : memcmp(a, b, al);
	return 0;
}

static int cur_tree;
static int kid_cmp(const void *x, const void *y)
{
	const struct bn *a = *(struct bn *const *)x, *b = *(struct bn *const *)y;
	return rec_cmp(a->name[cur_tree], a->name_len[cur_tree], b->name[cur_tree],
		       b->name_len[cur_tree], cur_tree == T_PRI ? 1 : 2);
}

static int name_collisions(struct bn **kids, uint32_t n, int tree, char mark);

static int make_names(struct dimg_builder *b, struct bn *dir, struct dimg_error *err)
{
	struct tree_node *t = dir->t;
	for (int k = 0; k < NTREES; k++) {
		if (!b->trees[k])
			continue;
		dir->kids[k] = calloc(t->nkids ? t->nkids : 1, sizeof(struct bn *));
		if (!dir->kids[k])
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		dir->nkids[k] = 0;
		for (size_t i = 0; i < t->nkids; i++) {
			struct bn *c = t->kids[i]->priv;
			uint8_t buf[512];
			size_t len;
			bool isdir = c->t->type == DIMG_FT_DIR;
			if (k == T_PRI && (c->t->hide & TREE_HIDE_PRIMARY))
				continue;
			if (k == T_JOL && (c->t->hide & TREE_HIDE_JOLIET))
				continue;
			if (k != T_PRI && c->t->type != DIMG_FT_DIR && c->t->type != DIMG_FT_FILE)
				continue; /* no symlinks or devices without Rock Ridge */
			if (k == T_PRI && !b->o.rock_ridge && c->t->type != DIMG_FT_DIR &&
			    c->t->type != DIMG_FT_FILE)
				continue;
			if (k == T_PRI)
				len = iso_name(b, c->t->name, isdir, (char *)buf);
			else if (k == T_JOL)
				len = joliet_name(b, c->t->name, isdir, buf);
			else
				len = x99_name(c->t->name, buf);
			c->name[k] = malloc(len ? len : 1);
			if (!c->name[k])
				return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			memcpy(c->name[k], buf, len);
			c->name_len[k] = (uint8_t)len;
			dir->kids[k][dir->nkids[k]++] = c;
		}
		/* '~' is no d-character: strict ISO names number with '_' */
		char mark = (k == T_PRI && !b->o.relaxed_names) ? '_' : '~';
		if (name_collisions(dir->kids[k], dir->nkids[k], k, mark) != 0) {
			char path[4096];
			tree_path(t, path, sizeof(path));
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"%s: too many names collide after translation", path);
		}
		cur_tree = k;
		qsort(dir->kids[k], dir->nkids[k], sizeof(struct bn *), kid_cmp);
	}
	for (size_t i = 0; i < t->nkids; i++)
		if (t->kids[i]->type == DIMG_FT_DIR) {
			int rc = make_names(b, t->kids[i]->priv, err);
			if (rc)
				return rc;
		}
	return 0;
}

/* Names that translate to the same identifier get "~N" before their
 * extension (or at the end), in the order of the source names, so the
 * result is the same on every run. */
static int name_collisions(struct bn **kids, uint32_t n, int tree, char mark)
{
	int unit = tree == T_JOL ? 2 : 1;
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < i; j++) {
			if (kids[i]->name_len[tree] != kids[j]->name_len[tree] ||
			    memcmp(kids[i]->name[tree], kids[j]->name[tree], kids[i]->name_len[tree]))
				continue;
			/* rename kids[i] */
			for (int attempt = 1; attempt < 100000; attempt++) {
				uint8_t *nm = kids[i]->name[tree];
				size_t len = kids[i]->name_len[tree], cut = len;
				char suf[16];
				int sl = snprintf(suf, sizeof(suf), "%c%d", mark, attempt);
				/* the tail that stays: extension and version */
				for (size_t p = 0; p + unit <= len; p += (size_t)unit) {
					uint8_t c = nm[p + unit - 1];
					bool hi0 = unit == 1 || nm[p] == 0;
					if (hi0 && (c == '.' || c == ';')) {
						cut = p;
						break;
					}
				}
				size_t tail = len - cut;
				size_t keep = cut >= (size_t)sl * unit ? cut - (size_t)sl * unit : 0;
				uint8_t *nn = malloc(keep + (size_t)sl * unit + tail + 1);
				if (!nn)
					return -1;
				memcpy(nn, nm, keep);
				for (int s = 0; s < sl; s++) {
					if (unit == 2)
						nn[keep + 2 * s] = 0;
					nn[keep + (size_t)unit * s + unit - 1] = (uint8_t)suf[s];
				}
				memcpy(nn + keep + (size_t)sl * unit, nm + cut, tail);
				size_t nl = keep + (size_t)sl * unit + tail;
				bool clash = false;
				for (uint32_t q = 0; q < n && !clash; q++)
					clash = q != i && kids[q]->name_len[tree] == nl &&
						!memcmp(kids[q]->name[tree], nn, nl);
				if (!clash) {
					free(kids[i]->name[tree]);
					kids[i]->name[tree] = nn;
					kids[i]->name_len[tree] = (uint8_t)nl;
					break;
				}
				free(nn);
			}
			break;
		}
	}
	return 0;
}

/* ---- Rock Ridge System Use entries ------------------------------------- */

struct ents {
	uint8_t buf[8192];
	size_t len;
	uint16_t off[128]; /* entry start offsets */
	int n;
};

static void both32(uint8_t *p, uint32_t v)
{
	st_le32(p, v);
	st_be32(p + 4, v);
}

static uint8_t *ent_add(struct ents *e, const char *sig, size_t dlen)
{
	uint8_t *p;
	if (e->n >= 128 || e->len + 4 + dlen > sizeof(e->buf))
		return NULL;
	p = e->buf + e->len;
	p[0] = (uint8_t)sig[0];
	p[1] = (uint8_t)sig[1];
	p[2] = (uint8_t)(4 + dlen);
	p[3] = 1;
	e->off[e->n++] = (uint16_t)e->len;
	e->len += 4 + dlen;
	return p + 4;
}

static void put_stamp7(uint8_t *p, int64_t t)
{
	int64_t y;
	int m, d, hh, mm, ss;
	tc_to_civil(t, &y, &m, &d, &hh, &mm, &ss);
	if (y < 1900)
		y = 1900, m = 1, d = 1, hh = mm = ss = 0;
	if (y > 2155)
		y = 2155;
	p[0] = (uint8_t)(y - 1900);
	p[1] = (uint8_t)m;
	p[2] = (uint8_t)d;
	p[3] = (uint8_t)hh;
	p[4] = (uint8_t)mm;
	p[5] = (uint8_t)ss;
	p[6] = 0;
}

static uint32_t posix_mode(const struct tree_node *t, uint32_t perm)
{
	switch (t->type) {
	case DIMG_FT_DIR: return S_IFDIR | perm;
	case DIMG_FT_SYMLINK: return S_IFLNK | perm;
	case DIMG_FT_CHARDEV: return S_IFCHR | perm;
	case DIMG_FT_BLOCKDEV: return S_IFBLK | perm;
	case DIMG_FT_FIFO: return S_IFIFO | perm;
	case DIMG_FT_SOCKET: return S_IFSOCK | perm;
	default: return S_IFREG | perm;
	}
}

static void add_px_tf(const struct dimg_builder *b, struct ents *e, const struct bn *n)
{
	uint8_t *d = ent_add(e, "PX", b->o.rr_110 ? 32 : 40);
	uint32_t nlink = n->t->type == DIMG_FT_DIR ? 2 : n->t->nlink ? n->t->nlink : 1;
	if (n->t->type == DIMG_FT_DIR) {
		nlink = 2;
		for (size_t i = 0; i < n->t->nkids; i++)
			nlink += n->t->kids[i]->type == DIMG_FT_DIR;
	}
	if (!d)
		return;
	both32(d, posix_mode(n->t, n->mode));
	both32(d + 8, nlink);
	both32(d + 16, n->uid);
	both32(d + 24, n->gid);
	if (!b->o.rr_110)
		both32(d + 32, n->t->serial);
	d = ent_add(e, "TF", 1 + 3 * 7);
	if (!d)
		return;
	d[0] = 0x0E; /* modify, access, attributes */
	put_stamp7(d + 1, n->mtime);
	put_stamp7(d + 8, n->atime);
	put_stamp7(d + 15, n->ctime);
}

static void add_nm(struct ents *e, const char *name)
{
	size_t len = strlen(name), pos = 0;
	do {
		size_t chunk = len - pos > 250 ? 250 : len - pos;
		uint8_t *d = ent_add(e, "NM", 1 + chunk);
		if (!d)
			return;
		d[0] = pos + chunk < len ? 0x01 : 0;
		memcpy(d + 1, name + pos, chunk);
		pos += chunk;
	} while (pos < len);
}

/* SL: components, split over entries of at most 255 bytes. */
static void add_sl(struct ents *e, const char *target)
{
	uint8_t comp[8192];
	size_t cl = 0;
	const char *p = target;
	/* encode all components first: (flags, len, bytes)... long ones split */
	if (*p == '/') {
		comp[cl++] = 0x08;
		comp[cl++] = 0;
		while (*p == '/')
			p++;
	}
	while (*p || (p > target && p[-1] == '/' && cl == 0)) {
		size_t n = strcspn(p, "/");
		if (n == 1 && p[0] == '.') {
			comp[cl++] = 0x02;
			comp[cl++] = 0;
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			comp[cl++] = 0x04;
			comp[cl++] = 0;
		} else {
			size_t off = 0;
			do {
				size_t c = n - off > 248 ? 248 : n - off;
				if (cl + 2 + c > sizeof(comp))
					return;
				comp[cl++] = off + c < n ? 0x01 : 0;
				comp[cl++] = (uint8_t)c;
				memcpy(comp + cl, p + off, c);
				cl += c;
				off += c;
			} while (off < n);
		}
		p += n;
		if (*p == '/') {
			p++;
			if (!*p) { /* trailing slash: an empty last component */
				comp[cl++] = 0;
				comp[cl++] = 0;
			}
		}
		if (cl > sizeof(comp) - 260)
			return;
	}
	/* Pack component records into SL entries (<= 250 bytes of data).  At
	 * a boundary between two whole components the last one gets CONTINUE
	 * and the next entry starts with an empty component: readers that
	 * carry the separator across entries (Linux) and readers that do not
	 * (libarchive) then agree. */
	size_t pos = 0;
	bool lead_empty = false;
	while (pos < cl || pos == 0) {
		uint8_t data[256];
		size_t dl = 1, last = 0;
		if (lead_empty) {
			data[dl++] = 0;
			data[dl++] = 0;
		}
		while (pos < cl) {
			size_t r = 2u + comp[pos + 1];
			if (dl + r > 250 - 2) /* room for a possible split marker */
				break;
			last = dl;
			memcpy(data + dl, comp + pos, r);
			dl += r;
			pos += r;
		}
		lead_empty = false;
		if (pos < cl) {
			data[0] = 0x01; /* more SL entries follow */
			if (last && !(data[last] & 0x01) && !(data[last] & 0x0E)) {
				data[last] |= 0x01;
				lead_empty = true;
			}
		} else {
			data[0] = 0;
		}
		uint8_t *d = ent_add(e, "SL", dl);
		if (!d)
			return;
		memcpy(d, data, dl);
		if (pos >= cl)
			break;
	}
}

static void add_er(const struct dimg_builder *b, struct ents *e)
{
	const char *id = b->o.rr_110 ? "RRIP_1991A" : "IEEE_1282";
	const char *des = b->o.rr_110 ? "THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR "
					"POSIX FILE SYSTEM SEMANTICS"
				      : "THE IEEE 1282 PROTOCOL PROVIDES SUPPORT FOR POSIX FILE "
					"SYSTEM SEMANTICS";
	const char *src = "PLEASE CONTACT THE IEEE STANDARDS DEPARTMENT, PISCATAWAY, NJ, USA "
			  "FOR THE 1282 SPECIFICATION";
	size_t il = strlen(id), dl = strlen(des), sl = strlen(src);
	uint8_t *d = ent_add(e, "ER", 4 + il + dl + sl);
	if (!d)
		return;
	d[0] = (uint8_t)il;
	d[1] = (uint8_t)dl;
	d[2] = (uint8_t)sl;
	d[3] = 1;
	memcpy(d + 4, id, il);
	memcpy(d + 4 + il, des, dl);
	memcpy(d + 4 + il + dl, src, sl);
}

/* Packs entries into the record (cap bytes) and continuation chunks. */
static int su_pack(struct su *s, const struct ents *e, size_t cap)
{
	int i = 0, first_ce;
	size_t used = 0;
	memset(s, 0, sizeof(*s));
	if (e->len <= cap) {
		s->in = malloc(e->len ? e->len : 1);
		if (!s->in)
			return -1;
		memcpy(s->in, e->buf, e->len);
		s->in_len = (uint16_t)e->len;
		return 0;
	}
	for (; i < e->n; i++) {
		size_t l = e->buf[e->off[i] + 2];
		if (used + l + CE_ENTRY > cap)
			break;
		used += l;
	}
	first_ce = i;
	s->in = malloc(used + CE_ENTRY);
	s->ce = malloc(e->len + (size_t)(e->n + 1) * CE_ENTRY);
	s->chunk_len = calloc((size_t)e->n + 1, sizeof(uint32_t));
	s->chunk_pos = calloc((size_t)e->n + 1, sizeof(uint64_t));
	if (!s->in || !s->ce || !s->chunk_len || !s->chunk_pos)
		return -1;
	memcpy(s->in, e->buf, used);
	memset(s->in + used, 0, CE_ENTRY);
	s->in[used] = 'C';
	s->in[used + 1] = 'E';
	s->in[used + 2] = CE_ENTRY;
	s->in[used + 3] = 1;
	s->in_len = (uint16_t)(used + CE_ENTRY);
	/* chunks */
	i = first_ce;
	while (i < e->n) {
		size_t rest = e->len - e->off[i], clen = 0;
		int j = i;
		bool last = rest <= ISO_SECTOR;
		for (; j < e->n; j++) {
			size_t l = e->buf[e->off[j] + 2];
			if (clen + l + (last ? 0 : CE_ENTRY) > ISO_SECTOR)
				break;
			clen += l;
		}
		memcpy(s->ce + s->ce_len, e->buf + e->off[i], clen);
		s->ce_len += (uint32_t)clen;
		if (j < e->n) {
			uint8_t *c = s->ce + s->ce_len;
			memset(c, 0, CE_ENTRY);
			c[0] = 'C';
			c[1] = 'E';
			c[2] = CE_ENTRY;
			c[3] = 1;
			s->ce_len += CE_ENTRY;
			clen += CE_ENTRY;
		}
		s->chunk_len[s->nchunks++] = (uint32_t)clen;
		if (j == i)
			return -1; /* an entry larger than a block cannot happen */
		i = j;
	}
	return 0;
}

static size_t rec_base_len(size_t name_len)
{
	return ISO_DR_NAME + name_len + ((name_len & 1) ? 0 : 1);
}

static int build_su(struct dimg_builder *b, struct bn *n, struct dimg_error *err)
{
	struct ents e;
	struct tree_node *t = n->t;
	if (!b->o.rock_ridge)
		return 0;
	/* the record in the parent */
	if (n != b->root) {
		e.len = 0;
		e.n = 0;
		if (n->placeholder) {
			/* CL first: its block is patched in when emitting */
			ent_add(&e, "CL", 8);
			memset(e.buf + 4, 0, 8);
			add_px_tf(b, &e, n->moved);
			add_nm(&e, t->name);
			size_t cap = 254 - rec_base_len(n->name_len[T_PRI]);
			if (su_pack(&n->su_rec, &e, cap & ~(size_t)1))
				return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			return 0;
		}
		/* RE on rr_moved itself too (as mkisofs does): readers that
		 * undo relocation then hide the directory as well */
		if (n->relocated || n == b->rr_moved)
			ent_add(&e, "RE", 0);
		add_px_tf(b, &e, n);
		add_nm(&e, t->name);
		if (t->type == DIMG_FT_SYMLINK)
			add_sl(&e, t->link ? t->link : "");
		if (t->type == DIMG_FT_CHARDEV || t->type == DIMG_FT_BLOCKDEV) {
			uint8_t *d = ent_add(&e, "PN", 16);
			if (d) {
				dev_t dev = makedev((unsigned)t->rdev_major, (unsigned)t->rdev_minor);
				both32(d, (uint32_t)((uint64_t)dev >> 32));
				both32(d + 8, (uint32_t)dev);
			}
		}
		size_t cap = 254 - rec_base_len(n->name_len[T_PRI]);
		if (su_pack(&n->su_rec, &e, cap & ~(size_t)1))
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	if (t->type == DIMG_FT_DIR) {
		e.len = 0;
		e.n = 0;
		if (n == b->root) {
			uint8_t *d = ent_add(&e, "SP", 3);
			if (d) {
				d[0] = 0xBE;
				d[1] = 0xEF;
				d[2] = 0;
			}
		}
		add_px_tf(b, &e, n);
		/* NM with the CURRENT flag: libcdio names "." from it */
		uint8_t *nm = ent_add(&e, "NM", 1);
		if (nm)
			nm[0] = 0x02;
		if (n == b->root)
			add_er(b, &e);
		if (su_pack(&n->su_dot, &e, (254 - rec_base_len(1)) & ~(size_t)1))
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		e.len = 0;
		e.n = 0;
		if (n->relocated) {
			/* PL first: the original parent's block is patched in */
			ent_add(&e, "PL", 8);
			memset(e.buf + 4, 0, 8);
			add_px_tf(b, &e, n->reloc_parent);
		} else {
			add_px_tf(b, &e, n->t->parent ? n->t->parent->priv : n);
		}
		nm = ent_add(&e, "NM", 1);
		if (nm)
			nm[0] = 0x04; /* PARENT */
		if (su_pack(&n->su_dotdot, &e, (254 - rec_base_len(1)) & ~(size_t)1))
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	return 0;
}

/* ---- records ------------------------------------------------------------ */

static void put_rec_date(uint8_t *p, int64_t t) { put_stamp7(p, t); }

size_t iso_build_record(const struct dimg_builder *b, uint8_t *p, int tree, const struct bn *n,
			int kind, uint64_t extent, uint64_t size, uint8_t flags)
{
	const uint8_t *name;
	uint8_t dotname = kind == 2 ? 1 : 0;
	size_t nl = kind ? 1 : n->name_len[tree];
	const struct su *su = NULL;
	size_t len;
	name = kind ? &dotname : n->name[tree];
	if (tree == T_PRI && b->o.rock_ridge)
		su = kind == 0 ? &n->su_rec : kind == 1 ? &n->su_dot : &n->su_dotdot;
	len = rec_base_len(nl) + (su ? su->in_len : 0);
	if (len & 1)
		len++;
	if (!p)
		return len;
	memset(p, 0, len);
	p[ISO_DR_LEN] = (uint8_t)len;
	both32(p + ISO_DR_EXTENT, (uint32_t)extent);
	both32(p + ISO_DR_SIZE, (uint32_t)size);
	put_rec_date(p + ISO_DR_DATE, n->mtime);
	p[ISO_DR_FLAGS] = flags;
	p[ISO_DR_VOLSEQ] = 1;
	p[ISO_DR_VOLSEQ + 3] = 1;
	p[ISO_DR_NAME_LEN] = (uint8_t)nl;
	memcpy(p + ISO_DR_NAME, name, nl);
	if (su && su->in_len)
		memcpy(p + rec_base_len(nl), su->in, su->in_len);
	return len;
}

/* Number of records (extents) of an entry in a directory listing. */
static uint32_t nrecords(const struct bn *c)
{
	uint64_t size = c->t->type == DIMG_FT_FILE ? c->t->size : 0;
	if (c->is_catalog || size <= EXTENT_MAX)
		return 1;
	return (uint32_t)((size + EXTENT_MAX - 1) / EXTENT_MAX);
}

static uint32_t dir_size(const struct dimg_builder *b, const struct bn *d, int tree)
{
	uint64_t pos = 0;
#define ADD(l)                                                                                     \
	do {                                                                                       \
		size_t l_ = (l);                                                                   \
		if (pos % ISO_SECTOR + l_ > ISO_SECTOR)                                            \
			pos = (pos / ISO_SECTOR + 1) * ISO_SECTOR;                                  \
		pos += l_;                                                                         \
	} while (0)
	ADD(iso_build_record(b, NULL, tree, d, 1, 0, 0, 0));
	ADD(iso_build_record(b, NULL, tree, d, 2, 0, 0, 0));
	for (uint32_t i = 0; i < d->nkids[tree]; i++) {
		const struct bn *c = d->kids[tree][i];
		uint32_t r = nrecords(c);
		size_t l = iso_build_record(b, NULL, tree, c, 0, 0, 0, 0);
		for (uint32_t k = 0; k < r; k++)
			ADD(l);
	}
#undef ADD
	return (uint32_t)((pos + ISO_SECTOR - 1) / ISO_SECTOR * ISO_SECTOR);
}

/* ---- planning ----------------------------------------------------------- */

static int attach(struct dimg_builder *b, struct tree_node *t, struct dimg_error *err)
{
	struct bn *n = calloc(1, sizeof(*n));
	if (!n)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	n->t = t;
	n->boot_index = -1;
	t->priv = n;
	set_attrs(b, n);
	for (size_t i = 0; i < t->nkids; i++) {
		int rc = attach(b, t->kids[i], err);
		if (rc)
			return rc;
	}
	return 0;
}

static int add_catalog(struct dimg_builder *b, struct dimg_error *err)
{
	const char *path = b->o.boot_catalog ? b->o.boot_catalog : "boot.catalog";
	char parent[1024];
	const char *slash;
	struct tree_node *dir, *t;
	while (*path == '/')
		path++;
	slash = strrchr(path, '/');
	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - path) : 0, path);
	dir = tree_lookup(&b->tree, parent);
	if (!dir || dir->type != DIMG_FT_DIR)
		return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
				"boot catalog %s: no directory %s in the image", path, parent);
	if (tree_lookup(&b->tree, path))
		return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
				"boot catalog %s: a file of that name exists", path);
	t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strdup(slash ? slash + 1 : path))) {
		free(t);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	t->parent = dir;
	t->type = DIMG_FT_FILE;
	t->mode = 0444;
	t->nlink = 1;
	t->mtime = t->atime = t->ctime = b->now;
	t->size = ISO_SECTOR;
	t->serial = b->tree.next_serial++;
	t->depth = dir->depth + 1;
	if (b->o.hide_boot_catalog)
		t->hide = TREE_HIDE_PRIMARY | TREE_HIDE_JOLIET;
	struct tree_node **k = realloc(dir->kids, (dir->nkids + 1) * sizeof(*k));
	if (!k) {
		free(t->name);
		free(t);
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	dir->kids = k;
	dir->kids[dir->nkids++] = t;
	dir->capkids = dir->nkids;
	b->tree.nodes++;
	b->catalog = (void *)t; /* fixed up after attach */
	return 0;
}

/* ---- Rock Ridge deep-directory relocation -------------------------------- */

static struct bn *extra_node(struct dimg_builder *b, const char *name, enum dimg_ftype type,
			     const struct bn *like)
{
	struct tree_node *t = calloc(1, sizeof(*t));
	struct bn *n = calloc(1, sizeof(*n));
	struct bn **x = realloc(b->extra, (b->nextra + 1) * sizeof(*x));
	if (x)
		b->extra = x;
	if (!t || !n || !x || !(t->name = strdup(name))) {
		free(t);
		free(n);
		return NULL;
	}
	b->extra[b->nextra++] = n;
	t->type = type;
	t->mode = like->mode;
	t->uid = like->uid;
	t->gid = like->gid;
	t->nlink = 2;
	t->mtime = like->mtime;
	t->parent = b->root->t;
	/* placeholders stand for their directory; rr_moved is new */
	t->serial = type == DIMG_FT_DIR ? b->tree.next_serial++ : like->t->serial;
	n->t = t;
	n->boot_index = -1;
	n->mode = like->mode;
	n->uid = like->uid;
	n->gid = like->gid;
	n->mtime = like->mtime;
	n->atime = like->atime;
	n->ctime = like->ctime;
	t->priv = n;
	return n;
}

struct moved_list {
	struct bn **v;
	size_t n, cap;
};

/* ISO 9660 allows 8 directory levels (root = 1): deeper directories move
 * to /rr_moved, leaving a CL placeholder; RE and PL let readers undo it. */
static int relocate_walk(struct dimg_builder *b, struct bn *d, int level, struct moved_list *m,
			 struct dimg_error *err)
{
	for (uint32_t i = 0; i < d->nkids[T_PRI]; i++) {
		struct bn *c = d->kids[T_PRI][i];
		if (c->t->type != DIMG_FT_DIR)
			continue;
		if (level + 1 > 8) {
			struct bn *ph = extra_node(b, c->t->name, DIMG_FT_FILE, c);
			if (!ph || !(ph->name[T_PRI] = malloc(c->name_len[T_PRI] ? c->name_len[T_PRI] : 1)))
				return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			memcpy(ph->name[T_PRI], c->name[T_PRI], c->name_len[T_PRI]);
			ph->name_len[T_PRI] = c->name_len[T_PRI];
			ph->placeholder = true;
			ph->moved = c;
			d->kids[T_PRI][i] = ph;
			c->relocated = true;
			c->reloc_parent = d;
			if (m->n == m->cap) {
				size_t cap = m->cap ? m->cap * 2 : 16;
				struct bn **v = realloc(m->v, cap * sizeof(*v));
				if (!v)
					return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE,
							"out of memory");
				m->v = v;
				m->cap = cap;
			}
			m->v[m->n++] = c;
		} else {
			int rc = relocate_walk(b, c, level + 1, m, err);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int relocate(struct dimg_builder *b, struct dimg_error *err)
{
	struct moved_list m = { 0 };
	int rc = relocate_walk(b, b->root, 1, &m, err);
	/* moved directories sit at level 3 (root, rr_moved, them): their own
	 * deep descendants move too */
	for (size_t i = 0; rc == 0 && i < m.n; i++)
		rc = relocate_walk(b, m.v[i], 3, &m, err);
	if (rc || m.n == 0) {
		free(m.v);
		return rc;
	}
	struct bn *mv = extra_node(b, "rr_moved", DIMG_FT_DIR, b->root);
	struct bn **rk = realloc(b->root->kids[T_PRI], (b->root->nkids[T_PRI] + 1) * sizeof(*rk));
	if (!mv || !rk || !(mv->name[T_PRI] = (uint8_t *)strdup("RR_MOVED"))) {
		free(m.v);
		if (rk)
			b->root->kids[T_PRI] = rk;
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	}
	mv->name_len[T_PRI] = 8;
	b->root->kids[T_PRI] = rk;
	mv->kids[T_PRI] = m.v;
	mv->nkids[T_PRI] = (uint32_t)m.n;
	mv->t->nlink = 2;
	b->rr_moved = mv;
	char mark = b->o.relaxed_names ? '~' : '_';
	if (name_collisions(mv->kids[T_PRI], mv->nkids[T_PRI], T_PRI, mark) != 0)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	cur_tree = T_PRI;
	qsort(mv->kids[T_PRI], mv->nkids[T_PRI], sizeof(struct bn *), kid_cmp);
	/* rr_moved itself must not clash with a user entry */
	rk[b->root->nkids[T_PRI]++] = mv;
	if (name_collisions(rk, b->root->nkids[T_PRI], T_PRI, mark) != 0)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	qsort(rk, b->root->nkids[T_PRI], sizeof(struct bn *), kid_cmp);
	return 0;
}

static int list_dirs(struct dimg_builder *b, int tree, struct dimg_error *err)
{
	size_t cap = b->tree.dirs + 1, head = 0, n = 0;
	struct bn **q = calloc(cap, sizeof(*q));
	if (!q)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	q[n++] = b->root;
	b->root->ptnum[tree] = 1;
	b->root->ptparent[tree] = 1;
	while (head < n) {
		struct bn *d = q[head++];
		for (uint32_t i = 0; i < d->nkids[tree]; i++) {
			struct bn *c = d->kids[tree][i];
			if (c->t->type != DIMG_FT_DIR)
				continue;
			if (n >= cap)
				break;
			if (n >= 65535) {
				free(q);
				return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE,
						"more than 65535 directories (path table limit)");
			}
			c->ptnum[tree] = (uint16_t)(n + 1);
			c->ptparent[tree] = d->ptnum[tree];
			q[n++] = c;
		}
	}
	b->dirs[tree] = q;
	b->ndirs[tree] = (uint32_t)n;
	return 0;
}

static int data_cmp(const void *x, const void *y)
{
	const struct bn *a = *(struct bn *const *)x, *b = *(struct bn *const *)y;
	if (a->t->weight != b->t->weight)
		return a->t->weight > b->t->weight ? -1 : 1;
	return 0; /* qsort is not stable: callers pre-number */
}

struct order {
	struct bn *n;
	size_t seq;
};

static int order_cmp(const void *x, const void *y)
{
	const struct order *a = x, *b = y;
	int c = data_cmp(&a->n, &b->n);
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void collect_files(struct dimg_builder *b, struct bn *d, struct order *o, size_t *n)
{
	struct tree_node *t = d->t;
	for (size_t i = 0; i < t->nkids; i++) {
		struct bn *c = t->kids[i]->priv;
		if (c->t->type == DIMG_FT_FILE && !c->t->hardlink) {
			o[*n].n = c;
			o[*n].seq = *n;
			(*n)++;
		}
	}
	for (size_t i = 0; i < t->nkids; i++)
		if (t->kids[i]->type == DIMG_FT_DIR)
			collect_files(b, t->kids[i]->priv, o, n);
}

static int sort_tree_kids(struct tree_node *t)
{
	/* source order: by name, so data order and serials are stable */
	for (size_t i = 1; i < t->nkids; i++) {
		struct tree_node *x = t->kids[i];
		size_t j = i;
		while (j > 0 && strcmp(t->kids[j - 1]->name, x->name) > 0) {
			t->kids[j] = t->kids[j - 1];
			j--;
		}
		t->kids[j] = x;
	}
	for (size_t i = 0; i < t->nkids; i++)
		if (t->kids[i]->type == DIMG_FT_DIR)
			sort_tree_kids(t->kids[i]);
	return 0;
}

static int resolve_boot(struct dimg_builder *b, struct dimg_error *err)
{
	for (int i = 0; i < b->nboot; i++) {
		struct boot_entry *e = &b->boot[i];
		struct tree_node *t = tree_lookup(&b->tree, e->path);
		if (!t || t->type != DIMG_FT_FILE)
			return dimg_err(err, DIMG_ENOTFOUND, DIMG_OFFSET_NONE,
					"boot image %s: no such file in the image", e->path);
		if (t->hardlink)
			t = t->hardlink;
		e->file = t->priv;
		e->file->boot_index = i;
		if (e->spec.emulation == -1) {
			/* mkisofs -b without -no-emul-boot: a floppy image */
			e->spec.emulation = t->size == 1228800   ? 1
					    : t->size == 1474560 ? 2
					    : t->size == 2949120 ? 3
								 : -1;
			if (e->spec.emulation < 0)
				return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
						"boot image %s: %llu bytes is no floppy size (use "
						"-no-emul-boot or -hard-disk-boot)",
						e->path, (unsigned long long)t->size);
		}
		if (e->spec.emulation >= 1 && e->spec.emulation <= 3) {
			static const uint64_t sz[] = { 0, 1228800, 1474560, 2949120 };
			if (t->size != sz[e->spec.emulation])
				return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
						"boot image %s: %llu bytes is not a %s floppy", e->path,
						(unsigned long long)t->size,
						e->spec.emulation == 1 ? "1.2 MB"
						: e->spec.emulation == 2 ? "1.44 MB" : "2.88 MB");
			e->load_size = 1;
		} else if (e->spec.emulation == 4) {
			/* hard disk: one partition in the image's MBR */
			uint8_t mbr[512];
			int fd = open(t->src, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || pread(fd, mbr, 512, 0) != 512 || mbr[510] != 0x55 ||
			    mbr[511] != 0xAA) {
				if (fd >= 0)
					close(fd);
				return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
						"hard disk boot image %s has no MBR", e->path);
			}
			close(fd);
			for (int p = 0; p < 4; p++)
				if (mbr[446 + 16 * p + 4]) {
					e->system_type = mbr[446 + 16 * p + 4];
					break;
				}
			e->load_size = 1;
		} else if (e->spec.load_size) {
			e->load_size = e->spec.load_size;
		} else {
			uint64_t s = (t->size + 511) / 512;
			e->load_size = s > 65535 ? 65535 : (s ? (uint32_t)s : 1);
		}
		if (e->spec.info_table && t->size < 64)
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"boot image %s is too small for a boot info table", e->path);
	}
	return 0;
}

static int plan_ce(struct dimg_builder *b, struct su *s, uint64_t *block, uint32_t *off)
{
	for (uint16_t c = 0; c < s->nchunks; c++) {
		uint32_t l = s->chunk_len[c];
		if (*off + l > ISO_SECTOR) {
			(*block)++;
			*off = 0;
		}
		s->chunk_pos[c] = *block * ISO_SECTOR + *off;
		*off += l;
	}
	(void)b;
	return 0;
}

static uint64_t blocks_of(uint64_t bytes) { return (bytes + ISO_SECTOR - 1) / ISO_SECTOR; }

int iso_build_plan(struct dimg_builder *b, struct dimg_error *err)
{
	uint64_t lba;
	int rc;
	if (b->planned)
		return 0;
	if (b->o.source_date_epoch == -2) {
		/* --reproducible without SOURCE_DATE_EPOCH: the newest mtime */
		b->o.source_date_epoch = tree_newest_mtime(&b->tree);
		b->now = b->o.source_date_epoch;
	}
	b->trees[T_PRI] = true;
	b->trees[T_JOL] = b->o.joliet != 0;
	b->trees[T_X99] = b->o.iso1999 != 0;
	tree_apply_hide(&b->tree);
	sort_tree_kids(b->tree.root);
	if (b->nboot) {
		rc = add_catalog(b, err);
		if (rc)
			return rc;
	}
	rc = attach(b, b->tree.root, err);
	if (rc)
		return rc;
	b->root = b->tree.root->priv;
	if (b->catalog) {
		struct tree_node *ct = (struct tree_node *)b->catalog;
		b->catalog = ct->priv;
		b->catalog->is_catalog = true;
	}
	rc = resolve_boot(b, err);
	if (rc)
		return rc;
	rc = make_names(b, b->root, err);
	if (rc)
		return rc;
	if (b->o.rock_ridge && !b->o.no_relocation && (rc = relocate(b, err)) != 0)
		return rc;
	for (int k = 0; k < NTREES; k++)
		if (b->trees[k] && (rc = list_dirs(b, k, err)) != 0)
			return rc;

	/* Rock Ridge entries for every node of the primary tree */
	for (uint32_t i = 0; i < b->ndirs[T_PRI]; i++) {
		struct bn *d = b->dirs[T_PRI][i];
		if ((rc = build_su(b, d, err)) != 0)
			return rc;
		for (uint32_t k = 0; k < d->nkids[T_PRI]; k++) {
			struct bn *c = d->kids[T_PRI][k];
			if (c->t->type != DIMG_FT_DIR && (rc = build_su(b, c, err)) != 0)
				return rc;
		}
	}

	/* descriptors */
	lba = ISO_VD_START_LBA + 1; /* PVD at 16 */
	b->br_lba = b->nboot ? (uint32_t)lba++ : 0;
	b->svd_lba = b->trees[T_JOL] ? (uint32_t)lba++ : 0;
	b->evd_lba = b->trees[T_X99] ? (uint32_t)lba++ : 0;
	b->term_lba = (uint32_t)lba++;
	if (b->nboot) {
		b->catalog_lba = (uint32_t)lba;
		b->catalog_blocks = 1;
		lba += 1;
	}
	/* path tables */
	for (int k = 0; k < NTREES; k++) {
		if (!b->trees[k])
			continue;
		uint32_t size = 0;
		for (uint32_t i = 0; i < b->ndirs[k]; i++) {
			const struct bn *d = b->dirs[k][i];
			size_t nl = d == b->root ? 1 : d->name_len[k];
			size += (uint32_t)(8 + nl + (nl & 1));
		}
		b->pt_size[k] = size;
		b->pt_l_lba[k] = (uint32_t)lba;
		lba += blocks_of(size);
		b->pt_m_lba[k] = (uint32_t)lba;
		lba += blocks_of(size);
	}
	/* directories of the primary tree, then the continuation areas */
	for (uint32_t i = 0; i < b->ndirs[T_PRI]; i++) {
		struct bn *d = b->dirs[T_PRI][i];
		d->dir_size[T_PRI] = dir_size(b, d, T_PRI);
		d->dir_lba[T_PRI] = (uint32_t)lba;
		lba += d->dir_size[T_PRI] / ISO_SECTOR;
	}
	{
		uint64_t blk = 0;
		uint32_t off = 0;
		for (uint32_t i = 0; i < b->ndirs[T_PRI]; i++) {
			struct bn *d = b->dirs[T_PRI][i];
			plan_ce(b, &d->su_dot, &blk, &off);
			plan_ce(b, &d->su_dotdot, &blk, &off);
			for (uint32_t k = 0; k < d->nkids[T_PRI]; k++)
				plan_ce(b, &d->kids[T_PRI][k]->su_rec, &blk, &off);
		}
		b->ce_lba = lba;
		b->ce_blocks = off ? blk + 1 : blk;
		lba += b->ce_blocks;
	}
	for (int k = T_JOL; k < NTREES; k++) {
		if (!b->trees[k])
			continue;
		for (uint32_t i = 0; i < b->ndirs[k]; i++) {
			struct bn *d = b->dirs[k][i];
			d->dir_size[k] = dir_size(b, d, k);
			d->dir_lba[k] = (uint32_t)lba;
			lba += d->dir_size[k] / ISO_SECTOR;
		}
	}
	/* file data: by sort weight, then in tree order */
	{
		struct order *o = calloc(b->tree.nodes + 1, sizeof(*o));
		size_t n = 0;
		if (!o)
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		collect_files(b, b->root, o, &n);
		qsort(o, n, sizeof(*o), order_cmp);
		b->files = calloc(n + 1, sizeof(*b->files));
		if (!b->files) {
			free(o);
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		}
		b->data_lba = lba;
		for (size_t i = 0; i < n; i++) {
			struct bn *f = o[i].n;
			b->files[b->nfiles++] = f;
			if (f->is_catalog) {
				f->lba = b->catalog_lba;
				continue;
			}
			if (f->t->size == 0)
				continue;
			f->lba = lba;
			lba += blocks_of(f->t->size);
		}
		free(o);
		b->data_end = lba;
		/* one zero block that every empty file points at */
		b->empty_lba = lba++;
		for (size_t i = 0; i < b->nfiles; i++)
			if (!b->files[i]->is_catalog && b->files[i]->t->size == 0)
				b->files[i]->lba = b->empty_lba;
	}
	if (b->o.pad)
		lba += 150;
	b->iso_end = lba;
	/* hybrid: the partition table wants whole cylinders (64 heads x 32
	 * sectors = 1 MiB), and the GPT its backup at the very end */
	if (b->o.mbr_template || b->o.gpt) {
		uint64_t extra = b->o.gpt ? 16 : 0;
		lba = (lba + extra + 511) / 512 * 512 - extra;
		b->iso_end = lba;
	}
	b->append_start = lba;
	for (int i = 0; i < b->nparts; i++) {
		b->parts[i].lba = lba;
		lba += blocks_of(b->parts[i].size);
	}
	if (b->o.gpt) {
		b->gpt_backup_lba = lba;
		lba += 16;
	}
	b->blocks = lba;
	b->planned = true;
	return 0;
}

int dimg_builder_plan(struct dimg_builder *b, uint64_t *size, struct dimg_node **summary,
		      struct dimg_error *err)
{
	int rc = iso_build_plan(b, err);
	if (rc)
		return rc;
	if (size)
		*size = b->blocks * ISO_SECTOR;
	if (summary) {
		struct dimg_node *r = node_object(NULL, NULL), *a;
		node_int(r, "size", (int64_t)(b->blocks * ISO_SECTOR));
		node_int(r, "blocks", (int64_t)b->blocks);
		node_int(r, "files", (int64_t)b->tree.files);
		node_int(r, "directories", (int64_t)b->tree.dirs);
		node_int(r, "file_bytes", (int64_t)b->tree.bytes);
		a = node_array(r, "layout");
#define AREA(nm, s, e)                                                                             \
	do {                                                                                       \
		if ((e) > (s)) {                                                                   \
			struct dimg_node *o_ = node_object(a, NULL);                               \
			node_str(o_, "area", nm);                                                  \
			node_int(o_, "start", (int64_t)(s));                                       \
			node_int(o_, "blocks", (int64_t)((e) - (s)));                              \
		}                                                                                  \
	} while (0)
		AREA("system area", 0, 16);
		AREA("volume descriptors", 16, b->term_lba + 1);
		AREA("boot catalog", b->catalog_lba, b->catalog_lba + b->catalog_blocks);
		AREA("path tables", b->pt_l_lba[T_PRI],
		     b->ndirs[T_PRI] ? b->dirs[T_PRI][0]->dir_lba[T_PRI] : b->pt_l_lba[T_PRI]);
		AREA("directories", b->dirs[T_PRI][0]->dir_lba[T_PRI], b->ce_lba);
		AREA("rock ridge continuation", b->ce_lba, b->ce_lba + b->ce_blocks);
		AREA("joliet/iso1999 directories", b->ce_lba + b->ce_blocks, b->data_lba);
		AREA("file data", b->data_lba, b->data_end + 1);
		AREA("padding", b->data_end + 1, b->append_start);
		AREA("appended partitions", b->append_start,
		     b->o.gpt ? b->gpt_backup_lba : b->blocks);
		AREA("gpt backup", b->o.gpt ? b->gpt_backup_lba : 0, b->o.gpt ? b->blocks : 0);
#undef AREA
		if (node_failed(r)) {
			dimg_node_free(r);
			return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		}
		*summary = r;
	}
	return 0;
}
