/* SPDX-License-Identifier: MIT */
/* Unit tests: calendar conversion, UTF-16 decoding, error convention. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/core.h"
#include "util/timeconv.h"
#include "util/utf.h"

static void test_civil(void **state)
{
	char buf[32];
	(void)state;
	assert_int_equal(tc_from_civil(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(tc_from_civil(2000, 3, 1, 0, 0, 0), 951868800);
	assert_int_equal(tc_from_civil(1969, 12, 31, 23, 59, 59), -1);
	assert_int_equal(tc_from_civil(2038, 1, 19, 3, 14, 8), 2147483648LL);
	tc_format_iso8601(951868800, buf, sizeof(buf));
	assert_string_equal(buf, "2000-03-01T00:00:00Z");
	tc_format_iso8601(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
}

static void test_utf16(void **state)
{
	char out[64];
	/* "aé" + U+1F600 (surrogate pair) + lone high surrogate at the end */
	const uint8_t in[] = { 0, 'a', 0, 0xE9, 0xD8, 0x3D, 0xDE, 0x00, 0xD8, 0x00 };
	(void)state;
	size_t n = utf16be_to_utf8(in, sizeof(in), out, sizeof(out));
	assert_int_equal(n, 1 + 2 + 4 + 3);
	assert_memory_equal(out, "a\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD", n);
	/* truncation happens at a character boundary */
	n = utf16be_to_utf8(in, sizeof(in), out, 4);
	assert_int_equal(n, 3);
	assert_string_equal(out, "a\xC3\xA9");
	/* odd trailing byte ignored */
	n = utf16be_to_utf8(in, 3, out, sizeof(out));
	assert_string_equal(out, "a");
}

static void test_first_error_wins(void **state)
{
	struct dimg_error e;
	(void)state;
	dimg_error_clear(&e);
	assert_int_equal(dimg_err(&e, DIMG_EFORMAT, 42, "first %d", 1), DIMG_EFORMAT);
	assert_int_equal(dimg_err(&e, DIMG_EIO, 7, "second"), DIMG_EIO);
	assert_int_equal(e.code, DIMG_EFORMAT);
	assert_int_equal(e.offset, 42);
	assert_string_equal(e.message, "first 1");
	assert_string_equal(dimg_strerror(DIMG_ELIMIT), "limit exceeded");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_first_error_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
