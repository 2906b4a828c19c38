/*
 * manifest.c: firmware manifests: parse (untrusted input), canonical form,
 * Ed25519 sign and verify, keyrings, SHA-256. Linked by the gateway and by
 * the node agent; it needs cJSON and wolfCrypt and nothing of either.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "hex.h"
#include "lwm2m/manifest.h"

#if !defined(HAVE_ED25519) || defined(NO_SHA256)
#error "wolfSSL without Ed25519 or SHA-256: firmware manifests need both"
#endif

_Static_assert(sizeof(wc_Sha256) <= sizeof(((struct fw_sha256 *)0)->opaque),
    "struct fw_sha256 is too small for wc_Sha256");

#define FW_CANON_MAGIC	"outpost-firmware-manifest-1\n"

static const char *const fw_severity_names[] = { "low", "normal",
    "critical" };
#define FW_NSEVERITIES	(sizeof(fw_severity_names) / \
			    sizeof(fw_severity_names[0]))

/* The members of a manifest document, each exactly once. */
static const char *const fw_members[] = { "format", "vendor", "class",
    "version", "seq", "size", "sha256", "uri", "severity", "key",
    "signature" };
#define FW_NMEMBERS	(sizeof(fw_members) / sizeof(fw_members[0]))

const char *
fw_severity_name(enum fw_severity s)
{
	return (size_t)s < FW_NSEVERITIES ? fw_severity_names[s] : "?";
}

int
fw_hex_decode(const char *in, size_t hexlen, uint8_t *out, size_t len)
{
	return hex_decode(in, hexlen, out, len) == (int)len ? 0 : -1;
}

/* Whether s (NUL-terminated) is 1..max characters of printable ASCII. */
static int
fw_printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] > 0x7e)
			return 0;
	return i > 0;
}

/* Copies a string member into dst (max characters) after checking it. */
static int
fw_get_string(const cJSON *doc, const char *name, char *dst, size_t max,
    char *err, size_t errlen)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, name);

	if (!cJSON_IsString(o) || o->valuestring == NULL) {
		snprintf(err, errlen, "%s: expected a string", name);
		return -1;
	}
	if (!fw_printable(o->valuestring, max)) {
		snprintf(err, errlen, "%s: must be 1..%zu printable ASCII "
		    "characters", name, max);
		return -1;
	}
	memcpy(dst, o->valuestring, strlen(o->valuestring) + 1);
	return 0;
}

/* Reads an integer member in 1..max (JSON numbers are doubles: max is at
 * most 2^53, so every value in range is exact). */
static int
fw_get_uint(const cJSON *doc, const char *name, uint64_t max, uint64_t *out,
    char *err, size_t errlen)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, name);
	double d;

	if (!cJSON_IsNumber(o)) {
		snprintf(err, errlen, "%s: expected a number", name);
		return -1;
	}
	d = o->valuedouble;
	if (!(d >= 1 && d <= (double)max) || (double)(uint64_t)d != d) {
		snprintf(err, errlen, "%s: must be a whole number in 1..%" PRIu64,
		    name, max);
		return -1;
	}
	*out = (uint64_t)d;
	return 0;
}

/* Reads a hex member of exactly len bytes. */
static int
fw_get_hex(const cJSON *doc, const char *name, uint8_t *out, size_t len,
    char *err, size_t errlen)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, name);

	if (!cJSON_IsString(o) || o->valuestring == NULL ||
	    fw_hex_decode(o->valuestring, strlen(o->valuestring), out,
	    len) == -1) {
		snprintf(err, errlen, "%s: expected %zu hex characters", name,
		    2 * len);
		return -1;
	}
	return 0;
}

/* Every member known and present once; nothing else. */
static int
fw_check_members(const cJSON *doc, char *err, size_t errlen)
{
	unsigned seen[FW_NMEMBERS] = { 0 };
	const cJSON *c;
	size_t i;

	if (!cJSON_IsObject(doc)) {
		snprintf(err, errlen, "not a JSON object");
		return -1;
	}
	for (c = doc->child; c != NULL; c = c->next) {
		for (i = 0; i < FW_NMEMBERS; i++)
			if (c->string != NULL &&
			    strcmp(c->string, fw_members[i]) == 0)
				break;
		if (i == FW_NMEMBERS) {
			snprintf(err, errlen, "unknown member '%.40s'",
			    c->string != NULL ? c->string : "");
			return -1;
		}
		if (seen[i]++) {
			snprintf(err, errlen, "member '%s' given twice",
			    fw_members[i]);
			return -1;
		}
	}
	for (i = 0; i < FW_NMEMBERS; i++)
		if (!seen[i]) {
			snprintf(err, errlen, "member '%s' missing",
			    fw_members[i]);
			return -1;
		}
	return 0;
}

