/*
 * test_lwm2m.c: unit tests for the registration parsers in lwm2m/lwm2m.c:
 * bodies and queries from real clients (Wakaama, Zephyr/Anjay, Leshan), every
 * documented boundary, and hostile input. Every buffer handed to a parser is
 * a heap copy of exactly the given length, so that ASan flags a read past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m.h"

#define MAX_LINKS	8

/* What the callback saw; pointers point into the exact-size copy. */
struct seen {
	struct lwm2m_link	links[MAX_LINKS];
	size_t			nlinks;	/* calls, even past MAX_LINKS */
	int			stop_at;	/* return 7 on this call (1-based) */
};

static const char wakaama[] =
    "</>;rt=\"oma.lwm2m\";ct=110,</1>;ver=1.1,</1/0>,</3/0>,</5/0>";
static const char zephyr[] = "</1/0>,</3/0>,</3303/0>;ver=1.1";
static const char leshan[] = "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/1/0>";

static int
collect(const struct lwm2m_link *link, void *arg)
{
	struct seen	*s = arg;

	if (s->nlinks < MAX_LINKS)
		s->links[s->nlinks] = *link;
	s->nlinks++;
	if (s->stop_at != 0 && (size_t)s->stop_at == s->nlinks)
		return (7);
	return (0);
}

/* Copies len bytes to a heap block of exactly len bytes (never NULL). */
static char *
dup_exact(const void *src, size_t len)
{
	char	*p;

	p = malloc(len == 0 ? 1 : len);
	assert_non_null(p);
	if (len > 0)
		memcpy(p, src, len);
	return (p);
}

/* lwm2m_parse_links on an exact-size copy; the copy is kept in *keep. */
static int
links(const void *body, size_t len, struct seen *s, char **keep, char *err,
    size_t errlen)
{
	*keep = dup_exact(body, len);
	return (lwm2m_parse_links(*keep, len, s == NULL ? NULL : collect, s,
	    err, errlen));
}

/* Parses a NUL-terminated body that must fail, and checks the reason. */
static void
links_fail(const void *body, size_t len, const char *want)
{
	struct seen	 s;
	char		 err[128], *keep;

	memset(&s, 0, sizeof s);
	assert_int_equal(links(body, len, &s, &keep, err, sizeof err), -1);
	free(keep);
	assert_int_equal(s.nlinks, 0);
	if (strstr(err, want) == NULL)
		fail_msg("body %.*s: error \"%s\", want \"%s\"", (int)len,
		    (const char *)body, err, want);
}

static void
assert_span(const char *p, size_t n, const char *want)
{
	assert_non_null(p);
	if (n != strlen(want) || memcmp(p, want, n) != 0)
		fail_msg("got \"%.*s\", want \"%s\"", (int)n, p, want);
}

static void
assert_attr(const struct lwm2m_link *l, size_t i, const char *name,
    const char *value)
{
	assert_true(i < l->nattrs);
	assert_span(l->attrs[i].name, l->attrs[i].name_len, name);
	if (value == NULL) {
		assert_null(l->attrs[i].value);
		assert_int_equal(l->attrs[i].value_len, 0);
	} else
		assert_span(l->attrs[i].value, l->attrs[i].value_len, value);
}

/* lwm2m_parse_query on an exact-size copy of a NUL-terminated option. */
static int
query(struct lwm2m_params *p, const char *opt, size_t len, char *err,
    size_t errlen)
{
	char	*keep;
	int	 rc;

	keep = dup_exact(opt, len);
	rc = lwm2m_parse_query(p, (const uint8_t *)keep, len, err, errlen);
	free(keep);
	return (rc);
}

static void
query_ok(struct lwm2m_params *p, const char *opt)
{
	char	err[128];

	if (query(p, opt, strlen(opt), err, sizeof err) != 0)
		fail_msg("option \"%s\" failed: %s", opt, err);
	assert_string_equal(err, "");
}

/* Fails opt on a fresh params struct; checks err and that p is unchanged. */
static void
query_fail_on(struct lwm2m_params *p, const char *opt, size_t len,
    const char *want)
{
	struct lwm2m_params	before = *p;
	char			err[128];

	assert_int_equal(query(p, opt, len, err, sizeof err), -1);
	assert_memory_equal(&before, p, sizeof before);
	assert_string_equal(err, want);
}

static void
query_fail(const char *opt, const char *want)
{
	struct lwm2m_params	p;

	memset(&p, 0, sizeof p);
	query_fail_on(&p, opt, strlen(opt), want);
}

/*
 * Link-format bodies from real clients.
 */

static void
test_links_wakaama(void **state)
{
	struct seen	 s;
	char		 err[128], *keep;
	size_t		 i;
	const char	*uris[] = { "/", "/1", "/1/0", "/3/0", "/5/0" };

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(links(wakaama, strlen(wakaama), &s, &keep, err,
	    sizeof err), 0);
	assert_string_equal(err, "");
	assert_int_equal(s.nlinks, 5);
	for (i = 0; i < 5; i++)
		assert_span(s.links[i].uri, s.links[i].uri_len, uris[i]);
	assert_int_equal(s.links[0].nattrs, 2);
	assert_attr(&s.links[0], 0, "rt", "oma.lwm2m");
	assert_attr(&s.links[0], 1, "ct", "110");
	assert_int_equal(s.links[1].nattrs, 1);
	assert_attr(&s.links[1], 0, "ver", "1.1");
	for (i = 2; i < 5; i++)
		assert_int_equal(s.links[i].nattrs, 0);

	assert_int_equal(lwm2m_is_object_path(s.links[0].uri,
	    s.links[0].uri_len), 0);
	for (i = 1; i < 5; i++)
		assert_int_equal(lwm2m_is_object_path(s.links[i].uri,
		    s.links[i].uri_len), 1);
	free(keep);
}

