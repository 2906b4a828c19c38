/*
 * fwserve.c: CoAP GET /fw/ID (the image, block-wise) and /fw/ID/manifest.
 *
 * Block2 is handled here, not by libcoap's large-body support: that would
 * need the whole image in one buffer. Each request names its block; the
 * block is read from the image's chunk in the store and nothing else is
 * kept between requests, so a node may ask for any block first (to resume)
 * and a thousand nodes cost no memory per node. The ETag is the start of
 * the image's SHA-256, Size2 its size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "modules/coap.h"
#include "modules/firmware.h"
#include "modules/fwserve.h"

#define FW_ETAG_LEN	8
#define FW_CF_OCTETS	42
#define FW_CF_JSON	50

static coap_context_t	*fwserve_ctx;	/* NULL until coap.c's init */

/* The image a resource serves: its path is "fw/ID" or "fw/ID/manifest". */
static struct fw_image *
fwserve_image(struct gateway *gw, coap_resource_t *r)
{
	coap_str_const_t *uri = coap_resource_get_uri_path(r);
	char id[FW_ID_LEN + 1];

	if (uri == NULL || uri->length < 3 + FW_ID_LEN)
		return NULL;
	memcpy(id, uri->s + 3, FW_ID_LEN);
	id[FW_ID_LEN] = '\0';
	return firmware_find(gw, id);
}

/* Checks the session and finds the image; answers the failures. */
static struct fw_image *
fwserve_begin(coap_resource_t *r, coap_session_t *s, coap_pdu_t *resp)
{
	struct gateway *gw = coap_resource_get_userdata(r);
	struct fw_image *img;

	gw->metrics.coap_in++;
	if (!coap_plain_allowed(gw, s)) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_UNAUTHORIZED,
		    "plain CoAP is not accepted from here: use DTLS");
		return NULL;
	}
	if ((img = fwserve_image(gw, r)) == NULL || !img->complete) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_NOT_FOUND,
		    "no such image");
		return NULL;
	}
	return img;
}

/* The block size exponent to answer with: the client's if smaller. */
static unsigned
fwserve_szx(struct gateway *gw, const coap_block_t *b, int asked)
{
	unsigned szx = 0;

	while ((16u << (szx + 1)) <= (unsigned)gw->cfg.fw_block_size &&
	    szx < 6)
		szx++;
	if (asked && b->szx < szx)
		szx = b->szx;
	return szx;
}

static void
fwserve_get_image(coap_resource_t *r, coap_session_t *s,
    const coap_pdu_t *req, const coap_string_t *query, coap_pdu_t *resp)
{
	struct gateway *gw = coap_resource_get_userdata(r);
	struct fw_image *img;
	coap_block_t b;
	uint8_t buf[1024], opt[8];
	uint64_t off;
	unsigned szx, bs;
	size_t len;
	int asked, more;
	long n;

	(void)query;
	if ((img = fwserve_begin(r, s, resp)) == NULL)
		return;
	memset(&b, 0, sizeof(b));
	asked = coap_get_block(req, COAP_OPTION_BLOCK2, &b);
	szx = fwserve_szx(gw, &b, asked);
	bs = 16u << szx;
	/* A larger block asked for is the same offset in ours (RFC 7959
	 * §2.4: the server may answer with a smaller size). */
	off = asked ? (uint64_t)b.num << (b.szx + 4) : 0;
	if (off >= img->m.size) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_BAD_OPTION,
		    "block past the end of the image");
		return;
	}
	len = img->m.size - off < bs ? (size_t)(img->m.size - off) : bs;
	more = off + len < img->m.size;
	if ((n = firmware_read(gw, img, off, buf, len)) != (long)len) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_INTERNAL_ERROR,
		    "cannot read the image");
		return;
	}
	coap_reply(gw, resp, COAP_RESPONSE_CODE_CONTENT, NULL);
	coap_add_option(resp, COAP_OPTION_ETAG, FW_ETAG_LEN, img->m.digest);
	coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(opt, sizeof(opt), FW_CF_OCTETS), opt);
	coap_add_option(resp, COAP_OPTION_BLOCK2,
	    coap_encode_var_safe(opt, sizeof(opt), (unsigned)(off / bs) << 4 |
	    (unsigned)more << 3 | szx), opt);
	coap_add_option(resp, COAP_OPTION_SIZE2,
	    coap_encode_var_safe8(opt, sizeof(opt), img->m.size), opt);
	coap_add_data(resp, len, buf);
}

