/*
 * senml_enc.c: the body of a write or create that an API client gave in
 * SenML JSON (RFC 8428), encoded in a format the device reads: LwM2M TLV
 * (OMA-TS-LightweightM2M-V1_1 7.4.3), plain text or opaque for one value
 * (7.4.1, 7.4.2), or SenML CBOR (RFC 8428 6); every value typed by the
 * object model, never guessed. See senml.h (senml_encode).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <cJSON.h>

#include "lwm2m/objmodel.h"
#include "lwm2m/senml.h"
#include "lwm2m/senml_int.h"

#define ENC_NAME_MAX	64	/* bytes of a resolved name ("/3/0/7/1") */
#define ENC_EXACT	9007199254740992.0	/* 2^53 */

/* TLV kinds, bits 7-6 of the type byte. */
#define TLV_K_INSTANCE		0
#define TLV_K_RES_INSTANCE	1
#define TLV_K_MULTIPLE		2
#define TLV_K_RESOURCE		3

/* One record of the pack: where its value goes, and the value by type. */
struct enc_rec {
	int32_t		 ids[4];
	int		 depth;
	size_t		 index;		/* in the pack, from 0 */
	char		 name[ENC_NAME_MAX];
	struct lwm2m_res res;
	int64_t		 i;		/* Integer, Time */
	uint64_t	 u;		/* Unsigned Integer */
	double		 d;		/* Float */
	int		 b;		/* Boolean */
	const char	*str;		/* String, Corelnk: the pack's */
	size_t		 slen;
	uint8_t		*bytes;		/* Opaque, decoded (owned) */
	size_t		 nbytes;
	unsigned	 lo[2];		/* Objlnk */
};

struct enc {
	struct senml		*s;
	const struct lwm2m_model *model;
	int32_t			 path[4];
	int			 depth;
	struct enc_rec		*recs;
	size_t			 nrecs;
};

/* A growing output. */
struct enc_buf {
	uint8_t		*p;
	size_t		 len, cap;
};

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

static int
enc_put(struct senml *s, struct enc_buf *b, const void *p, size_t n)
{
	size_t cap;
	uint8_t *np;

	if (n > SENML_OUT_MAX - b->len)
		return senml_fail(s, "the encoded body is over the %d-byte "
		    "limit", SENML_OUT_MAX);
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + n)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return senml_fail(s, "out of memory");
		b->p = np;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
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
		if (!senml_utf8((const uint8_t *)str, r->slen, 0))
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

/* ---- LwM2M TLV ---- */

