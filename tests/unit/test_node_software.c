/*
 * test_node_software.c: LwM2M object 9, Software Management, of
 * outpost-node without I/O: the package state machine alone (sw_step:
 * every event in every Update State), /9/0 through the object table
 * (writes, executes with their arguments, what observers are told), the
 * end of a download and of an op, Uninstall's argument, and the state file
 * (swstate.c) with hostile input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/nconf.h"
#include "node/object.h"
#include "node/swstate.h"

struct fixture {
	struct node_config	cfg;
	struct obj		obj;
	uint16_t		changes[32];	/* rids of /9/0 told */
	size_t			nchanges;
};

static void
record_change(void *arg, const struct fw *fw, uint16_t oid, uint16_t rid)
{
	struct fixture *f = arg;

	assert_null(fw);
	assert_int_equal(oid, OBJ_SOFTWARE);
	if (f->nchanges < 32)
		f->changes[f->nchanges] = rid;
	f->nchanges++;
}

static int
changed(const struct fixture *f, uint16_t rid)
{
	size_t i;

	for (i = 0; i < f->nchanges && i < 32; i++)
		if (f->changes[i] == rid)
			return 1;
	return 0;
}

static int
setup(void **state)
{
	static const struct obj_env env = { NULL, NULL, NULL, NULL };
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	nconf_defaults(&f->cfg);
	strcpy(f->cfg.sw_dir, "/tmp/sw");
	obj_init(&f->obj, &f->cfg, &env);
	assert_non_null(obj_def_find(f->obj.table, OBJ_SOFTWARE));
	f->obj.changed = record_change;
	f->obj.changed_arg = f;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

/* A machine in state st with op running. */
static struct sw
machine(int st, int op)
{
	struct sw s;

	memset(&s, 0, sizeof(s));
	s.state = (uint8_t)st;
	s.op = (uint8_t)op;
	return s;
}

/* Steps a copy of s with ev; checks the answer and, when refused, that
 * nothing moved. */
static struct sw
step(struct sw s, enum sw_event ev, int result, enum node_result want)
{
	struct sw was = s;
	char err[160];

	err[0] = '\0';
	assert_int_equal(sw_step(&s, ev, result, err, sizeof(err)), want);
	if (want != NODE_OK) {
		assert_memory_equal(&s, &was, sizeof(s));
		assert_true(err[0] != '\0');
	}
	return s;
}

/* The way through: a URI, the bytes, the check, Install, Activate,
 * Deactivate, Uninstall; each with the State and Result the object
 * defines. */
static void
test_machine_happy_path(void **state)
{
	struct sw s = machine(SW_INITIAL, SW_OP_NONE);

	(void)state;
	s = step(s, SW_EV_URI, 0, NODE_OK);
	assert_int_equal(s.state, SW_DOWNLOAD_STARTED);
	assert_int_equal(s.result, SW_RESULT_DOWNLOADING);
	assert_int_equal(s.op, SW_OP_DOWNLOAD);
	s = step(s, SW_EV_FETCHED, 0, NODE_OK);
	assert_int_equal(s.state, SW_DOWNLOADED);
	assert_int_equal(s.result, SW_RESULT_DOWNLOADING);
	s = step(s, SW_EV_VERIFIED, 0, NODE_OK);
	assert_int_equal(s.state, SW_DELIVERED);
	assert_int_equal(s.result, SW_RESULT_DELIVERED);
	assert_int_equal(s.op, SW_OP_NONE);
	s = step(s, SW_EV_INSTALL, 0, NODE_OK);
	assert_int_equal(s.op, SW_OP_INSTALL);
	assert_int_equal(s.state, SW_DELIVERED);	/* until it ran */
	s = step(s, SW_EV_DONE, 0, NODE_OK);
	assert_int_equal(s.state, SW_INSTALLED);
	assert_int_equal(s.result, SW_RESULT_INSTALLED);
	assert_int_equal(s.active, 0);
	s = step(s, SW_EV_ACTIVATE, 0, NODE_OK);
	assert_int_equal(s.op, SW_OP_ACTIVATE);
	assert_int_equal(s.active, 0);
	s = step(s, SW_EV_DONE, 0, NODE_OK);
	assert_int_equal(s.active, 1);
	s = step(s, SW_EV_DEACTIVATE, 0, NODE_OK);
	s = step(s, SW_EV_DONE, 0, NODE_OK);
	assert_int_equal(s.active, 0);
	assert_int_equal(s.state, SW_INSTALLED);
	strcpy(s.pkg_name, "app");
	strcpy(s.pkg_version, "1.0");
	s.active = 1;
	s = step(s, SW_EV_UNINSTALL, 0, NODE_OK);
	assert_int_equal(s.op, SW_OP_UNINSTALL);
	s = step(s, SW_EV_DONE, 0, NODE_OK);
	assert_int_equal(s.state, SW_INITIAL);
	assert_int_equal(s.result, SW_RESULT_INITIAL);
	assert_int_equal(s.active, 0);
	assert_string_equal(s.pkg_name, "");
	assert_string_equal(s.pkg_version, "");
	assert_int_equal(s.op, SW_OP_NONE);
}

/* Failures: each leaves the package where the object says. */
static void
test_machine_failures(void **state)
{
	struct sw s;

	(void)state;
	/* A download that fails, at either step, is INITIAL with its
	 * result; a result no download gives becomes 57. */
	s = step(machine(SW_DOWNLOAD_STARTED, SW_OP_DOWNLOAD), SW_EV_FAILED,
	    SW_RESULT_INTEGRITY, NODE_OK);
	assert_int_equal(s.state, SW_INITIAL);
	assert_int_equal(s.result, SW_RESULT_INTEGRITY);
	assert_int_equal(s.op, SW_OP_NONE);
	s = step(machine(SW_DOWNLOADED, SW_OP_DOWNLOAD), SW_EV_FAILED,
	    SW_RESULT_NO_STORAGE, NODE_OK);
	assert_int_equal(s.result, SW_RESULT_NO_STORAGE);
	s = step(machine(SW_DOWNLOAD_STARTED, SW_OP_DOWNLOAD), SW_EV_FAILED,
	    SW_RESULT_INSTALLED, NODE_OK);
	assert_int_equal(s.result, SW_RESULT_DEVICE_ERROR);
	s = step(machine(SW_DOWNLOAD_STARTED, SW_OP_DOWNLOAD), SW_EV_FAILED,
	    200, NODE_OK);
	assert_int_equal(s.result, SW_RESULT_DEVICE_ERROR);
	/* A bad URI stays INITIAL with 56, nothing started. */
	s = step(machine(SW_INITIAL, SW_OP_NONE), SW_EV_URI_BAD, 0, NODE_OK);
	assert_int_equal(s.state, SW_INITIAL);
	assert_int_equal(s.result, SW_RESULT_INVALID_URI);
	assert_int_equal(s.op, SW_OP_NONE);
	/* Install fails: still DELIVERED, 58, and may be tried again. */
	s = step(machine(SW_DELIVERED, SW_OP_NONE), SW_EV_INSTALL, 0, NODE_OK);
	s = step(s, SW_EV_DONE_FAILED, 0, NODE_OK);
	assert_int_equal(s.state, SW_DELIVERED);
	assert_int_equal(s.result, SW_RESULT_INSTALL_FAILED);
	s = step(s, SW_EV_INSTALL, 0, NODE_OK);
	assert_int_equal(s.op, SW_OP_INSTALL);
	/* Uninstall fails: still INSTALLED, 59, still active. */
	s = machine(SW_INSTALLED, SW_OP_NONE);
	s.active = 1;
	s = step(s, SW_EV_UNINSTALL, 0, NODE_OK);
	s = step(s, SW_EV_DONE_FAILED, 0, NODE_OK);
	assert_int_equal(s.state, SW_INSTALLED);
	assert_int_equal(s.result, SW_RESULT_UNINSTALL_FAILED);
	assert_int_equal(s.active, 1);
	/* Activate fails: inactive, 57; the next success says 2 again. */
	s = step(machine(SW_INSTALLED, SW_OP_NONE), SW_EV_ACTIVATE, 0,
	    NODE_OK);
	s = step(s, SW_EV_DONE_FAILED, 0, NODE_OK);
	assert_int_equal(s.active, 0);
	assert_int_equal(s.result, SW_RESULT_DEVICE_ERROR);
	s = step(s, SW_EV_ACTIVATE, 0, NODE_OK);
	s = step(s, SW_EV_DONE, 0, NODE_OK);
	assert_int_equal(s.active, 1);
	assert_int_equal(s.result, SW_RESULT_INSTALLED);
}

/* Uninstall of a package delivered only drops it; Uninstall for an
 * update keeps the name of what runs until a new package comes. */
static void
test_machine_uninstall_kinds(void **state)
{
	struct sw s;

	(void)state;
	s = machine(SW_DELIVERED, SW_OP_NONE);
	strcpy(s.pkg_name, "app");
	s = step(s, SW_EV_UNINSTALL, 0, NODE_OK);
	assert_int_equal(s.op, SW_OP_REMOVE);
	s = step(s, SW_EV_DONE, 0, NODE_OK);
	assert_int_equal(s.state, SW_INITIAL);
	assert_string_equal(s.pkg_name, "");
	s = step(machine(SW_DELIVERED, SW_OP_NONE), SW_EV_PREPARE, 0,
	    NODE_OK);
	assert_int_equal(s.op, SW_OP_REMOVE);

	s = machine(SW_INSTALLED, SW_OP_NONE);
	s.active = 1;
	strcpy(s.pkg_name, "app");
	s = step(s, SW_EV_PREPARE, 0, NODE_OK);
	assert_int_equal(s.op, SW_OP_PREPARE);
	s = step(s, SW_EV_DONE, 0, NODE_OK);
	assert_int_equal(s.state, SW_INITIAL);
	assert_int_equal(s.result, SW_RESULT_INITIAL);
	assert_int_equal(s.active, 1);
	assert_string_equal(s.pkg_name, "app");
	/* and a new package may come. */
	s = step(s, SW_EV_URI, 0, NODE_OK);
	assert_int_equal(s.state, SW_DOWNLOAD_STARTED);
	s = machine(SW_INSTALLED, SW_OP_NONE);
	s = step(s, SW_EV_PREPARE, 0, NODE_OK);
	s = step(s, SW_EV_DONE_FAILED, 0, NODE_OK);
	assert_int_equal(s.state, SW_INSTALLED);
	assert_int_equal(s.result, SW_RESULT_UNINSTALL_FAILED);
}

/* Every execute and write in every state it is not for: 4.05, nothing
 * moved; while an op runs, 5.03; an event that cannot come, 4.00. */
static void
test_machine_refusals(void **state)
{
	static const struct {
		int			 st;
		enum sw_event		 ev;
	} wrong[] = {
		{ SW_INITIAL, SW_EV_INSTALL },
		{ SW_DOWNLOAD_STARTED, SW_EV_INSTALL },
		{ SW_DOWNLOADED, SW_EV_INSTALL },
		{ SW_INSTALLED, SW_EV_INSTALL },
		{ SW_INITIAL, SW_EV_UNINSTALL },
		{ SW_DOWNLOAD_STARTED, SW_EV_UNINSTALL },
		{ SW_DOWNLOADED, SW_EV_PREPARE },
		{ SW_INITIAL, SW_EV_ACTIVATE },
		{ SW_DELIVERED, SW_EV_ACTIVATE },
		{ SW_DOWNLOADED, SW_EV_DEACTIVATE },
		{ SW_DELIVERED, SW_EV_DEACTIVATE },
		{ SW_DOWNLOAD_STARTED, SW_EV_URI },
		{ SW_DELIVERED, SW_EV_URI },
		{ SW_INSTALLED, SW_EV_URI },
		{ SW_INSTALLED, SW_EV_URI_BAD },
		{ SW_DELIVERED, SW_EV_CANCEL },
		{ SW_INSTALLED, SW_EV_CANCEL },
	};
	size_t i;
	struct sw s;

	(void)state;
	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
		step(machine(wrong[i].st, SW_OP_NONE), wrong[i].ev, 0,
		    NODE_NOT_ALLOWED);
	/* Busy: Install twice, Deactivate during Activate. */
	step(machine(SW_DELIVERED, SW_OP_INSTALL), SW_EV_INSTALL, 0,
	    NODE_UNAVAILABLE);
	step(machine(SW_INSTALLED, SW_OP_ACTIVATE), SW_EV_DEACTIVATE, 0,
	    NODE_UNAVAILABLE);
	step(machine(SW_INSTALLED, SW_OP_UNINSTALL), SW_EV_UNINSTALL, 0,
	    NODE_UNAVAILABLE);
	/* A URI while the old package is being dropped. */
	step(machine(SW_INITIAL, SW_OP_PREPARE), SW_EV_URI, 0,
	    NODE_NOT_ALLOWED);
	/* A download's events with none under way, an op's end without
	 * an op, or during a download. */
	step(machine(SW_INITIAL, SW_OP_NONE), SW_EV_FETCHED, 0,
	    NODE_BAD_REQUEST);
	step(machine(SW_DOWNLOAD_STARTED, SW_OP_DOWNLOAD), SW_EV_VERIFIED, 0,
	    NODE_BAD_REQUEST);
	step(machine(SW_DELIVERED, SW_OP_NONE), SW_EV_FAILED, 53,
	    NODE_BAD_REQUEST);
	step(machine(SW_INSTALLED, SW_OP_NONE), SW_EV_DONE, 0,
	    NODE_BAD_REQUEST);
	step(machine(SW_DOWNLOAD_STARTED, SW_OP_DOWNLOAD), SW_EV_DONE, 0,
	    NODE_BAD_REQUEST);
	/* Cancel: a download stops, a result is cleared. */
	s = step(machine(SW_DOWNLOADED, SW_OP_DOWNLOAD), SW_EV_CANCEL, 0,
	    NODE_OK);
	assert_int_equal(s.state, SW_INITIAL);
	assert_int_equal(s.op, SW_OP_NONE);
	s = machine(SW_INITIAL, SW_OP_NONE);
	s.result = SW_RESULT_INTEGRITY;
	s = step(s, SW_EV_CANCEL, 0, NODE_OK);
	assert_int_equal(s.result, SW_RESULT_INITIAL);
}

/* /9/0 through the table: a URI write starts the download and tells 7
 * and 9; the agent's hooks move it on and tell 0, 1, 7, 9; executes take
 * their arguments; the wrong state is 4.05. */
static void
test_object_through_table(void **state)
{
	struct fixture *f = *state;
	enum obj_action act;
	struct obj_value v;
	char err[200];
	const char *uri = "coap://192.0.2.1:5683/fw/0123456789abcdef";

	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 9, 4, &act, err,
	    sizeof(err)), NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "Install needs Update State 3"));
	assert_int_equal(act, OBJ_ACTION_NONE);
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 9, 3,
	    (const uint8_t *)uri, strlen(uri), &act, err, sizeof(err)),
	    NODE_OK);
	assert_int_equal(act, OBJ_ACTION_SOFTWARE);
	assert_string_equal(f->obj.sw.uri, uri);
	assert_true(changed(f, 7) && changed(f, 9));
	/* The same URI again (a retransmission): nothing new. */
	f->nchanges = 0;
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 9, 3,
	    (const uint8_t *)uri, strlen(uri), &act, err, sizeof(err)),
	    NODE_OK);
	assert_int_equal(act, OBJ_ACTION_NONE);
	assert_int_equal(f->nchanges, 0);
	/* Another one while it downloads: 4.05. */
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 9, 3,
	    (const uint8_t *)"coap://h/x", 10, &act, err, sizeof(err)),
	    NODE_NOT_ALLOWED);
	/* The Package URI is written, not read. */
	assert_int_equal(obj_read(&f->obj, "e", &f->obj.fw, 9, 3, &v, err,
	    sizeof(err)), NODE_NOT_ALLOWED);
	assert_int_equal(sw_download_done(&f->obj, 1, 0, "collector",
	    "2.1.0"), 0);
	assert_true(changed(f, 0) && changed(f, 1) && changed(f, 7));
	assert_int_equal(obj_read(&f->obj, "e", &f->obj.fw, 9, 7, &v, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(v.i, SW_DELIVERED);
	obj_read(&f->obj, "e", &f->obj.fw, 9, 9, &v, err, sizeof(err));
	assert_int_equal(v.i, SW_RESULT_DELIVERED);
	obj_read(&f->obj, "e", &f->obj.fw, 9, 0, &v, err, sizeof(err));
	assert_string_equal(v.s, "collector");
	obj_read(&f->obj, "e", &f->obj.fw, 9, 1, &v, err, sizeof(err));
	assert_string_equal(v.s, "2.1.0");
	assert_int_equal(sw_download_done(&f->obj, 1, 0, "x", "y"), -1);
	/* Install; a second Install while it runs is 5.03. */
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 9, 4, &act, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(act, OBJ_ACTION_SOFTWARE);
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 9, 4, &act, err,
	    sizeof(err)), NODE_UNAVAILABLE);
	f->nchanges = 0;
	assert_int_equal(sw_op_done(&f->obj, 1), 0);
	assert_true(changed(f, 7) && changed(f, 9) && !changed(f, 12));
	assert_int_equal(sw_op_done(&f->obj, 1), -1);
	obj_read(&f->obj, "e", &f->obj.fw, 9, 12, &v, err, sizeof(err));
	assert_int_equal(v.type, OBJ_BOOL);
	assert_int_equal(v.i, 0);
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 9, 10, &act, err,
	    sizeof(err)), NODE_OK);
	f->nchanges = 0;
	assert_int_equal(sw_op_done(&f->obj, 1), 0);
	assert_true(changed(f, 12) && !changed(f, 7));
	/* Uninstall's argument: none, 0 or 1; anything else 4.00. */
	assert_int_equal(obj_execute_args(&f->obj, &f->obj.fw, 9, 6,
	    (const uint8_t *)"2", 1, &act, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	assert_int_equal(obj_execute_args(&f->obj, &f->obj.fw, 9, 6,
	    (const uint8_t *)"0='x'", 5, &act, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	assert_int_equal(obj_execute_args(&f->obj, &f->obj.fw, 9, 6,
	    (const uint8_t *)"1", 1, &act, err, sizeof(err)), NODE_OK);
	assert_int_equal(f->obj.sw.op, SW_OP_PREPARE);
	assert_int_equal(sw_op_done(&f->obj, 1), 0);
	assert_int_equal(f->obj.sw.state, SW_INITIAL);
	/* Push is refused, with a reason, whatever the body. */
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 9, 2,
	    (const uint8_t *)"\x00\x01", 2, &act, err, sizeof(err)),
	    NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "/9/0/3"));
	/* A URI that is no URI: 4.00; one we cannot fetch: 56. */
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 9, 3,
	    (const uint8_t *)"a b", 3, &act, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 9, 3,
	    (const uint8_t *)"ftp://h/x", 9, &act, err, sizeof(err)),
	    NODE_OK);
	assert_int_equal(act, OBJ_ACTION_NONE);
	assert_int_equal(f->obj.sw.result, SW_RESULT_INVALID_URI);
	assert_int_equal(f->obj.sw.state, SW_INITIAL);
}

