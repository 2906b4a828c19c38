/*
 * test_node_reg.c: unit tests for the registration state machine
 * (node/reg.c) through fake operations: register, update before the
 * lifetime runs out, register afresh on 4.04, backoff with full jitter
 * (bounds, growth, cap, never sooner than backoff_min), queue mode sleep
 * and wake, deregistration on stop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/reg.h"

struct fake {
	struct reg_params	p;
	struct reg		r;
	int			sends[32];
	int			nsends;
	int64_t			armed;		/* -1: disarmed */
	int			radio;		/* 1: on */
	int			resets;
	int			notes[32];
	int64_t			note_values[32];
	int			nnotes;
	int			send_fails;	/* make send return -1 */
};

static int
fake_send(void *arg, enum reg_msg msg)
{
	struct fake *f = arg;

	f->sends[f->nsends % 32] = msg;	/* a ring: the latest 32 */
	f->nsends++;
	return f->send_fails ? -1 : 0;
}

static void
fake_arm(void *arg, int64_t delay)
{
	((struct fake *)arg)->armed = delay;
}

static void
fake_radio(void *arg, int on)
{
	((struct fake *)arg)->radio = on;
}

static void
fake_reset(void *arg)
{
	((struct fake *)arg)->resets++;
}

static void
fake_note(void *arg, enum reg_note note, int64_t v)
{
	struct fake *f = arg;

	f->notes[f->nnotes % 32] = note;
	f->note_values[f->nnotes % 32] = v;
	f->nnotes++;
}

static const struct reg_ops fake_ops = {
	fake_send, fake_arm, fake_radio, fake_reset, fake_note
};

static int
setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->p.lifetime = 100;
	f->p.sleep = 30;
	f->p.awake = 5;
	f->p.update_percent = 80;
	f->p.backoff_min = 1;
	f->p.backoff_max = 300;
	f->armed = -1;
	f->radio = 1;
	reg_init(&f->r, &f->p, &fake_ops, f, 42);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

static int
last_send(const struct fake *f)
{
	return f->nsends > 0 ? f->sends[(f->nsends - 1) % 32] : -1;
}

static int
last_note(const struct fake *f)
{
	return f->nnotes > 0 ? f->notes[(f->nnotes - 1) % 32] : -1;
}

/* Drives f to REGISTERED at time now. */
static void
registered(struct fake *f, int64_t now)
{
	reg_start(&f->r, now, 0);
	assert_int_equal(f->armed, 0);
	reg_timer(&f->r, now);
	assert_int_equal(last_send(f), REG_MSG_REGISTER);
	assert_int_equal(f->r.state, REG_REGISTERING);
	assert_int_equal(f->armed, -1);	/* nothing of ours is due */
	reg_answer(&f->r, now, 201, "rd/abc");
	assert_int_equal(f->r.state, REG_REGISTERED);
	assert_string_equal(f->r.location, "rd/abc");
}

static void
test_register_then_update(void **state)
{
	struct fake *f = *state;

	registered(f, 1000);
	assert_int_equal(last_note(f), REG_NOTE_REGISTERED);
	assert_int_equal(f->armed, 80000);	/* 80 % of 100 s */
	assert_int_equal(f->r.server_lifetime, 100);
	assert_false(reg_update_needs_lifetime(&f->r));
	/* An early timer (spurious) re-arms for what is left. */
	reg_timer(&f->r, 41000);
	assert_int_equal(f->nsends, 1);
	assert_int_equal(f->armed, 40000);
	reg_timer(&f->r, 81000);
	assert_int_equal(last_send(f), REG_MSG_UPDATE);
	assert_int_equal(f->r.state, REG_UPDATING);
	reg_answer(&f->r, 81010, 204, NULL);
	assert_int_equal(f->r.state, REG_REGISTERED);
	assert_int_equal(last_note(f), REG_NOTE_UPDATED);
	assert_int_equal(f->armed, 80000);
	assert_int_equal(f->resets, 0);
}

