/*
 * histapi.c: GET /v1/devices/{ep}/history (a device's series) and GET
 * /v1/devices/{ep}/history/{path...} (a window of one series: raw points
 * and the buckets they were rolled up into, or buckets of a step), in
 * JSON, or CSV on Accept: text/csv (modules/health/history.h). Reads what
 * is committed; never waits.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway.h"
#include "modules/device/registry.h"
#include "modules/health/history.h"
#include "proxy/histapi.h"
#include "proxy/histparam.h"
#include "proxy/http.h"

static void
histapi_series(const struct history_series *s, void *arg)
{
	char t[HISTPARAM_TIME_LEN];
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "path", s->path);
	if (s->first_ms >= 0)
		cJSON_AddStringToObject(o, "first", histparam_time_str(
		    s->first_ms, t));
	else
		cJSON_AddNullToObject(o, "first");
	if (s->last_ms >= 0)
		cJSON_AddStringToObject(o, "last", histparam_time_str(
		    s->last_ms, t));
	else
		cJSON_AddNullToObject(o, "last");
	cJSON_AddItemToArray(arg, o);
}

/* Whether ep is known: registered, or with history. 0 once answered. */
static int
histapi_device(struct http_exchange *hx, const char *ep, int nseries)
{
	if (registry_find_by_endpoint(hx->gw->registry, ep) != NULL ||
	    nseries > 0)
		return 1;
	http_error(hx, 404, "not_found", "device '%s' is not registered and "
	    "has no history", ep);
	return 0;
}

void
history_list_http(struct http_exchange *hx)
{
	const char *ep = hx->params.value[0];
	cJSON *doc, *items;
	int n;

	if (!http_check_ep(hx, ep))
		return;
	items = cJSON_CreateArray();
	if ((n = history_list(hx->gw, ep, histapi_series, items)) == -1) {
		cJSON_Delete(items);
		http_error(hx, 500, "internal", "store read failed");
		return;
	}
	if (!histapi_device(hx, ep, n)) {
		cJSON_Delete(items);
		return;
	}
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "ep", ep);
	if (http_page(hx, doc, "series", items, "path", 0) == -1)
		return;
	http_reply_json(hx, 200, doc);
}

/* Whether the client asks for CSV. */
static int
histapi_csv(struct http_exchange *hx)
{
	const char *a = evhttp_find_header(evhttp_request_get_input_headers(
	    hx->req), "Accept");

	return a != NULL && strstr(a, "text/csv") != NULL;
}

static cJSON *
histapi_row_json(const struct history_row *r, int step)
{
	char t[HISTPARAM_TIME_LEN];
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "t", histparam_time_str(r->t_ms, t));
	if (r->kind == HISTORY_POINT) {
		cJSON_AddNumberToObject(o, "v", r->v);
		return o;
	}
	cJSON_AddNumberToObject(o, "min", r->min);
	cJSON_AddNumberToObject(o, "max", r->max);
	cJSON_AddNumberToObject(o, "mean", r->v);
	cJSON_AddNumberToObject(o, "count", (double)r->count);
	if (!step)
		cJSON_AddNumberToObject(o, "step", (double)(r->width_ms /
		    1000));
	return o;
}

static void
histapi_json(struct http_exchange *hx, const struct history_query *q,
    const struct history_row *rows, size_t n, const char *next)
{
	char t[HISTPARAM_TIME_LEN];
	cJSON *doc = cJSON_CreateObject(), *a = cJSON_CreateArray();
	size_t i;

	cJSON_AddStringToObject(doc, "ep", hx->params.value[0]);
	cJSON_AddStringToObject(doc, "path", hx->params.value[1]);
	cJSON_AddStringToObject(doc, "from", histparam_time_str(q->from_ms, t));
	cJSON_AddStringToObject(doc, "to", histparam_time_str(q->to_ms, t));
	if (q->step_ms > 0)
		cJSON_AddNumberToObject(doc, "step", (double)(q->step_ms /
		    1000));
	else
		cJSON_AddNullToObject(doc, "step");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, histapi_row_json(&rows[i],
		    q->step_ms > 0));
	cJSON_AddItemToObject(doc, q->step_ms > 0 ? "buckets" : "points", a);
	if (next != NULL)
		cJSON_AddStringToObject(doc, "next", next);
	else
		cJSON_AddNullToObject(doc, "next");
	http_reply_json(hx, 200, doc);
}

