/*
 * jobreq.c: a fleet job's request read and checked (jobparse_request):
 * the request's own members (name, target, rollout, schedule,
 * preconditions) and the bounds met before cJSON builds its tree. The
 * steps are jobstep.c, their bodies jobbody.c, the request as JSON again
 * jobprint.c (the stored form must fit); what they all share is
 * jobjson.c, beneath them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/campparse.h"
#include "lwm2m/jobparse.h"
#include "lwm2m/jobparse_int.h"
#include "parse.h"

/*
 * Bounds met before cJSON builds its tree: a request's nesting, and its
 * strings, containers and commas (a request of JOB_MAX_DEVICES endpoints
 * and JOB_STEPS_MAX full steps stays well below): a 4 MB body of "[],"
 * would otherwise be a million nodes.
 */
#define JP_DEPTH_MAX	16
#define JP_TOKENS_MAX	(2 * JOB_MAX_DEVICES + 65536)
#define JP_RATE_MAX	1000000.0	/* devices per minute */
#define JP_RAMP_MAX	100.0
#define JP_DAY		86400
#define JP_TIME_MAX	253402300799LL	/* 9999-12-31T23:59:59Z */

/* ---- times ---- */

/* An RFC 3339 date-time (parse.c) as Unix seconds, a fraction dropped;
 * -1 when it is none or out of range. */
static int64_t
jp_rfc3339(const char *s)
{
	int64_t ms;

	if (parse_rfc3339(s, &ms) == -1 || ms < 0)
		return -1;
	return ms / 1000 <= JP_TIME_MAX ? ms / 1000 : -1;
}

/* A time member: RFC 3339 or Unix seconds; absent: *out as it is. */
static int
jp_time(struct jp *p, const cJSON *o, const char *name, int64_t *out)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
	int64_t t = -1;

	if (x == NULL)
		return 0;
	if (cJSON_IsString(x))
		t = jp_rfc3339(x->valuestring);
	else if (cJSON_IsNumber(x) && x->valuedouble >= 0 &&
	    x->valuedouble <= (double)JP_TIME_MAX &&
	    x->valuedouble == trunc(x->valuedouble))
		t = (int64_t)x->valuedouble;
	if (t < 0)
		return jp_fail(p, name, "must be an RFC 3339 time "
		    "(\"2026-12-07T22:00:00Z\", \"...+01:00\") or whole Unix "
		    "seconds, before the year 10000");
	*out = t;
	return 0;
}

/* ---- target ---- */

struct jp_ep {
	const char	*ep;
	size_t		 i;
};

