/*
 * fwget.c: firmware on the agent. Announcements come as POST /fw to the
 * [firmware] listen address and the multicast groups it joins; a manifest
 * is acted on only when its signature verifies with a trusted key, it
 * names this device's vendor and class, and its sequence number is above
 * the installed one (anti-rollback). The agent then waits a random leisure
 * (RFC 7252 §8.2, so a fleet does not pull all at once) and fetches the
 * image from its gateway by unicast, one Block2 request at a time, into a
 * staging file. The staging file's length is the position: a lost request
 * is asked again (libcoap retransmits, then we retry with a backoff), and
 * after a restart the fetch resumes at the last whole block. The digest is
 * checked over the staged file; then fwapply.c installs it (an A/B
 * install, confirmed by a health check or reverted).
 * /5/0 State and Update Result follow every step.
 *
 * The LwM2M pull path uses the same machinery: a server writes
 * coap[s]://HOST:PORT/fw/ID to /5/0/1; the agent fetches ID's manifest from
 * .../manifest, verifies it as it would an announcement, fetches the image
 * from there and stops at Downloaded; an execute of /5/0/2 applies it.
 *
 * Files in [firmware] dir: installed (the sequence number), staging.json
 * (the manifest being fetched), staging.bin (its bytes so far),
 * staging.uri (a pulled download's URI), pending.json (applied, not yet
 * confirmed).
 *
 * Its own libcoap context, without libcoap's block mode: the blocks go to
 * the file as they come instead of into one body in memory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "lwm2m/manifest.h"
#include "node/coap.h"
#include "node/fwint.h"
#include "node/node.h"
#include "node/uri.h"

#define NFW_SYNC_BLOCKS		64	/* fdatasync the staged file this often */
#define NFW_NORESPONSE		258	/* RFC 7967 */

static void	nfw_request(struct node_fw *fw);
static const struct fw *nfw_read(const struct node_dev *d);
static struct fw *nfw_get(struct node_dev *d);
static struct node_dev *nfw_dev_of(struct node *n, const struct fw *fw);
static void	nfw_pull(struct node_dev *d);
static void	nfw_update(struct node_dev *d);
static int	nfw_open_staging(struct node_fw *fw, int fresh);
static int	nfw_wanted(struct node_fw *fw, const struct fw_manifest *m,
		    const char **why);

/* A single agent has one /5/0, its own (obj.fw). */
static const struct node_fw_ops nfw_ops = {
	.read = nfw_read,
	.get = nfw_get,
	.dev_of = nfw_dev_of,
	.pull = nfw_pull,
	.update = nfw_update,
};

static void
nfw_load_installed(struct node_fw *fw)
{
	size_t len;
	char *s = nfw_read_file(fw->installed_path, 32, &len), *end;

	fw->installed = 0;
	if (s == NULL)
		return;
	fw->installed = strtoull(s, &end, 10);
	if (end == s)
		fw->installed = 0;
	free(s);
}

static void
nfw_schedule(struct node_fw *fw, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) *
	    1000 };

	evtimer_add(fw->timer, &tv);
}

/* The download failed for good: Idle with result, staging dropped. */
static void
nfw_fail(struct node_fw *fw, enum fw_result result, const char *why)
{
	log_warnx("firmware: %s/%s seq %" PRIu64 ": %s", fw->m.vendor,
	    fw->m.class, fw->m.seq, why);
	fw_download_done(&fw->node->obj, &fw->node->obj.fw, 0, result, NULL,
	    NULL);
	nfw_drop_staging(fw);
}

