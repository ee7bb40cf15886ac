/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the ISO 9660 reader on images built byte by byte: Rock Ridge
 * decoding, multi-extent files, zisofs, interleaving, and the hostile cases
 * (CE loops, directory loops, short records, bad names, extents past the end).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "dimg/dimg.h"
#include "synth_iso.h"

#define ROOT 18u

struct fixture {
	struct synth s;
	struct dimg_image *img;
	struct dimg_fs *fs;
	struct dimg_error err;
};

static int open_fs(struct fixture *f, enum dimg_view view)
{
	struct dimg_fs_options o = { .view = view };
	dimg_error_clear(&f->err);
	int rc = dimg_image_open_memory(&f->img, f->s.buf, f->s.size, NULL, &f->err);
	if (rc)
		return rc;
	return dimg_fs_open(&f->fs, f->img, &o, &f->err);
}

static void close_fs(struct fixture *f)
{
	dimg_fs_close(f->fs);
	dimg_image_close(f->img);
	synth_free(&f->s);
}

/* Root with SP+PX in ".", and the given records after the dots. */
static uint8_t *rr_root(struct fixture *f, unsigned nblocks, size_t *pos)
{
	uint8_t sua[255];
	size_t n = susp_sp(sua, 0);
	n = susp_px(sua, n, S_IFDIR | 0755, 2, 0, 0, 1);
	synth_init(&f->s, nblocks);
	synth_pvd(&f->s, ROOT, SYN_SEC);
	uint8_t *root = synth_block(&f->s, ROOT);
	*pos = synth_dots(root, ROOT, SYN_SEC, ROOT, SYN_SEC, sua, n);
	return root;
}

static void test_plain_file(void **state)
{
	struct fixture f;
	struct dimg_stat st;
	char buf[16];
	size_t pos;
	(void)state;
	synth_init(&f.s, 24);
	synth_pvd(&f.s, ROOT, SYN_SEC);
	uint8_t *root = synth_block(&f.s, ROOT);
	pos = synth_dots(root, ROOT, SYN_SEC, ROOT, SYN_SEC, NULL, 0);
	synth_record(root + pos, 20, 5, 0, "HELLO.TXT;1", 11, NULL, 0);
	memcpy(synth_block(&f.s, 20), "hello", 5);
	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	assert_int_equal(dimg_fs_view(f.fs), DIMG_VIEW_PLAIN);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "/HELLO.TXT", &st, &f.err), 0);
	assert_int_equal(st.size, 5);
	assert_int_equal(st.type, DIMG_FT_FILE);
	assert_int_equal(st.mode, 0444);
	/* 2020-01-02 03:04:05 UTC */
	assert_int_equal(st.mtime, 1577934245);
	assert_int_equal(dimg_fs_read(f.fs, st.ino, 0, buf, sizeof(buf), &f.err), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(dimg_fs_read(f.fs, st.ino, 3, buf, 1, &f.err), 1);
	assert_int_equal(buf[0], 'l');
	assert_int_equal(dimg_fs_lookup_path(f.fs, "/NOPE", &st, &f.err), DIMG_ENOTFOUND);
	close_fs(&f);
}

