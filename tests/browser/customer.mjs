// tests/browser/customer.mjs — what the customer-page tests share: an
// exhibition of their own (made through the super-admin and admin APIs),
// purchases through the API and the fake Toss, QR decoding with zbarimg,
// the page's console (CSP violations and script errors fail a test) and the
// bytes a page load transferred.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE, api, superLogin, uniq, axeSerious, shot, seoulDate } from './lib.mjs';

export { seoulDate } from './lib.mjs';

async function ok(r, what, want = [200, 201]) {
	if (!want.includes(r.status)) throw new Error(`${what}: ${r.status} ${r.text}`);
	return r.body;
}

// The demo-like catalogue: adult, youth and child share a daily capacity; a
// catalogue with its own stock; a package of an adult ticket and the catalogue.
export const CATALOG = {
	quotas: [
		{ key: 'day', name: '일일 정원', capacity: 50, per_day: true },
		{ key: 'book', name: '도록 재고', capacity: 20, per_day: false },
	],
	products: [
		{ key: 'adult', type: 'TICKET', name: '성인', price: 15000, dated: true, max_per_order: 10, quotas: ['day'] },
		{ key: 'youth', type: 'TICKET', name: '청소년', price: 12000, dated: true, max_per_order: 10, quotas: ['day'] },
		{ key: 'child', type: 'TICKET', name: '어린이', price: 8000, dated: true, max_per_order: 10, quotas: ['day'] },
		{ key: 'book', type: 'MERCH', name: '전시 도록', price: 25000, dated: false, max_per_order: 5, quotas: ['book'] },
		{ key: 'pkg', type: 'PACKAGE', name: '성인 + 도록 패키지', price: 36000, dated: true, max_per_order: 4, items: [['adult', 1], ['book', 1]] },
	],
};

// A fresh, active exhibition with the given catalogue; returns
// {id, code, title, token, quota: {key: id}, product: {key: id}}.
export async function makeEvent({ catalog = CATALOG, title, queue = false, notices = [] } = {}) {
	const token = await superLogin();
	const code = `t${uniq(8)}`;
	const ev = (await ok(await api('POST', '/fcgi/super-admin/events', {
		token,
		body: {
			code, title: title || `테스트 전시 ${code}`, venue: '테스트 아트홀 2층', address: '서울특별시 중구 세종대로 110',
			starts_on: seoulDate(0), ends_on: seoulDate(30), open_hours: '10:00-18:00',
			...(queue ? { queue: { enabled: true } } : {}),
		},
	}), 'create event')).event;
	await ok(await api('POST', `/fcgi/super-admin/events/${ev.id}/activate`, { token }), 'activate');
	const quota = {};
	for (const q of catalog.quotas) {
		quota[q.key] = (await ok(await api('POST', `/fcgi/admin/events/${ev.id}/quotas`, {
			token, body: { name: q.name, capacity: q.capacity, per_day: q.per_day },
		}), `quota ${q.key}`)).quota.id;
	}
	const product = {};
	for (const p of catalog.products) {
		const body = { type: p.type, name: p.name, price: p.price, dated: p.dated, max_per_order: p.max_per_order };
		if (p.quotas) body.quota_ids = p.quotas.map((k) => quota[k]);
		if (p.items) body.items = p.items.map(([k, qty]) => ({ product_id: product[k], qty }));
		product[p.key] = (await ok(await api('POST', `/fcgi/admin/events/${ev.id}/products`, { token, body }),
			`product ${p.key}`)).product.id;
	}
	for (const n of notices) {
		await ok(await api('POST', `/fcgi/admin/events/${ev.id}/notices`, { token, body: n }), 'notice');
	}
	return { id: ev.id, code, title: ev.title, token, quota, product };
}

export async function reserveApi(code, { date = seoulDate(0), items, name = '김민수', phone = '01055556666' }) {
	const r = await api('POST', `/fcgi/public/events/${code}/reservations`, {
		body: { visit_date: date, items, customer: { name, phone } },
	});
	return r;
}

const loc = (r) => r.headers.get('location');

// A paid order made the way a browser would (reservation, the fake Toss
// window's approve link, the success redirect): {number, access, url}.
export async function buyApi(code, opts) {
	const rr = await reserveApi(code, opts);
	assert.equal(rr.status, 201, rr.text);
	const { reservation: res, payment: pay } = rr.body;
	assert.ok(pay.checkout_url, 'the dev stack names the fake checkout');
	const q = new URLSearchParams({
		clientKey: pay.client_key, orderId: res.order_id, orderName: res.order_name, amount: String(res.amount),
		successUrl: pay.success_url, failUrl: pay.fail_url, action: 'approve',
	});
	const a = await fetch(`${pay.checkout_url}?${q}`, { redirect: 'manual' });
	await a.arrayBuffer();
	assert.equal(a.status, 302);
	const s = await fetch(loc(a), { redirect: 'manual' });
	await s.arrayBuffer();
	assert.equal(s.status, 303);
	const url = new URL(loc(s), BASE);
	return { number: url.pathname.split('/')[3], access: url.searchParams.get('access'), url: url.href };
}

