/*
 * jobstore.c: a job's devices in memory and in the store (jobint.h). In
 * memory, devs in target order and by_ep, indexes sorted by endpoint. In
 * the store, the job as one JSON record (STORE_DB_JOBS, key: id) holding
 * its request as the parser prints it, and each device as a record of
 * JOB_DEV_REC_LEN bytes and its last error (STORE_DB_JOBDEVS, key: id,
 * endpoint), written when that device alone changes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cache/events.h"
#include "gateway.h"
#include "log.h"
#include "modules/jobs/jobint.h"
#include "store/store.h"
#include "tz.h"

#define JOB_DEV_REC_LEN		56
#define JOB_DEV_REC_VERSION	1
#define JOB_ERROR_MAX		300

static const char *const job_status_names[JOB__COUNT] = {
	"scheduled", "running", "paused", "awaiting_approval", "done",
	"cancelled", "ended"
};
static const char *const job_dev_names[JD__COUNT] = {
	"pending", "in_progress", "deferred", "succeeded", "failed",
	"cancelled", "skipped", "removed"
};
static const char *const job_phase_names[JPH__COUNT] = {
	"", "checking_firmware", "checking_power", "sent", "waiting",
	"reading", "backoff"
};

const char *
job_status_name(int st)
{
	return st >= 0 && st < JOB__COUNT ? job_status_names[st] : "?";
}

const char *
job_dev_state_name(int st)
{
	return st >= 0 && st < JD__COUNT ? job_dev_names[st] : "?";
}

int
job_dev_state_of(const char *name)
{
	int i;

	for (i = 0; i < JD__COUNT; i++)
		if (strcmp(name, job_dev_names[i]) == 0)
			return i;
	return -1;
}

int
job_finished(const struct job *j)
{
	return j->status == JOB_DONE || j->status == JOB_CANCELLED ||
	    j->status == JOB_ENDED;
}

struct job *
job_find(struct gateway *gw, uint64_t id)
{
	struct job *j;

	if (gw->jobs == NULL)
		return NULL;	/* a commit after the module stopped */
	for (j = gw->jobs->list; j != NULL; j = j->next)
		if (j->id == id)
			return j;
	return NULL;
}

static int
job_ep_cmp(const void *a, const void *b, void *arg)
{
	const struct job_dev *devs = arg;

	return strcmp(devs[*(const uint32_t *)a].ep,
	    devs[*(const uint32_t *)b].ep);
}

