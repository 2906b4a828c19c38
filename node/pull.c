/*
 * pull.c: the fetch of one signed image into a file (see pull.h), for the
 * agent's firmware (fwget.c) and its software packages (swget.c). What a
 * request and an answer are is fwproto.c's; this keeps the state of one
 * fetch: its session, the file, the position, the token in flight, the
 * retries.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "node/pull.h"

#define PULL_SYNC_BLOCKS	64	/* fdatasync the file this often */

static void	pull_request(struct pull *p);

static void
pull_schedule(struct pull *p, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) *
	    1000 };

	evtimer_add(p->timer, &tv);
}

/* Forgets the fetch: no request counts any more. */
static void
pull_idle(struct pull *p)
{
	p->active = 0;
	p->want_manifest = 0;
	p->toklen = 0;
	evtimer_del(p->timer);
}

void
pull_drop(struct pull *p)
{
	pull_idle(p);
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	p->have = 0;
	unlink(p->file);
}

/* The fetch failed for good: the file goes, the owner hears why. */
static void
pull_fail(struct pull *p, enum fw_result result, const char *why)
{
	pull_drop(p);
	p->ops->done(p, 0, result, why);
}

int
pull_check(struct pull *p)
{
	struct fw_sha256 h;
	uint8_t buf[4096], d[FW_DIGEST_LEN];
	uint64_t total = 0;
	ssize_t n;

	if (p->fd == -1)
		return -1;
	fw_sha256_init(&h);
	while ((n = pread(p->fd, buf, sizeof(buf), (off_t)total)) > 0) {
		fw_sha256_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	fw_sha256_final(&h, d);
	return n == 0 && total == p->m.size &&
	    memcmp(d, p->m.digest, FW_DIGEST_LEN) == 0 ? 0 : -1;
}

/* Every byte is in the file: it must hash to the manifest's digest. */
static void
pull_complete(struct pull *p)
{
	if (fdatasync(p->fd) == -1)
		log_warn("%s: %s", p->what, p->file);
	if (pull_check(p) == -1) {
		pull_fail(p, FW_RESULT_INTEGRITY, "the image does not hash to "
		    "the manifest's sha256: dropped");
		return;
	}
	pull_idle(p);
	p->ops->done(p, 1, FW_RESULT_SUCCESS, NULL);
}

/* Opens the file at its last whole block (fresh: empty): the fetch of the
 * image starts, and the first answer gives its ETag. */
static int
pull_open(struct pull *p, int fresh)
{
	struct stat st;
	uint64_t bs = 16u << p->szx;

	memset(&p->etag, 0, sizeof(p->etag));
	if (p->fd != -1)
		close(p->fd);
	p->fd = open(p->file, O_RDWR | O_CREAT | O_CLOEXEC |
	    (fresh ? O_TRUNC : 0), 0600);
	if (p->fd == -1 || fstat(p->fd, &st) == -1) {
		log_warn("%s: %s", p->what, p->file);
		return -1;
	}
	/* A torn last block is asked again. */
	p->have = (uint64_t)st.st_size / bs * bs;
	if (p->have > p->m.size)
		p->have = 0;
	if (ftruncate(p->fd, (off_t)p->have) == -1)
		return -1;
	return 0;
}

/* The manifest came: the owner takes it or not, then the image. */
static void
pull_got_manifest(struct pull *p, const coap_pdu_t *rcvd)
{
	const uint8_t *data;
	enum fw_result result;
	size_t len = 0;
	char err[256];

	p->want_manifest = 0;
	if (!coap_get_data(rcvd, &len, &data))
		len = 0;
	memset(&p->m, 0, sizeof(p->m));
	if ((result = p->ops->manifest(p, data, len, &p->m, err,
	    sizeof(err))) != FW_RESULT_INITIAL) {
		pull_fail(p, result, err);
		return;
	}
	if (pull_open(p, 1) == -1) {
		pull_fail(p, FW_RESULT_NO_STORAGE, "cannot stage the image");
		return;
	}
	pull_request(p);
}

/* Writes one block's payload; the next request or the end follows. */
static void
pull_block(struct pull *p, const coap_pdu_t *rcvd)
{
	enum fw_result result;
	const uint8_t *data;
	const char *why;
	size_t len;

	switch (fwp_block(rcvd, &p->etag, p->have, p->m.size, &p->szx,
	    &data, &len, &result, &why)) {
	case FWP_BLOCK_FAIL:
		pull_fail(p, result, why);
		return;
	case FWP_BLOCK_STRAY:
		/* A stray or repeated answer: ask again from where we are. */
		pull_schedule(p, 0);
		return;
	case FWP_BLOCK_OK:
		break;
	}
	if (pwrite(p->fd, data, len, (off_t)p->have) != (ssize_t)len) {
		log_warn("%s: %s", p->what, p->file);
		pull_fail(p, FW_RESULT_NO_STORAGE, "cannot write the staged "
		    "image");
		return;
	}
	p->have += len;
	p->retries = 0;
	if (++p->blocks >= PULL_SYNC_BLOCKS) {
		p->blocks = 0;
		(void)fdatasync(p->fd);
	}
	if (p->have == p->m.size)
		pull_complete(p);
	else
		pull_request(p);
}

/* Whether the owner still wants the fetch; ends it when not. */
static int
pull_wanted(struct pull *p)
{
	if (p->ops->wanted(p))
		return 1;
	pull_fail(p, FW_RESULT_CANCELLED, "download cancelled");
	return 0;
}

static coap_response_t
pull_response(coap_session_t *s, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	struct pull *p = coap_session_get_app_data(s);
	coap_bin_const_t tok = coap_pdu_get_token(rcvd);
	coap_pdu_code_t code = coap_pdu_get_code(rcvd);

	(void)sent;
	(void)mid;
	if (p == NULL || !p->active || p->toklen == 0 ||
	    tok.length != p->toklen || memcmp(tok.s, p->token, p->toklen) != 0)
		return COAP_RESPONSE_OK;
	p->toklen = 0;
	if (!pull_wanted(p))
		return COAP_RESPONSE_OK;
	if (code == COAP_RESPONSE_CODE_CONTENT && p->want_manifest)
		pull_got_manifest(p, rcvd);
	else if (code == COAP_RESPONSE_CODE_CONTENT)
		pull_block(p, rcvd);
	else if (COAP_RESPONSE_CLASS(code) == 4)
		pull_fail(p, FW_RESULT_INVALID_URI, "the gateway refused the "
		    "request (4.xx): no such image there");
	else
		pull_schedule(p, 1000);	/* 5.xx: ask again later */
	return COAP_RESPONSE_OK;
}

static void
pull_nack(coap_session_t *s, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct pull *p = coap_session_get_app_data(s);
	int64_t wait;

	(void)sent;
	(void)reason;
	(void)mid;
	if (p == NULL || !p->active || p->toklen == 0)
		return;
	p->toklen = 0;
	if (p->retries_max > 0 && p->retries >= p->retries_max) {
		pull_fail(p, FW_RESULT_CONNECTION_LOST, "no answer to its "
		    "requests");
		return;
	}
	wait = fwp_backoff(p->retries++);
	log_info("%s: no answer for the block at %" PRIu64 ", asking again in "
	    "%" PRId64 " ms", p->what, p->have, wait);
	pull_schedule(p, wait);
}

/* Asks for the manifest, or the block at p->have. */
static void
pull_request(struct pull *p)
{
	coap_address_t server;
	coap_pdu_t *pdu;

	if (p->session == NULL) {
		session_address(&server, &p->server, p->server_len);
		if ((p->session = session_client(p->node, p->ctx, NULL,
		    &server, p->secure, p->node->cfg.endpoint)) == NULL) {
			pull_schedule(p, 1000);
			return;
		}
		coap_session_set_app_data(p->session, p);
		session_kick(coap_get_app_data(p->ctx));
	}
	if ((pdu = fwp_request(p->session, p->path, p->want_manifest, p->have,
	    p->szx, p->token, &p->toklen)) == NULL) {
		pull_fail(p, FW_RESULT_INVALID_URI, "cannot ask for the image "
		    "at its URI (only paths on the gateway are fetched)");
		return;
	}
	if (coap_send(p->session, pdu) == COAP_INVALID_MID) {
		p->toklen = 0;
		pull_schedule(p, 1000);
	}
}

static void
pull_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pull *p = arg;

	(void)fd;
	(void)what;
	if (!p->active || p->toklen != 0 || !pull_wanted(p))
		return;
	if (!p->want_manifest && p->have == p->m.size)
		pull_complete(p);	/* the file had every byte */
	else
		pull_request(p);
}

