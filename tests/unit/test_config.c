/*
 * test_config.c: unit tests for config/config.c: the key table and its
 * defaults, config_load on files written to a temporary directory (a good
 * file, every kind of error with its exact FILE:LINE, hostile input), the
 * reload helper config_keep_restart_keys, and gateway.ini.example checked
 * against the table so that the two cannot drift apart.
 *
 * Run from the repository root (make unit does): the example is read as
 * "gateway.ini.example" relative to the working directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "log.h"
#include "tests/unit/testutil.h"

#define EXAMPLE		"gateway.ini.example"
#define MAX_ENTRIES	160

#define SHOW(len)	((int)((len) < 120 ? (len) : 120))	/* in messages */

static char	tmpdir[64];		/* made by group_setup */
static char	ini[96];		/* tmpdir/t.ini: the file under test */

static const char *const level_names[] = {
	"error", "warning", "info", "debug"
};

static int
group_setup(void **state)
{
	(void)state;
	return tmp_ini_dir("config", tmpdir, ini);
}

static int
group_teardown(void **state)
{
	(void)state;
	return rm_tree(tmpdir);
}

/* Writes len bytes of data to path, replacing it. */
static void
write_bytes(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Fills cfg with a pattern no load would write, to see it untouched. */
static void
poison(struct gw_config *cfg)
{
	memset(cfg, 0xa5, sizeof(*cfg));
}

static const struct config_key *
find_key(const char *section, const char *key)
{
	const struct config_key *keys;
	size_t i, n;

	keys = config_keys(&n);
	for (i = 0; i < n; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].key, key) == 0)
			return &keys[i];
	fail_msg("no key [%s] %s in the table", section, key);
	return NULL;
}

/* Formats the field of key k in cfg the way the file writes it. */
static void
format_field(const struct gw_config *cfg, const struct config_key *k,
    char *buf, size_t len)
{
	const char *field = (const char *)cfg + k->offset;
	struct gw_hostport hp;
	int n;

	switch (k->type) {
	case CONFIG_INT:
		memcpy(&n, field, sizeof(n));
		snprintf(buf, len, "%d", n);
		return;
	case CONFIG_STRING:
		snprintf(buf, len, "%.*s", (int)k->size, field);
		return;
	case CONFIG_HOSTPORT:
		memcpy(&hp, field, sizeof(hp));
		config_hostport_str(&hp, buf, len);
		return;
	case CONFIG_LOGLEVEL:
		memcpy(&n, field, sizeof(n));
		assert_in_range(n, 0, 3);
		snprintf(buf, len, "%s", level_names[n]);
		return;
	}
	fail_msg("[%s] %s: unknown type %d", k->section, k->key, k->type);
}

/* Checks what every loaded config promises: each value within its range. */
static void
assert_config_sane(const struct gw_config *cfg)
{
	const struct config_key *keys;
	size_t i, n;
	int v;

	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		const char *field = (const char *)cfg + keys[i].offset;

		if (keys[i].type == CONFIG_INT) {
			memcpy(&v, field, sizeof(v));
			assert_true(v >= keys[i].min && v <= keys[i].max);
		} else if (keys[i].type == CONFIG_HOSTPORT) {
			struct gw_hostport hp;

			memcpy(&hp, field, sizeof(hp));
			assert_true(hp.port >= 1);
			assert_non_null(memchr(hp.host, '\0',
			    sizeof(hp.host)));
			assert_true(hp.host[0] != '\0');
		} else if (keys[i].type == CONFIG_STRING) {
			assert_non_null(memchr(field, '\0', keys[i].size));
			/* Empty only where empty is the default ("off"). */
			assert_true(field[0] != '\0' || keys[i].def[0] == '\0');
		}
	}
	assert_in_range(cfg->log_level, LOG_LEVEL_ERROR, LOG_LEVEL_DEBUG);
	assert_true(cfg->reg_min_lifetime <= cfg->reg_default_lifetime);
	assert_true(cfg->reg_default_lifetime <= cfg->reg_max_lifetime);
}

/* Loads data (len bytes) from ini; it must succeed. */
static void
load_ok_n(struct gw_config *cfg, const char *data, size_t len)
{
	char err[512] = "";

	write_bytes(ini, data, len);
	poison(cfg);
	if (config_load(cfg, ini, err, sizeof(err)) != 0)
		fail_msg("load of \"%.*s\" failed: %s", SHOW(len), data, err);
	assert_string_equal(cfg->source, ini);
	assert_config_sane(cfg);
}

static void
load_ok(struct gw_config *cfg, const char *data)
{
	load_ok_n(cfg, data, strlen(data));
}

/*
 * Loads data (len bytes), which must fail without touching cfg; returns the
 * message in err.
 */
static void
load_err_n(const char *data, size_t len, char *err, size_t errlen)
{
	struct gw_config cfg, before;

	write_bytes(ini, data, len);
	poison(&cfg);
	before = cfg;
	err[0] = '\0';
	if (config_load(&cfg, ini, err, errlen) != -1)
		fail_msg("load of \"%.*s\" succeeded", SHOW(len), data);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

/*
 * Loads data, which must fail with a message that starts with exactly
 * "FILE:LINE: " and whose rest contains want.
 */
static void
load_fail_n(const char *data, size_t len, int line, const char *want)
{
	char err[512], prefix[128];
	size_t pl;

	load_err_n(data, len, err, sizeof(err));
	pl = (size_t)snprintf(prefix, sizeof(prefix), "%s:%d: ", ini, line);
	if (strncmp(err, prefix, pl) != 0)
		fail_msg("\"%.*s\": error \"%s\" does not start with \"%s\"",
		    SHOW(len), data, err, prefix);
	if (strstr(err + pl, want) == NULL)
		fail_msg("\"%.*s\": error \"%s\" does not say \"%s\"",
		    SHOW(len), data, err, want);
}

static void
load_fail(const char *data, int line, const char *want)
{
	load_fail_n(data, strlen(data), line, want);
}

/* As load_fail, but the text after "FILE:LINE: " must equal want. */
static void
load_fail_exact(const char *data, int line, const char *want)
{
	char err[512], full[1024];

	load_err_n(data, strlen(data), err, sizeof(err));
	snprintf(full, sizeof(full), "%s:%d: %s", ini, line, want);
	assert_string_equal(err, full);
}

/*
 * As load_fail, for an error that may fairly be put on either of two lines
 * (an unknown section: its own line, or the first key under it).
 */
static void
load_fail_either(const char *data, int line1, int line2, const char *want)
{
	char err[512], p1[128], p2[128];
	size_t l1, l2;

	load_err_n(data, strlen(data), err, sizeof(err));
	l1 = (size_t)snprintf(p1, sizeof(p1), "%s:%d: ", ini, line1);
	l2 = (size_t)snprintf(p2, sizeof(p2), "%s:%d: ", ini, line2);
	if (strncmp(err, p1, l1) == 0) {
		assert_string_equal(err + l1, want);
		return;
	}
	if (strncmp(err, p2, l2) == 0) {
		assert_string_equal(err + l2, want);
		return;
	}
	fail_msg("\"%.*s\": error \"%s\" names neither line %d nor %d",
	    SHOW(strlen(data)), data, err, line1, line2);
}

/* Sets one value of one key in an otherwise empty file; must fail. */
static void
value_fail(const char *section, const char *key, const char *value,
    const char *want)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "; one key\n[%s]\n%s = %s\n", section, key,
	    value);
	load_fail(buf, 3, want);
}

