/*
 * ssecount: CLIENTS Server-Sent Events clients of one stream, counting what
 * each of them receives.
 *
 * Each client opens its own connection, sends GET PATH (HTTP/1.1), decodes
 * the chunked body and parses the event stream (the "id", "event" and
 * "data" fields; comments are keep-alives). Per client it counts:
 *   events        events received in the measured interval;
 *   lost          ids skipped: the gateway numbers every event it emits, so
 *                 a client that takes every type must see each id once, in
 *                 order (counted from its first event to the end);
 *   disorder      ids not above the previous one;
 *   gap_events    "gap" events, the gateway's own word for lost events;
 *   device_gaps   for "notification" events whose value is an integer (a
 *                 counter or a clock, /3/0/13 on outpost-node): values
 *                 skipped per device ("ep"): values no event carried
 *                 (not sent, lost before the gateway, or refused there
 *                 as older than one it had);
 *   silent        devices heard from before whose last notification is
 *                 more than SILENT_S seconds old at the end (their values
 *                 stopped, which device_gaps cannot count);
 *   closed        the gateway ended the stream (it drops clients that do
 *                 not keep up).
 * The interval starts WARMUP seconds after the clients connected and
 * lasts SECONDS. With -P, the CPU time (utime + stime of /proc/PID/stat)
 * that process used in the interval, as % of one core, and its RssAnon at
 * the end are printed too.
 *
 * It prints one line per client and one "total:" line on stdout,
 * diagnostics on stderr, and exits 1 when it cannot run (no connection, no
 * 200). Standalone on purpose: plain sockets and epoll, so that the client
 * shares no code with the server it measures; its own CPU is reported so a
 * reader can see it kept up.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define CLIENTS_MAX	1024
#define HEAD_MAX	8192		/* bytes of the response head */
#define LINE_MAX_LEN	16384		/* an SSE line; longer ones are cut */
#define DEV_SLOTS	65536		/* devices told apart, power of 2 */
#define EP_MAX		64
#define SILENT_S	3.0		/* see "silent" above */

enum body_state { BODY_SIZE, BODY_DATA, BODY_DATA_END, BODY_RAW, BODY_DONE };

/* One stream client and its counts. */
struct client {
	int		 fd;
	int		 head_done, chunked, closed;
	enum body_state	 bstate;
	size_t		 chunk_left;
	char		 head[HEAD_MAX];
	size_t		 head_len;
	char		 line[LINE_MAX_LEN];
	size_t		 line_len;
	char		 sizeline[32];
	size_t		 sizeline_len;

	/* the event being read */
	int		 has_id;
	uint64_t	 id;
	char		 type[32];
	char		*data;
	size_t		 data_len, data_cap;

	/* counts */
	int		 seen_any;
	uint64_t	 last_id;
	unsigned long	 events, notifications, lost, disorder, gap_events;
	unsigned long	 device_gaps, device_repeats;
	int64_t		*dev_last;	/* per device index, INT64_MIN: none */
	double		*dev_at;	/* when dev_last came */
};

struct options {
	const char	*host;
	unsigned	 port;
	unsigned	 clients;
	double		 warmup, seconds;
	const char	*path;
	long		 pid;
};

/* The devices' names, shared by all clients: ep -> index. */
struct devices {
	char		(*ep)[EP_MAX + 1];
	size_t		 count;
};

static struct devices	devs;
static int		measuring;

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ssecount -h HOST -p PORT [-c CLIENTS] [-w WARMUP] [-t SECONDS]\n"
	    "                [-q PATH] [-P PID]\n"
	    "  HOST must be a loopback address; defaults: -c 10 -w 2 -t 10\n"
	    "  -q /v1/events\n");
	exit(2);
}

static double
parse_seconds(int flag, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v >= 0) || v > 86400)
		fatalx("-%c: '%s' is not a number of seconds", flag, s);
	return v;
}

