// The waiting room page against API.md's contract ("Waiting room"). The
// queue API is its own piece of work (issue 13): until it is served, these
// answers stand in for it, exactly as the contract spells them, through
// Playwright's request routing; everything else is the real stack. When the
// queue API lands, the end-to-end test (admitted for real, then a
// reservation that spends the token) replaces the routes.
//
// An event with the queue on sends a customer without an admission token to
// /{code}/queue; the page joins, shows position and ETA, polls at
// poll_after_ms, and once admitted continues to booking, whose reservation
// carries the queue_token. The real booking API refuses the stand-in token
// (QUEUE_REQUIRED), which the page says and answers by going back to the
// waiting room.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, BASE } from './lib.mjs';
import { makeEvent, watch, state, assertNoRawKeys, sel, fillCustomer, clickTimes } from './customer.mjs';

const json = (route, status, body) => route.fulfill({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });

test('queue page: position and ETA, admitted, then booking with the token', async () => {
	const ev = await makeEvent({ queue: true });
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const w = watch(page);
		const calls = { join: [], poll: 0, leave: 0 };
		let admitNow = false;
		await page.route(`${BASE}/fcgi/public/events/${ev.code}/queue`, async (route) => {
			calls.join.push(route.request().postDataJSON());
			return json(route, 201, { queue_id: `q${calls.join.length}`, status: 'waiting', position: 1234, eta_seconds: 185, poll_after_ms: 400 });
		});
		await page.route(new RegExp(`/fcgi/public/events/${ev.code}/queue/q\\d+$`), async (route) => {
			if (route.request().method() === 'DELETE') {
				calls.leave++;
				return json(route, 200, { status: 'left' });
			}
			calls.poll++;
			if (admitNow) return json(route, 200, { status: 'admitted', position: 0, eta_seconds: 0, poll_after_ms: 400, queue_token: 'stand-in.token' });
			return json(route, 200, { status: 'waiting', position: 12, eta_seconds: 20, poll_after_ms: 400 });
		});

		await page.goto(`${BASE}/${ev.code}/`);
		await page.waitForURL(`${BASE}/${ev.code}/queue`);
		await page.waitForFunction(() => /12번째/.test(document.querySelector('[data-test="queue-position"]').textContent));
		assert.match(await page.textContent('[data-test="queue-eta"]'), /약 20초/);
		assert.match(await page.textContent('main'), /닫지 말고/);
		assert.deepEqual(calls.join, [{}]);
		await assertNoRawKeys(page);
		await state(page, 'queue-waiting');

		// a reload keeps the place: no second join
		await page.reload();
		await page.waitForFunction(() => /12번째/.test(document.querySelector('[data-test="queue-position"]').textContent));
		assert.equal(calls.join.length, 1);

		admitNow = true;
		await page.waitForURL(`${BASE}/${ev.code}/`);
		await page.waitForSelector('[data-test="product"]');
		assert.equal(await page.evaluate((c) => JSON.parse(sessionStorage.getItem(`ticketd.admit.${c}`)).queue_token, ev.code), 'stand-in.token');
		await state(page, 'queue-admitted-booking');

		await clickTimes(page, sel.plus(ev.product.adult), 1);
		await fillCustomer(page);
		const [req] = await Promise.all([
			page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/events/${ev.code}/reservations`)),
			page.click('[data-test="reserve"]'),
		]);
		assert.equal(req.postDataJSON().queue_token, 'stand-in.token');
		const err = await page.waitForSelector(sel.error('QUEUE_REQUIRED'));
		assert.match(await err.textContent(), /대기실/);
		await state(page, 'event-queue-required');
		await page.waitForURL(`${BASE}/${ev.code}/queue`);

		// back in line; leaving says so and offers to join again
		admitNow = false;
		await page.waitForSelector('#leave:visible');
		await page.click('#leave');
		await page.waitForSelector('#rejoin:visible');
		assert.equal(calls.leave, 1);
		await state(page, 'queue-left');
		w.check();
	} finally {
		await browser.close();
	}
});
