// fuzz-sources: lwm2m/dmparse.c parse.c
// fuzz-libs: -lcjson
/*
 * fuzz_dmparse.c: libFuzzer target for the bodies of the device-management
 * operations (lwm2m/dmparse.c): the input is at once a Write-Attributes
 * body, Execute arguments, a Read-Composite (and Observe-Composite) body
 * and a path. Besides ASan and UBSan, it checks what dmparse.h promises
 * and aborts on a broken promise: an accepted query is terminated, fits,
 * and holds only known names in LwM2M's order with their values; accepted
 * arguments follow the grammar's characters; a composite payload parses
 * back to as many names as the body gave, each a valid path; a composite
 * set holds valid paths, each once, and reads back with the same id.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/dmparse.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static const char *const fuzz_order[] = {
	"pmin", "pmax", "gt", "lt", "st", "epmin", "epmax",
};

/* Each '&' part is a known name, in order, bare or "=" and a number. */
static void
fuzz_query(const char *q)
{
	char buf[DM_QUERY_MAX], *part, *save, *eq;
	size_t last = 0, i;

	if (strlen(q) >= DM_QUERY_MAX || q[0] == '\0')
		abort();
	memcpy(buf, q, strlen(q) + 1);
	for (part = strtok_r(buf, "&", &save); part != NULL;
	    part = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(part, '=')) != NULL) {
			*eq = '\0';
			if (eq[1] == '\0' || strspn(eq + 1,
			    "0123456789.-+e") != strlen(eq + 1))
				abort();
		}
		for (i = 0; i < 7 && strcmp(part, fuzz_order[i]) != 0; i++)
			;
		if (i == 7 || (last > 0 && i < last))
			abort();
		last = i + 1;
	}
}

static void
fuzz_composite(const char *body, size_t size)
{
	char err[160];
	size_t n = 1, i = 0;
	cJSON *pack, *e, *name;
	char *out = dm_composite(body, size, &n, err, sizeof(err));

	if (out == NULL) {
		if (n != 0 || strlen(err) >= sizeof(err))
			abort();
		return;
	}
	if (n != strlen(out) || (pack = cJSON_Parse(out)) == NULL)
		abort();
	cJSON_ArrayForEach(e, pack) {
		name = cJSON_GetObjectItem(e, "n");
		if (!cJSON_IsString(name) || !dm_path_valid(name->valuestring,
		    strlen(name->valuestring)))
			abort();
		i++;
	}
	if (i < 1 || i > DM_COMPOSITE_MAX)
		abort();
	cJSON_Delete(pack);
	free(out);
}

/* An Observe-Composite's set: valid paths, each once, and its body
 * reads back as the same set with the same id. */
static void
fuzz_composite_set(const char *body, size_t size)
{
	char paths[DM_COMPOSITE_MAX][DM_PATH_LEN], back[DM_COMPOSITE_MAX]
	    [DM_PATH_LEN], err[160], id[DM_COMPOSITE_ID_LEN + 1],
	    id2[DM_COMPOSITE_ID_LEN + 1], *text;
	int n, i, k;

	if ((n = dm_composite_set(body, size, paths, err, sizeof(err))) == -1)
		return;
	if (n < 1 || n > DM_COMPOSITE_MAX)
		abort();
	for (i = 0; i < n; i++) {
		if (!dm_path_valid(paths[i], strlen(paths[i])))
			abort();
		for (k = 0; k < i; k++)
			if (strcmp(paths[k], paths[i]) == 0)
				abort();
	}
	dm_composite_id(paths, n, id);
	if ((text = dm_composite_body(paths, n)) == NULL)
		return;
	if (dm_composite_set(text, strlen(text), back, err, sizeof(err)) != n)
		abort();
	dm_composite_id(back, n, id2);
	if (strcmp(id, id2) != 0)
		abort();
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char query[DM_QUERY_MAX], small[12], err[160];
	char *body;
	size_t i;

	/* An exact-size copy: a read past the end is an ASan report. */
	if ((body = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	if (dm_attributes(body, size, query, sizeof(query), err,
	    sizeof(err)) == 0)
		fuzz_query(query);
	else if (query[0] != '\0' || memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (dm_attributes(body, size, small, sizeof(small), err, 8) == 0) {
		if (memchr(small, '\0', sizeof(small)) == NULL)
			abort();
	} else if (small[0] != '\0' || strlen(err) >= 8)
		abort();
	if (dm_execute_args(data, size, err, sizeof(err)) == 0) {
		for (i = 0; i < size; i++)
			if (data[i] < 0x21 || data[i] > 0x7e || data[i] == '"' ||
			    data[i] == '\\')
				abort();
	}
	fuzz_composite(body, size);
	fuzz_composite_set(body, size);
	(void)dm_path_valid(body, size);
	free(body);
	return 0;
}
