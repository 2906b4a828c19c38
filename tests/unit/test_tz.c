/*
 * test_tz.c: unit tests for tz.c, the time zone reader. Known offsets and
 * minutes of the day in zones with DST north and south, half-hour and
 * 45-minute offsets, 30-minute DST and DST abolished; then the same
 * answers as glibc's localtime_r (under TZ, set here only) at every few
 * hours of 1970..2050 and at both seconds of every change, for the
 * system's files (fat in Debian bookworm) and for slim ones that zic
 * compiles here from the system's tzdata.zi (zic is in libc-bin); the
 * footer's TZ strings alone against glibc's reading of the same strings;
 * and hostile files: every truncation, bad magic and versions, counts that
 * overflow, bad types and transitions, bad footers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tz.h"

static char	tmpdir[64];		/* made by group_setup */
static char	slimdir[128];		/* zic -b slim output, in tmpdir */

static int
group_setup(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_tz.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(slimdir, sizeof(slimdir), "%s/slim", tmpdir);
	snprintf(cmd, sizeof(cmd), "zic -b slim -d %s %s/tzdata.zi", slimdir,
	    TZ_DIR);
	return system(cmd) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	return rm_tree(tmpdir);
}

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

static struct tz *
load(const char *dir, const char *name)
{
	char err[256] = "";
	struct tz *z;

	if ((z = tz_load(dir, name, err, sizeof(err))) == NULL)
		fail_msg("%s/%s: %s", dir, name, err);
	return z;
}

struct known {
	const char	*zone;
	int		 y, mo, d, h, mi, s;	/* UTC */
	long		 off;
	int		 minute;		/* local */
};

static const struct known known[] = {
	/* CET to CEST on 2026-03-29 at 01:00 UTC, back on 10-25. */
	{ "Europe/Berlin", 2026, 3, 29, 0, 59, 59, 3600, 1 * 60 + 59 },
	{ "Europe/Berlin", 2026, 3, 29, 1, 0, 0, 7200, 3 * 60 },
	{ "Europe/Berlin", 2026, 10, 25, 0, 59, 59, 7200, 2 * 60 + 59 },
	{ "Europe/Berlin", 2026, 10, 25, 1, 0, 0, 3600, 2 * 60 },
	{ "Europe/Berlin", 2026, 12, 7, 21, 0, 0, 3600, 22 * 60 },
	/* After 2037: the footer alone, even in a fat file. */
	{ "Europe/Berlin", 2040, 3, 25, 0, 59, 59, 3600, 1 * 60 + 59 },
	{ "Europe/Berlin", 2040, 3, 25, 1, 0, 0, 7200, 3 * 60 },
	{ "Europe/Berlin", 2040, 7, 1, 12, 0, 0, 7200, 14 * 60 },
	{ "Europe/Berlin", 2040, 10, 28, 0, 59, 59, 7200, 2 * 60 + 59 },
	{ "Europe/Berlin", 2040, 10, 28, 1, 0, 0, 3600, 2 * 60 },
	{ "America/New_York", 2026, 3, 8, 6, 59, 59, -18000, 1 * 60 + 59 },
	{ "America/New_York", 2026, 3, 8, 7, 0, 0, -14400, 3 * 60 },
	{ "America/New_York", 2026, 11, 1, 5, 59, 59, -14400, 1 * 60 + 59 },
	{ "America/New_York", 2026, 11, 1, 6, 0, 0, -18000, 1 * 60 },
	{ "Asia/Kolkata", 2026, 6, 1, 0, 0, 0, 19800, 5 * 60 + 30 },
	{ "Asia/Kolkata", 2026, 6, 1, 20, 0, 0, 19800, 1 * 60 + 30 },
	/* +11 to +10:30 on 2026-04-05 at 02:00 local, back on 10-04. */
	{ "Australia/Lord_Howe", 2026, 4, 4, 14, 59, 59, 39600, 1 * 60 + 59 },
	{ "Australia/Lord_Howe", 2026, 4, 4, 15, 0, 0, 37800, 1 * 60 + 30 },
	{ "Australia/Lord_Howe", 2026, 10, 3, 15, 29, 59, 37800,
	    1 * 60 + 59 },
	{ "Australia/Lord_Howe", 2026, 10, 3, 15, 30, 0, 39600, 2 * 60 + 30 },
	/* +13:45 to +12:45 on 2026-04-05 at 03:45 local, back on 09-27. */
	{ "Pacific/Chatham", 2026, 4, 4, 13, 59, 59, 49500, 3 * 60 + 44 },
	{ "Pacific/Chatham", 2026, 4, 4, 14, 0, 0, 45900, 2 * 60 + 45 },
	{ "Pacific/Chatham", 2026, 9, 26, 13, 59, 59, 45900, 2 * 60 + 44 },
	{ "Pacific/Chatham", 2026, 9, 26, 14, 0, 0, 49500, 3 * 60 + 45 },
	/* DST until 2019, none since. */
	{ "America/Sao_Paulo", 2018, 1, 15, 12, 0, 0, -7200, 10 * 60 },
	{ "America/Sao_Paulo", 2026, 1, 15, 12, 0, 0, -10800, 9 * 60 },
	{ "America/Sao_Paulo", 2040, 1, 15, 12, 0, 0, -10800, 9 * 60 },
	{ "UTC", 2026, 3, 29, 1, 0, 0, 0, 60 },
	{ "Etc/UTC", 2040, 7, 1, 23, 59, 59, 0, 23 * 60 + 59 },
};