static void
test_links_zephyr(void **state)
{
	struct seen	 s;
	char		 err[128], *keep;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(links(zephyr, strlen(zephyr), &s, &keep, err,
	    sizeof err), 0);
	assert_int_equal(s.nlinks, 3);
	assert_span(s.links[0].uri, s.links[0].uri_len, "/1/0");
	assert_span(s.links[1].uri, s.links[1].uri_len, "/3/0");
	assert_span(s.links[2].uri, s.links[2].uri_len, "/3303/0");
	assert_int_equal(s.links[0].nattrs, 0);
	assert_int_equal(s.links[1].nattrs, 0);
	assert_int_equal(s.links[2].nattrs, 1);
	assert_attr(&s.links[2], 0, "ver", "1.1");
	assert_int_equal(lwm2m_is_object_path(s.links[2].uri,
	    s.links[2].uri_len), 1);
	free(keep);
}

static void
test_links_leshan(void **state)
{
	struct seen	 s;
	char		 err[128], *keep;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(links(leshan, strlen(leshan), &s, &keep, err,
	    sizeof err), 0);
	assert_int_equal(s.nlinks, 2);
	assert_span(s.links[0].uri, s.links[0].uri_len, "/lwm2m");
	assert_attr(&s.links[0], 0, "rt", "oma.lwm2m");
	assert_int_equal(s.links[0].nattrs, 1);
	assert_span(s.links[1].uri, s.links[1].uri_len, "/lwm2m/1/0");
	assert_int_equal(s.links[1].nattrs, 0);

	/* Alternate path and deeper URIs only classify, they are valid. */
	assert_int_equal(lwm2m_is_object_path(s.links[0].uri,
	    s.links[0].uri_len), 0);
	assert_int_equal(lwm2m_is_object_path(s.links[1].uri,
	    s.links[1].uri_len), 0);
	/* With the alternate path stripped, the rest is an object path. */
	assert_int_equal(lwm2m_is_object_path(s.links[1].uri + 6,
	    s.links[1].uri_len - 6), 1);
	free(keep);
}

static void
test_links_empty(void **state)
{
	struct seen	 s;
	char		 err[128], *keep;

	(void)state;
	memset(&s, 0, sizeof s);
	strcpy(err, "junk");
	assert_int_equal(links("", 0, &s, &keep, err, sizeof err), 0);
	free(keep);
	assert_int_equal(s.nlinks, 0);
	assert_string_equal(err, "");
	assert_int_equal(lwm2m_parse_links(NULL, 0, collect, &s, err,
	    sizeof err), 0);
	assert_int_equal(s.nlinks, 0);
	links_fail("", 1, "offset 0: expected '<'");	/* one NUL byte */
}

static void
test_links_attr_forms(void **state)
{
	static const char	 body[] = "</1>;obs;a=b;q=\"x,y;\\\"z\\\\\";e=\"\""
				     ";title*=UTF-8'en'%e2%82%ac;t=\"caf\xc3\xa9 \xf0\x9f\x98\x80\""
				     ";x=<a>/\\,</2/0>";
	struct seen		 s;
	char			 err[128], *keep;
	const struct lwm2m_link	*l;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(links(body, strlen(body), &s, &keep, err,
	    sizeof err), 0);
	assert_int_equal(s.nlinks, 2);
	l = &s.links[0];
	assert_span(l->uri, l->uri_len, "/1");
	assert_int_equal(l->nattrs, 7);
	assert_attr(l, 0, "obs", NULL);
	assert_attr(l, 1, "a", "b");
	assert_attr(l, 2, "q", "x,y;\\\"z\\\\");	/* escapes kept */
	assert_attr(l, 3, "e", "");
	assert_non_null(l->attrs[3].value);		/* empty, not absent */
	assert_attr(l, 4, "title*", "UTF-8'en'%e2%82%ac");
	assert_attr(l, 5, "t", "caf\xc3\xa9 \xf0\x9f\x98\x80");
	assert_attr(l, 6, "x", "<a>/\\");
	assert_span(s.links[1].uri, s.links[1].uri_len, "/2/0");

	/* Percent-encoding and sub-delims in a URI. */
	memset(&s, 0, sizeof s);
	free(keep);
	assert_int_equal(links("</a%2Fb;c,d=e>", 14, &s, &keep, err,
	    sizeof err), 0);
	assert_int_equal(s.nlinks, 1);
	assert_span(s.links[0].uri, s.links[0].uri_len, "/a%2Fb;c,d=e");
	free(keep);
}

