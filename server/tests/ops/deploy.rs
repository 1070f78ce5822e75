//! The deployment files (`Dockerfile`, `deploy/docker-compose.yml`) cannot be run here (no
//! Docker engine), so they are checked instead: their shape, and that every variable they
//! give the server is one the server reads — a misspelt variable would otherwise be ignored
//! silently in production.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chimpassist_server::config::Cli;
use clap::CommandFactory;
use yaml_rust2::{Yaml, YamlLoader};

fn repo_file(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()))
}

/// Every environment variable `chimpassist serve` reads: its flags' `env` names, plus the
/// seed's alias `STATISTICS_ENDPOINT` and the log filter.
fn server_variables() -> BTreeSet<String> {
    let cli = Cli::command();
    let serve = cli.find_subcommand("serve").expect("a `serve` subcommand");
    let mut vars: BTreeSet<String> = serve
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    vars.insert("STATISTICS_ENDPOINT".into());
    vars.insert("RUST_LOG".into());
    vars
}

#[test]
fn the_server_reads_the_multi_node_settings() {
    let vars = server_variables();
    for v in [
        "MONGO_CONNECTION_URL",
        "MONGO_DATABASE",
        "MQTT_BROKER_HOST",
        "MQTT_USERNAME",
        "MQTT_PASSWORD",
        "MQTT_BASE_TOPIC",
        "DATA_DIR",
        "ASSETS_DIR",
    ] {
        assert!(vars.contains(v), "the server does not read {v}");
    }
}

#[test]
fn dockerfile_builds_in_one_stage_and_runs_in_a_slim_one() {
    let dockerfile = repo_file("Dockerfile");
    let stages: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(stages.len(), 2, "build and runtime stages: {stages:?}");
    assert!(stages[0].contains(" AS build"), "{}", stages[0]);
    assert!(
        dockerfile.contains("cargo xtask dist"),
        "the image is built by the same command developers use"
    );
    assert!(dockerfile.contains("COPY --from=build /out/chimpassist "));
    assert!(dockerfile.contains("COPY --from=build /out/dist "));
    assert!(
        dockerfile.contains("\nUSER "),
        "the server does not run as root"
    );

    // `ENV A=1 \ B=2`: every name set must be one the server reads.
    let vars = server_variables();
    let mut set = Vec::new();
    let mut in_env = false;
    for line in dockerfile.lines() {
        let line = line.trim();
        let rest = if let Some(rest) = line.strip_prefix("ENV ") {
            rest
        } else if in_env {
            line
        } else {
            continue;
        };
        in_env = rest.ends_with('\\');
        for pair in rest.trim_end_matches('\\').split_whitespace() {
            let (name, _) = pair.split_once('=').expect("ENV NAME=value");
            set.push(name.to_owned());
        }
    }
    assert!(set.contains(&"ASSETS_DIR".to_owned()), "{set:?}");
    for name in &set {
        assert!(
            vars.contains(name),
            "Dockerfile sets {name}, which the server does not read"
        );
    }
}

#[test]
fn compose_runs_two_nodes_on_mongodb_and_mqtt_behind_a_proxy() {
    let docs = YamlLoader::load_from_str(&repo_file("deploy/docker-compose.yml"))
        .expect("docker-compose.yml is YAML");
    let services = &docs[0]["services"];
    let names: Vec<String> = services
        .as_hash()
        .expect("services")
        .keys()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    for needed in ["mongo", "vernemq", "proxy"] {
        assert!(
            names.iter().any(|n| n == needed),
            "service {needed} in {names:?}"
        );
    }
    let nodes: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("chimpassist"))
        .collect();
    assert!(nodes.len() >= 2, "at least two server nodes: {names:?}");

    let vars = server_variables();
    for node in nodes {
        let env = services[node.as_str()]["environment"]
            .as_hash()
            .unwrap_or_else(|| panic!("{node} has an environment map"));
        let mut set = BTreeSet::new();
        for (key, value) in env {
            let key = key.as_str().expect("variable name");
            assert!(
                vars.contains(key),
                "{node} sets {key}, which the server does not read"
            );
            let value = match value {
                Yaml::String(s) => s.clone(),
                Yaml::Integer(i) => i.to_string(),
                Yaml::Boolean(b) => b.to_string(),
                other => panic!("{node}: {key} has a non-scalar value {other:?}"),
            };
            set.insert(key.to_owned());
            // Hosts named in URLs must be services of this file.
            if key == "MONGO_CONNECTION_URL" || key == "MQTT_BROKER_HOST" {
                let url = url::Url::parse(&value).expect("a URL");
                let host = url.host_str().expect("a host");
                assert!(
                    names.iter().any(|n| n == host),
                    "{key} points at {host}, not a service"
                );
            }
        }
        for needed in ["MONGO_CONNECTION_URL", "MQTT_BROKER_HOST", "HOST"] {
            assert!(set.contains(needed), "{node} sets {needed}");
        }
    }

    // The proxy balances over the nodes and passes WebSocket upgrades, and the Host with its
    // port (the back-office socket is same-origin only: `$host` drops `:8080`).
    let nginx = repo_file("deploy/nginx.conf");
    assert!(
        nginx.contains("server chimpassist-1:3000;")
            && nginx.contains("server chimpassist-2:3000;")
    );
    assert!(nginx.contains("proxy_set_header Upgrade $http_upgrade;"));
    assert!(nginx.contains("proxy_set_header Host $http_host;"));
    assert!(!nginx.contains("proxy_set_header Host $host;"));
}

