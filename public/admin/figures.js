// public/admin/figures.js — the numbers: dashboard (refreshes every 5 s),
// sales statistics per period, entrance statistics and scan logs.
import { api } from '/shared/api.js';
import { el, clear, attempt, table, barChart, field, pager, won, t, when, lang } from '/shared/console.js';

const REFRESH_MS = 5000;
const CHART_DAYS = 30;

function metric(name, label, value) {
	return el('div', { class: 'metric' },
		el('div', { class: 'label' }, label),
		el('div', { class: 'value', 'data-test': `metric-${name}`, 'data-value': value }, value));
}

function today() {
	return new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Seoul' });
}

// ---- dashboard ---------------------------------------------------------------

export function dashboard(main, ctx) {
	const box = el('div', { 'aria-live': 'polite' });
	const stamp = el('p', { class: 'muted small', 'data-test': 'refreshed-at' });
	main.append(stamp, box);
	let stopped = false;
	let timer = null;

	async function load() {
		const r = await attempt(() => api.get(`${ctx.base}/dashboard`));
		if (stopped) return;
		if (r) draw(r.dashboard);
		timer = setTimeout(load, REFRESH_MS);
	}

	function draw(d) {
		const days = d.by_day.slice(-CHART_DAYS);
		clear(box).append(
			el('div', { class: 'metrics' },
				metric('sales-today', t('a.d.sales_today'), won(d.sales_today)),
				metric('paid-orders', t('a.d.paid_orders'), d.paid_orders),
				metric('tickets-sold', t('a.d.tickets_sold'), d.tickets_sold),
				metric('tickets-used', t('a.d.tickets_used'), d.tickets_used),
				metric('sales-total', t('a.d.sales_total'), won(d.sales_total)),
				metric('refunded', t('a.d.refunded'), won(d.refunded_amount))),
			el('p', { class: 'muted small' }, t('a.d.last5', d.last_5_min)),
			el('div', { class: 'grid2' },
				barChart(days.map((x) => ({ label: x.date.slice(5), value: x.amount })),
					{ title: t('a.d.chart_days', { n: CHART_DAYS }), format: (v) => won(v) }),
				barChart(d.by_product.map((p) => ({ label: p.name, value: p.amount })),
					{ title: t('a.d.chart_products'), format: (v) => won(v) })),
			el('h2', {}, t('a.d.by_product')),
			table([
				{ label: t('a.product'), key: 'name' },
				{ label: t('a.d.sold'), key: 'sold', num: true },
				{ label: t('a.amount'), value: (p) => won(p.amount), num: true },
			], d.by_product, (p) => ({ 'data-test': 'product-figure', 'data-product-id': p.product_id })),
			el('h2', {}, t('a.d.by_day')),
			table([
				{ label: t('a.date'), key: 'date' },
				{ label: t('a.orders'), key: 'orders', num: true },
				{ label: t('a.tickets'), key: 'tickets', num: true },
				{ label: t('a.amount'), value: (x) => won(x.amount), num: true },
				{ label: t('a.refunded'), value: (x) => won(x.refunded), num: true },
			], d.by_day.slice().reverse().slice(0, CHART_DAYS)));
		stamp.textContent = t('a.d.refreshed', { time: new Date().toLocaleTimeString(lang() === 'en' ? 'en-GB' : 'ko-KR', { timeZone: 'Asia/Seoul' }) });
	}

	load();
	return () => { stopped = true; clearTimeout(timer); };
}

// ---- sales statistics ----------------------------------------------------------

export function sales(main, ctx) {
	const state = { period: 'daily', from: '', to: '' };
	const out = el('div');
	const switcher = el('div', { class: 'row-actions', role: 'group', 'aria-label': t('a.s.period') },
		['daily', 'weekly', 'monthly'].map((p) => el('button', { type: 'button', class: p === state.period ? '' : 'secondary',
			'data-test': `period-${p}`, 'aria-pressed': String(p === state.period),
			onclick: (ev) => {
				state.period = p;
				for (const b of switcher.children) { b.className = b === ev.target ? '' : 'secondary'; b.setAttribute('aria-pressed', String(b === ev.target)); }
				load();
			} }, t(`a.s.${p}`))));
	const from = field(t('a.from'), { type: 'date', name: 'from' });
	const to = field(t('a.to'), { type: 'date', name: 'to' });
	for (const f of [from, to]) f.querySelector('input').addEventListener('change', (ev) => { state[ev.target.name] = ev.target.value; load(); });
	main.append(el('div', { class: 'toolbar' }, switcher, from, to), out);

	async function load() {
		const q = new URLSearchParams({ period: state.period });
		if (state.from) q.set('from', state.from);
		if (state.to) q.set('to', state.to);
		const r = await attempt(() => api.get(`${ctx.base}/stats/sales?${q}`));
		if (!r) return;
		clear(out).append(
			barChart(r.items.map((x) => ({ label: state.period === 'monthly' ? x.period.slice(0, 7) : x.period.slice(5), value: x.amount })),
				{ title: t('a.s.chart'), format: (v) => won(v) }),
			table([
				{ label: t(`a.s.col_${state.period}`), key: 'period' },
				{ label: t('a.orders'), key: 'orders', num: true },
				{ label: t('a.tickets'), key: 'tickets', num: true },
				{ label: t('a.amount'), value: (x) => won(x.amount), num: true },
				{ label: t('a.refunded'), value: (x) => won(x.refunded), num: true },
			], r.items.slice().reverse(), () => ({ 'data-test': 'sales-row' })));
	}
	load();
}

