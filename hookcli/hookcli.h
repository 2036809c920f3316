/*
 * hookcli.h: the modules of hookcli(1), linked into hookcli/libhookcli.a so
 * that tests use the same code as the program (doc/ARCHITECTURE.md: the
 * pipeline it starts).
 *
 *   hookcli.c  command line, commands, exit-code policy (hookcli_main)
 *   build.c    event fields from options, environment and KEY=VALUE pairs
 *   hooks.c    an agent framework's hook payload -> event, by its table
 *   fw_*.c     the tables: one file per framework (claude, gemini, ...)
 *   setup.c    the settings that wire hookcli into a framework's hooks
 *   input.c    bounded, deadline-bounded reading of stdin or a file
 *   client.c   one connection to collectord: connect, pipeline, replies
 *   deliver.c  send lines, sort the replies, park the rest in the fallback dir
 *
 * Time: everything that can wait takes an absolute deadline on the
 * monotonic clock (ts_mono_us()), computed once at start from -t, so the
 * whole run never exceeds it however the time is split between stdin,
 * connect, write and read.
 */
#ifndef AV_HOOKCLI_H
#define AV_HOOKCLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "event.h"

#define HK_TIMEOUT_DEFAULT	500		/* ms, -t */
#define HK_TIMEOUT_MAX		600000		/* ms, -t upper bound */
#define HK_PARK_RESERVE_MS	50		/* of -t, kept for parking */
#define HK_STDIN_MAX		(1024 * 1024)	/* hook payload cap */
#define HK_SEND_MAX		(16 * 1024 * 1024) /* send input cap */
#define HK_TOOL_INPUT_MAX	2048		/* bytes of tool_input kept */
#define HK_TEXT_MAX		2048		/* bytes of a payload string kept */
#define HK_META_BUDGET		(8 * 1024)	/* metadata of a mapped hook */
#define HK_REPLY_LINE_MAX	(256 * 1024)	/* longest reply line (stats) */

/* Global options and the deadline of the run. */
struct hk_opts {
	const char	*socket;	/* -s, AGENTVIS_SOCKET, default */
	const char	*fallback_dir;	/* -F, AGENTVIS_FALLBACK_DIR, default */
	int		 timeout_ms;	/* -t */
	int		 quiet;		/* -q */
	int		 strict;	/* --strict */
	int		 socket_given;	/* -s or AGENTVIS_SOCKET */
	int		 fallback_given; /* -F or AGENTVIS_FALLBACK_DIR */
	int64_t		 deadline_us;	/* end of waiting, monotonic */
};

/* Event fields as text, from the command line or the environment. */
struct hk_fields {
	const char	*agent_id;
	const char	*agent_name;
	const char	*agent_role;
	const char	*operation;
	const char	*status;
	const char	*session_id;
	const char	*task_id;
	const char	*project;
	const char	*trace_id;
	const char	*user_id;
	const char	*duration_ms;	/* checked to be a number */
	const char	*remaining;	/* budget_remaining */
	const char	*total;		/* budget_total */
	const char	*delta;		/* budget_delta */
	const char	*error;
	const char	*reason;
	char		**pairs;	/* KEY=VALUE, in order; borrowed from argv */
	size_t		 npairs;
};

/* hookcli.c */
/* The whole program; returns the exit status. */
int hookcli_main(int argc, char **argv);

/* build.c */
/* Fill f from the AGENTVIS_* variables (empty ones count as unset). */
void hk_fields_env(struct hk_fields *f);
/*
 * Set the fields of f that are non-NULL on ev; when overwrite is 0 a field
 * ev already has is kept. KEY=VALUE pairs always overwrite.
 */
void hk_fields_apply(struct json_object *ev, const struct hk_fields *f,
    int overwrite);
/* 1 if s is a JSON number ("-12", "2.5", "1e3"), else 0. */
int hk_is_number(const char *s);
/* A JSON number for s when it is one every store keeps exactly (keeping its text), else a string. */
struct json_object *hk_value(const char *s);
/* Check "KEY=VALUE": 0, or -1 with a static reason in *why. */
int hk_pair_check(const char *pair, const char **why);

