/* SPDX-License-Identifier: MIT */
/*
 * ECMA-130 sector arithmetic.  EDC is the 32-bit CRC with polynomial
 * (x^16 + x^15 + x^2 + 1)(x^16 + x^2 + x + 1), processed LSB first; it is
 * table-driven and sliced by 8 so verifying an image is bound by reading it.
 * ECC is the RSPC of annex A: P is a (26,24) code over 43 columns of 2 x 24
 * bytes, Q a (45,43) code over 26 diagonals, both over GF(2^8) with
 * x^8 + x^4 + x^3 + x^2 + 1; they are computed with the usual "multiply by
 * alpha" lookup (two 256-byte tables), one pass per codeword.
 */
#include "cd/cd_sector.h"

#include <pthread.h>
#include <string.h>

const uint8_t cd_sync[CD_SYNC_LEN] = {0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
				      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};

static uint32_t edc_tab[8][256];
static uint8_t scram_tab[CD_RAW - CD_SYNC_LEN];
static uint8_t gf_mul2[256], gf_div3[256]; /* alpha*x and x/(alpha+1) */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static bool have_clmul; /* set once with the tables */

static void make_tables(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	have_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
#endif
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? 0xD8018001u : 0);
		edc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int s = 1; s < 8; s++)
			edc_tab[s][i] =
			    (edc_tab[s - 1][i] >> 8) ^ edc_tab[0][edc_tab[s - 1][i] & 0xFF];
	/* annex B: 15-bit register x^15 + x + 1 preset to 1, output LSB first */
	for (uint32_t i = 0, reg = 1; i < CD_RAW - CD_SYNC_LEN; i++) {
		uint8_t b = 0;
		for (int k = 0; k < 8; k++) {
			b |= (uint8_t)((reg & 1) << k);
			reg = (reg >> 1) | (((reg ^ (reg >> 1)) & 1) << 14);
		}
		scram_tab[i] = b;
	}
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t j = (i << 1) ^ ((i & 0x80) ? 0x11D : 0);
		gf_mul2[i] = (uint8_t)j;
		gf_div3[i ^ j] = (uint8_t)i; /* (alpha + 1) * i = i ^ 2i */
	}
}

static void tables(void)
{
	pthread_once(&tables_once, make_tables);
}

