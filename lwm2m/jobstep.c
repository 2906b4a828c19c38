/*
 * jobstep.c: a job's steps (jobparse.h): each op's members and path,
 * checked against the object model, and the primitive steps it expands
 * into, firmware and software as the header writes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/jobparse.h"
#include "lwm2m/jobparse_int.h"
#include "lwm2m/objmodel.h"
#include "lwm2m/senml.h"

/* The members each op takes, in the order of enum job_step_kind. */
static const char *const jp_k_write[] = { "op", "path", "value", "senml",
    "until" };
static const char *const jp_k_exec[] = { "op", "path", "args", "until" };
static const char *const jp_k_attr[] = { "op", "path", "attributes",
    "until" };
static const char *const jp_k_delete[] = { "op", "path", "until" };
static const char *const jp_k_fw[] = { "op", "image" };
static const char *const jp_k_sw[] = { "op", "image", "instance",
    "action" };

static const struct jp_op {
	const char *const	*known;
	size_t			 nknown;
} jp_ops[JSK__COUNT] = {
	[JSK_WRITE] = { jp_k_write, JP_N(jp_k_write) },
	[JSK_PARTIAL_WRITE] = { jp_k_write, JP_N(jp_k_write) },
	[JSK_EXECUTE] = { jp_k_exec, JP_N(jp_k_exec) },
	[JSK_WRITE_ATTRIBUTES] = { jp_k_attr, JP_N(jp_k_attr) },
	[JSK_CREATE] = { jp_k_write, JP_N(jp_k_write) },
	[JSK_DELETE] = { jp_k_delete, JP_N(jp_k_delete) },
	[JSK_FIRMWARE] = { jp_k_fw, JP_N(jp_k_fw) },
	[JSK_SOFTWARE] = { jp_k_sw, JP_N(jp_k_sw) },
};

/* ---- paths and the model ---- */

/* Whether the model knows what ids[0..n) names; the resource in *res when
 * n >= 3. */
static int
jp_model(struct jp *p, const char *member, const unsigned *ids, int n,
    struct lwm2m_res *res)
{
	struct lwm2m_obj o;

	if (lwm2m_model_object(p->model, ids[0], &o) == -1)
		return jp_fail(p, member, "path outside the model: object %u "
		    "is not known (add its DDF to [lwm2m] models_dir)", ids[0]);
	if (n < 3)
		return 0;
	if (lwm2m_model_resource(p->model, ids[0], ids[2], res) == -1)
		return jp_fail(p, member, "path outside the model: object %u "
		    "(%s) has no resource %u", ids[0], o.name, ids[2]);
	if (n == 4 && !res->multiple)
		return jp_fail(p, member, "path outside the model: resource "
		    "%u (%s) of object %u has a single instance", ids[2],
		    res->name, ids[0]);
	return 0;
}

/* A resource of the model that must allow op (LWM2M_OP_*). */
static int
jp_res_op(struct jp *p, const char *member, const unsigned *ids,
    const struct lwm2m_res *res, unsigned op)
{
	if ((res->ops & op) != 0)
		return 0;
	return jp_fail(p, member, "resource %u (%s) of object %u is not %s "
	    "(its operations: %s)", ids[2], res->name, ids[0],
	    op == LWM2M_OP_W ? "writable" : op == LWM2M_OP_E ? "executable" :
	    "readable", res->ops != 0 ? lwm2m_ops_name(res->ops) : "none");
}

/* The path member of a step: an LwM2M path with lo..hi ids that the
 * model knows (what says which, for a refusal). */
static int
jp_path(struct jp *p, const cJSON *o, const char *member, int lo, int hi,
    const char *what, unsigned ids[4], int *n, struct lwm2m_res *res)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, member);
	size_t len;

	if (x == NULL)
		return jp_fail(p, member, "missing: %s", what);
	if (!cJSON_IsString(x) || (len = strlen(x->valuestring)) >=
	    DM_PATH_LEN || !dm_path_valid(x->valuestring, len))
		return jp_fail(p, member, "not an LwM2M path such as "
		    "\"/3/0/14\" (ids 0..65535)");
	*n = jp_ids(x->valuestring, ids);
	if (*n < lo || *n > hi)
		return jp_fail(p, member, "must be %s", what);
	return jp_model(p, member, ids, *n, res);
}

/* ---- steps ---- */

/* The next primitive step; NULL, refused, when the job has
 * JOB_STEPS_MAX (jp_step makes sure it has room first). */
