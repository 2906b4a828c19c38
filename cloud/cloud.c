/*
 * cloud.c: the cloud link (doc/cloud.md), the gateway's third face: events
 * go up to an MQTT broker through a durable outbox, and requests come down
 * from it to the HTTP API's internal server (proxy/http.h, http_internal),
 * their answers going back up. It calls proxy/ (the internal server) and
 * the layers below (events, the outbox); nothing calls it but the module
 * table (cloud_module, gateway.h).
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "gateway.h"
#include "log.h"
#include "cache/events.h"
#include "cache/outbox.h"
#include "config/cloudcfg.h"
#include "proxy/http.h"
#include "cloud/envelope.h"
#include "cloud/link.h"

/* Events sent and not yet acknowledged, at most. */
#define CLOUD_WINDOW		64
/* Requests waiting for one of the max_requests places, at most. */
#define CLOUD_WAITING_MAX	1024
#define CLOUD_TOPIC_MAX		512
/* "P/G": a prefix (127 at most) and an id (64). */
#define CLOUD_BASE_MAX		256

struct cloud_sent {
	int		 mid;
	uint64_t	 seq;
	int		 acked;
};

/* One request from the cloud, waiting or being served. */
struct cloud_call {
	TAILQ_ENTRY(cloud_call)	 entry;
	struct cloud		*c;
	struct evhttp_connection *conn;		/* NULL: waiting */
	struct envelope_req	 req;
	const char		*role;		/* static */
	char			 reply[CLOUD_TOPIC_MAX];
	void			*corr;
	size_t			 corrlen;
};
TAILQ_HEAD(cloud_calls, cloud_call);

struct cloud {
	struct gateway		*gw;
	struct link		*link;
	struct outbox		*ob;
	char			 id[CONFIG_ID_MAX + 1];
	char			 base[CLOUD_BASE_MAX];	/* "P/G" */
	char			 status[CLOUD_TOPIC_MAX];
	struct cloud_reqtopic	 req[CLOUD_REQ_MAX];
	int			 nreq;
	struct cloud_sent	 win[CLOUD_WINDOW];
	size_t			 wfirst, wcount;
	uint64_t		 next;		/* next event to send */
	uint16_t		 port;		/* the internal server's */
	const char		*secret;
	struct cloud_calls	 serving, waiting;
	int			 nserving, nwaiting;
	struct log_budget	 refused;	/* unanswerable requests logged */
};

/* The status topic's payload: online or offline. */
static char *
cloud_status(struct cloud *c, const char *state, int with_time)
{
	char when[GW_TIME_LEN], *s;
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "state", state);
	cJSON_AddStringToObject(o, "gateway", c->id);
	if (with_time)
		cJSON_AddStringToObject(o, "time", gw_time_str(gw_now(),
		    when));
	cJSON_AddStringToObject(o, "version", OUTPOST_VERSION);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* ---- up: events through the outbox ---- */

/* One committed event to the broker: its topic's suffix, a NUL, its
 * JSON (after the 8 bytes of the time it was put). Stops the walk when
 * the window is full or the link refuses. */
static int
cloud_send(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct cloud *c = arg;
	char topic[CLOUD_TOPIC_MAX];
	struct cloud_sent *w;
	size_t slen = strnlen((const char *)rec + 8, len - 8);
	int mid;

	if (c->wcount == CLOUD_WINDOW || !link_connected(c->link))
		return 1;
	c->next = seq + 1;
	if (8 + slen == len || (size_t)snprintf(topic, sizeof(topic),
	    "%s/%.*s", c->base, (int)slen, (const char *)rec + 8) >=
	    sizeof(topic))
		return 0;			/* unreadable: skipped */
	if (link_publish(c->link, topic, rec + 8 + slen + 1,
	    len - 8 - slen - 1, 0, NULL, 0, &mid) == -1) {
		c->next = seq;			/* again on the next news */
		return 1;
	}
	w = &c->win[(c->wfirst + c->wcount++) % CLOUD_WINDOW];
	w->mid = mid;
	w->seq = seq;
	w->acked = 0;
	return 0;
}

