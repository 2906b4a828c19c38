/*
 * histparam.c: a history read's query parameters (histparam.h). Every
 * number is read digit by digit with its bound checked before it grows,
 * so no input overflows; times are computed from the civil date (no
 * timegm, no TZ).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "proxy/histparam.h"

#define HP_DAY_MS	86400000LL

/* An RFC 3339 time (parse.c) as ms within the API's range, or -1. */
static int64_t
hp_rfc3339(const char *s)
{
	int64_t t;

	if (parse_rfc3339(s, &t) == -1)
		return -1;
	return t >= 0 && t <= HISTPARAM_TIME_MAX ? t : -1;
}

/* Unix seconds, with up to three decimals kept: ms, or -1. */
static int64_t
hp_unix(const char *s)
{
	int64_t t = 0;
	int n = 0, frac = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (t > HISTPARAM_TIME_MAX / 1000)
			return -1;
		t = t * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, n++)
			if (n < 3)
				frac = frac * 10 + (*s - '0');
		if (n == 0)
			return -1;
		for (; n < 3; n++)
			frac *= 10;
	}
	if (*s != '\0')
		return -1;
	t = t * 1000 + frac;
	return t <= HISTPARAM_TIME_MAX ? t : -1;
}

int64_t
histparam_time(const char *s)
{
	if (s == NULL)
		return -1;
	if (strlen(s) >= 20 && s[4] == '-')
		return hp_rfc3339(s);
	return hp_unix(s);
}

/* A step: seconds with an optional unit; ms, or -1. */
static int64_t
hp_step(const char *s)
{
	int64_t v = 0, unit = 1;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > HISTORY_STEP_MAX)
			return -1;
		v = v * 10 + (*s - '0');
	}
	switch (*s) {
	case '\0':
		break;
	case 's':
		s++;
		break;
	case 'm':
		unit = 60;
		s++;
		break;
	case 'h':
		unit = 3600;
		s++;
		break;
	case 'd':
		unit = 86400;
		s++;
		break;
	default:
		return -1;
	}
	if (*s != '\0' || v > HISTORY_STEP_MAX ||
	    v * unit > HISTORY_STEP_MAX || v * unit < 1)
		return -1;
	return v * unit * 1000;
}

/* A cursor: its kind letter and ms. 0, or -1. */
static int
hp_cursor(const char *s, int64_t step_ms, struct history_query *q)
{
	int64_t t;
	char kind = s[0];

	if (step_ms > 0 ? kind != 's' : kind != 'p' && kind != 'b')
		return -1;
	if (s[1] < '0' || s[1] > '9' || strlen(s + 1) > 15)
		return -1;
	for (t = 0, s++; *s >= '0' && *s <= '9'; s++)
		t = t * 10 + (*s - '0');
	if (*s != '\0' || t > HISTPARAM_TIME_MAX)
		return -1;
	q->has_after = 1;
	q->after_ms = t;
	q->after_kind = kind == 'p' ? HISTORY_POINT : HISTORY_BUCKET;
	return 0;
}

static int
hp_fail(char *field, size_t fieldlen, const char *name, char *err,
    size_t errlen, const char *why)
{
	snprintf(field, fieldlen, "%s", name);
	snprintf(err, errlen, "%s %s", name, why);
	return -1;
}

int
histparam_parse(const char *from, const char *to, const char *step,
    const char *limit, const char *after, int64_t now_ms,
    struct history_query *q, char *field, size_t fieldlen, char *err,
    size_t errlen)
{
	static const char time_why[] = "must be an RFC 3339 time "
	    "(\"2026-12-07T22:00:00Z\", \"...00.250+01:00\") or Unix seconds, "
	    "from 1970 to 9999";
	int64_t n;

	memset(q, 0, sizeof(*q));
	q->limit = HISTORY_LIMIT_DEFAULT;
	if (to != NULL && (q->to_ms = histparam_time(to)) < 0)
		return hp_fail(field, fieldlen, "to", err, errlen, time_why);
	if (to == NULL)
		q->to_ms = now_ms + 1;	/* now included */
	if (from != NULL && (q->from_ms = histparam_time(from)) < 0)
		return hp_fail(field, fieldlen, "from", err, errlen, time_why);
	if (from == NULL) {
		q->from_ms = q->to_ms - HISTORY_WINDOW_DEFAULT * 1000LL;
		if (q->from_ms < 0)
			q->from_ms = 0;
	}
	if (q->from_ms >= q->to_ms)
		return hp_fail(field, fieldlen, "from", err, errlen,
		    "must be before to");
	if (step != NULL && (q->step_ms = hp_step(step)) < 0)
		return hp_fail(field, fieldlen, "step", err, errlen, "must be "
		    "a whole number of seconds (\"300\"), or of minutes, hours "
		    "or days (\"5m\", \"1h\", \"1d\"), at most 366 days");
	if (limit != NULL) {
		n = limit[0] >= '1' && limit[0] <= '9' && strlen(limit) <= 5 ?
		    0 : -1;
		for (; n >= 0 && *limit != '\0'; limit++)
			n = *limit >= '0' && *limit <= '9' ? n * 10 +
			    (*limit - '0') : -1;
		if (n < 1 || n > HISTORY_LIMIT_MAX) {
			snprintf(field, fieldlen, "limit");
			snprintf(err, errlen, "limit must be 1..%d",
			    HISTORY_LIMIT_MAX);
			return -1;
		}
		q->limit = (size_t)n;
	}
	if (after != NULL && hp_cursor(after, q->step_ms, q) == -1)
		return hp_fail(field, fieldlen, "after", err, errlen, "must be "
		    "the \"next\" of the page before, read with the same step");
	return 0;
}

const char *
histparam_cursor(const struct history_row *r, int64_t step_ms,
    char buf[HISTPARAM_CURSOR_LEN])
{
	snprintf(buf, HISTPARAM_CURSOR_LEN, "%c%" PRId64, step_ms > 0 ? 's' :
	    r->kind == HISTORY_POINT ? 'p' : 'b', r->t_ms);
	return buf;
}

const char *
histparam_time_str(int64_t t_ms, char buf[HISTPARAM_TIME_LEN])
{
	int64_t days = t_ms / HP_DAY_MS, ms = t_ms % HP_DAY_MS;
	int64_t z, era, doe, yoe, y, doy, mp, d, m;

	/* The civil date of a day count (H. Hinnant), t_ms >= 0. */
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, HISTPARAM_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    (int)(y % 10000), (int)m, (int)d, (int)(ms / 3600000),
	    (int)(ms / 60000 % 60), (int)(ms / 1000 % 60), (int)(ms % 1000));
	return buf;
}
