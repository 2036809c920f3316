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

/* Emit one message at priority pri, with an optional errno string. */
static void
log_emit(int pri, const char *errstr, const char *fmt, va_list ap)
{
	char	msg[2048];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_dest == LOG_TO_SYSLOG) {
		if (errstr != NULL)
			syslog(pri, "%s: %s", msg, errstr);
		else
			syslog(pri, "%s", msg);
		return;
	}
	/* One write per line, so lines from several processes don't interleave. */
	if (errstr != NULL)
		fprintf(stderr, "%s: %s: %s\n", log_prog, msg, errstr);
	else
		fprintf(stderr, "%s: %s\n", log_prog, msg);
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
