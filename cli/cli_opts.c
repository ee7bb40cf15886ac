/* SPDX-License-Identifier: MIT */
/* Option tables drive both getopt_long and --help, so they cannot disagree. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt help_opt = { "help", 'h', OPT_FLAG, NULL, "show this help" };

static int nopts(const struct cli_cmd *cmd)
{
	int n = 0;
	while (cmd->opts && cmd->opts[n].long_name)
		n++;
	return n;
}

int cli_opt_index(const struct cli_cmd *cmd, const char *long_name)
{
	for (int i = 0; cmd->opts && cmd->opts[i].long_name; i++)
		if (!strcmp(cmd->opts[i].long_name, long_name))
			return i;
	fprintf(stderr, "dimg: internal error: option --%s not in table of %s\n", long_name,
		cmd->name);
	abort();
}

bool cli_flag(const struct cli_cmd *cmd, const struct cli_args *a, const char *name)
{
	return a->count[cli_opt_index(cmd, name)] > 0;
}

const char *cli_str(const struct cli_cmd *cmd, const struct cli_args *a, const char *name)
{
	return a->val[cli_opt_index(cmd, name)];
}

void cli_help(const struct cli_cmd *cmd, FILE *f)
{
	int n = nopts(cmd);
	fprintf(f, "Usage: dimg %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
	if (cmd->description)
		fprintf(f, "\n%s\n", cmd->description);
	fprintf(f, "\nOptions:\n");
	for (int i = 0; i <= n; i++) {
		const struct cli_opt *o = i < n ? &cmd->opts[i] : &help_opt;
		char left[64];
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->long_name,
				 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->long_name,
				 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
}

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "dimg %s: ", cmd ? cmd->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'dimg %s --help'.\n", cmd ? cmd->name : "");
	return -1;
}

void cli_args_free(struct cli_args *a)
{
	for (int i = 0; i < CLI_MAX_OPTS; i++)
		free(a->list[i]);
	free(a->pos);
	memset(a, 0, sizeof(*a));
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a)
{
	struct option lo[CLI_MAX_OPTS + 2];
	char so[CLI_MAX_OPTS * 3 + 4];
	int n = nopts(cmd), k = 0, c, idx;
	size_t sp = 0;

	memset(a, 0, sizeof(*a));
	if (n > CLI_MAX_OPTS) {
		fprintf(stderr, "dimg: internal error: %s has more than %d options\n", cmd->name,
			CLI_MAX_OPTS);
		abort();
	}
	so[sp++] = '+'; /* stop at the first positional: POSIX order */
	so[sp++] = ':';
	for (int i = 0; i < n; i++) {
		const struct cli_opt *o = &cmd->opts[i];
		lo[k].name = o->long_name;
		lo[k].has_arg = o->kind == OPT_FLAG ? no_argument : required_argument;
		lo[k].flag = NULL;
		lo[k].val = 256 + i;
		k++;
		if (o->short_name) {
			so[sp++] = o->short_name;
			if (o->kind != OPT_FLAG)
				so[sp++] = ':';
		}
	}
	lo[k++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[k] = (struct option){ 0, 0, 0, 0 };
	so[sp++] = 'h';
	so[sp] = 0;

	optind = 1;
	opterr = 0;
	/* Options may follow positionals (like most tools): permute by hand. */
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	int na = 0;
	if (!args)
		return cli_usage_error(cmd, "out of memory");
	for (;;) {
		idx = -1;
		c = getopt_long(argc, argv, so, lo, NULL);
		if (c == -1) {
			if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
				args[na++] = argv[optind++];
				continue;
			}
			while (optind < argc)
				args[na++] = argv[optind++];
			break;
		}
		if (c == 'h') {
			cli_help(cmd, stdout);
			free(args);
			return 1;
		}
		if (c == '?') {
			if (optopt)
				cli_usage_error(cmd, "unknown option '-%c'", optopt);
			else
				cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
			free(args);
			return -1;
		}
		if (c == ':') {
			cli_usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
			free(args);
			return -1;
		}
		if (c >= 256)
			idx = c - 256;
		else
			for (int i = 0; i < n; i++)
				if (cmd->opts[i].short_name == c)
					idx = i;
		if (idx < 0) {
			free(args);
			return cli_usage_error(cmd, "unknown option");
		}
		if (cmd->opts[idx].kind == OPT_LIST) {
			if (!a->list[idx])
				a->list[idx] = calloc(CLI_MAX_LIST, sizeof(char *));
			if (!a->list[idx] || a->count[idx] >= CLI_MAX_LIST) {
				free(args);
				return cli_usage_error(cmd, "too many --%s options",
						       cmd->opts[idx].long_name);
			}
			a->list[idx][a->count[idx]] = optarg;
		}
		a->count[idx]++;
		a->val[idx] = cmd->opts[idx].kind == OPT_FLAG ? "1" : optarg;
		if (cmd->opts[idx].kind == OPT_INT) {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 0) {
				free(args);
				return cli_usage_error(cmd, "--%s needs a number, not '%s'",
						       cmd->opts[idx].long_name, optarg);
			}
		}
	}
	a->pos = args;
	a->npos = na;
	if (na < cmd->min_args) {
		cli_usage_error(cmd, "missing argument");
		free(args);
		a->pos = NULL;
		return -1;
	}
	if (cmd->max_args >= 0 && na > cmd->max_args) {
		cli_usage_error(cmd, "too many arguments");
		free(args);
		a->pos = NULL;
		return -1;
	}
	return 0;
}
