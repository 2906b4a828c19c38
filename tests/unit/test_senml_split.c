/*
 * test_senml_split.c: unit tests for lwm2m/senml_split.c, a composite
 * observation's notification split into one value per path: names
 * resolved from base names (RFC 8428 4.6), base values, times made
 * absolute, records outside the observed paths dropped, the last record
 * of a path kept, SenML CBOR as well as JSON; and hostile input: garbage,
 * too many records, names that are no LwM2M paths, wrong types,
 * must-understand fields, escaped NULs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/senml_split.h"

#define NOW	1700000000

static const char *const paths[] = { "/3/0/9", "/3303/0", "/1/0/1" };
#define NPATHS	(sizeof(paths) / sizeof(paths[0]))

/* Splits the JSON text s (an exact-size copy, so that ASan sees a read
 * past its end); 0 or -1. */
static int
split(const char *s, struct senml_split *sp, char *err)
{
	size_t len = strlen(s);
	uint8_t *copy = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, len);
	rc = senml_split(110, copy, len, paths, NPATHS, NOW, sp, err, 160);
	free(copy);
	return rc;
}

/* The part of path, or NULL. */
static const struct senml_part *
part(const struct senml_split *sp, const char *path)
{
	size_t k;

	for (k = 0; k < sp->nparts; k++)
		if (strcmp(sp->parts[k].path, path) == 0)
			return &sp->parts[k];
	return NULL;
}

static const char *
pack(const struct senml_split *sp, const char *path)
{
	const struct senml_part *p = part(sp, path);

	assert_non_null(p);
	assert_int_equal(p->len, strlen(p->pack));
	return p->pack;
}

/* Base names join names; each path's value is a one-record pack; a record
 * outside the paths is dropped; the records keep their order. */
static void
test_split_names(void **state)
{
	struct senml_split sp;
	char err[160], *rec;

	(void)state;
	assert_int_equal(split("[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":87},"
	    "{\"n\":\"17\",\"vs\":\"x\"},"
	    "{\"bn\":\"/3303/0/\",\"n\":\"5700\",\"v\":21.5},"
	    "{\"n\":\"5701\",\"vs\":\"Cel\"},"
	    "{\"bn\":\"\",\"n\":\"/1/0/1\",\"v\":300},"
	    "{\"n\":\"/1/0/7\",\"vs\":\"U\"}]", &sp, err), 0);
	assert_int_equal(sp.nparts, 4);
	assert_int_equal(sp.dropped, 2);	/* /3/0/17 and /1/0/7 */
	assert_string_equal(sp.parts[0].path, "3/0/9");
	assert_string_equal(pack(&sp, "3/0/9"), "[{\"n\":\"/3/0/9\",\"v\":87}]");
	assert_string_equal(pack(&sp, "3303/0/5700"),
	    "[{\"n\":\"/3303/0/5700\",\"v\":21.5}]");
	assert_string_equal(pack(&sp, "3303/0/5701"),
	    "[{\"n\":\"/3303/0/5701\",\"vs\":\"Cel\"}]");
	assert_string_equal(pack(&sp, "1/0/1"),
	    "[{\"n\":\"/1/0/1\",\"v\":300}]");
	assert_int_equal(cJSON_GetArraySize(sp.records), 4);
	rec = cJSON_PrintUnformatted(sp.records);
	assert_string_equal(rec, "[{\"n\":\"/3/0/9\",\"v\":87},"
	    "{\"n\":\"/3303/0/5700\",\"v\":21.5},"
	    "{\"n\":\"/3303/0/5701\",\"vs\":\"Cel\"},"
	    "{\"n\":\"/1/0/1\",\"v\":300}]");
	free(rec);
	senml_split_free(&sp);
	assert_null(sp.parts);
	assert_null(sp.records);

	/* A resource instance below an observed resource is kept. */
	assert_int_equal(split("[{\"bn\":\"/3/0/9/\",\"n\":\"1\",\"v\":1}]", &sp,
	    err), 0);
	assert_string_equal(pack(&sp, "3/0/9/1"),
	    "[{\"n\":\"/3/0/9/1\",\"v\":1}]");
	senml_split_free(&sp);
	/* A name that only starts as an observed path does is not below. */
	assert_int_equal(split("[{\"n\":\"/3/0/90\",\"v\":1},"
	    "{\"n\":\"/3303/00/1\",\"v\":1}]", &sp, err), -1);
	assert_int_equal(split("[{\"n\":\"/3/0/90\",\"v\":1},"
	    "{\"n\":\"/3303/1/1\",\"v\":1}]", &sp, err), 0);
	assert_int_equal(sp.nparts, 0);
	assert_int_equal(sp.dropped, 2);
	senml_split_free(&sp);
	/* An empty pack is no value and no error. */
	assert_int_equal(split("[]", &sp, err), 0);
	assert_int_equal(sp.nparts, 0);
	senml_split_free(&sp);
}

