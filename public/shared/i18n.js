// public/shared/i18n.js — Korean first, English by a remembered switch.
//
// Each page (or app) keeps its texts in its own module as
//   export default { ko: { key: '…' }, en: { key: '…' } }
// and registers them: addTexts(texts). t('key', {n: 3}) fills #{n}-style
// parameters ({n} in the text). apply(root) fills every element that has
// data-i18n="key" (its text), data-i18n-placeholder, data-i18n-aria-label or
// data-i18n-title, and sets <html lang>. Every text must exist in both
// languages; a missing key shows the key itself, so a test can catch it.
const KEY = 'ticketd.lang';
const dict = { ko: {}, en: {} };
const listeners = new Set();

export function lang() {
	const l = localStorage.getItem(KEY);
	return l === 'en' ? 'en' : 'ko';
}

export function setLang(l) {
	localStorage.setItem(KEY, l === 'en' ? 'en' : 'ko');
	apply(document);
	for (const f of listeners) f(lang());
}

// f(lang) runs after every switch: pages re-render what they built by hand.
export function onLangChange(f) { listeners.add(f); }

export function addTexts(texts) {
	for (const l of ['ko', 'en']) Object.assign(dict[l], texts[l] || {});
}

export function t(key, params) {
	let s = dict[lang()][key] ?? dict.ko[key] ?? key;
	if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
	return s;
}

export function apply(root = document) {
	document.documentElement.lang = lang();
	for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
	for (const [attr, name] of [['i18nPlaceholder', 'placeholder'], ['i18nAriaLabel', 'aria-label'], ['i18nTitle', 'title']]) {
		for (const el of root.querySelectorAll(`[data-${attr.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}]`))
			el.setAttribute(name, t(el.dataset[attr]));
	}
}

// A button with data-test="lang-switch" toggles between the two.
export function bindSwitch(button) {
	const label = () => { button.textContent = lang() === 'ko' ? 'English' : '한국어'; };
	label();
	button.addEventListener('click', () => { setLang(lang() === 'ko' ? 'en' : 'ko'); label(); });
}

// Money in KRW with thousands separators: 15000 → "15,000원" / "₩15,000".
export function won(n) {
	const s = Number(n).toLocaleString('ko-KR');
	return lang() === 'en' ? `₩${s}` : `${s}원`;
}
