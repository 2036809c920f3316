/*
 * proc.c: the start-up both daemons share (see proc.h).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "proc.h"
#include "xmalloc.h"

#define PROC_EX_USAGE	64

/* Long options without a short form, above any daemon's own. */
enum {
	PROC_OPT_DAEMONIZE = 0x7f00,
	PROC_OPT_PIDFILE,
	PROC_OPT_VERSION,
};

static const struct option proc_longopts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "check",	no_argument,		NULL, 'n' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "daemonize",	no_argument,		NULL, PROC_OPT_DAEMONIZE },
	{ "pidfile",	required_argument,	NULL, PROC_OPT_PIDFILE },
	{ "version",	no_argument,		NULL, PROC_OPT_VERSION },
	{ "help",	no_argument,		NULL, 'h' },
};
#define PROC_NLONG	(sizeof proc_longopts / sizeof proc_longopts[0])

/* path made absolute against the working directory. */
const char *
proc_absolute(const char *path)
{
	char	cwd[4096];

	if (path == NULL || path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return path;
	return xasprintf("%s/%s", cwd, path);	/* lives as long as we do */
}

/* Parse the command line; see proc.h. */
int
proc_parse(struct proc *p, const char *name, const struct proc_args *a,
    int argc, char **argv)
{
	struct option	*longopts;
	char		*shortopts;
	size_t		 n = 0, i;
	int		 ch, rc;

	memset(p, 0, sizeof *p);
	p->name = name;
	p->pidfd = -1;
	p->conf_path = a->default_conf;
	for (n = 0; a->longopts != NULL && a->longopts[n].name != NULL; n++)
		;
	longopts = xcalloc(n + PROC_NLONG + 1, sizeof *longopts);
	memcpy(longopts, proc_longopts, sizeof proc_longopts);
	for (i = 0; i < n; i++)
		longopts[PROC_NLONG + i] = a->longopts[i];
	shortopts = xasprintf("c:hnv%s", a->shortopts != NULL ?
	    a->shortopts : "");

	rc = -1;
	while (rc == -1 && (ch = getopt_long(argc, argv, shortopts, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			p->conf_path = optarg;
			p->conf_given = 1;
			break;
		case 'n':
			p->check = 1;
			break;
		case 'v':
			p->verbose++;
			break;
		case PROC_OPT_DAEMONIZE:
			p->daemonize = 1;
			break;
		case PROC_OPT_PIDFILE:
			p->pidfile = optarg;
			break;
		case PROC_OPT_VERSION:
			printf("%s %s\n", name, PACKAGE_VERSION);
			rc = 0;
			break;
		case 'h':
			a->usage(stdout);
			rc = 0;
			break;
		case '?':
			a->usage(stderr);
			rc = PROC_EX_USAGE;
			break;
		default:
			if ((rc = a->take(a->arg, ch, optarg)) == 0)
				rc = -1;
			break;
		}
	}
	free(longopts);
	free(shortopts);
	if (rc != -1)
		return rc;
	if (optind != argc) {
		a->usage(stderr);
		return PROC_EX_USAGE;
	}
	log_init(name, LOG_TO_STDERR, p->verbose);
	p->conf_path = proc_absolute(p->conf_path);
	p->pidfile = proc_absolute(p->pidfile);
	return -1;
}

/* -n: the configuration is good. */
int
proc_checked(const struct proc *p, const struct conf_key *keys,
    const void *conf)
{
	if (p->verbose > 0)
		conf_dump(keys, conf, stdout);
	printf("configuration OK\n");
	return 0;
}

/* Ignore what a daemon never wants to die of. */
void
proc_ignore_signals(void)
{
	/* A peer that closed on us: a write error, handled where it occurs. */
	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit: a write error the store or spool handles. */
	signal(SIGXFSZ, SIG_IGN);
}

/* --daemonize, then --pidfile. */
int
proc_detach(struct proc *p, char **cause)
{
	if (p->daemonize) {
		if (daemon_detach(cause) != 0)
			return -1;
		log_init(p->name, LOG_TO_SYSLOG, p->verbose);
	}
	return proc_pidfile(p, cause);
}

/* The pid file, after detaching: fcntl locks do not pass to a child. */
int
proc_pidfile(struct proc *p, char **cause)
{
	if (p->pidfile == NULL || p->pidfd >= 0)
		return 0;
	if ((p->pidfd = pidfile_create(p->pidfile, cause)) < 0)
		return -1;
	return 0;
}

/* At exit. */
void
proc_end(struct proc *p)
{
	if (p->pidfd < 0)
		return;
	pidfile_remove(p->pidfile);
	close(p->pidfd);
	p->pidfd = -1;
}
