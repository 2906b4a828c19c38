/*
 * dmparse.h: the bodies of the LwM2M device-management operations that the
 * HTTP API takes and the gateway turns into CoAP (lwm2m/dmparse.c):
 * Write-Attributes (a JSON object becomes a Uri-Query), the arguments of an
 * Execute (checked, sent as they are) and the paths of a Read-Composite (a
 * JSON list becomes a SenML JSON pack of names). Pure functions over
 * untrusted input: bounded, no I/O, a refusal says why.
 */
#ifndef OUTPOST_DMPARSE_H
#define OUTPOST_DMPARSE_H

#include <stddef.h>
#include <stdint.h>

#define DM_BODY_MAX		4096	/* bytes of an attributes or
					   composite body */
#define DM_QUERY_MAX		256	/* bytes of the query made of the
					   attributes, with its NUL */
#define DM_COMPOSITE_MAX	64	/* paths of one Read-Composite */
#define DM_PERIOD_MAX		2147483647	/* pmin pmax epmin epmax */

/* Whether name (NUL-terminated) is one of the Write-Attributes of LwM2M
 * 1.1 Core 5.1.2: pmin, pmax, gt, lt, st, epmin, epmax. */
int	dm_attribute_name(const char *name);

/*
 * The body of PUT /v1/devices/{ep}/attributes/{path}: one JSON object whose
 * members are attribute names, each a number or null (null removes the
 * attribute: the query carries the bare name). pmin, pmax, epmin and epmax
 * are whole numbers 0..DM_PERIOD_MAX; gt, lt and st finite numbers, st not
 * negative. At least one member; a name twice, an unknown name, or a rule
 * of 5.1.2 broken among the values set (pmin <= pmax, epmin <= epmax,
 * lt < gt, and lt + 2 * st < gt when all three are set) is refused.
 * On success query (qlen bytes) holds the Uri-Query options joined by '&',
 * in the order pmin, pmax, gt, lt, st, epmin, epmax ("pmin=5&gt=30.5&lt"),
 * and 0 is returned; else -1 with a reason in err.
 */
int	dm_attributes(const char *body, size_t len, char *query, size_t qlen,
	    char *err, size_t errlen);

/*
 * The arguments of an Execute (text/plain), as LwM2M 1.1 Core 5.4.5 writes
 * them: arglist = argument *("," argument); argument = DIGIT ["=" "'"
 * *argchar "'"]; argchar = %x21 / %x23-26 / %x28-5B / %x5D-7E (printable
 * ASCII but space, '"', "'" and '\'). An empty body has no arguments and is
 * fine. Returns 0, or -1 with a reason naming the byte in err.
 */
int	dm_execute_args(const uint8_t *body, size_t len, char *err,
	    size_t errlen);

/*
 * Whether p[0..len) is an LwM2M path with a leading '/': 1 to 4 ids
 * ("/3", "/3/0", "/3/0/7", "/3/0/7/1"), each decimal 0..65535 without
 * leading zeros.
 */
int	dm_path_valid(const char *p, size_t len);

/*
 * The body of POST /v1/devices/{ep}/composite: {"paths": [...]}, 1 to
 * DM_COMPOSITE_MAX distinct LwM2M paths (dm_path_valid), no other member.
 * Returns the Read-Composite request's payload, a SenML JSON pack of names
 * ([{"n":"/3/0/0"},...], in the order given) the caller frees, with its
 * length in *outlen; or NULL with a reason in err.
 */
char	*dm_composite(const char *body, size_t len, size_t *outlen, char *err,
	    size_t errlen);

#endif /* OUTPOST_DMPARSE_H */
