// The manager's console /admin/ in Chromium: a product made through the
// form is listed by the public API at once; one ticket of a paid order
// refunded through the UI shows in the order, the dashboard and the
// ticket's status; a VIEWER sees no refund or delete button and the API
// refuses anyway; the XLSX export downloads a valid workbook; the
// dashboard's metric-paid-orders equals the API's paid_orders after three
// purchases; a state change with the cookie and no X-CSRF-Token is refused;
// a 1280×800 screenshot of every section.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { launch, shot, api, axeSerious, SHOTS } from './lib.mjs';
import { mkEvent, mkAdmin, buy, consoleLogin, section, PASSWORD, seoulDate } from './consoles.mjs';

const SECTIONS = ['dashboard', 'products', 'quotas', 'orders', 'notices', 'invitations', 'entrance', 'sales', 'activity'];

let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser.close(); });

test('a manager creates a product through the form; the public products API lists it at once', async () => {
	const ev = await mkEvent('prod');
	const mgr = await mkAdmin(ev, 3, 'pm');
	const { context, page } = await consoleLogin(browser, '/admin/', mgr.username, PASSWORD);
	try {
		await section(page, 'products');
		await page.click('[data-test=product-new]');
		await page.fill('[data-test=product-name]', '야간 관람권');
		await page.fill('[data-test=product-price]', '8000');
		await page.check(`[data-quota-id="${ev.quota}"]`);
		await shot(page, 'admin-product-form', { fullPage: false });
		await page.click('[data-test=product-save]');
		await page.waitForSelector('[data-test=product-row] >> text=야간 관람권');
		const r = await api('GET', `/fcgi/public/events/${ev.code}/products?date=${seoulDate(1)}`);
		assert.equal(r.status, 200, r.text);
		const p = r.body.items.find((x) => x.name === '야간 관람권');
		assert.ok(p, `not listed: ${r.text}`);
		assert.equal(p.price, 8000);
		assert.equal(p.available, 100);
	} finally {
		await context.close();
	}
});

test('a manager refunds one ticket of a paid order; order, dashboard and ticket status show it', async () => {
	const ev = await mkEvent('rfnd');
	const mgr = await mkAdmin(ev, 3, 'rm');
	const order = await buy(ev, 2);
	const { context, page } = await consoleLogin(browser, '/admin/', mgr.username, PASSWORD);
	try {
		await page.waitForSelector('[data-test=metric-tickets-sold]');
		assert.equal(await page.textContent('[data-test=metric-tickets-sold]'), '2');
		await section(page, 'orders');
		await page.fill('[data-test=order-search]', order.number);
		await page.click('[data-test=order-search-submit]');
		const row = page.locator(`[data-test=order-row][data-order-number="${order.number}"]`);
		await row.waitFor();
		assert.equal(await page.locator('[data-test=order-row]').count(), 1);
		await row.click();
		await page.waitForSelector('[data-test=order-detail]');
		const first = page.locator('[data-test=refund-ticket]').first();
		const code = await first.getAttribute('data-code');
		await first.check();
		await page.click('[data-test=refund]');
		await page.waitForSelector('dialog [data-test=refund-amount]');
		assert.equal(await page.getAttribute('[data-test=refund-amount]', 'data-amount'), '12000');
		assert.match(await page.textContent('[data-test=refund-amount]'), /12,000/);
		await shot(page, 'admin-refund-confirm', { fullPage: false });
		await page.click('dialog [data-test=confirm]');
		await page.waitForSelector(`[data-test=ticket-row][data-code="${code}"][data-status=refunded]`);
		assert.equal(await page.getAttribute('[data-test=order-status-value] [data-status]', 'data-status'), 'partially_refunded');
		assert.match(await page.textContent('[data-test=order-refunded]'), /12,000/);
		assert.equal(await page.locator('[data-test=ticket-row][data-status=valid]').count(), 1);
		await shot(page, 'admin-order-refunded');

		await section(page, 'dashboard', '[data-test=metric-tickets-sold]');
		await page.waitForFunction(() => document.querySelector('[data-test=metric-tickets-sold]').textContent === '1');
		assert.match(await page.textContent('[data-test=metric-refunded]'), /12,000/);
		const d = await api('GET', `/fcgi/admin/events/${ev.id}/dashboard`, { token: mgr.token });
		assert.equal(d.body.dashboard.refunded_amount, 12000);
		assert.equal(d.body.dashboard.tickets_sold, 1);

		const pub = await api('GET', `/fcgi/public/events/${ev.code}/orders/${order.number}?access=${order.access}`);
		assert.equal(pub.status, 200, pub.text);
		const t = pub.body.order.tickets.find((x) => x.code === code);
		assert.equal(t.status, 'refunded');
	} finally {
		await context.close();
	}
});

