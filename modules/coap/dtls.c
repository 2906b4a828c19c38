/*
 * dtls.c: who a CoAP peer is, and what it may do.
 *
 * The DTLS endpoint ([coap] secure_listen) takes PSK always, and X.509 or
 * raw public keys when the ini gives the gateway a key. libcoap's GnuTLS
 * backend asks us about every handshake: for a PSK identity we return the
 * device's key from the store, for a certificate or a raw public key we
 * say whether it is bound to a device. Either way the session remembers
 * the endpoint name the credential belongs to (peer->auth_ep), and from
 * then on the session may register, update, deregister and answer as that
 * ep only. Plain CoAP proves nothing: [coap] plain says from where it is
 * accepted at all, and never for an ep that has a credential.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "modules/coap/coap.h"
#include "modules/device/cred.h"

/* Refused handshakes logged per second at most; the rest are counted
 * (anyone may offer a handshake: the log must not be theirs to flood). */
#define DTLS_LOG_PER_SECOND	10

/* Whether one more refusal may be logged now. */
static int
dtls_log_budget(struct gateway *gw)
{
	return log_budget_take(&gw->coap->dtls_log, DTLS_LOG_PER_SECOND,
	    "dtls: %u more handshakes refused, not logged (see "
	    "outpost_dtls_refused_total)");
}

/* Notes on s's peer that the handshake proved ep (NULL: proved nothing). */
static void
dtls_bind(coap_session_t *s, const struct cred *c)
{
	struct coap_peer *peer = coap_peer(s);

	if (peer == NULL)
		return;
	free(peer->auth_ep);
	peer->auth_ep = c != NULL ? strdup(c->ep) : NULL;
	peer->auth_pending = c != NULL && c->pending;
	peer->auth_both = 0;
}

/* libcoap: a client offers a PSK identity; its key, or NULL to refuse. */
static const coap_bin_const_t *
dtls_psk_cb(coap_bin_const_t *identity, coap_session_t *s, void *arg)
{
	struct gateway *gw = arg;
	struct coap_server *cs = gw->coap;
	struct coap_peer *peer;
	struct cred c;
	char id[64];
	int rc, both;

	explicit_bzero(cs->dtls_key, sizeof(cs->dtls_key));
	dtls_bind(s, NULL);
	rc = cred_find_for_handshake(gw, CRED_PSK, identity->s,
	    identity->length, &c, &both);
	if (rc != 0 || c.key_len == 0) {
		cred_printable(identity->s, identity->length, id, sizeof(id));
		if (rc != 1 || dtls_log_budget(gw))
			log_info("dtls: %s: %s PSK identity '%s'",
			    coap_session_str(s), rc == 1 ? "unknown" :
			    "cannot look up", id);
		explicit_bzero(&c, sizeof(c));
		return NULL;
	}
	dtls_bind(s, &c);
	if ((peer = coap_session_get_app_data(s)) != NULL)
		peer->auth_both = (uint8_t)both;
	gw->metrics.dtls_accepted++;
	memcpy(cs->dtls_key, c.key, c.key_len);
	cs->dtls_key_bin.s = cs->dtls_key;
	cs->dtls_key_bin.length = c.key_len;
	explicit_bzero(&c, sizeof(c));
	return &cs->dtls_key_bin;
}

/* libcoap: a certificate (validated against [coap] ca_file) or a raw
 * public key was presented; 1 accepts it. */