/* Sets one value of one key; must load, and the field must read back. */
static void
value_ok(struct gw_config *cfg, const char *section, const char *key,
    const char *value)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "[%s]\n%s = %s\n", section, key, value);
	load_ok(cfg, buf);
}

/* ---- the table and its defaults ---- */

static void
test_table_well_formed(void **state)
{
	const struct config_key *keys;
	size_t i, j, n, size;

	(void)state;
	keys = config_keys(&n);
	assert_non_null(keys);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];

		assert_non_null(k->section);
		assert_non_null(k->key);
		assert_non_null(k->def);
		assert_non_null(k->help);
		assert_true(k->help[0] != '\0');
		switch (k->type) {
		case CONFIG_INT:
			assert_true(k->min <= k->max);
			assert_true(k->min >= INT_MIN && k->max <= INT_MAX);
			size = sizeof(int);
			break;
		case CONFIG_LOGLEVEL:
			size = sizeof(int);
			break;
		case CONFIG_STRING:
			assert_true(k->size > 1);
			size = k->size;
			break;
		case CONFIG_HOSTPORT:
			size = sizeof(struct gw_hostport);
			break;
		default:
			fail_msg("[%s] %s: bad type", k->section, k->key);
			return;
		}
		assert_true(k->offset + size <= sizeof(struct gw_config));
		for (j = 0; j < i; j++) {
			if (strcmp(keys[j].section, k->section) == 0 &&
			    strcmp(keys[j].key, k->key) == 0)
				fail_msg("[%s] %s listed twice", k->section,
				    k->key);
			if (keys[j].offset == k->offset)
				fail_msg("[%s] %s shares its field with [%s] %s",
				    k->section, k->key, keys[j].section,
				    keys[j].key);
		}
	}
}

/* Every key named in config.h's struct maps to its own field. */
static void
test_table_fields(void **state)
{
	static const struct {
		const char	*section, *key;
		size_t		 offset;
	} want[] = {
		{ "gateway", "log_level", offsetof(struct gw_config,
		    log_level) },
		{ "http", "listen", offsetof(struct gw_config, http_listen) },
		{ "http", "max_body", offsetof(struct gw_config,
		    http_max_body) },
		{ "http", "timeout", offsetof(struct gw_config,
		    http_timeout) },
		{ "coap", "listen", offsetof(struct gw_config, coap_listen) },
		{ "coap", "max_idle_sessions", offsetof(struct gw_config,
		    coap_max_idle_sessions) },
		{ "coap", "max_links", offsetof(struct gw_config,
		    coap_max_links) },
		{ "registry", "awake_window", offsetof(struct gw_config,
		    reg_awake_window) },
		{ "registry", "default_lifetime", offsetof(struct gw_config,
		    reg_default_lifetime) },
		{ "registry", "min_lifetime", offsetof(struct gw_config,
		    reg_min_lifetime) },
		{ "registry", "max_lifetime", offsetof(struct gw_config,
		    reg_max_lifetime) },
		{ "registry", "max_devices", offsetof(struct gw_config,
		    reg_max_devices) },
		{ "registry", "sweep_slice", offsetof(struct gw_config,
		    reg_sweep_slice) },
		{ "store", "path", offsetof(struct gw_config, store_path) },
		{ "store", "map_size_mb", offsetof(struct gw_config,
		    store_map_size_mb) },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(find_key(want[i].section, want[i].key)->offset,
		    want[i].offset);
}

static void
test_defaults_match_table(void **state)
{
	const struct config_key *keys;
	struct gw_config cfg, again;
	char buf[PATH_MAX + 16];
	size_t i, n;

	(void)state;
	poison(&cfg);
	config_defaults(&cfg);
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		format_field(&cfg, &keys[i], buf, sizeof(buf));
		if (strcmp(buf, keys[i].def) != 0)
			fail_msg("[%s] %s: default reads \"%s\", table says "
			    "\"%s\"", keys[i].section, keys[i].key, buf,
			    keys[i].def);
	}
	assert_config_sane(&cfg);
	assert_string_equal(cfg.source, "");
	/* Whole-struct equality: keep_restart_keys compares with memcmp. */
	poison(&again);
	config_defaults(&again);
	assert_memory_equal(&cfg, &again, sizeof(cfg));
}

/* An empty file, or one with only comments, gives exactly the defaults. */
static void
test_empty_file_is_defaults(void **state)
{
	struct gw_config cfg, def;

	(void)state;
	config_defaults(&def);
	load_ok(&cfg, "");
	snprintf(def.source, sizeof(def.source), "%s", ini);
	assert_memory_equal(&cfg, &def, sizeof(cfg));
	load_ok(&cfg, "; comment\n# comment\n\n   \n[http]\n[coap]\n");
	assert_memory_equal(&cfg, &def, sizeof(cfg));
}

/* ---- good files ---- */

static void
test_load_good_file(void **state)
{
	static const char text[] =
	    "; a good file\n"
	    "[gateway]\n"
	    "log_level = debug\n"
	    "\n"
	    "[http]\n"
	    "listen = 0.0.0.0:18080\n"
	    "max_body = 1024 ; the minimum\n"
	    "timeout=3600\n"
	    "[coap]\n"
	    "listen = [::1]:5683\n"
	    "max_idle_sessions = 0\n"
	    "max_links = 65536\n"
	    "[registry]\n"
	    "awake_window = 30\n"
	    "default_lifetime = 300\n"
	    "min_lifetime = 60\n"
	    "max_lifetime = 600\n"
	    "max_devices = 10\n"
	    "sweep_slice = 16\n"
	    "[store]\n"
	    "path = /var/lib/outpost data\n"
	    "map_size_mb = 1\n";
	struct gw_config cfg;

	(void)state;
	load_ok(&cfg, text);
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(cfg.http_listen.host, "0.0.0.0");
	assert_int_equal(cfg.http_listen.port, 18080);
	assert_int_equal(cfg.http_max_body, 1024);
	assert_int_equal(cfg.http_timeout, 3600);
	assert_string_equal(cfg.coap_listen.host, "::1");
	assert_int_equal(cfg.coap_listen.port, 5683);
	assert_int_equal(cfg.coap_max_idle_sessions, 0);
	assert_int_equal(cfg.coap_max_links, 65536);
	assert_int_equal(cfg.reg_awake_window, 30);
	assert_int_equal(cfg.reg_default_lifetime, 300);
	assert_int_equal(cfg.reg_min_lifetime, 60);
	assert_int_equal(cfg.reg_max_lifetime, 600);
	assert_int_equal(cfg.reg_max_devices, 10);
	assert_int_equal(cfg.reg_sweep_slice, 16);
	assert_string_equal(cfg.store_path, "/var/lib/outpost data");
	assert_int_equal(cfg.store_map_size_mb, 1);
}

