/*
 * whparse.h: what the webhook reads from its receivers (proxy/whparse.c),
 * apart from proxy/webhook.c so that the unit tests and the fuzzer take it
 * alone.
 */
#ifndef OUTPOST_WHPARSE_H
#define OUTPOST_WHPARSE_H

#include <stddef.h>

/*
 * The status code of an HTTP/1.0 or 1.1 status line s[0..len) (without its
 * CRLF): "HTTP/1.1 204 No Content" gives 204. Returns 100..999, or -1 when
 * the line is anything else.
 */
int	webhook_status_line(const char *s, size_t len);

#endif /* OUTPOST_WHPARSE_H */
