/*
 * envelope.c: the cloud link's requests and answers (envelope.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "base64.h"
#include "cloud/envelope.h"

static const char *const envelope_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"
};

/* Headers the link writes itself, or that would change how the request
 * is framed: never taken from a request. */
static int
envelope_own_header(const char *name)
{
	static const char *const own[] = {
		"Authorization", "Host", "Content-Length", "Connection",
		"Transfer-Encoding", "Expect", "Upgrade", "Keep-Alive",
		"TE", "Trailer", "Proxy-Authorization",
	};
	size_t i;

	if (strncasecmp(name, "X-Outpost-", 10) == 0)
		return 1;
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcasecmp(name, own[i]) == 0)
			return 1;
	return 0;
}

/* An HTTP token (RFC 9110 5.6.2), for a header's name. */
static int
envelope_token(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?={}", *s) != NULL)
			return 0;
	return 1;
}

/* A header's value: visible characters, spaces and tabs only (no CR or
 * LF, which would end it). */
static int
envelope_field(const char *s)
{
	if (strlen(s) > 4096)
		return 0;
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

/* A request target: '/' first, visible ASCII only, and no '#': a target
 * has no fragment, and the API's server would cut one off (so that
 * "/v1/events#" would reach the event stream). */
static int
envelope_target(const char *s)
{
	if (s[0] != '/')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '#')
			return 0;
	return 1;
}

/* Whether a string of the JSON text p[0..len) holds a NUL, raw or as
 * \u0000: cJSON ends the string there, and what follows it (of a body, a
 * path, a header) would be lost without a word. */
static int
envelope_nul(const char *p, size_t len)
{
	size_t i;
	int in = 0;

	for (i = 0; i < len; i++) {
		if (!in) {
			in = p[i] == '"';
			continue;
		}
		if (p[i] == '\0')
			return 1;
		if (p[i] == '"')
			in = 0;
		else if (p[i] == '\\' && i + 1 < len) {
			if (p[i + 1] == 'u' && i + 5 < len &&
			    memcmp(p + i + 2, "0000", 4) == 0)
				return 1;
			i++;
		}
	}
	return 0;
}

static int
envelope_fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return -1;
}

int
envelope_parse(const void *p, size_t len, struct envelope_req *r,
    char *err, size_t errlen)
{
	cJSON *root, *v, *h;
	const char *path, *query = NULL, *end;
	size_t i, ulen;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (envelope_nul(p, len))
		return envelope_fail(err, errlen, "the request has a NUL "
		    "(\\u0000) in a string");
	if ((root = cJSON_ParseWithLengthOpts(p, len, &end, 0)) == NULL)
		return envelope_fail(err, errlen, "the request is not JSON");
	/* One value: after it, white space (or a C string's NUL) only, not
	 * a second request that would go unread. */
	for (; end < (const char *)p + len; end++)
		if (strchr(" \t\r\n", *end) == NULL) {
			envelope_fail(err, errlen, "the request is not JSON: "
			    "text after its end");
			goto done;
		}
	if (!cJSON_IsObject(root)) {
		envelope_fail(err, errlen, "the request is not a JSON object");
		goto done;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "id")) != NULL) {
		if (!cJSON_IsString(v) ||
		    strlen(v->valuestring) > ENVELOPE_ID_MAX) {
			envelope_fail(err, errlen, "id: a string of at most "
			    "128 bytes");
			goto done;
		}
		snprintf(r->id, sizeof(r->id), "%s", v->valuestring);
		r->has_id = 1;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "method");
	if (!cJSON_IsString(v)) {
		envelope_fail(err, errlen, "method: required, a string");
		goto done;
	}
	for (i = 0; i < sizeof(envelope_methods) / sizeof(envelope_methods[0]);
	    i++)
		if (strcmp(v->valuestring, envelope_methods[i]) == 0)
			r->method = envelope_methods[i];
	if (r->method == NULL) {
		envelope_fail(err, errlen, "method: one of GET, HEAD, POST, "
		    "PUT, DELETE, PATCH");
		goto done;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "path");
	if (!cJSON_IsString(v) || !envelope_target(v->valuestring)) {
		envelope_fail(err, errlen, "path: required, a string that "
		    "starts with '/', without spaces, control characters or "
		    "'#'");
		goto done;
	}
	path = v->valuestring;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "query")) != NULL) {
		if (!cJSON_IsString(v) || (v->valuestring[0] != '\0' &&
		    (strchr(path, '?') != NULL || v->valuestring[0] == '?'))) {
			envelope_fail(err, errlen, "query: a string, and not "
			    "with a path that has its own");
			goto done;
		}
		query = v->valuestring[0] != '\0' ? v->valuestring : NULL;
	}
	if (query != NULL) {
		for (i = 0; query[i] != '\0'; i++)
			if ((unsigned char)query[i] <= 0x20 ||
			    (unsigned char)query[i] >= 0x7f ||
			    query[i] == '#') {
				envelope_fail(err, errlen, "query: visible "
				    "ASCII but '#' only");
				goto done;
			}
	}
	ulen = strlen(path) + (query != NULL ? strlen(query) + 1 : 0);
	if (ulen > ENVELOPE_URI_MAX) {
		envelope_fail(err, errlen, "path and query: too long");
		goto done;
	}
	if ((r->uri = malloc(ulen + 1)) == NULL) {
		envelope_fail(err, errlen, "out of memory");
		goto done;
	}
	snprintf(r->uri, ulen + 1, "%s%s%s", path, query != NULL ? "?" : "",
	    query != NULL ? query : "");
	if ((h = cJSON_GetObjectItemCaseSensitive(root, "headers")) != NULL) {
		if (!cJSON_IsObject(h)) {
			envelope_fail(err, errlen, "headers: an object of "
			    "strings");
			goto done;
		}
		cJSON_ArrayForEach(v, h) {
			if (!cJSON_IsString(v) || !envelope_token(v->string) ||
			    !envelope_field(v->valuestring)) {
				envelope_fail(err, errlen, "headers: names are "
				    "HTTP tokens, values strings without "
				    "control characters");
				goto done;
			}
			if (envelope_own_header(v->string))
				continue;
			if (r->nheaders == ENVELOPE_HEADERS_MAX) {
				envelope_fail(err, errlen, "headers: at most "
				    "32");
				goto done;
			}
			if ((r->headers[r->nheaders].name =
			    strdup(v->string)) == NULL ||
			    (r->headers[r->nheaders].value =
			    strdup(v->valuestring)) == NULL) {
				free(r->headers[r->nheaders].name);
				r->headers[r->nheaders].name = NULL;
				envelope_fail(err, errlen, "out of memory");
				goto done;
			}
			r->nheaders++;
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "body");
	h = cJSON_GetObjectItemCaseSensitive(root, "body_base64");
	if (v != NULL && h != NULL) {
		envelope_fail(err, errlen, "body and body_base64: one at most");
		goto done;
	}
	if (v != NULL) {
		if (!cJSON_IsString(v)) {
			envelope_fail(err, errlen, "body: a string (bytes go "
			    "in body_base64)");
			goto done;
		}
		r->blen = strlen(v->valuestring);
		if ((r->body = malloc(r->blen + 1)) == NULL) {
			envelope_fail(err, errlen, "out of memory");
			goto done;
		}
		memcpy(r->body, v->valuestring, r->blen + 1);
	} else if (h != NULL) {
		if (!cJSON_IsString(h) || base64_decode(h->valuestring,
		    strlen(h->valuestring), &r->body, &r->blen) == -1) {
			envelope_fail(err, errlen, "body_base64: base64 with "
			    "padding (RFC 4648)");
			goto done;
		}
	}
	rc = 0;
done:
	cJSON_Delete(root);
	return rc;
}

