// fuzz-sources: lwm2m/senml.c lwm2m/senml_dec.c lwm2m/senml_tlv.c lwm2m/senml_typed.c lwm2m/senml_cbor.c lwm2m/cborscan.c lwm2m/objmodel.c parse.c
// fuzz-libs: -lcjson -lcbor -lm
/*
 * fuzz_senml.c: libFuzzer target for the SenML conversions. The input is a
 * device answer: read as LwM2M TLV at an object, instance, resource and
 * resource instance path (typed by the built-in model), as plain text and
 * opaque at resources of every type, as SenML CBOR and as SenML JSON. Besides ASan and
 * UBSan, it checks the promises of senml.h and aborts on a broken one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/senml.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

/*
 * The build uses -fsanitize=undefined in recover mode, where UBSan only
 * prints; make undefined behaviour a crash that libFuzzer saves.
 */
const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/*
 * One conversion: NULL and a reason, or a NUL-terminated answer of the
 * stated length, no reason, within the cap; for TLV and CBOR a JSON array
 * of objects, for TLV with the path's base name on its first record.
 */
static void
fuzz_one(int cf, const char *path, const uint8_t *data, size_t size)
{
	char err[160], bn[32];
	size_t outlen;
	cJSON *doc, *first;
	char *out;

	memset(err, 'x', sizeof(err));
	out = senml_to_json(cf, data, size, path, NULL, &outlen, err,
	    sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (out == NULL) {
		if (err[0] == '\0' || outlen != 0)
			abort();
		return;
	}
	if (err[0] != '\0' || outlen != strlen(out) || outlen > SENML_OUT_MAX)
		abort();
	if (cf == SENML_CF_JSON) {
		if (outlen != size || memcmp(out, data, size) != 0)
			abort();
		free(out);
		return;
	}
	if ((doc = cJSON_Parse(out)) == NULL || !cJSON_IsArray(doc))
		abort();
	if (cf != SENML_CF_CBOR && (first = cJSON_GetArrayItem(doc, 0)) !=
	    NULL) {
		snprintf(bn, sizeof(bn), "/%s", path);
		if (!cJSON_IsString(cJSON_GetObjectItem(first, "bn")) ||
		    strncmp(cJSON_GetObjectItem(first, "bn")->valuestring, bn,
		    strlen(bn)) != 0)
			abort();
	}
	cJSON_Delete(doc);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "3", "3/0", "3/0/6", "3/0/6/1",
	    "6/0", "0/0" };
	/* A resource of each type: String, Integer, Unsigned, Float,
	 * Boolean, Opaque, Time, Objlnk, none, and one unknown. */
	static const char *const res[] = { "3/0/16", "3/0/9", "1/0/1",
	    "6/0/0", "1/0/6", "0/0/3", "3/0/13", "3/0/22/0", "3/0/4",
	    "3/0/999" };
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		fuzz_one(SENML_CF_TLV, paths[i], data, size);
	for (i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		fuzz_one(SENML_CF_TEXT, res[i], data, size);
		fuzz_one(SENML_CF_OPAQUE, res[i], data, size);
	}
	fuzz_one(SENML_CF_CBOR, NULL, data, size);
	fuzz_one(SENML_CF_JSON, NULL, data, size);
	return 0;
}
