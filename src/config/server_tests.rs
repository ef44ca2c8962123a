//! `[server]`'s trusted proxies, metrics token and connection cap: read
//! from the file and the environment, errors that name the key and the
//! entry, and a token that never shows.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{Settings, load_from};
use crate::error::Result;

fn load(text: &str, vars: &[(&str, &str)]) -> Result<Settings> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("postbode.toml");
    std::fs::write(&path, text).expect("write config");
    let env: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    load_from(Some(&path), &env)
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

#[test]
fn trusted_proxies_come_from_a_list_or_from_one_environment_string() {
    let s = load("", &[]).expect("defaults");
    assert!(s.server.trusted_proxies.is_empty());
    assert_eq!(s.server.max_connections, 0);
    assert!(s.server.metrics_token.expose().is_none());

    let s = load(
        "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n",
        &[],
    )
    .expect("list");
    assert!(s.server.trusted_proxies.trusts(ip("10.9.8.7")));
    assert!(s.server.trusted_proxies.trusts(ip("::1")));
    assert!(!s.server.trusted_proxies.trusts(ip("192.0.2.1")));

    let s = load(
        "",
        &[(
            "POSTBODE_SERVER__TRUSTED_PROXIES",
            "127.0.0.0/8, 172.16.0.0/12",
        )],
    )
    .expect("environment");
    assert!(s.server.trusted_proxies.trusts(ip("172.20.0.1")));
    assert!(s.server.trusted_proxies.trusts(ip("127.0.0.1")));
}

#[test]
fn a_bad_trusted_proxy_is_named_with_the_key_and_the_entry() {
    let err = load(
        "[server]\ntrusted_proxies = [\"127.0.0.0/8\", \"10.0.0.0/33\"]\n",
        &[],
    )
    .expect_err("bad prefix");
    let msg = err.to_string();
    assert!(
        msg.contains("server.trusted_proxies")
            && msg.contains("\"10.0.0.0/33\"")
            && msg.contains("line 2"),
        "{msg}"
    );
    let err = load(
        "",
        &[("POSTBODE_SERVER__TRUSTED_PROXIES", "proxy.example.org")],
    )
    .expect_err("a host name");
    let msg = err.to_string();
    assert!(
        msg.contains("POSTBODE_SERVER__TRUSTED_PROXIES") && msg.contains("\"proxy.example.org\""),
        "{msg}"
    );
}

#[test]
fn the_metrics_token_must_be_long_and_never_shows() {
    const TOKEN: &str = "s3cret-metrics-token-abcdef";
    let s = load(&format!("[server]\nmetrics_token = \"{TOKEN}\"\n"), &[]).expect("token");
    assert_eq!(s.server.metrics_token.expose(), Some(TOKEN));
    assert!(!format!("{s:?}").contains(TOKEN));
    let s = load("", &[("POSTBODE_SERVER__METRICS_TOKEN", TOKEN)]).expect("environment");
    assert_eq!(s.server.metrics_token.expose(), Some(TOKEN));

    let err = load("[server]\nmetrics_token = \"short-secret\"\n", &[]).expect_err("short");
    let msg = err.to_string();
    assert!(
        msg.contains("server.metrics_token") && msg.contains("16"),
        "{msg}"
    );
    let err = load("", &[("POSTBODE_SERVER__METRICS_TOKEN", "short-secret")]).expect_err("short");
    assert!(!err.to_string().contains("short-secret"), "{err}");
}

#[test]
fn allowed_origins_are_read_as_origins_and_a_bad_one_is_named() {
    let s = load("", &[]).expect("defaults");
    assert!(s.server.allowed_origins.is_empty());
    let s = load(
        "[server]\nallowed_origins = [\"https://WWW.Example.org/\", \"http://localhost:3000\"]\n",
        &[],
    )
    .expect("origins");
    let shown: Vec<&str> = s
        .server
        .allowed_origins
        .iter()
        .map(|o| o.as_str())
        .collect();
    assert_eq!(shown, ["https://www.example.org", "http://localhost:3000"]);
    let s = load(
        "",
        &[(
            "POSTBODE_SERVER__ALLOWED_ORIGINS",
            "https://a.example, https://b.example",
        )],
    )
    .expect("from the environment");
    assert_eq!(s.server.allowed_origins.len(), 2);
    let err = load("[server]\nallowed_origins = [\"www.example.org\"]\n", &[]).expect_err("bad");
    let msg = err.to_string();
    assert!(
        msg.contains("server.allowed_origins") && msg.contains("www.example.org"),
        "{msg}"
    );
}
