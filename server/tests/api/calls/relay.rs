//! TURN credentials, checked by a real coturn, and the relay as `deploy/` runs it.

use std::time::{Duration, SystemTime};

use chimpassist_server::calls::IceSettings;
use chimpassist_server::services::coturn::{Coturn, Relay};
use chimpassist_server::startup::Application;
use secrecy::SecretString;

use super::SECRET;
use crate::helpers::app::test_config;

fn settings(coturn: &Coturn, secret: &str, lifetime: Duration) -> IceSettings {
    IceSettings::new(
        vec![],
        vec![coturn.url().parse().expect("a TURN URL")],
        Some(SecretString::from(secret)),
        lifetime,
    )
    .expect("valid settings")
}

/// The username and password of the relay entry of `settings` for `who` at `at`.
fn credentials(settings: &IceSettings, who: &str, at: SystemTime) -> (String, String) {
    let relay = settings
        .servers_for(who, at)
        .into_iter()
        .find(|s| s.username.is_some())
        .expect("a TURN entry");
    (relay.username.unwrap(), relay.credential.unwrap())
}

#[tokio::test]
async fn the_relay_accepts_the_credentials_a_participant_gets_and_nothing_else() {
    let coturn = Coturn::start(SECRET).await.expect("coturn starts");
    let ours = settings(&coturn, SECRET, Duration::from_secs(600));
    let now = SystemTime::now();

    let (user, password) = credentials(&ours, "call-1.customer", now);
    assert_eq!(
        coturn.relay(&user, &password).await.unwrap(),
        Relay::Relayed,
        "coturn's log:\n{}",
        coturn.log()
    );

    // Someone who changes the name (to stretch the expiry) or guesses the password: refused.
    let later = user.replacen(|c: char| c.is_ascii_digit(), "9", 1);
    assert_eq!(
        coturn.relay(&later, &password).await.unwrap(),
        Relay::Refused
    );
    assert_eq!(
        coturn.relay(&user, "not-the-password").await.unwrap(),
        Relay::Refused
    );

    // Credentials that expired (handed out 20 minutes ago for 10): refused.
    let (old_user, old_password) =
        credentials(&ours, "call-1.customer", now - Duration::from_secs(1200));
    assert_eq!(
        coturn.relay(&old_user, &old_password).await.unwrap(),
        Relay::Refused
    );

    // Credentials made with another secret: refused.
    let theirs = settings(&coturn, "another-secret", Duration::from_secs(600));
    let (user, password) = credentials(&theirs, "call-1.customer", now);
    assert_eq!(
        coturn.relay(&user, &password).await.unwrap(),
        Relay::Refused
    );
}

#[tokio::test]
async fn the_deployed_relay_lets_callers_in_but_never_onto_an_internal_address() {
    let coturn = Coturn::start_deployed(SECRET).await.expect("coturn starts");
    let ours = settings(&coturn, SECRET, Duration::from_secs(600));
    let (user, password) = credentials(&ours, "call-1.attendant", SystemTime::now());
    // Allocated with our credentials, then refused a peer on 127.0.0.1, as it would be one on
    // 10.x, 172.16.x or 192.168.x: the relay cannot be turned against the network it runs in.
    assert_eq!(
        coturn.relay(&user, &password).await.unwrap(),
        Relay::ForbiddenPeer,
        "coturn's log:\n{}",
        coturn.log()
    );
    assert_eq!(coturn.relay(&user, "wrong").await.unwrap(), Relay::Refused);
}

#[tokio::test]
async fn a_relay_without_its_secret_fails_the_start_with_what_to_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(dir.path());
    config.turn_urls = vec!["turn:turn.example.com:3478".parse().unwrap()];
    let Err(error) = Application::build(config).await else {
        panic!("an open relay is refused");
    };
    let message = format!("{error:#}");
    assert!(message.contains("TURN_SECRET"), "{message}");
}