static struct job_step *
jp_new_step(struct jp *p, int kind, int method, const char *path)
{
	struct job_step *s;

	if (p->req->nsteps >= JOB_STEPS_MAX) {
		p->prefix[0] = '\0';
		jp_fail(p, "steps", "more than %d steps once expanded",
		    JOB_STEPS_MAX);
		return NULL;
	}
	s = &p->req->steps[p->req->nsteps++];
	memset(s, 0, sizeof(*s));
	s->kind = (uint8_t)kind;
	s->method = (uint8_t)method;
	s->content_format = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->risk = (uint8_t)jobparse_risk(method, path);
	return s;
}

static void
jp_until_set(struct job_until *u, const char *path, double equals,
    const char *fail_path, double fail_at_least)
{
	snprintf(u->path, sizeof(u->path), "%s", path);
	u->equals = equals;
	snprintf(u->fail_path, sizeof(u->fail_path), "%s", fail_path);
	u->fail_at_least = fail_at_least;
}

/* A path of "until": a resource (or resource instance) the model knows,
 * readable, of a number or a boolean. */
static int
jp_until_path(struct jp *p, const cJSON *u, const char *member, char *out)
{
	struct lwm2m_res res;
	unsigned ids[4];
	int n;

	if (jp_path(p, u, member, 3, 4, "a resource such as \"/5/0/3\"",
	    ids, &n, &res) == -1 || jp_res_op(p, member, ids, &res,
	    LWM2M_OP_R) == -1)
		return -1;
	if (res.type != LWM2M_TYPE_INTEGER && res.type != LWM2M_TYPE_UNSIGNED &&
	    res.type != LWM2M_TYPE_FLOAT && res.type != LWM2M_TYPE_BOOLEAN &&
	    res.type != LWM2M_TYPE_TIME)
		return jp_fail(p, member, "resource %u (%s) of object %u is "
		    "%s: until compares numbers and booleans", ids[2],
		    res.name, ids[0], lwm2m_type_name(res.type));
	jp_path_str(ids, n, "", out, DM_PATH_LEN);
	return 0;
}

/* A step's own "until", when it has one. */
static int
jp_until(struct jp *p, const cJSON *o, struct job_step *s)
{
	static const char *const known[] = { "path", "equals", "fail_path",
	    "fail_at_least" };
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "until");
	struct job_until *w = &s->until;
	size_t plen = strlen(p->prefix);
	int rc = -1;

	if (u == NULL)
		return 0;
	snprintf(p->prefix + plen, sizeof(p->prefix) - plen, ".until");
	if (jp_members(p, u, known, JP_N(known)) == -1 ||
	    jp_until_path(p, u, "path", w->path) == -1)
		goto done;
	if (jp_number(p, u, "equals", 1, &w->equals) == -1) {
		if (cJSON_GetObjectItemCaseSensitive(u, "equals") == NULL)
			jp_fail(p, "equals", "missing: the value that ends "
			    "the step");
		goto done;
	}
	if (cJSON_GetObjectItemCaseSensitive(u, "fail_path") != NULL &&
	    jp_until_path(p, u, "fail_path", w->fail_path) == -1)
		goto done;
	if (jp_number(p, u, "fail_at_least", 0, &w->fail_at_least) == -1 &&
	    cJSON_GetObjectItemCaseSensitive(u, "fail_at_least") != NULL)
		goto done;
	if ((w->fail_path[0] != '\0') !=
	    (cJSON_GetObjectItemCaseSensitive(u, "fail_at_least") != NULL)) {
		jp_fail(p, w->fail_path[0] != '\0' ? "fail_at_least" :
		    "fail_path", "fail_path and fail_at_least go together");
		goto done;
	}
	rc = 0;
done:
	p->prefix[plen] = '\0';
	return rc;
}

/* write, partial-write, create: a body, at the path or (create) at its
 * object. */
