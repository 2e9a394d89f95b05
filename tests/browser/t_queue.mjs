// The waiting room page /{code}/queue (public/queue.html): waiting with a
// position before the opening, a refresh keeps the place (cookie), a lost
// place is joined again and the page says so, admission hands a working
// queue_token to booking, English, and no serious accessibility problem.
import test from 'node:test';
import assert from 'node:assert/strict';
import { api, axeSerious, BASE, launch, newPage, shot, superLogin, uniq } from './lib.mjs';

const CATALOG_WAIT_MS = Number(process.env.TICKET_CATALOG_TTL_MS || 2000) + 300;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, '+00:00');

async function setup() {
	const token = await superLogin();
	const code = `qp${uniq(8)}`;
	const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10);
	let r = await api('POST', '/fcgi/super-admin/events', {
		token,
		body: {
			code, title: '빛의 정원 특별전', starts_on: day(-2), ends_on: day(30),
			queue: { enabled: true, admit_per_second: 1000, max_active: 100, opens_at: iso(Date.now() + 3600000) },
		},
	});
	assert.equal(r.status, 201, r.text);
	const id = r.body.event.id;
	r = await api('POST', `/fcgi/super-admin/events/${id}/activate`, { token });
	assert.equal(r.status, 200, r.text);
	r = await api('POST', `/fcgi/admin/events/${id}/quotas`, { token, body: { name: 'Hall', capacity: 50, per_day: false } });
	assert.equal(r.status, 201, r.text);
	const quota = r.body.quota.id;
	r = await api('POST', `/fcgi/admin/events/${id}/products`, {
		token, body: { type: 'TICKET', name: '성인', price: 15000, dated: false, quota_ids: [quota] },
	});
	assert.equal(r.status, 201, r.text);
	return { token, code, id, product: r.body.product.id };
}

const qid = (page) => page.locator('main').getAttribute('data-queue-id');
const poke = (page) => page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));

test('waiting room: wait, refresh, lose the place, get admitted, book', async () => {
	const ev = await setup();
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		await page.goto(`${BASE}/${ev.code}/queue`);
		await page.locator('[data-test=queue-position]').filter({ hasText: /1번째/ }).waitFor();
		assert.equal(await page.locator('[data-test=event-title]').textContent(), '빛의 정원 특별전');
		assert.equal(await page.locator('[data-test=queue-eta]').textContent(), '계산 중');
		assert.match(await page.locator('#opens').textContent(), /후에 열립니다/);
		await shot(page, 'queue-waiting-360');
		assert.deepEqual(await axeSerious(page), []);
		const first = await qid(page);

		// A refresh keeps the place.
		await page.reload();
		await page.locator('main[data-status=waiting]').waitFor();
		assert.equal(await qid(page), first);

		// The place is lost (here: given up from elsewhere): the page joins again and says so.
		let r = await api('DELETE', `/fcgi/public/events/${ev.code}/queue/${first}`);
		assert.equal(r.status, 200, r.text);
		await poke(page);
		await page.locator('#notice').filter({ hasText: /다시 줄을 섰습니다/ }).waitFor();
		await page.waitForFunction((q) => {
			const m = document.querySelector('main');
			return m.dataset.queueId !== q && m.dataset.status === 'waiting';
		}, first);
		const second = await qid(page);
		assert.notEqual(second, first);
		await shot(page, 'queue-rejoined-360');

		// The opening: admitted, the token goes to booking and books.
		r = await api('PUT', `/fcgi/super-admin/events/${ev.id}`, { token: ev.token, body: { queue: { opens_at: iso(Date.now() - 1000) } } });
		assert.equal(r.status, 200, r.text);
		await sleep(CATALOG_WAIT_MS);
		await poke(page);
		await page.locator('[data-test=queue-continue]').waitFor();
		await shot(page, 'queue-admitted-360');
		assert.equal(await page.locator('[data-test=queue-continue]').getAttribute('href'), `/${ev.code}/`);
		const tok = await page.evaluate((c) => sessionStorage.getItem(`ticketd.queue_token.${c}`), ev.code);
		assert.match(tok, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
		await page.waitForURL(`${BASE}/${ev.code}/`);
		r = await api('POST', `/fcgi/public/events/${ev.code}/reservations`, {
			body: { items: [{ product_id: ev.product, qty: 1 }], customer: { name: '홍길동', phone: '01012345678' }, queue_token: tok },
		});
		assert.equal(r.status, 201, r.text);
	} finally {
		await browser.close();
	}
});

test('waiting room in English on a wide screen, and an unknown event', async () => {
	const ev = await setup();
	const browser = await launch();
	try {
		const { page } = await newPage(browser, { viewport: { width: 1280, height: 800 } });
		await page.goto(`${BASE}/${ev.code}/queue`);
		await page.locator('main[data-status=waiting]').waitFor();
		await page.locator('[data-test=lang-switch]').click();
		assert.equal(await page.locator('[data-test=queue-position]').textContent(), '#1');
		assert.equal(await page.locator('[data-test=queue-eta]').textContent(), 'Calculating');
		await shot(page, 'queue-waiting-en-1280');
		await page.reload();
		await page.locator('main[data-status=waiting]').waitFor();
		assert.equal(await page.locator('h2:visible').first().textContent(), 'You are in line');
		await page.locator('[data-test=lang-switch]').click();

		await page.goto(`${BASE}/zz${uniq(8)}/queue`);
		await page.locator('[data-test=error][data-code=EVENT_NOT_FOUND]').waitFor();
		await shot(page, 'queue-not-found-1280');
	} finally {
		await browser.close();
	}
});
