/*
 * test_node_object.c: unit tests for the node's object model (node/object.c:
 * /3/0 Device and /5/0 Firmware Update, read/write/execute dispatch and
 * their errors, the firmware state machine) and the SenML JSON encoder
 * (node/senml.c), whose output is parsed back with cJSON and compared.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "node/nconf.h"
#include "node/object.h"
#include "node/senml.h"

struct fixture {
	struct node_config	cfg;
	struct obj		obj;
	int			changes[8][2];	/* (oid, rid) seen, in order */
	int			nchanges;
};

static int64_t
fake_now(void *arg)
{
	(void)arg;
	return 1700000000;
}

static long
fake_mem(void *arg)
{
	(void)arg;
	return 123456;
}

static int
fake_battery(void *arg)
{
	(void)arg;
	return 87;
}

static void
record_change(void *arg, const struct fw *fw, uint16_t oid, uint16_t rid)
{
	struct fixture *f = arg;

	if (oid == OBJ_FIRMWARE)
		assert_ptr_equal(fw, &f->obj.fw);
	if (f->nchanges < 8) {
		f->changes[f->nchanges][0] = oid;
		f->changes[f->nchanges][1] = rid;
	}
	f->nchanges++;
}

static int
setup(void **state)
{
	static const struct obj_env env = { fake_now, fake_mem, fake_battery,
	    NULL };
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	nconf_defaults(&f->cfg);
	strcpy(f->cfg.reboot_command, "true");
	obj_init(&f->obj, &f->cfg, &env);
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

/* Whether (oid, rid) was among the changes reported. */
static int
changed(const struct fixture *f, int oid, int rid)
{
	int i;

	for (i = 0; i < f->nchanges && i < 8; i++)
		if (f->changes[i][0] == oid && f->changes[i][1] == rid)
			return 1;
	return 0;
}

static void
test_read_device_resources(void **state)
{
	struct fixture *f = *state;
	struct obj_value v;
	char err[128], text[64];

	assert_int_equal(obj_read(&f->obj, "ep-1", &f->obj.fw, 3, 0, &v, err,
	    sizeof(err)),
	    NODE_OK);
	assert_int_equal(v.type, OBJ_STRING);
	assert_string_equal(v.s, "Outpost");
	assert_int_equal(obj_read(&f->obj, "ep-1", &f->obj.fw, 3, 2, &v, err,
	    sizeof(err)),
	    NODE_OK);
	assert_string_equal(v.s, "ep-1");	/* serial defaults to ep */
	strcpy(f->cfg.serial, "SN42");
	obj_read(&f->obj, "ep-1", &f->obj.fw, 3, 2, &v, err, sizeof(err));
	assert_string_equal(v.s, "SN42");
	obj_read(&f->obj, "ep-1", &f->obj.fw, 3, 9, &v, err, sizeof(err));
	assert_int_equal(v.type, OBJ_INT);
	assert_int_equal(v.i, 87);
	obj_read(&f->obj, "ep-1", &f->obj.fw, 3, 10, &v, err, sizeof(err));
	assert_int_equal(v.i, 123456);
	obj_read(&f->obj, "ep-1", &f->obj.fw, 3, 13, &v, err, sizeof(err));
	assert_int_equal(v.type, OBJ_TIME);
	assert_int_equal(v.i, 1700000000);
	assert_int_equal(obj_value_text(&v, text, sizeof(text)), 10);
	assert_string_equal(text, "1700000000");
	obj_read(&f->obj, "ep-1", &f->obj.fw, 3, 16, &v, err, sizeof(err));
	assert_string_equal(v.s, "U");
	f->cfg.queue_mode = 1;
	obj_read(&f->obj, "ep-1", &f->obj.fw, 3, 16, &v, err, sizeof(err));
	assert_string_equal(v.s, "UQ");
	obj_read(&f->obj, "ep-1", &f->obj.fw, 3, 19, &v, err, sizeof(err));
	assert_string_equal(v.s, OUTPOST_VERSION);
}

static void
test_read_errors(void **state)
{
	struct fixture *f = *state;
	struct obj_value v;
	char err[128];

	assert_int_equal(obj_read(&f->obj, "e", &f->obj.fw, 3, 99, &v, err,
	    sizeof(err)),
	    NODE_NOT_FOUND);
	assert_non_null(strstr(err, "/3/0/99"));
	assert_int_equal(obj_read(&f->obj, "e", &f->obj.fw, 4, 0, &v, err,
	    sizeof(err)),
	    NODE_NOT_FOUND);
	assert_int_equal(obj_read(&f->obj, "e", &f->obj.fw, 3, 4, &v, err,
	    sizeof(err)),
	    NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "execute-only"));
	assert_int_equal(obj_read(&f->obj, "e", &f->obj.fw, 5, 0, &v, err,
	    sizeof(err)),
	    NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "write-only"));
}

