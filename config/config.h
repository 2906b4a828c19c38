/*
 * config.h: gateway.ini, read through a table of keys.
 *
 * Every key has a default, a type and, for numbers, a range. config_load
 * starts from the defaults and applies the file; any unknown section or key,
 * bad value or syntax error fails the whole load with one message that names
 * the file and line. A struct gw_config is a plain value: no pointers, so a
 * reload can parse into a fresh one and swap it in whole.
 */
#ifndef OUTPOST_CONFIG_H
#define OUTPOST_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>

#define CONFIG_HOST_MAX	64
#define CONFIG_TOKEN_MAX	128	/* longest API token */
#define CONFIG_ID_MAX	64	/* longest [gateway] id */

/* A numeric listen address: "127.0.0.1:5683", "[::1]:8080", "0.0.0.0:5683". */
struct gw_hostport {
	char		host[CONFIG_HOST_MAX];	/* literal, without brackets */
	uint16_t	port;
};

struct gw_config {
	char			source[PATH_MAX];	/* file it was read from */
	int			log_level;		/* enum log_level */
	char			gateway_id[CONFIG_ID_MAX + 1];	/* "" = host */

	struct gw_hostport	http_listen;
	int			http_max_body;		/* bytes */
	int			http_max_header_bytes;	/* line and headers */
	int			http_timeout;		/* seconds */
	int			http_header_timeout;	/* seconds */
	int			http_max_connections;
	int			http_max_connections_per_addr;
	char			http_tls_listen[CONFIG_HOST_MAX + 16];	/* "" = off */
	char			http_tls_cert[PATH_MAX];
	char			http_tls_key[PATH_MAX];
	char			http_tls_client_ca[PATH_MAX];	/* "" = none */
	int			http_plain_nonloopback;	/* 0/1 */

	struct gw_hostport	coap_listen;
	int			coap_max_idle_sessions;
	int			coap_session_timeout;
	int			coap_rcvbuf;		/* bytes; 0: system's */
	int			coap_max_links;		/* bytes of link-format */
	struct gw_hostport	coap_secure_listen;	/* DTLS */
	char			coap_plain[16];		/* loopback, any, off */
	char			coap_ca_file[PATH_MAX];	/* "" = no X.509 */
	char			coap_cert_file[PATH_MAX];
	char			coap_key_file[PATH_MAX];	/* "" = PSK only */
	int			coap_rpk;		/* 0/1 */

	int			reg_awake_window;	/* seconds */
	int			reg_default_lifetime;	/* seconds */
	int			reg_min_lifetime;
	int			reg_max_lifetime;
	int			reg_max_devices;
	int			reg_sweep_slice;	/* devices per loop turn */

	int			proxy_nstart;		/* outstanding per device */
	int			proxy_timeout;		/* seconds */
	int			proxy_nat_window;	/* seconds; 0: no NAT */
	int			proxy_collapse;		/* share identical GETs */

	int			queue_max_per_device;
	int			queue_ttl;		/* seconds */
	int			queue_max_attempts;

	char			webhook_url[512];	/* "" = off */
	char			webhook_ca_file[PATH_MAX];	/* "" = system */
	int			webhook_timeout;	/* seconds */
	int			webhook_retry_max;	/* seconds */
	int			webhook_max_outbox;

	char			cloud_broker[512];	/* "" = off */
	int			cloud_allow_plain;	/* 0/1 */
	char			cloud_client_id[CONFIG_ID_MAX + 1];
	char			cloud_ca_file[PATH_MAX];	/* "" = system */
	char			cloud_cert_file[PATH_MAX];
	char			cloud_key_file[PATH_MAX];
	char			cloud_username[128];
	char			cloud_password_file[PATH_MAX];
	int			cloud_keepalive;	/* seconds */
	char			cloud_prefix[128];
	char			cloud_protocol[8];	/* auto, 5, 3.1.1 */
	char			cloud_requests[512];	/* NAME:ROLE, ... */
	char			cloud_events[512];	/* types; "" = all */
	int			cloud_max_outbox;	/* events */
	int			cloud_max_outbox_kb;
	int			cloud_retry_max;	/* seconds */
	int			cloud_max_requests;	/* at once */

	int			cache_max_entries;
	int			cache_max_bytes;
	int			cache_max_observations;
	int			cache_max_observations_per_device;

	int			events_ring;		/* events kept */
	int			events_client_buffer;	/* bytes */
	int			events_keepalive;	/* seconds */

