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
 * The fetch itself, the manifest and the blocks into staging.bin, is
 * pull.c's (shared with the software packages of swget.c), through a
 * libcoap context of its own without libcoap's block mode: the blocks go
 * to the file as they come instead of into one body in memory.
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

static const struct fw *nfw_read(const struct node_dev *d);
static struct fw *nfw_get(struct node_dev *d);
static struct node_dev *nfw_dev_of(struct node *n, const struct fw *fw);
static void	nfw_pull(struct node_dev *d);
static void	nfw_update(struct node_dev *d);
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

/* The download failed for good (or was cancelled): Idle with result,
 * staging dropped. */
static void
nfw_fail(struct node_fw *fw, enum fw_result result, const char *why)
{
	const struct fw_manifest *m = &fw->dl.m;

	if (result == FW_RESULT_CANCELLED)
		log_info("firmware: %s", why);
	else
		log_warnx("firmware: %s/%s seq %" PRIu64 ": %s",
		    m->vendor[0] != '\0' ? m->vendor : "?", m->class, m->seq,
		    why);
	fw_download_done(&fw->node->obj, &fw->node->obj.fw, 0, result, NULL,
	    NULL);
	nfw_drop_staging(fw);
}

/* pull: the image is staged and its digest checked, or the fetch ended;
 * a verified image is applied, or (pulled) waits for /5/0/2. */
static void
nfw_fetched(struct pull *p, int ok, enum fw_result result, const char *why)
{
	struct node_fw *fw = p->arg;
	struct node *n = fw->node;

	if (!ok) {
		nfw_fail(fw, result, why);
		return;
	}
	log_info("firmware: %s/%s seq %" PRIu64 " downloaded, digest "
	    "verified", p->m.vendor, p->m.class, p->m.seq);
	fw_download_done(&n->obj, &n->obj.fw, 1, FW_RESULT_SUCCESS,
	    p->m.class, p->m.version);
	if (fw->pull)
		return;		/* the server executes /5/0/2 */
	nfw_apply(fw);
}

/* pull: whether /5/0 still waits for this download. */
static int
nfw_still_wanted(struct pull *p)
{
	struct node_fw *fw = p->arg;

	return fw->node->obj.fw.state == FW_DOWNLOADING;
}

/* pull: the pull path's manifest came: verify it as an announcement, and
 * keep it with the Package URI, so that a restart resumes. */
static enum fw_result
nfw_pulled_manifest(struct pull *p, const uint8_t *doc, size_t len,
    struct fw_manifest *m, char *err, size_t errlen)
{
	struct node_fw *fw = p->arg;
	const struct node_config *cfg = &fw->node->cfg;
	const char *uri = fw->node->obj.fw.uri;
	enum fw_result result;

	result = fwp_manifest(doc, len, &fw->keys, cfg->fw_vendor,
	    cfg->fw_class, fw->installed, m, err, errlen);
	if (result != FW_RESULT_INITIAL)
		return result;
	if (nfw_write_file(fw->manifest_path, doc, len) == -1 ||
	    nfw_write_file(fw->pull_path, uri, strlen(uri)) == -1) {
		snprintf(err, errlen, "cannot stage the image");
		return FW_RESULT_NO_STORAGE;
	}
	log_info("firmware: %s/%s %s seq %" PRIu64 " pulled from %s, "
	    "fetching", m->vendor, m->class, m->version, m->seq, uri);
	return FW_RESULT_INITIAL;
}

