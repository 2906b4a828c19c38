/*
 * senml_split.h: a notification of a composite observation (LwM2M 1.1
 * Observe-Composite: one SenML pack holding the values of several paths)
 * split into one value per path, as the value cache keeps them.
 *
 * A pure function over untrusted input (the device's payload): no I/O,
 * no globals, input and record count capped, hostile input refused with a
 * reason, never a crash. CBOR is decoded by senml_dec.c (libcbor), JSON parsed
 * with cJSON, never by hand.
 */
#ifndef OUTPOST_SENML_SPLIT_H
#define OUTPOST_SENML_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#define SENML_SPLIT_MAX		1024	/* records of one notification */
#define SENML_SPLIT_PATH_LEN	25	/* "65535/65535/65535/65535", NUL */

typedef struct cJSON cJSON;

/* One path's value: a SenML JSON pack of one resolved record. */
struct senml_part {
	char	 path[SENML_SPLIT_PATH_LEN];	/* "3/0/9": no leading '/' */
	char	*pack;		/* [{"n":"/3/0/9","v":87}], NUL-terminated */
	size_t	 len;
};

/* What a notification held. Owned by the caller: senml_split_free. */
struct senml_split {
	struct senml_part	*parts;		/* one per path, in the order
						   of first appearance */
	size_t			 nparts;
	cJSON			*records;	/* the records kept, resolved,
						   in order (an array) */
	size_t			 dropped;	/* records outside the paths */
	size_t			 novalue;	/* records with no value */
};

/*
 * Splits body (len bytes of SenML JSON, cf 110, or SenML CBOR, cf 112:
 * one pack, as senml_to_json takes it) by record. Each record is resolved
 * as RFC 8428 4.6 says: its name is the base name before it ("bn", which
 * holds from the record that sets it on) joined to its "n"; "bt" is added
 * to "t", "bv" to "v", "bs" to "s", and "bu" is its "u" when it has none;
 * a time below 2^28 is relative and becomes now + time. Base fields and
 * "bver" do not appear in the result; a record with neither "t" nor "bt"
 * gets no time. Other fields are kept: "v", "vs", "vb", "vd", "vlo", "s",
 * "u", "ut", and a label RFC 8428 does not know with a string, number or
 * boolean value.
 *
 * The resolved name must be an LwM2M resource or resource instance path
 * ("/3/0/9", "/3/0/7/1"). A record whose path is not one of paths[] (each
 * with its leading '/', as dm_composite_set gives them) nor below one is
 * dropped (counted in dropped); one with no value at all ("v", "vs", "vb",
 * "vd", "vlo" or "s") is skipped (counted in novalue). Of the others, the
 * last record of each path is that path's part; every one is in records.
 *
 * Refused, with the first reason in err and *out empty: another cf, a body
 * senml_to_json refuses, a pack that is not an array of maps, more than
 * SENML_SPLIT_MAX records, a record with more than one value or a field
 * twice, a field of the wrong type (a name that is not a string, a "v"
 * that is not a finite number, a sum or time that is not finite), a label
 * ending in '_' (must-understand, RFC 8428 4.4), a NUL escaped in a
 * string, and a name that is not an LwM2M resource path.
 * Returns 0 or -1. err may be NULL when errlen is 0.
 */
int	senml_split(int cf, const uint8_t *body, size_t len,
	    const char *const *paths, size_t npaths, int64_t now,
	    struct senml_split *out, char *err, size_t errlen);

/* Frees what senml_split filled in (and empties it). */
void	senml_split_free(struct senml_split *sp);

#endif /* OUTPOST_SENML_SPLIT_H */
