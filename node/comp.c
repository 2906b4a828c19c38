/*
 * comp.c: see comp.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <cJSON.h>

#include "node/comp.h"
#include "node/senml.h"

/* SenML CBOR labels (RFC 8428 6) a name list may carry. */
#define COMP_CBOR_BN	(-2)
#define COMP_CBOR_N	0

/* What parsing has so far: the base name in force and the paths. */
struct comp_parse {
	struct comp_list *l;
	char		 bn[COMP_NAME_MAX + 1];
	size_t		 bnlen;
	char		*err;
	size_t		 errlen;
	enum node_result res;		/* NODE_OK until the first error */
};

static void
comp_fail(struct comp_parse *cp, enum node_result res, const char *why)
{
	if (cp->res != NODE_OK)
		return;
	cp->res = res;
	snprintf(cp->err, cp->errlen, "%s", why);
}

/* Whether s (len bytes) is a path of one to three levels, into p. */
static int
comp_path_parse(const char *s, size_t len, struct comp_path *p)
{
	int32_t part[3] = { -1, -1, -1 };
	size_t i = 0, d;
	int k = 0;
	long v;

	while (i < len) {
		if (k == 3 || s[i] != '/')
			return -1;
		for (d = ++i, v = 0; i < len && s[i] >= '0' && s[i] <= '9';
		    i++) {
			if (i - d == 5)
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		/* Digits, at most 65535, no leading zero. */
		if (i == d || v > 65535 || (s[d] == '0' && i - d > 1))
			return -1;
		part[k++] = (int32_t)v;
	}
	if (k == 0)
		return -1;
	p->oid = part[0];
	p->iid = part[1];
	p->rid = part[2];
	return 0;
}

static int
comp_path_equal(const struct comp_path *a, const struct comp_path *b)
{
	return a->oid == b->oid && a->iid == b->iid && a->rid == b->rid;
}

/* One record: its base name (NULL: keep the one in force) and its name
 * (NULL: none), each len bytes. */
static void
comp_record(struct comp_parse *cp, const char *bn, size_t bnlen,
    const char *n, size_t nlen)
{
	struct comp_path p;
	char name[COMP_NAME_MAX + 1];
	size_t i;

	if (cp->res != NODE_OK)
		return;
	if (bn != NULL) {
		if (bnlen > COMP_NAME_MAX || memchr(bn, '\0', bnlen) != NULL) {
			comp_fail(cp, NODE_BAD_REQUEST, "a base name that is "
			    "not a path");
			return;
		}
		memcpy(cp->bn, bn, bnlen);
		cp->bnlen = bnlen;
	}
	if (n == NULL) {
		n = "";
		nlen = 0;
	}
	if (cp->bnlen + nlen > COMP_NAME_MAX) {
		comp_fail(cp, NODE_BAD_REQUEST, "a name over 64 bytes");
		return;
	}
	memcpy(name, cp->bn, cp->bnlen);
	memcpy(name + cp->bnlen, n, nlen);
	name[cp->bnlen + nlen] = '\0';
	if (comp_path_parse(name, cp->bnlen + nlen, &p) == -1) {
		for (i = 0; name[i] != '\0'; i++)
			if ((unsigned char)name[i] < 0x20 ||
			    (unsigned char)name[i] >= 0x7f)
				name[i] = '?';
		snprintf(cp->err, cp->errlen, "'%.40s' is not a path of an "
		    "object, an instance or a resource", name);
		cp->res = NODE_BAD_REQUEST;
		return;
	}
	for (i = 0; i < cp->l->n; i++)
		if (comp_path_equal(&cp->l->p[i], &p))
			return;		/* named before */
	if (cp->l->n == COMP_PATHS_MAX) {
		snprintf(cp->err, cp->errlen, "more than %d paths",
		    COMP_PATHS_MAX);
		cp->res = NODE_TOO_LARGE;
		return;
	}
	cp->l->p[cp->l->n++] = p;
}

/* A SenML JSON name list. */
static void
comp_parse_json(struct comp_parse *cp, const uint8_t *body, size_t len)
{
	const char *end;
	cJSON *doc, *rec, *f;
	const char *bn, *n;

	if ((doc = cJSON_ParseWithLengthOpts((const char *)body, len, &end,
	    0)) == NULL || (size_t)(end - (const char *)body) != len) {
		comp_fail(cp, NODE_BAD_REQUEST, "not one JSON document");
		goto out;
	}
	if (!cJSON_IsArray(doc)) {
		comp_fail(cp, NODE_BAD_REQUEST, "SenML JSON is an array of "
		    "records");
		goto out;
	}
	cJSON_ArrayForEach(rec, doc) {
		if (!cJSON_IsObject(rec)) {
			comp_fail(cp, NODE_BAD_REQUEST, "a SenML record is "
			    "not an object");
			break;
		}
		bn = n = NULL;
		cJSON_ArrayForEach(f, rec) {
			if (strcmp(f->string, "bn") != 0 &&
			    strcmp(f->string, "n") != 0) {
				comp_fail(cp, NODE_BAD_REQUEST, "a record of "
				    "a composite read names a path only "
				    "(bn, n)");
				goto out;
			}
			if (!cJSON_IsString(f)) {
				comp_fail(cp, NODE_BAD_REQUEST, "a name is not "
				    "a string");
				goto out;
			}
			if ((f->string[0] == 'b' ? bn : n) != NULL) {
				comp_fail(cp, NODE_BAD_REQUEST, "a name twice "
				    "in one record");
				goto out;
			}
			if (f->string[0] == 'b')
				bn = f->valuestring;
			else
				n = f->valuestring;
		}
		if (bn == NULL && n == NULL) {
			comp_fail(cp, NODE_BAD_REQUEST, "a record without a "
			    "name");
			break;
		}
		comp_record(cp, bn, bn != NULL ? strlen(bn) : 0, n,
		    n != NULL ? strlen(n) : 0);
		if (cp->res != NODE_OK)
			break;
	}
out:
	cJSON_Delete(doc);
}

/*
 * SenML CBOR, decoded as a stream (nothing is allocated from what the
 * peer declares): an array of maps whose labels are -2 (bn) and 0 (n),
 * each with a text string; definite or indefinite containers, definite
 * strings only.
 */
enum comp_cbor_state {
	CS_START,		/* the outer array */
	CS_RECORD,		/* a map, or the end of the array */
	CS_LABEL,		/* a label, or the end of the map */
	CS_VALUE,		/* the label's text string */
	CS_DONE,
};

struct comp_cbor {
	struct comp_parse *cp;
	enum comp_cbor_state state;
	int		 indef_array, indef_map;
	uint64_t	 records_left, pairs_left;
	int		 label;
	const char	*bn, *n;	/* into the body, this record's */
	size_t		 bnlen, nlen;
	int		 has_bn, has_n;
};

static void
cc_bad(struct comp_cbor *cc, const char *why)
{
	comp_fail(cc->cp, NODE_BAD_REQUEST, why);
	cc->state = CS_DONE;
}

/* The record ends: its names go in. */
static void
cc_record_end(struct comp_cbor *cc)
{
	if (!cc->has_bn && !cc->has_n) {
		cc_bad(cc, "a record without a name");
		return;
	}
	comp_record(cc->cp, cc->has_bn ? cc->bn : NULL, cc->bnlen,
	    cc->has_n ? cc->n : NULL, cc->nlen);
	if (cc->cp->res != NODE_OK) {
		cc->state = CS_DONE;
		return;
	}
	cc->state = CS_RECORD;
	if (!cc->indef_array && --cc->records_left == 0)
		cc->state = CS_DONE;
}

/* Any item but those below: only a label may come. */
static void
cc_int(struct comp_cbor *cc, int64_t v)
{
	if (cc->state != CS_LABEL) {
		cc_bad(cc, "SenML CBOR names are text strings in maps");
		return;
	}
	if (v != COMP_CBOR_BN && v != COMP_CBOR_N) {
		cc_bad(cc, "a record of a composite read names a path only "
		    "(bn, n)");
		return;
	}
	cc->label = (int)v;
	cc->state = CS_VALUE;
}

static void
cc_uint8(void *ctx, uint8_t v)
{
	cc_int(ctx, v);
}

static void
cc_uint16(void *ctx, uint16_t v)
{
	cc_int(ctx, v);
}

static void
cc_uint32(void *ctx, uint32_t v)
{
	cc_int(ctx, v > 1000 ? 1000 : (int64_t)v);
}

static void
cc_uint64(void *ctx, uint64_t v)
{
	cc_int(ctx, v > 1000 ? 1000 : (int64_t)v);
}

static void
cc_negint8(void *ctx, uint8_t v)
{
	cc_int(ctx, -1 - (int64_t)v);
}

static void
cc_negint16(void *ctx, uint16_t v)
{
	cc_int(ctx, -1 - (int64_t)v);
}

static void
cc_negint32(void *ctx, uint32_t v)
{
	cc_int(ctx, v > 1000 ? -1000 : -1 - (int64_t)v);
}

static void
cc_negint64(void *ctx, uint64_t v)
{
	cc_int(ctx, v > 1000 ? -1000 : -1 - (int64_t)v);
}

static void
cc_string(void *ctx, cbor_data data, size_t len)
{
	struct comp_cbor *cc = ctx;

	if (cc->state != CS_VALUE) {
		cc_bad(cc, "SenML CBOR labels are integers");
		return;
	}
	if (cc->label == COMP_CBOR_BN) {
		if (cc->has_bn)
			goto twice;
		cc->has_bn = 1;
		cc->bn = (const char *)data;
		cc->bnlen = (size_t)len;
	} else {
		if (cc->has_n)
			goto twice;
		cc->has_n = 1;
		cc->n = (const char *)data;
		cc->nlen = (size_t)len;
	}
	cc->state = CS_LABEL;
	if (!cc->indef_map && --cc->pairs_left == 0)
		cc_record_end(cc);
	return;
twice:
	cc_bad(cc, "a label twice in one record");
}

static void
cc_array(void *ctx, uint64_t size, int indef)
{
	struct comp_cbor *cc = ctx;

	if (cc->state != CS_START) {
		cc_bad(cc, "SenML CBOR is one array of maps");
		return;
	}
	if (!indef && size == 0) {
		cc_bad(cc, "no names");
		return;
	}
	cc->indef_array = indef;
	cc->records_left = size;
	cc->state = CS_RECORD;
}

static void
cc_array_def(void *ctx, size_t size)
{
	cc_array(ctx, size, 0);
}

static void
cc_array_indef(void *ctx)
{
	cc_array(ctx, 0, 1);
}

static void
cc_map(void *ctx, uint64_t size, int indef)
{
	struct comp_cbor *cc = ctx;

	if (cc->state != CS_RECORD) {
		cc_bad(cc, "a SenML record is a map of a name");
		return;
	}
	cc->indef_map = indef;
	cc->pairs_left = size;
	cc->has_bn = cc->has_n = 0;
	cc->bnlen = cc->nlen = 0;
	cc->state = CS_LABEL;
	if (!indef && size == 0)
		cc_record_end(cc);
}

static void
cc_map_def(void *ctx, size_t size)
{
	cc_map(ctx, size, 0);
}

static void
cc_map_indef(void *ctx)
{
	cc_map(ctx, 0, 1);
}

static void
cc_break(void *ctx)
{
	struct comp_cbor *cc = ctx;

	if (cc->state == CS_LABEL && cc->indef_map)
		cc_record_end(cc);
	else if (cc->state == CS_RECORD && cc->indef_array)
		cc->state = CS_DONE;
	else
		cc_bad(cc, "a break where none belongs");
}

/* Anything else is not part of a name list. */
static void
cc_other(void *ctx)
{
	cc_bad(ctx, "SenML CBOR of a composite read holds names only");
}

static void
cc_float(void *ctx, float v)
{
	(void)v;
	cc_other(ctx);
}

static void
cc_double(void *ctx, double v)
{
	(void)v;
	cc_other(ctx);
}

static void
cc_bool(void *ctx, bool v)
{
	(void)v;
	cc_other(ctx);
}

static void
cc_tag(void *ctx, uint64_t v)
{
	(void)v;
	cc_other(ctx);
}

static void
cc_bytes(void *ctx, cbor_data data, size_t len)
{
	(void)data;
	(void)len;
	cc_other(ctx);
}

static const struct cbor_callbacks comp_cbor_callbacks = {
	.uint8 = cc_uint8, .uint16 = cc_uint16, .uint32 = cc_uint32,
	.uint64 = cc_uint64,
	.negint8 = cc_negint8, .negint16 = cc_negint16,
	.negint32 = cc_negint32, .negint64 = cc_negint64,
	.byte_string_start = cc_other, .byte_string = cc_bytes,
	.string_start = cc_other, .string = cc_string,
	.indef_array_start = cc_array_indef, .array_start = cc_array_def,
	.indef_map_start = cc_map_indef, .map_start = cc_map_def,
	.tag = cc_tag,
	.float2 = cc_float, .float4 = cc_float, .float8 = cc_double,
	.undefined = cc_other, .null = cc_other, .boolean = cc_bool,
	.indef_break = cc_break,
};

static void
comp_parse_cbor(struct comp_parse *cp, const uint8_t *body, size_t len)
{
	struct cbor_decoder_result r;
	struct comp_cbor cc;
	size_t off = 0;

	memset(&cc, 0, sizeof(cc));
	cc.cp = cp;
	while (cc.state != CS_DONE) {
		if (off == len) {
			comp_fail(cp, NODE_BAD_REQUEST, "SenML CBOR cut short");
			return;
		}
		r = cbor_stream_decode(body + off, len - off,
		    &comp_cbor_callbacks, &cc);
		if (r.status != CBOR_DECODER_FINISHED || r.read == 0) {
			comp_fail(cp, NODE_BAD_REQUEST, r.status ==
			    CBOR_DECODER_NEDATA ? "SenML CBOR cut short" :
			    "malformed SenML CBOR");
			return;
		}
		off += r.read;
	}
	if (cp->res == NODE_OK && off != len)
		comp_fail(cp, NODE_BAD_REQUEST, "bytes after the SenML CBOR "
		    "pack");
}

enum node_result
comp_parse(int cf, const uint8_t *body, size_t len, struct comp_list *l,
    char *err, size_t errlen)
{
	struct comp_parse cp;

	memset(l, 0, sizeof(*l));
	memset(&cp, 0, sizeof(cp));
	cp.l = l;
	cp.err = err;
	cp.errlen = errlen;
	cp.res = NODE_OK;
	if (cf != COMP_CF_SENML_JSON && cf != COMP_CF_SENML_CBOR) {
		snprintf(err, errlen, "name the paths as SenML JSON (110) or "
		    "SenML CBOR (112)");
		return NODE_BAD_FORMAT;
	}
	if (len > COMP_BODY_MAX) {
		snprintf(err, errlen, "a body of %zu bytes is over the limit "
		    "of %d", len, COMP_BODY_MAX);
		return NODE_TOO_LARGE;
	}
	if (cf == COMP_CF_SENML_JSON)
		comp_parse_json(&cp, body, len);
	else
		comp_parse_cbor(&cp, body, len);
	if (cp.res == NODE_OK && l->n == 0)
		comp_fail(&cp, NODE_BAD_REQUEST, "no names");
	if (cp.res != NODE_OK)
		memset(l, 0, sizeof(*l));
	return cp.res;
}

void
comp_path_text(const struct comp_path *p, char *buf, size_t len)
{
	if (p->iid < 0)
		snprintf(buf, len, "/%d", p->oid);
	else if (p->rid < 0)
		snprintf(buf, len, "/%d/%d", p->oid, p->iid);
	else
		snprintf(buf, len, "/%d/%d/%d", p->oid, p->iid, p->rid);
}

int
comp_same(const struct comp_list *a, const struct comp_list *b)
{
	size_t i, j;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++)
			if (comp_path_equal(&a->p[i], &b->p[j]))
				break;
		if (j == b->n)
			return 0;
	}
	return 1;
}

