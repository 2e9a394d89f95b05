// public/super-admin/app.js — the super admin's console: events, admins and
// their levels, analytics, the activity log, settings. Only an account with
// is_super gets past the login (the API refuses the rest anyway).
import { addTexts } from '/shared/i18n.js';
import { start, t } from '/shared/console.js';
import texts from './texts.js';
import { events } from './events.js';
import { admins } from './admins.js';
import { analytics, activity, settings } from './figures.js';

addTexts(texts);

start({
	family: 'super-admin',
	title: () => t('s.title'),
	sections: [
		{ id: 'analytics', label: () => t('s.nav.analytics'), render: analytics },
		{ id: 'events', label: () => t('s.nav.events'), render: events },
		{ id: 'admins', label: () => t('s.nav.admins'), render: admins },
		{ id: 'activity', label: () => t('s.nav.activity'), render: activity },
		{ id: 'settings', label: () => t('s.nav.settings'), render: settings },
	],
	async boot(principal) {
		if (!principal.is_super) throw new Error(t('s.not_super'));
		return {};
	},
});
