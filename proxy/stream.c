/*
 * stream.c: the event stream (SSE) to management clients.
 *
 * Every event gets an id and is kept in a ring of [events] ring entries,
 * as the events sink's object (events_keep) until a client wants it: then
 * it is formatted, once, and kept as that text, the object freed. With no
 * client connected nothing is formatted. A client gets the ring entries
 * after its
 * Last-Event-ID (and an event of type "gap" first when the ring no longer
 * reaches back that far), then every new event that passes its filters.
 * A client that does not read is dropped once its unsent output passes
 * [events] client_buffer, so it never slows anyone else. While clients are
 * connected, a comment every [events] keepalive seconds keeps proxies from
 * cutting idle streams; with none, no timer runs.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "proxy/stream.h"
#include "gateway.h"
#include "proxy/metrics.h"
#include "log.h"
#include "cache/events.h"
#include "lwm2m/lwm2m.h"
#include "proxy/http.h"

static const char *const stream_types[] = {
	"registration", "update", "deregistration", "decommission", "expired",
	"awake", "sleeping", "notification", "send", "op_result", "fw_progress",
	"gap", "bootstrap_started", "bootstrap_done", "bootstrap_failed",
	"job", "job_progress", "tags", "alarm", "campaign",
};
#define NTYPES (sizeof(stream_types) / sizeof(stream_types[0]))

/* An event: its object until a client wants it, then its text. */
struct stream_entry {
	uint64_t	 id;
	unsigned	 type;		/* index in stream_types */
	char		*ep;
	cJSON		*event;		/* kept from events_emit, or NULL */
	char		*text;		/* "id: ..\nevent: ..\ndata: ..\n\n" */
	size_t		 len;
};

struct stream_client {
	TAILQ_ENTRY(stream_client) link;
	struct stream		*st;
	struct http_exchange	*hx;
	struct evhttp_connection *conn;
	uint32_t		 types;		/* bit per stream_types; 0: all */
	char			 ep[LWM2M_EP_MAX + 1];	/* "" = any */
};

struct stream {
	struct gateway		*gw;
	struct stream_entry	*ring;
	size_t			 cap, count, first;	/* ring indexes */
	uint64_t		 next_id;
	size_t			 both;		/* entries with text and
						   object: stream_tidy */
	TAILQ_HEAD(, stream_client) clients;
	size_t			 nclients;
	struct event		*keepalive;
};

static int
stream_type_index(const char *type, size_t len)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (strlen(stream_types[i]) == len &&
		    memcmp(stream_types[i], type, len) == 0)
			return (int)i;
	return -1;
}

static int
stream_wants(const struct stream_client *c, unsigned type, const char *ep)
{
	if (c->types != 0 && !(c->types & (1u << type)))
		return 0;
	return c->ep[0] == '\0' || (ep != NULL && strcmp(c->ep, ep) == 0);
}

/* Ends a client's stream: from the gateway's side (drop) or its own. */
static void
stream_client_free(struct stream_client *c, int close_conn)
{
	struct stream *st = c->st;

	TAILQ_REMOVE(&st->clients, c, link);
	st->nclients--;
	evhttp_connection_set_closecb(c->conn, NULL, NULL);
	if (close_conn)
		evhttp_connection_free(c->conn);	/* frees the request */
	http_abandon(c->hx);
	free(c);
	if (st->nclients == 0)
		evtimer_del(st->keepalive);
}

/*
 * The client closed (or timed out): evhttp frees the connection after this
 * call but not the request, which it detached because its reply was never
 * ended (libevent 2.1's evhttp_connection_incoming_fail leaves such a
 * request to its owner); ending the reply of a detached request frees it.
 */
static void
stream_client_closed(struct evhttp_connection *conn, void *arg)
{
	struct stream_client *c = arg;
	struct evhttp_request *req = c->hx->req;

	(void)conn;
	stream_client_free(c, 0);
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_send_reply_end(req);
}

/* Sends text to c, or drops c when it has let too much pile up. */
static int
stream_send(struct stream_client *c, const char *text, size_t len)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);
	struct evbuffer *buf;

	if (bev != NULL && evbuffer_get_length(bufferevent_get_output(bev)) +
	    len > (size_t)c->st->gw->cfg.events_client_buffer) {
		log_info("events: dropping a client that does not read "
		    "(%zu bytes unsent)", evbuffer_get_length(
		    bufferevent_get_output(bev)));
		stream_client_free(c, 1);
		return -1;
	}
	if ((buf = evbuffer_new()) == NULL)
		return 0;
	evbuffer_add(buf, text, len);
	evhttp_send_reply_chunk(c->hx->req, buf);
	evbuffer_free(buf);
	return 0;
}

