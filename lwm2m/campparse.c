/*
 * campparse.c: State and Update Result out of a device's answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/campparse.h"
#include "parse.h"
#include "lwm2m/senml.h"

#define CAMPPARSE_NAME_MAX	128

/* Whether name ends in suffix. */
static int
campparse_ends(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n >= s && strcmp(name + n - s, suffix) == 0;
}

/* Both out of a SenML JSON pack; 0 when either is there. */
static int
campparse_pack(const uint8_t *body, size_t len, int *state, int *result)
{
	cJSON *pack, *r, *x;
	char name[CAMPPARSE_NAME_MAX], bn[CAMPPARSE_NAME_MAX] = "";
	double v;

	*state = *result = -1;
	if (body == NULL || len == 0 ||
	    (pack = cJSON_ParseWithLength((const char *)body, len)) == NULL)
		return -1;
	if (!cJSON_IsArray(pack)) {
		cJSON_Delete(pack);
		return -1;
	}
	cJSON_ArrayForEach(r, pack) {
		if (!cJSON_IsObject(r))
			continue;
		x = cJSON_GetObjectItemCaseSensitive(r, "bn");
		if (cJSON_IsString(x) && strlen(x->valuestring) < sizeof(bn))
			memcpy(bn, x->valuestring, strlen(x->valuestring) + 1);
		x = cJSON_GetObjectItemCaseSensitive(r, "n");
		if (snprintf(name, sizeof(name), "%s%s", bn, cJSON_IsString(x) ?
		    x->valuestring : "") >= (int)sizeof(name))
			continue;
		x = cJSON_GetObjectItemCaseSensitive(r, "v");
		if (!cJSON_IsNumber(x))
			continue;
		v = x->valuedouble;
		if (!(v >= 0 && v <= 255) || (double)(int)v != v)
			continue;
		if (campparse_ends(name, "/5/0/3"))
			*state = (int)v;
		else if (campparse_ends(name, "/5/0/5"))
			*result = (int)v;
	}
	cJSON_Delete(pack);
	return *state >= 0 || *result >= 0 ? 0 : -1;
}

int
campparse_fw(const uint8_t *body, size_t len, int *state, int *result)
{
	if (campparse_pack(body, len, state, result) == -1 || *state < 0) {
		*state = *result = -1;
		return -1;
	}
	return 0;
}

int
campparse_value(const char *path, int cf, const uint8_t *body, size_t len,
    int *state, int *result)
{
	int is_state = strcmp(path, "5/0/3") == 0, v = 0, rc;
	char *json;
	size_t i;

	*state = *result = -1;
	if (!is_state && strcmp(path, "5/0/5") != 0)
		return -1;
	if (cf == 0 || cf == -1) {
		if (len == 0 || len > 3)
			return -1;
		for (i = 0; i < len; i++) {
			if (body[i] < '0' || body[i] > '9')
				return -1;
			v = v * 10 + (body[i] - '0');
		}
		if (v > 255)
			return -1;
		*(is_state ? state : result) = v;
		return 0;
	}
	if (cf != SENML_CF_JSON && cf != SENML_CF_CBOR && cf != SENML_CF_TLV)
		return -1;
	/* The built-in model: State and Update Result are Integers. */
	if ((json = senml_to_json(cf, body, len, path, NULL, &i, NULL, 0)) ==
	    NULL)
		return -1;
	rc = campparse_pack((const uint8_t *)json, i, state, result);
	free(json);
	/* Only the resource the notification is for. */
	if (is_state)
		*result = -1;
	else
		*state = -1;
	return rc == 0 && (is_state ? *state : *result) >= 0 ? 0 : -1;
}

int
campparse_minutes(const char *s)
{
	if (s == NULL || strlen(s) != 5 || s[2] != ':' ||
	    s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	if ((s[0] - '0') * 10 + (s[1] - '0') > 23)
		return -1;
	return ((s[0] - '0') * 10 + (s[1] - '0')) * 60 +
	    (s[3] - '0') * 10 + (s[4] - '0');
}

int
campparse_ep_ok(const char *ep)
{
	return lwm2m_check_ep(ep, NULL, 0) == 0;
}


/* An integer member of the policy in lo..hi; absent: left as it is. */
static int
campparse_int(const cJSON *p, const char *name, int lo, int hi, int *out,
    char *err, size_t errlen)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(p, name);

	if (x == NULL)
		return 0;
	if (!cJSON_IsNumber(x) || !(x->valuedouble >= lo &&
	    x->valuedouble <= hi) || (double)(int)x->valuedouble !=
	    x->valuedouble)
		return parse_error(err, errlen, "policy.%s must be a whole "
		    "number in %d..%d", name, lo, hi);
	*out = (int)x->valuedouble;
	return 0;
}

