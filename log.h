/*
 * log.h: logging in the manner of OpenBSD's daemons. Messages go to stderr
 * (journald and Docker collect it) with a level prefix, and with its syslog
 * priority (<3>..<7>) when stderr is the journal. log_err is for what
 * stops the gateway or loses something, log_warn for what it survives;
 * log_err, log_warn and fatal append strerror(errno), the x variants do
 * not. fatal and fatalx exit(1).
 */
#ifndef OUTPOST_LOG_H
#define OUTPOST_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void	log_init(const char *procname, enum log_level level);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * A tap sees every line written, after the level filter: its level and
 * the message without the process name or level prefix (len bytes, not
 * NUL-terminated). One per process (the logger is process-wide); NULL
 * removes it. It must not log itself. The node agent keeps its recent
 * lines this way (node/logring.h).
 */
typedef void (*log_tap_cb)(enum log_level level, const char *msg, size_t len,
    void *arg);
void	log_set_tap(log_tap_cb tap, void *arg);

/*
 * A line a library asked to log (libcoap's log handler takes no context of
 * ours): errors always, the rest within a budget of the process, since a
 * peer can make the library say something for every datagram it sends.
 */
void	log_relay(enum log_level level, const char *from, const char *msg,
	    int len);

/* Logs each line of text (lines of "\n"), after prefix, at level. */
void	log_lines(enum log_level level, const char *prefix, const char *text);

/*
 * A budget of log lines a second for one cause that anyone may set off (a
 * refused handshake, a refused token): log_budget_take says whether one
 * more line may be written now. What is held back is counted and said in
 * one line, held (a format with one %u), when a later second begins. The
 * caller keeps the budget in its own state, zeroed.
 */
struct log_budget {
	int64_t		 second;
	unsigned	 n, dropped;
};
int	log_budget_take(struct log_budget *b, unsigned per_second,
	    const char *held);

#endif /* OUTPOST_LOG_H */
