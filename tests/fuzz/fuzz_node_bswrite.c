// fuzz-sources: node/bswrite.c lwm2m/cborscan.c node/acct.c node/obj_security.c node/obj_server.c node/object.c node/tlv.c tz.c parse.c node/obj_device.c node/obj_firmware.c node/obj_software.c node/obj_eventlog.c node/logring.c node/obj_conn.c node/senml.c node/uri.c log.c
// fuzz-libs: -lcbor -lcjson
/*
 * fuzz_node_bswrite.c: libFuzzer target for the decoder of Bootstrap-Write
 * bodies (acct_write: TLV and SenML CBOR), which reads what any bootstrap
 * server sends. The first byte picks the path, the second the format and
 * the writer (bootstrap or DM server); the rest is the body. Besides ASan and UBSan,
 * it checks acct.h's promises: a refused write leaves the account as it
 * was and gives a reason; an accepted one keeps every list sorted and
 * within bounds, every string terminated, at most one bootstrap account.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/acct.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check(const struct acct *a)
{
	size_t i, bs = 0;

	if (a->nsec > ACCT_SEC_MAX || a->nsrv > ACCT_SRV_MAX)
		abort();
	for (i = 0; i < a->nsec; i++) {
		if (i > 0 && a->sec[i - 1].iid >= a->sec[i].iid)
			abort();
		if (memchr(a->sec[i].uri, '\0', sizeof(a->sec[i].uri)) ==
		    NULL || a->sec[i].id_len > ACCT_ID_MAX ||
		    a->sec[i].key_len > ACCT_KEY_MAX ||
		    a->sec[i].iid > ACCT_IID_MAX)
			abort();
		bs += a->sec[i].bootstrap;
	}
	for (i = 0; i < a->nsrv; i++) {
		if (i > 0 && a->srv[i - 1].iid >= a->srv[i].iid)
			abort();
		if (memchr(a->srv[i].binding, '\0',
		    sizeof(a->srv[i].binding)) == NULL)
			abort();
	}
	if (bs > 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int cfs[] = { ACCT_CF_TLV, ACCT_CF_SENML_CBOR,
	    ACCT_CF_TEXT, ACCT_CF_TLV };
	struct acct a, before;
	struct acct_val v = { OBJ_STRING, 0, (const uint8_t *)"coap://[::1]",
	    12 };
	struct acct_dm dm;
	enum node_result res;
	char err[300];
	uint8_t sel, how;
	int oid, iid, rid;

	if (size < 2)
		return 0;
	sel = data[0];
	how = data[1];
	memset(&a, 0, sizeof(a));
	(void)acct_set(&a, OBJ_SECURITY, 0, 0, &v, 1, err, sizeof(err));
	v.type = OBJ_BOOL;
	v.i = 1;
	(void)acct_set(&a, OBJ_SECURITY, 0, 1, &v, 1, err, sizeof(err));
	oid = sel & 1;
	iid = (sel >> 1) & 1 ? -1 : (sel >> 2) & 3;
	rid = iid >= 0 && (sel >> 4) & 1 ? (sel >> 5) & 1 ? 10 : 1 : -1;
	before = a;
	memset(err, 'E', sizeof(err));
	res = acct_write(&a, cfs[how & 3], (uint16_t)oid, iid, rid, data + 2,
	    size - 2, !(how & 4), err, sizeof(err));
	if (res != NODE_OK) {
		if (memcmp(&a, &before, sizeof(a)) != 0 ||
		    memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	fuzz_check(&a);
	(void)acct_check(&a, &dm, err, sizeof(err));
	return 0;
}
