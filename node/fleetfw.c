/*
 * fleetfw.c: the Firmware Update object (/5/0) of fleet devices, and their
 * LwM2M pull of an image. A fleet device stands in for a real one in
 * tests and benchmarks: it fetches what a real device would, the same way
 * (fwproto.c, shared with the agent's fwget.c), but keeps nothing of the
 * image. A write of coap://HOST:PORT/PATH to /5/0/1 makes it fetch
 * PATH/manifest, take it as the agent would (below), then PATH one Block2
 * block at a time, hashing each block as it comes (SHA-256, incremental);
 * when the digest is the manifest's, State 2. An execute of /5/0/2 runs no
 * command: State 3, then, on the next loop turn, the new sequence number
 * is the installed one, State 0 with Update Result 1.
 *
 * A manifest is taken as the agent takes one: signed by one of [firmware]
 * trusted_keys, naming [firmware] vendor and class, its sequence number
 * above the device's installed one. But a fleet is a test rig, and most
 * rigs do not configure what a real device would: without keys it takes
 * any well-formed manifest (the image's digest still decides), and an
 * empty vendor or class matches any.
 *
 * Lost requests are asked again by libcoap (CON), then here after a
 * backoff (fwp_backoff); [fleet] drop loses that share of the datagrams
 * the fetch session receives, as for the device's own socket. After
 * FFW_RETRIES_MAX requests in a row without an answer the download ends
 * with Update Result 4 (connection lost).
 *
 * What it costs: a device that was never written a Package URI, 8 bytes
 * (the pointer in struct node_dev). One that was, struct ffw (about 420
 * bytes: the object, its sequence numbers). While it fetches, struct
 * ffw_dl too (about 450 bytes, 192 of them the SHA-256 context), a libevent
 * timer, and a libcoap client session with its socket, in a context of
 * the shard's without block mode (fwproto.c says why); all of these go
 * when the download ends.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "node/coap.h"

#define FFW_RETRIES_MAX	8	/* requests in a row without an answer */

/* A fleet device's firmware: made at the first write of its /5/0/1. */
struct ffw {
	struct fw		 fw;		/* first: res.c casts back */
	uint64_t		 installed;	/* sequence number */
	uint64_t		 staged;	/* Downloaded: its sequence number */
	uint32_t		 dev;		/* index in node.devs */
	struct ffw_dl		*dl;		/* while fetching, or NULL */
};

/* A download under way. */
struct ffw_dl {
	struct node		*node;
	coap_session_t		*session;	/* in the shard's fw_ctx */
	struct event		*timer;		/* retries; the end */
	struct fw_sha256	 hash;		/* of the bytes so far */
	struct fwp_etag		 etag;		/* of the image's answers */
	uint8_t			 digest[FW_DIGEST_LEN];
	uint64_t		 size;		/* the manifest's */
	uint64_t		 seq;
	uint64_t		 have;		/* bytes hashed */
	char			 class[OBJ_PKG_MAX];
	char			 version[OBJ_PKG_MAX];
	uint16_t		 pathoff;	/* the path in fw.uri */
	uint8_t			 token[8];
	uint8_t			 toklen;	/* 0: no request in flight */
	uint8_t			 szx;
	uint8_t			 retries;
	uint8_t			 want_manifest;
	uint8_t			 done;		/* free at the timer */
};

/* What the fleet shares: n->ffw. */
struct ffw_fleet {
	struct fw_keyring	 keys;
	int			 verify;	/* [firmware] trusted_keys set */
};

static const struct fw	ffw_idle;	/* a device never written to */

static void	ffw_request(struct node *n, struct ffw *f);

static struct node_dev *
ffw_device(struct node *n, const struct ffw *f)
{
	return &n->devs[f->dev];
}

/* fwops: the fleet device whose /5/0 fw is; NULL for the agent's own. */
static struct node_dev *
ffw_dev_of(struct node *n, const struct fw *fw)
{
	if (n->cfg.fleet == 0 || fw == NULL || fw == &n->obj.fw ||
	    fw == &ffw_idle)	/* read of a device never written */
		return NULL;
	return ffw_device(n, (const struct ffw *)(const void *)fw);
}

/* fwops: d's /5/0 to write or execute, made at the first call. */
static struct fw *
ffw_get(struct node_dev *d)
{
	struct ffw *f = d->fw;

	if (f == NULL) {
		if ((f = calloc(1, sizeof(*f))) == NULL)
			return NULL;
		f->dev = (uint32_t)(d - d->node->devs);
		d->fw = f;
	}
	return &f->fw;
}

/* fwops: d's /5/0 to read. */
static const struct fw *
ffw_read(const struct node_dev *d)
{
	return d->fw != NULL ? &d->fw->fw : &ffw_idle;
}

