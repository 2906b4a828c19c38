/*
 * jobparse.c: what a job request is outside its reading (jobparse.h): the
 * names of its ops, and its memory freed. It is read in jobreq.c, on the
 * ground of jobjson.c; every file of the parser stands on this one.
 */
#include <stdlib.h>

#include "lwm2m/jobparse.h"

/* The ops' names, in the order of enum job_step_kind. */
static const char *const jp_kind_names[JSK__COUNT] = {
	[JSK_WRITE] = "write",
	[JSK_PARTIAL_WRITE] = "partial-write",
	[JSK_EXECUTE] = "execute",
	[JSK_WRITE_ATTRIBUTES] = "write-attributes",
	[JSK_CREATE] = "create",
	[JSK_DELETE] = "delete",
	[JSK_FIRMWARE] = "firmware",
	[JSK_SOFTWARE] = "software",
};

const char *
jobparse_kind_name(int kind)
{
	return kind >= 0 && kind < JSK__COUNT ? jp_kind_names[kind] :
	    "unknown";
}

void
jobparse_free(struct job_req *req)
{
	int i;

	for (i = 0; i < req->nsteps && i < JOB_STEPS_MAX; i++) {
		free(req->steps[i].body);
		req->steps[i].body = NULL;
		req->steps[i].len = 0;
	}
	free(req->eps);
	req->eps = NULL;
	req->neps = 0;
}
