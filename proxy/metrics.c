/*
 * metrics.c: the Prometheus text exposition of the gateway's counters,
 * gauges and histograms, and of the process (the process_* figures every
 * Prometheus client library gives). /metrics is rendered by sections, one
 * function each in metrics_sections[]: a new family of figures is a
 * function and a row.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "gateway.h"
#include "cache/outbox.h"
#include "cache/cache.h"
#include "cache/observe.h"
#include "proxy/metrics.h"
#include "proxy/tls.h"
#include "modules/coap/face.h"
#include "modules/device/bootstrap.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "modules/health/alarm.h"
#include "modules/health/history.h"
#include "modules/jobs/job.h"
#include "store/store.h"

void
metrics_http_count(struct metrics *m, const char *route, int status)
{
	size_t i;

	for (i = 0; i < m->nhttp; i++)
		if (m->http[i].status == status &&
		    strcmp(m->http[i].route, route) == 0) {
			m->http[i].count++;
			return;
		}
	if (m->nhttp == METRICS_HTTP_MAX)
		return;		/* routes x statuses is small; never here */
	m->http[m->nhttp].route = route;
	m->http[m->nhttp].status = status;
	m->http[m->nhttp++].count = 1;
}

void
metrics_proxy_count(struct metrics *m, int px, int status,
    const struct timespec *t0)
{
	struct timespec t1;
	double dt;

	if (px <= MPX_NONE || px >= MPX__COUNT)
		return;
	if (status == 499)
		px = MPX_CLOSED;
	else if ((px == MPX_OK || px == MPX_CACHED) && status >= 400)
		px = MPX_ERROR;
	else if (px == MPX_QUEUED && status != 202)
		px = MPX_ERROR;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
	metrics_observe(&m->proxy[px], &metrics_proxy_buckets,
	    dt > 0 ? dt : 0);
}

static void
metrics_counter(struct evbuffer *out, const char *name, const char *help,
    uint64_t v)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64
	    "\n", name, help, name, name, v);
}

static void
metrics_gauge(struct evbuffer *out, const char *name, const char *help,
    double v)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n",
	    name, help, name, name, v);
}

/* # HELP and # TYPE of a family whose samples the caller prints. */
static void
metrics_family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/*
 * A histogram family, one series per value of its label: values[i] names
 * h[i] (NULL: not shown). Buckets are made cumulative here.
 */
static void
metrics_histogram(struct evbuffer *out, const char *name, const char *help,
    const char *label, const char *const *values,
    const struct metrics_hist *h, size_t nh, const struct metrics_buckets *b)
{
	uint64_t cum;
	size_t i, j;

	metrics_family(out, name, "histogram", help);
	for (i = 0; i < nh; i++) {
		if (values[i] == NULL)
			continue;
		for (j = 0, cum = 0; j <= b->n; j++) {
			cum += h[i].bucket[j];
			if (j < b->n)
				evbuffer_add_printf(out, "%s_bucket{%s=\"%s\","
				    "le=\"%g\"} %" PRIu64 "\n", name, label,
				    values[i], b->le[j], cum);
			else
				evbuffer_add_printf(out, "%s_bucket{%s=\"%s\","
				    "le=\"+Inf\"} %" PRIu64 "\n", name, label,
				    values[i], cum);
		}
		evbuffer_add_printf(out, "%s_sum{%s=\"%s\"} %.9g\n%s_count{%s="
		    "\"%s\"} %" PRIu64 "\n", name, label, values[i], h[i].sum,
		    name, label, values[i], h[i].count);
	}
}

