/*
 * bsc.c: the bootstrap client of each device and the account it keeps.
 * See bsc.h for the states; bsres.c serves the bootstrap server's
 * requests; link.c hands over what concerns the bootstrap session and
 * the outcome of each registration.
 *
 * Nothing is sent from inside a libcoap handler: the answers and
 * requests that change the state arm the device's bootstrap timer, and
 * its callback opens and closes sessions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "node/bsc.h"

/* LwM2M 1.1 Core 6.1.x: the Preferred Content Format of Bootstrap-Request
 * ("pct"): SenML CBOR. */
#define BSC_PCT		"112"

/* Logs at info for a single agent, at debug for a fleet's devices. */
#define BSC_LOG(d, ...)							\
	((d)->node->cfg.fleet == 0 ? log_info(__VA_ARGS__) :		\
	    log_debug(__VA_ARGS__))

void
bsc_params(struct node_dev *d)
{
	struct bsc *b = d->bsc;

	b->params = d->node->params;
	if (!b->has)
		return;
	if (b->dm.srv->lifetime > 0)
		b->params.lifetime = b->dm.srv->lifetime;
	b->params.queue = strcmp(b->dm.srv->binding, "UQ") == 0;
}

/* Arms the bootstrap timer delay_ms from now. */
static void
bsc_arm(struct bsc *b, int64_t delay_ms)
{
	struct timeval tv;

	if (delay_ms < 0)
		delay_ms = 0;
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	evtimer_add(b->timer, &tv);
}

/* A bootstrap is due delay_ms from now. */
static void
bsc_begin(struct node_dev *d, int64_t delay_ms)
{
	d->bsc->state = BSC_WAIT;
	bsc_arm(d->bsc, delay_ms);
}

/* The bootstrap failed (possibly inside a handler): the timer ends it. */
static void
bsc_failed(struct node_dev *d, const char *why)
{
	struct bsc *b = d->bsc;

	if (b->state == BSC_FAILED || b->state == BSC_OFF)
		return;
	(d->node->cfg.fleet == 0 ? log_warnx : log_debug)("%s: bootstrap "
	    "failed: %s", d->ep, why);
	b->state = BSC_FAILED;
	bsc_arm(b, 0);
}

/* The retry delay after failures, in ms: full jitter, at least a 5.03's
 * Max-Age. */
static int64_t
bsc_backoff(struct node_dev *d)
{
	struct bsc *b = d->bsc;
	int64_t lo = (int64_t)d->node->params.backoff_min * 1000;
	int64_t cap = (int64_t)d->node->params.backoff_max * 1000, hi = lo;
	int64_t delay;
	uint32_t i;

	for (i = 1; i < b->failures && hi < cap; i++)
		hi *= 2;
	if (hi > cap)
		hi = cap;
	delay = hi <= lo ? lo : lo + (int64_t)(node_random(d->node) %
	    (uint64_t)(hi - lo + 1));
	if (delay < b->max_age_ms)
		delay = b->max_age_ms;
	b->max_age_ms = 0;
	return delay;
}

/* Drops the bootstrap session and the working copy. Never from inside a
 * libcoap handler. */
static void
bsc_close(struct bsc *b)
{
	coap_session_t *s = b->session;

	if (s != NULL) {
		b->session = NULL;
		coap_session_set_app_data(s, NULL);
		coap_session_disconnected(s, COAP_NACK_NOT_DELIVERABLE);
		coap_session_release(s);
	}
	if (b->work != NULL) {
		explicit_bzero(b->work, sizeof(*b->work));
		free(b->work);
		b->work = NULL;
	}
}

/* The factory PSK identity of d: [node] bootstrap_psk_identity for a
 * single agent when set, else the endpoint name. */
static const char *
bsc_identity(const struct node_dev *d)
{
	const struct node_config *cfg = &d->node->cfg;

	return cfg->fleet == 0 && cfg->bs_psk_identity[0] != '\0' ?
	    cfg->bs_psk_identity : d->ep;
}

