/*
 * conn.h: the machine's connectivity as LwM2M object 4 (Connectivity
 * Monitoring, obj_conn.c) shows it, read from the kernel: the default
 * routes (/proc/net/route, /proc/net/ipv6_route), the interfaces and
 * their addresses (getifaddrs), each interface's kind
 * (/sys/class/net/IF/type and uevent), and the radio of a wireless one
 * (/proc/net/wireless). Nothing is made up: what the kernel does not say
 * is left out.
 *
 * A sample is cached for a second, as health.c's. The parsers take a
 * buffer and its length, trust nothing in it and are tested with hostile
 * input.
 */
#ifndef OUTPOST_NODE_CONN_H
#define OUTPOST_NODE_CONN_H

#include <net/if.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "node/nconf.h"

#define CONN_ADDR_MAX		8	/* addresses and routers kept */
#define CONN_BEARER_MAX		8
#define CONN_ROUTE_MAX		16	/* default routes looked at */
#define CONN_ADDR_LEN		INET6_ADDRSTRLEN

/* Network Bearer values of object 4 (OMA LwM2M registry). */
#define CONN_BEARER_WLAN	21
#define CONN_BEARER_BLUETOOTH	22
#define CONN_BEARER_802154	23
#define CONN_BEARER_ETHERNET	41

struct conn_info {
	char	ifname[IF_NAMESIZE];	/* the default route's, "" none */
	int	bearer;			/* /4/0/0; -1: unknown */
	int	bearers[CONN_BEARER_MAX];	/* /4/0/1, no repeats */
	size_t	nbearers;
	int	has_radio;		/* /proc/net/wireless has ifname */
	int	signal_dbm;		/* /4/0/2 */
	int	link_quality;		/* /4/0/3 */
	char	addrs[CONN_ADDR_MAX][CONN_ADDR_LEN];	/* /4/0/4 */
	size_t	naddrs;
	char	routers[CONN_ADDR_MAX][CONN_ADDR_LEN];	/* /4/0/5 */
	size_t	nrouters;
};

struct conn {
	const struct node_config *cfg;	/* not owned */
	char	proc[64];		/* "/proc", or a test's directory */
	char	sys[64];		/* "/sys" */
	int64_t	sampled_ms;		/* monotonic, 0: never */
	struct conn_info cur;
};

/* One default route: a table row with destination and mask 0. */
struct conn_route {
	char		ifname[IF_NAMESIZE];
	int		family;		/* AF_INET, AF_INET6 */
	uint8_t		gw[16];		/* next hop, network order */
	int		has_gw;		/* not on-link (RTF_GATEWAY) */
	uint32_t	metric;
};

/* Sets c up over cfg, reading under proc and sys (NULL: the real ones). */
void	conn_init(struct conn *c, const struct node_config *cfg,
	    const char *proc, const char *sys);

/* The connectivity at now_ms (monotonic): a fresh sample when the cached
 * one is a second old or more. */
const struct conn_info *conn_sample(struct conn *c, int64_t now_ms);

/*
 * Parsers, each over len bytes (no NUL needed); rows that do not hold what
 * they should are skipped, not guessed at.
 *   route:      /proc/net/route: the usable (up, not reject) default
 *               routes, appended to r (at most max, *n of them)
 *   ipv6_route: /proc/net/ipv6_route: the same for ::/0
 *   wireless:   /proc/net/wireless: the link quality and signal level
 *               (dBm) of ifname; -1 when it is not there
 *   uevent:     a sysfs uevent file: the DEVTYPE= value, "" if none
 */
void	conn_parse_route(const char *buf, size_t len, struct conn_route *r,
	    size_t max, size_t *n);
void	conn_parse_ipv6_route(const char *buf, size_t len,
	    struct conn_route *r, size_t max, size_t *n);
int	conn_parse_wireless(const char *buf, size_t len, const char *ifname,
	    int *quality, int *dbm);
void	conn_parse_uevent(const char *buf, size_t len, char *devtype,
	    size_t size);

/*
 * The Network Bearer of an interface from its ARPHRD type, its DEVTYPE and
 * whether it has wireless extensions: WLAN, Bluetooth, IEEE 802.15.4,
 * Ethernet, or cellular (the kernel does not tell the radio technology:
 * cellular, [connectivity] cellular_bearer, is used). -1 when it is none
 * of these (a tunnel, PPP, loopback).
 */
int	conn_bearer(long arptype, const char *devtype, int wireless,
	    int cellular);

/* Of the default routes r: the index of the one that carries traffic (the
 * lowest metric, IPv4 before IPv6), or -1 when there is none. */
int	conn_default(const struct conn_route *r, size_t n);

#endif /* OUTPOST_NODE_CONN_H */
