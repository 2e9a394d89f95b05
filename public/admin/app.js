// public/admin/app.js — the manager's console: the shell (shared), the event
// switcher limited to the account's events, and the sections. Each section
// sees ctx = {principal, events, event, level, can(minLevel), base}: base is
// the API path of the current event, level the account's level on it.
import { api } from '/shared/api.js';
import { addTexts } from '/shared/i18n.js';
import { el, start, t } from '/shared/console.js';
import texts from './texts.js';
import { dashboard, sales, entrance } from './figures.js';
import { products, quotas } from './catalog.js';
import { orders } from './orders.js';
import { notices, invitations, activity } from './content.js';

addTexts(texts);

const EVENT_KEY = 'ticketd.admin.event';

const sections = [
	{ id: 'dashboard', label: () => t('a.nav.dashboard'), render: dashboard },
	{ id: 'products', label: () => t('a.nav.products'), render: products },
	{ id: 'quotas', label: () => t('a.nav.quotas'), render: quotas },
	{ id: 'orders', label: () => t('a.nav.orders'), render: orders },
	{ id: 'notices', label: () => t('a.nav.notices'), render: notices },
	{ id: 'invitations', label: () => t('a.nav.invitations'), render: invitations, allowed: (c) => c.can(3) },
	{ id: 'entrance', label: () => t('a.nav.entrance'), render: entrance },
	{ id: 'sales', label: () => t('a.nav.sales'), render: sales },
	{ id: 'activity', label: () => t('a.nav.activity'), render: activity, allowed: (c) => c.can(3) },
];

function pick(ctx, id) {
	const ev = ctx.events.find((e) => String(e.id) === String(id)) || ctx.events[0];
	ctx.event = ev;
	ctx.level = ev.level;
	ctx.base = `/fcgi/admin/events/${ev.id}`;
	sessionStorage.setItem(EVENT_KEY, String(ev.id));
}

start({
	family: 'admin',
	title: () => t('a.title'),
	sections,
	async boot() {
		const list = await api.get('/fcgi/admin/events?limit=100');
		const events = list.items || [];
		if (!events.length) throw new Error(t('a.no_events'));
		const ctx = { events, can: (min) => (ctx.level || 0) >= min };
		pick(ctx, sessionStorage.getItem(EVENT_KEY));
		return ctx;
	},
	header(ctx, rerender) {
		const sel = el('select', { 'data-test': 'event-switch', 'aria-label': t('a.event'),
			onchange: () => { pick(ctx, sel.value); rerender(); } },
		ctx.events.map((e) => el('option', { value: e.id, selected: e.id === ctx.event.id ? 'selected' : undefined },
			`${e.title} (${e.code})`)));
		return [sel, el('span', { class: 'badge', 'data-test': 'level' }, t(`a.level.${Math.min(ctx.level, 9)}`))];
	},
});
