/*
 * test_node_comp.c: the name lists of Read-Composite and Observe-Composite
 * (node/comp.c), SenML JSON and CBOR, good and hostile, and the pack a
 * list reads as (parsed back with cJSON, or compared byte for byte).
 * Every body is a heap copy of exactly its length, so that ASan flags a
 * read past it.
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

#include "node/comp.h"
#include "node/nconf.h"
#include "node/object.h"

static enum node_result
parse(int cf, const void *body, size_t len, struct comp_list *l, char *err,
    size_t errlen)
{
	uint8_t *copy = malloc(len == 0 ? 1 : len);
	enum node_result res;

	assert_non_null(copy);
	memcpy(copy, body, len);
	memset(err, 'E', errlen);
	err[errlen - 1] = '\0';
	res = comp_parse(cf, copy, len, l, err, errlen);
	free(copy);
	return res;
}

/* Parses the JSON text s and expects res; a refusal has a reason and
 * leaves no paths. */
static void
json_is(const char *s, enum node_result want)
{
	struct comp_list l;
	char err[160];
	enum node_result res;

	res = parse(COMP_CF_SENML_JSON, s, strlen(s), &l, err, sizeof(err));
	if (res != want)
		fail_msg("%s: %d, not %d (%s)", s, res, want, err);
	if (res != NODE_OK) {
		assert_int_equal(l.n, 0);
		assert_true(err[0] != '\0' && err[0] != 'E');
	}
}

static void
cbor_is(const uint8_t *b, size_t len, enum node_result want)
{
	struct comp_list l;
	char err[160];
	enum node_result res;

	res = parse(COMP_CF_SENML_CBOR, b, len, &l, err, sizeof(err));
	if (res != want)
		fail_msg("CBOR of %zu bytes: %d, not %d (%s)", len, res, want,
		    err);
	if (res != NODE_OK) {
		assert_int_equal(l.n, 0);
		assert_true(err[0] != '\0' && err[0] != 'E');
	}
}

static void
path_is(const struct comp_path *p, int oid, int iid, int rid)
{
	assert_int_equal(p->oid, oid);
	assert_int_equal(p->iid, iid);
	assert_int_equal(p->rid, rid);
}

