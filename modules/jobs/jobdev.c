/*
 * jobdev.c: one device through a job's steps (jobint.h).
 *
 * An attempt takes the device from its current step to the last. Each
 * step is one op of the durable queue; before a risky one, the device's
 * firmware State (/5/0/3) and then its battery (/3/0) are read, each a
 * queued read too, and a device that fails them is deferred. A step with
 * a condition then waits, observing the resource, until it reaches its
 * value; a read of it goes when nothing was heard for [jobs] poll_s. An
 * op that ends is handed here by the queue's listener while its result
 * is staged (job.c), so what this file records of it commits with it.
 * An attempt that fails, or outlives its deadline, is retried after a
 * back-off from the step that failed, until the retries are spent.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/observe.h"
#include "gateway.h"
#include "log.h"
#include "lwm2m/senml.h"
#include "modules/device/devlog.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "modules/firmware/firmware.h"
#include "modules/jobs/jobint.h"
#include "store/store.h"

#define JOBDEV_BACKOFF_MAX	86400	/* seconds, however many retries */

static const struct job_step *
jobdev_step(const struct job *j, const struct job_dev *d)
{
	return &j->req.steps[d->step];
}

/* The op has been committed: its device's queue may deliver it. */
static void
jobdev_pushed(enum queue_result res, uint64_t id, void *arg)
{
	struct gateway **gwp = arg;

	(void)id;
	if (res == QUEUE_OK)
		queue_wake(gwp[0], (const char *)(gwp + 1));
	free(arg);
}

/* Queues spec for d; its id goes into d's record in the same batch.
 * 0, or -1 with d's error set. */
static int
jobdev_push(struct gateway *gw, struct job_dev *d,
    const struct devreq_spec *spec, int phase)
{
	size_t n = strlen(d->ep) + 1;
	struct gateway **arg;
	enum queue_result r;
	uint64_t id = 0;

	if ((arg = malloc(sizeof(*arg) + n)) == NULL) {
		job_dev_error(d, "out of memory");
		return -1;
	}
	arg[0] = gw;
	memcpy(arg + 1, d->ep, n);
	if ((r = queue_push_id(gw, d->ep, spec, jobdev_pushed, arg,
	    &id)) != QUEUE_OK) {
		free(arg);
		job_dev_error(d, r == QUEUE_FULL ? "the device's queue is "
		    "full ([queue] max_per_device)" : "the store failed");
		return -1;
	}
	d->op = id;
	d->phase = (uint8_t)phase;
	return 0;
}

/* A read of path (GET, the device's own format). */
static int
jobdev_read(struct gateway *gw, struct job_dev *d, const char *path,
    int phase)
{
	struct devreq_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.method = DEVREQ_GET;
	spec.path = path;
	spec.content_format = -1;
	spec.accept = -1;
	spec.timeout_s = (unsigned)gw->cfg.proxy_timeout;
	return jobdev_push(gw, d, &spec, phase);
}

/*
 * The step's op for d: its body the image's URI for d (firmware,
 * software), or the SenML JSON value encoded for d (the format its
 * registration says it reads), or as it was given.
 */
static int
jobdev_send_step(struct gateway *gw, const struct job *j, struct job_dev *d)
{
	const struct job_step *s = jobdev_step(j, d);
	struct devreq_spec spec;
	char uri[300], err[200];
	uint8_t *enc = NULL;
	size_t len;
	int cf, rc;

	memset(&spec, 0, sizeof(spec));
	spec.method = s->method;
	spec.path = s->path;
	spec.query = s->query[0] != '\0' ? s->query : NULL;
	spec.content_format = s->content_format;
	spec.accept = -1;
	spec.timeout_s = (unsigned)gw->cfg.proxy_timeout;
	if (s->image[0] != '\0') {
		if (firmware_uri_for(gw, s->image, d->ep, uri,
		    sizeof(uri)) == -1) {
			job_dev_error(d, "no URI devices can fetch image %s "
			    "from: set [campaign] fetch_uri", s->image);
			return -1;
		}
		spec.body = (const uint8_t *)uri;
		spec.len = strlen(uri);
		spec.content_format = 0;
	} else if (s->senml && s->body != NULL) {
		if ((enc = senml_encode(registry_write_format(gw, d->ep),
		    (const uint8_t *)s->body, s->len, s->path, gw->models, &cf,
		    &len, err, sizeof(err))) == NULL) {
			job_dev_error(d, "the value cannot be sent: %s", err);
			return -1;
		}
		spec.body = enc;
		spec.len = len;
		spec.content_format = cf;
	} else if (s->body != NULL) {
		spec.body = (const uint8_t *)s->body;
		spec.len = s->len;
	}
	rc = jobdev_push(gw, d, &spec, JPH_OP);
	free(enc);
	return rc;
}

