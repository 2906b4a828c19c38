/*
 * reg.c: the registration state machine. See reg.h.
 */
#include <string.h>

#include "node/reg.h"

#define REG_MIN_UPDATE_MS	1000	/* never update more often */

static const char *const reg_state_names[] = {
	"idle", "registering", "registered", "updating", "deregistering",
	"done"
};

const char *
reg_state_name(enum reg_state st)
{
	return st <= REG_DONE ? reg_state_names[st] : "?";
}

/* xorshift64*: the jitter needs spread, not secrecy. */
static uint64_t
reg_random(struct reg *r)
{
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 0x2545f4914f6cdd1dULL;
}

void
reg_init(struct reg *r, const struct reg_params *p, const struct reg_ops *ops,
    void *arg, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->params = p;
	r->ops = ops;
	r->arg = arg;
	r->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ULL;
	r->state = REG_IDLE;
}

int64_t
reg_backoff(struct reg *r)
{
	int64_t lo = (int64_t)r->params->backoff_min * 1000;
	int64_t cap = (int64_t)r->params->backoff_max * 1000;
	int64_t hi = lo;
	uint32_t i;

	for (i = 0; i < r->failures && hi < cap; i++)
		hi *= 2;
	if (hi > cap)
		hi = cap;
	if (hi <= lo)
		return lo;
	return lo + (int64_t)(reg_random(r) % (uint64_t)(hi - lo + 1));
}

int
reg_update_needs_lifetime(const struct reg *r)
{
	return r->params->lifetime != r->server_lifetime;
}

int
reg_update_needs_binding(const struct reg *r)
{
	return r->params->queue != r->server_queue;
}

/* Sends msg in state st; a send that fails at once is a failure. */
static void
reg_send(struct reg *r, int64_t now, enum reg_state st, enum reg_msg msg)
{
	r->state = st;
	r->sent_lifetime = r->params->lifetime;
	r->sent_queue = r->params->queue;
	r->ops->arm(r->arg, -1);
	if (r->ops->send(r->arg, msg) == -1)
		reg_failed(r, now);
}

/* Arms the timer for the next deadline of a registered device. */
static void
reg_schedule(struct reg *r, int64_t now)
{
	int64_t at = r->update_due;

	if (r->resend)
		at = now;
	else if (r->params->queue && !r->asleep && r->sleep_at < at)
		at = r->sleep_at;
	r->ops->arm(r->arg, at > now ? at - now : 0);
}

/* An exchange succeeded at now: the next update, and in queue mode the
 * end of the awake window. */
static void
reg_registered(struct reg *r, int64_t now)
{
	int64_t every = (int64_t)r->params->lifetime * 10 *
	    r->params->update_percent;

	r->state = REG_REGISTERED;
	r->failures = 0;
	r->server_lifetime = r->sent_lifetime;
	r->server_queue = r->sent_queue;
	if (r->sent_lifetime != r->params->lifetime ||
	    r->sent_queue != r->params->queue)
		r->resend = 1;	/* changed while in flight */
	r->update_due = now + (every < REG_MIN_UPDATE_MS ? REG_MIN_UPDATE_MS :
	    every);
	r->sleep_at = now + (int64_t)r->params->awake * 1000;
	reg_schedule(r, now);
}

/* A failure: back to IDLE, registration retried after the backoff. */
static void
reg_retry(struct reg *r, int64_t now, int reset)
{
	int64_t delay;

	(void)now;
	if (reset)
		r->ops->reset(r->arg);
	r->state = REG_IDLE;
	r->location[0] = '\0';
	r->server_lifetime = 0;
	delay = reg_backoff(r);
	if (r->failures < 64)
		r->failures++;
	r->ops->note(r->arg, REG_NOTE_FAILED, delay);
	r->ops->arm(r->arg, delay);
}

static void
reg_done(struct reg *r)
{
	r->state = REG_DONE;
	r->ops->arm(r->arg, -1);
	r->ops->note(r->arg, REG_NOTE_DONE, 0);
}

void
reg_start(struct reg *r, int64_t now, int64_t delay_ms)
{
	(void)now;
	r->state = REG_IDLE;
	r->ops->arm(r->arg, delay_ms < 0 ? 0 : delay_ms);
}

/* Radio off until the wake-up, which is no later than the update. */
static void
reg_sleep(struct reg *r, int64_t now)
{
	int64_t wake = now + (int64_t)r->params->sleep * 1000;

	if (wake > r->update_due)
		wake = r->update_due;
	r->asleep = 1;
	r->ops->radio(r->arg, 0);
	r->ops->note(r->arg, REG_NOTE_SLEEP, wake - now);
	r->ops->arm(r->arg, wake - now);
}

