/*
 * hookcli.c: the command line of hookcli(1) and the policy of its exit
 * codes.
 *
 * hookcli runs inside agents' hooks, so it must never get in their way:
 * it writes nothing on stdout (Claude Code reads a hook's stdout) except
 * for "stats" and an explicit --help/--version, it never runs longer than
 * -t in total, and without --strict an event it could neither deliver
 * nor park in the fallback dir makes it say so on stderr and exit 0.
 * Invalid input is 65: that is a bug in the hook, which its author must
 * see; but a framework command (claude-code, …) only observes, and a
 * payload it cannot read is the framework's doing, so it exits 0 for
 * that too unless --strict.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "avjson.h"
#include "hookcli.h"
#include "log.h"
#include "ndjson.h"
#include "proto.h"
#include "timefmt.h"
#include "xmalloc.h"

#ifndef AV_RUNDIR
#define AV_RUNDIR "/run/agentvis"
#endif
#ifndef AV_SPOOLDIR
#define AV_SPOOLDIR "/var/spool/agentvis"
#endif

#define HK_DEFAULT_SOCKET	AV_RUNDIR "/collectord.sock"
#define HK_DEFAULT_FALLBACK	AV_SPOOLDIR "/incoming"
#define HK_MAX_ERRS		8	/* validation errors shown */
#define HK_MAX_LINE_MSGS	20	/* per-line messages from send */

/* Long options without a short form. */
enum {
	OPT_STRICT = 256,
	OPT_VERSION,
	OPT_AGENT_ID,
	OPT_AGENT_NAME,
	OPT_AGENT_ROLE,
	OPT_OPERATION,
	OPT_STATUS,
	OPT_SESSION_ID,
	OPT_TASK_ID,
	OPT_PROJECT,
	OPT_TRACE_ID,
	OPT_USER_ID,
	OPT_DURATION_MS,
	OPT_REMAINING,
	OPT_TOTAL,
	OPT_DELTA,
	OPT_ERROR,
	OPT_REASON,
	OPT_ALLOW,
	OPT_DENY,
};

/* Before the command: the global options only. */
static const struct option hk_global_opts[] = {
	{ "strict",	no_argument,		NULL, OPT_STRICT },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL,		0,			NULL, 0 }
};

/* After the command: event options, and the global ones again. */
static const struct option hk_cmd_opts[] = {
	{ "agent-id",	required_argument,	NULL, OPT_AGENT_ID },
	{ "agent-name",	required_argument,	NULL, OPT_AGENT_NAME },
	{ "agent-role",	required_argument,	NULL, OPT_AGENT_ROLE },
	{ "operation",	required_argument,	NULL, OPT_OPERATION },
	{ "status",	required_argument,	NULL, OPT_STATUS },
	{ "session-id",	required_argument,	NULL, OPT_SESSION_ID },
	{ "task-id",	required_argument,	NULL, OPT_TASK_ID },
	{ "project",	required_argument,	NULL, OPT_PROJECT },
	{ "trace-id",	required_argument,	NULL, OPT_TRACE_ID },
	{ "user-id",	required_argument,	NULL, OPT_USER_ID },
	{ "duration-ms", required_argument,	NULL, OPT_DURATION_MS },
	{ "remaining",	required_argument,	NULL, OPT_REMAINING },
	{ "total",	required_argument,	NULL, OPT_TOTAL },
	{ "delta",	required_argument,	NULL, OPT_DELTA },
	{ "error",	required_argument,	NULL, OPT_ERROR },
	{ "reason",	required_argument,	NULL, OPT_REASON },
	{ "allow",	no_argument,		NULL, OPT_ALLOW },
	{ "deny",	no_argument,		NULL, OPT_DENY },
	{ "strict",	no_argument,		NULL, OPT_STRICT },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 }
};

struct hk_cmdline;

/* A command: its name and what runs it. */
struct hk_cmd {
	const char	*name;
	int		(*run)(const struct hk_opts *, struct hk_cmdline *);
	int		 rbac;		/* rbac-decision: --allow, --deny */
};

/* What the command line said after the command name. */
struct hk_cmdline {
	const struct hk_cmd *cmd;
	const struct hk_framework *fw;	/* the framework commands */
	const char	*name;
	int		 type;		/* one type's command, emit, rbac */
	struct hk_fields cli;
	int		 nfields;	/* event options given */
	int		 allow, deny;
	char		**args;		/* positional arguments */
	int		 nargs;
};

