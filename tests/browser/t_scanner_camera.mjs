// The gate app admits a ticket from the camera alone: a real ticket's QR
// (its SVG from the API, rasterised by rsvg-convert) made into a .y4m with
// ffmpeg and fed to Chromium's fake camera. No code is typed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, launch, newPage, shot } from './lib.mjs';
import { buy, check, makeGate, startScanner } from './gate.mjs';

test('scanner: a ticket held up to the camera is admitted', async () => {
	const g = await makeGate('c');
	const order = await buy(g, 1);
	const ticket = order.tickets[0];
	const svgUrl = new URL(ticket.qr_svg_url, 'http://x');
	const svg = await api('GET', svgUrl.pathname + svgUrl.search);
	assert.equal(svg.status, 200, svg.text.slice(0, 200));

	const dir = mkdtempSync(path.join(os.tmpdir(), 'scanner-cam-'));
	const video = path.join(dir, 'ticket.y4m');
	try {
		writeFileSync(path.join(dir, 'ticket.svg'), svg.text);
		execFileSync('rsvg-convert', ['-w', '360', '-h', '360', '-b', 'white', '-o', path.join(dir, 'ticket.png'), path.join(dir, 'ticket.svg')]);
		execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', path.join(dir, 'ticket.png'),
			'-vf', 'pad=640:480:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p', '-r', '10', '-frames:v', '20', video]);

		const browser = await launch(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
			`--use-file-for-fake-video-capture=${video}`]);
		try {
			const { page } = await newPage(browser, { context: { permissions: ['camera'] } });
			await startScanner(page, g, '카메라 게이트');
			// The first verdict, from the camera alone.
			await page.waitForFunction(() => {
				const el = document.querySelector('[data-test="scan-result"]');
				return el && el.dataset.seq === '1';
			}, null, { timeout: 30000 });
			assert.equal(await page.locator('[data-test="scan-result"]').getAttribute('data-result'), 'ok');
			const kind = await page.evaluate(() => document.body.dataset.camera);
			assert.ok(kind === 'qr-scanner' || kind === 'BarcodeDetector', kind);
			await shot(page, 'scanner-camera-ok');
			assert.equal(await check(g, ticket.code), 'already_used');
		} finally {
			await browser.close();
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});
