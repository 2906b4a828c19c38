/*
 * link.c: one MQTT connection on the gateway's event loop (link.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "log.h"
#include "cloud/link.h"

struct link {
	struct event_base	*base;
	struct link_opts	 o;
	struct link_cbs		 cbs;
	void			*arg;
	char			 password[256];
	char			*will_topic;	/* copies of o's */
	char			*will;
	struct mosquitto	*mosq;		/* this attempt's; NULL: none */
	struct event		*rev;		/* its socket, readable */
	struct event		*wev;		/* its socket, writable */
	struct event		*tick;		/* keep-alive, each second */
	struct event		*retry;		/* the next attempt */
	struct event		*reap;		/* ends a lost attempt */
	int			 protocol;	/* this attempt's: 5 or 4 */
	int			 connected;
	unsigned		 backoff;	/* seconds */
	unsigned		 failures;	/* logged in a row */
	int			 failing;	/* reap is set: the first
						   reason stands */
	char			 why[256];
	char			 liberr[160];	/* this attempt's first error
						   libmosquitto logged */
	int			 closing;	/* in link_free */
	int			 bye_mid;	/* the goodbye's, once sent */
	int			 bye_acked;
};

static void	link_attempt(struct link *l);

static int	link_lib_ready;

static void
link_arm_write(struct link *l)
{
	if (l->mosq != NULL && l->wev != NULL &&
	    (mosquitto_want_write(l->mosq) || !l->connected))
		event_add(l->wev, NULL);
}

/* Drops this attempt's client (no goodbye: it is gone or refused). */
static void
link_drop(struct link *l)
{
	if (l->rev != NULL)
		event_free(l->rev);
	if (l->wev != NULL)
		event_free(l->wev);
	l->rev = l->wev = NULL;
	if (l->mosq != NULL)
		mosquitto_destroy(l->mosq);
	l->mosq = NULL;
}

/* The attempt failed or the connection went: the next one after the
 * back-off, drawn between half and all of it. */
static void
link_lost(struct link *l, const char *why)
{
	struct timeval tv;
	unsigned ms;
	int was = l->connected;

	link_drop(l);
	l->connected = 0;
	l->failing = 0;
	if (l->backoff == 0)
		l->backoff = 1;
	else if (l->backoff < (unsigned)l->o.retry_max)
		l->backoff = l->backoff * 2 > (unsigned)l->o.retry_max ?
		    (unsigned)l->o.retry_max : l->backoff * 2;
	ms = l->backoff * 500 + arc4random_uniform(l->backoff * 500 + 1);
	if (was || l->failures++ < 3 || l->failures % 60 == 0)
		log_warnx("cloud: %s:%d: %s; trying again in %u.%03us",
		    l->o.broker.host, l->o.broker.port, why, ms / 1000,
		    ms % 1000);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(l->retry, &tv);
	if (was && l->cbs.down != NULL)
		l->cbs.down(l->arg);
}

/* libmosquitto reports a lost connection from inside its calls: the
 * client is freed on the next turn of the loop, not under them. */

static void
link_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	link_lost(arg, ((struct link *)arg)->why);
}

/* Why the attempt failed, into l->why: fmt with detail, and what
 * libmosquitto logged ("A TLS error occurred" says nothing: OpenSSL's
 * reason does). Returns l->why. */
static const char *
link_why(struct link *l, const char *fmt, const char *detail)
{
	snprintf(l->why, sizeof(l->why), fmt, detail);
	if (l->liberr[0] != '\0')
		snprintf(l->why + strlen(l->why), sizeof(l->why) -
		    strlen(l->why), " (%s)", l->liberr);
	return l->why;
}

static void
link_fail(struct link *l, const char *fmt, const char *detail)
{
	if (l->failing || l->closing)
		return;
	l->failing = 1;
	link_why(l, fmt, detail);
	if (l->rev != NULL)
		event_del(l->rev);
	if (l->wev != NULL)
		event_del(l->wev);
	event_active(l->reap, EV_TIMEOUT, 0);
}

/* libmosquitto logs what OpenSSL says of a failed handshake ("certificate
 * verify failed"); the first error of an attempt is kept for its failure
 * line. */
