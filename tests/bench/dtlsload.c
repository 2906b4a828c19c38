/*
 * dtlsload: registrations, each on a session of its own, over CoAP/DTLS
 * with PSK (one full handshake per registration) or over plain CoAP (the
 * same requests without the handshake), CONC sessions at a time.
 *
 *   dtlsload URI TOTAL CONC PREFIX DEVICES KEY [bs | any | 404]
 *
 * URI is coaps://HOST:PORT or coap://HOST:PORT. Registration i is made by
 * ep PREFIX<i % DEVICES> with PSK identity id-PREFIX<i % DEVICES> and the
 * key KEY (its bytes), as provisioned by the caller. A session starts,
 * sends CON POST /rd, waits for 2.01 and is released (a close_notify over
 * DTLS); the next takes its place.
 *
 * With a 7th argument "bs", each session is a whole LwM2M bootstrap
 * instead, against the gateway's bootstrap listener: POST /bs?ep=..., then
 * the server's Discover (GET /), Deletes, the Writes of /0 and /1 and its
 * Finish (POST /bs), each answered as a client does; a session counts as
 * done at the Finish. The PSK identity is then the factory one.
 *
 * With a 7th argument "any", a registration counts as done at any answer
 * to its POST, whatever the code: a server that is no LwM2M server (such
 * as libcoap's coap-server, which answers 4.04) then costs what the
 * gateway does, a handshake, one request and its answer, a close_notify.
 * With "404", the POST goes to /absent (no server has it) and counts as
 * done at its 4.04: the handshake's cost without the registration's.
 *
 * One line on stdout: dtlsload: done=N failed=N seconds=F rate=F.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <coap3/coap.h>

struct slot {
	coap_session_t	*s;
	int		 state;		/* 0 free, 1 waiting, 2 done, 3 failed */
};

static struct slot	*slots;
static coap_address_t	 dst;
static int		 dtls;
static int		 bs;		/* bootstrap sessions */
static int		 any;		/* any answer ends a registration */
static int		 absent;	/* POST /absent, done at its 4.04 */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct slot *
slot_of(coap_session_t *s)
{
	return coap_session_get_app_data(s);
}

static coap_response_t
on_response(coap_session_t *s, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	struct slot *sl = slot_of(s);

	(void)sent;
	(void)mid;
	if (sl == NULL || sl->state != 1)
		return COAP_RESPONSE_OK;
	if (any)
		sl->state = 2;
	else if (absent)
		sl->state = coap_pdu_get_code(rcvd) ==
		    COAP_RESPONSE_CODE_NOT_FOUND ? 2 : 3;
	else if (bs)	/* 2.04: the server goes on; done at its Finish */
		sl->state = coap_pdu_get_code(rcvd) ==
		    COAP_RESPONSE_CODE_CHANGED ? 1 : 3;
	else
		sl->state = coap_pdu_get_code(rcvd) ==
		    COAP_RESPONSE_CODE_CREATED ? 2 : 3;
	return COAP_RESPONSE_OK;
}

/* The bootstrap server's requests, answered as a client does. */
static void
bs_discover(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *q, coap_pdu_t *resp)
{
	static const char links[] = "</>;lwm2m=1.1,</0/0>,</1>,</3/0>";
	uint8_t buf[4];

	(void)r;
	(void)s;
	(void)req;
	(void)q;
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
	coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(buf, sizeof(buf), 40), buf);
	coap_add_data(resp, sizeof(links) - 1, (const uint8_t *)links);
}

static void
bs_changed(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *q, coap_pdu_t *resp)
{
	(void)r;
	(void)s;
	(void)req;
	(void)q;
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CHANGED);
}

static void
bs_deleted(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *q, coap_pdu_t *resp)
{
	(void)r;
	(void)s;
	(void)req;
	(void)q;
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_DELETED);
}

static void
bs_finish(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *q, coap_pdu_t *resp)
{
	struct slot *sl = slot_of(s);

	bs_changed(r, s, req, q, resp);
	if (sl != NULL && sl->state == 1)
		sl->state = 2;
}

static void
bs_resources(coap_context_t *ctx)
{
	static const char *const inst[] = { "0", "1", "0/1", "1/0" };
	coap_resource_t *r;
	size_t i;

	r = coap_resource_init(NULL, 0);		/* the root */
	coap_register_request_handler(r, COAP_REQUEST_GET, bs_discover);
	coap_register_request_handler(r, COAP_REQUEST_DELETE, bs_deleted);
	coap_add_resource(ctx, r);
	r = coap_resource_init(coap_make_str_const("bs"), 0);
	coap_register_request_handler(r, COAP_REQUEST_POST, bs_finish);
	coap_add_resource(ctx, r);
	for (i = 0; i < sizeof(inst) / sizeof(inst[0]); i++) {
		r = coap_resource_init(coap_make_str_const(inst[i]), 0);
		coap_register_request_handler(r, COAP_REQUEST_PUT, bs_changed);
		coap_register_request_handler(r, COAP_REQUEST_DELETE,
		    bs_deleted);
		coap_add_resource(ctx, r);
	}
	coap_add_resource(ctx, coap_resource_unknown_init2(bs_changed, 0));
}

static void
on_nack(coap_session_t *s, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct slot *sl = slot_of(s);

	(void)sent;
	(void)reason;
	(void)mid;
	if (sl != NULL && sl->state == 1)
		sl->state = 3;
}

static int
on_event(coap_session_t *s, const coap_event_t ev)
{
	struct slot *sl = slot_of(s);

	if (sl != NULL && sl->state == 1 && (ev == COAP_EVENT_DTLS_ERROR ||
	    ev == COAP_EVENT_DTLS_CLOSED))
		sl->state = 3;
	return 0;
}

