//! The database's side of sending, alone: how many deliveries per second
//! a store can claim and record, with no SMTP and no message building.
//! This is the ceiling that adding sender hosts runs into.
//!
//!   cargo run --release --example claim_rate -- DATABASE_URL [DELIVERIES] [WORKERS]
//!
//! DATABASE_URL is a fresh database (`sqlite://FILE` or `postgres://…`).
//! Each worker claims batches of 500 and records their outcomes as the
//! dispatcher does: "sent", 8 per write.

use std::time::Instant;

use postbode::config::{DatabaseSettings, DatabaseUrl};
use postbode::domain::{EmailAddress, ListName, Slug};
use postbode::store::{ImportPolicy, ImportRow, NewIssue, Outcome, Store, now_ms};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: claim_rate DATABASE_URL [DELIVERIES] [WORKERS]")?;
    let n: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let workers: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let settings = DatabaseSettings {
        url: DatabaseUrl::parse(&url)?,
        max_connections: 16,
        ..DatabaseSettings::default()
    };
    let store = Store::open(&settings).await?;

    let list = ListName::default_list();
    let mut importer = store.importer().await?;
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let rows = chunk
            .iter()
            .map(|i| {
                Ok(ImportRow {
                    line: *i as u64 + 2,
                    email: EmailAddress::parse(&format!("lezer{i}@voorbeeld.nl"))?,
                    name: None,
                    language: None,
                    lists: vec![list.clone()],
                    status: None,
                    attributes: Default::default(),
                })
            })
            .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
        importer
            .import_batch(rows, ImportPolicy { activate: true })
            .await?;
    }
    drop(importer);
    let issue = store
        .queue_issue(&NewIssue {
            slug: Slug::parse(&format!("claim-rate-{}", now_ms()))?,
            subject: "s".into(),
            preheader: String::new(),
            issue_date: "2026-11-28".into(),
            list,
            html_template: String::new(),
            text_template: String::new(),
            web_html: String::new(),
            send_at: now_ms(),
        })
        .await?;
    store.start_due_issues(now_ms(), None).await?;

    let began = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let owner = format!("bench-{w}");
                let mut done = 0usize;
                loop {
                    let now = now_ms();
                    let claimed = store
                        .claim_due_deliveries(issue.id, &owner, now, now + 300_000, 500)
                        .await?;
                    if claimed.is_empty() {
                        return Ok::<usize, postbode::error::Error>(done);
                    }
                    for group in claimed.chunks(8) {
                        let outcomes: Vec<(i64, Outcome)> = group
                            .iter()
                            .map(|c| {
                                let outcome = Outcome::Sent {
                                    reply: "250 2.0.0 Ok: queued".into(),
                                    message_id: format!("<pb.{}@voorbeeld.nl>", c.delivery_id),
                                    at: now_ms(),
                                };
                                (c.delivery_id, outcome)
                            })
                            .collect();
                        store.record_outcomes(&outcomes).await?;
                    }
                    done += claimed.len();
                }
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    let secs = began.elapsed().as_secs_f64();
    println!(
        "{:?}: {total} deliveries claimed and recorded by {workers} workers in {secs:.2} s = {:.0}/s",
        store.backend(),
        total as f64 / secs
    );
    store.close().await;
    Ok(())
}
