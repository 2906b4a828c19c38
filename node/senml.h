/*
 * senml.h: the SenML JSON encoder (RFC 8428, Content-Format 110) for LwM2M
 * reads: one record per resource, the base name on the first record only;
 * and the same records as SenML CBOR (RFC 8428 6, Content-Format 112) for
 * a composite read that asks for it. Built with cJSON and libcbor, never by
 * hand.
 */
#ifndef OUTPOST_NODE_SENML_H
#define OUTPOST_NODE_SENML_H

#include <stddef.h>
#include <stdint.h>

#include "node/value.h"

/* One record: its name (relative to the base name) and value. */
struct senml_rec {
	const char		*name;
	const struct obj_value	*value;
};

/*
 * Encodes n records as a SenML JSON array: [{"bn":bn,"n":..,"v":..},
 * {"n":..,"vs":..}]. Strings go in "vs", numbers and times in "v",
 * booleans in "vb", opaque bytes in "vd" (base64url). A NULL
 * or empty bn is left out. Returns a NUL-terminated string the caller
 * frees with free(), or NULL when memory runs out.
 */
char	*senml_encode(const char *bn, const struct senml_rec *recs, size_t n);

/*
 * The same pack as SenML CBOR: each record a map with the integer labels
 * of RFC 8428 (bn -2, n 0, v 2, vs 3, vb 4, vd 8; opaque bytes as a byte
 * string). Returns the bytes (*len set), which the caller frees with
 * free(), or NULL when memory runs out.
 */
uint8_t	*senml_encode_cbor(const char *bn, const struct senml_rec *recs,
	    size_t n, size_t *len);

#endif /* OUTPOST_NODE_SENML_H */
