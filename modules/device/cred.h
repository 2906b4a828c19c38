/*
 * cred.h: device credentials for DTLS, kept in the store.
 *
 * A credential binds one endpoint name to one way of proving it:
 *   PSK   a PSK identity and its key (1..CRED_KEY_MAX bytes);
 *   RPK   a raw public key (the DER SubjectPublicKeyInfo);
 *   X509  the common name of a certificate signed by the CA of
 *         [coap] ca_file.
 * The DTLS handshake looks the credential up by what the peer presents
 * (identity, public key or CN) in the committed store, so a device
 * provisioned a moment ago is accepted without any reload, and one revoked
 * is refused from the next handshake on.
 *
 * Store layout, in STORE_DB_CREDS: "e" ep -> record; "n" ep -> its
 * pending record (one the gateway issued, not used yet: cred_issue);
 * "p" identity, "r" SPKI or "c" CN -> ep (the index the handshake reads,
 * for both records).
 *
 * Keys are secret: nothing here ever logs one, and nothing outside
 * cred.c and the DTLS callback in dtls.c reads cred.key.
 */
#ifndef OUTPOST_CRED_H
#define OUTPOST_CRED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lwm2m/lwm2m.h"
#include "modules/device/tags.h"
#include "store/store.h"

struct gateway;

enum cred_kind {
	CRED_PSK = 1,
	CRED_RPK = 2,
	CRED_X509 = 3,
};

#define CRED_ID_MAX	384	/* identity, CN or SPKI bytes (RSA-2048
				   SPKI: 294) */
#define CRED_KEY_MAX	64	/* PSK bytes */
#define CRED_KEY_MIN	16	/* a PSK shorter than 128 bits is refused */

struct cred {
	uint8_t		kind;			/* enum cred_kind */
	char		ep[LWM2M_EP_MAX + 1];
	uint16_t	id_len;
	uint8_t		id[CRED_ID_MAX];	/* identity, SPKI or CN */
	uint16_t	key_len;
	uint8_t		key[CRED_KEY_MAX];	/* PSK only */
	uint8_t		pending;		/* lookups: ep's pending
						   credential, not its own */
};

/* credparse.c, no store: the body of POST /v1/devices.
 *   {"ep": E, "psk_identity": I, "psk_key": HEX}
 *   {"ep": E, "rpk": HEX of the DER SubjectPublicKeyInfo}
 *   {"ep": E, "x509_cn": CN}            (CN defaults to E: {"x509": true})
 * Exactly one kind; unknown members are refused (a typo must not provision
 * a device differently from what the operator meant). Returns 0 with c
 * filled, or -1 with a reason in err that never quotes the key. */
int	cred_parse_json(const char *body, size_t len, struct cred *c, char *err,
	    size_t errlen);

/* The body of POST /v1/devices as the API takes it: the same, and an
 * optional "tags" array (tags.h's rules) read into tags; *ntags gets its
 * count, or -1 when the body has none. */
int	cred_parse_provision(const char *body, size_t len, struct cred *c,
	    char tags[][TAG_LEN_MAX + 1], int *ntags, char *err,
	    size_t errlen);

/* The body of PUT /v1/devices/{ep}/credential: the same, "ep" optional
 * (ep when left out; the same when given). */
int	cred_parse_json_for(const char *ep, const char *body, size_t len,
	    struct cred *c, char *err, size_t errlen);

/* The kind members of a body already parsed (doc, a cJSON object), each
 * named with prefix ("" or "factory_"): PSK identity and key, RPK or X.509
 * CN (x509 true: the CN is c->ep, set before). 0, or -1 with err. */
struct cJSON;
int	cred_parse_kind(struct cred *c, const struct cJSON *doc,
	    const char *prefix, char *err, size_t errlen);

/* The name of a kind: "psk", "rpk", "x509". */
static inline const char *
cred_kind_name(int kind)
{
	switch (kind) {
	case CRED_PSK:
		return "psk";
	case CRED_RPK:
		return "rpk";
	case CRED_X509:
		return "x509";
	default:
		return "none";
	}
}

/* Copies s (len bytes) into out (outlen >= 1) for a log line: printable
 * ASCII kept, anything else as '?', cut with "..." when too long. */
