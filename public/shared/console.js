// public/shared/console.js — what the two back-office consoles (/admin/ and
// /super-admin/) share: the DOM builder, toasts, the confirmation dialog,
// tables, SVG bar charts, forms, and the shell (login with the HttpOnly
// cookie + CSRF token, logout, navigation, language switch).
//
// Every text goes into the page as text (el() never sets innerHTML), every
// API error is shown as a toast with its request id, and the session token
// is never stored by the page: the cookie carries it, the CSRF value lives
// in sessionStorage through api.js's setCsrf.
import { api, setCsrf, ApiError } from './api.js';
import { t, addTexts, apply, bindSwitch, onLangChange, won, lang } from './i18n.js';
import texts from './console-texts.js';

addTexts(texts);

// el('button', {class: 'x', 'data-test': 'refund', onclick: f}, 'text', child…)
export function el(tag, props = {}, ...children) {
	const n = document.createElement(tag);
	for (const [k, v] of Object.entries(props || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k.startsWith('on') && typeof v === 'function') n.addEventListener(k.slice(2), v);
		else if (k === 'class') n.className = v;
		else if (k === 'value') n.value = v;
		else if (k === 'checked') n.checked = !!v;
		else if (k === 'dataset') Object.assign(n.dataset, v);
		else n.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat()) {
		if (c === undefined || c === null || c === false) continue;
		n.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return n;
}

export function clear(node) {
	while (node.firstChild) node.firstChild.remove();
	return node;
}

// ---- toasts -------------------------------------------------------------

function toastBox() {
	let box = document.getElementById('toasts');
	if (!box) {
		box = el('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
		document.body.append(box);
	}
	return box;
}

// toast(text) or toast(apiError): an error names its code and request id.
export function toast(what, kind = 'info') {
	const isErr = what instanceof ApiError || what instanceof Error;
	const node = el('div', { class: `toast ${isErr ? 'error' : kind}`, 'data-test': 'toast' });
	if (what instanceof ApiError) {
		node.dataset.code = what.code;
		node.append(el('p', {}, what.message || what.code));
		const fields = what.details && what.details.fields;
		if (fields) for (const [f, m] of Object.entries(fields)) node.append(el('p', { class: 'small' }, `${f}: ${m}`));
		node.append(el('p', { class: 'small muted' }, t('c.request_id', { id: what.requestId || '-' })));
	} else {
		node.append(el('p', {}, isErr ? what.message : what));
	}
	node.append(el('button', { class: 'link', type: 'button', 'aria-label': t('c.close'), onclick: () => node.remove() }, '×'));
	toastBox().append(node);
	setTimeout(() => node.remove(), isErr ? 15000 : 4000);
	return node;
}

// Runs f and shows any failure as a toast; returns f's value or undefined.
export async function attempt(f) {
	try {
		return await f();
	} catch (e) {
		if (e && e.name === 'AbortError') return undefined;
		toast(e);
		return undefined;
	}
}

// ---- dialogs -------------------------------------------------------------

// A modal with a message (text or nodes) and OK / cancel; resolves true on OK.
export function confirmBox(message, okLabel = t('c.confirm')) {
	return new Promise((resolve) => {
		const close = (v) => { dlg.close(); dlg.remove(); resolve(v); };
		const dlg = el('dialog', { class: 'dialog', 'aria-label': t('c.confirm_title') },
			el('div', { class: 'dialog-body' }, message),
			el('div', { class: 'actions' },
				el('button', { type: 'button', class: 'secondary', 'data-test': 'cancel', onclick: () => close(false) }, t('c.cancel')),
				el('button', { type: 'button', class: 'danger', 'data-test': 'confirm', onclick: () => close(true) }, okLabel)));
		dlg.addEventListener('cancel', () => resolve(false));
		document.body.append(dlg);
		dlg.showModal();
	});
}

// ---- tables ---------------------------------------------------------------

// columns: [{label, key | value(row), num: bool}], rows: objects.
// rowProps(row) gives attributes for the <tr> (data-test …).
export function table(columns, rows, rowProps) {
	const head = el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : '' }, c.label)));
	const body = rows.map((r) => el('tr', rowProps ? rowProps(r) : {},
		columns.map((c) => {
			const v = c.value ? c.value(r) : r[c.key];
			return el('td', { class: c.num ? 'num' : '' }, v === null || v === undefined ? '' : v);
		})));
	if (!rows.length) body.push(el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, t('c.empty'))));
	// Focusable: a wide table scrolls sideways by keyboard too.
	return el('div', { class: 'table-wrap', tabindex: '0' }, el('table', {}, el('thead', {}, head), el('tbody', {}, body)));
}

