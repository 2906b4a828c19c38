/*
 * test_tags.c: unit tests for lwm2m/tagparse.c (tag rules and the body
 * of PUT /v1/devices/{ep}/tags, hostile ones included), the "tags" of a
 * provisioning body (credparse.c), and modules/device/tags.c over a real store:
 * set, replace, has, get, walks (in chunks, with callbacks that read the
 * store), sets staged twice before a commit, drop, and tags that survive
 * closing and reopening the store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gateway.h"
#include "modules/device/cred.h"
#include "lwm2m/lwm2m.h"
#include "store/store.h"
#include "modules/device/tags.h"
#include "tests/unit/testutil.h"

typedef char tag_t[TAG_LEN_MAX + 1];

static int
parse(const char *body, tag_t *out, char *err)
{
	return tags_parse_json(body, strlen(body), out, TAGS_PER_DEVICE_MAX,
	    err, 160);
}

static void
test_valid(void **state)
{
	(void)state;
	assert_true(tags_valid("a"));
	assert_true(tags_valid("site-a"));
	assert_true(tags_valid("Fw_2.1:canary"));
	assert_true(tags_valid("0123456789012345678901234567890x"));	/* 32 */
	assert_false(tags_valid(""));
	assert_false(tags_valid(NULL));
	assert_false(tags_valid("0123456789012345678901234567890xy"));	/* 33 */
	assert_false(tags_valid("a b"));
	assert_false(tags_valid("a/b"));
	assert_false(tags_valid("a,b"));
	assert_false(tags_valid("a&b"));
	assert_false(tags_valid("a%20"));
	assert_false(tags_valid("caf\xc3\xa9"));
	assert_false(tags_valid("a\n"));
	assert_false(tags_valid("\x7f"));
}

static void
test_parse_forms(void **state)
{
	tag_t out[TAGS_PER_DEVICE_MAX];
	char err[160];

	(void)state;
	assert_int_equal(parse("[\"site-a\", \"canary\"]", out, err), 2);
	assert_string_equal(out[0], "canary");
	assert_string_equal(out[1], "site-a");
	assert_int_equal(parse(" {\"tags\": [\"b\",\"a\",\"b\",\"a\"]}\r\n",
	    out, err), 2);
	assert_string_equal(out[0], "a");
	assert_string_equal(out[1], "b");
	/* Bytewise order, the store's: upper case before lower. */
	assert_int_equal(parse("[\"b\",\"B\",\"a-\",\"a\",\"A\"]", out, err),
	    5);
	assert_string_equal(out[0], "A");
	assert_string_equal(out[1], "B");
	assert_string_equal(out[2], "a");
	assert_string_equal(out[3], "a-");
	assert_string_equal(out[4], "b");
	/* Empty clears. */
	assert_int_equal(parse("[]", out, err), 0);
	assert_int_equal(parse("{\"tags\":[]}", out, err), 0);
	/* Exactly the maximum, and duplicates beyond it that count once. */
	assert_int_equal(parse("[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\","
	    "\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"p\","
	    "\"a\"]", out, err), 16);
	assert_string_equal(out[15], "p");
	/* An escape that makes a valid tag is that tag. */
	assert_int_equal(parse("[\"\\u0061\"]", out, err), 1);
	assert_string_equal(out[0], "a");
}

