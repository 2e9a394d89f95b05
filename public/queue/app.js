// public/queue/app.js — the waiting room at /{code}/queue (issue 13's plain
// page; the customer pages may replace it).
//
// Joins the event's queue (the signed cookie keeps the place across reloads
// and tabs), polls when the server says (poll_after_ms, already jittered),
// and when admitted hands the queue_token to the booking page through
// sessionStorage ("ticketd.queue_token.<code>") and moves on to /{code}/.
// A place that is gone (dropped out, or the server lost the queue) is
// joined again, and the page says so. ?vip=<code> joins the priority lane.
import { api, ApiError } from '/shared/api.js';
import { addTexts, apply, bindSwitch, onLangChange, t } from '/shared/i18n.js';
import texts from './texts.js';

addTexts(texts);

const CONTINUE_AFTER_MS = 3000; // admitted: time to read the message
const RETRY_MS = 2000; // after a network failure or a 503 without Retry-After
export const TOKEN_KEY = (code) => `ticketd.queue_token.${code}`;

const code = location.pathname.split('/')[1] || '';
const base = `/fcgi/public/events/${encodeURIComponent(code)}`;
const vip = new URLSearchParams(location.search).get('vip');
const $ = (id) => document.getElementById(id);

let current = null; // the last answer
let timer = 0;

function show(id) {
	for (const s of ['loading', 'waiting', 'admitted']) $(s).hidden = s !== id;
}

function notice(key) {
	$('notice').hidden = !key;
	$('notice').textContent = key ? t(key) : '';
}

function error(e) {
	const el = $('error');
	if (!e) {
		el.hidden = true;
		el.textContent = '';
		delete el.dataset.code;
		return;
	}
	el.hidden = false;
	el.dataset.code = e.code || '';
	el.textContent = e.code === 'NETWORK' || e.status >= 500 ? t('retrying') : e.message;
}

function duration(s) {
	const m = Math.floor(s / 60), r = s % 60;
	return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${String(r).padStart(2, '0')}`
		: `${m}:${String(r).padStart(2, '0')}`;
}

function eta(s) {
	if (s === null || s === undefined) return t('eta_unknown');
	if (s < 60) return t('eta_soon');
	return t('eta_minutes', { n: Math.ceil(s / 60) });
}

function render() {
	const st = current;
	if (!st) return;
	$('main').dataset.queueId = st.queue_id;
	$('main').dataset.status = st.status;
	if (st.status === 'waiting') {
		show('waiting');
		$('position').textContent = t('position', { n: st.position.toLocaleString() });
		$('eta').textContent = eta(st.eta_seconds);
		$('opens').hidden = !st.opens_in_seconds;
		$('opens').textContent = st.opens_in_seconds ? t('opens_in', { time: duration(st.opens_in_seconds) }) : '';
		$('lane').hidden = st.lane !== 'vip';
	} else if (st.status === 'admitted') {
		show('admitted');
		const until = new Date(st.expires_at);
		$('until').textContent = t('admitted_until', {
			time: until.toLocaleTimeString(document.documentElement.lang === 'en' ? 'en-GB' : 'ko-KR',
				{ hour: '2-digit', minute: '2-digit' }),
		});
	}
}

function later(ms) {
	clearTimeout(timer);
	timer = setTimeout(poll, Math.max(0, ms));
}

function retry(e) {
	error(e);
	later(e.retryAfter ? e.retryAfter * 1000 : RETRY_MS);
}

function admitted() {
	notice(null);
	sessionStorage.setItem(TOKEN_KEY(code), current.queue_token);
	const next = `/${code}/`;
	$('continue').href = next;
	clearTimeout(timer);
	timer = setTimeout(() => location.assign(next), CONTINUE_AFTER_MS);
}

async function answer(st) {
	error(null);
	current = st;
	render();
	if (st.status === 'admitted') return admitted();
	if (st.status === 'expired') {
		notice(st.reason === 'spent' ? 'spent' : 'lost');
		return join();
	}
	later(st.poll_after_ms);
}

async function fatal(e) {
	if (e.code === 'QUEUE_DISABLED') return location.assign(`/${code}/`);
	show(null);
	error(e);
}

async function join() {
	try {
		await answer(await api.post(`${base}/queue`, vip ? { vip_code: vip } : {}));
	} catch (e) {
		if (!(e instanceof ApiError)) throw e;
		if (e.status === 429 || e.status >= 500 || e.code === 'NETWORK') {
			error(e);
			clearTimeout(timer);
			timer = setTimeout(join, e.retryAfter ? e.retryAfter * 1000 : RETRY_MS);
		} else fatal(e);
	}
}

async function poll() {
	if (!current) return join();
	try {
		await answer(await api.get(`${base}/queue/${encodeURIComponent(current.queue_id)}`));
	} catch (e) {
		if (!(e instanceof ApiError)) throw e;
		if (e.status === 429 || e.status >= 500 || e.code === 'NETWORK') retry(e);
		else fatal(e);
	}
}

async function start() {
	apply(document);
	bindSwitch($('lang'));
	onLangChange(render);
	try {
		const { event } = await api.get(base);
		$('event-title').textContent = event.title;
		document.title = `${t('title')} · ${event.title}`;
		if (!event.queue || !event.queue.enabled) return location.assign(`/${code}/`);
	} catch (e) {
		if (e instanceof ApiError && e.code === 'EVENT_NOT_FOUND') {
			show(null);
			return error({ code: e.code, message: t('not_found') });
		}
	}
	// Back on the tab: ask now rather than at the scheduled time.
	document.addEventListener('visibilitychange', () => {
		if (document.visibilityState === 'visible' && current && current.status === 'waiting') poll();
	});
	join();
}

start();
