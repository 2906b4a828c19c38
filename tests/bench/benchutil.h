/*
 * benchutil.h: what the benchmark's load programs (regload, ssecount)
 * share. Built with each of them from benchutil.c; no libraries, so a load
 * generator shares no code with the servers it measures.
 */
#ifndef OUTPOST_BENCHUTIL_H
#define OUTPOST_BENCHUTIL_H

#include <sys/socket.h>

#include <stdint.h>

/* Prints "PROGRAM: message" on stderr and exits 1. */
void		fatalx(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/* The monotonic clock, in milliseconds and in seconds. */
uint64_t	now_ms(void);
double		now_s(void);

/* An unsigned decimal in [min, max]; exits naming the flag otherwise. */
unsigned long	parse_ulong(int flag, const char *s, unsigned long min,
		    unsigned long max);

/* HOST (an IPv4 or IPv6 address, or "localhost") and PORT as a socket
 * address, without DNS; exits unless it is a loopback address: these
 * tools only ever load servers on this machine. */
socklen_t	resolve_loopback(const char *host, unsigned port,
		    struct sockaddr_storage *ss);

#endif /* OUTPOST_BENCHUTIL_H */
