/* SPDX-License-Identifier: MIT */
/*
 * ECMA-130 sectors: MSF arithmetic, EDC/ECC generation and checking.  The
 * independent oracle is libcdio's isofs-m1.bin (302 raw Mode 1 sectors
 * written by another tool): every sector must check clean and re-encoding its
 * user data must give back all 2352 bytes.  That part runs when
 * ../shared/corpus is present and is skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cd/cd_sector.h"

static void test_msf(void **state)
{
	uint8_t m, s, f;
	(void)state;
	cd_lba_to_msf(0, &m, &s, &f);
	assert_int_equal(m, 0);
	assert_int_equal(s, 2);
	assert_int_equal(f, 0);
	cd_lba_to_msf(-150, &m, &s, &f);
	assert_int_equal(m + s + f, 0);
	cd_lba_to_msf(449849, &m, &s, &f);
	assert_int_equal(m, 99);
	assert_int_equal(s, 59);
	assert_int_equal(f, 74);
	for (int32_t lba = -150; lba < 400000; lba += 997) {
		cd_lba_to_msf(lba, &m, &s, &f);
		assert_int_equal(cd_msf_to_lba(m, s, f), lba);
	}
	assert_int_equal(cd_bcd(59), 0x59);
	assert_int_equal(cd_unbcd(0x74), 74);
}

static void test_edc_slices_agree(void **state)
{
	uint8_t buf[2100];
	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	/* the sliced path and the bytewise path must agree at every split */
	uint32_t whole = cd_edc(buf, sizeof(buf), 0);
	for (size_t cut = 0; cut < 40; cut++)
		assert_int_equal(cd_edc(buf + cut, sizeof(buf) - cut, cd_edc(buf, cut, 0)), whole);
}

static void test_mode1_round_trip_and_damage(void **state)
{
	uint8_t data[2048], sec[CD_RAW], copy[CD_RAW];
	enum cd_mode mode;
	(void)state;
	for (int i = 0; i < 2048; i++)
		data[i] = (uint8_t)(i ^ (i >> 3));
	cd_sector_encode(sec, 1234, CD_MODE1, data, NULL);
	assert_int_equal(cd_sector_check(sec, 1234, &mode), 0);
	assert_int_equal(mode, CD_MODE1);
	assert_int_equal(cd_sector_check(sec, 1235, NULL), CD_BAD_MSF);
	memcpy(copy, sec, CD_RAW);
	copy[CD_DATA1 + 100] ^= 1;
	assert_int_equal(cd_sector_check(copy, 1234, NULL), CD_BAD_EDC | CD_BAD_ECC);
	memcpy(copy, sec, CD_RAW);
	copy[CD_P_PARITY + 5] ^= 0x40;
	assert_int_equal(cd_sector_check(copy, 1234, NULL), CD_BAD_ECC);
	memcpy(copy, sec, CD_RAW);
	copy[CD_Q_PARITY + 103] ^= 0x80;
	assert_int_equal(cd_sector_check(copy, 1234, NULL), CD_BAD_ECC);
	memcpy(copy, sec, CD_RAW);
	copy[3] = 0;
	/* the Mode 1 EDC covers the sync pattern too */
	assert_int_equal(cd_sector_check(copy, 1234, NULL), CD_BAD_SYNC | CD_BAD_EDC);
	/* regeneration repairs parity */
	memcpy(copy, sec, CD_RAW);
	memset(copy + CD_P_PARITY, 0, CD_RAW - CD_P_PARITY);
	cd_ecc_generate(copy, false);
	assert_memory_equal(copy, sec, CD_RAW);
}

