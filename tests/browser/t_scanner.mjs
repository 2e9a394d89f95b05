// The gate app (/scanner/) in Chromium at 360×740: typed codes online (ok,
// then already_used; forged, refunded and wrong-date tickets), then offline
// (context.setOffline): a genuine code admitted locally with the offline
// kit, a forged one refused, the pending count 1 → 0 once back online, and
// the server then says the ticket is used. Screenshots of every verdict.
import test from 'node:test';
import assert from 'node:assert/strict';
import { api, axeSerious, launch, newPage, shot, BASE } from './lib.mjs';
import { buy, check, forge, makeGate, seoulDate, startScanner, typeCode } from './gate.mjs';

test('scanner: online verdicts, then offline with the kit and the queue', async () => {
	const g = await makeGate('o');
	const today = await buy(g, 2);
	const refunded = await buy(g, 1, seoulDate(0), '01077770002');
	const tomorrow = await buy(g, 1, seoulDate(1), '01077770003');
	const oid = (await api('GET', `/fcgi/admin/events/${g.ev.id}/orders?q=${refunded.number}`, { token: g.token })).body.items[0].id;
	const rf = await api('POST', `/fcgi/admin/events/${g.ev.id}/orders/${oid}/refund`, {
		token: g.token, body: { reason: 'scanner test', ticket_codes: [refunded.tickets[0].code] },
	});
	assert.equal(rf.status, 201, rf.text);

	const browser = await launch();
	try {
		const { context, page } = await newPage(browser);
		await page.goto(BASE + '/scanner/');
		await page.locator('[data-test="login-username"]').waitFor();
		await shot(page, 'scanner-login');
		assert.deepEqual(await axeSerious(page), []);
		await startScanner(page, g, '동문 1');
		await page.waitForFunction(() => document.querySelector('#kit-age').textContent.length > 0);
		await shot(page, 'scanner-ready');
		assert.deepEqual((await axeSerious(page)).map((v) => v.id), []);

		const [a, b] = today.tickets.map((t) => t.code);
		assert.equal(await typeCode(page, a), 'ok');
		assert.equal(await page.locator('.v-product').textContent(), '성인 입장권');
		assert.equal(await page.locator('.v-name').textContent(), '홍*동');
		await shot(page, 'scanner-verdict-ok');
		assert.equal(await typeCode(page, a), 'already_used');
		assert.match(await page.locator('.v-extra').textContent(), /동문 1/);
		await shot(page, 'scanner-verdict-already-used');
		assert.equal(await typeCode(page, forge(b)), 'invalid');
		await shot(page, 'scanner-verdict-invalid');
		assert.equal(await typeCode(page, refunded.tickets[0].code), 'refunded');
		await shot(page, 'scanner-verdict-refunded');
		assert.equal(await typeCode(page, tomorrow.tickets[0].code), 'wrong_date');
		await shot(page, 'scanner-verdict-wrong-date');
		// The verdict clears itself, ready for the next scan.
		await page.locator('[data-test="scan-result"]').waitFor({ state: 'hidden' });
		await page.waitForFunction(() => document.querySelector('#today-count').textContent === '1');
		await shot(page, 'scanner-after');

		// Offline: the kit decides, the queue keeps the scan.
		await context.setOffline(true);
		assert.equal(await typeCode(page, b), 'ok');
		assert.equal(await page.locator('[data-test="scan-result"]').getAttribute('data-offline'), 'true');
		assert.equal(await page.locator('[data-test="scan-result"]').getAttribute('data-verifier'), 'webcrypto');
		await shot(page, 'scanner-verdict-offline-ok');
		assert.equal(await page.locator('[data-test="online-state"]').getAttribute('data-online'), 'false');
		assert.equal(await page.locator('[data-test="pending-count"]').textContent(), '1');
		assert.equal(await typeCode(page, forge(a)), 'invalid');
		await shot(page, 'scanner-verdict-offline-invalid');
		assert.equal(await typeCode(page, b), 'already_used');
		assert.equal(await page.locator('[data-test="pending-count"]').textContent(), '2');
		await page.locator('[data-test="scan-result"]').waitFor({ state: 'hidden' });
		await shot(page, 'scanner-offline-pending');
		assert.equal(await check(g, b), 'ok', 'not admitted on the server while offline');

		// Back online: the queue is uploaded, the server knows.
		await context.setOffline(false);
		await page.waitForFunction(() => document.querySelector('[data-test="pending-count"]').textContent === '0');
		assert.equal(await page.locator('[data-test="online-state"]').getAttribute('data-online'), 'true');
		assert.equal(await check(g, b), 'already_used');
		await shot(page, 'scanner-back-online');

		// English.
		await page.locator('[data-test="lang-switch"]').click();
		assert.equal(await typeCode(page, a), 'already_used');
		assert.equal(await page.locator('.v-title').textContent(), 'Already used');
		await shot(page, 'scanner-verdict-en');
	} finally {
		await browser.close();
	}
});