static inline void
cred_printable(const uint8_t *s, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 1 < outlen; i++)
		out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	if (i < len && outlen >= 4) {
		n = outlen - 4;
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* Lookups in committed data. Return 0 (found, c filled), 1 (absent), -1. */
int	cred_find_by_ep(struct gateway *gw, const char *ep, struct cred *c);
int	cred_find_by_id(struct gateway *gw, enum cred_kind kind,
	    const uint8_t *id, size_t id_len, struct cred *c);

/*
 * Stages c in the store batch; done(status, arg) runs after the commit.
 * Returns 0 (staged), 1 when ep already has a credential or its identity
 * is taken (committed, or staged and not yet committed: nothing staged),
 * -1 on error.
 */
int	cred_put(struct gateway *gw, const struct cred *c,
	    void (*done)(int status, void *arg), void *arg);

/*
 * Replaces ep's credential with c (a key rotation, or another kind): the
 * old one stops working with the commit, and every session authenticated
 * as ep is closed then. Returns 0 (staged; done runs after the commit), 1
 * when ep has no credential, 2 when c's identity belongs to another ep (or
 * is staged for one), -1.
 */
int	cred_replace(struct gateway *gw, const struct cred *c,
	    void (*done)(int status, void *arg), void *arg);

/*
 * Revokes ep's credential: stages its deletion and closes at once every
 * DTLS session authenticated as ep (and again once the deletion commits,
 * for one that completed a handshake in between). done(status, arg) runs
 * after the commit. Returns 0 (staged), 1 (ep had no credential; done not
 * called), -1.
 */
int	cred_revoke(struct gateway *gw, const char *ep,
	    void (*done)(int status, void *arg), void *arg);

/*
 * Issues c, a credential the gateway made (the DM credential a bootstrap
 * gives a device). When c->ep has no credential, c becomes it. When it has
 * one, c becomes its pending credential: both are accepted from then on,
 * until the first registration over a session c authenticated promotes c
 * (cred_promote) and the old one stops working. A handshake sees c at once
 * (cred_find_for_handshake), before its commit: a device that was given c
 * may use it within a millisecond. Returns 0 (staged; done runs after the
 * commit), 2 when c's identity belongs to another ep, -1.
 */
int	cred_issue(struct gateway *gw, const struct cred *c,
	    void (*done)(int status, void *arg), void *arg);

/*
 * The credential a DTLS handshake that presents id is checked against:
 * its ep's own (committed) or its pending one (c->pending set), including
 * one issued and not committed yet. When both carry the same identity (a
 * PSK issued again under the same identity, as a bootstrap does), a
 * handshake can be checked against one key only: the pending one is tried
 * first, and after a handshake with it fails the other (and so on in
 * turn: cred_handshake_failed); *both is then set. Returns 0, 1 or -1 as
 * cred_find_by_id.
 */
int	cred_find_for_handshake(struct gateway *gw, enum cred_kind kind,
	    const uint8_t *id, size_t id_len, struct cred *c, int *both);

/* A handshake checked against ep's pending (pending 1) or own credential,
 * where both carry the same identity, failed: the next one is checked
 * against the other. */
void	cred_handshake_failed(struct gateway *gw, const char *ep, int pending);

/* ep registered over a session its pending credential authenticated: the
 * pending one becomes ep's credential and the old one is retired, in the
 * open batch. Returns 0 (staged), 1 (no pending credential), -1. */
int	cred_promote(struct gateway *gw, const char *ep);

/*
 * Where credential records are kept, in one format: cred.c's own in
 * STORE_DB_CREDS ("e" ep, "n" ep for a pending one), the Bootstrap
 * server's factory credentials in STORE_DB_BOOTSTRAP ("f" ep, bootstrap.c).
 * In the same database, the index of a record's identity (the kind's
 * letter, then the identity: "p", "r", "c" as above) names its ep.
 */
struct cred_table {
	enum store_db	 db;
	char		 tag;	/* a record's key: tag, then ep */
	const char	*what;	/* for a log line: "factory credential" */
};

/* Reads ep's record in t into c: 0, 1 (absent), -1 (a store error, or a
 * record that is not sane: logged). */
int	cred_table_read(struct gateway *gw, const struct cred_table *t,
	    const char *ep, struct cred *c);

/* Stages c's record in t (under c->ep) and its identity's index: 0, -1. */
int	cred_table_put(struct gateway *gw, const struct cred_table *t,
	    const struct cred *c);

/* Stages the deletion of ep's record in t and of its index, unless keep
 * (NULL, or a credential staged with the same identity) holds that
 * index: 0 (also when ep has no record), -1. */
int	cred_table_drop(struct gateway *gw, const struct cred_table *t,
	    const char *ep, const struct cred *keep);

/* The ep an identity's index in t's database names: 0 (ep filled), 1
 * (none), -1. */
int	cred_table_owner(struct gateway *gw, const struct cred_table *t,
	    enum cred_kind kind, const uint8_t *id, size_t id_len,
	    char ep[LWM2M_EP_MAX + 1]);

/* The record in t of the ep an identity's index names, when that record
 * holds the identity: 0 (c filled), 1, -1. */
int	cred_table_find(struct gateway *gw, const struct cred_table *t,
	    enum cred_kind kind, const uint8_t *id, size_t id_len,
	    struct cred *c);

/* Forgets the in-memory state of cred.c (shutdown). */
void	cred_free(struct gateway *gw);

#endif /* OUTPOST_CRED_H */
