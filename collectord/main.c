/*
 * main.c: collectord(8): command line, configuration check, daemon set-up.
 * Everything else is in libcollectord.a, which the tests link too.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "collectord.h"
#include "daemon.h"
#include "log.h"
#include "proc.h"
#include "token.h"
#include "xmalloc.h"

#define DEFAULT_CONF AV_SYSCONFDIR "/collectord.conf"

/* collectord's own options; proc.c has the ones both daemons share. */
enum { OPT_SPOOL = 256, OPT_INIT_TOKEN };
static const struct option longopts[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "gateway", required_argument, NULL, 'g' },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "init-token", no_argument, NULL, OPT_INIT_TOKEN },
	{ NULL, 0, NULL, 0 }
};

/* --init-token was given. */
static int main_init_token;

/* The --help text; collectord.8 says the same at length. */
static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: collectord [-nv] [-c FILE] [-s PATH] [-g URL] [--spool DIR]\n"
"                  [--daemonize] [--pidfile FILE] [--init-token] [--version]\n"
"                  [--help]\n"
"  -c, --config FILE   configuration file (default " DEFAULT_CONF ")\n"
"  -s, --socket PATH   Unix socket to listen on (default "
    AV_RUNDIR "/collectord.sock)\n"
"  -g, --gateway URL   gatewayd base URL (default http://127.0.0.1:8000)\n"
"      --spool DIR     spool directory (default " AV_SPOOLDIR ")\n"
"  -n, --check         check the configuration, print \"configuration OK\"\n"
"  -v, --verbose       more logging (repeat for more)\n"
"      --daemonize     detach and log to syslog (default: foreground)\n"
"      --pidfile FILE  write the pid to FILE\n"
"      --init-token    make ingest_token_file (a new token) if missing, exit\n"
"      --version       print the version\n"
"  -h, --help          this text\n"
"The ingest token comes from the configuration file or the environment\n"
"variable AGENTVIS_INGEST_TOKEN, never from the command line.\n"
"Signals: TERM/INT stop, HUP reloads, USR1 logs statistics.\n");
}

/* Take one of collectord's own options (made absolute: see proc.h). */
static int
main_take(void *arg, int ch, const char *value)
{
	struct collectord	*cd = arg;

	switch (ch) {
	case 's':
		cd->opt_socket = proc_absolute(value);
		break;
	case 'g':
		cd->opt_gateway = value;
		break;
	case OPT_SPOOL:
		cd->opt_spool = proc_absolute(value);
		break;
	case OPT_INIT_TOKEN:
		main_init_token = 1;
		break;
	default:
		usage(stderr);
		return 64;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct collectord	 cd;
	struct proc		 p;
	const struct proc_args	 pa = {
		DEFAULT_CONF, "s:g:", longopts, main_take, &cd, usage
	};
	char			*cause = NULL;
	int			 rc;

	memset(&cd, 0, sizeof cd);
	if ((rc = proc_parse(&p, "collectord", &pa, argc, argv)) != -1)
		return rc;
	cd.conf_path = p.conf_path;
	cd.conf_must_exist = p.conf_given;
	if (main_init_token) {
		/* Before the token is read: the file may not be there yet. */
		if (cdconf_load(&cd.conf, cd.conf_path, cd.conf_must_exist,
		    &cause) == -1) {
			log_warnx("%s", cause);
			free(cause);
			return 1;
		}
		rc = token_init_option(cd.conf.ingest_token_file);
		cdconf_free(&cd.conf);
		return rc;
	}
	if (cd_configure(&cd, &cd.conf, &cd.set, &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
		return 1;
	}
	if (p.check) {
		proc_checked(&p, cdconf_keys, &cd.conf);
		cdconf_settings_free(&cd.set);
		cdconf_free(&cd.conf);
		return 0;
	}

	proc_ignore_signals();
	/* Set up first, so that errors reach the terminal, then detach. */
	if (cd_init(&cd, &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
		cd_free(&cd);
		return 1;
	}
	if (p.daemonize) {
		if (proc_detach(&p, &cause) == -1) {
			log_warnx("%s", cause);
			free(cause);
			cd_free(&cd);
			return 1;
		}
		/* The child's epoll set must be its own. */
		if (event_reinit(cd.base) == -1)
			fatalx("event_reinit failed");
	} else if (proc_pidfile(&p, &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
		cd_free(&cd);
		return 1;
	}
	sdnotify("READY=1");
	rc = cd_run(&cd);
	sdnotify("STOPPING=1");
	cd_free(&cd);
	proc_end(&p);
	log_info("exiting");
	return rc;
}
