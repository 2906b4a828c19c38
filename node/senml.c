/*
 * senml.c: see senml.h.
 */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "node/senml.h"

/* Adds the value of one record to rec. Returns 0 or -1. */
static int
senml_value(cJSON *rec, const struct obj_value *v)
{
	switch (v->type) {
	case OBJ_STRING:
		return cJSON_AddStringToObject(rec, "vs", v->s) != NULL ? 0 :
		    -1;
	case OBJ_INT:
	case OBJ_TIME:
		return cJSON_AddNumberToObject(rec, "v", (double)v->i) !=
		    NULL ? 0 : -1;
	case OBJ_FLOAT:
		return cJSON_AddNumberToObject(rec, "v", v->f) != NULL ? 0 :
		    -1;
	case OBJ_ABSENT:
		break;
	}
	return -1;
}

char *
senml_encode(const char *bn, const struct senml_rec *recs, size_t n)
{
	cJSON *arr, *rec;
	char *out;
	size_t i;

	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((rec = cJSON_CreateObject()) == NULL)
			goto fail;
		cJSON_AddItemToArray(arr, rec);
		if (i == 0 && bn != NULL && bn[0] != '\0' &&
		    cJSON_AddStringToObject(rec, "bn", bn) == NULL)
			goto fail;
		if (recs[i].name != NULL && recs[i].name[0] != '\0' &&
		    cJSON_AddStringToObject(rec, "n", recs[i].name) == NULL)
			goto fail;
		if (senml_value(rec, recs[i].value) == -1)
			goto fail;
	}
	out = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	return out;
fail:
	cJSON_Delete(arr);
	return NULL;
}
