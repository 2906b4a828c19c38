/*
 * objmodel.c: the object model (objmodel.h): the built-in definitions of
 * objstd.def as constant tables, and the lookups over a model. The DDF
 * parser is ddf.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/objmodel.h"
#include "lwm2m/objmodel_int.h"

/*
 * The built-in tables hold no pointers, so that they sit in .rodata and
 * need no relocation (a const table of pointers lands in .data.rel.ro,
 * written at every start under PIE): every string lives in one pool, a
 * struct of char arrays, and the rows name them by offset. What they cost
 * (x86-64 and arm64): 8 bytes per object and 12 per resource, and the pool
 * (each name, unit and range with its NUL); test_objmodel prints the sum:
 * 11.7 kB for 25 objects and 330 resources.
 */
#define OBJ(o, name, ver, mult, mand)					\
	char on_##o[sizeof(name)]; char ov_##o[sizeof(ver)];
#define RES(o, r, name, t, op, mult, mand, u, rg)			\
	char rn_##o##_##r[sizeof(name)]; char ru_##o##_##r[sizeof(u)];	\
	char rr_##o##_##r[sizeof(rg)];
struct std_pool {
#include "lwm2m/objstd.def"
};
#undef OBJ
#undef RES

#define OBJ(o, name, ver, mult, mand)	name, ver,
#define RES(o, r, name, t, op, mult, mand, u, rg)	name, u, rg,
static const struct std_pool std_pool = {
#include "lwm2m/objstd.def"
};
#undef OBJ
#undef RES

_Static_assert(sizeof(struct std_pool) <= UINT16_MAX,
    "the pool is named by 16-bit offsets");

#define F_MULTIPLE	0x1
#define F_MANDATORY	0x2
#define F_OPS_SHIFT	2

struct std_obj {
	uint16_t	id, name, version;	/* name, version: in the pool */
	uint8_t		flags;
};

struct std_res {
	uint16_t	oid, id, name, units, range;
	uint8_t		type;			/* enum lwm2m_type */
	uint8_t		flags;			/* F_*, ops << F_OPS_SHIFT */
};

/* The words of objstd.def. */
#define M_ONE		0
#define M_MANY		F_MULTIPLE
#define D_OPT		0
#define D_MAND		F_MANDATORY
#define OPS_NOOP	0
#define OPS_R		(LWM2M_OP_R << F_OPS_SHIFT)
#define OPS_W		(LWM2M_OP_W << F_OPS_SHIFT)
#define OPS_RW		((LWM2M_OP_R | LWM2M_OP_W) << F_OPS_SHIFT)
#define OPS_E		(LWM2M_OP_E << F_OPS_SHIFT)
#define T_NONE		LWM2M_TYPE_NONE
#define T_STR		LWM2M_TYPE_STRING
#define T_INT		LWM2M_TYPE_INTEGER
#define T_UINT		LWM2M_TYPE_UNSIGNED
#define T_FLT		LWM2M_TYPE_FLOAT
#define T_BOOL		LWM2M_TYPE_BOOLEAN
#define T_OPQ		LWM2M_TYPE_OPAQUE
#define T_TIME		LWM2M_TYPE_TIME
#define T_OLNK		LWM2M_TYPE_OBJLNK
#define T_CLNK		LWM2M_TYPE_CORELNK

