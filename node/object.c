/*
 * object.c: the node object table and the code written once over it:
 * finding an object and a resource, checking that the operation is
 * allowed, calling the object's hook, decoding written values (TLV, into
 * the text/plain the hooks take), encoding values (text/plain, SenML
 * JSON) and the objects' registration links. The objects themselves are
 * the obj_*.c files. See object.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/object.h"
#include "node/senml.h"
#include "node/tlv.h"

extern const struct obj_def obj_device;		/* obj_device.c */
extern const struct obj_def obj_conn;		/* obj_conn.c */
extern const struct obj_def obj_firmware;	/* obj_firmware.c */
extern const struct obj_def obj_software;	/* obj_software.c */
extern const struct obj_def obj_eventlog;	/* obj_eventlog.c */
extern const struct obj_def obj_security;	/* obj_security.c */
extern const struct obj_def obj_server;		/* obj_server.c */

const struct obj_def *const obj_table[] = {
	&obj_device,
	&obj_conn,
	&obj_firmware,
	&obj_software,
	&obj_eventlog,
	&obj_security,
	&obj_server,
	NULL
};

void
obj_init(struct obj *o, const struct node_config *cfg,
    const struct obj_env *env)
{
	const struct obj_def *const *def;
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	o->cfg = cfg;
	o->env = *env;
	snprintf(o->clock.utc_offset, sizeof(o->clock.utc_offset), "+00:00");
	snprintf(o->clock.timezone, sizeof(o->clock.timezone), "UTC");
	for (def = obj_table; *def != NULL && n < OBJ_TABLE_MAX; def++)
		if ((*def)->present == NULL || (*def)->present(cfg))
			o->objs[n++] = *def;
	o->objs[n] = NULL;
	o->table = o->objs;
}

const struct obj_def *
obj_def_find(const struct obj_def *const *table, uint16_t oid)
{
	for (; *table != NULL; table++)
		if ((*table)->oid == oid)
			return *table;
	return NULL;
}

const struct obj_res *
obj_res_find(const struct obj_def *def, uint16_t rid)
{
	size_t i;

	for (i = 0; i < def->nres; i++)
		if (def->res[i].rid == rid)
			return &def->res[i];
	return NULL;
}

