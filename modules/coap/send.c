/*
 * send.c: CoAP POST /dp, the LwM2M 1.1 Send operation. A registered device
 * reports values on its own initiative, as SenML JSON (110) or SenML CBOR
 * (112); each resource's value goes into the cache, the whole report into
 * the event stream, and the message counts as the device being heard from.
 * A source that is not a registered device's session gets 4.03. A body
 * sent block-wise without Size1 is put together by rdblock.c, up to
 * SEND_BODY_MAX bytes (with Size1, libcoap does it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cache/cache.h"
#include "cache/observe.h"
#include "gateway.h"
#include "log.h"
#include "modules/coap/coap.h"
#include "modules/coap/devreq.h"
#include "cache/events.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "lwm2m/senml.h"

#define SEND_BODY_MAX	65536

/* Caches one SenML record under its resolved name (bn + n). */
static void
send_record(struct gateway *gw, const char *ep, const char *bn,
    const cJSON *rec)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(rec, "n");
	const cJSON *v;
	char name[DEVREQ_PATH_MAX], text[64], *s = NULL;
	const char *path, *value = NULL;

	snprintf(name, sizeof(name), "%s%s", bn, cJSON_IsString(n) ?
	    n->valuestring : "");
	path = name[0] == '/' ? name + 1 : name;
	if (*path == '\0')
		return;
	if ((v = cJSON_GetObjectItemCaseSensitive(rec, "v")) != NULL &&
	    cJSON_IsNumber(v)) {
		s = cJSON_PrintUnformatted(v);
		value = s;
	} else if ((v = cJSON_GetObjectItemCaseSensitive(rec, "vs")) != NULL &&
	    cJSON_IsString(v)) {
		value = v->valuestring;
	} else if ((v = cJSON_GetObjectItemCaseSensitive(rec, "vb")) != NULL &&
	    cJSON_IsBool(v)) {
		snprintf(text, sizeof(text), "%s", cJSON_IsTrue(v) ? "true" :
		    "false");
		value = text;
	} else if ((v = cJSON_GetObjectItemCaseSensitive(rec, "vd")) != NULL &&
	    cJSON_IsString(v)) {
		value = v->valuestring;		/* base64url, as sent */
	}
	if (value != NULL)
		cache_put(gw, ep, path, 0, -1, (const uint8_t *)value,
		    strlen(value), 0);
	free(s);
}

/* Walks a SenML pack, carrying the base name from record to record. */
static int
send_pack(struct gateway *gw, const char *ep, const cJSON *pack)
{
	const cJSON *rec, *bn;
	char base[DEVREQ_PATH_MAX] = "";

	if (!cJSON_IsArray(pack))
		return -1;
	cJSON_ArrayForEach(rec, pack) {
		if (!cJSON_IsObject(rec))
			return -1;
		bn = cJSON_GetObjectItemCaseSensitive(rec, "bn");
		if (cJSON_IsString(bn))
			snprintf(base, sizeof(base), "%s", bn->valuestring);
		send_record(gw, ep, base, rec);
	}
	return 0;
}

void
send_post(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct gateway *gw = coap_resource_get_userdata(r);
	const char *ep = devreq_session_ep(s);
	struct device *d;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	const uint8_t *data;
	size_t len = 0, offset, total;
	char *json, err[160];
	cJSON *pack, *e;
	int cf = -1;

	(void)query;
	gw->metrics.coap_in++;
	if (!coap_plain_allowed(gw, s)) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_UNAUTHORIZED,
		    "plain CoAP is not accepted from here: use DTLS");
		return;
	}
	/* The route's ep: set only by a register or update the session
	 * was allowed to make (rd.c), so a device reports as itself. */
	if (ep == NULL || (d = registry_find_by_endpoint(gw->registry, ep)) ==
	    NULL) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_FORBIDDEN,
		    "not a registered device");
		return;
	}
	if ((opt = coap_check_option(req, COAP_OPTION_CONTENT_FORMAT, &it)) !=
	    NULL)
		cf = (int)coap_decode_var_bytes(coap_opt_value(opt),
		    coap_opt_length(opt));
	if (cf != SENML_CF_JSON && cf != SENML_CF_CBOR) {
		coap_reply(gw, resp,
		    COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT,
		    "Send takes SenML JSON (110) or SenML CBOR (112)");
		return;
	}
	switch (rd_block1(gw, s, req, resp, SEND_BODY_MAX, &data, &len)) {
	case -1:
		return;		/* answered: 2.31, or why not */
	case 0:
		if (!coap_get_data_large(req, &len, &data, &offset, &total))
			len = 0;
		break;
	}
	err[0] = '\0';
	json = senml_to_json(cf, data, len, "", NULL, NULL, err, sizeof(err));
	pack = json != NULL ? cJSON_Parse(json) : NULL;
	free(json);
	if (pack == NULL || send_pack(gw, ep, pack) == -1) {
		cJSON_Delete(pack);
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_REQUEST,
		    err[0] != '\0' ? err : "not a SenML pack");
		return;
	}
	registry_touch(gw->registry, d);
	e = cJSON_CreateObject();
	cJSON_AddItemToObject(e, "senml", pack);
	events_emit(gw, "send", ep, e);
	coap_reply(gw, resp, COAP_RESPONSE_CODE_CHANGED, NULL);
	/* Heard from: what waits for the device may go. */
	queue_wake(gw, ep);
	observe_wake(gw, ep);
}
