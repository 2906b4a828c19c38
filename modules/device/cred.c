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
	int			 issued;	/* cred_issue: handshakes see it */
	void			(*done)(int status, void *arg);
	void			*arg;
	struct cred		 c;
};


/* An ep whose own credential is tried before its pending one (both carry
 * the same identity; the last handshake checked against the pending one
 * failed). Few: only devices bootstrapped again, until they register. */
struct cred_turn {
	struct cred_turn	*next;
	char			 ep[LWM2M_EP_MAX + 1];
};

#define CRED_TURNS_MAX	4096

/* The records of the devices' own credentials, and their pending ones. */
static const struct cred_table cred_own = {
	STORE_DB_CREDS, 'e', "credential record"
};
static const struct cred_table cred_pend = {
	STORE_DB_CREDS, 'n', "pending credential record"
};

static char
cred_index_tag(int kind)
{
	return kind == CRED_PSK ? 'p' : kind == CRED_RPK ? 'r' : 'c';
}

/* The store key of ep's record in t (tag ep) or of an identity (tag id). */
static size_t
cred_key_rec(const struct cred_table *t, const char *ep,
    uint8_t out[CRED_KEYBUF])
{
	size_t len = strlen(ep);

	out[0] = (uint8_t)t->tag;
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
cred_table_read(struct gateway *gw, const struct cred_table *t,
    const char *ep, struct cred *c)
{
	uint8_t k[CRED_KEYBUF], v[CRED_HEAD + CRED_ID_MAX + CRED_KEY_MAX];
	size_t vlen;
	int rc;

	memset(c, 0, sizeof(*c));
	if (strlen(ep) > LWM2M_EP_MAX)
		return 1;
	if ((rc = store_get(gw->store, t->db, k, cred_key_rec(t, ep, k), v,
	    sizeof(v), &vlen)) != 0)
		return rc;
	if (vlen > sizeof(v) || cred_decode(ep, v, vlen, c) == -1) {
		log_warnx("device %s: malformed %s", ep, t->what);
		explicit_bzero(v, sizeof(v));
		return -1;
	}
	explicit_bzero(v, sizeof(v));
	return 0;
}

/* Stages c's record in t, without its index: 0 or -1. */
static int
cred_table_put_record(struct gateway *gw, const struct cred_table *t,
    const struct cred *c)
{
	uint8_t k[CRED_KEYBUF], v[CRED_HEAD + CRED_ID_MAX + CRED_KEY_MAX];
	size_t vlen;
	int rc;

	vlen = cred_encode(c, v);
	rc = store_put(gw->store, t->db, k, cred_key_rec(t, c->ep, k), v,
	    vlen);
	explicit_bzero(v, sizeof(v));
	return rc;
}

int
cred_table_put(struct gateway *gw, const struct cred_table *t,
    const struct cred *c)
{
	uint8_t k[CRED_KEYBUF];

	if (cred_table_put_record(gw, t, c) == -1)
		return -1;
	return store_put(gw->store, t->db, k, cred_key_id(c->kind, c->id,
	    c->id_len, k), c->ep, strlen(c->ep));
}

static int
cred_same_id(const struct cred *a, const struct cred *b)
{
	return a->kind == b->kind && a->id_len == b->id_len &&
	    memcmp(a->id, b->id, a->id_len) == 0;
}

int
cred_table_drop(struct gateway *gw, const struct cred_table *t,
    const char *ep, const struct cred *keep)
{
	uint8_t k[CRED_KEYBUF];
	struct cred old;
	int rc;

	if ((rc = cred_table_read(gw, t, ep, &old)) != 0)
		return rc == 1 ? 0 : -1;
	rc = store_del(gw->store, t->db, k, cred_key_rec(t, ep, k));
	if (rc == 0 && (keep == NULL || !cred_same_id(keep, &old)))
		rc = store_del(gw->store, t->db, k, cred_key_id(old.kind,
		    old.id, old.id_len, k));
	explicit_bzero(&old, sizeof(old));
	return rc;
}

int
cred_table_owner(struct gateway *gw, const struct cred_table *t,
    enum cred_kind kind, const uint8_t *id, size_t id_len,
    char ep[LWM2M_EP_MAX + 1])
{
	uint8_t k[CRED_KEYBUF];
	size_t vlen;
	int rc;

	if (id_len == 0 || id_len > CRED_ID_MAX)
		return 1;
	if ((rc = store_get(gw->store, t->db, k, cred_key_id(kind, id, id_len,
	    k), ep, LWM2M_EP_MAX, &vlen)) != 0)
		return rc;
	if (vlen == 0 || vlen > LWM2M_EP_MAX)
		return -1;
	ep[vlen] = '\0';
	return 0;
}

int
cred_table_find(struct gateway *gw, const struct cred_table *t,
    enum cred_kind kind, const uint8_t *id, size_t id_len, struct cred *c)
{
	char ep[LWM2M_EP_MAX + 1];
	int rc;

	if ((rc = cred_table_owner(gw, t, kind, id, id_len, ep)) != 0)
		return rc;
	/* The record must agree: an index left behind by a crash between
	 * two batches cannot happen (one batch holds both), but be sure. */
	if ((rc = cred_table_read(gw, t, ep, c)) != 0)
		return rc;
	if (c->kind != kind || c->id_len != id_len ||
	    memcmp(c->id, id, id_len) != 0) {
		explicit_bzero(c, sizeof(*c));
		return 1;
	}
	return 0;
}

/* Reads ep's record, or its pending one: 0, 1 (absent), -1. */
static int
cred_read(struct gateway *gw, const char *ep, int pending, struct cred *c)
{
	int rc;

	rc = cred_table_read(gw, pending ? &cred_pend : &cred_own, ep, c);
	if (rc == 0)
		c->pending = (uint8_t)(pending != 0);
	return rc;
}

int
cred_find_by_ep(struct gateway *gw, const char *ep, struct cred *c)
{
	return cred_read(gw, ep, 0, c);
}

/* The ep an identity's index names: 0 (ep filled), 1, -1. */
static int
cred_id_owner(struct gateway *gw, int kind, const uint8_t *id, size_t id_len,
    char ep[LWM2M_EP_MAX + 1])
{
	return cred_table_owner(gw, &cred_own, kind, id, id_len, ep);
}

int
cred_find_by_id(struct gateway *gw, enum cred_kind kind, const uint8_t *id,
    size_t id_len, struct cred *c)
{
	return cred_table_find(gw, &cred_own, kind, id, id_len, c);
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
		/* An issued one leaves the device's route alone: it keeps
		 * its session until it registers with the new key. */
		if (!p->issued && p->gw->hooks.route_drop != NULL)
			p->gw->hooks.route_drop(p->gw, p->c.ep);
		if (p->c.kind == CRED_RPK)
			snprintf(id, sizeof(id), "a %u-byte key", p->c.id_len);
		else
			cred_printable(p->c.id, p->c.id_len, id, sizeof(id));
		log_info("device %s: %s credential %s (%s)", p->c.ep,
		    cred_kind_name(p->c.kind), p->replace ? "replaced" :
		    p->issued ? "issued" : "provisioned", id);
	}
	p->done(status, p->arg);
	explicit_bzero(&p->c, sizeof(p->c));
	free(p);
}