struct job_dev *
job_lookup(const struct job *j, const char *ep)
{
	size_t lo = 0, hi = j->by_ep != NULL ? j->ndevs : 0, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strcmp(ep, j->devs[j->by_ep[mid]].ep);
		if (cmp == 0)
			return &j->devs[j->by_ep[mid]];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int
job_add_dev(struct job *j, const char *ep)
{
	struct job_dev *n;
	size_t cap;

	if (j->by_ep != NULL && job_lookup(j, ep) != NULL)
		return 1;
	if (j->ndevs == JOB_MAX_DEVICES)
		return -1;
	if (j->ndevs == j->cap) {
		cap = j->cap ? j->cap * 2 : 64;
		if ((n = reallocarray(j->devs, cap, sizeof(*n))) == NULL)
			return -1;
		j->devs = n;
		j->cap = cap;
	}
	memset(&j->devs[j->ndevs], 0, sizeof(j->devs[0]));
	snprintf(j->devs[j->ndevs].ep, sizeof(j->devs[0].ep), "%s", ep);
	j->ndevs++;
	j->counts[JD_PENDING]++;
	return 0;
}

/* by_ep over devs; a later duplicate of an endpoint goes (devs keep
 * their order). */
int
job_index(struct job *j)
{
	uint8_t *dup;
	size_t i, n;

	free(j->by_ep);
	if ((j->by_ep = reallocarray(NULL, j->ndevs ? j->ndevs : 1,
	    sizeof(*j->by_ep))) == NULL)
		return -1;
	for (i = 0; i < j->ndevs; i++)
		j->by_ep[i] = (uint32_t)i;
	if (j->ndevs > 1)
		qsort_r(j->by_ep, j->ndevs, sizeof(*j->by_ep), job_ep_cmp,
		    j->devs);
	for (i = 1, n = 0; i < j->ndevs; i++)
		n += strcmp(j->devs[j->by_ep[i]].ep,
		    j->devs[j->by_ep[i - 1]].ep) == 0;
	if (n == 0)
		return 0;
	if ((dup = calloc(j->ndevs, 1)) == NULL)
		return -1;
	for (i = 1; i < j->ndevs; i++)
		if (strcmp(j->devs[j->by_ep[i]].ep,
		    j->devs[j->by_ep[i - 1]].ep) == 0)
			dup[j->by_ep[i] > j->by_ep[i - 1] ? j->by_ep[i] :
			    j->by_ep[i - 1]] = 1;
	for (i = n = 0; i < j->ndevs; i++) {
		if (!dup[i])
			j->devs[n++] = j->devs[i];
		else
			j->counts[j->devs[i].state]--;
	}
	free(dup);
	j->ndevs = n;
	return job_index(j);
}

void
job_dev_free_all(struct job *j)
{
	size_t i;

	for (i = 0; i < j->ndevs && j->devs != NULL; i++)
		free(j->devs[i].error);
	free(j->devs);
	free(j->by_ep);
	j->devs = NULL;
	j->by_ep = NULL;
	j->cap = 0;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	job_dev_free_all(j);
	jobparse_free(&j->req);
	free(j->request);
	tz_free(j->tz);
	free(j);
}

void
job_dev_error(struct job_dev *d, const char *fmt, ...)
{
	va_list ap;
	char buf[JOB_ERROR_MAX];

	free(d->error);
	d->error = NULL;
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d->error = strdup(buf);
}

/* The job's record: what a restart needs, and what a finished one shows
 * without its devices. */
static cJSON *
job_record(const struct job *j)
{
	cJSON *o = cJSON_CreateObject(), *c;
	int i;

	cJSON_AddNumberToObject(o, "id", (double)j->id);
	cJSON_AddStringToObject(o, "request", j->request);
	cJSON_AddStringToObject(o, "status", job_status_names[j->status]);
	cJSON_AddStringToObject(o, "reason", j->reason);
	cJSON_AddNumberToObject(o, "group", j->group);
	cJSON_AddNumberToObject(o, "groups", j->ngroups);
	cJSON_AddNumberToObject(o, "threshold_off", j->threshold_off);
	cJSON_AddNumberToObject(o, "overall_off", j->overall_off);
	cJSON_AddNumberToObject(o, "approved", j->approved);
	cJSON_AddNumberToObject(o, "created", (double)j->created);
	cJSON_AddNumberToObject(o, "finished", (double)j->finished);
	cJSON_AddNumberToObject(o, "total", (double)j->ndevs);
	c = cJSON_AddObjectToObject(o, "counts");
	for (i = 0; i < JD__COUNT; i++)
		cJSON_AddNumberToObject(c, job_dev_names[i],
		    (double)j->counts[i]);
	return o;
}

int
job_save(struct gateway *gw, struct job *j)
{
	cJSON *rec = job_record(j);
	char *text = cJSON_PrintUnformatted(rec);
	uint8_t key[8];
	int rc = -1;

	cJSON_Delete(rec);
	store_put_be64(key, j->id);
	if (text != NULL)
		rc = store_put(gw->store, STORE_DB_JOBS, key, sizeof(key),
		    text, strlen(text));
	free(text);
	return rc;
}

int
job_dev_save(struct gateway *gw, const struct job *j, const struct job_dev *d)
{
	uint8_t key[8 + LWM2M_EP_MAX], v[JOB_DEV_REC_LEN + JOB_ERROR_MAX];
	size_t eplen = strlen(d->ep), elen = 0;

	store_put_be64(key, j->id);
	memcpy(key + 8, d->ep, eplen);
	memset(v, 0, JOB_DEV_REC_LEN);
	v[0] = JOB_DEV_REC_VERSION;
	v[1] = d->state;
	v[2] = d->phase;
	v[3] = d->step;
	v[4] = d->flags & (JDF_CHECKED | JDF_REFUSED);
	v[6] = (uint8_t)(d->attempts >> 8);
	v[7] = (uint8_t)d->attempts;
	store_put_be64(v + 8, (uint64_t)d->group << 32 |
	    (uint32_t)(d - j->devs));
	store_put_be64(v + 16, d->op);
	store_put_be64(v + 24, (uint64_t)d->started);
	store_put_be64(v + 32, (uint64_t)d->updated);
	store_put_be64(v + 40, (uint64_t)d->deadline);
	store_put_be64(v + 48, (uint64_t)d->next_at);
	if (d->error != NULL) {
		elen = strlen(d->error);
		memcpy(v + JOB_DEV_REC_LEN, d->error, elen);
	}
	return store_put(gw->store, STORE_DB_JOBDEVS, key, 8 + eplen, v,
	    JOB_DEV_REC_LEN + elen);
}

void
job_dev_set(struct gateway *gw, struct job *j, struct job_dev *d, int st)
{
	cJSON *e;

	if (d->state != st) {
		j->counts[d->state]--;
		j->counts[st]++;
		if (d->state == JD_ACTIVE)
			j->active--;
		if (st == JD_ACTIVE)
			j->active++;
		d->state = (uint8_t)st;
		e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "job", (double)j->id);
		cJSON_AddStringToObject(e, "state", job_dev_names[st]);
		cJSON_AddNumberToObject(e, "step", d->step);
		cJSON_AddNumberToObject(e, "group", d->group);
		if (d->error != NULL)
			cJSON_AddStringToObject(e, "error", d->error);
		events_emit(gw, "job_progress", d->ep, e);
	}
	job_dev_save(gw, j, d);
}

