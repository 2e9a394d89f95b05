// public/shared/api.js — the one module that speaks to the ticketd API.
//
//   import { api, ApiError } from '/shared/api.js';
//   const { event } = await api.get('/fcgi/public/events/aaa');
//   await api.post('/fcgi/admin/events/1/notices', { title, body });
//
// Every answer that is not 2xx throws an ApiError carrying the envelope's
// stable `code`, the server's `message` (already in the asked language),
// `details`, the HTTP `status`, the `requestId` (X-Request-ID, to show on
// error screens) and, for 429/503, `retryAfter` in seconds. Network failures
// throw ApiError with code 'NETWORK' and status 0.
//
// Admin consoles sign in with the HttpOnly cookie: call setCsrf() with the
// `csrf` value login returned; it is sent as X-CSRF-Token on every request
// that changes state. Tokens are never kept in localStorage.
import { lang } from './i18n.js';

export class ApiError extends Error {
	constructor({ status, code, message, details, requestId, retryAfter }) {
		super(message || code);
		this.status = status;
		this.code = code;
		this.details = details || {};
		this.requestId = requestId || '';
		this.retryAfter = retryAfter;
	}
}

let csrf = sessionStorage.getItem('ticketd.csrf') || '';
export function setCsrf(value) {
	csrf = value || '';
	if (csrf) sessionStorage.setItem('ticketd.csrf', csrf);
	else sessionStorage.removeItem('ticketd.csrf');
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function request(method, path, body, opts = {}) {
	const headers = { Accept: 'application/json', 'Accept-Language': lang() };
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	if (UNSAFE.has(method) && csrf) headers['X-CSRF-Token'] = csrf;
	let r;
	try {
		r = await fetch(path, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			credentials: 'same-origin',
			signal: opts.signal,
		});
	} catch (e) {
		if (e.name === 'AbortError') throw e;
		throw new ApiError({ status: 0, code: 'NETWORK', message: e.message });
	}
	const requestId = r.headers.get('X-Request-ID') || '';
	const text = await r.text();
	let json = null;
	if (text) {
		try { json = JSON.parse(text); } catch { json = null; }
	}
	if (r.ok) return opts.raw ? { status: r.status, body: json, requestId, headers: r.headers } : json;
	const err = (json && json.error) || {};
	const ra = r.headers.get('Retry-After');
	throw new ApiError({
		status: r.status,
		code: err.code || `HTTP_${r.status}`,
		message: err.message || r.statusText,
		details: err.details,
		requestId: (json && json.request_id) || requestId,
		retryAfter: ra !== null && /^\d+$/.test(ra) ? Number(ra) : undefined,
	});
}

export const api = {
	get: (path, opts) => request('GET', path, undefined, opts),
	post: (path, body = {}, opts) => request('POST', path, body, opts),
	put: (path, body = {}, opts) => request('PUT', path, body, opts),
	del: (path, opts) => request('DELETE', path, undefined, opts),
};
