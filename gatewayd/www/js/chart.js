/*
 * chart.js: the Events panel: a counter tile per type and the canvas of
 * events per second over the last minute.
 *
 * The rate is counted as live events arrive (per-second buckets, cheap,
 * no DOM) and drawn once a second; the canvas takes its colours from the
 * stylesheet, so it follows the theme.
 */
import { TYPES } from './wording.js';
import { $, el, fmt } from './dom.js';
import { counts, total } from './state.js';

const CHART_SECONDS = 60;

const rate = new Int32Array(CHART_SECONDS);	/* events per second, a ring */
let rateSec = 0;		/* the second rate's newest bucket is for */
let chartColors = null;

/* Build the counter tiles once. */
export function buildCounters() {
	const ul = $('counters');
	const all = el('li', 'counter total');
	all.append(el('span', 'n', '0'), el('span', 'k', 'all events'));
	all.id = 'count-total';
	ul.append(all);
	for (const t of TYPES) {
		const li = el('li', 'counter t-' + t);
		li.id = 'count-' + t;
		li.append(el('span', 'n', '0'), el('span', 'k', t));
		li.title = t;
		ul.append(li);
	}
}

/* Write the counter numbers (a frame does, when they changed). */
export function renderCounters() {
	$('count-total').firstChild.textContent = fmt(total);
	for (const t of TYPES)
		$('count-' + t).firstChild.textContent = fmt(counts[t]);
}

/* Count one live event in the per-second chart buckets. */
export function countRate(now) {
	const sec = Math.floor(now / 1000);
	advanceRate(sec);
	rate[sec % CHART_SECONDS]++;
}

/* Zero the buckets of the seconds that passed without events. */
function advanceRate(sec) {
	if (rateSec === 0)
		rateSec = sec;
	const gap = Math.min(sec - rateSec, CHART_SECONDS);
	for (let i = 1; i <= gap; i++)
		rate[(rateSec + i) % CHART_SECONDS] = 0;
	if (sec > rateSec)
		rateSec = sec;
}

/* Colours for the canvas, read from the stylesheet (follows the theme). */
function readChartColors() {
	const cs = getComputedStyle(document.documentElement);
	chartColors = {
		bar: cs.getPropertyValue('--accent').trim() || '#2dd4bf',
		grid: cs.getPropertyValue('--line').trim() || '#2a3541',
		text: cs.getPropertyValue('--muted').trim() || '#97a6b5',
	};
}

/* The theme changed: read the colours again and redraw. */
export function themeChanged() {
	chartColors = null;
	drawChart();
}

/* Draw the last 60 s of events per second; runs once a second. */
export function drawChart() {
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
		vals.push(rate[(now - i + CHART_SECONDS * 2) % CHART_SECONDS]);
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