/* Holds (on) or lets go of the observations of d's step condition. */
static void
jobdev_hold(struct gateway *gw, const struct job *j, struct job_dev *d,
    int on)
{
	const struct job_until *u = &jobdev_step(j, d)->until;

	if (on == ((d->flags & JDF_HELD) != 0) || u->path[0] == '\0')
		return;
	if (on) {
		observe_hold(gw, d->ep, u->path);
		if (u->fail_path[0] != '\0' &&
		    strcmp(u->fail_path, u->path) != 0)
			observe_hold(gw, d->ep, u->fail_path);
	} else {
		observe_release(gw, d->ep, u->path);
		if (u->fail_path[0] != '\0' &&
		    strcmp(u->fail_path, u->path) != 0)
			observe_release(gw, d->ep, u->fail_path);
	}
	d->flags ^= JDF_HELD;
}

static void
jobdev_cancelled(enum queue_result res, uint64_t id, void *arg)
{
	(void)res;	/* one already on its way is not stopped */
	(void)id;
	(void)arg;
}

void
jobdev_stop(struct gateway *gw, struct job *j, struct job_dev *d)
{
	jobdev_hold(gw, j, d, 0);
	if (d->op != 0)
		(void)queue_cancel(gw, d->op, jobdev_cancelled, NULL);
	d->op = 0;
}

/* Whether s is a step of a firmware or software update: its image's
 * URI, or an op on /5/0 (Firmware Update) or /9/0 (Software Management). */
static int
jobdev_updates(const struct job_step *s)
{
	return s->image[0] != '\0' || strncmp(s->path, "5/", 2) == 0 ||
	    strncmp(s->path, "9/", 2) == 0;
}

/* The attempt failed (d's error says why): a retry after the back-off,
 * or the device fails. */
static void
jobdev_fail(struct gateway *gw, struct job *j, struct job_dev *d,
    int64_t now)
{
	int64_t wait;

	jobdev_stop(gw, j, d);
	d->flags &= ~(JDF_CHECKED | JDF_REFUSED);
	d->deadline = 0;
	if (d->attempts <= j->retries) {
		wait = (int64_t)j->backoff_s << (d->attempts < 16 ?
		    d->attempts - 1 : 15);
		d->phase = JPH_BACKOFF;
		d->next_at = now + (wait < JOBDEV_BACKOFF_MAX ? wait :
		    JOBDEV_BACKOFF_MAX);
		log_info("job %" PRIu64 ": %s: attempt %u failed (%s): "
		    "retried in %" PRId64 " s", j->id, d->ep, d->attempts,
		    d->error != NULL ? d->error : "?", d->next_at - now);
		job_dev_save(gw, j, d);
		return;
	}
	d->phase = JPH_IDLE;
	log_info("job %" PRIu64 ": %s failed at step %u: %s", j->id, d->ep,
	    d->step + 1, d->error != NULL ? d->error : "?");
	job_dev_set(gw, j, d, JD_FAILED);
	/* An update that failed: what the device logged goes with its
	 * record (modules/device/devlog.h). */
	if (jobdev_updates(jobdev_step(j, d)))
		(void)devlog_request(gw, "job", j->id, d->ep);
}

/* A precondition failed: d waits for recheck_s, holding no slot. */
static void
jobdev_defer(struct gateway *gw, struct job *j, struct job_dev *d,
    int64_t now)
{
	jobdev_stop(gw, j, d);
	d->flags &= ~JDF_CHECKED;
	d->phase = JPH_IDLE;
	d->deadline = 0;
	d->next_at = now + j->recheck_s;
	log_info("job %" PRIu64 ": %s deferred: %s", j->id, d->ep,
	    d->error != NULL ? d->error : "?");
	job_dev_set(gw, j, d, JD_DEFERRED);
}