static void test_rockridge_names_links(void **state)
{
	struct fixture f;
	struct dimg_stat st;
	uint8_t sua[255];
	char link[256];
	size_t pos, n;
	(void)state;
	uint8_t *root = rr_root(&f, 24, &pos);
	/* a file whose name comes in two NM pieces */
	n = susp_px(sua, 0, S_IFREG | 0640, 1, 1000, 100, 5);
	n = susp_nm(sua, n, 1, "long-");
	n = susp_nm(sua, n, 0, "name.txt");
	pos += synth_record(root + pos, 20, 3, 0, "LONG_NAM.TXT;1", 14, sua, n);
	/* symlink to /usr/local/../bin with a component split over CONTINUE */
	n = susp_px(sua, 0, S_IFLNK | 0777, 1, 0, 0, 6);
	{
		uint8_t sl[64];
		size_t k = 0;
		sl[k++] = 0;              /* SL flags */
		sl[k++] = 0x08;           /* ROOT */
		sl[k++] = 0;
		sl[k++] = 0;              /* "usr" */
		sl[k++] = 3;
		memcpy(sl + k, "usr", 3);
		k += 3;
		sl[k++] = 0x01;           /* "lo" continues */
		sl[k++] = 2;
		memcpy(sl + k, "lo", 2);
		k += 2;
		sl[k++] = 0;              /* "cal" */
		sl[k++] = 3;
		memcpy(sl + k, "cal", 3);
		k += 3;
		sl[k++] = 0x04;           /* PARENT */
		sl[k++] = 0;
		sl[k++] = 0;
		sl[k++] = 3;
		memcpy(sl + k, "bin", 3);
		k += 3;
		n = susp_add(sua, n, "SL", sl, k);
	}
	n = susp_nm(sua, n, 0, "ln");
	pos += synth_record(root + pos, 0, 0, 0, "LN.;1", 5, sua, n);
	memcpy(synth_block(&f.s, 20), "abc", 3);

	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	assert_int_equal(dimg_fs_view(f.fs), DIMG_VIEW_ROCKRIDGE);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "long-name.txt", &st, &f.err), 0);
	assert_int_equal(st.mode, 0640);
	assert_int_equal(st.uid, 1000);
	assert_int_equal(st.gid, 100);
	assert_int_equal(st.size, 3);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "ln", &st, &f.err), 0);
	assert_int_equal(st.type, DIMG_FT_SYMLINK);
	assert_int_equal(dimg_fs_readlink(f.fs, st.ino, link, sizeof(link), &f.err), 17);
	assert_string_equal(link, "/usr/local/../bin");
	dimg_fs_close(f.fs);
	dimg_image_close(f.img);
	/* the plain view ignores Rock Ridge */
	assert_int_equal(open_fs(&f, DIMG_VIEW_PLAIN), 0);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "LONG_NAM.TXT", &st, &f.err), 0);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "LN", &st, &f.err), 0);
	assert_int_equal(st.type, DIMG_FT_FILE);
	close_fs(&f);
}

static void test_multi_extent(void **state)
{
	struct fixture f;
	struct dimg_stat st;
	struct dimg_extent ext[4];
	char buf[8];
	size_t pos;
	(void)state;
	synth_init(&f.s, 26);
	synth_pvd(&f.s, ROOT, SYN_SEC);
	uint8_t *root = synth_block(&f.s, ROOT);
	pos = synth_dots(root, ROOT, SYN_SEC, ROOT, SYN_SEC, NULL, 0);
	/* three extents, deliberately out of order on disc */
	pos += synth_record(root + pos, 22, 2048, 0x80, "BIG.BIN;1", 9, NULL, 0);
	pos += synth_record(root + pos, 20, 2048, 0x80, "BIG.BIN;1", 9, NULL, 0);
	pos += synth_record(root + pos, 24, 3, 0, "BIG.BIN;1", 9, NULL, 0);
	pos += synth_record(root + pos, 25, 1, 0, "NEXT.BIN;1", 10, NULL, 0);
	memset(synth_block(&f.s, 22), 'A', 2048);
	memset(synth_block(&f.s, 20), 'B', 2048);
	memcpy(synth_block(&f.s, 24), "CDE", 3);
	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "BIG.BIN", &st, &f.err), 0);
	assert_int_equal(st.size, 4099);
	assert_true(st.flags & DIMG_STAT_MULTIEXTENT);
	assert_int_equal(dimg_fs_extents(f.fs, st.ino, ext, 4, &f.err), 3);
	assert_int_equal(ext[1].lba, 20);
	assert_int_equal(dimg_fs_read(f.fs, st.ino, 2046, buf, 4, &f.err), 4);
	assert_memory_equal(buf, "AABB", 4);
	assert_int_equal(dimg_fs_read(f.fs, st.ino, 4095, buf, 8, &f.err), 4);
	assert_memory_equal(buf, "BCDE", 4);
	/* the following entry is not swallowed */
	assert_int_equal(dimg_fs_lookup_path(f.fs, "NEXT.BIN", &st, &f.err), 0);
	assert_int_equal(st.size, 1);
	close_fs(&f);
}

