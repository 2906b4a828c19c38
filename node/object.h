/*
 * object.h: the LwM2M objects the node serves, as a model without CoAP:
 * /3/0 Device and /5/0 Firmware Update. Reads, writes and executes come in
 * as (object, resource) and go out as a value or a result; the CoAP side
 * (res.c) maps results to codes in one place.
 *
 * Live values (time, memory, battery) come through struct obj_env so that
 * tests can substitute them. Executes that start something outside (a
 * command, a download) return an action for the caller to perform after it
 * has answered.
 */
#ifndef OUTPOST_NODE_OBJECT_H
#define OUTPOST_NODE_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "node/nconf.h"

/* What an operation came to; res.c turns it into a CoAP code. */
enum node_result {
	NODE_OK,
	NODE_BAD_REQUEST,	/* 4.00 */
	NODE_NOT_FOUND,		/* 4.04 */
	NODE_NOT_ALLOWED,	/* 4.05 */
	NODE_NOT_ACCEPTABLE,	/* 4.06 */
	NODE_TOO_LARGE,		/* 4.13 */
	NODE_BAD_FORMAT,	/* 4.15 */
	NODE_INTERNAL,		/* 5.00 */
	NODE_UNAVAILABLE,	/* 5.03 */
};

enum obj_type {
	OBJ_STRING,
	OBJ_INT,
	OBJ_FLOAT,
	OBJ_TIME,		/* unix seconds, an integer */
};

#define OBJ_R	0x01
#define OBJ_W	0x02
#define OBJ_E	0x04

#define OBJ_DEVICE	3
#define OBJ_FIRMWARE	5
#define OBJ_STR_MAX	256	/* bytes of a string value, with the NUL */

/* One resource of an object's single instance 0. */
struct obj_res {
	uint16_t	 oid;
	uint16_t	 rid;
	uint8_t		 ops;		/* OBJ_R | OBJ_W | OBJ_E */
	uint8_t		 type;		/* enum obj_type */
	const char	*name;
};

struct obj_value {
	enum obj_type	 type;
	int64_t		 i;		/* OBJ_INT, OBJ_TIME */
	double		 f;		/* OBJ_FLOAT */
	char		 s[OBJ_STR_MAX];	/* OBJ_STRING */
};

/* Firmware Update states and results (LwM2M 1.1, object 5). */
enum fw_state {
	FW_IDLE,
	FW_DOWNLOADING,
	FW_DOWNLOADED,
	FW_UPDATING,
};

enum fw_result {
	FW_RESULT_INITIAL,
	FW_RESULT_SUCCESS,
	FW_RESULT_NO_STORAGE,
	FW_RESULT_NO_MEMORY,
	FW_RESULT_CONNECTION_LOST,
	FW_RESULT_INTEGRITY,
	FW_RESULT_UNSUPPORTED_TYPE,
	FW_RESULT_INVALID_URI,
	FW_RESULT_UPDATE_FAILED,
	FW_RESULT_UNSUPPORTED_PROTOCOL,
	FW_RESULT_CANCELLED,
	FW_RESULT_DEFERRED,
};

#define OBJ_PKG_MAX	65	/* a manifest's class and version, NUL */

/*
 * The Firmware Update object of one device: the agent's own (in struct
 * obj), or a fleet device's (fleetfw.c), about 390 bytes.
 */
struct fw {
	uint8_t		 state;		/* enum fw_state */
	uint8_t		 result;	/* enum fw_result */
	char		 uri[OBJ_STR_MAX];
	char		 pkg_name[OBJ_PKG_MAX];
	char		 pkg_version[OBJ_PKG_MAX];
};

/* What the caller does once it has answered an execute or a write. */
enum obj_action {
	OBJ_ACTION_NONE,
	OBJ_ACTION_REBOOT,		/* run [device] reboot_command */
	OBJ_ACTION_FACTORY_RESET,	/* run [device] factory_reset_command */
	OBJ_ACTION_DOWNLOAD,		/* fetch fw.uri */
	OBJ_ACTION_UPDATE,		/* install the package */
};

struct obj_env {
	int64_t	(*now)(void *arg);		/* unix seconds */
	long	(*mem_free_kb)(void *arg);	/* -1 when unknown */
	int	(*battery)(void *arg);		/* 0..100 */
	void	*arg;
};