/* Registrations and the CoAP side. */
static void
metrics_devices(struct gateway *gw, struct evbuffer *out)
{
	const struct metrics *m = &gw->metrics;
	int st;

	metrics_family(out, "outpost_devices", "gauge",
	    "Registered devices by state.");
	for (st = 0; st < DEVICE_STATE__COUNT; st++)
		evbuffer_add_printf(out, "outpost_devices{state=\"%s\"} %zu\n",
		    registry_state_name((enum device_state)st),
		    registry_count_state(gw->registry, (enum device_state)st));
	metrics_counter(out, "outpost_registrations_total",
	    "Registrations accepted.", m->registrations);
	metrics_counter(out, "outpost_updates_total",
	    "Registration updates accepted.", m->updates);
	metrics_counter(out, "outpost_deregistrations_total",
	    "Deregistrations.", m->deregistrations);
	metrics_counter(out, "outpost_expiries_total",
	    "Registrations whose lifetime passed.", m->expiries);
	metrics_counter(out, "outpost_decommissions_total",
	    "Devices decommissioned over the API.", m->decommissions);
	metrics_counter(out, "outpost_coap_messages_in_total",
	    "CoAP requests received.", m->coap_in);
	metrics_counter(out, "outpost_coap_responses_in_total",
	    "CoAP responses and notifications received from devices.",
	    m->coap_responses);
	metrics_counter(out, "outpost_coap_messages_out_total",
	    "CoAP responses sent.", m->coap_out);
	metrics_counter(out, "outpost_coap_bad_requests_total",
	    "CoAP requests refused as malformed.", m->coap_bad);
	metrics_counter(out, "outpost_coap_walks_total",
	    "Walks of every CoAP session (libcoap's housekeeping) run.",
	    m->coap_walks);
	metrics_counter(out, "outpost_coap_walks_deferred_total",
	    "Datagrams whose walk was left to the next one, due within "
	    "10 to 100 ms.", m->coap_walks_deferred);
	metrics_gauge(out, "outpost_coap_sessions_held",
	    "CoAP sessions held because they route an awake device.",
	    (double)m->coap_sessions_held);
	metrics_counter(out, "outpost_coap_sessions_freed_total",
	    "CoAP sessions freed: closed, or routing no awake device "
	    "and idle past [coap] session_timeout or the oldest past "
	    "max_idle_sessions.", m->coap_sessions_freed);
	metrics_counter(out, "outpost_dtls_refused_total",
	    "DTLS handshakes failed (key, certificate, unknown identity) and "
	    "CoAP requests refused for their credential.", m->dtls_refused);
	metrics_counter(out, "outpost_dtls_accepted_total",
	    "DTLS handshakes that presented a provisioned credential (a PSK "
	    "identity, certificate or public key bound to a device).",
	    m->dtls_accepted);
	metrics_counter(out, "outpost_events_formatted_total",
	    "Events formatted as text for a reader: an event stream client "
	    "(once per event, however many read it), the webhook, the cloud "
	    "link.", m->events_formatted);
}

static void
metrics_bootstrap(struct gateway *gw, struct evbuffer *out)
{
	struct bs_counters bs;

	bootstrap_counters(gw, &bs);
	metrics_counter(out, "outpost_bootstrap_requests_total",
	    "Bootstrap-Requests (POST /bs) received.", bs.requests);
	metrics_counter(out, "outpost_bootstrap_refused_total",
	    "Bootstrap-Requests refused (no configuration, a factory "
	    "credential of another endpoint).", bs.refused);
	metrics_counter(out, "outpost_bootstrap_started_total",
	    "Bootstraps started.", bs.started);
	metrics_counter(out, "outpost_bootstrap_done_total",
	    "Bootstraps done (Finish answered, DM credential stored).",
	    bs.done);
	metrics_counter(out, "outpost_bootstrap_failed_total",
	    "Bootstraps failed (an error answer, no answer, the session "
	    "gone).", bs.failed);
	metrics_gauge(out, "outpost_bootstraps_in_progress",
	    "Bootstraps in progress.", (double)bs.in_progress);
}

/* The outcomes of proxied requests, by enum metrics_proxy. */
static const char *const metrics_proxy_names[MPX__COUNT] = {
	[MPX_OK] = "ok", [MPX_ERROR] = "error", [MPX_TIMEOUT] = "timeout",
	[MPX_QUEUED] = "queued", [MPX_CACHED] = "cached",
	[MPX_CLOSED] = "client_closed",
};