static void
link_on_log(struct mosquitto *m, void *arg, int level, const char *str)
{
	struct link *l = arg;
	size_t i;

	(void)m;
	if (!(level & MOSQ_LOG_ERR) || l->liberr[0] != '\0' || str == NULL)
		return;
	snprintf(l->liberr, sizeof(l->liberr), "%s", str);
	for (i = 0; l->liberr[i] != '\0'; i++)
		if ((unsigned char)l->liberr[i] < 0x20)
			l->liberr[i] = ' ';
}

static void
link_on_connect(struct mosquitto *m, void *arg, int rc, int flags,
    const mosquitto_property *props)
{
	struct link *l = arg;

	(void)m;
	(void)flags;
	(void)props;
	if (rc != 0) {
		/* A 3.1.1 broker refuses MQTT 5: speak 3.1.1 from now on. */
		if (l->o.protocol == 0 && l->protocol == MQTT_PROTOCOL_V5 &&
		    (rc == CONNACK_REFUSED_PROTOCOL_VERSION ||
		    rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION)) {
			log_info("cloud: the broker refuses MQTT 5; speaking "
			    "3.1.1");
			l->o.protocol = MQTT_PROTOCOL_V311;
			l->backoff = 0;
		}
		link_fail(l, "the broker refused the connection: %s",
		    rc < 128 ? mosquitto_connack_string(rc) :
		    mosquitto_reason_string(rc));
		return;
	}
	l->connected = 1;
	l->backoff = 0;
	l->failures = 0;
	log_info("cloud: connected to %s:%d (MQTT %s%s)", l->o.broker.host,
	    l->o.broker.port, l->protocol == MQTT_PROTOCOL_V5 ? "5" : "3.1.1",
	    l->o.broker.tls ? ", TLS" : "");
	if (l->cbs.up != NULL)
		l->cbs.up(l->arg);
}

static void
link_on_disconnect(struct mosquitto *m, void *arg, int rc,
    const mosquitto_property *props)
{
	struct link *l = arg;

	(void)m;
	(void)props;
	link_fail(l, "connection lost (%s)", rc == 0 ? "closed" :
	    mosquitto_strerror(rc));
}

static void
link_on_publish(struct mosquitto *m, void *arg, int mid, int reason,
    const mosquitto_property *props)
{
	struct link *l = arg;

	(void)m;
	(void)props;
	if (l->closing) {
		if (mid == l->bye_mid)
			l->bye_acked = 1;
		return;
	}
	if (reason >= 128)
		log_warnx("cloud: the broker did not take message %d: %s",
		    mid, mosquitto_reason_string(reason));
	if (l->cbs.acked != NULL)
		l->cbs.acked(l->arg, mid);
}

static void
link_on_message(struct mosquitto *m, void *arg,
    const struct mosquitto_message *msg, const mosquitto_property *props)
{
	struct link *l = arg;
	char *resp = NULL;
	void *corr = NULL;
	uint16_t clen = 0;

	(void)m;
	if (l->closing)
		return;
	if (props != NULL) {
		mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC,
		    &resp, false);
		mosquitto_property_read_binary(props,
		    MQTT_PROP_CORRELATION_DATA, &corr, &clen, false);
	}
	if (l->cbs.message != NULL)
		l->cbs.message(l->arg, msg->topic, msg->payload,
		    msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0, resp,
		    corr, clen);
	free(resp);
	free(corr);
}

static void
link_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	int rc = MOSQ_ERR_SUCCESS;

	(void)fd;
	if (l->mosq == NULL)
		return;
	if (what & EV_READ)
		rc = mosquitto_loop_read(l->mosq, 64);
	if (rc == MOSQ_ERR_SUCCESS && l->mosq != NULL && (what & EV_WRITE))
		rc = mosquitto_loop_write(l->mosq, 64);
	if (rc != MOSQ_ERR_SUCCESS && l->mosq != NULL) {
		link_fail(l, "connection lost (%s)", rc == MOSQ_ERR_ERRNO ?
		    strerror(errno) : mosquitto_strerror(rc));
		return;
	}
	link_arm_write(l);
}

static void
link_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	int rc;

	(void)fd;
	(void)what;
	if (l->mosq == NULL || l->rev == NULL)
		return;
	if ((rc = mosquitto_loop_misc(l->mosq)) != MOSQ_ERR_SUCCESS) {
		link_fail(l, "connection lost (%s)", rc == MOSQ_ERR_KEEPALIVE ?
		    "no answer within the keep-alive" : mosquitto_strerror(rc));
		return;
	}
	link_arm_write(l);
}