static void
test_links_callback_stops(void **state)
{
	struct seen	 s;
	char		 err[128], *keep;

	(void)state;
	memset(&s, 0, sizeof s);
	s.stop_at = 2;
	strcpy(err, "junk");
	assert_int_equal(links(wakaama, strlen(wakaama), &s, &keep, err,
	    sizeof err), 7);
	assert_int_equal(s.nlinks, 2);
	assert_string_equal(err, "");
	free(keep);

	/* A NULL callback only validates. */
	assert_int_equal(links(wakaama, strlen(wakaama), NULL, &keep, err,
	    sizeof err), 0);
	free(keep);
	assert_int_equal(links("</1>,", 5, NULL, &keep, err, sizeof err), -1);
	free(keep);
	assert_string_equal(err, "offset 5: expected '<'");
}

static void
test_links_validated_first(void **state)
{
	(void)state;
	/* Two good links before the error: the callback must never run. */
	links_fail("</1/0>,</3/0>,</5/0", 19, "offset 19: expected '>'");
	links_fail("</1/0>,</3/0>;ver=1.1 ", 22, "offset 21: expected ',' or ';'");
}

static void
test_links_errors(void **state)
{
	static const struct {
		const char	*body;
		const char	*err;
	} t[] = {
		{ ",", "offset 0: expected '<'" },
		{ ",,", "offset 0: expected '<'" },
		{ "</1>,", "offset 5: expected '<'" },
		{ "</1>,,</2>", "offset 5: expected '<'" },
		{ " </1>", "offset 0: expected '<'" },
		{ "/1", "offset 0: expected '<'" },
		{ "<", "offset 1: expected '/'" },
		{ "<>", "offset 1: expected '/'" },
		{ "<1>", "offset 1: expected '/'" },
		{ "<<>>", "offset 1: expected '/'" },
		{ "</1", "offset 3: expected '>'" },
		{ "</1/0>,</3/0", "offset 12: expected '>'" },
		{ "</1<2>>", "offset 3: bad byte 0x3c in URI" },
		{ "</1 >", "offset 3: bad byte 0x20 in URI" },
		{ "</1?a=b>", "offset 3: bad byte 0x3f in URI" },
		{ "</1#f>", "offset 3: bad byte 0x23 in URI" },
		{ "</%4>", "offset 2: bad percent-encoding in URI" },
		{ "</%zz>", "offset 2: bad percent-encoding in URI" },
		{ "</%", "offset 2: bad percent-encoding in URI" },
		{ "</1> ", "offset 4: expected ',' or ';'" },
		{ "</1>x", "offset 4: expected ',' or ';'" },
		{ "</1></2>", "offset 4: expected ',' or ';'" },
		{ "</1>;", "offset 5: expected attribute name" },
		{ "</1>;;", "offset 5: expected attribute name" },
		{ "</1>;=x", "offset 5: expected attribute name" },
		{ "</1>;=\"x\"", "offset 5: expected attribute name" },
		{ "</1>;a;", "offset 7: expected attribute name" },
		{ "</1>;r t", "offset 6: expected ',' or ';'" },
		{ "</1>;rt=", "offset 8: expected attribute value" },
		{ "</1>;rt=,</2>", "offset 8: expected attribute value" },
		{ "</1>;rt= x", "offset 8: expected attribute value" },
		{ "</1>;ct=1 ", "offset 9: expected ',' or ';'" },
		{ "</1>;ct=1\"", "offset 9: expected ',' or ';'" },
		{ "</1>;ct=a=b\tc", "offset 11: expected ',' or ';'" },
		{ "</1>;rt=\"abc", "offset 8: unterminated quoted string" },
		{ "</1>;rt=\"", "offset 8: unterminated quoted string" },
		{ "</1>;rt=\"abc\\", "offset 8: unterminated quoted string" },
		{ "</1>;rt=\"abc\\\"", "offset 8: unterminated quoted string" },
		{ "</1>;rt=\"a\"b", "offset 11: expected ',' or ';'" },
		{ "</1>;rt=\"a\"\"b\"", "offset 11: expected ',' or ';'" },
		{ "</1>;rt=\"a\tb\"", "offset 10: bad byte 0x09 in quoted string" },
		{ "</1>;rt=\"a\x7f\"", "offset 10: bad byte 0x7f in quoted string" },
		{ "</1>;rt=\"\\\x01\"", "offset 10: bad byte 0x01 in quoted string" },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		links_fail(t[i].body, strlen(t[i].body), t[i].err);
}

static void
test_links_non_ascii(void **state)
{
	static const struct {
		const char	*body;
		const char	*err;
	} t[] = {
		{ "\xff", "offset 0: expected '<'" },
		{ "</\xc3\xa9>", "offset 2: bad byte 0xc3 in URI" },
		{ "</1>;\xc3\xa9=1", "offset 5: expected attribute name" },
		{ "</1>;rt=\xc3\xa9", "offset 8: expected attribute value" },
		{ "</1>;rt=a\x80", "offset 9: expected ',' or ';'" },
		{ "</1>;t=\"\xc3\x28\"", "offset 8: bad UTF-8" },	/* bad tail */
		{ "</1>;t=\"\xc3\"", "offset 8: bad UTF-8" },	/* cut short */
		{ "</1>;t=\"\xc3", "offset 8: bad UTF-8" },	/* at the end */
		{ "</1>;t=\"\xc0\xaf\"", "offset 8: bad UTF-8" },	/* overlong */
		{ "</1>;t=\"\xe0\x80\xaf\"", "offset 8: bad UTF-8" },
		{ "</1>;t=\"\xed\xa0\x80\"", "offset 8: bad UTF-8" },	/* surrogate */
		{ "</1>;t=\"\xf4\x90\x80\x80\"", "offset 8: bad UTF-8" },
		{ "</1>;t=\"\xf8\x88\x80\x80\x80\"", "offset 8: bad UTF-8" },
		{ "</1>;t=\"\x80\"", "offset 8: bad UTF-8" },
		{ "</1>;t=\"\\\xc3\xa9\"", "offset 9: bad byte 0xc3" },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		links_fail(t[i].body, strlen(t[i].body), t[i].err);
}

static void
test_links_embedded_nul(void **state)
{
	struct seen	 s;
	char		 err[128], *keep;

	(void)state;
	links_fail("</1>\0,</2>", 10, "offset 4: expected ',' or ';'");
	links_fail("</1\0>", 5, "offset 3: bad byte 0x00 in URI");
	links_fail("<\0/1>", 5, "offset 1: expected '/'");
	links_fail("</1>;rt=\"a\0b\"", 14,
	    "offset 10: bad byte 0x00 in quoted string");
	links_fail("</1>;rt=a\0b", 11, "offset 9: expected ',' or ';'");
	links_fail("</1>;r\0t=a", 10, "offset 6: expected ',' or ';'");
	links_fail("\0</1>", 5, "offset 0: expected '<'");

	/* The length, not a NUL, ends the body: bytes past len are unseen. */
	memset(&s, 0, sizeof s);
	assert_int_equal(links("</1>garbage", 4, &s, &keep, err, sizeof err),
	    0);
	assert_int_equal(s.nlinks, 1);
	free(keep);
}

static void
test_links_attr_limit(void **state)
{
	struct seen	 s;
	char		 body[1024], want[64], name[8], value[8], err[128];
	char		*keep;
	size_t		 n, k, len;

	(void)state;
	for (n = 1; n <= 100; n++) {
		len = (size_t)snprintf(body, sizeof body, "</3/0>");
		for (k = 0; k < n; k++)
			len += (size_t)snprintf(body + len, sizeof body - len,
			    ";a%zu=%zu", k, k);
		assert_true(len < sizeof body);
		memset(&s, 0, sizeof s);
		if (n <= LWM2M_LINK_ATTRS) {
			assert_int_equal(links(body, len, &s, &keep, err,
			    sizeof err), 0);
			assert_int_equal(s.nlinks, 1);
			assert_int_equal(s.links[0].nattrs, n);
			snprintf(name, sizeof name, "a%zu", n - 1);
			snprintf(value, sizeof value, "%zu", n - 1);
			assert_attr(&s.links[0], n - 1, name, value);
		} else {
			/* The error is at the 17th ';', after ";a15=15". */
			snprintf(want, sizeof want, "offset %zu: too many "
			    "attributes (max 16)", (size_t)(strstr(body,
			    ";a15=15;") - body) + 7);
			assert_int_equal(links(body, len, &s, &keep, err,
			    sizeof err), -1);
			assert_int_equal(s.nlinks, 0);
			assert_string_equal(err, want);
		}
		free(keep);
	}
}

static void
test_links_many_lt(void **state)
{
	const size_t	 len = 64 * 1024;
	struct seen	 s;
	char		*body, err[128], *keep;
	size_t		 i, n;

	(void)state;
	body = malloc(len);
	assert_non_null(body);
	memset(body, '<', len);
	links_fail(body, len, "offset 1: expected '/'");
	body[1] = '/';
	links_fail(body, len, "offset 2: bad byte 0x3c in URI");
	memset(body, '/', len);
	body[0] = '<';
	links_fail(body, len, "offset 65536: expected '>'");

	/* 13107 links of "</1>,", the last one without its comma. */
	n = len / 5;
	for (i = 0; i < n; i++)
		memcpy(body + i * 5, "</1>,", 5);
	memset(&s, 0, sizeof s);
	assert_int_equal(links(body, n * 5 - 1, &s, &keep, err, sizeof err),
	    0);
	assert_int_equal(s.nlinks, n);
	free(keep);
	memset(&s, 0, sizeof s);
	assert_int_equal(links(body, n * 5, &s, &keep, err, sizeof err), -1);
	free(keep);
	assert_int_equal(s.nlinks, 0);
	snprintf(body, len, "offset %zu: expected '<'", n * 5);
	assert_string_equal(err, body);
	free(body);
}

/*
 * Parses every prefix of body. Each must parse or fail with a reason whose
 * offset lies inside the prefix; returns a bit mask of the lengths that
 * parsed (lengths past 63 only count).
 */
static uint64_t
links_prefixes(const char *body, size_t *nok)
{
	struct seen	 s;
	char		 err[128], *keep, *end;
	size_t		 len, total = strlen(body);
	unsigned long	 off;
	uint64_t	 ok = 0;
	int		 rc;

	*nok = 0;
	for (len = 0; len <= total; len++) {
		memset(&s, 0, sizeof s);
		memset(err, 'x', sizeof err);
		rc = links(body, len, &s, &keep, err, sizeof err);
		free(keep);
		assert_non_null(memchr(err, '\0', sizeof err));
		if (rc == 0) {
			assert_string_equal(err, "");
			if (len < 64)
				ok |= (uint64_t)1 << len;
			(*nok)++;
			continue;
		}
		assert_int_equal(rc, -1);
		assert_int_equal(s.nlinks, 0);
		if (strncmp(err, "offset ", 7) != 0)
			fail_msg("prefix %zu: error \"%s\"", len, err);
		off = strtoul(err + 7, &end, 10);
		assert_true(end != err + 7 && *end == ':');
		assert_true(off <= len);
	}
	return (ok);
}

static void
test_links_truncated(void **state)
{
	/* "</1/0>,</3/0>,</3303/0>;ver=1.1": where a prefix is a body. */
	const size_t	 good[] = { 0, 6, 13, 23, 25, 26, 27, 29, 30, 31 };
	const char	*more[] = { wakaama, leshan,
	    "</1>;obs;q=\"x,\\\"y\";e=\"\";t=\"caf\xc3\xa9\",</2/0>" };
	uint64_t	 want = 0;
	size_t		 i, nok;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		want |= (uint64_t)1 << good[i];
	assert_int_equal(strlen(zephyr), 31);
	assert_int_equal(links_prefixes(zephyr, &nok), want);
	assert_int_equal(nok, sizeof good / sizeof good[0]);

	for (i = 0; i < sizeof more / sizeof more[0]; i++) {
		links_prefixes(more[i], &nok);
		assert_true(nok >= 2);	/* at least "" and the whole body */
	}
}

static void
test_links_err_buffer(void **state)
{
	char	err[16], *keep;

	(void)state;
	/* A short buffer is cut and still terminated; nothing past errlen. */
	memset(err, 'x', sizeof err);
	assert_int_equal(links("</1>;rt=\"abc", 12, NULL, &keep, err, 8), -1);
	free(keep);
	assert_string_equal(err, "offset ");
	assert_int_equal(err[8], 'x');

	memset(err, 'x', sizeof err);
	assert_int_equal(links("</1", 3, NULL, &keep, err, 1), -1);
	free(keep);
	assert_int_equal(err[0], '\0');
	assert_int_equal(err[1], 'x');

	/* No buffer at all. */
	assert_int_equal(links("</1", 3, NULL, &keep, NULL, 0), -1);
	free(keep);
	memset(err, 'x', sizeof err);
	assert_int_equal(links("</1", 3, NULL, &keep, err, 0), -1);
	free(keep);
	assert_int_equal(err[0], 'x');
	assert_int_equal(lwm2m_parse_links(NULL, 5, NULL, NULL, err,
	    sizeof err), -1);
}

/*
 * Uri-Query parameters.
 */

static void
test_query_register(void **state)
{
	struct lwm2m_params	p;

	(void)state;
	memset(&p, 0, sizeof p);
	query_ok(&p, "ep=urn:imei:359072061234567");
	query_ok(&p, "lt=300");
	query_ok(&p, "lwm2m=1.1");
	query_ok(&p, "b=U");
	query_ok(&p, "Q");
	query_ok(&p, "sms=+15551234567");
	query_ok(&p, "pid=7");
	assert_string_equal(p.ep, "urn:imei:359072061234567");
	assert_int_equal(p.lifetime, 300);
	assert_string_equal(p.version, "1.1");
	assert_string_equal(p.binding, "U");
	assert_true(p.has_ep && p.has_lifetime && p.has_version &&
	    p.has_binding && p.queue_mode);
}

static void
test_query_ep(void **state)
{
	struct lwm2m_params	p;
	char			opt[80];

	(void)state;
	memset(&p, 0, sizeof p);
	query_ok(&p, "ep=node-1");
	assert_true(p.has_ep);
	assert_string_equal(p.ep, "node-1");
	query_fail_on(&p, "ep=node-2", 9, "ep: repeated");
	assert_string_equal(p.ep, "node-1");

	memset(&p, 0, sizeof p);
	query_ok(&p, "ep=aZ09-._:~@+!$*");
	assert_string_equal(p.ep, "aZ09-._:~@+!$*");
	/* The value is all after the first '=': '=' and '&' are the name's. */
	memset(&p, 0, sizeof(p));
	query_ok(&p, "ep=<img src=x onerror=alert(1)>");
	assert_string_equal(p.ep, "<img src=x onerror=alert(1)>");
	memset(&p, 0, sizeof(p));
	query_ok(&p, "ep=a=b&c \xc3\xa9");
	assert_string_equal(p.ep, "a=b&c \xc3\xa9");

	/* 63 characters fit, 64 do not. */
	memset(&p, 0, sizeof p);
	memcpy(opt, "ep=", 3);
	memset(opt + 3, 'e', 64);
	opt[3 + 63] = '\0';
	query_ok(&p, opt);
	assert_int_equal(strlen(p.ep), 63);
	opt[3 + 63] = 'e';
	opt[3 + 64] = '\0';
	query_fail(opt, "ep: too long (max 63)");

	query_fail("ep=", "ep: missing value");
	query_fail("ep", "ep: missing value");
	query_fail("ep= a", "ep: begins or ends with a space");
	query_fail("ep=a/b", "ep: bad character 0x2f");
	query_fail("ep=a%2fb", "ep: bad character 0x25");
	query_fail("ep=a?b", "ep: bad character 0x3f");
	query_fail("ep=a#b", "ep: bad character 0x23");
	query_fail("ep=\xc3(", "ep: not UTF-8 text");
	query_fail("ep=a\x7f", "ep: bad character 0x7f");
	query_fail("ep=a\tb", "ep: bad character 0x09");
}

/* An endpoint name alone, as the HTTP API and the parsers of its bodies
 * check one: the rules of ep= above. */
static void
test_check_ep(void **state)
{
	char	name[80], err[80];

	(void)state;
	assert_int_equal(lwm2m_check_ep("aZ09-._:~@+!$*", err, sizeof err), 0);
	assert_string_equal(err, "");
	memset(name, 'e', 63);
	name[63] = '\0';
	assert_int_equal(lwm2m_check_ep(name, err, sizeof err), 0);
	name[63] = 'e';
	name[64] = '\0';
	assert_int_equal(lwm2m_check_ep(name, err, sizeof err), -1);
	assert_string_equal(err, "ep must be 1..63 characters");
	assert_int_equal(lwm2m_check_ep("", err, sizeof err), -1);
	assert_string_equal(err, "ep must be 1..63 characters");
	/* LwM2M allows any name: UTF-8 text, markup and all, is a name. */
	assert_int_equal(lwm2m_check_ep("<img src=x onerror=alert(1)>", err,
	    sizeof err), 0);
	assert_int_equal(lwm2m_check_ep("Pump 7 (Hall B) =&;,'[]{}|^`<>",
	    err, sizeof err), 0);
	assert_int_equal(lwm2m_check_ep("caf\xc3\xa9-\xe6\xb0\xb4-\xf0\x9f\x8c"
	    "\x8a", err, sizeof err), 0);
	/* What would end a path segment or a query, or need quoting. */
	assert_int_equal(lwm2m_check_ep("a/b", err, sizeof err), -1);
	assert_string_equal(err, "ep: bad character 0x2f");
	assert_int_equal(lwm2m_check_ep("a?b", err, sizeof err), -1);
	assert_int_equal(lwm2m_check_ep("a#b", err, sizeof err), -1);
	assert_int_equal(lwm2m_check_ep("a%2fb", err, sizeof err), -1);
	assert_string_equal(err, "ep: bad character 0x25");
	assert_int_equal(lwm2m_check_ep("a\"b", err, sizeof err), -1);
	assert_int_equal(lwm2m_check_ep("a\\b", err, sizeof err), -1);
	/* Controls, C1 controls too, and what is not UTF-8. */
	assert_int_equal(lwm2m_check_ep("a\nb", err, sizeof err), -1);
	assert_string_equal(err, "ep: bad character 0x0a");
	assert_int_equal(lwm2m_check_ep("a\x1b[31m", err, sizeof err), -1);
	assert_int_equal(lwm2m_check_ep("a\x7f", err, sizeof err), -1);
	assert_int_equal(lwm2m_check_ep("a\xc2\x85", err, sizeof err), -1);
	assert_string_equal(err, "ep: not UTF-8 text");
	assert_int_equal(lwm2m_check_ep("\xc3", err, sizeof err), -1);
	assert_int_equal(lwm2m_check_ep("\xc0\xaf", err, sizeof err), -1);
	assert_int_equal(lwm2m_check_ep("\xed\xa0\x80", err, sizeof err), -1);
	assert_int_equal(lwm2m_check_ep("\xff", err, sizeof err), -1);
	/* Spaces inside, never at an end: "pump 7" and "pump 7 " differ. */
	assert_int_equal(lwm2m_check_ep("a b", err, sizeof err), 0);
	assert_int_equal(lwm2m_check_ep(" ab", err, sizeof err), -1);
	assert_string_equal(err, "ep: begins or ends with a space");
	assert_int_equal(lwm2m_check_ep("ab ", err, sizeof err), -1);
	memset(err, 'x', sizeof err);
	assert_int_equal(lwm2m_check_ep("a/b", err, 0), -1);
	assert_int_equal(err[0], 'x');
}

static void
test_query_lt(void **state)
{
	static const struct {
		const char	*opt;
		uint32_t	 lt;
		const char	*err;
	} t[] = {
		{ "lt=1", 1, NULL },
		{ "lt=300", 300, NULL },
		{ "lt=2147483647", 2147483647u, NULL },
		{ "lt=0002147483647", 2147483647u, NULL },
		{ "lt=0", 0, "lt: out of range (1..2147483647)" },
		{ "lt=000", 0, "lt: out of range (1..2147483647)" },
		{ "lt=2147483648", 0, "lt: out of range (1..2147483647)" },
		{ "lt=4294967296", 0, "lt: out of range (1..2147483647)" },
		{ "lt=4294967597", 0, "lt: out of range (1..2147483647)" },
		{ "lt=18446744073709551917", 0,
		    "lt: out of range (1..2147483647)" },
		{ "lt=99999999999999999999", 0,
		    "lt: out of range (1..2147483647)" },
		{ "lt=-5", 0, "lt: not a number" },
		{ "lt=+5", 0, "lt: not a number" },
		{ "lt=5x", 0, "lt: not a number" },
		{ "lt= 5", 0, "lt: not a number" },
		{ "lt=5 ", 0, "lt: not a number" },
		{ "lt=0x10", 0, "lt: not a number" },
		{ "lt=1e3", 0, "lt: not a number" },
		{ "lt=99999999999999999999x", 0, "lt: not a number" },
		{ "lt=", 0, "lt: missing value" },
		{ "lt", 0, "lt: missing value" },
	};
	struct lwm2m_params	p;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(&p, 0, sizeof p);
		if (t[i].err != NULL) {
			query_fail(t[i].opt, t[i].err);
			continue;
		}
		query_ok(&p, t[i].opt);
		assert_true(p.has_lifetime);
		assert_int_equal(p.lifetime, t[i].lt);
	}
	memset(&p, 0, sizeof p);
	query_ok(&p, "lt=60");
	query_fail_on(&p, "lt=60", 5, "lt: repeated");
	assert_int_equal(p.lifetime, 60);
}

static void
test_query_version(void **state)
{
	static const char	*good[] = { "1.0", "1.1", "1.2", "10.20",
	    "12345.6" };
	static const char	*bad[] = { "1", "1.", ".1", ".", "1.1.1",
	    "1.a", "a.1", "v1.1", "1,1", "-1.1" };
	struct lwm2m_params	 p;
	char			 opt[32];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		memset(&p, 0, sizeof p);
		snprintf(opt, sizeof opt, "lwm2m=%s", good[i]);
		query_ok(&p, opt);
		assert_true(p.has_version);
		assert_string_equal(p.version, good[i]);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(opt, sizeof opt, "lwm2m=%s", bad[i]);
		query_fail(opt, "lwm2m: not a version (like 1.1)");
	}
	query_fail("lwm2m=12345.67", "lwm2m: too long (max 7)");
	query_fail("lwm2m=", "lwm2m: missing value");
	query_fail("lwm2m", "lwm2m: missing value");
	memset(&p, 0, sizeof p);
	query_ok(&p, "lwm2m=1.0");
	query_fail_on(&p, "lwm2m=1.1", 9, "lwm2m: repeated");
	assert_string_equal(p.version, "1.0");
}

