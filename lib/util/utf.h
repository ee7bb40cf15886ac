/* SPDX-License-Identifier: MIT */
#ifndef DIMG_UTIL_UTF_H
#define DIMG_UTIL_UTF_H

#include <stddef.h>
#include <stdint.h>

/* Converts UTF-16BE (UCS-2 with surrogate pairs) to UTF-8.  Unpaired
 * surrogates become U+FFFD.  Returns the number of bytes written (always
 * NUL-terminated, truncated at a character boundary if out is too small).
 * An odd trailing byte is ignored. */
size_t utf16be_to_utf8(const uint8_t *in, size_t in_len, char *out, size_t out_size);
/* Appends the UTF-8 encoding of cp; returns bytes written (0 if no room). */
size_t utf8_put(uint32_t cp, char *out, size_t room);

#endif
