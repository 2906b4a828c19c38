/*
 * obj_software.c: LwM2M object 9, Software Management, instance /9/0, of
 * a single agent with [software] dir: its resources over struct sw (in
 * struct obj), and its package state machine, Initial, Download Started,
 * Downloaded, Delivered, Installed, which writes, executes and the agent
 * (swget.c: the download, the commands, the state file) move it through.
 *
 * sw_step is the machine alone, pure; sw_apply runs it on the agent's /9/0
 * and tells observers what moved. An execute or a write only starts an
 * op (struct sw.op) and answers; swget.c does the op after the answer and
 * reports its end (sw_download_done, sw_op_done). One op at a time.
 *
 * One row of obj_table[] (object.c); see object.h for struct obj_def.
 */
#include <stdio.h>
#include <string.h>

#include "node/object.h"
#include "node/uri.h"

static const struct obj_res software_res[] = {
	{ 0, OBJ_R, OBJ_STRING, "PkgName", OBJ_OBS_EVENT },
	{ 1, OBJ_R, OBJ_STRING, "PkgVersion", OBJ_OBS_EVENT },
	{ 2, OBJ_W, OBJ_OPAQUE, "Package", OBJ_OBS_EVENT },
	{ 3, OBJ_W, OBJ_STRING, "Package URI", OBJ_OBS_EVENT },
	{ 4, OBJ_E, OBJ_STRING, "Install", OBJ_OBS_EVENT },
	{ 6, OBJ_E, OBJ_STRING, "Uninstall", OBJ_OBS_EVENT },
	{ 7, OBJ_R, OBJ_INT, "Update State", OBJ_OBS_EVENT },
	{ 9, OBJ_R, OBJ_INT, "Update Result", OBJ_OBS_EVENT },
	{ 10, OBJ_E, OBJ_STRING, "Activate", OBJ_OBS_EVENT },
	{ 11, OBJ_E, OBJ_STRING, "Deactivate", OBJ_OBS_EVENT },
	{ 12, OBJ_R, OBJ_BOOL, "Activation State", OBJ_OBS_EVENT },
};

static const char *const sw_state_names[] = {
	"INITIAL", "DOWNLOAD STARTED", "DOWNLOADED", "DELIVERED", "INSTALLED"
};

static const char *const sw_op_names[] = {
	"none", "a download", "Install", "Uninstall", "Uninstall for an "
	"update", "Uninstall", "Activate", "Deactivate"
};

const char *
sw_state_name(int state)
{
	return state >= 0 && state <= SW_INSTALLED ? sw_state_names[state] :
	    "?";
}

/* Why an execute or a write is refused in s's Update State. */
static enum node_result
sw_refuse(const struct sw *s, const char *what, const char *needs, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "%s needs Update State %s; it is %d (%s)", what,
	    needs, s->state, sw_state_name(s->state));
	return NODE_NOT_ALLOWED;
}

/* An execute in state need: starts op, unless another runs. */
static enum node_result
sw_start(struct sw *s, enum sw_state need, enum sw_op op, const char *what,
    const char *needs, char *err, size_t errlen)
{
	if (s->state != need)
		return sw_refuse(s, what, needs, err, errlen);
	if (s->op != SW_OP_NONE) {
		snprintf(err, errlen, "%s: %s is under way", what,
		    sw_op_names[s->op < sizeof(sw_op_names) /
		    sizeof(sw_op_names[0]) ? s->op : 0]);
		return NODE_UNAVAILABLE;
	}
	s->op = (uint8_t)op;
	return NODE_OK;
}

