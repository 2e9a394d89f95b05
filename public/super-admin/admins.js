// public/super-admin/admins.js — admin accounts: create, edit, deactivate,
// reset password, unlock, and assign events with levels.
import { api } from '/shared/api.js';
import { el, clear, attempt, table, field, formValues, pager, toast, confirmBox, t, when } from '/shared/console.js';

const LEVELS = [1, 2, 3, 9];

export function admins(main) {
	const state = { page: 1 };
	const editorBox = el('div');
	const listBox = el('div');
	let eventList = [];
	main.append(el('div', { class: 'toolbar' },
		el('button', { type: 'button', 'data-test': 'admin-new', onclick: () => edit(null) }, t('s.a.new'))), editorBox, listBox);

	async function load() {
		if (!eventList.length) {
			const ev = await attempt(() => api.get('/fcgi/super-admin/events?limit=100'));
			eventList = ev ? ev.items : [];
		}
		const r = await attempt(() => api.get(`/fcgi/super-admin/admins?page=${state.page}&limit=20`));
		if (!r) return;
		clear(listBox).append(table([
			{ label: t('c.username'), value: (a) => el('code', {}, a.username) },
			{ label: t('s.a.name'), key: 'name' },
			{ label: t('s.a.events'), value: (a) => (a.is_super ? t('s.a.super') : a.events.map((e) => `${e.code} (${t(`s.level.${e.level}`)})`).join(', ')) },
			{ label: t('s.a.state'), value: (a) => el('span', { class: `badge ${a.is_active ? 'ok' : 'failed'}` },
				!a.is_active ? t('s.a.inactive') : a.locked ? t('s.a.locked') : t('s.a.active')) },
			{ label: t('s.a.last_login'), value: (a) => when(a.last_login_at) },
			{ label: t('c.actions'), value: (a) => el('div', { class: 'row-actions' },
				el('button', { type: 'button', class: 'secondary', 'data-test': 'admin-edit', onclick: () => edit(a) }, t('c.edit')),
				a.is_super ? null : el('button', { type: 'button', class: 'secondary', 'data-test': 'admin-assign', onclick: () => assign(a) }, t('s.a.assign')),
				el('button', { type: 'button', class: 'secondary', 'data-test': 'admin-reset', onclick: () => reset(a) }, t('s.a.reset')),
				a.locked ? el('button', { type: 'button', class: 'secondary', 'data-test': 'admin-unlock', onclick: () => unlock(a) }, t('s.a.unlock')) : null,
				a.is_active && !a.is_super ? el('button', { type: 'button', class: 'danger', 'data-test': 'admin-deactivate', onclick: () => deactivate(a) }, t('s.a.deactivate')) : null) },
		], r.items, (a) => ({ 'data-test': 'admin-row', 'data-admin-id': a.id, 'data-username': a.username })),
		pager(r, (p) => { state.page = p; load(); }));
	}

	function edit(a) {
		const form = el('form', { class: 'editor card', 'data-test': 'admin-form' },
			field(t('c.username'), { name: 'username', required: true, pattern: '[a-z0-9_.]{3,32}', maxlength: 32, value: a ? a.username : '',
				readonly: a ? true : undefined, 'data-test': 'admin-username' }),
			a ? null : field(t('c.password'), { type: 'password', name: 'password', required: true, minlength: 10, autocomplete: 'new-password', 'data-test': 'admin-password' }),
			field(t('s.a.name'), { name: 'name', required: true, maxlength: 100, value: a ? a.name : '', 'data-test': 'admin-name' }),
			field(t('s.a.phone'), { name: 'phone', maxlength: 20, value: a ? a.phone || '' : '' }),
			field(t('s.a.email'), { type: 'email', name: 'email', maxlength: 254, value: a ? a.email || '' : '' }),
			a ? field(t('s.a.active'), { type: 'checkbox', name: 'is_active', checked: a.is_active }) : null,
			el('div', { class: 'actions wide' },
				el('button', { type: 'button', class: 'secondary', onclick: () => clear(editorBox) }, t('c.cancel')),
				el('button', { type: 'submit', 'data-test': 'admin-save' }, t('c.save'))));
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const v = formValues(form);
			const body = { name: v.name, phone: v.phone || null, email: v.email || null };
			if (a) body.is_active = v.is_active;
			else Object.assign(body, { username: v.username, password: v.password });
			const r = await attempt(() => (a ? api.put(`/fcgi/super-admin/admins/${a.id}`, body) : api.post('/fcgi/super-admin/admins', body)));
			if (!r) return;
			toast(t('c.saved'), 'ok');
			clear(editorBox);
			await load();
			if (!a) assign(r.admin);
		});
		clear(editorBox).append(el('h2', {}, a ? t('s.a.edit', { username: a.username }) : t('s.a.new')), form);
	}

	function assign(a) {
		const current = new Map((a.events || []).map((e) => [e.event_id, e.level]));
		const rows = eventList.map((e) => el('tr', { 'data-test': 'assign-row', 'data-event-id': e.id },
			el('td', {}, `${e.title} (${e.code})`),
			el('td', {}, el('select', { name: `ev_${e.id}`, 'aria-label': t('s.a.level_for', { code: e.code }), 'data-test': 'assign-level' },
				el('option', { value: '' }, t('s.a.none')),
				LEVELS.map((l) => el('option', { value: l, selected: current.get(e.id) === l ? 'selected' : undefined }, t(`s.level.${l}`)))))));
		const form = el('form', { class: 'card', 'data-test': 'assign-form' },
			el('div', { class: 'table-wrap' }, el('table', {},
				el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('s.a.event')), el('th', { scope: 'col' }, t('s.a.level')))),
				el('tbody', {}, rows))),
			el('div', { class: 'actions' },
				el('button', { type: 'button', class: 'secondary', onclick: () => clear(editorBox) }, t('c.cancel')),
				el('button', { type: 'submit', 'data-test': 'assign-save' }, t('c.save'))));
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const shown = new Set(eventList.map((e) => e.id));
			// The whole set replaces the old one: assignments to events not listed here stay.
			const body = eventList.map((e) => ({ event_id: e.id, level: Number(form.elements[`ev_${e.id}`].value) }))
				.filter((x) => x.level > 0)
				.concat([...current].filter(([id]) => !shown.has(id)).map(([id, level]) => ({ event_id: id, level })));
			if (await attempt(() => api.put(`/fcgi/super-admin/admins/${a.id}/events`, body))) {
				toast(t('c.saved'), 'ok');
				clear(editorBox);
				load();
			}
		});
		clear(editorBox).append(el('h2', {}, t('s.a.assign_title', { username: a.username })), form);
	}

	async function reset(a) {
		const input = el('input', { type: 'password', minlength: 10, autocomplete: 'new-password', 'data-test': 'reset-password', 'aria-label': t('s.a.new_password') });
		if (!(await confirmBox(el('div', {}, el('p', {}, t('s.a.reset_q', { username: a.username })),
			el('label', { class: 'field' }, el('span', {}, t('s.a.new_password')), input)), t('s.a.reset')))) return;
		if (await attempt(() => api.post(`/fcgi/super-admin/admins/${a.id}/reset-password`, { password: input.value }))) toast(t('s.a.reset_ok'), 'ok');
	}

	async function unlock(a) {
		if (await attempt(() => api.post(`/fcgi/super-admin/admins/${a.id}/unlock`))) { toast(t('s.a.unlocked'), 'ok'); load(); }
	}

	async function deactivate(a) {
		if (!(await confirmBox(t('s.a.deactivate_q', { username: a.username }), t('s.a.deactivate')))) return;
		if (await attempt(() => api.put(`/fcgi/super-admin/admins/${a.id}`, { is_active: false }))) { toast(t('s.a.deactivated'), 'ok'); load(); }
	}
	load();
}
