/*
 * nconf.c: the key table of node.ini and its values; config/inifile.c
 * reads the file through the table.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/inifile.h"
#include "hex.h"
#include "log.h"
#include "node/nconf.h"
#include "node/uri.h"

#ifndef OUTPOST_VERSION		/* set by the Makefile; not by make fuzz */
#define OUTPOST_VERSION	"0"
#endif

#define OFF(field)	offsetof(struct node_config, field)
#define SZ(field)	sizeof(((struct node_config *)0)->field)
#define KEY_INT(sec, name, field, lo, hi, d, h, f)			\
	{ sec, name, NCONF_INT, OFF(field), 0, lo, hi, d, h, f }
#define KEY_DBL(sec, name, field, lo, hi, d, h, f)			\
	{ sec, name, NCONF_DOUBLE, OFF(field), 0, lo, hi, d, h, f }
#define KEY_STR(sec, name, type, field, d, h, f)			\
	{ sec, name, type, OFF(field), SZ(field), 0, 0, d, h, f }

#define RT	NCONF_RUNTIME
#define EMPTY	NCONF_EMPTY

static const struct nconf_key nconf_table[] = {
	{ "node", "log_level", NCONF_LOGLEVEL, OFF(log_level), 0, 0, 0,
	    "info", "error, warning, info or debug", RT },
	KEY_STR("node", "gateway", NCONF_GATEWAY, gateway,
	    "coap://127.0.0.1:5683",
	    "the gateway: coap://HOST[:PORT], or coaps://HOST[:PORT] for DTLS "
	    "with the PSK below (port 5684); a name is resolved at start", 0),
	KEY_STR("node", "endpoint", NCONF_EPNAME, endpoint, "",
	    "endpoint name (ep); empty: this machine's host name", EMPTY),
	KEY_STR("node", "psk_identity", NCONF_STRING, psk_identity, "",
	    "coaps: the PSK identity provisioned on the gateway (empty: the "
	    "endpoint name; in a fleet always each device's name)", EMPTY),
	KEY_STR("node", "psk_key", NCONF_PSKKEY, psk_key, "",
	    "coaps: the pre-shared key, 16..64 bytes in hex (keep this file "
	    "unreadable to others, or use psk_key_file)", EMPTY),
	KEY_STR("node", "psk_key_file", NCONF_STRING, psk_key_file, "",
	    "coaps: a file holding the key in hex instead, read at start",
	    EMPTY),
	KEY_STR("node", "cert_file", NCONF_STRING, cert_file, "",
	    "coaps with X.509 instead of a PSK: this node's certificate "
	    "(PEM); the gateway binds its CN to the endpoint", EMPTY),
	KEY_STR("node", "key_file", NCONF_STRING, key_file, "",
	    "coaps with X.509 or a raw public key: this node's private key "
	    "(PEM; with rpk = 1 an EC key)", EMPTY),
	KEY_STR("node", "ca_file", NCONF_STRING, ca_file, "",
	    "coaps with X.509: the CA certificates (PEM) the gateway's "
	    "certificate must chain to", EMPTY),
	KEY_STR("node", "server_cn", NCONF_STRING, server_cn, "",
	    "coaps with X.509: the common name the gateway's certificate must "
	    "carry (empty: any certificate ca_file signed)", EMPTY),
	KEY_INT("node", "rpk", rpk, 0, 1, "0",
	    "coaps: 1 authenticates with the raw public key of key_file "
	    "instead of a certificate", 0),
	KEY_STR("node", "server_public_key", NCONF_HEXFILE, server_public_key,
	    "", "coaps with rpk = 1: the gateway's public key, its DER "
	    "SubjectPublicKeyInfo in hex or a file of it (a path with a /; "
	    "openssl pkey -pubout -outform DER writes one)", EMPTY),
	KEY_INT("node", "lifetime", lifetime, 1, 0x7fffffff, "300",
	    "registration lifetime in seconds (lt)", RT),
	KEY_STR("node", "binding", NCONF_BINDING, queue_mode, "U",
	    "U (always reachable) or UQ (queue mode: sleeps between updates)",
	    RT),
	KEY_INT("node", "sleep", sleep, 1, 86400, "60",
	    "queue mode: seconds the radio is off between awake windows", RT),
	KEY_INT("node", "awake", awake, 1, 86400, "10",
	    "queue mode: seconds awake after each update", RT),
	KEY_STR("node", "listen", NCONF_HOSTPORT, listen, "",
	    "local HOST:PORT to send from and serve on (empty: any, a free "
	    "port)", EMPTY),
	KEY_STR("node", "config_path", NCONF_STRING, config_path,
	    "./node-config.json",
	    "file that keeps what servers write to /config", 0),
	KEY_STR("node", "bootstrap", NCONF_GATEWAY, bootstrap, "",
	    "the bootstrap server: coap://HOST[:PORT], or coaps://HOST[:PORT] "
	    "with the factory PSK below; when set, the node registers with the "
	    "DM server the bootstrap server gives it and gateway is not used",
	    EMPTY),
	KEY_STR("node", "bootstrap_psk_identity", NCONF_STRING,
	    bs_psk_identity, "",
	    "coaps bootstrap: the factory PSK identity (empty: the endpoint "
	    "name; in a fleet always each device's name)", EMPTY),
	KEY_STR("node", "bootstrap_psk_key", NCONF_PSKKEY, bs_psk_key, "",
	    "coaps bootstrap: the factory pre-shared key, 16..64 bytes in hex",
	    EMPTY),
	KEY_STR("node", "bootstrap_psk_key_file", NCONF_STRING,
	    bs_psk_key_file, "",
	    "coaps bootstrap: a file holding the factory key in hex instead",
	    EMPTY),
	KEY_INT("node", "bootstrap_timeout", bs_timeout, 1, 3600, "247",
	    "seconds the bootstrap server may stay silent before Finish; the "
	    "bootstrap then failed and is retried (EXCHANGE_LIFETIME)", 0),
	KEY_INT("node", "bootstrap_hold_off", bs_hold_off, 0, 86400, "0",
	    "seconds to wait before a bootstrap the node starts itself "
	    "(Client Hold Off Time)", 0),
	KEY_STR("node", "state_dir", NCONF_STRING, state_dir, "./state",
	    "directory of what the node keeps across restarts: the "
	    "bootstrapped account, account.json", 0),
	KEY_INT("node", "log_ring", log_ring, 0, 1048576, "16384",
	    "bytes of recent log lines and command output (firmware, "
	    "package, health) kept for /20/0 Event Log; the oldest go first "
	    "(0: no object 20; less than 512 counts as 512)", 0),

	KEY_INT("register", "update_percent", update_percent, 10, 95, "80",
	    "send an update when this share of the lifetime has passed", RT),
	KEY_INT("register", "backoff_min", backoff_min, 1, 3600, "1",
	    "seconds before the first retry of a failed registration", RT),
	KEY_INT("register", "backoff_max", backoff_max, 1, 86400, "300",
	    "longest wait between retries, in seconds (jittered, never "
	    "gives up)", RT),
	KEY_INT("register", "deregister_wait_ms", deregister_wait_ms, 0,
	    60000, "2000",
	    "on SIGTERM, milliseconds to wait for the deregistration answer",
	    0),

	KEY_STR("device", "manufacturer", NCONF_STRING, manufacturer,
	    "Outpost", "/3/0/0 Manufacturer", 0),
	KEY_STR("device", "model", NCONF_STRING, model, "outpost-node",
	    "/3/0/1 Model Number", 0),
	KEY_STR("device", "serial", NCONF_STRING, serial, "",
	    "/3/0/2 Serial Number (empty: the endpoint name)", EMPTY),
	KEY_STR("device", "firmware_version", NCONF_STRING, firmware_version,
	    OUTPOST_VERSION, "/3/0/3 Firmware Version", 0),
	KEY_STR("device", "device_type", NCONF_STRING, device_type,
	    "linux-node", "/3/0/17 Device Type", 0),
	KEY_INT("device", "battery", battery, -1, 100, "-1",
	    "/3/0/9 Battery Level: 0..100, or -1 to read "
	    "/sys/class/power_supply (100 without a battery)", RT),
	KEY_STR("device", "reboot_command", NCONF_STRING, reboot_command, "",
	    "command run (sh -c) on execute /3/0/4 Reboot (empty: refused)",
	    EMPTY),
	KEY_STR("device", "factory_reset_command", NCONF_STRING,
	    factory_reset_command, "",
	    "command run (sh -c) on execute /3/0/5 Factory Reset (empty: "
	    "refused)", EMPTY),

	KEY_STR("health", "disk_path", NCONF_STRING, disk_path, "/",
	    "file system whose free space /health reports", 0),
	KEY_INT("health", "sample", sample, 1, 3600, "5",
	    "seconds between samples while /health or /3/0 is observed", RT),
	KEY_INT("health", "pmax", pmax, 1, 86400, "60",
	    "longest silence of an observation, in seconds, unless the "
	    "observer asks for another pmax", RT),
	KEY_DBL("health", "cpu_pct_delta", cpu_pct_delta, 0.1, 100, "10",
	    "notify /health observers when cpu_pct moves this far", RT),
	KEY_INT("health", "mem_free_kb_delta", mem_free_kb_delta, 1,
	    0x7fffffff, "4096",
	    "notify when mem_free_kb moves this far", RT),
	KEY_INT("health", "disk_free_kb_delta", disk_free_kb_delta, 1,
	    0x7fffffff, "102400",
	    "notify when disk_free_kb moves this far", RT),
	KEY_DBL("health", "load1_delta", load1_delta, 0.01, 1000, "0.5",
	    "notify when load1 moves this far", RT),
	KEY_DBL("health", "temp_c_delta", temp_c_delta, 0.1, 200, "2",
	    "notify when temp_c moves this far", RT),

	KEY_STR("firmware", "listen", NCONF_HOSTPORT, fw_listen, "",
	    "HOST:PORT firmware announcements come to, such as 0.0.0.0:5683 "
	    "(empty: none taken)", EMPTY),
	KEY_STR("firmware", "group4", NCONF_STRING, fw_group4, "224.0.1.187",
	    "IPv4 multicast group joined for announcements (empty: none)",
	    EMPTY),
	KEY_STR("firmware", "group6", NCONF_STRING, fw_group6, "ff02::fd",
	    "IPv6 multicast group joined for announcements (empty: none)",
	    EMPTY),
	KEY_STR("firmware", "interface", NCONF_STRING, fw_interface, "",
	    "interface the groups are joined on (empty: the default)", EMPTY),
	KEY_STR("firmware", "vendor", NCONF_STRING, fw_vendor, "",
	    "vendor id an image must name to be taken", EMPTY),
	KEY_STR("firmware", "class", NCONF_STRING, fw_class, "",
	    "device class id an image must name to be taken", EMPTY),
	KEY_STR("firmware", "trusted_keys", NCONF_STRING, fw_trusted_keys, "",
	    "public keys manifests must be signed with: comma-separated, each "
	    "64 hex characters or a file of them", EMPTY),
	KEY_STR("firmware", "dir", NCONF_STRING, fw_dir, "./firmware",
	    "directory of the staged image and the installed sequence number",
	    0),
	KEY_STR("firmware", "apply_command", NCONF_STRING, fw_apply_command,
	    "", "command that installs $OUTPOST_FW_IMAGE (exit 0: installed)",
	    EMPTY),
	KEY_STR("firmware", "health_command", NCONF_STRING, fw_health_command,
	    "", "command run once the new image runs: exit 0 confirms it, "
	    "anything else reverts (empty: confirmed at once)", EMPTY),
	KEY_STR("firmware", "revert_command", NCONF_STRING, fw_revert_command,
	    "", "command that switches back to the old slot when the health "
	    "check fails", EMPTY),
	KEY_INT("firmware", "reboot", fw_reboot, 0, 1, "0",
	    "1: run [device] reboot_command after applying; the health check "
	    "runs at the next start", 0),
	KEY_INT("firmware", "leisure", fw_leisure, 0, 3600, "5",
	    "most seconds to wait at random before fetching an announced image "
	    "(RFC 7252 8.2)", 0),
	KEY_INT("firmware", "block_size", fw_block_size, 16, 1024, "1024",
	    "Block2 size images are fetched in (rounded down to a power of "
	    "two)", 0),

	KEY_STR("software", "dir", NCONF_STRING, sw_dir, "",
	    "directory software packages (LwM2M object 9) are kept and "
	    "installed from; a package is verified as a firmware image, with "
	    "[firmware] trusted_keys (empty: no object 9)", EMPTY),
	KEY_STR("software", "install_cmd", NCONF_STRING, sw_install_cmd, "",
	    "command that installs $OUTPOST_PKG_FILE ($OUTPOST_PKG_NAME, "
	    "$OUTPOST_PKG_VERSION, $OUTPOST_PKG_DIR; exit 0: installed; empty: "
	    "installed as it is)", EMPTY),
	KEY_STR("software", "uninstall_cmd", NCONF_STRING, sw_uninstall_cmd,
	    "", "command that uninstalls the package ($OUTPOST_PKG_FOR_UPDATE "
	    "is 1 when a new version is to follow; exit 0: uninstalled)",
	    EMPTY),
	KEY_STR("software", "activate_cmd", NCONF_STRING, sw_activate_cmd, "",
	    "command that starts the installed package (exit 0: active)",
	    EMPTY),
	KEY_STR("software", "deactivate_cmd", NCONF_STRING,
	    sw_deactivate_cmd, "",
	    "command that stops the installed package (exit 0: inactive)",
	    EMPTY),

	KEY_INT("fleet", "devices", fleet, 0, 100000, "0",
	    "virtual devices in this process (0: one agent, this machine)", 0),
	KEY_STR("fleet", "prefix", NCONF_EPNAME, prefix, "node-",
	    "fleet endpoint names are prefix0, prefix1, ...", 0),
	KEY_DBL("fleet", "drop", drop, 0, 1, "0",
	    "fraction of datagrams lost each way, to imitate a bad link", 0),
	KEY_INT("fleet", "spread", spread, -1, 86400, "-1",
	    "seconds over which first registrations spread (-1: N/500, at "
	    "most 30)", 0),
	KEY_INT("fleet", "shard", shard, 1, 4096, "200",
	    "devices per libcoap context (libcoap scans all of a context's "
	    "sessions on every event)", 0),
	KEY_INT("fleet", "log_ring", fleet_log_ring, 0, 65536, "1024",
	    "bytes of each device's own /20/0 Event Log lines, kept from its "
	    "first line on (0: no object 20 in a fleet; less than 512 counts "
	    "as 512)",
	    0),

	KEY_INT("connectivity", "cellular_bearer", cellular_bearer, 0, 20,
	    "6", "/4/0/0 Network Bearer of a cellular interface (DEVTYPE=wwan "
	    "or raw IP), whose radio technology the kernel does not tell: "
	    "0 GSM, 2 WCDMA, 5 LTE-TDD, 6 LTE-FDD, 7 NB-IoT, 8 LTE-M", 0),

	KEY_INT("errors", "mem_free_kb", err_mem_free_kb, 0, 0x7fffffff,
	    "8192", "/3/0/11 reads 5 (out of memory) while the available "
	    "memory is below this many kB (0: never)", RT),
	KEY_INT("errors", "disk_free_kb", err_disk_free_kb, 0, 0x7fffffff,
	    "10240", "/3/0/11 reads 16 (device-specific: disk nearly full) "
	    "while [health] disk_path has less than this many kB free (0: "
	    "never)", RT),
	KEY_INT("errors", "battery", err_battery, 0, 100, "10",
	    "/3/0/11 reads 1 (low battery) while /3/0/9 is below this percent "
	    "(0: never)", RT),
	KEY_INT("errors", "gateway_silence", err_gateway_silence, 0,
	    0x7fffffff, "120",
	    "/3/0/11 reads 7 (IP connectivity failure) once a registration or "
	    "update failed and the gateway has not answered for this many "
	    "seconds (0: never)", RT),
};

