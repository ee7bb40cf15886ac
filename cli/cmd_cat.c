/* SPDX-License-Identifier: MIT */
/* dimg cat: a file's contents to stdout. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <unistd.h>

static int dimg_err_set(struct dimg_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int dimg_err_set(struct dimg_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->code = code;
	err->offset = DIMG_OFFSET_NONE;
	return code;
}

static const struct cli_opt cat_opts[] = {
	{ "view", 0, OPT_STRING, "VIEW", "rr, joliet, plain or iso1999 (default: best)" },
	{ "session", 0, OPT_INT, "N", "read session N (default: the newest)" },
	{ "track", 0, OPT_INT, "N", "CD images: the file system of data track N" },
	{ "format", 0, OPT_STRING, "FMT", "force the container format" },
	{ 0 },
};

#define CAT_CHUNK (1u << 20)

/* Resolves PATH inside the image, following symbolic links in any
 * component (at most 40, like the kernel).  Absolute targets are taken
 * relative to the image's root: nothing on the host is ever looked at. */
static int resolve(struct dimg_fs *fs, const char *path, struct dimg_stat *st,
		   struct dimg_error *err)
{
	char rest[16384], done[16384], target[8192];
	int hops = 0, rc;
	snprintf(rest, sizeof(rest), "%s", path);
	done[0] = 0;
	rc = dimg_fs_getattr(fs, dimg_fs_root(fs), st, err);
	while (rc == 0) {
		char *p = rest, comp[4096];
		while (*p == '/')
			p++;
		if (!*p)
			return 0;
		size_t len = strcspn(p, "/");
		if (len >= sizeof(comp))
			return dimg_err_set(err, DIMG_ENOTFOUND, "%s: name too long", path);
		memcpy(comp, p, len);
		comp[len] = 0;
		memmove(rest, p + len, strlen(p + len) + 1);
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *s = strrchr(done, '/');
			if (s)
				*s = 0;
			else
				done[0] = 0;
			rc = done[0] ? dimg_fs_lookup_path(fs, done, st, err)
				     : dimg_fs_getattr(fs, dimg_fs_root(fs), st, err);
			continue;
		}
		if (st->type != DIMG_FT_DIR)
			return dimg_err_set(err, DIMG_ENOTDIR, "%s: not a directory", path);
		rc = dimg_fs_lookup(fs, st->ino, comp, st, err);
		if (rc == DIMG_ENOTFOUND)
			return dimg_err_set(err, DIMG_ENOTFOUND, "%s: no such file or directory",
					    path);
		if (rc)
			return rc;
		if (st->type == DIMG_FT_SYMLINK) {
			char next[sizeof(rest)];
			if (++hops > 40)
				return dimg_err_set(err, DIMG_ELIMIT,
						    "%s: too many levels of symbolic links", path);
			rc = dimg_fs_readlink(fs, st->ino, target, sizeof(target), err);
			if (rc < 0)
				return rc;
			rc = 0;
			/* continue with target + the rest, from the link's directory */
			if (strlen(target) + strlen(rest) >= sizeof(next))
				return dimg_err_set(err, DIMG_ELIMIT, "%s: path too long", path);
			memcpy(next, target, strlen(target));
			memcpy(next + strlen(target), rest, strlen(rest) + 1);
			memcpy(rest, next, strlen(next) + 1);
			if (target[0] == '/')
				done[0] = 0;
			rc = done[0] ? dimg_fs_lookup_path(fs, done, st, err)
				     : dimg_fs_getattr(fs, dimg_fs_root(fs), st, err);
			continue;
		}
		size_t dl = strlen(done);
		snprintf(done + dl, sizeof(done) - dl, "/%s", comp);
	}
	return rc;
}

static int run_cat(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dimg_image *img;
	struct dimg_fs *fs;
	struct dimg_error err;
	struct dimg_stat st;
	char *buf;
	int rc = cli_parse(cmd, argc, argv, &a);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	const char *image = a.pos[0];
	rc = cli_open(cmd, &a, image, &img, &fs);
	if (rc) {
		free(a.pos);
		return rc;
	}
	buf = malloc(CAT_CHUNK);
	for (int i = 1; i < a.npos && rc == EXIT_OK; i++) {
		dimg_error_clear(&err);
		if (resolve(fs, a.pos[i], &st, &err) != 0) {
			cli_error(image, &err);
			rc = EXIT_FAIL;
			break;
		}
		if (st.type != DIMG_FT_FILE) {
			cli_errorf(image, "%s: %s", a.pos[i],
				   st.type == DIMG_FT_DIR ? "is a directory" : "not a regular file");
			rc = EXIT_FAIL;
			break;
		}
		for (uint64_t off = 0; off < st.size;) {
			int64_t n = dimg_fs_read(fs, st.ino, off, buf, CAT_CHUNK, &err);
			if (n <= 0) {
				if (n == 0)
					cli_errorf(image, "%s: file shorter than its size", a.pos[i]);
				else
					cli_error(image, &err);
				rc = EXIT_FAIL;
				break;
			}
			for (int64_t w = 0; w < n;) {
				ssize_t k = write(STDOUT_FILENO, buf + w, (size_t)(n - w));
				if (k < 0 && errno == EINTR)
					continue;
				if (k <= 0) {
					/* a closed pipe (dimg cat | head) ends quietly */
					if (errno != EPIPE)
						cli_errorf("stdout", "write failed: %s",
							   strerror(errno));
					rc = EXIT_FAIL;
					break;
				}
				w += k;
			}
			if (rc)
				break;
			off += (uint64_t)n;
		}
	}
	free(buf);
	dimg_fs_close(fs);
	dimg_image_close(img);
	free(a.pos);
	return rc;
}

const struct cli_cmd cmd_cat = {
	.name = "cat",
	.usage = "IMAGE PATH...",
	.summary = "Write the contents of files in the image to standard output.",
	.description = "Symbolic links inside the image are followed.",
	.opts = cat_opts,
	.min_args = 2,
	.max_args = -1,
	.run = run_cat,
};
