/*
 * registry.h: the devices known to the gateway.
 *
 * Every device is in memory (a compact record, two hash indexes and a slot
 * in an array the expiry sweep walks in slices) and in the store (its record
 * and, separately, the link-format body it registered, which is never kept
 * in memory). Changes go to the store first; memory follows when the batch
 * has committed, so the registry in memory never holds what the disk lost.
 *
 * A device's state is derived from its times: expired once its lifetime has
 * passed since its last register/update, sleeping when it is in queue mode
 * and the awake window has passed since its last message, awake otherwise.
 */
#ifndef OUTPOST_REGISTRY_H
#define OUTPOST_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lwm2m/lwm2m.h"

struct gateway;
struct registry;

enum device_state {
	DEVICE_AWAKE,
	DEVICE_SLEEPING,
	DEVICE_EXPIRED,
	DEVICE_STATE__COUNT
};

/* A peer address, compact: 20 bytes instead of a sockaddr_storage. */
struct dev_addr {
	uint8_t		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];
	uint16_t	port;		/* host order */
};

/* The persisted part of a device: the store keeps exactly these bytes
 * (after a one-byte format version), keyed by endpoint name. */
struct dev_record {
	uint64_t	 id;		/* registration id, shown in hex */
	int64_t		 registered_at;	/* unix seconds */
	int64_t		 updated_at;	/* last register or update */
	uint32_t	 lifetime;	/* seconds */
	struct dev_addr	 addr;		/* source of the latest register/update */
	uint8_t		 queue_mode;
	char		 binding[LWM2M_BINDING_MAX + 1];
	char		 version[LWM2M_VERSION_MAX + 1];
};

/*
 * One device, owned by the registry. A pointer stays valid until the device
 * is removed (deregister, decommission) or replaced (re-register); do not
 * keep one across loop turns.
 */
struct coap_peer;
struct devq;

/* devreq.c's part of a device: the peer (session) of its latest register or
 * update, and what waits to go to it. Empty until then; 32 bytes, so a
 * route costs no allocation and no copy of the endpoint name. */
struct dev_route {
	struct coap_peer	*peer;
	struct device		*next, *prev;	/* devices on the same peer */
	struct devq		*q;		/* only while requests or
						   observations exist */
};

struct device {
	struct device	*next_ep;	/* hash chains */
	struct device	*next_id;
	struct dev_record r;
	int64_t		 last_seen;	/* last message of any kind */
	struct dev_route route;		/* devreq.c's */
	uint32_t	 slot;		/* index in the sweep array */
	uint8_t		 state;		/* as last seen by the sweep */
	uint8_t		 ep_len;
	uint16_t	 reg_mid;	/* message id of its register (in
					   what was padding: no cost) */
	char		 ep[];		/* NUL-terminated */
};

/* Result of a change: returned when staging it, and passed to its done
 * callback once the batch has committed. */
enum registry_result {
	REGISTRY_OK,
	REGISTRY_NOT_FOUND,	/* no such (live) registration */
	REGISTRY_FULL,		/* [registry] max_devices reached */
	REGISTRY_STORE_FAILED,	/* the store could not write the batch */
};

typedef void (*registry_done_cb)(enum registry_result res, uint64_t id,
    void *arg);

int		 registry_init(struct gateway *gw);
void		 registry_free(struct gateway *gw);

/* Lookups; NULL when absent. */
struct device	*registry_find_by_endpoint(struct registry *reg, const char *ep);
struct device	*registry_find_by_id(struct registry *reg, uint64_t id);

/* The state of dev at time now under the current config. */
enum device_state registry_state(const struct registry *reg,
		    const struct device *dev, int64_t now);
const char	*registry_state_name(enum device_state st);
int		 registry_state_from_name(const char *name);

/* Number of devices, and of devices per state as last seen by the sweep. */
size_t		 registry_count(const struct registry *reg);
size_t		 registry_count_state(const struct registry *reg,
		    enum device_state st);

/*
 * Changes: each writes to the store batch now and calls done(res, id, arg)
 * after the batch commits (memory is updated just before). They return
 * REGISTRY_OK when staged; anything else means nothing was staged and done
 * will not be called. links may be NULL for an update that keeps its body.
 */
enum registry_result registry_register(struct registry *reg, const struct lwm2m_params *p,
	    const char *links, size_t links_len, const struct dev_addr *from,
	    uint16_t mid, registry_done_cb done, void *arg);
enum registry_result registry_update(struct registry *reg, uint64_t id,
	    const struct lwm2m_params *p, const char *links, size_t links_len,
	    const struct dev_addr *from, registry_done_cb done, void *arg);
enum registry_result registry_deregister(struct registry *reg, uint64_t id,
	    registry_done_cb done, void *arg);
enum registry_result registry_decommission(struct registry *reg, const char *ep,
	    registry_done_cb done, void *arg);

/* Notes a message from dev's address (refreshes last_seen; memory only). */
void	registry_touch(struct registry *reg, struct device *dev);

/*
 * Reads the committed link-format body of ep into buf (at most buflen).
 * Returns its length, or -1 when there is none.
 */
ssize_t	registry_links(struct registry *reg, const char *ep, char *buf,
	    size_t buflen);

/*
 * The Content-Format (lwm2m/senml.h) a write the gateway encodes for ep
 * goes in, by what its registration says it reads (regformat.c): SenML
 * CBOR (112) when the ct of its root link lists 112 and not TLV, else TLV
 * (11542), which LwM2M 1.0 makes every client read and Wakaama, Zephyr
 * and Anjay all do; TLV too for a device with no links on record.
 */
int	registry_write_format(struct gateway *gw, const char *ep);

/*
 * Walks devices in endpoint order starting after `after` (NULL: from the
 * first), calling cb for each until it returns non-zero. Returns 0 or cb's
 * value.
 */
typedef int (*registry_walk_cb)(struct device *dev, void *arg);
int	registry_walk_ordered(struct registry *reg, const char *after,
	    registry_walk_cb cb, void *arg);

/* a and b are one source: family, address and port. */
int	registry_addr_equal(const struct dev_addr *a,
	    const struct dev_addr *b);

/*
 * A register with message id mid from `from` repeats the one that made
 * dev's registration (RFC 7252 4.5: same source, same message id, within
 * EXCHANGE_LIFETIME) and must get that registration, not a new one. Known
 * by the device, so it holds when the session that carried the first is
 * gone (an idle session freed to make room, a session timeout).
 */
int	registry_register_repeat(const struct registry *reg,
	    const struct device *dev, uint16_t mid, const struct dev_addr *from);

/* Formats the registration id as it appears in Location-Path rd/<id>. */
#define REGISTRY_ID_LEN	12
void	registry_id_str(uint64_t id, char buf[REGISTRY_ID_LEN + 1]);
int	registry_id_parse(const char *s, size_t len, uint64_t *id);

/* "127.0.0.1:5683" or "[::1]:5683". */
const char *registry_addr_str(const struct dev_addr *a, char *buf, size_t len);

#endif /* OUTPOST_REGISTRY_H */