/* Drops the download now (never from inside a handler of fw_ctx). */
static void
ffw_dl_free(struct ffw *f)
{
	struct ffw_dl *dl = f->dl;

	if (dl == NULL)
		return;
	f->dl = NULL;
	if (dl->session != NULL) {
		coap_session_set_app_data(dl->session, NULL);
		coap_session_release(dl->session);
	}
	if (dl->timer != NULL)
		event_free(dl->timer);
	free(dl);
}

static void
ffw_schedule(struct ffw *f, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) *
	    1000 };

	evtimer_add(f->dl->timer, &tv);
}

/* The download is over: nothing of it reaches f again, and it is freed
 * on the next loop turn, outside libcoap's handlers. */
static void
ffw_end(struct ffw *f)
{
	f->dl->done = 1;
	f->dl->toklen = 0;
	coap_session_set_app_data(f->dl->session, NULL);
	ffw_schedule(f, 0);
}

/* The download failed for good: Idle with result. */
static void
ffw_fail(struct node *n, struct ffw *f, enum fw_result result,
    const char *why)
{
	nlog_dev(ffw_device(n, f), "firmware %s: %s (Update Result %d)",
	    f->fw.uri, why, result);
	fw_download_done(&n->obj, &f->fw, 0, result, NULL, NULL);
	if (f->dl != NULL)
		ffw_end(f);
}

/* The manifest came: take it or not, then fetch the image. */
static void
ffw_manifest(struct node *n, struct ffw *f, const coap_pdu_t *rcvd)
{
	struct ffw_fleet *fl = n->ffw;
	const struct node_config *cfg = &n->cfg;
	struct ffw_dl *dl = f->dl;
	struct fw_manifest m;
	enum fw_result result;
	const uint8_t *data;
	size_t len = 0;
	char err[256];

	if (!coap_get_data(rcvd, &len, &data))
		len = 0;
	result = fwp_manifest(data, len, fl->verify ? &fl->keys : NULL,
	    cfg->fw_vendor[0] != '\0' ? cfg->fw_vendor : NULL,
	    cfg->fw_class[0] != '\0' ? cfg->fw_class : NULL,
	    f->installed, &m, err, sizeof(err));
	if (result != FW_RESULT_INITIAL) {
		ffw_fail(n, f, result, err);
		return;
	}
	memcpy(dl->digest, m.digest, sizeof(dl->digest));
	dl->size = m.size;
	dl->seq = m.seq;
	snprintf(dl->class, sizeof(dl->class), "%s", m.class);
	snprintf(dl->version, sizeof(dl->version), "%s", m.version);
	dl->want_manifest = 0;
	dl->have = 0;
	memset(&dl->etag, 0, sizeof(dl->etag));
	fw_sha256_init(&dl->hash);
	if (dl->size == 0) {
		ffw_fail(n, f, FW_RESULT_INTEGRITY, "an empty image");
		return;
	}
	ffw_request(n, f);
}

/* Hashes one block; the next request or the end follows. */
static void
ffw_block(struct node *n, struct ffw *f, const coap_pdu_t *rcvd)
{
	struct ffw_dl *dl = f->dl;
	uint8_t d[FW_DIGEST_LEN];
	enum fw_result result;
	const uint8_t *data;
	const char *why;
	unsigned szx = dl->szx;
	size_t len;

	switch (fwp_block(rcvd, &dl->etag, dl->have, dl->size, &szx, &data,
	    &len, &result, &why)) {
	case FWP_BLOCK_FAIL:
		ffw_fail(n, f, result, why);
		return;
	case FWP_BLOCK_STRAY:
		ffw_schedule(f, 0);	/* ask again from where we are */
		return;
	case FWP_BLOCK_OK:
		break;
	}
	dl->szx = (uint8_t)szx;
	fw_sha256_update(&dl->hash, data, len);
	dl->have += len;
	dl->retries = 0;
	if (dl->have < dl->size) {
		ffw_request(n, f);
		return;
	}
	fw_sha256_final(&dl->hash, d);
	if (memcmp(d, dl->digest, sizeof(d)) != 0) {
		ffw_fail(n, f, FW_RESULT_INTEGRITY, "the image does not hash "
		    "to the manifest's sha256");
		return;
	}
	f->staged = dl->seq;
	nlog_dev(ffw_device(n, f), "firmware %s %s seq %" PRIu64 " downloaded, "
	    "digest verified", dl->class, dl->version, dl->seq);
	fw_download_done(&n->obj, &f->fw, 1, FW_RESULT_SUCCESS, dl->class,
	    dl->version);
	ffw_end(f);
}

