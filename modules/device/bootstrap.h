/*
 * bootstrap.h: the gateway's LwM2M Bootstrap server, its domain part:
 * what each endpoint (or tag) is to be given, the factory credentials that
 * prove a device on the bootstrap listener, the state of each endpoint's
 * bootstrap, and the exchange itself (Core TS 1.1 5.2.7, 6.1), driven over
 * the device's bootstrap session through gw->hooks (the CoAP face,
 * modules/coap/bsserve.c, carries the messages).
 *
 * One exchange, after the device's POST /bs?ep= was accepted:
 *   Bootstrap-Discover (GET / Accept 40), Bootstrap-Delete of /0 and /1,
 *   Bootstrap-Write of /0/{i} (the DM account: URI, mode, identity, key,
 *   Short Server ID) and /1/{j} (lifetime, binding), Bootstrap-Finish.
 * Writes are TLV, or SenML CBOR when the device asked for it (pct=112);
 * a 4.15 to one makes the next try the other. On the Finish's 2.04, the DM
 * credential the gateway made for the device (32 random bytes, identity
 * ep: cred_issue) is staged in the same store batch that records the
 * bootstrap as done. Any error answer, no answer within [bootstrap]
 * timeout, or the session going ends it as failed, with the reason; the
 * device may simply ask again.
 *
 * Store layout, in STORE_DB_BOOTSTRAP:
 *   "e" ep  -> JSON: the endpoint's configuration and bootstrap state
 *   "t" tag -> JSON: a tag's configuration
 *   "f" ep  -> the factory credential (binary, as cred.c's records)
 *   "p" identity, "r" SPKI, "c" CN -> ep: the factory index
 * Factory credentials are a namespace of their own: the DM listener never
 * reads them, the bootstrap listener reads nothing else.
 */
#ifndef OUTPOST_BOOTSTRAP_H
#define OUTPOST_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lwm2m/lwm2m.h"
#include "modules/device/cred.h"
#include "modules/device/tags.h"

struct gateway;
struct bs_link;
typedef struct cJSON cJSON;

#define BS_URI_MAX	255
#define BS_KEY_LEN	32	/* bytes of an issued PSK */

enum bs_mode {
	BS_MODE_UNSET = -1,
	BS_MODE_PSK = 0,	/* the gateway issues a PSK */
	BS_MODE_NOSEC = 3,	/* plain CoAP (labs) */
};

/* A configuration as the operator gave it; unset members (empty, 0,
 * BS_MODE_UNSET) come from the endpoint's tag, then from [bootstrap]. */
struct bs_config {
	char		server_uri[BS_URI_MAX + 1];
	int		mode;
	int64_t		lifetime;
	char		binding[LWM2M_BINDING_MAX + 1];
	int		ssid;
};

/* bsparse.c, no store: the bodies of PUT /v1/bootstrap/{ep} (with_factory:
 * factory_psk_identity and factory_psk_key (hex), or factory_rpk (hex of
 * the DER SubjectPublicKeyInfo), or factory_x509_cn; fc->kind 0 when the
 * body has none) and of PUT /v1/bootstrap-tags/{tag} (none of those).
 * Members: server_uri (coap:// or coaps://), security_mode ("psk" or
 * "nosec"), lifetime (1..2^31-1), binding (letters of UTSNQ),
 * short_server_id (1..65534). Unknown members, wrong types and a mode
 * that contradicts the URI's scheme are refused. Returns 0, or -1 with a
 * reason in err that never quotes a key. */
int	bs_parse_config(const char *body, size_t len, int with_factory,
	    struct bs_config *cfg, struct cred *fc, char *err, size_t errlen);

/* The name of a mode ("psk", "nosec"), and back (-1). */
static inline const char *
bs_mode_name(int mode)
{
	switch (mode) {
	case BS_MODE_PSK:
		return "psk";
	case BS_MODE_NOSEC:
		return "nosec";
	default:
		return "unset";
	}
}

