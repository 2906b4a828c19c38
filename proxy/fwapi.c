/*
 * fwapi.c: /v1/firmware. A manifest is POSTed, then its image is PUT in
 * parts (doc/firmware.md): evhttp in libevent 2.1 gives a handler the body
 * only once it is whole, so a part is bounded by [http] max_body, and the
 * image itself is never held whole: each part goes to the store in chunks
 * and is acknowledged after its commit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "hex.h"
#include "gateway.h"
#include "log.h"
#include "modules/firmware/campaign.h"
#include "modules/firmware/firmware.h"
#include "modules/coap/fwserve.h"
#include "proxy/crange.h"
#include "proxy/fwapi.h"
#include "proxy/http.h"

static cJSON *
fwapi_json(const struct fw_image *img)
{
	cJSON *o = cJSON_CreateObject();
	char hex[2 * FW_DIGEST_LEN + 1];

	cJSON_AddStringToObject(o, "id", img->id);
	cJSON_AddStringToObject(o, "vendor", img->m.vendor);
	cJSON_AddStringToObject(o, "class", img->m.class);
	cJSON_AddStringToObject(o, "version", img->m.version);
	cJSON_AddNumberToObject(o, "seq", (double)img->m.seq);
	cJSON_AddNumberToObject(o, "size", (double)img->m.size);
	hex_encode(img->m.digest, FW_DIGEST_LEN, hex);
	cJSON_AddStringToObject(o, "sha256", hex);
	cJSON_AddStringToObject(o, "uri", img->m.uri);
	cJSON_AddStringToObject(o, "severity",
	    fw_severity_name(img->m.severity));
	hex_encode(img->m.key, FW_KEY_LEN, hex);
	cJSON_AddStringToObject(o, "key", hex);
	cJSON_AddStringToObject(o, "state", img->complete ? "complete" :
	    "uploading");
	cJSON_AddBoolToObject(o, "trusted", img->trusted);
	cJSON_AddNumberToObject(o, "received", (double)img->received);
	http_json_time(o, "created_at", img->created);
	return o;
}

/* The one place firmware failures become HTTP statuses. */
static void
fwapi_fail(struct http_exchange *hx, enum fw_status st, const char *detail)
{
	static const struct {
		int		 status;
		const char	*code;
	} map[] = {
		[FWS_BAD_MANIFEST] = { 422, "bad_manifest" },
		[FWS_UNKNOWN_KEY] = { 422, "unknown_key" },
		[FWS_BAD_SIGNATURE] = { 422, "bad_signature" },
		[FWS_OLD_SEQUENCE] = { 422, "old_sequence" },
		[FWS_EXISTS] = { 409, "exists" },
		[FWS_FULL] = { 507, "store_full" },
		[FWS_NOT_FOUND] = { 404, "not_found" },
		[FWS_BUSY] = { 409, "busy" },
		[FWS_COMPLETE] = { 409, "complete" },
		[FWS_BAD_RANGE] = { 416, "bad_range" },
		[FWS_DIGEST] = { 422, "digest_mismatch" },
		[FWS_STORE] = { 500, "internal" },
	};

	if ((size_t)st >= sizeof(map) / sizeof(map[0]) || map[st].code == NULL)
		st = FWS_STORE;
	http_error(hx, map[st].status, map[st].code, "%s", detail != NULL ?
	    detail : map[st].code);
}

static void
fwapi_added(enum fw_status st, struct fw_image *img, const char *detail,
    void *arg)
{
	struct http_exchange *hx = arg;
	char loc[64];

	if (st != FWS_OK) {
		fwapi_fail(hx, st, detail);
		return;
	}
	snprintf(loc, sizeof(loc), "/v1/firmware/%s", img->id);
	evhttp_add_header(evhttp_request_get_output_headers(hx->req),
	    "Location", loc);
	http_reply_json(hx, 201, fwapi_json(img));
}

static void
fwapi_post(struct http_exchange *hx)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(hx->req);
	size_t len = evbuffer_get_length(in);
	enum fw_status st;
	char err[256];
	const void *doc;

	if (len > FW_MANIFEST_MAX) {
		http_error(hx, 413, "too_large", "a manifest is at most %d "
		    "bytes", FW_MANIFEST_MAX);
		return;
	}
	doc = len > 0 ? (const void *)evbuffer_pullup(in, -1) : "";
	st = firmware_add(hx->gw, doc, len, fwapi_added, hx, err,
	    sizeof(err));
	if (st != FWS_OK)
		fwapi_fail(hx, st, err);
}

void
api_firmware(struct http_exchange *hx)
{
	struct fw_image *img;
	cJSON *doc, *list;

	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_POST) {
		fwapi_post(hx);
		return;
	}
	doc = cJSON_CreateObject();
	list = cJSON_CreateArray();
	for (img = firmware_first(hx->gw); img != NULL; img = img->next)
		cJSON_AddItemToArray(list, fwapi_json(img));
	if (http_page(hx, doc, "images", list, "id", 0) == -1)
		return;
	cJSON_AddNumberToObject(doc, "bytes", (double)firmware_bytes(hx->gw));
	cJSON_AddNumberToObject(doc, "max_bytes",
	    (double)((uint64_t)hx->gw->cfg.fw_max_store_mb << 20));
	http_reply_json(hx, 200, doc);
}

