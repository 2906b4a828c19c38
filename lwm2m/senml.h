/*
 * senml.h: converts a device's answer to SenML JSON (RFC 8428,
 * Content-Format 110) for an HTTP client that sent Accept: application/json,
 * and a write's SenML JSON to the format the device reads (senml_encode,
 * lwm2m/senml_enc.c).
 * Sources: LwM2M TLV (11542, OMA-TS-LightweightM2M-V1_1 §7.4.3), plain text
 * (0) and opaque (42), typed by the object model, and SenML CBOR (112, RFC
 * 8428 §6); SenML JSON (110) is checked and copied.
 *
 * A pure function over untrusted input (the device's payload): no I/O, no
 * globals, every length from the wire is checked against what is left of
 * its parent, and the input, the record count and the output are capped.
 * Hostile input gets NULL and a reason, never a crash. JSON is built with
 * cJSON and CBOR decoded with libcbor, never by hand.
 */
#ifndef OUTPOST_SENML_H
#define OUTPOST_SENML_H

#include <stddef.h>
#include <stdint.h>

#define SENML_CF_TEXT		0
#define SENML_CF_OPAQUE		42
#define SENML_CF_JSON		110
#define SENML_CF_CBOR		112
#define SENML_CF_TLV		11542

#define SENML_IN_MAX	(1024 * 1024)	  /* bytes of a body we convert */
#define SENML_OUT_MAX	(4 * 1024 * 1024) /* bytes of JSON we return */
#define SENML_RECORDS_MAX 4096	/* TLVs (any kind), or CBOR records */
#define SENML_CBOR_ITEMS_MAX 32768 /* CBOR data items in one body */
#define SENML_CBOR_DEPTH_MAX 4	/* CBOR nesting: pack, record, tag 4 */
#define SENML_FIELDS_MAX 64	/* fields in one CBOR record */

