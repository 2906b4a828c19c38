/*
 * alarmrec.c: the alarms themselves (alarmrec.h, part of alarm.h): raised,
 * met again, cleared, acknowledged; each in the store (STORE_DB_ALARMS)
 * and said as an "alarm" event; all of them kept in memory too, ordered by
 * id, so that a list or a read sees what was just staged as well as what
 * is committed. The oldest cleared ones go past [alarms] keep_cleared.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "gateway.h"
#include "log.h"
#include "cache/events.h"
#include "modules/health/alarmint.h"
#include "modules/health/alarmrec.h"
#include "store/store.h"

static void
alarm_rec_free(struct alarm_rec *a)
{
	if (a == NULL)
		return;
	free(a->path);
	free(a->ack_by);
	free(a->note);
	free(a);
}

void
alarm_recs_free(struct alarms *al)
{
	size_t i;

	for (i = 0; i < al->nrecs; i++)
		alarm_rec_free(al->recs[i]);
	free(al->recs);
	al->recs = NULL;
	al->nrecs = al->caprecs = 0;
}

/* The index of the first record with an id of at least id. */
static size_t
alarm_rec_index(struct alarms *al, uint64_t id)
{
	size_t lo = 0, hi = al->nrecs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (al->recs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct alarm_rec *
alarm_rec_find(struct alarms *al, uint64_t id)
{
	size_t i = alarm_rec_index(al, id);

	return i < al->nrecs && al->recs[i]->id == id ? al->recs[i] : NULL;
}

/* Puts a in its place by id. 0 or -1. */
static int
alarm_rec_insert(struct alarms *al, struct alarm_rec *a)
{
	struct alarm_rec **nr;
	size_t cap, i;

	if (al->nrecs == al->caprecs) {
		cap = al->caprecs ? al->caprecs * 2 : 64;
		if ((nr = realloc(al->recs, cap * sizeof(*nr))) == NULL)
			return -1;
		al->recs = nr;
		al->caprecs = cap;
	}
	i = alarm_rec_index(al, a->id);
	memmove(&al->recs[i + 1], &al->recs[i],
	    (al->nrecs - i) * sizeof(al->recs[0]));
	al->recs[i] = a;
	al->nrecs++;
	return 0;
}

/* Replaces *s with a copy of v (NULL: none). */
static void
alarm_set_str(char **s, const char *v)
{
	char *c = v != NULL ? strdup(v) : NULL;

	if (v != NULL && c == NULL)
		return;		/* keeps the old words */
	free(*s);
	*s = c;
}

static void
alarm_time(cJSON *o, const char *key, int64_t t, int store)
{
	char when[GW_TIME_LEN];

	if (t == 0)
		cJSON_AddNullToObject(o, key);
	else if (store)
		cJSON_AddNumberToObject(o, key, (double)t);
	else
		cJSON_AddStringToObject(o, key, gw_time_str(t, when));
}

/* a as the API shows it (store: as the store keeps it, times as unix
 * seconds); with_ep: with its endpoint (an event gets it from
 * events_emit). */
static cJSON *
alarm_rec_render(const struct alarm_rec *a, int store, int with_ep)
{
	cJSON *o = cJSON_CreateObject(), *ack;

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)a->id);
	cJSON_AddStringToObject(o, "rule", a->rule);
	cJSON_AddStringToObject(o, "kind", alarm_kind_name(a->kind));
	cJSON_AddStringToObject(o, "severity",
	    alarm_severity_name(a->severity));
	if (with_ep)
		cJSON_AddStringToObject(o, "ep", a->ep);
	if (a->path != NULL && a->path[0] != '\0')
		cJSON_AddStringToObject(o, "path", a->path);
	else
		cJSON_AddNullToObject(o, "path");
	cJSON_AddStringToObject(o, "state", a->active ? "active" : "cleared");
	alarm_time(o, "first", a->first, store);
	alarm_time(o, "last", a->last, store);
	alarm_time(o, "cleared", a->cleared, store);
	cJSON_AddNumberToObject(o, "value", a->value);
	cJSON_AddNumberToObject(o, "count", (double)a->count);
	if (a->note != NULL)
		cJSON_AddStringToObject(o, "note", a->note);
	else
		cJSON_AddNullToObject(o, "note");
	if (a->ack_at != 0) {
		ack = cJSON_AddObjectToObject(o, "acked");
		cJSON_AddStringToObject(ack, "by", a->ack_by != NULL ?
		    a->ack_by : "");
		alarm_time(ack, "at", a->ack_at, store);
	} else {
		cJSON_AddNullToObject(o, "acked");
	}
	return o;
}

