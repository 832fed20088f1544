//! Validation rules, one function per kind of input. The apps run them as the
//! user types; the server runs the same functions and is authoritative.
//! Each returns the cleaned value or the reason key of the catalogue.

/// A reason key understood by [`crate::error::message`] (`InvalidField`).
pub type Reason = &'static str;

/// Fields whose text may span lines (a rejection reason, a note). Every
/// other text field of a request body is one line.
pub const MULTI_LINE_FIELDS: &[&str] = &["reason", "note", "description"];

/// Fields that hold a secret: only ever hashed, never stored or shown, so
/// whatever characters a password was set with keep working.
pub const SECRET_FIELDS: &[&str] = &["password", "current", "new"];

/// Text a person typed: no NUL or other control characters (a database
/// refuses NUL, and none of them belongs in a name or an address); a line
/// break only where `multi_line` allows it (`\n`, `\r\n` and a tab).
pub fn plain_text(value: &str, multi_line: bool) -> Result<(), Reason> {
    let allowed = |c: char| multi_line && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err("control_chars");
    }
    Ok(())
}

fn required_trimmed(value: &str, max_chars: usize) -> Result<String, Reason> {
    let v = value.trim();
    if v.is_empty() {
        return Err("required");
    }
    if v.chars().count() > max_chars {
        return Err("too_long");
    }
    Ok(v.to_string())
}

/// A mainland China mobile number: 11 digits starting 13–19. Spaces and
/// hyphens typed for readability, and a leading +86 or 86, are accepted.
pub fn phone(value: &str) -> Result<String, Reason> {
    let mut digits: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.is_empty() {
        return Err("required");
    }
    if let Some(rest) = digits.strip_prefix("+86") {
        digits = rest.to_string();
    } else if digits.len() == 13 && digits.starts_with("86") {
        digits = digits[2..].to_string();
    }
    let b = digits.as_bytes();
    let ok = b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1]);
    if ok { Ok(digits) } else { Err("phone_format") }
}

/// A 6-digit SMS code.
pub fn sms_code(value: &str) -> Result<String, Reason> {
    let v = value.trim();
    if v.is_empty() {
        return Err("required");
    }
    if v.len() == 6 && v.bytes().all(|c| c.is_ascii_digit()) {
        Ok(v.to_string())
    } else {
        Err("code_format")
    }
}

/// An invite code: 8 letters and digits (as printed, any case).
pub fn invite_code(value: &str) -> Result<String, Reason> {
    let v = value.trim().to_ascii_uppercase();
    if v.is_empty() {
        return Err("required");
    }
    if v.len() == 8 && v.bytes().all(|c| c.is_ascii_alphanumeric()) {
        Ok(v)
    } else {
        Err("invite_code_format")
    }
}

/// A person's display name: 1–20 characters.
/// A 6-digit payment PIN, not trivially guessable (all one digit, or a
/// straight run like 123456 / 654321).
pub fn pin(value: &str) -> Result<String, Reason> {
    let v = value.trim();
    if v.is_empty() {
        return Err("required");
    }
    let d = v.as_bytes();
    if d.len() != 6 || !d.iter().all(u8::is_ascii_digit) {
        return Err("pin_format");
    }
    let steps: Vec<i16> = d
        .windows(2)
        .map(|w| i16::from(w[1]) - i16::from(w[0]))
        .collect();
    if steps.iter().all(|s| *s == steps[0]) && steps[0].abs() <= 1 {
        return Err("pin_weak");
    }
    Ok(v.to_string())
}

/// A channel link: `https://…`, at most 300 characters.
pub fn https_url(value: &str) -> Result<String, Reason> {
    let v = value.trim();
    if v.len() > 300 {
        return Err("too_long");
    }
    match v.strip_prefix("https://") {
        Some(rest) if !rest.is_empty() && !rest.contains(char::is_whitespace) => Ok(v.to_string()),
        _ => Err("url_format"),
    }
}

pub fn person_name(value: &str) -> Result<String, Reason> {
    let v = required_trimmed(value, 20)?;
    if v.chars().any(char::is_control) {
        return Err("control_chars");
    }
    if v.chars().any(is_emoji) {
        return Err("emoji");
    }
    Ok(v)
}

