/*
 * wording.js: the words of the dashboard, one rule per event type. The
 * feed lines, the agent cards' "last operation" and the event detail all
 * come from here, and so do gatewayd's notification titles: its
 * stream_notification() (gatewayd/stream.c) writes title(e) below, and
 * tests/browser/dashboard.js checks, event by event, that the two agree.
 * Change a rule here and that test tells you where gatewayd must follow.
 *
 * Pure functions of an event; no DOM, so Node can import this file too.
 */

/* The eight event types, in the order the counters and filters list them. */
export const TYPES = [
	'agent_spawned', 'agent_activated', 'operation_allowed',
	'operation_denied', 'budget_updated', 'task_started',
	'task_completed', 'task_failed',
];

/*
 * Verbs for operations that have a target ("coder writing to src/app.js").
 * No prototype: an operation named "constructor" or "toString" is a
 * plain word, not Object's method.
 */
const OP_VERBS = {
	__proto__: null,
	write_file: 'writing to',
	create_file: 'creating',
	edit_file: 'editing',
	read_file: 'reading',
	delete_file: 'deleting',
	run_command: 'running',
	bash: 'running',
	execute: 'running',
	fetch_url: 'fetching',
	spawn_agent: 'spawning',
};

/* A string as is, a finite number as JavaScript writes it, else ''. */
export function str(v) {
	if (typeof v === 'string')
		return v;
	if (typeof v === 'number' && isFinite(v))
		return String(v);
	return '';
}

/* The event's metadata object (never null). */
export function meta(e) {
	return (e.metadata && typeof e.metadata === 'object') ? e.metadata : {};
}

/* What an operation acts on: metadata.path, file, target, command or url. */
function targetOf(e) {
	const m = meta(e);
	return str(m.path) || str(m.file) || str(m.target) ||
	    str(m.command) || str(m.url);
}

/* What a task is about: metadata.task, description, or the operation. */
function taskOf(e) {
	const m = meta(e);
	return str(m.task) || str(m.description) || str(e.operation) ||
	    str(m.task_id) || 'a task';
}

/* Milliseconds as the original dashboard wrote them: 2500 -> "2.5s". */
function seconds(ms) {
	if (ms >= 60000) {
		const s = Math.round(ms / 1000);
		return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
	}
	return Number((ms / 1000).toFixed(ms < 1000 ? 3 : 1)) + 's';
}

/* A signed number: -10, +5, 0. */
function signed(n) {
	return n > 0 ? '+' + n : String(n);
}

/* One rule per type; each returns the words after the agent's name. */
const WORDS = {
	__proto__: null,
	agent_spawned: () => 'agent created',
	/*
	 * The original words for an activation; a framework's hook
	 * (metadata.hook) says what happened in its operation instead.
	 */
	agent_activated(e) {
		const m = meta(e), op = str(e.operation);
		if (m.permission === 'requested')
			return 'asks to use ' + (op || 'a tool');
		if (!op || op === 'activate_agent' || !str(m.hook))
			return 'permissions validated';
		const detail = str(m.message) || str(m.trigger) ||
		    str(m.teammate_name) || str(m.to_model);
		return op.replace(/_/g, ' ') + (detail ? ': ' + detail : '');
	},
	operation_allowed(e) {
		const t = targetOf(e), op = str(e.operation);
		if (!t)
			return 'allowed ' + (op || 'operation');
		return (OP_VERBS[op] || op || 'using') + ' ' + t;
	},
	operation_denied(e) {
		const reason = str(meta(e).reason);
		return 'denied ' + (str(e.operation) || 'operation') +
		    (reason ? ': ' + reason : '');
	},
	budget_updated(e) {
		const m = meta(e);
		const left = m.budget_remaining, total = m.budget_total;
		const delta = m.budget_delta;
		if (typeof left !== 'number')
			return 'budget updated';
		return 'budget: ' + left +
		    (typeof total === 'number' ? '/' + total : '') +
		    (typeof delta === 'number' ? ' (' + signed(delta) + ')' : '');
	},
	task_started: (e) => 'started ' + taskOf(e),
	task_completed(e) {
		const m = meta(e);
		const what = str(m.task) || str(m.description) ||
		    'completed ' + (str(e.operation) || str(m.task_id) || 'a task');
		return what + (typeof m.duration_ms === 'number' ?
		    ' (' + seconds(m.duration_ms) + ')' : '');
	},
	task_failed(e) {
		const err = str(meta(e).error);
		return 'failed ' + taskOf(e) + (err ? ': ' + err : '');
	},
};

/* The agent's display name. */
export function nameOf(e) {
	return str(e.agent_name) || str(e.agent_id) || 'agent';
}

/* The words after the name, e.g. "writing to src/app.js". */
export function action(e) {
	const rule = WORDS[e.event_type];
	return rule ? rule(e) : str(e.operation);
}

/* The whole feed line: "[operation_allowed] coder writing to src/app.js". */
export function describe(e) {
	return '[' + e.event_type + '] ' + nameOf(e) + ' ' + action(e);
}

/* The types whose rule gatewayd writes out in its notification titles. */
export const TITLED = new Set(['operation_denied', 'task_failed', 'budget_updated']);

/*
 * gatewayd's title for a notification of e. For the TITLED types, the
 * feed line without its "[type] " tag ("coder denied write_file: path
 * outside project"); for the others, the line's head, "[type] name"
 * ("[agent_spawned] coder"), the part gatewayd writes without knowing
 * the rule. The toasts rely on it: a title the line ends with is not
 * repeated in the toast's body.
 */
export function title(e) {
	if (TITLED.has(e.event_type))
		return nameOf(e) + ' ' + action(e);
	return '[' + e.event_type + '] ' + nameOf(e);
}
