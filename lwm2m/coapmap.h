/*
 * coapmap.h: the HTTP <-> CoAP mapping of RFC 8075, in one place: response
 * codes to HTTP statuses (§7), Content-Formats to media types and back (§6).
 * Pure functions over untrusted input (HTTP headers, CoAP codes and
 * formats from devices).
 */
#ifndef OUTPOST_COAPMAP_H
#define OUTPOST_COAPMAP_H

#include <stddef.h>

#define COAPMAP_NONE	-1	/* no Content-Format */

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

#endif /* OUTPOST_COAPMAP_H */