static int
jp_ep_cmp(const void *a, const void *b)
{
	const struct jp_ep *x = a, *y = b;
	int c = strcmp(x->ep, y->ep);

	return c != 0 ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* The endpoints, in order, each once (the first time it is given). */
static int
jp_endpoints(struct jp *p, const cJSON *eps)
{
	struct job_req *req = p->req;
	struct jp_ep *sorted = NULL;
	const cJSON *e;
	uint8_t *keep = NULL;
	char why[64];
	size_t n, i = 0;
	int rc = -1;

	if (!cJSON_IsArray(eps))
		return jp_fail(p, "endpoints", "must be an array of endpoint "
		    "names");
	if ((n = (size_t)cJSON_GetArraySize(eps)) == 0)
		return jp_fail(p, "endpoints", "is empty");
	if (n > JOB_MAX_DEVICES)
		return jp_fail(p, "endpoints", "more than %d endpoints",
		    JOB_MAX_DEVICES);
	if ((sorted = calloc(n, sizeof(*sorted))) == NULL ||
	    (keep = calloc(n, 1)) == NULL ||
	    (req->eps = calloc(n, sizeof(*req->eps))) == NULL) {
		jp_fail(p, "endpoints", "out of memory");
		goto done;
	}
	cJSON_ArrayForEach(e, eps) {
		if (!cJSON_IsString(e) || lwm2m_check_ep(e->valuestring, why,
		    sizeof(why)) == -1) {
			char f[32];

			snprintf(f, sizeof(f), "endpoints[%zu]", i);
			jp_fail(p, f, "not an endpoint name (%s)",
			    cJSON_IsString(e) ? why : "not a string");
			goto done;
		}
		sorted[i].ep = e->valuestring;
		sorted[i].i = i;
		i++;
	}
	qsort(sorted, n, sizeof(*sorted), jp_ep_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(sorted[i].ep, sorted[i - 1].ep) != 0)
			keep[sorted[i].i] = 1;
	i = 0;
	cJSON_ArrayForEach(e, eps)
		if (keep[i++])
			memcpy(req->eps[req->neps++], e->valuestring,
			    strlen(e->valuestring) + 1);
	rc = 0;
done:
	free(sorted);
	free(keep);
	return rc;
}

static int
jp_target(struct jp *p, const cJSON *t)
{
	static const char *const known[] = { "endpoints", "tags", "all",
	    "continuous" };
	struct job_req *req = p->req;
	const cJSON *x;
	char why[200];
	int n;

	p->prefix[0] = '\0';
	if (t == NULL)
		return jp_fail(p, "target", "missing: {\"endpoints\": [...], "
		    "\"tags\": [...]} or {\"all\": true}");
	snprintf(p->prefix, sizeof(p->prefix), "target");
	if (jp_members(p, t, known, JP_N(known)) == -1 ||
	    jp_bool(p, t, "all", &req->all) == -1 ||
	    jp_bool(p, t, "continuous", &req->continuous) == -1)
		return -1;
	if ((x = cJSON_GetObjectItemCaseSensitive(t, "endpoints")) != NULL &&
	    jp_endpoints(p, x) == -1)
		return -1;
	if ((x = cJSON_GetObjectItemCaseSensitive(t, "tags")) != NULL) {
		if ((n = tags_parse_array(x, req->tags, TAGS_PER_DEVICE_MAX,
		    why, sizeof(why))) == -1)
			return jp_fail(p, "tags", "%s", why);
		if (n == 0)
			return jp_fail(p, "tags", "is empty");
		req->ntags = n;
	}
	if (req->all && (req->neps > 0 || req->ntags > 0))
		return jp_fail(p, "all", "all is every device: give it without "
		    "endpoints or tags");
	if (!req->all && req->neps == 0 && req->ntags == 0)
		return jp_fail(p, "", "names no device: give endpoints, tags, "
		    "or \"all\": true");
	return 0;
}

/* ---- rollout, schedule, preconditions ---- */

static int
jp_rate(struct jp *p, const cJSON *r)
{
	static const char *const known[] = { "per_minute", "ramp_factor",
	    "ramp_every", "max_per_minute" };
	struct job_rollout *ro = &p->req->rollout;
	int ramp_given;

	snprintf(p->prefix, sizeof(p->prefix), "rollout.rate");
	if (jp_members(p, r, known, JP_N(known)) == -1)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(r, "per_minute") == NULL)
		return jp_fail(p, "per_minute", "missing: devices started per "
		    "minute (leave rate out for no limit)");
	if (jp_number(p, r, "per_minute", 0, &ro->rate) == -1 ||
	    !(ro->rate > 0 && ro->rate <= JP_RATE_MAX))
		return jp_fail(p, "per_minute", "must be above 0 and at most "
		    "%.0f (leave rate out for no limit)", JP_RATE_MAX);
	if (jp_number(p, r, "ramp_factor", 0, &ro->ramp_factor) == -1 &&
	    cJSON_GetObjectItemCaseSensitive(r, "ramp_factor") != NULL)
		return -1;
	if ((ramp_given = cJSON_GetObjectItemCaseSensitive(r,
	    "ramp_factor") != NULL) && !(ro->ramp_factor > 1 &&
	    ro->ramp_factor <= JP_RAMP_MAX))
		return jp_fail(p, "ramp_factor", "must be above 1 and at most "
		    "%.0f", JP_RAMP_MAX);
	if (jp_int(p, r, "ramp_every", 1, JOB_MAX_DEVICES, &ro->ramp_every) ==
	    -1)
		return -1;
	if (ramp_given != (ro->ramp_every > 0))
		return jp_fail(p, ramp_given ? "ramp_every" : "ramp_factor",
		    "ramp_factor and ramp_every go together: the rate is "
		    "multiplied by ramp_factor after each ramp_every "
		    "successes");
	if (jp_number(p, r, "max_per_minute", 0, &ro->rate_max) == -1 &&
	    cJSON_GetObjectItemCaseSensitive(r, "max_per_minute") != NULL)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(r, "max_per_minute") != NULL &&
	    !(ro->rate_max >= ro->rate && ro->rate_max <= JP_RATE_MAX))
		return jp_fail(p, "max_per_minute", "must be at least "
		    "per_minute and at most %.0f", JP_RATE_MAX);
	return 0;
}

