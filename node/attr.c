/*
 * attr.c: see attr.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/attr.h"

static const char *const attr_names[ATTR_COUNT] = {
	[ATTR_PMIN] = "pmin",
	[ATTR_PMAX] = "pmax",
	[ATTR_GT] = "gt",
	[ATTR_LT] = "lt",
	[ATTR_ST] = "st",
	[ATTR_EPMIN] = "epmin",
	[ATTR_EPMAX] = "epmax",
};

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

/*
 * A JSON-style number -?digits(.digits)?([eE][+-]?digits)? into *out,
 * finite. strtod reads a bounded, checked copy.
 */
static int
attr_number(const uint8_t *v, size_t len, double *out)
{
	char tmp[40], *end;
	size_t i = 0, d;
	double x;

	if (len == 0 || len > 32)
		return -1;
	if (v[i] == '-')
		i++;
	for (d = i; i < len && v[i] >= '0' && v[i] <= '9'; i++)
		;
	if (i == d)
		return -1;
	if (i < len && v[i] == '.') {
		for (d = ++i; i < len && v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (i == d)
			return -1;
	}
	if (i < len && (v[i] == 'e' || v[i] == 'E')) {
		if (++i < len && (v[i] == '+' || v[i] == '-'))
			i++;
		for (d = i; i < len && v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (i == d)
			return -1;
	}
	if (i != len)
		return -1;
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	x = strtod(tmp, &end);
	/* Out of range (1e999): not a threshold anyone means. */
	if (*end != '\0' || x > 1e300 || x < -1e300)
		return -1;
	*out = x;
	return 0;
}

int
attr_parse(struct attr *a, const uint8_t *opt, size_t len, char *err,
    size_t errlen)
{
	const uint8_t *eq = memchr(opt, '=', len), *v;
	size_t nlen = eq != NULL ? (size_t)(eq - opt) : len, vlen, i;
	int period = 0;
	double num = 0;

	if (memchr(opt, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in a query option");
		return -1;
	}
	for (i = 0; i < ATTR_COUNT; i++)
		if (strlen(attr_names[i]) == nlen &&
		    memcmp(opt, attr_names[i], nlen) == 0)
			break;
	if (i == ATTR_COUNT) {
		snprintf(err, errlen, "unknown query parameter '%.*s'",
		    (int)(nlen > 16 ? 16 : nlen), (const char *)opt);
		for (i = 0; err[i] != '\0'; i++)
			if ((unsigned char)err[i] < 0x20 ||
			    (unsigned char)err[i] >= 0x7f)
				err[i] = '?';
		return -1;
	}
	if ((a->set | a->clear) & ATTR_BIT(i)) {
		snprintf(err, errlen, "%s: repeated", attr_names[i]);
		return -1;
	}
	if (eq == NULL) {
		a->clear |= ATTR_BIT(i);
		return 0;
	}
	v = eq + 1;
	vlen = len - nlen - 1;
	if (ATTR_BIT(i) & ATTR_NUMERIC) {
		if (attr_number(v, vlen, &num) == -1) {
			snprintf(err, errlen, "%s: not a number",
			    attr_names[i]);
			return -1;
		}
	} else if (attr_period(v, vlen, &period) == -1) {
		snprintf(err, errlen, "%s: must be 0..%d seconds",
		    attr_names[i], ATTR_PERIOD_MAX);
		return -1;
	}
	switch (i) {
	case ATTR_PMIN:
		a->pmin = period;
		break;
	case ATTR_PMAX:
		a->pmax = period;
		break;
	case ATTR_EPMIN:
		a->epmin = period;
		break;
	case ATTR_EPMAX:
		a->epmax = period;
		break;
	case ATTR_GT:
		a->gt = num;
		break;
	case ATTR_LT:
		a->lt = num;
		break;
	default:
		a->st = num;
		break;
	}
	a->set |= ATTR_BIT(i);
	return 0;
}

int
attr_check(const struct attr *a, char *err, size_t errlen)
{
	if (ATTR_HAS(a, ATTR_PMIN) && ATTR_HAS(a, ATTR_PMAX) && a->pmax > 0 &&
	    a->pmin > a->pmax) {
		snprintf(err, errlen, "pmin %d is above pmax %d", a->pmin,
		    a->pmax);
		return -1;
	}
	if (ATTR_HAS(a, ATTR_EPMIN) && ATTR_HAS(a, ATTR_EPMAX) &&
	    a->epmax > 0 && a->epmin > a->epmax) {
		snprintf(err, errlen, "epmin %d is above epmax %d", a->epmin,
		    a->epmax);
		return -1;
	}
	if (ATTR_HAS(a, ATTR_ST) && a->st < 0) {
		snprintf(err, errlen, "st %g is negative", a->st);
		return -1;
	}
	if (ATTR_HAS(a, ATTR_LT) && ATTR_HAS(a, ATTR_GT) && a->lt >= a->gt) {
		snprintf(err, errlen, "lt %g is not below gt %g", a->lt,
		    a->gt);
		return -1;
	}
	if (ATTR_HAS(a, ATTR_LT) && ATTR_HAS(a, ATTR_GT) &&
	    ATTR_HAS(a, ATTR_ST) && a->lt + 2 * a->st >= a->gt) {
		snprintf(err, errlen, "lt + 2 st (%g) is not below gt %g",
		    a->lt + 2 * a->st, a->gt);
		return -1;
	}
	return 0;
}

int
attr_write(const struct attr *cur, const struct attr *w, int resource,
    int numeric, struct attr *out, char *err, size_t errlen)
{
	struct attr r = *cur;

	if ((w->set & ATTR_NUMERIC) && !resource) {
		snprintf(err, errlen, "gt, lt and st are attributes of a "
		    "resource, not of an object or an instance");
		return -1;
	}
	if ((w->set & ATTR_NUMERIC) && !numeric) {
		snprintf(err, errlen, "gt, lt and st need a numeric "
		    "resource");
		return -1;
	}
	r.set &= ~w->clear;
	r.set |= w->set;
	r.clear = 0;
	if (w->set & ATTR_BIT(ATTR_PMIN))
		r.pmin = w->pmin;
	if (w->set & ATTR_BIT(ATTR_PMAX))
		r.pmax = w->pmax;
	if (w->set & ATTR_BIT(ATTR_EPMIN))
		r.epmin = w->epmin;
	if (w->set & ATTR_BIT(ATTR_EPMAX))
		r.epmax = w->epmax;
	if (w->set & ATTR_BIT(ATTR_GT))
		r.gt = w->gt;
	if (w->set & ATTR_BIT(ATTR_LT))
		r.lt = w->lt;
	if (w->set & ATTR_BIT(ATTR_ST))
		r.st = w->st;
	if (attr_check(&r, err, errlen) == -1)
		return -1;
	*out = r;
	return 0;
}

void
attr_effective(struct attr *out, const struct attr *const *levels,
    size_t nlevels)
{
	const struct attr *l;
	size_t i;
	int numeric = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < nlevels; i++) {
		if ((l = levels[i]) == NULL)
			continue;
		if (ATTR_HAS(l, ATTR_PMIN) && !ATTR_HAS(out, ATTR_PMIN))
			out->pmin = l->pmin;
		if (ATTR_HAS(l, ATTR_PMAX) && !ATTR_HAS(out, ATTR_PMAX))
			out->pmax = l->pmax;
		if (ATTR_HAS(l, ATTR_EPMIN) && !ATTR_HAS(out, ATTR_EPMIN))
			out->epmin = l->epmin;
		if (ATTR_HAS(l, ATTR_EPMAX) && !ATTR_HAS(out, ATTR_EPMAX))
			out->epmax = l->epmax;
		out->set |= l->set & ATTR_PERIODS;
		if (!numeric && (l->set & ATTR_NUMERIC)) {
			numeric = 1;
			out->gt = l->gt;
			out->lt = l->lt;
			out->st = l->st;
			out->set |= l->set & ATTR_NUMERIC;
		}
	}
}

int
attr_condition(const struct attr *a, const struct attr_watch *w, double v)
{
	double d;

	if (!w->has_last || !(a->set & ATTR_NUMERIC))
		return 1;
	if (ATTR_HAS(a, ATTR_GT) && (w->last > a->gt) != (v > a->gt))
		return 1;
	if (ATTR_HAS(a, ATTR_LT) && (w->last < a->lt) != (v < a->lt))
		return 1;
	d = v > w->last ? v - w->last : w->last - v;
	return ATTR_HAS(a, ATTR_ST) && d > 0 && d >= a->st;
}

/* pmin and pmax in ms; a pmax of 0 is none (-1). */
static int64_t
attr_pmin_ms(const struct attr *a)
{
	return ATTR_HAS(a, ATTR_PMIN) ? (int64_t)a->pmin * 1000 : 0;
}

static int64_t
attr_pmax_ms(const struct attr *a)
{
	return ATTR_HAS(a, ATTR_PMAX) && a->pmax > 0 ?
	    (int64_t)a->pmax * 1000 : -1;
}

enum attr_verdict
attr_decide(const struct attr *a, struct attr_watch *w, int64_t now,
    int changed, int has_value, double v)
{
	int64_t pmax = attr_pmax_ms(a), since = now - w->last_ms;
	int meets;

	if (pmax >= 0 && since >= pmax)
		return ATTR_NOTIFY;
	if (!changed && !w->pending)
		return ATTR_QUIET;
	/* A change, or the end of pmin after one: is it worth telling?
	 * Without gt, lt or st every change is. */
	meets = !has_value || attr_condition(a, w, v);
	if (!meets) {
		w->pending = 0;
		return ATTR_QUIET;
	}
	if (since >= attr_pmin_ms(a))
		return ATTR_NOTIFY;
	w->pending = 1;
	return ATTR_WAIT;
}

void
attr_notified(struct attr_watch *w, int64_t now, int has_value, double v)
{
	w->last_ms = now;
	w->pending = 0;
	w->has_last = has_value;
	w->last = has_value ? v : 0;
}

int64_t
attr_deadline(const struct attr *a, const struct attr_watch *w)
{
	int64_t next = INT64_MAX, pmax = attr_pmax_ms(a);

	if (w->pending)
		next = w->last_ms + attr_pmin_ms(a);
	if (pmax >= 0 && w->last_ms + pmax < next)
		next = w->last_ms + pmax;
	return next;
}

int
attr_links(const struct attr *a, char *buf, size_t len)
{
	size_t used = 0;
	unsigned i;
	int n;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	for (i = 0; i < ATTR_COUNT; i++) {
		if (!(a->set & ATTR_BIT(i)))
			continue;
		switch (i) {
		case ATTR_GT:
		case ATTR_LT:
		case ATTR_ST:
			n = snprintf(buf + used, len - used, ";%s=%.15g",
			    attr_names[i], i == ATTR_GT ? a->gt :
			    i == ATTR_LT ? a->lt : a->st);
			break;
		default:
			n = snprintf(buf + used, len - used, ";%s=%d",
			    attr_names[i], i == ATTR_PMIN ? a->pmin :
			    i == ATTR_PMAX ? a->pmax : i == ATTR_EPMIN ?
			    a->epmin : a->epmax);
			break;
		}
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}
