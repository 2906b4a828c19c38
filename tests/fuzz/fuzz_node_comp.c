// fuzz-sources: node/comp.c node/senml.c node/object.c node/tlv.c tz.c parse.c node/obj_device.c node/obj_conn.c node/obj_firmware.c node/obj_software.c node/obj_eventlog.c node/logring.c node/obj_security.c node/obj_server.c node/acct.c node/uri.c log.c node/nconf.c config/inifile.c hex.c
// fuzz-libs: -lcbor -lcjson -linih
/*
 * fuzz_node_comp.c: libFuzzer target for the name lists of Read-Composite
 * and Observe-Composite (comp_parse: SenML JSON and CBOR), which any
 * server sends. The first byte picks the format of the names and of the
 * answer; the rest is the body. Besides ASan and UBSan, it checks comp.h's
 * promises: a refusal gives a reason and no paths; a list taken holds 1
 * to COMP_PATHS_MAX distinct paths of one to three levels; the pack they
 * read as is one JSON array or one CBOR array.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <cJSON.h>

#include "node/comp.h"
#include "node/nconf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int64_t
fuzz_now(void *arg)
{
	(void)arg;
	return 1700000000;
}

static long
fuzz_mem(void *arg)
{
	(void)arg;
	return 4096;
}

static int
fuzz_battery(void *arg)
{
	(void)arg;
	return 50;
}

static void
fuzz_check(const struct comp_list *l)
{
	size_t i, j;

	if (l->n == 0 || l->n > COMP_PATHS_MAX)
		abort();
	for (i = 0; i < l->n; i++) {
		const struct comp_path *p = &l->p[i];

		if (p->oid < 0 || p->oid > 65535 || p->iid < -1 ||
		    p->iid > 65535 || p->rid < -1 || p->rid > 65535 ||
		    (p->iid < 0 && p->rid >= 0))
			abort();
		for (j = 0; j < i; j++)
			if (memcmp(&l->p[j], p, sizeof(*p)) == 0)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct obj_env env = { fuzz_now, fuzz_mem, fuzz_battery,
	    NULL };
	static struct node_config cfg;
	struct cbor_load_result lr;
	struct comp_list l;
	struct obj o;
	enum node_result res;
	cbor_item_t *item;
	cJSON *doc;
	uint8_t *out;
	size_t len;
	char err[200];
	int cbor_in, cbor_out;

	if (size < 1)
		return 0;
	cbor_in = data[0] & 1;
	cbor_out = (data[0] >> 1) & 1;
	memset(err, 'E', sizeof(err));
	res = comp_parse(cbor_in ? COMP_CF_SENML_CBOR : COMP_CF_SENML_JSON,
	    data + 1, size - 1, &l, err, sizeof(err));
	if (res != NODE_OK) {
		if (l.n != 0 || memchr(err, '\0', sizeof(err)) == NULL ||
		    err[0] == '\0')
			abort();
		return 0;
	}
	fuzz_check(&l);
	nconf_defaults(&cfg);
	obj_init(&o, &cfg, &env);
	if ((out = comp_read(&o, "ep", &o.fw, &l, cbor_out, &len, err,
	    sizeof(err))) == NULL)
		abort();
	if (cbor_out) {
		item = cbor_load(out, len, &lr);
		if (item == NULL || lr.read != len || !cbor_isa_array(item))
			abort();
		cbor_decref(&item);
	} else {
		if ((doc = cJSON_Parse((const char *)out)) == NULL ||
		    !cJSON_IsArray(doc))
			abort();
		cJSON_Delete(doc);
	}
	free(out);
	return 0;
}
