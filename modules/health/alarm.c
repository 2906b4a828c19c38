/*
 * alarm.c: alarm rules added, deleted and loaded, how each value and each
 * device is judged against them, the sweep, the events heard, the module
 * (alarm.h). The alarms themselves are alarmrec.c's; the attributes
 * written to devices, alarmpush.c's; the rules in memory and their
 * tracks, alarmrule.c's.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "cache/cache.h"
#include "cache/events.h"
#include "modules/device/registry.h"
#include "modules/health/alarm.h"
#include "modules/health/alarmint.h"
#include "store/store.h"

/* A value past the limit: 1; back inside by the hysteresis: -1; in
 * between: 0. */
static int
alarm_past(const struct alarm_rule_def *d, double x)
{
	if (d->below)
		return x < d->limit ? 1 : x >= d->limit + d->hysteresis ? -1 : 0;
	return x > d->limit ? 1 : x <= d->limit - d->hysteresis ? -1 : 0;
}

/* The rate over t's window with the new sample: 0 and *rate, or -1
 * while the window is not full. */
static int
alarm_rate(struct alarm_track *t, const struct alarm_rule_def *d,
    int64_t t_ms, double v, double *rate)
{
	const struct alarm_sample *old;
	int w = d->window;

	t->ring[t->head] = (struct alarm_sample){ t_ms, v };
	t->head = (uint8_t)((t->head + 1) % w);
	if (t->n < w)
		t->n++;
	if (t->n < w)
		return -1;
	old = &t->ring[t->head];	/* the oldest, next to be replaced */
	if (t_ms <= old->t_ms)
		return -1;
	*rate = (v - old->v) * 1000.0 / (double)(t_ms - old->t_ms) *
	    d->per_s;
	return isfinite(*rate) ? 0 : -1;
}

/* A threshold's or a rate's condition, met or not, for t now. */
static void
alarm_judge(struct gateway *gw, struct alarm_track *t, double x)
{
	struct alarms *al = gw->alarms;
	const struct alarm_rule_def *d = &t->rule->def;
	int64_t now = gw_now();
	int past = alarm_past(d, x);

	t->last = x;
	if (past == 1) {
		if (t->a != NULL) {
			alarm_again(gw, t, x, NULL, 1);
			return;
		}
		if (t->pending == 0)
			t->pending = now;
		if (now - t->pending >= d->hold_s) {
			t->pending = 0;
			alarm_raise(gw, t, x, NULL);
		} else if (!t->in_pending) {
			t->pnext = al->pending;
			al->pending = t;
			t->in_pending = 1;
		}
		return;
	}
	t->pending = 0;
	if (past == -1 && t->a != NULL)
		alarm_clear(gw, t, NULL);
}

void
alarm_number(struct gateway *gw, const char *ep, const char *path, double v,
    int64_t t_ms)
{
	struct alarms *al = gw->alarms;
	struct alarm_rule *r;
	struct alarm_track *t;
	double rate;
	size_t i;

	if (al == NULL)
		return;
	for (i = 0; i < al->nrules; i++) {
		r = al->rules[i];
		if (r->gone)
			continue;
		switch (r->def.kind) {
		case ALARM_K_THRESHOLD:
		case ALARM_K_RATE:
			if (strcmp(r->def.path, path) != 0 ||
			    !alarm_selects(gw, r, ep) ||
			    (t = alarm_track_get(al, r, ep)) == NULL)
				break;
			t->seen = gw_now();
			if (r->def.kind == ALARM_K_RATE) {
				if (alarm_rate(t, &r->def, t_ms, v, &rate) == 0)
					alarm_judge(gw, t, rate);
			} else {
				alarm_judge(gw, t, v);
			}
			break;
		case ALARM_K_SILENCE:
			/* A value ends a silence of its path, and of the
			 * device; the device's own is found by the sweep
			 * too (a message that carries no number). */
			if (r->def.path[0] != '\0' &&
			    strcmp(r->def.path, path) != 0)
				break;
			if (r->def.path[0] == '\0') {
				if ((t = alarm_track_find(al, r, ep)) != NULL &&
				    t->a != NULL)
					alarm_clear(gw, t, "heard again");
				break;
			}
			if (!alarm_selects(gw, r, ep) ||
			    (t = alarm_track_get(al, r, ep)) == NULL)
				break;
			t->seen = gw_now();
			if (t->a != NULL)
				alarm_clear(gw, t, "heard again");
			break;
		default:
			break;
		}
	}
}