/* CRLF line ends, a UTF-8 BOM, no newline at the end. */
static void
test_load_line_forms(void **state)
{
	struct gw_config cfg;

	(void)state;
	load_ok(&cfg, "[http]\r\ntimeout = 30\r\n\r\nmax_body = 2048\r\n");
	assert_int_equal(cfg.http_timeout, 30);
	assert_int_equal(cfg.http_max_body, 2048);
	load_ok(&cfg, "\xef\xbb\xbf[http]\ntimeout = 31\n");
	assert_int_equal(cfg.http_timeout, 31);
	load_ok(&cfg, "[http]\ntimeout = 32");
	assert_int_equal(cfg.http_timeout, 32);
	/* A section may come back; its keys still count once each. */
	load_ok(&cfg, "[http]\ntimeout = 33\n[coap]\nmax_links = 64\n"
	    "[http]\nmax_body = 4096\n");
	assert_int_equal(cfg.http_timeout, 33);
	assert_int_equal(cfg.coap_max_links, 64);
	assert_int_equal(cfg.http_max_body, 4096);
}

/* A value of string key k (row i) that its checks take: the [cloud]
 * keys and [gateway] id have a syntax of their own. 0 when k has none. */
static int
cloud_sample(const struct config_key *k, size_t i, char *value, size_t len)
{
	static const struct {
		const char	*sec, *key, *fmt;
	} samples[] = {
		{ "gateway", "id", "gw-%zu" },
		{ "cloud", "broker", "mqtts://h-%zu:8883" },
		{ "cloud", "client_id", "c-%zu" },
		{ "cloud", "prefix", "p/%zu" },
		{ "cloud", "protocol", "3.1.1" },
		{ "cloud", "requests", "q%zu:read" },
		{ "cloud", "events", "alarm" },
	};
	size_t j;

	for (j = 0; j < sizeof(samples) / sizeof(samples[0]); j++)
		if (strcmp(k->section, samples[j].sec) == 0 &&
		    strcmp(k->key, samples[j].key) == 0) {
			snprintf(value, len, samples[j].fmt, i);
			return 1;
		}
	return 0;
}

/*
 * Every key can be set from a file, and setting it changes its own field
 * and nothing else.
 */
static void
test_each_key_settable(void **state)
{
	const struct config_key *keys;
	struct gw_config cfg, def;
	char value[64], got[PATH_MAX + 16];
	size_t i, n, b;

	(void)state;
	config_defaults(&def);
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];
		size_t size = sizeof(int);
		long d;

		switch (k->type) {
		case CONFIG_INT:
			d = strtol(k->def, NULL, 10);
			snprintf(value, sizeof(value), "%ld",
			    d < k->max ? d + 1 : d - 1);
			break;
		case CONFIG_STRING:
			snprintf(value, sizeof(value), "/srv/outpost-%zu", i);
			if (strcmp(k->key, "plain") == 0)	/* a word */
				snprintf(value, sizeof(value), "any");
			if (strcmp(k->section, "alarms") == 0 &&
			    strcmp(k->key, "severity") == 0)	/* a word */
				snprintf(value, sizeof(value), "critical");
			/* [bootstrap]'s are checked at load: an address,
			 * a URI. */
			if (strcmp(k->section, "bootstrap") == 0 &&
			    strstr(k->key, "listen") != NULL)
				snprintf(value, sizeof(value), "127.0.0.1:%zu",
				    4000 + i);
			if (strcmp(k->key, "server_uri") == 0)
				snprintf(value, sizeof(value),
				    "coaps://h-%zu:5684", i);
			cloud_sample(k, i, value, sizeof(value));
			size = k->size;
			break;
		case CONFIG_HOSTPORT:
			snprintf(value, sizeof(value), "[::1]:%zu", 4000 + i);
			size = sizeof(struct gw_hostport);
			break;
		case CONFIG_LOGLEVEL:
			snprintf(value, sizeof(value), "%s",
			    strcmp(k->def, "debug") == 0 ? "error" : "debug");
			break;
		}
		value_ok(&cfg, k->section, k->key, value);
		format_field(&cfg, k, got, sizeof(got));
		if (strcmp(got, value) != 0)
			fail_msg("[%s] %s = %s reads back as %s", k->section,
			    k->key, value, got);
		snprintf(def.source, sizeof(def.source), "%s", ini);
		for (b = 0; b < sizeof(cfg); b++) {
			if (((unsigned char *)&cfg)[b] ==
			    ((unsigned char *)&def)[b])
				continue;
			if (b < k->offset || b >= k->offset + size)
				fail_msg("[%s] %s changed byte %zu outside its "
				    "field", k->section, k->key, b);
		}
	}
}

/*
 * Sets the key under test to v; for the three lifetime keys, the other two
 * are set so that min <= default <= max holds.
 */
static void
boundary_text(const struct config_key *k, long v, char *buf, size_t len)
{
	if (strcmp(k->key, "min_lifetime") == 0)
		snprintf(buf, len, "[%s]\n%s = %ld\ndefault_lifetime = %d\n"
		    "max_lifetime = %d\n", k->section, k->key, v, INT_MAX,
		    INT_MAX);
	else if (strcmp(k->key, "max_lifetime") == 0)
		snprintf(buf, len, "[%s]\n%s = %ld\ndefault_lifetime = 1\n"
		    "min_lifetime = 1\n", k->section, k->key, v);
	else if (strcmp(k->key, "default_lifetime") == 0)
		snprintf(buf, len, "[%s]\n%s = %ld\nmin_lifetime = 1\n"
		    "max_lifetime = %d\n", k->section, k->key, v, INT_MAX);
	else
		snprintf(buf, len, "[%s]\n%s = %ld\n", k->section, k->key, v);
}

/* min and max are accepted, min - 1 and max + 1 rejected at their line. */
static void
test_int_boundaries(void **state)
{
	const struct config_key *keys;
	struct gw_config cfg;
	char buf[512], want[256];
	size_t i, n;
	int v;

	(void)state;
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];

		if (k->type != CONFIG_INT)
			continue;
		boundary_text(k, k->min, buf, sizeof(buf));
		load_ok(&cfg, buf);
		memcpy(&v, (char *)&cfg + k->offset, sizeof(v));
		assert_int_equal(v, k->min);
		boundary_text(k, k->max, buf, sizeof(buf));
		load_ok(&cfg, buf);
		memcpy(&v, (char *)&cfg + k->offset, sizeof(v));
		assert_int_equal(v, k->max);

		boundary_text(k, k->min - 1, buf, sizeof(buf));
		snprintf(want, sizeof(want), "[%s] %s: %ld is below the "
		    "minimum %ld", k->section, k->key, k->min - 1, k->min);
		load_fail_exact(buf, 2, want);
		boundary_text(k, k->max + 1, buf, sizeof(buf));
		snprintf(want, sizeof(want), "[%s] %s: %ld is above the "
		    "maximum %ld", k->section, k->key, k->max + 1, k->max);
		load_fail_exact(buf, 2, want);
	}
}

