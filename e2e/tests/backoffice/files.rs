//! Files through the product's own screens: the widget's tray (paste) and the back-office's
//! (its picker, drag and drop), uploads with their progress, thumbnails that open full size,
//! download cards, and an upload that a server restart cut off, retried.

use chimpassist_e2e::{
    ATTENDANT_PASSWORD, Browser, ChimpServer, HostPage, Key, create_attendant, snippet,
};
use serde_json::{Value, json};

use crate::support::*;

/// The widget's shadow root, in page scripts.
const SHADOW: &str = "document.querySelector('#chimpassist').shadowRoot";

/// A script body making `window.__file`: a PNG drawn on a canvas (800 × 600) or a small PDF.
fn make_file(kind: &str) -> String {
    let make = match kind {
        "png" => {
            "const c = document.createElement('canvas'); c.width = 800; c.height = 600;\
             const g = c.getContext('2d'); g.fillStyle = '#c33'; g.fillRect(0, 0, 800, 600);\
             g.fillStyle = '#fff'; g.fillRect(100, 100, 300, 200);\
             const blob = await new Promise(r => c.toBlob(r, 'image/png'));\
             window.__file = new File([blob], 'error.png', {type: 'image/png'});"
        }
        _ => {
            "window.__file = new File(['%PDF-1.4\\n1 0 obj << >> endobj\\ntrailer << >>\\n%%EOF\\n'],\
             'invoice.pdf', {type: 'application/pdf'});"
        }
    };
    make.to_owned()
}

/// Hands `window.__file` to `target` as a paste or a drop, as a browser would.
fn hand_over(target: &str, how: &str) -> String {
    let event = match how {
        "paste" => {
            "new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})"
        }
        _ => "new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})",
    };
    format!(
        "const dt = new DataTransfer(); dt.items.add(window.__file);\
         {target}.dispatchEvent({event});"
    )
}

/// Remembers whether an upload's progress bar was ever drawn in `tray` (`window.__progress`):
/// it is drawn when an upload starts, however fast it ends.
fn watch_progress(root: &str) -> String {
    format!(
        "window.__progress = false;\
         new MutationObserver(() => {{\
           if ({root}.querySelector('[data-testid=file-tray] progress')) window.__progress = true;\
         }}).observe({root}, {{childList: true, subtree: true}});"
    )
}

/// Ana signed in and online, and Lia chatting with her from the widget.
struct Desk {
    server: ChimpServer,
    _host: HostPage,
    office: Browser,
    customer: Browser,
}

impl Desk {
    async fn open() -> Self {
        let server = ChimpServer::start().await;
        let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
        let admin = chimpassist_e2e::admin_cookie(&server).await;
        create_attendant(&server, &admin, "ana@example.com", "Ana").await;
        let office = Browser::new().await;
        sign_in(&office, &server, "ana@example.com", ATTENDANT_PASSWORD).await;
        office.wait_for("[data-testid=lists]").await;
        go_online(&office).await;
        let customer = Browser::new().await;
        customer_starts_chat(&customer, &host, "Lia", "Look at this error").await;
        office
            .wait_text("[data-testid=chat-customer-name]", "Lia")
            .await;
        Self {
            server,
            _host: host,
            office,
            customer,
        }
    }

    /// Lia pastes a picture into the widget's composer (the tray starts uploading it).
    async fn lia_pastes_a_picture(&self) {
        let c = &self.customer;
        c.execute(&make_file("png"), vec![]).await;
        let composer = format!("{SHADOW}.querySelector('.ca-composer textarea')");
        c.execute(&hand_over(&composer, "paste"), vec![]).await;
    }

