// tests/browser/lib.mjs — what every page test shares: Debian's Chromium
// through playwright-core, the stack's address, screenshots, axe-core, and
// small API helpers for setting up data.
//
// The stack's variables come from the environment (tools/stack.sh test
// exports them): TICKET_BASE_URL, TICKET_BUILD, TICKET_SUPERADMIN_PASSWORD.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const BASE = process.env.TICKET_BASE_URL || 'http://127.0.0.1:18080';
const BUILD = process.env.TICKET_BUILD || path.resolve('build');
export const SHOTS = path.join(BUILD, 'screenshots');
export const SUPER_PW = process.env.TICKET_SUPERADMIN_PASSWORD || 'superadmin-demo';

// The machine has no outside network: every background connection Chromium
// would make is switched off. As root the sandbox cannot start.
const FLAGS = [
	'--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--disable-default-apps',
	'--disable-extensions', '--metrics-recording-only', '--mute-audio',
];

export async function launch(extraArgs = []) {
	const args = [...FLAGS, ...extraArgs];
	if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
	return chromium.launch({
		executablePath: process.env.TICKET_CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args,
	});
}

// A phone-sized page (360×740) unless told otherwise; Korean by default.
export async function newPage(browser, opts = {}) {
	const context = await browser.newContext({
		viewport: opts.viewport || { width: 360, height: 740 },
		locale: opts.locale || 'ko-KR',
		timezoneId: 'Asia/Seoul',
		...(opts.context || {}),
	});
	const page = await context.newPage();
	page.on('pageerror', (e) => console.error(`pageerror: ${e.message}`));
	return { context, page };
}

export async function shot(page, name, opts = {}) {
	mkdirSync(SHOTS, { recursive: true });
	const file = path.join(SHOTS, `${name}.png`);
	await page.screenshot({ path: file, fullPage: opts.fullPage ?? true });
	return file;
}

// axe-core in the page: the serious and critical violations (an empty list is a pass).
// Evaluated through the DevTools protocol, not added as a <script>: the pages
// run under the CSP nginx sends, which refuses inline scripts.
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export async function axeSerious(page) {
	if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
	// Only violations are collected: the passes' details cost seconds a page.
	const res = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
	return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// JSON over HTTP against the stack. Returns { status, headers, body }.
export async function api(method, urlPath, { body, token, headers = {} } = {}) {
	const h = { ...headers };
	if (body !== undefined) h['Content-Type'] = 'application/json';
	if (token) h.Authorization = `Bearer ${token}`;
	const r = await fetch(BASE + urlPath, {
		method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
		redirect: 'manual',
	});
	const text = await r.text();
	let json = null;
	try { json = text ? JSON.parse(text) : null; } catch { json = null; }
	return { status: r.status, headers: r.headers, body: json, text };
}

export async function superLogin() {
	const r = await api('POST', '/fcgi/super-admin/login',
		{ body: { username: 'superadmin', password: SUPER_PW } });
	if (r.status !== 200) throw new Error(`super admin login: ${r.status} ${r.text}`);
	return r.body.token;
}

// Seoul's today plus days, YYYY-MM-DD. Built from the parts, not from a
// locale's pattern: Debian's Node.js formats 'en-CA' dates as M/D/YYYY, and
// Seoul has no daylight saving time to mind.
export function seoulDate(days = 0) {
	const d = new Date(Date.now() + 9 * 3600000 + days * 86400000);
	return d.toISOString().slice(0, 10);
}

// A unique lowercase suffix for codes and names made by one run.
export function uniq(n = 6) {
	const a = 'abcdefghijklmnopqrstuvwxyz';
	let s = '';
	for (let i = 0; i < n; i++) s += a[Math.floor(Math.random() * a.length)];
	return s;
}
