// tests/browser/consoles.mjs — what the console page tests share: an event
// with a quota and a product made through the API, admins assigned to it,
// paid orders made over HTTP (reserve → the fake Toss checkout approves →
// the success redirect), and logging in through a console's form.
import assert from 'node:assert/strict';
import { api, superLogin, uniq, newPage, BASE, seoulDate } from './lib.mjs';

export const PASSWORD = 'console-test-pass-1';

export { seoulDate } from './lib.mjs';

// An active event (today − 1 … today + 30) with a daily quota and one dated
// 12 000 KRW ticket: {id, code, quota, product, superToken}.
export async function mkEvent(tag) {
	const tok = await superLogin();
	const code = `c${tag}${uniq(6)}`.slice(0, 16);
	let r = await api('POST', '/fcgi/super-admin/events', { token: tok, body: {
		code, title: `콘솔 테스트 ${code}`, venue: '테스트홀', starts_on: seoulDate(-1), ends_on: seoulDate(30), open_hours: '10:00-18:00' } });
	assert.equal(r.status, 201, r.text);
	const id = r.body.event.id;
	r = await api('POST', `/fcgi/super-admin/events/${id}/activate`, { token: tok });
	assert.equal(r.status, 200, r.text);
	r = await api('POST', `/fcgi/admin/events/${id}/quotas`, { token: tok, body: { name: '일일 입장', capacity: 100, per_day: true } });
	assert.equal(r.status, 201, r.text);
	const quota = r.body.quota.id;
	r = await api('POST', `/fcgi/admin/events/${id}/products`, { token: tok, body: { type: 'TICKET', name: '성인', price: 12000, dated: true, quota_ids: [quota] } });
	assert.equal(r.status, 201, r.text);
	return { id, code, quota, product: r.body.product.id, superToken: tok };
}

// An admin with a level on the event: {username, id, token}.
export async function mkAdmin(ev, level, tag) {
	const username = `t_${tag}_${uniq(8)}`;
	let r = await api('POST', '/fcgi/super-admin/admins', { token: ev.superToken, body: { username, password: PASSWORD, name: `${tag} 담당` } });
	assert.equal(r.status, 201, r.text);
	const id = r.body.admin.id;
	r = await api('PUT', `/fcgi/super-admin/admins/${id}/events`, { token: ev.superToken, body: [{ event_id: ev.id, level }] });
	assert.equal(r.status, 200, r.text);
	r = await api('POST', '/fcgi/admin/login', { body: { username, password: PASSWORD } });
	assert.equal(r.status, 200, r.text);
	return { username, id, token: r.body.token };
}

function pathOf(url) {
	const u = new URL(url, BASE);
	return u.pathname + u.search;
}

// Reserves qty tickets for tomorrow and pays through the fake Toss:
// {number, access, amount}.
export async function buy(ev, qty) {
	let r = await api('POST', `/fcgi/public/events/${ev.code}/reservations`, { body: {
		visit_date: seoulDate(1), items: [{ product_id: ev.product, qty }],
		customer: { name: '김테스트', phone: '01055556666', email: 'test@example.kr' } } });
	assert.equal(r.status, 201, r.text);
	const { reservation: res, payment: pay } = r.body;
	const q = new URLSearchParams({ clientKey: pay.client_key, orderId: res.order_id, orderName: res.order_name,
		amount: String(res.amount), successUrl: pay.success_url, failUrl: pay.fail_url, action: 'approve' });
	r = await api('GET', `/_fake/toss/checkout?${q}`);
	assert.equal(r.status, 302, r.text);
	const success = pathOf(r.headers.get('location'));
	assert.match(success, /^\/fcgi\/payment\/success\?/);
	r = await api('GET', success);
	assert.equal(r.status, 303, r.text);
	const order = new URL(r.headers.get('location'), BASE);
	return { number: res.order_id, access: order.searchParams.get('access'), amount: res.amount };
}

// A 1280×800 page logged into a console through its form.
export async function consoleLogin(browser, consolePath, username, password, viewport = { width: 1280, height: 800 }) {
	const { context, page } = await newPage(browser, { viewport });
	await page.goto(BASE + consolePath);
	await page.fill('[data-test=login-username]', username);
	await page.fill('[data-test=login-password]', password);
	await page.click('[data-test=login-submit]');
	await page.waitForSelector('[data-test=logout]');
	return { context, page };
}

// Opens a section and waits for its first table (or the given selector).
export async function section(page, name, wait = 'main table') {
	await page.click(`[data-test=nav-${name}]`);
	await page.waitForSelector(`[data-test=nav-${name}][aria-current=page]`);
	if (wait) await page.waitForSelector(wait);
}