static coap_response_t
ffw_response(coap_session_t *s, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	struct ffw *f = coap_session_get_app_data(s);
	coap_bin_const_t tok = coap_pdu_get_token(rcvd);
	coap_pdu_code_t code = coap_pdu_get_code(rcvd);
	struct node *n;

	(void)sent;
	(void)mid;
	if (f == NULL || f->dl == NULL || f->dl->toklen == 0 ||
	    tok.length != f->dl->toklen ||
	    memcmp(tok.s, f->dl->token, tok.length) != 0)
		return COAP_RESPONSE_OK;
	f->dl->toklen = 0;
	n = f->dl->node;
	if (f->fw.state != FW_DOWNLOADING)
		ffw_end(f);	/* cancelled by a write of /5/0/1 */
	else if (code == COAP_RESPONSE_CODE_CONTENT && f->dl->want_manifest)
		ffw_manifest(n, f, rcvd);
	else if (code == COAP_RESPONSE_CODE_CONTENT)
		ffw_block(n, f, rcvd);
	else if (COAP_RESPONSE_CLASS(code) == 4)
		ffw_fail(n, f, FW_RESULT_INVALID_URI, "the server refused the "
		    "request (4.xx): no such image there");
	else
		ffw_schedule(f, 1000);	/* 5.xx: ask again later */
	return COAP_RESPONSE_OK;
}

static void
ffw_nack(coap_session_t *s, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct ffw *f = coap_session_get_app_data(s);

	(void)sent;
	(void)reason;
	(void)mid;
	if (f == NULL || f->dl == NULL || f->dl->toklen == 0)
		return;
	f->dl->toklen = 0;
	if (f->dl->retries >= FFW_RETRIES_MAX) {
		ffw_fail(f->dl->node, f, FW_RESULT_CONNECTION_LOST, "no answer "
		    "to its requests");
		return;
	}
	ffw_schedule(f, fwp_backoff(f->dl->retries++));
}

/* Asks for the manifest, or the block at dl->have. */
static void
ffw_request(struct node *n, struct ffw *f)
{
	struct ffw_dl *dl = f->dl;
	coap_pdu_t *pdu;
	size_t toklen;

	if ((pdu = fwp_request(dl->session, f->fw.uri + dl->pathoff,
	    dl->want_manifest, dl->have, dl->szx, dl->token, &toklen)) ==
	    NULL) {
		ffw_fail(n, f, FW_RESULT_INVALID_URI, "cannot ask for the image "
		    "at its URI");
		return;
	}
	dl->toklen = (uint8_t)toklen;
	if (coap_send(dl->session, pdu) == COAP_INVALID_MID) {
		dl->toklen = 0;
		ffw_schedule(f, 1000);
	}
}

static void
ffw_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ffw *f = arg;

	(void)fd;
	(void)what;
	if (f->dl->done || f->fw.state != FW_DOWNLOADING)
		ffw_dl_free(f);
	else if (f->dl->toklen == 0)
		ffw_request(f->dl->node, f);
}

static void
ffw_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct shard *sh = arg;

	(void)fd;
	(void)what;
	coap_io_process(sh->fw_ctx, COAP_IO_NO_WAIT);
}

/* Frees a shard's fetch context, if it has one. */
static void
ffw_shard_free(struct shard *sh)
{
	if (sh->fw_ev != NULL)
		event_free(sh->fw_ev);
	if (sh->fw_ctx != NULL) {
		session_unwatch(sh->fw_ctx);
		coap_free_context(sh->fw_ctx);
	}
	sh->fw_ev = NULL;
	sh->fw_ctx = NULL;
}

/* The shard's context for fetches, made at its first download. */
static int
ffw_shard_ctx(struct shard *sh)
{
	int fd;

	if (sh->fw_ctx != NULL)
		return 0;
	if ((sh->fw_ctx = coap_new_context(NULL)) == NULL)
		return -1;
	coap_set_app_data(sh->fw_ctx, sh);
	coap_register_response_handler(sh->fw_ctx, ffw_response);
	coap_register_nack_handler(sh->fw_ctx, ffw_nack);
	if ((fd = coap_context_get_coap_fd(sh->fw_ctx)) == -1 ||
	    (sh->fw_ev = event_new(sh->node->base, fd, EV_READ | EV_PERSIST,
	    ffw_io_cb, sh)) == NULL || event_add(sh->fw_ev, NULL) == -1 ||
	    session_watch(sh->node->base, sh->fw_ctx, sh->fw_ev) == -1) {
		ffw_shard_free(sh);
		return -1;
	}
	return 0;
}

