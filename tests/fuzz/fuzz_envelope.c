// fuzz-sources: cloud/envelope.c base64.c
// fuzz-libs: -lcjson
/*
 * fuzz_envelope.c: libFuzzer target for the cloud link's requests
 * (envelope_parse: JSON from the broker) and the answers built from them.
 * Besides ASan and UBSan, it checks what envelope.h promises and aborts on
 * a broken promise: a request taken has a known method, a target of
 * visible ASCII that starts with '/' (no '#'), at most 32 headers, none of
 * those the link sets itself, names that are tokens and values without CR
 * or LF; an answer is JSON whose body ("body" or "body_base64") gives back
 * the very bytes, whatever they are (the parsed body, and the input).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "base64.h"
#include "cloud/envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check_header(const struct envelope_header *h)
{
	const char *s;

	if (h->name == NULL || h->value == NULL || h->name[0] == '\0' ||
	    strncasecmp(h->name, "X-Outpost-", 10) == 0 ||
	    strcasecmp(h->name, "Authorization") == 0 ||
	    strcasecmp(h->name, "Host") == 0 ||
	    strcasecmp(h->name, "Content-Length") == 0 ||
	    strcasecmp(h->name, "Transfer-Encoding") == 0)
		abort();
	for (s = h->name; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == ':')
			abort();
	for (s = h->value; *s != '\0'; s++)
		if (*s == '\r' || *s == '\n')
			abort();
}

static void
fuzz_check_request(const struct envelope_req *r)
{
	static const char *const methods[] = {
		"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"
	};
	const char *s;
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (r->method == methods[i] ||
		    (r->method != NULL && strcmp(r->method, methods[i]) == 0))
			break;
	if (i == sizeof(methods) / sizeof(methods[0]))
		abort();
	if (r->uri == NULL || r->uri[0] != '/' ||
	    strlen(r->uri) > ENVELOPE_URI_MAX)
		abort();
	for (s = r->uri; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '#')
			abort();
	if (strlen(r->id) > ENVELOPE_ID_MAX || (!r->has_id && r->id[0] != '\0'))
		abort();
	if (r->nheaders > ENVELOPE_HEADERS_MAX)
		abort();
	for (i = 0; i < r->nheaders; i++)
		fuzz_check_header(&r->headers[i]);
	if (r->blen > 0 && r->body == NULL)
		abort();
	(void)envelope_streaming(r->uri);
}

/* The answer's body gives back p[0..len) exactly. */
static void
fuzz_check_answer(char *s, const char *id, int status, const uint8_t *p,
    size_t len)
{
	cJSON *o, *t, *b;
	uint8_t *got;
	size_t glen;

	if (s == NULL)
		return;		/* out of memory */
	if ((o = cJSON_Parse(s)) == NULL)
		abort();
	t = cJSON_GetObjectItemCaseSensitive(o, "id");
	if (id == NULL ? t != NULL : !cJSON_IsString(t) ||
	    strcmp(t->valuestring, id) != 0)
		abort();
	t = cJSON_GetObjectItemCaseSensitive(o, "status");
	if (!cJSON_IsNumber(t) || t->valueint != status)
		abort();
	t = cJSON_GetObjectItemCaseSensitive(o, "body");
	b = cJSON_GetObjectItemCaseSensitive(o, "body_base64");
	if (len == 0) {
		if (t != NULL || b != NULL)
			abort();
	} else if (t != NULL) {
		if (b != NULL || !cJSON_IsString(t) ||
		    strlen(t->valuestring) != len ||
		    memcmp(t->valuestring, p, len) != 0)
			abort();
	} else {
		if (!cJSON_IsString(b) || base64_decode(b->valuestring,
		    strlen(b->valuestring), &got, &glen) != 0)
			abort();
		if (glen != len || memcmp(got, p, len) != 0)
			abort();
		free(got);
	}
	cJSON_Delete(o);
	free(s);
}

/* A refusal's answer: 400, and the error as the HTTP API gives it. */
static void
fuzz_check_error(char *s, const char *id, const char *detail)
{
	char *body;
	cJSON *o, *e;

	if (s == NULL)
		return;
	if ((o = cJSON_Parse(s)) == NULL)
		abort();
	e = cJSON_GetObjectItemCaseSensitive(o, "body");
	if (!cJSON_IsString(e) || (body = strdup(e->valuestring)) == NULL)
		abort();
	cJSON_Delete(o);
	fuzz_check_answer(s, id, 400, (const uint8_t *)body, strlen(body));
	if ((e = cJSON_Parse(body)) == NULL ||
	    !cJSON_IsString(cJSON_GetObjectItem(e, "detail")) ||
	    strcmp(cJSON_GetObjectItem(e, "detail")->valuestring,
	    detail) != 0)
		abort();
	cJSON_Delete(e);
	free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *names[ENVELOPE_HEADERS_MAX], *values[ENVELOPE_HEADERS_MAX];
	struct envelope_req r;
	char err[256], *copy;
	size_t i;

	/* exactly size bytes, so that a read past them is seen */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	err[0] = '\0';
	if (envelope_parse(copy, size, &r, err, sizeof(err)) == 0) {
		fuzz_check_request(&r);
		for (i = 0; i < r.nheaders; i++) {
			names[i] = r.headers[i].name;
			values[i] = r.headers[i].value;
		}
		fuzz_check_answer(envelope_answer(r.has_id ? r.id : NULL, 200,
		    names, values, r.nheaders, r.body, r.blen),
		    r.has_id ? r.id : NULL, 200, r.body, r.blen);
	} else {
		if (err[0] == '\0' || (r.has_id && strlen(r.id) >
		    ENVELOPE_ID_MAX))
			abort();
		fuzz_check_error(envelope_error(r.has_id ? r.id : NULL, 400,
		    "bad_request", err), r.has_id ? r.id : NULL, err);
	}
	envelope_free(&r);
	/* any bytes as an answer's body */
	fuzz_check_answer(envelope_answer("x", 502, NULL, NULL, 0, data,
	    size), "x", 502, data, size);
	free(copy);
	return 0;
}