/* The op under way ended: where it leaves the package. */
static enum node_result
sw_done(struct sw *s, int ok, char *err, size_t errlen)
{
	switch (s->op) {
	case SW_OP_INSTALL:
		/* A failed install keeps the package: it may be tried again. */
		if (ok) {
			s->state = SW_INSTALLED;
			s->active = 0;
		}
		s->result = ok ? SW_RESULT_INSTALLED : SW_RESULT_INSTALL_FAILED;
		break;
	case SW_OP_UNINSTALL:
	case SW_OP_REMOVE:
		if (!ok) {
			s->result = s->op == SW_OP_REMOVE ?
			    SW_RESULT_DEVICE_ERROR : SW_RESULT_UNINSTALL_FAILED;
			break;
		}
		s->state = SW_INITIAL;
		s->result = SW_RESULT_INITIAL;
		s->active = 0;
		s->pkg_name[0] = '\0';
		s->pkg_version[0] = '\0';
		break;
	case SW_OP_PREPARE:
		/* What runs stays, and is named, until a new package comes. */
		if (!ok) {
			s->result = SW_RESULT_UNINSTALL_FAILED;
			break;
		}
		s->state = SW_INITIAL;
		s->result = SW_RESULT_INITIAL;
		break;
	case SW_OP_ACTIVATE:
	case SW_OP_DEACTIVATE:
		if (ok)
			s->active = s->op == SW_OP_ACTIVATE;
		s->result = ok ? SW_RESULT_INSTALLED : SW_RESULT_DEVICE_ERROR;
		break;
	default:
		snprintf(err, errlen, "no command is under way");
		return NODE_BAD_REQUEST;
	}
	s->op = SW_OP_NONE;
	return NODE_OK;
}

enum node_result
sw_step(struct sw *s, enum sw_event ev, int result, char *err, size_t errlen)
{
	switch (ev) {
	case SW_EV_URI:
	case SW_EV_URI_BAD:
		if (s->state != SW_INITIAL || s->op != SW_OP_NONE)
			return sw_refuse(s, "a Package URI", "0 (INITIAL): "
			    "Uninstall first", err, errlen);
		if (ev == SW_EV_URI_BAD) {
			s->result = SW_RESULT_INVALID_URI;
			return NODE_OK;
		}
		s->state = SW_DOWNLOAD_STARTED;
		s->result = SW_RESULT_DOWNLOADING;
		s->op = SW_OP_DOWNLOAD;
		return NODE_OK;
	case SW_EV_CANCEL:
		if (s->state != SW_INITIAL && s->state != SW_DOWNLOAD_STARTED &&
		    s->state != SW_DOWNLOADED)
			return sw_refuse(s, "an empty Package URI (cancel)",
			    "0..2", err, errlen);
		s->state = SW_INITIAL;
		s->result = SW_RESULT_INITIAL;
		s->op = SW_OP_NONE;
		return NODE_OK;
	case SW_EV_FETCHED:
		if (s->state != SW_DOWNLOAD_STARTED)
			break;
		s->state = SW_DOWNLOADED;
		return NODE_OK;
	case SW_EV_VERIFIED:
		if (s->state != SW_DOWNLOADED)
			break;
		s->state = SW_DELIVERED;
		s->result = SW_RESULT_DELIVERED;
		s->op = SW_OP_NONE;
		return NODE_OK;
	case SW_EV_FAILED:
		if (s->state != SW_DOWNLOAD_STARTED &&
		    s->state != SW_DOWNLOADED)
			break;
		if (result < SW_RESULT_NO_STORAGE ||
		    result > SW_RESULT_UNINSTALL_FAILED)
			result = SW_RESULT_DEVICE_ERROR;
		s->state = SW_INITIAL;
		s->result = (uint8_t)result;
		s->op = SW_OP_NONE;
		return NODE_OK;
	case SW_EV_INSTALL:
		return sw_start(s, SW_DELIVERED, SW_OP_INSTALL, "Install",
		    "3 (DELIVERED)", err, errlen);
	case SW_EV_UNINSTALL:
	case SW_EV_PREPARE:
		/* A package delivered and not installed is only dropped. */
		if (s->state == SW_DELIVERED)
			return sw_start(s, SW_DELIVERED, SW_OP_REMOVE,
			    "Uninstall", "3 or 4", err, errlen);
		return sw_start(s, SW_INSTALLED, ev == SW_EV_UNINSTALL ?
		    SW_OP_UNINSTALL : SW_OP_PREPARE, "Uninstall",
		    "3 (DELIVERED) or 4 (INSTALLED)", err, errlen);
	case SW_EV_ACTIVATE:
	case SW_EV_DEACTIVATE:
		return sw_start(s, SW_INSTALLED, ev == SW_EV_ACTIVATE ?
		    SW_OP_ACTIVATE : SW_OP_DEACTIVATE, ev == SW_EV_ACTIVATE ?
		    "Activate" : "Deactivate", "4 (INSTALLED)", err, errlen);
	case SW_EV_DONE:
	case SW_EV_DONE_FAILED:
		if (s->op == SW_OP_DOWNLOAD)
			break;
		return sw_done(s, ev == SW_EV_DONE, err, errlen);
	}
	snprintf(err, errlen, "no download is under way (Update State %d, "
	    "%s)", s->state, sw_state_name(s->state));
	return NODE_BAD_REQUEST;
}

