/*
 * test_manifest.c: unit tests for lwm2m/manifest.c: sign and verify
 * round trips, the canonical form, keyrings, and hostile documents
 * (truncated, wrong types, missing, repeated and unknown members, huge
 * numbers, bad hex, a flipped signature bit, a field changed after
 * signing, an untrusted key). Every document is handed over as an
 * exact-size heap copy without a NUL, so that ASan flags a read past it.
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

#include "hex.h"
#include "lwm2m/manifest.h"

static void *
xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		abort();
	return p;
}

static uint8_t seed[FW_KEY_LEN], pub[FW_KEY_LEN];
static uint8_t seed2[FW_KEY_LEN], pub2[FW_KEY_LEN];

static int
setup_keys(void **state)
{
	(void)state;
	if (fw_keypair_new(seed, pub) == -1 ||
	    fw_keypair_new(seed2, pub2) == -1)
		return -1;
	return 0;
}

/* A signed manifest with fixed fields. */
static void
sample(struct fw_manifest *m, const uint8_t *s)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->vendor, "acme");
	strcpy(m->class, "sensor-v2");
	strcpy(m->version, "1.4.0");
	strcpy(m->uri, "/fw/0123456789abcdef");
	m->seq = 42;
	m->size = 123456;
	memset(m->digest, 0xab, sizeof(m->digest));
	m->severity = FW_SEVERITY_NORMAL;
	assert_int_equal(fw_manifest_sign(m, s), 0);
}

static struct fw_keyring
ring(const uint8_t *k)
{
	struct fw_keyring kr;

	memset(&kr, 0, sizeof(kr));
	memcpy(kr.keys[0], k, FW_KEY_LEN);
	kr.n = 1;
	return kr;
}

/* fw_manifest_decode on an exact-size copy of doc[0..len). */
static enum fw_verdict
decode(const char *doc, size_t len, const struct fw_keyring *kr,
    struct fw_manifest *m)
{
	char err[256];
	char *copy = malloc(len ? len : 1);
	enum fw_verdict r;

	assert_non_null(copy);
	memcpy(copy, doc, len);
	err[0] = '\0';
	r = fw_manifest_decode(copy, len, kr, m, err, sizeof(err));
	free(copy);
	if (r != FW_OK)
		assert_true(err[0] != '\0');
	return r;
}

static void
test_round_trip(void **state)
{
	struct fw_manifest m, out;
	struct fw_keyring kr = ring(pub);
	char *doc;

	(void)state;
	sample(&m, seed);
	assert_memory_equal(m.key, pub, FW_KEY_LEN);
	doc = fw_manifest_json(&m);
	assert_non_null(doc);
	assert_int_equal(decode(doc, strlen(doc), &kr, &out), FW_OK);
	assert_memory_equal(&m, &out, sizeof(m));
	free(doc);
}

