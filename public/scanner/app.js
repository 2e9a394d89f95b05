// public/scanner/app.js — the gate app (/scanner/): log in (STAFF+), choose
// the exhibition, gate and device (remembered), then scan: camera, typed
// codes or a keyboard-wedge scanner (code + Enter). Online, the server
// decides (POST /fcgi/entrance/scan); when the network is gone or a scan
// takes longer than ONLINE_TIMEOUT_MS, the device decides with the offline
// kit (signature, used and revoked lists) and queues the scan with a nonce
// in IndexedDB, uploaded when the network is back (the `online` event and a
// timer). The verdict fills the screen, beeps and vibrates, and clears
// itself for the next scan.
import { api, ApiError, setCsrf } from '/shared/api.js';
import { addTexts, apply, bindSwitch, onLangChange, t } from '/shared/i18n.js';
import texts from './texts.js';
import { decide, engine, verify } from './code.js';
import { kits, nonce, queue } from './store.js';
import { signal, unlockAudio } from './feedback.js';
import { startCamera } from './camera.js';

const ENT = '/fcgi/entrance/';
const ONLINE_TIMEOUT_MS = 1500; // a slower scan is decided offline
const KIT_REFRESH_MS = 60000;
const UPLOAD_EVERY_MS = 15000;
const UPLOAD_BATCH = 200; // scans per upload (the body limit is 64 KiB)
const VERDICT_MS = 1600; // how long a verdict covers the screen
const SAME_CODE_MS = 10000; // the camera sees one QR many times: once per this
const LEVEL_STAFF = 2;
const LEVEL_MANAGER = 3;
const KEY = 'ticketd.scanner';

addTexts(texts);
const $ = (sel) => document.querySelector(sel);
const state = {
	profile: null, events: [], eventId: 0, gate: '', device: '',
	kit: null, used: new Set(), revoked: new Set(), localUsed: new Set(),
	camera: null, lastCode: '', lastCodeAt: 0, verdictTimer: 0, seq: 0, online: navigator.onLine,
};

function saved() {
	try { return JSON.parse(localStorage.getItem(KEY) || '{}'); } catch { return {}; }
}
function save(patch) { localStorage.setItem(KEY, JSON.stringify({ ...saved(), ...patch })); }

function show(id) {
	for (const s of ['login', 'setup', 'scan', 'manual']) $('#' + s).hidden = s !== id;
	if (id === 'scan') openCamera(); else closeCamera();
	if (id === 'scan') $('[data-test="code-input"]').focus();
}

// ---- online state and the queue ------------------------------------------------

function setOnline(on) {
	state.online = on;
	const el = $('[data-test="online-state"]');
	el.dataset.online = on ? 'true' : 'false';
	el.querySelector('.state-text').textContent = t(on ? 'online' : 'offline');
}

async function refreshPending() {
	const n = state.eventId ? await queue.count(state.eventId) : 0;
	$('[data-test="pending-count"]').textContent = String(n);
}

let uploading = false;
async function upload() {
	if (uploading || !state.eventId || !navigator.onLine) return;
	uploading = true;
	try {
		for (;;) {
			const batch = (await queue.all(state.eventId)).slice(0, UPLOAD_BATCH);
			if (batch.length === 0) break;
			const scans = batch.map(({ code, scanned_at, gate, device_id, nonce: n }) => ({ code, scanned_at, gate, device_id, nonce: n }));
			const res = await api.post(ENT + 'offline-scans', { event_id: state.eventId, scans });
			setOnline(true);
			for (const r of res.results || []) {
				if (r.conflict) {
					const s = batch.find((b) => b.nonce === r.nonce);
					addConflict(s ? s.code : r.nonce, r.first_gate || '');
				}
			}
			await queue.remove(batch.map((b) => b.nonce));
			await refreshPending();
		}
		refreshToday();
	} catch (e) {
		if (e instanceof ApiError && e.code === 'NETWORK') setOnline(false);
	} finally {
		uploading = false;
	}
}

