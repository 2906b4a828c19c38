/*
 * senml_dec.c: a device's answer as SenML JSON (senml_to_json, see senml.h):
 * the limits every body meets, then its Content-Format's converter: SenML
 * JSON is checked and copied here, LwM2M TLV is senml_tlv.c, plain text and
 * opaque senml_typed.c, SenML CBOR senml_cbor.c.
 */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/senml.h"
#include "lwm2m/senml_int.h"

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
