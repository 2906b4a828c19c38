/*
 * api.c: the routes of the HTTP API under /v1, and /metrics.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "cache/cache.h"
#include "cache/observe.h"
#include "proxy/stream.h"
#include "gateway.h"
#include "proxy/metrics.h"
#include "log.h"
#include "modules/firmware/campaign.h"
#include "modules/health/history.h"
#include "modules/jobs/job.h"
#include "modules/coap/devreq.h"
#include "modules/device/bootstrap.h"
#include "modules/device/queue.h"
#include "lwm2m/lwm2m.h"
#include "modules/device/registry.h"
#include "store/store.h"
#include "modules/device/tags.h"
#include "proxy/fwapi.h"
#include "proxy/histapi.h"
#include "proxy/http.h"

struct api_links {
	cJSON	*objects;
	char	 root[LWM2M_EP_MAX + 1];	/* alternate path, "" for "/" */
};

/* Link-format walker: the rt="oma.lwm2m" link names the root path; every
 * object or instance under it becomes an entry with its attributes. */
static int
api_link(const struct lwm2m_link *l, void *arg)
{
	struct api_links *al = arg;
	size_t i, rl = strlen(al->root);
	const char *uri = l->uri;
	size_t len = l->uri_len;
	char buf[256], val[256];
	cJSON *o;

	for (i = 0; i < l->nattrs; i++)
		if (l->attrs[i].name_len == 2 &&
		    memcmp(l->attrs[i].name, "rt", 2) == 0 &&
		    l->attrs[i].value != NULL &&
		    l->attrs[i].value_len == 9 &&
		    memcmp(l->attrs[i].value, "oma.lwm2m", 9) == 0) {
			if (len > 1 && len < sizeof(al->root))
				snprintf(al->root, sizeof(al->root), "%.*s",
				    (int)len, uri);
			return 0;
		}
	if (rl > 0 && len > rl && memcmp(uri, al->root, rl) == 0) {
		uri += rl;
		len -= rl;
	}
	if (!lwm2m_is_object_path(uri, len) || len >= sizeof(buf))
		return 0;
	o = cJSON_CreateObject();
	snprintf(buf, sizeof(buf), "%.*s", (int)len, uri);
	cJSON_AddStringToObject(o, "path", buf);
	for (i = 0; i < l->nattrs; i++) {
		const struct lwm2m_attr *a = &l->attrs[i];

		if (a->name_len >= sizeof(buf) || a->value_len >= sizeof(val) ||
		    (a->name_len == 4 && memcmp(a->name, "path", 4) == 0))
			continue;
		snprintf(buf, sizeof(buf), "%.*s", (int)a->name_len, a->name);
		snprintf(val, sizeof(val), "%.*s", (int)a->value_len,
		    a->value != NULL ? a->value : "");
		cJSON_AddStringToObject(o, buf, val);
	}
	cJSON_AddItemToArray(al->objects, o);
	return 0;
}

/* The JSON of one device; with_objects reads its links from the store. */
static cJSON *
api_device_json(struct gateway *gw, struct device *d, int with_objects)
{
	int64_t now = gw_now();
	cJSON *o = cJSON_CreateObject();
	char buf[REGISTRY_ID_LEN + 64];
	char *links;
	ssize_t n;
	struct api_links al;
	char tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
	int ntags;

	cJSON_AddStringToObject(o, "ep", d->ep);
	cJSON_AddStringToObject(o, "state",
	    registry_state_name(registry_state(gw->registry, d, now)));
	cJSON_AddStringToObject(o, "binding", d->r.binding);
	cJSON_AddBoolToObject(o, "queue_mode", d->r.queue_mode);
	cJSON_AddNumberToObject(o, "lifetime", d->r.lifetime);
	cJSON_AddStringToObject(o, "lwm2m", d->r.version);
	registry_id_str(d->r.id, buf);
	cJSON_AddStringToObject(o, "registration_id", buf);
	http_json_time(o, "registered_at", d->r.registered_at);
	http_json_time(o, "updated_at", d->r.updated_at);
	http_json_time(o, "last_seen", d->last_seen);
	cJSON_AddStringToObject(o, "address",
	    registry_addr_str(&d->r.addr, buf, sizeof(buf)));
	if (!with_objects)
		return o;
	memset(&al, 0, sizeof(al));
	al.objects = cJSON_AddArrayToObject(o, "objects");
	if ((links = malloc((size_t)gw->cfg.coap_max_links)) != NULL &&
	    (n = registry_links(gw->registry, d->ep, links,
	    (size_t)gw->cfg.coap_max_links)) > 0)
		lwm2m_parse_links(links, (size_t)n, api_link, &al, buf,
		    sizeof(buf));
	free(links);
	cJSON_AddStringToObject(o, "root_path", al.root[0] ? al.root : "/");
	api_device_credential(gw, d->ep, o);
	if ((ntags = tags_get(gw, d->ep, tags, TAGS_PER_DEVICE_MAX)) >= 0)
		cJSON_AddItemToObject(o, "tags", api_tags_json(tags, ntags));
	return o;
}

