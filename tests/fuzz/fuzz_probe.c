/* SPDX-License-Identifier: MIT */
/* Probing and reporting: container probe, volume descriptors, sessions,
 * Rock Ridge detection, boot catalog, partition tables.  The input is the
 * whole image. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dimg_image *img;
	struct dimg_node *rep;
	struct dimg_error err;
	dimg_error_clear(&err);
	if (dimg_image_open_memory(&img, data, size, NULL, &err) != 0)
		return 0;
	if (dimg_image_report(img, &rep, &err) == 0)
		dimg_node_free(rep);
	dimg_image_close(img);
	return 0;
}
