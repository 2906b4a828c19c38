/*
 * uri.c: see uri.h. Character classes are tested by byte value, never
 * through the locale.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "node/uri.h"

static void	uri_error(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
uri_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
uri_is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
uri_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int
uri_in(uint8_t c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

int
uri_is_endpoint(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63)
		return 0;
	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];

		if (!uri_is_alpha(c) && !uri_is_digit(c) &&
		    !uri_in(c, "-._:~@+!$*"))
			return 0;
	}
	return 1;
}

/* Parses a decimal port of len bytes into *port. lo is 0 or 1. */
static int
uri_port(const char *s, size_t len, long lo, uint16_t *port)
{
	long n = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!uri_is_digit((uint8_t)s[i]))
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (n < lo || n > 65535)
		return -1;
	*port = (uint16_t)n;
	return 0;
}

/*
 * Splits "HOST[:PORT]" or "[V6][:PORT]" (len bytes) into host and the port
 * text. Returns 0 or -1; *bracketed tells whether HOST was in brackets.
 */
static int
uri_split_host(const char *s, size_t len, char host[URI_HOST_MAX],
    const char **port, size_t *portlen, int *bracketed)
{
	const char *end = s + len, *hend, *colon;

	*bracketed = 0;
	if (len > 0 && s[0] == '[') {
		if ((hend = memchr(s, ']', len)) == NULL)
			return -1;
		*bracketed = 1;
		colon = hend + 1 < end ? hend + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return -1;
		s++;
	} else {
		colon = memchr(s, ':', len);
		hend = colon != NULL ? colon : end;
	}
	if (hend == s || (size_t)(hend - s) >= URI_HOST_MAX)
		return -1;
	memcpy(host, s, (size_t)(hend - s));
	host[hend - s] = '\0';
	*port = colon != NULL ? colon + 1 : NULL;
	*portlen = colon != NULL ? (size_t)(end - colon - 1) : 0;
	return 0;
}

int
uri_parse_gateway(const char *s, char host[URI_HOST_MAX], uint16_t *port,
    int *secure, char *err, size_t errlen)
{
	char h[URI_HOST_MAX];
	unsigned char bin[16];
	const char *auth, *pt;
	size_t len, plen, i;
	uint16_t p = 5683;
	int br, tls = 0;

	if (strncasecmp(s, "coaps://", 8) == 0) {
		tls = 1;
		p = 5684;
		auth = s + 8;
	} else if (strncasecmp(s, "coap://", 7) == 0) {
		auth = s + 7;
	} else {
		uri_error(err, errlen, "'%s': expected coap://HOST[:PORT] or "
		    "coaps://HOST[:PORT]", s);
		return -1;
	}
	len = strlen(auth);
	if (len > 0 && auth[len - 1] == '/')
		len--;
	if (memchr(auth, '/', len) != NULL || memchr(auth, '?', len) ||
	    memchr(auth, '@', len) != NULL || memchr(auth, '#', len) ||
	    uri_split_host(auth, len, h, &pt, &plen, &br) == -1) {
		uri_error(err, errlen, "'%s': expected coap%s://HOST[:PORT]", s,
		    tls ? "s" : "");
		return -1;
	}
	if (pt != NULL && uri_port(pt, plen, 1, &p) == -1) {
		uri_error(err, errlen, "'%s': port must be 1..65535", s);
		return -1;
	}
	if (br) {
		if (inet_pton(AF_INET6, h, bin) != 1) {
			uri_error(err, errlen, "'%s': bad IPv6 address", s);
			return -1;
		}
	} else {
		for (i = 0; h[i] != '\0'; i++)
			if (!uri_is_alpha((uint8_t)h[i]) &&
			    !uri_is_digit((uint8_t)h[i]) &&
			    h[i] != '-' && h[i] != '.')
				break;
		if (h[i] != '\0') {
			uri_error(err, errlen, "'%s': bad host name", s);
			return -1;
		}
	}
	memcpy(host, h, strlen(h) + 1);
	*port = p;
	if (secure != NULL)
		*secure = tls;
	return 0;
}

