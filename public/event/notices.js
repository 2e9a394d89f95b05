// public/event/notices.js — /{code}/notices (the list, pinned first) and
// /{code}/notices/{id} (one notice). Bodies are plain text, line breaks kept.
import { api } from '/shared/api.js';
import { $, h, t, start, eventCode, eventApi, showError, fmtDateTime, setTitle } from './common.js';

const code = eventCode();
const id = (location.pathname.match(/\/notices\/(\d+)\/?$/) || [])[1] || '';
const LIMIT = 20;
const S = { items: [], total: 0, page: 0, notice: null, error: null, title: '', loaded: false };

async function loadPage() {
	try {
		const r = await api.get(eventApi(code, `/notices?page=${S.page + 1}&limit=${LIMIT}`));
		S.items.push(...(r.items || []));
		S.total = r.total || 0;
		S.page += 1;
	} catch (e) {
		S.error = e;
	}
	S.loaded = true;
	render();
}

function render() {
	if (!S.loaded) return;
	$('#loading').hidden = true;
	$('#event-name').textContent = S.title;
	if (S.error) {
		$('#list').hidden = true;
		$('#detail').hidden = true;
		showError($('#page-error'), S.error);
		setTitle(t('notices.title'), S.title);
		return;
	}
	if (id) {
		if (!S.notice) return;
		setTitle(S.notice.title, S.title);
		$('#detail').hidden = false;
		$('#notice-title').replaceChildren(S.notice.pinned ? h('span', { class: 'badge', text: t('ev.pinned') }) : '', S.notice.title);
		$('#notice-date').textContent = fmtDateTime(S.notice.created_at);
		$('#notice-body').textContent = S.notice.body;
		return;
	}
	setTitle(t('notices.title'), S.title);
	$('#list').hidden = false;
	$('#empty').hidden = S.items.length > 0;
	$('#more').hidden = S.items.length >= S.total;
	$('#notice-list').replaceChildren(...S.items.map((n) => h('li', {},
		n.pinned ? h('span', { class: 'badge', text: t('ev.pinned') }) : '',
		h('a', { href: `/${code}/notices/${n.id}`, text: n.title }),
		h('p', { class: 'muted', text: fmtDateTime(n.created_at) }))));
}

async function main() {
	start(render);
	api.get(eventApi(code)).then(({ event }) => { S.title = event.title; render(); }, () => {});
	if (id) {
		try {
			S.notice = (await api.get(eventApi(code, `/notices/${id}`))).notice;
		} catch (e) {
			S.error = e;
		}
		S.loaded = true;
		render();
	} else {
		$('#more').addEventListener('click', loadPage);
		await loadPage();
	}
}

main();
