/*
 * bsmsg.h: the messages of the LwM2M Bootstrap interface (Core TS 1.1
 * 5.2.7 and 6.1) as a bootstrap server writes and reads them: the whole
 * instances of /0 (Security) and /1 (Server) it writes, in TLV (11542,
 * Appendix C) or SenML CBOR (112), and the client's answer to
 * Bootstrap-Discover (link-format).
 *
 * Pure functions: no I/O, no globals. The discover answer is peer input:
 * every length is the caller's, and hostile input gets -1 and a reason,
 * never a crash. Encoded buffers may hold a secret key: the caller wipes
 * them (explicit_bzero) before freeing.
 */
#ifndef OUTPOST_BSMSG_H
#define OUTPOST_BSMSG_H

#include <stddef.h>
#include <stdint.h>

/* /0 Security Mode (resource 2). */
#define BSMSG_MODE_PSK		0
#define BSMSG_MODE_RPK		1
#define BSMSG_MODE_CERT		2
#define BSMSG_MODE_NOSEC	3

/* A /0 instance: the DM server account the bootstrap gives a device. */
struct bsmsg_security {
	const char	*uri;		/* 0 LwM2M Server URI */
	int		 bootstrap;	/* 1 Bootstrap-Server (0) */
	int		 mode;		/* 2 Security Mode */
	const uint8_t	*identity;	/* 3 Public Key or Identity */
	size_t		 identity_len;
	const uint8_t	*server_key;	/* 4 Server Public Key */
	size_t		 server_key_len;
	const uint8_t	*secret;	/* 5 Secret Key */
	size_t		 secret_len;
	uint16_t	 ssid;		/* 10 Short Server ID */
};

/* A /1 instance. */
struct bsmsg_server {
	uint16_t	 ssid;		/* 0 Short Server ID */
	uint32_t	 lifetime;	/* 1 Lifetime */
	int		 storing;	/* 6 Notification Storing */
	const char	*binding;	/* 7 Binding */
};

/*
 * The body of a Bootstrap-Write of /0/inst or /1/inst (a whole instance)
 * in Content-Format cf: 11542 gives one object instance TLV wrapping one
 * resource TLV per resource; 112 a SenML CBOR pack with "bn" "/0/inst/"
 * and one record per resource. Returns a malloc'd buffer and its length
 * in *len, or NULL (out of memory, a field too long for its format, an
 * unknown cf).
 */
uint8_t	*bsmsg_security(const struct bsmsg_security *sec, uint16_t inst,
	    int cf, size_t *len);
uint8_t	*bsmsg_server(const struct bsmsg_server *srv, uint16_t inst, int cf,
	    size_t *len);

/* What a client's Bootstrap-Discover answer says. */
#define BSMSG_INSTANCES_MAX	64	/* /0 and /1 instances remembered */
struct bsmsg_discover {
	int		 bs_instance;	/* /0 instance of the bootstrap
					   account (no ssid), -1: none */
	size_t		 nsecurity;	/* /0 instances listed */
	size_t		 nserver;	/* /1 instances listed */
	char		 version[8];	/* </>;lwm2m=..., "" when absent */
};

/*
 * Reads a Bootstrap-Discover answer (link-format, lwm2m.h's rules):
 * "</>;lwm2m=1.1,</0/0>,</0/1>;ssid=101,</1/0>;ssid=101,</3/0>". The first
 * /0 instance without an ssid attribute is the bootstrap account; an ssid
 * must be a number 1..65535, a version digits '.' digits. Returns 0, or -1
 * with a reason in err.
 */
int	bsmsg_parse_discover(const char *body, size_t len,
	    struct bsmsg_discover *d, char *err, size_t errlen);

/* The /0 instance the DM account is written to: the lowest id that is not
 * the bootstrap account's (after Bootstrap-Delete, the others are gone). */
uint16_t bsmsg_security_instance(const struct bsmsg_discover *d);

#endif /* OUTPOST_BSMSG_H */
