//! The flags as `chimpassist serve` parses them.

use super::*;

fn serve(args: &[&str]) -> Result<Config, clap::Error> {
    let argv = ["chimpassist", "serve"].iter().chain(args);
    Cli::try_parse_from(argv).map(|cli| match cli.command {
        Command::Serve(config) => *config,
    })
}

#[test]
fn retention_is_off_by_default_and_takes_a_period_with_its_unit() {
    let default = serve(&[]).expect("accepted");
    assert!(
        default.retention().is_none(),
        "kept until erased by default"
    );
    let year = serve(&["--conversation-retention", "365d"]).expect("accepted");
    let settings = year.retention().expect("on");
    assert_eq!(settings.keep, Duration::from_secs(365 * 86_400));
    assert_eq!(settings.every, Duration::from_secs(3600));
    for refused in ["0", "1y", "365"] {
        let error = serve(&["--conversation-retention", refused])
            .expect_err(refused)
            .to_string();
        assert!(
            error.contains("CONVERSATION_RETENTION") || error.contains("retention"),
            "{error}"
        );
    }
    assert!(serve(&["--retention-sweep-every", "2d"]).is_err());
}

#[test]
fn the_forced_language_is_en_or_pt_br_and_anything_else_stops_the_start() {
    let config = serve(&["--force-i18n-language", "pt-br"]).expect("accepted");
    assert_eq!(
        config.force_i18n_language.map(UiLanguage::tag),
        Some("pt-BR")
    );
    let error = serve(&["--force-i18n-language", "fr"])
        .expect_err("refused")
        .to_string();
    assert!(error.contains("FORCE_i18n_LANGUAGE"), "{error}");
    assert!(error.contains("en, pt-BR"), "{error}");
}

#[test]
fn endpoint_credentials_are_used_but_never_shown() {
    let config = serve(&[
        "--statistics-base-endpoint",
        "http://statsuser:S3cretStat@127.0.0.1:1/base",
    ])
    .expect("accepted");
    let endpoint = config.statistics_base_endpoint.clone().expect("set");
    assert_eq!(endpoint.url().password(), Some("S3cretStat"));
    for shown in [
        endpoint.to_string(),
        format!("{endpoint:?}"),
        format!("{config:?}"),
    ] {
        assert!(!shown.contains("S3cret"), "{shown}");
        assert!(!shown.contains("statsuser"), "{shown}");
    }
}

#[test]
fn backoffice_origins_are_empty_by_default_and_compared_exactly() {
    let config = serve(&[]).expect("defaults");
    assert!(!config.backoffice_origin_allowed("http://127.0.0.1:8080"));
    let config = serve(&["--backoffice-origins", "http://127.0.0.1:8080"]).expect("set");
    assert!(config.backoffice_origin_allowed("http://127.0.0.1:8080/"));
    assert!(!config.backoffice_origin_allowed("https://127.0.0.1:8080"));
    assert!(!config.backoffice_origin_allowed("http://127.0.0.1:8081"));
}
