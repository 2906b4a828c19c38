/*
 * test_headscan.c: unit tests for proxy/headscan.c, the end of a request
 * head in pieces as they come off the socket (the header deadline of
 * proxy/conn.c ends there): whole heads, every split, CR LF and bare LF,
 * and hostile bytes that must not end a head.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proxy/headscan.h"

/* Whether s ends a head when fed at once, on an exact-size heap copy so
 * that ASan sees a read past the end. */
static int
whole(const char *s, size_t len)
{
	unsigned char *copy = malloc(len ? len : 1);
	int state = 0, r;

	assert_non_null(copy);
	memcpy(copy, s, len);
	r = headscan(&state, copy, len);
	free(copy);
	return r;
}

/* The same, fed one byte at a time. */
static int
bytewise(const char *s, size_t len)
{
	int state = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (headscan(&state, (const unsigned char *)s + i, 1))
			return 1;
	return 0;
}

#define W(s)	whole(s, sizeof(s) - 1)
#define B(s)	bytewise(s, sizeof(s) - 1)

static void
test_heads_end(void **state)
{
	(void)state;
	assert_true(W("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	assert_true(W("GET / HTTP/1.1\nHost: x\n\n"));
	assert_true(W("GET / HTTP/1.1\r\n\r\n"));
	assert_true(W("GET / HTTP/1.1\n\r\nbody"));
	assert_true(B("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	assert_true(B("GET / HTTP/1.1\nHost: x\n\n"));
	assert_true(W("\n\n"));
}

static void
test_heads_not_yet(void **state)
{
	(void)state;
	assert_false(W(""));
	assert_false(W("GET / HTTP/1.1\r\nHost: x\r\n"));
	assert_false(W("GET / HTTP/1.1\r\nX: \r\r\n"));	/* CR CR */
	assert_false(W("GET / HTTP/1.1\r\n\r\r\n"));	/* LF CR CR LF */
	assert_false(W("X-Endless: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_false(W("\r\r\r\r\r\r"));
	assert_false(B("GET / HTTP/1.1\r\nA: b\r\n \r\n"));
	assert_false(W("\0\0\n\0\n\0"));
}

/* Every split of a head in two pieces ends it at the same place. */
static void
test_every_split(void **state)
{
	const char *h = "POST /v1/devices HTTP/1.1\r\nHost: gw\r\n"
	    "Content-Length: 2\r\n\r\n{}";
	size_t len = strlen(h), cut;
	int st, r;

	(void)state;
	for (cut = 0; cut <= len; cut++) {
		st = 0;
		r = headscan(&st, (const unsigned char *)h, cut);
		if (!r)
			r = headscan(&st, (const unsigned char *)h + cut,
			    len - cut);
		assert_true(r);
	}
	/* Cut right before the final LF: not yet, then yes. */
	st = 0;
	assert_false(headscan(&st, (const unsigned char *)h,
	    strstr(h, "\r\n\r\n") + 3 - h));
	assert_true(headscan(&st, (const unsigned char *)"\n", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heads_end),
		cmocka_unit_test(test_heads_not_yet),
		cmocka_unit_test(test_every_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
