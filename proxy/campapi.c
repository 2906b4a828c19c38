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
#include "proxy/fwapi.h"
#include "proxy/http.h"


/* A new campaign with its devices. */
static cJSON *
campapi_render(struct gateway *gw, uint64_t id)
{
	return campaign_json(gw, id, 1);
}

static void
campapi_post(struct http_exchange *hx)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(hx->req);
	size_t len = evbuffer_get_length(in);
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
	http_reply_created(hx, "/v1/campaigns", id, campapi_render);
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

void
api_campaign(struct http_exchange *hx)
{
	cJSON *doc = campaign_json(hx->gw, http_param_id(hx), 1);

	if (doc == NULL) {
		http_error(hx, 404, "not_found", "no campaign '%s'",
		    hx->params.value[0]);
		return;
	}
	api_devlogs(hx->gw, "camp", http_param_id(hx),
	    cJSON_GetObjectItemCaseSensitive(doc, "devices"));
	http_reply_json(hx, 200, doc);
}

void
api_campaign_action(struct http_exchange *hx)
{
	const char *action = hx->params.value[1];
	uint64_t id = http_param_id(hx);
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