/* Help text: commands from the type table, then every option. */
static void
hk_help(FILE *fp)
{
	int	i;

	fprintf(fp,
"usage: hookcli [-s SOCKET] [-t TIMEOUT_MS] [-F FALLBACK_DIR] [-q] [--strict]\n"
"               COMMAND [OPTIONS] [KEY=VALUE ...]\n"
"\n"
"Report what an agent does to collectord. Hook-safe: nothing on stdout\n"
"(except stats, setup and a framework's neutral answer), never longer\n"
"than -t in total.\n"
"\n"
"commands:\n");
	for (i = 0; i < EVT__COUNT; i++)
		fprintf(fp, "  %-26s one %s event\n", evt_types[i].command,
		    evt_types[i].name);
	fprintf(fp,
"  rbac-decision --allow|--deny\n"
"                             operation_allowed or operation_denied\n"
"  emit TYPE                  an event of any TYPE (task_failed or task-failed)\n"
"  send [FILE|-]              NDJSON of complete events, one per line\n"
"  claude-code                map a Claude Code hook payload on stdin\n"
"  gemini-cli                 map a Gemini CLI hook payload on stdin\n"
"  cursor                     map a Cursor hook payload on stdin\n"
"  codex [JSON]               map a Codex CLI hook payload on stdin, or\n"
"                             its notify JSON as the last argument\n"
"                             (these four note open permission prompts in\n"
"                             AGENTVIS_STATE_DIR [$XDG_RUNTIME_DIR/agentvis])\n"
"  setup FRAMEWORK            print the settings that wire hookcli into\n"
"                             every hook of FRAMEWORK (one of the four above)\n"
"  stats                      print collectord's statistics as JSON on stdout\n"
"\n"
"global options (before or after the command):\n"
"  -s SOCKET                  collectord socket\n"
"                             [AGENTVIS_SOCKET, %s]\n"
"  -t TIMEOUT_MS              bound on the whole run, 1-%d [%d]\n"
"  -F FALLBACK_DIR            drop dir when collectord is unreachable\n"
"                             [AGENTVIS_FALLBACK_DIR, %s]\n"
"  -q                         no message on stderr when exiting 0\n"
"  --strict                   exit 69/75 when neither delivered nor\n"
"                             parked (default: 0)\n"
"  -h, --help                 this help\n"
"  --version                  print the version\n"
"\n"
"event options (the first two are required):\n"
"  --agent-id ID              [AGENTVIS_AGENT_ID]\n"
"  --agent-name NAME          [AGENTVIS_AGENT_NAME]\n"
"  --agent-role ROLE          [AGENTVIS_AGENT_ROLE, empty]\n"
"  --operation OP             default: per event type\n"
"  --status STATUS            success, failure or denied; default: per type\n"
"  --session-id ID            metadata.session_id [AGENTVIS_SESSION_ID]\n"
"  --task-id ID               metadata.task_id\n"
"  --project NAME             metadata.project [AGENTVIS_PROJECT]\n"
"  --trace-id ID              metadata.trace_id [AGENTVIS_TRACE_ID]\n"
"  --user-id ID               metadata.user_id [AGENTVIS_USER_ID]\n"
"  --duration-ms N            metadata.duration_ms\n"
"  --remaining N              metadata.budget_remaining\n"
"  --total N                  metadata.budget_total\n"
"  --delta N                  metadata.budget_delta\n"
"  --error TEXT               metadata.error\n"
"  --reason TEXT              metadata.reason\n"
"  --allow, --deny            rbac-decision only\n"
"  KEY=VALUE                  metadata.KEY; JSON numbers stay numbers\n"
"\n"
"exit: 0 delivered or parked, 64 usage, 65 invalid event, 66 no input,\n"
"69/75 neither delivered nor parked (with --strict; 75: collectord busy);\n"
"the framework commands exit 0 on anything but a usage error (65 and 66\n"
"too with --strict)\n",
	    HK_DEFAULT_SOCKET, HK_TIMEOUT_MAX, HK_TIMEOUT_DEFAULT,
	    HK_DEFAULT_FALLBACK);
}

/* Print a usage error and return 64. */
static int AV_PRINTF(1, 2)
hk_usage_error(const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
	fprintf(stderr, "usage: hookcli [-s SOCKET] [-t TIMEOUT_MS] "
	    "[-F FALLBACK_DIR] [-q] [--strict] COMMAND [OPTIONS] "
	    "[KEY=VALUE ...]\n(hookcli --help lists commands and options)\n");
	return EX_USAGE;
}

/*
 * Finish a hook command that did not do its work (an event neither
 * delivered nor parked; for a framework command fw, also a payload it
 * cannot read): with
 * --strict the code stands; without it the hook's agent must not notice,
 * so exit 0 and only say why on stderr (unless -q, or fw reads stderr as
 * an answer).
 */
static int AV_PRINTF(4, 5)
hk_soft_fail(const struct hk_opts *o, const struct hk_framework *fw,
    int code, const char *fmt, ...)
{
	va_list	ap;
	char	msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (o->strict || (!o->quiet && (fw == NULL || !fw->quiet)))
		log_warnx("%s%s%s", fw != NULL ? fw->name : "",
		    fw != NULL ? ": " : "", msg);
	return o->strict ? code : EX_OK;
}

