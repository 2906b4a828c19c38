/*
 * object.c: the Device (3) and Firmware Update (5) objects. See object.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/object.h"
#include "node/senml.h"
#include "node/uri.h"

static const struct obj_res obj_table[] = {
	{ OBJ_DEVICE, 0, OBJ_R, OBJ_STRING, "Manufacturer" },
	{ OBJ_DEVICE, 1, OBJ_R, OBJ_STRING, "Model Number" },
	{ OBJ_DEVICE, 2, OBJ_R, OBJ_STRING, "Serial Number" },
	{ OBJ_DEVICE, 3, OBJ_R, OBJ_STRING, "Firmware Version" },
	{ OBJ_DEVICE, 4, OBJ_E, OBJ_STRING, "Reboot" },
	{ OBJ_DEVICE, 5, OBJ_E, OBJ_STRING, "Factory Reset" },
	{ OBJ_DEVICE, 9, OBJ_R, OBJ_INT, "Battery Level" },
	{ OBJ_DEVICE, 10, OBJ_R, OBJ_INT, "Memory Free" },
	{ OBJ_DEVICE, 11, OBJ_R, OBJ_INT, "Error Code" },
	{ OBJ_DEVICE, 13, OBJ_R, OBJ_TIME, "Current Time" },
	{ OBJ_DEVICE, 16, OBJ_R, OBJ_STRING, "Supported Binding and Modes" },
	{ OBJ_DEVICE, 17, OBJ_R, OBJ_STRING, "Device Type" },
	{ OBJ_DEVICE, 19, OBJ_R, OBJ_STRING, "Software Version" },

	{ OBJ_FIRMWARE, 0, OBJ_W, OBJ_STRING, "Package" },
	{ OBJ_FIRMWARE, 1, OBJ_R | OBJ_W, OBJ_STRING, "Package URI" },
	{ OBJ_FIRMWARE, 2, OBJ_E, OBJ_STRING, "Update" },
	{ OBJ_FIRMWARE, 3, OBJ_R, OBJ_INT, "State" },
	{ OBJ_FIRMWARE, 5, OBJ_R, OBJ_INT, "Update Result" },
	{ OBJ_FIRMWARE, 6, OBJ_R, OBJ_STRING, "PkgName" },
	{ OBJ_FIRMWARE, 7, OBJ_R, OBJ_STRING, "PkgVersion" },
	{ OBJ_FIRMWARE, 9, OBJ_R, OBJ_INT, "Firmware Update Delivery Method" },
};

#define NRES (sizeof(obj_table) / sizeof(obj_table[0]))

static const char *const fw_state_names[] = {
	"Idle", "Downloading", "Downloaded", "Updating"
};

const char *
fw_state_name(int state)
{
	return state >= 0 && state <= FW_UPDATING ? fw_state_names[state] :
	    "?";
}

void
obj_init(struct obj *o, const struct node_config *cfg,
    const struct obj_env *env)
{
	memset(o, 0, sizeof(*o));
	o->cfg = cfg;
	o->env = *env;
}

const struct obj_res *
obj_resources(size_t *count)
{
	*count = NRES;
	return obj_table;
}

const struct obj_res *
obj_find(uint16_t oid, uint16_t rid)
{
	size_t i;

	for (i = 0; i < NRES; i++)
		if (obj_table[i].oid == oid && obj_table[i].rid == rid)
			return &obj_table[i];
	return NULL;
}

static void
obj_changed(struct obj *o, const struct fw *fw, uint16_t oid, uint16_t rid)
{
	if (o->changed != NULL)
		o->changed(o->changed_arg, fw, oid, rid);
}

static void
obj_str(struct obj_value *v, const char *s)
{
	v->type = OBJ_STRING;
	snprintf(v->s, sizeof(v->s), "%s", s);
}

static void
obj_int(struct obj_value *v, enum obj_type type, int64_t i)
{
	v->type = type;
	v->i = i;
}

/* The Device object's value of rid (a readable one). */
static void
obj_device_value(struct obj *o, const char *serial, uint16_t rid,
    struct obj_value *v)
{
	const struct node_config *cfg = o->cfg;
	long kb;

