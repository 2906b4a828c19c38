/*
 * manifest.h: signed firmware manifests, shared by the gateway and the node
 * agent. Only manifest.c includes wolfSSL's headers.
 *
 * A manifest is a JSON object (doc/firmware.md has the format):
 *
 *   {"format":1,"vendor":"acme","class":"sensor-v2","version":"1.4.0",
 *    "seq":42,"size":123456,"sha256":"<64 hex>","uri":"/fw/<id>",
 *    "severity":"normal","key":"<64 hex>","signature":"<128 hex>"}
 *
 * The signature is Ed25519 (RFC 8032) by "key" over the canonical form, a
 * text built from the fields and not from the JSON bytes, so that no JSON
 * spelling (order, spaces, escapes) can change what was signed:
 *
 *   "outpost-firmware-manifest-1\n"
 *   "vendor=" vendor "\n"  "class=" class "\n"  "version=" version "\n"
 *   "seq=" decimal "\n"  "size=" decimal "\n"  "sha256=" 64 lowercase hex "\n"
 *   "uri=" uri "\n"  "severity=" severity "\n"
 *
 * Strings hold printable ASCII only (0x20..0x7e), so a field can never
 * hold the newline that ends it.
 */
#ifndef OUTPOST_MANIFEST_H
#define OUTPOST_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define FW_NAME_MAX		64	/* vendor, class, version */
#define FW_URI_MAX		255
#define FW_MANIFEST_MAX		2048	/* bytes of a manifest document */
#define FW_CANON_MAX		1024	/* bytes of the canonical form */
#define FW_SEQ_MAX		((uint64_t)1 << 53)	/* exact in JSON */
#define FW_SIZE_MAX		((uint64_t)1 << 32)	/* 4 GiB */
#define FW_KEY_LEN		32
#define FW_SIG_LEN		64
#define FW_DIGEST_LEN		32
#define FW_ID_LEN		16	/* hex characters of an image id */
#define FW_KEYRING_MAX		16

enum fw_severity {
	FW_SEVERITY_LOW,
	FW_SEVERITY_NORMAL,
	FW_SEVERITY_CRITICAL,
};

struct fw_manifest {
	char			vendor[FW_NAME_MAX + 1];
	char			class[FW_NAME_MAX + 1];
	char			version[FW_NAME_MAX + 1];
	char			uri[FW_URI_MAX + 1];
	uint64_t		seq;
	uint64_t		size;
	uint8_t			digest[FW_DIGEST_LEN];
	enum fw_severity	severity;
	uint8_t			key[FW_KEY_LEN];
	uint8_t			sig[FW_SIG_LEN];
};

/* The public keys a manifest may be signed with. */
struct fw_keyring {
	size_t		n;
	uint8_t		keys[FW_KEYRING_MAX][FW_KEY_LEN];
};

enum fw_verdict {
	FW_OK = 0,
	FW_ERR_FORMAT,		/* not a manifest: syntax, types, ranges */
	FW_ERR_UNKNOWN_KEY,	/* signed by a key not in the keyring */
	FW_ERR_SIGNATURE,	/* the signature does not verify */
};

/*
 * Reads a manifest document of len bytes (need not be NUL-terminated)
 * into m, checking syntax, types, ranges and that no member is missing,
 * repeated or unknown. It does not check the signature. Returns FW_OK or
 * FW_ERR_FORMAT with the reason in err.
 */
enum fw_verdict	fw_manifest_parse(const void *buf, size_t len,
		    struct fw_manifest *m, char *err, size_t errlen);

/* Checks that m's key is in kr and that its signature verifies over the
 * canonical form. Returns FW_OK, FW_ERR_UNKNOWN_KEY or FW_ERR_SIGNATURE. */
enum fw_verdict	fw_manifest_verify(const struct fw_manifest *m,
		    const struct fw_keyring *kr, char *err, size_t errlen);

/* fw_manifest_parse, then fw_manifest_verify. */
enum fw_verdict	fw_manifest_decode(const void *buf, size_t len,
		    const struct fw_keyring *kr, struct fw_manifest *m,
		    char *err, size_t errlen);

/* Writes m's canonical form (the signed bytes) into buf. Returns its
 * length, or -1 when m holds a field no manifest may hold. */
int		fw_manifest_canonical(const struct fw_manifest *m, char *buf,
		    size_t len);

/* Signs m with the 32-byte private seed: fills m->key and m->sig.
 * Returns 0 or -1. */
int		fw_manifest_sign(struct fw_manifest *m, const uint8_t *seed);

/* The manifest document of m, NUL-terminated, malloc'd (the caller frees
 * it), or NULL. */
char		*fw_manifest_json(const struct fw_manifest *m);

/* The image id of m: 16 lowercase hex characters of SHA-256 over
 * "vendor NUL class NUL seq", unique per gateway because a class's
 * sequence numbers only go up. */
void		 fw_manifest_id(const struct fw_manifest *m,
		    char id[FW_ID_LEN + 1]);

const char	*fw_severity_name(enum fw_severity s);

/*
 * Fills kr from spec, a comma-separated list whose entries are either 64
 * hex characters (a public key) or the path of a file holding keys, one
 * per line ('#' starts a comment). Returns 0, or -1 with err.
 */
int		fw_keyring_load(struct fw_keyring *kr, const char *spec,
		    char *err, size_t errlen);

/* Reads exactly 2*len hex characters into out: 0, or -1 (hex.h has the
 * rest). */
int		fw_hex_decode(const char *in, size_t hexlen, uint8_t *out,
		    size_t len);

/* Incremental SHA-256, so that callers need no wolfSSL header. */
struct fw_sha256 {
	/* wc_Sha256 is under 128 bytes; manifest.c checks at compile time. */
	_Alignas(16) uint8_t	opaque[192];
};
int		fw_sha256_init(struct fw_sha256 *h);
int		fw_sha256_update(struct fw_sha256 *h, const void *p,
		    size_t len);
int		fw_sha256_final(struct fw_sha256 *h,
		    uint8_t out[FW_DIGEST_LEN]);

/* Creates an Ed25519 key pair from the system's random source. */
int		fw_keypair_new(uint8_t seed[FW_KEY_LEN],
		    uint8_t pub[FW_KEY_LEN]);

#endif /* OUTPOST_MANIFEST_H */