/* Sends what is committed, oldest first, while the window has room: one
 * walk of the store for as many as fit. */
static void
cloud_pump(struct cloud *c)
{
	if (link_connected(c->link) && c->wcount < CLOUD_WINDOW &&
	    c->next < outbox_durable(c->ob))
		outbox_walk(c->ob, c->next, cloud_send, c);
}

static void
cloud_durable(struct outbox *ob, int status, void *arg)
{
	(void)ob;
	if (status == 0)
		cloud_pump(arg);
}

/* Events sink: each event of a published type into the outbox, in the
 * batch of the change it reports. */
static void
cloud_event(struct gateway *gw, const char *type, const cJSON *event,
    void *arg)
{
	struct cloud *c = arg;
	char suffix[CLOUD_TOPIC_MAX], level[CLOUD_TOPIC_MAX], *text;
	const cJSON *ep;
	cJSON *e;
	uint64_t seq;
	int n;

	if (!cloudcfg_event_on(gw->cfg.cloud_events, type))
		return;
	ep = cJSON_GetObjectItemCaseSensitive(event, "ep");
	if (cJSON_IsString(ep) && envelope_topic_level(ep->valuestring, level,
	    sizeof(level)) == 0)
		n = snprintf(suffix, sizeof(suffix), "events/%s/%s", type,
		    level);
	else
		n = snprintf(suffix, sizeof(suffix), "events/%s", type);
	if (n < 0 || (size_t)n >= sizeof(suffix) ||
	    (e = cJSON_Duplicate(event, 1)) == NULL)
		return;
	cJSON_AddStringToObject(e, "gateway", c->id);
	cJSON_AddNumberToObject(e, "seq", (double)outbox_tail(c->ob));
	text = cJSON_PrintUnformatted(e);
	cJSON_Delete(e);
	if (text == NULL)
		return;
	gw->metrics.events_formatted++;
	if (outbox_put(c->ob, suffix, (size_t)n + 1, text, strlen(text),
	    &seq) == -1)
		log_warnx("cloud: an event could not be stored: %s", type);
	free(text);
}

/* ---- down: requests to the internal server ---- */

static void	cloud_serve(struct cloud *c, struct cloud_call *call);

/* The request's id for its answer: NULL when it had none. */
static const char *
cloud_id(const struct cloud_call *call)
{
	return call->req.has_id ? call->req.id : NULL;
}

static void
cloud_call_free(struct cloud_call *call)
{
	envelope_free(&call->req);
	free(call->corr);
	free(call);
}

/* Publishes an answer (text, freed here) to where call's goes. */
static void
cloud_answer(struct cloud *c, struct cloud_call *call, int status,
    char *text)
{
	int mid;

	c->gw->metrics.cloud_requests[status / 100 < 6 ? status / 100 : 0]++;
	if (text == NULL)
		return;
	if (link_publish(c->link, call->reply, text, strlen(text), 0,
	    call->corr, call->corrlen, &mid) == -1)
		log_info("cloud: the answer to request '%s' is lost: %s",
		    call->req.id, link_connected(c->link) ? "the broker "
		    "refused it" : "the link is down");
	free(text);
}

/* Takes the next waiting request, if there is room. */
static void
cloud_next(struct cloud *c)
{
	struct cloud_call *call;

	while (c->nserving < c->gw->cfg.cloud_max_requests &&
	    (call = TAILQ_FIRST(&c->waiting)) != NULL) {
		TAILQ_REMOVE(&c->waiting, call, entry);
		c->nwaiting--;
		cloud_serve(c, call);
	}
}

/* Response headers that say how the HTTP exchange was framed, not what
 * it answered. */
