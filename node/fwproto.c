/*
 * fwproto.c: the pull of a firmware image as the agent (fwget.c) and each
 * fleet device (fleetfw.c) do it, without the state either keeps: where a
 * Package URI points, whether a fetched manifest is taken, the GET of the
 * manifest or of one Block2 block, what an answer with a block means, and
 * how long to wait after a request got no answer.
 *
 * Both fetch through a libcoap context without block mode: with it,
 * libcoap 4.3.1 answers a request for block 0 whose answer has more by
 * fetching every following block itself and (COAP_BLOCK_SINGLE_BODY)
 * assembling the whole image in memory before the handler sees any of it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "node/coap.h"
#include "node/uri.h"

#define FWP_RETRY_MAX_MS	30000	/* between retries, at most */

int
fwp_sockaddr(const char *host, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
	} else {
		return -1;
	}
	return 0;
}

int
fwp_target(const char *uri, struct sockaddr_storage *ss, socklen_t *sslen,
    int *secure, char *path, size_t pathlen)
{
	char auth[URI_PKG_MAX + 1], host[URI_HOST_MAX], err[128];
	const char *slash, *rest;
	uint16_t port;

	if (strncasecmp(uri, "coap://", 7) == 0)
		rest = uri + 7;
	else if (strncasecmp(uri, "coaps://", 8) == 0)
		rest = uri + 8;
	else
		return -1;
	if ((slash = strchr(rest, '/')) == NULL ||
	    (size_t)(slash - uri) >= sizeof(auth) || strlen(slash) >= pathlen)
		return -1;
	memcpy(auth, uri, (size_t)(slash - uri));
	auth[slash - uri] = '\0';
	if (uri_parse_gateway(auth, host, &port, secure, err, sizeof(err)) ==
	    -1 ||
	    fwp_sockaddr(host, port, ss, sslen) == -1)
		return -1;
	snprintf(path, pathlen, "%s", slash);
	return 0;
}

enum fw_result
fwp_manifest(const void *doc, size_t len, const struct fw_keyring *keys,
    const char *vendor, const char *class, uint64_t installed,
    struct fw_manifest *m, char *err, size_t errlen)
{
	enum fw_verdict v;

	v = keys != NULL ? fw_manifest_decode(doc, len, keys, m, err, errlen) :
	    fw_manifest_parse(doc, len, m, err, errlen);
	if (v != FW_OK)
		return FW_RESULT_INTEGRITY;
	if ((vendor != NULL && strcmp(m->vendor, vendor) != 0) ||
	    (class != NULL && strcmp(m->class, class) != 0)) {
		snprintf(err, errlen, "not this device's vendor and class");
		return FW_RESULT_UNSUPPORTED_TYPE;
	}
	if (m->seq <= installed) {
		snprintf(err, errlen, "sequence number not above the installed "
		    "one");
		return FW_RESULT_UNSUPPORTED_TYPE;
	}
	return FW_RESULT_INITIAL;
}

/* Adds the path of a relative URI ("/fw/ID") as Uri-Path options. */
static int
fwp_add_path(coap_pdu_t *pdu, const char *uri)
{
	const char *p = uri, *slash;
	size_t len;

	if (*p != '/')
		return -1;
	while (*p == '/') {
		p++;
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || !coap_add_option(pdu, COAP_OPTION_URI_PATH,
		    len, (const uint8_t *)p))
			return -1;
		p += len;
	}
	return 0;
}

coap_pdu_t *
fwp_request(coap_session_t *s, const char *path, int manifest, uint64_t have,
    unsigned szx, uint8_t token[8], size_t *toklen)
{
	static const char suffix[] = "manifest";
	coap_pdu_t *pdu;
	uint8_t buf[4];
	unsigned num = (unsigned)(have >> (szx + 4));

	if ((pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET,
	    s)) == NULL)
		return NULL;
	coap_session_new_token(s, toklen, token);
	if (!coap_add_token(pdu, *toklen, token) ||
	    fwp_add_path(pdu, path) == -1 ||
	    (manifest && !coap_add_option(pdu, COAP_OPTION_URI_PATH,
	    sizeof(suffix) - 1, (const uint8_t *)suffix)) ||
	    (!manifest && !coap_add_option(pdu, COAP_OPTION_BLOCK2,
	    coap_encode_var_safe(buf, sizeof(buf), num << 4 | szx), buf))) {
		coap_delete_pdu(pdu);
		*toklen = 0;
		return NULL;
	}
	return pdu;
}

enum fwp_block
fwp_block(const coap_pdu_t *rcvd, struct fwp_etag *etag, uint64_t have,
    uint64_t size, unsigned *szx, const uint8_t **data, size_t *len,
    enum fw_result *result, const char **why)
{
	coap_block_t b;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	const uint8_t *tag = NULL;
	size_t taglen = 0;
	uint64_t off;

	*len = 0;
	if (!coap_get_block(rcvd, COAP_OPTION_BLOCK2, &b)) {
		*result = FW_RESULT_UNSUPPORTED_PROTOCOL;
		*why = "an answer without Block2";
		return FWP_BLOCK_FAIL;
	}
	if ((opt = coap_check_option(rcvd, COAP_OPTION_ETAG, &it)) != NULL) {
		tag = coap_opt_value(opt);
		taglen = coap_opt_length(opt);
	}
	if (taglen > sizeof(etag->v)) {
		*result = FW_RESULT_UNSUPPORTED_PROTOCOL;
		*why = "an ETag longer than 8 bytes";
		return FWP_BLOCK_FAIL;
	}
	if (!etag->seen) {
		etag->seen = 1;
		etag->len = (uint8_t)taglen;
		if (taglen > 0)
			memcpy(etag->v, tag, taglen);
	} else if (taglen != etag->len ||
	    (taglen > 0 && memcmp(tag, etag->v, taglen) != 0)) {
		*result = FW_RESULT_INTEGRITY;
		*why = "the server changed the image during the download "
		    "(another ETag)";
		return FWP_BLOCK_FAIL;
	}
	if (b.szx < *szx)
		*szx = b.szx;	/* the server chose smaller blocks */
	off = (uint64_t)b.num << (b.szx + 4);
	if (!coap_get_data(rcvd, len, data))
		*len = 0;
	if (off != have || *len == 0 || *len > size - have ||
	    (b.m && have + *len == size))
		return FWP_BLOCK_STRAY;
	return FWP_BLOCK_OK;
}

int64_t
fwp_backoff(int retries)
{
	int64_t wait = retries < 5 ? 1000LL << retries : FWP_RETRY_MAX_MS;

	return wait > FWP_RETRY_MAX_MS ? FWP_RETRY_MAX_MS : wait;
}

unsigned
fwp_szx(int block_size)
{
	unsigned szx = 0;

	while ((16u << (szx + 1)) <= (unsigned)block_size && szx < 6)
		szx++;
	return szx;
}
