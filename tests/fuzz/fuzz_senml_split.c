// fuzz-sources: lwm2m/senml_split.c lwm2m/senml.c lwm2m/senml_dec.c lwm2m/senml_tlv.c lwm2m/senml_typed.c lwm2m/senml_cbor.c lwm2m/cborscan.c lwm2m/objmodel.c lwm2m/dmparse.c parse.c
// fuzz-libs: -lcjson -lcbor -lm
/*
 * fuzz_senml_split.c: libFuzzer target for lwm2m/senml_split.c, a
 * composite observation's notification split by record. The input is the
 * device's notification, split as SenML JSON and as SenML CBOR against a
 * set of observed paths. Besides ASan and UBSan, it checks the promises of
 * senml_split.h and aborts on a broken one: a refusal has a reason and
 * leaves nothing; a split has, per path, one pack of one record named
 * that path, which is an observed path or below one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/dmparse.h"
#include "lwm2m/senml_split.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static const char *const paths[] = { "/3/0/9", "/3303/0", "/1" };
#define NPATHS	(sizeof(paths) / sizeof(paths[0]))

/* Whether name is one of paths or below one. */
static int
observed(const char *name)
{
	size_t k, l;

	for (k = 0; k < NPATHS; k++) {
		l = strlen(paths[k]);
		if (strncmp(name, paths[k], l) == 0 &&
		    (name[l] == '\0' || name[l] == '/'))
			return 1;
	}
	return 0;
}

static void
fuzz_one(int cf, const uint8_t *data, size_t size)
{
	struct senml_split sp;
	const struct senml_part *p;
	cJSON *pack, *n;
	char err[160], name[SENML_SPLIT_PATH_LEN + 1];
	size_t k;

	memset(err, 'x', sizeof(err));
	if (senml_split(cf, data, size, paths, NPATHS, 1700000000, &sp, err,
	    sizeof(err)) == -1) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0' ||
		    sp.parts != NULL || sp.records != NULL || sp.nparts != 0)
			abort();
		return;
	}
	if (err[0] != '\0' || !cJSON_IsArray(sp.records) ||
	    (size_t)cJSON_GetArraySize(sp.records) < sp.nparts ||
	    sp.nparts > SENML_SPLIT_MAX)
		abort();
	for (k = 0; k < sp.nparts; k++) {
		p = &sp.parts[k];
		snprintf(name, sizeof(name), "/%s", p->path);
		if (!dm_path_valid(name, strlen(name)) || !observed(name) ||
		    p->len != strlen(p->pack) ||
		    (pack = cJSON_Parse(p->pack)) == NULL)
			abort();
		if (cJSON_GetArraySize(pack) != 1 || (n = cJSON_GetObjectItem(
		    cJSON_GetArrayItem(pack, 0), "n")) == NULL ||
		    !cJSON_IsString(n) || strcmp(n->valuestring, name) != 0)
			abort();
		cJSON_Delete(pack);
	}
	senml_split_free(&sp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	/* An exact-size copy: a read past the end is an ASan report. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	fuzz_one(110, copy, size);
	fuzz_one(112, copy, size);
	free(copy);
	return 0;
}
