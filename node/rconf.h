/*
 * rconf.h: the /config resource: the node's runtime configuration as JSON,
 * validated against the key table of nconf.c, and kept on disk.
 *
 * The document is an object of sections, each an object of keys, holding
 * exactly the keys marked NCONF_RUNTIME:
 *   {"node": {"lifetime": 300, "binding": "U", ...}, "health": {...}}
 * Numbers are JSON numbers (whole ones for whole-number keys), everything
 * else is a JSON string checked as node.ini checks it. A write may name any
 * subset of the keys; keys it leaves out keep their values.
 *
 * What servers wrote is kept in a file of the same form (the overrides),
 * replaced atomically on each write, and applied over node.ini at start.
 */
#ifndef OUTPOST_NODE_RCONF_H
#define OUTPOST_NODE_RCONF_H

#include <stddef.h>

#include <cJSON.h>

#include "node/nconf.h"

#define RCONF_DOC_MAX	4096	/* bytes of a /config write */

/* The runtime keys of cfg as a document. The caller owns the result
 * (cJSON_Delete); NULL when out of memory. */
cJSON	*rconf_render(const struct node_config *cfg);

/*
 * Validates a document (len bytes, no NUL needed) and applies it to cfg.
 * On success returns 0, cfg holds the new values and, when doc is not NULL,
 * *doc gets the parsed document (the caller owns it). On any error returns
 * -1 with a reason in err that names the key ("health.pmax: 0 is below the
 * minimum 1"), and cfg is untouched.
 */
int	rconf_apply(struct node_config *cfg, const char *buf, size_t len,
	    cJSON **doc, char *err, size_t errlen);

/* Merges the keys of doc (an applied document) into overrides, replacing
 * values of the same keys. Returns 0, or -1 when out of memory. */
int	rconf_merge(cJSON *overrides, const cJSON *doc);

/*
 * Writes doc to path atomically: a temporary file in the same directory,
 * fsync, rename over path, fsync of the directory. Returns 0 or -1 with
 * err; on failure path keeps its old content.
 */
int	rconf_store(const char *path, const cJSON *doc, char *err,
	    size_t errlen);

/*
 * Reads the overrides at path and applies them to cfg. A missing file is
 * no error (*overrides gets an empty object). Returns 0, or -1 with err
 * when the file cannot be read or does not validate (cfg untouched).
 */
int	rconf_load(struct node_config *cfg, const char *path,
	    cJSON **overrides, char *err, size_t errlen);

#endif /* OUTPOST_NODE_RCONF_H */
