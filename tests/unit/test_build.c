/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the ISO 9660 builder: every image is read back with dimg's
 * own reader (names in each view, attributes, deep relocation, multi-extent,
 * collisions, reproducibility, atomic output).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "dimg/dimg.h"

static char tmpdir[256];

static void put(const char *rel, const char *data, mode_t mode, time_t mtime)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/src/%s", tmpdir, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
	chmod(p, mode);
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
	utimes(p, tv);
}

static void mk(const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/src/%s", tmpdir, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dimg-test-build-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	mk("");
	mk("dir");
	put("dir/hello.txt", "hello world\n", 0640, 1000000000);
	put("A Long File Name With Spaces.text", "x", 0644, 1000000001);
	put("a-long-file-name-with-spaces.text", "y", 0644, 1000000002);
	char p[512], q[512];
	snprintf(p, sizeof(p), "%s/src/link", tmpdir);
	assert_int_equal(symlink("dir/hello.txt", p), 0);
	snprintf(p, sizeof(p), "%s/src/dir/hello.txt", tmpdir);
	snprintf(q, sizeof(q), "%s/src/hard", tmpdir);
	assert_int_equal(link(p, q), 0);
	/* 10 levels deep */
	char d[512] = "deep";
	mk(d);
	for (int i = 1; i <= 10; i++) {
		size_t l = strlen(d);
		snprintf(d + l, sizeof(d) - l, "/l%d", i);
		mk(d);
	}
	strcat(d, "/leaf");
	put(d, "leaf\n", 0600, 1000000003);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

static void build(const struct dimg_create_options *o, const char *name, uint64_t *size)
{
	struct dimg_builder *b;
	struct dimg_error err;
	char src[512], out[512];
	dimg_error_clear(&err);
	snprintf(src, sizeof(src), "%s/src", tmpdir);
	snprintf(out, sizeof(out), "%s/%s", tmpdir, name);
	assert_int_equal(dimg_builder_new(&b, o, &err), 0);
	assert_int_equal(dimg_builder_add(b, "/", src, &err), 0);
	if (size)
		assert_int_equal(dimg_builder_plan(b, size, NULL, &err), 0);
	assert_int_equal(dimg_builder_write(b, out, 1, NULL, NULL, &err), 0);
	dimg_builder_free(b);
}

static struct dimg_fs *open_view(const char *name, enum dimg_view v, struct dimg_image **img)
{
	struct dimg_error err;
	struct dimg_fs *fs;
	struct dimg_fs_options fo = { .view = v };
	char out[512];
	dimg_error_clear(&err);
	snprintf(out, sizeof(out), "%s/%s", tmpdir, name);
	assert_int_equal(dimg_image_open(img, out, NULL, &err), 0);
	assert_int_equal(dimg_fs_open(&fs, *img, &fo, &err), 0);
	return fs;
}

static void test_round_trip_rock_ridge(void **state)
{
	struct dimg_create_options o = DIMG_CREATE_OPTIONS_INIT;
	struct dimg_image *img;
	struct dimg_error err;
	struct dimg_stat st, st2;
	char buf[600];
	uint64_t planned;
	struct stat sb;
	(void)state;
	dimg_error_clear(&err);
	build(&o, "rr.iso", &planned);
	snprintf(buf, sizeof(buf), "%s/rr.iso", tmpdir);
	assert_int_equal(stat(buf, &sb), 0);
	assert_int_equal((uint64_t)sb.st_size, planned); /* --dry-run is exact */
	struct dimg_fs *fs = open_view("rr.iso", DIMG_VIEW_AUTO, &img);
	assert_int_equal(dimg_fs_view(fs), DIMG_VIEW_ROCKRIDGE);
	assert_int_equal(dimg_fs_lookup_path(fs, "dir/hello.txt", &st, &err), 0);
	assert_int_equal(st.mode, 0640);
	assert_int_equal(st.mtime, 1000000000);
	assert_int_equal(st.size, 12);
	assert_int_equal(dimg_fs_read(fs, st.ino, 0, buf, sizeof(buf), &err), 12);
	assert_memory_equal(buf, "hello world\n", 12);
	assert_int_equal(dimg_fs_lookup_path(fs, "hard", &st2, &err), 0);
	assert_int_equal(st2.nlink, 2);
	assert_true(st.link_id != 0 && st.link_id == st2.link_id);
	assert_int_equal(dimg_fs_lookup_path(fs, "link", &st, &err), 0);
	assert_int_equal(st.type, DIMG_FT_SYMLINK);
	assert_int_equal(dimg_fs_readlink(fs, st.ino, buf, sizeof(buf), &err), 13);
	assert_string_equal(buf, "dir/hello.txt");
	/* deep directories were relocated and come back where they belong */
	assert_int_equal(
		dimg_fs_lookup_path(fs, "deep/l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/leaf", &st, &err), 0);
	assert_int_equal(st.mode, 0600);
	dimg_error_clear(&err);
	assert_int_equal(dimg_fs_lookup_path(fs, "rr_moved", &st, &err), DIMG_ENOTFOUND);
	dimg_fs_close(fs);
	dimg_image_close(img);
	/* the plain view shows the relocation itself, within 8 levels */
	fs = open_view("rr.iso", DIMG_VIEW_PLAIN, &img);
	dimg_error_clear(&err);
	assert_int_equal(dimg_fs_lookup_path(fs, "RR_MOVED", &st, &err), 0);
	assert_int_equal(st.type, DIMG_FT_DIR);
	dimg_fs_close(fs);
	dimg_image_close(img);
}

static void test_joliet_and_collisions(void **state)
{
	struct dimg_create_options o = DIMG_CREATE_OPTIONS_INIT;
	struct dimg_image *img;
	struct dimg_error err;
	struct dimg_stat st;
	(void)state;
	o.iso_level = 1;
	build(&o, "l1.iso", NULL);
	struct dimg_fs *fs = open_view("l1.iso", DIMG_VIEW_JOLIET, &img);
	dimg_error_clear(&err);
	assert_int_equal(dimg_fs_lookup_path(fs, "A Long File Name With Spaces.text", &st, &err), 0);
	assert_int_equal(st.size, 1);
	dimg_fs_close(fs);
	dimg_image_close(img);
	/* level 1: both long names map to A_LONG_F.TEX: one gets a _1 suffix,
	 * decided by the source names' order, the same on every run */
	fs = open_view("l1.iso", DIMG_VIEW_PLAIN, &img);
	assert_int_equal(dimg_fs_lookup_path(fs, "A_LONG_F.TEX", &st, &err), 0);
	assert_int_equal(st.size, 1);
	char buf[2];
	assert_int_equal(dimg_fs_read(fs, st.ino, 0, buf, 1, &err), 1);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(dimg_fs_lookup_path(fs, "A_LONG_1.TEX", &st, &err), 0);
	assert_int_equal(dimg_fs_read(fs, st.ino, 0, buf, 1, &err), 1);
	assert_int_equal(buf[0], 'y');
	dimg_fs_close(fs);
	dimg_image_close(img);
}

static void test_reproducible(void **state)
{
	struct dimg_create_options o = DIMG_CREATE_OPTIONS_INIT;
	char a[512], b[512], cmd[1200];
	(void)state;
	o.source_date_epoch = 1500000000;
	build(&o, "r1.iso", NULL);
	sleep(1);
	build(&o, "r2.iso", NULL);
	snprintf(a, sizeof(a), "%s/r1.iso", tmpdir);
	snprintf(b, sizeof(b), "%s/r2.iso", tmpdir);
	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	assert_int_equal(system(cmd), 0);
}

static void test_multi_extent_sparse(void **state)
{
	struct dimg_create_options o = DIMG_CREATE_OPTIONS_INIT;
	struct dimg_image *img;
	struct dimg_error err;
	struct dimg_stat st;
	struct dimg_extent ext[4];
	char p[512], buf[4];
	(void)state;
	snprintf(p, sizeof(p), "%s/src/huge.bin", tmpdir);
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 5000000000LL), 0);
	assert_int_equal(pwrite(fd, "END!", 4, 5000000000LL - 4), 4);
	close(fd);
	build(&o, "big.iso", NULL);
	unlink(p);
	struct dimg_fs *fs = open_view("big.iso", DIMG_VIEW_AUTO, &img);
	dimg_error_clear(&err);
	assert_int_equal(dimg_fs_lookup_path(fs, "huge.bin", &st, &err), 0);
	assert_int_equal(st.size, 5000000000LL);
	assert_int_equal(dimg_fs_extents(fs, st.ino, ext, 4, &err), 2);
	assert_int_equal(ext[0].size, 0xFFFFF800ull);
	assert_int_equal(dimg_fs_read(fs, st.ino, 5000000000LL - 4, buf, 4, &err), 4);
	assert_memory_equal(buf, "END!", 4);
	dimg_fs_close(fs);
	dimg_image_close(img);
	snprintf(p, sizeof(p), "%s/big.iso", tmpdir);
	unlink(p);
}