/* Base values and units, times relative and absolute, the last record of
 * a path, records with no value, other fields kept. */
static void
test_split_resolve(void **state)
{
	struct senml_split sp;
	char err[160];

	(void)state;
	assert_int_equal(split("[{\"bn\":\"/3303/0/\",\"bt\":1700000100,"
	    "\"bu\":\"Cel\",\"bv\":20,\"bver\":10,\"n\":\"5700\",\"v\":1.5,"
	    "\"t\":-5},"
	    "{\"n\":\"5601\",\"v\":2,\"u\":\"K\",\"t\":0},"
	    "{\"bt\":0,\"n\":\"5602\",\"v\":3,\"t\":-10},"
	    "{\"n\":\"5603\",\"v\":4,\"t\":1600000000,\"x\":\"y\","
	    "\"ut\":60},"
	    "{\"n\":\"5604\",\"s\":2,\"bs\":1}]", &sp, err), 0);
	assert_string_equal(pack(&sp, "3303/0/5700"),
	    "[{\"n\":\"/3303/0/5700\",\"u\":\"Cel\",\"v\":21.5,"
	    "\"t\":1700000095}]");
	assert_string_equal(pack(&sp, "3303/0/5601"),
	    "[{\"n\":\"/3303/0/5601\",\"u\":\"K\",\"v\":22,"
	    "\"t\":1700000100}]");
	assert_string_equal(pack(&sp, "3303/0/5602"),
	    "[{\"n\":\"/3303/0/5602\",\"u\":\"Cel\",\"v\":23,"
	    "\"t\":1699999990}]");
	assert_string_equal(pack(&sp, "3303/0/5603"),
	    "[{\"n\":\"/3303/0/5603\",\"u\":\"Cel\",\"v\":24,\"x\":\"y\","
	    "\"ut\":60,\"t\":1600000000}]");
	assert_string_equal(pack(&sp, "3303/0/5604"),
	    "[{\"n\":\"/3303/0/5604\",\"u\":\"Cel\",\"s\":3,\"t\":1700000000}]");
	senml_split_free(&sp);

	/* Two records of a path (a pack with history): the last one is the
	 * value, both are records. A record with no value is skipped. */
	assert_int_equal(split("[{\"bn\":\"/3/0/9\",\"v\":1,\"t\":-10},"
	    "{\"bn\":\"/3/0/9\",\"v\":2},{\"bn\":\"/3/0/9\"},"
	    "{\"n\":\"\",\"vd\":\"AQ\"}]", &sp, err), 0);
	assert_int_equal(sp.nparts, 1);
	assert_int_equal(sp.novalue, 1);
	assert_int_equal(cJSON_GetArraySize(sp.records), 3);
	assert_string_equal(pack(&sp, "3/0/9"),
	    "[{\"n\":\"/3/0/9\",\"vd\":\"AQ\"}]");
	senml_split_free(&sp);
}

