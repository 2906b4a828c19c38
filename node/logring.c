/*
 * logring.c: the ring of recent log lines (see logring.h).
 *
 * Records lie end to end in one circular buffer, wrapping at its end:
 * 8 bytes of time (milliseconds, little-endian), 2 of length, the text.
 * Adding a line copies it once and drops the oldest records that stand in
 * its way; nothing is allocated after logring_new.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/logring.h"

#define REC_HEAD	10	/* time, length */

struct logring {
	size_t		 cap;		/* bytes of buf */
	size_t		 head;		/* offset of the oldest record */
	size_t		 used;		/* bytes of records */
	size_t		 count;		/* records */
	int		 stopped;
	uint8_t		 buf[];
};

struct logring *
logring_new(size_t cap)
{
	struct logring *r;

	if (cap < LOGRING_MIN)
		cap = LOGRING_MIN;
	if ((r = calloc(1, sizeof(*r) + cap)) == NULL)
		return NULL;
	r->cap = cap;
	return r;
}

void
logring_free(struct logring *r)
{
	free(r);
}

void
logring_clear(struct logring *r)
{
	r->head = r->used = r->count = 0;
}

void
logring_set_stopped(struct logring *r, int stopped)
{
	r->stopped = stopped != 0;
}

int
logring_stopped(const struct logring *r)
{
	return r->stopped;
}

size_t
logring_count(const struct logring *r)
{
	return r->count;
}

size_t
logring_used(const struct logring *r)
{
	return r->used;
}

/* Copies n bytes to the ring at offset off (mod cap). */
static void
ring_put(struct logring *r, size_t off, const void *p, size_t n)
{
	size_t first;

	off %= r->cap;
	first = r->cap - off < n ? r->cap - off : n;
	memcpy(r->buf + off, p, first);
	memcpy(r->buf, (const uint8_t *)p + first, n - first);
}

/* Copies n bytes of the ring from offset off (mod cap) to p. */
static void
ring_get(const struct logring *r, size_t off, void *p, size_t n)
{
	size_t first;

	off %= r->cap;
	first = r->cap - off < n ? r->cap - off : n;
	memcpy(p, r->buf + off, first);
	memcpy((uint8_t *)p + first, r->buf, n - first);
}

/* The record at off: its time and text length. */
static void
ring_rec(const struct logring *r, size_t off, int64_t *t, size_t *len)
{
	uint8_t h[REC_HEAD];
	uint64_t u = 0;
	int i;

	ring_get(r, off, h, sizeof(h));
	for (i = 7; i >= 0; i--)
		u = u << 8 | h[i];
	*t = (int64_t)u;
	*len = (size_t)h[8] | (size_t)h[9] << 8;
}

/* Drops the oldest record. */
static void
ring_drop(struct logring *r)
{
	int64_t t;
	size_t len;

	ring_rec(r, r->head, &t, &len);
	r->head = (r->head + REC_HEAD + len) % r->cap;
	r->used -= REC_HEAD + len;
	if (--r->count == 0)
		r->head = r->used = 0;
}

/* How many bytes of text (at most max) to keep: cut before a character
 * that would not fit whole (UTF-8 continuation bytes are 10xxxxxx). */
static size_t
line_cut(const char *text, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((uint8_t)text[max] & 0xc0) == 0x80)
		max--;
	return max;
}

void
logring_add(struct logring *r, int64_t t_ms, const char *text, size_t len)
{
	uint8_t h[REC_HEAD], line[LOGRING_LINE_MAX];
	uint64_t u = (uint64_t)t_ms;
	size_t i, need;

	if (r->stopped)
		return;
	len = line_cut(text, len, sizeof(line));
	for (i = 0; i < len; i++)
		line[i] = (uint8_t)text[i] < 0x20 || text[i] == 0x7f ? ' ' :
		    (uint8_t)text[i];
	need = REC_HEAD + len;
	if (need > r->cap)
		return;		/* cannot be: cap >= LOGRING_MIN */
	while (r->count > 0 && r->cap - r->used < need)
		ring_drop(r);
	for (i = 0; i < 8; i++, u >>= 8)
		h[i] = (uint8_t)u;
	h[8] = (uint8_t)len;
	h[9] = (uint8_t)(len >> 8);
	ring_put(r, r->head + r->used, h, sizeof(h));
	ring_put(r, r->head + r->used + REC_HEAD, line, len);
	r->used += need;
	r->count++;
}

char *
logring_render(const struct logring *r, int64_t since_ms, size_t *len)
{
	size_t off = r->head, i, n, at = 0, max;
	char *out, text[LOGRING_LINE_MAX];
	int64_t t;
	int k;

	/* Each line: at most 20 digits and '-' of seconds, '.', 3 digits, a
	 * space, its text, a newline. */
	max = r->count * (REC_HEAD + 26) + r->used + 1;
	if ((out = malloc(max)) == NULL)
		return NULL;
	for (i = 0; i < r->count; i++) {
		ring_rec(r, off, &t, &n);
		ring_get(r, off + REC_HEAD, text, n);
		off = (off + REC_HEAD + n) % r->cap;
		if (t < since_ms)
			continue;
		k = snprintf(out + at, max - at, "%" PRId64 ".%03d ",
		    t / 1000 - (t % 1000 < 0), (int)((t % 1000 + 1000) % 1000));
		if (k < 0 || (size_t)k >= max - at)
			break;
		at += (size_t)k;
		memcpy(out + at, text, n);
		at += n;
		out[at++] = '\n';
	}
	out[at] = '\0';
	if (len != NULL)
		*len = at;
	return out;
}
