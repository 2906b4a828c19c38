/*
 * campparse.c: State and Update Result out of a device's answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "modules/campparse.h"
#include "proxy/senml.h"

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
	if ((json = senml_to_json(cf, body, len, path, &i, NULL, 0)) == NULL)
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
