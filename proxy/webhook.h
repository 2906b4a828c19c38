/*
 * webhook.h: the webhook's parser of its receivers' answers
 * (proxy/whparse.c).
 */
#ifndef OUTPOST_WEBHOOK_H
#define OUTPOST_WEBHOOK_H

#include <stddef.h>

/* Longest status line read from a receiver over https://. */
#define WEBHOOK_STATUS_MAX	1024

/*
 * The status code of an HTTP/1.0 or 1.1 status line s[0..len) (without its
 * CRLF): "HTTP/1.1 204 No Content" gives 204. Returns 100..999, or -1 when
 * the line is anything else.
 */
int	webhook_status_line(const char *s, size_t len);

#endif /* OUTPOST_WEBHOOK_H */
