/*
 * ops.c: the queued operations over HTTP: GET and DELETE /v1/ops/{id},
 * GET /v1/devices/{ep}/ops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <event2/http.h>

#include "gateway.h"
#include "base64.h"
#include "log.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "lwm2m/coapmap.h"
#include "lwm2m/lwm2m.h"
#include "proxy/http.h"

static const char *const op_methods[] = {
	[DEVREQ_GET] = "GET", [DEVREQ_POST] = "POST",
	[DEVREQ_PUT] = "PUT", [DEVREQ_DELETE] = "DELETE",
	[DEVREQ_FETCH] = "FETCH", [DEVREQ_IPATCH] = "iPATCH",
};
#define OP_NMETHODS	(sizeof(op_methods) / sizeof(op_methods[0]))

/* Whether a Content-Format is text that JSON can carry as a string. */
static int
ops_textual(int cf)
{
	return cf == 0 || cf == 40 || cf == 50 || cf == 110 || cf == 11543;
}

/* Adds a body as "body" (text) or "body_base64". */
static void
ops_body(cJSON *o, int cf, const uint8_t *p, size_t len)
{
	char *s;

	if (len == 0)
		return;
	if (ops_textual(cf) && memchr(p, '\0', len) == NULL &&
	    (s = malloc(len + 1)) != NULL) {
		memcpy(s, p, len);
		s[len] = '\0';
		cJSON_AddStringToObject(o, "body", s);
	} else if ((s = base64_encode(p, len)) != NULL) {
		cJSON_AddStringToObject(o, "body_base64", s);
	}
	free(s);
}

/*
 * What the device answered, into an op's "result": its status, a created
 * instance's path and location (as a live create answers them), a device
 * error as a live request reports it, and the body as it came.
 */
static void
ops_result(cJSON *r, const struct op_view *v)
{
	char type[64], buf[COAPMAP_LOCATION_MAX + HTTP_SEG_LEN + 32];
	char seg[HTTP_SEG_LEN];
	char detail[512], code[8];
	const char *name;
	int cls = v->result_code >> 5, det = v->result_code & 31;

	cJSON_AddNumberToObject(r, "status", v->result_status);
	if (v->location != NULL) {
		snprintf(buf, sizeof(buf), "/%s", v->location);
		cJSON_AddStringToObject(r, "path", buf);
		snprintf(buf, sizeof(buf), "/v1/devices/%s/r/%s",
		    http_seg(v->ep, seg), v->location);
		cJSON_AddStringToObject(r, "location", buf);
	}
	if (cls >= 4) {
		name = coapmap_device_error(v->ep, cls, det, v->result_format,
		    v->result, v->result_len, detail, sizeof(detail), code,
		    sizeof(code));
		cJSON_AddStringToObject(r, "error", name);
		cJSON_AddStringToObject(r, "detail", detail);
		cJSON_AddStringToObject(r, "device_code", code);
	}
	if (v->result_format >= 0)
		cJSON_AddStringToObject(r, "content_type", coapmap_media_type(
		    v->result_format, type, sizeof(type)));
	ops_body(r, v->result_format, v->result, v->result_len);
}

static cJSON *
ops_json(const struct op_view *v)
{
	cJSON *o = cJSON_CreateObject();
	enum op_state st = v->state;

	if (st == OP_QUEUED && gw_now() >= v->expires_at)
		st = OP_EXPIRED;	/* as the next delivery will find it */
	cJSON_AddNumberToObject(o, "op", (double)v->id);
	cJSON_AddStringToObject(o, "ep", v->ep);
	cJSON_AddStringToObject(o, "state", queue_state_name(st));
	cJSON_AddStringToObject(o, "method", (size_t)v->method < OP_NMETHODS &&
	    op_methods[v->method] != NULL ? op_methods[v->method] : "?");
	cJSON_AddStringToObject(o, "path", v->path);
	if (v->query != NULL)
		cJSON_AddStringToObject(o, "query", v->query);
	cJSON_AddNumberToObject(o, "attempts", v->attempts);
	http_json_time(o, "created_at", v->created_at);
	http_json_time(o, "updated_at", v->updated_at);
	http_json_time(o, "expires_at", v->expires_at);
	if (v->result_status == 0)
		return o;
	ops_result(cJSON_AddObjectToObject(o, "result"), v);
	return o;
}

/* The op id of the path, or 0 when it is not a number. */
static uint64_t
ops_id(struct http_exchange *hx)
{
	const char *s = hx->params.value[0];
	char *end;
	unsigned long long id;

	if (*s < '1' || *s > '9')
		return 0;
	id = strtoull(s, &end, 10);
	return *end == '\0' ? (uint64_t)id : 0;
}

static void
ops_cancelled(enum queue_result res, uint64_t id, void *arg)
{
	struct http_exchange *hx = arg;

	(void)id;
	if (res == QUEUE_OK)
		http_reply(hx, 204, NULL, NULL);
	else
		http_store_error(hx, "store write failed");
}

/*
 * Op id as GET /v1/ops/{id} shows it (a queued op on the wire is
 * "sending"): the one rendering of an op, which the 202 of a queued
 * request answers too. *out receives a new object, the caller's. Returns 0,
 * 1 when there is no such op, -1 when the store could not be read.
 */