	char			auth_token_file[PATH_MAX];	/* "" = none */
	char			auth_admin_token[CONFIG_TOKEN_MAX + 1];
	char			auth_operate_token[CONFIG_TOKEN_MAX + 1];
	char			auth_read_token[CONFIG_TOKEN_MAX + 1];
	int			auth_open;	/* no tokens, on purpose */
	int			auth_token_rate;	/* per second; 0: off */
	int			auth_token_burst;
	int			auth_addr_rate;		/* per second; 0: off */
	int			auth_addr_burst;

	char			fw_trusted_keys[1024];	/* manifest.h keyring */
	int			fw_no_trusted_keys;	/* none, on purpose */
	int			fw_max_store_mb;
	int			fw_block_size;		/* bytes, power of 2 */
	char			fw_group4[CONFIG_HOST_MAX];
	char			fw_group6[CONFIG_HOST_MAX];
	int			fw_port;
	char			fw_interface[32];	/* "" = default */
	int			fw_hops;
	int			fw_repeat;
	int			fw_interval_ms;

	int			campaign_group_size;	/* 0: one group */
	int			campaign_max_concurrent;
	int			campaign_failure_percent;
	int			campaign_poll_s;
	int			campaign_announce_wait_s;
	char			campaign_fetch_uri[256];
	char			campaign_fetch_uri_secure[256];
	int			job_max_concurrent;
	int			job_timeout_s;
	int			job_retries;
	int			job_backoff_s;
	int			job_failure_percent;
	int			job_overall_failure_percent;
	int			job_recheck_s;
	int			job_poll_s;
	int			alarm_silence_s;	/* 0: no ini rule */
	int			alarm_expired;
	int			alarm_failures;
	char			alarm_severity[16];	/* of the ini rules */
	int			alarm_sweep_s;
	int			alarm_sweep_slice;
	int			alarm_max_rules;
	int			alarm_keep_cleared;
	int			alarm_push;

	int			history_enable;		/* 0/1 */
	char			history_paths[256];	/* kept: patterns */
	int			history_raw_age_s;
	int			history_bucket_s;
	int			history_max_age_s;
	int			history_max_kb;
	int			history_max_series;
	int			history_sweep_s;

	char			lwm2m_models_dir[PATH_MAX];	/* "" = none */
	char			bs_listen[CONFIG_HOST_MAX + 16];	/* "" = off */
	char			bs_secure_listen[CONFIG_HOST_MAX + 16];	/* "" = off */
	char			bs_server_uri[256];	/* "" = from [coap] */
	int			bs_lifetime;		/* seconds */
	int			bs_short_server_id;
	int			bs_timeout;		/* seconds per answer */
	int			bs_max_concurrent;

	char			store_path[PATH_MAX];
	int			store_map_size_mb;
};

enum config_type {
	CONFIG_INT,
	CONFIG_STRING,
	CONFIG_HOSTPORT,
	CONFIG_LOGLEVEL,
};

/* One row of the key table. */
struct config_key {
	const char		*section;
	const char		*key;
	enum config_type	 type;
	size_t			 offset;	/* into struct gw_config */
	size_t			 size;		/* for CONFIG_STRING */
	long			 min, max;	/* for CONFIG_INT */
	const char		*def;		/* default, as written in the file */
	const char		*help;		/* one line for gateway.ini.example */
	int			 restart;	/* a change needs a restart */
};

/* The key table, in the order gateway.ini.example lists it. */
const struct config_key	*config_keys(size_t *count);

/* Fills cfg with every default. Never fails: the defaults are valid. */
void	config_defaults(struct gw_config *cfg);

/*
 * Reads path into cfg (defaults first). Returns 0, or -1 with a message in
 * err such as "gateway.ini:12: [registry] awake_window: 0 is below the
 * minimum 1". cfg is only written on success.
 */
int	config_load(struct gw_config *cfg, const char *path, char *err,
	    size_t errlen);

/* Parses "HOST:PORT" with a numeric host. Returns 0 or -1 with err. */
int	config_parse_hostport(const char *s, struct gw_hostport *hp, char *err,
	    size_t errlen);

/* Whether hp is a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104):
 * only those may serve plain HTTP unless the ini allows it. */
int	config_hostport_is_loopback(const struct gw_hostport *hp);

/* Whether hp is the wildcard address (0.0.0.0, ::): no peer can be told
 * to send there. */
int	config_hostport_is_any(const struct gw_hostport *hp);

/* Formats hp as "HOST:PORT" or "[HOST]:PORT" into buf. */
const char *config_hostport_str(const struct gw_hostport *hp, char *buf,
	    size_t len);

/*
 * Carries the keys marked restart over from old into fresh, with a warning
 * for each that the file changed: a reload cannot rebind sockets or move the
 * store. Returns the number of such keys.
 */
int	config_keep_restart_keys(struct gw_config *fresh,
	    const struct gw_config *old);

#endif /* OUTPOST_CONFIG_H */
