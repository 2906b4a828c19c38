/*
 * config.c: the key table of gateway.ini, its values and the checks across
 * keys; config/inifile.c reads the file through the table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "config/cloudcfg.h"
#include "config/inifile.h"
#include "log.h"

#define KEY_INT(sec, name, field, lo, hi, d, h, r)			\
	{ sec, name, CONFIG_INT, offsetof(struct gw_config, field), 0,	\
	    lo, hi, d, h, r }
#define KEY_STR(sec, name, field, d, h, r)				\
	{ sec, name, CONFIG_STRING, offsetof(struct gw_config, field),	\
	    sizeof(((struct gw_config *)0)->field), 0, 0, d, h, r }
#define KEY_HP(sec, name, field, d, h)					\
	{ sec, name, CONFIG_HOSTPORT, offsetof(struct gw_config, field),	\
	    0, 0, 0, d, h, 1 }

static const struct config_key config_table[] = {
	{ "gateway", "log_level", CONFIG_LOGLEVEL,
	    offsetof(struct gw_config, log_level), 0, 0, 0, "info",
	    "error, warning, info or debug", 0 },
	KEY_STR("gateway", "id", gateway_id, "",
	    "the gateway's name: its cloud client id and its topics' level "
	    "(letters, digits, '.', '_', '-'; empty: the host's name)", 0),

	KEY_HP("http", "listen", http_listen, "127.0.0.1:8080",
	    "address and port of the HTTP API (numeric host)"),
	KEY_INT("http", "max_body", http_max_body, 1024, 16 << 20, "65536",
	    "largest request body accepted, in bytes (413 beyond)", 0),
	KEY_INT("http", "max_header_bytes", http_max_header_bytes, 1024,
	    1 << 20, "16384",
	    "bytes of a request's line and headers (beyond: the connection "
	    "is closed)", 0),
	KEY_INT("http", "timeout", http_timeout, 1, 3600, "60",
	    "seconds an idle or slow HTTP connection is kept", 0),
	KEY_INT("http", "header_timeout", http_header_timeout, 1, 3600, "10",
	    "seconds a new connection has to send its first request's line "
	    "and headers, all of them (not restarted by each byte)", 0),
	KEY_INT("http", "max_connections", http_max_connections, 1, 1000000,
	    "1024", "HTTP and HTTPS connections open at once (beyond: new "
	    "ones are closed)", 0),
	KEY_INT("http", "max_connections_per_addr",
	    http_max_connections_per_addr, 1, 1000000, "64",
	    "connections open at once from one client address (an IPv6 /64 "
	    "counts as one)", 0),
	KEY_STR("http", "tls_listen", http_tls_listen, "",
	    "address and port of the HTTPS API (numeric host; empty: no HTTPS)",
	    1),
	KEY_STR("http", "tls_cert", http_tls_cert, "",
	    "PEM certificate chain of the HTTPS API (re-read on SIGHUP)", 0),
	KEY_STR("http", "tls_key", http_tls_key, "",
	    "PEM private key of tls_cert (re-read on SIGHUP)", 0),
	KEY_STR("http", "tls_client_ca", http_tls_client_ca, "",
	    "PEM CA certificates that HTTPS clients must present a certificate "
	    "from (empty: none asked)", 0),
	KEY_INT("http", "plain_nonloopback", http_plain_nonloopback, 0, 1, "0",
	    "1 lets plain HTTP listen on a non-loopback address (0: refuse to "
	    "start)", 1),

	KEY_HP("coap", "listen", coap_listen, "127.0.0.1:5683",
	    "address and port of the plain CoAP endpoint (numeric host)"),
	KEY_INT("coap", "max_idle_sessions", coap_max_idle_sessions, 0,
	    1000000, "4096",
	    "CoAP sessions that route no awake device kept before the "
	    "oldest is freed (0: no limit)", 0),
	KEY_INT("coap", "session_timeout", coap_session_timeout, 1, 86400,
	    "300",
	    "seconds a CoAP session that routes no awake device is kept after "
	    "its last message (an awake device's session lives while it is "
	    "awake: in binding U, as long as it is registered)", 0),
	KEY_INT("coap", "max_links", coap_max_links, 64, 65536, "4096",
	    "largest link-format body a device may register, in bytes", 0),
	KEY_INT("coap", "rcvbuf", coap_rcvbuf, 0, 1 << 30, "2097152",
	    "receive buffer of each CoAP socket, in bytes, for a fleet's "
	    "bursts (0: the system's; above net.core.rmem_max it needs "
	    "CAP_NET_ADMIN)", 1),
	KEY_HP("coap", "secure_listen", coap_secure_listen, "127.0.0.1:5684",
	    "address and port of the CoAP over DTLS endpoint (numeric host)"),
	KEY_STR("coap", "plain", coap_plain, "loopback",
	    "who may use plain CoAP: loopback (peers on this host), any, or "
	    "off; never a device that has a credential", 0),
	KEY_STR("coap", "ca_file", coap_ca_file, "",
	    "PEM CA that devices' X.509 certificates must chain to", 1),
	KEY_STR("coap", "cert_file", coap_cert_file, "",
	    "PEM certificate of the gateway for DTLS with X.509", 1),
	KEY_STR("coap", "key_file", coap_key_file, "",
	    "PEM private key of cert_file, or with rpk = 1 an EC key used as "
	    "a raw public key (empty: DTLS with PSK only)", 1),
	KEY_INT("coap", "rpk", coap_rpk, 0, 1, "0",
	    "1: devices authenticate with raw public keys instead of X.509 "
	    "certificates", 1),

	KEY_INT("registry", "awake_window", reg_awake_window, 1, 86400, "93",
	    "seconds a queue-mode device stays awake after its last message",
	    0),
	KEY_INT("registry", "default_lifetime", reg_default_lifetime, 1,
	    0x7fffffff, "86400",
	    "lifetime in seconds when a registration gives no lt", 0),
	KEY_INT("registry", "min_lifetime", reg_min_lifetime, 1, 0x7fffffff,
	    "1", "shortest lifetime accepted from a device, in seconds", 0),
	KEY_INT("registry", "max_lifetime", reg_max_lifetime, 1, 0x7fffffff,
	    "31536000", "longest lifetime accepted from a device, in seconds",
	    0),
	KEY_INT("registry", "max_devices", reg_max_devices, 1, 10000000,
	    "1000000", "registrations kept before new ones are refused", 0),
	KEY_INT("registry", "sweep_slice", reg_sweep_slice, 16, 1000000,
	    "2048", "devices the expiry sweep looks at per loop turn", 0),

	KEY_INT("proxy", "nstart", proxy_nstart, 1, 16, "1",
	    "requests outstanding per device at once (RFC 7252 NSTART)", 0),
	KEY_INT("proxy", "timeout", proxy_timeout, 1, 3600, "452",
	    "seconds to wait for a device's answer (RFC 8075 8.5: MAX_RTT + "
	    "MAX_SERVER_RESPONSE_DELAY)", 0),
	KEY_INT("proxy", "nat_window", proxy_nat_window, 0, 86400, "0",
	    "seconds a device behind NAT stays reachable after its last "
	    "message (0: no NAT)", 0),
	KEY_INT("proxy", "collapse", proxy_collapse, 0, 1, "1",
	    "1: identical GETs of a resource that arrive while one is on its "
	    "way to the device share its answer (one request to the device)",
	    0),

	KEY_INT("queue", "max_per_device", queue_max_per_device, 1, 100000,
	    "64", "operations kept per device (429 beyond)", 0),
	KEY_INT("queue", "ttl", queue_ttl, 1, 31536000, "86400",
	    "seconds an operation waits for its device before it expires", 0),
	KEY_INT("queue", "max_attempts", queue_max_attempts, 1, 100, "5",
	    "deliveries tried before an operation fails", 0),

	KEY_STR("webhook", "url", webhook_url, "",
	    "http:// or https://HOST[:PORT]/PATH that gets events POSTed as "
	    "JSON (empty: off)", 0),
	KEY_STR("webhook", "ca_file", webhook_ca_file, "",
	    "PEM CA certificates that an https:// url's server must have a "
	    "certificate from (empty: the system's CAs)", 0),
	KEY_INT("webhook", "timeout", webhook_timeout, 1, 600, "10",
	    "seconds to wait for the receiver's answer", 0),
	KEY_INT("webhook", "retry_max", webhook_retry_max, 1, 86400, "300",
	    "longest wait between retries, in seconds", 0),
	KEY_INT("webhook", "max_outbox", webhook_max_outbox, 1, 1000000,
	    "10000", "events kept for the receiver (the oldest go first)", 0),

	KEY_STR("cloud", "broker", cloud_broker, "",
	    "mqtts://HOST[:PORT] or mqtt://HOST[:PORT] of the MQTT broker the "
	    "gateway connects out to (empty: no cloud link)", 0),
	KEY_INT("cloud", "allow_plain", cloud_allow_plain, 0, 1, "0",
	    "1: an mqtt:// broker may be off loopback (events and requests "
	    "cross the network in clear)", 0),
	KEY_STR("cloud", "client_id", cloud_client_id, "",
	    "MQTT client id (empty: [gateway] id)", 0),
	KEY_STR("cloud", "ca_file", cloud_ca_file, "",
	    "PEM CA certificates the broker's certificate must chain to "
	    "(empty: the system's CAs)", 0),
	KEY_STR("cloud", "cert_file", cloud_cert_file, "",
	    "PEM client certificate the gateway shows the broker (empty: none)",
	    0),
	KEY_STR("cloud", "key_file", cloud_key_file, "",
	    "PEM private key of cert_file", 0),
	KEY_STR("cloud", "username", cloud_username, "",
	    "MQTT user name (empty: none)", 0),
	KEY_STR("cloud", "password_file", cloud_password_file, "",
	    "file whose first line is the MQTT password of username", 0),
	KEY_INT("cloud", "keepalive", cloud_keepalive, 5, 3600, "60",
	    "MQTT keep-alive, in seconds", 0),
	KEY_STR("cloud", "prefix", cloud_prefix, "outpost",
	    "first topic levels, before the gateway's id", 0),
	KEY_STR("cloud", "protocol", cloud_protocol, "auto",
	    "auto (MQTT 5, or 3.1.1 when the broker refuses 5), 5 or 3.1.1", 0),
	KEY_STR("cloud", "requests", cloud_requests, "",
	    "request topics and their roles, NAME:ROLE, ... (ROLE: read, "
	    "operate or admin; empty: no requests taken)", 0),
	KEY_STR("cloud", "events", cloud_events, "",
	    "event types published, comma-separated (empty: all)", 0),
	KEY_INT("cloud", "max_outbox", cloud_max_outbox, 1, 10000000,
	    "100000", "events kept for the broker (the oldest go first)", 0),
	KEY_INT("cloud", "max_outbox_kb", cloud_max_outbox_kb, 16, 0x7fffffff,
	    "65536", "KiB of events kept for the broker (the oldest go first)",
	    0),
	KEY_INT("cloud", "retry_max", cloud_retry_max, 1, 3600, "60",
	    "longest wait between connection attempts, in seconds", 0),
	KEY_INT("cloud", "max_requests", cloud_max_requests, 1, 1024, "16",
	    "requests from the cloud served at once (beyond: they wait)", 0),

	KEY_INT("cache", "max_entries", cache_max_entries, 1, 10000000,
	    "10000", "resource values kept (least recently used go first)", 0),
	KEY_INT("cache", "max_bytes", cache_max_bytes, 4096, 1 << 30,
	    "16777216", "bytes of resource values kept", 0),
	KEY_INT("cache", "max_observations", cache_max_observations, 1,
	    10000000, "10000",
	    "observations clients may ask for in all (429 beyond)", 0),
	KEY_INT("cache", "max_observations_per_device",
	    cache_max_observations_per_device, 1, 100000, "64",
	    "observations clients may ask for of one device (429 beyond)", 0),

	KEY_INT("events", "ring", events_ring, 16, 1000000, "1024",
	    "events kept for clients resuming with Last-Event-ID", 0),
	KEY_INT("events", "client_buffer", events_client_buffer, 4096,
	    64 << 20, "1048576",
	    "unsent bytes a stream client may hold before it is dropped", 0),
	KEY_INT("events", "keepalive", events_keepalive, 1, 3600, "15",
	    "seconds between keep-alive comments on idle streams", 0),

	KEY_STR("auth", "token_file", auth_token_file, "",
	    "file of API tokens, one 'TOKEN ROLE' per line, role read, operate "
	    "or admin (re-read on SIGHUP)", 0),
	KEY_STR("auth", "admin_token", auth_admin_token, "",
	    "a token with the admin role (empty: none)", 0),
	KEY_STR("auth", "operate_token", auth_operate_token, "",
	    "a token with the operate role (empty: none)", 0),
	KEY_STR("auth", "read_token", auth_read_token, "",
	    "a token with the read role (empty: none)", 0),
	KEY_INT("auth", "token_rate", auth_token_rate, 0, 1000000, "50",
	    "requests per second one token may make (0: no limit)", 0),
	KEY_INT("auth", "token_burst", auth_token_burst, 1, 1000000, "100",
	    "requests one token may make at once after a quiet spell", 0),
	KEY_INT("auth", "addr_rate", auth_addr_rate, 0, 1000000, "100",
	    "requests per second from one client address while tokens are "
	    "required (0: no limit)", 0),
	KEY_INT("auth", "addr_burst", auth_addr_burst, 1, 1000000, "200",
	    "requests one client address may make at once", 0),
	KEY_INT("auth", "open", auth_open, 0, 1, "0",
	    "1: this file means to leave the API without tokens (a reload that "
	    "would drop every running token is refused without it)", 0),

	KEY_STR("firmware", "trusted_keys", fw_trusted_keys, "",
	    "public keys that may sign firmware manifests: comma-separated, "
	    "each 64 hex characters or a file of such keys, one per line", 0),
	KEY_INT("firmware", "no_trusted_keys", fw_no_trusted_keys, 0, 1, "0",
	    "1: this file means to trust no signing key (a reload that would "
	    "drop every running trusted key is refused without it)", 0),
	KEY_INT("firmware", "max_store_mb", fw_max_store_mb, 1, 1 << 20, "256",
	    "MiB of firmware images kept (507 beyond)", 0),
	KEY_INT("firmware", "block_size", fw_block_size, 16, 1024, "1024",
	    "CoAP Block2 size images are served in (rounded down to a power "
	    "of two)", 0),
	KEY_STR("firmware", "group4", fw_group4, "224.0.1.187",
	    "IPv4 multicast group of announcements (All-CoAP-Nodes)", 0),
	KEY_STR("firmware", "group6", fw_group6, "ff02::fd",
	    "IPv6 multicast group of announcements (All-CoAP-Nodes)", 0),
	KEY_INT("firmware", "port", fw_port, 1, 65535, "5683",
	    "UDP port announcements are sent to", 0),
	KEY_STR("firmware", "interface", fw_interface, "",
	    "network interface announcements leave by (empty: the default "
	    "route's)", 0),
	KEY_INT("firmware", "hops", fw_hops, 1, 255, "1",
	    "multicast hop limit (TTL) of announcements", 0),
	KEY_INT("firmware", "repeat", fw_repeat, 1, 100, "3",
	    "times each announcement is sent (it is non-confirmable)", 0),
	KEY_INT("firmware", "interval_ms", fw_interval_ms, 10, 600000, "1000",
	    "milliseconds between the repeats of an announcement", 0),

	KEY_INT("campaign", "group_size", campaign_group_size, 0, 100000, "0",
	    "devices per campaign group when a campaign names none (0: all in "
	    "one group)", 0),
	KEY_INT("campaign", "max_concurrent", campaign_max_concurrent, 1,
	    100000, "50", "devices of a campaign updating at once", 0),
	KEY_INT("campaign", "failure_percent", campaign_failure_percent, 0, 100,
	    "10", "share of a group that may fail before its campaign pauses",
	    0),
	KEY_INT("campaign", "poll_s", campaign_poll_s, 1, 86400, "60",
	    "seconds without news from a device that updates before its /5/0 "
	    "is read (news comes by observing /5/0/3 and /5/0/5)", 0),
	KEY_INT("campaign", "announce_wait_s", campaign_announce_wait_s, 1,
	    86400, "60", "seconds a device may take to begin after a multicast "
	    "announcement before it gets the LwM2M pull path", 0),
	KEY_STR("campaign", "fetch_uri", campaign_fetch_uri, "",
	    "coap://HOST:PORT devices fetch images from (empty: [coap] "
	    "listen)", 0),
	KEY_STR("campaign", "fetch_uri_secure", campaign_fetch_uri_secure, "",
	    "coaps://HOST:PORT devices with a DTLS credential fetch images "
	    "from (empty: [coap] secure_listen)", 0),

	KEY_INT("jobs", "max_concurrent", job_max_concurrent, 1, 100000, "50",
	    "devices of a job that run at once when it names none", 0),
	KEY_INT("jobs", "timeout_s", job_timeout_s, 1, 2592000, "3600",
	    "seconds one attempt of a device may take, a sleeping device's wait included, when a job names none", 0),
	KEY_INT("jobs", "retries", job_retries, 0, 100, "2",
	    "attempts after a device's first when a job names none", 0),
	KEY_INT("jobs", "backoff_s", job_backoff_s, 0, 86400, "60",
	    "seconds before a device's first retry when a job names none (doubled after each)", 0),
	KEY_INT("jobs", "failure_percent", job_failure_percent, 0, 100, "10",
	    "share of a group that may fail before its job pauses when a job names none", 0),
	KEY_INT("jobs", "overall_failure_percent", job_overall_failure_percent, 0, 100, "100",
	    "share of a job's devices that may fail before it pauses when a job names none (100: no limit)", 0),
	KEY_INT("jobs", "recheck_s", job_recheck_s, 1, 86400, "300",
	    "seconds before a device deferred by a precondition is looked at again when a job names none", 0),
	KEY_INT("jobs", "poll_s", job_poll_s, 1, 86400, "60",
	    "seconds a step may wait for its resource to reach a value before the gateway reads it (news comes by observing it)", 0),

	KEY_INT("alarms", "silence_s", alarm_silence_s, 0, 2592000, "0",
	    "seconds any device may say nothing before rule ini-silence raises an alarm (0: no such rule)", 0),
	KEY_INT("alarms", "expired", alarm_expired, 0, 1, "1",
	    "1: rule ini-expired raises an alarm for any device whose lifetime passed without an update", 0),
	KEY_INT("alarms", "failures", alarm_failures, 0, 1, "1",
	    "1: rule ini-failure raises an alarm for any device that fails in a job or a campaign", 0),
	KEY_STR("alarms", "severity", alarm_severity, "major",
	    "severity of the rules above: critical, major, minor or warning", 0),
	KEY_INT("alarms", "sweep_s", alarm_sweep_s, 1, 3600, "10",
	    "seconds between the sweeps that find silence, expiry and holds run out", 0),
	KEY_INT("alarms", "sweep_slice", alarm_sweep_slice, 1, 1000000, "1000",
	    "devices one turn of the loop looks at in a sweep or a push of attributes", 0),
	KEY_INT("alarms", "max_rules", alarm_max_rules, 1, 10000, "256",
	    "alarm rules the API may add", 0),
	KEY_INT("alarms", "keep_cleared", alarm_keep_cleared, 0, 10000000, "10000",
	    "cleared alarms kept in the store (beyond: the oldest go)", 0),
	KEY_INT("alarms", "push", alarm_push, 0, 1, "1",
	    "1: a threshold rule on an LwM2M resource is written to its devices as notification attributes (gt, lt, st, pmin, pmax)", 0),
	KEY_INT("history", "enable", history_enable, 0, 1, "1",
	    "1: keep numeric values over time (GET /v1/devices/{ep}/history)",
	    0),
	KEY_STR("history", "paths", history_paths, "health/* observed",
	    "which numbers are kept: glob patterns over the number's path "
	    "(\"health/*\", \"3/0/*\", \"*\") and \"observed\" (a path an "
	    "observation watches), separated by spaces", 0),
	KEY_INT("history", "raw_age_s", history_raw_age_s, 1, 0x7fffffff,
	    "86400", "seconds raw points are kept before they are rolled up "
	    "into buckets", 0),
	KEY_INT("history", "bucket_s", history_bucket_s, 1, 86400, "300",
	    "seconds of one bucket (min, max, mean, count) of rolled-up points",
	    0),
	KEY_INT("history", "max_age_s", history_max_age_s, 1, 0x7fffffff,
	    "2592000", "seconds history is kept at most (points and buckets)",
	    0),
	KEY_INT("history", "max_kb", history_max_kb, 16, 0x7fffffff, "65536",
	    "KiB of the store that history may take (beyond: the oldest of "
	    "all series go first)", 0),
	KEY_INT("history", "max_series", history_max_series, 1, 100000000,
	    "100000", "series (endpoint and path) held at most, each about "
	    "100 bytes of memory (beyond: new ones are not kept)", 0),
	KEY_INT("history", "sweep_s", history_sweep_s, 1, 86400, "60",
	    "seconds between the sweeps that roll up and drop old history",
	    0),

	KEY_STR("lwm2m", "models_dir", lwm2m_models_dir, "",
	    "directory of OMA DDF XML object definitions (*.xml) that add to or "
	    "replace the built-in objects (empty: the built-in ones only; "
	    "re-read on SIGHUP)", 0),
	KEY_STR("bootstrap", "listen", bs_listen, "",
	    "address and port of the plain CoAP bootstrap server (numeric "
	    "host; empty: off)", 1),
	KEY_STR("bootstrap", "secure_listen", bs_secure_listen, "",
	    "address and port of the CoAP over DTLS bootstrap server (numeric "
	    "host; empty: off)", 1),
	KEY_STR("bootstrap", "server_uri", bs_server_uri, "",
	    "coaps:// (or coap://) URI of the DM server written to devices "
	    "that have no other (empty: coaps:// and [coap] secure_listen)", 0),
	KEY_INT("bootstrap", "lifetime", bs_lifetime, 1, 0x7fffffff, "86400",
	    "registration lifetime in seconds written to devices that have no "
	    "other", 0),
	KEY_INT("bootstrap", "short_server_id", bs_short_server_id, 1, 65534,
	    "1", "Short Server ID of the gateway's DM account on devices", 0),
	KEY_INT("bootstrap", "timeout", bs_timeout, 1, 3600, "30",
	    "seconds a device has to answer each bootstrap request before its "
	    "bootstrap fails", 0),
	KEY_INT("bootstrap", "max_concurrent", bs_max_concurrent, 1, 100000,
	    "64", "bootstraps in progress at once (beyond: 5.03, retry later)",
	    0),

	KEY_STR("store", "path", store_path, "./data",
	    "directory of the LMDB environment (created if missing)", 1),
	KEY_INT("store", "map_size_mb", store_map_size_mb, 1, 1 << 20, "1024",
	    "largest size the store may grow to, in MiB (address space only)",
	    1),
};

#define NKEYS (sizeof(config_table) / sizeof(config_table[0]))

static const char *const log_level_names[] = {
	"error", "warning", "info", "debug"
};

const struct config_key *
config_keys(size_t *count)
{
	*count = NKEYS;
	return config_table;
}

int
config_parse_hostport(const char *s, struct gw_hostport *hp, char *err,
    size_t errlen)
{
	const char *colon, *host = s;
	size_t hostlen;
	unsigned char buf[sizeof(struct in6_addr)];
	char *end;
	long port;

	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		host = s + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hostlen = (size_t)(colon - s);
	}
	if (hostlen == 0 || hostlen >= sizeof(hp->host))
		goto bad;
	if (*s != '[' && memchr(s, ':', hostlen) != NULL) {
		snprintf(err, errlen, "'%s': an IPv6 host needs brackets, as in "
		    "[::1]:5683", s);
		return -1;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 ||
	    port < 1 || port > 65535) {
		snprintf(err, errlen, "'%s': port must be 1..65535", s);
		return -1;
	}
	memset(hp->host, 0, sizeof(hp->host));	/* compared with memcmp */
	memcpy(hp->host, host, hostlen);
	if (inet_pton(AF_INET, hp->host, buf) != 1 &&
	    inet_pton(AF_INET6, hp->host, buf) != 1) {
		snprintf(err, errlen, "'%s': host must be a numeric IPv4 or "
		    "[IPv6] address", s);
		return -1;
	}
	hp->port = (uint16_t)port;
	return 0;
