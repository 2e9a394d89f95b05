// public/admin/catalog.js — products (create/edit for STAFF+, with quotas
// and package contents; delete for MANAGER+) and quotas (capacity, sold,
// held now and available per day; capacity edits refused below sold).
import { api } from '/shared/api.js';
import { el, clear, attempt, table, field, formValues, toast, confirmBox, won, t,
	toLocalInput, fromLocalInput } from '/shared/console.js';

const TYPES = ['TICKET', 'MERCH', 'PACKAGE'];

function today() {
	return new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Seoul' });
}

// ---- products -------------------------------------------------------------------

export function products(main, ctx) {
	const editorBox = el('div');
	const listBox = el('div');
	let quotaList = [];
	let productList = [];
	if (ctx.can(2)) main.append(el('div', { class: 'toolbar' },
		el('button', { type: 'button', 'data-test': 'product-new', onclick: () => edit(null) }, t('a.p.new'))));
	main.append(editorBox, listBox);

	async function load() {
		const [p, q] = await Promise.all([
			attempt(() => api.get(`${ctx.base}/products?limit=100`)),
			attempt(() => api.get(`${ctx.base}/quotas?limit=100`)),
		]);
		if (!p) return;
		productList = p.items;
		quotaList = q ? q.items : [];
		const qname = (id) => (quotaList.find((x) => x.id === id) || { name: `#${id}` }).name;
		clear(listBox).append(table([
			{ label: t('a.p.name'), key: 'name' },
			{ label: t('a.p.type'), value: (x) => t(`a.p.t.${x.type}`) },
			{ label: t('a.p.price'), value: (x) => won(x.price), num: true },
			{ label: t('a.p.dated'), value: (x) => (x.dated ? t('c.yes') : t('c.no')) },
			{ label: t('a.p.max'), value: (x) => x.max_per_order ?? t('a.p.event_default') },
			{ label: t('a.p.quotas'), value: (x) => (x.quota_ids || []).map(qname).join(', ') },
			{ label: t('a.p.contents'), value: (x) => (x.items || []).map((i) => `${i.name || i.product_name || '#' + i.product_id} × ${i.qty}`).join(', ') },
			{ label: t('c.actions'), value: (x) => el('div', { class: 'row-actions' },
				ctx.can(2) ? el('button', { type: 'button', class: 'secondary', 'data-test': 'product-edit', onclick: () => edit(x) }, t('c.edit')) : null,
				ctx.can(3) ? el('button', { type: 'button', class: 'danger', 'data-test': 'product-delete', onclick: () => remove(x) }, t('c.delete')) : null) },
		], productList, (x) => ({ 'data-test': 'product-row', 'data-product-id': x.id })));
	}

	function contentsEditor(items) {
		const rows = el('div', { class: 'wide' });
		const others = productList.filter((p) => p.type !== 'PACKAGE');
		const addRow = (it = {}) => rows.append(el('div', { class: 'toolbar', 'data-test': 'package-item' },
			field(t('a.product'), { type: 'select', name: 'pkg_product', value: it.product_id,
				options: others.map((p) => [p.id, p.name]) }),
			field(t('a.qty'), { type: 'number', name: 'pkg_qty', min: 1, max: 100, value: it.qty || 1 }),
			el('button', { type: 'button', class: 'link', onclick: (ev) => ev.target.closest('.toolbar').remove() }, t('c.delete'))));
		for (const it of items || []) addRow(it);
		return el('fieldset', { class: 'wide', 'data-test': 'package-contents' }, el('legend', {}, t('a.p.contents')), rows,
			el('button', { type: 'button', class: 'secondary', 'data-test': 'package-add', onclick: () => addRow() }, t('a.p.add_item')));
	}

	function edit(p) {
		const form = el('form', { class: 'editor card', 'data-test': 'product-form' },
			field(t('a.p.type'), { type: 'select', name: 'type', value: p ? p.type : 'TICKET',
				options: TYPES.map((x) => [x, t(`a.p.t.${x}`)]), 'data-test': 'product-type' }),
			field(t('a.p.name'), { name: 'name', required: true, maxlength: 100, value: p ? p.name : '', 'data-test': 'product-name' }),
			field(t('a.p.price'), { type: 'number', name: 'price', min: 0, required: true, value: p ? p.price : '', 'data-test': 'product-price' }),
			field(t('a.p.max'), { type: 'number', name: 'max_per_order', min: 1, max: 100, value: p ? p.max_per_order ?? '' : '' }),
			field(t('a.p.sale_starts'), { type: 'datetime-local', name: 'sale_starts_at', value: toLocalInput(p && p.sale_starts_at) }),
			field(t('a.p.sale_ends'), { type: 'datetime-local', name: 'sale_ends_at', value: toLocalInput(p && p.sale_ends_at) }),
			field(t('a.p.dated'), { type: 'checkbox', name: 'dated', checked: p ? p.dated : true }),
			el('fieldset', { class: 'wide', 'data-test': 'product-quotas' }, el('legend', {}, t('a.p.quotas')),
				quotaList.length ? quotaList.map((q) => field(q.name, { type: 'checkbox', name: `quota_${q.id}`, value: q.id,
					checked: p ? (p.quota_ids || []).includes(q.id) : false, 'data-quota-id': q.id }))
					: el('p', { class: 'muted' }, t('a.p.no_quotas'))),
			contentsEditor(p && p.items),
			el('div', { class: 'actions wide' },
				el('button', { type: 'button', class: 'secondary', onclick: () => clear(editorBox) }, t('c.cancel')),
				el('button', { type: 'submit', 'data-test': 'product-save' }, t('c.save'))));
		const sync = () => { form.querySelector('[data-test=package-contents]').hidden = form.elements.type.value !== 'PACKAGE'; };
		form.elements.type.addEventListener('change', sync);
		sync();
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const v = formValues(form);
			const body = {
				type: v.type, name: v.name, price: v.price, dated: v.dated, max_per_order: v.max_per_order,
				sale_starts_at: fromLocalInput(v.sale_starts_at), sale_ends_at: fromLocalInput(v.sale_ends_at),
				quota_ids: quotaList.filter((q) => v[`quota_${q.id}`]).map((q) => q.id),
			};
			if (v.type === 'PACKAGE') {
				body.items = [...form.querySelectorAll('[data-test=package-item]')].map((row) => ({
					product_id: Number(row.querySelector('[name=pkg_product]').value),
					qty: Number(row.querySelector('[name=pkg_qty]').value) }));
			}
			const r = await attempt(() => (p ? api.put(`${ctx.base}/products/${p.id}`, body) : api.post(`${ctx.base}/products`, body)));
			if (!r) return;
			toast(t('c.saved'), 'ok');
			clear(editorBox);
			load();
		});
		clear(editorBox).append(el('h2', {}, p ? t('a.p.edit', { name: p.name }) : t('a.p.new')), form);
		form.elements.name.focus();
	}

	async function remove(p) {
		if (!(await confirmBox(t('a.p.confirm_delete', { name: p.name }), t('c.delete')))) return;
		if (await attempt(() => api.del(`${ctx.base}/products/${p.id}`)) === undefined) return;
		toast(t('c.deleted'), 'ok');
		load();
	}
	load();
}