static void test_mode2_forms(void **state)
{
	uint8_t data[2336], sec[CD_RAW];
	const uint8_t sh[4] = { 1, 2, 0x08, 0 };
	enum cd_mode mode;
	(void)state;
	memset(data, 0xA5, sizeof(data));
	cd_sector_encode(sec, 99, CD_MODE2_FORM1, data, sh);
	assert_int_equal(cd_sector_check(sec, 99, &mode), 0);
	assert_int_equal(mode, CD_MODE2_FORM1);
	/* the header does not take part in Form 1 ECC */
	sec[12] ^= 0x10;
	assert_false(cd_sector_check(sec, -1, NULL) & CD_BAD_ECC);
	cd_sector_encode(sec, 99, CD_MODE2_FORM2, data, sh);
	assert_int_equal(cd_sector_check(sec, 99, &mode), 0);
	assert_int_equal(mode, CD_MODE2_FORM2);
	sec[CD_DATA2 + 7] ^= 1;
	assert_int_equal(cd_sector_check(sec, 99, NULL), CD_BAD_EDC);
}

static void test_foreign_mode1_image(void **state)
{
	const char *xz = "../shared/corpus/libcdio/isofs-m1.bin.xz";
	char cmd[512];
	uint8_t sec[CD_RAW], again[CD_RAW];
	int n = 0;
	(void)state;
	if (access(xz, R_OK) != 0 && access((xz = "../../shared/corpus/libcdio/isofs-m1.bin.xz"), R_OK) != 0)
		skip();
	snprintf(cmd, sizeof(cmd), "xz -dc '%s'", xz);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	while (fread(sec, 1, CD_RAW, f) == CD_RAW) {
		enum cd_mode mode;
		assert_int_equal(cd_sector_check(sec, n, &mode), 0);
		assert_int_equal(mode, CD_MODE1);
		cd_sector_encode(again, n, CD_MODE1, sec + CD_DATA1, NULL);
		assert_memory_equal(again, sec, CD_RAW);
		n++;
	}
	pclose(f);
	assert_int_equal(n, 302);
}

/* The first bytes of the annex B sequence as published (and as every
 * .scram tool uses them); scrambling is its own inverse and leaves the sync
 * alone. */
static void test_scramble(void **state)
{
	static const uint8_t head[16] = { 0x01, 0x80, 0x00, 0x60, 0x00, 0x28, 0x00, 0x1E,
					  0x80, 0x08, 0x60, 0x06, 0xA8, 0x02, 0xFE, 0x81 };
	uint8_t s[CD_RAW], orig[CD_RAW], data[2048];
	(void)state;
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(cd_scramble_byte(i), head[i]);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	cd_sector_encode(s, 1234, CD_MODE1, data, NULL);
	memcpy(orig, s, CD_RAW);
	cd_scramble(s);
	assert_memory_equal(s, orig, CD_SYNC_LEN);
	assert_memory_not_equal(s + 12, orig + 12, 16);
	assert_int_equal(s[12], orig[12] ^ 0x01);
	cd_scramble(s);
	assert_memory_equal(s, orig, CD_RAW);
	/* a maximal 15-bit sequence has period 32767 bits, longer than the
	 * 18720 bits used: its first 16 bytes occur nowhere else */
	for (unsigned off = 1; off + 16 <= CD_RAW - CD_SYNC_LEN; off++) {
		unsigned same = 0;
		for (unsigned i = 0; i < 16; i++)
			same += cd_scramble_byte(off + i) == head[i];
		assert_true(same < 16);
	}
}

/* The carry-less-multiplication EDC against the table one, for every
 * length and alignment up to a few sectors and several start values. */
static void test_edc_fast_equals_table(void **state)
{
	static uint8_t buf[3 * 2352 + 16];
	uint32_t seed = 12345;
	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (size_t off = 0; off < 16; off += 5)
		for (size_t len = 0; len + off <= sizeof(buf); len += len < 100 ? 1 : 37)
			for (uint32_t init = 0; init < 3; init++) {
				uint32_t v = init * 0x9E3779B9u;
				assert_int_equal(cd_edc(buf + off, len, v),
						 cd_edc_portable(buf + off, len, v));
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msf),
		cmocka_unit_test(test_scramble),
		cmocka_unit_test(test_edc_fast_equals_table),
		cmocka_unit_test(test_edc_slices_agree),
		cmocka_unit_test(test_mode1_round_trip_and_damage),
		cmocka_unit_test(test_mode2_forms),
		cmocka_unit_test(test_foreign_mode1_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