/* A new target: the session to the old one goes. */
static void
pull_release(struct pull *p)
{
	if (p->session != NULL) {
		coap_session_set_app_data(p->session, NULL);
		coap_session_release(p->session);
		p->session = NULL;
	}
}

int
pull_target(struct pull *p, const char *uri)
{
	pull_release(p);
	return fwp_target(uri, &p->server, &p->server_len, &p->secure,
	    p->path, sizeof(p->path));
}

void
pull_gateway(struct pull *p, const char *path)
{
	struct node *n = p->node;

	if (p->server_len != n->gateway_len || p->secure != n->secure ||
	    memcmp(&p->server, &n->gateway, n->gateway_len) != 0)
		pull_release(p);
	memcpy(&p->server, &n->gateway, n->gateway_len);
	p->server_len = n->gateway_len;
	p->secure = n->secure;
	snprintf(p->path, sizeof(p->path), "%s", path);
}

void
pull_manifest(struct pull *p)
{
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	p->have = 0;
	p->active = 1;
	p->want_manifest = 1;
	p->retries = 0;
	p->toklen = 0;
	pull_request(p);
}

int
pull_image(struct pull *p, const struct fw_manifest *m, int fresh,
    int64_t delay_ms)
{
	if (&p->m != m)
		p->m = *m;
	if (pull_open(p, fresh) == -1) {
		pull_drop(p);
		return -1;
	}
	p->active = 1;
	p->want_manifest = 0;
	p->retries = 0;
	p->toklen = 0;
	pull_schedule(p, delay_ms);
	return 0;
}