static void
test_hostport_accepted(void **state)
{
	static const struct {
		const char	*text, *host;
		unsigned	 port;
		const char	*back;
	} t[] = {
		{ "[::1]:5683", "::1", 5683, "[::1]:5683" },
		{ "127.0.0.1:1", "127.0.0.1", 1, "127.0.0.1:1" },
		{ "0.0.0.0:65535", "0.0.0.0", 65535, "0.0.0.0:65535" },
		{ "[::]:80", "::", 80, "[::]:80" },
		{ "[fe80::1:2]:8080", "fe80::1:2", 8080, "[fe80::1:2]:8080" },
		{ "[::ffff:10.0.0.1]:9", "::ffff:10.0.0.1", 9,
		    "[::ffff:10.0.0.1]:9" },
	};
	struct gw_hostport hp;
	struct gw_config cfg;
	char err[256], buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&hp, 0x5a, sizeof(hp));
		if (config_parse_hostport(t[i].text, &hp, err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", t[i].text, err);
		assert_string_equal(hp.host, t[i].host);
		assert_int_equal(hp.port, t[i].port);
		assert_string_equal(config_hostport_str(&hp, buf, sizeof(buf)),
		    t[i].back);
		value_ok(&cfg, "coap", "listen", t[i].text);
		assert_string_equal(cfg.coap_listen.host, t[i].host);
		assert_int_equal(cfg.coap_listen.port, t[i].port);
	}
}

static void
test_hostport_rejected(void **state)
{
	static const char *const bad[] = {
		"1.2.3.4", ":80", "1.2.3.4:0", "1.2.3.4:65536", "[::1]80",
		"host.example:80", "localhost:80", "1.2.3.4:", "1.2.3.4:80x",
		"1.2.3.4:-1", "1.2.3.4:99999999999999999999", "[::1]", "[::1",
		"[]:80", "::1]:80", "1.2.3.256:80", "[1.2.3]:80", "", ":",
		"[::1]:80:80", "1.2.3.4:80 80",
		"[1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:"
		    "dddd:eeee:ffff]:80",
	};
	struct gw_hostport hp;
	char err[256], want[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (config_parse_hostport(bad[i], &hp, err, sizeof(err)) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		snprintf(want, sizeof(want), "'%s'", bad[i]);
		if (strstr(err, want) == NULL)
			fail_msg("\"%s\": error \"%s\" does not quote it",
			    bad[i], err);
		/* inih trims the value, so "" is the only one that differs */
		if (bad[i][0] == '\0')
			continue;
		snprintf(want, sizeof(want), "[http] listen: '%s'", bad[i]);
		value_fail("http", "listen", bad[i], want);
	}
	value_fail("http", "listen", "", "[http] listen: ''");
}

/*
 * An IPv6 literal without brackets is ambiguous: "fe80::1:8080" is a whole
 * address, or fe80::1 port 8080. config.h documents "[::1]:8080" and the
 * error says "[IPv6]"; the bare form must be refused, not guessed.
 */
static void
test_hostport_bare_ipv6_rejected(void **state)
{
	static const char *const bad[] = { "::1:80", "fe80::1:8080", "::" };
	struct gw_hostport hp;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_parse_hostport(bad[i], &hp, err, sizeof(err)) != -1)
			fail_msg("bare IPv6 \"%s\" accepted as [%s]:%u", bad[i],
			    hp.host, hp.port);
}

static void
test_hostport_str_bounded(void **state)
{
	struct gw_hostport hp;
	char buf[8];

	(void)state;
	memset(&hp, 0, sizeof(hp));
	snprintf(hp.host, sizeof(hp.host), "255.255.255.255");
	hp.port = 65535;
	memset(buf, 'z', sizeof(buf));
	assert_ptr_equal(config_hostport_str(&hp, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "255.255");
}

/* ---- errors: each names FILE:LINE exactly ---- */

static void
test_error_unknown_section(void **state)
{
	(void)state;
	load_fail_either("; c\n\n[bogus]\nkey = 1\n", 3, 4,
	    "unknown section [bogus]");
	load_fail_either("[http]\ntimeout = 5\n[Http]\ntimeout = 6\n", 3, 4,
	    "unknown section [Http]");
	/* Keys of a known section after an unknown one do not hide it. */
	load_fail_either("[bogus]\nx = 1\n[http]\ntimeout = 5\n", 1, 2,
	    "unknown section [bogus]");
	/* A key before any section belongs to the section "". */
	load_fail("timeout = 5\n", 1, "unknown section");
}

static void
test_error_unknown_key(void **state)
{
	(void)state;
	load_fail_exact("[http]\n\n;\nbogus = 1\n", 4,
	    "[http] unknown key 'bogus'");
	/* A key of another section. */
	load_fail_exact("[http]\ntimeout = 5\nmax_links = 64\n", 3,
	    "[http] unknown key 'max_links'");
}

static void
test_error_below_min(void **state)
{
	(void)state;
	/* The example of README.md and STYLE.md. */
	load_fail_exact("[gateway]\nlog_level = info\n\n[registry]\n"
	    "max_devices = 5\nawake_window = 0\n", 6,
	    "[registry] awake_window: 0 is below the minimum 1");
	load_fail_exact("[http]\nmax_body = 1023\n", 2,
	    "[http] max_body: 1023 is below the minimum 1024");
	load_fail_exact("[http]\ntimeout = -5\n", 2,
	    "[http] timeout: -5 is below the minimum 1");
}

static void
test_error_above_max(void **state)
{
	(void)state;
	load_fail_exact("[http]\ntimeout = 3601\n", 2,
	    "[http] timeout: 3601 is above the maximum 3600");
	/* Above INT_MAX: no truncation to int before the range check. */
	load_fail_exact("[registry]\nmax_lifetime = 4294967297\n", 2,
	    "[registry] max_lifetime: 4294967297 is above the maximum "
	    "2147483647");
}

static void
test_error_not_a_number(void **state)
{
	static const char *const bad[] = {
		"12x", "", "99999999999999999999", "-99999999999999999999",
		"0x10", "12.5", "1e3", "- 5", "5 5", "ten", "--1", "١٢",
	};
	char want[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "[http] timeout: '%s' is not a "
		    "whole number", bad[i]);
		value_fail("http", "timeout", bad[i], want);
	}
}

static void
test_error_log_level(void **state)
{
	static const char *const bad[] = {
		"loud", "", "0", "warn", "info debug", "infos",
	};
	char want[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "[gateway] log_level: '%s'",
		    bad[i]);
		value_fail("gateway", "log_level", bad[i], want);
	}
}