static void
check_known(const char *dir)
{
	const struct known *k;
	struct tz *z;
	int64_t t;
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		k = &known[i];
		z = load(dir, k->zone);
		t = utc(k->y, k->mo, k->d, k->h, k->mi, k->s);
		if (tz_offset(z, t) != k->off ||
		    tz_minute_of_day(z, t) != k->minute)
			fail_msg("%s/%s %04d-%02d-%02dT%02d:%02d:%02dZ: offset "
			    "%ld minute %d, want %ld and %d", dir, k->zone,
			    k->y, k->mo, k->d, k->h, k->mi, k->s,
			    tz_offset(z, t), tz_minute_of_day(z, t), k->off,
			    k->minute);
		tz_free(z);
	}
}

static void
test_known_offsets(void **state)
{
	(void)state;
	check_known(TZ_DIR);
	check_known(slimdir);
}

/* Before the first transition, type 0 (Berlin's LMT, +0:53:28); at the
 * ends of time no overflow, and a minute of the day in range. */
static void
test_ends_of_time(void **state)
{
	struct tz *z;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		z = load(i == 0 ? TZ_DIR : slimdir, "Europe/Berlin");
		assert_int_equal(tz_offset(z, INT64_MIN), 3208);
		assert_int_equal(tz_offset(z, utc(1800, 1, 1, 0, 0, 0)), 3208);
		assert_in_range(tz_minute_of_day(z, INT64_MIN), 0, 1439);
		assert_true(tz_offset(z, INT64_MAX) == 3600 ||
		    tz_offset(z, INT64_MAX) == 7200);
		assert_in_range(tz_minute_of_day(z, INT64_MAX), 0, 1439);
		assert_in_range(tz_minute_of_day(z, INT64_MAX - 1), 0, 1439);
		tz_free(z);
	}
}

/* "" and "UTC" need no file; other names must have a zone's form. */
static void
test_names(void **state)
{
	static const char *good[] = { "Europe/Berlin", "Etc/GMT+5",
	    "Etc/GMT-14", "America/Argentina/Buenos_Aires", "UTC", "EST5EDT",
	    "a" };
	static const char *bad[] = { "", "/etc/passwd", "../etc/passwd",
	    "Europe/../../etc/passwd", "Europe/./Berlin", ".", "..",
	    "Europe//Berlin", "Europe/", "/Europe", "Europe/Ber lin",
	    "Europe\\Berlin", "Europe/Berlin\n", "Europe/Berlin.tmp" };
	char err[256], longest[TZ_NAME_MAX + 2];
	struct tz *z;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!tz_name_ok(good[i]))
			fail_msg("refused \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tz_name_ok(bad[i]))
			fail_msg("took \"%s\"", bad[i]);
	memset(longest, 'a', TZ_NAME_MAX);
	longest[TZ_NAME_MAX] = '\0';
	assert_true(tz_name_ok(longest));
	longest[TZ_NAME_MAX] = 'a';
	longest[TZ_NAME_MAX + 1] = '\0';
	assert_false(tz_name_ok(longest));

	/* No file read: the directory does not exist. */
	z = load("/nonexistent", "UTC");
	assert_int_equal(tz_offset(z, utc(2026, 7, 1, 12, 0, 0)), 0);
	assert_int_equal(tz_minute_of_day(z, utc(2026, 7, 1, 12, 34, 0)),
	    12 * 60 + 34);
	tz_free(z);
	z = load("/nonexistent", "");
	assert_int_equal(tz_offset(z, INT64_MIN), 0);
	assert_int_equal(tz_minute_of_day(z, -60), 23 * 60 + 59);
	tz_free(z);

	assert_null(tz_load(TZ_DIR, "../zoneinfo/Europe/Berlin", err,
	    sizeof(err)));
	assert_string_equal(err, "bad time zone name");
	assert_null(tz_load(TZ_DIR, "/usr/share/zoneinfo/Europe/Berlin", err,
	    sizeof(err)));
	assert_string_equal(err, "bad time zone name");
	assert_null(tz_load(TZ_DIR, "Europe/Nowhere", err, sizeof(err)));
	assert_non_null(strstr(err, "unknown time zone Europe/Nowhere"));
	assert_null(tz_load(TZ_DIR, "Europe/Berlin/x", err, sizeof(err)));
	assert_non_null(strstr(err, "unknown time zone"));
	assert_null(tz_load(TZ_DIR, "Europe", err, sizeof(err)));
	assert_non_null(strstr(err, "not a regular file"));
}