/* Parse -t's value: 0, or -1 when it is not 1..HK_TIMEOUT_MAX. */
static int
hk_parse_timeout(const char *s, int *ms)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 ||
	    v > HK_TIMEOUT_MAX)
		return -1;
	*ms = (int)v;
	return 0;
}

/* Handle one of the options shared by both parsers; 1 if it was one. */
static int
hk_global_opt(struct hk_opts *o, int ch, const char *arg, int *rc)
{
	struct sockaddr_un	sun;

	switch (ch) {
	case 's':
		if (*arg == '\0' || strlen(arg) >= sizeof sun.sun_path)
			*rc = hk_usage_error("-s: socket path empty or longer "
			    "than %zu bytes", sizeof sun.sun_path - 1);
		o->socket = arg;
		o->socket_given = 1;
		return 1;
	case 't':
		if (hk_parse_timeout(arg, &o->timeout_ms) == -1)
			*rc = hk_usage_error("-t: not a timeout in ms "
			    "(1-%d): %s", HK_TIMEOUT_MAX, arg);
		return 1;
	case 'F':
		if (*arg == '\0')
			*rc = hk_usage_error("-F: empty directory");
		o->fallback_dir = arg;
		o->fallback_given = 1;
		return 1;
	case 'q':
		o->quiet = 1;
		return 1;
	case OPT_STRICT:
		o->strict = 1;
		return 1;
	case 'h':
		hk_help(stdout);
		*rc = EX_OK;
		return 1;
	}
	return 0;
}

/* Name of the option getopt just complained about. */
static const char *
hk_bad_opt(char **argv, int optind_now)
{
	static char	short_opt[3];

	if (optopt != 0 && optopt < 256) {
		snprintf(short_opt, sizeof short_opt, "-%c", optopt);
		return short_opt;
	}
	return argv[optind_now - 1];
}

/* Store a numeric event option: -1 to go on, or 64 when not a number. */
static int
hk_num_opt(const char **dst, const char *name, const char *arg)
{
	if (!hk_is_number(arg))
		return hk_usage_error("--%s: not a number: %s", name, arg);
	*dst = arg;
	return -1;
}

/*
 * Parse what follows the command name. Returns -1 to go on, or an exit
 * status (usage error, or 0 after --help).
 */
static int
hk_parse_cmd(struct hk_opts *o, struct hk_cmdline *c, int argc, char **argv)
{
	struct hk_fields	*f = &c->cli;
	int			 ch, rc = -1;

	optind = 0;		/* glibc: start afresh on a new argv */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:t:F:qh", hk_cmd_opts,
	    NULL)) != -1) {
		if (hk_global_opt(o, ch, optarg, &rc)) {
			if (rc != -1)
				return rc;
			continue;
		}
		if (ch >= OPT_AGENT_ID && ch <= OPT_REASON)
			c->nfields++;
		switch (ch) {
		case OPT_AGENT_ID:	f->agent_id = optarg; break;
		case OPT_AGENT_NAME:	f->agent_name = optarg; break;
		case OPT_AGENT_ROLE:	f->agent_role = optarg; break;
		case OPT_OPERATION:	f->operation = optarg; break;
		case OPT_STATUS:	f->status = optarg; break;
		case OPT_SESSION_ID:	f->session_id = optarg; break;
		case OPT_TASK_ID:	f->task_id = optarg; break;
		case OPT_PROJECT:	f->project = optarg; break;
		case OPT_TRACE_ID:	f->trace_id = optarg; break;
		case OPT_USER_ID:	f->user_id = optarg; break;
		case OPT_ERROR:		f->error = optarg; break;
		case OPT_REASON:	f->reason = optarg; break;
		case OPT_DURATION_MS:
			rc = hk_num_opt(&f->duration_ms, "duration-ms", optarg);
			break;
		case OPT_REMAINING:
			rc = hk_num_opt(&f->remaining, "remaining", optarg);
			break;
		case OPT_TOTAL:
			rc = hk_num_opt(&f->total, "total", optarg);
			break;
		case OPT_DELTA:
			rc = hk_num_opt(&f->delta, "delta", optarg);
			break;
		case OPT_ALLOW:
			c->allow = 1;
			break;
		case OPT_DENY:
			c->deny = 1;
			break;
		case ':':
			return hk_usage_error("%s: option needs a value: %s",
			    c->name, hk_bad_opt(argv, optind));
		default:
			return hk_usage_error("%s: unknown option: %s",
			    c->name, hk_bad_opt(argv, optind));
		}
		if (rc != -1)
			return rc;
	}
	c->args = argv + optind;
	c->nargs = argc - optind;
	if ((c->allow || c->deny) && !c->cmd->rbac)
		return hk_usage_error("%s: --allow and --deny are for "
		    "rbac-decision", c->name);
	return -1;
}

