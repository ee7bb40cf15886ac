/* SPDX-License-Identifier: MIT */
/* Directory records, SUSP/Rock Ridge, zisofs, multi-extent and views.  The
 * input is an ISO image from sector 16 on: the 32 KiB system area is
 * supplied as zeros so mutations land on descriptors and directories. */
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

#define SYSAREA 32768u
#define MAX_INPUT (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dimg_image *img;
	struct dimg_error err;
	uint8_t *buf;
	if (size > MAX_INPUT)
		return 0;
	buf = calloc(1, SYSAREA + size);
	if (!buf)
		return 0;
	memcpy(buf + SYSAREA, data, size);
	dimg_error_clear(&err);
	if (dimg_image_open_memory(&img, buf, SYSAREA + size, NULL, &err) == 0) {
		fuzz_walk_all_views(img);
		dimg_image_close(img);
	}
	free(buf);
	return 0;
}