static void test_zisofs(void **state)
{
	struct fixture f;
	struct dimg_stat st;
	uint8_t sua[255], *data, *z, *out;
	size_t pos, n;
	const uint32_t usize = 40000, bs = 32768;
	uLongf c0 = compressBound(bs), c1 = compressBound(bs);
	(void)state;
	data = malloc(usize);
	out = malloc(usize);
	for (uint32_t i = 0; i < usize; i++)
		data[i] = (uint8_t)(i * 7 / 13);
	uint8_t *root = rr_root(&f, 80, &pos);
	z = synth_block(&f.s, 20);
	memcpy(z, "\x37\xE4\x53\x96\xC9\xDB\xD6\x07", 8);
	z[8] = (uint8_t)usize;
	z[9] = (uint8_t)(usize >> 8);
	z[12] = 4; /* header size / 4 */
	z[13] = 15;
	/* 2 blocks: pointers at 16, 20, 24; data from 28 */
	uint32_t p0 = 28;
	assert_int_equal(compress2(z + p0, &c0, data, bs, 9), Z_OK);
	uint32_t p1 = p0 + (uint32_t)c0;
	assert_int_equal(compress2(z + p1, &c1, data + bs, usize - bs, 9), Z_OK);
	uint32_t p2 = p1 + (uint32_t)c1;
	for (int i = 0; i < 4; i++) {
		z[16 + i] = (uint8_t)(p0 >> (8 * i));
		z[20 + i] = (uint8_t)(p1 >> (8 * i));
		z[24 + i] = (uint8_t)(p2 >> (8 * i));
	}
	n = susp_px(sua, 0, S_IFREG | 0644, 1, 0, 0, 9);
	{
		uint8_t zf[12] = { 'p', 'z', 4, 15 };
		synth_both32(zf + 4, usize);
		n = susp_add(sua, n, "ZF", zf, 12);
	}
	n = susp_nm(sua, n, 0, "z.bin");
	synth_record(root + pos, 20, p2, 0, "Z.BIN;1", 7, sua, n);
	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "z.bin", &st, &f.err), 0);
	assert_int_equal(st.size, usize);
	assert_true(st.flags & DIMG_STAT_ZISOFS);
	assert_int_equal(dimg_fs_read(f.fs, st.ino, 0, out, usize, &f.err), usize);
	assert_memory_equal(out, data, usize);
	/* a read across the block boundary */
	assert_int_equal(dimg_fs_read(f.fs, st.ino, bs - 3, out, 6, &f.err), 6);
	assert_memory_equal(out, data + bs - 3, 6);
	close_fs(&f);
	free(data);
	free(out);
}

static void test_interleaved(void **state)
{
	struct fixture f;
	struct dimg_stat st;
	char buf[4096 + 10];
	size_t pos;
	(void)state;
	synth_init(&f.s, 30);
	synth_pvd(&f.s, ROOT, SYN_SEC);
	uint8_t *root = synth_block(&f.s, ROOT);
	pos = synth_dots(root, ROOT, SYN_SEC, ROOT, SYN_SEC, NULL, 0);
	synth_record(root + pos, 20, 4106, 0, "IL.BIN;1", 8, NULL, 0);
	root[pos + 26] = 1; /* file unit size */
	root[pos + 27] = 1; /* interleave gap */
	memset(synth_block(&f.s, 20), 'a', 2048);
	memset(synth_block(&f.s, 21), 'X', 2048);
	memset(synth_block(&f.s, 22), 'b', 2048);
	memset(synth_block(&f.s, 23), 'X', 2048);
	memset(synth_block(&f.s, 24), 'c', 10);
	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "IL.BIN", &st, &f.err), 0);
	assert_true(st.flags & DIMG_STAT_INTERLEAVED);
	assert_int_equal(dimg_fs_read(f.fs, st.ino, 0, buf, sizeof(buf), &f.err), 4106);
	assert_int_equal(buf[2047], 'a');
	assert_int_equal(buf[2048], 'b');
	assert_int_equal(buf[4096], 'c');
	assert_null(memchr(buf, 'X', sizeof(buf)));
	close_fs(&f);
}

static int count_cb(void *ctx, const struct dimg_walk_entry *e)
{
	int *c = ctx;
	c[0]++;
	if (e->problem == DIMG_WALK_LOOP)
		c[1]++;
	return 0;
}