/* Take KEY=VALUE arguments into the fields; usage error on anything else. */
static int
hk_take_pairs(struct hk_cmdline *c, int first)
{
	const char	*why;
	int		 i;

	for (i = first; i < c->nargs; i++) {
		if (hk_pair_check(c->args[i], &why) == -1)
			return hk_usage_error("%s: argument \"%s\": %s",
			    c->name, c->args[i], why);
	}
	c->cli.pairs = c->args + first;
	c->cli.npairs = c->nargs - first;
	return -1;
}

/* Validate ev locally; 0, or 65 after printing every problem. */
static int
hk_validate(struct json_object *ev)
{
	struct evt_error	errs[HK_MAX_ERRS];
	char			buf[512];
	int			i, n;

	n = evt_validate(ev, 0, errs, HK_MAX_ERRS);
	for (i = 0; i < n && i < HK_MAX_ERRS; i++) {
		evt_error_str(&errs[i], buf, sizeof buf);
		log_warnx("invalid event: %s", buf);
	}
	if (n > HK_MAX_ERRS)
		log_warnx("invalid event: %d more problems", n - HK_MAX_ERRS);
	return n == 0 ? EX_OK : EX_DATAERR;
}

/*
 * Deliver or park ev (validated) after the events in extra (texts already
 * valid), and turn the outcome into a status: the worst of them.
 */
static int
hk_deliver_events(const struct hk_opts *o, struct json_object *ev,
    char **extra, size_t nextra)
{
	struct hk_batch	 b;
	const char	*text;
	size_t		 len, i;
	int		 rc = EX_OK;

	hk_batch_init(&b);
	for (i = 0; i < nextra; i++)
		hk_batch_add(&b, extra[i], strlen(extra[i]), i + 1);
	text = avjson_str(ev, &len);
	hk_batch_add(&b, text, len, nextra + 1);
	hk_deliver(o, &b);
	if (b.count[HK_ST_PARKED] > 0 && !o->quiet)
		log_warnx("%s; %s parked in %s", b.why, b.n > 1 ? "events" :
		    "event", o->fallback_dir);
	for (i = 0; i < b.n; i++) {
		if (b.items[i].state == HK_ST_REJECTED) {
			log_warnx("collectord refused the event: %s",
			    b.items[i].detail);
			rc = EX_DATAERR;
		}
	}
	if (rc == EX_OK && b.count[HK_ST_FAILED] > 0)
		rc = hk_soft_fail(o, NULL, b.nbusy > 0 ? EX_TEMPFAIL :
		    EX_UNAVAILABLE, "event not delivered: %s", b.why);
	hk_batch_clear(&b);
	return rc;
}

/* Validate, deliver or park one event, and turn the outcome into a status. */
static int
hk_deliver_event(const struct hk_opts *o, struct json_object *ev)
{
	int	rc;

	if ((rc = hk_validate(ev)) != EX_OK)
		return rc;
	return hk_deliver_events(o, ev, NULL, 0);
}

/* One event of a type from options (agent-spawned …, emit, rbac-decision). */
static int
hk_cmd_event(const struct hk_opts *o, struct hk_cmdline *c)
{
	struct json_object	*ev;
	struct hk_fields	 env;
	int			 rc, first = 0;

	if (strcmp(c->name, "emit") == 0) {
		if (c->nargs == 0 || strchr(c->args[0], '=') != NULL)
			return hk_usage_error("emit: TYPE required");
		if ((c->type = evt_type_lookup(c->args[0])) == -1 &&
		    (c->type = evt_type_by_command(c->args[0])) == -1)
			return hk_usage_error("emit: unknown event type: %s",
			    c->args[0]);
		first = 1;
	}
	if (c->cmd->rbac) {
		if (c->allow == c->deny)
			return hk_usage_error("rbac-decision: exactly one of "
			    "--allow and --deny");
		c->type = c->allow ? EVT_OPERATION_ALLOWED :
		    EVT_OPERATION_DENIED;
	}
	if ((rc = hk_take_pairs(c, first)) != -1)
		return rc;

	hk_fields_env(&env);
	if ((ev = evt_new(c->type)) == NULL)
		fatalx("cannot make an event");
	/*
	 * A hook often knows who the agent is but not its role: an empty
	 * role (unknown) is valid, and refusing the event for it would lose
	 * what the hook did know.
	 */
	json_object_object_add(ev, "agent_role", json_object_new_string(""));
	hk_fields_apply(ev, &env, 1);
	hk_fields_apply(ev, &c->cli, 1);
	rc = hk_deliver_event(o, ev);
	json_object_put(ev);
	return rc;
}

/*
 * The payload: Codex's notify passes it as the last argument (it begins
 * with '{', which no KEY=VALUE pair can); every hook passes it on stdin.
 * Returns -1 with *buf set (and *timed_out when the deadline cut stdin
 * short: what came may still be the whole payload), or an exit status.
 */
