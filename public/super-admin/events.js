// public/super-admin/events.js — exhibitions: list, create and edit (hold
// time, max per order, queue settings), activate and deactivate.
import { api } from '/shared/api.js';
import { el, clear, attempt, table, field, formValues, pager, toast, t } from '/shared/console.js';

const ZONES = ['Asia/Seoul', 'Asia/Tokyo', 'Asia/Shanghai', 'Asia/Singapore', 'Europe/London', 'Europe/Paris',
	'America/New_York', 'America/Los_Angeles', 'UTC'];

export function events(main) {
	const state = { page: 1 };
	const editorBox = el('div');
	const listBox = el('div');
	main.append(el('div', { class: 'toolbar' },
		el('button', { type: 'button', 'data-test': 'event-new', onclick: () => edit(null) }, t('s.e.new'))), editorBox, listBox);

	async function load() {
		const r = await attempt(() => api.get(`/fcgi/super-admin/events?page=${state.page}&limit=20`));
		if (!r) return;
		clear(listBox).append(table([
			{ label: t('s.e.code'), value: (e) => el('code', {}, e.code) },
			{ label: t('s.e.title'), key: 'title' },
			{ label: t('s.e.dates'), value: (e) => `${e.starts_on} ~ ${e.ends_on}` },
			{ label: t('s.e.hold'), value: (e) => t('s.e.seconds', { n: e.hold_seconds }), num: true },
			{ label: t('s.e.max'), key: 'max_per_order', num: true },
			{ label: t('s.e.queue'), value: (e) => (e.queue && e.queue.enabled ? t('s.e.queue_on', { n: e.queue.admit_per_second }) : t('s.e.queue_off')) },
			{ label: t('s.e.state'), value: (e) => el('span', { class: `badge ${e.is_active ? 'ok' : ''}`, 'data-test': 'event-state' }, e.is_active ? t('s.e.active') : t('s.e.inactive')) },
			{ label: t('c.actions'), value: (e) => el('div', { class: 'row-actions' },
				el('button', { type: 'button', class: 'secondary', 'data-test': 'event-edit', onclick: () => edit(e) }, t('c.edit')),
				e.is_active
					? el('button', { type: 'button', class: 'secondary', 'data-test': 'event-deactivate', onclick: () => toggle(e, 'deactivate') }, t('s.e.deactivate'))
					: el('button', { type: 'button', 'data-test': 'event-activate', onclick: () => toggle(e, 'activate') }, t('s.e.activate'))) },
		], r.items, (e) => ({ 'data-test': 'event-row', 'data-event-id': e.id, 'data-code': e.code })),
		pager(r, (p) => { state.page = p; load(); }));
	}

	function edit(e) {
		const q = (e && e.queue) || {};
		const form = el('form', { class: 'editor card', 'data-test': 'event-form' },
			field(t('s.e.code'), { name: 'code', required: true, pattern: '[a-z0-9]{2,16}', maxlength: 16, value: e ? e.code : '',
				readonly: e ? true : undefined, 'data-test': 'event-code' }),
			field(t('s.e.title'), { name: 'title', required: true, maxlength: 200, value: e ? e.title : '', 'data-test': 'event-title-input' }),
			field(t('s.e.venue'), { name: 'venue', maxlength: 200, value: e ? e.venue : '' }),
			field(t('s.e.address'), { name: 'address', maxlength: 200, value: e ? e.address : '' }),
			field(t('s.e.starts'), { type: 'date', name: 'starts_on', required: true, value: e ? e.starts_on : '', 'data-test': 'event-starts' }),
			field(t('s.e.ends'), { type: 'date', name: 'ends_on', required: true, value: e ? e.ends_on : '', 'data-test': 'event-ends' }),
			field(t('s.e.hours'), { name: 'open_hours', maxlength: 200, value: e ? e.open_hours : '10:00-18:00' }),
			field(t('s.e.timezone'), { type: 'select', name: 'timezone', value: e ? e.timezone : 'Asia/Seoul',
				options: [...new Set([...(e ? [e.timezone] : []), ...ZONES])].map((z) => [z, z]) }),
			field(t('s.e.hold_s'), { type: 'number', name: 'hold_seconds', min: 5, max: 3600, value: e ? e.hold_seconds : 600 }),
			field(t('s.e.max'), { type: 'number', name: 'max_per_order', min: 1, max: 100, value: e ? e.max_per_order : 10 }),
			field(t('s.e.queue_enabled'), { type: 'checkbox', name: 'queue_enabled', checked: !!q.enabled }),
			field(t('s.e.admit_rate'), { type: 'number', name: 'admit_per_second', min: 1, max: 100000, value: q.admit_per_second || 50 }),
			field(t('s.e.max_active'), { type: 'number', name: 'max_active', min: 1, value: q.max_active ?? '' }),
			field(t('s.e.opens_at'), { type: 'datetime-local', name: 'opens_at', value: q.opens_at ? q.opens_at.slice(0, 16) : '' }),
			el('div', { class: 'actions wide' },
				el('button', { type: 'button', class: 'secondary', onclick: () => clear(editorBox) }, t('c.cancel')),
				el('button', { type: 'submit', 'data-test': 'event-save' }, t('c.save'))));
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const v = formValues(form);
			const queue = { enabled: v.queue_enabled, admit_per_second: v.admit_per_second };
			if (v.max_active) queue.max_active = v.max_active;
			if (v.opens_at) queue.opens_at = `${v.opens_at}:00+09:00`;
			const body = { title: v.title, venue: v.venue, address: v.address, starts_on: v.starts_on, ends_on: v.ends_on,
				open_hours: v.open_hours, timezone: v.timezone, hold_seconds: v.hold_seconds, max_per_order: v.max_per_order, queue };
			if (!e) body.code = v.code;
			const r = await attempt(() => (e ? api.put(`/fcgi/super-admin/events/${e.id}`, body) : api.post('/fcgi/super-admin/events', body)));
			if (!r) return;
			toast(t('c.saved'), 'ok');
			clear(editorBox);
			load();
		});
		clear(editorBox).append(el('h2', {}, e ? t('s.e.edit', { code: e.code }) : t('s.e.new')), form);
	}

	async function toggle(e, what) {
		if (await attempt(() => api.post(`/fcgi/super-admin/events/${e.id}/${what}`))) {
			toast(what === 'activate' ? t('s.e.activated') : t('s.e.deactivated'), 'ok');
			load();
		}
	}
	load();
}
