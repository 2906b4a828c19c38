/*
 * test_block1.c: unit tests for lwm2m/block1.c: a body put together in
 * order, single and repeated blocks, and hostile sequences (out of order,
 * a block size that changes, short or oversized blocks, BERT, block
 * numbers past 20 bits, a body past its limit, no first block).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lwm2m/block1.h"

static uint8_t src[4096];

static void
fill(void)
{
	size_t i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
}

/* Block num of a body of total bytes in blocks of 16 << szx. */
static enum block1_verdict
add(struct block1_body *b, uint32_t num, unsigned szx, size_t total,
    size_t max)
{
	size_t size = (size_t)16 << szx, off = (size_t)num * size;
	size_t n = off >= total ? 0 : total - off > size ? size : total - off;

	return block1_add(b, num, off + n < total, szx, src + off, n, max);
}

static void
test_in_order(void **state)
{
	struct block1_body b = { 0 };
	uint32_t num;

	(void)state;
	fill();
	for (num = 0; num < 3; num++)
		assert_int_equal(add(&b, num, 2, 200, 4096), BLOCK1_CONTINUE);
	assert_int_equal(add(&b, 3, 2, 200, 4096), BLOCK1_WHOLE);
	assert_int_equal(b.len, 200);
	assert_memory_equal(b.data, src, 200);
	block1_free(&b);
	assert_null(b.data);
}

static void
test_exact_multiple_and_limit(void **state)
{
	struct block1_body b = { 0 };

	(void)state;
	fill();
	/* 128 bytes in two full blocks: the second is the last. */
	assert_int_equal(add(&b, 0, 2, 128, 128), BLOCK1_CONTINUE);
	assert_int_equal(add(&b, 1, 2, 128, 128), BLOCK1_WHOLE);
	assert_memory_equal(b.data, src, 128);
	block1_free(&b);
	/* One byte over the limit, on the last block. */
	assert_int_equal(add(&b, 0, 2, 129, 128), BLOCK1_CONTINUE);
	assert_int_equal(add(&b, 1, 2, 129, 128), BLOCK1_CONTINUE);
	assert_int_equal(add(&b, 2, 2, 129, 128), BLOCK1_LARGE);
	block1_free(&b);
	/* Over the limit already with the first block. */
	assert_int_equal(add(&b, 0, 6, 2048, 512), BLOCK1_LARGE);
	block1_free(&b);
}

static void
test_repeats(void **state)
{
	struct block1_body b = { 0 };

	(void)state;
	fill();
	assert_int_equal(add(&b, 0, 2, 200, 4096), BLOCK1_CONTINUE);
	/* The first block again (its 2.31 lost): starts over, same bytes. */
	assert_int_equal(add(&b, 0, 2, 200, 4096), BLOCK1_CONTINUE);
	assert_int_equal(b.len, 64);
	assert_int_equal(add(&b, 1, 2, 200, 4096), BLOCK1_CONTINUE);
	/* Block 1 again: answered again, nothing kept twice. */
	assert_int_equal(add(&b, 1, 2, 200, 4096), BLOCK1_AGAIN);
	assert_int_equal(b.len, 128);
	assert_int_equal(add(&b, 2, 2, 200, 4096), BLOCK1_CONTINUE);
	assert_int_equal(add(&b, 3, 2, 200, 4096), BLOCK1_WHOLE);
	assert_memory_equal(b.data, src, 200);
	block1_free(&b);
}

static void
test_hostile(void **state)
{
	struct block1_body b = { 0 };
	uint8_t big[2048];

	(void)state;
	fill();
	memset(big, 'x', sizeof(big));
	/* No first block. */
	assert_int_equal(add(&b, 1, 2, 200, 4096), BLOCK1_ORDER);
	assert_int_equal(block1_add(&b, 5, 0, 2, src, 10, 4096),
	    BLOCK1_ORDER);
	/* A block skipped. */
	assert_int_equal(add(&b, 0, 2, 200, 4096), BLOCK1_CONTINUE);
	assert_int_equal(add(&b, 2, 2, 200, 4096), BLOCK1_ORDER);
	block1_free(&b);
	/* The block size changes on the way. */
	assert_int_equal(add(&b, 0, 2, 200, 4096), BLOCK1_CONTINUE);
	assert_int_equal(add(&b, 1, 3, 200, 4096), BLOCK1_ORDER);
	block1_free(&b);
	/* A short block before the last; a last block over its size. */
	assert_int_equal(block1_add(&b, 0, 1, 2, src, 63, 4096),
	    BLOCK1_SHORT);
	block1_free(&b);
	assert_int_equal(block1_add(&b, 0, 1, 2, src, 65, 4096),
	    BLOCK1_SHORT);
	block1_free(&b);
	assert_int_equal(add(&b, 0, 2, 200, 4096), BLOCK1_CONTINUE);
	assert_int_equal(block1_add(&b, 1, 0, 2, big, 65, 4096),
	    BLOCK1_SHORT);
	block1_free(&b);
	/* BERT, and sizes and numbers out of range. */
	assert_int_equal(block1_add(&b, 0, 1, 7, big, 1024, 4096),
	    BLOCK1_BERT);
	assert_int_equal(block1_add(&b, 0, 1, 8, big, 1024, 4096),
	    BLOCK1_ORDER);
	assert_int_equal(add(&b, 0, 0, 64, 1 << 30), BLOCK1_CONTINUE);
	assert_int_equal(block1_add(&b, 0x100000, 1, 0, src, 16, 1u << 31),
	    BLOCK1_ORDER);
	block1_free(&b);
	/* An empty last block ends the body. */
	assert_int_equal(block1_add(&b, 0, 1, 0, src, 16, 4096),
	    BLOCK1_CONTINUE);
	assert_int_equal(block1_add(&b, 1, 0, 0, NULL, 0, 4096),
	    BLOCK1_WHOLE);
	assert_int_equal(b.len, 16);
	block1_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_exact_multiple_and_limit),
		cmocka_unit_test(test_repeats),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
