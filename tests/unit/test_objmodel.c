/*
 * test_objmodel.c: unit tests for the object model (lwm2m/objmodel.c) and
 * the DDF parser (lwm2m/ddf.c): the built-in objects and their lookups,
 * the tables' order and what they cost, a real registry file
 * (tests/unit/ddf/3303.xml, the OMA registry's Temperature 1.0) replacing
 * the built-in object, vendor objects, and hostile documents (cut short at
 * every byte, entities, external DTDs and entities, huge counts, wrong
 * types, duplicate and non-numeric ids), each refused with the file's name
 * and line and leaving the model as it was; and the conversion of TLV by a
 * model with a file's objects.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/objmodel.h"
#include "lwm2m/senml.h"

#define REGISTRY_3303	"tests/unit/ddf/3303.xml"

static char err[512];

/* The whole of path, NUL-terminated; its length in *len. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Parses doc (an exact-size heap copy, for ASan) into m as "t.xml". */
static int
parse(struct lwm2m_model *m, const char *doc, size_t len)
{
	char *copy = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, doc, len);
	memset(err, 'x', sizeof(err));
	rc = lwm2m_ddf_parse(m, len > 0 ? copy : NULL, len, "t.xml", err,
	    sizeof(err));
	free(copy);
	assert_non_null(memchr(err, '\0', sizeof(err)));
	if (rc >= 0)
		assert_string_equal(err, "");
	else if (strncmp(err, "t.xml:", 6) != 0)
		fail_msg("error without the file's name: %s", err);
	return rc;
}

/* doc must be refused with a reason holding want; m keeps what it had. */
static void
parse_fail(const char *doc, const char *want)
{
	struct lwm2m_model *m = lwm2m_model_new();
	struct lwm2m_obj o;

	assert_non_null(m);
	if (parse(m, doc, strlen(doc)) != -1)
		fail_msg("accepted, want \"%s\"", want);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\", want \"%s\"", err, want);
	assert_int_equal(lwm2m_model_file_objects(m), 0);
	assert_int_equal(lwm2m_model_object(m, 33000, &o), -1);
	lwm2m_model_free(m);
}

/* A vendor document: head, then items, then tail. */
#define DOC_HEAD(oid)							\
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"			\
	"<LWM2M><Object ObjectType=\"MODefinition\">\n"		\
	"<Name>Vendor</Name><ObjectID>" oid "</ObjectID>\n"		\
	"<ObjectVersion>2.1</ObjectVersion>\n"				\
	"<MultipleInstances>Multiple</MultipleInstances>\n"		\
	"<Mandatory>Optional</Mandatory>\n<Resources>\n"
#define DOC_TAIL	"</Resources></Object></LWM2M>\n"
#define ITEM(id, name, ops, type)					\
	"<Item ID=\"" id "\"><Name>" name "</Name><Operations>" ops	\
	"</Operations><MultipleInstances>Single</MultipleInstances>"	\
	"<Mandatory>Optional</Mandatory><Type>" type "</Type>"		\
	"<RangeEnumeration></RangeEnumeration><Units></Units>"		\
	"<Description>x</Description></Item>\n"
#define VENDOR	DOC_HEAD("33000") ITEM("1", "Mode", "RW", "String")	\
	ITEM("0", "Enabled", "RW", "Boolean")				\
	ITEM("7", "Link", "R", "Corelnk")				\
	ITEM("9", "Kick", "E", "")					\
	ITEM("8", "Count", "R", "Unsigned Integer") DOC_TAIL

/* ---- the built-in objects ---- */