/// A pictograph, a flag, or the joiners and selectors that build emoji.
/// Letters of every script, the middle dot `·` that Uyghur and other
/// minority names are written with, `•`, `.`, `-` and `'` are not.
fn is_emoji(c: char) -> bool {
    matches!(u32::from(c),
        0x1F000..=0x1FAFF // pictographs, emoticons, transport, flags
        | 0x2600..=0x27BF // miscellaneous symbols, dingbats
        | 0x2B00..=0x2BFF // arrows and stars used as emoji
        | 0x2300..=0x23FF // watch, hourglass, keyboard …
        | 0xFE00..=0xFE0F // variation selectors
        | 0x200D          // zero-width joiner
        | 0x20E3          // keycap
        | 0xE0000..=0xE007F // tags (subdivision flags)
    )
}

/// A region or store name: 1–40 characters.
pub fn place_name(value: &str) -> Result<String, Reason> {
    required_trimmed(value, 40)
}

/// A bank transfer's reference (流水号): 4–64 characters, no spaces.
pub fn transfer_reference(value: &str) -> Result<String, Reason> {
    let v = required_trimmed(value, 64)?;
    if v.chars().count() < 4 {
        return Err("too_short");
    }
    if v.chars().any(char::is_whitespace) {
        return Err("reference_format");
    }
    Ok(v)
}

/// Where an app may send a visitor after login: `next` only if it is a
/// path inside the app at `app_root` (`/m/demo`, `/biz/demo`): the root
/// itself or below it, with no scheme, no host (`//evil`), no backslash and
/// no control character; anything else is `None` (go home).
pub fn safe_return_path(next: &str, app_root: &str) -> Option<String> {
    let inside = next == app_root
        || next
            .strip_prefix(app_root)
            .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'));
    // No percent-escapes at all: `%2e%2e` is a `..` once the browser reads
    // it (our own paths and query values need none).
    let clean = !next.contains("//")
        && !next.contains('%')
        && !next.contains('\\')
        && !next.contains("/../")
        && !next.ends_with("/..")
        && !next.chars().any(char::is_control);
    (inside && clean && !app_root.is_empty()).then(|| next.to_string())
}

/// A street address: 1–120 characters.
pub fn address(value: &str) -> Result<String, Reason> {
    required_trimmed(value, 120)
}

/// Opening hours as free text ("09:00-21:00"): 1–60 characters.
pub fn hours(value: &str) -> Result<String, Reason> {
    required_trimmed(value, 60)
}

/// A store's phone: a landline or mobile, digits with optional hyphens, 5–20.
pub fn store_phone(value: &str) -> Result<String, Reason> {
    let v = value.trim();
    if v.is_empty() {
        return Err("required");
    }
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let ok = v.chars().all(|c| c.is_ascii_digit() || c == '-') && (5..=20).contains(&digits);
    if ok {
        Ok(v.to_string())
    } else {
        Err("store_phone_format")
    }
}

/// A staff login account: 3–32 of `a-z 0-9 _ .`, stored lowercase.
pub fn account(value: &str) -> Result<String, Reason> {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        return Err("required");
    }
    let ok = (3..=32).contains(&v.len())
        && v.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'.');
    if ok { Ok(v) } else { Err("account_format") }
}

/// A staff password: 8–64 characters with at least one letter and one digit.
pub fn password(value: &str) -> Result<String, Reason> {
    if value.is_empty() {
        return Err("required");
    }
    let n = value.chars().count();
    if n > 64 {
        return Err("too_long");
    }
    let letters = value.chars().any(char::is_alphabetic);
    let digits = value.chars().any(|c| c.is_ascii_digit());
    if n >= 8 && letters && digits {
        Ok(value.to_string())
    } else {
        Err("password_weak")
    }
}

/// A brand slug used in URLs: 2–32 of `a-z 0-9 -`, not starting with `-`.
pub fn slug(value: &str) -> Result<String, Reason> {
    let v = value.trim();
    if v.is_empty() {
        return Err("required");
    }
    let ok = (2..=32).contains(&v.len())
        && !v.starts_with('-')
        && v.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
    if ok {
        Ok(v.to_string())
    } else {
        Err("slug_format")
    }
}