static void
api_health(struct http_exchange *hx)
{
	struct gateway *gw = hx->gw;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddStringToObject(o, "version", OUTPOST_VERSION);
	cJSON_AddNumberToObject(o, "uptime_s", (double)(gw_now() -
	    gw->started));
	cJSON_AddNumberToObject(o, "devices",
	    (double)registry_count(gw->registry));
	http_reply_json(hx, 200, o);
}

/* GET /v1/whoami: the role the request's token has, so that a client (the
 * console) offers only what that role may do. */
static void
api_whoami(struct http_exchange *hx)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "role", auth_role_name(hx->role));
	http_reply_json(hx, 200, o);
}

struct api_list {
	struct gateway	*gw;
	cJSON		*devices;
	int		 state;		/* -1: any */
	long		 limit, n;
	const char	*next;
	int64_t		 now;
	const char	*prefix;	/* NULL: any name */
	size_t		 plen;
};

/* 0 to go on, 1 when one more exists (a next page), 2 past the prefix (the
 * walks are in name order: nothing after matches). */
static int
api_list_one(struct device *d, void *arg)
{
	struct api_list *l = arg;

	if (l->prefix != NULL && strncmp(d->ep, l->prefix, l->plen) != 0)
		return strcmp(d->ep, l->prefix) > 0 ? 2 : 0;
	if (l->state >= 0 &&
	    (int)registry_state(l->gw->registry, d, l->now) != l->state)
		return 0;
	if (l->n == l->limit)
		return 1;	/* one more exists: there is a next page */
	cJSON_AddItemToArray(l->devices, api_device_json(l->gw, d, 0));
	l->n++;
	return 0;
}

/* ?tag=: the registered devices among the tag's endpoints. */
static int
api_list_tagged(const char *ep, void *arg)
{
	struct api_list *l = arg;
	struct device *d = registry_find_by_endpoint(l->gw->registry, ep);

	return d != NULL ? api_list_one(d, arg) : 0;
}

static void
api_devices_list(struct http_exchange *hx)
{
	struct api_list l = { hx->gw, NULL, -1, 0, 0, NULL, gw_now(), NULL,
	    0 };
	const char *state = http_query(hx, "state");
	const char *after = http_query(hx, "after");
	const char *tag = http_query(hx, "tag");
	const char *prefix = http_query(hx, "prefix");
	struct device *d;
	cJSON *doc, *last;
	int more = 0;

	if (state != NULL && (l.state = registry_state_from_name(state)) < 0) {
		http_error(hx, 400, "bad_request", "state must be awake, "
		    "sleeping or expired");
		return;
	}
	if (http_query_limit(hx, &l.limit) == -1)
		return;
	if (tag != NULL && !tags_valid(tag)) {
		http_error(hx, 400, "bad_request", "tag must be 1..%d "
		    "characters of A-Z a-z 0-9 . _ : -", TAG_LEN_MAX);
		return;
	}
	if (prefix != NULL && (*prefix == '\0' ||
	    strlen(prefix) > LWM2M_EP_MAX)) {
		http_error(hx, 400, "bad_request", "prefix must be 1..%d "
		    "characters", LWM2M_EP_MAX);
		return;
	}
	doc = cJSON_CreateObject();
	l.devices = cJSON_AddArrayToObject(doc, "devices");
	if (prefix != NULL) {
		l.prefix = prefix;
		l.plen = strlen(prefix);
		/* The walks start after a name: the prefix itself first. */
		if (after == NULL || strcmp(after, prefix) < 0) {
			after = prefix;
			if ((d = registry_find_by_endpoint(hx->gw->registry,
			    prefix)) != NULL && (tag == NULL ||
			    tags_has(hx->gw, prefix, tag) == 1))
				more = api_list_one(d, &l);
		}
	}
	if (more == 0 && tag != NULL)
		more = tags_walk_from(hx->gw, tag, after, api_list_tagged, &l);
	else if (more == 0)
		more = registry_walk_ordered(hx->gw->registry, after,
		    api_list_one, &l);
	if (more == -1) {
		cJSON_Delete(doc);
		http_error(hx, 500, "internal", "store read failed");
		return;
	}
	last = cJSON_GetArrayItem(l.devices, cJSON_GetArraySize(l.devices) -
	    1);
	if (more == 1 && last != NULL)
		cJSON_AddStringToObject(doc, "next", cJSON_GetObjectItem(last,
		    "ep")->valuestring);
	else
		cJSON_AddNullToObject(doc, "next");
	http_reply_json(hx, 200, doc);
}

