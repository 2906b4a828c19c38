/*
 * campapi.c: /v1/campaigns. A campaign is answered 201 once its record is
 * committed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway.h"
#include "modules/firmware/campaign.h"
#include "lwm2m/campparse.h"
#include "store/store.h"
#include "proxy/fwapi.h"
#include "proxy/http.h"


struct campapi_new {
	struct http_exchange	*hx;
	uint64_t		 id;
};

static void
campapi_created(int status, void *arg)
{
	struct campapi_new *cn = arg;
	struct http_exchange *hx = cn->hx;
	char loc[64];

	if (status != 0) {
		http_store_error(hx, "store commit failed");
	} else {
		snprintf(loc, sizeof(loc), "/v1/campaigns/%" PRIu64, cn->id);
		evhttp_add_header(evhttp_request_get_output_headers(hx->req),
		    "Location", loc);
		http_reply_json(hx, 201, campaign_json(hx->gw, cn->id, 1));
	}
	free(cn);
}

static void
campapi_post(struct http_exchange *hx)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(hx->req);
	size_t len = evbuffer_get_length(in);
	struct campapi_new *cn;
	struct camp_req req;
	char err[256];
	int status;
	uint64_t id;

	if (len > CAMP_BODY_MAX) {
		http_error(hx, 413, "too_large", "a campaign request is at most "
		    "%d bytes", CAMP_BODY_MAX);
		return;
	}
	if (campparse_request((const char *)evbuffer_pullup(in, -1), len, &req,
	    err, sizeof(err)) == -1) {
		campparse_request_free(&req);
		http_error(hx, 400, "bad_request", "%s", err);
		return;
	}
	id = campaign_create(hx->gw, &req, &status, err, sizeof(err));
	campparse_request_free(&req);
	if (id == 0) {
		http_error(hx, status, status == 422 ? "unknown_image" :
		    status == 409 ? "conflict" : status == 500 ? "internal" :
		    "bad_request", "%s", err);
		return;
	}
	if ((cn = calloc(1, sizeof(*cn))) == NULL) {
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	cn->hx = hx;
	cn->id = id;
	if (store_when_durable(hx->gw->store, campapi_created, cn) == -1) {
		free(cn);
		http_store_error(hx, "store failure");
	}
}

void
api_campaigns(struct http_exchange *hx)
{
	cJSON *doc;

	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_POST) {
		campapi_post(hx);
		return;
	}
	doc = cJSON_CreateObject();
	if (http_page(hx, doc, "campaigns", campaign_list_json(hx->gw),
	    "id", 1) == -1)
		return;
	http_reply_json(hx, 200, doc);
}

/* The {id} of the path, or 0. */
static uint64_t
campapi_id(struct http_exchange *hx)
{
	const char *s = hx->params.value[0];
	char *end;
	unsigned long long v;

	if (*s < '1' || *s > '9')
		return 0;
	v = strtoull(s, &end, 10);
	return *end == '\0' ? (uint64_t)v : 0;
}

void
api_campaign(struct http_exchange *hx)
{
	cJSON *doc = campaign_json(hx->gw, campapi_id(hx), 1);

	if (doc == NULL) {
		http_error(hx, 404, "not_found", "no campaign '%s'",
		    hx->params.value[0]);
		return;
	}
	http_reply_json(hx, 200, doc);
}

void
api_campaign_action(struct http_exchange *hx)
{
	const char *action = hx->params.value[1];
	uint64_t id = campapi_id(hx);
	int rc;

	if (strcmp(action, "pause") != 0 && strcmp(action, "resume") != 0 &&
	    strcmp(action, "cancel") != 0) {
		http_error(hx, 404, "not_found", "actions are pause, resume and "
		    "cancel");
		return;
	}
	if ((rc = campaign_action(hx->gw, id, action)) == -1) {
		http_error(hx, 404, "not_found", "no campaign '%s'",
		    hx->params.value[0]);
		return;
	}
	if (rc == -2) {
		http_error(hx, 409, "conflict", "cannot %s campaign %s in its "
		    "status", action, hx->params.value[0]);
		return;
	}
	http_reply_json(hx, 200, campaign_json(hx->gw, id, 0));
}