    /// [`Desk::lia_pastes_a_picture`], then sends it once it is uploaded.
    async fn lia_sends_a_picture(&self) {
        let c = &self.customer;
        c.execute(&watch_progress(SHADOW), vec![]).await;
        self.lia_pastes_a_picture().await;
        c.wait_shadow_text(W, "[data-testid=file-tray] li", "error.png")
            .await;
        c.wait_until(&format!(
            "{SHADOW}.querySelector('[data-testid=file-tray] li') && \
             !{SHADOW}.querySelector('[data-testid=file-tray] progress')"
        ))
        .await;
        assert_eq!(
            c.eval("window.__progress").await,
            json!(true),
            "progress was shown"
        );
        c.shadow_click(W, ".ca-send").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pasted_screenshot_reaches_ana_who_opens_it_full_size() {
    let desk = Desk::open().await;
    desk.lia_sends_a_picture().await;
    // Lia sees her own picture once it is stored.
    desk.customer.wait_shadow(W, ".ca-files img").await;
    let office = &desk.office;
    office.wait_for("[data-testid=message-files] img").await;
    let size = office
        .eval(
            "[document.querySelector('[data-testid=message-files] img').width, \
               document.querySelector('[data-testid=message-files] img').height]",
        )
        .await;
    assert_eq!(
        size,
        json!([240, 180]),
        "room kept for the thumbnail, in its proportions"
    );
    office.click("[data-testid=message-files] button").await;
    office
        .wait_until("document.querySelector('[data-testid=lightbox] img')?.naturalWidth === 800")
        .await;
    office.screenshot("backoffice-file").await;
    office
        .client()
        .active_element()
        .await
        .expect("the focused element")
        .send_keys(&char::from(Key::Escape).to_string())
        .await
        .expect("Escape");
    office.wait_gone("[data-testid=lightbox]").await;
    let back = office
        .eval("document.activeElement === document.querySelector('[data-testid=message-files] button')")
        .await;
    assert_eq!(back, json!(true), "focus goes back to the thumbnail");
}

#[tokio::test(flavor = "multi_thread")]
async fn ana_sends_a_pdf_with_a_word_and_lia_downloads_it() {
    let desk = Desk::open().await;
    let office = &desk.office;
    // Picked through the file chooser…
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("invoice.pdf");
    std::fs::write(
        &path,
        b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
    )
    .unwrap();
    office
        .wait_for(".ba-tray input[type=file]")
        .await
        .send_keys(&path.display().to_string())
        .await
        .expect("choosing a file");
    // …and another dropped on the composer.
    office.execute(&make_file("pdf"), vec![]).await;
    office
        .execute(
            &hand_over("document.querySelector('.ba-composer')", "drop"),
            vec![],
        )
        .await;
    office
        .wait_until(
            "document.querySelectorAll('[data-testid=file-tray] li').length === 2 && \
             !document.querySelector('[data-testid=file-tray] progress')",
        )
        .await;
    office
        .type_into("[data-testid=composer]", "Your invoices")
        .await;
    office.type_into("[data-testid=composer]", &enter()).await;
    office
        .wait_text("[data-testid=message-text]", "Your invoices")
        .await;
    let c = &desk.customer;
    c.wait_shadow_text(W, ".ca-files a", "invoice.pdf").await;
    let links: Value = c
        .eval(&format!(
            "[...{SHADOW}.querySelectorAll('.ca-files a')].map(a => [a.href, a.textContent])"
        ))
        .await;
    let links = links.as_array().expect("links");
    assert_eq!(links.len(), 2, "{links:?}");
    let href = links[0][0].as_str().unwrap();
    assert!(links[0][1].as_str().unwrap().contains("PDF"), "{links:?}");
    let response = reqwest::get(href).await.expect("download");
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF-1.4"));
    desk.customer.screenshot("widget-files").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_cut_by_a_server_restart_is_retried_into_one_file_and_one_message() {
    let mut desk = Desk::open().await;
    let c = &desk.customer;
    // The file code is there (the attach button fetched it) when the server goes away.
    c.shadow_click(W, ".ca-attach").await;
    c.wait_shadow(W, "[data-testid=file-tray]").await;
    desk.server.pause().await;
    desk.lia_pastes_a_picture().await;
    c.wait_shadow_text(W, "[data-testid=file-tray] .e", "connection was lost")
        .await;
    // Sending now would send nothing: the tray says so.
    c.shadow_click(W, ".ca-send").await;
    c.wait_shadow_text(W, ".ca-error", "Wait for the files")
        .await;
    desk.server.resume().await;
    c.shadow_click(W, "[data-testid=file-tray] li button").await;
    c.wait_until(&format!(
        "{SHADOW}.querySelector('[data-testid=file-tray] li') && \
         !{SHADOW}.querySelector('[data-testid=file-tray] progress') && \
         !{SHADOW}.querySelector('[data-testid=file-tray] .e')"
    ))
    .await;
    // The chat reconnected meanwhile; the message goes once, with its one file.
    c.shadow_click(W, ".ca-send").await;
    desk.office
        .wait_for("[data-testid=message-files] img")
        .await;
    c.wait_shadow(W, ".ca-files img").await;
    assert_eq!(desk.office.count("[data-testid=message-files]").await, 1);
    let files = std::fs::read_dir(desk.server.data_dir().join("chimpassist-files"))
        .map(|shards| {
            shards
                .flatten()
                .flat_map(|s| std::fs::read_dir(s.path()).into_iter().flatten().flatten())
                .count()
        })
        .unwrap_or(0);
    assert_eq!(files, 2, "one picture and its thumbnail");
}
