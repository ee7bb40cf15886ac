/* SPDX-License-Identifier: MIT */
/* dimg ls: list directories of the image. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt ls_opts[] = {
	{ "long", 'l', OPT_FLAG, NULL, "mode, links, owner, size, UTC mtime, link target" },
	{ "recursive", 'R', OPT_FLAG, NULL, "list subdirectories too (one path per line)" },
	{ "json", 0, OPT_FLAG, NULL, "print a JSON list of entries" },
	{ "view", 0, OPT_STRING, "VIEW", "rr, joliet, plain or iso1999 (default: best)" },
	{ "session", 0, OPT_INT, "N", "read session N (default: the newest)" },
	{ "track", 0, OPT_INT, "N", "CD images: the file system of data track N" },
	{ "format", 0, OPT_STRING, "FMT", "force the container format" },
	{ 0 },
};

#define LS_MAX_EXTENTS 4096

struct ls_ctx {
	struct dimg_fs *fs;
	const char *image;
	bool longfmt, json, recursive;
	struct json j;
	const char *prefix; /* path of the listed directory */
	struct dimg_extent *ext;
	int problems;
};

/* Right-aligned decimal in a field of `width`; returns the end. */
static char *put_num(char *p, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = n; i < width; i++)
		*p++ = ' ';
	while (n)
		*p++ = tmp[--n];
	return p;
}

static void print_entry(struct ls_ctx *c, const char *path, const struct dimg_stat *st)
{
	char target[16384];
	struct dimg_error err;
	bool has_target = false;
	target[0] = 0;
	err.code = 0;
	err.message[0] = 0;
	err.what[0] = 0;
	err.offset = -1;
	if (st->type == DIMG_FT_SYMLINK) {
		if (dimg_fs_readlink(c->fs, st->ino, target, sizeof(target), &err) >= 0)
			has_target = true;
	}
	if (c->json) {
		json_begin_object(&c->j, NULL);
		json_str(&c->j, "path", path);
		json_str(&c->j, "type", dimg_ftype_name(st->type));
		json_int(&c->j, "mode", st->mode);
		json_uint(&c->j, "size", st->size);
		json_time(&c->j, "mtime", st->mtime);
		json_int(&c->j, "nlink", st->nlink);
		json_int(&c->j, "uid", st->uid);
		json_int(&c->j, "gid", st->gid);
		json_uint(&c->j, "ino", st->ino);
		if (has_target)
			json_str(&c->j, "target", target);
		else
			json_null(&c->j, "target");
		if (st->type == DIMG_FT_CHARDEV || st->type == DIMG_FT_BLOCKDEV) {
			json_uint(&c->j, "rdev_major", st->rdev_major);
			json_uint(&c->j, "rdev_minor", st->rdev_minor);
		}
		json_begin_array(&c->j, "extents");
		if (st->type == DIMG_FT_FILE || st->type == DIMG_FT_DIR) {
			int n = dimg_fs_extents(c->fs, st->ino, c->ext, LS_MAX_EXTENTS, &err);
			for (int i = 0; i < n && i < LS_MAX_EXTENTS; i++) {
				json_begin_object(&c->j, NULL);
				json_uint(&c->j, "lba", c->ext[i].lba);
				json_uint(&c->j, "size", c->ext[i].size);
				json_end_object(&c->j);
			}
		}
		json_end_array(&c->j);
		json_begin_array(&c->j, "flags");
		if (st->flags & DIMG_STAT_HIDDEN)
			json_str(&c->j, NULL, "hidden");
		if (st->flags & DIMG_STAT_MULTIEXTENT)
			json_str(&c->j, NULL, "multi-extent");
		if (st->flags & DIMG_STAT_ZISOFS)
			json_str(&c->j, NULL, "zisofs");
		if (st->flags & DIMG_STAT_INTERLEAVED)
			json_str(&c->j, NULL, "interleaved");
		if (st->flags & DIMG_STAT_RELOCATED)
			json_str(&c->j, NULL, "relocated");
		if (st->flags & DIMG_STAT_BADNAME)
			json_str(&c->j, NULL, "bad-name");
		json_end_array(&c->j);
		json_end_object(&c->j);
		return;
	}
	if (c->longfmt) {
		/* Hand-formatted: printf dominated the profile of ls -lR. */
		char line[160], *p = line;
		char when[40];
		cli_mode_string(st, p);
		p += 10;
		*p++ = ' ';
		p = put_num(p, st->nlink, 3);
		*p++ = ' ';
		p = put_num(p, st->uid, 5);
		*p++ = ' ';
		p = put_num(p, st->gid, 5);
		*p++ = ' ';
		if (st->type == DIMG_FT_CHARDEV || st->type == DIMG_FT_BLOCKDEV) {
			p = put_num(p, st->rdev_major, 6);
			*p++ = ',';
			p = put_num(p, st->rdev_minor, 4);
		} else {
			p = put_num(p, st->size, 12);
		}
		*p++ = ' ';
		cli_time_iso(st->mtime, when, sizeof(when));
		when[10] = ' ';
		memcpy(p, when, 19);
		p += 19;
		*p++ = ' ';
		fwrite(line, 1, (size_t)(p - line), stdout);
		fputs(path, stdout);
		if (has_target) {
			fputs(" -> ", stdout);
			fputs(target, stdout);
		}
		putchar('\n');
		return;
	}
	puts(path);
}

