/*
 * bsapi.c: the Bootstrap server over HTTP (modules/device/bootstrap.h):
 *   PUT, GET, DELETE /v1/bootstrap/{ep}     an endpoint's configuration
 *   GET /v1/bootstrap                       the endpoints given one
 *   PUT, GET, DELETE /v1/bootstrap-tags/{tag}, GET /v1/bootstrap-tags
 *   POST /v1/devices/{ep}/bootstrap         re-bootstrap a registered device
 * A change is answered once committed. A factory key is never in an
 * answer or a log line, and its hex is wiped from the request buffer as
 * soon as it is parsed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway.h"
#include "log.h"
#include "modules/device/bootstrap.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "store/store.h"
#include "proxy/http.h"

/* A change waiting for its commit. */
struct bsapi_put {
	struct http_exchange	*hx;
	int			 created;
	int			 tag;
};

static int
bsapi_tag_ok(struct http_exchange *hx, const char *tag)
{
	if (tags_valid(tag))
		return 1;
	http_error(hx, 400, "bad_request", "tag must be 1..%d characters of "
	    "A-Z a-z 0-9 . _ : -", TAG_LEN_MAX);
	return 0;
}

/* The committed configuration, as GET shows it. */
static void
bsapi_put_done(int status, void *arg)
{
	struct bsapi_put *bp = arg;
	struct http_exchange *hx = bp->hx;
	const char *name = hx->params.value[0];
	char loc[64 + 256], seg[HTTP_SEG_LEN];
	cJSON *doc = NULL;
	int rc;

	if (status != 0) {
		http_store_error(hx, "store write failed");
	} else if ((rc = bp->tag ? bootstrap_tag_json(hx->gw, name, &doc) :
	    bootstrap_json(hx->gw, name, &doc)) != 0) {
		http_error(hx, 500, "internal", "stored, but not read back");
	} else {
		if (bp->created) {
			snprintf(loc, sizeof(loc), "/v1/bootstrap%s/%s",
			    bp->tag ? "-tags" : "", http_seg(name, seg));
			evhttp_add_header(evhttp_request_get_output_headers(
			    hx->req), "Location", loc);
		}
		http_reply_json(hx, bp->created ? 201 : 200, doc);
	}
	free(bp);
}

static void
bsapi_deleted(int status, void *arg)
{
	struct http_exchange *hx = arg;

	if (status == 0)
		http_reply(hx, 204, NULL, NULL);
	else
		http_store_error(hx, "store write failed");
}

/* Waits for the commit of what was staged (rc 0) or answers now. */
static void
bsapi_staged(struct http_exchange *hx, struct bsapi_put *bp, int rc)
{
	if (rc == 0 && store_when_durable(hx->gw->store, bsapi_put_done,
	    bp) == 0)
		return;
	if (rc == 2)
		http_error(hx, 409, "conflict", "the factory identity is "
		    "another endpoint's");
	else
		http_store_error(hx, "store failure");
	free(bp);
}

/* PUT of an endpoint's or a tag's configuration. */
static void
bsapi_put(struct http_exchange *hx, int tag)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(hx->req);
	size_t len = evbuffer_get_length(in);
	char *body = len > 0 ? (char *)evbuffer_pullup(in, -1) : NULL;
	const char *name = hx->params.value[0];
	struct bs_config cfg;
	struct bsapi_put *bp;
	struct cred fc;
	cJSON *old = NULL;
	char err[200];
	int rc;

	rc = bs_parse_config(body != NULL ? body : "", len, !tag, &cfg, &fc,
	    err, sizeof(err));
	if (body != NULL)
		explicit_bzero(body, len);	/* a factory key in hex */
	if (rc == -1) {
		http_error(hx, 400, "bad_request", "%s", err);
		return;
	}
	if ((bp = calloc(1, sizeof(*bp))) == NULL) {
		explicit_bzero(&fc, sizeof(fc));
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	bp->hx = hx;
	bp->tag = tag;
	if (tag) {
		bp->created = bootstrap_tag_json(hx->gw, name, &old) == 1;
		rc = bootstrap_tag_put(hx->gw, name, &cfg);
	} else {
		bp->created = bootstrap_configured(hx->gw, name) == 0;
		rc = bootstrap_put(hx->gw, name, &cfg, &fc);
	}
	cJSON_Delete(old);
	explicit_bzero(&fc, sizeof(fc));
	bsapi_staged(hx, bp, rc);
}

