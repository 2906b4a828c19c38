/*
 * jobrisk.c: which requests to a device are risky (jobparse_risk): the
 * one rule the jobs' preconditions and the single-device guard share.
 */
#include <stddef.h>

#include "lwm2m/devmsg.h"
#include "lwm2m/jobparse.h"

#define RISK_IDS	4

/* The ids of an LwM2M path: their number (1..4), or -1 when path is no
 * LwM2M path (a segment that is not decimal, an id over 65535, more than
 * four). */
static int
jp_risk_ids(const char *path, unsigned ids[RISK_IDS])
{
	const char *p = path;
	unsigned long v;
	int n = 0;

	while (*p != '\0') {
		if (*p == '/') {
			p++;
			continue;
		}
		if (n == RISK_IDS)
			return -1;
		for (v = 0; *p >= '0' && *p <= '9'; p++)
			if ((v = v * 10 + (unsigned long)(*p - '0')) > 65535)
				return -1;
		if (*p != '/' && *p != '\0')
			return -1;
		ids[n++] = (unsigned)v;
	}
	return n > 0 ? n : -1;
}

/* Whether ids[0..n) are exactly a, b, c (c < 0: a, b only; b < 0: any
 * instance). */
static int
jp_risk_is(const unsigned *ids, int n, unsigned a, int b, int c)
{
	if (n != (c < 0 ? 2 : 3) || ids[0] != a ||
	    (b >= 0 && ids[1] != (unsigned)b))
		return 0;
	return c < 0 || ids[2] == (unsigned)c;
}

int
jobparse_risk(int method, const char *path)
{
	unsigned ids[RISK_IDS];
	int n;

	if (path == NULL || (n = jp_risk_ids(path, ids)) == -1)
		return 0;
	if (method == DEVREQ_POST && (jp_risk_is(ids, n, 3, 0, 4) ||
	    jp_risk_is(ids, n, 3, 0, 5)))
		return JRISK_BATTERY | JRISK_UPDATE;
	if (method == DEVREQ_POST && jp_risk_is(ids, n, 5, 0, 2))
		return JRISK_BATTERY | JRISK_APPLY;
	if ((method == DEVREQ_PUT || method == DEVREQ_POST) &&
	    (jp_risk_is(ids, n, 5, 0, 0) || jp_risk_is(ids, n, 5, 0, 1) ||
	    jp_risk_is(ids, n, 5, 0, -1)))
		return JRISK_BATTERY | JRISK_UPDATE;
	if (method == DEVREQ_POST && (jp_risk_is(ids, n, 9, -1, 4) ||
	    jp_risk_is(ids, n, 9, -1, 10)))
		return JRISK_BATTERY;
	return 0;
}
