// fuzz-sources: node/attr.c
/*
 * fuzz_node_attr.c: libFuzzer target for the notification attributes a
 * server sends (node/attr.c): the input is a query string split at '&',
 * each part one Uri-Query option. Besides ASan and UBSan, it checks the
 * promises of attr.h and aborts on a broken one: a refused option leaves
 * the attributes untouched; what attr_write accepts keeps the rules of
 * attr_check; the decision never notifies before pmin unless pmax has
 * passed; Discover's parameters fit or are refused, never cut.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/attr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attr a, before, out, cur;
	struct attr_watch w;
	const uint8_t *p = data, *end = data + size, *amp;
	char err[160], links[512];
	int64_t now;

	memset(&a, 0, sizeof(a));
	memset(&cur, 0, sizeof(cur));
	while (p <= end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		before = a;
		if (attr_parse(&a, p, (size_t)(amp - p), err, sizeof(err)) ==
		    -1 && memcmp(&a, &before, sizeof(a)) != 0)
			abort();
		p = amp + 1;
	}
	if (attr_write(&cur, &a, 1, 1, &out, err, sizeof(err)) == 0) {
		if (attr_check(&out, err, sizeof(err)) == -1 || out.clear != 0)
			abort();
		memset(&w, 0, sizeof(w));
		attr_notified(&w, 1000, 1, 0);
		for (now = 1000; now < 1000 + 3 * 86400000LL;
		    now += 1 + (now % 7919) * 37) {
			if (attr_decide(&out, &w, now, 1, 1,
			    (double)(now % 200) - 100) == ATTR_NOTIFY) {
				if (ATTR_HAS(&out, ATTR_PMIN) &&
				    now - w.last_ms < (int64_t)out.pmin * 1000 &&
				    !(ATTR_HAS(&out, ATTR_PMAX) && out.pmax > 0))
					abort();
				attr_notified(&w, now, 1,
				    (double)(now % 200) - 100);
			}
		}
		if (attr_links(&out, links, sizeof(links)) < 0)
			abort();
	}
	return 0;
}