// ---- entrance ------------------------------------------------------------------

export function entrance(main, ctx) {
	const state = { date: today(), gate: '', result: '', page: 1 };
	const stats = el('div');
	const logs = el('div');
	const date = field(t('a.date'), { type: 'date', name: 'date', value: state.date });
	date.querySelector('input').addEventListener('change', (ev) => { state.date = ev.target.value; loadStats(); });
	const gate = field(t('a.e.gate'), { name: 'gate', maxlength: 64 });
	const result = field(t('a.e.result'), { type: 'select', name: 'result', value: '',
		options: [['', t('c.all')], ...['ok', 'already_used', 'invalid', 'wrong_event', 'wrong_date', 'refunded'].map((r) => [r, t(`a.e.r.${r}`)])] });
	gate.querySelector('input').addEventListener('change', (ev) => { state.gate = ev.target.value; state.page = 1; loadLogs(); });
	result.querySelector('select').addEventListener('change', (ev) => { state.result = ev.target.value; state.page = 1; loadLogs(); });
	main.append(el('div', { class: 'toolbar' }, date), stats,
		el('h2', {}, t('a.e.logs')), el('div', { class: 'toolbar' }, gate, result), logs);

	async function loadStats() {
		const r = await attempt(() => api.get(`${ctx.base}/entrance/stats?date=${encodeURIComponent(state.date)}`));
		clear(stats);
		if (!r) return;
		const s = r.stats;
		const rejected = Object.entries(s.rejected || {});
		stats.append(
			el('div', { class: 'metrics' }, metric('admitted', t('a.e.admitted'), s.admitted),
				metric('rejected', t('a.e.rejected'), rejected.reduce((a, [, n]) => a + n, 0))),
			barChart((s.by_hour || []).map((h) => ({ label: `${h.hour}${t('a.e.h')}`, value: h.admitted })), { title: t('a.e.by_hour') }),
			el('div', { class: 'grid2' },
				el('div', {}, el('h2', {}, t('a.e.by_gate')), table([
					{ label: t('a.e.gate'), key: 'gate' }, { label: t('a.e.admitted'), key: 'admitted', num: true }], s.by_gate || [])),
				el('div', {}, el('h2', {}, t('a.e.by_product')), table([
					{ label: t('a.product'), key: 'name' }, { label: t('a.e.admitted'), key: 'admitted', num: true },
					{ label: t('a.d.sold'), key: 'sold', num: true }], s.by_product || []))),
			rejected.length ? table([{ label: t('a.e.result'), value: (x) => t(`a.e.r.${x[0]}`) }, { label: t('a.count'), value: (x) => x[1], num: true }], rejected) : null);
	}

	async function loadLogs() {
		const q = new URLSearchParams({ page: state.page });
		if (state.gate) q.set('gate', state.gate);
		if (state.result) q.set('result', state.result);
		const r = await attempt(() => api.get(`${ctx.base}/entrance/logs?${q}`));
		clear(logs);
		if (!r) return;
		logs.append(table([
			{ label: t('a.e.time'), value: (x) => when(x.scanned_at) },
			{ label: t('a.e.gate'), key: 'gate' },
			{ label: t('a.e.result'), value: (x) => t(`a.e.r.${x.result}`) },
			{ label: t('a.e.device'), key: 'device_id' },
			{ label: t('a.e.code'), value: (x) => (x.code || '').slice(0, 16) },
		], r.items || []), pager(r, (p) => { state.page = p; loadLogs(); }));
	}
	loadStats();
	loadLogs();
}
