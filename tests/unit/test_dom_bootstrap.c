/*
 * test_dom_bootstrap.c: the Bootstrap server's domain
 * (modules/device/bootstrap.c) and the issued credential's life in
 * cred.c, over a real store with the domain's modules alone. The CoAP
 * face is a fake hooks.bs_send that records each request; the test
 * answers as a device would through the callback it captured: the whole
 * exchange, the credential and the done in one batch, refusals, failures
 * half-way (an error, no answer, the session gone) and their retry, the
 * 4.15 that switches formats, the pending credential beside the old one
 * until a registration promotes it, and the turns between two keys under
 * one identity.
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
#include "lwm2m/devmsg.h"
#include "lwm2m/senml.h"
#include "modules/device/bootstrap.h"
#include "modules/device/cred.h"
#include "modules/device/tags.h"
#include "tests/unit/domutil.h"

#define EP		"bs-node"
#define MAX_SEEN	32

struct sent {
	enum devreq_method	 method;
	char			 path[DEVREQ_PATH_MAX];
	int			 cf, accept;
	uint8_t			 body[512];
	size_t			 len;
	struct bs_link		*link;
	devreq_cb		 cb;
	void			*arg;
};

struct fixture {
	struct dom	*d;
	struct sent	 sent[MAX_SEEN];
	int		 nsent;
	int		 refuse;	/* bs_send fails */
};

static struct fixture *hook_f;

/* Two sessions, as the face would hand them (never dereferenced). */
static char link_a, link_b;
#define LINK_A	((struct bs_link *)(void *)&link_a)
#define LINK_B	((struct bs_link *)(void *)&link_b)

static int
fake_bs_send(struct gateway *gw, struct bs_link *link,
    const struct devreq_spec *spec,
    void (*cb)(const struct devresp *, void *), void *arg)
{
	struct sent *s;

	(void)gw;
	if (hook_f->refuse || hook_f->nsent >= MAX_SEEN)
		return -1;
	s = &hook_f->sent[hook_f->nsent++];
	s->method = spec->method;
	snprintf(s->path, sizeof(s->path), "%s", spec->path);
	s->cf = spec->content_format;
	s->accept = spec->accept;
	assert_true(spec->len <= sizeof(s->body));
	if (spec->len > 0)
		memcpy(s->body, spec->body, spec->len);
	s->len = spec->len;
	s->link = link;
	s->cb = cb;
	s->arg = arg;
	return 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->d = dom_new()) == NULL)
		return -1;
	f->d->gw.cfg.bs_max_concurrent = 2;
	f->d->gw.hooks.bs_send = fake_bs_send;
	if (dom_start(f->d) == -1)
		return -1;
	hook_f = f;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	dom_free(f->d);
	free(f);
	return 0;
}

/* The last request sent, which must be method path. */
static struct sent *
last(struct fixture *f, enum devreq_method method, const char *path)
{
	struct sent *s;

	assert_true(f->nsent > 0);
	s = &f->sent[f->nsent - 1];
	assert_int_equal(s->method, method);
	assert_string_equal(s->path, path);
	return s;
}

/* Answers the last request with cls.detail and body. */
static void
answer(struct fixture *f, int cls, int detail, int cf, const char *body)
{
	struct sent *s = &f->sent[f->nsent - 1];
	struct devresp r;

	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_ANSWER;
	r.cls = cls;
	r.detail = detail;
	r.content_format = cf;
	r.body = (const uint8_t *)body;
	r.len = body != NULL ? strlen(body) : 0;
	s->cb(&r, s->arg);
}

static void
answer_kind(struct fixture *f, enum devresp_kind kind)
{
	struct sent *s = &f->sent[f->nsent - 1];
	struct devresp r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.content_format = -1;
	s->cb(&r, s->arg);
}

static void
configure(struct fixture *f, const char *ep, const char *body)
{
	struct bs_config cfg;
	struct cred fc;
	char err[200];

	if (bs_parse_config(body, strlen(body), 1, &cfg, &fc, err,
	    sizeof(err)) == -1)
		fail_msg("%s: %s", body, err);
	assert_int_equal(bootstrap_put(&f->d->gw, ep, &cfg, &fc), 0);
	assert_int_equal(dom_commit(f->d), 0);
}

