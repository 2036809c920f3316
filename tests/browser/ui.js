/*
 * ui.js: the dashboard's own behaviour in headless Chromium, against the
 * mock gateway (fast, no daemons): sign-in, the original feed lines, pause
 * with a count, filters, event detail, toasts only for the signed-in user,
 * reconnect after a drop and after "lagged" with every event exactly once,
 * and the bound on rows. The real pipeline is dashboard.js's job.
 */
'use strict';

const path = require('path');
const crypto = require('crypto');
const h = require('./harness.js');

const ALICE = 'alice-token-0001';
const BOB = 'bob-token-0002';

/* A complete event as hookcli would make it. */
function ev(type, name, extra) {
	return Object.assign({
		event_type: type, event_id: crypto.randomUUID(),
		timestamp: new Date().toISOString(), agent_id: name + '-1',
		agent_name: name, agent_role: 'worker', operation: type,
		status: type === 'operation_denied' ? 'denied' :
		    type === 'task_failed' ? 'failure' : 'success',
		metadata: {},
	}, extra || {});
}

h.main('ui', async () => {
	const port = await h.freePort();
	const base = 'http://127.0.0.1:' + port;
	const mock = h.start('mock', process.execPath, [
		path.join(h.srcdir, 'tests/browser/mock-gateway.js'),
		'--www', path.join(h.srcdir, 'gatewayd/www'), '--port', String(port),
		'--token', ALICE + '=alice', '--token', BOB + '=bob']);
	await h.waitFor('mock gateway', async () =>
	    (await fetch(base + '/api/v1/health')).ok);
	/* POST events to the mock, as collectord would. */
	const post = async (...events) => {
		const r = await fetch(base + '/api/v1/events/ingest', {
			method: 'POST', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ events }) });
		h.eq('ingest status', 200, r.status);
	};

	const ctx = await h.launch();

	/* Sign-in: the gateway wants a token; a wrong one is refused. */
	const a = await h.newPage(ctx);
	await a.goto(base + '/');
	await a.waitForSelector('#signin[open]');
	h.eq('state while signed out', 'signin',
	    await a.getAttribute('#conn', 'data-state'));
	h.eq('console errors on load', [], a.errors);
	await a.fill('#signin-token', 'wrong-token-000');
	await a.press('#signin-token', 'Enter');
	await a.waitForFunction(() =>
	    document.getElementById('signin-error').textContent.includes('refused'));
	await a.fill('#signin-token', ALICE);
	await a.press('#signin-token', 'Enter');
	await a.waitForSelector('#conn[data-state="live"]');
	h.eq('signed-in user', 'user alice', await a.textContent('#who'));
	h.check(!(await a.isVisible('#signin')), 'sign-in dialog closed');

	/* Bob signs in with a token already in his tab's sessionStorage. */
	const b = await h.newPage(ctx);
	await b.addInitScript((t) => sessionStorage.setItem('agentvis.token', t), BOB);
	await b.goto(base + '/');
	await b.waitForSelector('#conn[data-state="live"]');
	h.eq('console errors on load (token in sessionStorage)', [], b.errors);

	/* The original dashboard's five lines, word for word. */
	await post(
	    ev('agent_spawned', 'coder'),
	    ev('agent_activated', 'coder'),
	    ev('operation_allowed', 'coder', { operation: 'write_file',
		metadata: { path: 'src/app.js', session_id: 's-1', project: 'webshop' } }),
	    ev('budget_updated', 'coder', { metadata: { budget_remaining: 90,
		budget_total: 100, budget_delta: -10 } }),
	    ev('task_completed', 'coder', { operation: 'implement', metadata: {
		task: 'implemented auth', duration_ms: 2500 } }));
	const story = [
		'[task_completed] coder implemented auth (2.5s)',
		'[budget_updated] coder budget: 90/100 (-10)',
		'[operation_allowed] coder writing to src/app.js',
		'[agent_activated] coder permissions validated',
		'[agent_spawned] coder agent created',
	];
	await a.waitForFunction(() => document.querySelectorAll('#feed .row').length >= 5);
	h.eq('feed lines', story, await h.feedTexts(a));
	h.eq('budget text', '90/100', await a.textContent('.agent .budget-text'));
	h.eq('budget bar fill', 'scaleX(0.9)', await a.$eval('.agent .bar > span',
	    (n) => n.style.transform));
	h.eq('agent state', 'idle', await a.textContent('.agent .state'));

	/* The other wordings. */
	await post(
	    ev('operation_denied', 'coder', { operation: 'write_file',
		metadata: { reason: 'path outside project', user_id: 'alice' } }),
	    ev('task_started', 'tester', { metadata: { task: 'ran the auth tests' } }),
	    ev('task_failed', 'tester', { metadata: { task: 'ran the auth tests',
		error: '2 of 48 tests failed', user_id: 'bob' } }));
	await a.waitForFunction(() => document.querySelectorAll('#feed .row').length >= 8);
	h.eq('more lines', [
		'[task_failed] tester failed ran the auth tests: 2 of 48 tests failed',
		'[task_started] tester started ran the auth tests',
		'[operation_denied] coder denied write_file: path outside project',
	], (await h.feedTexts(a)).slice(0, 3));

	/* Toasts: each user sees only their own. */
	await a.waitForSelector('.toast');
	await b.waitForSelector('.toast');
	await h.sleep(200);
	const ta = await a.$$eval('.toast-body', (l) => l.map((n) => n.textContent));
	const tb = await b.$$eval('.toast-body', (l) => l.map((n) => n.textContent));
	h.eq('alice toasts', ['[operation_denied] coder denied write_file: path outside project'], ta);
	h.eq('bob toasts', ['[task_failed] tester failed ran the auth tests: 2 of 48 tests failed'], tb);

	/* Pause with the keyboard; events are held and counted. */
	await a.click('h1');
	await a.keyboard.press('p');
	h.eq('pause pressed', 'true', await a.getAttribute('#pause', 'aria-pressed'));
	const before = await a.$$eval('#feed .row', (l) => l.length);
	await post(ev('agent_spawned', 'fixer'), ev('agent_activated', 'fixer'));
	await a.waitForFunction(() => document.getElementById('pause').textContent.includes('2 new'));
	h.eq('rows while paused', before, await a.$$eval('#feed .row', (l) => l.length));
	await a.keyboard.press('p');
	await a.waitForFunction((n) => document.querySelectorAll('#feed .row').length === n + 2, before);
	h.eq('resumed label', 'Pause', await a.textContent('#pause'));

	/* Filters: by type, then by project. */
	await a.selectOption('#f-type', 'operation_allowed');
	h.eq('filtered by type', ['[operation_allowed] coder writing to src/app.js'],
	    await h.feedTexts(a));
	await a.selectOption('#f-type', '');
	await a.fill('#f-project', 'webshop');
	h.eq('filtered by project', ['[operation_allowed] coder writing to src/app.js'],
	    await h.feedTexts(a));
	await a.fill('#f-project', '');
	h.eq('filters cleared', before + 2, (await h.feedTexts(a)).length);

	/* Click a row: its JSON. */
	await a.click('#feed .row:last-child');
	await a.waitForSelector('#detail:not([hidden])');
	const shown = JSON.parse(await a.textContent('#detail-json'));
	h.eq('detail event', 'agent_spawned', shown.event_type);
	h.check(typeof shown.seq === 'number', 'detail has seq');
	await a.keyboard.press('Escape');
	await a.waitForSelector('#detail', { state: 'hidden' });

	/* The same with the keyboard: focus the feed, arrow down, Enter. */
	await a.focus('#feed');
	await a.keyboard.press('ArrowDown');
	await a.keyboard.press('ArrowDown');
	await a.keyboard.press('Enter');
	await a.waitForSelector('#detail:not([hidden])');
	h.eq('detail by keyboard', (await h.feedTexts(a))[1], await a.textContent('#detail-line'));
	await a.keyboard.press('Escape');
	await a.waitForSelector('#detail', { state: 'hidden' });
	h.eq('focus back on the row', (await h.feedTexts(a))[1],
	    await a.evaluate(() => document.activeElement.querySelector('.msg').textContent));

	/* Reconnect: drop every stream, send events while down, and after a
	 * "lagged"; each must show exactly once. */
	const count0 = await a.$$eval('#feed .row', (l) => l.length);
	await fetch(base + '/mock/drop', { method: 'POST' });
	await post(...Array.from({ length: 20 }, (_, i) =>
	    ev('operation_allowed', 'looper', { operation: 'read_file',
		metadata: { path: 'f' + i } })));
	await a.waitForFunction((n) => document.querySelectorAll('#feed .row').length === n + 20,
	    count0, { timeout: 15000 });
	await fetch(base + '/mock/lag', { method: 'POST' });
	await post(...Array.from({ length: 10 }, (_, i) =>
	    ev('operation_allowed', 'looper', { operation: 'read_file',
		metadata: { path: 'g' + i } })));
	await a.waitForFunction((n) => document.querySelectorAll('#feed .row').length === n + 30,
	    count0, { timeout: 15000 });
	await a.waitForSelector('#conn[data-state="live"]');
	const seqs = await a.$$eval('#feed .row', (l) => l.map((n) => n.dataset.seq));
	h.eq('rows unique by seq', seqs.length, new Set(seqs).size);

	/* Bounded: 1,500 more events leave 500 rows. */
	for (let k = 0; k < 3; k++)
		await post(...Array.from({ length: 500 }, (_, i) =>
		    ev('operation_allowed', 'bulk', { operation: 'write_file', metadata: { path: 'b' + k + '-' + i } })));
	await a.waitForFunction(() => {
		const top = document.querySelector('#feed .row .msg');
		return top && top.textContent === '[operation_allowed] bulk writing to b2-499';
	}, null, { timeout: 15000 });
	h.eq('rows in the page', 500, (await h.feedTexts(a)).length);
	h.eq('rows in memory', 500, (await a.evaluate(() => window.agentvis.snapshot())).rows);

	await a.screenshot({ path: path.join(h.artifacts(), 'ui.png') });

	/* A gateway whose store starts over (seqs from 1 again): the page
	 * says so and follows the new seqs instead of taking them as seen. */
	await h.stop(mock);
	const mock2 = h.start('mock2', process.execPath, [
		path.join(h.srcdir, 'tests/browser/mock-gateway.js'),
		'--www', path.join(h.srcdir, 'gatewayd/www'), '--port', String(port),
		'--token', ALICE + '=alice', '--token', BOB + '=bob']);
	await h.waitFor('mock gateway again', async () =>
	    (await fetch(base + '/api/v1/health')).ok);
	await a.waitForFunction(() => [...document.querySelectorAll('.toast-title')]
	    .some((n) => n.textContent.includes('reset')), null, { timeout: 20000 });
	await post(ev('agent_spawned', 'phoenix'));
	await a.waitForFunction(() => {
		const top = document.querySelector('#feed .row .msg');
		return top && top.textContent === '[agent_spawned] phoenix agent created';
	}, null, { timeout: 15000 });
	h.eq('feed after the reset', ['[agent_spawned] phoenix agent created'],
	    await h.feedTexts(a));
	await h.stop(mock2);

	/* Without tokens the page asks for ?user_id= from its own URL (the
	 * original way), and no sign-in form shows. */
	const mock3 = h.start('mock3', process.execPath, [
		path.join(h.srcdir, 'tests/browser/mock-gateway.js'),
		'--www', path.join(h.srcdir, 'gatewayd/www'), '--port', String(port)]);
	await h.waitFor('open mock gateway', async () =>
	    (await fetch(base + '/api/v1/health')).ok);
	const c = await h.newPage(ctx);
	const urls = [];
	c.on('websocket', (w) => urls.push(w.url()));
	await c.goto(base + '/?user_id=7');
	await c.waitForSelector('#conn[data-state="live"]');
	h.eq('user without tokens', 'user 7', await c.textContent('#who'));
	h.check(urls[0].includes('user_id=7') && !urls[0].includes('token='),
	    'stream URL ' + urls[0]);
	h.check(!(await c.isVisible('#signin')), 'no sign-in without tokens');
	h.eq('console errors (no tokens)', [], c.errors);

	/* History on first load follows next when pages end early (large
	 * events and max_response_bytes). */
	await fetch(base + '/mock/pagemax?n=3', { method: 'POST' });
	await post(...Array.from({ length: 12 }, (_, i) => ev('agent_spawned', 'hist' + i)));
	const d = await h.newPage(ctx);
	await d.goto(base + '/?user_id=7');
	await d.waitForSelector('#conn[data-state="live"]');
	await d.waitForFunction(() => document.querySelectorAll('#feed .row').length >= 12,
	    null, { timeout: 15000 });
	h.eq('history across short pages', '[agent_spawned] hist11 agent created',
	    (await h.feedTexts(d))[0]);
	h.eq('history rows', 12, (await h.feedTexts(d)).length);
	await h.stop(mock3);
});