bad:
	snprintf(err, errlen, "'%s': expected HOST:PORT or [HOST]:PORT", s);
	return -1;
}

int
config_hostport_is_loopback(const struct gw_hostport *hp)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, hp->host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, hp->host, &a6) != 1)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

int
config_hostport_is_any(const struct gw_hostport *hp)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, hp->host, &a4) == 1)
		return a4.s_addr == htonl(INADDR_ANY);
	return inet_pton(AF_INET6, hp->host, &a6) == 1 &&
	    IN6_IS_ADDR_UNSPECIFIED(&a6);
}

const char *
config_hostport_str(const struct gw_hostport *hp, char *buf, size_t len)
{
	if (strchr(hp->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%u", hp->host, hp->port);
	else
		snprintf(buf, len, "%s:%u", hp->host, hp->port);
	return buf;
}

/* Sets one key of cfg from its text. Returns 0 or -1 with err. */
static int
config_set(struct gw_config *cfg, const struct config_key *k, const char *v,
    char *err, size_t errlen)
{
	char *field = (char *)cfg + k->offset;
	char *end;
	long n;
	size_t i;

	switch (k->type) {
	case CONFIG_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0) {
			snprintf(err, errlen, "'%s' is not a whole number", v);
			return -1;
		}
		if (n < k->min) {
			snprintf(err, errlen, "%ld is below the minimum %ld",
			    n, k->min);
			return -1;
		}
		if (n > k->max) {
			snprintf(err, errlen, "%ld is above the maximum %ld",
			    n, k->max);
			return -1;
		}
		*(int *)(void *)field = (int)n;
		return 0;
	case CONFIG_STRING:
		if ((*v == '\0' && k->def[0] != '\0') || strlen(v) >= k->size) {
			snprintf(err, errlen, "must be 1..%zu characters",
			    k->size - 1);
			return -1;
		}
		memset(field, 0, k->size);	/* compared with memcmp */
		memcpy(field, v, strlen(v));
		return 0;
	case CONFIG_HOSTPORT:
		return config_parse_hostport(v, (struct gw_hostport *)(void *)
		    field, err, errlen);
	case CONFIG_LOGLEVEL:
		for (i = 0; i < sizeof(log_level_names) /
		    sizeof(log_level_names[0]); i++) {
			if (strcasecmp(v, log_level_names[i]) == 0) {
				*(int *)(void *)field = (int)i;
				return 0;
			}
		}
		snprintf(err, errlen, "'%s' is not one of error, warning, "
		    "info, debug", v);
		return -1;
	}
	return -1;
}

void
config_defaults(struct gw_config *cfg)
{
	char err[128];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++)
		if (config_set(cfg, &config_table[i], config_table[i].def,
		    err, sizeof(err)) == -1)
			fatalx("config: bad default for [%s] %s: %s",
			    config_table[i].section, config_table[i].key, err);
}

