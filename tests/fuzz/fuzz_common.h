/* SPDX-License-Identifier: MIT */
/* Shared by the fuzz targets: exercise a filesystem view the way the CLI
 * does, with bounded reads so a valid-but-huge file cannot time out. */
#ifndef DIMG_FUZZ_COMMON_H
#define DIMG_FUZZ_COMMON_H

#include "dimg/dimg.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void fuzz_walk_all_views(struct dimg_image *img);

#endif
