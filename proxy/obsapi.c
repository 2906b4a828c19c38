/*
 * obsapi.c: POST and DELETE /v1/devices/{ep}/observe/{path...}, the
 * composite observations (POST and DELETE /v1/devices/{ep}/observe-composite
 * with a body of paths, GET and DELETE .../observe-composite/{id}) and GET
 * /v1/observations, over the observations of cache/observe.h. A POST is
 * answered once the observation is stored (201, or 200 for one a client
 * holds already); the CoAP observation is then made if the device can be
 * reached, or when it is next heard from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "cache/observe.h"
#include "gateway.h"
#include "lwm2m/coapmap.h"
#include "lwm2m/devmsg.h"
#include "lwm2m/dmparse.h"
#include "lwm2m/lwm2m.h"
#include "modules/device/registry.h"
#include "proxy/http.h"
#include "store/store.h"

static cJSON *
obsapi_json(const struct observe_view *v)
{
	cJSON *j = cJSON_CreateObject();
	char buf[GW_TIME_LEN];

	cJSON *list;
	int i;

	cJSON_AddStringToObject(j, "ep", v->ep);
	if (v->id != NULL) {
		cJSON_AddStringToObject(j, "id", v->id);
		list = cJSON_AddArrayToObject(j, "paths");
		for (i = 0; i < v->npaths && list != NULL; i++)
			cJSON_AddItemToArray(list,
			    cJSON_CreateString(v->paths[i]));
		cJSON_AddNumberToObject(j, "records_dropped",
		    (double)v->dropped);
		cJSON_AddNumberToObject(j, "notifications_refused",
		    (double)v->refused);
	} else
		cJSON_AddStringToObject(j, "path", v->path);
	cJSON_AddBoolToObject(j, "established", v->established);
	cJSON_AddBoolToObject(j, "client", v->client);
	cJSON_AddBoolToObject(j, "held_by_gateway", v->held);
	cJSON_AddNumberToObject(j, "notifications", (double)v->notifications);
	if (v->last_at != 0) {
		cJSON_AddStringToObject(j, "last_value_at",
		    gw_time_str(v->last_at, buf));
	} else {
		cJSON_AddNullToObject(j, "last_value_at");
	}
	return j;
}

struct obsapi_pending {
	struct http_exchange	*hx;
	int			 created;
	char			 ep[LWM2M_EP_MAX + 1];
	char			*path;
};

/* The change is durable: answer, and make a new observation now. */
static void
obsapi_stored(int status, void *arg)
{
	struct obsapi_pending *p = arg;
	struct gateway *gw = p->hx->gw;
	struct observe_view v;

	if (status != 0) {
		http_store_error(p->hx, "store write failed");
	} else if (p->created) {
		observe_establish(gw, p->ep, p->path);
		if (observe_get(gw, p->ep, p->path, &v) == 0)
			http_reply_json(p->hx, 201, obsapi_json(&v));
		else		/* a DELETE came before the commit */
			http_reply(p->hx, 204, NULL, NULL);
	} else {
		http_reply(p->hx, 204, NULL, NULL);
	}
	free(p->path);
	free(p);
}

void
observe_http(struct http_exchange *hx)
{
	struct gateway *gw = hx->gw;
	const char *ep = hx->params.value[0], *path = hx->params.value[1];
	struct obsapi_pending *p;
	struct observe_view v;
	int created = 1;

	if (registry_find_by_endpoint(gw->registry, ep) == NULL) {
		http_error(hx, 404, "not_found", "device '%s' is not "
		    "registered", ep);
		return;
	}
	if (strlen(path) >= DEVREQ_PATH_MAX) {
		http_error(hx, 400, "bad_request", "path too long");
		return;
	}
	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_DELETE) {
		created = 0;
		switch (observe_client_del(gw, ep, path)) {
		case 1:
			http_error(hx, 404, "not_found", "%s/%s is not "
			    "observed", ep, path);
			return;
		case -1:
			goto fail;
		}
	} else {
		switch (observe_client_put(gw, ep, path)) {
		case OBSERVE_PUT_TOO_LONG:
			http_error(hx, 400, "bad_request", "path too long");
			return;
		case OBSERVE_PUT_EXISTS:
			observe_get(gw, ep, path, &v);
			http_reply_json(hx, 200, obsapi_json(&v));
			return;
		case OBSERVE_PUT_DEVICE_CAP:
			http_error(hx, 429, "too_many_observations", "device "
			    "%s has %d observations of clients ([cache] "
			    "max_observations_per_device)", ep,
			    gw->cfg.cache_max_observations_per_device);
			return;
		case OBSERVE_PUT_CAP:
			http_error(hx, 429, "too_many_observations", "the "
			    "gateway holds %d observations of clients ([cache] "
			    "max_observations)", gw->cfg.cache_max_observations);
			return;
		case OBSERVE_PUT_FAILED:
			goto fail;
		case OBSERVE_PUT_NEW:
			break;
		}
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	if ((p->path = strdup(path)) == NULL) {
		free(p);
		goto fail;
	}
	p->hx = hx;
	p->created = created;
	memcpy(p->ep, ep, strlen(ep) + 1);	/* registered: not too long */
	if (store_when_durable(gw->store, obsapi_stored, p) == 0)
		return;
	free(p->path);
	free(p);
fail:
	http_store_error(hx, "store write failed");
}