/* inifile's set(): one key of the table. */
static int
config_set_key(void *cfg, const void *key, const char *value, char *err,
    size_t errlen)
{
	return config_set(cfg, key, value, err, errlen);
}

_Static_assert(offsetof(struct config_key, section) == 0 &&
    offsetof(struct config_key, key) == sizeof(const char *),
    "a config_key starts with its names, as inifile reads them");

/* The line where the key at offset was set (0: not in the file). */
static int
config_line_of(const struct inifile *p, size_t offset)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (config_table[i].offset == offset)
			return p->seen[i];
	return 0;
}

/* The later of the lines where two keys were set. */
static int
config_later_line(const struct inifile *p, size_t a, size_t b)
{
	int la = config_line_of(p, a), lb = config_line_of(p, b);

	return la > lb ? la : lb;
}

/* Checks what one key cannot: relations between keys. The error is put at
 * the later of the two lines involved. */
/* [coap] plain is one of three words (the key files are checked when the
 * DTLS endpoint starts: each key alone is valid here). */
static int
config_validate_coap(struct inifile *p)
{
	const struct gw_config *cfg = p->cfg;

	if (strcmp(cfg->coap_plain, "loopback") != 0 &&
	    strcmp(cfg->coap_plain, "any") != 0 &&
	    strcmp(cfg->coap_plain, "off") != 0) {
		p->line = config_line_of(p, offsetof(struct gw_config,
		    coap_plain));
		inifile_fail(p, "[coap] plain: '%s' is not one of loopback, "
		    "any, off", cfg->coap_plain);
		return -1;
	}
	return 0;
}

