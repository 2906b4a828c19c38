/*
 * senml_cbor.c: SenML CBOR (RFC 8428 6) to SenML JSON, with a pre-pass over
 * the body by libcbor's streaming decoder (cborscan.c) before anything is
 * built.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cbor.h>

#include "lwm2m/cborscan.h"
#include "lwm2m/senml.h"
#include "lwm2m/senml_int.h"
#include "parse.h"

/*
 * The pre-pass before cbor_load builds a tree (cborscan.h): the item
 * count, the declared sizes and the nesting are bounded first. Tag 4 (a
 * decimal fraction) is the one SenML uses, once per number.
 */
static int
cbor_prescan(struct senml *s, const uint8_t *body, size_t len)
{
	static const struct cborscan_limits lim = {
		.what = "SenML CBOR",
		.items = SENML_CBOR_ITEMS_MAX,
		.depth = SENML_CBOR_DEPTH_MAX,
		.tag4 = 1,
	};
	char err[256];

	if (cborscan_body(body, len, &lim, err, sizeof(err)) == -1)
		return senml_fail(s, "%s", err);
	return 0;
}

enum senml_type {
	SENML_T_TEXT, SENML_T_NUMBER, SENML_T_BOOL, SENML_T_DATA,
	SENML_T_VERSION,
	SENML_T_ANY		/* an extension: text, number or boolean */
};

static const char *const senml_types[] = {
	"text", "a number", "a boolean", "a byte string",
	"an unsigned integer", "text, a number or a boolean"
};

#define SENML_NO_LABEL	INT32_MIN

/* RFC 8428 Table 6, and LwM2M 1.1's object link (text label only). */
static const struct senml_label {
	int32_t		 cbor;
	const char	*name;
	enum senml_type	 type;
} senml_labels[] = {
	{ -1, "bver", SENML_T_VERSION },
	{ -2, "bn", SENML_T_TEXT },
	{ -3, "bt", SENML_T_NUMBER },
	{ -4, "bu", SENML_T_TEXT },
	{ -5, "bv", SENML_T_NUMBER },
	{ -6, "bs", SENML_T_NUMBER },
	{ 0, "n", SENML_T_TEXT },
	{ 1, "u", SENML_T_TEXT },
	{ 2, "v", SENML_T_NUMBER },
	{ 3, "vs", SENML_T_TEXT },
	{ 4, "vb", SENML_T_BOOL },
	{ 5, "s", SENML_T_NUMBER },
	{ 6, "t", SENML_T_NUMBER },
	{ 7, "ut", SENML_T_NUMBER },
	{ 8, "vd", SENML_T_DATA },
	{ SENML_NO_LABEL, "vlo", SENML_T_TEXT },
};
#define NLABELS	(sizeof(senml_labels) / sizeof(senml_labels[0]))

/* Writes the CBOR integer v exactly, in decimal. */
static void
cbor_int_text(const cbor_item_t *v, char *buf, size_t len)
{
	uint64_t u = cbor_get_int(v);

	if (cbor_isa_uint(v))
		snprintf(buf, len, "%" PRIu64, u);
	else if (u == UINT64_MAX)
		snprintf(buf, len, "-18446744073709551616");
	else
		snprintf(buf, len, "-%" PRIu64, u + 1);
}

static int
cbor_is_number(const cbor_item_t *v)
{
	return cbor_is_int(v) || (cbor_isa_float_ctrl(v) &&
	    !cbor_float_ctrl_is_ctrl(v)) || (cbor_isa_tag(v) &&
	    cbor_tag_value(v) == 4);
}

/* A number: an integer, a finite float, a decimal fraction (tag 4). */
static cJSON *
cbor_number(struct senml *s, size_t rec, const char *what,
    const cbor_item_t *v)
{
	char num[SENML_NUM_MAX * 2 + 2], m[SENML_NUM_MAX], x[SENML_NUM_MAX];
	cbor_item_t *frac, **e;
	cJSON *item = NULL;
	double d;

	if (cbor_is_int(v)) {
		cbor_int_text(v, num, sizeof(num));
		return senml_raw(s, num);
	}
	if (cbor_isa_float_ctrl(v)) {
		d = cbor_float_get_float(v);
		if (!isfinite(d))
			senml_fail(s, "SenML CBOR: record %zu: %s: %s has no "
			    "JSON form", rec, what, isnan(d) ? "NaN" :
			    "infinity");
		else if ((item = cJSON_CreateNumber(d)) == NULL)
			senml_fail(s, "out of memory");
		return item;
	}
	frac = cbor_tag_item(v);
	if (!cbor_isa_array(frac) || cbor_array_size(frac) != 2 ||
	    !cbor_is_int((e = cbor_array_handle(frac))[0]) ||
	    !cbor_is_int(e[1]))
		senml_fail(s, "SenML CBOR: record %zu: %s: tag 4 is not on "
		    "[integer exponent, integer mantissa]", rec, what);
	else {
		cbor_int_text(e[1], m, sizeof(m));
		cbor_int_text(e[0], x, sizeof(x));
		snprintf(num, sizeof(num), "%se%s", m, x);
		item = senml_raw(s, num);
	}
	cbor_decref(&frac);
	return item;
}

