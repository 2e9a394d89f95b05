// tests/browser/gate.mjs — what the scanner tests share: an exhibition with
// a dated ticket product, a MANAGER of it (who may scan and enter manually),
// paid orders bought over HTTP exactly as a customer would (reserve → the
// fake Toss checkout approves → the success redirect), and the scanner's
// screens driven through their data-test hooks.
import assert from 'node:assert/strict';
import { api, superLogin, uniq, BASE, seoulDate } from './lib.mjs';

export const PASSWORD = 'scanner-test-pass-1';

export { seoulDate } from './lib.mjs';

function ok(r, want, what) {
	assert.equal(r.status, want, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
	return r.body;
}

export async function makeGate(tag) {
	const token = await superLogin();
	const code = `s${tag}${uniq(5)}`.slice(0, 16);
	const ev = ok(await api('POST', '/fcgi/super-admin/events', {
		token, body: { code, title: `스캐너 시험 ${code}`, venue: 'Hall', address: 'Seoul', starts_on: seoulDate(-2), ends_on: seoulDate(30), open_hours: '10-18' },
	}), 201, 'event').event;
	ok(await api('POST', `/fcgi/super-admin/events/${ev.id}/activate`, { token }), 200, 'activate');
	const quota = ok(await api('POST', `/fcgi/admin/events/${ev.id}/quotas`, {
		token, body: { name: 'Daily', capacity: 100, per_day: true },
	}), 201, 'quota').quota;
	const product = ok(await api('POST', `/fcgi/admin/events/${ev.id}/products`, {
		token, body: { type: 'TICKET', name: '성인 입장권', price: 12000, dated: true, quota_ids: [quota.id] },
	}), 201, 'product').product;
	const username = `scan_${uniq(8)}`;
	const admin = ok(await api('POST', '/fcgi/super-admin/admins', {
		token, body: { username, password: PASSWORD, name: '게이트 매니저' },
	}), 201, 'admin').admin;
	ok(await api('PUT', `/fcgi/super-admin/admins/${admin.id}/events`, {
		token, body: [{ event_id: ev.id, level: 3 }],
	}), 200, 'assign');
	const staff = ok(await api('POST', '/fcgi/entrance/login', { body: { username, password: PASSWORD } }), 200, 'login');
	return { token, code, ev, product, username, staffToken: staff.token };
}

// A paid order of qty tickets for date; returns {number, tickets:[{code, qr_svg_url}]}.
export async function buy(g, qty = 1, date = seoulDate(0), phone = '01077770001') {
	const res = ok(await api('POST', `/fcgi/public/events/${g.code}/reservations`, {
		body: { visit_date: date, items: [{ product_id: g.product.id, qty }], customer: { name: '홍길동', phone, email: 'scan@example.kr' } },
	}), 201, 'reserve');
	const q = new URLSearchParams({
		clientKey: res.payment.client_key, orderId: res.reservation.order_id, orderName: res.reservation.order_name,
		amount: String(res.reservation.amount), successUrl: res.payment.success_url, failUrl: res.payment.fail_url, action: 'approve',
	});
	const win = await api('GET', `/_fake/toss/checkout?${q}`);
	assert.equal(win.status, 302, `checkout: ${win.status} ${win.text.slice(0, 200)}`);
	const next = new URL(win.headers.get('location'), BASE);
	const done = await api('GET', next.pathname + next.search);
	assert.equal(done.status, 303, `success: ${done.status} ${done.text.slice(0, 200)}`);
	const order = ok(await api('GET', `/fcgi/public/events/${g.code}/orders/${res.reservation.order_id}?phone=${phone}`), 200, 'order').order;
	assert.equal(order.tickets.length, qty);
	return { number: order.order_number, tickets: order.tickets };
}

// The server's verdict on a code without admitting it.
export async function check(g, code) {
	const r = ok(await api('POST', '/fcgi/entrance/scan', {
		token: g.staffToken, body: { event_id: g.ev.id, code, gate: 'check', admit: false },
	}), 200, 'check');
	return r.result;
}

// A code whose signature fails (one character of the signature changed).
export function forge(code) {
	const i = code.length - 10;
	return code.slice(0, i) + (code[i] === 'A' ? 'B' : 'A') + code.slice(i + 1);
}

// Logs in on the scanner page and starts scanning at gate.
export async function startScanner(page, g, gate) {
	await page.goto(BASE + '/scanner/');
	await page.locator('[data-test="login-username"]').fill(g.username);
	await page.locator('[data-test="login-password"]').fill(PASSWORD);
	await page.locator('[data-test="login-submit"]').click();
	await page.locator('[data-test="event"]').waitFor();
	await page.locator('[data-test="event"]').selectOption(String(g.ev.id));
	await page.locator('[data-test="gate"]').fill(gate);
	await page.locator('[data-test="start"]').click();
	await page.locator('[data-test="code-input"]').waitFor();
}

// Types a code (as a keyboard-wedge scanner would: code + Enter) and waits
// for the verdict it causes; returns data-result.
export async function typeCode(page, code) {
	const v = page.locator('[data-test="scan-result"]');
	const before = (await v.getAttribute('data-seq')) || '0';
	await page.locator('[data-test="code-input"]').fill(code);
	await page.locator('[data-test="code-input"]').press('Enter');
	await page.waitForFunction((b) => {
		const el = document.querySelector('[data-test="scan-result"]');
		return el && el.dataset.seq && el.dataset.seq !== b && !el.hidden;
	}, before);
	return v.getAttribute('data-result');
}