#define NKEYS (sizeof(nconf_table) / sizeof(nconf_table[0]))

static const char *const nconf_levels[] = {
	"error", "warning", "info", "debug"
};

const struct nconf_key *
nconf_keys(size_t *count)
{
	*count = NKEYS;
	return nconf_table;
}

const struct nconf_key *
nconf_find(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(nconf_table[i].section, section) == 0 &&
		    strcmp(nconf_table[i].key, key) == 0)
			return &nconf_table[i];
	return NULL;
}

/* Parses a number for k: a whole one for NCONF_INT. */
static int
nconf_number(const struct nconf_key *k, const char *v, double *out,
    char *err, size_t errlen)
{
	char *end;
	double d;

	errno = 0;
	if (k->type == NCONF_INT) {
		long long n = strtoll(v, &end, 10);

		d = (double)n;
		if (*v == '\0' || *end != '\0' || errno != 0 ||
		    n < -(1LL << 53) || n > (1LL << 53)) {
			snprintf(err, errlen, "'%s' is not a whole number", v);
			return -1;
		}
	} else {
		d = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(d)) {
			snprintf(err, errlen, "'%s' is not a number", v);
			return -1;
		}
	}
	if (d < k->min) {
		snprintf(err, errlen, "%s is below the minimum %g", v, k->min);
		return -1;
	}
	if (d > k->max) {
		snprintf(err, errlen, "%s is above the maximum %g", v, k->max);
		return -1;
	}
	*out = d;
	return 0;
}

