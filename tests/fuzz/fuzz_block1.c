// fuzz-sources: lwm2m/block1.c
/*
 * fuzz_block1.c: libFuzzer target for lwm2m/block1.c. The input is a
 * sequence of blocks, each a 4-byte header (block number, its more bit and
 * SZX, as a Block1 option packs them) and up to 16 << SZX bytes whose
 * count is the header's next byte; the limit is the first two bytes. Every
 * block goes to one body, as a device's blocks go to its session's.
 * Besides ASan and UBSan, it checks block1.h's promises and aborts on a
 * broken one: the body is never longer than the limit, a whole body is
 * exactly the bytes of its blocks in order, and a spent body is freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/block1.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct block1_body b = { 0 };
	uint8_t *shadow = NULL;		/* what the body should hold */
	size_t max, off = 2, n, shadow_len = 0;
	uint32_t opt, num;
	unsigned szx;
	int more;
	enum block1_verdict v;

	if (size < 2)
		return 0;
	max = (size_t)data[0] << 8 | data[1];
	if ((shadow = malloc(65536 + 1024)) == NULL)
		return 0;
	while (off + 4 <= size) {
		opt = (uint32_t)data[off] << 16 | (uint32_t)data[off + 1] << 8 |
		    data[off + 2];
		n = data[off + 3];
		off += 4;
		num = opt >> 4;
		more = (opt & 8) != 0;
		szx = opt & 7;
		if (n > size - off)
			n = size - off;
		if (num == 0)
			shadow_len = 0;
		v = block1_add(&b, num, more, szx, data + off, n, max);
		if (b.len > max)
			abort();
		switch (v) {
		case BLOCK1_CONTINUE:
		case BLOCK1_WHOLE:
			if (num != 0 || shadow_len == 0) {
				if (b.len != shadow_len + n)
					abort();
				memcpy(shadow + shadow_len, data + off, n);
				shadow_len += n;
			}
			if (b.len > 0 && memcmp(b.data, shadow, b.len) != 0)
				abort();
			if (v == BLOCK1_WHOLE) {
				block1_free(&b);
				shadow_len = 0;
			}
			break;
		case BLOCK1_AGAIN:
			if (b.len != shadow_len)
				abort();
			break;
		default:
			block1_free(&b);
			shadow_len = 0;
			break;
		}
		off += n;
	}
	block1_free(&b);
	free(shadow);
	return 0;
}
