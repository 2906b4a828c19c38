/*
 * test_tokens.c: unit tests for proxy/tokens.c: the token file parser with
 * good and hostile files (errors name the line and never a token), the
 * constant-time comparison, roles, and the token bucket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/tokens.h"

#define T1	"tok1-0123456789abcdef"
#define T2	"tok2-0123456789abcdef"
#define T3	"dG9rZW4tMDEyMzQ1Njc4OWFi+/=="

static struct auth_token toks[8];

/* Whether t is the token s. */
static int
is(const struct auth_token *t, const char *s)
{
	unsigned char d[AUTH_DIGEST_LEN];

	assert_int_equal(auth_token_digest(s, strlen(s), d), 0);
	return auth_token_equal(t, d);
}

/* "sha256:" and the hex of s's SHA-256 into buf. */
static const char *
hashed(const char *s, char *buf)
{
	unsigned char d[AUTH_DIGEST_LEN];
	size_t i;

	assert_int_equal(auth_token_digest(s, strlen(s), d), 0);
	strcpy(buf, AUTH_HASH_PREFIX);
	for (i = 0; i < AUTH_DIGEST_LEN; i++)
		sprintf(buf + strlen(buf), "%02x", d[i]);
	return buf;
}

/* Parses an exact-size heap copy of text (len bytes, NULs allowed). */
static int
parse_n(const char *text, size_t len, size_t max, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	int n;

	assert_non_null(copy);
	memcpy(copy, text, len);
	err[0] = '\0';
	n = auth_parse_tokens(copy, len, toks, max, err, errlen);
	free(copy);
	return n;
}

static int
parse(const char *text, char *err, size_t errlen)
{
	return parse_n(text, strlen(text), 8, err, errlen);
}

static void
test_good_file(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(parse("# tokens of the API\n\n" T1 " admin\r\n"
	    "\t" T2 "\t operate  \n" T3 " read", err, sizeof(err)), 3);
	assert_true(is(&toks[0], T1));
	assert_int_equal(toks[0].role, AUTH_ADMIN);
	assert_true(is(&toks[1], T2));
	assert_false(is(&toks[1], T1));
	assert_int_equal(toks[1].role, AUTH_OPERATE);
	assert_true(is(&toks[2], T3));
	assert_int_equal(toks[2].role, AUTH_READ);
	assert_int_equal(parse("", err, sizeof(err)), 0);
	assert_int_equal(parse("\n\n   \n# only comments\n", err,
	    sizeof(err)), 0);
}

