// public/event/tickets.js — one ticket as the customer sees it (the order
// page and a claimed invitation): product, QR image large enough to scan off
// a phone screen, status (valid / used / refunded).
import { h, t, fmtDate, fmtDateTime } from './common.js';

const BADGE = { valid: 'ok', used: 'warn', refunded: 'sold' };

export function ticketItem(tk, i, n) {
	const status = tk.status || 'valid';
	return h('li', { class: `ticket${status === 'valid' ? '' : ' is-void'}`, 'data-test': 'ticket', 'data-code': tk.code },
		h('p', { class: 'muted', text: t('order.ticketN', { i: i + 1, n }) }),
		h('p', { class: 't-name', text: tk.product_name }),
		h('img', {
			src: tk.qr_svg_url, alt: t('order.qrAlt', { name: tk.product_name }), width: 320, height: 320, decoding: 'async',
		}),
		h('p', {},
			h('span', {
				class: `badge ${BADGE[status] || 'sold'}`, 'data-test': 'ticket-status', 'data-status': status,
				text: t(`ticket.st.${status}`),
			}),
			tk.visit_date ? ` ${fmtDate(tk.visit_date)}` : '',
			status === 'used' && tk.used_at ? ` · ${t('order.usedAt', { at: fmtDateTime(tk.used_at) })}` : ''));
}
