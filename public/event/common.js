// public/event/common.js — what every customer page shares: the event code
// of the path, the page shell (language switch, texts), DOM building, error
// boxes, dates and money, and the customer checks that mirror the server's
// (lib/tk.c: tk_normalize_phone, tk_valid_email; lib/booking.c: the name).
import { addTexts, apply, bindSwitch, lang, onLangChange, t } from '/shared/i18n.js';
import texts from './texts.js';

addTexts(texts);

export { lang, t };

// /aaa/…  → 'aaa' (nginx only sends such paths here).
export function eventCode() {
	const m = location.pathname.match(/^\/([a-z0-9]{2,16})(?:\/|$)/);
	return m ? m[1] : '';
}

export const publicApi = (path) => `/fcgi/public/${path}`;
export const eventApi = (code, path = '') => publicApi(`events/${encodeURIComponent(code)}${path}`);

// h('p', {class: 'x', 'data-test': 'y', onclick: f}, 'text', child…): an
// element; attributes false/null/undefined are left out, true is "".
// Text goes in as text nodes, never as HTML.
export function h(tag, attrs, ...kids) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k === 'text') el.textContent = v;
		else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of kids.flat(Infinity)) {
		if (c === null || c === undefined || c === false) continue;
		el.append(c instanceof Node ? c : String(c));
	}
	return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// The page shell: texts applied, the switch bound, render() run now and
// after every language switch (it redraws what the page built by hand).
export function start(render) {
	const sw = $('[data-test="lang-switch"]');
	const mark = () => { if (sw) sw.lang = lang() === 'ko' ? 'en' : 'ko'; };
	if (sw) bindSwitch(sw);
	mark();
	for (const a of $$('a[data-href]')) a.href = a.dataset.href.replace('{code}', eventCode());
	apply(document);
	onLangChange(() => { mark(); render(); });
	render();
}

// ---- errors --------------------------------------------------------------

// The sentence for an error: ctx may name a page-specific key for a code
// ({NOT_FOUND: 'err.lookupNotFound'}) or give the sentence outright.
export function errorSentence(err, ctx = {}) {
	const code = err.code || 'INTERNAL';
	const c = ctx[code];
	if (typeof c === 'function') return c(err);
	if (c) return t(c);
	if (code === 'RATE_LIMITED') {
		const s = Math.max(0, Math.ceil(((err.retryUntil || 0) - Date.now()) / 1000));
		return s > 0 ? t('err.RATE_LIMITED', { s }) : t('err.RATE_LIMITED.now');
	}
	const reason = err.details && (err.details.reason || err.details.sale_status || err.details.state);
	if (code === 'CONFLICT' && reason && texts.ko[`err.CONFLICT.${reason}`]) return t(`err.CONFLICT.${reason}`);
	if (texts.ko[`err.${code}`]) return t(`err.${code}`);
	// Codes the page does not know (a payment provider's) keep the server's
	// sentence when there is one, else a general one naming the code.
	if (err.message && err.message !== code && err.status) return err.message;
	return t('err.payment', { code });
}

// Shows err in box (data-test=error, data-code=the API's code), with the
// request id when there is one. null clears the box.
export function showError(box, err, ctx) {
	if (!box) return;
	if (!err) {
		box.replaceChildren();
		box.hidden = true;
		return;
	}
	box.replaceChildren(h('div', { class: 'error', 'data-test': 'error', 'data-code': err.code, role: 'alert' },
		h('p', { text: errorSentence(err, ctx) }),
		err.requestId ? h('p', { class: 'rid', text: t('common.requestId', { id: err.requestId }) }) : null));
	box.hidden = false;
}

// The field messages next to inputs: errors = {inputId: text}; inputs not
// named are cleared. Marks aria-invalid and links the message.
export function showFieldErrors(form, errors) {
	for (const el of $$('[data-field]', form)) {
		const input = document.getElementById(el.dataset.field);
		const msg = errors[el.dataset.field];
		el.textContent = msg || '';
		el.hidden = !msg;
		if (input) {
			if (msg) input.setAttribute('aria-invalid', 'true');
			else input.removeAttribute('aria-invalid');
		}
	}
	const first = Object.keys(errors).map((id) => document.getElementById(id)).find(Boolean);
	return first || null;
}

