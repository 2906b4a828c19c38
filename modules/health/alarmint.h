/*
 * alarmint.h: what alarm.c (rules added and deleted, judging, the sweep,
 * the module), alarmrec.c (the alarms: raised, cleared, kept, listed),
 * alarmpush.c (rules written to devices as attributes, and a deleted
 * rule's devices let go of, in slices) and alarmrule.c (the rules in
 * memory and their tracks) share. Calls run down that list: alarm.c calls
 * alarmrec.c and alarmpush.c, and all three call alarmrule.c; nothing
 * calls back up. Not for other rooms: alarm.h is the contract.
 */
#ifndef OUTPOST_ALARMINT_H
#define OUTPOST_ALARMINT_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/alarmparse.h"

#define ALARM_RULE_ID_LEN	24	/* bytes of a rule's id, NUL too */

struct event;
struct gateway;

/* A rule in memory. Freed only once no track points at it: a deleted
 * rule is gone and waits for its devices to be let go of. */
struct alarm_rule {
	char			 id[ALARM_RULE_ID_LEN];
	uint64_t		 num;		/* the API's; 0 for ini's */
	int			 ini;
	int			 gone;		/* deleted, being let go of */
	int64_t			 created;
	struct alarm_rule_def	 def;
};

/* One alarm, active or cleared, in memory; strings are its own. */
struct alarm_rec {
	uint64_t	 id;
	int64_t		 first, last, cleared;	/* unix s; cleared 0 */
	int64_t		 ack_at;		/* 0: not acknowledged */
	double		 value;
	uint64_t	 count;
	uint8_t		 kind, severity, active;
	char		 rule[ALARM_RULE_ID_LEN];
	char		 ep[LWM2M_EP_MAX + 1];
	char		*path;			/* "" none */
	char		*ack_by;		/* NULL */
	char		*note;			/* NULL: what raised or
						   cleared it, in words */
};

/* One sample of a rate's window. */
struct alarm_sample {
	int64_t		 t_ms;
	double		 v;
};

/* What a rule has seen of one device: its condition's state and its
 * active alarm. Keyed by (rule, ep); the path is the rule's. */
struct alarm_track {
	struct alarm_track	*next;		/* hash chain (or a removal's
						   list) */
	struct alarm_track	*pnext;		/* the holds running */
	struct alarm_rule	*rule;
	struct alarm_rec	*a;		/* active alarm, or NULL */
	int64_t			 pending;	/* condition met since (unix
						   s), 0 not */
	int64_t			 seen;		/* last value (unix s) */
	double			 last;		/* last value judged */
	uint32_t		 hash;
	uint8_t			 in_pending;
	uint8_t			 held;		/* an observation held */
	uint8_t			 n, head;	/* a rate's samples */
	struct alarm_sample	*ring;		/* a rate's, else NULL */
	char			 ep[];
};

/* A walk over the registry in slices for one rule: its attributes
 * written and its path observed (add), observed only (after a restart),
 * or its devices let go of (a deleted rule). */
enum alarm_push_mode {
	ALARM_PUSH_ADD,
	ALARM_PUSH_HOLD,
	ALARM_PUSH_REMOVE,
};

struct alarm_push {
	struct alarm_push	*next;
	struct alarm_rule	*rule;
	int			 mode;
	int			 started;
	char			 after[LWM2M_EP_MAX + 1];
	struct alarm_track	*list;		/* remove: the rule's tracks,
						   out of the hash */
};

struct alarms {
	struct gateway		*gw;
	struct alarm_rule	**rules;
	size_t			 nrules;
	uint64_t		 next_rule;

	struct alarm_rec	**recs;		/* by id, ascending */
	size_t			 nrecs, caprecs;
	size_t			 ncleared;
	uint64_t		 next_id;

	struct alarm_track	**tracks;	/* hash of (rule, ep) */
	size_t			 ntracks, captracks;
	struct alarm_track	*pending;	/* tracks whose hold runs */

	struct event		*tick;		/* every sweep_s */
	struct event		*slice;		/* the sweep's next slice */
	int			 sweeping;
	char			 sweep_after[LWM2M_EP_MAX + 1];

	struct alarm_push	*pushes;	/* in order */
	struct event		*push_ev;
};

/* alarmrule.c: the ground of the alarm files, calling none of them. A
 * rule by id (not one deleted), added (taking it: 0 or -1), taken out
 * and freed (its tracks gone already); whether it selects ep. */
struct alarm_rule *alarm_rule_find(struct alarms *al, const char *id);
int		 alarm_rule_insert(struct alarms *al, struct alarm_rule *r);
void		 alarm_rule_free(struct alarms *al, struct alarm_rule *r);
int		 alarm_selects(struct gateway *gw, const struct alarm_rule *r,
		    const char *ep);
/* r's track of ep, or NULL; the same made when there is none (NULL: out
 * of memory); one unlinked and freed (its active alarm stays a record). */
struct alarm_track *alarm_track_find(struct alarms *al,
		    const struct alarm_rule *r, const char *ep);
struct alarm_track *alarm_track_get(struct alarms *al, struct alarm_rule *r,
		    const char *ep);
void		 alarm_track_free(struct alarms *al, struct alarm_track *t);
/* Every track of r out of the hash and the holds running, as a list on
 * next, for the caller to free. */
struct alarm_track *alarm_tracks_take(struct alarms *al,
		    const struct alarm_rule *r);
/* Every track and every rule, at stop. */
void		 alarm_rules_free(struct alarms *al);

/* alarmrec.c: an alarm raised for t (now, the value, a note or NULL),
 * what meets its condition again (save: written to the store now, else
 * in memory until the next write), cleared. Each writes into the open
 * batch and emits its "alarm" event. */
void		 alarm_raise(struct gateway *gw, struct alarm_track *t,
		    double value, const char *note);
void		 alarm_again(struct gateway *gw, struct alarm_track *t,
		    double value, const char *note, int save);
void		 alarm_clear(struct gateway *gw, struct alarm_track *t,
		    const char *note);
/* The same for an alarm whose rule has no track now (loaded at start,
 * its rule gone). */
void		 alarm_clear_rec(struct gateway *gw, struct alarm_rec *a,
		    const char *note);
void		 alarm_retire_oldest(struct gateway *gw);
int		 alarm_recs_load(struct gateway *gw);
void		 alarm_recs_free(struct alarms *al);
struct alarm_rec *alarm_rec_find(struct alarms *al, uint64_t id);

/* alarmpush.c */
int		 alarm_push_start(struct gateway *gw, struct alarm_rule *r,
		    int mode);
/* ep registered: rules that push write it their attributes. */
void		 alarm_push_device(struct gateway *gw, const char *ep);
void		 alarm_push_stop(struct gateway *gw);

#endif /* OUTPOST_ALARMINT_H */