/* Hashes the staged file. Returns 0 when it is the manifest's image. */
static int
nfw_check_digest(struct node_fw *fw)
{
	struct fw_sha256 h;
	uint8_t buf[4096], d[FW_DIGEST_LEN];
	uint64_t total = 0;
	ssize_t n;

	fw_sha256_init(&h);
	while ((n = pread(fw->fd, buf, sizeof(buf), (off_t)total)) > 0) {
		fw_sha256_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	fw_sha256_final(&h, d);
	return n == 0 && total == fw->m.size &&
	    memcmp(d, fw->m.digest, FW_DIGEST_LEN) == 0 ? 0 : -1;
}

/* Every byte is staged: check, then apply (or, pulled, wait for it). */
static void
nfw_complete(struct node_fw *fw)
{
	struct node *n = fw->node;

	if (fdatasync(fw->fd) == -1)
		log_warn("firmware: %s", fw->staging_path);
	if (nfw_check_digest(fw) == -1) {
		nfw_fail(fw, FW_RESULT_INTEGRITY, "the image does not hash to "
		    "the manifest's sha256: dropped");
		return;
	}
	log_info("firmware: %s/%s seq %" PRIu64 " downloaded, digest "
	    "verified", fw->m.vendor, fw->m.class, fw->m.seq);
	fw->active = 0;
	fw_download_done(&n->obj, &n->obj.fw, 1, FW_RESULT_SUCCESS,
	    fw->m.class, fw->m.version);
	if (fw->pull)
		return;		/* the server executes /5/0/2 */
	nfw_apply(fw);
}

/* The announced image is on the agent's gateway at the manifest's path. */
static void
nfw_use_gateway(struct node_fw *fw, const struct fw_manifest *m)
{
	struct node *n = fw->node;

	if (fw->session != NULL && (fw->server_len != n->gateway_len ||
	    memcmp(&fw->server, &n->gateway, n->gateway_len) != 0 ||
	    fw->secure != n->secure)) {
		coap_session_release(fw->session);
		fw->session = NULL;
	}
	memcpy(&fw->server, &n->gateway, n->gateway_len);
	fw->server_len = n->gateway_len;
	fw->secure = n->secure;
	snprintf(fw->path, sizeof(fw->path), "%s", m->uri);
}

/* A pulled download's Package URI: where to fetch from. 0 or -1. */
static int
nfw_pull_target(struct node_fw *fw, const char *uri)
{
	if (fw->session != NULL) {
		coap_session_release(fw->session);
		fw->session = NULL;
	}
	return fwp_target(uri, &fw->server, &fw->server_len, &fw->secure,
	    fw->path, sizeof(fw->path));
}

/* The pull path's manifest came: verify it as an announcement, then fetch
 * the image. */
static void
nfw_pulled_manifest(struct node_fw *fw, const coap_pdu_t *rcvd)
{
	const struct node_config *cfg = &fw->node->cfg;
	const uint8_t *data;
	enum fw_result result;
	size_t len = 0;
	char err[256];

	fw->want_manifest = 0;
	coap_get_data(rcvd, &len, &data);
	result = fwp_manifest(data, len, &fw->keys, cfg->fw_vendor,
	    cfg->fw_class, fw->installed, &fw->m, err, sizeof(err));
	if (result == FW_RESULT_INTEGRITY)
		snprintf(fw->m.vendor, sizeof(fw->m.vendor), "?");
	if (result != FW_RESULT_INITIAL) {
		nfw_fail(fw, result, err);
		return;
	}
	if (nfw_write_file(fw->manifest_path, data, len) == -1 ||
	    nfw_write_file(fw->pull_path, fw->node->obj.fw.uri,
	    strlen(fw->node->obj.fw.uri)) == -1 ||
	    nfw_open_staging(fw, 1) == -1) {
		nfw_fail(fw, FW_RESULT_NO_STORAGE, "cannot stage the image");
		return;
	}
	log_info("firmware: %s/%s %s seq %" PRIu64 " pulled from %s, "
	    "fetching", fw->m.vendor, fw->m.class, fw->m.version, fw->m.seq,
	    fw->node->obj.fw.uri);
	nfw_request(fw);
}

/* Stages one block's payload; the next request or the end follows. */
static void
nfw_block(struct node_fw *fw, const coap_pdu_t *rcvd)
{
	enum fw_result result;
	const uint8_t *data;
	const char *why;
	size_t len;

	switch (fwp_block(rcvd, fw->m.digest, fw->have, fw->m.size, &fw->szx,
	    &data, &len, &result, &why)) {
	case FWP_BLOCK_FAIL:
		nfw_fail(fw, result, why);
		return;
	case FWP_BLOCK_STRAY:
		/* A stray or repeated answer: ask again from where we are. */
		nfw_schedule(fw, 0);
		return;
	case FWP_BLOCK_OK:
		break;
	}
	if (pwrite(fw->fd, data, len, (off_t)fw->have) != (ssize_t)len) {
		log_warn("firmware: %s", fw->staging_path);
		nfw_fail(fw, FW_RESULT_NO_STORAGE, "cannot write the staged "
		    "image");
		return;
	}
	fw->have += len;
	fw->retries = 0;
	if (++fw->blocks >= NFW_SYNC_BLOCKS) {
		fw->blocks = 0;
		(void)fdatasync(fw->fd);
	}
	if (fw->have == fw->m.size)
		nfw_complete(fw);
	else
		nfw_request(fw);
}

static coap_response_t
nfw_response(coap_session_t *s, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	struct node_fw *fw = coap_session_get_app_data(s);
	coap_bin_const_t tok = coap_pdu_get_token(rcvd);
	coap_pdu_code_t code = coap_pdu_get_code(rcvd);

	(void)sent;
	(void)mid;
	if (fw == NULL || !fw->active || tok.length != fw->toklen ||
	    memcmp(tok.s, fw->token, fw->toklen) != 0)
		return COAP_RESPONSE_OK;
	fw->toklen = 0;
	if (fw->node->obj.fw.state != FW_DOWNLOADING) {
		log_info("firmware: download cancelled");
		nfw_drop_staging(fw);
	} else if (code == COAP_RESPONSE_CODE_CONTENT && fw->want_manifest)
		nfw_pulled_manifest(fw, rcvd);
	else if (code == COAP_RESPONSE_CODE_CONTENT)
		nfw_block(fw, rcvd);
	else if (COAP_RESPONSE_CLASS(code) == 4)
		nfw_fail(fw, FW_RESULT_INVALID_URI, "the gateway refused the "
		    "request (4.xx): no such image there");
	else
		nfw_schedule(fw, 1000);	/* 5.xx: ask again later */
	return COAP_RESPONSE_OK;
}

static void
nfw_nack(coap_session_t *s, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct node_fw *fw = coap_session_get_app_data(s);
	int64_t wait;

	(void)sent;
	(void)reason;
	(void)mid;
	if (fw == NULL || !fw->active || fw->toklen == 0)
		return;
	fw->toklen = 0;
	wait = fwp_backoff(fw->retries++);
	log_info("firmware: no answer for the block at %" PRIu64 ", asking "
	    "again in %" PRId64 " ms", fw->have, wait);
	nfw_schedule(fw, wait);
}

/* Asks for the block at fw->have. */
static void
nfw_request(struct node_fw *fw)
{
	coap_address_t server;
	coap_pdu_t *pdu;

	if (fw->session == NULL) {
		session_address(&server, &fw->server, fw->server_len);
		if ((fw->session = session_client(fw->node, fw->ctx,
		    NULL, &server, fw->secure, fw->node->cfg.endpoint)) ==
		    NULL) {
			nfw_schedule(fw, 1000);
			return;
		}
		coap_session_set_app_data(fw->session, fw);
	}
	if ((pdu = fwp_request(fw->session, fw->path, fw->want_manifest,
	    fw->have, fw->szx, fw->token, &fw->toklen)) == NULL) {
		nfw_fail(fw, FW_RESULT_INVALID_URI, "cannot ask for the image "
		    "at its URI (only paths on the gateway are fetched)");
		return;
	}
	if (coap_send(fw->session, pdu) == COAP_INVALID_MID) {
		fw->toklen = 0;
		nfw_schedule(fw, 1000);
	}
}

static void
nfw_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node_fw *fw = arg;

	(void)fd;
	(void)what;
	if (fw->active && fw->node->obj.fw.state != FW_DOWNLOADING) {
		log_info("firmware: download cancelled");
		nfw_drop_staging(fw);
		return;
	}
	if (fw->active && fw->toklen == 0)
		nfw_request(fw);
}

