// public/event/order.js — /{code}/orders/{order_number}?access=…: the order
// after payment (status, items, amount) and each ticket with its QR, large
// enough to scan off a phone. Bookmarkable: the link is all it needs.
// While Toss's confirmation is still running (status confirming) it looks
// again every few seconds.
import { api, ApiError } from '/shared/api.js';
import { $, h, t, start, eventCode, eventApi, showError, won, fmtDate, fmtDateTime, setTitle, store, keys } from './common.js';
import { ticketItem } from './tickets.js';

const code = eventCode();
const number = decodeURIComponent(location.pathname.split('/')[3] || '').toUpperCase();
const access = new URLSearchParams(location.search).get('access') || '';
const POLL_MS = 2000;
const POLL_MAX = 60;

const S = { order: null, error: null, polls: 0, copied: false };

async function load() {
	try {
		const q = new URLSearchParams({ access });
		S.order = (await api.get(eventApi(code, `/orders/${encodeURIComponent(number)}?${q}`))).order;
		S.error = null;
	} catch (e) {
		S.error = e;
	}
	const st = S.order && S.order.status;
	if (st && st !== 'pending') {
		// Bought: this tab's reservation and draft on the exhibition page are done.
		store.del(keys.hold(code));
		store.del(keys.draft(code));
	}
	if (st === 'confirming' && S.polls++ < POLL_MAX) setTimeout(load, POLL_MS);
	render();
}

function render() {
	if (S.error || !S.order) {
		if (!S.error) return;
		$('#loading').hidden = true;
		$('#page').hidden = true;
		showError($('#page-error'), S.error, { NOT_FOUND: 'order.missing' });
		return;
	}
	const o = S.order;
	setTitle(t('order.title'), o.order_number, o.event && o.event.title);
	$('#loading').hidden = true;
	$('#page-error').hidden = true;
	$('#page').hidden = false;
	$('#event-name').textContent = (o.event && o.event.title) || '';
	$('#order-number').textContent = o.order_number;
	const st = $('#order-status');
	st.textContent = t(`order.st.${o.status}`) || o.status;
	st.dataset.status = o.status;
	st.className = `badge ${o.status === 'paid' ? 'ok' : o.status === 'confirming' || o.status === 'pending' ? 'warn' : 'sold'}`;
	$('#visit-date').textContent = o.visit_date ? fmtDate(o.visit_date) : '–';
	$('#customer').textContent = [o.customer && o.customer.name, o.customer && o.customer.phone].filter(Boolean).join(' · ');
	$('#amount').textContent = won(o.amount);
	$('#paid-at').textContent = o.paid_at ? fmtDateTime(o.paid_at) : '–';
	$('#status-hint').textContent = o.status === 'confirming' ? t('order.confirmingHint')
		: o.status === 'pending' ? t('order.pendingHint') : '';

	const tickets = o.tickets || [];
	$('#tickets').replaceChildren(...tickets.map((tk, i) => ticketItem(tk, i, tickets.length)));
	$('#no-tickets').hidden = tickets.length > 0 || o.status !== 'paid';
	$('#qr-hint').hidden = tickets.length === 0;
	$('#items').replaceChildren(...(o.items || []).map((it) => h('li', {},
		h('span', { text: t('ev.item', { name: it.name, qty: it.qty }) }),
		h('span', { text: won(it.amount) }))));
	$('#link').value = location.href;
	$('#copied').textContent = S.copied ? t('order.copied') : '';
}

async function copy() {
	const input = $('#link');
	try {
		await navigator.clipboard.writeText(input.value);
	} catch {
		input.select();
		document.execCommand('copy');
	}
	S.copied = true;
	render();
}

function main() {
	start(render);
	$('#copy').addEventListener('click', copy);
	$('#print').addEventListener('click', () => window.print());
	if (!code || !number || !access) {
		S.error = new ApiError({ status: 404, code: 'NOT_FOUND' });
		render();
		return;
	}
	load();
}

main();
