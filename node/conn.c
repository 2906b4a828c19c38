/*
 * conn.c: see conn.h.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/conn.h"
#include "node/health.h"

#define CONN_CACHE_MS		1000
#define CONN_FILE_MAX		65536	/* of a route table read */
#define CONN_FIELDS		12

#define CONN_RTF_UP		0x0001	/* <linux/route.h> */
#define CONN_RTF_GATEWAY	0x0002
#define CONN_RTF_REJECT		0x0200

#define CONN_ARPHRD_ETHER	1	/* <net/if_arp.h> */
#define CONN_ARPHRD_RAWIP	519
#define CONN_ARPHRD_IEEE802154	804
#define CONN_ARPHRD_6LOWPAN	825

/* The fields of one line (up to max, split at blanks); their count. */
static size_t
conn_fields(const char *p, const char *eol, const char **f, size_t *flen,
    size_t max)
{
	size_t n = 0;

	while (p < eol && n < max) {
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol)
			break;
		f[n] = p;
		while (p < eol && *p != ' ' && *p != '\t')
			p++;
		flen[n] = (size_t)(p - f[n]);
		n++;
	}
	return n;
}

/* len hex digits at s (exactly) into bytes out[len / 2]. */
static int
conn_hex_bytes(const char *s, size_t len, uint8_t *out)
{
	size_t i;
	int hi, lo;

	if (len % 2 != 0)
		return -1;
	for (i = 0; i < len; i += 2) {
		hi = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
		    s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 :
		    s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;
		lo = s[i + 1] >= '0' && s[i + 1] <= '9' ? s[i + 1] - '0' :
		    s[i + 1] >= 'a' && s[i + 1] <= 'f' ? s[i + 1] - 'a' + 10 :
		    s[i + 1] >= 'A' && s[i + 1] <= 'F' ? s[i + 1] - 'A' + 10 :
		    -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* 1..8 hex digits as a number. */
static int
conn_hex32(const char *s, size_t len, uint32_t *out)
{
	uint8_t b[4] = { 0, 0, 0, 0 };
	char tmp[8];

	if (len == 0 || len > 8)
		return -1;
	memset(tmp, '0', sizeof(tmp));
	memcpy(tmp + 8 - len, s, len);
	if (conn_hex_bytes(tmp, 8, b) == -1)
		return -1;
	*out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	return 0;
}

/* A decimal number of 1..9 digits. */
static int
conn_dec(const char *s, size_t len, uint32_t *out)
{
	uint32_t n = 0;
	size_t i;

	if (len == 0 || len > 9)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (uint32_t)(s[i] - '0');
	}
	*out = n;
	return 0;
}

/* An interface name as the kernel allows it, safe in a sysfs path. */
static int
conn_ifname(const char *s, size_t len, char *out)
{
	size_t i;

	if (len == 0 || len >= IF_NAMESIZE || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '/')
			return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Calls row for each line of buf with its fields. */
static void
conn_lines(const char *buf, size_t len, struct conn_route *r, size_t max,
    size_t *n, void (*row)(const char **, const size_t *, size_t,
    struct conn_route *, size_t, size_t *))
{
	const char *p = buf, *end = buf + len, *eol, *f[CONN_FIELDS];
	size_t flen[CONN_FIELDS], nf;

	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		nf = conn_fields(p, eol, f, flen, CONN_FIELDS);
		row(f, flen, nf, r, max, n);
		p = eol + 1;
	}
}

/*
 * Keeps x (its family, interface and gateway address filled in) in r
 * when it is a default route (is_default: to 0/0) that is up and not a
 * reject route; it has a gateway when the kernel says so and gave one.
 */
static void
conn_route_keep(struct conn_route *x, int is_default, uint32_t flags,
    int gw_given, uint32_t metric, struct conn_route *r, size_t *n)
{
	if (!is_default || !(flags & CONN_RTF_UP) || (flags & CONN_RTF_REJECT))
		return;
	x->has_gw = (flags & CONN_RTF_GATEWAY) && gw_given;
	x->metric = metric;
	r[(*n)++] = *x;
}

/* "Iface Destination Gateway Flags RefCnt Use Metric Mask ..." */
static void
conn_route_row(const char **f, const size_t *flen, size_t nf,
    struct conn_route *r, size_t max, size_t *n)
{
	struct conn_route x;
	uint32_t dest, gw, flags, metric, mask;

	memset(&x, 0, sizeof(x));
	if (*n >= max || nf < 8 || conn_ifname(f[0], flen[0], x.ifname) ==
	    -1 || conn_hex32(f[1], flen[1], &dest) == -1 ||
	    conn_hex32(f[2], flen[2], &gw) == -1 ||
	    conn_hex32(f[3], flen[3], &flags) == -1 ||
	    conn_dec(f[6], flen[6], &metric) == -1 ||
	    conn_hex32(f[7], flen[7], &mask) == -1)
		return;
	x.family = AF_INET;
	/* The kernel prints the address as a host-order word of the bytes
	 * in network order: its bytes in memory are the address. */
	memcpy(x.gw, &gw, 4);
	conn_route_keep(&x, dest == 0 && mask == 0, flags, gw != 0, metric, r,
	    n);
}

void
conn_parse_route(const char *buf, size_t len, struct conn_route *r,
    size_t max, size_t *n)
{
	conn_lines(buf, len, r, max, n, conn_route_row);
}

/* "dest plen src splen nexthop metric refcnt use flags ifname" */
static void
conn_ipv6_row(const char **f, const size_t *flen, size_t nf,
    struct conn_route *r, size_t max, size_t *n)
{
	static const uint8_t zero[16];
	struct conn_route x;
	uint8_t dest[16], plen;
	uint32_t metric, flags;

	memset(&x, 0, sizeof(x));
	if (*n >= max || nf < 10 || flen[0] != 32 || flen[1] != 2 ||
	    flen[4] != 32 || conn_hex_bytes(f[0], 32, dest) == -1 ||
	    conn_hex_bytes(f[1], 2, &plen) == -1 ||
	    conn_hex_bytes(f[4], 32, x.gw) == -1 ||
	    conn_hex32(f[5], flen[5], &metric) == -1 ||
	    conn_hex32(f[8], flen[8], &flags) == -1 ||
	    conn_ifname(f[9], flen[9], x.ifname) == -1)
		return;
	x.family = AF_INET6;
	conn_route_keep(&x, plen == 0 && memcmp(dest, zero, 16) == 0, flags,
	    memcmp(x.gw, zero, 16) != 0, metric, r, n);
}

void
conn_parse_ipv6_route(const char *buf, size_t len, struct conn_route *r,
    size_t max, size_t *n)
{
	conn_lines(buf, len, r, max, n, conn_ipv6_row);
}

/* A whole number, as /proc/net/wireless prints them ("-40."). */
static int
conn_wnum(const char *s, size_t len, int *out)
{
	uint32_t v;
	int neg = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len > 0 && s[0] == '-') {
		neg = 1;
		s++;
		len--;
	}
	if (len > 4 || conn_dec(s, len, &v) == -1)
		return -1;
	*out = neg ? -(int)v : (int)v;
	return 0;
}

