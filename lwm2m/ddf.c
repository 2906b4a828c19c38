/*
 * ddf.c: one OMA DDF document (the LwM2M registry's object definition XML)
 * into the object model; see lwm2m_ddf_parse in objmodel.h. libxml2 reads
 * the XML; this file only walks the tree it builds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#include "lwm2m/objmodel.h"
#include "lwm2m/objmodel_int.h"

/* One parse: where its first error goes, and what it has built. */
struct ddf {
	const char		*source;
	char			*err;
	size_t			 errlen;
	int			 failed;
	int			 doctype;	/* a DOCTYPE was seen */
	struct lwm2m_obj	*objs;
	size_t			 nobjs;
};

/* Writes the first reason, "SOURCE:LINE: why" (line 0: not known). */
static int __attribute__((format(printf, 3, 4)))
ddf_fail(struct ddf *d, long line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->failed)
		return -1;
	d->failed = 1;
	if (d->errlen == 0)
		return -1;
	n = line > 0 ? snprintf(d->err, d->errlen, "%s:%ld: ", d->source,
	    line) : snprintf(d->err, d->errlen, "%s: ", d->source);
	if (n < 0 || (size_t)n >= d->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* libxml2's errors: the first one is the reason. */
static void
ddf_xml_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct ddf *d = ctxt->_private;
	char msg[256];
	size_t n;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message != NULL ? e->message :
	    "not well-formed XML");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	ddf_fail(d, e->line, "not XML: %s", msg);
}

/* A DOCTYPE: the parse stops before any declaration in it is read, so no
 * entity is ever declared, expanded or loaded. */
static void
ddf_doctype(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct ddf *d = ctxt->_private;

	(void)name;
	(void)eid;
	(void)sid;
	d->doctype = 1;
	ddf_fail(d, xmlSAX2GetLineNumber(ctx), "a DOCTYPE is not allowed "
	    "(no DTD, no entities)");
	xmlStopParser(ctxt);
}

static int
ddf_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

/* The first child element of parent called name, or NULL. */
static xmlNode *
ddf_child(xmlNode *parent, const char *name)
{
	xmlNode *n;

	for (n = parent->children; n != NULL; n = n->next)
		if (ddf_is(n, name))
			return n;
	return NULL;
}

/*
 * The text of element n (NULL: absent, taken as ""), without surrounding
 * white space, as a string the caller frees; NULL after a failure.
 */
static char *
ddf_text(struct ddf *d, xmlNode *n, const char *what)
{
	xmlChar *raw = n != NULL ? xmlNodeGetContent(n) : NULL;
	const char *s = raw != NULL ? (const char *)raw : "";
	size_t len;
	char *out;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	if (len > LWM2M_DDF_TEXT_MAX) {
		xmlFree(raw);
		ddf_fail(d, xmlGetLineNo(n), "%s is longer than %d bytes",
		    what, LWM2M_DDF_TEXT_MAX);
		return NULL;
	}
	if ((out = strndup(s, len)) == NULL)
		ddf_fail(d, 0, "out of memory");
	xmlFree(raw);
	return out;
}

/* An id: decimal 0..65535, digits only. */
static int
ddf_id(struct ddf *d, const char *s, long line, const char *what,
    uint16_t *out)
{
	unsigned long v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && v <= 65535; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (*s == '\0' || *p != '\0' || v > 65535)
		return ddf_fail(d, line, "%s '%.32s' is not a decimal number "
		    "0..65535", what, s);
	*out = (uint16_t)v;
	return 0;
}

/* One of words[] (case-insensitive), its index in *out. */
static int
ddf_word(struct ddf *d, xmlNode *n, const char *what,
    const char *const *words, size_t nwords, int dflt, int *out)
{
	char *s;
	size_t i;

	if (n == NULL) {
		*out = dflt;
		return 0;
	}
	if ((s = ddf_text(d, n, what)) == NULL)
		return -1;
	for (i = 0; i < nwords; i++)
		if (strcasecmp(s, words[i]) == 0) {
			*out = (int)i;
			free(s);
			return 0;
		}
	ddf_fail(d, xmlGetLineNo(n), "%s '%.32s' is none of %s%s%s%s", what,
	    s, words[0], nwords > 1 ? ", " : "", nwords > 1 ? words[1] : "",
	    nwords > 2 ? ", ..." : "");
	free(s);
	return -1;
}

static const char *const ddf_multiple[] = { "Single", "Multiple" };
static const char *const ddf_mandatory[] = { "Optional", "Mandatory" };

