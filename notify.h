/*
 * notify.h: tells the service manager (systemd, Type=notify) what the
 * daemon is doing, through the sd_notify(3) datagram protocol, without
 * libsystemd. Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef OUTPOST_NOTIFY_H
#define OUTPOST_NOTIFY_H

/* Sends state ("READY=1", "STOPPING=1", lines joined by '\n'). Returns 1
 * when sent, 0 when there is no manager to tell, -1 on error (logged
 * at debug level only: the daemon runs on without a manager's ear). */
int	notify_send(const char *state);

/* "RELOADING=1" with the MONOTONIC_USEC= that systemd asks for with it. */
int	notify_reloading(void);

struct event;
struct event_base;

/*
 * When the manager asks for keep-alives ($WATCHDOG_USEC, and $WATCHDOG_PID
 * naming this process if set: systemd's WatchdogSec=), sends "WATCHDOG=1"
 * now and from a timer of base at half the period, and returns the timer;
 * else NULL. A reactor that stops turning stops the keep-alives, and the
 * manager restarts the daemon. notify_watchdog_stop(NULL) is a no-op.
 */
struct event *notify_watchdog(struct event_base *base);
void	notify_watchdog_stop(struct event *ev);

#endif /* OUTPOST_NOTIFY_H */
