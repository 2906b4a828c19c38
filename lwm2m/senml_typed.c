/*
 * senml_typed.c: one LwM2M value as SenML JSON by the type the object model
 * gives its resource (senml.h says which field each type gets), from TLV
 * bytes or from plain text; and plain text (0) and opaque (42) answers as
 * a SenML JSON pack of one record.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/objmodel.h"
#include "lwm2m/senml.h"
#include "lwm2m/senml_int.h"
#include "parse.h"

/* A number item printed exactly, or NULL after a failure. */
static cJSON *
typed_raw(struct senml *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static cJSON *
typed_raw(struct senml *s, const char *fmt, ...)
{
	char num[SENML_NUM_MAX + 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(num, sizeof(num), fmt, ap);
	va_end(ap);
	return senml_raw(s, num);
}

/* The shortest decimal that reads back as d (digits up to max, 9 for a
 * float, 17 for a double); d is finite. */
static cJSON *
typed_double(struct senml *s, double d, int max, int is_float)
{
	char num[40];
	int prec;

	for (prec = 1; prec < max; prec++) {
		snprintf(num, sizeof(num), "%.*g", prec, d);
		if (is_float ? (float)strtod(num, NULL) == (float)d :
		    strtod(num, NULL) == d)
			break;
	}
	/* A whole number as digits, not "1e+03". */
	if (d == trunc(d) && fabs(d) < 1e17)
		snprintf(num, sizeof(num), "%.0f", d);
	else
		snprintf(num, sizeof(num), "%.*g", prec, d);
	return senml_raw(s, num);
}

/* Big-endian bytes as a signed or unsigned 64-bit value. */
static uint64_t
typed_be(const uint8_t *v, size_t n, int sign)
{
	uint64_t u = sign && (v[0] & 0x80) ? UINT64_MAX : 0;
	size_t i;

	for (i = 0; i < n; i++)
		u = u << 8 | v[i];
	return u;
}

static int
typed_int_len(size_t n)
{
	return n == 1 || n == 2 || n == 4 || n == 8;
}

/* "OID:IID" of an object link. */
static cJSON *
typed_objlnk(struct senml *s, unsigned oid, unsigned iid)
{
	char lnk[16];
	cJSON *item;

	snprintf(lnk, sizeof(lnk), "%u:%u", oid, iid);
	if ((item = cJSON_CreateString(lnk)) == NULL)
		senml_fail(s, "out of memory");
	return item;
}

/* A value in the TLV encoding of type t (LwM2M 1.1 C.2): its field and
 * its item; NULL with *field "vd" when the bytes are no value of t. */
static cJSON *
typed_tlv(struct senml *s, enum lwm2m_type t, const uint8_t *v, size_t n,
    const char **field)
{
	union { uint32_t u; float f; } f32;
	union { uint64_t u; double d; } f64;
	uint64_t u;

	switch (t) {
	case LWM2M_TYPE_STRING:
	case LWM2M_TYPE_CORELNK:
		if (!parse_utf8(v, n, 0))
			break;
		*field = "vs";
		return senml_string(s, v, n);
	case LWM2M_TYPE_INTEGER:
	case LWM2M_TYPE_TIME:
		if (!typed_int_len(n))
			break;
		u = typed_be(v, n, 1);
		*field = "v";
		return typed_raw(s, "%" PRId64, u > INT64_MAX ?
		    -(int64_t)~u - 1 : (int64_t)u);
	case LWM2M_TYPE_UNSIGNED:
		if (!typed_int_len(n))
			break;
		*field = "v";
		return typed_raw(s, "%" PRIu64, typed_be(v, n, 0));
	case LWM2M_TYPE_FLOAT:
		if (n == 4) {
			f32.u = (uint32_t)typed_be(v, 4, 0);
			if (!isfinite(f32.f))
				break;
			*field = "v";
			return typed_double(s, f32.f, 9, 1);
		}
		if (n == 8) {
			f64.u = typed_be(v, 8, 0);
			if (!isfinite(f64.d))
				break;
			*field = "v";
			return typed_double(s, f64.d, 17, 0);
		}
		break;
	case LWM2M_TYPE_BOOLEAN:
		if (n != 1 || v[0] > 1)
			break;
		*field = "vb";
		return cJSON_CreateBool(v[0]);
	case LWM2M_TYPE_OBJLNK:
		if (n != 4)
			break;
		*field = "vlo";
		return typed_objlnk(s, (unsigned)v[0] << 8 | v[1],
		    (unsigned)v[2] << 8 | v[3]);
	default:
		break;
	}
	*field = "vd";
	return NULL;
}

/* Decimal digits v[0..n), at least one, into *out; -1 past max. */
static int
typed_digits(const uint8_t *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' ||
		    x > (max - (uint64_t)(v[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/* Whether v[0..n) is a decimal number as JSON writes one (RFC 8259 6),
 * which is what LwM2M's plain text gives a Float. */
static int
typed_is_number(const uint8_t *v, size_t n)
{
	size_t i = 0, d;

	if (i < n && v[i] == '-')
		i++;
	for (d = i; i < n && v[i] >= '0' && v[i] <= '9'; i++)
		;
	if (i == d || (v[d] == '0' && i - d > 1))
		return 0;
	if (i < n && v[i] == '.') {
		for (d = ++i; i < n && v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (v[i] == 'e' || v[i] == 'E')) {
		if (++i < n && (v[i] == '+' || v[i] == '-'))
			i++;
		for (d = i; i < n && v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n && n < 64;
}

/* A value in the plain text encoding of type t (LwM2M 1.1 7.4.1), as
 * typed_tlv does for TLV. */
static cJSON *
typed_text(struct senml *s, enum lwm2m_type t, const uint8_t *v, size_t n,
    const char **field)
{
	const uint8_t *colon;
	uint64_t x, y;
	char num[64];
	double d;

	switch (t) {
	case LWM2M_TYPE_STRING:
	case LWM2M_TYPE_CORELNK:
		if (!parse_utf8(v, n, 0))
			break;
		*field = "vs";
		return senml_string(s, v, n);
	case LWM2M_TYPE_INTEGER:
	case LWM2M_TYPE_TIME:
		if (n > 0 && v[0] == '-') {
			if (typed_digits(v + 1, n - 1, (uint64_t)INT64_MAX + 1,
			    &x) == -1)
				break;
			*field = "v";
			return typed_raw(s, "%s%" PRIu64, x ? "-" : "", x);
		}
		if (typed_digits(v, n, INT64_MAX, &x) == -1)
			break;
		*field = "v";
		return typed_raw(s, "%" PRIu64, x);
	case LWM2M_TYPE_UNSIGNED:
		if (typed_digits(v, n, UINT64_MAX, &x) == -1)
			break;
		*field = "v";
		return typed_raw(s, "%" PRIu64, x);
	case LWM2M_TYPE_FLOAT:
		if (!typed_is_number(v, n))
			break;
		memcpy(num, v, n);
		num[n] = '\0';
		if (!isfinite(d = strtod(num, NULL)))
			break;
		*field = "v";
		return typed_double(s, d, 17, 0);
	case LWM2M_TYPE_BOOLEAN:
		if (n != 1 || (v[0] != '0' && v[0] != '1'))
			break;
		*field = "vb";
		return cJSON_CreateBool(v[0] == '1');
	case LWM2M_TYPE_OBJLNK:
		if ((colon = memchr(v, ':', n)) == NULL ||
		    typed_digits(v, (size_t)(colon - v), 65535, &x) == -1 ||
		    typed_digits(colon + 1, n - (size_t)(colon - v) - 1, 65535,
		    &y) == -1)
			break;
		*field = "vlo";
		return typed_objlnk(s, (unsigned)x, (unsigned)y);
	default:
		break;
	}
	*field = "vd";
	return NULL;
}

/*
 * Adds the value v[0..n) of resource r (NULL: the model does not know it)
 * to rec, from TLV (text 0) or plain text (text 1): by r's type, or "vd".
 */
int
senml_add_typed(struct senml *s, cJSON *rec, const struct lwm2m_res *r,
    int text, const uint8_t *v, size_t n)
{
	const char *field = "vd";
	cJSON *item = NULL;

	if (r != NULL)
		item = text ? typed_text(s, r->type, v, n, &field) :
		    typed_tlv(s, r->type, v, n, &field);
	if (item == NULL && strcmp(field, "vd") == 0)
		item = senml_base64url(s, v, n);
	else if (item == NULL)
		senml_fail(s, "out of memory");
	return senml_add(s, rec, field, item);
}

/* Plain text (0) or opaque (42): the value of one resource or resource
 * instance, as a pack of one record named by the path. */
char *
senml_from_text(struct senml *s, int cf, const uint8_t *body, size_t len,
    const char *path, const struct lwm2m_model *model)
{
	struct lwm2m_res res;
	int32_t ids[4];
	char bn[32];
	cJSON *pack, *rec;
	int depth, known;

	if ((depth = senml_path(path, ids)) < 3) {
		senml_fail(s, "%s: path '%.32s' is not an LwM2M resource or "
		    "resource instance", cf == SENML_CF_TEXT ? "plain text" :
		    "opaque", path != NULL ? path : "(none)");
		return NULL;
	}
	known = cf == SENML_CF_TEXT && lwm2m_model_resource(model,
	    (unsigned)ids[0], (unsigned)ids[2], &res) == 0;
	bn[0] = '/';
	senml_join(bn + 1, sizeof(bn) - 1, ids, depth);
	if ((pack = cJSON_CreateArray()) == NULL ||
	    senml_add(s, pack, NULL, rec = cJSON_CreateObject()) == -1 ||
	    senml_add(s, rec, "bn", cJSON_CreateString(bn)) == -1 ||
	    senml_add_typed(s, rec, known ? &res : NULL, 1, body, len) == -1) {
		senml_fail(s, "out of memory");
		cJSON_Delete(pack);
		return NULL;
	}
	return senml_print(s, pack);
}
