/*
 * jobparse.h: a fleet job's request, read and checked (lwm2m/jobreq.c);
 * pure, no store, no clock of its own (the caller passes now). What a job
 * does with it is modules/jobs/job.h.
 *
 * A job is a list of LwM2M steps applied to each target device in order.
 * The request's steps are what an operator writes; the parser expands them
 * into primitive steps, one device request each, with the condition that
 * says the step is done:
 *   write            PUT path, the value as a SenML JSON pack
 *   partial-write    POST path (an object instance), the same
 *   execute          POST path, the arguments (if any) as text/plain
 *   write-attributes PUT path?pmin=..&.. (no body)
 *   create           POST path (an object, or an object instance)
 *   delete           DELETE path (an object instance)
 *   firmware         two steps: write /5/0/1 with the image's URI, until
 *                    /5/0/3 is 2 (failed when /5/0/5 >= 2); execute
 *                    /5/0/2, until /5/0/5 is 1 (failed when >= 2)
 *   software         object 9 instance i: "install" is two steps (write
 *                    /9/i/3 with the image's URI until /9/i/7 is 3, then
 *                    execute /9/i/4 until /9/i/7 is 4; failed when /9/i/9
 *                    >= 50); "activate" executes /9/i/10 until /9/i/12 is
 *                    1, "deactivate" /9/i/11 until 0, "uninstall" /9/i/6
 *                    until /9/i/7 is 0
 * Any step may carry its own "until" {path, equals[, fail_path,
 * fail_at_least]}: after the device's 2.xx, the step is done only when
 * the resource reaches the value (read by observation).
 *
 * The request (doc/jobs.md; every member but steps and target optional):
 * {
 *   "name": "rotate the reporting period",
 *   "steps": [
 *     {"op": "write", "path": "/1/0/3", "value": 60},
 *     {"op": "partial-write", "path": "/3/0", "value": {"14": "+01:00"}},
 *     {"op": "write", "path": "/3/0/15", "senml": [{"n": "", "vs": "UTC"}]},
 *     {"op": "execute", "path": "/3/0/4", "args": "0='now'"},
 *     {"op": "write-attributes", "path": "/3303/0/5700",
 *      "attributes": {"pmin": 10, "pmax": 60}},
 *     {"op": "create", "path": "/9", "value": {"0": "pkg"}},
 *     {"op": "delete", "path": "/9/1"},
 *     {"op": "firmware", "image": "0123456789abcdef"},
 *     {"op": "software", "image": "0123456789abcdef", "instance": 0,
 *      "action": "install"},
 *     {"op": "execute", "path": "/3/0/4",
 *      "until": {"path": "/3/0/13", "equals": 0}}
 *   ],
 *   "target": {"endpoints": ["a", "b"], "tags": ["site-a"],
 *              "all": false, "continuous": false},
 *   "rollout": {"groups": 3 | "group_size": 100 | "group_percent": 10,
 *               "max_concurrent": 50,
 *               "rate": {"per_minute": 10, "ramp_factor": 2,
 *                        "ramp_every": 5, "max_per_minute": 200},
 *               "failure": {"group_percent": 20, "overall_percent": 10},
 *               "approval": true,
 *               "timeout_s": 600, "retries": 2, "backoff_s": 30},
 *   "schedule": {"start_at": "2026-12-07T22:00:00Z",
 *                "end_at": "2026-12-08T06:00:00Z",
 *                "window": {"from": "22:00", "to": "04:00",
 *                           "tz": "Europe/Berlin"}},
 *   "preconditions": {"battery_min": 30, "external_power": true,
 *                     "recheck_s": 300}
 * }
 * A software step's "instance" is 0 when not given. "value" is a scalar (for a resource path) or an object of resource ids
 * to scalars (for an instance path; a resource with instances takes an
 * object of instance ids to scalars); "senml" is a SenML JSON pack whose
 * names are relative to the step's path. A number is "v", a string "vs"
 * ("vlo" for an Objlnk resource, "vd" for an Opaque one), a boolean "vb";
 * the object model types them when the job sends them. A create is sent
 * to the object, the new instance named in its body: the instance of its
 * path, or instance 0 for a "value" at an object path (a "senml" pack at
 * the object names its own: "1/0"); a create at an object path may have
 * no body (the device picks the instance).
 */
