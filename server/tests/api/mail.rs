//! E-mail to visitors through a real SMTP server (aiosmtpd): the transcript on resolve, a
//! reply to a visitor who left — one mail for the replies they have not read — with a link
//! that reopens their chat, and mail kept through an SMTP outage.

use std::time::Duration;

use chimpassist_server::config::Schedule;
use chimpassist_server::services::smtp::{Received, Smtp};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::*;

/// A server that mails through `smtp`, mails a reply one second after the visitor left,
/// and retries quickly.
async fn app(smtp: &Smtp) -> TestApp {
    let url = smtp.url();
    spawn_app_with(|c| {
        c.smtp_url = Some(SecretString::from(url));
        c.smtp_from = "Acme Support <support@acme.test>".into();
        c.public_url = Some("https://chat.acme.test/".into());
        c.email_away_seconds = 1;
        c.webhook_poll_ms = 50;
        let soon = Duration::from_millis(200);
        c.webhook_retry_schedule = Schedule(vec![Duration::ZERO, soon, soon, soon, soon, soon]);
    })
    .await
}

/// The same server as a `chimpassist serve` process, for the tests that wait on what it logs
/// (each mail attempt, after the outbox has recorded it).
struct Served {
    app: TestApp,
    log: ServerLog,
    data: tempfile::TempDir,
    _process: tokio::process::Child,
}

async fn served(smtp: &Smtp) -> Served {
    let data = tempfile::tempdir().expect("temp dir");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chimpassist"));
    command
        .args(["serve", "--port", "0", "--log-json", "--log", "info"])
        .arg("--data-dir")
        .arg(data.path())
        .env("SMTP_URL", smtp.url())
        .env("SMTP_FROM", "Acme Support <support@acme.test>")
        .env("PUBLIC_URL", "https://chat.acme.test/")
        .env("EMAIL_AWAY_SECONDS", "1")
        .env("WEBHOOK_POLL_MS", "50")
        .env("WEBHOOK_RETRY_SCHEDULE", "0,200ms,200ms,200ms,200ms,200ms")
        .env("RATE_LIMIT_PER_SECOND", "1000")
        .envs(UNTHROTTLED);
    let (process, port, log) = spawn_listening(&mut command).await;
    Served {
        app: TestApp::attached(port),
        log,
        data,
        _process: process,
    }
}

