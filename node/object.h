/*
 * object.h: the LwM2M objects the node serves, as a model without CoAP.
 * Reads, writes and executes come in as (object, resource) and go out as
 * a value or a result; the CoAP side (res.c) maps results to codes in one
 * place.
 *
 * Each object is one file (obj_device.c: /3/0 Device, obj_firmware.c: /5/0
 * Firmware Update, obj_software.c: /9/0 Software Management) exporting one
 * const struct obj_def: its id, its resources with their type, operations
 * and how they change, and its read, write and execute hooks. obj_table[]
 * (object.c) lists them, and obj_init keeps those present with the
 * configuration; the generic code here (object.c), the CoAP resources and
 * their observation (res.c) and the registration's link string (link.c)
 * are derived from that table. Each object has the single instance 0.
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
#include "node/value.h"

/* What an operation came to; res.c turns it into a CoAP code. */
enum node_result {
	NODE_OK,
	NODE_BAD_REQUEST,	/* 4.00 */
	NODE_UNAUTHORIZED,	/* 4.01 */
	NODE_NOT_FOUND,		/* 4.04 */
	NODE_NOT_ALLOWED,	/* 4.05 */
	NODE_NOT_ACCEPTABLE,	/* 4.06 */
	NODE_TOO_LARGE,		/* 4.13 */
	NODE_BAD_FORMAT,	/* 4.15 */
	NODE_INTERNAL,		/* 5.00 */
	NODE_UNAVAILABLE,	/* 5.03 */
};

#define OBJ_R	0x01
#define OBJ_W	0x02
#define OBJ_E	0x04
#define OBJ_M	0x08	/* multiple instances, read by read_multi */

#define OBJ_SECURITY	0	/* obj_security.c */
#define OBJ_SERVER	1	/* obj_server.c */
#define OBJ_DEVICE	3	/* obj_device.c */
#define OBJ_CONN	4	/* obj_conn.c */
#define OBJ_FIRMWARE	5	/* obj_firmware.c */
#define OBJ_SOFTWARE	9	/* obj_software.c */
#define OBJ_EVENTLOG	20	/* obj_eventlog.c */

#define OBJ_MULTI_MAX	16	/* instances of a multiple resource read */
#define OBJ_TABLE_MAX	16	/* objects of a table */

/* How a readable resource's value changes: this picks how it is observed
 * (observe.c). An instance is sampled when any of its resources is. */
enum obj_obs {
	OBJ_OBS_EVENT,		/* by a write, an execute or a hook, which
				 * report it (obj_changed) */
	OBJ_OBS_TICK,		/* every second: a clock */
	OBJ_OBS_SAMPLED,	/* outside the agent: sampled while observed */
};

