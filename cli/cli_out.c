/* SPDX-License-Identifier: MIT */
/* Diagnostics, opening images with the common options, formatting. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cli_error(const char *image, const struct dimg_error *err)
{
	const char *msg = err->message[0] ? err->message : dimg_strerror(err->code);
	if (err->offset >= 0)
		fprintf(stderr, "dimg: %s: %s (at byte offset %lld)\n", image, msg,
			(long long)err->offset);
	else
		fprintf(stderr, "dimg: %s: %s\n", image, msg);
}

void cli_errorf(const char *image, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "dimg: %s: ", image);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int opt_or(const struct cli_cmd *cmd, const char *name)
{
	for (int i = 0; cmd->opts && cmd->opts[i].long_name; i++)
		if (!strcmp(cmd->opts[i].long_name, name))
			return i;
	return -1;
}

int cli_open(const struct cli_cmd *cmd, const struct cli_args *a, const char *path,
	     struct dimg_image **img, struct dimg_fs **fs)
{
	struct dimg_error err;
	struct dimg_open_options oo = { 0 };
	struct dimg_fs_options fo = { 0 };
	int i;
	dimg_error_clear(&err);
	if ((i = opt_or(cmd, "format")) >= 0 && a->val[i])
		oo.format = a->val[i];
	if ((i = opt_or(cmd, "view")) >= 0 && a->val[i] &&
	    dimg_view_parse(a->val[i], &fo.view) != 0) {
		cli_usage_error(cmd, "unknown view '%s' (rr, joliet, plain, iso1999)", a->val[i]);
		return EXIT_USAGE;
	}
	if ((i = opt_or(cmd, "session")) >= 0 && a->val[i])
		fo.session = atoi(a->val[i]);
	if ((i = opt_or(cmd, "track")) >= 0 && a->val[i])
		fo.track = atoi(a->val[i]);
	if (dimg_image_open(img, path, &oo, &err) != 0) {
		cli_error(path, &err);
		return EXIT_FAIL;
	}
	if (!fs)
		return EXIT_OK;
	if (dimg_fs_open(fs, *img, &fo, &err) != 0) {
		cli_error(path, &err);
		dimg_image_close(*img);
		*img = NULL;
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

void cli_time_iso(int64_t t, char *buf, size_t size)
{
	dimg_time_format(t, buf, size);
}

void cli_mode_string(const struct dimg_stat *st, char out[11])
{
	static const char types[] = { '?', '-', 'd', 'l', 'c', 'b', 'p', 's' };
	uint32_t m = st->mode;
	out[0] = (unsigned)st->type < sizeof(types) ? types[st->type] : '?';
	out[1] = (m & 0400) ? 'r' : '-';
	out[2] = (m & 0200) ? 'w' : '-';
	out[3] = (m & 04000) ? ((m & 0100) ? 's' : 'S') : ((m & 0100) ? 'x' : '-');
	out[4] = (m & 040) ? 'r' : '-';
	out[5] = (m & 020) ? 'w' : '-';
	out[6] = (m & 02000) ? ((m & 010) ? 's' : 'S') : ((m & 010) ? 'x' : '-');
	out[7] = (m & 04) ? 'r' : '-';
	out[8] = (m & 02) ? 'w' : '-';
	out[9] = (m & 01000) ? ((m & 01) ? 't' : 'T') : ((m & 01) ? 'x' : '-');
	out[10] = 0;
}

/* ---- progress ------------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cli_progress_force(const struct cli_cmd *cmd, const struct cli_args *a)
{
	return cli_flag(cmd, a, "progress") ? 1 : cli_flag(cmd, a, "no-progress") ? -1 : 0;
}

void cli_progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	p->total = total;
	progress_update(p, done - p->done, 0);
}

void progress_init(struct progress *p, const char *label, int force)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->on = force > 0 || (force == 0 && isatty(STDERR_FILENO));
	p->last = now();
}

static void human(uint64_t v, char *buf, size_t size)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int i = 0;
	while (d >= 1024 && i < 4) {
		d /= 1024;
		i++;
	}
	snprintf(buf, size, i ? "%.1f %s" : "%.0f %s", d, u[i]);
}

static void draw(struct progress *p)
{
	char done[32], total[32];
	human(p->done, done, sizeof(done));
	if (p->total) {
		int pct = (int)(p->done * 100 / p->total), bar = pct / 4;
		human(p->total, total, sizeof(total));
		fprintf(stderr, "\r%s [%-25.*s] %3d%% %s / %s, %llu files ", p->label, bar,
			"#########################", pct, done, total, (unsigned long long)p->files);
	} else {
		fprintf(stderr, "\r%s %s, %llu files ", p->label, done,
			(unsigned long long)p->files);
	}
}

void progress_update(struct progress *p, uint64_t add_bytes, uint64_t add_files)
{
	double t;
	p->done += add_bytes;
	p->files += add_files;
	if (!p->on)
		return;
	t = now();
	if (t - p->last < 0.1)
		return;
	p->last = t;
	draw(p);
}

void progress_end(struct progress *p)
{
	if (!p->on)
		return;
	draw(p);
	fputc('\n', stderr);
}