/* Checks a string value of k; returns 0 or -1 with err. */
static int
nconf_check_string(const struct nconf_key *k, const char *v, char *err,
    size_t errlen)
{
	char host[URI_HOST_MAX];
	uint8_t key[NCONF_PSK_KEY_MAX];
	uint16_t port;
	size_t len = strlen(v), i;

	if (len == 0) {
		if (k->flags & NCONF_EMPTY)
			return 0;
		snprintf(err, errlen, "must not be empty");
		return -1;
	}
	if (len >= k->size) {
		snprintf(err, errlen, "longer than %zu characters",
		    k->size - 1);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			snprintf(err, errlen, "control character 0x%02x",
			    (unsigned char)v[i]);
			return -1;
		}
	switch (k->type) {
	case NCONF_GATEWAY:
		return uri_parse_gateway(v, host, &port, NULL, err, errlen);
	case NCONF_PSKKEY:
		if (nconf_psk_key(v, len, key) == -1) {
			snprintf(err, errlen, "must be %d..%d bytes in hex",
			    NCONF_PSK_KEY_MIN, NCONF_PSK_KEY_MAX);
			return -1;
		}
		return 0;
	case NCONF_HOSTPORT:
		return uri_parse_hostport(v, host, &port, err, errlen);
	case NCONF_HEXFILE:
		if (strchr(v, '/') != NULL)
			return 0;	/* a file, read at start */
		for (i = 0; i < len; i++)
			if (!isxdigit((unsigned char)v[i]))
				break;
		if (i < len || len % 2 != 0) {
			snprintf(err, errlen, "must be bytes in hex, or a "
			    "file's path");
			return -1;
		}
		return 0;
	case NCONF_EPNAME:
		if (!uri_is_endpoint(v, len)) {
			snprintf(err, errlen, "'%s': use letters, digits and "
			    "-._:~@+!$*", v);
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

int
nconf_set(struct node_config *cfg, const struct nconf_key *k, const char *v,
    char *err, size_t errlen)
{
	char *field = (char *)cfg + k->offset;
	double d;
	size_t i;

	switch (k->type) {
	case NCONF_INT:
	case NCONF_DOUBLE:
		if (nconf_number(k, v, &d, err, errlen) == -1)
			return -1;
		if (k->type == NCONF_INT)
			*(int *)(void *)field = (int)d;
		else
			*(double *)(void *)field = d;
		return 0;
	case NCONF_LOGLEVEL:
		for (i = 0; i < sizeof(nconf_levels) / sizeof(nconf_levels[0]);
		    i++)
			if (strcasecmp(v, nconf_levels[i]) == 0) {
				*(int *)(void *)field = (int)i;
				return 0;
			}
		snprintf(err, errlen, "'%.32s' is not one of error, warning, "
		    "info, debug", v);
		return -1;
	case NCONF_BINDING:
		if (strcmp(v, "U") != 0 && strcmp(v, "UQ") != 0) {
			snprintf(err, errlen, "'%.32s' is not U or UQ", v);
			return -1;
		}
		*(int *)(void *)field = v[1] == 'Q';
		return 0;
	default:
		if (nconf_check_string(k, v, err, errlen) == -1)
			return -1;
		memset(field, 0, k->size);
		memcpy(field, v, strlen(v));
		return 0;
	}
}

const char *
nconf_get(const struct node_config *cfg, const struct nconf_key *k,
    char *buf, size_t len)
{
	const char *field = (const char *)cfg + k->offset;

	switch (k->type) {
	case NCONF_INT:
		snprintf(buf, len, "%d", *(const int *)(const void *)field);
		break;
	case NCONF_DOUBLE:
		snprintf(buf, len, "%g", *(const double *)(const void *)field);
		break;
	case NCONF_LOGLEVEL:
		snprintf(buf, len, "%s",
		    nconf_levels[*(const int *)(const void *)field & 3]);
		break;
	case NCONF_BINDING:
		snprintf(buf, len, "%s", *(const int *)(const void *)field ?
		    "UQ" : "U");
		break;
	default:
		snprintf(buf, len, "%s", field);
		break;
	}
	return buf;
}

void
nconf_defaults(struct node_config *cfg)
{
	char err[160];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++)
		if (nconf_set(cfg, &nconf_table[i], nconf_table[i].def, err,
		    sizeof(err)) == -1)
			fatalx("nconf: bad default for [%s] %s: %s",
			    nconf_table[i].section, nconf_table[i].key, err);
}

int
nconf_psk_key(const char *hex, size_t len, uint8_t *key)
{
	int n;

	while (len > 0 && isspace((unsigned char)*hex)) {
		hex++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)hex[len - 1]))
		len--;
	if ((n = hex_decode(hex, len, key, NCONF_PSK_KEY_MAX)) <
	    NCONF_PSK_KEY_MIN)
		return -1;
	return n;
}

