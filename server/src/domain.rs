//! Parsing of free-form fields that arrive from browsers and hooks: names, e-mails, URLs.
//! Everything is bounded and cleaned once here, so stored values are always displayable.

use crate::error::{AppError, AppResult};

const MAX_NAME_CHARS: usize = 100;
const MAX_URL_BYTES: usize = 2048;
const MAX_EMAIL_BYTES: usize = 254;
pub const MAX_SUBJECT_CHARS: usize = 1000;

/// A display name: control characters removed, whitespace collapsed, at most 100 chars.
/// `None` when nothing printable is left.
pub fn display_name(raw: &str) -> Option<String> {
    let name = one_line(raw, MAX_NAME_CHARS);
    (!name.is_empty()).then_some(name)
}

/// Text for one line (a name, a page title): control characters removed, whitespace
/// collapsed, at most `max_chars` characters.
pub fn one_line(raw: &str, max_chars: usize) -> String {
    raw.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max_chars)
        .collect()
}

/// An `http(s)` URL (e.g. an avatar), or `None`: other schemes such as `javascript:` and
/// `data:` are dropped.
pub fn web_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_BYTES {
        return None;
    }
    let url = url::Url::parse(raw).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// A plausible e-mail address, lower-cased; `None` when it is not one.
pub fn email(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (local, domain) = raw.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && raw.len() <= MAX_EMAIL_BYTES
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| raw.to_lowercase())
}

/// A login: an e-mail or a plain user name (e.g. `admin`), lower-cased.
pub fn login(raw: &str) -> AppResult<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_EMAIL_BYTES || raw.chars().any(char::is_whitespace) {
        return Err(AppError::invalid("enter your e-mail or user name"));
    }
    Ok(raw.to_lowercase())
}

/// Free text such as a pre-chat problem or a note, bounded.
pub fn bounded_text(raw: &str, max_chars: usize) -> Option<String> {
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then(|| trimmed.chars().take(max_chars).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_bounded() {
        assert_eq!(
            display_name("  Ana \n Maria\u{0} ").as_deref(),
            Some("Ana Maria")
        );
        assert_eq!(display_name("\u{7}\t").as_deref(), None);
        assert_eq!(
            display_name(&"x".repeat(500)).map(|n| n.chars().count()),
            Some(100)
        );
    }

    #[test]
    fn only_web_urls_are_kept() {
        assert!(web_url("https://cdn.example.com/a.png").is_some());
        assert_eq!(web_url("javascript:alert(1)"), None);
        assert_eq!(web_url("data:image/png;base64,AAAA"), None);
        assert_eq!(web_url("not a url"), None);
    }

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(
            email(" Ana@Example.COM ").as_deref(),
            Some("ana@example.com")
        );
        assert_eq!(email("ana@localhost"), None);
        assert_eq!(email("@x.com"), None);
        assert_eq!(email("a b@x.com"), None);
    }
}
