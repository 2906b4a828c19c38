/*
 * senml.c: see senml.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cbor.h>

#include "proxy/senml.h"

#define SENML_BVER_MAX	10	/* the newest bver we know (RFC 8428) */
#define SENML_NUM_MAX	24	/* "-18446744073709551616" and the NUL */

/* One conversion: where its reason goes. */
struct senml {
	char	*err;
	size_t	 errlen;
};

static int	senml_fail(struct senml *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Writes the first reason of a conversion into err; returns -1. */
static int
senml_fail(struct senml *s, const char *fmt, ...)
{
	va_list ap;

	if (s->errlen == 0 || s->err[0] != '\0')
		return -1;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Whether p[0..n) is UTF-8 as RFC 3629 defines it (no overlong forms, no
 * surrogates, nothing past U+10FFFF) without NUL; with no_ctrl, also
 * without C0 controls, DEL or C1 controls.
 */
static int
senml_utf8(const uint8_t *p, size_t n, int no_ctrl)
{
	size_t i = 0, k, more;
	uint32_t cp, min;

	while (i < n) {
		if (p[i] < 0x80) {
			if (p[i] == 0 || (no_ctrl && (p[i] < 0x20 ||
			    p[i] == 0x7f)))
				return 0;
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			more = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			more = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			more = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i - 1 < more)
			return 0;
		for (k = 1; k <= more; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		if (no_ctrl && cp <= 0x9f)
			return 0;
		i += more + 1;
	}
	return 1;
}

/* A JSON string item holding p[0..n), which the caller has checked. */
static cJSON *
senml_string(struct senml *s, const uint8_t *p, size_t n)
{
	cJSON *item;
	char *copy;

	if ((copy = malloc(n + 1)) == NULL) {
		senml_fail(s, "out of memory");
		return NULL;
	}
	memcpy(copy, p, n);
	copy[n] = '\0';
	if ((item = cJSON_CreateString(copy)) == NULL)
		senml_fail(s, "out of memory");
	free(copy);
	return item;
}

/* A JSON string item holding p[0..n) in base64url without padding. */
static cJSON *
senml_base64url(struct senml *s, const uint8_t *p, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;
	uint32_t v;
	cJSON *item;
	char *out;

	if ((out = malloc(n / 3 * 4 + 4)) == NULL) {
		senml_fail(s, "out of memory");
		return NULL;
	}
	for (i = 0; n - i >= 3; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i > 0) {
		v = (uint32_t)p[i] << 16;
		if (n - i == 2)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		if (n - i == 2)
			out[o++] = abc[v >> 6 & 63];
	}
	out[o] = '\0';
	if ((item = cJSON_CreateString(out)) == NULL)
		senml_fail(s, "out of memory");
	free(out);
	return item;
}

/* A JSON number item written exactly as text (an integer, "MeE"). */
static cJSON *
senml_raw(struct senml *s, const char *text)
{
	cJSON *item;

	if ((item = cJSON_CreateRaw(text)) == NULL)
		senml_fail(s, "out of memory");
	return item;
}

/* Adds item (deleted on failure) to obj as name, or to the array obj. */
static int
senml_add(struct senml *s, cJSON *obj, const char *name, cJSON *item)
{
	cJSON_bool ok;

	if (item == NULL)
		return -1;
	ok = name != NULL ? cJSON_AddItemToObject(obj, name, item) :
	    cJSON_AddItemToArray(obj, item);
	if (!ok) {
		cJSON_Delete(item);
		return senml_fail(s, "out of memory");
	}
	return 0;
}

/* Prints and frees pack: the answer of senml_to_json, or NULL. */
static char *
senml_print(struct senml *s, cJSON *pack)
{
	char *out;

	out = cJSON_PrintUnformatted(pack);
	cJSON_Delete(pack);
	if (out == NULL) {
		senml_fail(s, "out of memory");
		return NULL;
	}
	if (strlen(out) > SENML_OUT_MAX) {
		senml_fail(s, "SenML JSON of %zu bytes is over the %d-byte "
		    "limit", strlen(out), SENML_OUT_MAX);
		free(out);
		return NULL;
	}
	return out;
}

/* ---- LwM2M TLV ---- */

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
 * Parses "3", "3/0", "3/0/9" or "3/0/7/1" (an optional leading '/') into
 * ids. Returns the number of ids, or -1.
 */
static int
tlv_path(const char *path, int32_t ids[4])
{
	const char *p = path;
	int depth = 0;
	int32_t v;

	if (p == NULL)
		return -1;
	if (*p == '/')
		p++;
	for (;;) {
		if (depth == 4 || *p < '0' || *p > '9' ||
		    (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
			return -1;
		for (v = 0; *p >= '0' && *p <= '9'; p++)
			if ((v = v * 10 + (*p - '0')) > 65535)
				return -1;
		ids[depth++] = v;
		if (*p == '\0')
			return depth;
		if (*p++ != '/')
			return -1;
	}
}

/* Writes ids[0..n) as "a/b/c" into buf. */
static void
tlv_join(char *buf, size_t len, const int32_t *ids, int n)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%d", i ? "/" : "",
		    (int)ids[i]);
}

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
		tlv_join(name, sizeof(name), ids, n);
		return senml_fail(c->s, "TLV: /%s appears twice", name);
	}
	return 0;
}

/*
 * One value by the heuristic of senml.h: "v" for 1, 2, 4 or 8 bytes, "vs"
 * for control-free UTF-8, "vd" for the rest.
 */
static int
tlv_add_value(struct senml *s, cJSON *rec, const uint8_t *v, size_t n)
{
	char num[SENML_NUM_MAX];
	uint64_t u;
	int64_t x;
	size_t i;

	if (n == 1 || n == 2 || n == 4 || n == 8) {
		u = v[0] & 0x80 ? UINT64_MAX : 0;
		for (i = 0; i < n; i++)
			u = u << 8 | v[i];
		x = u > INT64_MAX ? -(int64_t)~u - 1 : (int64_t)u;
		snprintf(num, sizeof(num), "%" PRId64, x);
		return senml_add(s, rec, "v", senml_raw(s, num));
	}
	if (senml_utf8(v, n, 1))
		return senml_add(s, rec, "vs", senml_string(s, v, n));
	return senml_add(s, rec, "vd", senml_base64url(s, v, n));
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
			tlv_join(bn + 1, sizeof(bn) - 2, c->path, c->depth);
			if (len > c->depth)
				strcat(bn, "/");
			if (senml_add(c->s, rec, "bn",
			    cJSON_CreateString(bn)) == -1)
				goto fail;
		}
		if (len > c->depth) {
			tlv_join(n, sizeof(n), ids + c->depth, len - c->depth);
			if (senml_add(c->s, rec, "n", cJSON_CreateString(n)) ==
			    -1)
				goto fail;
		}
		if (tlv_add_value(c->s, rec, c->recs[i].val, c->recs[i].len) ==
		    -1)
			goto fail;
	}
	return senml_print(c->s, pack);
