// public/admin/orders.js — orders: filters, search by number / name / phone,
// pages; the detail with payments, refunds, tickets, notifications and
// history; refund of the whole order or of chosen tickets (MANAGER+) after
// a confirmation that states the amount; CSV / XLSX export as a download.
import { api } from '/shared/api.js';
import { el, clear, attempt, table, field, pager, toast, confirmBox, won, t, when } from '/shared/console.js';

const STATUSES = ['pending', 'paid', 'partially_refunded', 'refunded', 'expired', 'canceled', 'payment_failed'];

function badge(status, label) {
	return el('span', { class: `badge ${status}`, 'data-status': status }, label || t(`a.o.s.${status}`));
}

export function orders(main, ctx) {
	const state = { q: '', status: '', visit_date: '', page: 1 };
	const listBox = el('div');
	const detailBox = el('div', { class: 'detail' });
	const search = el('form', { class: 'toolbar', role: 'search' },
		field(t('a.o.search'), { type: 'search', name: 'q', maxlength: 100, 'data-test': 'order-search', placeholder: t('a.o.search_hint') }),
		field(t('a.o.status'), { type: 'select', name: 'status', value: '',
			options: [['', t('c.all')], ...STATUSES.map((s) => [s, t(`a.o.s.${s}`)])], 'data-test': 'order-status' }),
		field(t('a.o.visit_date'), { type: 'date', name: 'visit_date' }),
		el('button', { type: 'submit', 'data-test': 'order-search-submit' }, t('c.search')));
	search.addEventListener('submit', (ev) => {
		ev.preventDefault();
		state.q = search.elements.q.value.trim();
		state.status = search.elements.status.value;
		state.visit_date = search.elements.visit_date.value;
		state.page = 1;
		load();
	});
	for (const n of ['status', 'visit_date']) search.elements[n].addEventListener('change', () => search.requestSubmit());
	const exports = ctx.can(3) ? el('div', { class: 'row-actions' },
		el('a', { class: 'button secondary', href: `${ctx.base}/orders/export?format=csv`, download: '', 'data-test': 'export-csv' }, t('a.o.export_csv')),
		el('a', { class: 'button secondary', href: `${ctx.base}/orders/export?format=xlsx`, download: '', 'data-test': 'export-xlsx' }, t('a.o.export_xlsx'))) : null;
	main.append(el('div', { class: 'toolbar' }, search, exports), listBox, detailBox);

	async function load() {
		const q = new URLSearchParams({ page: state.page, limit: 20 });
		for (const k of ['q', 'status', 'visit_date']) if (state[k]) q.set(k, state[k]);
		const r = await attempt(() => api.get(`${ctx.base}/orders?${q}`));
		if (!r) return;
		clear(listBox).append(table([
			{ label: t('a.o.number'), key: 'order_number' },
			{ label: t('a.o.status'), value: (o) => badge(o.status) },
			{ label: t('a.o.customer'), value: (o) => `${o.customer.name} · ${o.customer.phone}` },
			{ label: t('a.o.visit_date'), key: 'visit_date' },
			{ label: t('a.amount'), value: (o) => won(o.amount), num: true },
			{ label: t('a.refunded'), value: (o) => (o.refunded_amount ? won(o.refunded_amount) : ''), num: true },
			{ label: t('a.tickets'), key: 'tickets_count', num: true },
			{ label: t('a.o.paid_at'), value: (o) => when(o.paid_at) },
		], r.items, (o) => ({ 'data-test': 'order-row', 'data-order-number': o.order_number, 'data-order-id': o.id,
			tabindex: '0', onclick: () => detail(o.id),
			onkeydown: (ev) => { if (ev.key === 'Enter') detail(o.id); } })),
		pager(r, (p) => { state.page = p; load(); }));
	}

	async function detail(id) {
		const r = await attempt(() => api.get(`${ctx.base}/orders/${id}`));
		if (!r) return;
		const o = r.order;
		const items = new Map(o.items.map((i) => [i.id, i]));
		const unit = (tk) => { const i = items.get(tk.order_item_id); return i ? Math.round(i.unit_price / Math.max(1, i.admits)) : 0; };
		const boxes = new Map();
		const refundable = o.tickets.filter((tk) => tk.status === 'valid');
		const refundNode = ctx.can(3) && ['paid', 'partially_refunded'].includes(o.status) ? el('div', { class: 'actions' },
			el('button', { type: 'button', class: 'danger', 'data-test': 'refund', onclick: () => refund(o, boxes, unit) }, t('a.o.refund'))) : null;
		clear(detailBox).append(el('section', { class: 'card', 'data-test': 'order-detail', 'data-order-number': o.order_number },
			el('h2', {}, t('a.o.detail', { number: o.order_number })),
			el('dl', { class: 'kv' },
				el('dt', {}, t('a.o.status')), el('dd', { 'data-test': 'order-status-value' }, badge(o.status)),
				el('dt', {}, t('a.o.customer')), el('dd', {}, `${o.customer.name} · ${o.customer.phone}${o.customer.email ? ' · ' + o.customer.email : ''}`),
				el('dt', {}, t('a.o.visit_date')), el('dd', {}, o.visit_date || '–'),
				el('dt', {}, t('a.amount')), el('dd', {}, won(o.amount)),
				el('dt', {}, t('a.refunded')), el('dd', { 'data-test': 'order-refunded' }, won(o.refunded_amount || 0)),
				el('dt', {}, t('a.o.paid_at')), el('dd', {}, when(o.paid_at))),
			el('h2', {}, t('a.o.items')),
			table([{ label: t('a.product'), key: 'product_name' }, { label: t('a.qty'), key: 'qty', num: true },
				{ label: t('a.o.refunded_qty'), key: 'refunded_qty', num: true },
				{ label: t('a.p.price'), value: (i) => won(i.unit_price), num: true }, { label: t('a.amount'), value: (i) => won(i.amount), num: true }], o.items),
			el('h2', {}, t('a.tickets')),
			table([
				{ label: '', value: (tk) => {
					if (!refundNode || tk.status !== 'valid') return '';
					const b = el('input', { type: 'checkbox', 'data-test': 'refund-ticket', 'data-code': tk.code, 'aria-label': t('a.o.pick_ticket') });
					boxes.set(tk.code, { box: b, tk });
					return b;
				} },
				{ label: t('a.o.code'), value: (tk) => el('code', { title: tk.code }, `${tk.code.slice(0, 12)}…`) },
				{ label: t('a.product'), key: 'product_name' },
				{ label: t('a.o.status'), value: (tk) => badge(tk.status, t(`a.o.ts.${tk.status}`)) },
				{ label: t('a.o.used_at'), value: (tk) => (tk.used_at ? `${when(tk.used_at)} ${tk.used_gate || ''}` : '') },
			], o.tickets, (tk) => ({ 'data-test': 'ticket-row', 'data-code': tk.code, 'data-status': tk.status })),
			refundNode && refundable.length ? el('p', { class: 'muted small' }, t('a.o.refund_help')) : null,
			refundNode,
			el('h2', {}, t('a.o.payments')),
			table([{ label: t('a.o.method'), key: 'method' }, { label: t('a.o.status'), value: (p) => badge(p.status.toLowerCase(), p.status) },
				{ label: t('a.amount'), value: (p) => won(p.total_amount), num: true },
				{ label: t('a.o.balance'), value: (p) => won(p.balance_amount), num: true },
				{ label: t('a.o.approved_at'), value: (p) => when(p.approved_at) }], o.payments || []),
			el('h2', {}, t('a.o.refunds')),
			table([{ label: t('a.o.when'), value: (f) => when(f.created_at) }, { label: t('a.amount'), value: (f) => won(f.amount), num: true },
				{ label: t('a.o.reason'), key: 'reason' }, { label: t('a.o.status'), value: (f) => badge(f.status, f.status) },
				{ label: t('a.o.by'), value: (f) => (f.admin ? f.admin.username : '') }], o.refunds || []),
			el('h2', {}, t('a.o.notifications')),
			table([{ label: t('a.o.when'), value: (n) => when(n.created_at) }, { label: t('a.o.template'), key: 'template_code' },
				{ label: t('a.o.channel'), key: 'channel' }, { label: t('a.o.status'), value: (n) => badge(n.status, n.status) },
				{ label: t('a.o.result'), value: (n) => n.last_error || '' }], o.notifications || []),
			el('h2', {}, t('a.o.history')),
			table([{ label: t('a.o.when'), value: (h) => when(h.created_at) }, { label: t('a.o.action'), key: 'action' },
				{ label: t('a.o.by'), value: (h) => h.admin_username || t('a.o.system') }], o.history || [])));
		detailBox.scrollIntoView({ block: 'start' });
	}

	async function refund(o, boxes, unit) {
		const picked = [...boxes.values()].filter((x) => x.box.checked);
		const whole = picked.length === 0;
		const amount = whole ? o.amount - (o.refunded_amount || 0) : picked.reduce((a, x) => a + unit(x.tk), 0);
		const reason = el('input', { name: 'reason', maxlength: 500, value: '', 'data-test': 'refund-reason', 'aria-label': t('a.o.reason') });
		const msg = el('div', {},
			el('p', { 'data-test': 'refund-amount', 'data-amount': amount },
				whole ? t('a.o.confirm_whole', { amount: won(amount) }) : t('a.o.confirm_tickets', { n: picked.length, amount: won(amount) })),
			el('label', { class: 'field' }, el('span', {}, t('a.o.reason')), reason));
		if (!(await confirmBox(msg, t('a.o.refund')))) return;
		const body = { reason: reason.value.trim() || t('a.o.default_reason') };
		if (!whole) body.ticket_codes = picked.map((x) => x.tk.code);
		const r = await attempt(() => api.post(`${ctx.base}/orders/${o.id}/refund`, body));
		if (!r) return;
		toast(t('a.o.refunded_ok', { amount: won(r.refund.amount) }), 'ok');
		await detail(o.id);
		load();
	}

	load();
}