static int
dtls_cert_cb(const char *cn, const uint8_t *der, size_t der_len,
    coap_session_t *s, unsigned int depth, int validated, void *arg)
{
	struct gateway *gw = arg;
	struct cred c;
	char name[64];
	int rpk = strcmp(cn, COAP_DTLS_RPK_CERT_CN) == 0, rc, both;

	if (depth > 0)
		return validated;	/* a CA of the chain */
	dtls_bind(s, NULL);
	if (!validated) {
		if (dtls_log_budget(gw))
			log_info("dtls: %s: certificate not validated",
			    coap_session_str(s));
		return 0;
	}
	if (rpk)
		rc = cred_find_for_handshake(gw, CRED_RPK, der, der_len, &c,
		    &both);
	else
		rc = cred_find_for_handshake(gw, CRED_X509,
		    (const uint8_t *)cn, strlen(cn), &c, &both);
	if (rc != 0) {
		cred_printable((const uint8_t *)cn, strlen(cn), name,
		    sizeof(name));
		if (dtls_log_budget(gw))
			log_info("dtls: %s: %s '%s' is not bound to any "
			    "device", coap_session_str(s), rpk ?
			    "raw public key" : "certificate", rpk ? "(key)" :
			    name);
		return 0;
	}
	dtls_bind(s, &c);
	gw->metrics.dtls_accepted++;
	return 1;
}

/* Reads a whole (small) PEM file into dtls_pem[which]; -1 with a logged
 * reason (a start that cannot read its key fails at once, not at the
 * first handshake). */
static int
dtls_read_pem(struct coap_server *cs, int which, const char *key,
    const char *path)
{
	FILE *fp;
	uint8_t *buf = NULL;
	long n;

	if (cs->dtls_pem[which] != NULL)
		return 0;	/* read for another context */
	if ((fp = fopen(path, "rb")) == NULL) {
		log_warn("coap: [coap] %s %s", key, path);
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 &&
	    n < (1 << 20) && fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, fp) == (size_t)n) {
		buf[n] = '\0';
		if (strstr((char *)buf, "-----BEGIN ") == NULL) {
			log_warnx("coap: [coap] %s %s: not PEM", key, path);
			explicit_bzero(buf, (size_t)n);
			free(buf);
			buf = NULL;
		} else {
			cs->dtls_pem_len[which] = (size_t)n + 1; /* with NUL */
		}
	} else {
		log_warnx("coap: [coap] %s %s: cannot read", key, path);
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	cs->dtls_pem[which] = buf;
	return buf != NULL ? 0 : -1;
}

/*
 * The gateway's own certificate or raw public key, and the peers' check.
 * libcoap takes one PKI mode per context: X.509 (cert_file, key_file, and
 * the CA in ca_file that devices' certificates must chain to) or, with
 * [coap] rpk = 1, raw public keys (key_file an EC private key).
 */
static int
dtls_set_pki(struct gateway *gw, coap_context_t *ctx,
    coap_dtls_cn_callback_t cert_cb)
{
	const struct gw_config *cfg = &gw->cfg;
	struct coap_server *cs = gw->coap;
	coap_pki_key_pem_buf_t *pem;
	coap_dtls_pki_t pki;

	memset(&pki, 0, sizeof(pki));
	pki.version = COAP_DTLS_PKI_SETUP_VERSION;
	pki.validate_cn_call_back = cert_cb;
	pki.cn_call_back_arg = gw;
	pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
	pem = &pki.pki_key.key.pem_buf;
	if (dtls_read_pem(cs, DTLS_PEM_KEY, "key_file", cfg->coap_key_file) == -1)
		return -1;
	pem->private_key = cs->dtls_pem[DTLS_PEM_KEY];
	pem->private_key_len = cs->dtls_pem_len[DTLS_PEM_KEY];
	if (cfg->coap_rpk) {
		/* An "EC PRIVATE KEY" holds the public key too. */
		pki.is_rpk_not_cert = 1;
		pem->public_cert = pem->private_key;
		pem->public_cert_len = pem->private_key_len;
		return coap_context_set_pki(ctx, &pki) ? 0 : -1;
	}
	if (dtls_read_pem(cs, DTLS_PEM_CERT, "cert_file", cfg->coap_cert_file) ==
	    -1 || dtls_read_pem(cs, DTLS_PEM_CA, "ca_file", cfg->coap_ca_file) ==
	    -1)
		return -1;
	pem->public_cert = cs->dtls_pem[DTLS_PEM_CERT];
	pem->public_cert_len = cs->dtls_pem_len[DTLS_PEM_CERT];
	pem->ca_cert = cs->dtls_pem[DTLS_PEM_CA];
	pem->ca_cert_len = cs->dtls_pem_len[DTLS_PEM_CA];
	pki.verify_peer_cert = 1;
	pki.check_common_ca = 1;
	pki.cert_chain_validation = 1;
	pki.cert_chain_verify_depth = 3;
	pki.check_cert_revocation = 1;
	pki.allow_no_crl = 1;
	return coap_context_set_pki(ctx, &pki) ? 0 : -1;
}

