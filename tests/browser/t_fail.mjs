// The fail path: the customer opens the fake Toss window and gives up
// (#fail). Toss's fail redirect releases the reservation and lands on the
// exhibition page with ?error=PAY_PROCESS_CANCELED, which is said as a
// sentence; the choice and the form are still there to try again, and the
// released tickets are back on sale.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, BASE } from './lib.mjs';
import { makeEvent, watch, state, sel, fillCustomer, clickTimes, openEvent } from './customer.mjs';

test('#fail in the payment window returns to the exhibition page with the reason', async () => {
	const ev = await makeEvent();
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const w = watch(page);
		await openEvent(page, ev.code);
		await clickTimes(page, sel.plus(ev.product.adult), 1);
		await clickTimes(page, sel.plus(ev.product.book), 1);
		await fillCustomer(page, { name: '이서연', phone: '01098765432' });
		await page.click('[data-test="reserve"]');
		await page.waitForSelector('[data-test="hold-countdown"]:visible');
		await Promise.all([page.waitForURL(/\/_fake\/toss\/checkout/), page.click('[data-test="pay"]')]);
		await Promise.all([page.waitForURL(`${BASE}/${ev.code}/**`), page.click('#fail')]);

		const err = await page.waitForSelector(sel.error('PAY_PROCESS_CANCELED'));
		assert.match(await err.textContent(), /결제를 취소하셨습니다/);
		await page.waitForFunction(() => !location.search, null, { timeout: 5000 });
		assert.equal(new URL(page.url()).pathname, `/${ev.code}/`);
		// released at once: every unit is back
		await page.waitForFunction((s) => document.querySelector(s).textContent.trim() === '50', sel.available(ev.product.adult));
		assert.equal((await page.textContent(sel.available(ev.product.book))).trim(), '20');
		// what the customer chose and typed is kept for the next try
		assert.equal((await page.textContent(sel.qty(ev.product.adult))).trim(), '1');
		assert.equal((await page.textContent(sel.qty(ev.product.book))).trim(), '1');
		assert.equal(await page.inputValue('[data-test="customer-name"]'), '이서연');
		assert.equal(await page.isVisible('#hold'), false);
		await state(page, 'event-payment-failed');

		// Other reasons Toss or the server send back are sentences too.
		for (const [code, re] of [['REJECT_CARD_COMPANY', /카드사/], ['AMOUNT_MISMATCH', /금액/], ['SOLD_OUT', /매진/], ['SOME_NEW_CODE', /SOME_NEW_CODE/]]) {
			await page.goto(`${BASE}/${ev.code}/?error=${code}`);
			const e = await page.waitForSelector(sel.error(code));
			assert.match(await e.textContent(), re, code);
		}
		w.check();
	} finally {
		await browser.close();
	}
});
