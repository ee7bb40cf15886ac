/* SPDX-License-Identifier: MIT */
/* Raw CD containers (cue, toc, ccd, nrg, bare bin) and what they share. */
#ifndef DIMG_FORMATS_CDSHEET_H
#define DIMG_FORMATS_CDSHEET_H

#include "cd/cd_disc.h"

extern const struct dimg_container_driver cue_container_driver;
extern const struct dimg_container_driver toc_container_driver;
extern const struct dimg_container_driver ccd_container_driver;
extern const struct dimg_container_driver bin_container_driver;
extern const struct dimg_container_driver nrg_container_driver;

/* Reads cooked medium bytes (2048 per LBA; audio and gaps are zeros). */
int cd_read_cooked(const struct cd_disc *d, void *out, size_t len, uint64_t off,
		   struct dimg_error *err);
/* Adds "disc" and "sessions[].tracks[]" to a report. */
int cd_disc_report(const struct cd_disc *d, struct dimg_node *root, struct dimg_error *err);

#endif
