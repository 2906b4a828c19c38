/*
 * test_node_bootstrap.c: the account a bootstrap server writes (node/acct.h):
 * Bootstrap-Write bodies in TLV and SenML CBOR, good and hostile (every
 * buffer a heap copy of exactly its length, so that ASan flags a read past
 * it; a refused write leaves the account as it was), Bootstrap-Delete,
 * Finish's check, Discover's links, and the state file (written, read
 * back, and refused with a reason when truncated or corrupt).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cbor.h>

#include "node/acct.h"

#define URI	"coaps://127.0.0.1:5684"

/* A write of a heap copy of exactly len bytes. */
static enum node_result
write_exact(struct acct *a, int cf, int oid, int iid, int rid,
    const void *body, size_t len, int bootstrap, char *err, size_t errlen)
{
	uint8_t *copy = malloc(len == 0 ? 1 : len);
	enum node_result res;

	assert_non_null(copy);
	memcpy(copy, body, len);
	res = acct_write(a, cf, (uint16_t)oid, iid, rid, copy, len, bootstrap,
	    err, errlen);
	free(copy);
	return res;
}

/* Appends one TLV (kind, id, value) to buf at *len. */
static void
tlv(uint8_t *buf, size_t *len, int kind, unsigned id, const void *val,
    size_t vlen)
{
	uint8_t t = (uint8_t)(kind << 6);
	size_t at = *len + 1;

	if (id > 255) {
		t |= 0x20;
		buf[at++] = (uint8_t)(id >> 8);
	}
	buf[at++] = (uint8_t)id;
	if (vlen < 8)
		t |= (uint8_t)vlen;
	else if (vlen < 256) {
		t |= 0x08;
		buf[at++] = (uint8_t)vlen;
	} else {
		t |= 0x10;
		buf[at++] = (uint8_t)(vlen >> 8);
		buf[at++] = (uint8_t)vlen;
	}
	buf[*len] = t;
	memcpy(buf + at, val, vlen);
	*len = at + vlen;
}

static void
tlv_str(uint8_t *buf, size_t *len, unsigned rid, const char *s)
{
	tlv(buf, len, 3, rid, s, strlen(s));
}

static void
tlv_byte(uint8_t *buf, size_t *len, unsigned rid, uint8_t v)
{
	tlv(buf, len, 3, rid, &v, 1);
}

static void
tlv_u16(uint8_t *buf, size_t *len, unsigned rid, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	tlv(buf, len, 3, rid, b, 2);
}

