/*
 * regload: a load generator for the LwM2M registration interface.
 *
 * It sends CON POST /rd registrations over CoAP/UDP (RFC 7252) from SOCKETS
 * UDP sockets, each with its own source port, keeping WINDOW requests in
 * flight on each socket. Every registration names a new endpoint
 * (ep=PREFIX<N>, N = 0..TOTAL-1), so a server that stores registrations grows
 * by one device per request.
 *
 * A registration is done when a 2.01 response with its token arrives, either
 * piggybacked on the ACK or as a separate response (RFC 7252 5.2.2): an
 * empty ACK first, then a CON or NON response; a CON response is acknowledged
 * with an empty ACK echoing its Message ID. Requests not acknowledged are
 * retransmitted after 2 s, doubling (4.2), at most 4 times.
 *
 * With -o FILE it writes the Location-Path each registration got (e.g.
 * "rd/1a2b3c", one line per endpoint in order, empty for a failed one) to
 * FILE. With -u FILE it sends registration updates instead: a CON POST
 * to each location of FILE (no payload), done when 2.04 comes; TOTAL is
 * then at most the lines of FILE.
 *
 * It prints one line on stdout: done=N failed=N seconds=F rate=F, and
 * diagnostics on stderr. Targets must be loopback addresses.
 *
 * Standalone on purpose: plain sockets and epoll, no libcoap, so the load
 * generator does not share a CoAP stack with either server it measures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

/* CoAP message types and codes (RFC 7252 3, 12.1). */
#define COAP_CON            0
#define COAP_NON            1
#define COAP_ACK            2
#define COAP_RST            3
#define COAP_CODE_EMPTY     0x00
#define COAP_CODE_POST      0x02
#define COAP_CODE_CREATED   0x41    /* 2.01 */
#define COAP_CODE_CHANGED   0x44    /* 2.04 */
#define COAP_OPT_LOCATION_PATH 8
#define COAP_OPT_URI_PATH   11
#define COAP_OPT_CONTENT_FMT 12
#define COAP_OPT_URI_QUERY  15
#define COAP_FMT_LINK       40

/* Transmission parameters (RFC 7252 4.8), without the random factor. */
#define ACK_TIMEOUT_MS      2000
#define MAX_RETRANSMIT      4
/* How long to wait for a separate response after its empty ACK. */
#define SEPARATE_WAIT_MS    10000
/*
 * After the last CON response, stay a while to ACK it again should the
 * server retransmit it because our ACK was lost (ACK_TIMEOUT * 1.5).
 */
#define LINGER_MS           3000
/* Timers are checked at this granularity. */
#define TICK_MS             50

#define TOKEN_LEN           6       /* 2 bytes slot, 4 bytes sequence */
#define PDU_MAX             256
#define PREFIX_MAX          64
#define REPORT_MAX          5       /* failures described on stderr */
#define LOCATION_MAX        128     /* "rd/ID" */

static const char link_payload[] = "</1/0>,</3/0>,</5/0>";

enum req_state {
	REQ_IDLE,               /* slot free */
	REQ_WAIT_ACK,           /* sent, retransmitting until ACK or response */
	REQ_WAIT_RESPONSE       /* empty ACK seen, waiting for the response */
};

/* One registration in flight; it owns its encoded PDU for retransmission. */
struct request {
	enum req_state	 state;
	uint32_t	 seq;
	uint16_t	 mid;
	unsigned	 retransmits;
	uint64_t	 timeout_ms;
	uint64_t	 deadline_ms;
	unsigned long	 ep;
	size_t		 len;
	uint8_t		 pdu[PDU_MAX];
};

/* One UDP socket (one source port) and its window of requests. */
struct client {
	int		 fd;
	uint16_t	 next_mid;
	uint32_t	 seq_base;
	uint32_t	 next_seq;
	struct request	*reqs;
};

