/*
 * obj_device.c: LwM2M object 3, Device, instance /3/0: the machine as the
 * configuration's [device] section and the live figures of struct obj_env
 * describe it, and the Reboot and Factory Reset executes, which run the
 * configured commands (the caller does, on OBJ_ACTION_REBOOT and
 * OBJ_ACTION_FACTORY_RESET). Its Error Codes (/3/0/11) are the health
 * figures against the [errors] thresholds (health_errors): 1 low battery,
 * 5 out of memory, 7 IP connectivity failure, 16 (device-specific) disk
 * nearly full.
 *
 * One row of obj_table[] (object.c); see object.h for struct obj_def.
 */
#include <stdio.h>

#include "node/object.h"

static const struct obj_res device_res[] = {
	{ 0, OBJ_R, OBJ_STRING, "Manufacturer", OBJ_OBS_EVENT },
	{ 1, OBJ_R, OBJ_STRING, "Model Number", OBJ_OBS_EVENT },
	{ 2, OBJ_R, OBJ_STRING, "Serial Number", OBJ_OBS_EVENT },
	{ 3, OBJ_R, OBJ_STRING, "Firmware Version", OBJ_OBS_EVENT },
	{ 4, OBJ_E, OBJ_STRING, "Reboot", OBJ_OBS_EVENT },
	{ 5, OBJ_E, OBJ_STRING, "Factory Reset", OBJ_OBS_EVENT },
	{ 9, OBJ_R, OBJ_INT, "Battery Level", OBJ_OBS_SAMPLED },
	{ 10, OBJ_R, OBJ_INT, "Memory Free", OBJ_OBS_SAMPLED },
	{ 11, OBJ_R | OBJ_M, OBJ_INT, "Error Code", OBJ_OBS_SAMPLED },
	{ 13, OBJ_R, OBJ_TIME, "Current Time", OBJ_OBS_TICK },
	{ 16, OBJ_R, OBJ_STRING, "Supported Binding and Modes",
	    OBJ_OBS_EVENT },
	{ 17, OBJ_R, OBJ_STRING, "Device Type", OBJ_OBS_EVENT },
	{ 19, OBJ_R, OBJ_STRING, "Software Version", OBJ_OBS_EVENT },
};

/* The value of a readable resource; the Serial Number is the endpoint
 * name (serial) unless [device] serial sets one. */
static void
device_read(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t rid, struct obj_value *v)
{
	const struct node_config *cfg = o->cfg;
	long kb;

	(void)fw;
	switch (rid) {
	case 0:
		obj_set_str(v, cfg->manufacturer);
		break;
	case 1:
		obj_set_str(v, cfg->model);
		break;
	case 2:
		obj_set_str(v, cfg->serial[0] != '\0' ? cfg->serial : serial);
		break;
	case 3:
		obj_set_str(v, cfg->firmware_version);
		break;
	case 9:
		obj_set_int(v, OBJ_INT, o->env.battery(o->env.arg));
		break;
	case 10:
		kb = o->env.mem_free_kb(o->env.arg);
		obj_set_int(v, OBJ_INT, kb < 0 ? 0 : kb);
		break;
	case 13:
		obj_set_int(v, OBJ_TIME, o->env.now(o->env.arg));
		break;
	case 16:
		obj_set_str(v, cfg->queue_mode ? "UQ" : "U");
		break;
	case 17:
		obj_set_str(v, cfg->device_type);
		break;
	case 19:
		obj_set_str(v, OUTPOST_VERSION);
		break;
	}
}

/* Error Code (11): one instance per error now, in ascending order; 0 (no
 * error) alone when there is none. */
static size_t
device_read_multi(struct obj *o, uint16_t rid, struct obj_value *vals,
    size_t max)
{
	uint64_t mask = o->errors != NULL ? o->errors(o->env.arg) : 0;
	size_t n = 0;
	int code;

	(void)rid;
	for (code = 1; code < 64 && n < max; code++)
		if (mask & (1ULL << code))
			obj_set_int(&vals[n++], OBJ_INT, code);
	if (n == 0 && max > 0)
		obj_set_int(&vals[n++], OBJ_INT, 0);
	return n;
}

/* Reboot (4) and Factory Reset (5): allowed when their command is
 * configured; the caller runs it after answering. */
static enum node_result
device_execute(struct obj *o, struct fw *fw, uint16_t rid,
    const uint8_t *arg, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	const char *cmd = rid == 4 ? o->cfg->reboot_command :
	    o->cfg->factory_reset_command;

	(void)fw;
	(void)arg;
	(void)len;
	if (cmd[0] == '\0') {
		snprintf(err, errlen, "no command configured ([device] %s)",
		    rid == 4 ? "reboot_command" : "factory_reset_command");
		return NODE_NOT_ALLOWED;
	}
	*act = rid == 4 ? OBJ_ACTION_REBOOT : OBJ_ACTION_FACTORY_RESET;
	return NODE_OK;
}

/* The binding follows [node] binding, the battery level [device]
 * battery: their observers hear of a /config write that changes them. */
static void
device_reconfigured(struct obj *o, const struct node_config *was)
{
	if (was->queue_mode != o->cfg->queue_mode)
		obj_changed(o, NULL, OBJ_DEVICE, 16);
	if (was->battery != o->cfg->battery)
		obj_changed(o, NULL, OBJ_DEVICE, 9);
	/* The [errors] thresholds: the codes may read otherwise now. */
	if (was->battery != o->cfg->battery ||
	    was->err_mem_free_kb != o->cfg->err_mem_free_kb ||
	    was->err_disk_free_kb != o->cfg->err_disk_free_kb ||
	    was->err_battery != o->cfg->err_battery ||
	    was->err_gateway_silence != o->cfg->err_gateway_silence)
		obj_changed(o, NULL, OBJ_DEVICE, 11);
}

const struct obj_def obj_device = {
	.oid = OBJ_DEVICE,
	.name = "Device",
	.res = device_res,
	.nres = sizeof(device_res) / sizeof(device_res[0]),
	.read = device_read,
	.execute = device_execute,
	.reconfigured = device_reconfigured,
	.read_multi = device_read_multi,
};
