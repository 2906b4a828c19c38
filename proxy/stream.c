/*
 * stream.c: the event stream (SSE) to management clients.
 *
 * Every event gets an id and is kept in a ring of [events] ring entries,
 * packed (below) until a client wants it: then it is formatted, once, and
 * kept as that text. With no client connected nothing is formatted. A
 * client gets the ring entries after its
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

/*
 * An event of the ring: one allocation, blob, that holds its ep ("" for
 * none) and then, until a client wants the event, the object packed, or
 * after that its text. Packed, each node in pre-order is a type byte
 * (cJSON's), for a member of an object its key (a length, the bytes),
 * then a number's double, a string's or raw's length and bytes, an array's
 * or object's count of children; lengths are LEB128. A registration takes
 * 130 bytes so, against 720 as cJSON's tree and 190 as text (and its
 * creation or eviction is one malloc or free, where the tree's are ten).
 * Its text is cJSON's of the object made again, the same bytes as that
 * of the object emitted.
 */
struct stream_entry {
	uint64_t	 id;
	unsigned	 type;		/* index in stream_types */
	int		 formatted;	/* blob holds the text */
	char		*blob;		/* ep, NUL, packed or text+NUL */
	size_t		 len;		/* of the packed object or the text */
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
	free(e->blob);
	memset(e, 0, sizeof(*e));
}

static const char *
stream_entry_ep(const struct stream_entry *e)
{
	return e->blob[0] != '\0' ? e->blob : NULL;
}

static const char *
stream_entry_data(const struct stream_entry *e)
{
	return e->blob + strlen(e->blob) + 1;
}

static size_t
pack_len_size(size_t n)
{
	size_t k = 1;

	while (n >= 0x80) {
		n >>= 7;
		k++;
	}
	return k;
}

static uint8_t *
pack_len(uint8_t *p, size_t n)
{
	while (n >= 0x80) {
		*p++ = (uint8_t)(n | 0x80);
		n >>= 7;
	}
	*p++ = (uint8_t)n;
	return p;
}

static size_t
pack_bytes_size(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return pack_len_size(n) + n;
}

static uint8_t *
pack_bytes(uint8_t *p, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	p = pack_len(p, n);
	memcpy(p, s != NULL ? s : "", n);
	return p + n;
}

/* The packed size of n (member: with its key). */
static size_t
pack_size(const cJSON *n, int member)
{
	const cJSON *c;
	size_t size = 1, k = 0;

	if (member)
		size += pack_bytes_size(n->string);
	switch (n->type & 0xff) {
	case cJSON_Number:
		return size + sizeof(double);
	case cJSON_String:
	case cJSON_Raw:
		return size + pack_bytes_size(n->valuestring);
	case cJSON_Array:
	case cJSON_Object:
		for (c = n->child; c != NULL; c = c->next, k++)
			size += pack_size(c, (n->type & 0xff) == cJSON_Object);
		return size + pack_len_size(k);
	default:
		return size;
	}
}

static uint8_t *
pack(uint8_t *p, const cJSON *n, int member)
{
	const cJSON *c;
	size_t k = 0;

	*p++ = (uint8_t)(n->type & 0xff);
	if (member)
		p = pack_bytes(p, n->string);
	switch (n->type & 0xff) {
	case cJSON_Number:
		memcpy(p, &n->valuedouble, sizeof(double));
		return p + sizeof(double);
	case cJSON_String:
	case cJSON_Raw:
		return pack_bytes(p, n->valuestring);
	case cJSON_Array:
	case cJSON_Object:
		for (c = n->child; c != NULL; c = c->next)
			k++;
		p = pack_len(p, k);
		for (c = n->child; c != NULL; c = c->next)
			p = pack(p, c, (n->type & 0xff) == cJSON_Object);
		return p;
	default:
		return p;
	}
}

/* Reads a length: 0, or -1 past end. */
static int
unpack_len(const uint8_t **p, const uint8_t *end, size_t *n)
{
	unsigned shift = 0;

	*n = 0;
	do {
		if (*p == end || shift > 56)
			return -1;
		*n |= (size_t)(**p & 0x7f) << shift;
		shift += 7;
	} while (*(*p)++ & 0x80);
	return 0;
}

