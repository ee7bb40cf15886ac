/* SPDX-License-Identifier: MIT */
/*
 * dimg extract: recreate the image's tree on disk, like tar -x.
 *
 * Safety: everything is created relative to directory descriptors opened
 * with O_NOFOLLOW, names are single path components checked here, symlinks
 * are created verbatim and never followed, and an existing non-directory in
 * the way is unlinked (never opened), so nothing can be written outside the
 * destination whatever the image says.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct cli_opt extract_opts[] = {
	{ "directory", 'C', OPT_STRING, "DIR", "extract into DIR (default: .)" },
	{ "view", 0, OPT_STRING, "VIEW", "rr, joliet, plain or iso1999 (default: best)" },
	{ "session", 0, OPT_INT, "N", "read session N (default: the newest)" },
	{ "track", 0, OPT_INT, "N", "CD images: the file system of data track N" },
	{ "boot", 0, OPT_STRING, "DIR", "also write each El Torito boot image into DIR" },
	{ "no-same-owner", 0, OPT_FLAG, NULL, "do not restore owners (default as non-root)" },
	{ "no-sparse", 0, OPT_FLAG, NULL, "write zero runs instead of leaving holes" },
	{ "progress", 0, OPT_FLAG, NULL, "show progress even when stderr is not a terminal" },
	{ "no-progress", 0, OPT_FLAG, NULL, "never show progress" },
	{ "format", 0, OPT_STRING, "FMT", "force the container format" },
	{ 0 },
};

#define CHUNK (1u << 20)
#define SPARSE_BLOCK 4096u

struct link_rec {
	uint64_t id;
	char *path; /* relative to the destination */
};

struct ex {
	struct dimg_fs *fs;
	const char *image;
	int root_fd;
	int *fds; /* directory fd per depth; fds[0] = start */
	int nfds;
	int skipped;
	bool same_owner, sparse;
	uid_t euid;
	gid_t egid;
	uint8_t *buf;
	struct link_rec *links;
	size_t nlinks, caplinks;
	struct progress prog;
	int skip_below; /* depth under which entries are skipped (failed dir), 0 = none */
};