void
envelope_free(struct envelope_req *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->uri);
	free(r->body);
	r->uri = NULL;
	r->body = NULL;
	r->nheaders = 0;
}

int
envelope_streaming(const char *uri)
{
	size_t n = strlen("/v1/events");

	return strncmp(uri, "/v1/events", n) == 0 &&
	    (uri[n] == '\0' || uri[n] == '?' || uri[n] == '/');
}

/* Whether p[0..len) is UTF-8 (RFC 3629) without NUL. */
static int
envelope_utf8(const uint8_t *p, size_t len)
{
	size_t i = 0, n, k;
	uint32_t c;

	while (i < len) {
		if (p[i] == 0)
			return 0;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1;
			c = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2;
			c = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3;
			c = p[i] & 0x07;
		} else
			return 0;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) ||
		    (n == 3 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

char *
envelope_answer(const char *id, int status, const char *const *names,
    const char *const *values, size_t n, const uint8_t *body, size_t blen)
{
	cJSON *o, *h;
	char *s = NULL, *text;
	size_t i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (id != NULL)
		cJSON_AddStringToObject(o, "id", id);
	cJSON_AddNumberToObject(o, "status", status);
	if ((h = cJSON_AddObjectToObject(o, "headers")) == NULL)
		goto done;
	for (i = 0; i < n; i++)
		cJSON_AddStringToObject(h, names[i], values[i]);
	if (blen > 0 && envelope_utf8(body, blen)) {
		if ((text = malloc(blen + 1)) == NULL)
			goto done;
		memcpy(text, body, blen);
		text[blen] = '\0';
		cJSON_AddStringToObject(o, "body", text);
		free(text);
	} else if (blen > 0) {
		if ((text = base64_encode(body, blen)) == NULL)
			goto done;
		cJSON_AddStringToObject(o, "body_base64", text);
		free(text);
	}
	s = cJSON_PrintUnformatted(o);
done:
	cJSON_Delete(o);
	return s;
}

char *
envelope_error(const char *id, int status, const char *code,
    const char *detail)
{
	static const char *const names[] = { "Content-Type" };
	static const char *const values[] = { "application/json" };
	cJSON *e;
	char *body, *s;

	if ((e = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(e, "error", code);
	cJSON_AddStringToObject(e, "detail", detail);
	body = cJSON_PrintUnformatted(e);
	cJSON_Delete(e);
	if (body == NULL)
		return NULL;
	s = envelope_answer(id, status, names, values, 1, (uint8_t *)body,
	    strlen(body));
	free(body);
	return s;
}

int
envelope_topic_level(const char *ep, char *out, size_t len)
{
	size_t n = 0;

	for (; *ep != '\0'; ep++) {
		if (strchr("/+#%", *ep) != NULL) {
			if (n + 3 >= len)
				return -1;
			n += (size_t)snprintf(out + n, len - n, "%%%02X",
			    (unsigned char)*ep);
		} else {
			if (n + 1 >= len)
				return -1;
			out[n++] = *ep;
		}
	}
	if (n >= len)
		return -1;
	out[n] = '\0';
	return 0;
}