/* The record into the open batch. */
static void
alarm_rec_save(struct gateway *gw, const struct alarm_rec *a)
{
	cJSON *o = alarm_rec_render(a, 1, 1);
	uint8_t key[8];
	char *text;

	if (o == NULL || (text = cJSON_PrintUnformatted(o)) == NULL) {
		log_warnx("alarm %" PRIu64 ": out of memory, not stored",
		    a->id);
		cJSON_Delete(o);
		return;
	}
	store_put_be64(key, a->id);
	store_put(gw->store, STORE_DB_ALARMS, key, sizeof(key), text,
	    strlen(text));
	free(text);
	cJSON_Delete(o);
}

static void
alarm_emit(struct gateway *gw, const struct alarm_rec *a, const char *action)
{
	cJSON *e = alarm_rec_render(a, 0, 0);

	if (e == NULL)
		return;
	cJSON_AddStringToObject(e, "action", action);
	events_emit(gw, "alarm", a->ep, e);
}

void
alarm_raise(struct gateway *gw, struct alarm_track *t, double value,
    const char *note)
{
	struct alarms *al = gw->alarms;
	const struct alarm_rule *r = t->rule;
	struct alarm_rec *a;
	char words[320];

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->path = strdup(r->def.path)) == NULL) {
		free(a);
		log_warnx("alarm rule %s: device %s: out of memory, no alarm "
		    "raised", r->id, t->ep);
		return;
	}
	a->id = al->next_id;
	a->first = a->last = gw_now();
	a->value = value;
	a->count = 1;
	a->kind = (uint8_t)r->def.kind;
	a->severity = (uint8_t)r->def.severity;
	a->active = 1;
	snprintf(a->rule, sizeof(a->rule), "%s", r->id);
	snprintf(a->ep, sizeof(a->ep), "%s", t->ep);
	if (note == NULL && (r->def.kind == ALARM_K_THRESHOLD ||
	    r->def.kind == ALARM_K_RATE)) {
		snprintf(words, sizeof(words), "%s%s %g %s %g%s",
		    r->def.kind == ALARM_K_RATE ? "rate of " : "", r->def.path,
		    value, r->def.below ? "below" : "above", r->def.limit,
		    r->def.kind != ALARM_K_RATE ? "" : r->def.per_s == 60 ?
		    " per minute" : " per second");
		note = words;
	}
	alarm_set_str(&a->note, note);
	if (alarm_rec_insert(al, a) == -1) {
		alarm_rec_free(a);
		return;
	}
	al->next_id++;
	t->a = a;
	log_info("alarm %" PRIu64 " raised: rule %s, device %s, %s: %s",
	    a->id, a->rule, a->ep, alarm_severity_name(a->severity),
	    a->note != NULL ? a->note : "");
	alarm_rec_save(gw, a);
	alarm_emit(gw, a, "raise");
}

void
alarm_again(struct gateway *gw, struct alarm_track *t, double value,
    const char *note, int save)
{
	struct alarm_rec *a = t->a;

	a->last = gw_now();
	a->value = value;
	if (note != NULL)
		alarm_set_str(&a->note, note);
	if (save) {
		a->count++;
		alarm_rec_save(gw, a);
	}
}

/* The oldest cleared alarms past [alarms] keep_cleared go: after a
 * clear, by the sweep's tick (not during a clear: a caller may be walking
 * the records). */
void
alarm_retire_oldest(struct gateway *gw)
{
	struct alarms *al = gw->alarms;
	struct alarm_rec *a;
	uint8_t key[8];
	size_t i, j = 0, excess;

	if (al->ncleared <= (size_t)gw->cfg.alarm_keep_cleared)
		return;
	excess = al->ncleared - (size_t)gw->cfg.alarm_keep_cleared;
	/* One pass: the records stay in id order, the oldest cleared go. */
	for (i = 0; i < al->nrecs; i++) {
		a = al->recs[i];
		if (excess > 0 && !a->active) {
			store_put_be64(key, a->id);
			store_del(gw->store, STORE_DB_ALARMS, key, sizeof(key));
			alarm_rec_free(a);
			excess--;
			al->ncleared--;
			continue;
		}
		al->recs[j++] = a;
	}
	al->nrecs = j;
}

void
alarm_clear_rec(struct gateway *gw, struct alarm_rec *a, const char *note)
{
	a->active = 0;
	a->cleared = gw_now();
	if (note != NULL)
		alarm_set_str(&a->note, note);
	else
		alarm_set_str(&a->note, "back within the limit");
	gw->alarms->ncleared++;
	log_info("alarm %" PRIu64 " cleared: rule %s, device %s: %s", a->id,
	    a->rule, a->ep, a->note != NULL ? a->note : "");
	alarm_rec_save(gw, a);
	alarm_emit(gw, a, "clear");
}

void
alarm_clear(struct gateway *gw, struct alarm_track *t, const char *note)
{
	struct alarm_rec *a = t->a;

	t->a = NULL;
	t->pending = 0;
	if (a != NULL)
		alarm_clear_rec(gw, a, note);
}