/* Opens the staging file at fw->have bytes (what a restart kept). */
static int
nfw_open_staging(struct node_fw *fw, int fresh)
{
	struct stat st;
	uint64_t bs = 16u << fw->szx;

	fw->fd = open(fw->staging_path, O_RDWR | O_CREAT | O_CLOEXEC |
	    (fresh ? O_TRUNC : 0), 0600);
	if (fw->fd == -1 || fstat(fw->fd, &st) == -1) {
		log_warn("firmware: %s", fw->staging_path);
		return -1;
	}
	/* A torn last block is asked again. */
	fw->have = (uint64_t)st.st_size / bs * bs;
	if (fw->have > fw->m.size)
		fw->have = 0;
	if (ftruncate(fw->fd, (off_t)fw->have) == -1)
		return -1;
	return 0;
}

/* Whether this device takes m. Returns 0, or -1 with why. */
static int
nfw_wanted(struct node_fw *fw, const struct fw_manifest *m, const char **why)
{
	const struct node_config *cfg = &fw->node->cfg;

	if (strcmp(m->vendor, cfg->fw_vendor) != 0 ||
	    strcmp(m->class, cfg->fw_class) != 0) {
		*why = "not this device's vendor and class";
		return -1;
	}
	if (m->seq <= fw->installed) {
		*why = "sequence number not above the installed one";
		return -1;
	}
	if (fw->applying || (fw->active && fw->m.seq >= m->seq)) {
		*why = "already at work on this image or a newer one";
		return -1;
	}
	return 0;
}

