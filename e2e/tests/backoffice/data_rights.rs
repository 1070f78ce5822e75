//! A customer's data rights from the customer panel: an admin downloads their export and
//! erases them (asked first); the widget's visitor is cut off and the server keeps nothing of
//! them.

use chimpassist_e2e::{Browser, ChimpServer, HostPage, login_cookie, snippet};
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_exports_then_erases_a_customer_from_the_panel() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let office = Browser::new().await;
    first_admin_sign_in(&office, &server).await;
    go_online(&office).await;
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Maria", "My order is late").await;
    office
        .wait_text("[data-testid=chat-customer-name]", "Maria")
        .await;

    // The export is a download of the zip, for this customer.
    let href = office
        .eval("document.querySelector('.panel-export').getAttribute('href')")
        .await;
    let href = href.as_str().expect("the export link").to_owned();
    let cookie = login_cookie(&server, "admin", NEW_ADMIN_PASSWORD).await;
    let zip = reqwest::Client::new()
        .get(server.url(&href))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("the export");
    assert_eq!(zip.status(), 200);
    assert_eq!(zip.headers()["content-type"], "application/zip");

    // Erase, asked first: a "no" changes nothing, a "yes" erases.
    office.click(".panel-erase").await;
    office.click(".ba-confirm-no").await;
    office.wait_gone(".ba-confirm").await;
    office.click(".panel-erase").await;
    office.click(".ba-confirm-yes").await;
    office.wait_text("[data-testid=notice]", "erased").await;
    let gone = reqwest::Client::new()
        .get(server.url(&href))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("the export, again");
    assert_eq!(gone.status(), 404, "nothing left to export");
    // The conversation ended on the desk.
    office.wait_for("[data-testid=ended]").await;
    customer.close().await;
    office.close().await;
}
