/*
 * test_rng.c: the token generator (modules/coap/rng.c). A known-answer check
 * that its output is the ChaCha20 keystream after the key it takes for
 * itself (RFC 7539 A.1, test vector 1: key and nonce zero), that reads
 * span refills, that nothing is handed out before a seed or after the
 * state is wiped, and that the kernel-seeded generator gives fresh bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "modules/coap/rng.h"

/* Bytes 32..63 of ChaCha20's first block under the zero key and nonce:
 * bytes 0..31 became the next key. */
static const uint8_t kat[32] = {
	0xda, 0x41, 0x59, 0x7c, 0x51, 0x57, 0x48, 0x8d,
	0x77, 0x24, 0xe0, 0x3f, 0xb8, 0xd8, 0x4a, 0x37,
	0x6a, 0x43, 0xb8, 0xf4, 0x15, 0x18, 0xa1, 0x1c,
	0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86,
};

static void
test_known_answer(void **state)
{
	uint8_t zero[RNG_KEY], out[32];

	(void)state;
	memset(zero, 0, sizeof(zero));
	rng_init_key(zero);
	assert_int_equal(rng_fill(out, 8), 1);
	assert_int_equal(rng_fill(out + 8, 24), 1);	/* split reads */
	assert_memory_equal(out, kat, sizeof(kat));
	rng_free();
}

static void
test_reads_span_refills(void **state)
{
	static uint8_t a[3 * RNG_BUF + 7], b[3 * RNG_BUF + 7];
	uint8_t zero[RNG_KEY];

	(void)state;
	memset(zero, 0, sizeof(zero));
	rng_init_key(zero);
	assert_int_equal(rng_fill(a, sizeof(a)), 1);
	rng_init_key(zero);
	assert_int_equal(rng_fill(b, 100), 1);		/* same stream, */
	assert_int_equal(rng_fill(b + 100, sizeof(b) - 100), 1); /* cut */
	assert_memory_equal(a, b, sizeof(a));
	/* The key changes with each refill: no block repeats the first. */
	assert_memory_not_equal(a, a + RNG_BUF, 64);
	assert_memory_not_equal(a + RNG_BUF, a + 2 * RNG_BUF, 64);
	rng_free();
}

static void
test_nothing_without_a_seed(void **state)
{
	uint8_t out[8];

	(void)state;
	rng_free();
	assert_int_equal(rng_fill(out, sizeof(out)), 0);
}

static void
test_kernel_seeded_bytes_differ(void **state)
{
	uint8_t a[16], b[16], zero[16];

	(void)state;
	memset(zero, 0, sizeof(zero));
	assert_int_equal(rng_init(), 0);
	assert_int_equal(rng_fill(a, sizeof(a)), 1);
	assert_int_equal(rng_fill(b, sizeof(b)), 1);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	/* Not the zero key's stream. */
	assert_memory_not_equal(a, kat, sizeof(a));
	rng_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_reads_span_refills),
		cmocka_unit_test(test_nothing_without_a_seed),
		cmocka_unit_test(test_kernel_seeded_bytes_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
