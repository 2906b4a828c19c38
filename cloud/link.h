/*
 * link.h: one MQTT connection to the broker, libmosquitto driven from the
 * gateway's event loop: its socket has events in the loop, its keep-alive
 * runs from a timer of the loop, and it never runs a thread of its own.
 * A connection that fails or is lost is made again after a back-off that
 * doubles up to retry_max seconds, each wait drawn between half and all
 * of its length. Each attempt is a fresh libmosquitto client: nothing of
 * a lost connection is sent again by the library; what must be sent again
 * is the caller's to send (cloud.c sends from its outbox).
 */
#ifndef OUTPOST_LINK_H
#define OUTPOST_LINK_H

#include <stddef.h>

#include "config/cloudcfg.h"

struct event_base;
struct link;

struct link_opts {
	struct cloud_broker	 broker;
	const char		*client_id;
	const char		*ca_file;	/* "" = the system's CAs */
	const char		*cert_file;	/* "" = none */
	const char		*key_file;
	const char		*username;	/* "" = none */
	const char		*password_file;
	int			 keepalive;	/* seconds */
	int			 protocol;	/* 0 auto, 5, 4 (3.1.1) */
	int			 retry_max;	/* seconds */
	int			 inflight;	/* QoS 1 messages unacknowledged */
	const char		*will_topic;	/* retained, QoS 1 */
	const char		*will;		/* its payload */
};

/* What the link tells its owner. */
struct link_cbs {
	/* Connected (the broker's CONNACK accepted it). */
	void	(*up)(void *arg);
	/* The connection went; the link tries again by itself. */
	void	(*down)(void *arg);
	/* The broker acknowledged the QoS 1 message mid. */
	void	(*acked)(void *arg, int mid);
	/* A message on a subscribed topic; resp and corr (MQTT 5's Response
	 * Topic and Correlation Data) are NULL when it has none. */
	void	(*message)(void *arg, const char *topic, const void *payload,
		    size_t len, const char *resp, const void *corr,
		    size_t corrlen);
};

/* A link that starts connecting at once. NULL (logged) when the options
 * cannot be used (an unreadable password file). */
struct link	*link_new(struct event_base *base, const struct link_opts *o,
		    const struct link_cbs *cbs, void *arg);
/* Says goodbye when connected (publishing bye on o->will_topic first,
 * when not NULL, so the will is not sent), then frees the link. */
void		 link_free(struct link *l, const char *bye);

int		 link_connected(const struct link *l);

/* Publishes at QoS 1 (retained when retain); corr is the MQTT 5
 * Correlation Data to send with it (NULL: none). *mid gets its id.
 * Returns 0, or -1 when not connected or the library refused. */
int		 link_publish(struct link *l, const char *topic,
		    const void *payload, size_t len, int retain,
		    const void *corr, size_t corrlen, int *mid);
/* Subscribes at QoS 1. 0 or -1. */
int		 link_subscribe(struct link *l, const char *topic);

#endif /* OUTPOST_LINK_H */