static void
alarm_number_cb(struct gateway *gw, const char *ep, const char *path,
    double v, int64_t t_ms, void *arg)
{
	(void)arg;
	alarm_number(gw, ep, path, v, t_ms);
}

/* A silence or offline rule's condition for device d now: 1 met (the
 * value in *x), 0 not. */
static int
alarm_device_met(struct gateway *gw, struct alarm_rule *r, struct device *d,
    int64_t now, double *x)
{
	struct alarm_track *t;
	int64_t base, limit;
	enum device_state st;

	if (r->def.kind == ALARM_K_SILENCE) {
		if (r->def.path[0] == '\0') {
			base = d->last_seen;
		} else {
			t = alarm_track_find(gw->alarms, r, d->ep);
			base = t != NULL && t->seen != 0 ? t->seen :
			    d->r.registered_at > gw->started ?
			    d->r.registered_at : (int64_t)gw->started;
		}
		*x = (double)(now - base);
		return now - base >= r->def.for_s;
	}
	st = registry_state(gw->registry, d, now);
	if (r->def.offline == ALARM_OFF_EXPIRED) {
		*x = (double)(now - d->r.updated_at - (int64_t)d->r.lifetime);
		return st == DEVICE_EXPIRED;
	}
	limit = r->def.for_s > 0 ? r->def.for_s : (int64_t)d->r.lifetime;
	*x = (double)(now - d->last_seen);
	return d->r.queue_mode && st != DEVICE_AWAKE &&
	    now - d->last_seen > limit;
}

/* One device of the sweep: its silence and offline rules. */
static int
alarm_sweep_device(struct device *d, void *arg)
{
	struct gateway *gw = arg;
	struct alarms *al = gw->alarms;
	struct alarm_rule *r;
	struct alarm_track *t;
	int64_t now = gw_now();
	char note[ALARM_PATH_MAX + 96];
	double x;
	size_t i;

	for (i = 0; i < al->nrules; i++) {
		r = al->rules[i];
		if (r->gone || (r->def.kind != ALARM_K_SILENCE &&
		    r->def.kind != ALARM_K_OFFLINE))
			continue;
		if (!alarm_selects(gw, r, d->ep) ||
		    !alarm_device_met(gw, r, d, now, &x)) {
			if ((t = alarm_track_find(al, r, d->ep)) != NULL &&
			    t->a != NULL)
				alarm_clear(gw, t, NULL);
			continue;
		}
		if ((t = alarm_track_get(al, r, d->ep)) == NULL)
			continue;
		if (t->a != NULL) {
			alarm_again(gw, t, x, NULL, 0);
			continue;
		}
		if (r->def.kind == ALARM_K_SILENCE)
			snprintf(note, sizeof(note), "nothing heard%s%s for "
			    "%.0f s", r->def.path[0] != '\0' ? " of " : "",
			    r->def.path, x);
		else if (r->def.offline == ALARM_OFF_EXPIRED)
			snprintf(note, sizeof(note), "expired %.0f s ago", x);
		else
			snprintf(note, sizeof(note), "asleep for %.0f s, past "
			    "its window", x);
		alarm_raise(gw, t, x, note);
	}
	snprintf(al->sweep_after, sizeof(al->sweep_after), "%s", d->ep);
	return ++al->sweeping > gw->cfg.alarm_sweep_slice;
}

/* Holds that have run out: the condition was met by the last value and
 * nothing has said otherwise since. */
