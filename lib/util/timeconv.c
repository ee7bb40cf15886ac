/* SPDX-License-Identifier: MIT */
/* Calendar arithmetic without the C library's time zone state. */
#include "util/timeconv.h"

#include <stdio.h>

static int64_t days_from_civil(int64_t y, int m, int d)
{
	/* Howard Hinnant's algorithm (public domain description). */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t tc_from_civil(int64_t year, int month, int day, int hour, int min, int sec)
{
	return days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
}

void tc_to_civil(int64_t t, int64_t *year, int *month, int *day, int *hour, int *min, int *sec)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t rem = t - days * 86400;
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	*year = y;
	*month = (int)m;
	*day = (int)d;
	*hour = (int)(rem / 3600);
	*min = (int)(rem / 60 % 60);
	*sec = (int)(rem % 60);
}

void tc_format_iso8601(int64_t t, char *buf, size_t size)
{
	int64_t y;
	int m, d, hh, mm, ss;
	tc_to_civil(t, &y, &m, &d, &hh, &mm, &ss);
	int64_t rem = (int64_t)hh * 3600 + mm * 60 + ss;
	if (y < 0 || y > 9999 || size < 21) {
		snprintf(buf, size, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y,
			 (long long)m, (long long)d, (long long)(rem / 3600),
			 (long long)(rem / 60 % 60), (long long)(rem % 60));
		return;
	}
	/* the common case by hand: listings format one stamp per entry */
	const int v[6] = { (int)y, (int)m, (int)d, (int)(rem / 3600), (int)(rem / 60 % 60),
			   (int)(rem % 60) };
	char *p = buf;
	p[0] = (char)('0' + v[0] / 1000);
	p[1] = (char)('0' + v[0] / 100 % 10);
	p[2] = (char)('0' + v[0] / 10 % 10);
	p[3] = (char)('0' + v[0] % 10);
	p += 4;
	static const char sep[] = "--T::Z";
	for (int i = 1; i < 6; i++) {
		*p++ = sep[i - 1];
		*p++ = (char)('0' + v[i] / 10);
		*p++ = (char)('0' + v[i] % 10);
	}
	*p++ = 'Z';
	*p = 0;
}