static int
hk_hook_payload(const struct hk_opts *o, struct hk_cmdline *c,
    const struct hk_framework *fw, char **buf, size_t *len, int *timed_out,
    int *rc)
{
	enum hk_in	 in;
	char		*cause;
	int		 npairs = c->nargs;

	if (npairs > 0 && c->args[npairs - 1][0] == '{')
		npairs--;
	c->nargs = npairs;
	if ((*rc = hk_take_pairs(c, 0)) != -1)
		return *rc;
	if (c->args[npairs] != NULL && c->args[npairs][0] == '{') {
		*len = strlen(c->args[npairs]);
		if (*len > HK_STDIN_MAX)
			return *rc = hk_soft_fail(o, fw, EX_DATAERR,
			    "payload argument over %d bytes", HK_STDIN_MAX);
		*buf = xstrdup(c->args[npairs]);
		return -1;
	}
	in = hk_read_input(STDIN_FILENO, HK_STDIN_MAX, o->deadline_us, buf,
	    len, &cause);
	switch (in) {
	case HK_IN_TOOBIG:
		free(*buf);
		return *rc = hk_soft_fail(o, fw, EX_DATAERR,
		    "payload on stdin over %d bytes", HK_STDIN_MAX);
	case HK_IN_ERROR:
		free(*buf);
		*rc = hk_soft_fail(o, fw, EX_NOINPUT, "stdin: %s", cause);
		free(cause);
		return *rc;
	default:
		break;
	}
	if (*len == 0) {
		free(*buf);
		return *rc = hk_soft_fail(o, fw, EX_DATAERR, "%s",
		    in == HK_IN_TIMEOUT ? "no payload on stdin in time" :
		    "empty payload on stdin");
	}
	*timed_out = in == HK_IN_TIMEOUT;
	return -1;
}

/*
 * claude-code, gemini-cli, cursor, codex: one hook payload becomes one
 * event (and a refused permission prompt one more, see prompts.c).
 */
static int
hk_cmd_hook(const struct hk_opts *o, struct hk_cmdline *c)
{
	const struct hk_framework	*fw = c->fw;
	const struct hk_hook		*row;
	struct json_object		*p, *ev;
	struct avjson_error		 jerr;
	struct hk_fields		 env;
	char				*buf, *cause, **extra;
	size_t				 len, nextra, i;
	int				 rc, fd, timed_out = 0;

	/*
	 * A framework that reads stderr as the hook's answer (Gemini CLI:
	 * text there with exit 0 is an "allow") hears nothing from us at
	 * all, unless --strict asks for every failure to be loud.
	 */
	if (fw->quiet && !o->strict && (fd = open("/dev/null",
	    O_WRONLY | O_CLOEXEC)) != -1) {
		(void)dup2(fd, STDERR_FILENO);
		close(fd);
	}
	if (hk_hook_payload(o, c, fw, &buf, &len, &timed_out, &rc) != -1)
		return rc;
	p = avjson_parse(buf, len, &jerr);
	free(buf);
	if (p == NULL && timed_out)
		return hk_soft_fail(o, fw, EX_DATAERR, "incomplete payload on "
		    "stdin after %d ms", o->timeout_ms);
	if (p == NULL)
		return hk_soft_fail(o, fw, EX_DATAERR,
		    "invalid JSON at offset %zu: %s", jerr.offset, jerr.msg);
	if ((ev = hk_hook_event(fw, p, &row, &cause)) == NULL) {
		rc = hk_soft_fail(o, fw, EX_DATAERR, "%s", cause);
		free(cause);
		json_object_put(p);
		return rc;
	}
	hk_fields_env(&env);
	hk_fields_apply(ev, &env, 0);		/* the payload wins */
	hk_fields_apply(ev, &c->cli, 1);	/* the command line wins */
	hk_hook_defaults(fw, ev, p);
	if (hk_validate(ev) != EX_OK) {
		json_object_put(p);
		json_object_put(ev);
		return hk_soft_fail(o, fw, EX_DATAERR, "%s hook not "
		    "reported", row != NULL ? row->name : "unknown");
	}
	nextra = hk_prompts(fw, row, ev, p, &extra);
	json_object_put(p);
	/* The framework's neutral answer, whatever becomes of the event. */
	if (row != NULL && row->reply != NULL) {
		printf("%s\n", row->reply);
		fflush(stdout);
	}
	rc = hk_deliver_events(o, ev, extra, nextra);
	for (i = 0; i < nextra; i++)
		free(extra[i]);
	free(extra);
	json_object_put(ev);
	if (rc == EX_DATAERR)
		rc = hk_soft_fail(o, fw, EX_DATAERR, "event refused");
	return rc;
}

