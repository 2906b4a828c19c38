/*
 * test_node_config.c: unit tests for node.ini (node/nconf.c: the key table,
 * file:line errors, node.ini.example) and the /config resource
 * (node/rconf.c: validation of a write, good and each kind of bad, nothing
 * changed by a bad one; the atomic store and the load at start).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/nconf.h"
#include "node/rconf.h"

static char	tmpdir[64];

static int
group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_node_config.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to tmpdir/name and returns the path (static buffer). */
static const char *
write_file(const char *name, const char *text, size_t len)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	return path;
}

/* Loads text as node.ini; expects failure with want in the message, and
 * cfg untouched. */
static void
load_fails_len(const char *text, size_t len, const char *want)
{
	struct node_config cfg, before;
	char err[512];
	const char *path = write_file("bad.ini", text, len);

	memset(&cfg, 0x5a, sizeof(cfg));
	before = cfg;
	assert_int_equal(nconf_load(&cfg, path, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static void
load_fails(const char *text, const char *want)
{
	load_fails_len(text, strlen(text), want);
}

static void
test_defaults_and_example(void **state)
{
	struct node_config cfg;
	char err[512], *expect = NULL, *have;
	size_t elen = 0;
	FILE *fp;
	long n;

	(void)state;
	nconf_defaults(&cfg);
	assert_int_equal(cfg.lifetime, 300);
	assert_int_equal(cfg.queue_mode, 0);
	assert_string_equal(cfg.gateway, "coap://127.0.0.1:5683");
	assert_int_equal(nconf_validate(&cfg, err, sizeof(err)), 0);
	/* node.ini.example is what the table prints, and loads. */
	fp = open_memstream(&expect, &elen);
	nconf_print_example(fp);
	fclose(fp);
	fp = fopen("node.ini.example", "r");
	assert_non_null(fp);
	have = calloc(1, 65536);
	n = (long)fread(have, 1, 65535, fp);
	fclose(fp);
	assert_true(n > 0);
	assert_string_equal(have, expect);
	assert_int_equal(nconf_load(&cfg, "node.ini.example", err,
	    sizeof(err)), 0);
	free(have);
	free(expect);
}

static void
test_load_good(void **state)
{
	static const char text[] =
	    "; a comment\n"
	    "[node]\n"
	    "gateway = coap://[::1]:5690\n"
	    "endpoint = urn:dev:42\n"
	    "lifetime = 60\n"
	    "binding = UQ\n"
	    "listen = 127.0.0.1:5700\n"
	    "\n"
	    "[health]\n"
	    "load1_delta = 0.25\n"
	    "[device]\n"
	    "reboot_command = /sbin/reboot -f\n";
	struct node_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(nconf_load(&cfg, write_file("good.ini", text,
	    strlen(text)), err, sizeof(err)), 0);
	assert_string_equal(cfg.gateway, "coap://[::1]:5690");
	assert_string_equal(cfg.endpoint, "urn:dev:42");
	assert_int_equal(cfg.lifetime, 60);
	assert_int_equal(cfg.queue_mode, 1);
	assert_true(cfg.load1_delta == 0.25);
	assert_string_equal(cfg.reboot_command, "/sbin/reboot -f");
	assert_int_equal(cfg.sleep, 60);	/* untouched: default */
	assert_non_null(strstr(cfg.source, "good.ini"));
}

static void
test_load_errors_name_the_line(void **state)
{
	(void)state;
	load_fails("[node]\nlifetime = 0\n", "bad.ini:2: [node] lifetime: 0 "
	    "is below the minimum 1");
	load_fails("[node]\n\nlifetime = 3e9\n", ":3: [node] lifetime");
	load_fails("[node]\nlifetime = 12x\n", "'12x' is not a whole number");
	load_fails("[node]\nfoo = 1\n", ":2: [node] unknown key 'foo'");
	load_fails("[nodes]\n", ":1: unknown section [nodes]");
	load_fails("[node]\nbinding = Q\n", "'Q' is not U or UQ");
	load_fails("[node]\ngateway = http://x\n", "expected coap://");
	load_fails("[node]\ngateway = coaps+tcp://x\n", "bad.ini:2: [node] gateway");
	load_fails("[node]\ngateway = coap://a b\n", "bad host name");
	load_fails("[node]\ngateway = coap://h:0\n", "port must be");
	load_fails("[node]\nlisten = host:5683\n", "numeric");
	load_fails("[node]\nlisten = 127.0.0.1\n", "expected HOST:PORT");
	load_fails("[node]\nendpoint = a/b\n", "use letters");
	load_fails("[device]\nmodel =\n", "must not be empty");
	load_fails("[node]\nlifetime = 5\nlifetime = 6\n",
	    ":3: [node] lifetime: set more than once (first on line 2)");
	load_fails("[node]\nlog_level = loud\n", "'loud' is not one of");
	load_fails("[fleet]\ndrop = 1.5\n", "above the maximum 1");
	load_fails("[fleet]\ndrop = nan\n", "not a number");
	load_fails("[register]\nbackoff_min = 10\nbackoff_max = 5\n",
	    "backoff_min 10 is above backoff_max 5");
	load_fails("[node]\nlisten = 127.0.0.1:5700\n[fleet]\ndevices = 3\n",
	    "cannot be used with a fleet");
	load_fails("[node]\ngateway = coaps://127.0.0.1\npsk_key = "
	    "00112233445566778899aabbccddeeff\n[fleet]\ndevices = 901\n",
	    "a DTLS fleet is at most 900 devices per process");
	load_fails("[node]\nlifetime\n", ":2: syntax error");
	load_fails("[software]\ndir = /var/lib/pkgs\n",
	    "[software] dir needs [firmware] trusted_keys");
	load_fails("[software]\ndir = /var/lib/pkgs\n[firmware]\n"
	    "trusted_keys = k.pub\n[fleet]\ndevices = 3\n",
	    "[software] dir is for a single agent");
}

static void
test_load_hostile_lines(void **state)
{
	char big[1200];
	struct node_config cfg;
	char err[512];

	(void)state;
	load_fails_len("[device]\nmodel = a\0b\n", 20, ":2: NUL byte");
	memset(big, 'x', sizeof(big));
	memcpy(big, "[device]\nmodel = ", 17);
	big[sizeof(big) - 1] = '\n';
	{
		const char *path = write_file("long.ini", big, sizeof(big));

		assert_int_equal(nconf_load(&cfg, path, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "long.ini:2: line longer"));
	}
	load_fails("[device]\nmodel = a\x01z\n", "control character");
	assert_int_equal(nconf_load(&cfg, "/nonexistent/node.ini", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

/* coaps and its PSK: the key's form, and the keys that go together. */
static void
test_psk(void **state)
{
	struct node_config cfg;
	uint8_t key[NCONF_PSK_KEY_MAX];
	char err[512];
	const char *path, *text;
	const char *k16 = "00112233445566778899aabbccddeeff";

	(void)state;
	/* The key: 16..64 bytes of hex, white space around it allowed. */
	assert_int_equal(nconf_psk_key(k16, strlen(k16), key), 16);
	assert_int_equal(key[0], 0x00);
	assert_int_equal(key[15], 0xff);
	assert_int_equal(nconf_psk_key(" \t00112233445566778899AABBCCDDEEFF\n",
	    35, key), 16);
	assert_int_equal(key[10], 0xaa);
	assert_int_equal(nconf_psk_key("00112233445566778899aabbccddee", 30,
	    key), -1);			/* 15 bytes */
	assert_int_equal(nconf_psk_key("00112233445566778899aabbccddeef", 31,
	    key), -1);			/* odd */
	assert_int_equal(nconf_psk_key("0011223344556677 8899aabbccddeeff",
	    33, key), -1);		/* a space inside */
	assert_int_equal(nconf_psk_key("g0112233445566778899aabbccddeeff", 32,
	    key), -1);
	assert_int_equal(nconf_psk_key("", 0, key), -1);
	{
		char big[2 * 65 + 1];

		memset(big, 'a', sizeof(big) - 1);
		big[2 * 64] = '\0';
		assert_int_equal(nconf_psk_key(big, 128, key), 64);
		big[2 * 64] = 'a';
		big[2 * 65] = '\0';
		assert_int_equal(nconf_psk_key(big, 130, key), -1);
	}
	/* In the file. */
	text = "[node]\ngateway = coaps://[::1]\npsk_identity = pump-17\n"
	    "psk_key = 00112233445566778899aabbccddeeff\n";
	path = write_file("psk.ini", text, strlen(text));
	assert_int_equal(nconf_load(&cfg, path, err, sizeof(err)), 0);
	assert_string_equal(cfg.psk_identity, "pump-17");
	text = "[node]\ngateway = coaps://h:7\n"
	    "psk_key_file = /etc/outpost/node.psk\n";
	path = write_file("pskf.ini", text, strlen(text));
	assert_int_equal(nconf_load(&cfg, path, err, sizeof(err)), 0);
	load_fails("[node]\npsk_key = 0011\n",
	    "bad.ini:2: [node] psk_key: must be 16..64 bytes in hex");
	load_fails("[node]\ngateway = coaps://h\n",
	    "coaps: it needs [node] psk_key or psk_key_file");
	load_fails("[node]\npsk_key = 00112233445566778899aabbccddeeff\n",
	    "not coaps: the key would not be used");
	load_fails("[node]\ngateway = coaps://h\npsk_key_file = /k\n"
	    "psk_key = 00112233445566778899aabbccddeeff\n",
	    "give one of them");
	/* The bootstrap server's factory key, checked the same way; with a
	 * bootstrap server, gateway and its key are not used. */
	text = "[node]\nbootstrap = coaps://[::1]:5694\n"
	    "bootstrap_psk_key = 00112233445566778899aabbccddeeff\n"
	    "gateway = coaps://h\n";
	path = write_file("bs.ini", text, strlen(text));
	assert_int_equal(nconf_load(&cfg, path, err, sizeof(err)), 0);
	assert_string_equal(cfg.bootstrap, "coaps://[::1]:5694");
	assert_string_equal(cfg.state_dir, "./state");
	load_fails("[node]\nbootstrap = coaps://h\n",
	    "coaps: it needs [node] bootstrap_psk_key or "
	    "bootstrap_psk_key_file");
	load_fails("[node]\nbootstrap = coap://h\n"
	    "bootstrap_psk_key_file = /k\n", "is not coaps");
	load_fails("[node]\nbootstrap_psk_identity = x\n",
	    "bootstrap is not: it would not be used");
	load_fails("[node]\nbootstrap = ftp://h\n", "bad.ini:2: [node] "
	    "bootstrap");
	load_fails("[node]\nbootstrap = coaps://h\nbootstrap_psk_key_file = "
	    "/k\nbootstrap_psk_key = 00112233445566778899aabbccddeeff\n",
	    "give one of them");
	assert_false(nconf_find("node", "bootstrap_psk_key")->flags &
	    NCONF_RUNTIME);
	/* Never part of /config: not to be read or written remotely. */
	assert_false(nconf_find("node", "psk_key")->flags & NCONF_RUNTIME);
	assert_false(nconf_find("node", "psk_key_file")->flags &
	    NCONF_RUNTIME);
	assert_false(nconf_find("node", "psk_identity")->flags &
	    NCONF_RUNTIME);
}

/* coaps with a certificate or a raw key: complete, of one kind, not with
 * a PSK, not for a fleet; never writable remotely. */
static void
test_pki(void **state)
{
	static const char *const keys[] = {
		"cert_file", "key_file", "ca_file", "server_cn", "rpk",
		"server_public_key"
	};
	struct node_config cfg;
	char err[512];
	const char *path, *text;
	size_t i;

	(void)state;
	text = "[node]\ngateway = coaps://h\ncert_file = /c.pem\n"
	    "key_file = /k.pem\nca_file = /ca.pem\nserver_cn = gw\n";
	path = write_file("x509.ini", text, strlen(text));
	assert_int_equal(nconf_load(&cfg, path, err, sizeof(err)), 0);
	assert_true(nconf_pki(&cfg));
	assert_string_equal(cfg.server_cn, "gw");
	text = "[node]\ngateway = coaps://h\nrpk = 1\nkey_file = /k.pem\n"
	    "server_public_key = 3059301306\n";
	path = write_file("rpk.ini", text, strlen(text));
	assert_int_equal(nconf_load(&cfg, path, err, sizeof(err)), 0);
	assert_int_equal(cfg.rpk, 1);
	text = "[node]\ngateway = coaps://h\nrpk = 1\nkey_file = /k.pem\n"
	    "server_public_key = /etc/outpost/gateway.der\n";
	path = write_file("rpkf.ini", text, strlen(text));
	assert_int_equal(nconf_load(&cfg, path, err, sizeof(err)), 0);
	nconf_defaults(&cfg);
	assert_false(nconf_pki(&cfg));
	load_fails("[node]\ngateway = coaps://h\ncert_file = /c\n"
	    "key_file = /k\n", "X.509 needs cert_file, key_file and ca_file");
	load_fails("[node]\ngateway = coaps://h\nkey_file = /k\n",
	    "X.509 needs cert_file, key_file and ca_file");
	load_fails("[node]\ngateway = coaps://h\nrpk = 1\nkey_file = /k\n",
	    "rpk = 1 needs key_file and server_public_key");
	load_fails("[node]\ngateway = coaps://h\nrpk = 1\nkey_file = /k\n"
	    "server_public_key = 30\nca_file = /ca\n",
	    "rpk = 1 takes no cert_file, ca_file or server_cn");
	load_fails("[node]\ngateway = coaps://h\ncert_file = /c\n"
	    "key_file = /k\nca_file = /ca\nserver_public_key = 30\n",
	    "server_public_key is for rpk = 1");
	load_fails("[node]\ngateway = coaps://h\ncert_file = /c\n"
	    "key_file = /k\nca_file = /ca\n"
	    "psk_key = 00112233445566778899aabbccddeeff\n",
	    "give one kind of credential");
	load_fails("[node]\nrpk = 1\nkey_file = /k\nserver_public_key = 30\n",
	    "not coaps: it would not be used");
	load_fails("[node]\ngateway = coaps://h\ncert_file = /c\n"
	    "key_file = /k\nca_file = /ca\n[fleet]\ndevices = 2\n",
	    "for a single agent");
	load_fails("[node]\nserver_public_key = 3g\n",
	    "bad.ini:2: [node] server_public_key: must be bytes in hex");
	load_fails("[node]\nserver_public_key = 305\n", "must be bytes");
	load_fails("[node]\nrpk = 2\n", "above the maximum 1");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_false(nconf_find("node", keys[i])->flags &
		    NCONF_RUNTIME);
	/* The Error Code thresholds are runtime keys; the bearer is not. */
	assert_true(nconf_find("errors", "mem_free_kb")->flags & NCONF_RUNTIME);
	assert_false(nconf_find("connectivity", "cellular_bearer")->flags &
	    NCONF_RUNTIME);
	load_fails("[connectivity]\ncellular_bearer = 21\n",
	    "above the maximum 20");
}

static void
test_set_and_get(void **state)
{
	struct node_config cfg;
	const struct nconf_key *k;
	char err[256], buf[64];

	(void)state;
	nconf_defaults(&cfg);
	k = nconf_find("node", "binding");
	assert_non_null(k);
	assert_int_equal(nconf_set(&cfg, k, "UQ", err, sizeof(err)), 0);
	assert_string_equal(nconf_get(&cfg, k, buf, sizeof(buf)), "UQ");
	k = nconf_find("fleet", "drop");
	assert_int_equal(nconf_set(&cfg, k, "0.1", err, sizeof(err)), 0);
	assert_string_equal(nconf_get(&cfg, k, buf, sizeof(buf)), "0.1");
	assert_int_equal(nconf_set(&cfg, k, "-0.1", err, sizeof(err)), -1);
	assert_null(nconf_find("node", "nope"));
	assert_null(nconf_find("nope", "lifetime"));
}

/* Applies a /config document that must fail with want, changing nothing. */
static void
apply_fails(const char *doc, size_t len, const char *want)
{
	struct node_config cfg, before;
	char err[512];
	cJSON *out = (cJSON *)0x1;

	nconf_defaults(&cfg);
	before = cfg;
	assert_int_equal(rconf_apply(&cfg, doc, len, &out, err, sizeof(err)),
	    -1);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	assert_ptr_equal(out, (cJSON *)0x1);
}

#define APPLY_FAILS(doc, want)	apply_fails(doc, sizeof(doc) - 1, want)

static void
test_rconf_good(void **state)
{
	static const char doc[] =
	    " {\"node\": {\"lifetime\": 120, \"binding\": \"UQ\", "
	    "\"log_level\": \"debug\"},\n"
	    "  \"health\": {\"load1_delta\": 1.5, \"pmax\": 30.0}} \r\n";
	struct node_config cfg, before;
	char err[256];
	cJSON *out = NULL;

	(void)state;
	nconf_defaults(&cfg);
	before = cfg;
	assert_int_equal(rconf_apply(&cfg, doc, sizeof(doc) - 1, &out, err,
	    sizeof(err)), 0);
	assert_int_equal(cfg.lifetime, 120);
	assert_int_equal(cfg.queue_mode, 1);
	assert_int_equal(cfg.log_level, 3);
	assert_true(cfg.load1_delta == 1.5);
	assert_int_equal(cfg.pmax, 30);
	/* Keys not named keep their values. */
	assert_int_equal(cfg.sleep, before.sleep);
	assert_string_equal(cfg.gateway, before.gateway);
	assert_non_null(out);
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(out, "node")));
	cJSON_Delete(out);
	/* An empty object is a valid write that changes nothing. */
	assert_int_equal(rconf_apply(&cfg, "{}", 2, NULL, err, sizeof(err)),
	    0);
}

static void
test_rconf_each_kind_of_bad(void **state)
{
	char big[RCONF_DOC_MAX + 2];

	(void)state;
	APPLY_FAILS("", "empty document");
	APPLY_FAILS("{\"node\":", "not JSON");
	APPLY_FAILS("{} {}", "text after the JSON document (at byte 3)");
	APPLY_FAILS("[1,2]", "expected a JSON object");
	APPLY_FAILS("\"node\"", "expected a JSON object");
	APPLY_FAILS("{\"nodes\":{}}", "unknown section 'nodes'");
	APPLY_FAILS("{\"fleet\":{\"devices\":3}}", "unknown section 'fleet'");
	APPLY_FAILS("{\"node\":5}", "node: expected an object");
	APPLY_FAILS("{\"node\":{\"lifetme\":5}}", "node.lifetme: unknown key");
	APPLY_FAILS("{\"node\":{\"gateway\":\"coap://1.2.3.4\"}}",
	    "node.gateway: cannot be changed at run time");
	/* A server can neither set nor learn the PSK. */
	APPLY_FAILS("{\"node\":{\"psk_key\":"
	    "\"00112233445566778899aabbccddeeff\"}}",
	    "node.psk_key: cannot be changed at run time");
	APPLY_FAILS("{\"device\":{\"reboot_command\":\"rm -rf /\"}}",
	    "cannot be changed at run time");
	APPLY_FAILS("{\"node\":{\"lifetime\":\"60\"}}",
	    "node.lifetime: expected a number");
	APPLY_FAILS("{\"node\":{\"lifetime\":true}}", "expected a number");
	APPLY_FAILS("{\"node\":{\"lifetime\":null}}", "expected a number");
	APPLY_FAILS("{\"node\":{\"lifetime\":1.5}}",
	    "node.lifetime: expected a whole number");
	APPLY_FAILS("{\"node\":{\"lifetime\":1e300}}", "whole number");
	APPLY_FAILS("{\"node\":{\"lifetime\":0}}",
	    "node.lifetime: 0 is below the minimum 1");
	APPLY_FAILS("{\"node\":{\"lifetime\":-5}}", "below the minimum");
	APPLY_FAILS("{\"node\":{\"lifetime\":3000000000}}",
	    "above the maximum");
	APPLY_FAILS("{\"health\":{\"cpu_pct_delta\":0}}",
	    "health.cpu_pct_delta: 0 is below the minimum");
	APPLY_FAILS("{\"node\":{\"binding\":5}}",
	    "node.binding: expected a string");
	APPLY_FAILS("{\"node\":{\"binding\":\"T\"}}", "'T' is not U or UQ");
	APPLY_FAILS("{\"node\":{\"binding\":\"U\\u0000Q\"}}", "\\u0000");
	APPLY_FAILS("{\"node\":{\"lifetime\":5,\"lifetime\":6}}",
	    "node.lifetime: given more than once");
	APPLY_FAILS("{\"node\":{},\"node\":{}}",
	    "section 'node' given more than once");
	APPLY_FAILS("{\"register\":{\"backoff_min\":500}}",
	    "backoff_min 500 is above backoff_max 300");
	APPLY_FAILS("{\"node\":{\"\\u0001\\u00e9x\":1}}", "node.???x: unknown");
	apply_fails("{\"node\":{}}\0", 12, "NUL byte");
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	apply_fails(big, sizeof(big) - 1, "over the limit of 4096");
	/* A later bad key undoes the earlier good ones. */
	APPLY_FAILS("{\"node\":{\"lifetime\":77,\"sleep\":0}}",
	    "node.sleep: 0 is below");
}

static void
test_rconf_render_round_trip(void **state)
{
	struct node_config cfg, back;
	char err[256], *text;
	cJSON *doc;

	(void)state;
	nconf_defaults(&cfg);
	cfg.lifetime = 99;
	cfg.queue_mode = 1;
	cfg.temp_c_delta = 0.5;
	doc = rconf_render(&cfg);
	assert_non_null(doc);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "node"),
	    "gateway"));
	assert_null(cJSON_GetObjectItem(doc, "fleet"));
	text = cJSON_PrintUnformatted(doc);
	nconf_defaults(&back);
	assert_int_equal(rconf_apply(&back, text, strlen(text), NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(back.lifetime, 99);
	assert_int_equal(back.queue_mode, 1);
	assert_true(back.temp_c_delta == 0.5);
	assert_memory_equal(&back, &cfg, sizeof(cfg));
	free(text);
	cJSON_Delete(doc);
}

static void
test_rconf_store_and_load(void **state)
{
	struct node_config cfg;
	char path[128], err[512], buf[256];
	cJSON *over, *doc, *loaded = NULL;
	FILE *fp;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/config.json", tmpdir);
	unlink(path);
	/* Missing file: no overrides, no error. */
	nconf_defaults(&cfg);
	assert_int_equal(rconf_load(&cfg, path, &loaded, err, sizeof(err)),
	    0);
	assert_non_null(loaded);
	assert_null(loaded->child);
	/* Two writes merge; the file holds both keys, the latest value. */
	over = loaded;
	assert_int_equal(rconf_apply(&cfg, "{\"node\":{\"lifetime\":50}}", 24,
	    &doc, err, sizeof(err)), 0);
	assert_int_equal(rconf_merge(over, doc), 0);
	cJSON_Delete(doc);
	assert_int_equal(rconf_apply(&cfg,
	    "{\"node\":{\"sleep\":7,\"lifetime\":51}}", 34, &doc, err,
	    sizeof(err)), 0);
	assert_int_equal(rconf_merge(over, doc), 0);
	cJSON_Delete(doc);
	assert_int_equal(rconf_store(path, over, err, sizeof(err)), 0);
	fp = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	assert_string_equal(buf, "{\"node\":{\"lifetime\":51,\"sleep\":7}}\n");
	cJSON_Delete(over);
	/* At start the file is applied over the defaults. */
	nconf_defaults(&cfg);
	assert_int_equal(rconf_load(&cfg, path, &loaded, err, sizeof(err)),
	    0);
	assert_int_equal(cfg.lifetime, 51);
	assert_int_equal(cfg.sleep, 7);
	cJSON_Delete(loaded);
	/* A corrupt file is an error that names it; cfg stays. */
	write_file("config.json", "{\"node\":{\"sleep\":0}}", 20);
	nconf_defaults(&cfg);
	assert_int_equal(rconf_load(&cfg, path, &loaded, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "config.json: node.sleep"));
	assert_int_equal(cfg.sleep, 60);
}

static void
test_rconf_store_failure_keeps_old(void **state)
{
	char path[128], err[512], buf[128];
	cJSON *doc = cJSON_Parse("{\"node\":{\"sleep\":9}}");
	FILE *fp;
	size_t n;

	(void)state;
	/* A directory that cannot be written: the old file stays. */
	snprintf(path, sizeof(path), "%s/ro", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/ro/config.json", tmpdir);
	fp = fopen(path, "w");
	fputs("old\n", fp);
	fclose(fp);
	snprintf(buf, sizeof(buf), "%s/ro", tmpdir);
	chmod(buf, 0500);
	if (geteuid() == 0) {
		/* root writes anyway: use a path whose directory is a file */
		snprintf(path, sizeof(path), "%s/ro/config.json/x", tmpdir);
	}
	assert_int_equal(rconf_store(path, doc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "config.json"));
	chmod(buf, 0700);
	snprintf(path, sizeof(path), "%s/ro/config.json", tmpdir);
	fp = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	assert_string_equal(buf, "old\n");
	cJSON_Delete(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_example),
		cmocka_unit_test(test_load_good),
		cmocka_unit_test(test_load_errors_name_the_line),
		cmocka_unit_test(test_load_hostile_lines),
		cmocka_unit_test(test_psk),
		cmocka_unit_test(test_pki),
		cmocka_unit_test(test_set_and_get),
		cmocka_unit_test(test_rconf_good),
		cmocka_unit_test(test_rconf_each_kind_of_bad),
		cmocka_unit_test(test_rconf_render_round_trip),
		cmocka_unit_test(test_rconf_store_and_load),
		cmocka_unit_test(test_rconf_store_failure_keeps_old),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
