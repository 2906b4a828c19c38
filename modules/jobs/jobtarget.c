/*
 * jobtarget.c: the devices of a job (jobint.h): its target in order (the
 * listed endpoints, then those carrying every tag, or every registered
 * device), its groups, its policy with the [jobs] defaults, and the
 * devices that join a continuous job later.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "log.h"
#include "modules/device/registry.h"
#include "modules/device/tags.h"
#include "modules/jobs/jobint.h"

void
job_policy(struct gateway *gw, struct job *j)
{
	const struct job_rollout *r = &j->req.rollout;

	j->max_concurrent = r->max_concurrent >= 0 ? r->max_concurrent :
	    gw->cfg.job_max_concurrent;
	j->fail_group = r->fail_group_percent >= 0 ? r->fail_group_percent :
	    gw->cfg.job_failure_percent;
	j->fail_overall = r->fail_overall_percent >= 0 ?
	    r->fail_overall_percent : gw->cfg.job_overall_failure_percent;
	j->timeout_s = r->timeout_s >= 0 ? r->timeout_s : gw->cfg.job_timeout_s;
	j->retries = r->retries >= 0 ? r->retries : gw->cfg.job_retries;
	j->backoff_s = r->backoff_s >= 0 ? r->backoff_s : gw->cfg.job_backoff_s;
	j->recheck_s = j->req.pre.recheck_s >= 0 ? j->req.pre.recheck_s :
	    gw->cfg.job_recheck_s;
}

static int
job_add_registered(struct device *dev, void *arg)
{
	return job_add_dev(arg, dev->ep) == -1 ? -1 : 0;
}

struct job_tagged {
	struct gateway	*gw;
	struct job	*j;
};

/* An endpoint carrying the first tag: added if it carries the others. */
static int
job_add_tagged(const char *ep, void *arg)
{
	struct job_tagged *t = arg;
	int i, has;

	for (i = 1; i < t->j->req.ntags; i++)
		if ((has = tags_has(t->gw, ep, t->j->req.tags[i])) != 1)
			return has;	/* 0: not this one; -1: stop */
	return job_add_dev(t->j, ep) == -1 ? -1 : 0;
}

int
job_target(struct gateway *gw, struct job *j, char *err, size_t errlen)
{
	const struct job_req *req = &j->req;
	const struct job_rollout *r = &req->rollout;
	struct job_tagged t = { gw, j };
	size_t i, n, size;

	if (req->all && registry_walk_ordered(gw->registry, NULL,
	    job_add_registered, j) != 0) {
		snprintf(err, errlen, "cannot list the devices");
		return -1;
	}
	for (i = 0; i < req->neps; i++)
		if (job_add_dev(j, req->eps[i]) == -1) {
			snprintf(err, errlen, "too many devices");
			return -1;
		}
	if (req->ntags > 0 && tags_walk(gw, req->tags[0], job_add_tagged,
	    &t) != 0) {
		snprintf(err, errlen, j->ndevs == JOB_MAX_DEVICES ?
		    "too many devices" : "cannot list the tagged devices");
		return -1;
	}
	if (job_index(j) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (j->ndevs == 0 && !req->continuous) {
		snprintf(err, errlen, "the target holds no device (a "
		    "continuous job may start empty)");
		return -1;
	}
	n = j->ndevs;
	if (r->groups > 0)
		j->ngroups = n < (size_t)r->groups ? (int)(n ? n : 1) :
		    r->groups;
	else if (r->group_size > 0 || r->group_percent > 0) {
		size = r->group_size > 0 ? (size_t)r->group_size :
		    (n * (size_t)r->group_percent + 99) / 100;
		if (size == 0)
			size = 1;
		j->ngroups = n == 0 ? 1 : (int)((n + size - 1) / size);
	} else
		j->ngroups = 1;
	for (i = 0; i < n; i++)
		j->devs[i].group = (uint32_t)(i * (size_t)j->ngroups / n);
	return 0;
}

/* Whether ep, carrying tags[0..ntags), is in j's target. */
static int
job_matches(struct gateway *gw, const struct job *j, const char *ep,
    char tags[][TAG_LEN_MAX + 1], int ntags)
{
	int i, k, found;

	if (j->req.all)
		return registry_find_by_endpoint(gw->registry, ep) != NULL;
	if (j->req.ntags == 0)
		return 0;	/* listed endpoints are there from the start */
	for (i = 0; i < j->req.ntags; i++) {
		if (tags == NULL) {
			if (tags_has(gw, ep, j->req.tags[i]) != 1)
				return 0;
			continue;
		}
		for (k = 0, found = 0; k < ntags && !found; k++)
			found = strcmp(tags[k], j->req.tags[i]) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

void
job_join(struct gateway *gw, const char *ep, char tags[][TAG_LEN_MAX + 1],
    int ntags)
{
	struct job_dev *d;
	struct job *j;

	if (gw->jobs == NULL)
		return;
	for (j = gw->jobs->list; j != NULL; j = j->next) {
		if (!j->req.continuous || job_finished(j) ||
		    job_lookup(j, ep) != NULL ||
		    !job_matches(gw, j, ep, tags, ntags))
			continue;
		if (job_add_dev(j, ep) != 0 || job_index(j) == -1) {
			log_warnx("job %" PRIu64 ": %s cannot join", j->id, ep);
			continue;
		}
		/* The current group, unless it is done and held for
		 * approval: then the one continue starts. */
		d = job_lookup(j, ep);
		d->group = (uint32_t)j->group + (j->status == JOB_APPROVAL);
		log_info("job %" PRIu64 ": %s joins (group %u)", j->id, ep,
		    d->group + 1);
		job_dev_save(gw, j, d);
		job_save(gw, j);
		job_arm(gw);
	}
}
