/*
 * uiapi.c: the operator's console at /ui/: its files, built into the
 * binary (proxy/uifiles.h). They hold no data: the console asks the public
 * API for everything, with the token its user gives, so serving them needs
 * no role. Every answer forbids inline script and anything from elsewhere
 * (Content-Security-Policy), and framing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway.h"
#include "proxy/http.h"
#include "proxy/uifiles.h"

#define UI_CSP	"default-src 'none'; script-src 'self'; style-src 'self'; " \
		"img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
		"form-action 'none'; frame-ancestors 'none'"

static const char *
ui_type(const char *name)
{
	static const struct {
		const char	*ext;
		const char	*type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/*
 * A file's ETag: FNV-1a of its bytes, made once. The console's files
 * change only with the binary, so a browser keeps them and asks again
 * with If-None-Match (Cache-Control: no-cache), and a 304 saves it the
 * bytes (Chart.js is 200 kB).
 */
static const char *
ui_etag(unsigned long i)
{
	static char (*tags)[20];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t k;

	if (tags == NULL && (tags = calloc(ui_nfiles, sizeof(*tags))) == NULL)
		return NULL;
	if (tags[i][0] == '\0') {
		for (k = 0; k < ui_files[i].len; k++)
			h = (h ^ ui_files[i].data[k]) * 0x100000001b3ULL;
		snprintf(tags[i], sizeof(tags[i]), "\"%016llx\"",
		    (unsigned long long)h);
	}
	return tags[i];
}

/* Whether an If-None-Match names etag (a list, or "*"). */
static int
ui_fresh(const char *inm, const char *etag)
{
	if (inm == NULL || etag == NULL)
		return 0;
	return strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL;
}

/* GET /ui/ and /ui/{file}. */
void
api_ui(struct http_exchange *hx)
{
	const char *name = hx->params.count > 0 ? hx->params.value[0] :
	    "index.html";
	struct evkeyvalq *h = evhttp_request_get_output_headers(hx->req);
	struct evbuffer *body;
	const char *etag;
	unsigned long i;

	for (i = 0; i < ui_nfiles; i++)
		if (strcmp(ui_files[i].name, name) == 0)
			break;
	if (i == ui_nfiles) {
		http_error(hx, 404, "not_found", "no file %s in the console",
		    name);
		return;
	}
	etag = ui_etag(i);
	if (etag != NULL) {
		evhttp_add_header(h, "ETag", etag);
		evhttp_add_header(h, "Cache-Control", "no-cache");
	}
	if (ui_fresh(evhttp_find_header(evhttp_request_get_input_headers(
	    hx->req), "If-None-Match"), etag)) {
		http_reply(hx, 304, NULL, NULL);
		return;
	}
	if ((body = evbuffer_new()) == NULL) {
		http_error(hx, 500, "internal_error", "out of memory");
		return;
	}
	/* The bytes are the binary's: lent, never copied. */
	evbuffer_add_reference(body, ui_files[i].data, ui_files[i].len, NULL,
	    NULL);
	evhttp_add_header(h, "Content-Security-Policy", UI_CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	http_reply(hx, 200, ui_type(name), body);
}

/* GET /ui: the console is /ui/, where its relative links work. */
void
api_ui_root(struct http_exchange *hx)
{
	evhttp_add_header(evhttp_request_get_output_headers(hx->req),
	    "Location", "/ui/");
	http_reply(hx, 301, NULL, NULL);
}