/* An announcement: verify, decide, then fetch after the leisure. Returns
 * the CoAP code to answer a unicast announcement with. */
static coap_pdu_code_t
nfw_announced(struct node_fw *fw, const uint8_t *doc, size_t len)
{
	struct node *n = fw->node;
	struct fw_manifest m;
	const char *why;
	char err[256];
	int64_t leisure;

	if (fw_manifest_decode(doc, len, &fw->keys, &m, err, sizeof(err)) !=
	    FW_OK) {
		log_warnx("firmware: announcement refused: %s", err);
		return COAP_RESPONSE_CODE_FORBIDDEN;
	}
	if (nfw_wanted(fw, &m, &why) == -1) {
		log_info("firmware: %s/%s seq %" PRIu64 " ignored: %s",
		    m.vendor, m.class, m.seq, why);
		return COAP_RESPONSE_CODE_CHANGED;
	}
	if (fw->active || fw->fd != -1)
		nfw_drop_staging(fw);	/* a newer image replaces it */
	nfw_use_gateway(fw, &m);
	fw->m = m;
	if (nfw_write_file(fw->manifest_path, doc, len) == -1 ||
	    nfw_open_staging(fw, 1) == -1) {
		log_warn("firmware: cannot stage in %s", n->cfg.fw_dir);
		return COAP_RESPONSE_CODE_INTERNAL_ERROR;
	}
	fw->active = 1;
	fw->retries = 0;
	fw->toklen = 0;
	fw_download_start(&n->obj, &n->obj.fw, m.uri);
	leisure = n->cfg.fw_leisure > 0 ? (int64_t)(node_random(n) %
	    ((uint64_t)n->cfg.fw_leisure * 1000)) : 0;
	log_info("firmware: %s/%s %s seq %" PRIu64 " announced, fetching in %"
	    PRId64 " ms", m.vendor, m.class, m.version, m.seq, leisure);
	nfw_schedule(fw, leisure);
	return COAP_RESPONSE_CODE_CHANGED;
}

static void
nfw_post(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct node_fw *fw = coap_resource_get_userdata(r);
	const uint8_t *data;
	size_t len = 0;

	(void)s;
	(void)query;
	if (!coap_get_data(req, &len, &data))
		len = 0;
	coap_pdu_set_code(resp, nfw_announced(fw, data, len));
}

/* After a restart: a staged download carries on where it stopped. */
static void
nfw_resume(struct node_fw *fw)
{
	const char *why;
	char err[256], *doc;
	size_t len;
	int rc;

	if ((rc = nfw_load_manifest(fw, fw->manifest_path, err,
	    sizeof(err))) == 0)
		return;
	if (rc == -1 || nfw_wanted(fw, &fw->m, &why) == -1 ||
	    nfw_open_staging(fw, 0) == -1) {
		nfw_drop_staging(fw);
		return;
	}
	fw->active = 1;
	nfw_use_gateway(fw, &fw->m);
	if ((doc = nfw_read_file(fw->pull_path, URI_PKG_MAX, &len)) != NULL) {
		if (nfw_pull_target(fw, doc) == -1) {
			free(doc);
			nfw_drop_staging(fw);
			return;
		}
		fw->pull = 1;
	}
	fw_download_start(&fw->node->obj, &fw->node->obj.fw,
	    fw->pull ? doc : fw->m.uri);
	free(doc);
	if (fw->have == fw->m.size) {
		nfw_complete(fw);	/* it had every byte */
		return;
	}
	log_info("firmware: resuming %s/%s seq %" PRIu64 " at byte %" PRIu64
	    " of %" PRIu64, fw->m.vendor, fw->m.class, fw->m.seq, fw->have,
	    fw->m.size);
	nfw_schedule(fw, 0);
}

