/*
 * devlog.c: a device's Event Log lines (see devlog.h). Every byte is the
 * device's: lengths are counted here, times checked for range, text made
 * UTF-8 before it goes into JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "lwm2m/devlog.h"
#include "parse.h"

/* Unix seconds the times are kept within: years 0001..9999. */
#define DEVLOG_SEC_MIN	(-62135596800LL)
#define DEVLOG_SEC_MAX	253402300799LL

/*
 * Reads "[-]SECONDS[.FRACTION]" from p[0..n): up to 12 digits of seconds,
 * 1..9 of fraction (milliseconds from the first three). Returns the bytes
 * read, or 0 when p does not start so.
 */
static size_t
devlog_number(const char *p, size_t n, int64_t *ms)
{
	size_t i = 0, d, f;
	int64_t sec = 0, frac = 0, t;
	int neg = 0;

	if (i < n && p[i] == '-') {
		neg = 1;
		i++;
	}
	for (d = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++, d++) {
		if (d == 12)
			return 0;
		sec = sec * 10 + (p[i] - '0');
	}
	if (d == 0)
		return 0;
	if (i < n && p[i] == '.') {
		i++;
		for (f = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++, f++) {
			if (f == 9)
				return 0;
			if (f < 3)
				frac = frac * 10 + (p[i] - '0');
		}
		if (f == 0)
			return 0;
		for (; f < 3; f++)
			frac *= 10;
	}
	if (neg)
		sec = -sec;
	t = neg ? sec * 1000 - frac : sec * 1000 + frac;
	if (t < DEVLOG_SEC_MIN * 1000 || t > DEVLOG_SEC_MAX * 1000 + 999)
		return 0;
	*ms = t;
	return i;
}

const char *
devlog_time_str(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)t * 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, frac);
	return buf;
}

/* text[0..n) as UTF-8 without controls, each bad byte '?', cut to
 * DEVLOG_TEXT_MAX at a character, into out (DEVLOG_TEXT_MAX + 1). */
static void
devlog_clean(const char *text, size_t n, char *out)
{
	const uint8_t *p = (const uint8_t *)text;
	size_t i = 0, o = 0, k, len;

	while (i < n) {
		/* The length of the character at i, if it is one. */
		len = p[i] < 0x80 ? 1 : p[i] >= 0xc2 && p[i] <= 0xdf ? 2 :
		    p[i] >= 0xe0 && p[i] <= 0xef ? 3 :
		    p[i] >= 0xf0 && p[i] <= 0xf4 ? 4 : 0;
		k = len;
		if (len == 0 || i + len > n || !parse_utf8(p + i, len, 1)) {
			if (p[i] == '\t') {
				k = 1;	/* a tab reads as a space */
				if (o + 1 > DEVLOG_TEXT_MAX)
					break;
				out[o++] = ' ';
				i++;
				continue;
			}
			k = 1;
			if (o + 1 > DEVLOG_TEXT_MAX)
				break;
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + k > DEVLOG_TEXT_MAX)
			break;
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
}

/* The start of each line of body: its offset and length, without the
 * newline (and a '\r' before it). */
struct devlog_span {
	size_t		 off, len;
};

cJSON *
devlog_lines(const uint8_t *body, size_t len, int64_t since_ms, size_t limit)
{
	const char *b = (const char *)body;
	struct devlog_span *spans = NULL;
	size_t nspans = 0, cap = 0, i, start, end, first, k, used;
	cJSON *arr, *o;
	char text[DEVLOG_TEXT_MAX + 1], tbuf[40];
	int64_t ms;

	if (limit > DEVLOG_LINES_MAX)
		limit = DEVLOG_LINES_MAX;
	if ((arr = cJSON_CreateArray()) == NULL || limit == 0)
		return arr;
	/* The lines that pass the filter, keeping only the last limit
	 * (a ring of spans: a long body costs no more memory). */
	for (start = 0; start < len; start = end + 1) {
		const char *nl = memchr(b + start, '\n', len - start);

		end = nl != NULL ? (size_t)(nl - b) : len;
		ms = DEVLOG_NO_TIME;
		k = devlog_number(b + start, end - start, &ms);
		if (k == 0 || start + k >= end || b[start + k] != ' ')
			ms = DEVLOG_NO_TIME;
		if (since_ms != INT64_MIN && (ms == DEVLOG_NO_TIME ||
		    ms < since_ms))
			continue;
		if (cap < limit) {
			struct devlog_span *ns;

			cap = cap == 0 ? 16 : cap * 2;
			if (cap > limit)
				cap = limit;
			if ((ns = realloc(spans, cap * sizeof(*ns))) == NULL)
				goto fail;
			spans = ns;
		}
		spans[nspans % limit].off = start;
		spans[nspans % limit].len = end - start;
		nspans++;
	}
	used = nspans < limit ? nspans : limit;
	first = nspans < limit ? 0 : nspans % limit;
	for (i = 0; i < used; i++) {
		const struct devlog_span *s = &spans[(first + i) % limit];
		size_t n = s->len;

		if (n > 0 && b[s->off + n - 1] == '\r')
			n--;
		ms = DEVLOG_NO_TIME;
		k = devlog_number(b + s->off, n, &ms);
		if (k == 0 || k >= n || b[s->off + k] != ' ') {
			ms = DEVLOG_NO_TIME;
			k = 0;
		} else {
			k++;	/* the space */
		}
		devlog_clean(b + s->off + k, n - k, text);
		if ((o = cJSON_CreateObject()) == NULL)
			goto fail;
		cJSON_AddItemToArray(arr, o);
		if (ms == DEVLOG_NO_TIME)
			cJSON_AddNullToObject(o, "t");
		else
			cJSON_AddStringToObject(o, "t", devlog_time_str(ms,
			    tbuf, sizeof(tbuf)));
		if (cJSON_AddStringToObject(o, "text", text) == NULL)
			goto fail;
	}
	free(spans);
	return arr;
fail:
	free(spans);
	cJSON_Delete(arr);
	return NULL;
}

int
devlog_since(const char *s, int64_t *ms)
{
	size_t n = strlen(s);

	if (n > 0 && devlog_number(s, n, ms) == n)
		return 0;
	return parse_rfc3339(s, ms);
}