static int
jp_rollout(struct jp *p, const cJSON *r)
{
	static const char *const known[] = { "groups", "group_size",
	    "group_percent", "max_concurrent", "rate", "failure", "approval",
	    "timeout_s", "retries", "backoff_s" };
	static const char *const fknown[] = { "group_percent",
	    "overall_percent" };
	struct job_rollout *ro = &p->req->rollout;
	const cJSON *x;

	if (r == NULL)
		return 0;
	snprintf(p->prefix, sizeof(p->prefix), "rollout");
	if (jp_members(p, r, known, JP_N(known)) == -1 ||
	    jp_int(p, r, "groups", 1, 1000, &ro->groups) == -1 ||
	    jp_int(p, r, "group_size", 1, JOB_MAX_DEVICES,
	    &ro->group_size) == -1 ||
	    jp_int(p, r, "group_percent", 1, 100, &ro->group_percent) == -1 ||
	    jp_int(p, r, "max_concurrent", 1, JOB_MAX_DEVICES,
	    &ro->max_concurrent) == -1 ||
	    jp_bool(p, r, "approval", &ro->approval) == -1 ||
	    jp_int(p, r, "timeout_s", 1, 30 * JP_DAY, &ro->timeout_s) == -1 ||
	    jp_int(p, r, "retries", 0, 100, &ro->retries) == -1 ||
	    jp_int(p, r, "backoff_s", 0, JP_DAY, &ro->backoff_s) == -1)
		return -1;
	if ((ro->groups > 0) + (ro->group_size > 0) +
	    (ro->group_percent > 0) > 1)
		return jp_fail(p, "", "give one of groups, group_size and "
		    "group_percent");
	if ((x = cJSON_GetObjectItemCaseSensitive(r, "failure")) != NULL) {
		snprintf(p->prefix, sizeof(p->prefix), "rollout.failure");
		if (jp_members(p, x, fknown, JP_N(fknown)) == -1 ||
		    jp_int(p, x, "group_percent", 0, 100,
		    &ro->fail_group_percent) == -1 ||
		    jp_int(p, x, "overall_percent", 0, 100,
		    &ro->fail_overall_percent) == -1)
			return -1;
	}
	if ((x = cJSON_GetObjectItemCaseSensitive(r, "rate")) != NULL)
		return jp_rate(p, x);
	return 0;
}

/* A zone name's form, as tz.h's tz_name_ok has it: [A-Za-z0-9_+-]
 * segments joined by '/' (so none is "." or ".."), shorter than
 * JOB_TZ_MAX; whether the zone exists is the job's to find out. */
static int
jp_tz_name_ok(const char *s)
{
	size_t i, seg = 0;
	char c;

	for (i = 0; (c = s[i]) != '\0'; i++) {
		if (i >= JOB_TZ_MAX - 1)
			return 0;
		if (c == '/') {
			if (seg == 0)
				return 0;
			seg = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '+' ||
		    c == '-')
			seg++;
		else
			return 0;
	}
	return seg > 0;
}

