/* SPDX-License-Identifier: MIT */
/* The FUSE callbacks driven with fake requests: no mount, no /dev/fuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mount_ops.h"
#include "synth_iso.h"

/* what the callbacks replied */
static struct {
	int err;
	struct fuse_entry_param entry;
	struct stat attr;
	char buf[65536];
	size_t buflen;
	char link[4096];
	char names[64][64];
	int nnames;
	int logged;
	size_t xattr;
} got;

static int f_err(fuse_req_t r, int e) { (void)r; got.err = e; return 0; }
static int f_entry(fuse_req_t r, const struct fuse_entry_param *e) { (void)r; got.entry = *e; return 0; }
static int f_attr(fuse_req_t r, const struct stat *st, double t) { (void)r; (void)t; got.attr = *st; return 0; }
static int f_buf(fuse_req_t r, const char *b, size_t n)
{
	(void)r;
	memcpy(got.buf, b, n < sizeof(got.buf) ? n : sizeof(got.buf));
	got.buflen = n;
	return 0;
}
static int f_data(fuse_req_t r, int fd, off_t off, size_t n)
{
	(void)r;
	ssize_t k = pread(fd, got.buf, n < sizeof(got.buf) ? n : sizeof(got.buf), off);
	got.buflen = k > 0 ? (size_t)k : 0;
	return 0;
}
static int f_readlink(fuse_req_t r, const char *l) { (void)r; snprintf(got.link, sizeof(got.link), "%s", l); return 0; }
static int f_open(fuse_req_t r, const struct fuse_file_info *fi) { (void)r; (void)fi; return 0; }
static int f_statfs(fuse_req_t r, const struct statvfs *st) { (void)r; (void)st; return 0; }
static int f_xattr(fuse_req_t r, size_t n) { (void)r; got.xattr = n; return 0; }
static size_t f_add(fuse_req_t r, char *buf, size_t bs, const char *name, const struct stat *st,
		    off_t off)
{
	(void)r; (void)buf; (void)st; (void)off;
	if (bs < 64)
		return 64;
	if (got.nnames < 64)
		snprintf(got.names[got.nnames++], 64, "%s", name);
	return 64;
}
static size_t f_add_plus(fuse_req_t r, char *buf, size_t bs, const char *name,
			 const struct fuse_entry_param *e, off_t off)
{
	return f_add(r, buf, bs, name, &e->attr, off);
}

static const struct mnt_reply fake = {
	.err = f_err, .entry = f_entry, .attr = f_attr, .buf = f_buf, .data = f_data,
	.readlink = f_readlink,
	.open = f_open, .statfs = f_statfs, .xattr = f_xattr, .add_direntry = f_add,
	.add_direntry_plus = f_add_plus,
};

static void log_cb(const char *msg) { (void)msg; got.logged++; }

#define ROOT 18u

/* root: "hello" (Rock Ridge name, 0640), a symlink, and "broken" whose
 * extent lies past the end of the image */
static void make_image(struct synth *s)
{
	uint8_t sua[255], *root;
	size_t pos, n;
	synth_init(s, 24);
	synth_pvd(s, ROOT, SYN_SEC);
	root = synth_block(s, ROOT);
	n = susp_sp(sua, 0);
	n = susp_px(sua, n, 040755, 2, 0, 0, 1);
	pos = synth_dots(root, ROOT, SYN_SEC, ROOT, SYN_SEC, sua, n);
	n = susp_px(sua, 0, 0100640, 1, 1000, 1000, 2);
	n = susp_nm(sua, n, 0, "hello");
	pos += synth_record(root + pos, 20, 6, 0, "HELLO;1", 7, sua, n);
	memcpy(synth_block(s, 20), "hello\n", 6);
	n = susp_px(sua, 0, 0120777, 1, 0, 0, 3);
	{
		uint8_t sl[16] = { 0, 0, 5, 'h', 'e', 'l', 'l', 'o' };
		n = susp_add(sua, n, "SL", sl, 8);
	}
	n = susp_nm(sua, n, 0, "link");
	pos += synth_record(root + pos, 0, 0, 0, "LINK;1", 6, sua, n);
	n = susp_px(sua, 0, 0100644, 1, 0, 0, 4);
	n = susp_nm(sua, n, 0, "broken");
	synth_record(root + pos, 900000, 4096, 0, "BROKEN;1", 8, sua, n);
}

struct ctx {
	struct synth s;
	struct dimg_image *img;
	struct dimg_fs *fs;
	struct mnt m;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct dimg_error err;
	dimg_error_clear(&err);
	make_image(&c->s);
	assert_int_equal(dimg_image_open_memory(&c->img, c->s.buf, c->s.size, NULL, &err), 0);
	assert_int_equal(dimg_fs_open(&c->fs, c->img, NULL, &err), 0);
	assert_int_equal(mnt_init(&c->m, c->img, c->fs, "synthetic.iso", false, false), 0);
	c->m.r = &fake;
	c->m.log = log_cb;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	mnt_destroy(&c->m);
	dimg_fs_close(c->fs);
	dimg_image_close(c->img);
	synth_free(&c->s);
	free(c);
	return 0;
}