#define OBJ(o, name, ver, mult, mand)					\
	{ o, offsetof(struct std_pool, on_##o),				\
	    offsetof(struct std_pool, ov_##o), M_##mult | D_##mand },
#define RES(o, r, name, t, op, mult, mand, u, rg)
static const struct std_obj std_objs[] = {
#include "lwm2m/objstd.def"
};
#undef OBJ
#undef RES

#define OBJ(o, name, ver, mult, mand)
#define RES(o, r, name, t, op, mult, mand, u, rg)			\
	{ o, r, offsetof(struct std_pool, rn_##o##_##r),		\
	    offsetof(struct std_pool, ru_##o##_##r),			\
	    offsetof(struct std_pool, rr_##o##_##r), T_##t,		\
	    M_##mult | D_##mand | OPS_##op },
static const struct std_res std_res[] = {
#include "lwm2m/objstd.def"
};
#undef OBJ
#undef RES

#define NSTD_OBJS	(sizeof(std_objs) / sizeof(std_objs[0]))
#define NSTD_RES	(sizeof(std_res) / sizeof(std_res[0]))

static const char *
std_str(uint16_t off)
{
	return (const char *)&std_pool + off;
}

/* The first row of std_res at or after (oid, rid). */
static size_t
std_res_lower(unsigned oid, unsigned rid)
{
	uint32_t key = (uint32_t)oid << 16 | rid;
	size_t lo = 0, hi = NSTD_RES, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (((uint32_t)std_res[mid].oid << 16 | std_res[mid].id) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
std_res_fill(size_t row, struct lwm2m_res *out)
{
	const struct std_res *r = &std_res[row];

	out->id = r->id;
	out->type = (enum lwm2m_type)r->type;
	out->ops = r->flags >> F_OPS_SHIFT;
	out->multiple = (r->flags & F_MULTIPLE) != 0;
	out->mandatory = (r->flags & F_MANDATORY) != 0;
	out->name = std_str(r->name);
	out->units = std_str(r->units);
	out->range = std_str(r->range);
}

static void
std_obj_fill(size_t i, struct lwm2m_obj *out)
{
	const struct std_obj *s = &std_objs[i];
	size_t n;

	memset(out, 0, sizeof(*out));
	out->id = s->id;
	out->multiple = (s->flags & F_MULTIPLE) != 0;
	out->mandatory = (s->flags & F_MANDATORY) != 0;
	out->name = std_str(s->name);
	out->version = std_str(s->version);
	out->first = std_res_lower(s->id, 0);
	for (n = out->first; n < NSTD_RES && std_res[n].oid == s->id; n++)
		;
	out->nres = n - out->first;
}

/* The index in std_objs of oid, or -1. */
static long
std_obj_find(unsigned oid)
{
	size_t lo = 0, hi = NSTD_OBJS, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (std_objs[mid].id < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < NSTD_OBJS && std_objs[lo].id == oid ? (long)lo : -1;
}

int
lwm2m_model_builtin(unsigned oid)
{
	return std_obj_find(oid) >= 0;
}

struct lwm2m_model *
lwm2m_model_new(void)
{
	return calloc(1, sizeof(struct lwm2m_model));
}

void
objmodel_obj_clear(struct lwm2m_obj *o)
{
	size_t i;

	if (o->res != NULL)
		for (i = 0; i < o->nres; i++) {
			free((void *)o->res[i].name);
			free((void *)o->res[i].units);
			free((void *)o->res[i].range);
		}
	free((void *)o->res);
	free((void *)o->name);
	free((void *)o->version);
	free((void *)o->source);
	memset(o, 0, sizeof(*o));
}

void
lwm2m_model_free(struct lwm2m_model *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nobjs; i++)
		objmodel_obj_clear(&m->objs[i]);
	free(m->objs);
	free(m);
}

long
objmodel_find(const struct lwm2m_model *m, unsigned oid)
{
	size_t lo = 0, hi, mid;

	if (m == NULL)
		return -1;
	hi = m->nobjs;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->objs[mid].id < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nobjs && m->objs[lo].id == oid ? (long)lo : -1;
}

static int
objmodel_cmp(const void *a, const void *b)
{
	const struct lwm2m_obj *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int
objmodel_add(struct lwm2m_model *m, struct lwm2m_obj *objs, size_t n,
    char *err, size_t errlen)
{
	struct lwm2m_obj *grown;
	long at;
	size_t i;

	for (i = 0; i < n; i++)
		if ((at = objmodel_find(m, objs[i].id)) >= 0) {
			snprintf(err, errlen, "object %u is defined in %s "
			    "already", (unsigned)objs[i].id,
			    m->objs[at].source);
			return -1;
		}
	if (n == 0)
		return 0;
	if ((grown = realloc(m->objs, (m->nobjs + n) *
	    sizeof(*grown))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(grown + m->nobjs, objs, n * sizeof(*objs));
	m->objs = grown;
	m->nobjs += n;
	qsort(m->objs, m->nobjs, sizeof(*m->objs), objmodel_cmp);
	return 0;
}

size_t
lwm2m_model_file_objects(const struct lwm2m_model *m)
{
	return m != NULL ? m->nobjs : 0;
}

int
lwm2m_model_object(const struct lwm2m_model *m, unsigned oid,
    struct lwm2m_obj *out)
{
	long i;

	if ((i = objmodel_find(m, oid)) >= 0) {
		*out = m->objs[i];
		return 0;
	}
	if ((i = std_obj_find(oid)) < 0)
		return -1;
	std_obj_fill((size_t)i, out);
	return 0;
}

void
lwm2m_obj_resource_at(const struct lwm2m_obj *o, size_t i,
    struct lwm2m_res *out)
{
	if (o->source != NULL)
		*out = o->res[i];
	else
		std_res_fill(o->first + i, out);
}

int
lwm2m_model_resource(const struct lwm2m_model *m, unsigned oid,
    unsigned rid, struct lwm2m_res *out)
{
	const struct lwm2m_obj *o;
	size_t lo, hi, mid;
	long i;

	if (oid > UINT16_MAX || rid > UINT16_MAX)
		return -1;
	if ((i = objmodel_find(m, oid)) >= 0) {
		o = &m->objs[i];
		lo = 0;
		hi = o->nres;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (o->res[mid].id < rid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == o->nres || o->res[lo].id != rid)
			return -1;
		*out = o->res[lo];
		return 0;
	}
	lo = std_res_lower(oid, rid);
	if (lo == NSTD_RES || std_res[lo].oid != oid || std_res[lo].id != rid)
		return -1;
	std_res_fill(lo, out);
	return 0;
}

int
lwm2m_model_walk(const struct lwm2m_model *m,
    int (*cb)(const struct lwm2m_obj *o, void *arg), void *arg)
{
	size_t f = 0, s = 0, nf = m != NULL ? m->nobjs : 0;
	struct lwm2m_obj o;
	int rc;

	while (f < nf || s < NSTD_OBJS) {
		if (s == NSTD_OBJS || (f < nf &&
		    m->objs[f].id <= std_objs[s].id)) {
			if (s < NSTD_OBJS && m->objs[f].id == std_objs[s].id)
				s++;	/* replaced by the file's */
			o = m->objs[f++];
		} else
			std_obj_fill(s++, &o);
		if ((rc = cb(&o, arg)) != 0)
			return rc;
	}
	return 0;
}

const char *
lwm2m_type_name(enum lwm2m_type t)
{
	static const char names[][17] = {
		"none", "String", "Integer", "Unsigned Integer", "Float",
		"Boolean", "Opaque", "Time", "Objlnk", "Corelnk"
	};

	return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

const char *
lwm2m_ops_name(unsigned ops)
{
	switch (ops) {
	case LWM2M_OP_R:
		return "R";
	case LWM2M_OP_W:
		return "W";
	case LWM2M_OP_R | LWM2M_OP_W:
		return "RW";
	case LWM2M_OP_E:
		return "E";
	default:
		return "";
	}
}
