/*
 * bswrite.c: the writes of a device's account (acct.h): a bootstrap
 * server's Bootstrap-Write, a DM server's write of /1. Bodies come from
 * the network and are hostile until checked: TLV (OMA-TS-LightweightM2M
 * Core 1.1 Appendix C) is read with node/tlv.c, every length checked
 * against what is left; SenML CBOR (RFC 8428) is read with libcbor. A body is
 * decoded whole into a copy of the account, which replaces it only when
 * everything was good.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "lwm2m/cborscan.h"
#include "node/acct.h"
#include "node/tlv.h"

extern const struct obj_def obj_security, obj_server;

/* Where a write goes: /oid[/iid[/rid]], -1 where the path stops. */
struct bsw_path {
	uint16_t	oid;
	int		iid;
	int		rid;
	int		bootstrap;
};

/* A TLV value as a value of type (TLV says no type: the resource's
 * row does). Returns 0 or -1 with err. */
static int
tlv_value(const struct tlv *t, enum obj_type type, struct acct_val *v,
    char *err, size_t errlen)
{
	uint64_t u = 0;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->type = type;
	switch (type) {
	case OBJ_INT:
		if (t->len != 1 && t->len != 2 && t->len != 4 &&
		    t->len != 8)
			break;
		for (i = 0; i < t->len; i++)
			u = u << 8 | t->val[i];
		if (t->len < 8 && (t->val[0] & 0x80))	/* sign-extend */
			u |= ~(uint64_t)0 << (8 * t->len);
		v->i = (int64_t)u;
		return 0;
	case OBJ_BOOL:
		if (t->len != 1 || t->val[0] > 1)
			break;
		v->i = t->val[0];
		return 0;
	case OBJ_STRING:
		if (memchr(t->val, '\0', t->len) != NULL)
			break;
		/* FALLTHROUGH */
	case OBJ_OPAQUE:
		v->buf = t->val;
		v->len = t->len;
		return 0;
	default:
		break;
	}
	snprintf(err, errlen, "resource %u: %zu bytes are not a TLV %s", t->id,
	    t->len, type == OBJ_INT ? "integer (1, 2, 4 or 8 bytes)" :
	    type == OBJ_BOOL ? "boolean (one byte, 0 or 1)" : "string");
	return -1;
}

/* The row of /oid/x/rid; NULL when this client does not keep it. */
static const struct obj_res *
bsw_row(uint16_t oid, uint16_t rid)
{
	return obj_res_find(oid == OBJ_SECURITY ? &obj_security : &obj_server,
	    rid);
}

/* One resource TLV of instance iid into a. */
static enum node_result
bsw_tlv_resource(struct acct *a, const struct bsw_path *p, uint16_t iid,
    const struct tlv *t, char *err, size_t errlen)
{
	const struct obj_res *r = bsw_row(p->oid, t->id);
	struct acct_val v;

	if (t->kind != TLV_RESOURCE && t->kind != TLV_MULTIPLE) {
		snprintf(err, errlen, "/%u/%u: a TLV of kind %d where a "
		    "resource belongs", p->oid, iid, t->kind);
		return NODE_BAD_REQUEST;
	}
	if (r == NULL)
		return NODE_OK;		/* not kept by this client */
	if (t->kind == TLV_MULTIPLE) {
		snprintf(err, errlen, "/%u/%u/%u is a single resource",
		    p->oid, iid, t->id);
		return NODE_BAD_REQUEST;
	}
	if (tlv_value(t, (enum obj_type)r->type, &v, err, errlen) == -1)
		return NODE_BAD_REQUEST;
	return acct_set(a, p->oid, iid, t->id, &v, p->bootstrap, err, errlen);
}

/* The resource TLVs of buf, all of instance iid, into a. */
static enum node_result
bsw_tlv_resources(struct acct *a, const struct bsw_path *p, uint16_t iid,
    const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	enum node_result res;
	struct tlv t;
	size_t off = 0;
	int rc;

	while ((rc = tlv_next(buf, len, &off, &t, err, errlen)) == 1)
		if ((res = bsw_tlv_resource(a, p, iid, &t, err, errlen)) !=
		    NODE_OK)
			return res;
	return rc == 0 ? NODE_OK : NODE_BAD_REQUEST;
}

