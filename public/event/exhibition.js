// public/event/exhibition.js — /{code}/: the exhibition, its products with
// live availability for a visit date, the customer form, the hold (countdown,
// extend once, cancel) and payment.
//
// Payment: the reservation's payment block decides. With `checkout_url` (the
// dev/test stack's fake Toss) the page opens that window; without it, Toss's
// JS SDK v1 with the block's client_key. Either way Toss comes back to
// /fcgi/payment/success (→ the order page) or /fcgi/payment/fail (→ this page
// with ?error=CODE, shown as a sentence).
import { api, ApiError } from '/shared/api.js';
import {
	$, h, t, start, eventCode, eventApi, showError, showFieldErrors, won, fmtDate, fmtDateTime,
	todayIn, setTitle, checkCustomer, store, keys,
} from './common.js';

const code = eventCode();
const GROUPS = ['TICKET', 'MERCH', 'PACKAGE'];
const POLL_MS = 15000;           // availability refresh while choosing (± 20 %)
const TOSS_SDK = 'https://js.tosspayments.com/v1/payment';

const S = {
	event: null,
	notices: [],
	products: [],        // GET products for S.date
	productsFor: null,   // the date they are for ('' = none)
	qty: new Map(),      // product id → quantity chosen
	date: '',
	hold: null,          // {reservation, payment, customer, extended}
	error: null,         // {err, ctx}: under the form
	holdError: null,     // {err, ctx}: in the hold panel
	fields: {},          // input id → {key, params} | {text}
	status: null,        // {key, params}: a polite line under the products
	clock: 0,            // server clock − this phone's clock, ms
	retryUntil: 0,       // RATE_LIMITED: no new attempt before this
	busy: false,
	paying: false,
};

const prod = (id) => S.products.find((p) => p.id === id);
const admitToken = () => (store.get(keys.admit(code)) || {}).queue_token || '';

// ---- dates -------------------------------------------------------------------

function bounds() {
	const today = todayIn(S.event.timezone || 'Asia/Seoul');
	const min = today > S.event.starts_on ? today : S.event.starts_on;
	return { today, min, max: S.event.ends_on };
}

// ISO weekday of a YYYY-MM-DD day: 1 Monday … 7 Sunday.
function isoWeekday(d) {
	const w = new Date(`${d}T00:00:00Z`).getUTCDay();
	return w === 0 ? 7 : w;
}

// A closed weekday or a closed date of the exhibition (the server refuses
// them with reason date_closed).
function closedDay(d) {
	return (S.event.closed_weekdays || []).includes(isoWeekday(d)) ||
		(S.event.closed_dates || []).includes(d);
}

// The text key of what is wrong with a visit date, or null.
function dateProblem(d) {
	if (!d) return 'field.dateRequired';
	const { today, max } = bounds();
	if (d < today) return 'field.datePast';
	if (d < S.event.starts_on || d > max) return 'field.dateOutside';
	if (closedDay(d)) return 'field.dateClosed';
	return null;
}

// The server's reason code for a date field → the page's text key.
const DATE_REASONS = {
	date_past: 'field.datePast', date_outside_event: 'field.dateOutside',
	date_closed: 'field.dateClosed', date_format: 'field.dateOutside',
};

// The first day from `from` on that is open, or '' when none is left.
function firstOpenDay(from, max) {
	let d = from;
	for (let i = 0; i < 400 && d && d <= max; i++) {
		if (!closedDay(d)) return d;
		const n = new Date(`${d}T00:00:00Z`);
		n.setUTCDate(n.getUTCDate() + 1);
		d = n.toISOString().slice(0, 10);
	}
	return '';
}

const dateOk = () => S.date && !dateProblem(S.date);

// ---- stock -----------------------------------------------------------------

const totalQty = () => [...S.qty.values()].reduce((a, b) => a + b, 0);
const totalAmount = () => [...S.qty].reduce((a, [id, q]) => a + q * ((prod(id) || {}).price || 0), 0);

// What can be sold of p for the chosen date: a number, or Infinity when the
// product has no stock limit; dated products have none without a date.
function availableOf(p) {
	if (typeof p.available === 'number') return p.available;
	return p.dated ? 0 : Infinity;
}

