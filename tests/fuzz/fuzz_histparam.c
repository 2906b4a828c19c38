// fuzz-sources: proxy/histparam.c parse.c
// fuzz-libs: -lcjson
/*
 * fuzz_histparam.c: libFuzzer target for the query of a history read. The
 * input is split at NUL bytes into from, to, step, limit and after (an
 * empty part: absent). Besides ASan and UBSan it checks histparam.h's
 * promises: an accepted query has 0 <= from < to, a step of 1 s to 366
 * days in whole seconds, a limit of 1..HISTORY_LIMIT_MAX, a cursor of a
 * valid time; an accepted time prints as RFC 3339 and reads back the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/histparam.h"

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
	char *s = malloc(size + 1), *part[5] = { NULL }, *p, *end;
	char field[16], err[256], t[HISTPARAM_TIME_LEN];
	char cur[HISTPARAM_CURSOR_LEN];
	struct history_query q;
	struct history_row r;
	int64_t ms;
	int i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	end = s + size;
	for (i = 0, p = s; i < 5 && p <= end; i++) {
		if (*p != '\0')
			part[i] = p;
		p += strlen(p) + 1;
	}
	if (histparam_parse(part[0], part[1], part[2], part[3], part[4],
	    1765085510123LL, &q, field, sizeof(field), err, sizeof(err)) == 0) {
		if (q.from_ms < 0 || q.from_ms >= q.to_ms || q.limit < 1 ||
		    q.limit > HISTORY_LIMIT_MAX || q.step_ms < 0 ||
		    q.step_ms % 1000 != 0 ||
		    q.step_ms > HISTORY_STEP_MAX * 1000LL ||
		    (q.has_after && (q.after_ms < 0 ||
		    q.after_ms > HISTPARAM_TIME_MAX)))
			abort();
		if (q.has_after) {
			memset(&r, 0, sizeof(r));
			r.t_ms = q.after_ms;
			r.kind = q.after_kind;
			histparam_cursor(&r, q.step_ms, cur);
			if (strcmp(cur, part[4]) != 0 && part[4][1] != '0')
				abort();
		}
	} else if (field[0] == '\0' || err[0] == '\0') {
		abort();
	}
	if (part[0] != NULL && (ms = histparam_time(part[0])) >= 0) {
		if (ms > HISTPARAM_TIME_MAX)
			abort();
		histparam_time_str(ms, t);
		if (histparam_time(t) != ms)
			abort();
	}
	free(s);
	return 0;
}