static void
test_query_binding(void **state)
{
	struct lwm2m_params	p;

	(void)state;
	memset(&p, 0, sizeof p);
	query_ok(&p, "b=U");
	assert_true(p.has_binding);
	assert_string_equal(p.binding, "U");
	assert_false(p.queue_mode);
	query_fail_on(&p, "b=T", 3, "b: repeated");

	memset(&p, 0, sizeof p);
	query_ok(&p, "b=UQ");
	assert_string_equal(p.binding, "UQ");
	assert_true(p.queue_mode);

	memset(&p, 0, sizeof p);
	query_ok(&p, "b=QNSTU");
	assert_string_equal(p.binding, "QNSTU");
	assert_true(p.queue_mode);

	query_fail("b=UU", "b: repeated letter 'U'");
	query_fail("b=UQSQ", "b: repeated letter 'Q'");
	query_fail("b=u", "b: bad binding 0x75");
	query_fail("b=UX", "b: bad binding 0x58");
	query_fail("b=U Q", "b: bad binding 0x20");
	query_fail("b=", "b: missing value");
	query_fail("b", "b: missing value");
}

static void
test_query_queue(void **state)
{
	struct lwm2m_params	p, zero;

	(void)state;
	memset(&p, 0, sizeof p);
	memset(&zero, 0, sizeof zero);
	query_ok(&p, "Q");
	assert_true(p.queue_mode);
	p.queue_mode = 0;
	assert_memory_equal(&p, &zero, sizeof p);	/* nothing else set */
	query_fail("Q=", "Q: takes no value");
	query_fail("Q=1", "Q: takes no value");
	query_fail("q", "unknown parameter 'q'");

	/* sms and pid are known and ignored, with or without a value. */
	memset(&p, 0, sizeof p);
	query_ok(&p, "sms=+15551234567");
	query_ok(&p, "sms");
	query_ok(&p, "pid=");
	query_ok(&p, "pid=a=b");
	assert_memory_equal(&p, &zero, sizeof p);
}

