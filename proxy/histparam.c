/*
 * histparam.c: a history read's query parameters (histparam.h). Every
 * number is read digit by digit with its bound checked before it grows,
 * so no input overflows; times are computed from the civil date (no
 * timegm, no TZ).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proxy/histparam.h"

#define HP_DAY_MS	86400000LL

/* n digits of s into *out; -1 when one is not a digit. */
static int
hp_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
hp_days(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t
hp_rfc3339(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, leap, ms = 0, n;
	int64_t t;
	size_t i, len = strlen(s);

	if (len < 20 || hp_digits(s, 4, &y) == -1 || s[4] != '-' ||
	    hp_digits(s + 5, 2, &mo) == -1 || s[7] != '-' ||
	    hp_digits(s + 8, 2, &d) == -1 || (s[10] != 'T' && s[10] != 't' &&
	    s[10] != ' ') || hp_digits(s + 11, 2, &h) == -1 || s[13] != ':' ||
	    hp_digits(s + 14, 2, &mi) == -1 || s[16] != ':' ||
	    hp_digits(s + 17, 2, &sec) == -1)
		return -1;
	i = 19;
	if (s[i] == '.') {
		for (i++, n = 0; s[i] >= '0' && s[i] <= '9'; i++, n++)
			if (n < 3)
				ms = ms * 10 + (s[i] - '0');
		if (n == 0)
			return -1;
		for (; n < 3; n++)
			ms *= 10;	/* ".5" is 500 ms */
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
		;
	else if ((s[i] == '+' || s[i] == '-') && strlen(s + i) == 6 &&
	    hp_digits(s + i + 1, 2, &oh) == 0 && s[i + 3] == ':' &&
	    hp_digits(s + i + 4, 2, &om) == 0 && oh <= 23 && om <= 59)
		sign = s[i] == '+' ? 1 : -1;
	else
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 60)
		return -1;
	/* A leap second (:60) reads as the next one. */
	t = hp_days(y, mo, d) * HP_DAY_MS + (int64_t)h * 3600000 +
	    (int64_t)mi * 60000 + (int64_t)sec * 1000 + ms -
	    (int64_t)sign * (oh * 3600000LL + om * 60000LL);
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
