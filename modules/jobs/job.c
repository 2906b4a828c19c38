/*
 * job.c: the job engine behind job.h (jobint.h says how its files share
 * the work).
 *
 * A timer a second, armed only while a job is not finished, looks at each
 * such job: a device's deadline, back-off and poll (jobdev.c), the current
 * group's verdict (its failure threshold, then the overall one, pause the
 * job), the approval gate between groups, and, while the job runs inside
 * its schedule and window, the devices it starts: deferred ones whose
 * recheck is due, then pending ones in target order, while fewer than
 * max_concurrent are in progress and the rate allows. What the devices
 * answer comes through the queue's listener and the observations'
 * listener, and a device that finishes makes the timer run at once, so a
 * job goes as fast as its devices do, not a second per step.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>

#include "cache/events.h"
#include "cache/observe.h"
#include "gateway.h"
#include "log.h"
#include "modules/device/queue.h"
#include "modules/firmware/firmware.h"
#include "modules/jobs/jobint.h"
#include "store/store.h"
#include "tz.h"

static void
job_status(struct gateway *gw, struct job *j, int st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sets the job's status and reason, with a "job" event; the record goes
 * into the open batch. */
static void
job_status(struct gateway *gw, struct job *j, int st, const char *fmt, ...)
{
	va_list ap;
	cJSON *e;

	va_start(ap, fmt);
	vsnprintf(j->reason, sizeof(j->reason), fmt, ap);
	va_end(ap);
	if (j->status != st) {
		j->status = st;
		log_info("job %" PRIu64 ": %s%s%s", j->id, job_status_name(st),
		    j->reason[0] != '\0' ? ": " : "", j->reason);
		e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "job", (double)j->id);
		cJSON_AddStringToObject(e, "status", job_status_name(st));
		cJSON_AddStringToObject(e, "reason", j->reason);
		events_emit(gw, "job", NULL, e);
	}
	if (job_finished(j) && j->finished == 0)
		j->finished = gw_now();
	job_save(gw, j);
}

struct job_ref {
	struct gateway	*gw;
	uint64_t	 id;
};

/* A finished job lets go of its devices once their records are
 * committed (the API reads them from the store). */
static void
job_unload_durable(int status, void *arg)
{
	struct job_ref *r = arg;
	struct job *j = job_find(r->gw, r->id);

	if (status == 0 && j != NULL && !j->unloaded && job_finished(j)) {
		job_dev_free_all(j);	/* ndevs and counts stay */
		j->unloaded = 1;
	}
	free(r);
}

static void
job_unload(struct gateway *gw, struct job *j)
{
	struct job_ref *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;		/* it stays in memory */
	r->gw = gw;
	r->id = j->id;
	if (store_when_durable(gw->store, job_unload_durable, r) == -1)
		free(r);
}

static int
job_in_window(const struct job *j, int64_t now)
{
	return tz_in_window(j->tz, j->req.sched.win_from, j->req.sched.win_to,
	    now);
}

/* The rate now, per minute: the ramp multiplies it after each
 * ramp_every successes, up to its ceiling. 0: no limit. */
static double
job_rate(const struct job *j)
{
	const struct job_rollout *r = &j->req.rollout;
	double rate = r->rate;

	if (rate <= 0)
		return 0;
	if (r->ramp_factor > 1 && r->ramp_every > 0)
		rate *= pow(r->ramp_factor,
		    (double)(j->counts[JD_SUCCEEDED] / (size_t)r->ramp_every));
	if (r->rate_max > 0 && rate > r->rate_max)
		rate = r->rate_max;
	return rate;
}

/* Devices that may start now by the rate. */
static double
job_tokens(struct job *j, int64_t now)
{
	double rate = job_rate(j), cap;

	if (rate <= 0)
		return (double)JOB_MAX_DEVICES;
	cap = rate / 60 > 1 ? rate / 60 : 1;
	if (now > j->refilled)
		j->tokens += rate / 60 * (double)(now - j->refilled);
	j->refilled = now;
	if (j->tokens > cap)
		j->tokens = cap;
	return j->tokens;
}

/* Starts devices of the current group: deferred ones due again first,
 * then pending ones in target order. */