/* The bootstrap keys: a coaps bootstrap server needs the factory key, a
 * coap one takes none. */
static int
nconf_validate_bootstrap(const struct node_config *cfg, char *err,
    size_t errlen)
{
	char host[URI_HOST_MAX], why[160];
	uint16_t port;
	int secure = 0, key;

	key = cfg->bs_psk_key[0] != '\0' || cfg->bs_psk_key_file[0] != '\0';
	if (cfg->bs_psk_key[0] != '\0' && cfg->bs_psk_key_file[0] != '\0') {
		snprintf(err, errlen, "[node] bootstrap_psk_key and "
		    "bootstrap_psk_key_file: give one of them");
		return -1;
	}
	if (cfg->bootstrap[0] == '\0') {
		if (key || cfg->bs_psk_identity[0] != '\0') {
			snprintf(err, errlen, "[node] a bootstrap PSK is set "
			    "but bootstrap is not: it would not be used");
			return -1;
		}
		return 0;
	}
	(void)uri_parse_gateway(cfg->bootstrap, host, &port, &secure, why,
	    sizeof(why));
	if (secure && !key) {
		snprintf(err, errlen, "[node] bootstrap %s is coaps: it needs "
		    "[node] bootstrap_psk_key or bootstrap_psk_key_file",
		    cfg->bootstrap);
		return -1;
	}
	if (!secure && key) {
		snprintf(err, errlen, "[node] a bootstrap PSK is set but "
		    "bootstrap %s is not coaps: the key would not be used",
		    cfg->bootstrap);
		return -1;
	}
	return 0;
}