static void test_directory_loop(void **state)
{
	struct fixture f;
	int counts[2] = { 0, 0 };
	size_t pos;
	(void)state;
	synth_init(&f.s, 24);
	synth_pvd(&f.s, ROOT, SYN_SEC);
	uint8_t *root = synth_block(&f.s, ROOT);
	pos = synth_dots(root, ROOT, SYN_SEC, ROOT, SYN_SEC, NULL, 0);
	/* two subdirectories that are the root itself, and one shared pair */
	pos += synth_record(root + pos, ROOT, SYN_SEC, 2, "LOOP1", 5, NULL, 0);
	pos += synth_record(root + pos, ROOT, SYN_SEC, 2, "LOOP2", 5, NULL, 0);
	pos += synth_record(root + pos, 20, SYN_SEC, 2, "SUB", 3, NULL, 0);
	pos += synth_record(root + pos, 20, SYN_SEC, 2, "SUB2", 4, NULL, 0);
	uint8_t *sub = synth_block(&f.s, 20);
	size_t sp = synth_dots(sub, 20, SYN_SEC, ROOT, SYN_SEC, NULL, 0);
	synth_record(sub + sp, 20, SYN_SEC, 2, "SELF", 4, NULL, 0);
	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	assert_int_equal(dimg_fs_walk(f.fs, dimg_fs_root(f.fs), "", 0, count_cb, counts, &f.err),
			 0);
	/* LOOP1, LOOP2, SUB, SUB/SELF, SUB2: each visited once */
	assert_int_equal(counts[0], 5);
	assert_int_equal(counts[1], 4);
	close_fs(&f);
}

static void test_ce_loop(void **state)
{
	struct fixture f;
	struct dimg_stat st;
	uint8_t sua[255];
	size_t pos, n;
	(void)state;
	uint8_t *root = rr_root(&f, 24, &pos);
	/* continuation area at block 20 offset 0 that continues into itself */
	uint8_t *ce = synth_block(&f.s, 20);
	size_t cn = susp_nm(ce, 0, 1, "x");
	cn = susp_ce(ce, cn, 20, 0, 64);
	n = susp_px(sua, 0, S_IFREG | 0644, 1, 0, 0, 3);
	n = susp_ce(sua, n, 20, 0, 64);
	synth_record(root + pos, 21, 1, 0, "A;1", 3, sua, n);
	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	int rc = dimg_fs_lookup_path(f.fs, "x", &st, &f.err);
	assert_true(rc == DIMG_ELIMIT);
	assert_non_null(strstr(f.err.message, "CE"));
	close_fs(&f);
}

struct names {
	int n, bad;
};

static int names_cb(void *ctx, const struct dimg_dirent *de)
{
	struct names *c = ctx;
	c->n++;
	if (de->st.flags & DIMG_STAT_BADNAME)
		c->bad++;
	return 0;
}

static void test_bad_names(void **state)
{
	struct fixture f;
	struct names c = { 0, 0 };
	uint8_t sua[255];
	size_t pos, n;
	(void)state;
	uint8_t *root = rr_root(&f, 24, &pos);
	n = susp_nm(sua, 0, 0x04, ""); /* PARENT */
	pos += synth_record(root + pos, 20, 0, 0, "A;1", 3, sua, n);
	n = susp_nm(sua, 0, 0, "../../etc/passwd");
	pos += synth_record(root + pos, 20, 0, 0, "B;1", 3, sua, n);
	n = susp_add(sua, 0, "NM", (const uint8_t *)"\0a\0b", 4);
	pos += synth_record(root + pos, 20, 0, 0, "C;1", 3, sua, n);
	n = susp_nm(sua, 0, 0, "fine");
	pos += synth_record(root + pos, 20, 0, 0, "D;1", 3, sua, n);
	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	assert_int_equal(dimg_fs_readdir(f.fs, dimg_fs_root(f.fs), names_cb, &c, &f.err), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.bad, 3);
	close_fs(&f);
}

static void test_short_record_and_past_end(void **state)
{
	struct fixture f;
	struct dimg_stat st;
	char buf[8];
	size_t pos;
	(void)state;
	synth_init(&f.s, 24);
	synth_pvd(&f.s, ROOT, SYN_SEC);
	uint8_t *root = synth_block(&f.s, ROOT);
	pos = synth_dots(root, ROOT, SYN_SEC, ROOT, SYN_SEC, NULL, 0);
	pos += synth_record(root + pos, 4000000, 0xFFFFFFFFu, 0, "HUGE;1", 6, NULL, 0);
	root[pos] = 20; /* record length below the minimum of 34 */
	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	/* the readable entry comes first, then the bad record is an error */
	assert_int_equal(dimg_fs_lookup_path(f.fs, "HUGE", &st, &f.err), 0);
	assert_int_equal(st.size, 0xFFFFFFFFu);
	int64_t r = dimg_fs_read(f.fs, st.ino, 0, buf, sizeof(buf), &f.err);
	assert_int_equal(r, DIMG_ERANGE);
	dimg_error_clear(&f.err);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "OTHER", &st, &f.err), DIMG_EFORMAT);
	assert_true(f.err.offset == (int64_t)(ROOT * SYN_SEC + pos));
	close_fs(&f);
}