/* Whether path is a readable PEM file, as dtls_read_pem will read it. */
static int
dtls_pem_ok(const char *key, const char *path, char *err, size_t errlen)
{
	char buf[4096];
	size_t n;
	FILE *fp;
	int ok;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "[coap] %s %s: %s", key, path,
		    strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	ok = strstr(buf, "-----BEGIN ") != NULL;
	explicit_bzero(buf, sizeof(buf));
	if (!ok)
		snprintf(err, errlen, "[coap] %s %s: not PEM", key, path);
	return ok ? 0 : -1;
}

int
dtls_check_config(const struct gw_config *cfg, char *err, size_t errlen)
{
	if (cfg->coap_key_file[0] == '\0' && (cfg->coap_rpk ||
	    cfg->coap_cert_file[0] != '\0' || cfg->coap_ca_file[0] != '\0')) {
		snprintf(err, errlen, "[coap] key_file is needed for %s",
		    cfg->coap_rpk ? "rpk" : "cert_file and ca_file");
		return -1;
	}
	if (cfg->coap_key_file[0] == '\0')
		return 0;
	if (!cfg->coap_rpk && (cfg->coap_cert_file[0] == '\0' ||
	    cfg->coap_ca_file[0] == '\0')) {
		snprintf(err, errlen, "[coap] key_file needs cert_file and "
		    "ca_file (or rpk = 1)");
		return -1;
	}
	if (dtls_pem_ok("key_file", cfg->coap_key_file, err, errlen) == -1)
		return -1;
	if (cfg->coap_rpk)
		return 0;
	if (dtls_pem_ok("cert_file", cfg->coap_cert_file, err, errlen) ==
	    -1 || dtls_pem_ok("ca_file", cfg->coap_ca_file, err, errlen) == -1)
		return -1;
	return 0;
}

int
dtls_init(struct gateway *gw, coap_context_t *ctx)
{
	return dtls_setup(gw, ctx, dtls_psk_cb, dtls_cert_cb);
}

int
dtls_setup(struct gateway *gw, coap_context_t *ctx,
    coap_dtls_id_callback_t psk_cb, coap_dtls_cn_callback_t cert_cb)
{
	const struct gw_config *cfg = &gw->cfg;
	coap_dtls_spsk_t psk;

	if (!coap_dtls_is_supported()) {
		log_warnx("coap: libcoap was built without DTLS");
		return -1;
	}
	memset(&psk, 0, sizeof(psk));
	psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
	psk.validate_id_call_back = psk_cb;
	psk.id_call_back_arg = gw;
	if (!coap_context_set_psk2(ctx, &psk)) {
		log_warnx("coap: cannot set up DTLS with PSK");
		return -1;
	}
	if (cfg->coap_key_file[0] == '\0' && (cfg->coap_rpk ||
	    cfg->coap_cert_file[0] != '\0' || cfg->coap_ca_file[0] != '\0')) {
		log_warnx("coap: [coap] key_file is needed for %s",
		    cfg->coap_rpk ? "rpk" : "cert_file and ca_file");
		return -1;
	}
	if (cfg->coap_key_file[0] == '\0')
		return 0;
	if (!cfg->coap_rpk && (cfg->coap_cert_file[0] == '\0' ||
	    cfg->coap_ca_file[0] == '\0')) {
		log_warnx("coap: [coap] key_file needs cert_file and ca_file "
		    "(or rpk = 1)");
		return -1;
	}
	if (dtls_set_pki(gw, ctx, cert_cb) == -1) {
		log_warnx("coap: cannot set up DTLS with %s",
		    cfg->coap_rpk ? "a raw public key" : "certificates");
		return -1;
	}
	return 0;
}