static void
parse_options(struct options *o, int argc, char **argv)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->clients = 10;
	o->warmup = 2;
	o->seconds = 10;
	o->path = "/v1/events";
	while ((ch = getopt(argc, argv, "h:p:c:w:t:q:P:")) != -1) {
		switch (ch) {
		case 'h': o->host = optarg; break;
		case 'p': o->port = (unsigned)parse_ulong(ch, optarg, 1, 65535); break;
		case 'c': o->clients = (unsigned)parse_ulong(ch, optarg, 1, CLIENTS_MAX); break;
		case 'w': o->warmup = parse_seconds(ch, optarg); break;
		case 't': o->seconds = parse_seconds(ch, optarg); break;
		case 'q':
			if (optarg[0] != '/' || strpbrk(optarg, " \r\n") != NULL)
				fatalx("-q: '%s' is not a path", optarg);
			o->path = optarg;
			break;
		case 'P': o->pid = (long)parse_ulong(ch, optarg, 1, 4194304); break;
		default:
			usage();
		}
	}
	if (optind != argc || o->host == NULL || o->port == 0 ||
	    !(o->seconds > 0))
		usage();
}

/* The index of device ep (added when new), or -1 when the table is full. */
static long
device_index(const char *ep, size_t len)
{
	size_t h = 0xcbf29ce484222325ull, i, n;

	if (len > EP_MAX)
		len = EP_MAX;
	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)ep[i]) * 0x100000001b3ull;
	for (n = 0; n < DEV_SLOTS; n++) {
		i = (h + n) & (DEV_SLOTS - 1);
		if (devs.ep[i][0] == '\0') {
			if (devs.count >= DEV_SLOTS / 2)
				return -1;
			memcpy(devs.ep[i], ep, len);
			devs.ep[i][len] = '\0';
			devs.count++;
			return (long)i;
		}
		if (strncmp(devs.ep[i], ep, len) == 0 && devs.ep[i][len] == '\0')
			return (long)i;
	}
	return -1;
}

/* The string value of "key":"..." in a JSON object's text (no escapes
 * needed: endpoint names have none); sets *len. NULL when absent. */
