/*
 * test_dom_guard.c: the single-device guard (modules/device/guard.c) over
 * the domain's modules: which requests it holds back (guard_risky, hostile
 * paths too), what the value cache says of a device's update in each
 * format a device may give /5/0/3 (text, SenML JSON and CBOR, TLV) and in
 * bodies that are none of them, the reason with the value's age, the
 * apply of a Downloaded update let through, and a Downloaded State
 * forgotten once the device accepted the apply. The cache is filled
 * through its own API, as reads and notifications fill it; no face runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "cache/cache.h"
#include "lwm2m/devmsg.h"
#include "lwm2m/senml.h"
#include "modules/device/guard.h"
#include "tests/unit/domutil.h"

#define EP	"fw-7"

static int
setup(void **state)
{
	struct dom *d = dom_new();

	if (d == NULL || dom_start(d) == -1)
		return -1;
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	dom_free(*state);
	return 0;
}

/* ep's /5/0/3 as a device gave it, in Content-Format cf. */
static void
put_state(struct dom *d, const char *ep, int cf, const void *body,
    size_t len, int notification)
{
	assert_int_equal(cache_put(&d->gw, ep, "5/0/3", cf, -1, body, len,
	    notification), 1);
}

static void
put_text(struct dom *d, const char *ep, const char *text)
{
	put_state(d, ep, SENML_CF_TEXT, text, strlen(text), 0);
}

static int
busy(struct dom *d, const char *ep)
{
	char reason[256];

	return guard_update_busy(&d->gw, ep, reason, sizeof(reason));
}

static void
test_risky(void **state)
{
	(void)state;
	assert_true(guard_risky(DEVREQ_POST, "3/0/4"));
	assert_true(guard_risky(DEVREQ_POST, "3/0/5"));
	assert_true(guard_risky(DEVREQ_POST, "5/0/2"));
	assert_true(guard_risky(DEVREQ_PUT, "5/0/1"));
	assert_true(guard_risky(DEVREQ_POST, "5/0/1"));
	assert_true(guard_risky(DEVREQ_PUT, "5/0/0"));
	assert_true(guard_risky(DEVREQ_POST, "5/0/0"));
	/* The instance holds Package and Package URI. */
	assert_true(guard_risky(DEVREQ_PUT, "5/0"));
	assert_true(guard_risky(DEVREQ_POST, "5/0"));

	/* Reads, other methods, other resources. */
	assert_false(guard_risky(DEVREQ_GET, "3/0/4"));
	assert_false(guard_risky(DEVREQ_GET, "5/0/3"));
	assert_false(guard_risky(DEVREQ_PUT, "3/0/4"));
	assert_false(guard_risky(DEVREQ_DELETE, "3/0/5"));
	assert_false(guard_risky(DEVREQ_FETCH, "5/0/1"));
	assert_false(guard_risky(DEVREQ_PUT, "5/0/2"));
	assert_false(guard_risky(DEVREQ_POST, "3/0/6"));
	assert_false(guard_risky(DEVREQ_POST, "3/1/4"));
	assert_false(guard_risky(DEVREQ_PUT, "5/0/5"));
	assert_false(guard_risky(DEVREQ_PUT, "5/1/1"));
	assert_false(guard_risky(DEVREQ_POST, "5"));
	assert_false(guard_risky(DEVREQ_POST, "3"));
	assert_false(guard_risky(DEVREQ_POST, "3/0"));
	assert_false(guard_risky(DEVREQ_POST, "33/0/4"));
	assert_false(guard_risky(DEVREQ_POST, "3/0/4/0"));
	assert_false(guard_risky(DEVREQ_PUT, "5/0/1/0"));
	assert_false(guard_risky(DEVREQ_POST, "health"));
	assert_false(guard_risky(DEVREQ_POST, ""));
	assert_false(guard_risky(DEVREQ_POST, NULL));
}