static void
test_parse_hostile(void **state)
{
	static const struct {
		const char	*body;
		const char	*says;
	} bad[] = {
		{ "", "JSON array" },
		{ "   ", "JSON array" },
		{ "[", "JSON array" },
		{ "[\"a\"", "JSON array" },
		{ "[\"a\"] x", "JSON array" },
		{ "[\"a\"][\"b\"]", "JSON array" },
		{ "\"a\"", "array of strings" },
		{ "null", "array of strings" },
		{ "42", "array of strings" },
		{ "{}", "one member" },
		{ "{\"tag\":[\"a\"]}", "one member" },
		{ "{\"Tags\":[\"a\"]}", "one member" },
		{ "{\"tags\":[\"a\"],\"x\":1}", "one member" },
		{ "{\"tags\":[\"a\"],\"tags\":[\"b\"]}", "one member" },
		{ "{\"tags\":\"a\"}", "array of strings" },
		{ "{\"tags\":{\"a\":1}}", "array of strings" },
		{ "[1]", "tags[0] is not a string" },
		{ "[\"a\", null]", "tags[1] is not a string" },
		{ "[\"a\", [\"b\"]]", "tags[1] is not a string" },
		{ "[\"a\", {\"b\":1}]", "tags[1] is not a string" },
		{ "[\"\"]", "tags[0] is not a tag" },
		{ "[\"a b\"]", "tags[0] is not a tag" },
		{ "[\"a\",\"0123456789012345678901234567890xy\"]",
		    "tags[1] is not a tag" },
		{ "[\"caf\\u00e9\"]", "tags[0] is not a tag" },
		{ "[\"a\\nb\"]", "tags[0] is not a tag" },
		{ "[\"a\\u0000b\"]", "NUL" },
		{ "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\","
		    "\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]",
		    "more than 16" },
	};
	tag_t out[TAGS_PER_DEVICE_MAX];
	char err[160], small[4], *big;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(bad[i].body, out, err) != -1)
			fail_msg("accepted %s", bad[i].body);
		if (strstr(err, bad[i].says) == NULL)
			fail_msg("%s: said \"%s\"", bad[i].body, err);
	}
	/* A NUL byte inside the body, not escaped: what follows is not
	 * JSON whitespace. */
	assert_int_equal(tags_parse_json("[\"a\"]\0[\"b\"]", 11, out,
	    TAGS_PER_DEVICE_MAX, err, sizeof(err)), -1);
	/* Only len bytes are read: the array is not closed within them. */
	assert_int_equal(tags_parse_json("[\"a\"]", 4, out,
	    TAGS_PER_DEVICE_MAX, err, sizeof(err)), -1);
	/* A message cut to a small buffer, still terminated. */
	assert_int_equal(tags_parse_json("[1]", 3, out, TAGS_PER_DEVICE_MAX,
	    small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	/* The caller's max holds, whatever it is. */
	assert_int_equal(tags_parse_json("[\"a\",\"b\"]", 9, out, 1, err,
	    sizeof(err)), -1);
	assert_int_equal(tags_parse_json("[\"a\",\"a\"]", 9, out, 1, err,
	    sizeof(err)), 1);
	assert_int_equal(tags_parse_json("[]", 2, out, 0, err, sizeof(err)),
	    0);
	/* Bodies over the limit are refused before parsing; deep nesting
	 * under it is cJSON's to refuse. */
	n = TAGS_BODY_MAX + 1;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "[\"a\"]", 5);
	big[n] = '\0';
	assert_int_equal(tags_parse_json(big, n, out, TAGS_PER_DEVICE_MAX, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "over"));
	assert_int_equal(tags_parse_json(big, n - 1, out, TAGS_PER_DEVICE_MAX,
	    err, sizeof(err)), 1);
	memset(big, '[', TAGS_BODY_MAX);
	assert_int_equal(tags_parse_json(big, TAGS_BODY_MAX, out,
	    TAGS_PER_DEVICE_MAX, err, sizeof(err)), -1);
	free(big);
}

static int
prov(const char *body, struct cred *c, tag_t *tags, int *n, char *err)
{
	return cred_parse_provision(body, strlen(body), c, tags, n, err, 160);
}

/* Provisioning takes "tags" beside the credential; PUT of a credential
 * does not. */
