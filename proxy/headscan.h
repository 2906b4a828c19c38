/*
 * headscan.h: the end of an HTTP request head (an empty line: LF LF or
 * LF CR LF, as evhttp reads lines) in bytes that come in pieces
 * (proxy/headscan.c; proxy/conn.c's header deadline). Pure: the peer's
 * bytes, one int of state.
 */
#ifndef OUTPOST_HEADSCAN_H
#define OUTPOST_HEADSCAN_H

#include <stddef.h>

/* Reads s[0..len) on from *state (0 at the start of a head): 1 when the
 * head ends within it, else 0 with *state kept for the next piece. */
int	headscan(int *state, const unsigned char *s, size_t len);

#endif /* OUTPOST_HEADSCAN_H */
