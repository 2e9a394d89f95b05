// public/admin/content.js — notices (create, edit, pin, delete: MANAGER+),
// invitations (batches, their link, claims, revoke: MANAGER+; built to the
// API.md contract) and the event's activity log (MANAGER+).
import { api } from '/shared/api.js';
import { el, clear, attempt, table, field, formValues, pager, toast, confirmBox, t, when } from '/shared/console.js';

// ---- notices ----------------------------------------------------------------------

export function notices(main, ctx) {
	const editorBox = el('div');
	const listBox = el('div');
	if (ctx.can(3)) main.append(el('div', { class: 'toolbar' },
		el('button', { type: 'button', 'data-test': 'notice-new', onclick: () => edit(null) }, t('a.n.new'))));
	main.append(editorBox, listBox);

	async function load() {
		const r = await attempt(() => api.get(`${ctx.base}/notices?limit=100`));
		if (!r) return;
		clear(listBox).append(table([
			{ label: t('a.n.pinned'), value: (n) => (n.pinned ? '📌' : '') },
			{ label: t('a.n.title'), key: 'title' },
			{ label: t('a.n.created'), value: (n) => when(n.created_at) },
			{ label: t('c.actions'), value: (n) => (ctx.can(3) ? el('div', { class: 'row-actions' },
				el('button', { type: 'button', class: 'secondary', 'data-test': 'notice-edit', onclick: () => edit(n) }, t('c.edit')),
				el('button', { type: 'button', class: 'secondary', 'data-test': 'notice-pin', onclick: () => pin(n) }, n.pinned ? t('a.n.unpin') : t('a.n.pin')),
				el('button', { type: 'button', class: 'danger', 'data-test': 'notice-delete', onclick: () => remove(n) }, t('c.delete'))) : '') },
		], r.items, (n) => ({ 'data-test': 'notice-row', 'data-notice-id': n.id })));
	}

	function edit(n) {
		const form = el('form', { class: 'editor card', 'data-test': 'notice-form' },
			el('div', { class: 'wide' }, field(t('a.n.title'), { name: 'title', required: true, maxlength: 200, value: n ? n.title : '' })),
			el('div', { class: 'wide' }, field(t('a.n.body'), { type: 'textarea', name: 'body', maxlength: 50000, value: n ? n.body : '' })),
			field(t('a.n.pinned'), { type: 'checkbox', name: 'pinned', checked: n ? n.pinned : false }),
			el('div', { class: 'actions wide' },
				el('button', { type: 'button', class: 'secondary', onclick: () => clear(editorBox) }, t('c.cancel')),
				el('button', { type: 'submit', 'data-test': 'notice-save' }, t('c.save'))));
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const v = formValues(form);
			const body = { title: v.title, body: v.body, pinned: v.pinned };
			if (await attempt(() => (n ? api.put(`${ctx.base}/notices/${n.id}`, body) : api.post(`${ctx.base}/notices`, body)))) {
				toast(t('c.saved'), 'ok');
				clear(editorBox);
				load();
			}
		});
		clear(editorBox).append(form);
	}

	async function pin(n) {
		if (await attempt(() => api.put(`${ctx.base}/notices/${n.id}`, { pinned: !n.pinned }))) load();
	}

	async function remove(n) {
		if (!(await confirmBox(t('a.n.confirm_delete', { title: n.title }), t('c.delete')))) return;
		if (await attempt(() => api.del(`${ctx.base}/notices/${n.id}`)) === undefined) return;
		toast(t('c.deleted'), 'ok');
		load();
	}
	load();
}

// ---- invitations --------------------------------------------------------------------

function inviteUrl(inv) {
	return inv.url || `${location.origin}/${inv.event_code || ''}/invitations/${inv.token}`;
}