/* A device record from the store into d (its endpoint set by the
 * caller). 0, or -1 when it is not one this gateway wrote. */
static int
job_dev_decode(const uint8_t *v, size_t len, struct job_dev *d,
    uint32_t *index)
{
	uint64_t gi;

	if (len < JOB_DEV_REC_LEN || v[0] != JOB_DEV_REC_VERSION ||
	    v[1] >= JD__COUNT || v[2] >= JPH__COUNT)
		return -1;
	d->state = v[1];
	d->phase = v[2];
	d->step = v[3];
	d->flags = v[4] & (JDF_CHECKED | JDF_REFUSED);
	d->attempts = (uint16_t)(v[6] << 8 | v[7]);
	gi = store_get_be64(v + 8);
	d->group = (uint32_t)(gi >> 32);
	*index = (uint32_t)gi;
	d->op = store_get_be64(v + 16);
	d->started = (int64_t)store_get_be64(v + 24);
	d->updated = (int64_t)store_get_be64(v + 32);
	d->deadline = (int64_t)store_get_be64(v + 40);
	d->next_at = (int64_t)store_get_be64(v + 48);
	d->error = NULL;
	if (len > JOB_DEV_REC_LEN && len - JOB_DEV_REC_LEN < JOB_ERROR_MAX)
		d->error = strndup((const char *)v + JOB_DEV_REC_LEN,
		    len - JOB_DEV_REC_LEN);
	return 0;
}

static cJSON *
job_dev_json(const char *ep, const struct job_dev *d)
{
	cJSON *o = cJSON_CreateObject();
	char t[GW_TIME_LEN];

	cJSON_AddStringToObject(o, "ep", ep);
	cJSON_AddStringToObject(o, "state", job_dev_names[d->state]);
	cJSON_AddNumberToObject(o, "group", d->group);
	cJSON_AddNumberToObject(o, "steps_done", d->step);
	if (d->state == JD_ACTIVE && d->phase != JPH_IDLE)
		cJSON_AddStringToObject(o, "phase", job_phase_names[d->phase]);
	cJSON_AddNumberToObject(o, "attempts", d->attempts);
	if (d->op != 0)
		cJSON_AddNumberToObject(o, "op", (double)d->op);
	if (d->started != 0)
		cJSON_AddStringToObject(o, "started_at",
		    gw_time_str(d->started, t));
	if (d->updated != 0)
		cJSON_AddStringToObject(o, "updated_at",
		    gw_time_str(d->updated, t));
	if (d->state == JD_DEFERRED || (d->state == JD_ACTIVE &&
	    d->phase == JPH_BACKOFF))
		cJSON_AddStringToObject(o, "next_at",
		    gw_time_str(d->next_at, t));
	if (d->error != NULL)
		cJSON_AddStringToObject(o, "error", d->error);
	else
		cJSON_AddNullToObject(o, "error");
	return o;
}

