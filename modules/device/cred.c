/*
 * cred.c: device credentials in the store (see cred.h for the layout).
 * Every lookup reads committed data through LMDB's map: a handshake costs
 * two B-tree lookups and no system call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "modules/device/cred.h"
#include "store/store.h"

#define CRED_FORMAT	1
#define CRED_HEAD	6	/* format, kind, id_len (2), key_len (2) */
#define CRED_KEYBUF	(1 + CRED_ID_MAX)

/* A credential staged and not yet committed: what cred_put must also see
 * to refuse a second one for the same ep or identity. */
struct cred_pending {
	struct cred_pending	*next;
	struct gateway		*gw;
	int			 replace;	/* cred_replace */
	void			(*done)(int status, void *arg);
	void			*arg;
	struct cred		 c;
};


static char
cred_index_tag(int kind)
{
	return kind == CRED_PSK ? 'p' : kind == CRED_RPK ? 'r' : 'c';
}

/* The store key of ep's record ("e" ep) or of an identity (tag id). */
static size_t
cred_key_ep(const char *ep, uint8_t out[CRED_KEYBUF])
{
	size_t len = strlen(ep);

	out[0] = 'e';
	memcpy(out + 1, ep, len);
	return 1 + len;
}

static size_t
cred_key_id(int kind, const uint8_t *id, size_t len, uint8_t out[CRED_KEYBUF])
{
	out[0] = (uint8_t)cred_index_tag(kind);
	memcpy(out + 1, id, len);
	return 1 + len;
}

static size_t
cred_encode(const struct cred *c, uint8_t *out)
{
	out[0] = CRED_FORMAT;
	out[1] = c->kind;
	out[2] = (uint8_t)(c->id_len >> 8);
	out[3] = (uint8_t)c->id_len;
	out[4] = (uint8_t)(c->key_len >> 8);
	out[5] = (uint8_t)c->key_len;
	memcpy(out + CRED_HEAD, c->id, c->id_len);
	memcpy(out + CRED_HEAD + c->id_len, c->key, c->key_len);
	return CRED_HEAD + c->id_len + c->key_len;
}

/* Fills c from a stored record; -1 if it is not sane. */
static int
cred_decode(const char *ep, const uint8_t *v, size_t len, struct cred *c)
{
	size_t idl, keyl;

	memset(c, 0, sizeof(*c));
	if (len < CRED_HEAD || v[0] != CRED_FORMAT)
		return -1;
	idl = (size_t)v[2] << 8 | v[3];
	keyl = (size_t)v[4] << 8 | v[5];
	if (v[1] < CRED_PSK || v[1] > CRED_X509 || idl == 0 ||
	    idl > CRED_ID_MAX || keyl > CRED_KEY_MAX ||
	    len != CRED_HEAD + idl + keyl || strlen(ep) > LWM2M_EP_MAX)
		return -1;
	c->kind = v[1];
	c->id_len = (uint16_t)idl;
	c->key_len = (uint16_t)keyl;
	memcpy(c->id, v + CRED_HEAD, idl);
	memcpy(c->key, v + CRED_HEAD + idl, keyl);
	memcpy(c->ep, ep, strlen(ep) + 1);
	return 0;
}

int
cred_find_by_ep(struct gateway *gw, const char *ep, struct cred *c)
{
	uint8_t k[CRED_KEYBUF], v[CRED_HEAD + CRED_ID_MAX + CRED_KEY_MAX];
	size_t klen, vlen;
	int rc;

	if (strlen(ep) > LWM2M_EP_MAX)
		return 1;
	klen = cred_key_ep(ep, k);
	if ((rc = store_get(gw->store, STORE_DB_CREDS, k, klen, v, sizeof(v),
	    &vlen)) != 0)
		return rc;
	if (vlen > sizeof(v) || cred_decode(ep, v, vlen, c) == -1) {
		log_warnx("device %s: malformed credential record", ep);
		explicit_bzero(v, sizeof(v));
		return -1;
	}
	explicit_bzero(v, sizeof(v));
	return 0;
}

int
cred_find_by_id(struct gateway *gw, enum cred_kind kind, const uint8_t *id,
    size_t id_len, struct cred *c)
{
	uint8_t k[CRED_KEYBUF];
	char ep[LWM2M_EP_MAX + 1];
	size_t klen, vlen;
	int rc;

	if (id_len == 0 || id_len > CRED_ID_MAX)
		return 1;
	klen = cred_key_id(kind, id, id_len, k);
	if ((rc = store_get(gw->store, STORE_DB_CREDS, k, klen, ep,
	    sizeof(ep) - 1, &vlen)) != 0)
		return rc;
	if (vlen == 0 || vlen > LWM2M_EP_MAX)
		return -1;
	ep[vlen] = '\0';
	/* The record must agree: an index left behind by a crash between
	 * two batches cannot happen (one batch holds both), but be sure. */
	if ((rc = cred_find_by_ep(gw, ep, c)) != 0)
		return rc;
	if (c->kind != kind || c->id_len != id_len ||
	    memcmp(c->id, id, id_len) != 0) {
		explicit_bzero(c, sizeof(*c));
		return 1;
	}
	return 0;
}

static int
cred_is_pending(struct gateway *gw, const struct cred *c)
{
	struct cred_pending *p;

	for (p = gw->cred_pendings; p != NULL; p = p->next)
		if (strcmp(p->c.ep, c->ep) == 0 || (p->c.kind == c->kind &&
		    p->c.id_len == c->id_len &&
		    memcmp(p->c.id, c->id, c->id_len) == 0))
			return 1;
	return 0;
}

/* Closes ep's DTLS sessions, where the CoAP face runs. */
static void
cred_close_sessions(struct gateway *gw, const char *ep)
{
	if (gw->hooks.dtls_close != NULL)
		gw->hooks.dtls_close(gw, ep);
}

