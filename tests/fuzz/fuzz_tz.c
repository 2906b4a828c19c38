// fuzz-sources: tz.c parse.c
// fuzz-libs: -lcjson
/*
 * fuzz_tz.c: libFuzzer target for the TZif reader (tz_parse). The input is
 * a zone file. Besides ASan and UBSan, it checks the promises of tz.h and
 * aborts on a broken one: a refusal gives its reason; a zone read answers
 * at the ends of time, around the changes of real zones and at a time
 * taken from the input's last 8 bytes with an offset RFC 8536 allows and
 * the minute of the day that offset makes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check(const struct tz *z, int64_t t)
{
	long off = tz_offset(z, t);
	int64_t s;

	if (off < -89999 || off > 93599)
		abort();
	s = (t % 86400 + off + 2 * 86400) % 86400;
	if (tz_minute_of_day(z, t) != (int)(s / 60))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t times[] = { INT64_MIN, INT64_MIN + 1,
	    -(INT64_C(1) << 59), INT32_MIN, -1, 0, 1, 1774745999, 1774746000,
	    1792890000, 2216250000, 2147483647, 2147483648, INT64_MAX - 1,
	    INT64_MAX };
	char err[128];
	struct tz *z;
	uint64_t u = 0;
	size_t i;

	memset(err, 0, sizeof(err));
	if ((z = tz_parse(data, size, err, sizeof(err))) == NULL) {
		if (err[0] == '\0' || err[sizeof(err) - 1] != '\0')
			abort();
		return 0;
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		fuzz_check(z, times[i]);
	for (i = 0; i < 8 && i < size; i++)
		u = u << 8 | data[size - 1 - i];
	fuzz_check(z, (int64_t)u);
	tz_free(z);
	return 0;
}
