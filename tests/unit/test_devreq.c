/*
 * test_devreq.c: unit tests for modules/coap/devreq.c, the gateway's
 * requests to a device on the session of its registration.
 *
 * Each test runs the gateway's modules as main.c does (store in a
 * temporary directory, [coap] on 127.0.0.1 and a free port) and a device
 * in the same process: a second libcoap context whose client session
 * registers on /rd (as a LwM2M client does) and then receives the
 * gateway's requests on that session. The device's resources record each
 * request and answer at once or not at all; the test sends the answers it
 * kept (separate responses) when it wants. Both sides run from one wait
 * loop (wait_until), never from a sleep.
 *
 * What is pinned: NSTART and the FIFO order behind it, the timeout and
 * the request that goes after it, matching answers to requests by token
 * (and refusing an unknown one), cancelling a waiting request, the route
 * (no registration, registration gone), and observations; and that
 * libcoap's walk of its sessions, run at most so often, is deferred and
 * still keeps libcoap's deadlines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "modules/coap/coap.h"
#include "modules/coap/devreq.h"
#include "modules/device/registry.h"
#include "store/store.h"
#include "tests/unit/testutil.h"

#define DEV_EP		"node-1"
#define DEV_NRES	10		/* the device serves 3/0/0 .. 3/0/9 */
#define DEV_SEEN_MAX	32
#define WAIT_LIMIT_MS	10000		/* wait_until gives up after this */
#define QUIET_MS	300		/* "nothing more comes" is checked
					   over this long */
#define NRESULTS	8

/* A request the device received. */
struct dev_req {
	coap_pdu_code_t		 code;
	coap_mid_t		 mid;
	uint8_t			 token[8];
	size_t			 token_len;
	char			 path[32];
	long			 observe;	/* its Observe value, or -1 */
};

/* What one devreq callback (or observation callback) got. */
struct result {
	int			 calls;
	enum devresp_kind	 kind;
	int			 cls, detail;
	char			 body[64];
	long			 seq;		/* observations: the last seq */
	long			 seqs[8];
	int64_t			 at_ms;		/* when it was called */
	int			 dev_seen;	/* requests the device had seen */
	struct fixture		*f;
};

struct fixture {
	char			 dir[64];
	struct gateway		 gw;
	size_t			 started;	/* modules inited */

	coap_context_t		*dev;		/* the device */
	coap_session_t		*ds;		/* its session to the gateway */
	int			 dev_now;	/* answer at once (2.05) */
	int			 registered;
	int			 rsts;		/* RSTs the device got */
	struct dev_req		 seen[DEV_SEEN_MAX];
	int			 nseen;

	struct result		 res[NRESULTS];
	unsigned		 walk_ms;	/* coap.c's walk spacing to
						   restore, 0: untouched */
};

/* In main.c's start order, as far as the CoAP face needs. */
static const struct gw_module *const modules[] = {
	&store_module,
	&firmware_module,
	&registry_module,
	&queue_module,
	&cache_module,
	&observe_module,
	&coap_module,
};
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One turn of both sides: waits up to 10 ms for either CoAP socket, then
 * lets the gateway's reactor (its libcoap, its timers, the store's
 * commits) and the device's libcoap do what is ready. */