/* What a device may read as the same path is held back the same. */
static void
test_risky_hostile_paths(void **state)
{
	static const char *same[] = { "3/0/04", "03/00/004", "/3/0/4",
	    "3//0/4", "3/0/4/", "//3/0/4//" };
	static const char *not[] = { "3/0/4x", "3/0/+4", "3/0/ 4",
	    "3/0/-4", "3/0/4.0", "3/0/65540", "3/0/99999999999999999999",
	    "3/0/4/0/0", "3/0/%34", "x/3/0/4", "3/0/4\n", "/", "//", "a" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_true(guard_risky(DEVREQ_POST, same[i]));
	for (i = 0; i < sizeof(not) / sizeof(not[0]); i++)
		assert_false(guard_risky(DEVREQ_POST, not[i]));
}

static void
test_busy_by_state(void **state)
{
	struct dom *d = *state;
	char reason[256];

	assert_false(busy(d, EP));		/* nothing heard */
	put_text(d, EP, "0");
	assert_false(busy(d, EP));
	put_text(d, EP, "1");
	dom_advance(12);
	assert_true(guard_update_busy(&d->gw, EP, reason, sizeof(reason)));
	assert_string_equal(reason, "a firmware update is downloading on "
	    "device " EP " (/5/0/3 = 1, heard 12 s ago)");
	put_text(d, EP, "2");
	assert_true(guard_update_busy(&d->gw, EP, reason, sizeof(reason)));
	assert_string_equal(reason, "a firmware update is downloaded on "
	    "device " EP " and not applied (/5/0/3 = 2, heard 0 s ago)");
	put_text(d, EP, "3");			/* Updating */
	assert_false(busy(d, EP));
	/* Another device's value is its own. */
	put_text(d, "fw-8", "1");
	assert_false(busy(d, EP));
	assert_true(busy(d, "fw-8"));
	/* A short buffer is cut, never overrun; none at all is fine. */
	assert_true(guard_update_busy(&d->gw, "fw-8", reason, 8));
	assert_string_equal(reason, "a firmw");
	assert_true(guard_update_busy(&d->gw, "fw-8", NULL, 0));
}

/* /5/0/3 in every format a device may read it or notify it in. */
static void
test_busy_by_format(void **state)
{
	struct dom *d = *state;
	static const char json1[] = "[{\"bn\":\"/5/0/3\",\"v\":1}]";
	static const char json0[] = "[{\"bn\":\"/5/0/\",\"n\":\"3\",\"v\":0}]";
	/* [{-2: "/5/0/3", 2: 2}] */
	static const uint8_t cbor2[] = { 0x81, 0xa2, 0x21, 0x66, '/', '5',
	    '/', '0', '/', '3', 0x02, 0x02 };
	static const uint8_t cbor0[] = { 0x81, 0xa2, 0x21, 0x66, '/', '5',
	    '/', '0', '/', '3', 0x02, 0x00 };
	/* Resource 3, one byte: 1; and 0. */
	static const uint8_t tlv1[] = { 0xc1, 0x03, 0x01 };
	static const uint8_t tlv0[] = { 0xc1, 0x03, 0x00 };

	put_state(d, EP, SENML_CF_JSON, json1, strlen(json1), 1);
	assert_true(busy(d, EP));
	put_state(d, EP, SENML_CF_JSON, json0, strlen(json0), 1);
	assert_false(busy(d, EP));
	put_state(d, EP, SENML_CF_CBOR, cbor2, sizeof(cbor2), 1);
	assert_true(busy(d, EP));
	put_state(d, EP, SENML_CF_CBOR, cbor0, sizeof(cbor0), 1);
	assert_false(busy(d, EP));
	put_state(d, EP, SENML_CF_TLV, tlv1, sizeof(tlv1), 0);
	assert_true(busy(d, EP));
	put_state(d, EP, SENML_CF_TLV, tlv0, sizeof(tlv0), 0);
	assert_false(busy(d, EP));
	/* No Content-Format named: text. */
	put_state(d, EP, -1, "2", 1, 0);
	assert_true(busy(d, EP));
}

/* A value that does not decode as a State says nothing: not busy. */
static void
test_busy_hostile_values(void **state)
{
	struct dom *d = *state;
	static const char *texts[] = { "1 ", " 1", "1\n", "+1", "0x1", "",
	    "256", "1000", "1.0", "-1", "one" };
	static const char other[] = "[{\"bn\":\"/5/0/5\",\"v\":1}]";
	static const char bad[] = "[{\"bn\":\"/5/0/3\",\"v\":1}";
	static const char frac[] = "[{\"bn\":\"/5/0/3\",\"v\":1.5}]";
	static const char str[] = "[{\"bn\":\"/5/0/3\",\"vs\":\"1\"}]";
	static const uint8_t tlvbad[] = { 0xc1, 0x03 };	/* value missing */
	static const uint8_t tlvlong[] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t cborbad[] = { 0x81, 0xa2, 0x21, 0x7f };
	uint8_t big[4096];
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		put_text(d, EP, "1");
		assert_true(busy(d, EP));
		put_state(d, EP, SENML_CF_TEXT, texts[i], strlen(texts[i]), 0);
		assert_false(busy(d, EP));
	}
	put_state(d, EP, SENML_CF_JSON, other, strlen(other), 0);
	assert_false(busy(d, EP));
	put_state(d, EP, SENML_CF_JSON, bad, strlen(bad), 0);
	assert_false(busy(d, EP));
	put_state(d, EP, SENML_CF_JSON, frac, strlen(frac), 0);
	assert_false(busy(d, EP));
	put_state(d, EP, SENML_CF_JSON, str, strlen(str), 0);
	assert_false(busy(d, EP));
	put_state(d, EP, SENML_CF_TLV, tlvbad, sizeof(tlvbad), 0);
	assert_false(busy(d, EP));
	put_state(d, EP, SENML_CF_TLV, tlvlong, sizeof(tlvlong), 0);
	assert_false(busy(d, EP));
	put_state(d, EP, SENML_CF_CBOR, cborbad, sizeof(cborbad), 0);
	assert_false(busy(d, EP));
	/* "1" in a format that is not a State's. */
	put_state(d, EP, SENML_CF_OPAQUE, "1", 1, 0);
	assert_false(busy(d, EP));
	put_state(d, EP, 40, "1", 1, 0);
	assert_false(busy(d, EP));
	memset(big, '1', sizeof(big));
	put_state(d, EP, SENML_CF_TEXT, big, sizeof(big), 0);
	assert_false(busy(d, EP));
	put_state(d, EP, SENML_CF_JSON, big, sizeof(big), 0);
	assert_false(busy(d, EP));
}

