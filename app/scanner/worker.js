// Tongka merchant app: the camera scanner's worker. The page posts camera
// frames ({ data: ArrayBuffer of RGBA, width, height }); the worker answers
// each with { text, ms }: the QR code's text (or null) and how long the
// decode took, or { error } if it could not. It is started only when the
// scanner opens.
import init, { Scanner } from "./tongka_scanner.js";

const ready = init({ module_or_path: new URL("./tongka_scanner_bg.wasm", import.meta.url) }).then(
  () => new Scanner(),
);
ready.then(
  () => self.postMessage({ ready: true }),
  (e) => self.postMessage({ error: String(e) }),
);

self.onmessage = async (event) => {
  // Every frame gets an answer: the page waits for one before the next.
  try {
    const scanner = await ready;
    const { data, width, height } = event.data;
    const start = performance.now();
    const text = scanner.decode_rgba(new Uint8Array(data), width, height);
    self.postMessage({ text: text ?? null, ms: performance.now() - start });
  } catch (e) {
    self.postMessage({ error: String(e) });
  }
};
