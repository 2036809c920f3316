/*
 * toasts.js: notifications for the signed-in user, as toasts in the
 * corner: at most MAX_TOASTS at a time, each gone after 10 s (20 s for an
 * error), none shown twice when a replay repeats it.
 */
import { str, meta, describe } from './wording.js';
import { $, el, clock } from './dom.js';

const MAX_TOASTS = 5;

const shownIds = new Set();	/* event_ids of recent notifications */

/* Show a notification meant for this user. */
export function toast(msg) {
	const e = msg.event && typeof msg.event === 'object' ? msg.event : null;
	const id = e ? str(e.event_id) : '';
	if (id) {
		/* A replay after reconnecting may repeat a notification. */
		if (shownIds.has(id))
			return;
		shownIds.add(id);
		if (shownIds.size > 256)
			shownIds.delete(shownIds.values().next().value);
	}
	const level = ['info', 'warning', 'error'].includes(msg.level) ? msg.level : 'info';
	const box = $('toasts');
	const t = el('div', 'toast ' + level);
	t.setAttribute('role', level === 'error' ? 'alert' : 'status');
	t.append(el('div', 'toast-title', str(msg.title) || (e ? e.event_type : 'notification')));
	const x = el('button', 'btn ghost x', '×');
	x.type = 'button';
	x.setAttribute('aria-label', 'Dismiss notification');
	x.addEventListener('click', () => t.remove());
	t.append(x);
	if (e && typeof e.event_type === 'string') {
		/* gatewayd's title is our line less its tag (wording.js,
		 * title()): then say when, who and where instead of
		 * repeating it. */
		const line = describe(e);
		const m = meta(e);
		const same = line.endsWith(str(msg.title));
		t.append(el('div', 'toast-body', same ? [clock(e.timestamp),
		    str(e.agent_id), str(m.project), str(m.session_id)]
		    .filter(Boolean).join(' · ') : line));
		t.title = line;
	}
	if (id)
		t.dataset.eventId = id;
	box.append(t);
	while (box.childElementCount > MAX_TOASTS)
		box.firstElementChild.remove();
	setTimeout(() => t.remove(), level === 'error' ? 20000 : 10000);
}
