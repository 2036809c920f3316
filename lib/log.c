/*
 * log.c: stderr in the foreground, syslog once detached. Modelled on the
 * OpenBSD daemons' log.c: one place decides where a message goes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "timefmt.h"

static const char	*log_prog = "agentvis";
static enum log_dest	 log_dest = LOG_TO_STDERR;
static int		 log_verbose;

/* Set where messages go and how many. */
void
log_init(const char *progname, enum log_dest dest, int verbose)
{
	log_prog = progname;
	log_dest = dest;
	log_verbose = verbose;
	if (dest == LOG_TO_SYSLOG)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Change the verbosity. */
void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

/* Current verbosity. */
int
log_getverbose(void)
{
	return log_verbose;
}

/*
 * Emit one message at priority pri, with an optional errno string and an
 * optional note after it (the count of a rate limit).
 */
static void
log_vemit(int pri, const char *errstr, const char *note, const char *fmt,
    va_list ap)
{
	char	msg[2048];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (note == NULL)
		note = "";
	if (log_dest == LOG_TO_SYSLOG) {
		if (errstr != NULL)
			syslog(pri, "%s: %s%s", msg, errstr, note);
		else
			syslog(pri, "%s%s", msg, note);
		return;
	}
	/* One write per line, so lines from several processes don't interleave. */
	if (errstr != NULL)
		fprintf(stderr, "%s: %s: %s%s\n", log_prog, msg, errstr, note);
	else
		fprintf(stderr, "%s: %s%s\n", log_prog, msg, note);
}

/* Emit one message at priority pri, with an optional errno string. */
static void
log_emit(int pri, const char *errstr, const char *fmt, va_list ap)
{
	log_vemit(pri, errstr, NULL, fmt, ap);
}

/* Warning with strerror(errno). */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Warning without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

/* Informational message. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* Debug message, only with -v. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

/* Log with errno and exit. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log and exit. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/* May a line go through l now? See log.h. */
int
log_limit_pass(struct log_limit *l, int64_t now_us, unsigned long *held,
    int64_t *since_us)
{
	if (l->last_us != 0 && now_us - l->last_us < LOG_LIMIT_SEC * 1000000LL) {
		l->held++;
		return 0;
	}
	*held = l->held;
	*since_us = l->last_us != 0 ? now_us - l->last_us : 0;
	l->held = 0;
	/* 0 means "never": a clock that reads 0 still starts an interval. */
	l->last_us = now_us != 0 ? now_us : 1;
	return 1;
}

/*
 * Emit a line through l if it may go, with the count held back before it:
 * " (312 more like this in the last 14 s)", to the nearest second.
 */
static void
log_limit_emit(struct log_limit *l, int pri, const char *errstr,
    const char *fmt, va_list ap)
{
	char		note[96];
	unsigned long	held;
	int64_t		since;

	if (!log_limit_pass(l, ts_mono_us(), &held, &since))
		return;
	note[0] = '\0';
	if (held > 0)
		snprintf(note, sizeof note, " (%lu more like this in the last "
		    "%lld s)", held, (long long)((since + 500000) / 1000000));
	log_vemit(pri, errstr, note, fmt, ap);
}

/* log_warn through l. */
void
log_limit_warn(struct log_limit *l, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_limit_emit(l, LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

/* log_warnx through l. */
void
log_limit_warnx(struct log_limit *l, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_limit_emit(l, LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

/* log_info through l. */
void
log_limit_info(struct log_limit *l, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_limit_emit(l, LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}