impl Served {
    /// Attempts the outbox has recorded for the transcript mail, as `(outcome, error)`.
    fn transcript_attempts(&self) -> Vec<(String, Option<String>)> {
        let file = self.data.path().join("chimpassist.sqlite3");
        let db = rusqlite::Connection::open(file).unwrap();
        let mut stmt = db
            .prepare(
                "SELECT outcome, error FROM webhook_attempts \
                 WHERE endpoint_id = '00000000-0000-0000-0000-000000000001' ORDER BY at, attempt",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Waits until the server logs a transcript's mail attempt that `says` describes (it
    /// logs each once the outbox has recorded it).
    async fn transcript_attempt(&self, what: &str, says: impl Fn(&Value) -> bool) {
        self.log
            .wait(0, what, |f| {
                f["message"] == "mail attempt" && f["kind"] == "conversation.resolved" && says(f)
            })
            .await;
    }
}

struct Desk {
    alice: Ws,
    zoe: Ws,
    conversation: String,
}

/// Alice online; Zoë, a guest, starts a chat leaving her name and address, and Alice has it.
async fn zoe_with_alice(app: &TestApp) -> Desk {
    let admin = app.admin().await;
    let (_, alice_auth) = app.create_attendant(&admin, "Alice", 3).await;
    let mut alice = app.attendant(&alice_auth).await;
    let mut zoe = app.customer(None).await;
    zoe.send(json!({"type": "start_chat",
        "prechat": {"name": "Zoë", "email": "zoe@example.com"}}))
        .await;
    let conversation = zoe
        .wait_for("conversation", |f| f["type"] == "conversation")
        .await["conversation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    zoe.expect("assigned").await;
    alice.expect("assigned").await;
    Desk {
        alice,
        zoe,
        conversation,
    }
}

/// Zoë starts another chat after `previous` was resolved; its id.
async fn new_chat(zoe: &mut Ws, previous: &str) -> String {
    zoe.send(json!({"type": "start_chat"})).await;
    let frame = zoe
        .wait_for("the new conversation", |f| {
            f["type"] == "conversation"
                && f["conversation"]["id"] != previous
                && f["conversation"]["status"] != "resolved"
        })
        .await;
    frame["conversation"]["id"].as_str().expect("id").to_owned()
}

fn link_in(mail: &Received) -> String {
    let text = mail.text();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Continue the conversation: "))
        .unwrap_or_else(|| panic!("a link in {text}"));
    line.trim().to_owned()
}

#[tokio::test]
async fn a_resolved_conversation_s_transcript_is_mailed_to_the_visitor() {
    let smtp = Smtp::start().await.expect("aiosmtpd");
    let app = app(&smtp).await;
    let mut desk = zoe_with_alice(&app).await;
    let conversation = desk.conversation.clone();
    desk.zoe
        .say(&conversation, "Where is my order <b>#42</b>?")
        .await;
    desk.alice
        .say(&conversation, "It ships today & arrives Friday.")
        .await;
    desk.alice
        .send(json!({"type": "resolve", "conversation": conversation}))
        .await;

    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Your conversation with us")
    );
    assert!(mail.header("To").unwrap().contains("zoe@example.com"));
    assert!(mail.header("From").unwrap().contains("support@acme.test"));
    assert_eq!(
        mail.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    let text = mail.text();
    assert!(text.starts_with("Hello Zoë,"), "{text}");
    assert!(text.contains("Where is my order <b>#42</b>?"), "{text}");
    assert!(text.contains("Alice — "), "{text}");
    assert!(text.contains("It ships today & arrives Friday."), "{text}");
    let html = mail.html();
    assert!(
        html.contains("Where is my order &lt;b&gt;#42&lt;/b&gt;?"),
        "{html}"
    );
    assert!(
        html.contains("It ships today &amp; arrives Friday."),
        "{html}"
    );
    assert!(!html.contains("<b>#42"), "a message is never HTML: {html}");
}

#[tokio::test]
async fn replies_to_a_visitor_who_left_are_mailed_once_with_a_link_that_reopens_the_chat() {
    let smtp = Smtp::start().await.expect("aiosmtpd");
    let app = app(&smtp).await;
    let Desk {
        mut alice,
        mut zoe,
        conversation,
    } = zoe_with_alice(&app).await;
    zoe.say(&conversation, "Do you have it in size 38?").await;
    zoe.close().await;
    alice.say(&conversation, "Yes, two pairs left.").await;
    alice.say(&conversation, "Shall I reserve one?").await;

    let first = smtp.wait_for(1).await.remove(0);
    assert_eq!(
        first.header("Subject").as_deref(),
        Some("You have a new reply")
    );
    let text = first.text();
    assert!(text.contains("Yes, two pairs left."), "{text}");
    assert!(
        text.contains("Shall I reserve one?"),
        "both replies in one mail: {text}"
    );
    assert!(
        !text.contains("size 38"),
        "only what she has not read: {text}"
    );

    // A third reply: its mail is the second one, so the first reply's delivery (due before
    // the second's) sent nothing of its own.
    alice.say(&conversation, "I put one aside for you.").await;
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2, "one mail per reply she missed at the time");
    assert!(mails[1].text().contains("I put one aside for you."));

    // The link: a page of this server, the token in its fragment.
    let link = link_in(&first);
    let token = link
        .strip_prefix("https://chat.acme.test/mail/open#")
        .unwrap_or_else(|| panic!("a link to the server's page: {link}"));
    let page = app.get("/mail/open", &Auth::None).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(page.text().await.unwrap().contains("/api/mail/open"));
    let opened = app
        .post("/api/mail/open", &Auth::None, json!({"link": token}))
        .await;
    assert_eq!(opened.status(), 200);
    let opened: Value = opened.json().await.unwrap();
    assert_eq!(opened["conversation"], conversation.as_str());
    // The session it gives is Zoë's: her conversation, with Alice's replies in it.
    let session = opened["token"].as_str().expect("a token");
    let mut back = app.customer_with(None, Some(session), json!([])).await;
    assert_eq!(back.welcome["conversation"]["id"], conversation.as_str());
    assert_eq!(back.welcome["customer"]["name"], "Zoë");
    let acked = back.say(&conversation, "Yes please!").await;
    assert_eq!(acked["type"], "ack");
    message_seq(&mut alice, acked["seq"].as_u64().expect("seq")).await;

    let forged = app
        .post(
            "/api/mail/open",
            &Auth::None,
            json!({"link": format!("{token}x")}),
        )
        .await;
    assert_eq!(forged.status(), 401);
    assert_eq!(json_of(forged).await["code"], "unauthenticated");
}

#[tokio::test]
async fn mail_is_kept_through_an_smtp_outage_and_sent_when_it_returns() {
    let mut smtp = Smtp::start().await.expect("aiosmtpd");
    let served = served(&smtp).await;
    let mut desk = zoe_with_alice(&served.app).await;
    let conversation = desk.conversation.clone();
    desk.zoe.say(&conversation, "Thanks, that is all.").await;
    smtp.stop().await;
    desk.alice
        .send(json!({"type": "resolve", "conversation": conversation}))
        .await;

    // Two failed attempts recorded, each to be retried.
    served
        .transcript_attempt("the second failed attempt", |f| f["attempt"] == 2)
        .await;
    let failed = served.transcript_attempts();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed.iter().all(|(outcome, error)| outcome == "retry"
            && error.as_deref().is_some_and(|e| e.starts_with("SMTP: "))),
        "{failed:?}"
    );
    assert!(
        failed
            .iter()
            .all(|(_, e)| !e.as_deref().unwrap_or_default().contains("smtp://")),
        "the SMTP URL is never in the log: {failed:?}"
    );

    smtp.resume().await.expect("aiosmtpd again");
    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Your conversation with us")
    );
    assert!(mail.text().contains("Thanks, that is all."));
}