static void test_lookup_getattr_read(void **state)
{
	struct ctx *c = *state;
	memset(&got, 0, sizeof(got));
	mnt_lookup(&c->m, NULL, FUSE_ROOT_ID, "hello");
	assert_int_equal(got.err, 0);
	assert_true(S_ISREG(got.entry.attr.st_mode));
	assert_int_equal(got.entry.attr.st_mode & 07777, 0640);
	assert_int_equal(got.entry.attr.st_uid, 1000);
	assert_int_equal(got.entry.attr.st_size, 6);
	fuse_ino_t ino = got.entry.ino;
	mnt_getattr(&c->m, NULL, ino);
	assert_int_equal(got.attr.st_size, 6);
	mnt_read(&c->m, NULL, ino, 100, 1);
	assert_int_equal(got.buflen, 5);
	assert_memory_equal(got.buf, "ello\n", 5);
	/* past the end: an empty reply, not an error */
	mnt_read(&c->m, NULL, ino, 100, 6);
	assert_int_equal(got.buflen, 0);
	memset(&got, 0, sizeof(got));
	mnt_lookup(&c->m, NULL, FUSE_ROOT_ID, "nope");
	assert_int_equal(got.err, ENOENT);
}

static void test_readdir_and_links(void **state)
{
	struct ctx *c = *state;
	memset(&got, 0, sizeof(got));
	mnt_readdir(&c->m, NULL, FUSE_ROOT_ID, 65536, 0, true);
	assert_int_equal(got.nnames, 5);
	assert_string_equal(got.names[0], ".");
	assert_string_equal(got.names[1], "..");
	/* index order: sorted names */
	assert_string_equal(got.names[2], "broken");
	assert_string_equal(got.names[3], "hello");
	assert_string_equal(got.names[4], "link");
	/* resuming at an offset continues after it */
	memset(&got, 0, sizeof(got));
	mnt_readdir(&c->m, NULL, FUSE_ROOT_ID, 65536, 3, false);
	assert_int_equal(got.nnames, 2);
	assert_string_equal(got.names[0], "hello");
	memset(&got, 0, sizeof(got));
	mnt_lookup(&c->m, NULL, FUSE_ROOT_ID, "link");
	assert_true(S_ISLNK(got.entry.attr.st_mode));
	mnt_readlink(&c->m, NULL, got.entry.ino);
	assert_string_equal(got.link, "hello");
}

static void test_eio_is_logged_not_fatal(void **state)
{
	struct ctx *c = *state;
	memset(&got, 0, sizeof(got));
	mnt_lookup(&c->m, NULL, FUSE_ROOT_ID, "broken");
	assert_int_equal(got.err, 0);
	mnt_read(&c->m, NULL, got.entry.ino, 4096, 0);
	assert_int_equal(got.err, EIO);
	assert_int_equal(got.logged, 1);
	/* the mount goes on answering */
	memset(&got, 0, sizeof(got));
	mnt_lookup(&c->m, NULL, FUSE_ROOT_ID, "hello");
	assert_int_equal(got.err, 0);
}

static void test_xattrs_and_readonly(void **state)
{
	struct ctx *c = *state;
	struct fuse_file_info fi;
	memset(&got, 0, sizeof(got));
	mnt_lookup(&c->m, NULL, FUSE_ROOT_ID, "hello");
	fuse_ino_t ino = got.entry.ino;
	mnt_getxattr(&c->m, NULL, ino, "user.dimg.extents", 4096);
	assert_int_equal(got.err, 0);
	got.buf[got.buflen] = 0;
	assert_string_equal(got.buf, "20+6");
	memset(&got, 0, sizeof(got));
	mnt_getxattr(&c->m, NULL, ino, "user.other", 4096);
	assert_int_equal(got.err, ENODATA);
	memset(&fi, 0, sizeof(fi));
	fi.flags = O_RDWR;
	mnt_open(&c->m, NULL, ino, &fi);
	assert_int_equal(got.err, EROFS);
}

/* The read size keeps libfuse's splice path: data, header and three pages
 * of slack fit in a pipe an unprivileged process may have. */
static void test_max_read_fits_the_pipe_limit(void **state)
{
	unsigned long pmax = 1048576;
	unsigned r = mnt_max_read();
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	(void)state;
	if (f) {
		assert_int_equal(fscanf(f, "%lu", &pmax), 1);
		fclose(f);
	}
	assert_int_equal(r % 4096u, 0);
	assert_true(r >= MNT_MIN_READ && r <= MNT_MAX_READ);
	if (pmax >= MNT_MIN_READ + 16384u)
		assert_true(r + 3u * 4096u + 16u <= pmax);
	if (pmax >= MNT_MAX_READ + 16384u)
		assert_int_equal(r, MNT_MAX_READ);
	else if (pmax >= MNT_MIN_READ + 16384u)
		assert_true(r + 16384u + 4096u > pmax); /* not needlessly small */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookup_getattr_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readdir_and_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eio_is_logged_not_fatal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattrs_and_readonly, setup, teardown),
		cmocka_unit_test(test_max_read_fits_the_pipe_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
