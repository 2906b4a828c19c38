/*
 * fwserve.h: CoAP delivery of firmware images (modules/coap/fwserve.c),
 * told by firmware.c (through gw->hooks) when an image becomes complete or
 * goes. fwserve_init adds the images present at start; fwserve_stop ends
 * the announcements before the context goes. The GET handlers of
 * /fw/{id} and /fw/{id}/manifest are in coap.h (they take libcoap types).
 */
#ifndef OUTPOST_FWSERVE_H
#define OUTPOST_FWSERVE_H

struct gateway;
struct fw_image;

int	fwserve_init(struct gateway *gw);
void	fwserve_stop(struct gateway *gw);

/* img is complete: serve /fw/ID and /fw/ID/manifest. */
void	fwserve_image_added(struct gateway *gw, const struct fw_image *img);

/* Starts announcing img to the groups of [firmware]. Returns 0, or -1
 * when no group could be used (logged). */
int	fwserve_announce(struct gateway *gw, const struct fw_image *img);

/* img goes: stop serving it. */
void	fwserve_image_gone(struct gateway *gw, const struct fw_image *img);

#endif /* OUTPOST_FWSERVE_H */
