/* SPDX-License-Identifier: MIT */
/* dimg cat: a file's contents to stdout. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct cli_opt cat_opts[] = {
	{ "view", 0, OPT_STRING, "VIEW", "rr, joliet, plain or iso1999 (default: best)" },
	{ "session", 0, OPT_INT, "N", "read session N (default: the newest)" },
	{ "format", 0, OPT_STRING, "FMT", "force the container format" },
	{ 0 },
};

#define CAT_CHUNK (1u << 20)

/* Follows symbolic links inside the image (at most 40, like the kernel). */
static int resolve(struct dimg_fs *fs, const char *path, struct dimg_stat *st,
		   struct dimg_error *err)
{
	char cur[8192], target[8192];
	snprintf(cur, sizeof(cur), "%s", path);
	for (int hops = 0;; hops++) {
		int rc = dimg_fs_lookup_path(fs, cur, st, err);
		if (rc || st->type != DIMG_FT_SYMLINK)
			return rc;
		if (hops >= 40) {
			snprintf(err->message, sizeof(err->message),
				 "%s: too many levels of symbolic links", path);
			err->code = DIMG_ELIMIT;
			return DIMG_ELIMIT;
		}
		rc = dimg_fs_readlink(fs, st->ino, target, sizeof(target), err);
		if (rc < 0)
			return rc;
		if (target[0] == '/') {
			snprintf(cur, sizeof(cur), "%s", target);
		} else {
			char *slash = strrchr(cur, '/');
			char next[16384];
			if (slash)
				*slash = 0;
			snprintf(next, sizeof(next), "%s/%s", slash ? cur : "", target);
			snprintf(cur, sizeof(cur), "%s", next);
		}
		/* collapse "." and ".." lexically */
		char out[8192], *save = NULL, *tok;
		size_t ol = 0;
		out[0] = 0;
		for (tok = strtok_r(cur, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
			if (!strcmp(tok, "."))
				continue;
			if (!strcmp(tok, "..")) {
				char *s = strrchr(out, '/');
				ol = s ? (size_t)(s - out) : 0;
				out[ol] = 0;
				continue;
			}
			ol += (size_t)snprintf(out + ol, sizeof(out) - ol, "/%s", tok);
			if (ol >= sizeof(out))
				ol = sizeof(out) - 1;
		}
		snprintf(cur, sizeof(cur), "%s", out[0] ? out : "/");
	}
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