static void
link_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	link_attempt(arg);
}

/* Sets up one attempt's client. Returns why it cannot, or NULL. */
static const char *
link_setup(struct link *l)
{
	const struct link_opts *o = &l->o;
	int rc;

	l->protocol = o->protocol == 0 ? MQTT_PROTOCOL_V5 : o->protocol;
	if ((l->mosq = mosquitto_new(o->client_id, true, l)) == NULL)
		return "out of memory";
	mosquitto_int_option(l->mosq, MOSQ_OPT_PROTOCOL_VERSION, l->protocol);
	mosquitto_int_option(l->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_max_inflight_messages_set(l->mosq, (unsigned)o->inflight);
	mosquitto_int_option(l->mosq, MOSQ_OPT_SEND_MAXIMUM, o->inflight);
	mosquitto_connect_v5_callback_set(l->mosq, link_on_connect);
	mosquitto_disconnect_v5_callback_set(l->mosq, link_on_disconnect);
	mosquitto_publish_v5_callback_set(l->mosq, link_on_publish);
	mosquitto_message_v5_callback_set(l->mosq, link_on_message);
	mosquitto_log_callback_set(l->mosq, link_on_log);
	l->liberr[0] = '\0';
	if (o->broker.tls) {
		rc = mosquitto_tls_set(l->mosq,
		    o->ca_file[0] != '\0' ? o->ca_file : NULL,
		    o->ca_file[0] != '\0' ? NULL : "/etc/ssl/certs",
		    o->cert_file[0] != '\0' ? o->cert_file : NULL,
		    o->key_file[0] != '\0' ? o->key_file : NULL, NULL);
		if (rc != MOSQ_ERR_SUCCESS)
			return "cannot use the TLS files (ca_file, cert_file, "
			    "key_file)";
	}
	if (o->username[0] != '\0' && mosquitto_username_pw_set(l->mosq,
	    o->username, l->password[0] != '\0' ? l->password : NULL) !=
	    MOSQ_ERR_SUCCESS)
		return "cannot set the user name";
	if (o->will_topic != NULL && mosquitto_will_set_v5(l->mosq,
	    o->will_topic, (int)strlen(o->will), o->will, 1, true, NULL) !=
	    MOSQ_ERR_SUCCESS)
		return "cannot set the will";
	return NULL;
}

static void
link_attempt(struct link *l)
{
	const char *why;
	int rc, fd;

	link_drop(l);
	if ((why = link_setup(l)) != NULL) {
		link_lost(l, why);
		return;
	}
	/* A host name is resolved here, by the system's resolver: name the
	 * broker by address where a slow resolver must not stall the loop. */
	rc = mosquitto_connect_bind_async(l->mosq, l->o.broker.host,
	    l->o.broker.port, l->o.keepalive, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		link_lost(l, link_why(l, "%s", rc == MOSQ_ERR_ERRNO ?
		    strerror(errno) : mosquitto_strerror(rc)));
		return;
	}
	if ((fd = mosquitto_socket(l->mosq)) < 0 ||
	    (l->rev = event_new(l->base, fd, EV_READ | EV_PERSIST, link_io_cb,
	    l)) == NULL ||
	    (l->wev = event_new(l->base, fd, EV_WRITE, link_io_cb, l)) ==
	    NULL) {
		link_lost(l, "out of memory");
		return;
	}
	event_add(l->rev, NULL);
	event_add(l->wev, NULL);
}

/* The first line of path, or -1 (logged). */
static int
link_read_password(const char *path, char *buf, size_t len)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		log_warn("cloud: [cloud] password_file %s", path);
		return -1;
	}
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return 0;
}

