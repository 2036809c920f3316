/*
 * event.c: the event model and its one strict validator; the schema
 * and its rules are documented in agentvis-events(7).
 *
 * The table of the 8 types lives here and only here: hookcli builds its
 * subcommands and defaults from it, collectord and gatewayd validate with
 * it, and agentvis-events(7) documents it.
 *
 * The validator collects every problem rather than stopping at the first,
 * each with the field path, a message and a FastAPI-style type tag, so
 * gatewayd's 422 answers read like a FastAPI service's. It walks the
 * object once and allocates nothing on the path of a valid event: it runs
 * for every event in collectord and again in gatewayd.
 *
 * Two rules hold for every value of an event, however deep in metadata,
 * so that nothing is stored other than it was sent: a string has no NUL
 * (every C consumer would cut it there), and a number is one every store
 * keeps exactly (avjson_num_check: a signed 64-bit integer, or a finite
 * double that does not round a nonzero number to 0).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "avjson.h"
#include "log.h"
#include "timefmt.h"
#include "uuidstr.h"

static const char *const evt_budget_nums[] = {
	"budget_remaining", "budget_total", "budget_delta", NULL
};
static const char *const evt_duration[] = { "duration_ms", NULL };
static const char *const evt_error_key[] = { "error", NULL };
static const char *const evt_reason_key[] = { "reason", NULL };

/* The 8 types: name, hookcli command, default status and operation, metadata rules. */
const struct evt_type_info evt_types[EVT__COUNT] = {
	[EVT_AGENT_SPAWNED] = { "agent_spawned", "agent-spawned",
	    "success", "spawn_agent", NULL, NULL, NULL, NULL },
	[EVT_AGENT_ACTIVATED] = { "agent_activated", "agent-activated",
	    "success", "activate_agent", NULL, NULL, NULL, NULL },
	[EVT_OPERATION_ALLOWED] = { "operation_allowed", "operation-allowed",
	    "success", "operation", NULL, NULL, NULL, NULL },
	[EVT_OPERATION_DENIED] = { "operation_denied", "operation-denied",
	    "denied", "operation", NULL, NULL, NULL, evt_reason_key },
	[EVT_BUDGET_UPDATED] = { "budget_updated", "budget-updated",
	    "success", "budget_update", evt_budget_nums, NULL, NULL, NULL },
	[EVT_TASK_STARTED] = { "task_started", "task-started",
	    "success", "task", NULL, NULL, NULL, NULL },
	[EVT_TASK_COMPLETED] = { "task_completed", "task-completed",
	    "success", "task", NULL, NULL, evt_duration, NULL },
	[EVT_TASK_FAILED] = { "task_failed", "task-failed",
	    "failure", "task", NULL, evt_error_key, NULL, NULL },
};

static const char *const evt_statuses[] = { "success", "failure", "denied", NULL };

/* Metadata keys every type may carry; strings of at most EVT_SHORT_MAX. */
static const char *const evt_meta_short[] = {
	"session_id", "task_id", "project", "trace_id", "user_id", NULL
};

/* Top-level fields, in the order errors are reported. */
enum evt_field {
	F_EVENT_TYPE,
	F_TIMESTAMP,
	F_EVENT_ID,
	F_AGENT_ID,
	F_AGENT_NAME,
	F_AGENT_ROLE,
	F_OPERATION,
	F_STATUS,
	F_METADATA,
	F__COUNT
};

static const char *const evt_field_names[F__COUNT] = {
	"event_type", "timestamp", "event_id", "agent_id", "agent_name",
	"agent_role", "operation", "status", "metadata"
};

/* Where the errors of one evt_validate call go. */
struct evt_vctx {
	struct evt_error	*errs;
	int			 nerr;
	int			 count;
};

/* Flags of evt_check_str. */
#define EVT_STR_NONEMPTY	0x01	/* refuse "" */
#define EVT_STR_NUL		0x02	/* refuse NUL bytes (metadata's walk does) */

