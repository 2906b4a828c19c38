// fuzz-sources: @CORE_SRC@
// fuzz-libs: -levent_core -levent_extra -lcoap-3-gnutls -lwolfssl -llmdb -linih -lcjson -lcbor -lxml2 -lmosquitto -lm -lpthread
/*
 * fuzz_procstat.c: libFuzzer target for the reader of /proc/self/stat
 * that /metrics uses (metrics_proc_stat, proxy/metrics.c). The input is
 * the line, of exactly its length (no NUL added: the reader must not need
 * one). Besides ASan and UBSan it checks that a refused line leaves
 * nothing behind and that an accepted one has its last field's digits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/metrics.h"

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
	struct metrics_proc pr;
	char *s = malloc(size > 0 ? size : 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	if (metrics_proc_stat(s, size, &pr) == -1) {
		if (pr.utime != 0 && memchr(s, ')', size) == NULL)
			abort();	/* cleared before anything is read */
	} else if (memchr(s, ')', size) == NULL) {
		abort();
	}
	free(s);
	return 0;
}
