/*
 * alarmrec.h: the alarms themselves as the HTTP face lists, reads and
 * acknowledges them (alarmrec.c); part of alarm.h, which includes it and
 * says what an alarm is.
 */
#ifndef OUTPOST_ALARMREC_H
#define OUTPOST_ALARMREC_H

#include <stddef.h>
#include <stdint.h>

struct gateway;
typedef struct cJSON cJSON;

/* Which alarms a list shows. */
enum alarm_state {
	ALARM_ST_ACTIVE,
	ALARM_ST_CLEARED,
	ALARM_ST_ALL,
};

/*
 * Up to limit alarms, newest (highest id) first, with ids below before
 * (0: from the newest), of state st, of ep only (unless NULL), of
 * severity sev only (unless -1); *more set when there are more. As
 * committed, but for the active ones, which come from memory. NULL on a
 * store error.
 */
cJSON		*alarm_list_json(struct gateway *gw, int st, const char *ep,
		    int sev, uint64_t before, size_t limit, int *more);

/* Alarm id as JSON, or NULL when there is none. */
cJSON		*alarm_json(struct gateway *gw, uint64_t id);

/* An operator acknowledges alarm id: by (may be "": "anonymous") and now
 * are kept, in the open batch, with an "alarm" event of action ack.
 * 0, -1 no such alarm, -2 acknowledged already. */
int		 alarm_ack(struct gateway *gw, uint64_t id, const char *by);

#endif /* OUTPOST_ALARMREC_H */
