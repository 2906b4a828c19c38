/*
 * tagapi.c: GET and PUT /v1/devices/{ep}/tags (modules/device/tags.h). The tags
 * of any well-formed endpoint name can be read and set, registered or
 * not; a PUT is answered once the new set is committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway.h"
#include "store/store.h"
#include "modules/device/tags.h"
#include "proxy/http.h"

struct tagapi_put {
	struct http_exchange	*hx;
	int			 n;
	char			 tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
};

cJSON *
api_tags_json(char tags[][TAG_LEN_MAX + 1], int n)
{
	cJSON *a = cJSON_CreateArray();
	int i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(tags[i]));
	return a;
}

static void
tagapi_reply(struct http_exchange *hx, char tags[][TAG_LEN_MAX + 1], int n)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "ep", hx->params.value[0]);
	cJSON_AddItemToObject(o, "tags", api_tags_json(tags, n));
	http_reply_json(hx, 200, o);
}

static void
tagapi_put_done(int status, void *arg)
{
	struct tagapi_put *tp = arg;

	if (status != 0)
		http_store_error(tp->hx, "store write failed");
	else
		tagapi_reply(tp->hx, tp->tags, tp->n);
	free(tp);
}

static void
tagapi_put(struct http_exchange *hx, const char *ep)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(hx->req);
	size_t len = evbuffer_get_length(in);
	const char *body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	struct tagapi_put *tp;
	char err[160];

	if ((tp = calloc(1, sizeof(*tp))) == NULL) {
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	tp->hx = hx;
	if ((tp->n = tags_parse_json(body, len, tp->tags, TAGS_PER_DEVICE_MAX,
	    err, sizeof(err))) == -1) {
		free(tp);
		http_error(hx, 400, "bad_request", "%s", err);
		return;
	}
	if (tags_set(hx->gw, ep, tp->tags, tp->n) == -1 ||
	    store_when_durable(hx->gw->store, tagapi_put_done, tp) == -1) {
		free(tp);
		http_store_error(hx, "store failure");
	}
}

void
api_device_tags(struct http_exchange *hx)
{
	char tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
	const char *ep = hx->params.value[0];
	int n;

	if (!http_check_ep(hx, ep))
		return;
	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_PUT) {
		tagapi_put(hx, ep);
		return;
	}
	if ((n = tags_get(hx->gw, ep, tags, TAGS_PER_DEVICE_MAX)) == -1) {
		http_error(hx, 500, "internal", "store read failed");
		return;
	}
	tagapi_reply(hx, tags, n);
}
