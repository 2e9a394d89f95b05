// public/scanner/sw.js — keeps the gate app working with no network: the
// app's files (and the shared and vendor modules it loads) are cached at
// install; requests for them go to the network first and fall back to the
// cache, so a deploy is picked up at once and an offline start still works.
// The API (/fcgi/) is never cached: verdicts offline come from the kit.
const CACHE = 'ticketd-scanner-v1';
const SHELL = [
	'/scanner/', '/scanner/index.html', '/scanner/app.js', '/scanner/code.js', '/scanner/store.js',
	'/scanner/feedback.js', '/scanner/camera.js', '/scanner/texts.js', '/scanner/style.css',
	'/scanner/manifest.webmanifest', '/scanner/icon-192.png', '/scanner/icon-512.png', '/scanner/icon.svg',
	'/shared/api.js', '/shared/i18n.js',
	'/vendor/noble-ed25519.js', '/vendor/qr-scanner.min.js', '/vendor/qr-scanner-worker.min.js',
];

self.addEventListener('install', (e) => {
	e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
	e.waitUntil(caches.keys()
		.then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
		.then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
	const url = new URL(e.request.url);
	if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
	if (url.pathname.startsWith('/fcgi/')) return;
	const shell = url.pathname.startsWith('/scanner/') || SHELL.includes(url.pathname);
	if (!shell) return;
	e.respondWith(fetch(e.request)
		.then((r) => {
			if (r.ok) {
				const copy = r.clone();
				caches.open(CACHE).then((c) => c.put(e.request, copy));
			}
			return r;
		})
		.catch(() => caches.match(e.request, { ignoreSearch: true })
			.then((hit) => hit || caches.match('/scanner/index.html'))));
});
