// Lookup: order number + phone → the order page. A wrong phone and a wrong
// (well-formed) number both say "not found" in the same words; a malformed
// number is marked on its field without asking the server.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, BASE } from './lib.mjs';
import { makeEvent, watch, state, buyApi, sel } from './customer.mjs';

test('lookup with a right and a wrong phone', async () => {
	const ev = await makeEvent();
	const order = await buyApi(ev.code, { items: [{ product_id: ev.product.adult, qty: 1 }, { product_id: ev.product.youth, qty: 1 }], phone: '01024681357' });
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const w = watch(page);
		await page.goto(`${BASE}/${ev.code}/lookup`);
		await page.waitForFunction(() => document.querySelector('#event-name').textContent.length > 0);
		await state(page, 'lookup');

		const ask = async (number, phone) => {
			await page.fill('[data-test="lookup-number"]', number);
			await page.fill('[data-test="lookup-phone"]', phone);
			await page.click('[data-test="lookup-submit"]');
		};

		await ask(order.number, '010-1111-2222');
		const wrongPhone = await (await page.waitForSelector(sel.error('NOT_FOUND'))).textContent();
		assert.match(wrongPhone, /주문을 찾을 수 없습니다/);
		await state(page, 'lookup-not-found');

		await Promise.all([
			page.waitForResponse((r) => r.url().includes('ZZZZZZZZ')),
			ask(`${ev.code.toUpperCase()}-ZZZZZZZZ`, '010-2468-1357'),
		]);
		const wrongNumber = await (await page.waitForSelector(sel.error('NOT_FOUND'))).textContent();
		assert.equal(wrongNumber.replace(/요청 ID.*$/, ''), wrongPhone.replace(/요청 ID.*$/, ''), 'the same words for both');

		await ask('not a number', '010-2468-1357');
		await page.waitForSelector('#lookup-number-error:visible');
		assert.match(await page.textContent('#lookup-number-error'), /주문번호 형식/);

		// lower case and the other phone form still find it
		await ask(order.number.toLowerCase(), '010-2468-1357');
		await page.waitForURL(new RegExp(`/${ev.code}/orders/${order.number}\\?access=`));
		await page.waitForSelector('[data-test="ticket"]');
		assert.equal((await page.$$('[data-test="ticket"]')).length, 2);
		assert.equal((await page.textContent('[data-test="order-number"]')).trim(), order.number);
		assert.equal(new URL(page.url()).searchParams.get('access'), order.access, 'the bookmarkable link');
		await state(page, 'lookup-found-order');
		w.check();
	} finally {
		await browser.close();
	}
});
