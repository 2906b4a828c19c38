/*
 * firmware.c: the image store behind firmware.h. Manifests are checked
 * against [firmware] trusted_keys before anything is written; image bytes
 * go to the store a chunk at a time, and every reply that says something
 * was stored waits for its commit (store_when_durable).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gateway.h"
#include "log.h"
#include "modules/device/cred.h"
#include "modules/firmware/firmware.h"
#include "store/store.h"

#define FW_REC_VERSION	1

/* STORE_DB_FIRMWARE value: this head, then the manifest document. */
struct fw_rec {
	uint32_t	version;
	uint32_t	complete;
	uint64_t	received;
	int64_t		created;
};

struct firmware {
	struct fw_keyring	 keys;
	struct fw_image		*images;
	uint8_t			 chunk[FW_CHUNK];	/* one chunk in hand */
};

/* An operation waiting for its commit. */
struct fw_op {
	struct gateway		*gw;
	struct fw_image		*img;
	uint64_t		 received;	/* after the write */
	enum fw_status		 result;	/* of a delete once committed */
	fw_done_cb		 cb;
	void			*arg;
};

#define FW_CHUNK_KEY	(FW_ID_LEN + 4)

static void
fw_chunk_key(const char *id, uint32_t idx, uint8_t key[FW_CHUNK_KEY])
{
	memcpy(key, id, FW_ID_LEN);
	key[FW_ID_LEN] = (uint8_t)(idx >> 24);
	key[FW_ID_LEN + 1] = (uint8_t)(idx >> 16);
	key[FW_ID_LEN + 2] = (uint8_t)(idx >> 8);
	key[FW_ID_LEN + 3] = (uint8_t)idx;
}

static void
fw_image_free(struct fw_image *img)
{
	if (img == NULL)
		return;
	free(img->doc);
	free(img);
}

/* Tells the CoAP face to serve img (served != 0) or to stop serving it. */
static void
firmware_tell(struct gateway *gw, const struct fw_image *img, int served)
{
	void (*hook)(struct gateway *, const struct fw_image *) = served ?
	    gw->hooks.image_added : gw->hooks.image_gone;

	if (hook != NULL)
		hook(gw, img);
}

static void
fw_unlink(struct firmware *fw, struct fw_image *img)
{
	struct fw_image **pp;

	for (pp = &fw->images; *pp != NULL; pp = &(*pp)->next)
		if (*pp == img) {
			*pp = img->next;
			return;
		}
}

struct fw_image *
firmware_find(struct gateway *gw, const char *id)
{
	struct fw_image *img;

	for (img = gw->firmware->images; img != NULL; img = img->next)
		if (strcmp(img->id, id) == 0)
			return img;
	return NULL;
}

struct fw_image *
firmware_first(struct gateway *gw)
{
	return gw->firmware->images;
}

uint64_t
firmware_bytes(struct gateway *gw)
{
	struct fw_image *img;
	uint64_t n = 0;

	for (img = gw->firmware->images; img != NULL; img = img->next)
		n += img->m.size;
	return n;
}

/* Writes img's record (head and manifest) to the open batch. */
static int
fw_put_record(struct gateway *gw, const struct fw_image *img)
{
	struct fw_rec rec = { FW_REC_VERSION, (uint32_t)img->complete,
	    img->received, img->created };

	return store_put2(gw->store, STORE_DB_FIRMWARE, img->id, FW_ID_LEN,
	    &rec, sizeof(rec), img->doc, img->doclen);
}

static struct fw_op *
fw_op_new(struct gateway *gw, struct fw_image *img, fw_done_cb cb,
    void *arg)
{
	struct fw_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		return NULL;
	op->gw = gw;
	op->img = img;
	op->cb = cb;
	op->arg = arg;
	return op;
}