struct link *
link_new(struct event_base *base, const struct link_opts *o,
    const struct link_cbs *cbs, void *arg)
{
	struct link *l;
	struct timeval sec = { 1, 0 };

	if (!link_lib_ready) {
		mosquitto_lib_init();
		link_lib_ready = 1;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->base = base;
	l->o = *o;
	l->cbs = *cbs;
	l->arg = arg;
	if (o->will_topic != NULL &&
	    ((l->will_topic = strdup(o->will_topic)) == NULL ||
	    (l->will = strdup(o->will)) == NULL)) {
		link_free(l, NULL);
		return NULL;
	}
	l->o.will_topic = l->will_topic;
	l->o.will = l->will;
	if (o->password_file[0] != '\0' && link_read_password(o->password_file,
	    l->password, sizeof(l->password)) == -1) {
		link_free(l, NULL);
		return NULL;
	}
	if ((l->tick = event_new(base, -1, EV_PERSIST, link_tick_cb, l)) ==
	    NULL || (l->retry = evtimer_new(base, link_retry_cb, l)) == NULL ||
	    (l->reap = event_new(base, -1, 0, link_reap_cb, l)) == NULL) {
		link_free(l, NULL);
		return NULL;
	}
	event_add(l->tick, &sec);
	link_attempt(l);
	return l;
}

/*
 * Waits, a second at most (the gateway is stopping: it may), until the
 * broker has acknowledged the goodbye message mid, reading what it sends
 * meanwhile. libmosquitto closes the socket as soon as its DISCONNECT is
 * written; a socket closed with unread input (an acknowledgement on its
 * way) sends a reset, and a reset makes the broker's kernel drop what the
 * broker had not read yet: the DISCONNECT, and the broker would send the
 * Will. Once the goodbye is acknowledged, nothing more comes.
 */
static void
link_wait_ack(struct link *l, int mid)
{
	struct pollfd pfd;
	struct timespec t0, now;
	long left;

	l->bye_mid = mid;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!l->bye_acked && l->mosq != NULL && !l->failing) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = 1000 - ((now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || (pfd.fd = mosquitto_socket(l->mosq)) < 0)
			return;
		pfd.events = POLLIN |
		    (mosquitto_want_write(l->mosq) ? POLLOUT : 0);
		if (poll(&pfd, 1, (int)left) <= 0)
			return;
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    mosquitto_loop_read(l->mosq, 64) != MOSQ_ERR_SUCCESS)
			return;
		if ((pfd.revents & POLLOUT) &&
		    mosquitto_loop_write(l->mosq, 64) != MOSQ_ERR_SUCCESS)
			return;
	}
}

void
link_free(struct link *l, const char *bye)
{
	int mid;

	if (l == NULL)
		return;
	l->closing = 1;		/* the owner hears no more */
	if (l->connected && l->mosq != NULL) {
		if (bye != NULL && l->o.will_topic != NULL &&
		    mosquitto_publish_v5(l->mosq, &mid, l->o.will_topic,
		    (int)strlen(bye), bye, 1, true, NULL) == MOSQ_ERR_SUCCESS)
			link_wait_ack(l, mid);
		/* Normal disconnection: the broker drops the will. */
		if (l->mosq != NULL)
			mosquitto_disconnect_v5(l->mosq, 0, NULL);
	}
	link_drop(l);
	if (l->tick != NULL)
		event_free(l->tick);
	if (l->retry != NULL)
		event_free(l->retry);
	if (l->reap != NULL)
		event_free(l->reap);
	explicit_bzero(l->password, sizeof(l->password));
	free(l->will_topic);
	free(l->will);
	free(l);
}

int
link_connected(const struct link *l)
{
	return l != NULL && l->connected;
}

int
link_publish(struct link *l, const char *topic, const void *payload,
    size_t len, int retain, const void *corr, size_t corrlen, int *mid)
{
	mosquitto_property *props = NULL;
	int rc;

	if (!l->connected || l->mosq == NULL || len > 268435455)
		return -1;
	if (corr != NULL && l->protocol == MQTT_PROTOCOL_V5 &&
	    mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA,
	    corr, (uint16_t)corrlen) != MOSQ_ERR_SUCCESS)
		return -1;
	rc = mosquitto_publish_v5(l->mosq, mid, topic, (int)len, payload, 1,
	    retain, props);
	mosquitto_property_free_all(&props);
	if (rc != MOSQ_ERR_SUCCESS)
		return -1;
	link_arm_write(l);
	return 0;
}

int
link_subscribe(struct link *l, const char *topic)
{
	int mid;

	if (!l->connected || l->mosq == NULL ||
	    mosquitto_subscribe_v5(l->mosq, &mid, topic, 1, 0, NULL) !=
	    MOSQ_ERR_SUCCESS)
		return -1;
	link_arm_write(l);
	return 0;
}