int
nconf_pki(const struct node_config *cfg)
{
	return cfg->rpk || cfg->cert_file[0] != '\0' ||
	    cfg->key_file[0] != '\0' || cfg->ca_file[0] != '\0' ||
	    cfg->server_cn[0] != '\0' || cfg->server_public_key[0] != '\0';
}

/*
 * The certificate and raw key settings: complete for the one kind they
 * are (X.509: cert_file, key_file, ca_file; RPK: rpk, key_file,
 * server_public_key), not mixed with a PSK, for a coaps gateway and a
 * single agent. The files are read at start (nconf_load stays free of
 * I/O beyond the ini file).
 */
static int
nconf_validate_pki(const struct node_config *cfg, int secure, char *err,
    size_t errlen)
{
	if (!nconf_pki(cfg))
		return 0;
	if (!secure) {
		snprintf(err, errlen, "[node] a certificate or key is set but "
		    "gateway %s is not coaps: it would not be used",
		    cfg->gateway);
		return -1;
	}
	if (cfg->psk_key[0] != '\0' || cfg->psk_key_file[0] != '\0') {
		snprintf(err, errlen, "[node] a PSK and a certificate or raw "
		    "key: give one kind of credential");
		return -1;
	}
	if (cfg->fleet > 0) {
		snprintf(err, errlen, "[node] certificates and raw keys are "
		    "for a single agent (a fleet's devices each prove their "
		    "name with a PSK identity)");
		return -1;
	}
	if (cfg->rpk && (cfg->cert_file[0] != '\0' ||
	    cfg->ca_file[0] != '\0' || cfg->server_cn[0] != '\0')) {
		snprintf(err, errlen, "[node] rpk = 1 takes no cert_file, "
		    "ca_file or server_cn");
		return -1;
	}
	if (cfg->rpk && (cfg->key_file[0] == '\0' ||
	    cfg->server_public_key[0] == '\0')) {
		snprintf(err, errlen, "[node] rpk = 1 needs key_file and "
		    "server_public_key (the gateway's key)");
		return -1;
	}
	if (!cfg->rpk && cfg->server_public_key[0] != '\0') {
		snprintf(err, errlen, "[node] server_public_key is for rpk = 1");
		return -1;
	}
	if (!cfg->rpk && (cfg->cert_file[0] == '\0' ||
	    cfg->key_file[0] == '\0' || cfg->ca_file[0] == '\0')) {
		snprintf(err, errlen, "[node] X.509 needs cert_file, key_file "
		    "and ca_file (or rpk = 1 for a raw public key)");
		return -1;
	}
	return 0;
}