/* ep's state as GET shows it. */
static void
state_is(struct fixture *f, const char *ep, const char *want,
    const char *reason)
{
	cJSON *o, *v;

	assert_int_equal(bootstrap_json(&f->d->gw, ep, &o), 0);
	assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring,
	    want);
	v = cJSON_GetObjectItem(o, "reason");
	if (reason == NULL)
		assert_null(v);
	else if (v == NULL || strstr(v->valuestring, reason) == NULL)
		fail_msg("reason %s, not %s", v != NULL ? v->valuestring :
		    "(none)", reason);
	cJSON_Delete(o);
}

static void
cred_done(int status, void *arg)
{
	(void)arg;
	assert_int_equal(status, 0);
}

static const char discover[] = "</>;lwm2m=1.1,</0/0>,</0/1>;ssid=101,"
    "</1/0>;ssid=101,</3/0>";

/* Runs the exchange up to the Finish sent. */
static void
exchange_to_finish(struct fixture *f, const char *ep, struct bs_link *link,
    int pct)
{
	const char *why = NULL;
	int n = f->nsent;

	assert_int_equal(bootstrap_request(&f->d->gw, ep, NULL, pct, link,
	    &why), BS_ACCEPT);
	assert_int_equal(f->nsent, n);	/* after the 2.04, next turn */
	dom_turns(f->d, 2);
	assert_int_equal(last(f, DEVREQ_GET, "")->accept, 40);
	answer(f, 2, 5, 40, discover);
	last(f, DEVREQ_DELETE, "0");
	answer(f, 2, 2, -1, NULL);
	last(f, DEVREQ_DELETE, "1");
	answer(f, 2, 2, -1, NULL);
	last(f, DEVREQ_PUT, "0/1");	/* /0/0 is its bootstrap account */
	answer(f, 2, 4, -1, NULL);
	last(f, DEVREQ_PUT, "1/0");
	answer(f, 2, 4, -1, NULL);
	last(f, DEVREQ_POST, "bs");
}

static void
test_exchange_issues_the_credential_with_the_done(void **state)
{
	struct fixture *f = *state;
	struct sent *sec;
	struct cred c;
	char *json;
	int both;

	configure(f, EP, "{\"lifetime\": 300}");
	state_is(f, EP, "pending", NULL);
	exchange_to_finish(f, EP, LINK_A, -1);
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "in_progress", NULL);
	sec = &f->sent[3];
	assert_int_equal(sec->cf, SENML_CF_TLV);
	assert_int_equal(f->sent[4].cf, SENML_CF_TLV);
	/* What the TLV says, read back through the gateway's TLV reader. */
	json = senml_to_json(SENML_CF_TLV, sec->body, sec->len, "0/1", NULL,
	    NULL, NULL, 0);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"vs\":\"coaps://127.0.0.1:5684\""));
	assert_non_null(strstr(json, "\"n\":\"10\",\"v\":1}"));
	free(json);
	assert_int_equal(cred_find_by_ep(&f->d->gw, EP, &c), 1);
	answer(f, 2, 4, -1, NULL);
	/* Staged, not committed: neither is seen by a lookup of the store,
	 * but a handshake sees the issued key at once. */
	assert_int_equal(cred_find_by_ep(&f->d->gw, EP, &c), 1);
	state_is(f, EP, "in_progress", NULL);
	assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
	    (const uint8_t *)EP, strlen(EP), &c, &both), 0);
	assert_int_equal(c.key_len, BS_KEY_LEN);
	assert_int_equal(dom_events(f->d, "bootstrap_done", EP), 0);
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "done", NULL);
	assert_int_equal(cred_find_by_ep(&f->d->gw, EP, &c), 0);
	assert_int_equal(c.kind, CRED_PSK);
	assert_int_equal(c.id_len, strlen(EP));
	assert_memory_equal(c.id, EP, strlen(EP));
	assert_int_equal(c.key_len, BS_KEY_LEN);
	assert_int_equal(c.pending, 0);		/* it had none: its own */
	/* The key the device was written is the one stored. */
	assert_non_null(memmem(sec->body, sec->len, c.key, c.key_len));
	assert_int_equal(dom_events(f->d, "bootstrap_started", EP), 1);
	assert_int_equal(dom_events(f->d, "bootstrap_done", EP), 1);
	/* A restart: the record says done, and the re-bootstrap trigger
	 * goes to the /1 instance the bootstrap wrote. */
	assert_int_equal(dom_restart(f->d), 0);
	state_is(f, EP, "done", NULL);
	assert_int_equal(bootstrap_server_instance(&f->d->gw, EP), 0);
}