/* The working copy a bootstrap starts from: the DM accounts in use (the
 * server sees them in Discover and deletes what it replaces), and the
 * bootstrap account of node.ini. */
static struct acct *
bsc_work(struct node_dev *d)
{
	struct node *n = d->node;
	struct acct *w;
	struct acct_val v;
	const char *id = bsc_identity(d);
	char err[160];
	uint16_t iid;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if (d->bsc->has)
		acct_keep_dm(w, &d->bsc->acct);
	iid = acct_free_sec_iid(w);
	memset(&v, 0, sizeof(v));
	v.type = OBJ_STRING;
	v.buf = (const uint8_t *)n->cfg.bootstrap;
	v.len = strlen(n->cfg.bootstrap);
	if (acct_set(w, OBJ_SECURITY, iid, 0, &v, 1, err, sizeof(err)) !=
	    NODE_OK)
		goto fail;
	v.type = OBJ_BOOL;
	v.i = 1;
	acct_set(w, OBJ_SECURITY, iid, 1, &v, 1, err, sizeof(err));
	v.type = OBJ_INT;
	v.i = n->bs_secure ? ACCT_MODE_PSK : ACCT_MODE_NOSEC;
	acct_set(w, OBJ_SECURITY, iid, 2, &v, 1, err, sizeof(err));
	v.i = n->cfg.bs_hold_off;
	acct_set(w, OBJ_SECURITY, iid, 11, &v, 1, err, sizeof(err));
	if (n->bs_secure) {
		v.type = OBJ_OPAQUE;
		v.buf = (const uint8_t *)id;
		v.len = strlen(id);
		acct_set(w, OBJ_SECURITY, iid, 3, &v, 1, err, sizeof(err));
		v.buf = n->bs_psk;
		v.len = n->bs_psk_len;
		acct_set(w, OBJ_SECURITY, iid, 5, &v, 1, err, sizeof(err));
	}
	return w;
fail:
	log_warnx("%s: bootstrap account: %s", d->ep, err);
	free(w);
	return NULL;
}

/* Adds "text" as a Uri-Query (or Uri-Path) option. */
static int
bsc_option(coap_pdu_t *pdu, coap_option_num_t num, const char *fmt,
    const char *s)
{
	char buf[96];
	int len = snprintf(buf, sizeof(buf), fmt, s);

	if (len < 0 || (size_t)len >= sizeof(buf))
		return 0;
	return coap_add_option(pdu, num, (size_t)len, (const uint8_t *)buf) !=
	    0;
}

/* Opens the bootstrap session and sends POST /bs?ep=..&pct=.. */
static void
bsc_request(struct node_dev *d)
{
	struct node *n = d->node;
	struct bsc *b = d->bsc;
	coap_address_t server;
	coap_pdu_t *pdu;
	const char *id = bsc_identity(d);

	if ((b->work = bsc_work(d)) == NULL) {
		bsc_failed(d, "out of memory");
		return;
	}
	session_address(&server, &n->bs_addr, n->bs_len);
	/* The identity and key outlive the session (the node's). */
	b->session = session_psk(d->shard->ctx, NULL, &server,
	    n->bs_secure ? id : NULL, n->bs_psk, n->bs_psk_len);
	if (b->session == NULL) {
		bsc_failed(d, "cannot open a session to the bootstrap server");
		return;
	}
	coap_session_set_app_data(b->session, d);
	session_kick(d->shard->radio_off ? NULL : d->shard->io_ev);
	if ((pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST,
	    b->session)) == NULL)
		goto fail;
	coap_session_new_token(b->session, &b->token_len, b->token);
	if (!coap_add_token(pdu, b->token_len, b->token) ||
	    !bsc_option(pdu, COAP_OPTION_URI_PATH, "%s", "bs") ||
	    !bsc_option(pdu, COAP_OPTION_URI_QUERY, "ep=%s", d->ep) ||
	    !bsc_option(pdu, COAP_OPTION_URI_QUERY, "pct=%s", BSC_PCT)) {
		coap_delete_pdu(pdu);
		goto fail;
	}
	if ((b->mid = coap_send(b->session, pdu)) == COAP_INVALID_MID)
		goto fail;
	b->state = BSC_REQUEST;
	BSC_LOG(d, "%s: Bootstrap-Request to %s", d->ep, n->cfg.bootstrap);
	return;