/* Files in a directory of the test's own: each refusal names the path. */
static void
test_load_refusals(void **state)
{
	char dir[128], path[256], err[256];
	FILE *fp;
	void *big;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/zones", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/Garbage", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("This is not a zone file. It is long enough for a header: more "
	    "than 44 bytes.\n", fp);
	fclose(fp);
	assert_null(tz_load(dir, "Garbage", err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a TZif file"));

	/* A FIFO is not opened for a read that would wait. */
	snprintf(path, sizeof(path), "%s/Fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(tz_load(dir, "Fifo", err, sizeof(err)));
	assert_non_null(strstr(err, "not a regular file"));

	snprintf(path, sizeof(path), "%s/Big", dir);
	assert_non_null(fp = fopen(path, "w"));
	assert_non_null(big = calloc(1, 256 * 1024 + 1));
	assert_int_equal(fwrite(big, 1, 256 * 1024 + 1, fp), 256 * 1024 + 1);
	fclose(fp);
	free(big);
	assert_null(tz_load(dir, "Big", err, sizeof(err)));
	assert_non_null(strstr(err, "over 262144 bytes"));

	/* A zone with leap seconds counts in another time scale. */
	if (access(TZ_DIR "/right/Europe/Berlin", R_OK) == 0) {
		assert_null(tz_load(TZ_DIR, "right/Europe/Berlin", err,
		    sizeof(err)));
		assert_non_null(strstr(err, "leap second"));
	}
}

/* The offset and minute of the day glibc gives at t, under the TZ set. */
static long
glibc_off(int64_t t, int *minute)
{
	time_t tt = (time_t)t;
	struct tm tm;

	assert_non_null(localtime_r(&tt, &tm));
	if (minute != NULL)
		*minute = tm.tm_hour * 60 + tm.tm_min;
	return tm.tm_gmtoff;
}

static void
same_as_glibc(const char *what, const struct tz *z, int64_t t)
{
	long g;
	int gm;

	g = glibc_off(t, &gm);
	if (tz_offset(z, t) != g || tz_minute_of_day(z, t) != gm)
		fail_msg("%s at %lld: glibc %ld (minute %d), tz %ld (minute "
		    "%d)", what, (long long)t, g, gm, tz_offset(z, t),
		    tz_minute_of_day(z, t));
}

/*
 * z against glibc under TZ=tzenv at each step of [from, to], and at both
 * seconds of each change glibc shows between two steps (found by halving).
 * Returns the number of changes.
 */
static int
compare_glibc(const char *what, const char *tzenv, const struct tz *z,
    int64_t from, int64_t to, int64_t step)
{
	int64_t t, lo, hi, mid;
	long g, prev = 0;
	int changes = 0;

	assert_int_equal(setenv("TZ", tzenv, 1), 0);
	tzset();
	for (t = from; t <= to; t += step) {
		same_as_glibc(what, z, t);
		g = glibc_off(t, NULL);
		if (t > from && g != prev) {
			for (lo = t - step, hi = t; hi - lo > 1; ) {
				mid = lo + (hi - lo) / 2;
				if (glibc_off(mid, NULL) == prev)
					lo = mid;
				else
					hi = mid;
			}
			same_as_glibc(what, z, lo);
			same_as_glibc(what, z, hi);
			changes++;
		}
		prev = g;
	}
	return changes;
}

static const char *detailed[] = { "Europe/Berlin", "America/New_York",
    "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham",
    "America/Sao_Paulo", "Europe/Dublin", "America/Santiago",
    "America/Nuuk", "Asia/Gaza", "Africa/Casablanca", "America/St_Johns",
    "Asia/Tehran", "Europe/London", "UTC" };

/* Every 10799 s (3 h less a second, so that the time of day drifts) of
 * 1970..2050, in the system's files and the slim ones. */
static void
test_glibc_detailed(void **state)
{
	char env[256];
	struct tz *z;
	size_t i;
	int slim, n;

	(void)state;
	for (i = 0; i < sizeof(detailed) / sizeof(detailed[0]); i++)
		for (slim = 0; slim < 2; slim++) {
			snprintf(env, sizeof(env), "%s/%s", slim ? slimdir :
			    TZ_DIR, detailed[i]);
			z = load(slim ? slimdir : TZ_DIR, detailed[i]);
			n = compare_glibc(env, env, z, 0,
			    utc(2050, 12, 31, 23, 59, 59), 10799);
			if (strcmp(detailed[i], "Europe/Berlin") == 0)
				assert_true(n > 100);
			tz_free(z);
		}
	unsetenv("TZ");
	tzset();
}

/* Every zone of zone1970.tab, fat and slim, every 10 days and an hour
 * from 1900 to 2100, and at every change seen. */
static void
test_glibc_every_zone(void **state)
{
	char line[512], env[256], *name;
	struct tz *z;
	FILE *fp;
	int zones = 0, slim;

	(void)state;
	assert_non_null(fp = fopen(TZ_DIR "/zone1970.tab", "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || strtok(line, "\t") == NULL ||
		    strtok(NULL, "\t") == NULL ||
		    (name = strtok(NULL, "\t\n")) == NULL)
			continue;
		for (slim = 0; slim < 2; slim++) {
			snprintf(env, sizeof(env), "%s/%s", slim ? slimdir :
			    TZ_DIR, name);
			z = load(slim ? slimdir : TZ_DIR, name);
			compare_glibc(env, env, z, utc(1900, 1, 1, 0, 0, 0),
			    utc(2100, 1, 1, 0, 0, 0), 10 * 86400 + 3600);
			tz_free(z);
		}
		zones++;
	}
	fclose(fp);
	assert_true(zones > 300);
	unsetenv("TZ");
	tzset();
}

/* An image being built (struct img) and the bytes it is made of. */
struct img {
	uint8_t		 b[8192];
	size_t		 n;
};

static void
add(struct img *im, const void *p, size_t n)
{
	assert_true(im->n + n <= sizeof(im->b));
	if (n > 0)
		memcpy(im->b + im->n, p, n);
	im->n += n;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
add32(struct img *im, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	add(im, b, 4);
}

static void
head(struct img *im, char ver, uint32_t timecnt, uint32_t typecnt,
    uint32_t charcnt)
{
	static const uint8_t zero[15];

	add(im, "TZif", 4);
	add(im, &ver, 1);
	add(im, zero, sizeof(zero));
	add32(im, 0);		/* isutcnt */
	add32(im, 0);		/* isstdcnt */
	add32(im, 0);		/* leapcnt */
	add32(im, timecnt);
	add32(im, typecnt);
	add32(im, charcnt);
}

/* Where a version 2+ image of build() has its second header, and what
 * follows it. */
#define V2	(44 + 6 + 1)
#define V2_LEAPCNT	(V2 + 28)
#define V2_TIMECNT	(V2 + 32)
#define V2_TYPECNT	(V2 + 36)
#define V2_CHARCNT	(V2 + 40)
#define V2_DATA	(V2 + 44)

/*
 * A TZif image of version ver (0 for 1): types of offsets off[0..ntypes)
 * (the odd ones DST), transitions t[0..ntrans) to types idx[], and for
 * version 2+ a slim 32-bit block and the footer line (NULL: none at all).
 */
static void
build(struct img *im, char ver, const int32_t *off, uint32_t ntypes,
    const int64_t *t, const uint8_t *idx, uint32_t ntrans,
    const char *footer)
{
	static const uint8_t slim[7];
	uint8_t ty[6];
	uint32_t i;

	im->n = 0;
	if (ver != 0) {
		head(im, ver, 0, 1, 1);
		add(im, slim, sizeof(slim));
	}
	head(im, ver, ntrans, ntypes, 4);
	for (i = 0; i < ntrans; i++) {
		if (ver != 0)
			add32(im, (uint32_t)((uint64_t)t[i] >> 32));
		add32(im, (uint32_t)t[i]);
	}
	add(im, idx, ntrans);
	for (i = 0; i < ntypes; i++) {
		put32(ty, (uint32_t)off[i]);
		ty[4] = i % 2;
		ty[5] = 0;
		add(im, ty, 6);
	}
	add(im, "XXX", 4);
	if (ver != 0 && footer != NULL) {
		add(im, "\n", 1);
		add(im, footer, strlen(footer));
		add(im, "\n", 1);
	}
}

/* tz_parse on an exact-size heap copy of the image, so that ASan sees a
 * read past its end. */
static struct tz *
parse(const struct img *im, char *err, size_t errlen)
{
	uint8_t *copy = malloc(im->n ? im->n : 1);
	struct tz *z;

	assert_non_null(copy);
	memcpy(copy, im->b, im->n);
	err[0] = '\0';
	z = tz_parse(copy, im->n, err, errlen);
	free(copy);
	return z;
}

/* The image is refused, and the reason holds why. */
static void
refused(const struct img *im, const char *why)
{
	char err[256];
	struct tz *z;

	if ((z = parse(im, err, sizeof(err))) != NULL) {
		tz_free(z);
		fail_msg("took an image that should fail with \"%s\"", why);
	}
	if (strstr(err, why) == NULL)
		fail_msg("refused with \"%s\", want \"%s\"", err, why);
}

static struct tz *
parsed(const struct img *im)
{
	char err[256];
	struct tz *z;

	if ((z = parse(im, err, sizeof(err))) == NULL)
		fail_msg("refused: %s", err);
	return z;
}

static const int32_t cet[] = { 3600, 7200 };
static const int64_t cet_t[] = { 1774746000, 1792890000 };	/* 2026 */
static const uint8_t cet_idx[] = { 1, 0 };

/* Version 1 (32-bit data, no footer): the last type rules after the last
 * transition; versions 2 to 4 read alike. */
static void
test_versions(void **state)
{
	static const char vers[] = { '2', '3', '4' };
	struct img im;
	struct tz *z;
	size_t i;

	(void)state;
	build(&im, 0, cet, 2, cet_t, cet_idx, 2, NULL);
	z = parsed(&im);
	assert_int_equal(tz_offset(z, cet_t[0] - 1), 3600);
	assert_int_equal(tz_offset(z, cet_t[0]), 7200);
	assert_int_equal(tz_offset(z, cet_t[1] - 1), 7200);
	assert_int_equal(tz_offset(z, cet_t[1]), 3600);
	assert_int_equal(tz_offset(z, utc(2040, 7, 1, 0, 0, 0)), 3600);
	tz_free(z);

	for (i = 0; i < sizeof(vers); i++) {
		build(&im, vers[i], cet, 2, cet_t, cet_idx, 2,
		    "CET-1CEST,M3.5.0,M10.5.0/3");
		z = parsed(&im);
		assert_int_equal(tz_offset(z, cet_t[0] - 1), 3600);
		assert_int_equal(tz_offset(z, cet_t[0]), 7200);
		assert_int_equal(tz_offset(z, utc(2040, 7, 1, 0, 0, 0)), 7200);
		tz_free(z);
	}
	/* An empty footer: the last type, as in version 1. */
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "");
	z = parsed(&im);
	assert_int_equal(tz_offset(z, utc(2040, 7, 1, 0, 0, 0)), 3600);
	tz_free(z);
	/* No transitions: the footer rules all time. */
	build(&im, '2', cet, 1, NULL, NULL, 0, "CET-1CEST,M3.5.0,M10.5.0/3");
	z = parsed(&im);
	assert_int_equal(tz_offset(z, utc(1950, 7, 1, 0, 0, 0)), 7200);
	assert_int_equal(tz_offset(z, utc(1950, 1, 1, 0, 0, 0)), 3600);
	tz_free(z);
}

/* A footer's offsets at the given UTC times. */
struct footer_case {
	const char	*tz;
	int		 y, mo, d, h, mi, s;
	long		 off;
};

static const struct footer_case footer_cases[] = {
	{ "<+0330>-3:30", 2040, 1, 1, 0, 0, 0, 12600 },
	{ "<-0930>9:30", 2040, 1, 1, 0, 0, 0, -34200 },
	{ "XXX+1:02:03", 2040, 1, 1, 0, 0, 0, -3723 },
	/* Jn never counts Feb 29: J60 is March 1 in 2028 too. */
	{ "XXX0YYY-1,J60/0,J61/0", 2028, 2, 29, 23, 59, 59, 0 },
	{ "XXX0YYY-1,J60/0,J61/0", 2028, 3, 1, 0, 0, 0, 3600 },
	{ "XXX0YYY-1,J60/0,J61/0", 2028, 3, 1, 22, 59, 59, 3600 },
	{ "XXX0YYY-1,J60/0,J61/0", 2028, 3, 1, 23, 0, 0, 0 },
	/* n counts from 0 and counts Feb 29: 59 is Feb 29 in 2028. */
	{ "XXX0YYY-1,59/0,60/0", 2028, 2, 28, 23, 59, 59, 0 },
	{ "XXX0YYY-1,59/0,60/0", 2028, 2, 29, 0, 0, 0, 3600 },
	{ "XXX0YYY-1,59/0,60/0", 2028, 2, 29, 23, 0, 0, 0 },
	{ "XXX0YYY-1,59/0,60/0", 2027, 3, 1, 12, 0, 0, 3600 },
	{ "XXX0YYY-1,59/0,60/0", 2027, 2, 28, 12, 0, 0, 0 },
	/* 4th Thursday + 50 h: Saturday 2026-03-28 02:00 EET. */
	{ "EET-2EEST,M3.4.4/50,M10.4.4/50", 2026, 3, 27, 23, 59, 59, 7200 },
	{ "EET-2EEST,M3.4.4/50,M10.4.4/50", 2026, 3, 28, 0, 0, 0, 10800 },
	{ "EET-2EEST,M3.4.4/50,M10.4.4/50", 2026, 10, 23, 22, 59, 59, 10800 },
	{ "EET-2EEST,M3.4.4/50,M10.4.4/50", 2026, 10, 23, 23, 0, 0, 7200 },
	/* An hour before Sunday: 2026-03-28 23:00 at -02. */
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 2026, 3, 29, 0, 59, 59, -7200 },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 2026, 3, 29, 1, 0, 0, -3600 },
	/* DST all year (RFC 8536 3.3.1), across the new year too. */
	{ "EST5EDT,0/0,J365/25", 2026, 1, 1, 0, 0, 0, -14400 },
	{ "EST5EDT,0/0,J365/25", 2026, 1, 1, 4, 59, 59, -14400 },
	{ "EST5EDT,0/0,J365/25", 2026, 1, 1, 5, 0, 0, -14400 },
	{ "EST5EDT,0/0,J365/25", 2026, 7, 1, 0, 0, 0, -14400 },
	{ "EST5EDT,0/0,J365/25", 2028, 12, 31, 23, 59, 59, -14400 },
	/* Negative DST, southern order (Europe/Dublin). */
	{ "IST-1GMT0,M10.5.0,M3.5.0/1", 2026, 1, 15, 12, 0, 0, 0 },
	{ "IST-1GMT0,M10.5.0,M3.5.0/1", 2026, 7, 15, 12, 0, 0, 3600 },
	{ "IST-1GMT0,M10.5.0,M3.5.0/1", 2026, 10, 25, 0, 59, 59, 3600 },
	{ "IST-1GMT0,M10.5.0,M3.5.0/1", 2026, 10, 25, 1, 0, 0, 0 },
	/* The 400-year cycle: far years read as near ones. */
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 2426, 3, 29, 0, 59, 59, 3600 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 2426, 3, 29, 1, 0, 0, 7200 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 1626, 3, 29, 1, 0, 0, 7200 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 1626, 3, 29, 0, 59, 59, 3600 },
};