/* The store has the decommission (or lost it): answer the request. */
static void
api_decommissioned(enum registry_result res, uint64_t id, void *arg)
{
	struct http_exchange *hx = arg;

	(void)id;
	if (res == REGISTRY_OK)
		http_reply(hx, 204, NULL, NULL);
	else if (res == REGISTRY_NOT_FOUND)
		http_error(hx, 404, "not_found", "device '%s' is not "
		    "registered", hx->params.value[0]);
	else
		http_store_error(hx, "store write failed");
}

/* An endpoint that had only tags lost them (or the commit failed). */
static void
api_untagged(int status, void *arg)
{
	struct http_exchange *hx = arg;

	if (status == 0)
		http_reply(hx, 204, NULL, NULL);
	else
		http_store_error(hx, "store write failed");
}

/* DELETE of an endpoint that is not registered: it may be provisioned
 * (revoke), or only tagged, in a campaign or given a bootstrap
 * configuration (held > 0, their removal is
 * staged already). Returns 1 when there was nothing to decommission (not
 * answered). */
static int
api_device_forget(struct http_exchange *hx, const char *ep, int held)
{
	int rc = api_devices_revoke(hx, ep, 1);

	if (rc != 1)
		return 0;	/* answered, or to be after the commit */
	if (held <= 0)
		return 1;
	if (store_when_durable(hx->gw->store, api_untagged, hx) == -1)
		http_store_error(hx, "store failure");
	return 0;
}

static void
api_device(struct http_exchange *hx)
{
	struct gateway *gw = hx->gw;
	const char *ep = hx->params.value[0];
	struct device *d = registry_find_by_endpoint(gw->registry, ep);
	char tag[1][TAG_LEN_MAX + 1];
	enum registry_result res;
	int del = evhttp_request_get_command(hx->req) == EVHTTP_REQ_DELETE;
	int held = 0;

	/* The tags and the campaigns' records go in the batch of whatever
	 * else the decommission removes, so that all commit or none. */
	if (del) {
		held = tags_get(gw, ep, tag, 1);
		tags_drop_device(gw, ep);
		if ((campaign_drop_device(gw, ep) > 0 ||
		    job_drop_device(gw, ep) > 0) && held == 0)
			held = 1;	/* something to forget */
		/* Its history too, registered or not (a deregistered
		 * device's stays until then). */
		if (history_drop_device(gw, ep) > 0 && held == 0)
			held = 1;
		/* A decommissioned device must not come back through its
		 * factory key: its bootstrap configuration goes too. */
		switch (bootstrap_delete(gw, ep)) {
		case 0:
			if (held == 0)
				held = 1;
			break;
		case -1:
			http_store_error(hx, "store failure");
			return;
		}
	}
	/* Never registered, only provisioned or tagged: DELETE forgets. */
	if (d == NULL && del && api_device_forget(hx, ep, held) != 1)
		return;
	if (d == NULL) {
		http_error(hx, 404, "not_found", "device '%s' is not "
		    "registered", ep);
		return;
	}
	if (!del) {
		http_reply_json(hx, 200, api_device_json(gw, d, 1));
		return;
	}
	if (api_devices_revoke(hx, ep, 0) == -1) {
		http_store_error(hx, "store failure");
		return;
	}
	devreq_drop_route(gw, ep);
	queue_drop_device(gw, ep);
	cache_drop_device(gw, ep);
	observe_drop_device(gw, ep);
	res = registry_decommission(gw->registry, ep, api_decommissioned, hx);
	if (res != REGISTRY_OK)
		api_decommissioned(res, 0, hx);
}

/* GET lists, POST provisions (proxy/provision.c). */
static void
api_devices(struct http_exchange *hx)
{
	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_POST)
		api_devices_provision(hx);
	else
		api_devices_list(hx);
}