static void
job_start(struct gateway *gw, struct job *j, int64_t now)
{
	struct job_dev *d;
	size_t i;
	int pass;

	if (job_tokens(j, now) < 1)
		return;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < j->ndevs; i++) {
			if (j->active >= (size_t)j->max_concurrent ||
			    job_tokens(j, now) < 1)
				return;
			d = &j->devs[i];
			if (d->group != (uint32_t)j->group ||
			    (pass == 0 && !(d->state == JD_DEFERRED &&
			    d->next_at <= now)) ||
			    (pass == 1 && d->state != JD_PENDING))
				continue;
			j->tokens -= 1;
			jobdev_begin(gw, j, d, now);
		}
}

/* end_at passed: no device begins any more, nor retries; when those in
 * progress are through, the job has ended. */
static void
job_end(struct gateway *gw, struct job *j)
{
	struct job_dev *d;
	size_t i;

	for (i = 0; i < j->ndevs; i++) {
		d = &j->devs[i];
		if (d->state == JD_PENDING || d->state == JD_DEFERRED) {
			jobdev_stop(gw, j, d);
			job_dev_set(gw, j, d, JD_SKIPPED);
		} else if (d->state == JD_ACTIVE && d->phase == JPH_BACKOFF) {
			/* its retry would begin it again */
			job_dev_error(d, "end_at passed before its retry "
			    "(attempt %u failed)", d->attempts);
			job_dev_set(gw, j, d, JD_FAILED);
		}
	}
	if (j->active == 0) {
		job_status(gw, j, JOB_ENDED, "end_at passed: %zu devices had "
		    "not begun or were deferred", j->counts[JD_SKIPPED]);
		job_unload(gw, j);
	}
}

/* One look at a job that is not finished. */
static void
job_step(struct gateway *gw, struct job *j, int64_t now)
{
	size_t i, size = 0, failed = 0, left = 0, total = 0, tfailed = 0;
	const struct job_schedule *s = &j->req.sched;
	struct job_dev *d;

	if (j->status == JOB_SCHEDULED) {
		if (now < s->start_at)
			return;
		job_status(gw, j, JOB_RUNNING, "%s", "");
	}
	for (i = 0; i < j->ndevs; i++) {
		d = &j->devs[i];
		if (d->state == JD_ACTIVE)
			jobdev_tick(gw, j, d, now);
		if (d->state == JD_REMOVED)
			continue;
		total++;
		tfailed += d->state == JD_FAILED;
		if (d->group != (uint32_t)j->group)
			continue;
		size++;
		failed += d->state == JD_FAILED;
		left += d->state < JD_SUCCEEDED;
	}
	/* end_at ends a paused or held job too. */
	if (s->end_at != 0 && now >= s->end_at) {
		job_end(gw, j);
		return;
	}
	if (j->status != JOB_RUNNING)
		return;
	if (j->group != j->threshold_off && size > 0 &&
	    failed * 100 > (size_t)j->fail_group * size) {
		job_status(gw, j, JOB_PAUSED, "group %d: %zu of %zu devices "
		    "failed, over the threshold of %d%%", j->group + 1, failed,
		    size, j->fail_group);
		return;
	}
	if (!j->overall_off && j->fail_overall < 100 && total > 0 &&
	    tfailed * 100 > (size_t)j->fail_overall * total) {
		job_status(gw, j, JOB_PAUSED, "%zu of %zu devices failed, over "
		    "the job's threshold of %d%%", tfailed, total,
		    j->fail_overall);
		return;
	}
	if (left == 0 && j->group + 1 < j->ngroups) {
		if (j->req.rollout.approval && j->approved <= j->group) {
			job_status(gw, j, JOB_APPROVAL, "group %d of %d is "
			    "done: POST /v1/jobs/%" PRIu64 "/continue starts "
			    "group %d", j->group + 1, j->ngroups, j->id,
			    j->group + 2);
			return;
		}
		j->group++;
		log_info("job %" PRIu64 ": group %d of %d", j->id,
		    j->group + 1, j->ngroups);
		job_save(gw, j);
	} else if (left == 0) {
		if (!j->req.continuous) {
			job_status(gw, j, JOB_DONE, "%s", "");
			job_unload(gw, j);
		}
		return;		/* a continuous job waits for devices */
	}
	if (job_in_window(j, now))
		job_start(gw, j, now);
}

static int
job_live(const struct job *j)
{
	return !job_finished(j) && !j->unloaded;
}

/* Runs every job that is not finished; the timer goes on while one is. */
static void
job_tick(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	int64_t now = gw_now();
	struct job *j;

	(void)fd;
	(void)what;
	for (j = gw->jobs->list; j != NULL; j = j->next)
		if (job_live(j))
			job_step(gw, j, now);
	job_arm(gw);
}

