/*
 * campparse.h: what a campaign reads from a device: LwM2M Firmware Update
 * State (/5/0/3) and Update Result (/5/0/5) out of a SenML JSON read of
 * /5/0, or out of one notification of either. Pure functions over
 * untrusted input (the device's answer).
 */
#ifndef OUTPOST_CAMPPARSE_H
#define OUTPOST_CAMPPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/lwm2m.h"
#include "lwm2m/manifest.h"
#include "lwm2m/tagparse.h"

#define CAMP_MAX_DEVICES	100000	/* in one campaign */
#define CAMP_BODY_MAX		(1 << 22) /* bytes of a request */

enum camp_delivery { DELIVER_LWM2M, DELIVER_MULTICAST };

/* A campaign request (doc/firmware.md), checked: what it says, before
 * anything is looked up. -1 in a policy number: the [campaign] default. */
struct camp_req {
	char		 image[FW_ID_LEN + 1];
	int		 all;		/* target "all" */
	char		(*eps)[LWM2M_EP_MAX + 1];	/* in order */
	size_t		 neps;
	char		 tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
	int		 ntags;		/* sorted, distinct */
	int		 delivery;	/* enum camp_delivery */
	int		 group_size;	/* -1 default */
	int		 group_percent;	/* 0 none */
	int		 max_concurrent;	/* -1 default */
	int		 failure_percent;	/* -1 default */
	int		 win_from, win_to;	/* minutes UTC, -1: always */
};

/*
 * Parses a campaign request body[0..len) (no NUL needed): a JSON object
 * {"image": ID, "target": "all" | {"eps": [...], "tags": [...]},
 * "policy": {...}}. Returns 0, or -1 with the reason in err; either way
 * campparse_request_free(req) after.
 */
int	campparse_request(const char *body, size_t len, struct camp_req *req,
	    char *err, size_t errlen);
void	campparse_request_free(struct camp_req *req);

/* "HH:MM" as minutes, or -1. */
int	campparse_minutes(const char *s);

/* Whether ep is an endpoint name as registration accepts it. */
int	campparse_ep_ok(const char *ep);

/*
 * Reads the pack body[0..len) (no NUL needed). A record counts when its
 * resolved name (bn + n) ends in "/5/0/3" or "/5/0/5" ("3" or "5" under a
 * base name "/5/0/") and its "v" is a whole number in 0..255. Returns 0
 * with *state (and *result, -1 when absent), or -1 when no State is there.
 */
int	campparse_fw(const uint8_t *body, size_t len, int *state, int *result);

/*
 * One observed value: path is "5/0/3" (State) or "5/0/5" (Update Result),
 * body its value in Content-Format cf as a device notifies it: text/plain
 * (0, or -1 when the device named none: a decimal 0..255 and nothing
 * else), SenML JSON (110), SenML CBOR (112) or LwM2M TLV (11542). Sets the
 * one the body holds, and -1 for the other. Returns 0, or -1 when the body
 * holds neither (any other path or format, or a malformed body).
 */
int	campparse_value(const char *path, int cf, const uint8_t *body,
	    size_t len, int *state, int *result);

#endif /* OUTPOST_CAMPPARSE_H */