test('scanner: manual entry by phone lists several orders, then admits the chosen one', async () => {
	const g = await makeGate('m');
	const first = await buy(g, 1, seoulDate(0), '01077770009');
	const second = await buy(g, 2, seoulDate(0), '01077770009');
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		await startScanner(page, g, '안내 데스크');
		await page.locator('#to-manual').click();
		await page.locator('#manual-form [name="phone"]').fill('010-7777-0009');
		await page.locator('#manual-form button[type="submit"]').click();
		const choices = page.locator('#manual-out button');
		await choices.first().waitFor();
		assert.equal(await choices.count(), 2);
		await shot(page, 'scanner-manual-choose');
		await page.locator('#manual-out button', { hasText: second.number }).click();
		await page.locator('#manual-out .line', { hasText: /입장 2매/ }).waitFor();
		await shot(page, 'scanner-manual-done');
		assert.equal(await check(g, second.tickets[0].code), 'already_used');
		assert.equal(await check(g, second.tickets[1].code), 'already_used');
		assert.equal(await check(g, first.tickets[0].code), 'ok');
	} finally {
		await browser.close();
	}
});

test('scanner: offline verification falls back to @noble/ed25519 without WebCrypto Ed25519', async () => {
	const g = await makeGate('n');
	const order = await buy(g, 1);
	const code = order.tickets[0].code;
	const browser = await launch();
	try {
		const { context, page } = await newPage(browser);
		// A browser whose WebCrypto has no Ed25519 (older Safari, Firefox).
		await context.addInitScript(() => {
			const orig = crypto.subtle.importKey.bind(crypto.subtle);
			crypto.subtle.importKey = (fmt, key, alg, ...rest) => {
				if (alg && (alg === 'Ed25519' || alg.name === 'Ed25519'))
					return Promise.reject(new DOMException('Unrecognized name', 'NotSupportedError'));
				return orig(fmt, key, alg, ...rest);
			};
		});
		await startScanner(page, g, '서문');
		await page.waitForFunction(() => document.querySelector('#kit-age').textContent.length > 0);
		await context.setOffline(true);
		assert.equal(await typeCode(page, forge(code)), 'invalid');
		assert.equal(await typeCode(page, code), 'ok');
		assert.equal(await page.locator('[data-test="scan-result"]').getAttribute('data-verifier'), 'noble');
		assert.equal(await page.locator('[data-test="pending-count"]').textContent(), '1');
		await context.setOffline(false);
		await page.waitForFunction(() => document.querySelector('[data-test="pending-count"]').textContent === '0');
		assert.equal(await check(g, code), 'already_used');
	} finally {
		await browser.close();
	}
});

test('scanner: the app is installable and its files are cached for offline use', async () => {
	const browser = await launch();
	try {
		const { context, page } = await newPage(browser);
		await page.goto(BASE + '/scanner/');
		const manifest = await (await page.request.get(BASE + '/scanner/manifest.webmanifest')).json();
		assert.equal(manifest.start_url, '/scanner/');
		assert.ok(manifest.icons.some((i) => i.sizes === '512x512'));
		await page.waitForFunction(async () => {
			const r = await navigator.serviceWorker.ready;
			return !!r.active && (await caches.keys()).length > 0 && !!(await caches.match('/scanner/app.js'));
		});
		// With the network gone, a reload still opens the app from the cache.
		await context.setOffline(true);
		await page.reload();
		await page.locator('[data-test="login-username"], [data-test="event"], [data-test="code-input"]').first().waitFor();
		assert.equal(await page.title(), '입장 스캐너');
		await shot(page, 'scanner-offline-start');
	} finally {
		await browser.close();
	}
});
