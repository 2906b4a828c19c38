/*
 * parse.c: see parse.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "parse.h"

int
parse_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int
parse_json_rest_empty(const char *p, const char *end)
{
	for (; p != NULL && p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return p != NULL;
}

/* The known members, for a refusal: "ep, psk_identity, ...". */
static void
parse_json_known(const char *const known[], size_t nknown, char *out,
    size_t outlen)
{
	size_t i, n = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < nknown && n < outlen; i++) {
		w = snprintf(out + n, outlen - n, "%s%s", i > 0 ? ", " : "",
		    known[i]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

struct cJSON *
parse_json_object(const char *body, size_t len, size_t max,
    const char *const known[], size_t nknown, unsigned *seen, char *err,
    size_t errlen)
{
	const char *end = NULL;
	char list[256];
	cJSON *doc, *m;
	size_t i;

	*seen = 0;
	if (len > max) {
		parse_error(err, errlen, "body over %zu bytes", max);
		return NULL;
	}
	if (memmem(body, len, "\\u0000", 6) != NULL) {
		parse_error(err, errlen, "strings must not hold NUL");
		return NULL;
	}
	if ((doc = cJSON_ParseWithLengthOpts(body, len, &end, 0)) == NULL ||
	    !cJSON_IsObject(doc) || !parse_json_rest_empty(end, body + len)) {
		parse_error(err, errlen, "body must be a JSON object");
		goto fail;
	}
	cJSON_ArrayForEach(m, doc) {
		for (i = 0; i < nknown; i++)
			if (m->string != NULL && strcmp(m->string, known[i]) ==
			    0)
				break;
		if (i == nknown) {
			parse_json_known(known, nknown, list, sizeof(list));
			parse_error(err, errlen, "unknown member (known: %s)",
			    list);
			goto fail;
		}
		if (*seen & 1u << i) {
			parse_error(err, errlen, "member %s given twice",
			    known[i]);
			goto fail;
		}
		*seen |= 1u << i;
	}
	return doc;
fail:
	cJSON_Delete(doc);
	return NULL;
}

int
parse_utf8(const uint8_t *p, size_t n, int no_ctrl)
{
	size_t i = 0, k, more;
	uint32_t cp, min;

	while (i < n) {
		if (p[i] < 0x80) {
			if (p[i] == 0 || (no_ctrl && (p[i] < 0x20 ||
			    p[i] == 0x7f)))
				return 0;
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			more = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			more = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			more = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i - 1 < more)
			return 0;
		for (k = 1; k <= more; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		if (no_ctrl && cp <= 0x9f)
			return 0;
		i += more + 1;
	}
	return 1;
}

/* n digits of s into *out; -1 when one is not a digit. */
static int
parse_digits(const char *s, int n, int *out)
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
parse_days(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
parse_rfc3339(const char *s, int64_t *ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, leap, frac = 0, n;
	size_t i;

	if (strlen(s) < 20 || parse_digits(s, 4, &y) == -1 || s[4] != '-' ||
	    parse_digits(s + 5, 2, &mo) == -1 || s[7] != '-' ||
	    parse_digits(s + 8, 2, &d) == -1 || (s[10] != 'T' &&
	    s[10] != 't') ||
	    parse_digits(s + 11, 2, &h) == -1 || s[13] != ':' ||
	    parse_digits(s + 14, 2, &mi) == -1 || s[16] != ':' ||
	    parse_digits(s + 17, 2, &sec) == -1)
		return -1;
	i = 19;
	if (s[i] == '.') {
		for (i++, n = 0; s[i] >= '0' && s[i] <= '9'; i++, n++)
			if (n < 3)
				frac = frac * 10 + (s[i] - '0');
		if (n == 0)
			return -1;
		for (; n < 3; n++)
			frac *= 10;	/* ".5" is 500 ms */
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
		;
	else if ((s[i] == '+' || s[i] == '-') && strlen(s + i) == 6 &&
	    parse_digits(s + i + 1, 2, &oh) == 0 && s[i + 3] == ':' &&
	    parse_digits(s + i + 4, 2, &om) == 0 && oh <= 23 && om <= 59)
		sign = s[i] == '+' ? 1 : -1;
	else
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 60)
		return -1;
	*ms = ((parse_days(y, mo, d) * 86400 + (int64_t)h * 3600 +
	    (int64_t)mi * 60 + sec - (int64_t)sign * (oh * 3600 + om * 60)) *
	    1000) + frac;
	return 0;
}