static void
test_canonical(void **state)
{
	struct fw_manifest m;
	char buf[FW_CANON_MAX];
	int n;

	(void)state;
	sample(&m, seed);
	n = fw_manifest_canonical(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(buf, "outpost-firmware-manifest-1\n"
	    "vendor=acme\nclass=sensor-v2\nversion=1.4.0\nseq=42\n"
	    "size=123456\nsha256="
	    "abababababababababababababababababababababababababababababababab"
	    "\nuri=/fw/0123456789abcdef\nseverity=normal\n");
	/* A newline in a field could forge another field: never signed. */
	strcpy(m.version, "1\nseq=99");
	assert_int_equal(fw_manifest_canonical(&m, buf, sizeof(buf)), -1);
	assert_int_equal(fw_manifest_sign(&m, seed), -1);
}

/* The JSON spelling does not matter: members reordered and spaced out. */
static void
test_spelling_free(void **state)
{
	struct fw_manifest m, out;
	struct fw_keyring kr = ring(pub);
	char hexd[65], hexk[65], hexs[129], doc[1024];

	(void)state;
	sample(&m, seed);
	hex_encode(m.digest, 32, hexd);
	hex_encode(m.key, 32, hexk);
	hex_encode(m.sig, 64, hexs);
	snprintf(doc, sizeof(doc), "{ \"signature\" : \"%s\", \"key\":\"%s\","
	    "\"severity\":\"normal\",\"uri\":\"\\/fw\\/0123456789abcdef\","
	    "\"sha256\":\"%s\",\"size\":1.23456e5,\"seq\":42,"
	    "\"version\":\"1.4.0\",\"class\":\"sensor-v2\",\"vendor\":"
	    "\"\\u0061cme\",\"format\":1}\n", hexs, hexk, hexd);
	assert_int_equal(decode(doc, strlen(doc), &kr, &out), FW_OK);
	assert_memory_equal(&m, &out, sizeof(m));
}

static void
test_bad_signature(void **state)
{
	struct fw_manifest m, out;
	struct fw_keyring kr = ring(pub);
	char *doc;
	size_t i;

	(void)state;
	sample(&m, seed);
	for (i = 0; i < FW_SIG_LEN * 8; i += 37) {
		struct fw_manifest t = m;

		t.sig[i / 8] ^= (uint8_t)(1 << (i % 8));
		doc = fw_manifest_json(&t);
		assert_int_equal(decode(doc, strlen(doc), &kr, &out),
		    FW_ERR_SIGNATURE);
		free(doc);
	}
	/* Every field is covered by the signature. */
	{
		struct fw_manifest t[6];

		for (i = 0; i < 6; i++)
			t[i] = m;
		t[0].seq++;
		t[1].size--;
		t[2].digest[31] ^= 1;
		strcpy(t[3].uri, "coap://evil/fw");
		t[4].severity = FW_SEVERITY_CRITICAL;
		strcpy(t[5].class, "sensor-v3");
		for (i = 0; i < 6; i++) {
			doc = fw_manifest_json(&t[i]);
			assert_int_equal(decode(doc, strlen(doc), &kr, &out),
			    FW_ERR_SIGNATURE);
			free(doc);
		}
	}
}

static void
test_wrong_key(void **state)
{
	struct fw_manifest m, out;
	struct fw_keyring kr = ring(pub2), empty;
	char *doc;

	(void)state;
	memset(&empty, 0, sizeof(empty));
	sample(&m, seed);
	doc = fw_manifest_json(&m);
	assert_int_equal(decode(doc, strlen(doc), &kr, &out),
	    FW_ERR_UNKNOWN_KEY);
	assert_int_equal(decode(doc, strlen(doc), &empty, &out),
	    FW_ERR_UNKNOWN_KEY);
	free(doc);
	/* Claiming a trusted key while signed by another one. */
	memcpy(m.key, pub2, FW_KEY_LEN);
	doc = fw_manifest_json(&m);
	assert_int_equal(decode(doc, strlen(doc), &kr, &out),
	    FW_ERR_SIGNATURE);
	free(doc);
}

static void
test_truncated(void **state)
{
	struct fw_manifest m, out;
	struct fw_keyring kr = ring(pub);
	char *doc;
	size_t len, i;

	(void)state;
	sample(&m, seed);
	doc = fw_manifest_json(&m);
	len = strlen(doc);
	for (i = 0; i < len; i++)
		assert_int_equal(decode(doc, i, &kr, &out), FW_ERR_FORMAT);
	free(doc);
}

/* Replaces member name's value in m's document with raw JSON text. */
static char *
with_member(const struct fw_manifest *m, const char *name, const char *raw)
{
	char *doc = fw_manifest_json(m), *out, *p, *end;
	char pat[64];

	snprintf(pat, sizeof(pat), "\"%s\":", name);
	p = strstr(doc, pat);
	assert_non_null(p);
	p += strlen(pat);
	end = p;
	if (*end == '"')
		end = strchr(end + 1, '"') + 1;
	else
		while (*end != ',' && *end != '}')
			end++;
	out = xmalloc(strlen(doc) + strlen(raw) + 1);
	sprintf(out, "%.*s%s%s", (int)(p - doc), doc, raw, end);
	free(doc);
	return out;
}

static void
hostile(const struct fw_manifest *m, const char *name, const char *raw)
{
	struct fw_keyring kr = ring(pub);
	struct fw_manifest out;
	char *doc = with_member(m, name, raw);

	if (decode(doc, strlen(doc), &kr, &out) != FW_ERR_FORMAT)
		fail_msg("accepted %s: %s", name, raw);
	free(doc);
}

static void
test_wrong_types(void **state)
{
	struct fw_manifest m;
	char big[400];

	(void)state;
	sample(&m, seed);
	hostile(&m, "format", "2");
	hostile(&m, "format", "\"1\"");
	hostile(&m, "vendor", "42");
	hostile(&m, "vendor", "\"\"");
	hostile(&m, "vendor", "null");
	hostile(&m, "vendor", "\"a\\nb\"");
	hostile(&m, "vendor", "\"caf\\u00e9\"");
	hostile(&m, "class", "[\"x\"]");
	hostile(&m, "version", "{}");
	hostile(&m, "seq", "\"42\"");
	hostile(&m, "seq", "0");
	hostile(&m, "seq", "-1");
	hostile(&m, "seq", "4.5");
	hostile(&m, "seq", "1e300");
	hostile(&m, "seq", "9007199254740992");
	hostile(&m, "size", "0");
	hostile(&m, "size", "4294967297");
	hostile(&m, "size", "1e20");
	hostile(&m, "size", "true");
	hostile(&m, "sha256", "\"abcd\"");
	hostile(&m, "sha256", "\"zz" "abababababababababababababababababababab"
	    "abababababababababababab\"");
	hostile(&m, "key", "\"\"");
	hostile(&m, "signature", "12");
	hostile(&m, "severity", "\"urgent\"");
	hostile(&m, "severity", "1");
	memset(big, 'a', sizeof(big));
	big[0] = '"';
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = '\0';
	hostile(&m, "uri", big);
	big[66] = '"';
	big[67] = '\0';
	hostile(&m, "vendor", big);	/* 65 characters */
}

static void
test_members(void **state)
{
	struct fw_keyring kr = ring(pub);
	struct fw_manifest m, out;
	char *doc, *dup;
	const char *bad[] = { "", "null", "[]", "42", "\"manifest\"", "{}",
	    "{\"format\":1}", "[{\"format\":1}]" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode(bad[i], strlen(bad[i]), &kr, &out),
		    FW_ERR_FORMAT);
	sample(&m, seed);
	doc = fw_manifest_json(&m);
	/* An unknown member, and a repeated one. */
	dup = xmalloc(strlen(doc) + 64);
	sprintf(dup, "{\"extra\":1,%s", doc + 1);
	assert_int_equal(decode(dup, strlen(dup), &kr, &out), FW_ERR_FORMAT);
	sprintf(dup, "{\"seq\":43,%s", doc + 1);
	assert_int_equal(decode(dup, strlen(dup), &kr, &out), FW_ERR_FORMAT);
	free(dup);
	/* A missing one. */
	dup = strdup(doc);
	*strstr(dup, ",\"severity\"") = '}';
	assert_int_equal(decode(dup, strlen(dup), &kr, &out), FW_ERR_FORMAT);
	free(dup);
	free(doc);
}

static void
test_huge(void **state)
{
	struct fw_keyring kr = ring(pub);
	struct fw_manifest out;
	size_t len = 1 << 20, i;
	char *doc = malloc(len);

	(void)state;
	for (i = 0; i < len; i++)
		doc[i] = i < len / 2 ? '[' : ']';
	assert_int_equal(decode(doc, len, &kr, &out), FW_ERR_FORMAT);
	assert_int_equal(decode(doc, FW_MANIFEST_MAX, &kr, &out),
	    FW_ERR_FORMAT);
	memset(doc, ' ', len);
	assert_int_equal(decode(doc, FW_MANIFEST_MAX + 1, &kr, &out),
	    FW_ERR_FORMAT);
	free(doc);
}

static void
test_keyring(void **state)
{
	struct fw_keyring kr;
	char hex[65], hex2[65], spec[512], path[] = "/tmp/outpost-kr-XXXXXX";
	char err[256];
	FILE *fp;
	int fd;

	(void)state;
	hex_encode(pub, 32, hex);
	hex_encode(pub2, 32, hex2);
	assert_int_equal(fw_keyring_load(&kr, "", err, sizeof(err)), 0);
	assert_int_equal(kr.n, 0);
	snprintf(spec, sizeof(spec), " %s , %s,%s", hex, hex2, hex);
	assert_int_equal(fw_keyring_load(&kr, spec, err, sizeof(err)), 0);
	assert_int_equal(kr.n, 2);
	assert_memory_equal(kr.keys[1], pub2, 32);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fprintf(fp, "# release keys\n%s  # build server\n\n%s\n", hex2, hex);
	fclose(fp);
	assert_int_equal(fw_keyring_load(&kr, path, err, sizeof(err)), 0);
	assert_int_equal(kr.n, 2);
	assert_memory_equal(kr.keys[0], pub2, 32);
	fp = fopen(path, "a");
	fprintf(fp, "not-a-key\n");
	fclose(fp);
	assert_int_equal(fw_keyring_load(&kr, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":5:"));
	unlink(path);
	assert_int_equal(fw_keyring_load(&kr, path, err, sizeof(err)), -1);
	assert_int_equal(fw_keyring_load(&kr, "abcd", err, sizeof(err)), -1);
}

static void
test_sha256(void **state)
{
	struct fw_sha256 h;
	uint8_t d[32];
	char hex[65];

	(void)state;
	assert_int_equal(fw_sha256_init(&h), 0);
	fw_sha256_update(&h, "ab", 2);
	fw_sha256_update(&h, "c", 1);
	assert_int_equal(fw_sha256_final(&h, d), 0);
	hex_encode(d, 32, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static void
test_id(void **state)
{
	struct fw_manifest a, b;
	char ida[FW_ID_LEN + 1], idb[FW_ID_LEN + 1];

	(void)state;
	sample(&a, seed);
	b = a;
	fw_manifest_id(&a, ida);
	assert_int_equal(strlen(ida), FW_ID_LEN);
	strcpy(b.version, "other");
	fw_manifest_id(&b, idb);
	assert_string_equal(ida, idb);	/* vendor, class, seq only */
	b.seq++;
	fw_manifest_id(&b, idb);
	assert_string_not_equal(ida, idb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_spelling_free),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_keyring),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_id),
	};

	return cmocka_run_group_tests(tests, setup_keys, NULL);
}
