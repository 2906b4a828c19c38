/*
 * cloudcfg.h: the [cloud] keys that need more than a type: the broker's
 * URI, the request topics and their roles, the list of event types, the
 * topic prefix and the gateway's id. Pure parsers (no I/O but
 * gethostname), used by the configuration's checks and by the cloud link
 * (cloud/), which reads them again when it starts.
 */
#ifndef OUTPOST_CLOUDCFG_H
#define OUTPOST_CLOUDCFG_H

#include <stddef.h>

struct gw_config;

struct cloud_broker {
	int		tls;		/* mqtts:// */
	char		host[256];	/* without brackets */
	int		port;
};

/* Parses mqtts://HOST[:PORT] or mqtt://HOST[:PORT] (an IPv6 literal in
 * brackets). Returns 0, or -1 with err. */
int	cloudcfg_broker(const char *uri, struct cloud_broker *b, char *err,
	    size_t errlen);

/* Whether host names the loopback interface (localhost, 127/8, ::1). */
int	cloudcfg_loopback(const char *host);

#define CLOUD_REQ_MAX		16	/* request topics */
#define CLOUD_REQ_NAME_MAX	32

/* A request topic's name and the role of its requests: "read",
 * "operate" or "admin", as the HTTP API's tokens have. */
struct cloud_reqtopic {
	char		name[CLOUD_REQ_NAME_MAX + 1];
	const char	*role;		/* static */
};

/* Parses "NAME:ROLE, ..." (empty: none) into out (at most max). NAME is
 * letters, digits, '_' and '-'. Returns the count, or -1 with err. */
int	cloudcfg_requests(const char *s, struct cloud_reqtopic *out,
	    size_t max, char *err, size_t errlen);

/* Whether type is published under the list s ("" = all; words of
 * [a-z_], a word ending in '*' matches a prefix). */
int	cloudcfg_event_on(const char *s, const char *type);

/* Checks the list's syntax: 0, or -1 with err. */
int	cloudcfg_events(const char *s, char *err, size_t errlen);

/* Checks a topic prefix: topic levels without wildcards, not empty, not
 * starting with '$' or '/', no empty level. 0, or -1 with err. */
int	cloudcfg_prefix(const char *s, char *err, size_t errlen);

/* Whether s is a good gateway id: 1 to CONFIG_ID_MAX letters, digits,
 * '.', '_', '-'. */
int	cloudcfg_id_ok(const char *s);

/* The gateway's id: [gateway] id, or else the host's name with every
 * other character made '-' (cut to CONFIG_ID_MAX), or "outpost". */
void	cloudcfg_gateway_id(const struct gw_config *cfg, char *buf,
	    size_t len);

#endif /* OUTPOST_CLOUDCFG_H */
