/*
 * tagparse.h: the rules of a device tag and the parsers of the bodies that
 * carry tags (lwm2m/tagparse.c); pure, no store. What tags are, and where
 * they are kept, is modules/device/tags.h.
 */
#ifndef OUTPOST_TAGPARSE_H
#define OUTPOST_TAGPARSE_H

#include <stddef.h>

struct cJSON;

#define TAG_LEN_MAX		32
#define TAGS_PER_DEVICE_MAX	16

/* Whether tag is well formed. */
int	tags_valid(const char *tag);

/*
 * The body of PUT /v1/devices/{ep}/tags: a JSON array of strings, or an
 * object whose only member is "tags" holding one; at most TAGS_BODY_MAX
 * bytes. Every element must be a valid tag; duplicates count once; more
 * than max distinct tags is an error. On success out[0..count) holds the
 * tags sorted bytewise (the store's order) and the count is returned (0
 * clears); on error -1 with a reason in err and nothing promised of out.
 */
#define TAGS_BODY_MAX		4096
int	tags_parse_json(const char *body, size_t len,
	    char out[][TAG_LEN_MAX + 1], int max, char *err, size_t errlen);

/* The same rules for a JSON value already parsed (the "tags" member of
 * POST /v1/devices): it must be an array of tags. */
int	tags_parse_array(const struct cJSON *v, char out[][TAG_LEN_MAX + 1],
	    int max, char *err, size_t errlen);

#endif /* OUTPOST_TAGPARSE_H */
