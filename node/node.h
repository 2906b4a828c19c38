/*
 * node.h: the agent's one state struct, owned by main, and its devices.
 *
 * A single agent is one device. A fleet is N virtual devices in one
 * process, each with its own UDP socket (its own CoAP client session) and
 * endpoint name, spread over shards: one libcoap context per shard, because
 * libcoap scans every session of a context on each I/O call and resources
 * belong to a context. Each shard's epoll fd is one libevent event.
 *
 * Nothing polls: the timers that exist are real deadlines (next update,
 * sleep and wake, retry backoff, observation periods while observed).
 */
#ifndef OUTPOST_NODE_NODE_H
#define OUTPOST_NODE_NODE_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "node/conn.h"
#include "node/health.h"
#include "node/nconf.h"
#include "node/object.h"
#include "node/reg.h"

struct event_base;
struct event;
struct shard;
struct coap_session_t;
struct ffw;
struct ffw_fleet;
struct bsc;

/* One device: its registration and its session to the gateway. */
struct node_dev {
	struct node		*node;
	struct shard		*shard;
	struct coap_session_t	*session;	/* NULL until the first send */
	struct event		*timer;		/* reg's one timer */
	struct reg		 reg;
	struct ffw		*fw;		/* fleetfw.c: /5/0, or NULL */
	struct obj_clock	*clock;		/* a fleet's: its /3/0/14, /3/0/15
						   once written (72 bytes), or
						   NULL: obj.clock */
	struct bsc		*bsc;		/* bsc.c: its account and
						   bootstrap, or NULL */
	struct logring		*logs;		/* a fleet's: its /20/0 lines
						   (nlog.c), or NULL */
	int32_t			 mid;		/* of the message in flight */
	uint8_t			 token[8];
	uint8_t			 token_len;
	uint8_t			 inflight;	/* 1 + enum reg_msg, 0: none */
	uint8_t			 delayed;	/* 1 + enum reg_msg, see link.c */
	uint8_t			 lost;		/* every transmission lost */
	uint8_t			 reset;		/* drop the session */
	uint8_t			 radio_off;
	uint8_t			 counted;	/* in node.registered */
	uint8_t			 stop_wait;	/* deregistration in flight */
	int			 fd;		/* the session's socket, or -1 */
	char			 ep[NCONF_EP_MAX + 1];
};

struct node_exec;
struct node_fw;
struct node_sw;

/*
 * The Firmware Update object (/5/0) of each device as the firmware side
 * keeps and acts on it: fwget.c's for a single agent (its own, obj.fw),
 * fleetfw.c's for a fleet (one per device). nfw_init sets node.fwops; the
 * CoAP resources (res.c) reach the firmware side through these only.
 */
struct node_fw_ops {
	/* d's /5/0 to read; to write or execute (NULL: out of memory). */
	const struct fw	*(*read)(const struct node_dev *d);
	struct fw	*(*get)(struct node_dev *d);
	/* The device whose /5/0 fw is; NULL for the agent's own. */
	struct node_dev	*(*dev_of)(struct node *n, const struct fw *fw);
	/* After a write of d's /5/0/1 (State Downloading): fetch that URI's
	 * manifest and image. After an execute of /5/0/2 (State Updating):
	 * install it. */
	void		 (*pull)(struct node_dev *d);
	void		 (*update)(struct node_dev *d);
};

struct node {
	struct event_base	*base;
	struct node_config	 cfg;		/* replaced whole on /config */
	const char		*ini_path;	/* NULL: defaults only */
	struct reg_params	 params;	/* from cfg, for every device */
	struct obj		 obj;		/* /3/0, /5/0, /9/0 */
	struct health		 health;
	struct conn		 conn;		/* /4/0 */
	cJSON			*overrides;	/* what /config writes kept */
	/* A single agent's exchanges with the gateway, for /3/0/11 code 7:
	 * when it last answered (or the start), and whether the latest
	 * registration or update got no answer. */
	int64_t			 gw_heard_ms;
	int			 gw_failing;

	struct sockaddr_storage	 gateway;	/* resolved at start */
	socklen_t		 gateway_len;
	int			 secure;	/* coaps: DTLS */
	uint8_t			 psk[NCONF_PSK_KEY_MAX];	/* from the config */
	size_t			 psk_len;
	/* coaps with a certificate or a raw key ([node] cert_file,
	 * key_file, ca_file, rpk): the PEM files read at start, each
	 * NUL-terminated (len counts the NUL, as libcoap wants), and the
	 * gateway's public key to expect (rpk). */
	uint8_t			*pem_cert, *pem_key, *pem_ca;
	size_t			 pem_cert_len, pem_key_len, pem_ca_len;
	uint8_t			 server_key[NCONF_SPKI_MAX];
	size_t			 server_key_len;
	/* [node] bootstrap, resolved at start (bs_len 0: none), and the
	 * factory key; the state file of a single agent's account. */
	struct sockaddr_storage	 bs_addr;
	socklen_t		 bs_len;
	int			 bs_secure;
	uint8_t			 bs_psk[NCONF_PSK_KEY_MAX];
	size_t			 bs_psk_len;
	char			 acct_path[PATH_MAX];	/* "": a fleet's */
	struct sockaddr_storage	 local;		/* [node] listen */
	socklen_t		 local_len;	/* 0: any address, free port */

