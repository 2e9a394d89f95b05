// The consoles' texts: every key the code asks t() for, literally or as a
// `prefix.${…}` family, exists in Korean and in English (a missing key
// would show the key itself on the page).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const APPS = [
	{ dir: 'public/admin', texts: 'public/admin/texts.js' },
	{ dir: 'public/super-admin', texts: 'public/super-admin/texts.js' },
	{ dir: 'public/shared', texts: 'public/shared/console-texts.js', only: ['console.js'] },
];

// Imported from its text: the files are ES modules served to browsers,
// and package.json does not declare a module type for node.
async function load(file) {
	const src = readFileSync(path.join(ROOT, file), 'utf8');
	return (await import(`data:text/javascript,${encodeURIComponent(src)}`)).default;
}

for (const app of APPS) {
	test(`${app.dir}: every text exists in both languages`, async () => {
		const own = await load(app.texts);
		const shared = await load('public/shared/console-texts.js');
		const ko = { ...shared.ko, ...own.ko };
		const en = { ...shared.en, ...own.en };
		assert.deepEqual(Object.keys(own.ko).sort(), Object.keys(own.en).sort(), 'ko and en have the same keys');
		const files = readdirSync(path.join(ROOT, app.dir)).filter((f) => f.endsWith('.js') && (!app.only || app.only.includes(f)));
		const missing = [];
		for (const f of files) {
			const src = readFileSync(path.join(ROOT, app.dir, f), 'utf8');
			for (const m of src.matchAll(/\bt\('([a-z]+\.[a-zA-Z0-9_.]+)'/g)) {
				if (!(m[1] in ko) || !(m[1] in en)) missing.push(`${f}: ${m[1]}`);
			}
			for (const m of src.matchAll(/\bt\(`([a-z]+\.[a-zA-Z0-9_.]*)\$\{/g)) {
				if (!Object.keys(ko).some((k) => k.startsWith(m[1]))) missing.push(`${f}: ${m[1]}…`);
			}
		}
		assert.deepEqual(missing, []);
	});
}