static void
fw_added(int status, void *arg)
{
	struct fw_op *op = arg;
	struct fw_image *img = op->img;

	img->busy = 0;
	if (status != 0) {
		fw_unlink(op->gw->firmware, img);
		op->cb(FWS_STORE, NULL, "store commit failed", op->arg);
		fw_image_free(img);
	} else {
		log_info("firmware %s: %s/%s %s seq %" PRIu64 " accepted, "
		    "%" PRIu64 " bytes to come", img->id, img->m.vendor,
		    img->m.class, img->m.version, img->m.seq, img->m.size);
		op->cb(FWS_OK, img, NULL, op->arg);
	}
	free(op);
}

/* The checks a manifest passes before anything is stored. */
static enum fw_status
fw_check(struct gateway *gw, const struct fw_manifest *m, const char *id,
    char *err, size_t errlen)
{
	struct fw_image *img;
	uint64_t cap = (uint64_t)gw->cfg.fw_max_store_mb << 20;

	if (firmware_find(gw, id) != NULL) {
		snprintf(err, errlen, "image %s (%s/%s seq %" PRIu64 ") is "
		    "here already", id, m->vendor, m->class, m->seq);
		return FWS_EXISTS;
	}
	for (img = gw->firmware->images; img != NULL; img = img->next) {
		if (strcmp(img->m.vendor, m->vendor) != 0 ||
		    strcmp(img->m.class, m->class) != 0 || m->seq > img->m.seq)
			continue;
		snprintf(err, errlen, "seq %" PRIu64 " is not above %" PRIu64
		    ", the newest image of %s/%s (%s)", m->seq, img->m.seq,
		    m->vendor, m->class, img->id);
		return FWS_OLD_SEQUENCE;
	}
	if (m->size > cap || firmware_bytes(gw) > cap - m->size) {
		snprintf(err, errlen, "an image of %" PRIu64 " bytes does not "
		    "fit: %" PRIu64 " of %" PRIu64 " bytes are taken "
		    "([firmware] max_store_mb)", m->size, firmware_bytes(gw),
		    cap);
		return FWS_FULL;
	}
	return FWS_OK;
}

enum fw_status
firmware_add(struct gateway *gw, const void *doc, size_t len, fw_done_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct firmware *fw = gw->firmware;
	struct fw_manifest m;
	struct fw_image *img;
	struct fw_op *op;
	char id[FW_ID_LEN + 1];
	enum fw_status st;

	switch (fw_manifest_decode(doc, len, &fw->keys, &m, err, errlen)) {
	case FW_OK:
		break;
	case FW_ERR_UNKNOWN_KEY:
		return FWS_UNKNOWN_KEY;
	case FW_ERR_SIGNATURE:
		return FWS_BAD_SIGNATURE;
	default:
		return FWS_BAD_MANIFEST;
	}
	fw_manifest_id(&m, id);
	if ((st = fw_check(gw, &m, id, err, errlen)) != FWS_OK)
		return st;
	if ((img = calloc(1, sizeof(*img))) == NULL ||
	    (img->doc = malloc(len)) == NULL ||
	    (op = fw_op_new(gw, img, cb, arg)) == NULL) {
		fw_image_free(img);
		snprintf(err, errlen, "out of memory");
		return FWS_STORE;
	}
	memcpy(img->id, id, sizeof(img->id));
	img->m = m;
	img->trusted = 1;	/* just verified */
	memcpy(img->doc, doc, len);
	img->doclen = len;
	img->created = gw_now();
	img->busy = 1;
	if (fw_put_record(gw, img) == -1 ||
	    store_when_durable(gw->store, fw_added, op) == -1) {
		free(op);
		fw_image_free(img);
		snprintf(err, errlen, "store failure");
		return FWS_STORE;
	}
	img->next = fw->images;
	fw->images = img;
	return FWS_OK;
}

/* Puts the delete of img's record and chunks in the open batch. */
static int
fw_del_records(struct gateway *gw, const struct fw_image *img)
{
	uint8_t key[FW_CHUNK_KEY];
	uint64_t n = (img->m.size + FW_CHUNK - 1) / FW_CHUNK, i;

	for (i = 0; i < n; i++) {
		fw_chunk_key(img->id, (uint32_t)i, key);
		if (store_del(gw->store, STORE_DB_FWCHUNK, key,
		    sizeof(key)) == -1)
			return -1;
	}
	return store_del(gw->store, STORE_DB_FIRMWARE, img->id, FW_ID_LEN);
}

