/*
 * dom.js: the small helpers every panel uses to make elements and to
 * write times and numbers. Text always goes in through textContent,
 * never as HTML: everything shown comes from events anyone can send.
 */

/* The element with this id. */
export const $ = (id) => document.getElementById(id);

/* An element with a class and text (text never parsed as HTML). */
export function el(tag, cls, text) {
	const n = document.createElement(tag);
	if (cls)
		n.className = cls;
	if (text !== undefined)
		n.textContent = text;
	return n;
}

/* Two-digit and three-digit padding. */
const p2 = (n) => (n < 10 ? '0' : '') + n;
const p3 = (n) => (n < 10 ? '00' : n < 100 ? '0' : '') + n;

/* Local wall-clock time of an ISO timestamp: "16:35:09.123". */
export function clock(iso) {
	const d = new Date(iso);
	if (isNaN(d))
		return '--:--:--.---';
	return p2(d.getHours()) + ':' + p2(d.getMinutes()) + ':' +
	    p2(d.getSeconds()) + '.' + p3(d.getMilliseconds());
}

/* A number with thousands separators. */
export const fmt = (n) => n.toLocaleString('en-US');