void
jobdev_run(struct gateway *gw, struct job *j, struct job_dev *d, int64_t now)
{
	const struct job_step *s = jobdev_step(j, d);
	int rc;

	d->updated = now;
	if (!(d->flags & JDF_CHECKED) && (s->risk & JRISK_UPDATE))
		rc = jobdev_read(gw, d, "5/0/3", JPH_CHECK_FW);
	else if (!(d->flags & JDF_CHECKED) && (s->risk & JRISK_BATTERY) &&
	    j->req.pre.battery_min >= 0)
		rc = jobdev_read(gw, d, "3/0", JPH_CHECK_DEV);
	else
		rc = jobdev_send_step(gw, j, d);
	if (rc == -1) {
		jobdev_fail(gw, j, d, now);
		return;
	}
	job_dev_save(gw, j, d);
}

void
jobdev_begin(struct gateway *gw, struct job *j, struct job_dev *d,
    int64_t now)
{
	if (d->state == JD_PENDING || d->state == JD_DEFERRED) {
		if (d->state == JD_PENDING)
			d->attempts = 1;
		if (d->started == 0)
			d->started = now;
		job_dev_error(d, NULL);
		job_dev_set(gw, j, d, JD_ACTIVE);
	} else {
		d->attempts++;		/* a retry */
	}
	d->deadline = now + j->timeout_s;
	d->phase = JPH_IDLE;
	jobdev_run(gw, j, d, now);
}

/* d's step is done: the next one goes at once, or d has succeeded. */
static void
jobdev_step_done(struct gateway *gw, struct job *j, struct job_dev *d,
    int64_t now)
{
	jobdev_hold(gw, j, d, 0);
	d->flags &= ~(JDF_CHECKED | JDF_REFUSED);
	d->phase = JPH_IDLE;
	d->step++;
	job_dev_error(d, NULL);
	if (d->step < j->req.nsteps) {
		jobdev_run(gw, j, d, now);
		return;
	}
	d->deadline = 0;
	job_dev_set(gw, j, d, JD_SUCCEEDED);
}

/* Waits for the step's condition. */
static void
jobdev_wait(struct gateway *gw, struct job *j, struct job_dev *d,
    int64_t now)
{
	jobdev_hold(gw, j, d, 1);
	d->phase = JPH_WAIT;
	d->next_at = now + gw->cfg.job_poll_s;
	job_dev_save(gw, j, d);
}

/* One value out of a device's answer or notification: a SenML JSON pack
 * as is, any other format converted by the object model. 0 or -1. */
static int
jobdev_value(struct gateway *gw, const char *path, int cf,
    const uint8_t *body, size_t len, double *v)
{
	char err[160], *pack;
	size_t plen;
	int rc;

	if (cf == SENML_CF_JSON)
		return jobparse_value((const char *)body, len, path, v);
	if ((pack = senml_to_json(cf, body, len, path, gw->models, &plen, err,
	    sizeof(err))) == NULL)
		return -1;
	rc = jobparse_value(pack, plen, path, v);
	free(pack);
	return rc;
}

/* 1: the condition is met; -1: it failed; 0: not yet. */
static int
jobdev_judge(const struct job_until *u, const char *path, double v)
{
	if (strcmp(path, u->path) == 0 && v == u->equals)
		return 1;
	if (u->fail_path[0] != '\0' && strcmp(path, u->fail_path) == 0 &&
	    v >= u->fail_at_least)
		return -1;
	return 0;
}

/* A judged value of d's condition. */
static void
jobdev_judged(struct gateway *gw, struct job *j, struct job_dev *d,
    const char *path, double v, int64_t now)
{
	const struct job_until *u = &jobdev_step(j, d)->until;

	switch (jobdev_judge(u, path, v)) {
	case 1:
		jobdev_step_done(gw, j, d, now);
		break;
	case -1:
		job_dev_error(d, "/%s reached %g (failed at %g or more)", path,
		    v, u->fail_at_least);
		jobdev_fail(gw, j, d, now);
		break;
	default:
		if (d->phase == JPH_POLL && (d->flags & JDF_REFUSED)) {
			jobdev_fail(gw, j, d, now);	/* the refusal stands */
			return;
		}
		if (d->phase == JPH_POLL)
			jobdev_wait(gw, j, d, now);
		break;
	}
}

