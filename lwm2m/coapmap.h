/*
 * coapmap.h: the HTTP <-> CoAP mapping of RFC 8075, in one place: response
 * codes to HTTP statuses (§7), Content-Formats to media types and back (§6).
 * Pure functions over untrusted input (HTTP headers, CoAP codes and
 * formats from devices).
 */
#ifndef OUTPOST_COAPMAP_H
#define OUTPOST_COAPMAP_H

#include <stddef.h>
#include <stdint.h>

#define COAPMAP_NONE	-1	/* no Content-Format */
#define COAPMAP_DIAG_MAX	200	/* bytes of a diagnostic payload shown */
#define COAPMAP_LOCATION_MAX	256	/* a Location-Path, with its NUL */

/*
 * The HTTP status for a CoAP response code (class 2..5, detail 0..31), as
 * RFC 8075 §7 maps it; has_body picks 200 or 204 where the RFC allows
 * both. A code with no mapping (an unknown class, 2.31, ...) gives 502:
 * the gateway could not make sense of the answer.
 */
int		 coapmap_status(int cls, int detail, int has_body);

/*
 * The media type for a Content-Format, or, for one without a mapping,
 * "application/coap-payload;cf=N" written into buf (RFC 8075 §6.3).
 */
const char	*coapmap_media_type(int cf, char *buf, size_t len);

/*
 * The Content-Format for an HTTP Content-Type or Accept value (media type
 * with optional parameters, case-insensitive type, whitespace tolerated):
 * >= 0, or COAPMAP_NONE when there is no mapping (the proxy answers 415 for
 * a Content-Type, 406 for an Accept). "application/coap-payload;cf=N" maps
 * to N. text/plain maps only with no charset or charset=utf-8.
 */
int		 coapmap_content_format(const char *type);

/*
 * A device's error answer (class 4 or 5) as the API reports it: the name
 * of its code for "error" ("not_found" for 4.04; "device_error" for a code
 * RFC 7252 and its updates do not name), "device {ep} answered 4.04 Not
 * Found" into detail, followed by ": " and its diagnostic payload (RFC
 * 7252 5.5.2) when that is text (no Content-Format, or 0; UTF-8 without
 * control characters), cut to COAPMAP_DIAG_MAX bytes at a character with
 * "..." after it; and "4.04" into code (at least 5 bytes). cls must be 0..7,
 * detail 0..31. Returns the name.
 */
const char	*coapmap_device_error(const char *ep, int cls, int detail,
		    int cf, const uint8_t *diag, size_t len, char *detail_buf,
		    size_t detail_len, char *code, size_t code_len);

/*
 * Appends one Location-Path option value (seg, len bytes, from the device)
 * to loc, a NUL-terminated path of segments joined by '/' ("33605/0") in a
 * buffer of COAPMAP_LOCATION_MAX bytes. A segment must be 1..len bytes of
 * A-Z a-z 0-9 - . _ ~ and neither "." nor "..", so that the path goes into
 * an HTTP Location header and a JSON string as it is. Returns 0, or -1
 * (loc unchanged) for a bad segment or no room.
 */
int		 coapmap_location_add(char *loc, const uint8_t *seg,
		    size_t len);

#endif /* OUTPOST_COAPMAP_H */