/* Called after a value changed by a write, an execute or a hook; fw is
 * the Firmware Update object that changed, NULL for the Device object. */
typedef void (*obj_changed_cb)(void *arg, const struct fw *fw, uint16_t oid,
	    uint16_t rid);

struct obj {
	const struct node_config *cfg;	/* not owned */
	struct obj_env	 env;
	struct fw	 fw;		/* a single agent's */
	int		 error_code;	/* /3/0/11 */
	obj_changed_cb	 changed;	/* may be NULL */
	void		*changed_arg;
};

/* Sets up o over cfg (kept by pointer) and env. */
void	obj_init(struct obj *o, const struct node_config *cfg,
	    const struct obj_env *env);

/* The resource table: every resource of both objects, by object. */
const struct obj_res *obj_resources(size_t *count);

/* The row of /oid/0/rid; NULL when there is none. */
const struct obj_res *obj_find(uint16_t oid, uint16_t rid);

/*
 * Every call below names the device it is about: serial is the Serial
 * Number when [device] serial is empty (the endpoint name), fw its Firmware
 * Update object (&o->fw for a single agent).
 */

/*
 * Reads /oid/0/rid into v. Returns NODE_OK, NODE_NOT_FOUND or
 * NODE_NOT_ALLOWED (an execute-only or write-only resource) with err.
 */
enum node_result obj_read(struct obj *o, const char *serial,
	    const struct fw *fw, uint16_t oid, uint16_t rid,
	    struct obj_value *v, char *err, size_t errlen);

/* Formats v as text/plain into buf. Returns the length, or -1 when it
 * does not fit. */
int	obj_value_text(const struct obj_value *v, char *buf, size_t len);

/*
 * Writes text/plain (len bytes, no NUL needed) to /oid/0/rid. Returns
 * NODE_OK with *act (OBJ_ACTION_DOWNLOAD when a download should start),
 * or an error with err and nothing changed.
 */
enum node_result obj_write(struct obj *o, struct fw *fw, uint16_t oid,
	    uint16_t rid, const uint8_t *buf, size_t len, enum obj_action *act,
	    char *err, size_t errlen);

/*
 * Executes /oid/0/rid (arguments are accepted and ignored). Returns NODE_OK
 * with *act, or an error with err: NODE_NOT_ALLOWED for a resource that is
 * not executable, or Update outside State 2, or a command that is not
 * configured.
 */
enum node_result obj_execute(struct obj *o, struct fw *fw, uint16_t oid,
	    uint16_t rid, enum obj_action *act, char *err, size_t errlen);

/*
 * The readable resources of /oid/0 as SenML JSON (RFC 8428, cf 110): base
 * name "/oid/0/" on the first record, names "rid". Returns a string the
 * caller frees, or NULL (err set) when the object is unknown or memory
 * runs out.
 */
char	*obj_read_senml(struct obj *o, const char *serial,
	    const struct fw *fw, uint16_t oid, char *err, size_t errlen);

/* One resource as SenML JSON ("/oid/0/rid" as base name, empty name). */
char	*obj_read_one_senml(struct obj *o, const char *serial,
	    const struct fw *fw, uint16_t oid, uint16_t rid,
	    enum node_result *res, char *err, size_t errlen);

/*
 * Firmware hooks for the download and install code (fwget.c, fleetfw.c).
 * A download that ends moves Downloading to Downloaded, or back to Idle
 * with result; an update that ends moves Updating to Idle with result 1,
 * or back to Downloaded with result 8 (the package stays). Called in any
 * other state they change nothing and return -1.
 */
int	fw_download_done(struct obj *o, struct fw *fw, int ok,
	    enum fw_result result, const char *pkg_name,
	    const char *pkg_version);
int	fw_update_done(struct obj *o, struct fw *fw, int ok);
/* A download the agent starts itself (a multicast announcement): from
 * Idle or Downloaded, Package URI uri, Downloading. Returns -1 while an
 * update runs. */
int	fw_download_start(struct obj *o, struct fw *fw, const char *uri);
/* Downloaded to Updating, as an execute of /5/0/2 does. */
int	fw_update_start(struct obj *o, struct fw *fw);

const char *fw_state_name(int state);

#endif /* OUTPOST_NODE_OBJECT_H */
