/*
 * senml_enc.c: the body of a write or create that an API client gave in
 * SenML JSON (RFC 8428), read and typed by the object model, never
 * guessed: each record's name resolved and placed, each value checked
 * against its resource's type. senml_encfmt.c writes the result in the
 * device's format. See senml.h (senml_encode).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/objmodel.h"
#include "lwm2m/senml.h"
#include "lwm2m/senml_int.h"
#include "parse.h"

#define ENC_EXACT	9007199254740992.0	/* 2^53 */

/* A name from the pack fit for a reason: printable ASCII, short. */
static const char *
enc_safe(const char *k)
{
	size_t i;

	for (i = 0; k[i] != '\0'; i++)
		if (i >= ENC_NAME_MAX || k[i] < 0x20 || k[i] > 0x7e ||
		    k[i] == '"' || k[i] == '\\')
			return "(not shown)";
	return k;
}

/* ---- the pack ---- */

/* Decodes base64url without padding (RFC 4648 5, as RFC 8428 4.3 writes
 * vd) into r->bytes; anything else, and trailing bits that are not zero
 * (another text for the same bytes), is refused. */
static int
enc_base64url(struct enc *e, struct enc_rec *r, const char *in)
{
	size_t n = strlen(in), i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;
	char c;

	if (n % 4 == 1)
		return senml_fail(e->s, "%s: vd is not base64url: %zu "
		    "characters cannot be whole bytes", r->name, n);
	if ((r->bytes = malloc(n / 4 * 3 + 3)) == NULL)
		return senml_fail(e->s, "out of memory");
	for (i = 0; i < n; i++) {
		c = in[i];
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else
			return senml_fail(e->s, "%s: vd is not base64url "
			    "without padding (RFC 8428 4.3): '%c' at %zu",
			    r->name, c >= 0x20 && c < 0x7f ? c : '?', i);
		acc = acc << 6 | (uint32_t)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			r->bytes[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return senml_fail(e->s, "%s: vd is not base64url: its last "
		    "character has bits set past the data", r->name);
	r->nbytes = o;
	return 0;
}

/* Decimal digits without sign or leading zeros, 0..65535. */
static int
enc_id(const char *p, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5 || (p[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* The field that carries a value of type t. */
static const char *
enc_field(enum lwm2m_type t)
{
	switch (t) {
	case LWM2M_TYPE_STRING:
	case LWM2M_TYPE_CORELNK:
		return "vs";
	case LWM2M_TYPE_BOOLEAN:
		return "vb";
	case LWM2M_TYPE_OBJLNK:
		return "vlo";
	case LWM2M_TYPE_OPAQUE:
		return "vd";
	default:
		return "v";
	}
}

/* A JSON number that is an integer, exactly: not past 2^53, where a
 * double (what a JSON number is read as) no longer tells one from the
 * next. */
static int
enc_integer(struct enc *e, const struct enc_rec *r, double d)
{
	if (!isfinite(d))
		return senml_fail(e->s, "%s: the value is no finite number",
		    r->name);
	if (d != trunc(d))
		return senml_fail(e->s, "%s: %.17g is not an integer, and "
		    "resource %u (%s) is an %s", r->name, d, r->res.id,
		    r->res.name, lwm2m_type_name(r->res.type));
	if (fabs(d) >= ENC_EXACT)
		return senml_fail(e->s, "%s: %.17g is beyond 2^53, where a "
		    "JSON number is not exact", r->name, d);
	return 0;
}

/* The value of r from item (its field fname), by r's type. */
static int
enc_value(struct enc *e, struct enc_rec *r, const char *fname, cJSON *item)
{
	const char *want = enc_field(r->res.type), *colon, *str;

	if (strcmp(fname, want) != 0)
		return senml_fail(e->s, "%s: resource %u (%s) is %s: give its "
		    "value as \"%s\", not \"%s\"", r->name, r->res.id,
		    r->res.name, lwm2m_type_name(r->res.type), want, fname);
	switch (r->res.type) {
	case LWM2M_TYPE_INTEGER:
	case LWM2M_TYPE_TIME:
	case LWM2M_TYPE_UNSIGNED:
	case LWM2M_TYPE_FLOAT:
		if (!cJSON_IsNumber(item))
			return senml_fail(e->s, "%s: \"v\" is not a number",
			    r->name);
		if (r->res.type == LWM2M_TYPE_FLOAT) {
			if (!isfinite(r->d = item->valuedouble))
				return senml_fail(e->s, "%s: the value is no "
				    "finite number", r->name);
			return 0;
		}
		if (enc_integer(e, r, item->valuedouble) == -1)
			return -1;
		if (r->res.type == LWM2M_TYPE_UNSIGNED) {
			if (item->valuedouble < 0)
				return senml_fail(e->s, "%s: %.0f is below 0, "
				    "and resource %u (%s) is an Unsigned "
				    "Integer", r->name, item->valuedouble,
				    r->res.id, r->res.name);
			r->u = (uint64_t)item->valuedouble;
		} else
			r->i = (int64_t)item->valuedouble;
		return 0;
	case LWM2M_TYPE_BOOLEAN:
		if (!cJSON_IsBool(item))
			return senml_fail(e->s, "%s: \"vb\" is not true or "
			    "false", r->name);
		r->b = cJSON_IsTrue(item);
		return 0;
	default:
		break;
	}
	if (!cJSON_IsString(item))
		return senml_fail(e->s, "%s: \"%s\" is not a string", r->name,
		    fname);
	str = item->valuestring;
	switch (r->res.type) {
	case LWM2M_TYPE_STRING:
	case LWM2M_TYPE_CORELNK:
		r->str = str;
		r->slen = strlen(str);
		if (!parse_utf8((const uint8_t *)str, r->slen, 0))
			return senml_fail(e->s, "%s: \"vs\" is not UTF-8",
			    r->name);
		return 0;
	case LWM2M_TYPE_OBJLNK:
		if ((colon = strchr(str, ':')) == NULL ||
		    enc_id(str, (size_t)(colon - str), &r->lo[0]) == -1 ||
		    enc_id(colon + 1, strlen(colon + 1), &r->lo[1]) == -1)
			return senml_fail(e->s, "%s: \"vlo\" is not "
			    "\"OID:IID\" (two ids 0..65535)", r->name);
		return 0;
	default:		/* Opaque */
		return enc_base64url(e, r, str);
	}
}

/* Where record r's name points: a resource or resource instance the model
 * knows, inside the path written, of the shape the path allows. */
static int
enc_place(struct enc *e, struct enc_rec *r)
{
	struct lwm2m_obj o;
	int i;

	if (r->name[0] != '/' || (r->depth = senml_path(r->name, r->ids)) ==
	    -1)
		return senml_fail(e->s, "record %zu: name '%s' is not an "
		    "LwM2M path (\"/3/0/14\")", r->index, enc_safe(r->name));
	for (i = 0; i < e->depth; i++)
		if (i >= r->depth || r->ids[i] != e->path[i])
			break;
	if (i < e->depth || r->depth < 3 || (e->depth == 4 && r->depth != 4))
		return senml_fail(e->s, "record %zu: %s is not %s the path "
		    "written", r->index, r->name, e->depth >= 3 ?
		    "the resource of" : "a resource under");
	if (lwm2m_model_object(e->model, (unsigned)r->ids[0], &o) == -1)
		return senml_fail(e->s, "%s: object %d is not in the object "
		    "model", r->name, (int)r->ids[0]);
	if (lwm2m_model_resource(e->model, (unsigned)r->ids[0],
	    (unsigned)r->ids[2], &r->res) == -1)
		return senml_fail(e->s, "%s: object %d (%s) has no resource "
		    "%d in the object model", r->name, (int)r->ids[0], o.name,
		    (int)r->ids[2]);
	if (r->res.type == LWM2M_TYPE_NONE)
		return senml_fail(e->s, "%s: resource %u (%s) is executed, it "
		    "has no value", r->name, r->res.id, r->res.name);
	if (r->res.multiple && r->depth == 3)
		return senml_fail(e->s, "%s: resource %u (%s) has multiple "
		    "instances: name each (%s/0)", r->name, r->res.id,
		    r->res.name, r->name);
	if (!r->res.multiple && r->depth == 4)
		return senml_fail(e->s, "%s: resource %u (%s) has a single "
		    "instance: name it without an instance id", r->name,
		    r->res.id, r->res.name);
	return 0;
}

/*
 * Reads record rec (index i) into r; bn is the base name in force, which
 * the record may change for itself and those after it.
 */
static int
enc_record(struct enc *e, cJSON *rec, size_t i, char *bn, size_t bnsize,
    struct enc_rec *r)
{
	cJSON *f, *g, *val = NULL;
	const char *k, *n = "", *vname = NULL;
	size_t nf = 0;

	r->index = i;
	if (!cJSON_IsObject(rec))
		return senml_fail(e->s, "record %zu is not a JSON object", i);
	cJSON_ArrayForEach(f, rec) {
		k = f->string;
		if (++nf > SENML_FIELDS_MAX)
			return senml_fail(e->s, "record %zu has more than %d "
			    "fields", i, SENML_FIELDS_MAX);
		for (g = rec->child; g != f; g = g->next)
			if (strcmp(g->string, k) == 0)
				return senml_fail(e->s, "record %zu has \"%s\" "
				    "twice", i, enc_safe(k));
		if (strcmp(k, "bn") == 0 || strcmp(k, "n") == 0) {
			if (!cJSON_IsString(f) || strlen(f->valuestring) >=
			    (k[0] == 'b' ? bnsize : ENC_NAME_MAX))
				return senml_fail(e->s, "record %zu: \"%s\" is "
				    "not a string of a path", i, k);
			if (k[0] == 'b')
				snprintf(bn, bnsize, "%s", f->valuestring);
			else
				n = f->valuestring;
		} else if (strcmp(k, "bver") == 0) {
			if (!cJSON_IsNumber(f) || f->valuedouble < 1 ||
			    f->valuedouble > SENML_BVER_MAX ||
			    f->valuedouble != trunc(f->valuedouble))
				return senml_fail(e->s, "record %zu: bver is "
				    "not a version 1..%d", i, SENML_BVER_MAX);
		} else if (strcmp(k, "v") == 0 || strcmp(k, "vs") == 0 ||
		    strcmp(k, "vb") == 0 || strcmp(k, "vd") == 0 ||
		    strcmp(k, "vlo") == 0) {
			if (val != NULL)
				return senml_fail(e->s, "record %zu has two "
				    "values (\"%s\" and \"%s\")", i, vname, k);
			val = f;
			vname = k;
		} else if (strcmp(k, "bv") == 0 || strcmp(k, "bs") == 0 ||
		    strcmp(k, "s") == 0) {
			return senml_fail(e->s, "record %zu: \"%s\" (a base "
			    "value or a sum) has no place in a write", i, k);
		} else if (k[0] != '\0' && k[strlen(k) - 1] == '_') {
			return senml_fail(e->s, "record %zu: \"%s\" must be "
			    "understood (RFC 8428 4.4) and is not", i,
			    enc_safe(k));
		}
		/* Times, units and other extensions say nothing a device
		 * is written: left out. */
	}
	if (strlen(bn) + strlen(n) >= sizeof(r->name))
		return senml_fail(e->s, "record %zu: its name is too long for "
		    "an LwM2M path", i);
	snprintf(r->name, sizeof(r->name), "%s%s", bn, n);
	if (enc_place(e, r) == -1)
		return -1;
	if (val == NULL)
		return senml_fail(e->s, "%s: no value (\"v\", \"vs\", \"vb\", "
		    "\"vd\" or \"vlo\")", r->name);
	return enc_value(e, r, vname, val);
}

static int
enc_cmp(const void *a, const void *b)
{
	const struct enc_rec *x = a, *y = b;
	int i;

	for (i = 0; i < 4; i++) {
		int32_t p = i < x->depth ? x->ids[i] : -1;
		int32_t q = i < y->depth ? y->ids[i] : -1;

		if (p != q)
			return p < q ? -1 : 1;
	}
	return 0;
}

/* Reads the pack into e->recs, in path order, each path once. */
static int
enc_pack(struct enc *e, cJSON *pack)
{
	char bn[ENC_NAME_MAX] = "";
	cJSON *rec;
	size_t i = 0, n;

	if (!cJSON_IsArray(pack))
		return senml_fail(e->s, "SenML JSON is an array of records "
		    "(RFC 8428 5)");
	if ((n = (size_t)cJSON_GetArraySize(pack)) == 0)
		return senml_fail(e->s, "the pack has no records");
	if (n > SENML_RECORDS_MAX)
		return senml_fail(e->s, "the pack has more than %d records",
		    SENML_RECORDS_MAX);
	if ((e->recs = calloc(n, sizeof(*e->recs))) == NULL)
		return senml_fail(e->s, "out of memory");
	cJSON_ArrayForEach(rec, pack) {
		e->nrecs = i + 1;
		if (enc_record(e, rec, i, bn, sizeof(bn), &e->recs[i]) == -1)
			return -1;
		i++;
	}
	qsort(e->recs, e->nrecs, sizeof(*e->recs), enc_cmp);
	for (i = 1; i < e->nrecs; i++)
		if (enc_cmp(&e->recs[i - 1], &e->recs[i]) == 0)
			return senml_fail(e->s, "%s is written twice",
			    e->recs[i].name);
	return 0;
}

uint8_t *
senml_encode(int cf, const uint8_t *body, size_t len, const char *path,
    const struct lwm2m_model *model, int *outcf, size_t *outlen, char *err,
    size_t errlen)
{
	struct senml s = { err, errlen };
	struct enc e;
	struct enc_buf b = { NULL, 0, 0 };
	cJSON *pack = NULL;
	char *copy = NULL;
	size_t i;
	int rc = -1;

	*outlen = 0;
	*outcf = cf;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	else
		s.errlen = 0;
	memset(&e, 0, sizeof(e));
	e.s = &s;
	e.model = model;
	if (cf != SENML_CF_TLV && cf != SENML_CF_TEXT && cf != SENML_CF_CBOR) {
		senml_fail(&s, "no encoding in Content-Format %d", cf);
		return NULL;
	}
	if ((e.depth = senml_path(path, e.path)) == -1) {
		senml_fail(&s, "'%.32s' is not an LwM2M path", path != NULL ?
		    path : "(none)");
		return NULL;
	}
	if (len > SENML_IN_MAX) {
		senml_fail(&s, "body of %zu bytes is over the %d-byte limit",
		    len, SENML_IN_MAX);
		return NULL;
	}
	if (len > 0 && memchr(body, '\0', len) != NULL) {
		senml_fail(&s, "NUL byte in the body");
		return NULL;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		senml_fail(&s, "out of memory");
		return NULL;
	}
	if (len > 0)
		memcpy(copy, body, len);
	copy[len] = '\0';
	if ((pack = cJSON_ParseWithOpts(copy, NULL, 1)) == NULL)
		senml_fail(&s, "the body is not JSON");
	else if (enc_pack(&e, pack) == 0) {
		if (cf == SENML_CF_TLV)
			rc = senml_enc_tlv(&e, &b);
		else if (cf == SENML_CF_TEXT)
			rc = senml_enc_text(&e, &b, outcf);
		else
			rc = senml_enc_cbor(&e, &b);
	}
	for (i = 0; i < e.nrecs; i++)
		free(e.recs[i].bytes);
	free(e.recs);
	cJSON_Delete(pack);
	free(copy);
	if (rc == -1) {
		free(b.p);
		*outcf = cf;
		return NULL;
	}
	if (b.p == NULL && (b.p = malloc(1)) == NULL) {
		senml_fail(&s, "out of memory");
		return NULL;
	}
	*outlen = b.len;
	return b.p;
}
