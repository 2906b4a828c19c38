/*
 * acct.c: the instances of a device's account and what is checked over
 * them as a whole: instance lists, Bootstrap-Delete, Bootstrap-Finish's
 * check, Discover's links. See acct.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "node/acct.h"
#include "node/uri.h"

extern const struct obj_def obj_security, obj_server;

struct acct_sec *
acct_sec_find(struct acct *a, uint16_t iid)
{
	size_t i;

	for (i = 0; i < a->nsec; i++)
		if (a->sec[i].iid == iid)
			return &a->sec[i];
	return NULL;
}

struct acct_srv *
acct_srv_find(struct acct *a, uint16_t iid)
{
	size_t i;

	for (i = 0; i < a->nsrv; i++)
		if (a->srv[i].iid == iid)
			return &a->srv[i];
	return NULL;
}

/* The slot for a new instance iid in a list of n sorted by iid: the
 * ones above move up. Returns its index. */
static size_t
acct_insert_at(void *list, size_t n, size_t size, uint16_t iid)
{
	uint8_t *base = list;
	size_t i = 0;

	while (i < n && *(const uint16_t *)(const void *)(base + i * size) <
	    iid)
		i++;
	memmove(base + (i + 1) * size, base + i * size, (n - i) * size);
	return i;
}

/* The instance /oid/iid, made with the defaults when there is none.
 * NULL (err set) when the object is full. */
static void *
acct_instance(struct acct *a, uint16_t oid, uint16_t iid, char *err,
    size_t errlen)
{
	size_t i;

	if (oid == OBJ_SECURITY) {
		struct acct_sec *s = acct_sec_find(a, iid);

		if (s != NULL)
			return s;
		if (a->nsec == ACCT_SEC_MAX)
			goto full;
		i = acct_insert_at(a->sec, a->nsec++, sizeof(a->sec[0]), iid);
		acct_sec_init(&a->sec[i], iid);
		return &a->sec[i];
	} else {
		struct acct_srv *s = acct_srv_find(a, iid);

		if (s != NULL)
			return s;
		if (a->nsrv == ACCT_SRV_MAX)
			goto full;
		i = acct_insert_at(a->srv, a->nsrv++, sizeof(a->srv[0]), iid);
		acct_srv_init(&a->srv[i], iid);
		return &a->srv[i];
	}
full:
	snprintf(err, errlen, "/%u/%u: this client keeps at most %d "
	    "instances of /%u", oid, iid, oid == OBJ_SECURITY ? ACCT_SEC_MAX :
	    ACCT_SRV_MAX, oid);
	return NULL;
}

enum node_result
acct_set(struct acct *a, uint16_t oid, uint16_t iid, uint16_t rid,
    const struct acct_val *v, int bootstrap, char *err, size_t errlen)
{
	const struct obj_def *def = oid == OBJ_SECURITY ? &obj_security :
	    &obj_server;
	const struct obj_res *r;
	void *inst;

	if (oid != OBJ_SECURITY && oid != OBJ_SERVER) {
		snprintf(err, errlen, "no object /%u in an account", oid);
		return NODE_NOT_FOUND;
	}
	if (iid > ACCT_IID_MAX) {
		snprintf(err, errlen, "/%u/%u: no such instance id", oid, iid);
		return NODE_BAD_REQUEST;
	}
	if ((r = obj_res_find(def, rid)) == NULL)
		return NODE_OK;		/* not kept by this client */
	if (r->ops == OBJ_E || (!bootstrap && !(r->ops & OBJ_W))) {
		snprintf(err, errlen, "/%u/%u/%u %s is not writable", oid, iid,
		    rid, r->name);
		return NODE_NOT_ALLOWED;
	}
	if (v->type != r->type) {
		snprintf(err, errlen, "/%u/%u/%u %s: a value of the wrong "
		    "type", oid, iid, rid, r->name);
		return NODE_BAD_REQUEST;
	}
	if ((inst = acct_instance(a, oid, iid, err, errlen)) == NULL)
		return NODE_BAD_REQUEST;
	if (oid == OBJ_SECURITY)
		return acct_sec_set(inst, rid, v, err, errlen);
	return acct_srv_set(inst, rid, v, err, errlen);
}

enum node_result
acct_delete(struct acct *a, int oid, int iid, char *err, size_t errlen)
{
	struct acct out;
	size_t i;

	if (oid > OBJ_SERVER) {
		snprintf(err, errlen, "Bootstrap-Delete of /%d: this client "
		    "deletes /0 and /1 only", oid);
		return NODE_NOT_FOUND;
	}
	if (oid == OBJ_SECURITY && iid >= 0 && acct_sec_find(a,
	    (uint16_t)iid) != NULL && acct_sec_find(a,
	    (uint16_t)iid)->bootstrap) {
		snprintf(err, errlen, "/0/%d is the bootstrap account: it is "
		    "not deleted", iid);
		return NODE_BAD_REQUEST;
	}
	memset(&out, 0, sizeof(out));
	for (i = 0; i < a->nsec; i++)
		if (a->sec[i].bootstrap || oid == OBJ_SERVER ||
		    (iid >= 0 && a->sec[i].iid != iid))
			out.sec[out.nsec++] = a->sec[i];
	for (i = 0; i < a->nsrv; i++)
		if (oid == OBJ_SECURITY || (iid >= 0 && a->srv[i].iid != iid))
			out.srv[out.nsrv++] = a->srv[i];
	*a = out;
	return NODE_OK;
}