int
uri_parse_hostport(const char *s, char host[URI_HOST_MAX], uint16_t *port,
    char *err, size_t errlen)
{
	char h[URI_HOST_MAX];
	unsigned char bin[16];
	const char *pt;
	size_t plen;
	uint16_t p;
	int br;

	if (uri_split_host(s, strlen(s), h, &pt, &plen, &br) == -1 ||
	    pt == NULL) {
		uri_error(err, errlen, "'%s': expected HOST:PORT or "
		    "[HOST]:PORT", s);
		return -1;
	}
	if (uri_port(pt, plen, 1, &p) == -1) {
		uri_error(err, errlen, "'%s': port must be 1..65535", s);
		return -1;
	}
	if ((br && inet_pton(AF_INET6, h, bin) != 1) ||
	    (!br && inet_pton(AF_INET, h, bin) != 1)) {
		uri_error(err, errlen, "'%s': host must be a numeric IPv4 or "
		    "[IPv6] address", s);
		return -1;
	}
	memcpy(host, h, strlen(h) + 1);
	*port = p;
	return 0;
}

enum uri_pkg
uri_check_package(const uint8_t *buf, size_t len)
{
	static const char *const schemes[] = {
		"coap", "coaps", "coap+tcp", "coaps+tcp", "http", "https"
	};
	size_t i, slen;

	if (buf == NULL || len == 0 || len > URI_PKG_MAX)
		return URI_PKG_MALFORMED;
	for (i = 0; i < len; i++)
		if (buf[i] <= 0x20 || buf[i] >= 0x7f)
			return URI_PKG_MALFORMED;
	/* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (!uri_is_alpha(buf[0]))
		return URI_PKG_INVALID;
	for (slen = 1; slen < len && buf[slen] != ':'; slen++)
		if (!uri_is_alpha(buf[slen]) && !uri_is_digit(buf[slen]) &&
		    !uri_in(buf[slen], "+-."))
			return URI_PKG_INVALID;
	if (len - slen < 4 || memcmp(buf + slen, "://", 3) != 0 ||
	    buf[slen + 3] == '/' || buf[slen + 3] == '?' ||
	    buf[slen + 3] == '#')
		return URI_PKG_INVALID;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i]) == slen &&
		    strncasecmp(schemes[i], (const char *)buf, slen) == 0)
			return URI_PKG_OK;
	return URI_PKG_UNSUPPORTED;
}

int
uri_location_add(char loc[URI_LOCATION_MAX], const uint8_t *seg, size_t len,
    char *err, size_t errlen)
{
	size_t have = strlen(loc), i, nsegs = have > 0;

	for (i = 0; i < have; i++)
		nsegs += loc[i] == '/';
	if (len == 0 || len > URI_SEGMENT_MAX) {
		uri_error(err, errlen, "Location-Path segment of %zu bytes",
		    len);
		return -1;
	}
	if (nsegs == URI_LOCATION_SEGS) {
		uri_error(err, errlen, "more than %d Location-Path segments",
		    URI_LOCATION_SEGS);
		return -1;
	}
	for (i = 0; i < len; i++)
		if (!uri_is_alpha(seg[i]) && !uri_is_digit(seg[i]) &&
		    !uri_in(seg[i], "-._~!$&'()*+,;=:@")) {
			uri_error(err, errlen, "Location-Path byte 0x%02x",
			    seg[i]);
			return -1;
		}
	if (have + (have > 0) + len >= URI_LOCATION_MAX) {
		uri_error(err, errlen, "Location-Path too long");
		return -1;
	}
	if (have > 0)
		loc[have++] = '/';
	memcpy(loc + have, seg, len);
	loc[have + len] = '\0';
	return 0;
}