/* Shell-quote s onto the end of *cmd when it needs it. */
static void
hk_cmd_append(char **cmd, const char *s)
{
	const char	*p;
	char		*q, *out;
	size_t		 n = 0;

	for (p = s; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_@%+=:,./-", *p) == NULL)
			break;
	if (*p == '\0' && *s != '\0') {
		out = xasprintf("%s%s%s", *cmd, **cmd ? " " : "", s);
	} else {
		for (p = s; *p != '\0'; p++)
			n += *p == '\'' ? 4 : 1;
		q = xmalloc(n + 3);
		n = 0;
		q[n++] = '\'';
		for (p = s; *p != '\0'; p++) {
			if (*p == '\'') {
				memcpy(q + n, "'\\''", 4);
				n += 4;
			} else
				q[n++] = *p;
		}
		q[n++] = '\'';
		q[n] = '\0';
		out = xasprintf("%s%s%s", *cmd, **cmd ? " " : "", q);
		free(q);
	}
	free(*cmd);
	*cmd = out;
}

/*
 * setup FRAMEWORK: print the settings that run this hookcli (by its full
 * path, with the -s, -F and -t it was given) on every hook of the table.
 */
static int
hk_cmd_setup(const struct hk_opts *o, struct hk_cmdline *c)
{
	const struct hk_framework	*fw;
	char				 self[4096], ms[16];
	char				*cmd;
	const char			*argv[9];
	ssize_t				 n;
	int				 argc = 0;

	if (c->nfields > 0 || c->nargs != 1)
		return hk_usage_error("setup: FRAMEWORK required: claude-code, "
		    "gemini-cli, cursor or codex");
	if ((fw = hk_framework_find(c->args[0])) == NULL)
		return hk_usage_error("setup: unknown framework: %s (claude-code, "
		    "gemini-cli, cursor or codex)", c->args[0]);
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0)
		snprintf(self, sizeof self, "hookcli");
	else
		self[n] = '\0';
	argv[argc++] = self;
	if (o->socket_given) {
		argv[argc++] = "-s";
		argv[argc++] = o->socket;
	}
	if (o->fallback_given) {
		argv[argc++] = "-F";
		argv[argc++] = o->fallback_dir;
	}
	if (o->timeout_ms != HK_TIMEOUT_DEFAULT) {
		snprintf(ms, sizeof ms, "%d", o->timeout_ms);
		argv[argc++] = "-t";
		argv[argc++] = ms;
	}
	argv[argc++] = fw->name;
	argv[argc] = NULL;
	cmd = xstrdup("");
	for (n = 0; n < argc; n++)
		hk_cmd_append(&cmd, argv[n]);
	fw->setup(stdout, fw, cmd, argv);
	free(cmd);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/* Check one line of send's input; good ones join the batch. */
static void
hk_send_line(struct hk_batch *b, enum ndjson_status st, const char *line,
    size_t len, size_t lineno, size_t *invalid)
{
	struct json_object	*ev;
	enum proto_cmd		 pc;
	char			 detail[512];

	if (st == NDJSON_AGAIN)
		return;			/* an empty line */
	if (st == NDJSON_TOOLONG)
		snprintf(detail, sizeof detail, "line over %d bytes",
		    EVT_LINE_MAX);
	else if (proto_parse_event(line, len, 0, &ev, &pc, detail,
	    sizeof detail) == PROTO_OK) {
		if (ev != NULL) {
			json_object_put(ev);
			hk_batch_add(b, line, len, lineno);
			return;
		}
		snprintf(detail, sizeof detail, "a control line, not an event");
	}
	if ((*invalid)++ < HK_MAX_LINE_MSGS)
		log_warnx("send: line %zu: %s", lineno, detail);
}

/* send: validate each NDJSON line, pipeline the good ones, account for all. */
static int
hk_cmd_send(const struct hk_opts *o, struct hk_cmdline *c)
{
	struct hk_batch		 b;
	struct ndjson		*rd;
	enum ndjson_status	 st;
	enum hk_in		 in;
	const char		*path = "-";
	char			*buf, *cause, *line, *p, *nl;
	size_t			 len, llen, lineno = 0, i, invalid = 0;
	int			 fd = STDIN_FILENO, rc;

	if (c->nfields > 0)
		return hk_usage_error("send: event options do not apply to "
		    "complete events");
	if (c->nargs > 1)
		return hk_usage_error("send: at most one FILE");
	if (c->nargs == 1)
		path = c->args[0];
	if (strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("send: %s", path);
		return EX_NOINPUT;
	}
	in = hk_read_input(fd, HK_SEND_MAX, o->deadline_us, &buf, &len,
	    &cause);
	if (fd != STDIN_FILENO)
		close(fd);
	if (in == HK_IN_TOOBIG || in == HK_IN_ERROR) {
		if (in == HK_IN_TOOBIG)
			log_warnx("send: %s: input over %d bytes", path,
			    HK_SEND_MAX);
		else
			log_warnx("send: %s: %s", path, cause);
		free(cause);
		free(buf);
		return in == HK_IN_TOOBIG ? EX_DATAERR : EX_NOINPUT;
	}

	/*
	 * Feed the reader one line at a time so that each line it returns
	 * has a known line number for the messages; the reader still does
	 * the work (CRLF, empty lines, the length limit).
	 */
	hk_batch_init(&b);
	rd = ndjson_new(EVT_LINE_MAX);
	for (p = buf; p < buf + len; p = nl) {
		nl = memchr(p, '\n', buf + len - p);
		nl = nl != NULL ? nl + 1 : buf + len;
		lineno++;
		if (nl[-1] != '\n' && in != HK_IN_OK)
			break;		/* cut short by the deadline */
		ndjson_push(rd, p, nl - p);
		st = ndjson_next(rd, &line, &llen);
		if (st == NDJSON_AGAIN && nl[-1] != '\n')
			st = ndjson_finish(rd, &line, &llen);
		hk_send_line(&b, st, line, llen, lineno, &invalid);
	}
	ndjson_free(rd);
	free(buf);

	hk_deliver(o, &b);
	for (i = 0; i < b.n; i++) {
		if (b.items[i].state != HK_ST_REJECTED)
			continue;
		if (invalid++ < HK_MAX_LINE_MSGS)
			log_warnx("send: line %zu: collectord refused it: %s",
			    b.items[i].lineno, b.items[i].detail);
	}
	if (invalid > HK_MAX_LINE_MSGS)
		log_warnx("send: %zu more invalid lines",
		    invalid - HK_MAX_LINE_MSGS);

	rc = EX_OK;
	if (invalid > 0)
		rc = EX_DATAERR;
	else if (in == HK_IN_TIMEOUT)
		rc = hk_soft_fail(o, NULL, EX_UNAVAILABLE, "send: %s: input not "
		    "read to its end in %d ms", path, o->timeout_ms);
	if (b.count[HK_ST_FAILED] > 0 && rc == EX_OK)
		rc = hk_soft_fail(o, NULL, b.nbusy > 0 ? EX_TEMPFAIL :
		    EX_UNAVAILABLE, "send: %zu events not delivered: %s",
		    b.count[HK_ST_FAILED], b.why);
	if (b.count[HK_ST_PARKED] > 0 && (!o->quiet || rc != EX_OK))
		log_warnx("send: %s; %zu events parked in %s", b.why,
		    b.count[HK_ST_PARKED], o->fallback_dir);
	if (rc != EX_OK || (!o->quiet && b.count[HK_ST_ACKED] != b.n))
		log_warnx("send: %zu events: %zu delivered, %zu parked, "
		    "%zu refused, %zu failed (%zu answered busy); %zu lines "
		    "invalid", b.n, b.count[HK_ST_ACKED],
		    b.count[HK_ST_PARKED], b.count[HK_ST_REJECTED],
		    b.count[HK_ST_FAILED], b.nbusy,
		    invalid - b.count[HK_ST_REJECTED]);
	hk_batch_clear(&b);
	return rc;
}

/* The one reply to the stats request. */
struct hk_stats_reply {
	char	*line;
	int	 toolong;
};

/* Keep the stats reply line. */
static void
hk_stats_cb(void *arg, size_t idx, const char *line, size_t len)
{
	struct hk_stats_reply	*sr = arg;

	if (line == NULL)
		sr->toolong = 1;
	else
		sr->line = xstrndup(line, len);
}

/* stats: ask collectord for its statistics; print them on stdout. */
static int
hk_cmd_stats(const struct hk_opts *o, struct hk_cmdline *c)
{
	static const char	 req[] = "{\"cmd\":\"stats\"}\n";
	struct hk_stats_reply	 sr = { NULL, 0 };
	struct hk_xresult	 x;
	struct proto_reply	 r;
	struct json_object	*stats;
	int			 rc = EX_UNAVAILABLE;

	if (c->nfields > 0 || c->nargs > 0)
		return hk_usage_error("stats: takes no options or arguments");
	hk_exchange(o->socket, req, sizeof req - 1, 1, o->deadline_us,
	    hk_stats_cb, &sr, &x);
	if (x.status != HK_X_DONE) {
		log_warnx("stats: %s%s", x.status == HK_X_NOCONNECT ?
		    "collectord unreachable: " : "", x.why);
		return EX_UNAVAILABLE;
	}
	memset(&r, 0, sizeof r);
	if (sr.toolong || proto_reply_parse(sr.line, strlen(sr.line),
	    &r) == -1)
		log_warnx("stats: unreadable reply from collectord");
	else if (!r.ok) {
		log_warnx("stats: collectord answered %s: %s",
		    proto_err_name(r.err), r.detail);
		rc = r.err == PROTO_BUSY ? EX_TEMPFAIL : EX_UNAVAILABLE;
	} else if (!json_object_object_get_ex(r.body, "stats", &stats) ||
	    !json_object_is_type(stats, json_type_object))
		log_warnx("stats: reply without statistics");
	else {
		printf("%s\n", json_object_to_json_string_ext(stats,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		rc = fflush(stdout) == 0 ? EX_OK : EX_IOERR;
	}
	if (r.body != NULL)
		json_object_put(r.body);
	free(sr.line);
	return rc;
}

/*
 * A hook runner may start us with stdin, stdout or stderr closed. The
 * socket or a fallback file would then get that descriptor, and a message
 * meant for stderr would land in collectord's stream or in the spool.
 */
static void
hk_std_fds(void)
{
	int	fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) == -1)
			_exit(EX_OSERR);
	}
}

