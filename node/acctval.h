/*
 * acctval.h: the instances of a device's LwM2M account as plain data, /0
 * Security and /1 Server, and one typed value of a write: what acct.c
 * keeps and obj_security.c and obj_server.c give meaning to. No code.
 */
#ifndef OUTPOST_NODE_ACCTVAL_H
#define OUTPOST_NODE_ACCTVAL_H

#include <stddef.h>
#include <stdint.h>

#include "node/value.h"

#define ACCT_SEC_MAX	3	/* /0 instances: the bootstrap account and
				   two DM server accounts */
#define ACCT_SRV_MAX	2	/* /1 instances */
#define ACCT_URI_MAX	256	/* bytes of a server URI, with the NUL */
#define ACCT_ID_MAX	128	/* bytes of a PSK identity */
#define ACCT_KEY_MIN	16	/* bytes of a PSK, as node.ini takes them */
#define ACCT_KEY_MAX	64
#define ACCT_SPK_MAX	1024	/* bytes of a Server Public Key taken (and
				   not kept: PSK and NoSec have none) */
#define ACCT_BINDING_MAX 8	/* bytes of a binding, with the NUL */
#define ACCT_IID_MAX	65534	/* 65535 is no instance (LwM2M 1.1 7.2) */
#define ACCT_WRITE_MAX	4096	/* bytes of a write body */
#define ACCT_RETRY_DEFAULT 5	/* /1/x/17 Communication Retry Count's
				   default (LwM2M 1.1 Core E.2) */

/* /0/x/2 Security Mode. */
enum acct_mode {
	ACCT_MODE_PSK = 0,
	ACCT_MODE_RPK = 1,
	ACCT_MODE_CERT = 2,
	ACCT_MODE_NOSEC = 3,
	ACCT_MODE_EST = 4,
};

/* One /0 instance: a server account. */
struct acct_sec {
	uint16_t	iid;
	uint8_t		bootstrap;	/* 1: Bootstrap-Server */
	uint8_t		mode;		/* enum acct_mode */
	uint16_t	ssid;		/* Short Server ID; 0: none */
	uint16_t	id_len;
	uint16_t	key_len;
	uint32_t	hold_off;	/* Client Hold Off Time, seconds */
	uint32_t	bs_timeout;	/* Bootstrap-Server Account Timeout */
	char		uri[ACCT_URI_MAX];
	uint8_t		identity[ACCT_ID_MAX];	/* Public Key or Identity */
	uint8_t		key[ACCT_KEY_MAX];	/* Secret Key */
};

/* One /1 instance: how to register with the server of that ssid. */
struct acct_srv {
	uint16_t	iid;
	uint16_t	ssid;
	uint32_t	lifetime;	/* seconds; 0: [node] lifetime */
	uint8_t		storing;	/* Notification Storing */
	uint8_t		bs_on_failure;	/* Bootstrap on Registration Failure */
	uint8_t		retry_count;	/* Communication Retry Count; 0: 5 */
	char		binding[ACCT_BINDING_MAX];	/* "U", "UQ"; "": U */
};

/* One value of a write, typed: what SenML said, or what the resource's
 * type says TLV's bytes are. buf points into the request (not owned). */
struct acct_val {
	enum obj_type	 type;		/* STRING, INT, BOOL, OPAQUE */
	int64_t		 i;		/* INT, BOOL */
	const uint8_t	*buf;		/* STRING, OPAQUE */
	size_t		 len;
};

#endif /* OUTPOST_NODE_ACCTVAL_H */