enum node_result
sw_apply(struct obj *o, enum sw_event ev, int result, char *err,
    size_t errlen)
{
	struct sw was = o->sw;
	enum node_result res;

	if ((res = sw_step(&o->sw, ev, result, err, errlen)) != NODE_OK)
		return res;
	if (strcmp(was.pkg_name, o->sw.pkg_name) != 0)
		obj_changed(o, NULL, OBJ_SOFTWARE, 0);
	if (strcmp(was.pkg_version, o->sw.pkg_version) != 0)
		obj_changed(o, NULL, OBJ_SOFTWARE, 1);
	if (was.state != o->sw.state)
		obj_changed(o, NULL, OBJ_SOFTWARE, 7);
	if (was.result != o->sw.result)
		obj_changed(o, NULL, OBJ_SOFTWARE, 9);
	if (was.active != o->sw.active)
		obj_changed(o, NULL, OBJ_SOFTWARE, 12);
	return NODE_OK;
}

int
sw_download_done(struct obj *o, int ok, int result, const char *name,
    const char *version)
{
	struct sw *s = &o->sw;
	char err[128];

	if (s->op != SW_OP_DOWNLOAD)
		return -1;
	if (!ok)
		return sw_apply(o, SW_EV_FAILED, result, err, sizeof(err)) ==
		    NODE_OK ? 0 : -1;
	if (sw_apply(o, SW_EV_FETCHED, 0, err, sizeof(err)) != NODE_OK)
		return -1;
	if (strcmp(s->pkg_name, name) != 0) {
		snprintf(s->pkg_name, sizeof(s->pkg_name), "%s", name);
		obj_changed(o, NULL, OBJ_SOFTWARE, 0);
	}
	if (strcmp(s->pkg_version, version) != 0) {
		snprintf(s->pkg_version, sizeof(s->pkg_version), "%s",
		    version);
		obj_changed(o, NULL, OBJ_SOFTWARE, 1);
	}
	return sw_apply(o, SW_EV_VERIFIED, 0, err, sizeof(err)) == NODE_OK ?
	    0 : -1;
}

int
sw_op_done(struct obj *o, int ok)
{
	char err[128];

	if (o->sw.op == SW_OP_NONE || o->sw.op == SW_OP_DOWNLOAD)
		return -1;
	return sw_apply(o, ok ? SW_EV_DONE : SW_EV_DONE_FAILED, 0, err,
	    sizeof(err)) == NODE_OK ? 0 : -1;
}

int
sw_result_of(enum fw_result r)
{
	switch (r) {
	case FW_RESULT_NO_STORAGE:
		return SW_RESULT_NO_STORAGE;
	case FW_RESULT_NO_MEMORY:
		return SW_RESULT_NO_MEMORY;
	case FW_RESULT_CONNECTION_LOST:
		return SW_RESULT_CONNECTION_LOST;
	case FW_RESULT_INTEGRITY:
		return SW_RESULT_INTEGRITY;
	case FW_RESULT_UNSUPPORTED_TYPE:
		return SW_RESULT_UNSUPPORTED_TYPE;
	case FW_RESULT_INVALID_URI:
	case FW_RESULT_UNSUPPORTED_PROTOCOL:
		return SW_RESULT_INVALID_URI;
	default:
		return SW_RESULT_DEVICE_ERROR;
	}
}

int
sw_uninstall_arg(const uint8_t *arg, size_t len)
{
	if (len == 0 || (len == 1 && arg[0] == '0'))
		return 0;
	if (len == 1 && arg[0] == '1')
		return 1;
	return -1;
}