static struct stream_entry *
stream_at(struct stream *st, size_t i)
{
	return &st->ring[(st->first + i) % st->cap];
}

static void
stream_entry_free(struct stream_entry *e)
{
	free(e->ep);
	cJSON_Delete(e->event);
	free(e->text);
	memset(e, 0, sizeof(*e));
}

/* Frees the object of a formatted entry, unless it is still being
 * emitted (the sinks after the stream read it): then stream_tidy does. */
static void
stream_drop_object(struct stream *st, struct stream_entry *e)
{
	if (events_emitting(st->gw, e->event)) {
		st->both++;
		return;
	}
	cJSON_Delete(e->event);
	e->event = NULL;
}

/* Frees the objects of entries formatted while they were emitted, the
 * newest ones: a look at the last entry, most times. */
static void
stream_tidy(struct stream *st)
{
	struct stream_entry *e;
	size_t i;

	for (i = st->count; st->both > 0 && i-- > 0; ) {
		e = stream_at(st, i);
		if (e->text == NULL || e->event == NULL ||
		    events_emitting(st->gw, e->event))
			continue;
		cJSON_Delete(e->event);
		e->event = NULL;
		st->both--;
	}
}

/*
 * The entry's SSE text, formatted on the first call (then the object is
 * freed); NULL when it cannot be made, and the entry is skipped.
 */
static const char *
stream_text(struct stream *st, struct stream_entry *e)
{
	char *data;
	int n;

	if (e->text != NULL)
		return e->text;
	if (e->event == NULL)
		return NULL;
	if ((data = cJSON_PrintUnformatted(e->event)) == NULL)
		return NULL;
	n = asprintf(&e->text, "id: %llu\nevent: %s\ndata: %s\n\n",
	    (unsigned long long)e->id, stream_types[e->type], data);
	free(data);
	if (n < 0) {
		e->text = NULL;
		return NULL;
	}
	e->len = (size_t)n;
	stream_drop_object(st, e);
	st->gw->metrics.events_formatted++;
	return e->text;
}

/* Sends e to c if it passes c's filters (which need no text). */
static int
stream_offer(struct stream *st, struct stream_client *c,
    struct stream_entry *e)
{
	if (!stream_wants(c, e->type, e->ep) || stream_text(st, e) == NULL)
		return 0;
	return stream_send(c, e->text, e->len);
}

/* Events sink: keep the event in the ring, send it to who wants it. */
static void
stream_event(struct gateway *gw, const char *type, const cJSON *event,
    void *arg)
{
	struct stream *st = arg;
	struct stream_client *c, *next;
	struct stream_entry *e;
	const cJSON *ep = cJSON_GetObjectItemCaseSensitive(event, "ep");
	int t = stream_type_index(type, strlen(type));

	if (t < 0)
		return;
	stream_tidy(st);
	if (st->count == st->cap) {		/* the oldest goes */
		e = stream_at(st, 0);
		if (e->text != NULL && e->event != NULL)
			st->both--;
		stream_entry_free(e);
		st->first = (st->first + 1) % st->cap;
		st->count--;
	}
	e = stream_at(st, st->count);
	/* Ours now (events_keep), or a copy should another sink keep it. */
	e->event = events_keep(gw, event) == 0 ? (cJSON *)event :
	    cJSON_Duplicate(event, 1);
	e->ep = cJSON_IsString(ep) ? strdup(ep->valuestring) : NULL;
	if (e->event == NULL || (cJSON_IsString(ep) && e->ep == NULL)) {
		stream_entry_free(e);
		return;
	}
	st->count++;
	e->id = st->next_id++;
	e->type = (unsigned)t;
	for (c = TAILQ_FIRST(&st->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		stream_offer(st, c, e);
	}
}

static void
stream_keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *st = arg;
	struct stream_client *c, *next;
	struct timeval tv = { st->gw->cfg.events_keepalive, 0 };

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&st->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		stream_send(c, ":\n\n", 3);
	}
	if (st->nclients > 0)
		evtimer_add(st->keepalive, &tv);
}

/*
 * Caps the kernel's send buffer of a stream connection, so that a client
 * that stops reading is seen (and dropped) after about [events]
 * client_buffer bytes rather than after megabytes of autotuned TCP buffer,
 * which would be the gateway's memory too.
 */
static void
stream_limit_kernel_buffer(struct stream_client *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);
	int fd = bev != NULL ? (int)bufferevent_getfd(bev) : -1;
	int size = c->st->gw->cfg.events_client_buffer / 4;

	if (fd == -1)
		return;
	if (size < 4096)
		size = 4096;
	if (size > 262144)
		size = 262144;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* Parses ?type=a,b into a mask; -1 on an unknown type. */
