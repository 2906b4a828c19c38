/*
 * webhook.c: POSTs gateway events as JSON to [webhook] url, so that cloud
 * backends need not poll.
 *
 * Every event goes first into an outbox in the store (cache/outbox.c, in
 * STORE_DB_OUTBOX), in the batch of the change it reports where there is
 * one, so it survives a restart. Events are sent one at a time, oldest
 * first, with libevent's HTTP client; one is removed only after the
 * receiver answered 2xx. A receiver that is down gets retries with a
 * doubling backoff up to [webhook] retry_max. The outbox holds at most
 * [webhook] max_outbox events; past that the oldest is dropped, and said.
 * (A store written before the outbox kept each record's time holds the
 * bare JSON: a record that starts with '{' is read whole.)
 *
 * An https:// url goes through proxy/tls.c, whose bufferevent evhttp's
 * client cannot connect (it connects the bufferevent it is given as a
 * socket), so it gets a client of its own: a connection per event, the
 * server's certificate verified against [webhook] ca_file (or the system's
 * CAs) and its name, "Connection: close", and the status line is the
 * answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>

#include "gateway.h"
#include "log.h"
#include "cache/events.h"
#include "cache/outbox.h"
#include "store/store.h"
#include "proxy/webhook.h"
#include "proxy/whparse.h"
#include "proxy/tls.h"

struct webhook {
	struct gateway		*gw;
	struct evdns_base	*dns;
	struct evhttp_connection *conn;
	struct event		*retry;
	struct tls_ctx		*tls;		/* https:// only */
	struct bufferevent	*bev;		/* its exchange on the way */
	struct evbuffer		*req;		/* its request, until connected */
	int			 https;
	char			 host[256];
	char			 path[1024];
	int			 port;
	struct outbox		*ob;
	uint64_t		 sending;	/* seq of the event on its way */
	int			 inflight;
	int			 waiting;	/* a retry is armed */
	unsigned		 backoff;	/* seconds */
};

static void	webhook_kick(struct webhook *wh);

/* Parses [webhook] url: http[s]://HOST[:PORT][/PATH]. */
static int
webhook_parse(struct webhook *wh, const char *url)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	const char *scheme, *host, *path, *query;
	int rc = -1;

	if (u == NULL)
		goto done;
	scheme = evhttp_uri_get_scheme(u);
	host = evhttp_uri_get_host(u);
	path = evhttp_uri_get_path(u);
	query = evhttp_uri_get_query(u);
	if (scheme == NULL || (strcmp(scheme, "http") != 0 &&
	    strcmp(scheme, "https") != 0) || host == NULL ||
	    *host == '\0' || strlen(host) >= sizeof(wh->host))
		goto done;
	wh->https = strcmp(scheme, "https") == 0;
	snprintf(wh->host, sizeof(wh->host), "%s", host);
	wh->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) :
	    wh->https ? 443 : 80;
	snprintf(wh->path, sizeof(wh->path), "%s%s%s",
	    path != NULL && *path != '\0' ? path : "/", query != NULL ? "?" :
	    "", query != NULL ? query : "");
	rc = 0;
done:
	if (u != NULL)
		evhttp_uri_free(u);
	return rc;
}

static void
webhook_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct webhook *wh = arg;

	(void)fd;
	(void)what;
	wh->waiting = 0;
	webhook_kick(wh);
}

/* A send failed: try again later, a little later each time. */
static void
webhook_backoff(struct webhook *wh, const char *why)
{
	struct timeval tv;

	wh->backoff = wh->backoff == 0 ? 1 : wh->backoff * 2;
	if (wh->backoff > (unsigned)wh->gw->cfg.webhook_retry_max)
		wh->backoff = (unsigned)wh->gw->cfg.webhook_retry_max;
	log_warnx("webhook %s:%d%s: %s; retrying in %us", wh->host, wh->port,
	    wh->path, why, wh->backoff);
	tv.tv_sec = wh->backoff;
	tv.tv_usec = 0;
	wh->waiting = 1;
	evtimer_add(wh->retry, &tv);
}

/* The receiver answered code (0: no answer, -1: not HTTP), or why says
 * what went wrong: 2xx removes the event and sends the next. */
static void
webhook_result(struct webhook *wh, int code, const char *why)
{
	char buf[64];

	wh->inflight = 0;
	if (code < 200 || code > 299) {
		if (why == NULL && code == 0)
			why = "no answer";
		else if (why == NULL && code < 0)
			why = "an answer that is not HTTP";
		else if (why == NULL) {
			snprintf(buf, sizeof(buf), "answered %d", code);
			why = buf;
		}
		webhook_backoff(wh, why);
		return;
	}
	wh->backoff = 0;
	/* Unless a full outbox dropped it while it was on its way. */
	if (outbox_head(wh->ob) == wh->sending)
		outbox_pop(wh->ob);
	webhook_kick(wh);
}

