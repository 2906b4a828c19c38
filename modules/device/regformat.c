/*
 * regformat.c: what a device's registration says of the formats it reads,
 * for the writes the gateway encodes for it (registry.h).
 */
#include <stdlib.h>

#include "gateway.h"
#include "lwm2m/lwm2m.h"
#include "lwm2m/senml.h"
#include "modules/device/registry.h"

int
registry_write_format(struct gateway *gw, const char *ep)
{
	size_t max = (size_t)gw->cfg.coap_max_links;
	int cf = SENML_CF_TLV;
	char *links;
	ssize_t n;

	if ((links = malloc(max)) != NULL && (n = registry_links(gw->registry,
	    ep, links, max)) > 0 &&
	    !lwm2m_root_reads(links, (size_t)n, SENML_CF_TLV) &&
	    lwm2m_root_reads(links, (size_t)n, SENML_CF_CBOR))
		cf = SENML_CF_CBOR;
	free(links);
	return cf;
}
