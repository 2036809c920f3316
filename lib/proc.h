/*
 * proc.h: what both daemons do alike between main() and their event
 * loop: the options they share (-c, -n, -v, --daemonize, --pidfile,
 * --version, -h), paths made absolute before the move to "/", the
 * configuration check, detaching, the pid file and the signals no daemon
 * wants. Each daemon adds its own options and runs its own loop.
 */
#ifndef AV_PROC_H
#define AV_PROC_H

#include <getopt.h>
#include <stdio.h>

#include "conf.h"

/* What the shared options said, and the pid file while it is held. */
struct proc {
	const char	*name;		/* "gatewayd", for messages and logs */
	const char	*conf_path;	/* -c, absolute; else the default */
	int		 conf_given;	/* -c: the file must exist */
	int		 check;		/* -n, --check */
	int		 verbose;	/* -v, --verbose, repeated */
	int		 daemonize;	/* --daemonize */
	const char	*pidfile;	/* --pidfile, absolute; or NULL */
	int		 pidfd;
};

/* A daemon's own options and how to take them. */
struct proc_args {
	const char	*default_conf;	/* the configuration file when no -c */
	const char	*shortopts;	/* the daemon's own, e.g. "l:" */
	const struct option *longopts;	/* the daemon's own, NULL-ended */
	/* Take one of them: 0, or an exit status to end with. */
	int		(*take)(void *arg, int ch, const char *value);
	void		*arg;
	void		(*usage)(FILE *fp);
};

/*
 * Parse argv: the shared options into p, the daemon's through a->take.
 * Starts logging to stderr at the verbosity asked. Returns -1 to go on,
 * or the status to exit with (0 after --help or --version, 64 for a
 * usage error, after the usage text).
 */
int proc_parse(struct proc *p, const char *name, const struct proc_args *a,
    int argc, char **argv);

/* path made absolute against the working directory (the daemon moves to
 * "/" when it detaches, and reloads from there); NULL stays NULL. */
const char *proc_absolute(const char *path);

/* -n: print the configuration with -v, then "configuration OK"; 0. */
int proc_checked(const struct proc *p, const struct conf_key *keys,
    const void *conf);

/* Ignore what a daemon never wants to die of: SIGPIPE, SIGXFSZ. */
void proc_ignore_signals(void);

/*
 * --daemonize: fork into the background (the parent exits 0), setsid,
 * stdio to /dev/null, log to syslog. Then --pidfile. 0, or -1 with
 * *cause. Call once set up, so that errors still reached the terminal.
 */
int proc_detach(struct proc *p, char **cause);

/* The pid file, if asked for: 0, or -1 with *cause. */
int proc_pidfile(struct proc *p, char **cause);

/* At exit: remove the pid file. */
void proc_end(struct proc *p);

#endif