static void
webhook_sent(struct evhttp_request *req, void *arg)
{
	webhook_result(arg, req != NULL ?
	    evhttp_request_get_response_code(req) : 0, NULL);
}

/* Ends the https:// exchange on its way, if any, with its outcome. */
static void
webhook_tls_done(struct webhook *wh, int code, const char *why)
{
	if (wh->bev == NULL)
		return;
	bufferevent_free(wh->bev);
	wh->bev = NULL;
	if (wh->req != NULL)
		evbuffer_drain(wh->req, evbuffer_get_length(wh->req));
	webhook_result(wh, code, why);
}

/* The first line of the answer is all it takes. */
static void
webhook_tls_read(struct bufferevent *bev, void *arg)
{
	struct webhook *wh = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	char line[WEBHOOK_STATUS_MAX];

	eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_CRLF);
	if (eol.pos < 0) {
		if (evbuffer_get_length(in) >= sizeof(line))
			webhook_tls_done(wh, -1, NULL);
		return;
	}
	if ((size_t)eol.pos >= sizeof(line)) {
		webhook_tls_done(wh, -1, NULL);
		return;
	}
	evbuffer_copyout(in, line, (size_t)eol.pos);
	webhook_tls_done(wh, webhook_status_line(line, (size_t)eol.pos),
	    NULL);
}

static void
webhook_tls_event(struct bufferevent *bev, short what, void *arg)
{
	struct webhook *wh = arg;

	if (what & BEV_EVENT_CONNECTED) {
		/* TCP is up: the request starts the handshake. */
		bufferevent_write_buffer(bev, wh->req);
		return;
	}
	webhook_tls_done(wh, 0, what & BEV_EVENT_TIMEOUT ? "timed out" :
	    (what & BEV_EVENT_EOF) ? "closed before answering" :
	    "connection or TLS handshake failed");
}

/* Sends body to an https:// receiver on a connection of its own. */
static void
webhook_post_tls(struct webhook *wh, const char *body, size_t len)
{
	struct timeval tv = { wh->gw->cfg.webhook_timeout, 0 };
	struct bufferevent *bev;

	if (wh->req == NULL && (wh->req = evbuffer_new()) == NULL) {
		webhook_backoff(wh, "out of memory");
		return;
	}
	evbuffer_drain(wh->req, evbuffer_get_length(wh->req));
	if ((bev = tls_bufferevent_new(wh->tls, wh->gw->base, -1,
	    wh->host)) == NULL) {
		webhook_backoff(wh, "cannot make a TLS connection");
		return;
	}
	evbuffer_add_printf(wh->req, "POST %s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", wh->path, wh->host, wh->port, len);
	evbuffer_add(wh->req, body, len);
	wh->bev = bev;
	wh->inflight = 1;
	bufferevent_setcb(bev, webhook_tls_read, NULL, webhook_tls_event, wh);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect_hostname(tls_bufferevent_socket(bev),
	    wh->dns, AF_UNSPEC, wh->host, wh->port) == -1)
		webhook_tls_done(wh, 0, "cannot connect");
}

/* Sends the oldest event, unless one is on its way or a retry waits. */
static void
webhook_kick(struct webhook *wh)
{
	struct evhttp_request *req;
	struct evbuffer *out;
	uint8_t *rec;
	const char *buf;
	size_t len;
	int rc;

	while (!wh->inflight && !wh->waiting &&
	    outbox_head(wh->ob) < outbox_durable(wh->ob)) {
		wh->sending = outbox_head(wh->ob);
		if ((rc = outbox_get(wh->ob, wh->sending, &rec, &len)) == -1)
			return;		/* tried again on the next news */
		if (rc == 0 && len > 0)
			break;
		outbox_pop(wh->ob);	/* not there, or empty: skipped */
	}
	if (wh->inflight || wh->waiting ||
	    outbox_head(wh->ob) >= outbox_durable(wh->ob))
		return;
	/* Its time first, unless it was stored before times were. */
	buf = (const char *)rec;
	if (rec[0] != '{' && len >= 8) {
		buf += 8;
		len -= 8;
	}
	if (wh->https) {
		webhook_post_tls(wh, buf, len);
		free(rec);
		return;
	}
	if (wh->conn == NULL && (wh->conn = evhttp_connection_base_new(
	    wh->gw->base, wh->dns, wh->host, (uint16_t)wh->port)) == NULL) {
		free(rec);
		webhook_backoff(wh, "cannot connect");
		return;
	}
	evhttp_connection_set_timeout(wh->conn, wh->gw->cfg.webhook_timeout);
	req = evhttp_request_new(webhook_sent, wh);
	out = evhttp_request_get_output_buffer(req);
	evbuffer_add(out, buf, len);
	free(rec);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	    wh->host);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	wh->inflight = 1;
	if (evhttp_make_request(wh->conn, req, EVHTTP_REQ_POST, wh->path) ==
	    -1) {
		wh->inflight = 0;
		webhook_backoff(wh, "cannot send");
	}
}

