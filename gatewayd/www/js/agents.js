/*
 * agents.js: the Agents panel, a card per agent (name, role and
 * framework, state, last operation, budget bar), and the agent filter's
 * options.
 *
 * Agents are learnt from their events and seeded from GET /api/v1/agents;
 * what an older event says never overrides a newer one (by seq). At most
 * MAX_AGENTS are kept: the one silent for longest goes first.
 */
import { str, meta, action } from './wording.js';
import { $, el, clock } from './dom.js';
import { mark } from './state.js';

const MAX_AGENTS = 200;		/* agents in the panel */

/* What an event type says about an agent's state. */
const STATE_OF = {
	agent_spawned: 'spawned',
	agent_activated: 'active',
	operation_allowed: 'working',
	operation_denied: 'denied',
	task_started: 'busy',
	task_completed: 'idle',
	task_failed: 'failed',
};

const agents = new Map();	/* agent_id -> agent */
const changed = new Set();	/* agents whose card the next frame redraws */

/* a's card shows something new. */
function touch(a) {
	changed.add(a);
	mark('agents');
}

/* The agent record for an id, made on first sight (bounded). */
function agentFor(id) {
	let a = agents.get(id);
	if (a)
		return a;
	if (agents.size >= MAX_AGENTS) {
		/* Forget the agent silent for longest. */
		let old = null;
		for (const x of agents.values())
			if (!old || x.seq < old.seq)
				old = x;
		if (old) {
			if (old.node)
				old.node.remove();
			agents.delete(old.id);
		}
	}
	a = { id, name: id, role: '', framework: '', state: '', stateType: '', op: '',
	    opTime: '', remaining: null, total: null, seq: -1, node: null };
	agents.set(id, a);
	mark('agentOptions');
	return a;
}

/* Update an agent from one of its events. */
export function agentFromEvent(e) {
	const id = str(e.agent_id) || str(e.agent_name);
	if (!id)
		return;
	const a = agentFor(id);
	const seq = typeof e.seq === 'number' ? e.seq : a.seq + 1;
	if (seq < a.seq)
		return;		/* an older event (backfill) tells nothing new */
	a.seq = seq;
	a.name = str(e.agent_name) || a.name;
	a.role = str(e.agent_role) || a.role;
	a.framework = str(meta(e).framework) || a.framework;
	if (STATE_OF[e.event_type]) {
		a.state = STATE_OF[e.event_type];
		a.stateType = e.event_type;
	} else if (!a.state) {
		a.state = 'active';
		a.stateType = 'agent_activated';
	}
	const m = meta(e);
	if (e.event_type === 'budget_updated') {
		if (typeof m.budget_remaining === 'number')
			a.remaining = m.budget_remaining;
		if (typeof m.budget_total === 'number')
			a.total = m.budget_total;
	} else {
		a.op = action(e);
		a.opTime = clock(e.timestamp);
	}
	touch(a);
}

/*
 * Seed the agents panel from GET /api/v1/agents: an array (or {agents:[…]})
 * of {agent_id, agent_name, agent_role, last_event_type, last_operation,
 * last_seen, last_seq, budget_remaining, budget_total}. What the page
 * already learnt from newer live events (higher seq) wins.
 */
export function agentsFromApi(body) {
	const list = Array.isArray(body) ? body :
	    (body && Array.isArray(body.agents)) ? body.agents : [];
	for (const x of list) {
		if (!x || typeof x !== 'object')
			continue;
		const id = str(x.agent_id) || str(x.id);
		if (!id)
			continue;
		const a = agentFor(id);
		const seq = typeof x.last_seq === 'number' ? x.last_seq : 0;
		if (a.seq > seq && a.seq >= 0)
			continue;
		a.seq = seq;
		a.name = str(x.agent_name) || a.name;
		a.role = str(x.agent_role) || a.role;
		const type = str(x.last_event_type);
		if (STATE_OF[type]) {
			a.state = STATE_OF[type];
			a.stateType = type;
		} else if (!a.state) {
			a.state = 'active';
			a.stateType = 'agent_activated';
		}
		if (str(x.last_operation) && type !== 'budget_updated') {
			a.op = (type ? type.replace(/_/g, ' ') + ': ' : '') +
			    str(x.last_operation);
			a.opTime = x.last_seen ? clock(x.last_seen) : '';
		}
		if (typeof x.budget_remaining === 'number')
			a.remaining = x.budget_remaining;
		if (typeof x.budget_total === 'number')
			a.total = x.budget_total;
		touch(a);
	}
}