	struct shard		**shards;
	size_t			 nshards;
	struct node_dev		*devs;
	size_t			 ndevs;
	size_t			 registered;	/* devices registered now */
	int			 all_registered;	/* logged once */
	size_t			 live;		/* devices not done */
	int			 stopping;
	size_t			 stop_next;	/* next device to deregister */
	size_t			 stop_inflight;
	struct event		*stop_ev;	/* deregisters in slices */
	struct event		*exit_ev;	/* the bounded wait */
	char			*links;		/* link.c: registration links */
	void			(*dev_done)(struct node_dev *d);	/* shard.c's:
						   a device's registration
						   ended (REG_NOTE_DONE) */
	struct node_dev		**resets;	/* sessions to drop, link.c */
	size_t			 nresets, resets_cap;
	uint32_t		 drop;		/* drop fraction * 2^32 */
	uint64_t		 rng;
	struct node_exec	*exec;
	struct node_fw		*fw;		/* fwget.c, or NULL */
	const struct node_fw_ops *fwops;	/* set by nfw_init */
	struct ffw_fleet	*ffw;		/* fleetfw.c, a fleet's */
	struct node_sw		*sw;		/* swget.c: /9/0, or NULL */
	/* The last execute (res.c): a retransmission of it (same session
	 * and message id, RFC 7252 4.5) gets the same answer and runs
	 * nothing again; libcoap 4.3.1 does not deduplicate requests. */
	const void		*exec_session;
	int32_t			 exec_mid;
	int			 exec_res;	/* enum node_result */
};

/* Monotonic milliseconds: the clock of every deadline. */
int64_t	node_now_ms(void);

/* A random 64-bit number (xorshift over a seed from getrandom). */
uint64_t node_random(struct node *n);

/* Whether to lose this datagram ([fleet] drop). */
int	node_drop(struct node *n);

/* The reg_params of cfg. */
void	node_params(struct reg_params *p, const struct node_config *cfg);

/* shard.c: the devices and their libcoap contexts. */
int	shard_init(struct node *n);	/* contexts, devices, timers */
void	shard_start(struct node *n);	/* first registrations */
void	shard_stop(struct node *n);	/* deregister, then end the loop */
void	shard_free(struct node *n);

/*
 * link.c: the links a registration carries (RFC 6690 link-format): the
 * LwM2M root, an instance link per object of table ("</3/0>,</5/0>"),
 * /health and, unless fleet, /config. A string the caller frees; NULL
 * when memory runs out or it is too long.
 */
char	*link_payload(const struct obj_def *const *table, int fleet);

/*
 * nlog.c: the lines of /20/0 Event Log. nlog_init makes a single agent's
 * ring and taps the log into it, or gives a fleet obj.log_of; nlog_free
 * (before shard_free) frees them all. nlog_dev logs a line about d, and
 * keeps it in d's own ring in a fleet (a single agent's ring has every
 * line it logs). nlog_now_ms: Unix time in milliseconds, the lines' clock.
 */
struct logring;
int	nlog_init(struct node *n);
void	nlog_free(struct node *n);
void	nlog_dev(struct node_dev *d, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int64_t	nlog_now_ms(void);

/* exec.c: commands run for executes, without blocking the loop. */
int	exec_init(struct node *n);
void	exec_free(struct node *n);
/* Runs cmd with /bin/sh -c unless the one for what is still running. */
void	exec_run(struct node *n, const char *what, const char *cmd);
/* The same; done gets the exit status (-1: did not run or was killed)
 * unless this returns -1 (not started). */
typedef void (*exec_done_cb)(int status, void *arg);
int	exec_run_cb(struct node *n, const char *what, const char *cmd,
	    exec_done_cb done, void *arg);

/* fwget.c: firmware announcements, block-wise download, apply ([firmware]
 * listen; a single agent only; for a fleet these call fleetfw.c's). Sets
 * node.fwops. */
int	nfw_init(struct node *n);
void	nfw_free(struct node *n);

/* swget.c: the software packages of /9/0 ([software] dir; a single agent
 * only, else nothing), and what an execute or a write of /9/0 started
 * (obj.sw.op), run after the answer. */
int	nsw_init(struct node *n);
void	nsw_free(struct node *n);
void	nsw_run(struct node *n);

/* fleetfw.c: the Firmware Update object of each fleet device and its pull
 * of an image (hashed as it comes, not kept); node.fwops of a fleet. A
 * device's /5/0 is made at its first write or execute and is its own
 * until ffw_free; before, it reads as Idle with no result. ffw_free also
 * frees each shard's fetch context (before shard_free). */
int	ffw_init(struct node *n);
void	ffw_free(struct node *n);

#endif /* OUTPOST_NODE_NODE_H */
