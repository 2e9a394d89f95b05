// public/event/lookup.js — /{code}/lookup: order number + mobile number →
// the order page (its bookmarkable ?access= link). A wrong number and a
// wrong phone get the same "not found": the API never says which.
import { api } from '/shared/api.js';
import { $, t, start, eventCode, eventApi, showError, showFieldErrors, normalizePhone, setTitle } from './common.js';

const code = eventCode();
const S = { fields: {}, error: null, busy: false, title: '' };

// order_number_ok in lib/order.c: one dash between A-Z0-9 runs, ≤ 40.
const NUMBER_RE = /^[A-Z0-9]+-[A-Z0-9]+$/;

function render() {
	setTitle(t('lookup.title'), S.title);
	$('#event-name').textContent = S.title;
	const texts = {};
	for (const [id, key] of Object.entries(S.fields)) texts[id] = t(key);
	showFieldErrors($('#lookup'), texts);
	showError($('#error'), S.error, { NOT_FOUND: 'err.lookupNotFound' });
	const b = $('#submit');
	b.textContent = S.busy ? t('lookup.searching') : t('lookup.submit');
	b.setAttribute('aria-disabled', String(S.busy));
}

async function submit(ev) {
	ev.preventDefault();
	if (S.busy) return;
	const number = $('#lookup-number').value.replace(/\s+/g, '').toUpperCase();
	const rawPhone = $('#lookup-phone').value;
	const phone = normalizePhone(rawPhone);
	S.fields = {};
	S.error = null;
	if (!number) S.fields['lookup-number'] = 'field.required';
	else if (!NUMBER_RE.test(number) || number.length > 40) S.fields['lookup-number'] = 'field.number';
	if (!rawPhone.trim()) S.fields['lookup-phone'] = 'field.required';
	else if (!phone) S.fields['lookup-phone'] = 'field.phone';
	if (Object.keys(S.fields).length) {
		render();
		document.getElementById(Object.keys(S.fields)[0]).focus();
		return;
	}
	S.busy = true;
	render();
	try {
		const { order } = await api.get(eventApi(code, `/orders/${encodeURIComponent(number)}?phone=${phone}`));
		location.assign(`/${code}/orders/${encodeURIComponent(order.order_number)}?access=${encodeURIComponent(order.access)}`);
		return;
	} catch (e) {
		S.error = e;
	}
	S.busy = false;
	render();
}

function main() {
	start(render);
	$('#lookup').addEventListener('submit', submit);
	for (const id of ['lookup-number', 'lookup-phone']) {
		$(`#${id}`).addEventListener('input', () => {
			if (S.fields[id]) {
				delete S.fields[id];
				render();
			}
		});
	}
	api.get(eventApi(code)).then(({ event }) => { S.title = event.title; render(); }, () => {});
}

main();
