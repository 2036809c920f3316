/*
 * agentvis dashboard: connects to gatewayd's WebSocket stream and shows what
 * the agents do, live. This module wires the page together; each panel
 * and each job has its own:
 *
 *   wording.js     the words: one rule per event type (gatewayd's
 *                  notification titles follow it too)
 *   state.js       the stream position, dedup, counters; the one render
 *                  scheduler (mark a part changed, a frame draws it)
 *   feed.js        events in, feed rows out; filters, pause, detail
 *   agents.js      the agent cards and the agent filter's options
 *   chart.js       the counter tiles and the events-per-second chart
 *   toasts.js      notifications for the signed-in user
 *   connection.js  sign-in, the read API, first load, the stream
 *   dom.js         element, time and number helpers
 *
 * All text from events goes through textContent, never HTML.
 */
import { describe } from './wording.js';
import { $ } from './dom.js';
import { lastSeq, total, duplicates, drawParts } from './state.js';
import {
	renderFeed, renderSuggestions, pauseLabel, feedStatus, feedSize,
	buildTypeOptions, applyFilters, togglePause, clearFeed, feedClick,
	feedKey, closeDetail,
} from './feed.js';
import { renderAgents, renderAgentOptions } from './agents.js';
import { buildCounters, renderCounters, drawChart, themeChanged } from './chart.js';
import { hasToken, isLive, load, signIn, signOut, tick } from './connection.js';

/* What a frame draws of the parts marked changed, in this order. */
drawParts({
	feed: renderFeed,
	counters: renderCounters,
	agents: renderAgents,
	agentOptions: renderAgentOptions,
	suggestions: renderSuggestions,
	pause: pauseLabel,
});

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
	$('feed').addEventListener('click', feedClick);
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
	window.matchMedia('(prefers-color-scheme: light)').addEventListener('change',
	    themeChanged);
	window.addEventListener('resize', drawChart);
	setInterval(() => {
		drawChart();
		tick();
	}, 1000);
	drawChart();

	/* Exposed for the browser tests and for curious operators. */
	window.agentvis = {
		describe,
		snapshot: () => ({
			lastSeq,
			total,
			duplicates,
			rows: feedSize().rows,
			held: feedSize().held,
			connected: isLive(),
		}),
	};

	if (hasToken())
		$('signout').hidden = false;
	await load();
}

main();