void
jobdev_heard(struct gateway *gw, struct job *j, struct job_dev *d,
    const char *path, int cf, const uint8_t *body, size_t len)
{
	const struct job_until *u = &jobdev_step(j, d)->until;
	double v;

	if (d->state != JD_ACTIVE || (d->phase != JPH_WAIT &&
	    d->phase != JPH_POLL) || (strcmp(path, u->path) != 0 &&
	    strcmp(path, u->fail_path) != 0) ||
	    jobdev_value(gw, path, cf, body, len, &v) == -1)
		return;
	if (d->phase == JPH_POLL) {
		/* The read still out is answered by this; its result, when
		 * it comes, finds no device waiting for it. */
		(void)queue_cancel(gw, d->op, jobdev_cancelled, NULL);
		d->op = 0;
		d->phase = JPH_WAIT;
		d->flags &= ~JDF_REFUSED;
	}
	jobdev_judged(gw, j, d, path, v, gw_now());
}

/* What an op that did not succeed says, for a device's record. */
static void
jobdev_op_error(struct job_dev *d, const struct op_view *v, const char *what)
{
	if (v->state == OP_DONE && v->result_code != 0)
		job_dev_error(d, "%s: the device answered %d.%02d (HTTP %d)",
		    what, v->result_code >> 5, v->result_code & 31,
		    v->result_status);
	else if (v->state == OP_DONE)
		job_dev_error(d, "%s: HTTP %d", what, v->result_status);
	else
		job_dev_error(d, "%s: op %" PRIu64 " %s after %u attempts%s",
		    what, v->id, queue_state_name(v->state), v->attempts,
		    v->state == OP_EXPIRED ? " (its [queue] ttl passed)" : "");
}

static void
jobdev_power(const char *name, double v, void *arg)
{
	int *external = arg;

	(void)name;
	/* DC, PoE, USB, AC (mains) */
	if (v == 0 || v == 4 || v == 5 || v == 6)
		*external = 1;
}

/* The preconditions read from d: 1 pass, 0 deferred (d's error says
 * why). */
static int
jobdev_check(struct gateway *gw, struct job *j, struct job_dev *d,
    const struct op_view *v, int phase)
{
	char err[160], *pack = NULL;
	const char *p;
	size_t plen;
	double x;
	int external = 0, pass = 1;

	if (phase == JPH_CHECK_FW) {
		if (jobdev_value(gw, "5/0/3", v->result_format, v->result,
		    v->result_len, &x) == 0 && (x == 1 || x == 2)) {
			job_dev_error(d, "a firmware update is %s on the "
			    "device (/5/0/3 = %g): no reboot, reset or other "
			    "update until it is applied", x == 1 ?
			    "downloading" : "downloaded but not applied", x);
			return 0;
		}
		return 1;
	}
	if (v->result_format == SENML_CF_JSON) {
		p = (const char *)v->result;
		plen = v->result_len;
	} else if ((pack = senml_to_json(v->result_format, v->result,
	    v->result_len, "3/0", gw->models, &plen, err,
	    sizeof(err))) != NULL) {
		p = pack;
	} else {
		return 1;	/* nothing to judge by */
	}
	if (j->req.pre.external_power)
		(void)jobparse_values(p, plen, "/3/0/6/", jobdev_power,
		    &external);
	if (!external && jobparse_value(p, plen, "3/0/9", &x) == 0 &&
	    x < j->req.pre.battery_min) {
		job_dev_error(d, "battery at %g%%, below %d%%%s", x,
		    j->req.pre.battery_min, j->req.pre.external_power ?
		    " and no external power (/3/0/6)" : "");
		pass = 0;
	}
	free(pack);
	return pass;
}

