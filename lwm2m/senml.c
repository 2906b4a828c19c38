/*
 * senml.c: see senml.h. What the SenML converters share (senml_int.h): the
 * reason of a conversion, the JSON items and records they build, the pack
 * printed within its limit, and LwM2M paths as ids. Device answers to SenML
 * JSON start in senml_dec.c; a write's SenML JSON is senml_enc.c.
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

/* ---- LwM2M paths ---- */

/*
 * Parses "3", "3/0", "3/0/9" or "3/0/7/1" (an optional leading '/') into
 * ids. Returns the number of ids, or -1.
 */
int
senml_path(const char *path, int32_t ids[4])
{
	const char *p = path;
	int depth = 0;
	int32_t v;

	if (p == NULL)
		return -1;
	if (*p == '/')
		p++;
	for (;;) {
		if (depth == 4 || *p < '0' || *p > '9' ||
		    (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
			return -1;
		for (v = 0; *p >= '0' && *p <= '9'; p++)
			if ((v = v * 10 + (*p - '0')) > 65535)
				return -1;
		ids[depth++] = v;
		if (*p == '\0')
			return depth;
		if (*p++ != '/')
			return -1;
	}
}

/* Writes ids[0..n) as "a/b/c" into buf. */
void
senml_join(char *buf, size_t len, const int32_t *ids, int n)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%d", i ? "/" : "",
		    (int)ids[i]);
}

int
senml_path_depth(const char *path)
{
	int32_t ids[4];

	return senml_path(path, ids);
}