/* hooks.c and fw_*.c: agent frameworks' hook payloads */
/* A payload field kept in metadata. */
struct hk_keep {
	const char	*from;		/* payload key */
	const char	*to;		/* metadata key; NULL: the same */
	unsigned	 flags;
};
#define HK_KEEP_NOTEXT	0x01	/* documented, deliberately not sent */

/* One row of a framework's table: what one of its hooks becomes. */
struct hk_hook {
	const char	*name;		/* the framework's hook name */
	enum evt_type	 type;
	const char	*operation;	/* fixed, or the fallback of op_from */
	const char	*op_from;	/* payload key naming the operation */
	const struct hk_keep *keep;	/* {NULL}-ended, or NULL */
	unsigned	 flags;		/* HK_HOOK_* */
	/* Anything a table cannot say; md is ev's metadata. NULL: none. */
	void		(*refine)(struct json_object *ev,
			    struct json_object *md, struct json_object *p);
	const char	*reply;		/* printed on stdout, or NULL */
};
#define HK_HOOK_TOOL	0x01	/* per tool call: setup adds a matcher */
#define HK_HOOK_NOSETUP	0x02	/* mapped when wired, not wired by setup */
#define HK_HOOK_ASKS	0x04	/* a permission prompt is shown (prompts.c) */
#define HK_HOOK_RAN	0x08	/* the tool ran: its prompt was answered yes */
#define HK_HOOK_TURN	0x10	/* a new turn: prompts still open were refused */
#define HK_HOOK_DENIES	0x20	/* the tool was refused: its prompt is settled */
#define HK_HOOK_SYNC	0x40	/* setup: the framework must wait for it */

/* One framework: how its payloads name things, and its table. */
struct hk_framework {
	const char	*name;		/* command, metadata.framework */
	const char	*agent_name;	/* default agent_name */
	const char	*mapped;	/* the documentation version mapped */
	const char *const *hook_keys;	/* payload keys naming the hook */
	const char *const *session_keys;
	const char *const *agent_keys;	/* a subagent's id */
	const char *const *agent_name_keys;
	const char *const *cwd_keys;	/* metadata.project from these */
	const struct hk_keep *common;	/* kept for every hook */
	const struct hk_hook *hooks;
	size_t		 nhooks;
	void		(*refine)(struct json_object *ev,
			    struct json_object *md, struct json_object *p);
	int		 quiet;		/* stderr is read as an answer: none */
	/*
	 * Print the settings that run cmd (a shell command line; argv is
	 * the same words unquoted, NULL-ended) on every hook of the table.
	 */
	void		(*setup)(FILE *fp, const struct hk_framework *fw,
			    const char *cmd, const char *const *argv);
};

extern const struct hk_framework hk_fw_claude, hk_fw_gemini, hk_fw_cursor,
    hk_fw_codex;

/* The framework a command names ("claude-code"), or NULL. */
const struct hk_framework *hk_framework_find(const char *name);
/* The table's row for a hook name, or NULL. */
const struct hk_hook *hk_hook_find(const struct hk_framework *fw,
    const char *name);
/*
 * Map a payload onto a new event (facts from the payload only; the caller
 * adds environment, options and then hk_hook_defaults). A hook the table
 * does not know still becomes an event (*row NULL); only a payload that is
 * not a JSON object gives NULL, with a message in *cause (caller frees).
 */
struct json_object *hk_hook_event(const struct hk_framework *fw,
    struct json_object *payload, const struct hk_hook **row, char **cause);
/* Defaults for what is still unsaid: agent_id, agent_name, agent_role. */
void hk_hook_defaults(const struct hk_framework *fw, struct json_object *ev,
    struct json_object *payload);
/* For the tables' refine functions: */
const char *hk_str(struct json_object *obj, const char *key);
size_t hk_cut(const char *s, size_t len, size_t max);
void hk_keep_value(struct json_object *md, enum evt_type t, const char *key,
    struct json_object *v);