/* GET, PUT, DELETE of an endpoint's or a tag's configuration. */
static void
bsapi_one(struct http_exchange *hx, int tag)
{
	const char *name = hx->params.value[0];
	const char *kind = tag ? "tag" : "endpoint";
	cJSON *doc;
	int rc;

	if (!(tag ? bsapi_tag_ok(hx, name) : http_check_ep(hx, name)))
		return;
	switch (evhttp_request_get_command(hx->req)) {
	case EVHTTP_REQ_PUT:
		bsapi_put(hx, tag);
		return;
	case EVHTTP_REQ_DELETE:
		if ((rc = tag ? bootstrap_tag_delete(hx->gw, name) :
		    bootstrap_delete(hx->gw, name)) == 1)
			http_error(hx, 404, "not_found", "%s '%s' has no "
			    "bootstrap configuration", kind, name);
		else if (rc == -1 || store_when_durable(hx->gw->store,
		    bsapi_deleted, hx) == -1)
			http_store_error(hx, "store failure");
		return;
	default:
		break;
	}
	if ((rc = tag ? bootstrap_tag_json(hx->gw, name, &doc) :
	    bootstrap_json(hx->gw, name, &doc)) == 0)
		http_reply_json(hx, 200, doc);
	else if (rc == 1)
		http_error(hx, 404, "not_found", "%s '%s' has no bootstrap "
		    "configuration%s", kind, name, tag ? "" :
		    " (nor a tag with one)");
	else
		http_error(hx, 500, "internal", "store read failed");
}

/* GET, PUT, DELETE /v1/bootstrap/{ep}. */
void
api_bootstrap_one(struct http_exchange *hx)
{
	bsapi_one(hx, 0);
}

/* GET, PUT, DELETE /v1/bootstrap-tags/{tag}. */
void
api_bootstrap_tag(struct http_exchange *hx)
{
	bsapi_one(hx, 1);
}

/* One page of a list: up to limit items, then whether there is more. */
struct bsapi_page {
	cJSON		*items;
	const char	*key;
	long		 limit, n;
	int		 more;
};

static int
bsapi_page_one(cJSON *o, void *arg)
{
	struct bsapi_page *pg = arg;

	if (pg->n == pg->limit) {
		cJSON_Delete(o);
		pg->more = 1;
		return 1;
	}
	cJSON_AddItemToArray(pg->items, o);
	pg->n++;
	return 0;
}

/* GET /v1/bootstrap and /v1/bootstrap-tags: pages in name order. */
static void
bsapi_list(struct http_exchange *hx, int tag)
{
	struct bsapi_page pg;
	const char *after = http_query(hx, "after");
	cJSON *doc, *last;
	int rc;

	memset(&pg, 0, sizeof(pg));
	if (http_query_limit(hx, &pg.limit) == -1)
		return;
	doc = cJSON_CreateObject();
	pg.key = tag ? "tag" : "ep";
	pg.items = cJSON_AddArrayToObject(doc, tag ? "tags" : "endpoints");
	rc = tag ? bootstrap_tag_walk(hx->gw, after, bsapi_page_one, &pg) :
	    bootstrap_walk(hx->gw, after, bsapi_page_one, &pg);
	if (rc == -1) {
		cJSON_Delete(doc);
		http_error(hx, 500, "internal", "store read failed");
		return;
	}
	last = cJSON_GetArrayItem(pg.items, cJSON_GetArraySize(pg.items) - 1);
	if (pg.more && last != NULL)
		cJSON_AddStringToObject(doc, "next", cJSON_GetObjectItem(last,
		    pg.key)->valuestring);
	else
		cJSON_AddNullToObject(doc, "next");
	http_reply_json(hx, 200, doc);
}

void
api_bootstrap_list(struct http_exchange *hx)
{
	bsapi_list(hx, 0);
}

void
api_bootstrap_tags(struct http_exchange *hx)
{
	bsapi_list(hx, 1);
}

/*
 * POST /v1/devices/{ep}/bootstrap: executes the device's Bootstrap-Request
 * Trigger (/1/{j}/9) as a queued operation: delivered at once to a device
 * that can be reached, at its next message to a sleeping one, and its
 * result recorded as any op's.
 */
void
api_device_bootstrap(struct http_exchange *hx)
{
	const char *ep = hx->params.value[0];
	struct devreq_spec spec;
	char path[32];

	if (registry_find_by_endpoint(hx->gw->registry, ep) == NULL) {
		http_error(hx, 404, "not_found", "device '%s' is not "
		    "registered", ep);
		return;
	}
	snprintf(path, sizeof(path), "1/%u/9",
	    bootstrap_server_instance(hx->gw, ep));
	memset(&spec, 0, sizeof(spec));
	spec.method = DEVREQ_POST;
	spec.path = path;
	spec.content_format = -1;
	spec.accept = -1;
	spec.timeout_s = (unsigned)hx->gw->cfg.proxy_timeout;
	if (api_op_push(hx, &spec) == 0)
		log_info("device %s: bootstrap trigger /%s queued", ep, path);
}