/* Definite-length UTF-8 text without NUL, as a JSON string. */
static cJSON *
cbor_text(struct senml *s, size_t rec, const char *what,
    const cbor_item_t *v)
{
	const uint8_t *p = cbor_string_handle(v);
	size_t n = cbor_string_length(v);

	if (!cbor_string_is_definite(v) || (n > 0 && p == NULL) ||
	    !parse_utf8(p, n, 0)) {
		senml_fail(s, "SenML CBOR: record %zu: %s: not UTF-8 text "
		    "without NUL", rec, what);
		return NULL;
	}
	return senml_string(s, p, n);
}

/* The JSON value of one field of type type, or NULL. */
static cJSON *
cbor_value(struct senml *s, size_t rec, const char *what,
    enum senml_type type, const cbor_item_t *v)
{
	char num[SENML_NUM_MAX];
	int is_bool = cbor_isa_float_ctrl(v) && cbor_float_ctrl_is_ctrl(v) &&
	    cbor_is_bool(v);
	cJSON *item;

	switch (type) {
	case SENML_T_ANY:
		if (cbor_isa_string(v))
			return cbor_text(s, rec, what, v);
		if (is_bool)
			goto boolean;
		if (cbor_is_number(v))
			return cbor_number(s, rec, what, v);
		break;
	case SENML_T_TEXT:
		if (cbor_isa_string(v))
			return cbor_text(s, rec, what, v);
		break;
	case SENML_T_NUMBER:
		if (cbor_is_number(v))
			return cbor_number(s, rec, what, v);
		break;
	case SENML_T_BOOL:
		if (is_bool)
			goto boolean;
		break;
	case SENML_T_DATA:
		if (cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v) &&
		    (cbor_bytestring_length(v) == 0 ||
		    cbor_bytestring_handle(v) != NULL))
			return senml_base64url(s, cbor_bytestring_handle(v),
			    cbor_bytestring_length(v));
		break;
	case SENML_T_VERSION:
		if (!cbor_isa_uint(v))
			break;
		if (cbor_get_int(v) > SENML_BVER_MAX) {
			senml_fail(s, "SenML CBOR: record %zu: version %" PRIu64
			    " is newer than %d", rec, cbor_get_int(v),
			    SENML_BVER_MAX);
			return NULL;
		}
		cbor_int_text(v, num, sizeof(num));
		return senml_raw(s, num);
	}
	senml_fail(s, "SenML CBOR: record %zu: %s: not %s", rec, what,
	    senml_types[type]);
	return NULL;
boolean:
	if ((item = cJSON_CreateBool(cbor_get_bool(v))) == NULL)
		senml_fail(s, "out of memory");
	return item;
}

/* The label of an integer key, or NULL. */
static const struct senml_label *
cbor_label_int(const cbor_item_t *key)
{
	uint64_t u = cbor_get_int(key);
	int32_t label;
	size_t i;

	if (u > 100)
		return NULL;
	label = cbor_isa_uint(key) ? (int32_t)u : -1 - (int32_t)u;
	for (i = 0; i < NLABELS; i++)
		if (senml_labels[i].cbor == label)
			return &senml_labels[i];
	return NULL;
}

/* The label of a text key, or NULL. */
static const struct senml_label *
cbor_label_text(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < NLABELS; i++)
		if (strlen(senml_labels[i].name) == n &&
		    memcmp(senml_labels[i].name, p, n) == 0)
			return &senml_labels[i];
	return NULL;
}

