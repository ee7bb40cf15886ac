/* SPDX-License-Identifier: MIT */
/* Shared by the sheet fuzz targets (cue, toc, ccd): parse a sheet held in
 * memory, give every file it names a fake size (nothing is opened), lay the
 * disc out and, where asked, validate it. */
#ifndef DIMG_FUZZ_SHEET_H
#define DIMG_FUZZ_SHEET_H

#include "cd/cd_disc.h"

typedef int (*fuzz_parse_fn)(struct cd_disc *d, const char *text, size_t len, const char *name,
			     struct dimg_error *err);
typedef int (*fuzz_layout_fn)(struct cd_disc *d, struct dimg_error *err);

static inline struct cd_disc *fuzz_sheet_load(fuzz_parse_fn parse, fuzz_layout_fn layout,
					      const char *name, const char *text, size_t len,
					      uint64_t file_size, bool validate,
					      struct dimg_error *err)
{
	struct cd_disc *d = cd_disc_new();
	if (!d)
		return NULL;
	dimg_error_clear(err);
	if (parse(d, text, len, name, err) == 0) {
		for (int i = 0; i < d->nfiles; i++)
			d->files[i].size = file_size;
		if (layout(d, err) == 0 && (!validate || cd_disc_validate(d, err) == 0))
			return d;
	}
	cd_disc_free(d);
	return NULL;
}

#endif
