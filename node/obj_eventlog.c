/*
 * obj_eventlog.c: LwM2M object 20, Event Log (OMA registry, 20.xml),
 * instance /20/0: the device's recent log lines (logring.h).
 *
 *   4010  LogClass        R   0, generic: the agent's own lines and the
 *                             output of its firmware, package and health
 *                             commands, in one collection
 *   4011  LogStart        E   collect; the lines kept so far are emptied,
 *                             unless argument 0 is 1 (0='1'): extended
 *   4012  LogStop         E   stop collecting; the lines are kept, unless
 *                             argument 0 is 1 (0='1'): emptied
 *   4013  LogStatus       R   bit 0: stopped; bit 1: LogData holds lines
 *   4014  LogData         R   the lines, oldest first, each
 *                             "SECONDS.MMM TEXT\n" (Unix time), read alone
 *                             as application/octet-stream
 *   4015  LogDataFormat   R   100, vendor-specific: that line format
 *
 * The registry has LogClass and LogDataFormat writable; the agent keeps
 * one collection in one format, so it offers them to read only. A single
 * agent's lines are obj.logs; a fleet device's are its own (obj.log_of),
 * made at its first line or execute.
 *
 * One row of obj_table[] (object.c); see object.h for struct obj_def.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/logring.h"
#include "node/object.h"

#define LOG_STATUS_STOPPED	0x01
#define LOG_STATUS_DATA		0x02

static const struct obj_res eventlog_res[] = {
	{ 4010, OBJ_R, OBJ_INT, "LogClass", 0 },
	{ 4011, OBJ_E, OBJ_INT, "LogStart", 0 },
	{ 4012, OBJ_E, OBJ_INT, "LogStop", 0 },
	{ 4013, OBJ_R, OBJ_INT, "LogStatus", 0 },
	{ 4014, OBJ_R, OBJ_OPAQUE, "LogData", 0 },
	{ 4015, OBJ_R, OBJ_INT, "LogDataFormat", 0 },
};

/* The ring of the device serial names; NULL when it has none (and make
 * is 0, or memory ran out). */
static struct logring *
eventlog_ring(struct obj *o, const char *serial, const struct fw *fw,
    int make)
{
	if (o->log_of != NULL)
		return o->log_of(o->env.arg, serial, fw, make);
	return o->logs;
}

int
eventlog_arg(const uint8_t *arg, size_t len)
{
	/* LwM2M 1.1 Core 5.4.5: arguments "0='1'", separated by ','; a bare
	 * digit is taken too, as /9/0/6's is. Only argument 0 has a
	 * meaning here, and only once. */
	if (len == 0)
		return 0;
	if (len == 1 && (arg[0] == '0' || arg[0] == '1'))
		return arg[0] - '0';
	if (len == 5 && memcmp(arg, "0='", 3) == 0 && arg[4] == '\'' &&
	    (arg[3] == '0' || arg[3] == '1'))
		return arg[3] - '0';
	return -1;
}

static void
eventlog_read(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t rid, struct obj_value *v)
{
	struct logring *r = eventlog_ring(o, serial, fw, 0);
	int st = 0;

	switch (rid) {
	case 4010:
		obj_set_int(v, OBJ_INT, 0);
		break;
	case 4013:
		if (r != NULL && logring_stopped(r))
			st |= LOG_STATUS_STOPPED;
		if (r != NULL && logring_count(r) > 0)
			st |= LOG_STATUS_DATA;
		obj_set_int(v, OBJ_INT, st);
		break;
	case 4015:
		obj_set_int(v, OBJ_INT, LOGRING_FORMAT);
		break;
	default:
		v->type = OBJ_ABSENT;
		break;
	}
}

static char *
eventlog_blob(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t rid, size_t *len)
{
	struct logring *r = eventlog_ring(o, serial, fw, 0);

	(void)rid;
	if (r == NULL) {
		*len = 0;
		return strdup("");
	}
	return logring_render(r, INT64_MIN, len);
}

static enum node_result
eventlog_execute(struct obj *o, struct fw *fw, uint16_t rid,
    const uint8_t *arg, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	struct logring *r;
	int a;

	*act = OBJ_ACTION_NONE;
	if ((a = eventlog_arg(arg, len)) == -1) {
		snprintf(err, errlen, "%s takes no argument, or 0='0' or "
		    "0='1' (%s the lines)", rid == 4011 ? "LogStart" :
		    "LogStop", rid == 4011 ? "1: keep" : "1: empty");
		return NODE_BAD_REQUEST;
	}
	if ((r = eventlog_ring(o, NULL, fw, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NODE_INTERNAL;
	}
	if (rid == 4011) {
		if (a == 0)
			logring_clear(r);
		logring_set_stopped(r, 0);
	} else {
		if (a == 1)
			logring_clear(r);
		logring_set_stopped(r, 1);
	}
	obj_changed(o, NULL, OBJ_EVENTLOG, 4013);
	return NODE_OK;
}

static int
eventlog_present(const struct node_config *cfg)
{
	return cfg->fleet > 0 ? cfg->fleet_log_ring > 0 : cfg->log_ring > 0;
}

const struct obj_def obj_eventlog = {
	.oid = OBJ_EVENTLOG,
	.name = "Event Log",
	.res = eventlog_res,
	.nres = sizeof(eventlog_res) / sizeof(eventlog_res[0]),
	.read = eventlog_read,
	.execute = eventlog_execute,
	.present = eventlog_present,
	.read_blob = eventlog_blob,
};