test('a VIEWER sees no refund or delete button, and the API refuses anyway', async () => {
	const ev = await mkEvent('view');
	const viewer = await mkAdmin(ev, 1, 'vw');
	const order = await buy(ev, 1);
	const { context, page } = await consoleLogin(browser, '/admin/', viewer.username, PASSWORD);
	try {
		assert.equal(await page.locator('[data-test=nav-activity]').count(), 0);
		await section(page, 'products', '[data-test=product-row]');
		assert.equal(await page.locator('[data-test=product-delete]').count(), 0);
		assert.equal(await page.locator('[data-test=product-new]').count(), 0);
		assert.equal(await page.locator('[data-test=product-edit]').count(), 0);
		await section(page, 'orders', '[data-test=order-row]');
		assert.equal(await page.locator('[data-test=export-xlsx]').count(), 0);
		await page.click(`[data-test=order-row][data-order-number="${order.number}"]`);
		await page.waitForSelector('[data-test=order-detail]');
		assert.equal(await page.locator('[data-test=refund]').count(), 0);
		assert.equal(await page.locator('[data-test=refund-ticket]').count(), 0);
		await shot(page, 'admin-viewer-order');
		const oid = await page.getAttribute(`[data-test=order-row][data-order-number="${order.number}"]`, 'data-order-id');
		let r = await api('POST', `/fcgi/admin/events/${ev.id}/orders/${oid}/refund`, { token: viewer.token, body: { reason: '시도' } });
		assert.equal(r.status, 403, r.text);
		assert.equal(r.body.error.code, 'FORBIDDEN');
		r = await api('DELETE', `/fcgi/admin/events/${ev.id}/products/${ev.product}`, { token: viewer.token });
		assert.equal(r.status, 403, r.text);
		assert.equal(r.body.error.code, 'FORBIDDEN');
	} finally {
		await context.close();
	}
});

test('the XLSX export downloads a valid workbook', async () => {
	const ev = await mkEvent('xlsx');
	const mgr = await mkAdmin(ev, 3, 'xm');
	const order = await buy(ev, 1);
	const { context, page } = await consoleLogin(browser, '/admin/', mgr.username, PASSWORD);
	try {
		await section(page, 'orders', '[data-test=order-row]');
		const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test=export-xlsx]')]);
		const file = path.join(SHOTS, 'admin-export.xlsx');
		await download.saveAs(file);
		const bytes = readFileSync(file);
		assert.equal(bytes.subarray(0, 4).toString('binary'), 'PK\x03\x04');
		execFileSync('unzip', ['-tq', file]);
		const list = execFileSync('unzip', ['-Z1', file]).toString().split('\n');
		assert.ok(list.includes('xl/workbook.xml') && list.includes('xl/worksheets/sheet1.xml'), list.join(' '));
		// The order's row is in the sheet (inline strings, or the shared table when there is one).
		let text = execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml']).toString();
		if (list.includes('xl/sharedStrings.xml')) text += execFileSync('unzip', ['-p', file, 'xl/sharedStrings.xml']).toString();
		assert.match(text, new RegExp(order.number));
	} finally {
		await context.close();
	}
});

test("the dashboard's metric-paid-orders equals the API's paid_orders after three purchases", async () => {
	const ev = await mkEvent('paid');
	const mgr = await mkAdmin(ev, 3, 'dm');
	for (const qty of [1, 2, 1]) await buy(ev, qty);
	const { context, page } = await consoleLogin(browser, '/admin/', mgr.username, PASSWORD);
	try {
		await page.waitForSelector('[data-test=metric-paid-orders]');
		const r = await api('GET', `/fcgi/admin/events/${ev.id}/dashboard`, { token: mgr.token });
		assert.equal(r.body.dashboard.paid_orders, 3);
		assert.equal(await page.textContent('[data-test=metric-paid-orders]'), String(r.body.dashboard.paid_orders));
		assert.equal(await page.textContent('[data-test=metric-tickets-sold]'), String(r.body.dashboard.tickets_sold));
		assert.match(await page.textContent('[data-test=metric-sales-today]'), /48,000/);
		// It refreshes itself: a fourth purchase appears without a reload.
		await buy(ev, 1);
		await page.waitForFunction(() => document.querySelector('[data-test=metric-paid-orders]').textContent === '4', null, { timeout: 15000 });
	} finally {
		await context.close();
	}
});