const saleOpen = () => S.event.sale_status === 'on_sale' || S.event.sale_status === 'sold_out';
const productOpen = (p) => !p.sale_status || p.sale_status === 'on_sale' || p.sale_status === 'sold_out';

function maxFor(p) {
	if (!saleOpen() || !productOpen(p) || (p.dated && !dateOk())) return 0;
	const others = totalQty() - (S.qty.get(p.id) || 0);
	const eventMax = S.event.max_per_order || Infinity;
	return Math.max(0, Math.min(p.max_per_order || Infinity, availableOf(p), eventMax - others));
}

// After a refresh: quantities above what is left come down, and the
// customer is told (the first one).
function clamp() {
	let told = null;
	for (const [id, q] of S.qty) {
		const p = prod(id);
		if (!p) {
			S.qty.delete(id);
			continue;
		}
		const cap = Math.min(p.max_per_order || Infinity, typeof p.available === 'number' ? p.available : Infinity);
		if (q > cap) {
			S.qty.set(id, cap);
			told = told || { key: 'ev.clamped', params: { name: p.name, n: cap } };
		}
	}
	if (told) S.status = told;
}

let loadSeq = 0;
async function loadProducts() {
	const seq = ++loadSeq;
	const date = dateOk() ? S.date : '';
	try {
		const { items } = await api.get(eventApi(code, `/products${date ? `?date=${date}` : ''}`));
		if (seq !== loadSeq) return;
		S.products = items || [];
		S.productsFor = date;
		clamp();
	} catch (e) {
		if (seq !== loadSeq) return;
		if (e.code === 'VALIDATION') {
			const why = e.details && e.details.reasons && e.details.reasons.date;
			S.fields['visit-date'] = { key: DATE_REASONS[why] || 'field.dateOutside' };
		}
		else if (!S.hold) S.error = { err: e };
	}
	render();
}

// Availability is refreshed while the page is open and the customer is
// choosing; jitter keeps a crowd of phones from polling in step.
function schedulePoll() {
	setTimeout(async () => {
		if (!S.hold && !S.busy && document.visibilityState === 'visible') await loadProducts();
		schedulePoll();
	}, POLL_MS * (0.8 + 0.4 * Math.random()));
}

// ---- the draft: what this tab chose and typed ---------------------------------

const inputs = () => ({ name: $('#customer-name'), phone: $('#customer-phone'), email: $('#customer-email'), agree: $('#agree') });

function saveDraft() {
	const i = inputs();
	store.set(keys.draft(code), {
		date: S.date, qty: [...S.qty], name: i.name.value, phone: i.phone.value, email: i.email.value,
	});
}

function restoreDraft() {
	const d = store.get(keys.draft(code));
	if (!d) return;
	const i = inputs();
	if (d.date && !dateProblem(d.date)) S.date = d.date;
	S.qty = new Map((d.qty || []).filter(([, q]) => q > 0));
	i.name.value = d.name || '';
	i.phone.value = d.phone || '';
	i.email.value = d.email || '';
}

// ---- reserving -----------------------------------------------------------------

function syncClock(headers) {
	const d = Date.parse(headers && headers.get('Date'));
	if (!Number.isNaN(d)) S.clock = d - Date.now();
}

function soldOutSentence(p, available) {
	if (!p) return t('err.SOLD_OUT');
	const n = typeof available === 'number' ? Math.max(0, Math.floor(available)) : 0;
	return n > 0 ? t('err.SOLD_OUT.some', { name: p.name, n }) : t('err.SOLD_OUT.none', { name: p.name });
}

const SERVER_FIELDS = {
	'customer.name': 'customer-name', 'customer.phone': 'customer-phone',
	'customer.email': 'customer-email', visit_date: 'visit-date', items: 'items',
};
const OWN_TEXT = { 'customer-phone': 'field.phone', 'customer-email': 'field.email' };

