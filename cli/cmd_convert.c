/* SPDX-License-Identifier: MIT */
/* dimg convert: CD images between ISO, BIN/CUE, TOC, CCD and audio files. */
#include "cli.h"

#include <stdlib.h>

static const struct cli_opt convert_opts[] = {
    {"to", 0, OPT_STRING, "FORMAT", "iso, cue, toc, ccd, wav or raw (default: from OUTPUT)"},
    {"split", 0, OPT_FLAG, NULL, "cue: one BIN per track, named \"NAME (Track NN).bin\""},
    {"track", 0, OPT_INT, "N", "wav/raw: the audio track to write"},
    {"with-pregap", 0, OPT_FLAG, NULL, "wav/raw: include the track's pregap"},
    {"lossy", 0, OPT_FLAG, NULL, "convert even when the output cannot hold everything"},
    {"force", 'f', OPT_FLAG, NULL, "replace existing output files"},
    {"json", 0, OPT_FLAG, NULL, "print what was written as JSON"},
    {"format", 0, OPT_STRING, "FMT", "force the input container format"},
    {"progress", 0, OPT_FLAG, NULL, "show progress even when stderr is not a terminal"},
    {"no-progress", 0, OPT_FLAG, NULL, "never show progress"},
    {0},
};

static int run_convert(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dimg_image *img;
	struct dimg_node *sum = NULL;
	struct dimg_error err;
	struct dimg_convert_options o = {0};
	struct progress pr;
	const char *track;
	int rc = cli_parse(cmd, argc, argv, &a);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	o.to = cli_str(cmd, &a, "to");
	o.split = cli_flag(cmd, &a, "split");
	o.with_pregap = cli_flag(cmd, &a, "with-pregap");
	o.lossy = cli_flag(cmd, &a, "lossy");
	o.force = cli_flag(cmd, &a, "force");
	if ((track = cli_str(cmd, &a, "track")))
		o.track = atoi(track);
	rc = cli_open(cmd, &a, a.pos[0], &img, NULL);
	if (rc) {
		free(a.pos);
		return rc;
	}
	progress_init(&pr, "converting", cli_progress_force(cmd, &a));
	o.progress = cli_progress_cb;
	o.progress_ctx = &pr;
	dimg_error_clear(&err);
	rc = dimg_convert(img, a.pos[1], &o, &sum, &err);
	progress_end(&pr);
	if (rc) {
		cli_error(a.pos[0], &err);
		rc = EXIT_FAIL;
	} else if (cli_flag(cmd, &a, "json")) {
		struct json j = {.f = stdout, .pretty = true};
		json_node(&j, NULL, sum);
		json_finish(&j);
	}
	dimg_node_free(sum);
	dimg_image_close(img);
	free(a.pos);
	return rc;
}

const struct cli_cmd cmd_convert = {
    .name = "convert",
    .usage = "[--to FORMAT] [options] INPUT OUTPUT",
    .summary = "Convert a CD image: ISO, BIN/CUE, TOC, CCD/IMG/SUB, WAV or raw audio.",
    .description = "Writes OUTPUT (and the data files it names, next to it) from INPUT. Track "
		   "modes, pregaps, indexes, flags, ISRC, catalog and CD-TEXT are kept; a plain "
		   "ISO becomes a Mode 1 track of raw sectors with EDC and ECC. When OUTPUT cannot "
		   "hold everything INPUT has, dimg lists what would be lost and refuses unless "
		   "--lossy is given.",
    .opts = convert_opts,
    .min_args = 2,
    .max_args = 2,
    .run = run_convert,
};