test('CSRF: a state change with the cookie and no X-CSRF-Token is refused', async () => {
	const ev = await mkEvent('csrf');
	const mgr = await mkAdmin(ev, 3, 'cm');
	const { context, page } = await consoleLogin(browser, '/admin/', mgr.username, PASSWORD);
	try {
		const cookies = await context.cookies();
		assert.ok(cookies.some((c) => c.name === 'tk_session' && c.httpOnly), 'the session is an HttpOnly cookie');
		assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => /tok|session|csrf/i.test(k)).length), 0);
		const body = JSON.stringify({ title: 'CSRF 시험', body: '', pinned: false });
		const bare = await page.evaluate(async ([url, b]) => {
			const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: b, credentials: 'same-origin' });
			return { status: r.status, body: await r.json() };
		}, [`/fcgi/admin/events/${ev.id}/notices`, body]);
		assert.equal(bare.status, 403);
		assert.equal(bare.body.error.code, 'CSRF');
		// The console's own request carries the token and goes through.
		await section(page, 'notices', null);
		await page.click('[data-test=notice-new]');
		await page.fill('[data-test=notice-form] [name=title]', '콘솔 공지');
		await page.click('[data-test=notice-save]');
		await page.waitForSelector('[data-test=notice-row] >> text=콘솔 공지');
		const list = await api('GET', `/fcgi/admin/events/${ev.id}/notices`, { token: mgr.token });
		assert.deepEqual(list.body.items.map((n) => n.title), ['콘솔 공지']);
	} finally {
		await context.close();
	}
});

test('an API error is a toast with its request id', async () => {
	const ev = await mkEvent('tost');
	const mgr = await mkAdmin(ev, 3, 'tm');
	const { context, page } = await consoleLogin(browser, '/admin/', mgr.username, PASSWORD);
	try {
		await section(page, 'quotas', '[data-test=quota-row]');
		await buy(ev, 3);
		await page.fill('[data-test=quota-capacity]', '1');
		await page.click('[data-test=quota-save]');
		const toast = page.locator('[data-test=toast].error');
		await toast.waitFor();
		assert.equal(await toast.getAttribute('data-code'), 'CONFLICT');
		assert.match(await toast.textContent(), /요청 ID: [0-9a-f]{16,}/);
		assert.match(await toast.textContent(), /최소 3/); // the reason: three are sold
		await shot(page, 'admin-toast', { fullPage: false });
	} finally {
		await context.close();
	}
});

test('screenshots of every section at 1280×800, and the dashboard on a tablet', async () => {
	const ev = await mkEvent('shot');
	const mgr = await mkAdmin(ev, 3, 'sm');
	for (const qty of [2, 1]) await buy(ev, qty);
	const { context, page } = await consoleLogin(browser, '/admin/', mgr.username, PASSWORD);
	try {
		await shot(page, 'admin-login-done', { fullPage: false });
		for (const s of SECTIONS) {
			await section(page, s, null);
			await page.waitForLoadState('networkidle');
			await shot(page, `admin-${s}`, { fullPage: false });
		}
		await section(page, 'orders', '[data-test=order-row]');
		await page.click('[data-test=order-row]');
		await page.waitForSelector('[data-test=order-detail]');
		await shot(page, 'admin-order-detail');
		await page.click('[data-test=lang-switch]');
		await section(page, 'dashboard', '[data-test=metric-paid-orders]');
		assert.equal(await page.textContent('[data-test=nav-dashboard]'), 'Dashboard');
		await shot(page, 'admin-dashboard-en', { fullPage: false });
		await page.click('[data-test=lang-switch]');
		await page.setViewportSize({ width: 820, height: 1180 });
		await section(page, 'dashboard', '[data-test=metric-paid-orders]');
		await shot(page, 'admin-dashboard-tablet', { fullPage: false });
		await page.setViewportSize({ width: 1280, height: 800 });
		const axe = [];
		for (const s of SECTIONS) {
			await section(page, s, null);
			await page.waitForLoadState('networkidle');
			axe.push(...(await axeSerious(page)).map((v) => `${s}: ${v.id} ${v.nodes.length}`));
		}
		assert.deepEqual(axe, []);
		await page.click('[data-test=logout]');
		await page.waitForSelector('[data-test=login-username]');
		await shot(page, 'admin-login', { fullPage: false });
		// Logged out is logged out: the cookie's session no longer answers.
		assert.equal(await page.evaluate(async () => (await fetch('/fcgi/admin/me')).status), 401);
	} finally {
		await context.close();
	}
});
