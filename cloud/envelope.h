/*
 * envelope.h: the cloud link's requests and answers as JSON (doc/cloud.md,
 * "Requests"). Pure: no I/O. A request's payload comes from the broker and
 * is untrusted; its parser has unit tests with hostile input and a fuzz
 * target (tests/fuzz/fuzz_envelope.c).
 */
#ifndef OUTPOST_ENVELOPE_H
#define OUTPOST_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#define ENVELOPE_ID_MAX		128
#define ENVELOPE_HEADERS_MAX	32
#define ENVELOPE_URI_MAX	8192

struct envelope_header {
	char		*name;
	char		*value;
};

struct envelope_req {
	char			 id[ENVELOPE_ID_MAX + 1];
	int			 has_id;	/* id was read */
	const char		*method;	/* static: "GET", ... */
	char			*uri;		/* path and ?query */
	struct envelope_header	 headers[ENVELOPE_HEADERS_MAX];
	size_t			 nheaders;
	uint8_t			*body;
	size_t			 blen;
};

/*
 * Reads a request from p[0..len). Returns 0, or -1 with err (and r->has_id
 * set when its id could still be read, so that the refusal can be
 * answered). Headers that the link sets itself (Authorization, Host,
 * Content-Length, Connection, Transfer-Encoding, Expect, X-Outpost-*) are
 * left out. envelope_free frees what it holds, on either outcome.
 */
int	envelope_parse(const void *p, size_t len, struct envelope_req *r,
	    char *err, size_t errlen);
void	envelope_free(struct envelope_req *r);

/* Whether uri is the event stream, which is not served over MQTT. */
int	envelope_streaming(const char *uri);

/*
 * The answer to request id (NULL: none read) as JSON: status, the
 * headers names[i]: values[i] (n of them), and body as "body" when it is
 * UTF-8 text without NUL, else "body_base64". Returns a string the caller
 * frees, or NULL when out of memory.
 */
char	*envelope_answer(const char *id, int status,
	    const char *const *names, const char *const *values, size_t n,
	    const uint8_t *body, size_t blen);

/* A JSON error answer {"error": code, "detail": detail}, as the HTTP API
 * gives them. */
char	*envelope_error(const char *id, int status, const char *code,
	    const char *detail);

/* Writes ep into out (len bytes) as a topic level: '/', '+', '#' and '%'
 * as %2F, %2B, %23 and %25, the rest (UTF-8 included) as it is. Returns
 * 0, or -1 when it does not fit. */
int	envelope_topic_level(const char *ep, char *out, size_t len);

#endif /* OUTPOST_ENVELOPE_H */