static void
test_query_bad_keys(void **state)
{
	struct lwm2m_params	p;
	char			opt[256];

	(void)state;
	query_fail("foo=1", "unknown parameter 'foo'");
	query_fail("foo", "unknown parameter 'foo'");
	query_fail("EP=x", "unknown parameter 'EP'");
	query_fail("ep =x", "unknown parameter 'ep '");
	query_fail("=x", "empty parameter name");
	query_fail("=", "empty parameter name");
	query_fail("", "empty parameter");
	query_fail("f\x01\xff=1", "unknown parameter 'f?\?'");

	/* A long key is cut in the message. */
	memset(opt, 'k', 200);
	opt[200] = '\0';
	query_fail(opt, "unknown parameter "
	    "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...'");

	/* Embedded NUL, in the key or the value. */
	memset(&p, 0, sizeof p);
	query_fail_on(&p, "ep=no\0de", 8, "ep: embedded NUL");
	query_fail_on(&p, "l\0t=5", 5, "l?t: embedded NUL");
	query_fail_on(&p, "Q\0", 2, "Q?: embedded NUL");
	query_fail_on(&p, "sms=1\0", 6, "sms: embedded NUL");
	query_fail_on(&p, "\0", 1, "?: embedded NUL");

	assert_int_equal(lwm2m_parse_query(&p, NULL, 0, NULL, 0), -1);
	assert_int_equal(lwm2m_parse_query(&p, NULL, 3, opt, 1), -1);
	assert_int_equal(opt[0], '\0');
}