static void
test_text_too_small(void **state)
{
	struct obj_value v = { .type = OBJ_INT, .i = 123456 };
	char buf[4];

	(void)state;
	assert_int_equal(obj_value_text(&v, buf, sizeof(buf)), -1);
	v.type = OBJ_FLOAT;
	v.f = 1.5;
	assert_int_equal(obj_value_text(&v, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "1.5");
}

static void
test_write_dispatch(void **state)
{
	struct fixture *f = *state;
	enum obj_action act;
	char err[160];

	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 3, 0,
	    (const uint8_t *)"x", 1,
	    &act, err, sizeof(err)), NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "not writable"));
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 3, 13,
	    (const uint8_t *)"1", 1,
	    &act, err, sizeof(err)), NODE_NOT_ALLOWED);
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 3, 77,
	    (const uint8_t *)"1", 1,
	    &act, err, sizeof(err)), NODE_NOT_FOUND);
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 5, 0,
	    (const uint8_t *)"\x01", 1,
	    &act, err, sizeof(err)), NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "pull"));
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 5, 3,
	    (const uint8_t *)"2", 1,
	    &act, err, sizeof(err)), NODE_NOT_ALLOWED);
	assert_int_equal(f->obj.fw.state, FW_IDLE);
	assert_int_equal(f->nchanges, 0);
}

static void
test_execute_dispatch(void **state)
{
	struct fixture *f = *state;
	enum obj_action act;
	char err[160];

	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 3, 4, &act, err,
	    sizeof(err)),
	    NODE_OK);
	assert_int_equal(act, OBJ_ACTION_REBOOT);
	/* Factory reset has no command configured: refused, nothing run. */
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 3, 5, &act, err,
	    sizeof(err)),
	    NODE_NOT_ALLOWED);
	assert_int_equal(act, OBJ_ACTION_NONE);
	assert_non_null(strstr(err, "factory_reset_command"));
	strcpy(f->cfg.factory_reset_command, "rm -rf /data/*");
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 3, 5, &act, err,
	    sizeof(err)),
	    NODE_OK);
	assert_int_equal(act, OBJ_ACTION_FACTORY_RESET);
	f->cfg.reboot_command[0] = '\0';
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 3, 4, &act, err,
	    sizeof(err)),
	    NODE_NOT_ALLOWED);
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 3, 0, &act, err,
	    sizeof(err)),
	    NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "not executable"));
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 3, 6, &act, err,
	    sizeof(err)),
	    NODE_NOT_FOUND);
}

/* Writes a Package URI and checks the answer. */
static enum node_result
write_uri(struct fixture *f, const char *uri, enum obj_action *act)
{
	char err[160];

	return obj_write(&f->obj, &f->obj.fw, 5, 1, (const uint8_t *)uri,
	    strlen(uri),
	    act, err, sizeof(err));
}

static void
test_firmware_happy_path(void **state)
{
	struct fixture *f = *state;
	enum obj_action act;
	char err[160];

	assert_int_equal(write_uri(f, "coap://gw/fw/img-2.bin", &act),
	    NODE_OK);
	assert_int_equal(act, OBJ_ACTION_DOWNLOAD);
	assert_int_equal(f->obj.fw.state, FW_DOWNLOADING);
	assert_string_equal(f->obj.fw.uri, "coap://gw/fw/img-2.bin");
	assert_true(changed(f, 5, 3) && changed(f, 5, 1));
	/* Update before the download is done: 4.05, state unchanged. */
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 5, 2, &act, err,
	    sizeof(err)),
	    NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "State is 1 (Downloading)"));
	assert_int_equal(fw_download_done(&f->obj, &f->obj.fw, 1,
	    FW_RESULT_INITIAL,
	    "img", "2.0"), 0);
	assert_int_equal(f->obj.fw.state, FW_DOWNLOADED);
	assert_string_equal(f->obj.fw.pkg_name, "img");
	assert_string_equal(f->obj.fw.pkg_version, "2.0");
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, 5, 2, &act, err,
	    sizeof(err)),
	    NODE_OK);
	assert_int_equal(act, OBJ_ACTION_UPDATE);
	assert_int_equal(f->obj.fw.state, FW_UPDATING);
	assert_int_equal(fw_update_done(&f->obj, &f->obj.fw, 1), 0);
	assert_int_equal(f->obj.fw.state, FW_IDLE);
	assert_int_equal(f->obj.fw.result, FW_RESULT_SUCCESS);
}

