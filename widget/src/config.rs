//! The widget's configuration, one typed struct for the script tag and the npm package.
//!
//! The JS loader is the single place that checks what a site owner wrote (unknown keys and
//! malformed values → a console warning and the default) and flattens the seed's
//! `chatWidget {…}` / `header {…}` groups. What reaches this struct is already clean, so
//! reading it (`crate::wire`, camelCase names) only fills defaults.

#[derive(Clone, Debug)]
pub struct Config {
    /// Base URL of the Chimp Assist server (the script's own origin for the script tag).
    pub backend_endpoint: String,
    pub queue_id: Option<String>,
    pub title: String,
    pub width: u32,
    pub height: u32,
    /// Header background.
    pub background_color: String,
    /// Header text.
    pub color: String,
    pub position: String,
    pub default_text: Option<String>,
    pub active_text: Option<String>,
    pub preview_text: Option<String>,
    pub logo: Option<String>,
    pub expand_animation_ms: u32,
    pub auto_connect: bool,
    /// `en` or `pt-BR`; when absent the browser's language decides.
    pub locale: Option<String>,
    pub show_powered_by: bool,
    /// A short sound when a reply arrives while the chat is closed or the tab hidden.
    pub sound: bool,
    pub pre_chat: bool,
    /// Which pre-chat fields to ask: `name`, `email`, `problem`.
    pub pre_chat_fields: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            backend_endpoint: String::new(),
            queue_id: None,
            title: "Chimp Assist".into(),
            width: 380,
            height: 560,
            background_color: "#4498B4".into(),
            color: "#F6F6F6".into(),
            position: "bottom-right".into(),
            default_text: None,
            active_text: None,
            preview_text: None,
            logo: None,
            expand_animation_ms: 200,
            auto_connect: false,
            locale: None,
            show_powered_by: true,
            sound: false,
            pre_chat: true,
            pre_chat_fields: vec!["name".into(), "email".into(), "problem".into()],
        }
    }
}

impl Config {
    pub fn asks(&self, field: &str) -> bool {
        self.pre_chat && self.pre_chat_fields.iter().any(|f| f == field)
    }

    /// `ws(s)://host/ws/customer` for the configured endpoint.
    pub fn socket_url(&self) -> String {
        let base = self.backend_endpoint.trim_end_matches('/');
        let ws = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            base.to_owned()
        };
        format!("{ws}/ws/customer")
    }

    pub fn api_url(&self, path: &str) -> String {
        format!("{}{path}", self.backend_endpoint.trim_end_matches('/'))
    }

    /// localStorage key for this server's data, so two widgets of two servers never mix.
    pub fn storage_key(&self, what: &str) -> String {
        format!(
            "chimpassist:{}:{what}",
            self.backend_endpoint.trim_end_matches('/')
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_defaults() {
        let c = Config {
            backend_endpoint: "https://chat.example.com/".into(),
            ..Config::default()
        };
        assert_eq!(c.height, 560);
        assert_eq!(c.socket_url(), "wss://chat.example.com/ws/customer");
        assert_eq!(
            c.api_url("/api/callback"),
            "https://chat.example.com/api/callback"
        );
        assert!(c.asks("email"));
    }
}
