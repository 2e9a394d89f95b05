// The rest of what a customer meets: the notices list and a notice, an
// unknown exhibition, an order link without its token, paths that are no
// page; and how nginx serves the pages: the CSP and security headers of
// production, revalidation by ETag (a phone reuses what it has).
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, BASE, api } from './lib.mjs';
import { makeEvent, watch, state, assertNoRawKeys, sel, buyApi } from './customer.mjs';

test('notices, unknown exhibitions and broken links', async () => {
	const ev = await makeEvent({
		notices: [
			{ title: '휴관 안내', body: '1월 1일은 휴관합니다.\n관람에 참고해 주세요.', pinned: true },
			{ title: '굿즈 현장 수령', body: '전시 도록은 출구 옆 매장에서 받으세요.', pinned: false },
		],
	});
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const w = watch(page);
		await page.goto(`${BASE}/${ev.code}/notices`);
		await page.waitForSelector('#notice-list li');
		const titles = await page.$$eval('#notice-list li a', (as) => as.map((a) => a.textContent));
		assert.deepEqual(titles, ['휴관 안내', '굿즈 현장 수령'], 'pinned first');
		await assertNoRawKeys(page);
		await state(page, 'notices-list');
		await page.click('#notice-list li a >> nth=0');
		await page.waitForSelector('#notice-body:visible');
		assert.match(await page.textContent('#notice-body'), /1월 1일은 휴관합니다/);
		assert.equal(await page.$eval('#notice-body', (e) => getComputedStyle(e).whiteSpace), 'pre-line');
		await state(page, 'notice-detail');

		await page.goto(`${BASE}/zzznoevent/`);
		const nf = await page.waitForSelector(sel.error('EVENT_NOT_FOUND'));
		assert.match(await nf.textContent(), /전시를 찾을 수 없습니다/);
		await state(page, 'event-not-found');

		await page.goto(`${BASE}/${ev.code}/orders/${ev.code.toUpperCase()}-ABCDEFGH`);
		await page.waitForSelector(sel.error('NOT_FOUND'));
		assert.match(await page.textContent('#page-error'), /예매 확인/);
		await state(page, 'order-link-incomplete');

		await page.goto(`${BASE}/${ev.code}/orders/${ev.code.toUpperCase()}-ABCDEFGH?access=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
		await page.waitForSelector(sel.error('NOT_FOUND'));
		w.check();
	} finally {
		await browser.close();
	}
});

test('nginx: one page per customer path, production headers, ETag revalidation', async () => {
	const ev = await makeEvent();
	const pages = {
		[`/${ev.code}/`]: 'exhibition.js', [`/${ev.code}`]: 'exhibition.js', [`/${ev.code}/orders/X-1`]: 'order.js',
		[`/${ev.code}/lookup`]: 'lookup.js', [`/${ev.code}/notices`]: 'notices.js', [`/${ev.code}/notices/7`]: 'notices.js',
		[`/${ev.code}/queue`]: 'queue.js', [`/${ev.code}/invitations/abc_DEF-123`]: 'invitation.js',
	};
	for (const [p, script] of Object.entries(pages)) {
		const r = await fetch(BASE + p);
		assert.equal(r.status, 200, p);
		const html = await r.text();
		assert.match(html, new RegExp(`src="/event/${script}"`), p);
		assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${p}: no inline script`);
		assert.doesNotMatch(html, /\sstyle="/, `${p}: no inline style`);
		const csp = r.headers.get('content-security-policy') || '';
		assert.match(csp, /default-src 'self'/, p);
		assert.match(csp, /script-src 'self' https:\/\/js\.tosspayments\.com;/, p);
		assert.equal(r.headers.get('x-frame-options'), 'DENY', p);
		assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
		assert.equal(r.headers.get('cache-control'), 'no-cache', p);
	}
	for (const p of [`/${ev.code}/nothing`, `/${ev.code}/orders/`, `/${ev.code}/event.js`, '/event/missing.js']) {
		const r = await fetch(BASE + p);
		await r.arrayBuffer();
		assert.equal(r.status, 404, p);
	}
	// Static files: a phone that has one asks with its ETag and gets a 304.
	for (const f of ['/event/exhibition.js', '/event/event.css', '/event/texts.js', '/shared/api.js']) {
		const r = await fetch(BASE + f);
		await r.arrayBuffer();
		assert.equal(r.status, 200, f);
		const etag = r.headers.get('etag');
		assert.ok(etag, `${f}: ETag`);
		assert.equal(r.headers.get('cache-control'), 'no-cache', f);
		const again = await fetch(BASE + f, { headers: { 'If-None-Match': etag } });
		await again.arrayBuffer();
		assert.equal(again.status, 304, f);
	}
	// API answers keep the workers' own headers, once each.
	const a = await fetch(`${BASE}/fcgi/public/events/${ev.code}`);
	await a.arrayBuffer();
	assert.equal(a.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
	assert.equal(a.headers.get('x-frame-options'), 'DENY');
	assert.equal(a.headers.get('strict-transport-security'), null);
	assert.equal(a.headers.get('cache-control'), 'no-store');
});

// Toss's confirmation may still be running when the customer lands on the
// order page (API.md, "Payment callbacks"): status confirming, no tickets
// yet. The page says so and looks again until the order is paid. The
// confirming answer is stood in by request routing (the fake Toss confirms
// at once); the paid one is the real order.
test('order page: confirming, then paid with its tickets', async () => {
	const ev = await makeEvent();
	const bought = await buyApi(ev.code, { items: [{ product_id: ev.product.adult, qty: 1 }] });
	const real = (await api('GET', `/fcgi/public/events/${ev.code}/orders/${bought.number}?access=${bought.access}`)).body;
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const w = watch(page);
		let asked = 0;
		await page.route(`**/fcgi/public/events/${ev.code}/orders/${bought.number}?*`, (route) => {
			asked++;
			const body = asked < 3 ? { order: { ...real.order, status: 'confirming', paid_at: null, tickets: [] } } : real;
			return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
		});
		await page.goto(bought.url);
		await page.waitForSelector('[data-test="order-status"][data-status="confirming"]');
		assert.match(await page.textContent('#status-hint'), /결제를 확인하고 있습니다/);
		await state(page, 'order-confirming');
		await page.waitForSelector('[data-test="order-status"][data-status="paid"]');
		await page.waitForSelector('[data-test="ticket"] img');
		assert.ok(asked >= 3);
		w.check();
	} finally {
		await browser.close();
	}
});
