//! The page-title notice: `(2) New message – Shop` while replies wait unread, the host
//! page's own title back as soon as they are seen.

use std::cell::RefCell;

use crate::env::document;

thread_local! {
    /// The host page's title before we changed it, and the title we set (to notice when the
    /// host page changes its own title meanwhile).
    static SAVED: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

pub(crate) fn show_unread(unread: u32, label: &str) {
    let doc = document();
    SAVED.with_borrow_mut(|saved| {
        if unread == 0 {
            if let Some((original, ours)) = saved.take()
                && doc.title() == ours
            {
                doc.set_title(&original);
            }
            return;
        }
        let original = match saved.take() {
            Some((original, ours)) if doc.title() == ours => original,
            _ => doc.title(),
        };
        let ours = format!("({unread}) {label} – {original}");
        doc.set_title(&ours);
        *saved = Some((original, ours));
    });
}
