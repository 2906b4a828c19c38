// fuzz-sources: lwm2m/numvals.c lwm2m/senml.c lwm2m/senml_dec.c lwm2m/senml_tlv.c lwm2m/senml_typed.c lwm2m/senml_cbor.c lwm2m/cborscan.c lwm2m/objmodel.c parse.c
// fuzz-libs: -lcjson -lcbor -lm
/*
 * fuzz_numvals.c: libFuzzer target for lwm2m/numvals.c, the numbers of a
 * device's value. The first byte picks the Content-Format and the path;
 * the rest is the value. Besides ASan and UBSan it checks numvals.h's
 * promises: every number is finite, its path is short, has no leading '/',
 * and no more than NUMVALS_MAX come from one value; a refusal calls
 * nothing.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/numvals.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static const int cfs[] = { 0, 50, 110, 112, 11542 };
static const char *const paths[] = { "3/0/9", "3/0", "/3303", "health",
    "3/0/7/1" };

static void
check(const char *path, double v, int64_t t_ms, void *arg)
{
	int *n = arg;

	(void)t_ms;
	if (!isfinite(v) || path[0] == '/' || path[0] == '\0' ||
	    strlen(path) >= NUMVALS_PATH_MAX || ++*n > NUMVALS_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int n = 0, rc;

	if (size < 1)
		return 0;
	rc = numvals_extract(cfs[data[0] % 5], data + 1, size - 1,
	    paths[(data[0] / 5) % 5], NULL, 1700000000000LL, check, &n);
	if ((rc == -1 && n != 0) || (rc >= 0 && rc != n))
		abort();
	return 0;
}
