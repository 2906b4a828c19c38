/*
 * credparse.c: the body of POST /v1/devices, parsed into a struct cred.
 * No store, no libcoap: the fuzz target links this file alone (with
 * lwm2m.c for the rules of an endpoint name and tagparse.c for tags).
 */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "hex.h"
#include "parse.h"
#include "modules/device/cred.h"
#include "lwm2m/lwm2m.h"
#include "modules/device/tags.h"

#define CRED_BODY_MAX	4096	/* the largest body worth parsing */




/* Decodes the hex string hex into out: the byte count, or -1. */
static int
cred_unhex(const char *hex, void *out, size_t outmax)
{
	return hex_decode(hex, strlen(hex), out, outmax);
}

/* A text identity or CN: 1..CRED_ID_MAX printable ASCII bytes (it shows in
 * logs and the API; GnuTLS hands a PSK identity over as a C string). */
static int
cred_text_id(struct cred *c, const char *what, const cJSON *v, char *err,
    size_t errlen)
{
	size_t len, i;

	if (!cJSON_IsString(v))
		return parse_error(err, errlen, "%s must be a string", what);
	len = strlen(v->valuestring);
	if (len == 0 || len > CRED_ID_MAX)
		return parse_error(err, errlen, "%s must be 1..%d characters",
		    what, CRED_ID_MAX);
	for (i = 0; i < len; i++)
		if ((uint8_t)v->valuestring[i] < 0x20 ||
		    (uint8_t)v->valuestring[i] >= 0x7f)
			return parse_error(err, errlen, "%s: only printable "
			    "ASCII is allowed", what);
	memcpy(c->id, v->valuestring, len);
	c->id_len = (uint16_t)len;
	return 0;
}