/* [alarms] severity is one of four words. */
static int
config_validate_alarms(struct inifile *p)
{
	const struct gw_config *cfg = p->cfg;
	static const char *const sev[] = { "critical", "major", "minor",
	    "warning" };
	size_t i;

	for (i = 0; i < sizeof(sev) / sizeof(sev[0]); i++)
		if (strcmp(cfg->alarm_severity, sev[i]) == 0)
			return 0;
	p->line = config_line_of(p, offsetof(struct gw_config,
	    alarm_severity));
	inifile_fail(p, "[alarms] severity: '%s' is not one of critical, "
	    "major, minor, warning", cfg->alarm_severity);
	return -1;
}

/*
 * [bootstrap]: each listen key empty or HOST:PORT; server_uri empty or a
 * coap:// or coaps:// URI; and when a bootstrap listener is on with no
 * server_uri, [coap] secure_listen must be an address devices can reach.
 */
static int
config_validate_bootstrap(struct inifile *p)
{
	const struct gw_config *cfg = p->cfg;
	struct gw_hostport hp;
	char err[160];
	size_t i;
	static const struct {
		const char	*key;
		size_t		 off;
	} listens[] = {
		{ "listen", offsetof(struct gw_config, bs_listen) },
		{ "secure_listen", offsetof(struct gw_config, bs_secure_listen) },
	};

	for (i = 0; i < sizeof(listens) / sizeof(listens[0]); i++) {
		const char *v = (const char *)cfg + listens[i].off;

		if (v[0] != '\0' &&
		    config_parse_hostport(v, &hp, err, sizeof(err)) == -1) {
			p->line = config_line_of(p, listens[i].off);
			inifile_fail(p, "[bootstrap] %s: %s", listens[i].key,
			    err);
			return -1;
		}
	}
	if (cfg->bs_server_uri[0] != '\0' &&
	    strncmp(cfg->bs_server_uri, "coap://", 7) != 0 &&
	    strncmp(cfg->bs_server_uri, "coaps://", 8) != 0) {
		p->line = config_line_of(p, offsetof(struct gw_config,
		    bs_server_uri));
		inifile_fail(p, "[bootstrap] server_uri: '%s' is not a coap:// "
		    "or coaps:// URI", cfg->bs_server_uri);
		return -1;
	}
	if ((cfg->bs_listen[0] != '\0' || cfg->bs_secure_listen[0] != '\0') &&
	    cfg->bs_server_uri[0] == '\0' &&
	    config_hostport_is_any(&cfg->coap_secure_listen)) {
		p->line = config_line_of(p, offsetof(struct gw_config,
		    coap_secure_listen));
		inifile_fail(p, "[bootstrap] server_uri is needed: [coap] "
		    "secure_listen %s is no address a device can reach",
		    cfg->coap_secure_listen.host);
		return -1;
	}
	return 0;
}

