/*
 * rng.h: cheap unpredictable bytes for the reactor: CoAP tokens and message
 * ids (RFC 7252 5.3.1 wants tokens an off-path attacker cannot guess).
 *
 * A ChaCha20 keystream with fast key erasure, the construction of OpenBSD's
 * arc4random: each refill makes RNG_BUF bytes under the current key and
 * takes the next key from the same keystream, and bytes are wiped as they
 * are handed out, so memory read later does not give earlier output away.
 * The key comes from getrandom() at start and is mixed with fresh kernel
 * bytes every RNG_RESEED refills. libcoap's default asks getrandom() for
 * every token (a system call per request to a device); wolfCrypt's
 * Hash-DRBG costs about 12,000 instructions for an 8-byte token. Not
 * thread-safe: one generator, on the reactor.
 */
#ifndef OUTPOST_RNG_H
#define OUTPOST_RNG_H

#include <stddef.h>
#include <stdint.h>

#define RNG_KEY		32
#define RNG_BUF		1024
#define RNG_RESEED	1024	/* refills between kernel reseeds (1 MiB) */

/* Seeds from the kernel. Returns 0, or -1 (nothing is usable then). */
int	rng_init(void);

/* Seeds with key instead (tests: a known-answer check of the keystream). */
void	rng_init_key(const uint8_t key[RNG_KEY]);

/* Fills out[0..len). Returns 1 (libcoap's coap_rand_func_t convention), 0
 * when rng_init has not succeeded. */
int	rng_fill(void *out, size_t len);

/* Wipes the state. */
void	rng_free(void);

#endif /* OUTPOST_RNG_H */