static void
test_json_names(void **state)
{
	static const char s[] = "[{\"n\":\"/3/0/9\"},{\"bn\":\"/3/0/\","
	    "\"n\":\"0\"},{\"n\":\"10\"},{\"bn\":\"/5\"},{\"n\":\"/4/0\"}]";
	struct comp_list l;
	char err[160];

	(void)state;
	assert_int_equal(parse(COMP_CF_SENML_JSON, s, strlen(s), &l, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(l.n, 5);
	path_is(&l.p[0], 3, 0, 9);
	path_is(&l.p[1], 3, 0, 0);
	path_is(&l.p[2], 3, 0, 10);	/* the base name carries on */
	path_is(&l.p[3], 5, -1, -1);	/* a base name alone is a name */
	path_is(&l.p[4], 5, 4, 0);	/* "/5" + "/4/0" */
}

static void
test_json_names_base_replaced(void **state)
{
	static const char s[] = "[{\"bn\":\"/5\"},{\"bn\":\"\",\"n\":\"/4/0\"},"
	    "{\"n\":\"/65535/65535/65535\"},{\"n\":\"/0\"}]";
	struct comp_list l;
	char err[160], text[24];

	(void)state;
	assert_int_equal(parse(COMP_CF_SENML_JSON, s, strlen(s), &l, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(l.n, 4);
	path_is(&l.p[0], 5, -1, -1);
	path_is(&l.p[1], 4, 0, -1);
	path_is(&l.p[2], 65535, 65535, 65535);
	path_is(&l.p[3], 0, -1, -1);
	comp_path_text(&l.p[1], text, sizeof(text));
	assert_string_equal(text, "/4/0");
	comp_path_text(&l.p[2], text, sizeof(text));
	assert_string_equal(text, "/65535/65535/65535");
}

static void
test_duplicates_collapse(void **state)
{
	struct comp_list l, m;
	char err[160], buf[COMP_BODY_MAX + 64];
	size_t len = 0;
	int i;

	(void)state;
	/* The same name again and again is one path. */
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "[");
	for (i = 0; i < 100; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "%s{\"n\":\"/3/0/9\"}", i ? "," : "");
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "]");
	assert_int_equal(parse(COMP_CF_SENML_JSON, buf, len, &l, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(l.n, 1);
	/* Sets compare without order. */
	strcpy(buf, "[{\"n\":\"/3\"},{\"n\":\"/4\"}]");
	assert_int_equal(parse(COMP_CF_SENML_JSON, buf, strlen(buf), &l, err,
	    sizeof(err)), NODE_OK);
	strcpy(buf, "[{\"n\":\"/4\"},{\"n\":\"/3\"},{\"n\":\"/4\"}]");
	assert_int_equal(parse(COMP_CF_SENML_JSON, buf, strlen(buf), &m, err,
	    sizeof(err)), NODE_OK);
	assert_true(comp_same(&l, &m));
	m.p[1].oid = 5;
	assert_false(comp_same(&l, &m));
}

static void
test_huge_lists(void **state)
{
	char buf[COMP_BODY_MAX * 2];
	size_t len = 0;
	int i;

	(void)state;
	/* 16 distinct names are taken, 17 are too many. */
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "[");
	for (i = 0; i < COMP_PATHS_MAX; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "%s{\"n\":\"/3/0/%d\"}", i ? "," : "", i);
	snprintf(buf + len, sizeof(buf) - len, "]");
	json_is(buf, NODE_OK);
	snprintf(buf + len, sizeof(buf) - len, ",{\"n\":\"/4\"}]");
	json_is(buf, NODE_TOO_LARGE);
	/* A body over the limit, whatever it holds. */
	memset(buf, ' ', sizeof(buf) - 1);
	buf[0] = '[';
	memcpy(buf + sizeof(buf) - 13, "{\"n\":\"/3\"}]", 12);
	json_is(buf, NODE_TOO_LARGE);
}

static void
test_json_hostile(void **state)
{
	static const char *const bad[] = {
		"", "garbage", "[", "[]", "{}", "{\"n\":\"/3\"}", "[1]",
		"[null]", "[[]]", "[{}]", "[{\"n\":1}]", "[{\"n\":null}]",
		"[{\"bn\":[]}]", "[{\"n\":\"/3\",\"v\":1}]",
		"[{\"n\":\"/3\",\"vs\":\"x\"}]", "[{\"n\":\"/3\",\"t\":0}]",
		"[{\"n\":\"/3\",\"n\":\"/4\"}]",
		"[{\"n\":\"/3\"}] x", "[{\"n\":\"/3\"}][]",
		"[{\"n\":\"\"}]", "[{\"n\":\"/\"}]", "[{\"n\":\"3\"}]",
		"[{\"n\":\"/3/\"}]", "[{\"n\":\"//3\"}]", "[{\"n\":\"/3//0\"}]",
		"[{\"n\":\"/3/0/9/0\"}]", "[{\"n\":\"/65536\"}]",
		"[{\"n\":\"/03\"}]", "[{\"n\":\"/3/00\"}]", "[{\"n\":\"/3/a\"}]",
		"[{\"n\":\"/-1\"}]", "[{\"n\":\"/3 \"}]", "[{\"n\":\"/+3\"}]",
		"[{\"n\":\"/999999\"}]", "[{\"n\":\"/1e3\"}]",
		"[{\"n\":\"/3/\\u00e9\"}]",
		"[{\"bn\":\"/3/0/\"}]",
		"[{\"n\":\"/3\"},{\"n\":\"/4/x\"}]",
		"[{\"bn\":\"/1111111111111111111111111111111111111111111111111"
		    "111111111111111111\",\"n\":\"1\"}]",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		json_is(bad[i], NODE_BAD_REQUEST);
	/* Deep nesting: refused, not a stack overflow. */
	{
		char deep[COMP_BODY_MAX];

		memset(deep, '[', sizeof(deep) - 1);
		deep[sizeof(deep) - 1] = '\0';
		json_is(deep, NODE_BAD_REQUEST);
	}
}

static void
test_formats(void **state)
{
	struct comp_list l;
	char err[160];

	(void)state;
	assert_int_equal(parse(50, "[{\"n\":\"/3\"}]", 12, &l, err,
	    sizeof(err)), NODE_BAD_FORMAT);
	assert_int_equal(parse(-1, "[{\"n\":\"/3\"}]", 12, &l, err,
	    sizeof(err)), NODE_BAD_FORMAT);
	assert_int_equal(parse(0, "[{\"n\":\"/3\"}]", 12, &l, err,
	    sizeof(err)), NODE_BAD_FORMAT);
}

static void
test_cbor_names(void **state)
{
	/* [{-2: "/3/0/", 0: "9"}, {0: "10"}] */
	static const uint8_t def[] = { 0x82, 0xa2, 0x21, 0x65, '/', '3', '/',
	    '0', '/', 0x00, 0x61, '9', 0xa1, 0x00, 0x62, '1', '0' };
	/* [_ {_ 0: "/5"}, {_ -2: "/4/0"}] */
	static const uint8_t indef[] = { 0x9f, 0xbf, 0x00, 0x62, '/', '5',
	    0xff, 0xbf, 0x21, 0x64, '/', '4', '/', '0', 0xff, 0xff };
	/* A label in a longer form than needed is the same label. */
	static const uint8_t longer[] = { 0x81, 0xa1, 0x18, 0x00, 0x62, '/',
	    '3' };
	struct comp_list l;
	char err[160];

	(void)state;
	assert_int_equal(parse(COMP_CF_SENML_CBOR, def, sizeof(def), &l, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(l.n, 2);
	path_is(&l.p[0], 3, 0, 9);
	path_is(&l.p[1], 3, 0, 10);
	assert_int_equal(parse(COMP_CF_SENML_CBOR, indef, sizeof(indef), &l,
	    err, sizeof(err)), NODE_OK);
	assert_int_equal(l.n, 2);
	path_is(&l.p[0], 5, -1, -1);
	path_is(&l.p[1], 4, 0, -1);
	assert_int_equal(parse(COMP_CF_SENML_CBOR, longer, sizeof(longer),
	    &l, err, sizeof(err)), NODE_OK);
	path_is(&l.p[0], 3, -1, -1);
}

static void
test_cbor_hostile(void **state)
{
	static const struct {
		const char	*what;
		uint8_t		 b[24];
		size_t		 len;
	} bad[] = {
		{ "empty", { 0 }, 0 },
		{ "garbage", { 0xff, 0x00 }, 2 },
		{ "no array", { 0xa1, 0x00, 0x62, '/', '3' }, 5 },
		{ "empty array", { 0x80 }, 1 },
		{ "empty indefinite array", { 0x9f, 0xff }, 2 },
		{ "2^64 records", { 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xa1, 0x00, 0x62, '/', '3' }, 14 },
		{ "a map of 2^32 pairs", { 0x81, 0xba, 0xff, 0xff, 0xff, 0xff,
		    0x00, 0x62, '/', '3' }, 10 },
		{ "a string of 2^32 bytes", { 0x81, 0xa1, 0x00, 0x7a, 0xff,
		    0xff, 0xff, 0xff, '/', '3' }, 10 },
		{ "cut short", { 0x82, 0xa1, 0x00, 0x62, '/', '3' }, 6 },
		{ "after the pack", { 0x81, 0xa1, 0x00, 0x62, '/', '3', 0x00 },
		    7 },
		{ "an array in an array", { 0x81, 0x81, 0xa1, 0x00, 0x62, '/',
		    '3' }, 7 },
		{ "a map as a label", { 0x81, 0xa1, 0xa0, 0x62, '/', '3' }, 6 },
		{ "a text label", { 0x81, 0xa1, 0x61, 'n', 0x62, '/', '3' }, 7 },
		{ "a value", { 0x81, 0xa2, 0x00, 0x62, '/', '3', 0x02, 0x01 },
		    8 },
		{ "an unknown label", { 0x81, 0xa1, 0x18, 0x20, 0x62, '/',
		    '3' }, 7 },
		{ "a huge label", { 0x81, 0xa1, 0x1b, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0x62, '/', '3' }, 14 },
		{ "a byte string name", { 0x81, 0xa1, 0x00, 0x42, '/', '3' },
		    6 },
		{ "an indefinite string", { 0x81, 0xa1, 0x00, 0x7f, 0x62, '/',
		    '3', 0xff }, 8 },
		{ "a number name", { 0x81, 0xa1, 0x00, 0x03 }, 4 },
		{ "a float name", { 0x81, 0xa1, 0x00, 0xf9, 0x3c, 0x00 }, 6 },
		{ "a tag", { 0x81, 0xc0, 0xa1, 0x00, 0x62, '/', '3' }, 7 },
		{ "a name twice", { 0x81, 0xa2, 0x00, 0x62, '/', '3', 0x00,
		    0x62, '/', '4' }, 10 },
		{ "an empty record", { 0x81, 0xa0 }, 2 },
		{ "a stray break", { 0x81, 0xff }, 2 },
		{ "a bad path", { 0x81, 0xa1, 0x00, 0x62, '/', 'x' }, 6 },
		{ "a NUL in a name", { 0x81, 0xa1, 0x00, 0x63, '/', '3', 0 },
		    7 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("%s\n", bad[i].what);
		cbor_is(bad[i].b, bad[i].len, NODE_BAD_REQUEST);
	}
}

static void
test_cbor_too_many(void **state)
{
	uint8_t buf[COMP_BODY_MAX];
	size_t len = 0;
	int i;

	(void)state;
	/* 17 distinct names in an indefinite array. */
	buf[len++] = 0x9f;
	for (i = 0; i < COMP_PATHS_MAX + 1; i++) {
		buf[len++] = 0xa1;
		buf[len++] = 0x00;
		buf[len++] = 0x64;
		len += (size_t)snprintf((char *)buf + len, 5, "/%03d", 100 + i);
	}
	buf[len++] = 0xff;
	cbor_is(buf, len, NODE_TOO_LARGE);
}

/* The object model, with fixed figures. */
static int64_t
fake_now(void *arg)
{
	(void)arg;
	return 1700000000;
}

static long
fake_mem(void *arg)
{
	(void)arg;
	return 123456;
}

static int
fake_battery(void *arg)
{
	(void)arg;
	return 87;
}

struct fixture {
	struct node_config	cfg;
	struct obj		obj;
};

static int
setup(void **state)
{
	static const struct obj_env env = { fake_now, fake_mem, fake_battery,
	    NULL };
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	nconf_defaults(&f->cfg);
	snprintf(f->cfg.manufacturer, sizeof(f->cfg.manufacturer), "Acme");
	obj_init(&f->obj, &f->cfg, &env);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

/* Reads the JSON names s as JSON; the pack parsed. */
static cJSON *
read_json(struct fixture *f, const char *s)
{
	struct comp_list l;
	char err[160];
	uint8_t *out;
	size_t len;
	cJSON *pack;

	assert_int_equal(parse(COMP_CF_SENML_JSON, s, strlen(s), &l, err,
	    sizeof(err)), NODE_OK);
	out = comp_read(&f->obj, "ep-1", &f->obj.fw, &l, 0, &len, err,
	    sizeof(err));
	assert_non_null(out);
	assert_int_equal(len, strlen((char *)out));
	pack = cJSON_Parse((char *)out);
	free(out);
	assert_non_null(pack);
	assert_true(cJSON_IsArray(pack));
	return pack;
}

static cJSON *
record(cJSON *pack, const char *name)
{
	cJSON *r;

	cJSON_ArrayForEach(r, pack)
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "n")),
		    name) == 0)
			return r;
	return NULL;
}

static void
test_read_json(void **state)
{
	struct fixture *f = *state;
	cJSON *pack, *r;
	int n, k;

	pack = read_json(f, "[{\"n\":\"/3/0/0\"},{\"n\":\"/3/0/9\"}]");
	assert_int_equal(cJSON_GetArraySize(pack), 2);
	r = cJSON_GetArrayItem(pack, 0);
	assert_string_equal(cJSON_GetObjectItem(r, "n")->valuestring,
	    "/3/0/0");
	assert_string_equal(cJSON_GetObjectItem(r, "vs")->valuestring, "Acme");
	r = cJSON_GetArrayItem(pack, 1);
	assert_int_equal(cJSON_GetObjectItem(r, "v")->valueint, 87);
	assert_null(cJSON_GetObjectItem(r, "bn"));
	cJSON_Delete(pack);
	/* An instance, a resource in it and the object: each record once;
	 * a multiple resource by instance. */
	pack = read_json(f, "[{\"n\":\"/3/0\"},{\"n\":\"/3/0/10\"},"
	    "{\"n\":\"/3\"}]");
	n = cJSON_GetArraySize(pack);
	assert_true(n > 5);
	for (k = 0; k < n; k++) {
		const char *name = cJSON_GetObjectItem(cJSON_GetArrayItem(pack,
		    k), "n")->valuestring;
		int j;

		assert_true(strncmp(name, "/3/0/", 5) == 0);
		for (j = k + 1; j < n; j++)
			assert_string_not_equal(name, cJSON_GetObjectItem(
			    cJSON_GetArrayItem(pack, j), "n")->valuestring);
	}
	assert_int_equal(cJSON_GetObjectItem(record(pack, "/3/0/10"),
	    "v")->valueint, 123456);
	assert_non_null(record(pack, "/3/0/11/0"));
	assert_null(record(pack, "/3/0/4"));	/* execute-only */
	cJSON_Delete(pack);
}

static void
test_read_nothing(void **state)
{
	struct fixture *f = *state;
	cJSON *pack;

	/* No such object, instance or resource, an execute-only resource,
	 * the account objects: no records, no error. */
	pack = read_json(f, "[{\"n\":\"/3303\"},{\"n\":\"/3/1\"},"
	    "{\"n\":\"/3/1/0\"},{\"n\":\"/3/0/999\"},{\"n\":\"/3/0/4\"},"
	    "{\"n\":\"/0\"},{\"n\":\"/0/0/5\"},{\"n\":\"/1/0\"}]");
	assert_int_equal(cJSON_GetArraySize(pack), 0);
	cJSON_Delete(pack);
}

static void
test_read_cbor(void **state)
{
	struct fixture *f = *state;
	/* [{0: "/3/0/9", 2: 87}, {0: "/3/0/0", 3: "Acme"}] */
	static const uint8_t want[] = { 0x82, 0xa2, 0x00, 0x66, '/', '3', '/',
	    '0', '/', '9', 0x02, 0x18, 87, 0xa2, 0x00, 0x66, '/', '3', '/',
	    '0', '/', '0', 0x03, 0x64, 'A', 'c', 'm', 'e' };
	static const uint8_t names[] = { 0x82, 0xa1, 0x00, 0x66, '/', '3',
	    '/', '0', '/', '9', 0xa1, 0x00, 0x66, '/', '3', '/', '0', '/',
	    '0' };
	struct comp_list l;
	char err[160];
	uint8_t *out;
	size_t len;

	assert_int_equal(parse(COMP_CF_SENML_CBOR, names, sizeof(names), &l,
	    err, sizeof(err)), NODE_OK);
	out = comp_read(&f->obj, "ep-1", &f->obj.fw, &l, 1, &len, err,
	    sizeof(err));
	assert_non_null(out);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_names),
		cmocka_unit_test(test_json_names_base_replaced),
		cmocka_unit_test(test_duplicates_collapse),
		cmocka_unit_test(test_huge_lists),
		cmocka_unit_test(test_json_hostile),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_cbor_names),
		cmocka_unit_test(test_cbor_hostile),
		cmocka_unit_test(test_cbor_too_many),
		cmocka_unit_test_setup_teardown(test_read_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_nothing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_cbor, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
