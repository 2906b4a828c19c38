/*
 * test_firmware.c: unit tests for modules/firmware/firmware.c over a real store in
 * a temporary directory: a manifest refused for each reason with nothing
 * stored, an image written in parts that end anywhere in a chunk, read
 * back block by block across chunk boundaries, a digest mismatch that
 * deletes everything, the store cap, and a partial upload that survives
 * closing and reopening the store. The callbacks run from store_commit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "hex.h"
#include "gateway.h"
#include "modules/firmware/firmware.h"
#include "lwm2m/manifest.h"
#include "store/store.h"
#include "tests/unit/testutil.h"

#define IMG_SIZE	(3 * FW_CHUNK + 1234)

struct fixture {
	char			 dir[64];
	char			 keyspec[2 * FW_KEY_LEN + 1];
	struct gateway		 gw;
	uint8_t			 seed[FW_KEY_LEN], pub[FW_KEY_LEN];
	uint8_t			*image;
	enum fw_status		 last;
	struct fw_image		*last_img;
	int			 calls;
};

static void
done_cb(enum fw_status st, struct fw_image *img, const char *detail,
    void *arg)
{
	struct fixture *f = arg;

	(void)detail;
	f->last = st;
	f->last_img = img;
	f->calls++;
}

static void
open_gw(struct fixture *f)
{
	char err[512];

	f->gw.store = store_open(f->gw.base, f->dir, 64 << 20, err,
	    sizeof(err));
	if (f->gw.store == NULL)
		fail_msg("store_open: %s", err);
	assert_int_equal(firmware_module.init(&f->gw), 0);
}

static void
close_gw(struct fixture *f)
{
	firmware_module.stop(&f->gw);
	store_close(f->gw.store);
	f->gw.store = NULL;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	size_t i;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/outpost-test-fw.XXXXXX");
	if (mkdtemp(f->dir) == NULL ||
	    (f->gw.base = event_base_new()) == NULL ||
	    fw_keypair_new(f->seed, f->pub) == -1 ||
	    (f->image = malloc(IMG_SIZE)) == NULL)
		return -1;
	for (i = 0; i < IMG_SIZE; i++)
		f->image[i] = (uint8_t)(i * 7 + i / 251);
	config_defaults(&f->gw.cfg);
	hex_encode(f->pub, FW_KEY_LEN, f->keyspec);
	snprintf(f->gw.cfg.fw_trusted_keys, sizeof(f->gw.cfg.fw_trusted_keys),
	    "%s", f->keyspec);
	open_gw(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	close_gw(f);
	event_base_free(f->gw.base);
	rm_tree(f->dir);
	free(f->image);
	free(f);
	return 0;
}

/* A signed manifest document for the fixture's image. */
static char *
manifest(struct fixture *f, const char *cls, uint64_t seq, uint64_t size,
    const uint8_t *seed)
{
	struct fw_manifest m;
	struct fw_sha256 h;

	memset(&m, 0, sizeof(m));
	strcpy(m.vendor, "acme");
	snprintf(m.class, sizeof(m.class), "%s", cls);
	strcpy(m.version, "1");
	strcpy(m.uri, "/fw/x");
	m.seq = seq;
	m.size = size;
	fw_sha256_init(&h);
	fw_sha256_update(&h, f->image, size);
	fw_sha256_final(&h, m.digest);
	assert_int_equal(fw_manifest_sign(&m, seed), 0);
	return fw_manifest_json(&m);
}

static struct fw_image *
add(struct fixture *f, const char *doc, enum fw_status want)
{
	char err[256];
	enum fw_status st;

	f->calls = 0;
	st = firmware_add(&f->gw, doc, strlen(doc), done_cb, f, err,
	    sizeof(err));
	assert_int_equal(st, want);
	if (st != FWS_OK)
		return NULL;
	assert_int_equal(store_commit(f->gw.store), 0);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->last, FWS_OK);
	return f->last_img;
}

/* Writes bytes [from, to) of data; returns the callback's status. */
static enum fw_status
write_part(struct fixture *f, struct fw_image *img, const uint8_t *data,
    size_t from, size_t to)
{
	struct evbuffer *b = evbuffer_new();
	char err[256];
	enum fw_status st;

	evbuffer_add(b, data + from, to - from);
	f->calls = 0;
	st = firmware_write(&f->gw, img, from, b, to - from, done_cb, f, err,
	    sizeof(err));
	evbuffer_free(b);
	if (st != FWS_OK)
		return st;
	assert_int_equal(store_commit(f->gw.store), 0);
	assert_int_equal(f->calls, 1);
	return f->last;
}