void hk_project(struct json_object *md, const char *dir);
/* prompts.c: permission prompts that no hook reports the answer to. */
/*
 * After ev was mapped from payload p by row: remember a prompt (ASKS),
 * settle one (RAN: adds metadata.permission "granted" to ev), or, at a new
 * turn (TURN), turn each prompt still open into an operation_denied event.
 * Returns how many denials it put in *out (texts the caller frees).
 */
size_t hk_prompts(const struct hk_framework *fw, const struct hk_hook *row,
    struct json_object *ev, struct json_object *p, char ***out);

/* setup.c: the settings writers the tables share. */
void hk_setup_json_nested(FILE *fp, const struct hk_framework *fw,
    const char *cmd, int with_async, int timeout, const char *name);
void hk_setup_cursor(FILE *fp, const struct hk_framework *fw,
    const char *cmd, const char *const *argv);
void hk_setup_codex(FILE *fp, const struct hk_framework *fw,
    const char *cmd, const char *const *argv);

/* input.c */
enum hk_in {
	HK_IN_OK,	/* read to end of input */
	HK_IN_TOOBIG,	/* more than cap bytes */
	HK_IN_TIMEOUT,	/* the deadline came first; *buf holds what came */
	HK_IN_ERROR,	/* read error, *cause set */
};
/*
 * Read fd to its end, at most cap bytes, until deadline_us. *buf is always
 * set (NUL-terminated, caller frees), *len is its length.
 */
enum hk_in hk_read_input(int fd, size_t cap, int64_t deadline_us, char **buf,
    size_t *len, char **cause);

/* client.c */
/* Called once per reply line in order; line is NULL for an over-long one. */
typedef void (*hk_reply_cb)(void *arg, size_t idx, const char *line,
    size_t len);

enum hk_xstatus {
	HK_X_DONE,	/* every request got its reply */
	HK_X_NOCONNECT,	/* never connected: nothing was sent */
	HK_X_BROKEN,	/* connected, but fewer replies than requests */
};

struct hk_xresult {
	enum hk_xstatus	 status;
	size_t		 replies;	/* reply lines received */
	int		 timed_out;	/* the deadline ended it */
	char		 why[256];	/* when not HK_X_DONE */
};

/*
 * Connect to the socket at path, write out[0..outlen) (nreq request
 * lines), read nreq replies, all before deadline_us.
 */
void hk_exchange(const char *path, const char *out, size_t outlen,
    size_t nreq, int64_t deadline_us, hk_reply_cb cb, void *arg,
    struct hk_xresult *res);

/* deliver.c */
enum hk_state {
	HK_ST_PENDING,
	HK_ST_ACKED,	/* collectord has it in its spool */
	HK_ST_PARKED,	/* written to the fallback dir */
	HK_ST_REJECTED,	/* collectord said validation/too_large */
	HK_ST_FAILED,	/* neither delivered nor parked */
};

/* One event line of a batch. */
struct hk_item {
	size_t		 off;		/* in hk_batch.buf, newline included */
	size_t		 len;
	size_t		 lineno;	/* input line, for send's messages */
	enum hk_state	 state;
	int		 busy;		/* collectord answered busy */
	char		 detail[320];	/* why, when not acked */
};

/* Event lines to deliver together on one connection. */
struct hk_batch {
	char		*buf;
	size_t		 len;
	size_t		 cap;
	struct hk_item	*items;
	size_t		 n;
	size_t		 nalloc;
	/* Outcome. */
	size_t		 count[HK_ST_FAILED + 1];
	size_t		 nbusy;		/* items answered busy (then parked) */
	char		 why[512];	/* why some were not acked */
};

/* Empty batch. */
void hk_batch_init(struct hk_batch *b);
/* Free what the batch holds. */
void hk_batch_clear(struct hk_batch *b);
/* Append one line (without newline; one is added). */
void hk_batch_add(struct hk_batch *b, const char *line, size_t len,
    size_t lineno);
/*
 * Deliver every item: ack'd ones are done, refused ones (validation,
 * too_large) final; every other one (collectord unreachable or busy, no
 * reply in time, connection lost, internal error) is parked in the
 * fallback dir. Fills states and counts.
 */
void hk_deliver(const struct hk_opts *o, struct hk_batch *b);

#endif
