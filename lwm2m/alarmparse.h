/*
 * alarmparse.h: an alarm rule as plain data, the body of POST
 * /v1/alarm-rules read into one and printed back (what the store keeps and
 * the API shows), and the body of an acknowledgement. Pure, no store, no
 * gateway: untrusted input, bounded, every refusal names the member at
 * fault. What a rule does is modules/health/alarm.h.
 */
#ifndef OUTPOST_ALARMPARSE_H
#define OUTPOST_ALARMPARSE_H

#include <stddef.h>

#include "lwm2m/lwm2m.h"
#include "lwm2m/tagparse.h"

struct cJSON;

#define ALARM_BODY_MAX		4096	/* bytes of a rule's body */
#define ALARM_NAME_MAX		64	/* bytes of a rule's name */
#define ALARM_PATH_MAX		128	/* bytes of a path, with its NUL (as
					   lwm2m/numvals.h's) */
#define ALARM_FIELD_MAX		32	/* bytes of the member named at
					   fault, with its NUL */
#define ALARM_BY_MAX		64	/* bytes of who acknowledged */
#define ALARM_WINDOW_MAX	16	/* values a rate is taken over */
#define ALARM_FOR_MAX		2592000	/* seconds: 30 days */
#define ALARM_HOLD_MAX		86400	/* seconds */
#define ALARM_PERIOD_MAX	2147483647	/* pmin, pmax */

/* What a rule watches. */
enum alarm_kind {
	ALARM_K_THRESHOLD,	/* a value above or below a limit */
	ALARM_K_RATE,		/* a value's change per second or minute */
	ALARM_K_SILENCE,	/* no value of a path, or no message at all,
				   for a period */
	ALARM_K_OFFLINE,	/* the device expired, or asleep past its
				   window */
	ALARM_K_FAILURE,	/* the device failed in a job or campaign */
	ALARM_K__COUNT
};

/* X.733's perceived severities, the most severe first. */
enum alarm_severity {
	ALARM_SEV_CRITICAL,
	ALARM_SEV_MAJOR,
	ALARM_SEV_MINOR,
	ALARM_SEV_WARNING,
	ALARM_SEV__COUNT
};

enum alarm_select {
	ALARM_SEL_ALL,
	ALARM_SEL_EP,
	ALARM_SEL_TAG,
};

enum alarm_offline {
	ALARM_OFF_EXPIRED,	/* its lifetime passed without an update */
	ALARM_OFF_ASLEEP,	/* in queue mode, heard of by no message for
				   longer than for_s (0: its lifetime) */
};

enum alarm_source {
	ALARM_SRC_ANY,
	ALARM_SRC_JOB,
	ALARM_SRC_CAMPAIGN,
};

/* A rule. Members that do not apply to its kind are zero. */
struct alarm_rule_def {
	int	kind;			/* enum alarm_kind */
	int	severity;		/* enum alarm_severity */
	int	select;			/* enum alarm_select */
	char	name[ALARM_NAME_MAX + 1];	/* "" none */
	char	ep[LWM2M_EP_MAX + 1];	/* ALARM_SEL_EP */
	char	tag[TAG_LEN_MAX + 1];	/* ALARM_SEL_TAG */
	char	path[ALARM_PATH_MAX];	/* "3/0/9", "health/cpu_pct"; ""
					   for a silence of the device */
	int	below;			/* threshold, rate: the limit is a
					   floor (else a ceiling) */
	double	limit;
	double	hysteresis;		/* >= 0: how far back past the
					   limit a value must come to clear */
	int	hold_s;			/* seconds the condition must hold
					   before it raises */
	int	per_s;			/* rate: 1 or 60 */
	int	window;			/* rate: values, 2..ALARM_WINDOW_MAX */
	int	for_s;			/* silence: seconds; offline asleep:
					   seconds (0: the lifetime) */
	int	offline;		/* enum alarm_offline */
	int	source;			/* enum alarm_source */
	int	push;			/* threshold: written to the device
					   as LwM2M attributes */
	int	pmin, pmax;		/* pushed too; -1 when not given */
	double	step;			/* st pushed; < 0 when not given */
};

/*
 * The body of POST /v1/alarm-rules, a JSON object:
 *   kind       "threshold", "rate", "silence", "offline" or "failure"
 *   severity   "critical", "major" (the default), "minor" or "warning"
 *   name       1..ALARM_NAME_MAX bytes of printable UTF-8
 *   ep | tag   the devices it selects (neither: all of them)
 *   path       threshold and rate (required), silence (optional): a
 *              number's path, without or with a leading "/", of
 *              [A-Za-z0-9_.-] segments
 *   above | below   threshold, rate: the limit (one of the two)
 *   hysteresis threshold, rate: >= 0 (default 0)
 *   hold_s     threshold, rate: 0..ALARM_HOLD_MAX (default 0)
 *   per        rate: "second" (default) or "minute"
 *   window     rate: 2..ALARM_WINDOW_MAX values (default 2)
 *   for_s      silence (required), offline "asleep": 1..ALARM_FOR_MAX
 *   state      offline: "expired" (default) or "asleep"
 *   source     failure: "job", "campaign" or "any" (default)
 *   push       threshold: true (the default on an LwM2M resource path
 *              "3/0/9" or "3/0/9/1") or false
 *   pmin, pmax, step   threshold with push: attributes written too
 * A member of another kind is refused. On success 0 and def filled; else
 * -1, the member at fault in field ("" for the body as a whole) and the
 * reason in err.
 */
int	alarmparse_rule(const char *body, size_t len,
	    struct alarm_rule_def *def, char *field, size_t fieldlen,
	    char *err, size_t errlen);

/* The rule as the API shows it and the store keeps it: the members of
 * its kind only, that alarmparse_rule reads back to the same rule. NULL
 * without memory. */
struct cJSON *alarmparse_json(const struct alarm_rule_def *def);

/*
 * The body of POST /v1/alarms/{id}/ack: {"by": "..."}, 1..ALARM_BY_MAX-1
 * bytes of printable UTF-8 (or an empty body: by is then "" and the
 * caller names who). 0, or -1 with the reason in err.
 */
int	alarmparse_ack(const char *body, size_t len, char by[ALARM_BY_MAX],
	    char *err, size_t errlen);

/* Whether path is one a rule takes (as it comes out of alarmparse_rule:
 * no leading "/"), and whether it is an LwM2M resource or resource
 * instance path that attributes can be written on. */
int	alarmparse_path_valid(const char *path);
int	alarmparse_path_lwm2m(const char *path);

const char	*alarm_kind_name(int kind);
const char	*alarm_severity_name(int sev);
/* The severity of that name, or -1. */
int		 alarm_severity_of(const char *name);

#endif /* OUTPOST_ALARMPARSE_H */