int
conn_parse_wireless(const char *buf, size_t len, const char *ifname,
    int *quality, int *dbm)
{
	const char *p = buf, *end = buf + len, *eol, *f[CONN_FIELDS];
	size_t flen[CONN_FIELDS], nf, il = strlen(ifname);
	int q, level;

	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		nf = conn_fields(p, eol, f, flen, CONN_FIELDS);
		p = eol + 1;
		/* "wlan0: 0000   70.  -40.  -256 ..." */
		if (nf < 4 || flen[0] != il + 1 || f[0][il] != ':' ||
		    memcmp(f[0], ifname, il) != 0)
			continue;
		if (conn_wnum(f[2], flen[2], &q) == -1 ||
		    conn_wnum(f[3], flen[3], &level) == -1 || q < 0 ||
		    q > 255)
			return -1;
		/* Only a level below 0 is in dBm (cfg80211 drivers); old
		 * drivers print a unit of their own. */
		if (level >= 0 || level < -200)
			return -1;
		*quality = q;
		*dbm = level;
		return 0;
	}
	return -1;
}

void
conn_parse_uevent(const char *buf, size_t len, char *devtype, size_t size)
{
	const char *p = buf, *end = buf + len, *eol, *v;
	size_t vl, i;

	devtype[0] = '\0';
	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) > 8 && memcmp(p, "DEVTYPE=", 8) == 0) {
			v = p + 8;
			vl = (size_t)(eol - v);
			if (vl >= size)
				return;
			for (i = 0; i < vl; i++)
				if ((unsigned char)v[i] < 0x20 ||
				    (unsigned char)v[i] >= 0x7f)
					return;
			memcpy(devtype, v, vl);
			devtype[vl] = '\0';
			return;
		}
		p = eol + 1;
	}
}

