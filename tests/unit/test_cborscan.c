/*
 * test_cborscan.c: the bounds check of CBOR bodies before cbor_load
 * (lwm2m/cborscan.c), under the limits each of its users gives it: the
 * gateway's SenML CBOR (tag 4 allowed) and the node's Bootstrap-Write
 * (no tag, fewer items). Hostile bodies: sizes no body could hold, deep
 * nesting, too many items, tags, stray breaks, bytes after the item.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/cborscan.h"

static const struct cborscan_limits senml = { "SenML CBOR", 32768, 4, 1 };
static const struct cborscan_limits notag = { "body", 8, 3, 0 };

#define PASS(lim, ...) do {						\
	const uint8_t b_[] = { __VA_ARGS__ };				\
	char err_[200] = "";						\
									\
	if (cborscan_body(b_, sizeof(b_), (lim), err_, sizeof(err_)) != 0) \
		fail_msg("refused: %s", err_);				\
} while (0)

#define FAIL(lim, want, ...) do {					\
	const uint8_t b_[] = { __VA_ARGS__ };				\
	char err_[200] = "";						\
									\
	assert_int_equal(cborscan_body(b_, sizeof(b_), (lim), err_,	\
	    sizeof(err_)), -1);						\
	if (strstr(err_, (want)) == NULL)				\
		fail_msg("'%s' does not hold '%s'", err_, (want));	\
} while (0)

static void
test_good(void **state)
{
	(void)state;
	PASS(&senml, 0x80);					/* [] */
	PASS(&senml, 0x81, 0xa1, 0x00, 0x61, 'a');		/* [{0:"a"}] */
	PASS(&senml, 0x9f, 0xbf, 0x02, 0x01, 0xff, 0xff);	/* indefinite */
	PASS(&senml, 0x81, 0xa1, 0x02, 0xc4, 0x82, 0x21, 0x19, 0x01, 0x00);
	PASS(&notag, 0x81, 0xa1, 0x08, 0x41, 0x00);		/* bytes */
	PASS(&notag, 0x00);
}

static void
test_hostile(void **state)
{
	(void)state;
	FAIL(&senml, "SenML CBOR at byte 0: array of 4294967295 items in 6 "
	    "bytes", 0x9a, 0xff, 0xff, 0xff, 0xff, 0x00);
	FAIL(&senml, "SenML CBOR at byte 1: map of 1 pairs in 2 bytes",
	    0x81, 0xa1, 0x00);
	FAIL(&senml, "SenML CBOR: cut short at byte 2", 0x9f, 0x00);
	FAIL(&senml, "SenML CBOR: 1 bytes after the pack", 0x80, 0x00);
	FAIL(&senml, "at byte 4: nested more than 4 deep", 0x81, 0x81, 0x81,
	    0x81, 0x81, 0x00);
	FAIL(&senml, "at byte 0: break where none belongs", 0xff);
	FAIL(&senml, "break where none belongs", 0x9f, 0xc4, 0xff);
	FAIL(&senml, "indefinite-length string", 0x81, 0x7f, 0x61, 'a', 0xff);
	FAIL(&senml, "indefinite-length string", 0x81, 0x5f, 0x41, 'a', 0xff);
	FAIL(&senml, "tag 1 has no use in SenML", 0x81, 0xc1, 0x00);
	FAIL(&senml, "a tag on a tag", 0x81, 0xc4, 0xc4, 0x00);
	FAIL(&senml, "malformed item", 0x1c);
	/* The other limits: no tag at all, fewer items, less nesting. */
	FAIL(&notag, "body at byte 1: tag 4 where no tag belongs", 0x81, 0xc4,
	    0x00);
	FAIL(&notag, "body at byte 8: more than 8 items", 0x89, 0, 0, 0, 0, 0,
	    0, 0, 0, 0);
	FAIL(&notag, "body at byte 3: nested more than 3 deep", 0x81, 0x81,
	    0x81, 0x81, 0x00);
}

/* Any prefix of a good body is cut short; errlen 0 writes nothing. */
static void
test_prefixes(void **state)
{
	static const uint8_t b[] = { 0x82, 0xa2, 0x00, 0x61, 'a', 0x02, 0xf5,
	    0x9f, 0x41, 0x00, 0xff };
	char err[200];
	size_t l;

	(void)state;
	assert_int_equal(cborscan_body(b, sizeof(b), &senml, err, sizeof(err)),
	    0);
	assert_int_equal(cborscan_body(b, 0, &notag, err, sizeof(err)), -1);
	assert_string_equal(err, "body: cut short at byte 0");
	for (l = 0; l < sizeof(b); l++) {
		memset(err, 'x', sizeof(err));
		assert_int_equal(cborscan_body(b, l, &senml, err, 0), -1);
		assert_int_equal(err[0], 'x');
		assert_int_equal(cborscan_body(b, l, &senml, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, "SenML CBOR"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
