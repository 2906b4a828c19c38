/*
 * jobparse_int.h: what the files of the job request parser share: the
 * state of one parse, and the ground they stand on (jobjson.c: refusals,
 * readers, paths, exact numbers); then what the request reads its steps
 * with (jobstep.c) and the steps their bodies (jobbody.c). Calls run one
 * way: jobreq.c -> jobstep.c -> jobbody.c -> jobjson.c, jobreq.c ->
 * jobprint.c -> jobjson.c, jobstep.c -> jobrisk.c, and all of them stand
 * on jobparse.h and jobparse.c (the ops' names, a request freed), which
 * include nothing of theirs. Not for callers: they have jobparse.h.
 */
#ifndef OUTPOST_JOBPARSE_INT_H
#define OUTPOST_JOBPARSE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/jobparse.h"

struct cJSON;

#define JP_N(a)		(sizeof(a) / sizeof((a)[0]))

struct jp {
	const struct lwm2m_model *model;
	int64_t		 now;	/* 0: no time is in the past */
	struct job_req	*req;
	/* The object being read: "steps[2]", "rollout". */
	char		 prefix[JOB_FIELD_MAX];
	int		 nrecs;	/* records of the pack being built */
	char		*field;
	size_t		 fieldlen;
	char		*err;
	size_t		 errlen;
};

/* ---- the ground (jobjson.c) ---- */

/* The member at fault is member of the object p->prefix names (the
 * object itself when member is ""), the reason fmt. Returns -1. */
int	jp_fail(struct jp *p, const char *member, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Whether a name from the request can be shown in a field or a reason as
 * it is: a short run of letters, digits, '_', '-' and '.'. */
int	jp_showable(const char *s);

/* o must be an object whose members are known[0..n), each once. */
int	jp_members(struct jp *p, const struct cJSON *o,
	    const char *const known[], size_t n);

/* Member name of o: a whole number lo..hi; absent, *out is left. */
int	jp_int(struct jp *p, const struct cJSON *o, const char *name, int lo,
	    int hi, int *out);

/* Member name of o: true or false as 1 or 0; absent, *out is left. */
int	jp_bool(struct jp *p, const struct cJSON *o, const char *name,
	    int *out);

/* Member name of o: a finite number (or with bools a boolean, as 0 or
 * 1). -1 without a refusal when absent, -1 with one when it is no such
 * value. */
int	jp_number(struct jp *p, const struct cJSON *o, const char *name,
	    int bools, double *out);

/* The ids of a path dm_path_valid accepted ("/3/0/14"); their number. */
int	jp_ids(const char *path, unsigned ids[4]);

/* ids[0..n) as "3/0/14" after prefix ("" or "/"). */
void	jp_path_str(const unsigned *ids, int n, const char *prefix,
	    char *out, size_t len);

/* v as the shortest decimal that reads back as v ("%.15g" to "%.17g"):
 * cJSON prints a number with 15 digits when that is within a rounding of
 * it, which would change a value between a request and its print. */
void	jp_number_text(double v, char *buf, size_t len);

/* Every finite number under item (its children, their children) made a
 * raw node of jp_number_text's text, so that cJSON prints it exactly.
 * Returns 0, or -1 out of memory. */
int	jp_exact_numbers(struct cJSON *item);

/* The steps of the request (jobstep.c). */
int	jp_steps(struct jp *p, const struct cJSON *steps);

/*
 * The body of a write, partial-write or create (jobbody.c): the step's
 * "value" or "senml" (one, not both; neither only when !need) as a SenML
 * JSON pack of full names under ids[0..n), into s->body, checked by
 * encoding it to TLV at s->path with the model; with writable, every
 * resource it names must be writable.
 */
int	jp_body(struct jp *p, const struct cJSON *o, const unsigned *ids,
	    int n, int writable, int need, struct job_step *s);

#endif /* OUTPOST_JOBPARSE_INT_H */