static int
stream_parse_types(const char *s, uint32_t *mask)
{
	const char *comma;
	int t;

	*mask = 0;
	while (s != NULL && *s != '\0') {
		comma = strchr(s, ',');
		t = stream_type_index(s, comma != NULL ? (size_t)(comma - s) :
		    strlen(s));
		if (t < 0)
			return -1;
		*mask |= 1u << t;
		s = comma != NULL ? comma + 1 : NULL;
	}
	return 0;
}

/* Sends what the ring holds after last (the client's Last-Event-ID). */
static void
stream_replay(struct stream *st, struct stream_client *c, const char *last)
{
	unsigned long long after;
	struct stream_entry *e;
	char *end, gap[160];
	size_t i;
	int n;

	after = strtoull(last, &end, 10);
	if (*last == '\0' || *end != '\0')
		return;
	if (after + 1 >= st->next_id)
		return;
	stream_tidy(st);
	if (st->count == 0 || after + 1 < stream_at(st, 0)->id) {
		n = snprintf(gap, sizeof(gap), "event: gap\ndata: {\"type\":"
		    "\"gap\",\"from\":%llu,\"to\":%llu,\"detail\":\"events "
		    "no longer kept\"}\n\n", after + 1,
		    (unsigned long long)(st->count > 0 ? stream_at(st, 0)->id :
		    st->next_id) - 1);
		if (stream_send(c, gap, (size_t)n) == -1)
			return;
	}
	for (i = 0; i < st->count; i++) {
		e = stream_at(st, i);
		if (e->id > after && stream_offer(st, c, e) == -1)
			return;
	}
}

void
stream_http(struct http_exchange *hx)
{
	struct stream *st = hx->gw->stream;
	struct evkeyvalq *out = evhttp_request_get_output_headers(hx->req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(hx->req);
	const char *ep = http_query(hx, "ep"), *last;
	struct stream_client *c;
	struct timeval tv = { hx->gw->cfg.events_keepalive, 0 };
	uint32_t types;

	if (stream_parse_types(http_query(hx, "type"), &types) == -1) {
		http_error(hx, 400, "bad_request", "unknown event type in '%s'",
		    http_query(hx, "type"));
		return;
	}
	if (ep != NULL && strlen(ep) > LWM2M_EP_MAX) {
		http_error(hx, 400, "bad_request", "ep too long");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	c->st = st;
	c->hx = hx;
	c->types = types;
	c->conn = evhttp_request_get_connection(hx->req);
	snprintf(c->ep, sizeof(c->ep), "%s", ep != NULL ? ep : "");
	TAILQ_INSERT_TAIL(&st->clients, c, link);
	st->nclients++;
	evhttp_connection_set_closecb(c->conn, stream_client_closed, c);
	stream_limit_kernel_buffer(c);
	metrics_http_count(&hx->gw->metrics, hx->route->pattern, 200);
	evhttp_add_header(out, "Content-Type", "text/event-stream");
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_send_reply_start(hx->req, 200, "OK");
	if (st->nclients == 1)
		evtimer_add(st->keepalive, &tv);
	if ((last = evhttp_find_header(in, "Last-Event-ID")) != NULL)
		stream_replay(st, c, last);
}

static int
stream_init(struct gateway *gw)
{
	struct stream *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	gw->stream = st;
	st->gw = gw;
	st->cap = (size_t)gw->cfg.events_ring;
	/* Ids grow across restarts too, so that a client resuming from
	 * before one is told of the gap rather than fed wrong events. */
	st->next_id = (uint64_t)gw_now() << 20;
	TAILQ_INIT(&st->clients);
	if ((st->ring = calloc(st->cap, sizeof(*st->ring))) == NULL ||
	    (st->keepalive = evtimer_new(gw->base, stream_keepalive_cb, st)) ==
	    NULL)
		return -1;
	return events_subscribe(gw, stream_event, st);
}

static void
stream_stop(struct gateway *gw)
{
	struct stream *st = gw->stream;
	size_t i;

	if (st == NULL)
		return;
	events_unsubscribe(gw, stream_event, st);
	while (!TAILQ_EMPTY(&st->clients))
		stream_client_free(TAILQ_FIRST(&st->clients), 1);
	for (i = 0; i < st->count; i++)
		stream_entry_free(stream_at(st, i));
	if (st->keepalive != NULL)
		event_free(st->keepalive);
	free(st->ring);
	free(st);
	gw->stream = NULL;
}

const struct gw_module stream_module = {
	.name = "events",
	.init = stream_init,
	.stop = stream_stop,
};