static int
jp_step_write(struct jp *p, const cJSON *o, int kind)
{
	struct lwm2m_res res;
	struct job_step *s;
	unsigned ids[4];
	int n;
	char path[DM_PATH_LEN];

	if (kind == JSK_WRITE && jp_path(p, o, "path", 2, 4, "an instance, "
	    "a resource or a resource instance (\"/3/0\", \"/3/0/14\", "
	    "\"/3/0/7/1\")", ids, &n, &res) == -1)
		return -1;
	if (kind == JSK_PARTIAL_WRITE && jp_path(p, o, "path", 2, 2, "an "
	    "object instance (\"/3/0\")", ids, &n, &res) == -1)
		return -1;
	if (kind == JSK_CREATE && jp_path(p, o, "path", 1, 2, "an object or "
	    "an object instance (\"/9\", \"/9/1\")", ids, &n, &res) == -1)
		return -1;
	if (n >= 3 && jp_res_op(p, "path", ids, &res, LWM2M_OP_W) == -1)
		return -1;
	/* A create goes to the object; the new instance is named in the
	 * body, instance 0 when "value" is given at the object. */
	jp_path_str(ids, kind == JSK_CREATE ? 1 : n, "", path, sizeof(path));
	if (kind == JSK_CREATE && n == 1 &&
	    cJSON_GetObjectItemCaseSensitive(o, "value") != NULL) {
		ids[1] = 0;
		n = 2;
	}
	if ((s = jp_new_step(p, kind, kind == JSK_WRITE ? DEVREQ_PUT :
	    DEVREQ_POST, path)) == NULL)
		return -1;
	if (jp_body(p, o, ids, n, kind != JSK_CREATE, kind != JSK_CREATE ||
	    n == 2, s) == -1)
		return -1;
	return jp_until(p, o, s);
}

static int
jp_step_execute(struct jp *p, const cJSON *o)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "args");
	struct lwm2m_res res;
	struct job_step *s;
	unsigned ids[4];
	char path[DM_PATH_LEN], why[200];
	size_t len = 0;
	int n;

	if (jp_path(p, o, "path", 3, 3, "a resource (\"/3/0/4\")", ids, &n,
	    &res) == -1 || jp_res_op(p, "path", ids, &res, LWM2M_OP_E) == -1)
		return -1;
	if (a != NULL && (!cJSON_IsString(a) || (len = strlen(a->valuestring)) >
	    JOB_STEP_BODY_MAX))
		return jp_fail(p, "args", "must be a string of at most %d "
		    "bytes (\"0='now',1\")", JOB_STEP_BODY_MAX);
	if (len > 0 && dm_execute_args((const uint8_t *)a->valuestring, len,
	    why, sizeof(why)) == -1)
		return jp_fail(p, "args", "%s", why);
	jp_path_str(ids, n, "", path, sizeof(path));
	if ((s = jp_new_step(p, JSK_EXECUTE, DEVREQ_POST, path)) == NULL)
		return -1;
	if (len > 0) {
		if ((s->body = strdup(a->valuestring)) == NULL)
			return jp_fail(p, "args", "out of memory");
		s->len = len;
		s->content_format = SENML_CF_TEXT;
	}
	return jp_until(p, o, s);
}

static int
jp_step_attributes(struct jp *p, const cJSON *o)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "attributes");
	struct lwm2m_res res;
	struct job_step *s;
	unsigned ids[4];
	char path[DM_PATH_LEN], query[DEVREQ_QUERY_MAX], why[200], *text;
	cJSON *copy;
	int n, rc;

	if (jp_path(p, o, "path", 1, 4, "an LwM2M path (\"/3303/0/5700\")",
	    ids, &n, &res) == -1)
		return -1;
	if (a == NULL)
		return jp_fail(p, "attributes", "missing: an object such as "
		    "{\"pmin\": 10, \"pmax\": 60}");
	if (!cJSON_IsObject(a))
		return jp_fail(p, "attributes", "must be an object such as "
		    "{\"pmin\": 10, \"pmax\": 60}");
	/* dm_attributes reads a body: this one, its numbers exact. */
	text = NULL;
	if ((copy = cJSON_Duplicate(a, 1)) == NULL ||
	    jp_exact_numbers(copy) == -1 ||
	    (text = cJSON_PrintUnformatted(copy)) == NULL) {
		cJSON_Delete(copy);
		return jp_fail(p, "attributes", "out of memory");
	}
	cJSON_Delete(copy);
	rc = dm_attributes(text, strlen(text), query, sizeof(query), why,
	    sizeof(why));
	free(text);
	if (rc == -1)
		return jp_fail(p, "attributes", "%s", why);
	jp_path_str(ids, n, "", path, sizeof(path));
	if ((s = jp_new_step(p, JSK_WRITE_ATTRIBUTES, DEVREQ_PUT, path)) ==
	    NULL)
		return -1;
	memcpy(s->query, query, sizeof(s->query));
	return jp_until(p, o, s);
}

static int
jp_step_delete(struct jp *p, const cJSON *o)
{
	struct lwm2m_res res;
	struct job_step *s;
	unsigned ids[4];
	char path[DM_PATH_LEN];
	int n;

	if (jp_path(p, o, "path", 2, 2, "an object instance (\"/9/1\")", ids,
	    &n, &res) == -1)
		return -1;
	jp_path_str(ids, n, "", path, sizeof(path));
	if ((s = jp_new_step(p, JSK_DELETE, DEVREQ_DELETE, path)) == NULL)
		return -1;
	return jp_until(p, o, s);
}

