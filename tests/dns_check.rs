//! `postbode dns check` against a DNS server on loopback (dnsmasq, see
//! tests/support/dns.rs) serving the records each test writes: one right
//! zone, and each way it goes wrong.
//!
//! Needs dnsmasq (Debian package dnsmasq-base); without it each test is
//! skipped with a line saying so, unless POSTBODE_REQUIRE_ALL_TESTS=1.

mod support;

use support::dns::DnsServer;
use support::{Run, TestApp};

const FROM: &str = "example.org";
const SPF: &str = "v=spf1 mx -all";
const DMARC: &str = "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org";

/// A folder whose config sends From nieuws@example.org, signed for
/// `dkim_domain` with a fresh key of `algorithm` (made by `dkim keygen`)
/// under selector s1. Returns the app and the DKIM record keygen printed.
fn app_with_key(dkim_domain: &str, algorithm: &str, extra: &str) -> (TestApp, String) {
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nfrom = \"Nieuwsbrief <nieuws@{FROM}>\"\n{extra}"
    ));
    let record = keygen(&app, dkim_domain, algorithm, "dkim-s1.pem");
    let mut config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    config.push_str(&format!(
        "\n[dkim]\ndomain = \"{dkim_domain}\"\nselector = \"s1\"\nprivate_key_file = \"dkim-s1.pem\"\n"
    ));
    app.write("postbode.toml", config);
    (app, record)
}

/// Runs `dkim keygen` and returns the record's text it prints.
fn keygen(app: &TestApp, domain: &str, algorithm: &str, out: &str) -> String {
    let run = app
        .run(&[
            "dkim",
            "keygen",
            "--selector",
            "s1",
            "--domain",
            domain,
            "--algorithm",
            algorithm,
            "--out",
            out,
        ])
        .ok();
    let mut lines = run.stdout.lines();
    lines
        .find(|l| l.starts_with("Publish this DNS TXT record at"))
        .and_then(|_| lines.next())
        .map(|l| l.trim().to_owned())
        .unwrap_or_else(|| panic!("no record in:\n{}", run.stdout))
}

/// The records of a zone where everything is right.
fn right_zone(dkim_domain: &str, dkim: &str) -> Vec<(String, String)> {
    vec![
        (format!("s1._domainkey.{dkim_domain}"), dkim.to_owned()),
        (FROM.into(), SPF.into()),
        (FROM.into(), "google-site-verification=abc123".into()),
        (format!("_dmarc.{FROM}"), DMARC.into()),
    ]
}

/// `dns check` against a DNS server holding `records`; `None` when
/// dnsmasq is missing (skipped).
fn check(app: &TestApp, records: &[(String, String)]) -> Option<Run> {
    let records: Vec<(&str, &str)> = records
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let server = DnsServer::start(&["example.org", "example.net"], &records)?;
    Some(app.run(&["dns", "check", "--nameserver", &server.nameserver()]))
}

/// The output line of `check` (e.g. `SPF`), or a panic showing all.
#[track_caller]
fn line<'a>(run: &'a Run, check: &str) -> &'a str {
    run.stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(check))
        .unwrap_or_else(|| panic!("no {check} line in:\n{}\n{}", run.stdout, run.stderr))
}

#[track_caller]
fn assert_verdict(run: &Run, check: &str, verdict: &str) {
    let l = line(run, check);
    assert!(
        l.starts_with(&format!("{verdict} ")),
        "{check} should be {verdict}:\n{}",
        run.stdout
    );
}

#[test]
fn a_right_zone_passes_every_check() {
    // RSA: its record is longer than one DNS string, so this also shows
    // the strings are joined again.
    let (app, dkim) = app_with_key(FROM, "rsa", "");
    let Some(run) = check(&app, &right_zone(FROM, &dkim)) else {
        return;
    };
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for check in ["DKIM", "SPF", "DMARC", "alignment"] {
        assert_verdict(&run, check, "ok");
    }
    assert!(
        line(&run, "DKIM")
            .contains("s1._domainkey.example.org: the published key matches dkim-s1.pem")
    );
    assert!(
        run.stdout.contains("4 checks: 4 ok, 0 warnings, 0 failed"),
        "{}",
        run.stdout
    );
}