static void
cred_put_done(int status, void *arg)
{
	struct cred_pending *p = arg, **pp;
	char id[80];

	for (pp = &p->gw->cred_pendings; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (status == 0) {
		/* A route the device had (over plain CoAP: it had no
		 * credential; or over a session of the old one) goes: from
		 * now on it speaks over DTLS with this one only. */
		if (p->replace)
			cred_close_sessions(p->gw, p->c.ep);
		if (p->gw->hooks.route_drop != NULL)
			p->gw->hooks.route_drop(p->gw, p->c.ep);
		if (p->c.kind == CRED_RPK)
			snprintf(id, sizeof(id), "a %u-byte key", p->c.id_len);
		else
			cred_printable(p->c.id, p->c.id_len, id, sizeof(id));
		log_info("device %s: %s credential %s (%s)", p->c.ep,
		    cred_kind_name(p->c.kind), p->replace ? "replaced" :
		    "provisioned", id);
	}
	p->done(status, p->arg);
	explicit_bzero(&p->c, sizeof(p->c));
	free(p);
}

/* Stages c's record and index (after old's index is deleted, if old) and
 * the pending entry whose callback ends it. */
static int
cred_stage(struct gateway *gw, const struct cred *c, const struct cred *old,
    void (*done)(int status, void *arg), void *arg)
{
	uint8_t k[CRED_KEYBUF], v[CRED_HEAD + CRED_ID_MAX + CRED_KEY_MAX];
	struct cred_pending *p;
	size_t klen, vlen;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->c = *c;
	p->gw = gw;
	p->replace = old != NULL;
	p->done = done;
	p->arg = arg;
	if (old != NULL) {
		klen = cred_key_id(old->kind, old->id, old->id_len, k);
		if (store_del(gw->store, STORE_DB_CREDS, k, klen) == -1) {
			free(p);
			return -1;
		}
	}
	vlen = cred_encode(c, v);
	klen = cred_key_ep(c->ep, k);
	rc = store_put(gw->store, STORE_DB_CREDS, k, klen, v, vlen);
	explicit_bzero(v, sizeof(v));
	klen = cred_key_id(c->kind, c->id, c->id_len, k);
	if (rc == -1 || store_put(gw->store, STORE_DB_CREDS, k, klen, c->ep,
	    strlen(c->ep)) == -1 ||
	    store_when_durable(gw->store, cred_put_done, p) == -1) {
		/* What was staged stays in the batch: harmless, the next
		 * POST for ep finds it and answers 409. */
		explicit_bzero(&p->c, sizeof(p->c));
		free(p);
		return -1;
	}
	p->next = gw->cred_pendings;
	gw->cred_pendings = p;
	return 0;
}

int
cred_put(struct gateway *gw, const struct cred *c,
    void (*done)(int status, void *arg), void *arg)
{
	struct cred old;
	int rc;

	if (cred_is_pending(gw, c))
		return 1;
	if ((rc = cred_find_by_ep(gw, c->ep, &old)) != 1 ||
	    (rc = cred_find_by_id(gw, c->kind, c->id, c->id_len, &old)) != 1) {
		explicit_bzero(&old, sizeof(old));
		return rc == 0 ? 1 : -1;
	}
	return cred_stage(gw, c, NULL, done, arg);
}

int
cred_replace(struct gateway *gw, const struct cred *c,
    void (*done)(int status, void *arg), void *arg)
{
	struct cred old, other;
	int rc;

	if (cred_is_pending(gw, c))
		return 2;
	if ((rc = cred_find_by_ep(gw, c->ep, &old)) != 0)
		return rc;
	rc = cred_find_by_id(gw, c->kind, c->id, c->id_len, &other);
	if (rc == 0 && strcmp(other.ep, c->ep) != 0)
		rc = 2;
	else if (rc != -1)
		rc = cred_stage(gw, c, &old, done, arg);
	explicit_bzero(&old, sizeof(old));
	explicit_bzero(&other, sizeof(other));
	return rc;
}

struct cred_revocation {
	struct gateway	*gw;
	void		(*done)(int status, void *arg);
	void		*arg;
	char		 ep[LWM2M_EP_MAX + 1];
};

static void
cred_revoke_done(int status, void *arg)
{
	struct cred_revocation *r = arg;

	if (status == 0) {
		/* A handshake that read the old record before the commit
		 * may have finished since: close that session too. */
		cred_close_sessions(r->gw, r->ep);
		log_info("device %s: credential revoked", r->ep);
	}
	if (r->done != NULL)
		r->done(status, r->arg);
	free(r);
}

int
cred_revoke(struct gateway *gw, const char *ep,
    void (*done)(int status, void *arg), void *arg)
{
	struct cred_revocation *r;
	struct cred c;
	uint8_t k[CRED_KEYBUF];
	size_t klen;
	int rc;

	if ((rc = cred_find_by_ep(gw, ep, &c)) != 0)
		return rc;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		explicit_bzero(&c, sizeof(c));
		return -1;
	}
	r->gw = gw;
	r->done = done;
	r->arg = arg;
	memcpy(r->ep, ep, strlen(ep) + 1);
	klen = cred_key_ep(ep, k);
	rc = store_del(gw->store, STORE_DB_CREDS, k, klen);
	klen = cred_key_id(c.kind, c.id, c.id_len, k);
	explicit_bzero(&c, sizeof(c));
	if (rc == -1 || store_del(gw->store, STORE_DB_CREDS, k, klen) == -1 ||
	    store_when_durable(gw->store, cred_revoke_done, r) == -1) {
		free(r);
		return -1;
	}
	cred_close_sessions(gw, ep);
	return 0;
}
