/*
 * tz.h: the local time of day in a named time zone (a job's daily window
 * in "Europe/Berlin"), read from the system's zoneinfo files (TZif, RFC
 * 8536) by tz.c itself: the process's TZ and localtime are never touched.
 * A zone is loaded once and kept (struct tz); its rules after the last
 * transition come from the file's footer (a POSIX TZ string).
 */
#ifndef OUTPOST_TZ_H
#define OUTPOST_TZ_H

#include <stddef.h>
#include <stdint.h>

#define TZ_NAME_MAX	64
#define TZ_DIR		"/usr/share/zoneinfo"

struct tz;

/* Whether name has the form of a zone name: [A-Za-z0-9_+-] segments
 * joined by '/', none "." or "..", at most TZ_NAME_MAX bytes. */
int		 tz_name_ok(const char *name);

/* Loads zone name from dir (TZ_DIR; tests pass their own). "UTC" and ""
 * need no file. Returns the zone, or NULL with the reason in err. */
struct tz	*tz_load(const char *dir, const char *name, char *err,
		    size_t errlen);
void		 tz_free(struct tz *z);

/* A TZif image buf[0..len) (untrusted: the fuzz target's entry). */
struct tz	*tz_parse(const uint8_t *buf, size_t len, char *err,
		    size_t errlen);

/* The offset from UTC in seconds at Unix time t. */
long		 tz_offset(const struct tz *z, int64_t t);

/* Minutes since local midnight (0..1439) at Unix time t; z NULL: UTC. */
int		 tz_minute_of_day(const struct tz *z, int64_t t);

/* Whether t falls in the daily window [from, to) of minutes of the day
 * in z (NULL: UTC); one with from > to spans midnight, from < 0 is
 * always open. */
int		 tz_in_window(const struct tz *z, int from, int to, int64_t t);

#endif /* OUTPOST_TZ_H */
