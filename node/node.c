/*
 * node.c: the small shared helpers of node.h: the clock of deadlines, the
 * random numbers for jitter and [fleet] drop, the settings of reg.c.
 */
#include <time.h>

#include "node/node.h"

int64_t
node_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
node_random(struct node *n)
{
	n->rng ^= n->rng >> 12;
	n->rng ^= n->rng << 25;
	n->rng ^= n->rng >> 27;
	return n->rng * 0x2545f4914f6cdd1dULL;
}

int
node_drop(struct node *n)
{
	return n->drop != 0 && (uint32_t)(node_random(n) >> 32) < n->drop;
}

void
node_params(struct reg_params *p, const struct node_config *cfg)
{
	p->lifetime = (uint32_t)cfg->lifetime;
	p->queue = cfg->queue_mode;
	p->sleep = (uint32_t)cfg->sleep;
	p->awake = (uint32_t)cfg->awake;
	p->update_percent = (uint32_t)cfg->update_percent;
	p->backoff_min = (uint32_t)cfg->backoff_min;
	p->backoff_max = (uint32_t)cfg->backoff_max;
}
