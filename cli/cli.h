/* SPDX-License-Identifier: MIT */
/* Shared pieces of the dimg program.  The CLI uses only the public API. */
#ifndef DIMG_CLI_H
#define DIMG_CLI_H

#include "dimg/dimg.h"

#include <stdbool.h>
#include <stdio.h>

/* Exit codes (docs/man/dimg.1). */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

enum opt_kind { OPT_FLAG, OPT_STRING, OPT_INT, OPT_LIST /* repeatable string */ };

struct cli_opt {
	const char *long_name;
	char short_name; /* 0 if none */
	enum opt_kind kind;
	const char *arg_name;
	const char *help;
};

struct cli_cmd {
	const char *name;
	const char *usage;   /* after "dimg NAME " */
	const char *summary;
	const char *description;
	const struct cli_opt *opts; /* terminated by a zeroed entry */
	int min_args, max_args;     /* positional arguments; max -1 = any */
	int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
};

#define CLI_MAX_OPTS 96

#define CLI_MAX_LIST 256

struct cli_args {
	const char *val[CLI_MAX_OPTS];
	int count[CLI_MAX_OPTS];
	const char **list[CLI_MAX_OPTS]; /* OPT_LIST values, count[] of them */
	char **pos;
	int npos;
};

/* Parses argv for cmd; prints help and returns 1 for --help, -1 after a
 * usage message, 0 otherwise. */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a);
void cli_help(const struct cli_cmd *cmd, FILE *f);
/* Index of an option by long name (programming error if absent). */
int cli_opt_index(const struct cli_cmd *cmd, const char *long_name);
bool cli_flag(const struct cli_cmd *cmd, const struct cli_args *a, const char *name);
const char *cli_str(const struct cli_cmd *cmd, const struct cli_args *a, const char *name);

extern const struct cli_cmd *const cli_commands[];

void cli_args_free(struct cli_args *a);

/* Plans (and unless dry_run, writes) an image; prints the plan for
 * dry runs.  Returns an exit code. */
int cli_build_run(struct dimg_builder *b, const char *out, int force, int dry_run, int json,
		  int progress);

/* Diagnostics: "dimg: IMAGE: message (at byte offset N)". */
void cli_error(const char *image, const struct dimg_error *err);
void cli_errorf(const char *image, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Opens IMAGE and, unless fs is NULL, its filesystem honouring the common
 * --format/--view/--session options.  Prints errors; returns exit code. */
int cli_open(const struct cli_cmd *cmd, const struct cli_args *a, const char *path,
	     struct dimg_image **img, struct dimg_fs **fs);

/* Formatting */
void cli_time_iso(int64_t t, char *buf, size_t size);
void cli_mode_string(const struct dimg_stat *st, char out[11]);

/* JSON writer with correct escaping; output goes to a FILE. */
struct json {
	FILE *f;
	int depth;
	bool need_comma[64];
	bool pretty;
};
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_str(struct json *j, const char *key, const char *s);
void json_int(struct json *j, const char *key, int64_t v);
void json_uint(struct json *j, const char *key, uint64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_time(struct json *j, const char *key, int64_t t);
void json_node(struct json *j, const char *key, const struct dimg_node *n);
void json_finish(struct json *j);
/* Human-readable rendering of a report tree. */
void text_node(FILE *f, const struct dimg_node *n, int indent);
void text_child(FILE *f, const struct dimg_node *c, int indent);

/* Progress on stderr when it is a terminal (or forced). */
struct progress {
	bool on;
	uint64_t total, done, files;
	double last;
	const char *label;
};
void progress_init(struct progress *p, const char *label, int force);
/* --progress / --no-progress of cmd as progress_init's force (1, -1, 0). */
int cli_progress_force(const struct cli_cmd *cmd, const struct cli_args *a);
/* A dimg_progress_fn whose ctx is a struct progress. */
void cli_progress_cb(void *ctx, uint64_t done, uint64_t total);
void progress_update(struct progress *p, uint64_t add_bytes, uint64_t add_files);
void progress_end(struct progress *p);

#endif