#ifndef OUTPOST_JOBPARSE_H
#define OUTPOST_JOBPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/devmsg.h"
#include "lwm2m/dmparse.h"
#include "lwm2m/lwm2m.h"
#include "lwm2m/manifest.h"
#include "lwm2m/tagparse.h"

struct lwm2m_model;

#define JOB_BODY_MAX		(1 << 22)	/* bytes of a request */
#define JOB_MAX_DEVICES		100000		/* in one job */
#define JOB_STEPS_MAX		32		/* primitive steps */
#define JOB_NAME_MAX		64
#define JOB_TZ_MAX		64
#define JOB_FIELD_MAX		48	/* "steps[12].until.fail_path" */
#define JOB_STEP_BODY_MAX	4096	/* bytes of one step's body */

/* What the operator wrote, kept on each primitive step for the record. */
enum job_step_kind {
	JSK_WRITE,
	JSK_PARTIAL_WRITE,
	JSK_EXECUTE,
	JSK_WRITE_ATTRIBUTES,
	JSK_CREATE,
	JSK_DELETE,
	JSK_FIRMWARE,
	JSK_SOFTWARE,
	JSK__COUNT
};

/* A primitive step's risks: the preconditions checked on the device
 * before it is sent. The steps of a firmware or software op carry
 * JRISK_BATTERY; the firmware's write of the URI JRISK_UPDATE too. */
#define JRISK_BATTERY	0x01	/* battery at or above the limit, or on
				   external power */
#define JRISK_UPDATE	0x02	/* no firmware update downloading or
				   downloaded (/5/0/3 is 1 or 2) */
#define JRISK_APPLY	0x04	/* applies the downloaded update (5/0/2):
				   the one request a Downloaded State
				   lets through */

/* The condition that ends a step after the device's 2.xx. */
struct job_until {
	char		 path[DM_PATH_LEN];	/* "5/0/3"; "" none */
	double		 equals;		/* a boolean is 0 or 1 */
	char		 fail_path[DM_PATH_LEN];	/* "" none */
	double		 fail_at_least;
};

struct job_step {
	uint8_t		 kind;		/* enum job_step_kind */
	uint8_t		 method;	/* enum devreq_method */
	uint8_t		 risk;		/* JRISK_* */
	uint8_t		 senml;		/* body is a SenML JSON pack the job
					   encodes for each device (senml_encode
					   with the step's path) */
	char		 path[DM_PATH_LEN];	/* "3/0/4": no leading '/' */
	char		 query[DEVREQ_QUERY_MAX];	/* write-attributes; ""
							   none */
	char		 image[FW_ID_LEN + 1];	/* firmware, software: the
						   body is the image's URI
						   for the device; "" none */
	int		 content_format;	/* of body when not senml: 0
						   text/plain, -1 none */
	char		*body;		/* malloc'd, NUL-terminated; NULL none */
	size_t		 len;
	struct job_until until;
};

/* Rollout policy. -1 in a number: the [jobs] default of the gateway. */
struct job_rollout {
	int		 groups;	/* count of groups; 0 not given */
	int		 group_size;	/* devices per group; 0 not given */
	int		 group_percent;	/* of the target per group; 0 not given */
	int		 max_concurrent;	/* -1 default */
	double		 rate;		/* devices started per minute; 0 no
					   limit */
	double		 ramp_factor;	/* rate *= factor ...; 0 no ramp */
	int		 ramp_every;	/* ... after each ramp_every successes */
	double		 rate_max;	/* the ramp's ceiling; 0: none */
	int		 fail_group_percent;	/* pauses over it; -1 default */
	int		 fail_overall_percent;	/* -1 default */
	int		 approval;	/* held before each group after the
					   first until continued */
	int		 timeout_s;	/* per device and attempt; -1 default */
	int		 retries;	/* attempts after the first; -1 default */
	int		 backoff_s;	/* before the first retry, doubled after
					   each; -1 default */
};

