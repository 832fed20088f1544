//! The merchant app's QR decoder. Compiled to a wasm module of its own and
//! run in a Web Worker (`worker.js`), fetched only when the clerk opens the
//! camera scanner, so neither app's first load carries it.
//!
//! The worker hands each camera frame over as RGBA bytes; [`Scanner`] turns
//! it grey and asks quircs for the first QR code it can read.

use wasm_bindgen::prelude::*;

/// One decoder, kept for the life of the worker: quircs sizes its buffers to
/// the frame once and reuses them frame after frame.
#[wasm_bindgen]
pub struct Scanner {
    quirc: quircs::Quirc,
    grey: Vec<u8>,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl Scanner {
    /// A decoder with no frame yet.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Scanner {
        Scanner {
            quirc: quircs::Quirc::default(),
            grey: Vec::new(),
        }
    }

    /// The text of the first QR code readable in an RGBA frame of
    /// `width` × `height` pixels (a canvas's `ImageData`), if any.
    pub fn decode_rgba(&mut self, rgba: &[u8], width: u32, height: u32) -> Option<String> {
        let (w, h) = (width as usize, height as usize);
        let pixels = w.checked_mul(h)?;
        if rgba.len() < pixels.checked_mul(4)? {
            return None;
        }
        self.grey.clear();
        // ITU-R BT.601 luma in integers: what a camera's Y plane holds.
        self.grey.extend(rgba.chunks_exact(4).take(pixels).map(|p| {
            ((u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29) >> 8) as u8
        }));
        let grey = std::mem::take(&mut self.grey);
        let text = self.decode_grey(&grey, w, h);
        self.grey = grey;
        text
    }
}

impl Scanner {
    /// The text of the first QR code readable in a grey frame (one byte a
    /// pixel, row after row).
    pub fn decode_grey(&mut self, grey: &[u8], width: usize, height: usize) -> Option<String> {
        if width == 0 || height == 0 || grey.len() < width.checked_mul(height)? {
            return None;
        }
        self.quirc
            .identify(width, height, grey)
            .filter_map(Result::ok)
            .filter_map(|code| code.decode().ok())
            .find_map(|data| String::from_utf8(data.payload).ok())
    }
}

/// A grey `width` × `height` frame (one byte a pixel) showing `text` as a QR
/// code of `module` pixels a module, centred on a light background with a
/// quiet zone: what a camera held over a phone's screen sees. For tests (the
/// fake camera's video file and the decoder's own tests); not in the wasm.
#[cfg(not(target_arch = "wasm32"))]
pub fn qr_frame(text: &str, width: usize, height: usize, module: usize) -> Option<Vec<u8>> {
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let side = code.width();
    let colors = code.to_colors();
    let size = side * module;
    if size + 8 * module > width.min(height) {
        return None;
    }
    let (left, top) = ((width - size) / 2, (height - size) / 2);
    // A phone screen in a room: not quite white, not quite black.
    let mut frame = vec![200u8; width * height];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (x, y) = (i % side, i / side);
        for dy in 0..module {
            let row = (top + y * module + dy) * width;
            let start = row + left + x * module;
            frame[start..start + module].fill(30);
        }
    }
    Some(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_member_code_from_a_camera_sized_frame_in_grey_and_in_rgba() {
        let code = "964283331420258951";
        let grey = qr_frame(code, 640, 480, 8).expect("fits");
        let mut scanner = Scanner::new();
        assert_eq!(scanner.decode_grey(&grey, 640, 480).as_deref(), Some(code));
        let rgba: Vec<u8> = grey.iter().flat_map(|&g| [g, g, g, 255]).collect();
        assert_eq!(scanner.decode_rgba(&rgba, 640, 480).as_deref(), Some(code));
        // The same decoder, frame after frame.
        let other = qr_frame("960000000001123456", 640, 480, 6).expect("fits");
        assert_eq!(
            scanner.decode_grey(&other, 640, 480).as_deref(),
            Some("960000000001123456")
        );
    }

    #[test]
    fn a_frame_with_no_code_or_a_short_buffer_reads_nothing() {
        let mut scanner = Scanner::new();
        assert_eq!(scanner.decode_grey(&vec![200; 640 * 480], 640, 480), None);
        assert_eq!(scanner.decode_rgba(&[0; 16], 640, 480), None);
        assert_eq!(scanner.decode_grey(&[], 0, 0), None);
    }
}