static void
test_error_store_path(void **state)
{
	(void)state;
	value_fail("store", "path", "", "[store] path: must be 1..");
}

static void
test_error_set_twice(void **state)
{
	(void)state;
	load_fail_exact("[http]\ntimeout = 5\n[coap]\nmax_links = 128\n"
	    "[http]\ntimeout = 5\n", 6, "[http] timeout: set more than once "
	    "(first on line 2)");
	load_fail_exact("[store]\npath = /a\npath = /b\n", 3,
	    "[store] path: set more than once (first on line 2)");
}

static void
test_error_syntax(void **state)
{
	(void)state;
	load_fail("[http]\ntimeout = 5\ngarbage\n", 3, "syntax error");
	load_fail("[http\ntimeout = 5\n", 1, "syntax error");
	load_fail("\n\n\n= 5\n", 4, "");
	load_fail("[http]\n\t\n\ngarbage\n[coap]\n", 4, "syntax error");
}

/* With several errors, every one is reported, the first in the file first. */
static void
test_every_error_in_line_order(void **state)
{
	char err[4096], want[256];
	const char *data = "[http]\ntimeout = 0\ngarbage\nbogus = 1\n[x]\n"
	    "[registry]\nmax_lifetime = 100\nmin_lifetime = 200\n";
	int lines[] = { 2, 3, 4, 5, 8 }, i;
	char *p;

	(void)state;
	/* Every error, in line order, one line each, as a compiler says
	 * them: a cross-key check's (line 8) after the parse's. */
	load_err_n(data, strlen(data), err, sizeof(err));
	for (p = err, i = 0; i < 5; i++) {
		snprintf(want, sizeof(want), "%s:%d: ", ini, lines[i]);
		if (strncmp(p, want, strlen(want)) != 0)
			fail_msg("error %d is not at line %d: \"%s\"", i,
			    lines[i], err);
		p = strchr(p, '\n');
		if (i < 4)
			assert_non_null(p++);
	}
	assert_null(p);
	load_fail("[http]\ngarbage\ntimeout = 0\nbogus = 1\n", 2,
	    "syntax error");
	load_fail("[http]\ntimeout = 0\ngarbage\nbogus = 1\n", 2,
	    "[http] timeout: 0 is below");
	load_fail("[http]\nbogus = 1\ntimeout = 0\n[x]\ny = 1\n", 2,
	    "[http] unknown key 'bogus'");
}

/* min <= default <= max across the lifetime keys. */
static void
test_cross_key_validation(void **state)
{
	struct gw_config cfg;
	char err[512];

	(void)state;
	load_err_n("[registry]\nmax_lifetime = 100\nmin_lifetime = 200\n",
	    strlen("[registry]\nmax_lifetime = 100\nmin_lifetime = 200\n"),
	    err, sizeof(err));
	assert_true(strncmp(err, ini, strlen(ini)) == 0);
	assert_non_null(strstr(err, "min_lifetime"));
	assert_non_null(strstr(err, "200"));
	assert_non_null(strstr(err, "100"));
	/* default_lifetime (86400) is above this max_lifetime. */
	load_err_n("[registry]\nmax_lifetime = 3600\n",
	    strlen("[registry]\nmax_lifetime = 3600\n"), err, sizeof(err));
	assert_non_null(strstr(err, "default_lifetime"));
	load_err_n("[registry]\nmin_lifetime = 86401\n",
	    strlen("[registry]\nmin_lifetime = 86401\n"), err, sizeof(err));
	assert_non_null(strstr(err, "default_lifetime"));
	/* Equal bounds are fine. */
	load_ok(&cfg, "[registry]\nmin_lifetime = 7\nmax_lifetime = 7\n"
	    "default_lifetime = 7\n");
	assert_int_equal(cfg.reg_min_lifetime, 7);
	assert_int_equal(cfg.reg_max_lifetime, 7);
}

/*
 * A cross-key error also names FILE:LINE (config.h: "one message that names
 * the file and line"): the line of one of the keys involved.
 */
static void
test_cross_key_error_names_line(void **state)
{
	static const char min_above_max[] =
	    "[registry]\nmax_lifetime = 100\nmin_lifetime = 200\n";
	static const char default_outside[] =
	    "[http]\ntimeout = 5\n[registry]\nmax_lifetime = 3600\n";
	char err[512], l2[128], l3[128], l4[128];

	(void)state;
	snprintf(l2, sizeof(l2), "%s:2: ", ini);
	snprintf(l3, sizeof(l3), "%s:3: ", ini);
	snprintf(l4, sizeof(l4), "%s:4: ", ini);
	load_err_n(min_above_max, strlen(min_above_max), err, sizeof(err));
	if (strncmp(err, l2, strlen(l2)) != 0 &&
	    strncmp(err, l3, strlen(l3)) != 0)
		fail_msg("min_lifetime > max_lifetime: \"%s\" names neither "
		    "line 2 nor line 3", err);
	load_err_n(default_outside, strlen(default_outside), err,
	    sizeof(err));
	if (strncmp(err, l4, strlen(l4)) != 0)
		fail_msg("default_lifetime outside: \"%s\" does not name line "
		    "4 (max_lifetime)", err);
}

/* ---- files that cannot be read ---- */

static void
test_missing_file(void **state)
{
	struct gw_config cfg, before;
	char path[128], err[256], want[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/no-such.ini", tmpdir);
	poison(&cfg);
	before = cfg;
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -1);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	assert_string_equal(err, want);
}

static void
test_path_too_long(void **state)
{
	struct gw_config cfg, before;
	char *path, err[64];

	(void)state;
	path = malloc(PATH_MAX + 1);
	assert_non_null(path);
	memset(path, 'a', PATH_MAX);
	path[PATH_MAX] = '\0';
	poison(&cfg);
	before = cfg;
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -1);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	assert_true(strlen(err) < sizeof(err));
	free(path);
}

/*
 * A path that opens but cannot be read (a directory: fopen succeeds, the
 * first read fails with EISDIR) is an error, not an empty file: otherwise
 * "outpost -c /etc/outpost/" runs on the defaults and says nothing.
 */
static void
test_unreadable_file(void **state)
{
	struct gw_config cfg, before;
	char err[256];

	(void)state;
	poison(&cfg);
	before = cfg;
	err[0] = '\0';
	if (config_load(&cfg, tmpdir, err, sizeof(err)) != -1)
		fail_msg("config_load of the directory %s succeeded", tmpdir);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	assert_true(strncmp(err, tmpdir, strlen(tmpdir)) == 0);
}

/* ---- hostile input ---- */