static void
enc_be(uint8_t *p, uint64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * The TLV bytes of r's value (LwM2M 1.1 C.2), in tmp or r's own: integers
 * in the fewest of 1, 2, 4 or 8 bytes; an Unsigned Integer below 2^63 with
 * its top bit clear, so that a 1.0 client, which reads it as an Integer,
 * gets the same number; a Float in 4 bytes when a float holds it exactly.
 */
static void
enc_tlv_value(const struct enc_rec *r, uint8_t tmp[8], const uint8_t **v,
    size_t *n)
{
	union { float f; uint32_t u; } f32;
	union { double d; uint64_t u; } f64;
	int64_t x;

	*v = tmp;
	switch (r->res.type) {
	case LWM2M_TYPE_INTEGER:
	case LWM2M_TYPE_TIME:
		x = r->i;
		*n = x >= INT8_MIN && x <= INT8_MAX ? 1 : x >= INT16_MIN &&
		    x <= INT16_MAX ? 2 : x >= INT32_MIN && x <= INT32_MAX ? 4 :
		    8;
		enc_be(tmp, (uint64_t)x, *n);
		return;
	case LWM2M_TYPE_UNSIGNED:
		*n = r->u <= 0x7f ? 1 : r->u <= 0x7fff ? 2 :
		    r->u <= 0x7fffffff ? 4 : 8;
		enc_be(tmp, r->u, *n);
		return;
	case LWM2M_TYPE_FLOAT:
		f32.f = (float)r->d;
		if ((double)f32.f == r->d) {
			enc_be(tmp, f32.u, 4);
			*n = 4;
		} else {
			f64.d = r->d;
			enc_be(tmp, f64.u, 8);
			*n = 8;
		}
		return;
	case LWM2M_TYPE_BOOLEAN:
		tmp[0] = (uint8_t)r->b;
		*n = 1;
		return;
	case LWM2M_TYPE_OBJLNK:
		enc_be(tmp, r->lo[0], 2);
		enc_be(tmp + 2, r->lo[1], 2);
		*n = 4;
		return;
	case LWM2M_TYPE_OPAQUE:
		*v = r->bytes;
		*n = r->nbytes;
		return;
	default:		/* String, Corelnk */
		*v = (const uint8_t *)r->str;
		*n = r->slen;
		return;
	}
}

/* One TLV: the header for (kind, id, n) and the value v[0..n). */
static int
enc_tlv(struct senml *s, struct enc_buf *b, int kind, unsigned id,
    const uint8_t *v, size_t n)
{
	uint8_t h[6];
	size_t k = 1;

	if (n > 0xffffff)
		return senml_fail(s, "a TLV value of %zu bytes is over the "
		    "format's 24-bit length", n);
	h[0] = (uint8_t)(kind << 6 | (id > 255 ? 0x20 : 0));
	if (id > 255)
		h[k++] = (uint8_t)(id >> 8);
	h[k++] = (uint8_t)id;
	if (n < 8)
		h[0] |= (uint8_t)n;
	else if (n <= 0xff) {
		h[0] |= 0x08;
		h[k++] = (uint8_t)n;
	} else if (n <= 0xffff) {
		h[0] |= 0x10;
		enc_be(h + k, n, 2);
		k += 2;
	} else {
		h[0] |= 0x18;
		enc_be(h + k, n, 3);
		k += 3;
	}
	if (enc_put(s, b, h, k) == -1)
		return -1;
	return enc_put(s, b, v, n);
}

/* A value's TLV: a resource, or a resource instance. */
static int
enc_tlv_rec(struct enc *e, struct enc_buf *b, const struct enc_rec *r)
{
	uint8_t tmp[8];
	const uint8_t *v;
	size_t n;

	enc_tlv_value(r, tmp, &v, &n);
	return r->depth == 4 ? enc_tlv(e->s, b, TLV_K_RES_INSTANCE,
	    (unsigned)r->ids[3], v, n) : enc_tlv(e->s, b, TLV_K_RESOURCE,
	    (unsigned)r->ids[2], v, n);
}

/* The resources of recs[*i ..) that share an object instance: resource
 * TLVs, and a multiple resource TLV around each run of instances. */
static int
enc_tlv_resources(struct enc *e, struct enc_buf *b, size_t *i)
{
	struct enc_buf in = { NULL, 0, 0 };
	int32_t iid = e->recs[*i].ids[1], rid;
	int rc = 0;

	while (rc == 0 && *i < e->nrecs && e->recs[*i].ids[1] == iid) {
		if (e->recs[*i].depth == 3) {
			rc = enc_tlv_rec(e, b, &e->recs[(*i)++]);
			continue;
		}
		rid = e->recs[*i].ids[2];
		in.len = 0;
		while (rc == 0 && *i < e->nrecs && e->recs[*i].ids[1] == iid &&
		    e->recs[*i].ids[2] == rid)
			rc = enc_tlv_rec(e, &in, &e->recs[(*i)++]);
		if (rc == 0)
			rc = enc_tlv(e->s, b, TLV_K_MULTIPLE, (unsigned)rid,
			    in.p, in.len);
	}
	free(in.p);
	return rc;
}

/* The pack as TLV: object instances around their resources for an object
 * (a create), resources for an instance or a resource, one resource
 * instance for a resource instance. */
static int
enc_tlv_body(struct enc *e, struct enc_buf *b)
{
	struct enc_buf in = { NULL, 0, 0 };
	size_t i = 0;
	int32_t iid;
	int rc = 0;

	if (e->depth == 4)
		return enc_tlv_rec(e, b, &e->recs[0]);
	if (e->depth >= 2) {
		while (rc == 0 && i < e->nrecs)
			rc = enc_tlv_resources(e, b, &i);
		return rc;
	}
	while (rc == 0 && i < e->nrecs) {
		iid = e->recs[i].ids[1];
		in.len = 0;
		if ((rc = enc_tlv_resources(e, &in, &i)) == 0)
			rc = enc_tlv(e->s, b, TLV_K_INSTANCE, (unsigned)iid,
			    in.p, in.len);
	}
	free(in.p);
	return rc;
}

/* ---- plain text, opaque ---- */

/* The shortest decimal that reads back as d. */
static void
enc_double(char *buf, size_t len, double d)
{
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, len, "%.17g", d);
}

/* One value as LwM2M plain text (7.4.1), or opaque (7.4.2) for an
 * Opaque resource, which has no text form. */
static int
enc_text_body(struct enc *e, struct enc_buf *b, int *outcf)
{
	const struct enc_rec *r = &e->recs[0];
	char num[48];

	if (e->depth < 3 || e->nrecs != 1)
		return senml_fail(e->s, "plain text holds one value: write "
		    "one resource or resource instance, not %s",
		    e->depth < 3 ? "an object or an instance" : "several");
	*outcf = SENML_CF_TEXT;
	switch (r->res.type) {
	case LWM2M_TYPE_INTEGER:
	case LWM2M_TYPE_TIME:
		snprintf(num, sizeof(num), "%" PRId64, r->i);
		break;
	case LWM2M_TYPE_UNSIGNED:
		snprintf(num, sizeof(num), "%" PRIu64, r->u);
		break;
	case LWM2M_TYPE_FLOAT:
		enc_double(num, sizeof(num), r->d);
		break;
	case LWM2M_TYPE_BOOLEAN:
		snprintf(num, sizeof(num), "%d", r->b);
		break;
	case LWM2M_TYPE_OBJLNK:
		snprintf(num, sizeof(num), "%u:%u", r->lo[0], r->lo[1]);
		break;
	case LWM2M_TYPE_OPAQUE:
		*outcf = SENML_CF_OPAQUE;
		return enc_put(e->s, b, r->bytes, r->nbytes);
	default:
		return enc_put(e->s, b, r->str, r->slen);
	}
	return enc_put(e->s, b, num, strlen(num));
}

