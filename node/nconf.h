/*
 * nconf.h: node.ini, read through a table of keys, and the command line
 * options that override it.
 *
 * Every key has a default, a type and, for numbers, a range. nconf_load
 * starts from the defaults and applies the file; an unknown section or key,
 * a bad value or a syntax error fails the whole load with one message that
 * names the file and line. The keys marked NCONF_RUNTIME are also the schema
 * of the /config resource (rconf.c): one table, one set of checks.
 *
 * A struct node_config is a plain value without pointers: a /config write
 * validates into a copy and swaps it in whole.
 */
#ifndef OUTPOST_NODE_NCONF_H
#define OUTPOST_NODE_NCONF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NCONF_EP_MAX		63	/* as the gateway accepts */
#define NCONF_HOST_MAX		64
#define NCONF_URI_MAX		256
#define NCONF_TEXT_MAX		64
#define NCONF_CMD_MAX		256
#define NCONF_PSK_ID_MAX	128	/* bytes of a PSK identity */
#define NCONF_PSK_KEY_MIN	16	/* bytes of a PSK, as the gateway takes */
#define NCONF_PSK_KEY_MAX	64
#define NCONF_SPKI_MAX		600	/* bytes of a DER public key */
#define NCONF_DTLS_FLEET_MAX	900	/* DTLS sessions' sockets stay below
					   1024, as select() needs */

struct node_config {
	char	source[PATH_MAX];	/* file it was read from, "" if none */

	/* [node] */
	int	log_level;		/* enum log_level */
	char	gateway[NCONF_URI_MAX];	/* coap[s]://HOST:PORT */
	char	endpoint[NCONF_EP_MAX + 1];	/* "" until defaulted */
	char	psk_identity[NCONF_PSK_ID_MAX + 1];	/* "": the endpoint */
	char	psk_key[2 * NCONF_PSK_KEY_MAX + 1];	/* hex, or "" */
	char	psk_key_file[PATH_MAX];	/* a file of the hex key, or "" */
	char	cert_file[PATH_MAX];	/* X.509: PEM certificate, or "" */
	char	key_file[PATH_MAX];	/* X.509 or RPK: PEM private key */
	char	ca_file[PATH_MAX];	/* X.509: PEM CA of the gateway */
	char	server_cn[NCONF_TEXT_MAX];	/* X.509: the gateway's CN */
	int	rpk;			/* 1: raw public key, key_file's */
	char	server_public_key[PATH_MAX];	/* RPK: hex, or a DER file */
	int	lifetime;		/* seconds */
	int	queue_mode;		/* binding UQ */
	int	sleep;			/* seconds, queue mode */
	int	awake;			/* seconds, queue mode */
	char	listen[NCONF_HOST_MAX + 8];	/* HOST:PORT or "" */
	char	config_path[PATH_MAX];	/* where /config writes are kept */
	char	bootstrap[NCONF_URI_MAX];	/* coap[s]://HOST:PORT or "" */
	char	bs_psk_identity[NCONF_PSK_ID_MAX + 1];	/* "": endpoint */
	char	bs_psk_key[2 * NCONF_PSK_KEY_MAX + 1];	/* hex, or "" */
	char	bs_psk_key_file[PATH_MAX];
	int	bs_timeout;		/* seconds without a request */
	int	bs_hold_off;		/* seconds */
	char	state_dir[PATH_MAX];	/* the kept account */
	int	log_ring;		/* bytes of /20/0's lines, 0: none */

	/* [register] */
	int	update_percent;		/* of the lifetime */
	int	backoff_min;		/* seconds */
	int	backoff_max;
	int	deregister_wait_ms;

	/* [device] */
	char	manufacturer[NCONF_TEXT_MAX];
	char	model[NCONF_TEXT_MAX];
	char	serial[NCONF_TEXT_MAX];	/* "" : the endpoint name */
	char	firmware_version[NCONF_TEXT_MAX];
	char	device_type[NCONF_TEXT_MAX];
	int	battery;		/* 0..100, -1: from /sys */
	char	reboot_command[NCONF_CMD_MAX];
	char	factory_reset_command[NCONF_CMD_MAX];

	/* [health] */
	char	disk_path[PATH_MAX];
	int	sample;			/* seconds between samples, observed */
	int	pmax;			/* default longest silence, seconds */
	double	cpu_pct_delta;
	int	mem_free_kb_delta;
	int	disk_free_kb_delta;
	double	load1_delta;
	double	temp_c_delta;

	/* [firmware] */
	char	fw_listen[NCONF_HOST_MAX + 8];	/* HOST:PORT or "": off */
	char	fw_group4[NCONF_HOST_MAX];
	char	fw_group6[NCONF_HOST_MAX];
	char	fw_interface[32];
	char	fw_vendor[NCONF_TEXT_MAX + 1];
	char	fw_class[NCONF_TEXT_MAX + 1];
	char	fw_trusted_keys[1024];
	char	fw_dir[PATH_MAX];
	char	fw_apply_command[NCONF_CMD_MAX];
	char	fw_health_command[NCONF_CMD_MAX];
	char	fw_revert_command[NCONF_CMD_MAX];
	int	fw_reboot;		/* reboot after applying */
	int	fw_leisure;		/* seconds */
	int	fw_block_size;		/* bytes */