/*
 * Converts body (len bytes in Content-Format cf) to a SenML JSON pack.
 * Returns a NUL-terminated string the caller frees with free(), its length
 * in *outlen (when outlen is not NULL), and "" in err; or NULL, 0 in
 * *outlen and a NUL-terminated reason in err (when errlen > 0), such as
 * "TLV: resource 0/6 at byte 40: length 9 runs past its parent (4 left)".
 * Bodies over SENML_IN_MAX and results over SENML_OUT_MAX are refused.
 *
 * cf 110 (SenML JSON): body must parse as one JSON value (no NUL bytes,
 * nothing after it); it is returned byte for byte, not re-encoded.
 *
 * cf 11542 (LwM2M TLV): path is the LwM2M path the request was for, without
 * a leading '/' (one is tolerated): "3", "3/0", "3/0/9" or "3/0/7/1", each
 * id decimal 0..65535 without leading zeros. It says what the body holds:
 *   "3"       object instances (each holding resources); an empty body
 *             is "[]"
 *   "3/0"     resources and multiple resources, or exactly one object
 *             instance TLV with id 0 wrapping them; an empty body is "[]"
 *   "3/0/9"   one resource TLV with id 9, or one multiple resource TLV with
 *             id 9, or a bare run of resource instance TLVs
 *   "3/0/7/1" one resource instance TLV with id 1
 * Anything else is an error: a TLV of a kind that does not belong where it
 * is (an object instance inside one, a resource instance outside a multiple
 * resource, nesting deeper than the format), an id that contradicts the
 * path, two TLVs for the same instance, resource or resource instance, a
 * multiple resource with no instances, a header or value cut short, a child
 * running past its parent, bytes after the last TLV, more than
 * SENML_RECORDS_MAX TLVs. Bits 2-0 of the type byte are ignored when bits
 * 4-3 say the length follows. An empty object instance gives no record.
 * One record per resource and per resource instance, in body order. The
 * first record carries "bn": "/" + path + "/" with "n" relative to it
 * ("0", "7/1"; "0/7/1" for an object path), or, for a body that is the
 * value of the path itself (one resource, one resource instance), "bn":
 * "/" + path and no "n". Ids are written without leading zeros.
 * TLV carries no types: each value is decoded by the type that model
 * (lwm2m/objmodel.h; NULL: the built-in objects) gives its resource, the
 * object being the path's first id, the resource the value's (a resource
 * instance takes its resource's type):
 *   String, Corelnk       "vs": the string (UTF-8 without NUL)
 *   Integer, Time         "v": signed big-endian, 1, 2, 4 or 8 bytes,
 *                         printed exactly
 *   Unsigned Integer      "v": unsigned big-endian, 1, 2, 4 or 8 bytes
 *   Float                 "v": IEEE 754 big-endian, 4 or 8 bytes, finite,
 *                         the shortest decimal that reads back the same
 *   Boolean               "vb": one byte, 0 or 1
 *   Objlnk                "vlo": "OID:IID" from two 16-bit ids
 *   Opaque, none          "vd": base64url without padding (RFC 8428 4.3)
 * A resource the model does not know, and bytes that are no value of
 * their type (a 3-byte Integer, a Boolean 2, a String that is not UTF-8,
 * a NaN), are shown opaque ("vd"), never guessed.
 *
 * cf 0 (plain text) and cf 42 (opaque): path names one resource or
 * resource instance ("3/0/16", "3/0/7/1"), and the body is its value; the
 * pack is one record with "bn": "/" + path. Plain text is decoded by type
 * as LwM2M 7.4.1 writes it: String and Corelnk "vs" (UTF-8), Integer and
 * Time "v" (decimal, an optional '-', within 64 bits), Unsigned Integer
 * "v", Float "v" (a decimal number as JSON writes one, finite), Boolean
 * "vb" ("0" or "1"), Objlnk "vlo" ("OID:IID"); anything else, and an
 * unknown resource, "vd". Opaque is always "vd". A path that names no
 * resource is an error.
 *
 * cf 112 (SenML CBOR): body must be exactly one CBOR array of maps (path is
 * not used). Labels are the integers of RFC 8428 Table 6 (bver -1, bn -2,
 * bt -3, bu -4, bv -5, bs -6, n 0, u 1, v 2, vs 3, vb 4, s 5, t 6, ut 7,
 * vd 8) or the same names as text; fields keep their CBOR order and come
 * out under the JSON names. Types: bn bu n u vs (and LwM2M's "vlo") text;
 * bt bv bs v s t ut integer, finite float or decimal fraction (tag 4 on
 * [int exponent, int mantissa], written exactly as "MeE"); integers are
 * written exactly, including ones past 2^53; bver unsigned integer no
 * greater than 10; vb boolean; vd byte string, written as base64url
 * without padding. Text must be definite-length UTF-8 without NUL bytes.
 * Another text label is passed through if its value is text, a number or
 * a boolean, and is an error if its value is anything else or its name
 * ends in '_' (must-understand, RFC 8428 §4.4). An integer label not in
 * the table is an error (the table is conclusive, RFC 8428 §6). So are a
 * duplicate field, a record with more than SENML_FIELDS_MAX fields, more
 * than SENML_RECORDS_MAX records, more than SENML_CBOR_ITEMS_MAX items,
 * nesting deeper than SENML_CBOR_DEPTH_MAX, a declared length longer than
 * the rest of the body, any tag but 4 on a number, an indefinite-length
 * string, and bytes after the array. An empty array gives "[]".
 *
 * Any other cf: NULL with "no conversion from Content-Format N". model
 * is used for cf 11542 and 0 only, and may be NULL.
 * body may be NULL when len is 0; err may be NULL when errlen is 0.
 */
struct lwm2m_model;

/* The number of ids (1..4) in an LwM2M path as senml_to_json takes it
 * ("3/0/9": 3), or -1 when path is none: plain text and opaque answers
 * convert only at 3 or 4. */
int	 senml_path_depth(const char *path);

