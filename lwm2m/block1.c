/*
 * block1.c: a request body put together from its Block1 blocks. See
 * block1.h.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/block1.h"

#define BLOCK1_NUM_MAX	0xfffff		/* 20 bits (RFC 7959 2.2) */

void
block1_free(struct block1_body *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

enum block1_verdict
block1_add(struct block1_body *b, uint32_t num, int more, unsigned szx,
    const uint8_t *data, size_t dlen, size_t max)
{
	size_t size, need;
	uint8_t *grown;

	if (szx == 7)
		return BLOCK1_BERT;
	if (szx > 7 || num > BLOCK1_NUM_MAX)
		return BLOCK1_ORDER;
	size = (size_t)16 << szx;
	if (num == 0) {
		block1_free(b);
		b->szx = (uint8_t)szx;
	} else if (b->next_num == 0 || szx != b->szx) {
		return BLOCK1_ORDER;
	} else if (more && num + 1 == b->next_num) {
		return BLOCK1_AGAIN;
	} else if (num != b->next_num) {
		return BLOCK1_ORDER;
	}
	if ((more && dlen != size) || dlen > size)
		return BLOCK1_SHORT;
	need = (size_t)num * size + dlen;
	if (need > max)
		return BLOCK1_LARGE;
	if (dlen > 0) {
		if ((grown = realloc(b->data, need)) == NULL)
			return BLOCK1_NOMEM;
		memcpy(grown + b->len, data, dlen);
		b->data = grown;
		b->len = need;
	}
	b->next_num = num + 1;
	return more ? BLOCK1_CONTINUE : BLOCK1_WHOLE;
}