	/* [software]: object 9, a single agent's */
	char	sw_dir[PATH_MAX];	/* "": no /9 */
	char	sw_install_cmd[NCONF_CMD_MAX];
	char	sw_uninstall_cmd[NCONF_CMD_MAX];
	char	sw_activate_cmd[NCONF_CMD_MAX];
	char	sw_deactivate_cmd[NCONF_CMD_MAX];

	/* [fleet] */
	int	fleet;			/* devices; 0: a single agent */
	char	prefix[48];	/* endpoint names prefix<i> */
	double	drop;			/* fraction of datagrams lost */
	int	spread;			/* seconds; -1: min(N/500, 30) */
	int	shard;			/* devices per libcoap context */
	int	fleet_log_ring;		/* bytes of a device's /20/0 lines */

	/* [connectivity] */
	int	cellular_bearer;	/* /4/0/0 of a cellular interface */

	/* [errors]: /3/0/11 Error Code thresholds, 0: never */
	int	err_mem_free_kb;	/* 5, out of memory, below */
	int	err_disk_free_kb;	/* 16, disk nearly full, below */
	int	err_battery;		/* 1, low battery, below percent */
	int	err_gateway_silence;	/* 7, IP connectivity, seconds */
};

enum nconf_type {
	NCONF_INT,
	NCONF_DOUBLE,
	NCONF_STRING,
	NCONF_LOGLEVEL,		/* error, warning, info, debug */
	NCONF_BINDING,		/* U or UQ, into an int (1 for UQ) */
	NCONF_GATEWAY,		/* coap[s]://HOST[:PORT] */
	NCONF_PSKKEY,		/* NCONF_PSK_KEY_MIN..MAX bytes in hex, or "" */
	NCONF_HOSTPORT,		/* HOST:PORT with a numeric host, or "" */
	NCONF_EPNAME,		/* endpoint characters, or "" */
	NCONF_HEXFILE,		/* bytes in hex, a path (with a /), or "" */
};

#define NCONF_RUNTIME	0x01	/* part of /config, writable at run time */
#define NCONF_EMPTY	0x02	/* "" is a valid value */

/* One row of the key table. */
struct nconf_key {
	const char	*section;
	const char	*key;
	enum nconf_type	 type;
	size_t		 offset;	/* into struct node_config */
	size_t		 size;		/* of a string field */
	double		 min, max;	/* numbers */
	const char	*def;		/* default, as written in the file */
	const char	*help;		/* one line for node.ini.example */
	int		 flags;
};

/* The key table, in the order node.ini.example lists it. */
const struct nconf_key *nconf_keys(size_t *count);

/* The row of section.key; NULL when there is none. */
const struct nconf_key *nconf_find(const char *section, const char *key);

/* Fills cfg with every default. Never fails: the defaults are valid. */
void	nconf_defaults(struct node_config *cfg);

/*
 * Reads path into cfg (defaults first). Returns 0, or -1 with a message in
 * err such as "node.ini:12: [node] lifetime: 0 is below the minimum 1".
 * cfg is only written on success.
 */
int	nconf_load(struct node_config *cfg, const char *path, char *err,
	    size_t errlen);

/*
 * Sets one key from its text, with the checks of the file. Returns 0 or -1
 * with a reason in err (without the key's name). cfg is only written on
 * success.
 */
int	nconf_set(struct node_config *cfg, const struct nconf_key *k,
	    const char *value, char *err, size_t errlen);

/* Formats the value of k in cfg as node.ini would hold it. */
const char *nconf_get(const struct node_config *cfg, const struct nconf_key *k,
	    char *buf, size_t len);

/*
 * Checks what one key cannot: relations between keys. Returns 0, or -1 with
 * err naming the keys.
 */
int	nconf_validate(const struct node_config *cfg, char *err, size_t errlen);

/* Whether cfg names a certificate or a raw key for DTLS (not a PSK). */
int	nconf_pki(const struct node_config *cfg);

/*
 * A PSK in hex (white space around it allowed, as a key file holds it)
 * into key[NCONF_PSK_KEY_MAX]. Returns its length in bytes, or -1 when it
 * is not NCONF_PSK_KEY_MIN..NCONF_PSK_KEY_MAX bytes of hex.
 */
int	nconf_psk_key(const char *hex, size_t len, uint8_t *key);

/* Writes node.ini.example: every key with its help and default. */
void	nconf_print_example(FILE *fp);

#endif /* OUTPOST_NODE_NCONF_H */
