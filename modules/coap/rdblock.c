/*
 * rdblock.c: a request body sent block-wise (Block1, RFC 7959) without
 * Size1: a register's, an update's, a Send's.
 *
 * libcoap 4.3.1 puts a block-wise request body together for the handler
 * only when the first block says how large the whole is (Size1, which RFC
 * 7959 leaves optional). Without it, it handed the first block to the
 * handler as if it were the whole body (a registration with part of its
 * objects), and a block it had seen already (a retransmission whose 2.31
 * was lost, or the first block of the session's next body) made it
 * dereference the body it never made: the gateway crashed. So libcoap is
 * not told of such a Block1: coap_get_block_b, which it calls through the
 * dynamic linker (Debian's build), answers "none" for a request without
 * Size1, and libcoap hands each block to the handler as a request of its
 * own, Block1 option and all. The handlers that take a body (rd.c: a
 * register or update; send.c: a Send) ask here: each block is appended to
 * the session's part, in order and of the size the first one set, up to
 * the handler's limit; a block before the last is answered 2.31 Continue,
 * the last gives the whole body to the handler. A repeat of the block
 * before (its 2.31 lost) is answered the same again.
 *
 * A part lives in a list of the server (few: one per device that is
 * sending a body block-wise at this moment), is dropped with its session, by
 * the next first block of the same session, or once older than
 * EXCHANGE_LIFETIME when a new one needs the room; RDBLOCK_MAX at once.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "modules/coap/coap.h"
#include "lwm2m/block1.h"

#define RDBLOCK_MAX		64	/* parts at once */
#define RDBLOCK_LIFETIME	247	/* s: RFC 7252 EXCHANGE_LIFETIME */

struct rd_part {
	struct rd_part		*next;
	coap_session_t		*session;	/* unreferenced: dropped with
						   it */
	int64_t			 started;	/* gw_now() */
	int			 done;		/* whole: given to the
						   handler */
	struct block1_body	 body;
};

typedef int (*coap_get_block_b_fn)(const coap_session_t *,
    const coap_pdu_t *, coap_option_num_t, coap_block_b_t *);

int	coap_get_block_b(const coap_session_t *, const coap_pdu_t *,
	    coap_option_num_t, coap_block_b_t *);

int
coap_get_block_b(const coap_session_t *s, const coap_pdu_t *pdu,
    coap_option_num_t number, coap_block_b_t *block)
{
	static coap_get_block_b_fn real;
	coap_opt_iterator_t it;

	if (real == NULL && (real = (coap_get_block_b_fn)(uintptr_t)dlsym(
	    RTLD_NEXT, "coap_get_block_b")) == NULL)
		abort();	/* no libcoap under us: cannot be */
	if (number == COAP_OPTION_BLOCK1 && pdu != NULL &&
	    coap_pdu_get_code(pdu) != 0 &&
	    COAP_RESPONSE_CLASS(coap_pdu_get_code(pdu)) == 0 &&
	    coap_check_option(pdu, COAP_OPTION_SIZE1, &it) == NULL) {
		memset(block, 0, sizeof(*block));
		return 0;	/* a request: the handler's to put together */
	}
	return real(s, pdu, number, block);
}

static void
rdblock_free(struct coap_server *cs, struct rd_part *part)
{
	struct rd_part **pp;

	for (pp = &cs->rd_parts; *pp != NULL; pp = &(*pp)->next)
		if (*pp == part) {
			*pp = part->next;
			break;
		}
	cs->rd_nparts--;
	block1_free(&part->body);
	free(part);
}

/* Drops s's part, or the one already given to a handler (s NULL). */
static void
rdblock_drop(struct coap_server *cs, coap_session_t *s)
{
	struct rd_part *part, *next;

	for (part = cs->rd_parts; part != NULL; part = next) {
		next = part->next;
		if (s == NULL ? part->done : part->session == s)
			rdblock_free(cs, part);
	}
}

void
rdblock_session_gone(coap_session_t *s)
{
	rdblock_drop(coap_gateway(coap_session_get_context(s))->coap, s);
}