struct options {
	const char	*host;
	unsigned	 port;
	unsigned	 sockets;
	unsigned	 window;
	unsigned long	 total;
	const char	*prefix;
	double		 seconds;
	unsigned long	 lifetime;
	const char	*locs_out;      /* -o: write the locations there */
	const char	*locs_in;       /* -u: update these locations */
	unsigned	 bind_from;	/* -b: source ports from here, in
					   order, those in use skipped */
};

/* The whole run: owned by main, passed to everything. */
struct run {
	struct options	 opt;
	struct client	*clients;
	unsigned	 next_port, last_port;	/* -b */
	int		 epfd;
	unsigned long	 next_ep;
	unsigned long	 in_flight;
	unsigned long	 done;
	unsigned long	 failed;
	unsigned long	 fail_code, fail_timeout, fail_rst, fail_noresp, fail_token;
	unsigned long	 piggybacked, separate_con, separate_non;
	unsigned long	 retransmits, acks_sent, rsts_sent, send_errors;
	uint64_t	 last_con_ms;   /* when the last CON response came */
	unsigned	 reported;
	int		 want;          /* the success code: 2.01, 2.04 */
	char		**locs;         /* per endpoint: -o's, -u's */
};

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: regload -h HOST -p PORT [-s SOCKETS] [-w WINDOW] [-n TOTAL]\n"
	    "               [-e PREFIX] [-t SECONDS] [-l LIFETIME]\n"
	    "               [-o LOCATIONS_OUT | -u LOCATIONS_IN] [-b PORT]\n"
	    "  HOST must be a loopback address; defaults: -s 16 -w 4 -n 1000\n"
	    "  -e regload- -t 60 -l 86400; -b: source ports from PORT up\n"
	    "  (the last one used is printed as last_port=)\n");
	exit(2);
}

