// public/event/invitation.js — /{code}/invitations/{token}: an invited
// company's employee claims a free ticket with name and mobile number
// (API.md, "Invitations"), then sees it with its QR. A used-up batch, a
// phone that already claimed and a revoked link are each said plainly.
import { api, ApiError } from '/shared/api.js';
import { $, t, start, eventCode, publicApi, showError, showFieldErrors, fmtDate, setTitle, checkCustomer } from './common.js';
import { ticketItem } from './tickets.js';

const pathCode = eventCode();
const token = decodeURIComponent(location.pathname.split('/')[3] || '');
const S = { inv: null, order: null, error: null, pageError: null, fields: {}, busy: false };

const CTX = { NOT_FOUND: 'err.invitationNotFound', SOLD_OUT: 'err.invitationSoldOut' };
const code = () => (S.inv && S.inv.event && S.inv.event.code) || pathCode;

function render() {
	$('#loading').hidden = !!(S.inv || S.pageError);
	if (S.pageError) {
		$('#claim').hidden = true;
		setTitle(t('inv.title'));
		showError($('#page-error'), S.pageError, CTX);
		return;
	}
	if (!S.inv) return;
	const inv = S.inv;
	const title = (inv.event && inv.event.title) || '';
	setTitle(t('inv.title'), title);
	$('#event-name').textContent = title;
	$('#inv-from').textContent = t('inv.from', { company: inv.company || '' });
	$('#inv-visit').textContent = inv.visit_date ? fmtDate(inv.visit_date) : t('inv.visitAny');
	const left = typeof inv.remaining === 'number' ? inv.remaining : null;
	$('#inv-remaining').textContent = left === null ? '–' : t('inv.remainingN', { n: left });
	const none = left === 0 && !S.order;
	$('#claim').hidden = !!S.order;
	$('#inv-fields').hidden = none;
	$('#submit').hidden = none;
	const err = S.error || (none ? new ApiError({ status: 409, code: 'SOLD_OUT' }) : null);
	showError($('#error'), err, CTX);
	const texts = {};
	for (const [id, f] of Object.entries(S.fields)) texts[id] = f.text ?? t(f.key);
	showFieldErrors($('#claim'), texts);
	const b = $('#submit');
	b.textContent = S.busy ? t('inv.claiming') : t('inv.submit');
	b.setAttribute('aria-disabled', String(S.busy));

	$('#done').hidden = !S.order;
	if (S.order) {
		const o = S.order;
		$('#order-number').textContent = o.order_number;
		const tickets = o.tickets || [];
		$('#tickets').replaceChildren(...tickets.map((tk, i) => ticketItem(tk, i, tickets.length)));
		const link = $('#order-link');
		link.hidden = !o.access;
		if (o.access) link.href = `/${code()}/orders/${encodeURIComponent(o.order_number)}?access=${encodeURIComponent(o.access)}`;
	}
}

async function claim(ev) {
	ev.preventDefault();
	if (S.busy || S.order) return;
	const c = checkCustomer({ name: $('#claim-name').value, phone: $('#claim-phone').value });
	S.fields = {};
	if (c.errors.name) S.fields['claim-name'] = { key: c.errors.name };
	if (c.errors.phone) S.fields['claim-phone'] = { key: c.errors.phone };
	S.error = null;
	if (Object.keys(S.fields).length) {
		render();
		document.getElementById(Object.keys(S.fields)[0]).focus();
		return;
	}
	S.busy = true;
	render();
	try {
		const res = await api.post(publicApi(`invitations/${encodeURIComponent(token)}/claims`),
			{ name: c.value.name, phone: c.value.phone });
		S.order = res.order;
		if (typeof S.inv.remaining === 'number') S.inv.remaining = Math.max(0, S.inv.remaining - 1);
	} catch (e) {
		S.error = e;
		if (e.code === 'VALIDATION') {
			const f = e.details.fields || {};
			if (f.name) S.fields['claim-name'] = { text: f.name };
			if (f.phone) S.fields['claim-phone'] = { key: 'field.phone' };
		}
		if (e.code === 'SOLD_OUT') S.inv.remaining = 0;
	}
	S.busy = false;
	render();
	if (S.order) $('#done-title').focus();
}

async function main() {
	start(render);
	$('#claim').addEventListener('submit', claim);
	if (!token) {
		S.pageError = new ApiError({ status: 404, code: 'NOT_FOUND' });
		render();
		return;
	}
	try {
		S.inv = (await api.get(publicApi(`invitations/${encodeURIComponent(token)}`))).invitation;
	} catch (e) {
		S.pageError = e;
	}
	render();
	// The header's links follow the invitation's exhibition.
	for (const a of document.querySelectorAll('a[data-href]')) a.href = a.dataset.href.replace('{code}', code());
}

main();
