/*
 * comp.h: LwM2M 1.1 Read-Composite and Observe-Composite (Core 6.3.8,
 * 6.4.4) without CoAP: the list of names a FETCH of / carries, as SenML
 * JSON (Content-Format 110) or SenML CBOR (112), and the one pack of
 * records its paths read as. node/compres.c serves them.
 *
 * A name is a path of one to three levels, /O, /O/I or /O/I/R (a
 * resource instance, the root and anything else are refused); a record
 * carries "bn", "n" or both and nothing else. The paths are read as a
 * GET of each would read them, and a path that does not read (no such
 * object, instance or resource, an execute-only resource, an account
 * object /0 or /1) gives no records, as Anjay does. A resource named
 * twice, by itself or within an instance or an object also named, is
 * told once.
 *
 * Peer input: bounded, never trusted.
 */
#ifndef OUTPOST_NODE_COMP_H
#define OUTPOST_NODE_COMP_H

#include <stddef.h>
#include <stdint.h>

#include "node/object.h"

#define COMP_CF_SENML_JSON	110
#define COMP_CF_SENML_CBOR	112
#define COMP_PATHS_MAX		16	/* names of one request */
#define COMP_BODY_MAX		2048	/* bytes of one request's body */
#define COMP_NAME_MAX		64	/* bytes of a name, bn + n */

/* One path; -1 for the levels it does not name. */
struct comp_path {
	int32_t		 oid, iid, rid;
};

/* The paths of a request, in order, each once. */
struct comp_list {
	struct comp_path p[COMP_PATHS_MAX];
	size_t		 n;
};

/*
 * Parses a request body of format cf (len bytes, no NUL needed) into l.
 * Returns NODE_OK, or with a reason in err: NODE_BAD_FORMAT for a format
 * other than 110 and 112, NODE_TOO_LARGE for a body over COMP_BODY_MAX
 * or more than COMP_PATHS_MAX distinct names, NODE_BAD_REQUEST for
 * anything else it does not take (no names, a bad path, a record with a
 * value).
 */
enum node_result comp_parse(int cf, const uint8_t *body, size_t len,
	    struct comp_list *l, char *err, size_t errlen);

/* Formats p as "/O", "/O/I" or "/O/I/R" into buf (at least 20 bytes). */
void	comp_path_text(const struct comp_path *p, char *buf, size_t len);

/*
 * The pack of every record the paths of l read as on the device (serial,
 * fw: see object.h), names absolute ("/3/0/9", "/3/0/11/0"), in the order
 * of l: SenML CBOR when cbor, else SenML JSON. Returns the bytes (the
 * caller frees them, *len set; a JSON pack is NUL-terminated too), or
 * NULL with err when memory runs out.
 */
uint8_t	*comp_read(struct obj *o, const char *serial, const struct fw *fw,
	    const struct comp_list *l, int cbor, size_t *len, char *err,
	    size_t errlen);

/* Whether the paths of a and b are the same set. */
int	comp_same(const struct comp_list *a, const struct comp_list *b);

#endif /* OUTPOST_NODE_COMP_H */