static int
fw_get_severity(const cJSON *doc, enum fw_severity *out, char *err,
    size_t errlen)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, "severity");
	size_t i;

	for (i = 0; cJSON_IsString(o) && i < FW_NSEVERITIES; i++)
		if (strcmp(o->valuestring, fw_severity_names[i]) == 0) {
			*out = (enum fw_severity)i;
			return 0;
		}
	snprintf(err, errlen, "severity: must be low, normal or critical");
	return -1;
}

enum fw_verdict
fw_manifest_parse(const void *buf, size_t len, struct fw_manifest *m,
    char *err, size_t errlen)
{
	struct fw_manifest tmp;
	cJSON *doc;
	uint64_t format;
	int rc = -1;

	if (len == 0 || len > FW_MANIFEST_MAX) {
		snprintf(err, errlen, "a manifest is 1..%d bytes, not %zu",
		    FW_MANIFEST_MAX, len);
		return FW_ERR_FORMAT;
	}
	if ((doc = cJSON_ParseWithLength(buf, len)) == NULL) {
		snprintf(err, errlen, "not valid JSON");
		return FW_ERR_FORMAT;
	}
	memset(&tmp, 0, sizeof(tmp));
	if (fw_check_members(doc, err, errlen) == -1 ||
	    fw_get_uint(doc, "format", 1, &format, err, errlen) == -1 ||
	    fw_get_string(doc, "vendor", tmp.vendor, FW_NAME_MAX, err,
	    errlen) == -1 ||
	    fw_get_string(doc, "class", tmp.class, FW_NAME_MAX, err,
	    errlen) == -1 ||
	    fw_get_string(doc, "version", tmp.version, FW_NAME_MAX, err,
	    errlen) == -1 ||
	    fw_get_uint(doc, "seq", FW_SEQ_MAX - 1, &tmp.seq, err,
	    errlen) == -1 ||
	    fw_get_uint(doc, "size", FW_SIZE_MAX, &tmp.size, err,
	    errlen) == -1 ||
	    fw_get_hex(doc, "sha256", tmp.digest, FW_DIGEST_LEN, err,
	    errlen) == -1 ||
	    fw_get_string(doc, "uri", tmp.uri, FW_URI_MAX, err, errlen) == -1 ||
	    fw_get_severity(doc, &tmp.severity, err, errlen) == -1 ||
	    fw_get_hex(doc, "key", tmp.key, FW_KEY_LEN, err, errlen) == -1 ||
	    fw_get_hex(doc, "signature", tmp.sig, FW_SIG_LEN, err,
	    errlen) == -1)
		goto done;
	*m = tmp;
	rc = 0;
done:
	cJSON_Delete(doc);
	return rc == 0 ? FW_OK : FW_ERR_FORMAT;
}

