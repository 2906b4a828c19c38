/*
 * tz.c: see tz.h. A TZif file (RFC 8536, versions 1 to 4) is its time
 * types, its transitions and, from version 2 on, a footer: the POSIX TZ
 * string that rules after the last transition. Version 2+ files are read
 * from their 64-bit data; the 32-bit block before it is skipped unread.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "tz.h"

#define TZ_FILE_MAX	(256 * 1024)
#define TZ_TYPES_MAX	256		/* a transition's type is one byte */
#define TZ_FOOTER_MAX	128
#define TZ_HEADER	44
/* RFC 8536 3.2: utoff SHOULD be in [-89999, 93599] (-24:59:59 to
 * 25:59:59); anything else is refused. */
#define TZ_OFF_MIN	(-89999)
#define TZ_OFF_MAX	93599
/* 400 Gregorian years, a whole number of weeks: a POSIX rule gives the
 * same offsets 400 years later. */
#define TZ_CYCLE	(INT64_C(146097) * 86400)

struct tz_rule {
	char		 kind;		/* 'J' Jn, 'D' n, 'M' Mm.w.d */
	int		 m, w, d;	/* d is n for 'J' and 'D' */
	long		 time;		/* local seconds after midnight */
};

/* A footer's TZ string: the offsets east of UTC, and when DST is in. */
struct tz_posix {
	long		 std, dst;
	int		 has_dst;
	struct tz_rule	 start, end;
};

struct tz {
	uint32_t	 ntrans;
	int		 has_posix;	/* a non-empty footer */
	struct tz_posix	 posix;
	int64_t		*trans;		/* ntrans, ascending */
	uint8_t		*idx;		/* the type from each on */
	int32_t		 off[TZ_TYPES_MAX];	/* each type's utoff */
};

/* The header's counts, in the file's order. */
struct tz_head {
	uint8_t		 version;	/* 0, '2', '3', '4' */
	uint32_t	 isutcnt, isstdcnt, leapcnt, timecnt, typecnt;
	uint32_t	 charcnt;
};

static uint32_t
tz_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
tz_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
tz_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int
tz_name_ok(const char *name)
{
	size_t i, seg = 0;
	int c;

	for (i = 0; (c = (unsigned char)name[i]) != '\0'; i++) {
		if (i >= TZ_NAME_MAX)
			return 0;
		if (c == '/') {
			if (seg == 0)
				return 0;
			seg = 0;
		} else if (tz_alpha(c) || tz_digit(c) || c == '_' ||
		    c == '+' || c == '-')
			seg++;
		else
			return 0;
	}
	return seg > 0;
}

/*
 * Reads a header at *p and checks its counts against what RFC 8536 allows
 * and against the bytes left (times of tsize bytes). Returns the size of
 * its data block, with *p moved there; or -1.
 */
static int
tz_head(const uint8_t **p, const uint8_t *end, int tsize,
    struct tz_head *h, char *err, size_t errlen)
{
	const uint8_t *q = *p;
	uint64_t need;

