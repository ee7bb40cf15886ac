/* SPDX-License-Identifier: MIT */
/* dimg hash: CRC32/MD5/SHA-1/SHA-256 of an image, whole and per track. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt hash_opts[] = {
    {"json", 0, OPT_FLAG, NULL, "print JSON"},
    {"algo", 0, OPT_STRING, "LIST",
     "comma-separated: crc32,md5,sha1,sha256 "
     "(default crc32,md5,sha1)"},
    {"per-track", 0, OPT_FLAG, NULL, "hash each track's bytes (as Redump does)"},
    {"format", 0, OPT_STRING, "FMT", "force the container format"},
    {"progress", 0, OPT_FLAG, NULL, "show progress even when stderr is not a terminal"},
    {"no-progress", 0, OPT_FLAG, NULL, "never show progress"},
    {0},
};

static const char *const names[] = {"crc32", "md5", "sha1", "sha256"};

static int parse_algos(const struct cli_cmd *cmd, const char *s, unsigned *out)
{
	*out = 0;
	while (s && *s) {
		size_t n = strcspn(s, ",");
		unsigned bit = 0;
		for (unsigned i = 0; i < 4; i++)
			if (strlen(names[i]) == n && !strncmp(s, names[i], n))
				bit = 1u << i;
		if (!bit)
			return cli_usage_error(cmd,
					       "unknown algorithm '%.*s' (crc32, md5, sha1, "
					       "sha256)",
					       (int)n, s);
		*out |= bit;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static void print_line(const struct dimg_node *o, const char *label)
{
	printf("%-12s %12lld", label, (long long)dimg_node_int(dimg_node_get(o, "size")));
	for (unsigned i = 0; i < 4; i++) {
		const struct dimg_node *v = dimg_node_get(o, names[i]);
		if (v)
			printf("  %s %s", names[i], dimg_node_str(v));
	}
	printf("\n");
}

static int run_hash(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dimg_image *img;
	struct dimg_node *rep = NULL;
	struct dimg_error err;
	struct progress pr;
	const char *list;
	unsigned algos;
	int rc = cli_parse(cmd, argc, argv, &a);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	list = cli_str(cmd, &a, "algo");
	if (parse_algos(cmd, list ? list : "crc32,md5,sha1", &algos) || !algos) {
		free(a.pos);
		return EXIT_USAGE;
	}
	rc = cli_open(cmd, &a, a.pos[0], &img, NULL);
	if (rc) {
		free(a.pos);
		return rc;
	}
	progress_init(&pr, "hashing", cli_progress_force(cmd, &a));
	dimg_error_clear(&err);
	rc =
	    dimg_hash(img, algos, cli_flag(cmd, &a, "per-track"), cli_progress_cb, &pr, &rep, &err);
	progress_end(&pr);
	if (rc) {
		cli_error(a.pos[0], &err);
		rc = EXIT_FAIL;
	} else if (cli_flag(cmd, &a, "json")) {
		struct json j = {.f = stdout, .pretty = true};
		json_node(&j, NULL, rep);
		json_finish(&j);
	} else {
		print_line(rep, "image");
		for (const struct dimg_node *t = dimg_node_first(dimg_node_get(rep, "tracks")); t;
		     t = dimg_node_next(t)) {
			char label[32];
			snprintf(label, sizeof(label), "track %02lld",
				 (long long)dimg_node_int(dimg_node_get(t, "number")));
			print_line(t, label);
		}
	}
	dimg_node_free(rep);
	dimg_image_close(img);
	free(a.pos);
	if (rc == 0 && fflush(stdout) != 0)
		rc = EXIT_FAIL;
	return rc;
}

const struct cli_cmd cmd_hash = {
    .name = "hash",
    .usage = "[--json] [--algo crc32,md5,sha1,sha256] [--per-track] IMAGE",
    .summary = "Hash an image's data in one pass, whole and per track (Redump style).",
    .opts = hash_opts,
    .min_args = 1,
    .max_args = 1,
    .run = run_hash,
};