static void
test_firmware_failures(void **state)
{
	struct fixture *f = *state;
	enum obj_action act;
	char err[160];

	/* A failed download: back to Idle with its result. */
	write_uri(f, "https://example.com/a.bin", &act);
	assert_int_equal(fw_download_done(&f->obj, &f->obj.fw, 0,
	    FW_RESULT_INTEGRITY,
	    NULL, NULL), 0);
	assert_int_equal(f->obj.fw.state, FW_IDLE);
	assert_int_equal(f->obj.fw.result, FW_RESULT_INTEGRITY);
	/* A failure given without a failure code becomes connection lost. */
	write_uri(f, "coap://gw/x", &act);
	assert_int_equal(f->obj.fw.result, FW_RESULT_INITIAL);
	fw_download_done(&f->obj, &f->obj.fw, 0, FW_RESULT_SUCCESS, NULL, NULL);
	assert_int_equal(f->obj.fw.result, FW_RESULT_CONNECTION_LOST);
	/* A failed update: the package stays, Downloaded with result 8. */
	write_uri(f, "coap://gw/x", &act);
	fw_download_done(&f->obj, &f->obj.fw, 1, 0, "p", "1");
	obj_execute(&f->obj, &f->obj.fw, 5, 2, &act, err, sizeof(err));
	assert_int_equal(fw_update_done(&f->obj, &f->obj.fw, 0), 0);
	assert_int_equal(f->obj.fw.state, FW_DOWNLOADED);
	assert_int_equal(f->obj.fw.result, FW_RESULT_UPDATE_FAILED);
	/* Hooks in the wrong state change nothing. */
	assert_int_equal(fw_update_done(&f->obj, &f->obj.fw, 1), -1);
	assert_int_equal(fw_download_done(&f->obj, &f->obj.fw, 1, 0, "q", "2"),
	    -1);
	assert_int_equal(f->obj.fw.state, FW_DOWNLOADED);
	assert_string_equal(f->obj.fw.pkg_name, "p");
}

static void
test_firmware_uri_checks(void **state)
{
	struct fixture *f = *state;
	enum obj_action act;
	char long_uri[300];

	/* Unknown scheme: stays Idle, result 9 (unsupported protocol). */
	assert_int_equal(write_uri(f, "ftp://host/fw", &act), NODE_OK);
	assert_int_equal(act, OBJ_ACTION_NONE);
	assert_int_equal(f->obj.fw.state, FW_IDLE);
	assert_int_equal(f->obj.fw.result, FW_RESULT_UNSUPPORTED_PROTOCOL);
	/* Not an absolute URI: result 7. */
	assert_int_equal(write_uri(f, "firmware.bin", &act), NODE_OK);
	assert_int_equal(f->obj.fw.result, FW_RESULT_INVALID_URI);
	assert_int_equal(f->obj.fw.state, FW_IDLE);
	/* Not text at all: 4.00 and nothing changes. */
	f->nchanges = 0;
	assert_int_equal(write_uri(f, "coap://gw/a b", &act),
	    NODE_BAD_REQUEST);
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 5, 1,
	    (const uint8_t *)"co\0ap", 5,
	    &act, NULL, 0), NODE_BAD_REQUEST);
	memset(long_uri, 'a', sizeof(long_uri) - 1);
	memcpy(long_uri, "coap://", 7);
	long_uri[sizeof(long_uri) - 1] = '\0';
	assert_int_equal(write_uri(f, long_uri, &act), NODE_BAD_REQUEST);
	assert_int_equal(f->nchanges, 0);
	assert_int_equal(f->obj.fw.result, FW_RESULT_INVALID_URI);
	/* A second URI while Downloading: 4.00; the same one again (a
	 * retransmission) changes nothing; an empty one cancels. */
	assert_int_equal(write_uri(f, "coap://gw/1", &act), NODE_OK);
	assert_int_equal(write_uri(f, "coap://gw/2", &act), NODE_BAD_REQUEST);
	f->nchanges = 0;
	assert_int_equal(write_uri(f, "coap://gw/1", &act), NODE_OK);
	assert_int_equal(act, OBJ_ACTION_NONE);
	assert_int_equal(f->nchanges, 0);
	assert_int_equal(f->obj.fw.state, FW_DOWNLOADING);
	assert_string_equal(f->obj.fw.uri, "coap://gw/1");
	assert_int_equal(write_uri(f, "", &act), NODE_OK);
	assert_int_equal(f->obj.fw.state, FW_IDLE);
	assert_int_equal(f->obj.fw.result, FW_RESULT_INITIAL);
	assert_string_equal(f->obj.fw.uri, "");
}

