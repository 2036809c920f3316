#!/usr/bin/env node
/*
 * bench-frames.js: does the dashboard keep up with 1,000 events/s without
 * freezing? Starts the real gatewayd (SQLite in a temp dir, free port),
 * opens the dashboard in headless Chromium, streams events at a few rates
 * (POSTed in 10 ms slices to /api/v1/events/ingest, as collectord does in
 * batches) and measures inside the page: requestAnimationFrame deltas and
 * long tasks. Prints a table; asserts nothing (a benchmark, not a test).
 *
 *   top_builddir=BUILD top_srcdir=SRC node tests/browser/bench-frames.js
 *   env: AV_BENCH_SECONDS (default 5), AV_BENCH_RATES (default 0,100,1000,2000)
 * Exit 77 when chromium, playwright-core or gatewayd is missing.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const h = require('./harness.js');
const frames = require('./frames.js');

const SECONDS = Number(process.env.AV_BENCH_SECONDS || 5);
const RATES = (process.env.AV_BENCH_RATES || '0,100,1000,2000')
    .split(',').map(Number);
const TYPES = ['agent_spawned', 'agent_activated', 'operation_allowed',
	'operation_denied', 'budget_updated', 'task_started', 'task_completed',
	'task_failed'];

let made = 0;
/* One event of a rotating cast, as hookcli would fill it. */
function event() {
	const k = made++;
	const type = TYPES[k % TYPES.length];
	const who = ['coder', 'tester', 'planner', 'fixer'][k % 4];
	return {
		event_type: type, event_id: crypto.randomUUID(),
		timestamp: new Date().toISOString(), agent_id: who + '-1',
		agent_name: who, agent_role: 'worker', operation: 'write_file',
		status: type === 'operation_denied' ? 'denied' :
		    type === 'task_failed' ? 'failure' : 'success',
		metadata: { session_id: 'bench', project: 'webshop',
			path: 'src/f' + (k % 97) + '.js', budget_remaining: 100 - k % 100,
			budget_total: 100, budget_delta: -1, duration_ms: 1500,
			task: 'step ' + k, error: 'boom', reason: 'policy' },
	};
}

/* POST events at rate/s for ms milliseconds, in 10 ms slices. */
async function stream(base, rate, ms) {
	const t0 = Date.now();
	let sent = 0, inflight = 0, failed = 0;
	while (Date.now() - t0 < ms) {
		const due = Math.floor(rate * (Date.now() - t0) / 1000) - sent;
		if (due > 0) {
			const events = Array.from({ length: due }, event);
			sent += due;
			inflight++;
			fetch(base + '/api/v1/events/ingest', {
				method: 'POST',
				headers: { 'Content-Type': 'application/json',
					'X-Event-Count': String(due) },
				body: JSON.stringify({ events, batch_id: crypto.randomUUID(),
					timestamp: new Date().toISOString() }),
			}).then((r) => {
				if (!r.ok)
					failed += due;
			}, () => { failed += due; }).finally(() => inflight--);
		}
		await h.sleep(10);
	}
	while (inflight > 0)
		await h.sleep(5);
	return { sent, failed };
}

h.main('bench-frames', async () => {
	const gatewayd = path.join(h.builddir, 'gatewayd', 'gatewayd');
	if (!fs.existsSync(gatewayd))
		h.skip('gatewayd not built (' + gatewayd + ')');
	const T = h.tmpdir();
	const port = await h.freePort();
	const base = 'http://127.0.0.1:' + port;
	h.start('gatewayd', gatewayd, ['-l', '127.0.0.1:' + port,
		'--store', 'sqlite:' + path.join(T, 'events.db'),
		'--www', path.join(h.srcdir, 'gatewayd', 'www')]);
	await h.waitFor('gatewayd', async () => (await fetch(base + '/api/v1/health')).ok);

	const ctx = await h.launch();
	const page = await h.newPage(ctx);
	await page.goto(base + '/?user_id=1');
	await page.waitForSelector('#conn[data-state="live"]');
	await h.sleep(500);

	const rows = [];
	for (const rate of RATES) {
		const before = await page.evaluate(() => window.agentvis.snapshot());
		const run = stream(base, rate, SECONDS * 1000);
		await h.sleep(500);	/* measure the steady state */
		await frames.start(page);
		await h.sleep(SECONDS * 1000 - 1000);
		const f = await frames.stop(page);
		const { sent, failed } = await run;
		/* Everything sent must reach the page (it keeps up). */
		const want = before.total + sent - failed;
		let seen = 0;
		try {
			await h.waitFor('the page to catch up', async () => {
				seen = (await page.evaluate(() => window.agentvis.snapshot())).total;
				return seen >= want;
			}, 10000);
		} catch (err) {
			/* reported below */
		}
		rows.push({ rate, sent, failed, seen: seen - before.total, f });
	}
	await page.screenshot({ path: path.join(h.artifacts(), 'bench-frames.png') });

	console.log('dashboard frame times (headless Chromium ' +
	    ctx.browser().version() + ', ' + SECONDS + ' s per rate)');
	console.log('events/s  sent    shown   frames  p50 ms  p99 ms  max ms  >50ms  long tasks (max ms)  main thread busy: all/script/layout/style  renderer CPU');
	for (const r of rows) {
		const f = r.f;
		console.log(String(r.rate).padStart(8) + '  ' + String(r.sent).padEnd(6) +
		    '  ' + String(r.seen).padEnd(6) + '  ' + String(f.frames).padStart(6) +
		    '  ' + f.p50.toFixed(1).padStart(6) + '  ' + f.p99.toFixed(1).padStart(6) +
		    '  ' + f.max.toFixed(1).padStart(6) + '  ' + String(f.over50).padStart(5) +
		    '  ' + (f.longTasks === null ? 'n/a' : (f.longTasks + ' (' +
		    f.longMax.toFixed(1) + ')').padEnd(19)) + '  ' +
		    ['task', 'script', 'layout', 'recalcstyle'].map((k) =>
		    f.busy[k] === undefined ? '-' : (100 * f.busy[k]).toFixed(0) + '%').join('/') +
		    '  ' + (f.cpu.renderer === undefined ? '-' : (100 * f.cpu.renderer).toFixed(0) + '%'));
	}
	console.log('baseline: 16.7 ms per frame at 60 Hz; the 0 events/s row is the idle page; ' +
	    frames.load());
});