static void
alarm_sweep_holds(struct gateway *gw)
{
	struct alarms *al = gw->alarms;
	struct alarm_track **pp = &al->pending, *t;
	int64_t now = gw_now();

	while ((t = *pp) != NULL) {
		if (t->pending != 0 && t->a == NULL && !t->rule->gone &&
		    now - t->pending < t->rule->def.hold_s) {
			pp = &t->pnext;
			continue;
		}
		*pp = t->pnext;
		t->in_pending = 0;
		if (t->pending != 0 && t->a == NULL && !t->rule->gone) {
			t->pending = 0;
			alarm_raise(gw, t, t->last, NULL);
		}
	}
}

/* Whether any rule is judged per device by the sweep. */
static int
alarm_sweep_needed(struct alarms *al)
{
	size_t i;

	for (i = 0; i < al->nrules; i++)
		if (!al->rules[i]->gone &&
		    (al->rules[i]->def.kind == ALARM_K_SILENCE ||
		    al->rules[i]->def.kind == ALARM_K_OFFLINE))
			return 1;
	return 0;
}

/* One slice of the sweep: 1 when more slices follow. */
static int
alarm_sweep_slice(struct gateway *gw)
{
	struct alarms *al = gw->alarms;

	al->sweeping = 1;
	if (registry_walk_ordered(gw->registry, al->sweep_after[0] != '\0' ?
	    al->sweep_after : NULL, alarm_sweep_device, gw) == 0) {
		al->sweeping = 0;
		al->sweep_after[0] = '\0';
		return 0;
	}
	return 1;
}

static void
alarm_slice_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;

	(void)fd;
	(void)what;
	if (alarm_sweep_slice(gw))
		event_active(gw->alarms->slice, EV_TIMEOUT, 0);
}

static void
alarm_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct alarms *al = gw->alarms;

	(void)fd;
	(void)what;
	alarm_sweep_holds(gw);
	alarm_retire_oldest(gw);
	if (al->sweeping || !alarm_sweep_needed(al) || gw->registry == NULL)
		return;
	if (alarm_sweep_slice(gw))
		event_active(al->slice, EV_TIMEOUT, 0);
}

void
alarm_sweep_now(struct gateway *gw)
{
	struct alarms *al = gw->alarms;

	if (al == NULL)
		return;
	alarm_sweep_holds(gw);
	alarm_retire_oldest(gw);
	if (!alarm_sweep_needed(al) || gw->registry == NULL)
		return;
	if (al->slice != NULL)
		event_del(al->slice);
	al->sweep_after[0] = '\0';
	while (alarm_sweep_slice(gw))
		;
}

/* A job's or a campaign's device failed (1) or succeeded (0). */
static void
alarm_failure(struct gateway *gw, const char *ep, int source, int failed,
    const char *note, double id)
{
	struct alarms *al = gw->alarms;
	struct alarm_rule *r;
	struct alarm_track *t;
	size_t i;

	for (i = 0; i < al->nrules; i++) {
		r = al->rules[i];
		if (r->gone || r->def.kind != ALARM_K_FAILURE ||
		    (r->def.source != ALARM_SRC_ANY && r->def.source != source))
			continue;
		if (!failed) {
			if ((t = alarm_track_find(al, r, ep)) != NULL &&
			    t->a != NULL)
				alarm_clear(gw, t, note);
			continue;
		}
		if (!alarm_selects(gw, r, ep) ||
		    (t = alarm_track_get(al, r, ep)) == NULL)
			continue;
		if (t->a != NULL)
			alarm_again(gw, t, id, note, 1);
		else
			alarm_raise(gw, t, id, note);
	}
}