/* One resource of an object's single instance 0. */
struct obj_res {
	uint16_t	 rid;
	uint8_t		 ops;		/* OBJ_R | OBJ_W | OBJ_E, OBJ_M */
	uint8_t		 type;		/* enum obj_type */
	const char	*name;
	uint8_t		 obs;		/* enum obj_obs, 0: OBJ_OBS_EVENT */
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

/* Software Management Update State and Update Result (LwM2M 1.1,
 * object 9). */
enum sw_state {
	SW_INITIAL,
	SW_DOWNLOAD_STARTED,
	SW_DOWNLOADED,
	SW_DELIVERED,
	SW_INSTALLED,
};

enum sw_result {
	SW_RESULT_INITIAL = 0,
	SW_RESULT_DOWNLOADING = 1,
	SW_RESULT_INSTALLED = 2,
	SW_RESULT_DELIVERED = 3,	/* downloaded and verified */
	SW_RESULT_NO_STORAGE = 50,
	SW_RESULT_NO_MEMORY = 51,
	SW_RESULT_CONNECTION_LOST = 52,
	SW_RESULT_INTEGRITY = 53,
	SW_RESULT_UNSUPPORTED_TYPE = 54,
	SW_RESULT_INVALID_URI = 56,
	SW_RESULT_DEVICE_ERROR = 57,
	SW_RESULT_INSTALL_FAILED = 58,
	SW_RESULT_UNINSTALL_FAILED = 59,
};

/* What the agent does to the package now (swget.c); one at a time. */
enum sw_op {
	SW_OP_NONE,
	SW_OP_DOWNLOAD,		/* fetch sw.uri */
	SW_OP_INSTALL,		/* run install_cmd */
	SW_OP_UNINSTALL,	/* run uninstall_cmd */
	SW_OP_PREPARE,		/* run uninstall_cmd for an update */
	SW_OP_REMOVE,		/* drop a package not installed */
	SW_OP_ACTIVATE,		/* run activate_cmd */
	SW_OP_DEACTIVATE,	/* run deactivate_cmd */
};

/* The Software Management object /9/0 of a single agent. */
struct sw {
	uint8_t		 state;		/* enum sw_state */
	uint8_t		 result;	/* enum sw_result */
	uint8_t		 active;	/* /9/0/12 Activation State */
	uint8_t		 op;		/* enum sw_op under way */
	char		 uri[OBJ_STR_MAX];
	char		 pkg_name[OBJ_PKG_MAX];
	char		 pkg_version[OBJ_PKG_MAX];
};

/* What happens to /9/0 (sw_step). */
enum sw_event {
	SW_EV_URI,		/* a Package URI to fetch was written */
	SW_EV_URI_BAD,		/* one that cannot be fetched */
	SW_EV_CANCEL,		/* an empty one */
	SW_EV_FETCHED,		/* every byte is here */
	SW_EV_VERIFIED,		/* and hashes to the signed digest */
	SW_EV_FAILED,		/* the download failed with a result */
	SW_EV_INSTALL,		/* the executes */
	SW_EV_UNINSTALL,
	SW_EV_PREPARE,		/* Uninstall with argument 1 */
	SW_EV_ACTIVATE,
	SW_EV_DEACTIVATE,
	SW_EV_DONE,		/* the op's command succeeded */
	SW_EV_DONE_FAILED,	/* it failed */
};

/* What the caller does once it has answered an execute or a write. */
enum obj_action {
	OBJ_ACTION_NONE,
	OBJ_ACTION_REBOOT,		/* run [device] reboot_command */
	OBJ_ACTION_FACTORY_RESET,	/* run [device] factory_reset_command */
	OBJ_ACTION_DOWNLOAD,		/* fetch fw.uri */
	OBJ_ACTION_UPDATE,		/* install the package */
	OBJ_ACTION_SOFTWARE,		/* start sw.op (swget.c) */
};

/*
 * The Device object's values an operator writes, of one device: /3/0/14
 * UTC Offset ("+01:00", ISO 8601) and /3/0/15 Timezone (an IANA name).
 * A single agent's are in struct obj, from the system at start
 * (obj_clock_system); a fleet device's are its own once written (node.h).
 */
#define OBJ_UTC_OFFSET_MAX	8	/* "+HH:MM", NUL */
#define OBJ_TIMEZONE_MAX	65	/* tz.h's TZ_NAME_MAX, NUL */

struct obj_clock {
	char		 utc_offset[OBJ_UTC_OFFSET_MAX];
	char		 timezone[OBJ_TIMEZONE_MAX];
};

struct conn_info;
struct logring;

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

struct obj_def;

struct obj {
	const struct node_config *cfg;	/* not owned */
	struct obj_env	 env;
	struct fw	 fw;		/* a single agent's */
	struct sw	 sw;		/* /9/0, a single agent's */
	struct obj_clock clock;		/* /3/0/14, /3/0/15: a single
					   agent's, and what a fleet device
					   reads until it is written */
	obj_changed_cb	 changed;	/* may be NULL */
	void		*changed_arg;
	/* The objects served: those of obj_table present with cfg (in objs),
	 * unless a test sets its own. */
	const struct obj_def *const *table;
	const struct obj_def *objs[OBJ_TABLE_MAX + 1];
	/* Live values beyond env's, called with env.arg (NULL: none): the
	 * /3/0/11 Error Codes now, bit c for code c (none: no error), and
	 * the connectivity of /4/0 (conn.h). */
	uint64_t (*errors)(void *arg);
	const struct conn_info *(*conn)(void *arg);
	/* A fleet's (NULL: clock is the one device's): the /3/0/14 and
	 * /3/0/15 of the device fw names (see below), or NULL when it has
	 * none of its own (it reads clock); with make, made from clock when
	 * it has none, NULL only when that cannot be (out of memory). */
	struct obj_clock *(*clock_of)(void *arg, const struct fw *fw,
		    int make);
	/* /20/0 Event Log: a fleet's (NULL: logs is the one device's) the
	 * ring of the device fw belongs to, else of the one serial names
	 * (its endpoint; may be NULL), called with env.arg; with make, made
	 * when it has none (NULL only when that cannot be). */
	struct logring	*logs;		/* a single agent's, or NULL */
	struct logring	*(*log_of)(void *arg, const char *serial,
		    const struct fw *fw, int make);
};

/*
 * One LwM2M object: its id, its resources and the hooks that give them
 * meaning. The generic code checks that a resource exists and allows the
 * operation before it calls a hook, so a hook is only called for a
 * resource of its own with that operation; a hook may be NULL when no
 * resource has the operation. Every call names the device it is about
 * (serial, fw: see below).
 */
struct obj_def {
	uint16_t		 oid;
	const char		*name;		/* for messages */
	const struct obj_res	*res;		/* its resources, by rid */
	size_t			 nres;
	/* Sets v to the value of rid (OBJ_R); OBJ_ABSENT when the system
	 * does not give it. */
	void	(*read)(struct obj *o, const char *serial,
		    const struct fw *fw, uint16_t rid, struct obj_value *v);
	/* Writes text/plain to rid (OBJ_W); NODE_OK with *act, or an error
	 * with err and nothing changed. */
	enum node_result (*write)(struct obj *o, struct fw *fw, uint16_t rid,
		    const uint8_t *buf, size_t len, enum obj_action *act,
		    char *err, size_t errlen);
	/* Executes rid (OBJ_E) with the request's arguments (arg, len
	 * bytes, not NUL-terminated); NODE_OK with *act, or an error with
	 * err. */
	enum node_result (*execute)(struct obj *o, struct fw *fw,
		    uint16_t rid, const uint8_t *arg, size_t len,
		    enum obj_action *act, char *err, size_t errlen);
	/* o->cfg was replaced (a /config write; was is the old one):
	 * reports the resources whose value follows it. */
	void	(*reconfigured)(struct obj *o, const struct node_config *was);
	/* The instances of a multiple resource rid (OBJ_M) into
	 * vals[0..max): their count, instance ids 0, 1, ... */
	size_t	(*read_multi)(struct obj *o, uint16_t rid,
		    struct obj_value *vals, size_t max);
	/* 1: an object of the device's account (/0 Security, /1 Server,
	 * node/acct.h), whose instances a bootstrap server writes. The
	 * hooks above stay NULL: bsres.c serves it from the account, res.c
	 * makes no resource of it and obj_links leaves it out (link.c
	 * lists the /1 instances of an account itself). */
	int	 account;
	/* Whether the object is served with cfg (NULL: always). */
	int	(*present)(const struct node_config *cfg);
	/* An opaque resource too large for a value (OBJ_STR_MAX), such as
	 * /20/0/4014 LogData: its bytes as a string the caller frees, with
	 * its length; NULL when memory runs out. Such a resource is read
	 * alone (obj_read_blob); obj_read refuses it, so an instance's SenML
	 * leaves it out. NULL: none. */
	char	*(*read_blob)(struct obj *o, const char *serial,
		    const struct fw *fw, uint16_t rid, size_t *len);
};

/* The objects of outpost-node, one row each in the order they register,
 * NULL-terminated (object.c). */
extern const struct obj_def *const obj_table[];

/* Sets up o over cfg (kept by pointer), env and the objects of
 * obj_table present with cfg. */
void	obj_init(struct obj *o, const struct node_config *cfg,
	    const struct obj_env *env);

/* The object oid of table; NULL when there is none. */
const struct obj_def *obj_def_find(const struct obj_def *const *table,
	    uint16_t oid);

/* The row of rid in def; NULL when there is none. */
const struct obj_res *obj_res_find(const struct obj_def *def, uint16_t rid);

/*
 * The objects of table as registration links, "</3/0>,</5/0>" (each
 * instance, comma-separated, in table order; account objects left out)
 * into buf. Returns the length,
 * or -1 when it does not fit.
 */
int	obj_links(const struct obj_def *const *table, char *buf, size_t len);

/* After o->cfg was replaced by a /config write (was: the old one): each
 * object reports what changed with it. */
void	obj_reconfigured(struct obj *o, const struct node_config *was);

/*
 * Every call below names the device it is about: serial is the Serial
 * Number when [device] serial is empty (the endpoint name), fw its Firmware
 * Update object (&o->fw for a single agent).
 */

/*
 * Reads /oid/0/rid into v. Returns NODE_OK, NODE_NOT_FOUND (no such
 * resource, or the system does not give its value now), NODE_NOT_ALLOWED
 * (an execute-only or write-only resource) or NODE_NOT_ACCEPTABLE (a
 * multiple resource: obj_read_multi) with err.
 */
enum node_result obj_read(struct obj *o, const char *serial,
	    const struct fw *fw, uint16_t oid, uint16_t rid,
	    struct obj_value *v, char *err, size_t errlen);

/*
 * Reads the multiple resource /oid/0/rid: its instances into vals[0..max)
 * and their count into *n. NODE_NOT_ACCEPTABLE for a single resource,
 * else as obj_read.
 */
enum node_result obj_read_multi(struct obj *o, uint16_t oid, uint16_t rid,
	    struct obj_value *vals, size_t max, size_t *n, char *err,
	    size_t errlen);

/*
 * Whether /oid/0/rid is read whole by read_blob (object.h's struct
 * obj_def), and if so its bytes: NODE_OK with a string the caller frees in
 * *out and its length in *len, or an error with err. Returns -1 (nothing
 * set) for any other resource.
 */
int	obj_read_blob(struct obj *o, const char *serial, const struct fw *fw,
	    uint16_t oid, uint16_t rid, char **out, size_t *len,
	    enum node_result *res, char *err, size_t errlen);

/* Whether /oid/0/rid is a resource whose value is a number, and if so
 * its value now (*v); 0 when it is not (or is absent now). */
int	obj_read_number(struct obj *o, const char *serial, const struct fw *fw,
	    uint16_t oid, uint16_t rid, double *v);

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
 * The same with a body in Content-Format cf: text/plain (0) or opaque
 * (42) as above, or LwM2M TLV (11542): one Resource TLV with id rid.
 * NODE_BAD_FORMAT for another cf, NODE_BAD_REQUEST for a body that is
 * not such a TLV or whose value is not of the resource's type.
 */
enum node_result obj_write_cf(struct obj *o, struct fw *fw, uint16_t oid,
	    uint16_t rid, int cf, const uint8_t *buf, size_t len,
	    enum obj_action *act, char *err, size_t errlen);

/*
 * A partial write (LwM2M Write, Partial Update: POST /oid/0) of a TLV
 * body: Resource TLVs, or one Object Instance TLV 0 around them. Every
 * resource is looked up, checked writable and decoded before any is
 * written; a value its object refuses stops the write there with that
 * result (the resources before it stay written). *act is the last
 * write's action that is not OBJ_ACTION_NONE.
 */
enum node_result obj_write_partial(struct obj *o, struct fw *fw,
	    uint16_t oid, const uint8_t *buf, size_t len, enum obj_action *act,
	    char *err, size_t errlen);

/*
 * Executes /oid/0/rid without arguments. Returns NODE_OK with *act, or an
 * error with err: NODE_NOT_ALLOWED for a resource that is not executable,
 * or Update outside State 2, or a command that is not configured.
 */
enum node_result obj_execute(struct obj *o, struct fw *fw, uint16_t oid,
	    uint16_t rid, enum obj_action *act, char *err, size_t errlen);
/* The same with the request's arguments (arg, len bytes), which only the
 * resources that take some read (/9/0/6 Uninstall); others ignore them. */
enum node_result obj_execute_args(struct obj *o, struct fw *fw,
	    uint16_t oid, uint16_t rid, const uint8_t *arg, size_t len,
	    enum obj_action *act, char *err, size_t errlen);

/*
 * The readable resources of /oid/0 as SenML JSON (RFC 8428, cf 110): base
 * name "/oid/0/" on the first record, names "rid" ("rid/i" for each
 * instance of a multiple resource); resources the system does not give
 * now are left out. Returns a string the caller frees, or NULL (err set)
 * when the object is unknown or memory runs out.
 */
char	*obj_read_senml(struct obj *o, const char *serial,
	    const struct fw *fw, uint16_t oid, char *err, size_t errlen);

/* One resource as SenML JSON ("/oid/0/rid" as base name, empty name; a
 * multiple one "/oid/0/rid/" and a record "i" per instance). */
char	*obj_read_one_senml(struct obj *o, const char *serial,
	    const struct fw *fw, uint16_t oid, uint16_t rid,
	    enum node_result *res, char *err, size_t errlen);

/*
 * For the object files (obj_*.c): reports a change of /oid/0/rid to
 * o->changed (fw: the Firmware Update object that changed, or NULL), and
 * sets a value.
 */
void	obj_changed(struct obj *o, const struct fw *fw, uint16_t oid,
	    uint16_t rid);
void	obj_set_str(struct obj_value *v, const char *s);
void	obj_set_int(struct obj_value *v, enum obj_type type, int64_t i);

/*
 * obj_device.c: the clock values. obj_clock_ok says whether a value of
 * /3/0/14 (rid 14: "Z", "+HH", "+HHMM" or "+HH:MM", '+' or '-', at most
 * 14 hours, minutes under 60) or /3/0/15 (rid 15: a zone name of tz.h's
 * form) is one to keep, with err when not. obj_clock_system fills c from
 * the system: the offset from UTC at now in the process's zone (gmtoff
 * seconds east, as localtime gives it) as "+HH:MM", the zone's name from
 * tzenv (TZ, with or without its leading ':') when it is a plain zone
 * name of a file under zonedir, else the first line of tzfile
 * (/etc/timezone), else the zoneinfo path /etc/localtime (localtime)
 * links to, else "UTC". Any of tzenv, tzfile, localtime may be NULL.
 */
int	obj_clock_ok(uint16_t rid, const uint8_t *buf, size_t len, char *err,
	    size_t errlen);
void	obj_clock_system(struct obj_clock *c, long gmtoff, const char *tzenv,
	    const char *tzfile, const char *localtime, const char *zonedir);
void	obj_utc_offset(long gmtoff, char *buf, size_t len);

/*
 * obj_firmware.c: firmware hooks for the download and install code
 * (fwget.c, fwapply.c, fleetfw.c).
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

/*
 * obj_software.c: /9/0 Software Management. sw_step is its state machine
 * alone, pure: what ev (result: an SW_EV_FAILED's Update Result) does to
 * s. NODE_OK with s changed, else nothing changed and err says why:
 * NODE_NOT_ALLOWED for an execute or a write the Update State does not
 * take, NODE_UNAVAILABLE while another op runs, NODE_BAD_REQUEST for an
 * event that cannot come now.
 */
enum node_result sw_step(struct sw *s, enum sw_event ev, int result,
	    char *err, size_t errlen);
/* sw_step on o->sw, telling observers what moved. */
enum node_result sw_apply(struct obj *o, enum sw_event ev, int result,
	    char *err, size_t errlen);
/* A download that ended (swget.c): Delivered with the package's name and
 * version, or Initial with result. -1 when none was under way. */
int	sw_download_done(struct obj *o, int ok, int result, const char *name,
	    const char *version);
/* The op under way ended: ok or not. -1 when none was. */
int	sw_op_done(struct obj *o, int ok);
/* The Update Result an ended download gives, from a Firmware Update
 * result of the shared fetch (pull.c). */
int	sw_result_of(enum fw_result r);
/* Uninstall's argument: "" or "0" uninstall, "1" prepare for an update.
 * 0 or 1, or -1 for anything else. */
int	sw_uninstall_arg(const uint8_t *arg, size_t len);
const char *sw_state_name(int state);

/* obj_eventlog.c: the argument of LogStart and LogStop: none, "0" or
 * "0='0'" (0), "1" or "0='1'" (1), else -1. */
int	eventlog_arg(const uint8_t *arg, size_t len);

#endif /* OUTPOST_NODE_OBJECT_H */
