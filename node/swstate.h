/*
 * swstate.h: the state file of the agent's /9/0 Software Management
 * (swget.c keeps it in [software] dir), as JSON:
 *
 *   {"state":4,"active":true,"name":"collector","version":"2.1.0"}
 *
 * state is 0 (INITIAL), 3 (DELIVERED) or 4 (INSTALLED): a download under
 * way is not kept. name and version are the package's (printable ASCII,
 * at most 64 bytes), kept in INITIAL too after an Uninstall for an update.
 * Pure, no I/O.
 */
#ifndef OUTPOST_NODE_SWSTATE_H
#define OUTPOST_NODE_SWSTATE_H

#include <stddef.h>

#include "node/object.h"

#define SW_STATE_MAX	1024	/* bytes of a state file */

/* s's state file, NUL-terminated, malloc'd (the caller frees it), or NULL
 * when memory runs out. */
char	*sw_state_json(const struct sw *s);

/* Reads a state file of len bytes into s (state, active, name and
 * version; the rest cleared), checking every member: 0, or -1 with err
 * and s unchanged. */
int	sw_state_parse(const char *text, size_t len, struct sw *s, char *err,
	    size_t errlen);

#endif /* OUTPOST_NODE_SWSTATE_H */
