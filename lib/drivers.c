/* SPDX-License-Identifier: MIT */
/* The driver registry: every container and filesystem driver, in probing
 * order.  `dimg formats` is generated from these tables. */
#include "core/core.h"
#include "formats/cdsheet/cdsheet.h"
#include "formats/iso9660/iso9660_internal.h"

extern const struct dimg_container_driver raw_container_driver;

const struct dimg_container_driver *const dimg_container_drivers[] = {
	&raw_container_driver,
	&cue_container_driver,
	&toc_container_driver,
	&ccd_container_driver,
	&nrg_container_driver,
	&bin_container_driver,
	NULL,
};

const struct dimg_fs_driver *const dimg_fs_drivers[] = {
	&iso9660_fs_driver,
	NULL,
};
