#!/usr/bin/env node
/*
 * mock-gateway.js: a small stand-in for gatewayd, for developing the
 * dashboard and for a fast UI test. It serves gatewayd/www and speaks the
 * HTTP and WebSocket API of gatewayd(8) (in memory): ingest, the read API and the
 * WebSocket stream with since-replay, notifications, lagged and pong.
 * The real end-to-end test uses the real daemons, never this.
 *
 *   node mock-gateway.js --www DIR [--port N] [--token TOKEN=USER ...]
 *                        [--rate EVENTS_PER_S] [--demo]
 *
 * Prints "listening on http://127.0.0.1:PORT" when ready. Extra endpoints for
 * tests: POST /mock/drop closes every stream (a restart as clients see it),
 * POST /mock/lag tells every stream it lagged, POST /mock/rate?n=N changes
 * the generated rate, POST /mock/pagemax?n=N ends pages of /api/v1/events
 * after N events whatever their limit (as gatewayd's max_response_bytes
 * does with large events). Its health answer says "auth": true when it has
 * tokens (a hint the dashboard reads when gatewayd gives it).
 */
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { WebSocketServer } = require('ws');

const TYPES = ['agent_spawned', 'agent_activated', 'operation_allowed',
	'operation_denied', 'budget_updated', 'task_started', 'task_completed',
	'task_failed'];
const NOTIFY = new Set(['operation_denied', 'task_failed', 'budget_updated']);
const MIME = { '.html': 'text/html; charset=utf-8', '.css': 'text/css',
	'.js': 'application/javascript', '.svg': 'image/svg+xml',
	'.png': 'image/png', '.json': 'application/json' };
const STREAM = '/api/v1/agents/activity/stream';

/* Command line. */
const opt = { port: 0, www: null, tokens: new Map(), rate: 0, demo: false };
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	if (a === '--port')
		opt.port = Number(process.argv[++i]);
	else if (a === '--www')
		opt.www = path.resolve(process.argv[++i]);
	else if (a === '--token') {
		const [t, u] = process.argv[++i].split('=');
		opt.tokens.set(t, u);
	} else if (a === '--rate')
		opt.rate = Number(process.argv[++i]);
	else if (a === '--demo')
		opt.demo = true;
	else {
		console.error('usage: mock-gateway.js --www DIR [--port N] [--token T=USER] [--rate N] [--demo]');
		process.exit(64);
	}
}
if (!opt.www) {
	console.error('mock-gateway: --www DIR is required');
	process.exit(64);
}

/* Most events in a page of /api/v1/events (0: only limit). */
let pageMax = 0;

/* The store: every event, in seq order. */
const events = [];
const byId = new Set();
const agents = new Map();
let seq = 0;

/* Store one event unless its id was seen; broadcast it. */
function accept(e) {
	if (byId.has(e.event_id))
		return false;
	byId.add(e.event_id);
	const stored = Object.assign({}, e, { seq: ++seq,
		received_at: new Date().toISOString() });
	events.push(stored);
	/* The shape of gatewayd's store_agents(). */
	const a = agents.get(e.agent_id) || { agent_id: e.agent_id, events: 0,
		budget_remaining: null, budget_total: null };
	a.agent_name = e.agent_name;
	a.agent_role = e.agent_role;
	a.last_event_type = e.event_type;
	a.last_operation = e.operation;
	a.last_status = e.status;
	a.last_seen = e.timestamp;
	a.last_seq = stored.seq;
	a.events++;
	if (e.event_type === 'budget_updated') {
		a.budget_remaining = e.metadata.budget_remaining;
		a.budget_total = e.metadata.budget_total;
	}
	agents.set(e.agent_id, a);
	broadcast(stored);
	return true;
}

/* The user a request speaks for, or null when its token is refused. */
function userOf(url, req) {
	if (opt.tokens.size === 0)
		return url.searchParams.get('user_id') || '1';
	const h = req.headers.authorization || '';
	const t = h.startsWith('Bearer ') ? h.slice(7) : url.searchParams.get('token');
	return opt.tokens.get(t) || null;
}

/* Send JSON. */
function json(res, code, body) {
	const s = JSON.stringify(body);
	res.writeHead(code, { 'Content-Type': 'application/json',
		'Content-Length': Buffer.byteLength(s) });
	res.end(s);
}