/* The Link header's value for the next page (malloc'd), or NULL. */
static char *
histapi_link(const char *path, const struct history_query *q,
    const char *next)
{
	char step[32] = "", *link;

	if (q->step_ms > 0)
		snprintf(step, sizeof(step), "&step=%" PRId64, q->step_ms /
		    1000);
	if (asprintf(&link, "<%s?from=%" PRId64 ".%03" PRId64 "&to=%" PRId64
	    ".%03" PRId64 "%s&limit=%zu&after=%s>; rel=\"next\"", path,
	    q->from_ms / 1000, q->from_ms % 1000, q->to_ms / 1000,
	    q->to_ms % 1000, step, q->limit, next) == -1)
		return NULL;
	return link;
}

/* CSV (RFC 4180): a header line, a row a line; the next page in a Link
 * header (RFC 8288). */
static void
histapi_csv_reply(struct http_exchange *hx, const struct history_query *q,
    const struct history_row *rows, size_t n, const char *next)
{
	struct evbuffer *b = evbuffer_new();
	char t[HISTPARAM_TIME_LEN], *link;
	const struct history_row *r;
	const char *path;
	size_t i;

	if (b == NULL) {
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	evbuffer_add_printf(b, q->step_ms > 0 ? "t,min,max,mean,count\r\n" :
	    "t,v,min,max,mean,count,step\r\n");
	for (i = 0; i < n; i++) {
		r = &rows[i];
		histparam_time_str(r->t_ms, t);
		if (q->step_ms > 0)
			evbuffer_add_printf(b, "%s,%.17g,%.17g,%.17g,%" PRIu64
			    "\r\n", t, r->min, r->max, r->v, r->count);
		else if (r->kind == HISTORY_POINT)
			evbuffer_add_printf(b, "%s,%.17g,,,,,\r\n", t, r->v);
		else
			evbuffer_add_printf(b, "%s,,%.17g,%.17g,%.17g,%" PRIu64
			    ",%" PRId64 "\r\n", t, r->min, r->max, r->v,
			    r->count, r->width_ms / 1000);
	}
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(hx->req));
	if (next != NULL && path != NULL && (link = histapi_link(path, q,
	    next)) != NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(hx->req),
		    "Link", link);
		free(link);
	}
	http_reply(hx, 200, "text/csv; charset=utf-8", b);
}

void
history_http(struct http_exchange *hx)
{
	const char *ep = hx->params.value[0], *path = hx->params.value[1];
	char field[16], err[256], cur[HISTPARAM_CURSOR_LEN];
	struct history_query q;
	struct history_row *rows;
	size_t n;
	int more, rc;

	if (!http_check_ep(hx, ep))
		return;
	if (histparam_parse(http_query(hx, "from"), http_query(hx, "to"),
	    http_query(hx, "step"), http_query(hx, "limit"),
	    http_query(hx, "after"), gw_now_ms(), &q, field, sizeof(field),
	    err, sizeof(err)) == -1) {
		http_error(hx, 400, "bad_request", "%s", err);
		return;
	}
	rc = history_read(hx->gw, ep, path, &q, &rows, &n, &more);
	if (rc == -1) {
		http_error(hx, 500, "internal", "store read failed");
		return;
	}
	if (rc == 1) {
		if (!histapi_device(hx, ep, history_list(hx->gw, ep, NULL,
		    NULL)))
			return;
		http_error(hx, 404, "not_found", "device '%s' has no history "
		    "of %s", ep, path);
		return;
	}
	if (more && n > 0)
		histparam_cursor(&rows[n - 1], q.step_ms, cur);
	if (histapi_csv(hx))
		histapi_csv_reply(hx, &q, rows, n, more && n > 0 ? cur : NULL);
	else
		histapi_json(hx, &q, rows, n, more && n > 0 ? cur : NULL);
	free(rows);
}