/* A new part for s, room made by dropping stale ones; NULL when full. */
static struct rd_part *
rdblock_new(struct gateway *gw, coap_session_t *s)
{
	struct coap_server *cs = gw->coap;
	struct rd_part *part, *next;
	int64_t now = gw_now();

	if (cs->rd_nparts >= RDBLOCK_MAX)
		for (part = cs->rd_parts; part != NULL; part = next) {
			next = part->next;
			if (now - part->started > RDBLOCK_LIFETIME)
				rdblock_free(cs, part);
		}
	if (cs->rd_nparts >= RDBLOCK_MAX ||
	    coap_peer(s) == NULL ||	/* so that its end drops the part */
	    (part = calloc(1, sizeof(*part))) == NULL)
		return NULL;
	part->session = s;
	part->started = now;
	part->next = cs->rd_parts;
	cs->rd_parts = part;
	cs->rd_nparts++;
	return part;
}

/* Answers 2.31 Continue for block num. */
static void
rdblock_continue(struct gateway *gw, coap_pdu_t *resp, uint32_t num,
    uint8_t szx)
{
	uint8_t buf[4];

	coap_add_option(resp, COAP_OPTION_BLOCK1, coap_encode_var_safe(buf,
	    sizeof(buf), num << 4 | 1 << 3 | szx), buf);
	coap_reply(gw, resp, COAP_RESPONSE_CODE(231), NULL);
}

int
rd_block1(struct gateway *gw, coap_session_t *s, const coap_pdu_t *req,
    coap_pdu_t *resp, size_t max, const uint8_t **body, size_t *len)
{
	static const struct {
		coap_pdu_code_t	 code;
		const char	*why;
	} refusal[] = {
		[BLOCK1_ORDER] = { COAP_RESPONSE_CODE(408),
		    "a block out of order, or no first block" },
		[BLOCK1_SHORT] = { COAP_RESPONSE_CODE_BAD_REQUEST,
		    "a block before the last must be full, none larger" },
		[BLOCK1_BERT] = { COAP_RESPONSE_CODE_BAD_REQUEST,
		    "Block1 SZX 7 (BERT) is for reliable transports" },
		[BLOCK1_LARGE] = { COAP_RESPONSE_CODE_REQUEST_TOO_LARGE,
		    "body over the largest taken here" },
		[BLOCK1_NOMEM] = { COAP_RESPONSE_CODE_INTERNAL_ERROR,
		    "out of memory" },
	};
	struct coap_server *cs = gw->coap;
	struct rd_part *part;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	const uint8_t *data;
	size_t dlen;
	uint32_t num;
	unsigned szx;
	enum block1_verdict v;
	int more;

	rdblock_drop(cs, NULL);		/* the last handler is done with it */
	if ((opt = coap_check_option(req, COAP_OPTION_BLOCK1, &it)) == NULL)
		return 0;
	num = coap_opt_block_num(opt);
	more = COAP_OPT_BLOCK_MORE(opt) != 0;
	szx = COAP_OPT_BLOCK_SZX(opt);
	if (num == 0 && !more)
		return 0;		/* one block: the body as it is */
	if (!coap_get_data(req, &dlen, &data)) {
		dlen = 0;
		data = NULL;
	}
	for (part = cs->rd_parts; part != NULL; part = part->next)
		if (part->session == s)
			break;
	if (part == NULL && num == 0 &&
	    (part = rdblock_new(gw, s)) == NULL) {
		coap_reply(gw, resp, COAP_RESPONSE_CODE(503),
		    "too many block-wise bodies at once");
		return -1;
	}
	if (part == NULL) {
		coap_reply(gw, resp, refusal[BLOCK1_ORDER].code,
		    refusal[BLOCK1_ORDER].why);
		return -1;
	}
	if (num == 0)
		part->started = gw_now();
	switch ((v = block1_add(&part->body, num, more, szx, data, dlen,
	    max))) {
	case BLOCK1_CONTINUE:
	case BLOCK1_AGAIN:
		rdblock_continue(gw, resp, num, (uint8_t)szx);
		return -1;
	case BLOCK1_WHOLE:
		part->done = 1;		/* freed on the next call */
		*body = part->body.data;
		*len = part->body.len;
		return 1;
	default:
		rdblock_free(cs, part);
		coap_reply(gw, resp, refusal[v].code, refusal[v].why);
		return -1;
	}
}