static void
webhook_committed(struct outbox *ob, int status, void *arg)
{
	(void)ob;
	if (status == 0)
		webhook_kick(arg);
}

/* Events sink: into the outbox, in the current batch. */
static void
webhook_event(struct gateway *gw, const char *type, const cJSON *event,
    void *arg)
{
	struct webhook *wh = arg;
	uint64_t seq;
	char *text;

	/* Registration events and op results; the device-by-device state
	 * churn (awake, sleeping, notifications) is for the event stream. */
	if (strcmp(type, "awake") == 0 || strcmp(type, "sleeping") == 0 ||
	    strcmp(type, "notification") == 0)
		return;
	if ((text = cJSON_PrintUnformatted(event)) == NULL)
		return;
	gw->metrics.events_formatted++;
	if (outbox_put(wh->ob, NULL, 0, text, strlen(text), &seq) == -1)
		log_warnx("webhook: an event could not be stored: %s", type);
	free(text);
}

static int
webhook_init(struct gateway *gw)
{
	struct webhook *wh;
	char err[PATH_MAX + 64];

	if (gw->cfg.webhook_url[0] == '\0')
		return 0;
	if ((wh = calloc(1, sizeof(*wh))) == NULL)
		return -1;
	gw->webhook = wh;
	wh->gw = gw;
	if (webhook_parse(wh, gw->cfg.webhook_url) == -1) {
		log_warnx("webhook: %s: expected http[s]://HOST[:PORT][/PATH]",
		    gw->cfg.webhook_url);
		return -1;
	}
	if (wh->https && (wh->tls = tls_client_new(gw->cfg.webhook_ca_file,
	    err, sizeof(err))) == NULL) {
		log_warnx("webhook: [webhook] ca_file: %s", err);
		return -1;
	}
	if ((wh->dns = evdns_base_new(gw->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL ||
	    (wh->retry = evtimer_new(gw->base, webhook_retry_cb, wh)) == NULL)
		return -1;
	if ((wh->ob = outbox_open(gw->store, STORE_DB_OUTBOX, "webhook.next",
	    (size_t)gw->cfg.webhook_max_outbox, 0, webhook_committed, wh)) ==
	    NULL)
		return -1;
	if (events_subscribe(gw, webhook_event, wh) == -1)
		return -1;
	log_info("webhook: events go to %s://%s:%d%s (%llu waiting)",
	    wh->https ? "https" : "http", wh->host, wh->port, wh->path,
	    (unsigned long long)(outbox_tail(wh->ob) - outbox_head(wh->ob)));
	return 0;
}

static int
webhook_start(struct gateway *gw)
{
	if (gw->webhook != NULL)
		webhook_kick(gw->webhook);
	return 0;
}

static void
webhook_stop(struct gateway *gw)
{
	struct webhook *wh = gw->webhook;

	if (wh == NULL)
		return;
	events_unsubscribe(gw, webhook_event, wh);
	if (wh->conn != NULL)
		evhttp_connection_free(wh->conn);
	if (wh->bev != NULL)
		bufferevent_free(wh->bev);
	if (wh->req != NULL)
		evbuffer_free(wh->req);
	tls_ctx_free(wh->tls);
	outbox_close(wh->ob);
	if (wh->retry != NULL)
		event_free(wh->retry);
	if (wh->dns != NULL)
		evdns_base_free(wh->dns, 0);
	free(wh);
	gw->webhook = NULL;
}

/* A new URL takes over from the next event on; the outbox stays. */
static void
webhook_reload(struct gateway *gw, const struct gw_config *old)
{
	if (strcmp(gw->cfg.webhook_url, old->webhook_url) == 0 &&
	    strcmp(gw->cfg.webhook_ca_file, old->webhook_ca_file) == 0) {
		if (gw->webhook != NULL)
			outbox_set_limits(gw->webhook->ob,
			    (size_t)gw->cfg.webhook_max_outbox, 0);
		return;
	}
	webhook_stop(gw);
	if (webhook_init(gw) == -1) {
		log_warnx("webhook: off until the configuration is fixed");
		webhook_stop(gw);
		return;
	}
	webhook_start(gw);
}

const struct gw_module webhook_module = {
	.name = "webhook",
	.init = webhook_init,
	.start = webhook_start,
	.reload = webhook_reload,
	.stop = webhook_stop,
};
