/*
 * test_cred.c: unit tests for modules/device/credparse.c (the body of POST
 * /v1/devices, hostile ones included) and modules/device/cred.c (credentials in
 * the store: lookups by ep and by identity, conflicts, staged duplicates,
 * revocation, records that are not sane).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "gateway.h"
#include "modules/device/cred.h"
#include "modules/device/registry.h"
#include "store/store.h"
#include "tests/unit/testutil.h"

#define KEY16	"00112233445566778899aabbccddeeff"

static int
parse(const char *body, struct cred *c, char *err)
{
	return cred_parse_json(body, strlen(body), c, err, 160);
}

static void
test_parse_psk(void **state)
{
	struct cred c;
	char err[160];

	(void)state;
	assert_int_equal(parse("{\"ep\":\"node-1\",\"psk_identity\":\"id 1\","
	    "\"psk_key\":\"" KEY16 "\"}", &c, err), 0);
	assert_int_equal(c.kind, CRED_PSK);
	assert_string_equal(c.ep, "node-1");
	assert_int_equal(c.id_len, 4);
	assert_memory_equal(c.id, "id 1", 4);
	assert_int_equal(c.key_len, 16);
	assert_int_equal(c.key[0], 0x00);
	assert_int_equal(c.key[15], 0xff);
	/* Upper-case hex, the longest key. */
	assert_int_equal(parse("{\"ep\":\"n\",\"psk_identity\":\"i\","
	    "\"psk_key\":\"" KEY16 KEY16 KEY16 KEY16 "\"}", &c, err), 0);
	assert_int_equal(c.key_len, 64);
	assert_int_equal(parse("{\"ep\":\"n\",\"psk_identity\":\"i\","
	    "\"psk_key\":\"AABBCCDDEEFF00112233445566778899\"}", &c, err), 0);
	assert_int_equal(c.key[0], 0xaa);
}

static void
test_parse_x509_and_rpk(void **state)
{
	struct cred c;
	char err[160];
	char body[1024];

	(void)state;
	assert_int_equal(parse("{\"ep\":\"x\",\"x509\":true}", &c, err), 0);
	assert_int_equal(c.kind, CRED_X509);
	assert_int_equal(c.id_len, 1);
	assert_memory_equal(c.id, "x", 1);
	assert_int_equal(parse("{\"ep\":\"x\",\"x509_cn\":\"dev.example\"}",
	    &c, err), 0);
	assert_memory_equal(c.id, "dev.example", 11);
	snprintf(body, sizeof(body), "{\"ep\":\"r\",\"rpk\":\"30%s\"}",
	    KEY16 KEY16 KEY16 KEY16 "00");
	assert_int_equal(parse(body, &c, err), 0);
	assert_int_equal(c.kind, CRED_RPK);
	assert_int_equal(c.id_len, 66);
	assert_int_equal(c.key_len, 0);
}