/* Starts registration i on slot sl. */
static int
start(coap_context_t *ctx, struct slot *sl, const char *prefix, long dev,
    const char *key)
{
	coap_dtls_cpsk_t psk;
	coap_pdu_t *pdu;
	char id[96], q[128];
	uint8_t buf[4];

	snprintf(id, sizeof(id), "id-%s%ld", prefix, dev);
	if (dtls) {
		memset(&psk, 0, sizeof(psk));
		psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
		psk.psk_info.identity.s = (const uint8_t *)id;
		psk.psk_info.identity.length = strlen(id);
		psk.psk_info.key.s = (const uint8_t *)key;
		psk.psk_info.key.length = strlen(key);
		sl->s = coap_new_client_session_psk2(ctx, NULL, &dst,
		    COAP_PROTO_DTLS, &psk);
	} else {
		sl->s = coap_new_client_session(ctx, NULL, &dst,
		    COAP_PROTO_UDP);
	}
	if (sl->s == NULL)
		return -1;
	coap_session_set_app_data(sl->s, sl);
	coap_session_set_max_retransmit(sl->s, 2);
	sl->state = 1;
	if ((pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST,
	    sl->s)) == NULL)
		return -1;
	coap_add_token(pdu, 1, (const uint8_t *)"r");
	if (bs) {
		coap_add_option(pdu, COAP_OPTION_URI_PATH, 2,
		    (const uint8_t *)"bs");
		snprintf(q, sizeof(q), "ep=%s%ld", prefix, dev);
		coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(q),
		    (const uint8_t *)q);
		return coap_send(sl->s, pdu) == COAP_INVALID_MID ? -1 : 0;
	}
	if (absent)
		coap_add_option(pdu, COAP_OPTION_URI_PATH, 6,
		    (const uint8_t *)"absent");
	else
		coap_add_option(pdu, COAP_OPTION_URI_PATH, 2,
		    (const uint8_t *)"rd");
	coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(buf, sizeof(buf), 40), buf);
	snprintf(q, sizeof(q), "ep=%s%ld", prefix, dev);
	coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(q),
	    (const uint8_t *)q);
	coap_add_option(pdu, COAP_OPTION_URI_QUERY, 6,
	    (const uint8_t *)"lt=300");
	coap_add_data(pdu, 6, (const uint8_t *)"</3/0>");
	return coap_send(sl->s, pdu) == COAP_INVALID_MID ? -1 : 0;
}

int
main(int argc, char **argv)
{
	coap_context_t *ctx;
	coap_uri_t uri;
	long total, conc, devices, started = 0, done = 0, failed = 0, i;
	double t0, secs;
	char host[64];

	if (argc != 7 && !(argc == 8 && (strcmp(argv[7], "bs") == 0 ||
	    strcmp(argv[7], "any") == 0 || strcmp(argv[7], "404") == 0))) {
		fprintf(stderr, "usage: dtlsload URI TOTAL CONC PREFIX DEVICES "
		    "KEY [bs | any | 404]\n");
		return 1;
	}
	bs = argc == 8 && strcmp(argv[7], "bs") == 0;
	any = argc == 8 && strcmp(argv[7], "any") == 0;
	absent = argc == 8 && strcmp(argv[7], "404") == 0;
	total = atol(argv[2]);
	conc = atol(argv[3]);
	devices = atol(argv[5]);
	if (total < 1 || conc < 1 || devices < 1 || coap_split_uri(
	    (const uint8_t *)argv[1], strlen(argv[1]), &uri) == -1)
		return 1;
	coap_startup();
	coap_set_log_level(LOG_EMERG);
	dtls = uri.scheme == COAP_URI_SCHEME_COAPS;
	snprintf(host, sizeof(host), "%.*s", (int)uri.host.length,
	    (const char *)uri.host.s);
	coap_address_init(&dst);
	dst.addr.sin.sin_family = AF_INET;
	dst.addr.sin.sin_port = htons(uri.port);
	dst.size = sizeof(dst.addr.sin);
	if (inet_pton(AF_INET, host, &dst.addr.sin.sin_addr) != 1 ||
	    (ctx = coap_new_context(NULL)) == NULL ||
	    (slots = calloc((size_t)conc, sizeof(*slots))) == NULL)
		return 1;
	coap_register_response_handler(ctx, on_response);
	coap_register_nack_handler(ctx, on_nack);
	coap_register_event_handler(ctx, on_event);
	if (bs)
		bs_resources(ctx);
	t0 = now_s();
	while (done + failed < total) {
		for (i = 0; i < conc; i++) {
			struct slot *sl = &slots[i];

			if (sl->state >= 2) {
				sl->state == 2 ? done++ : failed++;
				coap_session_set_app_data(sl->s, NULL);
				coap_session_release(sl->s);
				sl->s = NULL;
				sl->state = 0;
			}
			if (sl->state == 0 && started < total) {
				if (start(ctx, sl, argv[4], started % devices,
				    argv[6]) == -1) {
					failed++;
					if (sl->s != NULL)
						coap_session_release(sl->s);
					sl->s = NULL;
					sl->state = 0;
				}
				started++;
			}
		}
		if (now_s() - t0 > 600) {
			fprintf(stderr, "dtlsload: gave up after 600 s\n");
			break;
		}
		coap_io_process(ctx, 50);
	}
	secs = now_s() - t0;
	printf("dtlsload: done=%ld failed=%ld seconds=%.3f rate=%.1f\n", done,
	    failed, secs, done / secs);
	coap_free_context(ctx);
	coap_cleanup();
	return failed > 0 ? 2 : 0;
}
