/*
 * senml_tlv.c: LwM2M TLV (OMA-TS-LightweightM2M-V1_1 7.4.3) to SenML JSON;
 * see senml.h for what a path says about the body.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/objmodel.h"
#include "lwm2m/senml.h"
#include "lwm2m/senml_int.h"

enum tlv_kind {
	TLV_INSTANCE = 0,	/* object instance: resources */
	TLV_RES_INSTANCE = 1,	/* resource instance: a value */
	TLV_MULTIPLE = 2,	/* multiple resource: resource instances */
	TLV_RESOURCE = 3	/* resource: a value */
};

static const char *const tlv_kinds[] = {
	"object instance", "resource instance", "multiple resource",
	"resource"
};

/* One TLV as read from the body. */
struct tlv {
	enum tlv_kind	 kind;
	unsigned	 id;
	size_t		 at;	/* offset of its type byte */
	const uint8_t	*val;
	size_t		 len;
};

/* A value found in the body, under its ids (-1: none). */
struct tlv_rec {
	int32_t		 oi, rid, riid;
	const uint8_t	*val;
	size_t		 len;
};

struct tlv_conv {
	struct senml	*s;
	const struct lwm2m_model *model;
	const uint8_t	*body;
	size_t		 bodylen;
	int32_t		 path[4];
	int		 depth;		/* ids in path, 1..4 */
	struct tlv_rec	*recs;
	size_t		 nrecs;
	uint64_t	*keys;	/* one per TLV, to find duplicates */
	size_t		 ntlv, cap;
};

/*
 * Reads the TLV at *off of buf[0..len) (the body, or the value of its
 * parent) into t and moves *off past it. Its header and its value must lie
 * inside buf. Counts it against SENML_RECORDS_MAX.
 */
static int
tlv_read(struct tlv_conv *c, const uint8_t *buf, size_t len, size_t *off,
    struct tlv *t)
{
	size_t p = *off, idlen, lenlen, vlen = 0, i;
	uint8_t type;

	t->at = (size_t)(buf - c->body) + p;
	if (c->ntlv == c->cap)
		return senml_fail(c->s, "TLV: more than %d TLVs",
		    SENML_RECORDS_MAX);
	type = buf[p++];
	idlen = type & 0x20 ? 2 : 1;
	lenlen = type >> 3 & 3;
	if (len - p < idlen + lenlen)
		return senml_fail(c->s, "TLV at byte %zu: header cut short "
		    "(%zu of %zu bytes)", t->at, len - *off,
		    1 + idlen + lenlen);
	t->kind = (enum tlv_kind)(type >> 6);
	t->id = idlen == 2 ? (unsigned)buf[p] << 8 | buf[p + 1] : buf[p];
	p += idlen;
	if (lenlen == 0)
		vlen = type & 7;
	for (i = 0; i < lenlen; i++)
		vlen = vlen << 8 | buf[p + i];
	p += lenlen;
	if (vlen > len - p)
		return senml_fail(c->s, "TLV at byte %zu: %s %u: length %zu "
		    "runs past the end of %s (%zu bytes left)", t->at,
		    tlv_kinds[t->kind], t->id, vlen,
		    buf == c->body ? "the body" : "its parent", len - p);
	t->val = buf + p;
	t->len = vlen;
	*off = p + vlen;
	c->ntlv++;
	return 0;
}

/* Notes that a TLV stands for oi/rid/riid (-1: none), to find duplicates. */
static void
tlv_key(struct tlv_conv *c, int32_t oi, int32_t rid, int32_t riid)
{
	c->keys[c->ntlv - 1] = (uint64_t)(oi + 1) << 34 |
	    (uint64_t)(rid + 1) << 17 | (uint64_t)(riid + 1);
}

/* Keeps the value of TLV t as oi/rid/riid. */
static void
tlv_value(struct tlv_conv *c, int32_t oi, int32_t rid, int32_t riid,
    const struct tlv *t)
{
	struct tlv_rec *r = &c->recs[c->nrecs++];

	tlv_key(c, oi, rid, riid);
	r->oi = oi;
	r->rid = rid;
	r->riid = riid;
	r->val = t->val;
	r->len = t->len;
}

