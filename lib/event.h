/*
 * event.h: the agentvis event (agentvis-events(7)), its 8 types and the
 * one strict validator that hookcli, collectord and gatewayd share.
 *
 * Events are json-c objects throughout: the validator checks one in place,
 * evt_new() builds one with the per-type defaults filled in.
 *
 * Validation errors carry a field path relative to the event
 * ("metadata.budget_total", "" for the event itself), a message and a
 * FastAPI-style type tag; gatewayd turns them into 422 detail entries
 * ({"loc":["events",3,"metadata","budget_total"],"msg":…,"type":…}) and
 * collectord into reply lines ("agent_id: missing").
 */
#ifndef AV_EVENT_H
#define AV_EVENT_H

#include <stddef.h>
#include <json-c/json.h>

enum evt_type {
	EVT_AGENT_SPAWNED,
	EVT_AGENT_ACTIVATED,
	EVT_OPERATION_ALLOWED,
	EVT_OPERATION_DENIED,
	EVT_BUDGET_UPDATED,
	EVT_TASK_STARTED,
	EVT_TASK_COMPLETED,
	EVT_TASK_FAILED,
	EVT__COUNT
};

/* Limits of the schema and of one protocol line (agentvis-events(7)). */
#define EVT_SHORT_MAX		256	/* bytes, for the short string fields */
#define EVT_META_MAX_BYTES	16384	/* compact metadata minus origin */
#define EVT_META_MAX_DEPTH	8	/* nesting levels below metadata */
#define EVT_LINE_MAX		65536	/* one NDJSON line, without newline */

/* One row of the type table. */
struct evt_type_info {
	const char	*name;		/* "agent_spawned" */
	const char	*command;	/* hookcli subcommand, "agent-spawned" */
	const char	*status;	/* default status */
	const char	*operation;	/* default operation */
	const char	*const *need_num;  /* metadata numbers required, NULL-ended */
	const char	*const *need_str;  /* metadata strings required, NULL-ended */
	const char	*const *opt_num;   /* metadata numbers >= 0 allowed, NULL-ended */
	const char	*const *opt_str;   /* metadata strings allowed, NULL-ended */
};

/* The table, indexed by enum evt_type. */
extern const struct evt_type_info evt_types[EVT__COUNT];

/* Index of an event_type name ("task_failed"), or -1. */
int evt_type_lookup(const char *name);
/* Index of a hookcli subcommand name ("task-failed"), or -1. */
int evt_type_by_command(const char *command);

/* 1 if metadata.key must be a string of at most EVT_SHORT_MAX bytes. */
int evt_meta_is_short(const char *key);

/* Flags for evt_validate(). */
#define EVT_ALLOW_ORIGIN 0x01	/* metadata.origin may be present (gatewayd) */

/* One validation error. */
struct evt_error {
	char		 field[128];	/* dotted path in the event; "" = whole */
	char		 msg[192];	/* human reason: "field required" */
	const char	*type;		/* FastAPI-style tag: "missing", … */
};

/*
 * Check ev against the schema. Fills up to nerr errors (all problems, not
 * only the first) and returns how many there were in total (0 = valid).
 * Never modifies ev.
 */
int evt_validate(struct json_object *ev, unsigned flags,
    struct evt_error *errs, int nerr);

/*
 * Put ev's event_id and timestamp in their canonical forms, in place: the
 * UUID in lower case, the time as ts_format writes it (UTC, milliseconds,
 * finer digits dropped), so that two spellings of one event compare
 * equal. 0, or -1 with a static reason in *why, ev unchanged, when either
 * is missing or invalid (evt_validate accepts no such event).
 */
int evt_canonical(struct json_object *ev, const char **why);

/*
 * How many values in v, however deep, no event may hold in its metadata
 * (a string with a NUL, a number no store keeps exactly); 0 = none.
 */
int evt_value_refusals(struct json_object *v);

/* Format err as "field: msg" (or "msg" when field is empty) into buf. */
size_t evt_error_str(const struct evt_error *err, char *buf, size_t len);

/*
 * New event object of type t with event_id (v4), timestamp (now), status
 * and operation defaults and an empty metadata object. Caller owns it
 * (json_object_put). Other fields are left for the caller to set.
 */
struct json_object *evt_new(enum evt_type t);

/* Metadata object of ev, created empty if absent. Borrowed reference. */
struct json_object *evt_metadata(struct json_object *ev);

/* String field of ev, or NULL when absent or not a string. Borrowed. */
const char *evt_get_str(struct json_object *ev, const char *field);

#endif
