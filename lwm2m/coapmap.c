/*
 * coapmap.c: see coapmap.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lwm2m/coapmap.h"
#include "parse.h"

static const struct {
	int		 cf;
	const char	*type;		/* as sent in HTTP */
} coapmap_types[] = {
	{ 0,	 "text/plain;charset=utf-8" },
	{ 40,	 "application/link-format" },
	{ 42,	 "application/octet-stream" },
	{ 50,	 "application/json" },
	{ 60,	 "application/cbor" },
	{ 110,	 "application/senml+json" },
	{ 112,	 "application/senml+cbor" },
	{ 11542, "application/vnd.oma.lwm2m+tlv" },
	{ 11543, "application/vnd.oma.lwm2m+json" },
};
#define NTYPES (sizeof(coapmap_types) / sizeof(coapmap_types[0]))

/* RFC 8075 §7, Table 2. */
static const struct {
	int	code;		/* class * 100 + detail */
	int	status;
	int	status_nobody;	/* where 204 fits an answer without body */
} coapmap_codes[] = {
	{ 201, 201, 201 }, { 202, 200, 204 }, { 203, 304, 304 },
	{ 204, 200, 204 }, { 205, 200, 200 },
	{ 400, 400, 400 }, { 401, 403, 403 }, { 402, 400, 400 },
	{ 403, 403, 403 }, { 404, 404, 404 }, { 405, 400, 400 },
	{ 406, 406, 406 }, { 408, 400, 400 }, { 409, 409, 409 },
	{ 412, 412, 412 }, { 413, 413, 413 }, { 415, 415, 415 },
	{ 422, 422, 422 }, { 429, 429, 429 },
	{ 500, 500, 500 }, { 501, 501, 501 }, { 502, 502, 502 },
	{ 503, 503, 503 }, { 504, 504, 504 }, { 505, 502, 502 },
};

/* RFC 7252 12.1.2, RFC 7959, RFC 8132, RFC 8516: the error codes. */
static const struct {
	int		 code;
	const char	*phrase, *name;
} coapmap_errors[] = {
	{ 400, "Bad Request", "bad_request" },
	{ 401, "Unauthorized", "unauthorized" },
	{ 402, "Bad Option", "bad_option" },
	{ 403, "Forbidden", "forbidden" },
	{ 404, "Not Found", "not_found" },
	{ 405, "Method Not Allowed", "method_not_allowed" },
	{ 406, "Not Acceptable", "not_acceptable" },
	{ 408, "Request Entity Incomplete", "request_entity_incomplete" },
	{ 409, "Conflict", "conflict" },
	{ 412, "Precondition Failed", "precondition_failed" },
	{ 413, "Request Entity Too Large", "request_entity_too_large" },
	{ 415, "Unsupported Content-Format", "unsupported_content_format" },
	{ 422, "Unprocessable Entity", "unprocessable_entity" },
	{ 429, "Too Many Requests", "too_many_requests" },
	{ 500, "Internal Server Error", "internal_server_error" },
	{ 501, "Not Implemented", "not_implemented" },
	{ 502, "Bad Gateway", "bad_gateway" },
	{ 503, "Service Unavailable", "service_unavailable" },
	{ 504, "Gateway Timeout", "gateway_timeout" },
	{ 505, "Proxying Not Supported", "proxying_not_supported" },
};

int
coapmap_status(int cls, int detail, int has_body)
{
	int code;
	size_t i;

	if (cls < 2 || cls > 5 || detail < 0 || detail > 31)
		return 502;
	if (cls == 2 && detail == 31)
		return 502;	/* 2.31 Continue: a block, not an answer */
	code = cls * 100 + detail;
	for (i = 0; i < sizeof(coapmap_codes) / sizeof(coapmap_codes[0]); i++)
		if (coapmap_codes[i].code == code)
			return has_body ? coapmap_codes[i].status :
			    coapmap_codes[i].status_nobody;
	/* Codes RFC 8075 does not list: the class decides. */
	switch (cls) {
	case 2:
		return has_body ? 200 : 204;
	case 4:
		return 400;
	case 5:
		return 500;
	default:
		return 502;
	}
}

const char *
coapmap_media_type(int cf, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (coapmap_types[i].cf == cf)
			return coapmap_types[i].type;
	snprintf(buf, len, "application/coap-payload;cf=%d", cf);
	return buf;
}

/* Skips spaces and tabs. */
static const char *
coapmap_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * Splits "type/sub ; name=value ; ..." into the bare media type (lower
 * case, in out) and a pointer to its parameters (after the first ';', or
 * ""). Returns -1 when it does not look like a media type.
 */
static int
coapmap_split(const char *s, char *out, size_t outlen, const char **params)
{
	size_t n = 0;
	int slash = 0;

	s = coapmap_ws(s);
	for (; *s != '\0' && *s != ';' && *s != ' ' && *s != '\t'; s++) {
		if (n + 1 >= outlen)
			return -1;
		if (*s == '/')
			slash++;
		else if (!isalnum((unsigned char)*s) && !strchr("!#$&-^_.+",
		    *s))
			return -1;
		out[n++] = (char)tolower((unsigned char)*s);
	}
	out[n] = '\0';
	s = coapmap_ws(s);
	if (slash != 1 || out[0] == '/' || out[n - 1] == '/' ||
	    (*s != '\0' && *s != ';'))
		return -1;
	*params = *s == ';' ? s + 1 : s;
	return 0;
}