// ---- formats ---------------------------------------------------------------

const locale = () => (lang() === 'en' ? 'en-US' : 'ko-KR');

export function won(n) {
	return t('common.won', { n: Number(n).toLocaleString(locale()) });
}

// 'YYYY-MM-DD' → "2026년 12월 9일 (수)" / "Wed, Dec 9, 2026".
export function fmtDate(d) {
	if (!d) return '';
	const [y, m, day] = d.split('-').map(Number);
	const date = new Date(Date.UTC(y, m - 1, day));
	if (lang() === 'en') {
		return new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', weekday: 'short', timeZone: 'UTC' }).format(date);
	}
	const wd = new Intl.DateTimeFormat('ko-KR', { weekday: 'short', timeZone: 'UTC' }).format(date);
	return `${y}년 ${m}월 ${day}일 (${wd})`;
}

export function fmtDateTime(iso, tz = 'Asia/Seoul') {
	if (!iso) return '';
	return new Intl.DateTimeFormat(locale(), {
		month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false, timeZone: tz,
	}).format(new Date(iso));
}

// Today in the event's zone as YYYY-MM-DD.
export function todayIn(tz = 'Asia/Seoul') {
	return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
		.format(new Date());
}

export function setTitle(...parts) {
	document.title = parts.filter(Boolean).join(' · ');
}

// ---- what a customer types: the server's rules --------------------------

// A Korean mobile number as the server takes it (tk_normalize_phone):
// 01012345678 or 010-1234-5678 → '01012345678'; anything else → null.
// Spaces are dropped first (the server never sees them).
export function normalizePhone(input) {
	const s = String(input || '').replace(/\s+/g, '');
	if (s.length > 13 || !/^[0-9-]*$/.test(s)) return null;
	const digits = s.replace(/-/g, '');
	if (digits.length !== 11 || !digits.startsWith('010')) return null;
	if (s.includes('-') && !/^010-\d{4}-\d{4}$/.test(s)) return null;
	return digits;
}

// tk_valid_email: 5–254 visible ASCII characters, none of <>()[],;:\",
// one @ not first, a dot after it with 2+ characters behind it.
export function validEmail(s) {
	if (s.length < 5 || s.length > 254) return false;
	if (/[^\x21-\x7e]/.test(s) || /[<>()[\],;:\\"]/.test(s)) return false;
	const at = s.indexOf('@');
	if (at <= 0 || s.indexOf('@', at + 1) !== -1) return false;
	const dot = s.lastIndexOf('.');
	return dot > at + 1 && s.length - dot - 1 >= 2;
}

export const NAME_MAX = 50; // BOOKING_NAME_MAX, in characters

// {name, phone, email} as typed → { value: what to send, errors: {key: text key} }
// with keys name / phone / email.
export function checkCustomer({ name, phone, email }) {
	const errors = {};
	const n = String(name || '').trim();
	if (!n) errors.name = 'field.required';
	else if ([...n].length > NAME_MAX) errors.name = 'field.nameLong';
	const p = normalizePhone(phone);
	if (!String(phone || '').trim()) errors.phone = 'field.required';
	else if (!p) errors.phone = 'field.phone';
	const e = String(email || '').trim();
	if (e && !validEmail(e)) errors.email = 'field.email';
	return { value: { name: n, phone: p, email: e || null }, errors };
}

// ---- session storage (one tab's state) ------------------------------------

export const store = {
	get(key) {
		try { return JSON.parse(sessionStorage.getItem(key) || 'null'); } catch { return null; }
	},
	set(key, v) {
		try { sessionStorage.setItem(key, JSON.stringify(v)); } catch { /* private mode: not kept */ }
	},
	del(key) {
		try { sessionStorage.removeItem(key); } catch { /* nothing kept */ }
	},
};

// Keys shared between pages of one exhibition.
export const keys = {
	hold: (code) => `ticketd.hold.${code}`,     // the live reservation (exhibition page)
	draft: (code) => `ticketd.draft.${code}`,   // what was chosen and typed
	queue: (code) => `ticketd.queue.${code}`,   // {queue_id} while waiting
	admit: (code) => `ticketd.admit.${code}`,   // {queue_token} once admitted
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