static void
fwserve_release(coap_session_t *s, void *p)
{
	(void)s;
	free(p);
}

static void
fwserve_get_manifest(coap_resource_t *r, coap_session_t *s,
    const coap_pdu_t *req, const coap_string_t *query, coap_pdu_t *resp)
{
	struct gateway *gw = coap_resource_get_userdata(r);
	struct fw_image *img;
	uint8_t *copy;

	if ((img = fwserve_begin(r, s, resp)) == NULL)
		return;
	/* libcoap keeps the body until its last block is sent; the image
	 * may be deleted before that, so it gets its own copy. */
	if ((copy = malloc(img->doclen)) == NULL) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE_INTERNAL_ERROR,
		    "out of memory");
		return;
	}
	memcpy(copy, img->doc, img->doclen);
	coap_reply(gw, resp, COAP_RESPONSE_CODE_CONTENT, NULL);
	coap_add_data_large_response(r, s, req, resp, query, FW_CF_JSON, -1,
	    coap_decode_var_bytes8(img->m.digest, FW_ETAG_LEN), img->doclen,
	    copy, fwserve_release, copy);
}

static void
fwserve_add(struct gateway *gw, const char *path,
    coap_method_handler_t handler)
{
	coap_resource_t *r;
	coap_str_const_t *uri;

	if ((uri = coap_new_str_const((const uint8_t *)path,
	    strlen(path))) == NULL ||
	    (r = coap_resource_init(uri, COAP_RESOURCE_FLAGS_RELEASE_URI)) ==
	    NULL) {
		coap_delete_str_const(uri);
		log_warnx("coap: cannot add /%s", path);
		return;
	}
	coap_resource_set_userdata(r, gw);
	coap_register_request_handler(r, COAP_REQUEST_GET, handler);
	coap_add_resource(fwserve_ctx, r);
}

static void
fwserve_del(const char *path)
{
	coap_resource_t *r;
	coap_str_const_t uri = { strlen(path), (const uint8_t *)path };

	if ((r = coap_get_resource_from_uri_path(fwserve_ctx, &uri)) != NULL)
		coap_delete_resource(fwserve_ctx, r);
}

void
fwserve_image_added(struct gateway *gw, const struct fw_image *img)
{
	char path[64];

	if (fwserve_ctx == NULL)
		return;
	snprintf(path, sizeof(path), "fw/%s", img->id);
	fwserve_add(gw, path, fwserve_get_image);
	snprintf(path, sizeof(path), "fw/%s/manifest", img->id);
	fwserve_add(gw, path, fwserve_get_manifest);
}

void
fwserve_image_gone(struct gateway *gw, const struct fw_image *img)
{
	char path[64];

	(void)gw;
	if (fwserve_ctx == NULL)
		return;
	snprintf(path, sizeof(path), "fw/%s", img->id);
	fwserve_del(path);
	snprintf(path, sizeof(path), "fw/%s/manifest", img->id);
	fwserve_del(path);
}

int
fwserve_init(struct gateway *gw, coap_context_t *ctx)
{
	struct fw_image *img;

	fwserve_ctx = ctx;
	for (img = firmware_first(gw); img != NULL; img = img->next)
		if (img->complete)
			fwserve_image_added(gw, img);
	return 0;
}

void
fwserve_stop(void)
{
	fwserve_ctx = NULL;
}
