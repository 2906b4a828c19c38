/*
 * numvals.h: the numbers in a device's value, one by one, each with its own
 * path: what history keeps and alarms judge. Pure, no I/O.
 *
 * A value is what the cache is given for ep's path (a read's answer, a
 * notification, a record of a Send), in its Content-Format:
 *   0 (text/plain)      one number, at a resource or resource-instance path
 *   50 (application/json) an object (the agent's /health): each member
 *                       whose value is a finite number is path "/" member;
 *                       nested objects and arrays are skipped
 *   11542 (TLV), 110 (SenML JSON), 112 (SenML CBOR)
 *                       each record with a finite "v" (or a TLV numeric
 *                       resource), at its resolved name (bn + n, without the
 *                       leading "/"), plus its base value (bv); a record's time (bt + t) is kept when
 *                       absolute (RFC 8428 4.5.3: at least 2^28), else the
 *                       time is the call's
 * Booleans, strings, opaque values and other Content-Formats give nothing.
 * Paths are given without a leading "/", as the cache keeps them ("3/0/9").
 */
#ifndef OUTPOST_NUMVALS_H
#define OUTPOST_NUMVALS_H

#include <stddef.h>
#include <stdint.h>

struct lwm2m_model;

#define NUMVALS_PATH_MAX	128	/* a longer path is skipped */
#define NUMVALS_MAX		256	/* numbers taken from one value */

/* t_ms: the number's time, unix milliseconds (the record's own, or now_ms). */
typedef void (*numvals_cb)(const char *path, double v, int64_t t_ms,
    void *arg);

/*
 * Calls cb for each number in body (len bytes, Content-Format cf) of path,
 * in order. model types TLV (NULL: the built-in objects). Returns the
 * numbers found, or -1 when body does not parse (nothing was called).
 */
int	numvals_extract(int cf, const uint8_t *body, size_t len,
	    const char *path, const struct lwm2m_model *model, int64_t now_ms,
	    numvals_cb cb, void *arg);

#endif /* OUTPOST_NUMVALS_H */
