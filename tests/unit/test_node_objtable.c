/*
 * test_node_objtable.c: unit tests for the node object table (node/object.h,
 * obj_table[] in node/object.c): the rows of the objects outpost-node
 * serves, and everything derived from a table: read, write and execute
 * through an object's hooks, an unknown object, the registration's link
 * string (node/link.c, byte for byte what the gateway sees), a /config
 * change reported by the objects, and the CoAP resources with their
 * observation (node/res.c). A small object defined here, in a table of its
 * own, shows that a new object needs nothing but its definition and a row.
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

#include "node/coap.h"
#include "node/nconf.h"
#include "node/node.h"
#include "node/object.h"

#define OBJ_TEST	33000

/* The registration links: the table's objects, then the agent's own. */
#define LINKS_FULL "</>;rt=\"oma.lwm2m\";ct=110,</3/0>,</4/0>,</5/0>,</20/0>," \
	"</health>;rt=\"outpost.health\";ct=50;obs," \
	"</config>;rt=\"outpost.config\";ct=50;obs"
#define LINKS_FLEET "</>;rt=\"oma.lwm2m\";ct=110,</3/0>,</4/0>,</5/0>,</20/0>," \
	"</health>;rt=\"outpost.health\";ct=50;obs"

/*
 * The test object /33000/0: 0 Counter (read, sampled), 1 Label (read and
 * write), 2 Bump (execute: Counter + 1), 3 Secret (write-only).
 */
static int64_t	test_counter;
static char	test_label[OBJ_STR_MAX];

static const struct obj_res test_res[] = {
	{ 0, OBJ_R, OBJ_INT, "Counter", OBJ_OBS_SAMPLED },
	{ 1, OBJ_R | OBJ_W, OBJ_STRING, "Label", OBJ_OBS_EVENT },
	{ 2, OBJ_E, OBJ_STRING, "Bump", OBJ_OBS_EVENT },
	{ 3, OBJ_W, OBJ_STRING, "Secret", OBJ_OBS_EVENT },
};

static void
test_read(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t rid, struct obj_value *v)
{
	(void)o;
	(void)serial;
	(void)fw;
	if (rid == 0)
		obj_set_int(v, OBJ_INT, test_counter);
	else
		obj_set_str(v, test_label);
}

static enum node_result
test_write(struct obj *o, struct fw *fw, uint16_t rid, const uint8_t *buf,
    size_t len, enum obj_action *act, char *err, size_t errlen)
{
	(void)fw;
	(void)act;
	if (rid == 3)
		return NODE_OK;		/* taken, never read */
	if (len >= sizeof(test_label)) {
		snprintf(err, errlen, "Label too long");
		return NODE_BAD_REQUEST;
	}
	memcpy(test_label, buf, len);
	test_label[len] = '\0';
	obj_changed(o, NULL, OBJ_TEST, rid);
	return NODE_OK;
}

static enum node_result
test_execute(struct obj *o, struct fw *fw, uint16_t rid,
    const uint8_t *arg, size_t len, enum obj_action *act, char *err,
    size_t errlen)
{
	(void)fw;
	(void)arg;
	(void)len;
	(void)act;
	(void)err;
	(void)errlen;
	test_counter++;
	obj_changed(o, NULL, OBJ_TEST, 0);
	(void)rid;
	return NODE_OK;
}

static const struct obj_def obj_test = {
	.oid = OBJ_TEST,
	.name = "Test",
	.res = test_res,
	.nres = sizeof(test_res) / sizeof(test_res[0]),
	.read = test_read,
	.write = test_write,
	.execute = test_execute,
};

/* Adding an object: its definition and one row. The Device row is
 * filled in by setup (obj_table's, found by id). */
static const struct obj_def *test_table[] = {
	&obj_test,
	NULL,
	NULL
};

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
	return 2048;
}

static int
fake_battery(void *arg)
{
	(void)arg;
	return 50;
}

