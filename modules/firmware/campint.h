/*
 * campint.h: the campaign engine's own types, shared by its three files
 * and by nothing else (other modules use campaign.h):
 *   campaign.c   the engine: the step timer, the ops it queues, what the
 *                devices report, pause/resume/cancel, the module hooks;
 *   camptarget.c making a campaign: its target, policy and groups;
 *   campstore.c  the device table (by target order and by endpoint), the
 *                JSON the API shows, and the records in the store.
 * A campaign owns its devs and by_ep arrays; a finished one frees them
 * (unloaded) and keeps only its counts.
 */
#ifndef OUTPOST_CAMPINT_H
#define OUTPOST_CAMPINT_H

#include <stddef.h>
#include <stdint.h>

#include "modules/firmware/campaign.h"
#include "modules/firmware/firmware.h"
#include "lwm2m/lwm2m.h"

struct event;
struct gateway;

#define CAMP_OP_PENDING		UINT64_MAX	/* a push awaits its commit */

enum camp_op { COP_NONE, COP_WRITE, COP_READ, COP_EXECUTE };
enum camp_via { VIA_LWM2M, VIA_MULTICAST };

#define CDF_ARMED	0x01	/* the device has begun this update: its
				   Update Result is this update's */
#define CDF_HELD	0x02	/* holds /5/0/3 and /5/0/5 observed */
#define CDF_RECHECK	0x04	/* the URI write or execute was not
				   answered 2.xx: a read of /5/0 decides
				   (not stored: after a restart the op is
				   sent again) */

struct camp_dev {
	char		 ep[LWM2M_EP_MAX + 1];
	uint8_t		 state;		/* enum camp_dev_state */
	uint8_t		 op_kind;	/* enum camp_op */
	uint8_t		 via;		/* enum camp_via */
	uint8_t		 flags;		/* CDF_* */
	int16_t		 fw_state;	/* /5/0/3 as last heard, -1 unknown */
	int16_t		 result;	/* /5/0/5, -1 unknown */
	uint32_t	 group;
	uint32_t	 index;		/* in the target's order */
	uint64_t	 op;		/* queued op, 0 none */
	int64_t		 next_poll;	/* read /5/0 if nothing heard by then;
					   multicast: unicast if not begun */
};

struct camp {
	uint64_t	 id;
	char		 image[FW_ID_LEN + 1];
	char		 uri[300];	/* plain; "" none */
	char		 uri_secure[300];	/* devices with a credential */
	int		 status;	/* enum camp_status */
	int		 told;		/* the status the last "campaign"
					   event told (camp_save) */
	int		 delivery;	/* enum camp_delivery */
	char		 reason[160];
	int		 group_size, max_concurrent, failure_percent;
	int		 win_from, win_to;	/* minutes UTC, -1: always */
	int		 group;		/* the current one */
	int		 ngroups;
	int		 threshold_off;	/* group resumed past its threshold */
	int64_t		 created;
	int64_t		 announced;	/* multicast: when, 0 not yet */
	size_t		 ndevs, cap;
	struct camp_dev	*devs;
	uint32_t	*by_ep;		/* indexes into devs, by endpoint */
	/* A finished campaign keeps its devices in the store only: devs is
	 * NULL, ndevs the total, counts how many ended in each state. */
	int		 unloaded;
	size_t		 counts[CDEV__COUNT];
	struct camp	*next;
};

struct campaigns {
	struct camp	*list;
	uint64_t	 next_id;
	struct event	*tick;
};

extern const char *const camp_delivery_names[];

/* campstore.c */
struct camp	*camp_find(struct gateway *gw, uint64_t id);
struct camp_dev	*camp_lookup(const struct camp *c, const char *ep);
/* Adds ep at the end of c's target; camp_finish then puts devs in target
 * order, drops later duplicates and builds by_ep. 0 or -1. */
int		 camp_add_dev(struct camp *c, const char *ep);
int		 camp_finish(struct camp *c);
void		 camp_free(struct camp *c);
/* Stage c's record, or one device's, in the open batch. 0 or -1. */
int		 camp_save(struct gateway *gw, struct camp *c);
int		 camp_dev_save(struct gateway *gw, const struct camp *c,
		    const struct camp_dev *d);
/* Loads every campaign and its devices from the store at start. */
int		 camp_load(struct gateway *gw);

/* campaign.c */
/* Arms the step timer while a campaign runs or has devices in flight. */
void		 camp_arm(struct gateway *gw);

#endif /* OUTPOST_CAMPINT_H */
