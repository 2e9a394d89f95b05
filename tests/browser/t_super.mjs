// The super admin's console /super-admin/ in Chromium: the super admin
// creates an event and an admin through the forms, assigns the admin as
// MANAGER of the event, and that admin then logs into /admin/ and sees
// only that event; an admin who is not super is turned away; an API error
// is a toast; a 1280×800 screenshot of every section.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, shot, api, axeSerious, uniq, SUPER_PW, BASE } from './lib.mjs';
import { consoleLogin, section, mkEvent, mkAdmin, PASSWORD, seoulDate } from './consoles.mjs';

const SECTIONS = ['analytics', 'events', 'admins', 'activity', 'settings'];

let browser;
test.before(async () => { browser = await launch(); });
test.after(async () => { await browser.close(); });

test('the super admin creates an event and an admin, assigns MANAGER; that admin sees only that event', async () => {
	const code = `s${uniq(8)}`;
	const username = `t_sa_${uniq(8)}`;
	const { context, page } = await consoleLogin(browser, '/super-admin/', 'superadmin', SUPER_PW);
	try {
		await section(page, 'events', '[data-test=event-row]');
		await page.click('[data-test=event-new]');
		await page.fill('[data-test=event-code]', code);
		await page.fill('[data-test=event-title-input]', `새 전시 ${code}`);
		await page.fill('[data-test=event-starts]', seoulDate(0));
		await page.fill('[data-test=event-ends]', seoulDate(20));
		await page.fill('[data-test=event-form] [name=hold_seconds]', '420');
		await page.fill('[data-test=event-form] [name=max_per_order]', '6');
		await shot(page, 'super-event-form', { fullPage: false });
		await page.click('[data-test=event-save]');
		const row = page.locator(`[data-test=event-row][data-code="${code}"]`);
		await row.waitFor();
		await row.locator('[data-test=event-activate]').click();
		await page.waitForSelector(`[data-test=event-row][data-code="${code}"] [data-test=event-deactivate]`);
		const eventId = Number(await row.getAttribute('data-event-id'));
		const tok = (await api('POST', '/fcgi/super-admin/login', { body: { username: 'superadmin', password: SUPER_PW } })).body.token;
		const ev = await api('GET', `/fcgi/super-admin/events/${eventId}`, { token: tok });
		assert.equal(ev.body.event.hold_seconds, 420);
		assert.equal(ev.body.event.max_per_order, 6);
		assert.equal(ev.body.event.is_active, true);

		await section(page, 'admins', '[data-test=admin-row]');
		await page.click('[data-test=admin-new]');
		await page.fill('[data-test=admin-username]', username);
		await page.fill('[data-test=admin-password]', PASSWORD);
		await page.fill('[data-test=admin-name]', '새 매니저');
		await page.click('[data-test=admin-save]');
		// Saving a new admin opens its assignment form.
		const assignRow = page.locator(`[data-test=assign-row][data-event-id="${eventId}"]`);
		await assignRow.waitFor();
		await assignRow.locator('[data-test=assign-level]').selectOption('3');
		await shot(page, 'super-assign', { fullPage: false });
		await page.click('[data-test=assign-save]');
		await page.waitForSelector(`[data-test=admin-row][data-username="${username}"] >> text=${code}`);
	} finally {
		await context.close();
	}

	const login = await consoleLogin(browser, '/admin/', username, PASSWORD);
	try {
		const options = await login.page.$$eval('[data-test=event-switch] option', (os) => os.map((o) => o.textContent));
		assert.equal(options.length, 1);
		assert.match(options[0], new RegExp(code));
		assert.equal(await login.page.textContent('[data-test=level]'), '매니저 (MANAGER)');
		await login.page.waitForSelector('[data-test=metric-paid-orders]');
		await shot(login.page, 'super-new-manager-admin', { fullPage: false });
	} finally {
		await login.context.close();
	}
});

test('an admin who is not super is turned away; an API error is a toast with its request id', async () => {
	const ev = await mkEvent('sup');
	const mgr = await mkAdmin(ev, 3, 'nm');
	const { context, page } = await newPage(browser, { viewport: { width: 1280, height: 800 } });
	try {
		await page.goto(BASE + '/super-admin/');
		await page.fill('[data-test=login-username]', mgr.username);
		await page.fill('[data-test=login-password]', PASSWORD);
		await page.click('[data-test=login-submit]');
		await page.waitForSelector('[data-test=toast]');
		assert.equal(await page.locator('[data-test=logout]').count(), 0);
		assert.equal(await page.locator('[data-test=nav-events]').count(), 0);
	} finally {
		await context.close();
	}
	const s = await consoleLogin(browser, '/super-admin/', 'superadmin', SUPER_PW);
	try {
		await section(s.page, 'events', '[data-test=event-row]');
		await s.page.click('[data-test=event-new]');
		await s.page.fill('[data-test=event-code]', ev.code); // taken
		await s.page.fill('[data-test=event-title-input]', 'dup');
		await s.page.fill('[data-test=event-starts]', seoulDate(0));
		await s.page.fill('[data-test=event-ends]', seoulDate(1));
		await s.page.click('[data-test=event-save]');
		const toast = s.page.locator('[data-test=toast].error');
		await toast.waitFor();
		assert.equal(await toast.getAttribute('data-code'), 'CONFLICT');
		assert.match(await toast.textContent(), /요청 ID: [0-9a-f]{16,}/);
		await shot(s.page, 'super-toast', { fullPage: false });
	} finally {
		await s.context.close();
	}
});

test('screenshots of every super-admin section at 1280×800', async () => {
	const { context, page } = await consoleLogin(browser, '/super-admin/', 'superadmin', SUPER_PW);
	try {
		const axe = [];
		for (const s of SECTIONS) {
			await section(page, s, null);
			await page.waitForLoadState('networkidle');
			await shot(page, `super-${s}`, { fullPage: false });
			axe.push(...(await axeSerious(page)).map((v) => `${s}: ${v.id} ${v.nodes.length}`));
		}
		assert.deepEqual(axe, []);
		await section(page, 'analytics', '[data-test=metric-paid-orders]');
		const r = await api('GET', '/fcgi/super-admin/analytics/overview', {
			token: (await api('POST', '/fcgi/super-admin/login', { body: { username: 'superadmin', password: SUPER_PW } })).body.token });
		assert.equal(await page.getAttribute('[data-test=metric-events-active]', 'data-value'), String(r.body.overview.events_active));
		await page.click('[data-test=lang-switch]');
		await section(page, 'analytics', '[data-test=metric-paid-orders]');
		assert.equal(await page.textContent('[data-test=nav-analytics]'), 'Analytics');
		await shot(page, 'super-analytics-en', { fullPage: false });
		await page.click('[data-test=lang-switch]');
	} finally {
		await context.close();
	}
});
