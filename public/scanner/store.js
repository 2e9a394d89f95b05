// public/scanner/store.js — the scanner's IndexedDB: the queue of scans made
// offline (one record per scan, keyed by its nonce, until the server has
// answered it) and the last offline kit of each event.
const DB = 'ticketd-scanner';
const VERSION = 1;
let dbp = null;

function open() {
	dbp = dbp || new Promise((resolve, reject) => {
		const rq = indexedDB.open(DB, VERSION);
		rq.onupgradeneeded = () => {
			const db = rq.result;
			if (!db.objectStoreNames.contains('queue')) db.createObjectStore('queue', { keyPath: 'nonce' });
			if (!db.objectStoreNames.contains('kits')) db.createObjectStore('kits', { keyPath: 'event_id' });
		};
		rq.onsuccess = () => resolve(rq.result);
		rq.onerror = () => reject(rq.error);
	});
	return dbp;
}

async function tx(store, mode, f) {
	const db = await open();
	return new Promise((resolve, reject) => {
		const t = db.transaction(store, mode);
		const s = t.objectStore(store);
		let out;
		Promise.resolve(f(s)).then((v) => { out = v; });
		t.oncomplete = () => resolve(out);
		t.onerror = () => reject(t.error);
	});
}

function req(r) {
	return new Promise((resolve, reject) => {
		r.onsuccess = () => resolve(r.result);
		r.onerror = () => reject(r.error);
	});
}

export const queue = {
	add: (scan) => tx('queue', 'readwrite', (s) => req(s.put(scan))),
	all: (eventId) => tx('queue', 'readonly', (s) => req(s.getAll()))
		.then((l) => l.filter((x) => eventId === undefined || x.event_id === eventId)),
	count: (eventId) => queue.all(eventId).then((l) => l.length),
	remove: (nonces) => tx('queue', 'readwrite', (s) => Promise.all(nonces.map((n) => req(s.delete(n))))),
};

export const kits = {
	put: (kit) => tx('kits', 'readwrite', (s) => req(s.put(kit))),
	get: (eventId) => tx('kits', 'readonly', (s) => req(s.get(eventId))),
};

// A random nonce for one scan (unique per device and scan).
export function nonce() {
	const b = new Uint8Array(16);
	crypto.getRandomValues(b);
	return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