function onReserveError(e) {
	if (!(e instanceof ApiError)) throw e;
	S.error = { err: e };
	switch (e.code) {
	case 'VALIDATION':
		for (const [k, msg] of Object.entries(e.details.fields || {})) {
			const id = SERVER_FIELDS[k] || (/^items\[\d+\]/.test(k) ? 'items' : null);
			if (id) S.fields[id] = OWN_TEXT[id] ? { key: OWN_TEXT[id] } : { text: msg };
		}
		break;
	case 'SOLD_OUT': {
		const p = prod(e.details.product_id);
		S.error.ctx = { SOLD_OUT: () => soldOutSentence(p, e.details.available) };
		loadProducts();
		break;
	}
	case 'QUEUE_REQUIRED':
		store.del(keys.admit(code));
		setTimeout(() => location.assign(`/${code}/queue`), 2000);
		break;
	case 'RATE_LIMITED':
		S.retryUntil = Date.now() + 1000 * (e.retryAfter ?? 2);
		e.retryUntil = S.retryUntil;
		retryTicker();
		break;
	default:
	}
}

function retryTicker() {
	render();
	if (Date.now() < S.retryUntil) setTimeout(retryTicker, 250);
}

async function reserve(ev) {
	ev.preventDefault();
	if (S.hold || S.busy || Date.now() < S.retryUntil) return;
	const items = [...S.qty].filter(([, q]) => q > 0).map(([product_id, qty]) => ({ product_id, qty }));
	const fields = {};
	const needsDate = items.some((i) => (prod(i.product_id) || {}).dated);
	const eventMax = S.event.max_per_order || Infinity;
	if (!items.length) fields.items = { key: 'field.items' };
	else if (totalQty() > eventMax) fields.items = { key: 'field.itemsTooMany', params: { n: eventMax } };
	if (needsDate && dateProblem(S.date)) fields['visit-date'] = { key: dateProblem(S.date) };
	const i = inputs();
	const c = checkCustomer({ name: i.name.value, phone: i.phone.value, email: i.email.value });
	for (const [k, key] of Object.entries(c.errors)) fields[`customer-${k}`] = { key };
	if (!i.agree.checked) fields.agree = { key: 'field.agree' };
	S.fields = fields;
	S.error = null;
	S.status = null;
	if (Object.keys(fields).length) {
		render();
		focusFirstInvalid();
		return;
	}
	saveDraft();
	const body = { visit_date: needsDate ? S.date : null, items, customer: c.value };
	const admit = admitToken();
	if (admit) body.queue_token = admit;
	S.busy = true;
	render();
	try {
		const res = await api.post(eventApi(code, '/reservations'), body, { raw: true });
		syncClock(res.headers);
		if (admit) store.del(keys.admit(code)); // spent by this reservation
		S.busy = false;
		setHold({ reservation: res.body.reservation, payment: res.body.payment, customer: c.value, extended: false });
	} catch (e) {
		S.busy = false;
		onReserveError(e);
		render();
		if (e.code === 'VALIDATION') focusFirstInvalid();
	}
}

function focusFirstInvalid() {
	const order = ['visit-date', 'items', 'customer-name', 'customer-phone', 'customer-email', 'agree'];
	const id = order.find((k) => S.fields[k]);
	if (!id) return;
	const el = id === 'items' ? document.querySelector('[data-test="qty-plus"]') : document.getElementById(id);
	if (el) el.focus();
}

// ---- the hold ------------------------------------------------------------------

let holdTimer = 0;

function setHold(hd) {
	S.hold = hd;
	store.set(keys.hold(code), hd);
	S.error = null;
	S.holdError = null;
	S.status = null;
	clearInterval(holdTimer);
	holdTimer = setInterval(tickHold, 250);
	render();
	$('#hold-title').focus();
}

function endHold() {
	clearInterval(holdTimer);
	S.hold = null;
	S.holdError = null;
	S.paying = false;
	store.del(keys.hold(code));
}

const remainingMs = () => Date.parse(S.hold.reservation.expires_at) - (Date.now() + S.clock);

function expired(err) {
	endHold();
	S.error = { err: err || new ApiError({ status: 409, code: 'RESERVATION_EXPIRED' }) };
	loadProducts();
	render();
}