export function invitations(main, ctx) {
	const listBox = el('div');
	const detailBox = el('div', { class: 'detail' });
	const form = el('form', { class: 'editor card', 'data-test': 'invitation-form' },
		field(t('a.i.company'), { name: 'company', required: true, maxlength: 200 }),
		field(t('a.i.quantity'), { type: 'number', name: 'quantity', min: 1, max: 100000, required: true }),
		field(t('a.product'), { type: 'select', name: 'product_id', options: [] }),
		field(t('a.i.visit_date'), { type: 'date', name: 'visit_date' }),
		el('div', { class: 'actions' }, el('button', { type: 'submit', 'data-test': 'invitation-save' }, t('a.i.new'))));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const v = formValues(form);
		const body = { company: v.company, quantity: v.quantity, product_id: Number(v.product_id) };
		if (v.visit_date) body.visit_date = v.visit_date;
		const r = await attempt(() => api.post(`${ctx.base}/invitations`, body));
		if (!r) return;
		form.reset();
		toast(t('a.i.created'), 'ok');
		load();
		show(r.invitation.id);
	});
	main.append(form, listBox, detailBox);

	attempt(async () => {
		const p = await api.get(`${ctx.base}/products?limit=100`);
		const sel = form.elements.product_id;
		for (const x of p.items.filter((x) => x.type !== 'MERCH')) sel.append(el('option', { value: x.id }, x.name));
	});

	async function copy(inv) {
		const url = inviteUrl(inv);
		try {
			await navigator.clipboard.writeText(url);
			toast(t('a.i.copied'), 'ok');
		} catch {
			toast(url);
		}
	}

	async function load() {
		const r = await attempt(() => api.get(`${ctx.base}/invitations?limit=100`));
		if (!r) return;
		clear(listBox).append(table([
			{ label: t('a.i.company'), key: 'company' },
			{ label: t('a.i.claimed'), value: (i) => `${i.claimed} / ${i.quantity}`, num: true },
			{ label: t('a.i.visit_date'), value: (i) => i.visit_date || t('a.i.any_date') },
			{ label: t('a.i.state'), value: (i) => (i.revoked_at ? t('a.i.revoked') : t('a.i.open')) },
			{ label: t('c.actions'), value: (i) => el('div', { class: 'row-actions' },
				el('button', { type: 'button', class: 'secondary', 'data-test': 'invitation-copy', onclick: () => copy(i) }, t('a.i.copy')),
				el('button', { type: 'button', class: 'secondary', 'data-test': 'invitation-claims', onclick: () => show(i.id) }, t('a.i.claims')),
				i.revoked_at ? null : el('button', { type: 'button', class: 'danger', 'data-test': 'invitation-revoke', onclick: () => revoke(i) }, t('a.i.revoke'))) },
		], r.items || [], (i) => ({ 'data-test': 'invitation-row', 'data-invitation-id': i.id })));
	}

	async function show(id) {
		const r = await attempt(() => api.get(`${ctx.base}/invitations/${id}`));
		if (!r) return;
		const inv = r.invitation;
		clear(detailBox).append(el('section', { class: 'card' },
			el('h2', {}, inv.company),
			el('p', {}, el('code', { class: 'link', 'data-test': 'invitation-url' }, inviteUrl(inv))),
			table([{ label: t('a.i.name'), key: 'name' }, { label: t('a.i.phone'), key: 'phone' },
				{ label: t('a.i.claimed_at'), value: (c) => when(c.created_at) },
				{ label: t('a.o.code'), value: (c) => (c.ticket_code || (c.ticket && c.ticket.code) || '').slice(0, 12) }],
			inv.claims || [])));
	}

	async function revoke(i) {
		if (!(await confirmBox(t('a.i.confirm_revoke', { company: i.company, n: i.quantity - i.claimed }), t('a.i.revoke')))) return;
		if (await attempt(() => api.del(`${ctx.base}/invitations/${i.id}`)) === undefined) return;
		toast(t('a.i.revoked'), 'ok');
		load();
	}
	load();
}

// ---- activity --------------------------------------------------------------------------

export function activity(main, ctx) {
	const state = { page: 1, action: '' };
	const box = el('div');
	const f = el('form', { class: 'toolbar' },
		field(t('a.l.action'), { name: 'action', maxlength: 64, placeholder: 'order.' }),
		el('button', { type: 'submit' }, t('c.search')));
	f.addEventListener('submit', (ev) => { ev.preventDefault(); state.action = f.elements.action.value.trim(); state.page = 1; load(); });
	main.append(f, box);

	async function load() {
		const q = new URLSearchParams({ page: state.page, limit: 30 });
		if (state.action) q.set('action', state.action);
		const r = await attempt(() => api.get(`${ctx.base}/activity?${q}`));
		if (!r) return;
		clear(box).append(activityTable(r.items), pager(r, (p) => { state.page = p; load(); }));
	}
	load();
}

export function activityTable(items) {
	return table([
		{ label: t('a.o.when'), value: (x) => when(x.created_at) },
		{ label: t('a.l.admin'), value: (x) => x.admin_username || t('a.o.system') },
		{ label: t('a.event'), value: (x) => x.event_code || '' },
		{ label: t('a.l.action'), value: (x) => el('code', {}, x.action) },
		{ label: t('a.l.target'), value: (x) => (x.target_type ? `${x.target_type} ${x.target_id || ''}` : '') },
		{ label: t('a.l.summary'), value: (x) => el('span', { class: 'small' }, JSON.stringify(x.summary).slice(0, 140)) },
	], items, () => ({ 'data-test': 'activity-row' }));
}
