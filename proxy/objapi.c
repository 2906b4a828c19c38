/*
 * objapi.c: GET /v1/objects and GET /v1/objects/{id}, the object model the
 * gateway converts devices' answers by (gw->models, lwm2m/objmodel.h), so
 * that API clients can show resources by name and type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/http.h>

#include "gateway.h"
#include "lwm2m/objmodel.h"
#include "proxy/http.h"

/* The fields an object has in the list and on its own. */
static cJSON *
objapi_obj_json(const struct lwm2m_obj *o)
{
	cJSON *j = cJSON_CreateObject();
	const char *base;

	cJSON_AddNumberToObject(j, "id", o->id);
	cJSON_AddStringToObject(j, "name", o->name);
	cJSON_AddStringToObject(j, "version", o->version);
	cJSON_AddBoolToObject(j, "multiple", o->multiple);
	cJSON_AddBoolToObject(j, "mandatory", o->mandatory);
	cJSON_AddStringToObject(j, "source", o->source != NULL ? "file" :
	    "builtin");
	if (o->source != NULL) {
		/* The file's name, not the operator's directory. */
		base = strrchr(o->source, '/');
		cJSON_AddStringToObject(j, "file", base != NULL ? base + 1 :
		    o->source);
	}
	return j;
}

static int
objapi_list_one(const struct lwm2m_obj *o, void *arg)
{
	cJSON_AddItemToArray(arg, objapi_obj_json(o));
	return 0;
}

/* GET /v1/objects: every object of the model, in id order. */
void
api_objects(struct http_exchange *hx)
{
	cJSON *doc = cJSON_CreateObject();

	lwm2m_model_walk(hx->gw->models, objapi_list_one,
	    cJSON_AddArrayToObject(doc, "objects"));
	http_reply_json(hx, 200, doc);
}

/* GET /v1/objects/{id}: one object with its resources. */
void
api_object(struct http_exchange *hx)
{
	const char *s = hx->params.value[0];
	struct lwm2m_obj o;
	struct lwm2m_res r;
	cJSON *doc, *list, *j;
	unsigned long id = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9' && id <= 65535; i++)
		id = id * 10 + (unsigned long)(s[i] - '0');
	if (i == 0 || s[i] != '\0' || id > 65535) {
		http_error(hx, 400, "bad_request", "an object id is a decimal "
		    "number 0..65535");
		return;
	}
	if (lwm2m_model_object(hx->gw->models, (unsigned)id, &o) == -1) {
		http_error(hx, 404, "not_found", "object %lu is not in the "
		    "object model", id);
		return;
	}
	doc = objapi_obj_json(&o);
	list = cJSON_AddArrayToObject(doc, "resources");
	for (i = 0; i < o.nres; i++) {
		lwm2m_obj_resource_at(&o, i, &r);
		j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "id", r.id);
		cJSON_AddStringToObject(j, "name", r.name);
		cJSON_AddStringToObject(j, "type", lwm2m_type_name(r.type));
		cJSON_AddStringToObject(j, "operations",
		    lwm2m_ops_name(r.ops));
		cJSON_AddBoolToObject(j, "multiple", r.multiple);
		cJSON_AddBoolToObject(j, "mandatory", r.mandatory);
		cJSON_AddStringToObject(j, "units", r.units);
		cJSON_AddStringToObject(j, "range", r.range);
		cJSON_AddItemToArray(list, j);
	}
	http_reply_json(hx, 200, doc);
}