int
alarm_ack(struct gateway *gw, uint64_t id, const char *by)
{
	struct alarm_rec *a;

	if (gw->alarms == NULL || (a = alarm_rec_find(gw->alarms, id)) == NULL)
		return -1;
	if (a->ack_at != 0)
		return -2;
	alarm_set_str(&a->ack_by, by != NULL && by[0] != '\0' ? by :
	    "anonymous");
	a->ack_at = gw_now();
	log_info("alarm %" PRIu64 " acknowledged by %s", a->id,
	    a->ack_by != NULL ? a->ack_by : "?");
	alarm_rec_save(gw, a);
	alarm_emit(gw, a, "ack");
	return 0;
}

cJSON *
alarm_json(struct gateway *gw, uint64_t id)
{
	struct alarm_rec *a;

	if (gw->alarms == NULL || (a = alarm_rec_find(gw->alarms, id)) == NULL)
		return NULL;
	return alarm_rec_render(a, 0, 1);
}

cJSON *
alarm_list_json(struct gateway *gw, int st, const char *ep, int sev,
    uint64_t before, size_t limit, int *more)
{
	struct alarms *al = gw->alarms;
	const struct alarm_rec *a;
	cJSON *list = cJSON_CreateArray();
	size_t i, n = 0;

	*more = 0;
	if (list == NULL || al == NULL)
		return list;
	i = before != 0 ? alarm_rec_index(al, before) : al->nrecs;
	while (i-- > 0) {
		a = al->recs[i];
		if ((st == ALARM_ST_ACTIVE && !a->active) ||
		    (st == ALARM_ST_CLEARED && a->active) ||
		    (ep != NULL && strcmp(a->ep, ep) != 0) ||
		    (sev >= 0 && a->severity != sev))
			continue;
		if (n == limit) {
			*more = 1;
			break;
		}
		cJSON_AddItemToArray(list, alarm_rec_render(a, 0, 1));
		n++;
	}
	return list;
}

static int64_t
alarm_load_time(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* One stored alarm, at start. */
static int
alarm_rec_load(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct alarms *al = arg;
	struct alarm_rec *a;
	const cJSON *ack;
	cJSON *o;
	const char *s;
	int sev;

	if (klen != 8)
		return 0;
	if ((o = cJSON_ParseWithLength(val, vlen)) == NULL ||
	    (a = calloc(1, sizeof(*a))) == NULL) {
		cJSON_Delete(o);
		log_warnx("alarm %" PRIu64 ": its record does not hold, "
		    "skipped", store_get_be64(key));
		return 0;
	}
	a->id = store_get_be64(key);
	a->first = alarm_load_time(o, "first");
	a->last = alarm_load_time(o, "last");
	a->cleared = alarm_load_time(o, "cleared");
	a->value = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "value"));
	if (isnan(a->value))
		a->value = 0;
	a->count = (uint64_t)alarm_load_time(o, "count");
	if ((s = cJSON_GetStringValue(cJSON_GetObjectItem(o, "kind"))) !=
	    NULL)
		for (a->kind = 0; a->kind < ALARM_K__COUNT &&
		    strcmp(alarm_kind_name(a->kind), s) != 0; a->kind++)
			;
	sev = alarm_severity_of(cJSON_GetStringValue(cJSON_GetObjectItem(o,
	    "severity")));
	a->severity = (uint8_t)(sev >= 0 ? sev : ALARM_SEV_MAJOR);
	s = cJSON_GetStringValue(cJSON_GetObjectItem(o, "state"));
	a->active = s != NULL && strcmp(s, "active") == 0;
	snprintf(a->rule, sizeof(a->rule), "%s", (s =
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "rule"))) != NULL ?
	    s : "");
	snprintf(a->ep, sizeof(a->ep), "%s", (s =
	    cJSON_GetStringValue(cJSON_GetObjectItem(o, "ep"))) != NULL ?
	    s : "");
	s = cJSON_GetStringValue(cJSON_GetObjectItem(o, "path"));
	alarm_set_str(&a->path, s != NULL ? s : "");
	alarm_set_str(&a->note, cJSON_GetStringValue(cJSON_GetObjectItem(o,
	    "note")));
	if (cJSON_IsObject(ack = cJSON_GetObjectItem(o, "acked"))) {
		alarm_set_str(&a->ack_by, cJSON_GetStringValue(
		    cJSON_GetObjectItem(ack, "by")));
		a->ack_at = alarm_load_time(ack, "at");
	}
	cJSON_Delete(o);
	if (a->path == NULL || alarm_rec_insert(al, a) == -1) {
		alarm_rec_free(a);
		return -1;
	}
	if (!a->active)
		al->ncleared++;
	if (a->id >= al->next_id)
		al->next_id = a->id + 1;
	return 0;
}

int
alarm_recs_load(struct gateway *gw)
{
	return store_iterate(gw->store, STORE_DB_ALARMS, NULL, 0,
	    alarm_rec_load, gw->alarms);
}