/* The HTTP face: requests by route and status, proxied requests' time. */
static void
metrics_http(struct gateway *gw, struct evbuffer *out)
{
	const struct metrics *m = &gw->metrics;
	size_t i;

	metrics_family(out, "outpost_http_requests_total", "counter",
	    "HTTP requests by route and status.");
	for (i = 0; i < m->nhttp; i++)
		evbuffer_add_printf(out, "outpost_http_requests_total{route=\"%s\","
		    "status=\"%d\"} %" PRIu64 "\n", m->http[i].route,
		    m->http[i].status, m->http[i].count);
	metrics_histogram(out, "outpost_proxy_request_duration_seconds",
	    "Proxied requests to devices (/r/, attributes, composite), from "
	    "arrival to answer, by outcome: ok (the device answered 2.xx), "
	    "error (an error answer, or none could be had), timeout, queued "
	    "(stored for the device, 202), cached (answered from the cache), "
	    "client_closed (the client went first).", "outcome",
	    metrics_proxy_names, m->proxy, MPX__COUNT, &metrics_proxy_buckets);
}

static const char *const metrics_op_names[MOP__COUNT] = {
	[MOP_DONE] = "done", [MOP_FAILED] = "failed",
	[MOP_EXPIRED] = "expired",
};

/* The device queues: what waits, since when, and how long ops took. */
static void
metrics_queue(struct gateway *gw, struct evbuffer *out)
{
	struct queue_stats qs;
	int64_t age;

	queue_stats(gw, &qs);
	age = qs.oldest_at != 0 ? gw_now() - qs.oldest_at : 0;
	metrics_gauge(out, "outpost_queue_ops", "Operations waiting in the "
	    "device queues (queued, or on the wire).", (double)qs.ops);
	metrics_gauge(out, "outpost_queue_devices", "Devices with operations "
	    "waiting.", (double)qs.devices);
	metrics_gauge(out, "outpost_queue_oldest_op_age_seconds", "Age of the "
	    "oldest operation waiting in any device queue (0: none waits).",
	    (double)(age > 0 ? age : 0));
	metrics_histogram(out, "outpost_queue_op_duration_seconds",
	    "Queued operations from creation to their end, by outcome: done "
	    "(the device answered), failed (attempts spent), expired (its "
	    "[queue] ttl passed).", "outcome", metrics_op_names,
	    gw->metrics.op, MOP__COUNT, &metrics_op_buckets);
}

static void
metrics_jobs(struct gateway *gw, struct evbuffer *out)
{
	size_t i, jobs[JOB__COUNT], jdevs[JD__COUNT];

	job_counts(gw, jobs, jdevs);
	metrics_family(out, "outpost_jobs", "gauge", "Fleet jobs by status.");
	for (i = 0; i < JOB__COUNT; i++)
		evbuffer_add_printf(out, "outpost_jobs{status=\"%s\"} %zu\n",
		    job_status_name((int)i), jobs[i]);
	metrics_family(out, "outpost_job_devices", "gauge", "Devices of the "
	    "jobs not finished, by their state in the job.");
	for (i = 0; i < JD__COUNT; i++)
		evbuffer_add_printf(out, "outpost_job_devices{state=\"%s\"} "
		    "%zu\n", job_dev_state_name((int)i), jdevs[i]);
}

/* History: points written, series held, the store it takes. */
static void
metrics_history(struct gateway *gw, struct evbuffer *out)
{
	uint64_t points, series;
	size_t bytes;

	history_stats(gw, &points, &series, &bytes);
	metrics_counter(out, "outpost_history_points_written_total",
	    "Points of history committed to the store since start.", points);
	metrics_gauge(out, "outpost_history_series", "Series of history "
	    "(endpoint and path) held.", (double)series);
	metrics_gauge(out, "outpost_history_bytes", "Bytes of the store's "
	    "pages that history takes.", (double)bytes);
}

/* Active alarms by severity: what an operator pages on. */
static void
metrics_alarms(struct gateway *gw, struct evbuffer *out)
{
	unsigned active[ALARM_SEV__COUNT];
	size_t i;

	alarm_counts(gw, active);
	metrics_family(out, "outpost_alarms_active", "gauge", "Alarms raised "
	    "and not cleared, by severity.");
	for (i = 0; i < ALARM_SEV__COUNT; i++)
		evbuffer_add_printf(out, "outpost_alarms_active{severity=\"%s\"} "
		    "%u\n", alarm_severity_name((int)i), active[i]);
}

/* The cloud link (cloud/): its connection and its outbox. Shown only
 * when [cloud] broker is set. */
