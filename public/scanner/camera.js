// public/scanner/camera.js — one camera stream while the scan screen is up,
// QR codes only: the browser's BarcodeDetector where it exists, else
// qr-scanner (npm, served from /vendor/).
const SCAN_INTERVAL_MS = 150;
const SCAN_WIDTH = 800; // pixels of a frame the decoder looks at, at most

export async function startCamera(video, onCode) {
	if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return null;
	let detector = null;
	if ('BarcodeDetector' in window) {
		try {
			const formats = await window.BarcodeDetector.getSupportedFormats();
			if (formats.includes('qr_code')) detector = new window.BarcodeDetector({ formats: ['qr_code'] });
		} catch { detector = null; }
	}
	if (detector) {
		const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
		video.srcObject = stream;
		await video.play();
		let stopped = false;
		const tick = async () => {
			if (stopped) return;
			try {
				const found = await detector.detect(video);
				if (found.length) onCode(found[0].rawValue);
			} catch { /* frame not ready */ }
			setTimeout(tick, SCAN_INTERVAL_MS);
		};
		tick();
		return { kind: 'BarcodeDetector', stop() { stopped = true; stream.getTracks().forEach((t) => t.stop()); } };
	}
	const { default: QrScanner } = await import('/vendor/qr-scanner.min.js');
	const scanner = new QrScanner(video, (r) => onCode(typeof r === 'string' ? r : r.data), {
		returnDetailedScanResult: true, preferredCamera: 'environment', maxScansPerSecond: 8,
		highlightScanRegion: false, highlightCodeOutline: false,
		// The whole frame (the default is its centre), at most SCAN_WIDTH wide.
		calculateScanRegion: (v) => {
			const w = v.videoWidth, h = v.videoHeight, k = Math.min(1, SCAN_WIDTH / w);
			return { x: 0, y: 0, width: w, height: h, downScaledWidth: Math.round(w * k), downScaledHeight: Math.round(h * k) };
		},
	});
	await scanner.start();
	return { kind: 'qr-scanner', stop() { scanner.stop(); scanner.destroy(); } };
}