fail:
	bsc_failed(d, "cannot send the Bootstrap-Request");
}

/* Finish was taken: the working copy becomes the account in use, the
 * registration starts over with it. */
static void
bsc_install(struct node_dev *d)
{
	struct bsc *b = d->bsc;
	char err[200];

	session_free(d);	/* the old account's, if any */
	memset(&b->acct, 0, sizeof(b->acct));
	acct_keep_dm(&b->acct, b->work);
	bsc_close(b);
	if (acct_check(&b->acct, &b->dm, err, sizeof(err)) == -1) {
		b->has = 0;	/* bsc_finish checked it: not reached */
		bsc_begin(d, bsc_backoff(d));
		return;
	}
	b->has = 1;
	b->state = BSC_OFF;
	b->failures = 0;
	b->reg_failures = 0;
	bsc_params(d);
	if (d->node->stopping)
		return;
	reg_halt(&d->reg);
	reg_start(&d->reg, node_now_ms(), 0);
}

static void
bsc_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node_dev *d = arg;
	struct bsc *b = d->bsc;
	char why[64];
	int64_t delay;

	(void)fd;
	(void)what;
	if (d->node->stopping)
		return;
	switch (b->state) {
	case BSC_WAIT:
		bsc_request(d);
		break;
	case BSC_SERVED:
		snprintf(why, sizeof(why), "no Finish within %d s",
		    d->node->cfg.bs_timeout);
		bsc_failed(d, why);
		break;
	case BSC_FINISHED:
		bsc_install(d);
		break;
	case BSC_FAILED:
		bsc_close(b);
		if (b->failures < 64)
			b->failures++;
		delay = bsc_backoff(d);
		bsc_begin(d, delay);
		BSC_LOG(d, "%s: bootstrapping again in %.1f s", d->ep,
		    (double)delay / 1000);
		break;
	default:
		break;
	}
}

int
bsc_init(struct node_dev *d)
{
	struct bsc *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	if ((b->timer = evtimer_new(d->node->base, bsc_timer_cb, d)) == NULL) {
		free(b);
		return -1;
	}
	d->bsc = b;
	bsc_params(d);
	d->reg.params = &b->params;
	return 0;
}

void
bsc_start(struct node_dev *d, int64_t delay_ms)
{
	struct node *n = d->node;
	struct bsc *b = d->bsc;
	char err[400];
	int rc = 0;

	if (n->acct_path[0] != '\0' &&
	    (rc = acct_load(n->acct_path, &b->acct, d->ep, err,
	    sizeof(err))) == 1 &&
	    acct_check(&b->acct, &b->dm, err, sizeof(err)) == 0) {
		b->has = 1;
		bsc_params(d);
		log_info("%s: the account kept in %s: DM server %s", d->ep,
		    n->acct_path, b->dm.sec->uri);
		reg_start(&d->reg, node_now_ms(), delay_ms);
		return;
	}
	memset(&b->acct, 0, sizeof(b->acct));
	if (rc == -1)
		log_warnx("%s: %s; bootstrapping again", d->ep, err);
	else if (n->acct_path[0] != '\0')
		log_info("%s: no account kept in %s: bootstrapping from %s",
		    d->ep, n->acct_path, n->cfg.bootstrap);
	bsc_begin(d, delay_ms + (int64_t)n->cfg.bs_hold_off * 1000);
}

void
bsc_stop(struct node_dev *d)
{
	struct bsc *b = d->bsc;

	if (b == NULL)
		return;
	evtimer_del(b->timer);
	bsc_close(b);
	b->state = BSC_OFF;
}