/* Serve a file from --www. */
function serveFile(res, pathname) {
	const rel = pathname === '/' ? 'index.html' : pathname.slice(1);
	const file = path.join(opt.www, rel);
	if (!file.startsWith(opt.www + path.sep)) {
		json(res, 404, { detail: 'not found' });
		return;
	}
	fs.readFile(file, (err, data) => {
		if (err) {
			json(res, 404, { detail: 'not found' });
			return;
		}
		res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ||
			'application/octet-stream', 'Cache-Control': 'no-cache' });
		res.end(data);
	});
}

/* HTTP requests. */
const server = http.createServer((req, res) => {
	const url = new URL(req.url, 'http://x');
	const p = url.pathname;
	if (p === '/api/v1/health') {
		json(res, 200, { status: 'ok', store: 'mock', version: 'mock',
			last_seq: seq, auth: opt.tokens.size > 0 });
		return;
	}
	if (p === '/api/v1/events/ingest' && req.method === 'POST') {
		let body = '';
		req.on('data', (c) => { body += c; });
		req.on('end', () => {
			let b;
			try {
				b = JSON.parse(body);
			} catch (err) {
				json(res, 400, { detail: 'malformed JSON' });
				return;
			}
			const list = Array.isArray(b.events) ? b.events : [b];
			let n = 0;
			for (const e of list)
				if (accept(e))
					n++;
			json(res, 200, { status: 'accepted', accepted: n,
				duplicates: list.length - n, last_seq: seq });
		});
		return;
	}
	if (p === '/mock/drop' && req.method === 'POST') {
		for (const c of wss.clients)
			c.close(1001, 'going away');
		json(res, 200, { dropped: true });
		return;
	}
	if (p === '/mock/lag' && req.method === 'POST') {
		/* As gatewayd does to a client whose queue filled up. */
		for (const c of wss.clients) {
			c.send(JSON.stringify({ type: 'lagged', resume_from: seq }));
			c.close(1008, 'lagged');
		}
		json(res, 200, { lagged: true });
		return;
	}
	if (p === '/mock/pagemax' && req.method === 'POST') {
		pageMax = Number(url.searchParams.get('n')) || 0;
		json(res, 200, { pagemax: pageMax });
		return;
	}
	if (p === '/mock/rate' && req.method === 'POST') {
		setRate(Number(url.searchParams.get('n')) || 0);
		json(res, 200, { rate: opt.rate });
		return;
	}
	if (p.startsWith('/api/v1/')) {
		if (userOf(url, req) === null) {
			json(res, 401, { detail: 'missing or invalid token' });
			return;
		}
		if (p === '/api/v1/agents') {
			json(res, 200, { agents: [...agents.values()] });
			return;
		}
		if (p === '/api/v1/events/stats') {
			const by = Object.fromEntries(TYPES.map((t) => [t, 0]));
			for (const e of events)
				by[e.event_type]++;
			json(res, 200, { total: events.length, by_type: by, last_seq: seq });
			return;
		}
		if (p === '/api/v1/events') {
			const since = Number(url.searchParams.get('since')) || 0;
			const limit = Math.min(1000, Number(url.searchParams.get('limit')) || 100);
			let out = events.filter((e) => e.seq > since).slice(0, limit);
			let cut = false;
			if (pageMax > 0 && out.length > pageMax) {
				out = out.slice(0, pageMax);
				cut = true;
			}
			json(res, 200, { events: out, next: out.length === limit || cut ?
				out[out.length - 1].seq : null });
			return;
		}
		json(res, 404, { detail: 'not found' });
		return;
	}
	serveFile(res, p);
});

/* WebSocket stream. */
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, sock, head) => {
	const url = new URL(req.url, 'http://x');
	const user = userOf(url, req);
	if (url.pathname !== STREAM || user === null) {
		sock.end('HTTP/1.1 ' + (user === null ? '401 Unauthorized' : '404 Not Found') +
		    '\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
		return;
	}
	wss.handleUpgrade(req, sock, head, (ws) => {
		ws.user = user;
		ws.id = crypto.randomUUID();
		ws.send(JSON.stringify({ type: 'connected', connection_id: ws.id,
			user_id: user, last_seq: seq }));
		const since = url.searchParams.get('since');
		if (since !== null)
			for (const e of events)
				if (e.seq > Number(since))
					send(ws, e);
		ws.on('message', (m) => {
			let msg;
			try {
				msg = JSON.parse(m);
			} catch (err) {
				return;
			}
			if (msg.type === 'ping')
				ws.send('{"type":"pong"}');
		});
	});
});