static void
pump(struct fixture *f)
{
	struct pollfd pfd[2];

	pfd[0].fd = coap_context_get_coap_fd(f->gw.coap->ctx);
	pfd[0].events = POLLIN;
	pfd[1].fd = coap_context_get_coap_fd(f->dev);
	pfd[1].events = POLLIN;
	(void)poll(pfd, 2, 10);
	event_base_loop(f->gw.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	coap_io_process(f->dev, COAP_IO_NO_WAIT);
}

/* Runs both sides until cond holds; fails the test after WAIT_LIMIT_MS. */
#define wait_until(f, cond) do {					\
	int64_t deadline_ = now_ms() + WAIT_LIMIT_MS;			\
	while (!(cond)) {						\
		if (now_ms() > deadline_)				\
			fail_msg("line %d: gave up waiting for %s",	\
			    __LINE__, #cond);				\
		pump(f);						\
	}								\
} while (0)

/* Runs both sides for ms: to see that nothing more happens. */
static void
run_for(struct fixture *f, int ms)
{
	int64_t end = now_ms() + ms;

	wait_until(f, now_ms() >= end);
}

/* -- the device ---------------------------------------------------------- */

/* Every request the device gets: recorded, then answered at once
 * (piggybacked 2.05 "now:<path>") or left for later (libcoap sends an
 * empty ACK; the test sends the response with dev_answer). */
static void
dev_handler(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct fixture *f = coap_get_app_data(coap_session_get_context(s));
	coap_str_const_t *uri = coap_resource_get_uri_path(r);
	coap_bin_const_t tok = coap_pdu_get_token(req);
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	struct dev_req *d;
	char body[48];

	(void)query;
	if (f->nseen == DEV_SEEN_MAX)
		fail_msg("the device got more than %d requests", DEV_SEEN_MAX);
	d = &f->seen[f->nseen++];
	memset(d, 0, sizeof(*d));
	d->code = coap_pdu_get_code(req);
	d->mid = coap_pdu_get_mid(req);
	d->token_len = tok.length;
	memcpy(d->token, tok.s, tok.length);
	snprintf(d->path, sizeof(d->path), "%.*s", (int)uri->length,
	    (const char *)uri->s);
	d->observe = -1;
	if ((opt = coap_check_option(req, COAP_OPTION_OBSERVE, &it)) != NULL)
		d->observe = (long)coap_decode_var_bytes(coap_opt_value(opt),
		    coap_opt_length(opt));
	if (!f->dev_now)
		return;
	snprintf(body, sizeof(body), "now:%s", d->path);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
	coap_add_data(resp, strlen(body), (const uint8_t *)body);
}

/* The device's answer to its register. */
static coap_response_t
dev_response(coap_session_t *s, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	struct fixture *f = coap_get_app_data(coap_session_get_context(s));

	(void)sent;
	(void)mid;
	if (coap_pdu_get_code(rcvd) == COAP_RESPONSE_CODE_CREATED)
		f->registered = 1;
	return COAP_RESPONSE_OK;
}

static void
dev_nack(coap_session_t *s, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct fixture *f = coap_get_app_data(coap_session_get_context(s));

	(void)sent;
	(void)mid;
	if (reason == COAP_NACK_RST)
		f->rsts++;
}

/* Sends a separate response (CON) with token tok: code, a text body, and
 * an Observe option unless observe is -1. */
static void
dev_send_response(struct fixture *f, const uint8_t *tok, size_t toklen,
    coap_pdu_code_t code, const char *body, long observe)
{
	coap_pdu_t *pdu;
	uint8_t buf[4];

	pdu = coap_pdu_init(COAP_MESSAGE_CON, code, coap_new_message_id(f->ds),
	    coap_session_max_pdu_size(f->ds));
	assert_non_null(pdu);
	assert_true(coap_add_token(pdu, toklen, tok));
	if (observe >= 0)
		assert_true(coap_add_option(pdu, COAP_OPTION_OBSERVE,
		    coap_encode_var_safe(buf, sizeof(buf), (unsigned)observe),
		    buf));
	assert_true(coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(buf, sizeof(buf), COAP_MEDIATYPE_TEXT_PLAIN),
	    buf));
	assert_true(coap_add_data(pdu, strlen(body), (const uint8_t *)body));
	assert_int_not_equal(coap_send(f->ds, pdu), COAP_INVALID_MID);
}

/* Answers the device's request number i (2.05, body). */
static void
dev_answer(struct fixture *f, int i, const char *body)
{
	assert_true(i < f->nseen);
	dev_send_response(f, f->seen[i].token, f->seen[i].token_len,
	    COAP_RESPONSE_CODE_CONTENT, body, -1);
}

/* Makes the device (resources 3/0/0..) and its session from 127.0.0.1 to
 * the gateway's CoAP port, and registers it as DEV_EP. */
