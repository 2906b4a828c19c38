/*
 * senml.c: see senml.h.
 */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "node/senml.h"

/* len bytes as base64url without padding (RFC 8428 4.3, "vd") into out,
 * which holds 4 * ((len + 2) / 3) + 1 bytes. */
static void
senml_base64url(const uint8_t *in, size_t len, char *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t v;
	size_t i, n;

	for (i = 0; i < len; i += 3) {
		n = len - i < 3 ? len - i : 3;
		v = (uint32_t)in[i] << 16;
		if (n > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (n > 2)
			v |= in[i + 2];
		*out++ = abc[v >> 18 & 63];
		*out++ = abc[v >> 12 & 63];
		if (n > 1)
			*out++ = abc[v >> 6 & 63];
		if (n > 2)
			*out++ = abc[v & 63];
	}
	*out = '\0';
}

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
	case OBJ_BOOL:
		return cJSON_AddBoolToObject(rec, "vb", v->i != 0) != NULL ?
		    0 : -1;
	case OBJ_OPAQUE: {
		char b64[4 * ((OBJ_STR_MAX + 2) / 3) + 1];

		senml_base64url((const uint8_t *)v->s, v->len < OBJ_STR_MAX ?
		    v->len : OBJ_STR_MAX, b64);
		return cJSON_AddStringToObject(rec, "vd", b64) != NULL ? 0 :
		    -1;
	}
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