// Page controls of a list answer {page, limit, total}; go(page) reloads.
export function pager(list, go) {
	const pages = Math.max(1, Math.ceil((list.total || 0) / (list.limit || 20)));
	return el('nav', { class: 'pager', 'aria-label': t('c.pages') },
		el('button', { type: 'button', class: 'secondary', disabled: list.page <= 1, 'data-test': 'page-prev', onclick: () => go(list.page - 1) }, t('c.prev')),
		el('span', {}, t('c.page_of', { page: list.page, pages, total: list.total })),
		el('button', { type: 'button', class: 'secondary', disabled: list.page >= pages, 'data-test': 'page-next', onclick: () => go(list.page + 1) }, t('c.next')));
}

// ---- charts (SVG drawn here; tables beside them carry the numbers) --------

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
	const n = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
	for (const c of children) n.append(c instanceof Node ? c : document.createTextNode(String(c)));
	return n;
}

// Vertical bars: data [{label, value}], format(value) for the tooltips and
// the axis; title names the chart for screen readers.
// Short axis labels: 12,000,000 → "1200만" / "12M".
export function compact(v) {
	if (lang() === 'en') return v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : String(v);
	return v >= 1e8 ? `${+(v / 1e8).toFixed(1)}억` : v >= 1e4 ? `${+(v / 1e4).toFixed(1)}만` : String(v);
}