static void
test_refusals(void **state)
{
	struct fixture *f = *state;
	const char *why;

	assert_int_equal(bootstrap_request(&f->d->gw, "nobody", NULL, -1,
	    LINK_A, &why), BS_FORBIDDEN);
	assert_non_null(strstr(why, "no bootstrap configuration"));
	configure(f, "fac", "{\"factory_psk_identity\": \"fid\", "
	    "\"factory_psk_key\": \"00112233445566778899aabbccddeeff\"}");
	/* Plain CoAP for an endpoint with a factory credential; the factory
	 * credential of another endpoint. */
	assert_int_equal(bootstrap_request(&f->d->gw, "fac", NULL, -1, LINK_A,
	    &why), BS_FORBIDDEN);
	assert_non_null(strstr(why, "DTLS"));
	assert_int_equal(bootstrap_request(&f->d->gw, "fac", "other", -1,
	    LINK_A, &why), BS_FORBIDDEN);
	assert_int_equal(bootstrap_request(&f->d->gw, "fac", "", -1, LINK_A,
	    &why), BS_FORBIDDEN);
	assert_int_equal(bootstrap_request(&f->d->gw, "fac", "fac", -1,
	    LINK_A, &why), BS_ACCEPT);
	/* The factory index finds it; the DM lookup never does. */
	{
		struct cred c;
		int both;

		assert_int_equal(bootstrap_factory_find(&f->d->gw, CRED_PSK,
		    (const uint8_t *)"fid", 3, &c), 0);
		assert_string_equal(c.ep, "fac");
		assert_int_equal(c.key_len, 16);
		assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
		    (const uint8_t *)"fid", 3, &c, &both), 1);
	}
	/* [bootstrap] max_concurrent (2 here). */
	configure(f, "b1", "{}");
	configure(f, "b2", "{}");
	assert_int_equal(bootstrap_request(&f->d->gw, "b1", NULL, -1, LINK_B,
	    &why), BS_ACCEPT);
	assert_int_equal(bootstrap_request(&f->d->gw, "b2", NULL, -1, LINK_B,
	    &why), BS_BUSY);
}

static void
test_failures_then_retry(void **state)
{
	struct fixture *f = *state;
	const char *why;
	struct cred c;

	configure(f, EP, "{}");
	/* An error half-way. */
	assert_int_equal(bootstrap_request(&f->d->gw, EP, NULL, -1, LINK_A,
	    &why), BS_ACCEPT);
	dom_turns(f->d, 2);
	answer(f, 2, 5, 40, discover);
	answer(f, 2, 2, -1, NULL);
	last(f, DEVREQ_DELETE, "1");
	answer(f, 5, 0, -1, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "failed", "Bootstrap-Delete /1 answered 5.00");
	assert_int_equal(dom_events(f->d, "bootstrap_failed", EP), 1);
	assert_non_null(strstr(dom_event_last(f->d, "bootstrap_failed"),
	    "answered 5.00"));
	/* No answer. */
	assert_int_equal(bootstrap_request(&f->d->gw, EP, NULL, -1, LINK_A,
	    &why), BS_ACCEPT);
	dom_turns(f->d, 2);
	answer_kind(f, DEVRESP_TIMEOUT);
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "failed", "no answer to Bootstrap-Discover");
	/* The session gone, at the Finish. */
	exchange_to_finish(f, EP, LINK_A, -1);
	answer_kind(f, DEVRESP_UNREACHABLE);
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "failed", "the session went during Bootstrap-Finish");
	/* A garbage Discover answer. */
	assert_int_equal(bootstrap_request(&f->d->gw, EP, NULL, -1, LINK_A,
	    &why), BS_ACCEPT);
	dom_turns(f->d, 2);
	answer(f, 2, 5, 40, "</0/0>;ssid=,<x");
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "failed", "Bootstrap-Discover answer");
	/* The Finish refused. */
	exchange_to_finish(f, EP, LINK_A, -1);
	answer(f, 4, 6, -1, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "failed", "4.06");
	/* The session goes before the first request. */
	assert_int_equal(bootstrap_request(&f->d->gw, EP, NULL, -1, LINK_B,
	    &why), BS_ACCEPT);
	bootstrap_link_gone(&f->d->gw, LINK_B);
	dom_turns(f->d, 2);
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "failed", "session");
	assert_int_equal(cred_find_by_ep(&f->d->gw, EP, &c), 1);
	assert_int_equal(dom_events(f->d, "bootstrap_failed", EP), 6);
	/* Asked again: done. */
	exchange_to_finish(f, EP, LINK_A, -1);
	answer(f, 2, 4, -1, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "done", NULL);
	assert_int_equal(cred_find_by_ep(&f->d->gw, EP, &c), 0);
}

