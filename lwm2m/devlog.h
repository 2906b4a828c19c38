/*
 * devlog.h: a device's Event Log (LwM2M object 20, /20/0/4014 LogData)
 * read into lines, and the since= time that selects them. Pure: no I/O.
 *
 * outpost-node writes LogData in its LogDataFormat 100: one line each,
 * "SECONDS.MMM TEXT\n" (Unix time). Another device's LogData is taken as
 * lines of text without a time. Whatever the device sent, a line's text
 * comes out as valid UTF-8 without controls (each bad byte a '?'), at
 * most DEVLOG_TEXT_MAX bytes.
 */
#ifndef OUTPOST_DEVLOG_H
#define OUTPOST_DEVLOG_H

#include <stddef.h>
#include <stdint.h>

#define DEVLOG_PATH		"20/0/4014"	/* LogData */
#define DEVLOG_TEXT_MAX		1024	/* bytes of a line's text */
#define DEVLOG_LINES_MAX	1000	/* lines of one answer at most */
#define DEVLOG_NO_TIME		INT64_MIN	/* a line without one */

struct cJSON;

/*
 * The lines of body (len bytes, a device's LogData) whose time is at or
 * after since_ms (INT64_MIN: all, lines without a time too; else those
 * without a time are left out), the last limit of them (at most
 * DEVLOG_LINES_MAX), oldest first, as a JSON array of {"t": RFC 3339 UTC
 * with milliseconds, or null, "text": "..."}. The caller deletes it; NULL
 * only when memory runs out.
 */
struct cJSON	*devlog_lines(const uint8_t *body, size_t len, int64_t since_ms,
		    size_t limit);

/*
 * A since= value: Unix seconds (a fraction to the millisecond allowed)
 * or an RFC 3339 time ("2026-12-07T22:00:00Z", "...00.250+01:00") as Unix
 * milliseconds in *ms. 0, or -1 when it is neither.
 */
int		 devlog_since(const char *s, int64_t *ms);

/* Unix milliseconds as RFC 3339 UTC with milliseconds
 * ("2026-12-07T22:00:00.250Z") into buf (at least 32 bytes). */
const char	*devlog_time_str(int64_t ms, char *buf, size_t len);

#endif /* OUTPOST_DEVLOG_H */
