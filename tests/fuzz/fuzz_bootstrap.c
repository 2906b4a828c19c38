// fuzz-sources: lwm2m/bsmsg.c lwm2m/lwm2m.c modules/device/bsparse.c modules/device/credparse.c lwm2m/tagparse.c parse.c hex.c
// fuzz-libs: -lcjson -lcbor
/*
 * fuzz_bootstrap.c: libFuzzer target for the Bootstrap server's parsers of
 * untrusted input: a device's Bootstrap-Discover answer
 * (bsmsg_parse_discover) and the bodies of PUT /v1/bootstrap/{ep} and
 * /v1/bootstrap-tags/{tag} (bs_parse_config). The first byte picks the
 * parser. Besides ASan and UBSan it checks what the headers promise and
 * aborts on a broken promise: a discover that parses names a bootstrap
 * instance of -1..65535 and a version that is terminated; a refusal
 * leaves a terminated reason; a configuration that parses holds members
 * within their ranges, and a refused one leaves no key behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/bsmsg.h"
#include "modules/device/bootstrap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_discover(const char *body, size_t len)
{
	struct bsmsg_discover d;
	char err[64];

	memset(err, 0xa5, sizeof(err));
	if (bsmsg_parse_discover(body, len, &d, err, sizeof(err)) == 0) {
		if (d.bs_instance < -1 || d.bs_instance > 65535 ||
		    memchr(d.version, '\0', sizeof(d.version)) == NULL ||
		    bsmsg_security_instance(&d) == d.bs_instance)
			abort();
	} else if (memchr(err, '\0', sizeof(err)) == NULL) {
		abort();
	}
}

static void
fuzz_config(const char *body, size_t len, int factory)
{
	static const uint8_t zero[CRED_KEY_MAX];
	struct bs_config cfg;
	struct cred fc;
	char err[128];

	if (bs_parse_config(body, len, factory, &cfg, &fc, err,
	    sizeof(err)) == 0) {
		if ((cfg.lifetime != 0 && (cfg.lifetime < 1 ||
		    cfg.lifetime > 0x7fffffff)) || cfg.ssid < 0 ||
		    cfg.ssid > 65534 || memchr(cfg.server_uri, '\0',
		    sizeof(cfg.server_uri)) == NULL || (cfg.mode != -1 &&
		    cfg.mode != 0 && cfg.mode != 3) || (!factory &&
		    fc.kind != 0) || fc.key_len > CRED_KEY_MAX)
			abort();
	} else if (memchr(err, '\0', sizeof(err)) == NULL ||
	    memcmp(fc.key, zero, sizeof(zero)) != 0) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;

	if (size == 0)
		return 0;
	/* An exact copy: reading one byte past the end is an ASan error. */
	if ((copy = malloc(size - 1 + 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		fuzz_discover(copy, size - 1);
		break;
	default:
		fuzz_config(copy, size - 1, data[0] % 3 == 1);
		break;
	}
	free(copy);
	return 0;
}
