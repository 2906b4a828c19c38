// fuzz-sources: lwm2m/ddf.c lwm2m/objmodel.c lwm2m/senml.c lwm2m/senml_dec.c lwm2m/senml_tlv.c lwm2m/senml_typed.c lwm2m/senml_cbor.c lwm2m/cborscan.c parse.c
// fuzz-libs: -lxml2 -lcjson -lcbor -lm
/*
 * fuzz_ddf.c: libFuzzer target for the DDF parser (lwm2m_ddf_parse), an
 * operator's object definition file. Besides ASan and UBSan it checks the
 * promises of objmodel.h and aborts on a broken one: -1 with a reason that
 * names the file and a model left as it was, or the objects added, each
 * found by lookup with its resources in ascending id; and a TLV value
 * converts by the model that results.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/objmodel.h"
#include "lwm2m/senml.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

struct check {
	const struct lwm2m_model	*m;
	size_t				 seen;
};

/* Each object of a file: found again, resources ascending, each found by
 * lookup and converted by its type. */
static int
check_obj(const struct lwm2m_obj *o, void *arg)
{
	struct check *c = arg;
	struct lwm2m_obj again;
	struct lwm2m_res r, r2, r3;
	char path[32];
	uint8_t tlv[3] = { 0xc1, 0, 'U' };
	char *out;
	size_t i;

	if (o->source == NULL)
		return 0;
	c->seen++;
	if (lwm2m_model_object(c->m, o->id, &again) != 0 ||
	    again.nres != o->nres || again.source == NULL)
		abort();
	for (i = 0; i < o->nres; i++) {
		lwm2m_obj_resource_at(o, i, &r);
		if (i > 0 && r.id <= r2.id)
			abort();
		if (strlen(r.name) > LWM2M_DDF_TEXT_MAX ||
		    strlen(r.units) > LWM2M_DDF_TEXT_MAX ||
		    strlen(r.range) > LWM2M_DDF_TEXT_MAX)
			abort();
		if (lwm2m_model_resource(c->m, o->id, r.id, &r3) != 0 ||
		    r3.type != r.type || strcmp(r3.name, r.name) != 0)
			abort();
		r2 = r;
		if (r.id > 255)
			continue;
		tlv[1] = (uint8_t)r.id;
		snprintf(path, sizeof(path), "%u/0/%u", (unsigned)o->id,
		    (unsigned)r.id);
		if ((out = senml_to_json(SENML_CF_TLV, tlv, sizeof(tlv), path,
		    c->m, NULL, NULL, 0)) == NULL)
			abort();
		free(out);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lwm2m_model *m = lwm2m_model_new();
	struct lwm2m_obj o;
	struct check c = { m, 0 };
	char err[256];
	int n;

	if (m == NULL)
		return 0;
	memset(err, 'x', sizeof(err));
	n = lwm2m_ddf_parse(m, (const char *)data, size, "f.xml", err,
	    sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (n == -1) {
		if (strncmp(err, "f.xml", 5) != 0 ||
		    lwm2m_model_file_objects(m) != 0)
			abort();
	} else {
		if (err[0] != '\0' || n < 1 || n > LWM2M_DDF_OBJECTS_MAX ||
		    lwm2m_model_file_objects(m) != (size_t)n)
			abort();
		lwm2m_model_walk(m, check_obj, &c);
		if (c.seen != (size_t)n)
			abort();
		if (lwm2m_model_object(m, 3, &o) != 0)
			abort();
	}
	lwm2m_model_free(m);
	return 0;
}