	switch (rid) {
	case 0:
		obj_str(v, cfg->manufacturer);
		break;
	case 1:
		obj_str(v, cfg->model);
		break;
	case 2:
		obj_str(v, cfg->serial[0] != '\0' ? cfg->serial : serial);
		break;
	case 3:
		obj_str(v, cfg->firmware_version);
		break;
	case 9:
		obj_int(v, OBJ_INT, o->env.battery(o->env.arg));
		break;
	case 10:
		kb = o->env.mem_free_kb(o->env.arg);
		obj_int(v, OBJ_INT, kb < 0 ? 0 : kb);
		break;
	case 11:
		obj_int(v, OBJ_INT, o->error_code);
		break;
	case 13:
		obj_int(v, OBJ_TIME, o->env.now(o->env.arg));
		break;
	case 16:
		obj_str(v, cfg->queue_mode ? "UQ" : "U");
		break;
	case 17:
		obj_str(v, cfg->device_type);
		break;
	case 19:
		obj_str(v, OUTPOST_VERSION);
		break;
	}
}

/* The Firmware Update object's value of rid (a readable one). */
static void
obj_firmware_value(const struct fw *fw, uint16_t rid, struct obj_value *v)
{
	switch (rid) {
	case 1:
		obj_str(v, fw->uri);
		break;
	case 3:
		obj_int(v, OBJ_INT, fw->state);
		break;
	case 5:
		obj_int(v, OBJ_INT, fw->result);
		break;
	case 6:
		obj_str(v, fw->pkg_name);
		break;
	case 7:
		obj_str(v, fw->pkg_version);
		break;
	case 9:
		obj_int(v, OBJ_INT, 0);		/* pull only */
		break;
	}
}

enum node_result
obj_read(struct obj *o, const char *serial, const struct fw *fw, uint16_t oid,
    uint16_t rid, struct obj_value *v, char *err, size_t errlen)
{
	const struct obj_res *r = obj_find(oid, rid);

	memset(v, 0, sizeof(*v));
	if (r == NULL) {
		snprintf(err, errlen, "no resource /%u/0/%u", oid, rid);
		return NODE_NOT_FOUND;
	}
	if (!(r->ops & OBJ_R)) {
		snprintf(err, errlen, "/%u/0/%u %s is %s-only", oid, rid,
		    r->name, r->ops & OBJ_E ? "execute" : "write");
		return NODE_NOT_ALLOWED;
	}
	if (oid == OBJ_DEVICE)
		obj_device_value(o, serial, rid, v);
	else
		obj_firmware_value(fw, rid, v);
	return NODE_OK;
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
		n = snprintf(buf, len, "%" PRId64, v->i);
		break;
	case OBJ_FLOAT:
		n = snprintf(buf, len, "%.15g", v->f);
		break;
	}
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* Resets the state machine: an empty Package URI. */
static void
fw_reset(struct obj *o, struct fw *fw)
{
	int was = fw->state, had = fw->result;

	fw->state = FW_IDLE;
	fw->result = FW_RESULT_INITIAL;
	fw->uri[0] = '\0';
	obj_changed(o, fw, OBJ_FIRMWARE, 1);
	if (was != FW_IDLE)
		obj_changed(o, fw, OBJ_FIRMWARE, 3);
	if (had != FW_RESULT_INITIAL)
		obj_changed(o, fw, OBJ_FIRMWARE, 5);
}

/* Sets the Update Result, telling observers when it moved. */
static void
fw_set_result(struct obj *o, struct fw *fw, int result)
{
	if (fw->result == result)
		return;
	fw->result = (uint8_t)result;
	obj_changed(o, fw, OBJ_FIRMWARE, 5);
}

static void
fw_set_state(struct obj *o, struct fw *fw, int state)
{
	if (fw->state == state)
		return;
	fw->state = (uint8_t)state;
	obj_changed(o, fw, OBJ_FIRMWARE, 3);
}

/*
 * A write to /5/0/1. Empty: reset to Idle. The URI being fetched (or
 * fetched): nothing. Otherwise, in Idle only: a URI we can fetch starts
 * the download (Downloading); one that is not an absolute URI, or has a
 * scheme we cannot fetch, stays in Idle with result 7 or 9, as a download
 * that failed at once would.
 */