/* The device is back: an offline rule's alarm clears at once. */
static void
alarm_device_back(struct gateway *gw, const char *ep)
{
	struct alarms *al = gw->alarms;
	struct alarm_track *t;
	size_t i;

	for (i = 0; i < al->nrules; i++)
		if (!al->rules[i]->gone &&
		    (al->rules[i]->def.kind == ALARM_K_OFFLINE ||
		    (al->rules[i]->def.kind == ALARM_K_SILENCE &&
		    al->rules[i]->def.path[0] == '\0')) &&
		    (t = alarm_track_find(al, al->rules[i], ep)) != NULL &&
		    t->a != NULL)
			alarm_clear(gw, t, "heard again");
}

/* ep is decommissioned: its alarms clear, its tracks go. */
static void
alarm_device_gone(struct gateway *gw, const char *ep)
{
	struct alarms *al = gw->alarms;
	struct alarm_track *t;
	size_t i;

	for (i = 0; i < al->nrules; i++)
		if ((t = alarm_track_find(al, al->rules[i], ep)) != NULL) {
			if (t->a != NULL)
				alarm_clear(gw, t, "decommissioned");
			alarm_track_free(al, t);
		}
}

/* What comes up the event stream: failures, registrations, decommissions. */
static void
alarm_event(struct gateway *gw, const char *type, const cJSON *e, void *arg)
{
	const char *ep = cJSON_GetStringValue(cJSON_GetObjectItem(e, "ep"));
	const char *state, *error;
	char note[160];
	double id;
	int job;

	(void)arg;
	if (ep == NULL || gw->alarms == NULL)
		return;
	if ((job = strcmp(type, "job_progress") == 0) ||
	    strcmp(type, "fw_progress") == 0) {
		state = cJSON_GetStringValue(cJSON_GetObjectItem(e, "state"));
		id = cJSON_GetNumberValue(cJSON_GetObjectItem(e, job ? "job" :
		    "campaign"));
		if (state == NULL || isnan(id) ||
		    (strcmp(state, "failed") != 0 &&
		    strcmp(state, "succeeded") != 0))
			return;
		error = cJSON_GetStringValue(cJSON_GetObjectItem(e, "error"));
		snprintf(note, sizeof(note), "%s %.0f %s%s%s", job ? "job" :
		    "campaign", id, state, error != NULL ? ": " : "",
		    error != NULL ? error : "");
		alarm_failure(gw, ep, job ? ALARM_SRC_JOB : ALARM_SRC_CAMPAIGN,
		    strcmp(state, "failed") == 0, note, id);
	} else if (strcmp(type, "registration") == 0) {
		alarm_device_back(gw, ep);
		alarm_push_device(gw, ep);
	} else if (strcmp(type, "update") == 0 || strcmp(type, "awake") == 0) {
		alarm_device_back(gw, ep);
	} else if (strcmp(type, "decommission") == 0) {
		alarm_device_gone(gw, ep);
	}
}

/* The rule's record: {"created": unix s, "rule": its definition}. */
static int
alarm_rule_save(struct gateway *gw, const struct alarm_rule *r)
{
	uint8_t key[8];
	cJSON *o = cJSON_CreateObject();
	char *text;
	int rc = -1;

	if (o == NULL)
		return -1;
	cJSON_AddNumberToObject(o, "created", (double)r->created);
	cJSON_AddItemToObject(o, "rule", alarmparse_json(&r->def));
	if ((text = cJSON_PrintUnformatted(o)) != NULL) {
		store_put_be64(key, r->num);
		rc = store_put(gw->store, STORE_DB_ALARMRULES, key, sizeof(key),
		    text, strlen(text));
		free(text);
	}
	cJSON_Delete(o);
	return rc;
}

static size_t
alarm_rules_api(struct alarms *al)
{
	size_t i, n = 0;

	for (i = 0; i < al->nrules; i++)
		n += !al->rules[i]->ini && !al->rules[i]->gone;
	return n;
}

