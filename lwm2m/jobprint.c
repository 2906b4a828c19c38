/*
 * jobprint.c: a job's request as JSON again (jobparse_print), in the form
 * jobparse_request reads back to the same request, and the values a job
 * reads from a device's SenML JSON (jobparse_value, jobparse_values).
 *
 * A step is printed as the operator's op: a firmware step and a software
 * action each once, for the primitive steps they expand into; a body as
 * a "senml" pack whose names are relative to the step's path again; the
 * attributes of a write-attributes out of its query; times as RFC 3339
 * UTC; only what is not a default.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/jobparse.h"
#include "lwm2m/jobparse_int.h"

#define JP_NAME_MAX	128	/* bytes of a record's resolved name */

/* ---- printing ---- */

/* Adds to o what the helpers below are given; *ok goes 0 when one fails
 * (out of memory) and stays 0. */
static void
jp_put(cJSON *o, const char *k, cJSON *v, int *ok)
{
	if (v == NULL || !cJSON_AddItemToObject(o, k, v)) {
		cJSON_Delete(v);
		*ok = 0;
	}
}

/* A number exactly (jp_number_text): it must read back the same. */
static void
jp_put_num(cJSON *o, const char *k, double v, int *ok)
{
	char text[40];

	jp_number_text(v, text, sizeof(text));
	jp_put(o, k, isfinite(v) ? cJSON_CreateRaw(text) :
	    cJSON_CreateNumber(0), ok);
}

static void
jp_put_str(cJSON *o, const char *k, const char *v, int *ok)
{
	jp_put(o, k, cJSON_CreateString(v), ok);
}

/* "/" and the path of a step. */
static void
jp_put_path(cJSON *o, const char *path, int *ok)
{
	char p[DM_PATH_LEN + 1];

	snprintf(p, sizeof(p), "/%s", path);
	jp_put_str(o, "path", p, ok);
}

/* Unix seconds as RFC 3339 UTC, from the civil date of the day. */
static void
jp_put_time(cJSON *o, const char *k, int64_t t, int *ok)
{
	int64_t z = t / 86400 + 719468, era, doe, yoe, doy, mp, y, m, d;
	int64_t s = t % 86400;
	char buf[64];

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
	    (long long)y, (long long)m, (long long)d, (long long)(s / 3600),
	    (long long)(s / 60 % 60), (long long)(s % 60));
	jp_put_str(o, k, buf, ok);
}

static void
jp_put_hhmm(cJSON *o, const char *k, int min, int *ok)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%02d:%02d", min / 60 % 100, min % 60);
	jp_put_str(o, k, buf, ok);
}

/* A step's body as the "senml" the operator could have written: each
 * record's "n" relative to the step's path. */
static cJSON *
jp_print_senml(const struct job_step *s)
{
	char base[DM_PATH_LEN + 1], rel[JP_NAME_MAX];
	cJSON *pack, *r, *n;
	size_t blen;

	if ((pack = cJSON_ParseWithLength(s->body, s->len)) == NULL)
		return NULL;
	if (jp_exact_numbers(pack) == -1) {
		cJSON_Delete(pack);
		return NULL;
	}
	blen = (size_t)snprintf(base, sizeof(base), "/%s", s->path);
	cJSON_ArrayForEach(r, pack) {
		n = cJSON_GetObjectItemCaseSensitive(r, "n");
		if (!cJSON_IsString(n) || strncmp(n->valuestring, base,
		    blen) != 0 || (n->valuestring[blen] != '/' &&
		    n->valuestring[blen] != '\0'))
			continue;
		snprintf(rel, sizeof(rel), "%s", n->valuestring + blen +
		    (n->valuestring[blen] == '/'));
		if (cJSON_SetValuestring(n, rel) == NULL) {
			cJSON_Delete(pack);
			return NULL;
		}
	}
	return pack;
}

/* The query of a write-attributes ("pmin=10&lt") as its object again
 * ({"pmin": 10, "lt": null}). */
