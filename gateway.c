/*
 * gateway.c: what gateway.h promises every layer: the time format of the
 * API, and memory for secrets. main() and the module table are in main.c, at the top of the house.
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