static void
parse_options(struct options *o, int argc, char **argv)
{
	char *end;
	int ch;

	o->host = NULL;
	o->port = 0;
	o->sockets = 16;
	o->window = 4;
	o->total = 1000;
	o->prefix = "regload-";
	o->seconds = 60;
	o->lifetime = 86400;
	o->locs_out = o->locs_in = NULL;
	o->bind_from = 0;
	while ((ch = getopt(argc, argv, "h:p:s:w:n:e:t:l:o:u:b:")) != -1) {
		switch (ch) {
		case 'h': o->host = optarg; break;
		case 'p': o->port = (unsigned)parse_ulong(ch, optarg, 1, 65535); break;
		case 's': o->sockets = (unsigned)parse_ulong(ch, optarg, 1, 1024); break;
		case 'w': o->window = (unsigned)parse_ulong(ch, optarg, 1, 256); break;
		case 'n': o->total = parse_ulong(ch, optarg, 1, 100000000); break;
		case 'l': o->lifetime = parse_ulong(ch, optarg, 1, 0xffffffffUL); break;
		case 'o': o->locs_out = optarg; break;
		case 'u': o->locs_in = optarg; break;
		case 'b': o->bind_from = (unsigned)parse_ulong(ch, optarg, 1, 65535); break;
		case 'e':
			if (strlen(optarg) > PREFIX_MAX)
				fatalx("-e: prefix longer than %d bytes", PREFIX_MAX);
			o->prefix = optarg;
			break;
		case 't':
			o->seconds = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(o->seconds > 0) ||
			    o->seconds > 86400)
				fatalx("-t: '%s' is not a number of seconds", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || o->host == NULL || o->port == 0 ||
	    (o->locs_out != NULL && o->locs_in != NULL))
		usage();
}

/*
 * Append one option to a PDU at *pos, given the previous option number.
 * Returns 0, or -1 when it would not fit in cap.
 */
static int
pdu_add_option(uint8_t *pdu, size_t *pos, size_t cap, unsigned *last,
    unsigned number, const void *value, size_t len)
{
	unsigned delta = number - *last;
	uint8_t head[5];
	size_t n = 1;

	if (delta < 13) {
		head[0] = (uint8_t)(delta << 4);
	} else if (delta < 269) {
		head[0] = 13 << 4;
		head[n++] = (uint8_t)(delta - 13);
	} else {
		head[0] = 14 << 4;
		head[n++] = (uint8_t)((delta - 269) >> 8);
		head[n++] = (uint8_t)(delta - 269);
	}
	if (len < 13) {
		head[0] |= (uint8_t)len;
	} else if (len < 269) {
		head[0] |= 13;
		head[n++] = (uint8_t)(len - 13);
	} else {
		head[0] |= 14;
		head[n++] = (uint8_t)((len - 269) >> 8);
		head[n++] = (uint8_t)(len - 269);
	}
	if (*pos + n + len > cap)
		return -1;
	memcpy(pdu + *pos, head, n);
	memcpy(pdu + *pos + n, value, len);
	*pos += n + len;
	*last = number;
	return 0;
}

/* The header and token of a CON POST with r's Message ID and token. */
static size_t
request_head(struct request *r, unsigned slot)
{
	uint8_t *p = r->pdu;
	size_t pos = 0;

	p[pos++] = (uint8_t)(0x40 | (COAP_CON << 4) | TOKEN_LEN);
	p[pos++] = COAP_CODE_POST;
	p[pos++] = (uint8_t)(r->mid >> 8);
	p[pos++] = (uint8_t)r->mid;
	p[pos++] = (uint8_t)(slot >> 8);
	p[pos++] = (uint8_t)slot;
	p[pos++] = (uint8_t)(r->seq >> 24);
	p[pos++] = (uint8_t)(r->seq >> 16);
	p[pos++] = (uint8_t)(r->seq >> 8);
	p[pos++] = (uint8_t)r->seq;
	return pos;
}

/*
 * Encode the update of the registration at location loc ("rd/ID") as a
 * CON POST to it, no payload. Returns 0 or -1.
 */
static int
request_encode_update(struct request *r, const char *loc, unsigned slot)
{
	const char *seg, *slash;
	unsigned last = 0;
	size_t pos = request_head(r, slot);

	for (seg = loc; *seg != '\0'; seg = *slash != '\0' ? slash + 1 : slash) {
		if ((slash = strchr(seg, '/')) == NULL)
			slash = seg + strlen(seg);
		if (pdu_add_option(r->pdu, &pos, PDU_MAX, &last,
		    COAP_OPT_URI_PATH, seg, (size_t)(slash - seg)))
			return -1;
	}
	r->len = pos;
	return 0;
}

/*
 * Encode the registration of endpoint r->ep as a CON POST with the given
 * Message ID and token slot/sequence into r->pdu. Returns 0 or -1.
 */
static int
request_encode(struct request *r, const struct options *o, unsigned slot)
{
	char ep[PREFIX_MAX + 32], lt[32];
	uint8_t fmt = COAP_FMT_LINK;
	unsigned last = 0;
	uint8_t *p = r->pdu;
	size_t pos;
	int eplen, ltlen;

	eplen = snprintf(ep, sizeof(ep), "ep=%s%lu", o->prefix, r->ep);
	ltlen = snprintf(lt, sizeof(lt), "lt=%lu", o->lifetime);
	if (eplen < 0 || (size_t)eplen >= sizeof(ep) || ltlen < 0)
		return -1;
	pos = request_head(r, slot);
	if (pdu_add_option(p, &pos, PDU_MAX, &last, COAP_OPT_URI_PATH, "rd", 2) ||
	    pdu_add_option(p, &pos, PDU_MAX, &last, COAP_OPT_CONTENT_FMT, &fmt, 1) ||
	    pdu_add_option(p, &pos, PDU_MAX, &last, COAP_OPT_URI_QUERY, ep,
	        (size_t)eplen) ||
	    pdu_add_option(p, &pos, PDU_MAX, &last, COAP_OPT_URI_QUERY, lt,
	        (size_t)ltlen) ||
	    pdu_add_option(p, &pos, PDU_MAX, &last, COAP_OPT_URI_QUERY,
	        "lwm2m=1.1", 9) ||
	    pdu_add_option(p, &pos, PDU_MAX, &last, COAP_OPT_URI_QUERY, "b=U", 3))
		return -1;
	if (pos + 1 + sizeof(link_payload) - 1 > PDU_MAX)
		return -1;
	p[pos++] = 0xff;
	memcpy(p + pos, link_payload, sizeof(link_payload) - 1);
	r->len = pos + sizeof(link_payload) - 1;
	return 0;
}

/* Send a datagram; a failed send counts as a lost packet. */
static void
client_send(struct run *run, struct client *c, const uint8_t *buf, size_t len)
{
	if (send(c->fd, buf, len, 0) < 0)
		run->send_errors++;
}

/* Send an empty ACK or RST echoing a Message ID (RFC 7252 4.2, 4.3). */
static void
client_send_empty(struct run *run, struct client *c, int type, uint16_t mid)
{
	uint8_t m[4];

	m[0] = (uint8_t)(0x40 | (type << 4));
	m[1] = COAP_CODE_EMPTY;
	m[2] = (uint8_t)(mid >> 8);
	m[3] = (uint8_t)mid;
	client_send(run, c, m, sizeof(m));
	if (type == COAP_ACK)
		run->acks_sent++;
	else
		run->rsts_sent++;
}

/*
 * Start the next registration in free slot `slot` of client c, if any are
 * left to send. Each gets a fresh Message ID and token.
 */
static void
request_start(struct run *run, struct client *c, unsigned slot, uint64_t now)
{
	struct request *r = &c->reqs[slot];

	if (run->next_ep >= run->opt.total)
		return;
	r->ep = run->next_ep++;
	r->mid = c->next_mid++;
	r->seq = c->next_seq++;
	r->retransmits = 0;
	r->timeout_ms = ACK_TIMEOUT_MS;
	r->deadline_ms = now + ACK_TIMEOUT_MS;
	if (run->opt.locs_in != NULL) {
		if (request_encode_update(r, run->locs[r->ep], slot) == -1)
			fatalx("cannot encode the update of %s",
			    run->locs[r->ep]);
	} else if (request_encode(r, &run->opt, slot) == -1)
		fatalx("cannot encode registration %lu", r->ep);
	r->state = REQ_WAIT_ACK;
	run->in_flight++;
	client_send(run, c, r->pdu, r->len);
}

/* Describe one of the first few failures on stderr. */
static void
report_failure(struct run *run, const struct request *r, const char *what,
    int code)
{
	if (run->reported >= REPORT_MAX)
		return;
	run->reported++;
	if (code >= 0)
		fprintf(stderr, "regload: ep=%s%lu: %s %d.%02d\n", run->opt.prefix,
		    r->ep, what, code >> 5, code & 0x1f);
	else
		fprintf(stderr, "regload: ep=%s%lu: %s\n", run->opt.prefix,
		    r->ep, what);
}

/*
 * Finish request `slot` of client c with a response code (or -1 when it
 * failed without one), then reuse the slot for the next registration.
 */
static void
request_finish(struct run *run, struct client *c, unsigned slot, int code,
    uint64_t now)
{
	struct request *r = &c->reqs[slot];

	if (code == run->want) {
		run->done++;
	} else {
		run->failed++;
		if (code >= 0) {
			run->fail_code++;
			report_failure(run, r, "response", code);
		}
	}
	r->state = REQ_IDLE;
	run->in_flight--;
	request_start(run, c, slot, now);
}

/*
 * Keep the Location-Path of a 2.01 response (options from opt, up to the
 * payload marker or end) for endpoint ep, as "seg/seg". Lengths come
 * from the wire and are checked; a malformed one keeps nothing.
 */
static void
record_location(struct run *run, unsigned long ep, const uint8_t *opt,
    const uint8_t *end)
{
	char loc[LOCATION_MAX];
	unsigned number = 0, delta, len;
	size_t n = 0;

	if (run->locs == NULL || run->opt.locs_in != NULL)
		return;
	while (opt < end && *opt != 0xff) {
		delta = *opt >> 4;
		len = *opt++ & 0x0f;
		if (delta == 15 || len == 15)
			return;
		if (delta == 13) {
			if (opt >= end)
				return;
			delta = 13u + *opt++;
		} else if (delta == 14) {
			if (end - opt < 2)
				return;
			delta = 269u + ((unsigned)opt[0] << 8 | opt[1]);
			opt += 2;
		}
		if (len == 13) {
			if (opt >= end)
				return;
			len = 13u + *opt++;
		} else if (len == 14) {
			if (end - opt < 2)
				return;
			len = 269u + ((unsigned)opt[0] << 8 | opt[1]);
			opt += 2;
		}
		if ((size_t)(end - opt) < len)
			return;
		number += delta;
		if (number == COAP_OPT_LOCATION_PATH) {
			if (n + (n > 0) + len >= sizeof(loc))
				return;
			if (n > 0)
				loc[n++] = '/';
			memcpy(loc + n, opt, len);
			n += len;
		}
		opt += len;
	}
	loc[n] = '\0';
	free(run->locs[ep]);
	if ((run->locs[ep] = strdup(loc)) == NULL)
		fatalx("out of memory");
}

/* Find the request of client c waiting for the ACK of Message ID mid. */
static int
client_find_mid(const struct run *run, const struct client *c, uint16_t mid)
{
	unsigned i;

	for (i = 0; i < run->opt.window; i++)
		if (c->reqs[i].state == REQ_WAIT_ACK && c->reqs[i].mid == mid)
			return (int)i;
	return -1;
}

/*
 * Decode a token: 1 when it is one this client issued (slot and sequence
 * returned), 0 otherwise.
 */
static int
client_own_token(const struct run *run, const struct client *c,
    const uint8_t *tok, size_t len, unsigned *slot, uint32_t *seq)
{
	if (len != TOKEN_LEN)
		return 0;
	*slot = (unsigned)tok[0] << 8 | tok[1];
	*seq = (uint32_t)tok[2] << 24 | (uint32_t)tok[3] << 16 |
	    (uint32_t)tok[4] << 8 | tok[5];
	return *slot < run->opt.window &&
	    (uint32_t)(*seq - c->seq_base) < (uint32_t)(c->next_seq - c->seq_base);
}

/* Handle an ACK or RST: it matches a request by Message ID. */
static void
client_handle_ack(struct run *run, struct client *c, int type, int code,
    uint16_t mid, const uint8_t *tok, size_t toklen, const uint8_t *end,
    uint64_t now)
{
	struct request *r;
	unsigned tslot;
	uint32_t tseq;
	int slot;

	if ((slot = client_find_mid(run, c, mid)) == -1)
		return;         /* duplicate, or for a finished request */
	r = &c->reqs[slot];
	if (type == COAP_RST) {
		run->fail_rst++;
		report_failure(run, r, "reset by server", -1);
		request_finish(run, c, (unsigned)slot, -1, now);
	} else if (code == COAP_CODE_EMPTY) {
		/* Separate response to follow: stop retransmitting (5.2.2). */
		r->state = REQ_WAIT_RESPONSE;
		r->deadline_ms = now + SEPARATE_WAIT_MS;
	} else if (client_own_token(run, c, tok, toklen, &tslot, &tseq) &&
	    tslot == (unsigned)slot && tseq == r->seq) {
		run->piggybacked++;
		if (code == COAP_CODE_CREATED)
			record_location(run, r->ep, tok + toklen, end);
		request_finish(run, c, (unsigned)slot, code, now);
	} else {
		run->fail_token++;
		report_failure(run, r, "piggybacked response with a wrong "
		    "token", -1);
		request_finish(run, c, (unsigned)slot, -1, now);
	}
}

/*
 * Handle a CON or NON message from the server. A response to one of our
 * tokens finishes its request whether or not the empty ACK came first; a CON
 * response is acknowledged every time it arrives, since our ACK may be lost
 * and the server then retransmits it (4.2, 4.5). Anything else CON is reset.
 */
static void
client_handle_message(struct run *run, struct client *c, int type, int code,
    uint16_t mid, const uint8_t *tok, size_t toklen, const uint8_t *end,
    uint64_t now)
{
	struct request *r;
	unsigned slot;
	uint32_t seq;
	int ours;

	ours = code >= 0x40 && client_own_token(run, c, tok, toklen, &slot, &seq);
	if (type == COAP_CON) {
		client_send_empty(run, c, ours ? COAP_ACK : COAP_RST, mid);
		run->last_con_ms = now;
	}
	if (!ours)
		return;
	r = &c->reqs[slot];
	if (r->state == REQ_IDLE || r->seq != seq)
		return;         /* retransmitted response, already counted */
	if (type == COAP_CON)
		run->separate_con++;
	else
		run->separate_non++;
	if (code == COAP_CODE_CREATED)
		record_location(run, r->ep, tok + toklen, end);
	request_finish(run, c, slot, code, now);
}

/*
 * Parse one datagram from the server. Lengths come from the wire and are
 * checked before use; malformed datagrams are dropped.
 */
static void
client_handle_datagram(struct run *run, struct client *c, const uint8_t *buf,
    size_t len, uint64_t now)
{
	int type, code;
	size_t toklen;
	uint16_t mid;

	if (len < 4 || (buf[0] >> 6) != 1)
		return;
	type = (buf[0] >> 4) & 3;
	toklen = buf[0] & 0x0f;
	code = buf[1];
	mid = (uint16_t)(buf[2] << 8 | buf[3]);
	if (toklen > 8 || len < 4 + toklen)
		return;
	if (type == COAP_ACK || type == COAP_RST)
		client_handle_ack(run, c, type, code, mid, buf + 4, toklen,
		    buf + len, now);
	else
		client_handle_message(run, c, type, code, mid, buf + 4, toklen,
		    buf + len, now);
}

/* Read every datagram queued on client c. */
static void
client_read(struct run *run, struct client *c)
{
	uint8_t buf[2048];
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;       /* ICMP from a server not up yet */
			return;                 /* EAGAIN: drained */
		}
		client_handle_datagram(run, c, buf, (size_t)n, now_ms());
	}
}