/* Sort key for the agents panel: name, then id (stable, no jumping). */
function agentCmp(a, b) {
	return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

/* Build or refresh one agent card. */
function renderAgent(a) {
	if (!a.node) {
		const li = el('li', 'agent');
		const top = el('div', 'agent-top');
		const who = el('div');
		who.append(el('div', 'agent-name'), el('div', 'agent-role'));
		top.append(who, el('span', 'state'));
		const budget = el('div', 'budget');
		const bar = el('div', 'bar');
		bar.setAttribute('role', 'meter');
		bar.setAttribute('aria-valuemin', '0');
		bar.append(el('span'));
		budget.append(bar, el('span', 'budget-text'));
		li.append(top, el('div', 'agent-op'), budget);
		li.dataset.agentId = a.id;
		a.node = li;
	}
	const n = a.node;
	n.className = 'agent' + (a.stateType ? ' t-' + a.stateType : '');
	n.querySelector('.agent-name').textContent = a.name;
	n.querySelector('.agent-name').title = a.id;
	/* Which agent framework's hooks report it: claude-code, cursor, … */
	n.querySelector('.agent-role').textContent = (a.role || 'agent') +
	    (a.framework ? ' · ' + a.framework : '') +
	    (a.name !== a.id ? ' · ' + a.id : '');
	n.querySelector('.state').textContent = a.state || 'unknown';
	const op = n.querySelector('.agent-op');
	op.textContent = a.op ? a.opTime + '  ' + a.op : 'no operation yet';
	op.title = a.op;
	const budget = n.querySelector('.budget');
	if (a.remaining === null) {
		budget.hidden = true;
	} else {
		budget.hidden = false;
		const total = a.total && a.total > 0 ? a.total : Math.max(a.remaining, 1);
		const pct = Math.max(0, Math.min(100, a.remaining / total * 100));
		const bar = n.querySelector('.bar');
		bar.className = 'bar' + (pct <= 0 ? ' out' : pct < 25 ? ' low' : '');
		bar.firstChild.style.transform = 'scaleX(' + (pct / 100).toFixed(4) + ')';
		bar.setAttribute('aria-valuemax', String(total));
		bar.setAttribute('aria-valuenow', String(a.remaining));
		bar.setAttribute('aria-label', 'budget of ' + a.name);
		n.querySelector('.budget-text').textContent =
		    a.remaining + (a.total !== null ? '/' + a.total : '');
	}
}

/* Refresh the agent cards that changed, inserting new ones in order. */
export function renderAgents() {
	const list = $('agents');
	for (const a of changed) {
		if (!agents.has(a.id))
			continue;
		const isNew = !a.node;
		renderAgent(a);
		if (isNew || !a.node.parentNode) {
			let before = null;
			for (const c of list.children) {
				const other = agents.get(c.dataset.agentId);
				if (other && agentCmp(a, other) < 0) {
					before = c;
					break;
				}
			}
			list.insertBefore(a.node, before);
		}
	}
	changed.clear();
	$('agents-empty').hidden = agents.size > 0;
	$('agents-count').textContent = agents.size ?
	    agents.size + (agents.size === 1 ? ' agent' : ' agents') : '';
}

/* Keep the agent filter's options in step with the agents seen. */
export function renderAgentOptions() {
	const sel = $('f-agent');
	const keep = sel.value;
	const sorted = [...agents.values()].sort(agentCmp);
	const opts = [new Option('all agents', '')];
	for (const a of sorted)
		opts.push(new Option(a.name === a.id ? a.name : a.name + ' (' + a.id + ')', a.id));
	sel.replaceChildren(...opts);
	sel.value = keep;
	if (sel.value !== keep) {
		/* Its agent was forgotten: keep filtering for it anyway. */
		const o = new Option(keep, keep);
		sel.append(o);
		sel.value = keep;
	}
}