function tickHold() {
	if (!S.hold) return;
	const ms = remainingMs();
	if (ms <= 0) {
		expired();
		return;
	}
	const s = Math.ceil(ms / 1000);
	const out = $('#hold-countdown');
	out.textContent = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
	$('#hold-countdown-line').classList.toggle('low', s <= 60);
	if (s <= 60 && !S.hold.warned) {
		S.hold.warned = true;
		$('#hold-live').textContent = t('ev.hold.oneMinute');
	}
}

const tokenPath = (suffix = '') => eventApi(code, `/reservations/${encodeURIComponent(S.hold.reservation.token)}${suffix}`);

async function restoreHold() {
	const saved = store.get(keys.hold(code));
	if (!saved || !saved.reservation) return;
	S.hold = saved;
	try {
		const res = await api.get(tokenPath(), { raw: true });
		syncClock(res.headers);
		const r = res.body.reservation;
		if (r.state === 'held') {
			saved.reservation.expires_at = r.expires_at;
			saved.extended = !!r.extended;
			setHold(saved);
			return;
		}
		endHold();
		if (r.state === 'expired') S.error = { err: new ApiError({ status: 409, code: 'RESERVATION_EXPIRED' }) };
		if (r.state === 'paid') S.error = { err: new ApiError({ status: 409, code: 'CONFLICT', details: { state: 'paid' } }) };
	} catch (e) {
		endHold();
		if (e.code !== 'NOT_FOUND') S.error = { err: e };
	}
}

async function extend() {
	if (!S.hold || S.hold.extended) return;
	try {
		const res = await api.post(tokenPath('/extend'), {}, { raw: true });
		syncClock(res.headers);
		S.hold.reservation.expires_at = res.body.reservation.expires_at;
		S.hold.extended = true;
		S.hold.warned = false;
		S.holdError = null;
		store.set(keys.hold(code), S.hold);
	} catch (e) {
		if (e.code === 'RESERVATION_EXPIRED') return expired(e);
		if (e.code === 'CONFLICT' && e.details.reason === 'already_extended') S.hold.extended = true;
		if (e.code === 'CONFLICT' && e.details.state && e.details.state !== 'held') {
			endHold();
			S.error = { err: e };
		} else {
			S.holdError = { err: e };
		}
	}
	render();
}

async function cancel() {
	if (!S.hold) return;
	try {
		await api.del(tokenPath());
	} catch (e) {
		const gone = e.code === 'RESERVATION_EXPIRED' || e.code === 'NOT_FOUND' ||
			(e.code === 'CONFLICT' && e.details.state === 'canceled');
		if (!gone) {
			if (e.code === 'CONFLICT' && e.details.state === 'paid') {
				endHold();
				S.error = { err: e };
			} else {
				S.holdError = { err: e };
			}
			render();
			return;
		}
	}
	endHold();
	S.status = { key: 'ev.canceled' };
	await loadProducts();
	$('#reserve').focus();
}

function loadScript(src) {
	return new Promise((resolve, reject) => {
		const s = h('script', { src });
		s.onload = resolve;
		s.onerror = () => reject(new ApiError({ status: 0, code: 'NETWORK' }));
		document.head.append(s);
	});
}

async function pay() {
	if (!S.hold || S.paying) return;
	const { reservation: r, payment: p, customer: c } = S.hold;
	S.paying = true;
	S.holdError = null;
	render();
	if (p.checkout_url) {
		const q = new URLSearchParams({
			clientKey: p.client_key, orderId: r.order_id, orderName: r.order_name, amount: String(r.amount),
			successUrl: p.success_url, failUrl: p.fail_url, customerName: c.name,
		});
		location.assign(`${p.checkout_url}?${q}`);
		return;
	}
	try {
		if (!window.TossPayments) await loadScript(TOSS_SDK);
		await window.TossPayments(p.client_key).requestPayment('카드', {
			amount: r.amount, orderId: r.order_id, orderName: r.order_name, customerName: c.name,
			successUrl: p.success_url, failUrl: p.fail_url,
		});
	} catch (e) {
		// The SDK rejects with {code, message} (USER_CANCEL when the window is closed).
		S.holdError = { err: e instanceof ApiError ? e : new ApiError({ status: 0, code: String((e && e.code) || 'PAYMENT_FAILED') }) };
	}
	S.paying = false;
	render();
}