/* -- composite observations ---------------------------------------------- */

struct obsapi_set {
	struct http_exchange	*hx;
	int			 created;
	char			 ep[LWM2M_EP_MAX + 1];
	char			 id[DM_COMPOSITE_ID_LEN + 1];
};

/* /v1/devices/{ep}/observe-composite/{id}: the observation's own URL. */
static void
obsapi_set_location(struct http_exchange *hx, const char *ep, const char *id)
{
	char loc[512], seg[HTTP_SEG_LEN];

	if (snprintf(loc, sizeof(loc), "/v1/devices/%s/observe-composite/%s",
	    http_seg(ep, seg), id) >= (int)sizeof(loc))
		return;		/* ep is registered: never */
	evhttp_add_header(evhttp_request_get_output_headers(hx->req),
	    "Location", loc);
}

/* The change is durable: answer; a new one is made at the device now. */
static void
obsapi_set_stored(int status, void *arg)
{
	struct obsapi_set *p = arg;
	struct gateway *gw = p->hx->gw;
	struct observe_view v;

	if (status != 0) {
		http_store_error(p->hx, "store write failed");
	} else if (p->created) {
		observe_composite_establish(gw, p->ep, p->id);
		if (observe_composite_get(gw, p->ep, p->id, &v) == 0) {
			obsapi_set_location(p->hx, p->ep, p->id);
			http_reply_json(p->hx, 201, obsapi_json(&v));
		} else		/* a DELETE came before the commit */
			http_reply(p->hx, 204, NULL, NULL);
	} else {
		http_reply(p->hx, 204, NULL, NULL);
	}
	free(p);
}

/* Answers once the change of the current batch is durable. */
static void
obsapi_set_when_durable(struct http_exchange *hx, const char *ep,
    const char *id, int created)
{
	struct obsapi_set *p;

	if ((p = calloc(1, sizeof(*p))) != NULL) {
		p->hx = hx;
		p->created = created;
		memcpy(p->ep, ep, strlen(ep) + 1);	/* registered */
		memcpy(p->id, id, strlen(id) + 1);
		if (store_when_durable(hx->gw->store, obsapi_set_stored,
		    p) == 0)
			return;
		free(p);
	}
	http_store_error(hx, "store write failed");
}

/* Forgets ep's composite observation id, and answers. */
static void
obsapi_set_del(struct http_exchange *hx, const char *ep, const char *id)
{
	switch (observe_composite_del(hx->gw, ep, id)) {
	case 1:
		http_error(hx, 404, "not_found", "device %s has no composite "
		    "observation %s", ep, id);
		return;
	case -1:
		http_store_error(hx, "store write failed");
		return;
	}
	obsapi_set_when_durable(hx, ep, id, 0);
}

/* The caps and failures of a put, answered; 0 when it was new. */
static int
obsapi_put_refused(struct http_exchange *hx, enum observe_put rc,
    const char *ep)
{
	struct gateway *gw = hx->gw;

	switch (rc) {
	case OBSERVE_PUT_NEW:
	case OBSERVE_PUT_EXISTS:
		return 0;
	case OBSERVE_PUT_TOO_LONG:
		http_error(hx, 400, "bad_request", "too many paths to observe "
		    "at once: their SenML names take over %d bytes (one CoAP "
		    "message)", OBSERVE_COMPOSITE_NAMES_MAX);
		break;
	case OBSERVE_PUT_DEVICE_CAP:
		http_error(hx, 429, "too_many_observations", "device %s has "
		    "%d observations of clients ([cache] "
		    "max_observations_per_device)", ep,
		    gw->cfg.cache_max_observations_per_device);
		break;
	case OBSERVE_PUT_CAP:
		http_error(hx, 429, "too_many_observations", "the gateway "
		    "holds %d observations of clients ([cache] "
		    "max_observations)", gw->cfg.cache_max_observations);
		break;
	case OBSERVE_PUT_FAILED:
		http_store_error(hx, "store write failed");
		break;
	}
	return -1;
}

/*
 * POST /v1/devices/{ep}/observe-composite {"paths": [...]}: the set (as
 * Read-Composite checks its paths; order and repeats do not matter) is
 * observed once: 201 with its Location, or 200 when a client observes
 * that set already. DELETE with the same body forgets it.
 */