#[test]
fn compose_ships_no_password_and_authenticates_every_engine() {
    // Security review, finding 5 and its notes: `ADMIN_PASSWORD:-change-me-now`, an
    // anonymous broker, MongoDB without authentication.
    let raw = repo_file("deploy/docker-compose.yml");
    for secret in [
        "ADMIN_PASSWORD",
        "MONGO_PASSWORD",
        "MONGO_KEY",
        "MQTT_PASSWORD",
        "TURN_SECRET",
    ] {
        assert!(
            raw.contains(&format!("${{{secret}:?")),
            "compose must refuse to start without {secret}"
        );
        assert!(
            !raw.contains(&format!("${{{secret}:-")),
            "compose must not default {secret}"
        );
    }
    let docs = YamlLoader::load_from_str(&raw).expect("docker-compose.yml is YAML");
    let services = &docs[0]["services"];
    let broker = &services["vernemq"]["environment"];
    assert_eq!(
        broker["DOCKER_VERNEMQ_ALLOW_ANONYMOUS"].as_str(),
        Some("off")
    );
    assert!(broker["DOCKER_VERNEMQ_USER_chimpassist"].as_str().is_some());
    let mongo = &services["mongo"];
    assert!(
        mongo["environment"]["MONGO_INITDB_ROOT_PASSWORD"]
            .as_str()
            .is_some()
    );
    let entrypoint: Vec<&str> = mongo["entrypoint"]
        .as_vec()
        .expect("mongo entrypoint")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert!(entrypoint.concat().contains("--keyFile"), "{entrypoint:?}");
    for node in ["chimpassist-1", "chimpassist-2"] {
        let env = &services[node]["environment"];
        assert_eq!(env["MQTT_USERNAME"].as_str(), Some("chimpassist"), "{node}");
        assert!(env["MQTT_PASSWORD"].as_str().is_some(), "{node}");
        let url = env["MONGO_CONNECTION_URL"].as_str().expect("mongo url");
        assert!(url.starts_with("mongodb://chimpassist:"), "{node}: {url}");
        assert!(env["TRUSTED_PROXIES"].as_str().is_some(), "{node}");
        assert_eq!(env["PRODUCTION"].as_str(), Some("true"), "{node}");
        assert!(env["TURN_SECRET"].as_str().is_some(), "{node}");
        assert!(
            env["TURN_URLS"]
                .as_str()
                .is_some_and(|u| u.starts_with("turn:")),
            "{node}"
        );
    }
    // The relay takes only credentials made from the nodes' secret, with deploy's settings
    // (what they deny is checked on a real coturn: tests/api/calls.rs).
    let coturn = &services["coturn"];
    assert!(coturn["environment"]["TURN_SECRET"].as_str().is_some());
    let volumes: Vec<&str> = coturn["volumes"]
        .as_vec()
        .expect("coturn volumes")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert!(
        volumes.iter().any(|v| v.starts_with("./turnserver.conf:")),
        "{volumes:?}"
    );
    let turn = repo_file("deploy/turnserver.conf");
    for line in [
        "use-auth-secret",
        "no-multicast-peers",
        "denied-peer-ip=10.0.0.0-10.255.255.255",
    ] {
        assert!(
            turn.lines().any(|l| l == line),
            "turnserver.conf lacks {line}"
        );
    }
    assert!(
        !turn.contains("static-auth-secret") && !turn.contains("allow-loopback-peers"),
        "the file ships no secret and never lets loopback peers in"
    );
    // The trusted range is this file's own network, where only nginx talks to the nodes.
    let subnet = docs[0]["networks"]["default"]["ipam"]["config"][0]["subnet"].as_str();
    assert_eq!(
        subnet,
        services["chimpassist-1"]["environment"]["TRUSTED_PROXIES"].as_str()
    );
}

#[test]
fn help_never_prints_credentials_or_secret_values() {
    // Security review, finding 12: `--help` printed the endpoints' `user:password@`.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_chimpassist"))
        .args(["serve", "--help"])
        .env(
            "STATISTICS_BASE_ENDPOINT",
            "http://statsuser:S3cretStat@127.0.0.1:1/base",
        )
        .env(
            "AUTHENTICATION_ENDPOINT",
            "http://authuser:S3cretAuth@127.0.0.1:1/",
        )
        .env("IDENTITY_SECRET", "S3cretIdentity")
        .env("ADMIN_PASSWORD", "S3cretAdmin")
        .env("MQTT_PASSWORD", "S3cretMqtt")
        .env("TURN_SECRET", "S3cretTurn")
        .env("MONGO_CONNECTION_URL", "mongodb://u:S3cretMongo@db:27017/")
        .output()
        .expect("run chimpassist serve --help");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("STATISTICS_BASE_ENDPOINT"), "{help}");
    assert!(!help.contains("S3cret"), "{help}");
    assert!(
        !help.contains("statsuser") && !help.contains("authuser"),
        "{help}"
    );
}
