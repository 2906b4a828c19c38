/*
 * headscan.c: see headscan.h. state: 0 inside a line, 1 just after its LF,
 * 2 after LF CR.
 */
#include <string.h>

#include "proxy/headscan.h"

int
headscan(int *state, const unsigned char *s, size_t len)
{
	const unsigned char *e = s + len, *lf;

	while (s < e) {
		if (*state == 0) {
			if ((lf = memchr(s, '\n', (size_t)(e - s))) == NULL)
				return 0;
			s = lf + 1;
			*state = 1;
		} else if (*s == '\n') {
			return 1;
		} else if (*s == '\r' && *state == 1) {
			*state = 2;
			s++;
		} else {
			*state = 0;
			s++;
		}
	}
	return 0;
}
