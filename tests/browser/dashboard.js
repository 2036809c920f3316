/*
 * dashboard.js: the whole pipeline as an operator sees it, in headless
 * Chromium: hookcli -> collectord -> gatewayd -> WebSocket -> the page.
 *
 * Real daemons on a temp dir and a free port, gatewayd with two user tokens
 * (alice, bob) and an ingest token. Checks: the page loads without console
 * errors; the original dashboard's five lines appear in the feed, word for word, within
 * 1 s of running hookcli; the agents panel and its budget bar follow; a
 * notification toast reaches only the user named in metadata.user_id;
 * gatewayd restarted while events keep coming: the page reconnects and
 * shows every event exactly once. Saves a screenshot, then measures frame
 * times while 1,000 events/s stream through collectord (figures printed,
 * not asserted). Last, the wording: for events of every notified kind,
 * the title gatewayd puts on the notification is what the page's wording
 * module (gatewayd/www/js/wording.js, title()) makes of the same event.
 */
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const crypto = require('crypto');
const { execFile } = require('child_process');
const h = require('./harness.js');
const frames = require('./frames.js');

const ALICE = 'alice-user-token-1';
const BOB = 'bob-user-token-2';
const INGEST = 'ingest-token-3';
/* How soon a hook's event must be in the feed; slower under a WRAPPER (valgrind). */
const DEADLINE_MS = 1000 * Number(process.env.AV_TIME_SCALE ||
    (process.env.WRAPPER ? 20 : 1));
const FRAME_SECONDS = Number(process.env.AV_FRAMES_SECONDS || 3);
const TYPES = ['agent_spawned', 'agent_activated', 'operation_allowed',
	'operation_denied', 'budget_updated', 'task_started', 'task_completed',
	'task_failed'];

const bin = (p) => path.join(h.builddir, p);
const HOOKCLI = bin('hookcli/hookcli');
const COLLECTORD = bin('collectord/collectord');
const GATEWAYD = bin('gatewayd/gatewayd');