static int
jp_window(struct jp *p, const cJSON *w)
{
	static const char *const known[] = { "from", "to", "tz" };
	static const char *const ends[] = { "from", "to" };
	struct job_schedule *sc = &p->req->sched;
	const cJSON *x;
	int v[2], i;

	snprintf(p->prefix, sizeof(p->prefix), "schedule.window");
	if (jp_members(p, w, known, JP_N(known)) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if ((x = cJSON_GetObjectItemCaseSensitive(w, ends[i])) == NULL)
			return jp_fail(p, ends[i], "missing: a time of day, "
			    "HH:MM");
		if ((v[i] = campparse_minutes(cJSON_GetStringValue(x))) < 0)
			return jp_fail(p, ends[i], "must be a time of day, "
			    "HH:MM (00:00..23:59)");
	}
	if ((x = cJSON_GetObjectItemCaseSensitive(w, "tz")) != NULL) {
		if (!cJSON_IsString(x) || !jp_tz_name_ok(x->valuestring))
			return jp_fail(p, "tz", "must be a zone name such as "
			    "\"Europe/Berlin\" (leave it out for UTC)");
		memcpy(sc->tz, x->valuestring, strlen(x->valuestring) + 1);
	}
	if (v[0] == v[1]) {
		snprintf(p->prefix, sizeof(p->prefix), "schedule");
		return jp_fail(p, "window", "the window never opens (from "
		    "equals to)");
	}
	sc->win_from = v[0];
	sc->win_to = v[1];
	return 0;
}

static int
jp_schedule(struct jp *p, const cJSON *s)
{
	static const char *const known[] = { "start_at", "end_at", "window" };
	struct job_schedule *sc = &p->req->sched;
	const cJSON *w;

	if (s == NULL)
		return 0;
	snprintf(p->prefix, sizeof(p->prefix), "schedule");
	if (jp_members(p, s, known, JP_N(known)) == -1 ||
	    jp_time(p, s, "start_at", &sc->start_at) == -1 ||
	    jp_time(p, s, "end_at", &sc->end_at) == -1)
		return -1;
	/* A job read back from the store (now 0) started long ago. */
	if (p->now != 0 && cJSON_GetObjectItemCaseSensitive(s, "start_at") !=
	    NULL && sc->start_at < p->now)
		return jp_fail(p, "start_at", "is in the past");
	if (cJSON_GetObjectItemCaseSensitive(s, "end_at") != NULL) {
		if (sc->start_at != 0 && sc->end_at <= sc->start_at)
			return jp_fail(p, "end_at", "must be after start_at");
		if (p->now != 0 && sc->end_at <= p->now)
			return jp_fail(p, "end_at", "is in the past");
		if (sc->end_at == 0)
			return jp_fail(p, "end_at", "must be after 1970");
	}
	if ((w = cJSON_GetObjectItemCaseSensitive(s, "window")) != NULL)
		return jp_window(p, w);
	return 0;
}

static int
jp_pre(struct jp *p, const cJSON *o)
{
	static const char *const known[] = { "battery_min", "external_power",
	    "recheck_s" };
	struct job_pre *pre = &p->req->pre;

	if (o == NULL)
		return 0;
	snprintf(p->prefix, sizeof(p->prefix), "preconditions");
	if (jp_members(p, o, known, JP_N(known)) == -1 ||
	    jp_int(p, o, "battery_min", 0, 100, &pre->battery_min) == -1 ||
	    jp_bool(p, o, "external_power", &pre->external_power) == -1 ||
	    jp_int(p, o, "recheck_s", 1, JP_DAY, &pre->recheck_s) == -1)
		return -1;
	return 0;
}

/* ---- the request ---- */

/*
 * Whether body[0..len) stays within JP_DEPTH_MAX levels and JP_TOKENS_MAX
 * strings, containers and commas: a bound on what cJSON would build, met
 * before it builds it. Not a parser: cJSON judges the rest.
 */
static int
jp_scan(struct jp *p, const char *b, size_t len)
{
	size_t i, tokens = 0;
	int depth = 0;

	for (i = 0; i < len; i++) {
		switch (b[i]) {
		case '"':
			for (i++; i < len && b[i] != '"'; i++)
				if (b[i] == '\\')
					i++;
			tokens++;
			break;
		case '[':
		case '{':
			if (++depth > JP_DEPTH_MAX)
				return jp_fail(p, "body", "nested deeper than "
				    "%d levels", JP_DEPTH_MAX);
			tokens++;
			break;
		case ']':
		case '}':
			depth--;
			break;
		case ',':
			tokens++;
			break;
		}
		if (tokens > JP_TOKENS_MAX)
			return jp_fail(p, "body", "more than %d JSON values",
			    JP_TOKENS_MAX);
	}
	return 0;
}

