/* SPDX-License-Identifier: MIT */
/* dimg mount / dimg umount */
#include "cli.h"
#include "mount_main.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct cli_opt mount_opts[] = {
	{ "foreground", 'f', OPT_FLAG, NULL, "stay in the foreground (errors on stderr)" },
	{ "options", 'o', OPT_STRING, "OPTS", "FUSE mount options, e.g. allow_other" },
	{ "view", 0, OPT_STRING, "VIEW", "rr, joliet, plain or iso1999 (default: best)" },
	{ "session", 0, OPT_INT, "N", "mount session N (default: the newest)" },
	{ "boot", 0, OPT_FLAG, NULL, "show El Torito boot images in /.boot" },
	{ "audio", 0, OPT_FLAG, NULL, "show audio tracks as .wav files (CD images)" },
	{ "track", 0, OPT_INT, "N", "mount the data track N (CD images)" },
	{ "debug", 0, OPT_FLAG, NULL, "print every FUSE request (implies -f)" },
	{ 0 },
};

static int run_mount(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct mnt_options o;
	int rc = cli_parse(cmd, argc, argv, &a);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	memset(&o, 0, sizeof(o));
	o.image = a.pos[0];
	o.mountpoint = a.pos[1];
	o.fuse_opts = cli_str(cmd, &a, "options");
	o.foreground = cli_flag(cmd, &a, "foreground") || cli_flag(cmd, &a, "debug");
	o.debug = cli_flag(cmd, &a, "debug");
	o.boot = cli_flag(cmd, &a, "boot");
	o.audio = cli_flag(cmd, &a, "audio");
	if (cli_str(cmd, &a, "session"))
		o.session = atoi(cli_str(cmd, &a, "session"));
	if (cli_str(cmd, &a, "view") && dimg_view_parse(cli_str(cmd, &a, "view"), &o.view) != 0) {
		cli_usage_error(cmd, "unknown view '%s'", cli_str(cmd, &a, "view"));
		cli_args_free(&a);
		return EXIT_USAGE;
	}
	if (cli_str(cmd, &a, "track"))
		o.track = atoi(cli_str(cmd, &a, "track"));
	rc = mnt_run(&o) ? EXIT_FAIL : EXIT_OK;
	cli_args_free(&a);
	return rc;
}

static int run_umount(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int rc = cli_parse(cmd, argc, argv, &a), status;
	pid_t pid;
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	pid = fork();
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "--", a.pos[0], (char *)NULL);
		fprintf(stderr, "dimg: fusermount3: not found (install fuse3)\n");
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		cli_errorf(a.pos[0], "cannot run fusermount3");
		cli_args_free(&a);
		return EXIT_FAIL;
	}
	cli_args_free(&a);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? EXIT_OK : EXIT_FAIL;
}

const struct cli_cmd cmd_mount = {
	.name = "mount",
	.usage = "[-f] [-o OPTS] IMAGE MOUNTPOINT",
	.summary = "Mount an image read-only through FUSE (returns once the mount is ready).",
	.description = "Unmount with 'dimg umount MOUNTPOINT'.  Failing reads return EIO and are "
		       "logged\n(stderr with -f, otherwise syslog).",
	.opts = mount_opts,
	.min_args = 2,
	.max_args = 2,
	.run = run_mount,
};

static const struct cli_opt umount_opts[] = { { 0 } };

const struct cli_cmd cmd_umount = {
	.name = "umount",
	.usage = "MOUNTPOINT",
	.summary = "Unmount a dimg mount (fusermount3 -u).",
	.opts = umount_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_umount,
};