/* ---- SenML CBOR ---- */

/* An integer in its shortest form (RFC 8949 4.2.1): v, or -1 - v. */
static cbor_item_t *
enc_cbor_int(uint64_t v, int neg)
{
	cbor_item_t *item;

	if (v <= UINT8_MAX)
		item = neg ? cbor_build_negint8((uint8_t)v) :
		    cbor_build_uint8((uint8_t)v);
	else if (v <= UINT16_MAX)
		item = neg ? cbor_build_negint16((uint16_t)v) :
		    cbor_build_uint16((uint16_t)v);
	else if (v <= UINT32_MAX)
		item = neg ? cbor_build_negint32((uint32_t)v) :
		    cbor_build_uint32((uint32_t)v);
	else
		item = neg ? cbor_build_negint64(v) : cbor_build_uint64(v);
	return item;
}

/* The CBOR item of r's value, and its label (RFC 8428 Table 6; LwM2M's
 * "vlo" is a text label). */
static cbor_item_t *
enc_cbor_value(const struct enc_rec *r, cbor_item_t **label)
{
	char lnk[16];

	switch (r->res.type) {
	case LWM2M_TYPE_INTEGER:
	case LWM2M_TYPE_TIME:
		*label = cbor_build_uint8(2);
		return r->i >= 0 ? enc_cbor_int((uint64_t)r->i, 0) :
		    enc_cbor_int((uint64_t)-(r->i + 1), 1);
	case LWM2M_TYPE_UNSIGNED:
		*label = cbor_build_uint8(2);
		return enc_cbor_int(r->u, 0);
	case LWM2M_TYPE_FLOAT:
		*label = cbor_build_uint8(2);
		return cbor_build_float8(r->d);
	case LWM2M_TYPE_BOOLEAN:
		*label = cbor_build_uint8(4);
		return cbor_build_bool(r->b != 0);
	case LWM2M_TYPE_OBJLNK:
		*label = cbor_build_string("vlo");
		snprintf(lnk, sizeof(lnk), "%u:%u", r->lo[0], r->lo[1]);
		return cbor_build_string(lnk);
	case LWM2M_TYPE_OPAQUE:
		*label = cbor_build_uint8(8);
		return cbor_build_bytestring(r->bytes, r->nbytes);
	default:
		*label = cbor_build_uint8(3);
		return cbor_build_stringn(r->str, r->slen);
	}
}

/* Adds key: value to map; takes both (NULL: out of memory). */
static int
enc_cbor_add(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value)
{
	int ok = key != NULL && value != NULL && cbor_map_add(map,
	    (struct cbor_pair){ .key = key, .value = value });

	if (key != NULL)
		cbor_decref(&key);
	if (value != NULL)
		cbor_decref(&value);
	return ok ? 0 : -1;
}

/* The pack as SenML CBOR: one record per value, named in full. */
static int
enc_cbor_body(struct enc *e, struct enc_buf *b)
{
	cbor_item_t *pack, *rec = NULL, *label = NULL, *value;
	unsigned char *out = NULL;
	size_t i, cap, n = 0;
	int rc = -1;

	if ((pack = cbor_new_definite_array(e->nrecs)) == NULL)
		return senml_fail(e->s, "out of memory");
	for (i = 0; i < e->nrecs; i++) {
		if ((rec = cbor_new_definite_map(2)) == NULL ||
		    enc_cbor_add(rec, cbor_build_uint8(0),
		    cbor_build_string(e->recs[i].name)) == -1)
			goto done;
		value = enc_cbor_value(&e->recs[i], &label);
		if (enc_cbor_add(rec, label, value) == -1 ||
		    !cbor_array_push(pack, rec))
			goto done;
		cbor_decref(&rec);	/* the pack holds it */
		rec = NULL;
	}
	if ((n = cbor_serialize_alloc(pack, &out, &cap)) == 0)
		goto done;
	rc = enc_put(e->s, b, out, n);
done:
	if (rec != NULL)
		cbor_decref(&rec);
	cbor_decref(&pack);
	free(out);
	if (rc == -1)
		senml_fail(e->s, "out of memory");
	return rc;
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
			rc = enc_tlv_body(&e, &b);
		else if (cf == SENML_CF_TEXT)
			rc = enc_text_body(&e, &b, outcf);
		else
			rc = enc_cbor_body(&e, &b);
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