static void
test_object_path(void **state)
{
	static const struct {
		const char	*uri;
		int		 want;
	} t[] = {
		{ "/0", 1 }, { "/3", 1 }, { "/3/0", 1 }, { "/3303/12", 1 },
		{ "/65535", 1 }, { "/65535/65535", 1 }, { "/0/0", 1 },
		{ "", 0 }, { "/", 0 }, { "//", 0 }, { "//3", 0 }, { "/3/", 0 },
		{ "/3//0", 0 }, { "/3/0/1", 0 }, { "/3/0/1/2", 0 },
		{ "/65536", 0 }, { "/3/65536", 0 }, { "/99999999999999999999", 0 },
		{ "/03", 0 }, { "/00", 0 }, { "/3/00", 0 }, { "/3/01", 0 },
		{ "/-1", 0 }, { "/+1", 0 }, { "/3a", 0 }, { "/a", 0 },
		{ "3", 0 }, { "3/0", 0 }, { "/lwm2m", 0 }, { "/lwm2m/1/0", 0 },
		{ " /3", 0 }, { "/3 ", 0 }, { "/\xc3\xa9", 0 },
	};
	char	*keep;
	size_t	 i, len;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		len = strlen(t[i].uri);
		keep = dup_exact(t[i].uri, len);
		if (lwm2m_is_object_path(keep, len) != t[i].want)
			fail_msg("\"%s\": want %d", t[i].uri, t[i].want);
		free(keep);
	}
	/* The length, not a NUL, ends the URI. */
	assert_int_equal(lwm2m_is_object_path("/3/0/1", 4), 1);
	assert_int_equal(lwm2m_is_object_path("/3\0", 3), 0);
	assert_int_equal(lwm2m_is_object_path(NULL, 0), 0);
	assert_int_equal(lwm2m_is_object_path(NULL, 4), 0);
}