static void test_refuses_existing_and_leaves_nothing(void **state)
{
	struct dimg_create_options o = DIMG_CREATE_OPTIONS_INIT;
	struct dimg_builder *b;
	struct dimg_error err;
	char src[512], out[512], cmd[700];
	(void)state;
	snprintf(src, sizeof(src), "%s/src", tmpdir);
	snprintf(out, sizeof(out), "%s/exists.iso", tmpdir);
	FILE *f = fopen(out, "w");
	fputs("keep", f);
	fclose(f);
	dimg_error_clear(&err);
	assert_int_equal(dimg_builder_new(&b, &o, &err), 0);
	assert_int_equal(dimg_builder_add(b, "/", src, &err), 0);
	assert_int_not_equal(dimg_builder_write(b, out, 0, NULL, NULL, &err), 0);
	assert_non_null(strstr(err.message, "exists"));
	dimg_builder_free(b);
	/* a missing source is an error naming it */
	dimg_error_clear(&err);
	assert_int_equal(dimg_builder_new(&b, &o, &err), 0);
	assert_int_not_equal(dimg_builder_add(b, "/", "/nonexistent/dimg", &err), 0);
	assert_non_null(strstr(err.message, "/nonexistent/dimg"));
	dimg_builder_free(b);
	/* no temporary file is left in the directory */
	snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -q '^\\.exists'", tmpdir);
	assert_int_not_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_rock_ridge),
		cmocka_unit_test(test_joliet_and_collisions),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_multi_extent_sparse),
		cmocka_unit_test(test_refuses_existing_and_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
