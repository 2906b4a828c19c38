// fuzz-sources: lwm2m/devlog.c parse.c
// fuzz-libs: -lcjson
/*
 * fuzz_devlog.c: libFuzzer target for a device's Event Log LogData
 * (devlog_lines) and the since= value (devlog_since). The input is the
 * body; its first bytes, up to a NUL, are also tried as a since= value.
 * Besides ASan and UBSan, it checks the promises of devlog.h: an array of
 * at most limit lines, each with a "t" string or null and a "text" of
 * valid UTF-8 without controls within DEVLOG_TEXT_MAX bytes; a since=
 * read back from a time devlog_time_str printed gives that time.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/devlog.h"
#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const cJSON *arr, size_t limit)
{
	const cJSON *o, *t, *x;
	size_t n = 0;

	if (!cJSON_IsArray(arr))
		abort();
	cJSON_ArrayForEach(o, arr) {
		t = cJSON_GetObjectItemCaseSensitive(o, "t");
		x = cJSON_GetObjectItemCaseSensitive(o, "text");
		if ((!cJSON_IsNull(t) && !cJSON_IsString(t)) ||
		    !cJSON_IsString(x) ||
		    strlen(x->valuestring) > DEVLOG_TEXT_MAX ||
		    !parse_utf8((const uint8_t *)x->valuestring,
		    strlen(x->valuestring), 1))
			abort();
		n++;
	}
	if (n > limit)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[40];
	int64_t ms, back;
	cJSON *arr;
	size_t limit = size > 0 ? data[0] % 8 : 3;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (devlog_since(s, &ms) == 0) {
		devlog_time_str(ms, buf, sizeof(buf));
		if (devlog_since(buf, &back) != 0 || back != ms)
			abort();
	} else {
		ms = INT64_MIN;
	}
	if ((arr = devlog_lines(data, size, INT64_MIN, limit)) != NULL) {
		check(arr, limit);
		cJSON_Delete(arr);
	}
	if ((arr = devlog_lines(data, size, ms, DEVLOG_LINES_MAX + 5)) !=
	    NULL) {
		check(arr, DEVLOG_LINES_MAX);
		cJSON_Delete(arr);
	}
	free(s);
	return 0;
}
