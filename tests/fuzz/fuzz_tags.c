// fuzz-sources: lwm2m/tagparse.c parse.c
// fuzz-libs: -lcjson
/*
 * fuzz_tags.c: libFuzzer target for the body of PUT /v1/devices/{ep}/tags
 * (tags_parse_json). Besides ASan and UBSan, it checks what tags.h
 * promises and aborts on a broken promise: a success gives 0..max tags,
 * each valid, strictly ascending (sorted, no duplicate), and the slots
 * past the count untouched; a failure leaves a terminated message, also
 * in a buffer too small for it; every max from 0 up is honoured.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modules/device/tags.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_SLOTS	(TAGS_PER_DEVICE_MAX + 1)
#define FUZZ_TAGCHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789._:-"

static void
fuzz_check(char out[][TAG_LEN_MAX + 1], int n, int max)
{
	int i;

	if (n > max)
		abort();
	for (i = 0; i < n; i++) {
		if (!tags_valid(out[i]))
			abort();
		if (i > 0 && strcmp(out[i - 1], out[i]) >= 0)
			abort();
	}
	/* Nothing written past max: the sentinel slot keeps its mark. */
	if (memcmp(out[max], "\xa5\xa5\xa5\xa5", 4) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[FUZZ_SLOTS][TAG_LEN_MAX + 1], err[160], small[5];
	static const int maxes[] = { TAGS_PER_DEVICE_MAX, 1, 0 };
	size_t i;
	int n;

	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		memset(out, 0xa5, sizeof(out));
		n = tags_parse_json((const char *)data, size, out, maxes[i],
		    err, sizeof(err));
		if (n >= 0)
			fuzz_check(out, n, maxes[i]);
		else if (n != -1 || memchr(err, '\0', sizeof(err)) == NULL)
			abort();
	}
	if (tags_parse_json((const char *)data, size, out, TAGS_PER_DEVICE_MAX,
	    small, sizeof(small)) == -1 &&
	    memchr(small, '\0', sizeof(small)) == NULL)
		abort();
	/* tags_valid on the raw input as a C string (up to a NUL), against
	 * the rule said another way: not empty, only FUZZ_TAGCHARS. */
	if (size <= TAG_LEN_MAX) {
		memcpy(err, data, size);
		err[size] = '\0';
		if (tags_valid(err) != (err[0] != '\0' &&
		    strspn(err, FUZZ_TAGCHARS) == strlen(err)))
			abort();
	}
	return 0;
}