static void
record_change(void *arg, const struct fw *fw, uint16_t oid, uint16_t rid)
{
	struct fixture *f = arg;

	(void)fw;
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
	obj_init(&f->obj, &f->cfg, &env);
	f->obj.changed = record_change;
	f->obj.changed_arg = f;
	test_table[1] = obj_def_find(obj_table, OBJ_DEVICE);
	test_counter = 7;
	strcpy(test_label, "first");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

/* obj_table: Device, Connectivity Monitoring, Firmware Update, Software
 * Management, then the account objects Security and Server; each row
 * consistent: rids unique,
 * a hook for every operation a resource has (an account object has none:
 * bsres.c serves it from the device's account). */
static void
test_default_table(void **state)
{
	const struct obj_def *const *def;
	const struct obj_def *d;
	size_t i, j, n = 0;
	int ops;

	(void)state;
	for (def = obj_table; *def != NULL; def++, n++) {
		d = *def;
		assert_non_null(d->name);
		assert_true(d->nres > 0);
		ops = 0;
		for (i = 0; i < d->nres; i++) {
			ops |= d->res[i].ops;
			assert_non_null(d->res[i].name);
			for (j = i + 1; j < d->nres; j++)
				assert_int_not_equal(d->res[i].rid,
				    d->res[j].rid);
		}
		if (d->account) {
			assert_null(d->read);
			assert_null(d->write);
			assert_null(d->execute);
			continue;
		}
		assert_true(!(ops & OBJ_R) || d->read != NULL);
		assert_true(!(ops & OBJ_W) || d->write != NULL);
		assert_true(!(ops & OBJ_E) || d->execute != NULL);
	}
	assert_int_equal(n, 7);
	assert_int_equal(obj_table[0]->oid, OBJ_DEVICE);
	assert_int_equal(obj_table[1]->oid, OBJ_CONN);
	assert_int_equal(obj_table[2]->oid, OBJ_FIRMWARE);
	assert_int_equal(obj_table[3]->oid, OBJ_SOFTWARE);
	assert_int_equal(obj_table[4]->oid, OBJ_EVENTLOG);
	assert_int_equal(obj_table[5]->oid, OBJ_SECURITY);
	assert_int_equal(obj_table[6]->oid, OBJ_SERVER);
	assert_true(obj_table[5]->account && obj_table[6]->account);
	/* The Secret Key is written, never read. */
	assert_int_equal(obj_res_find(obj_table[5], 5)->ops, OBJ_W);
	/* The Event Log's LogData is opaque, read whole (read_blob). */
	d = obj_def_find(obj_table, OBJ_EVENTLOG);
	assert_int_equal(d->nres, 6);
	assert_int_equal(obj_res_find(d, 4014)->type, OBJ_OPAQUE);
	assert_non_null(d->read_blob);
	assert_ptr_equal(obj_def_find(obj_table, OBJ_FIRMWARE), obj_table[2]);
	assert_null(obj_def_find(obj_table, 6));
	assert_int_equal(obj_def_find(obj_table, OBJ_DEVICE)->nres, 15);
	assert_int_equal(obj_def_find(obj_table, OBJ_CONN)->nres, 6);
	assert_int_equal(obj_def_find(obj_table, OBJ_FIRMWARE)->nres, 8);
	/* Object 9's mandatory resources but Checkpoint's kind; the Package
	 * URI written, not read, as the registry has it. */
	d = obj_def_find(obj_table, OBJ_SOFTWARE);
	assert_int_equal(d->nres, 11);
	assert_int_equal(obj_res_find(d, 3)->ops, OBJ_W);
	assert_int_equal(obj_res_find(d, 2)->type, OBJ_OPAQUE);
	assert_int_equal(obj_res_find(d, 12)->type, OBJ_BOOL);
	assert_int_equal(obj_res_find(d, 6)->ops, OBJ_E);
	assert_null(obj_res_find(d, 5));
	/* How the Device's resources are observed. */
	d = obj_table[0];
	assert_int_equal(obj_res_find(d, 13)->obs, OBJ_OBS_TICK);
	assert_int_equal(obj_res_find(d, 9)->obs, OBJ_OBS_SAMPLED);
	assert_int_equal(obj_res_find(d, 10)->obs, OBJ_OBS_SAMPLED);
	assert_int_equal(obj_res_find(d, 11)->obs, OBJ_OBS_SAMPLED);
	assert_int_equal(obj_res_find(d, 11)->ops, OBJ_R | OBJ_M);
	assert_null(obj_res_find(d, 6));
}

/* The registration carries exactly the links it carried before the table
 * (object 9 only with [software] dir, and never in a fleet); a table of
 * its own gives its own objects' links. */
static void
test_links(void **state)
{
	struct fixture *f = *state;
	const struct obj_def *const *table = f->obj.table;
	struct obj_env env = { NULL, NULL, NULL, NULL };
	struct obj o;
	char buf[64], *links;

	test_table[1] = obj_def_find(obj_table, OBJ_DEVICE);
	assert_int_equal(obj_links(table, buf, sizeof(buf)), 28);
	assert_string_equal(buf, "</3/0>,</4/0>,</5/0>,</20/0>");
	assert_int_equal(obj_links(table, buf, 28), -1);
	assert_int_equal(obj_links(table, buf, 29), 28);
	assert_null(obj_def_find(table, OBJ_SOFTWARE));
	strcpy(f->cfg.sw_dir, "/var/lib/sw");
	obj_init(&o, &f->cfg, &env);
	assert_int_equal(obj_links(o.table, buf, sizeof(buf)), 35);
	assert_string_equal(buf, "</3/0>,</4/0>,</5/0>,</9/0>,</20/0>");
	f->cfg.fleet = 3;
	obj_init(&o, &f->cfg, &env);
	assert_null(obj_def_find(o.table, OBJ_SOFTWARE));

	links = link_payload(table, 0);
	assert_non_null(links);
	assert_string_equal(links, LINKS_FULL);
	free(links);
	links = link_payload(table, 1);
	assert_non_null(links);
	assert_string_equal(links, LINKS_FLEET);
	free(links);

	links = link_payload(test_table, 1);
	assert_non_null(links);
	assert_string_equal(links, "</>;rt=\"oma.lwm2m\";ct=110,</33000/0>,"
	    "</3/0>,</health>;rt=\"outpost.health\";ct=50;obs");
	free(links);
}

/* Read, write and execute reach the test object's hooks through its row;
 * what its rows do not allow is refused before any hook. */
static void
test_operations_through_table(void **state)
{
	struct fixture *f = *state;
	enum obj_action act;
	struct obj_value v;
	char err[160];

	f->obj.table = test_table;
	assert_int_equal(obj_read(&f->obj, "e", NULL, OBJ_TEST, 0, &v, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(v.type, OBJ_INT);
	assert_int_equal(v.i, 7);
	assert_int_equal(obj_execute(&f->obj, NULL, OBJ_TEST, 2, &act, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(act, OBJ_ACTION_NONE);
	obj_read(&f->obj, "e", NULL, OBJ_TEST, 0, &v, err, sizeof(err));
	assert_int_equal(v.i, 8);

	assert_int_equal(obj_write(&f->obj, NULL, OBJ_TEST, 1,
	    (const uint8_t *)"second", 6, &act, err, sizeof(err)), NODE_OK);
	obj_read(&f->obj, "e", NULL, OBJ_TEST, 1, &v, err, sizeof(err));
	assert_string_equal(v.s, "second");
	assert_int_equal(f->nchanges, 2);
	assert_int_equal(f->changes[0][0], OBJ_TEST);
	assert_int_equal(f->changes[0][1], 0);
	assert_int_equal(f->changes[1][1], 1);

	/* The rows' operations. */
	assert_int_equal(obj_read(&f->obj, "e", NULL, OBJ_TEST, 3, &v, err,
	    sizeof(err)), NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "/33000/0/3 Secret is write-only"));
	assert_int_equal(obj_read(&f->obj, "e", NULL, OBJ_TEST, 2, &v, err,
	    sizeof(err)), NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "execute-only"));
	assert_int_equal(obj_write(&f->obj, NULL, OBJ_TEST, 0,
	    (const uint8_t *)"1", 1, &act, err, sizeof(err)), NODE_NOT_ALLOWED);
	assert_non_null(strstr(err, "Counter is not writable"));
	assert_int_equal(obj_execute(&f->obj, NULL, OBJ_TEST, 1, &act, err,
	    sizeof(err)), NODE_NOT_ALLOWED);
	assert_int_equal(obj_read(&f->obj, "e", NULL, OBJ_TEST, 4, &v, err,
	    sizeof(err)), NODE_NOT_FOUND);
	assert_non_null(strstr(err, "no resource /33000/0/4"));
	assert_int_equal(test_counter, 8);

	/* The Device object in the same table answers as ever. */
	assert_int_equal(obj_read(&f->obj, "ep-9", NULL, OBJ_DEVICE, 2, &v,
	    err, sizeof(err)), NODE_OK);
	assert_string_equal(v.s, "ep-9");
}

/* An object that is not in the table is not found, whatever the
 * operation; Firmware Update is not in the test table. */
static void
test_unknown_object(void **state)
{
	struct fixture *f = *state;
	enum obj_action act;
	enum node_result res;
	struct obj_value v;
	char err[160];

	assert_int_equal(obj_read(&f->obj, "e", &f->obj.fw, OBJ_TEST, 0, &v,
	    err, sizeof(err)), NODE_NOT_FOUND);
	assert_non_null(strstr(err, "no resource /33000/0/0"));
	f->obj.table = test_table;
	assert_int_equal(obj_read(&f->obj, "e", &f->obj.fw, OBJ_FIRMWARE, 3,
	    &v, err, sizeof(err)), NODE_NOT_FOUND);
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, OBJ_FIRMWARE, 1,
	    (const uint8_t *)"coap://gw/x", 11, &act, err, sizeof(err)),
	    NODE_NOT_FOUND);
	assert_int_equal(act, OBJ_ACTION_NONE);
	assert_int_equal(obj_execute(&f->obj, &f->obj.fw, OBJ_FIRMWARE, 2,
	    &act, err, sizeof(err)), NODE_NOT_FOUND);
	assert_null(obj_read_senml(&f->obj, "e", &f->obj.fw, OBJ_FIRMWARE,
	    err, sizeof(err)));
	assert_null(obj_read_one_senml(&f->obj, "e", &f->obj.fw, OBJ_FIRMWARE,
	    3, &res, err, sizeof(err)));
	assert_int_equal(res, NODE_NOT_FOUND);
	assert_int_equal(f->obj.fw.state, FW_IDLE);
	assert_int_equal(f->nchanges, 0);
}

/* A SenML read of the test instance: its readable resources, in row
 * order. */
static void
test_senml_of_new_object(void **state)
{
	struct fixture *f = *state;
	char err[128], *text;
	cJSON *doc, *rec;

	f->obj.table = test_table;
	text = obj_read_senml(&f->obj, "e", NULL, OBJ_TEST, err, sizeof(err));
	assert_non_null(text);
	doc = cJSON_Parse(text);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetArraySize(doc), 2);
	rec = cJSON_GetArrayItem(doc, 0);
	assert_string_equal(cJSON_GetObjectItem(rec, "bn")->valuestring,
	    "/33000/0/");
	assert_string_equal(cJSON_GetObjectItem(rec, "n")->valuestring, "0");
	assert_int_equal(cJSON_GetObjectItem(rec, "v")->valueint, 7);
	rec = cJSON_GetArrayItem(doc, 1);
	assert_string_equal(cJSON_GetObjectItem(rec, "n")->valuestring, "1");
	assert_string_equal(cJSON_GetObjectItem(rec, "vs")->valuestring,
	    "first");
	cJSON_Delete(doc);
	free(text);
}

