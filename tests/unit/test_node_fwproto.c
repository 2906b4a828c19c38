/*
 * test_node_fwproto.c: what a node makes of an answer to one block request
 * of an image (node/fwproto.c's fwp_block), from the gateway (its ETag the
 * start of the image's SHA-256), from another server (its own ETag, or
 * none), and from a hostile or confused one: an ETag that changes, appears
 * or goes away during the download, one longer than CoAP allows, no
 * Block2, a block at another offset, a last block that says more follows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "node/coap.h"

#define SZX_1K		6
#define BS		1024

static uint8_t	image[3 * BS + 100];	/* four blocks, the last short */

/* A 2.05 answer carrying block num of image (size bytes) in blocks of
 * 16 << szx, with the ETag tag (taglen bytes; NULL: none). */
static coap_pdu_t *
answer(const uint8_t *tag, size_t taglen, unsigned num, unsigned szx,
    size_t size, int more)
{
	coap_pdu_t *pdu;
	uint8_t buf[4];
	size_t bs = 16u << szx, off = (size_t)num * bs, len;
	unsigned v = num << 4 | (more ? 8u : 0u) | szx;

	assert_true(off <= size);
	len = size - off < bs ? size - off : bs;
	pdu = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE_CONTENT, 1,
	    2048);
	assert_non_null(pdu);
	if (tag != NULL)
		assert_true(coap_add_option(pdu, COAP_OPTION_ETAG, taglen,
		    tag) != 0);
	assert_true(coap_add_option(pdu, COAP_OPTION_BLOCK2,
	    coap_encode_var_safe(buf, sizeof(buf), v), buf) != 0);
	if (len > 0)
		assert_true(coap_add_data(pdu, len, image + off));
	return pdu;
}

/* fwp_block on a whole image served with tag on every block. */
static void
fetch_all(const uint8_t *tag, size_t taglen)
{
	struct fwp_etag e;
	enum fw_result result = FW_RESULT_INITIAL;
	const uint8_t *data;
	const char *why = NULL;
	unsigned szx = SZX_1K, num;
	uint64_t have = 0;
	size_t len;
	coap_pdu_t *pdu;

	memset(&e, 0, sizeof(e));
	for (num = 0; have < sizeof(image); num++) {
		pdu = answer(tag, taglen, num, SZX_1K, sizeof(image),
		    (num + 1) * BS < sizeof(image));
		assert_int_equal(fwp_block(pdu, &e, have, sizeof(image), &szx,
		    &data, &len, &result, &why), FWP_BLOCK_OK);
		assert_memory_equal(data, image + have, len);
		have += len;
		coap_delete_pdu(pdu);
	}
	assert_int_equal(num, 4);
	assert_int_equal(have, sizeof(image));
	assert_int_equal(e.len, taglen);
}

static void
test_block_etags_servers_give(void **state)
{
	static const uint8_t gw[8] = { 0x27, 0x36, 0x91, 0x79, 0x16, 0x88,
	    0x62, 0x1e }, counter[1] = { 0x01 };

	(void)state;
	fetch_all(gw, sizeof(gw));		/* the gateway's */
	fetch_all(counter, sizeof(counter));	/* coap-server's: a counter */
	fetch_all(NULL, 0);			/* none */
}

/* Block 0 with first (NULL: no ETag), then block 1 with second: the
 * verdict on block 1. */
static enum fwp_block
second_block(const uint8_t *first, size_t flen, const uint8_t *second,
    size_t slen, enum fw_result *result)
{
	struct fwp_etag e;
	const uint8_t *data;
	const char *why = NULL;
	unsigned szx = SZX_1K;
	size_t len;
	coap_pdu_t *pdu;
	enum fwp_block v;

	memset(&e, 0, sizeof(e));
	*result = FW_RESULT_INITIAL;
	pdu = answer(first, flen, 0, SZX_1K, sizeof(image), 1);
	assert_int_equal(fwp_block(pdu, &e, 0, sizeof(image), &szx, &data,
	    &len, result, &why), FWP_BLOCK_OK);
	coap_delete_pdu(pdu);
	pdu = answer(second, slen, 1, SZX_1K, sizeof(image), 1);
	v = fwp_block(pdu, &e, BS, sizeof(image), &szx, &data, &len, result,
	    &why);
	coap_delete_pdu(pdu);
	if (v == FWP_BLOCK_FAIL)
		assert_non_null(why);
	return v;
}

