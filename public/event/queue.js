// public/event/queue.js — /{code}/queue, the waiting room (API.md, "Waiting
// room"): join once (the queue id is kept in this tab, so a reload keeps the
// place), poll at the server's poll_after_ms plus up to 20 % jitter (never
// sooner: a crowd must not poll in step), show position and ETA. Admitted:
// the queue_token is kept for the exhibition page, which sends it with the
// reservation, and the customer goes there at once.
import { api, ApiError } from '/shared/api.js';
import { $, t, start, eventCode, eventApi, showError, setTitle, store, keys, lang } from './common.js';

const code = eventCode();
const S = { title: '', q: null, phase: 'joining', error: null, at: 0, backoff: 1000 };
let timer = 0;

const queuePath = (id = '') => eventApi(code, `/queue${id ? `/${encodeURIComponent(id)}` : ''}`);
const unwrap = (body) => (body && body.queue) || body || {};

function later(fn, ms) {
	clearTimeout(timer);
	timer = setTimeout(fn, ms);
}

function apply(q) {
	S.q = { ...(S.q || {}), ...q };
	S.at = Date.now();
	S.error = null;
	S.backoff = 1000;
	if (q.status === 'admitted' && q.queue_token) {
		store.set(keys.admit(code), { queue_token: q.queue_token, queue_id: S.q.queue_id, at: Date.now() });
		store.del(keys.queue(code));
		S.phase = 'admitted';
		render();
		later(() => location.replace(`/${code}/`), 600);
		return;
	}
	if (q.status === 'expired') {
		store.del(keys.queue(code));
		S.phase = 'expired';
		render();
		return;
	}
	S.phase = 'waiting';
	render();
	const every = Math.max(500, Number(S.q.poll_after_ms) || 2000);
	later(poll, every * (1 + 0.2 * Math.random()));
}

// A failed call: the place is kept; try again after Retry-After or a growing pause.
function failed(e, again) {
	if (!(e instanceof ApiError)) throw e;
	if (e.code === 'EVENT_NOT_FOUND') {
		S.phase = 'gone';
		S.error = e;
		render();
		return;
	}
	S.error = e;
	const wait = e.retryAfter !== undefined ? e.retryAfter * 1000 : S.backoff;
	e.retryUntil = Date.now() + wait;
	S.backoff = Math.min(S.backoff * 2, 30000);
	render();
	later(again, wait);
}

async function join(vip) {
	S.phase = 'joining';
	render();
	try {
		const body = vip ? { vip_code: vip } : {};
		const q = unwrap(await api.post(queuePath(), body));
		store.set(keys.queue(code), { queue_id: q.queue_id });
		apply(q);
	} catch (e) {
		failed(e, () => join(vip));
	}
}

async function poll() {
	const saved = store.get(keys.queue(code));
	if (!saved || !saved.queue_id) return join();
	try {
		apply({ queue_id: saved.queue_id, ...unwrap(await api.get(queuePath(saved.queue_id))) });
	} catch (e) {
		if (e.code === 'NOT_FOUND') {
			store.del(keys.queue(code));
			S.phase = 'expired';
			S.error = new ApiError({ status: 404, code: 'NOT_FOUND' });
			render();
			return;
		}
		failed(e, poll);
	}
}

async function leave(thenJoinVip) {
	clearTimeout(timer);
	const saved = store.get(keys.queue(code));
	store.del(keys.queue(code));
	if (saved && saved.queue_id) {
		try { await api.del(queuePath(saved.queue_id)); } catch { /* gone already */ }
	}
	if (thenJoinVip !== undefined) return join(thenJoinVip);
	S.phase = 'left';
	S.q = null;
	render();
}

function etaText(s) {
	if (typeof s !== 'number' || s < 0) return t('queue.etaUnknown');
	return s < 90 ? t('queue.etaSeconds', { n: Math.max(1, Math.round(s)) }) : t('queue.etaMinutes', { n: Math.round(s / 60) });
}

function render() {
	setTitle(t('queue.title'), S.title);
	$('#event-name').textContent = S.title;
	const q = S.q || {};
	const showFigures = (S.phase === 'waiting' || (S.error && S.q)) && typeof q.position === 'number';
	$('#figures').hidden = !showFigures;
	if (showFigures) {
		$('#position').textContent = t('queue.positionN', { n: q.position.toLocaleString(lang() === 'en' ? 'en-US' : 'ko-KR') });
		$('#eta').textContent = etaText(q.eta_seconds);
	}
	$('#state').textContent = S.phase === 'joining' ? t('queue.joining')
		: S.phase === 'admitted' ? t('queue.admitted')
			: S.phase === 'expired' && !S.error ? t('queue.expired') : '';
	$('#updated').textContent = S.at && S.phase === 'waiting'
		? t('queue.updated', { at: new Date(S.at).toLocaleTimeString(lang() === 'en' ? 'en-US' : 'ko-KR') }) : '';
	$('#keep-open').hidden = !(S.phase === 'waiting' || S.phase === 'joining');
	showError($('#error'), S.error, { NOT_FOUND: 'err.queueNotFound' });
	$('#rejoin').hidden = !(S.phase === 'expired' || S.phase === 'left');
	$('#leave').hidden = S.phase !== 'waiting';
}

async function main() {
	start(render);
	let event;
	try {
		event = (await api.get(eventApi(code))).event;
	} catch (e) {
		S.phase = 'gone';
		S.error = e;
		render();
		return;
	}
	S.title = event.title;
	if (!event.queue || !event.queue.enabled) {
		location.replace(`/${code}/`); // no waiting room: straight to booking
		return;
	}
	$('#rejoin').addEventListener('click', () => join());
	$('#leave').addEventListener('click', () => leave());
	$('#vip-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		const vip = $('#vip-code').value.trim();
		if (vip) leave(vip);
	});
	// A phone that slept comes back: ask at once rather than wait out the timer.
	document.addEventListener('visibilitychange', () => {
		if (document.visibilityState === 'visible' && S.phase === 'waiting') later(poll, 0);
	});
	if (store.get(keys.queue(code))) poll();
	else join();
}

main();