/* SenML CBOR is split as JSON is: integer labels, bn and n. */
static void
test_split_cbor(void **state)
{
	/* [{-2: "/3/0/", 0: "9", 2: 87}, {0: "10", 3: "x"}] */
	static const uint8_t cbor[] = { 0x82,
	    0xa3, 0x21, 0x65, '/', '3', '/', '0', '/', 0x00, 0x61, '9', 0x02,
	    0x18, 0x57,
	    0xa2, 0x00, 0x62, '1', '0', 0x03, 0x61, 'x' };
	struct senml_split sp;
	char err[160];

	(void)state;
	if (senml_split(112, cbor, sizeof(cbor), paths, NPATHS, NOW, &sp, err,
	    sizeof(err)) == -1)
		fail_msg("refused: %s", err);
	assert_int_equal(sp.nparts, 1);
	assert_int_equal(sp.dropped, 1);	/* /3/0/10: "bn" holds */
	assert_string_equal(pack(&sp, "3/0/9"), "[{\"n\":\"/3/0/9\",\"v\":87}]");
	senml_split_free(&sp);
	/* Cut short: refused. */
	assert_int_equal(senml_split(112, cbor, sizeof(cbor) - 1, paths,
	    NPATHS, NOW, &sp, err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	assert_int_equal(sp.nparts, 0);
	assert_null(sp.records);
}

/* Hostile notifications are refused whole, with a reason, and leave
 * nothing behind. */
static void
test_split_hostile(void **state)
{
	static const char *const bad[] = {
		"", "x", "{}", "[", "[1]", "[[]]", "[{\"n\":\"/3/0/9\",\"v\":1}] 1",
		"{\"n\":\"/3/0/9\",\"v\":1}",
		/* names that are no LwM2M resource paths */
		"[{\"n\":\"3/0/9\",\"v\":1}]", "[{\"n\":\"/3/0\",\"v\":1}]",
		"[{\"n\":\"/3\",\"v\":1}]", "[{\"n\":\"/3/0/9/1/2\",\"v\":1}]",
		"[{\"n\":\"/3/0/65536\",\"v\":1}]", "[{\"n\":\"/3/0/09\",\"v\":1}]",
		"[{\"n\":\"/3/0/x\",\"v\":1}]", "[{\"v\":1}]",
		"[{\"n\":\"/3/0/9\\u0000\",\"v\":1}]",
		"[{\"bn\":\"/3/0/9/1/2/3/4/5/6/7/8/9/0/1\",\"n\":\"2\",\"v\":1}]",
		/* types, repeats, must-understand */
		"[{\"n\":9,\"v\":1}]", "[{\"n\":\"/3/0/9\",\"v\":\"1\"}]",
		"[{\"n\":\"/3/0/9\",\"vb\":1}]", "[{\"n\":\"/3/0/9\",\"vs\":1}]",
		"[{\"n\":\"/3/0/9\",\"v\":1,\"t\":\"now\"}]",
		"[{\"n\":\"/3/0/9\",\"v\":1,\"v\":2}]",
		"[{\"n\":\"/3/0/9\",\"v\":1,\"vs\":\"2\"}]",
		"[{\"n\":\"/3/0/9\",\"v\":1,\"x_\":2}]",
		"[{\"n\":\"/3/0/9\",\"v\":1,\"x\":[1]}]",
		"[{\"n\":\"/3/0/9\",\"v\":1e999}]",
		"[{\"bv\":1.7e308,\"n\":\"/3/0/9\",\"v\":1.7e308}]",
		"[{\"bt\":\"x\",\"n\":\"/3/0/9\",\"v\":1}]",
	};
	struct senml_split sp;
	char err[160], *big;
	size_t i, n;
	int k;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (split(bad[i], &sp, err) != -1)
			fail_msg("taken: %s", bad[i]);
		assert_true(strlen(err) > 0);
		assert_int_equal(sp.nparts, 0);
		assert_null(sp.parts);
		assert_null(sp.records);
	}
	/* Another Content-Format; a NULL body. */
	assert_int_equal(senml_split(0, (const uint8_t *)"1", 1, paths, NPATHS,
	    NOW, &sp, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Content-Format 0"));
	assert_int_equal(senml_split(110, NULL, 0, paths, NPATHS, NOW, &sp,
	    err, sizeof(err)), -1);
	assert_int_equal(senml_split(110, (const uint8_t *)"[]", 2, paths,
	    NPATHS, NOW, &sp, NULL, 0), 0);
	senml_split_free(&sp);

	/* SENML_SPLIT_MAX records, one more, and 4096. */
	big = malloc(4096 * 24 + 8);
	assert_non_null(big);
	for (k = 0; k < 3; k++) {
		int nrec = k == 0 ? SENML_SPLIT_MAX : k == 1 ?
		    SENML_SPLIT_MAX + 1 : 4096;

		n = (size_t)sprintf(big, "[");
		for (i = 0; i < (size_t)nrec; i++)
			n += (size_t)sprintf(big + n, "%s{\"n\":\"/3/0/9\","
			    "\"v\":%zu}", i > 0 ? "," : "", i);
		sprintf(big + n, "]");
		if (k == 0) {
			assert_int_equal(split(big, &sp, err), 0);
			assert_int_equal(sp.nparts, 1);
			assert_int_equal(cJSON_GetArraySize(sp.records),
			    SENML_SPLIT_MAX);
			senml_split_free(&sp);
		} else {
			assert_int_equal(split(big, &sp, err), -1);
			assert_non_null(strstr(err, "records"));
		}
	}
	/* A record of too many fields. */
	n = (size_t)sprintf(big, "[{\"n\":\"/3/0/9\",\"v\":1");
	for (i = 0; i < 64; i++)
		n += (size_t)sprintf(big + n, ",\"x%zu\":1", i);
	sprintf(big + n, "}]");
	assert_int_equal(split(big, &sp, err), -1);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_names),
		cmocka_unit_test(test_split_resolve),
		cmocka_unit_test(test_split_cbor),
		cmocka_unit_test(test_split_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