static void
test_request_again_abandons_the_run_before(void **state)
{
	struct fixture *f = *state;
	struct sent first;
	struct devresp r;
	const char *why;

	configure(f, EP, "{}");
	assert_int_equal(bootstrap_request(&f->d->gw, EP, NULL, -1, LINK_A,
	    &why), BS_ACCEPT);
	dom_turns(f->d, 2);
	first = f->sent[0];
	/* The device restarted and asks from another session. */
	exchange_to_finish(f, EP, LINK_B, -1);
	assert_ptr_equal(f->sent[f->nsent - 1].link, LINK_B);
	/* A late answer to the abandoned run changes nothing. */
	memset(&r, 0, sizeof(r));
	r.kind = DEVRESP_ANSWER;
	r.cls = 2;
	r.detail = 5;
	r.content_format = -1;
	first.cb(&r, first.arg);
	answer(f, 2, 4, -1, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "done", NULL);
	assert_int_equal(dom_events(f->d, "bootstrap_failed", EP), 0);
	assert_int_equal(dom_events(f->d, "bootstrap_started", EP), 2);
}

static void
test_senml_cbor_and_415(void **state)
{
	struct fixture *f = *state;
	const char *why;
	char *json;

	configure(f, EP, "{\"binding\": \"UQ\", \"lifetime\": 60}");
	assert_int_equal(bootstrap_request(&f->d->gw, EP, NULL,
	    SENML_CF_CBOR, LINK_A, &why), BS_ACCEPT);
	dom_turns(f->d, 2);
	answer(f, 4, 4, -1, NULL);	/* no Discover: a 1.0 client */
	answer(f, 2, 2, -1, NULL);
	answer(f, 2, 2, -1, NULL);
	assert_int_equal(last(f, DEVREQ_PUT, "0/1")->cf, SENML_CF_CBOR);
	json = senml_to_json(SENML_CF_CBOR, f->sent[3].body, f->sent[3].len,
	    NULL, NULL, NULL, NULL, 0);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"bn\":\"/0/1/\""));
	free(json);
	answer(f, 4, 15, -1, NULL);
	/* The same write again, in TLV, and TLV from then on. */
	assert_int_equal(last(f, DEVREQ_PUT, "0/1")->cf, SENML_CF_TLV);
	answer(f, 2, 4, -1, NULL);
	assert_int_equal(last(f, DEVREQ_PUT, "1/0")->cf, SENML_CF_TLV);
	json = senml_to_json(SENML_CF_TLV, f->sent[5].body, f->sent[5].len,
	    "1/0", NULL, NULL, NULL, 0);
	assert_non_null(strstr(json, "\"n\":\"1\",\"v\":60"));
	/* Typed by the object model: /1/x/7 Binding is a String. */
	assert_non_null(strstr(json, "\"n\":\"7\",\"vs\":\"UQ\""));
	free(json);
	answer(f, 4, 15, -1, NULL);	/* a second 4.15: it has neither */
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "failed", "Bootstrap-Write /1 answered 4.15");
}

