/*
 * bsmsg.c: the Bootstrap-Write bodies and the Bootstrap-Discover answer
 * (see bsmsg.h). TLV is written here (it is a handful of header bytes;
 * lwm2m/senml_tlv.c reads it, and the unit tests read what this writes
 * through it); SenML CBOR is built with libcbor, link-format read with
 * lwm2m_parse_links.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "lwm2m/bsmsg.h"
#include "lwm2m/lwm2m.h"
#include "lwm2m/senml.h"

#define TLV_INSTANCE	0x00
#define TLV_RESOURCE	0xc0
#define TLV_VALUE_MAX	0xffffff	/* 24-bit length */

/* The TLV header of a kind, id and value length into out (at most 6
 * bytes); its length. */
static size_t
tlv_header(uint8_t kind, uint16_t id, size_t len, uint8_t out[6])
{
	size_t n = 1;

	out[0] = kind;
	if (id > 0xff) {
		out[0] |= 0x20;
		out[n++] = (uint8_t)(id >> 8);
	}
	out[n++] = (uint8_t)id;
	if (len < 8) {
		out[0] |= (uint8_t)len;
	} else if (len <= 0xff) {
		out[0] |= 0x08;
		out[n++] = (uint8_t)len;
	} else if (len <= 0xffff) {
		out[0] |= 0x10;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[0] |= 0x18;
		out[n++] = (uint8_t)(len >> 16);
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	}
	return n;
}

/* A growing buffer; on failure buf is NULL and stays so. Wiped when it
 * grows: it may hold a key. */
struct tlvbuf {
	uint8_t	*buf;
	size_t	 len, cap;
	int	 failed;
};

static void
tlv_put(struct tlvbuf *b, const void *p, size_t n)
{
	uint8_t *nb;
	size_t cap;

	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		cap = (b->len + n) * 2 + 64;
		if ((nb = malloc(cap)) == NULL) {
			b->failed = 1;
			return;
		}
		if (b->len > 0)
			memcpy(nb, b->buf, b->len);
		if (b->buf != NULL)
			explicit_bzero(b->buf, b->cap);
		free(b->buf);
		b->buf = nb;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void
tlv_res(struct tlvbuf *b, uint16_t id, const void *v, size_t n)
{
	uint8_t h[6];

	if (n > TLV_VALUE_MAX) {
		b->failed = 1;
		return;
	}
	tlv_put(b, h, tlv_header(TLV_RESOURCE, id, n, h));
	tlv_put(b, v, n);
}

/* An integer in the fewest of 1, 2, 4 or 8 bytes, big-endian two's
 * complement. */
static void
tlv_int(struct tlvbuf *b, uint16_t id, int64_t v)
{
	uint8_t out[8];
	size_t n, i;

	if (v >= INT8_MIN && v <= INT8_MAX)
		n = 1;
	else if (v >= INT16_MIN && v <= INT16_MAX)
		n = 2;
	else if (v >= INT32_MIN && v <= INT32_MAX)
		n = 4;
	else
		n = 8;
	for (i = 0; i < n; i++)
		out[n - 1 - i] = (uint8_t)((uint64_t)v >> (8 * i));
	tlv_res(b, id, out, n);
}

static void
tlv_bool(struct tlvbuf *b, uint16_t id, int v)
{
	uint8_t one = v ? 1 : 0;

	tlv_res(b, id, &one, 1);
}

/* Wraps the resources in b in one object instance TLV of id inst. */
static uint8_t *
tlv_wrap(struct tlvbuf *b, uint16_t inst, size_t *len)
{
	struct tlvbuf out = { NULL, 0, 0, 0 };
	uint8_t h[6];

	if (!b->failed && b->len <= TLV_VALUE_MAX) {
		tlv_put(&out, h, tlv_header(TLV_INSTANCE, inst, b->len, h));
		tlv_put(&out, b->buf, b->len);
	} else {
		out.failed = 1;
	}
	if (b->buf != NULL)
		explicit_bzero(b->buf, b->cap);
	free(b->buf);
	if (out.failed) {
		if (out.buf != NULL)
			explicit_bzero(out.buf, out.cap);
		free(out.buf);
		return NULL;
	}
	*len = out.len;
	return out.buf;
}

/* SenML CBOR: one record {n: name, label: value}, with bn on the first. */
struct senml_pack {
	cbor_item_t	*pack;
	char		 bn[16];
	int		 failed;
};

static void
cbor_rec(struct senml_pack *sp, uint16_t rid, int label, cbor_item_t *val)
{
	cbor_item_t *rec;
	char name[8];
	int ok;

	if (val == NULL || sp->failed ||
	    (rec = cbor_new_definite_map(sp->bn[0] != '\0' ? 3 : 2)) == NULL) {
		sp->failed = 1;
		if (val != NULL)
			cbor_decref(&val);
		return;
	}
	snprintf(name, sizeof(name), "%u", rid);
	ok = 1;
	if (sp->bn[0] != '\0') {
		ok = cbor_map_add(rec, (struct cbor_pair){
		    .key = cbor_move(cbor_build_negint8(1)),	/* bn: -2 */
		    .value = cbor_move(cbor_build_string(sp->bn)) });
		sp->bn[0] = '\0';
	}
	ok = ok && cbor_map_add(rec, (struct cbor_pair){
	    .key = cbor_move(cbor_build_uint8(0)),
	    .value = cbor_move(cbor_build_string(name)) });
	ok = ok && cbor_map_add(rec, (struct cbor_pair){
	    .key = cbor_move(label < 0 ? cbor_build_negint8((uint8_t)(-1 -
	    label)) : cbor_build_uint8((uint8_t)label)),
	    .value = cbor_move(val) });
	if (!ok || !cbor_array_push(sp->pack, rec))
		sp->failed = 1;
	cbor_decref(&rec);
}

static void
cbor_int(struct senml_pack *sp, uint16_t rid, int64_t v)
{
	cbor_rec(sp, rid, 2, v >= 0 ? cbor_build_uint64((uint64_t)v) :
	    cbor_build_negint64((uint64_t)(-1 - v)));
}

static void
cbor_bytes(struct senml_pack *sp, uint16_t rid, const uint8_t *p, size_t n)
{
	cbor_rec(sp, rid, 8, cbor_build_bytestring(p != NULL ? p :
	    (const uint8_t *)"", n));
}

/* Wipes every byte string of the pack (a key may be among them). */
static void
cbor_wipe(cbor_item_t *pack)
{
	size_t i, j;
	cbor_item_t **recs = cbor_array_handle(pack);
	struct cbor_pair *f;

	for (i = 0; i < cbor_array_size(pack); i++) {
		f = cbor_map_handle(recs[i]);
		for (j = 0; j < cbor_map_size(recs[i]); j++)
			if (cbor_isa_bytestring(f[j].value) &&
			    cbor_bytestring_is_definite(f[j].value))
				explicit_bzero(cbor_bytestring_handle(
				    f[j].value), cbor_bytestring_length(
				    f[j].value));
	}
}

static uint8_t *
cbor_finish(struct senml_pack *sp, size_t *len)
{
	unsigned char *out = NULL;
	size_t size = 0, n = 0;

	if (!sp->failed)
		n = cbor_serialize_alloc(sp->pack, &out, &size);
	cbor_wipe(sp->pack);
	cbor_decref(&sp->pack);
	if (n == 0) {
		free(out);
		return NULL;
	}
	*len = n;
	return out;
}

static int
cbor_start(struct senml_pack *sp, int obj, uint16_t inst)
{
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->bn, sizeof(sp->bn), "/%d/%u/", obj, inst);
	return (sp->pack = cbor_new_indefinite_array()) != NULL ? 0 : -1;
}

