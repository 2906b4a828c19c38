/*
 * gateway.c: what gateway.h promises every layer: the time format of the
 * API, memory for secrets, and the histograms of /metrics (each layer
 * observes into them; proxy/metrics.c shows them). main() and the module
 * table are in main.c, at the top of the house.
 */
#include <sys/mman.h>

#include <string.h>
#include <time.h>

#include "gateway.h"

void *
gw_secret_alloc(size_t len)
{
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, len, MADV_DONTDUMP);	/* best effort */
	return p;				/* zeroed by the kernel */
}

void
gw_secret_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	munmap(p, len);
}

const char *
gw_time_str(int64_t t, char buf[GW_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, GW_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static const double metrics_proxy_le[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
};
const struct metrics_buckets metrics_proxy_buckets = {
	metrics_proxy_le, sizeof(metrics_proxy_le) / sizeof(metrics_proxy_le[0])
};

static const double metrics_op_le[] = {
	1, 5, 15, 60, 300, 900, 3600, 14400, 86400, 604800
};
const struct metrics_buckets metrics_op_buckets = {
	metrics_op_le, sizeof(metrics_op_le) / sizeof(metrics_op_le[0])
};

void
metrics_observe(struct metrics_hist *h, const struct metrics_buckets *b,
    double v)
{
	size_t i;

	for (i = 0; i < b->n && v > b->le[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum += v;
}