static struct tz *
footer_zone(const char *tz)
{
	static const int32_t zero[] = { 0 };
	struct img im;

	build(&im, '3', zero, 1, NULL, NULL, 0, tz);
	return parsed(&im);
}

static void
test_footer_known(void **state)
{
	const struct footer_case *c;
	struct tz *z;
	size_t i;
	int64_t t;

	(void)state;
	for (i = 0; i < sizeof(footer_cases) / sizeof(footer_cases[0]); i++) {
		c = &footer_cases[i];
		z = footer_zone(c->tz);
		t = utc(c->y, c->mo, c->d, c->h, c->mi, c->s);
		if (tz_offset(z, t) != c->off)
			fail_msg("\"%s\" at %04d-%02d-%02dT%02d:%02d:%02dZ: %ld, "
			    "want %ld", c->tz, c->y, c->mo, c->d, c->h, c->mi,
			    c->s, tz_offset(z, t), c->off);
		tz_free(z);
	}
}

/* TZ strings (no transitions) against glibc's reading of the same
 * string, in 1970..2100 and around the 400-year cycle's end in 2370
 * (glibc reads a TZ string's rules of the years before 1970 as 1970's). */
static void
test_footer_glibc(void **state)
{
	static const char *strs[] = {
		"CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT,M3.2.0,M11.1.0",
		"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
		"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
		"IST-1GMT0,M10.5.0,M3.5.0/1", "<-04>4<-03>,M9.1.6/24,M4.1.6/24",
		"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
		"EET-2EEST,M3.4.4/50,M10.4.4/50",
		"EET-2EEST,M4.5.5/0,M10.5.4/24", "NST3:30NDT,M3.2.0,M11.1.0",
		"<-06>6<-05>,M9.1.6/22,M4.1.6/22", "XXX3YYY,J60/1:30:15,300/-2:15",
		"XXX0YYY-1,59/0,60/0", "XXX-5YYY-6:30,J100/167,J200/-167",
		"WET0WEST,M3.5.0/1,M10.5.0", "<+0330>-3:30", "AAA+24:59:59",
	};
	struct tz *z;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		z = footer_zone(strs[i]);
		compare_glibc(strs[i], strs[i], z, 0,
		    utc(2100, 1, 1, 0, 0, 0), 10799 * 3);
		compare_glibc(strs[i], strs[i], z, utc(2360, 1, 1, 0, 0, 0),
		    utc(2380, 1, 1, 0, 0, 0), 10799);
		tz_free(z);
	}
	unsetenv("TZ");
	tzset();
}