/* A TLV body of a write of p into a. */
static enum node_result
bsw_tlv(struct acct *a, const struct bsw_path *p, const uint8_t *buf,
    size_t len, char *err, size_t errlen)
{
	enum node_result res;
	struct tlv t;
	size_t off = 0, after;
	int rc;

	if (len == 0) {
		snprintf(err, errlen, "an empty TLV body");
		return NODE_BAD_REQUEST;
	}
	if (p->rid >= 0) {		/* /o/i/r: that one resource */
		if (tlv_next(buf, len, &off, &t, err, errlen) != 1)
			return NODE_BAD_REQUEST;
		if (off != len || t.id != p->rid) {
			snprintf(err, errlen, "a write of /%u/%d/%d holds one "
			    "TLV of that resource", p->oid, p->iid, p->rid);
			return NODE_BAD_REQUEST;
		}
		return bsw_tlv_resource(a, p, (uint16_t)p->iid, &t, err,
		    errlen);
	}
	after = 0;
	if (tlv_next(buf, len, &after, &t, err, errlen) != 1)
		return NODE_BAD_REQUEST;
	if (p->iid >= 0 && (t.kind != TLV_INSTANCE || after != len))
		return bsw_tlv_resources(a, p, (uint16_t)p->iid, buf, len,
		    err, errlen);
	/* Object-instance TLVs: one of p->iid, or any for /o. */
	while ((rc = tlv_next(buf, len, &off, &t, err, errlen)) == 1) {
		if (t.kind != TLV_INSTANCE || (p->iid >= 0 &&
		    t.id != p->iid)) {
			snprintf(err, errlen, "a write of /%u%s holds "
			    "object-instance TLVs%s", p->oid, p->iid >= 0 ?
			    "/i" : "", p->iid >= 0 ? " of i only" : " only");
			return NODE_BAD_REQUEST;
		}
		if (t.id > ACCT_IID_MAX) {
			snprintf(err, errlen, "/%u/%u: no such instance id",
			    p->oid, t.id);
			return NODE_BAD_REQUEST;
		}
		if ((res = bsw_tlv_resources(a, p, t.id, t.val, t.len, err,
		    errlen)) != NODE_OK)
			return res;
	}
	return rc == 0 ? NODE_OK : NODE_BAD_REQUEST;
}

/* The integer of a CBOR int item into *i; -1 when it is none or does not
 * fit an int64_t. */
static int
bsw_cbor_int(const cbor_item_t *item, int64_t *i)
{
	uint64_t u;

	if (cbor_isa_uint(item)) {
		if ((u = cbor_get_int(item)) > INT64_MAX)
			return -1;
		*i = (int64_t)u;
		return 0;
	}
	if (cbor_isa_negint(item)) {
		if ((u = cbor_get_int(item)) > INT64_MAX)
			return -1;
		*i = -1 - (int64_t)u;
		return 0;
	}
	return -1;
}

/* A definite text or byte string's bytes. */
static int
bsw_cbor_bytes(const cbor_item_t *item, int text, const uint8_t **buf,
    size_t *len)
{
	if (text && cbor_isa_string(item) && cbor_string_is_definite(item)) {
		*buf = cbor_string_handle(item);
		*len = cbor_string_length(item);
		return 0;
	}
	if (!text && cbor_isa_bytestring(item) &&
	    cbor_bytestring_is_definite(item)) {
		*buf = cbor_bytestring_handle(item);
		*len = cbor_bytestring_length(item);
		return 0;
	}
	return -1;
}

/* SenML labels (RFC 8428 6, Table 4). */
#define SENML_BN	(-2)
#define SENML_N		0
#define SENML_V		2
#define SENML_VS	3
#define SENML_VB	4
#define SENML_VD	8
#define SENML_NAME_MAX	64

/* One SenML record as read: its name and its one value. */
struct bsw_rec {
	const uint8_t	*n;
	size_t		 nlen;
	const cbor_item_t *value;
	int		 label;		/* SENML_V, _VS, _VB, _VD */
};