/* Stream one event to a client, with its notification if it is for them. */
function send(ws, e) {
	if (ws.readyState !== ws.OPEN)
		return;
	if (ws.bufferedAmount > 4 << 20) {
		ws.send(JSON.stringify({ type: 'lagged', resume_from: e.seq - 1 }));
		ws.close(1000);
		return;
	}
	const now = new Date().toISOString();
	ws.send(JSON.stringify({ type: 'agent_event', event: e, timestamp: now }));
	/* Titles unlike gatewayd's (which follow wording.js, as dashboard.js
	 * checks), so ui.js sees a toast repeat the line under a foreign title. */
	const u = e.metadata && e.metadata.user_id;
	if (NOTIFY.has(e.event_type) && u !== undefined && String(u) === String(ws.user))
		ws.send(JSON.stringify({ type: 'notification', user_id: ws.user,
			level: e.event_type === 'budget_updated' ? 'warning' : 'error',
			title: e.event_type.replace('_', ' ') + ': ' + e.agent_name,
			event: e, timestamp: now }));
}

/* Send a new event to everyone. */
function broadcast(e) {
	for (const ws of wss.clients)
		send(ws, e);
}

/* A made-up event, for the generator and the demo. */
function fake(type, agent, extra) {
	return { event_type: type, event_id: crypto.randomUUID(),
		timestamp: new Date().toISOString(), agent_id: agent.id,
		agent_name: agent.name, agent_role: agent.role,
		operation: extra.operation || type, status: type === 'operation_denied' ?
		'denied' : type === 'task_failed' ? 'failure' : 'success',
		metadata: Object.assign({ session_id: 'sess-42', project: 'webshop' },
			extra.metadata || {}) };
}

const CAST = [{ id: 'coder-1', name: 'coder', role: 'worker' },
	{ id: 'tester-1', name: 'tester', role: 'worker' },
	{ id: 'coord-1', name: 'planner', role: 'coordinator' }];

/* The original demo's story plus a little more. */
function demo() {
	const c = CAST[0], t = CAST[1], p = CAST[2];
	const steps = [
		['agent_spawned', p, {}], ['agent_activated', p, {}],
		['agent_spawned', c, {}], ['agent_activated', c, {}],
		['agent_spawned', t, {}], ['agent_activated', t, {}],
		['task_started', c, { operation: 'implement', metadata: { task: 'implemented auth', task_id: 'T-2' } }],
		['operation_allowed', c, { operation: 'write_file', metadata: { path: 'src/app.js' } }],
		['budget_updated', c, { metadata: { budget_remaining: 90, budget_total: 100, budget_delta: -10 } }],
		['operation_denied', c, { operation: 'write_file', metadata: { reason: 'path outside project', path: '/etc/passwd', user_id: '1' } }],
		['task_completed', c, { operation: 'implement', metadata: { task: 'implemented auth', duration_ms: 2500 } }],
		['operation_allowed', t, { operation: 'run_command', metadata: { command: 'npm test' } }],
		['budget_updated', t, { metadata: { budget_remaining: 8, budget_total: 50, budget_delta: -12 } }],
		['task_failed', t, { operation: 'test', metadata: { task: 'ran the auth tests', error: '2 of 48 tests failed', user_id: '1' } }],
	];
	let i = 0;
	const tick = setInterval(() => {
		const [type, a, x] = steps[i++];
		accept(fake(type, a, x));
		if (i >= steps.length)
			clearInterval(tick);
	}, 150);
}

let gen = null;
/* Generate N events/s in 10 ms slices, cycling through the types. */
function setRate(n) {
	opt.rate = n;
	clearInterval(gen);
	gen = null;
	if (n <= 0)
		return;
	let k = 0, carry = 0;
	gen = setInterval(() => {
		carry += n / 100;
		for (; carry >= 1; carry--, k++) {
			const type = TYPES[k % TYPES.length];
			const a = CAST[k % CAST.length];
			accept(fake(type, a, { operation: 'write_file', metadata: {
				path: 'src/f' + (k % 50) + '.js', budget_remaining: 100 - k % 100,
				budget_total: 100, budget_delta: -1, duration_ms: 1200,
				task: 'step ' + k, error: 'boom', reason: 'policy' } }));
		}
	}, 10);
}

server.listen(opt.port, '127.0.0.1', () => {
	console.log('listening on http://127.0.0.1:' + server.address().port);
	if (opt.demo)
		demo();
	if (opt.rate)
		setRate(opt.rate);
});
for (const s of ['SIGTERM', 'SIGINT'])
	process.on(s, () => {
		for (const c of wss.clients)
			c.close(1001);
		server.close();
		process.exit(0);
	});
