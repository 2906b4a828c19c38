/*
 * block1.h: a request body put together from its Block1 blocks (RFC 7959
 * section 2.5), one block at a time, as they come: in order, of the size
 * the first one set, up to a limit. No I/O, no CoAP library: the caller
 * reads the option and answers with what block1_add says.
 */
#ifndef OUTPOST_BLOCK1_H
#define OUTPOST_BLOCK1_H

#include <stddef.h>
#include <stdint.h>

struct block1_body {
	uint8_t		*data;		/* malloc'd; block1_free */
	size_t		 len;
	uint32_t	 next_num;	/* the block expected; 0: none yet */
	uint8_t		 szx;		/* of the first block */
};

enum block1_verdict {
	BLOCK1_CONTINUE,	/* kept: answer 2.31 with this Block1 */
	BLOCK1_AGAIN,		/* the block before once more (its 2.31 was
				   lost): answer 2.31 again, nothing kept */
	BLOCK1_WHOLE,		/* the last: data and len are the body */
	BLOCK1_ORDER,		/* out of order, or no first block: 4.08 */
	BLOCK1_SHORT,		/* a block before the last not full: 4.00 */
	BLOCK1_BERT,		/* SZX 7, for reliable transports: 4.00 */
	BLOCK1_LARGE,		/* past max: 4.13 */
	BLOCK1_NOMEM		/* 5.00 */
};

/*
 * Adds block num (more: not the last; szx 0..7) of dlen bytes to b. Block
 * 0 starts the body again, whatever b held. After any verdict but
 * CONTINUE and AGAIN, b is spent: block1_free it (WHOLE: once its data is
 * used).
 */
enum block1_verdict block1_add(struct block1_body *b, uint32_t num, int more,
		    unsigned szx, const uint8_t *data, size_t dlen, size_t max);
void		 block1_free(struct block1_body *b);

#endif
