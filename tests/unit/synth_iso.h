/* SPDX-License-Identifier: MIT */
/* Builds small ISO 9660 images in memory, byte by byte, for unit tests of
 * the reader (including deliberately broken ones). */
#ifndef DIMG_SYNTH_ISO_H
#define DIMG_SYNTH_ISO_H

#include <stddef.h>
#include <stdint.h>

#define SYN_SEC 2048u

struct synth {
	uint8_t *buf;
	size_t size;
};

void synth_init(struct synth *s, unsigned nblocks);
void synth_free(struct synth *s);
uint8_t *synth_block(struct synth *s, unsigned lba);
void synth_both32(uint8_t *p, uint32_t v);
/* PVD at 16 (root directory at root_lba, root_size bytes) and terminator at 17. */
void synth_pvd(struct synth *s, uint32_t root_lba, uint32_t root_size);
/* Writes a directory record at p; returns its length. */
size_t synth_record(uint8_t *p, uint32_t lba, uint32_t size, uint8_t flags, const char *name,
		    size_t name_len, const uint8_t *sua, size_t sua_len);
/* "." and ".." records for a directory; returns bytes written. */
size_t synth_dots(uint8_t *p, uint32_t self, uint32_t self_size, uint32_t parent,
		  uint32_t parent_size, const uint8_t *dot_sua, size_t dot_sua_len);
/* SUSP helpers: append an entry; return new length. */
size_t susp_add(uint8_t *sua, size_t len, const char *sig, const uint8_t *data, size_t dlen);
size_t susp_px(uint8_t *sua, size_t len, uint32_t mode, uint32_t nlink, uint32_t uid,
	       uint32_t gid, uint32_t ino);
size_t susp_sp(uint8_t *sua, size_t len);
size_t susp_nm(uint8_t *sua, size_t len, uint8_t flags, const char *name);
size_t susp_ce(uint8_t *sua, size_t len, uint32_t lba, uint32_t off, uint32_t clen);

#endif