// ---- drawing -------------------------------------------------------------------

const rows = new Map(); // product id → its row's elements
let rowsKey = '';

function makeRow(p) {
	const nameId = `p${p.id}-name`;
	const r = {};
	r.avail = h('span', { 'data-test': 'available' });
	r.availLabel = h('span');
	r.badge = h('span', { class: 'badge sold', hidden: true });
	r.minus = h('button', { type: 'button', 'data-test': 'qty-minus', 'aria-label': t('ev.minus', { name: p.name }), onclick: () => step(p.id, -1) }, '−');
	r.qty = h('output', { 'data-test': 'qty', 'aria-label': t('ev.qty', { name: p.name }), 'aria-live': 'polite' }, '0');
	r.plus = h('button', { type: 'button', 'data-test': 'qty-plus', 'aria-label': t('ev.plus', { name: p.name }), onclick: () => step(p.id, 1) }, '+');
	r.li = h('li', { class: 'product', 'data-test': 'product', 'data-product-id': p.id },
		h('div', { class: 'p-info' },
			h('h4', { class: 'p-name', id: nameId }, r.badge, p.name),
			h('p', { class: 'p-price', text: won(p.price) }),
			h('p', { class: 'p-avail' }, r.availLabel, ' ', r.avail),
			p.max_per_order ? h('p', { class: 'p-avail', text: t('ev.perOrder', { n: p.max_per_order }) }) : null),
		h('div', { class: 'stepper', role: 'group', 'aria-labelledby': nameId }, r.minus, r.qty, r.plus));
	return r;
}

function updateRow(r, p) {
	const q = S.qty.get(p.id) || 0;
	const known = typeof p.available === 'number';
	const out = known && p.available === 0;
	r.li.classList.toggle('is-out', out || !productOpen(p));
	r.badge.hidden = !(out || !productOpen(p));
	r.badge.textContent = productOpen(p) ? t('ev.soldOut') : t(`ev.notOnSale.${p.sale_status}`);
	if (known) {
		r.availLabel.textContent = t('ev.available');
		r.avail.textContent = String(p.available);
	} else {
		r.availLabel.textContent = p.dated ? t('ev.availableNone') : '';
		r.avail.textContent = '';
	}
	r.qty.textContent = String(q);
	const locked = !!S.hold;
	r.minus.setAttribute('aria-disabled', String(locked || q <= 0));
	r.plus.setAttribute('aria-disabled', String(locked || q >= maxFor(p)));
}

function renderProducts() {
	const key = `${S.products.map((p) => `${p.id}:${p.type}:${p.name}:${p.price}`).join(',')}|${document.documentElement.lang}`;
	if (key !== rowsKey) {
		rows.clear();
		for (const p of S.products) rows.set(p.id, makeRow(p));
		$('#groups').replaceChildren(...GROUPS.map((type) => {
			const list = S.products.filter((p) => p.type === type);
			if (!list.length) return '';
			return h('section', { class: 'group', 'aria-labelledby': `g-${type}` },
				h('h3', { id: `g-${type}`, text: t(`ev.group.${type}`) }),
				h('ul', { class: 'products' }, list.map((p) => rows.get(p.id).li)));
		}));
		rowsKey = key;
	}
	for (const p of S.products) updateRow(rows.get(p.id), p);
}

function step(id, d) {
	const p = prod(id);
	if (!p || S.hold) return;
	const q = S.qty.get(id) || 0;
	const n = q + d;
	if (n < 0 || (d > 0 && n > maxFor(p))) return;
	S.qty.set(id, n);
	delete S.fields.items;
	S.status = null;
	saveDraft();
	render();
}