void
observe_composite_http(struct http_exchange *hx)
{
	struct gateway *gw = hx->gw;
	const char *ep = hx->params.value[0];
	struct evkeyvalq *in = evhttp_request_get_input_headers(hx->req);
	struct evbuffer *buf = evhttp_request_get_input_buffer(hx->req);
	const char *ctype = evhttp_find_header(in, "Content-Type");
	char paths[DM_COMPOSITE_MAX][DM_PATH_LEN], err[160];
	char id[DM_COMPOSITE_ID_LEN + 1];
	struct observe_view v;
	enum observe_put rc;
	size_t len = evbuffer_get_length(buf);
	int n;

	if (registry_find_by_endpoint(gw->registry, ep) == NULL) {
		http_error(hx, 404, "not_found", "device '%s' is not "
		    "registered", ep);
		return;
	}
	if (ctype != NULL && coapmap_content_format(ctype) != 50) {
		http_error(hx, 415, "unsupported_media_type", "the body is "
		    "application/json");
		return;
	}
	if ((n = dm_composite_set(len > 0 ? (const char *)evbuffer_pullup(buf,
	    -1) : NULL, len, paths, err, sizeof(err))) == -1) {
		http_error(hx, 400, "bad_request", "%s", err);
		return;
	}
	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_DELETE) {
		dm_composite_id(paths, n, id);
		obsapi_set_del(hx, ep, id);
		return;
	}
	rc = observe_composite_put(gw, ep, paths, n, id);
	if (obsapi_put_refused(hx, rc, ep) == -1)
		return;
	if (rc == OBSERVE_PUT_EXISTS) {
		if (observe_composite_get(gw, ep, id, &v) == -1) {
			http_error(hx, 500, "internal", "observation %s lost",
			    id);
			return;
		}
		obsapi_set_location(hx, ep, id);
		http_reply_json(hx, 200, obsapi_json(&v));
		return;
	}
	obsapi_set_when_durable(hx, ep, id, 1);
}

/* GET or DELETE /v1/devices/{ep}/observe-composite/{id}. */
void
observe_composite_one_http(struct http_exchange *hx)
{
	const char *ep = hx->params.value[0], *id = hx->params.value[1];
	struct observe_view v;

	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_DELETE) {
		if (strlen(ep) > LWM2M_EP_MAX ||
		    strlen(id) != DM_COMPOSITE_ID_LEN)
			http_error(hx, 404, "not_found", "device %s has no "
			    "composite observation %s", ep, id);
		else
			obsapi_set_del(hx, ep, id);
		return;
	}
	if (observe_composite_get(hx->gw, ep, id, &v) == -1) {
		http_error(hx, 404, "not_found", "device %s has no composite "
		    "observation %s", ep, id);
		return;
	}
	http_reply_json(hx, 200, obsapi_json(&v));
}

/* GET /v1/observations in pages, ordered by device and path (a
 * composite's is "observe-composite/ID"): ?after= is "EP/PATH" of the last
 * one before (an endpoint name has no '/'). */
struct obsapi_list {
	struct observe_view	*v;
	size_t			 n, cap;
};

static void
obsapi_list_one(const struct observe_view *v, void *arg)
{
	struct obsapi_list *l = arg;
	struct observe_view *grown;
	size_t cap = l->cap == 0 ? 64 : 2 * l->cap;

	if (l->n == l->cap) {
		if ((grown = reallocarray(l->v, cap, sizeof(*l->v))) == NULL)
			return;		/* the list is cut short */
		l->v = grown;
		l->cap = cap;
	}
	l->v[l->n++] = *v;
}

static int
obsapi_cmp(const void *a, const void *b)
{
	const struct observe_view *x = a, *y = b;
	int c = strcmp(x->ep, y->ep);

	return c != 0 ? c : strcmp(x->key, y->key);
}

/* Whether v comes after the cursor "EP/PATH". */
static int
obsapi_after(const struct observe_view *v, const char *after)
{
	const char *slash = strchr(after, '/');
	size_t eplen = slash != NULL ? (size_t)(slash - after) :
	    strlen(after);
	int c = strncmp(v->ep, after, eplen);

	if (c == 0 && strlen(v->ep) != eplen)
		c = 1;
	if (c != 0)
		return c > 0;
	return slash == NULL || strcmp(v->key, slash + 1) > 0;
}

void
observe_list_http(struct http_exchange *hx)
{
	struct obsapi_list l = { NULL, 0, 0 };
	const char *after = http_query(hx, "after");
	cJSON *doc, *list;
	char next[LWM2M_EP_MAX + DEVREQ_PATH_MAX + 2];
	size_t i, taken = 0;
	long limit;

	if (http_query_limit(hx, &limit) == -1)
		return;
	observe_walk(hx->gw, http_query(hx, "ep"), obsapi_list_one, &l);
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), obsapi_cmp);
	doc = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(doc, "observations");
	for (i = 0; i < l.n && taken < (size_t)limit; i++) {
		if (after != NULL && !obsapi_after(&l.v[i], after))
			continue;
		cJSON_AddItemToArray(list, obsapi_json(&l.v[i]));
		taken++;
		snprintf(next, sizeof(next), "%s/%s", l.v[i].ep, l.v[i].key);
	}
	for (; i < l.n && after != NULL && !obsapi_after(&l.v[i], after); i++)
		;
	if (i < l.n && taken > 0)
		cJSON_AddStringToObject(doc, "next", next);
	else
		cJSON_AddNullToObject(doc, "next");
	free(l.v);
	http_reply_json(hx, 200, doc);
}
