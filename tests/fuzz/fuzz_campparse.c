// fuzz-sources: modules/campparse.c
// fuzz-libs: -lcjson
/*
 * fuzz_campparse.c: libFuzzer target for what a campaign reads from a
 * device: the input is a device's answer to a SenML JSON read of /5/0.
 * Besides ASan and UBSan it checks campparse.h's promise: on success State
 * is 0..255 and Update Result -1..255; on failure State is -1.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "modules/campparse.h"

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
	int st = 7, res = 7;

	if (campparse_fw(data, size, &st, &res) == 0) {
		if (st < 0 || st > 255 || res < -1 || res > 255)
			abort();
	} else if (st != -1) {
		abort();
	}
	return 0;
}