/* One <Item> into r. */
static int
ddf_item(struct ddf *d, xmlNode *item, struct lwm2m_res *r)
{
	static const char *const types[] = {
		"", "String", "Integer", "Unsigned Integer", "Float",
		"Boolean", "Opaque", "Time", "Objlnk", "Corelnk"
	};
	static const char *const ops[] = { "", "R", "W", "RW", "E" };
	static const unsigned op_bits[] = { 0, LWM2M_OP_R, LWM2M_OP_W,
	    LWM2M_OP_R | LWM2M_OP_W, LWM2M_OP_E };
	long line = xmlGetLineNo(item);
	xmlChar *id;
	int rc, v;

	if ((id = xmlGetProp(item, (const xmlChar *)"ID")) == NULL)
		return ddf_fail(d, line, "an Item without an ID");
	rc = ddf_id(d, (const char *)id, line, "Item ID", &r->id);
	xmlFree(id);
	if (rc == -1)
		return -1;
	if (ddf_child(item, "Name") == NULL)
		return ddf_fail(d, line, "Item %u has no Name",
		    (unsigned)r->id);
	if ((r->name = ddf_text(d, ddf_child(item, "Name"), "Name")) == NULL ||
	    (r->units = ddf_text(d, ddf_child(item, "Units"),
	    "Units")) == NULL ||
	    (r->range = ddf_text(d, ddf_child(item, "RangeEnumeration"),
	    "RangeEnumeration")) == NULL)
		return -1;
	if (ddf_word(d, ddf_child(item, "Type"), "Type", types,
	    sizeof(types) / sizeof(types[0]), 0, &v) == -1)
		return -1;
	r->type = (enum lwm2m_type)v;
	if (ddf_word(d, ddf_child(item, "Operations"), "Operations", ops,
	    sizeof(ops) / sizeof(ops[0]), 0, &v) == -1)
		return -1;
	r->ops = op_bits[v];
	if (ddf_word(d, ddf_child(item, "MultipleInstances"),
	    "MultipleInstances", ddf_multiple, 2, 0, &r->multiple) == -1 ||
	    ddf_word(d, ddf_child(item, "Mandatory"), "Mandatory",
	    ddf_mandatory, 2, 0, &r->mandatory) == -1)
		return -1;
	return 0;
}