fail:
	senml_fail(c->s, "out of memory");
	cJSON_Delete(pack);
	return NULL;
}

/* LwM2M TLV to SenML JSON. */
static char *
senml_from_tlv(struct senml *s, const uint8_t *body, size_t len,
    const char *path)
{
	struct tlv_conv c;
	char *out = NULL;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.body = body;
	c.bodylen = len;
	if ((c.depth = tlv_path(path, c.path)) == -1) {
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

/* ---- SenML CBOR ---- */

/*
 * The pre-pass over a CBOR body with libcbor's streaming decoder, before
 * cbor_load builds a tree: cbor_load allocates whatever an array or map
 * header declares, and libcbor frees a tree recursively, so the item
 * count, the declared sizes and the nesting are bounded here first.
 */
struct cbor_scan {
	struct senml	*s;
	size_t		 at;	/* offset of the item being decoded */
	size_t		 left;	/* bytes from there to the end */
	size_t		 items;
	int		 depth;
	struct {
		uint64_t left;		/* items still to come */
		int	 indef;	/* ends with a break instead */
	}		 open[SENML_CBOR_DEPTH_MAX];
	int		 tagged;	/* the last item was a tag */
	int		 done;		/* the top-level item is whole */
	int		 failed;
};

static void	scan_fail(struct cbor_scan *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
scan_fail(struct cbor_scan *sc, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!sc->failed)
		senml_fail(sc->s, "SenML CBOR at byte %zu: %s", sc->at, what);
	sc->failed = 1;
}

/* Closes every definite container whose last item has come. */
static void
scan_settle(struct cbor_scan *sc)
{
	while (sc->depth > 0 && !sc->open[sc->depth - 1].indef &&
	    sc->open[sc->depth - 1].left == 0)
		sc->depth--;
	if (sc->depth == 0)
		sc->done = 1;
}

/* An item: a scalar, or a container of size items (indef: to a break). */
static void
scan_item(struct cbor_scan *sc, int container, uint64_t size, int indef)
{
	if (sc->failed)
		return;
	if (++sc->items > SENML_CBOR_ITEMS_MAX) {
		scan_fail(sc, "more than %d items", SENML_CBOR_ITEMS_MAX);
		return;
	}
	sc->tagged = 0;
	if (sc->depth > 0 && !sc->open[sc->depth - 1].indef)
		sc->open[sc->depth - 1].left--;
	if (container && (indef || size > 0)) {
		if (sc->depth == SENML_CBOR_DEPTH_MAX) {
			scan_fail(sc, "nested more than %d deep",
			    SENML_CBOR_DEPTH_MAX);
			return;
		}
		sc->open[sc->depth].left = size;
		sc->open[sc->depth].indef = indef;
		sc->depth++;
		return;
	}
	scan_settle(sc);
}

static void
scan_u8(void *ctx, uint8_t v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_u16(void *ctx, uint16_t v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_u32(void *ctx, uint32_t v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_u64(void *ctx, uint64_t v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_float(void *ctx, float v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_double(void *ctx, double v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_bool(void *ctx, bool v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_simple(void *ctx)
{
	scan_item(ctx, 0, 0, 0);
}

/* A definite string: libcbor has checked that its bytes are there. */
static void
scan_string(void *ctx, cbor_data data, size_t len)
{
	(void)data;
	(void)len;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_indef_string(void *ctx)
{
	scan_fail(ctx, "indefinite-length string");
}

/* Each item takes a byte at least, after a header of one at least. */
static void
scan_array(void *ctx, size_t size)
{
	struct cbor_scan *sc = ctx;

	if (size >= sc->left)
		scan_fail(sc, "array of %zu items in %zu bytes", size,
		    sc->left);
	else
		scan_item(sc, 1, size, 0);
}

static void
scan_map(void *ctx, size_t size)
{
	struct cbor_scan *sc = ctx;

	if (size > (sc->left - 1) / 2)
		scan_fail(sc, "map of %zu pairs in %zu bytes", size, sc->left);
	else
		scan_item(sc, 1, (uint64_t)size * 2, 0);
}

static void
scan_indef(void *ctx)
{
	scan_item(ctx, 1, 0, 1);
}

static void
scan_break(void *ctx)
{
	struct cbor_scan *sc = ctx;

	if (sc->failed)
		return;
	if (sc->depth == 0 || !sc->open[sc->depth - 1].indef || sc->tagged) {
		scan_fail(sc, "break where none belongs");
		return;
	}
	sc->depth--;
	scan_settle(sc);
}

/* Tag 4 (a decimal fraction) is the one SenML uses, once per number. */
static void
scan_tag(void *ctx, uint64_t tag)
{
	struct cbor_scan *sc = ctx;

	if (sc->failed)
		return;
	if (tag != 4)
		scan_fail(sc, "tag %" PRIu64 " has no use in SenML", tag);
	else if (sc->tagged)
		scan_fail(sc, "a tag on a tag");
	else if (++sc->items > SENML_CBOR_ITEMS_MAX)
		scan_fail(sc, "more than %d items", SENML_CBOR_ITEMS_MAX);
	else
		sc->tagged = 1;
}

static const struct cbor_callbacks scan_callbacks = {
	.uint8 = scan_u8, .uint16 = scan_u16, .uint32 = scan_u32,
	.uint64 = scan_u64,
	.negint8 = scan_u8, .negint16 = scan_u16, .negint32 = scan_u32,
	.negint64 = scan_u64,
	.byte_string_start = scan_indef_string, .byte_string = scan_string,
	.string_start = scan_indef_string, .string = scan_string,
	.indef_array_start = scan_indef, .array_start = scan_array,
	.indef_map_start = scan_indef, .map_start = scan_map,
	.tag = scan_tag,
	.float2 = scan_float, .float4 = scan_float, .float8 = scan_double,
	.undefined = scan_simple, .null = scan_simple, .boolean = scan_bool,
	.indef_break = scan_break,
};

/* Checks that body is one bounded CBOR item and nothing after it. */
static int
cbor_prescan(struct senml *s, const uint8_t *body, size_t len)
{
	struct cbor_decoder_result r;
	struct cbor_scan sc;
	size_t off = 0;

	memset(&sc, 0, sizeof(sc));
	sc.s = s;
	while (!sc.done) {
		if (off == len)
			return senml_fail(s, "SenML CBOR: cut short at "
			    "byte %zu", off);
		sc.at = off;
		sc.left = len - off;
		r = cbor_stream_decode(body + off, len - off, &scan_callbacks,
		    &sc);
		if (sc.failed)
			return -1;
		if (r.status == CBOR_DECODER_NEDATA)
			return senml_fail(s, "SenML CBOR: cut short at "
			    "byte %zu", off);
		if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
			return senml_fail(s, "SenML CBOR at byte %zu: "
			    "malformed item", off);
		off += r.read;
	}
	if (off != len)
		return senml_fail(s, "SenML CBOR: %zu bytes after the pack",
		    len - off);
	return 0;
}

enum senml_type {
	SENML_T_TEXT, SENML_T_NUMBER, SENML_T_BOOL, SENML_T_DATA,
	SENML_T_VERSION,
	SENML_T_ANY		/* an extension: text, number or boolean */
};

static const char *const senml_types[] = {
	"text", "a number", "a boolean", "a byte string",
	"an unsigned integer", "text, a number or a boolean"
};

#define SENML_NO_LABEL	INT32_MIN

/* RFC 8428 Table 6, and LwM2M 1.1's object link (text label only). */
static const struct senml_label {
	int32_t		 cbor;
	const char	*name;
	enum senml_type	 type;
} senml_labels[] = {
	{ -1, "bver", SENML_T_VERSION },
	{ -2, "bn", SENML_T_TEXT },
	{ -3, "bt", SENML_T_NUMBER },
	{ -4, "bu", SENML_T_TEXT },
	{ -5, "bv", SENML_T_NUMBER },
	{ -6, "bs", SENML_T_NUMBER },
	{ 0, "n", SENML_T_TEXT },
	{ 1, "u", SENML_T_TEXT },
	{ 2, "v", SENML_T_NUMBER },
	{ 3, "vs", SENML_T_TEXT },
	{ 4, "vb", SENML_T_BOOL },
	{ 5, "s", SENML_T_NUMBER },
	{ 6, "t", SENML_T_NUMBER },
	{ 7, "ut", SENML_T_NUMBER },
	{ 8, "vd", SENML_T_DATA },
	{ SENML_NO_LABEL, "vlo", SENML_T_TEXT },
};
#define NLABELS	(sizeof(senml_labels) / sizeof(senml_labels[0]))

/* Writes the CBOR integer v exactly, in decimal. */
static void
cbor_int_text(const cbor_item_t *v, char *buf, size_t len)
{
	uint64_t u = cbor_get_int(v);

	if (cbor_isa_uint(v))
		snprintf(buf, len, "%" PRIu64, u);
	else if (u == UINT64_MAX)
		snprintf(buf, len, "-18446744073709551616");
	else
		snprintf(buf, len, "-%" PRIu64, u + 1);
}

static int
cbor_is_number(const cbor_item_t *v)
{
	return cbor_is_int(v) || (cbor_isa_float_ctrl(v) &&
	    !cbor_float_ctrl_is_ctrl(v)) || (cbor_isa_tag(v) &&
	    cbor_tag_value(v) == 4);
}

/* A number: an integer, a finite float, a decimal fraction (tag 4). */
static cJSON *
cbor_number(struct senml *s, size_t rec, const char *what,
    const cbor_item_t *v)
{
	char num[SENML_NUM_MAX * 2 + 2], m[SENML_NUM_MAX], x[SENML_NUM_MAX];
	cbor_item_t *frac, **e;
	cJSON *item = NULL;
	double d;

	if (cbor_is_int(v)) {
		cbor_int_text(v, num, sizeof(num));
		return senml_raw(s, num);
	}
	if (cbor_isa_float_ctrl(v)) {
		d = cbor_float_get_float(v);
		if (!isfinite(d))
			senml_fail(s, "SenML CBOR: record %zu: %s: %s has no "
			    "JSON form", rec, what, isnan(d) ? "NaN" :
			    "infinity");
		else if ((item = cJSON_CreateNumber(d)) == NULL)
			senml_fail(s, "out of memory");
		return item;
	}
	frac = cbor_tag_item(v);
	if (!cbor_isa_array(frac) || cbor_array_size(frac) != 2 ||
	    !cbor_is_int((e = cbor_array_handle(frac))[0]) ||
	    !cbor_is_int(e[1]))
		senml_fail(s, "SenML CBOR: record %zu: %s: tag 4 is not on "
		    "[integer exponent, integer mantissa]", rec, what);
	else {
		cbor_int_text(e[1], m, sizeof(m));
		cbor_int_text(e[0], x, sizeof(x));
		snprintf(num, sizeof(num), "%se%s", m, x);
		item = senml_raw(s, num);
	}
	cbor_decref(&frac);
	return item;
}

/* Definite-length UTF-8 text without NUL, as a JSON string. */
static cJSON *
cbor_text(struct senml *s, size_t rec, const char *what,
    const cbor_item_t *v)
{
	const uint8_t *p = cbor_string_handle(v);
	size_t n = cbor_string_length(v);

	if (!cbor_string_is_definite(v) || (n > 0 && p == NULL) ||
	    !senml_utf8(p, n, 0)) {
		senml_fail(s, "SenML CBOR: record %zu: %s: not UTF-8 text "
		    "without NUL", rec, what);
		return NULL;
	}
	return senml_string(s, p, n);
}

/* The JSON value of one field of type type, or NULL. */
static cJSON *
cbor_value(struct senml *s, size_t rec, const char *what,
    enum senml_type type, const cbor_item_t *v)
{
	char num[SENML_NUM_MAX];
	int is_bool = cbor_isa_float_ctrl(v) && cbor_float_ctrl_is_ctrl(v) &&
	    cbor_is_bool(v);
	cJSON *item;

	switch (type) {
	case SENML_T_ANY:
		if (cbor_isa_string(v))
			return cbor_text(s, rec, what, v);
		if (is_bool)
			goto boolean;
		if (cbor_is_number(v))
			return cbor_number(s, rec, what, v);
		break;
	case SENML_T_TEXT:
		if (cbor_isa_string(v))
			return cbor_text(s, rec, what, v);
		break;
	case SENML_T_NUMBER:
		if (cbor_is_number(v))
			return cbor_number(s, rec, what, v);
		break;
	case SENML_T_BOOL:
		if (is_bool)
			goto boolean;
		break;
	case SENML_T_DATA:
		if (cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v) &&
		    (cbor_bytestring_length(v) == 0 ||
		    cbor_bytestring_handle(v) != NULL))
			return senml_base64url(s, cbor_bytestring_handle(v),
			    cbor_bytestring_length(v));
		break;
	case SENML_T_VERSION:
		if (!cbor_isa_uint(v))
			break;
		if (cbor_get_int(v) > SENML_BVER_MAX) {
			senml_fail(s, "SenML CBOR: record %zu: version %" PRIu64
			    " is newer than %d", rec, cbor_get_int(v),
			    SENML_BVER_MAX);
			return NULL;
		}
		cbor_int_text(v, num, sizeof(num));
		return senml_raw(s, num);
	}
	senml_fail(s, "SenML CBOR: record %zu: %s: not %s", rec, what,
	    senml_types[type]);
	return NULL;
boolean:
	if ((item = cJSON_CreateBool(cbor_get_bool(v))) == NULL)
		senml_fail(s, "out of memory");
	return item;
}

/* The label of an integer key, or NULL. */
static const struct senml_label *
cbor_label_int(const cbor_item_t *key)
{
	uint64_t u = cbor_get_int(key);
	int32_t label;
	size_t i;

	if (u > 100)
		return NULL;
	label = cbor_isa_uint(key) ? (int32_t)u : -1 - (int32_t)u;
	for (i = 0; i < NLABELS; i++)
		if (senml_labels[i].cbor == label)
			return &senml_labels[i];
	return NULL;
}

/* The label of a text key, or NULL. */
static const struct senml_label *
cbor_label_text(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < NLABELS; i++)
		if (strlen(senml_labels[i].name) == n &&
		    memcmp(senml_labels[i].name, p, n) == 0)
			return &senml_labels[i];
	return NULL;
}

/* Adds field number i of record rec, key: val, to out. */
static int
cbor_field(struct senml *s, size_t rec, size_t i, const cbor_item_t *key,
    const cbor_item_t *val, cJSON *out)
{
	const struct senml_label *l = NULL;
	const uint8_t *p;
	char *ext = NULL, num[SENML_NUM_MAX];
	size_t n;
	int rc;

	if (cbor_is_int(key)) {
		if ((l = cbor_label_int(key)) == NULL) {
			cbor_int_text(key, num, sizeof(num));
			return senml_fail(s, "SenML CBOR: record %zu: unknown "
			    "label %s", rec, num);
		}
	} else if (cbor_isa_string(key) && cbor_string_is_definite(key)) {
		p = cbor_string_handle(key);
		n = cbor_string_length(key);
		if (n > 0 && p == NULL)
			return senml_fail(s, "out of memory");
		if ((l = cbor_label_text(p, n)) == NULL) {
			if (!senml_utf8(p, n, 0))
				return senml_fail(s, "SenML CBOR: record %zu: "
				    "field %zu: label not UTF-8 text without "
				    "NUL", rec, i);
			if (n > 0 && p[n - 1] == '_')
				return senml_fail(s, "SenML CBOR: record %zu: "
				    "field %zu: unknown must-understand label",
				    rec, i);
			if ((ext = malloc(n + 1)) == NULL)
				return senml_fail(s, "out of memory");
			if (n > 0)
				memcpy(ext, p, n);
			ext[n] = '\0';
		}
	} else
		return senml_fail(s, "SenML CBOR: record %zu: field %zu: label "
		    "neither an integer nor text", rec, i);
	if (val == NULL)
		rc = senml_fail(s, "SenML CBOR: record %zu: field %zu: no "
		    "value", rec, i);
	else if (cJSON_GetObjectItemCaseSensitive(out, l != NULL ? l->name :
	    ext) != NULL)
		rc = senml_fail(s, "SenML CBOR: record %zu: field %zu: label "
		    "appears twice", rec, i);
	else
		rc = senml_add(s, out, l != NULL ? l->name : ext, cbor_value(s,
		    rec, l != NULL ? l->name : "extension field", l != NULL ?
		    l->type : SENML_T_ANY, val));
	free(ext);
	return rc;
}

/* Adds the fields of record rec, a map, to out. */
static int
cbor_record(struct senml *s, size_t rec, const cbor_item_t *map, cJSON *out)
{
	struct cbor_pair *pairs;
	size_t i, n;

	if (!cbor_isa_map(map))
		return senml_fail(s, "SenML CBOR: record %zu is not a map",
		    rec);
	if ((n = cbor_map_size(map)) > SENML_FIELDS_MAX)
		return senml_fail(s, "SenML CBOR: record %zu has more than %d "
		    "fields", rec, SENML_FIELDS_MAX);
	pairs = cbor_map_handle(map);
	for (i = 0; i < n; i++)
		if (cbor_field(s, rec, i, pairs[i].key, pairs[i].value, out) ==
		    -1)
			return -1;
	return 0;
}

/* What cbor_load found wrong, after the pre-pass let the body through. */
static const char *
cbor_load_error(cbor_error_code code)
{
	switch (code) {
	case CBOR_ERR_MEMERROR:
		return "out of memory";
	case CBOR_ERR_NOTENOUGHDATA:
	case CBOR_ERR_NODATA:
		return "cut short";
	case CBOR_ERR_SYNTAXERROR:
		return "malformed (bad UTF-8, or a map or string cut by a "
		    "break)";
	default:
		return "malformed";
	}
}

/* SenML CBOR to SenML JSON. */
static char *
senml_from_cbor(struct senml *s, const uint8_t *body, size_t len)
{
	struct cbor_load_result res;
	cbor_item_t *pack, **recs;
	cJSON *out = NULL, *rec;
	size_t i, n = 0;

	if (len == 0) {
		senml_fail(s, "SenML CBOR: empty body");
		return NULL;
	}
	if (cbor_prescan(s, body, len) == -1)
		return NULL;
	memset(&res, 0, sizeof(res));
	if ((pack = cbor_load(body, len, &res)) == NULL ||
	    res.error.code != CBOR_ERR_NONE) {
		senml_fail(s, "SenML CBOR: %s at byte %zu",
		    cbor_load_error(res.error.code), res.error.position);
		if (pack != NULL)
			cbor_decref(&pack);
		return NULL;
	}
	if (!cbor_isa_array(pack))
		senml_fail(s, "SenML CBOR: not an array");
	else if ((n = cbor_array_size(pack)) > SENML_RECORDS_MAX)
		senml_fail(s, "SenML CBOR: more than %d records",
		    SENML_RECORDS_MAX);
	else if ((out = cJSON_CreateArray()) == NULL)
		senml_fail(s, "out of memory");
	else {
		recs = cbor_array_handle(pack);
		for (i = 0; i < n; i++)
			if (senml_add(s, out, NULL,
			    rec = cJSON_CreateObject()) == -1 ||
			    cbor_record(s, i, recs[i], rec) == -1)
				break;
		if (i < n) {
			senml_fail(s, "out of memory");
			cJSON_Delete(out);
			out = NULL;
		}
	}
	cbor_decref(&pack);
	return out != NULL ? senml_print(s, out) : NULL;
}

/* ---- SenML JSON ---- */

/* A copy of body once it has parsed as one JSON value. */
static char *
senml_copy_json(struct senml *s, const uint8_t *body, size_t len)
{
	const char *end = NULL;
	cJSON *doc;
	char *copy;

	if (memchr(body, '\0', len) != NULL) {
		senml_fail(s, "SenML JSON: NUL byte in the body");
		return NULL;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		senml_fail(s, "out of memory");
		return NULL;
	}
	if (len > 0)
		memcpy(copy, body, len);
	copy[len] = '\0';
	if ((doc = cJSON_ParseWithOpts(copy, &end, 1)) == NULL) {
		senml_fail(s, "SenML JSON: not JSON (at byte %zu)",
		    end != NULL && end >= copy && end <= copy + len ?
		    (size_t)(end - copy) : (size_t)0);
		free(copy);
		return NULL;
	}
	cJSON_Delete(doc);
	return copy;
}

char *
senml_to_json(int cf, const uint8_t *body, size_t len, const char *path,
    size_t *outlen, char *err, size_t errlen)
{
	struct senml s = { err, errlen };
	char *out = NULL;

	if (outlen != NULL)
		*outlen = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	else
		s.errlen = 0;
	if (cf != SENML_CF_JSON && cf != SENML_CF_CBOR && cf != SENML_CF_TLV) {
		senml_fail(&s, "no conversion from Content-Format %d", cf);
		return NULL;
	}
	if (body == NULL && len > 0) {
		senml_fail(&s, "no body but a length of %zu", len);
		return NULL;
	}
	if (body == NULL)
		body = (const uint8_t *)"";
	if (len > SENML_IN_MAX) {
		senml_fail(&s, "body of %zu bytes is over the %d-byte limit",
		    len, SENML_IN_MAX);
		return NULL;
	}
	if (cf == SENML_CF_JSON)
		out = senml_copy_json(&s, body, len);
	else if (cf == SENML_CF_CBOR)
		out = senml_from_cbor(&s, body, len);
	else
		out = senml_from_tlv(&s, body, len, path);
	if (out != NULL && outlen != NULL)
		*outlen = strlen(out);
	return out;
}
