/*
 * test_numvals.c: unit tests for lwm2m/numvals.c, the numbers of a device's
 * value one by one: plain text typed by the model (a string resource is no
 * number), TLV of an instance, SenML JSON with base names, base values and
 * times (relative and absolute), SenML CBOR, the agent's /health JSON; and
 * hostile input: garbage, non-finite numbers, names too long, too many
 * records, an array where an object belongs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/numvals.h"

#define NOW_MS	1700000000000LL

struct got {
	int	n;
	char	path[300][NUMVALS_PATH_MAX];
	double	v[300];
	int64_t	t[300];
};

static void
take(const char *path, double v, int64_t t_ms, void *arg)
{
	struct got *g = arg;

	assert_true(g->n < 300);
	snprintf(g->path[g->n], NUMVALS_PATH_MAX, "%s", path);
	g->v[g->n] = v;
	g->t[g->n] = t_ms;
	g->n++;
}

/* Extracts from an exact-size copy of s (so ASan sees a read past it). */
static int
extract(int cf, const void *s, size_t len, const char *path, struct got *g)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, len);
	memset(g, 0, sizeof(*g));
	rc = numvals_extract(cf, copy, len, path, NULL, NOW_MS, take, g);
	free(copy);
	return rc;
}

static void
test_text(void **state)
{
	struct got g;

	(void)state;
	assert_int_equal(extract(0, "87", 2, "3/0/9", &g), 1);
	assert_string_equal(g.path[0], "3/0/9");
	assert_true(g.v[0] == 87.0);
	assert_true(g.t[0] == NOW_MS);
	/* A leading slash is tolerated, and dropped. */
	assert_int_equal(extract(0, "-2.5", 4, "/3303/0/5700", &g), 1);
	assert_string_equal(g.path[0], "3303/0/5700");
	assert_true(g.v[0] == -2.5);
	/* Manufacturer is a string: "123" is no number. */
	assert_int_equal(extract(0, "123", 3, "3/0/0", &g), 0);
	/* Plain text of an instance does not convert: nothing, no error. */
	assert_int_equal(extract(0, "1", 1, "3/0", &g), 0);
	/* An integer resource that is not one gives no number. */
	assert_true(extract(0, "eighty", 6, "3/0/9", &g) <= 0);
	assert_int_equal(g.n, 0);
}

static void
test_tlv_instance(void **state)
{
	/* /3/0: 9 (battery) = 80, 10 (memory free) = 1000, 0 = "Acme". */
	static const uint8_t tlv[] = {
		0xc1, 0x09, 80,
		0xc2, 0x0a, 0x03, 0xe8,
		0xc4, 0x00, 'A', 'c', 'm', 'e',
	};
	struct got g;

	(void)state;
	assert_int_equal(extract(11542, tlv, sizeof(tlv), "3/0", &g), 2);
	assert_string_equal(g.path[0], "3/0/9");
	assert_true(g.v[0] == 80.0);
	assert_string_equal(g.path[1], "3/0/10");
	assert_true(g.v[1] == 1000.0);
}

static void
test_senml_json(void **state)
{
	const char *s = "[{\"bn\":\"/3303/0/\",\"bt\":1700000100,\"n\":\"5700\","
	    "\"v\":21.5},{\"n\":\"5701\",\"vs\":\"Cel\"},"
	    "{\"n\":\"5601\",\"v\":19,\"t\":-10},"
	    "{\"bn\":\"/3/0/\",\"bt\":0,\"bv\":100,\"n\":\"9\",\"v\":-20},"
	    "{\"n\":\"7\",\"v\":5,\"t\":-3},{\"n\":\"8\",\"vb\":true}]";
	struct got g;

	(void)state;
	assert_int_equal(extract(110, s, strlen(s), "3303/0", &g), 4);
	assert_string_equal(g.path[0], "3303/0/5700");
	assert_true(g.t[0] == 1700000100000LL);
	assert_string_equal(g.path[1], "3303/0/5601");
	assert_true(g.v[1] == 19.0);
	assert_true(g.t[1] == 1700000090000LL);
	/* bt 0 is "now"; bv adds to every v after it. */
	assert_string_equal(g.path[2], "3/0/9");
	assert_true(g.v[2] == 80.0);
	assert_true(g.t[2] == NOW_MS);
	assert_string_equal(g.path[3], "3/0/7");
	assert_true(g.v[3] == 105.0);
	assert_true(g.t[3] == NOW_MS - 3000);
}