/* The resource instances of multiple resource oi/rid: all of buf. */
static int
tlv_instances(struct tlv_conv *c, int32_t oi, int32_t rid, const uint8_t *buf,
    size_t len)
{
	struct tlv t;
	size_t off = 0;

	while (off < len) {
		if (tlv_read(c, buf, len, &off, &t) == -1)
			return -1;
		if (t.kind != TLV_RES_INSTANCE)
			return senml_fail(c->s, "TLV at byte %zu: %s %u inside "
			    "multiple resource %d", t.at, tlv_kinds[t.kind],
			    t.id, (int)rid);
		tlv_value(c, oi, rid, (int32_t)t.id, &t);
	}
	return 0;
}

/* A multiple resource TLV t in object instance oi. */
static int
tlv_multiple(struct tlv_conv *c, int32_t oi, const struct tlv *t)
{
	tlv_key(c, oi, (int32_t)t->id, -1);
	if (t->len == 0)
		return senml_fail(c->s, "TLV at byte %zu: multiple resource %u "
		    "has no instances", t->at, t->id);
	return tlv_instances(c, oi, (int32_t)t->id, t->val, t->len);
}

/* The resources of object instance oi: all of buf. */
static int
tlv_resources(struct tlv_conv *c, int32_t oi, const uint8_t *buf, size_t len)
{
	struct tlv t;
	size_t off = 0;

	while (off < len) {
		if (tlv_read(c, buf, len, &off, &t) == -1)
			return -1;
		if (t.kind == TLV_RESOURCE)
			tlv_value(c, oi, (int32_t)t.id, -1, &t);
		else if (t.kind == TLV_MULTIPLE) {
			if (tlv_multiple(c, oi, &t) == -1)
				return -1;
		} else
			return senml_fail(c->s, "TLV at byte %zu: %s %u inside "
			    "object instance %d", t.at, tlv_kinds[t.kind], t.id,
			    (int)oi);
	}
	return 0;
}

/* Reads the one TLV that must make up all of the body, with id want_id. */
static int
tlv_sole(struct tlv_conv *c, struct tlv *t, int32_t want_id)
{
	size_t off = 0;

	if (tlv_read(c, c->body, c->bodylen, &off, t) == -1)
		return -1;
	if ((int32_t)t->id != want_id)
		return senml_fail(c->s, "TLV at byte %zu: %s %u where the path "
		    "names %d", t->at, tlv_kinds[t->kind], t->id, (int)want_id);
	if (off != c->bodylen)
		return senml_fail(c->s, "TLV at byte %zu: more data after the "
		    "%s the path names", off, tlv_kinds[t->kind]);
	return 0;
}

/* Reads the whole body as what the path says it holds (see senml.h). */
static int
tlv_body(struct tlv_conv *c)
{
	const int32_t *p = c->path;
	struct tlv t;
	size_t off = 0;
	enum tlv_kind first;

	if (c->bodylen == 0) {
		if (c->depth <= 2)
			return 0;
		return senml_fail(c->s, "TLV: empty body for a resource");
	}
	first = (enum tlv_kind)(c->body[0] >> 6);
	switch (c->depth) {
	case 1:
		while (off < c->bodylen) {
			if (tlv_read(c, c->body, c->bodylen, &off, &t) == -1)
				return -1;
			if (t.kind != TLV_INSTANCE)
				return senml_fail(c->s, "TLV at byte %zu: %s "
				    "%u in an object body", t.at,
				    tlv_kinds[t.kind], t.id);
			tlv_key(c, (int32_t)t.id, -1, -1);
			if (tlv_resources(c, (int32_t)t.id, t.val, t.len) == -1)
				return -1;
		}
		return 0;
	case 2:
		if (first != TLV_INSTANCE)
			return tlv_resources(c, p[1], c->body, c->bodylen);
		if (tlv_sole(c, &t, p[1]) == -1)
			return -1;
		tlv_key(c, p[1], -1, -1);
		return tlv_resources(c, p[1], t.val, t.len);
	case 3:
		if (first == TLV_RES_INSTANCE)
			return tlv_instances(c, p[1], p[2], c->body,
			    c->bodylen);
		if (tlv_sole(c, &t, p[2]) == -1)
			return -1;
		if (t.kind == TLV_RESOURCE) {
			tlv_value(c, p[1], p[2], -1, &t);
			return 0;
		}
		if (t.kind == TLV_MULTIPLE)
			return tlv_multiple(c, p[1], &t);
		break;
	default:
		if (tlv_sole(c, &t, p[3]) == -1)
			return -1;
		if (t.kind == TLV_RES_INSTANCE) {
			tlv_value(c, p[1], p[2], p[3], &t);
			return 0;
		}
		break;
	}
	return senml_fail(c->s, "TLV at byte 0: %s %u where the path names a "
	    "%s", tlv_kinds[t.kind], t.id, c->depth == 3 ? "resource" :
	    "resource instance");
}