void
job_arm(struct gateway *gw)
{
	struct timeval one = { 1, 0 };
	struct job *j;

	if (gw->jobs == NULL || gw->jobs->tick == NULL ||
	    evtimer_pending(gw->jobs->tick, NULL))
		return;
	for (j = gw->jobs->list; j != NULL; j = j->next)
		if (job_live(j)) {
			evtimer_add(gw->jobs->tick, &one);
			return;
		}
}

/* Something finished: the jobs are looked at in this turn of the loop. */
static void
job_kick(struct gateway *gw)
{
	struct timeval now = { 0, 0 };

	if (gw->jobs->tick != NULL)
		evtimer_add(gw->jobs->tick, &now);
}

/* The queue's listener: an op ended, its result staged. */
static void
job_op_ended(struct gateway *gw, const struct op_view *v, void *arg)
{
	struct job_dev *d;
	struct job *j;
	int kick = 0;

	(void)arg;
	for (j = gw->jobs->list; j != NULL; j = j->next) {
		if (!job_live(j) || (d = job_lookup(j, v->ep)) == NULL ||
		    d->op != v->id || d->state != JD_ACTIVE)
			continue;
		jobdev_op_done(gw, j, d, v);
		kick |= d->state != JD_ACTIVE;
	}
	if (kick)
		job_kick(gw);
}

/* The observations' listener: a value of a device's resource. */
static void
job_heard(struct gateway *gw, const char *ep, const char *path, int cf,
    const uint8_t *body, size_t len, void *arg)
{
	struct job_dev *d;
	struct job *j;
	int kick = 0;

	(void)arg;
	if (gw->jobs == NULL)
		return;
	/* ep and path are the observation's own: one let go of here is
	 * freed at the next turn of the loop (cache/observe.h). */
	for (j = gw->jobs->list; j != NULL; j = j->next) {
		if (!job_live(j) || (d = job_lookup(j, ep)) == NULL ||
		    d->state != JD_ACTIVE)
			continue;
		jobdev_heard(gw, j, d, path, cf, body, len);
		kick |= d->state != JD_ACTIVE;
	}
	if (kick)
		job_kick(gw);
}

int
job_drop_device(struct gateway *gw, const char *ep)
{
	struct job_dev *d;
	struct job *j;
	int n = 0;

	if (gw->jobs == NULL)
		return 0;
	for (j = gw->jobs->list; j != NULL; j = j->next) {
		if (!job_live(j) || (d = job_lookup(j, ep)) == NULL ||
		    d->state >= JD_SUCCEEDED)
			continue;
		jobdev_stop(gw, j, d);
		log_info("job %" PRIu64 ": %s decommissioned: removed", j->id,
		    ep);
		job_dev_set(gw, j, d, JD_REMOVED);
		job_kick(gw);
		n++;
	}
	return n;
}

/* The events a job follows: a device registers or its tags change (it
 * may join a continuous job). */
static void
job_event(struct gateway *gw, const char *type, const cJSON *event,
    void *arg)
{
	char tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
	const cJSON *ep = cJSON_GetObjectItemCaseSensitive(event, "ep"), *t, *x;
	int n = 0;

	(void)arg;
	if (gw->jobs == NULL || !cJSON_IsString(ep))
		return;
	if (strcmp(type, "registration") == 0) {
		job_join(gw, ep->valuestring, NULL, 0);
	} else if (strcmp(type, "tags") == 0) {
		t = cJSON_GetObjectItemCaseSensitive(event, "tags");
		cJSON_ArrayForEach(x, t) {
			if (!cJSON_IsString(x) || n == TAGS_PER_DEVICE_MAX ||
			    strlen(x->valuestring) > TAG_LEN_MAX)
				continue;
			memcpy(tags[n++], x->valuestring,
			    strlen(x->valuestring) + 1);
		}
		job_join(gw, ep->valuestring, tags, n);
	}
}

/* Whether the window opens at all between from and to (a minute at a
 * time, at most two days of them). */
static int
job_window_opens(const struct job *j, int64_t from, int64_t to)
{
	int64_t t;

	for (t = from; t < to && t < from + 2 * 86400; t += 60)
		if (job_in_window(j, t))
			return 1;
	return 0;
}

