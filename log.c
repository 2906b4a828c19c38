/*
 * log.c: see log.h. Not signal-safe: call from the reactor only.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char	*log_procname = "outpost";
static enum log_level	 log_level = LOG_LEVEL_INFO;
static int		 log_journal;	/* stderr is journald's stream */
static struct log_budget log_relayed;	/* log_relay's lines */
static log_tap_cb	 log_tap;	/* log_set_tap's, or NULL */
static void		*log_tap_arg;

#define LOG_RELAY_PER_SECOND	10

/*
 * Whether stderr is the stream systemd connected to the journal: then
 * JOURNAL_STREAM holds its "device:inode" (systemd.exec(5)), and each line
 * starts with its syslog priority, <3> to <7>, which journald takes off
 * and keeps (journalctl -p warning finds the warnings).
 */
static int
log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat sb;

	if (js == NULL || sscanf(js, "%ju:%ju", &dev, &ino) != 2 ||
	    fstat(2, &sb) == -1)
		return 0;
	return (uintmax_t)sb.st_dev == dev && (uintmax_t)sb.st_ino == ino;
}

void
log_init(const char *procname, enum log_level level)
{
	log_procname = procname;
	log_level = level;
	log_journal = log_stderr_is_journal();
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_set_tap(log_tap_cb tap, void *arg)
{
	log_tap = tap;
	log_tap_arg = arg;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

/* Writes one line: "outpost: warning: message[: strerror]", after its
 * syslog priority for the journal. */
static void
log_emit(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		"error: ", "warning: ", "", "debug: "
	};
	static const char *const priority[] = { "<3>", "<4>", "<6>", "<7>" };
	int saved = errno, n;
	char msg[1024];

	if (level > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		n = 0;
	else if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (with_errno)
		fprintf(stderr, "%s%s: %s%s: %s\n", log_journal ?
		    priority[level] : "", log_procname, prefix[level], msg,
		    strerror(saved));
	else
		fprintf(stderr, "%s%s: %s%s\n", log_journal ? priority[level] :
		    "", log_procname, prefix[level], msg);
	if (log_tap != NULL) {
		if (with_errno)
			n += snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
			    strerror(saved));
		log_tap(level, msg, (size_t)n < sizeof(msg) ? (size_t)n :
		    sizeof(msg) - 1, log_tap_arg);
	}
	errno = saved;
}

#define LOG_FN(name, level, with_errno)			\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_emit(level, with_errno, fmt, ap);		\
	va_end(ap);					\
}

LOG_FN(log_err, LOG_LEVEL_ERROR, 1)
LOG_FN(log_errx, LOG_LEVEL_ERROR, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_relay(enum log_level level, const char *from, const char *msg, int len)
{
	if (level > log_level)
		return;
	if (level > LOG_LEVEL_ERROR && !log_budget_take(&log_relayed,
	    LOG_RELAY_PER_SECOND, "log: %u more lines of libraries not logged "
	    "(malformed datagrams and the like)"))
		return;
	if (level == LOG_LEVEL_ERROR)
		log_warnx("%s: %.*s", from, len, msg);
	else if (level == LOG_LEVEL_WARN || level == LOG_LEVEL_INFO)
		log_info("%s: %.*s", from, len, msg);
	else
		log_debug("%s: %.*s", from, len, msg);
}

void
log_lines(enum log_level level, const char *prefix, const char *text)
{
	const char *e;
	int n;

	for (; *text != '\0'; text = *e == '\n' ? e + 1 : e) {
		e = text + strcspn(text, "\n");
		n = (int)(e - text);
		if (level == LOG_LEVEL_ERROR)
			log_errx("%s%.*s", prefix, n, text);
		else if (level == LOG_LEVEL_WARN)
			log_warnx("%s%.*s", prefix, n, text);
		else
			log_info("%s%.*s", prefix, n, text);
	}
}

int
log_budget_take(struct log_budget *b, unsigned per_second, const char *held)
{
	int64_t now = (int64_t)time(NULL);

	if (now != b->second) {
		if (b->dropped > 0)
			log_info(held, b->dropped);
		b->second = now;
		b->n = b->dropped = 0;
	}
	if (b->n < per_second) {
		b->n++;
		return 1;
	}
	b->dropped++;
	return 0;
}
