// The invitation page against API.md's contract ("Invitations"). The
// invitations API is its own piece of work (issue 10): until it is served,
// these answers stand in for it, as the contract spells them, through
// Playwright's request routing. The ticket handed back is a real one (bought
// through the real stack), so its QR image is the real thing. When the API
// lands, the end-to-end claim (a real batch, Alimtalk, quota) replaces the
// routes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, BASE, api } from './lib.mjs';
import { makeEvent, watch, state, assertNoRawKeys, sel, buyApi, decodeQr, seoulDate } from './customer.mjs';

const json = (route, status, body) => route.fulfill({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });
const envelope = (code, message) => ({ error: { code, message, details: {} }, request_id: '0123456789abcdef0123456789abcdef' });

test('invitation page: claim, already claimed, used up, revoked', async () => {
	const ev = await makeEvent();
	const bought = await buyApi(ev.code, { items: [{ product_id: ev.product.adult, qty: 1 }] });
	const real = (await api('GET', `/fcgi/public/events/${ev.code}/orders/${bought.number}?access=${bought.access}`)).body.order;
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const w = watch(page);
		const claims = [];
		const inv = (remaining) => ({
			invitation: { company: '(주)한빛전자', event: { code: ev.code, title: ev.title }, visit_date: seoulDate(2), remaining },
		});
		await page.route(`${BASE}/fcgi/public/invitations/good`, (r) => json(r, 200, inv(5)));
		await page.route(`${BASE}/fcgi/public/invitations/empty`, (r) => json(r, 200, inv(0)));
		await page.route(`${BASE}/fcgi/public/invitations/gone`, (r) => json(r, 404, envelope('NOT_FOUND', '찾을 수 없습니다.')));
		await page.route(`${BASE}/fcgi/public/invitations/good/claims`, (r) => {
			const body = r.request().postDataJSON();
			claims.push(body);
			if (body.phone === '01011112222') return json(r, 409, envelope('ALREADY_CLAIMED', '이미 받았습니다.'));
			return json(r, 201, { order: { order_number: real.order_number, access: bought.access, status: 'paid', visit_date: real.visit_date, tickets: real.tickets } });
		});

		await page.goto(`${BASE}/${ev.code}/invitations/good`);
		await page.waitForSelector('[data-test="claim-name"]:visible');
		assert.match(await page.textContent('main'), /\(주\)한빛전자/);
		assert.match(await page.textContent('main'), /5매/);
		await assertNoRawKeys(page);
		await state(page, 'invitation-form');

		await page.fill('[data-test="claim-name"]', '박지훈');
		await page.fill('[data-test="claim-phone"]', '010-1111');
		await page.click('[data-test="claim-submit"]');
		await page.waitForSelector('#claim-phone-error:visible');
		assert.equal(claims.length, 0, 'a bad phone sends nothing');

		await page.fill('[data-test="claim-phone"]', '010-1111-2222');
		await page.click('[data-test="claim-submit"]');
		const already = await page.waitForSelector(sel.error('ALREADY_CLAIMED'));
		assert.match(await already.textContent(), /이미 받은 초대권/);
		assert.deepEqual(claims[0], { name: '박지훈', phone: '01011112222' });
		await state(page, 'invitation-already-claimed');

		await page.fill('[data-test="claim-phone"]', '01033334444');
		await page.click('[data-test="claim-submit"]');
		await page.waitForSelector('[data-test="ticket"] img');
		await page.waitForFunction(() => { const i = document.querySelector('[data-test="ticket"] img'); return i.complete && i.naturalWidth > 0; });
		const tk = await page.$('[data-test="ticket"]');
		assert.deepEqual(decodeQr(await (await tk.$('img')).screenshot()), [await tk.getAttribute('data-code')]);
		assert.equal(await page.getAttribute('#order-link', 'href'), `/${ev.code}/orders/${real.order_number}?access=${bought.access}`);
		assert.equal((await page.textContent('[data-test="order-number"]')).trim(), real.order_number);
		await state(page, 'invitation-claimed');

		await page.goto(`${BASE}/${ev.code}/invitations/empty`);
		const none = await page.waitForSelector(sel.error('SOLD_OUT'));
		assert.match(await none.textContent(), /모두 소진/);
		assert.equal(await page.isVisible('[data-test="claim-submit"]'), false);
		await state(page, 'invitation-used-up');

		await page.goto(`${BASE}/${ev.code}/invitations/gone`);
		const gone = await page.waitForSelector(sel.error('NOT_FOUND'));
		assert.match(await gone.textContent(), /취소된 초대 링크/);
		await state(page, 'invitation-revoked');
		w.check();
	} finally {
		await browser.close();
	}
});
