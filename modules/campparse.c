/*
 * campparse.c: State and Update Result out of a device's SenML JSON.
 */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "modules/campparse.h"

#define CAMPPARSE_NAME_MAX	128

/* Whether name ends in suffix. */
static int
campparse_ends(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n >= s && strcmp(name + n - s, suffix) == 0;
}

int
campparse_fw(const uint8_t *body, size_t len, int *state, int *result)
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
	return *state >= 0 ? 0 : -1;
}