void
dtls_free(struct gateway *gw)
{
	struct coap_server *cs = gw->coap;
	int i;

	explicit_bzero(cs->dtls_key, sizeof(cs->dtls_key));
	for (i = 0; i < DTLS_PEM__COUNT; i++) {
		if (cs->dtls_pem[i] != NULL)
			explicit_bzero(cs->dtls_pem[i], cs->dtls_pem_len[i]);
		free(cs->dtls_pem[i]);
		cs->dtls_pem[i] = NULL;
	}
}

/* Whether the peer of a plain session is on this host. */
static int
dtls_from_loopback(coap_session_t *s)
{
	const coap_address_t *a = coap_session_get_addr_remote(s);
	const uint8_t *b;

	if (a->addr.sa.sa_family == AF_INET)
		return (ntohl(a->addr.sin.sin_addr.s_addr) >> 24) == 127;
	if (a->addr.sa.sa_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&a->addr.sin6.sin6_addr))
		return 1;
	b = a->addr.sin6.sin6_addr.s6_addr;
	return IN6_IS_ADDR_V4MAPPED(&a->addr.sin6.sin6_addr) && b[12] == 127;
}

int
coap_plain_allowed(struct gateway *gw, coap_session_t *s)
{
	if (coap_session_get_proto(s) != COAP_PROTO_UDP)
		return 1;
	if (strcmp(gw->cfg.coap_plain, "any") == 0)
		return 1;
	if (strcmp(gw->cfg.coap_plain, "loopback") == 0)
		return dtls_from_loopback(s);
	return 0;
}

coap_pdu_code_t
coap_auth_check(struct gateway *gw, coap_session_t *s, const char *ep,
    const char **why)
{
	struct coap_peer *peer = coap_session_get_app_data(s);
	struct cred c;
	int rc;

	if (coap_session_get_proto(s) == COAP_PROTO_DTLS) {
		if (peer == NULL || peer->auth_ep == NULL) {
			*why = "no credential";
			return COAP_RESPONSE_CODE_UNAUTHORIZED;
		}
		if (strcmp(peer->auth_ep, ep) != 0) {
			log_warnx("device %s: refused: session %s is "
			    "authenticated as %s", ep, coap_session_str(s),
			    peer->auth_ep);
			gw->metrics.dtls_refused++;
			*why = "credential is of another endpoint";
			return COAP_RESPONSE_CODE_FORBIDDEN;
		}
		return 0;
	}
	if (!coap_plain_allowed(gw, s)) {
		*why = "plain CoAP is not accepted from here: use DTLS";
		return COAP_RESPONSE_CODE_UNAUTHORIZED;
	}
	rc = cred_find_by_ep(gw, ep, &c);
	explicit_bzero(&c, sizeof(c));
	if (rc != 1) {
		*why = rc == 0 ? "this endpoint must use DTLS" :
		    "cannot read credentials";
		return rc == 0 ? COAP_RESPONSE_CODE_UNAUTHORIZED :
		    COAP_RESPONSE_CODE_INTERNAL_ERROR;
	}
	return 0;
}

/*
 * Closes every DTLS session authenticated as ep: GnuTLS sends its
 * close_notify, libcoap fails what was queued on it and frees it on its
 * next round. Returns how many were closed (the caller ends the device's
 * route when there were any).
 */
int
dtls_close_ep(struct gateway *gw, const char *ep)
{
	struct coap_peer *peer, *next;
	int n = 0;

	if (gw->coap == NULL)
		return 0;
	for (peer = coap_peers(gw); peer != NULL; peer = next) {
		next = peer->next;
		if (peer->auth_ep == NULL || strcmp(peer->auth_ep, ep) != 0)
			continue;
		free(peer->auth_ep);
		peer->auth_ep = NULL;
		coap_session_disconnected(peer->session,
		    COAP_NACK_NOT_DELIVERABLE);
		n++;
	}
	if (n > 0)
		log_info("device %s: %d DTLS session%s closed", ep, n,
		    n == 1 ? "" : "s");
	return n;
}
