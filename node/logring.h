/*
 * logring.h: a bounded ring of recent log lines, each with its time, for
 * the Event Log object (/20/0, obj_eventlog.c). A single agent keeps one
 * ring: its own log lines (log.c's tap) and the output of the commands it
 * runs (exec.c); a fleet device gets one of its own, made at its first
 * line, for what happens to that device alone.
 *
 * The ring is bounded in bytes: a new line pushes out the oldest until it
 * fits. Lines are kept as they came, one per call, each cut to
 * LOGRING_LINE_MAX bytes (at a character boundary) with control
 * characters made spaces, so a line never holds a newline. No I/O, no
 * clock: the caller gives each line its time.
 */
#ifndef OUTPOST_NODE_LOGRING_H
#define OUTPOST_NODE_LOGRING_H

#include <stddef.h>
#include <stdint.h>

#define LOGRING_LINE_MAX	240	/* bytes of a line's text */
#define LOGRING_MIN		512	/* bytes of the smallest ring */

struct logring;

/* A ring of cap bytes (at least LOGRING_MIN); NULL when memory runs out.
 * The caller frees it with logring_free (NULL is fine). */
struct logring	*logring_new(size_t cap);
void		 logring_free(struct logring *r);

/* Adds one line of len bytes (no NUL needed) at t_ms, Unix time in
 * milliseconds. An empty line is kept as one. */
void		 logring_add(struct logring *r, int64_t t_ms, const char *text,
		    size_t len);

/* While stopped (LogStop), logring_add keeps nothing. */
void		 logring_set_stopped(struct logring *r, int stopped);
int		 logring_stopped(const struct logring *r);

/* Forgets every line. */
void		 logring_clear(struct logring *r);

/* Lines kept now, and the bytes they take of the ring. */
size_t		 logring_count(const struct logring *r);
size_t		 logring_used(const struct logring *r);

/*
 * The lines at or after since_ms, oldest first, as the Event Log's
 * LogData (LogDataFormat LOGRING_FORMAT): one line each, "SECONDS.MMM
 * TEXT\n" (Unix seconds and milliseconds, one space, the text). A
 * NUL-terminated string the caller frees, its length in *len (may be
 * NULL); "" for none. NULL when memory runs out.
 */
#define LOGRING_FORMAT	100	/* vendor-specific LogDataFormat */
char		*logring_render(const struct logring *r, int64_t since_ms,
		    size_t *len);

#endif /* OUTPOST_NODE_LOGRING_H */
