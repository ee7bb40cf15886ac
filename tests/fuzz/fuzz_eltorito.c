/* SPDX-License-Identifier: MIT */
/* El Torito boot catalogs.  The input is the catalog itself; it is placed
 * at block 20 of a minimal ISO whose boot record points there. */
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

#define SEC 2048u
#define CATALOG_LBA 20u
#define MAX_INPUT (64u * SEC)

static void put_both32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
	p[4] = (uint8_t)(v >> 24); p[5] = (uint8_t)(v >> 16); p[6] = (uint8_t)(v >> 8); p[7] = (uint8_t)v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t total;
	uint8_t *img_buf, *pvd, *br, *term, *root;
	struct dimg_image *img;
	struct dimg_error err;
	struct dimg_boot_entry ents[16];
	if (size > MAX_INPUT)
		return 0;
	total = (size_t)CATALOG_LBA * SEC + size + SEC;
	img_buf = calloc(1, total);
	if (!img_buf)
		return 0;
	pvd = img_buf + 16 * SEC;
	br = img_buf + 17 * SEC;
	term = img_buf + 18 * SEC;
	root = img_buf + 19 * SEC;
	pvd[0] = 1;
	memcpy(pvd + 1, "CD001", 5);
	pvd[6] = 1;
	put_both32(pvd + 80, (uint32_t)(total / SEC));
	pvd[128] = 0x00; pvd[129] = 0x08; pvd[130] = 0x08; pvd[131] = 0x00; /* 2048 */
	pvd[156] = 34;
	put_both32(pvd + 156 + 2, 19);
	put_both32(pvd + 156 + 10, SEC);
	pvd[156 + 25] = 2;
	pvd[156 + 32] = 1;
	/* root: "." and ".." */
	for (int i = 0; i < 2; i++) {
		uint8_t *r = root + 34 * i;
		r[0] = 34;
		put_both32(r + 2, 19);
		put_both32(r + 10, SEC);
		r[25] = 2;
		r[32] = 1;
		r[33] = (uint8_t)i;
	}
	br[0] = 0;
	memcpy(br + 1, "CD001", 5);
	br[6] = 1;
	memcpy(br + 7, "EL TORITO SPECIFICATION", 23);
	br[71] = CATALOG_LBA;
	term[0] = 255;
	memcpy(term + 1, "CD001", 5);
	term[6] = 1;
	memcpy(img_buf + (size_t)CATALOG_LBA * SEC, data, size);
	dimg_error_clear(&err);
	if (dimg_image_open_memory(&img, img_buf, total, NULL, &err) == 0) {
		int n = dimg_boot_entries(img, ents, 16, &err);
		for (int i = 0; i < n && i < 16; i++) {
			uint8_t buf[4096];
			dimg_boot_read(img, &ents[i], 0, buf, sizeof(buf), &err);
		}
		struct dimg_node *rep;
		dimg_error_clear(&err);
		if (dimg_image_report(img, &rep, &err) == 0)
			dimg_node_free(rep);
		dimg_image_close(img);
	}
	free(img_buf);
	return 0;
}
