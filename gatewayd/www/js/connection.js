/*
 * connection.js: everything that talks to gatewayd: the token and the
 * sign-in dialog, the read API, the first load, and the WebSocket stream.
 *
 * The stream reconnects with exponential backoff and resumes with
 * since=<last seq seen>; the server replays what was missed, and dedup by
 * seq (state.js) makes sure nothing shows twice. The first load reads
 * totals at a seq S, the agents and a little history up to S, then
 * streams from S, so nothing between the snapshot and the stream is lost.
 */
import { str } from './wording.js';
import { $ } from './dom.js';
import { lastSeq, cursor, resumeAt, startAt, restartAt } from './state.js';
import { ingest, resetFeed } from './feed.js';
import { agentsFromApi } from './agents.js';
import { toast } from './toasts.js';

const BACKFILL = 200;		/* stored events shown on first load */
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const PING_EVERY_MS = 25000;
const PONG_WAIT_MS = 10000;
const TOKEN_KEY = 'agentvis.token';

/* ---------------------------------------------------------------------
 * Authentication.
 * ------------------------------------------------------------------- */

let token = '';
try {
	token = sessionStorage.getItem(TOKEN_KEY) || '';
} catch (err) {
	token = '';	/* storage disabled: sign in again per page */
}

/* The user id asked for when gatewayd has no tokens (?user_id=). */
const pageUser = new URLSearchParams(location.search).get('user_id') || '1';

class AuthError extends Error {}

/* Whether this tab holds a token. */
export function hasToken() {
	return token !== '';
}

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
export async function signIn(ev) {
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
export function signOut() {
	try {
		sessionStorage.removeItem(TOKEN_KEY);
	} catch (err) {
		/* nothing stored */
	}
	conn.stop();
	location.reload();
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

/* Whether the stream is live (as the top bar shows). */
export function isLive() {
	return $('conn').dataset.state === 'live';
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
		 * in the query is refused); without, ?user_id=. */
		if (!token)
			q.set('user_id', pageUser);
		if (cursor)
			q.set('since', String(lastSeq));
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
			if (!cursor && typeof msg.resume_from === 'number')
				resumeAt(msg.resume_from);
			this.reopenNow();
			break;
		default:
			break;		/* pong, and anything newer than us */
		}
	},

	/* The server greeted us: we are live. */
	connected(msg) {
		if (typeof msg.last_seq === 'number' && msg.last_seq < lastSeq) {
			/* The gateway's store is not the one we followed (a memory
			 * store restarted, a new database): its seqs start over,
			 * and ours would hide its events as already seen. */
			resetFeed();
			restartAt(msg.last_seq);
			toast({ level: 'info', title: 'The gateway\'s event store ' +
			    'was reset; the feed starts again.' });
			this.reopenNow();
			return;
		}
		const first = !this.everConnected && !cursor;
		this.everConnected = true;
		this.attempt = 0;
		setConn('live', 'live');
		if (msg.user_id !== undefined)
			$('who').textContent = 'user ' + str(msg.user_id);
		if (first && typeof msg.last_seq === 'number') {
			/* Live events follow last_seq; resume from there if we drop
			 * before the first one, and show a little history. */
			resumeAt(msg.last_seq);
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

/* Refresh the reconnect countdown (main.js calls it every second). */
export function tick() {
	conn.tick();
}

/* Show recent stored events on first load (they are not live: no rate). */
async function backfill(upTo) {
	if (upTo <= 0)
		return;
	let since = Math.max(0, upTo - BACKFILL);
	try {
		/* A page ends early when events are large: read on with next. */
		for (let pages = 0; pages < 20 && since < upTo; pages++) {
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

/*
 * Read the gateway's state, then go live: totals from /events/stats at
 * seq S, the agents, a little history up to S, and the stream with
 * since=S, so nothing between the snapshot and the stream is missed.
 */
export async function load() {
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
	    !cursor) {
		startAt(base.last_seq, base);
		$('stats-note').textContent = 'stored in the gateway';
		conn.backfilled = true;
		backfill(base.last_seq);
	} else if (health && typeof health.last_seq === 'number' &&
	    !cursor) {
		/* No totals: count from here; history up to last_seq. */
		startAt(health.last_seq, null);
		conn.backfilled = true;
		backfill(health.last_seq);
	}
	conn.start();
}