static int
tlv_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Fails when two TLVs stand for the same instance, resource or value. */
static int
tlv_unique(struct tlv_conv *c)
{
	int32_t ids[4];
	char name[32];
	size_t i;
	int n;

	qsort(c->keys, c->ntlv, sizeof(c->keys[0]), tlv_cmp);
	for (i = 1; i < c->ntlv; i++) {
		if (c->keys[i] != c->keys[i - 1])
			continue;
		ids[0] = c->path[0];
		ids[1] = (int32_t)(c->keys[i] >> 34) - 1;
		ids[2] = (int32_t)(c->keys[i] >> 17 & 0x1ffff) - 1;
		ids[3] = (int32_t)(c->keys[i] & 0x1ffff) - 1;
		for (n = 1; n < 4 && ids[n] != -1; n++)
			;
		senml_join(name, sizeof(name), ids, n);
		return senml_fail(c->s, "TLV: /%s appears twice", name);
	}
	return 0;
}

/* One value by the type the model gives its resource (senml.h). */
static int
tlv_add_value(struct tlv_conv *c, cJSON *rec, const struct tlv_rec *r)
{
	struct lwm2m_res res;
	int known;

	known = lwm2m_model_resource(c->model, (unsigned)c->path[0],
	    (unsigned)r->rid, &res) == 0;
	return senml_add_typed(c->s, rec, known ? &res : NULL, 0, r->val,
	    r->len);
}

/* The SenML JSON pack for the values found, named as senml.h says. */
static char *
tlv_pack(struct tlv_conv *c)
{
	char bn[32], n[24];
	int32_t ids[4];
	cJSON *pack, *rec;
	size_t i;
	int len;

	if ((pack = cJSON_CreateArray()) == NULL) {
		senml_fail(c->s, "out of memory");
		return NULL;
	}
	for (i = 0; i < c->nrecs; i++) {
		ids[0] = c->path[0];
		ids[1] = c->recs[i].oi;
		ids[2] = c->recs[i].rid;
		ids[3] = c->recs[i].riid;
		len = ids[3] == -1 ? 3 : 4;
		if (senml_add(c->s, pack, NULL, rec = cJSON_CreateObject()) ==
		    -1)
			goto fail;
		if (i == 0) {
			bn[0] = '/';
			senml_join(bn + 1, sizeof(bn) - 2, c->path, c->depth);
			if (len > c->depth)
				strcat(bn, "/");
			if (senml_add(c->s, rec, "bn",
			    cJSON_CreateString(bn)) == -1)
				goto fail;
		}
		if (len > c->depth) {
			senml_join(n, sizeof(n), ids + c->depth, len - c->depth);
			if (senml_add(c->s, rec, "n", cJSON_CreateString(n)) ==
			    -1)
				goto fail;
		}
		if (tlv_add_value(c, rec, &c->recs[i]) == -1)
			goto fail;
	}
	return senml_print(c->s, pack);
fail:
	senml_fail(c->s, "out of memory");
	cJSON_Delete(pack);
	return NULL;
}

/* LwM2M TLV to SenML JSON. */
char *
senml_from_tlv(struct senml *s, const uint8_t *body, size_t len,
    const char *path, const struct lwm2m_model *model)
{
	struct tlv_conv c;
	char *out = NULL;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.model = model;
	c.body = body;
	c.bodylen = len;
	if ((c.depth = senml_path(path, c.path)) == -1) {
		senml_fail(s, "TLV: path '%.32s' is not an LwM2M object, "
		    "instance, resource or resource instance",
		    path != NULL ? path : "(none)");
		return NULL;
	}
	/* Every TLV takes at least 2 bytes. */
	c.cap = len / 2 + 1 < SENML_RECORDS_MAX ? len / 2 + 1 :
	    SENML_RECORDS_MAX;
	c.recs = calloc(c.cap, sizeof(*c.recs));
	c.keys = calloc(c.cap, sizeof(*c.keys));
	if (c.recs == NULL || c.keys == NULL)
		senml_fail(s, "out of memory");
	else if (tlv_body(&c) == 0 && tlv_unique(&c) == 0)
		out = tlv_pack(&c);
	free(c.recs);
	free(c.keys);
	return out;
}