/* Reads a record's map; bn is updated when it holds one. */
static int
bsw_cbor_record(const cbor_item_t *map, const uint8_t **bn, size_t *bnlen,
    struct bsw_rec *rec, char *err, size_t errlen)
{
	struct cbor_pair *pairs;
	size_t i, n;
	int64_t label;

	if (!cbor_isa_map(map)) {
		snprintf(err, errlen, "a SenML record is not a map");
		return -1;
	}
	memset(rec, 0, sizeof(*rec));
	pairs = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (i = 0; i < n; i++) {
		if (bsw_cbor_int(pairs[i].key, &label) == -1)
			continue;	/* not a label of ours */
		switch (label) {
		case SENML_BN:
			if (bsw_cbor_bytes(pairs[i].value, 1, bn, bnlen) ==
			    -1)
				goto bad;
			break;
		case SENML_N:
			if (bsw_cbor_bytes(pairs[i].value, 1, &rec->n,
			    &rec->nlen) == -1)
				goto bad;
			break;
		case SENML_V:
		case SENML_VS:
		case SENML_VB:
		case SENML_VD:
			if (rec->value != NULL) {
				snprintf(err, errlen, "a SenML record with two "
				    "values");
				return -1;
			}
			rec->value = pairs[i].value;
			rec->label = (int)label;
			break;
		default:
			break;		/* t, bt, bver, units: not needed */
		}
	}
	if (rec->value == NULL) {
		snprintf(err, errlen, "a SenML record without a value");
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "a SenML name that is not a text string");
	return -1;
}

/* "/o/i/r" (bn + n) into numbers. */
static int
bsw_name(const uint8_t *bn, size_t bnlen, const uint8_t *n, size_t nlen,
    long part[3], char *err, size_t errlen)
{
	char name[SENML_NAME_MAX + 1], *p, *end;
	int k;

	if (bnlen + nlen > SENML_NAME_MAX) {
		snprintf(err, errlen, "a SenML name over %d bytes",
		    SENML_NAME_MAX);
		return -1;
	}
	if (bnlen > 0)
		memcpy(name, bn, bnlen);
	if (nlen > 0)
		memcpy(name + bnlen, n, nlen);
	name[bnlen + nlen] = '\0';
	p = name;
	for (k = 0; k < 3; k++) {
		if (*p != '/' || p[1] < '0' || p[1] > '9')
			goto bad;
		part[k] = strtol(p + 1, &end, 10);
		if (end - (p + 1) > 5 || part[k] > 65535)
			goto bad;
		p = end;
	}
	if (*p == '\0')
		return 0;
bad:
	snprintf(err, errlen, "SenML name '%.64s' is not /object/instance/"
	    "resource", name);
	return -1;
}

/* A record's value as a value of the resource's type. */
static int
bsw_cbor_value(const struct bsw_rec *rec, enum obj_type type,
    struct acct_val *v)
{
	double d;

	memset(v, 0, sizeof(*v));
	v->type = type;
	switch (type) {
	case OBJ_INT:
		if (rec->label != SENML_V)
			return -1;
		if (bsw_cbor_int(rec->value, &v->i) == 0)
			return 0;
		if (!cbor_isa_float_ctrl(rec->value) ||
		    cbor_float_get_width(rec->value) == CBOR_FLOAT_0)
			return -1;
		d = cbor_float_get_float(rec->value);
		if (!(d >= -9.0e15 && d <= 9.0e15) || (double)(int64_t)d != d)
			return -1;	/* NaN, too far, or not whole */
		v->i = (int64_t)d;
		return 0;
	case OBJ_BOOL:
		if (rec->label != SENML_VB || !cbor_is_bool(rec->value))
			return -1;
		v->i = cbor_get_bool(rec->value);
		return 0;
	case OBJ_STRING:
		if (rec->label != SENML_VS || bsw_cbor_bytes(rec->value, 1,
		    &v->buf, &v->len) == -1 ||
		    memchr(v->buf, '\0', v->len) != NULL)
			return -1;
		return 0;
	case OBJ_OPAQUE:
		return rec->label == SENML_VD ? bsw_cbor_bytes(rec->value, 0,
		    &v->buf, &v->len) : -1;
	default:
		return -1;
	}
}