/* The value of a readable resource of /9/0. */
static void
software_read(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t rid, struct obj_value *v)
{
	const struct sw *s = &o->sw;

	(void)serial;
	(void)fw;
	switch (rid) {
	case 0:
		obj_set_str(v, s->pkg_name);
		break;
	case 1:
		obj_set_str(v, s->pkg_version);
		break;
	case 7:
		obj_set_int(v, OBJ_INT, s->state);
		break;
	case 9:
		obj_set_int(v, OBJ_INT, s->result);
		break;
	case 12:
		obj_set_int(v, OBJ_BOOL, s->active);
		break;
	}
}

/*
 * Writes: /9/0/3 Package URI; /9/0/2 Package (push) is refused. A URI
 * starts the download in INITIAL only; one that is not an absolute URI we
 * can fetch stays there with result 56; empty cancels a download (or
 * clears a result). The URI of the download under way again: nothing (a
 * retransmission of the write; libcoap 4.3.1 does not deduplicate).
 */
static enum node_result
software_write(struct obj *o, struct fw *fw, uint16_t rid,
    const uint8_t *buf, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	struct sw *s = &o->sw;
	enum uri_pkg kind;
	enum node_result res;

	(void)fw;
	if (rid == 2) {
		snprintf(err, errlen, "push delivery is not supported: write "
		    "the package's coap[s]:// URI to /9/0/3 Package URI");
		return NODE_NOT_ALLOWED;
	}
	if (len == 0)
		return sw_apply(o, SW_EV_CANCEL, 0, err, errlen);
	if ((kind = uri_check_package(buf, len)) == URI_PKG_MALFORMED) {
		snprintf(err, errlen, "Package URI must be 1..%d bytes of "
		    "printable ASCII without spaces", URI_PKG_MAX);
		return NODE_BAD_REQUEST;
	}
	if (s->op == SW_OP_DOWNLOAD && strlen(s->uri) == len &&
	    memcmp(s->uri, buf, len) == 0)
		return NODE_OK;
	if ((res = sw_apply(o, kind == URI_PKG_OK ? SW_EV_URI : SW_EV_URI_BAD,
	    0, err, errlen)) != NODE_OK)
		return res;
	memcpy(s->uri, buf, len);
	s->uri[len] = '\0';
	if (kind == URI_PKG_OK)
		*act = OBJ_ACTION_SOFTWARE;
	return NODE_OK;
}

/* /9/0/4 Install, /9/0/6 Uninstall (argument 0, or 1: for an update),
 * /9/0/10 Activate, /9/0/11 Deactivate: each starts its op. */
static enum node_result
software_execute(struct obj *o, struct fw *fw, uint16_t rid,
    const uint8_t *arg, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	enum sw_event ev;
	enum node_result res;
	int how;

	(void)fw;
	switch (rid) {
	case 4:
		ev = SW_EV_INSTALL;
		break;
	case 6:
		if ((how = sw_uninstall_arg(arg, len)) == -1) {
			snprintf(err, errlen, "Uninstall takes no argument, 0 "
			    "(uninstall) or 1 (prepare for an update)");
			return NODE_BAD_REQUEST;
		}
		ev = how == 1 ? SW_EV_PREPARE : SW_EV_UNINSTALL;
		break;
	case 10:
		ev = SW_EV_ACTIVATE;
		break;
	default:
		ev = SW_EV_DEACTIVATE;
		break;
	}
	if ((res = sw_apply(o, ev, 0, err, errlen)) == NODE_OK)
		*act = OBJ_ACTION_SOFTWARE;
	return res;
}

/* Served by a single agent with [software] dir. */
static int
software_present(const struct node_config *cfg)
{
	return cfg->sw_dir[0] != '\0' && cfg->fleet == 0;
}

const struct obj_def obj_software = {
	.oid = OBJ_SOFTWARE,
	.name = "Software Management",
	.res = software_res,
	.nres = sizeof(software_res) / sizeof(software_res[0]),
	.read = software_read,
	.write = software_write,
	.execute = software_execute,
	.present = software_present,
};