/* The images of firmware and software steps can be sent. */
static int
job_images(struct gateway *gw, const struct job *j, char *err, size_t errlen)
{
	const struct fw_image *fi;
	char uri[300];
	int i;

	for (i = 0; i < j->req.nsteps; i++) {
		if (j->req.steps[i].image[0] == '\0')
			continue;
		fi = firmware_find(gw, j->req.steps[i].image);
		if (fi == NULL || !fi->complete) {
			snprintf(err, errlen, "image %s: %s",
			    j->req.steps[i].image, fi == NULL ? "no such image" :
			    "its upload is not complete");
			return -1;
		}
		if (!fi->trusted) {
			snprintf(err, errlen, "image %s is signed by a key that "
			    "is not trusted", j->req.steps[i].image);
			return -1;
		}
		firmware_fetch_uri(gw, fi->id, 0, uri, sizeof(uri));
		if (uri[0] == '\0')
			firmware_fetch_uri(gw, fi->id, 1, uri, sizeof(uri));
		if (uri[0] == '\0') {
			snprintf(err, errlen, "no URI devices can fetch image "
			    "%s from: set [campaign] fetch_uri", fi->id);
			return -1;
		}
	}
	return 0;
}

uint64_t
job_create(struct gateway *gw, const struct job_req *req, int *status,
    char *field, size_t fieldlen, char *err, size_t errlen)
{
	int64_t now = gw_now();
	struct job *j;
	size_t i;

	*status = 400;
	field[0] = '\0';
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->request = jobparse_print(req)) == NULL) {
		*status = 500;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* The job keeps the request as a restart will read it. */
	if (jobparse_request(j->request, strlen(j->request), gw->models, 0,
	    &j->req, field, fieldlen, err, errlen) == -1) {
		*status = 500;
		goto fail;
	}
	if (req->sched.tz[0] != '\0' && (j->tz = tz_load(TZ_DIR,
	    req->sched.tz, err, errlen)) == NULL) {
		snprintf(field, fieldlen, "schedule.window.tz");
		goto fail;
	}
	if (req->sched.win_from >= 0 && !job_window_opens(j,
	    req->sched.start_at > now ? req->sched.start_at : now,
	    req->sched.end_at != 0 ? req->sched.end_at : now + 2 * 86400)) {
		snprintf(field, fieldlen, "schedule.window");
		snprintf(err, errlen, "the window never opens between the "
		    "start and end_at");
		goto fail;
	}
	if (job_images(gw, j, err, errlen) == -1) {
		*status = 422;
		snprintf(field, fieldlen, "steps");
		goto fail;
	}
	job_policy(gw, j);
	if (job_target(gw, j, err, errlen) == -1) {
		snprintf(field, fieldlen, "target");
		goto fail;
	}
	j->id = gw->jobs->next_id++;
	j->created = now;
	j->threshold_off = -1;
	j->tokens = 1;
	j->refilled = now;
	j->status = req->sched.start_at > now ? JOB_SCHEDULED : JOB_RUNNING;
	if (job_save(gw, j) == -1)
		goto store;
	for (i = 0; i < j->ndevs; i++)
		if (job_dev_save(gw, j, &j->devs[i]) == -1)
			goto store;
	j->next = gw->jobs->list;
	gw->jobs->list = j;
	log_info("job %" PRIu64 " (%s): %zu devices, %d steps, %d groups, %s",
	    j->id, j->req.name, j->ndevs, j->req.nsteps, j->ngroups,
	    job_status_name(j->status));
	job_arm(gw);
	return j->id;
store:
	*status = 507;
	snprintf(err, errlen, "the store failed");
fail:
	job_free(j);
	return 0;
}

/* Whether the current group's threshold is passed now. */
static int
job_over_group(const struct job *j)
{
	size_t i, size = 0, failed = 0;

	for (i = 0; i < j->ndevs; i++) {
		if (j->devs[i].group != (uint32_t)j->group ||
		    j->devs[i].state == JD_REMOVED)
			continue;
		size++;
		failed += j->devs[i].state == JD_FAILED;
	}
	return size > 0 && failed * 100 > (size_t)j->fail_group * size;
}

/* Whether the overall threshold is passed now. */
static int
job_over_overall(const struct job *j)
{
	size_t total = j->ndevs - j->counts[JD_REMOVED];

	return j->fail_overall < 100 && total > 0 &&
	    j->counts[JD_FAILED] * 100 > (size_t)j->fail_overall * total;
}

