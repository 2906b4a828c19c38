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

char *
dm_composite(const char *body, size_t len, size_t *outlen, char *err,
    size_t errlen)
{
	cJSON *doc, *pack = NULL, *rec;
	const cJSON *paths, *e, *f;
	char *out = NULL;
	int i = 0;

	*outlen = 0;
	if (len > DM_BODY_MAX) {
		parse_error(err, errlen, "body over %d bytes", DM_BODY_MAX);
		return NULL;
	}
	if ((doc = dm_json(body, len)) == NULL || !cJSON_IsObject(doc) ||
	    (paths = doc->child) == NULL || paths->next != NULL ||
	    paths->string == NULL || strcmp(paths->string, "paths") != 0 ||
	    !cJSON_IsArray(paths)) {
		parse_error(err, errlen, "body must be {\"paths\": [\"/3/0/0\", "
		    "...]}");
		goto done;
	}
	if (cJSON_GetArraySize(paths) < 1 ||
	    cJSON_GetArraySize(paths) > DM_COMPOSITE_MAX) {
		parse_error(err, errlen, "paths must hold 1..%d paths",
		    DM_COMPOSITE_MAX);
		goto done;
	}
	if ((pack = cJSON_CreateArray()) == NULL)
		goto nomem;
	cJSON_ArrayForEach(e, paths) {
		if (!cJSON_IsString(e) || !dm_path_valid(e->valuestring,
		    strlen(e->valuestring))) {
			parse_error(err, errlen, "paths[%d] is not an LwM2M "
			    "path such as \"/3/0/0\"", i);
			goto done;
		}
		for (f = paths->child; f != e; f = f->next)
			if (strcmp(f->valuestring, e->valuestring) == 0) {
				parse_error(err, errlen, "paths[%d] is given "
				    "twice", i);
				goto done;
			}
		if ((rec = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(pack, rec) ||
		    cJSON_AddStringToObject(rec, "n", e->valuestring) == NULL)
			goto nomem;
		i++;
	}
	if ((out = cJSON_PrintUnformatted(pack)) == NULL)
		goto nomem;
	*outlen = strlen(out);
	goto done;
nomem:
	parse_error(err, errlen, "out of memory");
done:
	cJSON_Delete(pack);
	cJSON_Delete(doc);
	return out;
}
