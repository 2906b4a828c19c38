/*
 * test_stream.c: unit tests for proxy/stream.c, the event stream (SSE).
 *
 * Each test runs the stream and the HTTP face as main.c does (on
 * 127.0.0.1 and a free port) and its clients in the same process: plain
 * HTTP/1.0 sockets (so the stream comes unchunked) read from the one wait
 * loop that also turns the gateway's reactor (wait_until), never a sleep.
 *
 * What is pinned: with no client, events are kept packed and none is
 * formatted (outpost_events_formatted_total stays 0); a client that
 * connects later and replays (Last-Event-ID) gets byte for byte the text
 * the stream made at emit time before it formatted lazily (the test's own
 * sink makes that text as the old code did: "id: N\nevent: TYPE\ndata:
 * JSON\n\n" of the object as emitted), for objects of every JSON type,
 * nested, raw numbers, escapes; each event is formatted once however many
 * clients read it; a live client's filters (type, ep) decide without
 * formatting; the ring's eviction frees both forms (the ASan build
 * checks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <event2/event.h>

#include "gateway.h"
#include "cache/events.h"
#include "tests/unit/testutil.h"

#define WAIT_LIMIT_MS	10000
#define NEXPECT		64
#define RING		16		/* [events] ring's least */

/* What the old stream made of an event at emit time, less its id line. */
struct expect {
	char		*text;		/* "event: ..\ndata: ..\n\n" */
};

struct client {
	int		 fd;
	char		 buf[65536];
	size_t		 len;
	int		 closed;
};

struct fixture {
	struct gateway	 gw;
	size_t		 started;
	struct expect	 exp[NEXPECT];
	size_t		 nexp;
	int		 sink_on;
};

static const struct gw_module *const modules[] = {
	&stream_module,
	&http_module,
};
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The test's own sink, after the stream: the text as the old code made
 * it, from the object as every sink sees it during events_emit. */
static void
old_sink(struct gateway *gw, const char *type, const cJSON *event, void *arg)
{
	struct fixture *f = arg;
	char *data;

	(void)gw;
	if (f->nexp == NEXPECT)
		fail_msg("more than %d events", NEXPECT);
	assert_non_null(data = cJSON_PrintUnformatted(event));
	assert_true(asprintf(&f->exp[f->nexp++].text,
	    "event: %s\ndata: %s\n\n", type, data) > 0);
	free(data);
}

