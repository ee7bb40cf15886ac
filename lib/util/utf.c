/* SPDX-License-Identifier: MIT */
#include "util/utf.h"

size_t utf8_put(uint32_t cp, char *out, size_t room)
{
	if (cp < 0x80) {
		if (room < 1)
			return 0;
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		if (room < 2)
			return 0;
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		if (room < 3)
			return 0;
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	if (room < 4)
		return 0;
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t utf16be_to_utf8(const uint8_t *in, size_t in_len, char *out, size_t out_size)
{
	size_t o = 0, i = 0;
	if (out_size == 0)
		return 0;
	while (i + 1 < in_len) {
		uint32_t cp = ((uint32_t)in[i] << 8) | in[i + 1];
		size_t n;
		i += 2;
		if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < in_len) {
			uint32_t lo = ((uint32_t)in[i] << 8) | in[i + 1];
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			} else {
				cp = 0xFFFD;
			}
		} else if (cp >= 0xD800 && cp <= 0xDFFF) {
			cp = 0xFFFD;
		}
		n = utf8_put(cp, out + o, out_size - 1 - o);
		if (n == 0)
			break;
		o += n;
	}
	out[o] = 0;
	return o;
}