/* The formats a client's root link lists (ct, LwM2M 1.1 Core 6.2.1). */
static void
test_root_reads(void **state)
{
	static const char a[] = "</>;ct=110,</1/0>,</3/0>";
	static const char b[] = "</>;rt=\"oma.lwm2m\";ct=\"60 112 11542\",</3/0>";
	static const char c[] = "</lwm2m>;rt=\"oma.lwm2m\";ct=110;ct=112,"
	    "</lwm2m/3/0>";
	static const char d[] = "</1/0>;ct=112,</3/0>";
	static const char e[] = "</>;ct=\"1120 11\";rt=\"x\",</3/0>";

	(void)state;
	assert_true(lwm2m_root_reads(a, strlen(a), 110));
	assert_false(lwm2m_root_reads(a, strlen(a), 112));
	assert_false(lwm2m_root_reads(a, strlen(a), 11));
	assert_true(lwm2m_root_reads(b, strlen(b), 60));
	assert_true(lwm2m_root_reads(b, strlen(b), 112));
	assert_true(lwm2m_root_reads(b, strlen(b), 11542));
	assert_false(lwm2m_root_reads(b, strlen(b), 110));
	assert_false(lwm2m_root_reads(b, strlen(b), 1154));
	assert_true(lwm2m_root_reads(c, strlen(c), 112));
	assert_true(lwm2m_root_reads(c, strlen(c), 110));
	assert_false(lwm2m_root_reads(c, strlen(c), 11542));
	/* Only the root's ct counts. */
	assert_false(lwm2m_root_reads(d, strlen(d), 112));
	/* Whole numbers only. */
	assert_false(lwm2m_root_reads(e, strlen(e), 112));
	assert_true(lwm2m_root_reads(e, strlen(e), 1120));
	assert_true(lwm2m_root_reads(e, strlen(e), 11));
	/* Nothing said, nothing parsed. */
	assert_false(lwm2m_root_reads("", 0, 112));
	assert_false(lwm2m_root_reads(NULL, 0, 112));
	assert_false(lwm2m_root_reads("</>;ct=112,<", 12, 112));
	assert_false(lwm2m_root_reads("</>;ct", 6, 112));
	assert_false(lwm2m_root_reads("</>;ct=999999999999112", 22, 112));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links_wakaama),
		cmocka_unit_test(test_links_zephyr),
		cmocka_unit_test(test_links_leshan),
		cmocka_unit_test(test_links_empty),
		cmocka_unit_test(test_links_attr_forms),
		cmocka_unit_test(test_links_callback_stops),
		cmocka_unit_test(test_links_validated_first),
		cmocka_unit_test(test_links_errors),
		cmocka_unit_test(test_links_non_ascii),
		cmocka_unit_test(test_links_embedded_nul),
		cmocka_unit_test(test_links_attr_limit),
		cmocka_unit_test(test_links_many_lt),
		cmocka_unit_test(test_links_truncated),
		cmocka_unit_test(test_links_err_buffer),
		cmocka_unit_test(test_query_register),
		cmocka_unit_test(test_query_ep),
		cmocka_unit_test(test_check_ep),
		cmocka_unit_test(test_query_lt),
		cmocka_unit_test(test_query_version),
		cmocka_unit_test(test_query_binding),
		cmocka_unit_test(test_query_queue),
		cmocka_unit_test(test_query_bad_keys),
		cmocka_unit_test(test_object_path),
		cmocka_unit_test(test_root_reads),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
