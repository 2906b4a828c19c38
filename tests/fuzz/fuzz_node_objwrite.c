// fuzz-sources: node/object.c node/tlv.c node/obj_device.c node/obj_conn.c node/obj_firmware.c node/obj_software.c node/obj_eventlog.c node/logring.c node/obj_security.c node/obj_server.c node/senml.c node/uri.c node/nconf.c config/inifile.c tz.c parse.c hex.c log.c
// fuzz-libs: -lcbor -lcjson -linih
/*
 * fuzz_node_objwrite.c: libFuzzer target for the writes a DM server sends
 * to the agent's objects (node/object.c obj_write_cf, obj_write_partial:
 * TLV through node/tlv.c, and text/plain to the objects' hooks). The first
 * byte picks the write: a single resource of /3/0 or /5/0 in TLV or as
 * text, or a partial write of /3/0; the rest is the body. Besides ASan and
 * UBSan it checks object.h's promises: a refused single write changes
 * nothing and gives a reason; whatever happens, the clock values stay
 * terminated and are values obj_clock_ok takes. The rest is then the
 * argument of an execute of /20/0's LogStart or LogStop, which is taken
 * exactly when eventlog_arg takes it and else changes nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/logring.h"
#include "node/object.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int64_t
fz_now(void *arg)
{
	(void)arg;
	return 0;
}

static long
fz_mem(void *arg)
{
	(void)arg;
	return 0;
}

static int
fz_battery(void *arg)
{
	(void)arg;
	return 0;
}

static void
fz_check(const struct obj_clock *c)
{
	char err[200];

	if (memchr(c->utc_offset, '\0', sizeof(c->utc_offset)) == NULL ||
	    memchr(c->timezone, '\0', sizeof(c->timezone)) == NULL)
		abort();
	if (!obj_clock_ok(14, (const uint8_t *)c->utc_offset,
	    strlen(c->utc_offset), err, sizeof(err)) ||
	    !obj_clock_ok(15, (const uint8_t *)c->timezone,
	    strlen(c->timezone), err, sizeof(err)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t rids[] = { 14, 15, 1, 13 };
	static struct node_config cfg;
	static int ready;
	const struct obj_env env = { fz_now, fz_mem, fz_battery, NULL };
	struct obj o;
	struct obj_clock before;
	struct fw fwb;
	enum obj_action act;
	enum node_result res;
	char err[320];
	uint8_t sel;

	if (size < 1)
		return 0;
	if (!ready) {
		nconf_defaults(&cfg);
		ready = 1;
	}
	sel = data[0];
	obj_init(&o, &cfg, &env);
	before = o.clock;
	fwb = o.fw;
	memset(err, 'E', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	if ((sel & 3) == 3) {
		(void)obj_write_partial(&o, &o.fw, OBJ_DEVICE, data + 1,
		    size - 1, &act, err, sizeof(err));
	} else {
		res = obj_write_cf(&o, &o.fw, sel & 4 ? OBJ_FIRMWARE :
		    OBJ_DEVICE, sel & 4 ? 1 : rids[(sel >> 3) & 3],
		    sel & 1 ? 0 : 11542,
		    data + 1, size - 1, &act, err, sizeof(err));
		if (res != NODE_OK && (memcmp(&o.clock, &before,
		    sizeof(before)) != 0 || memcmp(&o.fw, &fwb,
		    sizeof(fwb)) != 0 || err[0] == 'E' || err[0] == '\0'))
			abort();
	}
	fz_check(&o.clock);
	/* LogStart and LogStop of /20/0 with the input as their argument:
	 * refused (nothing changed) unless eventlog_arg takes it. */
	o.logs = logring_new(LOGRING_MIN);
	if (o.logs != NULL) {
		logring_add(o.logs, 1, "kept", 4);
		res = obj_execute_args(&o, &o.fw, OBJ_EVENTLOG, sel & 8 ? 4011 :
		    4012, data + 1, size - 1, &act, err, sizeof(err));
		if ((res == NODE_OK) != (eventlog_arg(data + 1, size - 1) !=
		    -1) || (res != NODE_OK && (logring_count(o.logs) != 1 ||
		    logring_stopped(o.logs))))
			abort();
		logring_free(o.logs);
	}
	return 0;
}
