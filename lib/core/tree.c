/* SPDX-License-Identifier: MIT */
#include "core/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static struct tree_node *node_new(const char *name, struct tree_node *parent)
{
	struct tree_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = strdup(name);
	if (!n->name) {
		free(n);
		return NULL;
	}
	n->parent = parent;
	n->depth = parent ? parent->depth + 1 : 0;
	return n;
}

static void node_free(struct tree_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->src);
	free(n->link);
	free(n);
}

int tree_init(struct tree *t, struct dimg_error *err)
{
	memset(t, 0, sizeof(*t));
	t->root = node_new("", NULL);
	if (!t->root)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	t->root->type = DIMG_FT_DIR;
	t->root->mode = 0755;
	t->root->nlink = 2;
	t->nodes = t->dirs = 1;
	t->next_serial = 1;
	t->root->serial = t->next_serial++;
	return 0;
}

void tree_free(struct tree *t)
{
	node_free(t->root);
	for (size_t i = 0; i < t->npats; i++)
		free(t->pats[i].glob);
	free(t->pats);
	free(t->by_inode);
	memset(t, 0, sizeof(*t));
}

int tree_add_pattern(struct tree *t, const char *glob, unsigned what, struct dimg_error *err)
{
	struct tree_pattern *p = realloc(t->pats, (t->npats + 1) * sizeof(*p));
	if (!p)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	t->pats = p;
	p[t->npats].glob = strdup(glob);
	p[t->npats].what = what;
	if (!p[t->npats].glob)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	t->npats++;
	return 0;
}

/* mkisofs matches -m/-x against the name and against the path. */
static bool pattern_hit(const struct tree *t, unsigned what, const char *name, const char *path)
{
	for (size_t i = 0; i < t->npats; i++) {
		const struct tree_pattern *p = &t->pats[i];
		if (p->what != what)
			continue;
		if (fnmatch(p->glob, name, 0) == 0 || fnmatch(p->glob, path, 0) == 0)
			return true;
		/* a pattern naming a source path exactly ("-x dir/sub") */
		size_t gl = strlen(p->glob), pl = strlen(path);
		if (pl >= gl && strcmp(path + pl - gl, p->glob) == 0 &&
		    (pl == gl || path[pl - gl - 1] == '/'))
			return true;
	}
	return false;
}

