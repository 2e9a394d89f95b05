// public/super-admin/figures.js — analytics (overview, revenue per period,
// per exhibition, realtime every 5 s), the activity log with its filters,
// and the system settings.
import { api } from '/shared/api.js';
import { el, clear, attempt, table, barChart, field, formValues, pager, toast, won, t, when } from '/shared/console.js';

const REALTIME_MS = 5000;
const SETTINGS = [
	['default_hold_seconds', 'number', 5, 3600],
	['default_max_per_order', 'number', 1, 100],
	['login_max_failures', 'number', 3, 20],
	['login_lock_minutes', 'number', 1, 1440],
	['site_name', 'text'],
];

function metric(name, label, value) {
	return el('div', { class: 'metric' }, el('div', { class: 'label' }, label),
		el('div', { class: 'value', 'data-test': `metric-${name}`, 'data-value': value }, value));
}

export function analytics(main) {
	const overview = el('div');
	const realtime = el('div');
	const revenue = el('div');
	const perEvent = el('div');
	let period = 'monthly';
	let stopped = false;
	let timer = null;
	const switcher = el('div', { class: 'row-actions', role: 'group', 'aria-label': t('s.an.period') },
		['daily', 'weekly', 'monthly', 'yearly'].map((p) => el('button', { type: 'button', class: p === period ? '' : 'secondary',
			'data-test': `period-${p}`, 'aria-pressed': String(p === period),
			onclick: (ev) => {
				period = p;
				for (const b of switcher.children) { b.className = b === ev.target ? '' : 'secondary'; b.setAttribute('aria-pressed', String(b === ev.target)); }
				loadRevenue();
			} }, t(`s.an.${p}`))));
	main.append(overview, el('h2', {}, t('s.an.realtime')), realtime,
		el('h2', {}, t('s.an.revenue')), el('div', { class: 'toolbar' }, switcher), revenue,
		el('h2', {}, t('s.an.per_event')), perEvent);

	async function loadOverview() {
		const r = await attempt(() => api.get('/fcgi/super-admin/analytics/overview'));
		if (!r) return;
		const o = r.overview;
		clear(overview).append(el('div', { class: 'metrics' },
			metric('events-active', t('s.an.events_active'), o.events_active),
			metric('sales-today', t('s.an.sales_today'), won(o.sales_today)),
			metric('sales-total', t('s.an.sales_total'), won(o.sales_total)),
			metric('paid-orders', t('s.an.paid_orders'), o.paid_orders),
			metric('tickets-sold', t('s.an.tickets_sold'), o.tickets_sold)));
	}

	async function loadRealtime() {
		const r = await attempt(() => api.get('/fcgi/super-admin/analytics/realtime'));
		if (stopped) return;
		if (r) {
			const x = r.realtime;
			clear(realtime).append(el('div', { class: 'metrics' },
				metric('holds-active', t('s.an.holds'), x.holds_active),
				metric('reservations-minute', t('s.an.res_min'), x.reservations_last_minute),
				metric('paid-minute', t('s.an.paid_min'), x.paid_last_minute),
				metric('scans-minute', t('s.an.scans_min'), x.scans_last_minute),
				metric('queue-waiting', t('s.an.queue'), x.queue_waiting)));
		}
		timer = setTimeout(loadRealtime, REALTIME_MS);
	}

	async function loadRevenue() {
		const r = await attempt(() => api.get(`/fcgi/super-admin/analytics/revenue?period=${period}`));
		if (!r) return;
		const items = period === 'daily' ? r.items.slice(-60) : r.items;
		const label = (p) => (period === 'yearly' ? p.slice(0, 4) : period === 'monthly' ? p.slice(0, 7) : p.slice(5));
		clear(revenue).append(
			barChart(items.map((x) => ({ label: label(x.period), value: x.amount })), { title: t('s.an.revenue_chart'), format: (v) => won(v) }),
			table([{ label: t('s.an.period'), key: 'period' }, { label: t('s.an.orders'), key: 'orders', num: true },
				{ label: t('s.an.amount'), value: (x) => won(x.amount), num: true },
				{ label: t('s.an.refunded'), value: (x) => won(x.refunded || 0), num: true }], items.slice().reverse(), () => ({ 'data-test': 'revenue-row' })));
	}

	async function loadEvents(page = 1) {
		const r = await attempt(() => api.get(`/fcgi/super-admin/analytics/events?page=${page}&limit=20`));
		if (!r) return;
		clear(perEvent).append(table([
			{ label: t('s.e.code'), value: (e) => el('code', {}, e.code) }, { label: t('s.e.title'), key: 'title' },
			{ label: t('s.e.state'), value: (e) => (e.is_active ? t('s.e.active') : t('s.e.inactive')) },
			{ label: t('s.an.sales_today'), value: (e) => won(e.sales_today), num: true },
			{ label: t('s.an.sales_total'), value: (e) => won(e.sales_total), num: true },
			{ label: t('s.an.paid_orders'), key: 'paid_orders', num: true },
			{ label: t('s.an.tickets_sold'), key: 'tickets_sold', num: true },
			{ label: t('s.an.tickets_used'), key: 'tickets_used', num: true },
			{ label: t('s.an.refunded'), value: (e) => won(e.refunded_amount), num: true },
		], r.items, (e) => ({ 'data-test': 'analytics-event-row', 'data-event-id': e.event_id })), pager(r, loadEvents));
	}

	loadOverview();
	loadRealtime();
	loadRevenue();
	loadEvents();
	return () => { stopped = true; clearTimeout(timer); };
}