/* Drops ep's pending record and its index (unless keep, a credential
 * staged with the same identity, holds that index), in the open batch. */
static int
cred_drop_pending(struct gateway *gw, const char *ep, const struct cred *keep)
{
	return cred_table_drop(gw, &cred_pend, ep, keep);
}

static void	cred_turn_clear(struct gateway *gw, const char *ep);

/* Stages c's record and index (after old's index is deleted, if old) and
 * the pending entry whose callback ends it; issue 2 stages c as ep's
 * pending record instead (old's index stays), issue 1 as its record. */
static int
cred_stage_as(struct gateway *gw, const struct cred *c, const struct cred *old,
    int issue, void (*done)(int status, void *arg), void *arg)
{
	uint8_t k[CRED_KEYBUF];
	struct cred_pending *p;
	size_t klen;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->c = *c;
	p->gw = gw;
	p->replace = old != NULL && issue == 0;
	p->issued = issue != 0;
	p->done = done;
	p->arg = arg;
	if (old != NULL && issue == 0 && !cred_same_id(old, c)) {
		klen = cred_key_id(old->kind, old->id, old->id_len, k);
		if (store_del(gw->store, STORE_DB_CREDS, k, klen) == -1) {
			free(p);
			return -1;
		}
	}
	if (cred_table_put(gw, issue == 2 ? &cred_pend : &cred_own, c) == -1 ||
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

static int
cred_stage(struct gateway *gw, const struct cred *c, const struct cred *old,
    void (*done)(int status, void *arg), void *arg)
{
	return cred_stage_as(gw, c, old, 0, done, arg);
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
	    (rc = cred_id_owner(gw, c->kind, c->id, c->id_len, old.ep)) != 1) {
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
	rc = cred_id_owner(gw, c->kind, c->id, c->id_len, other.ep);
	if (rc == 0 && strcmp(other.ep, c->ep) != 0)
		rc = 2;
	else if (rc != -1 && (rc = cred_drop_pending(gw, c->ep, c)) == 0) {
		/* The operator's key replaces a pending one too. */
		cred_turn_clear(gw, c->ep);
		rc = cred_stage(gw, c, &old, done, arg);
	}
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
	klen = cred_key_rec(&cred_own, ep, k);
	rc = store_del(gw->store, STORE_DB_CREDS, k, klen);
	klen = cred_key_id(c.kind, c.id, c.id_len, k);
	if (rc == 0)
		rc = cred_drop_pending(gw, ep, &c);
	explicit_bzero(&c, sizeof(c));
	cred_turn_clear(gw, ep);
	if (rc == -1 || store_del(gw->store, STORE_DB_CREDS, k, klen) == -1 ||
	    store_when_durable(gw->store, cred_revoke_done, r) == -1) {
		free(r);
		return -1;
	}
	cred_close_sessions(gw, ep);
	return 0;
}

int
cred_issue(struct gateway *gw, const struct cred *c,
    void (*done)(int status, void *arg), void *arg)
{
	struct cred old;
	char owner[LWM2M_EP_MAX + 1];
	int rc;

	if ((rc = cred_id_owner(gw, c->kind, c->id, c->id_len, owner)) == -1)
		return -1;
	if (rc == 0 && strcmp(owner, c->ep) != 0)
		return 2;
	if ((rc = cred_find_by_ep(gw, c->ep, &old)) == -1)
		return -1;
	if (rc == 1) {
		rc = cred_stage_as(gw, c, NULL, 1, done, arg);
	} else if ((rc = cred_drop_pending(gw, c->ep, c)) == 0) {
		cred_turn_clear(gw, c->ep);
		rc = cred_stage_as(gw, c, &old, 2, done, arg);
	}
	explicit_bzero(&old, sizeof(old));
	return rc;
}

/* Whether ep's own credential is tried first (see cred_turn). */
static struct cred_turn **
cred_turn_find(struct gateway *gw, const char *ep)
{
	struct cred_turn **tp;

	for (tp = &gw->cred_turns; *tp != NULL; tp = &(*tp)->next)
		if (strcmp((*tp)->ep, ep) == 0)
			return tp;
	return NULL;
}

static void
cred_turn_clear(struct gateway *gw, const char *ep)
{
	struct cred_turn **tp, *t;

	if ((tp = cred_turn_find(gw, ep)) == NULL)
		return;
	t = *tp;
	*tp = t->next;
	free(t);
}

void
cred_handshake_failed(struct gateway *gw, const char *ep, int pending)
{
	struct cred_turn *t, **tp;
	size_t n = 0;

	if (!pending) {
		cred_turn_clear(gw, ep);
		return;
	}
	if (cred_turn_find(gw, ep) != NULL || strlen(ep) > LWM2M_EP_MAX ||
	    (t = calloc(1, sizeof(*t))) == NULL)
		return;
	memcpy(t->ep, ep, strlen(ep) + 1);
	t->next = gw->cred_turns;
	gw->cred_turns = t;
	/* Bounded: past the cap the oldest goes (its next handshake tries
	 * the pending key first again). */
	for (tp = &gw->cred_turns; *tp != NULL; tp = &(*tp)->next)
		if (++n > CRED_TURNS_MAX) {
			free(*tp);
			*tp = NULL;
			break;
		}
}

/* An issued credential staged and not committed whose identity is id. */
static const struct cred *
cred_issued_staged(struct gateway *gw, int kind, const uint8_t *id,
    size_t id_len)
{
	struct cred_pending *p;

	for (p = gw->cred_pendings; p != NULL; p = p->next)
		if (p->issued && p->c.kind == kind && p->c.id_len == id_len &&
		    memcmp(p->c.id, id, id_len) == 0)
			return &p->c;
	return NULL;
}

int
cred_find_for_handshake(struct gateway *gw, enum cred_kind kind,
    const uint8_t *id, size_t id_len, struct cred *c, int *both)
{
	const struct cred *staged;
	struct cred own, pend;
	char ep[LWM2M_EP_MAX + 1];
	int rc, have_own = 0, have_pend = 0;

	*both = 0;
	if (id_len == 0 || id_len > CRED_ID_MAX)
		return 1;
	if ((staged = cred_issued_staged(gw, kind, id, id_len)) != NULL) {
		memcpy(ep, staged->ep, strlen(staged->ep) + 1);
		pend = *staged;
		have_pend = 1;
	} else if ((rc = cred_id_owner(gw, kind, id, id_len, ep)) != 0) {
		return rc;
	}
	if ((rc = cred_read(gw, ep, 0, &own)) == -1)
		goto fail;
	have_own = rc == 0 && own.kind == kind && own.id_len == id_len &&
	    memcmp(own.id, id, id_len) == 0;
	if (have_pend && !have_own) {
		/* Issued to a device with no credential: staged as its own,
		 * or a pending one while its own has another identity. */
		pend.pending = staged != NULL && rc == 0;
	} else if (!have_pend) {
		if ((rc = cred_read(gw, ep, 1, &pend)) == -1)
			goto fail;
		have_pend = rc == 0 && pend.kind == kind &&
		    pend.id_len == id_len && memcmp(pend.id, id, id_len) == 0;
	} else {
		pend.pending = 1;
	}
	if (have_pend && have_own) {
		*both = 1;
		*c = cred_turn_find(gw, ep) != NULL ? own : pend;
	} else if (have_pend) {
		*c = pend;
	} else if (have_own) {
		*c = own;
	}
	rc = have_pend || have_own ? 0 : 1;
	explicit_bzero(&own, sizeof(own));
	explicit_bzero(&pend, sizeof(pend));
	return rc;
fail:
	explicit_bzero(&own, sizeof(own));
	explicit_bzero(&pend, sizeof(pend));
	return -1;
}

static void
cred_promote_done(int status, void *arg)
{
	char *ep = arg;

	if (status == 0)
		log_info("device %s: registered with its issued credential; "
		    "the one before is retired", ep);
	free(ep);
}

int
cred_promote(struct gateway *gw, const char *ep)
{
	uint8_t k[CRED_KEYBUF];
	struct cred own, pend;
	size_t klen;
	char *name;
	int rc;

	if ((rc = cred_read(gw, ep, 1, &pend)) != 0)
		return rc;
	if ((rc = cred_read(gw, ep, 0, &own)) == -1 ||
	    (name = strdup(ep)) == NULL) {
		rc = -1;
		goto out;
	}
	rc = cred_table_put_record(gw, &cred_own, &pend);
	klen = cred_key_rec(&cred_pend, ep, k);
	if (rc == 0)
		rc = store_del(gw->store, STORE_DB_CREDS, k, klen);
	if (rc == 0 && own.id_len > 0 && !cred_same_id(&own, &pend)) {
		klen = cred_key_id(own.kind, own.id, own.id_len, k);
		rc = store_del(gw->store, STORE_DB_CREDS, k, klen);
	}
	if (rc == 0)
		rc = store_when_durable(gw->store, cred_promote_done, name);
	if (rc == -1)
		free(name);
	cred_turn_clear(gw, ep);
out:
	explicit_bzero(&own, sizeof(own));
	explicit_bzero(&pend, sizeof(pend));
	return rc;
}

void
cred_free(struct gateway *gw)
{
	struct cred_turn *t;

	while ((t = gw->cred_turns) != NULL) {
		gw->cred_turns = t->next;
		free(t);
	}
}
