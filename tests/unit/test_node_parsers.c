/*
 * test_node_parsers.c: the node's parsers of untrusted text, with good and
 * hostile input: query attributes (node/attr.c), URIs and Location-Path
 * (node/uri.c), the /proc and /sys files (node/health.c, node/conn.c).
 * Every buffer is a heap copy of exactly the given length, so that ASan
 * flags a read past it.
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

#include "node/attr.h"
#include "node/conn.h"
#include "node/health.h"
#include "node/nconf.h"
#include "node/uri.h"

/* A heap copy of exactly len bytes. */
static uint8_t *
dup_exact(const void *src, size_t len)
{
	uint8_t *p = malloc(len == 0 ? 1 : len);

	assert_non_null(p);
	memcpy(p, src, len);
	return p;
}

static int
attr_one(struct attr *a, const char *opt, size_t len, char *err,
    size_t errlen)
{
	uint8_t *copy = dup_exact(opt, len);
	int rc = attr_parse(a, copy, len, err, errlen);

	free(copy);
	return rc;
}

#define ATTR_OK(a, s)	assert_int_equal(attr_one(a, s, strlen(s), err, \
			    sizeof(err)), 0)

static void
attr_fails(const char *opt, size_t len, const char *want)
{
	struct attr a, before;
	char err[128];

	memset(&a, 0, sizeof(a));
	a.pmin = 3;
	before = a;
	assert_int_equal(attr_one(&a, opt, len, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
	assert_memory_equal(&a, &before, sizeof(a));
}

#define ATTR_FAILS(s, want)	attr_fails(s, sizeof(s) - 1, want)

static void
test_attr_good(void **state)
{
	struct attr a;
	char err[128];

	(void)state;
	memset(&a, 0, sizeof(a));
	ATTR_OK(&a, "pmin=5");
	ATTR_OK(&a, "pmax=0060");
	ATTR_OK(&a, "gt=-1.5e3");
	ATTR_OK(&a, "lt=-2000");
	ATTR_OK(&a, "st=0.5");
	ATTR_OK(&a, "epmin=1");
	ATTR_OK(&a, "epmax=2");
	assert_int_equal(a.set, (1u << ATTR_COUNT) - 1);
	assert_int_equal(a.clear, 0);
	assert_int_equal(a.pmin, 5);
	assert_int_equal(a.pmax, 60);
	assert_true(a.gt == -1500.0 && a.lt == -2000.0 && a.st == 0.5);
	assert_int_equal(a.epmin, 1);
	assert_int_equal(a.epmax, 2);
	assert_int_equal(attr_check(&a, err, sizeof(err)), 0);
	a.pmin = 61;
	assert_int_equal(attr_check(&a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "pmin 61 is above pmax 60"));
	a.pmax = 0;	/* no pmax: any pmin */
	assert_int_equal(attr_check(&a, err, sizeof(err)), 0);
	/* A bare name: Write-Attributes removes it. */
	memset(&a, 0, sizeof(a));
	ATTR_OK(&a, "pmin");
	ATTR_OK(&a, "gt");
	assert_int_equal(a.set, 0);
	assert_int_equal(a.clear, ATTR_BIT(ATTR_PMIN) | ATTR_BIT(ATTR_GT));
}

static void
test_attr_hostile(void **state)
{
	struct attr a;
	char err[128];

	(void)state;
	ATTR_FAILS("pmin=", "pmin: must be 0..");
	ATTR_FAILS("pmin=-1", "must be 0..");
	ATTR_FAILS("pmin=1.5", "must be 0..");
	ATTR_FAILS("pmin=31536001", "must be 0..");
	ATTR_FAILS("pmin=99999999999999999999", "must be 0..");
	ATTR_FAILS("pmax= 5", "must be 0..");
	ATTR_FAILS("gt=abc", "gt: not a number");
	ATTR_FAILS("gt=", "gt: not a number");
	ATTR_FAILS("gt=1.", "not a number");
	ATTR_FAILS("gt=1e", "not a number");
	ATTR_FAILS("gt=--1", "not a number");
	ATTR_FAILS("gt=1e999", "not a number");
	ATTR_FAILS("st=0x10", "not a number");
	ATTR_FAILS("lt=nan", "not a number");
	ATTR_FAILS("lt=inf", "not a number");
	ATTR_FAILS("lt=1111111111111111111111111111111111", "not a number");
	ATTR_FAILS("epmin=1.5", "must be 0..");
	ATTR_FAILS("PMIN=1", "unknown query parameter 'PMIN'");
	ATTR_FAILS("=1", "unknown query parameter ''");
	ATTR_FAILS("", "unknown query parameter");
	ATTR_FAILS("pmin\x01\xff=1", "unknown query parameter 'pmin?" "?'");
	ATTR_FAILS("pm\0in=1", "NUL byte");
	ATTR_FAILS("pmin=1\0", "NUL byte");
	ATTR_FAILS("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
	    "'aaaaaaaaaaaaaaaa'");
	/* Repeats, with or without a value. */
	memset(&a, 0, sizeof(a));
	ATTR_OK(&a, "pmin=1");
	assert_int_equal(attr_one(&a, "pmin=2", 6, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "pmin: repeated"));
	assert_int_equal(attr_one(&a, "pmin", 4, err, sizeof(err)), -1);
	assert_int_equal(a.pmin, 1);
	ATTR_OK(&a, "st");
	assert_int_equal(attr_one(&a, "st=1", 4, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "st: repeated"));
}

static int gw_secure = -1;

static int
gw(const char *s, char *host, uint16_t *port)
{
	char err[160];

	return uri_parse_gateway(s, host, port, &gw_secure, err, sizeof(err));
}

static void
test_uri_gateway(void **state)
{
	char host[URI_HOST_MAX] = "unchanged";
	uint16_t port = 1;

	(void)state;
	assert_int_equal(gw("coap://127.0.0.1:5690", host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 5690);
	assert_int_equal(gw_secure, 0);
	/* coaps: DTLS, 5684 unless the port is given. */
	assert_int_equal(gw("coaps://gw.example.com", host, &port), 0);
	assert_string_equal(host, "gw.example.com");
	assert_int_equal(port, 5684);
	assert_int_equal(gw_secure, 1);
	assert_int_equal(gw("COAPS://[::1]:7000/", host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 7000);
	assert_int_equal(gw_secure, 1);
	assert_int_equal(gw("coap://h", host, &port), 0);
	assert_int_equal(gw_secure, 0);
	assert_int_equal(gw("COAP://gw.example.com/", host, &port), 0);
	assert_string_equal(host, "gw.example.com");
	assert_int_equal(port, 5683);
	assert_int_equal(gw("coap://[::1]:1", host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 1);
	assert_int_equal(gw("coap://[fe80::1]", host, &port), 0);
	strcpy(host, "unchanged");
	port = 7;
	assert_int_equal(gw("coap://", host, &port), -1);
	assert_int_equal(gw("coap://:5683", host, &port), -1);
	assert_int_equal(gw("coap://h:", host, &port), -1);
	assert_int_equal(gw("coap://h:65536", host, &port), -1);
	assert_int_equal(gw("coap://h:123456", host, &port), -1);
	assert_int_equal(gw("coap://h:0", host, &port), -1);
	assert_int_equal(gw("coap://h:-1", host, &port), -1);
	assert_int_equal(gw("coap://h/rd", host, &port), -1);
	assert_int_equal(gw("coap://h?x", host, &port), -1);
	assert_int_equal(gw("coap://u@h", host, &port), -1);
	assert_int_equal(gw("coap://::1:5683", host, &port), -1);
	assert_int_equal(gw("coap://[::1", host, &port), -1);
	assert_int_equal(gw("coap://[::1]x", host, &port), -1);
	assert_int_equal(gw("coap://[nothex]", host, &port), -1);
	assert_int_equal(gw("coap://h_x", host, &port), -1);
	assert_int_equal(gw("coaps://", host, &port), -1);
	assert_int_equal(gw("coaps://h/x", host, &port), -1);
	assert_int_equal(gw("coaps:/h", host, &port), -1);
	assert_int_equal(gw("coaps+tcp://h", host, &port), -1);
	assert_int_equal(gw("coapsx://h", host, &port), -1);
	assert_int_equal(gw("http://h", host, &port), -1);
	assert_int_equal(gw("coap:/h", host, &port), -1);
	assert_int_equal(gw("coap://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaa", host, &port), -1);
	assert_string_equal(host, "unchanged");
	assert_int_equal(port, 7);
	assert_int_equal(gw_secure, 0);	/* untouched by the failures */
}

static void
test_uri_hostport(void **state)
{
	char host[URI_HOST_MAX], err[160];
	uint16_t port;

	(void)state;
	assert_int_equal(uri_parse_hostport("127.0.0.1:5700", host, &port, err,
	    sizeof(err)), 0);
	assert_int_equal(port, 5700);
	assert_int_equal(uri_parse_hostport("[::]:9", host, &port, err,
	    sizeof(err)), 0);
	assert_string_equal(host, "::");
	assert_int_equal(uri_parse_hostport("localhost:1", host, &port, err,
	    sizeof(err)), -1);
	assert_int_equal(uri_parse_hostport("1.2.3.4", host, &port, err,
	    sizeof(err)), -1);
	assert_int_equal(uri_parse_hostport("1.2.3.4:0", host, &port, err,
	    sizeof(err)), -1);
	assert_int_equal(uri_parse_hostport("[1.2.3.4]:5", host, &port, err,
	    sizeof(err)), -1);
	assert_int_equal(uri_parse_hostport("", host, &port, err,
	    sizeof(err)), -1);
}

static enum uri_pkg
pkg(const char *s, size_t len)
{
	uint8_t *copy = dup_exact(s, len);
	enum uri_pkg k = uri_check_package(copy, len);

	free(copy);
	return k;
}

#define PKG(s)	pkg(s, sizeof(s) - 1)

static void
test_uri_package(void **state)
{
	char big[URI_PKG_MAX + 2];

	(void)state;
	assert_int_equal(PKG("coap://gw/fw/a.bin"), URI_PKG_OK);
	assert_int_equal(PKG("COAPS+TCP://[::1]:5684/x?y=1"), URI_PKG_OK);
	assert_int_equal(PKG("https://h"), URI_PKG_OK);
	assert_int_equal(PKG("ftp://h/x"), URI_PKG_UNSUPPORTED);
	assert_int_equal(PKG("coap2://h/x"), URI_PKG_UNSUPPORTED);
	assert_int_equal(PKG("coap:/h"), URI_PKG_INVALID);
	assert_int_equal(PKG("coap:///x"), URI_PKG_INVALID);
	assert_int_equal(PKG("coap://"), URI_PKG_INVALID);
	assert_int_equal(PKG("1coap://h"), URI_PKG_INVALID);
	assert_int_equal(PKG("co_ap://h"), URI_PKG_INVALID);
	assert_int_equal(PKG("nocolon"), URI_PKG_INVALID);
	assert_int_equal(PKG(":"), URI_PKG_INVALID);
	assert_int_equal(PKG(""), URI_PKG_MALFORMED);
	assert_int_equal(PKG("coap://h/a b"), URI_PKG_MALFORMED);
	assert_int_equal(PKG("coap://h/\x7f"), URI_PKG_MALFORMED);
	assert_int_equal(PKG("coap://h/\xc3\xa9"), URI_PKG_MALFORMED);
	assert_int_equal(PKG("coap://h\0/"), URI_PKG_MALFORMED);
	assert_int_equal(uri_check_package(NULL, 0), URI_PKG_MALFORMED);
	memset(big, 'a', sizeof(big));
	memcpy(big, "coap://", 7);
	assert_int_equal(pkg(big, URI_PKG_MAX), URI_PKG_OK);
	assert_int_equal(pkg(big, URI_PKG_MAX + 1), URI_PKG_MALFORMED);
}

static int
loc_add(char *loc, const char *seg, size_t len)
{
	char err[128];
	uint8_t *copy = dup_exact(seg, len);
	int rc = uri_location_add(loc, copy, len, err, sizeof(err));

	free(copy);
	return rc;
}

static void
test_uri_location(void **state)
{
	char loc[URI_LOCATION_MAX] = "";
	char seg[URI_SEGMENT_MAX + 1];

	(void)state;
	assert_int_equal(loc_add(loc, "rd", 2), 0);
	assert_int_equal(loc_add(loc, "5f3a00c1d2e3", 12), 0);
	assert_string_equal(loc, "rd/5f3a00c1d2e3");
	assert_int_equal(loc_add(loc, "a/b", 3), -1);
	assert_int_equal(loc_add(loc, "a%2f", 4), -1);
	assert_int_equal(loc_add(loc, "", 0), -1);
	assert_int_equal(loc_add(loc, "\0", 1), -1);
	assert_int_equal(loc_add(loc, "x\xff", 2), -1);
	assert_string_equal(loc, "rd/5f3a00c1d2e3");
	memset(seg, 'z', sizeof(seg));
	assert_int_equal(loc_add(loc, seg, URI_SEGMENT_MAX + 1), -1);
	assert_int_equal(loc_add(loc, seg, URI_SEGMENT_MAX), 0);
	assert_int_equal(loc_add(loc, "q", 1), 0);
	/* Five segments, or past the buffer: refused, loc intact. */
	assert_int_equal(loc_add(loc, "x", 1), -1);
	strcpy(loc, "a");
	assert_int_equal(loc_add(loc, seg, URI_SEGMENT_MAX), 0);
	assert_int_equal(loc_add(loc, seg, URI_SEGMENT_MAX), -1);
	assert_int_equal(strlen(loc), 1 + 1 + URI_SEGMENT_MAX);
}

static void
test_uri_endpoint(void **state)
{
	(void)state;
	assert_true(uri_is_endpoint("urn:imei:35-1.x~@+!$*", 21));
	assert_false(uri_is_endpoint("", 0));
	assert_false(uri_is_endpoint("a b", 3));
	assert_false(uri_is_endpoint("a/b", 3));
	assert_false(uri_is_endpoint("a\0b", 3));
	assert_false(uri_is_endpoint("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaa", 64));
}

static const char meminfo[] =
    "MemTotal:       24684096 kB\n"
    "MemFree:        23000000 kB\n"
    "MemAvailable:   24312076 kB\n"
    "Buffers:            1234 kB\n";

static void
test_health_meminfo(void **state)
{
	long total = -1, avail = -1;
	uint8_t *c;

	(void)state;
	c = dup_exact(meminfo, sizeof(meminfo) - 1);
	assert_int_equal(health_parse_meminfo((char *)c, sizeof(meminfo) - 1,
	    &total, &avail), 0);
	free(c);
	assert_int_equal(total, 24684096);
	assert_int_equal(avail, 24312076);
	/* Old kernels: MemFree. No newline at the end. */
	assert_int_equal(health_parse_meminfo("MemTotal: 10 kB\nMemFree: 7", 26,
	    &total, &avail), 0);
	assert_int_equal(avail, 7);
	/* Cut inside the number: only what is within len counts. */
	assert_int_equal(health_parse_meminfo("MemTotal: 1234\nMemFree: 5", 12,
	    &total, &avail), -1);
	assert_int_equal(health_parse_meminfo("MemTotal: kB\nMemFree: 5\n", 24,
	    &total, &avail), -1);
	assert_int_equal(health_parse_meminfo(
	    "MemTotal: 99999999999999999999999\nMemFree: 1\n", 46, &total,
	    &avail), -1);
	assert_int_equal(health_parse_meminfo("", 0, &total, &avail), -1);
	assert_int_equal(health_parse_meminfo("MemTotal:", 9, &total, &avail),
	    -1);
}

static void
test_health_stat(void **state)
{
	static const char stat[] =
	    "cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 1 2 3 4\n";
	unsigned long long busy, total;
	uint8_t *c;

	(void)state;
	c = dup_exact(stat, sizeof(stat) - 1);
	assert_int_equal(health_parse_stat((char *)c, sizeof(stat) - 1, &busy,
	    &total), 0);
	free(c);
	assert_true(total == 1000);	/* guest fields are not added */
	assert_true(busy == 160);	/* total - idle - iowait */
	assert_int_equal(health_parse_stat("cpu 1 2 3 4", 11, &busy, &total),
	    0);
	assert_true(busy == 6 && total == 10);
	assert_int_equal(health_parse_stat("cpu 1 2 3", 9, &busy, &total), -1);
	assert_int_equal(health_parse_stat("cpu0 1 2 3 4", 12, &busy, &total),
	    -1);
	assert_int_equal(health_parse_stat("cpu", 3, &busy, &total), -1);
	assert_int_equal(health_parse_stat("cpu 18446744073709551615 1 1 1",
	    31, &busy, &total), -1);
	assert_int_equal(health_parse_stat("cpu 18446744073709551616 1 1 1",
	    31, &busy, &total), -1);
}

static void
test_health_small_files(void **state)
{
	double load;
	long n;

	(void)state;
	assert_int_equal(health_parse_loadavg("0.52 0.40 0.30 1/99 123\n", 24,
	    &load), 0);
	assert_true(load > 0.519 && load < 0.521);
	assert_int_equal(health_parse_loadavg("x", 1, &load), -1);
	assert_int_equal(health_parse_loadavg("", 0, &load), -1);
	assert_int_equal(health_parse_loadavg("1e999", 5, &load), -1);
	assert_int_equal(health_parse_uptime("12345.67 999.0\n", 15, &n), 0);
	assert_int_equal(n, 12345);
	assert_int_equal(health_parse_uptime("-5", 2, &n), -1);
	assert_int_equal(health_parse_number("45123\n", 6, &n), 0);
	assert_int_equal(n, 45123);
	assert_int_equal(health_parse_number("-2500", 5, &n), 0);
	assert_int_equal(n, -2500);
	assert_int_equal(health_parse_number("12a", 3, &n), -1);
	assert_int_equal(health_parse_number("", 0, &n), -1);
	assert_int_equal(health_parse_number("-", 1, &n), -1);
	assert_int_equal(health_parse_number("99999999999999999999", 20, &n),
	    -1);
}

/* The default routes of a /proc/net/route text. */
static size_t
routes(const char *text, size_t len, struct conn_route *r, size_t max)
{
	char *copy = (char *)dup_exact(text, len);
	size_t n = 0;

	conn_parse_route(copy, len, r, max, &n);
	free(copy);
	return n;
}

static size_t
routes6(const char *text, size_t len, struct conn_route *r, size_t max)
{
	char *copy = (char *)dup_exact(text, len);
	size_t n = 0;

	conn_parse_ipv6_route(copy, len, r, max, &n);
	free(copy);
	return n;
}

#define ROUTES(s, r)	routes(s, sizeof(s) - 1, r, 8)
#define ROUTES6(s, r)	routes6(s, sizeof(s) - 1, r, 8)

static void
test_conn_route(void **state)
{
	static const char good[] =
	    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\t"
	    "Mask\t\tMTU\tWindow\tIRTT\n"
	    "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
	    "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	    "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
	    "tun0\t00000000\t00000000\t0001\t0\t0\t50\t00000000\t0\t0\t0\n"
	    "eth1\t00000000\t0102A8C0\t0203\t0\t0\t1\t00000000\t0\t0\t0\n"
	    "eth2\t00000000\t0103A8C0\t0002\t0\t0\t1\t00000000\t0\t0\t0";
	struct conn_route r[8];
	uint8_t want[4] = { 192, 0, 2, 1 };

	(void)state;
	/* Up default routes only: not reject (eth1), not down (eth2). */
	assert_int_equal(ROUTES(good, r), 3);
	assert_string_equal(r[0].ifname, "eth0");
	assert_int_equal(r[0].family, AF_INET);
	assert_memory_equal(r[0].gw, want, 4);
	assert_true(r[0].has_gw);
	assert_int_equal(r[0].metric, 100);
	assert_string_equal(r[1].ifname, "wlan0");
	assert_string_equal(r[2].ifname, "tun0");
	assert_false(r[2].has_gw);		/* on-link */
	/* The lowest metric carries the traffic. */
	assert_int_equal(conn_default(r, 3), 2);
	assert_int_equal(conn_default(r, 2), 0);
	assert_int_equal(conn_default(r, 0), -1);
	/* At most max. */
	assert_int_equal(routes(good, sizeof(good) - 1, r, 1), 1);
	/* Hostile rows are skipped, the good one stays. */
	assert_int_equal(ROUTES("", r), 0);
	assert_int_equal(ROUTES("\n\n\n", r), 0);
	assert_int_equal(ROUTES("eth0 00000000", r), 0);
	assert_int_equal(ROUTES(
	    "../x\t00000000\t01020304\t0003\t0\t0\t0\t00000000\n"
	    "a/b\t00000000\t01020304\t0003\t0\t0\t0\t00000000\n"
	    "..\t00000000\t01020304\t0003\t0\t0\t0\t00000000\n"
	    "abcdefghijklmnopq\t00000000\t01020304\t0003\t0\t0\t0\t00000000\n"
	    "e\t000000000\t01020304\t0003\t0\t0\t0\t00000000\n"
	    "e\t0000000g\t01020304\t0003\t0\t0\t0\t00000000\n"
	    "e\t00000000\t01020304\t0003\t0\t0\t-1\t00000000\n"
	    "e\t00000000\t01020304\t0003\t0\t0\t9999999999\t00000000\n"
	    "e\t00000000\t01020304\tzz\t0\t0\t0\t00000000\n"
	    "e\t00000000\t01020304\t0003\t0\t0\t0\t\n"
	    "ok\t00000000\t01020304\t0003\t0\t0\t0\t00000000", r), 1);
	assert_string_equal(r[0].ifname, "ok");
}

static void
test_conn_ipv6_route(void **state)
{
	static const char good[] =
	    "fd000000000000000000000000000000 40 "
	    "00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 00000100 00000001 00000000 "
	    "00000001     eth0\n"
	    "00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 00 "
	    "fd000000000000000000000000000001 00000400 00000003 00000000 "
	    "00000003     eth0\n"
	    "00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 ffffffff 00000001 00000000 "
	    "00200200       lo\n";
	struct conn_route r[8];
	uint8_t want[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    1 };

	(void)state;
	/* The unreachable ::/0 on lo (reject) is no route. */
	assert_int_equal(ROUTES6(good, r), 1);
	assert_string_equal(r[0].ifname, "eth0");
	assert_int_equal(r[0].family, AF_INET6);
	assert_memory_equal(r[0].gw, want, 16);
	assert_true(r[0].has_gw);
	assert_int_equal(r[0].metric, 0x400);
	/* Hostile. */
	assert_int_equal(ROUTES6("0000 00 0000 00 0000 1 1 1 3 eth0", r), 0);
	assert_int_equal(ROUTES6(
	    "0000000000000000000000000000000g 00 "
	    "00000000000000000000000000000000 00 "
	    "fd000000000000000000000000000001 00000400 00000003 00000000 "
	    "00000003 eth0\n"
	    "00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 00 "
	    "fd000000000000000000000000000001 00000400 00000003 00000000 "
	    "00000003 ../../etc\n"
	    "00000000000000000000000000000000 000 "
	    "00000000000000000000000000000000 00 "
	    "fd000000000000000000000000000001 00000400 00000003 00000000 "
	    "00000003 eth0\n"
	    "00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 00 "
	    "fd000000000000000000000000000001 00000400 00000003 00000000 "
	    "000000003 eth0\n", r), 0);
}

static void
test_conn_wireless_and_uevent(void **state)
{
	static const char wl[] =
	    "Inter-| sta-|   Quality        |   Discarded packets      "
	    "         | Missed | WE\n"
	    " face | tus | link level noise |  nwid  crypt   frag  retry   "
	    "misc | beacon | 22\n"
	    "wlan1: 0000   30.  -80.  -256        0      0      0      0      "
	    "0        0\n"
	    " wlan0: 0000   70.  -40.  -256        0      0      0      0      "
	    "0        0\n";
	char dt[16];
	int q = 7, dbm = 7;
	char *copy;

	(void)state;
	copy = (char *)dup_exact(wl, sizeof(wl) - 1);
	assert_int_equal(conn_parse_wireless(copy, sizeof(wl) - 1, "wlan0",
	    &q, &dbm), 0);
	assert_int_equal(q, 70);
	assert_int_equal(dbm, -40);
	assert_int_equal(conn_parse_wireless(copy, sizeof(wl) - 1, "wlan1",
	    &q, &dbm), 0);
	assert_int_equal(dbm, -80);
	assert_int_equal(conn_parse_wireless(copy, sizeof(wl) - 1, "wlan",
	    &q, &dbm), -1);
	assert_int_equal(conn_parse_wireless(copy, 40, "wlan0", &q, &dbm),
	    -1);
	free(copy);
	/* A level that is no dBm, a quality out of range, junk. */
	q = dbm = 7;
	assert_int_equal(conn_parse_wireless("wlan0: 0000 70. 60. 0", 22,
	    "wlan0", &q, &dbm), -1);
	assert_int_equal(conn_parse_wireless("wlan0: 0000 999. -60. 0", 23,
	    "wlan0", &q, &dbm), -1);
	assert_int_equal(conn_parse_wireless("wlan0: 0000 x -60. 0", 20,
	    "wlan0", &q, &dbm), -1);
	assert_int_equal(conn_parse_wireless("wlan0: 0000 70. -99999 0", 24,
	    "wlan0", &q, &dbm), -1);
	assert_int_equal(conn_parse_wireless("wlan0:", 6, "wlan0", &q, &dbm),
	    -1);
	assert_int_equal(q, 7);
	assert_int_equal(dbm, 7);
	/* uevent. */
	conn_parse_uevent("INTERFACE=wwan0\nIFINDEX=5\nDEVTYPE=wwan\n", 39,
	    dt, sizeof(dt));
	assert_string_equal(dt, "wwan");
	conn_parse_uevent("INTERFACE=eth0\nIFINDEX=4", 24, dt, sizeof(dt));
	assert_string_equal(dt, "");
	conn_parse_uevent("DEVTYPE=aaaaaaaaaaaaaaaaaaaaaaaa", 32, dt,
	    sizeof(dt));
	assert_string_equal(dt, "");
	conn_parse_uevent("DEVTYPE=a\x01b", 11, dt, sizeof(dt));
	assert_string_equal(dt, "");
	conn_parse_uevent("DEVTYPE=", 8, dt, sizeof(dt));
	assert_string_equal(dt, "");
	/* The bearer of each kind of interface. */
	assert_int_equal(conn_bearer(1, "", 0, 6), CONN_BEARER_ETHERNET);
	assert_int_equal(conn_bearer(1, "bridge", 0, 6), CONN_BEARER_ETHERNET);
	assert_int_equal(conn_bearer(1, "wlan", 0, 6), CONN_BEARER_WLAN);
	assert_int_equal(conn_bearer(1, "", 1, 6), CONN_BEARER_WLAN);
	assert_int_equal(conn_bearer(1, "bluetooth", 0, 6),
	    CONN_BEARER_BLUETOOTH);
	assert_int_equal(conn_bearer(65534, "wwan", 0, 7), 7);
	assert_int_equal(conn_bearer(519, "", 0, 6), 6);
	assert_int_equal(conn_bearer(804, "", 0, 6), CONN_BEARER_802154);
	assert_int_equal(conn_bearer(512, "", 0, 6), -1);	/* PPP */
	assert_int_equal(conn_bearer(65534, "", 0, 6), -1);	/* tun */
	assert_int_equal(conn_bearer(772, "", 0, 6), -1);	/* lo */
}

/* The Error Codes of the figures against the [errors] thresholds. */
static void
test_health_errors(void **state)
{
	struct node_config cfg;
	struct health_figures f;

	(void)state;
	nconf_defaults(&cfg);
	memset(&f, 0, sizeof(f));
	f.mem_total_kb = 1000000;
	f.mem_free_kb = 500000;
	f.disk_ok = 1;
	f.disk_free_kb = 1000000;
	assert_int_equal(health_errors(&cfg, &f, 100, -1), 0);
	f.mem_free_kb = 8191;
	assert_int_equal(health_errors(&cfg, &f, 100, -1), 1 << 5);
	f.disk_free_kb = 10239;
	assert_int_equal(health_errors(&cfg, &f, 9, 119),
	    1 << 1 | 1 << 5 | 1 << 16);
	assert_int_equal(health_errors(&cfg, &f, 10, 120),
	    1 << 5 | 1 << 7 | 1 << 16);
	/* 0 is never; figures not read raise nothing. */
	cfg.err_mem_free_kb = cfg.err_disk_free_kb = cfg.err_battery =
	    cfg.err_gateway_silence = 0;
	assert_int_equal(health_errors(&cfg, &f, 0, 9999), 0);
	nconf_defaults(&cfg);
	f.mem_total_kb = 0;
	f.mem_free_kb = 0;
	f.disk_ok = 0;
	f.disk_free_kb = 0;
	assert_int_equal(health_errors(&cfg, &f, 100, -1), 0);
}

static void
test_health_moved(void **state)
{
	struct node_config cfg;
	struct health_figures a, b;

	(void)state;
	nconf_defaults(&cfg);
	cfg.cpu_pct_delta = 10;
	cfg.mem_free_kb_delta = 100;
	cfg.disk_free_kb_delta = 1000;
	cfg.load1_delta = 0.5;
	cfg.temp_c_delta = 2;
	memset(&a, 0, sizeof(a));
	a.cpu_pct = 20;
	a.mem_free_kb = 5000;
	a.disk_free_kb = 90000;
	a.load1 = 1.0;
	a.uptime_s = 100;
	b = a;
	b.uptime_s = 9999;		/* uptime always moves: no reason */
	b.cpu_pct = 29.9;
	b.mem_free_kb = 4901;
	b.disk_free_kb = 89001;
	b.load1 = 1.49;
	assert_false(health_moved(&cfg, &a, &b));
	b.cpu_pct = 10;
	assert_true(health_moved(&cfg, &a, &b));
	b.cpu_pct = 20;
	b.mem_free_kb = 5100;
	assert_true(health_moved(&cfg, &a, &b));
	b.mem_free_kb = 5000;
	b.load1 = 0.5;
	assert_true(health_moved(&cfg, &a, &b));
	b.load1 = 1.0;
	b.disk_free_kb = 91000;
	assert_true(health_moved(&cfg, &a, &b));
	b.disk_free_kb = 90000;
	b.has_temp = 1;			/* a zone appeared */
	b.temp_c = 40;
	assert_true(health_moved(&cfg, &a, &b));
	a.has_temp = 1;
	a.temp_c = 41.5;
	assert_false(health_moved(&cfg, &a, &b));
	a.temp_c = 42;
	assert_true(health_moved(&cfg, &a, &b));
}

static void
test_health_sample_from_a_fake_proc(void **state)
{
	struct node_config cfg;
	struct health h;
	const struct health_figures *f;
	char dir[] = "/tmp/test_node_health.XXXXXX", path[128], cmd[160];
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
#define PUT(name, text) do {						\
	snprintf(path, sizeof(path), "%s/%s", dir, name);		\
	fp = fopen(path, "w");						\
	fputs(text, fp);						\
	fclose(fp);							\
} while (0)
	PUT("stat", "cpu  100 0 100 800 0 0 0 0 0 0\n");
	PUT("meminfo", "MemTotal: 2000 kB\nMemAvailable: 500 kB\n");
	PUT("loadavg", "0.25 0.1 0.1 1/2 3\n");
	PUT("uptime", "77.9 1.0\n");
	snprintf(path, sizeof(path), "%s/class", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/class/power_supply", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/class/power_supply/BAT0", dir);
	mkdir(path, 0700);
	PUT("class/power_supply/BAT0/type", "Battery\n");
	PUT("class/power_supply/BAT0/capacity", "42\n");
	nconf_defaults(&cfg);
	health_init(&h, &cfg, dir, dir);
	/* 200 of 1000 more ticks busy: 20 %. */
	PUT("stat", "cpu  200 0 200 1600 0 0 0 0 0 0\n");
	f = health_sample(&h, 5000);
	assert_true(f->cpu_pct > 19.9 && f->cpu_pct < 20.1);
	assert_int_equal(f->mem_total_kb, 2000);
	assert_int_equal(f->mem_free_kb, 500);
	assert_true(f->load1 == 0.25);
	assert_int_equal(f->uptime_s, 77);
	assert_false(f->has_temp);
	assert_true(f->disk_free_kb > 0);	/* statvfs of / */
	assert_int_equal(health_battery(&h), 42);
	cfg.battery = 7;			/* configured wins */
	assert_int_equal(health_battery(&h), 7);
	/* Cached for a second; then read again. */
	PUT("meminfo", "MemTotal: 2000 kB\nMemAvailable: 400 kB\n");
	assert_int_equal(health_sample(&h, 5500)->mem_free_kb, 500);
	assert_int_equal(health_sample(&h, 6000)->mem_free_kb, 400);
	/* Unreadable files give zeros, not garbage. */
	PUT("meminfo", "garbage");
	assert_int_equal(health_sample(&h, 7000)->mem_total_kb, 0);
#undef PUT
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attr_good),
		cmocka_unit_test(test_attr_hostile),
		cmocka_unit_test(test_uri_gateway),
		cmocka_unit_test(test_uri_hostport),
		cmocka_unit_test(test_uri_package),
		cmocka_unit_test(test_uri_location),
		cmocka_unit_test(test_uri_endpoint),
		cmocka_unit_test(test_health_meminfo),
		cmocka_unit_test(test_health_stat),
		cmocka_unit_test(test_health_small_files),
		cmocka_unit_test(test_health_moved),
		cmocka_unit_test(test_health_errors),
		cmocka_unit_test(test_conn_route),
		cmocka_unit_test(test_conn_ipv6_route),
		cmocka_unit_test(test_conn_wireless_and_uevent),
		cmocka_unit_test(test_health_sample_from_a_fake_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