/* A failed download, as the fetch reports it. */
static void
test_download_results(void **state)
{
	struct fixture *f = *state;
	enum obj_action act;
	char err[160];

	assert_int_equal(sw_result_of(FW_RESULT_INTEGRITY),
	    SW_RESULT_INTEGRITY);
	assert_int_equal(sw_result_of(FW_RESULT_CONNECTION_LOST),
	    SW_RESULT_CONNECTION_LOST);
	assert_int_equal(sw_result_of(FW_RESULT_NO_STORAGE),
	    SW_RESULT_NO_STORAGE);
	assert_int_equal(sw_result_of(FW_RESULT_UNSUPPORTED_TYPE),
	    SW_RESULT_UNSUPPORTED_TYPE);
	assert_int_equal(sw_result_of(FW_RESULT_INVALID_URI),
	    SW_RESULT_INVALID_URI);
	assert_int_equal(sw_result_of(FW_RESULT_CANCELLED),
	    SW_RESULT_DEVICE_ERROR);
	assert_int_equal(sw_download_done(&f->obj, 0, SW_RESULT_INTEGRITY,
	    NULL, NULL), -1);
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 9, 3,
	    (const uint8_t *)"coap://h/x", 10, &act, err, sizeof(err)),
	    NODE_OK);
	assert_int_equal(sw_download_done(&f->obj, 0, SW_RESULT_INTEGRITY,
	    NULL, NULL), 0);
	assert_int_equal(f->obj.sw.state, SW_INITIAL);
	assert_int_equal(f->obj.sw.result, SW_RESULT_INTEGRITY);
	/* A cancelled download reports nothing more. */
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 9, 3,
	    (const uint8_t *)"coap://h/x", 10, &act, err, sizeof(err)),
	    NODE_OK);
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 9, 3,
	    (const uint8_t *)"", 0, &act, err, sizeof(err)), NODE_OK);
	assert_int_equal(sw_download_done(&f->obj, 0, SW_RESULT_DEVICE_ERROR,
	    NULL, NULL), -1);
	assert_int_equal(f->obj.sw.result, SW_RESULT_INITIAL);
}

