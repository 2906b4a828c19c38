// fuzz-sources: modules/device/guard.c cache/cache.c lwm2m/numvals.c gateway.c log.c lwm2m/campparse.c lwm2m/lwm2m.c lwm2m/tagparse.c lwm2m/senml.c lwm2m/senml_dec.c lwm2m/senml_tlv.c lwm2m/senml_typed.c lwm2m/senml_cbor.c lwm2m/cborscan.c lwm2m/objmodel.c parse.c lwm2m/jobrisk.c
// fuzz-libs: -lcjson -lcbor -lm
/*
 * fuzz_guard.c: libFuzzer target for the single-device guard
 * (modules/device/guard.c) over what a client and a device send it: the
 * path of an API request (guard_risky's parser) and the device's /5/0/3
 * as the value cache holds it. The input is a method byte, a format byte,
 * the path up to a NUL, and the body of /5/0/3 after it. Besides ASan and
 * UBSan it checks guard.h's promises: guard_refuses says 1 only for a
 * request guard_risky holds back, and only when guard_update_busy does,
 * and 0 for such a request only when it is the apply of a Downloaded
 * update;
 * the reason is a NUL-terminated string within its buffer; the apply a
 * device accepted leaves no busy State behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "gateway.h"
#include "lwm2m/devmsg.h"
#include "modules/device/guard.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static const int formats[] = { -1, 0, 42, 110, 112, 11542 };
static struct gateway gw;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[DEVREQ_PATH_MAX + 1], reason[160];
	const uint8_t *nul, *body;
	size_t plen, blen;
	int method, cf, risky, busy, refuses;

	if (size < 2)
		return 0;
	if (gw.cache == NULL) {
		gw.cfg.cache_max_entries = 64;
		gw.cfg.cache_max_bytes = 1 << 20;
		if (cache_init(&gw) == -1)
			abort();
	}
	method = data[0] & 7;
	cf = formats[data[1] % (sizeof(formats) / sizeof(formats[0]))];
	data += 2;
	size -= 2;
	nul = memchr(data, '\0', size);
	plen = nul != NULL ? (size_t)(nul - data) : size;
	if (plen > DEVREQ_PATH_MAX)
		plen = DEVREQ_PATH_MAX;
	memcpy(path, data, plen);
	path[plen] = '\0';
	risky = guard_risky(method, path);
	if (risky != 0 && risky != 1)
		abort();
	if (nul == NULL)
		return 0;
	body = nul + 1;
	blen = size - (size_t)(body - data);
	(void)cache_put(&gw, "ep", "5/0/3", cf, -1, body, blen, 0);

	memset(reason, 'x', sizeof(reason));
	busy = guard_update_busy(&gw, "ep", reason, sizeof(reason));
	if (busy && memchr(reason, '\0', sizeof(reason)) == NULL)
		abort();
	refuses = guard_refuses(&gw, "ep", method, path, reason,
	    sizeof(reason));
	if (refuses && (!risky || !busy))
		abort();
	/* Let through while busy: only an Execute of Update (no PUT of its
	 * path is guarded) and only while Downloaded. */
	if (risky && busy && !refuses && (method != DEVREQ_POST ||
	    guard_risky(DEVREQ_PUT, path) ||
	    strstr(reason, "(/5/0/3 = 2,") == NULL))
		abort();
	guard_accepted(&gw, "ep", DEVREQ_POST, "5/0/2");
	if (guard_update_busy(&gw, "ep", NULL, 0))
		abort();
	cache_drop_device(&gw, "ep");
	return 0;
}
