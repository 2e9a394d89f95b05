// The English switch: Korean by default; the switch (on every customer
// page) turns every text and error into English, sets <html lang>, and is
// remembered across pages and reloads. Both languages have every text.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, BASE } from './lib.mjs';
import { makeEvent, watch, state, assertNoRawKeys, sel, openEvent, buyApi, clickTimes, fillCustomer } from './customer.mjs';
import texts from '../../public/event/texts.js';

test('texts.js has every key in both languages', () => {
	const ko = Object.keys(texts.ko).sort();
	const en = Object.keys(texts.en).sort();
	assert.deepEqual(ko.filter((k) => !texts.en[k]), [], 'missing in English');
	assert.deepEqual(en.filter((k) => !texts.ko[k]), [], 'missing in Korean');
	for (const l of ['ko', 'en']) {
		for (const [k, v] of Object.entries(texts[l])) assert.ok(typeof v === 'string' && v.trim(), `${l} ${k} empty`);
	}
});

test('the English switch is on every page, remembered, and sets <html lang>', async () => {
	const ev = await makeEvent({ notices: [{ title: '운영 시간 변경', body: '12월 24일은 17시에 닫습니다.', pinned: false }] });
	const order = await buyApi(ev.code, { items: [{ product_id: ev.product.child, qty: 1 }] });
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const w = watch(page);
		await openEvent(page, ev.code);
		assert.equal(await page.getAttribute('html', 'lang'), 'ko');
		assert.equal((await page.textContent('[data-test="reserve"]')).trim(), '예약하기');

		await page.click('[data-test="lang-switch"]');
		assert.equal(await page.getAttribute('html', 'lang'), 'en');
		assert.equal((await page.textContent('[data-test="reserve"]')).trim(), 'Reserve');
		assert.equal((await page.textContent('[data-test="lang-switch"]')).trim(), '한국어');
		assert.match(await page.textContent('#groups'), /Tickets/);
		assert.match(await page.textContent(sel.product(ev.product.adult)), /₩15,000/);
		await assertNoRawKeys(page);
		await state(page, 'en-event');

		// errors in English too, after the switch and on a fresh load
		await page.click('[data-test="reserve"]');
		assert.match(await page.textContent('#items-error'), /at least one/);
		await page.reload();
		await page.waitForSelector('[data-test="product"]');
		assert.equal(await page.getAttribute('html', 'lang'), 'en', 'remembered across a reload');
		await clickTimes(page, sel.plus(ev.product.adult), 1);
		await fillCustomer(page, { phone: '010-0000' });
		await page.click('[data-test="reserve"]');
		assert.match(await page.textContent('#customer-phone-error'), /Korean mobile number/);
		await state(page, 'en-event-validation');

		// Every other page: English, with the switch, no text keys showing.
		const pages = [
			[`/${ev.code}/lookup`, '[data-test="lookup-submit"]', 'Find my order', 'en-lookup'],
			[`/${ev.code}/notices`, '#notice-list li', 'Notices', 'en-notices'],
			[`/${ev.code}/orders/${order.number}?access=${order.access}`, '[data-test="ticket"]', 'Mobile tickets', 'en-order'],
		];
		for (const [url, ready, text, name] of pages) {
			await page.goto(BASE + url);
			await page.waitForSelector(ready);
			assert.equal(await page.getAttribute('html', 'lang'), 'en', url);
			assert.ok(await page.isVisible('[data-test="lang-switch"]'), `${url}: lang-switch`);
			assert.match(await page.textContent('body'), new RegExp(text), url);
			await assertNoRawKeys(page);
			await state(page, name);
		}
		// an API error in English
		await page.goto(`${BASE}/${ev.code}/lookup`);
		await page.fill('[data-test="lookup-number"]', order.number);
		await page.fill('[data-test="lookup-phone"]', '01000000000');
		await page.click('[data-test="lookup-submit"]');
		assert.match(await (await page.waitForSelector(sel.error('NOT_FOUND'))).textContent(), /No order found/);

		// and back to Korean, remembered
		await page.click('[data-test="lang-switch"]');
		assert.equal(await page.getAttribute('html', 'lang'), 'ko');
		assert.match(await page.textContent(sel.error('NOT_FOUND')), /주문을 찾을 수 없습니다/, 'the shown error follows the switch');
		await page.goto(`${BASE}/${ev.code}/`);
		await page.waitForSelector('[data-test="product"]');
		assert.equal(await page.getAttribute('html', 'lang'), 'ko');
		w.check();
	} finally {
		await browser.close();
	}
});