/* A /config change reaches the observers of the Device resources that
 * follow it, through the Device object's hook. */
static void
test_reconfigured(void **state)
{
	struct fixture *f = *state;
	struct node_config was = f->cfg;

	obj_reconfigured(&f->obj, &was);
	assert_int_equal(f->nchanges, 0);
	f->cfg.queue_mode = !was.queue_mode;
	f->cfg.battery = was.battery == 50 ? 60 : 50;
	obj_reconfigured(&f->obj, &was);
	assert_int_equal(f->nchanges, 3);
	assert_int_equal(f->changes[0][0], OBJ_DEVICE);
	assert_int_equal(f->changes[0][1], 16);
	assert_int_equal(f->changes[1][0], OBJ_DEVICE);
	assert_int_equal(f->changes[1][1], 9);
	/* The battery level is weighed against [errors] battery. */
	assert_int_equal(f->changes[2][0], OBJ_DEVICE);
	assert_int_equal(f->changes[2][1], 11);
	/* So are the other thresholds of the Error Codes. */
	was = f->cfg;
	f->nchanges = 0;
	f->cfg.err_disk_free_kb++;
	obj_reconfigured(&f->obj, &was);
	assert_int_equal(f->nchanges, 1);
	assert_int_equal(f->changes[0][1], 11);
}

