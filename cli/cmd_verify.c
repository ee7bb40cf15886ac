/* SPDX-License-Identifier: MIT */
/* dimg verify: raw sectors (sync, header, EDC, ECC), subchannel, structures. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* verify's own exit codes (the contract, docs/man/dimg.1) */
#define VERIFY_CORRUPT 2
#define VERIFY_WARNINGS 3

static const struct cli_opt verify_opts[] = {
    {"json", 0, OPT_FLAG, NULL, "print JSON"},
    {"format", 0, OPT_STRING, "FMT", "force the container format"},
    {"progress", 0, OPT_FLAG, NULL, "show progress even when stderr is not a terminal"},
    {"no-progress", 0, OPT_FLAG, NULL, "never show progress"},
    {0},
};

static void print_text(const struct dimg_node *rep)
{
	const struct dimg_node *e = dimg_node_get(rep, "errors");
	const struct dimg_node *w = dimg_node_get(rep, "warnings");
	int64_t nerr = dimg_node_int(dimg_node_get(rep, "error_count"));
	int64_t nwarn = dimg_node_int(dimg_node_get(rep, "warning_count"));
	for (int pass = 0; pass < 2; pass++)
		for (const struct dimg_node *c = dimg_node_first(pass ? w : e); c;
		     c = dimg_node_next(c)) {
			const char *what = pass ? "warning" : "error";
			if (dimg_node_type(c) == DIMG_NODE_STRING) {
				printf("%s: %s\n", what, dimg_node_str(c));
				continue;
			}
			printf("%s: LBA %lld (%s) track %lld:", what,
			       (long long)dimg_node_int(dimg_node_get(c, "lba")),
			       dimg_node_str(dimg_node_get(c, "msf")),
			       (long long)dimg_node_int(dimg_node_get(c, "track")));
			for (const struct dimg_node *p =
				 dimg_node_first(dimg_node_get(c, "problems"));
			     p; p = dimg_node_next(p))
				printf(" %s", dimg_node_str(p));
			printf("\n");
		}
	printf("%lld sectors, %lld raw sectors checked, %lld error(s), %lld warning(s): %s\n",
	       (long long)dimg_node_int(dimg_node_get(rep, "sectors")),
	       (long long)dimg_node_int(dimg_node_get(rep, "raw_sectors_checked")), (long long)nerr,
	       (long long)nwarn, dimg_node_str(dimg_node_get(rep, "status")));
}

static int run_verify(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dimg_image *img;
	struct dimg_node *rep = NULL;
	struct dimg_error err;
	struct progress pr;
	const char *status;
	int rc = cli_parse(cmd, argc, argv, &a);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_FAIL;
	rc = cli_open(cmd, &a, a.pos[0], &img, NULL);
	if (rc) {
		free(a.pos);
		return EXIT_FAIL;
	}
	progress_init(&pr, "verifying", cli_progress_force(cmd, &a));
	dimg_error_clear(&err);
	rc = dimg_verify(img, cli_progress_cb, &pr, &rep, &err);
	progress_end(&pr);
	if (rc) {
		cli_error(a.pos[0], &err);
		dimg_image_close(img);
		free(a.pos);
		return EXIT_FAIL;
	}
	if (cli_flag(cmd, &a, "json")) {
		struct json j = {.f = stdout, .pretty = true};
		json_node(&j, NULL, rep);
		json_finish(&j);
	} else {
		print_text(rep);
	}
	status = dimg_node_str(dimg_node_get(rep, "status"));
	rc = !strcmp(status, "corrupt")	   ? VERIFY_CORRUPT
	     : !strcmp(status, "warnings") ? VERIFY_WARNINGS
					   : EXIT_OK;
	dimg_node_free(rep);
	dimg_image_close(img);
	free(a.pos);
	if (fflush(stdout) != 0)
		rc = EXIT_FAIL;
	return rc;
}

const struct cli_cmd cmd_verify = {
    .name = "verify",
    .usage = "[--json] IMAGE",
    .summary = "Check every raw sector (sync, header, EDC, ECC), the subchannel and the "
	       "file system; exit 0 good, 2 corrupt, 3 warnings only, 1 could not check.",
    .opts = verify_opts,
    .min_args = 1,
    .max_args = 1,
    .run = run_verify,
};