static void
nfw_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node_fw *fw = arg;

	(void)fd;
	(void)what;
	coap_io_process(fw->ctx, COAP_IO_NO_WAIT);
}

/* "HOST:PORT" (numeric host) as a socket address. */
static int
nfw_sockaddr(const char *s, struct sockaddr_storage *ss, socklen_t *len,
    char *err, size_t errlen)
{
	char host[URI_HOST_MAX];
	uint16_t port;

	if (uri_parse_hostport(s, host, &port, err, errlen) == -1)
		return -1;
	if (fwp_sockaddr(host, port, ss, len) == -1) {
		snprintf(err, errlen, "'%s': not a numeric address", s);
		return -1;
	}
	return 0;
}

/* The context: the announcement endpoint, the groups, POST /fw. */
static int
nfw_context(struct node_fw *fw)
{
	const struct node_config *cfg = &fw->node->cfg;
	struct sockaddr_storage ss;
	socklen_t sslen;
	coap_address_t a;
	coap_resource_t *r;
	const char *ifname = cfg->fw_interface[0] != '\0' ?
	    cfg->fw_interface : NULL;
	char err[128];
	int fd;

	if ((fw->ctx = coap_new_context(NULL)) == NULL)
		return -1;
	coap_register_response_handler(fw->ctx, nfw_response);
	coap_register_nack_handler(fw->ctx, nfw_nack);
	if (cfg->fw_listen[0] == '\0')
		goto io;	/* the LwM2M pull path only */
	if (nfw_sockaddr(cfg->fw_listen, &ss, &sslen, err, sizeof(err)) ==
	    -1) {
		log_warnx("firmware: [firmware] listen: %s", err);
		return -1;
	}
	session_address(&a, &ss, sslen);
	if (coap_new_endpoint(fw->ctx, &a, COAP_PROTO_UDP) == NULL) {
		log_warnx("firmware: cannot listen on %s", cfg->fw_listen);
		return -1;
	}
	if (cfg->fw_group4[0] != '\0' && ss.ss_family == AF_INET &&
	    coap_join_mcast_group_intf(fw->ctx, cfg->fw_group4, ifname) != 0)
		log_warnx("firmware: cannot join %s", cfg->fw_group4);
	if (cfg->fw_group6[0] != '\0' && ss.ss_family == AF_INET6 &&
	    coap_join_mcast_group_intf(fw->ctx, cfg->fw_group6, ifname) != 0)
		log_warnx("firmware: cannot join %s", cfg->fw_group6);
	if ((r = coap_resource_init(coap_make_str_const("fw"), 0)) == NULL)
		return -1;
	coap_resource_set_userdata(r, fw);
	coap_register_request_handler(r, COAP_REQUEST_POST, nfw_post);
	coap_add_resource(fw->ctx, r);
io:
	if ((fd = coap_context_get_coap_fd(fw->ctx)) == -1)
		return -1;
	fw->io_ev = event_new(fw->node->base, fd, EV_READ | EV_PERSIST,
	    nfw_io_cb, fw);
	if (fw->io_ev == NULL || event_add(fw->io_ev, NULL) == -1)
		return -1;
	return 0;
}

