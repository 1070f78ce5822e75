//! English and Brazilian Portuguese. The language is the browser's unless the server forces
//! one (`FORCE_i18n_LANGUAGE`). Each screen has its own table so that the strings stay next
//! to the screens that use them; every table has both languages, checked by the compiler
//! (a missing field does not build).

mod admin;
mod audit;
mod desk;
mod greetings;
mod login;
mod panel;
mod reports;
mod tokens;
mod webhooks;

pub use admin::AdminTexts;
pub use audit::AuditTexts;
pub use desk::DeskTexts;
pub use greetings::GreetingTexts;
pub use login::LoginTexts;
pub use panel::PanelTexts;
pub use reports::ReportsTexts;
pub use tokens::TokenTexts;
pub use webhooks::WebhookTexts;

/// A supported language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    PtBr,
}

impl Lang {
    /// `forced` (from the server) wins; otherwise the first browser language we support;
    /// otherwise English. Matching is by primary tag, so `pt`, `pt-PT` and `pt-BR` all
    /// read Portuguese.
    pub fn pick(forced: Option<&str>, browser: &[String]) -> Self {
        forced
            .and_then(Self::parse)
            .or_else(|| browser.iter().find_map(|l| Self::parse(l)))
            .unwrap_or(Lang::En)
    }

    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "pt" => Some(Lang::PtBr),
            _ => None,
        }
    }

    /// The `lang` attribute of `<html>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::PtBr => "pt-BR",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::PtBr => &PT_BR,
        }
    }
}

/// Every string of the app in one language.
#[derive(Debug)]
pub struct Texts {
    pub login: LoginTexts,
    pub desk: DeskTexts,
    pub panel: PanelTexts,
    pub admin: AdminTexts,
    pub reports: ReportsTexts,
    pub webhooks: WebhookTexts,
    pub tokens: TokenTexts,
    pub greetings: GreetingTexts,
    pub audit: AuditTexts,
}

pub static EN: Texts = Texts {
    login: login::EN,
    desk: desk::EN,
    panel: panel::EN,
    admin: admin::EN,
    reports: reports::EN,
    webhooks: webhooks::EN,
    tokens: tokens::EN,
    greetings: greetings::EN,
    audit: audit::EN,
};

pub static PT_BR: Texts = Texts {
    login: login::PT_BR,
    desk: desk::PT_BR,
    panel: panel::PT_BR,
    admin: admin::PT_BR,
    reports: reports::PT_BR,
    webhooks: webhooks::PT_BR,
    tokens: tokens::PT_BR,
    greetings: greetings::PT_BR,
    audit: audit::PT_BR,
};

/// Replaces `{}` in `template` by `value` (our strings have at most one placeholder).
pub fn fill(template: &str, value: impl std::fmt::Display) -> String {
    template.replacen("{}", &value.to_string(), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_language_wins_over_the_browser() {
        let browser = vec!["en-US".to_owned()];
        assert_eq!(Lang::pick(Some("pt-BR"), &browser), Lang::PtBr);
        assert_eq!(Lang::pick(None, &browser), Lang::En);
    }

    #[test]
    fn browser_languages_are_matched_by_primary_tag() {
        let browser = vec!["de-DE".to_owned(), "pt-BR".to_owned()];
        assert_eq!(Lang::pick(None, &browser), Lang::PtBr);
        assert_eq!(Lang::pick(None, &["fr".to_owned()]), Lang::En);
        assert_eq!(Lang::pick(Some("xx"), &["pt_PT".to_owned()]), Lang::PtBr);
    }

    #[test]
    fn the_two_languages_differ() {
        assert_ne!(EN.login.sign_in, PT_BR.login.sign_in);
        assert_eq!(fill("{} waiting", 3), "3 waiting");
    }
}
