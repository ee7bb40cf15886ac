/* SPDX-License-Identifier: MIT */
/* The plain container: the file is the medium, 2048-byte sectors for ISO
 * images, any size for raw disks.  It is the fallback when nothing else
 * claims an input. */
#include "core/core.h"

#include <string.h>

static int raw_probe(struct dimg_io *io, const uint8_t *head, size_t len)
{
	(void)io;
	/* An ISO 9660 / UDF volume recognition sequence at 32 KiB. */
	if (len >= 32768 + 6 && (!memcmp(head + 32769, "CD001", 5) ||
				 !memcmp(head + 32769, "BEA01", 5)))
		return 60;
	return 1;
}

const struct dimg_container_driver raw_container_driver = {
	.info = {
		.name = "iso",
		.aliases = "raw,img",
		.summary = "plain image: ISO 9660/UDF file system images and raw disks",
		.extensions = "iso,img,raw",
		.kind = DIMG_DRIVER_CONTAINER,
		.flags = DIMG_DRIVER_READ,
	},
	.probe = raw_probe,
};