void
jobdev_op_done(struct gateway *gw, struct job *j, struct job_dev *d,
    const struct op_view *v)
{
	const struct job_step *s = jobdev_step(j, d);
	int64_t now = gw_now();
	int ok = v->state == OP_DONE && v->result_status >= 200 &&
	    v->result_status < 300;
	int phase = d->phase;

	d->op = 0;
	d->updated = now;
	switch (phase) {
	case JPH_CHECK_FW:
	case JPH_CHECK_DEV:
		if (!ok && !(v->state == OP_DONE && v->result_status == 404)) {
			jobdev_op_error(d, v, phase == JPH_CHECK_FW ?
			    "reading /5/0/3" : "reading /3/0");
			jobdev_fail(gw, j, d, now);
			return;
		}
		/* 4.04: the device has no such object, nothing to guard */
		if (ok && !jobdev_check(gw, j, d, v, phase)) {
			jobdev_defer(gw, j, d, now);
			return;
		}
		if (phase == JPH_CHECK_FW && j->req.pre.battery_min >= 0 &&
		    (s->risk & JRISK_BATTERY)) {
			if (jobdev_read(gw, d, "3/0", JPH_CHECK_DEV) == -1)
				jobdev_fail(gw, j, d, now);
			else
				job_dev_save(gw, j, d);
			return;
		}
		d->flags |= JDF_CHECKED;
		jobdev_run(gw, j, d, now);
		return;
	case JPH_OP:
		d->flags &= ~JDF_CHECKED;
		if (ok && s->until.path[0] == '\0') {
			jobdev_step_done(gw, j, d, now);
		} else if (ok) {
			jobdev_wait(gw, j, d, now);
		} else if (s->until.path[0] != '\0' && v->state == OP_DONE) {
			/* Delivered at least once: a device that took an
			 * earlier copy may refuse this one. What the
			 * condition's resource says decides. */
			jobdev_op_error(d, v, "the step");
			d->flags |= JDF_REFUSED;
			jobdev_hold(gw, j, d, 1);
			if (jobdev_read(gw, d, s->until.path, JPH_POLL) == -1)
				jobdev_fail(gw, j, d, now);
			else
				job_dev_save(gw, j, d);
		} else {
			jobdev_op_error(d, v, "the step");
			jobdev_fail(gw, j, d, now);
		}
		return;
	case JPH_POLL: {
		double x;

		if (ok && jobdev_value(gw, s->until.path, v->result_format,
		    v->result, v->result_len, &x) == 0) {
			jobdev_judged(gw, j, d, s->until.path, x, now);
		} else if (d->flags & JDF_REFUSED) {
			jobdev_fail(gw, j, d, now);
		} else {
			jobdev_wait(gw, j, d, now);
		}
		return;
	}
	default:
		job_dev_save(gw, j, d);
		return;
	}
}

void
jobdev_tick(struct gateway *gw, struct job *j, struct job_dev *d,
    int64_t now)
{
	if (d->state != JD_ACTIVE)
		return;
	if (d->phase == JPH_BACKOFF) {
		/* A paused job sends no retry: it waits for resume. */
		if (d->next_at <= now && j->status == JOB_RUNNING)
			jobdev_begin(gw, j, d, now);
		return;
	}
	if (d->deadline != 0 && d->deadline <= now) {
		job_dev_error(d, "timed out after %d s at step %u (%s)%s",
		    j->timeout_s, d->step + 1,
		    jobparse_kind_name(jobdev_step(j, d)->kind),
		    d->phase == JPH_WAIT ? ": its condition was not met" :
		    d->op != 0 ? ": not answered (asleep or unreachable)" : "");
		jobdev_fail(gw, j, d, now);
		return;
	}
	if (d->phase == JPH_WAIT && d->next_at <= now) {
		if (jobdev_read(gw, d, jobdev_step(j, d)->until.path,
		    JPH_POLL) == -1)
			jobdev_fail(gw, j, d, now);
		else
			job_dev_save(gw, j, d);
	} else if (d->phase == JPH_IDLE) {
		jobdev_run(gw, j, d, now);
	}
}

void
jobdev_resume(struct gateway *gw, struct job *j, struct job_dev *d)
{
	struct op_view v;
	void *buf = NULL;
	int rc;

	if (d->state != JD_ACTIVE)
		return;
	if (d->phase == JPH_WAIT) {
		jobdev_hold(gw, j, d, 1);
		return;
	}
	if (d->op == 0)
		return;		/* the tick runs it (IDLE) or waits */
	if ((rc = queue_get(gw, d->op, &v, &buf)) == 1) {
		/* Never committed: the step was not sent. */
		d->op = 0;
		d->phase = JPH_IDLE;
	} else if (rc == 0 && v.state != OP_QUEUED && v.state != OP_SENDING) {
		/* It ended while its result's batch went down without the
		 * listener: cannot happen but for a result recorded by a
		 * gateway without jobs; judged now. */
		if (d->phase == JPH_POLL || d->phase == JPH_OP)
			jobdev_hold(gw, j, d, d->phase == JPH_POLL);
		jobdev_op_done(gw, j, d, &v);
	} else {
		if (d->phase == JPH_POLL)
			jobdev_hold(gw, j, d, 1);
		queue_wake(gw, d->ep);	/* a device that is awake gets it */
	}
	free(buf);
}