/* A 100 KiB line: a key, a value, a section, a bare word. */
static void
test_hostile_long_lines(void **state)
{
	enum { big = 100 * 1024 };
	static char text[big + 64];

	(void)state;

	memset(text, 'x', big);
	text[big] = '\n';
	text[big + 1] = '\0';
	load_fail(text, 1, "");

	memcpy(text, "[http]\ntimeout = ", 17);
	memset(text + 17, '9', big);
	strcpy(text + 17 + big, "\nmax_body = 2048\n");
	load_fail(text, 2, "");

	memcpy(text, "[http]\n", 7);
	memset(text + 7, 'k', big);
	strcpy(text + 7 + big, " = 1\n");
	load_fail(text, 2, "");

	text[0] = '[';
	memset(text + 1, 's', big);
	strcpy(text + 1 + big, "]\nk = 1\n");
	load_fail(text, 1, "");

	/* No newline at all. */
	memset(text, 'y', big);
	text[big] = '\0';
	load_fail(text, 1, "");
}

/*
 * A comment longer than the parser's line buffer is one line: its tail is
 * never read as a key. Either long lines are refused at their own line, or
 * the comment is skipped whole; applying "timeout = 5" from inside a comment
 * is neither.
 */
static void
test_long_comment_tail_not_a_key(void **state)
{
	char text[1024], prefix[128], err[512];
	struct gw_config cfg;
	size_t n;
	int cut, pass, rc;

	(void)state;
	snprintf(prefix, sizeof(prefix), "%s:2: ", ini);
	/*
	 * Tails at every cut near inih's default buffer (200) and beyond;
	 * the first pass looks for a tail applied as a key, the second for
	 * a tail reported as an error of a line that does not exist.
	 */
	for (pass = 0; pass < 2; pass++) {
		for (cut = 150; cut <= 520; cut++) {
			n = (size_t)snprintf(text, sizeof(text), "[http]\n;");
			memset(text + n, '-', (size_t)cut - 1);
			n += (size_t)cut - 1;
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    "timeout = 5\nmax_body = 2048\n");
			write_bytes(ini, text, n);
			poison(&cfg);
			err[0] = '\0';
			rc = config_load(&cfg, ini, err, sizeof(err));
			if (rc == 0 && cfg.http_timeout != 60)
				fail_msg("a %d-byte comment set [http] timeout "
				    "to %d", cut + 11, cfg.http_timeout);
			if (pass == 0)
				continue;
			if (rc == 0)
				assert_int_equal(cfg.http_max_body, 2048);
			else if (strncmp(err, prefix, strlen(prefix)) != 0)
				fail_msg("a %d-byte comment on line 2: \"%s\"",
				    cut + 11, err);
		}
	}
}

/*
 * After a long line, errors still name their own line; an error in a long
 * line names that line.
 */
static void
test_line_numbers_after_long_line(void **state)
{
	static char big[PATH_MAX + 64];
	char text[2048], l2[128], l3[160], err[512];
	size_t n;

	(void)state;
	/* A store path longer than the field, on line 2. */
	memset(big, 'p', sizeof(big));
	memcpy(big, "[store]\npath = /", 16);
	big[sizeof(big) - 1] = '\0';
	load_fail(big, 2, "");

	n = (size_t)snprintf(text, sizeof(text), "[http]\n; ");
	memset(text + n, 'c', 900);
	n += 900;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\ntimeout = 0\n");
	load_err_n(text, n, err, sizeof(err));
	snprintf(l2, sizeof(l2), "%s:2: ", ini);
	snprintf(l3, sizeof(l3), "%s:3: [http] timeout: 0 is below", ini);
	/* line 2 if long lines are refused, else the bad value on line 3 */
	if (strncmp(err, l2, strlen(l2)) != 0 &&
	    strncmp(err, l3, strlen(l3)) != 0)
		fail_msg("error after a 902-byte comment line: \"%s\"", err);
}

/* NUL bytes inside a key, a section, at the start: clean failures. */
static void
test_hostile_nul_bytes(void **state)
{
	static const char key[] = "[http]\nmax_\0body = 2048\n";
	static const char sec[] = "[ht\0tp]\ntimeout = 5\n";
	static const char first[] = "\0[http]\ntimeout = 5\n";
	char err[512];

	(void)state;
	load_fail_n(key, sizeof(key) - 1, 2, "");
	load_fail_n(sec, sizeof(sec) - 1, 1, "");
	load_err_n(first, sizeof(first) - 1, err, sizeof(err));
	assert_true(strncmp(err, ini, strlen(ini)) == 0);
}

/*
 * A NUL byte hides the rest of its line from the parser: "timeout = 5<NUL>0"
 * must not load as timeout = 5, a line that starts with a NUL must not
 * vanish, a file of NULs is not an empty file. A file holding a NUL is not
 * a config file: it fails at the line of the NUL.
 */
static void
test_nul_bytes_rejected(void **state)
{
	static const char tail[] = "[http]\ntimeout = 5\0" "0\n";
	static const char hidden[] = "[http]\n\0timeout = 0\n";
	static const char only[] = "\0\0\0\0";

	(void)state;
	load_fail_n(tail, sizeof(tail) - 1, 2, "");
	load_fail_n(hidden, sizeof(hidden) - 1, 2, "");
	load_fail_n(only, sizeof(only) - 1, 1, "");
}

/* Random bytes, and random mixes of config tokens: -1 or sane, no crash. */
static void
test_hostile_garbage(void **state)
{
	static const char *const tokens[] = {
		"[http]", "[coap]", "[registry]", "[store]", "[gateway]", "[",
		"]", "=", " = ", "\n", "\r\n", ";", "#", "timeout", "listen",
		"max_body", "min_lifetime", "max_lifetime", "path", "log_level",
		"1", "65536", "-", "99999999999", "[::1]:80", "1.2.3.4:5",
		"\0", "\xff", "\xef\xbb\xbf", " ", "\t", "%", "debug", ":",
	};
	const size_t ntok = sizeof(tokens) / sizeof(tokens[0]);
	struct gw_config cfg, before;
	unsigned char buf[4096];
	char err[512];
	size_t len, i, t;
	int round, rc;

	(void)state;
	srandom(4242);
	for (round = 0; round < 600; round++) {
		if (round % 2 == 0) {
			len = (size_t)random() % sizeof(buf);
			for (i = 0; i < len; i++)
				buf[i] = (unsigned char)random();
		} else {
			for (len = 0; len < 1024;) {
				t = (size_t)random() % ntok;
				/* "\0" is one byte, not an empty string */
				if (tokens[t][0] == '\0') {
					buf[len++] = '\0';
					continue;
				}
				memcpy(buf + len, tokens[t], strlen(tokens[t]));
				len += strlen(tokens[t]);
			}
		}
		write_bytes(ini, buf, len);
		poison(&cfg);
		before = cfg;
		err[0] = '\0';
		rc = config_load(&cfg, ini, err, sizeof(err));
		if (rc == 0) {
			assert_config_sane(&cfg);
			continue;
		}
		assert_int_equal(rc, -1);
		assert_memory_equal(&cfg, &before, sizeof(cfg));
		assert_true(strncmp(err, ini, strlen(ini)) == 0);
		assert_true(strlen(err) < sizeof(err));
	}
}

