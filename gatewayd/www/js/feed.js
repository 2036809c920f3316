/*
 * feed.js: the live feed: events in, rows out, and what acts on the rows
 * (filters, pause, the event detail panel, the keyboard).
 *
 * Data flow: ingest() takes each event (dedup, counters, rate, agents:
 * cheap, no DOM, so they stay right while the tab is hidden and frames do
 * not run) and queues its row; the next frame moves the queue into the
 * list in one go. Everything kept is bounded: rows, held rows while
 * paused, filter suggestions, so the page can stay open for days.
 */
import { TYPES, str, meta, describe } from './wording.js';
import { $, el, clock, fmt } from './dom.js';
import { admit, mark } from './state.js';
import { agentFromEvent } from './agents.js';
import { countRate } from './chart.js';

const MAX_ROWS = 500;		/* rows in the feed, in the DOM and in memory */
const MAX_SUGGEST = 100;	/* remembered sessions/projects for filters */

let events = [];		/* in the feed, newest first (by seq) */
let pending = [];		/* arrived, not yet rendered */
let held = [];			/* arrived while paused */
let heldCount = 0;
let paused = false;
let selected = null;		/* the row shown in the detail panel */
let filter = { type: '', agent: '', session: '', project: '' };
const sessions = new Set();	/* suggestions for the filters */
const projects = new Set();

/* How many rows the feed keeps, and how many arrived while paused. */
export function feedSize() {
	return { rows: events.length, held: heldCount };
}

/* Remember a value for a filter's suggestion list (bounded). */
function suggest(set, v) {
	if (!v || set.has(v) || set.size >= MAX_SUGGEST)
		return;
	set.add(v);
	mark('suggestions');
}

/*
 * Take one event in: drop duplicates, update counters, agents and rate at
 * once (so they stay right while the tab is hidden and frames do not run),
 * queue it for the next frame.
 */
export function ingest(e, live) {
	if (!e || typeof e !== 'object' || typeof e.event_type !== 'string')
		return;
	if (!admit(e))
		return;
	if (live)
		countRate(Date.now());

	const m = meta(e);
	suggest(sessions, str(m.session_id));
	suggest(projects, str(m.project));
	agentFromEvent(e);

	const row = { ev: e, text: describe(e), node: null };
	if (paused) {
		held.push(row);
		heldCount++;
		if (held.length > MAX_ROWS)
			held.splice(0, held.length - MAX_ROWS);
		mark('pause');
	} else {
		pending.push(row);
		/* Rows beyond MAX_ROWS would be trimmed right away: drop them now,
		 * which also bounds the queue while frames are not running. */
		if (pending.length > 2 * MAX_ROWS)
			pending.splice(0, pending.length - MAX_ROWS);
		mark('feed');
	}
}

/* Whether an event passes the filters. */
function matches(e) {
	const f = filter, m = meta(e);
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
	if (r === selected)
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
 * Then trim to MAX_ROWS, in memory and in the DOM. Returns how many rows
 * were queued, which spaces the next frames.
 */
export function renderFeed() {
	const queued = pending.length;
	if (queued === 0)
		return 0;
	let rows = pending;
	pending = [];
	rows.sort((a, b) => seqOf(b) - seqOf(a));	/* newest first */
	if (rows.length > MAX_ROWS)
		rows = rows.slice(0, MAX_ROWS);

	const list = $('feed');
	const ev = events;
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
			if (r === selected)
				selected = null;
		}
	}
	feedStatus();
	return queued;
}

/* Insert one row older than the feed's head at its place by seq. */
function insertOlder(r) {
	const ev = events, s = seqOf(r);
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
export function clearFeed() {
	closeDetail();
	for (const r of events)
		r.node = null;
	events = [];
	pending = [];
	selected = null;
	$('feed').replaceChildren();
	feedStatus();
}

/* Forget every row, held ones too: the gateway's seqs started over. */
export function resetFeed() {
	clearFeed();
	held = [];
	heldCount = 0;
	pauseLabel();
}

/* Rebuild the feed's DOM from memory (after a filter change). */
function rerenderFeed() {
	const frag = document.createDocumentFragment();
	for (const r of events) {
		r.node = null;
		if (matches(r.ev))
			frag.append(rowNode(r));
	}
	$('feed').replaceChildren(frag);
	feedStatus();
}

/* The line above the feed: how many shown, and the empty-state text. */
export function feedStatus() {
	const shown = $('feed').childElementCount;
	const all = events.length;
	$('feed-count').textContent = shown === all ?
	    fmt(all) + ' shown' : fmt(shown) + ' of ' + fmt(all) + ' shown';
	$('feed-empty').hidden = shown > 0;
	$('feed-empty').textContent = all === 0 ? 'Waiting for events…' :
	    'No event matches the filters.';
}

/* Fill the type filter once. */
export function buildTypeOptions() {
	const sel = $('f-type');
	for (const t of TYPES)
		sel.append(new Option(t, t));
}

/* Refresh the session and project suggestions. */
export function renderSuggestions() {
	const fill = (id, set) => $(id).replaceChildren(
	    ...[...set].sort().map((v) => new Option(v, v)));
	fill('sessions', sessions);
	fill('projects', projects);
}

/* Read the filter form and redraw the feed. */
export function applyFilters() {
	filter = {
		type: $('f-type').value,
		agent: $('f-agent').value,
		session: $('f-session').value.trim(),
		project: $('f-project').value.trim(),
	};
	rerenderFeed();
}

/* The pause button's label, with the count of held events. */
export function pauseLabel() {
	const b = $('pause');
	b.setAttribute('aria-pressed', String(paused));
	b.textContent = paused ?
	    'Resume' + (heldCount ? ' · ' + fmt(heldCount) + ' new' : '') :
	    'Pause';
}

/* Pause or resume the feed; held events go in on resume. */
export function togglePause() {
	paused = !paused;
	if (!paused) {
		pending.push(...held);
		held = [];
		heldCount = 0;
		mark('feed');
	}
	pauseLabel();
}

/* Show an event's JSON in the side panel. */
function openDetail(r, from) {
	if (selected && selected.node)
		selected.node.classList.remove('sel');
	selected = r;
	if (r.node)
		r.node.classList.add('sel');
	$('detail-line').textContent = r.text;
	$('detail-json').textContent = JSON.stringify(r.ev, null, 2);
	$('detail').hidden = false;
	$('detail')._from = from || null;
	$('detail-close').focus();
}

/* Open the detail of the row clicked. */
export function feedClick(ev) {
	const li = ev.target.closest('.row');
	if (li && li._row)
		openDetail(li._row, li);
}

/* Close the side panel and give focus back to the row. */
export function closeDetail() {
	const d = $('detail');
	if (d.hidden)
		return;
	d.hidden = true;
	if (selected && selected.node)
		selected.node.classList.remove('sel');
	const back = selected && selected.node;
	selected = null;
	if (back && back.isConnected)
		back.focus();
}

/* Feed keyboard: arrows move between rows, Enter opens one. */
export function feedKey(ev) {
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