void
reg_timer(struct reg *r, int64_t now)
{
	switch (r->state) {
	case REG_IDLE:
		if (r->stopping) {
			reg_done(r);
			break;
		}
		reg_send(r, now, REG_REGISTERING, REG_MSG_REGISTER);
		break;
	case REG_REGISTERED:
		if (r->asleep) {
			r->asleep = 0;
			r->ops->radio(r->arg, 1);
			r->ops->note(r->arg, REG_NOTE_WAKE, 0);
			reg_send(r, now, REG_UPDATING, REG_MSG_UPDATE);
		} else if (r->resend || now >= r->update_due) {
			r->resend = 0;
			reg_send(r, now, REG_UPDATING, REG_MSG_UPDATE);
		} else if (r->params->queue && now >= r->sleep_at) {
			reg_sleep(r, now);
		} else {
			reg_schedule(r, now);
		}
		break;
	default:
		break;		/* an answer is awaited: no deadline of ours */
	}
}

void
reg_answer(struct reg *r, int64_t now, int code, const char *location)
{
	switch (r->state) {
	case REG_REGISTERING:
		if (code != 201 || location == NULL || location[0] == '\0' ||
		    strlen(location) >= sizeof(r->location)) {
			reg_retry(r, now, 0);
			break;
		}
		memcpy(r->location, location, strlen(location) + 1);
		reg_registered(r, now);
		r->ops->note(r->arg, REG_NOTE_REGISTERED, 0);
		if (r->stopping)
			reg_stop(r, now);
		break;
	case REG_UPDATING:
		if (code == 204) {
			reg_registered(r, now);
			r->ops->note(r->arg, REG_NOTE_UPDATED, 0);
		} else if (code == 404) {
			r->ops->note(r->arg, REG_NOTE_LOST, 0);
			r->state = REG_IDLE;
			r->location[0] = '\0';
			r->server_lifetime = 0;
			r->ops->arm(r->arg, 0);
		} else {
			reg_retry(r, now, 0);
		}
		break;
	case REG_DEREGISTERING:
		reg_done(r);
		break;
	default:
		break;		/* a late answer to something we gave up */
	}
}

void
reg_failed(struct reg *r, int64_t now)
{
	switch (r->state) {
	case REG_REGISTERING:
		if (r->stopping) {
			reg_done(r);
			break;
		}
		reg_retry(r, now, 1);
		break;
	case REG_UPDATING:
		reg_retry(r, now, 1);
		break;
	case REG_DEREGISTERING:
		reg_done(r);
		break;
	default:
		break;
	}
}

void
reg_activity(struct reg *r, int64_t now)
{
	int64_t until = now + (int64_t)r->params->awake * 1000;

	if (!r->params->queue || r->asleep || until <= r->sleep_at)
		return;
	r->sleep_at = until;
	if (r->state == REG_REGISTERED)
		reg_schedule(r, now);
}

void
reg_params_changed(struct reg *r, int64_t now)
{
	if (!reg_update_needs_lifetime(r) && !reg_update_needs_binding(r))
		return;
	r->resend = 1;
	if (r->state == REG_REGISTERED && !r->asleep)
		reg_schedule(r, now);
}

int
reg_stop(struct reg *r, int64_t now)
{
	r->stopping = 1;
	switch (r->state) {
	case REG_REGISTERED:
	case REG_UPDATING:
		if (r->asleep) {
			r->asleep = 0;
			r->ops->radio(r->arg, 1);
		}
		reg_send(r, now, REG_DEREGISTERING, REG_MSG_DEREGISTER);
		return r->state == REG_DEREGISTERING;
	case REG_REGISTERING:
	case REG_DEREGISTERING:
		return 1;
	case REG_IDLE:
		reg_done(r);
		return 0;
	case REG_DONE:
		return 0;
	}
	return 0;
}

void
reg_halt(struct reg *r)
{
	if (r->asleep) {
		r->asleep = 0;
		r->ops->radio(r->arg, 1);
	}
	r->state = REG_IDLE;
	r->failures = 0;
	r->resend = 0;
	r->location[0] = '\0';
	r->server_lifetime = 0;
	r->ops->arm(r->arg, -1);
}

void
reg_update_now(struct reg *r, int64_t now)
{
	r->resend = 1;
	if (r->state == REG_REGISTERED && !r->asleep)
		reg_schedule(r, now);
}
