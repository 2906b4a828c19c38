/*
 * histparam.h: the query of a history read (GET
 * /v1/devices/{ep}/history/{path}?from=&to=&step=&limit=&after=), read and
 * checked, and what a page's answer prints: times and its cursor. Pure
 * functions over untrusted input; no I/O.
 */
#ifndef OUTPOST_HISTPARAM_H
#define OUTPOST_HISTPARAM_H

#include <stddef.h>
#include <stdint.h>

#include "modules/health/history.h"

#define HISTPARAM_TIME_MAX	253402300799999LL	/* 9999-12-31, ms */
#define HISTPARAM_TIME_LEN	48	/* "2026-12-07T05:31:50.123Z", and room
					   for any int the compiler fears */
#define HISTPARAM_CURSOR_LEN	24	/* "p1765085510123" */

/*
 * A time: RFC 3339 ("2026-12-07T05:31:50Z", "...50.250+01:00"; a fraction
 * kept to the millisecond) or Unix seconds ("1765085510", "1765085510.25").
 * Returns unix ms, or -1 when it is none, before 1970 or after 9999.
 */
int64_t	histparam_time(const char *s);

/*
 * Reads the parameters (each NULL when absent) into q, at now_ms: from and
 * to as histparam_time (absent: the hour before to, and now), step as
 * seconds with an optional unit s, m, h or d (absent: no step), limit
 * 1..HISTORY_LIMIT_MAX (absent: HISTORY_LIMIT_DEFAULT), after a cursor as
 * histparam_cursor printed it. Returns 0, or -1 with the parameter at fault
 * in field and why in err.
 */
int	histparam_parse(const char *from, const char *to, const char *step,
	    const char *limit, const char *after, int64_t now_ms,
	    struct history_query *q, char *field, size_t fieldlen, char *err,
	    size_t errlen);

/* The cursor of the page that ends with row r ("?after="): "p" or "b" and
 * its time in ms in a read without step, "s" and its start with one. */
const char *histparam_cursor(const struct history_row *r, int64_t step_ms,
	    char buf[HISTPARAM_CURSOR_LEN]);

/* Unix ms as RFC 3339 UTC with milliseconds; returns buf. */
const char *histparam_time_str(int64_t t_ms, char buf[HISTPARAM_TIME_LEN]);

#endif /* OUTPOST_HISTPARAM_H */