/* The records of a read, growing as paths add theirs. */
struct comp_recs {
	struct senml_rec *recs;
	struct obj_value *vals;
	char		(*names)[32];
	size_t		 n, max;
};

/* Room for k more records. */
static int
comp_room(struct comp_recs *r, size_t k)
{
	struct senml_rec *recs;
	struct obj_value *vals;
	char (*names)[32];
	size_t max, i;

	if (r->n + k <= r->max)
		return 0;
	max = r->max * 2 > r->n + k ? r->max * 2 : r->n + k + 16;
	if ((vals = realloc(r->vals, max * sizeof(*vals))) == NULL)
		return -1;
	r->vals = vals;
	if ((names = realloc(r->names, max * sizeof(*names))) == NULL)
		return -1;
	r->names = names;
	if ((recs = realloc(r->recs, max * sizeof(*recs))) == NULL)
		return -1;
	r->recs = recs;
	r->max = max;
	for (i = 0; i < r->n; i++) {	/* the arrays may have moved */
		r->recs[i].name = r->names[i];
		r->recs[i].value = &r->vals[i];
	}
	return 0;
}

/* Adds the record name: v unless a record of that name is there. */
static void
comp_add(struct comp_recs *r, const char *name, const struct obj_value *v)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->names[i], name) == 0)
			return;
	snprintf(r->names[r->n], sizeof(r->names[r->n]), "%s", name);
	r->vals[r->n] = *v;
	r->recs[r->n].name = r->names[r->n];
	r->recs[r->n].value = &r->vals[r->n];
	r->n++;
}

