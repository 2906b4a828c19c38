/*
 * reg.h: the registration state machine of one device, without I/O.
 *
 *   IDLE --timer--> REGISTERING --2.01--> REGISTERED --timer--> UPDATING
 *     ^                 |                   ^    |                 |
 *     +--- failure -----+                   +----|---- 2.04 -------+
 *     +--- (backoff) ---------------------------+---- failure/4.xx-+
 *     +--- 4.04 (at once) ------------------------------------------+
 *   stop: REGISTERED/UPDATING --> DEREGISTERING --> DONE
 *
 * A failed exchange (no answer, ICMP, an error code) is retried after a
 * backoff with full jitter: a delay drawn evenly from [backoff_min,
 * min(backoff_max, backoff_min * 2^failures)] seconds. It never gives up,
 * and never retries sooner than backoff_min.
 *
 * In queue mode (b=UQ) a registered device stays awake for `awake` seconds
 * after each exchange (requests it answers extend that), then turns its
 * radio off for `sleep` seconds (less when the next update is due sooner),
 * then turns it on and sends an update.
 *
 * The machine acts through struct reg_ops, and only from reg_timer and
 * reg_stop sends anything: reg_answer and reg_failed run inside the CoAP
 * stack's handlers, so they only change state and arm the timer.
 * Times are monotonic milliseconds.
 */
#ifndef OUTPOST_NODE_REG_H
#define OUTPOST_NODE_REG_H

#include <stddef.h>
#include <stdint.h>

#include "node/uri.h"

enum reg_state {
	REG_IDLE,		/* waiting to register */
	REG_REGISTERING,
	REG_REGISTERED,
	REG_UPDATING,
	REG_DEREGISTERING,
	REG_DONE,		/* stopped */
};

enum reg_msg {
	REG_MSG_REGISTER,	/* POST /rd?ep&lt&lwm2m&b, links */
	REG_MSG_UPDATE,		/* POST /<location>[?lt][&b] */
	REG_MSG_DEREGISTER,	/* DELETE /<location> */
};

/* What the machine tells its owner, for logs and counts. */
enum reg_note {
	REG_NOTE_REGISTERED,
	REG_NOTE_UPDATED,
	REG_NOTE_LOST,		/* the gateway forgot us (4.04) */
	REG_NOTE_FAILED,	/* a failure; arg: the retry delay, ms */
	REG_NOTE_SLEEP,		/* radio off; arg: for how long, ms */
	REG_NOTE_WAKE,
	REG_NOTE_DONE,		/* stopped (deregistered or not) */
};

/* The settings the machine reads at each step (shared by a fleet). */
struct reg_params {
	uint32_t	lifetime;	/* seconds */
	int		queue;		/* b=UQ */
	uint32_t	sleep;		/* seconds */
	uint32_t	awake;
	uint32_t	update_percent;
	uint32_t	backoff_min;	/* seconds */
	uint32_t	backoff_max;
};

struct reg_ops {
	/* Sends msg now. Returns 0, or -1 when it could not be sent (a
	 * failure, as if no answer came). */
	int	(*send)(void *arg, enum reg_msg msg);
	/* Arms the one timer delay ms from now; -1 disarms it. */
	void	(*arm)(void *arg, int64_t delay_ms);
	/* Radio on (1) or off (0). */
	void	(*radio)(void *arg, int on);
	/* The transport is suspect: use a fresh one for the next send. */
	void	(*reset)(void *arg);
	void	(*note)(void *arg, enum reg_note note, int64_t value);
};

struct reg {
	const struct reg_params	*params;	/* not owned */
	const struct reg_ops	*ops;
	void			*arg;
	enum reg_state		 state;
	uint32_t		 failures;	/* in a row */
	uint8_t			 asleep;
	uint8_t			 stopping;
	uint8_t			 resend;	/* params changed: update */
	int64_t			 update_due;	/* ms */
	int64_t			 sleep_at;	/* ms, queue mode */
	uint32_t		 sent_lifetime;	/* what the last message said */
	int			 sent_queue;
	uint32_t		 server_lifetime;	/* what the gateway has */
	int			 server_queue;
	char			 location[URI_LOCATION_MAX];	/* "rd/<id>" */
	uint64_t		 rng;
};

/* Sets r up; seed feeds the jitter (0 is replaced). */
void	reg_init(struct reg *r, const struct reg_params *p,
	    const struct reg_ops *ops, void *arg, uint64_t seed);

/* Starts: the first registration is sent delay_ms from now. */
void	reg_start(struct reg *r, int64_t now, int64_t delay_ms);

/* The timer fired. */
void	reg_timer(struct reg *r, int64_t now);

/*
 * The answer to the message in flight: code is the CoAP code as class *
 * 100 + detail (201, 204, 404, ...); location the Location-Path of a 2.01
 * ("rd/5f3a..", checked by the caller), or NULL.
 */
void	reg_answer(struct reg *r, int64_t now, int code, const char *location);

/* The message in flight got no answer (timeout, ICMP, reset). */
void	reg_failed(struct reg *r, int64_t now);

/* A request from the network was answered: in queue mode, stay awake for
 * another awake window. */
void	reg_activity(struct reg *r, int64_t now);

/* Lifetime or binding changed: tell the gateway with an update soon. */
void	reg_params_changed(struct reg *r, int64_t now);

/*
 * Stops: deregisters if registered. Returns 1 when a deregistration (or a
 * registration in flight) is still to be answered, REG_NOTE_DONE follows;
 * 0 when the machine is done already.
 */
int	reg_stop(struct reg *r, int64_t now);

/*
 * For the bootstrap client (bsc.c), which owns the account registered
 * with. reg_halt: the machine stops where it is without sending anything
 * (its registration is given up, the account is replaced) and waits for
 * reg_start. reg_update_now: a registered device sends an update at once
 * (the Registration Update Trigger, /1/x/8).
 */
void	reg_halt(struct reg *r);
void	reg_update_now(struct reg *r, int64_t now);

/* The next retry delay for the current failure count, in ms. */
int64_t	reg_backoff(struct reg *r);

/* Whether the update to send should carry lt= and b=. */
int	reg_update_needs_lifetime(const struct reg *r);
int	reg_update_needs_binding(const struct reg *r);

const char *reg_state_name(enum reg_state st);

#endif /* OUTPOST_NODE_REG_H */
