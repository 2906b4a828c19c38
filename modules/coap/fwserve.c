/*
 * fwserve.c: CoAP GET /fw/ID (the image, block-wise) and /fw/ID/manifest.
 *
 * Block2 is handled here, not by libcoap's large-body support: that would
 * need the whole image in one buffer. Each request names its block; the
 * block is read from the image's chunk in the store and nothing else is
 * kept between requests, so a node may ask for any block first (to resume)
 * and a thousand nodes cost no memory per node. The ETag is the start of
 * the image's SHA-256, Size2 its size.
 *
 * Announcements: a non-confirmable POST /fw carrying the signed manifest
 * to the IPv4 and IPv6 groups of [firmware], on its interface and with its
 * hop limit, sent [firmware] repeat times, interval_ms apart (a NON may be
 * lost; nodes ignore a manifest they have already acted on). It carries
 * No-Response (RFC 7967) for every class: a thousand nodes answering a
 * multicast would be a storm.
 */
#include <sys/types.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "modules/coap/coap.h"
#include "modules/firmware/firmware.h"
#include "modules/coap/fwserve.h"

#define FW_ETAG_LEN	8
#define FW_CF_OCTETS	42
#define FW_CF_JSON	50

#define FW_NORESPONSE	258	/* RFC 7967 */
#define FW_NORESP_ALL	26	/* 2.xx, 4.xx and 5.xx */


/* One announcement being repeated. */
struct fw_announce {
	struct gateway		*gw;
	char			 id[FW_ID_LEN + 1];
	char			*doc;
	size_t			 len;
	int			 left;		/* sends to go */
	coap_session_t		*s[2];		/* IPv4, IPv6; or NULL */
	struct event		*ev;
	struct fw_announce	*next;
};

/* What fwserve keeps: gw->fwserve, from coap.c's init to its stop. */
struct fwserve {
	struct fw_announce	*announces;
};

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
	if ((img = fwserve_image(gw, r)) == NULL || !img->complete ||
	    !img->trusted) {
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

void
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

void
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

void
fwserve_image_added(struct gateway *gw, const struct fw_image *img)
{
	char path[64];

	if (gw->fwserve == NULL)
		return;
	snprintf(path, sizeof(path), "fw/%s", img->id);
	coap_route_instance(gw, "fw/{}", path);
	snprintf(path, sizeof(path), "fw/%s/manifest", img->id);
	coap_route_instance(gw, "fw/{}/manifest", path);
}

void
fwserve_image_gone(struct gateway *gw, const struct fw_image *img)
{
	char path[64];

	if (gw->fwserve == NULL)
		return;
	snprintf(path, sizeof(path), "fw/%s", img->id);
	coap_route_forget(gw, path);
	snprintf(path, sizeof(path), "fw/%s/manifest", img->id);
	coap_route_forget(gw, path);
}

/* The first IPv4 address of interface name into a, port 0. */
static int
fwserve_if_addr4(const char *name, coap_address_t *a)
{
	struct ifaddrs *ifa, *p;
	int rc = -1;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (p = ifa; p != NULL; p = p->ifa_next) {
		if (p->ifa_addr == NULL || p->ifa_addr->sa_family != AF_INET ||
		    strcmp(p->ifa_name, name) != 0)
			continue;
		coap_address_init(a);
		memcpy(&a->addr.sin, p->ifa_addr, sizeof(a->addr.sin));
		a->addr.sin.sin_port = 0;
		a->size = sizeof(a->addr.sin);
		rc = 0;
		break;
	}
	freeifaddrs(ifa);
	return rc;
}

/* A session to one group: the interface picks the source (IPv4, whose
 * address routes a multicast datagram out of its interface) or the scope
 * (IPv6). NULL when the group is not usable; logged. */
static coap_session_t *
fwserve_group_session(struct gateway *gw, const char *group)
{
	const char *ifname = gw->cfg.fw_interface;
	coap_address_t dst, local, *lp = NULL;
	coap_session_t *s;

	coap_address_init(&dst);
	if (inet_pton(AF_INET, group, &dst.addr.sin.sin_addr) == 1) {
		dst.addr.sin.sin_family = AF_INET;
		dst.addr.sin.sin_port = htons((uint16_t)gw->cfg.fw_port);
		dst.size = sizeof(dst.addr.sin);
		if (ifname[0] != '\0') {
			if (fwserve_if_addr4(ifname, &local) == -1) {
				log_warnx("firmware: interface %s has no IPv4 "
				    "address: not announcing to %s", ifname,
				    group);
				return NULL;
			}
			lp = &local;
		}
	} else if (inet_pton(AF_INET6, group,
	    &dst.addr.sin6.sin6_addr) == 1) {
		dst.addr.sin6.sin6_family = AF_INET6;
		dst.addr.sin6.sin6_port = htons((uint16_t)gw->cfg.fw_port);
		dst.size = sizeof(dst.addr.sin6);
		if (ifname[0] != '\0')
			dst.addr.sin6.sin6_scope_id = if_nametoindex(ifname);
	} else {
		log_warnx("firmware: '%s' is not a multicast group", group);
		return NULL;
	}
	if (!coap_is_mcast(&dst)) {
		log_warnx("firmware: '%s' is not a multicast group", group);
		return NULL;
	}
	if ((s = coap_new_client_session(gw->coap->ctx, lp, &dst,
	    COAP_PROTO_UDP)) == NULL) {
		log_warnx("firmware: cannot open a session to %s", group);
		return NULL;
	}
	coap_mcast_set_hops(s, (size_t)gw->cfg.fw_hops);
	return s;
}

/* Sends one NON POST /fw with the manifest on s. */
static void
fwserve_send(struct fw_announce *a, coap_session_t *s)
{
	uint8_t buf[8], tok[8];
	size_t toklen;
	coap_pdu_t *pdu;

	if ((pdu = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_POST,
	    s)) == NULL)
		return;
	coap_session_new_token(s, &toklen, tok);
	if (!coap_add_token(pdu, toklen, tok) ||
	    !coap_add_option(pdu, COAP_OPTION_URI_PATH, 2,
	    (const uint8_t *)"fw") ||
	    !coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(buf, sizeof(buf), FW_CF_JSON), buf) ||
	    !coap_add_option(pdu, FW_NORESPONSE,
	    coap_encode_var_safe(buf, sizeof(buf), FW_NORESP_ALL), buf) ||
	    !coap_add_data(pdu, a->len, (const uint8_t *)a->doc)) {
		log_warnx("firmware %s: the manifest does not fit in one "
		    "datagram", a->id);
		coap_delete_pdu(pdu);
		return;
	}
	if (coap_send(s, pdu) == COAP_INVALID_MID)
		log_warnx("firmware %s: announcement not sent", a->id);
}

