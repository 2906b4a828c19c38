/*
 * senml.c: see senml.h.
 */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
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

/* SenML CBOR labels (RFC 8428 6). */
#define SENML_CBOR_BN	(-2)
#define SENML_CBOR_N	0
#define SENML_CBOR_V	2
#define SENML_CBOR_VS	3
#define SENML_CBOR_VB	4
#define SENML_CBOR_VD	8

/* Adds label: value (taken over) to map. Returns 0, or -1 (value freed). */
static int
senml_cbor_add(cbor_item_t *map, int label, cbor_item_t *value)
{
	cbor_item_t *key;
	int ok;

	if (value == NULL)
		return -1;
	key = label < 0 ? cbor_build_negint8((uint8_t)(-1 - label)) :
	    cbor_build_uint8((uint8_t)label);
	if (key == NULL) {
		cbor_decref(&value);
		return -1;
	}
	ok = cbor_map_add(map, (struct cbor_pair){ .key = key,
	    .value = value });
	cbor_decref(&key);
	cbor_decref(&value);
	return ok ? 0 : -1;
}

/* An integer in its shortest form (RFC 8949 4.2.1). */
static cbor_item_t *
senml_cbor_int(int64_t i)
{
	uint64_t u = i >= 0 ? (uint64_t)i : (uint64_t)(-1 - i);
	cbor_item_t *item;

	if (u <= UINT8_MAX)
		item = i >= 0 ? cbor_build_uint8((uint8_t)u) :
		    cbor_build_negint8((uint8_t)u);
	else if (u <= UINT16_MAX)
		item = i >= 0 ? cbor_build_uint16((uint16_t)u) :
		    cbor_build_negint16((uint16_t)u);
	else if (u <= UINT32_MAX)
		item = i >= 0 ? cbor_build_uint32((uint32_t)u) :
		    cbor_build_negint32((uint32_t)u);
	else
		item = i >= 0 ? cbor_build_uint64(u) : cbor_build_negint64(u);
	return item;
}

/* The value of one record as a CBOR item (NULL: out of memory). */
static cbor_item_t *
senml_cbor_value(const struct obj_value *v, int *label)
{
	switch (v->type) {
	case OBJ_STRING:
		*label = SENML_CBOR_VS;
		return cbor_build_string(v->s);
	case OBJ_INT:
	case OBJ_TIME:
		*label = SENML_CBOR_V;
		return senml_cbor_int(v->i);
	case OBJ_FLOAT:
		*label = SENML_CBOR_V;
		return cbor_build_float8(v->f);
	case OBJ_BOOL:
		*label = SENML_CBOR_VB;
		return cbor_build_bool(v->i != 0);
	case OBJ_OPAQUE:
		*label = SENML_CBOR_VD;
		return cbor_build_bytestring((cbor_data)v->s,
		    v->len < OBJ_STR_MAX ? v->len : OBJ_STR_MAX);
	case OBJ_ABSENT:
		break;
	}
	return NULL;
}

uint8_t *
senml_encode_cbor(const char *bn, const struct senml_rec *recs, size_t n,
    size_t *len)
{
	cbor_item_t *arr, *rec, *value;
	unsigned char *out = NULL;
	size_t i, size = 0;
	int label = 0;

	*len = 0;
	if ((arr = cbor_new_definite_array(n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((rec = cbor_new_definite_map(3)) == NULL)
			goto fail;
		if (!cbor_array_push(arr, rec)) {
			cbor_decref(&rec);
			goto fail;
		}
		cbor_decref(&rec);	/* the array holds it */
		if (i == 0 && bn != NULL && bn[0] != '\0' &&
		    senml_cbor_add(rec, SENML_CBOR_BN, cbor_build_string(bn)) ==
		    -1)
			goto fail;
		if (recs[i].name != NULL && recs[i].name[0] != '\0' &&
		    senml_cbor_add(rec, SENML_CBOR_N,
		    cbor_build_string(recs[i].name)) == -1)
			goto fail;
		value = senml_cbor_value(recs[i].value, &label);
		if (senml_cbor_add(rec, label, value) == -1)
			goto fail;
	}
	*len = cbor_serialize_alloc(arr, &out, &size);
	cbor_decref(&arr);
	if (*len == 0) {
		free(out);
		return NULL;
	}
	return out;
fail:
	cbor_decref(&arr);
	return NULL;
}
