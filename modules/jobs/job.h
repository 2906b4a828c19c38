/*
 * job.h: fleet jobs. A job applies a list of LwM2M steps (lwm2m/jobparse.h)
 * to each device of its target, in groups, at a measured pace: at most
 * max_concurrent devices at once, started at a rate that may ramp up, a
 * group paused when too many of it fail (and the job when too many of all
 * do), held for approval between groups, started only inside its schedule.
 * Every step goes to the device as an op of the durable queue, so a
 * sleeping device gets it when it wakes, and the op's result and the
 * device's record of it commit in the same batch: after a crash no step
 * whose result was recorded is sent again. Before a risky step (a reboot,
 * a factory reset, a firmware update) the device's battery and firmware
 * State are read; a device that fails a precondition is deferred, not
 * failed. Records are in the store (STORE_DB_JOBS, STORE_DB_JOBDEVS).
 */
#ifndef OUTPOST_JOB_H
#define OUTPOST_JOB_H

#include <stddef.h>
#include <stdint.h>

struct gateway;
struct job_req;
typedef struct cJSON cJSON;

enum job_status {
	JOB_SCHEDULED,		/* before start_at */
	JOB_RUNNING,
	JOB_PAUSED,		/* by the operator or a failure threshold */
	JOB_APPROVAL,		/* a group finished: held until continued */
	JOB_DONE,
	JOB_CANCELLED,
	JOB_ENDED,		/* end_at passed: the devices not begun were
				   skipped */
	JOB__COUNT
};

enum job_dev_state {
	JD_PENDING,
	JD_ACTIVE,		/* in progress: a step on its way, waited for,
				   or a retry's back-off */
	JD_DEFERRED,		/* a precondition failed: looked at again */
	JD_SUCCEEDED,
	JD_FAILED,
	JD_CANCELLED,		/* the job was cancelled before it finished */
	JD_SKIPPED,		/* the job ended before it began */
	JD_REMOVED,		/* decommissioned during the job */
	JD__COUNT
};

/*
 * Creates a job from its parsed request. Its records are in the open
 * batch (the caller waits for the commit before promising anything).
 * Returns its id (> 0), or 0 with an HTTP status in *status (400, 422 an
 * image that cannot be sent), the member at fault in field and the reason
 * in err.
 */
uint64_t	 job_create(struct gateway *gw, const struct job_req *req,
		    int *status, char *field, size_t fieldlen, char *err,
		    size_t errlen);

/* The job as JSON (its request, status, counts per device state), or
 * NULL when there is none. The caller frees it. */
cJSON		*job_json(struct gateway *gw, uint64_t id);

/* All jobs, as job_json each. */
cJSON		*job_list_json(struct gateway *gw);

/*
 * Up to limit of job id's device records as they are committed, by
 * endpoint after after (NULL: from the first), those in state st only
 * (-1: all). *more is set when there are more. Returns an array, or NULL
 * when there is no such job.
 */
cJSON		*job_devices_json(struct gateway *gw, uint64_t id, int st,
		    const char *after, size_t limit, int *more);

/* pause, resume, continue (past an approval gate) or cancel. Returns 0,
 * -1 (no such job) or -2 (not possible in its status). */
int		 job_action(struct gateway *gw, uint64_t id, const char *action);

/*
 * ep is decommissioned: in every job that has not finished with it, it
 * ends as removed (neither success nor failure: it counts toward no
 * threshold), and its op still queued is cancelled. Staged in the open
 * batch. Returns how many jobs held it.
 */
int		 job_drop_device(struct gateway *gw, const char *ep);

const char	*job_status_name(int st);
const char	*job_dev_state_name(int st);
/* The state of that name, or -1. */
int		 job_dev_state_of(const char *name);

/* Jobs per status, and devices per state over jobs not finished (the
 * metrics). */
void		 job_counts(struct gateway *gw, size_t jobs[JOB__COUNT],
		    size_t devs[JD__COUNT]);

#endif /* OUTPOST_JOB_H */