export function activity(main) {
	const state = { page: 1 };
	const box = el('div');
	const form = el('form', { class: 'toolbar', 'data-test': 'activity-filters' },
		field(t('s.l.admin_id'), { type: 'number', name: 'admin_id', min: 1 }),
		field(t('s.l.event_id'), { type: 'number', name: 'event_id', min: 1 }),
		field(t('s.l.action'), { name: 'action', maxlength: 64, placeholder: 'event.' }),
		field(t('s.l.from'), { type: 'date', name: 'from' }),
		field(t('s.l.to'), { type: 'date', name: 'to' }),
		el('button', { type: 'submit' }, t('c.search')));
	form.addEventListener('submit', (ev) => { ev.preventDefault(); state.page = 1; load(); });
	main.append(form, box);

	async function load() {
		const v = formValues(form);
		const q = new URLSearchParams({ page: state.page, limit: 30 });
		for (const k of ['admin_id', 'event_id', 'action', 'from', 'to']) if (v[k] !== null && v[k] !== '') q.set(k, v[k]);
		const r = await attempt(() => api.get(`/fcgi/super-admin/activity?${q}`));
		if (!r) return;
		clear(box).append(table([
			{ label: t('s.l.when'), value: (x) => when(x.created_at) },
			{ label: t('s.l.admin'), value: (x) => (x.admin_username ? `${x.admin_username} (#${x.admin_id})` : t('s.l.system')) },
			{ label: t('s.l.event'), value: (x) => (x.event_code ? `${x.event_code} (#${x.event_id})` : '') },
			{ label: t('s.l.action'), value: (x) => el('code', {}, x.action) },
			{ label: t('s.l.target'), value: (x) => (x.target_type ? `${x.target_type} ${x.target_id || ''}` : '') },
			{ label: t('s.l.summary'), value: (x) => el('span', { class: 'small' }, JSON.stringify(x.summary).slice(0, 140)) },
			{ label: t('s.l.ip'), key: 'ip' },
		], r.items, () => ({ 'data-test': 'activity-row' })), pager(r, (p) => { state.page = p; load(); }));
	}
	load();
}

export function settings(main) {
	const box = el('div');
	main.append(box);
	(async () => {
		const r = await attempt(() => api.get('/fcgi/super-admin/settings'));
		if (!r) return;
		const s = r.settings;
		const form = el('form', { class: 'editor card', 'data-test': 'settings-form' },
			SETTINGS.map(([k, type, min, max]) => field(t(`s.st.${k}`), { name: k, type, min, max, value: s[k] ?? '', 'data-test': `setting-${k}` })),
			el('div', { class: 'actions wide' }, el('button', { type: 'submit', 'data-test': 'settings-save' }, t('c.save'))));
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			if (await attempt(() => api.put('/fcgi/super-admin/settings', formValues(form)))) toast(t('c.saved'), 'ok');
		});
		box.append(form);
	})();
}
