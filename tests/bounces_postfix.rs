//! End to end with a real MTA (issue 13): postbode sends an issue with
//! VERP envelope senders into a private postfix on loopback, which relays
//! it to an onward server that refuses some recipients with 550 5.1.1.
//! postfix itself writes the DSNs, to the VERP addresses, and delivers
//! them into a maildir; `postbode bounces ingest` on that maildir bounces
//! exactly the refused recipients. The set-up is the one docs/bounces.md
//! describes. On SQLite, or on PostgreSQL with
//! `POSTBODE_TEST_BACKEND=postgres`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use postbode::domain::SubscriberStatus;
use postbode::mail::VerpAddress;
use support::postfix::Postfix;
use support::received::Mail;
use support::sending::{app_sending_to, queue, subscribers};
use support::smtp::{Reply, TestSmtp};
use support::{TestApp, email, with_store};

const BOUNCE_ADDRESS: &str = "bounces@bounces.test";
/// Active subscribers `lezer0..lezer5@example.nl`; the onward server
/// refuses these two.
const ACTIVE: usize = 6;
const REFUSED: [&str; 2] = ["lezer1@example.nl", "lezer4@example.nl"];
/// Generous: postfix usually bounces and delivers within a second.
const DEADLINE: Duration = Duration::from_secs(60);

fn onward_server() -> TestSmtp {
    TestSmtp::start_with(|rcpt| {
        if REFUSED.contains(&rcpt) {
            Reply::new(
                550,
                format!("5.1.1 <{rcpt}>: Recipient address rejected: User unknown"),
            )
        } else {
            Reply::ok()
        }
    })
}

fn everyone() -> Vec<String> {
    (0..ACTIVE)
        .map(|i| format!("lezer{i}@example.nl"))
        .collect()
}

/// The subscriber id the VERP address `address` names, through the
/// delivery its tag proves.
fn tagged_subscriber(app: &TestApp, verp: &VerpAddress, address: &str) -> Option<i64> {
    let delivery = verp.verify(address)?;
    with_store(app, async |store| {
        store
            .delivery_recipient(delivery)
            .await
            .expect("delivery")
            .and_then(|d| d.subscriber_id)
    })
}

fn subscriber(app: &TestApp, address: &str) -> (i64, SubscriberStatus) {
    with_store(app, async |store| {
        let s = store
            .find_subscriber(&email(address))
            .await
            .expect("find")
            .unwrap_or_else(|| panic!("no subscriber {address}"));
        (s.id, s.status)
    })
}

#[test]
fn postfix_returns_the_refused_mail_to_its_verp_address_and_ingest_bounces_exactly_those() {
    let onward = onward_server();
    let Some(postfix) = Postfix::start(onward.addr, BOUNCE_ADDRESS) else {
        return;
    };
    let app = app_sending_to(
        &postfix.smtp_url(),
        &format!("rate_per_second = 1000\n\n[bounces]\naddress = \"{BOUNCE_ADDRESS}\"\n"),
    );
    subscribers(&app, ACTIVE);
    queue(&app);
    // postfix takes every message; the refusals come later, as DSNs.
    let sent = app.run(&["send"]).ok();
    assert!(
        sent.stdout.contains(&format!("sent {ACTIVE}, failed 0")),
        "{}",
        sent.stdout
    );
    assert_relayed_the_accepted(&onward);

    let dsns = postfix.wait_for_mail(REFUSED.len(), DEADLINE);
    assert_eq!(
        dsns.len(),
        REFUSED.len(),
        "DSNs in {}",
        postfix.maildir().display()
    );
    assert_ingest_bounces_exactly_the_refused(&app, &postfix.maildir());
    // Checked after ingest, so a broken tag check that the Message-IDs
    // make up for in ingest still fails here.
    assert_dsns_went_to_the_refused_verp_addresses(&app, &dsns);
}

/// postfix relayed every accepted recipient's mail onward, each with its
/// VERP envelope sender.
fn assert_relayed_the_accepted(onward: &TestSmtp) {
    let accepted: BTreeSet<String> = everyone()
        .into_iter()
        .filter(|a| !REFUSED.contains(&a.as_str()))
        .collect();
    let relayed = onward.wait_for(accepted.len(), DEADLINE);
    let relayed_to: BTreeSet<String> = relayed.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(relayed_to, accepted, "relayed onward");
    for m in &relayed {
        assert!(
            m.from.starts_with("bounces+") && m.from.ends_with("@bounces.test"),
            "{}",
            m.from
        );
    }
}

/// `bounces ingest MAILDIR` applies every DSN and bounces the refused;
/// everyone else keeps their status.
fn assert_ingest_bounces_exactly_the_refused(app: &TestApp, maildir: &Path) {
    let run = app
        .run(&["bounces", "ingest", maildir.to_str().expect("UTF-8 path")])
        .ok();
    let n = REFUSED.len();
    for want in [
        format!("read {n} messages: {n} applied"),
        ", 0 unmatched".to_owned(),
        format!("hard bounce      {n}"),
        format!("subscribers bounced: {n}"),
    ] {
        assert!(run.stdout.contains(&want), "{want:?} in:\n{}", run.stdout);
    }
    for address in everyone() {
        let want = if REFUSED.contains(&address.as_str()) {
            SubscriberStatus::Bounced
        } else {
            SubscriberStatus::Active
        };
        assert_eq!(subscriber(app, &address).1, want, "{address}");
    }
    assert_eq!(
        subscriber(app, "wacht@example.nl").1,
        SubscriberStatus::Pending
    );
    assert_eq!(
        subscriber(app, "weg@example.nl").1,
        SubscriberStatus::Unsubscribed
    );
}

/// Each DSN is postfix's own (`Return-Path: <>`), delivered to
/// `bounces+TAG@bounces.test` (Delivered-To and X-Original-To), and the
/// tags name exactly the refused recipients' deliveries.
fn assert_dsns_went_to_the_refused_verp_addresses(app: &TestApp, dsns: &[PathBuf]) {
    let settings = postbode::config::load_from(Some(&app.path("postbode.toml")), &BTreeMap::new())
        .expect("config");
    let verp = VerpAddress::from_settings(&settings)
        .expect("VERP settings")
        .expect("a bounce address");
    let mut returned_to = BTreeSet::new();
    for path in dsns {
        let dsn = Mail::parse(&std::fs::read(path).expect("read DSN"));
        let delivered_to = dsn.header("Delivered-To").expect("Delivered-To");
        assert_eq!(
            dsn.header("X-Original-To"),
            Some(delivered_to),
            "{}",
            dsn.raw
        );
        assert!(
            delivered_to.starts_with("bounces+") && delivered_to.ends_with("@bounces.test"),
            "{delivered_to}"
        );
        assert_eq!(dsn.header("Return-Path"), Some("<>"), "postfix's own DSN");
        let id = tagged_subscriber(app, &verp, delivered_to)
            .unwrap_or_else(|| panic!("{delivered_to} carries no valid tag of a delivery"));
        returned_to.insert(id);
    }
    let refused_ids: BTreeSet<i64> = REFUSED.iter().map(|a| subscriber(app, a).0).collect();
    assert_eq!(
        returned_to, refused_ids,
        "the DSNs' VERP addresses name the refused"
    );
}
