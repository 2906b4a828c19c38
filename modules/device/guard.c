/*
 * guard.c: the single-device guard (guard.h): which requests it holds
 * back, and what the value cache says of a device's firmware update.
 */
#include <stdio.h>
#include <string.h>

#include "cache/cache.h"
#include "gateway.h"
#include "lwm2m/jobparse.h"
#include "lwm2m/campparse.h"
#include "lwm2m/devmsg.h"
#include "modules/device/guard.h"


int
guard_risky(int method, const char *path)
{
	return (jobparse_risk(method, path) & (JRISK_UPDATE | JRISK_APPLY)) !=
	    0;
}

/* Whether the request is the Execute of 5/0/2 Update. */
static int
guard_is_apply(int method, const char *path)
{
	return (jobparse_risk(method, path) & JRISK_APPLY) != 0;
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
