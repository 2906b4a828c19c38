/*
 * bsc.h: the bootstrap client of each device ([node] bootstrap) and the
 * account it keeps (acct.h). CoAP side: only the files of coap.h and
 * these include it.
 *
 *   OFF --no account, refused registration, /1/x/9--> WAIT
 *   WAIT --timer (hold-off, back-off)--> REQUEST: POST /bs?ep&pct
 *   REQUEST --2.04, or a request of the server--> SERVED
 *   SERVED: Discover, Delete, Write of a working copy (bsres.c); each
 *           request re-arms [node] bootstrap_timeout
 *   SERVED --Finish, account usable and kept--> FINISHED --timer-->
 *           session closed, account in use, registration (re)started, OFF
 *   any failure (error, no answer, DTLS, timeout, Finish refused) -->
 *           FAILED --timer--> session closed, WAIT after the back-off
 *
 * The account in use is not touched until Finish: a device that is
 * registered stays registered with it while it bootstraps again.
 * Back-off: full jitter in [backoff_min, min(backoff_max, backoff_min *
 * 2^failures)] ([register] keys), at least a 5.03's Max-Age.
 */
#ifndef OUTPOST_NODE_BSC_H
#define OUTPOST_NODE_BSC_H

#include "node/acct.h"
#include "node/coap.h"

enum bsc_state {
	BSC_OFF,
	BSC_WAIT,
	BSC_REQUEST,
	BSC_SERVED,
	BSC_FINISHED,
	BSC_FAILED,
};

struct bsc {
	struct event	*timer;
	coap_session_t	*session;	/* to the bootstrap server, or NULL */
	enum bsc_state	 state;
	int		 has;		/* acct holds a usable account */
	struct acct	 acct;		/* the account in use */
	struct acct_dm	 dm;		/* its DM server (points into acct) */
	struct acct	*work;		/* what the bootstrap server writes */
	struct reg_params params;	/* the node's, with the account's
					   lifetime and binding */
	uint32_t	 failures;	/* bootstraps failed in a row */
	uint32_t	 reg_failures;	/* registrations failed in a row */
	int64_t		 max_age_ms;	/* a 5.03's Max-Age */
	coap_mid_t	 mid;		/* of POST /bs */
	uint8_t		 token[8];
	size_t		 token_len;
};

/* Sets d up to bootstrap (d->bsc; d->reg reads d->bsc->params). */
int	bsc_init(struct node_dev *d);
/* Starts d delay_ms from now: registers with the kept account (a single
 * agent's state file), or else bootstraps after the hold-off. */
void	bsc_start(struct node_dev *d, int64_t delay_ms);
/* Stops any bootstrap under way (from a timer, not a libcoap handler). */
void	bsc_stop(struct node_dev *d);
void	bsc_free(struct node_dev *d);

/* d->bsc->params from the node's and the account's (after /config). */
void	bsc_params(struct node_dev *d);

/* link.c: d's session to its DM server from the account (local: NULL for
 * any); its peer address. */
coap_session_t *bsc_dm_session(struct node_dev *d, coap_context_t *ctx,
	    const coap_address_t *local);
const struct sockaddr_storage *bsc_dm_peer(const struct node_dev *d);
/* The registration's links with the account's /1 instances, into buf. */
const char *bsc_links(const struct node_dev *d, char *buf, size_t len);
/* Whether rcvd (an answer on s) or a nack on s was the bootstrap's own:
 * 1 when taken. */
int	bsc_response(struct node_dev *d, coap_session_t *s,
	    const coap_pdu_t *rcvd);
int	bsc_nack(struct node_dev *d, coap_session_t *s, coap_mid_t mid,
	    coap_nack_reason_t reason);
/* A registration's outcome (code: 201, 403, ..., 0: no answer): 1 when
 * the account is given up and d bootstraps again (the caller then does
 * not tell reg.c). */
int	bsc_reg_outcome(struct node_dev *d, enum reg_msg msg, int code);

/* bsres.c: the working copy the bootstrap server on s writes, when s is
 * d's bootstrap session (each request re-arms the timeout); else NULL. */
struct acct *bsc_serving(struct node_dev *d, coap_session_t *s);
/* Bootstrap-Finish on d's bootstrap session: checks and keeps the
 * working copy. NODE_OK (registration follows), or an error with err (the
 * bootstrap failed and is retried after the back-off). */
enum node_result bsc_finish(struct node_dev *d, char *err, size_t errlen);
/* Execute of /1/x/9: bootstrap again now (nothing when under way). */
void	bsc_trigger(struct node_dev *d);
/* A DM server's write changed the account in use (copy): kept, and the
 * registration told. NODE_OK, or NODE_INTERNAL with err (not kept). */
enum node_result bsc_dm_write(struct node_dev *d, const struct acct *copy,
	    char *err, size_t errlen);

/* bsres.c: the resources of the Bootstrap interface and of /0, /1 in a
 * shard (nothing without [node] bootstrap). */
int	bsres_init(struct shard *sh);

#endif /* OUTPOST_NODE_BSC_H */
