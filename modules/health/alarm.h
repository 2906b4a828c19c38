/*
 * alarm.h: alarms. A rule (lwm2m/alarmparse.h) watches the devices it
 * selects (one endpoint, a tag, or all) and raises an alarm when its
 * condition holds: a value past a limit for hold_s seconds, a rate of
 * change past a limit over the last values, no value (or no message) for
 * a period, a device expired or asleep past its window, a device failing
 * in a job or a campaign. The alarm clears when the condition ends: a
 * threshold's value back past the limit by the hysteresis, a value heard,
 * the device back, a later success. One alarm per (rule, endpoint, path)
 * is active at a time; while it is, what meets the condition again bumps
 * its count, last time and value. An operator acknowledges it (who and
 * when are kept); that does not clear it.
 *
 * Values come up from the cache's number listener (cache/cache.h), job
 * and campaign failures from the event stream (events_subscribe: the
 * "job_progress" and "fw_progress" events), registrations the same way;
 * silence, expiry and holds that have run out are found by a timer that
 * walks the devices in slices ([alarms] sweep_s, sweep_slice). Nothing
 * calls up: the jobs and campaigns know nothing of alarms.
 *
 * Each raise, clear and acknowledgement is an "alarm" event (action
 * raise, clear or ack, with the alarm's members) on the event stream and
 * the webhook.
 *
 * A threshold rule on an LwM2M resource path with push (lwm2m/alarmparse.h)
 * is also written to each device it selects as Write-Attributes (gt and
 * lt a hysteresis apart, st, pmin, pmax) through the durable queue, and
 * the path is observed (observe_hold), so that a device that honours
 * attributes notifies only when it matters. It is written again when a
 * device registers (a device forgets attributes when it restarts), and
 * removed (the bare names) when the rule is deleted. The gateway still
 * judges every value itself.
 *
 * Durable: rules in STORE_DB_ALARMRULES (id u64 BE -> the rule's JSON as
 * alarmparse_json prints it), alarms in STORE_DB_ALARMS (id u64 BE ->
 * the alarm's JSON), both loaded at start; [alarms] keep_cleared cleared
 * alarms are kept, the oldest go first. Rules from gateway.ini ([alarms]
 * silence_s, expired, failures) are made at start and on reload, not
 * stored; their ids are "ini-silence", "ini-expired" and "ini-failure".
 * What a rule's condition has seen so far (a hold begun, a rate's last
 * values) is in memory only: after a restart it starts again.
 */
#ifndef OUTPOST_ALARM_H
#define OUTPOST_ALARM_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/alarmparse.h"
#include "modules/health/alarmrec.h"

struct gateway;
typedef struct cJSON cJSON;

extern const struct gw_module alarm_module;

/*
 * Adds a rule, in the open batch (the caller waits for the commit before
 * promising it). Its id is *id ("17" for 17). Returns 0, or -1 with the
 * reason in err: [alarms] max_rules reached (409), or the store refused
 * (500).
 */
int		 alarm_rule_add(struct gateway *gw,
		    const struct alarm_rule_def *def, uint64_t *id,
		    int *status, char *err, size_t errlen);

/* The rule of that id as JSON (its definition, id, created, origin "api"
 * or "ini", active alarms), NULL when there is none; the caller frees. */
cJSON		*alarm_rule_json(struct gateway *gw, const char *id);
/* The same by number, for http_reply_created. */
cJSON		*alarm_rule_json_num(struct gateway *gw, uint64_t id);
/* All rules, ini's first, then by id. */
cJSON		*alarm_rules_json(struct gateway *gw);

/* Deletes a rule (in the open batch): its active alarms clear, its
 * attributes are removed from the devices. 0, -1 none, -2 a rule of
 * gateway.ini (mended there). */
int		 alarm_rule_delete(struct gateway *gw, const char *id);

/* Active alarms per severity (the metrics). */
void		 alarm_counts(struct gateway *gw,
		    unsigned active[ALARM_SEV__COUNT]);

/*
 * Judges one number of ep's path at t_ms (unix ms), as the cache's
 * listener does: what the domain's unit tests drive directly.
 */
void		 alarm_number(struct gateway *gw, const char *ep,
		    const char *path, double v, int64_t t_ms);

/* Runs a whole sweep now, every slice (silence, expiry, holds run out):
 * for tests. */
void		 alarm_sweep_now(struct gateway *gw);

#endif /* OUTPOST_ALARM_H */