static int ls_cb(void *ctx, const struct dimg_walk_entry *e)
{
	struct ls_ctx *c = ctx;
	if (e->problem == DIMG_WALK_READ_ERROR) {
		cli_error(c->image, e->error);
		c->problems++;
		return 0;
	}
	print_entry(c, e->path, &e->st);
	if (e->problem == DIMG_WALK_LOOP) {
		cli_errorf(c->image, "%s: directory loop, not descended", e->path);
		c->problems++;
	} else if (e->problem == DIMG_WALK_TOO_DEEP) {
		cli_errorf(c->image, "%s: too deeply nested, not descended", e->path);
		c->problems++;
	}
	return c->recursive ? 0 : DIMG_WALK_SKIP;
}

static int run_ls(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dimg_image *img;
	struct dimg_fs *fs;
	struct dimg_error err;
	struct dimg_stat st;
	struct ls_ctx c;
	int rc = cli_parse(cmd, argc, argv, &a);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	const char *image = a.pos[0];
	const char *path = a.npos > 1 ? a.pos[1] : "/";
	rc = cli_open(cmd, &a, image, &img, &fs);
	if (rc) {
		free(a.pos);
		return rc;
	}
	memset(&c, 0, sizeof(c));
	c.fs = fs;
	c.image = image;
	c.longfmt = cli_flag(cmd, &a, "long");
	c.json = cli_flag(cmd, &a, "json");
	c.recursive = cli_flag(cmd, &a, "recursive");
	c.j.f = stdout;
	c.j.pretty = true;
	c.ext = malloc(LS_MAX_EXTENTS * sizeof(*c.ext));
	dimg_error_clear(&err);
	if (dimg_fs_lookup_path(fs, path, &st, &err) != 0) {
		cli_error(image, &err);
		rc = EXIT_FAIL;
		goto out;
	}
	if (c.json)
		json_begin_array(&c.j, NULL);
	while (*path == '/')
		path++;
	if (st.type != DIMG_FT_DIR) {
		print_entry(&c, path, &st);
	} else {
		/* Paths are printed relative to the listed directory, like tar -t
		 * output for that directory. */
		if (dimg_fs_walk(fs, st.ino, "", 0, ls_cb, &c, &err) != 0) {
			cli_error(image, &err);
			rc = EXIT_FAIL;
		}
	}
	if (c.json) {
		json_end_array(&c.j);
		json_finish(&c.j);
	}
	if (dimg_fs_anomalies(fs))
		fprintf(stderr,
			"dimg: %s: warning: %llu directory record(s) with little- and big-endian "
			"fields that differ; the little-endian values were used\n",
			image, (unsigned long long)dimg_fs_anomalies(fs));
	if (c.problems)
		rc = EXIT_FAIL;
out:
	free(c.ext);
	dimg_fs_close(fs);
	dimg_image_close(img);
	free(a.pos);
	if (fflush(stdout) != 0)
		rc = EXIT_FAIL;
	return rc;
}

const struct cli_cmd cmd_ls = {
	.name = "ls",
	.usage = "[-l] [-R] [--json] IMAGE [PATH]",
	.summary = "List the contents of a directory in the image (default: the root).",
	.description = "Paths are printed relative to PATH.  With --json, each entry has path, "
		       "type, mode,\nsize, mtime (UTC), nlink, uid, gid, ino, target, extents "
		       "and flags.",
	.opts = ls_opts,
	.min_args = 1,
	.max_args = 2,
	.run = run_ls,
};