static void test_truncated_and_garbage(void **state)
{
	struct fixture f;
	struct dimg_image *img;
	struct dimg_fs *fs;
	struct dimg_error err;
	size_t pos;
	(void)state;
	synth_init(&f.s, 24);
	synth_pvd(&f.s, ROOT, SYN_SEC);
	uint8_t *root = synth_block(&f.s, ROOT);
	pos = synth_dots(root, ROOT, SYN_SEC, ROOT, SYN_SEC, NULL, 0);
	(void)pos;
	/* cut inside the root directory: the PVD is fine, the root is not */
	dimg_error_clear(&err);
	assert_int_equal(dimg_image_open_memory(&img, f.s.buf, ROOT * SYN_SEC + 100, NULL, &err),
			 0);
	assert_int_equal(dimg_fs_open(&fs, img, NULL, &err), DIMG_ERANGE);
	dimg_image_close(img);
	/* block size 0: warned about, 2048 assumed */
	synth_block(&f.s, 16)[128] = 0;
	synth_block(&f.s, 16)[129] = 0;
	dimg_error_clear(&err);
	assert_int_equal(dimg_image_open_memory(&img, f.s.buf, f.s.size, NULL, &err), 0);
	assert_int_equal(dimg_fs_open(&fs, img, NULL, &err), 0);
	dimg_fs_close(fs);
	struct dimg_node *rep;
	assert_int_equal(dimg_image_report(img, &rep, &err), 0);
	const struct dimg_node *w = dimg_node_get(rep, "warnings");
	assert_non_null(dimg_node_first(w));
	assert_non_null(strstr(dimg_node_str(dimg_node_first(w)), "block size"));
	dimg_node_free(rep);
	dimg_image_close(img);
	/* no descriptor at all */
	memset(synth_block(&f.s, 16), 0, SYN_SEC);
	dimg_error_clear(&err);
	assert_int_equal(dimg_image_open_memory(&img, f.s.buf, f.s.size, NULL, &err), 0);
	assert_int_equal(dimg_fs_open(&fs, img, NULL, &err), DIMG_EUNKNOWN);
	dimg_image_close(img);
	synth_free(&f.s);
}

static void test_relocation(void **state)
{
	struct fixture f;
	struct dimg_stat st;
	uint8_t sua[255];
	size_t pos, n, p2;
	(void)state;
	uint8_t *root = rr_root(&f, 26, &pos);
	/* /a is a placeholder (CL -> 21); rr_moved (20) holds the real dir
	 * with RE; 21 has PL -> root */
	n = susp_px(sua, 0, S_IFDIR | 0700, 2, 0, 0, 11);
	{
		uint8_t cl[8];
		synth_both32(cl, 21);
		n = susp_add(sua, n, "CL", cl, 8);
	}
	n = susp_nm(sua, n, 0, "a");
	pos += synth_record(root + pos, 0, 0, 0, "A;1", 3, sua, n);
	n = susp_nm(sua, 0, 0, "rr_moved");
	pos += synth_record(root + pos, 20, SYN_SEC, 2, "RR_MOVED", 8, sua, n);
	uint8_t *mv = synth_block(&f.s, 20);
	p2 = synth_dots(mv, 20, SYN_SEC, ROOT, SYN_SEC, NULL, 0);
	n = susp_add(sua, 0, "RE", NULL, 0);
	n = susp_nm(sua, n, 0, "a");
	synth_record(mv + p2, 21, SYN_SEC, 2, "A", 1, sua, n);
	uint8_t *real = synth_block(&f.s, 21);
	n = susp_px(sua, 0, S_IFDIR | 0711, 2, 0, 0, 12);
	{
		uint8_t pl[8];
		synth_both32(pl, ROOT);
		size_t p3 = synth_record(real, 21, SYN_SEC, 2, "\0", 1, sua, n);
		n = susp_add(sua, 0, "PL", pl, 8);
		p3 += synth_record(real + p3, ROOT, SYN_SEC, 2, "\1", 1, sua, n);
		n = susp_nm(sua, 0, 0, "inside");
		synth_record(real + p3, 22, 2, 0, "INSIDE;1", 8, sua, n);
	}
	memcpy(synth_block(&f.s, 22), "ok", 2);
	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "a", &st, &f.err), 0);
	assert_int_equal(st.type, DIMG_FT_DIR);
	assert_int_equal(st.mode, 0711);
	assert_true(st.flags & DIMG_STAT_RELOCATED);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "a/inside", &st, &f.err), 0);
	assert_int_equal(st.size, 2);
	dimg_error_clear(&f.err);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "rr_moved", &st, &f.err), DIMG_ENOTFOUND);
	close_fs(&f);
}

