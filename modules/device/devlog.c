/*
 * devlog.c: the last log lines of a device that failed a job or a
 * campaign (see devlog.h). The reads under way are a short list in
 * memory, by op id: few devices fail at once, and each read is forgotten
 * when its op ends.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "gateway.h"
#include "log.h"
#include "lwm2m/devlog.h"
#include "lwm2m/lwm2m.h"
#include "modules/device/devlog.h"
#include "modules/device/queue.h"
#include "modules/device/registry.h"
#include "store/store.h"

#define DEVLOG_KEY_MAX	(8 + 24 + LWM2M_EP_MAX)
#define DEVLOG_LINKS_MAX	4096

struct devlog_read {
	struct devlog_read	*next;
	uint64_t		 op;
	char			 key[DEVLOG_KEY_MAX];
};

struct devlogs {
	struct devlog_read	*reads;
};

static int
devlog_key(char *buf, const char *kind, uint64_t id, const char *ep)
{
	int n = snprintf(buf, DEVLOG_KEY_MAX, "%s/%" PRIu64 "/%s", kind, id,
	    ep);

	return n > 0 && n < DEVLOG_KEY_MAX ? n : -1;
}

int
devlog_listed(struct gateway *gw, const char *ep)
{
	char links[DEVLOG_LINKS_MAX];
	ssize_t n;
	const char *p;

	if ((n = registry_links(gw->registry, ep, links, sizeof(links) - 1)) <
	    0)
		return 0;
	links[n < (ssize_t)sizeof(links) ? n : (ssize_t)sizeof(links) - 1] =
	    '\0';
	for (p = links; (p = strstr(p, "</20")) != NULL; p += 4)
		if (p[4] == '>' || p[4] == '/')
			return 1;
	return 0;
}

/* The read is committed: the device's queue may deliver it. */
static void
devlog_pushed(enum queue_result res, uint64_t id, void *arg)
{
	struct gateway **gwp = arg;

	(void)id;
	if (res == QUEUE_OK)
		queue_wake(gwp[0], (const char *)(gwp + 1));
	free(arg);
}

int
devlog_request(struct gateway *gw, const char *kind, uint64_t id,
    const char *ep)
{
	size_t n = strlen(ep) + 1;
	struct devlog_read *rd;
	struct devreq_spec spec;
	struct gateway **arg = NULL;
	enum queue_result r;
	uint64_t op = 0;

	if (gw->devlogs == NULL || !devlog_listed(gw, ep))
		return 1;
	if ((rd = calloc(1, sizeof(*rd))) == NULL ||
	    devlog_key(rd->key, kind, id, ep) == -1 ||
	    (arg = malloc(sizeof(*arg) + n)) == NULL) {
		free(rd);
		free(arg);
		log_warnx("device %s: %s %" PRIu64 ": its log is not read: "
		    "out of memory", ep, kind, id);
		return -1;
	}
	memset(&spec, 0, sizeof(spec));
	spec.method = DEVREQ_GET;
	spec.path = DEVLOG_PATH;
	spec.content_format = -1;
	spec.accept = -1;
	spec.timeout_s = (unsigned)gw->cfg.proxy_timeout;
	arg[0] = gw;
	memcpy(arg + 1, ep, n);
	if ((r = queue_push_id(gw, ep, &spec, devlog_pushed, arg, &op)) !=
	    QUEUE_OK) {
		free(arg);
		free(rd);
		log_warnx("device %s: %s %" PRIu64 ": its log is not read: %s",
		    ep, kind, id, r == QUEUE_FULL ? "its queue is full" :
		    "the store failed");
		return -1;
	}
	rd->op = op;
	rd->next = gw->devlogs->reads;
	gw->devlogs->reads = rd;
	log_info("device %s: %s %" PRIu64 " failed: reading its log (op %"
	    PRIu64 ")", ep, kind, id, op);
	return 0;
}

/* The queue's listener: a read of ours ended; its lines are kept in the
 * batch of its result. */
static void
devlog_op_ended(struct gateway *gw, const struct op_view *v, void *arg)
{
	struct devlog_read **pp, *rd;
	cJSON *lines;
	char *text;

	(void)arg;
	if (gw->devlogs == NULL)
		return;		/* stopping */
	for (pp = &gw->devlogs->reads; *pp != NULL && (*pp)->op != v->id;
	    pp = &(*pp)->next)
		;
	if ((rd = *pp) == NULL)
		return;
	*pp = rd->next;
	if (v->result_status != 200 || v->result_len == 0) {
		log_info("device %s: its log could not be read (%s, HTTP %d)",
		    v->ep, queue_state_name(v->state), v->result_status);
		free(rd);
		return;
	}
	if ((lines = devlog_lines(v->result, v->result_len, INT64_MIN,
	    DEVLOG_KEEP)) == NULL || (text = cJSON_PrintUnformatted(lines)) ==
	    NULL) {
		cJSON_Delete(lines);
		free(rd);
		return;
	}
	if (store_put(gw->store, STORE_DB_DEVLOGS, rd->key, strlen(rd->key),
	    text, strlen(text)) == 0)
		log_info("device %s: %d log lines kept with %s", v->ep,
		    cJSON_GetArraySize(lines), rd->key);
	cJSON_Delete(lines);
	free(text);
	free(rd);
}

cJSON *
devlog_get(struct gateway *gw, const char *kind, uint64_t id, const char *ep)
{
	char key[DEVLOG_KEY_MAX], *buf, probe[1];
	size_t vlen = 0;
	cJSON *doc;
	int n;

	if ((n = devlog_key(key, kind, id, ep)) == -1 ||
	    store_get(gw->store, STORE_DB_DEVLOGS, key, (size_t)n, probe,
	    sizeof(probe), &vlen) != 0 || vlen == 0 || (buf = malloc(vlen)) == NULL)
		return NULL;
	if (store_get(gw->store, STORE_DB_DEVLOGS, key, (size_t)n, buf, vlen,
	    &vlen) != 0) {
		free(buf);
		return NULL;
	}
	doc = cJSON_ParseWithLength(buf, vlen);
	free(buf);
	if (!cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

static int
devlog_init(struct gateway *gw)
{
	if ((gw->devlogs = calloc(1, sizeof(*gw->devlogs))) == NULL)
		return -1;
	return queue_add_listener(gw, devlog_op_ended, NULL);
}

static void
devlog_stop(struct gateway *gw)
{
	struct devlog_read *rd;

	if (gw->devlogs == NULL)
		return;
	while ((rd = gw->devlogs->reads) != NULL) {
		gw->devlogs->reads = rd->next;
		free(rd);
	}
	free(gw->devlogs);
	gw->devlogs = NULL;
}

const struct gw_module devlog_module = {
	.name = "devlog",
	.init = devlog_init,
	.stop = devlog_stop,
};