#[tokio::test]
async fn an_address_whose_owner_turns_mail_off_gets_none_whoever_gives_it() {
    let smtp = Smtp::start().await.expect("aiosmtpd");
    let served = served(&smtp).await;
    let app = &served.app;
    let mut desk = zoe_with_alice(app).await;
    let first = desk.conversation.clone();
    desk.zoe.say(&first, "Hello").await;
    desk.alice
        .send(json!({"type": "resolve", "conversation": first}))
        .await;
    let mail = smtp.wait_for(1).await.remove(0);

    // Every mail carries the link, also as List-Unsubscribe; the page asks first.
    let header = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    let token = header
        .strip_prefix("<https://chat.acme.test/mail/unsubscribe#")
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or_else(|| panic!("{header}"))
        .to_owned();
    let text = mail.text();
    assert!(
        text.contains("Stop these e-mails: https://chat.acme.test/mail/unsubscribe#"),
        "{text}\n{}",
        mail.0
    );
    let page = app.get("/mail/unsubscribe", &Auth::None).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/api/mail/unsubscribe"));
    let opened_with_it = app
        .post("/api/mail/open", &Auth::None, json!({"link": token}))
        .await;
    assert_eq!(opened_with_it.status(), 401, "a link does one thing");
    for _ in 0..2 {
        let off = app
            .post("/api/mail/unsubscribe", &Auth::None, json!({"link": token}))
            .await;
        assert_eq!(off.status(), 204, "and again: still off");
    }

    // The next conversation's transcript is not sent, and the outbox says why. Giving the
    // address again changes nothing: the list is by address, whoever gives it.
    let second = new_chat(&mut desk.zoe, &first).await;
    desk.alice.expect("assigned").await;
    desk.zoe
        .send(json!({"type": "leave_email", "email": "ZOE@example.com"}))
        .await;
    desk.zoe.say(&second, "One more thing").await;
    desk.alice
        .send(json!({"type": "resolve", "conversation": second}))
        .await;
    served
        .transcript_attempt("the second transcript, not sent", |f| {
            f["error"] == "not sent: the address turned e-mail off"
        })
        .await;
    let attempts = served.transcript_attempts();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(
        attempts[1],
        (
            "done".to_owned(),
            Some("not sent: the address turned e-mail off".to_owned())
        )
    );
    assert_eq!(smtp.received().len(), 1);

    // Another address of hers gets mail.
    let third = new_chat(&mut desk.zoe, &second).await;
    desk.alice.expect("assigned").await;
    desk.zoe
        .send(json!({"type": "leave_email", "email": "zoe@example.org"}))
        .await;
    desk.zoe.say(&third, "Mail me this one").await;
    desk.alice
        .send(json!({"type": "resolve", "conversation": third}))
        .await;
    let mails = smtp.wait_for(2).await;
    assert!(mails[1].header("To").unwrap().contains("zoe@example.org"));
    assert!(mails[1].text().contains("Mail me this one"));

    // A bad address is refused, and the socket goes on.
    desk.zoe
        .send(json!({"type": "leave_email", "email": "not an address"}))
        .await;
    let refused = desk.zoe.expect("error").await;
    assert_eq!(refused["code"], "invalid_field");
    assert!(desk.zoe.answers().await);
}