void
bsc_free(struct node_dev *d)
{
	struct bsc *b = d->bsc;

	if (b == NULL)
		return;
	bsc_stop(d);
	event_free(b->timer);
	explicit_bzero(b, sizeof(*b));
	free(b);
	d->bsc = NULL;
}

coap_session_t *
bsc_dm_session(struct node_dev *d, coap_context_t *ctx,
    const coap_address_t *local)
{
	const struct acct_dm *dm = &d->bsc->dm;
	coap_address_t server;
	coap_dtls_cpsk_t psk;

	if (!d->bsc->has)
		return NULL;
	session_address(&server, &dm->addr, dm->addrlen);
	if (!dm->secure)
		return coap_new_client_session(ctx, local, &server,
		    COAP_PROTO_UDP);
	/* The account outlives the session: bsc_install drops the session
	 * before it replaces the account. */
	memset(&psk, 0, sizeof(psk));
	psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
	psk.psk_info.identity.s = dm->sec->identity;
	psk.psk_info.identity.length = dm->sec->id_len;
	psk.psk_info.key.s = dm->sec->key;
	psk.psk_info.key.length = dm->sec->key_len;
	return coap_new_client_session_psk2(ctx, local, &server,
	    COAP_PROTO_DTLS, &psk);
}

const struct sockaddr_storage *
bsc_dm_peer(const struct node_dev *d)
{
	return &d->bsc->dm.addr;
}

const char *
bsc_links(const struct node_dev *d, char *buf, size_t len)
{
	const char *links = d->node->links, *comma;
	char objs[128] = "";
	size_t root;
	int n;

	if (!d->bsc->has || acct_links(&d->bsc->acct, 1, objs,
	    sizeof(objs)) == -1 || objs[0] == '\0')
		return links;
	comma = strchr(links, ',');
	root = comma != NULL ? (size_t)(comma - links) : strlen(links);
	n = snprintf(buf, len, "%.*s,%s%s", (int)root, links, objs,
	    links + root);
	return n < 0 || (size_t)n >= len ? links : buf;
}

int
bsc_response(struct node_dev *d, coap_session_t *s, const coap_pdu_t *rcvd)
{
	struct bsc *b = d->bsc;
	coap_bin_const_t tok = coap_pdu_get_token(rcvd);
	coap_pdu_code_t code = coap_pdu_get_code(rcvd);
	int c = COAP_RESPONSE_CLASS(code) * 100 + (code & 0x1f);
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	char why[64];

	if (b == NULL || s != b->session)
		return 0;
	if (b->state != BSC_REQUEST || tok.length != b->token_len ||
	    memcmp(tok.s, b->token, tok.length) != 0)
		return 1;
	if (c == 204) {
		b->state = BSC_SERVED;
		bsc_arm(b, (int64_t)d->node->cfg.bs_timeout * 1000);
		log_debug("%s: Bootstrap-Request answered 2.04", d->ep);
		return 1;
	}
	if (c == 503 && (opt = coap_check_option(rcvd, COAP_OPTION_MAXAGE,
	    &it)) != NULL)
		b->max_age_ms = (int64_t)coap_decode_var_bytes(
		    coap_opt_value(opt), coap_opt_length(opt)) * 1000;
	snprintf(why, sizeof(why), "the server answered %d.%02d", c / 100,
	    c % 100);
	bsc_failed(d, why);
	return 1;
}

int
bsc_nack(struct node_dev *d, coap_session_t *s, coap_mid_t mid,
    coap_nack_reason_t reason)
{
	struct bsc *b = d->bsc;

	if (b == NULL || s != b->session)
		return 0;
	if (b->state == BSC_REQUEST && mid == b->mid)
		bsc_failed(d, reason == COAP_NACK_TLS_FAILED ? "DTLS failed" :
		    reason == COAP_NACK_TOO_MANY_RETRIES ? "no answer" :
		    "not delivered");
	return 1;
}