/*
 * Retransmit requests whose ACK timeout passed, with the timeout doubling,
 * and fail those out of retransmissions or still waiting for a separate
 * response.
 */
static void
run_timers(struct run *run, uint64_t now)
{
	struct client *c;
	struct request *r;
	unsigned i, j;

	for (i = 0; i < run->opt.sockets; i++) {
		c = &run->clients[i];
		for (j = 0; j < run->opt.window; j++) {
			r = &c->reqs[j];
			if (r->state == REQ_IDLE || r->deadline_ms > now)
				continue;
			if (r->state == REQ_WAIT_RESPONSE) {
				run->fail_noresp++;
				report_failure(run, r, "no separate response "
				    "after its empty ACK", -1);
				request_finish(run, c, j, -1, now);
			} else if (r->retransmits >= MAX_RETRANSMIT) {
				run->fail_timeout++;
				report_failure(run, r, "no ACK after 4 "
				    "retransmissions", -1);
				request_finish(run, c, j, -1, now);
			} else {
				r->retransmits++;
				run->retransmits++;
				r->timeout_ms *= 2;
				r->deadline_ms = now + r->timeout_ms;
				client_send(run, c, r->pdu, r->len);
			}
		}
	}
}

/*
 * Binds fd to the next free source port from -b on (so that runs one after
 * the other never share a port: each socket is a session of its own at the
 * server), on the address the load goes to.
 */