/* Puts the error err at the line of the key at off. */
static int
config_fail_at(struct inifile *p, size_t off, const char *what,
    const char *err)
{
	p->line = config_line_of(p, off);
	inifile_fail(p, "%s: %s", what, err);
	return -1;
}

/* [gateway] id and the [cloud] keys that need more than their type. */
static int
config_validate_cloud(struct inifile *p)
{
	const struct gw_config *cfg = p->cfg;
	struct cloud_reqtopic req[CLOUD_REQ_MAX];
	struct cloud_broker b;
	char err[256];

	if (cfg->gateway_id[0] != '\0' && !cloudcfg_id_ok(cfg->gateway_id))
		return config_fail_at(p, offsetof(struct gw_config,
		    gateway_id), "[gateway] id", "letters, digits, '.', '_' "
		    "and '-' only");
	if (cfg->cloud_client_id[0] != '\0' &&
	    !cloudcfg_id_ok(cfg->cloud_client_id))
		return config_fail_at(p, offsetof(struct gw_config,
		    cloud_client_id), "[cloud] client_id", "letters, digits, "
		    "'.', '_' and '-' only");
	if (cloudcfg_prefix(cfg->cloud_prefix, err, sizeof(err)) == -1)
		return config_fail_at(p, offsetof(struct gw_config,
		    cloud_prefix), "[cloud] prefix", err);
	if (strcmp(cfg->cloud_protocol, "auto") != 0 &&
	    strcmp(cfg->cloud_protocol, "5") != 0 &&
	    strcmp(cfg->cloud_protocol, "3.1.1") != 0)
		return config_fail_at(p, offsetof(struct gw_config,
		    cloud_protocol), "[cloud] protocol", "one of auto, 5, "
		    "3.1.1");
	if (cloudcfg_requests(cfg->cloud_requests, req, CLOUD_REQ_MAX, err,
	    sizeof(err)) == -1)
		return config_fail_at(p, offsetof(struct gw_config,
		    cloud_requests), "[cloud] requests", err);
	if (cloudcfg_events(cfg->cloud_events, err, sizeof(err)) == -1)
		return config_fail_at(p, offsetof(struct gw_config,
		    cloud_events), "[cloud] events", err);
	if (cfg->cloud_broker[0] == '\0')
		return 0;
	if ((cfg->cloud_cert_file[0] == '\0') !=
	    (cfg->cloud_key_file[0] == '\0')) {
		/* at the one of the two that is set */
		p->line = config_later_line(p, offsetof(struct gw_config,
		    cloud_cert_file), offsetof(struct gw_config,
		    cloud_key_file));
		inifile_fail(p, "[cloud] cert_file: cert_file and key_file "
		    "go together");
		return -1;
	}
	if ((cfg->cloud_username[0] == '\0') &&
	    cfg->cloud_password_file[0] != '\0')
		return config_fail_at(p, offsetof(struct gw_config,
		    cloud_password_file), "[cloud] password_file", "needs a "
		    "username");
	if (cloudcfg_broker(cfg->cloud_broker, &b, err, sizeof(err)) == -1)
		return config_fail_at(p, offsetof(struct gw_config,
		    cloud_broker), "[cloud] broker", err);
	if (!b.tls && !cfg->cloud_allow_plain && !cloudcfg_loopback(b.host))
		return config_fail_at(p, offsetof(struct gw_config,
		    cloud_broker), "[cloud] broker", "mqtt:// off loopback "
		    "sends events and requests in clear: use mqtts://, or set "
		    "allow_plain = 1");
	return 0;
}

