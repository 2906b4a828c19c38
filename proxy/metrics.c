/*
 * metrics.c: the Prometheus text exposition of the gateway's counters.
 */
#include <inttypes.h>
#include <string.h>

#include <event2/buffer.h>

#include "gateway.h"
#include "cache/cache.h"
#include "proxy/metrics.h"
#include "modules/device/bootstrap.h"
#include "modules/device/registry.h"
#include "modules/jobs/job.h"

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

static void
metrics_counter(struct evbuffer *out, const char *name, const char *help,
    uint64_t v)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64
	    "\n", name, help, name, name, v);
}

void
metrics_render(struct gateway *gw, struct evbuffer *out)
{
	const struct metrics *m = &gw->metrics;
	struct bs_counters bs;
	size_t i, entries, bytes, jobs[JOB__COUNT], jdevs[JD__COUNT];
	int st;

	evbuffer_add_printf(out, "# HELP outpost_devices Registered devices "
	    "by state.\n# TYPE outpost_devices gauge\n");
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
	metrics_counter(out, "outpost_coap_messages_out_total",
	    "CoAP responses sent.", m->coap_out);
	metrics_counter(out, "outpost_coap_bad_requests_total",
	    "CoAP requests refused as malformed.", m->coap_bad);
	metrics_counter(out, "outpost_dtls_refused_total",
	    "DTLS handshakes failed (key, certificate, unknown identity) and "
	    "CoAP requests refused for their credential.", m->dtls_refused);
	metrics_counter(out, "outpost_dtls_accepted_total",
	    "DTLS handshakes that presented a provisioned credential (a PSK "
	    "identity, certificate or public key bound to a device).",
	    m->dtls_accepted);
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
	evbuffer_add_printf(out, "# HELP outpost_bootstraps_in_progress "
	    "Bootstraps in progress.\n# TYPE outpost_bootstraps_in_progress "
	    "gauge\noutpost_bootstraps_in_progress %zu\n", bs.in_progress);
	evbuffer_add_printf(out, "# HELP outpost_http_requests_total HTTP "
	    "requests by route and status.\n"
	    "# TYPE outpost_http_requests_total counter\n");
	for (i = 0; i < m->nhttp; i++)
		evbuffer_add_printf(out, "outpost_http_requests_total{route=\"%s\","
		    "status=\"%d\"} %" PRIu64 "\n", m->http[i].route,
		    m->http[i].status, m->http[i].count);
	job_counts(gw, jobs, jdevs);
	evbuffer_add_printf(out, "# HELP outpost_jobs Fleet jobs by status.\n"
	    "# TYPE outpost_jobs gauge\n");
	for (i = 0; i < JOB__COUNT; i++)
		evbuffer_add_printf(out, "outpost_jobs{status=\"%s\"} %zu\n",
		    job_status_name((int)i), jobs[i]);
	evbuffer_add_printf(out, "# HELP outpost_job_devices Devices of the "
	    "jobs not finished, by their state in the job.\n"
	    "# TYPE outpost_job_devices gauge\n");
	for (i = 0; i < JD__COUNT; i++)
		evbuffer_add_printf(out, "outpost_job_devices{state=\"%s\"} "
		    "%zu\n", job_dev_state_name((int)i), jdevs[i]);
	cache_stats(gw, &entries, &bytes);
	evbuffer_add_printf(out, "# HELP outpost_cache_entries Resource values "
	    "cached.\n# TYPE outpost_cache_entries gauge\n"
	    "outpost_cache_entries %zu\n# HELP outpost_cache_bytes Bytes "
	    "cached.\n# TYPE outpost_cache_bytes gauge\n"
	    "outpost_cache_bytes %zu\n", entries, bytes);
	evbuffer_add_printf(out, "# HELP outpost_uptime_seconds Seconds since "
	    "start.\n# TYPE outpost_uptime_seconds gauge\n"
	    "outpost_uptime_seconds %" PRId64 "\n", gw_now() - gw->started);
}