function addConflict(code, gate) {
	const li = document.createElement('li');
	li.textContent = t('conflict.text', { code: code.slice(0, 10) + '…', gate });
	$('#conflicts').prepend(li);
}

// ---- the offline kit -------------------------------------------------------------

function useKit(kit) {
	state.kit = kit;
	state.used = new Set(kit.used || []);
	state.revoked = new Set(kit.revoked || []);
	const time = (kit.generated_at || '').slice(11, 16);
	$('#kit-age').textContent = t('kit.age', { time });
}

async function fetchKit() {
	if (!state.eventId) return;
	try {
		const kit = await api.get(`${ENT}events/${state.eventId}/offline-kit`);
		await kits.put(kit);
		useKit(kit);
		setOnline(true);
	} catch (e) {
		if (e instanceof ApiError && e.code === 'NETWORK') setOnline(false);
		const kit = await kits.get(state.eventId);
		if (kit && !state.kit) useKit(kit);
	}
}

async function refreshToday() {
	if (!state.eventId || !navigator.onLine) return;
	try {
		const { stats } = await api.get(`/fcgi/admin/events/${state.eventId}/entrance/stats`);
		const g = (stats.by_gate || []).find((x) => x.gate === state.gate);
		$('#today-count').textContent = String(g ? g.admitted : 0);
	} catch { /* shown again at the next refresh */ }
}

// ---- one scan ---------------------------------------------------------------------

async function scanOnline(code) {
	const ctl = new AbortController();
	const timer = setTimeout(() => ctl.abort(), ONLINE_TIMEOUT_MS);
	try {
		return await api.post(ENT + 'scan', {
			event_id: state.eventId, code, gate: state.gate, device_id: state.device, admit: true,
		}, { signal: ctl.signal });
	} finally {
		clearTimeout(timer);
	}
}

async function scanOffline(code) {
	const kit = state.kit || { keys: [] };
	const claims = await verify(code, kit);
	const used = new Set([...state.used, ...state.localUsed]);
	const result = decide(code, claims, { used, revoked: state.revoked }, kit, state.eventId);
	// A genuine code's scan is queued whatever the verdict (the server logs
	// it and may know better); a forged one is refused and not kept.
	if (claims) {
		await queue.add({
			nonce: nonce(), event_id: state.eventId, code, gate: state.gate, device_id: state.device,
			scanned_at: new Date().toISOString(),
		});
	}
	if (result === 'ok') state.localUsed.add(code);
	await refreshPending();
	return { result, offline: true, ticket: claims ? { visit_date: claims.visitDate } : null };
}

let busy = false;
async function handleCode(raw, fromCamera) {
	const code = String(raw || '').trim().toUpperCase();
	if (!code || !state.eventId) return;
	const now = Date.now();
	if (fromCamera && code === state.lastCode && now - state.lastCodeAt < SAME_CODE_MS) return;
	if (busy) return;
	busy = true;
	state.lastCode = code;
	state.lastCodeAt = now;
	let answer;
	try {
		if (!navigator.onLine) throw new ApiError({ status: 0, code: 'NETWORK' });
		answer = await scanOnline(code);
		setOnline(true);
		if (answer.result === 'ok') state.localUsed.add(code);
	} catch (e) {
		if (e.name === 'AbortError' || (e instanceof ApiError && e.code === 'NETWORK')) {
			if (e.name !== 'AbortError') setOnline(false);
			answer = await scanOffline(code);
		} else {
			answer = { result: 'error', message: e.message };
		}
	} finally {
		busy = false;
	}
	showVerdict(answer);
	if (answer.result === 'ok' && !answer.offline) refreshToday();
}

function timeOf(iso) { return iso ? iso.slice(11, 16) : ''; }

