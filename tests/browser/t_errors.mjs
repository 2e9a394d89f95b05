// Every error code of API.md's table, answered to a reservation, is shown as
// a sentence of the page's own (data-test=error, data-code=the code, the
// request id beside it) — never the bare code. The answers are stood in by
// request routing; the page, nginx and the rest of the API are real.
// RATE_LIMITED waits out Retry-After before the customer can try again;
// VALIDATION marks the fields the server named.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, shot } from './lib.mjs';
import { makeEvent, watch, state, sel, fillCustomer, clickTimes, openEvent } from './customer.mjs';

const CODES = [
	[400, 'BAD_REQUEST'], [400, 'INVALID_JSON'], [401, 'UNAUTHENTICATED'], [401, 'BAD_CREDENTIALS'],
	[403, 'FORBIDDEN'], [403, 'EVENT_FORBIDDEN'], [403, 'CSRF'], [404, 'NOT_FOUND'],
	[404, 'EVENT_NOT_FOUND'], [405, 'METHOD_NOT_ALLOWED'], [409, 'SOLD_OUT'], [409, 'CONFLICT'],
	[409, 'ALREADY_USED'], [409, 'RESERVATION_EXPIRED'], [409, 'ALREADY_REFUNDED'], [413, 'TOO_LARGE'],
	[415, 'UNSUPPORTED_MEDIA_TYPE'], [422, 'VALIDATION'], [423, 'LOCKED'], [502, 'PAYMENT_PROVIDER_ERROR'],
	[503, 'UNAVAILABLE'], [500, 'INTERNAL'], [402, 'PAYMENT_REJECTED'], [409, 'ALREADY_CLAIMED'],
];
const RID = 'feedfacefeedfacefeedfacefeedface';
const envelope = (code, details = {}) => JSON.stringify({ error: { code, message: `server text for ${code}`, details }, request_id: RID });

test('every API error code is a sentence; RATE_LIMITED waits out Retry-After; VALIDATION marks fields', async () => {
	const ev = await makeEvent();
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const w = watch(page);
		let answer = null;
		let posts = 0;
		await page.route(`**/fcgi/public/events/${ev.code}/reservations`, (route) => {
			posts++;
			return answer(route);
		});
		await openEvent(page, ev.code);
		await clickTimes(page, sel.plus(ev.product.adult), 1);
		await fillCustomer(page);

		for (const [status, code] of CODES) {
			answer = (r) => r.fulfill({ status, contentType: 'application/json', body: envelope(code) });
			await page.click('[data-test="reserve"]');
			const box = await page.waitForSelector(sel.error(code));
			const text = await box.textContent();
			assert.doesNotMatch(text, /server text for/, `${code}: the page's own sentence`);
			assert.ok(text.replace(RID, '').replace(code, '').trim().length > 10, `${code}: a sentence (${text})`);
			assert.match(text, new RegExp(RID), `${code}: the request id is shown`);
		}
		// A code the page has never heard of still reads as a sentence.
		answer = (r) => r.fulfill({ status: 418, contentType: 'application/json', body: envelope('BRAND_NEW') });
		await page.click('[data-test="reserve"]');
		assert.match(await (await page.waitForSelector(sel.error('BRAND_NEW'))).textContent(), /server text for BRAND_NEW/);
		// No network at all.
		answer = (r) => r.abort('internetdisconnected');
		await page.click('[data-test="reserve"]');
		assert.match(await (await page.waitForSelector(sel.error('NETWORK'))).textContent(), /네트워크/);
		await state(page, 'event-error-network');

		// The server's field messages land next to the fields it named.
		answer = (r) => r.fulfill({
			status: 422, contentType: 'application/json',
			body: envelope('VALIDATION', { fields: { 'customer.name': '이름에 쓸 수 없는 글자가 있습니다.', 'items[0].qty': '값이 너무 큽니다.' } }),
		});
		await page.click('[data-test="reserve"]');
		await page.waitForSelector(sel.error('VALIDATION'));
		assert.equal((await page.textContent('#customer-name-error')).trim(), '이름에 쓸 수 없는 글자가 있습니다.');
		assert.equal((await page.textContent('#items-error')).trim(), '값이 너무 큽니다.');
		assert.equal(await page.getAttribute('[data-test="customer-name"]', 'aria-invalid'), 'true');
		await state(page, 'event-error-validation');

		// 429: the button waits out Retry-After, then works again.
		answer = (r) => r.fulfill({ status: 429, headers: { 'Retry-After': '3' }, contentType: 'application/json', body: envelope('RATE_LIMITED') });
		await page.click('[data-test="reserve"]');
		await page.waitForSelector(sel.error('RATE_LIMITED'));
		const before = posts;
		// A click while waiting is not an attempt: the page stays as it is
		// (an attempt would show "reserving" at once, in the click itself).
		// force: Playwright itself would wait for aria-disabled to go away.
		await page.click('[data-test="reserve"]', { force: true });
		assert.match(await page.textContent('[data-test="reserve"]'), /초 후 다시 시도할 수 있습니다/);
		assert.match(await page.textContent(sel.error('RATE_LIMITED')), /초 후에 다시/);
		assert.equal(await page.getAttribute('[data-test="reserve"]', 'aria-disabled'), 'true');
		await shot(page, 'event-rate-limited');
		await page.waitForFunction(() => document.querySelector('[data-test="reserve"]').getAttribute('aria-disabled') === 'false');
		assert.match(await page.textContent(sel.error('RATE_LIMITED')), /이제 다시 시도/);
		answer = (r) => r.continue();
		await page.click('[data-test="reserve"]');
		await page.waitForSelector('[data-test="hold-countdown"]:visible');
		assert.equal(posts, before + 1);
		w.check();
	} finally {
		await browser.close();
	}
});