/*
 * Finds parameter name in params ("a=b; c=\"d;e\""): each parameter runs to
 * the next ';' outside quotes and must hold '='; empty ones are skipped.
 * Copies the value (quotes removed) into val. Returns 1 if found, 0 if
 * absent, -1 if the parameters are malformed.
 */
static int
coapmap_param(const char *params, const char *name, char *val, size_t vlen)
{
	const char *p = params, *end, *eq, *v;
	size_t nlen = strlen(name), klen, l;
	int quoted;

	for (;;) {
		p = coapmap_ws(p);
		if (*p == '\0')
			return 0;
		if (*p == ';') {
			p++;
			continue;
		}
		for (end = p, quoted = 0; *end != '\0' && (quoted ||
		    *end != ';'); end++)
			if (*end == '"')
				quoted = !quoted;
		if (quoted)
			return -1;
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			return -1;
		for (klen = (size_t)(eq - p); klen > 0 && (p[klen - 1] == ' ' ||
		    p[klen - 1] == '\t'); klen--)
			;
		v = eq + 1;
		if (*v == ' ' || *v == '\t')
			return -1;	/* RFC 7231: no space after '=' */
		for (l = (size_t)(end - v); l > 0 && (v[l - 1] == ' ' ||
		    v[l - 1] == '\t'); l--)
			;
		if (klen == nlen && strncasecmp(p, name, nlen) == 0) {
			if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
				v++;
				l -= 2;
			}
			if (l >= vlen)
				return -1;
			memcpy(val, v, l);
			val[l] = '\0';
			return 1;
		}
		p = end;
	}
}

int
coapmap_content_format(const char *type)
{
	char bare[96], val[32], *end;
	const char *params;
	size_t i, blen;
	long cf;
	int found;

	if (type == NULL || coapmap_split(type, bare, sizeof(bare), &params) ==
	    -1)
		return COAPMAP_NONE;
	if (strcmp(bare, "application/coap-payload") == 0) {
		if (coapmap_param(params, "cf", val, sizeof(val)) != 1)
			return COAPMAP_NONE;
		cf = strtol(val, &end, 10);
		if (val[0] < '0' || val[0] > '9' || *end != '\0' || cf > 65535)
			return COAPMAP_NONE;
		return (int)cf;
	}
	if (strcmp(bare, "text/plain") == 0) {
		found = coapmap_param(params, "charset", val, sizeof(val));
		if (found == -1 || (found == 1 && strcasecmp(val, "utf-8") != 0))
			return COAPMAP_NONE;
		return 0;
	}
	blen = strlen(bare);
	for (i = 0; i < NTYPES; i++)
		if (strncmp(coapmap_types[i].type, bare, blen) == 0 &&
		    coapmap_types[i].type[blen] == '\0')
			return coapmap_types[i].cf;
	return COAPMAP_NONE;
}

const char *
coapmap_device_error(const char *ep, int cls, int detail, int cf,
    const uint8_t *diag, size_t len, char *detail_buf, size_t detail_len,
    char *code, size_t code_len)
{
	const char *phrase = "Error", *name = "device_error";
	size_t i, n = len;

	for (i = 0; i < sizeof(coapmap_errors) / sizeof(coapmap_errors[0]);
	    i++)
		if (coapmap_errors[i].code == cls * 100 + detail) {
			phrase = coapmap_errors[i].phrase;
			name = coapmap_errors[i].name;
		}
	snprintf(code, code_len, "%d.%02d", cls & 7, detail & 31);
	if (len == 0 || (cf != COAPMAP_NONE && cf != 0) ||
	    !parse_utf8(diag, len, 1)) {
		snprintf(detail_buf, detail_len, "device %s answered %s %s", ep,
		    code, phrase);
		return name;
	}
	if (n > COAPMAP_DIAG_MAX) {
		/* Cut before the character that does not fit whole. */
		for (n = COAPMAP_DIAG_MAX; n > 0 && (diag[n] & 0xc0) == 0x80;
		    n--)
			;
	}
	snprintf(detail_buf, detail_len, "device %s answered %s %s: %.*s%s", ep,
	    code, phrase, (int)n, (const char *)diag, n < len ? "..." : "");
	return name;
}

int
coapmap_location_add(char *loc, const uint8_t *seg, size_t len)
{
	size_t have = strlen(loc), i;

	if (len == 0 || (len == 1 && seg[0] == '.') ||
	    (len == 2 && seg[0] == '.' && seg[1] == '.') ||
	    have + (have > 0) + len >= COAPMAP_LOCATION_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if (!((seg[i] >= 'a' && seg[i] <= 'z') || (seg[i] >= 'A' &&
		    seg[i] <= 'Z') || (seg[i] >= '0' && seg[i] <= '9') ||
		    seg[i] == '-' || seg[i] == '.' || seg[i] == '_' ||
		    seg[i] == '~'))
			return -1;
	if (have > 0)
		loc[have++] = '/';
	memcpy(loc + have, seg, len);
	loc[have + len] = '\0';
	return 0;
}