static void
dev_start(struct fixture *f)
{
	static const char links[] = "</3/0>";
	char path[16], query[64];
	coap_address_t local, remote;
	coap_resource_t *r;
	coap_pdu_t *pdu;
	uint8_t buf[4];
	int i;

	assert_non_null(f->dev = coap_new_context(NULL));
	coap_set_app_data(f->dev, f);
	coap_register_response_handler(f->dev, dev_response);
	coap_register_nack_handler(f->dev, dev_nack);
	for (i = 0; i < DEV_NRES; i++) {
		snprintf(path, sizeof(path), "3/0/%d", i);
		assert_non_null(r = coap_resource_init(coap_new_str_const(
		    (const uint8_t *)path, strlen(path)),
		    COAP_RESOURCE_FLAGS_RELEASE_URI));
		coap_register_request_handler(r, COAP_REQUEST_GET,
		    dev_handler);
		coap_register_request_handler(r, COAP_REQUEST_PUT,
		    dev_handler);
		coap_register_request_handler(r, COAP_REQUEST_POST,
		    dev_handler);
		coap_add_resource(f->dev, r);
	}
	coap_address_init(&local);
	local.addr.sin.sin_family = AF_INET;
	local.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	local.size = sizeof(local.addr.sin);
	coap_address_init(&remote);
	remote.addr.sin.sin_family = AF_INET;
	remote.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	remote.addr.sin.sin_port = htons(f->gw.cfg.coap_listen.port);
	remote.size = sizeof(remote.addr.sin);
	assert_non_null(f->ds = coap_new_client_session(f->dev, &local,
	    &remote, COAP_PROTO_UDP));

	assert_non_null(pdu = coap_new_pdu(COAP_MESSAGE_CON,
	    COAP_REQUEST_CODE_POST, f->ds));
	assert_true(coap_add_option(pdu, COAP_OPTION_URI_PATH, 2,
	    (const uint8_t *)"rd"));
	assert_true(coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(buf, sizeof(buf),
	    COAP_MEDIATYPE_APPLICATION_LINK_FORMAT), buf));
	snprintf(query, sizeof(query), "ep=%s", DEV_EP);
	assert_true(coap_add_option(pdu, COAP_OPTION_URI_QUERY,
	    strlen(query), (const uint8_t *)query));
	assert_true(coap_add_option(pdu, COAP_OPTION_URI_QUERY, 6,
	    (const uint8_t *)"lt=300"));
	assert_true(coap_add_option(pdu, COAP_OPTION_URI_QUERY, 9,
	    (const uint8_t *)"lwm2m=1.1"));
	assert_true(coap_add_data(pdu, strlen(links),
	    (const uint8_t *)links));
	assert_int_not_equal(coap_send(f->ds, pdu), COAP_INVALID_MID);
	wait_until(f, f->registered);
	assert_true(devreq_routable(&f->gw, DEV_EP));
}

/* -- the gateway --------------------------------------------------------- */

/* A UDP port on 127.0.0.1 that was free a moment ago. */
static uint16_t
free_port(void)
{
	uint16_t port = free_loopback_port(SOCK_DGRAM);

	if (port == 0)
		fail_msg("cannot find a free UDP port");
	return port;
}

/* state: the [proxy] nstart to run with. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct gateway *gw;
	char hp[32], err[128];
	uint16_t port;
	size_t i;

	if (f == NULL)
		return -1;
	gw = &f->gw;
	config_defaults(&gw->cfg);
	gw->cfg.proxy_nstart = *(int *)*state;
	snprintf(f->dir, sizeof(f->dir), "/tmp/outpost-test-devreq.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (gw->base = event_base_new()) == NULL)
		return -1;
	snprintf(gw->cfg.store_path, sizeof(gw->cfg.store_path), "%s",
	    f->dir);
	gw->cfg.store_map_size_mb = 64;
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", free_port());
	if (config_parse_hostport(hp, &gw->cfg.coap_listen, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	do
		port = free_port();
	while (port == gw->cfg.coap_listen.port);
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", port);
	if (config_parse_hostport(hp, &gw->cfg.coap_secure_listen, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	for (f->started = 0; f->started < NMODULES; f->started++)
		if (modules[f->started]->init != NULL &&
		    modules[f->started]->init(gw) == -1)
			fail_msg("%s: init failed", modules[f->started]->name);
	for (i = 0; i < NMODULES; i++)
		if (modules[i]->start != NULL && modules[i]->start(gw) == -1)
			fail_msg("%s: start failed", modules[i]->name);
	for (i = 0; i < NRESULTS; i++)
		f->res[i].f = f;
	*state = f;
	dev_start(f);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;

	if (f->walk_ms != 0)
		coap_io_walk_ms(f->walk_ms);
	/* The device first: libcoap ends with the gateway's context. */
	if (f->dev != NULL)
		coap_free_context(f->dev);
	gw->stopping = 1;
	while (f->started-- > 0) {
		if (modules[f->started]->stop != NULL)
			modules[f->started]->stop(gw);
		if (gw->store != NULL)
			store_commit(gw->store);
	}
	event_base_free(gw->base);
	rm_tree(f->dir);
	free(f);
	return 0;
}

/* -- requests ------------------------------------------------------------ */

