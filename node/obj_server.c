/*
 * obj_server.c: LwM2M object 1, LwM2M Server: one instance per DM server
 * of the device's account (acct.h), written by a bootstrap server. A DM
 * server may read it, write the Lifetime and the Binding (the node then
 * tells it with an update) and Notification Storing, and execute
 * Registration Update Trigger (an update now) and Bootstrap-Request
 * Trigger (bootstrap again, keeping this account until the new one is
 * finished); bsres.c acts on those.
 *
 * One row of obj_table[] (object.c) with account set; the instances are
 * struct acct_srv.
 */
#include <stdio.h>
#include <string.h>

#include "node/obj_server.h"

static const struct obj_res server_res[] = {
	{ 0, OBJ_R, OBJ_INT, "Short Server ID", 0 },
	{ 1, OBJ_R | OBJ_W, OBJ_INT, "Lifetime", 0 },
	{ 6, OBJ_R | OBJ_W, OBJ_BOOL, "Notification Storing", 0 },
	{ 7, OBJ_R | OBJ_W, OBJ_STRING, "Binding", 0 },
	{ 8, OBJ_E, OBJ_STRING, "Registration Update Trigger", 0 },
	{ 9, OBJ_E, OBJ_STRING, "Bootstrap-Request Trigger", 0 },
	{ 16, OBJ_R | OBJ_W, OBJ_BOOL, "Bootstrap on Registration Failure",
	    0 },
	{ 17, OBJ_R | OBJ_W, OBJ_INT, "Communication Retry Count", 0 },
};

const struct obj_def obj_server = {
	.oid = OBJ_SERVER,
	.name = "LwM2M Server",
	.res = server_res,
	.nres = sizeof(server_res) / sizeof(server_res[0]),
	.account = 1,
};

void
acct_srv_init(struct acct_srv *s, uint16_t iid)
{
	memset(s, 0, sizeof(*s));
	s->iid = iid;
	s->bs_on_failure = 1;
}

enum node_result
acct_srv_set(struct acct_srv *s, uint16_t rid, const struct acct_val *v,
    char *err, size_t errlen)
{
	switch (rid) {
	case 0:
		if (v->i < 1 || v->i > 65534) {
			snprintf(err, errlen, "/1/%u/0: Short Server ID %lld "
			    "is not 1..65534", s->iid, (long long)v->i);
			return NODE_BAD_REQUEST;
		}
		s->ssid = (uint16_t)v->i;
		break;
	case 1:
		if (v->i < 1 || v->i > 0x7fffffff) {
			snprintf(err, errlen, "/1/%u/1: Lifetime %lld is not "
			    "1..2147483647 seconds", s->iid, (long long)v->i);
			return NODE_BAD_REQUEST;
		}
		s->lifetime = (uint32_t)v->i;
		break;
	case 6:
		s->storing = v->i != 0;
		break;
	case 7:
		if (!(v->len == 1 && v->buf[0] == 'U') && !(v->len == 2 &&
		    memcmp(v->buf, "UQ", 2) == 0)) {
			snprintf(err, errlen, "/1/%u/7: binding '%.*s' is not "
			    "U or UQ (this client speaks UDP only)", s->iid,
			    v->len > 8 ? 8 : (int)v->len,
			    (const char *)v->buf);
			return NODE_BAD_REQUEST;
		}
		memcpy(s->binding, v->buf, v->len);
		s->binding[v->len] = '\0';
		break;
	case 16:
		s->bs_on_failure = v->i != 0;
		break;
	case 17:
		if (v->i < 1 || v->i > 255) {
			snprintf(err, errlen, "/1/%u/17: retry count %lld is "
			    "not 1..255", s->iid, (long long)v->i);
			return NODE_BAD_REQUEST;
		}
		s->retry_count = (uint8_t)v->i;
		break;
	}
	return NODE_OK;
}

void
acct_srv_read(const struct acct_srv *s, uint16_t rid, struct obj_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (rid) {
	case 0:
		obj_set_int(v, OBJ_INT, s->ssid);
		break;
	case 1:
		obj_set_int(v, OBJ_INT, s->lifetime);
		break;
	case 6:
		obj_set_int(v, OBJ_BOOL, s->storing);
		break;
	case 7:
		obj_set_str(v, s->binding[0] != '\0' ? s->binding : "U");
		break;
	case 16:
		obj_set_int(v, OBJ_BOOL, s->bs_on_failure);
		break;
	case 17:
		obj_set_int(v, OBJ_INT, s->retry_count != 0 ?
		    s->retry_count : ACCT_RETRY_DEFAULT);
		break;
	}
}
