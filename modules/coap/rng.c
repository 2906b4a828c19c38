/*
 * rng.c: see rng.h.
 */
#include <sys/random.h>

#include <errno.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/chacha.h>

#include "modules/coap/rng.h"

static struct {
	uint8_t		 key[RNG_KEY];
	uint8_t		 buf[RNG_KEY + RNG_BUF];
	size_t		 avail;		/* unread bytes at the end of buf */
	unsigned	 refills;
	int		 ok;
	int		 reseed;	/* 0 for a fixed test key */
} rng;

/* Wipes what the compiler must not leave out. */
static void
rng_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/* Mixes n kernel bytes into the key; -1 if the kernel gives none. */
static int
rng_reseed(void)
{
	uint8_t fresh[RNG_KEY];
	size_t got = 0, i;
	ssize_t n;

	while (got < sizeof(fresh)) {
		if ((n = getrandom(fresh + got, sizeof(fresh) - got, 0)) ==
		    -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	for (i = 0; i < RNG_KEY; i++)
		rng.key[i] ^= fresh[i];
	rng_wipe(fresh, sizeof(fresh));
	return 0;
}

/* A new block of keystream; its first RNG_KEY bytes are the next key. */
static int
rng_refill(void)
{
	static const uint8_t iv[CHACHA_IV_BYTES];
	ChaCha cc;
	int rc;

	if (rng.reseed && ++rng.refills % RNG_RESEED == 0 &&
	    rng_reseed() == -1)
		return -1;
	memset(rng.buf, 0, sizeof(rng.buf));
	rc = wc_Chacha_SetKey(&cc, rng.key, RNG_KEY) != 0 ||
	    wc_Chacha_SetIV(&cc, iv, 0) != 0 ||
	    wc_Chacha_Process(&cc, rng.buf, rng.buf, sizeof(rng.buf)) != 0;
	rng_wipe(&cc, sizeof(cc));
	if (rc)
		return -1;
	memcpy(rng.key, rng.buf, RNG_KEY);
	rng_wipe(rng.buf, RNG_KEY);
	rng.avail = RNG_BUF;
	return 0;
}

int
rng_init(void)
{
	rng_wipe(&rng, sizeof(rng));
	rng.reseed = 1;
	if (rng_reseed() == -1 || rng_refill() == -1) {
		rng_wipe(&rng, sizeof(rng));
		return -1;
	}
	rng.ok = 1;
	return 0;
}

void
rng_init_key(const uint8_t key[RNG_KEY])
{
	rng_wipe(&rng, sizeof(rng));
	memcpy(rng.key, key, RNG_KEY);
	rng.ok = rng_refill() == 0;
}

int
rng_fill(void *out, size_t len)
{
	uint8_t *o = out, *from;
	size_t n;

	if (!rng.ok)
		return 0;
	while (len > 0) {
		if (rng.avail == 0 && rng_refill() == -1) {
			rng.ok = 0;
			return 0;
		}
		n = len < rng.avail ? len : rng.avail;
		from = rng.buf + sizeof(rng.buf) - rng.avail;
		memcpy(o, from, n);
		rng_wipe(from, n);
		rng.avail -= n;
		o += n;
		len -= n;
	}
	return 1;
}

void
rng_free(void)
{
	rng_wipe(&rng, sizeof(rng));
}