static void
test_refuses(void **state)
{
	struct dom *d = *state;
	char reason[256];

	/* Nothing heard: everything goes. */
	assert_false(guard_refuses(&d->gw, EP, DEVREQ_POST, "3/0/4", reason,
	    sizeof(reason)));
	put_text(d, EP, "1");
	assert_true(guard_refuses(&d->gw, EP, DEVREQ_POST, "3/0/4", reason,
	    sizeof(reason)));
	assert_non_null(strstr(reason, "downloading on device " EP));
	assert_true(guard_refuses(&d->gw, EP, DEVREQ_POST, "3/0/5", reason,
	    sizeof(reason)));
	assert_true(guard_refuses(&d->gw, EP, DEVREQ_PUT, "5/0/1", reason,
	    sizeof(reason)));
	/* An apply while still downloading. */
	assert_true(guard_refuses(&d->gw, EP, DEVREQ_POST, "5/0/2", reason,
	    sizeof(reason)));
	/* What is not guarded goes. */
	assert_false(guard_refuses(&d->gw, EP, DEVREQ_GET, "5/0/3", reason,
	    sizeof(reason)));
	assert_false(guard_refuses(&d->gw, EP, DEVREQ_PUT, "1/0/1", reason,
	    sizeof(reason)));

	/* Downloaded: the apply is the step it waits for; the rest waits. */
	put_text(d, EP, "2");
	assert_false(guard_refuses(&d->gw, EP, DEVREQ_POST, "5/0/2", reason,
	    sizeof(reason)));
	assert_false(guard_refuses(&d->gw, EP, DEVREQ_POST, "5/0/02", reason,
	    sizeof(reason)));
	assert_true(guard_refuses(&d->gw, EP, DEVREQ_POST, "3/0/4", reason,
	    sizeof(reason)));
	assert_non_null(strstr(reason, "and not applied (/5/0/3 = 2"));
	assert_true(guard_refuses(&d->gw, EP, DEVREQ_PUT, "5/0/1", reason,
	    sizeof(reason)));
	assert_true(guard_refuses(&d->gw, EP, DEVREQ_POST, "5/0", reason,
	    sizeof(reason)));

	put_text(d, EP, "0");
	assert_false(guard_refuses(&d->gw, EP, DEVREQ_POST, "3/0/4", reason,
	    sizeof(reason)));
}

/* The device accepted the apply: its Downloaded no longer holds. */
static void
test_accepted_apply(void **state)
{
	struct dom *d = *state;

	put_text(d, EP, "2");
	/* Other accepted requests change nothing the guard knows. */
	guard_accepted(&d->gw, EP, DEVREQ_PUT, "5/0/1");
	guard_accepted(&d->gw, EP, DEVREQ_POST, "3/0/4");
	guard_accepted(&d->gw, EP, DEVREQ_GET, "5/0/2");
	assert_true(busy(d, EP));
	guard_accepted(&d->gw, EP, DEVREQ_POST, "5/0/2");
	assert_false(busy(d, EP));
	assert_null(cache_get(&d->gw, EP, "5/0/3"));

	/* Forced while downloading, and accepted: forgotten too. */
	put_text(d, EP, "1");
	guard_accepted(&d->gw, EP, DEVREQ_POST, "5/0/2");
	assert_null(cache_get(&d->gw, EP, "5/0/3"));

	/* A State the device sent before its answer (Updating) stays. */
	put_text(d, EP, "3");
	guard_accepted(&d->gw, EP, DEVREQ_POST, "5/0/2");
	assert_non_null(cache_get(&d->gw, EP, "5/0/3"));

	/* Nothing cached, another device: nothing happens. */
	put_text(d, "fw-8", "2");
	guard_accepted(&d->gw, "fw-9", DEVREQ_POST, "5/0/2");
	assert_true(busy(d, "fw-8"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_risky),
		cmocka_unit_test(test_risky_hostile_paths),
		cmocka_unit_test_setup_teardown(test_busy_by_state, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_busy_by_format, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_busy_hostile_values,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_accepted_apply, setup,
		    teardown),
	};

	log_init("test_dom_guard", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
