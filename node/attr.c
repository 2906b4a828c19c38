/*
 * attr.c: see attr.h.
 */
#include <stdio.h>
#include <string.h>

#include "node/attr.h"

/* Whether v (len bytes) is a whole decimal 0..ATTR_PERIOD_MAX. */
static int
attr_period(const uint8_t *v, size_t len, int *out)
{
	long n = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	if (n > ATTR_PERIOD_MAX)
		return -1;
	*out = (int)n;
	return 0;
}

/* Whether v is a JSON-style number: -?digits(.digits)?([eE][+-]?digits)? */
static int
attr_number(const uint8_t *v, size_t len)
{
	size_t i = 0, d;

	if (len == 0 || len > 32)
		return 0;
	if (v[i] == '-')
		i++;
	for (d = i; i < len && v[i] >= '0' && v[i] <= '9'; i++)
		;
	if (i == d)
		return 0;
	if (i < len && v[i] == '.') {
		for (d = ++i; i < len && v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < len && (v[i] == 'e' || v[i] == 'E')) {
		if (++i < len && (v[i] == '+' || v[i] == '-'))
			i++;
		for (d = i; i < len && v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == len;
}

int
attr_parse(struct attr *a, const uint8_t *opt, size_t len, char *err,
    size_t errlen)
{
	static const char *const names[] = {
		"pmin", "pmax", "gt", "lt", "st", "epmin", "epmax"
	};
	const uint8_t *eq = memchr(opt, '=', len), *v;
	size_t nlen = eq != NULL ? (size_t)(eq - opt) : len, vlen, i;
	int period;

	if (memchr(opt, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in a query option");
		return -1;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == nlen && memcmp(opt, names[i], nlen) ==
		    0)
			break;
	if (i == sizeof(names) / sizeof(names[0])) {
		snprintf(err, errlen, "unknown query parameter '%.*s'",
		    (int)(nlen > 16 ? 16 : nlen), (const char *)opt);
		for (i = 0; err[i] != '\0'; i++)
			if ((unsigned char)err[i] < 0x20 ||
			    (unsigned char)err[i] >= 0x7f)
				err[i] = '?';
		return -1;
	}
	if (eq == NULL) {
		snprintf(err, errlen, "%s: value missing", names[i]);
		return -1;
	}
	v = eq + 1;
	vlen = len - nlen - 1;
	if (i >= 2) {
		if (i <= 4 ? !attr_number(v, vlen) :
		    attr_period(v, vlen, &period) == -1) {
			snprintf(err, errlen, "%s: not a number", names[i]);
			return -1;
		}
		return 0;
	}
	if ((i == 0 && a->has_pmin) || (i == 1 && a->has_pmax)) {
		snprintf(err, errlen, "%s: repeated", names[i]);
		return -1;
	}
	if (attr_period(v, vlen, &period) == -1) {
		snprintf(err, errlen, "%s: must be 0..%d seconds", names[i],
		    ATTR_PERIOD_MAX);
		return -1;
	}
	if (i == 0) {
		a->pmin = period;
		a->has_pmin = 1;
	} else {
		a->pmax = period;
		a->has_pmax = 1;
	}
	return 0;
}

int
attr_check(const struct attr *a, char *err, size_t errlen)
{
	if (a->has_pmin && a->has_pmax && a->pmax > 0 && a->pmin > a->pmax) {
		snprintf(err, errlen, "pmin %d is above pmax %d", a->pmin,
		    a->pmax);
		return -1;
	}
	return 0;
}
