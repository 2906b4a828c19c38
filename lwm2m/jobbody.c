/*
 * jobbody.c: the body of a job's write, partial-write or create: "value"
 * or "senml" as one SenML JSON pack of full names, kept as the job sends
 * it and checked now by encoding it with the object model (senml_encode),
 * so that what no device would take is refused before the job starts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/jobparse.h"
#include "lwm2m/jobparse_int.h"
#include "lwm2m/objmodel.h"
#include "lwm2m/senml.h"

/* Records of one step's pack: no more fit in JOB_STEP_BODY_MAX bytes. */
#define JP_RECORDS_MAX	(JOB_STEP_BODY_MAX / 8)

/* Decimal digits 0..65535 without leading zeros: an id as a key of
 * "value". */
static int
jp_key_id(const char *s, unsigned *out)
{
	size_t n = strlen(s), i;
	unsigned v = 0;

	if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* Adds to pack the record {"n": name, "v"|"vs"|"vb": v} for resource rid
 * of object oid; a string goes in the field of the resource's type when
 * that type is written as a string (a String "vs", an Objlnk "vlo", an
 * Opaque "vd"). */
static int
jp_record(struct jp *p, const char *member, cJSON *pack, const char *name,
    unsigned oid, unsigned rid, const cJSON *v)
{
	struct lwm2m_res res;
	const char *f = "vs";
	cJSON *rec;

	if (++p->nrecs > JP_RECORDS_MAX)
		return jp_fail(p, member, "more than %d values",
		    JP_RECORDS_MAX);
	if (!cJSON_IsNumber(v) && !cJSON_IsString(v) && !cJSON_IsBool(v))
		return jp_fail(p, member, "%s: a value is a number, a string "
		    "or a boolean", name);
	if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
		return jp_fail(p, member, "%s: the value is no finite number",
		    name);
	if (cJSON_IsString(v) &&
	    lwm2m_model_resource(p->model, oid, rid, &res) == 0) {
		if (res.type == LWM2M_TYPE_OBJLNK)
			f = "vlo";
		else if (res.type == LWM2M_TYPE_OPAQUE)
			f = "vd";
	}
	if ((rec = cJSON_CreateObject()) == NULL)
		return jp_fail(p, member, "out of memory");
	if (!cJSON_AddItemToArray(pack, rec)) {
		cJSON_Delete(rec);
		return jp_fail(p, member, "out of memory");
	}
	if (cJSON_AddStringToObject(rec, "n", name) == NULL ||
	    (cJSON_IsNumber(v) ? cJSON_AddNumberToObject(rec, "v",
	    v->valuedouble) : cJSON_IsBool(v) ? cJSON_AddBoolToObject(rec,
	    "vb", cJSON_IsTrue(v)) : cJSON_AddStringToObject(rec, f,
	    v->valuestring)) == NULL)
		return jp_fail(p, member, "out of memory");
	return 0;
}

/*
 * "value" as records of pack under ids[0..n): a scalar for a resource or
 * a resource instance; for a resource, an object of instance ids to
 * scalars; for an instance, an object of resource ids to scalars (or to
 * objects of instance ids to scalars).
 */
static int
jp_value_pack(struct jp *p, const char *member, const cJSON *v,
    const unsigned *ids, int n, cJSON *pack)
{
	char name[DM_PATH_LEN], sub[DM_PATH_LEN * 2];
	const cJSON *m, *k;
	unsigned id, iid;

	jp_path_str(ids, n, "/", name, sizeof(name));
	if (n >= 3 && !cJSON_IsObject(v))
		return jp_record(p, member, pack, name, ids[0], ids[2], v);
	if (n == 4 || !cJSON_IsObject(v))
		return jp_fail(p, member, "%s", n == 4 ? "a resource "
		    "instance's value is a number, a string or a boolean" :
		    "at an instance, value is an object of resource ids to "
		    "values ({\"14\": \"+01:00\"})");
	if (v->child == NULL)
		return jp_fail(p, member, "names no %s", n == 3 ?
		    "resource instance" : "resource");
	cJSON_ArrayForEach(m, v) {
		if (jp_key_id(m->string, &id) == -1)
			return jp_fail(p, member, "'%s' is not %s id 0..65535",
			    jp_showable(m->string) ? m->string : "(not shown)",
			    n == 3 ? "a resource instance" : "a resource");
		snprintf(sub, sizeof(sub), "%s/%u", name, id);
		if (n == 3 || !cJSON_IsObject(m)) {
			if (jp_record(p, member, pack, sub, ids[0], n == 3 ?
			    ids[2] : id, m) == -1)
				return -1;
			continue;
		}
		if (m->child == NULL)
			return jp_fail(p, member, "%s names no resource "
			    "instance", sub);
		cJSON_ArrayForEach(k, m) {
			char leaf[DM_PATH_LEN * 3];

			if (jp_key_id(k->string, &iid) == -1)
				return jp_fail(p, member, "%s: '%s' is not a "
				    "resource instance id 0..65535", sub,
				    jp_showable(k->string) ? k->string :
				    "(not shown)");
			snprintf(leaf, sizeof(leaf), "%s/%u", sub, iid);
			if (jp_record(p, member, pack, leaf, ids[0], id, k) ==
			    -1)
				return -1;
		}
	}
	return 0;
}

/*
 * "senml" as records of pack: each record's name (its bn, carried, and
 * its n) is relative to ids[0..n) and becomes the full name in "n", the
 * first field; the record's other fields follow as they are, for
 * senml_encode to judge.
 */
static int
jp_senml_pack(struct jp *p, const char *member, const cJSON *in,
    const unsigned *ids, int n, cJSON *pack)
{
	char base[DM_PATH_LEN], bn[DM_PATH_LEN] = "", name[DM_PATH_LEN * 3];
	const cJSON *r, *f, *g;
	const char *rel;
	cJSON *rec, *dup;
	int i = 0, nf;

	if (!cJSON_IsArray(in) || in->child == NULL)
		return jp_fail(p, member, "must be a SenML JSON pack of one "
		    "record or more ([{\"n\": \"14\", \"vs\": \"+01:00\"}])");
	jp_path_str(ids, n, "/", base, sizeof(base));
	cJSON_ArrayForEach(r, in) {
		if (++p->nrecs > JP_RECORDS_MAX)
			return jp_fail(p, member, "more than %d records",
			    JP_RECORDS_MAX);
		if (!cJSON_IsObject(r))
			return jp_fail(p, member, "record %d is not a JSON "
			    "object", i);
		rel = "";
		nf = 0;
		cJSON_ArrayForEach(f, r) {
			if (++nf > SENML_FIELDS_MAX)
				return jp_fail(p, member, "record %d has more "
				    "than %d fields", i, SENML_FIELDS_MAX);
			for (g = r->child; g != f; g = g->next)
				if (strcmp(g->string, f->string) == 0)
					return jp_fail(p, member, "record %d "
					    "has a field twice", i);
			if (strcmp(f->string, "bn") != 0 &&
			    strcmp(f->string, "n") != 0)
				continue;
			if (!cJSON_IsString(f) || strlen(f->valuestring) >=
			    sizeof(bn))
				return jp_fail(p, member, "record %d: %s is "
				    "not a name relative to the step's path",
				    i, f->string);
			if (f->string[0] == 'b')
				memcpy(bn, f->valuestring,
				    strlen(f->valuestring) + 1);
			else
				rel = f->valuestring;
		}
		if (bn[0] == '/' || (bn[0] == '\0' && rel[0] == '/'))
			return jp_fail(p, member, "record %d: names are "
			    "relative to the step's path (\"14\", not "
			    "\"/3/0/14\")", i);
		snprintf(name, sizeof(name), "%s%s%s%s", base, bn[0] != '\0' ||
		    rel[0] != '\0' ? "/" : "", bn, rel);
		if (strlen(name) >= DM_PATH_LEN)
			return jp_fail(p, member, "record %d: its name is too "
			    "long for an LwM2M path", i);
		if ((rec = cJSON_CreateObject()) == NULL)
			return jp_fail(p, member, "out of memory");
		if (!cJSON_AddItemToArray(pack, rec)) {
			cJSON_Delete(rec);
			return jp_fail(p, member, "out of memory");
		}
		if (cJSON_AddStringToObject(rec, "n", name) == NULL)
			return jp_fail(p, member, "out of memory");
		cJSON_ArrayForEach(f, r) {
			if (strcmp(f->string, "bn") == 0 ||
			    strcmp(f->string, "n") == 0)
				continue;
			if ((dup = cJSON_Duplicate(f, 1)) == NULL ||
			    !cJSON_AddItemToObject(rec, f->string, dup)) {
				cJSON_Delete(dup);
				return jp_fail(p, member, "out of memory");
			}
		}
		i++;
	}
	return 0;
}

/* Every resource the pack names must be writable. Names the model does
 * not know are left to senml_encode, which says why. */
static int
jp_pack_writable(struct jp *p, const char *member, const cJSON *pack)
{
	struct lwm2m_res res;
	const cJSON *r;
	const char *name;
	unsigned ids[4];

	cJSON_ArrayForEach(r, pack) {
		name = r->child->valuestring;
		if (dm_path_valid(name, strlen(name)) && jp_ids(name, ids) >=
		    3 && lwm2m_model_resource(p->model, ids[0], ids[2],
		    &res) == 0 && (res.ops & LWM2M_OP_W) == 0)
			return jp_fail(p, member, "%s: resource %u (%s) of "
			    "object %u is not writable (its operations: %s)",
			    name, ids[2], res.name, ids[0], res.ops != 0 ?
			    lwm2m_ops_name(res.ops) : "none");
	}
	return 0;
}

/*
 * The body of a write, partial-write or create: "value" or "senml" (one,
 * not both; neither only when !need) as a SenML JSON pack of full names
 * under ids[0..n), into s->body. It is checked as the job will send it:
 * encoded to TLV at s->path with the model.
 */
int
jp_body(struct jp *p, const cJSON *o, const unsigned *ids, int n,
    int writable, int need, struct job_step *s)
{
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(o, "value");
	const cJSON *senml = cJSON_GetObjectItemCaseSensitive(o, "senml");
	const char *member = senml != NULL ? "senml" : "value";
	char why[240];
	uint8_t *enc;
	cJSON *pack;
	size_t len;
	int cf, rc = -1;

	if (value != NULL && senml != NULL)
		return jp_fail(p, "senml", "give value or senml, not both");
	if (value == NULL && senml == NULL)
		return need ? jp_fail(p, "value", "missing: the value to "
		    "write (or senml)") : 0;
	if ((pack = cJSON_CreateArray()) == NULL)
		return jp_fail(p, member, "out of memory");
	p->nrecs = 0;
	if ((value != NULL ? jp_value_pack(p, member, value, ids, n, pack) :
	    jp_senml_pack(p, member, senml, ids, n, pack)) == -1 ||
	    (writable && jp_pack_writable(p, member, pack) == -1))
		goto done;
	if (jp_exact_numbers(pack) == -1 ||
	    (s->body = cJSON_PrintUnformatted(pack)) == NULL) {
		jp_fail(p, member, "out of memory");
		goto done;
	}
	if ((s->len = strlen(s->body)) > JOB_STEP_BODY_MAX) {
		jp_fail(p, member, "%zu bytes as SenML JSON, over the %d-byte "
		    "limit of a step", s->len, JOB_STEP_BODY_MAX);
		goto done;
	}
	if ((enc = senml_encode(SENML_CF_TLV, (const uint8_t *)s->body,
	    s->len, s->path, p->model, &cf, &len, why, sizeof(why))) == NULL) {
		jp_fail(p, member, "%s", why);
		goto done;
	}
	free(enc);
	s->senml = 1;
	s->content_format = SENML_CF_JSON;
	rc = 0;
done:
	cJSON_Delete(pack);
	return rc;
}