/* Every prefix of a real file, fat and slim, and of a version 1 image is
 * refused with a reason; the whole parses. */
static void
test_truncated(void **state)
{
	char path[256], err[256];
	struct img im;
	struct tz *z;
	FILE *fp;
	size_t full, len;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		if (i < 2) {
			snprintf(path, sizeof(path), "%s/Europe/Berlin",
			    i == 0 ? TZ_DIR : slimdir);
			assert_non_null(fp = fopen(path, "rb"));
			im.n = fread(im.b, 1, sizeof(im.b), fp);
			assert_false(ferror(fp) || !feof(fp));
			fclose(fp);
		} else
			build(&im, 0, cet, 2, cet_t, cet_idx, 2, NULL);
		tz_free(parsed(&im));
		full = im.n;
		for (len = 0; len < full; len++) {
			im.n = len;
			if ((z = parse(&im, err, sizeof(err))) != NULL) {
				tz_free(z);
				fail_msg("%d: took %zu of %zu bytes", i, len,
				    full);
			}
			if (err[0] == '\0')
				fail_msg("%d: no reason at %zu bytes", i, len);
		}
	}
}

static void
test_bad_headers(void **state)
{
	struct img im;
	uint8_t *big;
	char err[256];

	(void)state;
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	im.b[3] = 'F';
	refused(&im, "not a TZif file");
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	im.b[V2 + 2] = 'x';
	refused(&im, "not a TZif file");
	build(&im, '5', cet, 2, cet_t, cet_idx, 2, "CET-1");
	refused(&im, "unknown TZif version 0x35");
	build(&im, '1', cet, 2, cet_t, cet_idx, 2, "CET-1");
	refused(&im, "unknown TZif version 0x31");
	build(&im, '3', cet, 2, cet_t, cet_idx, 2, "CET-1");
	im.b[V2 + 4] = '2';
	refused(&im, "the second header's version differs");
	im.b[V2 + 4] = 0;
	refused(&im, "the second header's version differs");

	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	put32(im.b + V2_TYPECNT, 0);
	refused(&im, "0 time types");
	put32(im.b + V2_TYPECNT, 257);
	refused(&im, "257 time types");
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	put32(im.b + V2_CHARCNT, 0);
	refused(&im, "no abbreviation bytes");
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	put32(im.b + V2 + 20, 3);
	refused(&im, "isutcnt and isstdcnt");
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	put32(im.b + V2 + 24, 1);
	refused(&im, "isutcnt and isstdcnt");

	/* Counts past the file, and counts whose byte sizes wrap 32 bits. */
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	put32(im.b + V2_TIMECNT, 0xffffffff);
	refused(&im, "truncated data");
	put32(im.b + V2_TIMECNT, 0x1c71c71d);	/* * 9 = 2^32 + 5 */
	refused(&im, "truncated data");
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	put32(im.b + V2_LEAPCNT, 0x15555556);	/* * 12 = 2^32 + 8 */
	refused(&im, "truncated data");
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	put32(im.b + V2_CHARCNT, 0xfffffffc);
	refused(&im, "truncated data");
	build(&im, 0, cet, 2, cet_t, cet_idx, 2, NULL);
	put32(im.b + 32, 1000000);
	refused(&im, "truncated data");
	/* The 32-bit block of a version 2 file is skipped by its counts. */
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	put32(im.b + 40, 0x7fffffff);
	refused(&im, "truncated data");

	/* Leap seconds (12 bytes each in version 2 data). */
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, NULL);
	put32(im.b + V2_LEAPCNT, 1);
	add(&im, "\0\0\0\0\0\0\0\0\0\0\0\0\n\n", 14);
	refused(&im, "leap second");

	/* Bytes after a version 1 file's data. */
	build(&im, 0, cet, 2, cet_t, cet_idx, 2, NULL);
	add(&im, "\n", 1);
	refused(&im, "1 bytes after the data");

	assert_non_null(big = calloc(1, 256 * 1024 + 1));
	memcpy(big, im.b, im.n);
	assert_null(tz_parse(big, 256 * 1024 + 1, err, sizeof(err)));
	assert_string_equal(err, "file over 262144 bytes");
	free(big);
	/* errlen 0: nothing written, still refused. */
	assert_null(tz_parse(im.b, 3, NULL, 0));
}