// ---- quotas ------------------------------------------------------------------------

export function quotas(main, ctx) {
	let date = today();
	const listBox = el('div');
	const dateField = field(t('a.date'), { type: 'date', name: 'date', value: date, 'data-test': 'quota-date' });
	dateField.querySelector('input').addEventListener('change', (ev) => { date = ev.target.value; load(); });
	const bar = el('div', { class: 'toolbar' }, dateField);
	// Quotas are capacity, and capacity is money: MANAGER+ (API.md).
	if (ctx.can(3)) {
		const form = el('form', { class: 'toolbar', 'data-test': 'quota-form' },
			field(t('a.q.name'), { name: 'name', required: true, maxlength: 100 }),
			field(t('a.q.capacity'), { type: 'number', name: 'capacity', min: 0, required: true }),
			field(t('a.q.per_day'), { type: 'checkbox', name: 'per_day', checked: true }),
			el('button', { type: 'submit' }, t('a.q.new')));
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const v = formValues(form);
			if (await attempt(() => api.post(`${ctx.base}/quotas`, { name: v.name, capacity: v.capacity, per_day: v.per_day }))) {
				form.reset();
				toast(t('c.saved'), 'ok');
				load();
			}
		});
		bar.append(form);
	}
	main.append(bar, el('p', { class: 'muted small' }, t('a.q.help')), listBox);

	// A refusal names its reason (below what is sold or held now) and the
	// smallest capacity allowed.
	async function save(q, input) {
		const capacity = Number(input.value);
		try {
			await api.put(`${ctx.base}/quotas/${q.id}`, { capacity });
		} catch (e) {
			const d = e.details || {};
			if (e.code === 'CONFLICT' && d.reason) e.message = `${e.message} ${t(`a.q.r.${d.reason}`, { min: d.min_capacity ?? '' })}`;
			toast(e);
			return;
		}
		toast(t('c.saved'), 'ok');
		load();
	}

	async function load() {
		const r = await attempt(() => api.get(`${ctx.base}/quotas?limit=100&date=${encodeURIComponent(date)}`));
		if (!r) return;
		clear(listBox).append(table([
			{ label: t('a.q.name'), key: 'name' },
			{ label: t('a.q.per_day'), value: (q) => (q.per_day ? t('a.q.daily') : t('a.q.whole')) },
			{ label: t('a.q.capacity'), num: true, value: (q) => {
				if (!ctx.can(3)) return q.capacity;
				const input = el('input', { type: 'number', min: 0, value: q.capacity, 'aria-label': t('a.q.capacity'), 'data-test': 'quota-capacity', class: 'num' });
				return el('span', { class: 'row-actions' }, input,
					el('button', { type: 'button', class: 'secondary', 'data-test': 'quota-save', onclick: () => save(q, input) }, t('c.save')));
			} },
			{ label: t('a.q.sold'), num: true, value: (q) => (q.stock ? q.stock.sold : q.sold) },
			{ label: t('a.q.held'), num: true, value: (q) => (q.stock && q.stock.held !== null ? q.stock.held : '–') },
			{ label: t('a.q.available'), num: true, value: (q) => (q.stock && q.stock.available !== null ? q.stock.available : '–') },
		], r.items, (q) => ({ 'data-test': 'quota-row', 'data-quota-id': q.id })));
	}
	load();
}
