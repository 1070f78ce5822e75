//! The queue form's bot fields, read into settings (plain Rust, tested natively).

use chimpassist_protocol::rest::QueueBot;

/// The form's bot fields are not settings the server takes (the form says why).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadBot;

/// The bot settings the form's two fields say: none when the name is blank; `Err` when the
/// time is not a whole number of seconds within bounds (the name is bounded by the field).
pub fn bot_of(name: &str, timeout: &str) -> Result<Option<QueueBot>, BadBot> {
    if name.trim().is_empty() {
        return Ok(None);
    }
    let timeout_secs = timeout.trim().parse().map_err(|_| BadBot)?;
    QueueBot {
        name: name.to_owned(),
        timeout_secs,
    }
    .checked()
    .map(Some)
    .map_err(|_| BadBot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bot_fields_make_settings_or_none() {
        assert_eq!(bot_of("  ", "60"), Ok(None), "no name: no bot");
        assert_eq!(
            bot_of(" FAQ bot ", " 90 "),
            Ok(Some(QueueBot {
                name: "FAQ bot".into(),
                timeout_secs: 90
            }))
        );
        assert_eq!(bot_of("FAQ bot", "0"), Err(BadBot));
        assert_eq!(bot_of("FAQ bot", "soon"), Err(BadBot));
        assert_eq!(bot_of(&"b".repeat(61), "60"), Err(BadBot));
    }
}