/* "image": an image id, 16 lowercase hex digits. */
static int
jp_image(struct jp *p, const cJSON *o, char out[FW_ID_LEN + 1])
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, "image");
	size_t i;

	if (x == NULL)
		return jp_fail(p, "image", "missing: the id of an uploaded "
		    "image");
	if (!cJSON_IsString(x) || strlen(x->valuestring) != FW_ID_LEN)
		return jp_fail(p, "image", "must be an image id (%d lowercase "
		    "hex digits)", FW_ID_LEN);
	for (i = 0; i < FW_ID_LEN; i++)
		if (!((x->valuestring[i] >= '0' && x->valuestring[i] <= '9') ||
		    (x->valuestring[i] >= 'a' && x->valuestring[i] <= 'f')))
			return jp_fail(p, "image", "must be an image id (%d "
			    "lowercase hex digits)", FW_ID_LEN);
	memcpy(out, x->valuestring, FW_ID_LEN + 1);
	return 0;
}

/* Resource rid of object oid, instance iid, must allow op in the model:
 * an operator's DDF may replace object 5 or 9. */
static int
jp_need(struct jp *p, unsigned oid, unsigned iid, unsigned rid, unsigned op)
{
	struct lwm2m_res res;
	unsigned ids[4] = { oid, iid, rid, 0 };

	if (jp_model(p, "op", ids, 3, &res) == -1)
		return -1;
	return jp_res_op(p, "op", ids, &res, op);
}

/* A step that does what an operator step of kind does: oid/iid/rid by
 * method, with its condition and its risks. */
static struct job_step *
jp_prim(struct jp *p, int kind, int method, unsigned oid, unsigned iid,
    unsigned rid, int risk)
{
	unsigned ids[3] = { oid, iid, rid };
	char path[DM_PATH_LEN];
	struct job_step *s;

	jp_path_str(ids, 3, "", path, sizeof(path));
	if ((s = jp_new_step(p, kind, method, path)) != NULL)
		s->risk = (uint8_t)risk;
	return s;
}

/* firmware: write the image's URI into /5/0/1 until State (5/0/3) is
 * Downloaded, then execute Update (/5/0/2) until Update Result (5/0/5)
 * is success; an Update Result of 2 or more is a failure. */
static int
jp_step_firmware(struct jp *p, const cJSON *o)
{
	struct job_step *s;
	char image[FW_ID_LEN + 1];

	if (jp_image(p, o, image) == -1 ||
	    jp_need(p, 5, 0, 1, LWM2M_OP_W) == -1 ||
	    jp_need(p, 5, 0, 2, LWM2M_OP_E) == -1)
		return -1;
	if ((s = jp_prim(p, JSK_FIRMWARE, DEVREQ_PUT, 5, 0, 1,
	    JRISK_BATTERY | JRISK_UPDATE)) == NULL)
		return -1;
	memcpy(s->image, image, sizeof(s->image));
	s->content_format = SENML_CF_TEXT;
	jp_until_set(&s->until, "5/0/3", 2, "5/0/5", 2);
	if ((s = jp_prim(p, JSK_FIRMWARE, DEVREQ_POST, 5, 0, 2,
	    JRISK_BATTERY | JRISK_APPLY)) == NULL)
		return -1;
	jp_until_set(&s->until, "5/0/5", 1, "5/0/5", 2);
	return 0;
}

