/*
 * agentvis dashboard: connects to gatewayd's WebSocket stream and shows what
 * the agents do, live.
 *
 * Data flow: WebSocket message -> ingest() (dedup by seq, counters, agents,
 * rate; cheap, no DOM) -> pending queue -> one render per animation frame
 * (DOM work batched, so 1,000 events/s cost a few rows per frame, not a
 * layout per event). Everything kept is bounded: rows, held rows while
 * paused, remembered seqs, agents, filter suggestions, toasts, so the page
 * can stay open for days.
 *
 * Reconnects with exponential backoff and resumes with since=<last seen seq>;
 * the server replays what was missed, and dedup by seq makes sure nothing
 * shows twice. All text from events goes through textContent, never HTML.
 */
'use strict';

(function () {

const MAX_ROWS = 500;		/* rows in the feed, in the DOM and in memory */
const MAX_AGENTS = 200;		/* agents in the panel */
const MAX_SUGGEST = 100;	/* remembered sessions/projects for filters */
const MAX_TOASTS = 5;
const SEEN_WINDOW = 4096;	/* seqs remembered for dedup */
const BACKFILL = 200;		/* stored events shown on first load */
const CHART_SECONDS = 60;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const PING_EVERY_MS = 25000;
const PONG_WAIT_MS = 10000;
const TOKEN_KEY = 'agentvis.token';
const QUIET_GAP_MS = 33;	/* least time between two renders */
const BUSY_GAP_MS = 100;	/* ... after one of BUSY_ROWS or more */
const BUSY_ROWS = 3;
const FLOOD_GAP_MS = 250;	/* ... after one of FLOOD_ROWS or more */
const FLOOD_ROWS = 60;

const TYPES = [
	'agent_spawned', 'agent_activated', 'operation_allowed',
	'operation_denied', 'budget_updated', 'task_started',
	'task_completed', 'task_failed',
];

/* ---------------------------------------------------------------------
 * Wording: the seed's feed lines, one rule per event type.
 * ------------------------------------------------------------------- */

/* Verbs for operations that have a target ("coder writing to src/app.js"). */
const OP_VERBS = {
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

/* A non-empty string, or ''. */
function str(v) {
	if (typeof v === 'string')
		return v;
	if (typeof v === 'number' && isFinite(v))
		return String(v);
	return '';
}

/* The event's metadata object (never null). */
function meta(e) {
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

/* Milliseconds as the seed writes them: 2500 -> "2.5s". */
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
	agent_spawned: () => 'agent created',
	/*
	 * The seed's words for its own activation; a framework's hook
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
function nameOf(e) {
	return str(e.agent_name) || str(e.agent_id) || 'agent';
}

/* The words after the name, e.g. "writing to src/app.js". */
function action(e) {
	const rule = WORDS[e.event_type];
	return rule ? rule(e) : str(e.operation);
}

/* The whole feed line: "[operation_allowed] coder writing to src/app.js". */
function describe(e) {
	return '[' + e.event_type + '] ' + nameOf(e) + ' ' + action(e);
}

/* ---------------------------------------------------------------------
 * Small helpers.
 * ------------------------------------------------------------------- */

const $ = (id) => document.getElementById(id);

/* An element with a class and text (text never parsed as HTML). */
function el(tag, cls, text) {
	const n = document.createElement(tag);
	if (cls)
		n.className = cls;
	if (text !== undefined)
		n.textContent = text;
	return n;
}

/* Two-digit and three-digit padding. */
const p2 = (n) => (n < 10 ? '0' : '') + n;
const p3 = (n) => (n < 10 ? '00' : n < 100 ? '0' : '') + n;

/* Local wall-clock time of an ISO timestamp: "16:35:09.123". */
function clock(iso) {
	const d = new Date(iso);
	if (isNaN(d))
		return '--:--:--.---';
	return p2(d.getHours()) + ':' + p2(d.getMinutes()) + ':' +
	    p2(d.getSeconds()) + '.' + p3(d.getMilliseconds());
}

/* A number with thousands separators. */
const fmt = (n) => n.toLocaleString('en-US');

/* ---------------------------------------------------------------------
 * State.
 * ------------------------------------------------------------------- */

const state = {
	events: [],		/* in the feed, newest first (by seq) */
	pending: [],		/* arrived, not yet rendered */
	held: [],		/* arrived while paused */
	heldCount: 0,
	paused: false,
	seen: new Set(),	/* dedup keys, bounded by seenOrder */
	seenOrder: [],
	seenHead: 0,
	lastSeq: 0,
	cursor: false,		/* lastSeq is a position in the gateway's store */
	baseSeq: 0,		/* the counters include every seq up to this */
	counts: Object.fromEntries(TYPES.map((t) => [t, 0])),
	total: 0,
	duplicates: 0,
	countsDirty: true,
	agents: new Map(),	/* agent_id -> agent */
	agentsDirty: new Set(),
	agentOptionsDirty: false,
	sessions: new Set(),
	projects: new Set(),
	suggestDirty: false,
	rate: new Int32Array(CHART_SECONDS),
	rateSec: 0,
	selected: null,
	filter: { type: '', agent: '', session: '', project: '' },
	frame: 0,		/* a render is scheduled */
	lastRender: 0,
	gap: 0,			/* least time before the next render (ms) */
	toastIds: new Set(),
};

/* Remember a dedup key; forget the oldest past the window. */
function remember(key) {
	if (state.seenOrder.length < SEEN_WINDOW) {
		state.seenOrder.push(key);
	} else {
		state.seen.delete(state.seenOrder[state.seenHead]);
		state.seenOrder[state.seenHead] = key;
		state.seenHead = (state.seenHead + 1) % SEEN_WINDOW;
	}
	state.seen.add(key);
}

/* Count one live event in the per-second chart buckets. */
function countRate(now) {
	const sec = Math.floor(now / 1000);
	advanceRate(sec);
	state.rate[sec % CHART_SECONDS]++;
}

/* Zero the buckets of the seconds that passed without events. */
function advanceRate(sec) {
	if (state.rateSec === 0)
		state.rateSec = sec;
	const gap = Math.min(sec - state.rateSec, CHART_SECONDS);
	for (let i = 1; i <= gap; i++)
		state.rate[(state.rateSec + i) % CHART_SECONDS] = 0;
	if (sec > state.rateSec)
		state.rateSec = sec;
}

/* Remember a value for a filter's suggestion list (bounded). */
function suggest(set, v) {
	if (!v || set.has(v) || set.size >= MAX_SUGGEST)
		return;
	set.add(v);
	state.suggestDirty = true;
}

/*
 * Take one event in: drop duplicates, update counters, agents and rate at
 * once (so they stay right while the tab is hidden and frames do not run),
 * queue it for the next frame.
 */
function ingest(e, live) {
	if (!e || typeof e !== 'object' || typeof e.event_type !== 'string')
		return;
	const key = typeof e.seq === 'number' ? 's' + e.seq : 'e' + str(e.event_id);
	if (state.seen.has(key)) {
		state.duplicates++;
		return;
	}
	remember(key);
	if (typeof e.seq === 'number' && e.seq > state.lastSeq) {
		state.lastSeq = e.seq;
		state.cursor = true;
	}

	/* The counters started from the store's totals at baseSeq. */
	if (typeof e.seq !== 'number' || e.seq > state.baseSeq) {
		if (e.event_type in state.counts)
			state.counts[e.event_type]++;
		state.total++;
		state.countsDirty = true;
	}
	if (live)
		countRate(Date.now());

	const m = meta(e);
	suggest(state.sessions, str(m.session_id));
	suggest(state.projects, str(m.project));
	agentFromEvent(e);

	const row = { ev: e, text: describe(e), node: null };
	if (state.paused) {
		state.held.push(row);
		state.heldCount++;
		if (state.held.length > MAX_ROWS)
			state.held.splice(0, state.held.length - MAX_ROWS);
	} else {
		state.pending.push(row);
		/* Rows beyond MAX_ROWS would be trimmed right away: drop them now,
		 * which also bounds the queue while frames are not running. */
		if (state.pending.length > 2 * MAX_ROWS)
			state.pending.splice(0, state.pending.length - MAX_ROWS);
	}
	schedule();
}

/* ---------------------------------------------------------------------
 * Agents.
 * ------------------------------------------------------------------- */

/* What an event type says about an agent's state. */
const STATE_OF = {
	agent_spawned: 'spawned',
	agent_activated: 'active',
	operation_allowed: 'working',
	operation_denied: 'denied',
	task_started: 'busy',
	task_completed: 'idle',
	task_failed: 'failed',
};

/* The agent record for an id, made on first sight (bounded). */
function agentFor(id) {
	let a = state.agents.get(id);
	if (a)
		return a;
	if (state.agents.size >= MAX_AGENTS) {
		/* Forget the agent silent for longest. */
		let old = null;
		for (const x of state.agents.values())
			if (!old || x.seq < old.seq)
				old = x;
		if (old) {
			if (old.node)
				old.node.remove();
			state.agents.delete(old.id);
		}
	}
	a = { id, name: id, role: '', framework: '', state: '', stateType: '', op: '',
	    opTime: '', remaining: null, total: null, seq: -1, node: null };
	state.agents.set(id, a);
	state.agentOptionsDirty = true;
	return a;
}

/* Update an agent from one of its events. */
function agentFromEvent(e) {
	const id = str(e.agent_id) || str(e.agent_name);
	if (!id)
		return;
	const a = agentFor(id);
	const seq = typeof e.seq === 'number' ? e.seq : a.seq + 1;
	if (seq < a.seq)
		return;		/* an older event (backfill) tells nothing new */
	a.seq = seq;
	a.name = str(e.agent_name) || a.name;
	a.role = str(e.agent_role) || a.role;
	a.framework = str(meta(e).framework) || a.framework;
	if (STATE_OF[e.event_type]) {
		a.state = STATE_OF[e.event_type];
		a.stateType = e.event_type;
	} else if (!a.state) {
		a.state = 'active';
		a.stateType = 'agent_activated';
	}
	const m = meta(e);
	if (e.event_type === 'budget_updated') {
		if (typeof m.budget_remaining === 'number')
			a.remaining = m.budget_remaining;
		if (typeof m.budget_total === 'number')
			a.total = m.budget_total;
	} else {
		a.op = action(e);
		a.opTime = clock(e.timestamp);
	}
	state.agentsDirty.add(a);
}

/*
 * Seed the agents panel from GET /api/v1/agents: an array (or {agents:[…]})
 * of {agent_id, agent_name, agent_role, last_event_type, last_operation,
 * last_seen, last_seq, budget_remaining, budget_total}. What the page
 * already learnt from newer live events (higher seq) wins.
 */
function agentsFromApi(body) {
	const list = Array.isArray(body) ? body :
	    (body && Array.isArray(body.agents)) ? body.agents : [];
	for (const x of list) {
		if (!x || typeof x !== 'object')
			continue;
		const id = str(x.agent_id) || str(x.id);
		if (!id)
			continue;
		const a = agentFor(id);
		const seq = typeof x.last_seq === 'number' ? x.last_seq : 0;
		if (a.seq > seq && a.seq >= 0)
			continue;
		a.seq = seq;
		a.name = str(x.agent_name) || a.name;
		a.role = str(x.agent_role) || a.role;
		const type = str(x.last_event_type);
		if (STATE_OF[type]) {
			a.state = STATE_OF[type];
			a.stateType = type;
		} else if (!a.state) {
			a.state = 'active';
			a.stateType = 'agent_activated';
		}
		if (str(x.last_operation) && type !== 'budget_updated') {
			a.op = (type ? type.replace(/_/g, ' ') + ': ' : '') +
			    str(x.last_operation);
			a.opTime = x.last_seen ? clock(x.last_seen) : '';
		}
		if (typeof x.budget_remaining === 'number')
			a.remaining = x.budget_remaining;
		if (typeof x.budget_total === 'number')
			a.total = x.budget_total;
		state.agentsDirty.add(a);
	}
	schedule();
}

/* Sort key for the agents panel: name, then id (stable, no jumping). */
function agentCmp(a, b) {
	return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

/* Build or refresh one agent card. */
function renderAgent(a) {
	if (!a.node) {
		const li = el('li', 'agent');
		const top = el('div', 'agent-top');
		const who = el('div');
		who.append(el('div', 'agent-name'), el('div', 'agent-role'));
		top.append(who, el('span', 'state'));
		const budget = el('div', 'budget');
		const bar = el('div', 'bar');
		bar.setAttribute('role', 'meter');
		bar.setAttribute('aria-valuemin', '0');
		bar.append(el('span'));
		budget.append(bar, el('span', 'budget-text'));
		li.append(top, el('div', 'agent-op'), budget);
		li.dataset.agentId = a.id;
		a.node = li;
	}
	const n = a.node;
	n.className = 'agent' + (a.stateType ? ' t-' + a.stateType : '');
	n.querySelector('.agent-name').textContent = a.name;
	n.querySelector('.agent-name').title = a.id;
	/* Which agent framework's hooks report it: claude-code, cursor, … */
	n.querySelector('.agent-role').textContent = (a.role || 'agent') +
	    (a.framework ? ' · ' + a.framework : '') +
	    (a.name !== a.id ? ' · ' + a.id : '');
	n.querySelector('.state').textContent = a.state || 'unknown';
	const op = n.querySelector('.agent-op');
	op.textContent = a.op ? a.opTime + '  ' + a.op : 'no operation yet';
	op.title = a.op;
	const budget = n.querySelector('.budget');
	if (a.remaining === null) {
		budget.hidden = true;
	} else {
		budget.hidden = false;
		const total = a.total && a.total > 0 ? a.total : Math.max(a.remaining, 1);
		const pct = Math.max(0, Math.min(100, a.remaining / total * 100));
		const bar = n.querySelector('.bar');
		bar.className = 'bar' + (pct <= 0 ? ' out' : pct < 25 ? ' low' : '');
		bar.firstChild.style.transform = 'scaleX(' + (pct / 100).toFixed(4) + ')';
		bar.setAttribute('aria-valuemax', String(total));
		bar.setAttribute('aria-valuenow', String(a.remaining));
		bar.setAttribute('aria-label', 'budget of ' + a.name);
		n.querySelector('.budget-text').textContent =
		    a.remaining + (a.total !== null ? '/' + a.total : '');
	}
}

/* Refresh the agent cards that changed, inserting new ones in order. */
function renderAgents() {
	if (state.agentsDirty.size === 0)
		return;
	const list = $('agents');
	for (const a of state.agentsDirty) {
		if (!state.agents.has(a.id))
			continue;
		const isNew = !a.node;
		renderAgent(a);
		if (isNew || !a.node.parentNode) {
			let before = null;
			for (const c of list.children) {
				const other = state.agents.get(c.dataset.agentId);
				if (other && agentCmp(a, other) < 0) {
					before = c;
					break;
				}
			}
			list.insertBefore(a.node, before);
		}
	}
	state.agentsDirty.clear();
	$('agents-empty').hidden = state.agents.size > 0;
	$('agents-count').textContent = state.agents.size ?
	    state.agents.size + (state.agents.size === 1 ? ' agent' : ' agents') : '';
}

/* ---------------------------------------------------------------------
 * Feed.
 * ------------------------------------------------------------------- */

/* Whether an event passes the filters. */
function matches(e) {
	const f = state.filter, m = meta(e);
	if (f.type && e.event_type !== f.type)
		return false;
	if (f.agent && str(e.agent_id) !== f.agent)
		return false;
	if (f.session && !str(m.session_id).includes(f.session))
		return false;
	if (f.project && !str(m.project).includes(f.project))
		return false;
	return true;
}

/* The DOM row for a feed entry. */
function rowNode(r) {
	const e = r.ev, m = meta(e);
	const li = el('li', 'row t-' + e.event_type);
	li.tabIndex = -1;
	if (typeof e.seq === 'number')
		li.dataset.seq = e.seq;
	li.dataset.eventId = str(e.event_id);
	const time = el('span', 'time', clock(e.timestamp));
	time.title = str(e.timestamp);
	const msg = el('span', 'msg');
	const tag = '[' + e.event_type + ']';
	msg.append(el('span', 'tag', tag), r.text.slice(tag.length));
	msg.title = r.text;
	const where = [str(m.project), str(m.session_id)].filter(Boolean).join(' · ');
	li.append(time, msg, el('span', 'where', where));
	li._row = r;
	if (r === state.selected)
		li.classList.add('sel');
	r.node = li;
	return li;
}

/* Order of feed entries: by seq, else by arrival. */
function seqOf(r) {
	return typeof r.ev.seq === 'number' ? r.ev.seq : Infinity;
}

/*
 * Move pending rows into the feed: new ones (the usual case) go on top in
 * one fragment; older ones (backfill, replay) into their place by seq.
 * Then trim to MAX_ROWS, in memory and in the DOM.
 */
function renderFeed() {
	if (state.pending.length === 0)
		return;
	let rows = state.pending;
	state.pending = [];
	rows.sort((a, b) => seqOf(b) - seqOf(a));	/* newest first */
	if (rows.length > MAX_ROWS)
		rows = rows.slice(0, MAX_ROWS);

	const list = $('feed');
	const ev = state.events;
	const headSeq = ev.length ? seqOf(ev[0]) : -Infinity;
	let i = 0;
	const top = document.createDocumentFragment();
	const fresh = [];
	while (i < rows.length && seqOf(rows[i]) > headSeq) {
		fresh.push(rows[i]);
		if (matches(rows[i].ev))
			top.append(rowNode(rows[i]));
		i++;
	}
	list.prepend(top);
	if (fresh.length)
		ev.unshift(...fresh);
	for (; i < rows.length; i++)
		insertOlder(rows[i]);

	if (ev.length > MAX_ROWS) {
		for (const r of ev.splice(MAX_ROWS)) {
			if (r.node)
				r.node.remove();
			r.node = null;
			if (r === state.selected)
				state.selected = null;
		}
	}
	feedStatus();
}

/* Insert one row older than the feed's head at its place by seq. */
function insertOlder(r) {
	const ev = state.events, s = seqOf(r);
	let lo = 0, hi = ev.length;
	while (lo < hi) {		/* first entry with a smaller seq */
		const mid = (lo + hi) >> 1;
		if (seqOf(ev[mid]) > s)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= MAX_ROWS)
		return;			/* older than all we keep */
	ev.splice(lo, 0, r);
	if (!matches(r.ev))
		return;
	let before = null;
	for (let j = lo + 1; j < ev.length; j++) {
		if (ev[j].node) {
			before = ev[j].node;
			break;
		}
	}
	$('feed').insertBefore(rowNode(r), before);
}

/* Empty the feed (the Clear button). */
function clearFeed() {
	closeDetail();
	for (const r of state.events)
		r.node = null;
	state.events = [];
	state.pending = [];
	state.selected = null;
	$('feed').replaceChildren();
	feedStatus();
}

/* Forget every event and seq: the gateway's seqs started over. */
function resetFeed() {
	clearFeed();
	state.held = [];
	state.heldCount = 0;
	state.seen.clear();
	state.seenOrder = [];
	state.seenHead = 0;
	pauseLabel();
}

/* Rebuild the feed's DOM from memory (after a filter change). */
function rerenderFeed() {
	const frag = document.createDocumentFragment();
	for (const r of state.events) {
		r.node = null;
		if (matches(r.ev))
			frag.append(rowNode(r));
	}
	$('feed').replaceChildren(frag);
	feedStatus();
}

/* The line above the feed: how many shown, and the empty-state text. */
function feedStatus() {
	const shown = $('feed').childElementCount;
	const all = state.events.length;
	$('feed-count').textContent = shown === all ?
	    fmt(all) + ' shown' : fmt(shown) + ' of ' + fmt(all) + ' shown';
	$('feed-empty').hidden = shown > 0;
	$('feed-empty').textContent = all === 0 ? 'Waiting for events…' :
	    'No event matches the filters.';
}

/* ---------------------------------------------------------------------
 * Counters and chart.
 * ------------------------------------------------------------------- */

/* Build the counter tiles once. */
function buildCounters() {
	const ul = $('counters');
	const total = el('li', 'counter total');
	total.append(el('span', 'n', '0'), el('span', 'k', 'all events'));
	total.id = 'count-total';
	ul.append(total);
	for (const t of TYPES) {
		const li = el('li', 'counter t-' + t);
		li.id = 'count-' + t;
		li.append(el('span', 'n', '0'), el('span', 'k', t));
		li.title = t;
		ul.append(li);
	}
}

/* Refresh the counter numbers when they changed. */
function renderCounters() {
	if (!state.countsDirty)
		return;
	state.countsDirty = false;
	$('count-total').firstChild.textContent = fmt(state.total);
	for (const t of TYPES)
		$('count-' + t).firstChild.textContent = fmt(state.counts[t]);
}

let chartColors = null;

/* Colours for the canvas, read from the stylesheet (follows the theme). */
function readChartColors() {
	const cs = getComputedStyle(document.documentElement);
	chartColors = {
		bar: cs.getPropertyValue('--accent').trim() || '#2dd4bf',
		grid: cs.getPropertyValue('--line').trim() || '#2a3541',
		text: cs.getPropertyValue('--muted').trim() || '#97a6b5',
	};
}

/* Draw the last 60 s of events per second; runs once a second. */
function drawChart() {
	const c = $('chart');
	const dpr = window.devicePixelRatio || 1;
	const w = c.clientWidth, h = c.clientHeight;
	if (!w || !h)
		return;
	if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
		c.width = Math.round(w * dpr);
		c.height = Math.round(h * dpr);
	}
	if (!chartColors)
		readChartColors();
	const now = Math.floor(Date.now() / 1000);
	advanceRate(now);
	/* Complete seconds only: the current one is still filling. */
	const vals = [];
	for (let i = CHART_SECONDS - 1; i >= 1; i--)
		vals.push(state.rate[(now - i + CHART_SECONDS * 2) % CHART_SECONDS]);
	const peak = Math.max(0, ...vals);
	$('rate-now').textContent = fmt(vals[vals.length - 1]);
	$('rate-peak').textContent = fmt(peak);

	const g = c.getContext('2d');
	g.setTransform(dpr, 0, 0, dpr, 0, 0);
	g.clearRect(0, 0, w, h);
	const top = 14, bottom = h - 4;
	const scale = niceMax(peak);
	g.fillStyle = chartColors.text;
	g.font = '10px ' + getComputedStyle(document.body).fontFamily;
	if (peak === 0) {
		g.textAlign = 'center';
		g.textBaseline = 'middle';
		g.fillText('no events in the last minute', w / 2, h / 2);
		g.textAlign = 'start';
		return;
	}
	g.strokeStyle = chartColors.grid;
	g.lineWidth = 1;
	g.beginPath();
	g.moveTo(0, top + 0.5);
	g.lineTo(w, top + 0.5);
	g.moveTo(0, Math.round((top + bottom) / 2) + 0.5);
	g.lineTo(w, Math.round((top + bottom) / 2) + 0.5);
	g.stroke();
	g.textBaseline = 'bottom';
	g.fillText(fmt(scale) + '/s', 4, top - 1);
	const bw = w / vals.length;
	g.fillStyle = chartColors.bar;
	for (let i = 0; i < vals.length; i++) {
		if (!vals[i])
			continue;
		const bh = Math.max(1, (bottom - top) * vals[i] / scale);
		g.fillRect(i * bw + 1, bottom - bh, Math.max(1, bw - 2), bh);
	}
}

/* A round number at or above n for the chart's scale. */
function niceMax(n) {
	if (n <= 5)
		return 5;
	const p = Math.pow(10, Math.floor(Math.log10(n)));
	for (const m of [1, 2, 5, 10])
		if (m * p >= n)
			return m * p;
	return 10 * p;
}

/* ---------------------------------------------------------------------
 * Rendering: one batch per animation frame.
 * ------------------------------------------------------------------- */

/*
 * Ask for a frame if none is pending. Each render lays out and repaints
 * the visible list, which costs far more than building rows, so renders
 * are spaced by how busy the previous one was: a stream of events moves
 * the feed ten times a second (at 1,000 events/s four) rather than sixty;
 * nobody reads faster. A lone event still shows within two frames.
 */
function schedule() {
	if (state.frame)
		return;
	const wait = state.lastRender + state.gap - performance.now();
	if (wait > 1)
		state.frame = setTimeout(() => {
			state.frame = requestAnimationFrame(render);
		}, wait);
	else
		state.frame = requestAnimationFrame(render);
}

/* The frame: all DOM work for what arrived since the last one. */
function render() {
	state.frame = 0;
	state.lastRender = performance.now();
	const n = state.pending.length;
	state.gap = n >= FLOOD_ROWS ? FLOOD_GAP_MS : n >= BUSY_ROWS ? BUSY_GAP_MS :
	    QUIET_GAP_MS;
	renderFeed();
	renderCounters();
	renderAgents();
	if (state.agentOptionsDirty)
		renderAgentOptions();
	if (state.suggestDirty)
		renderSuggestions();
	if (state.paused)
		pauseLabel();
}

/* ---------------------------------------------------------------------
 * Filters, pause, detail.
 * ------------------------------------------------------------------- */

/* Fill the type filter once. */
function buildTypeOptions() {
	const sel = $('f-type');
	for (const t of TYPES)
		sel.append(new Option(t, t));
}

/* Keep the agent filter's options in step with the agents seen. */
function renderAgentOptions() {
	state.agentOptionsDirty = false;
	const sel = $('f-agent');
	const keep = sel.value;
	const agents = [...state.agents.values()].sort(agentCmp);
	const opts = [new Option('all agents', '')];
	for (const a of agents)
		opts.push(new Option(a.name === a.id ? a.name : a.name + ' (' + a.id + ')', a.id));
	sel.replaceChildren(...opts);
	sel.value = keep;
	if (sel.value !== keep) {
		/* Its agent was forgotten: keep filtering for it anyway. */
		const o = new Option(keep, keep);
		sel.append(o);
		sel.value = keep;
	}
}

/* Refresh the session and project suggestions. */
function renderSuggestions() {
	state.suggestDirty = false;
	const fill = (id, set) => $(id).replaceChildren(
	    ...[...set].sort().map((v) => new Option(v, v)));
	fill('sessions', state.sessions);
	fill('projects', state.projects);
}

/* Read the filter form and redraw the feed. */
function applyFilters() {
	state.filter = {
		type: $('f-type').value,
		agent: $('f-agent').value,
		session: $('f-session').value.trim(),
		project: $('f-project').value.trim(),
	};
	rerenderFeed();
}

/* The pause button's label, with the count of held events. */
function pauseLabel() {
	const b = $('pause');
	b.setAttribute('aria-pressed', String(state.paused));
	b.textContent = state.paused ?
	    'Resume' + (state.heldCount ? ' · ' + fmt(state.heldCount) + ' new' : '') :
	    'Pause';
}

/* Pause or resume the feed; held events go in on resume. */
function togglePause() {
	state.paused = !state.paused;
	if (!state.paused) {
		state.pending.push(...state.held);
		state.held = [];
		state.heldCount = 0;
		schedule();
	}
	pauseLabel();
}

/* Show an event's JSON in the side panel. */
function openDetail(r, from) {
	if (state.selected && state.selected.node)
		state.selected.node.classList.remove('sel');
	state.selected = r;
	if (r.node)
		r.node.classList.add('sel');
	$('detail-line').textContent = r.text;
	$('detail-json').textContent = JSON.stringify(r.ev, null, 2);
	$('detail').hidden = false;
	$('detail')._from = from || null;
	$('detail-close').focus();
}

/* Close the side panel and give focus back to the row. */
function closeDetail() {
	const d = $('detail');
	if (d.hidden)
		return;
	d.hidden = true;
	if (state.selected && state.selected.node)
		state.selected.node.classList.remove('sel');
	const back = state.selected && state.selected.node;
	state.selected = null;
	if (back && back.isConnected)
		back.focus();
}

/* Feed keyboard: arrows move between rows, Enter opens one. */
function feedKey(ev) {
	const list = $('feed');
	const cur = document.activeElement && document.activeElement.closest ?
	    document.activeElement.closest('.row') : null;
	let next = null;
	if (ev.key === 'ArrowDown')
		next = cur ? cur.nextElementSibling : list.firstElementChild;
	else if (ev.key === 'ArrowUp')
		next = cur ? cur.previousElementSibling : list.firstElementChild;
	else if (ev.key === 'Home')
		next = list.firstElementChild;
	else if (ev.key === 'End')
		next = list.lastElementChild;
	else if ((ev.key === 'Enter' || ev.key === ' ') && cur) {
		ev.preventDefault();
		openDetail(cur._row, cur);
		return;
	} else
		return;
	ev.preventDefault();
	if (next)
		next.focus();
}

/* ---------------------------------------------------------------------
 * Toasts.
 * ------------------------------------------------------------------- */

/* Show a notification meant for this user. */
function toast(msg) {
	const e = msg.event && typeof msg.event === 'object' ? msg.event : null;
	const id = e ? str(e.event_id) : '';
	if (id) {
		/* A replay after reconnecting may repeat a notification. */
		if (state.toastIds.has(id))
			return;
		state.toastIds.add(id);
		if (state.toastIds.size > 256)
			state.toastIds.delete(state.toastIds.values().next().value);
	}
	const level = ['info', 'warning', 'error'].includes(msg.level) ? msg.level : 'info';
	const box = $('toasts');
	const t = el('div', 'toast ' + level);
	t.setAttribute('role', level === 'error' ? 'alert' : 'status');
	t.append(el('div', 'toast-title', str(msg.title) || (e ? e.event_type : 'notification')));
	const x = el('button', 'btn ghost x', '×');
	x.type = 'button';
	x.setAttribute('aria-label', 'Dismiss notification');
	x.addEventListener('click', () => t.remove());
	t.append(x);
	if (e && typeof e.event_type === 'string') {
		/* The gateway's title often is our line already: then say
		 * when, who and where instead of repeating it. */
		const line = describe(e);
		const m = meta(e);
		const same = line.endsWith(str(msg.title));
		t.append(el('div', 'toast-body', same ? [clock(e.timestamp),
		    str(e.agent_id), str(m.project), str(m.session_id)]
		    .filter(Boolean).join(' · ') : line));
		t.title = line;
	}
	if (id)
		t.dataset.eventId = id;
	box.append(t);
	while (box.childElementCount > MAX_TOASTS)
		box.firstElementChild.remove();
	setTimeout(() => t.remove(), level === 'error' ? 20000 : 10000);
}

/* ---------------------------------------------------------------------
 * Authentication.
 * ------------------------------------------------------------------- */

let token = '';
try {
	token = sessionStorage.getItem(TOKEN_KEY) || '';
} catch (err) {
	token = '';	/* storage disabled: sign in again per page */
}

/* The user id asked for when gatewayd has no tokens (the seed's ?user_id=). */
const pageUser = new URLSearchParams(location.search).get('user_id') || '1';

class AuthError extends Error {}

/* GET a read-API path as JSON, with the token when there is one. */
async function api(path) {
	const headers = { Accept: 'application/json' };
	if (token)
		headers.Authorization = 'Bearer ' + token;
	const r = await fetch(path, { headers, cache: 'no-store' });
	if (r.status === 401 || r.status === 403)
		throw new AuthError('token refused');
	if (!r.ok)
		throw new Error(path + ': HTTP ' + r.status);
	return r.json();
}

/* Ask for a token. */
function showSignIn(message) {
	conn.stop();
	setConn('signin', 'sign-in required');
	$('signin-error').textContent = message || '';
	const d = $('signin');
	if (!d.open)
		d.showModal();
	$('signin-token').focus();
}

/* Try a token; keep it for this tab if the gateway takes it. */
async function signIn(ev) {
	ev.preventDefault();
	const candidate = $('signin-token').value.trim();
	if (!candidate)
		return;
	const before = token;
	token = candidate;
	try {
		await api('/api/v1/agents');
		try {
			sessionStorage.setItem(TOKEN_KEY, token);
		} catch (err) {
			/* not stored: works for this page only */
		}
		$('signin-token').value = '';
		$('signin').close();
		$('signout').hidden = false;
		load();
	} catch (err) {
		token = before;
		$('signin-error').textContent = err instanceof AuthError ?
		    'That token was refused.' : 'Could not reach the gateway.';
	}
}

/* Forget the token and start over: nothing of this user stays shown. */
function signOut() {
	try {
		sessionStorage.removeItem(TOKEN_KEY);
	} catch (err) {
		/* nothing stored */
	}
	conn.stop();
	location.reload();
}

/* ---------------------------------------------------------------------
 * Connection: WebSocket with backoff, resume by seq, keepalive.
 * ------------------------------------------------------------------- */

/* Show the connection state in the top bar. */
function setConn(s, text) {
	$('conn').dataset.state = s;
	$('conn-text').textContent = text;
	/* The tab's title tells too, for an operator with many tabs. */
	document.title = (s === 'live' ? '' : '(' + text.replace(/ in \d+ s$/, '') +
	    ') ') + 'agentvis — agent activity';
}

const conn = {
	ws: null,
	attempt: 0,
	timer: 0,
	retryAt: 0,
	everConnected: false,	/* got "connected" at least once */
	stopped: true,
	lastRx: 0,
	pingTimer: 0,
	backfilled: false,

	/* The stream URL, resuming after the last seq seen. */
	url() {
		const q = new URLSearchParams();
		/* With a token the token names the user (a different user_id
		 * in the query is refused); without, the seed's ?user_id=. */
		if (!token)
			q.set('user_id', pageUser);
		if (state.cursor)
			q.set('since', String(state.lastSeq));
		if (token)
			q.set('token', token);
		const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
		return proto + '//' + location.host +
		    '/api/v1/agents/activity/stream?' + q.toString();
	},

	start() {
		this.stopped = false;
		this.attempt = 0;
		this.open();
	},

	stop() {
		this.stopped = true;
		clearTimeout(this.timer);
		clearInterval(this.pingTimer);
		if (this.ws) {
			const ws = this.ws;
			this.ws = null;
			ws.onclose = ws.onmessage = ws.onerror = null;
			ws.close(1000);
		}
	},

	open() {
		clearTimeout(this.timer);
		this.retryAt = 0;
		setConn(this.everConnected ? 'reconnecting' : 'connecting',
		    this.everConnected ? 'reconnecting…' : 'connecting…');
		let ws;
		try {
			ws = new WebSocket(this.url());
		} catch (err) {
			this.retry();
			return;
		}
		this.ws = ws;
		let greeted = false;
		ws.onmessage = (m) => {
			this.lastRx = Date.now();
			let msg;
			try {
				msg = JSON.parse(m.data);
			} catch (err) {
				return;
			}
			if (msg && msg.type === 'connected')
				greeted = true;
			this.message(msg);
		};
		ws.onclose = (c) => {
			if (this.ws !== ws)
				return;
			this.ws = null;
			clearInterval(this.pingTimer);
			if (this.stopped)
				return;
			if (!greeted || c.code === 1008 || c.code === 4001 || c.code === 4003)
				this.checkAuth();
			this.retry();
		};
		ws.onerror = () => { /* onclose follows and decides */ };
	},

	/* Handle one server message. */
	message(msg) {
		if (!msg || typeof msg !== 'object')
			return;
		switch (msg.type) {
		case 'agent_event':
			ingest(msg.event, true);
			break;
		case 'notification':
			toast(msg);
			break;
		case 'connected':
			this.connected(msg);
			break;
		case 'lagged':
			/* We fell behind the server's queue: come back with since.
			 * Our last seen seq is where to resume; the server's hint
			 * helps only if we never saw an event. */
			if (!state.cursor && typeof msg.resume_from === 'number') {
				state.lastSeq = msg.resume_from;
				state.cursor = true;
			}
			this.reopenNow();
			break;
		default:
			break;		/* pong, and anything newer than us */
		}
	},

	/* The server greeted us: we are live. */
	connected(msg) {
		if (typeof msg.last_seq === 'number' && msg.last_seq < state.lastSeq) {
			/* The gateway's store is not the one we followed (a memory
			 * store restarted, a new database): its seqs start over,
			 * and ours would hide its events as already seen. */
			resetFeed();
			state.lastSeq = msg.last_seq;
			state.cursor = true;
			state.baseSeq = 0;
			toast({ level: 'info', title: 'The gateway\'s event store ' +
			    'was reset; the feed starts again.' });
			this.reopenNow();
			return;
		}
		const first = !this.everConnected && !state.cursor;
		this.everConnected = true;
		this.attempt = 0;
		setConn('live', 'live');
		if (msg.user_id !== undefined)
			$('who').textContent = 'user ' + str(msg.user_id);
		if (first && typeof msg.last_seq === 'number') {
			/* Live events follow last_seq; resume from there if we drop
			 * before the first one, and show a little history. */
			state.lastSeq = msg.last_seq;
			state.cursor = true;
			if (!this.backfilled) {
				this.backfilled = true;
				backfill(msg.last_seq);
			}
		}
		clearInterval(this.pingTimer);
		this.pingTimer = setInterval(() => this.keepalive(), PING_EVERY_MS);
	},

	/* Application ping: a connection silent after it is dead. */
	keepalive() {
		const ws = this.ws;
		if (!ws || ws.readyState !== WebSocket.OPEN)
			return;
		if (Date.now() - this.lastRx > PING_EVERY_MS + PONG_WAIT_MS) {
			ws.close(4000);		/* onclose reconnects */
			return;
		}
		ws.send('{"type":"ping"}');
	},

	/* Close and reconnect at once (after "lagged"). */
	reopenNow() {
		const ws = this.ws;
		this.ws = null;
		clearInterval(this.pingTimer);
		if (ws) {
			ws.onclose = ws.onmessage = ws.onerror = null;
			ws.close(1000);
		}
		this.attempt = 0;
		this.open();
	},

	/* Schedule the next attempt: 0.5 s doubling to 15 s, with jitter. */
	retry() {
		if (this.stopped)
			return;
		const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, this.attempt));
		const delay = Math.round(base * (0.75 + Math.random() * 0.5));
		this.attempt++;
		this.retryAt = Date.now() + delay;
		this.tick();
		clearTimeout(this.timer);
		this.timer = setTimeout(() => this.open(), delay);
	},

	/* Refresh the "reconnecting in N s" text (called every second). */
	tick() {
		if (!this.retryAt || this.stopped)
			return;
		const s = Math.max(0, Math.ceil((this.retryAt - Date.now()) / 1000));
		setConn(this.everConnected ? 'reconnecting' : 'offline',
		    (this.everConnected ? 'reconnecting' : 'offline, retrying') +
		    ' in ' + s + ' s');
	},

	/* A refused stream may mean a missing or stale token: ask the API. */
	async checkAuth() {
		try {
			await api('/api/v1/agents');
		} catch (err) {
			if (err instanceof AuthError) {
				if (token) {
					token = '';
					try {
						sessionStorage.removeItem(TOKEN_KEY);
					} catch (e2) {
						/* nothing stored */
					}
					showSignIn('Your token was refused; sign in again.');
				} else
					showSignIn();
			}
		}
	},
};

/* Show recent stored events on first load (they are not live: no rate). */
async function backfill(lastSeq) {
	if (lastSeq <= 0)
		return;
	let since = Math.max(0, lastSeq - BACKFILL);
	try {
		/* A page ends early when events are large: read on with next. */
		for (let pages = 0; pages < 20 && since < lastSeq; pages++) {
			const body = await api('/api/v1/events?since=' + since +
			    '&limit=' + BACKFILL);
			const list = body && Array.isArray(body.events) ? body.events : [];
			for (const e of list)
				ingest(e, false);
			if (!body || typeof body.next !== 'number' || body.next <= since)
				break;
			since = body.next;
		}
	} catch (err) {
		/* history is a nicety; the live stream goes on without it */
	}
}

/* ---------------------------------------------------------------------
 * Start.
 * ------------------------------------------------------------------- */

/* Wire up the page and connect. */
async function main() {
	buildCounters();
	buildTypeOptions();
	pauseLabel();
	feedStatus();
	$('agents-empty').hidden = false;

	$('filters').addEventListener('input', applyFilters);
	$('filters').addEventListener('submit', (ev) => ev.preventDefault());
	$('pause').addEventListener('click', togglePause);
	$('clear').addEventListener('click', clearFeed);
	$('feed').addEventListener('click', (ev) => {
		const li = ev.target.closest('.row');
		if (li && li._row)
			openDetail(li._row, li);
	});
	$('feed').addEventListener('keydown', feedKey);
	$('feed').tabIndex = 0;
	$('detail-close').addEventListener('click', closeDetail);
	$('signin-form').addEventListener('submit', signIn);
	$('signin').addEventListener('cancel', (ev) => ev.preventDefault());
	$('signout').addEventListener('click', signOut);
	document.addEventListener('keydown', (ev) => {
		if (ev.key === 'Escape') {
			closeDetail();
			return;
		}
		const t = ev.target;
		const typing = t && (t.isContentEditable ||
		    ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName));
		if (!typing && !ev.ctrlKey && !ev.metaKey && !ev.altKey &&
		    (ev.key === 'p' || ev.key === 'P')) {
			ev.preventDefault();
			togglePause();
		}
	});
	window.matchMedia('(prefers-color-scheme: light)').addEventListener('change', () => {
		chartColors = null;
		drawChart();
	});
	window.addEventListener('resize', drawChart);
	setInterval(() => {
		drawChart();
		conn.tick();
	}, 1000);
	drawChart();

	/* Exposed for the browser tests and for curious operators. */
	window.agentvis = {
		describe,
		snapshot: () => ({
			lastSeq: state.lastSeq,
			total: state.total,
			duplicates: state.duplicates,
			rows: state.events.length,
			held: state.heldCount,
			connected: $('conn').dataset.state === 'live',
		}),
	};

	if (token)
		$('signout').hidden = false;
	await load();
}

/* Drop a token the gateway refused and ask for another. */
function refused() {
	if (token) {
		token = '';
		try {
			sessionStorage.removeItem(TOKEN_KEY);
		} catch (err) {
			/* nothing stored */
		}
		$('signout').hidden = true;
		showSignIn('Your token was refused; sign in again.');
	} else
		showSignIn();
}

/*
 * Read the gateway's state, then go live: totals from /events/stats at
 * seq S, the agents, a little history up to S, and the stream with
 * since=S, so nothing between the snapshot and the stream is missed.
 */
async function load() {
	let health = null;
	try {
		health = await api('/api/v1/health');
	} catch (err) {
		/* unreachable now: the stream will retry */
	}
	if (health && health.auth === true && !token) {
		showSignIn();	/* no 401 round trip when the gateway says so */
		return;
	}
	let base = null;
	try {
		base = await api('/api/v1/events/stats');
		agentsFromApi(await api('/api/v1/agents'));
	} catch (err) {
		if (err instanceof AuthError) {
			refused();
			return;
		}
	}
	if (base && typeof base.last_seq === 'number' && base.by_type &&
	    !state.cursor) {
		state.baseSeq = state.lastSeq = base.last_seq;
		state.cursor = true;
		for (const t of TYPES)
			if (typeof base.by_type[t] === 'number')
				state.counts[t] = base.by_type[t];
		state.total = typeof base.total === 'number' ? base.total : 0;
		state.countsDirty = true;
		$('stats-note').textContent = 'stored in the gateway';
		conn.backfilled = true;
		backfill(base.last_seq);
	} else if (health && typeof health.last_seq === 'number' &&
	    !state.cursor) {
		/* No totals: count from here; history up to last_seq. */
		state.baseSeq = state.lastSeq = health.last_seq;
		state.cursor = true;
		conn.backfilled = true;
		backfill(health.last_seq);
	}
	schedule();
	conn.start();
}

main();

})();
