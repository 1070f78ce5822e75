//! Calls through the product's own screens: the back-office's call buttons and card, the
//! widget's call chunk, between two headless Chromiums with a fake camera and microphone.
//! Media is checked with `getStats()` on the card's connection (`card.pc`) on both sides.

use chimpassist_e2e::cluster::TwoNodes;
use chimpassist_e2e::{
    ATTENDANT_PASSWORD, Attendant, Browser, ChimpServer, HostPage, create_attendant, snippet,
};
use serde_json::{Value, json};

use crate::support::*;

/// The call card in the widget (inside its shadow root) and in the back-office.
const WIDGET_CARD: &str =
    "document.querySelector('#chimpassist').shadowRoot.querySelector('[data-testid=call]')";
const OFFICE_CARD: &str = "document.querySelector('[data-testid=call]')";

/// Where the desk runs: one server, or a cluster with the customer on its first node and
/// Ana on its second.
enum Servers {
    One(Box<ChimpServer>),
    Cluster(Box<TwoNodes>),
}

impl Servers {
    fn customer_side(&self) -> &ChimpServer {
        match self {
            Self::One(s) => s.as_ref(),
            Self::Cluster(c) => &c.one,
        }
    }

    fn office_side(&self) -> &ChimpServer {
        match self {
            Self::One(s) => s.as_ref(),
            Self::Cluster(c) => &c.two,
        }
    }
}

/// Ana signed in and online, and Lia chatting with her from the widget; both browsers have
/// a fake camera and microphone unless `customer_media` is false (nothing to call with).
struct Desk {
    servers: Servers,
    host: HostPage,
    office: Browser,
    customer: Browser,
}

impl Desk {
    async fn open(calls: &str, ring_seconds: u64, customer_media: bool) -> Self {
        Self::open_with(calls, ring_seconds, customer_media, json!({})).await
    }

    /// [`Desk::open`] with the widget configured by `widget` (e.g. its locale).
    async fn open_with(
        calls: &str,
        ring_seconds: u64,
        customer_media: bool,
        widget: Value,
    ) -> Self {
        let server = ChimpServer::start_with(move |c| c.call_ring_seconds = ring_seconds).await;
        Self::on(
            Servers::One(Box::new(server)),
            calls,
            customer_media,
            widget,
        )
        .await
    }

    async fn on(servers: Servers, calls: &str, customer_media: bool, widget: Value) -> Self {
        let (server, office_server) = (servers.customer_side(), servers.office_side());
        let host = HostPage::serve(snippet(&server.origin(), widget)).await;
        let admin = chimpassist_e2e::admin_cookie(server).await;
        create_attendant(server, &admin, "ana@example.com", "Ana").await;
        let response = reqwest::Client::new()
            .put(server.url("/api/queues/default"))
            .header("cookie", &admin)
            .json(&json!({"id": "default", "name": "Default", "mode": "auto", "calls": calls}))
            .send()
            .await
            .expect("PUT /api/queues/default");
        assert_eq!(response.status(), 200);
        let office = Browser::with_fake_media().await;
        sign_in(
            &office,
            office_server,
            "ana@example.com",
            ATTENDANT_PASSWORD,
        )
        .await;
        office.wait_for("[data-testid=lists]").await;
        go_online(&office).await;
        let customer = if customer_media {
            Browser::with_fake_media().await
        } else {
            Browser::new().await
        };
        customer_starts_chat(&customer, &host, "Lia", "Can we talk?").await;
        office
            .wait_text("[data-testid=chat-customer-name]", "Lia")
            .await;
        Self {
            servers,
            host,
            office,
            customer,
        }
    }

    /// Ana calls from the chat pane; the widget rings with her name.
    async fn ana_calls(&self, media: &str) {
        self.office
            .click(&format!("[data-testid=call-{media}]"))
            .await;
        self.office
            .wait_until(&format!("{OFFICE_CARD}.dataset.state === 'calling'"))
            .await;
        self.customer
            .wait_until(&format!("{WIDGET_CARD}.dataset.state === 'incoming'"))
            .await;
        self.customer
            .wait_shadow_text(W, "[data-testid=call-title]", "Ana is calling")
            .await;
    }
}