static void
test_bad_data(void **state)
{
	static const int64_t back[] = { 1792890000, 1774746000 };
	static const int64_t same[] = { 1774746000, 1774746000 };
	static const uint8_t out[] = { 1, 2 };
	static const int32_t far[] = { 3600, 93600 };
	static const int32_t low[] = { -90000, 0 };
	static const int32_t minint[] = { INT32_MIN, 0 };
	static const int32_t edge[] = { -89999, 93599 };
	struct img im;
	size_t types;

	(void)state;
	build(&im, '2', cet, 2, back, cet_idx, 2, "CET-1");
	refused(&im, "transition 1 is not after the one before");
	build(&im, '2', cet, 2, same, cet_idx, 2, "CET-1");
	refused(&im, "transition 1 is not after the one before");
	build(&im, 0, cet, 2, back, cet_idx, 2, NULL);
	refused(&im, "transition 1 is not after the one before");
	build(&im, '2', cet, 2, cet_t, out, 2, "CET-1");
	refused(&im, "transition 1 names type 2 of 2");
	build(&im, 0, cet, 2, cet_t, out, 2, NULL);
	refused(&im, "transition 1 names type 2 of 2");
	build(&im, '2', far, 2, cet_t, cet_idx, 2, "CET-1");
	refused(&im, "type 1: offset 93600 s out of range");
	build(&im, '2', low, 2, cet_t, cet_idx, 2, "CET-1");
	refused(&im, "type 0: offset -90000 s out of range");
	build(&im, '2', minint, 2, cet_t, cet_idx, 2, "CET-1");
	refused(&im, "out of range");
	build(&im, '2', edge, 2, cet_t, cet_idx, 2, "CET-1");
	tz_free(parsed(&im));

	types = V2_DATA + 2 * 9;
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	im.b[types + 6 + 4] = 2;
	refused(&im, "type 1: isdst 2");
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	im.b[types + 5] = 4;
	refused(&im, "type 0: abbreviation index 4 of 4");
}

