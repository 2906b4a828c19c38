/*
 * senml_split.c: a composite observation's notification, one value per
 * path (senml_split.h). SenML CBOR is first made SenML JSON by senml_dec.c;
 * the pack is then read with cJSON and each record resolved (RFC 8428
 * 4.6) and checked on its own.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/dmparse.h"
#include "lwm2m/senml.h"
#include "lwm2m/senml_split.h"

#define SPLIT_FIELDS_MAX	64	/* fields of one record */
#define SPLIT_RELATIVE		268435456.0	/* 2^28: times below are
						   relative (RFC 8428 4.5.3) */

/* The base fields in force (RFC 8428 4.1): from the record that sets
 * one on, until another sets it again. */
struct split_base {
	const char	*bn, *bu;
	double		 bt, bv, bs;
	int		 has_bt;
};

/* One split: where its reason goes. */
struct split {
	char		*err;
	size_t		 errlen;
};

static int
split_fail(struct split *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
split_fail(struct split *s, const char *fmt, ...)
{
	va_list ap;

	if (s->errlen == 0 || s->err[0] != '\0')
		return -1;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
split_is(const cJSON *f, const char *label)
{
	return strcmp(f->string, label) == 0;
}

static int
split_is_value(const cJSON *f)
{
	return split_is(f, "v") || split_is(f, "vs") || split_is(f, "vb") ||
	    split_is(f, "vd") || split_is(f, "vlo");
}

/* Whether f's value has the type its label wants: numbers finite. */
static int
split_typed(const cJSON *f)
{
	static const char *const num[] = { "bt", "bv", "bs", "bver", "v", "s",
	    "t", "ut" };
	static const char *const str[] = { "bn", "bu", "n", "u", "vs", "vd",
	    "vlo" };
	size_t i;

	for (i = 0; i < sizeof(num) / sizeof(num[0]); i++)
		if (split_is(f, num[i]))
			return cJSON_IsNumber(f) && isfinite(f->valuedouble);
	for (i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		if (split_is(f, str[i]))
			return cJSON_IsString(f);
	if (split_is(f, "vb"))
		return cJSON_IsBool(f);
	/* A label RFC 8428 does not define: a plain value. */
	return cJSON_IsString(f) || cJSON_IsBool(f) ||
	    (cJSON_IsNumber(f) && isfinite(f->valuedouble));
}

/*
 * Checks record i's fields (a map of at most SPLIT_FIELDS_MAX, each once,
 * typed, none must-understand) and takes its base fields into b. Returns
 * the number of its values ("v".."vlo", "s"), or -1.
 */
static int
split_check(struct split *s, const cJSON *rec, size_t i,
    struct split_base *b)
{
	const cJSON *f, *g;
	size_t nf = 0, l;
	int nvalues = 0, sum = 0;

	if (!cJSON_IsObject(rec))
		return split_fail(s, "record %zu is not a map", i);
	cJSON_ArrayForEach(f, rec) {
		if (++nf > SPLIT_FIELDS_MAX)
			return split_fail(s, "record %zu has more than %d "
			    "fields", i, SPLIT_FIELDS_MAX);
		for (g = rec->child; g != f; g = g->next)
			if (strcmp(g->string, f->string) == 0)
				return split_fail(s, "record %zu: field "
				    "\"%.16s\" twice", i, f->string);
		l = strlen(f->string);
		if (l > 0 && f->string[l - 1] == '_')
			return split_fail(s, "record %zu: field \"%.16s\" "
			    "must be understood", i, f->string);
		if (!split_typed(f))
			return split_fail(s, "record %zu: field \"%.16s\" "
			    "has the wrong type", i, f->string);
		nvalues += split_is_value(f);
		sum |= split_is(f, "s");
	}
	if (nvalues > 1)
		return split_fail(s, "record %zu has more than one value", i);
	cJSON_ArrayForEach(f, rec) {
		if (split_is(f, "bn"))
			b->bn = f->valuestring;
		else if (split_is(f, "bu"))
			b->bu = f->valuestring;
		else if (split_is(f, "bt")) {
			b->bt = f->valuedouble;
			b->has_bt = 1;
		} else if (split_is(f, "bv"))
			b->bv = f->valuedouble;
		else if (split_is(f, "bs"))
			b->bs = f->valuedouble;
	}
	return nvalues + sum;
}

/* Whether name ("/3/0/9") is an LwM2M resource or resource instance
 * path. */
static int
split_resource_path(const char *name)
{
	size_t len = strlen(name), i;
	int slashes = 0;

	for (i = 0; i < len; i++)
		slashes += name[i] == '/';
	return len < SENML_SPLIT_PATH_LEN && (slashes == 3 || slashes == 4) &&
	    dm_path_valid(name, len);
}

/* Whether name is paths[k] or below one. */
static int
split_observed(const char *name, const char *const *paths, size_t npaths)
{
	size_t k, l;

	for (k = 0; k < npaths; k++) {
		l = strlen(paths[k]);
		if (strncmp(name, paths[k], l) == 0 &&
		    (name[l] == '\0' || name[l] == '/'))
			return 1;
	}
	return 0;
}

/* Adds a number to o; -1 when it is not finite or no memory. */
static int
split_number(struct split *s, cJSON *o, const char *label, double v)
{
	if (!isfinite(v))
		return split_fail(s, "a resolved \"%s\" is not finite", label);
	if (cJSON_AddNumberToObject(o, label, v) == NULL)
		return split_fail(s, "out of memory");
	return 0;
}

/* rec resolved as name under base b: a new map, or NULL. */
static cJSON *
split_resolve(struct split *s, const cJSON *rec, const char *name,
    const struct split_base *b, int64_t now)
{
	const cJSON *f, *t = cJSON_GetObjectItemCaseSensitive(rec, "t");
	cJSON *o;
	double tv;
	int rc = 0;

	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "n", name) == NULL)
		goto nomem;
	f = cJSON_GetObjectItemCaseSensitive(rec, "u");
	if ((f != NULL || b->bu != NULL) && cJSON_AddStringToObject(o, "u",
	    f != NULL ? f->valuestring : b->bu) == NULL)
		goto nomem;
	cJSON_ArrayForEach(f, rec) {
		if (f->string[0] == 'b' || split_is(f, "n") ||
		    split_is(f, "u") || split_is(f, "t"))
			continue;	/* base fields, and those made here */
		if (split_is(f, "v"))
			rc = split_number(s, o, "v", b->bv + f->valuedouble);
		else if (split_is(f, "s"))
			rc = split_number(s, o, "s", b->bs + f->valuedouble);
		else if (!cJSON_AddItemToObject(o, f->string,
		    cJSON_Duplicate(f, 0)))
			goto nomem;
		if (rc == -1)
			goto fail;
	}
	if (t != NULL || b->has_bt) {
		tv = b->bt + (t != NULL ? t->valuedouble : 0);
		if (tv < SPLIT_RELATIVE)
			tv += (double)now;
		if (split_number(s, o, "t", tv) == -1)
			goto fail;
	}
	return o;
nomem:
	split_fail(s, "out of memory");
fail:
	cJSON_Delete(o);
	return NULL;
}

/* Makes (or replaces) the part of rec's path: a pack of rec alone. */
static int
split_part(struct split *s, struct senml_split *out, const char *name,
    const cJSON *rec)
{
	struct senml_part *p = NULL;
	cJSON *pack;
	char *text;
	size_t k;

	for (k = 0; k < out->nparts; k++)
		if (strcmp(out->parts[k].path, name + 1) == 0)
			p = &out->parts[k];
	if ((pack = cJSON_CreateArray()) == NULL ||
	    !cJSON_AddItemToArray(pack, cJSON_Duplicate(rec, 1)) ||
	    (text = cJSON_PrintUnformatted(pack)) == NULL) {
		cJSON_Delete(pack);
		return split_fail(s, "out of memory");
	}
	cJSON_Delete(pack);
	if (p == NULL) {
		p = &out->parts[out->nparts++];
		memcpy(p->path, name + 1, strlen(name));
	}
	free(p->pack);
	p->pack = text;
	p->len = strlen(text);
	return 0;
}

/* The records of pack, one after the other, into out. */
static int
split_records(struct split *s, const cJSON *pack, const char *const *paths,
    size_t npaths, int64_t now, struct senml_split *out)
{
	struct split_base b;
	const cJSON *rec, *n;
	cJSON *r;
	char name[SENML_SPLIT_PATH_LEN + 1];
	size_t i = 0;
	int nv;

	memset(&b, 0, sizeof(b));
	b.bn = "";
	cJSON_ArrayForEach(rec, pack) {
		if ((nv = split_check(s, rec, i, &b)) == -1)
			return -1;
		if (nv == 0) {
			out->novalue++;
			i++;
			continue;
		}
		n = cJSON_GetObjectItemCaseSensitive(rec, "n");
		if (snprintf(name, sizeof(name), "%s%s", b.bn, n != NULL ?
		    n->valuestring : "") >= (int)sizeof(name) ||
		    !split_resource_path(name))
			return split_fail(s, "record %zu: its name is not an "
			    "LwM2M resource path such as /3/0/9", i);
		if (!split_observed(name, paths, npaths)) {
			out->dropped++;
			i++;
			continue;
		}
		if ((r = split_resolve(s, rec, name, &b, now)) == NULL)
			return -1;
		if (!cJSON_AddItemToArray(out->records, r)) {
			cJSON_Delete(r);
			return split_fail(s, "out of memory");
		}
		if (split_part(s, out, name, r) == -1)
			return -1;
		i++;
	}
	return 0;
}

int
senml_split(int cf, const uint8_t *body, size_t len,
    const char *const *paths, size_t npaths, int64_t now,
    struct senml_split *out, char *err, size_t errlen)
{
	struct split s = { err, errlen };
	cJSON *pack = NULL;
	char *json;
	size_t jlen;
	int n;

	memset(out, 0, sizeof(*out));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	else
		s.errlen = 0;
	if (cf != SENML_CF_JSON && cf != SENML_CF_CBOR)
		return split_fail(&s, "a notification in Content-Format %d is "
		    "no SenML (110 or 112)", cf);
	if ((json = senml_to_json(cf, body, len, NULL, NULL, &jlen, err,
	    errlen)) == NULL)
		return -1;
	/* cJSON would end a string at an escaped NUL: "/3/0/9\u0000x". */
	if (memmem(json, jlen, "\\u0000", 6) != NULL) {
		split_fail(&s, "a NUL escaped in a string");
		goto fail;
	}
	pack = cJSON_ParseWithLength(json, jlen);
	if (!cJSON_IsArray(pack)) {
		split_fail(&s, "the pack is not an array of records");
		goto fail;
	}
	if ((n = cJSON_GetArraySize(pack)) > SENML_SPLIT_MAX) {
		split_fail(&s, "%d records, more than %d", n, SENML_SPLIT_MAX);
		goto fail;
	}
	if ((out->records = cJSON_CreateArray()) == NULL ||
	    (n > 0 && (out->parts = calloc((size_t)n,
	    sizeof(*out->parts))) == NULL)) {
		split_fail(&s, "out of memory");
		goto fail;
	}
	if (split_records(&s, pack, paths, npaths, now, out) == -1)
		goto fail;
	cJSON_Delete(pack);
	free(json);
	return 0;
fail:
	cJSON_Delete(pack);
	free(json);
	senml_split_free(out);
	return -1;
}

void
senml_split_free(struct senml_split *sp)
{
	size_t k;

	for (k = 0; k < sp->nparts; k++)
		free(sp->parts[k].pack);
	free(sp->parts);
	cJSON_Delete(sp->records);
	memset(sp, 0, sizeof(*sp));
}
