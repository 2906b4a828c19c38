/*
 * events.c: fan-out of gateway events to their sinks.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "gateway.h"
#include "cache/events.h"

struct events {
	int64_t			 when;		/* the second of when_str */
	char			 when_str[GW_TIME_LEN];
	struct {
		events_sink	 fn;
		void		*arg;
	}			 sinks[EVENTS_MAX_SINKS];
	size_t			 nsinks;
};

static struct events *
events_get(struct gateway *gw)
{
	if (gw->events == NULL)
		gw->events = calloc(1, sizeof(*gw->events));
	return gw->events;
}

int
events_subscribe(struct gateway *gw, events_sink sink, void *arg)
{
	struct events *ev = events_get(gw);

	if (ev == NULL || ev->nsinks == EVENTS_MAX_SINKS)
		return -1;
	ev->sinks[ev->nsinks].fn = sink;
	ev->sinks[ev->nsinks].arg = arg;
	ev->nsinks++;
	return 0;
}

void
events_unsubscribe(struct gateway *gw, events_sink sink, void *arg)
{
	struct events *ev = gw->events;
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nsinks; i++)
		if (ev->sinks[i].fn == sink && ev->sinks[i].arg == arg) {
			memmove(&ev->sinks[i], &ev->sinks[i + 1],
			    (ev->nsinks - i - 1) * sizeof(ev->sinks[0]));
			ev->nsinks--;
			break;
		}
	if (ev->nsinks == 0) {
		free(ev);
		gw->events = NULL;
	}
}

void
events_emit(struct gateway *gw, const char *type, const char *ep,
    cJSON *data)
{
	struct events *ev = gw->events;
	int64_t now = gw_now();
	cJSON *e;
	size_t i;

	if (ev == NULL || ev->nsinks == 0) {
		cJSON_Delete(data);
		return;
	}
	e = data != NULL ? data : cJSON_CreateObject();
	/* strftime once a second, not once an event. */
	if (now != ev->when || ev->when_str[0] == '\0') {
		gw_time_str(now, ev->when_str);
		ev->when = now;
	}
	/* Constant keys: three allocations fewer. */
	cJSON_AddItemToObjectCS(e, "type", cJSON_CreateString(type));
	if (ep != NULL)
		cJSON_AddItemToObjectCS(e, "ep", cJSON_CreateString(ep));
	cJSON_AddItemToObjectCS(e, "time", cJSON_CreateString(ev->when_str));
	for (i = 0; i < ev->nsinks; i++)
		ev->sinks[i].fn(gw, type, e, ev->sinks[i].arg);
	cJSON_Delete(e);
}