static int
campparse_target(const cJSON *t, struct camp_req *req, char *err,
    size_t errlen)
{
	const cJSON *eps = cJSON_GetObjectItemCaseSensitive(t, "eps");
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(t, "tags");
	const cJSON *e;
	int n;

	if (cJSON_IsString(t) && strcmp(t->valuestring, "all") == 0) {
		req->all = 1;
		return 0;
	}
	if (!cJSON_IsObject(t) || (eps == NULL && tags == NULL) ||
	    (eps != NULL && !cJSON_IsArray(eps)) ||
	    (tags != NULL && !cJSON_IsArray(tags)))
		return parse_error(err, errlen, "target must be \"all\" or "
		    "{\"eps\": [...], \"tags\": [...]} (either or both)");
	if ((n = cJSON_GetArraySize(eps)) > CAMP_MAX_DEVICES)
		return parse_error(err, errlen, "target.eps: more than %d "
		    "endpoints", CAMP_MAX_DEVICES);
	if (n > 0 && (req->eps = calloc((size_t)n, sizeof(*req->eps))) ==
	    NULL)
		return parse_error(err, errlen, "out of memory");
	cJSON_ArrayForEach(e, eps) {
		if (!cJSON_IsString(e) || !campparse_ep_ok(e->valuestring))
			return parse_error(err, errlen, "target.eps[%zu] "
			    "is not an endpoint name", req->neps);
		memcpy(req->eps[req->neps++], e->valuestring,
		    strlen(e->valuestring) + 1);
	}
	if (tags == NULL)
		return req->neps > 0 ? 0 : parse_error(err, errlen,
		    "target.eps is empty");
	if ((n = tags_parse_array(tags, req->tags, TAGS_PER_DEVICE_MAX, err,
	    errlen)) < 0) {
		/* Its reason names "tags": say where they were. */
		char why[200];

		snprintf(why, sizeof(why), "%s", err);
		return parse_error(err, errlen, "target.%s", why);
	}
	if (n == 0)
		return parse_error(err, errlen, "target.tags is empty");
	req->ntags = n;
	return 0;
}

static int
campparse_policy(const cJSON *p, struct camp_req *req, char *err,
    size_t errlen)
{
	const cJSON *w, *x;

	if (p != NULL && !cJSON_IsObject(p))
		return parse_error(err, errlen, "policy must be an object");
	if (campparse_int(p, "group_size", 0, CAMP_MAX_DEVICES,
	    &req->group_size, err, errlen) == -1 ||
	    campparse_int(p, "group_percent", 0, 100, &req->group_percent,
	    err, errlen) == -1 ||
	    campparse_int(p, "max_concurrent", 1, CAMP_MAX_DEVICES,
	    &req->max_concurrent, err, errlen) == -1 ||
	    campparse_int(p, "failure_percent", 0, 100, &req->failure_percent,
	    err, errlen) == -1)
		return -1;
	if ((x = cJSON_GetObjectItemCaseSensitive(p, "delivery")) != NULL) {
		if (cJSON_IsString(x) && strcmp(x->valuestring,
		    "multicast") == 0)
			req->delivery = DELIVER_MULTICAST;
		else if (!cJSON_IsString(x) || strcmp(x->valuestring,
		    "lwm2m") != 0)
			return parse_error(err, errlen, "policy.delivery "
			    "must be \"lwm2m\" or \"multicast\"");
	}
	if (req->delivery == DELIVER_MULTICAST && (req->group_size >= 0 ||
	    req->group_percent > 0))
		/* Every listening device hears it at once. */
		return parse_error(err, errlen, "a multicast announcement "
		    "reaches every device at once: groups need \"delivery\": "
		    "\"lwm2m\"");
	if (req->delivery == DELIVER_MULTICAST && !req->all)
		/* Every listening device would update, targeted or not. */
		return parse_error(err, errlen, "a multicast announcement "
		    "reaches every device: it needs \"target\": \"all\"");
	if ((w = cJSON_GetObjectItemCaseSensitive(p, "window")) != NULL) {
		req->win_from = campparse_minutes(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(w, "from")));
		req->win_to = campparse_minutes(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(w, "to")));
		if (req->win_from < 0 || req->win_to < 0)
			return parse_error(err, errlen, "policy.window "
			    "needs from and to as HH:MM (UTC)");
	}
	return 0;
}


int
campparse_request(const char *body, size_t len, struct camp_req *req,
    char *err, size_t errlen)
{
	const char *end = NULL;
	const cJSON *img;
	cJSON *o = NULL;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	req->group_size = req->max_concurrent = req->failure_percent = -1;
	req->win_from = req->win_to = -1;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (body == NULL || len == 0 || len > CAMP_BODY_MAX ||
	    (o = cJSON_ParseWithLengthOpts(body, len, &end, 0)) == NULL ||
	    !cJSON_IsObject(o) || !parse_json_rest_empty(end, body + len)) {
		parse_error(err, errlen, "expected a JSON object {\"image\": "
		    "ID, \"target\": ..., \"policy\": {...}}");
		goto out;
	}
	img = cJSON_GetObjectItemCaseSensitive(o, "image");
	if (!cJSON_IsString(img) || strlen(img->valuestring) == 0 ||
	    strlen(img->valuestring) > FW_ID_LEN) {
		parse_error(err, errlen, "image must be an image id");
		goto out;
	}
	memcpy(req->image, img->valuestring, strlen(img->valuestring) + 1);
	if (campparse_target(cJSON_GetObjectItemCaseSensitive(o, "target"),
	    req, err, errlen) == -1 || campparse_policy(
	    cJSON_GetObjectItemCaseSensitive(o, "policy"), req, err,
	    errlen) == -1)
		goto out;
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

void
campparse_request_free(struct camp_req *req)
{
	free(req->eps);
	req->eps = NULL;
	req->neps = 0;
}