/* software, on instance i of object 9 (see jobparse.h). */
static int
jp_step_software(struct jp *p, const cJSON *o)
{
	static const struct {
		const char	*name;
		unsigned	 rid;		/* executed */
		unsigned	 until_rid;
		double		 equals;
	} acts[] = {
		{ "install", 4, 7, 4 },
		{ "activate", 10, 12, 1 },
		{ "deactivate", 11, 12, 0 },
		{ "uninstall", 6, 7, 0 },
	};
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "action");
	char image[FW_ID_LEN + 1], path[DM_PATH_LEN], state[DM_PATH_LEN];
	char result[DM_PATH_LEN];
	struct job_step *s;
	unsigned ids[3];
	size_t k;
	int inst = 0;		/* the one a single-package agent has */

	if (jp_int(p, o, "instance", 0, 65535, &inst) == -1)
		return -1;
	for (k = 0; k < JP_N(acts) && (!cJSON_IsString(a) ||
	    strcmp(a->valuestring, acts[k].name) != 0); k++)
		;
	if (k == JP_N(acts))
		return jp_fail(p, "action", "%s: install, activate, "
		    "deactivate or uninstall", a == NULL ? "missing" :
		    "must be one of");
	if (k == 0 && jp_image(p, o, image) == -1)
		return -1;
	if (k != 0 && cJSON_GetObjectItemCaseSensitive(o, "image") != NULL)
		return jp_fail(p, "image", "only an install takes an image");
	if ((k == 0 && jp_need(p, 9, (unsigned)inst, 3, LWM2M_OP_W) == -1) ||
	    jp_need(p, 9, (unsigned)inst, acts[k].rid, LWM2M_OP_E) == -1)
		return -1;
	ids[0] = 9;
	ids[1] = (unsigned)inst;
	ids[2] = 7;
	jp_path_str(ids, 3, "", state, sizeof(state));
	ids[2] = 9;
	jp_path_str(ids, 3, "", result, sizeof(result));
	ids[2] = acts[k].until_rid;
	jp_path_str(ids, 3, "", path, sizeof(path));
	if (k == 0) {
		if ((s = jp_prim(p, JSK_SOFTWARE, DEVREQ_PUT, 9, ids[1], 3,
		    JRISK_BATTERY)) == NULL)
			return -1;
		memcpy(s->image, image, sizeof(s->image));
		s->content_format = SENML_CF_TEXT;
		jp_until_set(&s->until, state, 3, result, 50);
	}
	if ((s = jp_prim(p, JSK_SOFTWARE, DEVREQ_POST, 9, ids[1], acts[k].rid,
	    JRISK_BATTERY)) == NULL)
		return -1;
	jp_until_set(&s->until, path, acts[k].equals, k == 0 ? result : "",
	    k == 0 ? 50 : 0);
	return 0;
}

/* Step i of the request: its op, its members, its primitive steps. */
static int
jp_step(struct jp *p, const cJSON *o, int i)
{
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(o, "op");
	int kind, need;

	snprintf(p->prefix, sizeof(p->prefix), "steps[%d]", i);
	if (!cJSON_IsObject(o))
		return jp_fail(p, "", "must be a JSON object {\"op\": ...}");
	for (kind = 0; kind < JSK__COUNT && (!cJSON_IsString(op) ||
	    strcmp(op->valuestring, jobparse_kind_name(kind)) != 0);
	    kind++)
		;
	if (kind == JSK__COUNT)
		return jp_fail(p, "op", "%s: write, partial-write, execute, "
		    "write-attributes, create, delete, firmware or software",
		    op == NULL ? "missing" : "unknown op; the ops are");
	if (jp_members(p, o, jp_ops[kind].known, jp_ops[kind].nknown) == -1)
		return -1;
	need = kind == JSK_FIRMWARE || (kind == JSK_SOFTWARE &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "action")) &&
	    strcmp(cJSON_GetObjectItemCaseSensitive(o, "action")->valuestring,
	    "install") == 0) ? 2 : 1;
	if (p->req->nsteps + need > JOB_STEPS_MAX) {
		p->prefix[0] = '\0';
		return jp_fail(p, "steps", "more than %d steps once expanded "
		    "(a firmware step and a software install are two each)",
		    JOB_STEPS_MAX);
	}
	switch (kind) {
	case JSK_WRITE:
	case JSK_PARTIAL_WRITE:
	case JSK_CREATE:
		return jp_step_write(p, o, kind);
	case JSK_EXECUTE:
		return jp_step_execute(p, o);
	case JSK_WRITE_ATTRIBUTES:
		return jp_step_attributes(p, o);
	case JSK_DELETE:
		return jp_step_delete(p, o);
	case JSK_FIRMWARE:
		return jp_step_firmware(p, o);
	default:
		return jp_step_software(p, o);
	}
}

int
jp_steps(struct jp *p, const cJSON *steps)
{
	const cJSON *s;
	int i = 0;

	p->prefix[0] = '\0';
	if (steps == NULL)
		return jp_fail(p, "steps", "missing: the list of steps");
	if (!cJSON_IsArray(steps))
		return jp_fail(p, "steps", "must be an array of steps");
	if (steps->child == NULL)
		return jp_fail(p, "steps", "has no steps");
	if (cJSON_GetArraySize(steps) > JOB_STEPS_MAX)
		return jp_fail(p, "steps", "more than %d steps",
		    JOB_STEPS_MAX);
	cJSON_ArrayForEach(s, steps)
		if (jp_step(p, s, i++) == -1)
			return -1;
	return 0;
}
