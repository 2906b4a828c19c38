/*
 * senml_int.h: what the SenML converters share: the helpers of senml.c,
 * which they all stand on; the converters that senml_dec.c calls
 * (senml_tlv.c, senml_typed.c, senml_cbor.c); the encoder of writes,
 * senml_enc.c and senml_encfmt.c. Not for the rest of the gateway: senml.h
 * is its interface.
 */
#ifndef OUTPOST_SENML_INT_H
#define OUTPOST_SENML_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "lwm2m/objmodel.h"

#define SENML_BVER_MAX	10	/* the newest bver we know (RFC 8428) */
#define SENML_NUM_MAX	24	/* "-18446744073709551616" and the NUL */

/* One conversion: where its reason goes. */
struct senml {
	char	*err;
	size_t	 errlen;
};

int	 senml_fail(struct senml *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
cJSON	*senml_string(struct senml *s, const uint8_t *p, size_t n);
cJSON	*senml_base64url(struct senml *s, const uint8_t *p, size_t n);
cJSON	*senml_raw(struct senml *s, const char *text);
int	 senml_add(struct senml *s, cJSON *obj, const char *name, cJSON *item);
char	*senml_print(struct senml *s, cJSON *pack);

struct lwm2m_model;
struct lwm2m_res;

/* An LwM2M path ("3/0/7/1", a leading '/' tolerated) into ids: their
 * number, or -1; and ids[0..n) back as "3/0/7/1" (no leading '/'). */
int	 senml_path(const char *path, int32_t ids[4]);
void	 senml_join(char *buf, size_t len, const int32_t *ids, int n);

/* Adds value v[0..n) of resource r (NULL: unknown to the model) to rec by
 * r's type, from TLV (text 0) or plain text (text 1); see senml.h. */
int	 senml_add_typed(struct senml *s, cJSON *rec,
	    const struct lwm2m_res *r, int text, const uint8_t *v, size_t n);

/* The converters: a SenML JSON pack (caller frees) or NULL with a reason. */
char	*senml_from_tlv(struct senml *s, const uint8_t *body, size_t len,
	    const char *path, const struct lwm2m_model *model);
char	*senml_from_text(struct senml *s, int cf, const uint8_t *body,
	    size_t len, const char *path, const struct lwm2m_model *model);
char	*senml_from_cbor(struct senml *s, const uint8_t *body, size_t len);

/* ---- the encoder of writes (senml_enc.c, senml_encfmt.c) ---- */

#define ENC_NAME_MAX	64	/* bytes of a resolved name ("/3/0/7/1") */

/* One record of the pack: where its value goes, and the value by type. */
struct enc_rec {
	int32_t		 ids[4];
	int		 depth;
	size_t		 index;		/* in the pack, from 0 */
	char		 name[ENC_NAME_MAX];
	struct lwm2m_res res;
	int64_t		 i;		/* Integer, Time */
	uint64_t	 u;		/* Unsigned Integer */
	double		 d;		/* Float */
	int		 b;		/* Boolean */
	const char	*str;		/* String, Corelnk: the pack's */
	size_t		 slen;
	uint8_t		*bytes;		/* Opaque, decoded (owned) */
	size_t		 nbytes;
	unsigned	 lo[2];		/* Objlnk */
};

struct enc {
	struct senml		*s;
	const struct lwm2m_model *model;
	int32_t			 path[4];
	int			 depth;
	struct enc_rec		*recs;
	size_t			 nrecs;
};

/* A growing output. */
struct enc_buf {
	uint8_t		*p;
	size_t		 len, cap;
};

/* The records of e (in path order, each typed) into b: as TLV, as plain
 * text or opaque (*outcf says which), as SenML CBOR. 0, or -1 with a
 * reason. */
int	 senml_enc_tlv(struct enc *e, struct enc_buf *b);
int	 senml_enc_text(struct enc *e, struct enc_buf *b, int *outcf);
int	 senml_enc_cbor(struct enc *e, struct enc_buf *b);

#endif /* OUTPOST_SENML_INT_H */
