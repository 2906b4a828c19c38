/*
 * obsapi.c: POST and DELETE /v1/devices/{ep}/observe/{path...} and GET
 * /v1/observations, over the observations of cache/observe.h. A POST is
 * answered once the observation is stored (201, or 200 for one a client
 * holds already); the CoAP observation is then made if the device can be
 * reached, or when it is next heard from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/http.h>

#include "cache/observe.h"
#include "gateway.h"
#include "lwm2m/devmsg.h"
#include "lwm2m/lwm2m.h"
#include "modules/device/registry.h"
#include "proxy/http.h"
#include "store/store.h"

static cJSON *
obsapi_json(const struct observe_view *v)
{
	cJSON *j = cJSON_CreateObject();
	char buf[GW_TIME_LEN];

	cJSON_AddStringToObject(j, "ep", v->ep);
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

/* GET /v1/observations in pages, ordered by device and path: ?after= is
 * "EP/PATH" of the last one before (an endpoint name has no '/'). */
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

	return c != 0 ? c : strcmp(x->path, y->path);
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
	return slash == NULL || strcmp(v->path, slash + 1) > 0;
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
		snprintf(next, sizeof(next), "%s/%s", l.v[i].ep, l.v[i].path);
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
