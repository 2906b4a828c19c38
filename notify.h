/*
 * notify.h: tells the service manager (systemd, Type=notify) what the
 * daemon is doing, through the sd_notify(3) datagram protocol, without
 * libsystemd. Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef OUTPOST_NOTIFY_H
#define OUTPOST_NOTIFY_H

/* Sends state ("READY=1", "STOPPING=1", lines joined by '\n'). Returns 1
 * when sent, 0 when there is no manager to tell, -1 on error (logged once
 * at debug level: the daemon runs on without a manager's ear). */
int	notify_send(const char *state);

/* "RELOADING=1" with the MONOTONIC_USEC= that systemd asks for with it. */
int	notify_reloading(void);

#endif /* OUTPOST_NOTIFY_H */