/* Every hostile body fails, leaves c zeroed, and never echoes the key. */
static void
test_parse_hostile(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "null", "\"x\"", "{}", "{\"ep\":1}",
		"{\"ep\":\"\",\"x509\":true}",
		"{\"ep\":\"a/b\",\"x509\":true}",
		"{\"ep\":\"a?b\",\"x509\":true}",
		"{\"ep\":\"a\\u0000b\",\"x509\":true}",
		"{\"ep\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaa\",\"x509\":true}",
		"{\"ep\":\"a\"}",
		"{\"ep\":\"a\",\"x509\":false}",
		"{\"ep\":\"a\",\"x509\":1}",
		"{\"ep\":\"a\",\"x509\":true,\"x509_cn\":\"b\"}",
		"{\"ep\":\"a\",\"x509_cn\":\"\"}",
		"{\"ep\":\"a\",\"x509_cn\":\"\\u00e9\"}",
		"{\"ep\":\"a\",\"psk_identity\":\"i\"}",
		"{\"ep\":\"a\",\"psk_key\":\"" KEY16 "\"}",
		"{\"ep\":\"a\",\"psk_identity\":\"i\",\"psk_key\":\"" KEY16 "0\"}",
		"{\"ep\":\"a\",\"psk_identity\":\"i\",\"psk_key\":\"0011\"}",
		"{\"ep\":\"a\",\"psk_identity\":\"i\",\"psk_key\":\"g0112233445566"
		    "778899aabbccddeeff\"}",
		"{\"ep\":\"a\",\"psk_identity\":\"i\",\"psk_key\":\"0x112233445566"
		    "778899aabbccddeeff\"}",
		"{\"ep\":\"a\",\"psk_identity\":\"i\",\"psk_key\":16}",
		"{\"ep\":\"a\",\"psk_identity\":7,\"psk_key\":\"" KEY16 "\"}",
		"{\"ep\":\"a\",\"psk_identity\":\"\\n\",\"psk_key\":\"" KEY16 "\"}",
		"{\"ep\":\"a\",\"psk_identity\":\"i\",\"psk_key\":\"" KEY16 "\","
		    "\"rpk\":\"30\"}",
		"{\"ep\":\"a\",\"psk_identity\":\"i\",\"psk_key\":\"" KEY16 "\","
		    "\"role\":\"admin\"}",
		"{\"ep\":\"a\",\"rpk\":\"31" KEY16 KEY16 "\"}",
		"{\"ep\":\"a\",\"rpk\":\"30\"}",
		"{\"ep\":\"a\",\"rpk\":[]}",
		"{\"ep\":\"a\",\"x509\":true} {}",
		"{\"ep\":\"a\",\"ep\":\"b\",\"x509\":true}",
		"{\"ep\":\"a\",\"x509\":true,\"x509\":true}",
		"{\"ep\":\"a\",\"x509\":true}x",
	};
	struct cred c, zero;
	char err[160];
	size_t i;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0xa5, sizeof(c));
		if (parse(bad[i], &c, err) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_memory_equal(&c, &zero, sizeof(c));
		assert_true(err[0] != '\0');
		assert_null(strstr(err, KEY16));
	}
	/* A body with a NUL inside, and one over the size limit. */
	assert_int_equal(cred_parse_json("{\"ep\":\"a\",\"x509\":true}\0x", 25,
	    &c, err, sizeof(err)), -1);
	{
		size_t n = 8192;
		char *big = malloc(n);

		assert_non_null(big);
		memset(big, ' ', n);
		memcpy(big, "{\"ep\":\"a\",\"x509\":true}", 22);
		assert_int_equal(cred_parse_json(big, n, &c, err, sizeof(err)),
		    -1);
		free(big);
	}
	/* A tiny error buffer still gets a terminated message. */
	assert_int_equal(cred_parse_json("{}", 2, &c, err, 4), -1);
	assert_int_equal(strlen(err), 3);
}

/* What parse_json_object (parse.c) says of a body: each reason names
 * what is wrong, and an unknown member gets the list of known ones. */