static const uint8_t key32[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* The resources of a DM security instance (PSK, ssid 101). */
static size_t
sec_body(uint8_t *buf, const char *uri)
{
	size_t len = 0;

	tlv_str(buf, &len, 0, uri);
	tlv_byte(buf, &len, 1, 0);
	tlv_byte(buf, &len, 2, 0);
	tlv_str(buf, &len, 3, "node-1");
	tlv(buf, &len, 3, 4, "", 0);
	tlv(buf, &len, 3, 5, key32, sizeof(key32));
	tlv_byte(buf, &len, 10, 101);
	return len;
}

static size_t
srv_body(uint8_t *buf)
{
	size_t len = 0;

	tlv_byte(buf, &len, 0, 101);
	tlv_u16(buf, &len, 1, 600);
	tlv_byte(buf, &len, 6, 0);
	tlv_str(buf, &len, 7, "U");
	tlv_str(buf, &len, 99, "a resource this client does not keep");
	return len;
}

/* An account with a bootstrap instance /0/0 and, when dm, the DM account
 * /0/1, /1/0 written as TLV. */
static void
account(struct acct *a, int dm)
{
	struct acct_val v = { OBJ_STRING, 0, (const uint8_t *)
	    "coap://127.0.0.1:5693", 21 };
	uint8_t buf[512];
	char err[200];
	size_t len;

	memset(a, 0, sizeof(*a));
	assert_int_equal(acct_set(a, OBJ_SECURITY, 0, 0, &v, 1, err,
	    sizeof(err)), NODE_OK);
	v.type = OBJ_BOOL;
	v.i = 1;
	assert_int_equal(acct_set(a, OBJ_SECURITY, 0, 1, &v, 1, err,
	    sizeof(err)), NODE_OK);
	if (!dm)
		return;
	len = sec_body(buf, URI);
	assert_int_equal(write_exact(a, ACCT_CF_TLV, 0, 1, -1, buf, len, 1,
	    err, sizeof(err)), NODE_OK);
	len = srv_body(buf);
	assert_int_equal(write_exact(a, ACCT_CF_TLV, 1, 0, -1, buf, len, 1,
	    err, sizeof(err)), NODE_OK);
}

/* A write of /0/1 that must be refused with want, changing nothing. */
static void
refused(struct acct *a, int cf, int oid, int iid, int rid, const void *body,
    size_t len, enum node_result want)
{
	struct acct before = *a;
	char err[300] = "";

	assert_int_equal(write_exact(a, cf, oid, iid, rid, body, len, 1, err,
	    sizeof(err)), want);
	assert_true(err[0] != '\0');
	assert_memory_equal(a, &before, sizeof(before));
}

static void
test_tlv_write(void **state)
{
	struct acct a;
	struct acct_sec *s;
	struct acct_srv *v;
	struct acct_dm dm;
	uint8_t inner[512], outer[600];
	size_t ilen, olen = 0;
	char err[200];

	(void)state;
	account(&a, 1);
	s = acct_sec_find(&a, 1);
	assert_non_null(s);
	assert_string_equal(s->uri, URI);
	assert_int_equal(s->bootstrap, 0);
	assert_int_equal(s->mode, ACCT_MODE_PSK);
	assert_int_equal(s->id_len, 6);
	assert_memory_equal(s->identity, "node-1", 6);
	assert_int_equal(s->key_len, 32);
	assert_memory_equal(s->key, key32, 32);
	assert_int_equal(s->ssid, 101);
	v = acct_srv_find(&a, 0);
	assert_non_null(v);
	assert_int_equal(v->lifetime, 600);
	assert_string_equal(v->binding, "U");
	assert_int_equal(v->bs_on_failure, 1);
	assert_int_equal(acct_check(&a, &dm, err, sizeof(err)), 0);
	assert_ptr_equal(dm.sec, s);
	assert_ptr_equal(dm.srv, v);
	assert_int_equal(dm.secure, 1);

	/* One object-instance TLV wrapping them (16-bit id, 16-bit length)
	 * is the same write; so is /0 with instance TLVs. */
	account(&a, 0);
	ilen = sec_body(inner, URI);
	tlv(outer, &olen, 0, 300, inner, ilen);
	assert_int_equal(write_exact(&a, ACCT_CF_TLV, 0, 300, -1, outer, olen,
	    1, err, sizeof(err)), NODE_OK);
	assert_int_equal(acct_sec_find(&a, 300)->ssid, 101);
	account(&a, 0);
	assert_int_equal(write_exact(&a, ACCT_CF_TLV, 0, -1, -1, outer, olen,
	    1, err, sizeof(err)), NODE_OK);
	assert_int_equal(acct_sec_find(&a, 300)->key_len, 32);

	/* One resource, and integers of every width, negative too. */
	olen = 0;
	tlv(outer, &olen, 3, 1, "\x00\x00\x00\x00\x00\x00\x0e\x10", 8);
	assert_int_equal(write_exact(&a, ACCT_CF_TLV, 1, 0, 1, outer, olen, 1,
	    err, sizeof(err)), NODE_OK);
	assert_int_equal(acct_srv_find(&a, 0)->lifetime, 3600);
	olen = 0;
	tlv(outer, &olen, 3, 1, "\xff\xff\xff\xff", 4);
	refused(&a, ACCT_CF_TLV, 1, 0, 1, outer, olen, NODE_BAD_REQUEST);
	assert_int_equal(acct_srv_find(&a, 0)->lifetime, 3600);
}

static void
test_tlv_hostile(void **state)
{
	struct acct a;
	uint8_t buf[600], good[512];
	size_t len, glen, cut;
	char err[200], big[200];

	(void)state;
	account(&a, 1);
	/* Headers and lengths that do not fit. */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, "", 0, NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_TLV, 0, 1, -1, "\xc8", 1, NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_TLV, 0, 1, -1, "\xe8\x00", 2, NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_TLV, 0, 1, -1, "\xc8\x00\x05" "ab", 5,
	    NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_TLV, 0, 1, -1, "\xd8\x00\xff\xff\xff", 5,
	    NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_TLV, 0, 1, -1, "\xc7\x00" "abc", 5,
	    NODE_BAD_REQUEST);
	/* Every prefix of a good body: refused whole, or taken; never read
	 * past its end. */
	glen = sec_body(good, "coaps://10.0.0.9:5684");
	for (cut = 1; cut < glen; cut++) {
		struct acct copy = a;

		if (write_exact(&copy, ACCT_CF_TLV, 0, 1, -1, good, cut, 1, err,
		    sizeof(err)) != NODE_OK)
			assert_memory_equal(&copy, &a, sizeof(a));
	}
	/* Values that are not of the resource's type or range. */
	len = 0;
	tlv(buf, &len, 3, 10, "\x00\x01\x02", 3);	/* 3-byte integer */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv_byte(buf, &len, 1, 2);			/* boolean 2 */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv(buf, &len, 3, 0, "coap://a\0b", 10);	/* NUL in a string */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv_str(buf, &len, 0, "coaps://host with space");
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	memset(big, 'i', sizeof(big));
	len = 0;
	tlv(buf, &len, 3, 3, big, 129);			/* identity > 128 */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv(buf, &len, 3, 5, big, 65);			/* key > 64 */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv_u16(buf, &len, 10, 65535);			/* ssid */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv_byte(buf, &len, 2, 9);			/* mode 9 */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv_str(buf, &len, 7, "T");			/* TCP binding */
	refused(&a, ACCT_CF_TLV, 1, 0, -1, buf, len, NODE_BAD_REQUEST);
	/* Kinds where they do not belong. */
	len = 0;
	tlv(buf, &len, 2, 0, "\x48\x00\x01x", 4);	/* multiple resource */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv(buf, &len, 1, 0, "x", 1);			/* resource instance */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	glen = sec_body(good, URI);
	len = 0;
	tlv(buf, &len, 0, 7, good, glen);		/* another instance */
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv(buf, &len, 0, 65535, good, glen);		/* no instance id */
	refused(&a, ACCT_CF_TLV, 0, -1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv_byte(buf, &len, 10, 5);			/* resource at /0 */
	refused(&a, ACCT_CF_TLV, 0, -1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv_byte(buf, &len, 10, 5);			/* /0/1/2 != 10 */
	refused(&a, ACCT_CF_TLV, 0, 1, 2, buf, len, NODE_BAD_REQUEST);
	/* Two bootstrap accounts; too many instances; other objects and
	 * formats; a body too large. */
	len = 0;
	tlv_byte(buf, &len, 1, 1);
	refused(&a, ACCT_CF_TLV, 0, 1, -1, buf, len, NODE_BAD_REQUEST);
	len = 0;
	tlv_byte(buf, &len, 10, 7);
	assert_int_equal(write_exact(&a, ACCT_CF_TLV, 0, 2, -1, buf, len, 1,
	    err, sizeof(err)), NODE_OK);
	refused(&a, ACCT_CF_TLV, 0, 3, -1, buf, len, NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_TLV, 3, 0, -1, buf, len, NODE_NOT_FOUND);
	refused(&a, 50, 0, 1, -1, "{}", 2, NODE_BAD_FORMAT);
	refused(&a, -1, 0, 1, -1, buf, len, NODE_BAD_FORMAT);
	{
		uint8_t *huge = calloc(1, ACCT_WRITE_MAX + 1);

		assert_non_null(huge);
		refused(&a, ACCT_CF_TLV, 0, 1, -1, huge, ACCT_WRITE_MAX + 1,
		    NODE_TOO_LARGE);
		free(huge);
	}
}

/* The SenML CBOR records of a write, built with libcbor. */
static cbor_item_t *
rec(const char *bn, const char *n, int label, cbor_item_t *value)
{
	cbor_item_t *m = cbor_new_definite_map(4);

	if (bn != NULL)
		assert_true(cbor_map_add(m, (struct cbor_pair){
		    cbor_move(cbor_build_negint8(1)),
		    cbor_move(cbor_build_string(bn)) }));
	if (n != NULL)
		assert_true(cbor_map_add(m, (struct cbor_pair){
		    cbor_move(cbor_build_uint8(0)),
		    cbor_move(cbor_build_string(n)) }));
	if (value != NULL)
		assert_true(cbor_map_add(m, (struct cbor_pair){
		    cbor_move(label < 0 ? cbor_build_negint8((uint8_t)(-1 -
		    label)) : cbor_build_uint8((uint8_t)label)),
		    cbor_move(value) }));
	return m;
}

/* Serializes recs (taken over) and writes them to path. */
static enum node_result
cbor_write(struct acct *a, int oid, int iid, int rid, cbor_item_t **recs,
    size_t n, int bootstrap, char *err, size_t errlen)
{
	cbor_item_t *arr = cbor_new_definite_array(n);
	unsigned char *buf = NULL;
	size_t size = 0, len, i;
	enum node_result res;

	for (i = 0; i < n; i++)
		assert_true(cbor_array_push(arr, cbor_move(recs[i])));
	len = cbor_serialize_alloc(arr, &buf, &size);
	assert_true(len > 0);
	res = write_exact(a, ACCT_CF_SENML_CBOR, oid, iid, rid, buf, len,
	    bootstrap, err, errlen);
	free(buf);
	cbor_decref(&arr);
	return res;
}

static void
test_senml_cbor_write(void **state)
{
	struct acct a, before;
	struct acct_dm dm;
	cbor_item_t *r[8];
	char err[200];

	(void)state;
	account(&a, 0);
	r[0] = rec("/0/1/", "0", 3, cbor_build_string("coap://[::1]:5683"));
	r[1] = rec(NULL, "1", 4, cbor_build_bool(false));
	r[2] = rec(NULL, "2", 2, cbor_build_uint8(3));
	r[3] = rec(NULL, "10", 2, cbor_build_float8(7.0));
	r[4] = rec("/1/0/", "0", 2, cbor_build_uint8(7));
	r[5] = rec(NULL, "1", 2, cbor_build_uint32(86400));
	r[6] = rec(NULL, "7", 3, cbor_build_string("UQ"));
	assert_int_equal(cbor_write(&a, 0, -1, -1, r, 4, 1, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(cbor_write(&a, 1, 0, -1, r + 4, 3, 1, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(acct_check(&a, &dm, err, sizeof(err)), 0);
	assert_int_equal(dm.sec->mode, ACCT_MODE_NOSEC);
	assert_int_equal(dm.sec->ssid, 7);
	assert_int_equal(dm.srv->lifetime, 86400);
	assert_string_equal(dm.srv->binding, "UQ");
	assert_int_equal(dm.secure, 0);

	/* Hostile: each refused, nothing changed. */
	before = a;
#define BAD(oid, iid, rid, ...) do {					\
	cbor_item_t *x[] = { __VA_ARGS__ };				\
	assert_int_equal(cbor_write(&a, oid, iid, rid, x,		\
	    sizeof(x) / sizeof(x[0]), 1, err, sizeof(err)),		\
	    NODE_BAD_REQUEST);						\
	assert_memory_equal(&a, &before, sizeof(a));			\
} while (0)
	BAD(0, 1, -1, rec("/0/1/", "10", 3, cbor_build_string("7")));
	BAD(0, 1, -1, rec("/0/1/", "10", 2, cbor_build_float8(7.5)));
	BAD(0, 1, -1, rec("/0/1/", "10", 2, cbor_build_float8(1e300)));
	BAD(0, 1, -1, rec("/0/1/", "10", 2, cbor_build_uint64(UINT64_MAX)));
	BAD(0, 1, -1, rec("/0/1/", "3", 3, cbor_build_string("not vd")));
	BAD(0, 1, -1, rec("/0/1/", "1", 2, cbor_build_uint8(1)));
	BAD(0, 1, -1, rec("/0/1/", "10", 2, NULL));	/* no value */
	BAD(0, 1, -1, rec("/0/2/", "10", 2, cbor_build_uint8(1)));
	BAD(1, 0, -1, rec("/0/0/", "10", 2, cbor_build_uint8(1)));
	BAD(0, 1, -1, rec("/0/1", NULL, 2, cbor_build_uint8(1)));
	BAD(0, 1, -1, rec("/0/1/10/0", NULL, 2, cbor_build_uint8(1)));
	BAD(0, 1, -1, rec("/0/1/x", NULL, 2, cbor_build_uint8(1)));
	BAD(0, 1, -1, rec("/0/1/", "10", 2, cbor_build_uint8(1)),
	    rec(NULL, "0", 3, cbor_build_string("coap://bad host")));
	BAD(0, -1, -1, rec("/0/65535/", "10", 2, cbor_build_uint8(1)));
	BAD(0, 1, -1, rec("/0/1/0000000000000000000000000000000000000000000"
	    "00000000000000000000000", NULL, 2, cbor_build_uint8(1)));
	{
		cbor_item_t *m = rec("/0/1/", "10", 2, cbor_build_uint8(1));

		assert_true(cbor_map_add(m, (struct cbor_pair){
		    cbor_move(cbor_build_uint8(3)),
		    cbor_move(cbor_build_string("two values")) }));
		BAD(0, 1, -1, m);
	}
	BAD(0, 1, -1, cbor_build_uint8(1));		/* not a map */
#undef BAD
	/* Not an array, empty, truncated, trailing bytes, not CBOR. */
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1, "\xa0", 1, NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1, "\x80", 1, NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1, "\x81\xa1\x00", 3,
	    NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1, "\x80\x00", 2,
	    NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1, "", 0, NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1, "\x9f\x9f\x9f\x9f", 4,
	    NODE_BAD_REQUEST);
	/* Sizes that would make cbor_load allocate gigabytes; nesting;
	 * tags; indefinite strings. */
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1, "\x9a\xff\xff\xff\xff\x00",
	    6, NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1,
	    "\x81\xbb\x00\x00\x00\x10\x00\x00\x00\x00\x00", 11,
	    NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1, "\x81\x81\x81\x81\x81\x00",
	    6, NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1, "\x81\xc4\x00", 3,
	    NODE_BAD_REQUEST);
	refused(&a, ACCT_CF_SENML_CBOR, 0, 1, -1, "\x81\xa1\x03\x7f\x61" "a"
	    "\xff", 7, NODE_BAD_REQUEST);
}

/* A DM server writes /1 as text/plain, and only what it may. */
static void
test_dm_write(void **state)
{
	struct acct a, before;
	char err[200];

	(void)state;
	account(&a, 1);
	assert_int_equal(write_exact(&a, ACCT_CF_TEXT, 1, 0, 1, "900", 3, 0,
	    err, sizeof(err)), NODE_OK);
	assert_int_equal(acct_srv_find(&a, 0)->lifetime, 900);
	before = a;
	assert_int_equal(write_exact(&a, ACCT_CF_TEXT, 1, 0, 0, "5", 1, 0,
	    err, sizeof(err)), NODE_NOT_ALLOWED);
	assert_int_equal(write_exact(&a, ACCT_CF_TEXT, 1, 0, 9, "1", 1, 0,
	    err, sizeof(err)), NODE_NOT_ALLOWED);
	assert_int_equal(write_exact(&a, ACCT_CF_TEXT, 1, 0, 1, "9x", 2, 0,
	    err, sizeof(err)), NODE_BAD_REQUEST);
	assert_int_equal(write_exact(&a, ACCT_CF_TEXT, 1, 0, 1, "", 0, 0,
	    err, sizeof(err)), NODE_BAD_REQUEST);
	assert_int_equal(write_exact(&a, ACCT_CF_TEXT, 1, 0, 1, "0", 1, 0,
	    err, sizeof(err)), NODE_BAD_REQUEST);
	assert_int_equal(write_exact(&a, ACCT_CF_TEXT, 1, 0, 42, "1", 1, 0,
	    err, sizeof(err)), NODE_NOT_FOUND);
	assert_int_equal(write_exact(&a, ACCT_CF_TEXT, 1, 0, -1, "1", 1, 0,
	    err, sizeof(err)), NODE_BAD_FORMAT);
	assert_int_equal(write_exact(&a, ACCT_CF_TEXT, 0, 1, 5, "x", 1, 1,
	    err, sizeof(err)), NODE_BAD_FORMAT);	/* opaque */
	assert_memory_equal(&a, &before, sizeof(a));
}

static void
test_delete_and_links(void **state)
{
	struct acct a;
	char buf[256] = "", err[200];

	(void)state;
	account(&a, 1);
	assert_int_equal(acct_links(&a, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "</0/0>,</0/1>;ssid=101,</1/0>;ssid=101");
	buf[0] = '\0';
	assert_int_equal(acct_links(&a, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "</1/0>");
	assert_int_equal(acct_links(&a, 0, buf, 10), -1);
	assert_int_equal(acct_free_sec_iid(&a), 2);

	assert_int_equal(acct_delete(&a, 0, 0, err, sizeof(err)),
	    NODE_BAD_REQUEST);		/* the bootstrap account */
	assert_int_equal(acct_delete(&a, 5, -1, err, sizeof(err)),
	    NODE_NOT_FOUND);
	assert_int_equal(acct_delete(&a, 1, -1, err, sizeof(err)), NODE_OK);
	assert_int_equal(a.nsrv, 0);
	assert_int_equal(a.nsec, 2);
	assert_int_equal(acct_delete(&a, 0, 7, err, sizeof(err)), NODE_OK);
	assert_int_equal(a.nsec, 2);
	account(&a, 1);
	assert_int_equal(acct_delete(&a, -1, -1, err, sizeof(err)), NODE_OK);
	assert_int_equal(a.nsec, 1);
	assert_true(a.sec[0].bootstrap);
	assert_int_equal(a.nsrv, 0);
}

/* Finish's check: each way an account is not usable, with its reason. */
static void
test_finish_check(void **state)
{
	struct acct a;
	struct acct_dm dm;
	uint8_t buf[512];
	size_t len;
	char err[300];

	(void)state;
	account(&a, 0);
	assert_int_equal(acct_check(&a, &dm, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no /0 instance of a DM server"));
#define CHECK(uri, extra, want) do {					\
	account(&a, 1);							\
	len = 0;							\
	tlv_str(buf, &len, 0, uri);					\
	extra;								\
	assert_int_equal(write_exact(&a, ACCT_CF_TLV, 0, 1, -1, buf,	\
	    len, 1, err, sizeof(err)), NODE_OK);			\
	assert_int_equal(acct_check(&a, &dm, err, sizeof(err)), -1);	\
	assert_non_null(strstr(err, want));				\
} while (0)
	CHECK("coap://127.0.0.1", (void)0, "PSK mode needs a coaps URI");
	CHECK("coaps://gw.example", (void)0, "must be an IP address");
	CHECK("http://127.0.0.1", (void)0, "server URI");
	CHECK(URI, tlv_byte(buf, &len, 2, 3), "NoSec mode with a coaps URI");
	CHECK(URI, tlv_byte(buf, &len, 2, 1), "Security Mode 1 is not");
	CHECK(URI, tlv(buf, &len, 3, 5, key32, 8), "a key of 16..64");
	CHECK(URI, tlv(buf, &len, 3, 3, "", 0), "needs an identity");
	CHECK(URI, tlv_byte(buf, &len, 10, 9),
	    "no /1 instance of Short Server ID 9");
#undef CHECK
	account(&a, 1);
	assert_int_equal(acct_check(&a, &dm, err, sizeof(err)), 0);
}

static char tmpdir[64];

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/outpost-acct-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/account.json", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

static void
put_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

static void
test_state_file(void **state)
{
	struct acct a, back;
	struct stat st;
	char path[128], err[400], *text, *edited, *at;
	size_t len, cut;

	(void)state;
	snprintf(path, sizeof(path), "%s/account.json", tmpdir);
	assert_int_equal(acct_load(path, &back, "node-1", err, sizeof(err)),
	    0);			/* none yet */
	account(&a, 1);
	assert_int_equal(acct_store(path, &a, "node-1", err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	memset(&back, 0, sizeof(back));
	assert_int_equal(acct_load(path, &back, "node-1", err, sizeof(err)),
	    1);
	/* Back come the DM instances, without the bootstrap account. */
	assert_int_equal(back.nsec, 1);
	assert_memory_equal(&back.sec[0], acct_sec_find(&a, 1),
	    sizeof(back.sec[0]));
	assert_memory_equal(&back.srv[0], &a.srv[0], sizeof(back.srv[0]));
	assert_int_equal(acct_load(path, &back, "node-2", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "an account of another endpoint"));

	/* Every truncation is refused with a reason. */
	text = acct_render(&a, "node-1");
	assert_non_null(text);
	len = strlen(text);
	for (cut = 0; cut < len; cut++) {
		memset(&back, 0, sizeof(back));
		put_file(path, text, cut);
		assert_int_equal(acct_load(path, &back, "node-1", err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, path));
		assert_int_equal(back.nsec, 0);
	}
	/* Edited values go through the write checks. */
#define EDIT(from, to, want) do {					\
	edited = calloc(1, len + 64);					\
	assert_non_null(edited);					\
	assert_non_null(at = strstr(text, from));			\
	memcpy(edited, text, (size_t)(at - text));			\
	strcat(edited, to);						\
	strcat(edited, at + strlen(from));				\
	put_file(path, edited, strlen(edited));				\
	assert_int_equal(acct_load(path, &back, "node-1", err,		\
	    sizeof(err)), -1);						\
	assert_non_null(strstr(err, want));				\
	free(edited);							\
} while (0)
	EDIT("\"version\":1", "\"version\":2", "version: not 1");
	EDIT("\"ssid\":101", "\"ssid\":0", "security[0].ssid");
	EDIT("\"ssid\":101", "\"ssid\":\"101\"", "not a value of its kind");
	EDIT("\"key\":\"01", "\"key\":\"zz", "security[0].key");
	EDIT("\"mode\":0", "\"mode\":7", "security[0].mode");
	EDIT("\"lifetime\":600", "\"lifetime\":-5", "server[0].lifetime");
	EDIT("\"binding\":\"U\"", "\"binding\":\"S\"", "server[0].binding");
	EDIT("\"uri\":", "\"url\":", "security[0].uri: missing");
	EDIT("\"server\":[{\"iid\":0,\"ssid\":101", "\"server\":[{\"iid\":0,"
	    "\"ssid\":102", "no usable account");
	EDIT("\"server\":[{\"iid\":0,", "\"server\":[{\"iid\":0,\"x\":1},"
	    "{\"iid\":0,", "server[0].ssid: missing");
#undef EDIT
	acct_text_free(text);
	put_file(path, "{}", 2);
	assert_int_equal(acct_load(path, &back, "node-1", err, sizeof(err)),
	    -1);
	put_file(path, "\0\0\0", 3);
	assert_int_equal(acct_load(path, &back, "node-1", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "truncated, or not a JSON object"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlv_write),
		cmocka_unit_test(test_tlv_hostile),
		cmocka_unit_test(test_senml_cbor_write),
		cmocka_unit_test(test_dm_write),
		cmocka_unit_test(test_delete_and_links),
		cmocka_unit_test(test_finish_check),
		cmocka_unit_test_setup_teardown(test_state_file, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
