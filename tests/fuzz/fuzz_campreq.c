// fuzz-sources: lwm2m/campparse.c lwm2m/lwm2m.c lwm2m/tagparse.c lwm2m/senml.c lwm2m/senml_dec.c lwm2m/senml_tlv.c lwm2m/senml_typed.c lwm2m/senml_cbor.c lwm2m/cborscan.c lwm2m/objmodel.c parse.c
// fuzz-libs: -lcjson -lcbor -lm
/*
 * fuzz_campreq.c: libFuzzer target for the body of POST /v1/campaigns
 * (campparse_request). Besides ASan and UBSan it checks what the parser
 * promises the campaign engine: an accepted request names an image, a
 * target ("all", or endpoints and tags that are well formed, tags sorted
 * and distinct), policy numbers in range or -1, a window both set or
 * both unset, and multicast only for "all" without groups.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/campparse.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct camp_req r;
	char err[256];
	size_t i;
	int ok;

	ok = campparse_request((const char *)data, size, &r, err,
	    sizeof(err)) == 0;
	if (!ok && err[0] == '\0')
		abort();	/* every refusal says why */
	if (ok) {
		if (r.image[0] == '\0' || strlen(r.image) > FW_ID_LEN)
			abort();
		if (!r.all && r.neps == 0 && r.ntags == 0)
			abort();
		for (i = 0; i < r.neps; i++)
			if (!campparse_ep_ok(r.eps[i]))
				abort();
		for (i = 0; i < (size_t)r.ntags; i++)
			if (!tags_valid(r.tags[i]) || (i > 0 &&
			    strcmp(r.tags[i - 1], r.tags[i]) >= 0))
				abort();
		if (r.group_size < -1 || r.group_size > CAMP_MAX_DEVICES ||
		    r.group_percent < 0 || r.group_percent > 100 ||
		    r.max_concurrent == 0 || r.max_concurrent < -1 ||
		    r.failure_percent < -1 || r.failure_percent > 100)
			abort();
		if ((r.win_from < 0) != (r.win_to < 0) ||
		    r.win_from >= 24 * 60 || r.win_to >= 24 * 60)
			abort();
		if (r.delivery == DELIVER_MULTICAST && (!r.all ||
		    r.group_size >= 0 || r.group_percent > 0))
			abort();
	}
	campparse_request_free(&r);
	return 0;
}
