//! The member code (会员码, DESIGN.md "The member code and write-off"): 18
//! digits a member's phone makes by itself, so it works with no signal:
//! a 2-digit prefix that marks a Tongka member code, the member's 10-digit
//! code id, and a 6-digit one-time code (RFC 6238 TOTP, HMAC-SHA256, a
//! 30-second step) over the member's secret. The app and the server both
//! compute it here.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What marks a Tongka member code. No payment scheme uses it: shop tills
/// send 10–15 to WeChat Pay, 25–30 to Alipay and 62 to UnionPay.
pub const PREFIX: &str = "96";
/// Digits in a code id.
pub const CODE_ID_DIGITS: usize = 10;
/// Digits in the one-time part.
pub const OTP_DIGITS: u32 = 6;
/// Digits in a whole member code.
pub const CODE_DIGITS: usize = PREFIX.len() + CODE_ID_DIGITS + OTP_DIGITS as usize;
/// The TOTP time step, in milliseconds.
pub const STEP_MS: i64 = 30_000;
/// Bytes in a member's secret.
pub const SECRET_BYTES: usize = 32;

/// RFC 4226 HOTP with HMAC-SHA256: `digits` digits for `counter`.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    // Dynamic truncation: the low 4 bits of the last byte pick 4 bytes.
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    bin % 10u32.pow(digits)
}

/// The time step of an instant (Unix milliseconds).
pub fn step_at(unix_ms: i64) -> i64 {
    unix_ms.div_euclid(STEP_MS)
}

/// Milliseconds left in the step of `unix_ms` (1 to 30 000).
pub fn ms_left_in_step(unix_ms: i64) -> i64 {
    STEP_MS - unix_ms.rem_euclid(STEP_MS)
}

/// The one-time part for a step, zero-padded.
pub fn otp(secret: &[u8], step: i64) -> String {
    let step = u64::try_from(step).unwrap_or(0);
    format!(
        "{:0width$}",
        hotp(secret, step, OTP_DIGITS),
        width = OTP_DIGITS as usize
    )
}

/// The whole member code for a step.
pub fn member_code(secret: &[u8], code_id: &str, step: i64) -> String {
    format!("{PREFIX}{code_id}{}", otp(secret, step))
}

/// The code in groups, as the app shows the digits: `9612 3456 7890 123456`
/// (the one-time part last, whole).
pub fn grouped(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + 4);
    for (i, c) in code.chars().enumerate() {
        if i == 4 || i == 8 || i == 12 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A member code read from a scan or typed: its code id and one-time part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scanned {
    /// The member's code id.
    pub code_id: String,
    /// The one-time part.
    pub otp: String,
}

/// Why text is not a member code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotACode {
    /// A link: most likely a store's pay code (收款码) scanned by mistake.
    PayCode,
    /// Not 18 digits starting with the prefix.
    Malformed,
}

/// Reads a member code, as scanned or typed (spaces and dashes ignored).
pub fn parse(text: &str) -> Result<Scanned, NotACode> {
    let text = text.trim();
    if text.contains("://") || text.starts_with('/') {
        return Err(NotACode::PayCode);
    }
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() != CODE_DIGITS
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || !digits.starts_with(PREFIX)
    {
        return Err(NotACode::Malformed);
    }
    let (code_id, otp) = digits[PREFIX.len()..].split_at(CODE_ID_DIGITS);
    Ok(Scanned {
        code_id: code_id.to_string(),
        otp: otp.to_string(),
    })
}

/// Lower-case hex of bytes (how a secret travels).
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of lower- or upper-case hex, if it is hex.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, the SHA-256 column: its 32-byte seed, 8 digits.
    #[test]
    fn rfc_6238_sha256_vectors() {
        let seed = b"12345678901234567890123456789012";
        for (t, want) in [
            (59u64, 46_119_246u32),
            (1_111_111_109, 68_084_774),
            (1_111_111_111, 67_062_674),
            (1_234_567_890, 91_819_424),
            (2_000_000_000, 90_698_825),
            (20_000_000_000, 77_737_706),
        ] {
            assert_eq!(hotp(seed, t / 30, 8), want, "T = {t}");
        }
    }

    #[test]
    fn a_code_reads_back_and_anything_else_is_told_apart() {
        let secret = [7u8; SECRET_BYTES];
        let code = member_code(&secret, "0123456789", 59_000_000);
        assert_eq!(code.len(), CODE_DIGITS);
        let read = parse(&grouped(&code)).expect("a member code");
        assert_eq!(read.code_id, "0123456789");
        assert_eq!(read.otp, otp(&secret, 59_000_000));
        assert_eq!(
            parse("http://shop.example/m/demo/pay/3"),
            Err(NotACode::PayCode)
        );
        // A WeChat Pay code (prefix 13) is not ours.
        assert_eq!(parse("134567890123456789"), Err(NotACode::Malformed));
        assert_eq!(parse("96123"), Err(NotACode::Malformed));
    }

    #[test]
    fn steps_and_hex() {
        assert_eq!(step_at(59_999), 1);
        assert_eq!(step_at(-1), -1);
        assert_eq!(ms_left_in_step(60_000), 30_000);
        assert_eq!(ms_left_in_step(59_999), 1);
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(from_hex(&to_hex(&bytes)).as_deref(), Some(&bytes[..]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
