/*
 * notify.c: see notify.h. The protocol: one datagram holding
 * newline-separated KEY=VALUE assignments, sent to the AF_UNIX socket named
 * by $NOTIFY_SOCKET: a path, or an abstract name when it starts with '@'.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "notify.h"

/* Fills sun from name. Returns the address length, or 0 if name does not
 * fit or is not a socket name. */
static socklen_t
notify_addr(const char *name, struct sockaddr_un *sun)
{
	size_t len = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || len < 2 ||
	    len >= sizeof(sun->sun_path))
		return 0;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, name, len);
	if (name[0] == '@') {
		sun->sun_path[0] = '\0';	/* abstract: no terminator */
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len);
	}
	return (socklen_t)sizeof(*sun);
}

int
notify_send(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t alen;
	ssize_t n;
	int fd;

	if (name == NULL || name[0] == '\0')
		return 0;
	if ((alen = notify_addr(name, &sun)) == 0) {
		log_debug("NOTIFY_SOCKET %s is not a socket name", name);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_debug("notify: socket: %s", strerror(errno));
		return -1;
	}
	/* Never wait on the manager: the reactor calls this. */
	n = sendto(fd, state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, alen);
	if (n == -1)
		log_debug("notify %s: %s", name, strerror(errno));
	close(fd);
	return n == -1 ? -1 : 1;
}

int
notify_reloading(void)
{
	struct timespec ts;
	char buf[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	return notify_send(buf);
}

static void
notify_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_send("WATCHDOG=1");
}

struct event *
notify_watchdog(struct event_base *base)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long us;
	struct timeval tv;
	struct event *ev;
	char *end;

	if (usec == NULL || usec[0] == '\0')
		return NULL;
	if (pid != NULL && pid[0] != '\0' &&
	    strtoll(pid, &end, 10) != (long long)getpid())
		return NULL;	/* meant for another process */
	errno = 0;
	us = strtoull(usec, &end, 10);
	if (*end != '\0' || errno != 0 || us < 2) {
		log_warnx("WATCHDOG_USEC=%s is not a period in microseconds; "
		    "no keep-alives", usec);
		return NULL;
	}
	us /= 2;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	if ((ev = event_new(base, -1, EV_PERSIST, notify_watchdog_cb,
	    NULL)) == NULL || event_add(ev, &tv) == -1) {
		log_warnx("cannot start the watchdog keep-alives");
		if (ev != NULL)
			event_free(ev);
		return NULL;
	}
	notify_send("WATCHDOG=1");
	return ev;
}

void
notify_watchdog_stop(struct event *ev)
{
	if (ev != NULL)
		event_free(ev);
}