int
obj_links(const struct obj_def *const *table, char *buf, size_t len)
{
	size_t used = 0;
	int n;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	for (; *table != NULL; table++) {
		if ((*table)->account)
			continue;
		n = snprintf(buf + used, len - used, "%s</%u/0>",
		    used > 0 ? "," : "", (*table)->oid);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}

void
obj_reconfigured(struct obj *o, const struct node_config *was)
{
	const struct obj_def *const *def;

	for (def = o->table; *def != NULL; def++)
		if ((*def)->reconfigured != NULL)
			(*def)->reconfigured(o, was);
}

void
obj_changed(struct obj *o, const struct fw *fw, uint16_t oid, uint16_t rid)
{
	if (o->changed != NULL)
		o->changed(o->changed_arg, fw, oid, rid);
}

void
obj_set_str(struct obj_value *v, const char *s)
{
	v->type = OBJ_STRING;
	snprintf(v->s, sizeof(v->s), "%s", s);
}

void
obj_set_int(struct obj_value *v, enum obj_type type, int64_t i)
{
	v->type = type;
	v->i = i;
}

/*
 * The object and the row of /oid/0/rid in o's table, or NODE_NOT_FOUND
 * with err. The one place "no resource" is said.
 */
static enum node_result
obj_lookup(const struct obj *o, uint16_t oid, uint16_t rid,
    const struct obj_def **def, const struct obj_res **r, char *err,
    size_t errlen)
{
	if ((*def = obj_def_find(o->table, oid)) == NULL || (*def)->account ||
	    (*r = obj_res_find(*def, rid)) == NULL) {
		snprintf(err, errlen, "no resource /%u/0/%u", oid, rid);
		return NODE_NOT_FOUND;
	}
	return NODE_OK;
}

enum node_result
obj_read(struct obj *o, const char *serial, const struct fw *fw, uint16_t oid,
    uint16_t rid, struct obj_value *v, char *err, size_t errlen)
{
	const struct obj_def *def;
	const struct obj_res *r;
	enum node_result res;

	memset(v, 0, sizeof(*v));
	if ((res = obj_lookup(o, oid, rid, &def, &r, err, errlen)) != NODE_OK)
		return res;
	if (!(r->ops & OBJ_R) || def->read == NULL) {
		snprintf(err, errlen, "/%u/0/%u %s is %s-only", oid, rid,
		    r->name, r->ops & OBJ_E ? "execute" : "write");
		return NODE_NOT_ALLOWED;
	}
	if ((r->ops & OBJ_M)) {
		snprintf(err, errlen, "/%u/0/%u %s has multiple instances: "
		    "read it as SenML JSON (110)", oid, rid, r->name);
		return NODE_NOT_ACCEPTABLE;
	}
	if (r->type == OBJ_OPAQUE && def->read_blob != NULL) {
		snprintf(err, errlen, "/%u/0/%u %s is read alone, as "
		    "application/octet-stream (42)", oid, rid, r->name);
		return NODE_NOT_ACCEPTABLE;
	}
	def->read(o, serial, fw, rid, v);
	if (v->type == OBJ_ABSENT) {
		snprintf(err, errlen, "/%u/0/%u %s: this system does not give "
		    "it", oid, rid, r->name);
		return NODE_NOT_FOUND;
	}
	return NODE_OK;
}

int
obj_read_blob(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t oid, uint16_t rid, char **out, size_t *len,
    enum node_result *res, char *err, size_t errlen)
{
	const struct obj_def *def = obj_def_find(o->table, oid);
	const struct obj_res *r;

	if (def == NULL || def->account || def->read_blob == NULL ||
	    (r = obj_res_find(def, rid)) == NULL || r->type != OBJ_OPAQUE ||
	    !(r->ops & OBJ_R))
		return -1;
	*res = NODE_OK;
	if ((*out = def->read_blob(o, serial, fw, rid, len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		*res = NODE_INTERNAL;
	}
	return 0;
}

enum node_result
obj_read_multi(struct obj *o, uint16_t oid, uint16_t rid,
    struct obj_value *vals, size_t max, size_t *n, char *err, size_t errlen)
{
	const struct obj_def *def;
	const struct obj_res *r;
	enum node_result res;

	*n = 0;
	if ((res = obj_lookup(o, oid, rid, &def, &r, err, errlen)) != NODE_OK)
		return res;
	if (!(r->ops & OBJ_M) || def->read_multi == NULL) {
		snprintf(err, errlen, "/%u/0/%u %s is a single resource", oid,
		    rid, r->name);
		return NODE_NOT_ACCEPTABLE;
	}
	memset(vals, 0, max * sizeof(*vals));
	*n = def->read_multi(o, rid, vals, max);
	return NODE_OK;
}

int
obj_read_number(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t oid, uint16_t rid, double *v)
{
	struct obj_value val;
	char err[128];

	if (obj_read(o, serial, fw, oid, rid, &val, err, sizeof(err)) !=
	    NODE_OK)
		return 0;
	switch (val.type) {
	case OBJ_INT:
	case OBJ_TIME:
		*v = (double)val.i;
		return 1;
	case OBJ_FLOAT:
		*v = val.f;
		return 1;
	default:
		return 0;
	}
}

int
obj_value_text(const struct obj_value *v, char *buf, size_t len)
{
	int n = -1;

	switch (v->type) {
	case OBJ_STRING:
		n = snprintf(buf, len, "%s", v->s);
		break;
	case OBJ_INT:
	case OBJ_TIME:
	case OBJ_BOOL:
		n = snprintf(buf, len, "%" PRId64, v->i);
		break;
	case OBJ_OPAQUE:	/* no text form (LwM2M: octet-stream) */
		break;
	case OBJ_FLOAT:
		n = snprintf(buf, len, "%.15g", v->f);
		break;
	case OBJ_ABSENT:
		break;
	}
	return n < 0 || (size_t)n >= len ? -1 : n;
}

enum node_result
obj_write(struct obj *o, struct fw *fw, uint16_t oid, uint16_t rid,
    const uint8_t *buf, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	const struct obj_def *def;
	const struct obj_res *r;
	enum node_result res;

	*act = OBJ_ACTION_NONE;
	if ((res = obj_lookup(o, oid, rid, &def, &r, err, errlen)) != NODE_OK)
		return res;
	if (!(r->ops & OBJ_W) || def->write == NULL) {
		snprintf(err, errlen, "/%u/0/%u %s is not writable", oid, rid,
		    r->name);
		return NODE_NOT_ALLOWED;
	}
	return def->write(o, fw, rid, buf, len, act, err, errlen);
}

#define CF_TEXT		0
#define CF_OPAQUE	42
#define CF_TLV		11542

/* The row of /oid/0/rid if it is writable, else NODE_NOT_FOUND or
 * NODE_NOT_ALLOWED with err. */
static enum node_result
obj_writable(const struct obj *o, uint16_t oid, uint16_t rid,
    const struct obj_res **r, char *err, size_t errlen)
{
	const struct obj_def *def;
	enum node_result res;

	if ((res = obj_lookup(o, oid, rid, &def, r, err, errlen)) != NODE_OK)
		return res;
	if (!((*r)->ops & OBJ_W) || def->write == NULL) {
		snprintf(err, errlen, "/%u/0/%u %s is not writable", oid, rid,
		    (*r)->name);
		return NODE_NOT_ALLOWED;
	}
	return NODE_OK;
}

enum node_result
obj_write_cf(struct obj *o, struct fw *fw, uint16_t oid, uint16_t rid,
    int cf, const uint8_t *buf, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	const struct obj_res *r;
	enum node_result res;
	struct tlv t;
	char text[OBJ_STR_MAX];
	size_t off = 0, n;
	int rc;

	*act = OBJ_ACTION_NONE;
	if (cf == -1 || cf == CF_TEXT || cf == CF_OPAQUE)
		return obj_write(o, fw, oid, rid, buf, len, act, err, errlen);
	if (cf != CF_TLV) {
		snprintf(err, errlen, "write as text/plain (0) or TLV (11542)");
		return NODE_BAD_FORMAT;
	}
	if ((res = obj_writable(o, oid, rid, &r, err, errlen)) != NODE_OK)
		return res;
	if ((rc = tlv_next(buf, len, &off, &t, err, errlen)) == -1)
		return NODE_BAD_REQUEST;
	if (rc == 0 || off != len || t.kind != TLV_RESOURCE || t.id != rid) {
		snprintf(err, errlen, "a TLV write of /%u/0/%u holds one "
		    "Resource TLV %u", oid, rid, rid);
		return NODE_BAD_REQUEST;
	}
	if (tlv_text(&t, (enum obj_type)r->type, text, sizeof(text), &n, err,
	    errlen) == -1)
		return NODE_BAD_REQUEST;
	return obj_write(o, fw, oid, rid, (const uint8_t *)text, n, act, err,
	    errlen);
}

/* A partial write's resources at most (its TLVs). */
#define OBJ_PARTIAL_MAX	32

enum node_result
obj_write_partial(struct obj *o, struct fw *fw, uint16_t oid,
    const uint8_t *buf, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	struct {
		uint16_t	rid;
		size_t		len;
		char		text[OBJ_STR_MAX];
	} *vals = NULL;
	const struct obj_res *r;
	enum node_result res = NODE_BAD_REQUEST;
	enum obj_action one;
	struct tlv t;
	size_t off = 0, after = 0, n = 0, i;
	int rc;

	*act = OBJ_ACTION_NONE;
	/* One Object Instance TLV 0 around the resources, or them alone. */
	if (tlv_next(buf, len, &after, &t, err, errlen) == 1 &&
	    t.kind == TLV_INSTANCE) {
		if (t.id != 0 || after != len) {
			snprintf(err, errlen, "a partial write of /%u/0 holds "
			    "its resources, or one Object Instance TLV 0", oid);
			return NODE_BAD_REQUEST;
		}
		buf = t.val;
		len = t.len;
	}
	if ((vals = calloc(OBJ_PARTIAL_MAX, sizeof(*vals))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NODE_INTERNAL;
	}
	while ((rc = tlv_next(buf, len, &off, &t, err, errlen)) == 1) {
		if (t.kind != TLV_RESOURCE) {
			snprintf(err, errlen, "a partial write of /%u/0: a TLV "
			    "of kind %d where a single resource belongs", oid,
			    t.kind);
			goto fail;
		}
		if (n == OBJ_PARTIAL_MAX) {
			snprintf(err, errlen, "a partial write of more than "
			    "%d resources", OBJ_PARTIAL_MAX);
			goto fail;
		}
		if ((res = obj_writable(o, oid, t.id, &r, err, errlen)) !=
		    NODE_OK)
			goto fail;
		res = NODE_BAD_REQUEST;
		if (tlv_text(&t, (enum obj_type)r->type, vals[n].text,
		    sizeof(vals[n].text), &vals[n].len, err, errlen) == -1)
			goto fail;
		vals[n++].rid = t.id;
	}
	if (rc == -1)
		goto fail;
	if (n == 0) {
		snprintf(err, errlen, "a partial write of /%u/0 with no "
		    "resource", oid);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		res = obj_write(o, fw, oid, vals[i].rid,
		    (const uint8_t *)vals[i].text, vals[i].len, &one, err,
		    errlen);
		if (res != NODE_OK)
			break;
		if (one != OBJ_ACTION_NONE)
			*act = one;
	}
fail:
	free(vals);
	return res;
}

enum node_result
obj_execute(struct obj *o, struct fw *fw, uint16_t oid, uint16_t rid,
    enum obj_action *act, char *err, size_t errlen)
{
	return obj_execute_args(o, fw, oid, rid, NULL, 0, act, err, errlen);
}

enum node_result
obj_execute_args(struct obj *o, struct fw *fw, uint16_t oid, uint16_t rid,
    const uint8_t *arg, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	const struct obj_def *def;
	const struct obj_res *r;
	enum node_result res;

	*act = OBJ_ACTION_NONE;
	if ((res = obj_lookup(o, oid, rid, &def, &r, err, errlen)) != NODE_OK)
		return res;
	if (!(r->ops & OBJ_E) || def->execute == NULL) {
		snprintf(err, errlen, "/%u/0/%u %s is not executable", oid, rid,
		    r->name);
		return NODE_NOT_ALLOWED;
	}
	return def->execute(o, fw, rid, arg, len, act, err, errlen);
}

/* Records for the multiple resource r of def: "rid/i" each. */
static void
obj_senml_multi(struct obj *o, const struct obj_def *def,
    const struct obj_res *r, struct obj_value *vals, struct senml_rec *recs,
    char (*names)[16], size_t *n, int bare)
{
	size_t i, k;

	k = def->read_multi != NULL ? def->read_multi(o, r->rid, &vals[*n],
	    OBJ_MULTI_MAX) : 0;
	for (i = 0; i < k; i++) {
		if (bare)
			snprintf(names[*n], sizeof(names[*n]), "%u",
			    (unsigned)i);
		else
			snprintf(names[*n], sizeof(names[*n]), "%u/%u",
			    r->rid, (unsigned)i);
		recs[*n].name = names[*n];
		recs[*n].value = &vals[*n];
		(*n)++;
	}
}

char *
obj_read_senml(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t oid, char *err, size_t errlen)
{
	const struct obj_def *def = obj_def_find(o->table, oid);
	const struct obj_res *r;
	struct obj_value *vals = NULL;
	struct senml_rec *recs = NULL;
	char (*names)[16] = NULL, bn[16];
	size_t i, n = 0, max = 0;
	char *out = NULL;

	if (def == NULL || def->nres == 0 || def->account) {
		snprintf(err, errlen, "no object /%u", oid);
		return NULL;
	}
	for (i = 0; i < def->nres; i++)
		max += (def->res[i].ops & OBJ_M) ? OBJ_MULTI_MAX : 1;
	if ((vals = calloc(max, sizeof(*vals))) == NULL ||
	    (recs = calloc(max, sizeof(*recs))) == NULL ||
	    (names = calloc(max, sizeof(*names))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < def->nres; i++) {
		r = &def->res[i];
		if (!(r->ops & OBJ_R))
			continue;
		if ((r->ops & OBJ_M)) {
			obj_senml_multi(o, def, r, vals, recs, names, &n, 0);
			continue;
		}
		if (obj_read(o, serial, fw, oid, r->rid, &vals[n], err,
		    errlen) != NODE_OK)
			continue;	/* not given now */
		snprintf(names[n], sizeof(names[n]), "%u", r->rid);
		recs[n].name = names[n];
		recs[n].value = &vals[n];
		n++;
	}
	snprintf(bn, sizeof(bn), "/%u/0/", oid);
	if ((out = senml_encode(bn, recs, n)) == NULL)
		snprintf(err, errlen, "out of memory");
fail:
	free(names);
	free(recs);
	free(vals);
	return out;
}

char *
obj_read_one_senml(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t oid, uint16_t rid, enum node_result *res, char *err,
    size_t errlen)
{
	const struct obj_def *def = obj_def_find(o->table, oid);
	const struct obj_res *r = def != NULL ? obj_res_find(def, rid) : NULL;
	struct obj_value v, *vals;
	struct senml_rec rec = { NULL, &v }, *recs;
	char bn[24], (*names)[16];
	size_t n = 0;
	char *out;

	if (r != NULL && (r->ops & OBJ_M) && (r->ops & OBJ_R)) {
		vals = calloc(OBJ_MULTI_MAX, sizeof(*vals));
		recs = calloc(OBJ_MULTI_MAX, sizeof(*recs));
		names = calloc(OBJ_MULTI_MAX, sizeof(*names));
		out = NULL;
		if (vals != NULL && recs != NULL && names != NULL) {
			obj_senml_multi(o, def, r, vals, recs, names, &n, 1);
			snprintf(bn, sizeof(bn), "/%u/0/%u/", oid, rid);
			out = senml_encode(bn, recs, n);
		}
		free(names);
		free(recs);
		free(vals);
		*res = out != NULL ? NODE_OK : NODE_INTERNAL;
		if (out == NULL)
			snprintf(err, errlen, "out of memory");
		return out;
	}
	if ((*res = obj_read(o, serial, fw, oid, rid, &v, err, errlen)) !=
	    NODE_OK)
		return NULL;
	snprintf(bn, sizeof(bn), "/%u/0/%u", oid, rid);
	if ((out = senml_encode(bn, &rec, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		*res = NODE_INTERNAL;
	}
	return out;
}