static const struct pull_ops nfw_pull_ops = {
	.manifest = nfw_pulled_manifest,
	.wanted = nfw_still_wanted,
	.done = nfw_fetched,
};

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
	if (fw->applying || (fw->dl.active && fw->dl.m.seq >= m->seq)) {
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
	if (fw->dl.active || fw->dl.fd != -1)
		nfw_drop_staging(fw);	/* a newer image replaces it */
	pull_gateway(&fw->dl, m.uri);
	leisure = n->cfg.fw_leisure > 0 ? (int64_t)(node_random(n) %
	    ((uint64_t)n->cfg.fw_leisure * 1000)) : 0;
	if (nfw_write_file(fw->manifest_path, doc, len) == -1 ||
	    pull_image(&fw->dl, &m, 1, leisure) == -1) {
		log_warn("firmware: cannot stage in %s", n->cfg.fw_dir);
		return COAP_RESPONSE_CODE_INTERNAL_ERROR;
	}
	fw_download_start(&n->obj, &n->obj.fw, m.uri);
	log_info("firmware: %s/%s %s seq %" PRIu64 " announced, fetching in %"
	    PRId64 " ms", m.vendor, m.class, m.version, m.seq, leisure);
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
	struct fw_manifest *m = &fw->dl.m;
	const char *why;
	char err[256], *doc;
	size_t len;
	int rc;

	if ((rc = nfw_load_manifest(fw, fw->manifest_path, err,
	    sizeof(err))) == 0)
		return;
	if (rc == -1 || nfw_wanted(fw, m, &why) == -1) {
		nfw_drop_staging(fw);
		return;
	}
	pull_gateway(&fw->dl, m->uri);
	if ((doc = nfw_read_file(fw->pull_path, URI_PKG_MAX, &len)) != NULL) {
		if (pull_target(&fw->dl, doc) == -1) {
			free(doc);
			nfw_drop_staging(fw);
			return;
		}
		fw->pull = 1;
	}
	fw_download_start(&fw->node->obj, &fw->node->obj.fw,
	    fw->pull ? doc : m->uri);
	free(doc);
	if (pull_image(&fw->dl, m, 0, 0) == -1) {
		nfw_fail(fw, FW_RESULT_NO_STORAGE, "cannot open the staged "
		    "image");
		return;
	}
	if (fw->dl.have < m->size)
		log_info("firmware: resuming %s/%s seq %" PRIu64 " at byte %"
		    PRIu64 " of %" PRIu64, m->vendor, m->class, m->seq,
		    fw->dl.have, m->size);
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

/* The context (pull.c's), and on it the announcement endpoint, the
 * groups, POST /fw. */
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

	if (pull_context(fw->node, &fw->ctx, &fw->io_ev) == -1)
		return -1;
	if (cfg->fw_listen[0] == '\0')
		return 0;	/* the LwM2M pull path only */
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
	fw->dl.fd = -1;
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
	if (nfw_context(fw) == -1 || pull_init(&fw->dl, n, fw->ctx,
	    fw->staging_path, "firmware", &nfw_pull_ops, fw) == -1)
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
	pull_free(&fw->dl);
	pull_context_free(&fw->ctx, &fw->io_ev);
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
	if (fw->dl.active || fw->dl.fd != -1)
		nfw_drop_staging(fw);
	memset(&fw->dl.m, 0, sizeof(fw->dl.m));
	if (pull_target(&fw->dl, n->obj.fw.uri) == -1) {
		log_warnx("firmware: Package URI %s: only coap[s]://HOST[:PORT]/"
		    "PATH with a numeric host is fetched", n->obj.fw.uri);
		fw_download_done(&n->obj, &n->obj.fw, 0, FW_RESULT_INVALID_URI,
		    NULL, NULL);
		return;
	}
	if (fw->dl.secure && n->psk_len == 0) {
		log_warnx("firmware: Package URI %s is coaps: this agent has "
		    "no PSK ([node] psk_key)", n->obj.fw.uri);
		fw_download_done(&n->obj, &n->obj.fw, 0,
		    FW_RESULT_UNSUPPORTED_PROTOCOL, NULL, NULL);
		return;
	}
	fw->pull = 1;
	pull_manifest(&fw->dl);
}

/* fwops: install the image downloaded (an execute of /5/0/2). */
static void
nfw_update(struct node_dev *d)
{
	struct node *n = d->node;
	struct node_fw *fw = n->fw;

	if (fw == NULL || pull_check(&fw->dl) == -1) {
		fw_update_done(&n->obj, &n->obj.fw, 0);
		return;
	}
	nfw_apply(fw);
}
