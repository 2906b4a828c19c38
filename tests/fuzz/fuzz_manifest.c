// fuzz-sources: lwm2m/manifest.c hex.c
// fuzz-libs: -lcjson -lwolfssl
/*
 * fuzz_manifest.c: libFuzzer target for firmware manifests, the documents
 * the gateway takes from operators and the nodes take from multicast. The
 * input is a manifest document, decoded against a keyring that trusts the
 * fixed key the corpus was signed with (so the signature path is reached).
 * Besides ASan and UBSan it checks the promises of manifest.h: a parsed
 * manifest has a canonical form, and written out again it parses to the
 * same fields; a verified one is signed by a trusted key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/manifest.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* The corpus key: seed 01 01 ... 01. */
static const uint8_t fuzz_seed[FW_KEY_LEN] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static struct fw_keyring	fuzz_ring;

/* The keyring holds the public half of fuzz_seed. */
static void
fuzz_init(void)
{
	struct fw_manifest m;

	if (fuzz_ring.n > 0)
		return;
	memset(&m, 0, sizeof(m));
	strcpy(m.vendor, "v");
	strcpy(m.class, "c");
	strcpy(m.version, "1");
	strcpy(m.uri, "/fw/x");
	m.seq = m.size = 1;
	if (fw_manifest_sign(&m, fuzz_seed) == -1)
		abort();
	memcpy(fuzz_ring.keys[0], m.key, FW_KEY_LEN);
	fuzz_ring.n = 1;
	if (getenv("FUZZ_MANIFEST_SEED") != NULL) {
		/* Prints a signed seed for the corpus. */
		char *doc = fw_manifest_json(&m);
		puts(doc);
		free(doc);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_manifest m, again;
	char err[256], canon[FW_CANON_MAX], *doc;
	enum fw_verdict r;

	fuzz_init();
	memset(&m, 0x5a, sizeof(m));
	r = fw_manifest_parse(data, size, &m, err, sizeof(err));
	if (r != FW_OK) {
		if (r != FW_ERR_FORMAT || memchr(err, '\0', sizeof(err)) ==
		    NULL)
			abort();
		return 0;
	}
	if (fw_manifest_canonical(&m, canon, sizeof(canon)) <= 0)
		abort();
	if ((doc = fw_manifest_json(&m)) == NULL)
		abort();
	if (fw_manifest_parse(doc, strlen(doc), &again, err,
	    sizeof(err)) != FW_OK || memcmp(&m, &again, sizeof(m)) != 0)
		abort();
	free(doc);
	r = fw_manifest_verify(&m, &fuzz_ring, err, sizeof(err));
	if (r == FW_OK && memcmp(m.key, fuzz_ring.keys[0], FW_KEY_LEN) != 0)
		abort();
	return 0;
}
