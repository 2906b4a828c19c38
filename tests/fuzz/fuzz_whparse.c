// fuzz-sources: proxy/whparse.c
/*
 * fuzz_whparse.c: libFuzzer target for the status line of a webhook
 * receiver's answer (webhook_status_line). Besides ASan and UBSan, it
 * checks that a code is 100..999 and comes only from a line that starts
 * "HTTP/1.0 " or "HTTP/1.1 " with those three digits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/whparse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	int code;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	code = webhook_status_line(s, size);
	if (code != -1) {
		if (code < 100 || code > 999 || size < 12 ||
		    (memcmp(s, "HTTP/1.0 ", 9) != 0 &&
		    memcmp(s, "HTTP/1.1 ", 9) != 0) ||
		    (s[9] - '0') * 100 + (s[10] - '0') * 10 + s[11] - '0' !=
		    code)
			abort();
	}
	free(s);
	return 0;
}
