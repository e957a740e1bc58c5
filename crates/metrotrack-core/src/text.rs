//! Text normalisation shared by every comparison the lab relies on.
//!
//! Logs arrive precomposed (Excel), decomposed (Windows-1258 writes tone marks as
//! combining characters) or with stray spaces; these functions make them compare equal.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// NFC-normalises `s` and trims surrounding whitespace: the form every stored text takes.
pub fn clean(s: &str) -> String {
    let trimmed = s.trim();
    if trimmed.is_ascii() {
        trimmed.to_owned()
    } else {
        trimmed.nfc().collect()
    }
}

/// [`clean`], or `None` when nothing is left.
pub fn clean_opt(s: &str) -> Option<String> {
    let c = clean(s);
    (!c.is_empty()).then_some(c)
}

/// The identity key of a serial number or point code: NFC, case-folded, with all
/// whitespace removed (`" ab 12 3"` and `"AB123"` name the same instrument).
pub fn identity_key(s: &str) -> String {
    s.nfc()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The key of a name (manufacturer, site): NFC, case-folded, inner whitespace collapsed
/// to one space.
pub fn name_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.nfc().flat_map(char::to_lowercase));
    }
    out
}

/// A loose matching key for headers and vocabulary: diacritics removed (`đ` → `d`),
/// lower-cased, everything but letters and digits dropped. `"Ngày kiểm định"`,
/// `"NGAY KIEM DINH"` and `"ngay_kiem_dinh"` all fold to `"ngaykiemdinh"`.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Cuts `s` to at most `max` characters, marking the cut with `…`, for echoing a user's
/// value back in a problem report.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP CSV injection):
/// `=`, `+`, `-`, `@`, tab and carriage return.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text as an export writes it into a CSV: with an apostrophe before it when it begins
/// with a formula character, so that a spreadsheet shows it as text and never runs it
/// (OWASP's advice), and before a text that already begins with an apostrophe, so that
/// [`unneutralise`] takes exactly one off and every text round-trips.
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some(c) if FORMULA_STARTS.contains(&c) || c == '\'' => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// A cell as a log writes it, with the apostrophe [`neutralise`] put before a formula
/// character (or another apostrophe) taken off; any other text as it is. This is also
/// how Excel reads a typed `'=…`: the apostrophe marks text and is not part of it.
pub fn unneutralise(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest)
            if rest
                .chars()
                .next()
                .is_some_and(|c| FORMULA_STARTS.contains(&c) || c == '\'') =>
        {
            rest
        }
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposed_and_precomposed_clean_to_the_same_text() {
        let nfd = "Đa\u{323}t"; // Đ + a + combining dot below
        assert_eq!(clean(nfd), "Đạt");
        assert_eq!(clean(" Đạt "), "Đạt");
    }

    #[test]
    fn identity_keys_ignore_case_and_spaces() {
        assert_eq!(identity_key(" ab 12 3\t"), identity_key("AB123"));
        assert_ne!(identity_key("AB123"), identity_key("AB1234"));
    }

    #[test]
    fn fold_strips_diacritics_case_and_punctuation() {
        assert_eq!(fold("Ngày kiểm định"), "ngaykiemdinh");
        assert_eq!(fold("NGAY KIEM DINH"), "ngaykiemdinh");
        assert_eq!(fold("Điện trở (Ω)"), "dientroω");
        assert_eq!(fold("Kiểu/Mã hiệu"), "kieumahieu");
    }

    #[test]
    fn shorten_marks_the_cut() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }

    #[test]
    fn formula_texts_are_neutralised_and_read_back() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        assert_eq!(
            neutralise("+84 cmd|' /C calc'!A0"),
            "'+84 cmd|' /C calc'!A0"
        );
        assert_eq!(neutralise("-"), "'-");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\t=1"), "'\t=1");
        assert_eq!(neutralise("'abc"), "''abc");
        assert_eq!(neutralise("Đạt"), "Đạt");
        assert_eq!(unneutralise("'=1"), "=1");
        assert_eq!(unneutralise("''abc"), "'abc");
        // An apostrophe before anything else is the text's own.
        assert_eq!(unneutralise("'abc"), "'abc");
        assert_eq!(unneutralise("'"), "'");
    }

    proptest::proptest! {
        #[test]
        fn neutralised_texts_round_trip(s in "['=+@\\-]{0,2}\\PC{0,8}") {
            let written = neutralise(&s);
            proptest::prop_assert_eq!(unneutralise(&written), s.as_str());
            proptest::prop_assert!(!written.starts_with(FORMULA_STARTS));
        }
    }
}