struct job_schedule {
	int64_t		 start_at;	/* Unix seconds; 0 now */
	int64_t		 end_at;	/* 0 none */
	int		 win_from, win_to;	/* minutes of the day; -1 always */
	char		 tz[JOB_TZ_MAX];	/* "" UTC; else a zoneinfo name,
						   checked for its form here
						   and for its file by tz.h */
};

struct job_pre {
	int		 battery_min;	/* percent, -1 none */
	int		 external_power;	/* external power passes the
						   battery check */
	int		 recheck_s;	/* a deferred device is looked at again
					   after; -1 default */
};

struct job_req {
	char		 name[JOB_NAME_MAX + 1];
	struct job_step	 steps[JOB_STEPS_MAX];
	int		 nsteps;
	/* target */
	int		 all;		/* every registered device */
	char		(*eps)[LWM2M_EP_MAX + 1];	/* in order; malloc'd */
	size_t		 neps;
	char		 tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
	int		 ntags;		/* sorted, distinct; a device carries all */
	int		 continuous;	/* devices that come to match later join */
	struct job_rollout rollout;
	struct job_schedule sched;
	struct job_pre	 pre;
};

/*
 * Parses a job request body[0..len) (no NUL needed), checking every
 * member: paths against model (an object or resource it does not know, a
 * write to a resource that is not writable, an execute of one that is not
 * executable), values by encoding them with model, numbers in range, a
 * rate of 0, a window that never opens (from == to), end_at not after
 * start_at or not after now, start_at before now. now 0 skips the checks
 * against now: a stored job read back after a restart (its start_at
 * long past). Unknown members, and a member given twice, are refused.
 * Returns 0, or -1 with the member at fault in field (as "steps[2].path",
 * "rollout.rate.per_minute", "schedule.window"; "body" when the body as a
 * whole is: not one JSON object, too big or too deep) and the reason in
 * err; either way jobparse_free(req) after.
 */
int	jobparse_request(const char *body, size_t len,
	    const struct lwm2m_model *model, int64_t now, struct job_req *req,
	    char *field, size_t fieldlen, char *err, size_t errlen);
void	jobparse_free(struct job_req *req);

/* The request as JSON again (what the store keeps and the API shows):
 * parse(print(r)) is r. Returns a malloc'd string or NULL. */
char	*jobparse_print(const struct job_req *req);

const char *jobparse_kind_name(int kind);

/*
 * The risks (JRISK_*) of a request (method: enum devreq_method) to path
 * ("3/0/4", no leading '/'): an Execute of 3/0/4 Reboot or 3/0/5 Factory
 * Reset, or a write (PUT, POST) of 5/0/0, 5/0/1 or the instance 5/0 (a
 * second update), battery and update; an Execute of 5/0/2 Update,
 * battery and apply; an Execute of 9/i/4 Install or 9/i/10 Activate,
 * battery. Ids are read as numbers ("3/0/04" is 3/0/4) and empty segments
 * are skipped, as a device may read them so: a guard errs on the side of
 * holding back. Every generic step gets its risks from here.
 */
int	jobparse_risk(int method, const char *path);

/*
 * Finds the value of the resource (or resource instance) path ("3/0/9")
 * in a SenML JSON pack[0..len) as senml_to_json writes it (names resolved
 * from bn + n, with a leading '/'): a number, or a boolean as 0/1. Returns
 * 0 with *v, or -1 when it is not there or not a number or boolean.
 */
int	jobparse_value(const char *pack, size_t len, const char *path,
	    double *v);

/*
 * Calls cb for each numeric or boolean record of the pack whose resolved
 * name begins with prefix ("/3/0/6/"): the power sources a device lists.
 * Returns how many records matched, or -1 when the pack is malformed.
 */
int	jobparse_values(const char *pack, size_t len, const char *prefix,
	    void (*cb)(const char *name, double v, void *arg), void *arg);

#endif /* OUTPOST_JOBPARSE_H */
