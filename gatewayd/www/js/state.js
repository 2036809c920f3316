/*
 * state.js: what the page knows of the gateway's stream, shared by the
 * panels, and the one render scheduler.
 *
 * The stream: the position to resume from (lastSeq, and whether it is a
 * position in the gateway's store at all), the dedup window of seqs seen,
 * and the counters. Other modules read these as live imports and change
 * them only through the functions here (an import cannot be assigned),
 * which mark what the page must redraw.
 *
 * Rendering: a module that changed what a part of the page shows calls
 * mark(part); one animation frame later the parts marked are drawn, in
 * the order main.js gave drawParts(), each once however often it was
 * marked. So 1,000 events a second cost a few rows per frame, not a
 * layout per event, and no part keeps a dirty flag of its own.
 */
import { TYPES, str } from './wording.js';

const SEEN_WINDOW = 4096;	/* seqs remembered for dedup */
const QUIET_GAP_MS = 33;	/* least time between two renders */
const BUSY_GAP_MS = 100;	/* ... after one of BUSY_ROWS or more */
const BUSY_ROWS = 3;
const FLOOD_GAP_MS = 250;	/* ... after one of FLOOD_ROWS or more */
const FLOOD_ROWS = 60;

/* ---------------------------------------------------------------------
 * The stream.
 * ------------------------------------------------------------------- */

export let lastSeq = 0;		/* the highest seq seen */
export let cursor = false;	/* lastSeq is a position in the gateway's store */
let baseSeq = 0;		/* the counters include every seq up to this */
export const counts = Object.fromEntries(TYPES.map((t) => [t, 0]));
export let total = 0;
export let duplicates = 0;

let seen = new Set();		/* dedup keys, bounded by seenOrder */
let seenOrder = [];
let seenHead = 0;

/* Remember a dedup key; forget the oldest past the window. */
function remember(key) {
	if (seenOrder.length < SEEN_WINDOW) {
		seenOrder.push(key);
	} else {
		seen.delete(seenOrder[seenHead]);
		seenOrder[seenHead] = key;
		seenHead = (seenHead + 1) % SEEN_WINDOW;
	}
	seen.add(key);
}

/*
 * Take note of an event. False for one seen already (a replay after
 * reconnecting), which is counted as a duplicate and nothing else. Else
 * the position moves past its seq and the counters count it, unless the
 * totals they started from include it already.
 */
export function admit(e) {
	const key = typeof e.seq === 'number' ? 's' + e.seq : 'e' + str(e.event_id);
	if (seen.has(key)) {
		duplicates++;
		return false;
	}
	remember(key);
	if (typeof e.seq === 'number' && e.seq > lastSeq) {
		lastSeq = e.seq;
		cursor = true;
	}
	if (typeof e.seq !== 'number' || e.seq > baseSeq) {
		if (e.event_type in counts)
			counts[e.event_type]++;
		total++;
		mark('counters');
	}
	return true;
}

/* Resume the stream after seq (live events follow it). */
export function resumeAt(seq) {
	lastSeq = seq;
	cursor = true;
}

/*
 * Start from the gateway's store at seq. With stats (/events/stats at
 * that seq: by_type and total), the counters start from its totals and
 * count only what comes after.
 */
export function startAt(seq, stats) {
	baseSeq = lastSeq = seq;
	cursor = true;
	if (!stats)
		return;
	for (const t of TYPES)
		if (typeof stats.by_type[t] === 'number')
			counts[t] = stats.by_type[t];
	total = typeof stats.total === 'number' ? stats.total : 0;
	mark('counters');
}

/*
 * The gateway's store is not the one we followed: its seqs start over at
 * seq, so forget every seq seen (ours would hide its events as known).
 * The counters go on counting.
 */
export function restartAt(seq) {
	seen = new Set();
	seenOrder = [];
	seenHead = 0;
	lastSeq = seq;
	cursor = true;
	baseSeq = 0;
}

/* ---------------------------------------------------------------------
 * Rendering: one batch per animation frame.
 * ------------------------------------------------------------------- */

const draws = new Map();	/* part -> draw(), in drawing order */
const due = new Set();		/* parts marked since the last frame */
let frame = 0;			/* a render is scheduled */
let lastRender = 0;
let gap = 0;			/* least time before the next render (ms) */

/*
 * Say how each part is drawn, in the order a frame draws them. A draw
 * returns how many feed rows it added, if any: that spaces the frames.
 */
export function drawParts(parts) {
	for (const [part, draw] of Object.entries(parts))
		draws.set(part, draw);
}

/* What part shows changed: draw it in the next frame. */
export function mark(part) {
	due.add(part);
	schedule();
}

/*
 * Ask for a frame if none is pending. Each render lays out and repaints
 * the visible list, which costs far more than building rows, so renders
 * are spaced by how busy the previous one was: a stream of events moves
 * the feed ten times a second (at 1,000 events/s four) rather than sixty;
 * nobody reads faster. A lone event still shows within two frames.
 */
function schedule() {
	if (frame)
		return;
	const wait = lastRender + gap - performance.now();
	if (wait > 1)
		frame = setTimeout(() => {
			frame = requestAnimationFrame(render);
		}, wait);
	else
		frame = requestAnimationFrame(render);
}

/* The frame: all DOM work for what changed since the last one. */
function render() {
	frame = 0;
	lastRender = performance.now();
	let rows = 0;
	for (const [part, draw] of draws)
		if (due.delete(part))
			rows += draw() || 0;
	gap = rows >= FLOOD_ROWS ? FLOOD_GAP_MS : rows >= BUSY_ROWS ? BUSY_GAP_MS :
	    QUIET_GAP_MS;
}
