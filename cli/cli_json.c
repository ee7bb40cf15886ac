/* SPDX-License-Identifier: MIT */
/* JSON and text rendering.  Strings are escaped per RFC 8259; bytes that are
 * not valid UTF-8 are written as U+FFFD so the output always parses. */
#include "cli.h"

#include <string.h>

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	while (*p) {
		unsigned c = *p;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc((int)c, f);
			p++;
		} else if (c < 0x20) {
			fprintf(f, "\\u%04x", c);
			p++;
		} else if (c < 0x80) {
			fputc((int)c, f);
			p++;
		} else {
			int n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
			bool ok = n > 0;
			for (int i = 1; ok && i < n; i++)
				ok = (p[i] & 0xC0) == 0x80;
			if (ok) {
				fwrite(p, 1, (size_t)n, f);
				p += n;
			} else {
				fputs("\\ufffd", f);
				p++;
			}
		}
	}
	fputc('"', f);
}

static void key(struct json *j, const char *k)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (j->depth > 0)
		indent(j);
	if (k) {
		put_string(j->f, k);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

void json_begin_object(struct json *j, const char *k)
{
	key(j, k);
	fputc('{', j->f);
	if (j->depth < 63)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void json_end_object(struct json *j)
{
	bool had = j->need_comma[j->depth];
	j->depth--;
	if (had)
		indent(j);
	fputc('}', j->f);
}

void json_begin_array(struct json *j, const char *k)
{
	key(j, k);
	fputc('[', j->f);
	if (j->depth < 63)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void json_end_array(struct json *j)
{
	bool had = j->need_comma[j->depth];
	j->depth--;
	if (had)
		indent(j);
	fputc(']', j->f);
}

void json_str(struct json *j, const char *k, const char *s)
{
	if (!s) {
		json_null(j, k);
		return;
	}
	key(j, k);
	put_string(j->f, s);
}

void json_int(struct json *j, const char *k, int64_t v)
{
	key(j, k);
	fprintf(j->f, "%lld", (long long)v);
}

void json_uint(struct json *j, const char *k, uint64_t v)
{
	key(j, k);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_bool(struct json *j, const char *k, bool v)
{
	key(j, k);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *k)
{
	key(j, k);
	fputs("null", j->f);
}

void json_time(struct json *j, const char *k, int64_t t)
{
	char buf[40];
	cli_time_iso(t, buf, sizeof(buf));
	json_str(j, k, buf);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
}

void json_node(struct json *j, const char *k, const struct dimg_node *n)
{
	const struct dimg_node *c;
	switch (dimg_node_type(n)) {
	case DIMG_NODE_NULL: json_null(j, k); break;
	case DIMG_NODE_BOOL: json_bool(j, k, dimg_node_int(n) != 0); break;
	case DIMG_NODE_INT: json_int(j, k, dimg_node_int(n)); break;
	case DIMG_NODE_STRING: json_str(j, k, dimg_node_str(n)); break;
	case DIMG_NODE_TIME: json_time(j, k, dimg_node_int(n)); break;
	case DIMG_NODE_OBJECT:
		json_begin_object(j, k);
		for (c = dimg_node_first(n); c; c = dimg_node_next(c))
			json_node(j, dimg_node_key(c), c);
		json_end_object(j);
		break;
	case DIMG_NODE_ARRAY:
		json_begin_array(j, k);
		for (c = dimg_node_first(n); c; c = dimg_node_next(c))
			json_node(j, NULL, c);
		json_end_array(j);
		break;
	}
}

static void text_scalar(FILE *f, const struct dimg_node *n)
{
	char buf[40];
	switch (dimg_node_type(n)) {
	case DIMG_NODE_NULL: fputs("-", f); break;
	case DIMG_NODE_BOOL: fputs(dimg_node_int(n) ? "yes" : "no", f); break;
	case DIMG_NODE_INT: fprintf(f, "%lld", (long long)dimg_node_int(n)); break;
	case DIMG_NODE_STRING: fputs(dimg_node_str(n), f); break;
	case DIMG_NODE_TIME:
		cli_time_iso(dimg_node_int(n), buf, sizeof(buf));
		fputs(buf, f);
		break;
	default: break;
	}
}

static bool scalar(const struct dimg_node *n)
{
	return dimg_node_type(n) != DIMG_NODE_OBJECT && dimg_node_type(n) != DIMG_NODE_ARRAY;
}

void text_child(FILE *f, const struct dimg_node *c, int ind)
{
	const char *k = dimg_node_key(c);
	if (scalar(c)) {
		fprintf(f, "%*s", ind, "");
		if (k)
			fprintf(f, "%-*s ", ind < 24 ? 24 - ind : 1, k);
		else
			fputs("- ", f);
		text_scalar(f, c);
		fputc('\n', f);
		return;
	}
	if (k) {
		if (!dimg_node_first(c)) {
			fprintf(f, "%*s%-*s %s\n", ind, "", ind < 24 ? 24 - ind : 1, k,
				dimg_node_type(c) == DIMG_NODE_ARRAY ? "(none)" : "");
			return;
		}
		fprintf(f, "%*s%s:\n", ind, "", k);
	} else {
		fprintf(f, "%*s-\n", ind, "");
	}
	text_node(f, c, ind + 2);
}

void text_node(FILE *f, const struct dimg_node *n, int ind)
{
	for (const struct dimg_node *c = dimg_node_first(n); c; c = dimg_node_next(c))
		text_child(f, c, ind);
}