	if ((size_t)(end - q) < TZ_HEADER)
		return parse_error(err, errlen, "truncated header");
	if (memcmp(q, "TZif", 4) != 0)
		return parse_error(err, errlen, "not a TZif file");
	h->version = q[4];
	if (h->version != 0 && (h->version < '2' || h->version > '4'))
		return parse_error(err, errlen, "unknown TZif version 0x%02x",
		    h->version);
	h->isutcnt = tz_be32(q + 20);
	h->isstdcnt = tz_be32(q + 24);
	h->leapcnt = tz_be32(q + 28);
	h->timecnt = tz_be32(q + 32);
	h->typecnt = tz_be32(q + 36);
	h->charcnt = tz_be32(q + 40);
	if (h->typecnt == 0 || h->typecnt > TZ_TYPES_MAX)
		return parse_error(err, errlen, "%u time types (1 to %d)",
		    h->typecnt, TZ_TYPES_MAX);
	if (h->charcnt == 0)
		return parse_error(err, errlen, "no abbreviation bytes");
	if ((h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return parse_error(err, errlen, "isutcnt and isstdcnt must "
		    "be 0 or the type count");
	/* Each count is below 2^32: the sum fits in 64 bits. */
	need = (uint64_t)h->timecnt * ((uint64_t)tsize + 1) +
	    (uint64_t)h->typecnt * 6 + h->charcnt +
	    (uint64_t)h->leapcnt * ((uint64_t)tsize + 4) + h->isstdcnt +
	    h->isutcnt;
	if (need > (uint64_t)(end - q - TZ_HEADER))
		return parse_error(err, errlen, "truncated data (the counts "
		    "ask for %llu bytes, %zu left)", (unsigned long long)need,
		    (size_t)(end - q - TZ_HEADER));
	*p = q + TZ_HEADER;
	return (int)need;
}

/* Reads the data block at p (times of tsize bytes) into z. */
static int
tz_data(struct tz *z, const uint8_t *p, int tsize, const struct tz_head *h,
    char *err, size_t errlen)
{
	const uint8_t *idx = p + (size_t)h->timecnt * tsize;
	const uint8_t *ty = idx + h->timecnt;
	uint32_t i;
	int64_t t;
	int32_t off;

	if (h->leapcnt != 0)
		return parse_error(err, errlen, "leap second records (a "
		    "right/ zone) are not supported");
	for (i = 0; i < h->timecnt; i++) {
		t = tsize == 8 ? (int64_t)((uint64_t)tz_be32(p + 8 * i) << 32 |
		    tz_be32(p + 8 * i + 4)) : (int32_t)tz_be32(p + 4 * i);
		if (i > 0 && t <= z->trans[i - 1])
			return parse_error(err, errlen, "transition %u is not "
			    "after the one before", i);
		if (idx[i] >= h->typecnt)
			return parse_error(err, errlen, "transition %u names "
			    "type %u of %u", i, idx[i], h->typecnt);
		z->trans[i] = t;
		z->idx[i] = idx[i];
	}
	z->ntrans = h->timecnt;
	for (i = 0; i < h->typecnt; i++, ty += 6) {
		off = (int32_t)tz_be32(ty);
		if (off < TZ_OFF_MIN || off > TZ_OFF_MAX)
			return parse_error(err, errlen, "type %u: offset %ld s "
			    "out of range", i, (long)off);
		if (ty[4] > 1)
			return parse_error(err, errlen, "type %u: isdst %u",
			    i, ty[4]);
		if (ty[5] >= h->charcnt)
			return parse_error(err, errlen, "type %u: abbreviation "
			    "index %u of %u", i, ty[5], h->charcnt);
		z->off[i] = off;
	}
	return 0;
}

/* A TZ string's name: 3 or more letters, or <...> of 3 or more letters,
 * digits, '+' and '-'. Returns the end, or NULL. */
static const char *
tz_posix_name(const char *p)
{
	const char *s;

	if (*p == '<') {
		for (s = ++p; tz_alpha(*p) || tz_digit(*p) || *p == '+' ||
		    *p == '-'; p++)
			;
		return *p == '>' && p - s >= 3 ? p + 1 : NULL;
	}
	for (s = p; tz_alpha(*p); p++)
		;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]], hh at most maxh, into *secs. */
static const char *
tz_posix_time(const char *p, int maxh, long *secs)
{
	long v[3] = { 0, 0, 0 };
	int i, n, neg = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	for (i = 0; i < 3; i++) {
		if (i > 0 && *p != ':')
			break;
		if (i > 0)
			p++;
		for (n = 0; n < (i == 0 ? 3 : 2) && tz_digit(*p); n++)
			v[i] = v[i] * 10 + (*p++ - '0');
		if (n == 0)
			return NULL;
	}
	if (v[0] > maxh || v[1] > 59 || v[2] > 59)
		return NULL;
	*secs = (neg ? -1 : 1) * (v[0] * 3600 + v[1] * 60 + v[2]);
	return p;
}

/* A number of at most 3 digits in [min, max]. */
static const char *
tz_posix_num(const char *p, int min, int max, int *v)
{
	int n;

	for (*v = 0, n = 0; n < 3 && tz_digit(*p); n++)
		*v = *v * 10 + (*p++ - '0');
	return n > 0 && *v >= min && *v <= max ? p : NULL;
}

/* Jn, n or Mm.w.d, then [/time] with RFC 8536's hours of -167 to 167. */
static const char *
tz_posix_rule(const char *p, struct tz_rule *r)
{
	r->time = 7200;
	r->kind = *p == 'J' || *p == 'M' ? *p++ : 'D';
	if (r->kind == 'J')
		p = tz_posix_num(p, 1, 365, &r->d);
	else if (r->kind == 'D')
		p = tz_posix_num(p, 0, 365, &r->d);
	else if ((p = tz_posix_num(p, 1, 12, &r->m)) == NULL ||
	    *p++ != '.' || (p = tz_posix_num(p, 1, 5, &r->w)) == NULL ||
	    *p++ != '.')
		return NULL;
	else
		p = tz_posix_num(p, 0, 6, &r->d);
	if (p != NULL && *p == '/')
		p = tz_posix_time(p + 1, 167, &r->time);
	return p;
}

/* std offset [dst [offset] ,start[/time],end[/time]]: all of s, or -1.
 * DST needs its rules (POSIX leaves their default to each system). */
static int
tz_posix_parse(const char *s, struct tz_posix *r)
{
	const char *p;
	long off;

	if ((p = tz_posix_name(s)) == NULL ||
	    (p = tz_posix_time(p, 24, &off)) == NULL)
		return -1;
	r->std = -off;
	r->has_dst = 0;
	if (*p == '\0')
		return 0;
	if ((p = tz_posix_name(p)) == NULL)
		return -1;
	r->dst = r->std + 3600;
	if (*p != ',') {
		if ((p = tz_posix_time(p, 24, &off)) == NULL)
			return -1;
		r->dst = -off;
	}
	if (*p++ != ',' || (p = tz_posix_rule(p, &r->start)) == NULL ||
	    *p++ != ',' || (p = tz_posix_rule(p, &r->end)) == NULL ||
	    *p != '\0')
		return -1;
	r->has_dst = 1;
	return 0;
}

/* Reads the footer at p (the whole rest of the file) into z. */
static int
tz_footer(struct tz *z, const uint8_t *p, const uint8_t *end, char *err,
    size_t errlen)
{
	const uint8_t *nl;
	char s[TZ_FOOTER_MAX + 1];
	size_t n, i;

	if (p == end || *p != '\n')
		return parse_error(err, errlen, "no footer");
	p++;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL &&
	    (size_t)(end - p) <= TZ_FOOTER_MAX)
		return parse_error(err, errlen, "footer without its newline");
	if (nl == NULL || (n = (size_t)(nl - p)) > TZ_FOOTER_MAX)
		return parse_error(err, errlen, "footer over %d bytes",
		    TZ_FOOTER_MAX);
	if (nl + 1 != end)
		return parse_error(err, errlen, "%zu bytes after the footer",
		    (size_t)(end - nl - 1));
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return parse_error(err, errlen, "footer byte %zu is not "
			    "printable ASCII", i);
	memcpy(s, p, n);
	s[n] = '\0';
	if (tz_posix_parse(s, &z->posix) == -1 ||
	    z->posix.std < TZ_OFF_MIN || z->posix.std > TZ_OFF_MAX ||
	    (z->posix.has_dst && (z->posix.dst < TZ_OFF_MIN ||
	    z->posix.dst > TZ_OFF_MAX)))
		return parse_error(err, errlen, "bad footer TZ string \"%s\"",
		    s);
	z->has_posix = 1;
	return 0;
}