static const char *
json_str(const char *data, const char *key, size_t *len)
{
	char pat[48];
	const char *p, *end;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(data, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	if ((end = strchr(p, '"')) == NULL)
		return NULL;
	*len = (size_t)(end - p);
	return p;
}

/* The integer value of "value": a number or a string of digits. */
static int
json_int_value(const char *data, int64_t *v)
{
	const char *p = strstr(data, "\"value\":");
	char *end;

	if (p == NULL)
		return -1;
	p += 8;
	if (*p == '"')
		p++;
	if (!isdigit((unsigned char)*p) && *p != '-')
		return -1;
	errno = 0;
	*v = strtoll(p, &end, 10);
	if (errno != 0 || (*end != '"' && *end != ',' && *end != '}'))
		return -1;
	return 0;
}

/* A notification: check the device's integer value runs on by one. */
static void
client_notification(struct client *c)
{
	const char *ep;
	size_t len;
	int64_t v;
	long i;

	if (c->data == NULL || (ep = json_str(c->data, "ep", &len)) == NULL ||
	    json_int_value(c->data, &v) == -1 ||
	    (i = device_index(ep, len)) < 0)
		return;
	if (c->dev_last[i] != INT64_MIN) {
		if (v > c->dev_last[i] + 1)
			c->device_gaps += (unsigned long)(v - c->dev_last[i] - 1);
		else if (v <= c->dev_last[i])
			c->device_repeats++;
	}
	c->dev_last[i] = v;
	c->dev_at[i] = now_s();
}

/* A blank line ends an event (RFC: the "dispatch" step). */
static void
client_dispatch(struct client *c)
{
	if (c->has_id) {
		if (c->seen_any && c->id > c->last_id + 1)
			c->lost += c->id - c->last_id - 1;
		else if (c->seen_any && c->id <= c->last_id)
			c->disorder++;
		c->seen_any = 1;
		c->last_id = c->id;
	}
	if (c->has_id || c->type[0] != '\0' || c->data_len > 0) {
		if (measuring)
			c->events++;
		if (strcmp(c->type, "gap") == 0)
			c->gap_events++;
		if (strcmp(c->type, "notification") == 0) {
			if (measuring)
				c->notifications++;
			client_notification(c);
		}
	}
	c->has_id = 0;
	c->type[0] = '\0';
	c->data_len = 0;
	if (c->data != NULL)
		c->data[0] = '\0';
}

static void
client_data(struct client *c, const char *v, size_t len)
{
	size_t need = c->data_len + len + 2;

	if (need > c->data_cap) {
		if ((c->data = realloc(c->data, need * 2)) == NULL)
			fatalx("out of memory");
		c->data_cap = need * 2;
	}
	if (c->data_len > 0)
		c->data[c->data_len++] = '\n';
	memcpy(c->data + c->data_len, v, len);
	c->data_len += len;
	c->data[c->data_len] = '\0';
}

/* One line of the event stream (without its end of line). */
static void
client_line(struct client *c, char *line, size_t len)
{
	char *colon, *v;
	size_t vlen;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0) {
		client_dispatch(c);
		return;
	}
	if (line[0] == ':')
		return;			/* a comment: keep-alive */
	if ((colon = memchr(line, ':', len)) == NULL) {
		colon = line + len;
		v = colon;
	} else {
		v = colon + 1;
		if (*v == ' ')
			v++;
	}
	vlen = (size_t)(line + len - v);
	*colon = '\0';
	if (strcmp(line, "id") == 0) {
		char *end;

		c->id = strtoull(v, &end, 10);
		c->has_id = end != v;
	} else if (strcmp(line, "event") == 0) {
		snprintf(c->type, sizeof(c->type), "%.*s", (int)vlen, v);
	} else if (strcmp(line, "data") == 0) {
		client_data(c, v, vlen);
	}
}

/* Bytes of the event stream, after the chunked framing. */
static void
client_stream(struct client *c, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			c->line[c->line_len] = '\0';
			client_line(c, c->line, c->line_len);
			c->line_len = 0;
		} else if (c->line_len < LINE_MAX_LEN - 1) {
			c->line[c->line_len++] = p[i];
		}
	}
}

/* Bytes of the body: undoes the chunked framing (RFC 9112 7.1). Returns
 * -1 on a framing error. */
static int
client_body(struct client *c, const char *p, size_t n)
{
	size_t take;
	char *end;

	while (n > 0) {
		switch (c->bstate) {
		case BODY_RAW:
			client_stream(c, p, n);
			return 0;
		case BODY_DONE:
			return 0;
		case BODY_SIZE:
			if (*p == '\n') {
				c->sizeline[c->sizeline_len] = '\0';
				c->chunk_left = strtoul(c->sizeline, &end, 16);
				if (end == c->sizeline)
					return -1;
				c->sizeline_len = 0;
				c->bstate = c->chunk_left == 0 ? BODY_DONE :
				    BODY_DATA;
			} else if (c->sizeline_len < sizeof(c->sizeline) - 1) {
				c->sizeline[c->sizeline_len++] = *p;
			} else {
				return -1;
			}
			p++;
			n--;
			break;
		case BODY_DATA:
			take = n < c->chunk_left ? n : c->chunk_left;
			client_stream(c, p, take);
			p += take;
			n -= take;
			if ((c->chunk_left -= take) == 0)
				c->bstate = BODY_DATA_END;
			break;
		case BODY_DATA_END:	/* the CRLF after the data */
			if (*p == '\n')
				c->bstate = BODY_SIZE;
			p++;
			n--;
			break;
		}
	}
	return 0;
}