/* A message longer than err is cut, never written past errlen. */
static void
test_small_err_buffer(void **state)
{
	struct gw_config cfg;
	size_t sizes[] = { 1, 2, 8, 17 }, i;
	char *err;

	(void)state;
	write_bytes(ini, "[http]\ntimeout = 0\n", 19);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		err = malloc(sizes[i]);	/* exact size: ASan sees overruns */
		assert_non_null(err);
		assert_int_equal(config_load(&cfg, ini, err, sizes[i]), -1);
		assert_int_equal(strlen(err), sizes[i] - 1);
		free(err);
	}
}

/* Every prefix of the example: loads or fails cleanly with the file name. */
static void
test_every_prefix_of_example(void **state)
{
	struct gw_config cfg;
	char *text, err[512];
	size_t len, cut;
	FILE *fp;
	int rc;

	(void)state;
	fp = fopen(EXAMPLE, "r");
	if (fp == NULL)
		fail_msg("%s: %s (run from the repository root)", EXAMPLE,
		    strerror(errno));
	text = malloc(1 << 16);
	assert_non_null(text);
	len = fread(text, 1, 1 << 16, fp);
	fclose(fp);
	assert_true(len > 0 && len < 1 << 16);
	for (cut = 0; cut <= len; cut++) {
		write_bytes(ini, text, cut);
		rc = config_load(&cfg, ini, err, sizeof(err));
		if (rc == 0)
			assert_config_sane(&cfg);
		else
			assert_true(strncmp(err, ini, strlen(ini)) == 0);
	}
	free(text);
}

/* ---- reload: keys that need a restart ---- */

static void
test_keep_restart_keys(void **state)
{
	struct gw_config old, fresh;

	(void)state;
	config_defaults(&old);
	fresh = old;
	assert_int_equal(config_keep_restart_keys(&fresh, &old), 0);
	assert_memory_equal(&fresh, &old, sizeof(fresh));

	load_ok(&fresh, "[http]\nlisten = 127.0.0.2:9090\nmax_body = 2048\n"
	    "[coap]\nlisten = [::1]:5684\nmax_links = 128\n"
	    "[store]\npath = /elsewhere\n[gateway]\nlog_level = debug\n");
	assert_int_equal(config_keep_restart_keys(&fresh, &old), 3);
	assert_memory_equal(&fresh.http_listen, &old.http_listen,
	    sizeof(old.http_listen));
	assert_memory_equal(&fresh.coap_listen, &old.coap_listen,
	    sizeof(old.coap_listen));
	assert_string_equal(fresh.store_path, old.store_path);
	/* The others keep the new file's values. */
	assert_int_equal(fresh.http_max_body, 2048);
	assert_int_equal(fresh.coap_max_links, 128);
	assert_int_equal(fresh.log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(fresh.source, ini);
	/* Carried back: a second pass finds nothing to do. */
	assert_int_equal(config_keep_restart_keys(&fresh, &old), 0);

	load_ok(&fresh, "[store]\nmap_size_mb = 2\n");
	assert_int_equal(config_keep_restart_keys(&fresh, &old), 1);
	assert_int_equal(fresh.store_map_size_mb, old.store_map_size_mb);
}

/* [bootstrap]: listeners off or HOST:PORT, a coap(s):// URI, and a DM
 * address a device can be told when the URI is left to [coap]. */
static void
test_bootstrap_keys(void **state)
{
	struct gw_config cfg;

	(void)state;
	load_ok(&cfg, "[bootstrap]\nlisten = 127.0.0.1:5783\n"
	    "secure_listen = [::1]:5784\n");
	assert_string_equal(cfg.bs_listen, "127.0.0.1:5783");
	load_fail("[bootstrap]\nlisten = localhost:5783\n", 2,
	    "[bootstrap] listen: 'localhost:5783'");
	load_ok(&cfg, "[alarms]\nseverity = minor\nsilence_s = 600\n");
	assert_string_equal(cfg.alarm_severity, "minor");
	load_fail("[alarms]\n\nseverity = fatal\n", 3,
	    "[alarms] severity: 'fatal' is not one of critical");
	load_fail("[bootstrap]\nsecure_listen = 1.2.3.4\n", 2,
	    "[bootstrap] secure_listen");
	load_fail("[bootstrap]\nserver_uri = http://gw\n", 2,
	    "not a coap:// or coaps:// URI");
	load_fail("[coap]\nsecure_listen = 0.0.0.0:5684\n[bootstrap]\n"
	    "listen = 127.0.0.1:5783\n", 2, "[bootstrap] server_uri is "
	    "needed");
	load_ok(&cfg, "[coap]\nsecure_listen = 0.0.0.0:5684\n[bootstrap]\n"
	    "listen = 127.0.0.1:5783\nserver_uri = coaps://gw.example\n");
	load_ok(&cfg, "[coap]\nsecure_listen = [::]:5684\n");
	load_fail("[bootstrap]\nshort_server_id = 65535\n", 2,
	    "above the maximum 65534");
}

/* The restart keys are exactly those README.md lists; the rest reload. */
static void
test_restart_keys_by_table(void **state)
{
	static const char *const restart[] = {
		"http.listen", "coap.listen", "store.path", "store.map_size_mb",
		"http.tls_listen", "http.plain_nonloopback",
		"coap.secure_listen", "coap.ca_file", "coap.cert_file",
		"coap.key_file", "coap.rpk", "coap.rcvbuf",
		"bootstrap.listen", "bootstrap.secure_listen",
	};
	const struct config_key *keys;
	struct gw_config old, fresh;
	char name[64], value[64];
	size_t i, j, n;
	int want;

	(void)state;
	config_defaults(&old);
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];
		long d;

		snprintf(name, sizeof(name), "%s.%s", k->section, k->key);
		want = 0;
		for (j = 0; j < sizeof(restart) / sizeof(restart[0]); j++)
			if (strcmp(name, restart[j]) == 0)
				want = 1;
		assert_int_equal(k->restart, want);

		switch (k->type) {
		case CONFIG_INT:
			d = strtol(k->def, NULL, 10);
			snprintf(value, sizeof(value), "%ld",
			    d < k->max ? d + 1 : d - 1);
			break;
		case CONFIG_STRING:
			snprintf(value, sizeof(value), "%s",
			    strcmp(k->key, "plain") == 0 ? "off" :
			    strcmp(k->key, "severity") == 0 ? "warning" :
			    strcmp(k->section, "bootstrap") != 0 ? "/srv/x" :
			    strcmp(k->key, "server_uri") == 0 ?
			    "coaps://gw.example" : "10.1.2.3:8");
			cloud_sample(k, i, value, sizeof(value));
			break;
		case CONFIG_HOSTPORT:
			snprintf(value, sizeof(value), "10.1.2.3:7");
			break;
		case CONFIG_LOGLEVEL:
			snprintf(value, sizeof(value), "error");
			break;
		}
		value_ok(&fresh, k->section, k->key, value);
		assert_int_equal(config_keep_restart_keys(&fresh, &old), want);
		format_field(&fresh, k, name, sizeof(name));
		if (want)
			assert_string_equal(name, k->def);
		else
			assert_string_equal(name, value);
	}
}