static void
test_parse_reasons(void **state)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
		{ "{\"ep\":\"a\",\"x509\":true,\"role\":1}", "unknown member "
		    "(known: ep, psk_identity, psk_key, rpk, x509_cn, x509)" },
		{ "{\"ep\":\"a\",\"ep\":\"b\",\"x509\":true}",
		    "member ep given twice" },
		{ "{\"ep\":\"a\\u0000b\",\"x509\":true}",
		    "strings must not hold NUL" },
		{ "{\"ep\":\"a\",\"x509\":true} {}", "body must be a JSON "
		    "object" },
		{ "[]", "body must be a JSON object" },
	};
	char tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
	struct cred c;
	char err[160];
	size_t i;
	int ntags;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].body, &c, err), -1);
		assert_string_equal(err, cases[i].want);
	}
	assert_int_equal(cred_parse_provision("{\"tag\":1}", 9, &c, tags,
	    &ntags, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown member (known: ep, psk_identity, "
	    "psk_key, rpk, x509_cn, x509, tags)");
}

#define X509_TRUE	"{\"x509\":true}"

static int
parse_for(const char *ep, const char *body, struct cred *c, char *err)
{
	return cred_parse_json_for(ep, body, strlen(body), c, err, 160);
}

/* The body of PUT /v1/devices/{ep}/credential: ep from the path. */
static void
test_parse_for_path(void **state)
{
	struct cred c;
	char err[160];

	(void)state;
	assert_int_equal(parse_for("dev-1", X509_TRUE, &c, err), 0);
	assert_string_equal(c.ep, "dev-1");
	assert_memory_equal(c.id, "dev-1", 5);
	assert_int_equal(parse_for("dev-1", "{\"ep\":\"dev-1\","
	    "\"x509_cn\":\"cn\"}", &c, err), 0);
	assert_int_equal(parse_for("dev-1", "{\"ep\":\"dev-2\","
	    "\"x509\":true}", &c, err), -1);
	assert_non_null(strstr(err, "path"));
	assert_int_equal(parse_for("a/b", X509_TRUE, &c, err), -1);
	assert_int_equal(parse_for("dev-1", "{\"ep\":\"dev-1\"}", &c, err),
	    -1);
}

static void
test_printable(void **state)
{
	char out[8];

	(void)state;
	cred_printable((const uint8_t *)"ab\ncd", 5, out, sizeof(out));
	assert_string_equal(out, "ab?cd");
	cred_printable((const uint8_t *)"abcdefghijk", 11, out, sizeof(out));
	assert_string_equal(out, "abcd...");
	cred_printable((const uint8_t *)"\xff\x01", 2, out, 2);
	assert_string_equal(out, "?");
	assert_string_equal(cred_kind_name(CRED_RPK), "rpk");
	assert_string_equal(cred_kind_name(99), "none");
}

/* -- the store side ---------------------------------------------------- */
struct fixture {
	char		 dir[64];
	struct gateway	 gw;
	int		 status[8];
	int		 ncalls;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/outpost-test-cred.XXXXXX");
	if (mkdtemp(f->dir) == NULL ||
	    (f->gw.base = event_base_new()) == NULL ||
	    (f->gw.store = store_open(f->gw.base, f->dir, 8u << 20, err,
	    sizeof(err))) == NULL) {
		free(f);
		return -1;
	}
	/* A provisioning drops the device's route: it looks the device up. */
	config_defaults(&f->gw.cfg);
	if (registry_init(&f->gw) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	registry_free(&f->gw);
	store_close(f->gw.store);
	event_base_free(f->gw.base);
	rc = rm_tree(f->dir);
	free(f);
	return rc;
}

static void
on_done(int status, void *arg)
{
	struct fixture *f = arg;

	f->status[f->ncalls++ % 8] = status;
}

static struct cred
psk(const char *ep, const char *id, uint8_t fill)
{
	struct cred c;

	memset(&c, 0, sizeof(c));
	c.kind = CRED_PSK;
	snprintf(c.ep, sizeof(c.ep), "%s", ep);
	c.id_len = (uint16_t)strlen(id);
	memcpy(c.id, id, c.id_len);
	c.key_len = 16;
	memset(c.key, fill, 16);
	return c;
}

static void
test_store_put_find_revoke(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;
	struct cred a = psk("dev-a", "id-a", 0x11), b, got;

	assert_int_equal(cred_find_by_ep(gw, "dev-a", &got), 1);
	assert_int_equal(cred_put(gw, &a, on_done, f), 0);
	/* Staged, not committed: not visible, but a second one conflicts. */
	assert_int_equal(cred_find_by_id(gw, CRED_PSK, a.id, a.id_len, &got),
	    1);
	b = psk("dev-a", "id-other", 0x22);
	assert_int_equal(cred_put(gw, &b, on_done, f), 1);
	b = psk("dev-b", "id-a", 0x22);
	assert_int_equal(cred_put(gw, &b, on_done, f), 1);
	assert_int_equal(store_commit(gw->store), 0);
	assert_int_equal(f->ncalls, 1);
	assert_int_equal(f->status[0], 0);

	assert_int_equal(cred_find_by_id(gw, CRED_PSK, a.id, a.id_len, &got),
	    0);
	assert_string_equal(got.ep, "dev-a");
	assert_int_equal(got.key_len, 16);
	assert_memory_equal(got.key, a.key, 16);
	/* The same bytes as another kind are no one. */
	assert_int_equal(cred_find_by_id(gw, CRED_X509, a.id, a.id_len, &got),
	    1);
	assert_int_equal(cred_find_by_id(gw, CRED_PSK, (const uint8_t *)"id",
	    2, &got), 1);
	/* Committed conflicts. */
	assert_int_equal(cred_put(gw, &b, on_done, f), 1);
	b = psk("dev-a", "id-b", 0x22);
	assert_int_equal(cred_put(gw, &b, on_done, f), 1);

	assert_int_equal(cred_revoke(gw, "dev-a", on_done, f), 0);
	assert_int_equal(store_commit(gw->store), 0);
	assert_int_equal(f->ncalls, 2);
	assert_int_equal(cred_find_by_ep(gw, "dev-a", &got), 1);
	assert_int_equal(cred_find_by_id(gw, CRED_PSK, a.id, a.id_len, &got),
	    1);
	assert_int_equal(cred_revoke(gw, "dev-a", on_done, f), 1);
	/* The identity is free again. */
	b = psk("dev-b", "id-a", 0x33);
	assert_int_equal(cred_put(gw, &b, on_done, f), 0);
	assert_int_equal(store_commit(gw->store), 0);
	assert_int_equal(cred_find_by_id(gw, CRED_PSK, b.id, b.id_len, &got),
	    0);
	assert_string_equal(got.ep, "dev-b");
	assert_int_equal(got.key[0], 0x33);
}

static void
test_store_replace(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;
	struct cred a = psk("dev-a", "id-a", 0x11), b = psk("dev-b", "id-b",
	    0x22), c, got;

	c = psk("dev-c", "id-c", 0x33);
	assert_int_equal(cred_replace(gw, &c, on_done, f), 1);	/* none */
	assert_int_equal(cred_put(gw, &a, on_done, f), 0);
	assert_int_equal(cred_put(gw, &b, on_done, f), 0);
	assert_int_equal(store_commit(gw->store), 0);
	/* A new key, same identity. */
	c = psk("dev-a", "id-a", 0x44);
	assert_int_equal(cred_replace(gw, &c, on_done, f), 0);
	assert_int_equal(cred_replace(gw, &c, on_done, f), 2);	/* staged */
	assert_int_equal(store_commit(gw->store), 0);
	assert_int_equal(cred_find_by_id(gw, CRED_PSK, a.id, a.id_len, &got),
	    0);
	assert_int_equal(got.key[0], 0x44);
	/* Another ep's identity. */
	c = psk("dev-a", "id-b", 0x55);
	assert_int_equal(cred_replace(gw, &c, on_done, f), 2);
	/* A new identity: the old one goes. */
	c = psk("dev-a", "id-a2", 0x66);
	assert_int_equal(cred_replace(gw, &c, on_done, f), 0);
	assert_int_equal(store_commit(gw->store), 0);
	assert_int_equal(cred_find_by_id(gw, CRED_PSK, a.id, a.id_len, &got),
	    1);
	assert_int_equal(cred_find_by_id(gw, CRED_PSK, c.id, c.id_len, &got),
	    0);
	assert_string_equal(got.ep, "dev-a");
	assert_int_equal(cred_find_by_ep(gw, "dev-b", &got), 0);
	assert_int_equal(got.key[0], 0x22);
}

/* Records that are not what cred.c writes are errors, never a credential. */
static void
test_store_malformed_records(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;
	static const uint8_t bad[][8] = {
		{ 2, 1, 0, 1, 0, 0, 'x' },	/* format */
		{ 1, 9, 0, 1, 0, 0, 'x' },	/* kind */
		{ 1, 1, 0, 0, 0, 0 },		/* no identity */
		{ 1, 1, 0, 9, 0, 0, 'x' },	/* identity past the end */
		{ 1, 1, 0, 1, 0, 99, 'x' },	/* key too long */
	};
	static const size_t len[] = { 7, 7, 6, 7, 7 };
	struct cred got;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_put(gw->store, STORE_DB_CREDS, "ebad", 4,
		    bad[i], len[i]), 0);
		assert_int_equal(store_put(gw->store, STORE_DB_CREDS, "px", 2,
		    "bad", 3), 0);
		assert_int_equal(store_commit(gw->store), 0);
		assert_int_equal(cred_find_by_ep(gw, "bad", &got), -1);
		assert_int_not_equal(cred_find_by_id(gw, CRED_PSK,
		    (const uint8_t *)"x", 1, &got), 0);
	}
	/* An index that names an ep whose record says otherwise. */
	assert_int_equal(store_put(gw->store, STORE_DB_CREDS, "ebad", 4,
	    "\x01\x01\x00\x01\x00\x00y", 7), 0);
	assert_int_equal(store_commit(gw->store), 0);
	assert_int_equal(cred_find_by_id(gw, CRED_PSK, (const uint8_t *)"x", 1,
	    &got), 1);
	/* An ep too long to be one. */
	assert_int_equal(cred_find_by_ep(gw, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &got), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_psk),
		cmocka_unit_test(test_parse_x509_and_rpk),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_parse_reasons),
		cmocka_unit_test(test_parse_for_path),
		cmocka_unit_test(test_printable),
		cmocka_unit_test_setup_teardown(test_store_put_find_revoke,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_malformed_records,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_replace, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