impl Desk {
    /// Both cards in the call and media flowing into both (`kinds`); returns the last
    /// samples (Ana's, Lia's).
    async fn talking(&self, kinds: &[&str]) -> (Value, Value) {
        let mut samples = Vec::new();
        for (browser, card) in [(&self.office, OFFICE_CARD), (&self.customer, WIDGET_CARD)] {
            browser
                .wait_until(&format!("{card}.dataset.state === 'active'"))
                .await;
            samples.push(media_flows(browser, card, kinds).await);
        }
        let lia = samples.pop().expect("Lia's sample");
        (samples.pop().expect("Ana's sample"), lia)
    }

    /// Both cards say the call ended, with `why`.
    async fn both_told(&self, why: &str) {
        self.office.wait_text("[data-testid=call-ended]", why).await;
        self.customer
            .wait_shadow_text(W, "[data-testid=call-ended]", why)
            .await;
    }
}

/// Waits until media flows into `card`'s connection: every inbound stream of `kinds` received
/// more bytes than 300 ms before, and video frames were decoded. Returns the last sample.
async fn media_flows(browser: &Browser, card: &str, kinds: &[&str]) -> Value {
    let script = format!(
        "const pc = {card} && {card}.pc;
         if (!pc) return null;
         const read = async () => {{
           const r = await pc.getStats(), o = {{}};
           r.forEach(s => {{ if (s.type === 'inbound-rtp') o[s.kind] = {{bytes: s.bytesReceived, frames: s.framesDecoded || 0}}; }});
           return o;
         }};
         const a = await read();
         await new Promise(r => setTimeout(r, 300));
         return {{before: a, after: await read()}};"
    );
    let deadline = tokio::time::Instant::now() + chimpassist_e2e::WAIT;
    loop {
        let sample = browser.execute(&script, vec![]).await;
        let grows = |k: &str| {
            matches!(
                (sample["before"][k]["bytes"].as_u64(), sample["after"][k]["bytes"].as_u64()),
                (Some(a), Some(b)) if b > a
            )
        };
        let decoded =
            !kinds.contains(&"video") || sample["after"]["video"]["frames"].as_u64() > Some(0);
        if !sample.is_null() && kinds.iter().all(|k| grows(k)) && decoded {
            return sample["after"].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "media never flowed both ways: {sample}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ana_video_calls_from_the_chat_pane_the_visitor_accepts_and_hangs_up() {
    let desk = Desk::open("attendant_starts", 30, true).await;
    // Customers may not ask in this queue: the widget offers no call button.
    assert!(
        !desk
            .customer
            .shadow_query(W, "[data-testid=ask-voice]")
            .await
    );
    desk.ana_calls("video").await;
    desk.customer
        .shadow_click(W, "[data-testid=call-accept]")
        .await;
    let (ana, lia) = desk.talking(&["audio", "video"]).await;
    for stats in [ana, lia] {
        assert!(stats["video"]["frames"].as_u64() > Some(0), "{stats}");
    }
    desk.customer
        .wait_shadow_text(W, "[data-testid=call-title]", "Ana")
        .await;
    desk.office
        .wait_text("[data-testid=call-title]", "Lia")
        .await;
    desk.office.screenshot("backoffice-call").await;
    desk.customer.screenshot("widget-call").await;
    // Mute and camera are toggles a screen reader hears as pressed.
    desk.office.click("[data-testid=call-mute]").await;
    desk.office
        .wait_for("[data-testid=call-mute][aria-pressed=true]")
        .await;
    desk.office.click("[data-testid=call-camera]").await;
    desk.office
        .wait_for("[data-testid=call-camera][aria-pressed=true]")
        .await;
    assert!(
        desk.office
            .eval(&format!(
                "{OFFICE_CARD}.pc.getSenders().every(s => !s.track || !s.track.enabled)"
            ))
            .await
            .as_bool()
            .unwrap_or(false),
        "muted and camera off: nothing is sent"
    );
    // Ana shares her screen: the customer's video now comes from a display capture.
    desk.office.click("[data-testid=call-share]").await;
    desk.office
        .wait_for("[data-testid=call-share][aria-pressed=true]")
        .await;
    desk.office
        .wait_until(&format!(
            "{OFFICE_CARD}.pc.getSenders().some(s => s.track && s.track.kind === 'video' \
             && s.track.getSettings().displaySurface)"
        ))
        .await;
    desk.customer
        .shadow_click(W, "[data-testid=call-hangup]")
        .await;
    desk.both_told("Call ended").await;
    // Both transcripts keep the call; the chat goes on.
    desk.office
        .wait_text("[data-testid=call-record]", "Video call")
        .await;
    desk.customer
        .wait_shadow_text(W, ".ca-log", "Video call · 0:")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_asks_for_a_voice_call_and_ana_accepts_then_hangs_up() {
    let desk = Desk::open("either_side", 30, true).await;
    desk.customer
        .shadow_click(W, "[data-testid=ask-voice]")
        .await;
    desk.office
        .wait_until(&format!("{OFFICE_CARD}.dataset.state === 'incoming'"))
        .await;
    desk.office
        .wait_text("[data-testid=call-title]", "Lia is calling")
        .await;
    desk.office.click("[data-testid=call-accept]").await;
    let (ana, lia) = desk.talking(&["audio"]).await;
    for stats in [ana, lia] {
        assert!(
            stats.get("video").is_none(),
            "a voice call sends no video: {stats}"
        );
    }
    desk.office.click("[data-testid=call-hangup]").await;
    desk.customer
        .wait_shadow_text(W, "[data-testid=call-ended]", "Call ended")
        .await;
    desk.office
        .wait_text("[data-testid=call-record]", "Voice call")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_call_is_told_to_ana_and_kept_in_both_transcripts_and_nobody_else_can_touch_it()
{
    let desk = Desk::open("attendant_starts", 30, true).await;
    desk.ana_calls("voice").await;
    // Bo, another attendant, forges frames for the call: refused, and it still rings.
    let call = desk
        .customer
        .eval(&format!("{WIDGET_CARD}.dataset.call"))
        .await;
    let server = desk.servers.customer_side();
    let admin = chimpassist_e2e::admin_cookie(server).await;
    create_attendant(server, &admin, "bo@example.com", "Bo").await;
    let mut bo = Attendant::login(server, "bo@example.com", ATTENDANT_PASSWORD).await;
    for forged in [
        json!({"type": "call_accept", "call_id": call}),
        json!({"type": "call_hangup", "call_id": call}),
    ] {
        bo.send_frame(forged).await;
        assert_eq!(bo.next_frame_of_type("error").await["code"], "forbidden");
    }
    assert_eq!(
        desk.customer
            .eval(&format!("{WIDGET_CARD}.dataset.state"))
            .await,
        "incoming"
    );
    desk.customer
        .shadow_click(W, "[data-testid=call-decline]")
        .await;
    desk.office
        .wait_text("[data-testid=call-ended]", "Call declined")
        .await;
    desk.office
        .wait_text("[data-testid=call-record]", "Voice call · declined")
        .await;
    desk.customer
        .wait_shadow_text(W, ".ca-log", "Voice call · declined")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_nobody_answered_stops_ringing_and_is_missed_in_both_transcripts_in_each_side_s_language()
 {
    // Lia's widget speaks Portuguese; Ana's desk, English.
    let desk = Desk::open_with("attendant_starts", 1, true, json!({"locale": "pt-BR"})).await;
    desk.office.click("[data-testid=call-video]").await;
    for (browser, card) in [(&desk.office, OFFICE_CARD), (&desk.customer, WIDGET_CARD)] {
        browser
            .wait_until(&format!("{card}.dataset.state === 'ended'"))
            .await;
    }
    desk.office
        .wait_text("[data-testid=call-ended]", "No answer")
        .await;
    desk.customer
        .wait_shadow_text(W, "[data-testid=call-ended]", "Sem resposta")
        .await;
    desk.office
        .wait_text("[data-testid=call-record]", "Video call · missed")
        .await;
    desk.office
        .wait_text("[data-testid=call-record]", "Ana")
        .await;
    desk.customer
        .wait_shadow_text(W, ".ca-log", "Chamada de vídeo · perdida")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_without_camera_or_microphone_is_told_so_and_the_chat_goes_on() {
    let desk = Desk::open("attendant_starts", 30, false).await;
    desk.ana_calls("voice").await;
    desk.customer
        .shadow_click(W, "[data-testid=call-accept]")
        .await;
    desk.customer
        .wait_shadow_text(
            W,
            "[data-testid=call-ended]",
            "camera or microphone is blocked",
        )
        .await;
    desk.office
        .wait_text("[data-testid=call-ended]", "Call declined")
        .await;
    desk.customer
        .shadow_send_keys(W, ".ca-composer textarea", "Let's just chat then\n")
        .await;
    desk.office
        .wait_text("[data-testid=history]", "Let's just chat then")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_connects_across_two_nodes_of_a_cluster_and_ends_when_the_visitor_closes_the_tab() {
    let cluster = TwoNodes::start(|_| {}).await;
    let desk = Desk::on(
        Servers::Cluster(Box::new(cluster)),
        "attendant_starts",
        true,
        json!({}),
    )
    .await;
    desk.ana_calls("video").await;
    desk.customer
        .shadow_click(W, "[data-testid=call-accept]")
        .await;
    desk.talking(&["audio", "video"]).await;
    // Lia closes her tab: Ana's call on the other node ends.
    let Desk {
        office,
        customer,
        servers: _servers,
        host: _host,
    } = desk;
    customer.close().await;
    office
        .wait_text("[data-testid=call-ended]", "The other side left the call")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_connection_is_restarted_then_the_call_ends_with_a_clear_message() {
    let desk = Desk::open("attendant_starts", 30, true).await;
    desk.ana_calls("video").await;
    desk.customer
        .shadow_click(W, "[data-testid=call-accept]")
        .await;
    desk.talking(&["audio", "video"]).await;
    // The visitor's media path dies (its connection is closed under the call): Ana's side
    // sees it drop and, having called, tries an ICE restart; nothing answers, so the call
    // ends as failed on both sides.
    desk.customer
        .execute(&format!("{WIDGET_CARD}.pc.close();"), vec![])
        .await;
    desk.office
        .wait_until(&format!("{OFFICE_CARD}.dataset.restarts >= 1"))
        .await;
    desk.both_told("The connection was lost").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_who_asks_again_right_after_a_decline_is_told_to_wait_by_the_call_card() {
    let desk = Desk::open("either_side", 30, true).await;
    desk.customer
        .shadow_click(W, "[data-testid=ask-video]")
        .await;
    desk.office
        .wait_until(&format!("{OFFICE_CARD}.dataset.state === 'incoming'"))
        .await;
    desk.office.click("[data-testid=call-decline]").await;
    desk.customer
        .wait_shadow_text(W, "[data-testid=call-ended]", "Call declined")
        .await;
    // Asking again at once is refused (rate_limited, naming the call): the card says so, in
    // words; the chat shows no error of its own.
    desk.customer
        .shadow_click(W, "[data-testid=ask-video]")
        .await;
    desk.customer
        .wait_shadow_text(W, "[data-testid=call-ended]", "try again in a little while")
        .await;
    assert!(!desk.customer.shadow_query(W, ".ca-banner.error").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_who_asks_while_the_attendant_is_in_another_call_is_declined_and_that_call_goes_on()
 {
    let desk = Desk::open("either_side", 30, true).await;
    desk.ana_calls("video").await;
    desk.customer
        .shadow_click(W, "[data-testid=call-accept]")
        .await;
    desk.talking(&["audio", "video"]).await;
    // Bea, another visitor Ana serves, asks for a call meanwhile: Ana is busy, so it is
    // declined at once, and Ana's call with Lia is untouched.
    let bea = Browser::with_fake_media().await;
    customer_starts_chat(&bea, &desk.host, "Bea", "Me too").await;
    bea.shadow_click(W, "[data-testid=ask-voice]").await;
    bea.wait_shadow_text(W, "[data-testid=call-ended]", "Call declined")
        .await;
    assert_eq!(
        desk.office
            .eval(&format!("{OFFICE_CARD}.dataset.state"))
            .await,
        "active"
    );
    media_flows(&desk.office, OFFICE_CARD, &["audio", "video"]).await;
}