static void
fwapi_deleted(enum fw_status st, struct fw_image *img, const char *detail,
    void *arg)
{
	struct http_exchange *hx = arg;

	(void)img;
	if (st != FWS_OK)
		fwapi_fail(hx, st, detail);
	else
		http_reply(hx, 204, NULL, NULL);
}

void
api_firmware_one(struct http_exchange *hx)
{
	struct fw_image *img = firmware_find(hx->gw, hx->params.value[0]);
	enum fw_status st;
	uint64_t camp;

	if (img == NULL) {
		http_error(hx, 404, "not_found", "no image '%s'",
		    hx->params.value[0]);
		return;
	}
	if (evhttp_request_get_command(hx->req) != EVHTTP_REQ_DELETE) {
		http_reply_json(hx, 200, fwapi_json(img));
		return;
	}
	/* Devices of a campaign may be fetching it, or about to. */
	if ((camp = campaign_of_image(hx->gw, img->id)) != 0) {
		http_error(hx, 409, "in_use", "image %s is rolled out by "
		    "campaign %" PRIu64 ", which has not finished: cancel it "
		    "first", img->id, camp);
		return;
	}
	if ((st = firmware_delete(hx->gw, img, fwapi_deleted, hx)) != FWS_OK)
		fwapi_fail(hx, st, st == FWS_BUSY ? "a write of the image is "
		    "under way" : NULL);
}

static void
fwapi_written(enum fw_status st, struct fw_image *img, const char *detail,
    void *arg)
{
	struct http_exchange *hx = arg;
	cJSON *o;

	if (st == FWS_MORE) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", img->id);
		cJSON_AddNumberToObject(o, "received", (double)img->received);
		cJSON_AddNumberToObject(o, "size", (double)img->m.size);
		http_reply_json(hx, 202, o);
	} else if (st == FWS_OK) {
		http_reply_json(hx, 201, fwapi_json(img));
	} else {
		fwapi_fail(hx, st, st == FWS_DIGEST ? "the image does not "
		    "hash to the manifest's sha256; it was deleted" : detail);
	}
}

void
api_firmware_image(struct http_exchange *hx)
{
	struct fw_image *img = firmware_find(hx->gw, hx->params.value[0]);
	struct evbuffer *in = evhttp_request_get_input_buffer(hx->req);
	const char *cr = evhttp_find_header(
	    evhttp_request_get_input_headers(hx->req), "Content-Range");
	size_t len = evbuffer_get_length(in);
	uint64_t first = 0, last, total;
	enum fw_status st;
	char err[256];

	if (img == NULL) {
		http_error(hx, 404, "not_found", "no image '%s'",
		    hx->params.value[0]);
		return;
	}
	if (cr == NULL) {
		/* The whole image in one request. */
		total = img->m.size;
		last = total - 1;
	} else if (crange_parse(cr, &first, &last, &total) == -1) {
		http_error(hx, 400, "bad_request", "Content-Range must be "
		    "'bytes FIRST-LAST/SIZE'");
		return;
	}
	if (total != img->m.size) {
		http_error(hx, 422, "size_mismatch", "the manifest says %"
		    PRIu64 " bytes, the upload %" PRIu64, img->m.size, total);
		return;
	}
	if (last - first + 1 != len) {
		http_error(hx, 400, "bad_request", "the body has %zu bytes, "
		    "the range %" PRIu64, len, last - first + 1);
		return;
	}
	st = firmware_write(hx->gw, img, first, in, len, fwapi_written, hx,
	    err, sizeof(err));
	if (st != FWS_OK)
		fwapi_fail(hx, st, err);
}

void
api_firmware_announce(struct http_exchange *hx)
{
	struct fw_image *img = firmware_find(hx->gw, hx->params.value[0]);
	cJSON *o;

	if (img == NULL) {
		http_error(hx, 404, "not_found", "no image '%s'",
		    hx->params.value[0]);
		return;
	}
	if (!img->complete) {
		http_error(hx, 409, "incomplete", "image %s has %" PRIu64 " of "
		    "%" PRIu64 " bytes", img->id, img->received, img->m.size);
		return;
	}
	if (!img->trusted) {
		http_error(hx, 409, "untrusted", "image %s is signed by a key "
		    "that is no longer in [firmware] trusted_keys", img->id);
		return;
	}
	if (fwserve_announce(hx->gw, img) == -1) {
		http_error(hx, 503, "unavailable", "no multicast group of "
		    "[firmware] can be used (see the log)");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", img->id);
	cJSON_AddNumberToObject(o, "repeat", hx->gw->cfg.fw_repeat);
	cJSON_AddNumberToObject(o, "interval_ms", hx->gw->cfg.fw_interval_ms);
	http_reply_json(hx, 202, o);
}