int
nconf_validate(const struct node_config *cfg, char *err, size_t errlen)
{
	char host[URI_HOST_MAX], why[160];
	uint16_t port;
	int secure = 0;

	if (nconf_validate_bootstrap(cfg, err, errlen) == -1)
		return -1;
	(void)uri_parse_gateway(cfg->gateway, host, &port, &secure, why,
	    sizeof(why));
	if (cfg->bootstrap[0] != '\0' && nconf_pki(cfg)) {
		snprintf(err, errlen, "[node] a certificate or raw key is set "
		    "with bootstrap: the account the bootstrap server writes is "
		    "used, the key would not be");
		return -1;
	}
	if (cfg->bootstrap[0] != '\0')
		secure = -1;	/* gateway is not used: its key neither */
	else if (nconf_validate_pki(cfg, secure, err, errlen) == -1)
		return -1;
	if (secure == 1 && cfg->psk_key[0] == '\0' &&
	    cfg->psk_key_file[0] == '\0' && !nconf_pki(cfg)) {
		snprintf(err, errlen, "[node] gateway %s is coaps: it needs "
		    "[node] psk_key or psk_key_file (or cert_file, key_file and "
		    "ca_file; or rpk = 1, key_file and server_public_key)",
		    cfg->gateway);
		return -1;
	}
	if (cfg->psk_key[0] != '\0' && cfg->psk_key_file[0] != '\0') {
		snprintf(err, errlen, "[node] psk_key and psk_key_file: give "
		    "one of them");
		return -1;
	}
	if (secure == 0 && (cfg->psk_key[0] != '\0' ||
	    cfg->psk_key_file[0] != '\0')) {
		snprintf(err, errlen, "[node] a PSK is set but gateway %s is "
		    "not coaps: the key would not be used", cfg->gateway);
		return -1;
	}
	if (cfg->fleet > NCONF_DTLS_FLEET_MAX && (secure == 1 ||
	    strncmp(cfg->bootstrap, "coaps://", 8) == 0)) {
		snprintf(err, errlen, "[fleet] devices: a DTLS fleet is at most "
		    "%d devices per process (libcoap's DTLS client polls each "
		    "session's socket with select(), which takes no descriptor "
		    "above 1023); run several fleets with different prefixes",
		    NCONF_DTLS_FLEET_MAX);
		return -1;
	}
	if (cfg->backoff_min > cfg->backoff_max) {
		snprintf(err, errlen, "[register] backoff_min %d is above "
		    "backoff_max %d", cfg->backoff_min, cfg->backoff_max);
		return -1;
	}
	if (cfg->sw_dir[0] != '\0' && cfg->fleet > 0) {
		snprintf(err, errlen, "[software] dir is for a single agent (a "
		    "fleet's devices have no object 9)");
		return -1;
	}
	if (cfg->sw_dir[0] != '\0' && cfg->fw_trusted_keys[0] == '\0') {
		snprintf(err, errlen, "[software] dir needs [firmware] "
		    "trusted_keys: packages are verified with them");
		return -1;
	}
	if (cfg->fleet > 0 && cfg->listen[0] != '\0') {
		snprintf(err, errlen, "[node] listen cannot be used with a "
		    "fleet (each device has its own free port)");
		return -1;
	}
	return 0;
}

