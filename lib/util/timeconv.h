/* SPDX-License-Identifier: MIT */
#ifndef DIMG_UTIL_TIMECONV_H
#define DIMG_UTIL_TIMECONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds since 1970-01-01 UTC of a proleptic Gregorian civil date/time.
 * Independent of the process time zone. */
int64_t tc_from_civil(int64_t year, int month, int day, int hour, int min, int sec);
/* The civil date and time (UTC) of t. */
void tc_to_civil(int64_t t, int64_t *year, int *month, int *day, int *hour, int *min, int *sec);
/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 32 bytes). */
void tc_format_iso8601(int64_t t, char *buf, size_t size);

#endif