int
pull_init(struct pull *p, struct node *n, coap_context_t *ctx,
    const char *file, const char *what, const struct pull_ops *ops,
    void *arg)
{
	memset(p, 0, sizeof(*p));
	p->node = n;
	p->ctx = ctx;
	p->fd = -1;
	p->ops = ops;
	p->arg = arg;
	p->what = what;
	p->szx = fwp_szx(n->cfg.fw_block_size);
	snprintf(p->file, sizeof(p->file), "%s", file);
	if ((p->timer = evtimer_new(n->base, pull_timer_cb, p)) == NULL)
		return -1;
	return 0;
}

void
pull_free(struct pull *p)
{
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	pull_release(p);
	if (p->timer != NULL)
		event_free(p->timer);
	p->timer = NULL;
}

static void
pull_io_cb(evutil_socket_t fd, short what, void *arg)
{
	coap_context_t *ctx = arg;

	(void)fd;
	(void)what;
	coap_io_process(ctx, COAP_IO_NO_WAIT);
}

int
pull_context(struct node *n, coap_context_t **ctx, struct event **ev)
{
	int fd;

	*ev = NULL;
	if ((*ctx = coap_new_context(NULL)) == NULL)
		return -1;
	coap_register_response_handler(*ctx, pull_response);
	coap_register_nack_handler(*ctx, pull_nack);
	if ((fd = coap_context_get_coap_fd(*ctx)) == -1 ||
	    (*ev = event_new(n->base, fd, EV_READ | EV_PERSIST, pull_io_cb,
	    *ctx)) == NULL || event_add(*ev, NULL) == -1 ||
	    session_watch(n->base, *ctx, *ev) == -1)
		return -1;
	coap_set_app_data(*ctx, *ev);	/* for session_kick */
	return 0;
}

void
pull_context_free(coap_context_t **ctx, struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	if (*ctx != NULL) {
		session_unwatch(*ctx);
		coap_free_context(*ctx);
	}
	*ev = NULL;
	*ctx = NULL;
}