static int
ddf_res_cmp(const void *a, const void *b)
{
	const struct lwm2m_res *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The <Resources> of o: every <Item>, sorted by id, no id twice. */
static int
ddf_resources(struct ddf *d, xmlNode *obj, struct lwm2m_obj *o)
{
	xmlNode *list = ddf_child(obj, "Resources"), *n;
	struct lwm2m_res *res;
	size_t count = 0, i;

	if (list == NULL)
		return ddf_fail(d, xmlGetLineNo(obj), "object %u has no "
		    "Resources", (unsigned)o->id);
	for (n = list->children; n != NULL; n = n->next)
		if (ddf_is(n, "Item") && ++count > LWM2M_DDF_RESOURCES_MAX)
			return ddf_fail(d, xmlGetLineNo(n), "object %u has "
			    "more than %d resources", (unsigned)o->id,
			    LWM2M_DDF_RESOURCES_MAX);
	if ((res = calloc(count + 1, sizeof(*res))) == NULL)
		return ddf_fail(d, 0, "out of memory");
	o->res = res;
	for (n = list->children; n != NULL; n = n->next) {
		if (!ddf_is(n, "Item"))
			continue;
		o->nres++;	/* cleared with o, filled or not */
		if (ddf_item(d, n, &res[o->nres - 1]) == -1)
			return -1;
		for (i = 0; i + 1 < o->nres; i++)
			if (res[i].id == res[o->nres - 1].id)
				return ddf_fail(d, xmlGetLineNo(n), "object "
				    "%u: Item ID %u appears twice",
				    (unsigned)o->id, (unsigned)res[i].id);
	}
	qsort(res, o->nres, sizeof(*res), ddf_res_cmp);
	return 0;
}

/* One <Object> into o. */
static int
ddf_object(struct ddf *d, xmlNode *obj, struct lwm2m_obj *o)
{
	xmlNode *id = ddf_child(obj, "ObjectID");
	char *s;
	int rc;

	if (id == NULL)
		return ddf_fail(d, xmlGetLineNo(obj), "an Object without an "
		    "ObjectID");
	if ((s = ddf_text(d, id, "ObjectID")) == NULL)
		return -1;
	rc = ddf_id(d, s, xmlGetLineNo(id), "ObjectID", &o->id);
	free(s);
	if (rc == -1)
		return -1;
	if (ddf_child(obj, "Name") == NULL)
		return ddf_fail(d, xmlGetLineNo(obj), "object %u has no Name",
		    (unsigned)o->id);
	if ((o->name = ddf_text(d, ddf_child(obj, "Name"), "Name")) == NULL ||
	    (o->version = ddf_text(d, ddf_child(obj, "ObjectVersion"),
	    "ObjectVersion")) == NULL)
		return -1;
	if (o->version[0] == '\0') {
		free((void *)o->version);
		if ((o->version = strdup("1.0")) == NULL)
			return ddf_fail(d, 0, "out of memory");
	}
	if ((o->source = strdup(d->source)) == NULL)
		return ddf_fail(d, 0, "out of memory");
	if (ddf_word(d, ddf_child(obj, "MultipleInstances"),
	    "MultipleInstances", ddf_multiple, 2, 0, &o->multiple) == -1 ||
	    ddf_word(d, ddf_child(obj, "Mandatory"), "Mandatory",
	    ddf_mandatory, 2, 0, &o->mandatory) == -1)
		return -1;
	return ddf_resources(d, obj, o);
}

/* Every <Object> under the root, none twice. */
static int
ddf_objects(struct ddf *d, xmlNode *root)
{
	xmlNode *n;
	size_t count = 0, i;

	for (n = root->children; n != NULL; n = n->next)
		if (ddf_is(n, "Object") && ++count > LWM2M_DDF_OBJECTS_MAX)
			return ddf_fail(d, xmlGetLineNo(n), "more than %d "
			    "objects", LWM2M_DDF_OBJECTS_MAX);
	if (count == 0)
		return ddf_fail(d, xmlGetLineNo(root), "no Object in LWM2M");
	if ((d->objs = calloc(count, sizeof(*d->objs))) == NULL)
		return ddf_fail(d, 0, "out of memory");
	for (n = root->children; n != NULL; n = n->next) {
		if (!ddf_is(n, "Object"))
			continue;
		d->nobjs++;
		if (ddf_object(d, n, &d->objs[d->nobjs - 1]) == -1)
			return -1;
		for (i = 0; i + 1 < d->nobjs; i++)
			if (d->objs[i].id == d->objs[d->nobjs - 1].id)
				return ddf_fail(d, xmlGetLineNo(n), "object "
				    "%u appears twice", (unsigned)d->objs[i].id);
	}
	return 0;
}

/* Parses doc with libxml2: no network, no DTD, no entity substitution,
 * the default limits (no XML_PARSE_HUGE). NULL after a failure. */
static xmlDoc *
ddf_read(struct ddf *d, const char *doc, size_t len)
{
	xmlParserCtxtPtr ctxt;
	xmlDoc *x = NULL;

	xmlInitParser();
	if ((ctxt = xmlCreateMemoryParserCtxt(doc, (int)len)) == NULL) {
		ddf_fail(d, 0, "out of memory");
		return NULL;
	}
	ctxt->_private = d;
	ctxt->sax->internalSubset = ddf_doctype;
	ctxt->sax->serror = ddf_xml_error;
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	(void)xmlParseDocument(ctxt);
	if (ctxt->wellFormed && !d->doctype && !d->failed)
		x = ctxt->myDoc;
	else {
		xmlFreeDoc(ctxt->myDoc);
		ddf_fail(d, 0, "not XML");
	}
	ctxt->myDoc = NULL;
	xmlFreeParserCtxt(ctxt);
	return x;
}

int
lwm2m_ddf_parse(struct lwm2m_model *m, const char *doc, size_t len,
    const char *source, char *err, size_t errlen)
{
	struct ddf d;
	xmlDoc *x = NULL;
	xmlNode *root;
	size_t i;
	int rc = -1;

	memset(&d, 0, sizeof(d));
	d.source = source != NULL ? source : "DDF";
	d.err = err;
	d.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (doc == NULL || len == 0) {
		ddf_fail(&d, 0, "empty");
		return -1;
	}
	if (len > LWM2M_DDF_MAX) {
		ddf_fail(&d, 0, "%zu bytes, more than %d", len, LWM2M_DDF_MAX);
		return -1;
	}
	if ((x = ddf_read(&d, doc, len)) == NULL)
		goto done;
	if ((root = xmlDocGetRootElement(x)) == NULL || !ddf_is(root,
	    "LWM2M")) {
		ddf_fail(&d, root != NULL ? xmlGetLineNo(root) : 0, "the root "
		    "element is %s, not LWM2M", root != NULL ?
		    (const char *)root->name : "missing");
		goto done;
	}
	if (ddf_objects(&d, root) == -1)
		goto done;
	if (objmodel_add(m, d.objs, d.nobjs, err, errlen) == -1) {
		/* objmodel_add wrote the reason; name the file too. */
		char why[256];

		snprintf(why, sizeof(why), "%s", errlen > 0 ? err : "");
		ddf_fail(&d, 0, "%s", why);
		goto done;
	}
	rc = (int)d.nobjs;
	d.nobjs = 0;	/* m owns them now */
done:
	for (i = 0; i < d.nobjs; i++)
		objmodel_obj_clear(&d.objs[i]);
	free(d.objs);
	xmlFreeDoc(x);
	return rc;
}
