/*
 * harness.js: what the browser tests share. A temporary directory, free
 * ports, child processes that are always stopped, headless Chromium from
 * Debian driven by playwright-core, and small assertions. Exit codes follow
 * automake: 0 pass, 1 fail, 77 skip, 99 hard error.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const { spawn } = require('child_process');

const srcdir = process.env.top_srcdir || path.resolve(__dirname, '../..');
const builddir = process.env.top_builddir || process.cwd();

/* Print a reason and skip the test. */
function skip(why) {
	console.log('SKIP: ' + why);
	process.exit(77);
}

/* playwright-core from tests/browser/node_modules, or skip. */
function playwright() {
	const dir = path.join(srcdir, 'tests', 'browser', 'node_modules');
	try {
		return require(path.join(dir, 'playwright-core'));
	} catch (err) {
		skip('playwright-core is not installed: run ' +
		    '`npm ci --prefix tests/browser` (' + err.code + ')');
	}
	return null;
}

/* Debian's chromium, or skip. */
function chromiumPath() {
	const c = process.env.CHROMIUM || '/usr/bin/chromium';
	try {
		fs.accessSync(c, fs.constants.X_OK);
	} catch (err) {
		skip('chromium not found (' + c + '): apt-get install chromium');
	}
	return c;
}

const children = new Set();
let tmp = null;
let browser = null;

/* The test's own directory, removed at exit unless AV_KEEP is set. */
function tmpdir() {
	if (!tmp)
		tmp = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(),
		    'agentvis-browser.'));
	return tmp;
}

/* Stop everything this test started. */
async function cleanup() {
	if (browser) {
		const b = browser;
		browser = null;
		await b.close().catch(() => {});
	}
	for (const c of children)
		c.kill('SIGKILL');
	if (tmp && !process.env.AV_KEEP)
		fs.rmSync(tmp, { recursive: true, force: true });
	else if (tmp)
		console.log('# kept ' + tmp);
}

/* A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const p = s.address().port;
			s.close(() => resolve(p));
		});
	});
}

/* Start a program; its output goes to DIR/NAME.log. */
function start(name, cmd, args, opts) {
	const log = fs.openSync(path.join(tmpdir(), name + '.log'), 'a');
	const wrap = (process.env.WRAPPER || '').split(' ').filter(Boolean);
	const argv = wrap.concat([cmd], args);
	const c = spawn(argv[0], argv.slice(1), Object.assign({
		stdio: ['ignore', log, log] }, opts || {}));
	fs.closeSync(log);
	c.name = name;
	c.exited = new Promise((resolve) => c.on('exit', (code, sig) => {
		children.delete(c);
		resolve(code === null ? sig : code);
	}));
	children.add(c);
	return c;
}

/* SIGTERM a child and wait for it (then SIGKILL after limit ms). */
async function stop(c, limit) {
	if (!children.has(c))
		return c.exited;
	c.kill('SIGTERM');
	const t = setTimeout(() => c.kill('SIGKILL'), limit || 10000);
	const rc = await c.exited;
	clearTimeout(t);
	return rc;
}

/* Wait until fn() resolves truthy, polling; fail with what after limit ms. */
async function waitFor(what, fn, limit) {
	const end = Date.now() + (limit || 10000);
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last)
				return last;
		} catch (err) {
			last = err;
		}
		if (Date.now() > end)
			throw new Error('timed out waiting for ' + what +
			    (last instanceof Error ? ': ' + last.message : ''));
		await sleep(25);
	}
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Fail unless cond. */
function check(cond, what) {
	if (!cond)
		throw new Error(what);
}

/* Fail unless a === b. */
function eq(what, want, got) {
	if (JSON.stringify(want) !== JSON.stringify(got))
		throw new Error(what + ': expected ' + JSON.stringify(want) +
		    ', got ' + JSON.stringify(got));
}

/*
 * Launch headless Chromium (playwright gives it a fresh, temporary
 * user-data-dir) and return a new context of it.
 */
async function launch() {
	const pw = playwright();
	const exe = chromiumPath();
	browser = await pw.chromium.launch({
		executablePath: exe,
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
			'--disable-quic', '--no-first-run',
			'--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
	});
	return browser.newContext({
		viewport: { width: 1400, height: 900 },
		colorScheme: 'dark',
	});
}

/*
 * A new page that records console errors and page errors. WebSocket
 * failures while a daemon is down are expected and logged by Chromium as
 * errors; tests read page.errors only around load.
 */
async function newPage(ctx) {
	const page = await ctx.newPage();
	page.errors = [];
	page.on('console', (m) => {
		if (m.type() === 'error')
			page.errors.push('console: ' + m.text());
	});
	page.on('pageerror', (e) => page.errors.push('pageerror: ' + e.message));
	return page;
}

/* Texts of the feed rows (newest first). */
function feedTexts(page) {
	return page.$$eval('#feed .row .msg', (l) => l.map((n) => n.textContent));
}

/* The directory for artifacts (screenshots) in the build tree. */
function artifacts() {
	const d = path.join(builddir, 'tests', 'browser', 'artifacts');
	fs.mkdirSync(d, { recursive: true });
	return d;
}

/* Run the test body; report and exit with automake's codes. Skips first
 * when Chromium or playwright-core is missing. */
function main(name, body) {
	playwright();
	chromiumPath();
	const hard = setTimeout(() => {
		console.log('FAIL: ' + name + ': took longer than 240 s');
		cleanup().finally(() => process.exit(1));
	}, 240000);
	process.on('SIGTERM', () => cleanup().finally(() => process.exit(1)));
	body().then(async () => {
		clearTimeout(hard);
		await cleanup();
		console.log('PASS: ' + name);
		process.exit(0);
	}, async (err) => {
		clearTimeout(hard);
		console.log('FAIL: ' + name + ': ' + (err && err.stack || err));
		if (tmp) {
			for (const f of fs.readdirSync(tmp).filter((x) => x.endsWith('.log'))) {
				const text = fs.readFileSync(path.join(tmp, f), 'utf8');
				console.log('---- ' + f + ' (tail)\n' +
				    text.split('\n').slice(-30).join('\n'));
			}
		}
		await cleanup();
		process.exit(1);
	});
}

module.exports = {
	srcdir, builddir, skip, playwright, chromiumPath, tmpdir, freePort,
	start, stop, waitFor, sleep, check, eq, launch, newPage, feedTexts,
	artifacts, main,
};