static void
fw_deleted(int status, void *arg)
{
	struct fw_op *op = arg;

	op->cb(status == 0 ? op->result : FWS_STORE, op->img, status == 0 ?
	    NULL : "store commit failed", op->arg);
	fw_image_free(op->img);
	free(op);
}

/* Takes img out of the index and deletes it from the store; cb (with
 * result once committed: FWS_OK, or for a delete after a failed check
 * that failure) and the free of img follow the commit. */
static enum fw_status
fw_remove(struct gateway *gw, struct fw_image *img, enum fw_status result,
    fw_done_cb cb, void *arg)
{
	struct fw_op *op;

	if ((op = fw_op_new(gw, img, cb, arg)) == NULL)
		return FWS_STORE;
	op->result = result;
	fw_unlink(gw->firmware, img);
	firmware_tell(gw, img, 0);
	img->busy = 1;
	if (fw_del_records(gw, img) == -1 ||
	    store_when_durable(gw->store, fw_deleted, op) == -1) {
		/* It is gone from the index; a restart finds it again. */
		log_warnx("firmware %s: cannot delete from the store",
		    img->id);
		free(op);
		fw_image_free(img);
		return FWS_STORE;
	}
	return FWS_OK;
}

enum fw_status
firmware_delete(struct gateway *gw, struct fw_image *img, fw_done_cb cb,
    void *arg)
{
	if (img->busy)
		return FWS_BUSY;
	log_info("firmware %s: %s/%s seq %" PRIu64 " deleted", img->id,
	    img->m.vendor, img->m.class, img->m.seq);
	return fw_remove(gw, img, FWS_OK, cb, arg);
}

struct fw_hash {
	const char	*id;
	struct fw_sha256 h;
	uint32_t	 next;		/* chunk index expected */
	uint64_t	 bytes;
};

static int
fw_hash_chunk(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct fw_hash *fh = arg;
	uint8_t want[FW_CHUNK_KEY];

	fw_chunk_key(fh->id, fh->next, want);
	if (klen != FW_CHUNK_KEY || memcmp(key, want, FW_CHUNK_KEY) != 0)
		return 1;
	fw_sha256_update(&fh->h, val, vlen);
	fh->bytes += vlen;
	fh->next++;
	return 0;
}

/* Hashes img's committed chunks. Returns 0 when they are its image. */
static int
fw_verify_digest(struct gateway *gw, const struct fw_image *img)
{
	struct fw_hash fh = { img->id, { { 0 } }, 0, 0 };
	uint8_t from[FW_CHUNK_KEY], d[FW_DIGEST_LEN];

	fw_chunk_key(img->id, 0, from);
	fw_sha256_init(&fh.h);
	if (store_iterate(gw->store, STORE_DB_FWCHUNK, from, sizeof(from),
	    fw_hash_chunk, &fh) == -1)
		return -1;
	fw_sha256_final(&fh.h, d);
	if (fh.bytes != img->m.size ||
	    memcmp(d, img->m.digest, FW_DIGEST_LEN) != 0)
		return -1;
	return 0;
}

static void
fw_completed(int status, void *arg)
{
	struct fw_op *op = arg;
	struct fw_image *img = op->img;

	img->busy = 0;
	if (status != 0) {
		img->complete = 0;
		op->cb(FWS_STORE, img, "store commit failed", op->arg);
	} else {
		log_info("firmware %s: image complete, digest verified",
		    img->id);
		firmware_tell(op->gw, img, 1);
		op->cb(FWS_OK, img, NULL, op->arg);
	}
	free(op);
}

/* The last byte is in: check the digest, then mark the image complete
 * or delete it. */
