/*
 * uri.h: parsers of addresses and URIs. The gateway's URI and the local
 * listen address come from node.ini or the command line; the Package URI a
 * server writes to /5/0/1 and the Location-Path of a registration come from
 * the network and are hostile until checked.
 *
 * Pure functions: no allocation, no I/O, no DNS. Lengths come from the
 * caller and nothing is read beyond them. A failure leaves every output
 * untouched and puts a NUL-terminated reason in err.
 */
#ifndef OUTPOST_NODE_URI_H
#define OUTPOST_NODE_URI_H

#include <stddef.h>
#include <stdint.h>

#define URI_HOST_MAX		64	/* bytes of a host, with the NUL */
#define URI_PKG_MAX		255	/* bytes of a Package URI */
#define URI_LOCATION_MAX	128	/* bytes of "rd/5f3a..", with the NUL */
#define URI_LOCATION_SEGS	4	/* Location-Path segments kept */
#define URI_SEGMENT_MAX		63	/* bytes of one segment */

/*
 * "coap://HOST[:PORT][/]" or "coaps://HOST[:PORT][/]" (DTLS): HOST is an
 * IPv4 address, a bracketed IPv6 address or a DNS name (letters, digits,
 * '-', '.'); PORT defaults to 5683, 5684 for coaps. The scheme is
 * case-insensitive; no user info, path, query or fragment. host gets the
 * name without brackets, *secure (when not NULL) 1 for coaps. Returns 0
 * or -1 with err.
 */
int	uri_parse_gateway(const char *s, char host[URI_HOST_MAX],
	    uint16_t *port, int *secure, char *err, size_t errlen);

/*
 * "HOST:PORT" with a numeric host ("127.0.0.1:5690", "[::1]:5690") and a
 * port 1..65535. Returns 0 or -1 with err.
 */
int	uri_parse_hostport(const char *s, char host[URI_HOST_MAX],
	    uint16_t *port, char *err, size_t errlen);

enum uri_pkg {
	URI_PKG_OK,		/* a scheme we can download from */
	URI_PKG_UNSUPPORTED,	/* well formed, scheme not ours */
	URI_PKG_INVALID,	/* printable, but not an absolute URI */
	URI_PKG_MALFORMED,	/* empty, too long, or bytes that are no URI */
};

/*
 * Classifies a Package URI written by a server (len bytes, no NUL needed).
 * Schemes we download from: coap, coaps, coap+tcp, coaps+tcp, http, https.
 * A URI is SCHEME "://" HOST [rest], every byte printable ASCII without
 * space, at most URI_PKG_MAX bytes.
 */
enum uri_pkg uri_check_package(const uint8_t *buf, size_t len);

/*
 * Appends one Location-Path segment (len bytes) to loc, a NUL-terminated
 * "seg/seg" string of size URI_LOCATION_MAX. A segment is 1..URI_SEGMENT_MAX
 * bytes of RFC 3986 pchar without '%'; at most URI_LOCATION_SEGS segments.
 * Returns 0 or -1 with err (loc unchanged).
 */
int	uri_location_add(char loc[URI_LOCATION_MAX], const uint8_t *seg,
	    size_t len, char *err, size_t errlen);

/* Whether s (len bytes) is a valid LwM2M endpoint name, as the gateway
 * checks it: 1..63 bytes of [A-Za-z0-9] and "-._:~@+!$*". */
int	uri_is_endpoint(const char *s, size_t len);

#endif /* OUTPOST_NODE_URI_H */
