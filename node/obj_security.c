/*
 * obj_security.c: LwM2M object 0, LwM2M Security: one instance per server
 * account of the device (acct.h), written by a bootstrap server. The
 * bootstrap server may read what it wrote, but never the Secret Key;
 * DM servers may not read this object at all (bsres.c answers 4.01, as
 * Anjay does).
 *
 * One row of obj_table[] (object.c) with account set; the instances are
 * struct acct_sec, whose resources mean what acct_sec_set and
 * acct_sec_read say.
 */
#include <stdio.h>
#include <string.h>

#include "node/obj_security.h"

static const struct obj_res security_res[] = {
	{ 0, OBJ_R | OBJ_W, OBJ_STRING, "LwM2M Server URI", 0 },
	{ 1, OBJ_R | OBJ_W, OBJ_BOOL, "Bootstrap-Server", 0 },
	{ 2, OBJ_R | OBJ_W, OBJ_INT, "Security Mode", 0 },
	{ 3, OBJ_R | OBJ_W, OBJ_OPAQUE, "Public Key or Identity", 0 },
	{ 4, OBJ_R | OBJ_W, OBJ_OPAQUE, "Server Public Key", 0 },
	{ 5, OBJ_W, OBJ_OPAQUE, "Secret Key", 0 },
	{ 10, OBJ_R | OBJ_W, OBJ_INT, "Short Server ID", 0 },
	{ 11, OBJ_R | OBJ_W, OBJ_INT, "Client Hold Off Time", 0 },
	{ 12, OBJ_R | OBJ_W, OBJ_INT, "Bootstrap-Server Account Timeout", 0 },
};

const struct obj_def obj_security = {
	.oid = OBJ_SECURITY,
	.name = "LwM2M Security",
	.res = security_res,
	.nres = sizeof(security_res) / sizeof(security_res[0]),
	.account = 1,
};

void
acct_sec_init(struct acct_sec *s, uint16_t iid)
{
	memset(s, 0, sizeof(*s));
	s->iid = iid;
	s->mode = ACCT_MODE_NOSEC;
}

/* Whether len bytes are printable ASCII without space, as a URI is. */
static int
sec_uri_ok(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] <= 0x20 || buf[i] >= 0x7f)
			return 0;
	return 1;
}

enum node_result
acct_sec_set(struct acct_sec *s, uint16_t rid, const struct acct_val *v,
    char *err, size_t errlen)
{
	switch (rid) {
	case 0:
		if (v->len >= sizeof(s->uri) || !sec_uri_ok(v->buf, v->len)) {
			snprintf(err, errlen, "/0/%u/0: a URI is at most %zu "
			    "printable characters", s->iid, sizeof(s->uri) - 1);
			return NODE_BAD_REQUEST;
		}
		memcpy(s->uri, v->buf, v->len);
		s->uri[v->len] = '\0';
		break;
	case 1:
		s->bootstrap = v->i != 0;
		break;
	case 2:
		if (v->i < ACCT_MODE_PSK || v->i > ACCT_MODE_EST) {
			snprintf(err, errlen, "/0/%u/2: Security Mode %lld is "
			    "not 0..4", s->iid, (long long)v->i);
			return NODE_BAD_REQUEST;
		}
		s->mode = (uint8_t)v->i;
		break;
	case 3:
		if (v->len > sizeof(s->identity)) {
			snprintf(err, errlen, "/0/%u/3: an identity of %zu "
			    "bytes is over %zu", s->iid, v->len,
			    sizeof(s->identity));
			return NODE_BAD_REQUEST;
		}
		memcpy(s->identity, v->buf, v->len);
		s->id_len = (uint16_t)v->len;
		break;
	case 4:
		if (v->len > ACCT_SPK_MAX) {
			snprintf(err, errlen, "/0/%u/4: a key of %zu bytes is "
			    "over %d", s->iid, v->len, ACCT_SPK_MAX);
			return NODE_BAD_REQUEST;
		}
		break;		/* PSK and NoSec have none: not kept */
	case 5:
		if (v->len > sizeof(s->key)) {
			snprintf(err, errlen, "/0/%u/5: a key of %zu bytes is "
			    "over %zu", s->iid, v->len, sizeof(s->key));
			return NODE_BAD_REQUEST;
		}
		memcpy(s->key, v->buf, v->len);
		s->key_len = (uint16_t)v->len;
		break;
	case 10:
		if (v->i < 1 || v->i > 65534) {
			snprintf(err, errlen, "/0/%u/10: Short Server ID %lld "
			    "is not 1..65534", s->iid, (long long)v->i);
			return NODE_BAD_REQUEST;
		}
		s->ssid = (uint16_t)v->i;
		break;
	case 11:
	case 12:
		if (v->i < 0 || v->i > 86400) {
			snprintf(err, errlen, "/0/%u/%u: %lld seconds is not "
			    "0..86400", s->iid, rid, (long long)v->i);
			return NODE_BAD_REQUEST;
		}
		if (rid == 11)
			s->hold_off = (uint32_t)v->i;
		else
			s->bs_timeout = (uint32_t)v->i;
		break;
	}
	return NODE_OK;
}

void
acct_sec_read(const struct acct_sec *s, uint16_t rid, struct obj_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (rid) {
	case 0:
		obj_set_str(v, s->uri);
		break;
	case 1:
		obj_set_int(v, OBJ_BOOL, s->bootstrap);
		break;
	case 2:
		obj_set_int(v, OBJ_INT, s->mode);
		break;
	case 3:
		v->type = OBJ_OPAQUE;
		memcpy(v->s, s->identity, s->id_len);
		v->len = s->id_len;
		break;
	case 4:
		v->type = OBJ_OPAQUE;
		break;
	case 10:
		obj_set_int(v, OBJ_INT, s->ssid);
		break;
	case 11:
		obj_set_int(v, OBJ_INT, s->hold_off);
		break;
	case 12:
		obj_set_int(v, OBJ_INT, s->bs_timeout);
		break;
	}
}