int
bsc_reg_outcome(struct node_dev *d, enum reg_msg msg, int code)
{
	struct bsc *b = d->bsc;
	uint32_t limit;

	if (b == NULL || msg != REG_MSG_REGISTER || !b->has)
		return 0;
	if (code == 201) {
		b->reg_failures = 0;
		return 0;
	}
	if (!b->dm.srv->bs_on_failure)
		return 0;
	if (b->state != BSC_OFF) {	/* bootstrapping already */
		if (code != 403)
			return 0;
		reg_halt(&d->reg);
		return 1;
	}
	b->reg_failures++;
	limit = b->dm.srv->retry_count != 0 ? b->dm.srv->retry_count :
	    ACCT_RETRY_DEFAULT;
	if (code != 403 && b->reg_failures < limit)
		return 0;
	if (code == 403)
		(d->node->cfg.fleet == 0 ? log_warnx : log_debug)("%s: %s "
		    "refused the registration (4.03): bootstrapping again",
		    d->ep, b->dm.sec->uri);
	else
		(d->node->cfg.fleet == 0 ? log_warnx : log_debug)("%s: %u "
		    "registrations with %s failed: bootstrapping again", d->ep,
		    b->reg_failures, b->dm.sec->uri);
	b->reg_failures = 0;
	reg_halt(&d->reg);
	d->reg.ops->reset(d);
	bsc_begin(d, (int64_t)d->node->cfg.bs_hold_off * 1000);
	return 1;
}

struct acct *
bsc_serving(struct node_dev *d, coap_session_t *s)
{
	struct bsc *b = d->bsc;

	if (b == NULL || s == NULL || s != b->session ||
	    (b->state != BSC_REQUEST && b->state != BSC_SERVED))
		return NULL;
	b->state = BSC_SERVED;
	bsc_arm(b, (int64_t)d->node->cfg.bs_timeout * 1000);
	return b->work;
}

enum node_result
bsc_finish(struct node_dev *d, char *err, size_t errlen)
{
	struct node *n = d->node;
	struct bsc *b = d->bsc;
	struct acct_dm dm;
	char why[300];

	if (acct_check(b->work, &dm, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "no usable account: %s", why);
		bsc_failed(d, err);
		return NODE_NOT_ACCEPTABLE;
	}
	if (n->acct_path[0] != '\0' && acct_store(n->acct_path, b->work,
	    d->ep, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "cannot keep the account: %s", why);
		bsc_failed(d, err);
		return NODE_INTERNAL;
	}
	BSC_LOG(d, "%s: bootstrap finished: DM server %s (ssid %u)%s%s",
	    d->ep, dm.sec->uri, dm.sec->ssid, n->acct_path[0] != '\0' ?
	    ", kept in " : "", n->acct_path);
	b->state = BSC_FINISHED;
	bsc_arm(b, 0);
	return NODE_OK;
}

void
bsc_trigger(struct node_dev *d)
{
	struct bsc *b = d->bsc;

	if (b == NULL || b->state != BSC_OFF)
		return;
	BSC_LOG(d, "%s: Bootstrap-Request Trigger: bootstrapping again (the "
	    "account in use stays until Finish)", d->ep);
	bsc_begin(d, 0);
}

enum node_result
bsc_dm_write(struct node_dev *d, const struct acct *copy, char *err,
    size_t errlen)
{
	struct node *n = d->node;
	struct bsc *b = d->bsc;
	struct acct_dm dm;
	char why[300];

	/* The copy must still be usable; a DM server writes no /0. */
	if (acct_check(copy, &dm, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s", why);
		return NODE_BAD_REQUEST;
	}
	if (n->acct_path[0] != '\0' && acct_store(n->acct_path, copy, d->ep,
	    why, sizeof(why)) == -1) {
		snprintf(err, errlen, "not kept: %s", why);
		log_warnx("%s: %s", d->ep, err);
		return NODE_INTERNAL;
	}
	b->acct = *copy;
	(void)acct_check(&b->acct, &b->dm, why, sizeof(why));
	bsc_params(d);
	reg_params_changed(&d->reg, node_now_ms());
	return NODE_OK;
}