/* Parses SenML text and returns record i's member name, or NULL. */
static const cJSON *
senml_rec(const cJSON *doc, int i, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(doc, i),
	    name);
}

static void
test_senml_instance_round_trip(void **state)
{
	struct fixture *f = *state;
	char err[128], *text;
	cJSON *doc;
	int i, n;

	text = obj_read_senml(&f->obj, "ep-1", &f->obj.fw, 3, err, sizeof(err));
	assert_non_null(text);
	doc = cJSON_Parse(text);
	assert_non_null(doc);
	assert_true(cJSON_IsArray(doc));
	n = cJSON_GetArraySize(doc);
	assert_int_equal(n, 13);	/* readable resources of /3/0 */
	assert_string_equal(senml_rec(doc, 0, "bn")->valuestring, "/3/0/");
	assert_string_equal(senml_rec(doc, 0, "n")->valuestring, "0");
	assert_string_equal(senml_rec(doc, 0, "vs")->valuestring, "Outpost");
	for (i = 1; i < n; i++)
		assert_null(senml_rec(doc, i, "bn"));
	for (i = 0; i < n; i++) {
		const char *name = senml_rec(doc, i, "n")->valuestring;

		if (strcmp(name, "13") == 0)
			assert_int_equal((long)senml_rec(doc, i, "v")->
			    valuedouble, 1700000000L);
		if (strcmp(name, "10") == 0)
			assert_int_equal((long)senml_rec(doc, i, "v")->
			    valuedouble, 123456L);
		assert_true(strcmp(name, "4") != 0 && strcmp(name, "5") != 0);
	}
	cJSON_Delete(doc);
	free(text);
	assert_null(obj_read_senml(&f->obj, "ep-1", &f->obj.fw, 7, err,
	    sizeof(err)));
}

static void
test_senml_one_resource(void **state)
{
	struct fixture *f = *state;
	enum node_result res;
	char err[128], *text;
	cJSON *doc;

	text = obj_read_one_senml(&f->obj, "e", &f->obj.fw, 5, 3, &res, err,
	    sizeof(err));
	assert_int_equal(res, NODE_OK);
	doc = cJSON_Parse(text);
	assert_int_equal(cJSON_GetArraySize(doc), 1);
	assert_string_equal(senml_rec(doc, 0, "bn")->valuestring, "/5/0/3");
	assert_null(senml_rec(doc, 0, "n"));
	assert_int_equal(senml_rec(doc, 0, "v")->valueint, 0);
	cJSON_Delete(doc);
	free(text);
	assert_null(obj_read_one_senml(&f->obj, "e", &f->obj.fw, 5, 2, &res,
	    err,
	    sizeof(err)));
	assert_int_equal(res, NODE_NOT_ALLOWED);
}

static void
test_senml_encoder_escapes(void **state)
{
	struct obj_value v[3];
	struct senml_rec recs[3] = {
		{ "a", &v[0] }, { "b", &v[1] }, { "", &v[2] }
	};
	cJSON *doc;
	char *text;

	(void)state;
	memset(v, 0, sizeof(v));
	v[0].type = OBJ_STRING;
	strcpy(v[0].s, "quote \" backslash \\ newline \n \x01 \xc3\xa9");
	v[1].type = OBJ_FLOAT;
	v[1].f = -0.125;
	v[2].type = OBJ_INT;
	v[2].i = -123456789012345LL;	/* cJSON keeps 15 digits */
	text = senml_encode("/x/", recs, 3);
	assert_non_null(text);
	doc = cJSON_Parse(text);
	assert_non_null(doc);
	assert_string_equal(senml_rec(doc, 0, "vs")->valuestring, v[0].s);
	assert_true(senml_rec(doc, 1, "v")->valuedouble == -0.125);
	assert_true(senml_rec(doc, 2, "v")->valuedouble ==
	    -123456789012345.0);
	assert_null(senml_rec(doc, 2, "n"));	/* empty name left out */
	cJSON_Delete(doc);
	free(text);
	/* No base name, no records. */
	text = senml_encode(NULL, recs, 0);
	assert_string_equal(text, "[]");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_device_resources,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_errors, setup,
		    teardown),
		cmocka_unit_test(test_text_too_small),
		cmocka_unit_test_setup_teardown(test_write_dispatch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_execute_dispatch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_firmware_happy_path,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_firmware_failures, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_firmware_uri_checks,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_senml_instance_round_trip,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_senml_one_resource, setup,
		    teardown),
		cmocka_unit_test(test_senml_encoder_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