uint8_t *
bsmsg_security(const struct bsmsg_security *sec, uint16_t inst, int cf,
    size_t *len)
{
	struct tlvbuf b = { NULL, 0, 0, 0 };
	struct senml_pack sp;

	if (cf == SENML_CF_TLV) {
		tlv_res(&b, 0, sec->uri, strlen(sec->uri));
		tlv_bool(&b, 1, sec->bootstrap);
		tlv_int(&b, 2, sec->mode);
		tlv_res(&b, 3, sec->identity, sec->identity_len);
		tlv_res(&b, 4, sec->server_key, sec->server_key_len);
		tlv_res(&b, 5, sec->secret, sec->secret_len);
		tlv_int(&b, 10, sec->ssid);
		return tlv_wrap(&b, inst, len);
	}
	if (cf != SENML_CF_CBOR || cbor_start(&sp, 0, inst) == -1)
		return NULL;
	cbor_rec(&sp, 0, 3, cbor_build_stringn(sec->uri, strlen(sec->uri)));
	cbor_rec(&sp, 1, 4, cbor_build_bool(sec->bootstrap != 0));
	cbor_int(&sp, 2, sec->mode);
	cbor_bytes(&sp, 3, sec->identity, sec->identity_len);
	cbor_bytes(&sp, 4, sec->server_key, sec->server_key_len);
	cbor_bytes(&sp, 5, sec->secret, sec->secret_len);
	cbor_int(&sp, 10, sec->ssid);
	return cbor_finish(&sp, len);
}