int
fw_manifest_canonical(const struct fw_manifest *m, char *buf, size_t len)
{
	char hex[2 * FW_DIGEST_LEN + 1];
	int n;

	if (!fw_printable(m->vendor, FW_NAME_MAX) ||
	    !fw_printable(m->class, FW_NAME_MAX) ||
	    !fw_printable(m->version, FW_NAME_MAX) ||
	    !fw_printable(m->uri, FW_URI_MAX) ||
	    (size_t)m->severity >= FW_NSEVERITIES)
		return -1;
	hex_encode(m->digest, FW_DIGEST_LEN, hex);
	n = snprintf(buf, len, FW_CANON_MAGIC "vendor=%s\nclass=%s\n"
	    "version=%s\nseq=%" PRIu64 "\nsize=%" PRIu64 "\nsha256=%s\n"
	    "uri=%s\nseverity=%s\n", m->vendor, m->class, m->version, m->seq,
	    m->size, hex, m->uri, fw_severity_names[m->severity]);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

enum fw_verdict
fw_manifest_verify(const struct fw_manifest *m, const struct fw_keyring *kr,
    char *err, size_t errlen)
{
	char canon[FW_CANON_MAX];
	ed25519_key key;
	int n, ok = 0, rc;
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (memcmp(kr->keys[i], m->key, FW_KEY_LEN) == 0)
			break;
	if (i == kr->n) {
		snprintf(err, errlen, "signed by a key that is not trusted");
		return FW_ERR_UNKNOWN_KEY;
	}
	if ((n = fw_manifest_canonical(m, canon, sizeof(canon))) < 0) {
		snprintf(err, errlen, "fields outside the manifest format");
		return FW_ERR_SIGNATURE;
	}
	if (wc_ed25519_init(&key) != 0)
		goto bad;
	rc = wc_ed25519_import_public(m->key, FW_KEY_LEN, &key);
	if (rc == 0)
		rc = wc_ed25519_verify_msg(m->sig, FW_SIG_LEN,
		    (const byte *)canon, (word32)n, &ok, &key);
	wc_ed25519_free(&key);
	if (rc == 0 && ok == 1)
		return FW_OK;
bad:
	snprintf(err, errlen, "the signature does not verify");
	return FW_ERR_SIGNATURE;
}

enum fw_verdict
fw_manifest_decode(const void *buf, size_t len, const struct fw_keyring *kr,
    struct fw_manifest *m, char *err, size_t errlen)
{
	struct fw_manifest tmp;
	enum fw_verdict r;

	if ((r = fw_manifest_parse(buf, len, &tmp, err, errlen)) != FW_OK ||
	    (r = fw_manifest_verify(&tmp, kr, err, errlen)) != FW_OK)
		return r;
	*m = tmp;
	return FW_OK;
}

int
fw_manifest_sign(struct fw_manifest *m, const uint8_t *seed)
{
	char canon[FW_CANON_MAX];
	ed25519_key key;
	word32 siglen = FW_SIG_LEN;
	int n, rc = -1;

	if ((n = fw_manifest_canonical(m, canon, sizeof(canon))) < 0 ||
	    wc_ed25519_init(&key) != 0)
		return -1;
	if (wc_ed25519_import_private_only(seed, FW_KEY_LEN, &key) == 0 &&
	    wc_ed25519_make_public(&key, m->key, FW_KEY_LEN) == 0 &&
	    wc_ed25519_import_private_key(seed, FW_KEY_LEN, m->key, FW_KEY_LEN,
	    &key) == 0 &&
	    wc_ed25519_sign_msg((const byte *)canon, (word32)n, m->sig,
	    &siglen, &key) == 0 && siglen == FW_SIG_LEN)
		rc = 0;
	wc_ed25519_free(&key);
	return rc;
}

char *
fw_manifest_json(const struct fw_manifest *m)
{
	char hex[2 * FW_SIG_LEN + 1];
	cJSON *doc = cJSON_CreateObject();
	char *text;

	if (doc == NULL)
		return NULL;
	cJSON_AddNumberToObject(doc, "format", 1);
	cJSON_AddStringToObject(doc, "vendor", m->vendor);
	cJSON_AddStringToObject(doc, "class", m->class);
	cJSON_AddStringToObject(doc, "version", m->version);
	cJSON_AddNumberToObject(doc, "seq", (double)m->seq);
	cJSON_AddNumberToObject(doc, "size", (double)m->size);
	hex_encode(m->digest, FW_DIGEST_LEN, hex);
	cJSON_AddStringToObject(doc, "sha256", hex);
	cJSON_AddStringToObject(doc, "uri", m->uri);
	cJSON_AddStringToObject(doc, "severity", fw_severity_name(m->severity));
	hex_encode(m->key, FW_KEY_LEN, hex);
	cJSON_AddStringToObject(doc, "key", hex);
	hex_encode(m->sig, FW_SIG_LEN, hex);
	cJSON_AddStringToObject(doc, "signature", hex);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return text;
}

void
fw_manifest_id(const struct fw_manifest *m, char id[FW_ID_LEN + 1])
{
	struct fw_sha256 h;
	uint8_t d[FW_DIGEST_LEN];
	char seq[24];

	snprintf(seq, sizeof(seq), "%" PRIu64, m->seq);
	fw_sha256_init(&h);
	fw_sha256_update(&h, m->vendor, strlen(m->vendor) + 1);
	fw_sha256_update(&h, m->class, strlen(m->class) + 1);
	fw_sha256_update(&h, seq, strlen(seq));
	fw_sha256_final(&h, d);
	hex_encode(d, FW_ID_LEN / 2, id);
}

/* Adds one key, given as hex, unless the ring has it. */
static int
fw_keyring_add(struct fw_keyring *kr, const char *hex, size_t len,
    const char *where, char *err, size_t errlen)
{
	uint8_t key[FW_KEY_LEN];
	size_t i;

	if (fw_hex_decode(hex, len, key, sizeof(key)) == -1) {
		snprintf(err, errlen, "%s: not a key (64 hex characters)",
		    where);
		return -1;
	}
	for (i = 0; i < kr->n; i++)
		if (memcmp(kr->keys[i], key, sizeof(key)) == 0)
			return 0;
	if (kr->n == FW_KEYRING_MAX) {
		snprintf(err, errlen, "%s: more than %d trusted keys", where,
		    FW_KEYRING_MAX);
		return -1;
	}
	memcpy(kr->keys[kr->n++], key, sizeof(key));
	return 0;
}

/* Trims spaces and tabs (and a newline) from both ends of s[0..*len). */
static const char *
fw_trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t' ||
	    s[*len - 1] == '\n' || s[*len - 1] == '\r'))
		(*len)--;
	return s;
}