static cJSON *
jp_print_attrs(const char *query)
{
	char q[DEVREQ_QUERY_MAX], num[40], *a, *eq, *end, *save = NULL;
	cJSON *o, *v;
	double d;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	snprintf(q, sizeof(q), "%s", query);
	for (a = strtok_r(q, "&", &save); a != NULL;
	    a = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(a, '=')) != NULL)
			*eq++ = '\0';
		/* dm_attributes wrote a number that reads back exactly. */
		d = eq != NULL ? strtod(eq, &end) : 0;
		if (eq == NULL)
			v = cJSON_CreateNull();
		else if (end != eq && *end == '\0' && isfinite(d)) {
			jp_number_text(d, num, sizeof(num));
			v = cJSON_CreateRaw(num);
		} else
			v = cJSON_CreateString(eq);
		if (v == NULL || !cJSON_AddItemToObject(o, a, v)) {
			cJSON_Delete(v);
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

static void
jp_print_until(cJSON *o, const struct job_until *u, int *ok)
{
	char p[DM_PATH_LEN + 1];
	cJSON *w;

	if (u->path[0] == '\0')
		return;
	if ((w = cJSON_CreateObject()) == NULL) {
		*ok = 0;
		return;
	}
	jp_put(o, "until", w, ok);
	if (!*ok)
		return;
	snprintf(p, sizeof(p), "/%s", u->path);
	jp_put_str(w, "path", p, ok);
	jp_put_num(w, "equals", u->equals, ok);
	if (u->fail_path[0] != '\0') {
		snprintf(p, sizeof(p), "/%s", u->fail_path);
		jp_put_str(w, "fail_path", p, ok);
		jp_put_num(w, "fail_at_least", u->fail_at_least, ok);
	}
}

/* The ids of a step's path ("9/0/3"); their number. */
static int
jp_step_ids(const char *path, unsigned long ids[4])
{
	const char *p = path;
	char *end;
	int n = 0;

	while (*p != '\0' && n < 4) {
		ids[n++] = strtoul(p, &end, 10);
		p = *end == '/' ? end + 1 : end;
		if (end == p && *end != '\0')
			break;
	}
	return n;
}

/*
 * The op that made steps[*i], and *i moved to the next step. NULL (*ok
 * 0) out of memory, and NULL (*ok as it is) for the second step of a
 * firmware op or a software install: its first printed the op.
 */
static cJSON *
jp_print_step(const struct job_req *req, int *i, int *ok)
{
	static const char *const acts[] = { [3] = "install",
	    [6] = "uninstall", [10] = "activate", [11] = "deactivate" };
	const struct job_step *s = &req->steps[(*i)++];
	unsigned long ids[4] = { 0, 0, 0, 0 };
	cJSON *o;

	if ((s->kind == JSK_FIRMWARE && s->image[0] == '\0') ||
	    (s->kind == JSK_SOFTWARE && (jp_step_ids(s->path, ids) != 3 ||
	    ids[2] >= sizeof(acts) / sizeof(acts[0]) || acts[ids[2]] ==
	    NULL)))
		return NULL;
	if ((o = cJSON_CreateObject()) == NULL) {
		*ok = 0;
		return NULL;
	}
	jp_put_str(o, "op", jobparse_kind_name(s->kind), ok);
	switch (s->kind) {
	case JSK_FIRMWARE:
		jp_put_str(o, "image", s->image, ok);
		return o;
	case JSK_SOFTWARE:
		if (s->image[0] != '\0')
			jp_put_str(o, "image", s->image, ok);
		jp_put_num(o, "instance", (double)ids[1], ok);
		jp_put_str(o, "action", acts[ids[2]], ok);
		return o;
	default:
		break;
	}
	jp_put_path(o, s->path, ok);
	if (s->kind == JSK_WRITE_ATTRIBUTES)
		jp_put(o, "attributes", jp_print_attrs(s->query), ok);
	else if (s->body != NULL && s->senml)
		jp_put(o, "senml", jp_print_senml(s), ok);
	else if (s->body != NULL)
		jp_put_str(o, "args", s->body, ok);
	jp_print_until(o, &s->until, ok);
	return o;
}

static void
jp_print_steps(cJSON *top, const struct job_req *req, int *ok)
{
	cJSON *a, *o;
	int i = 0;

	if ((a = cJSON_CreateArray()) == NULL) {
		*ok = 0;
		return;
	}
	jp_put(top, "steps", a, ok);
	while (*ok && i < req->nsteps && i < JOB_STEPS_MAX)
		if ((o = jp_print_step(req, &i, ok)) != NULL &&
		    !cJSON_AddItemToArray(a, o)) {
			cJSON_Delete(o);
			*ok = 0;
		}
}

static void
jp_print_target(cJSON *top, const struct job_req *req, int *ok)
{
	cJSON *t, *a;
	size_t i;
	int k;

	if ((t = cJSON_CreateObject()) == NULL) {
		*ok = 0;
		return;
	}
	jp_put(top, "target", t, ok);
	if (!*ok)
		return;
	if (req->neps > 0) {
		jp_put(t, "endpoints", a = cJSON_CreateArray(), ok);
		for (i = 0; *ok && i < req->neps; i++)
			if (!cJSON_AddItemToArray(a,
			    cJSON_CreateString(req->eps[i])))
				*ok = 0;
	}
	if (req->ntags > 0) {
		jp_put(t, "tags", a = cJSON_CreateArray(), ok);
		for (k = 0; *ok && k < req->ntags; k++)
			if (!cJSON_AddItemToArray(a,
			    cJSON_CreateString(req->tags[k])))
				*ok = 0;
	}
	if (req->all)
		jp_put(t, "all", cJSON_CreateTrue(), ok);
	if (req->continuous)
		jp_put(t, "continuous", cJSON_CreateTrue(), ok);
}

/* Adds o to top as k when it has members; drops it otherwise. */
static void
jp_put_some(cJSON *top, const char *k, cJSON *o, int *ok)
{
	if (o != NULL && o->child == NULL)
		cJSON_Delete(o);
	else
		jp_put(top, k, o, ok);
}

static void
jp_print_rollout(cJSON *top, const struct job_rollout *r, int *ok)
{
	cJSON *o, *rate, *fail;

	if ((o = cJSON_CreateObject()) == NULL) {
		*ok = 0;
		return;
	}
	if (r->groups > 0)
		jp_put_num(o, "groups", r->groups, ok);
	if (r->group_size > 0)
		jp_put_num(o, "group_size", r->group_size, ok);
	if (r->group_percent > 0)
		jp_put_num(o, "group_percent", r->group_percent, ok);
	if (r->max_concurrent >= 0)
		jp_put_num(o, "max_concurrent", r->max_concurrent, ok);
	if ((rate = cJSON_CreateObject()) != NULL && r->rate > 0) {
		jp_put_num(rate, "per_minute", r->rate, ok);
		if (r->ramp_factor > 0) {
			jp_put_num(rate, "ramp_factor", r->ramp_factor, ok);
			jp_put_num(rate, "ramp_every", r->ramp_every, ok);
		}
		if (r->rate_max > 0)
			jp_put_num(rate, "max_per_minute", r->rate_max, ok);
	}
	jp_put_some(o, "rate", rate, ok);
	if ((fail = cJSON_CreateObject()) != NULL) {
		if (r->fail_group_percent >= 0)
			jp_put_num(fail, "group_percent",
			    r->fail_group_percent, ok);
		if (r->fail_overall_percent >= 0)
			jp_put_num(fail, "overall_percent",
			    r->fail_overall_percent, ok);
	}
	jp_put_some(o, "failure", fail, ok);
	if (r->approval)
		jp_put(o, "approval", cJSON_CreateTrue(), ok);
	if (r->timeout_s >= 0)
		jp_put_num(o, "timeout_s", r->timeout_s, ok);
	if (r->retries >= 0)
		jp_put_num(o, "retries", r->retries, ok);
	if (r->backoff_s >= 0)
		jp_put_num(o, "backoff_s", r->backoff_s, ok);
	jp_put_some(top, "rollout", o, ok);
}

static void
jp_print_schedule(cJSON *top, const struct job_req *req, int *ok)
{
	const struct job_schedule *sc = &req->sched;
	const struct job_pre *pre = &req->pre;
	cJSON *o, *w;

	if ((o = cJSON_CreateObject()) == NULL) {
		*ok = 0;
		return;
	}
	if (sc->start_at != 0)
		jp_put_time(o, "start_at", sc->start_at, ok);
	if (sc->end_at != 0)
		jp_put_time(o, "end_at", sc->end_at, ok);
	if (sc->win_from >= 0 && (w = cJSON_CreateObject()) != NULL) {
		jp_put(o, "window", w, ok);
		if (*ok) {
			jp_put_hhmm(w, "from", sc->win_from, ok);
			jp_put_hhmm(w, "to", sc->win_to, ok);
			if (sc->tz[0] != '\0')
				jp_put_str(w, "tz", sc->tz, ok);
		}
	} else if (sc->win_from >= 0)
		*ok = 0;
	jp_put_some(top, "schedule", o, ok);
	if ((o = cJSON_CreateObject()) == NULL) {
		*ok = 0;
		return;
	}
	if (pre->battery_min >= 0)
		jp_put_num(o, "battery_min", pre->battery_min, ok);
	if (pre->external_power)
		jp_put(o, "external_power", cJSON_CreateTrue(), ok);
	if (pre->recheck_s >= 0)
		jp_put_num(o, "recheck_s", pre->recheck_s, ok);
	jp_put_some(top, "preconditions", o, ok);
}

char *
jobparse_print(const struct job_req *req)
{
	cJSON *top;
	char *out = NULL;
	int ok = 1;

	if ((top = cJSON_CreateObject()) == NULL)
		return NULL;
	if (req->name[0] != '\0')
		jp_put_str(top, "name", req->name, &ok);
	jp_print_steps(top, req, &ok);
	jp_print_target(top, req, &ok);
	jp_print_rollout(top, &req->rollout, &ok);
	jp_print_schedule(top, req, &ok);
	if (ok)
		out = cJSON_PrintUnformatted(top);
	cJSON_Delete(top);
	return out;
}

/* ---- values a device reports ---- */

/*
 * Calls fn for each record of the pack with a number ("v") or a boolean
 * ("vb", as 0 or 1), under its resolved name (bn, carried, and n), until
 * fn returns non-zero. Returns that, 0, or -1 for a malformed pack: not
 * an array of objects, a name that is no string, an escaped NUL.
 */
static int
jp_walk(const char *pack, size_t len,
    int (*fn)(const char *name, double v, void *arg), void *arg)
{
	char bn[JP_NAME_MAX] = "", name[JP_NAME_MAX * 2];
	const cJSON *r, *x, *v;
	cJSON *doc;
	const char *n;
	int rc = 0, bn_long = 0;

	if (pack == NULL || len == 0 || memmem(pack, len, "\\u0000", 6) !=
	    NULL || (doc = cJSON_ParseWithLength(pack, len)) == NULL)
		return -1;
	if (!cJSON_IsArray(doc))
		rc = -1;
	for (r = rc == 0 ? doc->child : NULL; r != NULL && rc == 0;
	    r = r->next) {
		if (!cJSON_IsObject(r)) {
			rc = -1;
			break;
		}
		if ((x = cJSON_GetObjectItemCaseSensitive(r, "bn")) != NULL) {
			if (!cJSON_IsString(x)) {
				rc = -1;
				break;
			}
			/* A base name that long names no resource: nor do the
			 * records under it. */
			if ((bn_long = strlen(x->valuestring) >= sizeof(bn)) ==
			    0)
				memcpy(bn, x->valuestring,
				    strlen(x->valuestring) + 1);
		}
		n = "";
		if ((x = cJSON_GetObjectItemCaseSensitive(r, "n")) != NULL) {
			if (!cJSON_IsString(x)) {
				rc = -1;
				break;
			}
			n = x->valuestring;
		}
		if (bn_long || strlen(n) >= JP_NAME_MAX)
			continue;
		snprintf(name, sizeof(name), "%s%s", bn, n);
		if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(r,
		    "v")) && isfinite(v->valuedouble))
			rc = fn(name, v->valuedouble, arg);
		else if (cJSON_IsBool(v = cJSON_GetObjectItemCaseSensitive(r,
		    "vb")))
			rc = fn(name, cJSON_IsTrue(v) ? 1 : 0, arg);
	}
	cJSON_Delete(doc);
	return rc;
}

