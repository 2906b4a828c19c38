// fuzz-sources: modules/device/credparse.c lwm2m/tagparse.c lwm2m/lwm2m.c hex.c parse.c
// fuzz-libs: -lcjson
/*
 * fuzz_cred.c: libFuzzer target for the body of POST /v1/devices
 * (cred_parse_json) and of PUT /v1/devices/{ep}/credential
 * (cred_parse_json_for), and of POST with its tags (cred_parse_provision).
 * Besides ASan and UBSan, it checks what cred.h
 * promises and aborts on a broken promise: a failure leaves the credential
 * zeroed with a terminated message; a success has one kind, an ep that is
 * a valid endpoint name, lengths within bounds, a key for PSK only; the
 * tags with a credential are valid and sorted, and accepted only there.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modules/device/cred.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check_ok(const struct cred *c)
{
	size_t eplen = strnlen(c->ep, sizeof(c->ep));

	if (eplen == 0 || eplen > LWM2M_EP_MAX || c->id_len == 0 ||
	    c->id_len > CRED_ID_MAX || c->key_len > CRED_KEY_MAX)
		abort();
	switch (c->kind) {
	case CRED_PSK:
		if (c->key_len < CRED_KEY_MIN)
			abort();
		break;
	case CRED_RPK:
	case CRED_X509:
		if (c->key_len != 0)
			abort();
		break;
	default:
		abort();
	}
	if (c->kind != CRED_RPK && memchr(c->id, '\0', c->id_len) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cred zero;
	struct cred c;
	char err[160], small[5];
	char tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
	int ntags, i;

	if (cred_parse_json((const char *)data, size, &c, err,
	    sizeof(err)) == 0) {
		fuzz_check_ok(&c);
	} else {
		if (memcmp(&c, &zero, sizeof(c)) != 0 ||
		    memchr(err, '\0', sizeof(err)) == NULL)
			abort();
	}
	if (cred_parse_json((const char *)data, size, &c, small,
	    sizeof(small)) == -1 && memchr(small, '\0', sizeof(small)) == NULL)
		abort();
	/* With the ep from a path: any success names exactly that ep. */
	if (cred_parse_json_for("node-1", (const char *)data, size, &c, err,
	    sizeof(err)) == 0) {
		fuzz_check_ok(&c);
		if (strcmp(c.ep, "node-1") != 0)
			abort();
	} else if (memcmp(&c, &zero, sizeof(c)) != 0) {
		abort();
	}
	if (cred_parse_provision((const char *)data, size, &c, tags, &ntags,
	    err, sizeof(err)) == 0) {
		fuzz_check_ok(&c);
		if (ntags < -1 || ntags > TAGS_PER_DEVICE_MAX)
			abort();
		for (i = 0; i < ntags; i++)
			if (!tags_valid(tags[i]) || (i > 0 &&
			    strcmp(tags[i - 1], tags[i]) >= 0))
				abort();
		/* Without tags, the body is one cred_parse_json takes. */
		if (ntags == -1 && cred_parse_json((const char *)data, size,
		    &c, err, sizeof(err)) != 0)
			abort();
	} else if (memcmp(&c, &zero, sizeof(c)) != 0) {
		abort();
	}
	cred_printable(data, size, err, sizeof(err));
	if (strlen(err) >= sizeof(err))
		abort();
	return 0;
}
