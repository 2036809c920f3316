/*
 * main.c: gatewayd(8) command line. Everything else is in libgatewayd.a.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "gateway.h"
#include "log.h"
#include "xmalloc.h"

#define EX_USAGE	64
#define EX_CONFIG	78

enum {
	OPT_STORE = 256,
	OPT_WWW,
	OPT_INSECURE,
	OPT_DAEMONIZE,
	OPT_PIDFILE,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "config",	required_argument,	NULL, 'c' },
	{ "listen",	required_argument,	NULL, 'l' },
	{ "store",	required_argument,	NULL, OPT_STORE },
	{ "www",	required_argument,	NULL, OPT_WWW },
	{ "check",	no_argument,		NULL, 'n' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "daemonize",	no_argument,		NULL, OPT_DAEMONIZE },
	{ "pidfile",	required_argument,	NULL, OPT_PIDFILE },
	{ "insecure",	no_argument,		NULL, OPT_INSECURE },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* The --help text; gatewayd.8 says the same at length. */
static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: gatewayd [-nv] [-c file] [-l addr:port] [--store spec] [--www dir]\n"
"                [--daemonize] [--pidfile file] [--insecure]\n"
"  -c, --config FILE     configuration file (default " AV_SYSCONFDIR
    "/gatewayd.conf if present)\n"
"  -l, --listen ADDR:PORT  listen address (default 127.0.0.1:8000)\n"
"      --store SPEC      sqlite:PATH (default sqlite:" AV_DBDIR
    "/events.db), memory,\n"
"                        or postgres://... (a libpq URI, shared by several gatewayd)\n"
"      --www DIR         dashboard directory (default " AV_WWWDIR ")\n"
"  -n, --check           check the configuration, print it with -v, exit\n"
"  -v, --verbose         more logging (repeat for lws's own)\n"
"      --daemonize       detach and log to syslog\n"
"      --pidfile FILE    write the pid to FILE\n"
"      --insecure        allow listening beyond loopback without tokens\n"
"      --version         print the version and exit\n"
"  -h, --help            this text\n"
"Tokens are read from the configuration or token files, never argv.\n");
}

/* Apply a command-line override to the config. */
static void
main_set(struct gw *gw, const char *key, const char *value)
{
	char	*cause = NULL;

	if (conf_set(gw_conf_keys, &gw->conf, key, value, &cause) != 0) {
		fprintf(stderr, "gatewayd: %s\n", cause);
		free(cause);
		exit(EX_USAGE);
	}
}

/* Parse the command line, check the configuration, serve. */
int
main(int argc, char **argv)
{
	static struct gw	 gw;
	const char		*listen = NULL, *store = NULL, *www = NULL;
	const char		*pidfile = NULL, *path = NULL;
	char			*cause = NULL, *spec, abs[PATH_MAX];
	int			 ch, check = 0, verbose = 0, daemonize = 0;
	int			 insecure = 0, pidfd = -1, rc;

	while ((ch = getopt_long(argc, argv, "c:hl:nv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case OPT_STORE:
			store = optarg;
			break;
		case OPT_WWW:
			www = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		case OPT_DAEMONIZE:
			daemonize = 1;
			break;
		case OPT_PIDFILE:
			pidfile = optarg;
			break;
		case OPT_INSECURE:
			insecure = 1;
			break;
		case OPT_VERSION:
			printf("gatewayd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	log_init("gatewayd", LOG_TO_STDERR, verbose);

	if (path == NULL && access(AV_SYSCONFDIR "/gatewayd.conf", R_OK) == 0)
		path = AV_SYSCONFDIR "/gatewayd.conf";
	if (gwconf_load(&gw.conf, path, &cause) != 0) {
		fprintf(stderr, "gatewayd: %s\n", cause);
		free(cause);
		return EX_CONFIG;
	}
	gw.conf_path = path;
	if (listen != NULL)
		main_set(&gw, "listen", listen);
	if (store != NULL)
		main_set(&gw, "store", store);
	if (www != NULL)
		main_set(&gw, "www", www);
	if (pidfile != NULL)
		main_set(&gw, "pidfile", pidfile);
	if (insecure)
		gw.conf.insecure = 1;
	if (server_prepare(&gw, &cause) != 0) {
		fprintf(stderr, "gatewayd: %s\n", cause);
		free(cause);
		return EX_CONFIG;
	}
	if (check) {
		if (verbose)
			conf_dump(gw_conf_keys, &gw.conf, stdout);
		printf("configuration OK\n");
		return 0;
	}

	if (daemonize && gw.conf.pidfile != NULL && gw.conf.pidfile[0] != '/') {
		/* The daemon works from /: a relative name would move. */
		fprintf(stderr, "gatewayd: --pidfile needs an absolute path "
		    "with --daemonize\n");
		return EX_USAGE;
	}
	/* The daemon works from /: a relative dashboard directory would move. */
	if (daemonize && gw.conf.www[0] != '/' &&
	    realpath(gw.conf.www, abs) != NULL)
		main_set(&gw, "www", abs);
	if (server_start(&gw) != 0)
		return 1;
	if (daemonize) {
		/*
		 * The store is opened again after the fork, from /: a relative
		 * SQLite path (the file exists now) becomes absolute first.
		 */
		if (strncmp(gw.conf.store, "sqlite:", 7) == 0 &&
		    gw.conf.store[7] != '/') {
			if (realpath(gw.conf.store + 7, abs) == NULL)
				fatal("store %s", gw.conf.store);
			spec = xasprintf("sqlite:%s", abs);
			main_set(&gw, "store", spec);
			free(spec);
		}
		if (daemon_detach(&cause) != 0)
			fatalx("%s", cause);
		log_init("gatewayd", LOG_TO_SYSLOG, verbose);
		if (server_reopen_store(&gw) != 0)
			fatalx("cannot open the store again after detaching");
	}
	if (gw.conf.pidfile != NULL &&
	    (pidfd = pidfile_create(gw.conf.pidfile, &cause)) < 0)
		fatalx("%s", cause);

	rc = server_loop(&gw);

	if (pidfd >= 0) {
		pidfile_remove(gw.conf.pidfile);
		close(pidfd);
	}
	auth_free(&gw.auth);
	gwconf_free(&gw.conf);
	return rc;
}
