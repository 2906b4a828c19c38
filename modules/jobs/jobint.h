/*
 * jobint.h: the job engine's own types, shared by its files and nothing
 * else (other modules use job.h):
 *   job.c       the engine: the step timer, rollout control, the ops it
 *               queues and what comes back of them, the module;
 *   jobdev.c    one device through its steps: preconditions, the op of a
 *               step, its condition, retries;
 *   jobtarget.c making a job: its target, groups and policy, and the
 *               devices that join a continuous job;
 *   jobstore.c  the device table, the records in the store, the JSON.
 * A finished job frees its devices (unloaded) and keeps its counts.
 */
#ifndef OUTPOST_JOBINT_H
#define OUTPOST_JOBINT_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/jobparse.h"
#include "lwm2m/lwm2m.h"
#include "modules/jobs/job.h"

struct event;
struct gateway;
struct op_view;
struct tz;

/* Where a device is within its current step. */
enum job_phase {
	JPH_IDLE,		/* the step is to be sent */
	JPH_CHECK_FW,		/* reading /5/0/3 before a risky step */
	JPH_CHECK_DEV,		/* reading /3/0 before a risky step */
	JPH_OP,			/* the step's op is out */
	JPH_WAIT,		/* the step's condition is waited for */
	JPH_POLL,		/* the condition's resource is being read */
	JPH_BACKOFF,		/* a retry waits until next_at */
	JPH__COUNT
};

#define JDF_HELD	0x01	/* holds the condition's observations */
#define JDF_CHECKED	0x02	/* the preconditions of this step passed */
#define JDF_REFUSED	0x04	/* the step's op was refused: the poll
				   decides whether it had gone through */

struct job_dev {
	char		 ep[LWM2M_EP_MAX + 1];
	uint8_t		 state;		/* enum job_dev_state */
	uint8_t		 phase;		/* enum job_phase */
	uint8_t		 step;		/* the current one: those before it
					   are done */
	uint8_t		 flags;		/* JDF_* */
	uint16_t	 attempts;
	uint32_t	 group;
	uint64_t	 op;		/* the op out, 0 none */
	int64_t		 started;	/* first attempt, 0 not yet */
	int64_t		 updated;
	int64_t		 deadline;	/* of this attempt, 0 none */
	int64_t		 next_at;	/* back-off, recheck or poll */
	char		*error;		/* the last error or deferral reason,
					   malloc'd; NULL none */
};

struct job {
	uint64_t	 id;
	struct job_req	 req;
	char		*request;	/* req printed: what the store keeps */
	struct tz	*tz;		/* of the window; NULL UTC */
	int		 status;	/* enum job_status */
	char		 reason[200];
	int		 group;		/* the current one */
	int		 ngroups;
	int		 threshold_off;	/* group resumed past its threshold;
					   -1 none */
	int		 overall_off;	/* resumed past the overall one */
	int		 approved;	/* groups up to it may start */
	int		 max_concurrent, fail_group, fail_overall;
	int		 timeout_s, retries, backoff_s, recheck_s;
	int64_t		 created, finished;
	double		 tokens;	/* devices that may start now (rate) */
	int64_t		 refilled;	/* when tokens were last added */
	size_t		 ndevs, cap;
	struct job_dev	*devs;		/* in target order */
	uint32_t	*by_ep;		/* indexes into devs, by endpoint */
	size_t		 counts[JD__COUNT];
	size_t		 active;	/* devices in JD_ACTIVE */
	int		 unloaded;
	struct job	*next;
};

struct jobs {
	struct job	*list;
	uint64_t	 next_id;
	struct event	*tick;
};

/* jobstore.c */
struct job	*job_find(struct gateway *gw, uint64_t id);
struct job_dev	*job_lookup(const struct job *j, const char *ep);
/* Adds ep at the end of j's devices; job_index then drops later
 * duplicates and builds by_ep. 0, 1 (already there, after an index) or
 * -1. */
int		 job_add_dev(struct job *j, const char *ep);
int		 job_index(struct job *j);
void		 job_free(struct job *j);
/* Frees the device table (ndevs and counts stay). */
void		 job_dev_free_all(struct job *j);
/* Stage j's record, or one device's, in the open batch. 0 or -1. */
int		 job_save(struct gateway *gw, struct job *j);
int		 job_dev_save(struct gateway *gw, const struct job *j,
		    const struct job_dev *d);
int		 job_load(struct gateway *gw);
/* Sets a device's state: counts, the event, the record. */
void		 job_dev_set(struct gateway *gw, struct job *j,
		    struct job_dev *d, int st);
/* Sets or clears (NULL) a device's error. */
void		 job_dev_error(struct job_dev *d, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
int		 job_finished(const struct job *j);

/* jobtarget.c */
/* Fills j's devices and groups from its request. 0, or -1 with err. */
int		 job_target(struct gateway *gw, struct job *j, char *err,
		    size_t errlen);
/* The policy's numbers: the request's, else the [jobs] defaults. */
void		 job_policy(struct gateway *gw, struct job *j);
/* ep came to match (registered, or its tags changed): it joins every
 * continuous job that does not hold it. tags: its tags now, or NULL to
 * read them. */
void		 job_join(struct gateway *gw, const char *ep,
		    char tags[][TAG_LEN_MAX + 1], int ntags);

/* jobdev.c */
/* Begins an attempt of d (state JD_ACTIVE) at its current step. */
void		 jobdev_begin(struct gateway *gw, struct job *j,
		    struct job_dev *d, int64_t now);
/* Runs d's current step from JPH_IDLE. */
void		 jobdev_run(struct gateway *gw, struct job *j,
		    struct job_dev *d, int64_t now);
/* The op d waited for ended. */
void		 jobdev_op_done(struct gateway *gw, struct job *j,
		    struct job_dev *d, const struct op_view *v);
/* A value of path came for d (an observation). */
void		 jobdev_heard(struct gateway *gw, struct job *j,
		    struct job_dev *d, const char *path, int cf,
		    const uint8_t *body, size_t len);
/* The timer's look at d: its deadline, back-off, poll. */
void		 jobdev_tick(struct gateway *gw, struct job *j,
		    struct job_dev *d, int64_t now);
/* Lets d go: its op cancelled if still queued, its observations
 * released. */
void		 jobdev_stop(struct gateway *gw, struct job *j,
		    struct job_dev *d);
/* After a restart: d's op looked at again, its observations held. */
void		 jobdev_resume(struct gateway *gw, struct job *j,
		    struct job_dev *d);

/* job.c */
void		 job_arm(struct gateway *gw);

#endif /* OUTPOST_JOBINT_H */