/* One turn: the reactor, then what each client can read. */
static void
pump(struct fixture *f, struct client **cs, size_t n)
{
	struct pollfd pfd[8];
	ssize_t r;
	size_t i;

	(void)f;
	for (i = 0; i < n; i++) {
		pfd[i].fd = cs[i]->fd;
		pfd[i].events = POLLIN;
	}
	(void)poll(pfd, n, 5);
	event_base_loop(f->gw.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	for (i = 0; i < n; i++) {
		if (cs[i]->closed)
			continue;
		r = recv(cs[i]->fd, cs[i]->buf + cs[i]->len,
		    sizeof(cs[i]->buf) - 1 - cs[i]->len, 0);
		if (r > 0) {
			cs[i]->len += (size_t)r;
			cs[i]->buf[cs[i]->len] = '\0';
		} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			cs[i]->closed = 1;
	}
}

#define wait_until(f, cs, n, cond) do {					\
	int64_t deadline_ = now_ms() + WAIT_LIMIT_MS;			\
	while (!(cond)) {						\
		if (now_ms() > deadline_)				\
			fail_msg("line %d: gave up waiting for %s",	\
			    __LINE__, #cond);				\
		pump(f, cs, n);						\
	}								\
} while (0)

/* The stream's body so far: what follows the headers. */
static const char *
body(const struct client *c)
{
	const char *p = strstr(c->buf, "\r\n\r\n");

	return p != NULL ? p + 4 : "";
}

/* Events ("id: " lines) in the body. */
static size_t
nevents(const struct client *c)
{
	const char *p = body(c);
	size_t n = 0;

	if (strncmp(p, "id: ", 4) == 0)
		n++;
	while ((p = strstr(p, "\nid: ")) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Opens GET /v1/events?query with Last-Event-ID last (NULL: none) and
 * waits for the headers. */
static void
client_open(struct fixture *f, struct client *c, const char *query,
    const char *last)
{
	struct sockaddr_in sin;
	char req[256];
	int n;

	memset(c, 0, sizeof(*c));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(f->gw.cfg.http_listen.port);
	assert_true((c->fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	assert_int_not_equal(fcntl(c->fd, F_SETFL, O_NONBLOCK), -1);
	n = snprintf(req, sizeof(req), "GET /v1/events%s%s HTTP/1.0\r\n"
	    "%s%s%s\r\n", query != NULL ? "?" : "", query != NULL ? query : "",
	    last != NULL ? "Last-Event-ID: " : "", last != NULL ? last : "",
	    last != NULL ? "\r\n" : "");
	assert_int_equal(send(c->fd, req, (size_t)n, 0), n);
	wait_until(f, &c, 1, strstr(c->buf, "\r\n\r\n") != NULL);
	assert_non_null(strstr(c->buf, "200 OK"));
	assert_non_null(strstr(c->buf, "text/event-stream"));
}

/* A registration event as modules/device/registry.c emits one. */
static void
emit_reg(struct fixture *f, const char *type, const char *ep, int lifetime)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "registration_id", "0123456789abcdef");
	cJSON_AddNumberToObject(e, "lifetime", lifetime);
	cJSON_AddStringToObject(e, "binding", "UQ");
	events_emit(&f->gw, type, ep, e);
}

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static uint16_t
free_tcp_port(void)
{
	uint16_t port = free_loopback_port(SOCK_STREAM);

	if (port == 0)
		fail_msg("cannot find a free TCP port");
	return port;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct gateway *gw;
	char hp[32], err[128];
	size_t i;

	if (f == NULL)
		return -1;
	gw = &f->gw;
	config_defaults(&gw->cfg);
	gw->cfg.events_ring = RING;
	if ((gw->base = event_base_new()) == NULL)
		return -1;
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", free_tcp_port());
	if (config_parse_hostport(hp, &gw->cfg.http_listen, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	for (f->started = 0; f->started < NMODULES; f->started++)
		if (modules[f->started]->init != NULL &&
		    modules[f->started]->init(gw) == -1)
			fail_msg("%s: init failed", modules[f->started]->name);
	for (i = 0; i < NMODULES; i++)
		if (modules[i]->start != NULL && modules[i]->start(gw) == -1)
			fail_msg("%s: start failed", modules[i]->name);
	assert_int_equal(events_subscribe(gw, old_sink, f), 0);
	f->sink_on = 1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct gateway *gw = &f->gw;
	size_t i;

	if (f->sink_on)
		events_unsubscribe(gw, old_sink, f);
	gw->stopping = 1;
	while (f->started-- > 0)
		if (modules[f->started]->stop != NULL)
			modules[f->started]->stop(gw);
	event_base_free(gw->base);
	for (i = 0; i < f->nexp; i++)
		free(f->exp[i].text);
	free(f);
	return 0;
}

/* Checks that the body of c, after skip bytes, is the events from
 * f->exp[from] on, with consecutive ids from *first (0: take the first
 * one's); returns the bytes checked. */
static size_t
check_events(struct fixture *f, const struct client *c, size_t skip,
    size_t from, size_t count, unsigned long long *first)
{
	const char *p = body(c) + skip, *start = p;
	unsigned long long id;
	char *end;
	size_t i, n;

	for (i = 0; i < count; i++) {
		assert_int_equal(strncmp(p, "id: ", 4), 0);
		id = strtoull(p + 4, &end, 10);
		assert_ptr_not_equal(end, p + 4);
		assert_int_equal(*end, '\n');
		if (*first == 0)
			*first = id - from;
		assert_int_equal(id, *first + from + i);
		p = end + 1;
		n = strlen(f->exp[from + i].text);
		if (strncmp(p, f->exp[from + i].text, n) != 0)
			fail_msg("event %zu: got '%.*s', the old text was "
			    "'%s'", from + i, (int)n, p, f->exp[from + i].text);
		p += n;
	}
	return (size_t)(p - start);
}

/* No client: nothing formatted. A client that connects later and asks
 * from before the first gets a gap, then every event, each the old text;
 * a second such client makes no more formatting. */
static void
test_lazy_replay(void **state)
{
	struct fixture *f = *state;
	struct client a, b, *ab[2] = { &a, &b };
	unsigned long long first = 0;
	const char *p;
	size_t i, skip;

	for (i = 0; i < 8; i++) {
		char ep[16];

		snprintf(ep, sizeof(ep), "dev-%zu", i);
		emit_reg(f, i % 2 ? "update" : "registration", ep, 300 + (int)i);
	}
	/* Of no device, of every type, nested, with escapes, numbers that
	 * print in each of cJSON's ways, a raw one: the same text too. */
	events_emit(&f->gw, "job", NULL, cJSON_Parse("{\"job\":7,"
	    "\"name\":\"a \\\"q\\\" \\u00e9\\n\\u0001\",\"ratio\":0.1,"
	    "\"big\":1e300,\"neg\":-2147483649,\"third\":0.3333333333333333,"
	    "\"t\":true,\"f\":false,\"n\":null,\"e\":{},\"a\":[],"
	    "\"deep\":{\"x\":[1,[2,{\"y\":\"\"}],{}],\"k\\\"ey\":-0.5}}"));
	{
		cJSON *e = cJSON_CreateObject();

		cJSON_AddRawToObject(e, "value", "21.50");
		cJSON_AddNumberToObject(e, "nan", NAN);
		cJSON_AddItemToObject(e, "list", cJSON_CreateRaw("[1, 2]"));
		events_emit(&f->gw, "notification", "dev-1", e);
	}
	assert_int_equal(f->nexp, 10);
	assert_int_equal(f->gw.metrics.events_formatted, 0);

	client_open(f, &a, NULL, "0");
	wait_until(f, ab, 1, nevents(&a) == 10 &&
	    strcmp(a.buf + a.len - 2, "\n\n") == 0);
	p = body(&a);
	assert_int_equal(strncmp(p, "event: gap\ndata: {\"type\":\"gap\","
	    "\"from\":1,", 33), 0);
	skip = (size_t)(strstr(p, "\n\n") + 2 - p);
	skip += check_events(f, &a, skip, 0, 10, &first);
	assert_int_equal(skip, strlen(body(&a)));
	assert_int_equal(f->gw.metrics.events_formatted, 10);

	/* From the fifth on: no gap, the same texts, nothing formatted. */
	{
		char last[32];

		snprintf(last, sizeof(last), "%llu", first + 4);
		client_open(f, &b, NULL, last);
	}
	wait_until(f, ab, 2, nevents(&b) == 5 &&
	    strcmp(b.buf + b.len - 2, "\n\n") == 0);
	assert_int_equal(check_events(f, &b, 0, 5, 5, &first),
	    strlen(body(&b)));
	assert_int_equal(f->gw.metrics.events_formatted, 10);

	/* Live: both get the next one, formatted once. */
	emit_reg(f, "deregistration", "dev-3", 300);
	wait_until(f, ab, 2, nevents(&a) == 11 && nevents(&b) == 6 &&
	    strcmp(b.buf + b.len - 2, "\n\n") == 0 &&
	    strcmp(a.buf + a.len - 2, "\n\n") == 0);
	check_events(f, &a, skip, 10, 1, &first);
	assert_int_equal(f->gw.metrics.events_formatted, 11);
	close(a.fd);
	close(b.fd);
}

/* A live client's filters decide on the kept event: what it does not
 * want is not formatted. */
static void
test_filters_need_no_text(void **state)
{
	struct fixture *f = *state;
	struct client c, *cs = &c;
	unsigned long long first = 0;

	client_open(f, &c, "type=update&ep=dev-2", NULL);
	emit_reg(f, "registration", "dev-2", 300);	/* not its type */
	emit_reg(f, "update", "dev-1", 300);		/* not its ep */
	emit_reg(f, "update", "dev-2", 301);		/* its */
	wait_until(f, &cs, 1, nevents(&c) == 1 &&
	    strcmp(c.buf + c.len - 2, "\n\n") == 0);
	assert_int_equal(f->gw.metrics.events_formatted, 1);
	assert_int_equal(check_events(f, &c, 0, 2, 1, &first),
	    strlen(body(&c)));

	/* More that it does not want: still kept as they came. */
	emit_reg(f, "registration", "dev-2", 302);
	emit_reg(f, "update", "dev-3", 303);
	events_emit(&f->gw, "job", NULL, NULL);
	pump(f, &cs, 1);
	assert_int_equal(f->gw.metrics.events_formatted, 1);
	assert_int_equal(nevents(&c), 1);
	close(c.fd);
}

/* A full ring drops its oldest, formatted or not: a replay from 0 has a
 * gap up to the oldest kept, then the RING newest, each the old text. */
static void
test_ring_eviction(void **state)
{
	struct fixture *f = *state;
	struct client a, b, *pa = &a, *pb = &b;
	unsigned long long first = 0;
	size_t i, skip;
	const char *p;
	char gap[96];

	for (i = 0; i < 10; i++)
		emit_reg(f, "registration", "early", (int)i);
	client_open(f, &a, NULL, "0");	/* formats those 10 */
	wait_until(f, &pa, 1, nevents(&a) == 10 &&
	    strcmp(a.buf + a.len - 2, "\n\n") == 0);
	close(a.fd);
	while (f->nexp < 10 + RING + 5)
		emit_reg(f, "update", "late", (int)f->nexp);
	client_open(f, &b, NULL, "0");
	wait_until(f, &pb, 1, nevents(&b) == RING &&
	    strcmp(b.buf + b.len - 2, "\n\n") == 0);
	p = body(&b);
	skip = (size_t)(strstr(p, "\n\n") + 2 - p);
	first = 0;
	skip += check_events(f, &b, skip, f->nexp - RING, RING, &first);
	assert_int_equal(skip, strlen(p));
	snprintf(gap, sizeof(gap), "\"to\":%llu,", first + f->nexp - RING - 1);
	assert_non_null(strstr(p, gap));
	close(b.fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lazy_replay, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_filters_need_no_text,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_eviction, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