static int add_kid(struct tree_node *parent, struct tree_node *kid)
{
	if (parent->nkids == parent->capkids) {
		size_t cap = parent->capkids ? parent->capkids * 2 : 8;
		struct tree_node **k = realloc(parent->kids, cap * sizeof(*k));
		if (!k)
			return -1;
		parent->kids = k;
		parent->capkids = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

static struct tree_node *find_kid(const struct tree_node *dir, const char *name)
{
	for (size_t i = 0; i < dir->nkids; i++)
		if (strcmp(dir->kids[i]->name, name) == 0)
			return dir->kids[i];
	return NULL;
}

static uint64_t inode_hash(dev_t d, ino_t i)
{
	uint64_t k = ((uint64_t)d * 0x9E3779B97F4A7C15ull) ^ (uint64_t)i;
	k ^= k >> 31;
	return k * 0xBF58476D1CE4E5B9ull;
}

/* Links a regular file with nlink > 1 to the first node of its inode. */
static int note_hardlink(struct tree *t, struct tree_node *n)
{
	if ((t->inode_count + 1) * 2 > t->inode_cap) {
		size_t cap = t->inode_cap ? t->inode_cap * 2 : 256;
		struct tree_node **tab = calloc(cap, sizeof(*tab));
		if (!tab)
			return -1;
		for (size_t i = 0; i < t->inode_cap; i++) {
			struct tree_node *x = t->by_inode[i];
			if (!x)
				continue;
			size_t j = inode_hash(x->dev, x->ino) & (cap - 1);
			while (tab[j])
				j = (j + 1) & (cap - 1);
			tab[j] = x;
		}
		free(t->by_inode);
		t->by_inode = tab;
		t->inode_cap = cap;
	}
	size_t j = inode_hash(n->dev, n->ino) & (t->inode_cap - 1);
	while (t->by_inode[j]) {
		struct tree_node *x = t->by_inode[j];
		if (x->dev == n->dev && x->ino == n->ino) {
			n->hardlink = x;
			n->serial = x->serial;
			return 0;
		}
		j = (j + 1) & (t->inode_cap - 1);
	}
	t->by_inode[j] = n;
	t->inode_count++;
	return 0;
}

static void fill_from_stat(struct tree_node *n, const struct stat *st)
{
	n->mode = st->st_mode & 07777;
	n->uid = st->st_uid;
	n->gid = st->st_gid;
	n->nlink = (uint32_t)st->st_nlink;
	n->mtime = st->st_mtim.tv_sec;
	n->atime = st->st_atim.tv_sec;
	n->ctime = st->st_ctim.tv_sec;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	switch (st->st_mode & S_IFMT) {
	case S_IFDIR: n->type = DIMG_FT_DIR; break;
	case S_IFLNK: n->type = DIMG_FT_SYMLINK; break;
	case S_IFCHR: n->type = DIMG_FT_CHARDEV; break;
	case S_IFBLK: n->type = DIMG_FT_BLOCKDEV; break;
	case S_IFIFO: n->type = DIMG_FT_FIFO; break;
	case S_IFSOCK: n->type = DIMG_FT_SOCKET; break;
	default: n->type = DIMG_FT_FILE; break;
	}
	if (n->type == DIMG_FT_FILE)
		n->size = (uint64_t)st->st_size;
	if (n->type == DIMG_FT_CHARDEV || n->type == DIMG_FT_BLOCKDEV) {
		n->rdev_major = major(st->st_rdev);
		n->rdev_minor = minor(st->st_rdev);
	}
}

struct scan {
	struct tree *t;
	struct dimg_error *err;
	char path[8192];   /* source path of the directory being scanned */
	dev_t stack_dev[DIMG_MAX_DIR_DEPTH];
	ino_t stack_ino[DIMG_MAX_DIR_DEPTH];
	int depth;
};

static int scan_dir(struct scan *s, struct tree_node *dir, int dirfd);

/* Adds (or merges) one entry of a scanned directory. */
static int scan_entry(struct scan *s, struct tree_node *dir, int dirfd, const char *name)
{
	struct tree *t = s->t;
	struct stat st;
	struct tree_node *n, *old;
	size_t plen = strlen(s->path);
	int rc = 0;

	if (plen + strlen(name) + 2 > sizeof(s->path))
		return dimg_err(s->err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "%s/%s: path too long",
				s->path, name);
	snprintf(s->path + plen, sizeof(s->path) - plen, "/%s", name);
	if (fstatat(dirfd, name, &st, t->follow_links ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT) /* vanished while scanning */
			rc = dimg_err(s->err, DIMG_EIO, DIMG_OFFSET_NONE,
				      "%s: vanished while being scanned", s->path);
		else
			rc = dimg_err_sys(s->err, errno, DIMG_OFFSET_NONE, "%s: cannot stat", s->path);
		goto out;
	}
	if (pattern_hit(t, 0, name, s->path))
		goto out;
	old = find_kid(dir, name);
	if (old) {
		if (old->type == DIMG_FT_DIR && S_ISDIR(st.st_mode)) {
			n = old; /* graft points merging two sources */
		} else {
			rc = dimg_err(s->err, DIMG_EINVAL, DIMG_OFFSET_NONE,
				      "%s: name collision: another source already put \"%s\" there",
				      s->path, name);
			goto out;
		}
	} else {
		n = node_new(name, dir);
		if (!n || add_kid(dir, n) != 0) {
			node_free(n);
			rc = dimg_err(s->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			goto out;
		}
		fill_from_stat(n, &st);
		n->serial = t->next_serial++;
		t->nodes++;
	}
	switch (n->type) {
	case DIMG_FT_DIR: {
		int fd = openat(dirfd, name,
				O_RDONLY | O_DIRECTORY | O_CLOEXEC | (t->follow_links ? 0 : O_NOFOLLOW));
		if (fd < 0) {
			rc = dimg_err_sys(s->err, errno, DIMG_OFFSET_NONE, "%s: cannot open directory",
					  s->path);
			break;
		}
		if (n != old)
			t->dirs++;
		rc = scan_dir(s, n, fd);
		close(fd);
		break;
	}
	case DIMG_FT_SYMLINK: {
		char buf[4097];
		ssize_t k = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
		if (k < 0) {
			rc = dimg_err_sys(s->err, errno, DIMG_OFFSET_NONE, "%s: cannot read link",
					  s->path);
			break;
		}
		buf[k] = 0;
		if (!(n->link = strdup(buf)))
			rc = dimg_err(s->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		break;
	}
	case DIMG_FT_FILE:
		if (!(n->src = strdup(s->path))) {
			rc = dimg_err(s->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			break;
		}
		t->files++;
		t->bytes += n->size;
		if (n->nlink > 1 && note_hardlink(t, n) != 0)
			rc = dimg_err(s->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
		break;
	default:
		break;
	}
out:
	s->path[plen] = 0;
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(struct scan *s, struct tree_node *dir, int dirfd)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0, fd;

	if (s->depth >= DIMG_MAX_DIR_DEPTH)
		return dimg_err(s->err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "%s: nested too deeply",
				s->path);
	if (fstat(dirfd, &st) == 0) {
		for (int i = 0; i < s->depth; i++)
			if (s->stack_dev[i] == st.st_dev && s->stack_ino[i] == st.st_ino)
				return dimg_err(s->err, DIMG_EINVAL, DIMG_OFFSET_NONE,
						"%s: directory loop (through a followed symlink)",
						s->path);
		s->stack_dev[s->depth] = st.st_dev;
		s->stack_ino[s->depth] = st.st_ino;
	}
	fd = dup(dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return dimg_err_sys(s->err, errno, DIMG_OFFSET_NONE, "%s: cannot read directory",
				    s->path);
	}
	/* Names first, sorted, so the scan order (and every error) is the same
	 * on every run whatever order the filesystem returns. */
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **p = realloc(names, cap * sizeof(*p));
			if (!p) {
				rc = dimg_err(s->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
				break;
			}
			names = p;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = dimg_err(s->err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0 && n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	s->depth++;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = scan_entry(s, dir, dirfd, names[i]);
		free(names[i]);
	}
	s->depth--;
	free(names);
	return rc;
}

/* Returns the directory node for `path`, creating missing ones. */
static struct tree_node *mkpath(struct tree *t, const char *path, const struct stat *like)
{
	struct tree_node *cur = t->root;
	char comp[256];
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, "/");
		if (len >= sizeof(comp))
			return NULL;
		memcpy(comp, p, len);
		comp[len] = 0;
		p += len;
		struct tree_node *k = find_kid(cur, comp);
		if (!k) {
			k = node_new(comp, cur);
			if (!k || add_kid(cur, k) != 0) {
				node_free(k);
				return NULL;
			}
			k->type = DIMG_FT_DIR;
			k->mode = 0755;
			k->nlink = 2;
			k->uid = like ? like->st_uid : 0;
			k->gid = like ? like->st_gid : 0;
			k->mtime = k->atime = k->ctime = like ? like->st_mtim.tv_sec : 0;
			k->serial = t->next_serial++;
			t->nodes++;
			t->dirs++;
		} else if (k->type != DIMG_FT_DIR) {
			return NULL;
		}
		cur = k;
	}
	return cur;
}

int tree_add(struct tree *t, const char *target, const char *source, struct dimg_error *err)
{
	struct scan *s;
	struct stat st;
	int rc;
	if (stat(source, &st) != 0)
		return dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "%s: cannot read source", source);
	s = calloc(1, sizeof(*s));
	if (!s)
		return dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE, "out of memory");
	s->t = t;
	s->err = err;
	if (S_ISDIR(st.st_mode)) {
		struct tree_node *dir = mkpath(t, target, &st);
		int fd;
		if (!dir) {
			free(s);
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"%s: target %s is not a directory in the image", source, target);
		}
		if (dir == t->root || dir->nkids == 0) {
			/* the directory takes the attributes of its source */
			uint32_t serial = dir->serial;
			int depth = dir->depth;
			fill_from_stat(dir, &st);
			dir->serial = serial;
			dir->depth = depth;
			dir->nlink = 2;
		}
		fd = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			free(s);
			return dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "%s: cannot open directory",
					    source);
		}
		snprintf(s->path, sizeof(s->path), "%s", source);
		for (size_t l = strlen(s->path); l > 1 && s->path[l - 1] == '/'; l--)
			s->path[l - 1] = 0;
		rc = scan_dir(s, dir, fd);
		close(fd);
	} else {
		/* a single file: the target names it ("/a/b" or "/a/" + basename) */
		char parent[4096], name[256];
		const char *slash = strrchr(target, '/');
		const char *base = slash ? slash + 1 : target;
		size_t plen = slash ? (size_t)(slash - target) : 0;
		if (!*base) {
			const char *sb = strrchr(source, '/');
			base = sb ? sb + 1 : source;
		}
		if (plen >= sizeof(parent) || strlen(base) >= sizeof(name)) {
			free(s);
			return dimg_err(err, DIMG_ELIMIT, DIMG_OFFSET_NONE, "%s: name too long", target);
		}
		memcpy(parent, target, plen);
		parent[plen] = 0;
		snprintf(name, sizeof(name), "%s", base);
		struct tree_node *dir = mkpath(t, parent, NULL);
		if (!dir) {
			free(s);
			return dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
					"%s: target %s is not a directory in the image", source, parent);
		}
		/* scan_entry works relative to a directory fd: use the source's */
		char sdir[4096];
		const char *sb = strrchr(source, '/');
		if (sb && (size_t)(sb - source) < sizeof(sdir)) {
			memcpy(sdir, source, (size_t)(sb - source));
			sdir[sb - source] = 0;
			if (!sdir[0])
				strcpy(sdir, "/");
		} else {
			strcpy(sdir, ".");
		}
		int fd = open(sdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			free(s);
			return dimg_err_sys(err, errno, DIMG_OFFSET_NONE, "%s: cannot open", sdir);
		}
		snprintf(s->path, sizeof(s->path), "%s", strcmp(sdir, "/") ? sdir : "");
		const char *sname = sb ? sb + 1 : source;
		if (strcmp(sname, name) == 0) {
			rc = scan_entry(s, dir, fd, sname);
		} else {
			/* renamed by the graft point: add, then rename the node */
			rc = scan_entry(s, dir, fd, sname);
			struct tree_node *k = find_kid(dir, sname);
			if (rc == 0 && k) {
				if (find_kid(dir, name))
					rc = dimg_err(err, DIMG_EINVAL, DIMG_OFFSET_NONE,
						      "%s: name collision at %s", source, target);
				else {
					char *nn = strdup(name);
					if (!nn)
						rc = dimg_err(err, DIMG_ENOMEM, DIMG_OFFSET_NONE,
							      "out of memory");
					else {
						free(k->name);
						k->name = nn;
					}
				}
			}
		}
		close(fd);
	}
	free(s);
	return rc;
}

