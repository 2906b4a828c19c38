/*
 * alarmrule.c: the rules in memory and which devices each selects, and
 * what a rule has seen of each device (its track, in a hash of rule and
 * endpoint). The ground of the alarm files: alarm.c judges and sweeps
 * through it, alarmpush.c walks a rule's devices and lets them go, and it
 * calls none of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modules/device/tags.h"
#include "modules/health/alarmint.h"

#define ALARM_TRACKS_MIN	64

struct alarm_rule *
alarm_rule_find(struct alarms *al, const char *id)
{
	size_t i;

	for (i = 0; i < al->nrules; i++)
		if (!al->rules[i]->gone && strcmp(al->rules[i]->id, id) == 0)
			return al->rules[i];
	return NULL;
}

/* Adds r to the rules (taking it). 0 or -1. */
int
alarm_rule_insert(struct alarms *al, struct alarm_rule *r)
{
	struct alarm_rule **nr;

	if ((nr = realloc(al->rules, (al->nrules + 1) * sizeof(*nr))) == NULL)
		return -1;
	al->rules = nr;
	al->rules[al->nrules++] = r;
	return 0;
}

void
alarm_rule_free(struct alarms *al, struct alarm_rule *r)
{
	size_t i;

	for (i = 0; i < al->nrules; i++)
		if (al->rules[i] == r) {
			memmove(&al->rules[i], &al->rules[i + 1],
			    (al->nrules - i - 1) * sizeof(al->rules[0]));
			al->nrules--;
			break;
		}
	free(r);
}

int
alarm_selects(struct gateway *gw, const struct alarm_rule *r, const char *ep)
{
	switch (r->def.select) {
	case ALARM_SEL_EP:
		return strcmp(r->def.ep, ep) == 0;
	case ALARM_SEL_TAG:
		return tags_has(gw, ep, r->def.tag) == 1;
	default:
		return 1;
	}
}

/* FNV-1a of the rule's id and ep. */
static uint32_t
alarm_hash(const struct alarm_rule *r, const char *ep)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = r->id; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (p = ep; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

struct alarm_track *
alarm_track_find(struct alarms *al, const struct alarm_rule *r,
    const char *ep)
{
	struct alarm_track *t;
	uint32_t h;

	if (al->captracks == 0)
		return NULL;
	h = alarm_hash(r, ep);
	for (t = al->tracks[h & (al->captracks - 1)]; t != NULL; t = t->next)
		if (t->hash == h && t->rule == r && strcmp(t->ep, ep) == 0)
			return t;
	return NULL;
}

/* Doubles the hash table (or makes its first). 0 or -1. */
static int
alarm_tracks_grow(struct alarms *al)
{
	size_t cap = al->captracks ? al->captracks * 2 : ALARM_TRACKS_MIN, i;
	struct alarm_track **nt, *t, *next;

	if ((nt = calloc(cap, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < al->captracks; i++)
		for (t = al->tracks[i]; t != NULL; t = next) {
			next = t->next;
			t->next = nt[t->hash & (cap - 1)];
			nt[t->hash & (cap - 1)] = t;
		}
	free(al->tracks);
	al->tracks = nt;
	al->captracks = cap;
	return 0;
}

struct alarm_track *
alarm_track_get(struct alarms *al, struct alarm_rule *r, const char *ep)
{
	struct alarm_track *t;
	size_t eplen, ring;

	if ((t = alarm_track_find(al, r, ep)) != NULL)
		return t;
	if (al->ntracks * 4 >= al->captracks * 3 &&
	    alarm_tracks_grow(al) == -1)
		return NULL;
	eplen = strlen(ep);
	ring = r->def.kind == ALARM_K_RATE ? (size_t)r->def.window : 0;
	if ((t = calloc(1, sizeof(*t) + eplen + 1 +
	    ring * sizeof(struct alarm_sample) + sizeof(int64_t))) == NULL)
		return NULL;
	memcpy(t->ep, ep, eplen + 1);
	if (ring > 0) {
		/* After the name, aligned for the samples. */
		uintptr_t p = (uintptr_t)(t->ep + eplen + 1);

		p = (p + sizeof(int64_t) - 1) & ~(uintptr_t)(sizeof(int64_t) -
		    1);
		t->ring = (struct alarm_sample *)p;
	}
	t->rule = r;
	t->hash = alarm_hash(r, ep);
	t->next = al->tracks[t->hash & (al->captracks - 1)];
	al->tracks[t->hash & (al->captracks - 1)] = t;
	al->ntracks++;
	return t;
}

/* Takes t out of the hash and the holds running. */
static void
alarm_track_unlink(struct alarms *al, struct alarm_track *t)
{
	struct alarm_track **pp;

	for (pp = &al->tracks[t->hash & (al->captracks - 1)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	for (pp = &al->pending; t->in_pending && *pp != NULL;
	    pp = &(*pp)->pnext)
		if (*pp == t) {
			*pp = t->pnext;
			break;
		}
	t->in_pending = 0;
	al->ntracks--;
}

/* Unlinks and frees t; its active alarm (if any) stays a record. */
void
alarm_track_free(struct alarms *al, struct alarm_track *t)
{
	alarm_track_unlink(al, t);
	free(t);
}

struct alarm_track *
alarm_tracks_take(struct alarms *al, const struct alarm_rule *r)
{
	struct alarm_track *t, *next, *list = NULL;
	size_t i;

	for (i = 0; i < al->captracks; i++)
		for (t = al->tracks[i]; t != NULL; t = next) {
			next = t->next;
			if (t->rule != r)
				continue;
			alarm_track_unlink(al, t);
			t->next = list;
			list = t;
		}
	return list;
}

void
alarm_rules_free(struct alarms *al)
{
	struct alarm_track *t, *next;
	size_t i;

	for (i = 0; i < al->captracks; i++)
		for (t = al->tracks[i]; t != NULL; t = next) {
			next = t->next;
			free(t);
		}
	free(al->tracks);
	for (i = 0; i < al->nrules; i++)
		free(al->rules[i]);
	free(al->rules);
}