int
conn_bearer(long arptype, const char *devtype, int wireless, int cellular)
{
	if (wireless || strcmp(devtype, "wlan") == 0)
		return CONN_BEARER_WLAN;
	if (strcmp(devtype, "wwan") == 0 || arptype == CONN_ARPHRD_RAWIP)
		return cellular;
	if (arptype == CONN_ARPHRD_IEEE802154 ||
	    arptype == CONN_ARPHRD_6LOWPAN)
		return CONN_BEARER_802154;
	if (strcmp(devtype, "bluetooth") == 0)
		return CONN_BEARER_BLUETOOTH;
	if (arptype == CONN_ARPHRD_ETHER)
		return CONN_BEARER_ETHERNET;
	return -1;
}

int
conn_default(const struct conn_route *r, size_t n)
{
	size_t i;
	int best = -1;

	for (i = 0; i < n; i++) {
		if (best < 0 || (r[i].family == AF_INET &&
		    r[best].family != AF_INET) || (r[i].family ==
		    r[best].family && r[i].metric < r[best].metric))
			best = (int)i;
	}
	return best;
}

void
conn_init(struct conn *c, const struct node_config *cfg, const char *proc,
    const char *sys)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	snprintf(c->proc, sizeof(c->proc), "%s", proc != NULL ? proc :
	    "/proc");
	snprintf(c->sys, sizeof(c->sys), "%s", sys != NULL ? sys : "/sys");
}

/* The bearer of interface ifname (a checked name) from sysfs. */
static int
conn_if_bearer(const struct conn *c, const char *ifname)
{
	char path[PATH_MAX], buf[1024], devtype[32];
	struct stat st;
	ssize_t n;
	long type = -1;
	int wireless;

	snprintf(path, sizeof(path), "%s/class/net/%s/type", c->sys, ifname);
	if ((n = health_read(path, buf, sizeof(buf))) > 0 &&
	    health_parse_number(buf, (size_t)n, &type) == -1)
		type = -1;
	snprintf(path, sizeof(path), "%s/class/net/%s/uevent", c->sys, ifname);
	if ((n = health_read(path, buf, sizeof(buf))) > 0)
		conn_parse_uevent(buf, (size_t)n, devtype, sizeof(devtype));
	else
		devtype[0] = '\0';
	snprintf(path, sizeof(path), "%s/class/net/%s/wireless", c->sys,
	    ifname);
	wireless = stat(path, &st) == 0;
	snprintf(path, sizeof(path), "%s/class/net/%s/phy80211", c->sys,
	    ifname);
	wireless = wireless || stat(path, &st) == 0;
	return conn_bearer(type, devtype, wireless, c->cfg->cellular_bearer);
}

/* Adds s to list (of *n, max) unless it is there. */
static void
conn_add_str(char (*list)[CONN_ADDR_LEN], size_t *n, const char *s)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(list[i], s) == 0)
			return;
	if (*n < CONN_ADDR_MAX)
		snprintf(list[(*n)++], CONN_ADDR_LEN, "%s", s);
}

static void
conn_add_bearer(struct conn_info *ci, int b)
{
	size_t i;

	if (b < 0)
		return;
	for (i = 0; i < ci->nbearers; i++)
		if (ci->bearers[i] == b)
			return;
	if (ci->nbearers < CONN_BEARER_MAX)
		ci->bearers[ci->nbearers++] = b;
}

