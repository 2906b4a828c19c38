/*
 * dmparse.c: the bodies of device-management operations (dmparse.h). No
 * store, no gateway: the fuzz target links this file alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/dmparse.h"
#include "parse.h"

/* In the order they go into the query. */
static const struct {
	const char	*name;
	int		 whole;		/* a period: a whole number */
} dm_attrs[] = {
	{ "pmin", 1 }, { "pmax", 1 }, { "gt", 0 }, { "lt", 0 }, { "st", 0 },
	{ "epmin", 1 }, { "epmax", 1 },
};
#define DM_NATTRS	(sizeof(dm_attrs) / sizeof(dm_attrs[0]))
enum { A_PMIN, A_PMAX, A_GT, A_LT, A_ST, A_EPMIN, A_EPMAX };

static int
dm_attr_index(const char *name)
{
	size_t i;

	for (i = 0; i < DM_NATTRS; i++)
		if (strcmp(dm_attrs[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
dm_attribute_name(const char *name)
{
	return name != NULL && dm_attr_index(name) >= 0;
}

/* Parses body as one JSON value with nothing after it; NULL when it is not
 * (or holds an escaped NUL, which cJSON would end a string at). */
static cJSON *
dm_json(const char *body, size_t len)
{
	const char *end = NULL;
	cJSON *doc;

	if (body == NULL || memmem(body, len, "\\u0000", 6) != NULL)
		return NULL;
	if ((doc = cJSON_ParseWithLengthOpts(body, len, &end, 0)) != NULL &&
	    !parse_json_rest_empty(end, body + len)) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/* A float as the shortest decimal that reads back the same. */
static void
dm_number(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

/* Checks one member's value; its text (or "" for null) into val. */
static int
dm_attr_value(const cJSON *m, int i, char *val, size_t vlen, char *err,
    size_t errlen)
{
	double v;

	val[0] = '\0';
	if (cJSON_IsNull(m))
		return 0;
	if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble))
		return parse_error(err, errlen, "%s must be a number or null",
		    dm_attrs[i].name);
	v = m->valuedouble;
	if (dm_attrs[i].whole) {
		if (v < 0 || v > DM_PERIOD_MAX || (double)(long)v != v)
			return parse_error(err, errlen, "%s must be a whole "
			    "number of seconds, 0..%d", dm_attrs[i].name,
			    DM_PERIOD_MAX);
		snprintf(val, vlen, "%.0f", v);
		return 0;
	}
	if (i == A_ST && v < 0)
		return parse_error(err, errlen, "st must not be negative");
	dm_number(v, val, vlen);
	return 0;
}

/* The rules of LwM2M 1.1 Core 5.1.2 among the values set (set[i]: a
 * number, not null). */
static int
dm_attr_rules(const int *set, const double *v, char *err, size_t errlen)
{
	if (set[A_PMIN] && set[A_PMAX] && v[A_PMIN] > v[A_PMAX])
		return parse_error(err, errlen, "pmin must not be above pmax");
	if (set[A_EPMIN] && set[A_EPMAX] && v[A_EPMIN] > v[A_EPMAX])
		return parse_error(err, errlen, "epmin must not be above "
		    "epmax");
	if (set[A_LT] && set[A_GT] && !(v[A_LT] < v[A_GT]))
		return parse_error(err, errlen, "lt must be below gt");
	if (set[A_LT] && set[A_GT] && set[A_ST] &&
	    !(v[A_LT] + 2 * v[A_ST] < v[A_GT]))
		return parse_error(err, errlen, "lt + 2*st must be below gt");
	return 0;
}

int
dm_attributes(const char *body, size_t len, char *query, size_t qlen,
    char *err, size_t errlen)
{
	char vals[DM_NATTRS][40];
	int seen[DM_NATTRS] = { 0 }, set[DM_NATTRS] = { 0 };
	double v[DM_NATTRS] = { 0 };
	const cJSON *m;
	cJSON *doc;
	size_t i, n = 0;
	int k, rc = -1, any = 0;

	if (qlen > 0)
		query[0] = '\0';
	if (len > DM_BODY_MAX)
		return parse_error(err, errlen, "body over %d bytes",
		    DM_BODY_MAX);
	if ((doc = dm_json(body, len)) == NULL || !cJSON_IsObject(doc)) {
		parse_error(err, errlen, "body must be a JSON object of "
		    "attributes, e.g. {\"pmin\":5,\"pmax\":60}");
		goto done;
	}
	cJSON_ArrayForEach(m, doc) {
		if (m->string == NULL || (k = dm_attr_index(m->string)) < 0) {
			parse_error(err, errlen, "unknown attribute '%.32s' "
			    "(pmin, pmax, gt, lt, st, epmin, epmax)",
			    m->string != NULL ? m->string : "");
			goto done;
		}
		if (seen[k]++) {
			parse_error(err, errlen, "%s given twice",
			    dm_attrs[k].name);
			goto done;
		}
		if (dm_attr_value(m, k, vals[k], sizeof(vals[k]), err,
		    errlen) == -1)
			goto done;
		set[k] = !cJSON_IsNull(m);
		v[k] = m->valuedouble;
		any = 1;
	}
	if (!any) {
		parse_error(err, errlen, "no attribute given");
		goto done;
	}
	if (dm_attr_rules(set, v, err, errlen) == -1)
		goto done;
	for (i = 0; i < DM_NATTRS; i++) {
		if (!seen[i])
			continue;
		n += (size_t)snprintf(query + n, n < qlen ? qlen - n : 0,
		    "%s%s%s%s", n > 0 ? "&" : "", dm_attrs[i].name,
		    set[i] ? "=" : "", vals[i]);
	}
	if (n >= qlen) {
		parse_error(err, errlen, "attributes too long");
		goto done;
	}
	rc = 0;
done:
	if (rc == -1 && qlen > 0)
		query[0] = '\0';
	cJSON_Delete(doc);
	return rc;
}

/* LwM2M 1.1 Core 5.4.5: printable ASCII but space, '"', '\'' and '\\'. */
static int
dm_argchar(uint8_t c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x26) ||
	    (c >= 0x28 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

int
dm_execute_args(const uint8_t *p, size_t len, char *err, size_t errlen)
{
	size_t i = 0;

	if (len == 0)
		return 0;
	for (;;) {
		if (i >= len || p[i] < '0' || p[i] > '9')
			return parse_error(err, errlen, "execute arguments: "
			    "byte %zu: an argument starts with a digit 0-9",
			    i);
		i++;
		if (i < len && p[i] == '=') {
			if (++i >= len || p[i] != '\'')
				return parse_error(err, errlen, "execute "
				    "arguments: byte %zu: a value is quoted "
				    "with '", i);
			for (i++; i < len && p[i] != '\''; i++)
				if (!dm_argchar(p[i]))
					return parse_error(err, errlen,
					    "execute arguments: byte %zu: "
					    "0x%02x is not allowed in a value "
					    "(printable ASCII but space, \", "
					    "\\)", i, p[i]);
			if (i >= len)
				return parse_error(err, errlen, "execute "
				    "arguments: a value is not closed with "
				    "'");
			i++;
		}
		if (i == len)
			return 0;
		if (p[i] != ',')
			return parse_error(err, errlen, "execute arguments: "
			    "byte %zu: arguments are separated by ','", i);
		i++;
	}
}

int
dm_path_valid(const char *p, size_t len)
{
	size_t i = 0, start;
	unsigned long v;
	int nseg = 0;

	if (p == NULL || len == 0)
		return 0;
	while (i < len) {
		if (p[i] != '/' || ++nseg > 4)
			return 0;
		v = 0;
		for (start = ++i; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			if ((v = v * 10 + (unsigned long)(p[i] - '0')) > 65535)
				return 0;
		if (i == start || (p[start] == '0' && i - start > 1))
			return 0;
	}
	return 1;
}

/*
 * The paths of a composite body into paths[]: their number, or -1 with a
 * reason. A path given twice is refused, or kept once with dups_ok.
 */
static int
dm_composite_paths(const char *body, size_t len,
    char paths[DM_COMPOSITE_MAX][DM_PATH_LEN], int dups_ok, char *err,
    size_t errlen)
{
	cJSON *doc;
	const cJSON *list, *e;
	int i = 0, k, n = 0, rc = -1;
	size_t plen;

	if (len > DM_BODY_MAX)
		return parse_error(err, errlen, "body over %d bytes",
		    DM_BODY_MAX);
	if ((doc = dm_json(body, len)) == NULL || !cJSON_IsObject(doc) ||
	    (list = doc->child) == NULL || list->next != NULL ||
	    list->string == NULL || strcmp(list->string, "paths") != 0 ||
	    !cJSON_IsArray(list)) {
		parse_error(err, errlen, "body must be {\"paths\": [\"/3/0/0\", "
		    "...]}");
		goto done;
	}
	if (cJSON_GetArraySize(list) < 1 ||
	    cJSON_GetArraySize(list) > DM_COMPOSITE_MAX) {
		parse_error(err, errlen, "paths must hold 1..%d paths",
		    DM_COMPOSITE_MAX);
		goto done;
	}
	cJSON_ArrayForEach(e, list) {
		if (!cJSON_IsString(e) || (plen = strlen(e->valuestring)) >=
		    DM_PATH_LEN || !dm_path_valid(e->valuestring, plen)) {
			parse_error(err, errlen, "paths[%d] is not an LwM2M "
			    "path such as \"/3/0/0\"", i);
			goto done;
		}
		for (k = 0; k < n && strcmp(paths[k], e->valuestring) != 0;
		    k++)
			;
		if (k < n && !dups_ok) {
			parse_error(err, errlen, "paths[%d] is given twice", i);
			goto done;
		}
		if (k == n)
			memcpy(paths[n++], e->valuestring, plen + 1);
		i++;
	}
	rc = n;
done:
	cJSON_Delete(doc);
	return rc;
}

char *
dm_composite_names(char paths[][DM_PATH_LEN], int n, size_t *outlen)
{
	cJSON *pack, *rec;
	char *out = NULL;
	int i;

	*outlen = 0;
	if ((pack = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((rec = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(pack, rec) ||
		    cJSON_AddStringToObject(rec, "n", paths[i]) == NULL)
			goto done;
	if ((out = cJSON_PrintUnformatted(pack)) != NULL)
		*outlen = strlen(out);
done:
	cJSON_Delete(pack);
	return out;
}

char *
dm_composite(const char *body, size_t len, size_t *outlen, char *err,
    size_t errlen)
{
	char paths[DM_COMPOSITE_MAX][DM_PATH_LEN];
	char *out;
	int n;

	*outlen = 0;
	if ((n = dm_composite_paths(body, len, paths, 0, err, errlen)) == -1)
		return NULL;
	if ((out = dm_composite_names(paths, n, outlen)) == NULL)
		parse_error(err, errlen, "out of memory");
	return out;
}

/* Orders two LwM2M paths by their ids, as numbers; a path comes before
 * the paths below it. */
static int
dm_path_cmp(const void *a, const void *b)
{
	const char *p = a, *q = b;
	unsigned long x, y;
	char *end;

	for (;;) {
		if (*p == '\0' || *q == '\0')
			return (*p != '\0') - (*q != '\0');
		x = strtoul(p + 1, &end, 10);
		p = end;
		y = strtoul(q + 1, &end, 10);
		q = end;
		if (x != y)
			return x < y ? -1 : 1;
	}
}

int
dm_composite_set(const char *body, size_t len,
    char paths[DM_COMPOSITE_MAX][DM_PATH_LEN], char *err, size_t errlen)
{
	int n;

	if ((n = dm_composite_paths(body, len, paths, 1, err, errlen)) > 1)
		qsort(paths, (size_t)n, DM_PATH_LEN, dm_path_cmp);
	return n;
}

void
dm_composite_id(char paths[][DM_PATH_LEN], int n,
    char id[DM_COMPOSITE_ID_LEN + 1])
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */
	const char *s;
	int i;

	for (i = 0; i < n; i++) {
		for (s = paths[i]; *s != '\0'; s++)
			h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
		h = (h ^ (uint8_t)',') * 0x100000001b3ull;
	}
	snprintf(id, DM_COMPOSITE_ID_LEN + 1, "%016llx",
	    (unsigned long long)h);
}

char *
dm_composite_body(char paths[][DM_PATH_LEN], int n)
{
	cJSON *doc, *list;
	char *out = NULL;
	int i;

	if ((doc = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((list = cJSON_AddArrayToObject(doc, "paths")) == NULL)
		goto done;
	for (i = 0; i < n; i++)
		if (!cJSON_AddItemToArray(list, cJSON_CreateString(paths[i])))
			goto done;
	out = cJSON_PrintUnformatted(doc);
done:
	cJSON_Delete(doc);
	return out;
}
