/*
 * tlv.c: LwM2M TLV as the node reads it in writes; see tlv.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "node/tlv.h"

int
tlv_next(const uint8_t *buf, size_t len, size_t *off, struct tlv *t,
    char *err, size_t errlen)
{
	size_t at = *off, idlen, lenlen, vlen = 0, i;
	uint8_t type;

	if (at == len)
		return 0;
	type = buf[at++];
	idlen = type & 0x20 ? 2 : 1;
	lenlen = (type >> 3) & 3;
	if (len - at < idlen + lenlen) {
		snprintf(err, errlen, "TLV at byte %zu: truncated header",
		    *off);
		return -1;
	}
	t->kind = (enum tlv_kind)(type >> 6);
	t->id = idlen == 2 ? (uint16_t)(buf[at] << 8 | buf[at + 1]) : buf[at];
	at += idlen;
	if (lenlen == 0)
		vlen = type & 7;
	for (i = 0; i < lenlen; i++)
		vlen = vlen << 8 | buf[at++];
	if (vlen > len - at) {
		snprintf(err, errlen, "TLV at byte %zu: a value of %zu bytes "
		    "with %zu left", *off, vlen, len - at);
		return -1;
	}
	t->val = buf + at;
	t->len = vlen;
	*off = at + vlen;
	return 1;
}

int
tlv_text(const struct tlv *t, enum obj_type type, char *buf, size_t len,
    size_t *outlen, char *err, size_t errlen)
{
	uint64_t u = 0;
	size_t i;
	int n;

	switch (type) {
	case OBJ_INT:
	case OBJ_TIME:
		if (t->len != 1 && t->len != 2 && t->len != 4 && t->len != 8)
			break;
		for (i = 0; i < t->len; i++)
			u = u << 8 | t->val[i];
		if (t->len < 8 && (t->val[0] & 0x80))	/* sign-extend */
			u |= ~(uint64_t)0 << (8 * t->len);
		n = snprintf(buf, len, "%" PRId64, (int64_t)u);
		if (n < 0 || (size_t)n >= len)
			goto toolong;
		*outlen = (size_t)n;
		return 0;
	case OBJ_BOOL:
		if (t->len != 1 || t->val[0] > 1)
			break;
		if (len < 2)
			goto toolong;
		buf[0] = (char)('0' + t->val[0]);
		buf[1] = '\0';
		*outlen = 1;
		return 0;
	case OBJ_STRING:
		if (memchr(t->val, '\0', t->len) != NULL)
			break;
		/* FALLTHROUGH */
	case OBJ_OPAQUE:
		if (t->len >= len)
			goto toolong;
		memcpy(buf, t->val, t->len);
		buf[t->len] = '\0';
		*outlen = t->len;
		return 0;
	default:
		break;
	}
	snprintf(err, errlen, "resource %u: %zu bytes are not a TLV %s", t->id,
	    t->len, type == OBJ_INT || type == OBJ_TIME ?
	    "integer (1, 2, 4 or 8 bytes)" : type == OBJ_BOOL ?
	    "boolean (one byte, 0 or 1)" : type == OBJ_STRING ?
	    "string (no NUL byte)" : "value this client writes");
	return -1;
toolong:
	snprintf(err, errlen, "resource %u: a value of %zu bytes is over the "
	    "limit of %zu", t->id, t->len, len - 1);
	return -1;
}