char	*senml_to_json(int cf, const uint8_t *body, size_t len,
	    const char *path, const struct lwm2m_model *model, size_t *outlen,
	    char *err, size_t errlen);

/*
 * The other way, for writes: body (len bytes) is a SenML JSON pack (RFC
 * 8428) an API client wrote to path (an LwM2M path as senml_to_json takes
 * it), encoded in Content-Format cf for the device, each value by the type
 * model (NULL: the built-in objects) gives its resource:
 *   String, Corelnk     from "vs" (UTF-8)
 *   Integer, Time       from "v", an integer (no fraction), |v| < 2^53,
 *                       past which a JSON number is not exact
 *   Unsigned Integer    from "v", likewise, and not below 0
 *   Float               from "v", finite
 *   Boolean             from "vb"
 *   Objlnk              from "vlo", "OID:IID" (ids 0..65535)
 *   Opaque              from "vd", base64url without padding (RFC 8428
 *                       4.3), canonical
 * Each record's name is its "bn" (the latest one, which carries to the
 * records after it) followed by its "n": a full path ("/3/0/14",
 * "/3/0/7/1") of a resource or resource instance under path, which the
 * model knows, with an instance id exactly when the resource has multiple
 * instances. The shapes, by path:
 *   "3"        a create: resources of one or more instances
 *              ("/3/0/14", "/3/0/7/0")
 *   "3/0"      an instance's resources (a replace or a partial update)
 *   "3/0/14"   that resource: one record, or its instances if it has
 *              multiple ("/3/0/7/0", "/3/0/7/1")
 *   "3/0/7/1"  that resource instance: one record
 * Refused, with the record and the reason: a body that is not JSON or not
 * a non-empty array of objects, more than SENML_RECORDS_MAX records or
 * SENML_FIELDS_MAX fields in one, a field twice, a record with no value or
 * two, a name that is no such path or lies outside path, an object or
 * resource the model does not know, an executable resource, a path
 * written twice, a value in another field than its type's or that is no
 * value of the type (a fraction or 2^53 for an Integer, -1 for an
 * Unsigned, a string for a Boolean, bad base64url), "bv", "bs" and "s"
 * (a base value or a sum has no place in a write), any field whose name
 * ends in '_' (RFC 8428 4.4), a bver past SENML_BVER_MAX, a NUL byte, a
 * body over SENML_IN_MAX or a result over SENML_OUT_MAX. Other fields
 * (times, units) are left out.
 *
 * cf 11542 (TLV): object instance TLVs around their resources for "3",
 * resource and multiple resource TLVs for "3/0" and "3/0/14", one resource
 * instance TLV for "3/0/7/1", in path order. Integers take the fewest of
 * 1, 2, 4, 8 bytes; an Unsigned Integer below 2^63 keeps its top bit clear
 * (a 1.0 client reads it as an Integer); a Float takes 4 bytes when a
 * float holds it exactly, else 8.
 * cf 0 (plain text, LwM2M 7.4.1): one value, so path names a resource or
 * resource instance: decimal integers, the shortest decimal that reads
 * back as the Float, "0"/"1", "OID:IID", the string's bytes. An Opaque
 * resource has no text form: it goes as opaque (cf 42), its bytes.
 * cf 112 (SenML CBOR, RFC 8428 6): an array of one map per value, the full
 * path under label 0 and the value under 2 (numbers; a Float as a double),
 * 3, 4, 8 or "vlo".
 * Any other cf is refused. Returns the body (caller frees; length 0 is
 * possible, for an empty string in plain text), its length in *outlen and
 * its Content-Format in *outcf; or NULL with a reason in err (when errlen
 * > 0). body may be NULL when len is 0.
 */
uint8_t	*senml_encode(int cf, const uint8_t *body, size_t len,
	    const char *path, const struct lwm2m_model *model, int *outcf,
	    size_t *outlen, char *err, size_t errlen);

#endif /* OUTPOST_SENML_H */
