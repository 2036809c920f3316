/*
 * main.c: gatewayd(8) command line. Everything else is in libgatewayd.a.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway.h"
#include "log.h"
#include "proc.h"
#include "token.h"
#include "xmalloc.h"

#define EX_USAGE	64
#define EX_CONFIG	78

enum {
	OPT_STORE = 256,
	OPT_WWW,
	OPT_INSECURE,
	OPT_INIT_TOKEN,
};

/* gatewayd's own options; proc.c has the ones both daemons share. */
static const struct option longopts[] = {
	{ "listen",	required_argument,	NULL, 'l' },
	{ "store",	required_argument,	NULL, OPT_STORE },
	{ "www",	required_argument,	NULL, OPT_WWW },
	{ "insecure",	no_argument,		NULL, OPT_INSECURE },
	{ "init-token",	no_argument,		NULL, OPT_INIT_TOKEN },
	{ NULL, 0, NULL, 0 }
};

/* What the command line overrides in the configuration. */
struct main_opts {
	const char	*listen, *store, *www;
	int		 insecure;
	int		 init_token;
};

/* The --help text; gatewayd.8 says the same at length. */
static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: gatewayd [-nv] [-c file] [-l addr:port] [--store spec] [--www dir]\n"
"                [--daemonize] [--pidfile file] [--insecure] [--init-token]\n"
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
"      --init-token      make ingest_token_file (a new token) if missing, exit\n"
"      --version         print the version and exit\n"
"  -h, --help            this text\n"
"Tokens are read from the configuration or token files, never argv.\n");
}

/* Take one of gatewayd's own options. */
static int
main_take(void *arg, int ch, const char *value)
{
	struct main_opts	*mo = arg;

	switch (ch) {
	case 'l':
		mo->listen = value;
		break;
	case OPT_STORE:
		mo->store = value;
		break;
	case OPT_WWW:
		mo->www = value;
		break;
	case OPT_INSECURE:
		mo->insecure = 1;
		break;
	case OPT_INIT_TOKEN:
		mo->init_token = 1;
		break;
	default:
		usage(stderr);
		return EX_USAGE;
	}
	return 0;
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
	struct main_opts	 mo;
	struct proc		 p;
	const struct proc_args	 pa = {
		AV_SYSCONFDIR "/gatewayd.conf", "l:", longopts, main_take,
		&mo, usage
	};
	char			*cause = NULL, *spec, abs[PATH_MAX];
	int			 rc;

	memset(&mo, 0, sizeof mo);
	if ((rc = proc_parse(&p, "gatewayd", &pa, argc, argv)) != -1)
		return rc;
	/* The default file is read when it is there; one named must be. */
	if (!p.conf_given && access(p.conf_path, R_OK) != 0)
		p.conf_path = NULL;
	if (gwconf_load(&gw.conf, p.conf_path, &cause) != 0) {
		fprintf(stderr, "gatewayd: %s\n", cause);
		free(cause);
		return EX_CONFIG;
	}
	gw.conf_path = p.conf_path;
	if (mo.init_token) {
		rc = token_init_option(gw.conf.ingest_token_file);
		gwconf_free(&gw.conf);
		return rc;
	}
	if (mo.listen != NULL)
		main_set(&gw, "listen", mo.listen);
	if (mo.store != NULL)
		main_set(&gw, "store", mo.store);
	if (mo.www != NULL)
		main_set(&gw, "www", mo.www);
	if (p.pidfile != NULL)
		main_set(&gw, "pidfile", p.pidfile);
	if (mo.insecure)
		gw.conf.insecure = 1;
	if (server_prepare(&gw, &cause) != 0) {
		fprintf(stderr, "gatewayd: %s\n", cause);
		free(cause);
		return EX_CONFIG;
	}
	if (p.check)
		return proc_checked(&p, gw_conf_keys, &gw.conf);

	if (p.daemonize && gw.conf.pidfile != NULL &&
	    gw.conf.pidfile[0] != '/') {
		/* From the configuration file; the daemon works from /. */
		fprintf(stderr, "gatewayd: pidfile needs an absolute path "
		    "with --daemonize\n");
		return EX_USAGE;
	}
	p.pidfile = gw.conf.pidfile;
	/* The daemon works from /: a relative dashboard directory would move. */
	if (p.daemonize && gw.conf.www[0] != '/' &&
	    realpath(gw.conf.www, abs) != NULL)
		main_set(&gw, "www", abs);
	if (server_start(&gw) != 0)
		return 1;
	if (p.daemonize) {
		/* The store opens again after the fork, from /. */
		if ((spec = store_spec_absolute(gw.conf.store, &cause)) ==
		    NULL)
			fatalx("%s", cause);
		main_set(&gw, "store", spec);
		free(spec);
	}
	if (proc_detach(&p, &cause) != 0)
		fatalx("%s", cause);
	if (p.daemonize && server_reopen_store(&gw) != 0)
		fatalx("cannot open the store again after detaching");

	rc = server_loop(&gw);

	proc_end(&p);
	auth_free(&gw.auth);
	gwconf_free(&gw.conf);
	return rc;
}
