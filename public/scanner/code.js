// public/scanner/code.js — ticket codes without the network: the layout of
// the offline kit's code_format (lib/ticket.h), and the Ed25519 check with
// the kit's public keys (WebCrypto where the browser has Ed25519, else
// @noble/ed25519 from /vendor/).
//
//   const claims = parse(code);          // null: not a code of ours
//   const ok = await verify(code, kit);   // claims when genuine, else null
//   decide(code, claims, lists, kit, eventId) → a result name

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SIG_LEN = 64;
const CODE_MAX = 200;
const UNDATED = 0xffff;
const DAY_MS = 86400000;
const EPOCH_2000 = Date.UTC(2000, 0, 1);

// Canonical base32 only (uppercase, no padding, zero trailing bits).
function base32Decode(s) {
	if ([1, 3, 6].includes(s.length % 8)) return null;
	const out = [];
	let acc = 0, bits = 0;
	for (const ch of s) {
		const v = B32.indexOf(ch);
		if (v < 0) return null;
		acc = (acc << 5) | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out.push((acc >> bits) & 0xff);
		}
		acc &= (1 << bits) - 1;
	}
	return acc === 0 ? new Uint8Array(out) : null;
}

// A shortest-form LEB128 varint at bytes[pos]: [value, next pos] or null.
function varint(bytes, pos) {
	let v = 0, mul = 1;
	const start = pos;
	for (let i = 0; i < 8; i++) {
		if (pos >= bytes.length) return null;
		const b = bytes[pos++];
		v += (b & 0x7f) * mul;
		mul *= 128;
		if ((b & 0x80) === 0) {
			if (b === 0 && pos - start > 1) return null;
			return v <= Number.MAX_SAFE_INTEGER ? [v, pos] : null;
		}
	}
	return null;
}

// The claims of a code, nothing verified: {kid, eventId, ticketId,
// visitDate ('' when undated), signed, sig} or null.
export function parse(code) {
	if (typeof code !== 'string' || code.length === 0 || code.length > CODE_MAX) return null;
	const bin = base32Decode(code);
	if (!bin || bin.length < 1 || bin[0] !== 1) return null;
	let pos = 1;
	const k = varint(bin, pos); if (!k) return null; pos = k[1];
	const e = varint(bin, pos); if (!e || e[0] === 0) return null; pos = e[1];
	const t = varint(bin, pos); if (!t || t[0] === 0) return null; pos = t[1];
	if (bin.length !== pos + 2 + 4 + SIG_LEN) return null;
	const days = (bin[pos] << 8) | bin[pos + 1];
	const visitDate = days === UNDATED ? '' : new Date(EPOCH_2000 + days * DAY_MS).toISOString().slice(0, 10);
	const signedLen = pos + 2 + 4;
	return {
		kid: String(k[0]), eventId: e[0], ticketId: t[0], visitDate,
		signed: bin.slice(0, signedLen), sig: bin.slice(signedLen),
	};
}

function b64bytes(s) {
	const raw = atob(s);
	const out = new Uint8Array(raw.length);
	for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
	return out;
}

let webcryptoEd25519 = null; // unknown until first use
let noble = null;

async function verifySig(pub, sig, msg) {
	if (webcryptoEd25519 !== false) {
		try {
			const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
			webcryptoEd25519 = true;
			return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg);
		} catch (e) {
			if (webcryptoEd25519 === true) return false;
			webcryptoEd25519 = false;
		}
	}
	noble = noble || await import('/vendor/noble-ed25519.js');
	try { return await noble.verifyAsync(sig, msg, pub); } catch { return false; }
}

// Which implementation verified (for the status line and the tests).
export function engine() {
	return webcryptoEd25519 === false ? 'noble' : webcryptoEd25519 ? 'webcrypto' : 'unknown';
}

// The claims when the code is signed by a key of the kit, else null.
export async function verify(code, kit) {
	const c = parse(code);
	if (!c || !kit || !Array.isArray(kit.keys)) return null;
	const key = kit.keys.find((k) => k.kid === c.kid && k.alg === 'Ed25519');
	if (!key) return null;
	return (await verifySig(b64bytes(key.public_key), c.sig, c.signed)) ? c : null;
}

// Today in the event's zone (the kit's timezone), YYYY-MM-DD.
export function today(kit) {
	const tz = (kit && kit.timezone) || 'Asia/Seoul';
	return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

// The offline verdict: the same rules as the server, with what the device
// knows: lists = {used: Set, revoked: Set} (the kit's and the codes it
// admitted itself) and the kit (its zone gives today).
export function decide(code, claims, lists, kit, eventId) {
	if (!claims) return 'invalid';
	if (claims.eventId !== Number(eventId)) return 'wrong_event';
	if (lists.revoked.has(code)) return 'refunded';
	if (lists.used.has(code)) return 'already_used';
	if (claims.visitDate && claims.visitDate !== today(kit)) return 'wrong_date';
	return 'ok';
}