/* inifile's set(): one key of the table. */
static int
nconf_set_key(void *cfg, const void *key, const char *value, char *err,
    size_t errlen)
{
	return nconf_set(cfg, key, value, err, errlen);
}

_Static_assert(offsetof(struct nconf_key, section) == 0 &&
    offsetof(struct nconf_key, key) == sizeof(const char *),
    "an nconf_key starts with its names, as inifile reads them");

int
nconf_load(struct node_config *cfg, const char *path, char *err,
    size_t errlen)
{
	struct inifile p;
	struct node_config fresh;
	char verr[256];
	int seen[NKEYS];

	memset(&p, 0, sizeof(p));
	memset(seen, 0, sizeof(seen));
	nconf_defaults(&fresh);
	if (strlen(path) >= sizeof(fresh.source)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	snprintf(fresh.source, sizeof(fresh.source), "%s", path);
	p.keys = nconf_table;
	p.nkeys = NKEYS;
	p.stride = sizeof(nconf_table[0]);
	p.seen = seen;
	p.cfg = &fresh;
	p.set = nconf_set_key;
	if (inifile_parse(&p, path, err, errlen) == -1)
		return -1;
	if (nconf_validate(&fresh, verr, sizeof(verr)) == -1) {
		snprintf(err, errlen, "%s: %s", path, verr);
		return -1;
	}
	*cfg = fresh;
	return 0;
}

void
nconf_print_example(FILE *fp)
{
	const char *section = "";
	size_t i;

	fprintf(fp,
	    "; outpost-node configuration. Every key is shown with its "
	    "default; a key\n"
	    "; left out keeps its default. Errors name the file and line. "
	    "The command\n"
	    "; line wins over this file: --gateway, --bootstrap, --ep, "
	    "--lifetime, --binding,\n"
	    "; --sleep, --awake, --listen, --fleet, --prefix, --drop, "
	    "--spread.\n"
	    "; Keys marked (runtime) can also be changed by writing JSON to "
	    "/config;\n"
	    "; such writes are kept in config_path and win over this file.\n"
	    "; Check a file with: outpost-node -n -c node.ini\n");
	for (i = 0; i < NKEYS; i++) {
		const struct nconf_key *k = &nconf_table[i];

		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(fp, "\n[%s]\n", section);
		}
		fprintf(fp, "; %s%s\n%s =%s%s\n", k->help,
		    k->flags & NCONF_RUNTIME ? " (runtime)" : "", k->key,
		    k->def[0] != '\0' ? " " : "", k->def);
	}
}
