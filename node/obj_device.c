/*
 * obj_device.c: LwM2M object 3, Device, instance /3/0: the machine as the
 * configuration's [device] section and the live figures of struct obj_env
 * describe it, and the Reboot and Factory Reset executes, which run the
 * configured commands (the caller does, on OBJ_ACTION_REBOOT and
 * OBJ_ACTION_FACTORY_RESET). Its Error Codes (/3/0/11) are the health
 * figures against the [errors] thresholds (health_errors): 1 low battery,
 * 5 out of memory, 7 IP connectivity failure, 16 (device-specific) disk
 * nearly full. UTC Offset (/3/0/14) and Timezone (/3/0/15) are what an
 * operator writes, each device its own (struct obj_clock; a single
 * agent's start from the system's, obj_clock_system); the agent keeps
 * them in memory only and sets no clock of the machine by them.
 *
 * One row of obj_table[] (object.c); see object.h for struct obj_def.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "node/object.h"
#include "tz.h"

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
	{ 14, OBJ_R | OBJ_W, OBJ_STRING, "UTC Offset", OBJ_OBS_EVENT },
	{ 15, OBJ_R | OBJ_W, OBJ_STRING, "Timezone", OBJ_OBS_EVENT },
	{ 16, OBJ_R, OBJ_STRING, "Supported Binding and Modes",
	    OBJ_OBS_EVENT },
	{ 17, OBJ_R, OBJ_STRING, "Device Type", OBJ_OBS_EVENT },
	{ 19, OBJ_R, OBJ_STRING, "Software Version", OBJ_OBS_EVENT },
};

/* The clock values of the device fw names, to read. */
static const struct obj_clock *
device_clock(struct obj *o, const struct fw *fw)
{
	const struct obj_clock *c;

	if (o->clock_of == NULL || (c = o->clock_of(o->env.arg, fw, 0)) ==
	    NULL)
		return &o->clock;
	return c;
}

/* The value of a readable resource; the Serial Number is the endpoint
 * name (serial) unless [device] serial sets one. */