function showVerdict(a) {
	const v = $('#verdict');
	const tk = a.ticket || {};
	v.dataset.result = a.result;
	v.dataset.offline = a.offline ? 'true' : 'false';
	v.dataset.verifier = a.offline ? engine() : 'server';
	v.dataset.seq = String(++state.seq);
	v.querySelector('.v-title').textContent = t('result.' + a.result);
	v.querySelector('.v-product').textContent = tk.product_name || '';
	v.querySelector('.v-name').textContent = tk.customer_name || '';
	v.querySelector('.v-age').textContent = tk.age_group ? t('age.' + tk.age_group) : '';
	let extra = '';
	if (a.result === 'already_used' && (a.first_used_at || a.first_gate))
		extra = t('result.first_use', { time: timeOf(a.first_used_at), gate: a.first_gate || '' });
	else if (a.result === 'wrong_date' && tk.visit_date) extra = t('result.visit_date', { date: tk.visit_date });
	else if (a.offline) extra = t('result.offline_note');
	else if (a.result === 'error') extra = a.message || '';
	v.querySelector('.v-extra').textContent = extra;
	v.hidden = false;
	signal(a.result);
	clearTimeout(state.verdictTimer);
	state.verdictTimer = setTimeout(() => { v.hidden = true; $('[data-test="code-input"]').focus(); }, VERDICT_MS);
}

// ---- camera -----------------------------------------------------------------------

async function openCamera() {
	if (state.camera) return;
	try {
		state.camera = await startCamera($('#video'), (c) => handleCode(c, true));
		$('#camera-note').hidden = !!state.camera;
		document.body.dataset.camera = state.camera ? state.camera.kind : 'none';
	} catch {
		$('#camera-note').hidden = false;
		document.body.dataset.camera = 'none';
	}
}

function closeCamera() {
	if (state.camera) state.camera.stop();
	state.camera = null;
}

// ---- screens ----------------------------------------------------------------------

async function loadEvents(admin) {
	let events = (admin.events || []).filter((e) => e.level >= LEVEL_STAFF);
	if (admin.is_super && events.length === 0) {
		try {
			const r = await api.get('/fcgi/admin/events?limit=100');
			events = (r.items || []).map((e) => ({ id: e.id, code: e.code, title: e.title, level: 9 }));
		} catch { events = []; }
	}
	return events;
}

async function enterSetup() {
	const sel = $('[data-test="event"]');
	sel.replaceChildren();
	for (const e of state.events) {
		const o = document.createElement('option');
		o.value = String(e.id);
		o.textContent = e.title;
		sel.append(o);
	}
	const s = saved();
	if (s.eventId && state.events.some((e) => e.id === s.eventId)) sel.value = String(s.eventId);
	$('[data-test="gate"]').value = s.gate || '';
	$('#setup-form').device.value = s.device || '';
	$('#setup-error').hidden = state.events.length > 0;
	$('#setup-error').textContent = state.events.length ? '' : t('setup.none');
	show('setup');
}

async function startScanning() {
	const f = $('#setup-form');
	const ev = state.events.find((e) => String(e.id) === f.event.value);
	const gate = f.gate.value.trim();
	if (!ev || !gate) {
		$('#setup-error').textContent = t('setup.need');
		$('#setup-error').hidden = false;
		return;
	}
	state.eventId = ev.id;
	state.gate = gate;
	state.device = f.device.value.trim() || `scanner-${nonce().slice(0, 6)}`;
	save({ eventId: ev.id, gate, device: state.device, started: true });
	$('#where-event').textContent = ev.title;
	$('#where-gate').textContent = gate;
	$('#to-manual').hidden = ev.level < LEVEL_MANAGER;
	state.kit = null;
	state.localUsed = new Set();
	const cached = await kits.get(ev.id);
	if (cached) useKit(cached);
	show('scan');
	await Promise.all([fetchKit(), refreshPending(), refreshToday()]);
	upload();
}

async function signedIn(admin) {
	state.profile = admin;
	state.events = await loadEvents(admin);
	save({ profile: admin, events: state.events });
	const s = saved();
	if (s.started && state.events.some((e) => e.id === s.eventId)) {
		await enterSetup();
		await startScanning();
	} else {
		await enterSetup();
	}
}