/* fwops: fetch the manifest and the image of d's Package URI. */
static void
ffw_pull(struct node_dev *d)
{
	struct node *n = d->node;
	struct ffw *f = d->fw;
	struct ffw_dl *dl;
	struct sockaddr_storage ss;
	socklen_t sslen;
	coap_address_t server;
	char path[FW_URI_MAX + 1];
	int probe, secure = 0;

	ffw_dl_free(f);		/* a new Package URI replaces the old */
	if (fwp_target(f->fw.uri, &ss, &sslen, &secure, path,
	    sizeof(path)) == -1) {
		ffw_fail(n, f, FW_RESULT_INVALID_URI, "only "
		    "coap[s]://HOST[:PORT]/PATH with a numeric host is fetched");
		return;
	}
	if (secure && n->psk_len == 0) {
		ffw_fail(n, f, FW_RESULT_UNSUPPORTED_PROTOCOL, "the Package URI "
		    "is coaps and the fleet has no PSK ([node] psk_key)");
		return;
	}
	if (ffw_shard_ctx(d->shard) == -1 ||
	    (dl = calloc(1, sizeof(*dl))) == NULL) {
		ffw_fail(n, f, FW_RESULT_NO_MEMORY, "out of memory");
		return;
	}
	f->dl = dl;
	dl->node = n;
	dl->pathoff = (uint16_t)(strlen(f->fw.uri) - strlen(path));
	dl->szx = (uint8_t)fwp_szx(n->cfg.fw_block_size);
	dl->want_manifest = 1;
	session_address(&server, &ss, sslen);
	probe = n->drop != 0 ? session_lowest_fd() : -1;
	if ((dl->timer = evtimer_new(n->base, ffw_timer_cb, f)) == NULL ||
	    (dl->session = session_client(n, d->shard->fw_ctx, NULL,
	    &server, secure, d->ep)) == NULL) {
		ffw_dl_free(f);
		ffw_fail(n, f, FW_RESULT_NO_MEMORY, "cannot open a CoAP "
		    "session");
		return;
	}
	coap_session_set_app_data(dl->session, f);
	session_kick(d->shard->fw_ev);
	if (n->drop != 0)
		session_set_filter(session_probe_fd(dl->session, probe, &ss), 0,
		    n->drop, d->ep);
	ffw_request(n, f);
}

/* The "apply" of a fleet device, a loop turn after the execute so that
 * State 3 is seen: nothing runs, the sequence number is installed. */
static void
ffw_applied(evutil_socket_t fd, short what, void *arg)
{
	struct node_dev *d = arg;
	struct node *n = d->node;
	struct ffw *f = d->fw;

	(void)fd;
	(void)what;
	if (f->fw.state != FW_UPDATING)
		return;
	f->installed = f->staged;
	nlog_dev(d, "firmware %s %s seq %" PRIu64 " installed",
	    f->fw.pkg_name, f->fw.pkg_version, f->installed);
	fw_update_done(&n->obj, &f->fw, 1);
}

/* fwops: d's execute of /5/0/2. */
static void
ffw_update(struct node_dev *d)
{
	struct timeval zero = { 0, 0 };

	if (event_base_once(d->node->base, -1, EV_TIMEOUT, ffw_applied, d,
	    &zero) == -1)
		fw_update_done(&d->node->obj, &d->fw->fw, 0);
}

static const struct node_fw_ops ffw_ops = {
	.read = ffw_read,
	.get = ffw_get,
	.dev_of = ffw_dev_of,
	.pull = ffw_pull,
	.update = ffw_update,
};

int
ffw_init(struct node *n)
{
	struct ffw_fleet *fl;
	char err[512];

	n->fwops = &ffw_ops;
	if ((fl = calloc(1, sizeof(*fl))) == NULL)
		return -1;
	n->ffw = fl;
	if (n->cfg.fw_trusted_keys[0] == '\0')
		return 0;
	if (fw_keyring_load(&fl->keys, n->cfg.fw_trusted_keys, err,
	    sizeof(err)) == -1) {
		log_warnx("firmware: [firmware] trusted_keys: %s", err);
		return -1;
	}
	fl->verify = 1;
	return 0;
}

void
ffw_free(struct node *n)
{
	size_t i;

	for (i = 0; n->devs != NULL && i < n->ndevs; i++) {
		if (n->devs[i].fw == NULL)
			continue;
		ffw_dl_free(n->devs[i].fw);
		free(n->devs[i].fw);
		n->devs[i].fw = NULL;
	}
	for (i = 0; n->shards != NULL && i < n->nshards; i++)
		if (n->shards[i] != NULL)
			ffw_shard_free(n->shards[i]);
	free(n->ffw);
	n->ffw = NULL;
}