function renderInfo() {
	const ev = S.event;
	setTitle(ev.title, t('ev.title'));
	$('#event-title').textContent = ev.title;
	$('#ev-period').textContent = `${fmtDate(ev.starts_on)} – ${fmtDate(ev.ends_on)}`;
	$('#ev-hours').textContent = ev.open_hours || '–';
	const map = ev.address ? h('a', {
		href: `https://map.kakao.com/link/search/${encodeURIComponent(ev.address)}`, target: '_blank', rel: 'noopener',
		'aria-label': t('ev.mapLabel', { address: ev.address }), text: t('ev.map'),
	}) : null;
	$('#ev-venue').replaceChildren(
		ev.venue ? h('span', { text: ev.venue }) : '',
		ev.venue && ev.address ? h('br') : '',
		ev.address ? h('span', { class: 'muted', text: `${ev.address} ` }) : '', map || '');

	const pinned = S.notices.filter((n) => n.pinned).slice(0, 3);
	$('#pinned').hidden = pinned.length === 0;
	$('#pinned-list').replaceChildren(...pinned.map((n) => h('li', {},
		h('span', { class: 'badge', text: t('ev.pinned') }),
		h('a', { href: `/${code}/notices/${n.id}`, text: n.title }))));

	const banner = $('#sale-banner');
	const st = ev.sale_status;
	banner.hidden = st === 'on_sale';
	banner.textContent = st === 'not_yet' && ev.sale_starts_at
		? t('ev.sale.not_yet_at', { at: fmtDateTime(ev.sale_starts_at, ev.timezone) })
		: (st === 'on_sale' ? '' : t(`ev.sale.${st}`));
}

function fieldTexts() {
	const out = {};
	for (const [id, f] of Object.entries(S.fields)) out[id] = f.text ?? t(f.key, f.params);
	// A day whose every dated product is gone is marked on the date itself.
	const dated = S.products.filter((p) => p.dated);
	if (!out['visit-date'] && dateOk() && S.productsFor === S.date && dated.length &&
		dated.every((p) => p.available === 0)) out['visit-date'] = t('ev.dateSoldOut');
	return out;
}

function render() {
	if (!S.event) return;
	renderInfo();
	const { min, max } = bounds();
	$('#visit-date-hint').textContent = [
		t('ev.dateHint', { from: fmtDate(min), to: fmtDate(max) }),
		S.event.open_hours ? t('ev.dateHintHours', { hours: S.event.open_hours }) : '',
		(S.event.closed_weekdays || []).length
			? t('ev.dateHintClosed', { days: S.event.closed_weekdays.map((w) => t(`wd.${w}`)).join(', ') })
			: '',
	].filter(Boolean).join(' ');
	$('#visit-date').closest('section').hidden = S.products.length > 0 && !S.products.some((p) => p.dated);

	renderProducts();
	const n = totalQty();
	$('#total-count').textContent = n ? t('ev.totalCount', { n }) : '';
	$('#total').textContent = won(totalAmount());
	$('#products-status').textContent = S.status ? t(S.status.key, S.status.params) : '';

	showFieldErrors($('#booking'), fieldTexts());
	showError($('#error'), S.error && S.error.err, S.error && S.error.ctx);

	const reserveBtn = $('#reserve');
	const waiting = Date.now() < S.retryUntil;
	reserveBtn.textContent = S.busy ? t('ev.reserving')
		: waiting ? t('ev.retryIn', { s: Math.ceil((S.retryUntil - Date.now()) / 1000) }) : t('ev.reserve');
	reserveBtn.setAttribute('aria-disabled', String(S.busy || waiting || !saleOpen()));
	reserveBtn.disabled = !saleOpen();
	// While a hold lives the page is about paying for it: the chooser and
	// the form step aside (the hold lists what was chosen).
	$('#booking').hidden = !!S.hold;
	$('#chooser').disabled = !!S.hold;

	const hold = $('#hold');
	hold.hidden = !S.hold;
	if (S.hold) {
		const r = S.hold.reservation;
		$('#hold-number').textContent = t('ev.hold.number', { n: r.order_number || r.order_id });
		$('#hold-date').textContent = r.visit_date ? t('ev.hold.date', { d: fmtDate(r.visit_date) }) : '';
		$('#hold-items').replaceChildren(...(r.items || []).map((it) => h('li', {},
			`${t('ev.item', { name: it.name, qty: it.qty })} — ${won(it.amount)}`)));
		$('#hold-amount').textContent = won(r.amount);
		$('#pay').textContent = S.paying ? t('ev.paying') : t('ev.pay', { amount: won(r.amount) });
		$('#pay').setAttribute('aria-disabled', String(S.paying));
		const ext = $('#extend');
		ext.textContent = S.hold.extended ? t('ev.extended') : t('ev.extend');
		ext.disabled = !!S.hold.extended;
		showError($('#hold-error'), S.holdError && S.holdError.err, S.holdError && S.holdError.ctx);
		tickHold();
	}
}