static inline int
bs_mode_from_name(const char *s)
{
	if (strcmp(s, "psk") == 0)
		return BS_MODE_PSK;
	if (strcmp(s, "nosec") == 0)
		return BS_MODE_NOSEC;
	return -1;
}

/*
 * The API's side. bootstrap_put replaces ep's configuration and factory
 * credential (fc->kind 0: none) in the open batch: 0, 2 when fc's identity
 * is another endpoint's factory identity, -1. bootstrap_delete forgets
 * them: 0, 1 when there was none, -1. bootstrap_json is ep's configuration
 * as in effect (its tag's and the ini's values filled in), its factory
 * credential's public part and its state: 0 (*out made), 1 none, -1. The
 * caller waits for the commit before answering.
 */
int	bootstrap_put(struct gateway *gw, const char *ep,
	    const struct bs_config *cfg, const struct cred *fc);
int	bootstrap_delete(struct gateway *gw, const char *ep);
/* Whether ep has a configuration of its own: 1, 0, -1. */
int	bootstrap_configured(struct gateway *gw, const char *ep);
int	bootstrap_json(struct gateway *gw, const char *ep, cJSON **out);

/* A tag's configuration: put (0, -1), delete (0, 1, -1), json (0, 1,
 * -1). */
int	bootstrap_tag_put(struct gateway *gw, const char *tag,
	    const struct bs_config *cfg);
int	bootstrap_tag_delete(struct gateway *gw, const char *tag);
int	bootstrap_tag_json(struct gateway *gw, const char *tag, cJSON **out);

/* Walks the endpoints with a record, in order, after after (NULL: from
 * the first), each as bootstrap_json makes it; cb takes the object. 0,
 * cb's non-zero value, or -1. Likewise the tags. */
int	bootstrap_walk(struct gateway *gw, const char *after,
	    int (*cb)(cJSON *ep, void *arg), void *arg);
int	bootstrap_tag_walk(struct gateway *gw, const char *after,
	    int (*cb)(cJSON *tag, void *arg), void *arg);

/* The instance of /1 to execute /1/{j}/9 (Bootstrap-Request Trigger) on:
 * the one the gateway's bootstrap wrote, else the first /1 instance the
 * registration lists, else 0. */
unsigned bootstrap_server_instance(struct gateway *gw, const char *ep);

/*
 * The CoAP face's side. A factory credential by what the handshake on the
 * bootstrap listener presents: 0 (c filled: ep and key), 1, -1.
 */
int	bootstrap_factory_find(struct gateway *gw, enum cred_kind kind,
	    const uint8_t *id, size_t id_len, struct cred *c);

enum bs_verdict {
	BS_ACCEPT,		/* 2.04, the exchange starts */
	BS_FORBIDDEN,		/* 4.03 */
	BS_BUSY,		/* 5.03: too many at once */
	BS_ERROR,		/* 5.00 */
};

/*
 * A Bootstrap-Request from ep on link. proved is the ep the session's
 * factory credential proved, or NULL for plain CoAP (then ep must have no
 * factory credential); pct the Content-Format the device prefers (-1:
 * none). BS_ACCEPT: the face answers 2.04 and the exchange starts on the
 * next loop turn through hooks.bs_send on link; a run ep had on another
 * link is abandoned. Otherwise *why says what to tell the device.
 */
enum bs_verdict bootstrap_request(struct gateway *gw, const char *ep,
	    const char *proved, int pct, struct bs_link *link,
	    const char **why);

/* link's session goes: an exchange on it fails (if not done), and link is
 * never used again. */
void	bootstrap_link_gone(struct gateway *gw, struct bs_link *link);

/* Counters for /metrics. */
struct bs_counters {
	uint64_t	requests, refused, started, done, failed;
	size_t		in_progress;
};
void	bootstrap_counters(struct gateway *gw, struct bs_counters *out);

#endif /* OUTPOST_BOOTSTRAP_H */