/*
 * The commands: one per event type (agent-spawned, …), these, and one per
 * framework (hk_framework_find). Every command is found here and nowhere
 * else.
 */
static const struct hk_cmd hk_cmds[] = {
	{ "rbac-decision",	hk_cmd_event,	1 },
	{ "emit",		hk_cmd_event,	0 },
	{ "send",		hk_cmd_send,	0 },
	{ "stats",		hk_cmd_stats,	0 },
	{ "setup",		hk_cmd_setup,	0 },
};
static const struct hk_cmd hk_cmd_type = { "TYPE", hk_cmd_event, 0 };
static const struct hk_cmd hk_cmd_framework = { "FRAMEWORK", hk_cmd_hook, 0 };

/* Which command argv names; -1 when none. */
static int
hk_find_cmd(const char *name, struct hk_cmdline *c)
{
	size_t	i;

	c->name = name;
	if ((c->type = evt_type_by_command(name)) != -1) {
		c->cmd = &hk_cmd_type;
		return 0;
	}
	if ((c->fw = hk_framework_find(name)) != NULL) {
		c->cmd = &hk_cmd_framework;
		return 0;
	}
	for (i = 0; i < sizeof hk_cmds / sizeof hk_cmds[0]; i++) {
		if (strcmp(hk_cmds[i].name, name) == 0) {
			c->cmd = &hk_cmds[i];
			return 0;
		}
	}
	return -1;
}