static void
on_resp(const struct devresp *resp, void *arg)
{
	struct result *r = arg;

	r->calls++;
	r->kind = resp->kind;
	r->cls = resp->cls;
	r->detail = resp->detail;
	snprintf(r->body, sizeof(r->body), "%.*s", (int)resp->len,
	    resp->body != NULL ? (const char *)resp->body : "");
	r->at_ms = now_ms();
	r->dev_seen = r->f->nseen;
}

/* GET 3/0/<res> with a timeout, its result into f->res[slot]. */
static struct devreq *
get(struct fixture *f, int res, unsigned timeout_s, int slot)
{
	char path[16];
	struct devreq_spec spec;

	snprintf(path, sizeof(path), "3/0/%d", res);
	memset(&spec, 0, sizeof(spec));
	spec.method = DEVREQ_GET;
	spec.path = path;
	spec.content_format = -1;
	spec.accept = -1;
	spec.timeout_s = timeout_s;
	return devreq_send(&f->gw, DEV_EP, &spec, on_resp, &f->res[slot]);
}

static void
assert_answer(const struct result *r, const char *body)
{
	assert_int_equal(r->calls, 1);
	assert_int_equal(r->kind, DEVRESP_ANSWER);
	assert_int_equal(r->cls, 2);
	assert_int_equal(r->detail, 5);
	assert_string_equal(r->body, body);
}

/*
 * NSTART 2: of five requests, two are on the wire; the rest go one per
 * answer, in the order they were sent, whichever answer comes first.
 */
static void
test_nstart_fifo(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 5; i++)
		assert_non_null(get(f, i, 10, i));
	wait_until(f, f->nseen == 2);
	run_for(f, QUIET_MS);
	assert_int_equal(f->nseen, 2);
	assert_string_equal(f->seen[0].path, "3/0/0");
	assert_string_equal(f->seen[1].path, "3/0/1");

	dev_answer(f, 1, "b1");		/* the second one answers first */
	wait_until(f, f->res[1].calls == 1 && f->nseen == 3);
	assert_answer(&f->res[1], "b1");
	assert_string_equal(f->seen[2].path, "3/0/2");
	run_for(f, QUIET_MS);
	assert_int_equal(f->nseen, 3);

	dev_answer(f, 0, "b0");
	wait_until(f, f->res[0].calls == 1 && f->nseen == 4);
	assert_answer(&f->res[0], "b0");
	assert_string_equal(f->seen[3].path, "3/0/3");

	dev_answer(f, 2, "b2");
	dev_answer(f, 3, "b3");
	wait_until(f, f->res[3].calls == 1 && f->nseen == 5);
	assert_string_equal(f->seen[4].path, "3/0/4");
	dev_answer(f, 4, "b4");
	wait_until(f, f->res[4].calls == 1);
	assert_answer(&f->res[2], "b2");
	assert_answer(&f->res[3], "b3");
	assert_answer(&f->res[4], "b4");
	run_for(f, QUIET_MS);
	assert_int_equal(f->nseen, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(f->res[i].calls, 1);
}

/*
 * NSTART 1: a request the device takes (empty ACK) and never answers ends
 * DEVRESP_TIMEOUT after its 1 s; the one waiting behind it goes then.
 */
static void
test_timeout_then_next(void **state)
{
	struct fixture *f = *state;
	int64_t sent;

	sent = now_ms();
	assert_non_null(get(f, 0, 1, 0));
	assert_non_null(get(f, 1, 8, 1));
	wait_until(f, f->res[0].calls == 1);
	assert_int_equal(f->res[0].kind, DEVRESP_TIMEOUT);
	assert_in_range(f->res[0].at_ms - sent, 950, 3000);
	assert_int_equal(f->res[0].dev_seen, 1);	/* only it went */
	assert_string_equal(f->seen[0].path, "3/0/0");

	wait_until(f, f->nseen == 2);
	assert_string_equal(f->seen[1].path, "3/0/1");
	assert_int_equal(f->res[1].calls, 0);
	dev_answer(f, 1, "b");
	wait_until(f, f->res[1].calls == 1);
	assert_answer(&f->res[1], "b");

	/* The first one's late answer is still taken (no RST), and its
	 * owner, gone, hears nothing. */
	dev_answer(f, 0, "late");
	run_for(f, QUIET_MS);
	assert_int_equal(f->rsts, 0);
	assert_int_equal(f->res[0].calls, 1);
}

/*
 * Answers find their requests by token: answered in reverse order, each
 * callback gets its own body. An answer with a token nobody sent is
 * refused with an RST and ends nothing.
 */
