/* SPDX-License-Identifier: MIT */
/* Explicit-endian loaders.  On-disk data is never cast to a struct. */
#ifndef DIMG_UTIL_BYTES_H
#define DIMG_UTIL_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t ld_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint16_t ld_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t ld_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline uint32_t ld_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	       (uint32_t)p[3];
}
static inline uint64_t ld_le64(const uint8_t *p)
{
	return (uint64_t)ld_le32(p) | ((uint64_t)ld_le32(p + 4) << 32);
}
static inline uint64_t ld_be64(const uint8_t *p)
{
	return ((uint64_t)ld_be32(p) << 32) | (uint64_t)ld_be32(p + 4);
}
static inline void st_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void st_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void st_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
/* Swaps the bytes of each 16-bit word of p (big- <-> little-endian PCM). */
static inline void swap16_words(uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint8_t t = p[i];
		p[i] = p[i + 1];
		p[i + 1] = t;
	}
}

#endif
