/*
 * nlog.c: what feeds the Event Log object (/20/0, obj_eventlog.c). A
 * single agent keeps one ring (logring.h) of [node] log_ring bytes: every
 * line it logs, through log.c's tap, which copies the line already
 * formatted (no second format, no allocation), and so the output of its
 * commands, which exec.c logs line by line. A fleet device has a ring of
 * [fleet] log_ring bytes of its own, made at its first line: what
 * happens to that device (nlog_dev), not the process's lines, which no
 * one device owns. A fleet of thousands pays a pointer per device until
 * a device has something to say.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "node/logring.h"
#include "node/node.h"

int64_t
nlog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* log.c's tap: each line the agent writes, with its level's word. */
static void
nlog_tap(enum log_level level, const char *msg, size_t len, void *arg)
{
	static const char *const word[] = { "error: ", "warning: ", "",
	    "debug: " };
	struct logring *r = arg;
	char line[LOGRING_LINE_MAX];
	size_t w = strlen(word[level]);

	if (w == 0) {
		logring_add(r, nlog_now_ms(), msg, len);
		return;
	}
	if (len > sizeof(line) - w)
		len = sizeof(line) - w;
	memcpy(line, word[level], w);
	memcpy(line + w, msg, len);
	logring_add(r, nlog_now_ms(), line, w + len);
}

/* The device of a fleet whose endpoint is ep: prefix and its index. */
static struct node_dev *
nlog_dev_by_ep(struct node *n, const char *ep)
{
	size_t plen = strlen(n->cfg.prefix);
	unsigned long i;
	char *end;

	if (ep == NULL || strncmp(ep, n->cfg.prefix, plen) != 0 ||
	    ep[plen] < '0' || ep[plen] > '9')
		return NULL;
	i = strtoul(ep + plen, &end, 10);
	if (*end != '\0' || i >= n->ndevs || strcmp(n->devs[i].ep, ep) != 0)
		return NULL;
	return &n->devs[i];
}

/* obj.log_of of a fleet: a device's own ring, made when make is set. */
static struct logring *
nlog_of(void *arg, const char *serial, const struct fw *fw, int make)
{
	struct node *n = arg;
	struct node_dev *d = NULL;

	if (fw != NULL && n->fwops != NULL)
		d = n->fwops->dev_of(n, fw);
	if (d == NULL)
		d = nlog_dev_by_ep(n, serial);
	if (d == NULL)
		return NULL;
	if (d->logs == NULL && make)
		d->logs = logring_new((size_t)n->cfg.fleet_log_ring);
	return d->logs;
}

int
nlog_init(struct node *n)
{
	if (n->cfg.fleet > 0) {
		if (n->cfg.fleet_log_ring > 0)
			n->obj.log_of = nlog_of;
		return 0;
	}
	if (n->cfg.log_ring == 0)
		return 0;
	if ((n->obj.logs = logring_new((size_t)n->cfg.log_ring)) == NULL)
		return -1;
	log_set_tap(nlog_tap, n->obj.logs);
	return 0;
}

void
nlog_free(struct node *n)
{
	size_t i;

	log_set_tap(NULL, NULL);
	logring_free(n->obj.logs);
	n->obj.logs = NULL;
	for (i = 0; n->devs != NULL && i < n->ndevs; i++) {
		logring_free(n->devs[i].logs);
		n->devs[i].logs = NULL;
	}
}

/* A line about d: logged (at debug in a fleet), and in a fleet kept in
 * d's own ring. */
void
nlog_dev(struct node_dev *d, const char *fmt, ...)
{
	struct node *n = d->node;
	struct logring *r;
	char line[LOGRING_LINE_MAX + 1];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line))
		len = sizeof(line) - 1;
	if (n->cfg.fleet == 0) {
		log_info("%s: %s", d->ep, line);	/* into the ring */
		return;
	}
	log_debug("%s: %s", d->ep, line);	/* thousands of devices */
	if (n->obj.log_of == NULL || (r = nlog_of(n, d->ep, NULL, 1)) == NULL)
		return;
	logring_add(r, nlog_now_ms(), line, (size_t)len);
}
