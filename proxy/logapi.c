/*
 * logapi.c: GET /v1/devices/{ep}/logs?since=&limit=, a device's recent
 * log lines: its Event Log's LogData (/20/0/4014, lwm2m/devlog.h) read
 * through the proxy (forward.c) like any resource, so a device asleep
 * gets the read queued (202 and the op, whose result holds the LogData
 * as it came) and one awake answers now, as
 * {"ep": ..., "lines": [{"t": ..., "text": ...}, ...]}, oldest first:
 * the lines at or after since, the last limit of them.
 */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/http.h>

#include "gateway.h"
#include "lwm2m/devlog.h"
#include "lwm2m/devmsg.h"
#include "modules/device/devlog.h"
#include "modules/device/registry.h"
#include "proxy/http.h"

/* The query's since (INT64_MIN: none) and limit; -1 once answered 400. */
static int
logapi_query(struct http_exchange *hx, int64_t *since, long *limit)
{
	const char *s = http_query(hx, "since");

	*since = INT64_MIN;
	if (s != NULL && devlog_since(s, since) == -1) {
		http_error(hx, 400, "bad_request", "since must be Unix seconds "
		    "(1733608800, 1733608800.250) or an RFC 3339 time "
		    "(2026-12-07T22:00:00Z)");
		return -1;
	}
	return http_query_limit(hx, limit);
}

int
logapi_check(struct http_exchange *hx)
{
	const char *ep = hx->params.value[0];
	int64_t since;
	long limit;

	if (logapi_query(hx, &since, &limit) == -1)
		return -1;
	if (registry_find_by_endpoint(hx->gw->registry, ep) == NULL) {
		http_error(hx, 404, "not_found", "device '%s' is not "
		    "registered", ep);
		return -1;
	}
	if (!devlog_listed(hx->gw, ep)) {
		http_error(hx, 404, "not_found", "device '%s' does not list "
		    "the Event Log object (/20) in its registration", ep);
		return -1;
	}
	return 0;
}

void
logapi_reply(struct http_exchange *hx, const struct devresp *r)
{
	int64_t since = INT64_MIN;
	long limit = HTTP_LIST_DEFAULT;
	const char *s = http_query(hx, "since"), *l = http_query(hx, "limit");
	cJSON *doc, *lines;

	/* Checked before the request went (logapi_check). */
	if (s != NULL)
		(void)devlog_since(s, &since);
	if (l != NULL)
		limit = strtol(l, NULL, 10);
	if ((lines = devlog_lines(r->body, r->len, since, (size_t)limit)) ==
	    NULL || (doc = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(lines);
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	cJSON_AddStringToObject(doc, "ep", hx->params.value[0]);
	cJSON_AddItemToObject(doc, "lines", lines);
	http_reply_json(hx, 200, doc);
}

void
api_devlogs(struct gateway *gw, const char *kind, uint64_t id, cJSON *devs)
{
	const char *ep, *st;
	cJSON *d, *lines;

	cJSON_ArrayForEach(d, devs) {
		ep = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d,
		    "ep"));
		st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d,
		    "state"));
		if (ep == NULL || st == NULL || strcmp(st, "failed") != 0 ||
		    (lines = devlog_get(gw, kind, id, ep)) == NULL)
			continue;
		cJSON_AddItemToObject(d, "log", lines);
	}
}
