/*
 * frames.js: measure how smoothly a dashboard page renders, from inside
 * the page: requestAnimationFrame deltas and long tasks (PerformanceObserver),
 * sampled over a window while events stream in. Shared by the browser test
 * (which only prints the figures) and bench-frames.js.
 */
'use strict';

const METRICS = ['TaskDuration', 'ScriptDuration', 'LayoutDuration',
	'RecalcStyleDuration'];

/* Chromium's main-thread time counters (seconds), through CDP. */
async function metrics(page) {
	if (!page.__cdp) {
		page.__cdp = await page.context().newCDPSession(page);
		await page.__cdp.send('Performance.enable');
	}
	const r = await page.__cdp.send('Performance.getMetrics');
	const out = {};
	for (const m of r.metrics)
		if (METRICS.includes(m.name))
			out[m.name] = m.value;
	out.at = Date.now();
	return out;
}

/*
 * CPU seconds used so far by Chromium's processes, by type (browser,
 * renderer, gpu, utility): unlike frame times, this hardly depends on how
 * busy the rest of the machine is.
 */
async function cpu(page) {
	const b = page.context().browser();
	if (!b)
		return null;
	if (!page.__bcdp)
		page.__bcdp = await b.newBrowserCDPSession();
	const r = await page.__bcdp.send('SystemInfo.getProcessInfo');
	const out = {};
	for (const p of r.processInfo)
		out[p.type] = (out[p.type] || 0) + p.cpuTime;
	out.at = Date.now();
	return out;
}

/* Start recording in the page. */
async function start(page) {
	page.__m0 = await metrics(page).catch(() => null);
	page.__c0 = await cpu(page).catch(() => null);
	await page.evaluate(() => {
		const rec = { deltas: [], long: [], last: 0, on: true };
		window.__frames = rec;
		const tick = (t) => {
			if (!rec.on)
				return;
			if (rec.last)
				rec.deltas.push(t - rec.last);
			rec.last = t;
			requestAnimationFrame(tick);
		};
		requestAnimationFrame(tick);
		try {
			rec.obs = new PerformanceObserver((list) => {
				for (const e of list.getEntries())
					rec.long.push(e.duration);
			});
			rec.obs.observe({ type: 'longtask', buffered: false });
		} catch (err) {
			rec.long = null;	/* no Long Tasks API */
		}
	});
}

/* Stop recording and return the figures (milliseconds). */
async function stop(page) {
	const r = await page.evaluate(() => {
		const rec = window.__frames;
		rec.on = false;
		if (rec.obs)
			rec.obs.disconnect();
		return { deltas: rec.deltas, long: rec.long };
	});
	const m1 = await metrics(page).catch(() => null);
	const c1 = await cpu(page).catch(() => null);
	const c0 = page.__c0;
	/* Share of one CPU each kind of Chromium process used. */
	const cpuShare = {};
	if (c0 && c1) {
		const wall = (c1.at - c0.at) / 1000;
		for (const k of Object.keys(c1))
			if (k !== 'at')
				cpuShare[k] = (c1[k] - (c0[k] || 0)) / wall;
	}
	const m0 = page.__m0;
	/* Share of wall time the renderer's main thread spent, per kind. */
	const busy = {};
	if (m0 && m1) {
		const wall = (m1.at - m0.at) / 1000;
		for (const k of METRICS)
			busy[k.replace('Duration', '').toLowerCase()] =
			    (m1[k] - m0[k]) / wall;
	}
	const d = r.deltas.slice().sort((a, b) => a - b);
	const q = (p) => d.length ? d[Math.min(d.length - 1, Math.floor(p * d.length))] : NaN;
	const long = r.long || [];
	return {
		frames: d.length,
		p50: q(0.5),
		p99: q(0.99),
		max: d.length ? d[d.length - 1] : NaN,
		over50: d.filter((x) => x > 50).length,
		longTasks: r.long ? long.length : null,
		longMax: long.length ? Math.max(...long) : 0,
		longTotal: long.reduce((a, b) => a + b, 0),
		busy,
		cpu: cpuShare,
	};
}

/* The machine's 1-minute load average, to judge the figures by. */
function load() {
	return 'load average ' + require('os').loadavg()[0].toFixed(1) + ' on ' +
	    require('os').cpus().length + ' CPUs';
}

/* One line of figures. */
function format(f) {
	const ms = (x) => x.toFixed(1) + ' ms';
	const pct = (x) => (100 * x).toFixed(0) + '%';
	return 'frames ' + f.frames + ', frame time p50 ' + ms(f.p50) +
	    ', p99 ' + ms(f.p99) + ', max ' + ms(f.max) +
	    ', frames over 50 ms ' + f.over50 +
	    ', long tasks ' + (f.longTasks === null ? 'n/a' : f.longTasks +
	    ' (max ' + ms(f.longMax) + ', total ' + ms(f.longTotal) + ')') +
	    (f.busy.task !== undefined ? ', main thread busy ' +
	    pct(f.busy.task) + ' (script ' + pct(f.busy.script) + ', layout ' +
	    pct(f.busy.layout) + ', style ' + pct(f.busy.recalcstyle) + ')' : '') +
	    (f.cpu.renderer !== undefined ? ', CPU renderer ' + pct(f.cpu.renderer) +
	    ' browser ' + pct(f.cpu.browser || 0) + ' gpu ' + pct(f.cpu.gpu || 0) +
	    ' of one core' : '');
}

module.exports = { start, stop, format, load };