static void
test_short_lifetime_updates_at_least_a_second_apart(void **state)
{
	struct fake *f = *state;

	f->p.lifetime = 1;
	f->p.update_percent = 10;
	registered(f, 0);
	assert_int_equal(f->armed, 1000);
}

static void
test_update_404_registers_afresh(void **state)
{
	struct fake *f = *state;

	registered(f, 0);
	reg_timer(&f->r, 80000);
	reg_answer(&f->r, 80001, 404, NULL);
	assert_int_equal(last_note(f), REG_NOTE_LOST);
	assert_int_equal(f->r.state, REG_IDLE);
	assert_int_equal(f->armed, 0);		/* at once, no backoff */
	assert_string_equal(f->r.location, "");
	reg_timer(&f->r, 80001);
	assert_int_equal(last_send(f), REG_MSG_REGISTER);
	reg_answer(&f->r, 80002, 201, "rd/new");
	assert_string_equal(f->r.location, "rd/new");
}

static void
test_backoff_grows_with_jitter_and_is_capped(void **state)
{
	struct fake *f = *state;
	int64_t now = 0, lo, hi, seen_min = INT64_MAX, seen_max = 0;
	int i;

	f->p.backoff_min = 2;
	f->p.backoff_max = 60;
	reg_start(&f->r, now, 0);
	for (i = 0; i < 40; i++) {
		reg_timer(&f->r, now);
		assert_int_equal(last_send(f), REG_MSG_REGISTER);
		reg_failed(&f->r, now);
		assert_int_equal(f->r.state, REG_IDLE);
		assert_int_equal(last_note(f), REG_NOTE_FAILED);
		assert_int_equal(f->note_values[(f->nnotes - 1) % 32],
		    f->armed);
		lo = 2000;
		hi = i >= 5 ? 60000 : (2000LL << i) > 60000 ? 60000 :
		    2000LL << i;
		if (f->armed < lo || f->armed > hi)
			fail_msg("failure %d: delay %lld outside [%lld, %lld]",
			    i, (long long)f->armed, (long long)lo,
			    (long long)hi);
		if (i >= 6) {
			if (f->armed < seen_min)
				seen_min = f->armed;
			if (f->armed > seen_max)
				seen_max = f->armed;
		}
		now += f->armed;
	}
	assert_int_equal(f->resets, 40);	/* a fresh socket each time */
	/* Full jitter: the capped delays spread over the window. */
	assert_true(seen_min < 20000 && seen_max > 40000);
	/* A success starts over at backoff_min. */
	reg_timer(&f->r, now);
	reg_answer(&f->r, now, 201, "rd/x");
	assert_int_equal(f->r.failures, 0);
	reg_timer(&f->r, now + 80000);
	reg_failed(&f->r, now + 80000);
	assert_int_equal(f->armed, 2000);
}

static void
test_error_answers_back_off_without_reset(void **state)
{
	struct fake *f = *state;

	reg_start(&f->r, 0, 0);
	reg_timer(&f->r, 0);
	reg_answer(&f->r, 1, 400, NULL);
	assert_int_equal(f->r.state, REG_IDLE);
	assert_int_equal(f->resets, 0);
	assert_true(f->armed >= 1000);
	/* 2.01 without a Location-Path is no registration either. */
	reg_timer(&f->r, 5000);
	reg_answer(&f->r, 5001, 201, NULL);
	assert_int_equal(f->r.state, REG_IDLE);
	reg_timer(&f->r, 9000);
	reg_answer(&f->r, 9001, 201, "");
	assert_int_equal(f->r.state, REG_IDLE);
	assert_int_equal(f->r.failures, 3);
	/* An update answered 5.03 registers afresh after a backoff. */
	reg_timer(&f->r, 20000);
	reg_answer(&f->r, 20001, 201, "rd/q");
	reg_timer(&f->r, 100001);
	reg_answer(&f->r, 100002, 503, NULL);
	assert_int_equal(f->r.state, REG_IDLE);
	assert_true(f->armed >= 1000);
	assert_int_equal(last_note(f), REG_NOTE_FAILED);
}