/* The default routes of both tables into r. */
static size_t
conn_routes(const struct conn *c, struct conn_route *r, size_t max)
{
	char path[96], *buf;
	ssize_t len;
	size_t n = 0;

	if ((buf = malloc(CONN_FILE_MAX)) == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/net/route", c->proc);
	if ((len = health_read(path, buf, CONN_FILE_MAX)) > 0)
		conn_parse_route(buf, (size_t)len, r, max, &n);
	snprintf(path, sizeof(path), "%s/net/ipv6_route", c->proc);
	if ((len = health_read(path, buf, CONN_FILE_MAX)) > 0)
		conn_parse_ipv6_route(buf, (size_t)len, r, max, &n);
	free(buf);
	return n;
}

/* The addresses of ci->ifname and the bearers of the interfaces up. */
static void
conn_interfaces(const struct conn *c, struct conn_info *ci)
{
	struct ifaddrs *ifa, *i;
	char addr[CONN_ADDR_LEN], name[IF_NAMESIZE];
	const void *a;

	if (getifaddrs(&ifa) == -1)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_name == NULL || conn_ifname(i->ifa_name,
		    strnlen(i->ifa_name, IF_NAMESIZE), name) == -1)
			continue;
		/* One AF_PACKET entry per interface, addresses or not. */
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family ==
		    AF_PACKET && (i->ifa_flags & IFF_UP) &&
		    !(i->ifa_flags & IFF_LOOPBACK))
			conn_add_bearer(ci, conn_if_bearer(c, name));
		/* An address label "eth0:1" is of eth0. */
		name[strcspn(name, ":")] = '\0';
		if (i->ifa_addr == NULL || strcmp(name, ci->ifname) != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			a = &((const struct sockaddr_in *)(const void *)
			    i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6 &&
		    !IN6_IS_ADDR_LINKLOCAL(&((const struct sockaddr_in6 *)
		    (const void *)i->ifa_addr)->sin6_addr))
			a = &((const struct sockaddr_in6 *)(const void *)
			    i->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(i->ifa_addr->sa_family, a, addr, sizeof(addr)) !=
		    NULL)
			conn_add_str(ci->addrs, &ci->naddrs, addr);
	}
	freeifaddrs(ifa);
}

/* The radio figures of ci->ifname, when it is wireless. */
static void
conn_radio(const struct conn *c, struct conn_info *ci)
{
	char path[96], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/net/wireless", c->proc);
	ci->has_radio = ci->ifname[0] != '\0' &&
	    (n = health_read(path, buf, sizeof(buf))) > 0 &&
	    conn_parse_wireless(buf, (size_t)n, ci->ifname,
	    &ci->link_quality, &ci->signal_dbm) == 0;
}

const struct conn_info *
conn_sample(struct conn *c, int64_t now_ms)
{
	struct conn_info *ci = &c->cur;
	struct conn_route r[CONN_ROUTE_MAX];
	char addr[CONN_ADDR_LEN];
	size_t n, i;
	int d;

	if (c->sampled_ms != 0 && now_ms - c->sampled_ms < CONN_CACHE_MS &&
	    now_ms >= c->sampled_ms)
		return ci;
	c->sampled_ms = now_ms;
	memset(ci, 0, sizeof(*ci));
	ci->bearer = -1;
	n = conn_routes(c, r, CONN_ROUTE_MAX);
	for (i = 0; i < n; i++)
		if (r[i].has_gw && inet_ntop(r[i].family, r[i].gw, addr,
		    sizeof(addr)) != NULL)
			conn_add_str(ci->routers, &ci->nrouters, addr);
	if ((d = conn_default(r, n)) >= 0) {
		memcpy(ci->ifname, r[d].ifname, sizeof(ci->ifname));
		ci->bearer = conn_if_bearer(c, ci->ifname);
	}
	conn_interfaces(c, ci);
	conn_radio(c, ci);
	return ci;
}
