// public/scanner/feedback.js — a distinct beep and vibration per verdict, so
// the steward knows the answer without looking.
const PATTERNS = {
	ok: { tones: [[880, 0.12]], vibrate: [80] },
	already_used: { tones: [[440, 0.15], [440, 0.15]], vibrate: [120, 80, 120] },
	error: { tones: [[220, 0.45]], vibrate: [400] },
};
let ctx = null;

// Browsers only let audio start after a user gesture: call on the first tap.
export function unlockAudio() {
	if (!ctx && (window.AudioContext || window.webkitAudioContext)) {
		try { ctx = new (window.AudioContext || window.webkitAudioContext)(); } catch { ctx = null; }
	}
}

export function signal(result) {
	const p = PATTERNS[result] || PATTERNS[result === 'ok' ? 'ok' : 'error'];
	if (navigator.vibrate) { try { navigator.vibrate(p.vibrate); } catch { /* not allowed */ } }
	if (!ctx) return;
	let t = ctx.currentTime;
	for (const [freq, len] of p.tones) {
		const o = ctx.createOscillator();
		const g = ctx.createGain();
		o.frequency.value = freq;
		o.type = 'square';
		g.gain.value = 0.08;
		o.connect(g).connect(ctx.destination);
		o.start(t);
		o.stop(t + len);
		t += len + 0.06;
	}
}