int
alarm_rule_add(struct gateway *gw, const struct alarm_rule_def *def,
    uint64_t *id, int *status, char *err, size_t errlen)
{
	struct alarms *al = gw->alarms;
	struct alarm_rule *r;

	*status = 500;
	if (al == NULL) {
		snprintf(err, errlen, "alarms are not running");
		return -1;
	}
	if (alarm_rules_api(al) >= (size_t)gw->cfg.alarm_max_rules) {
		*status = 409;
		snprintf(err, errlen, "%d rules already ([alarms] max_rules)",
		    gw->cfg.alarm_max_rules);
		return -1;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->num = al->next_rule++;
	snprintf(r->id, sizeof(r->id), "%" PRIu64, r->num);
	r->created = gw_now();
	r->def = *def;
	if (alarm_rule_save(gw, r) == -1 || alarm_rule_insert(al, r) == -1) {
		free(r);
		snprintf(err, errlen, "the rule could not be stored");
		return -1;
	}
	log_info("alarm rule %s: %s%s%s added", r->id,
	    alarm_kind_name(def->kind), def->path[0] != '\0' ? " of " : "",
	    def->path);
	if (def->push && gw->cfg.alarm_push)
		alarm_push_start(gw, r, ALARM_PUSH_ADD);
	*id = r->num;
	return 0;
}

/* Clears the rule's active alarms and lets go of its devices (in
 * slices); the rule is freed after. */
static void
alarm_rule_retire(struct gateway *gw, struct alarm_rule *r, const char *why)
{
	struct alarms *al = gw->alarms;
	struct alarm_rec *a;
	struct alarm_track *t;
	size_t i;

	r->gone = 1;
	for (i = 0; i < al->nrecs; i++) {
		a = al->recs[i];
		if (!a->active || strcmp(a->rule, r->id) != 0)
			continue;
		if ((t = alarm_track_find(al, r, a->ep)) != NULL && t->a == a)
			alarm_clear(gw, t, why);
		else
			alarm_clear_rec(gw, a, why);
	}
	if (alarm_push_start(gw, r, ALARM_PUSH_REMOVE) == -1)
		log_warnx("alarm rule %s: out of memory letting go of its "
		    "devices", r->id);
}

int
alarm_rule_delete(struct gateway *gw, const char *id)
{
	struct alarms *al = gw->alarms;
	struct alarm_rule *r;
	uint8_t key[8];

	if (al == NULL || (r = alarm_rule_find(al, id)) == NULL)
		return -1;
	if (r->ini)
		return -2;
	store_put_be64(key, r->num);
	store_del(gw->store, STORE_DB_ALARMRULES, key, sizeof(key));
	log_info("alarm rule %s deleted", r->id);
	alarm_rule_retire(gw, r, "rule deleted");
	return 0;
}

static cJSON *
alarm_rule_render(struct gateway *gw, const struct alarm_rule *r)
{
	struct alarms *al = gw->alarms;
	cJSON *o = alarmparse_json(&r->def);
	char when[GW_TIME_LEN];
	size_t i, n = 0;

	if (o == NULL)
		return NULL;
	for (i = 0; i < al->nrecs; i++)
		n += al->recs[i]->active && strcmp(al->recs[i]->rule, r->id) ==
		    0;
	cJSON_AddStringToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "origin", r->ini ? "ini" : "api");
	cJSON_AddStringToObject(o, "created", gw_time_str(r->created, when));
	cJSON_AddNumberToObject(o, "active", (double)n);
	return o;
}

cJSON *
alarm_rule_json(struct gateway *gw, const char *id)
{
	struct alarm_rule *r;

	if (gw->alarms == NULL || (r = alarm_rule_find(gw->alarms, id)) ==
	    NULL)
		return NULL;
	return alarm_rule_render(gw, r);
}

cJSON *
alarm_rule_json_num(struct gateway *gw, uint64_t id)
{
	char s[ALARM_RULE_ID_LEN];

	snprintf(s, sizeof(s), "%" PRIu64, id);
	return alarm_rule_json(gw, s);
}

