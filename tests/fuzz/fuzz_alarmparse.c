// fuzz-sources: lwm2m/alarmparse.c lwm2m/tagparse.c lwm2m/dmparse.c lwm2m/lwm2m.c parse.c
// fuzz-libs: -lcjson -lm
/*
 * fuzz_alarmparse.c: libFuzzer target for the body of POST
 * /v1/alarm-rules and of POST /v1/alarms/{id}/ack. Besides ASan and UBSan
 * it checks alarmparse.h's promises: a rule accepted has a kind and a
 * severity in range, a valid path where its kind needs one, a member at
 * fault named only on refusal, and prints back to the same rule; a
 * refused rule leaves nothing filled; an acknowledgement's by is a
 * NUL-terminated string within its bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/alarmparse.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static void
check_rule(const char *body, size_t size)
{
	struct alarm_rule_def def, again;
	char field[ALARM_FIELD_MAX], err[256], *text;
	cJSON *o;

	if (alarmparse_rule(body, size, &def, field, sizeof(field), err,
	    sizeof(err)) == -1) {
		if (def.kind != 0 || def.path[0] != '\0' || def.name[0] != '\0')
			abort();
		return;
	}
	if (field[0] != '\0' || def.kind < 0 || def.kind >= ALARM_K__COUNT ||
	    def.severity < 0 || def.severity >= ALARM_SEV__COUNT)
		abort();
	if ((def.kind == ALARM_K_THRESHOLD || def.kind == ALARM_K_RATE) &&
	    !alarmparse_path_valid(def.path))
		abort();
	if (def.push && !alarmparse_path_lwm2m(def.path))
		abort();
	if ((o = alarmparse_json(&def)) == NULL)
		return;
	if ((text = cJSON_PrintUnformatted(o)) != NULL) {
		if (alarmparse_rule(text, strlen(text), &again, field,
		    sizeof(field), err, sizeof(err)) != 0 ||
		    memcmp(&def, &again, sizeof(def)) != 0)
			abort();
		free(text);
	}
	cJSON_Delete(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char by[ALARM_BY_MAX], err[160];
	char *body;

	/* A copy without a NUL after it: the parsers take a length. */
	if ((body = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	check_rule(body, size);
	memset(by, 'x', sizeof(by));
	if (alarmparse_ack(body, size, by, err, sizeof(err)) == 0 &&
	    strnlen(by, sizeof(by)) == sizeof(by))
		abort();
	free(body);
	return 0;
}