/*
 * Where evt_meta_walk is: the member name or array index of each level
 * below metadata. Kept as pointers and numbers, and written out only
 * for an error.
 */
struct evt_path {
	const char	*key[EVT_META_MAX_DEPTH + 1];	/* NULL: an index */
	size_t		 idx[EVT_META_MAX_DEPTH + 1];
	int		 n;
};

/* Index of an event type name in evt_types, or -1. */
int
evt_type_lookup(const char *name)
{
	int	i;

	for (i = 0; i < EVT__COUNT; i++) {
		if (strcmp(evt_types[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* Index of a hookcli subcommand name, or -1. */
int
evt_type_by_command(const char *command)
{
	int	i;

	for (i = 0; i < EVT__COUNT; i++) {
		if (strcmp(evt_types[i].command, command) == 0)
			return i;
	}
	return -1;
}

/* Record one error at path prefix[.name] (either may be NULL). */
static void AV_PRINTF(5, 6)
evt_err(struct evt_vctx *v, const char *prefix, const char *name,
    const char *type, const char *fmt, ...)
{
	struct evt_error	*e;
	va_list			 ap;

	if (v->count++ >= v->nerr)
		return;
	e = &v->errs[v->count - 1];
	if (prefix != NULL && name != NULL)
		snprintf(e->field, sizeof e->field, "%s.%s", prefix, name);
	else
		snprintf(e->field, sizeof e->field, "%s",
		    prefix != NULL ? prefix : name != NULL ? name : "");
	e->type = type;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

/*
 * Check that o is a string of at most max bytes (0 = no limit), and as
 * flags ask non-empty and without NUL bytes. Returns it, or NULL after
 * recording why.
 */
static const char *
evt_check_str(struct evt_vctx *v, struct json_object *o, const char *prefix,
    const char *name, unsigned flags, size_t max)
{
	const char	*s;
	size_t		 len;

	if (!json_object_is_type(o, json_type_string)) {
		evt_err(v, prefix, name, "string_type", "must be a string");
		return NULL;
	}
	s = json_object_get_string(o);
	len = (size_t)json_object_get_string_len(o);
	if (max != 0 && len > max) {
		evt_err(v, prefix, name, "string_too_long",
		    "string longer than %zu bytes", max);
		return NULL;
	}
	if ((flags & EVT_STR_NONEMPTY) && len == 0) {
		evt_err(v, prefix, name, "string_too_short", "must not be empty");
		return NULL;
	}
	/* "\u0000" is valid JSON, but every C consumer would cut the string there. */
	if ((flags & EVT_STR_NUL) && memchr(s, '\0', len) != NULL) {
		evt_err(v, prefix, name, "string_pattern_mismatch",
		    "must not contain NUL bytes");
		return NULL;
	}
	return s;
}

/*
 * Check that o is a number (>= 0 when nonneg). 0, or -1 after recording.
 * Whether it is one a store keeps exactly is evt_meta_walk's to say.
 */
static int
evt_check_num(struct evt_vctx *v, struct json_object *o, const char *name,
    int nonneg)
{
	switch (json_object_get_type(o)) {
	case json_type_int:
		if (nonneg && json_object_get_int64(o) < 0)
			break;
		return 0;
	case json_type_double:
		if (nonneg && json_object_get_double(o) < 0)
			break;
		return 0;
	default:
		evt_err(v, "metadata", name, "float_type", "must be a number");
		return -1;
	}
	evt_err(v, "metadata", name, "greater_than_equal", "must be >= 0");
	return -1;
}

/*
 * Record an "enum" error listing the n allowed names, found stride bytes
 * apart from first (so the type table serves without a copy of its names).
 */
static void
evt_err_enum(struct evt_vctx *v, const char *name, const char *const *first,
    size_t stride, int n)
{
	char	msg[192];
	size_t	off;
	int	i;

	off = (size_t)snprintf(msg, sizeof msg, "must be one of:");
	for (i = 0; i < n && off < sizeof msg; i++)
		off += (size_t)snprintf(msg + off, sizeof msg - off, "%s %s",
		    i == 0 ? "" : ",",
		    *(const char *const *)((const char *)first + i * stride));
	evt_err(v, NULL, name, "enum", "%s", msg);
}

/* Record an error at the walk's path below metadata. */
static void AV_PRINTF(4, 5)
evt_err_path(struct evt_vctx *v, const struct evt_path *path, const char *type,
    const char *fmt, ...)
{
	char	field[sizeof v->errs[0].field], msg[sizeof v->errs[0].msg];
	size_t	off;
	va_list	ap;
	int	i;

	if (v->count >= v->nerr) {
		v->count++;
		return;
	}
	off = (size_t)snprintf(field, sizeof field, "metadata");
	for (i = 0; i < path->n && off < sizeof field; i++) {
		if (path->key[i] != NULL)
			off += (size_t)snprintf(field + off, sizeof field - off,
			    ".%s", path->key[i]);
		else
			off += (size_t)snprintf(field + off, sizeof field - off,
			    ".%zu", path->idx[i]);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	evt_err(v, NULL, field, type, "%s", msg);
}

/* Record why number o is not kept exactly, if it is not. */
static void
evt_check_exact(struct evt_vctx *v, struct json_object *o,
    const struct evt_path *path)
{
	switch (avjson_num_check(o)) {
	case AVJSON_NUM_EXACT:
		return;
	case AVJSON_NUM_INT_RANGE:
		evt_err_path(v, path, "int_parsing_size",
		    "integer outside the signed 64-bit range");
		return;
	case AVJSON_NUM_NEG_ZERO:
		evt_err_path(v, path, "int_parsing_size",
		    "-0 is not a 64-bit integer; send 0");
		return;
	case AVJSON_NUM_OVERFLOW:
		evt_err_path(v, path, "finite_number", "must be a finite number");
		return;
	case AVJSON_NUM_UNDERFLOW:
		evt_err_path(v, path, "float_underflow",
		    "too small for a double: it would be 0");
		return;
	}
}

/*
 * Walk a metadata value: its depth below metadata (containers only), an
 * upper bound of its compact serialised size, and the two rules for every
 * value (no NUL in a string, numbers kept exactly), recorded at the
 * value's path. Stops descending past the depth limit, so hostile nesting
 * costs nothing.
 */
static void
evt_meta_walk(struct evt_vctx *v, struct json_object *o, int depth,
    int *maxdepth, size_t *bound, struct evt_path *path)
{
	struct json_object	*e;
	const char		*text;
	size_t			 i, n;

	switch (json_object_get_type(o)) {
	case json_type_object:
		if (depth > *maxdepth)
			*maxdepth = depth;
		if (depth > EVT_META_MAX_DEPTH)
			return;
		*bound += 2;
		path->n = depth + 1;
		json_object_object_foreach(o, key, val) {
			/* Worst case escaping is 6 bytes per byte ("\u001f"). */
			*bound += 6 * strlen(key) + 4;
			path->key[depth] = key;
			evt_meta_walk(v, val, depth + 1, maxdepth, bound, path);
			path->n = depth + 1;
		}
		return;
	case json_type_array:
		if (depth > *maxdepth)
			*maxdepth = depth;
		if (depth > EVT_META_MAX_DEPTH)
			return;
		n = json_object_array_length(o);
		*bound += 2 + n;
		path->n = depth + 1;
		path->key[depth] = NULL;
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(o, i);
			path->idx[depth] = i;
			evt_meta_walk(v, e, depth + 1, maxdepth, bound, path);
			path->n = depth + 1;
		}
		return;
	case json_type_string:
		n = (size_t)json_object_get_string_len(o);
		*bound += 2 + 6 * n;
		/* "\u0000" is valid JSON, but every C consumer would cut the string there. */
		if (memchr(json_object_get_string(o), '\0', n) != NULL)
			evt_err_path(v, path, "string_pattern_mismatch",
			    "must not contain NUL bytes");
		return;
	case json_type_double:
		/* A double read from text prints as that text, however long. */
		text = json_object_get_userdata(o);
		*bound += text != NULL ? strlen(text) : 32;
		evt_check_exact(v, o, path);
		return;
	case json_type_int:
		*bound += 24;
		evt_check_exact(v, o, path);
		return;
	default:
		*bound += 8;	/* true, false, null */
		return;
	}
}

/* How many values in v no event may hold: NUL in a string, a number not kept exactly. */
int
evt_value_refusals(struct json_object *v)
{
	struct evt_vctx	 ctx = { NULL, 0, 0 };
	struct evt_path	 path;
	size_t		 bound = 0;
	int		 maxdepth = 0;

	/* v as a member of metadata; with no room for errors, no path is written. */
	path.n = 0;
	evt_meta_walk(&ctx, v, 1, &maxdepth, &bound, &path);
	return ctx.count;
}

/* 1 if name is in the NULL-ended list. */
static int
evt_in_list(const char *const *list, const char *name)
{
	if (list == NULL)
		return 0;
	for (; *list != NULL; list++) {
		if (strcmp(*list, name) == 0)
			return 1;
	}
	return 0;
}

/*
 * 1 if key is one of evt_meta_short. A switch on the first byte first:
 * most metadata keys are not, and this runs for every key of every event.
 */
int
evt_meta_is_short(const char *key)
{
	switch (key[0]) {
	case 's': case 't': case 'p': case 'u':
		return evt_in_list(evt_meta_short, key);
	}
	return 0;
}

/* Index of name in the NULL-ended list, or -1. */
static int
evt_list_index(const char *const *list, const char *name)
{
	int	i;

	if (list == NULL)
		return -1;
	for (i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i], name) == 0)
			return i;
	}
	return -1;
}

/* Check metadata.origin: {uid, gid, pid: ints >= 0, via: "socket"|"fallback"}. */
static void
evt_check_origin(struct evt_vctx *v, struct json_object *o)
{
	static const char *const ints[] = { "uid", "gid", "pid", NULL };
	static const char *const vias[] = { "socket", "fallback", NULL };
	struct json_object	*f;
	const char		*s;
	int			 i;

	if (!json_object_is_type(o, json_type_object)) {
		evt_err(v, "metadata", "origin", "dict_type", "must be an object");
		return;
	}
	for (i = 0; ints[i] != NULL; i++) {
		if (!json_object_object_get_ex(o, ints[i], &f))
			evt_err(v, "metadata.origin", ints[i], "missing",
			    "field required");
		else if (!json_object_is_type(f, json_type_int)) {
			/* An integer no store keeps: evt_meta_walk says so. */
			if (avjson_num_check(f) != AVJSON_NUM_INT_RANGE &&
			    avjson_num_check(f) != AVJSON_NUM_NEG_ZERO)
				evt_err(v, "metadata.origin", ints[i], "int_type",
				    "must be an integer");
		}
		else if (json_object_get_int64(f) < 0)
			evt_err(v, "metadata.origin", ints[i],
			    "greater_than_equal", "must be >= 0");
	}
	if (!json_object_object_get_ex(o, "via", &f))
		evt_err(v, "metadata.origin", "via", "missing", "field required");
	else if ((s = evt_check_str(v, f, "metadata.origin", "via", 0, 0)) != NULL &&
	    !evt_in_list(vias, s))
		evt_err(v, "metadata.origin", "via", "enum",
		    "must be one of: socket, fallback");
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (!evt_in_list(ints, key) && strcmp(key, "via") != 0)
			evt_err(v, "metadata.origin", key, "extra_forbidden",
			    "extra field not permitted");
	}
}

/*
 * Compact serialised size of meta without its member "origin". The limit
 * is on what the client sent: collectord stamps origin after checking, and
 * gatewayd must measure the same thing or an event acknowledged at the
 * limit would be refused downstream. origin is bounded by its own fixed
 * shape (evt_check_origin). json-c writes a member as "key":value with a
 * comma between members, so origin's share is known exactly.
 */
static size_t
evt_meta_size(struct json_object *meta)
{
	struct json_object	*o;
	size_t			 len, olen;

	avjson_str(meta, &len);
	if (!json_object_object_get_ex(meta, "origin", &o))
		return len;
	avjson_str(o, &olen);
	len -= (sizeof "\"origin\":" - 1) + olen;
	if (json_object_object_length(meta) > 1)
		len--;
	return len;
}

/* Check the metadata object against the common and the type's rules. */
static void
evt_check_meta(struct evt_vctx *v, struct json_object *meta, int type,
    unsigned flags)
{
	const struct evt_type_info	*ti = type >= 0 ? &evt_types[type] : NULL;
	struct evt_path			 path;
	unsigned			 seen_num = 0, seen_str = 0;
	size_t				 bound = 2;
	int				 i, maxdepth = 0;

	if (meta != NULL && !json_object_is_type(meta, json_type_object)) {
		evt_err(v, NULL, "metadata", "dict_type", "must be an object");
		meta = NULL;
	} else if (meta != NULL) {
		path.n = 0;
		evt_meta_walk(v, meta, 0, &maxdepth, &bound, &path);
		if (maxdepth > EVT_META_MAX_DEPTH)
			evt_err(v, NULL, "metadata", "too_deep",
			    "nested deeper than %d levels", EVT_META_MAX_DEPTH);
		/*
		 * Serialise only when the cheap bound (origin included, so
		 * still an upper bound) says it could be too big.
		 */
		else if (bound > EVT_META_MAX_BYTES &&
		    evt_meta_size(meta) > EVT_META_MAX_BYTES)
			evt_err(v, NULL, "metadata", "too_large",
			    "larger than %d bytes serialised",
			    EVT_META_MAX_BYTES);
		json_object_object_foreach(meta, key, val) {
			if (evt_meta_is_short(key)) {
				evt_check_str(v, val, "metadata", key, 0,
				    EVT_SHORT_MAX);
				continue;
			}
			if (strcmp(key, "origin") == 0) {
				if (flags & EVT_ALLOW_ORIGIN)
					evt_check_origin(v, val);
				else
					evt_err(v, "metadata", "origin",
					    "extra_forbidden", "set by collectord, "
					    "not accepted from clients");
				continue;
			}
			if (ti == NULL)
				continue;
			if ((i = evt_list_index(ti->need_num, key)) != -1) {
				seen_num |= 1U << i;
				evt_check_num(v, val, key, 0);
			} else if ((i = evt_list_index(ti->need_str, key)) != -1) {
				seen_str |= 1U << i;
				evt_check_str(v, val, "metadata", key,
				    EVT_STR_NONEMPTY, 0);
			} else if (evt_in_list(ti->opt_num, key))
				evt_check_num(v, val, key, 1);
			else if (evt_in_list(ti->opt_str, key))
				evt_check_str(v, val, "metadata", key, 0, 0);
		}
	}
	if (ti == NULL)
		return;
	for (i = 0; ti->need_num != NULL && ti->need_num[i] != NULL; i++) {
		if (!(seen_num & (1U << i)))
			evt_err(v, "metadata", ti->need_num[i], "missing",
			    "field required");
	}
	for (i = 0; ti->need_str != NULL && ti->need_str[i] != NULL; i++) {
		if (!(seen_str & (1U << i)))
			evt_err(v, "metadata", ti->need_str[i], "missing",
			    "field required");
	}
}

/* Which top-level field a key is, or -1; a switch on the first byte keeps it cheap. */
static int
evt_field_of(const char *key)
{
	int	i, lo, hi;

	switch (key[0]) {
	case 'a': lo = F_AGENT_ID; hi = F_AGENT_ROLE; break;
	case 'e': lo = F_EVENT_TYPE; hi = F_EVENT_ID; break;
	case 'm': lo = hi = F_METADATA; break;
	case 'o': lo = hi = F_OPERATION; break;
	case 's': lo = hi = F_STATUS; break;
	case 't': lo = hi = F_TIMESTAMP; break;
	default: return -1;
	}
	for (i = lo; i <= hi; i++) {
		if (strcmp(key, evt_field_names[i]) == 0)
			return i;
	}
	return -1;
}

/* Check ev against the schema; returns the number of problems (0 = valid). */
int
evt_validate(struct json_object *ev, unsigned flags, struct evt_error *errs,
    int nerr)
{
	struct evt_vctx		 v = { errs, nerr < 0 ? 0 : nerr, 0 };
	struct json_object	*f[F__COUNT] = { NULL };
	const char		*s, *why;
	int			 i, type = -1, extra = 0;
	unsigned		 present = 0;
	int64_t			 ms;

	if (!json_object_is_type(ev, json_type_object)) {
		evt_err(&v, NULL, NULL, "dict_type", "event must be a JSON object");
		return v.count;
	}
	json_object_object_foreach(ev, key, val) {
		if ((i = evt_field_of(key)) == -1)
			extra++;
		else {
			/* JSON null is a present value of the wrong type, not absence. */
			f[i] = val;
			present |= 1U << i;
		}
	}
	for (i = 0; i < F__COUNT; i++) {
		const char	*name = evt_field_names[i];

		if (!(present & (1U << i))) {
			if (i != F_METADATA)
				evt_err(&v, NULL, name, "missing", "field required");
			continue;
		}
		switch (i) {
		case F_EVENT_TYPE:
			if ((s = evt_check_str(&v, f[i], NULL, name,
			    EVT_STR_NUL, EVT_SHORT_MAX)) != NULL &&
			    (type = evt_type_lookup(s)) == -1)
				evt_err_enum(&v, name, &evt_types[0].name,
				    sizeof evt_types[0], EVT__COUNT);
			break;
		case F_TIMESTAMP:
			if ((s = evt_check_str(&v, f[i], NULL, name,
			    EVT_STR_NUL, EVT_SHORT_MAX)) != NULL &&
			    ts_parse(s, &ms, &why) != 0)
				evt_err(&v, NULL, name, "datetime_parse",
				    "invalid RFC 3339 timestamp: %s", why);
			break;
		case F_EVENT_ID:
			if ((s = evt_check_str(&v, f[i], NULL, name,
			    EVT_STR_NUL, EVT_SHORT_MAX)) != NULL && !uuidstr_valid(s))
				evt_err(&v, NULL, name, "uuid_parsing",
				    "invalid UUID");
			break;
		case F_AGENT_ID:
		case F_AGENT_NAME:
			evt_check_str(&v, f[i], NULL, name,
			    EVT_STR_NONEMPTY | EVT_STR_NUL, EVT_SHORT_MAX);
			break;
		case F_AGENT_ROLE:
		case F_OPERATION:
			evt_check_str(&v, f[i], NULL, name, EVT_STR_NUL,
			    EVT_SHORT_MAX);
			break;
		case F_STATUS:
			if ((s = evt_check_str(&v, f[i], NULL, name,
			    EVT_STR_NUL, EVT_SHORT_MAX)) != NULL &&
			    !evt_in_list(evt_statuses, s))
				evt_err_enum(&v, name, evt_statuses,
				    sizeof evt_statuses[0], 3);
			break;
		}
	}
	/* Type-specific rules apply only once the type is known. */
	if ((present & (1U << F_METADATA)) && f[F_METADATA] == NULL)
		evt_err(&v, NULL, "metadata", "dict_type", "must be an object");
	else
		evt_check_meta(&v, f[F_METADATA], type, flags);
	if (extra > 0) {
		json_object_object_foreach(ev, key2, val2) {
			(void)val2;
			if (evt_field_of(key2) == -1)
				evt_err(&v, NULL, key2, "extra_forbidden",
				    "extra field not permitted");
		}
	}
	return v.count;
}

/*
 * Rewrite event_id in lower case and timestamp in ts_format's UTC form,
 * the members that tell one event from another, where a client spelt
 * them otherwise. Both are checked before either is touched, and only
 * a member that changes is set: hookcli's events are canonical already.
 */
int
evt_canonical(struct json_object *ev, const char **why)
{
	struct json_object	*id, *ts;
	const char		*s;
	char			 lower[UUIDSTR_LEN], canon[TS_LEN];
	int64_t			 ms;
	int			 i, changed = 0;

	if (!json_object_is_type(ev, json_type_object)) {
		*why = "not an object";
		return -1;
	}
	if (!json_object_object_get_ex(ev, "event_id", &id) ||
	    !json_object_is_type(id, json_type_string) ||
	    json_object_get_string_len(id) != UUIDSTR_LEN - 1 ||
	    !uuidstr_valid(s = json_object_get_string(id))) {
		*why = "event_id missing or not a UUID";
		return -1;
	}
	if (!json_object_object_get_ex(ev, "timestamp", &ts) ||
	    !json_object_is_type(ts, json_type_string) ||
	    ts_parse(json_object_get_string(ts), &ms, NULL) != 0) {
		*why = "timestamp missing or not RFC 3339";
		return -1;
	}
	for (i = 0; i < UUIDSTR_LEN - 1; i++) {
		lower[i] = s[i];
		if (s[i] >= 'A' && s[i] <= 'F') {
			lower[i] = (char)(s[i] - 'A' + 'a');
			changed = 1;
		}
	}
	lower[i] = '\0';
	if (changed && json_object_set_string(id, lower) != 1)
		fatalx("json-c: cannot set event_id");
	ts_format(canon, ms);
	if ((json_object_get_string_len(ts) != TS_LEN - 1 ||
	    memcmp(json_object_get_string(ts), canon, TS_LEN - 1) != 0) &&
	    json_object_set_string(ts, canon) != 1)
		fatalx("json-c: cannot set timestamp");
	return 0;
}

/* Format err as "field: msg" or "msg". */
size_t
evt_error_str(const struct evt_error *err, char *buf, size_t len)
{
	int	n;

	if (err->field[0] != '\0')
		n = snprintf(buf, len, "%s: %s", err->field, err->msg);
	else
		n = snprintf(buf, len, "%s", err->msg);
	return n < 0 ? 0 : (size_t)n;
}

/* Add a constant key known to be new; json-c then skips its lookup and copy. */
static void
evt_add(struct json_object *ev, const char *key, struct json_object *val)
{
	if (val == NULL || json_object_object_add_ex(ev, key, val,
	    JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT) != 0)
		fatalx("json-c: cannot build event");
}

/* New event of type t with id, timestamp and defaults filled in. */
struct json_object *
evt_new(enum evt_type t)
{
	struct json_object	*ev;
	char			 id[UUIDSTR_LEN], ts[TS_LEN];

	if ((ev = json_object_new_object()) == NULL)
		fatalx("json-c: cannot build event");
	evt_add(ev, "event_type", json_object_new_string(evt_types[t].name));
	evt_add(ev, "timestamp", json_object_new_string(ts_now(ts)));
	evt_add(ev, "event_id", json_object_new_string(uuidstr_v4(id)));
	evt_add(ev, "status", json_object_new_string(evt_types[t].status));
	evt_add(ev, "operation", json_object_new_string(evt_types[t].operation));
	evt_add(ev, "metadata", json_object_new_object());
	return ev;
}

/* Metadata object of ev, created when absent; NULL when present but not an object. */
struct json_object *
evt_metadata(struct json_object *ev)
{
	struct json_object	*meta;

	if (json_object_object_get_ex(ev, "metadata", &meta))
		return json_object_is_type(meta, json_type_object) ? meta : NULL;
	meta = json_object_new_object();
	evt_add(ev, "metadata", meta);
	return meta;
}

/* String field of ev, or NULL. */
const char *
evt_get_str(struct json_object *ev, const char *field)
{
	struct json_object	*f;

	if (!json_object_object_get_ex(ev, field, &f) ||
	    !json_object_is_type(f, json_type_string))
		return NULL;
	return json_object_get_string(f);
}