static void
test_match_by_token(void **state)
{
	static const uint8_t bogus[8] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };
	struct fixture *f = *state;

	assert_non_null(get(f, 1, 10, 0));
	assert_non_null(get(f, 2, 10, 1));
	wait_until(f, f->nseen == 2);
	assert_false(f->seen[0].token_len == f->seen[1].token_len &&
	    memcmp(f->seen[0].token, f->seen[1].token,
	    f->seen[0].token_len) == 0);

	dev_send_response(f, bogus, sizeof(bogus), COAP_RESPONSE_CODE_CONTENT,
	    "nobody asked", -1);
	wait_until(f, f->rsts == 1);
	run_for(f, QUIET_MS);
	assert_int_equal(f->res[0].calls, 0);
	assert_int_equal(f->res[1].calls, 0);
	assert_int_equal(f->nseen, 2);

	dev_answer(f, 1, "for 3/0/2");
	wait_until(f, f->res[1].calls == 1);
	assert_int_equal(f->res[0].calls, 0);
	dev_answer(f, 0, "for 3/0/1");
	wait_until(f, f->res[0].calls == 1);
	assert_answer(&f->res[0], "for 3/0/1");
	assert_answer(&f->res[1], "for 3/0/2");
	assert_int_equal(f->rsts, 1);		/* both answers were taken */
}

/*
 * A waiting request cancelled is never sent and its callback never
 * called; the one behind it takes its turn.
 */
static void
test_cancel_waiting(void **state)
{
	struct fixture *f = *state;
	struct devreq *b;

	assert_non_null(get(f, 0, 10, 0));
	assert_non_null(b = get(f, 1, 1, 1));
	assert_non_null(get(f, 2, 10, 2));
	wait_until(f, f->nseen == 1);
	devreq_cancel(b);

	dev_answer(f, 0, "a");
	wait_until(f, f->res[0].calls == 1 && f->nseen == 2);
	assert_string_equal(f->seen[1].path, "3/0/2");
	dev_answer(f, 1, "c");
	wait_until(f, f->res[2].calls == 1);
	assert_answer(&f->res[0], "a");
	assert_answer(&f->res[2], "c");
	/* Past b's own 1 s timeout: still no call, never on the wire. */
	run_for(f, 1200);
	assert_int_equal(f->res[1].calls, 0);
	assert_int_equal(f->nseen, 2);
}

/*
 * No registration, no request: NULL and no callback. A request out when
 * the registration's route ends fails DEVRESP_UNREACHABLE, and nothing
 * more can be sent.
 */
static void
test_route(void **state)
{
	struct fixture *f = *state;
	struct devreq_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.method = DEVREQ_GET;
	spec.path = "3/0/1";
	spec.content_format = -1;
	spec.accept = -1;
	spec.timeout_s = 5;
	assert_null(devreq_send(&f->gw, "node-unknown", &spec, on_resp,
	    &f->res[0]));
	assert_int_equal(f->res[0].calls, 0);

	assert_non_null(get(f, 1, 10, 1));
	assert_non_null(get(f, 2, 10, 2));	/* waits behind it */
	wait_until(f, f->nseen == 1);
	devreq_drop_route(&f->gw, DEV_EP);
	assert_int_equal(f->res[1].calls, 1);
	assert_int_equal(f->res[1].kind, DEVRESP_UNREACHABLE);
	assert_int_equal(f->res[2].calls, 1);
	assert_int_equal(f->res[2].kind, DEVRESP_UNREACHABLE);
	assert_false(devreq_routable(&f->gw, DEV_EP));
	assert_null(get(f, 3, 5, 3));

	/* The device's late answer ends nothing more. */
	dev_answer(f, 0, "too late");
	wait_until(f, f->rsts == 1);
	assert_int_equal(f->res[1].calls, 1);
	assert_int_equal(f->nseen, 1);
}

/* -- observations -------------------------------------------------------- */

static void
on_notify(const struct devresp *resp, long seq, void *arg)
{
	struct result *r = arg;

	if (r->calls < (int)(sizeof(r->seqs) / sizeof(r->seqs[0])))
		r->seqs[r->calls] = seq;
	r->calls++;
	r->kind = resp->kind;
	r->cls = resp->cls;
	r->detail = resp->detail;
	r->seq = seq;
	snprintf(r->body, sizeof(r->body), "%.*s", (int)resp->len,
	    resp->body != NULL ? (const char *)resp->body : "");
}

/* Observes path on ep as the observations of cache/observe.c do: a GET. */
static struct devobs *
observe_path(struct fixture *f, const char *ep, const char *path,
    struct result *r)
{
	struct devreq_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.method = DEVREQ_GET;
	spec.path = path;
	spec.content_format = -1;
	spec.accept = -1;
	return devreq_observe(&f->gw, ep, &spec, on_notify, r);
}

