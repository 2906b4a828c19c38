// fuzz-sources: node/conn.c node/health.c node/nconf.c node/uri.c config/inifile.c log.c hex.c
// fuzz-libs: -lcjson -linih
/*
 * fuzz_node_conn.c: libFuzzer target for the parsers of the kernel's
 * connectivity files (node/conn.c): /proc/net/route, /proc/net/ipv6_route,
 * /proc/net/wireless and a sysfs uevent. The first byte picks the parser.
 * Besides ASan and UBSan, it checks the promises of conn.h and aborts on
 * a broken one: at most max routes, each with a usable interface name
 * (no '/', not "." or "..", NUL-terminated) and a known family; a radio
 * only with a quality 0..255 and a level below 0 dBm; a DEVTYPE of
 * printable characters.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "node/conn.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_routes(const struct conn_route *r, size_t n, size_t max)
{
	size_t i, len;

	if (n > max)
		abort();
	for (i = 0; i < n; i++) {
		len = strnlen(r[i].ifname, sizeof(r[i].ifname));
		if (len == 0 || len == sizeof(r[i].ifname) ||
		    strchr(r[i].ifname, '/') != NULL ||
		    strcmp(r[i].ifname, ".") == 0 ||
		    strcmp(r[i].ifname, "..") == 0 ||
		    (r[i].family != AF_INET && r[i].family != AF_INET6))
			abort();
	}
	(void)conn_default(r, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn_route r[4];
	char *buf, dt[32];
	size_t n = 0, len, i;
	int q = -1, dbm = 1;

	if (size < 1)
		return 0;
	len = size - 1;
	if ((buf = malloc(len + 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, len);
	switch (data[0] % 4) {
	case 0:
		conn_parse_route(buf, len, r, 4, &n);
		fuzz_routes(r, n, 4);
		break;
	case 1:
		conn_parse_ipv6_route(buf, len, r, 4, &n);
		fuzz_routes(r, n, 4);
		break;
	case 2:
		if (conn_parse_wireless(buf, len, "wlan0", &q, &dbm) == 0 &&
		    (q < 0 || q > 255 || dbm >= 0 || dbm < -200))
			abort();
		break;
	default:
		conn_parse_uevent(buf, len, dt, sizeof(dt));
		for (i = 0; dt[i] != '\0'; i++)
			if ((unsigned char)dt[i] < 0x20 ||
			    (unsigned char)dt[i] >= 0x7f || i >= sizeof(dt))
				abort();
		break;
	}
	free(buf);
	return 0;
}