static void
fwserve_announce_free(struct fw_announce *a)
{
	struct fw_announce **pp;
	int i;

	for (pp = &a->gw->fwserve->announces; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	for (i = 0; i < 2; i++)
		if (a->s[i] != NULL) {
			coap_io_sockets_changed(a->gw->coap->ctx);
			coap_session_release(a->s[i]);
		}
	if (a->ev != NULL)
		event_free(a->ev);
	free(a->doc);
	free(a);
}

static void
fwserve_announce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fw_announce *a = arg;
	struct timeval tv;
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < 2; i++)
		if (a->s[i] != NULL)
			fwserve_send(a, a->s[i]);
	a->gw->metrics.coap_out++;
	if (--a->left <= 0) {
		fwserve_announce_free(a);
		return;
	}
	tv.tv_sec = a->gw->cfg.fw_interval_ms / 1000;
	tv.tv_usec = (a->gw->cfg.fw_interval_ms % 1000) * 1000;
	evtimer_add(a->ev, &tv);
}

int
fwserve_announce(struct gateway *gw, const struct fw_image *img)
{
	struct fw_announce *a;

	if (gw->fwserve == NULL || !img->trusted ||
	    (a = calloc(1, sizeof(*a))) == NULL)
		return -1;
	a->gw = gw;
	memcpy(a->id, img->id, sizeof(a->id));
	a->left = gw->cfg.fw_repeat;
	/* The compact form: the signature covers the fields, not the
	 * spelling, and it always fits a datagram. */
	if ((a->doc = fw_manifest_json(&img->m)) == NULL ||
	    (a->ev = evtimer_new(gw->base, fwserve_announce_cb, a)) == NULL) {
		fwserve_announce_free(a);
		return -1;
	}
	a->len = strlen(a->doc);
	a->s[0] = fwserve_group_session(gw, gw->cfg.fw_group4);
	a->s[1] = fwserve_group_session(gw, gw->cfg.fw_group6);
	if (a->s[0] == NULL && a->s[1] == NULL) {
		fwserve_announce_free(a);
		return -1;
	}
	a->next = gw->fwserve->announces;
	gw->fwserve->announces = a;
	log_info("firmware %s: announcing %s/%s seq %" PRIu64 " %d times",
	    img->id, img->m.vendor, img->m.class, img->m.seq, a->left);
	event_active(a->ev, EV_TIMEOUT, 0);
	return 0;
}

int
fwserve_init(struct gateway *gw)
{
	struct fw_image *img;

	if ((gw->fwserve = calloc(1, sizeof(*gw->fwserve))) == NULL)
		return -1;
	for (img = firmware_first(gw); img != NULL; img = img->next)
		if (img->complete && img->trusted)
			fwserve_image_added(gw, img);
	return 0;
}

void
fwserve_stop(struct gateway *gw)
{
	if (gw->fwserve == NULL)
		return;
	while (gw->fwserve->announces != NULL)
		fwserve_announce_free(gw->fwserve->announces);
	free(gw->fwserve);
	gw->fwserve = NULL;
}