/*
 * GET with Observe=0 goes to the device; the first answer and each
 * notification reach the callback with their Observe numbers; after
 * devobs_cancel a notification is refused and the callback not called.
 */
static void
test_observe(void **state)
{
	struct fixture *f = *state;
	struct result *r = &f->res[0];
	struct devobs *o;
	const struct dev_req *q;
	int seen;

	assert_null(observe_path(f, "node-unknown", "3/0/7", r));
	assert_non_null(o = observe_path(f, DEV_EP, "3/0/7", r));
	wait_until(f, f->nseen == 1);
	q = &f->seen[0];
	assert_int_equal(q->code, COAP_REQUEST_CODE_GET);
	assert_string_equal(q->path, "3/0/7");
	assert_int_equal(q->observe, 0);

	dev_send_response(f, q->token, q->token_len,
	    COAP_RESPONSE_CODE_CONTENT, "21.5", 3);
	wait_until(f, r->calls == 1);
	assert_int_equal(r->kind, DEVRESP_ANSWER);
	assert_int_equal(r->cls, 2);
	assert_int_equal(r->seq, 3);
	assert_string_equal(r->body, "21.5");

	dev_send_response(f, q->token, q->token_len,
	    COAP_RESPONSE_CODE_CONTENT, "22.0", 4);
	wait_until(f, r->calls == 2);
	assert_int_equal(r->seq, 4);
	assert_string_equal(r->body, "22.0");
	dev_send_response(f, q->token, q->token_len,
	    COAP_RESPONSE_CODE_CONTENT, "23.5", 9);
	wait_until(f, r->calls == 3);
	assert_int_equal(r->seq, 9);
	assert_string_equal(r->body, "23.5");
	assert_int_equal(r->seqs[0], 3);
	assert_int_equal(r->seqs[1], 4);
	assert_int_equal(f->rsts, 0);

	seen = f->nseen;
	devobs_cancel(o);
	/* The device is told (GET with Observe=1, RFC 7641 §3.6). */
	wait_until(f, f->nseen == seen + 1);
	assert_int_equal(f->seen[seen].code, COAP_REQUEST_CODE_GET);
	assert_string_equal(f->seen[seen].path, "3/0/7");
	assert_int_equal(f->seen[seen].observe, 1);
	assert_int_equal(r->calls, 3);

	/* A notification after the cancel is refused; no callback. */
	dev_send_response(f, q->token, q->token_len,
	    COAP_RESPONSE_CODE_CONTENT, "24.0", 10);
	wait_until(f, f->rsts == 1);
	run_for(f, QUIET_MS);
	assert_int_equal(r->calls, 3);
}

/* -- libcoap's walk (coap.c) ------------------------------------------- */

/*
 * While walks are spaced by a minute, requests and their answers go and
 * come, and no datagram runs libcoap's walk of every session: each leaves
 * it to the one that is due.
 */
static void
test_walk_deferred(void **state)
{
	struct fixture *f = *state;
	uint64_t walks, deferred;
	int i;

	f->walk_ms = coap_io_walk_ms(60000);
	run_for(f, 50);		/* the walk deferred before runs */
	walks = f->gw.metrics.coap_walks;
	deferred = f->gw.metrics.coap_walks_deferred;
	f->dev_now = 1;
	for (i = 0; i < 4; i++) {
		assert_non_null(get(f, i, 10, i));
		wait_until(f, f->res[i].calls == 1);
	}
	assert_answer(&f->res[3], "now:3/0/3");
	assert_int_equal(f->gw.metrics.coap_walks, walks);
	assert_true(f->gw.metrics.coap_walks_deferred >= deferred + 4);
}

/* Registers ep (in queue mode if queue) over fd, a plain UDP socket
 * connected to the gateway, with message id mid; returns once the gateway
 * said 2.01. */
