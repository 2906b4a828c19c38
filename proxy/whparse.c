/*
 * whparse.c: what the webhook reads from its receivers, apart from
 * proxy/webhook.c so that the unit tests and the fuzzer take it alone.
 */
#include <string.h>

#include "proxy/whparse.h"

int
webhook_status_line(const char *s, size_t len)
{
	size_t i;

	if (len < 12 || memcmp(s, "HTTP/1.", 7) != 0 ||
	    (s[7] != '0' && s[7] != '1') || s[8] != ' ' ||
	    (len > 12 && s[12] != ' '))
		return -1;
	for (i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (s[9] == '0')
		return -1;
	return (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
}