/* ---- gateway.ini.example against the table ---- */

struct example_entry {
	char	section[64];
	char	key[64];
	char	value[256];
	char	comment[256];	/* the comment line just above, if any */
	int	line;
};

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Reads EXAMPLE on its own, line by line: "key = value" under "[section]". */
static size_t
example_parse(struct example_entry *e, size_t max)
{
	char line[1024], section[64] = "", comment[256] = "", *s, *eq;
	size_t n = 0;
	int lineno = 0;
	FILE *fp;

	if ((fp = fopen(EXAMPLE, "r")) == NULL)
		fail_msg("%s: %s (run from the repository root)", EXAMPLE,
		    strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp))
			fail_msg("%s:%d: line too long", EXAMPLE, lineno);
		s = trim(line);
		if (*s == '\0') {
			comment[0] = '\0';
			continue;
		}
		if (*s == ';' || *s == '#') {
			snprintf(comment, sizeof(comment), "%s", trim(s + 1));
			continue;
		}
		if (*s == '[') {
			if (s[strlen(s) - 1] != ']')
				fail_msg("%s:%d: bad section", EXAMPLE, lineno);
			snprintf(section, sizeof(section), "%.*s",
			    (int)strlen(s) - 2, s + 1);
			comment[0] = '\0';
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL)
			fail_msg("%s:%d: not key = value", EXAMPLE, lineno);
		if (n == max)
			fail_msg("%s: too many keys", EXAMPLE);
		*eq = '\0';
		snprintf(e[n].section, sizeof(e[n].section), "%s", section);
		snprintf(e[n].key, sizeof(e[n].key), "%s", trim(s));
		snprintf(e[n].value, sizeof(e[n].value), "%s", trim(eq + 1));
		snprintf(e[n].comment, sizeof(e[n].comment), "%s", comment);
		e[n].line = lineno;
		comment[0] = '\0';
		n++;
	}
	fclose(fp);
	return n;
}

/* Every key of the table, exactly once, with exactly its default; and no
 * key that the table does not have. */
static void
test_example_lists_every_key(void **state)
{
	static struct example_entry e[MAX_ENTRIES];
	const struct config_key *keys;
	size_t i, j, n, ne;
	int found;

	(void)state;
	ne = example_parse(e, MAX_ENTRIES);
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		found = 0;
		for (j = 0; j < ne; j++) {
			if (strcmp(e[j].section, keys[i].section) != 0 ||
			    strcmp(e[j].key, keys[i].key) != 0)
				continue;
			if (found++)
				fail_msg("%s:%d: [%s] %s listed twice", EXAMPLE,
				    e[j].line, e[j].section, e[j].key);
			if (strcmp(e[j].value, keys[i].def) != 0)
				fail_msg("%s:%d: [%s] %s = %s, default is %s",
				    EXAMPLE, e[j].line, e[j].section,
				    e[j].key, e[j].value, keys[i].def);
		}
		if (!found)
			fail_msg("%s: [%s] %s missing", EXAMPLE,
			    keys[i].section, keys[i].key);
	}
	for (j = 0; j < ne; j++) {
		for (i = 0; i < n; i++)
			if (strcmp(e[j].section, keys[i].section) == 0 &&
			    strcmp(e[j].key, keys[i].key) == 0)
				break;
		if (i == n)
			fail_msg("%s:%d: [%s] %s is not in the table", EXAMPLE,
			    e[j].line, e[j].section, e[j].key);
	}
	assert_int_equal(ne, n);
}

/* In the table's order, each under its help text (config.h promises). */
static void
test_example_order_and_help(void **state)
{
	static struct example_entry e[MAX_ENTRIES];
	const struct config_key *keys;
	size_t i, n, ne;

	(void)state;
	ne = example_parse(e, MAX_ENTRIES);
	keys = config_keys(&n);
	assert_int_equal(ne, n);
	for (i = 0; i < n; i++) {
		if (strcmp(e[i].section, keys[i].section) != 0 ||
		    strcmp(e[i].key, keys[i].key) != 0)
			fail_msg("%s:%d: [%s] %s, the table has [%s] %s here",
			    EXAMPLE, e[i].line, e[i].section, e[i].key,
			    keys[i].section, keys[i].key);
		if (strcmp(e[i].comment, keys[i].help) != 0)
			fail_msg("%s:%d: comment \"%s\", help is \"%s\"",
			    EXAMPLE, e[i].line, e[i].comment, keys[i].help);
	}
}

/* config_load reads the example as the defaults. */
static void
test_example_loads_as_defaults(void **state)
{
	struct gw_config cfg, def;
	char err[512];

	(void)state;
	poison(&cfg);
	if (config_load(&cfg, EXAMPLE, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	config_defaults(&def);
	snprintf(def.source, sizeof(def.source), "%s", EXAMPLE);
	assert_memory_equal(&cfg, &def, sizeof(cfg));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_well_formed),
		cmocka_unit_test(test_table_fields),
		cmocka_unit_test(test_defaults_match_table),
		cmocka_unit_test(test_empty_file_is_defaults),
		cmocka_unit_test(test_load_good_file),
		cmocka_unit_test(test_load_line_forms),
		cmocka_unit_test(test_each_key_settable),
		cmocka_unit_test(test_int_boundaries),
		cmocka_unit_test(test_hostport_accepted),
		cmocka_unit_test(test_hostport_rejected),
		cmocka_unit_test(test_hostport_bare_ipv6_rejected),
		cmocka_unit_test(test_hostport_str_bounded),
		cmocka_unit_test(test_error_unknown_section),
		cmocka_unit_test(test_error_unknown_key),
		cmocka_unit_test(test_error_below_min),
		cmocka_unit_test(test_error_above_max),
		cmocka_unit_test(test_error_not_a_number),
		cmocka_unit_test(test_error_log_level),
		cmocka_unit_test(test_error_store_path),
		cmocka_unit_test(test_error_set_twice),
		cmocka_unit_test(test_error_syntax),
		cmocka_unit_test(test_every_error_in_line_order),
		cmocka_unit_test(test_cross_key_validation),
		cmocka_unit_test(test_cross_key_error_names_line),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_path_too_long),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_hostile_long_lines),
		cmocka_unit_test(test_long_comment_tail_not_a_key),
		cmocka_unit_test(test_line_numbers_after_long_line),
		cmocka_unit_test(test_hostile_nul_bytes),
		cmocka_unit_test(test_nul_bytes_rejected),
		cmocka_unit_test(test_hostile_garbage),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_every_prefix_of_example),
		cmocka_unit_test(test_keep_restart_keys),
		cmocka_unit_test(test_restart_keys_by_table),
		cmocka_unit_test(test_bootstrap_keys),
		cmocka_unit_test(test_example_lists_every_key),
		cmocka_unit_test(test_example_order_and_help),
		cmocka_unit_test(test_example_loads_as_defaults),
	};

	/* keep_restart_keys warns per key; the tests check its result */
	log_init("test_config", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
