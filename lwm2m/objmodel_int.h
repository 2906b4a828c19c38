/*
 * objmodel_int.h: what the model (objmodel.c) and the DDF parser (ddf.c)
 * share. Not for the rest of the gateway: objmodel.h is its interface.
 */
#ifndef OUTPOST_OBJMODEL_INT_H
#define OUTPOST_OBJMODEL_INT_H

#include <stddef.h>

struct lwm2m_obj;

/* The objects of operator files, ascending by id. Each object, its
 * resources (o.res) and every string of both are the model's own. */
struct lwm2m_model {
	struct lwm2m_obj	*objs;
	size_t			 nobjs;
};

/* Frees what a file's object owns (not o itself). */
void	objmodel_obj_clear(struct lwm2m_obj *o);

/* The index in m->objs of object oid, or -1. */
long	objmodel_find(const struct lwm2m_model *m, unsigned oid);

/*
 * Moves objs[0..n) (each owned as above; sorted or not) into m, all or
 * none. Returns 0; -1 with err when one of them is in m already (from
 * another source) or memory runs out: the caller still owns them then.
 */
int	objmodel_add(struct lwm2m_model *m, struct lwm2m_obj *objs, size_t n,
	    char *err, size_t errlen);

#endif /* OUTPOST_OBJMODEL_INT_H */