/* Reads bytes into a string of their own (free it); NULL past end. */
static char *
unpack_bytes(const uint8_t **p, const uint8_t *end)
{
	size_t n;
	char *s;

	if (unpack_len(p, end, &n) == -1 || (size_t)(end - *p) < n ||
	    (s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += n;
	return s;
}

/* Makes the object packed at *p again (and its key, for a member). */
static cJSON *
unpack(const uint8_t **p, const uint8_t *end, char **key)
{
	cJSON *n = NULL, *c;
	char *s = NULL, *ckey;
	size_t k;
	double d;
	int type;

	if (*p == end)
		return NULL;
	type = *(*p)++;
	if (key != NULL && (*key = unpack_bytes(p, end)) == NULL)
		return NULL;
	switch (type) {
	case cJSON_False:
		return cJSON_CreateFalse();
	case cJSON_True:
		return cJSON_CreateTrue();
	case cJSON_NULL:
		return cJSON_CreateNull();
	case cJSON_Number:
		if ((size_t)(end - *p) < sizeof(d))
			return NULL;
		memcpy(&d, *p, sizeof(d));
		*p += sizeof(d);
		return cJSON_CreateNumber(d);
	case cJSON_String:
	case cJSON_Raw:
		if ((s = unpack_bytes(p, end)) == NULL)
			return NULL;
		n = type == cJSON_String ? cJSON_CreateString(s) :
		    cJSON_CreateRaw(s);
		free(s);
		return n;
	case cJSON_Array:
	case cJSON_Object:
		if (unpack_len(p, end, &k) == -1 ||
		    (n = type == cJSON_Array ? cJSON_CreateArray() :
		    cJSON_CreateObject()) == NULL)
			return NULL;
		while (k-- > 0) {
			ckey = NULL;
			c = unpack(p, end, type == cJSON_Object ? &ckey : NULL);
			if (c == NULL || (type == cJSON_Array ?
			    !cJSON_AddItemToArray(n, c) :
			    !cJSON_AddItemToObject(n, ckey, c))) {
				cJSON_Delete(c);
				free(ckey);
				cJSON_Delete(n);
				return NULL;
			}
			free(ckey);
		}
		return n;
	default:
		return NULL;
	}
}

/* Sets e's blob: ep, then the event's text made of object. 0 or -1. */
static int
stream_format(struct stream *st, struct stream_entry *e, const char *ep,
    const cJSON *object)
{
	size_t eplen = ep != NULL ? strlen(ep) : 0;
	char *data, *blob;
	int n;

	if ((data = cJSON_PrintUnformatted(object)) == NULL)
		return -1;
	n = snprintf(NULL, 0, "id: %llu\nevent: %s\ndata: %s\n\n",
	    (unsigned long long)e->id, stream_types[e->type], data);
	if (n < 0 || (blob = malloc(eplen + 1 + (size_t)n + 1)) == NULL) {
		free(data);
		return -1;
	}
	memcpy(blob, ep != NULL ? ep : "", eplen + 1);
	snprintf(blob + eplen + 1, (size_t)n + 1,
	    "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)e->id,
	    stream_types[e->type], data);
	free(data);
	free(e->blob);
	e->blob = blob;
	e->len = (size_t)n;
	e->formatted = 1;
	st->gw->metrics.events_formatted++;
	return 0;
}

/* The entry's SSE text, formatted on the first call; NULL when it
 * cannot be made (the entry is then skipped). */
static const char *
stream_text(struct stream *st, struct stream_entry *e)
{
	const uint8_t *p, *end;
	cJSON *object;
	int rc;

	if (e->formatted)
		return stream_entry_data(e);
	p = (const uint8_t *)stream_entry_data(e);
	end = p + e->len;
	if ((object = unpack(&p, end, NULL)) == NULL)
		return NULL;
	rc = stream_format(st, e, stream_entry_ep(e), object);
	cJSON_Delete(object);
	return rc == 0 ? stream_entry_data(e) : NULL;
}

/* Sends e to c if it passes c's filters (which need no text). */
static int
stream_offer(struct stream *st, struct stream_client *c,
    struct stream_entry *e)
{
	if (!stream_wants(c, e->type, stream_entry_ep(e)) ||
	    stream_text(st, e) == NULL)
		return 0;
	return stream_send(c, stream_entry_data(e), e->len);
}

/* Keeps event packed in e's blob, after ep. 0 or -1. */
static int
stream_pack(struct stream_entry *e, const char *ep, const cJSON *event)
{
	size_t eplen = ep != NULL ? strlen(ep) : 0;
	size_t size = pack_size(event, 0);

	if ((e->blob = malloc(eplen + 1 + size)) == NULL)
		return -1;
	memcpy(e->blob, ep != NULL ? ep : "", eplen + 1);
	pack((uint8_t *)e->blob + eplen + 1, event, 0);
	e->len = size;
	return 0;
}

/* Events sink: keep the event in the ring, send it to who wants it. */
static void
stream_event(struct gateway *gw, const char *type, const cJSON *event,
    void *arg)
{
	struct stream *st = arg;
	struct stream_client *c, *next;
	struct stream_entry *e;
	const cJSON *epj = cJSON_GetObjectItemCaseSensitive(event, "ep");
	const char *ep = cJSON_IsString(epj) ? epj->valuestring : NULL;
	int t = stream_type_index(type, strlen(type)), wanted = 0;

	(void)gw;
	if (t < 0)
		return;
	if (st->count == st->cap) {		/* the oldest goes */
		stream_entry_free(stream_at(st, 0));
		st->first = (st->first + 1) % st->cap;
		st->count--;
	}
	e = stream_at(st, st->count);
	e->id = st->next_id;
	e->type = (unsigned)t;
	TAILQ_FOREACH(c, &st->clients, link)
		if ((wanted = stream_wants(c, e->type, ep)) != 0)
			break;
	/* Formatted now from the object at hand if a client wants it,
	 * else packed for later. */
	if ((wanted ? stream_format(st, e, ep, event) :
	    stream_pack(e, ep, event)) == -1) {
		stream_entry_free(e);
		return;
	}
	st->count++;
	st->next_id++;
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