static int
cloud_hop_header(const char *name)
{
	static const char *const hop[] = { "Content-Length", "Connection",
	    "Date", "Keep-Alive", "Transfer-Encoding" };
	size_t i;

	for (i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (strcasecmp(name, hop[i]) == 0)
			return 1;
	return 0;
}

static void
cloud_done(struct evhttp_request *req, void *arg)
{
	struct cloud_call *call = arg;
	struct cloud *c = call->c;
	const char *names[ENVELOPE_HEADERS_MAX], *values[ENVELOPE_HEADERS_MAX];
	struct evkeyval *h;
	struct evbuffer *in;
	size_t n = 0, blen;
	int code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	uint8_t *body;

	TAILQ_REMOVE(&c->serving, call, entry);
	c->nserving--;
	if (code <= 0) {
		cloud_answer(c, call, 502, envelope_error(cloud_id(call), 502,
		    "internal_error", "the API gave no answer"));
	} else {
		TAILQ_FOREACH(h, evhttp_request_get_input_headers(req), next) {
			if (n < ENVELOPE_HEADERS_MAX &&
			    !cloud_hop_header(h->key)) {
				names[n] = h->key;
				values[n++] = h->value;
			}
		}
		in = evhttp_request_get_input_buffer(req);
		blen = evbuffer_get_length(in);
		body = blen > 0 ? evbuffer_pullup(in, -1) : NULL;
		cloud_answer(c, call, code, envelope_answer(cloud_id(call),
		    code, names, values, n, body, blen));
	}
	cloud_call_free(call);
	cloud_next(c);
}

static enum evhttp_cmd_type
cloud_method(const char *m)
{
	static const struct {
		const char		*name;
		enum evhttp_cmd_type	 cmd;
	} map[] = {
		{ "GET", EVHTTP_REQ_GET }, { "HEAD", EVHTTP_REQ_HEAD },
		{ "POST", EVHTTP_REQ_POST }, { "PUT", EVHTTP_REQ_PUT },
		{ "DELETE", EVHTTP_REQ_DELETE }, { "PATCH", EVHTTP_REQ_PATCH },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(m, map[i].name) == 0)
			return map[i].cmd;
	return EVHTTP_REQ_GET;
}

static void
cloud_serve(struct cloud *c, struct cloud_call *call)
{
	struct gateway *gw = c->gw;
	struct evhttp_request *req;
	struct evkeyvalq *out;
	size_t i;

	if ((call->conn = evhttp_connection_base_new(gw->base, NULL,
	    "127.0.0.1", c->port)) == NULL ||
	    (req = evhttp_request_new(cloud_done, call)) == NULL) {
		if (call->conn != NULL)
			evhttp_connection_free(call->conn);
		cloud_answer(c, call, 503, envelope_error(cloud_id(call), 503,
		    "unavailable", "out of memory"));
		cloud_call_free(call);
		return;
	}
	/* As long as the longest a request may take: a device's answer, or
	 * an idle connection. */
	evhttp_connection_set_timeout(call->conn, 10 +
	    (gw->cfg.proxy_timeout > gw->cfg.http_timeout ?
	    gw->cfg.proxy_timeout : gw->cfg.http_timeout));
	out = evhttp_request_get_output_headers(req);
	evhttp_add_header(out, "Host", "outpost");
	evhttp_add_header(out, HTTP_INTERNAL_SECRET, c->secret);
	evhttp_add_header(out, HTTP_INTERNAL_ROLE, call->role);
	for (i = 0; i < call->req.nheaders; i++)
		evhttp_add_header(out, call->req.headers[i].name,
		    call->req.headers[i].value);
	if (call->req.blen > 0)
		evbuffer_add(evhttp_request_get_output_buffer(req),
		    call->req.body, call->req.blen);
	TAILQ_INSERT_TAIL(&c->serving, call, entry);
	c->nserving++;
	if (evhttp_make_request(call->conn, req,
	    cloud_method(call->req.method), call->req.uri) == -1) {
		/* evhttp freed req and told no one */
		TAILQ_REMOVE(&c->serving, call, entry);
		c->nserving--;
		evhttp_connection_free(call->conn);
		cloud_answer(c, call, 503, envelope_error(cloud_id(call), 503,
		    "unavailable", "the API cannot be reached"));
		cloud_call_free(call);
		return;
	}
	evhttp_connection_free_on_completion(call->conn);
}

/* A message on a request topic. */
static void
cloud_message(void *arg, const char *topic, const void *payload, size_t len,
    const char *resp, const void *corr, size_t corrlen)
{
	struct cloud *c = arg;
	struct cloud_call *call;
	const char *name = NULL, *role = NULL;
	size_t blen = strlen(c->base);
	char err[256];
	int i;

	if (strncmp(topic, c->base, blen) == 0 &&
	    strncmp(topic + blen, "/req/", 5) == 0) {
		name = topic + blen + 5;
		for (i = 0; i < c->nreq; i++)
			if (strcmp(name, c->req[i].name) == 0)
				role = c->req[i].role;
	}
	if (role == NULL)
		return;		/* not a topic of ours */
	if ((call = calloc(1, sizeof(*call))) == NULL)
		return;
	call->c = c;
	call->role = role;
	/* An answer never goes to a request topic of this gateway's: it
	 * would come back as a request. */
	if (resp != NULL && *resp != '\0' && strpbrk(resp, "+#") == NULL &&
	    strlen(resp) < sizeof(call->reply) &&
	    !(strncmp(resp, c->base, blen) == 0 &&
	    strncmp(resp + blen, "/req/", 5) == 0))
		snprintf(call->reply, sizeof(call->reply), "%s", resp);
	else
		snprintf(call->reply, sizeof(call->reply), "%s/res/%s",
		    c->base, name);
	if (corr != NULL && corrlen > 0 &&
	    (call->corr = malloc(corrlen)) != NULL) {
		memcpy(call->corr, corr, corrlen);
		call->corrlen = corrlen;
	}
	if (envelope_parse(payload, len, &call->req, err, sizeof(err)) ==
	    -1) {
		if (call->req.has_id)
			cloud_answer(c, call, 400, envelope_error(
			    cloud_id(call), 400, "bad_request", err));
		else {
			c->gw->metrics.cloud_requests[0]++;
			if (log_budget_take(&c->refused, 10, "cloud: %u more "
			    "unreadable requests, not logged"))
				log_info("cloud: a request on %s without a "
				    "readable id is dropped: %s", topic, err);
		}
		cloud_call_free(call);
		return;
	}
	if (envelope_streaming(call->req.uri)) {
		cloud_answer(c, call, 400, envelope_error(cloud_id(call), 400,
		    "not_streamable", "the event stream is not served over "
		    "MQTT: subscribe to the event topics"));
		cloud_call_free(call);
		return;
	}
	if (c->nserving < c->gw->cfg.cloud_max_requests) {
		cloud_serve(c, call);
		return;
	}
	if (c->nwaiting >= CLOUD_WAITING_MAX) {
		cloud_answer(c, call, 503, envelope_error(cloud_id(call), 503,
		    "busy", "too many requests waiting"));
		cloud_call_free(call);
		return;
	}
	TAILQ_INSERT_TAIL(&c->waiting, call, entry);
	c->nwaiting++;
}

/* ---- the link's news ---- */

static void
cloud_up(void *arg)
{
	struct cloud *c = arg;
	char topic[CLOUD_TOPIC_MAX], *s;
	int i, mid;

	c->gw->metrics.cloud_connected = 1;
	c->gw->metrics.cloud_connects++;
	c->wfirst = c->wcount = 0;
	c->next = outbox_head(c->ob);
	if ((s = cloud_status(c, "online", 1)) != NULL) {
		link_publish(c->link, c->status, s, strlen(s), 1, NULL, 0,
		    &mid);
		free(s);
	}
	for (i = 0; i < c->nreq; i++) {
		snprintf(topic, sizeof(topic), "%s/req/%s", c->base,
		    c->req[i].name);
		if (link_subscribe(c->link, topic) == -1)
			log_warnx("cloud: cannot subscribe to %s", topic);
	}
	cloud_pump(c);
}

static void
cloud_down(void *arg)
{
	struct cloud *c = arg;

	c->gw->metrics.cloud_connected = 0;
	c->wfirst = c->wcount = 0;
	c->next = outbox_head(c->ob);
}

/* The broker has message mid: the events acknowledged in order leave the
 * outbox. */
static void
cloud_acked(void *arg, int mid)
{
	struct cloud *c = arg;
	struct cloud_sent *w;
	size_t i;

	for (i = 0; i < c->wcount; i++) {
		w = &c->win[(c->wfirst + i) % CLOUD_WINDOW];
		if (w->mid == mid && !w->acked) {
			w->acked = 1;
			break;
		}
	}
	if (i == c->wcount)
		return;		/* an answer's, or the status's */
	while (c->wcount > 0 && (w = &c->win[c->wfirst])->acked) {
		if (w->seq == outbox_head(c->ob)) {
			outbox_pop(c->ob);
			c->gw->metrics.cloud_published++;
		}
		c->wfirst = (c->wfirst + 1) % CLOUD_WINDOW;
		c->wcount--;
	}
	cloud_pump(c);
}

/* ---- the module ---- */

static void
cloud_free(struct gateway *gw, int clean)
{
	struct cloud *c = gw->cloud;
	struct cloud_call *call;
	char *bye;

	if (c == NULL)
		return;
	events_unsubscribe(gw, cloud_event, c);
	bye = clean ? cloud_status(c, "offline", 1) : NULL;
	link_free(c->link, bye);
	free(bye);
	while ((call = TAILQ_FIRST(&c->waiting)) != NULL) {
		TAILQ_REMOVE(&c->waiting, call, entry);
		cloud_call_free(call);
	}
	while ((call = TAILQ_FIRST(&c->serving)) != NULL) {
		TAILQ_REMOVE(&c->serving, call, entry);
		evhttp_connection_free(call->conn);
		cloud_call_free(call);
	}
	outbox_close(c->ob);
	gw->cloudbox = NULL;
	gw->metrics.cloud_on = gw->metrics.cloud_connected = 0;
	free(c);
	gw->cloud = NULL;
}

static int
cloud_init(struct gateway *gw)
{
	const struct gw_config *cfg = &gw->cfg;
	struct cloud *c;
	char err[256];

	if (cfg->cloud_broker[0] == '\0')
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	gw->cloud = c;
	c->gw = gw;
	TAILQ_INIT(&c->serving);
	TAILQ_INIT(&c->waiting);
	cloudcfg_gateway_id(cfg, c->id, sizeof(c->id));
	snprintf(c->base, sizeof(c->base), "%s/%s", cfg->cloud_prefix, c->id);
	snprintf(c->status, sizeof(c->status), "%s/status", c->base);
	if ((c->nreq = cloudcfg_requests(cfg->cloud_requests, c->req,
	    CLOUD_REQ_MAX, err, sizeof(err))) == -1) {
		log_warnx("cloud: [cloud] requests: %s", err);
		return -1;
	}
	if ((c->ob = outbox_open(gw->store, STORE_DB_CLOUDBOX, "cloud.next",
	    (size_t)cfg->cloud_max_outbox,
	    (size_t)cfg->cloud_max_outbox_kb * 1024, cloud_durable, c)) ==
	    NULL)
		return -1;
	gw->cloudbox = c->ob;
	gw->metrics.cloud_on = 1;
	if (events_subscribe(gw, cloud_event, c) == -1)
		return -1;
	return 0;
}

static int
cloud_start(struct gateway *gw)
{
	const struct gw_config *cfg = &gw->cfg;
	struct cloud *c = gw->cloud;
	struct link_opts o;
	static const struct link_cbs cbs = {
		.up = cloud_up, .down = cloud_down, .acked = cloud_acked,
		.message = cloud_message,
	};
	char err[256], *will;

	if (c == NULL)
		return 0;
	if (c->nreq > 0 && http_internal(gw, &c->port, &c->secret) == -1)
		return -1;
	memset(&o, 0, sizeof(o));
	if (cloudcfg_broker(cfg->cloud_broker, &o.broker, err,
	    sizeof(err)) == -1) {
		log_warnx("cloud: [cloud] broker: %s", err);
		return -1;
	}
	o.client_id = cfg->cloud_client_id[0] != '\0' ? cfg->cloud_client_id :
	    c->id;
	o.ca_file = cfg->cloud_ca_file;
	o.cert_file = cfg->cloud_cert_file;
	o.key_file = cfg->cloud_key_file;
	o.username = cfg->cloud_username;
	o.password_file = cfg->cloud_password_file;
	o.keepalive = cfg->cloud_keepalive;
	o.protocol = strcmp(cfg->cloud_protocol, "5") == 0 ? 5 :
	    strcmp(cfg->cloud_protocol, "3.1.1") == 0 ? 4 : 0;
	o.retry_max = cfg->cloud_retry_max;
	o.inflight = CLOUD_WINDOW + 16;		/* answers beside events */
	o.will_topic = c->status;
	if ((will = cloud_status(c, "offline", 0)) == NULL)
		return -1;
	o.will = will;
	c->link = link_new(gw->base, &o, &cbs, c);
	free(will);	/* link_new keeps a copy */
	if (c->link == NULL)
		return -1;
	log_info("cloud: events go to %s under %s/ (%llu waiting); %d "
	    "request topics", cfg->cloud_broker, c->base,
	    (unsigned long long)(outbox_tail(c->ob) - outbox_head(c->ob)),
	    c->nreq);
	return 0;
}

static void
cloud_stop(struct gateway *gw)
{
	cloud_free(gw, 1);
}

/* Whether a reload changes what the link is: then it is made again (the
 * outbox stays in the store). */
static int
cloud_changed(const struct gw_config *a, const struct gw_config *b)
{
	return strcmp(a->gateway_id, b->gateway_id) != 0 ||
	    strcmp(a->cloud_broker, b->cloud_broker) != 0 ||
	    a->cloud_allow_plain != b->cloud_allow_plain ||
	    strcmp(a->cloud_client_id, b->cloud_client_id) != 0 ||
	    strcmp(a->cloud_ca_file, b->cloud_ca_file) != 0 ||
	    strcmp(a->cloud_cert_file, b->cloud_cert_file) != 0 ||
	    strcmp(a->cloud_key_file, b->cloud_key_file) != 0 ||
	    strcmp(a->cloud_username, b->cloud_username) != 0 ||
	    strcmp(a->cloud_password_file, b->cloud_password_file) != 0 ||
	    a->cloud_keepalive != b->cloud_keepalive ||
	    strcmp(a->cloud_prefix, b->cloud_prefix) != 0 ||
	    strcmp(a->cloud_protocol, b->cloud_protocol) != 0 ||
	    strcmp(a->cloud_requests, b->cloud_requests) != 0 ||
	    a->cloud_retry_max != b->cloud_retry_max;
}

static void
cloud_reload(struct gateway *gw, const struct gw_config *old)
{
	if (!cloud_changed(&gw->cfg, old)) {
		if (gw->cloud != NULL)
			outbox_set_limits(gw->cloud->ob,
			    (size_t)gw->cfg.cloud_max_outbox,
			    (size_t)gw->cfg.cloud_max_outbox_kb * 1024);
		return;
	}
	cloud_free(gw, 1);
	if (cloud_init(gw) == -1 || cloud_start(gw) == -1) {
		log_warnx("cloud: off until the configuration is fixed");
		cloud_free(gw, 0);
	}
}

const struct gw_module cloud_module = {
	.name = "cloud",
	.init = cloud_init,
	.start = cloud_start,
	.reload = cloud_reload,
	.stop = cloud_stop,
};
