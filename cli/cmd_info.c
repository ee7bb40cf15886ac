/* SPDX-License-Identifier: MIT */
/* dimg info: everything known about an image. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt info_opts[] = {
    {"json", 0, OPT_FLAG, NULL, "print JSON"},
    {"format", 0, OPT_STRING, "FMT", "force the container format (see dimg formats)"},
    {0},
};

/* A CD's sessions as a track table (cd-info style), one line per track. */
static void print_tracks(FILE *f, const struct dimg_node *sessions)
{
	for (const struct dimg_node *s = dimg_node_first(sessions); s; s = dimg_node_next(s)) {
		fprintf(f, "session %lld:\n", (long long)dimg_node_int(dimg_node_get(s, "number")));
		fprintf(f, "  %-3s %-11s %8s %-9s %8s %6s  %s\n", "#", "mode", "start", "msf",
			"length", "pregap", "indexes / flags / isrc");
		for (const struct dimg_node *t = dimg_node_first(dimg_node_get(s, "tracks")); t;
		     t = dimg_node_next(t)) {
			const struct dimg_node *x;
			fprintf(f, "  %-3lld %-11s %8lld %-9s %8lld %6lld ",
				(long long)dimg_node_int(dimg_node_get(t, "number")),
				dimg_node_str(dimg_node_get(t, "mode")),
				(long long)dimg_node_int(dimg_node_get(t, "start")),
				dimg_node_str(dimg_node_get(t, "start_msf")),
				(long long)dimg_node_int(dimg_node_get(t, "length")),
				(long long)dimg_node_int(dimg_node_get(t, "pregap")));
			for (x = dimg_node_first(dimg_node_get(t, "indexes")); x;
			     x = dimg_node_next(x))
				fprintf(f, " %02lld@%lld",
					(long long)dimg_node_int(dimg_node_get(x, "number")),
					(long long)dimg_node_int(dimg_node_get(x, "lba")));
			for (x = dimg_node_first(dimg_node_get(t, "flags")); x;
			     x = dimg_node_next(x))
				fprintf(f, " %s", dimg_node_str(x));
			if ((x = dimg_node_get(t, "isrc")))
				fprintf(f, " ISRC %s", dimg_node_str(x));
			if ((x = dimg_node_get(t, "subchannel")))
				fprintf(f, " +%s", dimg_node_str(x));
			fputc('\n', f);
			if ((x = dimg_node_get(t, "cdtext")))
				text_node(f, x, 6);
		}
	}
}

/* True when the CD-TEXT blocks say nothing the disc's and tracks' cdtext
 * lines do not: block 0 alone, decoded, English, single-byte, no genre code,
 * no copyright flags. */
static bool blocks_plain(const struct dimg_node *blocks)
{
	const struct dimg_node *b = dimg_node_first(blocks);
	if (!b || dimg_node_next(b))
		return false;
	return dimg_node_int(dimg_node_get(b, "decoded")) &&
	       !strcmp(dimg_node_str(dimg_node_get(b, "language")), "English") &&
	       dimg_node_int(dimg_node_get(b, "charset_code")) < 0x80 &&
	       !dimg_node_int(dimg_node_get(b, "copyright")) && !dimg_node_get(b, "genre_code");
}

/* The disc object; CD-TEXT blocks only when they add something. */
static void print_disc(FILE *f, const struct dimg_node *disc)
{
	fprintf(f, "%s:\n", dimg_node_key(disc));
	for (const struct dimg_node *c = dimg_node_first(disc); c; c = dimg_node_next(c)) {
		if (!strcmp(dimg_node_key(c), "cdtext_blocks") && blocks_plain(c))
			continue;
		text_child(f, c, 2);
	}
}

static int run_info(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dimg_image *img;
	struct dimg_node *rep;
	struct dimg_error err;
	int rc = cli_parse(cmd, argc, argv, &a);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	const char *path = a.pos[0];
	rc = cli_open(cmd, &a, path, &img, NULL);
	if (rc) {
		free(a.pos);
		return rc;
	}
	dimg_error_clear(&err);
	if (dimg_image_report(img, &rep, &err) != 0) {
		cli_error(path, &err);
		dimg_image_close(img);
		free(a.pos);
		return EXIT_FAIL;
	}
	if (cli_flag(cmd, &a, "json")) {
		struct json j = {.f = stdout, .pretty = true};
		json_node(&j, NULL, rep);
		json_finish(&j);
	} else {
		for (const struct dimg_node *c = dimg_node_first(rep); c; c = dimg_node_next(c)) {
			const struct dimg_node *s = dimg_node_first(c);
			if (!strcmp(dimg_node_key(c), "sessions") && s &&
			    dimg_node_get(s, "tracks"))
				print_tracks(stdout, c);
			else if (!strcmp(dimg_node_key(c), "disc") && dimg_node_first(c) &&
				 dimg_node_get(c, "cdtext_blocks"))
				print_disc(stdout, c);
			else
				text_child(stdout, c, 0);
		}
	}
	dimg_node_free(rep);
	dimg_image_close(img);
	free(a.pos);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

const struct cli_cmd cmd_info = {
    .name = "info",
    .usage = "[--json] IMAGE",
    .summary = "Show what an image holds: format, size, volume descriptors, views, "
	       "sessions, boot catalog, partition tables.",
    .opts = info_opts,
    .min_args = 1,
    .max_args = 1,
    .run = run_info,
};