static enum node_result
fw_write_uri(struct obj *o, struct fw *fw, const uint8_t *buf, size_t len,
    enum obj_action *act, char *err, size_t errlen)
{
	enum uri_pkg kind;

	if (len == 0) {
		fw_reset(o, fw);
		return NODE_OK;
	}
	if ((kind = uri_check_package(buf, len)) == URI_PKG_MALFORMED) {
		snprintf(err, errlen, "Package URI must be 1..%d bytes of "
		    "printable ASCII without spaces", URI_PKG_MAX);
		return NODE_BAD_REQUEST;
	}
	/* The URI at work already: a retransmission of the write (a lost
	 * answer makes the server send it again, and libcoap 4.3.1 does not
	 * deduplicate requests). It must not fail, nor start anything. */
	if ((fw->state == FW_DOWNLOADING || fw->state == FW_DOWNLOADED) &&
	    strlen(fw->uri) == len && memcmp(fw->uri, buf, len) == 0)
		return NODE_OK;
	if (fw->state != FW_IDLE) {
		snprintf(err, errlen, "State is %d (%s): write an empty "
		    "Package URI to cancel first", fw->state,
		    fw_state_name(fw->state));
		return NODE_BAD_REQUEST;
	}
	memcpy(fw->uri, buf, len);
	fw->uri[len] = '\0';
	obj_changed(o, fw, OBJ_FIRMWARE, 1);
	switch (kind) {
	case URI_PKG_INVALID:
		fw_set_result(o, fw, FW_RESULT_INVALID_URI);
		break;
	case URI_PKG_UNSUPPORTED:
		fw_set_result(o, fw, FW_RESULT_UNSUPPORTED_PROTOCOL);
		break;
	default:
		fw_set_result(o, fw, FW_RESULT_INITIAL);
		fw_set_state(o, fw, FW_DOWNLOADING);
		*act = OBJ_ACTION_DOWNLOAD;
		break;
	}
	return NODE_OK;
}

enum node_result
obj_write(struct obj *o, struct fw *fw, uint16_t oid, uint16_t rid,
    const uint8_t *buf, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	const struct obj_res *r = obj_find(oid, rid);

	*act = OBJ_ACTION_NONE;
	if (r == NULL) {
		snprintf(err, errlen, "no resource /%u/0/%u", oid, rid);
		return NODE_NOT_FOUND;
	}
	if (!(r->ops & OBJ_W)) {
		snprintf(err, errlen, "/%u/0/%u %s is not writable", oid, rid,
		    r->name);
		return NODE_NOT_ALLOWED;
	}
	if (oid == OBJ_FIRMWARE && rid == 0) {
		snprintf(err, errlen, "push delivery is not supported: write "
		    "/5/0/1 Package URI (/5/0/9 Delivery Method is 0, pull)");
		return NODE_NOT_ALLOWED;
	}
	return fw_write_uri(o, fw, buf, len, act, err, errlen);
}

enum node_result
obj_execute(struct obj *o, struct fw *fw, uint16_t oid, uint16_t rid,
    enum obj_action *act, char *err, size_t errlen)
{
	const struct obj_res *r = obj_find(oid, rid);

	*act = OBJ_ACTION_NONE;
	if (r == NULL) {
		snprintf(err, errlen, "no resource /%u/0/%u", oid, rid);
		return NODE_NOT_FOUND;
	}
	if (!(r->ops & OBJ_E)) {
		snprintf(err, errlen, "/%u/0/%u %s is not executable", oid, rid,
		    r->name);
		return NODE_NOT_ALLOWED;
	}
	if (oid == OBJ_DEVICE) {
		const char *cmd = rid == 4 ? o->cfg->reboot_command :
		    o->cfg->factory_reset_command;

		if (cmd[0] == '\0') {
			snprintf(err, errlen, "no command configured ([device] "
			    "%s)", rid == 4 ? "reboot_command" :
			    "factory_reset_command");
			return NODE_NOT_ALLOWED;
		}
		*act = rid == 4 ? OBJ_ACTION_REBOOT : OBJ_ACTION_FACTORY_RESET;
		return NODE_OK;
	}
	if (fw->state != FW_DOWNLOADED) {
		snprintf(err, errlen, "Update needs State 2 (Downloaded); State "
		    "is %d (%s)", fw->state, fw_state_name(fw->state));
		return NODE_NOT_ALLOWED;
	}
	fw_set_state(o, fw, FW_UPDATING);
	*act = OBJ_ACTION_UPDATE;
	return NODE_OK;
}

