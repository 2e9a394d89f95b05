// The browser setup itself: Chromium starts, reaches the stack, renders
// Hangul, and the vendored browser code is served from the build output.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, shot, BASE } from './lib.mjs';

test('chromium opens the start page and the vendor files are served', async () => {
	const browser = await launch();
	try {
		const { page } = await newPage(browser);
		const r = await page.goto(BASE + '/');
		assert.equal(r.status(), 200);
		assert.match(await page.title(), /ticketd|티켓/);
		await shot(page, 'smoke-index');
		for (const f of ['qr-scanner.min.js', 'qr-scanner-worker.min.js', 'noble-ed25519.js', 'uPlot.esm.js', 'uPlot.min.css']) {
			const v = await page.request.get(`${BASE}/vendor/${f}`);
			assert.equal(v.status(), 200, f);
		}
	} finally {
		await browser.close();
	}
});