static void
test_send_failure_is_no_busy_loop(void **state)
{
	struct fake *f = *state;
	int64_t now = 0;
	int i;

	f->send_fails = 1;
	reg_start(&f->r, 0, 0);
	for (i = 0; i < 10; i++) {
		reg_timer(&f->r, now);
		assert_int_equal(f->r.state, REG_IDLE);
		assert_true(f->armed >= 1000);
		now += f->armed;
	}
	assert_int_equal(f->nsends, 10);
}

static void
test_late_answers_are_ignored(void **state)
{
	struct fake *f = *state;

	reg_start(&f->r, 0, 0);
	reg_answer(&f->r, 0, 201, "rd/x");	/* nothing in flight */
	assert_int_equal(f->r.state, REG_IDLE);
	reg_failed(&f->r, 0);
	assert_int_equal(f->r.state, REG_IDLE);
	assert_int_equal(f->nnotes, 0);
}

static void
test_queue_mode_sleeps_and_wakes(void **state)
{
	struct fake *f = *state;
	int64_t t = 0;

	f->p.queue = 1;
	registered(f, t);
	assert_int_equal(f->armed, 5000);	/* awake window */
	assert_int_equal(f->radio, 1);
	t += 5000;
	reg_timer(&f->r, t);
	assert_int_equal(f->radio, 0);
	assert_int_equal(last_note(f), REG_NOTE_SLEEP);
	assert_int_equal(f->armed, 30000);
	assert_int_equal(f->nsends, 1);
	t += 30000;
	reg_timer(&f->r, t);
	assert_int_equal(f->radio, 1);
	assert_int_equal(last_send(f), REG_MSG_UPDATE);
	reg_answer(&f->r, t, 204, NULL);
	assert_int_equal(f->armed, 5000);
	/* A request answered while awake keeps it awake longer. */
	reg_activity(&f->r, t + 4000);
	assert_int_equal(f->armed, 5000);	/* re-armed: 9 s after t */
	t += 9000;
	reg_timer(&f->r, t);
	assert_int_equal(f->radio, 0);
	/* The wake-up comes no later than the update is due. */
	assert_int_equal(f->armed, 30000);
	reg_activity(&f->r, t + 1);		/* asleep: nothing heard */
	assert_int_equal(f->armed, 30000);
}

static void
test_queue_sleep_is_cut_short_by_the_update(void **state)
{
	struct fake *f = *state;

	f->p.queue = 1;
	f->p.lifetime = 20;		/* update due after 16 s */
	registered(f, 0);
	reg_timer(&f->r, 5000);
	assert_int_equal(f->radio, 0);
	assert_int_equal(f->armed, 11000);	/* not the 30 s of sleep */
	/* An update due within the awake window: no sleep at all. */
	f->p.lifetime = 5;
	f->p.awake = 10;
	reg_timer(&f->r, 16000);
	reg_answer(&f->r, 16000, 204, NULL);
	assert_int_equal(f->armed, 4000);
	reg_timer(&f->r, 20000);
	assert_int_equal(last_send(f), REG_MSG_UPDATE);
	assert_int_equal(f->radio, 1);
}

static void
test_stop_deregisters(void **state)
{
	struct fake *f = *state;

	registered(f, 0);
	assert_int_equal(reg_stop(&f->r, 10), 1);
	assert_int_equal(last_send(f), REG_MSG_DEREGISTER);
	assert_int_equal(f->r.state, REG_DEREGISTERING);
	assert_int_equal(reg_stop(&f->r, 11), 1);	/* again: still waiting */
	assert_int_equal(f->nsends, 2);
	reg_answer(&f->r, 12, 202, NULL);
	assert_int_equal(f->r.state, REG_DONE);
	assert_int_equal(last_note(f), REG_NOTE_DONE);
	assert_int_equal(f->armed, -1);
	assert_int_equal(reg_stop(&f->r, 13), 0);
}

