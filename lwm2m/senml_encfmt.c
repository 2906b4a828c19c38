/*
 * senml_encfmt.c: a write's records, read and typed by senml_enc.c, in the
 * format the device reads: LwM2M TLV (OMA-TS-LightweightM2M-V1_1 7.4.3),
 * plain text or opaque for one value (7.4.1, 7.4.2), or SenML CBOR (RFC
 * 8428 6). See senml.h (senml_encode) for what each looks like.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <cJSON.h>

#include "lwm2m/objmodel.h"
#include "lwm2m/senml.h"
#include "lwm2m/senml_int.h"

/* TLV kinds, bits 7-6 of the type byte. */
#define TLV_K_INSTANCE		0
#define TLV_K_RES_INSTANCE	1
#define TLV_K_MULTIPLE		2
#define TLV_K_RESOURCE		3

/* Appends p[0..n) to b, within SENML_OUT_MAX. */
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
int
senml_enc_tlv(struct enc *e, struct enc_buf *b)
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
int
senml_enc_text(struct enc *e, struct enc_buf *b, int *outcf)
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
int
senml_enc_cbor(struct enc *e, struct enc_buf *b)
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
