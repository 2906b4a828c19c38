/*
 * jobjson.c: the ground the job request parser stands on (jobparse_int.h):
 * refusals, the members of an object, the readers of a whole number, a
 * boolean and a number, LwM2M paths as ids and back, and numbers printed
 * exactly. The request is read in jobreq.c, its steps in jobstep.c, their
 * bodies in jobbody.c, and printed again in jobprint.c, all above this
 * file. No store, no clock, no gateway: the fuzz target links these with
 * lwm2m/ and parse.c alone.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/jobparse.h"
#include "lwm2m/jobparse_int.h"

/* ---- refusals ---- */

/* The member at fault is member of the object p->prefix names (the
 * object itself when member is ""). Returns -1. */
int
jp_fail(struct jp *p, const char *member, const char *fmt, ...)
{
	va_list ap;

	if (p->field != NULL && p->fieldlen > 0)
		snprintf(p->field, p->fieldlen, "%s%s%s", p->prefix,
		    p->prefix[0] != '\0' && member[0] != '\0' ? "." : "",
		    member);
	if (p->err != NULL && p->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Whether a name from the request can be shown in a field or a reason as
 * it is: a short run of letters, digits, '_', '-' and '.'. */
int
jp_showable(const char *s)
{
	size_t i;
	char c;

	for (i = 0; (c = s[i]) != '\0'; i++)
		if (i >= 32 || !((c >= 'a' && c <= 'z') || (c >= 'A' &&
		    c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		    c == '-' || c == '.'))
			return 0;
	return i > 0;
}

/* o must be an object whose members are known[0..n), each once. */
int
jp_members(struct jp *p, const cJSON *o, const char *const known[],
    size_t n)
{
	const cJSON *m, *q;
	char list[160];
	size_t i, k = 0;

	if (!cJSON_IsObject(o))
		return jp_fail(p, "", "must be a JSON object");
	cJSON_ArrayForEach(m, o) {
		for (i = 0; i < n && strcmp(m->string, known[i]) != 0; i++)
			;
		if (i == n) {
			for (i = 0; i < n && k < sizeof(list); i++)
				k += (size_t)snprintf(list + k, sizeof(list) -
				    k, "%s%s", i > 0 ? ", " : "", known[i]);
			if (!jp_showable(m->string))
				return jp_fail(p, p->prefix[0] != '\0' ? "" :
				    "body", "unknown member (its name not "
				    "shown; known: %s)", list);
			return jp_fail(p, m->string, "unknown member (known: "
			    "%s)", list);
		}
		/* Every member before m is known: at most n of them. */
		for (q = o->child; q != m; q = q->next)
			if (strcmp(q->string, m->string) == 0)
				return jp_fail(p, m->string, "given twice");
	}
	return 0;
}

/* ---- numbers and booleans ---- */

/* A whole number lo..hi into *out; absent: *out as it is. */
int
jp_int(struct jp *p, const cJSON *o, const char *name, int lo, int hi,
    int *out)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);

	if (x == NULL)
		return 0;
	if (!cJSON_IsNumber(x) || !(x->valuedouble >= lo &&
	    x->valuedouble <= hi) || x->valuedouble != trunc(x->valuedouble))
		return jp_fail(p, name, "must be a whole number in %d..%d", lo,
		    hi);
	*out = (int)x->valuedouble;
	return 0;
}

/* true or false into *out as 1 or 0; absent: *out as it is. */
int
jp_bool(struct jp *p, const cJSON *o, const char *name, int *out)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);

	if (x == NULL)
		return 0;
	if (!cJSON_IsBool(x))
		return jp_fail(p, name, "must be true or false");
	*out = cJSON_IsTrue(x);
	return 0;
}

/* A finite number into *out, -1 when absent; a boolean as 0 or 1 with
 * bools. */
int
jp_number(struct jp *p, const cJSON *o, const char *name, int bools,
    double *out)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);

	if (x == NULL)
		return -1;
	if (bools && cJSON_IsBool(x))
		*out = cJSON_IsTrue(x);
	else if (cJSON_IsNumber(x) && isfinite(x->valuedouble))
		*out = x->valuedouble;
	else
		return jp_fail(p, name, "must be a finite number%s",
		    bools ? " or a boolean" : "");
	return 0;
}

/* ---- paths ---- */

/* The ids of a path dm_path_valid accepted; their number. */
int
jp_ids(const char *path, unsigned ids[4])
{
	char *end;
	int n = 0;

	while (*path == '/' && n < 4) {
		ids[n++] = (unsigned)strtoul(path + 1, &end, 10);
		path = end;
	}
	return n;
}

/* "3/0/14" (prefix "") or "/3/0/14" (prefix "/") of ids[0..n). */
void
jp_path_str(const unsigned *ids, int n, const char *prefix, char *out,
    size_t len)
{
	size_t k;
	int i;

	k = (size_t)snprintf(out, len, "%s", prefix);
	for (i = 0; i < n && k < len; i++)
		k += (size_t)snprintf(out + k, len - k, "%s%u", i > 0 ? "/" :
		    "", ids[i]);
}

/* ---- numbers printed exactly ---- */

/* The shortest of "%.15g" to "%.17g" that reads back as v. */
void
jp_number_text(double v, char *buf, size_t len)
{
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
}

/* Every finite number under item a raw node of its exact text. */
int
jp_exact_numbers(cJSON *item)
{
	char text[40], *copy;
	cJSON *c;

	for (c = item->child; c != NULL; c = c->next) {
		if (cJSON_IsArray(c) || cJSON_IsObject(c)) {
			if (jp_exact_numbers(c) == -1)
				return -1;
			continue;
		}
		if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble))
			continue;
		jp_number_text(c->valuedouble, text, sizeof(text));
		if ((copy = strdup(text)) == NULL)
			return -1;
		/* In place: the node keeps its name and its place, and
		 * cJSON_Delete frees a raw node's text. */
		c->type = cJSON_Raw;
		c->valuestring = copy;
	}
	return 0;
}
