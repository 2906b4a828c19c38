/*
 * senml.h: the SenML JSON encoder (RFC 8428, Content-Format 110) for LwM2M
 * reads: one record per resource, the base name on the first record only.
 * Built with cJSON, never by hand.
 */
#ifndef OUTPOST_NODE_SENML_H
#define OUTPOST_NODE_SENML_H

#include <stddef.h>

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

#endif /* OUTPOST_NODE_SENML_H */