char *
obj_read_senml(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t oid, char *err, size_t errlen)
{
	struct obj_value vals[NRES];
	struct senml_rec recs[NRES];
	char names[NRES][8], bn[16];
	size_t i, n = 0;
	char *out;

	for (i = 0; i < NRES; i++) {
		if (obj_table[i].oid != oid || !(obj_table[i].ops & OBJ_R))
			continue;
		obj_read(o, serial, fw, oid, obj_table[i].rid, &vals[n], err,
		    errlen);
		snprintf(names[n], sizeof(names[n]), "%u", obj_table[i].rid);
		recs[n].name = names[n];
		recs[n].value = &vals[n];
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "no object /%u", oid);
		return NULL;
	}
	snprintf(bn, sizeof(bn), "/%u/0/", oid);
	if ((out = senml_encode(bn, recs, n)) == NULL)
		snprintf(err, errlen, "out of memory");
	return out;
}

char *
obj_read_one_senml(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t oid, uint16_t rid, enum node_result *res, char *err,
    size_t errlen)
{
	struct obj_value v;
	struct senml_rec rec = { NULL, &v };
	char bn[24];
	char *out;

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

int
fw_download_done(struct obj *o, struct fw *fw, int ok, enum fw_result result,
    const char *pkg_name, const char *pkg_version)
{
	if (fw->state != FW_DOWNLOADING)
		return -1;
	if (ok) {
		snprintf(fw->pkg_name, sizeof(fw->pkg_name), "%s",
		    pkg_name != NULL ? pkg_name : "");
		snprintf(fw->pkg_version, sizeof(fw->pkg_version), "%s",
		    pkg_version != NULL ? pkg_version : "");
		obj_changed(o, fw, OBJ_FIRMWARE, 6);
		obj_changed(o, fw, OBJ_FIRMWARE, 7);
		fw_set_result(o, fw, FW_RESULT_INITIAL);
		fw_set_state(o, fw, FW_DOWNLOADED);
		return 0;
	}
	if (result == FW_RESULT_INITIAL || result == FW_RESULT_SUCCESS ||
	    result == FW_RESULT_UPDATE_FAILED || result > FW_RESULT_DEFERRED)
		result = FW_RESULT_CONNECTION_LOST;
	fw_set_result(o, fw, result);
	fw_set_state(o, fw, FW_IDLE);
	return 0;
}

int
fw_update_done(struct obj *o, struct fw *fw, int ok)
{
	if (fw->state != FW_UPDATING)
		return -1;
	if (ok) {
		fw_set_result(o, fw, FW_RESULT_SUCCESS);
		fw_set_state(o, fw, FW_IDLE);
	} else {
		/* The package is still there: the server may try again. */
		fw_set_result(o, fw, FW_RESULT_UPDATE_FAILED);
		fw_set_state(o, fw, FW_DOWNLOADED);
	}
	return 0;
}

int
fw_download_start(struct obj *o, struct fw *fw, const char *uri)
{
	if (fw->state == FW_UPDATING)
		return -1;
	snprintf(fw->uri, sizeof(fw->uri), "%s", uri);
	obj_changed(o, fw, OBJ_FIRMWARE, 1);
	fw_set_result(o, fw, FW_RESULT_INITIAL);
	fw_set_state(o, fw, FW_DOWNLOADING);
	return 0;
}

int
fw_update_start(struct obj *o, struct fw *fw)
{
	if (fw->state != FW_DOWNLOADED)
		return -1;
	fw_set_state(o, fw, FW_UPDATING);
	return 0;
}