static int
cred_ep(struct cred *c, const cJSON *v, char *err, size_t errlen)
{
	if (!cJSON_IsString(v))
		return parse_error(err, errlen, "ep must be a string");
	/* The same rules as an ep in a registration: one definition. */
	if (lwm2m_check_ep(v->valuestring, err, errlen) == -1)
		return -1;
	memcpy(c->ep, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* A member of doc named prefix + name; its full name in buf. */
static const cJSON *
cred_member(const cJSON *doc, const char *prefix, const char *name,
    char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", prefix, name);
	return cJSON_GetObjectItemCaseSensitive(doc, buf);
}

int
cred_parse_kind(struct cred *c, const cJSON *doc, const char *prefix,
    char *err, size_t errlen)
{
	char n_id[40], n_key[40], n_rpk[40], n_cn[40], n_x509[40];
	const cJSON *id = cred_member(doc, prefix, "psk_identity", n_id,
	    sizeof(n_id));
	const cJSON *key = cred_member(doc, prefix, "psk_key", n_key,
	    sizeof(n_key));
	const cJSON *rpk = cred_member(doc, prefix, "rpk", n_rpk,
	    sizeof(n_rpk));
	const cJSON *cn = cred_member(doc, prefix, "x509_cn", n_cn,
	    sizeof(n_cn));
	const cJSON *x509 = cred_member(doc, prefix, "x509", n_x509,
	    sizeof(n_x509));
	int n;

	if ((id != NULL || key != NULL) + (rpk != NULL) +
	    (cn != NULL || x509 != NULL) != 1)
		return parse_error(err, errlen, "give exactly one of %s "
		    "with %s, %s, or %s", n_id, n_key, n_rpk, n_cn);
	if (id != NULL || key != NULL) {
		if (id == NULL || key == NULL)
			return parse_error(err, errlen, "%s and %s go together",
			    n_id, n_key);
		if (cred_text_id(c, n_id, id, err, errlen) == -1)
			return -1;
		if (!cJSON_IsString(key) || (n = cred_unhex(key->valuestring,
		    c->key, CRED_KEY_MAX)) < CRED_KEY_MIN)
			return parse_error(err, errlen, "%s must be %d..%d "
			    "bytes in hex", n_key, CRED_KEY_MIN, CRED_KEY_MAX);
		c->key_len = (uint16_t)n;
		c->kind = CRED_PSK;
		return 0;
	}
	if (rpk != NULL) {
		/* The smallest SPKI, Ed25519's, is 44 bytes. */
		if (!cJSON_IsString(rpk) || (n = cred_unhex(rpk->valuestring,
		    c->id, CRED_ID_MAX)) < 32 || c->id[0] != 0x30)
			return parse_error(err, errlen, "%s must be a DER "
			    "SubjectPublicKeyInfo in hex (32..%d bytes)",
			    n_rpk, CRED_ID_MAX);
		c->id_len = (uint16_t)n;
		c->kind = CRED_RPK;
		return 0;
	}
	if (x509 != NULL && (!cJSON_IsTrue(x509) || cn != NULL))
		return parse_error(err, errlen, "%s must be true, and then "
		    "the CN is the ep (or give %s alone)", n_x509, n_cn);
	if (cn != NULL && cred_text_id(c, n_cn, cn, err, errlen) == -1)
		return -1;
	if (cn == NULL) {
		c->id_len = (uint16_t)strlen(c->ep);
		memcpy(c->id, c->ep, c->id_len);
	}
	c->kind = CRED_X509;
	return 0;
}

/* As cred_parse_json; with path_ep, "ep" may be left out and must equal
 * path_ep when given; with tags, a "tags" member is read into it (*ntags
 * its count, -1 without one), and without, it is an unknown member. */
static int
cred_parse(const char *body, size_t len, const char *path_ep, struct cred *c,
    char tags[][TAG_LEN_MAX + 1], int *ntags, char *err, size_t errlen)
{
	static const char *const known[] = { "ep", "psk_identity", "psk_key",
	    "rpk", "x509_cn", "x509", "tags" };
	const size_t nknown = sizeof(known) / sizeof(known[0]) -
	    (tags == NULL);
	cJSON *doc, *m;
	unsigned seen;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	/* Each member known and given once, no escaped NUL: parse.h. */
	if ((doc = parse_json_object(body, len, CRED_BODY_MAX, known, nknown,
	    &seen, err, errlen)) == NULL)
		return -1;
	if ((m = cJSON_GetObjectItemCaseSensitive(doc, "ep")) == NULL &&
	    path_ep != NULL)
		m = cJSON_AddStringToObject(doc, "ep", path_ep);
	if (cred_ep(c, m, err, errlen) == -1)
		goto done;
	if (path_ep != NULL && strcmp(c->ep, path_ep) != 0) {
		parse_error(err, errlen, "ep differs from the path's");
		goto done;
	}
	if (cred_parse_kind(c, doc, "", err, errlen) == -1)
		goto done;
	if (tags != NULL) {
		*ntags = -1;
		if ((m = cJSON_GetObjectItemCaseSensitive(doc, "tags")) !=
		    NULL && (*ntags = tags_parse_array(m, tags,
		    TAGS_PER_DEVICE_MAX, err, errlen)) == -1)
			goto done;
	}
	rc = 0;
done:
	cJSON_Delete(doc);
	if (rc == -1)
		memset(c, 0, sizeof(*c));	/* no half-parsed key left */
	return rc;
}

int
cred_parse_json(const char *body, size_t len, struct cred *c, char *err,
    size_t errlen)
{
	return cred_parse(body, len, NULL, c, NULL, NULL, err, errlen);
}

int
cred_parse_provision(const char *body, size_t len, struct cred *c,
    char tags[][TAG_LEN_MAX + 1], int *ntags, char *err, size_t errlen)
{
	return cred_parse(body, len, NULL, c, tags, ntags, err, errlen);
}

int
cred_parse_json_for(const char *ep, const char *body, size_t len,
    struct cred *c, char *err, size_t errlen)
{
	return cred_parse(body, len, ep, c, NULL, NULL, err, errlen);
}