/* Adds the keys in the file at path, one per line, '#' comments. */
static int
fw_keyring_file(struct fw_keyring *kr, const char *path, char *err,
    size_t errlen)
{
	char where[300];
	char *line = NULL, *hash;
	const char *s;
	size_t cap = 0, len;
	ssize_t n;
	int lineno = 0, rc = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if ((hash = memchr(line, '#', (size_t)n)) != NULL)
			n = hash - line;
		len = (size_t)n;
		s = fw_trim(line, &len);
		if (len == 0)
			continue;
		snprintf(where, sizeof(where), "%.256s:%d", path, lineno);
		rc = fw_keyring_add(kr, s, len, where, err, errlen);
	}
	free(line);
	fclose(fp);
	return rc;
}

int
fw_keyring_load(struct fw_keyring *kr, const char *spec, char *err,
    size_t errlen)
{
	char path[4096];
	const char *p = spec, *comma, *s;
	size_t len;

	memset(kr, 0, sizeof(*kr));
	while (*p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		s = fw_trim(p, &len);
		p += (comma != NULL ? (size_t)(comma - p) + 1 : strlen(p));
		if (len == 0)
			continue;
		if (len == 2 * FW_KEY_LEN && fw_hex_decode(s, len,
		    (uint8_t[FW_KEY_LEN]){ 0 }, FW_KEY_LEN) == 0) {
			if (fw_keyring_add(kr, s, len, "trusted_keys", err,
			    errlen) == -1)
				return -1;
			continue;
		}
		if (len >= sizeof(path)) {
			snprintf(err, errlen, "trusted_keys: path too long");
			return -1;
		}
		memcpy(path, s, len);
		path[len] = '\0';
		if (fw_keyring_file(kr, path, err, errlen) == -1)
			return -1;
	}
	return 0;
}

int
fw_sha256_init(struct fw_sha256 *h)
{
	return wc_InitSha256((wc_Sha256 *)(void *)h->opaque) == 0 ? 0 : -1;
}

int
fw_sha256_update(struct fw_sha256 *h, const void *p, size_t len)
{
	const uint8_t *b = p;
	word32 n;

	while (len > 0) {
		n = len > 0x40000000 ? 0x40000000 : (word32)len;
		if (wc_Sha256Update((wc_Sha256 *)(void *)h->opaque, b, n) != 0)
			return -1;
		b += n;
		len -= n;
	}
	return 0;
}

int
fw_sha256_final(struct fw_sha256 *h, uint8_t out[FW_DIGEST_LEN])
{
	int rc = wc_Sha256Final((wc_Sha256 *)(void *)h->opaque, out);

	wc_Sha256Free((wc_Sha256 *)(void *)h->opaque);
	return rc == 0 ? 0 : -1;
}

int
fw_keypair_new(uint8_t seed[FW_KEY_LEN], uint8_t pub[FW_KEY_LEN])
{
	ed25519_key key;
	WC_RNG rng;
	word32 slen = FW_KEY_LEN, plen = FW_KEY_LEN;
	int rc = -1;

	if (wc_InitRng(&rng) != 0)
		return -1;
	if (wc_ed25519_init(&key) == 0) {
		if (wc_ed25519_make_key(&rng, ED25519_KEY_SIZE, &key) == 0 &&
		    wc_ed25519_export_private_only(&key, seed, &slen) == 0 &&
		    wc_ed25519_export_public(&key, pub, &plen) == 0)
			rc = 0;
		wc_ed25519_free(&key);
	}
	wc_FreeRng(&rng);
	return rc;
}