static void test_devices_and_endian(void **state)
{
	struct fixture f;
	struct dimg_stat st;
	uint8_t sua[255], pn[16];
	size_t pos, n;
	(void)state;
	uint8_t *root = rr_root(&f, 24, &pos);
	/* xorriso style: the C library's dev_t, high word 0 (8:1 = 0x801) */
	n = susp_px(sua, 0, S_IFBLK | 0600, 1, 0, 0, 21);
	synth_both32(pn, 0);
	synth_both32(pn + 8, 0x801);
	n = susp_add(sua, n, "PN", pn, 16);
	n = susp_nm(sua, n, 0, "sda1");
	pos += synth_record(root + pos, 0, 0, 0, "SDA1;1", 6, sua, n);
	/* mkisofs style: major and minor in the two words (300:70000) */
	n = susp_px(sua, 0, S_IFCHR | 0666, 1, 0, 0, 22);
	synth_both32(pn, 300);
	synth_both32(pn + 8, 70000);
	n = susp_add(sua, n, "PN", pn, 16);
	n = susp_nm(sua, n, 0, "big");
	pos += synth_record(root + pos, 0, 0, 0, "BIG;1", 5, sua, n);
	/* a record whose halves disagree: read (little-endian), and counted */
	n = susp_px(sua, 0, S_IFREG | 0644, 1, 0, 0, 23);
	n = susp_nm(sua, n, 0, "odd");
	size_t at = pos;
	pos += synth_record(root + pos, 20, 3, 0, "ODD;1", 5, sua, n);
	root[at + 10 + 7] ^= 0x01; /* big-endian size: 3 becomes 2 */
	memcpy(synth_block(&f.s, 20), "abc", 3);
	/* the descriptor's root record disagrees with itself */
	synth_block(&f.s, 16)[156 + 2 + 7] ^= 0xFF;
	assert_int_equal(open_fs(&f, DIMG_VIEW_AUTO), 0);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "sda1", &st, &f.err), 0);
	assert_int_equal(st.type, DIMG_FT_BLOCKDEV);
	assert_int_equal(st.rdev_major, 8);
	assert_int_equal(st.rdev_minor, 1);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "big", &st, &f.err), 0);
	assert_int_equal(st.type, DIMG_FT_CHARDEV);
	assert_int_equal(st.rdev_major, 300);
	assert_int_equal(st.rdev_minor, 70000);
	assert_int_equal(dimg_fs_lookup_path(f.fs, "odd", &st, &f.err), 0);
	assert_int_equal(st.size, 3);
	assert_true(dimg_fs_anomalies(f.fs) >= 1);
	struct dimg_node *rep;
	assert_int_equal(dimg_image_report(f.img, &rep, &f.err), 0);
	const struct dimg_node *w = dimg_node_first(dimg_node_get(rep, "warnings"));
	assert_non_null(w);
	assert_non_null(strstr(dimg_node_str(w), "big-endian"));
	dimg_node_free(rep);
	close_fs(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_file),
		cmocka_unit_test(test_rockridge_names_links),
		cmocka_unit_test(test_multi_extent),
		cmocka_unit_test(test_zisofs),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_directory_loop),
		cmocka_unit_test(test_ce_loop),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_short_record_and_past_end),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_relocation),
		cmocka_unit_test(test_devices_and_endian),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