static void
test_refusals(void **state)
{
	struct fixture *f = *state;
	uint8_t other[FW_KEY_LEN], otherpub[FW_KEY_LEN];
	char *doc;

	assert_int_equal(fw_keypair_new(other, otherpub), 0);
	assert_null(add(f, "{\"format\":1}", FWS_BAD_MANIFEST));
	doc = manifest(f, "c", 5, IMG_SIZE, other);
	assert_null(add(f, doc, FWS_UNKNOWN_KEY));
	free(doc);
	doc = manifest(f, "c", 5, IMG_SIZE, f->seed);
	memcpy(strstr(doc, "\"seq\":5"), "\"seq\":6", 7);
	assert_null(add(f, doc, FWS_BAD_SIGNATURE));
	free(doc);
	assert_null(firmware_first(&f->gw));
	doc = manifest(f, "c", 5, IMG_SIZE, f->seed);
	assert_non_null(add(f, doc, FWS_OK));
	assert_null(add(f, doc, FWS_EXISTS));
	free(doc);
	doc = manifest(f, "c", 4, IMG_SIZE, f->seed);
	assert_null(add(f, doc, FWS_OLD_SEQUENCE));
	free(doc);
	/* The cap: 1 MiB. */
	f->gw.cfg.fw_max_store_mb = 1;
	doc = manifest(f, "d", 1, IMG_SIZE, f->seed);
	assert_non_null(add(f, doc, FWS_OK));
	free(doc);
	f->gw.cfg.fw_max_store_mb = 0;
	doc = manifest(f, "e", 1, 10, f->seed);
	assert_null(add(f, doc, FWS_FULL));
	free(doc);
}

static void
test_parts_and_reads(void **state)
{
	struct fixture *f = *state;
	static const size_t cuts[] = { 1000, FW_CHUNK, FW_CHUNK + 1,
	    2 * FW_CHUNK + 100, IMG_SIZE - 1, IMG_SIZE };
	struct fw_image *img;
	uint8_t buf[1024];
	size_t i, from = 0, off;
	char *doc;

	doc = manifest(f, "c", 1, IMG_SIZE, f->seed);
	img = add(f, doc, FWS_OK);
	free(doc);
	/* Out of order and past the end are refused. */
	assert_int_equal(write_part(f, img, f->image, 5, 10), FWS_BAD_RANGE);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		assert_int_equal(write_part(f, img, f->image, from, cuts[i]),
		    cuts[i] == IMG_SIZE ? FWS_OK : FWS_MORE);
		from = cuts[i];
		assert_int_equal(img->received, from);
	}
	assert_true(img->complete);
	assert_int_equal(write_part(f, img, f->image, 0, 1), FWS_COMPLETE);
	for (off = 0; off < IMG_SIZE; off += sizeof(buf)) {
		size_t n = IMG_SIZE - off < sizeof(buf) ? IMG_SIZE - off :
		    sizeof(buf);

		assert_int_equal(firmware_read(&f->gw, img, off, buf, n),
		    (long)n);
		assert_memory_equal(buf, f->image + off, n);
	}
	/* A read across a chunk boundary or past the end is refused. */
	assert_int_equal(firmware_read(&f->gw, img, FW_CHUNK - 10, buf, 20),
	    -1);
	assert_int_equal(firmware_read(&f->gw, img, IMG_SIZE, buf, 1), -1);
}

static void
test_digest_mismatch(void **state)
{
	struct fixture *f = *state;
	struct fw_image *img;
	uint8_t *wrong = malloc(IMG_SIZE);
	char *doc;

	assert_non_null(wrong);
	memcpy(wrong, f->image, IMG_SIZE);
	wrong[FW_CHUNK + 5] ^= 0x80;
	doc = manifest(f, "c", 1, IMG_SIZE, f->seed);
	img = add(f, doc, FWS_OK);
	assert_int_equal(write_part(f, img, wrong, 0, 20000), FWS_MORE);
	assert_int_equal(write_part(f, img, wrong, 20000, IMG_SIZE),
	    FWS_DIGEST);
	assert_null(firmware_first(&f->gw));
	free(wrong);
	/* Gone from the store too: after a reopen nothing is there, and the
	 * same manifest is taken again. */
	close_gw(f);
	open_gw(f);
	assert_null(firmware_first(&f->gw));
	assert_non_null(add(f, doc, FWS_OK));
	free(doc);
}

static void
test_partial_survives_reopen(void **state)
{
	struct fixture *f = *state;
	struct fw_image *img;
	char id[FW_ID_LEN + 1], *doc;
	uint8_t buf[100];

	doc = manifest(f, "c", 9, IMG_SIZE, f->seed);
	img = add(f, doc, FWS_OK);
	free(doc);
	memcpy(id, img->id, sizeof(id));
	assert_int_equal(write_part(f, img, f->image, 0, FW_CHUNK + 77),
	    FWS_MORE);
	close_gw(f);
	open_gw(f);
	img = firmware_find(&f->gw, id);
	assert_non_null(img);
	assert_false(img->complete);
	assert_int_equal(img->received, FW_CHUNK + 77);
	assert_int_equal(write_part(f, img, f->image, FW_CHUNK + 77,
	    IMG_SIZE), FWS_OK);
	assert_int_equal(firmware_read(&f->gw, img, FW_CHUNK + 50, buf, 50),
	    50);
	assert_memory_equal(buf, f->image + FW_CHUNK + 50, 50);
	/* Delete: gone after a reopen. */
	assert_int_equal(firmware_delete(&f->gw, img, done_cb, f), FWS_OK);
	assert_int_equal(store_commit(f->gw.store), 0);
	assert_int_equal(f->last, FWS_OK);
	close_gw(f);
	open_gw(f);
	assert_null(firmware_find(&f->gw, id));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parts_and_reads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_digest_mismatch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_partial_survives_reopen,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