cJSON *
alarm_rules_json(struct gateway *gw)
{
	struct alarms *al = gw->alarms;
	cJSON *a = cJSON_CreateArray();
	size_t i;
	int ini;

	for (ini = 1; al != NULL && ini >= 0; ini--)
		for (i = 0; i < al->nrules; i++)
			if (!al->rules[i]->gone && al->rules[i]->ini == ini)
				cJSON_AddItemToArray(a, alarm_rule_render(gw,
				    al->rules[i]));
	return a;
}

void
alarm_counts(struct gateway *gw, unsigned active[ALARM_SEV__COUNT])
{
	struct alarms *al = gw->alarms;
	size_t i;

	memset(active, 0, ALARM_SEV__COUNT * sizeof(active[0]));
	for (i = 0; al != NULL && i < al->nrecs; i++)
		if (al->recs[i]->active &&
		    al->recs[i]->severity < ALARM_SEV__COUNT)
			active[al->recs[i]->severity]++;
}

/* A stored rule, at start. */
static int
alarm_rule_load(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct gateway *gw = arg;
	struct alarms *al = gw->alarms;
	struct alarm_rule *r;
	cJSON *o, *def;
	char *text = NULL, field[ALARM_FIELD_MAX], err[160];
	uint64_t num;

	if (klen != 8)
		return 0;
	num = store_get_be64(key);
	if (num >= al->next_rule)
		al->next_rule = num + 1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->num = num;
	snprintf(r->id, sizeof(r->id), "%" PRIu64, num);
	if ((o = cJSON_ParseWithLength(val, vlen)) == NULL ||
	    (def = cJSON_GetObjectItem(o, "rule")) == NULL ||
	    (text = cJSON_PrintUnformatted(def)) == NULL ||
	    alarmparse_rule(text, strlen(text), &r->def, field, sizeof(field),
	    err, sizeof(err)) == -1) {
		log_warnx("alarm rule %s: its record does not hold, skipped",
		    r->id);
		free(r);
	} else {
		r->created = (int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(o, "created"));
		if (alarm_rule_insert(al, r) == -1)
			free(r);
	}
	free(text);
	cJSON_Delete(o);
	return 0;
}

/* The rule of gateway.ini named id, as the config says it (0), or none
 * (-1). */
static int
alarm_ini_def(const struct gw_config *cfg, const char *id,
    struct alarm_rule_def *def)
{
	memset(def, 0, sizeof(*def));
	def->pmin = def->pmax = -1;
	def->step = -1;
	def->severity = alarm_severity_of(cfg->alarm_severity);
	if (def->severity < 0)
		def->severity = ALARM_SEV_MAJOR;
	if (strcmp(id, "ini-silence") == 0 && cfg->alarm_silence_s > 0) {
		def->kind = ALARM_K_SILENCE;
		def->for_s = cfg->alarm_silence_s;
	} else if (strcmp(id, "ini-expired") == 0 && cfg->alarm_expired) {
		def->kind = ALARM_K_OFFLINE;
		def->offline = ALARM_OFF_EXPIRED;
	} else if (strcmp(id, "ini-failure") == 0 && cfg->alarm_failures) {
		def->kind = ALARM_K_FAILURE;
		def->source = ALARM_SRC_ANY;
	} else {
		return -1;
	}
	return 0;
}

/* Makes the rules of gateway.ini as the config says: a rule that
 * changed or went is retired, a new one made. */
static void
alarm_ini_rules(struct gateway *gw)
{
	static const char *const ids[] = { "ini-silence", "ini-expired",
	    "ini-failure" };
	struct alarms *al = gw->alarms;
	struct alarm_rule_def def;
	struct alarm_rule *r;
	size_t i;
	int want;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		want = alarm_ini_def(&gw->cfg, ids[i], &def) == 0;
		r = alarm_rule_find(al, ids[i]);
		if (r != NULL && want && memcmp(&r->def, &def,
		    sizeof(def)) == 0)
			continue;
		if (r != NULL)
			alarm_rule_retire(gw, r, "rule changed in gateway.ini");
		if (!want || (r = calloc(1, sizeof(*r))) == NULL)
			continue;
		snprintf(r->id, sizeof(r->id), "%s", ids[i]);
		r->ini = 1;
		r->created = gw_now();
		r->def = def;
		if (alarm_rule_insert(al, r) == -1)
			free(r);
	}
}