static void
test_tag_configuration(void **state)
{
	struct fixture *f = *state;
	char tags[1][TAG_LEN_MAX + 1] = { "site-a" };
	struct bs_config cfg;
	struct cred fc;
	const char *why;
	char err[128];
	cJSON *o;

	assert_int_equal(bootstrap_request(&f->d->gw, "tagged", NULL, -1,
	    LINK_A, &why), BS_FORBIDDEN);
	assert_int_equal(bs_parse_config("{\"lifetime\": 77}", 16, 0, &cfg,
	    &fc, err, sizeof(err)), 0);
	assert_int_equal(bootstrap_tag_put(&f->d->gw, "site-a", &cfg), 0);
	assert_int_equal(tags_set(&f->d->gw, "tagged", tags, 1), 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(bootstrap_json(&f->d->gw, "tagged", &o), 0);
	assert_int_equal(cJSON_GetObjectItem(o, "lifetime")->valueint, 77);
	assert_string_equal(cJSON_GetObjectItem(o, "tag")->valuestring,
	    "site-a");
	cJSON_Delete(o);
	assert_int_equal(bootstrap_request(&f->d->gw, "tagged", NULL, -1,
	    LINK_A, &why), BS_ACCEPT);
}

/* A device with a credential of its own gets a pending one: both work
 * until a registration over the new one promotes it. */
static void
test_pending_until_promoted(void **state)
{
	struct fixture *f = *state;
	struct cred old, c;
	int both;

	memset(&old, 0, sizeof(old));
	old.kind = CRED_PSK;
	snprintf(old.ep, sizeof(old.ep), EP);
	old.id_len = 6;
	memcpy(old.id, "old-id", 6);
	old.key_len = 16;
	memset(old.key, 0x11, 16);
	assert_int_equal(cred_put(&f->d->gw, &old, cred_done,
	    NULL), 0);
	configure(f, EP, "{}");
	exchange_to_finish(f, EP, LINK_A, -1);
	answer(f, 2, 4, -1, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	state_is(f, EP, "done", NULL);
	assert_int_equal(cred_find_by_ep(&f->d->gw, EP, &c), 0);
	assert_memory_equal(c.id, "old-id", 6);
	assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
	    (const uint8_t *)"old-id", 6, &c, &both), 0);
	assert_int_equal(c.pending, 0);
	assert_int_equal(both, 0);
	assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
	    (const uint8_t *)EP, strlen(EP), &c, &both), 0);
	assert_int_equal(c.pending, 1);
	assert_int_equal(c.key_len, BS_KEY_LEN);
	/* Kept across a restart. */
	assert_int_equal(dom_restart(f->d), 0);
	assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
	    (const uint8_t *)EP, strlen(EP), &c, &both), 0);
	assert_int_equal(c.pending, 1);
	assert_int_equal(cred_promote(&f->d->gw, EP), 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(cred_find_by_ep(&f->d->gw, EP, &c), 0);
	assert_memory_equal(c.id, EP, strlen(EP));
	assert_int_equal(c.pending, 0);
	assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
	    (const uint8_t *)"old-id", 6, &c, &both), 1);
	assert_int_equal(cred_promote(&f->d->gw, EP), 1);
}

/* The same identity for the own and the pending key: a handshake is
 * checked against the pending one, then after a failure the other. */
static void
test_same_identity_takes_turns(void **state)
{
	struct fixture *f = *state;
	struct cred c;
	uint8_t first[BS_KEY_LEN], second[BS_KEY_LEN];
	int both;

	configure(f, EP, "{}");
	exchange_to_finish(f, EP, LINK_A, -1);
	answer(f, 2, 4, -1, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(cred_find_by_ep(&f->d->gw, EP, &c), 0);
	memcpy(first, c.key, BS_KEY_LEN);
	exchange_to_finish(f, EP, LINK_A, -1);
	answer(f, 2, 4, -1, NULL);
	/* Before the commit already. */
	assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
	    (const uint8_t *)EP, strlen(EP), &c, &both), 0);
	assert_int_equal(both, 1);
	assert_int_equal(c.pending, 1);
	memcpy(second, c.key, BS_KEY_LEN);
	assert_memory_not_equal(first, second, BS_KEY_LEN);
	assert_int_equal(dom_commit(f->d), 0);
	cred_handshake_failed(&f->d->gw, EP, 1);
	assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
	    (const uint8_t *)EP, strlen(EP), &c, &both), 0);
	assert_int_equal(c.pending, 0);
	assert_memory_equal(c.key, first, BS_KEY_LEN);
	cred_handshake_failed(&f->d->gw, EP, 0);
	assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
	    (const uint8_t *)EP, strlen(EP), &c, &both), 0);
	assert_int_equal(c.pending, 1);
	assert_memory_equal(c.key, second, BS_KEY_LEN);
	/* Promoted: one key again. */
	assert_int_equal(cred_promote(&f->d->gw, EP), 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
	    (const uint8_t *)EP, strlen(EP), &c, &both), 0);
	assert_int_equal(both, 0);
	assert_memory_equal(c.key, second, BS_KEY_LEN);
	/* A revocation takes both. */
	exchange_to_finish(f, EP, LINK_A, -1);
	answer(f, 2, 4, -1, NULL);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(cred_revoke(&f->d->gw, EP, NULL, NULL), 0);
	assert_int_equal(dom_commit(f->d), 0);
	assert_int_equal(cred_find_for_handshake(&f->d->gw, CRED_PSK,
	    (const uint8_t *)EP, strlen(EP), &c, &both), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_exchange_issues_the_credential_with_the_done, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failures_then_retry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_request_again_abandons_the_run_before, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_senml_cbor_and_415, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tag_configuration, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pending_until_promoted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_identity_takes_turns,
		    setup, teardown),
	};

	log_init("test_dom_bootstrap", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
