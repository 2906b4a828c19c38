// fuzz-sources: lwm2m/jobparse.c lwm2m/jobjson.c lwm2m/jobreq.c lwm2m/jobstep.c lwm2m/jobbody.c lwm2m/jobprint.c lwm2m/campparse.c lwm2m/lwm2m.c lwm2m/tagparse.c lwm2m/dmparse.c lwm2m/senml.c lwm2m/senml_dec.c lwm2m/senml_tlv.c lwm2m/senml_typed.c lwm2m/senml_cbor.c lwm2m/cborscan.c lwm2m/senml_enc.c lwm2m/senml_encfmt.c lwm2m/objmodel.c parse.c lwm2m/jobrisk.c
// fuzz-libs: -lcjson -lcbor -lm
/*
 * fuzz_jobparse.c: libFuzzer target for a fleet job's request
 * (lwm2m/jobparse.h): the input is the request body, read against the
 * clock and as a stored job (now 0), and a device's pack for
 * jobparse_value and jobparse_values. Besides ASan and UBSan it checks
 * the header's promises and aborts on a broken one: a refusal names a
 * field and a reason, both terminated; an accepted request holds 1 to
 * JOB_STEPS_MAX steps with valid paths and bodies that encode, and its
 * print reads back to the same request, field by field, and prints the
 * same again.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/campparse.h"
#include "lwm2m/jobparse.h"
#include "lwm2m/senml.h"
#include "lwm2m/tagparse.h"

#define FUZZ_NOW	1796601600	/* 2026-12-07T00:00:00Z */

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static void
fuzz_same_step(const struct job_step *a, const struct job_step *b)
{
	if (a->kind != b->kind || a->method != b->method ||
	    a->risk != b->risk || a->senml != b->senml ||
	    strcmp(a->path, b->path) != 0 || strcmp(a->query, b->query) != 0 ||
	    strcmp(a->image, b->image) != 0 ||
	    a->content_format != b->content_format || a->len != b->len ||
	    (a->body == NULL) != (b->body == NULL) ||
	    (a->body != NULL && memcmp(a->body, b->body, a->len + 1) != 0) ||
	    strcmp(a->until.path, b->until.path) != 0 ||
	    a->until.equals != b->until.equals ||
	    strcmp(a->until.fail_path, b->until.fail_path) != 0 ||
	    a->until.fail_at_least != b->until.fail_at_least)
		abort();
}

static void
fuzz_same(const struct job_req *a, const struct job_req *b)
{
	const struct job_rollout *x = &a->rollout, *y = &b->rollout;
	size_t i;
	int k;

	if (strcmp(a->name, b->name) != 0 || a->nsteps != b->nsteps ||
	    a->all != b->all || a->neps != b->neps || a->ntags != b->ntags ||
	    a->continuous != b->continuous)
		abort();
	for (k = 0; k < a->nsteps; k++)
		fuzz_same_step(&a->steps[k], &b->steps[k]);
	for (i = 0; i < a->neps; i++)
		if (strcmp(a->eps[i], b->eps[i]) != 0)
			abort();
	for (k = 0; k < a->ntags; k++)
		if (strcmp(a->tags[k], b->tags[k]) != 0)
			abort();
	if (x->groups != y->groups || x->group_size != y->group_size ||
	    x->group_percent != y->group_percent ||
	    x->max_concurrent != y->max_concurrent || x->rate != y->rate ||
	    x->ramp_factor != y->ramp_factor ||
	    x->ramp_every != y->ramp_every || x->rate_max != y->rate_max ||
	    x->fail_group_percent != y->fail_group_percent ||
	    x->fail_overall_percent != y->fail_overall_percent ||
	    x->approval != y->approval || x->timeout_s != y->timeout_s ||
	    x->retries != y->retries || x->backoff_s != y->backoff_s)
		abort();
	if (a->sched.start_at != b->sched.start_at ||
	    a->sched.end_at != b->sched.end_at ||
	    a->sched.win_from != b->sched.win_from ||
	    a->sched.win_to != b->sched.win_to ||
	    strcmp(a->sched.tz, b->sched.tz) != 0 ||
	    a->pre.battery_min != b->pre.battery_min ||
	    a->pre.external_power != b->pre.external_power ||
	    a->pre.recheck_s != b->pre.recheck_s)
		abort();
}

