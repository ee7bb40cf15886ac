/* SPDX-License-Identifier: MIT */
/* dimg: the command table and dispatch. */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cmd_info, cmd_ls, cmd_cat, cmd_extract, cmd_formats, cmd_create,
	cmd_mkisofs, cmd_mount, cmd_umount, cmd_convert, cmd_verify, cmd_hash;

const struct cli_cmd *const cli_commands[] = {
	&cmd_info, &cmd_ls, &cmd_cat, &cmd_extract, &cmd_convert, &cmd_verify, &cmd_hash, &cmd_create, &cmd_mkisofs, &cmd_mount, &cmd_umount,
	&cmd_formats, NULL,
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: dimg COMMAND [OPTIONS] ...\n\n"
		   "dimg reads, lists and extracts disc and disk images.\n\nCommands:\n");
	for (int i = 0; cli_commands[i]; i++)
		fprintf(f, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fprintf(f, "\nRun 'dimg COMMAND --help' for the options of a command.\n"
		   "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	/* A closed pipe (dimg ls | head) is not an error worth a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("dimg %s\n", dimg_version());
		return EXIT_OK;
	}
	for (int i = 0; cli_commands[i]; i++)
		if (!strcmp(argv[1], cli_commands[i]->name))
			return cli_commands[i]->run(cli_commands[i], argc - 1, argv + 1);
	fprintf(stderr, "dimg: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