/// A `#RRGGBB` colour, stored uppercase.
pub fn color(value: &str) -> Result<String, Reason> {
    let v = value.trim();
    let ok = v.len() == 7 && v.starts_with('#') && v[1..].bytes().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(v.to_ascii_uppercase())
    } else {
        Err("color_format")
    }
}

/// A calendar date `YYYY-MM-DD`, from 1900 up to `today` (also `YYYY-MM-DD`).
pub fn birthday(value: &str, today: &str) -> Result<String, Reason> {
    let v = value.trim();
    let (y, m, d) = parse_date(v).ok_or("date_format")?;
    if y < 1900 {
        return Err("date_format");
    }
    if parse_date(today).is_some_and(|t| (y, m, d) > t) {
        return Err("date_future");
    }
    Ok(v.to_string())
}

/// Parses `YYYY-MM-DD` into a valid (year, month, day).
pub fn parse_date(v: &str) -> Option<(i32, u32, u32)> {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = v[0..4].parse().ok()?;
    let m: u32 = v[5..7].parse().ok()?;
    let d: u32 = v[8..10].parse().ok()?;
    (1..=days_in_month(y, m)?).contains(&d).then_some((y, m, d))
}

/// The days of month `m` of year `y` (Gregorian), or none for no month.
pub fn days_in_month(y: i32, m: u32) -> Option<u32> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    Some(match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    })
}

/// A month, `YYYY-MM`: (year, month).
pub fn month(v: &str) -> Option<(i32, u32)> {
    let (y, m) = v.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    days_in_month(y, m).map(|_| (y, m))
}

/// A bank account number: 8–32 digits; spaces typed for readability are
/// dropped.
pub fn bank_account_no(value: &str) -> Result<String, Reason> {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if v.is_empty() {
        return Err("required");
    }
    if !(8..=32).contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err("account_no_format");
    }
    Ok(v)
}

/// An account holder's name (a person or a company): 2–60 characters.
pub fn account_holder(value: &str) -> Result<String, Reason> {
    let v = required_trimmed(value, 60)?;
    if v.chars().count() < 2 {
        return Err("too_short");
    }
    Ok(v)
}

/// A bank (and branch) name: up to 60 characters.
pub fn bank_name(value: &str) -> Result<String, Reason> {
    required_trimmed(value, 60)
}

/// Masks a bank account number: `6222020200112233` → `**** 2233`.
pub fn mask_account_no(last4: &str) -> String {
    format!("**** {last4}")
}

/// Masks a phone for lists: `13812341234` → `138****1234`.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "****".to_string()
    }
}

#[cfg(test)]
mod return_path_tests {
    use super::safe_return_path;