/* The records of /oid/0/rid of def (row res), if it reads now. */
static int
comp_resource(struct comp_recs *r, struct obj *o, const char *serial,
    const struct fw *fw, const struct obj_def *def, const struct obj_res *res)
{
	struct obj_value v, *multi;
	char name[32], err[160];
	size_t k, i;

	if (!(res->ops & OBJ_R))
		return 0;
	if (!(res->ops & OBJ_M)) {
		if (obj_read(o, serial, fw, def->oid, res->rid, &v, err,
		    sizeof(err)) != NODE_OK)
			return 0;	/* not given now */
		if (comp_room(r, 1) == -1)
			return -1;
		snprintf(name, sizeof(name), "/%u/0/%u", def->oid, res->rid);
		comp_add(r, name, &v);
		return 0;
	}
	if ((multi = calloc(OBJ_MULTI_MAX, sizeof(*multi))) == NULL)
		return -1;
	if (obj_read_multi(o, def->oid, res->rid, multi, OBJ_MULTI_MAX, &k,
	    err, sizeof(err)) == NODE_OK && comp_room(r, k) == 0) {
		for (i = 0; i < k; i++) {
			snprintf(name, sizeof(name), "/%u/0/%u/%u", def->oid,
			    res->rid, (unsigned)i);
			comp_add(r, name, &multi[i]);
		}
		free(multi);
		return 0;
	}
	free(multi);
	return k > 0 ? -1 : 0;
}

