/*
 * webhook.h: the webhook's parser of its receivers' answers
 * (proxy/whparse.c).
 */
#ifndef OUTPOST_WEBHOOK_H
#define OUTPOST_WEBHOOK_H

#include <stddef.h>

/* Longest status line read from a receiver over https://. */
#define WEBHOOK_STATUS_MAX	1024


#endif /* OUTPOST_WEBHOOK_H */