    #[test]
    fn only_paths_inside_the_app_are_returned_to() {
        for ok in ["/m/demo", "/m/demo/pay/3?r=abc", "/m/demo?x=1", "/m/demo/"] {
            assert_eq!(safe_return_path(ok, "/m/demo").as_deref(), Some(ok), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "https://evil.example/m/demo",
            "//evil.example/m/demo",
            "/m/demo//evil.example",
            "/m/demonstration",
            "/m/other/pay/3",
            "/biz/demo",
            "/m/demo/../../biz/demo",
            "/m/demo\\evil",
            "/m/demo/%2e%2e/%2e%2e/biz/demo",
            "/m/demo/%2E%2E/x",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_return_path(bad, "/m/demo"), None, "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_accepts_mainland_mobiles_and_rejects_others() {
        assert_eq!(phone("138 1234 5678"), Ok("13812345678".into()));
        assert_eq!(phone("+86 13812345678"), Ok("13812345678".into()));
        assert_eq!(phone("8613812345678"), Ok("13812345678".into()));
        assert_eq!(phone("12812345678"), Err("phone_format"));
        assert_eq!(phone("1381234567"), Err("phone_format"));
        assert_eq!(phone("1381234567a"), Err("phone_format"));
        assert_eq!(phone(""), Err("required"));
    }

    #[test]
    fn bank_account_numbers_are_8_to_32_digits() {
        assert_eq!(
            bank_account_no(" 6222 0202 0011 2233 "),
            Ok("6222020200112233".into())
        );
        assert_eq!(bank_account_no("1234567"), Err("account_no_format"));
        assert_eq!(
            bank_account_no("62220202001122a3"),
            Err("account_no_format")
        );
        assert_eq!(bank_account_no(""), Err("required"));
        assert_eq!(account_holder("王"), Err("too_short"));
        assert_eq!(mask_account_no("2233"), "**** 2233");
    }

    #[test]
    fn pins_are_six_digits_and_not_trivial() {
        assert_eq!(pin(" 258014 "), Ok("258014".into()));
        assert_eq!(pin("25801"), Err("pin_format"));
        assert_eq!(pin("25801a"), Err("pin_format"));
        assert_eq!(pin(""), Err("required"));
        for weak in ["111111", "123456", "654321", "012345"] {
            assert_eq!(pin(weak), Err("pin_weak"), "{weak}");
        }
        assert_eq!(pin("135791"), Ok("135791".into()));
    }

    #[test]
    fn channel_links_are_https() {
        assert!(https_url("https://channels.weixin.qq.com/x").is_ok());
        assert_eq!(https_url("http://x.cn"), Err("url_format"));
        assert_eq!(https_url("https://"), Err("url_format"));
    }

    #[test]
    fn code_is_six_digits() {
        assert_eq!(sms_code(" 012345 "), Ok("012345".into()));
        assert_eq!(sms_code("12345"), Err("code_format"));
        assert_eq!(sms_code("12345x"), Err("code_format"));
    }

    #[test]
    fn password_needs_letters_and_digits() {
        assert!(password("abcd1234").is_ok());
        assert_eq!(password("abcdefgh"), Err("password_weak"));
        assert_eq!(password("1234567"), Err("password_weak"));
        assert_eq!(password(&"a1".repeat(40)), Err("too_long"));
    }

    #[test]
    fn account_is_lowercased_and_limited() {
        assert_eq!(account(" HQ.Admin "), Ok("hq.admin".into()));
        assert_eq!(account("ab"), Err("account_format"));
        assert_eq!(account("张三"), Err("account_format"));
    }

    #[test]
    fn birthday_must_be_real_and_not_future() {
        assert!(birthday("2000-02-29", "2026-11-22").is_ok());
        assert_eq!(birthday("2001-02-29", "2026-11-22"), Err("date_format"));
        assert_eq!(birthday("2027-01-01", "2026-11-22"), Err("date_future"));
        assert_eq!(birthday("1899-12-31", "2026-11-22"), Err("date_format"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(person_name("  王小明 "), Ok("王小明".into()));
        assert_eq!(person_name("   "), Err("required"));
        assert_eq!(person_name(&"长".repeat(21)), Err("too_long"));
        // Minority names keep their middle dot; emoji are refused.
        assert_eq!(person_name("买买提·艾力"), Ok("买买提·艾力".into()));
        assert_eq!(person_name("阿依古丽•吐尔逊"), Ok("阿依古丽•吐尔逊".into()));
        assert_eq!(
            person_name("Mary-Jane O'Neil"),
            Ok("Mary-Jane O'Neil".into())
        );
        assert_eq!(person_name("ئەخمەت"), Ok("ئەخمەت".into()));
        for bad in ["王小明😀", "❤️李", "🇨🇳张", "👨‍👩‍👧", "赵⭐"] {
            assert_eq!(person_name(bad), Err("emoji"), "{bad}");
        }
        assert_eq!(person_name("王\u{7}明"), Err("control_chars"));
    }

    #[test]
    fn masks_phone() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("x"), "****");
    }

    #[test]
    fn slug_colour_and_store_phone() {
        assert!(slug("demo-tea").is_ok());
        assert_eq!(slug("Demo"), Err("slug_format"));
        assert_eq!(color("#07c160"), Ok("#07C160".into()));
        assert_eq!(color("07c160"), Err("color_format"));
        assert!(store_phone("021-5555-1234").is_ok());
        assert_eq!(store_phone("12"), Err("store_phone_format"));
    }
}
