// Closed days: an exhibition closed on a weekday and on a single date (the
// event's closed_weekdays and closed_dates) does not offer them. The page
// starts on the first open day, says which weekday is closed beside the
// date input, and a closed day chosen by hand gets its own sentence next to
// the field — the same reason (date_closed) the server would answer.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, api } from './lib.mjs';
import { makeEvent, seoulDate, state, openEvent } from './customer.mjs';

const isoWeekday = (d) => { const w = new Date(`${d}T00:00:00Z`).getUTCDay(); return w === 0 ? 7 : w; };

test('closed weekdays and dates are refused on the page, with their own sentence', async () => {
	const ev = await makeEvent();
	const today = seoulDate(0);
	const r = await api('PUT', `/fcgi/super-admin/events/${ev.id}`, {
		token: ev.token, body: { closed_weekdays: [isoWeekday(today)], closed_dates: [seoulDate(2)] },
	});
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.body.event.closed_weekdays, [isoWeekday(today)]);

	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		await openEvent(page, ev.code);
		// Today is a closed weekday: the page starts on tomorrow.
		assert.equal(await page.inputValue('[data-test="visit-date"]'), seoulDate(1));
		assert.match(await page.textContent('#visit-date-hint'), /휴관: 매주 .요일/);
		await state(page, 'closed-days-start');

		for (const closed of [seoulDate(2), seoulDate(7)]) {
			await page.fill('[data-test="visit-date"]', closed);
			await page.dispatchEvent('[data-test="visit-date"]', 'change');
			await page.waitForSelector('#visit-date-error:visible');
			assert.match(await page.textContent('#visit-date-error'), /휴관일입니다/, closed);
		}
		await state(page, 'closed-days-refused');

		// The server says the same for the same day.
		const res = await api('GET', `/fcgi/public/events/${ev.code}/products?date=${seoulDate(7)}`);
		assert.equal(res.status, 422);
		assert.equal(res.body.error.details.reasons.date, 'date_closed');

		await page.fill('[data-test="visit-date"]', seoulDate(3));
		await page.dispatchEvent('[data-test="visit-date"]', 'change');
		await page.waitForSelector('#visit-date-error', { state: 'hidden' });
	} finally {
		await browser.close();
	}
});