void
acct_keep_dm(struct acct *a, const struct acct *from)
{
	char err[8];
	size_t i;

	for (i = 0; i < from->nsec; i++)
		if (!from->sec[i].bootstrap && acct_sec_find(a,
		    from->sec[i].iid) == NULL && a->nsec < ACCT_SEC_MAX) {
			struct acct_sec *s = acct_instance(a, OBJ_SECURITY,
			    from->sec[i].iid, err, sizeof(err));

			if (s != NULL)
				*s = from->sec[i];
		}
	for (i = 0; i < from->nsrv; i++) {
		struct acct_srv *s = acct_instance(a, OBJ_SERVER,
		    from->srv[i].iid, err, sizeof(err));

		if (s != NULL)
			*s = from->srv[i];
	}
}

uint16_t
acct_free_sec_iid(const struct acct *a)
{
	uint16_t iid = 0;
	size_t i;

	for (i = 0; i < a->nsec; i++)	/* sorted */
		if (a->sec[i].iid == iid)
			iid++;
	return iid;
}

/* The numeric host and port of a server URI, and whether it is coaps.
 * Returns 0 or -1 with err. */
static int
acct_addr(const char *uri, struct acct_dm *dm, char *err, size_t errlen)
{
	char host[URI_HOST_MAX], why[160];
	struct sockaddr_in *sin = (struct sockaddr_in *)&dm->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&dm->addr;
	uint16_t port;

	if (uri_parse_gateway(uri, host, &port, &dm->secure, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "server URI '%.64s': %s", uri, why);
		return -1;
	}
	memset(&dm->addr, 0, sizeof(dm->addr));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		dm->addrlen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		dm->addrlen = sizeof(*sin6);
	} else {
		snprintf(err, errlen, "server URI '%.64s': the host must be "
		    "an IP address (no name is looked up)", uri);
		return -1;
	}
	return 0;
}

/* Whether sec is a DM account this client can use; err says why not. */
static int
acct_sec_usable(const struct acct_sec *s, struct acct_dm *dm, char *err,
    size_t errlen)
{
	if (s->ssid == 0) {
		snprintf(err, errlen, "/0/%u has no Short Server ID", s->iid);
		return 0;
	}
	if (acct_addr(s->uri, dm, err, errlen) == -1)
		return 0;
	switch (s->mode) {
	case ACCT_MODE_PSK:
		if (!dm->secure) {
			snprintf(err, errlen, "/0/%u: PSK mode needs a coaps "
			    "URI", s->iid);
			return 0;
		}
		if (s->id_len == 0 || s->key_len < ACCT_KEY_MIN) {
			snprintf(err, errlen, "/0/%u: PSK mode needs an "
			    "identity and a key of %d..%d bytes", s->iid,
			    ACCT_KEY_MIN, ACCT_KEY_MAX);
			return 0;
		}
		return 1;
	case ACCT_MODE_NOSEC:
		if (dm->secure) {
			snprintf(err, errlen, "/0/%u: NoSec mode with a coaps "
			    "URI", s->iid);
			return 0;
		}
		return 1;
	default:
		snprintf(err, errlen, "/0/%u: Security Mode %u is not "
		    "supported here (PSK 0 and NoSec 3 are)", s->iid, s->mode);
		return 0;
	}
}

int
acct_check(const struct acct *a, struct acct_dm *dm, char *err,
    size_t errlen)
{
	size_t i, j;

	snprintf(err, errlen, "no /0 instance of a DM server (Bootstrap-Server "
	    "false)");
	for (i = 0; i < a->nsec; i++) {
		if (a->sec[i].bootstrap ||
		    !acct_sec_usable(&a->sec[i], dm, err, errlen))
			continue;
		for (j = 0; j < a->nsrv; j++)
			if (a->srv[j].ssid == a->sec[i].ssid)
				break;
		if (j == a->nsrv) {
			snprintf(err, errlen, "no /1 instance of Short Server "
			    "ID %u (/0/%u's)", a->sec[i].ssid, a->sec[i].iid);
			continue;
		}
		dm->sec = &a->sec[i];
		dm->srv = &a->srv[j];
		return 0;
	}
	return -1;
}

/* Appends text to buf (a comma first unless buf is empty). */
static int
acct_append(char *buf, size_t len, const char *fmt, unsigned a, unsigned b,
    unsigned ssid)
{
	size_t used = strlen(buf);
	int n;

	n = snprintf(buf + used, len - used, fmt, used > 0 ? "," : "", a, b);
	if (n < 0 || (size_t)n >= len - used)
		return -1;
	used += (size_t)n;
	if (ssid != 0) {
		n = snprintf(buf + used, len - used, ";ssid=%u", ssid);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
	}
	return 0;
}

int
acct_links(const struct acct *a, int dm, char *buf, size_t len)
{
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; !dm && i < a->nsec; i++)
		if (acct_append(buf, len, "%s</%u/%u>", OBJ_SECURITY,
		    a->sec[i].iid, a->sec[i].bootstrap ? 0 : a->sec[i].ssid) ==
		    -1)
			return -1;
	for (i = 0; i < a->nsrv; i++)
		if (acct_append(buf, len, "%s</%u/%u>", OBJ_SERVER,
		    a->srv[i].iid, dm ? 0 : a->srv[i].ssid) == -1)
			return -1;
	return 0;
}