h.main('dashboard', async () => {
	for (const b of [HOOKCLI, COLLECTORD, GATEWAYD])
		if (!fs.existsSync(b))
			h.skip(b + ' is not built');
	const T = h.tmpdir();
	const port = await h.freePort();
	const base = 'http://127.0.0.1:' + port;
	const sock = path.join(T, 'collectord.sock');

	const gwconf = path.join(T, 'gatewayd.conf');
	fs.writeFileSync(gwconf, [
		'listen = 127.0.0.1:' + port,
		'store = sqlite:' + path.join(T, 'events.db'),
		'www = ' + path.join(h.srcdir, 'gatewayd', 'www'),
		'ingest_tokens = ' + INGEST,
		'user_tokens = ' + ALICE + ':alice, ' + BOB + ':bob',
		/* Every type, so the wording check below reaches the titles
		 * of the default case too; only events with metadata.user_id
		 * are notified, which the earlier checks send two of. */
		'notify_types = ' + TYPES.join(','),
		''].join('\n'), { mode: 0o600 });
	let gw = h.start('gatewayd', GATEWAYD, ['-c', gwconf]);
	await h.waitFor('gatewayd', async () => (await fetch(base + '/api/v1/health')).ok);

	const cdconf = path.join(T, 'collectord.conf');
	fs.writeFileSync(cdconf, [
		'socket = ' + sock,
		'gateway = ' + base,
		'ingest_token = ' + INGEST,
		'spool_dir = ' + path.join(T, 'spool'),
		/* Come back quickly after the gateway restarts. */
		'retry_base_ms = 100ms',
		'retry_max_ms = 500ms',
		''].join('\n'), { mode: 0o600 });
	const cd = h.start('collectord', COLLECTORD, ['-c', cdconf]);
	await h.waitFor('collectord socket', () => fs.existsSync(sock));

	/* Run hookcli the way a hook script does; it must exit 0. */
	const env = Object.fromEntries(Object.entries(process.env)
	    .filter(([k]) => !k.startsWith('AGENTVIS_')));
	const hook = (cmd, ...args) => new Promise((resolve, reject) => {
		execFile(HOOKCLI, ['--strict', '-s', sock, '-t', '5000', cmd, ...args],
		    { env }, (err, stdout, stderr) => {
			if (err)
				reject(new Error('hookcli ' + cmd + ' ' + args.join(' ') +
				    ': ' + (err.code || err.signal) + ' ' + stderr));
			else
				resolve();
		});
	});
	/* Complete events, one NDJSON line each, through `hookcli send -`. */
	const send = (...events) => new Promise((resolve, reject) => {
		const c = execFile(HOOKCLI, ['--strict', '-s', sock, '-t', '5000',
		    'send', '-'], { env }, (err, stdout, stderr) => {
			if (err)
				reject(new Error('hookcli send: ' + (err.code || err.signal) +
				    ' ' + stderr));
			else
				resolve();
		});
		c.stdin.end(events.map((e) => JSON.stringify(e) + '\n').join(''));
	});
	const CODER = ['--agent-id', 'coder-1', '--agent-name', 'coder',
		'--agent-role', 'worker'];

	const ctx = await h.launch();

	/* Alice's tab already holds her token: a clean load, no console errors. */
	const a = await h.newPage(ctx);
	await a.addInitScript((t) => sessionStorage.setItem('agentvis.token', t), ALICE);
	await a.goto(base + '/');
	await a.waitForSelector('#conn[data-state="live"]');
	await h.sleep(300);
	h.eq('console errors on load', [], a.errors);
	h.eq('signed-in user', 'user alice', await a.textContent('#who'));

	/* Bob signs in with the form. */
	const b = await h.newPage(ctx);
	await b.goto(base + '/');
	await b.waitForSelector('#signin[open]');
	await b.fill('#signin-token', BOB);
	await b.press('#signin-token', 'Enter');
	await b.waitForSelector('#conn[data-state="live"]');
	h.eq('bob signed in', 'user bob', await b.textContent('#who'));
	/* Headless Chromium gives full-rate frames to the front tab only
	 * (the others get about one a second, like a background tab):
	 * alice's page is the one timed. */
	await a.bringToFront();

	/* The original dashboard's five lines, each in the feed within 1 s of the hook. */
	const story = [
		[['agent-spawned', ...CODER], '[agent_spawned] coder agent created'],
		[['agent-activated', ...CODER], '[agent_activated] coder permissions validated'],
		[['operation-allowed', ...CODER, '--operation', 'write_file',
			'path=src/app.js'], '[operation_allowed] coder writing to src/app.js'],
		[['budget-updated', ...CODER, '--remaining', '90', '--total', '100',
			'--delta', '-10'], '[budget_updated] coder budget: 90/100 (-10)'],
		[['task-completed', ...CODER, '--operation', 'implement',
			'--duration-ms', '2500', 'task=implemented auth'],
			'[task_completed] coder implemented auth (2.5s)'],
	];
	const latency = [];
	for (const [args, line] of story) {
		const t0 = Date.now();
		await hook(...args);

		await a.waitForFunction((want) => {
			const top = document.querySelector('#feed .row .msg');
			return top && top.textContent === want;
		}, line, { timeout: 10000 + DEADLINE_MS });
		latency.push(Date.now() - t0);
	}
	console.log('# hookcli start to feed row (ms): ' + latency.join(', '));
	for (let i = 0; i < latency.length; i++)
		h.check(latency[i] <= DEADLINE_MS, story[i][1] + ' took ' + latency[i] +
		    ' ms to appear (limit ' + DEADLINE_MS + ' ms)');
	const want = story.map((s) => s[1]).reverse();
	h.eq('alice feed', want, await h.feedTexts(a));
	await b.waitForFunction((n) => document.querySelectorAll('#feed .row').length >= n, 5);
	h.eq('bob feed', want, await h.feedTexts(b));

	/* The agents panel: role, state, budget bar; then the bar moves. */
	const card = async (p) => p.$eval('.agent[data-agent-id="coder-1"]', (n) => ({
		name: n.querySelector('.agent-name').textContent,
		role: n.querySelector('.agent-role').textContent,
		state: n.querySelector('.state').textContent,
		op: n.querySelector('.agent-op').textContent.replace(/^\S+\s+/, ''),
		budget: n.querySelector('.budget-text').textContent,
		bar: n.querySelector('.bar > span').style.transform,
	}));
	h.eq('coder card', { name: 'coder', role: 'worker · coder-1', state: 'idle',
		op: 'implemented auth (2.5s)', budget: '90/100', bar: 'scaleX(0.9)' }, await card(a));
	await hook('budget-updated', ...CODER, '--remaining', '40', '--total', '100',
	    '--delta', '-50');
	await a.waitForFunction(() => {
		const n = document.querySelector('.agent[data-agent-id="coder-1"] .budget-text');
		return n && n.textContent === '40/100';
	});
	h.eq('budget bar after update', 'scaleX(0.4)', (await card(a)).bar);

	/* An agent framework's hooks: the card names the framework, the feed
	 * says what the hook reported. */
	const payload = (obj) => new Promise((resolve, reject) => {
		const c = execFile(HOOKCLI, ['--strict', '-s', sock, '-t', '5000',
		    'claude-code'], { env }, (err, stdout, stderr) => {
			if (err || stdout !== '')
				reject(new Error('hookcli claude-code: ' +
				    (err ? err.code : 'stdout ' + stdout) + ' ' + stderr));
			else
				resolve();
		});
		c.stdin.end(JSON.stringify(obj));
	});
	const SESS = { session_id: 'cc-sess-1', cwd: '/home/u/shop',
		transcript_path: '/home/u/.claude/t.jsonl' };
	await payload({ ...SESS, hook_event_name: 'SessionStart', source: 'startup',
		model: 'claude-x' });
	await payload({ ...SESS, hook_event_name: 'Notification',
		notification_type: 'permission_prompt',
		message: 'Claude needs your permission to use Bash' });
	await a.waitForFunction(() => {
		const top = document.querySelector('#feed .row .msg');
		return top && top.textContent.startsWith('[agent_activated] claude');
	});
	h.eq('hook in the feed', '[agent_activated] claude notification: Claude needs ' +
	    'your permission to use Bash',
	    await a.textContent('#feed .row .msg'));
	h.eq('framework on the card', 'main · claude-code · cc-sess-1',
	    await a.$eval('.agent[data-agent-id="cc-sess-1"] .agent-role',
	    (n) => n.textContent));

	/* A notification reaches alice's page only, and bob's only his. */
	await hook('operation-denied', ...CODER, '--operation', 'write_file',
	    '--reason', 'path outside project', '--user-id', 'alice', 'path=/etc/passwd');
	await a.waitForSelector('.toast');
	const toastA = await a.$eval('.toast', (n) => n.title + ' | ' + n.textContent);
	h.check(toastA.includes('coder denied write_file: path outside project'),
	    'alice toast: ' + toastA);
	await b.waitForFunction(() => document.querySelector('#feed .row .msg')
	    .textContent.startsWith('[operation_denied]'));
	await h.sleep(300);	/* a stray notification would follow its event */
	h.eq('toasts on bob\'s page', 0, await b.$$eval('.toast', (l) => l.length));
	await hook('task-failed', '--agent-id', 'tester-1', '--agent-name', 'tester',
	    '--agent-role', 'worker', '--error', '2 of 48 tests failed',
	    '--user-id', 'bob', 'task=ran the auth tests');
	await b.waitForSelector('.toast');
	await a.waitForFunction(() => document.querySelector('#feed .row .msg')
	    .textContent.startsWith('[task_failed]'));
	await h.sleep(300);
	h.eq('task_failed toasts on alice\'s page', 0, await a.$$eval('.toast',
	    (l) => l.filter((n) => n.title.includes('task_failed')).length));

	/* gatewayd restarts while hooks keep firing: every event once. */
	let sockets = 0;
	a.on('websocket', () => sockets++);
	const N = 60;
	for (let i = 0; i < N; i++) {
		if (i === 20) {
			h.eq('gatewayd exit status on SIGTERM', 0, await h.stop(gw));
			await a.waitForSelector('#conn:not([data-state="live"])');
		}
		if (i === 35) {
			gw = h.start('gatewayd', GATEWAYD, ['-c', gwconf]);
			await h.waitFor('gatewayd again', async () =>
			    (await fetch(base + '/api/v1/health')).ok);
		}
		await hook('operation-allowed', '--agent-id', 'looper-1', '--agent-name',
		    'looper', '--agent-role', 'worker', '--operation', 'read_file',
		    'path=loop/' + i);
		await h.sleep(30);
	}
	for (const [who, p] of [['alice', a], ['bob', b]]) {
		await p.waitForFunction((n) => document.querySelectorAll('#feed .row')
		    .length >= n, 5 + 1 + 2 + 2 + N, { timeout: 30000 });
		await p.waitForSelector('#conn[data-state="live"]');
		const rows = await p.$$eval('#feed .row', (l) => l.map((n) => ({
			seq: n.dataset.seq, id: n.dataset.eventId,
			text: n.querySelector('.msg').textContent })));
		const loop = rows.filter((r) => r.text.includes('looper reading loop/'));
		const paths = loop.map((r) => r.text.replace(/.*loop\//, '')).sort((x, y) => x - y);
		h.eq(who + ': each looper event once', Array.from({ length: N }, (_, i) => String(i)),
		    paths);
		h.eq(who + ': rows unique by seq', rows.length, new Set(rows.map((r) => r.seq)).size);
		h.eq(who + ': rows unique by event_id', rows.length,
		    new Set(rows.map((r) => r.id)).size);
		h.eq(who + ': rows', 5 + 1 + 2 + 2 + N, rows.length);
	}
	h.check(sockets >= 1, 'alice\'s page reconnected');
	console.log('# alice reconnected with ' + sockets + ' new WebSocket(s)');

	await a.screenshot({ path: path.join(h.artifacts(), 'dashboard.png') });

	/* Frame times while 1,000 events/s flow through collectord. */
	const before = (await a.evaluate(() => window.agentvis.snapshot())).total;
	await frames.start(a);
	const sent = await pump(sock, 1000, FRAME_SECONDS * 1000);
	const f = await frames.stop(a);
	await a.waitForFunction((n) => window.agentvis.snapshot().total >= n,
	    before + sent, { timeout: 60000 });
	console.log('# dashboard at 1,000 events/s (' + sent + ' events through ' +
	    'collectord, ' + FRAME_SECONDS + ' s): ' + frames.format(f));
	console.log('# baseline: 16.7 ms per frame at 60 Hz; ' + frames.load());
	await a.screenshot({ path: path.join(h.artifacts(), 'dashboard-1000eps.png') });

	await wording(ctx, base, hook, send);

	await h.stop(cd);
	await h.stop(gw);
});

/*
 * gatewayd's notification titles follow the page's wording table: send
 * events of every notified kind through hookcli -> collectord -> gatewayd
 * to a page of alice's, and check that each title gatewayd sent is what
 * wording.js's title() makes of the event it came with (for the types
 * gatewayd words, the feed line without its "[type] " tag; for the
 * others, "[type] name"), and is what its toast shows. The expected
 * titles are spelt out too, so that a rule changed on one side only, or
 * on both, shows here.
 */
async function wording(ctx, base, hook, send) {
	const w = await h.newPage(ctx);
	const notes = [];
	w.on('websocket', (ws) => ws.on('framereceived', (f) => {
		let m;
		try {
			m = JSON.parse(f.payload);
		} catch (err) {
			return;
		}
		if (m && m.type === 'notification')
			notes.push(m);
	}));
	await w.addInitScript((t) => sessionStorage.setItem('agentvis.token', t), ALICE);
	await w.goto(base + '/');
	await w.waitForSelector('#conn[data-state="live"]');

	const WHO = ['--agent-id', 'scribe-1', '--agent-name', 'scribe',
		'--agent-role', 'worker', '--user-id', 'alice'];
	/* A complete event for `hookcli send`, for shapes options cannot make. */
	const full = (type, operation, md) => ({
		event_type: type, event_id: crypto.randomUUID(),
		timestamp: new Date().toISOString(), agent_id: 'scribe-1',
		agent_name: 'scribe', agent_role: 'worker', operation,
		status: type === 'operation_denied' ? 'denied' :
		    type === 'task_failed' ? 'failure' : 'success',
		metadata: Object.assign({ user_id: 'alice' }, md),
	});
	const cases = [
		['denied, with a reason', 'scribe denied write_file: path outside project',
			() => hook('operation-denied', ...WHO, '--operation', 'write_file',
			    '--reason', 'path outside project', 'path=/etc/passwd')],
		['denied, no reason', 'scribe denied delete_file',
			() => hook('operation-denied', ...WHO, '--operation', 'delete_file')],
		['denied, empty operation and reason', 'scribe denied operation',
			() => send(full('operation_denied', '', { reason: '' }))],
		['failed, a task', 'scribe failed ran the auth tests: 2 of 48 tests failed',
			() => hook('task-failed', ...WHO, '--error', '2 of 48 tests failed',
			    'task=ran the auth tests')],
		['failed, a description', 'scribe failed nightly build: exit 1',
			() => hook('task-failed', ...WHO, '--error', 'exit 1',
			    'description=nightly build')],
		['failed, the operation', 'scribe failed deploy: timed out',
			() => hook('task-failed', ...WHO, '--operation', 'deploy',
			    '--error', 'timed out')],
		['failed, a task_id', 'scribe failed T-9: boom',
			() => send(full('task_failed', '', { task_id: 'T-9', error: 'boom' }))],
		['failed, nothing named', 'scribe failed a task: boom',
			() => send(full('task_failed', '', { error: 'boom' }))],
		['failed, a task that is a number', 'scribe failed 42: boom',
			() => send(full('task_failed', 'task', { task: 42, error: 'boom' }))],
		['budget', 'scribe budget: 90/100 (-10)',
			() => hook('budget-updated', ...WHO, '--remaining', '90',
			    '--total', '100', '--delta', '-10')],
		['budget, no change', 'scribe budget: 5/100 (0)',
			() => hook('budget-updated', ...WHO, '--remaining', '5',
			    '--total', '100', '--delta', '0')],
		['budget, a million', 'scribe budget: 1000000/1000000 (+250000)',
			() => hook('budget-updated', ...WHO, '--remaining', '1000000',
			    '--total', '1000000', '--delta', '250000')],
		['budget, fractions', 'scribe budget: 999950.5/1000000 (-49.5)',
			() => send(full('budget_updated', 'budget_update', {
				budget_remaining: 999950.5, budget_total: 1e6,
				budget_delta: -49.5 }))],
		['budget, exponents', 'scribe budget: 0.0000025/1e+21 (-1.5e-7)',
			() => send(full('budget_updated', 'budget_update', {
				budget_remaining: 0.0000025, budget_total: 1e21,
				budget_delta: -1.5e-7 }))],
		['budget, seventeen digits', 'scribe budget: 0.30000000000000004/0.5 (-0.19999999999999996)',
			() => send(full('budget_updated', 'budget_update', {
				budget_remaining: 0.1 + 0.2, budget_total: 0.5,
				budget_delta: 0.1 + 0.2 - 0.5 }))],
		['spawned', '[agent_spawned] scribe',
			() => hook('agent-spawned', ...WHO)],
		['activated', '[agent_activated] scribe',
			() => hook('agent-activated', ...WHO)],
		['allowed', '[operation_allowed] scribe',
			() => hook('operation-allowed', ...WHO, '--operation', 'write_file',
			    'path=src/app.js')],
		['started', '[task_started] scribe',
			() => hook('task-started', ...WHO, 'task=draft the notes')],
		['completed', '[task_completed] scribe',
			() => hook('task-completed', ...WHO, '--duration-ms', '2500',
			    'task=drafted the notes')],
	];
	for (const [what, want, fire] of cases) {
		const n = notes.length;
		await fire();
		await h.waitFor(what + ': notification', () => notes.length > n);
		const note = notes[n];
		const id = note.event.event_id;
		await w.waitForSelector('.toast[data-event-id="' + id + '"]');
		const page = await w.evaluate(async ([e, sel]) => {
			const words = await import('/js/wording.js');
			const t = document.querySelector(sel);
			return {
				title: words.title(e),
				titled: words.TITLED.has(e.event_type),
				line: words.describe(e),
				shown: t.querySelector('.toast-title').textContent,
				body: t.querySelector('.toast-body').textContent,
			};
		}, [note.event, '.toast[data-event-id="' + id + '"]']);
		h.eq(what + ': title of wording.js', want, page.title);
		h.eq(what + ': title gatewayd sent', page.title, note.title);
		h.eq(what + ': toast title', note.title, page.shown);
		/* A title that is the line less its tag is not said twice: the
		 * toast's body says when and who instead. */
		if (page.titled)
			h.check(/^\d\d:\d\d:\d\d\.\d{3} · scribe-1$/.test(page.body),
			    what + ': toast body ' + JSON.stringify(page.body));
		else
			h.eq(what + ': toast body', page.line, page.body);
	}
	h.eq('one notification per event', cases.length, notes.length);
	h.eq('every type notified', [...TYPES].sort(),
	    [...new Set(notes.map((m) => m.event.event_type))].sort());
	h.eq('console errors (wording page)', [], w.errors);
	console.log('# wording: ' + notes.length + ' notification titles of gatewayd ' +
	    'equal wording.js title()');
	await w.close();
}

/*
 * Feed collectord at rate events/s for ms milliseconds over its socket
 * (NDJSON, pipelined, as hookcli send does); wait for every ack. Returns
 * the number acknowledged.
 */
function pump(sockPath, rate, ms) {
	return new Promise((resolve, reject) => {
		const c = net.connect(sockPath);
		let sent = 0, acked = 0, buf = '', done = false, k = 0;
		const t0 = Date.now();
		c.setEncoding('utf8');
		c.on('error', reject);
		c.on('data', (d) => {
			buf += d;
			let i;
			while ((i = buf.indexOf('\n')) >= 0) {
				const line = buf.slice(0, i);
				buf = buf.slice(i + 1);
				if (!JSON.parse(line).ok) {
					reject(new Error('collectord refused: ' + line));
					return;
				}
				acked++;
			}
			if (done && acked === sent) {
				c.end();
				resolve(acked);
			}
		});
		const tick = setInterval(() => {
			const due = Math.min(Math.floor(rate * (Date.now() - t0) / 1000),
			    Math.floor(rate * ms / 1000)) - sent;
			let out = '';
			for (let j = 0; j < due; j++, k++) {
				const type = ['operation_allowed', 'budget_updated',
					'task_started', 'task_completed'][k % 4];
				out += JSON.stringify({
					event_type: type, event_id: crypto.randomUUID(),
					timestamp: new Date().toISOString(),
					agent_id: 'bulk-' + (k % 5), agent_name: 'bulk' + (k % 5),
					agent_role: 'worker', operation: 'write_file',
					status: 'success', metadata: { path: 'bulk/' + k,
						budget_remaining: 1000 - k % 1000, budget_total: 1000,
						budget_delta: -1, task: 'step ' + k, duration_ms: 10 },
				}) + '\n';
			}
			sent += due;
			if (out)
				c.write(out);
			if (Date.now() - t0 >= ms) {
				clearInterval(tick);
				done = true;
				if (acked === sent) {
					c.end();
					resolve(acked);
				}
			}
		}, 10);
	});
}