/* The whole program. */
int
hookcli_main(int argc, char **argv)
{
	struct hk_opts		 o;
	struct hk_cmdline	 c;
	int64_t			 start = ts_mono_us(), reserve_us;
	const char		*s;
	int			 ch, rc = -1;

	hk_std_fds();
	/* A collectord that closes on us must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	log_init("hookcli", LOG_TO_STDERR, 0);

	memset(&o, 0, sizeof o);
	memset(&c, 0, sizeof c);
	o.timeout_ms = HK_TIMEOUT_DEFAULT;
	if ((s = getenv("AGENTVIS_SOCKET")) != NULL && *s != '\0') {
		o.socket = s;
		o.socket_given = 1;
	} else
		o.socket = HK_DEFAULT_SOCKET;
	if ((s = getenv("AGENTVIS_FALLBACK_DIR")) != NULL && *s != '\0') {
		o.fallback_dir = s;
		o.fallback_given = 1;
	} else
		o.fallback_dir = HK_DEFAULT_FALLBACK;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:s:t:F:qh", hk_global_opts,
	    NULL)) != -1) {
		if (ch == OPT_VERSION) {
			printf("hookcli (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			return EX_OK;
		}
		if (hk_global_opt(&o, ch, optarg, &rc)) {
			if (rc != -1)
				return rc;
			continue;
		}
		if (ch == ':')
			return hk_usage_error("option needs a value: %s",
			    hk_bad_opt(argv, optind));
		return hk_usage_error("unknown option: %s",
		    hk_bad_opt(argv, optind));
	}
	if (optind >= argc)
		return hk_usage_error("no command");
	if (hk_find_cmd(argv[optind], &c) == -1)
		return hk_usage_error("unknown command: %s", argv[optind]);
	if ((rc = hk_parse_cmd(&o, &c, argc - optind, argv + optind)) != -1)
		return rc;

	/*
	 * From here on nothing may take longer than -t since start. Waiting
	 * (stdin, connect, reply) stops a tenth of -t early, at most
	 * HK_PARK_RESERVE_MS, so that parking the event after a timeout
	 * (a file write and two fsyncs) still fits in -t.
	 */
	reserve_us = (int64_t)o.timeout_ms * 100;
	if (reserve_us > HK_PARK_RESERVE_MS * 1000)
		reserve_us = HK_PARK_RESERVE_MS * 1000;
	o.deadline_us = start + (int64_t)o.timeout_ms * 1000 - reserve_us;

	return c.cmd->run(&o, &c);
}