#[test]
fn another_key_in_dns_fails_with_the_record_to_publish() {
    let (app, dkim) = app_with_key(FROM, "ed25519", "");
    let other = keygen(&app, FROM, "ed25519", "other.pem");
    assert_ne!(other, dkim);
    let mut zone = right_zone(FROM, &other);
    zone.push(("unrelated.example.org".into(), dkim.clone()));
    let Some(run) = check(&app, &zone) else {
        return;
    };
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_verdict(&run, "DKIM", "fail");
    assert!(line(&run, "DKIM").contains("another key"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("publish at s1._domainkey.example.org: {dkim}\n")),
        "{}",
        run.stdout
    );
    assert_verdict(&run, "SPF", "ok");
    assert!(
        run.stderr.contains("1 of 4 DNS checks failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_dkim_record_fails_with_the_record_to_publish() {
    let (app, dkim) = app_with_key(FROM, "ed25519", "");
    let zone: Vec<_> = right_zone(FROM, &dkim).into_iter().skip(1).collect();
    let Some(run) = check(&app, &zone) else {
        return;
    };
    assert_eq!(run.code, 1);
    assert_verdict(&run, "DKIM", "fail");
    assert!(
        run.stdout
            .contains(&format!("publish at s1._domainkey.example.org: {dkim}\n"))
    );
}

#[test]
fn no_spf_record_fails_with_a_suggestion() {
    let (app, dkim) = app_with_key(FROM, "ed25519", "");
    let zone: Vec<_> = right_zone(FROM, &dkim)
        .into_iter()
        .filter(|(_, text)| text != SPF)
        .collect();
    let Some(run) = check(&app, &zone) else {
        return;
    };
    assert_eq!(run.code, 1);
    assert_verdict(&run, "SPF", "fail");
    assert!(
        line(&run, "SPF").contains("no SPF record"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("publish at example.org: v=spf1 mx ~all\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("(zone file: example.org. IN TXT \"v=spf1 mx ~all\")")
    );
}

#[test]
fn two_spf_records_fail() {
    let (app, dkim) = app_with_key(FROM, "ed25519", "");
    let mut zone = right_zone(FROM, &dkim);
    zone.push((FROM.into(), "v=spf1 include:_spf.example.net ~all".into()));
    let Some(run) = check(&app, &zone) else {
        return;
    };
    assert_eq!(run.code, 1);
    assert_verdict(&run, "SPF", "fail");
    assert!(
        line(&run, "SPF").contains("2 SPF records"),
        "{}",
        run.stdout
    );
}

#[test]
fn spf_that_allows_everyone_fails_and_a_neutral_one_warns() {
    let (app, dkim) = app_with_key(FROM, "ed25519", "");
    let with_spf = |spf: &str| -> Vec<_> {
        right_zone(FROM, &dkim)
            .into_iter()
            .map(|(n, t)| {
                if t == SPF {
                    (n, spf.to_owned())
                } else {
                    (n, t)
                }
            })
            .collect()
    };
    let Some(run) = check(&app, &with_spf("v=spf1 mx +all")) else {
        return;
    };
    assert_eq!(run.code, 1);
    assert_verdict(&run, "SPF", "fail");
    assert!(line(&run, "SPF").contains("+all"), "{}", run.stdout);

    let Some(run) = check(&app, &with_spf("v=spf1 mx ?all")) else {
        return;
    };
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_verdict(&run, "SPF", "warn");
}

#[test]
fn no_dmarc_record_fails_with_a_suggested_record() {
    let (app, dkim) = app_with_key(FROM, "ed25519", "");
    let zone: Vec<_> = right_zone(FROM, &dkim)
        .into_iter()
        .filter(|(name, _)| !name.starts_with("_dmarc."))
        .collect();
    let Some(run) = check(&app, &zone) else {
        return;
    };
    assert_eq!(run.code, 1);
    assert_verdict(&run, "DMARC", "fail");
    assert!(
        run.stdout.contains(
            "publish at _dmarc.example.org: v=DMARC1; p=none; rua=mailto:dmarc-reports@example.org\n"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn dmarc_p_none_warns_but_passes() {
    let (app, dkim) = app_with_key(FROM, "ed25519", "");
    let zone: Vec<_> = right_zone(FROM, &dkim)
        .into_iter()
        .map(|(n, t)| {
            if t == DMARC {
                (n, "v=DMARC1; p=none".to_owned())
            } else {
                (n, t)
            }
        })
        .collect();
    let Some(run) = check(&app, &zone) else {
        return;
    };
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_verdict(&run, "DMARC", "warn");
    assert!(
        line(&run, "DMARC").contains("p=none only monitors"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("4 checks: 3 ok, 1 warning, 0 failed"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_dkim_domain_not_aligned_with_from_fails() {
    let (app, dkim) = app_with_key("mailer.example.net", "ed25519", "");
    let Some(run) = check(&app, &right_zone("mailer.example.net", &dkim)) else {
        return;
    };
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_verdict(&run, "DKIM", "ok");
    assert_verdict(&run, "alignment", "fail");
    assert!(
        line(&run, "alignment")
            .contains("DKIM d=mailer.example.net is not aligned with From example.org"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_subdomain_is_aligned_unless_dmarc_asks_for_strict_alignment() {
    let (app, dkim) = app_with_key("news.example.org", "ed25519", "");
    let Some(run) = check(&app, &right_zone("news.example.org", &dkim)) else {
        return;
    };
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_verdict(&run, "alignment", "ok");

    let zone: Vec<_> = right_zone("news.example.org", &dkim)
        .into_iter()
        .map(|(n, t)| {
            if t == DMARC {
                (n, format!("{DMARC}; adkim=s"))
            } else {
                (n, t)
            }
        })
        .collect();
    let Some(run) = check(&app, &zone) else {
        return;
    };
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_verdict(&run, "alignment", "fail");
}

#[test]
fn a_nameserver_that_does_not_answer_fails_the_checks_it_could_not_make() {
    // The server refuses every name outside its domains.
    let app = TestApp::with_config("\n[newsletter]\nfrom = \"Nieuwsbrief <nieuws@example.com>\"\n");
    let Some(run) = check(&app, &[]) else {
        return;
    };
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        line(&run, "SPF").contains("no answer from DNS"),
        "{}",
        run.stdout
    );
    // DKIM is off in this config: that is a failure too, with what to do.
    assert!(
        line(&run, "DKIM").contains("postbode dkim keygen"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_bad_dkim_setting_is_a_config_error() {
    let app = TestApp::with_config(
        "\n[dkim]\ndomain = \"example.org\"\nselector = \"s1\"\nprivate_key_file = \"missing.pem\"\n",
    );
    let run = app.run(&["dns", "check", "--nameserver", "127.0.0.1:9"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("missing.pem"), "{}", run.stderr);
    let run = app.run(&["dns", "check", "--nameserver", "nameserver.example"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn the_bounce_domain_is_an_envelope_domain_that_needs_spf_too() {
    let bounces = "\n[bounces]\naddress = \"bounces@bounce.example.net\"\n";
    let (app, dkim) = app_with_key(FROM, "ed25519", bounces);
    let Some(run) = check(&app, &right_zone(FROM, &dkim)) else {
        return;
    };
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("ok    SPF       example.org: "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("fail  SPF       bounce.example.net: no SPF record"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("publish at bounce.example.net: v=spf1 mx ~all\n")
    );

    let mut zone = right_zone(FROM, &dkim);
    zone.push((
        "bounce.example.net".into(),
        "v=spf1 ip4:192.0.2.25 -all".into(),
    ));
    let Some(run) = check(&app, &zone) else {
        return;
    };
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // DKIM aligns, so DMARC passes; the bounce domain outside example.org
    // only takes away SPF as a second way.
    assert!(
        run.stdout
            .contains("warn  alignment bounce.example.net: the envelope sender"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("6 checks: 5 ok, 1 warning, 0 failed"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_bounce_address_under_the_from_domain_is_aligned() {
    let bounces = "\n[bounces]\naddress = \"bounces@bounce.example.org\"\n";
    let (app, dkim) = app_with_key(FROM, "ed25519", bounces);
    let mut zone = right_zone(FROM, &dkim);
    zone.push(("bounce.example.org".into(), "v=spf1 mx -all".into()));
    let Some(run) = check(&app, &zone) else {
        return;
    };
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("ok    alignment bounce.example.org: envelope sender @bounce.example.org"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("6 checks: 6 ok, 0 warnings, 0 failed"),
        "{}",
        run.stdout
    );
}