/* Each hostile file fails with its message, which never holds a token. */
static void
test_hostile_files(void **state)
{
	static const struct {
		const char	*text;
		const char	*msg;
	} cases[] = {
		{ "short read\n", "line 1: a token must be 16..128" },
		{ "# c\n" T1 " root\n", "line 2: the role must be read" },
		{ T1 " Admin\n", "line 1: the role must be" },
		{ T1 " adminx\n", "line 1: the role must be" },
		{ T1 " admi\n", "line 1: the role must be" },
		{ T1 "\n", "line 1: expected TOKEN ROLE" },
		{ T1 " read # comment\n", "line 1: text after the role" },
		{ T1 " read\n" T1 " admin\n", "line 2: a token appears twice" },
		{ "tok\"0123456789abcdef read\n", "line 1: a token may hold" },
		{ "tok=0123456789abcdef read\n", "line 1: a token may hold" },
		{ "================ read\n", "line 1: a token may hold" },
		{ "tok\x80" "0123456789abcdef read\n", "line 1: a token may" },
		{ "tok\r0123456789abcdef read\n", "line 1: a token may" },
		{ T1 " read\r\r\n", "line 1: the role must be" },
		{ "\n\n" T1 " read\r\n" T2 " read\rx\n", "line 4: the role must" },
	};
	char err[128], long_tok[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, err, sizeof(err)), -1);
		if (strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
			    cases[i].msg);
		assert_null(strstr(err, "0123456789"));
	}
	/* 128 characters pass, 129 do not. */
	memset(long_tok, 'a', sizeof(long_tok));
	memcpy(long_tok + 128, " read", 6);
	assert_int_equal(parse(long_tok, err, sizeof(err)), 1);
	long_tok[128] = '\0';
	assert_true(is(&toks[0], long_tok));
	memset(long_tok, 'a', sizeof(long_tok));
	memcpy(long_tok + 129, " read", 6);
	assert_int_equal(parse(long_tok, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "16..128"));
	/* A NUL inside a line. */
	assert_int_equal(parse_n(T1 " read\n" T2 "\0 read\n",
	    sizeof(T1 " read\n" T2 "\0 read\n") - 1, 8, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: NUL byte");
	/* More tokens than room. */
	assert_int_equal(parse_n(T1 " read\n" T2 " read\n" T3 " read\n",
	    strlen(T1 " read\n" T2 " read\n" T3 " read\n"), 2, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "line 3: more than 2 tokens"));
	/* A tiny error buffer is still a NUL-terminated string. */
	assert_int_equal(parse("x read\n", err, 5), -1);
	assert_int_equal(strlen(err), 4);
}

/* A file may give a token's SHA-256 instead of the token. */
static void
test_hashed_tokens(void **state)
{
	char text[512], h[80], h2[80], err[128];

	(void)state;
	snprintf(text, sizeof(text), "%s admin\n%s read\n", hashed(T1, h),
	    hashed(T2, h2));
	/* Upper-case hex too. */
	for (char *p = text + strlen(AUTH_HASH_PREFIX); *p != ' '; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(parse(text, err, sizeof(err)), 2);
	assert_true(is(&toks[0], T1));
	assert_int_equal(toks[0].role, AUTH_ADMIN);
	assert_true(is(&toks[1], T2));
	/* The hash is no token: presented, it is hashed again. */
	assert_false(is(&toks[0], hashed(T1, h)));
	/* A token and its hash are the same token. */
	snprintf(text, sizeof(text), "%s admin\n" T1 " read\n",
	    hashed(T1, h));
	assert_int_equal(parse(text, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: a token appears twice");
	/* Bad hashes. */
	hashed(T1, h);
	h[strlen(h) - 1] = 'g';
	snprintf(text, sizeof(text), "%s read\n", h);
	assert_int_equal(parse(text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 1: a hashed token is sha256: and 64"));
	hashed(T1, h);
	h[strlen(h) - 1] = '\0';
	snprintf(text, sizeof(text), "%s read\n", h);
	assert_int_equal(parse(text, err, sizeof(err)), -1);
	assert_int_equal(parse("sha256: read\n", err, sizeof(err)), -1);
	assert_int_equal(parse("sha256:" "00000000000000000000000000000000"
	    "000000000000000000000000000000000 read\n", err, sizeof(err)),
	    -1);
}

static void
test_token_equal(void **state)
{
	unsigned char d[AUTH_DIGEST_LEN];
	char err[64];
	size_t n = 0;

	(void)state;
	assert_int_equal(auth_token_add(toks, &n, 8, T1, strlen(T1),
	    AUTH_READ, err, sizeof(err)), 0);
	assert_int_equal(auth_token_digest(T1, strlen(T1), d), 0);
	assert_true(auth_token_equal(&toks[0], d));
	d[AUTH_DIGEST_LEN - 1] ^= 1;
	assert_false(auth_token_equal(&toks[0], d));
	assert_false(is(&toks[0], T2));
	assert_int_equal(auth_token_digest(T1, strlen(T1) - 1, d), 0);
	assert_false(auth_token_equal(&toks[0], d));
}

static void
test_roles(void **state)
{
	(void)state;
	assert_int_equal(auth_role_parse("read", 4), AUTH_READ);
	assert_int_equal(auth_role_parse("operate", 7), AUTH_OPERATE);
	assert_int_equal(auth_role_parse("admin", 5), AUTH_ADMIN);
	assert_int_equal(auth_role_parse("admin", 4), -1);
	assert_int_equal(auth_role_parse("none", 4), -1);
	assert_int_equal(auth_role_parse("", 0), -1);
	assert_true(AUTH_READ < AUTH_OPERATE && AUTH_OPERATE < AUTH_ADMIN);
	/* A route without a role is an admin route. */
	assert_string_equal(auth_role_name(AUTH_UNSET), "admin");
	assert_string_equal(auth_role_name(AUTH_PUBLIC), "none");
}

static void
test_bucket(void **state)
{
	struct auth_bucket b;
	int retry = 0, i;

	(void)state;
	memset(&b, 0, sizeof(b));
	/* Starts full: burst requests at once, then 429 for 1 s. */
	for (i = 0; i < 5; i++)
		assert_int_equal(auth_bucket_take(&b, 2, 5, 1000, &retry), 1);
	assert_int_equal(auth_bucket_take(&b, 2, 5, 1000, &retry), 0);
	assert_int_equal(retry, 1);
	/* 2 per second: one more after 500 ms, not before. */
	assert_int_equal(auth_bucket_take(&b, 2, 5, 1400, &retry), 0);
	assert_int_equal(auth_bucket_take(&b, 2, 5, 1500, &retry), 1);
	assert_int_equal(auth_bucket_take(&b, 2, 5, 1500, &retry), 0);
	/* A long quiet spell refills to burst, not beyond. */
	for (i = 0; i < 5; i++)
		assert_int_equal(auth_bucket_take(&b, 2, 5, 100000, &retry),
		    1);
	assert_int_equal(auth_bucket_take(&b, 2, 5, 100000, &retry), 0);
	/* A clock that steps back adds nothing. */
	assert_int_equal(auth_bucket_take(&b, 2, 5, 50000, &retry), 0);
	/* A slow rate gives a longer Retry-After. */
	memset(&b, 0, sizeof(b));
	assert_int_equal(auth_bucket_take(&b, 1, 1, 5, &retry), 1);
	assert_int_equal(auth_bucket_take(&b, 1, 1, 5, &retry), 0);
	assert_int_equal(retry, 1);
	/* Rate 0: never limited. */
	memset(&b, 0, sizeof(b));
	for (i = 0; i < 1000; i++)
		assert_int_equal(auth_bucket_take(&b, 0, 1, 7, &retry), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_hashed_tokens),
		cmocka_unit_test(test_token_equal),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
