/*
 * attr.h: the notification attributes of LwM2M 1.1 (Core 5.1.2, 7.3.x):
 * their query syntax, the rules a Write-Attributes must keep, how the
 * levels inherit, and the decision "notify now or not" of an observation,
 * all without I/O or a clock of their own (times come in as monotonic
 * milliseconds), so that tests drive them with a fake one.
 *
 *   pmin, pmax    seconds between notifications, at least and at most;
 *                 set on an object, an instance or a resource, a lower
 *                 level overriding a higher one
 *   gt, lt        notify when the value crosses the threshold
 *   st            notify when the value moved by st since the last
 *                 notification
 *                 (gt, lt and st on numeric resources only; several of
 *                 them: any one met is enough)
 *   epmin, epmax  seconds between evaluations, at least and at most
 *
 * Peer input: bounded, never trusted.
 */
#ifndef OUTPOST_NODE_ATTR_H
#define OUTPOST_NODE_ATTR_H

#include <stddef.h>
#include <stdint.h>

#define ATTR_PERIOD_MAX	(365 * 86400)	/* seconds, pmin .. epmax */

enum attr_name {
	ATTR_PMIN,
	ATTR_PMAX,
	ATTR_GT,
	ATTR_LT,
	ATTR_ST,
	ATTR_EPMIN,
	ATTR_EPMAX,
	ATTR_COUNT
};

#define ATTR_BIT(n)	(1u << (n))
#define ATTR_NUMERIC	(ATTR_BIT(ATTR_GT) | ATTR_BIT(ATTR_LT) | \
			    ATTR_BIT(ATTR_ST))
#define ATTR_PERIODS	(ATTR_BIT(ATTR_PMIN) | ATTR_BIT(ATTR_PMAX) | \
			    ATTR_BIT(ATTR_EPMIN) | ATTR_BIT(ATTR_EPMAX))

/* The attributes of one level, or those in effect for an observation. */
struct attr {
	unsigned	set;		/* ATTR_BIT(name): has a value */
	unsigned	clear;		/* given without a value: remove it */
	int		pmin, pmax;	/* seconds */
	int		epmin, epmax;
	double		gt, lt, st;
};

#define ATTR_HAS(a, n)	(((a)->set & ATTR_BIT(n)) != 0)

/* What an observation remembers between decisions. */
struct attr_watch {
	int64_t		last_ms;	/* the last notification (or the
					 * answer that started it) */
	double		last;		/* the number it carried */
	int		has_last;	/* last holds one */
	int		pending;	/* a change waits for pmin */
};

enum attr_verdict {
	ATTR_QUIET,		/* nothing to send */
	ATTR_WAIT,		/* to send once pmin has passed */
	ATTR_NOTIFY,		/* to send now */
};

/*
 * Applies one Uri-Query option value (len bytes, no NUL needed) to a, which
 * the caller zeroes before the first: "name=value" sets, a bare "name"
 * marks it to be removed (a->clear). pmin, pmax, epmin and epmax take a
 * decimal number 0..ATTR_PERIOD_MAX; gt, lt and st a decimal number (sign,
 * fraction and exponent allowed). A repeated or unknown name, a bad value,
 * or an embedded NUL is an error. Returns 0, or -1 with a reason in err
 * (a unchanged).
 */
int	attr_parse(struct attr *a, const uint8_t *opt, size_t len, char *err,
	    size_t errlen);

/*
 * Checks the rules between the attributes of a (LwM2M 1.1 Core 5.1.2):
 * pmin not above pmax (a pmax of 0 is none), epmin not above epmax, st not
 * negative, lt below gt, and lt + 2 st below gt. Returns 0 or -1 with err.
 */
int	attr_check(const struct attr *a, char *err, size_t errlen);

/*
 * Write-Attributes: the attributes of a level (cur) after w is written to
 * it: w's removals, then w's values. Checks what the level allows: gt, lt
 * and st only on a resource (resource) whose value is a number (numeric),
 * then attr_check on the result. Returns 0 with *out, or -1 with err (the
 * operation fails with 4.00 and nothing changes).
 */
int	attr_write(const struct attr *cur, const struct attr *w, int resource,
	    int numeric, struct attr *out, char *err, size_t errlen);

/*
 * The attributes in effect for an observation: each period from the first
 * level that has it, in the order given (the observe request's own, the
 * resource's, its instance's, its object's; NULL levels are skipped); gt,
 * lt and st from the first level that has any of them.
 */
void	attr_effective(struct attr *out, const struct attr *const *levels,
	    size_t nlevels);

/*
 * Whether the value v, against the last notified one, meets the numeric
 * conditions of a: it crossed gt or lt (is on the other side of it now:
 * above gt, below lt, or no longer), or moved by st or more. Without a
 * last value, or with none of gt, lt and st set, any value does.
 */
int	attr_condition(const struct attr *a, const struct attr_watch *w,
	    double v);

/*
 * The decision, at now: a change happened (changed) or a timer fired,
 * and the value is numeric (has_value, v) or not. Notifies when pmax has
 * passed since the last notification, or when a change that meets the
 * conditions comes pmin or more after it; such a change sooner waits
 * (w->pending) for pmin, and is looked at again then: a value that went
 * back meanwhile is not sent. Without has_value (or without gt, lt and
 * st) every change meets them.
 */
enum attr_verdict attr_decide(const struct attr *a, struct attr_watch *w,
	    int64_t now, int changed, int has_value, double v);

/* Records a notification sent at now carrying v (has_value). */
void	attr_notified(struct attr_watch *w, int64_t now, int has_value,
	    double v);

/* When a decision is next due by pmin (a pending change) or pmax, in
 * monotonic ms; INT64_MAX when neither. */
int64_t	attr_deadline(const struct attr *a, const struct attr_watch *w);

/*
 * Formats the attributes of a as link-format parameters
 * (";pmin=5;gt=20.5") into buf. Returns the length, or -1 when they do not
 * fit.
 */
int	attr_links(const struct attr *a, char *buf, size_t len);

#endif /* OUTPOST_NODE_ATTR_H */
