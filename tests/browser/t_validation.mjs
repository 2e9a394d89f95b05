// Validation mirrors the server: a bad phone (and a missing name, a bad
// email, the agreement left unticked, nothing chosen) is shown next to its
// field and no reservation request is sent. Fixed, the same form reserves;
// then the hold is cancelled and its tickets go back on sale.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage } from './lib.mjs';
import { makeEvent, watch, state, sel, fillCustomer, clickTimes, openEvent } from './customer.mjs';

test('a bad phone shows the field error and sends no request', async () => {
	const ev = await makeEvent();
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const w = watch(page);
		const posts = [];
		page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/reservations')) posts.push(r.url()); });
		await openEvent(page, ev.code);

		// nothing chosen, nothing typed
		await page.click('[data-test="reserve"]');
		await page.waitForSelector('#items-error:visible');
		assert.match(await page.textContent('#items-error'), /1개 이상/);
		assert.match(await page.textContent('#customer-name-error'), /필수/);
		assert.match(await page.textContent('#agree-error'), /동의/);

		await clickTimes(page, sel.plus(ev.product.adult), 1);
		for (const bad of ['010-1234-567', '0101234567', '011-1234-5678', 'O1O-1234-5678', '010-12345-678', '+82-10-1234-5678']) {
			await fillCustomer(page, { phone: bad, email: 'not-an-email' });
			await page.click('[data-test="reserve"]');
			await page.waitForSelector('#customer-phone-error:visible');
			assert.match(await page.textContent('#customer-phone-error'), /휴대폰 번호 형식/, bad);
			assert.equal(await page.getAttribute('[data-test="customer-phone"]', 'aria-invalid'), 'true');
			assert.match(await page.textContent('#customer-email-error'), /이메일 형식/);
		}
		assert.equal(await page.evaluate(() => document.activeElement.id), 'customer-phone', 'focus goes to the first wrong field');
		await state(page, 'event-validation');
		assert.deepEqual(posts, [], 'no reservation request was sent');

		// typing clears the mark; a good number in either form reserves
		await page.fill('[data-test="customer-phone"]', '01012345678');
		assert.equal(await page.isVisible('#customer-phone-error'), false);
		await page.fill('[data-test="customer-email"]', '');
		await page.click('[data-test="reserve"]');
		await page.waitForSelector('[data-test="hold-countdown"]:visible');
		assert.equal(posts.length, 1);
		assert.equal((await page.textContent(sel.available(ev.product.adult))).trim(), '50', 'unchanged until read again');

		// cancel: the hold ends, the unit is back on sale at once
		await page.click('#cancel');
		await page.waitForSelector('[data-test="reserve"]:visible');
		await page.waitForFunction((s) => document.querySelector(s).textContent.trim() === '50', sel.available(ev.product.adult));
		assert.match(await page.textContent('#products-status'), /취소했습니다/);
		await state(page, 'event-canceled');
		w.check();
	} finally {
		await browser.close();
	}
});