int
job_action(struct gateway *gw, uint64_t id, const char *action)
{
	struct job *j = job_find(gw, id);
	struct job_dev *d;
	size_t i;

	if (j == NULL)
		return -1;
	if (job_finished(j))
		return -2;
	if (strcmp(action, "pause") == 0 && j->status != JOB_PAUSED) {
		job_status(gw, j, JOB_PAUSED, "paused by the operator");
	} else if (strcmp(action, "resume") == 0 && j->status == JOB_PAUSED) {
		/* The operator has seen what paused it: a threshold passed
		 * no longer holds the job, one not passed yet still does. */
		if (job_over_group(j))
			j->threshold_off = j->group;
		if (job_over_overall(j))
			j->overall_off = 1;
		job_status(gw, j, gw_now() < j->req.sched.start_at ?
		    JOB_SCHEDULED : JOB_RUNNING, "%s", "");
	} else if (strcmp(action, "continue") == 0 &&
	    j->status == JOB_APPROVAL) {
		j->approved = j->group + 1;
		j->group++;
		job_status(gw, j, JOB_RUNNING, "%s", "");
	} else if (strcmp(action, "cancel") == 0) {
		for (i = 0; i < j->ndevs; i++) {
			d = &j->devs[i];
			if (d->state >= JD_SUCCEEDED)
				continue;
			jobdev_stop(gw, j, d);
			job_dev_set(gw, j, d, JD_CANCELLED);
		}
		job_status(gw, j, JOB_CANCELLED, "cancelled by the operator");
		job_unload(gw, j);
	} else {
		return -2;
	}
	job_kick(gw);
	return 0;
}

void
job_counts(struct gateway *gw, size_t jobs[JOB__COUNT], size_t devs[JD__COUNT])
{
	struct job *j;
	int i;

	memset(jobs, 0, JOB__COUNT * sizeof(jobs[0]));
	memset(devs, 0, JD__COUNT * sizeof(devs[0]));
	if (gw->jobs == NULL)
		return;
	for (j = gw->jobs->list; j != NULL; j = j->next) {
		jobs[j->status]++;
		if (job_finished(j))
			continue;
		for (i = 0; i < JD__COUNT; i++)
			devs[i] += j->counts[i];
	}
}

static int
job_module_init(struct gateway *gw)
{
	char err[160];
	struct job *j;

	if ((gw->jobs = calloc(1, sizeof(*gw->jobs))) == NULL)
		return -1;
	gw->jobs->next_id = 1;
	if (job_load(gw) == -1)
		return -1;
	for (j = gw->jobs->list; j != NULL; j = j->next) {
		job_policy(gw, j);
		if (j->req.sched.tz[0] != '\0' && (j->tz = tz_load(TZ_DIR,
		    j->req.sched.tz, err, sizeof(err))) == NULL)
			log_warnx("job %" PRIu64 ": time zone %s: %s (its "
			    "window is read in UTC)", j->id, j->req.sched.tz,
			    err);
	}
	return 0;
}

static int
job_module_start(struct gateway *gw)
{
	struct job *j;
	size_t i;

	if ((gw->jobs->tick = evtimer_new(gw->base, job_tick, gw)) == NULL ||
	    observe_add_listener(gw, job_heard, NULL) == -1 ||
	    events_subscribe(gw, job_event, NULL) == -1 ||
	    queue_add_listener(gw, job_op_ended, NULL) == -1)
		return -1;
	/* Observations held are not stored, and ops may have ended while
	 * the gateway was down. */
	for (j = gw->jobs->list; j != NULL; j = j->next) {
		if (!job_live(j))
			continue;
		j->tokens = 1;
		j->refilled = gw_now();
		for (i = 0; i < j->ndevs; i++)
			jobdev_resume(gw, j, &j->devs[i]);
	}
	job_arm(gw);
	return 0;
}

static void
job_module_stop(struct gateway *gw)
{
	struct job *j;

	if (gw->jobs == NULL)
		return;
	if (gw->jobs->tick != NULL)
		event_free(gw->jobs->tick);
	if (gw->queue != NULL)
		queue_remove_listener(gw, job_op_ended, NULL);
	events_unsubscribe(gw, job_event, NULL);
	while ((j = gw->jobs->list) != NULL) {
		gw->jobs->list = j->next;
		job_free(j);
	}
	free(gw->jobs);
	gw->jobs = NULL;
}

const struct gw_module job_module = {
	.name = "jobs",
	.init = job_module_init,
	.start = job_module_start,
	.stop = job_module_stop,
};