static void
test_senml_cbor(void **state)
{
	/* [{0: "/3/0/9", 2: 42}] */
	static const uint8_t cbor[] = {
		0x81, 0xa2, 0x00, 0x66, '/', '3', '/', '0', '/', '9',
		0x02, 0x18, 42,
	};
	struct got g;

	(void)state;
	assert_int_equal(extract(112, cbor, sizeof(cbor), "3/0/9", &g), 1);
	assert_string_equal(g.path[0], "3/0/9");
	assert_true(g.v[0] == 42.0);
}

static void
test_health_json(void **state)
{
	const char *s = "{\"cpu_pct\":12.5,\"mem_free_kb\":51200,\"name\":\"x\","
	    "\"nested\":{\"a\":1},\"list\":[1,2],\"a/b\":3,\"ok\":true}";
	struct got g;

	(void)state;
	assert_int_equal(extract(50, s, strlen(s), "/health", &g), 2);
	assert_string_equal(g.path[0], "health/cpu_pct");
	assert_true(g.v[0] == 12.5);
	assert_string_equal(g.path[1], "health/mem_free_kb");
	assert_true(g.v[1] == 51200.0);
	assert_int_equal(extract(50, "[1,2]", 5, "health", &g), -1);
	assert_int_equal(extract(50, "{\"a\":", 5, "health", &g), -1);
}

static void
test_hostile(void **state)
{
	char big[NUMVALS_PATH_MAX + 64], *many, *p;
	const char *huge = "[{\"n\":\"/3/0/9\",\"v\":1e400}]";
	struct got g;
	int i;

	(void)state;
	assert_int_equal(extract(110, "not json", 8, "3/0/9", &g), -1);
	assert_int_equal(extract(110, "{\"n\":1}", 7, "3/0/9", &g), -1);
	assert_int_equal(extract(11542, "\xc1\x09", 2, "3/0/9", &g), -1);
	assert_int_equal(extract(112, "\xff", 1, "3/0/9", &g), -1);
	/* A number past a double is refused by the JSON reader or skipped. */
	assert_true(extract(110, huge, strlen(huge), "3/0/9", &g) <= 0);
	assert_int_equal(g.n, 0);
	/* A name past NUMVALS_PATH_MAX is skipped. */
	memset(big, 'a', sizeof(big));
	snprintf(big, sizeof(big), "[{\"n\":\"/%.*s\",\"v\":1}]",
	    NUMVALS_PATH_MAX, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(extract(110, big, strlen(big), "3/0/9", &g), 0);
	/* No more than NUMVALS_MAX numbers from one value. */
	assert_non_null(many = malloc(300 * 32 + 2));
	p = many;
	*p++ = '[';
	for (i = 0; i < 300; i++)
		p += sprintf(p, "%s{\"n\":\"/1/0/%d\",\"v\":%d}",
		    i > 0 ? "," : "", i, i);
	*p++ = ']';
	assert_int_equal(extract(110, many, (size_t)(p - many), "1/0", &g),
	    NUMVALS_MAX);
	free(many);
	/* Unknown Content-Formats and empty bodies give nothing. */
	assert_int_equal(extract(42, "\x01", 1, "3/0/9", &g), 0);
	assert_int_equal(extract(0, "", 0, "3/0/9", &g), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_tlv_instance),
		cmocka_unit_test(test_senml_json),
		cmocka_unit_test(test_senml_cbor),
		cmocka_unit_test(test_health_json),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