static void
bind_next(struct run *run, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len;

	for (; run->next_port <= 65535; run->next_port++) {
		len = resolve_loopback(run->opt.host, run->next_port, &ss);
		if (bind(fd, (struct sockaddr *)&ss, len) == 0) {
			run->last_port = run->next_port++;
			return;
		}
		if (errno != EADDRINUSE)
			fatalx("bind port %u: %s", run->next_port,
			    strerror(errno));
	}
	fatalx("-b: no free source port left");
}

/* Open one connected, non-blocking UDP socket per client. */
static void
run_open(struct run *run)
{
	struct sockaddr_storage ss;
	struct epoll_event ev;
	struct client *c;
	socklen_t sslen;
	unsigned i;
	uint32_t seed;

	sslen = resolve_loopback(run->opt.host, run->opt.port, &ss);
	if ((run->epfd = epoll_create1(0)) == -1)
		fatalx("epoll_create1: %s", strerror(errno));
	run->clients = calloc(run->opt.sockets, sizeof(*run->clients));
	if (run->clients == NULL)
		fatalx("out of memory");
	seed = (uint32_t)getpid() ^ (uint32_t)now_ms();
	for (i = 0; i < run->opt.sockets; i++) {
		c = &run->clients[i];
		c->reqs = calloc(run->opt.window, sizeof(*c->reqs));
		if (c->reqs == NULL)
			fatalx("out of memory");
		c->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (c->fd == -1)
			fatalx("socket: %s", strerror(errno));
		if (run->opt.bind_from != 0)
			bind_next(run, c->fd);
		if (connect(c->fd, (struct sockaddr *)&ss, sslen) == -1)
			fatalx("connect %s:%u: %s", run->opt.host, run->opt.port,
			    strerror(errno));
		seed = seed * 1103515245u + 12345u;
		c->next_mid = (uint16_t)(seed >> 16);
		seed = seed * 1103515245u + 12345u;
		c->seq_base = c->next_seq = seed;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(run->epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
			fatalx("epoll_ctl: %s", strerror(errno));
	}
}

/*
 * Drive the run until every registration is done or failed, or the time
 * limit passes. Returns the elapsed seconds.
 */
static double
run_loop(struct run *run)
{
	struct epoll_event evs[256];
	uint64_t now, next_tick, end;
	double start;
	unsigned i, j;
	int n, k, wait;

	start = now_s();
	now = now_ms();
	end = now + (uint64_t)(run->opt.seconds * 1000);
	/* Fill the windows slot-major, so small runs spread over sockets. */
	for (j = 0; j < run->opt.window; j++)
		for (i = 0; i < run->opt.sockets; i++)
			request_start(run, &run->clients[i], j, now);
	next_tick = now + TICK_MS;
	while (run->in_flight > 0 && now < end) {
		wait = (int)((next_tick < end ? next_tick : end) - now);
		n = epoll_wait(run->epfd, evs, 256, wait < 0 ? 0 : wait);
		if (n < 0 && errno != EINTR)
			fatalx("epoll_wait: %s", strerror(errno));
		for (k = 0; k < n; k++)
			client_read(run, &run->clients[evs[k].data.u32]);
		now = now_ms();
		if (now >= next_tick) {
			run_timers(run, now);
			next_tick = now + TICK_MS;
		}
	}
	return now_s() - start;
}

/*
 * Once the measured part is over, abandon what is still in flight and keep
 * acknowledging retransmitted CON responses until LINGER_MS after the last
 * one, so a server is not left retransmitting to a closed port. Nothing
 * received here is counted.
 */
static void
run_linger(struct run *run)
{
	struct epoll_event evs[256];
	uint64_t now;
	unsigned i, j;
	int n, k;

	for (i = 0; i < run->opt.sockets; i++)
		for (j = 0; j < run->opt.window; j++)
			run->clients[i].reqs[j].state = REQ_IDLE;
	run->in_flight = 0;
	run->next_ep = run->opt.total;
	if (run->last_con_ms == 0)
		return;
	while ((now = now_ms()) < run->last_con_ms + LINGER_MS) {
		n = epoll_wait(run->epfd, evs, 256,
		    (int)(run->last_con_ms + LINGER_MS - now));
		if (n < 0 && errno != EINTR)
			fatalx("epoll_wait: %s", strerror(errno));
		for (k = 0; k < n; k++)
			client_read(run, &run->clients[evs[k].data.u32]);
	}
}

/* -u: reads the locations (at most TOTAL), and TOTAL becomes their count. */
static void
locations_read(struct run *run)
{
	FILE *f = fopen(run->opt.locs_in, "r");
	char line[LOCATION_MAX + 2];
	unsigned long n = 0;
	size_t len;

	if (f == NULL)
		fatalx("%s: %s", run->opt.locs_in, strerror(errno));
	while (n < run->opt.total && fgets(line, sizeof(line), f) != NULL) {
		len = strcspn(line, "\n");
		line[len] = '\0';
		if (len == 0)
			continue;       /* a registration that had failed */
		if ((run->locs[n++] = strdup(line)) == NULL)
			fatalx("out of memory");
	}
	fclose(f);
	if (n == 0)
		fatalx("%s: no locations", run->opt.locs_in);
	run->opt.total = n;
}

/* -o: one line per endpoint, empty for one that got no location. */
static void
locations_write(struct run *run)
{
	FILE *f = fopen(run->opt.locs_out, "w");
	unsigned long i;

	if (f == NULL)
		fatalx("%s: %s", run->opt.locs_out, strerror(errno));
	for (i = 0; i < run->opt.total; i++)
		fprintf(f, "%s\n", run->locs[i] != NULL ? run->locs[i] : "");
	if (fclose(f) != 0)
		fatalx("%s: %s", run->opt.locs_out, strerror(errno));
}

int
main(int argc, char **argv)
{
	struct run run;
	double secs;

	memset(&run, 0, sizeof(run));
	parse_options(&run.opt, argc, argv);
	run.next_port = run.opt.bind_from;
	run.want = run.opt.locs_in != NULL ? COAP_CODE_CHANGED :
	    COAP_CODE_CREATED;
	if (run.opt.locs_in != NULL || run.opt.locs_out != NULL) {
		if ((run.locs = calloc(run.opt.total, sizeof(*run.locs))) ==
		    NULL)
			fatalx("out of memory");
		if (run.opt.locs_in != NULL)
			locations_read(&run);
	}
	if (run.opt.total / run.opt.sockets > 60000)
		fprintf(stderr, "regload: warning: over 60000 requests per "
		    "socket; Message IDs will repeat within EXCHANGE_LIFETIME\n");
	run_open(&run);
	secs = run_loop(&run);

	if (run.failed > 0)
		fprintf(stderr, "regload: failed: %lu error responses, %lu "
		    "without ACK, %lu reset, %lu without separate response, "
		    "%lu with a wrong token\n", run.fail_code,
		    run.fail_timeout, run.fail_rst, run.fail_noresp,
		    run.fail_token);
	if (run.in_flight > 0 || run.next_ep < run.opt.total)
		fprintf(stderr, "regload: time limit: %lu still in flight, %lu "
		    "never sent (neither done nor failed)\n", run.in_flight,
		    run.opt.total - run.next_ep);
	run_linger(&run);
	if (run.opt.locs_out != NULL)
		locations_write(&run);
	fprintf(stderr, "regload: responses: piggybacked=%lu separate_con=%lu "
	    "separate_non=%lu; sent acks=%lu rsts=%lu retransmits=%lu "
	    "send_errors=%lu\n", run.piggybacked, run.separate_con,
	    run.separate_non, run.acks_sent, run.rsts_sent, run.retransmits,
	    run.send_errors);
	printf("done=%lu failed=%lu seconds=%.3f rate=%.1f", run.done,
	    run.failed, secs, secs > 0 ? (double)run.done / secs : 0.0);
	if (run.opt.bind_from != 0)
		printf(" last_port=%u", run.last_port);
	printf("\n");
	return 0;
}
