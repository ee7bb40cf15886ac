/* SPDX-License-Identifier: MIT */
/* dimg info: everything known about an image. */
#include "cli.h"

#include <stdlib.h>

static const struct cli_opt info_opts[] = {
	{ "json", 0, OPT_FLAG, NULL, "print JSON" },
	{ "format", 0, OPT_STRING, "FMT", "force the container format (see dimg formats)" },
	{ 0 },
};

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
		struct json j = { .f = stdout, .pretty = true };
		json_node(&j, NULL, rep);
		json_finish(&j);
	} else {
		text_node(stdout, rep, 0);
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