struct tz *
tz_parse(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	const uint8_t *p = buf, *end = buf + len;
	struct tz_head h;
	struct tz *z = NULL;
	int tsize = 4, need, version;

	if (len > TZ_FILE_MAX) {
		parse_error(err, errlen, "file over %d bytes", TZ_FILE_MAX);
		return NULL;
	}
	if ((need = tz_head(&p, end, tsize, &h, err, errlen)) == -1)
		return NULL;
	if ((version = h.version) != 0) {
		p += need;
		tsize = 8;
		if ((need = tz_head(&p, end, tsize, &h, err, errlen)) == -1)
			return NULL;
		if (h.version != version) {
			parse_error(err, errlen, "the second header's version "
			    "differs");
			return NULL;
		}
	}
	if ((z = calloc(1, sizeof(*z) + (size_t)h.timecnt * 9)) == NULL) {
		parse_error(err, errlen, "out of memory");
		return NULL;
	}
	z->trans = (int64_t *)(z + 1);
	z->idx = (uint8_t *)(z->trans + h.timecnt);
	if (tz_data(z, p, tsize, &h, err, errlen) == -1)
		goto fail;
	p += need;
	if (h.version == 0 && p != end) {
		parse_error(err, errlen, "%zu bytes after the data",
		    (size_t)(end - p));
		goto fail;
	}
	if (h.version != 0 && tz_footer(z, p, end, err, errlen) == -1)
		goto fail;
	return z;
fail:
	free(z);
	return NULL;
}