static void
metrics_cloud(struct gateway *gw, struct evbuffer *out)
{
	const struct metrics *m = &gw->metrics;
	static const char *const codes[] = { "none", "1xx", "2xx", "3xx",
	    "4xx", "5xx" };
	struct outbox_stats st;
	size_t i;

	if (!m->cloud_on || gw->cloudbox == NULL)
		return;
	outbox_stats(gw->cloudbox, &st);
	metrics_gauge(out, "outpost_cloud_connected", "1 while the link to "
	    "the broker is up.", m->cloud_connected);
	metrics_counter(out, "outpost_cloud_connects_total", "Connections "
	    "the broker accepted since start.", m->cloud_connects);
	metrics_counter(out, "outpost_cloud_published_total", "Events the "
	    "broker acknowledged since start.", m->cloud_published);
	metrics_counter(out, "outpost_cloud_dropped_total", "Events dropped "
	    "from a full outbox since start.", st.dropped);
	metrics_gauge(out, "outpost_cloud_outbox_events", "Events in the "
	    "outbox, not yet acknowledged by the broker.", (double)st.count);
	metrics_gauge(out, "outpost_cloud_outbox_bytes", "Bytes of the "
	    "events in the outbox.", (double)st.bytes);
	metrics_gauge(out, "outpost_cloud_outbox_oldest_seconds", "Age of "
	    "the oldest event in the outbox (0 when it is empty).",
	    st.count == 0 ? 0 : (double)(gw_now_ms() - st.oldest_ms) / 1000);
	metrics_family(out, "outpost_cloud_requests_total", "counter",
	    "Requests from the cloud answered since start, by the class of "
	    "their status (none: unreadable, not answered).");
	for (i = 0; i < 6; i++)
		evbuffer_add_printf(out, "outpost_cloud_requests_total{code="
		    "\"%s\"} %llu\n", codes[i],
		    (unsigned long long)m->cloud_requests[i]);
}

/* The value cache and the observations that feed it. */
static void
metrics_cache(struct gateway *gw, struct evbuffer *out)
{
	size_t entries, bytes, est, dormant;

	cache_stats(gw, &entries, &bytes);
	metrics_gauge(out, "outpost_cache_entries", "Resource values cached.",
	    (double)entries);
	metrics_gauge(out, "outpost_cache_bytes", "Bytes cached.",
	    (double)bytes);
	observe_counts(gw, &est, &dormant);
	metrics_family(out, "outpost_observations", "gauge", "Observations "
	    "the gateway holds (a client's, or its own), by state: "
	    "established (a live CoAP observation), dormant (made again when "
	    "the device is next heard from).");
	evbuffer_add_printf(out, "outpost_observations{state=\"established\"} "
	    "%zu\noutpost_observations{state=\"dormant\"} %zu\n", est,
	    dormant);
}

/* A version as a label value: no quote, backslash or control. */
static const char *
metrics_label(const char *v, char *buf, size_t len)
{
	size_t i;

	for (i = 0; v[i] != '\0' && i + 1 < len; i++)
		buf[i] = v[i] == '"' || v[i] == '\\' || (unsigned char)v[i] <
		    0x20 ? '_' : v[i];
	buf[i] = '\0';
	return buf;
}

static void
metrics_build(struct gateway *gw, struct evbuffer *out)
{
	char coap[32], ev[32], lmdb[32], wolf[32];

	metrics_family(out, "outpost_build_info", "gauge", "The gateway's "
	    "version and those of the libraries it runs on; always 1.");
	evbuffer_add_printf(out, "outpost_build_info{version=\"%s\","
	    "libcoap=\"%s\",libevent=\"%s\",lmdb=\"%s\",wolfssl=\"%s\"} 1\n",
	    OUTPOST_VERSION,
	    metrics_label(coap_face_version(), coap, sizeof(coap)),
	    metrics_label(event_get_version(), ev, sizeof(ev)),
	    store_lib_version(lmdb, sizeof(lmdb)),
	    metrics_label(tls_lib_version(), wolf, sizeof(wolf)));
	metrics_gauge(out, "outpost_uptime_seconds", "Seconds since start.",
	    (double)(gw_now() - gw->started));
}

