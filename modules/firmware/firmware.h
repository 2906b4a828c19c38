/*
 * firmware.h: the gateway's firmware images. A manifest is accepted (its
 * signature, key, size and sequence checked) before anything is stored;
 * the image follows in parts, each written to the store in fixed-size
 * chunks and committed before it is acknowledged; the digest is checked
 * when the last part is in. Images are never held whole in memory: the
 * chunks stay in LMDB and are read a block at a time.
 *
 * The index of images (their manifests and upload state) is in memory and
 * in STORE_DB_FIRMWARE; chunk i of image id is STORE_DB_FWCHUNK
 * "id" + i (u32 BE), FW_CHUNK bytes except the last.
 */
#ifndef OUTPOST_FIRMWARE_H
#define OUTPOST_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/manifest.h"

#define FW_CHUNK	16384	/* a multiple of every Block2 size */

struct gateway;
struct evbuffer;

/* One image. Owned by firmware.c; valid until firmware_delete's callback
 * (or the gateway stops). */
struct fw_image {
	char		 id[FW_ID_LEN + 1];
	struct fw_manifest m;
	char		*doc;		/* the manifest as received */
	size_t		 doclen;
	uint64_t	 received;	/* bytes committed */
	int		 complete;	/* every byte in, digest checked */
	int		 trusted;	/* its signature verifies with a key of
					   [firmware] trusted_keys now: only
					   then is it served, announced or
					   rolled out */
	int		 busy;		/* a write of it awaits its commit */
	int64_t		 created;
	struct fw_image	*next;
};

/* Why an operation failed; mapped to wire codes by its caller. */
enum fw_status {
	FWS_OK,
	FWS_MORE,		/* a part is stored, more are expected */
	FWS_BAD_MANIFEST,	/* not a manifest */
	FWS_UNKNOWN_KEY,	/* not signed by a trusted key */
	FWS_BAD_SIGNATURE,
	FWS_OLD_SEQUENCE,	/* seq not above the newest of its class */
	FWS_EXISTS,		/* that image is here already */
	FWS_FULL,		/* over [firmware] max_store_mb */
	FWS_NOT_FOUND,
	FWS_BUSY,		/* another write of the image is under way */
	FWS_COMPLETE,		/* the image has every byte already */
	FWS_BAD_RANGE,		/* the part does not start where the last
				   ended, or runs past the size */
	FWS_DIGEST,		/* the bytes do not hash to the manifest's */
	FWS_STORE,		/* the store failed */
};

/* Called once an operation is committed (or failed). img is the image
 * concerned, or NULL; detail explains a failure. */
typedef void (*fw_done_cb)(enum fw_status st, struct fw_image *img,
    const char *detail, void *arg);

/* Checks the manifest doc and stores it as a new image; cb after commit.
 * Returns FWS_OK when cb will be called, or the failure (cb not called)
 * with detail in err. */
enum fw_status	firmware_add(struct gateway *gw, const void *doc, size_t len,
		    fw_done_cb cb, void *arg, char *err, size_t errlen);

/*
 * Appends the len bytes of body (drained) to img at offset first; cb after
 * the commit with FWS_MORE, or, for the last part, after the digest check
 * with FWS_OK or FWS_DIGEST (the image is then deleted). Returns FWS_OK
 * when cb will be called, or the failure with detail in err.
 */
enum fw_status	firmware_write(struct gateway *gw, struct fw_image *img,
		    uint64_t first, struct evbuffer *body, size_t len,
		    fw_done_cb cb, void *arg, char *err, size_t errlen);

/* Deletes img, its manifest and every chunk; cb after the commit. */
enum fw_status	firmware_delete(struct gateway *gw, struct fw_image *img,
		    fw_done_cb cb, void *arg);

struct fw_image	*firmware_find(struct gateway *gw, const char *id);

/* The URI a device fetches image from: plain CoAP (secure 0) or DTLS,
 * from [campaign] fetch_uri(_secure) or the listen address; "" when no
 * device could reach it. */
void		 firmware_fetch_uri(struct gateway *gw, const char *image,
		    int secure, char *uri, size_t len);
/* The one for ep: over DTLS when it has a credential (plain CoAP is never
 * for it), else plain; the other when that one is "". 0, or -1 with
 * neither. */
int		 firmware_uri_for(struct gateway *gw, const char *image,
		    const char *ep, char *uri, size_t len);
struct fw_image	*firmware_first(struct gateway *gw);

/* Copies len bytes of img from off into buf (a read of one chunk: off and
 * len must not cross a FW_CHUNK boundary). Returns the bytes copied or -1. */
long		 firmware_read(struct gateway *gw, const struct fw_image *img,
		    uint64_t off, void *buf, size_t len);

/* Bytes of images the store holds or expects (their manifests' sizes). */
uint64_t	 firmware_bytes(struct gateway *gw);

/* outpost -n: the trusted keys load as the start loads them; -1 with
 * why in err. */
struct gw_config;
int	firmware_check_config(const struct gw_config *cfg, char *err,
	    size_t errlen);

#endif /* OUTPOST_FIRMWARE_H */
