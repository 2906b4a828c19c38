/*
 * senml_int.h: what the SenML converters share (senml.c, senml_tlv.c,
 * senml_cbor.c). Not for the rest of the gateway: senml.h is its interface.
 */
#ifndef OUTPOST_SENML_INT_H
#define OUTPOST_SENML_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#define SENML_BVER_MAX	10	/* the newest bver we know (RFC 8428) */
#define SENML_NUM_MAX	24	/* "-18446744073709551616" and the NUL */

/* One conversion: where its reason goes. */
struct senml {
	char	*err;
	size_t	 errlen;
};

int	 senml_fail(struct senml *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 senml_utf8(const uint8_t *p, size_t n, int no_ctrl);
cJSON	*senml_string(struct senml *s, const uint8_t *p, size_t n);
cJSON	*senml_base64url(struct senml *s, const uint8_t *p, size_t n);
cJSON	*senml_raw(struct senml *s, const char *text);
int	 senml_add(struct senml *s, cJSON *obj, const char *name, cJSON *item);
char	*senml_print(struct senml *s, cJSON *pack);

/* The converters: a SenML JSON pack (caller frees) or NULL with a reason. */
char	*senml_from_tlv(struct senml *s, const uint8_t *body, size_t len,
	    const char *path);
char	*senml_from_cbor(struct senml *s, const uint8_t *body, size_t len);

#endif /* OUTPOST_SENML_INT_H */
