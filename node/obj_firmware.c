/*
 * obj_firmware.c: LwM2M object 5, Firmware Update, instance /5/0, pull
 * delivery only: its resources over a struct fw (the agent's own in struct
 * obj, or a fleet device's, fleetfw.c), and the state machine Idle,
 * Downloading, Downloaded, Updating that writes, executes and the
 * download and install code (fw_* hooks, object.h) move it through.
 *
 * One row of obj_table[] (object.c); see object.h for struct obj_def.
 */
#include <stdio.h>
#include <string.h>

#include "node/object.h"
#include "node/uri.h"

static const struct obj_res firmware_res[] = {
	{ 0, OBJ_W, OBJ_STRING, "Package", OBJ_OBS_EVENT },
	{ 1, OBJ_R | OBJ_W, OBJ_STRING, "Package URI", OBJ_OBS_EVENT },
	{ 2, OBJ_E, OBJ_STRING, "Update", OBJ_OBS_EVENT },
	{ 3, OBJ_R, OBJ_INT, "State", OBJ_OBS_EVENT },
	{ 5, OBJ_R, OBJ_INT, "Update Result", OBJ_OBS_EVENT },
	{ 6, OBJ_R, OBJ_STRING, "PkgName", OBJ_OBS_EVENT },
	{ 7, OBJ_R, OBJ_STRING, "PkgVersion", OBJ_OBS_EVENT },
	{ 9, OBJ_R, OBJ_INT, "Firmware Update Delivery Method",
	    OBJ_OBS_EVENT },
};

static const char *const fw_state_names[] = {
	"Idle", "Downloading", "Downloaded", "Updating"
};

const char *
fw_state_name(int state)
{
	return state >= 0 && state <= FW_UPDATING ? fw_state_names[state] :
	    "?";
}

/* The value of a readable resource of fw. */
static void
firmware_read(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t rid, struct obj_value *v)
{
	(void)o;
	(void)serial;
	switch (rid) {
	case 1:
		obj_set_str(v, fw->uri);
		break;
	case 3:
		obj_set_int(v, OBJ_INT, fw->state);
		break;
	case 5:
		obj_set_int(v, OBJ_INT, fw->result);
		break;
	case 6:
		obj_set_str(v, fw->pkg_name);
		break;
	case 7:
		obj_set_str(v, fw->pkg_version);
		break;
	case 9:
		obj_set_int(v, OBJ_INT, 0);		/* pull only */
		break;
	}
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

/* Sets the State, telling observers when it moved. */
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

/* Writes: /5/0/1 Package URI; /5/0/0 Package (push) is refused. */
static enum node_result
firmware_write(struct obj *o, struct fw *fw, uint16_t rid,
    const uint8_t *buf, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	if (rid == 0) {
		snprintf(err, errlen, "push delivery is not supported: write "
		    "/5/0/1 Package URI (/5/0/9 Delivery Method is 0, pull)");
		return NODE_NOT_ALLOWED;
	}
	return fw_write_uri(o, fw, buf, len, act, err, errlen);
}

/* /5/0/2 Update: from Downloaded only, to Updating; the caller installs. */
static enum node_result
firmware_execute(struct obj *o, struct fw *fw, uint16_t rid,
    const uint8_t *arg, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	(void)rid;
	(void)arg;
	(void)len;
	if (fw->state != FW_DOWNLOADED) {
		snprintf(err, errlen, "Update needs State 2 (Downloaded); State "
		    "is %d (%s)", fw->state, fw_state_name(fw->state));
		return NODE_NOT_ALLOWED;
	}
	fw_set_state(o, fw, FW_UPDATING);
	*act = OBJ_ACTION_UPDATE;
	return NODE_OK;
}

const struct obj_def obj_firmware = {
	.oid = OBJ_FIRMWARE,
	.name = "Firmware Update",
	.res = firmware_res,
	.nres = sizeof(firmware_res) / sizeof(firmware_res[0]),
	.read = firmware_read,
	.write = firmware_write,
	.execute = firmware_execute,
};

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