static void
fw_finish(struct fw_op *op)
{
	struct gateway *gw = op->gw;
	struct fw_image *img = op->img;
	struct fw_rec rec;

	if (fw_verify_digest(gw, img) == -1) {
		log_warnx("firmware %s: the image does not hash to its "
		    "manifest's sha256: deleted", img->id);
		img->busy = 0;
		if (fw_remove(gw, img, FWS_DIGEST, op->cb, op->arg) != FWS_OK)
			op->cb(FWS_STORE, NULL, "store failure", op->arg);
		free(op);
		return;
	}
	img->complete = 1;
	img->busy = 1;
	rec.version = FW_REC_VERSION;
	rec.complete = 1;
	rec.received = img->received;
	rec.created = img->created;
	if (store_patch(gw->store, STORE_DB_FIRMWARE, img->id, FW_ID_LEN, &rec,
	    sizeof(rec)) == -1 ||
	    store_when_durable(gw->store, fw_completed, op) == -1) {
		img->busy = 0;
		img->complete = 0;
		op->cb(FWS_STORE, img, "store failure", op->arg);
		free(op);
	}
}

static void
fw_written(int status, void *arg)
{
	struct fw_op *op = arg;
	struct fw_image *img = op->img;

	img->busy = 0;
	if (status != 0) {
		op->cb(FWS_STORE, img, "store commit failed", op->arg);
		free(op);
		return;
	}
	img->received = op->received;
	if (img->received < img->m.size) {
		op->cb(FWS_MORE, img, NULL, op->arg);
		free(op);
		return;
	}
	fw_finish(op);
}

/* Puts bytes [off, off + len) of body into img's chunks in the open batch,
 * completing a partial last chunk from the store. */
static int
fw_put_chunks(struct gateway *gw, const struct fw_image *img, uint64_t off,
    struct evbuffer *body, size_t len)
{
	struct firmware *fw = gw->firmware;
	uint8_t key[FW_CHUNK_KEY];
	size_t in, n, vlen;
	uint32_t idx;

