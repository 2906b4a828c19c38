/*
 * objmodel.h: the LwM2M object model, what each resource of an object is
 * (its name, its data type, its operations). TLV and plain text carry no
 * types, so converting a device's answer needs it (lwm2m/senml_dec.c); the API
 * shows it (GET /v1/objects).
 *
 * A model is the built-in definitions (lwm2m/objstd.def: the core objects
 * 0-7 and 9 and common IPSO objects, constant tables) under the objects of
 * operator files (OMA DDF XML, parsed by lwm2m_ddf_parse). An object that a
 * file defines replaces the built-in one of the same id whole. NULL stands
 * for a model of the built-in objects only.
 *
 * Pure: no I/O, no globals. A model is not changed once built; the gateway
 * builds a new one on reload (modules/device/models.c).
 */
#ifndef OUTPOST_OBJMODEL_H
#define OUTPOST_OBJMODEL_H

#include <stddef.h>
#include <stdint.h>

/* A resource's data type (LwM2M 1.1 Appendix C). */
enum lwm2m_type {
	LWM2M_TYPE_NONE = 0,	/* executables: no value */
	LWM2M_TYPE_STRING,
	LWM2M_TYPE_INTEGER,
	LWM2M_TYPE_UNSIGNED,
	LWM2M_TYPE_FLOAT,
	LWM2M_TYPE_BOOLEAN,
	LWM2M_TYPE_OPAQUE,
	LWM2M_TYPE_TIME,
	LWM2M_TYPE_OBJLNK,
	LWM2M_TYPE_CORELNK
};

/* Operations, as bits. */
#define LWM2M_OP_R	0x1
#define LWM2M_OP_W	0x2
#define LWM2M_OP_E	0x4

#define LWM2M_DDF_MAX		(1024 * 1024)	/* bytes of one DDF file */
#define LWM2M_DDF_OBJECTS_MAX	64	/* objects in one DDF file */
#define LWM2M_DDF_RESOURCES_MAX	1024	/* resources of one object */
#define LWM2M_DDF_TEXT_MAX	255	/* bytes of a name, units, range */

/*
 * One resource as the model describes it. The strings are the model's (or
 * constant): valid while the model lives, never NULL ("" when the
 * definition has none).
 */
struct lwm2m_res {
	uint16_t		 id;
	enum lwm2m_type		 type;
	unsigned		 ops;		/* LWM2M_OP_* */
	int			 multiple;	/* instances of the resource */
	int			 mandatory;
	const char		*name;
	const char		*units;
	const char		*range;		/* RangeEnumeration */
};

/* One object. source is NULL for a built-in object, else the name of the
 * operator file it came from. Its resources are read with
 * lwm2m_obj_resource_at(0 .. nres - 1), in ascending id. */
struct lwm2m_obj {
	uint16_t		 id;
	int			 multiple;	/* instances of the object */
	int			 mandatory;
	const char		*name;
	const char		*version;	/* ObjectVersion, "1.0" if none */
	const char		*source;
	size_t			 nres;
	/* the model's own: */
	const struct lwm2m_res	*res;		/* a file's object */
	size_t			 first;		/* a built-in's first row */
};

struct lwm2m_model;

/* An empty model (the built-in objects only), or NULL when out of memory. */
struct lwm2m_model *lwm2m_model_new(void);
void	lwm2m_model_free(struct lwm2m_model *m);

/*
 * Adds the objects of one DDF document (doc[0..len), the LwM2M registry's
 * XML schema: <LWM2M><Object>...<Resources><Item ID="..">) to m; source
 * names the document in errors and in the objects' source. The document is
 * untrusted: it is parsed by libxml2 without network access, without a DTD
 * (a document with a DOCTYPE is refused, so no entity is ever declared,
 * expanded or read from a file), and within the limits above. All or
 * nothing: on an error m is unchanged and err says "SOURCE:LINE: why"
 * (the line where it is known). Errors: not XML, a root other than LWM2M,
 * no Object, an Object without Name or ObjectID, an id that is not a
 * decimal number 0..65535, an unknown Type, Operations, MultipleInstances
 * or Mandatory, an Item ID twice in one object, an object that m already
 * has from another document, text over LWM2M_DDF_TEXT_MAX bytes, more
 * objects or resources than the limits. Elements the model does not use
 * (descriptions) are skipped. Returns the number of objects added, or -1.
 */
int	lwm2m_ddf_parse(struct lwm2m_model *m, const char *doc, size_t len,
	    const char *source, char *err, size_t errlen);

/* Object oid as m has it (a file's, else the built-in one). Returns 0 and
 * fills *out, or -1 when m has no such object. m may be NULL. */
int	lwm2m_model_object(const struct lwm2m_model *m, unsigned oid,
	    struct lwm2m_obj *out);

/* Resource rid of object oid as m has it. Returns 0 and fills *out, or -1
 * when the object or the resource is unknown. m may be NULL. */
int	lwm2m_model_resource(const struct lwm2m_model *m, unsigned oid,
	    unsigned rid, struct lwm2m_res *out);

/* The i-th resource of o (i < o->nres), in ascending id. */
void	lwm2m_obj_resource_at(const struct lwm2m_obj *o, size_t i,
	    struct lwm2m_res *out);

/* Calls cb for every object of m (files' and built-in) in ascending id
 * until it returns non-zero; returns that, or 0. m may be NULL. */
int	lwm2m_model_walk(const struct lwm2m_model *m,
	    int (*cb)(const struct lwm2m_obj *o, void *arg), void *arg);

/* Whether oid is one of the built-in objects. */
int	lwm2m_model_builtin(unsigned oid);

/* Objects a file gave m. */
size_t	lwm2m_model_file_objects(const struct lwm2m_model *m);

/* "String", "Integer", "Unsigned Integer", ... as the DDF writes them
 * ("none" for LWM2M_TYPE_NONE); "R", "W", "RW", "E", "" for ops. */
const char *lwm2m_type_name(enum lwm2m_type t);
const char *lwm2m_ops_name(unsigned ops);

#endif /* OUTPOST_OBJMODEL_H */
