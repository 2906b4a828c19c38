/*
 * provision.c: POST /v1/devices gives a device its DTLS credential;
 * DELETE /v1/devices/{ep} of a device that never registered revokes it.
 * The answer waits for the commit. A PSK never leaves this file in a
 * reply or a log line, and its hex is wiped from the request buffer as
 * soon as it is parsed. Tags given with a new credential are committed
 * in its batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway.h"
#include "log.h"
#include "modules/device/cred.h"
#include "store/store.h"
#include "modules/device/tags.h"
#include "proxy/http.h"

/* What the answer says about a credential: its kind and public part. */
static cJSON *
provision_json(const struct cred *c, int with_ep)
{
	cJSON *o = cJSON_CreateObject();
	char id[CRED_ID_MAX * 2 + 1];
	size_t i;

	if (with_ep)
		cJSON_AddStringToObject(o, "ep", c->ep);
	cJSON_AddStringToObject(o, with_ep ? "credential" : "kind",
	    cred_kind_name(c->kind));
	if (c->kind == CRED_RPK) {
		for (i = 0; i < c->id_len; i++)
			snprintf(id + 2 * i, 3, "%02x", c->id[i]);
	} else {
		memcpy(id, c->id, c->id_len);
		id[c->id_len] = '\0';
	}
	cJSON_AddStringToObject(o, c->kind == CRED_PSK ? "psk_identity" :
	    c->kind == CRED_RPK ? "rpk" : "x509_cn", id);
	return o;
}

struct provision {
	struct http_exchange	*hx;
	int			 replace;
	int			 tags_failed;
	int			 ntags;	/* -1: the body had no "tags" */
	char			 tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
	struct cred		 c;	/* key wiped: only the public part */
};

/* The answer's document: the credential, and the tags given with it. */
static cJSON *
provision_answer(struct provision *pv)
{
	cJSON *o = provision_json(&pv->c, 1);

	if (pv->ntags >= 0)
		cJSON_AddItemToObject(o, "tags", api_tags_json(pv->tags,
		    pv->ntags));
	return o;
}

static void
provision_done(int status, void *arg)
{
	struct provision *pv = arg;
	char loc[HTTP_SEG_LEN + 16], seg[HTTP_SEG_LEN];

	if (status != 0) {
		http_store_error(pv->hx, "store write failed");
	} else if (pv->tags_failed) {
		http_error(pv->hx, 500, "internal", "the credential was "
		    "stored, its tags were not (PUT /v1/devices/%s/tags)",
		    pv->c.ep);
	} else if (pv->replace) {
		http_reply_json(pv->hx, 200, provision_json(&pv->c, 1));
	} else {
		snprintf(loc, sizeof(loc), "/v1/devices/%s",
		    http_seg(pv->c.ep, seg));
		evhttp_add_header(evhttp_request_get_output_headers(
		    pv->hx->req), "Location", loc);
		http_reply_json(pv->hx, 201, provision_answer(pv));
	}
	free(pv);
}

/* Parses the request's credential (for path_ep, or naming its ep) and
 * wipes the body; NULL after answering 400 or 500. */
static struct provision *
provision_parse(struct http_exchange *hx, const char *path_ep)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(hx->req);
	size_t len = evbuffer_get_length(in);
	char *body = len > 0 ? (char *)evbuffer_pullup(in, -1) : NULL;
	struct provision *pv;
	char err[160];
	int rc;

	if ((pv = calloc(1, sizeof(*pv))) == NULL) {
		http_error(hx, 500, "internal", "out of memory");
		return NULL;
	}
	pv->hx = hx;
	pv->ntags = -1;
	if (path_ep != NULL)
		rc = cred_parse_json_for(path_ep, body != NULL ? body : "",
		    len, &pv->c, err, sizeof(err));
	else
		rc = cred_parse_provision(body != NULL ? body : "", len,
		    &pv->c, pv->tags, &pv->ntags, err, sizeof(err));
	if (body != NULL)
		explicit_bzero(body, len);	/* the key in hex */
	if (rc == -1) {
		free(pv);
		http_error(hx, 400, "bad_request", "%s", err);
		return NULL;
	}
	return pv;
}

/* After cred_put or cred_replace staged (rc 0) or refused: the answer. */
static void
provision_staged(struct provision *pv, int rc)
{
	struct http_exchange *hx = pv->hx;

	explicit_bzero(pv->c.key, sizeof(pv->c.key));
	pv->c.key_len = 0;
	if (rc == 0)
		return;		/* provision_done answers */
	if (rc == 1 && !pv->replace)
		http_error(hx, 409, "conflict", "device '%s' or its identity "
		    "already has a credential (PUT /v1/devices/%s/credential "
		    "replaces it)", pv->c.ep, pv->c.ep);
	else if (rc == 1)
		http_error(hx, 404, "not_found", "device '%s' has no "
		    "credential (POST /v1/devices)", pv->c.ep);
	else if (rc == 2)
		http_error(hx, 409, "conflict", "the identity belongs to "
		    "another device");
	else
		http_store_error(hx, "store failure");
	free(pv);
}

void
api_devices_provision(struct http_exchange *hx)
{
	struct provision *pv;
	int rc;

	if ((pv = provision_parse(hx, NULL)) == NULL)
		return;
	/* The tags only with a credential staged, in its batch: a refused
	 * provisioning changes nothing. */
	rc = cred_put(hx->gw, &pv->c, provision_done, pv);
	if (rc == 0 && pv->ntags >= 0 &&
	    tags_set(hx->gw, pv->c.ep, pv->tags, pv->ntags) == -1)
		pv->tags_failed = 1;
	provision_staged(pv, rc);
}

void
api_device_credential_http(struct http_exchange *hx)
{
	const char *ep = hx->params.value[0];
	struct provision *pv;
	int rc;

	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_DELETE) {
		rc = api_devices_revoke(hx, ep, 1);
		if (rc == 1)
			http_error(hx, 404, "not_found", "device '%s' has no "
			    "credential", ep);
		return;
	}
	if ((pv = provision_parse(hx, ep)) == NULL)
		return;
	pv->replace = 1;
	provision_staged(pv, cred_replace(hx->gw, &pv->c, provision_done,
	    pv));
}

void
api_device_credential(struct gateway *gw, const char *ep, cJSON *o)
{
	struct cred c;

	if (cred_find_by_ep(gw, ep, &c) == 0)
		cJSON_AddItemToObject(o, "credential", provision_json(&c, 0));
	explicit_bzero(&c, sizeof(c));
}

static void
provision_revoked(int status, void *arg)
{
	struct http_exchange *hx = arg;

	if (status == 0)
		http_reply(hx, 204, NULL, NULL);
	else
		http_store_error(hx, "store write failed");
}

int
api_devices_revoke(struct http_exchange *hx, const char *ep, int answer)
{
	int rc = cred_revoke(hx->gw, ep, answer ? provision_revoked : NULL,
	    answer ? hx : NULL);

	if (rc == -1 && answer)
		http_store_error(hx, "store failure");
	return rc;
}