	while (len > 0) {
		idx = (uint32_t)(off / FW_CHUNK);
		in = (size_t)(off % FW_CHUNK);
		fw_chunk_key(img->id, idx, key);
		if (in > 0 && store_read(gw->store, STORE_DB_FWCHUNK, key,
		    sizeof(key), 0, fw->chunk, in, &vlen) != (long)in)
			return -1;
		n = FW_CHUNK - in < len ? FW_CHUNK - in : len;
		if (evbuffer_remove(body, fw->chunk + in, n) != (int)n ||
		    store_put(gw->store, STORE_DB_FWCHUNK, key, sizeof(key),
		    fw->chunk, in + n) == -1)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

enum fw_status
firmware_write(struct gateway *gw, struct fw_image *img, uint64_t first,
    struct evbuffer *body, size_t len, fw_done_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct fw_rec rec;
	struct fw_op *op;

	if (img->busy) {
		snprintf(err, errlen, "another write of image %s is under way",
		    img->id);
		return FWS_BUSY;
	}
	if (img->complete) {
		snprintf(err, errlen, "image %s is complete", img->id);
		return FWS_COMPLETE;
	}
	if (!img->trusted) {
		snprintf(err, errlen, "image %s is signed by a key that is no "
		    "longer in [firmware] trusted_keys", img->id);
		return FWS_UNKNOWN_KEY;
	}
	if (first != img->received || len == 0 ||
	    len > img->m.size - img->received) {
		snprintf(err, errlen, "image %s has %" PRIu64 " of %" PRIu64
		    " bytes: a part must start at %" PRIu64 " and end by the "
		    "size", img->id, img->received, img->m.size,
		    img->received);
		return FWS_BAD_RANGE;
	}
	if ((op = fw_op_new(gw, img, cb, arg)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return FWS_STORE;
	}
	op->received = first + len;
	rec.version = FW_REC_VERSION;
	rec.complete = 0;
	rec.received = op->received;
	rec.created = img->created;
	/* What is in the batch now commits whole or not at all: on a failure
	 * here the chunks already put wait for the record that never comes
	 * and are written over by the next try. */
	if (fw_put_chunks(gw, img, first, body, len) == -1 ||
	    store_patch(gw->store, STORE_DB_FIRMWARE, img->id, FW_ID_LEN, &rec,
	    sizeof(rec)) == -1 ||
	    store_when_durable(gw->store, fw_written, op) == -1) {
		free(op);
		snprintf(err, errlen, "store failure");
		return FWS_STORE;
	}
	img->busy = 1;
	return FWS_OK;
}

long
firmware_read(struct gateway *gw, const struct fw_image *img, uint64_t off,
    void *buf, size_t len)
{
	uint8_t key[FW_CHUNK_KEY];
	size_t vlen;

	if (off >= img->m.size || off / FW_CHUNK != (off + len - 1) / FW_CHUNK)
		return -1;
	fw_chunk_key(img->id, (uint32_t)(off / FW_CHUNK), key);
	return store_read(gw->store, STORE_DB_FWCHUNK, key, sizeof(key),
	    (size_t)(off % FW_CHUNK), buf, len, &vlen);
}

/* Loads one image record at start. */
static int
fw_load_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct gateway *gw = arg;
	struct fw_image *img;
	struct fw_rec rec;
	char err[256];

	if (klen != FW_ID_LEN || vlen <= sizeof(rec))
		goto bad;
	memcpy(&rec, val, sizeof(rec));
	if (rec.version != FW_REC_VERSION ||
	    (img = calloc(1, sizeof(*img))) == NULL)
		goto bad;
	memcpy(img->id, key, FW_ID_LEN);
	img->doclen = vlen - sizeof(rec);
	if ((img->doc = malloc(img->doclen)) == NULL) {
		free(img);
		goto bad;
	}
	memcpy(img->doc, (const uint8_t *)val + sizeof(rec), img->doclen);
	if (fw_manifest_parse(img->doc, img->doclen, &img->m, err,
	    sizeof(err)) != FW_OK) {
		fw_image_free(img);
		goto bad;
	}
	img->complete = rec.complete != 0;
	/* Checked again at every start and reload: a key an operator takes
	 * out of trusted_keys stops its images from going anywhere. */
	img->trusted = fw_manifest_verify(&img->m, &gw->firmware->keys, err,
	    sizeof(err)) == FW_OK;
	if (!img->trusted)
		log_warnx("firmware %s: %s: not served until its key is "
		    "trusted again", img->id, err);
	img->received = rec.received;
	img->created = rec.created;
	img->next = gw->firmware->images;
	gw->firmware->images = img;
	return 0;
bad:
	log_warnx("firmware: skipping a bad record in the store");
	return 0;
}

static int
fw_load_keys(struct gateway *gw, struct fw_keyring *kr)
{
	char err[512];

	if (fw_keyring_load(kr, gw->cfg.fw_trusted_keys, err,
	    sizeof(err)) == -1) {
		log_warnx("firmware: [firmware] trusted_keys: %s", err);
		return -1;
	}
	if (kr->n == 0)
		log_info("firmware: no trusted keys: every manifest will be "
		    "refused");
	return 0;
}

static int
firmware_module_init(struct gateway *gw)
{
	if ((gw->firmware = calloc(1, sizeof(*gw->firmware))) == NULL)
		return -1;
	if (fw_load_keys(gw, &gw->firmware->keys) == -1)
		return -1;
	return store_iterate(gw->store, STORE_DB_FIRMWARE, NULL, 0,
	    fw_load_one, gw) == -1 ? -1 : 0;
}

int
firmware_check_config(const struct gw_config *cfg, char *err, size_t errlen)
{
	struct fw_keyring *kr;
	char why[512];
	int rc;

	if ((kr = calloc(1, sizeof(*kr))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((rc = fw_keyring_load(kr, cfg->fw_trusted_keys, why,
	    sizeof(why))) == -1)
		snprintf(err, errlen, "[firmware] trusted_keys: %s", why);
	free(kr);
	return rc;
}

/* A reload that trusts no key where keys are trusted now is an accident
 * unless the file says [firmware] no_trusted_keys = 1. */
static int
firmware_module_check(struct gateway *gw, const struct gw_config *fresh,
    char *err, size_t errlen)
{
	struct fw_keyring *kr;
	size_t now = gw->firmware->keys.n, then;

	if (now == 0 || fresh->fw_no_trusted_keys)
		return 0;
	if ((kr = calloc(1, sizeof(*kr))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (fw_keyring_load(kr, fresh->fw_trusted_keys, err, errlen) == -1) {
		free(kr);
		return 0;	/* reload keeps the running keys, and says so */
	}
	then = kr->n;
	free(kr);
	if (then > 0)
		return 0;
	snprintf(err, errlen, "it trusts no firmware signing key, and %zu are "
	    "trusted now; set [firmware] no_trusted_keys = 1 to trust none",
	    now);
	return -1;
}

static void
firmware_module_reload(struct gateway *gw, const struct gw_config *old)
{
	struct fw_keyring kr;

	struct fw_image *img;
	char err[256];
	int t;

	(void)old;
	if (fw_load_keys(gw, &kr) == -1) {
		log_warnx("firmware: keeping the trusted keys in use");
		return;
	}
	gw->firmware->keys = kr;
	for (img = gw->firmware->images; img != NULL; img = img->next) {
		t = fw_manifest_verify(&img->m, &kr, err, sizeof(err)) ==
		    FW_OK;
		if (t == img->trusted)
			continue;
		img->trusted = t;
		if (t)
			log_info("firmware %s: its key is trusted again",
			    img->id);
		else
			log_warnx("firmware %s: %s: no longer served, "
			    "announced or rolled out", img->id, err);
		if (img->complete)
			firmware_tell(gw, img, t);
	}
}

static void
firmware_module_stop(struct gateway *gw)
{
	struct fw_image *img;

	if (gw->firmware == NULL)
		return;
	/* Writes waiting for a commit hold images: let them finish. */
	if (gw->store != NULL)
		store_commit(gw->store);
	while ((img = gw->firmware->images) != NULL) {
		gw->firmware->images = img->next;
		fw_image_free(img);
	}
	free(gw->firmware);
	gw->firmware = NULL;
}

const struct gw_module firmware_module = {
	.name = "firmware",
	.init = firmware_module_init,
	.check = firmware_module_check,
	.reload = firmware_module_reload,
	.stop = firmware_module_stop,
};

/* One fetch URI: the configured base, else the listen address unless it
 * is one no device can reach (0.0.0.0, ::): then "". */
void
firmware_fetch_uri(struct gateway *gw, const char *image, int secure,
    char *uri, size_t len)
{
	const struct gw_hostport *listen = secure ?
	    &gw->cfg.coap_secure_listen : &gw->cfg.coap_listen;
	const char *base = secure ? gw->cfg.campaign_fetch_uri_secure :
	    gw->cfg.campaign_fetch_uri;
	char hp[96];

	if (base[0] != '\0')
		snprintf(uri, len, "%s/fw/%s", base, image);
	else if (strcmp(listen->host, "0.0.0.0") == 0 ||
	    strcmp(listen->host, "::") == 0 || listen->host[0] == '\0')
		uri[0] = '\0';
	else
		snprintf(uri, len, "%s://%s/fw/%s", secure ? "coaps" : "coap",
		    config_hostport_str(listen, hp, sizeof(hp)), image);
}

int
firmware_uri_for(struct gateway *gw, const char *image, const char *ep,
    char *uri, size_t len)
{
	struct cred cred;
	int secure = cred_find_by_ep(gw, ep, &cred) == 0;

	explicit_bzero(&cred, sizeof(cred));
	firmware_fetch_uri(gw, image, secure, uri, len);
	if (uri[0] == '\0')
		firmware_fetch_uri(gw, image, !secure, uri, len);
	return uri[0] != '\0' ? 0 : -1;
}