static void
test_stop_in_other_states(void **state)
{
	struct fake *f = *state;

	/* Idle: done at once, nothing sent. */
	reg_start(&f->r, 0, 5000);
	assert_int_equal(reg_stop(&f->r, 1), 0);
	assert_int_equal(f->r.state, REG_DONE);
	assert_int_equal(f->nsends, 0);
	assert_int_equal(last_note(f), REG_NOTE_DONE);
	/* Registering: the answer is awaited, then deregistered. */
	reg_init(&f->r, &f->p, &fake_ops, f, 7);
	reg_start(&f->r, 0, 0);
	reg_timer(&f->r, 0);
	assert_int_equal(reg_stop(&f->r, 1), 1);
	reg_answer(&f->r, 2, 201, "rd/late");
	assert_int_equal(last_send(f), REG_MSG_DEREGISTER);
	reg_failed(&f->r, 3);			/* no answer: done anyway */
	assert_int_equal(f->r.state, REG_DONE);
	/* Asleep: the radio comes on for the deregistration. */
	reg_init(&f->r, &f->p, &fake_ops, f, 7);
	f->p.queue = 1;
	registered(f, 0);
	reg_timer(&f->r, 5000);
	assert_int_equal(f->radio, 0);
	assert_int_equal(reg_stop(&f->r, 6000), 1);
	assert_int_equal(f->radio, 1);
	assert_int_equal(last_send(f), REG_MSG_DEREGISTER);
	/* A registration that fails while stopping: done, no retry. */
	reg_init(&f->r, &f->p, &fake_ops, f, 7);
	reg_start(&f->r, 0, 0);
	reg_timer(&f->r, 0);
	reg_stop(&f->r, 1);
	reg_failed(&f->r, 2);
	assert_int_equal(f->r.state, REG_DONE);
	assert_int_equal(f->armed, -1);
}

static void
test_params_change_sends_update(void **state)
{
	struct fake *f = *state;

	registered(f, 0);
	f->p.lifetime = 50;
	assert_true(reg_update_needs_lifetime(&f->r));
	assert_false(reg_update_needs_binding(&f->r));
	reg_params_changed(&f->r, 10);
	assert_int_equal(f->armed, 0);
	reg_timer(&f->r, 10);
	assert_int_equal(last_send(f), REG_MSG_UPDATE);
	reg_answer(&f->r, 11, 204, NULL);
	assert_false(reg_update_needs_lifetime(&f->r));
	assert_int_equal(f->armed, 40000);
	/* A change while the update is in flight is sent after it. */
	f->p.queue = 1;
	reg_timer(&f->r, 40011);
	f->p.queue = 0;
	f->p.lifetime = 60;
	reg_params_changed(&f->r, 40012);
	reg_answer(&f->r, 40013, 204, NULL);
	assert_int_equal(f->armed, 0);
	assert_true(reg_update_needs_lifetime(&f->r));
	/* No change, no update. */
	reg_timer(&f->r, 40013);
	reg_answer(&f->r, 40014, 204, NULL);
	reg_params_changed(&f->r, 40015);
	assert_int_equal(f->armed, 48000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_register_then_update),
		T(test_short_lifetime_updates_at_least_a_second_apart),
		T(test_update_404_registers_afresh),
		T(test_backoff_grows_with_jitter_and_is_capped),
		T(test_error_answers_back_off_without_reset),
		T(test_send_failure_is_no_busy_loop),
		T(test_late_answers_are_ignored),
		T(test_queue_mode_sleeps_and_wakes),
		T(test_queue_sleep_is_cut_short_by_the_update),
		T(test_stop_deregisters),
		T(test_stop_in_other_states),
		T(test_params_change_sends_update),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