// Every code zbarimg finds in a PNG.
export function decodeQr(png) {
	const dir = mkdtempSync(path.join(tmpdir(), 'qr-'));
	try {
		const f = path.join(dir, 'qr.png');
		writeFileSync(f, png);
		const out = execFileSync('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', f],
			{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
		return out.split('\n').map((s) => s.trim()).filter(Boolean);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

// The page's problems: script errors, CSP refusals, console errors other
// than the 4xx answers a test provokes on purpose. check() asserts none.
export function watch(page) {
	const problems = [];
	page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
	page.on('console', (m) => {
		const text = m.text();
		if (/Content Security Policy|Refused to/i.test(text)) problems.push(`csp: ${text}`);
		else if (m.type() === 'error' && !/^Failed to load resource: /.test(text)) problems.push(`console: ${text}`);
	});
	return { problems, check: () => assert.deepEqual(problems, [], problems.join('\n')) };
}

// Bytes transferred by everything a navigation loaded (headers and bodies,
// as Chromium counts them), waiting until the network is quiet.
export async function transferred(page, url, ready) {
	const sizes = [];
	const onDone = async (req) => {
		const s = await req.sizes().catch(() => null);
		if (s) sizes.push({ url: req.url(), type: req.resourceType(), bytes: s.responseBodySize + s.responseHeadersSize });
	};
	page.on('requestfinished', onDone);
	await page.goto(url, { waitUntil: 'commit' });
	if (ready) await ready();
	await page.waitForLoadState('networkidle');
	page.off('requestfinished', onDone);
	const fonts = sizes.filter((s) => s.type === 'font').reduce((a, s) => a + s.bytes, 0);
	const total = sizes.reduce((a, s) => a + s.bytes, 0) - fonts;
	return { total, fonts, requests: sizes.length, sizes };
}

// axe-core's serious and critical findings must be none; the page state is
// named in the message.
export async function assertAccessible(page, state) {
	const v = await axeSerious(page);
	assert.deepEqual(v.map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`), [],
		`${state}: axe serious/critical violations`);
}

// A screenshot and the checks of one page state: nothing wider than the
// viewport (360 px), no serious accessibility problem.
export async function state(page, name) {
	await shot(page, name);
	const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
	assert.ok(scroll <= width, `${name}: the page is ${scroll} px wide in a ${width} px viewport`);
	await assertAccessible(page, name);
}

// Texts of the page that are text keys (a key missing from texts.js shows
// itself): none may be left.
export async function assertNoRawKeys(page) {
	const raw = await page.evaluate(() => document.body.innerText.match(
		/\b(?:common|ev|order|ticket|lookup|notices|queue|inv|field|err)\.[A-Za-z_.]+[A-Za-z]\b/g) || []);
	assert.deepEqual(raw, [], 'text keys shown instead of texts');
}

export const sel = {
	product: (id) => `[data-test="product"][data-product-id="${id}"]`,
	plus: (id) => `[data-test="product"][data-product-id="${id}"] [data-test="qty-plus"]`,
	minus: (id) => `[data-test="product"][data-product-id="${id}"] [data-test="qty-minus"]`,
	qty: (id) => `[data-test="product"][data-product-id="${id}"] [data-test="qty"]`,
	available: (id) => `[data-test="product"][data-product-id="${id}"] [data-test="available"]`,
	error: (code) => `[data-test="error"][data-code="${code}"]`,
};

// Opens the exhibition page and waits for its products.
export async function openEvent(page, code, query = '') {
	await page.goto(`${BASE}/${code}/${query}`);
	await page.waitForSelector('[data-test="product"]');
}

export async function fillCustomer(page, { name = '홍길동', phone = '010-1234-5678', email = '', agree = true } = {}) {
	await page.fill('[data-test="customer-name"]', name);
	await page.fill('[data-test="customer-phone"]', phone);
	if (email) await page.fill('[data-test="customer-email"]', email);
	if (agree) await page.check('[data-test="agree"]');
}

export async function clickTimes(page, selector, n) {
	for (let i = 0; i < n; i++) await page.click(selector);
}