/* Alarms loaded active whose rule is no more (deleted while the gateway
 * was down, or gone from gateway.ini) clear; the others get their
 * track back. */
static void
alarm_adopt(struct gateway *gw)
{
	struct alarms *al = gw->alarms;
	struct alarm_rec *a;
	struct alarm_rule *r;
	struct alarm_track *t;
	size_t i;

	for (i = 0; i < al->nrecs; i++) {
		a = al->recs[i];
		if (!a->active)
			continue;
		if ((r = alarm_rule_find(al, a->rule)) == NULL ||
		    (t = alarm_track_get(al, r, a->ep)) == NULL) {
			alarm_clear_rec(gw, a, "its rule is gone");
			continue;
		}
		t->a = a;
	}
}

static int
alarm_module_init(struct gateway *gw)
{
	struct alarms *al;

	if ((al = calloc(1, sizeof(*al))) == NULL)
		return -1;
	gw->alarms = al;
	al->gw = gw;
	al->next_rule = 1;
	al->next_id = 1;
	if (store_iterate(gw->store, STORE_DB_ALARMRULES, NULL, 0,
	    alarm_rule_load, gw) == -1 || alarm_recs_load(gw) == -1) {
		log_warnx("alarms: the store could not be read");
		return -1;
	}
	return 0;
}

static int
alarm_module_start(struct gateway *gw)
{
	struct alarms *al = gw->alarms;
	struct timeval tv = { gw->cfg.alarm_sweep_s, 0 };
	size_t i;

	alarm_ini_rules(gw);
	alarm_adopt(gw);
	if ((al->tick = event_new(gw->base, -1, EV_PERSIST, alarm_tick_cb,
	    gw)) == NULL ||
	    (al->slice = evtimer_new(gw->base, alarm_slice_cb, gw)) == NULL ||
	    evtimer_add(al->tick, &tv) == -1 ||
	    cache_add_number_listener(gw, alarm_number_cb, NULL) == -1 ||
	    events_subscribe(gw, alarm_event, NULL) == -1)
		return -1;
	/* Observations held are not stored: hold them again. */
	for (i = 0; i < al->nrules; i++)
		if (al->rules[i]->def.push && gw->cfg.alarm_push &&
		    !al->rules[i]->gone)
			alarm_push_start(gw, al->rules[i], ALARM_PUSH_HOLD);
	log_info("alarms: %zu rules, %zu alarms kept", al->nrules, al->nrecs);
	return 0;
}

static void
alarm_module_reload(struct gateway *gw, const struct gw_config *old)
{
	struct timeval tv = { gw->cfg.alarm_sweep_s, 0 };

	if (gw->alarms == NULL)
		return;
	alarm_ini_rules(gw);
	if (old->alarm_sweep_s != gw->cfg.alarm_sweep_s &&
	    gw->alarms->tick != NULL)
		evtimer_add(gw->alarms->tick, &tv);
}

static void
alarm_module_stop(struct gateway *gw)
{
	struct alarms *al = gw->alarms;

	if (al == NULL)
		return;
	events_unsubscribe(gw, alarm_event, NULL);
	alarm_push_stop(gw);
	if (al->tick != NULL)
		event_free(al->tick);
	if (al->slice != NULL)
		event_free(al->slice);
	alarm_rules_free(al);
	alarm_recs_free(al);
	free(al);
	gw->alarms = NULL;
}

const struct gw_module alarm_module = {
	.name = "alarms",
	.init = alarm_module_init,
	.start = alarm_module_start,
	.reload = alarm_module_reload,
	.stop = alarm_module_stop,
};