struct tree_node *tree_lookup(struct tree *t, const char *path)
{
	struct tree_node *cur = t->root;
	char comp[256];
	const char *p = path;
	while (cur) {
		while (*p == '/')
			p++;
		if (!*p)
			return cur;
		size_t len = strcspn(p, "/");
		if (len >= sizeof(comp))
			return NULL;
		memcpy(comp, p, len);
		comp[len] = 0;
		p += len;
		cur = find_kid(cur, comp);
	}
	return NULL;
}

void tree_path(const struct tree_node *n, char *buf, size_t size)
{
	const struct tree_node *chain[DIMG_MAX_DIR_DEPTH + 1];
	int k = 0;
	size_t o = 0;
	for (; n && n->parent && k < DIMG_MAX_DIR_DEPTH; n = n->parent)
		chain[k++] = n;
	if (k == 0)
		snprintf(buf, size, "/");
	buf[0] = 0;
	while (k-- > 0 && o + 1 < size)
		o += (size_t)snprintf(buf + o, size - o, "/%s", chain[k]->name);
	if (o == 0)
		snprintf(buf, size, "/");
}

int tree_set_weight(struct tree *t, const char *path, int weight)
{
	struct tree_node *n = tree_lookup(t, path);
	if (!n)
		return DIMG_ENOTFOUND;
	n->weight = weight;
	return 0;
}

