/*
 * tlv.h: LwM2M TLV (OMA-TS-LightweightM2M-Core 1.1, 7.4.3 and Appendix
 * C) as the node reads it in writes: a Bootstrap-Write's (bswrite.c) and
 * a DM server's write of an object's resources (object.c). Bodies come
 * from the network: every length is checked against what is left. Pure,
 * no allocation; values point into the body.
 */
#ifndef OUTPOST_NODE_TLV_H
#define OUTPOST_NODE_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "node/value.h"

/* A TLV's kind: the two high bits of its type byte. */
enum tlv_kind {
	TLV_INSTANCE = 0,	/* object instance: resources */
	TLV_RES_INSTANCE = 1,	/* resource instance: a value */
	TLV_MULTIPLE = 2,	/* multiple resource: resource instances */
	TLV_RESOURCE = 3,	/* resource: a value */
};

struct tlv {
	enum tlv_kind	 kind;
	uint16_t	 id;
	const uint8_t	*val;		/* into the body */
	size_t		 len;
};

/* The TLV at *off of buf[0..len). Returns 1 (*off moves past it), 0 at
 * the end, -1 when it does not fit (err set). */
int	tlv_next(const uint8_t *buf, size_t len, size_t *off, struct tlv *t,
	    char *err, size_t errlen);

/*
 * The value of t, which TLV does not type, as a value of type (the
 * resource's row says) in text/plain, into buf[0..len) NUL-terminated,
 * its length in *outlen: an integer (1, 2, 4 or 8 bytes, big-endian, two's
 * complement) in decimal, a boolean (one byte, 0 or 1) "0" or "1", a
 * string (no NUL byte) or opaque bytes as they are. Returns 0, or -1 with
 * err when the bytes are not such a value or do not fit buf.
 */
int	tlv_text(const struct tlv *t, enum obj_type type, char *buf,
	    size_t len, size_t *outlen, char *err, size_t errlen);

#endif /* OUTPOST_NODE_TLV_H */