static void
test_builtin_lookup(void **state)
{
	struct lwm2m_res r;
	struct lwm2m_obj o;

	(void)state;
	assert_int_equal(lwm2m_model_resource(NULL, 3, 16, &r), 0);
	assert_int_equal(r.id, 16);
	assert_int_equal(r.type, LWM2M_TYPE_STRING);
	assert_string_equal(r.name, "Supported Binding and Modes");
	assert_int_equal(r.ops, LWM2M_OP_R);
	assert_false(r.multiple);
	assert_true(r.mandatory);
	assert_string_equal(r.units, "");
	assert_int_equal(lwm2m_model_resource(NULL, 3, 4, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_NONE);
	assert_int_equal(r.ops, LWM2M_OP_E);
	assert_int_equal(lwm2m_model_resource(NULL, 3, 9, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_INTEGER);
	assert_string_equal(r.units, "/100");
	assert_string_equal(r.range, "0..100");
	assert_int_equal(lwm2m_model_resource(NULL, 3, 11, &r), 0);
	assert_true(r.multiple);
	assert_int_equal(lwm2m_model_resource(NULL, 1, 1, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_UNSIGNED);
	assert_int_equal(r.ops, LWM2M_OP_R | LWM2M_OP_W);
	assert_int_equal(lwm2m_model_resource(NULL, 0, 5, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_OPAQUE);
	assert_int_equal(r.ops, 0);	/* not for servers */
	assert_int_equal(lwm2m_model_resource(NULL, 5, 3, &r), 0);
	assert_string_equal(r.name, "State");
	assert_int_equal(lwm2m_model_resource(NULL, 6, 0, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_FLOAT);
	assert_string_equal(r.units, "lat");
	assert_int_equal(lwm2m_model_resource(NULL, 3303, 5700, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_FLOAT);
	assert_string_equal(r.name, "Sensor Value");
	assert_int_equal(lwm2m_model_resource(NULL, 3311, 5850, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_BOOLEAN);
	assert_int_equal(lwm2m_model_resource(NULL, 3, 22, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_OBJLNK);
	/* The other common IPSO objects (registry version 1.1). */
	assert_int_equal(lwm2m_model_resource(NULL, 3300, 5751, &r), 0);
	assert_string_equal(r.name, "Sensor Type");
	assert_int_equal(lwm2m_model_resource(NULL, 3313, 5702, &r), 0);
	assert_true(r.mandatory);
	assert_int_equal(lwm2m_model_resource(NULL, 3313, 5601, &r), -1);
	assert_int_equal(lwm2m_model_resource(NULL, 3317, 5821, &r), 0);
	assert_int_equal(r.ops, LWM2M_OP_R | LWM2M_OP_W);
	assert_int_equal(lwm2m_model_resource(NULL, 3336, 5514, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_STRING);
	assert_int_equal(lwm2m_model_resource(NULL, 3336, 5705, &r), 0);
	assert_string_equal(r.units, "deg");
	assert_string_equal(r.range, "0..360");
	assert_int_equal(lwm2m_model_resource(NULL, 3342, 5500, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_BOOLEAN);
	assert_int_equal(lwm2m_model_resource(NULL, 3342, 5854, &r), 0);
	assert_string_equal(r.name, "Off Time");
	assert_int_equal(lwm2m_model_resource(NULL, 3347, 5501, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_INTEGER);
	assert_int_equal(lwm2m_model_resource(NULL, 3347, 5852, &r), -1);
	/* What is not there. */
	assert_int_equal(lwm2m_model_resource(NULL, 3, 23, &r), -1);
	assert_int_equal(lwm2m_model_resource(NULL, 5, 4, &r), -1);
	assert_int_equal(lwm2m_model_resource(NULL, 8, 0, &r), -1);
	assert_int_equal(lwm2m_model_resource(NULL, 65535, 0, &r), -1);
	assert_int_equal(lwm2m_model_resource(NULL, 65536 + 3, 16, &r), -1);
	assert_int_equal(lwm2m_model_resource(NULL, 3, 65536 + 16, &r), -1);
	/* Objects. */
	assert_int_equal(lwm2m_model_object(NULL, 3, &o), 0);
	assert_string_equal(o.name, "Device");
	assert_string_equal(o.version, "1.2");
	assert_false(o.multiple);
	assert_true(o.mandatory);
	assert_null(o.source);
	assert_int_equal(o.nres, 23);
	lwm2m_obj_resource_at(&o, 22, &r);
	assert_int_equal(r.id, 22);
	assert_int_equal(lwm2m_model_object(NULL, 3303, &o), 0);
	assert_true(o.multiple);
	assert_int_equal(lwm2m_model_object(NULL, 8, &o), -1);
	assert_true(lwm2m_model_builtin(9));
	assert_false(lwm2m_model_builtin(8));
	/* An empty model is the built-in one. */
	{
		struct lwm2m_model *m = lwm2m_model_new();

		assert_int_equal(lwm2m_model_resource(m, 3, 16, &r), 0);
		assert_int_equal(r.type, LWM2M_TYPE_STRING);
		lwm2m_model_free(m);
	}
	lwm2m_model_free(NULL);
	assert_string_equal(lwm2m_type_name(LWM2M_TYPE_UNSIGNED),
	    "Unsigned Integer");
	assert_string_equal(lwm2m_type_name(LWM2M_TYPE_NONE), "none");
	assert_string_equal(lwm2m_ops_name(LWM2M_OP_R | LWM2M_OP_W), "RW");
	assert_string_equal(lwm2m_ops_name(0), "");
}

struct tally {
	unsigned	 last;
	size_t		 objs, res, bytes;
	int		 seen[10];
};

/* Every object in ascending id, every resource in ascending id, each
 * named; sums what the tables cost (objmodel.c's comment). */
static int
tally_one(const struct lwm2m_obj *o, void *arg)
{
	struct tally *t = arg;
	struct lwm2m_res r;
	unsigned last = 0;
	size_t i;

	if (t->objs > 0 && o->id <= t->last)
		fail_msg("object %u after %u", (unsigned)o->id, t->last);
	t->last = o->id;
	t->objs++;
	assert_true(o->name[0] != '\0');
	assert_true(o->nres > 0);
	t->bytes += 8 + strlen(o->name) + 1 + strlen(o->version) + 1;
	for (i = 0; i < o->nres; i++) {
		lwm2m_obj_resource_at(o, i, &r);
		if (i > 0 && r.id <= last)
			fail_msg("object %u: resource %u after %u",
			    (unsigned)o->id, (unsigned)r.id, last);
		last = r.id;
		assert_true(r.name[0] != '\0');
		assert_true(r.type != LWM2M_TYPE_NONE || r.ops == LWM2M_OP_E);
		t->bytes += 12 + strlen(r.name) + 1 + strlen(r.units) + 1 +
		    strlen(r.range) + 1;
		t->res++;
	}
	if (o->id < 10)
		t->seen[o->id] = 1;
	return 0;
}

static void
test_builtin_tables(void **state)
{
	static const unsigned ipso[] = { 3300, 3301, 3303, 3304, 3311,
	    3313, 3315, 3316, 3317, 3320, 3323, 3328, 3336, 3342, 3347 };
	struct tally t;
	struct lwm2m_obj o;
	size_t i;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(lwm2m_model_walk(NULL, tally_one, &t), 0);
	for (i = 0; i < 10; i++)
		if (i != 8 && !t.seen[i])
			fail_msg("object %zu is not built in", i);
	for (i = 0; i < sizeof(ipso) / sizeof(ipso[0]); i++)
		assert_int_equal(lwm2m_model_object(NULL, ipso[i], &o), 0);
	print_message("built-in objects: %zu objects, %zu resources, %zu "
	    "bytes of tables\n", t.objs, t.res, t.bytes);
	/* The figures of objmodel.c's comment. */
	assert_int_equal(t.objs, 25);
	assert_int_equal(t.res, 330);
	assert_true(t.bytes < 12 * 1024);
}

/* ---- DDF files ---- */

/* The registry's 3303 (1.0) replaces the built-in 3303 (1.1) whole. */
static void
test_ddf_registry(void **state)
{
	struct lwm2m_model *m = lwm2m_model_new();
	struct lwm2m_res r;
	struct lwm2m_obj o;
	struct tally t;
	size_t len;
	char *doc = slurp(REGISTRY_3303, &len);

	(void)state;
	assert_int_equal(parse(m, doc, len), 1);
	assert_int_equal(lwm2m_model_file_objects(m), 1);
	assert_int_equal(lwm2m_model_object(m, 3303, &o), 0);
	assert_string_equal(o.name, "Temperature");
	assert_string_equal(o.version, "1.0");
	assert_string_equal(o.source, "t.xml");
	assert_true(o.multiple);
	assert_false(o.mandatory);
	assert_int_equal(o.nres, 7);
	/* Sorted by id, whatever the file's order (5605 came last). */
	lwm2m_obj_resource_at(&o, 4, &r);
	assert_int_equal(r.id, 5605);
	assert_int_equal(r.type, LWM2M_TYPE_NONE);
	assert_int_equal(r.ops, LWM2M_OP_E);
	assert_int_equal(lwm2m_model_resource(m, 3303, 5700, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_FLOAT);
	assert_true(r.mandatory);
	assert_int_equal(lwm2m_model_resource(m, 3303, 5701, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_STRING);
	/* 1.1's Application Type is not in 1.0: the file replaced it all. */
	assert_int_equal(lwm2m_model_resource(m, 3303, 5750, &r), -1);
	assert_int_equal(lwm2m_model_resource(NULL, 3303, 5750, &r), 0);
	/* The walk shows 3303 once, the file's. */
	memset(&t, 0, sizeof(t));
	lwm2m_model_walk(m, tally_one, &t);
	assert_int_equal(lwm2m_model_object(m, 3304, &o), 0);
	assert_null(o.source);
	/* The same object again, from another document: refused. */
	assert_int_equal(parse(m, doc, len), -1);
	assert_non_null(strstr(err, "object 3303 is defined in t.xml already"));
	assert_int_equal(lwm2m_model_file_objects(m), 1);
	lwm2m_model_free(m);
	free(doc);
}

/* Every proper prefix of the registry file is refused, naming the file. */
static void
test_ddf_truncated(void **state)
{
	struct lwm2m_model *m = lwm2m_model_new();
	size_t len, l;
	char *doc = slurp(REGISTRY_3303, &len);

	(void)state;
	for (l = 0; l < len - 1; l++) {	/* the last byte is a newline */
		if (parse(m, doc, l) != -1)
			fail_msg("a prefix of %zu bytes was accepted", l);
		assert_int_equal(lwm2m_model_file_objects(m), 0);
	}
	assert_int_equal(parse(m, doc, len - 1), 1);
	lwm2m_model_free(m);
	free(doc);
}

static int
find_vendor(const struct lwm2m_obj *o, void *arg)
{
	if (o->id != 33000)
		return 0;
	*(int *)arg += 1;
	return 7;
}

static void
test_ddf_vendor(void **state)
{
	struct lwm2m_model *m = lwm2m_model_new();
	struct lwm2m_res r;
	struct lwm2m_obj o;
	int seen = 0;

	(void)state;
	assert_int_equal(parse(m, VENDOR, strlen(VENDOR)), 1);
	assert_int_equal(lwm2m_model_object(m, 33000, &o), 0);
	assert_string_equal(o.version, "2.1");
	assert_int_equal(o.nres, 5);
	assert_int_equal(lwm2m_model_resource(m, 33000, 0, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_BOOLEAN);
	assert_int_equal(lwm2m_model_resource(m, 33000, 7, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_CORELNK);
	assert_int_equal(lwm2m_model_resource(m, 33000, 8, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_UNSIGNED);
	assert_int_equal(lwm2m_model_resource(m, 33000, 9, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_NONE);
	assert_int_equal(lwm2m_model_resource(m, 33000, 2, &r), -1);
	/* The walk stops where its callback says, and passes that on. */
	assert_int_equal(lwm2m_model_walk(m, find_vendor, &seen), 7);
	assert_int_equal(seen, 1);
	/* The built-in objects are still there. */
	assert_int_equal(lwm2m_model_resource(m, 3, 16, &r), 0);
	lwm2m_model_free(m);
}

/* What a DDF may leave out, and what it may hold besides. */
static void
test_ddf_lenient(void **state)
{
	static const char two[] = "<LWM2M>"
	    "<!-- a comment --><Other/>"
	    "<Object><Name> First </Name><ObjectID> 40000 </ObjectID>"
	    "<Resources><Item ID=\"3\"><Name>A</Name>"
	    "<Type>float</Type><Operations>rw</Operations></Item>"
	    "</Resources></Object>"
	    "<Object><ObjectID>40001</ObjectID><Name><![CDATA[B & C]]></Name>"
	    "<Resources/></Object></LWM2M>";
	struct lwm2m_model *m = lwm2m_model_new();
	struct lwm2m_res r;
	struct lwm2m_obj o;

	(void)state;
	assert_int_equal(parse(m, two, strlen(two)), 2);
	assert_int_equal(lwm2m_model_object(m, 40000, &o), 0);
	assert_string_equal(o.name, "First");
	assert_string_equal(o.version, "1.0");
	assert_false(o.multiple);
	assert_int_equal(lwm2m_model_resource(m, 40000, 3, &r), 0);
	assert_int_equal(r.type, LWM2M_TYPE_FLOAT);
	assert_int_equal(r.ops, LWM2M_OP_R | LWM2M_OP_W);
	assert_false(r.multiple);
	assert_false(r.mandatory);
	assert_string_equal(r.units, "");
	assert_string_equal(r.range, "");
	assert_int_equal(lwm2m_model_object(m, 40001, &o), 0);
	assert_string_equal(o.name, "B & C");
	assert_int_equal(o.nres, 0);
	lwm2m_model_free(m);
}

static void
test_ddf_hostile_xml(void **state)
{
	char *big;

	(void)state;
	parse_fail("", "t.xml: empty");
	parse_fail("not xml", "t.xml:1: not XML");
	parse_fail("<LWM2M><Object>", "not XML");
	parse_fail("<LWM2M></LWM2N>", "not XML");
	parse_fail("\xff\xfe<\0L\0", "not XML");
	parse_fail("<Objects/>", "t.xml:1: the root element is Objects, not "
	    "LWM2M");
	parse_fail("<LWM2M/>", "no Object in LWM2M");
	parse_fail("<LWM2M>\n<Other/></LWM2M>", "no Object in LWM2M");
	/* Entities: an internal DTD (a billion laughs) is refused before a
	 * single one is declared. */
	parse_fail("<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE LWM2M [\n"
	    "<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	    "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	    "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	    "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	    "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	    "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
	    "]>\n" DOC_HEAD("33000") ITEM("1", "&g;", "R", "String")
	    DOC_TAIL, "t.xml:2: a DOCTYPE is not allowed");
	/* An external entity naming a file, an external DTD. */
	parse_fail("<!DOCTYPE LWM2M [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]>\n" DOC_HEAD("33000")
	    ITEM("1", "&x;", "R", "String") DOC_TAIL,
	    "a DOCTYPE is not allowed");
	parse_fail("<!DOCTYPE LWM2M SYSTEM \"file:///etc/passwd\">\n"
	    DOC_HEAD("33000") ITEM("1", "a", "R", "String") DOC_TAIL,
	    "a DOCTYPE is not allowed");
	parse_fail("<!DOCTYPE LWM2M PUBLIC \"-//x//y\" "
	    "\"http://192.0.2.1/x.dtd\">\n<LWM2M/>",
	    "a DOCTYPE is not allowed");
	/* An entity used without a declaration. */
	parse_fail(DOC_HEAD("33000") ITEM("1", "&x;", "R", "String")
	    DOC_TAIL, "not XML");
	/* XInclude is not processed: the element is one the model skips. */
	{
		static const char xi[] = "<LWM2M xmlns:xi=\"http://www.w3.org"
		    "/2001/XInclude\"><Object><Name>X</Name><ObjectID>33000"
		    "</ObjectID><Resources><xi:include href=\"/etc/passwd\" "
		    "parse=\"text\"/></Resources></Object></LWM2M>";
		struct lwm2m_model *m = lwm2m_model_new();
		struct lwm2m_obj o;

		assert_int_equal(parse(m, xi, strlen(xi)), 1);
		assert_int_equal(lwm2m_model_object(m, 33000, &o), 0);
		assert_int_equal(o.nres, 0);
		lwm2m_model_free(m);
	}
	/* Over the size limit. */
	big = malloc(LWM2M_DDF_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', LWM2M_DDF_MAX + 1);
	big[LWM2M_DDF_MAX + 1] = '\0';
	{
		struct lwm2m_model *m = lwm2m_model_new();

		assert_int_equal(parse(m, big, LWM2M_DDF_MAX + 1), -1);
		assert_non_null(strstr(err, "more than 1048576"));
		lwm2m_model_free(m);
	}
	free(big);
}

static void
test_ddf_hostile_values(void **state)
{
	(void)state;
	parse_fail(DOC_HEAD("33000") ITEM("1", "a", "R", "Flaot") DOC_TAIL,
	    "t.xml:8: Type 'Flaot' is none of");
	parse_fail(DOC_HEAD("33000") ITEM("1", "a", "RX", "String") DOC_TAIL,
	    "t.xml:8: Operations 'RX' is none of");
	parse_fail(DOC_HEAD("33000") "<Item ID=\"1\"><Name>a</Name>"
	    "<MultipleInstances>Many</MultipleInstances></Item>" DOC_TAIL,
	    "MultipleInstances 'Many' is none of Single, Multiple");
	parse_fail(DOC_HEAD("33000") "<Item ID=\"1\"><Name>a</Name>"
	    "<Mandatory>Yes</Mandatory></Item>" DOC_TAIL,
	    "Mandatory 'Yes' is none of");
	parse_fail("<LWM2M><Object><Name>a</Name><ObjectID>33000</ObjectID>"
	    "<Resources/><Mandatory>Maybe</Mandatory></Object></LWM2M>",
	    "Mandatory 'Maybe'");
	/* Ids: decimal 0..65535, digits only. */
	parse_fail(DOC_HEAD("abc") DOC_TAIL, "t.xml:3: ObjectID 'abc' is "
	    "not a decimal number 0..65535");
	parse_fail(DOC_HEAD("-1") DOC_TAIL, "ObjectID '-1'");
	parse_fail(DOC_HEAD("65536") DOC_TAIL, "ObjectID '65536'");
	parse_fail(DOC_HEAD("99999999999999999999") DOC_TAIL,
	    "ObjectID '99999999999999999999'");
	parse_fail(DOC_HEAD("1e3") DOC_TAIL, "ObjectID '1e3'");
	parse_fail(DOC_HEAD("") DOC_TAIL, "ObjectID ''");
	parse_fail(DOC_HEAD("0x10") DOC_TAIL, "ObjectID '0x10'");
	parse_fail(DOC_HEAD("33000") ITEM("x1", "a", "R", "String") DOC_TAIL,
	    "t.xml:8: Item ID 'x1' is not a decimal number");
	parse_fail(DOC_HEAD("33000") ITEM("1 ", "a", "R", "String") DOC_TAIL,
	    "Item ID '1 '");
	parse_fail(DOC_HEAD("33000") ITEM("65536", "a", "R", "String")
	    DOC_TAIL, "Item ID '65536'");
	parse_fail(DOC_HEAD("33000") "<Item><Name>a</Name></Item>" DOC_TAIL,
	    "t.xml:8: an Item without an ID");
	/* Duplicates. */
	parse_fail(DOC_HEAD("33000") ITEM("1", "a", "R", "String")
	    ITEM("2", "b", "R", "String") ITEM("1", "c", "R", "Integer")
	    DOC_TAIL, "t.xml:10: object 33000: Item ID 1 appears twice");
	parse_fail("<LWM2M><Object><Name>a</Name><ObjectID>33000</ObjectID>"
	    "<Resources/></Object>\n<Object><Name>b</Name><ObjectID>33000"
	    "</ObjectID><Resources/></Object></LWM2M>",
	    "t.xml:2: object 33000 appears twice");
	/* What must be there. */
	parse_fail("<LWM2M><Object><Name>a</Name><Resources/></Object>"
	    "</LWM2M>", "an Object without an ObjectID");
	parse_fail("<LWM2M><Object><ObjectID>33000</ObjectID><Resources/>"
	    "</Object></LWM2M>", "object 33000 has no Name");
	parse_fail("<LWM2M><Object><Name>a</Name><ObjectID>33000</ObjectID>"
	    "</Object></LWM2M>", "object 33000 has no Resources");
	parse_fail(DOC_HEAD("33000") "<Item ID=\"1\"><Type>String</Type>"
	    "</Item>" DOC_TAIL, "Item 1 has no Name");
}

/* All or nothing: a document whose second object is bad adds nothing. */
static void
test_ddf_all_or_nothing(void **state)
{
	static const char doc[] = "<LWM2M><Object><Name>a</Name><ObjectID>"
	    "33001</ObjectID><Resources/></Object><Object><Name>b</Name>"
	    "<ObjectID>33000</ObjectID><Resources><Item ID=\"1\"><Name>x"
	    "</Name><Type>Text</Type></Item></Resources></Object></LWM2M>";
	struct lwm2m_model *m = lwm2m_model_new();
	struct lwm2m_obj o;

	(void)state;
	assert_int_equal(parse(m, VENDOR, strlen(VENDOR)), 1);
	assert_int_equal(parse(m, doc, strlen(doc)), -1);
	assert_non_null(strstr(err, "Type 'Text'"));
	assert_int_equal(lwm2m_model_file_objects(m), 1);
	assert_int_equal(lwm2m_model_object(m, 33001, &o), -1);
	/* An error buffer of 0 bytes is left alone. */
	assert_int_equal(lwm2m_ddf_parse(m, doc, strlen(doc), "t.xml", NULL,
	    0), -1);
	assert_int_equal(lwm2m_ddf_parse(m, NULL, 0, NULL, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "DDF: empty");
	lwm2m_model_free(m);
}

/* Counts and lengths past the limits. */
static void
test_ddf_limits(void **state)
{
	char *doc, *p, name[LWM2M_DDF_TEXT_MAX + 2];
	size_t cap = 256 * 1024;
	int i;

	(void)state;
	doc = malloc(cap);
	assert_non_null(doc);
	/* LWM2M_DDF_RESOURCES_MAX + 1 items. */
	p = doc + sprintf(doc, "%s", DOC_HEAD("33000"));
	for (i = 0; i <= LWM2M_DDF_RESOURCES_MAX; i++)
		p += sprintf(p, "<Item ID=\"%d\"><Name>r</Name></Item>", i);
	sprintf(p, "%s", DOC_TAIL);
	parse_fail(doc, "object 33000 has more than 1024 resources");
	/* Exactly the limit is fine. */
	p = doc + sprintf(doc, "%s", DOC_HEAD("33000"));
	for (i = 0; i < LWM2M_DDF_RESOURCES_MAX; i++)
		p += sprintf(p, "<Item ID=\"%d\"><Name>r</Name></Item>", i);
	sprintf(p, "%s", DOC_TAIL);
	{
		struct lwm2m_model *m = lwm2m_model_new();

		assert_int_equal(parse(m, doc, strlen(doc)), 1);
		lwm2m_model_free(m);
	}
	/* LWM2M_DDF_OBJECTS_MAX + 1 objects. */
	p = doc + sprintf(doc, "<LWM2M>");
	for (i = 0; i <= LWM2M_DDF_OBJECTS_MAX; i++)
		p += sprintf(p, "<Object><Name>o</Name><ObjectID>%d</ObjectID>"
		    "<Resources/></Object>", 33000 + i);
	sprintf(p, "</LWM2M>");
	parse_fail(doc, "more than 64 objects");
	/* A name of LWM2M_DDF_TEXT_MAX + 1 bytes. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(doc, cap, "%s<Item ID=\"1\"><Name>%s</Name></Item>%s",
	    DOC_HEAD("33000"), name, DOC_TAIL);
	parse_fail(doc, "t.xml:8: Name is longer than 255 bytes");
	/* Deep nesting: libxml2's own limit. */
	p = doc + sprintf(doc, "<LWM2M><Object>");
	for (i = 0; i < 20000; i++)
		p += sprintf(p, "<a>");
	parse_fail(doc, "not XML");
	free(doc);
}

/* ---- conversion by a model with files ---- */

static char *
tlv(const struct lwm2m_model *m, const char *path, const uint8_t *b,
    size_t len)
{
	char *out = senml_to_json(SENML_CF_TLV, b, len, path, m, NULL, err,
	    sizeof(err));

	if (out == NULL)
		fail_msg("%s: %s", path, err);
	return out;
}

static void
test_convert_by_file(void **state)
{
	static const uint8_t mode[] = { 0xc1, 0x01, 'U' };
	static const uint8_t on[] = { 0xc1, 0x00, 0x01 };
	static const char dev[] = "<LWM2M><Object><Name>Device</Name>"
	    "<ObjectID>3</ObjectID><Resources><Item ID=\"16\"><Name>Binding"
	    "</Name><Type>Integer</Type></Item></Resources></Object></LWM2M>";
	static const uint8_t binding[] = { 0xc1, 0x10, 'U' };
	struct lwm2m_model *m = lwm2m_model_new();
	char *out;

	(void)state;
	/* Unknown without the file: opaque. */
	out = tlv(m, "33000/0/1", mode, sizeof(mode));
	assert_string_equal(out, "[{\"bn\":\"/33000/0/1\",\"vd\":\"VQ\"}]");
	free(out);
	assert_int_equal(parse(m, VENDOR, strlen(VENDOR)), 1);
	out = tlv(m, "33000/0/1", mode, sizeof(mode));
	assert_string_equal(out, "[{\"bn\":\"/33000/0/1\",\"vs\":\"U\"}]");
	free(out);
	out = tlv(m, "33000/0/0", on, sizeof(on));
	assert_string_equal(out, "[{\"bn\":\"/33000/0/0\",\"vb\":true}]");
	free(out);
	out = senml_to_json(SENML_CF_TEXT, (const uint8_t *)"</a>", 4,
	    "33000/0/7", m, NULL, err, sizeof(err));
	assert_non_null(out);
	assert_string_equal(out, "[{\"bn\":\"/33000/0/7\",\"vs\":\"</a>\"}]");
	free(out);
	/* A file that redefines a built-in object wins. */
	out = tlv(m, "3/0/16", binding, sizeof(binding));
	assert_string_equal(out, "[{\"bn\":\"/3/0/16\",\"vs\":\"U\"}]");
	free(out);
	assert_int_equal(parse(m, dev, strlen(dev)), 1);
	out = tlv(m, "3/0/16", binding, sizeof(binding));
	assert_string_equal(out, "[{\"bn\":\"/3/0/16\",\"v\":85}]");
	free(out);
	lwm2m_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_lookup),
		cmocka_unit_test(test_builtin_tables),
		cmocka_unit_test(test_ddf_registry),
		cmocka_unit_test(test_ddf_truncated),
		cmocka_unit_test(test_ddf_vendor),
		cmocka_unit_test(test_ddf_lenient),
		cmocka_unit_test(test_ddf_hostile_xml),
		cmocka_unit_test(test_ddf_hostile_values),
		cmocka_unit_test(test_ddf_all_or_nothing),
		cmocka_unit_test(test_ddf_limits),
		cmocka_unit_test(test_convert_by_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