struct tz *
tz_load(const char *dir, const char *name, char *err, size_t errlen)
{
	struct stat st;
	struct tz *z = NULL;
	uint8_t *buf = NULL;
	char path[4096], why[160];
	size_t got = 0;
	ssize_t r;
	int fd;

	if (name[0] == '\0' || strcmp(name, "UTC") == 0) {
		if ((z = calloc(1, sizeof(*z))) == NULL)
			parse_error(err, errlen, "out of memory");
		return z;
	}
	if (!tz_name_ok(name)) {
		parse_error(err, errlen, "bad time zone name");
		return NULL;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		parse_error(err, errlen, "time zone %s: path too long", name);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			parse_error(err, errlen, "unknown time zone %s (no "
			    "%s)", name, path);
		else
			parse_error(err, errlen, "%s: %s", path,
			    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		parse_error(err, errlen, "%s: not a regular file", path);
		goto done;
	}
	if (st.st_size > TZ_FILE_MAX) {
		parse_error(err, errlen, "%s: over %d bytes", path,
		    TZ_FILE_MAX);
		goto done;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		parse_error(err, errlen, "out of memory");
		goto done;
	}
	/* One byte past the size it had: a file that grows is noticed. */
	while (got <= (size_t)st.st_size && (r = read(fd, buf + got,
	    (size_t)st.st_size + 1 - got)) != 0) {
		if (r == -1) {
			parse_error(err, errlen, "%s: %s", path,
			    strerror(errno));
			goto done;
		}
		got += (size_t)r;
	}
	if (got != (size_t)st.st_size)
		parse_error(err, errlen, "%s: changed while it was read",
		    path);
	else if ((z = tz_parse(buf, got, why, sizeof(why))) == NULL)
		parse_error(err, errlen, "%s: %s", path, why);
done:
	free(buf);
	close(fd);
	return z;
}

void
tz_free(struct tz *z)
{
	free(z);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
tz_days(int64_t y, int m, int d)
{
	int64_t era;
	int yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int
tz_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* The day (from 1970-01-01) of rule r in year y. */
static int64_t
tz_rule_day(const struct tz_rule *r, int64_t y)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int64_t first;
	int day, len;

	if (r->kind == 'J')	/* Feb 29 is never counted */
		return tz_days(y, 1, 1) + r->d - 1 + (tz_leap(y) && r->d >= 60);
	if (r->kind == 'D')
		return tz_days(y, 1, 1) + r->d;
	first = tz_days(y, r->m, 1);
	/* 1970-01-01 was a Thursday (4). */
	day = (int)((r->d - (first % 7 + 11) % 7 + 7) % 7) + (r->w - 1) * 7;
	len = mdays[r->m - 1] + (r->m == 2 && tz_leap(y));
	while (day >= len)
		day -= 7;
	return first + day;
}

/*
 * The footer's offset at t. DST is in from a start to the end that follows
 * it; the starts and ends of the years around t's are compared, so that
 * rules of any hour (up to 167) and DST all year ("0/0,J365/25") come
 * out right. At equal times the later year's change wins.
 */
static long
tz_posix_offset(const struct tz_posix *r, int64_t t)
{
	int64_t y, e, best = 0, days;
	int k, dst = 0, found = 0;

	if (!r->has_dst)
		return r->std;
	if ((t %= TZ_CYCLE) < 0)
		t += TZ_CYCLE;
	/* t is now in 1970..2369: a year's guess, then set right. */
	days = t / 86400;
	y = 1970 + days / 366;
	while (tz_days(y + 1, 1, 1) <= days)
		y++;
	for (k = 0; k < 6; k++) {
		if (k % 2 == 0)
			e = tz_rule_day(&r->start, y - 1 + k / 2) * 86400 +
			    r->start.time - r->std;
		else
			e = tz_rule_day(&r->end, y - 1 + k / 2) * 86400 +
			    r->end.time - r->dst;
		if (e <= t && (!found || e >= best)) {
			best = e;
			dst = k % 2 == 0;
			found = 1;
		}
	}
	return dst ? r->dst : r->std;
}

long
tz_offset(const struct tz *z, int64_t t)
{
	uint32_t lo, hi, mid;

	if (z->ntrans == 0 || t >= z->trans[z->ntrans - 1]) {
		if (z->has_posix)
			return tz_posix_offset(&z->posix, t);
		return z->off[z->ntrans == 0 ? 0 : z->idx[z->ntrans - 1]];
	}
	if (t < z->trans[0])
		return z->off[0];
	/* The last transition at or before t. */
	for (lo = 0, hi = z->ntrans - 1; lo < hi; ) {
		mid = lo + (hi - lo + 1) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	return z->off[z->idx[lo]];
}

int
tz_minute_of_day(const struct tz *z, int64_t t)
{
	int64_t s = t % 86400 + (z != NULL ? tz_offset(z, t) % 86400 : 0);

	if ((s %= 86400) < 0)
		s += 86400;
	return (int)(s / 60);
}

int
tz_in_window(const struct tz *z, int from, int to, int64_t t)
{
	int m;

	if (from < 0)
		return 1;
	m = tz_minute_of_day(z, t);
	if (from <= to)
		return m >= from && m < to;
	return m >= from || m < to;
}
