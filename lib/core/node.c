/* SPDX-License-Identifier: MIT */
/* Report trees: typed key/value nodes that the CLI prints as text or JSON. */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

struct dimg_node {
	enum dimg_node_type type;
	char *key;
	char *str;
	int64_t num;
	bool failed; /* an allocation below this node failed */
	struct dimg_node *parent, *first, *last, *next;
};

static void mark_failed(struct dimg_node *n)
{
	for (; n; n = n->parent)
		n->failed = true;
}

static struct dimg_node *add(struct dimg_node *parent, const char *key, enum dimg_node_type t)
{
	struct dimg_node *n = calloc(1, sizeof(*n));
	if (!n) {
		mark_failed(parent);
		return NULL;
	}
	n->type = t;
	if (key && !(n->key = strdup(key))) {
		free(n);
		mark_failed(parent);
		return NULL;
	}
	if (parent) {
		n->parent = parent;
		if (parent->last)
			parent->last->next = n;
		else
			parent->first = n;
		parent->last = n;
	}
	return n;
}

/* A NULL parent creates a root.  Adding under a NULL parent that came from a
 * failed allocation is harmless: the caller checks node_failed() once. */
struct dimg_node *node_object(struct dimg_node *parent, const char *key)
{
	return add(parent, key, DIMG_NODE_OBJECT);
}

struct dimg_node *node_array(struct dimg_node *parent, const char *key)
{
	if (!parent)
		return NULL;
	return add(parent, key, DIMG_NODE_ARRAY);
}

void node_strn(struct dimg_node *parent, const char *key, const char *val, size_t len)
{
	struct dimg_node *n;
	if (!parent)
		return;
	if (!val) {
		node_null(parent, key);
		return;
	}
	n = add(parent, key, DIMG_NODE_STRING);
	if (!n)
		return;
	n->str = malloc(len + 1);
	if (!n->str) {
		mark_failed(parent);
		return;
	}
	memcpy(n->str, val, len);
	n->str[len] = 0;
}

void node_str(struct dimg_node *parent, const char *key, const char *val)
{
	node_strn(parent, key, val, val ? strlen(val) : 0);
}

void node_int(struct dimg_node *parent, const char *key, int64_t val)
{
	struct dimg_node *n = parent ? add(parent, key, DIMG_NODE_INT) : NULL;
	if (n)
		n->num = val;
}

void node_bool(struct dimg_node *parent, const char *key, bool val)
{
	struct dimg_node *n = parent ? add(parent, key, DIMG_NODE_BOOL) : NULL;
	if (n)
		n->num = val;
}

void node_time(struct dimg_node *parent, const char *key, int64_t t)
{
	struct dimg_node *n = parent ? add(parent, key, DIMG_NODE_TIME) : NULL;
	if (n)
		n->num = t;
}

void node_null(struct dimg_node *parent, const char *key)
{
	if (parent)
		add(parent, key, DIMG_NODE_NULL);
}

bool node_failed(const struct dimg_node *root)
{
	return !root || root->failed;
}

enum dimg_node_type dimg_node_type(const struct dimg_node *n) { return n ? n->type : DIMG_NODE_NULL; }
const char *dimg_node_key(const struct dimg_node *n) { return n ? n->key : NULL; }
const struct dimg_node *dimg_node_first(const struct dimg_node *n) { return n ? n->first : NULL; }
const struct dimg_node *dimg_node_next(const struct dimg_node *n) { return n ? n->next : NULL; }
int64_t dimg_node_int(const struct dimg_node *n) { return n ? n->num : 0; }
const char *dimg_node_str(const struct dimg_node *n) { return n ? n->str : NULL; }

const struct dimg_node *dimg_node_get(const struct dimg_node *obj, const char *key)
{
	const struct dimg_node *c;
	if (!obj)
		return NULL;
	for (c = obj->first; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

void dimg_node_free(struct dimg_node *n)
{
	/* Iterative over siblings, recursive over depth (bounded by how reports
	 * are built: a handful of levels). */
	while (n) {
		struct dimg_node *next = n->next;
		dimg_node_free(n->first);
		free(n->key);
		free(n->str);
		free(n);
		n = next;
	}
}
