// Sold out while choosing: the customer has picked 2 adult tickets when
// another buyer takes the last ones. Reserving answers SOLD_OUT: the error
// names the product, its availability is read again at once and shows 0,
// and the stepper can no longer go up.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage } from './lib.mjs';
import { makeEvent, watch, state, sel, fillCustomer, clickTimes, openEvent, reserveApi, seoulDate } from './customer.mjs';

test('a product sold out while choosing shows 0 and the reservation error names it', async () => {
	const ev = await makeEvent({
		catalog: {
			quotas: [{ key: 'day', name: '일일 정원', capacity: 3, per_day: true }],
			products: [
				{ key: 'adult', type: 'TICKET', name: '성인 관람권', price: 15000, dated: true, max_per_order: 10, quotas: ['day'] },
				{ key: 'child', type: 'TICKET', name: '어린이 관람권', price: 8000, dated: true, max_per_order: 10, quotas: ['day'] },
			],
		},
	});
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const w = watch(page);
		await openEvent(page, ev.code);
		assert.equal((await page.textContent(sel.available(ev.product.adult))).trim(), '3');
		await clickTimes(page, sel.plus(ev.product.adult), 2);
		await fillCustomer(page);

		// Meanwhile, another buyer takes all three.
		const other = await reserveApi(ev.code, { date: seoulDate(0), items: [{ product_id: ev.product.adult, qty: 3 }] });
		assert.equal(other.status, 201, other.text);

		await page.click('[data-test="reserve"]');
		const err = await page.waitForSelector(sel.error('SOLD_OUT'));
		assert.match(await err.textContent(), /성인 관람권/);
		assert.match(await err.textContent(), /매진/);
		await page.waitForFunction((s) => document.querySelector(s).textContent.trim() === '0', sel.available(ev.product.adult));
		assert.equal((await page.textContent(sel.qty(ev.product.adult))).trim(), '0', 'the quantity came down to what is left');
		assert.equal(await page.getAttribute(sel.plus(ev.product.adult), 'aria-disabled'), 'true');
		assert.equal((await page.textContent(sel.available(ev.product.child))).trim(), '0', 'the shared daily capacity is gone too');
		assert.match(await page.textContent('#visit-date-error'), /매진/, 'the day itself is marked sold out');
		assert.equal(await page.isVisible('#hold'), false);
		await state(page, 'event-sold-out');
		w.check();
	} finally {
		await browser.close();
	}
});