static void
raw_register_on(struct fixture *f, int fd, const char *ep, int queue,
    uint16_t mid)
{
	static const uint8_t links[] = { 0xff, '<', '/', '3', '/', '0', '>' };
	uint8_t d[96], in[256];
	size_t n = 0, len = strlen(ep) + 3;
	ssize_t got = -1;

	assert_true(len <= 12);
	d[n++] = 0x40;			/* CON, no token */
	d[n++] = 0x02;			/* POST */
	d[n++] = (uint8_t)(mid >> 8);
	d[n++] = (uint8_t)mid;
	d[n++] = 0xb2;			/* Uri-Path "rd" */
	d[n++] = 'r';
	d[n++] = 'd';
	d[n++] = 0x11;			/* Content-Format 40 */
	d[n++] = 40;
	d[n++] = (uint8_t)(0x30 | len);	/* Uri-Query "ep=..." */
	memcpy(d + n, "ep=", 3);
	memcpy(d + n + 3, ep, len - 3);
	n += len;
	d[n++] = 0x06;			/* Uri-Query "lt=300" */
	memcpy(d + n, "lt=300", 6);
	n += 6;
	if (queue) {
		d[n++] = 0x01;		/* Uri-Query "Q" */
		d[n++] = 'Q';
	}
	memcpy(d + n, links, sizeof(links));
	n += sizeof(links);
	assert_int_equal(send(fd, d, n, 0), (ssize_t)n);
	wait_until(f, (got = recv(fd, in, sizeof(in), 0)) > 0);
	assert_true(got >= 4);
	assert_int_equal(in[0] >> 4, 0x6);	/* an ACK */
	assert_int_equal(in[1], 0x41);		/* 2.01 */
}

/* Registers ep from a new plain UDP socket (a device that will never
 * answer), in queue mode if queue; returns the socket, nonblocking. */
static int
raw_register(struct fixture *f, const char *ep, int queue)
{
	struct sockaddr_in gw;
	int fd;

	memset(&gw, 0, sizeof(gw));
	gw.sin_family = AF_INET;
	gw.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	gw.sin_port = htons(f->gw.cfg.coap_listen.port);
	assert_int_not_equal(fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK,
	    0), -1);
	assert_int_equal(connect(fd, (struct sockaddr *)&gw, sizeof(gw)), 0);
	raw_register_on(f, fd, ep, queue, 0x1234);
	return fd;
}

/*
 * Walks 4 s apart: a request to a device that never answers is sent again
 * after ACK_TIMEOUT (2 s to 3 s) by the walk deferred to 4 s after the
 * last, whatever libcoap's timer did meanwhile (it fires and finds the
 * last walk too recent): a deadline is kept at most a walk's spacing late.
 * A session that routes nothing (a ping's) gives the walks a deadline of
 * its own, [coap] session_timeout away: the deferred walk still comes
 * first.
 */
static void
test_walk_keeps_retransmission(void **state)
{
	static const uint8_t ping[] = { 0x40, 0x00, 0x43, 0x21 };
	struct fixture *f = *state;
	struct devreq_spec spec;
	struct sockaddr_in gw;
	uint8_t first[256], again[256], rst[16];
	ssize_t n1 = -1, n2 = -1, nr = -1;
	int64_t t1, t2;
	int fd, pfd;

	f->walk_ms = coap_io_walk_ms(4000);
	memset(&gw, 0, sizeof(gw));
	gw.sin_family = AF_INET;
	gw.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	gw.sin_port = htons(f->gw.cfg.coap_listen.port);
	assert_int_not_equal(pfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK,
	    0), -1);
	assert_int_equal(connect(pfd, (struct sockaddr *)&gw, sizeof(gw)), 0);
	assert_int_equal(send(pfd, ping, sizeof(ping), 0),
	    (ssize_t)sizeof(ping));
	wait_until(f, (nr = recv(pfd, rst, sizeof(rst), 0)) > 0);
	assert_int_equal(rst[0] >> 4, 0x7);	/* RST */
	fd = raw_register(f, "raw-1", 0);
	memset(&spec, 0, sizeof(spec));
	spec.method = DEVREQ_GET;
	spec.path = "3/0/0";
	spec.content_format = -1;
	spec.accept = -1;
	spec.timeout_s = 30;
	assert_non_null(devreq_send(&f->gw, "raw-1", &spec, on_resp,
	    &f->res[0]));
	wait_until(f, (n1 = recv(fd, first, sizeof(first), 0)) > 0);
	t1 = now_ms();
	assert_true(n1 >= 4);
	assert_int_equal(first[0] >> 4, 0x4);	/* CON */
	wait_until(f, (n2 = recv(fd, again, sizeof(again), 0)) > 0);
	t2 = now_ms();
	assert_int_equal(n2, n1);
	assert_memory_equal(again, first, (size_t)n1);	/* same MID */
	assert_in_range(t2 - t1, 1900, 4000 + 300);
	assert_int_equal(f->res[0].calls, 0);
	close(fd);
	close(pfd);
}