static int
config_validate(struct inifile *p)
{
	const struct gw_config *cfg = p->cfg;

	if (cfg->reg_min_lifetime > cfg->reg_max_lifetime) {
		p->line = config_later_line(p, offsetof(struct gw_config,
		    reg_min_lifetime), offsetof(struct gw_config,
		    reg_max_lifetime));
		inifile_fail(p, "[registry] min_lifetime %d is above "
		    "max_lifetime %d", cfg->reg_min_lifetime,
		    cfg->reg_max_lifetime);
		return -1;
	}
	if (cfg->reg_default_lifetime < cfg->reg_min_lifetime ||
	    cfg->reg_default_lifetime > cfg->reg_max_lifetime) {
		p->line = config_later_line(p, offsetof(struct gw_config,
		    reg_default_lifetime),
		    cfg->reg_default_lifetime < cfg->reg_min_lifetime ?
		    offsetof(struct gw_config, reg_min_lifetime) :
		    offsetof(struct gw_config, reg_max_lifetime));
		inifile_fail(p, "[registry] default_lifetime %d is outside "
		    "min_lifetime..max_lifetime (%d..%d)",
		    cfg->reg_default_lifetime, cfg->reg_min_lifetime,
		    cfg->reg_max_lifetime);
		return -1;
	}
	if (config_validate_coap(p) == -1 || config_validate_alarms(p) == -1 ||
	    config_validate_cloud(p) == -1)
		return -1;
	return config_validate_bootstrap(p);
}