export function barChart(data, { title, format = (v) => String(v), height = 220 } = {}) {
	const width = 720, padL = 56, padB = 28, padT = 12;
	const max = Math.max(1, ...data.map((d) => d.value));
	const innerW = width - padL - 8, innerH = height - padB - padT;
	const bw = data.length ? innerW / data.length : innerW;
	const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title || '' });
	for (let i = 0; i <= 4; i++) {
		const y = padT + innerH - (innerH * i) / 4;
		svg.append(s('line', { x1: padL, x2: width - 8, y1: y, y2: y, class: 'grid' }));
		svg.append(s('text', { x: padL - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, compact(Math.round((max * i) / 4))));
	}
	const every = Math.max(1, Math.ceil(data.length / 12));
	data.forEach((d, i) => {
		const h = (innerH * d.value) / max;
		const x = padL + i * bw;
		const w = Math.max(1, Math.min(bw * 0.76, 64));
		svg.append(s('rect', { x: x + (bw - w) / 2, y: padT + innerH - h, width: w, height: h, class: 'bar' },
			s('title', {}, `${d.label}: ${format(d.value)}`)));
		if (i % every === 0) svg.append(s('text', { x: x + bw / 2, y: height - 8, 'text-anchor': 'middle', class: 'axis' }, d.label));
	});
	if (!data.length) svg.append(s('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'axis' }, t('c.no_data')));
	return el('figure', { class: 'chart-box' }, title ? el('figcaption', {}, title) : null, svg);
}

// ---- forms ------------------------------------------------------------------

// A labelled input: field(label, {name, type, value, …}).
export function field(label, props) {
	const input = props.type === 'textarea' ? el('textarea', { ...props, type: undefined }, props.value || '')
		: props.type === 'select' ? el('select', { ...props, type: undefined, options: undefined },
			(props.options || []).map(([v, l]) => el('option', { value: v, selected: String(v) === String(props.value) ? 'selected' : undefined }, l)))
			: el('input', props);
	if (props.type === 'checkbox') return el('label', { class: 'check' }, input, ' ', label);
	return el('label', { class: 'field' }, el('span', {}, label), input);
}

// The values of a form's named controls; numbers for type=number, booleans for checkboxes.
export function formValues(form) {
	const out = {};
	for (const c of form.elements) {
		if (!c.name) continue;
		if (c.type === 'checkbox') out[c.name] = c.checked;
		else if (c.type === 'number') out[c.name] = c.value === '' ? null : Number(c.value);
		else out[c.name] = c.value;
	}
	return out;
}

// ISO instant (+09:00) ↔ <input type=datetime-local> in Seoul time.
export function toLocalInput(iso) { return iso ? iso.slice(0, 16) : ''; }
export function fromLocalInput(v) { return v ? `${v}:00+09:00` : null; }

// An instant as Seoul's "YYYY-MM-DD HH:MM".
export function when(iso) { return iso ? iso.slice(0, 16).replace('T', ' ') : ''; }

export { won, t, lang };

// ---- the shell ----------------------------------------------------------------

// start({family: 'admin'|'super-admin', title, sections: [{id, label, min?, render(main, ctx)}],
//        boot(principal) → ctx extras or throws, header(ctx) → extra header nodes})
// Shows the login form until GET me answers, then the navigation; the hash
// (#section) picks the section. A section's render may return a cleanup
// function (timers), called when another section is shown.
export function start(app) {
	const root = document.getElementById('app');
	let cleanup = null;
	let ctx = null;

	async function showLogin(message) {
		if (cleanup) { cleanup(); cleanup = null; }
		clear(root);
		const form = el('form', { class: 'login card', novalidate: true },
			el('h1', {}, app.title()),
			field(t('c.username'), { name: 'username', autocomplete: 'username', required: true, 'data-test': 'login-username' }),
			field(t('c.password'), { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-test': 'login-password' }),
			message ? el('p', { class: 'muted' }, message) : null,
			el('div', { class: 'actions' },
				el('button', { type: 'button', class: 'secondary', 'data-test': 'lang-switch' }),
				el('button', { type: 'submit', 'data-test': 'login-submit' }, t('c.login'))));
		bindSwitch(form.querySelector('[data-test=lang-switch]'));
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const v = formValues(form);
			const r = await attempt(() => api.post(`/fcgi/${app.family}/login`, { username: v.username, password: v.password }));
			if (!r) return;
			setCsrf(r.csrf);
			await boot(r.admin);
		});
		root.append(el('main', { class: 'login-wrap' }, form));
		form.querySelector('input').focus();
	}

	async function logout() {
		await attempt(() => api.post(`/fcgi/${app.family}/logout`));
		setCsrf('');
		ctx = null;
		history.replaceState(null, '', location.pathname);
		showLogin(t('c.logged_out'));
	}

	async function boot(principal) {
		try {
			ctx = Object.assign((await app.boot(principal)) || {}, { principal, logout });
		} catch (e) {
			toast(e);
			ctx = null;
			return showLogin(e.message);
		}
		render();
	}

	function sections() { return app.sections.filter((sec) => !sec.allowed || sec.allowed(ctx)); }

	function render() {
		if (!ctx) return;
		if (cleanup) { cleanup(); cleanup = null; }
		// A new section starts without the last one's messages.
		for (const n of document.querySelectorAll('#toasts .toast')) n.remove();
		const list = sections();
		const id = location.hash.replace(/^#\/?/, '').split('/')[0];
		const current = list.find((x) => x.id === id) || list[0];
		clear(root);
		const main = el('main', { id: 'main', class: 'content', tabindex: '-1' });
		const nav = el('nav', { class: 'side', 'aria-label': t('c.sections') },
			el('ul', {}, list.map((sec) => el('li', {},
				el('a', { href: `#${sec.id}`, 'data-test': `nav-${sec.id}`, 'aria-current': sec === current ? 'page' : undefined }, sec.label())))));
		const header = el('header', { class: 'top' },
			el('strong', { class: 'brand' }, app.title()),
			app.header ? app.header(ctx, render) : null,
			el('span', { class: 'who' }, ctx.principal.name || ctx.principal.username),
			el('button', { type: 'button', class: 'secondary', 'data-test': 'lang-switch' }),
			el('button', { type: 'button', class: 'secondary', 'data-test': 'logout', onclick: logout }, t('c.logout')));
		bindSwitch(header.querySelector('[data-test=lang-switch]'));
		root.append(header, el('div', { class: 'layout' }, nav, main));
		main.append(el('h1', {}, current.label()));
		const r = current.render(main, ctx);
		Promise.resolve(r).then((c) => { cleanup = typeof c === 'function' ? c : null; }, (e) => toast(e));
	}

	window.addEventListener('hashchange', render);
	onLangChange(() => { apply(document); if (ctx) render(); else showLogin(); });
	apply(document);
	(async () => {
		try {
			const me = await api.get(`/fcgi/${app.family}/me`);
			await boot(me.admin);
		} catch (e) {
			if (!(e instanceof ApiError) || e.status !== 401) toast(e);
			showLogin();
		}
	})();
	return { rerender: () => render() };
}