/* An unsigned decimal field of /proc/self/stat; -1 if it is none. */
static int
metrics_proc_num(const char *p, const char *end, uint64_t *v)
{
	*v = 0;
	if (p == end)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' ||
		    *v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(*p - '0');
	}
	return 0;
}

int
metrics_proc_stat(const char *buf, size_t len, struct metrics_proc *pr)
{
	const char *p, *end = buf + len, *tok;
	uint64_t v;
	int field;

	memset(pr, 0, sizeof(*pr));
	/* The name (field 2) is in parentheses and may hold any byte but
	 * NUL, ')' and spaces among them: the fields start after the last
	 * ')'. */
	if ((p = memrchr(buf, ')', len)) == NULL)
		return -1;
	p++;
	for (field = 3; field <= 24; field++) {
		if (p == end || *p != ' ')
			return -1;
		tok = ++p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (field != 14 && field != 15 && field != 22 && field != 23 &&
		    field != 24)
			continue;
		if (metrics_proc_num(tok, p, &v) == -1)
			return -1;
		switch (field) {
		case 14:
			pr->utime = v;
			break;
		case 15:
			pr->stime = v;
			break;
		case 22:
			pr->starttime = v;
			break;
		case 23:
			pr->vsize = v;
			break;
		default:
			pr->rss = v;
			break;
		}
	}
	return 0;
}

/* Open descriptors: /proc/self/fd's entries but the one reading it. -1
 * when it cannot be read. */
static long
metrics_open_fds(void)
{
	struct dirent *de;
	long n = 0;
	DIR *d;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			n++;
	closedir(d);
	return n;
}

/* The process: CPU, memory and descriptors from /proc, as client
 * libraries show them. A figure that cannot be read is left out. */
static void
metrics_process(struct gateway *gw, struct evbuffer *out)
{
	struct metrics_proc pr;
	struct timespec real, boot;
	struct rlimit rl;
	char buf[1024];
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE), fds;
	ssize_t n = -1;
	int fd;

	if ((fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	if (n > 0 && tck > 0 && metrics_proc_stat(buf, (size_t)n, &pr) == 0) {
		/* starttime counts ticks from boot, as CLOCK_BOOTTIME does. */
		if (gw->metrics.start_time == 0 &&
		    clock_gettime(CLOCK_REALTIME, &real) == 0 &&
		    clock_gettime(CLOCK_BOOTTIME, &boot) == 0)
			gw->metrics.start_time = (double)real.tv_sec -
			    (double)boot.tv_sec + (double)(real.tv_nsec -
			    boot.tv_nsec) / 1e9 + (double)pr.starttime /
			    (double)tck;
		metrics_family(out, "process_cpu_seconds_total", "counter",
		    "Total user and system CPU time spent in seconds.");
		evbuffer_add_printf(out, "process_cpu_seconds_total %.17g\n",
		    (double)(pr.utime + pr.stime) / (double)tck);
		metrics_gauge(out, "process_resident_memory_bytes",
		    "Resident memory size in bytes.",
		    (double)pr.rss * (double)page);
		metrics_gauge(out, "process_virtual_memory_bytes",
		    "Virtual memory size in bytes.", (double)pr.vsize);
	}
	metrics_gauge(out, "process_start_time_seconds", "Start time of the "
	    "process since unix epoch in seconds.", gw->metrics.start_time != 0 ?
	    gw->metrics.start_time : (double)gw->started);
	if ((fds = metrics_open_fds()) >= 0)
		metrics_gauge(out, "process_open_fds", "Number of open file "
		    "descriptors.", (double)fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		metrics_gauge(out, "process_max_fds", "Maximum number of open "
		    "file descriptors.", (double)rl.rlim_cur);
}

/* /metrics, section by section, in this order. */
static void (*const metrics_sections[])(struct gateway *, struct evbuffer *) = {
	metrics_devices,
	metrics_bootstrap,
	metrics_http,
	metrics_queue,
	metrics_jobs,
	metrics_history,
	metrics_alarms,
	metrics_cloud,
	metrics_cache,
	metrics_build,
	metrics_process,
};

void
metrics_render(struct gateway *gw, struct evbuffer *out)
{
	size_t i;

	for (i = 0; i < sizeof(metrics_sections) /
	    sizeof(metrics_sections[0]); i++)
		metrics_sections[i](gw, out);
}