static void
device_read(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t rid, struct obj_value *v)
{
	const struct node_config *cfg = o->cfg;
	long kb;

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
	case 14:
		obj_set_str(v, device_clock(o, fw)->utc_offset);
		break;
	case 15:
		obj_set_str(v, device_clock(o, fw)->timezone);
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

/* Two decimal digits at s, at most max: the number, or -1. */
static int
device_2digits(const uint8_t *s, int max)
{
	int v;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	v = (s[0] - '0') * 10 + (s[1] - '0');
	return v <= max ? v : -1;
}

int
obj_clock_ok(uint16_t rid, const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	char name[OBJ_TIMEZONE_MAX];

	if (rid == 15) {
		if (len > 0 && len < sizeof(name) &&
		    memchr(buf, '\0', len) == NULL) {
			memcpy(name, buf, len);
			name[len] = '\0';
			if (tz_name_ok(name))
				return 1;
		}
		snprintf(err, errlen, "/3/0/15 Timezone: not a zone name "
		    "(\"Europe/Berlin\": [A-Za-z0-9_+-] segments joined by "
		    "'/', at most %d bytes)", TZ_NAME_MAX);
		return 0;
	}
	if (len == 1 && buf[0] == 'Z')
		return 1;
	if ((len == 3 || len == 5 || len == 6) &&
	    (buf[0] == '+' || buf[0] == '-') &&
	    device_2digits(buf + 1, 14) >= 0 &&
	    (len == 3 || (len == 5 && device_2digits(buf + 3, 59) >= 0) ||
	    (len == 6 && buf[3] == ':' && device_2digits(buf + 4, 59) >= 0)))
		return 1;
	snprintf(err, errlen, "/3/0/14 UTC Offset: not an offset from UTC "
	    "(\"+01:00\", \"-0530\", \"+02\" or \"Z\"; at most 14 hours)");
	return 0;
}

/* UTC Offset (14) and Timezone (15): the device's own from now on. */
static enum node_result
device_write(struct obj *o, struct fw *fw, uint16_t rid, const uint8_t *buf,
    size_t len, enum obj_action *act, char *err, size_t errlen)
{
	struct obj_clock *c = &o->clock;

	*act = OBJ_ACTION_NONE;
	if (!obj_clock_ok(rid, buf, len, err, errlen))
		return NODE_BAD_REQUEST;
	if (o->clock_of != NULL && (c = o->clock_of(o->env.arg, fw, 1)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return NODE_INTERNAL;
	}
	if (rid == 14)
		snprintf(c->utc_offset, sizeof(c->utc_offset), "%.*s",
		    (int)len, (const char *)buf);
	else
		snprintf(c->timezone, sizeof(c->timezone), "%.*s", (int)len,
		    (const char *)buf);
	obj_changed(o, fw, OBJ_DEVICE, rid);
	return NODE_OK;
}

void
obj_utc_offset(long gmtoff, char *buf, size_t len)
{
	long a = gmtoff < 0 ? -gmtoff : gmtoff;

	if (a > 14 * 3600L)
		a = 14 * 3600L;
	snprintf(buf, len, "%c%02ld:%02ld", gmtoff < 0 ? '-' : '+', a / 3600,
	    a / 60 % 60);
}

/* Whether name is a plain zone name with a file under zonedir. */
static int
device_zone_file(const char *name, const char *zonedir)
{
	char path[PATH_MAX];
	struct stat st;
	int n;

	if (!tz_name_ok(name))
		return 0;
	n = snprintf(path, sizeof(path), "%s/%s", zonedir, name);
	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode);
}

/* The first line of file, if it is a plain zone name (into name). */
static int
device_zone_line(const char *file, char *name, size_t len)
{
	FILE *fp;
	size_t n;
	int ok;

	if ((fp = fopen(file, "r")) == NULL)
		return 0;
	ok = fgets(name, (int)len, fp) != NULL && (strchr(name, '\n') !=
	    NULL || feof(fp));	/* not a longer line cut short */
	fclose(fp);
	if (!ok)
		return 0;
	n = strcspn(name, "\r\n");
	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	name[n] = '\0';
	return tz_name_ok(name);
}

/* The zone /etc/localtime links to (".../zoneinfo/Europe/Berlin"). */
static int
device_zone_link(const char *link, char *name, size_t len)
{
	char target[PATH_MAX];
	const char *p;
	ssize_t n;

	if ((n = readlink(link, target, sizeof(target) - 1)) <= 0)
		return 0;
	target[n] = '\0';
	if ((p = strstr(target, "zoneinfo/")) == NULL)
		return 0;
	p += strlen("zoneinfo/");
	if (strncmp(p, "posix/", 6) == 0)
		p += 6;
	snprintf(name, len, "%s", p);
	return tz_name_ok(name);
}

void
obj_clock_system(struct obj_clock *c, long gmtoff, const char *tzenv,
    const char *tzfile, const char *localtime, const char *zonedir)
{
	obj_utc_offset(gmtoff, c->utc_offset, sizeof(c->utc_offset));
	if (tzenv != NULL && tzenv[0] == ':')
		tzenv++;
	if (tzenv != NULL && device_zone_file(tzenv, zonedir))
		snprintf(c->timezone, sizeof(c->timezone), "%s", tzenv);
	else if ((tzfile == NULL || !device_zone_line(tzfile, c->timezone,
	    sizeof(c->timezone))) && (localtime == NULL ||
	    !device_zone_link(localtime, c->timezone, sizeof(c->timezone))))
		snprintf(c->timezone, sizeof(c->timezone), "UTC");
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
	.write = device_write,
	.execute = device_execute,
	.reconfigured = device_reconfigured,
	.read_multi = device_read_multi,
};
