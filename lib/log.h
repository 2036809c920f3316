/*
 * log.h: the one log API of hookcli, collectord and gatewayd.
 *
 * In the foreground messages go to stderr, prefixed with the program name;
 * once a daemon detaches (log_init with LOG_TO_SYSLOG) they go to syslog.
 * log_warn() appends strerror(errno); the *x variants do not.
 */
#ifndef AV_LOG_H
#define AV_LOG_H

#include <stdarg.h>

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

#endif