/* The records of path p: none when it does not read. */
static int
comp_path_records(struct comp_recs *r, struct obj *o, const char *serial,
    const struct fw *fw, const struct comp_path *p)
{
	const struct obj_def *def = obj_def_find(o->table, (uint16_t)p->oid);
	const struct obj_res *res;
	size_t i;

	/* Each object has the one instance 0; the account objects are
	 * bsres.c's and give nothing here. */
	if (def == NULL || def->account || (p->iid >= 0 && p->iid != 0))
		return 0;
	if (p->rid >= 0)
		return (res = obj_res_find(def, (uint16_t)p->rid)) == NULL ?
		    0 : comp_resource(r, o, serial, fw, def, res);
	for (i = 0; i < def->nres; i++)
		if (comp_resource(r, o, serial, fw, def, &def->res[i]) == -1)
			return -1;
	return 0;
}

uint8_t *
comp_read(struct obj *o, const char *serial, const struct fw *fw,
    const struct comp_list *l, int cbor, size_t *len, char *err,
    size_t errlen)
{
	struct comp_recs r;
	uint8_t *out = NULL;
	size_t i;

	*len = 0;
	memset(&r, 0, sizeof(r));
	if (comp_room(&r, 16) == -1)
		goto fail;
	for (i = 0; i < l->n; i++)
		if (comp_path_records(&r, o, serial, fw, &l->p[i]) == -1)
			goto fail;
	if (cbor)
		out = senml_encode_cbor(NULL, r.recs, r.n, len);
	else if ((out = (uint8_t *)senml_encode(NULL, r.recs, r.n)) != NULL)
		*len = strlen((const char *)out);
fail:
	if (out == NULL)
		snprintf(err, errlen, "out of memory");
	free(r.recs);
	free(r.names);
	free(r.vals);
	return out;
}