uint8_t *
bsmsg_server(const struct bsmsg_server *srv, uint16_t inst, int cf,
    size_t *len)
{
	struct tlvbuf b = { NULL, 0, 0, 0 };
	struct senml_pack sp;

	if (cf == SENML_CF_TLV) {
		tlv_int(&b, 0, srv->ssid);
		tlv_int(&b, 1, srv->lifetime);
		tlv_bool(&b, 6, srv->storing);
		tlv_res(&b, 7, srv->binding, strlen(srv->binding));
		return tlv_wrap(&b, inst, len);
	}
	if (cf != SENML_CF_CBOR || cbor_start(&sp, 1, inst) == -1)
		return NULL;
	cbor_int(&sp, 0, srv->ssid);
	cbor_int(&sp, 1, srv->lifetime);
	cbor_rec(&sp, 6, 4, cbor_build_bool(srv->storing != 0));
	cbor_rec(&sp, 7, 3, cbor_build_stringn(srv->binding,
	    strlen(srv->binding)));
	return cbor_finish(&sp, len);
}

/* Parses "/0/12" into obj and inst; -1 when uri is no object instance. */
static int
discover_instance(const char *uri, size_t len, unsigned *obj, unsigned *inst)
{
	const char *slash;
	unsigned v[2] = { 0, 0 };
	size_t i, k = 0;

	if (!lwm2m_is_object_path(uri, len) ||
	    (slash = memchr(uri + 1, '/', len - 1)) == NULL)
		return -1;
	for (i = 1; i < len; i++) {
		if (uri[i] == '/') {
			k = 1;
			continue;
		}
		v[k] = v[k] * 10 + (unsigned)(uri[i] - '0');
	}
	*obj = v[0];
	*inst = v[1];
	return 0;
}

/* A decimal 1..65535 attribute value. */
static int
discover_ssid(const struct lwm2m_attr *a)
{
	unsigned long v = 0;
	size_t i;

	if (a->value == NULL || a->value_len == 0 || a->value_len > 5)
		return -1;
	for (i = 0; i < a->value_len; i++) {
		if (a->value[i] < '0' || a->value[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(a->value[i] - '0');
	}
	return v >= 1 && v <= 65535 ? 0 : -1;
}

/* A version: digits '.' digits, shorter than the field. */
static int
discover_version(const struct lwm2m_attr *a, char *out, size_t outlen)
{
	size_t i, dots = 0;

	if (a->value == NULL || a->value_len == 0 || a->value_len >= outlen)
		return -1;
	for (i = 0; i < a->value_len; i++) {
		if (a->value[i] == '.') {
			if (i == 0 || i + 1 == a->value_len || dots++ > 0)
				return -1;
		} else if (a->value[i] < '0' || a->value[i] > '9') {
			return -1;
		}
	}
	if (dots != 1)
		return -1;
	memcpy(out, a->value, a->value_len);
	out[a->value_len] = '\0';
	return 0;
}

struct discover_walk {
	struct bsmsg_discover	*d;
	char			*err;
	size_t			 errlen;
};

static int
discover_link(const struct lwm2m_link *l, void *arg)
{
	struct discover_walk *w = arg;
	unsigned obj, inst;
	size_t i;
	int has_ssid = 0;

	for (i = 0; i < l->nattrs; i++) {
		const struct lwm2m_attr *a = &l->attrs[i];

		if (a->name_len == 4 && memcmp(a->name, "ssid", 4) == 0) {
			if (discover_ssid(a) == -1) {
				snprintf(w->err, w->errlen, "link %.*s: ssid "
				    "must be 1..65535", (int)(l->uri_len > 32 ?
				    32 : l->uri_len), l->uri);
				return -1;
			}
			has_ssid = 1;
		} else if (a->name_len == 5 &&
		    memcmp(a->name, "lwm2m", 5) == 0 && l->uri_len == 1 &&
		    discover_version(a, w->d->version,
		    sizeof(w->d->version)) == -1) {
			snprintf(w->err, w->errlen, "lwm2m: not a version");
			return -1;
		}
	}
	if (discover_instance(l->uri, l->uri_len, &obj, &inst) == -1)
		return 0;
	if (obj == 0) {
		if (!has_ssid && w->d->bs_instance < 0)
			w->d->bs_instance = (int)inst;
		w->d->nsecurity++;
	} else if (obj == 1) {
		w->d->nserver++;
	}
	return 0;
}

int
bsmsg_parse_discover(const char *body, size_t len, struct bsmsg_discover *d,
    char *err, size_t errlen)
{
	struct discover_walk w = { d, err, errlen };
	int rc;

	memset(d, 0, sizeof(*d));
	d->bs_instance = -1;
	if (errlen > 0)
		err[0] = '\0';
	rc = lwm2m_parse_links(body, len, discover_link, &w, err, errlen);
	if (rc != 0) {
		memset(d, 0, sizeof(*d));
		d->bs_instance = -1;
		return -1;
	}
	return 0;
}

uint16_t
bsmsg_security_instance(const struct bsmsg_discover *d)
{
	return d->bs_instance == 0 ? 1 : 0;
}
