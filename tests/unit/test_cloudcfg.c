/*
 * test_cloudcfg.c: unit tests for config/cloudcfg.c, the [cloud] keys that
 * need more than a type: broker URIs (schemes, default ports, IPv6
 * literals, bad ports, paths, junk), what counts as loopback, the request
 * topics and their roles, the event list and its matching, topic
 * prefixes, ids; and config_load's refusals of [cloud] keys, each with
 * its FILE:LINE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/cloudcfg.h"
#include "tests/unit/testutil.h"

static char	tmpdir[64];		/* made by group_setup */
static char	ini[96];		/* tmpdir/t.ini */

static int
group_setup(void **state)
{
	(void)state;
	return tmp_ini_dir("cloudcfg", tmpdir, ini);
}

static int
group_teardown(void **state)
{
	(void)state;
	return rm_tree(tmpdir);
}

static void
broker_ok(const char *uri, int tls, const char *host, int port)
{
	struct cloud_broker b;
	char err[256] = "";

	if (cloudcfg_broker(uri, &b, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", uri, err);
	assert_int_equal(b.tls, tls);
	assert_string_equal(b.host, host);
	assert_int_equal(b.port, port);
}

static void
broker_bad(const char *uri, const char *want)
{
	struct cloud_broker b;
	char err[1024] = "";

	if (cloudcfg_broker(uri, &b, err, sizeof(err)) != -1)
		fail_msg("'%s' taken: host '%s' port %d", uri, b.host, b.port);
	if (strstr(err, want) == NULL)
		fail_msg("'%s': error '%s' does not say '%s'", uri, err, want);
}

static void
test_broker_good(void **state)
{
	char uri[300], host[256];

	(void)state;
	broker_ok("mqtts://broker.example.net", 1, "broker.example.net", 8883);
	broker_ok("mqtt://broker.example.net", 0, "broker.example.net", 1883);
	broker_ok("mqtts://broker.example.net:8884", 1, "broker.example.net",
	    8884);
	broker_ok("mqtt://127.0.0.1:1884", 0, "127.0.0.1", 1884);
	broker_ok("mqtt://localhost/", 0, "localhost", 1883);
	broker_ok("mqtts://h:1/", 1, "h", 1);
	broker_ok("mqtts://h:65535", 1, "h", 65535);
	broker_ok("mqtt://[::1]:1884", 0, "::1", 1884);
	broker_ok("mqtt://[::1]", 0, "::1", 1883);
	broker_ok("mqtts://[2001:db8::5]/", 1, "2001:db8::5", 8883);
	broker_ok("mqtts://my_host-1.example", 1, "my_host-1.example", 8883);

	/* 255 bytes of host fit, 256 do not */
	memset(host, 'h', 255);
	host[255] = '\0';
	snprintf(uri, sizeof(uri), "mqtts://%s", host);
	broker_ok(uri, 1, host, 8883);
	snprintf(uri, sizeof(uri), "mqtts://%sh:1", host);
	broker_bad(uri, "too long");
}

static void
test_broker_bad(void **state)
{
	static const char *const bad_port[] = {
		"mqtts://h:0", "mqtts://h:65536", "mqtts://h:abc", "mqtts://h:",
		"mqtts://h:-1", "mqtts://h:99999999999999999999",
		"mqtts://h:1883x", "mqtts://h:1883/x", "mqtts://h:1883:1",
		"mqtts://h:0x50", "mqtts://h: 1883", "mqtts://h:+1883",
		"mqtts://h:\t1883", "mqtts://h:1883 ", "mqtt://[::1]:",
		"mqtt://[::1]:0", "mqtt://[::1]:65536", "mqtt://[::1]:x",
		"mqtt://[::1]: 1", "mqtt://[::1]:1884/x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_port) / sizeof(bad_port[0]); i++)
		broker_bad(bad_port[i], "port");
	broker_bad("", "is not mqtts://");
	broker_bad("broker.example.net", "is not mqtts://");
	broker_bad("tcp://h:1883", "is not mqtts://");
	broker_bad("ssl://h:8883", "is not mqtts://");
	broker_bad("MQTTS://h", "is not mqtts://");
	broker_bad("mqtts:/h", "is not mqtts://");
	broker_bad(" mqtts://h", "is not mqtts://");
	broker_bad("mqtts://", "no host");
	broker_bad("mqtt://", "no host");
	broker_bad("mqtts://:8883", "no host");
	broker_bad("mqtts:///", "no host");
	broker_bad("mqtts://[]:8883", "no host");
	broker_bad("mqtts://[::1", "no ']'");
	broker_bad("mqtts://[::1]x", "unexpected text");
	broker_bad("mqtts://[::1]/x", "unexpected text");
	broker_bad("mqtts://h/path", "no path");
	broker_bad("mqtts://h//", "no path");
	broker_bad("mqtts://user:pw@h", "port");
	broker_bad("mqtts://user@h", "bad character");
	broker_bad("mqtts://h?x=1", "bad character");
	broker_bad("mqtts://h#x", "bad character");
	broker_bad("mqtts://h h", "bad character");
	broker_bad("mqtts://h\n", "bad character");
	broker_bad("mqtts://h%2e", "bad character");
	broker_bad("mqtts://caf\xc3\xa9", "bad character");
	broker_bad("mqtts://[fe80::1%eth0]", "bad character");
	broker_bad("mqtts://[::1 ]", "bad character");
	broker_bad("mqtts://]", "bad character");
}

/* An error message is cut to the buffer, not written past it. */
static void
test_broker_small_err(void **state)
{
	struct cloud_broker b;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(cloudcfg_broker("junk", &b, err, 5), -1);
	assert_string_equal(err, "'jun");
	assert_int_equal(err[5], 'x');
}

static void
test_loopback(void **state)
{
	static const char *const yes[] = {
		"localhost", "127.0.0.1", "127.0.0.2", "127.1.2.3",
		"127.255.255.255", "::1", "0:0:0:0:0:0:0:1",
	};
	static const char *const no[] = {
		"", "localhost.example.net", "mylocalhost", "127.example.net",
		"127.0.0.1.example.net", "127.evil", "127.", "1270.0.0.1",
		"128.0.0.1", "10.0.0.1", "0.0.0.0", "::", "::2", "2001:db8::1",
		"::1:1", "broker.example.net", "127.0.0.256", "127.0.0.1x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!cloudcfg_loopback(yes[i]))
			fail_msg("'%s' is loopback", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (cloudcfg_loopback(no[i]))
			fail_msg("'%s' is not loopback", no[i]);
}

static void
test_requests_good(void **state)
{
	struct cloud_reqtopic t[CLOUD_REQ_MAX];
	char err[256] = "", name[CLOUD_REQ_NAME_MAX + 1], s[128];

	(void)state;
	assert_int_equal(cloudcfg_requests("", t, CLOUD_REQ_MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(cloudcfg_requests("  \t ", t, CLOUD_REQ_MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(cloudcfg_requests("ops:operate, view:read", t,
	    CLOUD_REQ_MAX, err, sizeof(err)), 2);
	assert_string_equal(t[0].name, "ops");
	assert_string_equal(t[0].role, "operate");
	assert_string_equal(t[1].name, "view");
	assert_string_equal(t[1].role, "read");
	assert_int_equal(cloudcfg_requests(" a-B_9:admin\t,b:read ,c:operate ,",
	    t, CLOUD_REQ_MAX, err, sizeof(err)), 3);
	assert_string_equal(t[0].name, "a-B_9");
	assert_string_equal(t[0].role, "admin");
	assert_string_equal(t[1].name, "b");
	assert_string_equal(t[2].name, "c");
	assert_string_equal(t[2].role, "operate");
	/* names are case-sensitive, as topics are */
	assert_int_equal(cloudcfg_requests("a:read, A:admin", t,
	    CLOUD_REQ_MAX, err, sizeof(err)), 2);

	memset(name, 'n', CLOUD_REQ_NAME_MAX);
	name[CLOUD_REQ_NAME_MAX] = '\0';
	snprintf(s, sizeof(s), "%s:read", name);
	assert_int_equal(cloudcfg_requests(s, t, CLOUD_REQ_MAX, err,
	    sizeof(err)), 1);
	assert_string_equal(t[0].name, name);
}

static void
requests_bad(const char *s, size_t max, const char *want)
{
	struct cloud_reqtopic t[CLOUD_REQ_MAX + 1];
	char err[256] = "";

	if (cloudcfg_requests(s, t, max, err, sizeof(err)) != -1)
		fail_msg("'%s' taken", s);
	if (strstr(err, want) == NULL)
		fail_msg("'%s': error '%s' does not say '%s'", s, err, want);
}

static void
test_requests_bad(void **state)
{
	static const char *const bad_name[] = {
		":read", "a", "a read", "a :read", ",a:read", "a:read,,b:read",
		"a:read, ,b:read", "a/b:read", "a+:read", "#:read",
		"caf\xc3\xa9:read", "a.b:read", "a\n:read",
	};
	static const char *const bad_role[] = {
		"a:", "a: read", "a:READ", "a:Admin", "a:root", "a:rea",
		"a:readx", "a:operator", "a:admins", "a::read",
	};
	char s[512], name[CLOUD_REQ_NAME_MAX + 2];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad_name) / sizeof(bad_name[0]); i++)
		requests_bad(bad_name[i], CLOUD_REQ_MAX, "NAME:ROLE");
	for (i = 0; i < sizeof(bad_role) / sizeof(bad_role[0]); i++)
		requests_bad(bad_role[i], CLOUD_REQ_MAX, "a role is");
	requests_bad("a:read b:read", CLOUD_REQ_MAX, "expected ','");
	requests_bad("a:read;b:read", CLOUD_REQ_MAX, "expected ','");
	requests_bad("a:read1", CLOUD_REQ_MAX, "expected ','");
	requests_bad("a:read:admin", CLOUD_REQ_MAX, "expected ','");
	requests_bad("a:read, a:admin", CLOUD_REQ_MAX, "named twice");
	requests_bad("a:read, b:read, a:read", CLOUD_REQ_MAX, "named twice");

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(s, sizeof(s), "%s:read", name);
	requests_bad(s, CLOUD_REQ_MAX, "at most 32");

	for (i = 0, n = 0; i <= CLOUD_REQ_MAX; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%st%zu:read",
		    i > 0 ? ", " : "", i);
	requests_bad(s, CLOUD_REQ_MAX, "more than 16");
	requests_bad("a:read, b:read", 1, "more than 1");
}

/* The largest list, and one more. */
static void
test_requests_max(void **state)
{
	struct cloud_reqtopic t[CLOUD_REQ_MAX];
	char s[512], err[256];
	size_t i, n;

	(void)state;
	for (i = 0, n = 0; i < CLOUD_REQ_MAX; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%st%zu:%s",
		    i > 0 ? "," : "", i, i % 3 == 0 ? "admin" : "read");
	assert_int_equal(cloudcfg_requests(s, t, CLOUD_REQ_MAX, err,
	    sizeof(err)), CLOUD_REQ_MAX);
	assert_string_equal(t[15].name, "t15");
	assert_string_equal(t[15].role, "admin");
	assert_string_equal(t[14].role, "read");
}

static void
test_events_syntax(void **state)
{
	static const char *const good[] = {
		"", " ", ",", " , ,", "alarm", "alarm,job", "alarm, job_progress",
		"bootstrap_*", "*", "op_result,fw_progress\t, tags",
		"registration update", "a,", ",a",
	};
	static const char *const bad[] = {
		"Alarm", "fw-progress", "a*b", "**", "*a", "alarm;job", "job2",
		"alarm\njob", "alarm.job", "caf\xc3\xa9", "a/b", "a#", "a+",
		"alarm, Job",
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (cloudcfg_events(good[i], err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (cloudcfg_events(bad[i], err, sizeof(err)) != -1)
			fail_msg("'%s' taken", bad[i]);
		assert_non_null(strstr(err, "event types"));
	}
}

static void
test_event_on(void **state)
{
	(void)state;
	/* empty: all */
	assert_true(cloudcfg_event_on("", "alarm"));
	assert_true(cloudcfg_event_on(" , ", "registration"));
	/* exact words */
	assert_true(cloudcfg_event_on("alarm", "alarm"));
	assert_false(cloudcfg_event_on("alarm", "alarms"));
	assert_false(cloudcfg_event_on("alarm", "alar"));
	assert_false(cloudcfg_event_on("alarm", ""));
	assert_false(cloudcfg_event_on("alarm", "job"));
	assert_true(cloudcfg_event_on("alarm, job", "job"));
	assert_false(cloudcfg_event_on("alarm, job", "job_progress"));
	assert_true(cloudcfg_event_on("registration update\tsend", "send"));
	assert_true(cloudcfg_event_on("registration update\tsend", "update"));
	/* a prefix */
	assert_true(cloudcfg_event_on("job*", "job"));
	assert_true(cloudcfg_event_on("job*", "job_progress"));
	assert_false(cloudcfg_event_on("job*", "jo"));
	assert_false(cloudcfg_event_on("job*", "alarm"));
	assert_true(cloudcfg_event_on("alarm,bootstrap_*", "bootstrap_done"));
	assert_false(cloudcfg_event_on("alarm,bootstrap_*", "bootstrap"));
	assert_true(cloudcfg_event_on("*", "anything"));
	assert_true(cloudcfg_event_on("alarm,*", "x"));
}

static void
test_prefix(void **state)
{
	static const char *const good[] = {
		"outpost", "a/b/c", "a b", "site-7/outpost", "caf\xc3\xa9", "a$",
		"a/$b", "x",
	};
	static const char *const bad[] = {
		"", "$SYS", "$", "/a", "/", "a/", "a//b", "//", "a/+/b", "+",
		"#", "a/#", "a#", "a+b", "a\x01", "a\tb", "a\nb", "a\x7f",
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (cloudcfg_prefix(good[i], err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (cloudcfg_prefix(bad[i], err, sizeof(err)) != -1)
			fail_msg("'%s' taken", bad[i]);
		assert_true(strstr(err, "prefix") != NULL);
	}
}

static void
test_ids(void **state)
{
	static const char *const good[] = {
		"gw", "site-0042", "a.b_c-D9", "0", "-", ".",
	};
	static const char *const bad[] = {
		"", "a b", "a/b", "a+b", "a#b", "caf\xc3\xa9", "a:b", "a\n",
		"a@b", "a$",
	};
	char id[CONFIG_ID_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!cloudcfg_id_ok(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cloudcfg_id_ok(bad[i]))
			fail_msg("'%s' taken", bad[i]);
	memset(id, 'i', CONFIG_ID_MAX);
	id[CONFIG_ID_MAX] = '\0';
	assert_true(cloudcfg_id_ok(id));
	id[CONFIG_ID_MAX] = 'i';
	id[CONFIG_ID_MAX + 1] = '\0';
	assert_false(cloudcfg_id_ok(id));
}

/* [gateway] id, or the host's name made a good id. */
static void
test_gateway_id(void **state)
{
	struct gw_config *cfg;
	char buf[CONFIG_ID_MAX + 1], host[256];

	(void)state;
	assert_non_null(cfg = calloc(1, sizeof(*cfg)));
	snprintf(cfg->gateway_id, sizeof(cfg->gateway_id), "site-0042");
	cloudcfg_gateway_id(cfg, buf, sizeof(buf));
	assert_string_equal(buf, "site-0042");

	cfg->gateway_id[0] = '\0';
	cloudcfg_gateway_id(cfg, buf, sizeof(buf));
	assert_true(cloudcfg_id_ok(buf));
	if (gethostname(host, sizeof(host)) == 0 && host[0] != '\0' &&
	    cloudcfg_id_ok(host))
		assert_string_equal(buf, host);
	/* a short buffer is cut, not overrun */
	cloudcfg_gateway_id(cfg, buf, 2);
	assert_int_equal(strlen(buf), 1);
	free(cfg);
}

/* Writes text to ini and loads it: 0, or -1 with err. */
static int
load(const char *text, char *err, size_t errlen)
{
	struct gw_config *cfg;
	FILE *fp;
	int rc;

	assert_non_null(fp = fopen(ini, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(cfg = calloc(1, sizeof(*cfg)));
	err[0] = '\0';
	rc = config_load(cfg, ini, err, errlen);
	free(cfg);
	return rc;
}

static void
load_ok(const char *text)
{
	char err[512];

	if (load(text, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", text, err);
}

/* Must be refused at line, with an error that says want. */
static void
load_fail(const char *text, int line, const char *want)
{
	char err[512], prefix[160];
	size_t pl;

	if (load(text, err, sizeof(err)) != -1)
		fail_msg("'%s' loaded", text);
	pl = (size_t)snprintf(prefix, sizeof(prefix), "%s:%d: ", ini, line);
	if (strncmp(err, prefix, pl) != 0)
		fail_msg("'%s': error '%s' does not start with '%s'", text,
		    err, prefix);
	if (strstr(err + pl, want) == NULL)
		fail_msg("'%s': error '%s' does not say '%s'", text, err,
		    want);
}

static void
test_load_good(void **state)
{
	(void)state;
	load_ok("[gateway]\nid = site-0042\n\n[cloud]\n"
	    "broker = mqtts://broker.example.net\n"
	    "cert_file = /etc/outpost/c.crt\nkey_file = /etc/outpost/c.key\n"
	    "username = gw\npassword_file = /etc/outpost/pw\n"
	    "prefix = fleet/eu\nprotocol = 5\n"
	    "requests = ops:operate, view:read\nevents = alarm, job*\n");
	load_ok("[cloud]\nbroker = mqtt://127.0.0.1:1884\n");
	load_ok("[cloud]\nbroker = mqtt://localhost\n");
	load_ok("[cloud]\nbroker = mqtt://[::1]:1884\n");
	load_ok("[cloud]\nbroker = mqtt://broker.example.net\n"
	    "allow_plain = 1\n");
	load_ok("[cloud]\nallow_plain = 1\nbroker = mqtt://10.0.0.1\n");
	/* the TLS files go together only when there is a broker */
	load_ok("[cloud]\ncert_file = /etc/outpost/c.crt\n");
	load_ok("[cloud]\nprotocol = 3.1.1\n");
	load_ok("[cloud]\nprotocol = auto\n");
}

static void
test_load_refused(void **state)
{
	(void)state;
	load_fail("[cloud]\nbroker = mqtt://broker.example.net\n", 2,
	    "mqtt:// off loopback");
	load_fail("[cloud]\nallow_plain = 0\n\nbroker = mqtt://10.0.0.1:1883\n",
	    4, "allow_plain = 1");
	load_fail("[cloud]\nbroker = mqtt://127.evil.example\n", 2,
	    "mqtt:// off loopback");
	load_fail("[cloud]\nbroker = mqtt://localhost.example.net\n", 2,
	    "mqtt:// off loopback");
	load_fail("[cloud]\nprefix = a\nbroker = http://broker\n", 3,
	    "[cloud] broker");
	load_fail("[cloud]\nbroker = mqtts://h:0\n", 2, "bad port");
	load_fail("[cloud]\nbroker = mqtts://h:65536\n", 2, "bad port");
	load_fail("[cloud]\nbroker = mqtts://h/x\n", 2, "no path");
	/* cert_file without key_file: the line of the one that is set */
	load_fail("[cloud]\nbroker = mqtts://h\n\ncert_file = /c.crt\n", 4,
	    "go together");
	load_fail("[cloud]\nkey_file = /c.key\nbroker = mqtts://h\n", 2,
	    "go together");
	load_fail("[cloud]\nbroker = mqtts://h\npassword_file = /pw\n", 3,
	    "needs a username");
	load_fail("[cloud]\nrequests = ops:root\n", 2, "[cloud] requests");
	load_fail("[cloud]\nrequests = a:read, a:admin\n", 2, "named twice");
	load_fail("[cloud]\nevents = Alarm\n", 2, "[cloud] events");
	load_fail("[cloud]\nprefix = $SYS\n", 2, "[cloud] prefix");
	load_fail("[cloud]\nprefix = a/+/b\n", 2, "[cloud] prefix");
	load_fail("[cloud]\nprotocol = 4\n", 2, "[cloud] protocol");
	load_fail("[cloud]\nclient_id = a b\n", 2, "[cloud] client_id");
	load_fail("[gateway]\nid = a/b\n", 2, "[gateway] id");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broker_good),
		cmocka_unit_test(test_broker_bad),
		cmocka_unit_test(test_broker_small_err),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_requests_good),
		cmocka_unit_test(test_requests_bad),
		cmocka_unit_test(test_requests_max),
		cmocka_unit_test(test_events_syntax),
		cmocka_unit_test(test_event_on),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_gateway_id),
		cmocka_unit_test(test_load_good),
		cmocka_unit_test(test_load_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
