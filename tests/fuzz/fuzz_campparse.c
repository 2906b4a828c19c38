// fuzz-sources: lwm2m/campparse.c lwm2m/lwm2m.c lwm2m/tagparse.c lwm2m/senml.c lwm2m/senml_dec.c lwm2m/senml_tlv.c lwm2m/senml_typed.c lwm2m/senml_cbor.c lwm2m/cborscan.c lwm2m/objmodel.c parse.c
// fuzz-libs: -lcjson -lcbor -lm
/*
 * fuzz_campparse.c: libFuzzer target for what a campaign reads from a
 * device: the input is a device's answer to a SenML JSON read of /5/0,
 * and (its first byte choosing the Content-Format and the path) one
 * notification of /5/0/3 or /5/0/5. Besides ASan and UBSan it checks
 * campparse.h's promises: a read's State is 0..255 and Update Result
 * -1..255, State -1 on failure; a notification sets exactly the one value
 * its path names.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lwm2m/campparse.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static const int formats[] = { -1, 0, 110, 112, 11542 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int st = 7, res = 7, cf, is_state;

	if (size > 0) {
		cf = formats[(data[0] & 0x7f) % 5];
		is_state = (data[0] & 0x80) != 0;
		if (campparse_value(is_state ? "5/0/3" : "5/0/5", cf,
		    data + 1, size - 1, &st, &res) == 0) {
			if (is_state ? (st < 0 || st > 255 || res != -1) :
			    (res < 0 || res > 255 || st != -1))
				abort();
		} else if (st != -1 || res != -1) {
			abort();
		}
	}

	if (campparse_fw(data, size, &st, &res) == 0) {
		if (st < 0 || st > 255 || res < -1 || res > 255)
			abort();
	} else if (st != -1) {
		abort();
	}
	return 0;
}
