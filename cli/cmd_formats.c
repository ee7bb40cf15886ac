/* SPDX-License-Identifier: MIT */
/* dimg formats: the driver registry, as text, JSON or the README table. */
#include "cli.h"

#include <stdlib.h>

static const struct cli_opt formats_opts[] = {
	{ "json", 0, OPT_FLAG, NULL, "print JSON" },
	{ "markdown", 0, OPT_FLAG, NULL, "print the Markdown table used in README.md" },
	{ 0 },
};

static const char *kind_name(enum dimg_driver_kind k)
{
	return k == DIMG_DRIVER_CONTAINER ? "container" : "filesystem";
}

static void caps(unsigned f, char *buf)
{
	int n = 0;
	if (f & DIMG_DRIVER_READ)
		n += sprintf(buf + n, "%sread", n ? ", " : "");
	if (f & DIMG_DRIVER_WRITE)
		n += sprintf(buf + n, "%swrite", n ? ", " : "");
	if (f & DIMG_DRIVER_MOUNT)
		n += sprintf(buf + n, "%smount", n ? ", " : "");
	if (!n)
		sprintf(buf, "-");
}

static int run_formats(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dimg_driver_info d;
	char c[32];
	int rc = cli_parse(cmd, argc, argv, &a);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	if (cli_flag(cmd, &a, "json")) {
		struct json j = { .f = stdout, .pretty = true };
		json_begin_array(&j, NULL);
		for (size_t i = 0; dimg_driver_get(i, &d) == 0; i++) {
			json_begin_object(&j, NULL);
			json_str(&j, "name", d.name);
			json_str(&j, "kind", kind_name(d.kind));
			json_str(&j, "aliases", d.aliases);
			json_str(&j, "extensions", d.extensions);
			json_bool(&j, "read", d.flags & DIMG_DRIVER_READ);
			json_bool(&j, "write", d.flags & DIMG_DRIVER_WRITE);
			json_bool(&j, "mount", d.flags & DIMG_DRIVER_MOUNT);
			json_str(&j, "summary", d.summary);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_finish(&j);
	} else if (cli_flag(cmd, &a, "markdown")) {
		printf("| format | kind | extensions | capabilities | description |\n");
		printf("|---|---|---|---|---|\n");
		for (size_t i = 0; dimg_driver_get(i, &d) == 0; i++) {
			caps(d.flags, c);
			printf("| %s | %s | %s | %s | %s |\n", d.name, kind_name(d.kind),
			       d.extensions, c, d.summary);
		}
	} else {
		for (size_t i = 0; dimg_driver_get(i, &d) == 0; i++) {
			caps(d.flags, c);
			printf("%-10s %-10s %-16s %s\n", d.name, kind_name(d.kind), c, d.summary);
		}
	}
	free(a.pos);
	return EXIT_OK;
}

const struct cli_cmd cmd_formats = {
	.name = "formats",
	.usage = "[--json | --markdown]",
	.summary = "List the container and filesystem drivers built into dimg.",
	.opts = formats_opts,
	.min_args = 0,
	.max_args = 0,
	.run = run_formats,
};