static int
jp_name(struct jp *p, const cJSON *x)
{
	size_t n;

	if (x == NULL)
		return 0;
	if (!cJSON_IsString(x) || (n = strlen(x->valuestring)) > JOB_NAME_MAX ||
	    !parse_utf8((const uint8_t *)x->valuestring, n, 1))
		return jp_fail(p, "name", "must be text of at most %d bytes, "
		    "without control characters", JOB_NAME_MAX);
	memcpy(p->req->name, x->valuestring, n + 1);
	return 0;
}

int
jobparse_request(const char *body, size_t len,
    const struct lwm2m_model *model, int64_t now, struct job_req *req,
    char *field, size_t fieldlen, char *err, size_t errlen)
{
	static const char *const known[] = { "name", "steps", "target",
	    "rollout", "schedule", "preconditions" };
	struct jp p;
	const char *end = NULL;
	cJSON *o = NULL;
	char *text;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	req->rollout.max_concurrent = req->rollout.fail_group_percent =
	    req->rollout.fail_overall_percent = req->rollout.timeout_s =
	    req->rollout.retries = req->rollout.backoff_s = -1;
	req->sched.win_from = req->sched.win_to = -1;
	req->pre.battery_min = req->pre.recheck_s = -1;
	memset(&p, 0, sizeof(p));
	p.model = model;
	p.now = now;
	p.req = req;
	p.field = field;
	p.fieldlen = field != NULL ? fieldlen : 0;
	p.err = err;
	p.errlen = err != NULL ? errlen : 0;
	if (p.fieldlen > 0)
		field[0] = '\0';
	if (p.errlen > 0)
		err[0] = '\0';
	if (body == NULL || len == 0)
		return jp_fail(&p, "body", "empty: a job is a JSON object "
		    "{\"steps\": [...], \"target\": {...}}");
	if (len > JOB_BODY_MAX)
		return jp_fail(&p, "body", "over %d bytes", JOB_BODY_MAX);
	if (!parse_utf8((const uint8_t *)body, len, 0))
		return jp_fail(&p, "body", "not UTF-8 text");
	/* cJSON ends a string at an escaped NUL: "a\u0000b" would read as
	 * "a", a name other than the one sent. */
	if (memmem(body, len, "\\u0000", 6) != NULL)
		return jp_fail(&p, "body", "strings must not hold NUL");
	if (jp_scan(&p, body, len) == -1)
		return -1;
	if ((o = cJSON_ParseWithLengthOpts(body, len, &end, 0)) == NULL ||
	    !cJSON_IsObject(o) || !parse_json_rest_empty(end, body + len)) {
		jp_fail(&p, "body", "must be one JSON object {\"steps\": "
		    "[...], \"target\": {...}}");
		goto done;
	}
	if (jp_members(&p, o, known, JP_N(known)) == -1 ||
	    jp_name(&p, cJSON_GetObjectItemCaseSensitive(o, "name")) == -1 ||
	    jp_steps(&p, cJSON_GetObjectItemCaseSensitive(o, "steps")) == -1 ||
	    jp_target(&p, cJSON_GetObjectItemCaseSensitive(o, "target")) ==
	    -1 ||
	    jp_rollout(&p, cJSON_GetObjectItemCaseSensitive(o, "rollout")) ==
	    -1 ||
	    jp_schedule(&p, cJSON_GetObjectItemCaseSensitive(o,
	    "schedule")) == -1 ||
	    jp_pre(&p, cJSON_GetObjectItemCaseSensitive(o, "preconditions")) ==
	    -1)
		goto done;
	/* The store keeps the printed request and reads it back: it must
	 * fit where this one did. */
	p.prefix[0] = '\0';
	if ((text = jobparse_print(req)) == NULL) {
		jp_fail(&p, "body", "out of memory");
		goto done;
	}
	if (strlen(text) > JOB_BODY_MAX)
		jp_fail(&p, "body", "over %d bytes once its steps are "
		    "expanded", JOB_BODY_MAX);
	else
		rc = 0;
	free(text);
done:
	cJSON_Delete(o);
	return rc;
}