/* What an accepted request promises. */
static void
fuzz_check(const struct job_req *r)
{
	char path[DM_PATH_LEN + 1], err[200];
	const struct job_step *s;
	uint8_t *enc;
	size_t i, n;
	int k, cf;

	if (r->nsteps < 1 || r->nsteps > JOB_STEPS_MAX ||
	    r->neps > JOB_MAX_DEVICES || r->ntags < 0 ||
	    r->ntags > TAGS_PER_DEVICE_MAX ||
	    (!r->all && r->neps == 0 && r->ntags == 0) ||
	    strlen(r->name) > JOB_NAME_MAX)
		abort();
	for (k = 0; k < r->nsteps; k++) {
		s = &r->steps[k];
		n = strlen(s->path);
		path[0] = '/';
		memcpy(path + 1, s->path, n + 1);
		if (s->kind >= JSK__COUNT || n >= DM_PATH_LEN ||
		    !dm_path_valid(path, n + 1) ||
		    (s->body != NULL && (s->len != strlen(s->body) ||
		    s->len > JOB_STEP_BODY_MAX)) ||
		    (s->body == NULL && (s->len != 0 || s->senml)) ||
		    (s->image[0] != '\0' && strlen(s->image) != FW_ID_LEN))
			abort();
		if (s->senml) {
			enc = senml_encode(SENML_CF_TLV,
			    (const uint8_t *)s->body, s->len, s->path, NULL,
			    &cf, &n, err, sizeof(err));
			if (enc == NULL)
				abort();
			free(enc);
		}
		if (s->until.path[0] != '\0' && !isfinite(s->until.equals))
			abort();
	}
	for (i = 0; i < r->neps; i++)
		if (!campparse_ep_ok(r->eps[i]))
			abort();
	for (k = 0; k < r->ntags; k++)
		if (!tags_valid(r->tags[k]) || (k > 0 &&
		    strcmp(r->tags[k - 1], r->tags[k]) >= 0))
			abort();
	if ((r->sched.win_from < 0) != (r->sched.win_to < 0) ||
	    (r->sched.win_from >= 0 && r->sched.win_from == r->sched.win_to))
		abort();
}

/* print(r) reads back (as a stored job) to r, and prints the same. */
static void
fuzz_round_trip(const struct job_req *r)
{
	char field[JOB_FIELD_MAX], err[256], *text, *again;
	struct job_req back;

	if ((text = jobparse_print(r)) == NULL)
		return;
	if (jobparse_request(text, strlen(text), NULL, 0, &back, field,
	    sizeof(field), err, sizeof(err)) != 0)
		abort();
	fuzz_same(r, &back);
	if ((again = jobparse_print(&back)) == NULL)
		abort();
	if (strcmp(text, again) != 0)
		abort();
	free(again);
	free(text);
	jobparse_free(&back);
}

static void
fuzz_cb(const char *name, double v, void *arg)
{
	if (strncmp(name, "/3/0/6/", 7) != 0 || !isfinite(v))
		abort();
	(*(int *)arg)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char field[JOB_FIELD_MAX], err[256], sf[4], se[4], *body;
	struct job_req r;
	int64_t now;
	double v;
	int n = 0, rc;

	/* An exact-size copy: a read past the end is an ASan report. */
	if ((body = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	for (now = FUZZ_NOW; now >= 0; now -= FUZZ_NOW) {
		memset(field, 'x', sizeof(field));
		memset(err, 'x', sizeof(err));
		rc = jobparse_request(body, size, NULL, now, &r, field,
		    sizeof(field), err, sizeof(err));
		if (memchr(field, '\0', sizeof(field)) == NULL ||
		    memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		if (rc == 0) {
			if (field[0] != '\0' || err[0] != '\0')
				abort();
			fuzz_check(&r);
			fuzz_round_trip(&r);
		} else if (rc != -1 || err[0] == '\0' || field[0] == '\0')
			abort();
		jobparse_free(&r);
	}
	/* Small buffers are cut, never overrun. */
	if (jobparse_request(body, size, NULL, FUZZ_NOW, &r, sf, sizeof(sf),
	    se, sizeof(se)) == -1 && (memchr(sf, '\0', sizeof(sf)) == NULL ||
	    memchr(se, '\0', sizeof(se)) == NULL))
		abort();
	jobparse_free(&r);
	if (jobparse_value(body, size, "3/0/9", &v) == 0 && !isfinite(v))
		abort();
	rc = jobparse_values(body, size, "/3/0/6/", fuzz_cb, &n);
	if (rc != -1 && rc != n)
		abort();
	free(body);
	return 0;
}
