/*
 * dmparse.h: the bodies of the LwM2M device-management operations that the
 * HTTP API takes and the gateway turns into CoAP (lwm2m/dmparse.c):
 * Write-Attributes (a JSON object becomes a Uri-Query), the arguments of an
 * Execute (checked, sent as they are) and the paths of a Read-Composite (a
 * JSON list becomes a SenML JSON pack of names) or an Observe-Composite (the
 * same list, as a set with an id). Pure functions over
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
#define DM_PATH_LEN		25	/* "/65535/65535/65535/65535" and
					   its NUL */
#define DM_COMPOSITE_ID_LEN	16	/* hex digits of a set's id */

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

/*
 * The body of POST and DELETE /v1/devices/{ep}/observe-composite: as
 * dm_composite takes it, but a set, so that the same paths are the same
 * observation whatever their order: a path given twice is kept once, and
 * the paths come out in paths[] sorted by their ids as numbers ("/3/0/9"
 * before "/3/0/10", "/3/0" before "/3/0/0"). Returns their number (1 to
 * DM_COMPOSITE_MAX), or -1 with a reason in err.
 */
int	dm_composite_set(const char *body, size_t len,
	    char paths[DM_COMPOSITE_MAX][DM_PATH_LEN], char *err, size_t errlen);

/* The set's id: DM_COMPOSITE_ID_LEN lowercase hex digits of a hash of the
 * sorted paths, and a NUL, into id. The same set has the same id. */
void	dm_composite_id(char paths[][DM_PATH_LEN], int n,
	    char id[DM_COMPOSITE_ID_LEN + 1]);

/* The Read-Composite (or Observe-Composite) payload naming paths[0..n),
 * [{"n":"/3/0/9"},...], as dm_composite makes it: the caller frees it;
 * NULL without memory. Its length in *outlen. */
char	*dm_composite_names(char paths[][DM_PATH_LEN], int n, size_t *outlen);

/* The body of the set, {"paths":[...]}, as dm_composite_set takes it back
 * (the store keeps it): the caller frees it; NULL without memory. */
char	*dm_composite_body(char paths[][DM_PATH_LEN], int n);

#endif /* OUTPOST_DMPARSE_H */