/* The response head: must be 200; notes whether the body is chunked. */
static size_t
client_head(struct client *c, unsigned idx)
{
	char *end = memmem(c->head, c->head_len, "\r\n\r\n", 4), *te;
	size_t used;

	if (end == NULL) {
		if (c->head_len == HEAD_MAX)
			fatalx("client %u: response head too long", idx);
		return 0;
	}
	*end = '\0';
	if (strncmp(c->head, "HTTP/1.1 200", 12) != 0)
		fatalx("client %u: %.80s", idx, c->head);
	te = strcasestr(c->head, "\r\ntransfer-encoding:");
	c->chunked = te != NULL && strcasestr(te, "chunked") != NULL;
	c->bstate = c->chunked ? BODY_SIZE : BODY_RAW;
	c->head_done = 1;
	used = (size_t)(end + 4 - c->head);
	return used;
}

/* Reads what the socket has. Returns -1 when the stream ended. */
static int
client_read(struct client *c, unsigned idx)
{
	char buf[65536];
	ssize_t n;
	size_t used;

	for (;;) {
		if (!c->head_done) {
			n = read(c->fd, c->head + c->head_len,
			    HEAD_MAX - c->head_len);
			if (n > 0) {
				c->head_len += (size_t)n;
				if ((used = client_head(c, idx)) > 0 &&
				    client_body(c, c->head + used,
				    c->head_len - used) == -1)
					fatalx("client %u: bad chunk", idx);
				continue;
			}
		} else {
			n = read(c->fd, buf, sizeof(buf));
			if (n > 0) {
				if (client_body(c, buf, (size_t)n) == -1)
					fatalx("client %u: bad chunk", idx);
				continue;
			}
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return -1;		/* EOF or error */
	}
}

static void
client_connect(struct client *c, const struct options *o, int epfd,
    unsigned idx)
{
	struct sockaddr_storage ss;
	socklen_t sl = resolve_loopback(o->host, o->port, &ss);
	struct epoll_event ev;
	char req[512];
	int n;
	size_t i;

	if ((c->fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		fatalx("socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&ss, sl) == -1)
		fatalx("connect %s:%u: %s", o->host, o->port, strerror(errno));
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%u\r\n"
	    "Accept: text/event-stream\r\n\r\n", o->path, o->host, o->port);
	if (write(c->fd, req, (size_t)n) != n)
		fatalx("client %u: write: %s", idx, strerror(errno));
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	if ((c->dev_last = malloc(DEV_SLOTS * sizeof(*c->dev_last))) == NULL ||
	    (c->dev_at = calloc(DEV_SLOTS, sizeof(*c->dev_at))) == NULL)
		fatalx("out of memory");
	for (i = 0; i < DEV_SLOTS; i++)
		c->dev_last[i] = INT64_MIN;
	ev.events = EPOLLIN;
	ev.data.u32 = idx;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		fatalx("epoll_ctl: %s", strerror(errno));
}

/* utime + stime of pid, in clock ticks; -1 when gone. */
static long long
proc_ticks(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces: state is
	 * field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

static long
proc_rss_anon_kb(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "RssAnon: %ld", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

static double
self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Devices c heard from whose last notification came before t. */
static unsigned long
client_silent(const struct client *c, double t)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < DEV_SLOTS; i++)
		if (c->dev_last[i] != INT64_MIN && c->dev_at[i] < t)
			n++;
	return n;
}

static void
report(const struct options *o, struct client *cl, double secs,
    double end, long long ticks, long rss, double self_cpu)
{
	unsigned long ev = 0, lost = 0, dis = 0, gaps = 0, dgaps = 0, rep = 0;
	unsigned long closed = 0, notes = 0, silent = 0, sil;
	unsigned i;

	for (i = 0; i < o->clients; i++) {
		struct client *c = &cl[i];

		sil = client_silent(c, end - SILENT_S);
		printf("client=%u events=%lu rate=%.1f notifications=%lu "
		    "lost=%lu disorder=%lu gap_events=%lu device_gaps=%lu "
		    "device_repeats=%lu silent=%lu closed=%d\n", i, c->events,
		    (double)c->events / secs, c->notifications, c->lost,
		    c->disorder, c->gap_events, c->device_gaps,
		    c->device_repeats, sil, c->closed);
		silent += sil;
		ev += c->events;
		notes += c->notifications;
		lost += c->lost;
		dis += c->disorder;
		gaps += c->gap_events;
		dgaps += c->device_gaps;
		rep += c->device_repeats;
		closed += (unsigned long)c->closed;
	}
	printf("total: clients=%u seconds=%.2f events=%lu rate=%.1f "
	    "notifications=%lu lost=%lu disorder=%lu gap_events=%lu "
	    "device_gaps=%lu device_repeats=%lu silent=%lu closed=%lu "
	    "devices=%zu self_cpu_pct=%.1f", o->clients, secs, ev,
	    (double)ev / secs, notes, lost, dis, gaps, dgaps, rep, silent,
	    closed, devs.count,
	    self_cpu * 100 / secs);
	if (o->pid > 0)
		printf(" gw_cpu_pct=%.1f gw_rss_anon_kb=%ld", ticks >= 0 ?
		    (double)ticks / (double)sysconf(_SC_CLK_TCK) * 100 / secs :
		    -1.0, rss);
	printf("\n");
}

int
main(int argc, char **argv)
{
	struct options o;
	struct client *cl;
	struct epoll_event evs[64];
	double t0, start = 0, end = 0, now, self0 = 0;
	long long ticks0 = -1, ticks = -1;
	unsigned i, open;
	int epfd, n, k, timeout;

	parse_options(&o, argc, argv);
	if ((cl = calloc(o.clients, sizeof(*cl))) == NULL ||
	    (devs.ep = calloc(DEV_SLOTS, sizeof(*devs.ep))) == NULL)
		fatalx("out of memory");
	if ((epfd = epoll_create1(0)) == -1)
		fatalx("epoll_create1: %s", strerror(errno));
	for (i = 0; i < o.clients; i++)
		client_connect(&cl[i], &o, epfd, i);
	open = o.clients;
	t0 = now_s();
	for (;;) {
		now = now_s();
		if (!measuring && start == 0 && now >= t0 + o.warmup) {
			measuring = 1;
			start = now;
			self0 = self_cpu_s();
			if (o.pid > 0)
				ticks0 = proc_ticks(o.pid);
		}
		if (measuring && now >= start + o.seconds) {
			end = now;
			break;
		}
		if (open == 0)
			break;
		timeout = (int)(((measuring ? start + o.seconds :
		    t0 + o.warmup) - now) * 1000) + 1;
		if ((n = epoll_wait(epfd, evs, 64, timeout)) == -1) {
			if (errno == EINTR)
				continue;
			fatalx("epoll_wait: %s", strerror(errno));
		}
		for (k = 0; k < n; k++) {
			struct client *c = &cl[evs[k].data.u32];

			if (c->closed || client_read(c, evs[k].data.u32) == 0)
				continue;
			if (!c->head_done)
				fatalx("client %u: connection closed before "
				    "the answer", evs[k].data.u32);
			fprintf(stderr, "ssecount: client %u: stream ended by "
			    "the server\n", evs[k].data.u32);
			c->closed = 1;
			epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			open--;
		}
	}
	if (!measuring)
		fatalx("every stream ended before the measured interval");
	if (end == 0)
		end = now_s();
	if (o.pid > 0 && ticks0 >= 0 && (ticks = proc_ticks(o.pid)) >= 0)
		ticks -= ticks0;
	report(&o, cl, end - start, end, ticks, o.pid > 0 ?
	    proc_rss_anon_kb(o.pid) : -1, self_cpu_s() - self0);
	return 0;
}