/*
 * The pre-pass before cbor_load builds a tree (lwm2m/cborscan.h): the
 * declared sizes, the item count and the nesting are bounded first.
 * Strings must be definite; a tag has no use here.
 */
static int
bsw_cbor_prescan(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	static const struct cborscan_limits lim = {
		.what = "SenML CBOR",
		.items = 1024,
		.depth = 4,		/* pack, record, value: one to spare */
		.tag4 = 0,
	};

	return cborscan_body(buf, len, &lim, err, errlen);
}

/* One record of a SenML CBOR write of p into a. */
static enum node_result
bsw_cbor_apply(struct acct *a, const struct bsw_path *p,
    const struct bsw_rec *rec, const uint8_t *bn, size_t bnlen, char *err,
    size_t errlen)
{
	const struct obj_res *r;
	struct acct_val v;
	long part[3];

	if (bsw_name(bn, bnlen, rec->n, rec->nlen, part, err, errlen) == -1)
		return NODE_BAD_REQUEST;
	if (part[0] != p->oid || (p->iid >= 0 && part[1] != p->iid) ||
	    (p->rid >= 0 && part[2] != p->rid)) {
		snprintf(err, errlen, "SenML record /%ld/%ld/%ld is outside "
		    "the path written", part[0], part[1], part[2]);
		return NODE_BAD_REQUEST;
	}
	if (part[1] > ACCT_IID_MAX) {
		snprintf(err, errlen, "/%ld/%ld: no such instance id", part[0],
		    part[1]);
		return NODE_BAD_REQUEST;
	}
	if ((r = bsw_row(p->oid, (uint16_t)part[2])) == NULL)
		return NODE_OK;		/* not kept by this client */
	if (bsw_cbor_value(rec, (enum obj_type)r->type, &v) == -1) {
		snprintf(err, errlen, "/%ld/%ld/%ld %s: a SenML value of the "
		    "wrong kind", part[0], part[1], part[2], r->name);
		return NODE_BAD_REQUEST;
	}
	return acct_set(a, p->oid, (uint16_t)part[1], (uint16_t)part[2], &v,
	    p->bootstrap, err, errlen);
}

/* A SenML CBOR body of a write of p into a. */
static enum node_result
bsw_cbor(struct acct *a, const struct bsw_path *p, const uint8_t *buf,
    size_t len, char *err, size_t errlen)
{
	struct cbor_load_result lr;
	enum node_result res = NODE_OK;
	cbor_item_t *root;
	cbor_item_t **items;
	struct bsw_rec rec;
	const uint8_t *bn = NULL;
	size_t bnlen = 0, i, n;

	if (bsw_cbor_prescan(buf, len, err, errlen) == -1)
		return NODE_BAD_REQUEST;
	root = cbor_load(buf, len, &lr);
	if (root == NULL || lr.error.code != CBOR_ERR_NONE || lr.read != len) {
		snprintf(err, errlen, "not one CBOR item (at byte %zu)",
		    lr.error.code != CBOR_ERR_NONE ? lr.error.position :
		    lr.read);
		res = NODE_BAD_REQUEST;
		goto out;
	}
	if (!cbor_isa_array(root) || (n = cbor_array_size(root)) == 0) {
		snprintf(err, errlen, "SenML CBOR is a non-empty array of "
		    "records");
		res = NODE_BAD_REQUEST;
		goto out;
	}
	items = cbor_array_handle(root);
	for (i = 0; i < n && res == NODE_OK; i++) {
		if (bsw_cbor_record(items[i], &bn, &bnlen, &rec, err,
		    errlen) == -1)
			res = NODE_BAD_REQUEST;
		else
			res = bsw_cbor_apply(a, p, &rec, bn, bnlen, err,
			    errlen);
	}
out:
	if (root != NULL)
		cbor_decref(&root);
	return res;
}