static void
test_block_etag_changes(void **state)
{
	static const uint8_t a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 },
	    b[8] = { 1, 2, 3, 4, 5, 6, 7, 9 };
	enum fw_result r;

	(void)state;
	assert_int_equal(second_block(a, 8, b, 8, &r), FWP_BLOCK_FAIL);
	assert_int_equal(r, FW_RESULT_INTEGRITY);
	/* The same bytes, shorter: another ETag. */
	assert_int_equal(second_block(a, 8, a, 7, &r), FWP_BLOCK_FAIL);
	assert_int_equal(r, FW_RESULT_INTEGRITY);
	assert_int_equal(second_block(a, 8, NULL, 0, &r), FWP_BLOCK_FAIL);
	assert_int_equal(r, FW_RESULT_INTEGRITY);
	assert_int_equal(second_block(NULL, 0, a, 1, &r), FWP_BLOCK_FAIL);
	assert_int_equal(r, FW_RESULT_INTEGRITY);
	/* An empty ETag is no ETag. */
	assert_int_equal(second_block(a, 0, NULL, 0, &r), FWP_BLOCK_OK);
	assert_int_equal(second_block(a, 8, a, 8, &r), FWP_BLOCK_OK);
}

static void
test_block_hostile(void **state)
{
	static const uint8_t long_tag[9] = { 0 };
	struct fwp_etag e;
	enum fw_result result;
	const uint8_t *data;
	const char *why = NULL;
	unsigned szx = SZX_1K;
	size_t len;
	coap_pdu_t *pdu;

	(void)state;
	/* An ETag of 9 bytes (CoAP allows 1..8). */
	memset(&e, 0, sizeof(e));
	pdu = answer(long_tag, sizeof(long_tag), 0, SZX_1K, sizeof(image), 1);
	assert_int_equal(fwp_block(pdu, &e, 0, sizeof(image), &szx, &data,
	    &len, &result, &why), FWP_BLOCK_FAIL);
	assert_int_equal(result, FW_RESULT_UNSUPPORTED_PROTOCOL);
	coap_delete_pdu(pdu);

	/* No Block2 at all. */
	memset(&e, 0, sizeof(e));
	pdu = coap_pdu_init(COAP_MESSAGE_ACK, COAP_RESPONSE_CODE_CONTENT, 1,
	    2048);
	assert_non_null(pdu);
	assert_true(coap_add_data(pdu, BS, image));
	assert_int_equal(fwp_block(pdu, &e, 0, sizeof(image), &szx, &data,
	    &len, &result, &why), FWP_BLOCK_FAIL);
	assert_int_equal(result, FW_RESULT_UNSUPPORTED_PROTOCOL);
	coap_delete_pdu(pdu);

	/* Another block than the one asked for: ask again. */
	memset(&e, 0, sizeof(e));
	pdu = answer(NULL, 0, 2, SZX_1K, sizeof(image), 1);
	assert_int_equal(fwp_block(pdu, &e, BS, sizeof(image), &szx, &data,
	    &len, &result, &why), FWP_BLOCK_STRAY);
	coap_delete_pdu(pdu);

	/* The last block saying more follows. */
	pdu = answer(NULL, 0, 3, SZX_1K, sizeof(image), 1);
	assert_int_equal(fwp_block(pdu, &e, 3 * BS, sizeof(image), &szx,
	    &data, &len, &result, &why), FWP_BLOCK_STRAY);
	coap_delete_pdu(pdu);

	/* More bytes than the manifest's size. */
	pdu = answer(NULL, 0, 3, SZX_1K, sizeof(image), 0);
	assert_int_equal(fwp_block(pdu, &e, 3 * BS, 3 * BS + 50, &szx,
	    &data, &len, &result, &why), FWP_BLOCK_STRAY);
	coap_delete_pdu(pdu);
}

static void
test_block_smaller_blocks(void **state)
{
	struct fwp_etag e;
	enum fw_result result;
	const uint8_t *data;
	const char *why = NULL;
	unsigned szx = SZX_1K;
	size_t len;
	coap_pdu_t *pdu;

	(void)state;
	/* Asked for 1024 at 0, the server gives 256: the node follows. */
	memset(&e, 0, sizeof(e));
	pdu = answer(NULL, 0, 0, 4, sizeof(image), 1);
	assert_int_equal(fwp_block(pdu, &e, 0, sizeof(image), &szx, &data,
	    &len, &result, &why), FWP_BLOCK_OK);
	assert_int_equal(szx, 4);
	assert_int_equal(len, 256);
	coap_delete_pdu(pdu);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_etags_servers_give),
		cmocka_unit_test(test_block_etag_changes),
		cmocka_unit_test(test_block_hostile),
		cmocka_unit_test(test_block_smaller_blocks),
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 131 + 7);
	coap_startup();
	coap_set_log_level(LOG_EMERG);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	coap_cleanup();
	return rc;
}
