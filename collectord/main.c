/*
 * main.c: collectord(8): command line, configuration check, daemon set-up.
 * Everything else is in libcollectord.a, which the tests link too.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "collectord.h"
#include "daemon.h"
#include "log.h"
#include "xmalloc.h"

#define DEFAULT_CONF AV_SYSCONFDIR "/collectord.conf"

/*
 * An absolute version of a path given on the command line: --daemonize
 * changes to "/", and SIGHUP reads the configuration again from there.
 */
static const char *
absolute(const char *path)
{
	char	cwd[4096];

	if (path == NULL || path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return path;
	return xasprintf("%s/%s", cwd, path);	/* lives as long as we do */
}

/* The --help text; collectord.8 says the same at length. */
static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: collectord [-nv] [-c FILE] [-s PATH] [-g URL] [--spool DIR]\n"
"                  [--daemonize] [--pidfile FILE] [--version] [--help]\n"
"  -c, --config FILE   configuration file (default " DEFAULT_CONF ")\n"
"  -s, --socket PATH   Unix socket to listen on (default "
    AV_RUNDIR "/collectord.sock)\n"
"  -g, --gateway URL   gatewayd base URL (default http://127.0.0.1:8000)\n"
"      --spool DIR     spool directory (default " AV_SPOOLDIR ")\n"
"  -n                  check the configuration, print \"configuration OK\"\n"
"  -v                  more logging (repeat for more)\n"
"      --daemonize     detach and log to syslog (default: foreground)\n"
"      --pidfile FILE  write the pid to FILE\n"
"      --version       print the version\n"
"      --help          this text\n"
"The ingest token comes from the configuration file or the environment\n"
"variable AGENTVIS_INGEST_TOKEN, never from the command line.\n"
"Signals: TERM/INT stop, HUP reloads, USR1 logs statistics.\n");
}

int
main(int argc, char **argv)
{
	enum { OPT_SPOOL = 256, OPT_DAEMONIZE, OPT_PIDFILE, OPT_VERSION,
	    OPT_HELP };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "spool", required_argument, NULL, OPT_SPOOL },
		{ "daemonize", no_argument, NULL, OPT_DAEMONIZE },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct collectord	 cd;
	const char		*pidfile = NULL;
	char			*cause = NULL;
	int			 ch, check = 0, verbose = 0, detach = 0, rc;

	memset(&cd, 0, sizeof cd);
	cd.conf_path = DEFAULT_CONF;
	cd.pidfd = -1;
	while ((ch = getopt_long(argc, argv, "c:s:g:nv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			cd.conf_path = optarg;
			cd.conf_must_exist = 1;
			break;
		case 's':
			cd.opt_socket = optarg;
			break;
		case 'g':
			cd.opt_gateway = optarg;
			break;
		case OPT_SPOOL:
			cd.opt_spool = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		case OPT_DAEMONIZE:
			detach = 1;
			break;
		case OPT_PIDFILE:
			pidfile = optarg;
			break;
		case OPT_VERSION:
			printf("collectord %s\n", PACKAGE_VERSION);
			return 0;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 64;
	}

	log_init("collectord", LOG_TO_STDERR, verbose);
	cd.conf_path = absolute(cd.conf_path);
	cd.opt_socket = absolute(cd.opt_socket);
	cd.opt_spool = absolute(cd.opt_spool);
	pidfile = absolute(pidfile);
	if (cd_configure(&cd, &cd.conf, &cd.set, &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
		return 1;
	}
	if (check) {
		if (verbose > 0)
			conf_dump(cdconf_keys, &cd.conf, stdout);
		printf("configuration OK\n");
		cdconf_settings_free(&cd.set);
		cdconf_free(&cd.conf);
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit, a write error the spool handles, not death. */
	signal(SIGXFSZ, SIG_IGN);
	/* Set up first, so that errors reach the terminal, then detach. */
	if (cd_init(&cd, &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
		cd_free(&cd);
		return 1;
	}
	if (detach) {
		if (daemon_detach(&cause) == -1) {
			log_warnx("%s", cause);
			free(cause);
			cd_free(&cd);
			return 1;
		}
		log_init("collectord", LOG_TO_SYSLOG, verbose);
		/* The child's epoll set must be its own. */
		if (event_reinit(cd.base) == -1)
			fatalx("event_reinit failed");
	}
	if (pidfile != NULL &&
	    (cd.pidfd = pidfile_create(pidfile, &cause)) == -1) {
		log_warnx("%s", cause);
		free(cause);
		cd_free(&cd);
		return 1;
	}
	sdnotify("READY=1");
	rc = cd_run(&cd);
	sdnotify("STOPPING=1");
	cd_free(&cd);
	if (pidfile != NULL)
		pidfile_remove(pidfile);
	log_info("exiting");
	return rc;
}