cJSON *
job_json(struct gateway *gw, uint64_t id)
{
	struct job *j = job_find(gw, id);
	cJSON *o, *req, *c, *r;
	char t[GW_TIME_LEN];
	int i;

	if (j == NULL)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)j->id);
	cJSON_AddStringToObject(o, "name", j->req.name);
	cJSON_AddStringToObject(o, "status", job_status_names[j->status]);
	cJSON_AddStringToObject(o, "reason", j->reason);
	cJSON_AddStringToObject(o, "created_at", gw_time_str(j->created, t));
	if (j->finished != 0)
		cJSON_AddStringToObject(o, "finished_at",
		    gw_time_str(j->finished, t));
	else
		cJSON_AddNullToObject(o, "finished_at");
	cJSON_AddNumberToObject(o, "group", j->group);
	cJSON_AddNumberToObject(o, "groups", j->ngroups);
	cJSON_AddNumberToObject(o, "total", (double)j->ndevs);
	c = cJSON_AddObjectToObject(o, "counts");
	for (i = 0; i < JD__COUNT; i++)
		cJSON_AddNumberToObject(c, job_dev_names[i],
		    (double)j->counts[i]);
	r = cJSON_AddObjectToObject(o, "policy");
	cJSON_AddNumberToObject(r, "max_concurrent", j->max_concurrent);
	cJSON_AddNumberToObject(r, "failure_percent", j->fail_group);
	cJSON_AddNumberToObject(r, "overall_failure_percent",
	    j->fail_overall);
	cJSON_AddNumberToObject(r, "timeout_s", j->timeout_s);
	cJSON_AddNumberToObject(r, "retries", j->retries);
	cJSON_AddNumberToObject(r, "backoff_s", j->backoff_s);
	cJSON_AddNumberToObject(r, "recheck_s", j->recheck_s);
	if ((req = cJSON_Parse(j->request)) != NULL)
		cJSON_AddItemToObject(o, "request", req);
	return o;
}

cJSON *
job_list_json(struct gateway *gw)
{
	cJSON *a = cJSON_CreateArray(), *o;
	struct job *j;

	for (j = gw->jobs->list; j != NULL; j = j->next)
		if ((o = job_json(gw, j->id)) != NULL)
			cJSON_AddItemToArray(a, o);
	return a;
}

struct job_page {
	uint64_t	 id;
	int		 st;
	size_t		 limit;
	int		 more;
	cJSON		*out;
};

static int
job_page_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct job_page *p = arg;
	char ep[LWM2M_EP_MAX + 1];
	struct job_dev d;
	uint32_t index;

	if (klen < 9 || klen > 8 + LWM2M_EP_MAX ||
	    store_get_be64(key) != p->id)
		return 1;
	if (job_dev_decode(val, vlen, &d, &index) == -1)
		return 0;
	if (p->st < 0 || d.state == p->st) {
		if ((size_t)cJSON_GetArraySize(p->out) == p->limit) {
			free(d.error);
			p->more = 1;
			return 1;
		}
		memcpy(ep, (const char *)key + 8, klen - 8);
		ep[klen - 8] = '\0';
		cJSON_AddItemToArray(p->out, job_dev_json(ep, &d));
	}
	free(d.error);
	return 0;
}

cJSON *
job_devices_json(struct gateway *gw, uint64_t id, int st, const char *after,
    size_t limit, int *more)
{
	struct job_page p = { id, st, limit, 0, NULL };
	uint8_t key[8 + LWM2M_EP_MAX + 1];
	size_t klen = 8;

	if (job_find(gw, id) == NULL)
		return NULL;
	store_put_be64(key, id);
	if (after != NULL && strlen(after) <= LWM2M_EP_MAX) {
		/* the first key after after's: after NUL */
		memcpy(key + 8, after, strlen(after));
		klen += strlen(after);
		key[klen++] = '\0';
	}
	p.out = cJSON_CreateArray();
	if (store_iterate(gw->store, STORE_DB_JOBDEVS, key, klen, job_page_one,
	    &p) == -1) {
		cJSON_Delete(p.out);
		return NULL;
	}
	*more = p.more;
	return p.out;
}

/* Loading: one job's devices. */
struct job_loading {
	struct gateway	*gw;
	struct job	*j;
	size_t		 n;	/* records read */
};

static int
job_load_dev(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct job_loading *l = arg;
	struct job *j = l->j;
	struct job_dev d;
	uint32_t index;

	if (klen < 9 || klen > 8 + LWM2M_EP_MAX ||
	    store_get_be64(key) != j->id)
		return 1;
	if (job_dev_decode(val, vlen, &d, &index) == -1) {
		log_warnx("job %" PRIu64 ": a device record this gateway "
		    "cannot read: skipped", j->id);
		return 0;
	}
	memcpy(d.ep, (const char *)key + 8, klen - 8);
	d.ep[klen - 8] = '\0';
	l->n++;
	if (j->unloaded) {
		j->counts[d.state]++;
		free(d.error);
		return 0;
	}
	if (index >= JOB_MAX_DEVICES || index >= j->cap) {
		free(d.error);
		return -1;
	}
	if (index >= j->ndevs)
		j->ndevs = index + 1;
	free(j->devs[index].error);
	j->devs[index] = d;
	j->counts[d.state]++;
	if (d.state == JD_ACTIVE)
		j->active++;
	return 0;
}