struct jp_find {
	char		 path[JP_NAME_MAX];
	double		 v;
};

static int
jp_find_one(const char *name, double v, void *arg)
{
	struct jp_find *f = arg;

	if (strcmp(name, f->path) != 0)
		return 0;
	f->v = v;
	return 1;
}

int
jobparse_value(const char *pack, size_t len, const char *path, double *v)
{
	struct jp_find f;

	if (path == NULL || strlen(path) + 2 > sizeof(f.path))
		return -1;
	snprintf(f.path, sizeof(f.path), "%s%s", path[0] == '/' ? "" : "/",
	    path);
	if (jp_walk(pack, len, jp_find_one, &f) != 1)
		return -1;
	*v = f.v;
	return 0;
}

struct jp_each {
	const char	*prefix;
	size_t		 plen;
	void		(*cb)(const char *, double, void *);
	void		*arg;
	int		 n;
};

static int
jp_each_one(const char *name, double v, void *arg)
{
	struct jp_each *e = arg;

	if (strncmp(name, e->prefix, e->plen) == 0) {
		e->n++;
		e->cb(name, v, e->arg);
	}
	return 0;
}

int
jobparse_values(const char *pack, size_t len, const char *prefix,
    void (*cb)(const char *name, double v, void *arg), void *arg)
{
	struct jp_each e = { prefix, strlen(prefix), cb, arg, 0 };

	if (jp_walk(pack, len, jp_each_one, &e) == -1)
		return -1;
	return e.n;
}