static void
test_provision_body(void **state)
{
	static const char ok[] = "{\"ep\":\"n-1\",\"x509\":true,"
	    "\"tags\":[\"site-a\",\"canary\",\"site-a\"]}";
	tag_t tags[TAGS_PER_DEVICE_MAX];
	struct cred c;
	char err[160];
	int n;

	(void)state;
	assert_int_equal(prov(ok, &c, tags, &n, err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(tags[0], "canary");
	assert_string_equal(c.ep, "n-1");
	assert_int_equal(prov("{\"ep\":\"n\",\"x509\":true}", &c, tags, &n,
	    err), 0);
	assert_int_equal(n, -1);
	assert_int_equal(prov("{\"ep\":\"n\",\"x509\":true,"
	    "\"tags\":[]}", &c, tags, &n, err), 0);
	assert_int_equal(n, 0);
	/* A bad tag refuses the whole body, credential included. */
	assert_int_equal(prov("{\"ep\":\"n\",\"x509\":true,"
	    "\"tags\":[\"a b\"]}", &c, tags, &n, err), -1);
	assert_non_null(strstr(err, "not a tag"));
	assert_string_equal(c.ep, "");
	assert_int_equal(prov("{\"ep\":\"n\",\"x509\":true,"
	    "\"tags\":\"a\"}", &c, tags, &n, err), -1);
	assert_int_equal(prov("{\"ep\":\"n\",\"x509\":true,"
	    "\"tags\":[],\"tags\":[]}", &c, tags, &n, err),
	    -1);
	assert_non_null(strstr(err, "twice"));
	/* Without the tags argument "tags" is unknown. */
	assert_int_equal(cred_parse_json(ok, strlen(ok), &c, err, sizeof(err)),
	    -1);
	assert_int_equal(cred_parse_json_for("n-1", ok, strlen(ok), &c, err,
	    sizeof(err)), -1);
}

/* -- the store ----------------------------------------------------- */

struct fixture {
	char		dir[64];
	struct gateway	gw;
};

static void
open_store(struct fixture *f)
{
	char err[512];

	f->gw.store = store_open(f->gw.base, f->dir, 64 << 20, err,
	    sizeof(err));
	if (f->gw.store == NULL)
		fail_msg("store_open: %s", err);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/outpost-test-tags.XXXXXX");
	if (mkdtemp(f->dir) == NULL ||
	    (f->gw.base = event_base_new()) == NULL)
		return -1;
	open_store(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	store_close(f->gw.store);
	/* Every staged set was let go at its commit. */
	assert_null(f->gw.tags_pending);
	event_base_free(f->gw.base);
	rc = rm_tree(f->dir);
	free(f);
	return rc;
}

/* Sets ep's tags from a space-separated list. */
static int
set(struct gateway *gw, const char *ep, const char *list)
{
	tag_t tags[TAGS_PER_DEVICE_MAX + 1];
	char buf[256], *p, *t;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (p = buf; (t = strsep(&p, " ")) != NULL;)
		if (*t != '\0')
			snprintf(tags[n++], sizeof(tags[0]), "%s", t);
	return tags_set(gw, ep, tags, n);
}

/* ep's committed tags, space-separated. */
static const char *
get(struct gateway *gw, const char *ep)
{
	static char buf[TAGS_PER_DEVICE_MAX * (TAG_LEN_MAX + 1) + 1];
	tag_t tags[TAGS_PER_DEVICE_MAX];
	int n, i;

	buf[0] = '\0';
	n = tags_get(gw, ep, tags, TAGS_PER_DEVICE_MAX);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, tags[i]);
	}
	return buf;
}

struct walk {
	struct gateway	*gw;
	char		 eps[256];
	int		 n, stop_at, read_store;
};

static int
walk_cb(const char *ep, void *arg)
{
	struct walk *w = arg;

	/* A callback may read the store (a campaign looks devices up). */
	if (w->read_store)
		assert_int_equal(tags_has(w->gw, ep, "big"), 1);
	if (w->n < 4) {
		if (w->n > 0)
			strcat(w->eps, " ");
		strcat(w->eps, ep);
	}
	if (++w->n == w->stop_at)
		return 7;
	return 0;
}

static const char *
walk(struct gateway *gw, const char *tag)
{
	static struct walk w;

	memset(&w, 0, sizeof(w));
	w.gw = gw;
	assert_int_equal(tags_walk(gw, tag, walk_cb, &w), 0);
	return w.eps;
}

static void
test_set_get_replace(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;

	assert_string_equal(get(gw, "node-1"), "");
	assert_int_equal(tags_has(gw, "node-1", "a"), 0);
	assert_int_equal(set(gw, "node-1", "site-a canary"), 0);
	assert_int_equal(set(gw, "node-10", "site-a"), 0);
	assert_int_equal(set(gw, "node-", "other"), 0);
	/* Staged only: not visible before the commit. */
	assert_string_equal(get(gw, "node-1"), "");
	assert_int_equal(store_commit(gw->store), 0);
	/* "node-1" is a prefix of "node-10": each keeps its own. */
	assert_string_equal(get(gw, "node-1"), "canary site-a");
	assert_string_equal(get(gw, "node-10"), "site-a");
	assert_string_equal(get(gw, "node-"), "other");
	assert_int_equal(tags_has(gw, "node-1", "canary"), 1);
	assert_int_equal(tags_has(gw, "node-10", "canary"), 0);
	assert_int_equal(tags_has(gw, "node-1", "canar"), 0);
	assert_int_equal(tags_has(gw, "node-1", "bad tag"), 0);
	assert_string_equal(walk(gw, "site-a"), "node-1 node-10");
	assert_string_equal(walk(gw, "site"), "");
	assert_string_equal(walk(gw, "canary"), "node-1");

	/* Replace: what is gone leaves both databases. */
	assert_int_equal(set(gw, "node-1", "canary beta"), 0);
	assert_int_equal(store_commit(gw->store), 0);
	assert_string_equal(get(gw, "node-1"), "beta canary");
	assert_string_equal(walk(gw, "site-a"), "node-10");
	assert_string_equal(walk(gw, "beta"), "node-1");

	/* Clear, and drop. */
	assert_int_equal(set(gw, "node-1", ""), 0);
	tags_drop_device(gw, "node-10");
	assert_int_equal(store_commit(gw->store), 0);
	assert_string_equal(get(gw, "node-1"), "");
	assert_string_equal(get(gw, "node-10"), "");
	assert_string_equal(walk(gw, "site-a"), "");
	assert_string_equal(walk(gw, "canary"), "");
	assert_string_equal(get(gw, "node-"), "other");
}

static void
test_refusals(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;
	char ep[LWM2M_EP_MAX + 2];
	tag_t tags[TAGS_PER_DEVICE_MAX + 1];

	memset(ep, 'e', sizeof(ep) - 1);
	ep[sizeof(ep) - 1] = '\0';
	assert_int_equal(set(gw, ep, "a"), -1);
	assert_int_equal(set(gw, "", "a"), -1);
	assert_int_equal(set(gw, "n", "a bad/tag"), -1);
	assert_int_equal(set(gw, "n", "a b c d e f g h i j k l m n o p q"),
	    -1);
	assert_int_equal(tags_set(gw, "n", tags, -1), -1);
	assert_int_equal(store_commit(gw->store), 0);
	assert_string_equal(get(gw, "n"), "");
	assert_int_equal(tags_get(gw, ep, tags, TAGS_PER_DEVICE_MAX), 0);
	assert_int_equal(tags_has(gw, ep, "a"), 0);
	ep[LWM2M_EP_MAX] = '\0';	/* the longest name is fine */
	assert_int_equal(set(gw, ep, "a 0123456789012345678901234567890x"),
	    0);
	assert_int_equal(store_commit(gw->store), 0);
	assert_int_equal(tags_has(gw, ep, "0123456789012345678901234567890x"),
	    1);
	/* out is bounded by max. */
	assert_int_equal(tags_get(gw, ep, tags, 1), 1);
	assert_string_equal(tags[0], "0123456789012345678901234567890x");
	assert_int_equal(tags_get(gw, ep, tags, 0), 0);
}

/* Two changes before the first commits: the second must remove what the
 * first adds, whichever batch each lands in. */
static void
test_staged_twice(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;

	assert_int_equal(set(gw, "n", "old keep"), 0);
	assert_int_equal(store_commit(gw->store), 0);

	assert_int_equal(set(gw, "n", "a b keep"), 0);
	assert_int_equal(set(gw, "n", "c"), 0);
	assert_non_null(gw->tags_pending);
	assert_int_equal(store_commit(gw->store), 0);
	assert_null(gw->tags_pending);
	assert_string_equal(get(gw, "n"), "c");
	assert_string_equal(walk(gw, "a"), "");
	assert_string_equal(walk(gw, "keep"), "");

	/* Set, then drop, then set again before any commit. */
	assert_int_equal(set(gw, "n", "x y"), 0);
	tags_drop_device(gw, "n");
	assert_int_equal(store_commit(gw->store), 0);
	assert_string_equal(get(gw, "n"), "");
	assert_int_equal(set(gw, "n", "x y"), 0);
	tags_drop_device(gw, "n");
	assert_int_equal(set(gw, "n", "z"), 0);
	assert_int_equal(store_commit(gw->store), 0);
	assert_string_equal(get(gw, "n"), "z");
	assert_string_equal(walk(gw, "x"), "");

	/* A set that re-adds what an earlier staged set removes. */
	assert_int_equal(set(gw, "n", ""), 0);
	assert_int_equal(set(gw, "n", "z"), 0);
	assert_int_equal(store_commit(gw->store), 0);
	assert_string_equal(get(gw, "n"), "z");
}

/* More endpoints than one chunk of the walk; stops and pages. */
static void
test_walk_chunks(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;
	struct walk w;
	char ep[32];
	int i;

	for (i = 0; i < 150; i++) {
		snprintf(ep, sizeof(ep), "dev-%03d", i);
		assert_int_equal(set(gw, ep, i % 2 ? "big odd" : "big"), 0);
	}
	assert_int_equal(store_commit(gw->store), 0);
	memset(&w, 0, sizeof(w));
	w.gw = gw;
	w.read_store = 1;
	assert_int_equal(tags_walk(gw, "big", walk_cb, &w), 0);
	assert_int_equal(w.n, 150);
	assert_string_equal(w.eps, "dev-000 dev-001 dev-002 dev-003");
	memset(&w, 0, sizeof(w));
	w.gw = gw;
	assert_int_equal(tags_walk(gw, "odd", walk_cb, &w), 0);
	assert_int_equal(w.n, 75);
	/* cb's non-zero value ends the walk and is returned. */
	memset(&w, 0, sizeof(w));
	w.gw = gw;
	w.stop_at = 100;
	assert_int_equal(tags_walk(gw, "big", walk_cb, &w), 7);
	assert_int_equal(w.n, 100);
	/* From after an endpoint, which need not carry the tag. */
	memset(&w, 0, sizeof(w));
	w.gw = gw;
	assert_int_equal(tags_walk_from(gw, "big", "dev-063", walk_cb, &w), 0);
	assert_int_equal(w.n, 86);
	assert_string_equal(w.eps, "dev-064 dev-065 dev-066 dev-067");
	memset(&w, 0, sizeof(w));
	w.gw = gw;
	assert_int_equal(tags_walk_from(gw, "odd", "dev-000", walk_cb, &w), 0);
	assert_int_equal(w.n, 75);
	assert_string_equal(w.eps, "dev-001 dev-003 dev-005 dev-007");
	memset(&w, 0, sizeof(w));
	w.gw = gw;
	assert_int_equal(tags_walk_from(gw, "big", "dev-149", walk_cb, &w), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(tags_walk(gw, "bad tag", walk_cb, &w), 0);
	assert_int_equal(w.n, 0);
}

static void
test_survives_reopen(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;

	assert_int_equal(set(gw, "node-1", "site-a canary"), 0);
	assert_int_equal(store_commit(gw->store), 0);
	store_close(gw->store);
	open_store(f);
	assert_string_equal(get(gw, "node-1"), "canary site-a");
	assert_string_equal(walk(gw, "canary"), "node-1");
	/* Staged and not committed by hand: store_close commits it. */
	assert_int_equal(set(gw, "node-1", "after"), 0);
	store_close(gw->store);
	assert_null(gw->tags_pending);
	open_store(f);
	assert_string_equal(get(gw, "node-1"), "after");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_provision_body),
		cmocka_unit_test_setup_teardown(test_set_get_replace, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_staged_twice, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_walk_chunks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_survives_reopen, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