uint32_t cd_edc_portable(const uint8_t *p, size_t len, uint32_t edc)
{
	tables();
	while (len >= 8) {
		uint32_t lo = edc ^ ((uint32_t)p[0] | ((uint32_t)p[1] << 8) |
				     ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
		edc = edc_tab[7][lo & 0xFF] ^ edc_tab[6][(lo >> 8) & 0xFF] ^
		      edc_tab[5][(lo >> 16) & 0xFF] ^ edc_tab[4][lo >> 24] ^ edc_tab[3][p[4]] ^
		      edc_tab[2][p[5]] ^ edc_tab[1][p[6]] ^ edc_tab[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len--)
		edc = (edc >> 8) ^ edc_tab[0][(edc ^ *p++) & 0xFF];
	return edc;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* Carry-less multiplication folding (the method of Intel's "Fast CRC
 * Computation Using PCLMULQDQ", for a reflected CRC): 16 bytes per step,
 * then 128 -> 64 -> 32 bits and a Barrett reduction.  The constants are
 * x^160, x^96 and x^64 mod P bit-reflected and shifted left by one, then
 * floor(x^64 / P) reflected and P itself, for the EDC polynomial
 * P = x^32 + x^31 + x^16 + x^15 + x^4 + x^3 + x + 1 (they were derived by
 * the same program that reproduces zlib's published CRC-32 constants).
 * len is a multiple of 16, at least 16. */
__attribute__((target("pclmul,sse4.1"))) static uint32_t edc_clmul(const uint8_t *p, size_t len,
								   uint32_t crc)
{
	const __m128i k34 = _mm_set_epi64x(0x1d5934102LL, 0x6c90c100LL);
	const __m128i k5 = _mm_set_epi64x(0, 0x1f1030002LL);
	const __m128i up = _mm_set_epi64x(0x17000ffffLL, 0x1b0030003LL);
	const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
	__m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)crc));
	__m128i t;
	for (p += 16, len -= 16; len >= 16; p += 16, len -= 16) {
		__m128i a = _mm_clmulepi64_si128(x, k34, 0x00),
			b = _mm_clmulepi64_si128(x, k34, 0x11);
		x = _mm_xor_si128(_mm_xor_si128(a, b), _mm_loadu_si128((const __m128i *)p));
	}
	t = _mm_clmulepi64_si128(x, k34, 0x10);
	x = _mm_xor_si128(_mm_srli_si128(x, 8), t);
	t = _mm_clmulepi64_si128(_mm_and_si128(x, mask32), k5, 0x00);
	x = _mm_xor_si128(_mm_srli_si128(x, 4), t);
	t = _mm_clmulepi64_si128(_mm_and_si128(x, mask32), up, 0x10);
	t = _mm_clmulepi64_si128(_mm_and_si128(t, mask32), up, 0x00);
	x = _mm_xor_si128(x, t);
	return (uint32_t)_mm_extract_epi32(x, 1);
}

uint32_t cd_edc(const uint8_t *p, size_t len, uint32_t edc)
{
	tables();
	if (have_clmul && len >= 32) {
		size_t n = len & ~(size_t)15;
		edc = edc_clmul(p, n, edc);
		p += n;
		len -= n;
	}
	return len ? cd_edc_portable(p, len, edc) : edc;
}
#else
uint32_t cd_edc(const uint8_t *p, size_t len, uint32_t edc)
{
	return cd_edc_portable(p, len, edc);
}
#endif

/* Multiplication by alpha without a table or branch, so the loops below
 * compile to vector code (16/32 codewords per instruction). */
static inline uint8_t mul2(uint8_t x)
{
	return (uint8_t)((x << 1) ^ ((uint8_t) - (x >> 7) & 0x1D));
}

/* Both families are computed row by row over all their codewords at once:
 * a = alpha * (a + v) accumulates the weighted sum, b the plain sum, and
 * each codeword's two parity bytes follow from a and b.  Widths are padded
 * to a multiple of 16 so the compiler vectorizes without a scalar tail. */
#define P_W 96 /* 86 codewords */
#define Q_W 64 /* 52 codewords */

static void finish(const uint8_t *a, const uint8_t *b, int count, uint8_t *out)
{
	for (int w = 0; w < count; w++) {
		uint8_t x = gf_div3[gf_mul2[a[w]] ^ b[w]];
		out[w] = x;
		out[w + count] = x ^ b[w];
	}
}

/* P: 86 codewords of 24 bytes; byte k of codeword w is area[86 k + w]. */
static void p_parity(const uint8_t *area, uint8_t *out)
{
	uint8_t a[P_W] = {0}, b[P_W] = {0};
	for (int k = 0; k < 24; k++) {
		const uint8_t *row = area + 86 * k; /* the pad reads into the next row */
		for (int w = 0; w < P_W; w++) {
			uint8_t v = row[w];
			b[w] ^= v;
			a[w] = mul2(a[w] ^ v);
		}
	}
	finish(a, b, 86, out);
}

/* Q: 52 codewords of 43 bytes along diagonals of 16-bit words: byte k of
 * codewords 2d and 2d+1 is word (43 d + 44 k) mod 1118. */
static void q_parity(const uint8_t *area, uint8_t *out)
{
	uint8_t a[Q_W] = {0}, b[Q_W] = {0}, row[Q_W] = {0};
	for (int k = 0; k < 43; k++) {
		int idx = 44 * k % 1118;
		for (int d = 0; d < 26; d++) {
			row[2 * d] = area[2 * idx];
			row[2 * d + 1] = area[2 * idx + 1];
			idx += 43;
			if (idx >= 1118)
				idx -= 1118;
		}
		for (int w = 0; w < Q_W; w++) {
			uint8_t v = row[w];
			b[w] ^= v;
			a[w] = mul2(a[w] ^ v);
		}
	}
	finish(a, b, 52, out);
}

static void ecc_into(const uint8_t *sector, bool form1, uint8_t *p, uint8_t *q)
{
	/* header .. Q parity, plus slack for the padded P rows */
	uint8_t area[CD_Q_PARITY - CD_HEADER + 104 + P_W];
	tables();
	memcpy(area, sector + CD_HEADER, CD_P_PARITY - CD_HEADER);
	if (form1)
		memset(area, 0, 4);
	p_parity(area, p);
	memcpy(area + (CD_P_PARITY - CD_HEADER), p, 172);
	q_parity(area, q);
}

void cd_ecc_generate(uint8_t *sector, bool form1)
{
	ecc_into(sector, form1, sector + CD_P_PARITY, sector + CD_Q_PARITY);
}

bool cd_ecc_check(const uint8_t *sector, bool form1)
{
	uint8_t p[172], q[104];
	ecc_into(sector, form1, p, q);
	return !memcmp(p, sector + CD_P_PARITY, 172) && !memcmp(q, sector + CD_Q_PARITY, 104);
}

void cd_lba_to_msf(int32_t lba, uint8_t *m, uint8_t *s, uint8_t *f)
{
	int32_t a = lba + CD_MSF_OFFSET;
	if (a < 0)
		a += 450000; /* lead-in addresses wrap below 00:00:00 */
	*m = (uint8_t)(a / 4500);
	*s = (uint8_t)(a / 75 % 60);
	*f = (uint8_t)(a % 75);
}

int32_t cd_msf_to_lba(uint8_t m, uint8_t s, uint8_t f)
{
	return (int32_t)m * 4500 + s * 75 + f - CD_MSF_OFFSET;
}

static void put_edc(uint8_t *at, uint32_t edc)
{
	at[0] = (uint8_t)edc;
	at[1] = (uint8_t)(edc >> 8);
	at[2] = (uint8_t)(edc >> 16);
	at[3] = (uint8_t)(edc >> 24);
}

static uint32_t get_edc(const uint8_t *at)
{
	return (uint32_t)at[0] | ((uint32_t)at[1] << 8) | ((uint32_t)at[2] << 16) |
	       ((uint32_t)at[3] << 24);
}

void cd_sector_encode(uint8_t *sector, int32_t lba, enum cd_mode mode, const uint8_t *data,
		      const uint8_t subheader[4])
{
	uint8_t m, s, f;
	memset(sector, 0, CD_RAW);
	memcpy(sector, cd_sync, CD_SYNC_LEN);
	cd_lba_to_msf(lba, &m, &s, &f);
	sector[12] = cd_bcd(m);
	sector[13] = cd_bcd(s);
	sector[14] = cd_bcd(f);
	switch (mode) {
	case CD_MODE0:
		sector[15] = 0;
		break;
	case CD_MODE1:
		sector[15] = 1;
		memcpy(sector + CD_DATA1, data, 2048);
		put_edc(sector + CD_M1_EDC, cd_edc(sector, CD_M1_EDC, 0));
		cd_ecc_generate(sector, false);
		break;
	case CD_MODE2_FORMLESS:
		sector[15] = 2;
		memcpy(sector + CD_SUBHEADER, data, 2336);
		break;
	case CD_MODE2_FORM1:
	case CD_MODE2_FORM2:
		sector[15] = 2;
		for (int i = 0; i < 4; i++)
			sector[16 + i] = sector[20 + i] = subheader ? subheader[i] : 0;
		if (mode == CD_MODE2_FORM1) {
			sector[18] &= (uint8_t)~0x20;
			sector[22] &= (uint8_t)~0x20;
			memcpy(sector + CD_DATA2, data, 2048);
			put_edc(sector + CD_F1_EDC, cd_edc(sector + 16, CD_F1_EDC - 16, 0));
			cd_ecc_generate(sector, true);
		} else {
			sector[18] |= 0x20;
			sector[22] |= 0x20;
			memcpy(sector + CD_DATA2, data, 2324);
			put_edc(sector + CD_F2_EDC, cd_edc(sector + 16, CD_F2_EDC - 16, 0));
		}
		break;
	}
}

unsigned cd_sector_check(const uint8_t *sector, int32_t lba, enum cd_mode *mode)
{
	unsigned bad = 0;
	enum cd_mode md = CD_MODE1;
	if (memcmp(sector, cd_sync, CD_SYNC_LEN))
		bad |= CD_BAD_SYNC;
	if (lba >= 0) {
		uint8_t m, s, f;
		cd_lba_to_msf(lba, &m, &s, &f);
		if (sector[12] != cd_bcd(m) || sector[13] != cd_bcd(s) || sector[14] != cd_bcd(f))
			bad |= CD_BAD_MSF;
	}
	switch (sector[15] & 3) {
	case 0:
		md = CD_MODE0;
		for (unsigned i = 16; i < CD_RAW; i++)
			if (sector[i]) {
				bad |= CD_BAD_ZERO;
				break;
			}
		break;
	case 1:
		md = CD_MODE1;
		if (get_edc(sector + CD_M1_EDC) != cd_edc(sector, CD_M1_EDC, 0))
			bad |= CD_BAD_EDC;
		for (unsigned i = CD_M1_ZERO; i < CD_P_PARITY; i++)
			if (sector[i])
				bad |= CD_BAD_ZERO;
		if (!cd_ecc_check(sector, false))
			bad |= CD_BAD_ECC;
		break;
	case 2:
		if (memcmp(sector + 16, sector + 20, 4)) {
			md = CD_MODE2_FORMLESS;
			break;
		}
		if (sector[18] & 0x20) {
			md = CD_MODE2_FORM2;
			uint32_t stored = get_edc(sector + CD_F2_EDC);
			/* Form 2 EDC is optional: zero means not computed */
			if (stored && stored != cd_edc(sector + 16, CD_F2_EDC - 16, 0))
				bad |= CD_BAD_EDC;
		} else {
			md = CD_MODE2_FORM1;
			if (get_edc(sector + CD_F1_EDC) != cd_edc(sector + 16, CD_F1_EDC - 16, 0))
				bad |= CD_BAD_EDC;
			if (!cd_ecc_check(sector, true))
				bad |= CD_BAD_ECC;
		}
		break;
	default:
		bad |= CD_BAD_MODE;
		break;
	}
	if (mode)
		*mode = md;
	return bad;
}

uint8_t cd_scramble_byte(unsigned i)
{
	tables();
	return i < CD_RAW - CD_SYNC_LEN ? scram_tab[i] : 0;
}

void cd_scramble(uint8_t *sector)
{
	tables();
	for (unsigned i = 0; i < CD_RAW - CD_SYNC_LEN; i++)
		sector[CD_SYNC_LEN + i] ^= scram_tab[i];
}