/* The slot of /path in sh, or NULL. */
static const struct res_slot *
slot_of(const struct shard *sh, const char *path)
{
	size_t i;

	for (i = 0; i < sh->nslots; i++) {
		coap_str_const_t *p =
		    coap_resource_get_uri_path(sh->slots[i].res);

		if (p->length == strlen(path) &&
		    memcmp(p->s, path, p->length) == 0)
			return &sh->slots[i];
	}
	return NULL;
}

/* res.c makes a shard's CoAP resources from the table: a resource per
 * row, an instance and an object per object, each observed as its rows
 * say. */
static void
test_resources_from_table(void **state)
{
	struct fixture *f = *state;
	struct node *n = calloc(1, sizeof(*n));
	struct shard sh;
	const struct res_slot *s;

	assert_non_null(n);
	n->obj = f->obj;
	n->obj.table = test_table;
	memset(&sh, 0, sizeof(sh));
	sh.node = n;
	coap_startup();
	assert_non_null(sh.ctx = coap_new_context(NULL));
	assert_int_equal(res_init(&sh, 1), 0);
	/* 4 + 15 resources, 2 instances, /health; no /config in a fleet. */
	assert_int_equal(sh.nslots, 24);
	assert_null(slot_of(&sh, "config"));
	assert_null(slot_of(&sh, "5/0"));
	assert_non_null(s = slot_of(&sh, "33000/0/1"));
	assert_int_equal(s->kind, RES_ONE);
	assert_int_equal(s->oid, OBJ_TEST);
	assert_int_equal(s->rid, 1);
	assert_int_equal(s->obs.kind, OBS_EVENT);
	assert_int_equal(slot_of(&sh, "33000/0/0")->obs.kind, OBS_SAMPLED);
	assert_non_null(s = slot_of(&sh, "33000/0"));
	assert_int_equal(s->kind, RES_INSTANCE);
	assert_int_equal(s->obs.kind, OBS_SAMPLED);
	/* Attributes inherit: resource, instance, object. */
	assert_ptr_equal(slot_of(&sh, "33000/0/1")->up, s);
	assert_non_null(s->up);
	assert_ptr_equal(s->up, slot_of(&sh, "33000"));
	assert_int_equal(s->up->kind, RES_OBJECT);
	assert_null(s->up->up);
	assert_null(slot_of(&sh, "health")->up);
	assert_int_equal(slot_of(&sh, "3/0")->obs.kind, OBS_SAMPLED);
	assert_int_equal(slot_of(&sh, "3/0/13")->obs.kind, OBS_TICK);
	assert_int_equal(slot_of(&sh, "3/0/10")->obs.kind, OBS_SAMPLED);
	assert_int_equal(slot_of(&sh, "3/0/0")->obs.kind, OBS_EVENT);
	assert_int_equal(slot_of(&sh, "3/0/15")->obs.kind, OBS_EVENT);
	assert_int_equal(slot_of(&sh, "health")->obs.kind, OBS_SAMPLED);
	assert_non_null(coap_get_resource_from_uri_path(sh.ctx,
	    coap_make_str_const("33000/0/3")));
	res_free(&sh);
	coap_free_context(sh.ctx);

	/* The agent's own table: /5/0 is an instance that is not sampled,
	 * and a single agent serves /config. */
	n->obj.table = obj_table;
	memset(&sh, 0, sizeof(sh));
	sh.node = n;
	assert_non_null(sh.ctx = coap_new_context(NULL));
	assert_int_equal(res_init(&sh, 0), 0);
	assert_int_equal(sh.nslots, 15 + 6 + 8 + 11 + 6 + 5 + 5 + 2);
	assert_int_equal(slot_of(&sh, "4/0")->obs.kind, OBS_SAMPLED);
	assert_int_equal(slot_of(&sh, "4/0/4")->obs.kind, OBS_SAMPLED);
	assert_int_equal(slot_of(&sh, "3/0/11")->obs.kind, OBS_SAMPLED);
	assert_int_equal(slot_of(&sh, "5/0")->obs.kind, OBS_EVENT);
	assert_int_equal(slot_of(&sh, "5/0/3")->obs.kind, OBS_EVENT);
	assert_int_equal(slot_of(&sh, "9/0/7")->obs.kind, OBS_EVENT);
	assert_int_equal(slot_of(&sh, "9/0")->obs.kind, OBS_EVENT);
	assert_int_equal(slot_of(&sh, "config")->kind, RES_CONFIG);
	res_free(&sh);
	coap_free_context(sh.ctx);
	coap_cleanup();
	free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_table),
		cmocka_unit_test_setup_teardown(test_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operations_through_table,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_object, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_senml_of_new_object,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconfigured, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resources_from_table,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