int
api_op_json(struct gateway *gw, uint64_t id, cJSON **out)
{
	struct op_view v;
	void *buf;
	int rc;

	if ((rc = queue_get(gw, id, &v, &buf)) != 0)
		return rc;
	if (v.state == OP_QUEUED && queue_length(gw, v.ep) > 0 &&
	    queue_sending(gw, v.ep) == id)
		v.state = OP_SENDING;
	*out = ops_json(&v);
	free(buf);
	return 0;
}

/*
 * The op is stored (or not): once committed, 202 with the op as GET
 * /v1/ops/{id} (its Location) shows it. Should the record not read back,
 * the answer is still 202 (the op is kept), with its id and state.
 */
static void
ops_queued(enum queue_result res, uint64_t id, void *arg)
{
	struct http_exchange *hx = arg;
	char loc[48];
	cJSON *doc;

	if (res != QUEUE_OK) {
		http_store_error(hx, "the operation could not be stored");
		return;
	}
	snprintf(loc, sizeof(loc), "/v1/ops/%llu", (unsigned long long)id);
	evhttp_add_header(evhttp_request_get_output_headers(hx->req),
	    "Location", loc);
	if (api_op_json(hx->gw, id, &doc) != 0) {
		log_warnx("device %s: operation %s stored but not read back",
		    hx->params.value[0], loc);
		doc = cJSON_CreateObject();
		cJSON_AddNumberToObject(doc, "op", (double)id);
		cJSON_AddStringToObject(doc, "ep", hx->params.value[0]);
		cJSON_AddStringToObject(doc, "state", "queued");
	}
	/* Queued on request for a device that is reachable: go now. */
	queue_wake(hx->gw, hx->params.value[0]);
	http_reply_json(hx, 202, doc);
}

int
api_op_push(struct http_exchange *hx, const struct devreq_spec *spec)
{
	const char *ep = hx->params.value[0];

	switch (queue_push(hx->gw, ep, spec, ops_queued, hx)) {
	case QUEUE_OK:
		return 0;
	case QUEUE_FULL:
		http_error(hx, 429, "queue_full", "device %s has %d operations "
		    "waiting", ep, hx->gw->cfg.queue_max_per_device);
		return -1;
	default:
		http_store_error(hx, "the operation could not be stored");
		return -1;
	}
}

void
api_op(struct http_exchange *hx)
{
	uint64_t id = ops_id(hx);
	cJSON *doc;
	int rc;

	if (evhttp_request_get_command(hx->req) != EVHTTP_REQ_DELETE) {
		if (id == 0 || (rc = api_op_json(hx->gw, id, &doc)) == 1)
			http_error(hx, 404, "not_found", "no operation %s",
			    hx->params.value[0]);
		else if (rc == -1)
			http_error(hx, 500, "internal", "store read failed");
		else
			http_reply_json(hx, 200, doc);
		return;
	}
	switch (id == 0 ? QUEUE_NOT_FOUND :
	    queue_cancel(hx->gw, id, ops_cancelled, hx)) {
	case QUEUE_OK:
		return;
	case QUEUE_NOT_FOUND:
		http_error(hx, 404, "not_found", "no operation %s",
		    hx->params.value[0]);
		return;
	case QUEUE_NOT_QUEUED:
		http_error(hx, 409, "conflict", "operation %s is no longer "
		    "queued", hx->params.value[0]);
		return;
	default:
		http_store_error(hx, "store write failed");
		return;
	}
}

struct ops_page {
	cJSON		*list;
	size_t		 n, limit;
	uint64_t	 last;
};

static int
ops_list_one(const struct op_view *v, void *arg)
{
	struct ops_page *pg = arg;

	if (pg->n == pg->limit)
		return 1;	/* one more exists: there is a next page */
	cJSON_AddItemToArray(pg->list, ops_json(v));
	pg->last = v->id;
	pg->n++;
	return 0;
}

/* GET /v1/devices/{ep}/ops?limit=&after=: a device's queue, a page at a
 * time like /v1/devices; "next" is the after= of the next page. */
void
api_device_ops(struct http_exchange *hx)
{
	const char *ep = hx->params.value[0];
	const char *after = http_query(hx, "after");
	struct ops_page pg = { NULL, 0, 100, 0 };
	unsigned long long a = 0;
	char *end;
	cJSON *doc;
	long limit;
	int rc;

	if (registry_find_by_endpoint(hx->gw->registry, ep) == NULL) {
		http_error(hx, 404, "not_found", "device '%s' is not "
		    "registered", ep);
		return;
	}
	if (http_query_limit(hx, &limit) == -1)
		return;
	pg.limit = (size_t)limit;
	if (after != NULL && ((a = strtoull(after, &end, 10)) == 0 ||
	    *after < '0' || *after > '9' || *end != '\0')) {
		http_error(hx, 400, "bad_request", "after must be an op id");
		return;
	}
	doc = cJSON_CreateObject();
	pg.list = cJSON_AddArrayToObject(doc, "ops");
	if ((rc = queue_walk_device(hx->gw, ep, (uint64_t)a, pg.limit + 1,
	    ops_list_one, &pg)) == -1) {
		cJSON_Delete(doc);
		http_error(hx, 500, "internal", "store read failed");
		return;
	}
	if (rc == 1)
		cJSON_AddNumberToObject(doc, "next", (double)pg.last);
	else
		cJSON_AddNullToObject(doc, "next");
	http_reply_json(hx, 200, doc);
}
