/*
 * senml.c: see senml.h. The entry point, the checked copy of SenML JSON and
 * what the converters share (senml_int.h); LwM2M TLV is senml_tlv.c, the
 * values by type and plain text senml_typed.c, SenML CBOR senml_cbor.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/senml.h"
#include "lwm2m/senml_int.h"

/* Writes the first reason of a conversion into err; returns -1. */
int
senml_fail(struct senml *s, const char *fmt, ...)
{
	va_list ap;

	if (s->errlen == 0 || s->err[0] != '\0')
		return -1;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A JSON string item holding p[0..n), which the caller has checked. */
cJSON *
senml_string(struct senml *s, const uint8_t *p, size_t n)
{
	cJSON *item;
	char *copy;

	if ((copy = malloc(n + 1)) == NULL) {
		senml_fail(s, "out of memory");
		return NULL;
	}
	memcpy(copy, p, n);
	copy[n] = '\0';
	if ((item = cJSON_CreateString(copy)) == NULL)
		senml_fail(s, "out of memory");
	free(copy);
	return item;
}

/* A JSON string item holding p[0..n) in base64url without padding. */
cJSON *
senml_base64url(struct senml *s, const uint8_t *p, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;
	uint32_t v;
	cJSON *item;
	char *out;

	if ((out = malloc(n / 3 * 4 + 4)) == NULL) {
		senml_fail(s, "out of memory");
		return NULL;
	}
	for (i = 0; n - i >= 3; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i > 0) {
		v = (uint32_t)p[i] << 16;
		if (n - i == 2)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		if (n - i == 2)
			out[o++] = abc[v >> 6 & 63];
	}
	out[o] = '\0';
	if ((item = cJSON_CreateString(out)) == NULL)
		senml_fail(s, "out of memory");
	free(out);
	return item;
}

/* A JSON number item written exactly as text (an integer, "MeE"). */
cJSON *
senml_raw(struct senml *s, const char *text)
{
	cJSON *item;

	if ((item = cJSON_CreateRaw(text)) == NULL)
		senml_fail(s, "out of memory");
	return item;
}

/* Adds item (deleted on failure) to obj as name, or to the array obj. */
int
senml_add(struct senml *s, cJSON *obj, const char *name, cJSON *item)
{
	cJSON_bool ok;

	if (item == NULL)
		return -1;
	ok = name != NULL ? cJSON_AddItemToObject(obj, name, item) :
	    cJSON_AddItemToArray(obj, item);
	if (!ok) {
		cJSON_Delete(item);
		return senml_fail(s, "out of memory");
	}
	return 0;
}

/* Prints and frees pack: the answer of senml_to_json, or NULL. */
char *
senml_print(struct senml *s, cJSON *pack)
{
	char *out;

	out = cJSON_PrintUnformatted(pack);
	cJSON_Delete(pack);
	if (out == NULL) {
		senml_fail(s, "out of memory");
		return NULL;
	}
	if (strlen(out) > SENML_OUT_MAX) {
		senml_fail(s, "SenML JSON of %zu bytes is over the %d-byte "
		    "limit", strlen(out), SENML_OUT_MAX);
		free(out);
		return NULL;
	}
	return out;
}

/* ---- SenML JSON ---- */

/* A copy of body once it has parsed as one JSON value. */
static char *
senml_copy_json(struct senml *s, const uint8_t *body, size_t len)
{
	const char *end = NULL;
	cJSON *doc;
	char *copy;

	if (memchr(body, '\0', len) != NULL) {
		senml_fail(s, "SenML JSON: NUL byte in the body");
		return NULL;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		senml_fail(s, "out of memory");
		return NULL;
	}
	if (len > 0)
		memcpy(copy, body, len);
	copy[len] = '\0';
	if ((doc = cJSON_ParseWithOpts(copy, &end, 1)) == NULL) {
		senml_fail(s, "SenML JSON: not JSON (at byte %zu)",
		    end != NULL && end >= copy && end <= copy + len ?
		    (size_t)(end - copy) : (size_t)0);
		free(copy);
		return NULL;
	}
	cJSON_Delete(doc);
	return copy;
}

int
senml_path_depth(const char *path)
{
	int32_t ids[4];

	return senml_path(path, ids);
}

char *
senml_to_json(int cf, const uint8_t *body, size_t len, const char *path,
    const struct lwm2m_model *model, size_t *outlen, char *err, size_t errlen)
{
	struct senml s = { err, errlen };
	char *out = NULL;

	if (outlen != NULL)
		*outlen = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	else
		s.errlen = 0;
	if (cf != SENML_CF_JSON && cf != SENML_CF_CBOR && cf != SENML_CF_TLV &&
	    cf != SENML_CF_TEXT && cf != SENML_CF_OPAQUE) {
		senml_fail(&s, "no conversion from Content-Format %d", cf);
		return NULL;
	}
	if (body == NULL && len > 0) {
		senml_fail(&s, "no body but a length of %zu", len);
		return NULL;
	}
	if (body == NULL)
		body = (const uint8_t *)"";
	if (len > SENML_IN_MAX) {
		senml_fail(&s, "body of %zu bytes is over the %d-byte limit",
		    len, SENML_IN_MAX);
		return NULL;
	}
	if (cf == SENML_CF_JSON)
		out = senml_copy_json(&s, body, len);
	else if (cf == SENML_CF_CBOR)
		out = senml_from_cbor(&s, body, len);
	else if (cf == SENML_CF_TLV)
		out = senml_from_tlv(&s, body, len, path, model);
	else
		out = senml_from_text(&s, cf, body, len, path, model);
	if (out != NULL && outlen != NULL)
		*outlen = strlen(out);
	return out;
}