function pageError(err) {
	$('#loading').hidden = true;
	$('#page').hidden = true;
	showError($('#page-error'), err);
}

// ---- start ---------------------------------------------------------------------

// ?error=CODE from Toss's fail redirect (or a failed success): the server has
// released the reservation already; the draft is still here to try again.
function takeReturnedError() {
	const params = new URLSearchParams(location.search);
	const raw = params.get('error');
	if (raw === null) return null;
	history.replaceState(null, '', location.pathname);
	const c = /^[A-Z0-9_]{1,64}$/.test(raw) ? raw : 'PAYMENT_FAILED';
	return new ApiError({ status: 0, code: c });
}

async function main() {
	start(render);
	if (!code) return pageError(new ApiError({ status: 404, code: 'EVENT_NOT_FOUND' }));
	// The event, its notices and the products for the likely date (the
	// draft's, else today) are asked for at once: one round trip, not three
	// in a row, before the products show. A wrong guess is asked again.
	const eventP = api.get(eventApi(code));
	const noticesP = api.get(eventApi(code, '/notices?limit=10')).then((r) => r.items || [], () => []);
	const guess = (store.get(keys.draft(code)) || {}).date || todayIn('Asia/Seoul');
	const productsP = api.get(eventApi(code, `/products?date=${guess}`)).then((r) => r.items || [], () => null);
	try {
		S.event = (await eventP).event;
	} catch (e) {
		return pageError(e);
	}
	const returned = takeReturnedError();
	if (returned) store.del(keys.hold(code));
	if (S.event.queue && S.event.queue.enabled && !admitToken() && !store.get(keys.hold(code)) &&
		S.event.sale_status === 'on_sale') {
		location.replace(`/${code}/queue`);
		return;
	}
	restoreDraft();
	if (!S.date) {
		const { min, max } = bounds();
		S.date = min <= max ? firstOpenDay(min, max) : '';
	}
	const dateInput = $('#visit-date');
	const { min, max } = bounds();
	dateInput.min = min;
	dateInput.max = max;
	dateInput.value = S.date;
	if (returned) S.error = { err: returned };

	const guessed = S.date === guess && dateOk() ? await productsP : null;
	if (guessed) {
		S.products = guessed;
		S.productsFor = S.date;
		clamp();
	}
	await Promise.all([guessed ? null : loadProducts(), returned ? null : restoreHold()]);
	S.notices = await noticesP;
	$('#loading').hidden = true;
	$('#page').hidden = false;
	render();

	$('#booking').addEventListener('submit', reserve);
	dateInput.addEventListener('change', () => {
		S.date = dateInput.value;
		const p = S.date ? dateProblem(S.date) : 'field.dateRequired';
		if (p) S.fields['visit-date'] = { key: p };
		else delete S.fields['visit-date'];
		S.status = null;
		saveDraft();
		loadProducts();
	});
	for (const el of Object.values(inputs())) {
		el.addEventListener('input', () => {
			const id = el.id;
			if (S.fields[id]) {
				delete S.fields[id];
				render();
			}
			saveDraft();
		});
	}
	$('#pay').addEventListener('click', pay);
	$('#extend').addEventListener('click', extend);
	$('#cancel').addEventListener('click', cancel);
	document.addEventListener('visibilitychange', () => {
		if (document.visibilityState === 'visible' && !S.hold) loadProducts();
	});
	schedulePoll();
}

main();