static int
job_jint(const cJSON *o, const char *name, int def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valueint : def;
}

/* One job from its record. */
static struct job *
job_decode(struct gateway *gw, const cJSON *rec)
{
	const cJSON *v, *req = cJSON_GetObjectItemCaseSensitive(rec, "request");
	char field[JOB_FIELD_MAX], err[256];
	struct job *j;
	int i;

	if (!cJSON_IsString(req) || (j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->id = (uint64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(rec, "id"));
	if (jobparse_request(req->valuestring, strlen(req->valuestring),
	    gw->models, 0, &j->req, field, sizeof(field), err,
	    sizeof(err)) == -1) {
		log_warnx("job %" PRIu64 ": its stored request no longer "
		    "reads (%s: %s): left as it was", j->id, field, err);
		job_free(j);
		return NULL;
	}
	j->request = strdup(req->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(rec, "status");
	j->status = JOB_PAUSED;
	for (i = 0; i < JOB__COUNT; i++)
		if (cJSON_IsString(v) && strcmp(v->valuestring,
		    job_status_names[i]) == 0)
			j->status = i;
	v = cJSON_GetObjectItemCaseSensitive(rec, "reason");
	if (cJSON_IsString(v))
		snprintf(j->reason, sizeof(j->reason), "%s", v->valuestring);
	j->group = job_jint(rec, "group", 0);
	j->ngroups = job_jint(rec, "groups", 1);
	j->threshold_off = job_jint(rec, "threshold_off", -1);
	j->overall_off = job_jint(rec, "overall_off", 0);
	j->approved = job_jint(rec, "approved", 0);
	j->created = (int64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(rec, "created"));
	j->finished = (int64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(rec, "finished"));
	j->cap = (size_t)job_jint(rec, "total", 0);
	return j;
}

/* A job from its record (its devices are read after: a walk of the
 * store may not nest). */
static int
job_load_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct gateway *gw = arg;
	cJSON *rec;
	struct job *j;

	(void)key;
	if (klen != 8)
		return 0;
	rec = cJSON_ParseWithLength(val, vlen);
	j = rec != NULL ? job_decode(gw, rec) : NULL;
	cJSON_Delete(rec);
	if (j == NULL)
		return 0;
	j->unloaded = job_finished(j);
	j->next = gw->jobs->list;
	gw->jobs->list = j;
	if (j->id >= gw->jobs->next_id)
		gw->jobs->next_id = j->id + 1;
	return 0;
}

/* A job's devices from the store. */
static int
job_load_devs(struct gateway *gw, struct job *j)
{
	struct job_loading l = { gw, j, 0 };
	uint8_t prefix[8];
	size_t i, n;
	int moved;

	if (!j->unloaded && j->cap > 0 && (j->devs = calloc(j->cap,
	    sizeof(*j->devs))) == NULL)
		return -1;
	store_put_be64(prefix, j->id);
	if (store_iterate(gw->store, STORE_DB_JOBDEVS, prefix, sizeof(prefix),
	    job_load_dev, &l) == -1)
		return -1;
	/* A record skipped leaves its place empty: no device (an endpoint
	 * is never ""). Those after it move up, and their records and the
	 * job's total say so (a start reads no place past the total). */
	for (i = n = 0; i < j->ndevs; i++)
		if (j->devs[i].ep[0] != '\0')
			j->devs[n++] = j->devs[i];
	moved = n < j->ndevs;
	j->ndevs = n;
	if (job_index(j) == -1)
		return -1;
	for (i = 0; moved && i < j->ndevs; i++)
		if (job_dev_save(gw, j, &j->devs[i]) == -1)
			return -1;
	if (moved && job_save(gw, j) == -1)
		return -1;
	if (j->unloaded)
		j->ndevs = l.n;
	return 0;
}

int
job_load(struct gateway *gw)
{
	struct job *j;

	if (store_iterate(gw->store, STORE_DB_JOBS, NULL, 0, job_load_one,
	    gw) == -1) {
		log_warnx("jobs: cannot read them from the store");
		return -1;
	}
	for (j = gw->jobs->list; j != NULL; j = j->next)
		if (job_load_devs(gw, j) == -1) {
			log_warnx("job %" PRIu64 ": its devices could not be "
			    "read", j->id);
			return -1;
		}
	return 0;
}
