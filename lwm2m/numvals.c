/*
 * numvals.c: see numvals.h. TLV, plain text, SenML CBOR and SenML JSON all
 * go through senml_to_json (which types plain text and TLV by the object
 * model, so a string resource that happens to read "42" is no number), and
 * the pack is walked here; the agent's /health JSON is read member by
 * member. Nothing is parsed by hand.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/numvals.h"
#include "lwm2m/senml.h"

#define NUMVALS_CF_JSON		50
/* RFC 8428 4.5.3: a time below 2^28 is relative to now. */
#define NUMVALS_T_ABSOLUTE	268435456.0

struct numvals_walk {
	numvals_cb	 cb;
	void		*arg;
	int64_t		 now_ms;
	int		 n;
};

/* Calls cb for one number; path may have a leading '/'. */
static void
numvals_one(struct numvals_walk *w, const char *path, double v, int64_t t_ms)
{
	if (w->n >= NUMVALS_MAX || !isfinite(v))
		return;
	while (*path == '/')
		path++;
	if (*path == '\0' || strlen(path) >= NUMVALS_PATH_MAX)
		return;
	w->cb(path, v, t_ms, w->arg);
	w->n++;
}

/* An object's members that are numbers, each as path/member. */
static int
numvals_json(struct numvals_walk *w, const uint8_t *body, size_t len,
    const char *path)
{
	cJSON *root, *m;
	char name[NUMVALS_PATH_MAX];

	if ((root = cJSON_ParseWithLength((const char *)body, len)) == NULL)
		return -1;
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -1;
	}
	cJSON_ArrayForEach(m, root) {
		if (!cJSON_IsNumber(m) || m->string == NULL ||
		    strchr(m->string, '/') != NULL)
			continue;
		if ((size_t)snprintf(name, sizeof(name), "%s/%s", path,
		    m->string) >= sizeof(name))
			continue;
		numvals_one(w, name, m->valuedouble, w->now_ms);
	}
	cJSON_Delete(root);
	return w->n;
}

/* The time of a record: bt + t, absolute past 2^28 s, else from now. */
static int64_t
numvals_time(const struct numvals_walk *w, double bt, const cJSON *t)
{
	double s = bt + (cJSON_IsNumber(t) ? t->valuedouble : 0);

	if (!isfinite(s))
		return w->now_ms;
	if (s >= NUMVALS_T_ABSOLUTE && s < 1e11)
		return (int64_t)(s * 1000.0);
	if (s > -1e9 && s < NUMVALS_T_ABSOLUTE)
		return w->now_ms + (int64_t)(s * 1000.0);
	return w->now_ms;
}

/* A SenML JSON pack: each record with a numeric "v" at bn + n. */
static int
numvals_pack(struct numvals_walk *w, const char *json, size_t len)
{
	cJSON *pack, *r, *f;
	char bn[NUMVALS_PATH_MAX] = "", name[NUMVALS_PATH_MAX];
	double bt = 0, bv = 0;
	const char *n;

	if ((pack = cJSON_ParseWithLength(json, len)) == NULL)
		return -1;
	if (!cJSON_IsArray(pack)) {
		cJSON_Delete(pack);
		return -1;
	}
	cJSON_ArrayForEach(r, pack) {
		if (!cJSON_IsObject(r))
			continue;
		if ((f = cJSON_GetObjectItemCaseSensitive(r, "bn")) != NULL &&
		    cJSON_IsString(f) &&
		    strlen(f->valuestring) < sizeof(bn))
			memcpy(bn, f->valuestring, strlen(f->valuestring) + 1);
		if ((f = cJSON_GetObjectItemCaseSensitive(r, "bt")) != NULL &&
		    cJSON_IsNumber(f))
			bt = f->valuedouble;
		if ((f = cJSON_GetObjectItemCaseSensitive(r, "bv")) != NULL &&
		    cJSON_IsNumber(f))
			bv = f->valuedouble;
		f = cJSON_GetObjectItemCaseSensitive(r, "v");
		if (!cJSON_IsNumber(f))
			continue;
		n = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(r, "n"));
		if ((size_t)snprintf(name, sizeof(name), "%s%s", bn,
		    n != NULL ? n : "") >= sizeof(name))
			continue;
		numvals_one(w, name, bv + f->valuedouble, numvals_time(w, bt,
		    cJSON_GetObjectItemCaseSensitive(r, "t")));
	}
	cJSON_Delete(pack);
	return w->n;
}

int
numvals_extract(int cf, const uint8_t *body, size_t len, const char *path,
    const struct lwm2m_model *model, int64_t now_ms, numvals_cb cb,
    void *arg)
{
	struct numvals_walk w = { cb, arg, now_ms, 0 };
	char err[128], *json;
	size_t jlen;
	int rc;

	while (*path == '/')
		path++;
	switch (cf) {
	case NUMVALS_CF_JSON:
		return numvals_json(&w, body, len, path);
	case SENML_CF_TEXT:
	case SENML_CF_TLV:
	case SENML_CF_CBOR:
	case SENML_CF_JSON:
		if (len == 0 || body == NULL)
			return 0;
		/* Plain text converts at a resource or its instance only. */
		if (cf == SENML_CF_TEXT && senml_path_depth(path) < 3)
			return 0;
		if ((json = senml_to_json(cf, body, len, path, model, &jlen,
		    err, sizeof(err))) == NULL)
			return -1;
		rc = numvals_pack(&w, json, jlen);
		free(json);
		return rc;
	default:
		return 0;
	}
}