static void
test_bad_footers(void **state)
{
	static const char *bad[] = {
		"hello world", "CET", "CET-", "CET-1CEST", "CET-1CEST,",
		"CET-1CEST,M3.5.0", "CET-1CEST,M3.5.0,", "CE-1",
		"<AB>-1", "<ABC-1", "<A B>-1", "CET-25", "CET-1:60",
		"CET-1:00:60", "CET-1CEST-25,M3.5.0,M10.5.0",
		"CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M0.1.0,M10.5.0",
		"CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.0.0,M10.5.0",
		"CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,M3.5,M10.5.0",
		"CET-1CEST,J0,J100", "CET-1CEST,J366,J100", "CET-1CEST,366,J100",
		"CET-1CEST,M3.5.0/168,M10.5.0", "CET-1CEST,M3.5.0/-168,M10.5.0",
		"CET-1CEST,M3.5.0/,M10.5.0", "CET-1CEST,M3.5.0,M10.5.0/3x",
		"CET-1CEST,M3.5.0,M10.5.0,", "CET-1 ", " CET-1",
		"CET-0001", "CET-1CEST,M0003.5.0,M10.5.0", "CET-1:5:",
	};
	static const char *unprintable[] = { "CET-1\r", "CET\xff-1",
	    "X\tX-1", "CET-1\x7f" };
	char footer[512];
	struct img im;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build(&im, '2', cet, 2, cet_t, cet_idx, 2, bad[i]);
		refused(&im, "bad footer TZ string");
	}
	for (i = 0; i < sizeof(unprintable) / sizeof(unprintable[0]); i++) {
		build(&im, '2', cet, 2, cet_t, cet_idx, 2, unprintable[i]);
		refused(&im, "is not printable ASCII");
	}
	/* Good ones at their limits. */
	build(&im, '3', cet, 2, cet_t, cet_idx, 2,
	    "<+0330>-3:30<A-1>-24:59:59,J365/-167:59:59,0/167:59:59");
	tz_free(parsed(&im));
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1CEST-2,M3.5.0,M10.5.0");
	tz_free(parsed(&im));

	/* No footer line at all, and one that does not start it. */
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, NULL);
	refused(&im, "no footer");
	add(&im, "CET-1\n", 6);
	refused(&im, "no footer");
	/* No newline at its end. */
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, NULL);
	add(&im, "\nCET-1", 6);
	refused(&im, "footer without its newline");
	/* Overlong, ended or not. */
	memset(footer, 'A', 300);
	footer[300] = '\0';
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, footer);
	refused(&im, "footer over 128 bytes");
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, NULL);
	add(&im, "\n", 1);
	add(&im, footer, 300);
	refused(&im, "footer over 128 bytes");
	footer[128] = '\0';
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, footer);
	refused(&im, "bad footer TZ string");	/* 128 is not over */
	/* Bytes after it. */
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	add(&im, "x", 1);
	refused(&im, "1 bytes after the footer");
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, "CET-1");
	add(&im, "\n", 1);
	refused(&im, "1 bytes after the footer");
	/* A NUL inside. */
	build(&im, '2', cet, 2, cet_t, cet_idx, 2, NULL);
	add(&im, "\nCET-1\0CEST\n", 12);
	refused(&im, "footer byte 5 is not printable ASCII");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_offsets),
		cmocka_unit_test(test_ends_of_time),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_load_refusals),
		cmocka_unit_test(test_glibc_detailed),
		cmocka_unit_test(test_glibc_every_zone),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_footer_known),
		cmocka_unit_test(test_footer_glibc),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_data),
		cmocka_unit_test(test_bad_footers),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
