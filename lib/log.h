/*
 * log.h: the one log API of hookcli, collectord and gatewayd.
 *
 * In the foreground messages go to stderr, prefixed with the program name;
 * once a daemon detaches (log_init with LOG_TO_SYSLOG) they go to syslog.
 * log_warn() appends strerror(errno); the *x variants do not.
 *
 * A line that someone outside can cause (a client on the socket or over
 * HTTP, a full disk) goes through a struct log_limit: at most one such
 * line every LOG_LIMIT_SEC per call site, and the next one that goes out
 * says how many were held back since the previous, so a flood costs a few
 * lines and the log still tells its size.
 */
#ifndef AV_LOG_H
#define AV_LOG_H

#include <stdarg.h>
#include <stdint.h>

#define AV_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define AV_NORETURN __attribute__((noreturn))

enum log_dest {
	LOG_TO_STDERR,
	LOG_TO_SYSLOG,
};

/* Set the program name, destination and verbosity (0 = info, 1+ = debug). */
void log_init(const char *progname, enum log_dest dest, int verbose);
/* Change the verbosity (SIGHUP, -v). */
void log_setverbose(int verbose);
/* Current verbosity. */
int log_getverbose(void);
/* Warning with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) AV_PRINTF(1, 2);
/* Warning without errno. */
void log_warnx(const char *fmt, ...) AV_PRINTF(1, 2);
/* Informational message. */
void log_info(const char *fmt, ...) AV_PRINTF(1, 2);
/* Debug message, shown only with -v. */
void log_debug(const char *fmt, ...) AV_PRINTF(1, 2);
/* Log with strerror(errno) and exit(1). */
void fatal(const char *fmt, ...) AV_PRINTF(1, 2) AV_NORETURN;
/* Log and exit(1). */
void fatalx(const char *fmt, ...) AV_PRINTF(1, 2) AV_NORETURN;

/*
 * Lines through one struct log_limit go out at most once per this many
 * seconds. Long enough that a flood is a handful of lines a minute, short
 * enough that a lasting fault is seen again soon.
 */
#define LOG_LIMIT_SEC	10

/*
 * The state of one rate-limited call site; zeroed (static) to start. Used
 * from one thread only: a call site in a thread of its own has its own.
 */
struct log_limit {
	int64_t		last_us;	/* monotonic; 0: nothing went out yet */
	unsigned long	held;		/* lines held back since last_us */
};

/*
 * May a line go through l at now_us (monotonic µs)? If so returns 1 with
 * the count held back since the previous one in *held and the µs since it
 * in *since_us, and starts a new interval; else counts the line, returns 0.
 */
int log_limit_pass(struct log_limit *l, int64_t now_us, unsigned long *held,
    int64_t *since_us);
/* log_warn through l. */
void log_limit_warn(struct log_limit *l, const char *fmt, ...) AV_PRINTF(2, 3);
/* log_warnx through l. */
void log_limit_warnx(struct log_limit *l, const char *fmt, ...)
    AV_PRINTF(2, 3);
/* log_info through l. */
void log_limit_info(struct log_limit *l, const char *fmt, ...) AV_PRINTF(2, 3);

/* The same with a struct log_limit of the call site's own. */
#define log_warn_limited(...) do {					\
	static struct log_limit log_limit_site_;				\
	log_limit_warn(&log_limit_site_, __VA_ARGS__);			\
} while (0)
#define log_warnx_limited(...) do {					\
	static struct log_limit log_limit_site_;				\
	log_limit_warnx(&log_limit_site_, __VA_ARGS__);			\
} while (0)
#define log_info_limited(...) do {					\
	static struct log_limit log_limit_site_;				\
	log_limit_info(&log_limit_site_, __VA_ARGS__);			\
} while (0)

#endif