async function boot() {
	apply();
	bindSwitch($('[data-test="lang-switch"]'));
	onLangChange(() => setOnline(state.online));
	setOnline(navigator.onLine);
	const s = saved();
	try {
		const { admin } = await api.get(ENT + 'me');
		await signedIn(admin);
	} catch (e) {
		if (e instanceof ApiError && e.code === 'NETWORK' && s.profile) {
			// Offline at start: the remembered account and events.
			state.profile = s.profile;
			state.events = s.events || [];
			await enterSetup();
			if (s.started) await startScanning();
		} else {
			show('login');
		}
	}
}

$('#login-form').addEventListener('submit', async (ev) => {
	ev.preventDefault();
	unlockAudio();
	const f = ev.target;
	$('#login-error').hidden = true;
	try {
		const r = await api.post(ENT + 'login', { username: f.username.value.trim(), password: f.password.value });
		setCsrf(r.csrf);
		f.password.value = '';
		await signedIn(r.admin);
	} catch (e) {
		$('#login-error').textContent = e.message || t('login.failed');
		$('#login-error').hidden = false;
	}
});

$('#setup-form').addEventListener('submit', (ev) => { ev.preventDefault(); unlockAudio(); startScanning(); });
$('[data-test="logout"]').addEventListener('click', async () => {
	try { await api.post(ENT + 'logout'); } catch { /* signed out locally anyway */ }
	setCsrf('');
	save({ profile: null, events: [], started: false });
	show('login');
});
$('#code-form').addEventListener('submit', (ev) => {
	ev.preventDefault();
	unlockAudio();
	const input = $('[data-test="code-input"]');
	const code = input.value;
	input.value = '';
	handleCode(code, false);
});
$('#to-setup').addEventListener('click', () => { save({ started: false }); enterSetup(); });
$('#to-manual').addEventListener('click', () => { $('#manual-out').replaceChildren(); show('manual'); });
$('#manual-back').addEventListener('click', () => show('scan'));
$('#verdict').addEventListener('click', () => { $('#verdict').hidden = true; });

function line(text) {
	const p = document.createElement('p');
	p.className = 'line';
	p.textContent = text;
	return p;
}

$('#manual-form').addEventListener('submit', async (ev) => {
	ev.preventDefault();
	const f = ev.target;
	const out = $('#manual-out');
	const body = { event_id: state.eventId, gate: state.gate, device_id: state.device };
	if (f.order_number.value.trim()) body.order_number = f.order_number.value.trim();
	else body.phone = f.phone.value.trim();
	out.replaceChildren();
	try {
		const r = await api.post(ENT + 'manual', body);
		out.append(line(t('manual.admitted', { n: r.admitted.length })), line(t('manual.skipped', { n: r.skipped.length })));
		for (const s of r.skipped) out.append(line(`${s.code.slice(0, 10)}… ${t('result.' + s.result)}`));
		refreshToday();
	} catch (e) {
		if (e.code === 'MULTIPLE_ORDERS') {
			out.append(line(t('manual.choose')));
			for (const o of e.details.orders || []) {
				const b = document.createElement('button');
				b.type = 'button';
				b.className = 'secondary';
				b.textContent = `${o.order_number} · ${o.customer_name} · ${o.visit_date || ''} · ${o.tickets}`;
				b.addEventListener('click', () => { f.order_number.value = o.order_number; f.phone.value = ''; f.requestSubmit(); });
				out.append(b);
			}
		} else {
			out.append(line(e.code === 'NOT_FOUND' ? t('manual.not_found') : e.message));
		}
	}
});

window.addEventListener('online', () => { setOnline(true); upload(); fetchKit(); });
window.addEventListener('offline', () => setOnline(false));
setInterval(fetchKit, KIT_REFRESH_MS);
setInterval(upload, UPLOAD_EVERY_MS);
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/scanner/sw.js', { scope: '/scanner/' }).catch(() => {});
boot();
