/*
 * devlog.h: a device's last log lines, kept with the record of a job or a
 * campaign it failed in. The engine that saw the failure asks for them
 * (devlog_request); a read of the device's Event Log LogData (/20/0/4014,
 * lwm2m/devlog.h) goes into its queue, and when that op ends (the queue's
 * listener, in the batch of its result) the last DEVLOG_KEEP lines go into
 * STORE_DB_DEVLOGS under "KIND/ID/EP". The face shows them with the
 * device's record (devlog_get). Only a device whose registration lists
 * object 20 is asked. A read still out at a restart is not followed
 * (the op's result stays in the queue's record).
 */
#ifndef OUTPOST_DEVLOG_MOD_H
#define OUTPOST_DEVLOG_MOD_H

#include <stdint.h>

struct gateway;
struct cJSON;

#define DEVLOG_KEEP	20	/* lines kept with a failed device */

/* Whether ep's registration lists the Event Log (</20> or </20/...>). */
int		 devlog_listed(struct gateway *gw, const char *ep);

/*
 * Queues the read of ep's LogData for the record kind ("job" or "camp")
 * id. Returns 0 when queued, 1 when ep does not list object 20 (nothing
 * to ask), -1 when it could not be queued (logged).
 */
int		 devlog_request(struct gateway *gw, const char *kind, uint64_t id,
		    const char *ep);

/* The lines kept for (kind, id, ep) as a JSON array, the caller's; NULL
 * when none are. */
struct cJSON	*devlog_get(struct gateway *gw, const char *kind, uint64_t id,
		    const char *ep);

#endif /* OUTPOST_DEVLOG_MOD_H */