static void skip(struct ex *x, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void skip(struct ex *x, const char *path, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "dimg: %s: %s: skipped: ", x->image, path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	x->skipped++;
}

static bool valid_name(const char *n)
{
	return n[0] && strcmp(n, ".") && strcmp(n, "..") && !strchr(n, '/');
}

static bool all_zero(const uint8_t *p, size_t n)
{
	/* fast path: real data almost always differs in the first bytes */
	if (n == 0 || p[0] || p[n - 1])
		return n == 0;
	return memcmp(p, p + 1, n - 1) == 0;
}

static void set_times(int dirfd, const char *name, int fd, const struct dimg_stat *st)
{
	struct timespec ts[2] = { { .tv_sec = st->atime }, { .tv_sec = st->mtime } };
	if (fd >= 0)
		futimens(fd, ts);
	else
		utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

/* Removes a non-directory in the way; directories are kept (merged). */
static int clear_path(int dirfd, const char *name)
{
	struct stat sb;
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(sb.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	return unlinkat(dirfd, name, 0);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int file_data(struct ex *x, int fd, const struct dimg_walk_entry *e)
{
	struct dimg_error err;
	uint64_t off = 0, size = e->st.size;
	bool hole_at_end = false;
	dimg_error_clear(&err);
	while (off < size) {
		size_t want = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		int64_t n = dimg_fs_read(x->fs, e->st.ino, off, x->buf, want, &err);
		if (n <= 0) {
			if (n == 0)
				skip(x, e->path, "data ends at byte %llu of %llu",
				     (unsigned long long)off, (unsigned long long)size);
			else
				skip(x, e->path, "%s%s", err.message,
				     err.offset >= 0 ? "" : "");
			return -1;
		}
		if (!x->sparse) {
			if (write_all(fd, x->buf, (size_t)n)) {
				skip(x, e->path, "write failed: %s", strerror(errno));
				return -1;
			}
		} else {
			/* Leave holes for all-zero blocks. */
			for (size_t p = 0; p < (size_t)n;) {
				size_t blk = (size_t)n - p < SPARSE_BLOCK ? (size_t)n - p : SPARSE_BLOCK;
				size_t run = 0;
				bool zero = all_zero(x->buf + p, blk);
				while (p + run < (size_t)n) {
					size_t b = (size_t)n - p - run < SPARSE_BLOCK
							   ? (size_t)n - p - run
							   : SPARSE_BLOCK;
					if (all_zero(x->buf + p + run, b) != zero)
						break;
					run += b;
				}
				if (zero) {
					if (lseek(fd, (off_t)run, SEEK_CUR) < 0) {
						skip(x, e->path, "seek failed: %s", strerror(errno));
						return -1;
					}
					hole_at_end = true;
				} else {
					if (write_all(fd, x->buf + p, run)) {
						skip(x, e->path, "write failed: %s", strerror(errno));
						return -1;
					}
					hole_at_end = false;
				}
				p += run;
			}
		}
		off += (uint64_t)n;
		progress_update(&x->prog, (uint64_t)n, 0);
	}
	if (hole_at_end && ftruncate(fd, (off_t)size) != 0) {
		skip(x, e->path, "truncate failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static struct link_rec *find_link(struct ex *x, uint64_t id)
{
	for (size_t i = 0; i < x->nlinks; i++)
		if (x->links[i].id == id)
			return &x->links[i];
	return NULL;
}

/* Opens the directory holding `rel` (relative to the destination) without
 * following symlinks; returns the fd and points *base at the last name. */
static int open_parent(struct ex *x, const char *rel, const char **base)
{
	int fd = dup(x->root_fd);
	const char *p = rel;
	for (;;) {
		const char *slash = strchr(p, '/');
		if (!slash) {
			*base = p;
			return fd;
		}
		char comp[4096];
		size_t len = (size_t)(slash - p);
		if (len >= sizeof(comp)) {
			close(fd);
			return -1;
		}
		memcpy(comp, p, len);
		comp[len] = 0;
		int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (nfd < 0)
			return -1;
		fd = nfd;
		p = slash + 1;
	}
}

static int hard_link(struct ex *x, int dirfd, const struct dimg_walk_entry *e,
		     const char *rel)
{
	struct link_rec *l = find_link(x, e->st.link_id);
	if (l) {
		const char *base;
		int pfd = open_parent(x, l->path, &base);
		if (pfd >= 0) {
			int rc = linkat(pfd, base, dirfd, e->name, 0);
			close(pfd);
			if (rc == 0)
				return 1;
		}
		return 0; /* fall back to a copy */
	}
	if (x->nlinks == x->caplinks) {
		size_t cap = x->caplinks ? x->caplinks * 2 : 64;
		struct link_rec *n = realloc(x->links, cap * sizeof(*n));
		if (!n)
			return 0;
		x->links = n;
		x->caplinks = cap;
	}
	x->links[x->nlinks].id = e->st.link_id;
	x->links[x->nlinks].path = strdup(rel);
	if (x->links[x->nlinks].path)
		x->nlinks++;
	return 0;
}

/* fresh: just created by us with the entry's permission bits (umask is 0),
 * so only set-id/sticky bits or a change of owner need another chmod. */
static void finish_attrs(struct ex *x, int dirfd, const char *name, int fd,
			 const struct dimg_stat *st, bool fresh)
{
	bool chowned = false;
	if (x->same_owner && (st->uid != x->euid || st->gid != x->egid)) {
		if (fd >= 0)
			(void)!fchown(fd, st->uid, st->gid);
		else
			(void)!fchownat(dirfd, name, st->uid, st->gid, AT_SYMLINK_NOFOLLOW);
		chowned = true;
	}
	if (st->type != DIMG_FT_SYMLINK && (!fresh || chowned || (st->mode & 07000))) {
		if (fd >= 0)
			fchmod(fd, st->mode & 07777);
		else
			fchmodat(dirfd, name, st->mode & 07777, 0);
	}
	set_times(dirfd, name, fd, st);
}

static int extract_file(struct ex *x, int dirfd, const struct dimg_walk_entry *e,
			const char *rel)
{
	int fd;
	if (e->st.link_id && e->st.nlink > 1 && hard_link(x, dirfd, e, rel))
		return 0;
	fd = openat(dirfd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    e->st.mode & 0777);
	if (fd < 0 && errno == EEXIST) {
		if (clear_path(dirfd, e->name) != 0) {
			skip(x, e->path, "cannot replace existing entry: %s", strerror(errno));
			return -1;
		}
		fd = openat(dirfd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    e->st.mode & 0777);
	}
	if (fd < 0) {
		skip(x, e->path, "cannot create: %s", strerror(errno));
		return -1;
	}
	if (file_data(x, fd, e) != 0) {
		close(fd);
		unlinkat(dirfd, e->name, 0); /* no partial file that looks complete */
		return -1;
	}
	finish_attrs(x, dirfd, e->name, fd, &e->st, true);
	if (close(fd) != 0) {
		skip(x, e->path, "write failed: %s", strerror(errno));
		unlinkat(dirfd, e->name, 0);
		return -1;
	}
	progress_update(&x->prog, 0, 1);
	return 0;
}

static int extract_symlink(struct ex *x, int dirfd, const struct dimg_walk_entry *e)
{
	char target[16384];
	struct dimg_error err;
	dimg_error_clear(&err);
	if (dimg_fs_readlink(x->fs, e->st.ino, target, sizeof(target), &err) < 0) {
		skip(x, e->path, "%s", err.message);
		return -1;
	}
	if (symlinkat(target, dirfd, e->name) != 0) {
		if (errno != EEXIST || clear_path(dirfd, e->name) != 0 ||
		    symlinkat(target, dirfd, e->name) != 0) {
			skip(x, e->path, "cannot create symlink: %s", strerror(errno));
			return -1;
		}
	}
	finish_attrs(x, dirfd, e->name, -1, &e->st, false);
	return 0;
}

static int extract_special(struct ex *x, int dirfd, const struct dimg_walk_entry *e)
{
	mode_t m = e->st.mode & 07777;
	dev_t dev = 0;
	switch (e->st.type) {
	case DIMG_FT_FIFO: m |= S_IFIFO; break;
	case DIMG_FT_CHARDEV: m |= S_IFCHR; break;
	case DIMG_FT_BLOCKDEV: m |= S_IFBLK; break;
	default:
		skip(x, e->path, "%s entries are not extracted", dimg_ftype_name(e->st.type));
		return -1;
	}
	if (e->st.type != DIMG_FT_FIFO)
		dev = makedev((unsigned)e->st.rdev_major, (unsigned)e->st.rdev_minor);
	if (mknodat(dirfd, e->name, m, dev) != 0 &&
	    (errno != EEXIST || clear_path(dirfd, e->name) != 0 ||
	     mknodat(dirfd, e->name, m, dev) != 0)) {
		skip(x, e->path, "cannot create %s: %s", dimg_ftype_name(e->st.type),
		     strerror(errno));
		return -1;
	}
	finish_attrs(x, dirfd, e->name, -1, &e->st, false);
	return 0;
}

static int set_fd(struct ex *x, int depth, int fd)
{
	if (depth >= x->nfds) {
		int n = depth + 64;
		int *p = realloc(x->fds, (size_t)n * sizeof(int));
		if (!p)
			return -1;
		for (int i = x->nfds; i < n; i++)
			p[i] = -1;
		x->fds = p;
		x->nfds = n;
	}
	if (x->fds[depth] >= 0 && x->fds[depth] != x->root_fd)
		close(x->fds[depth]);
	x->fds[depth] = fd;
	return 0;
}

/* rel: the entry's path relative to the destination (prefix + walk path) */
struct ex_walk {
	struct ex *x;
	const char *prefix;
};

static int extract_cb(void *ctx, const struct dimg_walk_entry *e)
{
	struct ex_walk *w = ctx;
	struct ex *x = w->x;
	char rel[16384];
	int dirfd;

	if (x->skip_below && e->depth > x->skip_below)
		return 0;
	if (x->skip_below && e->depth <= x->skip_below)
		x->skip_below = 0;
	if (e->problem == DIMG_WALK_READ_ERROR) {
		skip(x, e->path, "directory unreadable: %s", e->error->message);
		if (e->error->offset >= 0)
			fprintf(stderr, "dimg: %s: (at byte offset %lld)\n", x->image,
				(long long)e->error->offset);
		/* fall through to the post handling of this directory */
		if (e->depth < x->nfds && x->fds[e->depth] >= 0) {
			finish_attrs(x, -1, NULL, x->fds[e->depth], &e->st, false);
			set_fd(x, e->depth, -1);
		}
		return 0;
	}
	dirfd = x->fds[e->depth - 1];
	snprintf(rel, sizeof(rel), "%s%s%s", w->prefix, w->prefix[0] ? "/" : "", e->path);
	if (e->post) {
		if (e->depth < x->nfds && x->fds[e->depth] >= 0) {
			finish_attrs(x, -1, NULL, x->fds[e->depth], &e->st, false);
			set_fd(x, e->depth, -1);
		}
		return 0;
	}
	if ((e->st.flags & DIMG_STAT_BADNAME) || !valid_name(e->name)) {
		skip(x, e->path, "unsafe name");
		return DIMG_WALK_SKIP;
	}
	if (dirfd < 0) {
		skip(x, e->path, "parent directory was not created");
		return DIMG_WALK_SKIP;
	}
	switch (e->st.type) {
	case DIMG_FT_DIR: {
		int fd;
		if (e->problem == DIMG_WALK_LOOP) {
			skip(x, e->path, "directory loop (already extracted elsewhere)");
			return DIMG_WALK_SKIP;
		}
		if (e->problem == DIMG_WALK_TOO_DEEP) {
			skip(x, e->path, "directory nesting too deep");
			return DIMG_WALK_SKIP;
		}
		if (mkdirat(dirfd, e->name, 0700) != 0 && errno != EEXIST) {
			skip(x, e->path, "cannot create directory: %s", strerror(errno));
			x->skip_below = e->depth;
			return DIMG_WALK_SKIP;
		}
		fd = openat(dirfd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			skip(x, e->path, "cannot open directory (%s)",
			     errno == ENOTDIR || errno == ELOOP ? "a non-directory is in the way"
								 : strerror(errno));
			return DIMG_WALK_SKIP;
		}
		if (set_fd(x, e->depth, fd) != 0) {
			close(fd);
			skip(x, e->path, "out of memory");
			return DIMG_WALK_SKIP;
		}
		return 0;
	}
	case DIMG_FT_FILE:
		extract_file(x, dirfd, e, rel);
		return 0;
	case DIMG_FT_SYMLINK:
		extract_symlink(x, dirfd, e);
		return 0;
	default:
		extract_special(x, dirfd, e);
		return 0;
	}
}

/* Creates the directories of `path` (inside the image) below the
 * destination and returns an fd for the last one; used when PATH arguments
 * name something below the root. */
static int make_dirs(struct ex *x, const char *path, int upto_last, char *last, size_t lsize)
{
	int fd = dup(x->root_fd);
	char *copy = strdup(path), *save = NULL, *tok, *next;
	if (!copy)
		return -1;
	tok = strtok_r(copy, "/", &save);
	while (tok && fd >= 0) {
		next = strtok_r(NULL, "/", &save);
		if (!next && !upto_last) {
			snprintf(last, lsize, "%s", tok);
			break;
		}
		if (!valid_name(tok)) {
			close(fd);
			fd = -1;
			break;
		}
		if (mkdirat(fd, tok, 0755) != 0 && errno != EEXIST) {
			close(fd);
			fd = -1;
			break;
		}
		int nfd = openat(fd, tok, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = nfd;
		tok = next;
	}
	free(copy);
	return fd;
}

static int extract_boot(struct dimg_image *img, const char *image, const char *dir)
{
	struct dimg_boot_entry ents[64];
	struct dimg_error err;
	int n, failed = 0;
	uint8_t *buf = malloc(CHUNK);
	dimg_error_clear(&err);
	n = dimg_boot_entries(img, ents, 64, &err);
	if (n < 0) {
		cli_error(image, &err);
		free(buf);
		return EXIT_FAIL;
	}
	if (n == 0)
		cli_errorf(image, "no El Torito boot catalog");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		cli_errorf(dir, "cannot create directory: %s", strerror(errno));
		free(buf);
		return EXIT_FAIL;
	}
	for (int i = 0; i < n && i < 64; i++) {
		const struct dimg_boot_entry *b = &ents[i];
		char name[4200], tmp[4300];
		static const char *const emu[] = { "noemul", "floppy1200", "floppy1440",
						   "floppy2880", "hdd" };
		const char *plat = b->platform == 0 ? "bios" : b->platform == 0xEF ? "efi"
			: b->platform == 1 ? "ppc" : b->platform == 2 ? "mac" : "other";
		snprintf(name, sizeof(name), "%s/boot-%d-%s-%s.img", dir, i, plat,
			 b->emulation <= 4 ? emu[b->emulation] : "unknown");
		snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", name);
		int fd = mkstemp(tmp);
		if (fd < 0) {
			cli_errorf(name, "cannot create: %s", strerror(errno));
			failed++;
			continue;
		}
		uint64_t off = 0;
		bool ok = true;
		while (off < b->size) {
			int64_t k = dimg_boot_read(img, b, off, buf, CHUNK, &err);
			if (k < 0) {
				cli_error(image, &err);
				dimg_error_clear(&err);
				ok = false;
				break;
			}
			if (k == 0)
				break;
			if (write_all(fd, buf, (size_t)k)) {
				cli_errorf(name, "write failed: %s", strerror(errno));
				ok = false;
				break;
			}
			off += (uint64_t)k;
		}
		fchmod(fd, 0644);
		if (close(fd) != 0)
			ok = false;
		if (ok && rename(tmp, name) == 0) {
			continue;
		}
		unlink(tmp);
		failed++;
	}
	free(buf);
	return failed ? EXIT_FAIL : EXIT_OK;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int extract_path(struct ex *x, const char *path)
{
	struct dimg_error err;
	struct dimg_stat st;
	struct ex_walk w;
	char prefix[16384], last[4096];
	int rc;
	dimg_error_clear(&err);
	if (dimg_fs_lookup_path(x->fs, path, &st, &err) != 0) {
		cli_error(x->image, &err);
		x->skipped++;
		return 0;
	}
	while (*path == '/')
		path++;
	snprintf(prefix, sizeof(prefix), "%s", path);
	for (size_t n = strlen(prefix); n > 0 && prefix[n - 1] == '/'; n--)
		prefix[n - 1] = 0;
	if (st.type != DIMG_FT_DIR) {
		/* a single entry: create its parents, then extract it */
		struct dimg_walk_entry e;
		int fd = make_dirs(x, prefix, 0, last, sizeof(last));
		if (fd < 0) {
			skip(x, prefix, "cannot create parent directories");
			return 0;
		}
		memset(&e, 0, sizeof(e));
		e.path = prefix;
		e.name = last;
		e.st = st;
		e.depth = 1;
		set_fd(x, 0, fd);
		w.x = x;
		w.prefix = "";
		{
			/* the entry's path relative to the destination is prefix */
			struct ex_walk w2 = { x, "" };
			char *slash = strrchr(prefix, '/');
			(void)slash;
			extract_cb(&w2, &e);
		}
		set_fd(x, 0, -1);
		return 0;
	}
	int fd = prefix[0] ? make_dirs(x, prefix, 1, last, sizeof(last)) : dup(x->root_fd);
	if (fd < 0) {
		skip(x, prefix, "cannot create directory");
		return 0;
	}
	set_fd(x, 0, fd);
	w.x = x;
	w.prefix = prefix;
	rc = dimg_fs_walk(x->fs, st.ino, "", DIMG_WALK_POST, extract_cb, &w, &err);
	if (rc != 0) {
		cli_error(x->image, &err);
		x->skipped++;
	}
	/* the extracted directory itself gets its attributes last */
	if (prefix[0])
		finish_attrs(x, -1, NULL, x->fds[0], &st, false);
	set_fd(x, 0, -1);
	return 0;
}

static int run_extract(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dimg_image *img;
	struct dimg_fs *fs;
	struct ex x;
	int rc = cli_parse(cmd, argc, argv, &a);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	const char *image = a.pos[0];
	const char *dest = cli_str(cmd, &a, "directory");
	const char *boot = cli_str(cmd, &a, "boot");
	if (!dest)
		dest = ".";
	rc = cli_open(cmd, &a, image, &img, &fs);
	if (rc) {
		free(a.pos);
		return rc;
	}
	memset(&x, 0, sizeof(x));
	x.fs = fs;
	x.image = image;
	x.same_owner = geteuid() == 0 && !cli_flag(cmd, &a, "no-same-owner");
	x.euid = geteuid();
	x.egid = getegid();
	x.sparse = !cli_flag(cmd, &a, "no-sparse");
	x.buf = malloc(CHUNK);
	progress_init(&x.prog, "extracting",
		      cli_progress_force(cmd, &a));
	raise_fd_limit();
	/* Modes come from the image (tar -p); the umask must not mask them. */
	umask(0);
	if (mkdir(dest, 0755) != 0 && errno != EEXIST) {
		cli_errorf(dest, "cannot create directory: %s", strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	x.root_fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x.root_fd < 0) {
		cli_errorf(dest, "cannot open directory: %s", strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	if (a.npos == 1) {
		extract_path(&x, "/");
	} else {
		for (int i = 1; i < a.npos; i++)
			extract_path(&x, a.pos[i]);
	}
	if (boot && extract_boot(img, image, boot) != EXIT_OK)
		x.skipped++;
	if (dimg_fs_anomalies(fs))
		fprintf(stderr,
			"dimg: %s: warning: %llu directory record(s) with little- and big-endian "
			"fields that differ; the little-endian values were used\n",
			image, (unsigned long long)dimg_fs_anomalies(fs));
	progress_end(&x.prog);
	rc = x.skipped ? EXIT_FAIL : EXIT_OK;
	if (x.skipped)
		fprintf(stderr, "dimg: %s: %d entr%s skipped\n", image, x.skipped,
			x.skipped == 1 ? "y" : "ies");
	close(x.root_fd);
out:
	for (int i = 0; i < x.nfds; i++)
		if (x.fds[i] >= 0)
			close(x.fds[i]);
	free(x.fds);
	for (size_t i = 0; i < x.nlinks; i++)
		free(x.links[i].path);
	free(x.links);
	free(x.buf);
	dimg_fs_close(fs);
	dimg_image_close(img);
	free(a.pos);
	return rc;
}

const struct cli_cmd cmd_extract = {
	.name = "extract",
	.usage = "[-C DIR] [--boot DIR] IMAGE [PATH...]",
	.summary = "Extract files, directories, symlinks and hard links with their modes and "
		   "times (like tar -x).",
	.description =
		"Nothing is ever written outside DIR: names with '/', NUL, '.' or '..' are "
		"refused,\nsymlinks are created verbatim and never followed.  Exit status is 1 "
		"when anything\nwas skipped (one line per entry on stderr).  All-zero blocks "
		"become holes.",
	.opts = extract_opts,
	.min_args = 1,
	.max_args = -1,
	.run = run_extract,
};
