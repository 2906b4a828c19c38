/*
 * guard.h: the single-device guard. No reboot, factory reset or second
 * update goes to a device while a firmware update on it is downloading or
 * downloaded and not applied, as far as the gateway knows: its latest
 * value of /5/0/3 (Firmware Update State) in the value cache, from a read
 * or a notification. Decisions only: the caller refuses (409 for the HTTP
 * API) or lets an operator's force through. The cache is in memory, so
 * after a restart the gateway knows nothing until it hears /5/0/3 again.
 */
#ifndef OUTPOST_GUARD_H
#define OUTPOST_GUARD_H

#include <stddef.h>

struct gateway;

/* LwM2M Firmware Update State (/5/0/3) values the guard acts on. */
#define GUARD_FW_DOWNLOADING	1
#define GUARD_FW_DOWNLOADED	2

/*
 * Whether a request (method: enum devreq_method, lwm2m/devmsg.h) to path
 * ("3/0/4": no leading '/', as struct devreq_spec has it) is one the guard
 * holds back: an Execute (POST) of 3/0/4 Reboot, 3/0/5 Factory Reset or
 * 5/0/2 Update, or a write (PUT, POST) of 5/0/0 Package, 5/0/1 Package
 * URI or the instance 5/0 that holds them (a second update). Ids are read
 * as numbers ("3/0/04" is 3/0/4) and empty segments are skipped, as a
 * device may read them so. Pure.
 */
int	guard_risky(int method, const char *path);

/*
 * Whether the gateway's latest value of ep's /5/0/3 is Downloading (1) or
 * Downloaded (2), in whatever Content-Format the device gave it (text,
 * SenML JSON or CBOR, TLV): 1 with the reason in reason[0..len) ("a
 * firmware update is downloading on device X (/5/0/3 = 1, heard 12 s
 * ago)"); 0 when it is anything else, is not known or does not decode.
 */
int	guard_update_busy(struct gateway *gw, const char *ep, char *reason,
	    size_t len);

/*
 * The decision for one request to ep: 1 (with the reason) when it is
 * guard_risky and guard_update_busy, but for the Execute of 5/0/2 while
 * the update is Downloaded, which is the very step that applies it. 0
 * when the request may go.
 */
int	guard_refuses(struct gateway *gw, const char *ep, int method,
	    const char *path, char *reason, size_t len);

/*
 * The device accepted (2.xx) a request to ep: after an Execute of 5/0/2
 * its update is no longer Downloaded (nor Downloading), so a cached State
 * of 1 or 2 is forgotten; a later State the device sent before its answer
 * (3 Updating, 0) stays. Anything else leaves the cache as it is.
 */
void	guard_accepted(struct gateway *gw, const char *ep, int method,
	    const char *path);

#endif /* OUTPOST_GUARD_H */
