/*
 * guard.c: the single-device guard (guard.h): which requests it holds
 * back, and what the value cache says of a device's firmware update.
 */
#include <stdio.h>
#include <string.h>

#include "cache/cache.h"
#include "gateway.h"
#include "lwm2m/campparse.h"
#include "lwm2m/devmsg.h"
#include "modules/device/guard.h"

#define GUARD_IDS	4	/* object, instance, resource, instance */

/*
 * The ids of an LwM2M path into ids[]: their number (1..4), or -1 when
 * path is no LwM2M path (a segment that is not decimal, an id over
 * 65535, more than four). Empty segments are skipped and leading zeros
 * read, so that "3//0/04/" is 3/0/4: a device may read it so, and the
 * guard errs on the side of holding back.
 */
static int
guard_ids(const char *path, unsigned ids[GUARD_IDS])
{
	const char *p = path;
	unsigned long v;
	int n = 0;

	while (*p != '\0') {
		if (*p == '/') {
			p++;
			continue;
		}
		if (n == GUARD_IDS)
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

/* Whether ids[0..n) are exactly a, b, c (c < 0: a, b only). */
static int
guard_is(const unsigned *ids, int n, unsigned a, unsigned b, int c)
{
	if (n != (c < 0 ? 2 : 3) || ids[0] != a || ids[1] != b)
		return 0;
	return c < 0 || ids[2] == (unsigned)c;
}

int
guard_risky(int method, const char *path)
{
	unsigned ids[GUARD_IDS];
	int n;

	if (path == NULL || (n = guard_ids(path, ids)) == -1)
		return 0;
	if (method == DEVREQ_POST && (guard_is(ids, n, 3, 0, 4) ||
	    guard_is(ids, n, 3, 0, 5) || guard_is(ids, n, 5, 0, 2)))
		return 1;
	return (method == DEVREQ_PUT || method == DEVREQ_POST) &&
	    (guard_is(ids, n, 5, 0, 0) || guard_is(ids, n, 5, 0, 1) ||
	    guard_is(ids, n, 5, 0, -1));
}

/* Whether the request is the Execute of 5/0/2 Update. */
static int
guard_is_apply(int method, const char *path)
{
	unsigned ids[GUARD_IDS];
	int n;

	return method == DEVREQ_POST && path != NULL &&
	    (n = guard_ids(path, ids)) != -1 && guard_is(ids, n, 5, 0, 2);
}

/* ep's latest State (/5/0/3) as the cache holds it, with its age in
 * *age; -1 when none is cached or it does not decode. */
static int
guard_state(struct gateway *gw, const char *ep, int64_t *age)
{
	const struct cache_entry *e;
	int state, result;

	if (gw->cache == NULL || (e = cache_get(gw, ep, "5/0/3")) == NULL ||
	    campparse_value("5/0/3", e->content_format, e->body, e->len,
	    &state, &result) == -1)
		return -1;
	*age = cache_age(e);
	return state;
}

/* The reason for State state heard age seconds ago. */
static void
guard_reason(const char *ep, int state, int64_t age, char *reason,
    size_t len)
{
	if (len == 0)
		return;
	snprintf(reason, len, "a firmware update is %s on device %s%s "
	    "(/5/0/3 = %d, heard %lld s ago)", state == GUARD_FW_DOWNLOADING ?
	    "downloading" : "downloaded", ep, state == GUARD_FW_DOWNLOADING ?
	    "" : " and not applied", state, (long long)age);
}

int
guard_update_busy(struct gateway *gw, const char *ep, char *reason,
    size_t len)
{
	int64_t age = 0;
	int state = guard_state(gw, ep, &age);

	if (state != GUARD_FW_DOWNLOADING && state != GUARD_FW_DOWNLOADED)
		return 0;
	guard_reason(ep, state, age, reason, len);
	return 1;
}

int
guard_refuses(struct gateway *gw, const char *ep, int method,
    const char *path, char *reason, size_t len)
{
	int64_t age = 0;
	int state;

	if (!guard_risky(method, path))
		return 0;
	state = guard_state(gw, ep, &age);
	if (state == GUARD_FW_DOWNLOADED && guard_is_apply(method, path))
		return 0;
	if (state != GUARD_FW_DOWNLOADING && state != GUARD_FW_DOWNLOADED)
		return 0;
	guard_reason(ep, state, age, reason, len);
	return 1;
}

void
guard_accepted(struct gateway *gw, const char *ep, int method,
    const char *path)
{
	int64_t age;
	int state;

	if (!guard_is_apply(method, path))
		return;
	state = guard_state(gw, ep, &age);
	if (state == GUARD_FW_DOWNLOADING || state == GUARD_FW_DOWNLOADED)
		cache_forget(gw, ep, "5/0/3");
}
