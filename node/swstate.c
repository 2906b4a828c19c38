/*
 * swstate.c: the state file of /9/0 (see swstate.h), through cJSON. The
 * file is the agent's own, but it is read as any input is: its size
 * bounded, every member checked, nothing taken from a file that is not
 * whole.
 */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "node/swstate.h"

char *
sw_state_json(const struct sw *s)
{
	cJSON *o;
	char *text = NULL;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddNumberToObject(o, "state", s->state) != NULL &&
	    cJSON_AddBoolToObject(o, "active", s->active) != NULL &&
	    cJSON_AddStringToObject(o, "name", s->pkg_name) != NULL &&
	    cJSON_AddStringToObject(o, "version", s->pkg_version) != NULL)
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* A name or a version: printable ASCII that fits. 0, or -1. */
static int
sw_state_text(const cJSON *v, char *out, size_t size)
{
	const char *p;

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
		return -1;
	for (p = v->valuestring; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return -1;
	snprintf(out, size, "%s", v->valuestring);
	return 0;
}

int
sw_state_parse(const char *text, size_t len, struct sw *s, char *err,
    size_t errlen)
{
	cJSON *o = NULL, *v;
	struct sw got;
	double state;
	int seen = 0;

	memset(&got, 0, sizeof(got));
	if (len > SW_STATE_MAX) {
		snprintf(err, errlen, "%zu bytes, over the limit of %d", len,
		    SW_STATE_MAX);
		return -1;
	}
	if ((o = cJSON_ParseWithLength(text, len)) == NULL ||
	    !cJSON_IsObject(o)) {
		snprintf(err, errlen, "not a JSON object");
		goto fail;
	}
	cJSON_ArrayForEach(v, o) {
		if (strcmp(v->string, "state") == 0 && cJSON_IsNumber(v)) {
			state = v->valuedouble;
			if (state != 0 && state != SW_DELIVERED &&
			    state != SW_INSTALLED) {
				snprintf(err, errlen, "state must be 0, 3 or 4");
				goto fail;
			}
			got.state = (uint8_t)state;
			seen |= 1;
		} else if (strcmp(v->string, "active") == 0 &&
		    cJSON_IsBool(v)) {
			got.active = cJSON_IsTrue(v) ? 1 : 0;
			seen |= 2;
		} else if (strcmp(v->string, "name") == 0 &&
		    sw_state_text(v, got.pkg_name, sizeof(got.pkg_name)) == 0) {
			seen |= 4;
		} else if (strcmp(v->string, "version") == 0 &&
		    sw_state_text(v, got.pkg_version,
		    sizeof(got.pkg_version)) == 0) {
			seen |= 8;
		} else {
			snprintf(err, errlen, "member '%.32s': unknown, repeated "
			    "or not of its type", v->string);
			goto fail;
		}
	}
	if (seen != 15 || cJSON_GetArraySize(o) != 4) {
		snprintf(err, errlen, "needs state, active, name and version, "
		    "each once");
		goto fail;
	}
	if (got.active && got.state == SW_DELIVERED) {
		snprintf(err, errlen, "a package not installed cannot be "
		    "active");
		goto fail;
	}
	cJSON_Delete(o);
	*s = got;
	return 0;
fail:
	cJSON_Delete(o);
	return -1;
}