static void
api_metrics(struct http_exchange *hx)
{
	struct evbuffer *body = evbuffer_new();

	if (body == NULL) {
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	metrics_render(hx->gw, body);
	http_reply(hx, 200, "text/plain; version=0.0.4", body);
}

/*
 * The roles a token needs (proxy/auth.h), GET then other methods: reads
 * need read; acting on a device (its resources, observations, cancelling
 * an op) needs operate; what changes the fleet (provisioning, decommission,
 * tags) needs admin. A route that names no role needs admin.
 */
const struct http_route api_routes[] = {
	/* First: the proxied resources are the hot path (cached and device
	 * reads), and the table is matched in order. */
	{ "/v1/devices/{ep}/r/{path...}", EVHTTP_REQ_GET | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_POST | EVHTTP_REQ_DELETE, proxy_forward, AUTH_READ,
	    AUTH_OPERATE },
	{ "/v1/health", EVHTTP_REQ_GET, api_health, AUTH_PUBLIC, AUTH_ADMIN },
	{ "/v1/whoami", EVHTTP_REQ_GET, api_whoami, AUTH_READ, AUTH_ADMIN },
	{ "/v1/devices", EVHTTP_REQ_GET | EVHTTP_REQ_POST, api_devices,
	    AUTH_READ, AUTH_ADMIN },
	{ "/v1/devices/{ep}", EVHTTP_REQ_GET | EVHTTP_REQ_DELETE, api_device,
	    AUTH_READ, AUTH_ADMIN },
	{ "/v1/devices/{ep}/credential", EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE,
	    api_device_credential_http, AUTH_ADMIN, AUTH_ADMIN },
	/* Tags choose the devices of firmware campaigns (admin's), so
	 * setting them is admin's too, as provisioning with tags is. */
	{ "/v1/devices/{ep}/tags", EVHTTP_REQ_GET | EVHTTP_REQ_PUT,
	    api_device_tags, AUTH_READ, AUTH_ADMIN },
	{ "/v1/devices/{ep}/ops", EVHTTP_REQ_GET, api_device_ops, AUTH_READ,
	    AUTH_ADMIN },
	/* A device's recent log lines: a read of its /20/0/4014. */
	{ "/v1/devices/{ep}/logs", EVHTTP_REQ_GET, proxy_logs, AUTH_READ,
	    AUTH_ADMIN },
	{ "/v1/ops/{id}", EVHTTP_REQ_GET | EVHTTP_REQ_DELETE, api_op,
	    AUTH_READ, AUTH_OPERATE },
	{ "/v1/events", EVHTTP_REQ_GET, stream_http, AUTH_READ, AUTH_ADMIN },
	/* The LwM2M operations that are no plain method on a resource. */
	{ "/v1/devices/{ep}/attributes/{path...}", EVHTTP_REQ_PUT,
	    proxy_attributes, AUTH_READ, AUTH_OPERATE },
	/* A Read-Composite is a read, though it is a POST. */
	{ "/v1/devices/{ep}/composite", EVHTTP_REQ_POST, proxy_composite,
	    AUTH_READ, AUTH_READ },
	{ "/v1/devices/{ep}/observe/{path...}", EVHTTP_REQ_POST |
	    EVHTTP_REQ_DELETE, observe_http, AUTH_READ, AUTH_OPERATE },
	{ "/v1/devices/{ep}/observe-composite", EVHTTP_REQ_POST |
	    EVHTTP_REQ_DELETE, observe_composite_http, AUTH_READ,
	    AUTH_OPERATE },
	{ "/v1/devices/{ep}/observe-composite/{id}", EVHTTP_REQ_GET |
	    EVHTTP_REQ_DELETE, observe_composite_one_http, AUTH_READ,
	    AUTH_OPERATE },
	{ "/v1/observations", EVHTTP_REQ_GET, observe_list_http, AUTH_READ,
	    AUTH_ADMIN },
	{ "/metrics", EVHTTP_REQ_GET, api_metrics, AUTH_READ, AUTH_ADMIN },
	/* The console's files hold no data: it asks the API, with a token. */
	{ "/ui", EVHTTP_REQ_GET, api_ui_root, AUTH_PUBLIC, AUTH_ADMIN },
	{ "/ui/", EVHTTP_REQ_GET, api_ui, AUTH_PUBLIC, AUTH_ADMIN },
	{ "/ui/{file}", EVHTTP_REQ_GET, api_ui, AUTH_PUBLIC, AUTH_ADMIN },
	{ "/v1/firmware", EVHTTP_REQ_GET | EVHTTP_REQ_POST, api_firmware,
	    AUTH_READ, AUTH_ADMIN },
	{ "/v1/firmware/{id}", EVHTTP_REQ_GET | EVHTTP_REQ_DELETE,
	    api_firmware_one, AUTH_READ, AUTH_ADMIN },
	{ "/v1/firmware/{id}/image", EVHTTP_REQ_PUT, api_firmware_image,
	    AUTH_READ, AUTH_ADMIN },
	{ "/v1/firmware/{id}/announce", EVHTTP_REQ_POST, api_firmware_announce,
	    AUTH_READ, AUTH_ADMIN },
	{ "/v1/campaigns", EVHTTP_REQ_GET | EVHTTP_REQ_POST, api_campaigns,
	    AUTH_READ, AUTH_ADMIN },
	{ "/v1/campaigns/{id}", EVHTTP_REQ_GET, api_campaign, AUTH_READ,
	    AUTH_ADMIN },
	{ "/v1/campaigns/{id}/{action}", EVHTTP_REQ_POST, api_campaign_action,
	    AUTH_READ, AUTH_ADMIN },
	/* Jobs change devices: admin's; any reader may follow them. */
	{ "/v1/jobs", EVHTTP_REQ_GET | EVHTTP_REQ_POST, api_jobs, AUTH_READ,
	    AUTH_ADMIN },
	{ "/v1/jobs/{id}", EVHTTP_REQ_GET, api_job, AUTH_READ, AUTH_ADMIN },
	{ "/v1/jobs/{id}/devices", EVHTTP_REQ_GET, api_job_devices, AUTH_READ,
	    AUTH_ADMIN },
	{ "/v1/jobs/{id}/{action}", EVHTTP_REQ_POST, api_job_action,
	    AUTH_READ, AUTH_ADMIN },
	/* Alarm rules write attributes to devices: admin's. An operator
	 * acknowledges an alarm; any reader may follow them. */
	{ "/v1/alarm-rules", EVHTTP_REQ_GET | EVHTTP_REQ_POST, api_alarm_rules,
	    AUTH_READ, AUTH_ADMIN },
	{ "/v1/alarm-rules/{id}", EVHTTP_REQ_GET | EVHTTP_REQ_DELETE,
	    api_alarm_rule, AUTH_READ, AUTH_ADMIN },
	{ "/v1/alarms", EVHTTP_REQ_GET, api_alarms, AUTH_READ, AUTH_ADMIN },
	{ "/v1/alarms/{id}", EVHTTP_REQ_GET, api_alarm, AUTH_READ,
	    AUTH_ADMIN },
	{ "/v1/alarms/{id}/ack", EVHTTP_REQ_POST, api_alarm_ack, AUTH_READ,
	    AUTH_OPERATE },
	/* History: what any reader of devices may see. */
	{ "/v1/devices/{ep}/history", EVHTTP_REQ_GET, history_list_http,
	    AUTH_READ, AUTH_ADMIN },
	{ "/v1/devices/{ep}/history/{path...}", EVHTTP_REQ_GET, history_http,
	    AUTH_READ, AUTH_ADMIN },
	/* The object model: what any reader of devices may see. */
	{ "/v1/objects", EVHTTP_REQ_GET, api_objects, AUTH_READ, AUTH_ADMIN },
	{ "/v1/objects/{id}", EVHTTP_REQ_GET, api_object, AUTH_READ,
	    AUTH_ADMIN },
	/* Bootstrap configurations name factory credentials and the DM
	 * server a device is given: admin's, reads too. */
	{ "/v1/bootstrap", EVHTTP_REQ_GET, api_bootstrap_list, AUTH_ADMIN,
	    AUTH_ADMIN },
	{ "/v1/bootstrap/{ep}", EVHTTP_REQ_GET | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE, api_bootstrap_one, AUTH_ADMIN, AUTH_ADMIN },
	{ "/v1/bootstrap-tags", EVHTTP_REQ_GET, api_bootstrap_tags, AUTH_ADMIN,
	    AUTH_ADMIN },
	{ "/v1/bootstrap-tags/{tag}", EVHTTP_REQ_GET | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE, api_bootstrap_tag, AUTH_ADMIN, AUTH_ADMIN },
	{ "/v1/devices/{ep}/bootstrap", EVHTTP_REQ_POST, api_device_bootstrap,
	    AUTH_ADMIN, AUTH_ADMIN },
};
const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