static void
test_uninstall_arg(void **state)
{
	(void)state;
	assert_int_equal(sw_uninstall_arg((const uint8_t *)"", 0), 0);
	assert_int_equal(sw_uninstall_arg((const uint8_t *)"0", 1), 0);
	assert_int_equal(sw_uninstall_arg((const uint8_t *)"1", 1), 1);
	assert_int_equal(sw_uninstall_arg((const uint8_t *)"01", 2), -1);
	assert_int_equal(sw_uninstall_arg((const uint8_t *)"0,1", 3), -1);
	assert_int_equal(sw_uninstall_arg((const uint8_t *)"1='x'", 5), -1);
	assert_int_equal(sw_uninstall_arg((const uint8_t *)"\0", 1), -1);
	assert_int_equal(sw_uninstall_arg((const uint8_t *)" 0", 2), -1);
}

/* The state file: what is written reads back; anything else is refused
 * and leaves the object as it was. */
static void
test_state_file(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"null",
		"{\"state\":4,\"active\":true,\"name\":\"a\"}",
		"{\"state\":4,\"active\":true,\"name\":\"a\",\"version\":\"1\","
		    "\"x\":1}",
		"{\"state\":4,\"active\":true,\"name\":\"a\",\"name\":\"b\"}",
		"{\"state\":1,\"active\":false,\"name\":\"a\",\"version\":\"1\"}",
		"{\"state\":2,\"active\":false,\"name\":\"a\",\"version\":\"1\"}",
		"{\"state\":3.5,\"active\":false,\"name\":\"a\",\"version\":\"1\"}",
		"{\"state\":-4,\"active\":false,\"name\":\"a\",\"version\":\"1\"}",
		"{\"state\":1e300,\"active\":false,\"name\":\"a\","
		    "\"version\":\"1\"}",
		"{\"state\":\"4\",\"active\":false,\"name\":\"a\","
		    "\"version\":\"1\"}",
		"{\"state\":4,\"active\":1,\"name\":\"a\",\"version\":\"1\"}",
		"{\"state\":4,\"active\":false,\"name\":5,\"version\":\"1\"}",
		"{\"state\":4,\"active\":false,\"name\":\"a\\nb\","
		    "\"version\":\"1\"}",
		"{\"state\":4,\"active\":false,\"name\":\"\\u00e9\","
		    "\"version\":\"1\"}",
		"{\"state\":3,\"active\":true,\"name\":\"a\",\"version\":\"1\"}",
		"{\"state\":4,\"active\":false,\"name\":\"a\",\"version\":\"1\"",
	};
	struct sw s, got;
	char err[160], *text, big[SW_STATE_MAX + 64];
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.state = SW_INSTALLED;
	s.result = SW_RESULT_INSTALLED;
	s.active = 1;
	s.op = SW_OP_ACTIVATE;
	strcpy(s.pkg_name, "collector");
	strcpy(s.pkg_version, "2.1.0");
	strcpy(s.uri, "coap://h/x");
	assert_non_null(text = sw_state_json(&s));
	assert_int_equal(sw_state_parse(text, strlen(text), &got, err,
	    sizeof(err)), 0);
	free(text);
	assert_int_equal(got.state, SW_INSTALLED);
	assert_int_equal(got.active, 1);
	assert_int_equal(got.op, SW_OP_NONE);
	assert_int_equal(got.result, 0);
	assert_string_equal(got.pkg_name, "collector");
	assert_string_equal(got.pkg_version, "2.1.0");
	assert_string_equal(got.uri, "");
	/* A name of the longest length the object holds, and one over. */
	memset(s.pkg_name, 'n', OBJ_PKG_MAX - 1);
	s.pkg_name[OBJ_PKG_MAX - 1] = '\0';
	assert_non_null(text = sw_state_json(&s));
	assert_int_equal(sw_state_parse(text, strlen(text), &got, err,
	    sizeof(err)), 0);
	assert_int_equal(strlen(got.pkg_name), OBJ_PKG_MAX - 1);
	free(text);
	snprintf(big, sizeof(big), "{\"state\":4,\"active\":false,\"name\":"
	    "\"%0*d\",\"version\":\"1\"}", OBJ_PKG_MAX, 0);
	memset(&got, 0x5a, sizeof(got));
	s = got;
	assert_int_equal(sw_state_parse(big, strlen(big), &got, err,
	    sizeof(err)), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(sw_state_parse(bad[i], strlen(bad[i]), &got,
		    err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_memory_equal(&got, &s, sizeof(got));
	}
	/* Over the size limit, whatever it holds; not NUL-terminated. */
	memset(big, ' ', sizeof(big));
	assert_int_equal(sw_state_parse(big, sizeof(big), &got, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "limit"));
	memcpy(big, "{\"state\":0,\"active\":false,\"name\":\"\",\"version\":"
	    "\"\"}XXXX", 54);
	assert_int_equal(sw_state_parse(big, 50, &got, err, sizeof(err)), 0);
	assert_int_equal(got.state, SW_INITIAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_happy_path),
		cmocka_unit_test(test_machine_failures),
		cmocka_unit_test(test_machine_uninstall_kinds),
		cmocka_unit_test(test_machine_refusals),
		cmocka_unit_test_setup_teardown(test_object_through_table,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_download_results, setup,
		    teardown),
		cmocka_unit_test(test_uninstall_arg),
		cmocka_unit_test(test_state_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