static void hide_walk(struct tree *t, struct tree_node *n, char *path, size_t len)
{
	for (size_t i = 0; i < n->nkids; i++) {
		struct tree_node *k = n->kids[i];
		size_t l = len + 1 + strlen(k->name);
		if (l < 4096) {
			path[len] = '/';
			strcpy(path + len + 1, k->name);
			if (pattern_hit(t, TREE_HIDE_PRIMARY, k->name, path))
				k->hide |= TREE_HIDE_PRIMARY;
			if (pattern_hit(t, TREE_HIDE_JOLIET, k->name, path))
				k->hide |= TREE_HIDE_JOLIET;
			if (k->type == DIMG_FT_DIR)
				hide_walk(t, k, path, l);
			path[len] = 0;
		}
	}
}

void tree_apply_hide(struct tree *t)
{
	char path[4096] = "";
	bool any = false;
	for (size_t i = 0; i < t->npats; i++)
		any |= t->pats[i].what != 0;
	if (any)
		hide_walk(t, t->root, path, 0);
}

static struct tree_node *find_src(struct tree_node *n, const char *src)
{
	if (n->src && strcmp(n->src, src) == 0)
		return n;
	for (size_t i = 0; i < n->nkids; i++) {
		struct tree_node *r = find_src(n->kids[i], src);
		if (r)
			return r;
	}
	return NULL;
}

int tree_set_weight_src(struct tree *t, const char *src, int weight)
{
	struct tree_node *n = find_src(t->root, src);
	if (!n)
		return DIMG_ENOTFOUND;
	n->weight = weight;
	return 0;
}

static int64_t newest(const struct tree_node *n)
{
	int64_t m = n->mtime;
	for (size_t i = 0; i < n->nkids; i++) {
		int64_t k = newest(n->kids[i]);
		if (k > m)
			m = k;
	}
	return m;
}

int64_t tree_newest_mtime(const struct tree *t)
{
	int64_t m = newest(t->root);
	return m > 0 ? m : 0;
}
