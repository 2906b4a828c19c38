/*
 * test_base64.c: unit tests for base64.c: the RFC 4648 test vectors both
 * ways, every byte value through a round trip, and hostile input (bad
 * padding, '=' in the middle, wrong lengths, characters outside the
 * alphabet, NUL, the URL-safe alphabet, white space).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base64.h"

/* RFC 4648, section 10. */
static const struct {
	const char	*plain, *coded;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void
test_vectors_encode(void **state)
{
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		s = base64_encode((const uint8_t *)vectors[i].plain,
		    strlen(vectors[i].plain));
		assert_non_null(s);
		assert_string_equal(s, vectors[i].coded);
		free(s);
	}
}

static void
test_vectors_decode(void **state)
{
	uint8_t *out;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		len = 99;
		assert_int_equal(base64_decode(vectors[i].coded,
		    strlen(vectors[i].coded), &out, &len), 0);
		/* never NULL on success, even when empty */
		assert_non_null(out);
		assert_int_equal(len, strlen(vectors[i].plain));
		assert_memory_equal(out, vectors[i].plain, len);
		free(out);
	}
}

/* The whole alphabet, and bytes with the high bit set. */
static void
test_alphabet(void **state)
{
	static const uint8_t bytes[] = { 0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83 };
	uint8_t *out;
	size_t len;
	char *s;

	(void)state;
	s = base64_encode(bytes, sizeof(bytes));
	assert_non_null(s);
	assert_string_equal(s, "+/+/ABCD");
	free(s);
	assert_int_equal(base64_decode("+/+/ABCD", 8, &out, &len), 0);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(out, bytes, len);
	free(out);
}

/* Every length from 0 to 300 over every byte value, both ways. */
static void
test_round_trip(void **state)
{
	uint8_t in[300], *out;
	size_t n, i, len;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	for (n = 0; n <= sizeof(in); n++) {
		s = base64_encode(in, n);
		assert_non_null(s);
		assert_int_equal(strlen(s), (n + 2) / 3 * 4);
		assert_int_equal(base64_decode(s, strlen(s), &out, &len), 0);
		assert_int_equal(len, n);
		if (n > 0)
			assert_memory_equal(out, in, n);
		free(out);
		free(s);
	}
}

/* Only len bytes are read: what follows does not matter. */
static void
test_length_bounds_the_read(void **state)
{
	uint8_t *out;
	size_t len;

	(void)state;
	assert_int_equal(base64_decode("Zm9v!!!!", 4, &out, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, "foo", 3);
	free(out);
}

static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		/* wrong lengths */
		"Z", "Zg", "Zg=", "Zm9", "Zm9vY", "Zm9vYg", "Zm9vYg=",
		"Zg===",
		/* bad padding */
		"Z===", "====", "Zg=A", "Z=g=", "=Zg=", "Zm9v====",
		/* '=' in the middle */
		"Zg==Zm9v", "Zm8=Zm9v", "Zm9v=m9v", "Zm9vZ=9v",
		/* outside the alphabet */
		"Zm9v!", "Zm9-", "Zm9_", "Zm 9", "Zm9\n", "Zm9v\r\n",
		" Zm9", "Zm.v", "Zm9\x80", "\xc3\xa9m9v", "Zm9\x7f",
		"Zm:v", "Zm@v", "Zm[v", "Zm`v", "Zm{v",
	};
	uint8_t *out = (uint8_t *)"x";
	size_t i, len = 7;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (base64_decode(bad[i], strlen(bad[i]), &out, &len) != -1)
			fail_msg("\"%s\" decoded", bad[i]);
		assert_null(out);
		assert_int_equal(len, 0);
	}
}

/* A NUL inside the given length is not a character of the alphabet. */
static void
test_nul(void **state)
{
	static const char s1[] = "Zm9\0Zm9v", s2[] = "Zg\0=", s3[] = "\0\0\0\0";
	uint8_t *out;
	size_t len;

	(void)state;
	assert_int_equal(base64_decode(s1, 8, &out, &len), -1);
	assert_null(out);
	assert_int_equal(base64_decode(s2, 4, &out, &len), -1);
	assert_int_equal(base64_decode(s3, 4, &out, &len), -1);
}

/* A long input: no size is kept in anything narrower than size_t. */
static void
test_large(void **state)
{
	size_t n = 3u << 20, i, len;
	uint8_t *in, *out;
	char *s;

	(void)state;
	in = malloc(n);
	assert_non_null(in);
	for (i = 0; i < n; i++)
		in[i] = (uint8_t)(i ^ (i >> 8));
	s = base64_encode(in, n);
	assert_non_null(s);
	assert_int_equal(strlen(s), n / 3 * 4);
	assert_int_equal(base64_decode(s, strlen(s), &out, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(out, in, n);
	free(out);
	free(s);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_encode),
		cmocka_unit_test(test_vectors_decode),
		cmocka_unit_test(test_alphabet),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_length_bounds_the_read),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
