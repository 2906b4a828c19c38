/*
 * test_exposure.c: unit tests for what decides whether the HTTP API may be
 * exposed: config_hostport_is_loopback (config/config.c) and
 * http_check_config (proxy/http.c), the rules outpost -n and the start
 * apply to the listeners.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "proxy/http.h"

static int
loopback(const char *s)
{
	struct gw_hostport hp;
	char err[128];

	assert_int_equal(config_parse_hostport(s, &hp, err, sizeof(err)), 0);
	return config_hostport_is_loopback(&hp);
}

static void
test_loopback(void **state)
{
	(void)state;
	assert_true(loopback("127.0.0.1:80"));
	assert_true(loopback("127.255.1.2:80"));
	assert_true(loopback("[::1]:80"));
	assert_true(loopback("[::ffff:127.0.0.1]:80"));
	assert_false(loopback("0.0.0.0:80"));
	assert_false(loopback("[::]:80"));
	assert_false(loopback("10.0.0.1:80"));
	assert_false(loopback("128.0.0.1:80"));
	assert_false(loopback("126.255.255.255:80"));
	assert_false(loopback("[::ffff:10.0.0.1]:80"));
	assert_false(loopback("[::2]:80"));
	assert_false(loopback("[fe80::1]:80"));
}

/* A config with http listen and, optionally, the other keys involved. */
static void
cfg_make(struct gw_config *cfg, const char *listen, int allow,
    const char *tls, const char *token_file)
{
	char err[128];

	config_defaults(cfg);
	assert_int_equal(config_parse_hostport(listen, &cfg->http_listen, err,
	    sizeof(err)), 0);
	cfg->http_plain_nonloopback = allow;
	snprintf(cfg->http_tls_listen, sizeof(cfg->http_tls_listen), "%s",
	    tls);
	snprintf(cfg->auth_token_file, sizeof(cfg->auth_token_file), "%s",
	    token_file);
}

static void
check_fails(const struct gw_config *cfg, const char *msg)
{
	char err[256];

	err[0] = '\0';
	assert_int_equal(http_check_config(cfg, err, sizeof(err)), -1);
	if (strstr(err, msg) == NULL)
		fail_msg("'%s' lacks '%s'", err, msg);
}

static void
test_check_config(void **state)
{
	struct gw_config cfg;
	char err[256];

	(void)state;
	/* The defaults: loopback, no tokens, open for development. */
	config_defaults(&cfg);
	assert_int_equal(http_check_config(&cfg, err, sizeof(err)), 0);
	cfg_make(&cfg, "0.0.0.0:8080", 0, "", "");
	check_fails(&cfg, "plain HTTP would be exposed");
	cfg_make(&cfg, "[::]:8080", 1, "", "");
	check_fails(&cfg, "refusing to run without authentication");
	cfg_make(&cfg, "[::]:8080", 1, "", "/etc/outpost/tokens");
	assert_int_equal(http_check_config(&cfg, err, sizeof(err)), 0);
	cfg_make(&cfg, "127.0.0.1:8080", 0, "0.0.0.0:8443", "");
	snprintf(cfg.http_tls_cert, sizeof(cfg.http_tls_cert), "c.pem");
	snprintf(cfg.http_tls_key, sizeof(cfg.http_tls_key), "k.pem");
	check_fails(&cfg, "refusing to run without authentication");
	snprintf(cfg.auth_read_token, sizeof(cfg.auth_read_token),
	    "read-token-0123456789");
	assert_int_equal(http_check_config(&cfg, err, sizeof(err)), 0);
	/* HTTPS on loopback needs no token, but its certificate. */
	cfg_make(&cfg, "127.0.0.1:8080", 0, "[::1]:8443", "");
	check_fails(&cfg, "tls_listen needs tls_cert and tls_key");
	snprintf(cfg.http_tls_cert, sizeof(cfg.http_tls_cert), "c.pem");
	snprintf(cfg.http_tls_key, sizeof(cfg.http_tls_key), "k.pem");
	assert_int_equal(http_check_config(&cfg, err, sizeof(err)), 0);
	cfg_make(&cfg, "127.0.0.1:8080", 0, "localhost:8443", "");
	check_fails(&cfg, "[http] tls_listen: 'localhost:8443'");
	cfg_make(&cfg, "127.0.0.1:8080", 0, "127.0.0.1:0", "");
	check_fails(&cfg, "port must be 1..65535");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_check_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