int
config_load(struct gw_config *cfg, const char *path, char *err, size_t errlen)
{
	struct inifile p;
	struct gw_config fresh;
	int seen[NKEYS];

	memset(&p, 0, sizeof(p));
	memset(seen, 0, sizeof(seen));
	config_defaults(&fresh);
	if (strlen(path) >= sizeof(fresh.source)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	snprintf(fresh.source, sizeof(fresh.source), "%s", path);
	p.keys = config_table;
	p.nkeys = NKEYS;
	p.stride = sizeof(config_table[0]);
	p.seen = seen;
	p.cfg = &fresh;
	p.set = config_set_key;
	/* Errors of the lines do not stop the checks across keys: every
	 * error is said at once (a file that cannot be read stops here). */
	if (inifile_parse(&p, path, err, errlen) == -1 && p.nerrors == 0)
		return -1;
	config_validate(&p);
	if (inifile_report(&p, path, err, errlen) == -1) {
		explicit_bzero(&fresh, sizeof(fresh));
		return -1;
	}
	*cfg = fresh;
	explicit_bzero(&fresh, sizeof(fresh));	/* tokens: one copy only */
	explicit_bzero(&p, sizeof(p));
	return 0;
}

int
config_keep_restart_keys(struct gw_config *fresh, const struct gw_config *old)
{
	size_t i, size;
	int n = 0;

	for (i = 0; i < NKEYS; i++) {
		const struct config_key *k = &config_table[i];

		if (!k->restart)
			continue;
		switch (k->type) {
		case CONFIG_HOSTPORT:
			size = sizeof(struct gw_hostport);
			break;
		case CONFIG_STRING:
			size = k->size;
			break;
		default:
			size = sizeof(int);
			break;
		}
		if (memcmp((char *)fresh + k->offset,
		    (const char *)old + k->offset, size) == 0)
			continue;
		log_warnx("reload: [%s] %s changes only on restart; keeping "
		    "the running value", k->section, k->key);
		memcpy((char *)fresh + k->offset, (const char *)old + k->offset,
		    size);
		n++;
	}
	return n;
}