/* A text/plain write of one resource. */
static enum node_result
bsw_text(struct acct *a, const struct bsw_path *p, const uint8_t *buf,
    size_t len, char *err, size_t errlen)
{
	const struct obj_res *r;
	struct acct_val v;
	char num[24], *end;

	if (p->rid < 0) {
		snprintf(err, errlen, "text/plain writes one resource; write "
		    "an instance as TLV (11542) or SenML CBOR (112)");
		return NODE_BAD_FORMAT;
	}
	if ((r = bsw_row(p->oid, (uint16_t)p->rid)) == NULL) {
		snprintf(err, errlen, "no resource /%u/%d/%d", p->oid, p->iid,
		    p->rid);
		return NODE_NOT_FOUND;
	}
	memset(&v, 0, sizeof(v));
	v.type = (enum obj_type)r->type;
	switch (r->type) {
	case OBJ_INT:
	case OBJ_BOOL:
		if (len == 0 || len >= sizeof(num))
			goto bad;
		memcpy(num, buf, len);
		num[len] = '\0';
		if (num[0] != '-' && (num[0] < '0' || num[0] > '9'))
			goto bad;
		v.i = strtoll(num, &end, 10);
		if (*end != '\0' || (r->type == OBJ_BOOL && v.i != 0 &&
		    v.i != 1))
			goto bad;
		break;
	case OBJ_STRING:
		if (memchr(buf, '\0', len) != NULL)
			goto bad;
		v.buf = buf;
		v.len = len;
		break;
	default:
		snprintf(err, errlen, "/%u/%d/%d is opaque: write it as TLV or "
		    "SenML CBOR", p->oid, p->iid, p->rid);
		return NODE_BAD_FORMAT;
	}
	return acct_set(a, p->oid, (uint16_t)p->iid, (uint16_t)p->rid, &v,
	    p->bootstrap, err, errlen);
bad:
	snprintf(err, errlen, "'%.*s' is not a value of /%u/%d/%d %s",
	    len > 24 ? 24 : (int)len, (const char *)buf, p->oid, p->iid,
	    p->rid, r->name);
	return NODE_BAD_REQUEST;
}

static size_t
bsw_bootstrap_accounts(const struct acct *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->nsec; i++)
		n += a->sec[i].bootstrap;
	return n;
}

enum node_result
acct_write(struct acct *a, int cf, uint16_t oid, int iid, int rid,
    const uint8_t *body, size_t len, int bootstrap, char *err, size_t errlen)
{
	struct bsw_path p = { oid, iid, rid, bootstrap };
	struct acct copy;
	enum node_result res;

	if (oid != OBJ_SECURITY && oid != OBJ_SERVER) {
		snprintf(err, errlen, "no object /%u in an account", oid);
		return NODE_NOT_FOUND;
	}
	if ((iid < 0 && rid >= 0) || iid > ACCT_IID_MAX) {
		snprintf(err, errlen, "no such path");
		return NODE_BAD_REQUEST;
	}
	if (len > ACCT_WRITE_MAX) {
		snprintf(err, errlen, "a body of %zu bytes is over %d", len,
		    ACCT_WRITE_MAX);
		return NODE_TOO_LARGE;
	}
	copy = *a;
	switch (cf) {
	case ACCT_CF_TLV:
		res = bsw_tlv(&copy, &p, body, len, err, errlen);
		break;
	case ACCT_CF_SENML_CBOR:
		res = bsw_cbor(&copy, &p, body, len, err, errlen);
		break;
	case ACCT_CF_TEXT:
		res = bsw_text(&copy, &p, body, len, err, errlen);
		break;
	default:
		snprintf(err, errlen, "Content-Format %d: write TLV (11542) "
		    "or SenML CBOR (112)", cf);
		res = NODE_BAD_FORMAT;
		break;
	}
	if (res == NODE_OK && bsw_bootstrap_accounts(&copy) > 1) {
		snprintf(err, errlen, "a second bootstrap account in /0 "
		    "(Bootstrap-Server true)");
		res = NODE_BAD_REQUEST;
	}
	if (res == NODE_OK)
		*a = copy;
	explicit_bzero(&copy, sizeof(copy));
	return res;
}
