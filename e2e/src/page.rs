//! Helpers for pages in the document itself (the back-office), as opposed to the widget's
//! shadow root: click, type, read texts, count; each waits for its element first.

use serde_json::{Value, json};

use crate::Browser;

impl Browser {
    /// Waits for `css` and clicks it.
    pub async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking `{css}`: {e}"));
    }

    /// Waits for `css` and types `text` into it (WebDriver keystrokes, so the page sees real
    /// key and input events).
    pub async fn type_into(&self, css: &str, text: &str) {
        self.wait_for(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into `{css}`: {e}"));
    }

    /// The text content of every element matching `css`, in document order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let value = self
            .execute(
                "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent);",
                vec![json!(css)],
            )
            .await;
        serde_json::from_value(value).expect("a list of texts")
    }

    /// How many elements match `css` right now.
    pub async fn count(&self, css: &str) -> usize {
        let value = self
            .execute(
                "return document.querySelectorAll(arguments[0]).length;",
                vec![json!(css)],
            )
            .await;
        value.as_u64().expect("a count") as usize
    }

    /// Waits until some element matching `css` contains `needle` in its text.
    pub async fn wait_text(&self, css: &str, needle: &str) {
        self.wait_until(&format!(
            "[...document.querySelectorAll({})].some(e => e.textContent.includes({}))",
            Value::from(css),
            Value::from(needle)
        ))
        .await;
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        self.wait_until(&format!("!document.querySelector({})", Value::from(css)))
            .await;
    }

    /// Picks the `<option>` with `value` in the `<select>` matching `css` and fires `change`.
    pub async fn select_option(&self, css: &str, value: &str) {
        self.wait_until(&format!(
            "document.querySelector({}) && [...document.querySelector({}).options].some(o => o.value === {})",
            Value::from(css),
            Value::from(css),
            Value::from(value)
        ))
        .await;
        self.execute(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; \
             s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!(css), json!(value)],
        )
        .await;
    }
}
