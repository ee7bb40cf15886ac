/* SPDX-License-Identifier: MIT */
/* Checked arithmetic for every size derived from input. */
#ifndef DIMG_UTIL_CHECKED_H
#define DIMG_UTIL_CHECKED_H

#include <stdbool.h>
#include <stdint.h>

/* Each returns true on overflow (like the builtins they wrap). */
static inline bool ck_add_u64(uint64_t a, uint64_t b, uint64_t *r) { return __builtin_add_overflow(a, b, r); }
static inline bool ck_mul_u64(uint64_t a, uint64_t b, uint64_t *r) { return __builtin_mul_overflow(a, b, r); }
static inline bool ck_add_size(size_t a, size_t b, size_t *r) { return __builtin_add_overflow(a, b, r); }
static inline bool ck_mul_size(size_t a, size_t b, size_t *r) { return __builtin_mul_overflow(a, b, r); }

#endif
