/*
 * gateway.c: what gateway.h promises every layer: the time format of the
 * API. main() and the module table are in main.c, at the top of the house.
 */
#include <time.h>

#include "gateway.h"

const char *
gw_time_str(int64_t t, char buf[GW_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, GW_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}
