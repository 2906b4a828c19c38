/*
 * campaign.h: firmware campaigns. A campaign takes one complete image to a
 * set of devices through the LwM2M Firmware Update object, in groups: it
 * writes the image's URI to /5/0/1, watches /5/0 until State reaches
 * Downloaded, executes /5/0/2 and reads the Update Result, every step as a
 * queued op (so sleeping devices get it when they wake). It pauses itself
 * when too many of a group's devices fail, starts devices only inside its
 * time window, and never has more than max_concurrent devices in flight.
 * Its state is in the store (STORE_DB_CAMPAIGNS) and carries on after a
 * restart; every device state change is a fw_progress event.
 */
#ifndef OUTPOST_CAMPAIGN_H
#define OUTPOST_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

struct gateway;
struct camp_req;
typedef struct cJSON cJSON;

enum camp_dev_state {
	CDEV_PENDING,
	CDEV_ANNOUNCED,		/* the URI write is queued */
	CDEV_DOWNLOADING,
	CDEV_DOWNLOADED,
	CDEV_UPDATING,
	CDEV_SUCCEEDED,
	CDEV_FAILED,
	CDEV_REMOVED,		/* decommissioned during the campaign */
	CDEV__COUNT
};

enum camp_status {
	CAMP_RUNNING,
	CAMP_PAUSED,
	CAMP_CANCELLED,
	CAMP_DONE,
	CAMP__COUNT
};

/*
 * Creates a campaign from its parsed request (campparse.h): image,
 * target, policy. Its records are in the open batch (the caller waits
 * for the commit before promising anything). Returns its id (> 0), or 0
 * with an HTTP status in *status (422 no such image, 409 a device in
 * another campaign, 400) and the reason in err.
 */
uint64_t	campaign_create(struct gateway *gw, const struct camp_req *req,
		    int *status, char *err, size_t errlen);

/* The campaign as JSON (counts per state; with devices, each device's
 * state and LwM2M Update Result), or NULL when there is none. The caller
 * frees it. */
cJSON		*campaign_json(struct gateway *gw, uint64_t id, int devices);

/* All campaigns, without their devices. */
cJSON		*campaign_list_json(struct gateway *gw);

/* pause, resume or cancel. Returns 0, -1 (no such campaign) or -2 (not
 * possible in its status). */
int		 campaign_action(struct gateway *gw, uint64_t id,
		    const char *action);

const char	*campaign_dev_state_name(int st);

/*
 * ep is decommissioned: in every running or paused campaign that has not
 * finished with it, it ends as removed (neither success nor failure: it
 * does not count toward a group's threshold), and its URI write or
 * execute still queued is cancelled. Staged in the open batch. Returns
 * how many campaigns held it.
 */
int		 campaign_drop_device(struct gateway *gw, const char *ep);

/* The id of a running or paused campaign of image id (the oldest), or 0:
 * its image is not deleted from under it. */
uint64_t	 campaign_of_image(struct gateway *gw, const char *id);

#endif /* OUTPOST_CAMPAIGN_H */
