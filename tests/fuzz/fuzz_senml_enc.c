// fuzz-sources: lwm2m/senml.c lwm2m/senml_dec.c lwm2m/senml_tlv.c lwm2m/senml_typed.c lwm2m/senml_cbor.c lwm2m/cborscan.c lwm2m/senml_enc.c lwm2m/senml_encfmt.c lwm2m/objmodel.c parse.c
// fuzz-libs: -lcjson -lcbor -lm
/*
 * fuzz_senml_enc.c: libFuzzer target for senml_encode, the body of a write
 * an API client sends in SenML JSON. The input is that body, written to an
 * object (a create), an instance, a resource, a multiple resource and a
 * resource instance, in TLV, plain text and SenML CBOR. Besides ASan and
 * UBSan, it checks the promises of senml.h, and that what comes out reads
 * back: senml_to_json (the device's side of the same formats, typed by the
 * same model) must convert every body senml_encode made.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/senml.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static void
fuzz_one(int cf, const char *path, const uint8_t *data, size_t size)
{
	char err[200];
	size_t outlen = 7, jlen;
	uint8_t *out;
	char *json;
	int outcf = -9;

	memset(err, 'x', sizeof(err));
	out = senml_encode(cf, data, size, path, NULL, &outcf, &outlen, err,
	    sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (out == NULL) {
		if (err[0] == '\0' || outlen != 0 || outcf != cf)
			abort();
		return;
	}
	if (err[0] != '\0' || outlen > SENML_OUT_MAX)
		abort();
	if (outcf != cf && !(cf == SENML_CF_TEXT &&
	    outcf == SENML_CF_OPAQUE))
		abort();
	/* What was made reads back. */
	json = senml_to_json(outcf, out, outlen, path, NULL, &jlen, err,
	    sizeof(err));
	if (json == NULL && !(outlen == 0 && outcf == SENML_CF_TEXT))
		abort();
	free(json);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "3", "3/0", "3/0/14", "3/0/7",
	    "3/0/7/1", "1/0", "1/0/1", "5/0/0", "6/0", "3303" };
	static const int cfs[] = { SENML_CF_TLV, SENML_CF_TEXT,
	    SENML_CF_CBOR };
	size_t i, c;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		for (c = 0; c < sizeof(cfs) / sizeof(cfs[0]); c++)
			fuzz_one(cfs[c], paths[i], data, size);
	return 0;
}