/*
 * A registered device's session is held: quiet past [coap] session_timeout,
 * it is neither freed nor its route ended, and a request reaches the device
 * over it. A session whose route ended is freed once idle that long.
 */
static void
test_session_held_while_registered(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;
	int fd;

	gw->cfg.coap_session_timeout = 1;
	coap_session_limits(gw->coap->ctx, &gw->cfg);
	assert_int_equal(gw->metrics.coap_sessions_held, 1);
	fd = raw_register(f, "raw-1", 0);		/* after node-1's, so newer */
	assert_int_equal(gw->metrics.coap_sessions_held, 2);
	devreq_drop_route(gw, "raw-1");		/* as a deregistration does */
	assert_int_equal(gw->metrics.coap_sessions_held, 1);

	/* raw-1's session goes once idle for a second; node-1's, idle for
	 * longer, stays. */
	wait_until(f, gw->metrics.coap_sessions_freed == 1);
	assert_true(devreq_routable(gw, DEV_EP));
	f->dev_now = 1;
	assert_non_null(get(f, 4, 10, 0));
	wait_until(f, f->res[0].calls == 1);
	assert_answer(&f->res[0], "now:3/0/4");

	/* Its route ended, node-1's session is libcoap's to free too. */
	devreq_drop_route(gw, DEV_EP);
	assert_int_equal(gw->metrics.coap_sessions_held, 0);
	wait_until(f, gw->metrics.coap_sessions_freed == 2);
	close(fd);
}

/*
 * A device in queue mode holds its session while awake only: asleep, it
 * lets go (and a register over the same session holds it again); its
 * session idle past [coap] session_timeout is then freed, and the
 * device's next message routes it over a new one.
 */
static void
test_session_let_go_asleep(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;
	int fd;

	gw->cfg.reg_awake_window = 1;
	fd = raw_register(f, "raw-q", 1);
	assert_int_equal(gw->metrics.coap_sessions_held, 2);
	assert_true(devreq_routable(gw, "raw-q"));

	/* Asleep: let go, but still routed (its session is there). */
	wait_until(f, gw->metrics.coap_sessions_held == 1);
	assert_int_equal(registry_find_by_endpoint(gw->registry,
	    "raw-q")->state, DEVICE_SLEEPING);
	raw_register_on(f, fd, "raw-q", 1, 0x1235);	/* awake again */
	assert_int_equal(gw->metrics.coap_sessions_held, 2);
	assert_int_equal(gw->metrics.coap_sessions_freed, 0);

	/* Asleep with a short session_timeout: its session goes, node-1's
	 * (binding U, awake) stays. */
	gw->cfg.coap_session_timeout = 1;
	coap_session_limits(gw->coap->ctx, &gw->cfg);
	wait_until(f, gw->metrics.coap_sessions_freed == 1);
	assert_int_equal(gw->metrics.coap_sessions_held, 1);
	assert_false(devreq_routable(gw, "raw-q"));
	assert_true(devreq_routable(gw, DEV_EP));
	close(fd);
	fd = raw_register(f, "raw-q", 1);
	assert_int_equal(gw->metrics.coap_sessions_held, 2);
	assert_true(devreq_routable(gw, "raw-q"));
	close(fd);
}

int
main(void)
{
	static int nstart1 = 1, nstart2 = 2;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(test_nstart_fifo,
		    setup, teardown, &nstart2),
		cmocka_unit_test_prestate_setup_teardown(
		    test_timeout_then_next, setup, teardown, &nstart1),
		cmocka_unit_test_prestate_setup_teardown(test_match_by_token,
		    setup, teardown, &nstart2),
		cmocka_unit_test_prestate_setup_teardown(test_cancel_waiting,
		    setup, teardown, &nstart1),
		cmocka_unit_test_prestate_setup_teardown(test_route, setup,
		    teardown, &nstart1),
		cmocka_unit_test_prestate_setup_teardown(test_observe, setup,
		    teardown, &nstart1),
		cmocka_unit_test_prestate_setup_teardown(test_walk_deferred,
		    setup, teardown, &nstart1),
		cmocka_unit_test_prestate_setup_teardown(
		    test_walk_keeps_retransmission, setup, teardown, &nstart1),
		cmocka_unit_test_prestate_setup_teardown(
		    test_session_held_while_registered, setup, teardown,
		    &nstart1),
		cmocka_unit_test_prestate_setup_teardown(
		    test_session_let_go_asleep, setup, teardown, &nstart1),
	};

	log_init("test_devreq", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