int
nfw_init(struct node *n)
{
	const struct node_config *cfg = &n->cfg;
	struct node_fw *fw;
	char err[512];

	if (cfg->fleet > 0)
		return ffw_init(n);
	n->fwops = &nfw_ops;
	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		return -1;
	n->fw = fw;
	fw->node = n;
	fw->fd = -1;
	fw->szx = fwp_szx(cfg->fw_block_size);
	if (fw_keyring_load(&fw->keys, cfg->fw_trusted_keys, err,
	    sizeof(err)) == -1) {
		log_warnx("firmware: [firmware] trusted_keys: %s", err);
		return -1;
	}
	if (mkdir(cfg->fw_dir, 0700) == -1 && errno != EEXIST) {
		log_warn("firmware: %s", cfg->fw_dir);
		return -1;
	}
	snprintf(fw->installed_path, sizeof(fw->installed_path), "%s/installed",
	    cfg->fw_dir);
	snprintf(fw->manifest_path, sizeof(fw->manifest_path),
	    "%s/staging.json", cfg->fw_dir);
	snprintf(fw->staging_path, sizeof(fw->staging_path), "%s/staging.bin",
	    cfg->fw_dir);
	snprintf(fw->pull_path, sizeof(fw->pull_path), "%s/staging.uri",
	    cfg->fw_dir);
	snprintf(fw->pending_path, sizeof(fw->pending_path), "%s/pending.json",
	    cfg->fw_dir);
	nfw_load_installed(fw);
	if ((fw->timer = evtimer_new(n->base, nfw_timer_cb, fw)) == NULL ||
	    nfw_context(fw) == -1)
		return -1;
	if (cfg->fw_listen[0] != '\0')
		log_info("firmware: listening for %s/%s announcements on %s, "
		    "installed seq %" PRIu64, cfg->fw_vendor, cfg->fw_class,
		    cfg->fw_listen, fw->installed);
	nfw_pending(fw);
	if (!fw->applying)
		nfw_resume(fw);
	return 0;
}

void
nfw_free(struct node *n)
{
	struct node_fw *fw = n->fw;

	ffw_free(n);
	if (fw == NULL)
		return;
	if (fw->fd != -1)
		close(fw->fd);
	if (fw->io_ev != NULL)
		event_free(fw->io_ev);
	if (fw->timer != NULL)
		event_free(fw->timer);
	if (fw->ctx != NULL)
		coap_free_context(fw->ctx);
	free(fw);
	n->fw = NULL;
}

/* fwops: the agent's /5/0, to read and to change. */
static const struct fw *
nfw_read(const struct node_dev *d)
{
	return &d->node->obj.fw;
}

static struct fw *
nfw_get(struct node_dev *d)
{
	return &d->node->obj.fw;
}

/* fwops: the agent's own /5/0 is every shard's. */
static struct node_dev *
nfw_dev_of(struct node *n, const struct fw *fw)
{
	(void)n;
	(void)fw;
	return NULL;
}

/* fwops: fetch the manifest and the image of the Package URI. */
static void
nfw_pull(struct node_dev *d)
{
	struct node *n = d->node;
	struct node_fw *fw = n->fw;

	if (fw == NULL) {
		fw_download_done(&n->obj, &n->obj.fw, 0,
		    FW_RESULT_UNSUPPORTED_PROTOCOL, NULL, NULL);
		return;
	}
	if (fw->applying) {
		fw_download_done(&n->obj, &n->obj.fw, 0, FW_RESULT_CANCELLED,
		    NULL, NULL);
		return;
	}
	if (fw->active || fw->fd != -1)
		nfw_drop_staging(fw);
	memset(&fw->m, 0, sizeof(fw->m));
	if (nfw_pull_target(fw, n->obj.fw.uri) == -1) {
		log_warnx("firmware: Package URI %s: only coap[s]://HOST[:PORT]/"
		    "PATH with a numeric host is fetched", n->obj.fw.uri);
		fw_download_done(&n->obj, &n->obj.fw, 0, FW_RESULT_INVALID_URI,
		    NULL, NULL);
		return;
	}
	if (fw->secure && n->psk_len == 0) {
		log_warnx("firmware: Package URI %s is coaps: this agent has "
		    "no PSK ([node] psk_key)", n->obj.fw.uri);
		fw_download_done(&n->obj, &n->obj.fw, 0,
		    FW_RESULT_UNSUPPORTED_PROTOCOL, NULL, NULL);
		return;
	}
	fw->active = 1;
	fw->pull = 1;
	fw->want_manifest = 1;
	fw->retries = 0;
	fw->toklen = 0;
	nfw_request(fw);
}

/* fwops: install the image downloaded (an execute of /5/0/2). */
static void
nfw_update(struct node_dev *d)
{
	struct node *n = d->node;
	struct node_fw *fw = n->fw;

	if (fw == NULL || fw->fd == -1 || nfw_check_digest(fw) == -1) {
		fw_update_done(&n->obj, &n->obj.fw, 0);
		return;
	}
	nfw_apply(fw);
}