/* Adds field number i of record rec, key: val, to out. */
static int
cbor_field(struct senml *s, size_t rec, size_t i, const cbor_item_t *key,
    const cbor_item_t *val, cJSON *out)
{
	const struct senml_label *l = NULL;
	const uint8_t *p;
	char *ext = NULL, num[SENML_NUM_MAX];
	size_t n;
	int rc;

	if (cbor_is_int(key)) {
		if ((l = cbor_label_int(key)) == NULL) {
			cbor_int_text(key, num, sizeof(num));
			return senml_fail(s, "SenML CBOR: record %zu: unknown "
			    "label %s", rec, num);
		}
	} else if (cbor_isa_string(key) && cbor_string_is_definite(key)) {
		p = cbor_string_handle(key);
		n = cbor_string_length(key);
		if (n > 0 && p == NULL)
			return senml_fail(s, "out of memory");
		if ((l = cbor_label_text(p, n)) == NULL) {
			if (!parse_utf8(p, n, 0))
				return senml_fail(s, "SenML CBOR: record %zu: "
				    "field %zu: label not UTF-8 text without "
				    "NUL", rec, i);
			if (n > 0 && p[n - 1] == '_')
				return senml_fail(s, "SenML CBOR: record %zu: "
				    "field %zu: unknown must-understand label",
				    rec, i);
			if ((ext = malloc(n + 1)) == NULL)
				return senml_fail(s, "out of memory");
			if (n > 0)
				memcpy(ext, p, n);
			ext[n] = '\0';
		}
	} else
		return senml_fail(s, "SenML CBOR: record %zu: field %zu: label "
		    "neither an integer nor text", rec, i);
	if (val == NULL)
		rc = senml_fail(s, "SenML CBOR: record %zu: field %zu: no "
		    "value", rec, i);
	else if (cJSON_GetObjectItemCaseSensitive(out, l != NULL ? l->name :
	    ext) != NULL)
		rc = senml_fail(s, "SenML CBOR: record %zu: field %zu: label "
		    "appears twice", rec, i);
	else
		rc = senml_add(s, out, l != NULL ? l->name : ext, cbor_value(s,
		    rec, l != NULL ? l->name : "extension field", l != NULL ?
		    l->type : SENML_T_ANY, val));
	free(ext);
	return rc;
}

/* Adds the fields of record rec, a map, to out. */
static int
cbor_record(struct senml *s, size_t rec, const cbor_item_t *map, cJSON *out)
{
	struct cbor_pair *pairs;
	size_t i, n;

	if (!cbor_isa_map(map))
		return senml_fail(s, "SenML CBOR: record %zu is not a map",
		    rec);
	if ((n = cbor_map_size(map)) > SENML_FIELDS_MAX)
		return senml_fail(s, "SenML CBOR: record %zu has more than %d "
		    "fields", rec, SENML_FIELDS_MAX);
	pairs = cbor_map_handle(map);
	for (i = 0; i < n; i++)
		if (cbor_field(s, rec, i, pairs[i].key, pairs[i].value, out) ==
		    -1)
			return -1;
	return 0;
}

/* What cbor_load found wrong, after the pre-pass let the body through. */
static const char *
cbor_load_error(cbor_error_code code)
{
	switch (code) {
	case CBOR_ERR_MEMERROR:
		return "out of memory";
	case CBOR_ERR_NOTENOUGHDATA:
	case CBOR_ERR_NODATA:
		return "cut short";
	case CBOR_ERR_SYNTAXERROR:
		return "malformed (bad UTF-8, or a map or string cut by a "
		    "break)";
	default:
		return "malformed";
	}
}

/* SenML CBOR to SenML JSON. */
char *
senml_from_cbor(struct senml *s, const uint8_t *body, size_t len)
{
	struct cbor_load_result res;
	cbor_item_t *pack, **recs;
	cJSON *out = NULL, *rec;
	size_t i, n = 0;

	if (len == 0) {
		senml_fail(s, "SenML CBOR: empty body");
		return NULL;
	}
	if (cbor_prescan(s, body, len) == -1)
		return NULL;
	memset(&res, 0, sizeof(res));
	if ((pack = cbor_load(body, len, &res)) == NULL ||
	    res.error.code != CBOR_ERR_NONE) {
		senml_fail(s, "SenML CBOR: %s at byte %zu",
		    cbor_load_error(res.error.code), res.error.position);
		if (pack != NULL)
			cbor_decref(&pack);
		return NULL;
	}
	if (!cbor_isa_array(pack))
		senml_fail(s, "SenML CBOR: not an array");
	else if ((n = cbor_array_size(pack)) > SENML_RECORDS_MAX)
		senml_fail(s, "SenML CBOR: more than %d records",
		    SENML_RECORDS_MAX);
	else if ((out = cJSON_CreateArray()) == NULL)
		senml_fail(s, "out of memory");
	else {
		recs = cbor_array_handle(pack);
		for (i = 0; i < n; i++)
			if (senml_add(s, out, NULL,
			    rec = cJSON_CreateObject()) == -1 ||
			    cbor_record(s, i, recs[i], rec) == -1)
				break;
		if (i < n) {
			senml_fail(s, "out of memory");
			cJSON_Delete(out);
			out = NULL;
		}
	}
	cbor_decref(&pack);
	return out != NULL ? senml_print(s, out) : NULL;
}

