/*
 * face.h: the CoAP face as main() sees it: its module (coap_module, in
 * gateway.h) and the check of its configuration that outpost -n runs.
 */
#ifndef OUTPOST_FACE_H
#define OUTPOST_FACE_H

#include <stddef.h>

struct gw_config;

/* libcoap's version ("4.3.1"), for outpost_build_info; static. */
const char	*coap_face_version(void);

/* The DTLS key files as the start will read them; -1 with why in err. */
int	coap_check_config(const struct gw_config *cfg, char *err,
	    size_t errlen);

#endif /* OUTPOST_FACE_H */
